package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// fastClock runs the sandbox's time speed times faster than the wall's:
// AWS's seconds of lag pass in a fraction of one, and the lab's waits,
// which poll for a change, end as soon as the sandbox shows it.
type fastClock struct {
	start time.Time
	speed time.Duration
}

func (c fastClock) Now() time.Time { return c.start.Add(time.Since(c.start) * c.speed) }

// TestAcceptanceReadsLagAndPolicyPropagates is issue 15's acceptance, at
// its own durations (on a sandbox clock 10 times faster than the wall):
// with reads lagging writes by up to 5 s, up, test and down succeed and
// create one of each; with a policy enforced 20 s after it changes, the
// re-test after the flip (recorded in the state) says on the push's line
// that AWS is still applying it, tries again, and reports the new outcome,
// the push allowed, as the new policy predicts.
func TestAcceptanceReadsLagAndPolicyPropagates(t *testing.T) {
	f := newFixture(t, sandbox.Options{Clock: fastClock{start: time.Now(), speed: 10},
		Timing: sandbox.Timing{ReadLag: 5 * time.Second, PolicyPropagation: 20 * time.Second, Seed: 15}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	res, err := f.lab.Tests(ctx)
	if err != nil {
		t.Fatalf("test: %v", err)
	}
	for _, r := range res {
		if !r.Match {
			t.Errorf("%s: %s, the policy predicts %s", r.Name, r.Verdict(), r.ExpectedVerdict())
		}
	}
	flipPolicy(t, f)
	if f.lab.State().PolicyChanged.IsZero() {
		t.Error("the state does not record when the policy changed")
	}
	f.reset()
	res, err = f.lab.Tests(ctx, steps.StepPush)
	if err != nil || len(res) != 1 || !res[0].Outcome.Allowed || !res[0].Match {
		t.Fatalf("re-test after the flip: %+v %v; want the push allowed, as the new policy says", res, err)
	}
	if !saidApplying(f) {
		t.Error("the re-test never said AWS was still applying the policy (the 20 s did not show)")
	}
	if rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatalf("down: %v (left %+v)", err, rep.Left)
	}
	for action, want := range map[string]int{"CreateSecurityGroup": 1, "AuthorizeSecurityGroupIngress": 1, "CreateVpcEndpoint": 3} {
		if n := f.creates(action); n != want {
			t.Errorf("%s succeeded %d times; want %d", action, n, want)
		}
	}
	if f.notFounds() == 0 {
		t.Error("no call met a NotFound: the 5 s read lag did not show")
	}
}

// flipPolicy applies the lab's policy denying pulls instead of pushes:
// the push test's outcome flips to allowed.
func flipPolicy(t *testing.T, f *fixture) {
	t.Helper()
	st := f.lab.State()
	doc, err := policy.Default(st.Account, st.Region, "team-a/alpine", []string{"ecr:BatchGetImage"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.lab.ApplyPolicy(context.Background(), doc, steps.TargetBoth); err != nil {
		t.Fatalf("the flip: %v", err)
	}
}

// saidApplying reports whether the push test said, on its line, that AWS
// was still applying the policy.
func saidApplying(f *fixture) bool {
	for _, e := range f.all() {
		if e.Kind == steps.EventDetail && e.Step == steps.StepPush && strings.Contains(e.Message, "AWS is still applying the endpoint policy") {
			return true
		}
	}
	return false
}
