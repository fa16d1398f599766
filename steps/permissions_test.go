package steps_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
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
	// AWS's encoded message (hundreds of characters) is kept in a file
	// beside the state; the fix says AWS sent it and gives the command
	// that reads it from there, a line a learner can copy.
	saved := savedAuthMessage(t, f, it.Fix)
	if decoded, err := base64.RawURLEncoding.DecodeString(saved); err != nil || !strings.Contains(string(decoded), `"action":"ec2:CreateTags"`) {
		t.Errorf("the file holds %q (%v); want AWS's encoded message alone, as the sandbox encodes it", saved, err)
	}
	if !strings.Contains(it.Fix, "AWS sent an encoded explanation of the refusal, to read it: aws --endpoint-url "+f.sb.Endpoint()+" sts decode-authorization-message") ||
		strings.Contains(it.Fix, saved[:40]) || se.Fix != it.Fix {
		t.Errorf("fix %q (%d characters) / %q: want the decode command, reading the message from its file", it.Fix, len(it.Fix), se.Fix)
	}
	if n := f.creates("CreateSecurityGroup"); n != 0 {
		t.Errorf("%d groups created before the refusal was found", n)
	}
	// The run's teardown takes the kept message with the state file.
	if _, err := f.lab.Teardown(context.Background(), steps.TeardownOptions{}); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if kept, _ := filepath.Glob(filepath.Join(f.store.Dir, "authorization-message-*")); len(kept) != 0 {
		t.Errorf("left after the teardown: %v", kept)
	}
}

// savedAuthMessage reads the file whose encoded authorization message the
// decode command in fix reads: one in the state directory.
func savedAuthMessage(t *testing.T, f *fixture, fix string) string {
	t.Helper()
	// (On the sandbox the AWS CLI is pointed at it: aws --endpoint-url URL.)
	_, rest, ok := strings.Cut(fix, " sts decode-authorization-message --encoded-message file://")
	path, _, _ := strings.Cut(rest, " ")
	if !ok || filepath.Dir(path) != f.store.Dir {
		t.Fatalf("fix %q: want the decode command reading a file in %s", fix, f.store.Dir)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
	if !ok || !it.Warning || !strings.Contains(it.Message, "ec2:DeleteSecurityGroup") || savedAuthMessage(t, f, it.Fix) != "c3RhbmQtaW4" {
		t.Fatalf("stand-in item %+v", it)
	}
	if it, _ := preflightItem(t, f, "permissions"); !it.OK {
		t.Fatalf("permissions item %+v", it)
	}
}
