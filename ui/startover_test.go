package ui

import (
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/sandbox"
)

// TestStartOverWaitsForATeardownThatEnds: n on the welcome back screen
// (tear down and start over), and the teardown stops on the group another
// team's rule refers to. The screen and the help bar offered "Enter to
// start a new run", and Enter opened the same run again on "Welcome
// back": the run stays on record until nothing is left. Enter now quits,
// as after any teardown that stopped short, and both say so; r tears down
// again, and once that removes it all, Enter starts a new run.
func TestStartOverWaitsForATeardownThatEnds(t *testing.T) {
	t.Parallel()
	opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{SGReferenced: true}})
	m, d := startWizard(t, opts, 80, 24)
	walkTo(t, d, scrIngress)
	m.Close()

	m2, d2 := startWizard(t, opts, 80, 24)
	if m2.phase != phaseResume {
		t.Fatalf("no welcome back:\n%s", d2.screen())
	}
	d2.key("n")
	d2.key("y")
	d2.until("the teardown to stop on the group", 20*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() && m.tdErr != "" })
	d2.settle()
	s := d2.screen()
	flat := flatText(s)
	if strings.Contains(flat, "start a new run,") || strings.Contains(lastLine(s), "enter start a new run") ||
		!strings.Contains(flat, "Press r to tear down again (then Enter starts a new run), or Enter now to quit.") ||
		!strings.Contains(lastLine(s), "enter/q quit") {
		t.Fatalf("the stopped teardown offers what Enter does not do:\n%s", s)
	}
	fix := m2.tdFix
	d2.key("enter")
	if d2.m != m2 || !m2.quitting || m2.ExitErr() == nil {
		t.Fatalf("Enter after the stopped teardown did not quit (quitting %v, new model %v):\n%s", m2.quitting, d2.m != m2, d2.screen())
	}

	// Once the learner removes the other team's rule, r removes it all,
	// and then Enter starts the new run the learner asked for.
	m3, d3 := startWizard(t, opts, 80, 24)
	d3.key("n")
	d3.key("y")
	d3.until("the teardown to stop again", 20*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() && m.tdErr != "" })
	revokeReference(t, sb, fix)
	d3.key("r")
	d3.until("the teardown again", 20*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() && m.tdReport != nil })
	d3.settle()
	if m3.tdErr != "" || !strings.Contains(flatText(d3.screen()), "Press Enter to start a new run.") || !strings.Contains(lastLine(d3.screen()), "enter start a new run") {
		t.Fatalf("the teardown done:\n%s", d3.screen())
	}
	d3.key("enter")
	d3.settle()
	if d3.m == m3 || d3.m.phase != phaseLab || d3.m.cur != scrPreflight {
		t.Fatalf("after the teardown, the lab starts over: phase %d, screen %d\n%s", d3.m.phase, d3.m.cur, d3.screen())
	}
}
