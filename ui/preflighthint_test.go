package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestPreflightHintNamesTheKeyThatGoesOn: the preflight's hint said to fix
// a failure yourself and press k to check again; k only looks, and the
// step stayed failed. With the repository made by hand, the key the hint
// names now runs the checks again, and the step passes.
func TestPreflightHintNamesTheKeyThatGoesOn(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{NoRepository: true}})
	m, d := startWizard(t, opts, 100, 40)
	d.key("enter")
	d.until("preflight to fail", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrPreflight].status == steps.StatusFailed })
	// The learner makes the repository in another shell.
	if err := m.lab.CreateRepository(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.settle()
	d.key("h")
	hint := flatText(d.screen())
	const says = "fix it yourself and press "
	i := strings.Index(hint, says)
	if i < 0 {
		t.Fatalf("no hint:\n%s", d.screen())
	}
	k := strings.Fields(hint[i+len(says):])[0]
	if _, named := namedKeys[strings.ToLower(k)]; named {
		k = strings.ToLower(k) // "Enter"
	}
	d.key(k)
	d.settle()
	if st := m.screens[scrPreflight].status; st != steps.StatusDone {
		t.Fatalf("the hint's key %q left the preflight %s:\n%s", k, st, d.screen())
	}
}
