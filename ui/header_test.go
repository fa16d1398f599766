package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestNarrowHeaderKeepsTheCost: at the narrowest size the wizard draws
// (60 columns), the header still says what the endpoints cost so far, the
// one sign in sight that something bills; the account gives way first,
// then the rate and the time left. Wide, all of it shows.
func TestNarrowHeaderKeepsTheCost(t *testing.T) {
	t.Parallel()
	parts := func() []headerPart {
		return []headerPart{{"$0.01 so far", 3}, {"$0.02/h", 1}, {"3h59m left", 2}}
	}
	for _, tc := range []struct {
		sandbox    bool
		region     string
		width      int
		want, lose []string
	}{
		{true, "us-west-2", MinWidth, []string{"SANDBOX", "us-west-2", "$0.01 so far"}, []string{"123456789012", "$0.02/h"}},
		{false, "ap-southeast-2", MinWidth, []string{"AWS", "ap-southeast-2", "$0.01 so far"}, []string{"123456789012", "3h59m left"}},
		{false, "us-west-2", MinWidth, []string{"123456789012 · us-west-2", "$0.01 so far"}, []string{"3h59m left"}},
		{true, "us-west-2", 80, []string{"123456789012 · us-west-2", "$0.01 so far · 3h59m left"}, []string{"$0.02/h"}},
		{true, "ap-southeast-2", 120, []string{"123456789012 · ap-southeast-2", "$0.01 so far · $0.02/h · 3h59m left"}, nil},
	} {
		h := ansi.Strip(renderHeader(NewStyles(true), tc.sandbox, "123456789012", tc.region, parts(), tc.width))
		if w := ansi.StringWidth(h); w != tc.width {
			t.Errorf("%d columns: the header is %d wide: %q", tc.width, w, h)
		}
		for _, s := range tc.want {
			if !strings.Contains(h, s) {
				t.Errorf("%d columns, %s: the header lacks %q: %q", tc.width, tc.region, s, h)
			}
		}
		for _, s := range tc.lose {
			if strings.Contains(h, s) {
				t.Errorf("%d columns, %s: the header has room for %q: %q", tc.width, tc.region, s, h)
			}
		}
	}
}
