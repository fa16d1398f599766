package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCLIWithin runs the program and fails the test when it has not
// finished within d (a command blocked on a named pipe never would).
func runCLIWithin(t *testing.T, d time.Duration, stdin string, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code     int
		out, err string
	}
	// runCLI sets the environment, which t.Setenv allows only here.
	t.Setenv("ACCOUNT_ID", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("ECR_REPO_A", "")
	t.Setenv("NO_COLOR", "1")
	done := make(chan result, 1)
	go func() {
		code, out, errs := runCLIRaw(stdin, args...)
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(d):
		t.Fatalf("%v: still running after %s", args, d)
	}
	return 0, "", ""
}

// Every file the tool is given is read through one bounded reader: a
// named pipe or a device is refused at once, a file over the limit with a
// message naming it.
func TestEveryInputIsBounded(t *testing.T) {
	home, _ := labHome(t)
	fifo := filepath.Join(home, "policy.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	big := filepath.Join(home, "big.json")
	if err := os.WriteFile(big, []byte(`{"Statement":[]`+strings.Repeat(" ", 2<<20)+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"check FIFO", []string{"policy", "check", fifo}, "is a named pipe (FIFO), not a regular file"},
		{"check device", []string{"policy", "check", "/dev/zero"}, "/dev/zero is a character device, not a regular file"},
		{"check big", []string{"policy", "check", big}, "is larger than 1 MiB"},
		{"simulate FIFO", []string{"policy", "simulate", fifo, "--op", "push"}, "is a named pipe (FIFO)"},
		{"simulate big", []string{"policy", "simulate", big, "--op", "push"}, "is larger than 1 MiB"},
		{"up --policy FIFO", []string{"up", "--sandbox", "--yes", "--policy", fifo}, "is a named pipe (FIFO)"},
		{"up --policy big", []string{"up", "--sandbox", "--yes", "--policy", big}, "is larger than 1 MiB"},
	} {
		code, _, errs := runCLIWithin(t, 5*time.Second, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", c.name, code, c.want, errs)
		}
	}
	// Standard input is held to the same limit, and says so rather than
	// cutting the policy short.
	code, _, errs := runCLIWithin(t, 5*time.Second, `{"Statement":[]`+strings.Repeat(" ", 2<<20)+`}`, "policy", "check", "-")
	if code != 2 || !strings.Contains(errs, "standard input is larger than 1 MiB") {
		t.Errorf("stdin: exit %d:\n%s", code, errs)
	}
}
