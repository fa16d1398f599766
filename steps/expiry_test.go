package steps_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// tagsOf reads the tags of the run's group and endpoints.
func (f *fixture) runTags(run string) []awsops.Tags {
	f.t.Helper()
	ctx := context.Background()
	eps, err := f.cloud.TaggedEndpoints(ctx, steps.TagKey, run)
	if err != nil {
		f.t.Fatal(err)
	}
	sgs, err := f.cloud.TaggedSecurityGroups(ctx, steps.TagKey, run)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []awsops.Tags
	for _, e := range eps {
		out = append(out, e.Tags)
	}
	for _, g := range sgs {
		out = append(out, g.Tags)
	}
	return out
}

// TestAutoTeardown plays the first acceptance at the engine: up
// with the default expiry tags every resource with it and schedules the
// teardown as a role of its own; with the clock past the expiry the
// schedule fires, the sandbox deletes the endpoints as that role, the
// second schedule removes the group; status says what happened; down
// finds nothing to do but the role.
func TestAutoTeardown(t *testing.T) {
	clock := sandbox.NewManualClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, sandbox.Options{Clock: clock, Timing: sandbox.Timing{ENIRelease: 30 * time.Second, EndpointDelete: 5 * time.Second}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	left, ok := st.TimeLeft(clock.Now())
	// The sandbox's clock stands still here while this machine's moves on,
	// and the lab reads AWS's time from whole-second Date headers, so on a
	// slow machine its clock runs a second or two ahead of the sandbox's:
	// the expiry is "4 hours" within a minute either way, not to the second.
	if !ok || left < 4*time.Hour-time.Minute || left > 4*time.Hour+time.Minute {
		t.Fatalf("a new run expires in %s (%v), want the default 4h", left, ok)
	}
	want := st.ExpiresAt.UTC().Format(time.RFC3339)
	tags := f.runTags(st.RunID)
	if len(tags) != 4 {
		t.Fatalf("tagged resources: %v", tags)
	}
	for _, tg := range tags {
		if tg[steps.ExpiresTagKey] != want {
			t.Errorf("a resource is tagged %s=%q, want %q: %v", steps.ExpiresTagKey, tg[steps.ExpiresTagKey], want, tg)
		}
	}
	a := st.AutoTeardown
	if a == nil || a.Off != "" || a.Role == nil || a.Schedules[steps.ScheduleEndpoints] == nil || a.Schedules[steps.ScheduleGroup] == nil {
		t.Fatalf("auto-teardown after up: %+v", a)
	}
	if !a.Schedules[steps.ScheduleEndpoints].At.Equal(st.ExpiresAt) || !a.Schedules[steps.ScheduleGroup].At.After(st.ExpiresAt) {
		t.Errorf("schedules at %s and %s for an expiry at %s", a.Schedules[steps.ScheduleEndpoints].At, a.Schedules[steps.ScheduleGroup].At, st.ExpiresAt)
	}
	s, err := f.lab.Status(ctx)
	if err != nil || s.AutoTeardown == nil || s.AutoTeardown.Expired || len(s.AutoTeardown.Schedules) != 2 || !strings.Contains(s.AutoTeardown.Outcome, "scheduled") {
		t.Fatalf("status before expiry: %+v %v", s.AutoTeardown, err)
	}

	// The expiry.
	clock.Advance(4*time.Hour + time.Minute)
	f.sb.FireDue(ctx) // (or the sandbox's own ticker did: either way it is done when this returns)
	invs := f.sb.Invocations()
	if len(invs) != 1 || invs[0].ErrorCode != "" || !strings.Contains(invs[0].Caller, ":assumed-role/"+steps.TeardownRoleName(st.RunID)+"/") {
		t.Fatalf("invocations at expiry: %+v", invs)
	}
	s, err = f.lab.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.AutoTeardown.Expired || !strings.Contains(s.AutoTeardown.Outcome, "removed the endpoints") || !strings.Contains(s.AutoTeardown.Outcome, "the group goes a little later") {
		t.Errorf("status after the first schedule: %+v", s.AutoTeardown)
	}
	for _, r := range s.Resources {
		if r.Kind == steps.KindEndpoint && !r.State.Removed() && !r.State.Removing() {
			t.Errorf("endpoint %s is %s after the auto-teardown", r.ID, r.State)
		}
	}
	clock.Advance(16 * time.Minute)
	f.sb.FireDue(ctx)
	invs = f.sb.Invocations()[1:]
	if len(invs) != 1 || invs[0].ErrorCode != "" || invs[0].Action != "ec2:DeleteSecurityGroup" {
		t.Fatalf("invocations of the group's schedule: %+v", invs)
	}
	s, err = f.lab.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.AutoTeardown.Outcome, "then removed the security group") || s.AutoTeardown.Role == nil || s.AutoTeardown.Role.State != steps.ResExists {
		t.Errorf("status after both schedules: %+v", s.AutoTeardown)
	}
	if left := f.runTags(st.RunID); len(left) != 0 {
		t.Errorf("still tagged with the run after the auto-teardown: %v", left)
	}

	// Down: nothing of the run is left but the role.
	f.reset()
	rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || !rep.Nothing() {
		t.Fatalf("down after the auto-teardown: %+v %v", rep, err)
	}
	var kinds []steps.ResourceKind
	for _, d := range rep.Deleted {
		kinds = append(kinds, d.Kind)
	}
	if !slices.Contains(kinds, steps.KindRole) || slices.Contains(kinds, steps.KindSchedule) {
		t.Errorf("down deleted %v, want the role (the schedules deleted themselves)", kinds)
	}
	if r, err := f.cloud.GetRole(ctx, steps.TeardownRoleName(st.RunID)); err != nil || r != nil {
		t.Errorf("the role after down: %+v %v", r, err)
	}
}

