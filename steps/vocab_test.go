package steps_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

func TestResourceStates(t *testing.T) {
	type want struct {
		settled, failed, removed, removing bool
		tone                               steps.Tone
	}
	for _, tc := range []struct {
		state steps.ResourceState
		want  want
	}{
		{steps.ResCreating, want{tone: steps.ToneBusy}},
		{steps.ResPending, want{tone: steps.ToneBusy}},
		{steps.ResPendingAcceptance, want{tone: steps.ToneBusy}},
		{steps.ResWaiting, want{tone: steps.ToneBusy}},
		{steps.ResDeleting, want{removing: true, tone: steps.ToneBusy}},
		{steps.ResReleasing, want{removing: true, tone: steps.ToneBusy}},
		{steps.ResAvailable, want{settled: true, tone: steps.ToneGood}},
		{steps.ResCreated, want{settled: true, tone: steps.ToneGood}},
		{steps.ResExists, want{settled: true, tone: steps.ToneGood}},
		{steps.ResModified, want{settled: true, tone: steps.ToneGood}},
		{steps.ResDeleted, want{settled: true, removed: true, tone: steps.ToneGood}},
		{steps.ResReleased, want{settled: true, removed: true, tone: steps.ToneGood}},
		{steps.ResGone, want{settled: true, removed: true, tone: steps.ToneGood}},
		{steps.ResAdopted, want{settled: true, tone: steps.ToneNotice}},
		{steps.ResKept, want{settled: true, tone: steps.ToneNotice}},
		{steps.ResRestored, want{settled: true, tone: steps.ToneNotice}},
		{steps.ResPartial, want{settled: true, tone: steps.ToneNotice}},
		{steps.ResFailed, want{settled: true, failed: true, tone: steps.ToneBad}},
		{steps.ResRejected, want{settled: true, failed: true, tone: steps.ToneBad}},
		{steps.ResExpired, want{settled: true, failed: true, tone: steps.ToneBad}},
	} {
		s := tc.state
		got := want{s.Settled(), s.Failed(), s.Removed(), s.Removing(), s.Tone()}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", s, got, tc.want)
		}
		if s.Label() == "" {
			t.Errorf("%s has no label", s)
		}
	}
	if steps.ResReleasing.Label() != "waiting for its network interfaces" || steps.ResPendingAcceptance.Label() != "pending acceptance" {
		t.Errorf("labels: %q, %q", steps.ResReleasing.Label(), steps.ResPendingAcceptance.Label())
	}
}

