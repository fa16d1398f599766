package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
)

// TestResult is the outcome of one of the lab's tests, beside what the
// policy in force predicts.
type TestResult struct {
	// Name is the client operation: push, list-images or pull.
	Name       TestName `json:"name"`
	Repository string   `json:"repository"`
	Tag        string   `json:"tag,omitempty"`
	// Expected is policy.Simulate's verdict for the policies the endpoints
	// carry; ExpectedAction and ExpectedBy name the refused action and the
	// deciding statement.
	Expected       policy.Result `json:"expected"`
	ExpectedAction string        `json:"expectedAction,omitempty"`
	ExpectedBy     string        `json:"expectedBy,omitempty"`
	// Outcome is what AWS did, with its own words.
	Outcome awsops.Outcome `json:"outcome"`
	// Match is set when the outcome is what the simulation predicts and
	// the request went through the endpoints, so it proves their policy.
	Match bool `json:"match"`
	// Unproven says why the outcome, whatever it was, proves nothing about
	// the endpoint policy: the request went around an endpoint whose name
	// does not resolve to a private address yet. Match is then false.
	Unproven string             `json:"unproven,omitempty"`
	Push     *awsops.PushResult `json:"push,omitempty"`
	List     *awsops.ListResult `json:"list,omitempty"`
	Pull     *awsops.PullResult `json:"pull,omitempty"`
	At       time.Time          `json:"at"`
	Sim      *policy.Simulation `json:"simulation,omitempty"`
	Notes    []string           `json:"notes,omitempty"`
	// Reason explains, in the lab's words, a refusal that came without
	// AWS's (Outcome.Message empty: the answer to a HEAD request has no
	// body), from what the policies in force say about the refused action.
	Reason string `json:"reason,omitempty"`
	// Retrying marks the outcome of an attempt made while AWS was still
	// applying a changed policy (it contradicts the new one): another
	// attempt follows, and only the last is recorded.
	Retrying bool `json:"retrying,omitempty"`
}

// Verdict is "allowed" or "denied".
func (t TestResult) Verdict() string {
	if t.Outcome.Allowed {
		return "allowed"
	}
	return "denied"
}

// Mismatch says how the outcome differs from the prediction, as the end of
// "push …: denied, …"; "" when it matches. A refusal by anything but the
// endpoint policy says who refused.
func (t TestResult) Mismatch() string {
	if t.Match {
		return ""
	}
	if t.Unproven != "" {
		return NotProven + t.Unproven
	}
	if bodyless := t.Outcome.Message == "" && t.Outcome.Request != ""; !t.Outcome.Allowed && !bodyless && t.Outcome.By != awsops.ByEndpointPolicy {
		switch by := t.Outcome.By; by {
		case "":
			return "but not by the endpoint policy (AWS's sentence names no VPC endpoint policy)"
		case awsops.ByS3Gateway:
			return "but by S3 on the layer download (the S3 gateway endpoint's policy), not by the endpoint policy"
		default:
			return "but by " + article(by) + ", not by the endpoint policy"
		}
	}
	return "but the policy predicts " + t.ExpectedVerdict()
}

// ExpectedVerdict is "allowed" or "denied".
func (t TestResult) ExpectedVerdict() string {
	if t.Expected == policy.ResultAllow {
		return "allowed"
	}
	return "denied"
}

// policiesInForce reads the policies of the ECR endpoints that carry the
// workspace's traffic from EC2 itself, so the prediction follows the world,
// not our notes. An endpoint carries traffic when it is available with
// private DNS and its host name resolves to a private address of the VPC
// (while DNS still answers with public addresses, requests bypass it).
func (l *Lab) policiesInForce(ctx context.Context, st State) (map[policy.Endpoint]*policy.Document, []string, error) {
	pols, notes, _, err := l.routes(ctx, st)
	return pols, notes, err
}

