package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// TeardownOptions choose what teardown removes.
type TeardownOptions struct {
	// All removes every resource tagged by any run of the lab in the region
	// (a facilitator's clean-up), not just this run's.
	All bool
	// KeepVPCDNS leaves on the VPC DNS attributes the lab turned on
	// (teardown otherwise turns them back off, as they were).
	KeepVPCDNS bool
}

// TeardownReport says what teardown did.
type TeardownReport struct {
	RunID   string          `json:"runId,omitempty"`
	All     bool            `json:"all,omitempty"`
	Deleted []ResourceEvent `json:"deleted"`
	Kept    []ResourceEvent `json:"kept"`
	// Left lists tagged resources still there after teardown (should be none).
	Left []ResourceEvent `json:"left"`
	// FromTags is set when resources were found by their tags, not the state.
	FromTags bool `json:"fromTags,omitempty"`
}

// Nothing reports whether nothing tagged by the lab is left.
func (r TeardownReport) Nothing() bool { return len(r.Left) == 0 }

// Teardown removes what the lab created, in dependency order, one event per
// resource: the endpoints (adopted ones get their policy back instead),
// then — once their network interfaces are released — the ingress rule and
// the security group, the pushed tags, what the policy challenges left
// (repository policies restored, their tags and repositories deleted), the
// local copy of the image; then it checks by tags that nothing is left,
// and only then forgets the run (the ~/.ecr_security lines and the state
// file), so that a down after one that left something still knows the
// run's tag.
func (l *Lab) Teardown(ctx context.Context, opts TeardownOptions) (TeardownReport, error) {
	l.op.Lock()
	defer l.op.Unlock()
	const s = StepTeardown
	start := time.Now()
	l.emit(s, Event{Kind: EventStarted, Message: "Tear down"})
	if l.isLoaded() {
		// Saved first: a teardown stopped part way (Ctrl-C, a lost
		// connection) is then known as such when the run is opened again.
		if err := l.update(func(x *State) { x.TeardownStarted = l.cfg.Now() }); err != nil {
			return TeardownReport{}, &StepError{Step: s, Title: "Tear down", Err: err}
		}
	}
	rep, err := l.teardown(ctx, opts)
	if err != nil {
		l.keepEncoded(err)
		fix := problem.FixOf(err)
		if fix == "" {
			fix = l.downAgain() + ": it picks up where it stopped"
		}
		l.emit(s, Event{Kind: EventFailed, Message: "Tear down", Error: err.Error(), Fix: fix, ErrKind: problem.KindOf(err), Err: err, Elapsed: time.Since(start)})
		return rep, &StepError{Step: s, Title: "Tear down", Err: err, Fix: fix}
	}
	l.emit(s, Event{Kind: EventDone, Message: "Tear down", Elapsed: time.Since(start)})
	return rep, nil
}

