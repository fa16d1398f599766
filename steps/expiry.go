package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// Auto-teardown. Interface endpoints bill every hour they exist, and a
// learner who closes the laptop after the tests leaves them billing. So
// every run has an expiry (four hours unless the learner says otherwise):
// every resource carries it as the tag ecr-vpce-lab:expires-at, and at
// expiry an EventBridge Scheduler one-time schedule deletes the run's
// endpoints, as a role the lab creates that may delete only what carries
// this run's tag; a second schedule removes the security group (and so its
// rule) a little later, once the endpoints' network interfaces are gone.
// Both delete themselves after they run (research D).
//
// When the learner's role may not create the role or the schedules, the
// lab says so and goes on without them: the tags stay, and 'down
// --expired' (or a facilitator's 'fleet down --expired') removes the run
// after its expiry.

// The tags of the auto-teardown and of the facilitator's view.
const (
	// ExpiresTagKey carries the run's expiry, RFC 3339 in UTC.
	ExpiresTagKey = "ecr-vpce-lab:expires-at"
	// StageTagKey, on the security group, says how far the learner got
	// and since when: STAGE@RFC3339 (see Stage).
	StageTagKey = "ecr-vpce-lab:stage"
)

// DefaultExpires is how long a run lives unless the learner says otherwise.
const DefaultExpires = 4 * time.Hour

// NeverExpires, as Config.Expires, opts out of the expiry.
const NeverExpires time.Duration = -1

// ShortExpiry is the expiry below which the wizard asks first on AWS: the
// endpoints would go while a learner may still be at work.
const ShortExpiry = time.Hour

// The names the auto-teardown gives AWS resources; each carries the run id
// so a run's schedules and role are found without its state file.
const (
	TeardownRolePath   = "/ecr-vpce-lab/"
	teardownRolePrefix = "ecr-vpce-lab-teardown-"
	schedulePrefix     = "ecr-vpce-lab-"
	teardownPolicyName = "delete-this-run"
)

// TeardownRoleName is the role the auto-teardown's schedules run as.
func TeardownRoleName(run string) string { return teardownRolePrefix + run }

// Schedule purposes: the endpoints at expiry, the group after them.
const (
	ScheduleEndpoints = "endpoints"
	ScheduleGroup     = "group"
)

// ScheduleName is the name of a run's schedule for purpose.
func ScheduleName(run, purpose string) string { return schedulePrefix + run + "-" + purpose }

// RunOfSchedule is the run and purpose of a schedule the lab named.
func RunOfSchedule(name string) (run, purpose string, ok bool) {
	rest, ok := strings.CutPrefix(name, schedulePrefix)
	if !ok {
		return "", "", false
	}
	for _, p := range []string{ScheduleEndpoints, ScheduleGroup} {
		if r, ok := strings.CutSuffix(rest, "-"+p); ok && r != "" {
			return r, p, true
		}
	}
	return "", "", false
}

// RunOfRole is the run of a role the lab named.
func RunOfRole(name string) (string, bool) {
	r, ok := strings.CutPrefix(name, teardownRolePrefix)
	return r, ok && r != ""
}

// groupGap is how long after the endpoints the group goes: AWS releases an
// interface endpoint's network interfaces within minutes (one to five), and
// the group cannot go before them. A short expiry (a rehearsal) gets a
// shorter gap.
func groupGap(expires time.Duration) time.Duration {
	if expires <= 0 || expires >= 2*time.Hour {
		return 15 * time.Minute
	}
	return min(15*time.Minute, max(expires/2, time.Minute))
}

// AutoTeardown is what the run's auto-teardown has in AWS.
type AutoTeardown struct {
	// Role is the schedules' execution role (ID: its ARN).
	Role *Record `json:"role,omitempty"`
	// Schedules by purpose (ScheduleEndpoints, ScheduleGroup).
	Schedules map[string]*ScheduleRecord `json:"schedules,omitempty"`
	// Off says why the run has no schedule (the permissions it needs are
	// missing); empty when it has one or will.
	Off string `json:"off,omitempty"`
}

// ScheduleRecord is one of the run's schedules.
type ScheduleRecord struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
	// Input is what the target is called with (the IDs it deletes).
	Input string `json:"input"`
}

// ExpiresAt is the run's expiry (zero: it never expires, or it has none
// yet).
func (s State) ExpiryTime() (time.Time, bool) {
	if s.NeverExpires || s.ExpiresAt.IsZero() {
		return time.Time{}, false
	}
	return s.ExpiresAt, true
}

// TimeLeft is how long until the run expires at now (negative once
// expired); ok is false when it never expires.
func (s State) TimeLeft(now time.Time) (time.Duration, bool) {
	at, ok := s.ExpiryTime()
	if !ok {
		return 0, false
	}
	return at.Sub(now), true
}

// Now is the lab's clock: AWS's (see awsops.Cloud.Now) unless the
// configuration gives one.
func (l *Lab) Now() time.Time { return l.cfg.Now() }

