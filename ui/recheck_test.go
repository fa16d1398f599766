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
		{Title: "The S3 gateway reaches other subnets too", Warning: true, Message: "its route goes into the VPC's main table"},
	}}
	m.screens[scrPreflight].checkedAt = time.Now()
	screen := plainScreen(m)
	if !strings.Contains(screen, "! The S3 gateway reaches other subnets too") || strings.Contains(screen, "✗") {
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

// TestShortWindowNamesEveryPreflightWarning: the preflight body is cut
// from the top in a short window. With two long warnings at 60×16 that
// used to leave only the end of the last one: the first (the container's
// metadata hop limit) was gone without a trace. Now each check that needs
// reading keeps at least its line, and the screen names the key that
// shows the fixes; a window where they fit shows them whole.
func TestShortWindowNamesEveryPreflightWarning(t *testing.T) {
	m := New(context.Background(), Options{})
	m.phase, m.cur = phaseLab, scrPreflight
	m.screens[scrPreflight].status = steps.StatusDone
	for _, title := range []string{"Credentials and region", "VPC DNS support", "VPC DNS hostnames", "No endpoint there already", "The repository", "Permission"} {
		m.checks = append(m.checks, steps.CheckItem{ID: title, Title: title, OK: true})
	}
	m.checks = append(m.checks,
		steps.CheckItem{ID: "imds", Title: "Metadata service", Warning: true, Message: strings.Repeat("read with IMDSv1 instead; ", 6),
			Fix: "aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2"},
		steps.CheckItem{ID: "main-route-table", Title: "The S3 gateway's route table", Warning: true, Message: strings.Repeat("other subnets use it too; ", 6),
			Fix: "give the subnet a route table of its own"})
	m.Update(tea.WindowSizeMsg{Width: 60, Height: 16})
	screen := plainScreen(m)
	if !contains2(screen, "! Metadata service", "! The S3 gateway's route table", "What to do about each: press m to read it all.") {
		t.Errorf("at 60x16, a warning is not named:\n%s", screen)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	if screen := plainScreen(m); !contains2(screen, "→ aws ec2 modify-instance-metadata-options", "→ give the subnet a route table") || strings.Contains(screen, "press m to read it all") {
		t.Errorf("at 100x40, the fixes are not all there:\n%s", screen)
	}
}
