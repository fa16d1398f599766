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

// TestApplyPolicyRecordsThePolicyStep: the wizard applies the policy from
// its form (ApplyPolicy), not by running the policy step. The step must
// still be recorded as done, or a resumed wizard sends the learner back to
// the policy screen and 'status' leaves the step out, though the endpoints
// carry the policy.
func TestApplyPolicyRecordsThePolicyStep(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	// Before the discovery there is no account for the policy's ARNs: not
	// applied, and not recorded as the policy step.
	if err := f.lab.ApplyPolicy(ctx, policy.AllowAll(), steps.TargetBoth); problem.KindOf(err) != problem.NotReady {
		t.Fatalf("ApplyPolicy before the discovery: %v", err)
	}
	if st := f.lab.State(); len(st.Policy) != 0 || st.Steps[steps.StepPolicy].Status == steps.StatusDone {
		t.Fatalf("a policy recorded before the discovery: %s", st.Policy)
	}
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

// TestPushRefusedAtTheLayerCheck: a policy that denies
// ecr:BatchCheckLayerAvailability stops a push at its first request, a HEAD,
// whose answer has no body. The result names the refused action and says
// why in words, from the policies in force, instead of the registry
// client's "HEAD responses have no body, use GET for details".
func TestPushRefusedAtTheLayerCheck(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	doc, err := policy.Default(st.Account, st.Region, policy.DefaultRepository, []string{"ecr:BatchCheckLayerAvailability"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.lab.ApplyPolicy(ctx, doc, steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Run(ctx, steps.StepPush); err != nil {
		t.Fatalf("push: %v", err)
	}
	r := f.lab.State().Tests[steps.PushTest]
	if r.Outcome.Allowed || !r.Match || r.Outcome.Action != "ecr:BatchCheckLayerAvailability" || r.ExpectedAction != "ecr:BatchCheckLayerAvailability" {
		t.Fatalf("push: %+v", r.Outcome)
	}
	if strings.Contains(r.Outcome.Message, "HEAD responses have no body") || !strings.HasPrefix(r.Outcome.Request, "HEAD /v2/team-a/alpine/blobs/sha256:") {
		t.Fatalf("the outcome keeps the registry client's words: %+v", r.Outcome)
	}
	for _, want := range []string{"no body", "ecr:BatchCheckLayerAvailability on team-a/alpine", "ecr.dkr endpoint's policy denies it", "DenyBatchCheckLayerAvailability", "explicit deny"} {
		if !strings.Contains(r.Reason, want) {
			t.Fatalf("reason %q lacks %q", r.Reason, want)
		}
	}

	// Allowed by the endpoints, refused by the repository's policy: the
	// reason says so, and how to read AWS's own sentence.
	if err := f.lab.ApplyPolicy(ctx, policy.AllowAll(), steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cloud.SetRepositoryPolicy(ctx, policy.DefaultRepository, `{"Version":"2012-10-17","Statement":[{"Sid":"NoChecks","Effect":"Deny","Principal":"*","Action":"ecr:BatchCheckLayerAvailability"}]}`); err != nil {
		t.Fatal(err)
	}
	// Refused, though the endpoints allow it: not what they predict, and
	// not something waiting for the changed endpoint policy can change, so
	// it is reported at once (it used to be retried for the whole
	// five-minute propagation window).
	start := time.Now()
	_ = f.lab.Run(ctx, steps.StepPush)
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("a refusal without words was retried for %s, as if the endpoint policy were still propagating", took)
	}
	r = f.lab.State().Tests[steps.PushTest]
	if r.Outcome.Allowed || r.Outcome.Action != "ecr:BatchCheckLayerAvailability" {
		t.Fatalf("push under the repository's policy: %+v", r.Outcome)
	}
	for _, want := range []string{"no body", "ecr.dkr endpoint's policy allows it", "another policy refused it", f.cloud.CLI() + " ecr batch-check-layer-availability --repository-name team-a/alpine --layer-digests sha256:"} {
		if !strings.Contains(r.Reason, want) {
			t.Fatalf("reason %q lacks %q", r.Reason, want)
		}
	}
}

// TestOutsideOnTheSandboxSaysHowToSeeTheProofs: the sandbox playing a
// laptop says how to see the DNS step and the proofs; "run the lab in the
// sandbox (--sandbox)" is no way there when the lab runs on it already.
func TestOutsideOnTheSandboxSaysHowToSeeTheProofs(t *testing.T) {
	f := newFixture(t, sandbox.Options{World: sandbox.WorldLaptop}, steps.Config{}, nil)
	f.lab.SetEnvironment(steps.Environment{Kind: steps.EnvKind("laptop"), Title: "a laptop", Credentials: true})
	var fix string
	for _, it := range f.lab.EnvironmentItems() {
		if it.ID == "proofs" {
			fix = it.Fix
		}
	}
	if fix == "" || strings.Contains(fix, "(--sandbox)") || !strings.Contains(fix, "--world cloud9") {
		t.Fatalf("on the sandbox, the way to see the proofs: %q", fix)
	}
}