// settleExpiry gives a run its expiry once, before anything is created:
// Config.Expires from now, or the default. A resumed run keeps its own
// unless the learner gave a new one (SetExpiry then retags what exists),
// or its own has passed: the auto-teardown has run, and what the run makes
// again would go at once, by schedules set in the past.
func (l *Lab) settleExpiry(ctx context.Context, s StepID) error {
	st := l.read()
	d := l.cfg.Expires
	passed := !st.ExpiresAt.IsZero() && !st.ExpiresAt.After(l.cfg.Now())
	switch {
	case st.NeverExpires && d == 0, !st.ExpiresAt.IsZero() && d == 0 && !passed:
		return nil
	case d == 0:
		d = DefaultExpires
	}
	if !st.ExpiresAt.IsZero() || st.NeverExpires {
		// A new expiry for a run that has one: only when it differs.
		if (d == NeverExpires) == st.NeverExpires && (d == NeverExpires || absDur(l.cfg.Now().Add(d).Sub(st.ExpiresAt)) < time.Minute) {
			return nil
		}
		return l.setExpiry(ctx, s, d)
	}
	return l.update(func(x *State) {
		if d == NeverExpires {
			x.NeverExpires, x.ExpiresAt = true, time.Time{}
			return
		}
		x.NeverExpires, x.ExpiresAt = false, l.cfg.Now().Add(d).UTC().Truncate(time.Second)
	})
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// SetExpiry gives the run a new expiry, d from now (NeverExpires to opt
// out): the tags of what exists say it, and the schedules move with it
// (created, moved or removed).
func (l *Lab) SetExpiry(ctx context.Context, d time.Duration) error {
	if d == 0 || (d < 0 && d != NeverExpires) {
		return &problem.Error{Kind: problem.Invalid, Op: "set the expiry", Message: fmt.Sprintf("%s is not an expiry", d),
			Fix: "give a positive duration (90m, 4h) or never"}
	}
	l.op.Lock()
	defer l.op.Unlock()
	// The lifetime chosen last is the run's from now on: the group's gap
	// after the endpoints follows it (expiresFor), not --expires.
	l.cfg.Expires = d
	return l.setExpiry(ctx, StepEndpoints, d)
}

func (l *Lab) setExpiry(ctx context.Context, s StepID, d time.Duration) error {
	if err := l.update(func(x *State) {
		if d == NeverExpires {
			x.NeverExpires, x.ExpiresAt = true, time.Time{}
		} else {
			x.NeverExpires, x.ExpiresAt = false, l.cfg.Now().Add(d).UTC().Truncate(time.Second)
		}
	}); err != nil {
		return err
	}
	st := l.read()
	l.detail(s, "%s", l.ExpirySentence(st, l.cfg.Now()))
	// What exists says so.
	var ids []string
	young := map[string]bool{}
	since := map[string]time.Time{} // of those EC2 may not know yet
	for _, r := range append([]*Record{st.SecurityGroup, st.Rule}, st.endpointRecords()...) {
		if r != nil && r.Created {
			ids = append(ids, r.ID)
			young[r.ID], since[r.ID] = l.unlistedYet(r), l.listedSince(r)
		}
	}
	if len(ids) > 0 {
		tags := awsops.Tags{ExpiresTagKey: expiresValue(st)}
		fctx, cancel := finish(ctx)
		cmd, err := l.cloud.TagResources(fctx, ids, tags)
		if problem.KindOf(err) == problem.NotFound {
			// Some are gone (the auto-teardown ran at the old expiry, or
			// someone deleted them): tag what is left; the steps make the
			// rest again. One EC2 does not list yet is not gone: its
			// lag is waited out, and said.
			err = nil
			for _, id := range ids {
				e := l.cloud.Settle(fctx, since[id], l.onLag(s, id, since[id]), func() error {
					_, err := l.cloud.TagResources(fctx, []string{id}, tags)
					return err
				})
				if e != nil && (problem.KindOf(e) != problem.NotFound || young[id]) {
					err = e
					break
				}
			}
		}
		cancel()
		l.command(s, cmd)
		if err != nil {
			return err
		}
	}
	if d == NeverExpires {
		return l.removeSchedules(ctx, s, st.RunID, nil)
	}
	if len(st.Endpoints) > 0 {
		return l.scheduleTeardown(ctx, s)
	}
	return nil
}

// expiresValue is the expires-at tag's value ("never" when the learner
// opted out).
func expiresValue(st State) string {
	if at, ok := st.ExpiryTime(); ok {
		return at.UTC().Format(time.RFC3339)
	}
	return "never"
}

// noteExpiry folds the expiry a resource's tags name into the expiry seen
// so far: "never", or a time later than at.
func noteExpiry(tags awsops.Tags, never *bool, at *time.Time) {
	switch v := tags[ExpiresTagKey]; {
	case v == "never":
		*never = true
	case v != "":
		if t, err := time.Parse(time.RFC3339, v); err == nil && t.After(*at) {
			*at = t
		}
	}
}

// ExpirySentence says, for a person, when the run expires and what removes
// it then ("" while it has no expiry yet), on the local clock. The lab's
// own detail and accessible mode say it; the wizard's screens say
// ExpirySentenceKey.
func ExpirySentence(st State, now time.Time) string {
	return expirySentence(st, now, "", "'ecr-vpce-lab down'")
}

// ExpirySentence is the package's ExpirySentence with this lab's down
// command (on the sandbox, with --sandbox and its state directory).
func (l *Lab) ExpirySentence(st State, now time.Time) string {
	return expirySentence(st, now, "", "'"+l.labCmd("down")+"'")
}

// ExpirySentenceKey is ExpirySentence where a key tears the run down (the
// wizard's T): the way out is said once, as that key.
func ExpirySentenceKey(st State, now time.Time, key string) string {
	return expirySentence(st, now, key, "")
}

// expirySentence: key is the wizard's key that tears down, or down the
// command that does ('ecr-vpce-lab down', quoted).
func expirySentence(st State, now time.Time, key, down string) string {
	switch {
	case st.NeverExpires && key != "":
		return "No expiry: nothing removes the endpoints for you; they are billed until you tear them down with " + key + "."
	case st.NeverExpires:
		return "No expiry: nothing removes the endpoints for you; they are billed until you tear them down (" + down + ")."
	case st.ExpiresAt.IsZero():
		return ""
	}
	when := st.ExpiresAt.Local().Format("15:04")
	left := st.ExpiresAt.Sub(now)
	switch {
	case left <= 0:
		return fmt.Sprintf("This run expired at %s: the auto-teardown removes what it created.", when)
	case st.AutoTeardown != nil && st.AutoTeardown.Off != "":
		down := "tear it down"
		if key != "" {
			down += " with " + key
		}
		return fmt.Sprintf("The run expires at %s (in %s), but nothing is scheduled to remove it (%s): %s when you are done.", when, FormatLeft(left), st.AutoTeardown.Off, down)
	}
	return fmt.Sprintf("The run expires at %s (in %s): then the auto-teardown removes the endpoints, and the security group a little later, even with this window closed.", when, FormatLeft(left))
}

// FormatLeft writes a time left for people: 3h59m, 12m, 40s, "expired".
func FormatLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return "expired"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// ParseExpires reads --expires: a positive duration (90s, 45m, 4h, 2h30m),
// or never.
func ParseExpires(s string) (time.Duration, error) {
	if strings.EqualFold(strings.TrimSpace(s), "never") {
		return NeverExpires, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not an expiry: give a positive duration such as 4h, 90m or 30s, or never", s)
	}
	if d > 30*24*time.Hour {
		return 0, fmt.Errorf("%q is more than 30 days: use never to opt out of the expiry", s)
	}
	return d, nil
}

// partition is the caller's partition (arn:aws-cn:..., research F of
// issue 15), for the ARNs the lab builds.
func (l *Lab) partition() string { return awsops.Partition(l.read().Caller) }

func (l *Lab) teardownRoleARN(st State) string {
	return "arn:" + l.partition() + ":iam::" + st.Account + ":role" + TeardownRolePath + TeardownRoleName(st.RunID)
}

// teardownTrust lets EventBridge Scheduler assume the role, for schedules
// of this account's default group only (the confused-deputy keys AWS
// recommends; research D.4).
func (l *Lab) teardownTrust(st State) string {
	return string(jsonOf(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]string{"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
		"Condition": map[string]any{"StringEquals": map[string]string{
			"aws:SourceAccount": st.Account,
			"aws:SourceArn":     "arn:" + l.partition() + ":scheduler:" + st.Region + ":" + st.Account + ":schedule-group/default",
		}},
	}}}))
}