// routes is policiesInForce with, for each endpoint the requests go
// around (its host name still resolves to a public address), that name.
func (l *Lab) routes(ctx context.Context, st State) (map[policy.Endpoint]*policy.Document, []string, map[policy.Endpoint]string, error) {
	pols := map[policy.Endpoint]*policy.Document{}
	bypassed := map[policy.Endpoint]string{}
	var notes []string
	if st.Workspace.VpcID == "" {
		return pols, notes, bypassed, nil
	}
	hosts := l.cloud.LabHosts(st.Account)
	hostOf := map[string]string{EndpointDKR: hosts[0], EndpointAPI: hosts[1]}
	for _, key := range []string{EndpointDKR, EndpointAPI} {
		eps, err := l.cloud.FindEndpoints(ctx, st.Workspace.VpcID, l.cloud.ServiceName(key))
		if err != nil {
			return nil, nil, nil, err
		}
		var live *awsops.Endpoint
		for i, e := range eps {
			if e.PrivateDNS && e.Available() {
				live = &eps[i]
			}
		}
		if live == nil {
			continue
		}
		if lk, err := l.cloud.LookupHost(ctx, hostOf[key], l.privacy(st)(hostOf[key])); err == nil && !lk.Private() {
			notes = append(notes, hostOf[key]+bypassMiddle+key+bypassEnd)
			bypassed[policy.Endpoint(key)] = hostOf[key]
			continue
		}
		if live.Policy == "" {
			notes = append(notes, key+" endpoint "+live.ID+" has the default full-access policy")
			continue
		}
		doc, err := policy.Parse([]byte(live.Policy))
		if err != nil {
			notes = append(notes, fmt.Sprintf("cannot read the policy of %s: %v", live.ID, err))
			continue
		}
		pols[policy.Endpoint(key)] = doc
	}
	return pols, notes, bypassed, nil
}

// expect simulates op (after the login it needs) under the policies in
// force, which it returns too, with the endpoints the requests go around.
func (l *Lab) expect(ctx context.Context, st State, test TestName) (policy.Simulation, []string, inForce, map[policy.Endpoint]string, error) {
	op := string(test)
	pols, notes, bypassed, err := l.routes(ctx, st)
	if err != nil {
		return policy.Simulation{}, nil, nil, nil, err
	}
	principal := st.Caller
	if principal == "" {
		principal = policy.LabPrincipal(st.Account)
	}
	if test != ListTest {
		login, err := policy.SimulateEndpoints(pols, "login", l.cfg.Repo, st.Account, st.Region, principal)
		if err != nil {
			return policy.Simulation{}, nil, nil, nil, err
		}
		if login.Decision != policy.ResultAllow {
			login.Operation = op
			return login, append(notes, "the registry login (ecr:GetAuthorizationToken) is refused first"), pols, bypassed, nil
		}
	}
	sim, err := policy.SimulateEndpoints(pols, op, l.cfg.Repo, st.Account, st.Region, principal)
	return sim, notes, pols, bypassed, err
}

// unproven says why a test's outcome proves nothing about the endpoint
// policy ("" when it does): an action of the operation crossed an endpoint
// the requests go around, so only AWS's default route decided it.
func unproven(sim policy.Simulation, bypassed map[policy.Endpoint]string) string {
	for _, a := range sim.Actions {
		if host, ok := bypassed[a.Endpoint]; ok {
			return "the request went around the " + string(a.Endpoint) + " endpoint (" + host + " does not resolve to a private address yet)"
		}
	}
	return ""
}

// The words of a test's note about an endpoint its requests go around:
// HOST + bypassMiddle + KEY + bypassEnd.
const (
	bypassMiddle = " does not resolve to a private address yet, so requests bypass the "
	bypassEnd    = " endpoint and its policy"
)

// IsBypassNote reports whether a test's note says that requests go around
// an endpoint. An unproven test says so already for the endpoint its
// operation crosses (Unproven), so a screen with little room can leave
// these notes out.
func IsBypassNote(n string) bool {
	return strings.Contains(n, bypassMiddle) && strings.HasSuffix(n, bypassEnd)
}

