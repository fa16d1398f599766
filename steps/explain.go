package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/internal/refusal"
	"ecr-vpce-lab/policy"
)

// "Why was this refused?" — the explain command, and the wizard's trace
// of a refused result. A refusal (as docker, skopeo, crane or the AWS CLI
// printed it) or an operation is read, the policies it met are evaluated
// statement by statement (policy.Authorize with traces), and the answer
// says which policy refused and how, the smallest edit that would change
// the outcome, or, when no endpoint policy can be the cause, where to look.

// ExplainInput is what to explain: a refusal's text, or an operation.
type ExplainInput struct {
	// Text is the refusal as a client printed it.
	Text string
	// Operation and Repo explain a client operation (push, pull, login,
	// list-images, …) instead, or complete a text that lost its sentence.
	Operation string
	Repo      string
	// Policies, when set, are used instead of the live ones: the endpoint
	// policy given for both ECR endpoints (as the lab applies it), and a
	// repository policy.
	EndpointPolicy   *policy.Document
	RepositoryPolicy *policy.Document
	// Source says where those came from ("policy.json"), for the output.
	Source string
}

// Explanation is why a request was (or would be) refused.
type Explanation struct {
	// Input is what was explained, in a line.
	Input string `json:"input"`
	// Kind is what the refusal is: policy, expired-token, missing-repository, …
	Kind string `json:"kind"`
	// Refusal is what the text says, in the words of IAM's sentence.
	Refusal RefusalFacts `json:"refusal"`
	// Endpoint is the ECR endpoint the request travels through (ecr.dkr
	// for the registry, ecr.api for the API), and EndpointID the one that
	// carries it now ("" when none: the public path).
	Endpoint   policy.Endpoint `json:"endpoint,omitempty"`
	EndpointID string          `json:"endpointId,omitempty"`
	// Through: the request meets that endpoint's policy (false: the
	// public path, or no endpoint of the lab's).
	Through bool `json:"through"`
	// EndpointPossible: an endpoint policy can be what refused.
	EndpointPossible bool `json:"endpointPossible"`
	// Request is the request evaluated; Authorization the verdict of every
	// policy it meets, with their traces.
	Request       *policy.Request       `json:"request,omitempty"`
	Authorization *policy.Authorization `json:"authorization,omitempty"`
	// Trace is the trace of the policy that refuses (the one the refusal
	// names, when the lab can read it).
	Trace *policy.Trace `json:"trace,omitempty"`
	// Agrees: the policies in force refuse the request as the text says.
	Agrees bool `json:"agrees"`
	// Edit is the smallest change to that policy that would let the
	// request through, and Diff the edit as a JSON diff.
	Edit *policy.Edit      `json:"edit,omitempty"`
	Diff []policy.DiffLine `json:"diff,omitempty"`
	// Cause says what refused, in a sentence or two.
	Cause string `json:"cause"`
	// Look says where to look when the lab's policies are not the cause.
	Look []string `json:"look,omitempty"`
	// Notes are the assumptions and caveats of the evaluation.
	Notes []string `json:"notes,omitempty"`
	// Source says where the policies evaluated came from.
	Source string `json:"source,omitempty"`
}