// teardownPolicy lets the role delete endpoints and security groups that
// carry this run's tag, and nothing else (the actions support
// aws:ResourceTag conditions; research G).
func (l *Lab) teardownPolicy(st State) string {
	arn := "arn:" + l.partition() + ":ec2:" + st.Region + ":" + st.Account + ":"
	cond := map[string]any{"StringEquals": map[string]string{"aws:ResourceTag/" + TagKey: st.RunID}}
	return string(jsonOf(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "DeleteThisRunsEndpoints", "Effect": "Allow", "Action": "ec2:DeleteVpcEndpoints", "Resource": arn + "vpc-endpoint/*", "Condition": cond},
		map[string]any{"Sid": "DeleteThisRunsGroup", "Effect": "Allow", "Action": "ec2:DeleteSecurityGroup", "Resource": arn + "security-group/*", "Condition": cond},
	}}))
}

// The universal targets (research D.3, H).
func (l *Lab) target(api string) string {
	return "arn:" + l.partition() + ":scheduler:::aws-sdk:ec2:" + api
}

// autoTeardownChecks are the calls the auto-teardown makes, as the policy
// simulator is asked about them.
func (l *Lab) autoTeardownChecks(st State) []awsops.SimulatedCheck {
	role := l.teardownRoleARN(st)
	sched := "arn:" + l.partition() + ":scheduler:" + st.Region + ":" + st.Account + ":schedule/default/" + ScheduleName(st.RunID, ScheduleEndpoints)
	return []awsops.SimulatedCheck{
		{Action: "iam:CreateRole", Resource: role},
		{Action: "iam:PutRolePolicy", Resource: role},
		{Action: "iam:PassRole", Resource: role, Context: map[string][]string{"iam:PassedToService": {"scheduler.amazonaws.com"}}},
		{Action: "scheduler:CreateSchedule", Resource: sched},
		{Action: "scheduler:DeleteSchedule", Resource: sched},
		{Action: "iam:DeleteRolePolicy", Resource: role},
		{Action: "iam:DeleteRole", Resource: role},
	}
}

