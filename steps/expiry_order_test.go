package steps_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestStatusSeesAScheduleRunMidLook: the group's schedule runs while
// status is looking (between its read of the schedules and its read of
// the group). Status must not take that for a teardown that failed ("has
// run but the group is still there"), which the wizard took for the final
// word and stopped looking on.
func TestStatusSeesAScheduleRunMidLook(t *testing.T) {
	clock := sandbox.NewManualClock(time.Now().UTC().Truncate(time.Second))
	var (
		mu       sync.Mutex
		armed    bool
		reads    int
		sb       *sandbox.Sandbox
		runMidst = func() {} // set once the sandbox exists
	)
	intercept := func(ctx context.Context, r sandbox.Request) *sandbox.APIError {
		if r.Action != "GetSchedule" {
			return nil
		}
		mu.Lock()
		fire := armed
		if armed {
			reads++
			fire = reads == 2 // the group's schedule, the second read
		}
		mu.Unlock()
		if fire {
			runMidst()
		}
		return nil
	}
	f := newFixture(t, sandbox.Options{Clock: clock, Interceptors: []sandbox.Interceptor{intercept}}, steps.Config{}, nil)
	sb = f.sb
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	group := st.AutoTeardown.Schedules[steps.ScheduleGroup].At
	// The endpoints' schedule runs; the group's is still to come.
	clock.Advance(st.ExpiresAt.Sub(clock.Now()) + time.Minute)
	sb.FireDue(ctx)
	if s, err := f.lab.Status(ctx); err != nil || !strings.Contains(s.AutoTeardown.Outcome, "the group goes a little later") {
		t.Fatalf("status after the endpoints' schedule: %+v %v", s.AutoTeardown, err)
	}
	// The group's time comes while status reads the group's schedule.
	runMidst = func() {
		clock.Advance(group.Sub(clock.Now()) + time.Minute)
		sb.FireDue(context.WithoutCancel(ctx))
	}
	mu.Lock()
	armed = true
	mu.Unlock()
	s, err := f.lab.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if invs := sb.Invocations(); len(invs) != 2 || invs[1].Action != "ec2:DeleteSecurityGroup" || invs[1].ErrorCode != "" {
		t.Fatalf("the group's schedule did not run during the look: %+v", invs)
	}
	if strings.Contains(s.AutoTeardown.Outcome, "still there") {
		t.Errorf("a schedule that ran during the look reads as a failed teardown: %q", s.AutoTeardown.Outcome)
	}
	for _, r := range s.Resources {
		if r.Kind == steps.KindSecurityGroup && r.State == steps.ResExists {
			t.Errorf("the group reads as still there after its schedule ran: %+v", r)
		}
	}
}
