package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// TestExplainOnTheSandbox: refusals the sandbox really gives, explained
// with the live policies: the lab's push refused by its endpoint policy,
// a pull refused by a repository policy, an operation, and the refusals
// no endpoint policy can cause.
func TestExplainOnTheSandbox(t *testing.T) {
	f := upWithElsewhere(t)
	ctx := context.Background()
	st := f.lab.State()
	dkr := st.Endpoints[steps.EndpointDKR].ID

	// The lab's own push test: refused at PutImage by DenyPutImage.
	results, _ := f.lab.Tests(ctx, steps.StepPush)
	if len(results) != 1 || results[0].Outcome.Allowed {
		t.Fatalf("push test: %+v", results)
	}
	ex, err := f.lab.Explain(ctx, steps.ExplainInput{Text: "denied: " + results[0].Outcome.Message})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Kind != "policy" || !ex.Agrees || !ex.EndpointPossible || ex.EndpointID != dkr || ex.Trace == nil || ex.Trace.Deciding()[0].Label != "DenyPutImage" {
		t.Fatalf("explanation %+v", ex)
	}
	if ex.Edit == nil || ex.Edit.Summary != "delete the statement DenyPutImage" || len(ex.Diff) == 0 {
		t.Errorf("edit %+v", ex.Edit)
	}
	if !strings.Contains(ex.Cause, dkr) || !strings.Contains(ex.Source, "live") {
		t.Errorf("cause %q, source %q", ex.Cause, ex.Source)
	}

	// The same as an operation: the first refused action is PutImage.
	ex, err = f.lab.Explain(ctx, steps.ExplainInput{Operation: "push", Repo: policy.DefaultRepository})
	if err != nil || !ex.Agrees || ex.Request.Action != "ecr:PutImage" {
		t.Fatalf("explain --op push: %+v %v", ex, err)
	}
	ex, err = f.lab.Explain(ctx, steps.ExplainInput{Operation: "pull", Repo: policy.DefaultRepository})
	if err != nil || ex.Agrees || !strings.Contains(ex.Cause, "allow") {
		t.Fatalf("explain --op pull (allowed): %+v %v", ex, err)
	}

	// A repository policy's refusal, read live.
	if _, err := f.cloud.SetRepositoryPolicy(ctx, policy.DefaultRepository, `{"Version":"2012-10-17","Statement":[{"Sid":"NoPulls","Effect":"Deny","Principal":"*","Action":"ecr:BatchGetImage"}]}`); err != nil {
		t.Fatal(err)
	}
	results, _ = f.lab.Tests(ctx, steps.StepPull)
	if len(results) != 1 || results[0].Outcome.Allowed {
		t.Fatalf("pull test: %+v", results)
	}
	ex, err = f.lab.Explain(ctx, steps.ExplainInput{Text: results[0].Outcome.Message})
	if err != nil || !ex.Agrees || ex.Trace == nil || ex.Trace.Type != policy.TypeRepository || ex.Trace.Deciding()[0].Label != "NoPulls" || ex.EndpointPossible {
		t.Fatalf("repository refusal: %+v %v", ex, err)
	}
	if ex.Edit == nil || ex.Edit.Summary != "delete the statement NoPulls" {
		t.Errorf("edit %+v", ex.Edit)
	}

	// Refusals no endpoint policy causes: where to look.
	for _, tc := range []struct{ text, kind, look string }{
		{"denied: Your authorization token has expired. Reauthenticate and try again.", "expired-token", "get-login-password"},
		{"name unknown: The repository with name 'team-z/none' does not exist in the registry with id '" + st.Account + "'", "missing-repository", "describe-repositories"},
		{"User: " + st.Caller + " is not authorized to perform: ecr:PutImage on resource: " + policy.RepositoryARN(st.Region, st.Account, "team-a/alpine") +
			" because no identity-based policy allows the ecr:PutImage action", "policy", "iam list-attached-role-policies"},
	} {
		ex, err := f.lab.Explain(ctx, steps.ExplainInput{Text: tc.text})
		if err != nil || ex.Kind != tc.kind || ex.EndpointPossible || !strings.Contains(strings.Join(ex.Look, "\n"), tc.look) {
			t.Errorf("%s: %+v %v", tc.kind, ex, err)
		}
	}
	if _, err := f.lab.Explain(ctx, steps.ExplainInput{Text: "hello"}); err == nil {
		t.Error("a text with no refusal was explained")
	}
}