// autoTeardownItem is preflight's check of the auto-teardown: the expiry,
// and whether the learner's role may create what it needs (asked of IAM's
// policy simulator). Missing permissions do not stop the lab: the item
// says what it means, and the run goes on with its expiry tags only.
func (l *Lab) autoTeardownItem(ctx context.Context, st State) (CheckItem, error) {
	it := CheckItem{ID: "auto-teardown", Title: "Auto-teardown at expiry", OK: true, Warning: true}
	if st.NeverExpires {
		it.Message = l.ExpirySentence(st, l.cfg.Now())
		return it, nil
	}
	if at, ok := st.ExpiryTime(); ok {
		it.Message = fmt.Sprintf("expires at %s (in %s); ", at.UTC().Format("15:04 UTC"), FormatLeft(at.Sub(l.cfg.Now())))
	}
	principal := l.cloud.PrincipalARN(ctx, st.Caller)
	res, err := l.cloud.SimulatePermissions(ctx, principal, l.autoTeardownChecks(st))
	if err != nil {
		if !problem.KindOf(err).Known() || problem.KindOf(err) == problem.Permission {
			it.Message += "could not ask IAM's policy simulator (" + problem.CodeOf(err) + "); the lab will try to schedule the teardown, and go on without it if AWS refuses"
			return it, nil
		}
		return it, err
	}
	var missing []string
	for _, r := range res {
		if !r.Allowed {
			missing = append(missing, r.Action)
		}
	}
	if len(missing) == 0 {
		it.Message += "an EventBridge Scheduler schedule will delete the endpoints then, as a role allowed to delete only this run's endpoints"
		if st.AutoTeardown != nil && st.AutoTeardown.Off != "" {
			_ = l.update(func(x *State) { x.AutoTeardown.Off = "" })
		}
		return it, nil
	}
	it.OK = false
	off := "your role lacks " + strings.Join(missing, ", ")
	it.Message += off + ": the lab goes on without the schedule. Its resources carry the tag " + ExpiresTagKey +
		", so '" + l.labCmd("down --expired") + "' (or a facilitator's 'fleet down --expired') removes them after expiry"
	it.Fix = "add the auto-teardown's actions of docs/iam-policy.json to your role, or run '" + l.labCmd("down") + "' when you are done"
	if err := l.update(func(x *State) {
		if x.AutoTeardown == nil {
			x.AutoTeardown = &AutoTeardown{}
		}
		x.AutoTeardown.Off = off
	}); err != nil {
		return it, err
	}
	return it, nil
}

// autoTeardownOn reports whether the run schedules its teardown.
func autoTeardownOn(st State) bool {
	_, ok := st.ExpiryTime()
	return ok && (st.AutoTeardown == nil || st.AutoTeardown.Off == "")
}

// refusedOrErr is a failed call of the auto-teardown's setup: a refusal
// turns the auto-teardown off and the lab goes on (goOff); anything else
// stops it.
func (l *Lab) refusedOrErr(ctx context.Context, s StepID, err error) error {
	if problem.KindOf(err) == problem.Permission {
		return l.goOff(ctx, s, err)
	}
	return err
}

// goOff records that the auto-teardown is off, and why, and says so on
// the step's line; what it created is removed.
func (l *Lab) goOff(ctx context.Context, s StepID, err error) error {
	why := err.Error()
	if e, ok := problem.As(err); ok {
		why = e.Message
	}
	l.resource(s, ResourceEvent{Kind: KindSchedule, Name: "auto-teardown", State: ResSkipped,
		Detail: "AWS refused (" + why + "): going on without it; the tag " + ExpiresTagKey + " stays, so 'down --expired' removes the run after expiry"})
	if uerr := l.update(func(x *State) {
		if x.AutoTeardown == nil {
			x.AutoTeardown = &AutoTeardown{}
		}
		x.AutoTeardown.Off = why
	}); uerr != nil {
		return uerr
	}
	st := l.read()
	if rerr := l.removeSchedules(ctx, s, st.RunID, nil); rerr != nil && problem.KindOf(rerr) != problem.Permission {
		return rerr
	}
	if rerr := l.removeRole(ctx, s, st.RunID, nil); rerr != nil && problem.KindOf(rerr) != problem.Permission {
		return rerr
	}
	return nil
}

// ensureTeardownRole makes the schedules' role before the endpoints are
// created, so IAM has propagated it by the time the schedules name it.
func (l *Lab) ensureTeardownRole(ctx context.Context, s StepID) error {
	st := l.read()
	if !autoTeardownOn(st) {
		return nil
	}
	name := TeardownRoleName(st.RunID)
	r, err := l.cloud.GetRole(ctx, name)
	if err != nil {
		return l.refusedOrErr(ctx, s, err)
	}
	since := l.cfg.Now()
	if r == nil {
		l.resource(s, ResourceEvent{Kind: KindRole, Name: "auto-teardown", State: ResCreating, Since: since})
		fctx, cancel := finish(ctx)
		created, cmd, err := l.cloud.CreateRole(fctx, name, TeardownRolePath, "ecr-vpce-lab run "+st.RunID+": EventBridge Scheduler deletes this run's endpoints and security group at expiry",
			l.teardownTrust(st), awsops.Tags{TagKey: st.RunID, ExpiresTagKey: expiresValue(st), RegionTagKey: st.Region})
		if awsops.CodeOf(err) == "EntityAlreadyExists" {
			// The name holds this run's ID, so the role is this run's: made
			// by this very create when its answer was lost and the SDK sent
			// it again (IAM's CreateRole takes no idempotency token), or by
			// an attempt cut short that IAM's reads did not show yet.
			if got, gerr := l.cloud.GetRole(fctx, name); gerr == nil && got != nil {
				created, err = *got, nil
			}
		}
		cancel()
		l.command(s, cmd)
		if err != nil {
			return l.refusedOrErr(ctx, s, err)
		}
		r = &created
	}
	if err := l.update(func(x *State) {
		if x.AutoTeardown == nil {
			x.AutoTeardown = &AutoTeardown{}
		}
		x.AutoTeardown.Role = &Record{ID: r.ARN, Name: r.Name, Created: true, CreatedAt: since}
	}); err != nil {
		return err
	}
	fctx, cancel := finish(ctx)
	cmd, err := l.cloud.PutRolePolicy(fctx, name, teardownPolicyName, l.teardownPolicy(st))
	cancel()
	l.command(s, cmd)
	if err != nil {
		return l.refusedOrErr(ctx, s, err)
	}
	l.resource(s, ResourceEvent{Kind: KindRole, ID: r.ARN, Name: "auto-teardown", State: ResCreated, Since: since,
		Detail: "EventBridge Scheduler runs the auto-teardown as this role; it may delete only what carries " + TagKey + "=" + st.RunID})
	return nil
}