func (l *Lab) teardown(ctx context.Context, opts TeardownOptions) (TeardownReport, error) {
	const s = StepTeardown
	st := l.read()
	rep := TeardownReport{RunID: st.RunID, All: opts.All, Deleted: []ResourceEvent{}, Kept: []ResourceEvent{}, Left: []ResourceEvent{}}
	tagValue := st.RunID
	if opts.All {
		tagValue = ""
	}
	if !l.isLoaded() && !opts.All {
		// No saved run: which run was it? ~/.ecr_security remembers.
		run, err := l.lostRun(ctx)
		if err != nil {
			return rep, err
		}
		if run == "" {
			if err := l.removeLocalImage(ctx, s, &rep); err != nil {
				return rep, err
			}
			l.store.RemoveAuthMessages() // a refused preflight's
			item := CheckItem{ID: "nothing-left", Title: "Nothing left", OK: true,
				Message: "no saved run here, and nothing tagged " + TagKey + " in " + l.cloud.Region()}
			l.emit(s, Event{Kind: EventCheck, Check: &item})
			return rep, nil
		}
		tagValue, st.RunID, rep.RunID = run, run, run
	}

	// The auto-teardown's schedules first: none may fire into the
	// teardown.
	if err := l.removeAutoSchedules(ctx, s, st.RunID, opts.All, &rep); err != nil {
		return rep, err
	}

	// Resources found by tag that the state does not know (a lost state
	// file, an interrupted run, other runs with --all).
	taggedEPs, taggedSGs, err := Tagged(ctx, l.cloud, TagKey, tagValue)
	if err != nil {
		return rep, err
	}
	st, err = l.dropGone(s, st, taggedEPs, taggedSGs)
	if err != nil {
		return rep, err
	}
	known := map[string]bool{}
	for _, r := range st.Endpoints {
		known[r.ID] = true
	}
	var extraEPs []awsops.Endpoint
	for _, e := range taggedEPs {
		if !known[e.ID] && !awsops.SameState(e.State, awsops.StateDeleting) {
			extraEPs = append(extraEPs, e)
			rep.FromTags = true
		}
	}
	var extraSGs []awsops.SecurityGroup
	for _, g := range taggedSGs {
		if st.SecurityGroup == nil || g.ID != st.SecurityGroup.ID {
			extraSGs = append(extraSGs, g)
			rep.FromTags = true
		}
	}
	if rep.FromTags {
		l.detail(s, "found %d endpoint(s) and %d security group(s) by their %s tag that the state file does not list; removing them too",
			len(extraEPs), len(extraSGs), TagKey)
	}

	// 1. Endpoints.
	if err := l.removeEndpoints(ctx, s, st, extraEPs, &rep); err != nil {
		return rep, err
	}

	// 2. Rule and group (after the endpoints' interfaces are released).
	st = l.read()
	if sg := st.SecurityGroup; sg != nil {
		if err := l.waitInterfaces(ctx, s, sg.ID); err != nil {
			return rep, err
		}
		if r := st.Rule; r != nil && ruleFate(r, sg).Keep {
			ev := ResourceEvent{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: ResKept, Detail: ruleFate(r, sg).Why}
			l.resource(s, ev)
			rep.Kept = append(rep.Kept, ev)
		} else if r != nil && r.Created {
			fctx, cancel := finish(ctx)
			l.resource(s, ResourceEvent{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: ResDeleting, Since: l.cfg.Now()})
			cmd, err := l.cloud.RevokeIngress(fctx, sg.ID, r.ID, l.listedSince(sg))
			cancel()
			l.command(s, cmd)
			if err != nil {
				return rep, err
			}
			ev := ResourceEvent{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: ResDeleted}
			l.removed(s, ev, &rep)
		}
		if err := l.update(func(x *State) { x.Rule = nil }); err != nil {
			return rep, err
		}
		if fate := groupFate(sg); !fate.Keep {
			if err := l.deleteGroup(ctx, s, sg); err != nil {
				return rep, err
			}
			rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindSecurityGroup, ID: sg.ID, Name: sg.Name, State: ResDeleted})
		} else {
			ev := ResourceEvent{Kind: KindSecurityGroup, ID: sg.ID, Name: sg.Name, State: ResKept, Detail: fate.Why}
			l.resource(s, ev)
			rep.Kept = append(rep.Kept, ev)
		}
		if err := l.update(func(x *State) { x.SecurityGroup = nil }); err != nil {
			return rep, err
		}
	}
	for _, g := range extraSGs {
		if err := l.waitInterfaces(ctx, s, g.ID); err != nil {
			return rep, err
		}
		r := &Record{ID: g.ID, Name: g.Name, Created: true}
		if err := l.deleteGroup(ctx, s, r); err != nil {
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResDeleted})
	}

	// The VPC's DNS attributes the lab turned on, now that its endpoints
	// are gone.
	if err := l.revertVPCDNS(ctx, s, opts, &rep); err != nil {
		return rep, err
	}
	// The auto-teardown's role, now that nothing runs as it.
	if err := l.removeAutoRoles(ctx, s, st.RunID, opts.All, &rep); err != nil {
		return rep, err
	}

	// 3. Tags the push test pushed.
	for _, tag := range l.read().PushedTags {
		if err := l.deleteTag(ctx, s, tag); err != nil {
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindImageTag, ID: l.cfg.Repo + ":" + tag, State: ResDeleted})
	}

	// What the policy challenges left: repository policies back to what
	// they were, tags a check pushed, the repositories they created. The
	// endpoints are gone by now, so no answer of theirs is in the way.
	if left := l.read().Challenge; !left.empty() {
		if err := l.restoreChallenge(ctx, s, true); err != nil {
			return rep, err
		}
		for _, r := range left.Repos {
			rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindRepository, ID: r, State: ResDeleted})
		}
		for r := range left.RepoPolicies {
			rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindRepositoryPolicy, ID: r, State: ResRestored})
		}
	}

	// The local copy of the image the push test pushed.
	if err := l.removeLocalImage(ctx, s, &rep); err != nil {
		return rep, err
	}

	// 4. Nothing left? What was deleted moments ago may still be listed
	// for a few seconds (EC2's reads lag its writes): ask again meanwhile.
	// What is left keeps the run on record (state file, ~/.ecr_security),
	// so the next down finds it by its tag: a create cut short moments
	// ago (a second Ctrl-C) makes an endpoint EC2 may list only now, after
	// the look by tag at the start.
	deleted := map[string]bool{}
	for _, d := range rep.Deleted {
		deleted[d.ID] = true
	}
	if rep.Left, err = l.leftovers(ctx, tagValue, deleted, l.cfg.Now()); err != nil {
		return rep, err
	}
	scope := TagKey + "=" + rep.RunID
	if opts.All {
		scope = TagKey + " (any run)"
	}
	item := CheckItem{ID: "nothing-left", Title: "Nothing left", OK: len(rep.Left) == 0}
	if item.OK {
		item.Message = "no endpoint or security group tagged " + scope + " remains in " + l.cloud.Region()
	} else {
		var ids []string
		for _, r := range rep.Left {
			ids = append(ids, r.ID)
		}
		item.Message = "still there: " + strings.Join(ids, ", ")
		item.Fix = l.downAgain() + " (in a few minutes, if they are still deleting): the run stays on record until nothing is left"
		l.emit(s, Event{Kind: EventCheck, Check: &item})
		return rep, &problem.Error{Kind: problem.Dependency, Op: "check that nothing is left", Message: item.Message, Fix: item.Fix}
	}

	// 5. Our ~/.ecr_security lines.
	run := rep.RunID
	if opts.All {
		run = ""
	}
	if n, err := l.envFile(l.read()).Remove(run); err != nil {
		return rep, envProblem("clean "+l.env.Path, err, "remove the lines ending in '"+envMarker+rep.RunID+"' by hand")
	} else if n > 0 {
		ev := ResourceEvent{Kind: KindEnvFile, ID: l.env.Path, State: ResModified, Detail: fmt.Sprintf("removed the lab's %d export line(s); other lines kept", n)}
		l.removed(s, ev, &rep)
	}

	// 6. The state file.
	if err := l.store.Remove(); err != nil {
		return rep, &problem.Error{Kind: problem.Local, Op: "remove the state file", Message: err.Error(), Err: err, Fix: "remove " + l.store.Path() + " by hand"}
	}
	l.store.RemoveAuthMessages()
	l.resource(s, ResourceEvent{Kind: KindStateFile, ID: l.store.Path(), State: ResDeleted})
	l.mu.Lock()
	l.st = newState(l.cfg.Mode, l.cfg.Now())
	l.st.Region = l.cloud.Region()
	l.st.Repo = l.cfg.Repo
	l.loaded = false
	l.seq++
	seq, fresh := l.seq, l.st.clone()
	l.mu.Unlock()
	// The file is gone: no save of an older state may bring it back.
	l.saveMu.Lock()
	l.saved = max(l.saved, seq)
	l.saveMu.Unlock()
	l.publish(fresh)
	// Said last, as the teardown's conclusion.
	l.emit(s, Event{Kind: EventCheck, Check: &item})
	return rep, nil
}

