package steps

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

	"ecr-vpce-lab/internal/boundedread"
)

// A dotfiles manager keeps ~/.ecr_security as a link: the link stays a
// link, its target is written (atomically, in the target's directory), and
// the user's bytes come back exactly, missing final newline included.
func TestEnvFileWritesThroughALink(t *testing.T) {
	home := t.TempDir()
	dots := filepath.Join(home, "dotfiles")
	if err := os.Mkdir(dots, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dots, "ecr_security")
	mine := "# mine\nexport FOO=bar" // no final newline
	if err := os.WriteFile(target, []byte(mine), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(home, ".ecr_security")
	if err := os.Symlink("dotfiles/ecr_security", link); err != nil {
		t.Fatal(err)
	}
	f := EnvFile{Path: link, Home: home}
	w, err := f.Set("r1", map[string]string{VarSecurityGroup: "sg-1", VarRule: "sgr-1"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Created || !w.Target.Link || w.Target.Outside || w.Target.Path != target {
		t.Fatalf("Set = %+v", w)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(target)
	want := mine + "\nexport VPCE_SG_ID=sg-1 # ecr-vpce-lab run=r1\nexport SG_RULE_ID=sgr-1 # ecr-vpce-lab run=r1"
	if string(b) != want {
		t.Fatalf("target:\n%q\nwant\n%q", b, want)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if n, err := f.RemoveVars("r1", VarRule); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	if n, err := f.Remove("r1"); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	if b, _ := os.ReadFile(target); string(b) != mine {
		t.Fatalf("after Remove:\n%q\nwant\n%q", b, mine)
	}
	if left, _ := filepath.Glob(filepath.Join(dots, ".*tmp*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// A link out of the home directory is followed, and said.
	outside := filepath.Join(t.TempDir(), "shared_ecr_security")
	if err := os.WriteFile(outside, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	w, err = f.Set("r1", map[string]string{VarDKR: "vpce-1"})
	if err != nil || !w.Target.Outside || w.Target.Path != outside {
		t.Fatalf("outside: %+v %v", w, err)
	}
}

// The lab leaves no file that was not there: one it created goes when its
// lines go, unless the user added to it; one that was there stays, even
// empty.
func TestEnvFileLeavesNoFileBehind(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".ecr_security")
	f := EnvFile{Path: p}
	w, err := f.Set("r1", map[string]string{VarSecurityGroup: "sg-1"})
	if err != nil || !w.Created {
		t.Fatalf("%+v %v", w, err)
	}
	f.CreatedByLab = true
	if _, err := f.Remove("r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the file the lab created is still there: %v", err)
	}
	// The user wrote to it meanwhile: kept.
	if _, err := f.Set("r1", map[string]string{VarSecurityGroup: "sg-1"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append([]byte("alias k=kubectl\n"), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Remove("r1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "alias k=kubectl\n" {
		t.Fatalf("%q", b)
	}
	// An empty file that was there stays.
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	g := EnvFile{Path: p}
	if w, err := g.Set("r2", map[string]string{VarS3: "vpce-s3"}); err != nil || w.Created {
		t.Fatalf("%+v %v", w, err)
	}
	if _, err := g.Remove("r2"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() != 0 {
		t.Fatalf("the user's empty file: %v %v", fi, err)
	}
}

// A pipe or a device at ~/.ecr_security is refused at once, with what to
// do, and nothing waits on it.
func TestEnvFileRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, ".ecr_security")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("/dev/null", link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, says string }{
		{fifo, fifo + " is a named pipe (FIFO), not a regular file"},
		{link, link + " (a link to /dev/null) is a character device, not a regular file"},
	} {
		f := EnvFile{Path: c.path}
		done := make(chan error, 1)
		go func() { _, err := f.Set("r1", map[string]string{VarSecurityGroup: "sg-1"}); done <- err }()
		var err error
		select {
		case err = <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: Set still waiting after 2s", c.path)
		}
		var ee *EnvFileError
		var nr *boundedread.NotRegularError
		if !errors.As(err, &ee) || !errors.As(err, &nr) || err.Error() != c.says || !strings.Contains(ee.Fix(), "move that away") {
			t.Fatalf("%s: %v", c.path, err)
		}
		if err := f.Check(); err == nil || err.Error() != c.says {
			t.Fatalf("Check(%s) = %v", c.path, err)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", err)
	}
}

// FuzzEnvFileKeepsTheUsersBytes: whatever the user's file holds, the lab's
// lines added, changed and removed again give back exactly its bytes; no
// file at all gives back no file.
func FuzzEnvFileKeepsTheUsersBytes(f *testing.F) {
	for _, s := range []string{"", "export A=1\n# c\n", "no newline at the end", "\n\n", "a\r\nb\r\n", "export VPCE_SG_ID=mine", "\x00\xff\n"} {
		f.Add(s, true)
	}
	f.Add("", false)
	f.Fuzz(func(t *testing.T, content string, exists bool) {
		if strings.Contains(content, strings.TrimSpace(envMarker)) {
			t.Skip("holds a line that looks like the lab's own")
		}
		p := filepath.Join(t.TempDir(), ".ecr_security")
		if !exists {
			content = ""
		}
		if exists {
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ef := EnvFile{Path: p}
		w, err := ef.Set("fz", map[string]string{VarSecurityGroup: "sg-1", VarRule: "sgr-1"})
		if err != nil {
			t.Fatal(err)
		}
		ef.CreatedByLab = w.Created
		if _, err := ef.Set("fz", map[string]string{VarDKR: "vpce-1", VarSecurityGroup: "sg-2"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := ef.Ours("fz"); len(got) != 3 || got[VarSecurityGroup] != "sg-2" {
			t.Fatalf("Ours = %v", got)
		}
		// The user's bytes are all there, first, untouched.
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, []byte(content)) {
			t.Fatalf("the user's bytes changed:\n%q\n%q", content, b)
		}
		if n, err := ef.RemoveVars("fz", VarRule); n != 1 || err != nil {
			t.Fatal(n, err)
		}
		if n, err := ef.Remove("fz"); n != 2 || err != nil {
			t.Fatal(n, err)
		}
		b, err = os.ReadFile(p)
		if !exists {
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a file was left behind: %q %v", b, err)
			}
			return
		}
		if string(b) != content {
			t.Fatalf("after the round trip:\n%q\nwant\n%q", b, content)
		}
	})
}