// scheduleTeardown creates (or moves) the run's two schedules once its
// endpoints exist: the endpoints at expiry, the group after them.
func (l *Lab) scheduleTeardown(ctx context.Context, s StepID) error {
	st := l.read()
	if !autoTeardownOn(st) {
		return nil
	}
	if st.AutoTeardown == nil || st.AutoTeardown.Role == nil {
		if err := l.ensureTeardownRole(ctx, s); err != nil {
			return err
		}
		st = l.read()
		if !autoTeardownOn(st) {
			return nil
		}
	}
	at, _ := st.ExpiryTime()
	ids := st.createdEndpointIDs()
	plans := []struct {
		purpose, api, input, what string
		at                        time.Time
		retries                   int
	}{}
	if len(ids) > 0 {
		plans = append(plans, struct {
			purpose, api, input, what string
			at                        time.Time
			retries                   int
		}{ScheduleEndpoints, "deleteVpcEndpoints", string(jsonOf(map[string][]string{"VpcEndpointIds": ids})), "delete the endpoints " + strings.Join(ids, ", "), at, 3})
	}
	if g := st.SecurityGroup; g != nil && g.Created {
		plans = append(plans, struct {
			purpose, api, input, what string
			at                        time.Time
			retries                   int
		}{ScheduleGroup, "deleteSecurityGroup", string(jsonOf(map[string]string{"GroupId": g.ID})), "delete the security group " + g.ID + " (and its rule)",
			at.Add(groupGap(l.expiresFor(st))), 10})
	}
	for _, p := range plans {
		name := ScheduleName(st.RunID, p.purpose)
		// Whatever the state file says (a run found by its tags has no
		// record), the schedule as it stands decides: kept when it already
		// fires at the wanted time with the wanted IDs, moved otherwise.
		cur, err := l.cloud.GetSchedule(ctx, name)
		if err != nil {
			return err
		}
		if cur != nil && cur.At.Equal(p.at.UTC().Truncate(time.Second)) && cur.Input == p.input {
			if err := l.recordSchedule(p.purpose, name, p.at, p.input); err != nil {
				return err
			}
			l.resource(s, ResourceEvent{Kind: KindSchedule, ID: name, Name: p.purpose, State: ResExists,
				Detail: "at " + p.at.UTC().Format("15:04:05 UTC") + ": " + p.what})
			continue
		}
		spec := awsops.ScheduleSpec{Name: name, At: p.at, Target: l.target(p.api), RoleARN: st.AutoTeardown.Role.ID, Input: p.input,
			Description:   "ecr-vpce-lab run " + st.RunID + " expires " + expiresValue(st) + ": " + p.what,
			RetryAttempts: p.retries, MaxAge: time.Hour}
		since := l.cfg.Now()
		fctx, cancel := finish(ctx)
		var cmd awsops.Command
		done := ResCreated
		if cur != nil {
			// Moved (a new expiry) or given other IDs.
			done = ResModified
			cmd, err = l.cloud.UpdateSchedule(fctx, spec)
		} else {
			l.resource(s, ResourceEvent{Kind: KindSchedule, Name: name, State: ResCreating, Since: since})
			_, cmd, err = l.cloud.CreateSchedule(fctx, spec, func(attempt int, wait time.Duration) {
				l.resource(s, ResourceEvent{Kind: KindSchedule, Name: name, State: ResWaiting, Since: since,
					Detail: fmt.Sprintf("IAM is still propagating the new role (EventBridge Scheduler cannot assume it yet); trying again in %s", wait.Round(100*time.Millisecond))})
			})
		}
		cancel()
		l.command(s, cmd)
		if err != nil {
			return l.refusedOrErr(ctx, s, err)
		}
		if err := l.recordSchedule(p.purpose, name, p.at, p.input); err != nil {
			return err
		}
		l.resource(s, ResourceEvent{Kind: KindSchedule, ID: name, Name: p.purpose, State: done, Since: since,
			Detail: "at " + p.at.UTC().Format("15:04:05 UTC") + ": " + p.what})
	}
	return nil
}

// recordSchedule notes one of the run's schedules in the state.
func (l *Lab) recordSchedule(purpose, name string, at time.Time, input string) error {
	return l.update(func(x *State) {
		if x.AutoTeardown == nil {
			x.AutoTeardown = &AutoTeardown{}
		}
		if x.AutoTeardown.Schedules == nil {
			x.AutoTeardown.Schedules = map[string]*ScheduleRecord{}
		}
		x.AutoTeardown.Schedules[purpose] = &ScheduleRecord{Name: name, At: at, Input: input}
	})
}

