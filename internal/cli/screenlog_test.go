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
	processStderr := swapStderr(t)

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

// swapStderr points os.Stderr at a file for the test, and returns it.
func swapStderr(t *testing.T) *os.File {
	t.Helper()
	realStderr := os.Stderr
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = realStderr; _ = f.Close() })
	return f
}

// TestCredentialProcessDoesNotWriteOverTheWizard: a profile's
// credential_process that runs while the wizard owns the terminal (its
// credentials expired and are fetched again) has its stderr go to the
// messages file, not to the terminal, and no stdin to take the wizard's
// keys from. Not parallel: it swaps os.Stderr.
func TestCredentialProcessDoesNotWriteOverTheWizard(t *testing.T) {
	home := t.TempDir()
	script := filepath.Join(home, "creds.sh")
	// It says something on stderr, and says whether it got a stdin to read.
	body := "#!/bin/sh\necho \"credential_process: touch your key\" >&2\n" +
		"if read -r line; then echo \"credential_process read: $line\" >&2; fi\n" +
		"printf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESSEXAMPLE\",\"SecretAccessKey\":\"dummy\"}'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(home, "config")
	if err := os.WriteFile(cfgFile, []byte("[profile proc]\ncredential_process = "+script+"\nregion = us-west-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_REGION": "",
		"AWS_PROFILE": "proc", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": cfgFile, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
	} {
		t.Setenv(k, v)
	}
	// The terminal's stdin, as the wizard's keys: a line waits to be read.
	realStdin := os.Stdin
	keys, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = keys.WriteString("a key of the wizard's\n")
	_, _ = keys.Seek(0, 0)
	os.Stdin = keys
	t.Cleanup(func() { os.Stdin = realStdin; _ = keys.Close() })
	processStderr := swapStderr(t)

	stateDir := t.TempDir()
	var cmdStderr bytes.Buffer
	f := &labFlags{msgs: newScreenLog("the wizard", &cmdStderr, stateDir)}
	pl := hostPlace(context.Background(), f)
	if pl.loadErr != nil {
		t.Fatal(pl.loadErr)
	}
	f.msgs.divert()
	creds, err := pl.loaded.Config.Credentials.Retrieve(context.Background())
	note := f.msgs.restore()
	if err != nil || creds.AccessKeyID != "AKIAPROCESSEXAMPLE" {
		t.Fatalf("the credential_process's credentials: %v, %v", creds.AccessKeyID, err)
	}
	if b, _ := os.ReadFile(processStderr.Name()); len(b) > 0 {
		t.Errorf("the terminal, under the wizard's screen, got:\n%s", b)
	}
	got, _ := os.ReadFile(filepath.Join(stateDir, screenLogName))
	if !strings.Contains(string(got), "touch your key") {
		t.Errorf("the messages file lacks the process's stderr:\n%s", got)
	}
	if strings.Contains(string(got), "read:") {
		t.Errorf("the process read the wizard's stdin:\n%s", got)
	}
	if note == "" {
		t.Error("no note names the messages file")
	}
}
