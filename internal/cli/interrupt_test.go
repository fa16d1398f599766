package cli

import (
	"context"
	"os"
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

// A proof that did not get as far as an outcome (here docker cannot reach
// its daemon) is not said to be an outcome other than the policy predicts.
func TestTestThatCouldNotRunIsNotAMismatch(t *testing.T) {
	_, _ = labHome(t)
	dir := t.TempDir()
	if code, out, errs := runCLI(t, "", "up", "--yes", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	bin := t.TempDir()
	docker := "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(docker), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	code, out, errs := runCLI(t, "", "test", "--only", "pull", "--docker", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir)
	if want := "not every test ran: fix the problem above, then run 'ecr-vpce-lab test --sandbox --state-dir " + dir + "' again"; code != 1 || !strings.Contains(errs, want) ||
		strings.Contains(errs, "not every outcome") || !strings.Contains(out, "Cannot connect to the Docker daemon") {
		t.Fatalf("exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}
}