// expiresFor is the run's lifetime as it was set (for the group's gap).
func (l *Lab) expiresFor(st State) time.Duration {
	if l.cfg.Expires > 0 {
		return l.cfg.Expires
	}
	if at, ok := st.ExpiryTime(); ok && !st.Started.IsZero() {
		return at.Sub(st.Started)
	}
	return DefaultExpires
}

// removeSchedules deletes a run's schedules (found by their names, with or
// without a state file).
func (l *Lab) removeSchedules(ctx context.Context, s StepID, run string, rep *TeardownReport) error {
	for _, p := range []string{ScheduleEndpoints, ScheduleGroup} {
		name := ScheduleName(run, p)
		fctx, cancel := finish(ctx)
		cmd, existed, err := l.cloud.DeleteSchedule(fctx, name)
		cancel()
		if err != nil {
			return err
		}
		if existed {
			l.command(s, cmd)
			l.removed(s, ResourceEvent{Kind: KindSchedule, ID: name, Name: p, State: ResDeleted}, rep)
		}
	}
	return l.update(func(x *State) {
		if x.AutoTeardown != nil {
			x.AutoTeardown.Schedules = nil
		}
	})
}

// removeRole deletes a run's role and its policy.
func (l *Lab) removeRole(ctx context.Context, s StepID, run string, rep *TeardownReport) error {
	name := TeardownRoleName(run)
	fctx, cancel := finish(ctx)
	cmds, existed, err := l.cloud.DeleteRole(fctx, name)
	cancel()
	if err != nil {
		return err
	}
	if existed {
		for _, c := range cmds {
			l.command(s, c)
		}
		l.removed(s, ResourceEvent{Kind: KindRole, ID: name, Name: "auto-teardown", State: ResDeleted}, rep)
	}
	return l.update(func(x *State) {
		if x.AutoTeardown != nil {
			x.AutoTeardown.Role = nil
		}
	})
}

// tolerateDenied lets teardown go on when the learner may not touch IAM or
// Scheduler (the auto-teardown never ran for them); anything else stops it.
func tolerateDenied(err error) error {
	if problem.KindOf(err) == problem.Permission {
		return nil
	}
	return err
}

// AutoTeardownStatus is what status says of the auto-teardown.
type AutoTeardownStatus struct {
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Never     bool      `json:"never,omitempty"`
	Expired   bool      `json:"expired"`
	// Left is the time left, in words (3h59m, expired).
	Left      string           `json:"left,omitempty"`
	Role      *ResourceStatus  `json:"role,omitempty"`
	Schedules []ScheduleStatus `json:"schedules"`
	// Off says why the run has no schedule.
	Off string `json:"off,omitempty"`
	// Outcome says what happened at expiry, in a sentence.
	Outcome string `json:"outcome,omitempty"`
}

// ScheduleStatus is one of the run's schedules as status sees it.
type ScheduleStatus struct {
	Name    string        `json:"name"`
	Purpose string        `json:"purpose"`
	At      time.Time     `json:"at,omitzero"`
	State   ResourceState `json:"state"`
}

// scheduleLook is what Scheduler showed of a run's two schedules.
type scheduleLook struct {
	schedules []ScheduleStatus
	// gone: a schedule the lab made that Scheduler no longer has (a
	// one-time schedule deletes itself once it has run).
	gone map[string]bool
	// denied is the error code when the schedules could not be read.
	denied string
}

// lookAtSchedules reads the run's schedules. Status reads them before the
// resources they remove: a schedule that runs between the two reads is
// then seen before it ran and its resources after (the next look sees
// both gone), never gone with its resources still there, which would
// read as a teardown that failed.
func (l *Lab) lookAtSchedules(ctx context.Context, st State) (scheduleLook, error) {
	look := scheduleLook{schedules: []ScheduleStatus{}, gone: map[string]bool{}}
	if _, ok := st.ExpiryTime(); !ok || st.NeverExpires {
		return look, nil
	}
	for _, p := range []string{ScheduleEndpoints, ScheduleGroup} {
		name := ScheduleName(st.RunID, p)
		ss := ScheduleStatus{Name: name, Purpose: p, State: ResGone}
		if st.AutoTeardown != nil && st.AutoTeardown.Schedules[p] != nil {
			ss.At = st.AutoTeardown.Schedules[p].At
		}
		cur, err := l.cloud.GetSchedule(ctx, name)
		if err != nil {
			if problem.KindOf(err) == problem.Permission {
				look.denied = problem.CodeOf(err)
				return look, nil
			}
			return look, err
		}
		if cur != nil {
			ss.State, ss.At = ResExists, cur.At
		} else if ss.At.IsZero() {
			continue // never made
		}
		look.gone[p] = cur == nil
		look.schedules = append(look.schedules, ss)
	}
	return look, nil
}

