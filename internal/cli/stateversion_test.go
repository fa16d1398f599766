package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/internal/testtool"
)

// A state file written by a newer release is refused by every command with
// the same sentence, and nothing deletes it: it may describe resources this
// release cannot read.
func TestNewerStateFileIsRefusedAndKept(t *testing.T) {
	_, state := labHome(t)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(state, "lab-sandbox.json")
	newer := []byte(`{"version": 7, "runId": "feedfacecafe", "mode": "sandbox", "resources": {"future": "shape"}}` + "\n")
	if err := os.WriteFile(path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	want := "the state file " + path + " was written by a newer ecr-vpce-lab (format 7); upgrade, or use --state-dir elsewhere"
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"up", "--yes"}},
		{"", []string{"test"}},
		{"", []string{"status"}},
		{"", []string{"status", "-o", "json"}},
		{"", []string{"down", "--yes"}},
		{"", []string{"down", "--yes", "--all"}},
		{"\n\n\n\n", []string{"--accessible"}},
	} {
		code, out, errs := runCLI(t, c.stdin, append(c.args, fast...)...)
		if code == 0 || !strings.Contains(out+errs, want) {
			t.Errorf("%v: exit %d, want non-zero and %q:\n%s%s", c.args, code, want, out, errs)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, newer) {
			t.Fatalf("%v: the newer state file was changed or removed: %q %v", c.args, b, err)
		}
	}
}

// The full-screen wizard shows the refusal, and quitting it then exits 1:
// the lab never started.
func TestWizardRefusesANewerStateFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program in a pseudo-terminal; skipped with -short")
	}
	bin := testtool.LabBinary(t)
	home := t.TempDir()
	state := filepath.Join(home, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(state, "lab-sandbox.json")
	newer := []byte(`{"version": 3, "runId": "feedfacecafe", "mode": "sandbox"}`)
	if err := os.WriteFile(path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	term, err := ptytest.Start(100, 30, procEnv(home, "TERM=xterm-256color"), bin, "--sandbox", "--sandbox-timing", "instant", "--state-dir", state)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	if _, err := term.WaitForText(30*time.Second, "written by a newer ecr-vpce-lab", "upgrade, or use --state-dir elsewhere"); err != nil {
		t.Fatal(err)
	}
	if err := term.Send("\r"); err != nil {
		t.Fatal(err)
	}
	err = term.Wait(10 * time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("the wizard exited with %v, want status 1\n%s", err, term.Screen())
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, newer) {
		t.Fatalf("the newer state file was changed or removed: %q %v", b, err)
	}
}
