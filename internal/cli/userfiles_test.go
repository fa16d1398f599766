package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The repros for ~/.ecr_security: a dotfiles link stays a link and
// its target gets the user's bytes back exactly (no added newline); no file
// is left behind that was not there; a FIFO is refused before anything is
// created, instead of hanging 'up' after the security group.
func TestUpAndDownRespectTheUsersFile(t *testing.T) {
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	t.Run("link", func(t *testing.T) {
		home, _ := labHome(t)
		target := filepath.Join(home, "dotfiles", "ecr_security")
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			t.Fatal(err)
		}
		mine := "# mine\nexport FOO=bar" // no final newline
		if err := os.WriteFile(target, []byte(mine), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(home, ".ecr_security")
		if err := os.Symlink("dotfiles/ecr_security", link); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := lab(t, append([]string{"up", "--yes"}, fast...)...); code != 0 {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("~/.ecr_security is no longer a link: %v %v", fi.Mode(), err)
		}
		b, _ := os.ReadFile(target)
		if !strings.HasPrefix(string(b), mine+"\nexport VPCE_SG_ID=") || strings.Count(string(b), "# ecr-vpce-lab run=") != 5 {
			t.Fatalf("the link's target after up:\n%s", b)
		}
		if code, out, errs := lab(t, append([]string{"down", "--yes"}, fast...)...); code != 0 {
			t.Fatalf("down: exit %d\n%s%s", code, out, errs)
		}
		if b, _ := os.ReadFile(target); string(b) != mine {
			t.Fatalf("the user's bytes after down:\n%q\nwant\n%q", b, mine)
		}
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
			t.Fatalf("mode %v", fi.Mode().Perm())
		}
	})
	t.Run("none", func(t *testing.T) {
		home, _ := labHome(t)
		if code, out, errs := lab(t, append([]string{"up", "--yes"}, fast...)...); code != 0 {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := lab(t, append([]string{"down", "--yes"}, fast...)...); code != 0 {
			t.Fatalf("down: exit %d\n%s%s", code, out, errs)
		}
		if _, err := os.Lstat(filepath.Join(home, ".ecr_security")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("down left a ~/.ecr_security that was not there before: %v", err)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		home, state := labHome(t)
		fifo := filepath.Join(home, ".ecr_security")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("no FIFOs here: %v", err)
		}
		code, out, errs := runCLIWithin(t, 20*time.Second, "", append([]string{"up", "--yes"}, fast...)...)
		// A path the command refuses before anything is sent: exit 2.
		if code != 2 || !strings.Contains(errs, fifo+" is a named pipe (FIFO), not a regular file") || !strings.Contains(errs, "move that away") {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		if strings.Contains(out, "ECR_VPCE_SG") {
			t.Fatalf("up created the security group before refusing:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(state, "lab-sandbox.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a state file was left: %v", err)
		}
	})
	// A home where no file can be made (read-only; as root, only /proc is
	// that): up refused only after making the security group, at its
	// first save of the file.
	t.Run("unwritable home", func(t *testing.T) {
		if fi, err := os.Stat("/proc"); err != nil || !fi.IsDir() {
			t.Skip("no /proc here")
		}
		_, state := labHome(t)
		t.Setenv("HOME", "/proc")
		code, out, errs := runCLIWithin(t, 20*time.Second, "", append([]string{"up", "--yes"}, fast...)...)
		if code != 2 || !strings.Contains(errs, "cannot write /proc/.ecr_security: nothing can be created in /proc") || strings.Contains(out, "ECR_VPCE_SG") {
			t.Fatalf("up: exit %d, want 2 before anything is made\n%s%s", code, out, errs)
		}
		if _, err := os.Stat(filepath.Join(state, "lab-sandbox.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a state file was left: %v", err)
		}
	})
}
