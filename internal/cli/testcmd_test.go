package cli

import (
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
)

// TestTestSaysTheRequestsBypassedTheEndpoints: with DNS still public (up
// --skip-dns), the requests go around the endpoints and the prediction
// says so; the text says it too, once, as the JSON's notes do, instead of
// only that every outcome is what the endpoint policy predicts.
func TestTestSaysTheRequestsBypassedTheEndpoints(t *testing.T) {
	_, state := labHome(t)
	servedSandbox(t, state, sandbox.Faults{DNSNeverSwitches: true})
	labRun(t, 0, "up", "--yes", "--sandbox", "--skip-dns")
	out := labRun(t, 0, "test", "--sandbox")
	bypass := "note: 123456789012.dkr.ecr.us-west-2.amazonaws.com does not resolve to a private address yet, so requests bypass the ecr.dkr endpoint and its policy"
	if strings.Count(out, bypass) != 1 || !strings.Contains(out, "Every outcome is what the policies in force predict (read the notes above).") {
		t.Fatalf("test with public DNS, want the note once:\n%s", out)
	}
}
