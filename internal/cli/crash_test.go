package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/creack/pty"
	"github.com/spf13/cobra"
)

// crashingModel panics where it is told to: in Update, View, a command, a
// batched command or a sequenced one.
type crashingModel struct{ where string }

func boom() tea.Msg { panic("boom in a command") }

func (m crashingModel) Init() tea.Cmd {
	switch m.where {
	case "cmd":
		return boom
	case "batch":
		return tea.Batch(func() tea.Msg { return nil }, boom)
	case "sequence":
		return tea.Sequence(func() tea.Msg { return nil }, boom)
	}
	return func() tea.Msg { return "go" }
}

func (m crashingModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if msg == "go" && m.where == "update" {
		var list []int
		_ = list[3] // a runtime error, as a real bug would be
	}
	if msg == "go" && m.where == "view" {
		return crashingModel{where: "view now"}, nil
	}
	return m, nil
}

func (m crashingModel) View() tea.View {
	if m.where == "view now" {
		panic("boom in View")
	}
	v := tea.NewView("the wizard, full screen")
	v.AltScreen = true
	return v
}

// A panic anywhere in the wizard comes back as a panic, with its stack,
// after Bubble Tea has restored the terminal: never as a normal exit.
func TestWizardPanicIsACrash(t *testing.T) {
	for _, where := range []string{"update", "view", "cmd", "batch", "sequence"} {
		t.Run(where, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80})
			var mu sync.Mutex
			var screen bytes.Buffer
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := ptmx.Read(buf)
					mu.Lock()
					screen.Write(buf[:n])
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err = runProgram(ctx, crashingModel{where: where}, tty, tty)
			var pe *panicError
			if !errors.As(err, &pe) {
				t.Fatalf("runProgram = %v, want the panic", err)
			}
			if !strings.Contains(string(pe.stack), "crashingModel") && !strings.Contains(string(pe.stack), "cli.boom") {
				t.Errorf("the stack does not show where it crashed:\n%s", pe.stack)
			}
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			out := screen.String()
			mu.Unlock()
			// Whatever was entered is left: alternate screen, hidden cursor.
			if strings.Contains(out, "\x1b[?1049h") && !strings.Contains(out[strings.LastIndex(out, "\x1b[?1049h"):], "\x1b[?1049l") {
				t.Errorf("the alternate screen was not left:\n%q", out)
			}
			if strings.Contains(out, "\x1b[?25l") && !strings.Contains(out[strings.LastIndex(out, "\x1b[?25l"):], "\x1b[?25h") {
				t.Errorf("the cursor was not shown again:\n%q", out)
			}
		})
	}
}

// A panic in a command, or one the wizard hands back, ends the program
// with one line on standard error naming the crash report, written in the
// state directory with the stack, and exit status 70.
func TestPanicWritesACrashReport(t *testing.T) {
	for _, how := range []string{"panics", "wizard"} {
		t.Run(how, func(t *testing.T) {
			_, state := labHome(t)
			root := newRootCmd()
			var sd string
			crash := &cobra.Command{Use: "crash", RunE: func(*cobra.Command, []string) error {
				if how == "wizard" {
					return &panicError{value: "boom in the wizard", stack: []byte("goroutine 1 [running]:\nui.(*Model).Update\n")}
				}
				var m map[string]int
				m["x"]++ // assignment to a nil map: a real runtime panic
				return nil
			}}
			crash.Flags().StringVar(&sd, "state-dir", "", "")
			root.AddCommand(crash)
			dir := filepath.Join(t.TempDir(), "my-state")
			var out, errb bytes.Buffer
			code := execute(context.Background(), root, []string{"crash", "--state-dir", dir}, strings.NewReader(""), &out, &errb)
			lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
			if code != 70 || len(lines) != 1 || !strings.Contains(lines[0], "ecr-vpce-lab crashed (panic: ") || !strings.Contains(lines[0], "the crash report, with the stack, is in "+dir+"/crash-") {
				t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
			}
			path := lines[0][strings.Index(lines[0], dir):]
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := "cli.TestPanicWritesACrashReport"
			if how == "wizard" {
				want = "ui.(*Model).Update"
			}
			if !strings.Contains(string(b), "goroutine ") || !strings.Contains(string(b), want) || !strings.Contains(string(b), "command:  ecr-vpce-lab crash --state-dir") {
				t.Fatalf("crash report:\n%s", b)
			}
			if _, err := os.Stat(state); err == nil {
				if entries, _ := os.ReadDir(state); len(entries) > 0 {
					t.Errorf("the report went to the default state directory too")
				}
			}
			_ = io.Discard
		})
	}
}
