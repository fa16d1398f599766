package cli

import (
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestShortRehearsalStatusAndDown: a facilitator's rehearsal, 'up
// --expires 2m' and the clock moved past it. The endpoints and the group
// go within minutes of their creation, inside the window where EC2 may
// not list a new resource yet; the lab saw them listed, so status says
// the auto-teardown removed them (not "created moments ago: EC2 does not
// list it yet"), and down says they are gone at once instead of waiting
// out EC2's lag.
func TestShortRehearsalStatusAndDown(t *testing.T) {
	_, state := labHome(t)
	sb := servedSandbox(t, state, sandbox.Faults{})
	c := cloudOf(t, sb)
	labRun(t, 0, "up", "--yes", "--sandbox", "--expires", "2m")
	st, err := steps.NewStore(state, "sandbox").Load()
	if err != nil {
		t.Fatal(err)
	}
	labRun(t, 0, "sandbox", "clock", "+2m5s", "--state-dir", state)
	out := labRun(t, 0, "status", "--sandbox")
	wantAll(t, "status after the endpoints went", out, "(expired)", "removed the endpoints", "the group goes a little later")
	if strings.Contains(out, "does not list it yet") {
		t.Errorf("status takes the deleted endpoints for EC2's lag:\n%s", out)
	}
	labRun(t, 0, "sandbox", "clock", "+2m", "--state-dir", state)
	out = labRun(t, 0, "status", "--sandbox")
	wantAll(t, "status after both schedules", out, "then removed the security group")
	if left := runTagged(t, c, st.RunID); len(left) != 0 {
		t.Fatalf("left after the auto-teardown: %v", left)
	}
	start := time.Now()
	out = labRun(t, 0, "down", "--yes", "--sandbox")
	took := time.Since(start)
	wantAll(t, "down", out, "already deleted (by the auto-teardown's schedule", "Nothing is left.")
	// EC2's lag is waited out for up to 5 minutes of AWS's time; what the
	// lab saw listed is not waited for at all.
	if took > 20*time.Second {
		t.Errorf("down took %s after the auto-teardown:\n%s", took.Round(time.Second), out)
	}
	if roles, schedules := automation(t, c); roles != 0 || schedules != 0 {
		t.Errorf("after down: %d role(s), %d schedule(s)", roles, schedules)
	}
}

// TestUpAfterTheRunExpired: the learner comes back after the auto-teardown,
// is told by test that the run expired, and runs up again. The run gets a new expiry from now (it kept the
// passed one, so the schedules made again fired at once and took the new
// endpoints away), and retagging skips what the auto-teardown removed.
func TestUpAfterTheRunExpired(t *testing.T) {
	_, state := labHome(t)
	servedSandbox(t, state, sandbox.Faults{})
	labRun(t, 0, "up", "--yes", "--sandbox")
	before, err := steps.NewStore(state, "sandbox").Load()
	if err != nil {
		t.Fatal(err)
	}
	labRun(t, 0, "sandbox", "clock", "+4h1m", "--state-dir", state)
	// The endpoints are gone: test does not "prove" the policy through ECR's
	// public way.
	out := labRun(t, 1, "test", "--sandbox")
	wantAll(t, "test after the expiry", out, "run "+before.RunID+" expired at ", "fix: run 'ecr-vpce-lab up --sandbox' (it gives the run a new expiry")
	out = labRun(t, 0, "up", "--yes", "--sandbox")
	if strings.Contains(out, "(in expired)") {
		t.Errorf("up says the run is already expired:\n%s", out)
	}
	st, err := steps.NewStore(state, "sandbox").Load()
	if err != nil {
		t.Fatal(err)
	}
	if !st.ExpiresAt.After(before.ExpiresAt.Add(4 * time.Hour)) {
		t.Fatalf("the run expires at %s, was %s: not 4h from the up after it", st.ExpiresAt, before.ExpiresAt)
	}
	for purpose, sc := range st.AutoTeardown.Schedules {
		if !sc.At.After(before.ExpiresAt.Add(4 * time.Hour)) {
			t.Errorf("the %s schedule is at %s, before the new expiry", purpose, sc.At)
		}
	}
	labRun(t, 0, "sandbox", "clock", "+1m", "--state-dir", state)
	if out := labRun(t, 0, "status", "--sandbox"); strings.Count(out, "available (created)") != 3 {
		t.Errorf("the endpoints made again did not stay:\n%s", out)
	}
}