// NotProven begins a test's Mismatch when its outcome proves nothing about
// the endpoint policy. (Before StatusUnproven, such a step was saved as
// skipped with a reason that began with it; Load reads those as unproven.)
const NotProven = "not proven: "

// UnprovenFix is what to do about an unproven test.
const UnprovenFix = "wait until private DNS answers with the endpoints' addresses ('status' shows it), then run the test again"

// errUnproven ends a test whose outcome proves nothing about the endpoint
// policy: the step is recorded as unproven (not passed, not skipped), with
// why and the fix.
type errUnproven struct{ reason string }

func (e *errUnproven) Error() string { return e.reason }

// inForce is the endpoint policies that carry the workspace's traffic; an
// endpoint missing from it has AWS's full-access default.
type inForce = map[policy.Endpoint]*policy.Document

// bodylessReason explains a refusal that reached the lab without AWS's
// words. The answer to a HEAD request has no body, so when the registry
// refuses the push's first question about a layer ("is it there
// already?", ecr:BatchCheckLayerAvailability) its sentence never arrives;
// what the policies in force say about that action is the explanation left.
func (l *Lab) bodylessReason(st State, o awsops.Outcome, pols inForce) string {
	status := o.Code
	if status == "403" {
		status = "403 Forbidden"
	}
	req, digest := o.Request, "DIGEST"
	if i := strings.LastIndex(req, "/blobs/"); i >= 0 {
		digest = req[i+len("/blobs/"):]
		if len(digest) > len("sha256:")+12 {
			req = req[:i+len("/blobs/")] + digest[:len("sha256:")+12] + "…"
		}
	}
	out := "AWS gave no reason: the registry answered " + status + " to " + req + ", and the answer to a HEAD request has no body."
	if o.Action == "" {
		return out
	}
	principal := st.Caller
	if principal == "" {
		principal = policy.LabPrincipal(st.Account)
	}
	ep := policy.EndpointOf(o.Action)
	out += " That request is " + o.Action + " on " + l.cfg.Repo + ", and "
	if doc := pols[ep]; doc != nil {
		d := policy.Evaluate(doc, policy.RequestFor(o.Action, l.cfg.Repo, st.Account, st.Region, principal))
		switch {
		case d.Result == policy.ResultExplicitDeny:
			return out + "the " + string(ep) + " endpoint's policy denies it: statement " + strings.Join(d.Statements, ", ") + " (an explicit deny)."
		case !d.Allowed():
			return out + "no statement of the " + string(ep) + " endpoint's policy allows it (an implicit deny)."
		}
		out += "the " + string(ep) + " endpoint's policy allows it"
	} else {
		out += "the " + string(ep) + " endpoint has AWS's full-access default policy"
	}
	return out + ", so another policy refused it: your IAM role's, or the repository's. For AWS's own sentence, ask the ECR API the same question: " +
		l.commands().aws("ecr batch-check-layer-availability --repository-name "+l.cfg.Repo) + " --layer-digests " + digest + " --region " + st.Region
}

func (l *Lab) newResult(st State, id StepID, sim policy.Simulation, notes []string) TestResult {
	name, _ := TestOf(id)
	r := TestResult{Name: name, Repository: l.cfg.Repo, Expected: sim.Decision, At: l.cfg.Now(), Sim: &sim, Notes: notes}
	if sim.Decision != policy.ResultAllow && len(sim.Actions) > 0 {
		last := sim.Actions[len(sim.Actions)-1]
		r.ExpectedAction, r.ExpectedBy = last.Action, last.Statement
	}
	return r
}

// DefaultPolicyPropagation is how long after a policy change the tests
// allow AWS to enforce it: "After you update an endpoint policy, it can
// take a few minutes for the changes to take effect."
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html; research I.2)
const DefaultPolicyPropagation = 5 * time.Minute

// matches reports whether a test's outcome is what the policy predicts.
func matches(r TestResult) bool { return (r.Expected == policy.ResultAllow) == r.Outcome.Allowed }

