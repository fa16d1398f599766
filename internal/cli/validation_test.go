package cli

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/testtool"
)

// Ten 'up's started at once on one lab: one runs, and every other one gets
// the lab lock's message, not the sandbox's, because the lock is taken
// before the sandbox is started.
func TestRacingUpsAllGetTheLocksMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel()
	h := newProcHome(t, testtool.LabBinary(t))
	const n = 10
	type result struct {
		i    int
		code int
		out  string
	}
	cmds := make([]*exec.Cmd, n)
	finished := make(chan result, n)
	for i := range cmds {
		// Realistic timing: the winner is still waiting for its endpoints
		// while the others start and give up.
		c := exec.Command(h.bin, "up", "--sandbox", "--yes", "--state-dir", h.state)
		c.Env = h.env()
		out := &bytes.Buffer{}
		c.Stdout, c.Stderr = out, out
		cmds[i] = c
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			err := c.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			finished <- result{i, code, out.String()}
		}()
	}
	var results []result
	exited := map[int]bool{}
	deadline := time.After(2 * time.Minute)
	for len(results) < n {
		select {
		case r := <-finished:
			results = append(results, r)
			exited[r.i] = true
			if len(results) == n-1 {
				// The others have given up: stop the winner.
				for i, c := range cmds {
					if !exited[i] {
						_ = c.Process.Kill()
					}
				}
			}
		case <-deadline:
			t.Fatalf("the racing commands did not end within 2 minutes")
		}
	}
	locked := 0
	for _, r := range results {
		switch {
		case strings.Contains(r.out, "is working on this lab"):
			locked++
		case r.code == 0 || r.code == -1:
			// the winner, done or stopped above
		default:
			t.Errorf("up #%d: exit %d, neither the winner nor the lock's message:\n%s", r.i, r.code, r.out)
		}
		if strings.Contains(r.out, "already served") {
			t.Errorf("up #%d got the sandbox's message:\n%s", r.i, r.out)
		}
	}
	if locked != n-1 {
		t.Errorf("%d of %d got the lock's message, want %d", locked, n, n-1)
	}
}
