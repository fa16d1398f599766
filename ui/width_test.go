package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestLinesWiderThanTheWindowAreMarked: a line wider than the window is
// cut with "…" where it ends, not left to the terminal, which cuts it
// without a trace ("Starting the sandbox: … on this machine…" at 60
// columns).
func TestLinesWiderThanTheWindowAreMarked(t *testing.T) {
	m := New(context.Background(), Options{Sandbox: true})
	for _, w := range []int{60, 70} {
		m.Update(tea.WindowSizeMsg{Width: w, Height: 16})
		s := plainScreen(m)
		line := lineWith(s, "Starting the sandbox")
		if line == "" {
			t.Fatalf("no connecting line:\n%s", s)
		}
		for _, l := range strings.Split(s, "\n") {
			if ansi.StringWidth(l) > w {
				t.Errorf("%d columns: a line %d wide: %q", w, ansi.StringWidth(l), l)
			}
		}
		if !strings.HasSuffix(line, "…") || ansi.StringWidth(line) != w || strings.Contains(line, "this machine") {
			t.Errorf("%d columns: the cut line is not marked at the edge: %q", w, line)
		}
	}
}