// autoTeardownStatus says what the auto-teardown did from the look at the
// schedules and the run's role; endpointsLeft and groupLeft say which of
// the run's resources still exist.
func (l *Lab) autoTeardownStatus(ctx context.Context, st State, look scheduleLook, endpointsLeft, groupLeft bool) (*AutoTeardownStatus, error) {
	now := l.cfg.Now()
	out := &AutoTeardownStatus{Schedules: []ScheduleStatus{}}
	if st.NeverExpires {
		out.Never = true
		out.Outcome = l.ExpirySentence(st, now)
		return out, nil
	}
	at, ok := st.ExpiryTime()
	if !ok {
		return nil, nil
	}
	out.ExpiresAt, out.Expired, out.Left = at, !now.Before(at), FormatLeft(at.Sub(now))
	if st.AutoTeardown != nil {
		out.Off = st.AutoTeardown.Off
	}
	if look.denied != "" {
		out.Outcome = "could not read the schedules (" + look.denied + ")"
		return out, nil
	}
	gone := look.gone
	out.Schedules = look.schedules
	if r, err := l.cloud.GetRole(ctx, TeardownRoleName(st.RunID)); err == nil {
		rs := &ResourceStatus{Kind: KindRole, ID: TeardownRoleName(st.RunID), Name: TeardownRoleName(st.RunID), State: ResGone, Created: true}
		if r != nil {
			rs.State, rs.ID = ResExists, r.ARN
		}
		if r != nil || (st.AutoTeardown != nil && st.AutoTeardown.Role != nil) {
			out.Role = rs
		}
	}
	out.Outcome = teardownOutcome(out, gone, endpointsLeft, groupLeft, now, l.labCmd)
	return out, nil
}

// teardownOutcome says what the auto-teardown did, from what AWS shows:
// Scheduler keeps no record of a run (a one-time schedule deletes itself
// after running, whether its call succeeded or not; research D.5), so the
// resources themselves tell.
// labCmd names the lab's commands (Lab.labCmd).
func teardownOutcome(a *AutoTeardownStatus, gone map[string]bool, endpointsLeft, groupLeft bool, now time.Time, labCmd func(string) string) string {
	made := len(a.Schedules) > 0
	switch {
	case a.Off != "" && !a.Expired:
		return "no schedule (" + a.Off + "); expires in " + a.Left + ": then '" + labCmd("down --expired") + "' removes the run"
	case a.Off != "":
		if endpointsLeft || groupLeft {
			return "expired " + FormatLeft(now.Sub(a.ExpiresAt)) + " ago, and no schedule removed it (" + a.Off + "): run '" + labCmd("down --expired") + "' (or 'down')"
		}
		return "expired; nothing of the run is left"
	case !made:
		return ""
	case !a.Expired:
		return "scheduled: the endpoints go at " + a.ExpiresAt.UTC().Format("15:04 UTC") + " (in " + a.Left + ")"
	}
	var parts []string
	switch {
	case gone[ScheduleEndpoints] && !endpointsLeft:
		parts = append(parts, "the auto-teardown removed the endpoints after the expiry")
	case gone[ScheduleEndpoints] && endpointsLeft:
		parts = append(parts, "the endpoints' schedule has run (it deleted itself) but the endpoints are still there: its call failed "+
			"(EventBridge Scheduler keeps no record; CloudTrail shows DeleteVpcEndpoints by the role); run '"+labCmd("down")+"'")
	case !gone[ScheduleEndpoints]:
		parts = append(parts, "expired; the endpoints' schedule is due and fires within a minute")
	}
	if _, had := gone[ScheduleGroup]; had {
		switch {
		case gone[ScheduleGroup] && !groupLeft:
			parts = append(parts, "then removed the security group and its rule")
		case gone[ScheduleGroup] && groupLeft:
			parts = append(parts, "the group's schedule has run but the group is still there: run '"+labCmd("down")+"'")
		default:
			parts = append(parts, "the group goes a little later")
		}
	}
	return strings.Join(parts, "; ")
}

// Stages of a run, as the security group's stage tag records them (and
// the facilitator's view reads them).
const (
	StageSecurityGroup = "security-group"
	StageIngress       = "ingress-rule"
	StageEndpoints     = "endpoints"
	StageDNS           = "private-dns"
	StagePushRefused   = "push-refused"
	StagePushAllowed   = "push-allowed"
	StageListed        = "listed"
	StageFinished      = "finished"
)

// stageOf is the stage a step's success takes the run to ("" for steps
// that do not move it).
func stageOf(id StepID, st State) string {
	switch id {
	case StepIngress:
		return StageIngress
	case StepEndpoints:
		return StageEndpoints
	case StepDNS:
		return StageDNS
	case StepPush:
		if r, ok := st.Tests[PushTest]; ok && r.Outcome.Allowed {
			return StagePushAllowed
		}
		return StagePushRefused
	case StepList:
		return StageListed
	case StepPull:
		return StageFinished
	}
	return ""
}

// StageValue is the stage tag's value: STAGE@RFC3339.
func StageValue(stage string, at time.Time) string {
	return stage + "@" + at.UTC().Format(time.RFC3339)
}

// ParseStage reads the stage tag's value.
func ParseStage(v string) (stage string, since time.Time, ok bool) {
	s, t, found := strings.Cut(v, "@")
	if !found {
		return v, time.Time{}, v != ""
	}
	at, err := time.Parse(time.RFC3339, t)
	return s, at, err == nil && s != ""
}

