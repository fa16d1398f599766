package cli

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// screenLogName is the file in the state directory that holds what the
// libraries said while the full-screen wizard (or fleet view) owned the
// terminal.
const screenLogName = "wizard-messages.log"

// screenLog is where the lab's libraries write on their own: the AWS SDK's
// warnings and the in-process sandbox's server errors. It is the command's
// stderr, except while the full-screen wizard owns the terminal: a line
// written there then would sit on top of the screen, unknown to its
// renderer, until the next full repaint. Meanwhile the lines go to a file
// in the state directory, which the exit note names.
type screenLog struct {
	mu sync.Mutex
	// screen names the full-screen program, for the note.
	screen   string
	stderr   io.Writer
	path     string
	diverted bool
	file     *os.File
	// lines counts the lines the file got since the last restore.
	lines int
}

func newScreenLog(screen string, stderr io.Writer, stateDir string) *screenLog {
	return &screenLog{screen: screen, stderr: stderr, path: filepath.Join(stateDir, screenLogName)}
}

func (l *screenLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.diverted {
		return l.stderr.Write(p)
	}
	if l.file == nil {
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			// Nowhere else is safe while the screen is up: the line is
			// dropped rather than drawn over the wizard.
			return len(p), nil
		}
		l.file = f
	}
	l.lines += max(1, bytes.Count(p, []byte("\n")))
	_, _ = l.file.Write(p)
	return len(p), nil
}

// divert sends the lines to the file until restore.
func (l *screenLog) divert() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.diverted = true
}

// restore sends the lines to stderr again, and returns a note naming the
// file if any line went there meanwhile ("" if none did).
func (l *screenLog) restore() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.diverted = false
	if l.file != nil {
		_ = l.file.Close()
		l.file = nil
	}
	n := l.lines
	l.lines = 0
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s from the AWS SDK or the sandbox came while %s ran: see %s", plural(n, "message"), l.screen, l.path)
}

// writer is where the libraries write: l, or, for the headless commands
// (no screenLog), which own their stderr, the process's stderr as before.
func (l *screenLog) writer() io.Writer {
	if l != nil {
		return l
	}
	return os.Stderr
}

// processStdio is what a credential_process gets at a run: the terminal
// before and after the full-screen program; while it runs, no stdin (the
// keys are the program's) and the file for its stderr.
func (l *screenLog) processStdio() (io.Reader, io.Writer) {
	if l == nil {
		return os.Stdin, os.Stderr
	}
	l.mu.Lock()
	diverted := l.diverted
	l.mu.Unlock()
	if diverted {
		return nil, l
	}
	return os.Stdin, os.Stderr
}

// messages is where the libraries of a lab opened with f write.
func (f *labFlags) messages() io.Writer { return f.msgs.writer() }

// sandboxLogger is an in-process sandbox's logger: its warnings and errors
// (net/http's among them), not its per-request debug lines, to w.
func sandboxLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