// leftovers lists the endpoints and security groups still tagged
// tagValue; while every one listed is one this teardown deleted (at since,
// or after), it asks again until EC2's reads catch up.
func (l *Lab) leftovers(ctx context.Context, tagValue string, deleted map[string]bool, since time.Time) ([]ResourceEvent, error) {
	var left []ResourceEvent
	// Said once for each set of names still listed: the look is made
	// again every poll, and a learner watching a silent pause takes it for
	// a hang.
	told := ""
	onLag := func(error, time.Duration) {
		var names []string
		for _, r := range left {
			if r.Kind == KindEndpoint {
				names = append(names, "the "+r.Name+" endpoint "+r.ID)
			} else {
				names = append(names, "the security group "+r.ID+" ("+r.Name+")")
			}
		}
		if what := strings.Join(names, ", "); what != told {
			told = what
			l.detail(StepTeardown, "%s", awsops.StillListedNote(what))
		}
	}
	err := l.cloud.Settle(ctx, since, onLag, func() error {
		left = left[:0]
		eps, sgs, err := Tagged(ctx, l.cloud, TagKey, tagValue)
		if err != nil {
			return err
		}
		lagging := true
		for _, e := range eps {
			left = append(left, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: awsops.ShortService(e.Service), State: EndpointState(e.State)})
			lagging = lagging && deleted[e.ID]
		}
		for _, g := range sgs {
			left = append(left, ResourceEvent{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResExists})
			lagging = lagging && deleted[g.ID]
		}
		if len(left) > 0 && lagging {
			return &problem.Error{Kind: problem.NotFound, Code: "Deleted.NotFound", Message: "still listed moments after its deletion"}
		}
		return nil
	})
	if err != nil && !awsops.Lagging(err) {
		return nil, err
	}
	return append([]ResourceEvent{}, left...), nil
}

