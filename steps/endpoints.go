package steps

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
)

var endpointVars = map[string]string{EndpointDKR: VarDKR, EndpointAPI: VarAPI, EndpointS3: VarS3}

func endpointType(key string) string {
	if key == EndpointS3 {
		return awsops.Gateway
	}
	return awsops.Interface
}

// samePolicy compares two endpoint policies by meaning; "" is AWS's
// default full-access policy.
func samePolicy(have, want string) bool {
	norm := func(s string) string {
		if strings.TrimSpace(s) == "" {
			s = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
		}
		d, err := policy.Parse([]byte(s))
		if err != nil {
			return s
		}
		d.Version, d.ID = "", ""
		return string(d.Canonical())
	}
	return norm(have) == norm(want)
}

func (l *Lab) runEndpoints(ctx context.Context) error {
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	if st.SecurityGroup == nil {
		return &problem.Error{Kind: problem.NotReady, Op: "create the endpoints", Message: "the endpoints' security group does not exist yet",
			Fix: "run the security group step first"}
	}
	if len(st.Policy) == 0 {
		return &problem.Error{Kind: problem.NotReady, Op: "create the endpoints", Message: "no endpoint policy has been chosen yet",
			Fix: "run the policy step first"}
	}
	// The auto-teardown's role first: IAM propagates it while the
	// endpoints are created, before the schedules name it.
	if err := l.ensureTeardownRole(ctx, StepEndpoints); err != nil {
		return err
	}
	// The three endpoints are independent: create them at once, each from
	// its own copy of the state (they record into the live one as they go).
	st = st.clone()
	var wg sync.WaitGroup
	errs := make([]error, len(EndpointKeys))
	panics := make([]any, len(EndpointKeys))
	for i, key := range EndpointKeys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic in a goroutine of our own ends the process past every
			// recover: hand it, with its stack, to the caller's goroutine,
			// where the crash is reported and the terminal restored.
			defer func() {
				if v := recover(); v != nil {
					panics[i] = fmt.Sprintf("%v\n\n%s", v, debug.Stack())
				}
			}()
			errs[i] = l.ensureEndpoint(ctx, st, key)
		}()
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
	}
	// The endpoints exist, and bill: schedule their removal at expiry
	// before waiting for them.
	if err := l.scheduleTeardown(ctx, StepEndpoints); err != nil {
		return err
	}
	return l.waitEndpoints(ctx)
}

