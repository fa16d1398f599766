package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/steps"
)

// isolatedLab runs the built program in its own process with the
// environment labHome and runCLI give an in-process run. The test process's
// environment is left alone (no t.Setenv), so tests using it run in
// parallel: most of their time is spent waiting on the sandbox, not
// computing.
type isolatedLab struct {
	t    *testing.T
	bin  string
	home string
	// state is the lab's state directory ($XDG_STATE_HOME/ecr-vpce-lab).
	state string
	// env is the process's whole environment; an empty value unsets.
	env map[string]string
}

func newIsolatedLab(t *testing.T) *isolatedLab {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{}
	for _, kv := range procEnv(home, "TMPDIR="+os.TempDir(), "NO_COLOR=1") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return &isolatedLab{t: t, bin: testtool.LabBinary(t), home: home, state: filepath.Join(home, "state", "ecr-vpce-lab"), env: env}
}

// procEnv is the environment of a lab program a test runs, then more
// (KEY=VALUE): a home of its own with its state under home/state, no
// instance metadata service, and no exit sleep of the race runtime
// (testtool.ProgramGORACE: races are still reported, and the exit status
// still says so).
func procEnv(home string, more ...string) []string {
	env := append([]string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8", "AWS_EC2_METADATA_DISABLED=true"}, testtool.ProgramGORACE()...)
	return append(env, more...)
}

func (l *isolatedLab) environ() []string {
	var env []string
	for k, v := range l.env {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	return env
}

// start runs a lab command to its end (bounded to 2 minutes) with stdin,
// writing its output to stdout and stderr (one writer: joined in order).
func (l *isolatedLab) start(stdin string, stdout, stderr io.Writer, args ...string) int {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.bin, args...)
	cmd.Env = l.environ()
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode()
	}
	l.t.Fatalf("%v: %v", args, err)
	return -1
}

// run runs a lab command with stdin.
func (l *isolatedLab) run(stdin string, args ...string) (code int, stdout, stderr string) {
	l.t.Helper()
	var out, errb bytes.Buffer
	code = l.start(stdin, &out, &errb, args...)
	return code, out.String(), errb.String()
}

// lab runs a lab command without stdin.
func (l *isolatedLab) lab(args ...string) (int, string, string) {
	l.t.Helper()
	return l.run("", args...)
}

// runJoined runs a lab command without stdin, its stdout and stderr joined
// in the order they were written, as a learner reads them.
func (l *isolatedLab) runJoined(args ...string) (int, string) {
	l.t.Helper()
	var out bytes.Buffer
	code := l.start("", &out, &out, args...)
	return code, out.String()
}

// ask starts a lab command in a pseudo-terminal cols wide (with TERM set,
// so it asks before it acts) and waits for its question, every text of
// question on the screen.
func (l *isolatedLab) ask(cols int, question []string, args ...string) *ptytest.Term {
	l.t.Helper()
	term, err := ptytest.Start(cols, 40, append(l.environ(), "TERM=xterm-256color"), l.bin, args...)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(term.Close)
	if s, err := term.WaitForText(30*time.Second, question...); err != nil {
		l.t.Fatalf("%v: no question:\n%s", args, s)
	}
	return term
}

// upState runs up --yes with flags and returns the run's state.
func (l *isolatedLab) upState(flags []string) steps.State {
	l.t.Helper()
	if code, out, errs := l.lab(append([]string{"up", "--yes"}, flags...)...); code != 0 {
		l.t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	return sandboxState(l.t, l.state)
}

// down runs down --yes with flags, and fails the test unless it exits 0.
func (l *isolatedLab) down(flags ...string) {
	l.t.Helper()
	if code, out, errs := l.lab(append([]string{"down", "--yes"}, flags...)...); code != 0 {
		l.t.Fatalf("down: exit %d\n%s%s", code, out, errs)
	}
}
