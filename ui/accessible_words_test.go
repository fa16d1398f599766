package ui

import (
	"bytes"
	"strings"
	"testing"

	"ecr-vpce-lab/steps"
)

// TestAccessibleResourceSentences: every resource state reads as a
// sentence after the resource's name ("exists", not "is exists").
func TestAccessibleResourceSentences(t *testing.T) {
	t.Parallel()
	states := []steps.ResourceState{"", steps.ResCreating, steps.ResCreated, steps.ResAdopted, steps.ResExists,
		steps.ResModified, steps.ResRestored, steps.ResDeleting, steps.ResDeleted, steps.ResReleasing, steps.ResReleased,
		steps.ResKept, steps.ResGone, steps.ResFailed, steps.ResWaiting, steps.ResSkipped, steps.ResPending,
		steps.ResPendingAcceptance, steps.ResAvailable, steps.ResRejected, steps.ResExpired, steps.ResPartial}
	for _, st := range states {
		var out bytes.Buffer
		a := &accessible{out: &out}
		a.event(steps.Event{Kind: steps.EventResource, Resource: &steps.ResourceEvent{Kind: steps.KindImageTag, Name: "team-a/alpine:v1", State: st}})
		line := strings.TrimSpace(out.String())
		if strings.Contains(line, " is exists") || strings.Contains(line, " is  ") || strings.Contains(line, "is .") || !strings.HasSuffix(line, ".") {
			t.Errorf("state %q reads %q", st, line)
		}
	}
	var out bytes.Buffer
	(&accessible{out: &out}).event(steps.Event{Kind: steps.EventResource, Resource: &steps.ResourceEvent{Kind: steps.KindImageTag, Name: "team-a/alpine:v1", State: steps.ResExists}})
	if !strings.HasSuffix(strings.TrimSpace(out.String()), " exists.") {
		t.Errorf("exists reads %q", out.String())
	}
}
