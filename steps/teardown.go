package steps

import (
	"context"
	"fmt"
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
// the security group, the pushed tags, the local copy of the image, the
// ~/.ecr_security lines and the state file; then it checks by tags that nothing is left.
func (l *Lab) Teardown(ctx context.Context, opts TeardownOptions) (TeardownReport, error) {
	l.op.Lock()
	defer l.op.Unlock()
	const s = StepTeardown
	start := time.Now()
	l.emit(s, Event{Kind: EventStarted, Message: "Tear down"})
	rep, err := l.teardown(ctx, opts)
	if err != nil {
		fix := problem.FixOf(err)
		if fix == "" {
			fix = "run 'down' again: it picks up where it stopped"
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
			item := CheckItem{ID: "nothing-left", Title: "Nothing left", OK: true,
				Message: "no saved run here, and nothing tagged " + TagKey + " in " + l.cloud.Region()}
			l.emit(s, Event{Kind: EventCheck, Check: &item})
			return rep, nil
		}
		tagValue, st.RunID, rep.RunID = run, run, run
	}

	// Resources found by tag that the state does not know (a lost state
	// file, an interrupted run, other runs with --all).
	taggedEPs, err := l.cloud.TaggedEndpoints(ctx, TagKey, tagValue)
	if err != nil {
		return rep, err
	}
	taggedSGs, err := l.cloud.TaggedSecurityGroups(ctx, TagKey, tagValue)
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
		if r := st.Rule; r != nil && r.Created {
			fctx, cancel := finish(ctx)
			l.resource(s, ResourceEvent{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: ResDeleting, Since: l.cfg.Now()})
			cmd, err := l.cloud.RevokeIngress(fctx, sg.ID, r.ID)
			cancel()
			l.command(s, cmd)
			if err != nil {
				return rep, err
			}
			ev := ResourceEvent{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: ResDeleted}
			l.resource(s, ev)
			rep.Deleted = append(rep.Deleted, ev)
		}
		if err := l.update(func(x *State) { x.Rule = nil }); err != nil {
			return rep, err
		}
		if sg.Created {
			if err := l.deleteGroup(ctx, s, sg); err != nil {
				return rep, err
			}
			rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindSecurityGroup, ID: sg.ID, Name: sg.Name, State: ResDeleted})
		} else {
			ev := ResourceEvent{Kind: KindSecurityGroup, ID: sg.ID, Name: sg.Name, State: ResKept, Detail: "not created by the lab"}
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

	// 3. Tags the push test pushed.
	for _, tag := range l.read().PushedTags {
		if err := l.deleteTag(ctx, s, tag); err != nil {
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, ResourceEvent{Kind: KindImageTag, ID: l.cfg.Repo + ":" + tag, State: ResDeleted})
	}

	// The local copy of the image the push test pushed.
	if err := l.removeLocalImage(ctx, s, &rep); err != nil {
		return rep, err
	}

	// 4. Our ~/.ecr_security lines.
	run := rep.RunID
	if opts.All {
		run = ""
	}
	if n, err := l.envFile(l.read()).Remove(run); err != nil {
		return rep, envProblem("clean "+l.env.Path, err, "remove the lines ending in '"+envMarker+rep.RunID+"' by hand")
	} else if n > 0 {
		ev := ResourceEvent{Kind: KindEnvFile, ID: l.env.Path, State: ResModified, Detail: fmt.Sprintf("removed the lab's %d export line(s); other lines kept", n)}
		l.resource(s, ev)
		rep.Deleted = append(rep.Deleted, ev)
	}

	// 5. The state file (leftovers, if any, are still found by their tags).
	if err := l.store.Remove(); err != nil {
		return rep, &problem.Error{Kind: problem.Local, Op: "remove the state file", Message: err.Error(), Err: err, Fix: "remove " + l.store.Path() + " by hand"}
	}
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
	// 6. Nothing left?
	leftEPs, err := l.cloud.TaggedEndpoints(ctx, TagKey, tagValue)
	if err != nil {
		return rep, err
	}
	leftSGs, err := l.cloud.TaggedSecurityGroups(ctx, TagKey, tagValue)
	if err != nil {
		return rep, err
	}
	for _, e := range leftEPs {
		rep.Left = append(rep.Left, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: awsops.ShortService(e.Service), State: EndpointState(e.State)})
	}
	for _, g := range leftSGs {
		rep.Left = append(rep.Left, ResourceEvent{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResExists})
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
		item.Fix = "run 'down' again in a few minutes"
	}
	l.emit(s, Event{Kind: EventCheck, Check: &item})
	if !item.OK {
		return rep, &problem.Error{Kind: problem.Dependency, Op: "check that nothing is left", Message: item.Message, Fix: item.Fix}
	}

	return rep, nil
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
	eps, err := l.cloud.TaggedEndpoints(ctx, TagKey, "")
	if err != nil {
		return "", err
	}
	sgs, err := l.cloud.TaggedSecurityGroups(ctx, TagKey, "")
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
		if !r.Created {
			if r.OriginalPolicy != nil && key != EndpointS3 {
				if err := l.restorePolicy(ctx, s, key, r); err != nil {
					return err
				}
				rep.Kept = append(rep.Kept, ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResRestored})
			} else {
				ev := ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResKept, Detail: "not created by the lab"}
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
	for _, id := range ids {
		l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: id, Name: name[id], State: ResDeleting, Since: since})
	}
	fctx, cancel := finish(ctx)
	failed, cmd, err := l.cloud.DeleteEndpoints(fctx, ids)
	cancel()
	l.command(s, cmd)
	if err != nil {
		return err
	}
	for id, ferr := range failed {
		l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: id, Name: name[id], State: ResFailed, Detail: ferr.Error()})
		return ferr
	}
	gone := map[string]bool{}
	markGone := func(id string) error {
		if gone[id] {
			return nil
		}
		gone[id] = true
		ev := ResourceEvent{Kind: KindEndpoint, ID: id, Name: name[id], State: ResDeleted, Since: since}
		l.resource(s, ev)
		rep.Deleted = append(rep.Deleted, ev)
		return l.update(func(x *State) {
			for k, r := range x.Endpoints {
				if r.ID == id {
					delete(x.Endpoints, k)
				}
			}
		})
	}
	var saveErr error
	err = l.cloud.WaitEndpointsGone(ctx, ids, func(eps []awsops.Endpoint) {
		present := map[string]bool{}
		for _, e := range eps {
			if !e.Gone() {
				present[e.ID] = true
			}
		}
		for _, id := range ids {
			if !present[id] {
				if err := markGone(id); err != nil && saveErr == nil {
					saveErr = err
				}
			}
		}
	})
	if err != nil {
		return err
	}
	if saveErr != nil {
		return saveErr
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
	l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: r.ID, Name: key, State: ResRestored, Detail: "adopted: its own policy is back and it stays"})
	return nil
}

