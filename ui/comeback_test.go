package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// TestComeBackCommandsNameThisLab: every command the wizard tells the
// learner to run later (to come back, to tear down) carries the flags that
// chose this lab. Without --state-dir, 'down --sandbox' finds no run in
// the default directory, and the endpoints of this one stay.
func TestComeBackCommandsNameThisLab(t *testing.T) {
	const again = " --state-dir /tmp/my-lab"
	opts, _ := sandboxOptions(t)
	opts.Again = again
	m, _ := startWizard(t, opts, 100, 30)
	m.phase, m.cur = phaseLab, scrFinish
	m.st.Endpoints = map[string]*steps.Record{"ecr.dkr": {ID: "vpce-1", Type: "Interface" /* awsops.Interface; ui does not import awsops */, Created: true, CreatedAt: time.Now(), Addresses: []string{"10.0.0.12"}}}
	m.screens[scrFinish].status = steps.StatusDone
	want := "ecr-vpce-lab down --sandbox --state-dir /tmp/my-lab"

	if s := plainScreen(m); !strings.Contains(s, "Later, from a shell: "+want+" --yes") {
		t.Errorf("the finish screen:\n%s", s)
	}
	// The path picture has the ecr.dkr interface's address from the saved
	// record, with no event of this session to carry it (a resumed run).
	if s := plainScreen(m); !strings.Contains(s, "ecr.dkr ENI  10.0.0.12") {
		t.Errorf("the path picture of a resumed run:\n%s", s)
	}
	m.showHint = true
	if s := flatText(plainScreen(m)); !strings.Contains(s, "'ecr-vpce-lab --sandbox --state-dir /tmp/my-lab' again to come back") ||
		!strings.Contains(s, "'"+want+"' to clean up") {
		t.Errorf("the finish hint:\n%s", s)
	}
	m.showHint = false
	m.overlay = overlayConfirmQuit
	if s := flatText(ansi.Strip(m.confirmQuitView(30))); !strings.Contains(s, "'ecr-vpce-lab --sandbox --state-dir /tmp/my-lab' again to resume") ||
		!strings.Contains(s, "'"+want+"' to clean up") || strings.Contains(s, "billing") {
		t.Errorf("the quit dialog:\n%s", s)
	}
	// In a narrow window the command wraps whole, at spaces.
	m.Update(tea.WindowSizeMsg{Width: 70, Height: 30})
	m.overlay = overlayNone
	s := plainScreen(m)
	for _, l := range strings.Split(s, "\n") {
		if ansi.StringWidth(l) > 70 {
			t.Errorf("at 70 columns, a line %d wide: %q", ansi.StringWidth(l), l)
		}
	}
	if !strings.Contains(flatText(s), "Later, from a shell: "+want+" --yes") {
		t.Errorf("the finish screen at 70 columns:\n%s", s)
	}
	// The teardown's line for what is still there, in the same window.
	m.phase, m.tdReport = phaseTeardown, &steps.TeardownReport{Left: []steps.ResourceEvent{{ID: "vpce-1"}}}
	s = plainScreen(m)
	for _, l := range strings.Split(s, "\n") {
		if ansi.StringWidth(l) > 70 {
			t.Errorf("teardown at 70 columns, a line %d wide: %q", ansi.StringWidth(l), l)
		}
	}
	if !strings.Contains(flatText(s), "run '"+want+" --yes' again in a minute") {
		t.Errorf("the teardown's retry line at 70 columns:\n%s", s)
	}
	m.phase, m.tdReport = phaseLab, nil
	m.quitNow()
	if n := m.ExitNote(); !strings.Contains(n, "'ecr-vpce-lab --sandbox --state-dir /tmp/my-lab' to come back") || !strings.Contains(n, "'"+want+" --yes'") ||
		!strings.Contains(n, "the sandbox bills nothing") {
		t.Errorf("the note after quitting: %s", n)
	}
}

// TestQuitSaysWhatIsLeft: quitting once the lab has made something, even
// only its security group (nothing billed), says it is there and names
// the command that removes it; with nothing made, no note.
func TestQuitSaysWhatIsLeft(t *testing.T) {
	opts, _ := sandboxOptions(t)
	opts.Again = " --state-dir /tmp/my-lab"
	m, _ := startWizard(t, opts, 100, 30)
	m.phase, m.cur = phaseLab, scrIngress
	m.quitNow()
	if n := m.ExitNote(); n != "" {
		t.Errorf("nothing made, yet a note: %s", n)
	}
	m, _ = startWizard(t, opts, 100, 30)
	m.phase, m.cur = phaseLab, scrIngress
	m.st.SecurityGroup = &steps.Record{ID: "sg-1", Created: true, CreatedAt: time.Now()}
	m.quitNow()
	if n := m.ExitNote(); !strings.Contains(n, "still there (none of it is billed)") ||
		!strings.Contains(n, "'ecr-vpce-lab --sandbox --state-dir /tmp/my-lab' to come back") ||
		!strings.Contains(n, "'ecr-vpce-lab down --sandbox --state-dir /tmp/my-lab --yes' to remove it") {
		t.Errorf("the note after quitting with the security group made: %q", n)
	}
}

// flatText is a screen's words in one line, the boxes' sides left out.
func flatText(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "│", " ")), " ")
}
