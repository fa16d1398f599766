package steps

import (
	"context"
	"encoding/json"
	"time"

	"ecr-vpce-lab/awsops"
)

// ResourceStatus is one resource as status reports it.
type ResourceStatus struct {
	Kind ResourceKind `json:"kind"`
	ID   string       `json:"id"`
	Name string       `json:"name,omitempty"`
	// State is the live state (available, exists, gone...).
	State ResourceState `json:"state"`
	// Created is set when the lab created it (teardown removes it).
	Created bool   `json:"created"`
	Detail  string `json:"detail,omitempty"`
}

// Status is what exists, its state, DNS and cost.
type Status struct {
	RunID   string `json:"runId"`
	Mode    string `json:"mode"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region"`
	Caller  string `json:"caller,omitempty"`
	Saved   bool   `json:"saved"`
	// Recovered: the run was found by its tags, its state file gone.
	Recovered bool `json:"recovered,omitempty"`
	// Environment is where the lab runs, when known.
	Environment *Environment     `json:"environment,omitempty"`
	Workspace   awsops.Workspace `json:"workspace"`
	Resources   []ResourceStatus `json:"resources"`
	// Leftovers are resources tagged by this run that the state does not
	// list (or, without a state file, every tagged resource).
	Leftovers    []ResourceStatus        `json:"leftovers"`
	DNS          []awsops.Lookup         `json:"dns,omitempty"`
	DNSError     string                  `json:"dnsError,omitempty"`
	Policy       json.RawMessage         `json:"policy,omitempty"`
	PolicyTarget Target                  `json:"policyTarget,omitempty"`
	Cost         Cost                    `json:"cost"`
	Steps        []StepInfo              `json:"steps"`
	Tests        map[TestName]TestResult `json:"tests,omitempty"`
	// AutoTeardown is the run's expiry and what its schedules did.
	AutoTeardown *AutoTeardownStatus `json:"autoTeardown,omitempty"`
	// Teardown is set when a teardown of the run began and was stopped
	// before the end: the steps' records then tell what was built, not
	// what is left (Resources do).
	Teardown *StoppedTeardown `json:"teardown,omitempty"`
}

// beforeTeardown is the message of a step done before a teardown that was
// stopped: its record says what was built, not what is left.
const beforeTeardown = "done before the teardown began: what it made may be gone or going (see the resources)"

// Undid reports whether the teardown may have undone the step: it built
// something teardown removes (the group, its rule, the endpoints with
// their policy and private DNS) and was done before the teardown began.
func (t *StoppedTeardown) Undid(info StepInfo) bool {
	switch info.ID {
	case StepSecurityGroup, StepIngress, StepPolicy, StepEndpoints, StepDNS:
		return t != nil && info.Status == StatusDone && !info.At.After(t.Started)
	}
	return false
}

// StoppedTeardown is a teardown that began and did not finish (Ctrl-C, a
// lost connection): a teardown that ends removes the state file.
type StoppedTeardown struct {
	Started time.Time `json:"started"`
	// Status is StatusStopped.
	Status StepStatus `json:"status"`
	// Next is the command that finishes it; the caller that knows the
	// flags that chose this lab puts them in.
	Next string `json:"next"`
}