// propagating runs one test attempt (run), and while its outcome
// contradicts the policy in force and that policy was changed less than
// PolicyPropagation ago, says on the step's line that AWS is still
// applying it and tries again: the outcome then reported is AWS's once the
// new policy is enforced, or the last one when the window ends.
func (l *Lab) propagating(ctx context.Context, id StepID, run func() (TestResult, error)) (TestResult, error) {
	// Each try is a whole push or pull: not more than one a second.
	every := max(5*l.cloud.PollEvery(), time.Second)
	for tries := 1; ; tries++ {
		r, err := run()
		if err != nil || matches(r) {
			if err == nil && tries > 1 {
				r.Notes = append(r.Notes, fmt.Sprintf("AWS enforced the changed policy after about %s (this was attempt %d)",
					l.cfg.Now().Sub(l.read().PolicyChanged).Round(time.Second), tries))
			}
			return r, err
		}
		changed := l.read().PolicyChanged
		left := changed.Add(l.cfg.PolicyPropagation).Sub(l.cfg.Now())
		if changed.IsZero() || left <= 0 {
			return r, nil
		}
		if !r.Outcome.Allowed && r.Outcome.By != awsops.ByEndpointPolicy {
			// Refused by IAM, a repository policy or S3, or without words
			// (a HEAD's answer, which names no refuser): AWS's sentence
			// does not blame the endpoint policy, so waiting for it would
			// only cost the learner minutes for the same answer.
			return r, nil
		}
		wait := min(every, left)
		msg := fmt.Sprintf("AWS is still applying the endpoint policy changed %s ago (it can take a few minutes): %s was %s, the policy in force says %s; trying again in %s",
			l.cfg.Now().Sub(changed).Round(time.Second), r.Name, r.Verdict(), r.ExpectedVerdict(), wait.Round(100*time.Millisecond))
		l.emit(id, Event{Kind: EventDetail, Message: msg})
		// The wizard shows the attempt on the test's own screen, with why.
		interim := r
		interim.Retrying, interim.Notes = true, append(append([]string(nil), r.Notes...), msg)
		l.emit(id, Event{Kind: EventTest, Test: &interim})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return r, stopped(ctx.Err())
		case <-t.C:
		}
	}
}

func (l *Lab) finishTest(id StepID, st State, r TestResult, pols inForce) error {
	r.Match = matches(r)
	bodyless := !r.Outcome.Allowed && r.Outcome.Message == "" && r.Outcome.Request != ""
	if bodyless {
		r.Reason = l.bodylessReason(st, r.Outcome, pols)
	}
	// A refusal is the endpoint policy's only when AWS says so: IAM, the
	// repository's policy or S3 (a layer download through the S3 gateway)
	// refuse with the same status, and a refusal from them proves nothing
	// about the endpoint policy. (A refusal without words, the answer to
	// a HEAD, is explained by bodylessReason.)
	otherRefuser := !r.Outcome.Allowed && !bodyless && r.Outcome.By != awsops.ByEndpointPolicy
	if otherRefuser {
		r.Match = false
	}
	// What AWS did when the request went around the endpoint proves
	// nothing about its policy, even when the prediction matches: the
	// prediction then is AWS's full-access default, not the lab's policy.
	proofless := r.Match && r.Unproven != ""
	if proofless {
		r.Match = false
	} else {
		r.Unproven = ""
	}
	if err := l.update(func(x *State) {
		if x.Tests == nil {
			x.Tests = map[TestName]TestResult{}
		}
		x.Tests[r.Name] = r
		if r.Name == PushTest && r.Outcome.Allowed && !slices.Contains(x.PushedTags, r.Tag) {
			x.PushedTags = append(x.PushedTags, r.Tag)
		}
	}); err != nil {
		return err
	}
	l.emit(id, Event{Kind: EventTest, Test: &r})
	if proofless {
		return &errUnproven{reason: r.Unproven + "; " + UnprovenFix}
	}
	if !r.Match {
		if why, expired := l.expiredUnderTest(context.Background(), l.read()); expired {
			return &problem.Error{Kind: problem.Unexpected, Op: r.Name.Label(), Code: "RunExpired",
				Message: fmt.Sprintf("%s was %s, not %s: %s", r.Name, r.Verdict(), r.ExpectedVerdict(), why),
				Fix:     "run '" + l.labCmd("up --expires 4h") + "' to create the endpoints again (a longer --expires gives you more time), then the tests"}
		}
		if otherRefuser {
			return l.refusedElsewhere(r)
		}
		return &problem.Error{Kind: problem.Unexpected, Op: r.Name.Label(), Code: "UnexpectedOutcome",
			Message: fmt.Sprintf("%s was %s, but the policy in force predicts %s", r.Name, r.Verdict(), r.ExpectedVerdict()),
			Fix:     "check with 'status' that the endpoints are available with private DNS and that DNS already answers with private addresses, then run the test again"}
	}
	return nil
}