// revertVPCDNS turns back off the VPC DNS attributes the lab turned on,
// unless asked to keep them or another endpoint with private DNS (not the
// lab's: those are gone) still needs them: interface endpoints' private
// DNS works only with both on
// (https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html#prerequisites-interface-endpoints).
func (l *Lab) revertVPCDNS(ctx context.Context, s StepID, opts TeardownOptions, rep *TeardownReport) error {
	ch := l.read().VPCDNS
	if len(ch.Names()) == 0 {
		return nil
	}
	names := strings.Join(ch.Names(), ", ")
	keep := func(why string) error {
		ev := ResourceEvent{Kind: KindVPCAttributes, ID: ch.VpcID, Name: names, State: ResKept, Detail: why}
		l.resource(s, ev)
		rep.Kept = append(rep.Kept, ev)
		return l.update(func(x *State) { x.VPCDNS = nil })
	}
	if opts.KeepVPCDNS {
		return keep("left on, as asked; the lab turned them on")
	}
	eps, err := l.cloud.FindEndpoints(ctx, ch.VpcID, "")
	if err != nil {
		return err
	}
	for _, e := range eps {
		if e.PrivateDNS && !e.Gone() && !awsops.SameState(e.State, awsops.StateDeleting) {
			return keep(fmt.Sprintf("left on: %s (%s) uses private DNS, which needs them", e.ID, awsops.ShortService(e.Service)))
		}
	}
	fctx, cancel := finish(ctx)
	defer cancel()
	cmds, err := l.cloud.SetVPCDNS(fctx, ch.VpcID, false, ch.Support, ch.Hostnames)
	for _, c := range cmds {
		l.command(s, c)
	}
	if err != nil {
		return err
	}
	ev := ResourceEvent{Kind: KindVPCAttributes, ID: ch.VpcID, Name: names, State: ResRestored,
		Detail: "turned back off, as they were before the lab turned them on"}
	l.removed(s, ev, rep)
	return l.update(func(x *State) { x.VPCDNS = nil })
}

func (l *Lab) isLoaded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded
}

// lostRun finds the run of a lab whose state file is gone: the run named in
// ~/.ecr_security, when there is exactly one. With none, it looks for
// tagged resources: none means nothing to do (""), some means the caller
// must say whose (--all), since other runs may share the account.
func (l *Lab) lostRun(ctx context.Context) (string, error) {
	const s = StepTeardown
	runs, err := l.env.Runs()
	if err != nil {
		return "", err
	}
	if len(runs) == 1 {
		l.detail(s, "no state file: tearing down run %s, named in %s, found by its %s tag", runs[0], l.env.Path, TagKey)
		return runs[0], nil
	}
	eps, sgs, err := Tagged(ctx, l.cloud, TagKey, "")
	if err != nil {
		return "", err
	}
	if len(eps)+len(sgs) == 0 {
		return "", nil
	}
	seen := map[string]bool{}
	var tagged []string
	for _, e := range eps {
		if r := e.Tags[TagKey]; !seen[r] {
			seen[r] = true
			tagged = append(tagged, r)
		}
	}
	for _, g := range sgs {
		if r := g.Tags[TagKey]; !seen[r] {
			seen[r] = true
			tagged = append(tagged, r)
		}
	}
	sort.Strings(tagged)
	return "", &problem.Error{Kind: problem.Invalid, Op: "find the lab's resources",
		Message: fmt.Sprintf("no saved run here, but %d endpoint(s) and %d security group(s) in %s carry the %s tag (runs %s)",
			len(eps), len(sgs), l.cloud.Region(), TagKey, strings.Join(tagged, ", ")),
		Fix: "if they are all yours (or you run the workshop), remove them with 'down --all'"}
}

