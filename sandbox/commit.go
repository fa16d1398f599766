package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"ecr-vpce-lab/internal/boundedread"
)

// The world is changed the way a database commits: a change is made to a
// copy, the copy is saved, and only then does it become the world every
// request sees. A change that fails, or whose save fails, leaves the world
// in memory and on disk as it was, so a client is never told of a change
// the sandbox has not kept, and a retry cannot succeed against memory alone.
//
// The world a request reads is never changed in place (every change is
// made to a copy), so readers take no lock: they load the current world and
// read it for as long as they like. Writers take turns (writeMu), and the
// slow part of a write, the fsync, holds up only other writers.

// ErrNotSaved is returned (wrapped in a *SaveError) when a change could not
// be saved and so was not made.
var ErrNotSaved = errors.New("the sandbox could not save its world")

// SaveError says where and why saving the world failed.
type SaveError struct {
	Path string
	Err  error
}

func (e *SaveError) Error() string {
	return fmt.Sprintf("the sandbox could not save its world to %s (%v), so the change was not made; free space there, or start the sandbox with another --state-dir, and retry", e.Path, e.Err)
}

func (e *SaveError) Unwrap() []error { return []error{ErrNotSaved, e.Err} }

// WorldTooLargeError refuses a change that would make the saved world
// larger than the sandbox reads back.
type WorldTooLargeError struct{ Limit int64 }

func (e *WorldTooLargeError) Error() string {
	return fmt.Sprintf("the change would make the sandbox's world larger than %s, the most it keeps; delete images or repositories you no longer need", boundedread.Size(e.Limit))
}

// read runs fn with the current world. fn must not change it.
func (s *Sandbox) read(fn func(*world)) { fn(s.cur.Load()) }

// update applies fn to a copy of the world and, when fn reports a change
// and no error, saves the copy and makes it the world. A failed save is a
// *SaveError and changes nothing.
func (s *Sandbox) update(fn func(w *world, now time.Time) (changed bool, err error)) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	w := s.cur.Load().clone()
	changed, err := fn(w, s.opts.Clock.Now())
	if err != nil || !changed {
		return err
	}
	return s.commit(w)
}

// mutate is update for changes that always change the world when they
// succeed.
func (s *Sandbox) mutate(fn func(*world, time.Time) error) error {
	return s.update(func(w *world, now time.Time) (bool, error) { return true, fn(w, now) })
}

// commit saves w and makes it the world (the caller holds writeMu, or has
// the sandbox to itself while starting).
func (s *Sandbox) commit(w *world) error {
	b, err := encodeWorld(w)
	if err != nil {
		return err
	}
	if int64(len(b)) > s.opts.maxWorldBytes {
		return &WorldTooLargeError{Limit: s.opts.maxWorldBytes}
	}
	if s.opts.StateDir != "" {
		path := filepath.Join(s.opts.StateDir, stateFile)
		if err := s.writeState(path, b); err != nil {
			s.opts.Logger.Warn("sandbox: saving the world failed; the change was not made", "err", err)
			return &SaveError{Path: path, Err: err}
		}
	}
	s.cur.Store(w)
	if s.hub != nil {
		s.hub.wakeScheduler()
	}
	return nil
}

// writeState writes the saved world; tests replace it to fail like a full
// disk does.
func (s *Sandbox) writeState(path string, b []byte) error {
	if s.writeFile != nil {
		return s.writeFile(path, b, 0o600)
	}
	return writeFileAtomic(path, b, 0o600)
}

// encodeWorld is the saved form of w. It is compact JSON: every change
// encodes the whole world, so indenting it would add a pass over the text
// for a file no one edits by hand (a world saved indented still reads).
func encodeWorld(w *world) ([]byte, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeWorld reads a saved world.
func decodeWorld(b []byte) (*world, error) {
	var w world
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w.Tags == nil {
		w.Tags = map[string][]tag{}
	}
	if w.ClientTokens == nil {
		w.ClientTokens = map[string]token{}
	}
	return &w, nil
}