// refusedElsewhere is the error of a test refused by something other than
// the endpoint policy: who refused, in AWS's words, and what to do about
// that one.
func (l *Lab) refusedElsewhere(r TestResult) error {
	o := r.Outcome
	who := "something other than the endpoint policy"
	switch o.By {
	case awsops.ByS3Gateway:
		who = "S3, on the layer download: the S3 gateway endpoint's policy does not allow ECR's layer bucket"
		if rec := l.read().Endpoints[EndpointS3]; rec != nil && !rec.Created {
			who = fmt.Sprintf("S3, on the layer download: the S3 gateway endpoint %s (not the lab's; it was there before) does not allow ECR's layer bucket", rec.ID)
		}
	case "":
	default:
		who = article(o.By) + ", not the endpoint policy"
	}
	predicted := "the policy in force predicts " + r.ExpectedVerdict()
	msg := fmt.Sprintf("%s was refused by %s (%s)", r.Name, who, predicted)
	if o.Message != "" {
		msg += ": " + o.Message
	}
	fix, ok := l.cloud.RefusalFix(o)
	if !ok {
		fix = "read AWS's sentence: it names the policy that refused; the endpoint policy's refusals say \"VPC endpoint policy\""
	}
	if o.By == awsops.ByS3Gateway {
		if rec := l.read().Endpoints[EndpointS3]; rec != nil {
			fix = strings.ReplaceAll(fix, awsops.S3GatewayIDPlaceholder, rec.ID)
		}
	}
	return &problem.Error{Kind: problem.Permission, Op: r.Name.Label(), Code: "RefusedElsewhere", Message: msg, Fix: fix}
}

func (l *Lab) runPushTest(ctx context.Context) error {
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	li, err := l.ensureLocalImage(ctx, StepPush)
	if err != nil {
		// Copying the image again pulls it through the endpoints.
		return l.droppedByGroup(ctx, st, err)
	}
	said := false
	return l.runTest(ctx, PushTest, func(r *TestResult) error {
		r.Tag = l.cfg.PushTag
		if !said {
			said = true
			l.detail(StepPush, "pushing the local copy of %s as %s:%s; the policy in force predicts: %s", li.Ref(), l.cfg.Repo, l.cfg.PushTag, r.ExpectedVerdict())
		}
		pr, cmds, err := l.cloud.PushImage(ctx, li, l.cfg.Repo, l.cfg.PushTag)
		for _, c := range cmds {
			l.command(StepPush, c)
		}
		if err != nil {
			return err
		}
		if pr.Outcome.Allowed {
			l.notePushed(r.Tag)
		}
		r.Push, r.Outcome = &pr, pr.Outcome
		return nil
	})
}

