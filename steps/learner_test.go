package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestApplyPolicyRecordsThePolicyStep: the wizard applies the policy from
// its form (ApplyPolicy), not by running the policy step. The step must
// still be recorded as done, or a resumed wizard sends the learner back to
// the policy screen and 'status' leaves the step out, though the endpoints
// carry the policy.
func TestApplyPolicyRecordsThePolicyStep(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup, steps.StepIngress); err != nil {
		t.Fatal(err)
	}
	st := f.lab.State()
	doc, err := policy.Default(st.Account, st.Region, policy.DefaultRepository, []string{"ecr:PutImage", "ecr:BatchGetImage"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.lab.ApplyPolicy(ctx, doc, steps.TargetDKR); err != nil {
		t.Fatal(err)
	}
	saved, err := f.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r := saved.Steps[steps.StepPolicy]; r.Status != steps.StatusDone {
		t.Fatalf("policy step after ApplyPolicy: %+v", r)
	}
	if saved.PolicyTarget != steps.TargetDKR || !strings.Contains(string(saved.Policy), "ecr:BatchGetImage") {
		t.Fatalf("saved policy %s on %s", saved.Policy, saved.PolicyTarget)
	}
	// The endpoints step then creates the endpoints with that policy.
	if err := f.lab.Run(ctx, steps.StepEndpoints); err != nil {
		t.Fatal(err)
	}
	eps, err := f.cloud.Endpoints(ctx, f.lab.State().Endpoints[steps.EndpointDKR].ID)
	if err != nil || len(eps) != 1 || !strings.Contains(eps[0].Policy, "ecr:BatchGetImage") {
		t.Fatalf("ecr.dkr endpoint %+v %v", eps, err)
	}
}
