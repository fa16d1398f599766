package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// walkTo presses Enter until the wizard shows screen target.
func walkTo(t *testing.T, d *driver, target screenID) {
	t.Helper()
	for i := 0; i < 40 && d.m.cur != target; i++ {
		d.key("enter")
		d.settle()
		if d.m.screens[d.m.cur].status == steps.StatusFailed {
			t.Fatalf("screen %s failed:\n%s", screens[d.m.cur].title, d.screen())
		}
	}
	if d.m.cur != target {
		t.Fatalf("did not reach %s:\n%s", screens[target].title, d.screen())
	}
}

func TestEnterWalksToThePolicyAndAppliesIt(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 120, 40)
	if m.phase != phaseLab || m.cur != scrPreflight {
		t.Fatalf("phase %d screen %d", m.phase, m.cur)
	}
	walkTo(t, d, scrPolicy)
	for _, s := range []screenID{scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress} {
		if m.screens[s].status != steps.StatusDone {
			t.Fatalf("%s not done", screens[s].title)
		}
	}
	if !strings.Contains(d.screen(), "Deny (DenyPutImage)") {
		t.Fatalf("the simulation must show the deny:\n%s", d.screen())
	}
	// Enter through the form's three fields applies the policy. The form
	// moves between fields through its own messages, so wait for the outcome
	// rather than for a quiet moment.
	for i := 0; i < 3; i++ {
		d.key("enter")
		d.settle()
	}
	d.until("the policy to be applied", 20*time.Second, func(m *Model) bool {
		return m.screens[scrPolicy].status == steps.StatusDone && !m.busy()
	})
	if m.cur != scrEndpoints || m.screens[scrPolicy].status != steps.StatusDone {
		t.Fatalf("policy not applied: screen %d\n%s", m.cur, d.screen())
	}
	if got := m.lab.State().Policy; !strings.Contains(string(got), "DenyPutImage") {
		t.Fatalf("state policy: %s", got)
	}
}

func TestPolicyEditorRefusesInvalidJSON(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 120, 40)
	walkTo(t, d, scrPolicy)
	// Tab to a select so j is a shortcut, not text.
	tabToSelect(t, d)
	d.key("ctrl+o")
	d.settle()
	if !m.editor.rawMode {
		t.Fatalf("j must open the JSON editor:\n%s", d.screen())
	}
	m.editor.raw.SetValue(`{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]`)
	m.editor.relint()
	d.key("ctrl+s")
	d.settle()
	if m.screens[scrPolicy].status == steps.StatusDone || m.cur != scrPolicy {
		t.Fatal("an invalid policy must not be applied")
	}
	screen := d.screen()
	if !contains2(screen, "cannot be applied", "The lab applies no policy with errors") {
		t.Fatalf("the refusal must be explained:\n%s", screen)
	}
	// A valid policy applies.
	m.editor.raw.SetValue(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"NoPulls","Effect":"Deny","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}]}`)
	m.editor.relint()
	d.key("ctrl+s")
	d.settle()
	if m.screens[scrPolicy].status != steps.StatusDone {
		t.Fatalf("a valid policy must apply:\n%s", d.screen())
	}
	if !strings.Contains(string(m.lab.State().Policy), "NoPulls") {
		t.Fatal("the JSON policy must be the one recorded")
	}
}

func TestTeardownNeedsConfirmation(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 120, 40)
	walkTo(t, d, scrIngress)
	d.key("enter") // create the rule
	d.settle()
	// With the group and its rule made, the workspace's IDs cannot be
	// chosen again (the rule lets HTTPS in from the old group): e is not
	// offered and does nothing, and the screen says why.
	d.key("up")
	d.key("up")
	d.settle()
	if m.cur != scrWorkspace || strings.Contains(ansi.Strip(m.helpBar()), "edit IDs") || !strings.Contains(flatText(d.screen()), "to choose another, tear it down first (T)") {
		t.Fatalf("the workspace screen once the rule exists (help %q):\n%s", ansi.Strip(m.helpBar()), d.screen())
	}
	d.key("e")
	d.settle()
	if m.picker != nil {
		t.Fatalf("e opened the workspace form once the rule exists:\n%s", d.screen())
	}
	d.key("T")
	d.settle()
	if m.overlay != overlayConfirmTeardown || !strings.Contains(d.screen(), "Tear down everything?") {
		t.Fatalf("T must ask first:\n%s", d.screen())
	}
	d.key("n")
	d.settle()
	if m.overlay != overlayNone || m.phase != phaseLab {
		t.Fatal("n must cancel")
	}
	if !strings.Contains(d.screen(), "left") {
		t.Fatalf("the header shows no time left before the teardown:\n%s", d.screen())
	}
	d.key("T")
	d.key("y")
	// The teardown removes the schedules first: no countdown from then on.
	if m.phase != phaseTeardown || strings.Contains(strings.SplitN(d.screen(), "\n", 2)[0], " left") {
		t.Fatalf("the header during the teardown:\n%s", d.screen())
	}
	d.settle()
	if m.phase != phaseTeardown || m.tdReport == nil || !m.tdReport.Nothing() {
		t.Fatalf("teardown did not finish clean:\n%s", d.screen())
	}
	screen := d.screen()
	if !contains2(screen, "Nothing left", "security group ECR_VPCE_SG", "ingress rule") {
		t.Fatalf("teardown screen:\n%s", screen)
	}
	d.key("enter")
	d.settle()
	if !d.quit && !m.quitting {
		t.Fatal("Enter after teardown quits")
	}
}