// dropGone takes out of the state what the lab created that no longer
// exists: recorded, listed no more among the run's tagged endpoints and
// groups, and old enough for EC2's reads to know it (its NotFound then
// means what it says). The auto-teardown's schedules remove the endpoints
// and the group on their own; 'down' afterwards says they are gone
// instead of claiming to delete them again.
func (l *Lab) dropGone(s StepID, st State, eps []awsops.Endpoint, sgs []awsops.SecurityGroup) (State, error) {
	listed := map[string]bool{}
	for _, e := range eps {
		listed[e.ID] = true
	}
	for _, g := range sgs {
		listed[g.ID] = true
	}
	gone := func(r *Record) bool { return r != nil && r.Created && !listed[r.ID] && !l.unlistedYet(r) }
	const why = "already deleted (by the auto-teardown's schedule, or by someone else)"
	var keys []string
	for _, key := range EndpointKeys {
		if r := st.Endpoints[key]; gone(r) {
			keys = append(keys, key)
			l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResGone, Detail: why})
		}
	}
	group := gone(st.SecurityGroup)
	if group {
		if r := st.Rule; r != nil && r.Created {
			l.resource(s, ResourceEvent{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: ResGone, Detail: "went with its security group"})
		}
		l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: st.SecurityGroup.ID, Name: st.SecurityGroup.Name, State: ResGone, Detail: why})
	}
	if len(keys) == 0 && !group {
		return st, nil
	}
	if err := l.update(func(x *State) {
		for _, k := range keys {
			delete(x.Endpoints, k)
		}
		if group {
			x.Rule, x.SecurityGroup = nil, nil
		}
	}); err != nil {
		return st, err
	}
	return l.read(), nil
}

