package boundedread

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := File(p, 10); err != nil || string(b) != "0123456789" {
		t.Fatalf("at the limit: %q %v", b, err)
	}
	_, err := File(p, 9)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 9 || !strings.Contains(err.Error(), "larger than 9 bytes") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := File(filepath.Join(dir, "missing"), 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	var nr *NotRegularError
	if _, err := File(dir, 10); !errors.As(err, &nr) || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("directory: %v", err)
	}
}

// A device that never ends and a pipe nobody writes to are refused at
// once, before a byte is read.
func TestFileRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	for _, c := range []struct{ path, kind string }{
		{"/dev/zero", "a character device"},
		{"/dev/null", "a character device"},
		{fifo, "a named pipe (FIFO)"},
	} {
		done := make(chan error, 1)
		go func() { _, err := File(c.path, 1<<20); done <- err }()
		select {
		case err := <-done:
			var nr *NotRegularError
			if !errors.As(err, &nr) || !strings.Contains(err.Error(), c.path+" is "+c.kind+", not a regular file") {
				t.Errorf("%s: %v", c.path, err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: still reading after 2s", c.path)
		}
		if err := Check(c.path); err == nil || !strings.Contains(err.Error(), c.kind) {
			t.Errorf("Check(%s): %v", c.path, err)
		}
	}
}

func TestStream(t *testing.T) {
	if b, err := Stream(strings.NewReader("abc"), "standard input", 3); err != nil || string(b) != "abc" {
		t.Fatalf("%q %v", b, err)
	}
	_, err := Stream(bytes.NewReader(make([]byte, 2<<20)), "standard input", 1<<20)
	if err == nil || err.Error() != "standard input is larger than 1 MiB, the most ecr-vpce-lab reads from it" {
		t.Fatalf("%v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 1000: "1000 bytes", 3 << 19: "1536 KiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