func TestQuitAsksWhileWorkIsInFlightOrBilling(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	m, d := startWizard(t, opts, 80, 24)
	// Nothing billing, nothing running: q quits at once.
	d.key("q")
	if !m.quitting {
		t.Fatal("q with nothing running must quit")
	}
	m2, d2 := startWizard(t, opts, 80, 24)
	m2.op = &inflight{kind: opStep, seq: 99, cancel: func() {}} // as if a step were running
	d2.key("q")
	if m2.quitting || m2.overlay != overlayConfirmQuit {
		t.Fatal("q while busy must ask")
	}
	d2.key("n")
	if m2.overlay != overlayNone || m2.quitting {
		t.Fatal("n keeps the wizard")
	}
	d2.key("ctrl+c")
	d2.key("ctrl+c")
	if !m2.quitting {
		t.Fatal("a second ctrl+c quits")
	}
}

func TestFailedStepShowsItsFix(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 120, 40)
	m.cur = scrSecurityGroup
	// As if the step were running and failed.
	m.op = &inflight{kind: opStep, seq: 42, step: steps.StepSecurityGroup, screen: scrSecurityGroup, cancel: func() {}}
	d.send(eventMsg(steps.Event{Kind: steps.EventFailed, Step: steps.StepSecurityGroup, Error: "UnauthorizedOperation: not allowed to create security groups", Fix: "add ec2:CreateSecurityGroup to your role (see docs/iam-policy.json)"}))
	d.send(opDoneMsg{seq: 42, kind: opStep, step: steps.StepSecurityGroup, res: opResult{err: errors.New("create the security group: UnauthorizedOperation")}})
	screen := d.screen()
	if m.screens[scrSecurityGroup].status != steps.StatusFailed || !contains2(screen, "✗ UnauthorizedOperation", "→ add ec2:CreateSecurityGroup", "Press Enter to try again") {
		t.Fatalf("failure and fix must show:\n%s", screen)
	}
}

func TestResumeOffersChoices(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	m, d := startWizard(t, opts, 120, 40)
	walkTo(t, d, scrIngress)
	m.Close()
	// A new wizard on the same state resumes.
	m2, d2 := startWizard(t, opts, 120, 40)
	if m2.phase != phaseResume || !contains2(d2.screen(), "Welcome back", "resume where you were") {
		t.Fatalf("resume screen:\n%s", d2.screen())
	}
	// n (tear down and start over) asks first, as T does; n to that
	// removes nothing.
	d2.key("n")
	d2.settle()
	if m2.phase != phaseResume || m2.overlay != overlayConfirmTeardown || !contains2(d2.screen(), "Tear down everything and start over?") {
		t.Fatalf("n on the resume screen must ask first (phase %d):\n%s", m2.phase, d2.screen())
	}
	d2.key("n")
	d2.settle()
	if m2.phase != phaseResume || m2.overlay != overlayNone || m2.afterTD != nil || m2.st.SecurityGroup == nil {
		t.Fatalf("no to starting over must leave everything (phase %d):\n%s", m2.phase, d2.screen())
	}
	d2.key("enter")
	d2.settle()
	if m2.phase != phaseLab || m2.cur != scrIngress {
		t.Fatalf("resume lands on the first unfinished screen, got %d", m2.cur)
	}
	m2.Close()
	// Yes to starting over tears down, then begins afresh.
	m3, d3 := startWizard(t, opts, 120, 40)
	d3.key("n")
	d3.key("y")
	d3.settle()
	if m3.phase != phaseTeardown || m3.tdReport == nil || !m3.tdReport.Nothing() {
		t.Fatalf("yes to starting over must tear down:\n%s", d3.screen())
	}
	d3.key("enter")
	d3.settle()
	if d3.m == m3 || d3.m.phase != phaseLab || d3.m.cur != scrPreflight {
		t.Fatalf("after the teardown, the lab starts over: phase %d, screen %d\n%s", d3.m.phase, d3.m.cur, d3.screen())
	}
}

