package ui

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/steps"
)

// TestCheckThenSkipOnDNS is the panic of issue 11: k (check again) on the
// Private DNS screen, then s (skip), once called a nil cancel func.
func TestCheckThenSkipOnDNS(t *testing.T) {
	opts, _ := sandboxOptions(t)
	m := New(context.Background(), opts)
	d := newDriver(t, m, 120, 40)
	d.settle()
	walkTo(t, d, scrDNS)
	// As if the wait for DNS had failed: k checks again, and s skips while
	// the check runs.
	m.screens[scrDNS].status = steps.StatusFailed
	d.key("k")
	if m.op == nil || m.op.kind != opCheck {
		t.Fatalf("k must start a check, in flight: %+v", m.op)
	}
	d.key("s")
	d.settle()
	if m.screens[scrDNS].status != steps.StatusSkipped || m.cur != scrPush {
		t.Fatalf("s must skip the DNS step and go on, status %q on screen %d:\n%s", m.screens[scrDNS].status, m.cur, d.screen())
	}
	if !strings.Contains(d.screen(), "Private DNS skipped") && !strings.Contains(d.screen(), "skipped: 7") {
		t.Fatalf("a skipped step has its own mark and word:\n%s", d.screen())
	}
}
