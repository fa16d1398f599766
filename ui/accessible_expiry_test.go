package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/steps"
)

// accessibleLab runs accessible mode on the sandbox with input and returns
// what it said and the lab it drove. aws plays real AWS: the mode is told
// it is not on the sandbox (the lab still talks to the sandbox).
func accessibleLab(t *testing.T, aws bool, input string) (string, *steps.Lab, world) {
	t.Helper()
	opts, sb := sandboxOptions(t)
	var lab *steps.Lab
	connect := opts.Connect
	opts.Connect = func(ctx context.Context, tg Target, sink func(steps.Event)) (*Connection, error) {
		c, err := connect(ctx, tg, sink)
		if c != nil {
			lab = c.Lab
		}
		return c, err
	}
	opts.Sandbox = !aws
	text := runAccessible(t, opts, input)
	if lab == nil {
		t.Fatalf("no lab:\n%s", text)
	}
	return text, lab, readWorld(t, sb, lab.State().RunID)
}

// TestAccessibleSaysAndChangesTheExpiry: accessible mode says when the
// auto-teardown removes the run once the endpoints exist and at the end;
// a learner who keeps the lab running can move the expiry (what cannot be
// read is asked again), and AWS then holds the new tags and schedules.
func TestAccessibleSaysAndChangesTheExpiry(t *testing.T) {
	t.Parallel()
	// Enter through the ten steps, n: keep it, a bad answer, then 8h.
	text, lab, w := accessibleLab(t, false, strings.Repeat("\n", 11)+"n\n"+"a fortnight\n"+"8h\n")
	says(t, text,
		"then the auto-teardown removes the endpoints, and the security group a little later, even with this window closed. You can change it at the end.",
		"Change when the auto-teardown removes it?",
		`"a fortnight" is not an expiry`,
		"(in 7h59m)",
	)
	// The lab's detail says the new expiry; accessible mode does not say it again.
	if n := strings.Count(text, "(in 7h59m)"); n != 1 {
		t.Errorf("the new expiry is said %d times:\n%s", n, text)
	}
	st := lab.State()
	if left, ok := st.TimeLeft(lab.Now()); !ok || left < 8*time.Hour-time.Minute || left > 8*time.Hour+time.Minute {
		t.Fatalf("after 8h the run expires in %s (%v)", left, ok)
	}
	w.expiresAt(t, st, st.ExpiresAt.UTC().Format(time.RFC3339))
	w.scheduledAt(t, st, st.ExpiresAt)
}

// TestAccessibleNeverAndEnterKeeps: never removes the schedules; Enter
// keeps the expiry as it was.
func TestAccessibleNeverAndEnterKeeps(t *testing.T) {
	t.Parallel()
	text, lab, w := accessibleLab(t, false, strings.Repeat("\n", 11)+"n\n"+"never\n")
	if !strings.Contains(text, "No expiry: nothing removes the endpoints for you") {
		t.Errorf("never is not said:\n%s", text)
	}
	if !lab.State().NeverExpires || len(w.schedules) != 0 {
		t.Errorf("after never: NeverExpires %v, schedules in AWS %v", lab.State().NeverExpires, w.schedules)
	}

	_, lab, w = accessibleLab(t, false, strings.Repeat("\n", 11)+"n\n"+"\n")
	st := lab.State()
	if left, ok := st.TimeLeft(lab.Now()); !ok || left < 4*time.Hour-2*time.Minute || left > 4*time.Hour {
		t.Fatalf("Enter changed the expiry: it is in %s (%v)", left, ok)
	}
	w.scheduledAt(t, st, st.ExpiresAt)
}

// TestAccessibleShortExpiryOnAWSAsks: on AWS, under an hour asks first; n
// asks for another lifetime and changes nothing, y sets it.
func TestAccessibleShortExpiryOnAWSAsks(t *testing.T) {
	t.Parallel()
	text, lab, w := accessibleLab(t, true, strings.Repeat("\n", 11)+"n\n"+"30m\n"+"n\n"+"\n")
	if !strings.Contains(text, "That is under an hour") {
		t.Fatalf("30m on AWS did not ask:\n%s", text)
	}
	st := lab.State()
	if left, ok := st.TimeLeft(lab.Now()); !ok || left < time.Hour {
		t.Fatalf("n after 30m changed the expiry: it is in %s", left)
	}
	w.scheduledAt(t, st, st.ExpiresAt)

	_, lab, w = accessibleLab(t, true, strings.Repeat("\n", 11)+"n\n"+"30m\n"+"y\n")
	st = lab.State()
	if left, ok := st.TimeLeft(lab.Now()); !ok || left > 31*time.Minute || left < 29*time.Minute {
		t.Fatalf("y after 30m: the run expires in %s (%v)", left, ok)
	}
	w.scheduledAt(t, st, st.ExpiresAt)
}
