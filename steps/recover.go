package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/policy"
)

// Runs found by their tags. A CloudShell VPC environment deletes $HOME
// after 20-30 idle minutes [research H.1], and with it the state file and
// ~/.ecr_security; a run's resources carry its ecr-vpce-lab:run tag, and
// together they say everything the lab's commands need: the security group
// and its rule (whose source is the workspace's group), the endpoints
// (their subnet, route table and policy). So the state is rebuilt from
// them rather than kept in a second place of its own.

// RunSummary is one run of the lab found by its tags.
type RunSummary struct {
	RunID string `json:"runId"`
	VpcID string `json:"vpcId"`
	// Started is the earliest creation time known (its endpoints'); zero
	// when only a security group is left.
	Started   time.Time        `json:"started,omitzero"`
	Resources []ResourceStatus `json:"resources"`

	group     *awsops.SecurityGroup
	endpoints []awsops.Endpoint
}

// Describe says what the run is, in one line: its id, VPC, age and what
// exists.
func (r RunSummary) Describe(now time.Time) string {
	age := "age unknown"
	if !r.Started.IsZero() {
		age = "started " + ago(now.Sub(r.Started))
	}
	var have []string
	for _, x := range r.Resources {
		w := x.Name
		if x.Kind == KindEndpoint {
			w += " " + x.ID + " (" + x.State.Label() + ")"
		} else {
			w = x.Kind.Label() + " " + x.ID
		}
		have = append(have, w)
	}
	return fmt.Sprintf("run %s in %s, %s: %s", r.RunID, r.VpcID, age, strings.Join(have, ", "))
}

