package ui

import (
	"context"
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
	d.key("k")
	d.key("s")
	d.settle()
	if m.screens[scrDNS].status != steps.StatusSkipped {
		t.Fatalf("s must skip the DNS step, status %v:\n%s", m.screens[scrDNS].status, d.screen())
	}
}
