package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestExpiresFlagIsUpsAndTheWizards: the wizard takes --expires as up
// does: one declaration (the same help), the same reading, and bad input
// is refused before anything opens, with what to type instead.
func TestExpiresFlagIsUpsAndTheWizards(t *testing.T) {
	labHome(t)
	usage := regexp.MustCompile(`(?m)^\s*--expires\s+(.*)$`)
	var helps []string
	for _, args := range [][]string{{"up", "--help"}, {"--help"}} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		m := usage.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%v does not list --expires:\n%s", args, out)
		}
		helps = append(helps, m[1])
	}
	if helps[0] != helps[1] {
		t.Errorf("--expires is described differently:\n up:    %s\n wizard: %s", helps[0], helps[1])
	}
	for _, bad := range []string{"0", "-5m", "soon", "4", "31d", "800h"} {
		for _, cmd := range [][]string{{"up", "--sandbox", "--yes"}, {"--sandbox"}} {
			args := append(append([]string{}, cmd...), "--state-dir", t.TempDir(), "--expires", bad)
			code, _, errs := runCLIWithin(t, 20e9, "", args...)
			if code != 2 || !strings.Contains(errs, "--expires:") || !strings.Contains(errs, bad) ||
				!(strings.Contains(errs, "give a positive duration") || strings.Contains(errs, "use never")) {
				t.Errorf("%v: exit %d, want 2 with what to type instead:\n%s", args, code, errs)
			}
		}
	}
}