// ensureEndpoint makes sure the lab has its endpoint for key: the one
// recorded, one found (this run's, or adopted), or a new one.
func (l *Lab) ensureEndpoint(ctx context.Context, st State, key string) error {
	const s = StepEndpoints
	svc := l.cloud.ServiceName(key)
	want := endpointPolicy(key, string(st.Policy), st.PolicyTarget)
	if rec := st.Endpoints[key]; rec != nil {
		eps, err := l.cloud.Endpoints(ctx, rec.ID)
		if err != nil {
			return err
		}
		if len(eps) == 0 && rec.Created && l.cloud.Young(rec.CreatedAt) {
			// Created moments ago: EC2's reads have not caught up. It is
			// there; creating another would make a second endpoint. The
			// wait below sees it pending until EC2 lists it.
			l.detail(s, "EC2 does not list the %s endpoint %s yet (created %s ago; its reads lag its writes): waiting for it, not creating another",
				key, rec.ID, l.cfg.Now().Sub(rec.CreatedAt).Round(time.Second))
			l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: rec.ID, Name: key, State: ResPending, Since: rec.CreatedAt})
			return l.setEnv(map[string]string{endpointVars[key]: rec.ID})
		}
		if len(eps) == 1 && !eps[0].Gone() && !eps[0].Failed() && !awsops.SameState(eps[0].State, awsops.StateDeleting) {
			l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: rec.ID, Name: key, State: EndpointState(eps[0].State)})
			if key != EndpointS3 && !samePolicy(eps[0].Policy, want) {
				if err := l.modifyPolicy(ctx, s, key, rec.ID, want); err != nil {
					return err
				}
			}
			return l.setEnv(map[string]string{endpointVars[key]: rec.ID})
		}
		if len(eps) == 1 && eps[0].Failed() {
			return &problem.Error{Kind: problem.Invalid, Op: "create the " + key + " endpoint", Code: "EndpointFailed",
				Message: fmt.Sprintf("endpoint %s is %s: %s", rec.ID, eps[0].State, eps[0].LastError),
				Fix:     "run 'down' to remove it, then 'up' again"}
		}
		l.detail(s, "the %s endpoint %s recorded earlier is gone; creating a new one", key, rec.ID)
	}
	found, err := l.cloud.FindEndpoints(ctx, st.Workspace.VpcID, svc)
	if err != nil {
		return err
	}
	for _, e := range found {
		switch {
		case e.Tags[TagKey] == st.RunID:
			// Ours, created before an interruption cut the record short.
			if err := l.record(key, e, true, nil); err != nil {
				return err
			}
			l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: key, State: EndpointState(e.State)})
			if key != EndpointS3 && !samePolicy(e.Policy, want) {
				if err := l.modifyPolicy(ctx, s, key, e.ID, want); err != nil {
					return err
				}
			}
			return l.setEnv(map[string]string{endpointVars[key]: e.ID})
		case key == EndpointS3 && slices.Contains(e.RouteTableIDs, gatewayTable(st.Workspace)):
			// A gateway endpoint for S3 already serves the route table; a
			// second one would be refused. Use it, and leave it be.
			if err := l.record(key, e, false, nil); err != nil {
				return err
			}
			l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: key, State: ResAdopted,
				Detail: "an existing S3 gateway endpoint on " + gatewayTable(st.Workspace) + "; left in place on teardown"})
			return l.setEnv(map[string]string{endpointVars[key]: e.ID})
		case key != EndpointS3 && e.PrivateDNS:
			if !l.cfg.Adopt {
				return &problem.Error{Kind: problem.Conflict, Op: "create the " + key + " endpoint", Code: "ExistingEndpoint",
					Message: fmt.Sprintf("%s already serves %s in %s with private DNS, and AWS allows only one", e.ID, key, st.Workspace.VpcID),
					Fix:     "adopt it (pass --adopt, or choose adopt in the wizard): the lab applies its policy and restores the old one on teardown"}
			}
			return l.adopt(ctx, s, key, e, want)
		}
	}
	if err := ctx.Err(); err != nil {
		return stopped(err)
	}
	token, err := l.clientToken(key, false)
	if err != nil {
		return err
	}
	spec := l.endpointSpec(st, key, st.SecurityGroup.ID)
	spec.ClientToken = token
	since := l.cfg.Now()
	l.resource(s, ResourceEvent{Kind: KindEndpoint, Name: key, State: ResCreating, Since: since})
	fctx, cancel := finish(ctx)
	defer cancel()
	// Right after CreateSecurityGroup, EC2 may not know the group yet
	// (InvalidGroup.NotFound); the same token makes the retry safe.
	var e awsops.Endpoint
	var cmd awsops.Command
	create := func() error {
		var err error
		e, cmd, err = l.cloud.CreateEndpoint(fctx, spec)
		return err
	}
	sg := st.SecurityGroup
	err = l.cloud.Settle(fctx, sg.CreatedAt, l.onLag(s, sg.ID, sg.CreatedAt), create)
	if spent := err == nil && (e.Gone() || awsops.SameState(e.State, awsops.StateDeleting)); spent || awsops.CodeOf(err) == "IdempotentParameterMismatch" {
		// The token was used before, for other settings or for an
		// endpoint deleted since (AWS may answer with that endpoint): a
		// fresh one, saved first.
		if spec.ClientToken, err = l.clientToken(key, true); err != nil {
			return err
		}
		err = create()
	}
	l.command(s, cmd)
	if err != nil {
		return err
	}
	if err := l.record(key, e, true, nil); err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: key, State: EndpointState(e.State), Since: since})
	return l.setEnv(map[string]string{endpointVars[key]: e.ID})
}