// TestAutoTeardownWithoutPermission: without the IAM permissions, preflight
// says so (a warning, not a stop), up completes without a schedule, the
// expiry tags are there, and after the expiry the run is among the expired
// runs 'down --expired' removes.
func TestAutoTeardownWithoutPermission(t *testing.T) {
	clock := sandbox.NewManualClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, sandbox.Options{Clock: clock, Faults: sandbox.Faults{DenyActions: []string{"iam:CreateRole", "iam:PassRole"}}},
		steps.Config{Expires: 2 * time.Hour}, nil)
	ctx := context.Background()
	f.up(ctx)
	var item *steps.CheckItem
	for _, e := range f.all() {
		if e.Kind == steps.EventCheck && e.Check.ID == "auto-teardown" {
			item = e.Check
		}
	}
	if item == nil || item.OK || !item.Warning || !strings.Contains(item.Message, "iam:CreateRole, iam:PassRole") || !strings.Contains(item.Message, "down --expired") {
		t.Fatalf("preflight's auto-teardown item: %+v", item)
	}
	st := f.lab.State()
	if st.AutoTeardown == nil || st.AutoTeardown.Off == "" || st.AutoTeardown.Role != nil || len(st.AutoTeardown.Schedules) != 0 {
		t.Fatalf("auto-teardown without the permissions: %+v", st.AutoTeardown)
	}
	for _, tg := range f.runTags(st.RunID) {
		if tg[steps.ExpiresTagKey] != st.ExpiresAt.Format(time.RFC3339) {
			t.Errorf("tags without the schedule: %v", tg)
		}
	}
	runs, err := steps.ExpiredRuns(ctx, f.cloud)
	if err != nil || len(runs) != 0 {
		t.Fatalf("expired runs before the expiry: %+v %v", runs, err)
	}
	s, _ := f.lab.Status(ctx)
	if s.AutoTeardown == nil || !strings.Contains(s.AutoTeardown.Outcome, "no schedule") {
		t.Errorf("status: %+v", s.AutoTeardown)
	}
	// A minute past: the lab's clock reads AWS's from whole-second Date
	// headers, and with the sandbox's clock standing still it runs a second
	// or two ahead on a loaded machine, so the expiry it set can be that
	// much later than the frozen clock's 2h mark.
	clock.Advance(2*time.Hour + time.Minute)
	// The cloud's clock follows the sandbox's after one answer.
	if _, err := f.cloud.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	runs, err = steps.ExpiredRuns(ctx, f.cloud)
	if err != nil || len(runs) != 1 || runs[0].Run != st.RunID || len(runs[0].Endpoints) != 3 || len(runs[0].Groups) != 1 {
		t.Fatalf("expired runs after the expiry: %+v %v", runs, err)
	}
	// down --expired: the saved run, in full.
	swept, err := f.lab.TeardownExpired(ctx)
	if err != nil || len(swept) != 1 || swept[0].Run != st.RunID {
		t.Fatalf("TeardownExpired: %+v %v", swept, err)
	}
	if left := f.runTags(st.RunID); len(left) != 0 {
		t.Errorf("left after down --expired: %v", left)
	}
	if _, err := f.store.Load(); err == nil {
		t.Error("the state file of the expired run is still there")
	}
}

