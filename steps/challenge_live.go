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
	"ecr-vpce-lab/internal/refusal"
	"ecr-vpce-lab/policy"
)

// A challenge checked for real: the answer is put where it goes (the
// endpoints, or the repository), each request of the hidden set the lab
// can make is made through the endpoints, and then everything is put back
// as it was: the lab's endpoint policy, the repository's policy, the tags
// the check pushed. A request the lab cannot make (from outside the VPC,
// or as another account's role, on AWS where the lab has neither) is shown
// as simulated only.

// Elsewhere are the lab's vantage points besides the workspace.
type Elsewhere struct {
	// Outside is a machine outside the VPC: its requests take the public
	// path.
	Outside *awsops.Cloud
	// Partner is a role of another account, in the VPC.
	Partner *awsops.Cloud
}

// ChallengeLeftovers are what the live checks leave in the account until
// teardown: repositories they created (another team's, a scratch one),
// the policy a repository had before a check set one, and tags pushed by
// a check that was interrupted before it removed them.
type ChallengeLeftovers struct {
	Repos []string `json:"repos,omitempty"`
	// RepoPolicies holds, per repository a check set a policy on, the
	// policy it had before ("" for none).
	RepoPolicies map[string]string `json:"repoPolicies,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	// Applied is the challenge whose policies the endpoints carry while a
	// check runs (0: the lab's own).
	Applied int `json:"applied,omitempty"`
}

func (c *ChallengeLeftovers) empty() bool {
	return c == nil || (len(c.Repos) == 0 && len(c.RepoPolicies) == 0 && len(c.Tags) == 0 && c.Applied == 0)
}

// LiveResult is a challenge checked for real.
type LiveResult struct {
	Challenge int  `json:"challenge"`
	Passed    bool `json:"passed"`
	// Requests are the hidden set's requests, made for real (or skipped).
	Requests []ProbeResult `json:"requests"`
	// Applied says where the answer was put; Waited how long it took to
	// take effect.
	Applied string        `json:"applied"`
	Waited  time.Duration `json:"waited"`
	// NotApplied is AWS's refusal of the answer itself (ECR refuses a
	// repository policy it cannot use, or one that would lock the caller
	// out): then no request is made, and the check fails.
	NotApplied string   `json:"notApplied,omitempty"`
	Notes      []string `json:"notes,omitempty"`
}

// Failed lists the requests that went otherwise than the goal wants.
func (r LiveResult) Failed() []ProbeResult { return failedRequests(r.Requests) }

// Tags the checks use. A deletion deletes a tag that is never there: ECR
// authorises the request first, and then answers ImageNotFound, so an
// allowed deletion deletes nothing.
const (
	challengeTag = "challenge"
	noSuchTag    = "never-pushed"
)

// CheckChallengeLive checks doc for real. The lab must be up (both ECR
// endpoints available, their names resolving privately): otherwise the
// requests would not go through them.
func (l *Lab) CheckChallengeLive(ctx context.Context, ch Challenge, doc *policy.Document) (res LiveResult, err error) {
	l.op.Lock()
	defer l.op.Unlock()
	defer func() {
		// Requests the endpoints' security group drops say so.
		if err != nil {
			err = l.droppedByGroup(ctx, l.read(), err)
		}
	}()
	const s = StepPolicy
	res = LiveResult{Challenge: ch.ID, Requests: []ProbeResult{}}
	st, err := l.needWorkspace()
	if err != nil {
		return res, err
	}
	for _, key := range []string{EndpointDKR, EndpointAPI} {
		if st.Endpoints[key] == nil {
			return res, &problem.Error{Kind: problem.NotReady, Op: "check for real", Message: "the " + key + " endpoint does not exist",
				Fix: "run '" + l.labCmd("up") + "' first (the simulation's verdict stands without it)"}
		}
	}
	if _, notes, err := l.policiesInForce(ctx, st); err != nil {
		return res, err
	} else {
		for _, n := range notes {
			if strings.Contains(n, "does not resolve to a private address") {
				return res, &problem.Error{Kind: problem.NotReady, Op: "check for real", Message: n,
					Fix: "wait until both ECR names resolve privately ('" + l.labCmd("status") + "' shows DNS), then check again"}
			}
		}
	}
	c := NewChallengeContext(st)
	probes := ch.probes
	l.emit(s, Event{Kind: EventStarted, Message: fmt.Sprintf("Check challenge %d for real", ch.ID)})
	start := time.Now()

	// What may be asked for real, and from where.
	runnable := make([]bool, len(probes))
	for i, p := range probes {
		res.Requests = append(res.Requests, ProbeResult{Probe: p})
		if why := l.cannotRun(p); why != "" {
			res.Requests[i].Skipped = why
			continue
		}
		runnable[i] = true
	}
	// Fixtures, made with the policies the lab applied (before the answer).
	for i, p := range probes {
		if !runnable[i] {
			continue
		}
		if why, err := l.fixture(ctx, p); err != nil {
			return res, err
		} else if why != "" {
			res.Requests[i].Skipped, runnable[i] = why, false
		}
	}

	// The answer goes in; whatever happens next, the lab's own comes back.
	applied, err := l.applyAnswer(ctx, ch, c, doc)
	res.Applied = applied
	if problem.KindOf(err) == problem.Invalid {
		res.NotApplied = err.Error()
		return res, l.restoreAfterCheck(ctx, ch)
	}
	if err != nil {
		return res, errors.Join(err, l.restoreAfterCheck(ctx, ch))
	}
	res, err = l.runChecks(ctx, ch, c, doc, probes, runnable, res)
	if rerr := l.restoreAfterCheck(ctx, ch); err == nil {
		err = rerr
	}
	if err != nil {
		return res, err
	}
	l.emit(s, Event{Kind: EventDone, Message: fmt.Sprintf("Check challenge %d for real", ch.ID), Elapsed: time.Since(start)})
	return res, nil
}

// runChecks waits for the answer to take effect, then makes the requests.
func (l *Lab) runChecks(ctx context.Context, ch Challenge, c ChallengeContext, doc *policy.Document, probes []Probe, runnable []bool, res LiveResult) (LiveResult, error) {
	sim := ch.Simulate(c, doc.Canonical())
	waited, note, err := l.settle(ctx, ch, c, probes, runnable, sim)
	res.Waited = waited
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	if err != nil {
		return res, err
	}
	res.Passed = true
	// Requests without side effects first, deletions last (a repository
	// that goes cannot be pushed to after).
	order := make([]int, len(probes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return opRank(probes[order[a]].Op) < opRank(probes[order[b]].Op) })
	for _, i := range order {
		p := probes[i]
		if !runnable[i] {
			continue
		}
		r, err := l.runProbe(ctx, p)
		if err != nil {
			return res, err
		}
		r.Probe = p
		r.Match = r.Actual == p.Allowed
		if !r.Match && i < len(sim.Requests) {
			r.Trace = sim.Requests[i].Trace
		}
		res.Requests[i] = r
		res.Passed = res.Passed && r.Match
	}
	return res, nil
}

// cannotRun says why a request cannot be made for real ("" when it can).
func (l *Lab) cannotRun(p Probe) string {
	switch {
	case p.Who == Partner && p.From == Outside:
		return "needs another account's role outside the VPC: simulated only"
	case p.Who == Partner && l.cfg.Elsewhere.Partner == nil:
		return "needs a role of another account, which the lab has only on the sandbox: simulated only"
	case p.From == Outside && l.cfg.Elsewhere.Outside == nil:
		return "needs a machine outside the VPC, which the lab has only on the sandbox: simulated only"
	}
	return ""
}

// cloudFor is who makes a request.
func (l *Lab) cloudFor(p Probe) *awsops.Cloud {
	switch {
	case p.Who == Partner:
		return l.cfg.Elsewhere.Partner
	case p.From == Outside:
		return l.cfg.Elsewhere.Outside
	}
	return l.cloud
}

// fixture makes what a request needs: its repository (with an image to
// pull), a tag to delete. It returns why the request cannot be made when
// the lab may not make what it needs.
func (l *Lab) fixture(ctx context.Context, p Probe) (string, error) {
	if p.Repo == "" || p.Op == "login" {
		return "", nil
	}
	if p.Repo != l.cfg.Repo && p.Repo != policy.DefaultRepository {
		r, err := l.cloud.DescribeRepository(ctx, p.Repo, challengeTag)
		if err != nil {
			return "", err
		}
		if !r.Exists {
			cmd, err := l.cloud.CreateRepository(ctx, p.Repo)
			l.command(StepPolicy, cmd)
			if err != nil {
				return "", err
			}
			l.resource(StepPolicy, ResourceEvent{Kind: KindRepository, ID: p.Repo, State: ResCreated, Detail: "for the check; removed after it"})
			if err := l.update(func(x *State) {
				if x.Challenge == nil {
					x.Challenge = &ChallengeLeftovers{}
				}
				if !slices.Contains(x.Challenge.Repos, p.Repo) {
					x.Challenge.Repos = append(x.Challenge.Repos, p.Repo)
				}
			}); err != nil {
				return "", err
			}
		}
		if !r.HasTag {
			if _, err := l.cloud.SeedImage(ctx, p.Repo, challengeTag); err != nil {
				if problem.KindOf(err) == problem.Denied {
					return "the lab's own endpoint policy refuses the push that prepares " + p.Repo + ": simulated only", nil
				}
				return "", err
			}
		}
	}
	return "", nil
}

func (l *Lab) rememberTag(repo, tag string) error {
	return l.update(func(x *State) {
		if x.Challenge == nil {
			x.Challenge = &ChallengeLeftovers{}
		}
		if t := repo + ":" + tag; !slices.Contains(x.Challenge.Tags, t) {
			x.Challenge.Tags = append(x.Challenge.Tags, t)
		}
	})
}

// applyAnswer puts the answer where the challenge says, and the
// challenge's given policies, recording what to put back.
func (l *Lab) applyAnswer(ctx context.Context, ch Challenge, c ChallengeContext, doc *policy.Document) (string, error) {
	const s = StepPolicy
	st := l.read()
	canon := string(doc.Canonical())
	want := map[string]string{EndpointDKR: "", EndpointAPI: ""}
	var where []string
	switch ch.Target {
	case OnBoth:
		want[EndpointDKR], want[EndpointAPI] = canon, canon
		where = append(where, "ecr.dkr "+st.Endpoints[EndpointDKR].ID, "ecr.api "+st.Endpoints[EndpointAPI].ID)
	case OnAPI:
		want[EndpointAPI] = canon
		where = append(where, "ecr.api "+st.Endpoints[EndpointAPI].ID+" (ecr.dkr: full access)")
	case OnRepository:
		where = append(where, "the repository policy of "+policy.DefaultRepository+" (both endpoints: full access)")
	}
	if err := l.update(func(x *State) {
		if x.Challenge == nil {
			x.Challenge = &ChallengeLeftovers{}
		}
		x.Challenge.Applied = ch.ID
	}); err != nil {
		return "", err
	}
	// The repository's first: reading its policy goes through ecr.api,
	// which the answer may close.
	repoPolicy := ""
	if ch.Target == OnRepository {
		repoPolicy = canon
	} else if ch.setting != nil {
		repoPolicy = ch.setting(c).repositoryPolicy
	}
	if repoPolicy != "" {
		if err := l.setRepositoryPolicy(ctx, policy.DefaultRepository, repoPolicy); err != nil {
			return strings.Join(where, ", "), err
		}
	}
	for _, key := range []string{EndpointDKR, EndpointAPI} {
		note := "the challenge's answer"
		if want[key] == "" {
			note = "AWS's default (full access), for the challenge"
		}
		if err := l.modifyPolicyWith(ctx, s, key, st.Endpoints[key].ID, want[key], note); err != nil {
			return strings.Join(where, ", "), err
		}
	}
	return strings.Join(where, ", "), nil
}

// setRepositoryPolicy sets a repository's policy, first recording the one
// it had (once: a second check keeps the first original).
func (l *Lab) setRepositoryPolicy(ctx context.Context, repo, text string) error {
	st := l.read()
	if st.Challenge == nil || st.Challenge.RepoPolicies == nil || !hasKey(st.Challenge.RepoPolicies, repo) {
		orig, _, err := l.cloud.GetRepositoryPolicy(ctx, repo)
		if err != nil {
			return err
		}
		if err := l.update(func(x *State) {
			if x.Challenge == nil {
				x.Challenge = &ChallengeLeftovers{}
			}
			if x.Challenge.RepoPolicies == nil {
				x.Challenge.RepoPolicies = map[string]string{}
			}
			x.Challenge.RepoPolicies[repo] = orig
		}); err != nil {
			return err
		}
	}
	fctx, cancel := finish(ctx)
	defer cancel()
	cmd, err := l.cloud.SetRepositoryPolicy(fctx, repo, text)
	l.command(StepPolicy, cmd)
	if err != nil {
		return err
	}
	l.resource(StepPolicy, ResourceEvent{Kind: KindRepositoryPolicy, ID: repo, State: ResModified, Detail: "set for the check"})
	return nil
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// restoreAfterCheck puts back the lab's endpoint policy and the
// repositories' policies, and deletes the tags the check pushed. It runs
// even when the check was interrupted (bounded, as every undo).
func (l *Lab) restoreAfterCheck(ctx context.Context, ch Challenge) error {
	fctx, cancel := finish(ctx)
	defer cancel()
	return l.restoreChallenge(fctx, StepPolicy, false)
}

// restoreChallenge undoes what the checks changed: the endpoints get the
// lab's policy back, repository policies their originals, pushed tags and
// the repositories the checks created go. After a check (strict unset) a
// repository the lab's own policy will not let it delete stays recorded,
// for teardown, which removes it once the endpoints are gone (strict).
func (l *Lab) restoreChallenge(ctx context.Context, s StepID, strict bool) error {
	st := l.read()
	left := st.Challenge
	if left.empty() {
		return nil
	}
	if left.Applied != 0 {
		for _, key := range []string{EndpointDKR, EndpointAPI} {
			if rec := st.Endpoints[key]; rec != nil {
				if err := l.modifyPolicyWith(ctx, s, key, rec.ID, endpointPolicy(key, string(st.Policy), st.PolicyTarget), "the lab's policy back"); err != nil {
					return err
				}
			}
		}
		if err := l.update(func(x *State) { x.Challenge.Applied = 0 }); err != nil {
			return err
		}
	}
	for repo, orig := range left.RepoPolicies {
		var cmd Command
		var err error
		if orig == "" {
			cmd, err = l.cloud.DeleteRepositoryPolicy(ctx, repo)
		} else {
			cmd, err = l.cloud.SetRepositoryPolicy(ctx, repo, orig)
		}
		l.command(s, cmd)
		if err != nil {
			return err
		}
		state, detail := ResDeleted, "set by a challenge"
		if orig != "" {
			state, detail = ResRestored, "back to what it was"
		}
		l.resource(s, ResourceEvent{Kind: KindRepositoryPolicy, ID: repo, State: state, Detail: detail})
		if err := l.update(func(x *State) { delete(x.Challenge.RepoPolicies, repo) }); err != nil {
			return err
		}
	}
	for _, t := range left.Tags {
		repo, tag, _ := strings.Cut(t, ":")
		cmd, err := l.cloud.DeleteImageTag(ctx, repo, tag)
		l.command(s, cmd)
		if err != nil {
			return err
		}
		if err := l.update(func(x *State) { x.Challenge.Tags = without(x.Challenge.Tags, t) }); err != nil {
			return err
		}
	}
	for _, repo := range left.Repos {
		o, cmd, err := l.cloud.DeleteRepository(ctx, repo)
		l.command(s, cmd)
		if err != nil && problem.KindOf(err) != problem.NotFound {
			return err
		}
		if err == nil && !o.Allowed {
			if !strict {
				continue
			}
			return &problem.Error{Kind: problem.Permission, Op: "delete the repository " + repo, Message: o.Message,
				Fix: "delete it by hand once the policy that refuses it is gone: " + l.cloud.Runnable(cmd)}
		}
		l.resource(s, ResourceEvent{Kind: KindRepository, ID: repo, State: ResDeleted, Detail: "created for the challenges"})
		if err := l.update(func(x *State) { x.Challenge.Repos = without(x.Challenge.Repos, repo) }); err != nil {
			return err
		}
	}
	if l.read().Challenge.empty() {
		return l.update(func(x *State) { x.Challenge = nil })
	}
	return nil
}

// settle waits until the answer takes effect (AWS: "it can take a few
// minutes for the changes to take effect"): it polls a request without
// side effects whose simulated outcome differs under the lab's own
// policies, until it comes out as the answer says, or PolicySettle passes.
func (l *Lab) settle(ctx context.Context, ch Challenge, c ChallengeContext, probes []Probe, runnable []bool, sim SimulationResult) (time.Duration, string, error) {
	start := time.Now()
	// A read if one tells them apart, else a push (whose tag, if the old
	// policy lets it through, goes with the check's other tags); never a
	// deletion.
	canary := -1
	for _, rank := range []int{0, 1} {
		for i, p := range probes {
			if canary >= 0 || !runnable[i] || i >= len(sim.Requests) || opRank(p.Op) != rank {
				continue
			}
			if sim.Requests[i].Actual != l.underLabPolicy(ch, c, p) {
				canary = i
			}
		}
	}
	if canary < 0 {
		return 0, "no read or push tells the lab's own policy from the answer, so the check could not confirm that the answer had taken effect", nil
	}
	want := sim.Requests[canary].Actual
	every := l.cloud.PollEvery()
	for {
		r, err := l.runProbe(ctx, probes[canary])
		if err != nil {
			return time.Since(start), "", err
		}
		if r.Actual == want {
			return time.Since(start), "", nil
		}
		if time.Since(start) > l.cfg.PolicySettle {
			return time.Since(start), fmt.Sprintf("after %s, %s still comes out as under the lab's own policy: the answer may not have taken effect", l.cfg.PolicySettle, probes[canary].Label()), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), "", stopped(ctx.Err())
		case <-time.After(every):
		}
	}
}

// underLabPolicy is a request's outcome under the lab's own policies (the
// ones the answer replaced), given the challenge's setting.
func (l *Lab) underLabPolicy(ch Challenge, c ChallengeContext, p Probe) bool {
	st := l.read()
	docs := map[policy.Endpoint]*policy.Document{}
	if doc, err := policy.Parse(st.Policy); err == nil && len(st.Policy) > 0 {
		for _, key := range []string{EndpointDKR, EndpointAPI} {
			if st.PolicyTarget.Carries(key) {
				docs[policy.Endpoint(key)] = doc
			}
		}
	}
	return ch.evalProbe(c, docs, ch.givenRepositoryPolicy(c), p).Actual
}

// opRank orders a check's requests: reads, then pushes, then deletions,
// the repository's last.
func opRank(op string) int {
	switch {
	case sideEffectFree(op):
		return 0
	case op == "push":
		return 1
	case op == "delete-repository":
		return 3
	}
	return 2
}

func sideEffectFree(op string) bool {
	switch op {
	case "login", "list-images", "describe-images", "describe-repositories", "pull":
		return true
	}
	return false
}

// runProbe makes one request for real.
func (l *Lab) runProbe(ctx context.Context, p Probe) (ProbeResult, error) {
	c := l.cloudFor(p)
	out := ProbeResult{Probe: p}
	var o awsops.Outcome
	var err error
	switch p.Op {
	case "login":
		o, _, err = c.Login(ctx)
	case "list-images":
		o, _, err = c.ListImagesOf(ctx, p.Repo)
	case "describe-images":
		o, _, err = c.DescribeImages(ctx, p.Repo)
	case "describe-repositories":
		_, err = c.DescribeRepository(ctx, p.Repo, "")
		o, err = outcomeOf(err, "ecr:DescribeRepositories")
	case "pull":
		tag := challengeTag
		if p.Repo == l.cfg.Repo || p.Repo == policy.DefaultRepository {
			tag = l.cfg.SourceTag
		}
		var r awsops.PullResult
		r, _, err = c.Pull(ctx, p.Repo, tag)
		o = r.Outcome
	case "push":
		var r awsops.PushResult
		r, _, err = c.PushRandom(ctx, p.Repo, challengeTag+"-push")
		o = r.Outcome
		if err == nil && o.Allowed {
			if err := l.rememberTag(p.Repo, challengeTag+"-push"); err != nil {
				return out, err
			}
		}
	case "delete-image":
		o, _, err = c.DeleteImage(ctx, p.Repo, noSuchTag)
	case "delete-repository":
		o, _, err = c.DeleteRepository(ctx, p.Repo)
		if err == nil && o.Allowed {
			// It is gone: nothing of it is left to remove.
			_ = l.update(func(x *State) {
				if x.Challenge != nil {
					x.Challenge.Repos = without(x.Challenge.Repos, p.Repo)
				}
			})
		}
	case "delete-repository-policy":
		_, err = c.DeleteRepositoryPolicy(ctx, p.Repo)
		o, err = outcomeOf(err, "ecr:DeleteRepositoryPolicy")
	default:
		return out, fmt.Errorf("unknown operation %q", p.Op)
	}
	if err != nil {
		return out, err
	}
	out.Actual, out.Message, out.Action = o.Allowed, o.Message, o.Action
	if out.Action == "" && o.Message != "" {
		out.Action = refusal.Parse(o.Message).Action
	}
	if !o.Allowed && !strings.Contains(o.Message, "is not authorized to perform") {
		// A HEAD request's refusal has no body (the layer check of a
		// push, research A.2): AWS's reason never reaches the client.
		out.Message = "HTTP 403 to " + orUnknown(out.Action) + ", a HEAD request whose answer carries no reason (" + o.Message + ")"
	}
	if out.Action != "" {
		out.Endpoint = policy.EndpointOf(out.Action)
	} else if steps, ok := operationSteps(p.Op); ok && len(steps) > 0 {
		// Allowed: it went all the way, through its last action's endpoint.
		out.Endpoint = steps[len(steps)-1].Endpoint
	}
	return out, nil
}

// outcomeOf reads a refusal out of an error (a call that returns no
// outcome of its own).
func outcomeOf(err error, action string) (awsops.Outcome, error) {
	if err == nil {
		return awsops.Outcome{Allowed: true}, nil
	}
	if e, ok := problem.As(err); ok && e.Kind == problem.Permission {
		return awsops.Outcome{Code: e.Code, Message: e.Message, Action: action}, nil
	}
	return awsops.Outcome{}, err
}
