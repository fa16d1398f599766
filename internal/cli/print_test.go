package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// TestPrinterDrawsStatesByMeaning: the headless progress lines take their
// mark and words from the steps vocabulary, so a state AWS reports (expired)
// or one teardown adds (waiting for the network interfaces) reads right.
func TestPrinterDrawsStatesByMeaning(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		state steps.ResourceState
		want  string
	}{
		{steps.ResReleasing, "◌ endpoint        ecr.dkr        vpce-1                   waiting for its network interfaces [3.0s]"},
		{steps.ResReleased, "✔ endpoint        ecr.dkr        vpce-1                   released [3.0s]"},
		{steps.ResExpired, "✘ endpoint        ecr.dkr        vpce-1                   expired"},
		{steps.ResPendingAcceptance, "◌ endpoint        ecr.dkr        vpce-1                   pending acceptance"},
		{steps.ResAdopted, "✔ endpoint        ecr.dkr        vpce-1                   adopted"},
	} {
		var b bytes.Buffer
		r := &steps.ResourceEvent{Kind: steps.KindEndpoint, ID: "vpce-1", Name: steps.EndpointDKR, State: tc.state}
		if tc.state == steps.ResReleasing || tc.state == steps.ResReleased {
			r.Since = t0
		}
		newPrinter(&b, false).event(steps.Event{Kind: steps.EventResource, Time: t0.Add(3 * time.Second), Resource: r})
		if got := strings.TrimSpace(ansi.Strip(b.String())); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.state, got, tc.want)
		}
	}
}

// TestPrinterShowsTheKindOfAFailure: a failed step says what kind of
// problem it is, in words, and what to do, never the SDK's stack nor a code
// (AWS's or the lab's own, such as RefusedElsewhere): those are for the
// JSON output, and for --verbose.
func TestPrinterShowsTheKindOfAFailure(t *testing.T) {
	for _, tc := range []struct {
		err     *problem.Error
		want    []string
		code    string
		wrapped bool
	}{
		{err: &problem.Error{Kind: problem.Server, Op: "create the endpoints", Code: "InternalError", Message: "An internal error has occurred",
			Fix: "wait a minute and run the command again"},
			want: []string{"✘ VPC endpoints: create the endpoints: An internal error has occurred\n",
				"[AWS had a problem] fix: wait a minute and run the command again"}, code: "InternalError"},
		{err: &problem.Error{Kind: problem.Permission, Op: "pull test", Code: "RefusedElsewhere", Message: "pull was refused by S3, on the layer download",
			Fix: "add a statement allowing s3:GetObject"},
			want: []string{"✘ VPC endpoints: copying: pull test: pull was refused by S3, on the layer download\n",
				"[permission missing] fix: add a statement allowing s3:GetObject"}, code: "RefusedElsewhere", wrapped: true},
		{err: &problem.Error{Kind: problem.Dependency, Op: "delete the group", Code: "DependencyViolation"},
			want: []string{"✘ VPC endpoints: delete the group: still in use\n", "  [still in use]\n"}, code: "DependencyViolation"},
	} {
		var err error = tc.err
		if tc.wrapped {
			err = fmt.Errorf("copying: %w", tc.err)
		}
		ev := steps.Event{Kind: steps.EventFailed, Message: "VPC endpoints", Error: err.Error(), Fix: tc.err.Fix, ErrKind: tc.err.Kind, Err: err}
		for _, verbose := range []bool{false, true} {
			var b bytes.Buffer
			newPrinter(&b, verbose).event(ev)
			got := ansi.Strip(b.String())
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("failure lines lack %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, tc.code) != verbose {
				t.Errorf("verbose %v: the code %s shown %v:\n%s", verbose, tc.code, !verbose, got)
			}
		}
		// The JSON output keeps the code, and the kind as a machine word.
		j, jerr := json.Marshal(ev)
		if jerr != nil {
			t.Fatal(jerr)
		}
		if !strings.Contains(string(j), `"error":"`) || !strings.Contains(string(j), tc.code) || !strings.Contains(string(j), `"errorKind":"`+string(tc.err.Kind)+`"`) {
			t.Errorf("the JSON event lost the code or the kind: %s", j)
		}
	}
}

// TestPrinterNamesTheRefusal: a refused test says which action AWS refused
// and which statement decided it; a refusal that came without AWS's words
// (a HEAD answer has no body) prints the lab's explanation, never the
// registry client's "HEAD responses have no body, use GET for details".
func TestPrinterNamesTheRefusal(t *testing.T) {
	var b bytes.Buffer
	reason := "AWS gave no reason: the registry answered 403 Forbidden to HEAD /v2/team-a/alpine/blobs/sha256:e12c93b4529c…, and the answer to a HEAD request has no body."
	r := steps.TestResult{Name: steps.PushTest, Repository: "team-a/alpine", Tag: "v2", Expected: "ExplicitDeny", Match: true,
		ExpectedAction: "ecr:BatchCheckLayerAvailability", ExpectedBy: "DenyChecks", Reason: reason}
	r.Outcome.Code, r.Outcome.Action, r.Outcome.Request = "403", "ecr:BatchCheckLayerAvailability", "HEAD /v2/team-a/alpine/blobs/sha256:e12c93b4529c6d53"
	r.Push = &awsops.PushResult{Outcome: r.Outcome, Registry: "123456789012.dkr.ecr.us-west-2.amazonaws.com", Repository: "team-a/alpine", Tag: "v2"}
	printTest(newPrinter(&b, false), r)
	got := ansi.Strip(b.String())
	for _, want := range []string{"push team-a/alpine:v2: denied, as the policy predicts", reason,
		"refused ecr:BatchCheckLayerAvailability, decided by the policy's statement DenyChecks"} {
		if !strings.Contains(got, want) {
			t.Errorf("test lines lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "403: ") {
		t.Errorf("a bare status where a sentence belongs:\n%s", got)
	}
}

// TestMarksTakeTheirTonesColour: a resource state's and a step status's
// mark are drawn in the colour toneStyle gives their tone, the one palette
// of the headless commands (stateStyle drew an unset state in green and
// stepStyle a running step faint, each with a palette of its own).
func TestMarksTakeTheirTonesColour(t *testing.T) {
	for _, s := range []steps.ResourceState{"", steps.ResCreating, steps.ResCreated, steps.ResAdopted, steps.ResKept, steps.ResPending,
		steps.ResAvailable, steps.ResDeleting, steps.ResReleased, steps.ResGone, steps.ResFailed, steps.ResExpired} {
		if _, st := stateStyle(s); st.Render("x") != toneStyle(s.Tone()).Render("x") {
			t.Errorf("resource state %q: drawn %q, its tone is %q", s, st.Render("x"), toneStyle(s.Tone()).Render("x"))
		}
	}
	for _, s := range []steps.StepStatus{steps.StatusPending, steps.StatusRunning, steps.StatusDone, steps.StatusFailed, steps.StatusStopped, steps.StatusSkipped} {
		if _, st := stepStyle(s); st.Render("x") != toneStyle(s.Tone()).Render("x") {
			t.Errorf("step status %q: drawn %q, its tone is %q", s, st.Render("x"), toneStyle(s.Tone()).Render("x"))
		}
	}
}
