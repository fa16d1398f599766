package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestTeardownSaysWhatItWaitsFor: while a deleted endpoint's network
// interfaces linger (minutes on AWS), the security group's line says what
// it waits for and that AWS is slow here; once they are gone it says so,
// rather than keeping a stale "still being released" under a deleted group.
func TestTeardownSaysWhatItWaitsFor(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{ENIRelease: 2 * time.Second}}, steps.Config{},
		func(o *awsops.Options) { o.Poll = 20 * time.Millisecond })
	ctx := context.Background()
	f.up(ctx)
	f.reset()
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	var details []string
	for _, e := range f.all() {
		if e.Kind == steps.EventResource && e.Resource.Kind == steps.KindSecurityGroup && e.Resource.Detail != "" {
			details = append(details, e.Resource.Detail)
		}
	}
	if len(details) < 2 || !strings.Contains(details[0], "still being released; AWS takes a few minutes") ||
		!strings.HasPrefix(details[len(details)-1], "the endpoints' network interfaces were released after") {
		t.Fatalf("security group details: %q", details)
	}
}
