package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	ec2 "ecr-vpce-lab/internal/ec2query"
)

// TestSchedulerSleepsUntilItsNextSchedule: on the wall clock the schedule
// loop sleeps until the first pending schedule is due (a minute at most
// when none is), not a fixed fifth of a second: a wizard idle with the
// sandbox in its own process must not wake for a schedule hours away. A
// schedule created while the loop sleeps wakes it, so it still fires on
// time.
func TestSchedulerSleepsUntilItsNextSchedule(t *testing.T) {
	sb := startSandbox(t, Options{})
	clock := sb.opts.Clock
	if got := sb.hub.schedulerSleep(clock); got != schedulerIdle {
		t.Fatalf("with no schedule the loop sleeps %s, want %s", got, schedulerIdle)
	}
	cfg := sdkConfig(sb, sb.Credentials(), nil)
	f := &schedFixture{t: t, sb: sb, ec2: ec2.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), sched: scheduler.NewFromConfig(cfg), ctx: context.Background()}
	run := "5e5e5e5e5e"
	id := f.endpoint("ecr.dkr", run)
	roleARN := f.role("ecr-vpce-lab-teardown-"+run, schedulerTrust(sb.Account(), sb.Region()), map[string]string{"delete-endpoints": deleteTaggedPolicy(run)})

	// Hours away: the loop sleeps its longest.
	must(t, "CreateSchedule (later)", f.schedule("later", roleARN, clock.Now().Add(4*time.Hour), deleteEndpointsTarget, `{"VpcEndpointIds":["`+id+`"]}`))
	if got := sb.hub.schedulerSleep(clock); got != schedulerIdle {
		t.Errorf("with a schedule 4h away the loop sleeps %s, want %s", got, schedulerIdle)
	}
	// Two seconds away (the expression has whole seconds): the loop,
	// asleep for a minute, is woken by the change and fires it on time.
	at := clock.Now().Add(2 * time.Second).Truncate(time.Second)
	must(t, "CreateSchedule (soon)", f.schedule("soon", roleARN, at, deleteEndpointsTarget, `{"VpcEndpointIds":["`+id+`"]}`))
	if got := sb.hub.schedulerSleep(clock); got < schedulerTick || got > 2*time.Second {
		t.Errorf("with a schedule 2s away the loop sleeps %s, want %s to 2s", got, schedulerTick)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sb.Invocations()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the schedule due at %s had not fired by %s", at.Format(time.TimeOnly), clock.Now().Format(time.TimeOnly))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if inv := sb.Invocations()[0]; inv.Schedule != "soon" || inv.Time.Before(at) {
		t.Errorf("fired %+v, want the schedule 'soon', at or after %s", inv, at)
	}
}