func ago(d time.Duration) string {
	switch {
	case d < 2*time.Minute:
		return "just now"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// FindRuns lists the runs whose endpoints or security groups carry the
// lab's tag in the region, in vpc when it is not empty, newest first.
func (l *Lab) FindRuns(ctx context.Context, vpc string) ([]RunSummary, error) {
	eps, sgs, err := Tagged(ctx, l.cloud, TagKey, "")
	if err != nil {
		return nil, err
	}
	runs := map[string]*RunSummary{}
	get := func(id, v string) *RunSummary {
		r := runs[id]
		if r == nil {
			r = &RunSummary{RunID: id, VpcID: v, Resources: []ResourceStatus{}}
			runs[id] = r
		}
		return r
	}
	for i, g := range sgs {
		r := get(g.Tags[TagKey], g.VpcID)
		r.group = &sgs[i]
		r.Resources = append(r.Resources, ResourceStatus{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResExists, Created: true})
	}
	for _, e := range eps {
		if awsops.SameState(e.State, awsops.StateDeleting) {
			continue
		}
		r := get(e.Tags[TagKey], e.VpcID)
		r.endpoints = append(r.endpoints, e)
		r.Resources = append(r.Resources, ResourceStatus{Kind: KindEndpoint, ID: e.ID, Name: awsops.ShortService(e.Service), State: EndpointState(e.State), Created: true})
		if !e.Created.IsZero() && (r.Started.IsZero() || e.Created.Before(r.Started)) {
			r.Started = e.Created
		}
	}
	var out []RunSummary
	for _, r := range runs {
		if r.RunID != "" && (vpc == "" || r.VpcID == vpc) {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.After(out[j].Started)
		}
		return out[i].RunID < out[j].RunID
	})
	return out, nil
}

// Recover makes run the lab's run: its state is rebuilt from its
// resources and, with save, saved, and the lab carries on with it as with
// a run whose state file was never lost (a read-only command, not holding
// the lab's lock, does not save). It says so in an event.
func (l *Lab) Recover(ctx context.Context, run RunSummary, save bool) error {
	l.op.Lock()
	defer l.op.Unlock()
	id, err := l.cloud.WhoAmI(ctx)
	if err != nil {
		return err
	}
	st := newState(l.cfg.Mode, l.cfg.Now())
	st.RunID, st.Account, st.Caller, st.Region, st.Repo = run.RunID, id.Account, id.ARN, l.cloud.Region(), l.cfg.Repo
	if !run.Started.IsZero() {
		st.Started = run.Started
	}
	st.Steps = map[StepID]StepRecord{}
	done := func(s StepID) {
		st.Steps[s] = StepRecord{Status: StatusDone, At: l.cfg.Now(), Message: "found by its " + TagKey + " tag"}
	}
	ws := awsops.Workspace{VpcID: run.VpcID}
	if g := run.group; g != nil {
		st.SecurityGroup = &Record{ID: g.ID, Name: g.Name, Created: true}
		done(StepSecurityGroup)
		rules, err := l.cloud.IngressRules(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, r := range rules {
			if r.Tags[TagKey] == run.RunID {
				st.Rule = &Record{ID: r.ID, Name: "tcp/443", Created: true}
				ws.SecurityGroupID = r.SourceGroup
				done(StepIngress)
			}
		}
	}
	var dkr, api string
	for _, e := range run.endpoints {
		key := awsops.ShortService(e.Service)
		if st.Endpoints == nil {
			st.Endpoints = map[string]*Record{}
		}
		rec := &Record{ID: e.ID, Name: key, Created: true, CreatedAt: e.Created, Service: e.Service, Type: e.Type, State: EndpointState(e.State)}
		if strings.EqualFold(e.Type, "Interface") {
			rec.AZs = max(1, len(e.SubnetIDs))
			if ws.SubnetID == "" && len(e.SubnetIDs) > 0 {
				ws.SubnetID = e.SubnetIDs[0]
			}
		} else if len(e.RouteTableIDs) > 0 {
			ws.RouteTableID = e.RouteTableIDs[0]
		}
		st.Endpoints[key] = rec
		switch key {
		case EndpointDKR:
			dkr = e.Policy
		case EndpointAPI:
			api = e.Policy
		}
	}
	if dkr != "" {
		if doc, err := policy.Parse([]byte(dkr)); err == nil {
			st.Policy = doc.Canonical()
			st.PolicyTarget = TargetDKR
			if other, err := policy.Parse([]byte(api)); err == nil && policy.Equal(doc, other) {
				st.PolicyTarget = TargetBoth
			}
			done(StepPolicy)
		}
	}
	if ws.SubnetID != "" && ws.SecurityGroupID != "" {
		if full, err := l.cloud.Complete(ctx, ws); err == nil {
			ws = full
			done(StepDiscover)
		}
	}
	st.Workspace = ws
	// The run's expiry, from the tags every resource carries (expiry.go).
	var tagged []awsops.Tags
	if g := run.group; g != nil {
		tagged = append(tagged, g.Tags)
	}
	for _, e := range run.endpoints {
		tagged = append(tagged, e.Tags)
	}
	for _, t := range tagged {
		noteExpiry(t, &st.NeverExpires, &st.ExpiresAt)
	}
	var notes []string
	// An endpoint the run adopted carries its policy but not its tag; its
	// own policy was only in the lost state file.
	if ws.VpcID != "" && len(st.Policy) > 0 {
		for _, key := range []string{EndpointDKR, EndpointAPI} {
			if st.Endpoints[key] != nil {
				continue
			}
			eps, err := l.cloud.FindEndpoints(ctx, ws.VpcID, l.cloud.ServiceName(key))
			if err != nil {
				return err
			}
			for _, e := range eps {
				if doc, err := policy.Parse([]byte(e.Policy)); err == nil && e.Tags[TagKey] == "" && string(doc.Canonical()) == string(st.Policy) {
					notes = append(notes, fmt.Sprintf("%s (%s) carries this run's policy but not its tag: the run adopted it, and its own policy was in the lost state file; "+
						"teardown leaves it alone, so restore its policy yourself (full access, AWS's default: %s ec2 modify-vpc-endpoint --vpc-endpoint-id %s --policy-document %s)",
						e.ID, key, l.cloud.CLI(), e.ID, awsops.ShellQuote(awsops.FullAccessPolicy)))
				}
			}
		}
	}
	l.mu.Lock()
	l.st = st
	l.recovered = true
	l.mu.Unlock()
	where := "in memory"
	if save {
		if err := l.update(func(*State) {}); err != nil {
			return err
		}
		where = "saved in " + l.store.Path()
	}
	l.detail(StepPreflight, "no state file: found run %s by its %s tags in %s (%s); carrying on with it, its state rebuilt from AWS (%s)",
		run.RunID, TagKey, run.VpcID, run.Describe(l.cfg.Now())[len("run "+run.RunID+" in "+run.VpcID+", "):], where)
	for _, n := range notes {
		l.detail(StepPreflight, "%s", n)
	}
	return nil
}

// Recovered reports whether the lab's run was found by its tags (Recover)
// rather than read from the state file.
func (l *Lab) Recovered() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recovered
}
