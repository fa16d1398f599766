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

// TestRetestWhilePolicyPropagates: right after the policy flips (deny
// nothing), AWS still enforces the old one for a while (the sandbox's
// PolicyPropagation): the re-test says on the step's line that AWS is
// still applying it, tries again, and reports the new outcome, the push
// allowed, as the new policy predicts.
func TestRetestWhilePolicyPropagates(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{PolicyPropagation: 3 * time.Second}}, steps.Config{}, nil)
	ctx := context.Background()
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up: %v", err)
	}
	res, err := f.lab.Tests(ctx, steps.StepPush)
	if err != nil || len(res) != 1 || res[0].Outcome.Allowed {
		t.Fatalf("first push: %+v %v; want denied", res, err)
	}
	flipPolicy(t, f)
	if f.lab.State().PolicyChanged.IsZero() {
		t.Error("the state does not record when the policy changed")
	}
	f.reset()
	res, err = f.lab.Tests(ctx, steps.StepPush)
	if err != nil || len(res) != 1 || !res[0].Outcome.Allowed || !res[0].Match {
		t.Fatalf("push after the flip: %+v %v; want allowed, as the new policy predicts", res, err)
	}
	if !saidApplying(f) {
		t.Error("the learner was not told that AWS was still applying the policy")
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