// TestSweepOtherRuns: a sweep finds runs by their tags alone (no state
// file) and removes the expired ones, schedules and role included, leaving
// a run that has not expired.
func TestSweepOtherRuns(t *testing.T) {
	clock := sandbox.NewManualClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, sandbox.Options{Clock: clock}, steps.Config{Expires: time.Hour}, nil)
	ctx := context.Background()
	f.up(ctx)
	old := f.lab.State().RunID
	runs, err := steps.FindRuns(ctx, f.cloud)
	if err != nil || len(runs) != 1 || runs[0].ID != old || len(runs[0].Endpoints) != 3 || len(runs[0].Groups) != 1 || len(runs[0].Schedules) != 2 || runs[0].Role == "" {
		t.Fatalf("FindRuns: %+v %v", runs, err)
	}
	swept, err := steps.Sweep(ctx, f.cloud, steps.SweepOptions{Expired: true}, nil)
	if err != nil || len(swept) != 0 {
		t.Fatalf("a sweep of expired runs before the expiry: %+v %v", swept, err)
	}
	clock.Advance(time.Hour + time.Second)
	if _, err := f.cloud.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	var evs []steps.Event
	swept, err = steps.Sweep(ctx, f.cloud, steps.SweepOptions{Expired: true}, func(e steps.Event) { evs = append(evs, e) })
	// (The sandbox's own scheduler may fire the run's schedule meanwhile:
	// what is left when the sweep looks is what it removes.)
	if err != nil || len(swept) != 1 || swept[0].Error != "" || !slices.ContainsFunc(swept[0].Deleted, func(e steps.ResourceEvent) bool { return e.Kind == steps.KindRole }) {
		t.Fatalf("the sweep after the expiry: %+v %v", swept, err)
	}
	runs, err = steps.FindRuns(ctx, f.cloud)
	if err != nil || len(runs) != 0 {
		t.Fatalf("runs after the sweep: %+v %v", runs, err)
	}
}

// TestAutoTeardownRolePropagation: while IAM propagates the new role,
// Scheduler refuses the schedule; the lab waits, says so, and succeeds.
// Before that, the role's create meets a role of that name already there,
// as when IAM made it but the answer was lost and the SDK sent the create
// again (CreateRole takes no idempotency token): the name is the run's, so
// up goes on with that role instead of failing on EntityAlreadyExists.
func TestAutoTeardownRolePropagation(t *testing.T) {
	var f *fixture
	var once atomic.Bool
	sbo := sandbox.Options{Faults: sandbox.Faults{RolePropagation: 5 * time.Second}, Interceptors: []sandbox.Interceptor{
		func(ctx context.Context, r sandbox.Request) *sandbox.APIError {
			if r.Action != "CreateRole" || !once.CompareAndSwap(false, true) {
				return nil
			}
			// The first create, made before the lab's own arrives.
			name := steps.TeardownRoleName(f.lab.State().RunID)
			if _, _, err := f.cloud.CreateRole(ctx, name, steps.TeardownRolePath, "made by the answer the lab did not get",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, nil); err != nil {
				t.Errorf("the earlier create: %v", err)
			}
			return nil
		}}}
	f = newFixture(t, sbo, steps.Config{Expires: time.Hour}, nil)
	f.up(context.Background())
	exists := 0
	for _, c := range f.sb.Calls() {
		if c.Action == "CreateRole" && c.ErrorCode == "EntityAlreadyExists" {
			exists++
		}
	}
	if exists != 1 {
		t.Errorf("%d creates of the role met it already there; want 1 (the interceptor did not bite)", exists)
	}
	waited := false
	for _, e := range f.all() {
		if e.Kind == steps.EventResource && e.Resource.Kind == steps.KindSchedule && e.Resource.State == steps.ResWaiting && strings.Contains(e.Resource.Detail, "propagating") {
			waited = true
		}
	}
	if !waited {
		t.Error("no line said the lab waited for IAM to propagate the role")
	}
	if a := f.lab.State().AutoTeardown; a == nil || len(a.Schedules) != 2 {
		t.Errorf("schedules after the wait: %+v", a)
	}
}

