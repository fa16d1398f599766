package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"ecr-vpce-lab/internal/boundedread"
)

// servingFile announces a running sandbox in its state directory, so a lab
// command started without the sandbox's exports in its environment can still
// find it (and not start a second one on the same world). It lives only
// while the process holds the world's lock.
const servingFile = "serving.json"

// maxServingBytes bounds what Running reads of serving.json (a few lines).
const maxServingBytes = 64 << 10

type serving struct {
	PID int      `json:"pid"`
	Env []EnvVar `json:"env"`
	// View is what the tool sees from the world's workspace.
	View *View `json:"view,omitempty"`
}

func (s *Sandbox) writeServing() error {
	v := s.View()
	b, err := json.MarshalIndent(serving{PID: os.Getpid(), Env: s.Env(), View: &v}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.opts.StateDir, servingFile), b, 0o600)
}

// Running returns the environment of the sandbox serving the world in dir,
// and its process ID. It fails with fs.ErrNotExist when no sandbox serves it
// (including one that was killed and left its announcement behind).
func Running(dir string) ([]EnvVar, int, error) {
	sv, err := running(dir)
	return sv.Env, sv.PID, err
}

// RunningView returns what the tool sees from the workspace of the world the
// sandbox serving dir serves (fs.ErrNotExist when none serves it).
func RunningView(dir string) (View, error) {
	sv, err := running(dir)
	if err != nil {
		return View{}, err
	}
	if sv.View == nil {
		return View{World: DefaultWorld, Credentials: CredentialsInstanceRole}, nil
	}
	return *sv.View, nil
}

func running(dir string) (serving, error) {
	if _, err := os.Stat(dir); err != nil {
		return serving{}, fs.ErrNotExist
	}
	lock, err := lockWorld(dir)
	if err == nil {
		// Nobody holds the world: any announcement is stale.
		_ = os.Remove(filepath.Join(dir, servingFile))
		_ = lock.release()
		return serving{}, fs.ErrNotExist
	}
	var le *LockedError
	if !errors.As(err, &le) {
		return serving{}, err
	}
	b, err := boundedread.File(filepath.Join(dir, servingFile), maxServingBytes)
	if err != nil {
		return serving{PID: le.PID}, err
	}
	var sv serving
	if err := json.Unmarshal(b, &sv); err != nil {
		return serving{PID: le.PID}, fmt.Errorf("%s is damaged: %w", filepath.Join(dir, servingFile), err)
	}
	return sv, nil
}
