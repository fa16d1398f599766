package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// A sweep removes runs of the lab found by their tags alone, without a
// state file: 'down --expired' for the runs whose expiry has passed (where
// no schedule could be created, or where one failed), and the
// facilitator's 'fleet down' in every account and region. For each run it
// deletes the schedules (none may fire into it), the endpoints, waits for
// their network interfaces, deletes the group (and with it its rule), then
// the role.

// SweepOptions choose the runs a sweep removes.
type SweepOptions struct {
	// Expired limits it to runs whose expiry has passed, by AWS's clock.
	Expired bool
	// Runs limits it to these runs (none: every run found).
	Runs []string
	// Keep leaves these runs alone (the saved run, torn down in full by
	// its own Lab).
	Keep []string
}

// Run is one run of the lab as its tags show it.
type Run struct {
	ID string `json:"run"`
	// ExpiresAt is its expiry (zero: none, or never).
	ExpiresAt time.Time              `json:"expiresAt,omitzero"`
	Never     bool                   `json:"never,omitempty"`
	Endpoints []awsops.Endpoint      `json:"endpoints"`
	Groups    []awsops.SecurityGroup `json:"groups"`
	Schedules []awsops.Schedule      `json:"schedules"`
	// Role is its auto-teardown role's name ("" when it has none here).
	Role string `json:"role,omitempty"`
}

// Expired reports whether the run's expiry has passed at now.
func (r Run) Expired(now time.Time) bool { return !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) }

// Empty reports whether nothing of the run is left.
func (r Run) Empty() bool {
	return len(r.Endpoints) == 0 && len(r.Groups) == 0 && len(r.Schedules) == 0 && r.Role == ""
}

// RegionTagKey names, on the auto-teardown's role (IAM is global), the
// region of its run.
const RegionTagKey = "ecr-vpce-lab:region"

// Tagged lists the endpoints and security groups of the cloud's region that
// carry the tag key (with value, when value is not empty).
func Tagged(ctx context.Context, cloud *awsops.Cloud, key, value string) ([]awsops.Endpoint, []awsops.SecurityGroup, error) {
	eps, err := cloud.TaggedEndpoints(ctx, key, value)
	if err != nil {
		return nil, nil, err
	}
	sgs, err := cloud.TaggedSecurityGroups(ctx, key, value)
	if err != nil {
		return nil, nil, err
	}
	return eps, sgs, nil
}

// FindRuns lists the lab's runs in the cloud's region from the tags of
// their endpoints and groups, the names of their schedules, and the
// auto-teardown roles of runs of this region; sorted by run.
func FindRuns(ctx context.Context, cloud *awsops.Cloud) ([]Run, error) {
	eps, sgs, err := Tagged(ctx, cloud, TagKey, "")
	if err != nil {
		return nil, err
	}
	runs := RunsOfTagged(eps, sgs)
	scheds, err := cloud.ListSchedules(ctx, schedulePrefix)
	if err != nil && problem.KindOf(err) != problem.Permission {
		return nil, err
	}
	for _, s := range scheds {
		if id, _, ok := RunOfSchedule(s.Name); ok {
			r := runs.Get(id)
			r.Schedules = append(r.Schedules, s)
		}
	}
	roles, err := cloud.ListRoles(ctx, TeardownRolePath)
	if err != nil && problem.KindOf(err) != problem.Permission {
		return nil, err
	}
	for _, ro := range roles {
		id, ok := RunOfRole(ro.Name)
		if !ok {
			continue
		}
		if runs[id] == nil {
			// A run with nothing else left here: its role only when it
			// names this region (ListRoles carries no tags).
			full, err := cloud.GetRole(ctx, ro.Name)
			if err != nil || full == nil || full.Tags[RegionTagKey] != cloud.Region() {
				continue
			}
			runs.Get(id).NoteExpiry(full.Tags)
		}
		runs[id].Role = ro.Name
	}
	return runs.List(func(a, b Run) int { return strings.Compare(a.ID, b.ID) }), nil
}

// Runs are a region's runs by their ID, gathered from what they left.
type Runs map[string]*Run

// RunsOfTagged gathers the runs of the lab's tagged endpoints and groups,
// with the latest expiry their tags name.
func RunsOfTagged(eps []awsops.Endpoint, sgs []awsops.SecurityGroup) Runs {
	runs := Runs{}
	for _, e := range eps {
		r := runs.Get(e.Tags[TagKey])
		r.Endpoints = append(r.Endpoints, e)
		r.NoteExpiry(e.Tags)
	}
	for _, g := range sgs {
		r := runs.Get(g.Tags[TagKey])
		r.Groups = append(r.Groups, g)
		r.NoteExpiry(g.Tags)
	}
	return runs
}

