// Package boundedread is the one way the tool reads a file or a stream it
// is handed (a policy, the state file, ~/.ecr_security, the sandbox's
// world): never more than a stated limit, and never from a named pipe or a
// device, which can block forever or never end (/dev/zero). Both refusals
// are errors that name the file and the limit, so the user knows what to do.
package boundedread

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// TooLargeError is input longer than its limit.
type TooLargeError struct {
	Name  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the most ecr-vpce-lab reads from it", e.Name, Size(e.Limit))
}

// NotRegularError is a path that names something other than a regular file.
type NotRegularError struct {
	Name string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Name, Kind(e.Mode))
}

// Kind names a file's type in words ("a named pipe (FIFO)").
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

// Size writes a limit the way people say it: 1 MiB, 64 KiB, 512 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// File reads the regular file at path, at most limit bytes. A missing file
// is the *fs.PathError os.Open gives (errors.Is fs.ErrNotExist); a named
// pipe, device, socket or directory is a *NotRegularError, found before a
// byte is read and without blocking; a longer file is a *TooLargeError.
func File(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Name: path, Mode: fi.Mode()}
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Name: path, Limit: limit}
	}
	return read(f, path, limit)
}

// Check reports whether path could be read by File: nil for a regular file,
// the *fs.PathError of a missing one, a *NotRegularError otherwise. It
// follows symbolic links and never opens the file.
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Name: path, Mode: fi.Mode()}
	}
	return nil
}

// Stream reads r to its end, at most limit bytes; name says what r is in
// the error ("standard input").
func Stream(r io.Reader, name string, limit int64) ([]byte, error) {
	return read(r, name, limit)
}

func read(r io.Reader, name string, limit int64) ([]byte, error) {
	// One byte past the limit tells "exactly the limit" from "more".
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return b, nil
}
