package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"ecr-vpce-lab/steps"
)

// TestSkippedDNSIsNotAPass: 'up --skip-dns' records the DNS step as
// skipped, and the progress line, 'status' and its JSON all say skipped,
// never done.
func TestSkippedDNSIsNotAPass(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	code, out, errs := l.lab(append([]string{"up", "--yes", "--skip-dns"}, fast...)...)
	if code != 0 {
		t.Fatalf("up --skip-dns: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "– Private DNS skipped: --skip-dns: went on without waiting for private DNS") ||
		strings.Contains(out, "✔ Private DNS") || !strings.Contains(out, "Private DNS was not checked") {
		t.Fatalf("up --skip-dns output:\n%s", out)
	}
	code, out, errs = l.lab(append([]string{"status"}, fast...)...)
	if code != 0 || !strings.Contains(out, "– Private DNS") || !strings.Contains(out, "skipped: --skip-dns") ||
		!strings.Contains(out, "✔ VPC endpoints") {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = l.lab(append([]string{"status", "--output", "json"}, fast...)...)
	if code != 0 {
		t.Fatalf("status --output json: exit %d\n%s", code, errs)
	}
	var s steps.Status
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[steps.StepID]steps.StepStatus{}
	for _, info := range s.Steps {
		got[info.ID] = info.Status
	}
	if got[steps.StepDNS] != steps.StatusSkipped || got[steps.StepEndpoints] != steps.StatusDone {
		t.Fatalf("step statuses in JSON: %v", got)
	}
	if !strings.Contains(out, `"status": "skipped"`) {
		t.Fatalf("JSON lacks the skipped status:\n%s", out)
	}
	// Running the step later makes it a pass.
	if code, out, errs := l.lab(append([]string{"up", "--yes"}, fast...)...); code != 0 || !strings.Contains(out, "✔ Private DNS") {
		t.Fatalf("up again: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := l.lab(append([]string{"down", "--yes"}, fast...)...); code != 0 {
		t.Fatalf("down: exit %d", code)
	}
}