// Get is the run id, added with nothing yet when it is new.
func (rs Runs) Get(id string) *Run {
	if rs[id] == nil {
		rs[id] = &Run{ID: id, Endpoints: []awsops.Endpoint{}, Groups: []awsops.SecurityGroup{}, Schedules: []awsops.Schedule{}}
	}
	return rs[id]
}

// List is the runs in the order cmp gives.
func (rs Runs) List(cmp func(a, b Run) int) []Run {
	out := make([]Run, 0, len(rs))
	for _, r := range rs {
		out = append(out, *r)
	}
	slices.SortFunc(out, cmp)
	return out
}

// NoteExpiry takes the expiry a resource's tags name: "never", or a time
// later than the run's so far.
func (r *Run) NoteExpiry(tags awsops.Tags) { noteExpiry(tags, &r.Never, &r.ExpiresAt) }

// SweptRun is one run a sweep removed (or failed to).
type SweptRun struct {
	Run       string          `json:"run"`
	Region    string          `json:"region"`
	ExpiresAt time.Time       `json:"expiresAt,omitzero"`
	Deleted   []ResourceEvent `json:"deleted"`
	Error     string          `json:"error,omitempty"`
}

// Sweep removes the runs opts selects in the cloud's region. Each run's
// failure is its own (recorded in its SweptRun); the error is for what
// stopped the sweep itself (the runs could not be listed, the context
// ended).
func Sweep(ctx context.Context, cloud *awsops.Cloud, opts SweepOptions, sink func(Event)) ([]SweptRun, error) {
	if sink == nil {
		sink = func(Event) {}
	}
	runs, err := FindRuns(ctx, cloud)
	if err != nil {
		return nil, err
	}
	now := cloud.Now()
	var chosen []Run
	for _, r := range runs {
		if slices.Contains(opts.Keep, r.ID) || (len(opts.Runs) > 0 && !slices.Contains(opts.Runs, r.ID)) || (opts.Expired && !r.Expired(now)) {
			continue
		}
		chosen = append(chosen, r)
	}
	return SweepRuns(ctx, cloud, chosen, sink)
}

// SweepRuns removes runs already found (FindRuns, or the facilitator's
// survey) in the cloud's region.
func SweepRuns(ctx context.Context, cloud *awsops.Cloud, runs []Run, sink func(Event)) ([]SweptRun, error) {
	if sink == nil {
		sink = func(Event) {}
	}
	var out []SweptRun
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return out, stopped(err)
		}
		sr := SweptRun{Run: r.ID, Region: cloud.Region(), ExpiresAt: r.ExpiresAt, Deleted: []ResourceEvent{}}
		if err := sweepRun(ctx, cloud, r, &sr, sink); err != nil {
			sr.Error = err.Error()
			sink(Event{Kind: EventFailed, Step: StepTeardown, Message: "Remove run " + r.ID, Error: err.Error(), Fix: problem.FixOf(err), ErrKind: problem.KindOf(err), Err: err})
		}
		out = append(out, sr)
	}
	return out, nil
}