// without is xs less every s, in a new slice (nil when nothing is left):
// xs's own array is left alone, as the copies read() handed out share it.
func without(xs []string, s string) []string {
	var kept []string
	for _, x := range xs {
		if x != s {
			kept = append(kept, x)
		}
	}
	return kept
}

// clientToken returns the ClientToken of key's next create: the one saved
// for a create not yet recorded (so a repeat returns the same endpoint),
// or, when there is none or fresh is set, a new nonce, saved before it is
// used.
func (l *Lab) clientToken(key string, fresh bool) (string, error) {
	// Read under the lock: the three endpoints' creates run at once, and
	// the map is the live state's (read() copies the struct, not its maps).
	l.mu.Lock()
	saved, run := l.st.Tokens[key], l.st.RunID
	l.mu.Unlock()
	if saved != "" && !fresh {
		return saved, nil
	}
	t := "ecr-vpce-lab-" + run + "-" + key + "-" + newRunID()
	return t, l.update(func(x *State) {
		if x.Tokens == nil {
			x.Tokens = map[string]string{}
		}
		x.Tokens[key] = t
	})
}

// record saves an endpoint in the state (its create's token is spent).
func (l *Lab) record(key string, e awsops.Endpoint, created bool, original *string) error {
	return l.update(func(x *State) {
		if x.Endpoints == nil {
			x.Endpoints = map[string]*Record{}
		}
		at := e.Created
		if at.IsZero() {
			at = l.cfg.Now()
		}
		x.Endpoints[key] = &Record{ID: e.ID, Name: key, Service: e.Service, Type: e.Type, State: EndpointState(e.State), Created: created,
			CreatedAt: at, AZs: max(len(e.SubnetIDs), 1), OriginalPolicy: original}
		delete(x.Tokens, key)
	})
}

// adopt takes over an existing endpoint: its policy is remembered, to be
// restored on teardown, and replaced by the lab's.
func (l *Lab) adopt(ctx context.Context, s StepID, key string, e awsops.Endpoint, want string) error {
	orig := e.Policy
	if err := l.record(key, e, false, &orig); err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: key, State: ResAdopted,
		Detail: "an existing endpoint; its policy is restored and it is left in place on teardown"})
	if !samePolicy(e.Policy, want) {
		if err := l.modifyPolicy(ctx, s, key, e.ID, want); err != nil {
			return err
		}
	}
	return l.setEnv(map[string]string{endpointVars[key]: e.ID})
}

func (l *Lab) modifyPolicy(ctx context.Context, s StepID, key, id, want string) error {
	detail := "policy applied (AWS takes a few minutes to enforce a changed policy)"
	if want == "" {
		detail = "policy reset to full access (AWS takes a few minutes to enforce it)"
	}
	return l.modifyPolicyWith(ctx, s, key, id, want, detail)
}

// modifyPolicyWith is modifyPolicy saying what the policy is.
func (l *Lab) modifyPolicyWith(ctx context.Context, s StepID, key, id, want, detail string) error {
	fctx, cancel := finish(ctx)
	defer cancel()
	cmd, err := l.cloud.ModifyEndpointPolicy(fctx, id, want)
	l.command(s, cmd)
	if err != nil {
		return err
	}
	if err := l.update(func(x *State) { x.PolicyChanged = l.cfg.Now() }); err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: id, Name: key, State: ResModified, Detail: detail})
	return nil
}

