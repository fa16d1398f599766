// Package ptytest runs a program in a pseudo-terminal and reads its screen
// through a terminal emulator, so tests (and the screenshot tool) see exactly
// what a person would.
package ptytest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// Term is a program running in a pseudo-terminal of a fixed size.
type Term struct {
	cmd  *exec.Cmd
	ptmx *os.File
	emu  *vt.SafeEmulator
	done chan struct{}
	// drained is closed once everything the program wrote is in the
	// emulator (its side of the terminal closed and the reads hit its end).
	drained chan struct{}

	mu      sync.Mutex
	exitErr error
	exited  bool
}

// Key sequences as a terminal sends them.
const (
	Enter     = "\r"
	Esc       = "\x1b"
	Tab       = "\t"
	Up        = "\x1b[A"
	Down      = "\x1b[B"
	Right     = "\x1b[C"
	Left      = "\x1b[D"
	Backspace = "\x7f"
	End       = "\x1b[F"
	CtrlC     = "\x03"
	CtrlS     = "\x13"
	Space     = " "
)

// Start runs name with args in a width×height terminal. env replaces the
// environment entirely (pass os.Environ() plus overrides to extend it).
func Start(width, height int, env []string, name string, args ...string) (*Term, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(width), Rows: uint16(height)})
	if err != nil {
		return nil, fmt.Errorf("start %s in a pty: %w", name, err)
	}
	t := &Term{cmd: cmd, ptmx: ptmx, emu: vt.NewSafeEmulator(width, height), done: make(chan struct{}), drained: make(chan struct{})}
	// Program output → emulator.
	go func() {
		defer close(t.drained)
		_, _ = io.Copy(t.emu, ptmx)
	}()
	// Emulator replies (answers to the program's terminal queries) → program.
	// Without this, programs that ask for the background colour or cursor
	// position wait for answers that never come.
	go func() {
		_, _ = io.Copy(ptmx, t.emu)
	}()
	go func() {
		err := cmd.Wait()
		t.mu.Lock()
		t.exitErr, t.exited = err, true
		t.mu.Unlock()
		close(t.done)
	}()
	return t, nil
}

// Send types raw input: text or the key constants above.
func (t *Term) Send(keys ...string) error {
	for _, k := range keys {
		if _, err := io.WriteString(t.ptmx, k); err != nil {
			return err
		}
		// Keys sent in one write can be read as one paste; a short gap makes
		// each one its own key press, as a person's would be.
		time.Sleep(15 * time.Millisecond)
	}
	return nil
}

// Screen is the current screen as plain text, one line per row, trailing
// spaces trimmed.
func (t *Term) Screen() string {
	lines := strings.Split(ansi.Strip(t.emu.Render()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// StyledScreen is the current screen with its colours as ANSI sequences.
func (t *Term) StyledScreen() string { return t.emu.Render() }

// WaitFor polls the screen until cond holds or the timeout passes, and
// returns the last screen either way.
func (t *Term) WaitFor(timeout time.Duration, cond func(screen string) bool) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		s := t.Screen()
		if cond(s) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("timed out after %s waiting for the screen", timeout)
		}
		select {
		case <-t.done:
			// One last look, once the program's last output is on the
			// screen: on a loaded machine it can still be on its way
			// after the program has exited.
			select {
			case <-t.drained:
			case <-time.After(5 * time.Second):
			}
			if s := t.Screen(); cond(s) {
				return s, nil
			}
			return t.Screen(), errors.New("the program exited while waiting for the screen")
		case <-time.After(40 * time.Millisecond):
		}
	}
}

// WaitForText waits until the screen contains every one of texts.
func (t *Term) WaitForText(timeout time.Duration, texts ...string) (string, error) {
	s, err := t.WaitFor(timeout, func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return s, fmt.Errorf("%w: wanted %q", err, texts)
	}
	return s, nil
}

// Wait waits for the program to exit and returns its error.
func (t *Term) Wait(timeout time.Duration) error {
	select {
	case <-t.done:
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.exitErr
	case <-time.After(timeout):
		return fmt.Errorf("the program did not exit within %s", timeout)
	}
}

// Pid is the program's process ID.
func (t *Term) Pid() int { return t.cmd.Process.Pid }

// Close kills the program if it still runs and releases the terminal.
func (t *Term) Close() {
	t.mu.Lock()
	exited := t.exited
	t.mu.Unlock()
	if !exited && t.cmd.Process != nil {
		_ = t.cmd.Process.Kill()
		<-t.done
	}
	_ = t.ptmx.Close()
	// Close the emulator's input pipe, not the emulator: its reader goroutine
	// then ends, and a late write from the program cannot panic.
	if c, ok := t.emu.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
}
