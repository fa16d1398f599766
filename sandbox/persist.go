package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"ecr-vpce-lab/internal/atomicfile"
	"ecr-vpce-lab/internal/boundedread"
)

const (
	stateFile  = "state.json"
	lockFile   = "lock"
	uploadsDir = "uploads"
)

// ErrLocked is returned (wrapped in a *LockedError) when another process
// serves the world of a state directory.
var ErrLocked = errors.New("sandbox world is locked")

// LockedError says which process holds a world.
type LockedError struct {
	Dir string
	PID int // 0 when unknown
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("the sandbox world in %s is already served by process %d (stop it, or use another --state-dir)", e.Dir, e.PID)
	}
	return fmt.Sprintf("the sandbox world in %s is already served by another process", e.Dir)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// HoldsWorld reports whether dir holds a saved world itself (rather than,
// say, a directory that has one in a folder of its own).
func HoldsWorld(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, stateFile))
	return err == nil && fi.Mode().IsRegular()
}

// writeFileAtomic writes data so readers see the old or the new content.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}

// DefaultMaxWorldBytes bounds the saved world (state.json), read and
// written alike: a world the sandbox saved, it can always read back.
const DefaultMaxWorldBytes = 64 << 20

// UnreadableWorldError: the saved world cannot be served, and a fresh one
// (--reset, of the sandbox command) in its place is a way out.
type UnreadableWorldError struct {
	Problem string
	// Fix is the way out with the sandbox command's flags.
	Fix string
}

func (e *UnreadableWorldError) Error() string { return e.Problem + "; " + e.Fix }

// loadWorld reads DIR/state.json; (nil, nil) when there is none.
func loadWorld(dir string, limit int64) (*world, error) {
	path := filepath.Join(dir, stateFile)
	b, err := boundedread.File(path, limit)
	var nr *boundedread.NotRegularError
	var tl *boundedread.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.As(err, &nr):
		return nil, &UnreadableWorldError{Problem: "the sandbox's world: " + err.Error(), Fix: "move it away, or start a fresh world with --reset"}
	case errors.As(err, &tl):
		return nil, &UnreadableWorldError{Problem: "the sandbox's world: " + err.Error(), Fix: "start a fresh world with --reset, or use another --state-dir"}
	case err != nil:
		return nil, err
	}
	w, err := decodeWorld(b)
	if err != nil {
		return nil, &UnreadableWorldError{Problem: fmt.Sprintf("%s is damaged (%v)", path, err), Fix: "start a fresh world with --reset"}
	}
	if w.Version > worldVersion {
		// Never suggest --reset here: it would delete a world a newer
		// release still serves.
		return nil, fmt.Errorf("%s was written by a newer ecr-vpce-lab (format %d; this one reads %d); upgrade, or use --state-dir elsewhere", path, w.Version, worldVersion)
	}
	if w.Version != worldVersion {
		return nil, &UnreadableWorldError{Problem: fmt.Sprintf("%s has format version %d, this build reads %d", path, w.Version, worldVersion), Fix: "start a fresh world with --reset"}
	}
	w.ensureRoleCredentials()
	w.ensureOtherCredentials()
	return w, nil
}

// resetWorld removes the saved world and its blobs.
func resetWorld(dir string) error {
	if err := os.Remove(filepath.Join(dir, stateFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, uploadsDir)); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, "blobs"))
}
