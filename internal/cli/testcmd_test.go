package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
)

// TestTestSaysTheRequestsBypassedTheEndpoints: with DNS still public (up
// --skip-dns), the requests go around the endpoints. What AWS did is
// printed, but it proves nothing about the endpoint policy: no ✔, no "as
// the policy predicts", a "not proven" with the fix (wait for DNS, test
// again), and exit 3 (nothing proven), in the text and in the JSON. The
// note that says why is printed once.
func TestTestSaysTheRequestsBypassedTheEndpoints(t *testing.T) {
	_, state := labHome(t)
	servedSandbox(t, state, sandbox.Faults{DNSNeverSwitches: true})
	labRun(t, 0, "up", "--yes", "--sandbox", "--skip-dns")
	out := labRun(t, 3, "test", "--sandbox")
	bypass := "note: 123456789012.dkr.ecr.us-west-2.amazonaws.com does not resolve to a private address yet, so requests bypass the ecr.dkr endpoint and its policy"
	if strings.Count(out, bypass) != 1 {
		t.Fatalf("test with public DNS, want the note once:\n%s", out)
	}
	for _, want := range []string{
		"push team-a/alpine:v2: allowed, not proven: the request went around the ecr.dkr endpoint (123456789012.dkr.ecr.us-west-2.amazonaws.com does not resolve to a private address yet)",
		"? Push test not proven: the request went around the ecr.dkr endpoint",
		"list-images team-a/alpine: allowed, not proven: the request went around the ecr.api endpoint (api.ecr.us-west-2.amazonaws.com does not resolve to a private address yet)",
		"the endpoint policy is not proven",
		"fix: wait until private DNS answers with the endpoints' addresses ('ecr-vpce-lab status --sandbox' shows it), then run 'ecr-vpce-lab test --sandbox' again",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("test with public DNS, want %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"✔ Push test", "✔ List test", "✔ Pull test", "as the policy predicts", "Every outcome"} {
		if strings.Contains(out, never) {
			t.Fatalf("test with public DNS claims a proof (%q):\n%s", never, out)
		}
	}
	got, js, errs := lab(t, "test", "--sandbox", "--output", "json")
	if got != 3 {
		t.Fatalf("test --output json with public DNS: exit %d, want 3\n%s%s", got, js, errs)
	}
	var res struct {
		OK       bool    `json:"ok"`
		Unproven string  `json:"unproven"`
		Skipped  *string `json:"skipped"`
		Tests    []struct {
			Name     string `json:"name"`
			Match    bool   `json:"match"`
			Unproven string `json:"unproven"`
			Outcome  struct {
				Allowed bool `json:"allowed"`
			} `json:"outcome"`
		} `json:"tests"`
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if res.OK || !strings.Contains(res.Unproven, "went around") || len(res.Tests) != 3 {
		t.Fatalf("JSON with public DNS: %+v\n%s", res, js)
	}
	if res.Skipped != nil {
		// The tests ran: "skipped" is for proofs that could not be run.
		t.Fatalf("JSON with public DNS calls the unproven tests skipped: %q\n%s", *res.Skipped, js)
	}
	for _, r := range res.Tests {
		if r.Match || !r.Outcome.Allowed || !strings.Contains(r.Unproven, "does not resolve to a private address yet") {
			t.Fatalf("JSON test %s with public DNS: %+v", r.Name, r)
		}
	}
}

// TestStatusSaysATestIsNotProvenNotSkipped: a test whose requests went
// around the endpoints ran; what it lacks is proof. status says so with
// its own word and mark (not "skipped", which is a step the lab went on
// without), in the text and in the JSON, while the DNS step the learner
// skipped stays skipped.
func TestStatusSaysATestIsNotProvenNotSkipped(t *testing.T) {
	_, state := labHome(t)
	servedSandbox(t, state, sandbox.Faults{DNSNeverSwitches: true})
	labRun(t, 0, "up", "--yes", "--sandbox", "--skip-dns")
	labRun(t, 3, "test", "--sandbox", "--only", "push")
	out := labRun(t, 0, "status", "--sandbox")
	push := lineWith(out, "Push test")
	if !strings.HasPrefix(strings.TrimSpace(push), "? Push test") || !strings.Contains(push, "not proven: the request went around the ecr.dkr endpoint") ||
		!strings.Contains(push, "then run the test again") || strings.Contains(push, "skipped") {
		t.Fatalf("status, push line %q, want ? … not proven with why and the fix:\n%s", push, out)
	}
	if dns := lineWith(out, "Private DNS"); !strings.Contains(dns, "– Private DNS") || !strings.Contains(dns, "skipped") {
		t.Fatalf("status, DNS line %q, want skipped:\n%s", dns, out)
	}
	got, js, errs := lab(t, "status", "--sandbox", "--output", "json")
	if got != 0 {
		t.Fatalf("status --output json: exit %d\n%s%s", got, js, errs)
	}
	var res struct {
		Steps []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	status := map[string]string{}
	for _, s := range res.Steps {
		status[s.ID] = s.Status
		if s.ID == "push" && !strings.HasPrefix(s.Message, "the request went around the ecr.dkr endpoint") {
			t.Fatalf("status JSON, push message %q", s.Message)
		}
	}
	if status["push"] != "unproven" || status["dns"] != "skipped" {
		t.Fatalf("status JSON steps %v, want push unproven and dns skipped\n%s", status, js)
	}
}

// lineWith is the first line of s that holds sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// TestTestFailsOnAMismatchBesideAnUnprovenTest: the exit status contract
// (help, README) is 1 when an outcome is not what the policy in force
// predicts, 3 when nothing fails but something is not proven. With DNS
// public, the list and the pull go around the endpoints (not proven), and
// the role's own IAM policy refuses the push, which the policy in force
// (AWS's full-access default, on the public way) does not predict: that
// mismatch is a failure, exit 1, not hidden behind "not proven" (exit 3),
// in the text and in the JSON, where the unproven tests are still named.
func TestTestFailsOnAMismatchBesideAnUnprovenTest(t *testing.T) {
	_, state := labHome(t)
	servedSandbox(t, state, sandbox.Faults{DNSNeverSwitches: true, DenyActions: []string{"ecr:PutImage"}})
	labRun(t, 0, "up", "--yes", "--sandbox", "--skip-dns")
	out := labRun(t, 1, "test", "--sandbox")
	for _, want := range []string{
		"✘ Push test:",
		"push was refused by an identity-based policy, not the endpoint policy",
		"? List test not proven: the request went around the ecr.api endpoint",
		"not every outcome is what the policy in force predicts",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("test with a mismatch and unproven tests, want %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "the endpoint policy is not proven") {
		t.Fatalf("the mismatch is reported as 'not proven':\n%s", out)
	}
	got, js, errs := lab(t, "test", "--sandbox", "--output", "json")
	if got != 1 {
		t.Fatalf("test --output json: exit %d, want 1\n%s%s", got, js, errs)
	}
	var res struct {
		OK       bool   `json:"ok"`
		Unproven string `json:"unproven"`
		Tests    []struct {
			Name     string `json:"name"`
			Match    bool   `json:"match"`
			Unproven string `json:"unproven"`
		} `json:"tests"`
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if res.OK || !strings.Contains(res.Unproven, "went around the ecr.api endpoint") || len(res.Tests) != 3 ||
		res.Tests[0].Name != "push" || res.Tests[0].Match || res.Tests[0].Unproven != "" {
		t.Fatalf("JSON with a mismatch and unproven tests: %+v\n%s", res, js)
	}
}
