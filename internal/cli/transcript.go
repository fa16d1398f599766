package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"ecr-vpce-lab/internal/boundedread"
	"ecr-vpce-lab/steps"
)

// transcriptFile is --transcript, opened before the lab starts so that a
// path that cannot be written stops the command before anything is
// created, not after. The script is written at the end.
type transcriptFile struct {
	// mu: a signal's quick exit may write while the command does.
	mu   sync.Mutex
	path string
	f    *os.File
	// created: the file did not exist, so a command that ends before
	// writing it removes it again.
	created bool
	regular bool
	written bool
}

// openTranscript opens path for the transcript ("" means none). A pipe
// with no reader is refused at once instead of blocking, as are
// directories; a device (/dev/stdout) is written as it is.
func openTranscript(path string) (*transcriptFile, error) {
	if path == "" {
		return nil, nil
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|syscall.O_NONBLOCK, 0o755)
	switch {
	case errors.Is(err, syscall.ENXIO):
		return nil, exitCode(2, "--transcript: %s is a named pipe (FIFO) that nothing reads: start its reader first, or give a file", path)
	case errors.Is(err, syscall.EISDIR):
		return nil, exitCode(2, "--transcript: %s is a directory, not a regular file: give a file name in it", path)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, exitCode(2, "--transcript: cannot write %s: %v. Give a path in a directory you can write to", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, exitCode(2, "--transcript: %v", err)
	}
	if m := fi.Mode(); m&(fs.ModeSocket|fs.ModeDir) != 0 {
		_ = f.Close()
		return nil, exitCode(2, "--transcript: %v: give a file", &boundedread.NotRegularError{Name: path, Mode: m})
	}
	return &transcriptFile{path: path, f: f, created: errors.Is(statErr, fs.ErrNotExist), regular: fi.Mode().IsRegular()}, nil
}

// write replaces the file's content with tr's script and says so.
func (t *transcriptFile) write(tr *steps.Transcript, title string) (string, error) {
	if t == nil || tr == nil {
		return "", nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return "", nil
	}
	script := []byte(tr.Script(title, time.Now()))
	if t.regular {
		if err := t.f.Truncate(0); err != nil {
			return "", fmt.Errorf("writing the transcript: %w", err)
		}
		if _, err := t.f.WriteAt(script, 0); err != nil {
			return "", fmt.Errorf("writing the transcript: %w", err)
		}
	} else if _, err := t.f.Write(script); err != nil {
		return "", fmt.Errorf("writing the transcript: %w", err)
	}
	t.written = true
	return fmt.Sprintf("transcript: %d commands written to %s", tr.Len(), t.path), nil
}

// close closes the file, and removes it when this command created it and
// never wrote it (it stopped before the lab opened).
func (t *transcriptFile) close() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return
	}
	_ = t.f.Close()
	t.f = nil
	if t.created && !t.written {
		_ = os.Remove(t.path)
	}
}
