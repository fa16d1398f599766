package ui

import (
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/steps"
)

// TestDNSStaysToShowTheSwitch: the learner pressed Enter to watch DNS
// switch over; when both names answer privately the screen stays on the
// DNS step with the private answers (the moment the step exists to show)
// until Enter goes on to the push test. It used to jump to the push at
// once, so the switch was never seen.
func TestDNSStaysToShowTheSwitch(t *testing.T) {
	t.Parallel()
	_, d := sandboxWizard(t, 80, 24)
	walkTo(t, d, scrDNS)
	d.key("enter")
	d.until("DNS done", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrDNS].status == steps.StatusDone })
	d.settle()
	s := flatText(d.screen())
	if d.m.cur != scrDNS || strings.Count(s, "private") < 2 || !strings.Contains(s, "Press Enter to continue") {
		t.Fatalf("after DNS switched, the screen does not show it (on %s):\n%s", screens[d.m.cur].title, d.screen())
	}
	d.key("enter")
	d.settle()
	if d.m.cur != scrPush {
		t.Fatalf("Enter after DNS went to %s:\n%s", screens[d.m.cur].title, d.screen())
	}
}
