package steps_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestPreviewIsWhatTheStepRuns: before each step runs, Preview says which
// commands it will run; the step then emits the same command text (built
// by the same functions). IDs that are not known before the run are the
// transcript's variables: the endpoints' in the wait, the account before
// discovery. The security group's stage tag holds the moment of the
// create, so that one value is compared by its form.
func TestPreviewIsWhatTheStepRuns(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Instant}, steps.Config{}, nil)
	ctx := context.Background()
	stage := regexp.MustCompile(`security-group@[0-9TZ:-]+`)
	text := func(cmds []steps.Command, ids map[string]string) []string {
		var out []string
		for _, c := range cmds {
			s := c.Comment + "\n" + c.Capture + "=" + c.String()
			for id, v := range ids {
				s = strings.ReplaceAll(s, id, v)
			}
			out = append(out, stage.ReplaceAllString(s, "security-group@TIME"))
		}
		return out
	}
	for _, id := range []steps.StepID{steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy,
		steps.StepEndpoints, steps.StepDNS, steps.StepPush, steps.StepList, steps.StepPull} {
		preview := f.lab.Preview(id)
		f.reset()
		if err := f.lab.Run(ctx, id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var ran []steps.Command
		ids := map[string]string{}
		for _, e := range f.all() {
			if e.Kind == steps.EventCommand && e.Command != nil && e.Step == id {
				ran = append(ran, *e.Command)
			}
		}
		switch id {
		case steps.StepPolicy:
			// A policy written here: nothing promised.
			if len(preview) != 0 {
				t.Errorf("%s: a preview of %d commands for a step that promises none", id, len(preview))
			}
			continue
		case steps.StepEndpoints:
			// The endpoints and the wait; the auto-teardown's role and
			// schedules stand in the preview as one comment.
			var kept []steps.Command
			for _, c := range ran {
				if c.Capture != "" || strings.HasPrefix(c.Shell, "until ") {
					kept = append(kept, c)
				}
				if c.Capture != "" {
					ids[c.Result] = "$" + c.Capture
				}
			}
			order := map[string]int{steps.VarDKR: 0, steps.VarAPI: 1, "S3_VPCE_ID": 2, "": 3}
			slices.SortStableFunc(kept, func(a, b steps.Command) int { return order[a.Capture] - order[b.Capture] })
			ran = kept
			var promised []steps.Command
			for _, c := range preview {
				if !c.IsZero() {
					promised = append(promised, c)
				} else if !strings.Contains(c.Comment, "auto-teardown") {
					t.Errorf("endpoints: a comment in the preview that says no command: %q", c.Comment)
				}
			}
			preview = promised
		case steps.StepDiscover:
			// Before discovery, the account is not known.
			ids[f.lab.State().Account] = "$ACCOUNT_ID"
		}
		if len(ran) == 0 {
			t.Fatalf("%s emitted no commands", id)
		}
		if got, want := text(preview, nil), text(ran, ids); !slices.Equal(got, want) {
			t.Errorf("%s: the preview is not what the step ran:\npreview:\n%s\n\nran:\n%s", id, strings.Join(got, "\n---\n"), strings.Join(want, "\n---\n"))
		}
	}
}