func sweepRun(ctx context.Context, cloud *awsops.Cloud, r Run, sr *SweptRun, sink func(Event)) error {
	const s = StepTeardown
	res := func(ev ResourceEvent) {
		sink(Event{Kind: EventResource, Step: s, Resource: &ev})
		if ev.State == ResDeleted {
			sr.Deleted = append(sr.Deleted, ev)
		}
	}
	cmd := func(c awsops.Command) {
		if !c.IsZero() {
			sink(Event{Kind: EventCommand, Step: s, Command: &c})
		}
	}
	when := "no expiry"
	if !r.ExpiresAt.IsZero() {
		when = "expired " + r.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
		if cloud.Now().Before(r.ExpiresAt) {
			when = "expires " + r.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	sink(Event{Kind: EventDetail, Step: s, Message: fmt.Sprintf("run %s in %s (%s): %d endpoint(s), %d security group(s), %d schedule(s)",
		r.ID, cloud.Region(), when, len(r.Endpoints), len(r.Groups), len(r.Schedules))})
	fin := func() (context.Context, context.CancelFunc) { return finish(ctx) }

	// 1. Its schedules.
	for _, sc := range r.Schedules {
		fctx, cancel := fin()
		c, existed, err := cloud.DeleteSchedule(fctx, sc.Name)
		cancel()
		cmd(c)
		if err != nil {
			return err
		}
		if existed {
			res(ResourceEvent{Kind: KindSchedule, ID: sc.Name, Name: "run " + r.ID, State: ResDeleted})
		}
	}
	// 2. Its endpoints, until their interfaces are released.
	var ids []string
	enis := map[string][]string{}
	for _, e := range r.Endpoints {
		ids = append(ids, e.ID)
		enis[e.ID] = e.ENIIDs
	}
	if len(ids) > 0 {
		since := cloud.Now()
		for _, id := range ids {
			res(ResourceEvent{Kind: KindEndpoint, ID: id, Name: "run " + r.ID, State: ResDeleting, Since: since})
		}
		fctx, cancel := fin()
		del, c, err := cloud.DeleteEndpoints(fctx, ids)
		cancel()
		cmd(c)
		if err != nil {
			return err
		}
		for _, f := range del.Failed {
			res(ResourceEvent{Kind: KindEndpoint, ID: f.ID, Name: "run " + r.ID, State: ResFailed, Detail: f.Err.Error()})
		}
		if err := del.Err(); err != nil {
			return err
		}
		// NotFound: gone already (a sweep finds runs by what exists, and
		// its endpoints are not moments old).
		if err := cloud.WaitEndpointsReleased(ctx, ids, enis, nil); err != nil {
			return err
		}
		for _, id := range ids {
			res(ResourceEvent{Kind: KindEndpoint, ID: id, Name: "run " + r.ID, State: ResDeleted, Since: since})
		}
	}
	// 3. Its groups (a group's rules go with it).
	for _, g := range r.Groups {
		since := cloud.Now()
		if err := cloud.WaitInterfacesReleased(ctx, g.ID, nil); err != nil {
			return err
		}
		c, err := cloud.DeleteSecurityGroup(ctx, g.ID, time.Time{}, func(attempt int, wait time.Duration) error {
			res(ResourceEvent{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResWaiting, Since: since,
				Detail: fmt.Sprintf("DependencyViolation: network interfaces still attached; retrying in %s", wait.Round(100*time.Millisecond))})
			return nil
		})
		cmd(c)
		if err != nil {
			return err
		}
		res(ResourceEvent{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResDeleted, Since: since})
	}
	// 4. Its role, once nothing runs as it.
	if r.Role != "" {
		fctx, cancel := fin()
		cs, existed, err := cloud.DeleteRole(fctx, r.Role)
		cancel()
		for _, c := range cs {
			cmd(c)
		}
		if err != nil {
			return err
		}
		if existed {
			res(ResourceEvent{Kind: KindRole, ID: r.Role, Name: "run " + r.ID, State: ResDeleted})
		}
	}
	return nil
}

// TeardownExpired is 'down --expired' in the lab's region: the saved run in
// full (state file and ~/.ecr_security lines included) when its expiry has
// passed, then every other expired run found by its tags.
func (l *Lab) TeardownExpired(ctx context.Context) ([]SweptRun, error) {
	st := l.State()
	var out []SweptRun
	if _, ok := st.ExpiryTime(); ok && l.isLoaded() {
		// Expired or not is AWS's clock's say, which this process learns
		// from AWS's first answer: ask once before deciding (the sandbox's
		// clock may stand hours ahead of this machine's).
		if _, err := l.cloud.WhoAmI(ctx); err != nil {
			return nil, err
		}
	}
	if at, ok := st.ExpiryTime(); ok && l.isLoaded() && !l.cfg.Now().Before(at) && st.HasResources() {
		l.detail(StepTeardown, "this run (%s) expired at %s: removing it in full", st.RunID, at.UTC().Format("15:04 UTC"))
		rep, err := l.Teardown(ctx, TeardownOptions{})
		sr := SweptRun{Run: st.RunID, Region: l.cloud.Region(), ExpiresAt: at, Deleted: rep.Deleted}
		if err != nil {
			sr.Error = err.Error()
		}
		out = append(out, sr)
		if err != nil {
			return out, err
		}
	}
	l.op.Lock()
	defer l.op.Unlock()
	more, err := Sweep(ctx, l.cloud, SweepOptions{Expired: true, Keep: []string{l.read().RunID}}, l.em.Emit)
	out = append(out, more...)
	if err != nil {
		return out, err
	}
	for _, r := range more {
		if r.Error != "" {
			return out, &problem.Error{Kind: problem.Dependency, Op: "remove the expired runs", Message: "run " + r.Run + ": " + r.Error,
				Fix: "run 'down --expired' again in a few minutes (it picks up what is left)"}
		}
	}
	return out, nil
}