// TestAutoTeardownDuringTest: the schedule fires while the learner tests;
// the push then goes the public way, and the test says the run expired
// under it instead of blaming the policy.
func TestAutoTeardownDuringTest(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{FireOnTest: true}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	_, err := f.lab.Tests(ctx, steps.StepPush)
	if problem.CodeOf(err) != "RunExpired" || !strings.Contains(err.Error(), "auto-teardown deleted the endpoints during the test") {
		t.Fatalf("a push under the auto-teardown: %v", err)
	}
}

// TestSetExpiry: a new expiry retags what exists and moves the schedules;
// never removes them.
func TestSetExpiry(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{Expires: time.Hour}, nil)
	ctx := context.Background()
	f.up(ctx)
	before := f.lab.State().ExpiresAt
	if err := f.lab.SetExpiry(ctx, 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	st := f.lab.State()
	if d := st.ExpiresAt.Sub(before); d < 2*time.Hour-time.Minute {
		t.Fatalf("the expiry moved by %s", d)
	}
	for _, tg := range f.runTags(st.RunID) {
		if tg[steps.ExpiresTagKey] != st.ExpiresAt.Format(time.RFC3339) {
			t.Errorf("not retagged: %v", tg)
		}
	}
	sc, err := f.cloud.GetSchedule(ctx, steps.ScheduleName(st.RunID, steps.ScheduleEndpoints))
	if err != nil || sc == nil || !sc.At.Equal(st.ExpiresAt) {
		t.Fatalf("the endpoints' schedule after the new expiry: %+v %v", sc, err)
	}
	if err := f.lab.SetExpiry(ctx, steps.NeverExpires); err != nil {
		t.Fatal(err)
	}
	if sc, _ := f.cloud.GetSchedule(ctx, steps.ScheduleName(st.RunID, steps.ScheduleEndpoints)); sc != nil {
		t.Errorf("a run that never expires keeps its schedule: %+v", sc)
	}
	for _, tg := range f.runTags(st.RunID) {
		if tg[steps.ExpiresTagKey] != "never" {
			t.Errorf("not retagged never: %v", tg)
		}
	}
}

// TestRecoveredRunKeepsItsExpiry: with the state file lost, a run found by
// its tags gets its expiry back from them, and an up on it keeps the
// schedules it already has (no new ones, no moved ones).
func TestRecoveredRunKeepsItsExpiry(t *testing.T) {
	clock := sandbox.NewManualClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, sandbox.Options{Clock: clock}, steps.Config{Expires: 2 * time.Hour}, nil)
	ctx := context.Background()
	f.up(ctx)
	before := f.lab.State()
	if err := f.store.Remove(); err != nil {
		t.Fatal(err)
	}
	// A new lab over the same account, as after CloudShell wiped $HOME.
	lab, err := steps.New(steps.Config{Mode: "sandbox", EnvFile: f.env, DNSTimeout: 5 * time.Second}, f.cloud, f.store, steps.NewEmitter(func(e steps.Event) {
		f.mu.Lock()
		f.events = append(f.events, e)
		f.mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := lab.FindRuns(ctx, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("FindRuns: %+v %v", runs, err)
	}
	if err := lab.Recover(ctx, runs[0], true); err != nil {
		t.Fatal(err)
	}
	if got := lab.State(); !got.ExpiresAt.Equal(before.ExpiresAt) || got.NeverExpires {
		t.Fatalf("the recovered run expires at %s (never: %v), its tags say %s", got.ExpiresAt, got.NeverExpires, before.ExpiresAt)
	}
	f.reset()
	if err := lab.Up(ctx); err != nil {
		t.Fatalf("Up on the recovered run: %v", err)
	}
	kept := 0
	for _, e := range f.all() {
		if e.Kind != steps.EventResource || e.Resource.Kind != steps.KindSchedule {
			continue
		}
		switch e.Resource.State {
		case steps.ResExists:
			kept++
		case steps.ResCreated, steps.ResModified:
			t.Errorf("the recovered run's schedule was %s: %+v", e.Resource.State, e.Resource)
		}
	}
	if kept != 2 {
		t.Errorf("%d schedules kept as they were, want 2", kept)
	}
	for _, p := range []string{steps.ScheduleEndpoints, steps.ScheduleGroup} {
		sc, err := f.cloud.GetSchedule(ctx, steps.ScheduleName(before.RunID, p))
		if err != nil || sc == nil || !sc.At.Equal(before.AutoTeardown.Schedules[p].At) {
			t.Errorf("schedule %s after the up: %+v %v", p, sc, err)
		}
	}
	if a := lab.State().AutoTeardown; a == nil || len(a.Schedules) != 2 {
		t.Errorf("the recovered run's schedules are not recorded: %+v", a)
	}
}

// TestAutoTeardownSchedulerThrottled: EventBridge Scheduler throttles
// half its calls; the SDK's retryer rides it out, and up ends with both
// schedules as without the fault.
func TestAutoTeardownSchedulerThrottled(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{SchedulerThrottleRate: 0.5, Seed: 17}}, steps.Config{Expires: time.Hour}, nil)
	ctx := context.Background()
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up under scheduler throttling: %v", err)
	}
	throttled, ok := 0, 0
	for _, c := range f.sb.Calls() {
		if c.Service != "scheduler" {
			continue
		}
		if c.ErrorCode == "ThrottlingException" {
			throttled++
		} else if c.ErrorCode == "" {
			ok++
		}
	}
	if throttled == 0 || ok == 0 {
		t.Fatalf("scheduler calls: %d throttled, %d answered: the fault did not bite", throttled, ok)
	}
	st := f.lab.State()
	if a := st.AutoTeardown; a == nil || a.Off != "" || len(a.Schedules) != 2 {
		t.Fatalf("auto-teardown under throttling: %+v", a)
	}
	for _, p := range []string{steps.ScheduleEndpoints, steps.ScheduleGroup} {
		if sc, err := f.cloud.GetSchedule(ctx, steps.ScheduleName(st.RunID, p)); err != nil || sc == nil {
			t.Errorf("schedule %s: %+v %v", p, sc, err)
		}
	}
}

