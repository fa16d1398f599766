package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// halfPrivateWorld is a world where the ecr.dkr name resolves privately
// (the platform team's endpoint, adopted, has had private DNS for days)
// while the ecr.api name stays public for longer than a test runs (the
// lab's new endpoint), and a changed endpoint policy takes an hour to be
// enforced. So the push goes through ecr.dkr and proves (or disproves)
// its policy, and the list goes around ecr.api and proves nothing.
func halfPrivateWorld() sandbox.Options {
	timing := sandbox.Instant
	timing.DNSSwitch = time.Hour
	timing.PolicyPropagation = time.Hour
	return sandbox.Options{Timing: timing, Faults: sandbox.Faults{ExistingDKREndpoint: true}}
}

// upHalfPrivate runs the lab up to its endpoints on halfPrivateWorld,
// adopting the platform team's ecr.dkr endpoint, and skips the DNS wait.
func upHalfPrivate(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy, steps.StepEndpoints); err != nil {
		t.Fatalf("up: %v", err)
	}
	if dkr := f.lab.State().Endpoints[steps.EndpointDKR]; dkr == nil || dkr.Created {
		t.Fatalf("the platform team's ecr.dkr endpoint was not adopted: %+v", dkr)
	}
	if err := f.lab.Skip(steps.StepDNS, "the learner pressed s"); err != nil {
		t.Fatal(err)
	}
}

// TestAMismatchIsNotMaskedByAnUnprovenTest: the push goes through the
// ecr.dkr endpoint, whose new policy (deny PutImage) AWS has not applied
// yet: the push is allowed, but the policy in force predicts denied, a
// mismatch. The list goes around ecr.api: not proven. The mismatch stays
// a failure (the step failed, Tests returns its error) and the list stays
// unproven: neither outcome takes the other's place.
func TestAMismatchIsNotMaskedByAnUnprovenTest(t *testing.T) {
	f := newFixture(t, halfPrivateWorld(), steps.Config{Adopt: true, PolicyPropagation: time.Millisecond}, nil)
	upHalfPrivate(t, f)
	res, err := f.lab.Tests(context.Background(), steps.StepPush, steps.StepList)
	if len(res) != 2 {
		t.Fatalf("tests: %+v %v", res, err)
	}
	push, list := res[0], res[1]
	if !push.Outcome.Allowed || push.Expected == policy.ResultAllow || push.Match || push.Unproven != "" {
		t.Fatalf("push through the endpoint whose policy is not enforced yet: %+v", push)
	}
	if !list.Outcome.Allowed || list.Match || !strings.Contains(list.Unproven, "went around the ecr.api endpoint") {
		t.Fatalf("list around the ecr.api endpoint: %+v", list)
	}
	if problem.CodeOf(err) != "UnexpectedOutcome" || !strings.Contains(err.Error(), "push was allowed, but the policy in force predicts denied") {
		t.Fatalf("Tests must return the push's mismatch, got %v", err)
	}
	st := f.lab.State()
	if got := st.Steps[steps.StepPush].Status; got != steps.StatusFailed {
		t.Fatalf("push step %q, want failed", got)
	}
	if got := st.Steps[steps.StepList].Status; got != steps.StatusUnproven {
		t.Fatalf("list step %q, want unproven", got)
	}
}

// TestAPolicyThatDeniesNothingIsProvenByAnAllowedPush: the learner's
// policy denies nothing, so the push through ecr.dkr is allowed, as the
// policy predicts: that is a proof of that policy (done), not a mismatch,
// even beside a list that went around ecr.api (unproven).
func TestAPolicyThatDeniesNothingIsProvenByAnAllowedPush(t *testing.T) {
	w := halfPrivateWorld()
	w.Timing.PolicyPropagation = 0
	f := newFixture(t, w, steps.Config{Adopt: true}, nil)
	upHalfPrivate(t, f)
	// The learner unticks every action to deny: the policy allows all.
	doc, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.lab.ApplyPolicy(context.Background(), doc, steps.TargetBoth); err != nil {
		t.Fatalf("the learner's policy: %v", err)
	}
	res, err := f.lab.Tests(context.Background(), steps.StepPush, steps.StepList)
	if err != nil || len(res) != 2 {
		t.Fatalf("tests: %+v %v", res, err)
	}
	if push := res[0]; !push.Outcome.Allowed || !push.Match || push.Unproven != "" {
		t.Fatalf("push under a policy that denies nothing: %+v", push)
	}
	if list := res[1]; list.Match || list.Unproven == "" {
		t.Fatalf("list around the ecr.api endpoint: %+v", list)
	}
	st := f.lab.State()
	if st.Steps[steps.StepPush].Status != steps.StatusDone || st.Steps[steps.StepList].Status != steps.StatusUnproven {
		t.Fatalf("steps: push %q, list %q", st.Steps[steps.StepPush].Status, st.Steps[steps.StepList].Status)
	}
}
