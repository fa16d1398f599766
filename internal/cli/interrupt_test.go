package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// An interrupted command exits 130 and says it stopped, whatever it was
// doing: test, interrupted between its proofs, said that not every outcome
// was what the policy predicts and exited 1, and status exited 1.
func TestInterruptedCommandsExit130(t *testing.T) {
	_, _ = labHome(t)
	dir := t.TempDir()
	if code, out, errs := runCLI(t, "", "up", "--yes", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	// Served here with every API call slowed, so that the proofs after
	// the push are still to come when the push's result is saved.
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(dir, "sandbox"), Faults: sandbox.Faults{Latency: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(time.Minute); ctx.Err() == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if st, err := steps.NewStore(dir, "sandbox").Load(); err == nil {
				if _, ok := st.Tests[steps.PushTest]; ok {
					break
				}
			}
		}
		cancel()
	}()
	code, out, errs := runCLIContext(t, ctx, "test", "--sandbox", "--state-dir", dir)
	if want := "stopped before every test ran: run 'ecr-vpce-lab test --sandbox --state-dir " + dir + "' to run them again"; code != 130 || !strings.Contains(errs, want) || strings.Contains(errs, "not every outcome") {
		t.Fatalf("test interrupted: exit %d, want 130 and %q:\n%s%s", code, want, out, errs)
	}
	if code, out, errs = runCLIContext(t, ctx, "status", "--sandbox", "--state-dir", dir); code != 130 {
		t.Fatalf("status interrupted: exit %d, want 130:\n%s%s", code, out, errs)
	}
}
