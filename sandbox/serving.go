package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	// Control is the sandbox's own control address and its token
	// (clock.go).
	Control *control `json:"control,omitempty"`
}

type control struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

func (s *Sandbox) writeServing() error {
	v := s.View()
	b, err := json.MarshalIndent(serving{PID: os.Getpid(), Env: s.Env(), View: &v, Control: &control{URL: s.apiURL + clockPath, Token: s.controlToken}}, "", "  ")
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

// AdvanceRunningClock moves the clock of the sandbox serving dir forward
// by d (see Sandbox.AdvanceClock) and returns its new time.
func AdvanceRunningClock(ctx context.Context, dir string, d time.Duration) (time.Time, error) {
	sv, err := running(dir)
	if err != nil {
		return time.Time{}, err
	}
	if sv.Control == nil {
		return time.Time{}, fmt.Errorf("the sandbox serving %s is older than its clock control; restart it", dir)
	}
	body := fmt.Sprintf(`{"advance":%q}`, d.String())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sv.Control.URL, strings.NewReader(body))
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("Authorization", "Bearer "+sv.Control.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("the sandbox refused: %s", strings.TrimSpace(string(b)))
	}
	var out struct {
		Now time.Time `json:"now"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return time.Time{}, err
	}
	return out.Now, nil
}
