package ui

import (
	"fmt"
	"regexp"
	"strings"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// refusal is what the wizard knows about a refused test: the action AWS
// refused, the endpoint it went through, and the trace of the policy the
// lab applied there.
type refusal struct {
	action   string
	endpoint policy.Endpoint
	// trace is nil when that endpoint carries no policy of the lab's.
	trace *policy.Trace
	// form is set when the policy is one the form can edit: edits are then
	// said as ticks and unticks.
	form bool
}

// agrees reports whether the policy in force refuses the action too.
func (r refusal) agrees() bool { return r.trace != nil && !r.trace.Decision.Allowed() }

var reAction = regexp.MustCompile(`perform: (ecr:[A-Za-z]+)`)

// actionFromMessage reads the refused action from AWS's sentence ("… is not
// authorized to perform: ecr:PutImage on resource …").
func actionFromMessage(msg string) string {
	if m := reAction.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

// explainTest records why a test was refused (or forgets an old refusal
// when it passed).
func (m *Model) explainTest(t steps.TestResult) {
	if t.Outcome.Allowed {
		delete(m.refusals, t.Name)
		return
	}
	action := t.Outcome.Action
	if action == "" {
		action = actionFromMessage(t.Outcome.Message)
	}
	if action == "" {
		action = t.ExpectedAction
	}
	if action == "" {
		delete(m.refusals, t.Name)
		return
	}
	r := refusal{action: action, endpoint: policy.EndpointOf(action)}
	docs := m.appliedPolicies()
	if doc := docs[r.endpoint]; doc != nil {
		repo := t.Repository
		if repo == "" {
			repo = m.cfg.Repo
		}
		tr := policy.Explain(doc, policy.RequestFor(action, repo, m.st.Account, m.st.Region, m.principal()))
		r.trace = &tr
		_, _, r.form = formOf(doc, m.st.Account, m.st.Region)
	}
	m.refusals[t.Name] = r
}

// principal is the caller the endpoints see.
func (m *Model) principal() string {
	if m.st.Caller != "" {
		return m.st.Caller
	}
	return policy.LabPrincipal(m.st.Account)
}

// appliedPolicies are the policies the lab applied, by endpoint, from the
// state the engine sent: ecr.dkr always carries it, ecr.api when the target
// is both. An endpoint missing from the map has AWS's full-access default.
func (m *Model) appliedPolicies() map[policy.Endpoint]*policy.Document {
	out := map[policy.Endpoint]*policy.Document{}
	if len(m.st.Policy) == 0 {
		return out
	}
	doc, err := policy.Parse(m.st.Policy)
	if err != nil {
		return out
	}
	for _, key := range []string{steps.EndpointDKR, steps.EndpointAPI} {
		if m.st.PolicyTarget.Carries(key) {
			out[policy.Endpoint(key)] = doc
		}
	}
	return out
}

// predict simulates a client operation under the given policies, for the
// lab's repository; a refused login stops push and pull before they start.
func (m *Model) predict(docs map[policy.Endpoint]*policy.Document, op string) (policy.Simulation, bool) {
	repo := m.cfg.Repo
	if repo == "" {
		repo = m.st.Repo
	}
	if op == "push" || op == "pull" {
		login, err := policy.SimulateEndpoints(docs, "login", repo, m.st.Account, m.st.Region, m.principal())
		if err == nil && login.Decision != policy.ResultAllow {
			login.Operation = op
			return login, true
		}
	}
	sim, err := policy.SimulateEndpoints(docs, op, repo, m.st.Account, m.st.Region, m.principal())
	return sim, err == nil
}

// refusedAt names where a simulation stops: the action and the statement
// that refuses it ("" when it is allowed).
func refusedAt(sim policy.Simulation) (action, by string) {
	if sim.Decision == policy.ResultAllow || len(sim.Actions) == 0 {
		return "", ""
	}
	last := sim.Actions[len(sim.Actions)-1]
	by = last.Statement
	if by == "" {
		by = "no statement allows it"
	}
	return last.Action, by
}

// introFor is a screen's opening text. Where it predicts an outcome, the
// prediction comes from simulating the policy in force (on the policy
// screen, the policy being edited), so it never contradicts the result.
func (m *Model) introFor(s screenID) string {
	lead, rest := m.introParts(s)
	return strings.TrimSpace(lead + " " + rest)
}

// introParts is introFor in two: lead, the sentence that must stay in
// sight however short the window (what the policy does to the lab's
// repository), and the rest, which a short window may cut.
func (m *Model) introParts(s screenID) (lead, rest string) {
	switch s {
	case scrPolicy:
		const gate = "An endpoint policy is a second gate: a push your IAM role allows is still refused if the endpoint's policy says no."
		docs := m.appliedPolicies()
		if m.editor != nil {
			doc, target, err := m.editor.Document()
			if err != nil {
				// What is in force is not what is on the screen: saying
				// what it allows would describe another policy.
				return "This policy cannot be applied as it stands: fix what is marked below.", gate
			}
			docs = map[policy.Endpoint]*policy.Document{policy.EndpointDKR: doc}
			if target != steps.TargetDKR {
				docs[policy.EndpointAPI] = doc
			}
			// The sentence is about the lab's repository, the table about
			// the form's: when they differ (a typo, another team's), say
			// so, or "denies nothing" sits over a table that shows a Deny.
			if r, lab := strings.TrimSpace(m.editor.repo), m.cfg.Repo; r != "" && lab != "" && r != lab {
				sentence := m.policySentence(docs)
				if rest, ok := strings.CutPrefix(sentence, "This policy"); ok {
					sentence = "On " + lab + " this policy" + rest
				}
				return sentence, "The form names " + r + ", not " + lab + ", the repository the tests use. " + gate
			}
		}
		return m.policySentence(docs), gate
	}
	return "", m.introRest(s)
}

// introRest is the opening text of a screen that has no sentence to keep.
func (m *Model) introRest(s screenID) string {
	info := screens[s]
	switch s {
	case scrPush:
		return m.pushIntro() + m.pushSentence()
	case scrList:
		return m.listSentence()
	case scrFinish:
		return m.finishSentence()
	case scrPreflight:
		if m.idsChosen {
			// Back on step 1 from step 2: why.
			if m.screens[scrPreflight].status == steps.StatusFailed {
				return "The checks ran again, for the VPC, subnet and security group you chose, and one failed: what to do is below."
			}
			return m.keysIn("The checks ran again, for the VPC, subnet and security group you chose. {Next} goes on with them.")
		}
	}
	return info.intro
}

// pushIntro says what the push test pushes: the copy of the source image the
// lab keeps on this machine (read before the endpoints existed, as docker
// pull would), retagged. Its layers are already in the repository, so the
// manifest write (ecr:PutImage) is the step at stake.
func (m *Model) pushIntro() string {
	repo := orDefault(m.cfg.Repo, "team-a/alpine")
	src := repo + ":" + orDefault(m.cfg.SourceTag, "v1")
	dst := repo + ":" + orDefault(m.cfg.PushTag, "v2")
	where := "the copy of " + src + " it keeps on this machine, in its state directory,"
	if li := m.st.LocalImage; li != nil {
		switch {
		case li.Docker:
			where = "the copy of " + li.Ref() + " in docker's image store on this machine"
		case li.Dir != "":
			where = "the copy of " + li.Ref() + " it keeps on this machine, in its state directory,"
		}
	}
	return "The proof: the lab pushes " + where + " as " + dst + ". The repository already holds every layer, " +
		"so only the last step is at stake: writing the manifest (ecr:PutImage). "
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// policySentence says what a policy lets through, for the lab repository.
func (m *Model) policySentence(docs map[policy.Endpoint]*policy.Document) string {
	var refused []string
	for _, op := range []string{"push", "pull", "list-images", "login"} {
		sim, ok := m.predict(docs, op)
		if ok && sim.Decision != policy.ResultAllow {
			action, by := refusedAt(sim)
			refused = append(refused, fmt.Sprintf("%s at %s (%s)", opWords(op), action, by))
		}
	}
	switch len(refused) {
	case 0:
		return "This policy denies nothing: everything goes through."
	case 4:
		return "On " + m.cfg.Repo + " this policy refuses " + steps.JoinAnd(refused) + ": nothing the lab does goes through."
	}
	return "On " + m.cfg.Repo + " this policy refuses " + steps.JoinAnd(refused) + "; the rest goes through."
}

func opWords(op string) string {
	switch op {
	case "list-images":
		return "listing"
	case "login":
		return "the login"
	}
	return op
}

func (m *Model) pushSentence() string {
	sim, ok := m.predict(m.appliedPolicies(), "push")
	if !ok {
		return ""
	}
	action, by := refusedAt(sim)
	if route := m.pushRouteSentence(); route != "" {
		// What the policy says, then what really happens to the push.
		switch {
		case action == "":
			return "The policy in force allows every step of a push. " + route
		case action == "ecr:GetAuthorizationToken":
			return "The policy in force refuses the login (ecr:GetAuthorizationToken, " + by + "), through the endpoint. " + route
		case action == "ecr:PutImage":
			return "The policy in force denies exactly that (" + by + "), through the endpoint. " + route
		}
		return "The policy in force refuses " + action + " (" + by + "), through the endpoint. " + route
	}
	switch {
	case action == "":
		return "The policy in force allows every step of a push, so it should go through, and " + orDefault(m.cfg.PushTag, "v2") + " appear in the list."
	case action == "ecr:GetAuthorizationToken":
		return "The policy in force refuses the login (ecr:GetAuthorizationToken, " + by + ") first, so the push cannot even start."
	case action == "ecr:PutImage":
		return "The policy in force denies exactly that (" + by + "), so the registry should refuse it."
	}
	return "The policy in force refuses " + action + " (" + by + ") before that, so the push should stop there."
}

func (m *Model) listSentence() string {
	docs := m.appliedPolicies()
	clause := func(op, what string) string {
		sim, ok := m.predict(docs, op)
		if !ok {
			return ""
		}
		if action, by := refusedAt(sim); action != "" {
			return "refuses " + what + " at " + action + " (" + by + ")"
		}
		return "allows " + what
	}
	list, pull := clause("list-images", "the listing"), clause("pull", "the pull")
	verdict := list + " and " + pull
	if list == "allows the listing" && pull == "allows the pull" {
		verdict = "allows both"
	}
	return "Listing images goes through ecr.api, pulling " + orDefault(m.cfg.SourceTag, "v1") + " through ecr.dkr. The policy in force " + verdict + "." +
		m.listRouteSentence()
}

// unobservable is why the current step cannot be observed from where the
// lab runs (public CloudShell, a laptop: outside the VPC), or "" when it
// can: the DNS step and the proofs then end skipped, not passed.
func (m *Model) unobservable() string {
	switch m.cur {
	case scrDNS, scrPush, scrList:
	default:
		return ""
	}
	if m.place == nil {
		return ""
	}
	return m.place.CannotProve()
}

func (m *Model) finishSentence() string {
	route := "ECR now goes through private endpoints"
	if p := m.place; p != nil && p.Kind.Outside() {
		// Not "DNS was skipped": nobody chose to skip it, and the
		// proofs were not run either. Say where they can be.
		return "The endpoints exist, but from " + p.Kind.Title() + " neither private DNS nor the policy could be observed: those steps are skipped, not passed. " +
			"From a workspace inside the VPC, ecr-vpce-lab test proves them. " + steps.HourlyNote(m.c.Sandbox)
	}
	if m.screens[scrDNS].status == steps.StatusSkipped {
		route = "The endpoints exist, but DNS was skipped, so ECR traffic may still take the public way"
	}
	what := ""
	if t, ok := m.tests[steps.PushTest]; ok {
		if t.Unproven != "" {
			return unprovenFinish(t) + " " + steps.HourlyNote(m.c.Sandbox)
		}
		if t.Outcome.Allowed {
			what = m.keysIn(", and with the policy in force a push went through (press {Policy} to deny it again).")
		} else {
			what = ", and an endpoint policy refused a push your IAM role allows."
		}
	} else {
		what = "."
	}
	return route + what + " " + steps.HourlyNote(m.c.Sandbox)
}

// refusalText explains a refused test: the action AWS refused, the
// statement that decided it and the part of it that matched, and the edit
// that would change the outcome.
func (m *Model) refusalLines(name steps.TestName) []string {
	r, ok := m.refusals[name]
	if !ok {
		return nil
	}
	out := []string{fmt.Sprintf("AWS refused %s, on its way through %s.", r.action, r.endpoint)}
	switch {
	case r.trace == nil:
		out = append(out, "The lab put no policy on "+string(r.endpoint)+", so its full-access default allows this: the refusal comes from elsewhere (your IAM role, the repository's policy, or a policy changed outside the lab).")
		return out
	case !r.agrees():
		out = append(out, "The policy the lab applied allows it ("+r.trace.Summary()+"), so the refusal comes from elsewhere: AWS may still be enforcing the policy it replaced (a change takes a few minutes), DNS may still go the public way, or the policy was changed outside the lab.")
		return out
	}
	tr := r.trace
	if d := tr.Deciding(); len(d) > 0 {
		var parts []string
		for _, e := range []policy.Element{policy.ElementAction, policy.ElementResource, policy.ElementPrincipal} {
			c, ok := d[0].Check(e)
			if ok && c.Matched && c.Value != "" {
				parts = append(parts, fmt.Sprintf("%s %q", c.Written, m.shortARN(c.Value)))
			}
		}
		out = append(out, fmt.Sprintf("Decided by %s (%s), which matched on %s.", d[0].Label, d[0].Effect, strings.Join(parts, ", ")))
	} else {
		var whys []string
		for _, s := range tr.Statements {
			if s.Effect == policy.Allow && len(s.Misses()) > 0 {
				whys = append(whys, s.Label+": "+s.Misses()[0].Why)
			}
		}
		line := "No statement allows it, so AWS refuses it implicitly."
		if len(whys) > 0 {
			line += " " + strings.Join(whys, "; ") + "."
		}
		out = append(out, line)
	}
	if len(tr.Edits) > 0 {
		out = append(out, "To allow it: "+m.editWords(r, tr.Edits[0]))
	}
	return out
}

// shortARN drops the region and account from an ECR ARN of this lab: the
// learner knows them, and the repository is what matters.
func (m *Model) shortARN(s string) string {
	prefix := "arn:" + policy.PartitionOf(m.st.Region) + ":ecr:" + m.st.Region + ":" + m.st.Account + ":"
	if strings.HasPrefix(s, prefix) {
		return "…:" + strings.TrimPrefix(s, prefix)
	}
	return s
}

// editWords says an edit the way the learner would make it: in the form
// when the policy is the form's kind, otherwise in the JSON.
func (m *Model) editWords(r refusal, e policy.Edit) string {
	if r.form {
		return m.keysIn("press {Policy}, untick " + r.action + " under Actions to deny, and apply.")
	}
	return m.keysIn("press {Policy} and, in the JSON, ") + e.Summary + "."
}

// formOf reads a policy the form can show: allow everything, then
// optionally deny some ECR actions on one repository of this account. It
// returns the repository and the denied actions.
func formOf(doc *policy.Document, account, region string) (repo string, deny []string, ok bool) {
	if doc == nil || len(doc.Statements) == 0 || len(doc.Statements) > 2 {
		return "", nil, false
	}
	allow := doc.Statements[0]
	if !isAllowAll(allow) {
		return "", nil, false
	}
	if len(doc.Statements) == 1 {
		return "", nil, true
	}
	d := doc.Statements[1]
	if d.Effect != policy.Deny || d.Principal == nil || !d.Principal.Any || d.NotPrincipal != nil || d.NotAction != nil ||
		d.NotResource != nil || d.Condition != nil || len(d.Resource) != 1 || len(d.Action) == 0 {
		return "", nil, false
	}
	prefix := policy.RepositoryARN(region, account, "")
	if !strings.HasPrefix(d.Resource[0], prefix) {
		return "", nil, false
	}
	repo = strings.TrimPrefix(d.Resource[0], prefix)
	choices := denyChoices()
	for _, a := range d.Action {
		if !contains(choices, a) {
			return "", nil, false
		}
	}
	want, err := policy.Default(account, region, repo, []string(d.Action))
	if err != nil || !policy.Equal(want, doc) {
		return "", nil, false
	}
	return repo, append([]string(nil), d.Action...), true
}

func isAllowAll(s policy.Statement) bool {
	return s.Effect == policy.Allow && s.Principal != nil && s.Principal.Any && s.NotPrincipal == nil &&
		len(s.Action) == 1 && s.Action[0] == "*" && len(s.Resource) == 1 && s.Resource[0] == "*" &&
		s.NotAction == nil && s.NotResource == nil && s.Condition == nil
}
