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
		!strings.Contains(s, "'"+want+" --yes' to clean up") || strings.Contains(s, "billing") {
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
	if !strings.Contains(flatText(s), "in a minute, press r to tear down again (later, from a shell: '"+want+" --yes')") {
		t.Errorf("the teardown's retry line at 70 columns:\n%s", s)
	}
	m.phase, m.tdReport = phaseLab, nil
	m.quitNow()
	if n := m.ExitNote(); !strings.Contains(n, "come back to the lab:\n  ecr-vpce-lab --sandbox --state-dir /tmp/my-lab") || !strings.Contains(n, "\n  "+want+" --yes\n") ||
		!strings.Contains(flatNote(n), "the sandbox bills nothing") {
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
	// A signal ends the program without a quit: the note says it all the
	// same (the command's error line then points to it).
	for _, how := range []string{"a signal", "q"} {
		if how == "q" {
			m.quitNow()
		}
		if n := m.ExitNote(); !strings.Contains(n, "Still there (none of it bills): the security group sg-1.") ||
			!strings.Contains(n, "come back to the lab:\n  ecr-vpce-lab --sandbox --state-dir /tmp/my-lab") ||
			!strings.Contains(n, "Remove everything now:\n  ecr-vpce-lab down --sandbox --state-dir /tmp/my-lab --yes\n") {
			t.Errorf("the note after %s with the security group made: %q", how, n)
		}
	}
	// With endpoints billing: each is named, the expiry is said, and the
	// command that removes them is on a line of its own, to copy whole;
	// the words are wrapped at spaces to the window the wizard had.
	m, _ = startWizard(t, opts, 60, 16)
	m.phase, m.cur = phaseLab, scrEndpoints
	made := m.now.Add(-time.Minute) // one endpoint-hour begun
	m.st.SecurityGroup = &steps.Record{ID: "sg-1", Name: "ECR_VPCE_SG", Created: true, CreatedAt: made}
	m.st.Rule = &steps.Record{ID: "sgr-1", Created: true}
	m.st.Endpoints = map[string]*steps.Record{
		steps.EndpointDKR: {ID: "vpce-1", Name: steps.EndpointDKR, Type: "Interface", Created: true, CreatedAt: made, State: steps.ResAvailable},
		steps.EndpointAPI: {ID: "vpce-2", Name: steps.EndpointAPI, Type: "Interface", Created: true, CreatedAt: made, State: steps.ResAvailable},
		steps.EndpointS3:  {ID: "vpce-3", Name: steps.EndpointS3, Type: "Gateway", Created: true, CreatedAt: made, State: steps.ResAvailable},
	}
	m.st.ExpiresAt = time.Now().Add(4 * time.Hour)
	m.quitNow()
	n := m.ExitNote()
	for _, want := range []string{"Still there: the ecr.dkr and ecr.api interface endpoints (on AWS: about $0.02 per hour, $0.02 so far; the sandbox bills nothing), the s3 gateway endpoint and the security group ECR_VPCE_SG with its rule.",
		"The auto-teardown removes the endpoints at", "and the security group a little later.",
		"\n  ecr-vpce-lab down --sandbox --state-dir /tmp/my-lab --yes\n", "\n  ecr-vpce-lab --sandbox --state-dir /tmp/my-lab"} {
		if !strings.Contains(flatNote(n), want) && !strings.Contains(n, want) {
			t.Errorf("the note after quitting with the endpoints running lacks %q:\n%s", want, n)
		}
	}
	for _, l := range strings.Split(n, "\n") {
		if ansi.StringWidth(l) > 60 && !strings.HasPrefix(l, "  ecr-vpce-lab") {
			t.Errorf("a line of the note %d wide: %q", ansi.StringWidth(l), l)
		}
	}
}

// flatNote is a note's words in one line, its commands left on theirs.
func flatNote(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "  ") {
			break
		}
		out = append(out, l)
	}
	return strings.Join(out, " ")
}

// flatText is a screen's words in one line, the boxes' sides left out.
func flatText(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "│", " ")), " ")
}