// waitEndpoints waits until the recorded endpoints are available, with one
// DescribeVpcEndpoints per poll, reporting each state change.
func (l *Lab) waitEndpoints(ctx context.Context) error {
	const s = StepEndpoints
	st := l.read()
	var ids []string
	keyOf := map[string]string{}
	for _, k := range EndpointKeys {
		if r := st.Endpoints[k]; r != nil {
			ids = append(ids, r.ID)
			keyOf[r.ID] = k
		}
	}
	last := map[string]ResourceState{}
	created := map[string]time.Time{}
	for _, k := range EndpointKeys {
		if r := st.Endpoints[k]; r != nil {
			last[r.ID] = r.State
			if r.Created {
				created[r.ID] = r.CreatedAt
			}
		}
	}
	lagged := map[string]bool{}
	eps, err := l.cloud.WaitEndpoints(ctx, ids, created, func(eps []awsops.Endpoint) {
		for _, e := range eps {
			if state := EndpointState(e.State); last[e.ID] != state {
				last[e.ID] = state
				r := st.Endpoints[keyOf[e.ID]]
				l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: keyOf[e.ID], State: EndpointState(e.State), Since: r.CreatedAt})
			}
		}
	}, func(id string, wait time.Duration) {
		// Once for each: the wait polls every second.
		if !lagged[id] {
			lagged[id] = true
			l.onLag(s, "the "+keyOf[id]+" endpoint "+id, created[id])(nil, wait)
		}
	})
	if err != nil {
		return err
	}
	var enis []string
	for _, e := range eps {
		enis = append(enis, e.ENIIDs...)
	}
	addrs := map[string]string{}
	if len(enis) > 0 {
		ns, err := l.cloud.NetworkInterfaces(ctx, enis...)
		if err != nil {
			return err
		}
		for _, n := range ns {
			addrs[n.ID] = n.PrivateIP
		}
	}
	if err := l.update(func(x *State) {
		for _, e := range eps {
			if sg := x.SecurityGroup; sg != nil && slices.Contains(e.GroupIDs, sg.ID) {
				// EC2 lists an endpoint in the group: it knows the group
				// (see unlistedYet).
				sg.Listed = true
			}
			if r := x.Endpoints[keyOf[e.ID]]; r != nil {
				r.State, r.Listed = EndpointState(e.State), true
				r.Addresses = nil
				for _, n := range e.ENIIDs {
					if a := addrs[n]; a != "" {
						r.Addresses = append(r.Addresses, a)
					}
				}
			}
		}
	}); err != nil {
		return err
	}
	for _, e := range eps {
		if e.Type != awsops.Interface {
			continue
		}
		var ips []string
		for _, n := range e.ENIIDs {
			if a := addrs[n]; a != "" {
				ips = append(ips, a)
			}
		}
		if len(ips) > 0 {
			l.resource(s, ResourceEvent{Kind: KindEndpoint, ID: e.ID, Name: keyOf[e.ID], State: EndpointState(e.State), Addresses: ips,
				Detail: "network interface addresses " + strings.Join(ips, ", ")})
		}
	}
	l.command(s, waitCommand(l.cloud.Region(), ids))
	return nil
}

// waitCommand is the shell loop the lab's "wait until available" becomes.
func waitCommand(region string, ids []string) awsops.Command {
	q := "length(VpcEndpoints[?State!=`available`])"
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = `"` + id + `"`
	}
	return awsops.Command{
		Comment: "wait until every endpoint is available",
		Shell: `until [ "$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ` + strings.Join(quoted, " ") +
			` --query '` + q + `' --output text --region ` + region + `)" = 0 ]; do sleep 5; done`,
	}
}

