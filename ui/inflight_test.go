package ui

import (
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/steps"
)

// TestCheckThenSkipOnDNS is the panic of issue 11: k (check again) on the
// Private DNS screen, then s (skip), once called a nil cancel func.
func TestCheckThenSkipOnDNS(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 120, 40)
	walkTo(t, d, scrDNS)
	// As if the wait for DNS had failed: k checks again, and s skips while
	// the check runs.
	m.screens[scrDNS].status = steps.StatusFailed
	d.key("k")
	if m.op == nil || m.op.kind != opCheck {
		t.Fatalf("k must start a check, in flight: %+v", m.op)
	}
	d.key("s")
	d.settle()
	if m.screens[scrDNS].status != steps.StatusSkipped || m.cur != scrPush {
		t.Fatalf("s must skip the DNS step and go on, status %q on screen %d:\n%s", m.screens[scrDNS].status, m.cur, d.screen())
	}
	if !strings.Contains(d.screen(), "Private DNS skipped") && !strings.Contains(d.screen(), "skipped: 7") {
		t.Fatalf("a skipped step has its own mark and word:\n%s", d.screen())
	}
}

// TestStopAndSkipTheDNSWait, against a sandbox whose DNS does not switch
// while the test runs: esc stops the wait (stopped, its own mark, not failed), Enter
// watches again, and s skips while it watches (skipped, and on to the
// push test).
func TestStopAndSkipTheDNSWait(t *testing.T) {
	t.Parallel()
	m, d, opts := waitingForDNS(t, 120, 40)
	d.key("esc")
	d.settle()
	sc := m.screens[scrDNS]
	if m.cur != scrDNS || sc.status != steps.StatusStopped || sc.err != "" {
		t.Fatalf("esc must stop the wait: screen %d, status %q, err %q\n%s", m.cur, sc.status, sc.err, d.screen())
	}
	if !contains2(d.screen(), steps.StatusStopped.Mark()+" Private DNS") || !contains2(flat(d.screen()), "press Enter to go on from there", "enter go on") {
		t.Fatalf("a stopped step says so:\n%s", d.screen())
	}
	d.key("enter")
	d.until("the DNS wait again", 10*time.Second, func(m *Model) bool { return m.busy() })
	d.key("s")
	d.settle()
	if m.screens[scrDNS].status != steps.StatusSkipped || m.cur != scrPush {
		t.Fatalf("s must skip the wait and go on: status %q on screen %d\n%s", m.screens[scrDNS].status, m.cur, d.screen())
	}
	// The engine records the skip, so status, the JSON and a resumed run
	// know it was skipped, not passed.
	if got := m.lab.State().Steps[steps.StepDNS].Status; got != steps.StatusSkipped {
		t.Fatalf("the skip is saved as %q", got)
	}
	m.Close()
	m2, d2 := startWizard(t, opts, 120, 40)
	d2.key("enter")
	d2.settle()
	if m2.screens[scrDNS].status != steps.StatusSkipped || !strings.Contains(d2.screen(), "Private DNS skipped") {
		t.Fatalf("a resumed run shows the skip:\n%s", d2.screen())
	}
}

// TestTeardownDuringAWait: T during the DNS wait (an hour here) asks, and
// after a yes stops the wait and tears everything down. It used to do
// nothing at all: T was not a key while a step ran, and nothing said to
// press esc first.
func TestTeardownDuringAWait(t *testing.T) {
	t.Parallel()
	m, d, _ := waitingForDNS(t, 80, 24)
	if s := d.screen(); !strings.Contains(s, "T stop, tear down") {
		t.Errorf("the help bar during the wait does not offer T:\n%s", s)
	}
	d.key("T")
	if m.overlay != overlayConfirmTeardown {
		t.Fatalf("T during the wait did not ask:\n%s", d.screen())
	}
	d.key("y")
	d.until("the teardown to end", 20*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() })
	if m.tdErr != "" || m.st.HasResources() {
		t.Fatalf("the teardown after the wait: %q, resources left: %t\n%s", m.tdErr, m.st.HasResources(), d.screen())
	}
	if s := flatText(d.screen()); !strings.Contains(s, "Nothing left") {
		t.Errorf("the teardown's end:\n%s", d.screen())
	}
}