// TestAutoTeardownInOtherPartitions: in GovCloud and China the role, its
// policy and the schedules are in the partition's ARNs, and the schedule
// firing there deletes the endpoints as the role.
func TestAutoTeardownInOtherPartitions(t *testing.T) {
	t.Parallel()
	for _, world := range []string{sandbox.WorldAWSUSGov, sandbox.WorldAWSCN} {
		t.Run(world, func(t *testing.T) {
			clock := sandbox.NewManualClock(time.Now().UTC().Truncate(time.Second))
			f := newFixture(t, sandbox.Options{World: world, Clock: clock}, steps.Config{Expires: time.Hour}, nil)
			ctx := context.Background()
			f.up(ctx)
			st := f.lab.State()
			if a := st.AutoTeardown; a == nil || a.Off != "" || len(a.Schedules) != 2 || !strings.HasPrefix(a.Role.ID, "arn:"+awsops.Partition(st.Caller)+":iam::") {
				t.Fatalf("auto-teardown in %s: %+v", world, a)
			}
			clock.Advance(time.Hour + time.Minute)
			f.sb.FireDue(ctx)
			invs := f.sb.Invocations()
			if len(invs) != 1 || invs[0].ErrorCode != "" {
				t.Fatalf("the schedule's invocation in %s: %+v", world, invs)
			}
			for _, tg := range f.runTags(st.RunID) {
				if tg["Name"] != "ECR_VPCE_SG" {
					t.Errorf("an endpoint is left after the auto-teardown: %v", tg)
				}
			}
		})
	}
}

// TestSetExpiryMovesTheGroupsGap: the group's schedule follows the
// lifetime the learner chose last, not --expires: a rehearsal's 2 minutes
// made 3 hours leaves the 15 minutes AWS may take to release the
// endpoints' interfaces (one to five), and 3 hours made 2 minutes a
// short gap again.
func TestSetExpiryMovesTheGroupsGap(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{Expires: 2 * time.Minute}, nil)
	ctx := context.Background()
	f.up(ctx)
	gap := func() time.Duration {
		t.Helper()
		st := f.lab.State()
		g, err := f.cloud.GetSchedule(ctx, steps.ScheduleName(st.RunID, steps.ScheduleGroup))
		if err != nil || g == nil {
			t.Fatalf("the group's schedule: %+v %v", g, err)
		}
		return g.At.Sub(st.ExpiresAt)
	}
	if g := gap(); g != time.Minute {
		t.Fatalf("2 minutes: the group goes %s after the endpoints", g)
	}
	if err := f.lab.SetExpiry(ctx, 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	if g := gap(); g != 15*time.Minute {
		t.Errorf("made 3 hours: the group goes %s after the endpoints, want 15m", g)
	}
	if err := f.lab.SetExpiry(ctx, 4*time.Minute); err != nil {
		t.Fatal(err)
	}
	if g := gap(); g != 2*time.Minute {
		t.Errorf("made 4 minutes: the group goes %s after the endpoints, want 2m", g)
	}
}