// removeEndpoints deletes the endpoints the lab created (and extra tagged
// ones) with one DeleteVpcEndpoints, restores adopted ones' policies, and
// waits until they are gone.
func (l *Lab) removeEndpoints(ctx context.Context, s StepID, st State, extra []awsops.Endpoint, reps ...*TeardownReport) error {
	rep := &TeardownReport{}
	if len(reps) > 0 {
		rep = reps[0]
	}
	var ids []string
	name := map[string]string{}
	since := l.cfg.Now()
	for _, key := range EndpointKeys {
		r := st.Endpoints[key]
		if r == nil {
			continue
		}
		// What the teardown's plan (PlanTeardown) says, which the
		// wizard's confirmation shows.
		if fate := endpointFate(key, r); fate.Keep {
			if fate.Restore {
				if err := l.restorePolicy(ctx, s, key, r); err != nil {
					return err
				}
				rep.Kept = append(rep.Kept, ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResRestored})
			} else {
				ev := ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResKept, Detail: fate.Why}
				l.resource(s, ev)
				rep.Kept = append(rep.Kept, ev)
			}
			if err := l.update(func(x *State) { delete(x.Endpoints, key) }); err != nil {
				return err
			}
			continue
		}
		ids = append(ids, r.ID)
		name[r.ID] = key
	}
	for _, e := range extra {
		ids = append(ids, e.ID)
		name[e.ID] = awsops.ShortService(e.Service)
	}
	if len(ids) == 0 {
		return nil
	}
	sort.SliceStable(ids, func(i, j int) bool { return order(name[ids[i]]) < order(name[ids[j]]) })
	if err := ctx.Err(); err != nil {
		return stopped(err)
	}
	// Each endpoint's network interfaces, while they are still listed: AWS
	// releases an interface endpoint's only after the endpoint is deleted,
	// and the endpoints' security group cannot go before they do.
	enis, iface := map[string][]string{}, map[string]bool{}
	for _, r := range st.Endpoints {
		iface[r.ID] = r.Type == awsops.Interface
	}
	for _, e := range extra {
		enis[e.ID], iface[e.ID] = e.ENIIDs, e.Type == awsops.Interface
	}
	if eps, err := l.cloud.Endpoints(ctx, ids...); err == nil {
		for _, e := range eps {
			enis[e.ID], iface[e.ID] = e.ENIIDs, e.Type == awsops.Interface
		}
	}
	last := map[string]ResourceState{}
	sub := func(id string, state ResourceState, detail string) {
		if last[id] == state {
			return
		}
		last[id] = state
		l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: id, Name: name[id], State: state, Since: since, Detail: detail})
	}
	for _, id := range ids {
		sub(id, ResDeleting, "")
	}
	// Those EC2 may not list yet: a NotFound for them is its lag.
	created := map[string]time.Time{}
	for _, r := range st.Endpoints {
		if l.unlistedYet(r) {
			created[r.ID] = r.CreatedAt
		}
	}
	fctx, cancel := finish(ctx)
	del, cmd, err := l.cloud.DeleteEndpoints(fctx, ids)
	l.command(s, cmd)
	if err == nil {
		err = l.deleteUnknown(fctx, s, &del, created)
	}
	cancel()
	if err != nil {
		return err
	}
	// Every endpoint AWS could not delete, each on its line.
	refused := map[string]bool{}
	for _, f := range del.Failed {
		l.keepEncoded(f.Err)
		sub(f.ID, ResFailed, problem.FixOf(f.Err))
		refused[f.ID] = true
	}
	// The others AWS is deleting: their records say so, and what the lab
	// shows they cost stops counting them by the hour (BillOf), also after
	// a teardown stopped now.
	if err := l.update(func(x *State) {
		for _, r := range x.Endpoints {
			if slices.Contains(ids, r.ID) && !refused[r.ID] {
				r.State = ResDeleting
			}
		}
	}); err != nil {
		return err
	}
	if err := del.Err(); err != nil {
		return err
	}
	// The tokens of creates cut short name endpoints now deleted: a later
	// create must not reuse them.
	if len(l.read().Tokens) > 0 {
		if err := l.update(func(x *State) { x.Tokens = nil }); err != nil {
			return err
		}
	}
	var saveErr error
	markGone := func(id string) {
		if last[id] != ResDeleting {
			return
		}
		sub(id, ResDeleted, "")
		rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindEndpoint, ID: id, Name: name[id], State: ResDeleted, Since: since})
		if err := l.update(func(x *State) {
			for k, r := range x.Endpoints {
				if r.ID == id {
					delete(x.Endpoints, k)
				}
			}
		}); err != nil && saveErr == nil {
			saveErr = err
		}
	}
	// deleting → deleted, then for an interface endpoint: waiting for its
	// network interfaces → released. The group's line says what it waits
	// for meanwhile.
	var group *groupWaiting
	if sg := l.read().SecurityGroup; sg != nil {
		group = l.groupWaiter(s, sg.ID)
	}
	err = l.cloud.WaitEndpointsReleased(ctx, ids, enis, func(rs []awsops.Removal) {
		lingering := 0
		for _, r := range rs {
			if r.Deleted {
				lingering += len(r.Interfaces)
			}
		}
		if group != nil {
			group.report(lingering)
		}
		for _, r := range rs {
			if !r.Deleted {
				continue
			}
			markGone(r.ID)
			switch {
			case !iface[r.ID]:
			case len(r.Interfaces) > 0:
				sub(r.ID, ResReleasing, "AWS is releasing its network interface(s) "+strings.Join(r.Interfaces, ", ")+"; this takes a few minutes")
			default:
				sub(r.ID, ResReleased, "")
			}
		}
	})
	if err != nil {
		return err
	}
	if group != nil {
		group.done()
	}
	return saveErr
}

