package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestWizardSaysABypassedPushProvesNothing: with the DNS wait skipped and
// the names still public, the push goes around the endpoint. AWS allowed
// it, but that proves nothing about the endpoint policy: the push screen
// says "not proven" with the fix, the step is unproven (not done), and the
// finish screen does not say the policy let a push through. It used to
// show "✓ as the policy predicts" and mark the step done.
func TestWizardSaysABypassedPushProvesNothing(t *testing.T) {
	t.Parallel()
	m, d, opts := waitingForDNS(t, 120, 40)
	d.key("s")
	d.settle()
	if m.cur != scrPush {
		t.Fatalf("s must skip the wait and go on to the push:\n%s", d.screen())
	}
	d.key("enter")
	d.until("the push test", 20*time.Second, func(m *Model) bool { return m.screens[scrPush].status.Settled() && !m.busy() })
	screen := flat(d.screen())
	if got := m.screens[scrPush].status; got != steps.StatusUnproven {
		t.Fatalf("a bypassed push is %q, want unproven (not passed, not skipped):\n%s", got, d.screen())
	}
	if strings.Contains(screen, "as the policy predicts") || strings.Contains(screen, "let the push through") ||
		!strings.Contains(screen, "Not proven, not passed") || !strings.Contains(screen, "then run the test again") {
		t.Fatalf("the push screen must say the push proves nothing, with the fix:\n%s", d.screen())
	}
	walkTo(t, d, scrFinish)
	fin := flat(d.screen())
	if strings.Contains(fin, "a push went through") || !strings.Contains(fin, "nothing has shown the policy at work yet") {
		t.Fatalf("the finish screen must not present the bypassed push as the policy at work:\n%s", d.screen())
	}
	// Coming back: the welcome names what was skipped and what is not
	// proven (it used to list only what was done), and the push screen
	// shows the saved result with why.
	m.Close()
	m2, d2 := startWizard(t, opts, 80, 24)
	if m2.phase != phaseResume {
		t.Fatalf("a saved run must offer to resume:\n%s", d2.screen())
	}
	welcome := flat(d2.screen())
	if !strings.Contains(welcome, "– Skipped: Private DNS") || !strings.Contains(welcome, "? Not proven: Push test") {
		t.Fatalf("the welcome must name the skipped and the unproven steps:\n%s", d2.screen())
	}
	d2.key("enter")
	d2.settle()
	for i := 0; i < 10 && m2.cur != scrPush; i++ {
		d2.key("up")
		d2.settle()
	}
	back := flat(d2.screen())
	if m2.cur != scrPush || !strings.Contains(back, "push allowed ? not proven") || !strings.Contains(back, "went around the ecr.dkr endpoint") {
		t.Fatalf("the resumed push screen must show the saved result:\n%s", d2.screen())
	}
}

// TestAccessibleSaysABypassedPushProvesNothing: the same in accessible
// mode (no DNS wait, names still public): the test's line, the step's end
// and the closing words say "not proven", never "That is what the policy
// predicts" or that the policy let a push through.
func TestAccessibleSaysABypassedPushProvesNothing(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: publicDNSTiming()})
	text := runAccessible(t, opts, strings.Repeat("\n", 8)+"s\n"+strings.Repeat("\n", 2)+"y\n")
	says(t, text,
		"Test push: allowed. Not proven: the request went around the ecr.dkr endpoint",
		"Not proven, not passed: Push test.",
		"nothing has shown the policy at work yet: the push is not proven",
		"Wait until private DNS answers with the endpoints' addresses ('status' shows it), then run the test again.",
	)
	for _, never := range []string{"Test push: allowed. That is what the policy predicts.", "a push went through", "Finished: Push test."} {
		if strings.Contains(text, never) {
			t.Fatalf("a bypassed push reads as a proof (%q):\n%s", never, text)
		}
	}
}

// TestThePushResultIsKeptWhenItsEventsComeLate: the end of the push test
// can reach the wizard before the step's events do (they come in batches,
// and a busy terminal takes its time over each). The push screen then
// said "not run" under the "Not proven" note, as if the push had never
// happened: the result must come with the step's end, so the result area
// says what AWS did, that it proves nothing, why, and what to do.
func TestThePushResultIsKeptWhenItsEventsComeLate(t *testing.T) {
	t.Parallel()
	m, d, _ := waitingForDNS(t, 80, 24)
	d.key("s")
	d.settle()
	d.eventLag.Store(int64(400 * time.Millisecond))
	d.key("enter")
	d.until("the push test", 20*time.Second, func(m *Model) bool { return m.screens[scrPush].status.Settled() && !m.busy() })
	screen := flat(d.screen())
	if _, ok := m.tests[steps.PushTest]; !ok {
		t.Fatalf("the push ended, but the wizard has no result of it:\n%s", d.screen())
	}
	if strings.Contains(screen, "not run") {
		t.Fatalf("the push ran, but its screen says it did not:\n%s", d.screen())
	}
	for _, want := range []string{"push allowed", "not proven", "went around the ecr.dkr endpoint", "then run the test again"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the push screen must say %q:\n%s", want, d.screen())
		}
	}
	d.eventLag.Store(0)
	d.settle()
	// A small window keeps the outcome, why and the fix; it gives up
	// where the image went first (it used to keep that and lose the rest).
	d.send(tea.WindowSizeMsg{Width: 60, Height: 16})
	small := flat(d.screen())
	for _, want := range []string{"push allowed", "not proven", "went around the ecr.dkr endpoint", "then run the test again"} {
		if !strings.Contains(small, want) {
			t.Fatalf("at 60x16 the push screen must say %q:\n%s", want, d.screen())
		}
	}
}

// TestTheListScreenSaysWhyBothTestsProveNothing: with the names public,
// the list and the pull both go around the endpoints. At 80x24 the list
// screen says, for each, what AWS did, that it proves nothing and which
// endpoint it went around. The notes that repeated it for every endpoint
// used to push the pull's reason off the screen.
func TestTheListScreenSaysWhyBothTestsProveNothing(t *testing.T) {
	t.Parallel()
	m, d, _ := waitingForDNS(t, 80, 24)
	d.key("s")
	d.settle()
	d.key("enter")
	d.until("the push test", 20*time.Second, func(m *Model) bool { return m.screens[scrPush].status.Settled() && !m.busy() })
	d.settle()
	d.key("down")
	d.settle()
	if m.cur != scrList {
		t.Fatalf("↓ after the push must go on to the list test:\n%s", d.screen())
	}
	d.key("enter")
	d.until("the list and pull tests", 20*time.Second, func(m *Model) bool { return m.screens[scrList].status.Settled() && !m.busy() })
	d.settle()
	if got := m.screens[scrList].status; got != steps.StatusUnproven {
		t.Fatalf("the list screen is %q, want unproven:\n%s", got, d.screen())
	}
	screen := flat(d.screen())
	for _, want := range []string{"list-images allowed ? not proven", "went around the ecr.api endpoint",
		"pull allowed ? not proven", "went around the ecr.dkr endpoint", "then run the test again"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the list screen must say %q:\n%s", want, d.screen())
		}
	}
}
