package ui

import (
	"strings"
	"testing"
)

// TestTheCLIPaneShowsWhatEnterWillRun: before a step runs, the CLI pane
// used to say only "No AWS calls on this screen yet". It shows the
// commands Enter will run, marked as not run yet, with the IDs known so
// far; once the step has run, the commands it ran, unmarked.
func TestTheCLIPaneShowsWhatEnterWillRun(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 100, 40)
	walkTo(t, d, scrIngress)
	d.key("c")
	d.settle()
	before := flatBox(d.screen())
	group := m.st.SecurityGroup.ID
	for _, want := range []string{"Not run yet: Enter runs these.", "SG_RULE_ID=$(aws ec2 authorize-security-group-ingress \\ --group-id " + group} {
		if !strings.Contains(before, want) {
			t.Fatalf("before the rule is added, the CLI pane must show %q:\n%s", want, d.screen())
		}
	}
	if strings.Contains(before, "No AWS calls") {
		t.Fatalf("the CLI pane says there is nothing to show:\n%s", d.screen())
	}
	d.key("enter")
	d.settle()
	after := flatBox(d.screen())
	if strings.Contains(after, "Not run yet") || !strings.Contains(after, "authorize-security-group-ingress") {
		t.Fatalf("once the rule is added, the pane shows the command it ran, not as not run yet:\n%s", d.screen())
	}
}
