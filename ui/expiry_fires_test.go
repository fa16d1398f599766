package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/steps"
)

// TestExpiryFiresUnderTheWizard: a rehearsal on the sandbox, 2 minutes,
// and the sandbox's clock moved past it (as 'ecr-vpce-lab sandbox clock'
// does). The schedule fires as its role and the endpoints go; the
// learner checks again (k), and the wizard says what happened instead of
// showing endpoints that are gone: the lines say deleted by the
// auto-teardown, the header stops billing, and the screen says the
// group goes next. When the group's schedule has fired too, it says the
// lab removed itself, and T tidies up the role: nothing of the run is
// left in AWS.
func TestExpiryFiresUnderTheWizard(t *testing.T) {
	t.Parallel()
	m, d, sb := endpointsUp(t)
	// This wizard looks every 100 ms, not every 10 s.
	m.lookEvery = 100 * time.Millisecond
	d.key("E")
	for range m.expiryChoices() {
		d.key("up")
	}
	if c := m.expiryChoices()[m.expiryPick]; c.d != 2*time.Minute {
		t.Fatalf("the first choice on the sandbox is %q", c.label)
	}
	d.key("enter")
	d.settle()
	d.until("2 minutes", 20*time.Second, func(m *Model) bool { return !m.busy() })
	st := m.lab.State()
	run := st.RunID
	readWorld(t, sb, run).scheduledAt(t, st, st.ExpiresAt)
	if strings.Contains(d.screen(), "expired") {
		t.Fatalf("expired before its time:\n%s", d.screen())
	}

	// The sandbox's clock past the expiry: the endpoints' schedule fires.
	ctx := context.Background()
	if _, err := sb.AdvanceClock(ctx, 2*time.Minute+5*time.Second); err != nil {
		t.Fatal(err)
	}
	if w := readWorld(t, sb, run); len(w.live) != 0 {
		t.Fatalf("the schedule did not delete the endpoints: %v (invocations %+v)", w.live, sb.Invocations())
	}
	// The learner checks again; from AWS's answers the wizard learns the
	// time, sees the expiry passed, and looks.
	d.key("k")
	d.settle()
	d.until("the look at the auto-teardown", 20*time.Second, func(m *Model) bool {
		return m.expLook.current(m.st) && !m.expLook.endpointsLeft
	})
	d.settle()
	s := d.screen()
	header := strings.SplitN(s, "\n", 2)[0]
	if !strings.Contains(header, "expired") || strings.Contains(header, "$") {
		t.Errorf("the header after the endpoints went: %q", header)
	}
	if !contains2(flat(s), "This run expired at", "the auto-teardown removed the endpoints: nothing bills any more", "The security group and its rule go at", "T removes the rest now") ||
		strings.Contains(s, "per hour while they exist") {
		t.Errorf("the screen does not say what happened:\n%s", s)
	}
	for _, l := range m.linesOf(steps.KindEndpoint) {
		if !l.State.Removed() && !l.State.Removing() {
			t.Errorf("%s still shows %s", l.Label, l.State)
		}
	}
	if strings.Count(s, "by the auto-teardown, at the expiry") != 3 || strings.Count(s, " deleted ") != 3 || strings.Contains(s, "Expires at") || strings.Contains(s, "E expiry") {
		t.Errorf("the endpoint lines and the note:\n%s", s)
	}

	// Enter on the next screen runs nothing on what is gone: it says so.
	d.key("enter")
	d.key("enter")
	d.settle()
	if m.cur != scrDNS || m.busy() || m.screens[scrDNS].status == steps.StatusRunning {
		t.Fatalf("after the auto-teardown Enter on DNS started the step (screen %s, busy %v)", screens[m.cur].title, m.busy())
	}
	if s := flat(d.screen()); !strings.Contains(s, "this step has nothing to run on. T tidies up what is left") {
		t.Errorf("Enter on DNS after the auto-teardown:\n%s", d.screen())
	}
	d.key("up")
	d.settle()

	// Then the group's schedule.
	if _, err := sb.AdvanceClock(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	d.until("the group gone", 20*time.Second, func(m *Model) bool {
		return m.expLook.current(m.st) && !m.expLook.groupLeft && m.expLook.final
	})
	d.settle()
	if s := flat(d.screen()); !contains2(s, "the auto-teardown removed it: the endpoints, then the security group and its rule", "Nothing bills any more", "T tidies up the rest") {
		t.Errorf("after the group went:\n%s", s)
	}
	w := readWorld(t, sb, run)
	if len(w.live) != 0 || len(w.schedules) != 0 || !w.role {
		t.Fatalf("after both schedules: %+v", w)
	}
	for _, id := range createdIDs(st) {
		if _, ok := w.tags[id]; ok {
			t.Errorf("%s is still in AWS", id)
		}
	}
	// No look after the last: none is planned, and the clock ticking well
	// past the pace starts none; the wizard is idle again.
	looks := m.expLook.when
	if next, ok := m.nextExpiryLook(); ok {
		t.Errorf("another look is planned, in %s", next)
	}
	d.send(tickMsg{gen: m.tickGen, t: time.Now().Add(3 * m.lookEvery)})
	d.settle()
	if !m.expLook.when.Equal(looks) || m.expiryLooking {
		t.Errorf("the wizard still looks after the outcome was final")
	}

	// The finish screen says the same, and T asks about what is left.
	m.goTo(scrFinish)
	if s := flat(d.screen()); !contains2(s, "The auto-teardown removed the endpoints: nothing bills any more.", "Press T to tidy up what is left, or q to leave.") ||
		strings.Contains(s, "keep it running") || strings.Contains(s, "per hour while") {
		t.Errorf("the finish screen after the auto-teardown:\n%s", d.screen())
	}
	d.key("T")
	if s := d.screen(); !contains2(s, "Tidy up what is left?", "removed the endpoints, the rule and the", "IAM role") {
		t.Errorf("T after the auto-teardown:\n%s", s)
	}
	// T: the role goes, and the wizard says nothing is left.
	d.key("y")
	d.until("the teardown", 60*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() })
	if s := d.screen(); !strings.Contains(s, "Nothing left") || !strings.Contains(s, "already deleted (by the auto-teardown") {
		t.Errorf("after T:\n%s", s)
	}
	if w := readWorld(t, sb, run); w.role || len(w.schedules) != 0 {
		t.Errorf("after T: %+v", w)
	}
}

// flat is the screen's text as one line: the sidebar cut off, wrapped
// lines joined, so a sentence is found wherever the width broke it.
func flat(screen string) string {
	var parts []string
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.LastIndex(l, "│"); i >= 0 {
			l = l[i+len("│"):]
		}
		parts = append(parts, strings.TrimSpace(l))
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