// Status reads the live state of everything the lab knows of, read-only.
// Without a saved run it lists every resource tagged by any run.
func (l *Lab) Status(ctx context.Context) (Status, error) {
	l.op.Lock()
	defer l.op.Unlock()
	st := l.read()
	l.mu.Lock()
	recovered, place := l.recovered, l.place
	l.mu.Unlock()
	out := Status{RunID: st.RunID, Mode: st.Mode, Account: st.Account, Region: l.cloud.Region(), Caller: st.Caller,
		Saved: l.loaded, Workspace: st.Workspace, Resources: []ResourceStatus{}, Leftovers: []ResourceStatus{},
		Policy: st.Policy, PolicyTarget: st.PolicyTarget, Steps: l.stepsOf(st), Tests: st.Tests, Recovered: recovered, Environment: place}
	if t := st.TeardownStarted; !t.IsZero() {
		out.Teardown = &StoppedTeardown{Started: t, Status: StatusStopped, Next: l.labCmd("down")}
		for i, info := range out.Steps {
			if out.Teardown.Undid(info) {
				out.Steps[i].Message = beforeTeardown
			}
		}
	}
	// The schedules first: see lookAtSchedules.
	look, err := l.lookAtSchedules(ctx, st)
	if err != nil {
		return out, err
	}
	if sg := st.SecurityGroup; sg != nil {
		ok, err := l.cloud.SecurityGroupExists(ctx, sg.ID)
		if err != nil {
			return out, err
		}
		rs := ResourceStatus{Kind: KindSecurityGroup, ID: sg.ID, Name: sg.Name, State: existsWord(ok), Created: sg.Created}
		if !ok && sg.Created && l.cloud.Young(sg.CreatedAt) {
			rs.State, rs.Detail = ResPending, notListedYet
		}
		out.Resources = append(out.Resources, rs)
		if r := st.Rule; r != nil {
			state := ResGone
			if ok {
				rule, err := l.cloud.FindIngressRule(ctx, sg.ID, st.Workspace.SecurityGroupID)
				if err != nil {
					return out, err
				}
				state = existsWord(rule != nil)
			}
			out.Resources = append(out.Resources, ResourceStatus{Kind: KindIngressRule, ID: r.ID, Name: r.Name, State: state, Created: r.Created})
		}
	}
	ids := st.EndpointIDs()
	eps, err := l.cloud.Endpoints(ctx, ids...)
	if err != nil {
		return out, err
	}
	live := map[string]awsops.Endpoint{}
	for _, e := range eps {
		live[e.ID] = e
	}
	for _, k := range EndpointKeys {
		r := st.Endpoints[k]
		if r == nil {
			continue
		}
		rs := ResourceStatus{Kind: KindEndpoint, ID: r.ID, Name: k, State: ResGone, Created: r.Created}
		if e, ok := live[r.ID]; ok {
			rs.State = EndpointState(e.State)
			if e.LastError != "" {
				rs.Detail = e.LastError
			}
		} else if l.unlistedYet(r) {
			rs.State, rs.Detail = ResPending, notListedYet
		}
		out.Resources = append(out.Resources, rs)
	}
	// Tagged resources the state does not know.
	tag := st.RunID
	if !l.loaded && !recovered {
		tag = ""
	}
	tEPs, err := l.cloud.TaggedEndpoints(ctx, TagKey, tag)
	if err != nil {
		return out, err
	}
	for _, e := range tEPs {
		if _, ok := live[e.ID]; !ok {
			out.Leftovers = append(out.Leftovers, ResourceStatus{Kind: KindEndpoint, ID: e.ID, Name: awsops.ShortService(e.Service), State: EndpointState(e.State), Created: true,
				Detail: TagKey + "=" + e.Tags[TagKey]})
		}
	}
	tSGs, err := l.cloud.TaggedSecurityGroups(ctx, TagKey, tag)
	if err != nil {
		return out, err
	}
	for _, g := range tSGs {
		if st.SecurityGroup == nil || st.SecurityGroup.ID != g.ID {
			out.Leftovers = append(out.Leftovers, ResourceStatus{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: ResExists, Created: true,
				Detail: TagKey + "=" + g.Tags[TagKey]})
		}
	}
	if st.Account != "" && st.Workspace.VpcCIDR != "" {
		for _, h := range l.cloud.LabHosts(st.Account) {
			lk, err := l.cloud.LookupHost(ctx, h, l.privacy(st)(h))
			if err != nil {
				out.DNSError = err.Error()
				break
			}
			out.DNS = append(out.DNS, lk)
		}
	}
	// Cost of what still exists.
	costState := st
	costState.Endpoints = map[string]*Record{}
	for k, r := range st.Endpoints {
		if e, ok := live[r.ID]; ok && !e.Gone() || !ok && l.unlistedYet(r) {
			c := *r
			if ok {
				c.State = EndpointState(e.State) // as AWS has it now
			}
			costState.Endpoints[k] = &c
		}
	}
	out.Cost = CostOf(costState, l.cfg.Now())
	endpointsLeft, groupLeft := false, false
	for _, r := range append(append([]ResourceStatus(nil), out.Resources...), out.Leftovers...) {
		switch {
		case r.Kind == KindEndpoint && r.Created && !r.State.Removed() && !r.State.Removing():
			endpointsLeft = true
		case r.Kind == KindSecurityGroup && r.Created && r.State == ResExists:
			groupLeft = true
		}
	}
	at, err := l.autoTeardownStatus(ctx, st, look, endpointsLeft, groupLeft)
	if err != nil {
		return out, err
	}
	out.AutoTeardown = at
	return out, nil
}

// unlistedYet reports whether EC2 may not list r yet: the lab created it
// moments ago and has not seen it in EC2's own listing since (Listed: the
// endpoints it watched become available, and their group). Missing now,
// a listed one is gone: a short expiry's auto-teardown deletes it within
// minutes of its creation, and the lab must not take that for EC2's lag
// (and wait it out). The create's answer is no listing: an S3 gateway is
// available in it, and may still be unknown to EC2's reads.
func (l *Lab) unlistedYet(r *Record) bool {
	return r != nil && r.Created && l.cloud.Young(r.CreatedAt) && !r.Listed
}

// listedSince is since for a call that retries EC2's NotFound while r may
// not be listed yet: zero once it has been (a NotFound is then final).
func (l *Lab) listedSince(r *Record) time.Time {
	if l.unlistedYet(r) {
		return r.CreatedAt
	}
	return time.Time{}
}

// notListedYet explains a resource the lab created moments ago that EC2's
// reads do not list yet.
const notListedYet = "created moments ago: EC2 does not list it yet (its reads lag its writes)"

func existsWord(ok bool) ResourceState {
	if ok {
		return ResExists
	}
	return ResGone
}

// stepsOf lists every step with its last outcome in st.
func (l *Lab) stepsOf(st State) []StepInfo {
	out := make([]StepInfo, 0, len(allSteps))
	for _, s := range allSteps {
		info := StepInfo{Step: s}
		if r, ok := st.Steps[s.ID]; ok {
			info.Status, info.At, info.Message, info.Code = r.Status, r.At, r.Message, r.Code
		}
		out = append(out, info)
	}
	return out
}

// Cost returns the cost of the lab's endpoints according to the state.
func (l *Lab) Cost() Cost { return CostOf(l.State(), l.cfg.Now()) }