func (l *Lab) checkEndpoints(ctx context.Context) (CheckResult, error) {
	st := l.read()
	if len(st.Endpoints) == 0 {
		return CheckResult{Message: "no endpoints yet"}, nil
	}
	ids := st.EndpointIDs()
	eps, err := l.cloud.Endpoints(ctx, ids...)
	if err != nil {
		return CheckResult{Message: err.Error()}, err
	}
	byID := map[string]awsops.Endpoint{}
	for _, e := range eps {
		byID[e.ID] = e
	}
	var items []CheckItem
	for _, k := range EndpointKeys {
		rec := st.Endpoints[k]
		it := CheckItem{ID: k, Title: k + " endpoint"}
		if rec == nil {
			it.Message = "not created yet"
		} else if e, ok := byID[rec.ID]; !ok {
			it.Message = rec.ID + " no longer exists"
		} else {
			it.OK = e.Available()
			it.Message = rec.ID + " is " + e.State
			if k != EndpointS3 && !samePolicy(e.Policy, endpointPolicy(k, string(st.Policy), st.PolicyTarget)) {
				it.OK = false
				it.Message += ", but its policy is not the lab's"
			}
		}
		items = append(items, it)
	}
	return itemized(len(eps) == len(EndpointKeys), items, "all three endpoints are available with the lab's policy", "not every endpoint is ready"), nil
}

// itemized is a check of several items: it passes when ok and every item
// passes, and says so (done) or not (notYet).
func itemized(ok bool, items []CheckItem, done, notYet string) CheckResult {
	r := CheckResult{OK: ok, Items: items, Message: done}
	for _, it := range items {
		if !it.OK {
			r.OK = false
		}
	}
	if !r.OK {
		r.Message = notYet
	}
	return r
}

func (l *Lab) undoEndpoints(ctx context.Context) error {
	if err := l.removeEndpoints(ctx, StepEndpoints, l.read(), nil); err != nil {
		return err
	}
	return l.unsetEnv(VarDKR, VarAPI, VarS3)
}

// ApplyPolicy changes the endpoint policy mid-lab: it is checked, saved,
// and applied with ModifyVpcEndpoint to the endpoints target names (the
// other ECR endpoint is reset to full access). Before the endpoints exist
// it only records the choice.
func (l *Lab) ApplyPolicy(ctx context.Context, doc *policy.Document, target Target) error {
	l.op.Lock()
	defer l.op.Unlock()
	const s = StepPolicy
	start := time.Now()
	l.emit(s, Event{Kind: EventStarted, Message: "Change the endpoint policy"})
	step, _ := stepByID(s)
	if doc == nil {
		return l.fail(step, start, &problem.Error{Kind: problem.Invalid, Op: "change the policy", Message: "no policy given", Fix: "give a policy document"})
	}
	if target == "" {
		target = TargetBoth
	}
	// The policy is the lab's once the account is known (a repository ARN
	// without it matches nothing): after the discovery, as the step.
	if _, err := l.needWorkspace(); err != nil {
		return l.fail(step, start, err)
	}
	if err := l.lintPolicy(doc); err != nil {
		return l.fail(step, start, err)
	}
	canon := string(doc.Canonical())
	st := l.read()
	for _, key := range []string{EndpointDKR, EndpointAPI} {
		rec := st.Endpoints[key]
		if rec == nil {
			continue
		}
		want := endpointPolicy(key, canon, target)
		if err := l.modifyPolicy(ctx, s, key, rec.ID, want); err != nil {
			return l.fail(step, start, err)
		}
	}
	if err := l.update(func(x *State) {
		x.Policy, x.PolicyTarget = []byte(canon), target
		// The policy step is done, however the policy came: the wizard's
		// form applies it here rather than running the step.
		x.setStep(StepPolicy, StepRecord{Status: StatusDone, At: l.cfg.Now()})
		// Earlier test results no longer describe the policy in force.
		x.Tests = nil
		delete(x.Steps, StepPush)
		delete(x.Steps, StepList)
		delete(x.Steps, StepPull)
	}); err != nil {
		return l.fail(step, start, err)
	}
	l.detail(s, "%s (on %s)", canon, target.Label())
	l.emit(s, Event{Kind: EventDone, Message: "Change the endpoint policy", Elapsed: time.Since(start)})
	return nil
}