// runTest runs one of the tests: each attempt (propagating tries again
// while a changed policy may not be in force yet) predicts the outcome
// from the policies in force, then do makes the request and notes what AWS
// did in r.
func (l *Lab) runTest(ctx context.Context, name TestName, do func(r *TestResult) error) error {
	id := name.Step()
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	var pols inForce
	r, err := l.propagating(ctx, id, func() (TestResult, error) {
		sim, notes, p, bypassed, err := l.expect(ctx, st, name)
		if err != nil {
			return TestResult{}, err
		}
		pols = p
		r := l.newResult(st, id, sim, notes)
		r.Unproven = unproven(sim, bypassed)
		err = do(&r)
		return r, err
	})
	if err != nil {
		return l.droppedByGroup(ctx, st, err)
	}
	return l.finishTest(id, st, r, pols)
}

// codeSGDrops is the code of a test that got no answer because the
// endpoints' security group does not admit the workspace on HTTPS.
const codeSGDrops = "EndpointSecurityGroupDrops"

// droppedByGroup names the cause of a request that got no answer when the
// endpoints' security group does not admit the workspace on HTTPS: the
// endpoint's interfaces then drop the connections silently, and all the
// request says is that AWS could not be reached or did not answer in
// time. The group may lack the rule, or admit a group chosen by hand that
// the instance is not in. Any other failure, or one the group does not
// explain, is err.
func (l *Lab) droppedByGroup(ctx context.Context, st State, err error) error {
	if k := problem.KindOf(err); k != problem.Network && k != problem.Timeout {
		return err
	}
	if st.SecurityGroup == nil || st.SecurityGroup.ID == "" || st.Workspace.SecurityGroupID == "" || len(st.Endpoints) == 0 {
		return err
	}
	sg, ws := st.SecurityGroup.ID, st.Workspace.SecurityGroupID
	admits, lookErr := l.cloud.AdmitsHTTPS(ctx, sg, st.Workspace)
	if lookErr != nil || admits {
		return err
	}
	op := "reach ECR through the endpoints"
	if e, ok := problem.As(err); ok && e.Op != "" {
		op = e.Op
	}
	name := st.SecurityGroup.Name
	if name == "" {
		name = "ECR_VPCE_SG"
	}
	// The rule that lets a group in, as a learner adds it by hand.
	allow := func(source string) string {
		return l.commands().aws(fmt.Sprintf("ec2 authorize-security-group-ingress --group-id %s --protocol tcp --port 443 --source-group %s --region %s", sg, source, st.Region))
	}
	if !st.Workspace.InGroup(ws) {
		// The rule admits the group chosen by hand, which the instance
		// is not in.
		if r, ferr := l.cloud.FindIngressRule(ctx, sg, ws); ferr == nil && r != nil {
			own := strings.Join(st.Workspace.SecurityGroupIDs, ", ")
			return &problem.Error{Kind: problem.Blocked, Op: op, Code: codeSGDrops, Err: err,
				Message: fmt.Sprintf("the endpoint's security group %s (%s) allows HTTPS only from %s, the group chosen by hand, but the workspace%s is not in it (its groups: %s): "+
					"the endpoints' network interfaces drop its connections, so ECR never answers", name, sg, ws, instanceWords(st.Workspace), own),
				Fix: fmt.Sprintf("let the workspace's own group in: %s; "+
					"or tear down ('%s', T in the wizard) and run up again with the instance's group (--workspace-sg %s)",
					allow(st.Workspace.SecurityGroupIDs[0]), l.labCmd("down"), st.Workspace.SecurityGroupIDs[0])}
		}
		ws = st.Workspace.SecurityGroupIDs[0]
	}
	return &problem.Error{Kind: problem.Blocked, Op: op, Code: codeSGDrops, Err: err,
		Message: fmt.Sprintf("the endpoint's security group %s (%s) does not allow HTTPS from the workspace's %s: its network interfaces drop the connections, so ECR never answers", name, sg, ws),
		Fix: fmt.Sprintf("run '%s' again: step 4 adds the rule; or add it yourself: %s", l.labCmd("up"),
			allow(ws))}
}

