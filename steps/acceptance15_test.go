package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

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
// re-test after the flip says AWS is still applying it and reports the new
// outcome, the push allowed.
func TestAcceptanceReadsLagAndPolicyPropagates(t *testing.T) {
	f := newFixture(t, sandbox.Options{Clock: fastClock{start: time.Now(), speed: 10},
		Timing: sandbox.Timing{ReadLag: 5 * time.Second, PolicyPropagation: 20 * time.Second, Seed: 15}}, steps.Config{}, nil)
	ctx := context.Background()
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
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
	lagged := 0
	for _, c := range f.sb.Calls() {
		if strings.HasSuffix(c.ErrorCode, ".NotFound") {
			lagged++
		}
	}
	if lagged == 0 {
		t.Error("no call met a NotFound: the 5 s read lag did not show")
	}
}
