package cli

import (
	"bytes"
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
// problem it is and what to do, never the SDK's stack.
func TestPrinterShowsTheKindOfAFailure(t *testing.T) {
	var b bytes.Buffer
	err := &problem.Error{Kind: problem.Server, Op: "create the endpoints", Code: "InternalError", Message: "An internal error has occurred",
		Fix: "wait a minute and run the command again"}
	newPrinter(&b, false).event(steps.Event{Kind: steps.EventFailed, Message: "VPC endpoints", Error: err.Error(), Fix: err.Fix, ErrKind: err.Kind})
	got := ansi.Strip(b.String())
	for _, want := range []string{"✘ VPC endpoints: create the endpoints: InternalError: An internal error has occurred",
		"AWS had a problem", "fix: wait a minute and run the command again"} {
		if !strings.Contains(got, want) {
			t.Errorf("failure lines lack %q:\n%s", want, got)
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