// deleteUnknown deletes again, until EC2 knows them, the endpoints it
// answered NotFound for that the lab created moments ago (its reads lag its
// writes; taking the NotFound for "already gone" would leave them
// running). Their failures join d's.
func (l *Lab) deleteUnknown(ctx context.Context, s StepID, d *awsops.Deletion, created map[string]time.Time) error {
	for _, id := range d.Missing {
		since := created[id]
		if !l.cloud.Young(since) {
			continue // gone already
		}
		err := l.cloud.Settle(ctx, since, l.onLag(s, id, since), func() error {
			again, _, err := l.cloud.DeleteEndpoints(ctx, []string{id})
			switch {
			case err != nil:
				return err
			case len(again.Missing) > 0:
				return &problem.Error{Kind: problem.NotFound, Op: "delete " + id, Code: "InvalidVpcEndpointId.NotFound", Message: "not known to EC2 yet"}
			}
			d.Failed = append(d.Failed, again.Failed...)
			return nil
		})
		if err != nil && !awsops.Lagging(err) {
			return err
		}
	}
	return nil
}

func order(key string) int {
	for i, k := range EndpointKeys {
		if k == key {
			return i
		}
	}
	return len(EndpointKeys)
}

// restorePolicy gives an adopted endpoint its own policy back.
func (l *Lab) restorePolicy(ctx context.Context, s StepID, key string, r *Record) error {
	fctx, cancel := finish(ctx)
	defer cancel()
	cmd, err := l.cloud.ModifyEndpointPolicy(fctx, r.ID, *r.OriginalPolicy)
	l.command(s, cmd)
	if err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResRestored, Detail: "its own policy is back and it stays: " + whyAdopted})
	return nil
}

// waitInterfaces waits until no network interface uses the group.
func (l *Lab) waitInterfaces(ctx context.Context, s StepID, groupID string) error {
	l.command(s, awsops.Command{Comment: "wait until the endpoints' network interfaces are released",
		Shell: `until [ "$(aws ec2 describe-network-interfaces --filters Name=group-id,Values=` + groupID +
			` --query 'length(NetworkInterfaces)' --output text --region ` + l.cloud.Region() + `)" = 0 ]; do sleep 5; done`})
	w := l.groupWaiter(s, groupID)
	err := l.cloud.WaitInterfacesReleased(ctx, groupID, func(ns []awsops.NetworkInterface) { w.report(len(ns)) })
	if err == nil {
		w.done()
	}
	return err
}

// groupWaiting tells, on the security group's line, what the group waits
// for before it can go: the endpoints' network interfaces, which AWS keeps
// for minutes after the endpoints are deleted (up to five): said so, or a
// learner takes the wait for a hang.
type groupWaiting struct {
	l        *Lab
	s        StepID
	id, name string
	since    time.Time
	reported int
}

func (l *Lab) groupWaiter(s StepID, groupID string) *groupWaiting {
	w := &groupWaiting{l: l, s: s, id: groupID, since: l.cfg.Now(), reported: -1}
	if sg := l.read().SecurityGroup; sg != nil && sg.ID == groupID {
		w.name = sg.Name
	}
	return w
}

// report says how many interfaces still hold the group, when that changes.
func (w *groupWaiting) report(n int) {
	if n > 0 && n != w.reported {
		w.reported = n
		w.l.resource(w.s, ResourceEvent{Kind: KindSecurityGroup, ID: w.id, Name: w.name, State: ResWaiting, Since: w.since,
			Detail: fmt.Sprintf("%d endpoint network interface(s) still being released; AWS takes a few minutes", n)})
	}
}

// done closes what the line said it waited for.
func (w *groupWaiting) done() {
	if w.reported > 0 {
		w.l.resource(w.s, ResourceEvent{Kind: KindSecurityGroup, ID: w.id, Name: w.name, State: ResWaiting, Since: w.since,
			Detail: fmt.Sprintf("the endpoints' network interfaces were released after %s", w.l.cfg.Now().Sub(w.since).Round(time.Second))})
		w.reported = 0
	}
}

// deleteGroup deletes a security group, backing off on DependencyViolation
// while what holds the group may still go away on its own (an endpoint's
// network interfaces AWS is releasing, or EC2's reads catching up); when
// what holds it will not (a rule of another group that refers to it, an
// interface that is not an endpoint's), it stops at once and names it, with
// the command that frees the group.
func (l *Lab) deleteGroup(ctx context.Context, s StepID, r *Record) error {
	since := l.cfg.Now()
	l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResDeleting, Since: since})
	cmd, err := l.cloud.DeleteSecurityGroup(ctx, r.ID, l.listedSince(r), func(attempt int, wait time.Duration) error {
		why, err := l.whatHoldsGroup(ctx, r)
		if errors.Is(err, errGroupHeld) {
			return err
		} else if err != nil {
			// Not knowing what holds it is no reason to stop trying.
			why = "something still uses the group (looking for what failed: " + err.Error() + ")"
		}
		l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResWaiting, Since: since,
			Detail: fmt.Sprintf("DependencyViolation: %s; retrying in %s", why, wait.Round(100*time.Millisecond))})
		return nil
	})
	l.command(s, cmd)
	if err != nil {
		if hold := (*groupHeld)(nil); errors.As(err, &hold) {
			l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResFailed, Since: since, Detail: hold.short})
		}
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResDeleted, Since: since})
	return nil
}

