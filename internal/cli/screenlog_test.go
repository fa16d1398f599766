package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"

	"ecr-vpce-lab/sandbox"
)

// TestLibrariesDoNotWriteOverTheWizard: while the full-screen wizard (or
// fleet view) owns the terminal, the AWS SDK's warnings (from the
// configuration loaded as each loads it, before it takes the screen) and
// the in-process sandbox's
// server errors go to a file in the state directory, which the note after
// the wizard names; nothing reaches the process's stderr, where it would be
// drawn over the screen. Afterwards they go to the command's stderr again.
// Not parallel: it swaps os.Stderr.
func TestLibrariesDoNotWriteOverTheWizard(t *testing.T) {
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "dummy", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-west-2", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
	} {
		t.Setenv(k, v)
	}
	realStderr := os.Stderr
	processStderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = processStderr
	t.Cleanup(func() { os.Stderr = realStderr; _ = processStderr.Close() })

	stateDir := t.TempDir()
	var cmdStderr bytes.Buffer
	f := &labFlags{msgs: newScreenLog("the wizard", &cmdStderr, stateDir)}
	pl := hostPlace(context.Background(), f) // the wizard's detection, on AWS
	if pl.loadErr != nil {
		t.Fatal(pl.loadErr)
	}
	sdk := pl.loaded.Config.Logger
	fleetAt, err := fleetAWS(context.Background(), &fleetFlags{msgs: f.msgs}) // the fleet view's, on AWS
	if err != nil {
		t.Fatal(err)
	}
	inProcess := inProcessSandbox(&labFlags{sandbox: true, msgs: f.msgs}, filepath.Join(stateDir, "sandbox"), sandbox.Instant).Logger

	f.msgs.divert() // the wizard takes the screen
	sdk.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	fleetAt.Config.Logger.Logf(logging.Warn, "the fleet view's SDK warning")
	inProcess.Warn("http: panic serving 127.0.0.1:4242: boom")
	inProcess.Debug("sandbox: call") // per-request lines stay out
	note := f.msgs.restore()

	if b, _ := os.ReadFile(processStderr.Name()); len(b) > 0 {
		t.Errorf("the process's stderr, under the wizard's screen, got:\n%s", b)
	}
	if cmdStderr.Len() > 0 {
		t.Errorf("the command's stderr got, while the wizard ran:\n%s", cmdStderr.String())
	}
	path := filepath.Join(stateDir, screenLogName)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the messages are not kept: %v", err)
	}
	for _, want := range []string{"WARN Response has no supported checksum", "the fleet view's SDK warning", "http: panic serving"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("%s lacks %q:\n%s", path, want, got)
		}
	}
	if strings.Contains(string(got), "sandbox: call") {
		t.Errorf("%s holds the sandbox's per-request debug lines:\n%s", path, got)
	}
	if !strings.Contains(note, "3 messages") || !strings.Contains(note, path) {
		t.Errorf("the note after the wizard = %q, want it to count 3 messages and name %s", note, path)
	}

	// The screen is back: the command's stderr hears them again.
	sdk.Logf(logging.Warn, "after the wizard")
	if !strings.Contains(cmdStderr.String(), "after the wizard") {
		t.Errorf("after the wizard, the command's stderr got %q", cmdStderr.String())
	}
	if f.msgs.restore() != "" {
		t.Error("a second restore names the file again")
	}
}