// AdoptEndpoint takes over an existing ECR endpoint (a preflight fix): the
// lab records it, applies its policy when one is chosen, and restores the
// endpoint's own policy on teardown.
func (l *Lab) AdoptEndpoint(ctx context.Context, id string) error {
	l.op.Lock()
	defer l.op.Unlock()
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	eps, err := l.cloud.Endpoints(ctx, id)
	if err != nil {
		return err
	}
	if len(eps) != 1 || eps[0].Gone() {
		return &problem.Error{Kind: problem.NotFound, Op: "adopt " + id, Message: id + " does not exist", Fix: "check the endpoint ID"}
	}
	e := eps[0]
	key := awsops.ShortService(e.Service)
	if key != EndpointDKR && key != EndpointAPI {
		return &problem.Error{Kind: problem.Invalid, Op: "adopt " + id, Message: id + " serves " + e.Service + ", not ECR",
			Fix: "adopt an ecr.dkr or ecr.api endpoint"}
	}
	if e.VpcID != st.Workspace.VpcID {
		return &problem.Error{Kind: problem.Invalid, Op: "adopt " + id, Message: id + " is in " + e.VpcID + ", not the workspace's " + st.Workspace.VpcID,
			Fix: "adopt an endpoint of the workspace's VPC"}
	}
	l.mu.Lock()
	l.cfg.Adopt = true
	l.mu.Unlock()
	want := ""
	if len(st.Policy) > 0 {
		want = endpointPolicy(key, string(st.Policy), st.PolicyTarget)
	} else {
		want = e.Policy
	}
	return l.adopt(ctx, StepPreflight, key, e, want)
}

func (l *Lab) runDNS(ctx context.Context) error {
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	hosts := l.cloud.LabHosts(st.Account)
	l.command(StepDNS, dnsCommand(hosts))
	_, err = l.cloud.WatchDNS(ctx, hosts, l.privacy(st), l.cfg.DNSTimeout, func(round []awsops.Lookup, next time.Duration) {
		l.emit(StepDNS, Event{Kind: EventDNS, Lookups: round, NextPoll: next})
	})
	return err
}

// privacy says, for each of the lab's host names, which addresses are
// private: those of the endpoint that serves it, once recorded (whichever
// of the VPC's CIDR blocks they are in), else any of the VPC's.
func (l *Lab) privacy(st State) func(host string) awsops.Privacy {
	hosts := l.cloud.LabHosts(st.Account)
	return func(host string) awsops.Privacy {
		p := awsops.Privacy{VPC: st.Workspace}
		key := EndpointAPI
		if host == hosts[0] {
			key = EndpointDKR
		}
		if r := st.Endpoints[key]; r != nil {
			p.Endpoint = r.Addresses
		}
		return p
	}
}

// Lookups resolves both lab host names once.
func (l *Lab) Lookups(ctx context.Context) ([]awsops.Lookup, error) {
	st := l.read()
	if st.Account == "" {
		return nil, nil
	}
	var out []awsops.Lookup
	for _, h := range l.cloud.LabHosts(st.Account) {
		lk, err := l.cloud.LookupHost(ctx, h, l.privacy(st)(h))
		if err != nil {
			return out, err
		}
		out = append(out, lk)
	}
	return out, nil
}

func (l *Lab) checkDNS(ctx context.Context) (CheckResult, error) {
	lks, err := l.Lookups(ctx)
	if err != nil {
		return CheckResult{Message: err.Error()}, err
	}
	var items []CheckItem
	for _, lk := range lks {
		it := CheckItem{ID: lk.Name, Title: lk.Name, OK: lk.Private(), Message: lk.AddressList()}
		if lk.Err != "" {
			it.Message = lk.Err
		}
		items = append(items, it)
	}
	return itemized(len(lks) > 0, items, "both ECR host names resolve to private addresses", "the ECR host names do not resolve to private addresses yet"), nil
}

// gatewayTable is the route table the S3 gateway goes on (see
// awsops.Workspace.GatewayRouteTable).
func gatewayTable(ws awsops.Workspace) string {
	id, _, _ := ws.GatewayRouteTable()
	return id
}
