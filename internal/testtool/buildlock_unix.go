//go:build unix

package testtool

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
)

// lockBuilds waits for this module's other test processes to finish
// building a program (buildRace) and returns the function that lets the
// next one go. The lock is a flock on a file in the temp directory named
// after the module's directory, so the suites of other checkouts do not
// wait on it. Without the lock file the build goes ahead unlocked.
func lockBuilds() (unlock func()) {
	f, err := os.OpenFile(buildLockPath(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return func() {}
	}
	// Closing the file releases the lock.
	return func() { _ = f.Close() }
}

// buildLockPath is the lock file of the module around the working
// directory (a test process runs in its package's directory).
func buildLockPath() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(os.TempDir(), "ecr-vpce-lab-build-"+hex.EncodeToString(sum[:8])+".lock")
}
