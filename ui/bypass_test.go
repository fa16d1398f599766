package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestASkippedDNSWaitIsNotAPromiseOfARefusal: the DNS step skipped before
// anything looked at the names. The push screen used to say nothing of it
// (and "the registry should refuse it"), the DNS step's diagram "will
// refuse the push". Now the push screen warns in one line, with the key
// back; its introduction says the push may go around the endpoints and
// get through unproven; the diagram says the policy refuses only a push
// that comes its way, and what proves it; and Enter back on the DNS step
// waits for DNS after all.
func TestASkippedDNSWaitIsNotAPromiseOfARefusal(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: publicDNSTiming()})
	m, d := startWizard(t, opts, 80, 24)
	walkTo(t, d, scrDNS)
	d.key("s")
	d.settle()
	if m.cur != scrPush || len(m.lookups) != 0 {
		t.Fatalf("s must skip the DNS step, before any lookup, to the push:\n%s", d.screen())
	}
	screen := d.screen()
	if !strings.Contains(screen, "! DNS was skipped: this push may go around the endpoints. ↑ goes back.") {
		t.Fatalf("the push screen must warn in one line that the push may go around the endpoints, with the key back:\n%s", screen)
	}
	intro := m.introFor(scrPush)
	if strings.Contains(intro, "should refuse it") || !strings.Contains(intro, "the DNS wait was skipped") ||
		!strings.Contains(intro, "goes around the endpoints and their policy, and gets through without proving anything") {
		t.Fatalf("the push's introduction must say what a skipped DNS wait means for it: %q", intro)
	}
	d.key("up")
	d.settle()
	pic := flat(d.screen())
	if m.cur != scrDNS || strings.Contains(pic, "will refuse the push") ||
		!contains2(pic, "DNS was skipped: the push may go around this", "refuses at ecr:PutImage only if the push comes this way") ||
		!strings.Contains(pic, "to prove it Enter waits for private DNS; then push again") {
		t.Fatalf("the DNS step's diagram must not promise a refusal after a skip, and must say what proves it:\n%s", d.screen())
	}
	d.key("enter")
	d.until("the DNS wait again", 10*time.Second, func(m *Model) bool { return m.busy() && len(m.lookups) > 0 })
	if m.cur != scrDNS {
		t.Fatalf("Enter on the skipped DNS step must wait for DNS after all:\n%s", d.screen())
	}
	// DNS answers publicly now: that is what the diagram says.
	if pic := flat(d.screen()); !contains2(pic, "DNS answers with public addresses: the push goes around this", "not reached: the push gets through unchecked") {
		t.Fatalf("with the names public, the diagram must say the push goes around the policy:\n%s", d.screen())
	}
	d.key("s")
	d.settle()
}

// TestPublicDNSSaysThePushGoesAround: DNS answers with public addresses
// and the wait is skipped. The push's introduction used to say the
// registry should refuse the push; it goes around the endpoint and gets
// through, which proves nothing. Now it says so, why, and what to do.
func TestPublicDNSSaysThePushGoesAround(t *testing.T) {
	t.Parallel()
	_, d, _ := waitingForDNS(t, 120, 40)
	if pic := flat(d.screen()); strings.Contains(pic, "will refuse the push") {
		t.Fatalf("with the names public, the DNS step's diagram must not promise a refusal:\n%s", d.screen())
	}
	d.key("s")
	d.settle()
	screen := flat(d.screen())
	for _, want := range []string{
		"through the endpoint. But DNS still answers with public addresses, so the push goes around the endpoints and their policy: it gets through, and that proves nothing about the policy (? not proven).",
		"To prove it, press ↑ to go back to the DNS step, wait there until both names answer privately, then push again.",
		"! DNS answers publicly: this push goes around the endpoints. ↑ goes back.",
	} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the push screen must say %q:\n%s", want, d.screen())
		}
	}
	if strings.Contains(screen, "should refuse it") {
		t.Fatalf("the push screen promises a refusal that cannot come:\n%s", d.screen())
	}
}