// instanceWords is " (instance i-…)" for a workspace whose instance is
// known, else "".
func instanceWords(ws awsops.Workspace) string {
	if ws.InstanceID == "" {
		return ""
	}
	return " (instance " + ws.InstanceID + ")"
}

// notePushed records a tag the push test managed to push (teardown
// removes it), also when a later attempt is refused.
func (l *Lab) notePushed(tag string) {
	_ = l.update(func(x *State) {
		if !slices.Contains(x.PushedTags, tag) {
			x.PushedTags = append(x.PushedTags, tag)
		}
	})
}

func (l *Lab) runListTest(ctx context.Context) error {
	return l.runTest(ctx, ListTest, func(r *TestResult) error {
		lr, cmd, err := l.cloud.ListImages(ctx, l.cfg.Repo)
		l.command(StepList, cmd)
		if err != nil {
			return err
		}
		r.List, r.Outcome = &lr, lr.Outcome
		return nil
	})
}

func (l *Lab) runPullTest(ctx context.Context) error {
	return l.runTest(ctx, PullTest, func(r *TestResult) error {
		r.Tag = l.cfg.SourceTag
		pr, cmds, err := l.cloud.Pull(ctx, l.cfg.Repo, l.cfg.SourceTag)
		for _, c := range cmds {
			l.command(StepPull, c)
		}
		if err != nil {
			return err
		}
		r.Pull, r.Outcome = &pr, pr.Outcome
		return nil
	})
}

func checkTest(id StepID) func(*Lab, context.Context) (CheckResult, error) {
	return func(l *Lab, _ context.Context) (CheckResult, error) {
		st := l.read()
		name, _ := TestOf(id)
		r, ok := st.Tests[name]
		if !ok {
			return CheckResult{Message: "not run yet"}, nil
		}
		msg := fmt.Sprintf("%s was %s, as the policy predicts", r.Name, r.Verdict())
		if r.Unproven != "" && !r.Match {
			// What the run said: not proven (not failed), why, and the fix.
			return CheckResult{Unproven: true, Message: fmt.Sprintf("%s was %s, %s%s; %s", r.Name, r.Verdict(), NotProven, r.Unproven, UnprovenFix)}, nil
		}
		if !r.Match {
			msg = fmt.Sprintf("%s was %s, %s", r.Name, r.Verdict(), r.Mismatch())
		}
		return CheckResult{OK: r.Match, Message: msg}, nil
	}
}

func (l *Lab) undoPush(ctx context.Context) error {
	st := l.read()
	for _, tag := range st.PushedTags {
		if err := l.deleteTag(ctx, StepPush, tag); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) deleteTag(ctx context.Context, s StepID, tag string) error {
	fctx, cancel := finish(ctx)
	defer cancel()
	cmd, err := l.cloud.DeleteImageTag(fctx, l.cfg.Repo, tag)
	l.command(s, cmd)
	if err != nil {
		// Through endpoints whose group drops the workspace's
		// connections, as the tests say it.
		return l.droppedByGroup(ctx, l.read(), err)
	}
	l.resource(s, ResourceEvent{Kind: KindImageTag, ID: l.cfg.Repo + ":" + tag, State: ResDeleted})
	return l.update(func(x *State) { x.PushedTags = without(x.PushedTags, tag) })
}

// Tests runs the push, list and pull tests (or those named), each on its
// own: one failing does not stop the others. It returns their results.
func (l *Lab) Tests(ctx context.Context, ids ...StepID) ([]TestResult, error) {
	if len(ids) == 0 {
		ids = TestSteps
	}
	var out []TestResult
	var first error
	for _, id := range ids {
		name, ok := TestOf(id)
		if !ok {
			return out, fmt.Errorf("%q is not a test step", id)
		}
		if ctx.Err() != nil {
			if first == nil {
				first = stopped(ctx.Err())
			}
			break
		}
		start := l.cfg.Now()
		err := l.Run(ctx, id)
		if r, ok := l.State().Tests[name]; ok && !r.At.Before(start) {
			out = append(out, r)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}
