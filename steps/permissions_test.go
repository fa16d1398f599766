package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

func preflightItem(t *testing.T, f *fixture, id string) (steps.CheckItem, bool) {
	t.Helper()
	for _, e := range f.all() {
		if e.Kind == steps.EventCheck && e.Check.ID == id {
			return *e.Check, true
		}
	}
	return steps.CheckItem{}, false
}

// TestPreflightTriesTheCreatesWithTheirTags: a role that may create but
// not tag (--fault-tag-policy) is caught by preflight, before anything is
// created: the DryRun of the real creates carries their TagSpecifications.
// The line names ec2:CreateTags and gives the command that decodes AWS's
// encoded message.
func TestPreflightTriesTheCreatesWithTheirTags(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{TagPolicy: true}}, steps.Config{}, nil)
	err := f.lab.Up(context.Background())
	var se *steps.StepError
	if !errors.As(err, &se) || se.Step != steps.StepPreflight {
		t.Fatalf("up: %v; want preflight to stop it", err)
	}
	it, ok := preflightItem(t, f, "permissions")
	if !ok || it.OK {
		t.Fatalf("permissions item %+v", it)
	}
	for _, w := range []string{"ec2:CreateSecurityGroup", "ec2:CreateTags"} {
		if !strings.Contains(it.Message, w) {
			t.Errorf("message %q lacks %q", it.Message, w)
		}
	}
	if !strings.Contains(it.Fix, "aws sts decode-authorization-message --encoded-message ") || !strings.Contains(se.Fix, "decode-authorization-message") {
		t.Errorf("fix %q / %q: want the decode command", it.Fix, se.Fix)
	}
	if n := f.creates("CreateSecurityGroup"); n != 0 {
		t.Errorf("%d groups created before the refusal was found", n)
	}
}

// TestPreflightWarnsOnStandIns: a refusal met only on a stand-in (the
// workspace's own group, tried in place of the lab's not yet made) may be
// about the stand-in alone, as under a policy that lets the role delete
// only groups tagged by the lab: a warning, and the lab goes on.
func TestPreflightWarnsOnStandIns(t *testing.T) {
	sbo := sandbox.Options{Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
		if r.Action == "DeleteSecurityGroup" {
			return &sandbox.APIError{Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. Encoded authorization failure message: c3RhbmQtaW4"}
		}
		return nil
	}}}
	f := newFixture(t, sbo, steps.Config{}, nil)
	if err := f.lab.RunSteps(context.Background(), steps.StepDiscover, steps.StepPreflight); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	it, ok := preflightItem(t, f, "permissions-stand-in")
	if !ok || !it.Warning || !strings.Contains(it.Message, "ec2:DeleteSecurityGroup") || !strings.Contains(it.Fix, "c3RhbmQtaW4") {
		t.Fatalf("stand-in item %+v", it)
	}
	if it, _ := preflightItem(t, f, "permissions"); !it.OK {
		t.Fatalf("permissions item %+v", it)
	}
}
