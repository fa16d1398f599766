package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// TestRecheckMarksAWarningAsAWarning: k on the preflight screen lists what
// is not passed; a warning there gets the warning's mark, as in the list
// above it, not the failure's ✗ under a line that says no check failed.
func TestRecheckMarksAWarningAsAWarning(t *testing.T) {
	m := New(context.Background(), Options{})
	m.phase, m.cur = phaseLab, scrPreflight
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.screens[scrPreflight].checked = &steps.CheckResult{OK: true, Message: "no check failed; 1 warning", Items: []steps.CheckItem{
		{Title: "Credentials and region", OK: true},
		{Title: "The S3 gateway affects only this subnet", Warning: true, Message: "its route goes into the VPC's main table"},
	}}
	m.screens[scrPreflight].checkedAt = time.Now()
	screen := plainScreen(m)
	if !strings.Contains(screen, "! The S3 gateway affects only this subnet") || strings.Contains(screen, "✗") {
		t.Fatalf("the warning after a check again:\n%s", screen)
	}
	// A long message wraps within the window, the time before it included.
	m.screens[scrPreflight].checked.Message = strings.Repeat("a long message about what was checked ", 4)
	for _, l := range strings.Split(plainScreen(m), "\n") {
		if ansi.StringWidth(l) > 100 {
			t.Errorf("a line %d wide: %q", ansi.StringWidth(l), l)
		}
	}
}