// waitInterfaces waits until no network interface uses the group.
func (l *Lab) waitInterfaces(ctx context.Context, s StepID, groupID string) error {
	l.command(s, awsops.Command{Comment: "wait until the endpoints' network interfaces are released",
		Shell: `until [ "$(aws ec2 describe-network-interfaces --filters Name=group-id,Values=` + groupID +
			` --query 'length(NetworkInterfaces)' --output text --region ` + l.cloud.Region() + `)" = 0 ]; do sleep 5; done`})
	reported := -1
	name := ""
	if sg := l.read().SecurityGroup; sg != nil && sg.ID == groupID {
		name = sg.Name
	}
	since := l.cfg.Now()
	err := l.cloud.WaitInterfacesReleased(ctx, groupID, func(ns []awsops.NetworkInterface) {
		if len(ns) > 0 && len(ns) != reported {
			reported = len(ns)
			// AWS keeps a deleted endpoint's interfaces for minutes (up to
			// five): say so, or a learner takes the wait for a hang.
			l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: groupID, Name: name, State: ResWaiting, Since: since,
				Detail: fmt.Sprintf("%d endpoint network interface(s) still being released; AWS takes a few minutes", len(ns))})
		}
	})
	if err == nil && reported > 0 {
		// The line's detail said what it waited for; now it is over.
		l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: groupID, Name: name, State: ResWaiting, Since: since,
			Detail: fmt.Sprintf("the endpoints' network interfaces were released after %s", l.cfg.Now().Sub(since).Round(time.Second))})
	}
	return err
}

// deleteGroup deletes a security group, backing off on DependencyViolation.
func (l *Lab) deleteGroup(ctx context.Context, s StepID, r *Record) error {
	since := l.cfg.Now()
	l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResDeleting, Since: since})
	cmd, err := l.cloud.DeleteSecurityGroup(ctx, r.ID, func(attempt int, wait time.Duration) {
		l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResWaiting, Since: since,
			Detail: fmt.Sprintf("DependencyViolation: network interfaces still attached; retrying in %s", wait.Round(100*time.Millisecond))})
	})
	l.command(s, cmd)
	if err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResDeleted, Since: since})
	return nil
}
