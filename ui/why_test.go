package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestWhyAfterAFailedStep: a step refused by AWS (the role lacks
// ec2:DescribeRouteTables, so the workspace cannot be discovered) offers
// x, and x explains it with the engine: an EC2 action never passes the
// lab's ECR endpoints, the caller's IAM policy refused it, and where to
// look. No endpoint policy's trace is shown for it.
func TestWhyAfterAFailedStep(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{DenyActions: []string{"ec2:DescribeRouteTables"}}})
	m, d := startWizard(t, opts, 120, 40)
	for i := 0; i < 5 && m.screens[m.cur].status != steps.StatusFailed; i++ {
		d.key("enter")
		d.settle()
	}
	if m.screens[m.cur].status != steps.StatusFailed || !strings.Contains(d.screen(), "x why refused?") {
		t.Fatalf("no failed step offering x:\n%s", d.screen())
	}
	// On a small window the failure, its fix and what to press stay in
	// sight: the step's introduction and body give way first.
	for _, size := range [][2]int{{60, 16}, {80, 24}} {
		d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		s := d.screen()
		if !contains2(s, "✗ ", "DescribeRouteTables", "→ ", "Press Enter to try again.", "enter try again") {
			t.Errorf("at %dx%d the failure, its fix or what to press is out of sight:\n%s", size[0], size[1], s)
		}
	}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.key("x")
	d.until("the explanation", 20*time.Second, func(m *Model) bool { return m.why != nil || m.whyErr != "" })
	screen := d.screen()
	for _, want := range []string{"Why: ec2:DescribeRouteTables", "is an action of EC2, not of ECR", "no identity-based policy allows it",
		"aws --endpoint-url http://127.0.0.1:", "iam list-attached-role-policies", "No endpoint policy can have refused this"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "statement by statement") {
		t.Errorf("an ECR endpoint policy's trace for an EC2 call:\n%s", screen)
	}
	// At 60×16 the explanation scrolls, and its key line says every key
	// whole beside where the reader is.
	d.send(tea.WindowSizeMsg{Width: 60, Height: 16})
	if s := d.screen(); !contains2(s, "lines 1-", "esc close", "↑/↓ scroll", "pgup/pgdn page", "home/end first/last") || ansi.StringWidth(lineWith(s, "esc close")) > 60 {
		t.Errorf("at 60x16 the explanation's keys are cut:\n%s", s)
	}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.key("esc")
	d.settle()
	if m.overlay != overlayNone {
		t.Fatalf("esc did not close the explanation")
	}
	// q now leaves with the failure unresolved: no success, and the
	// command exits non-zero with the failure and its fix.
	d.key("q")
	if err := m.ExitErr(); err == nil || !strings.Contains(err.Error(), "Preflight failed") || !strings.Contains(problem.FixOf(err), "ec2:DescribeRouteTables") {
		t.Fatalf("q after a failed step: ExitErr %v (fix %q)", err, problem.FixOf(err))
	}
}