// errGroupHeld marks the problem of a group something outside the lab
// holds: waiting will not free it.
var errGroupHeld = errors.New("the security group is held by something outside the lab")

// groupHeld is errGroupHeld with what holds the group, in a few words for
// the group's own line.
type groupHeld struct{ short string }

func (g *groupHeld) Error() string        { return errGroupHeld.Error() + ": " + g.short }
func (g *groupHeld) Is(target error) bool { return target == errGroupHeld }

// whatHoldsGroup says why EC2 refuses to delete the group (it answered
// DependencyViolation), as a phrase, while it may still free itself: the
// endpoints' network interfaces AWS has not released yet. When none
// remains, it looks for what will not go away by waiting (a rule in another
// group that refers to this one, an interface that is not an endpoint's)
// and returns it as the error, naming it, with the command that frees the
// group.
func (l *Lab) whatHoldsGroup(ctx context.Context, r *Record) (string, error) {
	eps, err := l.cloud.EndpointInterfaces(ctx, r.ID)
	if err != nil {
		return "", err
	}
	if len(eps) > 0 {
		return fmt.Sprintf("%d endpoint network interface(s) still being released (AWS takes a few minutes)", len(eps)), nil
	}
	refs, err := l.cloud.GroupReferences(ctx, r.ID)
	if err != nil {
		return "", err
	}
	if len(refs) > 0 {
		var named, cmds, holders []string
		for _, ref := range refs {
			dir := "an inbound"
			if ref.Egress {
				dir = "an outbound"
			}
			g := ref.GroupID
			if ref.GroupName != "" {
				g += " (" + ref.GroupName + ")"
			}
			named = append(named, fmt.Sprintf("%s rule %s of security group %s", dir, ref.RuleID, g))
			holders = append(holders, g)
			cmds = append(cmds, l.cloud.Runnable(ref.RevokeCommand(l.cloud.Region())))
		}
		return "", &problem.Error{Kind: problem.Dependency, Op: "delete the security group " + r.ID, Code: "DependencyViolation",
			Err:     &groupHeld{"a rule of " + strings.Join(slices.Compact(holders), ", ") + " refers to it"},
			Message: fmt.Sprintf("%s refers to %s (%s), and EC2 does not delete a group another group's rule refers to", strings.Join(named, "; "), r.ID, r.Name),
			Fix:     fmt.Sprintf("if that rule may go, remove it: %s; then %s (or keep it, and delete %s yourself later)", strings.Join(cmds, " && "), l.downAgain(), r.ID)}
	}
	all, err := l.cloud.GroupInterfaces(ctx, r.ID)
	if err != nil {
		return "", err
	}
	if len(all) > 0 {
		var named, ids []string
		for _, n := range all {
			ids = append(ids, n.ID)
			d := n.ID
			if n.Description != "" {
				d += " (" + n.Description + ")"
			} else if n.Type != "" {
				d += " (" + n.Type + ")"
			}
			named = append(named, d)
		}
		return "", &problem.Error{Kind: problem.Dependency, Op: "delete the security group " + r.ID, Code: "DependencyViolation",
			Err:     &groupHeld{"used by " + strings.Join(ids, ", ") + ", not an endpoint's"},
			Message: fmt.Sprintf("network interface(s) %s use %s (%s), and they are not the lab's endpoints'", strings.Join(named, ", "), r.ID, r.Name),
			Fix:     "give them other security groups (EC2 console: Network interfaces, Actions, Change security groups), then " + l.downAgain()}
	}
	return "no endpoint interface or rule refers to it any more; EC2 may not have caught up yet", nil
}
