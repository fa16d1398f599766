// Package screens drives the built binary on a sandbox in a pseudo-terminal
// and captures the wizard's screens that the README shows: the policy editor
// with its simulation, the endpoints becoming available, the DNS panel and
// the refused push. tools/screenshots renders them to PNG; the test here
// checks that the committed screens still match what the program draws.
package screens

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"ecr-vpce-lab/internal/ptytest"
)

// Shot is one captured screen.
type Shot struct {
	Name string
	// ANSI is the screen with its colours, for rendering.
	ANSI string
	// Text is the plain screen.
	Text string
}

// Size of the captured terminal: the wide layout, as a facilitator's
// projector shows it.
const (
	Width  = 120
	Height = 36
)

// Capture walks the lab in bin (the built ecr-vpce-lab) against a sandbox it
// starts in scratch, and returns the shots in order.
func Capture(ctx context.Context, bin, scratch string) ([]Shot, error) {
	home := filepath.Join(scratch, "home")
	state := filepath.Join(scratch, "state")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	env := []string{
		"HOME=" + home, "XDG_STATE_HOME=" + state,
		"PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "COLORTERM=truecolor", "LANG=C.UTF-8",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if g, ok := os.LookupEnv("GORACE"); ok {
		// The tests' own setting (testtool.Main): a -race program then
		// exits without sleeping a second first.
		env = append(env, "GORACE="+g)
	}
	// The sandbox serves on its own; the wizard finds it through the state
	// directory. Its endpoints stay pending and its DNS public until the
	// walk moves the sandbox's clock past them (advance), so each is caught
	// however slowly the machine draws, and nobody waits for it in real
	// time. The rest of the life cycle is instant.
	stateDir := filepath.Join(state, "ecr-vpce-lab")
	sb := exec.CommandContext(ctx, bin, "sandbox", "--state-dir", stateDir, "--timing", "instant",
		"--endpoint-available-after", lifecycleStep.String(), "--dns-switch-after", lifecycleStep.String())
	sb.Env = env
	out, err := sb.StdoutPipe()
	if err != nil {
		return nil, err
	}
	sb.Stderr = io.Discard
	if err := sb.Start(); err != nil {
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	defer func() {
		_ = sb.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = sb.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = sb.Process.Kill()
		}
	}()
	if err := waitServing(out, 20*time.Second); err != nil {
		return nil, err
	}

	term, err := ptytest.Start(Width, Height, env, bin, "--sandbox", "--state-dir", stateDir)
	if err != nil {
		return nil, err
	}
	defer term.Close()
	w := &walker{term: term, advance: func() error {
		c := exec.CommandContext(ctx, bin, "sandbox", "clock", "+"+lifecycleStep.String(), "--state-dir", stateDir)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("move the sandbox's clock: %v\n%s", err, out)
		}
		return nil
	}}
	w.expect(nil, "1 · Preflight", "Press Enter")
	w.expect([]string{ptytest.Enter}, "Credentials and region", "Press Enter to continue")
	w.expect([]string{ptytest.Enter}, "2 · Workspace")
	w.expect([]string{ptytest.Enter}, "3 · Security group")
	w.expect([]string{ptytest.Enter}, "created", "Press Enter to continue")
	w.expect([]string{ptytest.Enter}, "4 · Ingress rule")
	w.expect([]string{ptytest.Enter}, "ingress rule tcp/443", "created", "Press Enter to continue")
	w.expect([]string{ptytest.Enter}, "5 · Endpoint policy", "Deny (DenyPutImage)", "Policy JSON")
	w.shoot("policy-editor")
	w.expect([]string{ptytest.Enter, ptytest.Enter, ptytest.Enter}, "6 · Endpoints", "Press Enter to create")
	// The cost line counts the interface endpoints once both are on
	// record: a shot taken as soon as one line read pending showed "1
	// interface endpoint" on a loaded machine.
	w.expect([]string{ptytest.Enter}, "ecr.dkr interface endpoint", "pending", "s3 gateway endpoint", "available", "2 interface endpoints, billed per zone")
	w.shoot("endpoints-pending")
	w.tick()
	w.expect(nil, "Press Enter to continue")
	w.expect([]string{ptytest.Enter}, "7 · Private DNS")
	w.expect([]string{ptytest.Enter}, "public", "api.ecr.us-west-2.amazonaws.com", "next look in")
	w.shoot("dns-public")
	w.tick()
	w.expect(nil, "7 · Private DNS", "private", "Press Enter to continue")
	w.expect([]string{ptytest.Enter}, "8 · Push test", "Press Enter to run the test")
	// The step is over when the action line asks for Enter (a shot taken
	// while the push test still read "working" failed on a loaded machine).
	w.expect([]string{ptytest.Enter}, "push denied", "AWS refused ecr:PutImage", "Press Enter to continue")
	w.shoot("push-denied")
	w.expect([]string{"T"}, "Tear down everything?")
	w.expect([]string{"y"}, "Nothing left")
	w.expect([]string{ptytest.Enter})
	if w.err != nil {
		return nil, w.err
	}
	if err := term.Wait(20 * time.Second); err != nil {
		return nil, fmt.Errorf("the wizard did not exit: %w", err)
	}
	return w.shots, nil
}

// waitServing reads the sandbox's output until it says it is serving.
func waitServing(r io.Reader, timeout time.Duration) error {
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "serving") {
				found <- true
				_, _ = io.Copy(io.Discard, r)
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			return fmt.Errorf("the sandbox stopped before serving")
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("the sandbox did not start within %s", timeout)
	}
}

// lifecycleStep is how long the sandbox keeps an endpoint pending, and
// then its DNS public: one move of its clock each. Short enough that the
// header's time left keeps its form (3h50m, as with 4h), long enough that
// no real wait ends it.
const lifecycleStep = 5 * time.Minute

// walker sends keys and waits for text, remembering the first failure.
type walker struct {
	term  *ptytest.Term
	shots []Shot
	err   error
	// advance moves the sandbox's clock by lifecycleStep.
	advance func() error
}

// tick moves the sandbox's clock on to the next stage of the life cycle.
func (w *walker) tick() {
	if w.err == nil {
		w.err = w.advance()
	}
}

func (w *walker) expect(keys []string, want ...string) {
	if w.err != nil {
		return
	}
	if err := w.term.Send(keys...); err != nil {
		w.err = err
		return
	}
	if len(want) == 0 {
		return
	}
	if screen, err := w.term.WaitForText(30*time.Second, want...); err != nil {
		w.err = fmt.Errorf("after %q: %w\n%s", keys, err, screen)
	}
}

func (w *walker) shoot(name string) {
	if w.err != nil {
		return
	}
	// Let the last frame land: the renderer coalesces updates.
	time.Sleep(150 * time.Millisecond)
	w.shots = append(w.shots, Shot{Name: name, ANSI: w.term.StyledScreen(), Text: w.term.Screen()})
}