// RefusalFacts are the parts of a refusal's text.
type RefusalFacts struct {
	PolicyType string `json:"policyType,omitempty"`
	Deny       string `json:"deny,omitempty"`
	Principal  string `json:"principal,omitempty"`
	Action     string `json:"action,omitempty"`
	Resource   string `json:"resource,omitempty"`
	Repository string `json:"repository,omitempty"`
	Client     string `json:"client,omitempty"`
	Operation  string `json:"operation,omitempty"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
}

// explainPolicies are the policies an explanation evaluates.
type explainPolicies struct {
	endpoints  map[policy.Endpoint]*policy.Document
	endpointID map[policy.Endpoint]string
	// through: the endpoint carries the workspace's requests (available,
	// private DNS, DNS answers privately).
	through    map[policy.Endpoint]bool
	repository *policy.Document
	vpcID      string
	sourceIP   string
	source     string
	notes      []string
}

// ExplainOffline explains without a lab: the policies are the input's own
// (none given means no endpoint policy is known). account and region
// complete a request the text does not name.
func ExplainOffline(in ExplainInput, account, region string) (Explanation, error) {
	return explainOffline(in, account, region, commands{})
}

func explainOffline(in ExplainInput, account, region string, say commands) (Explanation, error) {
	p := explainPolicies{endpoints: map[policy.Endpoint]*policy.Document{}, endpointID: map[policy.Endpoint]string{},
		through: map[policy.Endpoint]bool{}, repository: in.RepositoryPolicy, source: in.Source}
	if in.EndpointPolicy != nil {
		for _, e := range []policy.Endpoint{policy.EndpointDKR, policy.EndpointAPI} {
			p.endpoints[e], p.through[e] = in.EndpointPolicy, true
		}
	}
	return explain(in, p, account, region, "", say)
}

// Explain explains a refusal with the policies in force: the live policies
// of the lab's ECR endpoints (read from EC2, as the tests predict), and the
// repository's policy; or the input's own, when it gives them.
func (l *Lab) Explain(ctx context.Context, in ExplainInput) (Explanation, error) {
	l.op.Lock()
	defer l.op.Unlock()
	st := l.read()
	if in.Repo == "" {
		in.Repo = l.cfg.Repo
	}
	if in.EndpointPolicy != nil || in.RepositoryPolicy != nil {
		return explainOffline(in, st.Account, st.Region, l.commands())
	}
	if r := refusal.Parse(in.Text); strings.TrimSpace(in.Text) != "" && (r.Kind != refusal.Policy && r.Kind != refusal.SentenceLost || notECR(r.Action)) {
		// No policy to read: an expired login, a missing repository, or
		// another service's action (a failed step's EC2 or STS call).
		return explain(in, explainPolicies{}, st.Account, st.Region, st.Caller, l.commands())
	}
	if st.Workspace.VpcID == "" || st.Account == "" {
		return Explanation{}, &problem.Error{Kind: problem.NotReady, Op: "explain", Message: "the lab has not been set up here, so there are no endpoint policies to read",
			Fix: "run '" + l.labCmd("up") + "' first, or give the policy to evaluate with --policy FILE"}
	}
	p := explainPolicies{endpoints: map[policy.Endpoint]*policy.Document{}, endpointID: map[policy.Endpoint]string{}, through: map[policy.Endpoint]bool{},
		vpcID: st.Workspace.VpcID}
	hosts := l.cloud.LabHosts(st.Account)
	hostOf := map[string]string{EndpointDKR: hosts[0], EndpointAPI: hosts[1]}
	var sources []string
	for _, key := range []string{EndpointDKR, EndpointAPI} {
		eps, err := l.cloud.FindEndpoints(ctx, st.Workspace.VpcID, l.cloud.ServiceName(key))
		if err != nil {
			return Explanation{}, err
		}
		e := policy.Endpoint(key)
		for _, ep := range eps {
			if !ep.PrivateDNS || !ep.Available() {
				continue
			}
			p.endpointID[e] = ep.ID
			if lk, err := l.cloud.LookupHost(ctx, hostOf[key], l.privacy(st)(hostOf[key])); err == nil && !lk.Private() {
				p.notes = append(p.notes, hostOf[key]+" still resolves to a public address, so the workspace's "+key+" requests bypass "+ep.ID+" and its policy")
				break
			}
			p.through[e] = true
			if ep.Policy == "" {
				sources = append(sources, key+" "+ep.ID+" (AWS's default: full access)")
				break
			}
			doc, err := readPretty(ep.Policy)
			if err != nil {
				p.notes = append(p.notes, fmt.Sprintf("cannot read the policy of %s: %v", ep.ID, err))
				break
			}
			p.endpoints[e] = doc
			sources = append(sources, key+" "+ep.ID)
		}
		if p.endpointID[e] == "" {
			sources = append(sources, key+": no endpoint with private DNS in "+st.Workspace.VpcID+" (the public path)")
		}
	}
	repo := in.Repo
	if r := refusal.Parse(in.Text); r.Repository != "" {
		repo = r.Repository
	}
	if text, ok, err := l.cloud.GetRepositoryPolicy(ctx, repo); err != nil {
		p.notes = append(p.notes, "the repository policy of "+repo+" could not be read ("+err.Error()+"): it is left out")
	} else if ok {
		doc, perr := readPretty(text)
		if perr != nil {
			p.notes = append(p.notes, "cannot read the repository policy of "+repo+": "+perr.Error())
		} else {
			p.repository = doc
			sources = append(sources, "the repository policy of "+repo)
		}
	}
	p.source = "live: " + strings.Join(sources, "; ")
	principal := st.Caller
	return explain(in, p, st.Account, st.Region, principal, l.commands())
}

// readPretty parses a policy AWS holds as it is shown (indented), so the
// trace's line numbers point into what the learner sees.
func readPretty(text string) (*policy.Document, error) {
	doc, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	return policy.Parse(doc.Pretty())
}

// IsRefusal reports whether a text holds a refusal explain can read (a
// policy's sentence, an expired login, a missing repository…).
func IsRefusal(text string) bool { return refusal.Parse(text).IsRefusal() }

// labIdentity stands for the workspace role's own policy, which the lab
// cannot read: it allows what the lab does (preflight checks it).
var labIdentity = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

// CheckExplainInput refuses an input explain cannot read, with no policy
// or AWS call needed to tell: the command says so before it asks for
// credentials, which would otherwise be the first thing to fix.
func CheckExplainInput(in ExplainInput) error {
	if strings.TrimSpace(in.Text) == "" && in.Operation == "" {
		return &problem.Error{Kind: problem.Invalid, Op: "explain", Message: "nothing to explain",
			Fix: "paste the refusal (as an argument, in a file, or on standard input), or name an operation with --op push --repo team-a/alpine"}
	}
	if strings.TrimSpace(in.Text) != "" && !IsRefusal(in.Text) {
		return &problem.Error{Kind: problem.Invalid, Op: "explain", Message: "this text holds no refusal the lab recognises (no \"is not authorized to perform\" sentence, no registry error)",
			Fix: "paste the whole error as the client printed it, or explain the operation instead: --op push --repo team-a/alpine"}
	}
	return nil
}

func explain(in ExplainInput, p explainPolicies, account, region, caller string, say commands) (Explanation, error) {
	r := refusal.Parse(in.Text)
	out := Explanation{Source: p.source, Notes: p.notes}
	if err := CheckExplainInput(in); err != nil {
		return out, err
	}
	out.Input = oneLine(in.Text)
	if out.Input == "" {
		out.Input = in.Operation + " " + in.Repo
	}
	out.Kind = string(r.Kind)
	if strings.TrimSpace(in.Text) == "" {
		out.Kind = "operation"
	}
	out.Refusal = RefusalFacts{PolicyType: string(r.PolicyType), Deny: string(r.Deny), Principal: r.Principal, Action: r.Action, Resource: r.Resource,
		Repository: r.Repository, Client: r.Client, Operation: r.Operation, Code: r.Code, Message: r.Message}
	out.EndpointPossible = r.EndpointPossible() || out.Kind == "operation"
	if r.Account != "" {
		account = r.Account
	}
	if r.Region != "" {
		region = r.Region
	}
	repo := r.Repository
	if repo == "" {
		repo = in.Repo
	}
	if repo == "" {
		repo = policy.DefaultRepository
	}
	principal := r.Principal
	if principal == "" {
		principal = caller
	}
	if principal == "" && account != "" {
		principal = policy.LabPrincipal(account)
	}

	if cause, look, ok := notAPolicy(r.Kind, account, region, repo, say); ok {
		out.Cause, out.Look = cause, look
		return out, nil
	}

	if notECR(r.Action) {
		// A step's call to EC2, STS or IAM: it never meets an ECR
		// endpoint's policy or a repository's.
		out.EndpointPossible = r.PolicyType == refusal.Endpoint
		out.Cause, out.Look = otherService(r, principal, region, say)
		return out, nil
	}

	// A policy refusal, or one that lost its sentence, or an operation:
	// find the request and evaluate the policies it meets.
	actions := []string{}
	if r.Action != "" {
		actions = append(actions, r.Action)
	} else if op := firstNonEmpty(in.Operation, r.Operation); op != "" {
		steps, ok := operationSteps(op)
		if !ok {
			return out, &problem.Error{Kind: problem.Invalid, Op: "explain", Message: fmt.Sprintf("unknown operation %q", op),
				Fix: "choose one of " + strings.Join(ChallengeOperationNames(), ", ")}
		}
		if op == "push" || op == "pull" {
			actions = append(actions, "ecr:GetAuthorizationToken")
		}
		for _, s := range steps {
			actions = append(actions, s.Action)
		}
	}
	if len(actions) == 0 {
		out.Cause = "The client was refused, but its output does not say which request was."
		out.Look = []string{"run the command again and explain the operation: " + say.lab("explain --op push --repo "+repo)}
		return out, nil
	}
	var chosen *policy.Authorization
	var chosenReq policy.Request
	var steps []string
	for _, action := range actions {
		req := policy.RequestFor(action, repo, account, region, principal)
		if r.Resource != "" && action == r.Action {
			req.Resource = r.Resource
		}
		// The caller's account is its own, not the repository's.
		req.PrincipalAccount = ""
		if a, ok := policy.ParseARN(principal); ok {
			req.PrincipalAccount = a.Account
		}
		e := policy.EndpointOf(action)
		req.Context = requestContextFor(req, p, e, region)
		pol := policy.Policies{ThroughEndpoint: p.through[e], Endpoint: p.endpoints[e], Repository: p.repository, Identity: labIdentity, ResourceAccount: account}
		a := policy.Authorize(pol, req, true)
		chosen, chosenReq = &a, req
		out.Endpoint, out.EndpointID, out.Through = e, p.endpointID[e], p.through[e]
		via := string(e)
		if id := p.endpointID[e]; id != "" && p.through[e] {
			via += " " + id
		} else {
			via += ", public path"
		}
		steps = append(steps, action+" ("+via+")")
		if !a.Allowed {
			break
		}
	}
	out.Request, out.Authorization = &chosenReq, chosen
	out.Notes = append(out.Notes, assumedKeys(chosen, chosenReq)...)
	if arn, ok := policy.ParseARN(chosenReq.Principal); ok && arn.Account != "" && account != "" && arn.Account != account {
		out.Notes = append(out.Notes, "the caller ("+arn.Account+") is not of the repository's account ("+account+"): both the repository policy and the caller's own IAM policy must allow it")
	}
	out.Notes = append(out.Notes, "the caller's own IAM policy is taken to allow what the lab does (the lab cannot read it)")

	named := policyTypeOf(string(r.PolicyType))
	switch {
	case r.Kind == refusal.Policy && !r.EndpointPossible() && named != policy.TypeRepository:
		out.Agrees = false
		out.Cause, out.Look = elsewhere(r, chosenReq, account, region, say)
		if !chosen.Allowed {
			out.Notes = append(out.Notes, "the lab's policies refuse it too: "+chosen.Message)
		}
		return out, nil
	case named == policy.TypeRepository && p.repository == nil:
		out.Cause = fmt.Sprintf("ECR says a resource-based policy refused %s: the repository policy of %s. The lab could not read one.", chosenReq.Action, repo)
		out.Look = []string{say.aws("ecr get-repository-policy --repository-name " + repo + " --region " + orRegion(region))}
		if r.Deny == refusal.Implicit {
			out.Look = append(out.Look, "a principal of another account needs the repository policy to allow it by name (and its own IAM policy too)")
		}
		return out, nil
	}
	if chosen.Allowed {
		out.Cause = allowedCause(out, chosenReq, r)
		if len(steps) > 1 {
			out.Cause = "The policies in force allow every step of " + in.Operation + ": " + strings.Join(steps, ", ") + "."
		}
		out.Look = []string{"the caller's IAM policies: " + say.aws("iam list-attached-role-policies --role-name "+roleOf(chosenReq.Principal)) + " (and list-role-policies)"}
		if r.Kind == refusal.SentenceLost {
			out.Look = append([]string{"the client lost AWS's reason (a HEAD answer has no body; docker's containerd image store drops it): explain the operation with --op " +
				orOp(firstNonEmpty(in.Operation, r.Operation)) + " --repo " + repo}, out.Look...)
		}
		return out, nil
	}
	out.Agrees = true
	out.Trace = chosen.Deciding()
	decided := chosen.Type
	// The policy the sentence names, when it refuses too, is the one to
	// explain: AWS names one of the policies that refuse.
	if t := chosen.Trace(named); r.Kind == refusal.Policy && r.PolicyType != refusal.Unnamed && named != chosen.Type && t != nil && !t.Decision.Allowed() {
		if d := chosen.Deciding(); d != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("the %s refuses it too: %s", chosen.Type.Label(), d.Summary()))
		}
		out.Trace, decided = t, named
	} else if r.Kind == refusal.Policy && r.PolicyType != refusal.Unnamed && named != chosen.Type {
		out.Notes = append(out.Notes, fmt.Sprintf("ECR named a %s, but the lab finds the %s refusing it: when several policies refuse, AWS names one of them", r.PolicyType, chosen.Type.Phrase()))
	}
	out.Cause = refusedCause(out.Trace, decided, chosen.Message, chosenReq, out)
	if out.Trace != nil && r.Deny != refusal.Unsaid && string(r.Deny) != denyOf(out.Trace.Decision.Result) {
		out.Notes = append(out.Notes, fmt.Sprintf("ECR's sentence says the deny was %s; the policy the lab reads now refuses it %sly: it changed since, or the lab reads another",
			r.Deny, denyOf(out.Trace.Decision.Result)))
	}
	if out.Trace != nil && len(out.Trace.Edits) > 0 {
		e := out.Trace.Edits[0]
		out.Edit = &e
		doc := p.endpoints[out.Endpoint]
		if out.Trace.Type == policy.TypeRepository {
			doc = p.repository
		}
		out.Diff = policy.Diff(doc, e.Policy)
	}
	if chosen.Type == policy.TypeIdentity {
		out.Look = []string{"the caller's IAM policies: " + say.aws("iam list-attached-role-policies --role-name ROLE") + ", and " + say.aws("iam simulate-principal-policy")}
	}
	return out, nil
}

// notAPolicy is the cause of a refusal no policy decided (an expired or
// missing login, a missing repository or image, throttling...) and what to
// do about it; ok is false for a refusal a policy may have decided.
func notAPolicy(kind refusal.Kind, account, region, repo string, say commands) (cause string, look []string, ok bool) {
	switch kind {
	case refusal.ExpiredToken:
		return "The registry login has expired: a token from GetAuthorizationToken lasts 12 hours, or only as long as the temporary credentials it came from. No policy refused anything.",
			[]string{"log in again: " + dockerLogin(account, region, say)}, true
	case refusal.InvalidToken:
		return "The registry did not accept the login token: it was not issued for this registry (another account or region), or it was garbled. No policy refused anything.",
			[]string{"log in with a token of this registry's account and region: " + say.aws("ecr get-login-password --region "+orRegion(region))}, true
	case refusal.NoLogin:
		return "The registry was sent no login at all (HTTP 401). No policy refused anything.",
			[]string{"log in first: " + dockerLogin(account, region, say)}, true
	case refusal.ExpiredSession:
		return "The AWS credentials themselves have expired (an STS session), before any policy was looked at.",
			[]string{"on an EC2 workspace or in CloudShell the credentials renew by themselves within minutes: run the command again",
				"with a profile or AWS SSO, log in again (" + say.aws("sso login") + "); exported AWS_SESSION_TOKEN values must be replaced by fresh ones",
				"check which credentials are used and until when: " + say.aws("sts get-caller-identity") + ", " + say.aws("configure list")}, true
	case refusal.InvalidCredentials:
		return "AWS does not know these credentials (the access key), so no policy was looked at.",
			[]string{"check AWS_ACCESS_KEY_ID / AWS_PROFILE: " + say.aws("sts get-caller-identity")}, true
	case refusal.MissingRepository:
		return fmt.Sprintf("The repository %s does not exist in the registry of account %s: ECR answers that before it looks at any policy, and does not create repositories on push.", orUnknown(repo), orUnknown(account)),
			[]string{"check the repository's name, the account and the region: " + say.aws("ecr describe-repositories --region "+orRegion(region)),
				"create it if it should exist: " + say.aws("ecr create-repository --repository-name "+orUnknown(repo))}, true
	case refusal.MissingImage:
		return "The repository exists but has no image with that tag or digest. No policy refused anything.",
			[]string{"list its tags: " + say.aws("ecr list-images --repository-name "+orUnknown(repo))}, true
	case refusal.MissingRepositoryPolicy:
		return "The repository has no repository policy, so there is none to read. Not a refusal: only the endpoint and IAM policies apply to it.", nil, true
	case refusal.Throttled:
		return "AWS is throttling the requests (too many at once). No policy refused anything.",
			[]string{"wait a minute and try again; in a workshop, stagger the learners' pushes"}, true
	}
	return "", nil, false
}

// dockerLogin is the command that logs docker in to the registry.
func dockerLogin(account, region string, say commands) string {
	host := registryHost(account, region)
	if say.registry != "" {
		host = say.registry
	}
	return say.aws("ecr get-login-password --region "+orRegion(region)) + " | docker login --username AWS --password-stdin " + host
}

func denyOf(r policy.Result) string {
	if r == policy.ResultExplicitDeny {
		return string(refusal.Explicit)
	}
	return string(refusal.Implicit)
}

// requestContextFor is the request context the request would carry, as
// far as the lab knows it: through an endpoint its ID, the VPC and the
// workspace's private address; always HTTPS and the region.
func requestContextFor(req policy.Request, p explainPolicies, e policy.Endpoint, region string) map[string][]string {
	ctx := map[string][]string{"aws:SecureTransport": {"true"}}
	if region != "" {
		ctx["aws:RequestedRegion"] = []string{region}
	}
	if p.through[e] && p.endpointID[e] != "" {
		ctx["aws:SourceVpce"] = []string{p.endpointID[e]}
		if p.vpcID != "" {
			ctx["aws:SourceVpc"] = []string{p.vpcID}
		}
		if p.sourceIP != "" {
			ctx["aws:VpcSourceIp"] = []string{p.sourceIP}
		}
	}
	return ctx
}

// assumedKeys notes the condition keys a trace looked for and the lab does
// not know (aws:PrincipalOrgID, tags): AWS knows them.
func assumedKeys(a *policy.Authorization, req policy.Request) []string {
	missing := map[string]bool{}
	for _, tr := range []*policy.Trace{a.Endpoint, a.Repository} {
		if tr == nil {
			continue
		}
		for _, s := range tr.Statements {
			if c, ok := s.Check(policy.ElementCondition); ok && !c.Matched && strings.Contains(c.Why, "the request has no ") {
				key := c.Why[strings.LastIndex(c.Why, "the request has no ")+len("the request has no "):]
				missing[key] = true
			}
		}
	}
	var out []string
	for k := range missing {
		out = append(out, "the lab does not know the request's "+k+"; the trace takes it as absent, AWS knows it")
	}
	sort.Strings(out)
	return out
}

func policyTypeOf(t string) policy.Type {
	switch refusal.PolicyType(t) {
	case refusal.Resource:
		return policy.TypeRepository
	case refusal.Identity:
		return policy.TypeIdentity
	}
	return policy.TypeEndpoint
}

// elsewhere says where to look when the refusal names a policy the lab
// does not hold.
func elsewhere(r refusal.Refusal, req policy.Request, account, region string, say commands) (string, []string) {
	what := req.Action + " was refused by " + article(string(r.PolicyType))
	switch r.Deny {
	case refusal.Explicit:
		what = req.Action + " was refused by an explicit deny in " + article(string(r.PolicyType))
	case refusal.Implicit:
		what = req.Action + " was refused because no " + string(r.PolicyType) + " allows it"
	}
	cause := what + ". That is not an endpoint policy, so changing the lab's endpoint policy cannot fix it."
	role := roleOf(req.Principal)
	switch refusal.PolicyType(r.PolicyType) {
	case refusal.Identity:
		return cause, []string{
			"the caller's IAM policies: " + say.aws("iam list-attached-role-policies --role-name "+role) + " and " + say.aws("iam list-role-policies --role-name "+role),
			"test a change before you make it: " + say.aws("iam simulate-principal-policy --policy-source-arn "+roleARN(req.Principal)+" --action-names "+req.Action),
		}
	case refusal.SCP, refusal.RCP, refusal.EndpointViaSCP:
		return cause, []string{"the organization's service or resource control policies, in AWS Organizations (ask the account's administrators): " + say.aws("organizations list-policies-for-target --target-id "+orUnknown(account)+" --filter SERVICE_CONTROL_POLICY")}
	case refusal.Boundary:
		return cause, []string{"the role's permissions boundary: " + say.aws("iam get-role --role-name "+role+" --query Role.PermissionsBoundary")}
	case refusal.Session:
		return cause, []string{"the session policy passed when the role was assumed (the Policy or PolicyArns of sts:AssumeRole): start a session without it"}
	case refusal.Trust:
		return cause, []string{"the role's trust policy: " + say.aws("iam get-role --role-name "+role+" --query Role.AssumeRolePolicyDocument")}
	}
	return cause, nil
}

// notECR reports whether an action is another service's (ec2:…, sts:…):
// the lab's ECR endpoints never carry its requests.
func notECR(action string) bool {
	svc, _, ok := strings.Cut(action, ":")
	return ok && svc != "" && !strings.EqualFold(svc, "ecr")
}

// otherService explains a refusal of another service's action: which
// policy refused it, and where to look. A VPC endpoint policy there is
// that service's endpoint's (an ec2 interface endpoint in the VPC), not
// the lab's.
func otherService(r refusal.Refusal, principal, region string, say commands) (string, []string) {
	svc, _, _ := strings.Cut(r.Action, ":")
	cause := fmt.Sprintf("%s is an action of %s, not of ECR: its requests never pass through the lab's ECR endpoints, so neither their policies nor a repository policy can have refused it.",
		r.Action, strings.ToUpper(svc))
	req := policy.Request{Action: r.Action, Principal: principal}
	role := roleOf(principal)
	iam := []string{
		"the caller's IAM policies: " + say.aws("iam list-attached-role-policies --role-name "+role) + " and " + say.aws("iam list-role-policies --role-name "+role),
		"the permissions the lab needs, as an IAM policy: docs/iam-policy.json (up's preflight checks them)",
	}
	switch refusal.PolicyType(r.PolicyType) {
	case refusal.Endpoint:
		what := "no VPC endpoint policy allows it"
		if r.Deny == refusal.Explicit {
			what = "an explicit deny in a VPC endpoint policy refuses it"
		}
		return cause + " AWS says " + what + ": the policy of " + article(svc) + " endpoint of your VPC, not one of the lab's.",
			[]string{"the VPC's endpoints for " + svc + " and their policies: " + say.aws("ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws."+orRegion(region)+"."+svc)}
	case refusal.Unnamed:
		return cause + " The sentence does not say which policy refused it; most often it is the caller's IAM policy.", iam
	}
	why, look := elsewhere(r, req, "", region, say)
	if len(look) == 0 {
		look = iam
	}
	// elsewhere's first sentence says which policy refused.
	first, _, _ := strings.Cut(why, ". ")
	return cause + " " + first + ".", look
}

func allowedCause(out Explanation, req policy.Request, r refusal.Refusal) string {
	where := "the public path, which no endpoint policy sees"
	switch {
	case out.Through && out.EndpointID != "":
		where = string(out.Endpoint) + " endpoint " + out.EndpointID
	case out.Through:
		where = string(out.Endpoint) + ", with the endpoint policy given"
	}
	s := fmt.Sprintf("The policies in force allow %s on %s (through %s).", req.Action, req.Resource, where)
	switch {
	case r.Kind == refusal.Policy && r.PolicyType == refusal.Endpoint:
		return s + " ECR said a VPC endpoint policy refused it: the policy has changed since (changes take a few minutes to reach every request), or the request went through another VPC's endpoint."
	case r.Kind == refusal.Policy:
		return s + " So the refusal came from a policy the lab cannot read: the caller's IAM policies, a permissions boundary, or the organization's control policies."
	}
	return s + " If the client was refused, the reason lies outside these policies."
}

func refusedCause(tr *policy.Trace, t policy.Type, message string, req policy.Request, out Explanation) string {
	kind := t.Label()
	where := ""
	if t == policy.TypeEndpoint && out.EndpointID != "" {
		kind += " of " + out.EndpointID
		where = " (" + string(out.Endpoint) + ")"
	}
	if tr == nil {
		return fmt.Sprintf("%s is refused: %s.", req.Action, message)
	}
	if tr.Decision.Result == policy.ResultExplicitDeny {
		return fmt.Sprintf("The %s%s refuses %s with an explicit deny: %s.", kind, where, req.Action, tr.Summary())
	}
	return fmt.Sprintf("The %s%s refuses %s implicitly: no statement allows it.", kind, where, req.Action)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "…"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func orRegion(r string) string {
	if r == "" {
		return "REGION"
	}
	return r
}

func orOp(op string) string {
	if op == "" {
		return "push"
	}
	return op
}

func registryHost(account, region string) string {
	if account == "" {
		account = "ACCOUNT"
	}
	return account + ".dkr.ecr." + orRegion(region) + "." + policy.DNSSuffix(orRegion(region))
}

func article(phrase string) string {
	if phrase == "" {
		return "a policy"
	}
	if strings.ContainsRune("aeiou", rune(phrase[0])) {
		return "an " + phrase
	}
	return "a " + phrase
}

// roleOf is the role name of a session ARN (ROLE when unknown).
func roleOf(arn string) string {
	if a, ok := policy.ParseARN(arn); ok {
		parts := strings.Split(a.Resource, "/")
		if len(parts) >= 2 && (parts[0] == "assumed-role" || parts[0] == "role") {
			return parts[1]
		}
	}
	return "ROLE"
}

func roleARN(arn string) string {
	if a, ok := policy.ParseARN(arn); ok && a.Service == "sts" {
		return "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + roleOf(arn)
	}
	return arn
}
