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
		"– Push test not proven: the request went around the ecr.dkr endpoint",
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
		OK       bool   `json:"ok"`
		Unproven string `json:"unproven"`
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
	for _, r := range res.Tests {
		if r.Match || !r.Outcome.Allowed || !strings.Contains(r.Unproven, "does not resolve to a private address yet") {
			t.Fatalf("JSON test %s with public DNS: %+v", r.Name, r)
		}
	}
}