// markStage records on the security group how far the learner got, for
// the facilitator's view. It is best effort: a refusal is a note, never a
// failed step.
func (l *Lab) markStage(ctx context.Context, id StepID) {
	st := l.read()
	stage := stageOf(id, st)
	if stage == "" || st.SecurityGroup == nil || !st.SecurityGroup.Created {
		return
	}
	fctx, cancel := finish(ctx)
	defer cancel()
	if _, err := l.cloud.TagResources(fctx, []string{st.SecurityGroup.ID}, awsops.Tags{StageTagKey: StageValue(stage, l.cfg.Now())}); err != nil {
		l.detail(id, "could not record the stage on the security group (%s); the facilitator's view will guess it", problem.CodeOf(err))
	}
}

// expiredUnderTest explains a test whose outcome surprised: the run
// expired and the auto-teardown deleted (or is deleting) the endpoints
// under it, so the request took the public way.
func (l *Lab) expiredUnderTest(ctx context.Context, st State) (string, bool) {
	at, ok := st.ExpiryTime()
	if !ok {
		return "", false
	}
	ids := st.EndpointIDs()
	eps, err := l.cloud.Endpoints(ctx, ids...)
	if err != nil {
		return "", false
	}
	live := 0
	for _, e := range eps {
		if !e.Gone() && !awsops.SameState(e.State, awsops.StateDeleting) {
			live++
		}
	}
	if live == len(ids) {
		return "", false
	}
	sched, _ := l.cloud.GetSchedule(ctx, ScheduleName(st.RunID, ScheduleEndpoints))
	if sched != nil && l.cfg.Now().Before(at) {
		return "", false
	}
	return fmt.Sprintf("the run expired at %s and the auto-teardown deleted the endpoints during the test, so the request went the public way, past the endpoint policy",
		at.UTC().Format("15:04:05 UTC")), true
}

// ExpiredRun is a run found by its tags whose expiry has passed.
type ExpiredRun struct {
	Run       string    `json:"run"`
	ExpiresAt time.Time `json:"expiresAt"`
	Endpoints []string  `json:"endpoints"`
	Groups    []string  `json:"groups"`
}

// ExpiredRuns finds the runs in the region whose expires-at tag has passed
// (at AWS's time), from the tags of their endpoints and groups.
func ExpiredRuns(ctx context.Context, cloud *awsops.Cloud) ([]ExpiredRun, error) {
	now := cloud.Now()
	eps, sgs, err := Tagged(ctx, cloud, ExpiresTagKey, "")
	if err != nil {
		return nil, err
	}
	runs := map[string]*ExpiredRun{}
	note := func(tags awsops.Tags) *ExpiredRun {
		run := tags[TagKey]
		at, err := time.Parse(time.RFC3339, tags[ExpiresTagKey])
		if run == "" || err != nil || now.Before(at) {
			return nil
		}
		r := runs[run]
		if r == nil {
			r = &ExpiredRun{Run: run, ExpiresAt: at, Endpoints: []string{}, Groups: []string{}}
			runs[run] = r
		}
		if at.After(r.ExpiresAt) {
			r.ExpiresAt = at
		}
		return r
	}
	for _, e := range eps {
		if awsops.SameState(e.State, awsops.StateDeleting) {
			continue
		}
		if r := note(e.Tags); r != nil {
			r.Endpoints = append(r.Endpoints, e.ID)
		}
	}
	for _, g := range sgs {
		if r := note(g.Tags); r != nil {
			r.Groups = append(r.Groups, g.ID)
		}
	}
	out := make([]ExpiredRun, 0, len(runs))
	for _, r := range runs {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b ExpiredRun) int { return strings.Compare(a.Run, b.Run) })
	return out, nil
}

// removeAutoSchedules deletes the run's schedules (every run's with all).
// A learner who may not touch Scheduler never had any: a refusal is not a
// failed teardown.
func (l *Lab) removeAutoSchedules(ctx context.Context, s StepID, run string, all bool, rep *TeardownReport) error {
	everyRun := func() ([]string, error) {
		scheds, err := l.cloud.ListSchedules(ctx, schedulePrefix)
		var runs []string
		for _, sc := range scheds {
			if r, _, ok := RunOfSchedule(sc.Name); ok && !slices.Contains(runs, r) {
				runs = append(runs, r)
			}
		}
		return runs, err
	}
	return removeForRuns(run, all, everyRun, func(r string) error { return l.removeSchedules(ctx, s, r, rep) })
}

// removeAutoRoles deletes the run's role (every run's with all).
func (l *Lab) removeAutoRoles(ctx context.Context, s StepID, run string, all bool, rep *TeardownReport) error {
	everyRun := func() ([]string, error) {
		roles, err := l.cloud.ListRoles(ctx, TeardownRolePath)
		var runs []string
		for _, ro := range roles {
			if r, ok := RunOfRole(ro.Name); ok {
				runs = append(runs, r)
			}
		}
		return runs, err
	}
	return removeForRuns(run, all, everyRun, func(r string) error { return l.removeRole(ctx, s, r, rep) })
}

// removeForRuns calls remove for the run, or with all for every run
// everyRun finds. A refusal is tolerated (tolerateDenied): a learner who may
// not touch IAM or Scheduler never had an auto-teardown to remove.
func removeForRuns(run string, all bool, everyRun func() ([]string, error), remove func(run string) error) error {
	runs := []string{run}
	if all {
		var err error
		if runs, err = everyRun(); err != nil {
			return tolerateDenied(err)
		}
	}
	for _, r := range runs {
		if err := remove(r); err != nil {
			return tolerateDenied(err)
		}
	}
	return nil
}

// jsonOf is json.Marshal for values that cannot fail (policy documents,
// schedule inputs).
func jsonOf(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