// TestCheckAgainKeepsAPushUnproven: "k" on a push that went around the
// endpoint used to mark it ✗, though the run marked it "? not proven". Now
// the check says what the run said: the unproven mark, why and the fix.
func TestCheckAgainKeepsAPushUnproven(t *testing.T) {
	t.Parallel()
	_, d, _ := waitingForDNS(t, 100, 30)
	pushAroundTheEndpoint(t, d)
	d.key("k")
	d.until("the check", 10*time.Second, func(m *Model) bool { return m.screens[scrPush].checked != nil && !m.busy() })
	checked := flat(d.screen())
	if strings.Contains(checked, "✗ checked") || !strings.Contains(checked, "? checked") ||
		!strings.Contains(checked, "push was allowed, not proven: the request went around the ecr.dkr endpoint") ||
		!strings.Contains(checked, "then run the test again") {
		t.Fatalf("k on an unproven push must keep it unproven, with why and what to do:\n%s", d.screen())
	}
}

// TestWaitingForDNSAfterASkipProvesThePush: the learner skipped the DNS
// wait, pushed (around the endpoint: not proven), went back and waited.
// Once the names answer privately, the push that went around proves
// nothing: Enter on the push screen runs it again (it used to say
// "continue", with no way to prove the policy), and this time the
// endpoint policy refuses it.
func TestWaitingForDNSAfterASkipProvesThePush(t *testing.T) {
	t.Parallel()
	opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Timing: publicDNSTiming()})
	m, d := startWizard(t, opts, 100, 30)
	walkTo(t, d, scrDNS)
	pushAroundTheEndpoint(t, d)
	d.key("up")
	d.settle()
	d.key("enter")
	d.until("the DNS wait again", 10*time.Second, func(m *Model) bool { return m.busy() && len(m.lookups) > 0 })
	if _, err := sb.AdvanceClock(context.Background(), 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	d.until("private DNS", 30*time.Second, func(m *Model) bool { return m.screens[scrDNS].status == steps.StatusDone && !m.busy() })
	d.settle()
	d.key("enter")
	d.settle()
	if m.cur != scrPush || m.screens[scrPush].status != steps.StatusPending || m.routeWarning() != "" {
		t.Fatalf("with private DNS, the push that went around must wait to run again, with no warning left:\n%s", d.screen())
	}
	d.key("enter")
	d.until("the push test again", 20*time.Second, func(m *Model) bool { return m.screens[scrPush].status.Settled() && !m.busy() })
	if got := m.screens[scrPush].status; got != steps.StatusDone || !strings.Contains(flat(d.screen()), "push denied ✓ as the policy predicts") {
		t.Fatalf("through the endpoint, the push must be refused as the policy predicts (%q):\n%s", got, d.screen())
	}
}

// pushAroundTheEndpoint skips the DNS step (s) while the names still
// answer publicly and runs the push test, which goes around the endpoint:
// not proven.
func pushAroundTheEndpoint(t *testing.T, d *driver) {
	t.Helper()
	d.key("s")
	d.settle()
	d.key("enter")
	d.until("the push test", 20*time.Second, func(m *Model) bool { return m.screens[scrPush].status.Settled() && !m.busy() })
	if got := d.m.screens[scrPush].status; got != steps.StatusUnproven {
		t.Fatalf("the push went around the endpoint: it is %q, want unproven:\n%s", got, d.screen())
	}
}

// TestListIntroSaysTheRequestsGoAround: after a push that went around the
// endpoint (DNS skipped while it answered publicly), the list screen's
// introduction said only "The policy in force allows both", as if the
// listing and the pull were about to prove it. It now says they go
// around the endpoints too and prove nothing about the policy.
func TestListIntroSaysTheRequestsGoAround(t *testing.T) {
	t.Parallel()
	_, d, _ := waitingForDNS(t, 100, 30)
	pushAroundTheEndpoint(t, d)
	d.key("enter")
	d.settle()
	if d.m.cur != scrList {
		t.Fatalf("Enter after the push went to %s:\n%s", screens[d.m.cur].title, d.screen())
	}
	if s := flat(d.screen()); !strings.Contains(s, "these requests go around the endpoints") || !strings.Contains(s, "proves nothing about it") {
		t.Fatalf("the list screen does not say its requests go around the endpoints:\n%s", d.screen())
	}
}
