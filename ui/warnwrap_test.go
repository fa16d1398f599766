package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// TestWarningWrapsWithinTheWindow: a warning is read in full, its lines
// indented under its mark; the indent counts in the width, or each full
// line loses its last characters at the window's edge.
func TestWarningWrapsWithinTheWindow(t *testing.T) {
	t.Parallel()
	_, d := sandboxWizard(t, 90, 40)
	d.key("enter")
	d.until("preflight done", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrPreflight].status == steps.StatusDone })
	const n = 300
	d.m.checks = []steps.CheckItem{{ID: "w", Title: "Wide", Warning: true, Message: strings.TrimSpace(strings.Repeat("x ", n))}}
	// One-letter words fill every line to the width or one short of it.
	for _, width := range []int{90, 91} {
		d.send(tea.WindowSizeMsg{Width: width, Height: 40})
		for _, l := range strings.Split(d.screen(), "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("a line %d wide at %d columns (the terminal cuts it): %q", w, width, l)
			}
		}
	}
}