// TestEndpointStateFromAWS: the SDK's enum constants are capitalised while
// the wire is not; both land on the same state, in the wire's spelling.
func TestEndpointStateFromAWS(t *testing.T) {
	for in, want := range map[string]steps.ResourceState{
		"available": steps.ResAvailable, "Available": steps.ResAvailable, "PendingAcceptance": steps.ResPendingAcceptance,
		"pendingAcceptance": steps.ResPendingAcceptance, "Deleting": steps.ResDeleting, "deleted": steps.ResDeleted,
		"Failed": steps.ResFailed, "rejected": steps.ResRejected, "Expired": steps.ResExpired, "partial": steps.ResPartial,
		"someNewState": "someNewState",
	} {
		if got := steps.EndpointState(in); got != want {
			t.Errorf("EndpointState(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStepStatuses(t *testing.T) {
	for _, tc := range []struct {
		s                       steps.StepStatus
		passed, failed, settled bool
		tone                    steps.Tone
		mark, label             string
	}{
		{steps.StatusPending, false, false, false, steps.ToneIdle, "·", "not run"},
		{steps.StatusRunning, false, false, false, steps.ToneBusy, "·", "running"},
		{steps.StatusDone, true, false, true, steps.ToneGood, "✓", "done"},
		{steps.StatusFailed, false, true, true, steps.ToneBad, "✗", "failed"},
		{steps.StatusStopped, false, false, true, steps.ToneNotice, "■", "stopped"},
		// Skipped is settled but not passed, and looks like nothing else.
		{steps.StatusSkipped, false, false, true, steps.ToneNotice, "–", "skipped"},
		// Unproven (a test that ran, but around the endpoints) is neither a
		// pass, a failure nor a skip: its own mark and word.
		{steps.StatusUnproven, false, false, true, steps.ToneNotice, "?", "not proven"},
	} {
		if tc.s.Passed() != tc.passed || tc.s.Failed() != tc.failed || tc.s.Settled() != tc.settled || tc.s.Tone() != tc.tone ||
			tc.s.Mark() != tc.mark || tc.s.Label() != tc.label {
			t.Errorf("%q: passed %v failed %v settled %v tone %v mark %q label %q", tc.s, tc.s.Passed(), tc.s.Failed(), tc.s.Settled(),
				tc.s.Tone(), tc.s.Mark(), tc.s.Label())
		}
	}
}

// TestVocabularyJSONIsStable: the typed values marshal to the strings the
// JSON output and the state file have always carried.
func TestVocabularyJSONIsStable(t *testing.T) {
	ev := steps.Event{Kind: steps.EventResource, Step: steps.StepEndpoints, Time: time.Unix(0, 0).UTC(),
		Resource: &steps.ResourceEvent{Kind: steps.KindEndpoint, ID: "vpce-1", Name: steps.EndpointDKR, State: steps.ResAvailable}}
	b, _ := json.Marshal(ev)
	if !strings.Contains(string(b), `"resource":{"kind":"vpc-endpoint","id":"vpce-1","name":"ecr.dkr","state":"available"}`) {
		t.Errorf("resource event: %s", b)
	}
	st := steps.State{Steps: map[steps.StepID]steps.StepRecord{steps.StepDNS: {Status: steps.StatusSkipped}},
		Tests: map[steps.TestName]steps.TestResult{steps.ListTest: {Name: steps.ListTest}}}
	b, _ = json.Marshal(st)
	for _, want := range []string{`"dns":{"status":"skipped"`, `"tests":{"list-images":{"name":"list-images"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("state %s lacks %s", b, want)
		}
	}
	var back steps.State
	if err := json.Unmarshal(b, &back); err != nil || back.Steps[steps.StepDNS].Status != steps.StatusSkipped || back.Tests[steps.ListTest].Name != steps.ListTest {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func TestTestNamesAndTargets(t *testing.T) {
	for in, want := range map[string]steps.StepID{"push": steps.StepPush, "LIST": steps.StepList, "list-images": steps.StepList, "pull": steps.StepPull} {
		n, err := steps.ParseTestName(in)
		if err != nil || n.Step() != want {
			t.Errorf("ParseTestName(%q) = %q %v", in, n, err)
		}
		if back, ok := steps.TestOf(want); !ok || back != n {
			t.Errorf("TestOf(%s) = %q", want, back)
		}
	}
	if _, err := steps.ParseTestName("login"); err == nil {
		t.Error("login is no test")
	}
	if _, ok := steps.TestOf(steps.StepDNS); ok {
		t.Error("dns is no test")
	}
	if !steps.TargetDKR.Carries(steps.EndpointDKR) || steps.TargetDKR.Carries(steps.EndpointAPI) || !steps.TargetBoth.Carries(steps.EndpointAPI) ||
		steps.TargetBoth.Carries(steps.EndpointS3) {
		t.Error("Carries")
	}
	if steps.TargetDKR.Label() != "ecr.dkr only" || steps.TargetBoth.Label() != "ecr.dkr and ecr.api" {
		t.Error("target labels")
	}
	if steps.KindVPCAttributes.Label() != "VPC attributes" || steps.ResourceKind("nat-gateway").Label() != "nat gateway" {
		t.Error("kind labels")
	}
}

// TestStatementMarks: the deciding statement stands out in the verdict's
// tone, an outweighed Allow is worth a look, the rest is idle.
func TestStatementMarks(t *testing.T) {
	for _, tc := range []struct {
		role   policy.Role
		effect policy.Effect
		mark   string
		tone   steps.Tone
	}{
		{policy.RoleDecides, policy.Deny, "▶", steps.ToneBad},
		{policy.RoleDecides, policy.Allow, "▶", steps.ToneGood},
		{policy.RoleOverridden, policy.Allow, "✓", steps.ToneNotice},
		{policy.RoleNoMatch, policy.Deny, "·", steps.ToneIdle},
		{policy.RoleIgnored, "Permit", "·", steps.ToneIdle},
	} {
		if mark, tone := steps.StatementMark(policy.StatementTrace{Role: tc.role, Effect: tc.effect}); mark != tc.mark || tone != tc.tone {
			t.Errorf("%s %s: %q %v, want %q %v", tc.role, tc.effect, mark, tone, tc.mark, tc.tone)
		}
	}
}