func TestTooSmall(t *testing.T) {
	t.Parallel()
	_, d := sandboxWizard(t, 50, 12)
	if !contains2(d.screen(), "too small", "50×12", "60×16") {
		t.Fatalf("%s", d.screen())
	}
	// Narrower still, the words wrap: a terminal would cut a longer line
	// ("at least 60×1").
	d.send(tea.WindowSizeMsg{Width: 36, Height: 10})
	screen := d.screen()
	for _, l := range strings.Split(screen, "\n") {
		if lipgloss.Width(l) > 36 {
			t.Errorf("at 36×10 a line is %d wide: %q", lipgloss.Width(l), l)
		}
	}
	if s := strings.Join(strings.Fields(screen), " "); !contains2(s, "36×10; the lab needs at least 60×16.", "(ecr-vpce-lab up --help).") {
		t.Errorf("at 36×10:\n%s", screen)
	}
}

// TestPolicyChangeFlipsThePush: p on the test screens goes back to the
// policy, applies the change to the live endpoints, and runs the tests again;
// without the Deny the same push goes through.
func TestPolicyChangeFlipsThePush(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 120, 40)
	walkTo(t, d, scrPush)
	d.key("enter")
	d.settle()
	if m.tests["push"].Outcome.Allowed {
		t.Fatalf("the lab policy must refuse the push:\n%s", d.screen())
	}
	d.key("p")
	d.settle()
	if m.cur != scrPolicy {
		t.Fatalf("p must open the policy editor, at %d", m.cur)
	}
	tabToSelect(t, d)
	d.key("ctrl+o")
	d.settle()
	m.editor.raw.SetValue(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
	m.editor.relint()
	d.key("ctrl+s")
	d.until("the push to run again", 20*time.Second, func(m *Model) bool {
		_, ok := m.tests["push"]
		return ok && !m.busy()
	})
	d.settle()
	push := m.tests["push"]
	if !push.Outcome.Allowed || !push.Match || m.cur != scrPush {
		t.Fatalf("without the Deny the push must go through, as predicted: %+v\n%s", push.Outcome, d.screen())
	}
	if !strings.Contains(d.screen(), "push allowed") {
		t.Fatalf("%s", d.screen())
	}
}

// tabToSelect moves the policy form's focus off the repository input; the
// form does that through its own message, so wait for it.
func tabToSelect(t *testing.T, d *driver) {
	t.Helper()
	d.key("tab")
	d.until("the focus to leave the text field", 10*time.Second, func(m *Model) bool { k, _ := m.editor.focus(); return k != fieldText })
}

// TestResumeAfterAStoppedTeardown: a teardown stopped part way (Ctrl-C
// twice) leaves a run whose records list what may be gone. Opened again,
// the wizard says so instead of "its endpoints are running", and Enter
// finishes the teardown (after a yes) instead of resuming a half-removed
// lab.
func TestResumeAfterAStoppedTeardown(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	m, d := startWizard(t, opts, 120, 40)
	walkTo(t, d, scrIngress)
	stoppedCtx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.lab.Teardown(stoppedCtx, steps.TeardownOptions{}); err == nil {
		t.Fatal("a stopped teardown succeeded")
	}
	m.Close()
	m2, d2 := startWizard(t, opts, 120, 40)
	s := flatText(d2.screen())
	if m2.phase != phaseResume || !strings.Contains(s, "was stopped before the end") || strings.Contains(s, "resume where you were") || !strings.Contains(s, "enter finish the teardown") {
		t.Fatalf("the resume screen after a stopped teardown:\n%s", d2.screen())
	}
	d2.key("enter")
	d2.settle()
	if m2.overlay != overlayConfirmTeardown {
		t.Fatalf("enter must ask before tearing down:\n%s", d2.screen())
	}
	d2.key("y")
	d2.settle()
	if m2.phase != phaseTeardown || m2.tdReport == nil || !m2.tdReport.Nothing() {
		t.Fatalf("the teardown did not finish clean:\n%s", d2.screen())
	}
}
