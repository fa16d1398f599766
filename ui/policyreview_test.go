package ui

import (
	"strings"
	"testing"
)

// TestArrowsPassThroughThePolicyStep: a learner reviewing the steps with
// ↑ and ↓ passes the policy step like any other. It used to open the
// form there, which took the arrows for its fields: ↑ went no further
// back, and esc jumped forward again. Now the step shows the policy in
// force, read only, with p to change it; esc from the form opened there
// comes back to it.
func TestArrowsPassThroughThePolicyStep(t *testing.T) {
	t.Parallel()
	_, d := sandboxWizard(t, 80, 24)
	walkTo(t, d, scrEndpoints)
	at := func(want screenID, form bool, what string) {
		t.Helper()
		d.settle()
		if d.m.cur != want || (d.m.editor != nil) != form {
			t.Fatalf("%s: on %s, form open %t; want %s, form %t:\n%s", what, screens[d.m.cur].title, d.m.editor != nil, screens[want].title, form, d.screen())
		}
	}
	d.key("up")
	at(scrPolicy, false, "↑ from the endpoints")
	s := flatText(d.screen())
	for _, want := range []string{"DenyPutImage", "What this policy allows", "Attached to", "Press p to change the policy", "Enter to continue"} {
		if !strings.Contains(s, want) {
			t.Errorf("the policy step seen again lacks %q:\n%s", want, d.screen())
		}
	}
	d.key("up")
	at(scrIngress, false, "↑ from the policy")
	d.key("down")
	at(scrPolicy, false, "↓ from the ingress rule")
	d.key("p")
	at(scrPolicy, true, "p on the policy")
	d.key("esc")
	at(scrPolicy, false, "esc from the form opened there")
	d.key("enter")
	at(scrEndpoints, false, "Enter on the policy seen again")
}
