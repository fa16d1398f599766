package cli

import (
	"context"
	"encoding/json"
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
	dir := upOnSandbox(t)
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
	dir := upOnSandbox(t)
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

// TestStatusAfterAStoppedTeardown: a 'down' stopped part way (Ctrl-C
// twice while AWS deletes the endpoints) left status saying "VPC endpoints
// done" and a full hourly rate for endpoints being deleted, and nothing of
// the stopped teardown. It now says the teardown was stopped and the
// command that finishes it, the endpoints as AWS shows them, and what
// they cost until they are deleted, in text and in JSON.
func TestStatusAfterAStoppedTeardown(t *testing.T) {
	_, _ = labHome(t)
	dir := t.TempDir()
	// Served here, endpoints deleting for an hour: the teardown waits on
	// them until it is stopped.
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(dir, "sandbox"), Timing: sandbox.Timing{EndpointDelete: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if code, out, errs := runCLI(t, "", "up", "--yes", "--sandbox", "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	st, err := steps.NewStore(dir, "sandbox").Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := st.EndpointIDs()
	cloud := cloudOf(t, sb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer cancel() // Ctrl-C once the interface endpoints are deleting
		for deadline := time.Now().Add(time.Minute); ctx.Err() == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			eps, err := cloud.Endpoints(ctx, ids...)
			deleting := 0
			for _, e := range eps {
				if steps.EndpointState(e.State) == steps.ResDeleting {
					deleting++
				}
			}
			if err == nil && deleting == 2 {
				return
			}
		}
	}()
	if code, out, errs := runCLIContext(t, ctx, "down", "--yes", "--sandbox", "--state-dir", dir); code != 130 {
		t.Fatalf("down stopped: exit %d, want 130\n%s%s", code, out, errs)
	}
	finish := "ecr-vpce-lab down --sandbox --state-dir " + dir

	code, out, errs := runCLI(t, "", "status", "--sandbox", "--state-dir", dir)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errs)
	}
	lineOf := func(s string) string {
		for l := range strings.SplitSeq(out, "\n") {
			if strings.Contains(l, s) {
				return l
			}
		}
		return ""
	}
	for _, want := range []string{"was stopped before the end", "run '" + finish + "' to finish it"} {
		if !strings.Contains(out, want) {
			t.Errorf("status does not say %q:\n%s", want, out)
		}
	}
	for _, ep := range []string{"ecr.dkr", "ecr.api"} {
		if l := lineOf(ep + " "); !strings.Contains(l, "deleting") {
			t.Errorf("the %s line does not say it is deleting: %q", ep, l)
		}
	}
	if l := lineOf("VPC endpoints"); strings.Contains(l, "✔") || !strings.Contains(l, "done before the teardown") {
		t.Errorf("the endpoints step is shown as done: %q", l)
	}
	if l := lineOf("cost:"); strings.Contains(l, "per hour") || !strings.Contains(l, "until they are deleted") {
		t.Errorf("the cost of endpoints being deleted: %q", l)
	}

	code, out, errs = runCLI(t, "", "status", "--sandbox", "--state-dir", dir, "--output", "json")
	if code != 0 {
		t.Fatalf("status -o json: exit %d\n%s%s", code, out, errs)
	}
	var s steps.Status
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if s.Teardown == nil || s.Teardown.Status != steps.StatusStopped || s.Teardown.Next != finish || s.Teardown.Started.IsZero() {
		t.Errorf("JSON teardown: %+v, want stopped and %q", s.Teardown, finish)
	}
	for _, r := range s.Resources {
		if r.Kind == steps.KindEndpoint && r.Name != steps.EndpointS3 && r.State != steps.ResDeleting {
			t.Errorf("JSON %s: %s, want deleting", r.Name, r.State)
		}
	}
	for _, info := range s.Steps {
		if info.ID == steps.StepEndpoints && !s.Teardown.Undid(info) {
			t.Errorf("JSON endpoints step: %+v", info)
		}
	}
	if c := s.Cost; c.Deleting != 2 || c.InterfaceEndpoints != 2 || c.PerHour != 0 || c.SoFar <= 0 {
		t.Errorf("JSON cost: %+v, want 2 deleting, nothing per hour, what they cost so far", c)
	}
	// The lab reopened from its state (the wizard's figures, Lab.Cost)
	// prices them by the same rule, without asking AWS.
	lab, err := steps.New(steps.Config{Mode: "sandbox"}, cloud, steps.NewStore(dir, "sandbox"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := lab.Cost(); c.Deleting != 2 || c.InterfaceEndpoints != 2 || c.PerHour != 0 || c.SoFar <= 0 {
		t.Errorf("Lab.Cost: %+v, want 2 deleting, nothing per hour, what they cost so far", c)
	}
}
