package policy

// How the policies an ECR request meets combine (IAM "Policy evaluation
// logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
// ECR "Private repository policies", awsdocs/amazon-ecr-user-guide
// repository-policies.md; PrivateLink "Control access to VPC endpoints
// using endpoint policies"):
//
//  1. An explicit Deny in any of them refuses.
//  2. A request that travels through a VPC endpoint also needs its policy
//     to allow; a request on the public path never meets one. An endpoint
//     policy "does not override or replace identity-based policies or
//     resource-based policies".
//  3. Within one account the caller needs an allow from its identity-based
//     policy or from the repository policy, either one ("a user or role
//     only needs to be allowed permission for an action through either a
//     repository policy or an IAM policy but not both").
//  4. Across accounts it needs both.
//  5. ecr:GetAuthorizationToken acts on no repository: only an
//     identity-based policy can allow it.
//
// When several policies refuse, AWS names one of them in its sentence, and
// which one is not documented ("AWS includes only one of those policy
// types"). The lab names them in a fixed order: the endpoint's policy,
// then the repository's, then the caller's own.

// Policies are the policies an ECR request meets.
type Policies struct {
	// ThroughEndpoint says the request travels through a VPC endpoint of
	// its service (ecr.dkr or ecr.api); Endpoint is that endpoint's policy
	// (nil: AWS's default, which allows everything).
	ThroughEndpoint bool
	Endpoint        *Document
	// Repository is the policy of the repository the request acts on (nil:
	// none).
	Repository *Document
	// Identity is the caller's identity-based policy (nil: it allows
	// nothing).
	Identity *Document
	// ResourceAccount owns the repository; a caller of another account
	// needs the repository policy's allow too. Empty means the caller's
	// own account.
	ResourceAccount string
}

// Authorization is the verdict of every policy on one request.
type Authorization struct {
	Request Request `json:"request"`
	Allowed bool    `json:"allowed"`
	// Result and Type: how it was refused (an explicit or implicit deny)
	// and the type of policy AWS names in its sentence.
	Result Result `json:"result"`
	Type   Type   `json:"type,omitempty"`
	// Message is AWS's sentence for a refusal.
	Message string `json:"message,omitempty"`
	// The traces of the policies evaluated: the endpoint's when the
	// request went through one (and it has a policy of its own), the
	// repository's when it has one, the caller's own.
	Endpoint   *Trace `json:"endpoint,omitempty"`
	Repository *Trace `json:"repository,omitempty"`
	Identity   *Trace `json:"identity,omitempty"`
}

// Trace returns the trace of the policy of type t, or nil.
func (a Authorization) Trace(t Type) *Trace {
	switch t {
	case TypeEndpoint:
		return a.Endpoint
	case TypeRepository:
		return a.Repository
	case TypeIdentity:
		return a.Identity
	}
	return nil
}

// Deciding is the trace of the policy that refused (nil when allowed or
// when that policy is AWS's default).
func (a Authorization) Deciding() *Trace {
	if a.Allowed {
		return nil
	}
	return a.Trace(a.Type)
}

// Authorize decides req against every policy it meets, as AWS does for an
// ECR request. Explaining is costly (traces, edits): explain=false gives
// the verdict alone, as the sandbox needs for every request.
func Authorize(p Policies, req Request, explain bool) Authorization {
	a := Authorization{Request: req}
	eval := func(t Type, doc *Document) (Decision, *Trace) {
		if explain {
			tr := ExplainAs(t, doc, req)
			return tr.Decision, &tr
		}
		return EvaluateAs(t, doc, req), nil
	}
	var ep, repo, id Decision
	epAllows := true
	if p.ThroughEndpoint && p.Endpoint != nil {
		ep, a.Endpoint = eval(TypeEndpoint, p.Endpoint)
		epAllows = ep.Allowed()
	}
	// The login acts on no repository: a repository policy never meets it.
	onRepo := req.Resource != "*" && req.Resource != ""
	if p.Repository != nil && onRepo {
		repo, a.Repository = eval(TypeRepository, p.Repository)
	} else {
		repo = Decision{Result: ResultImplicitDeny, Type: TypeRepository, Reason: "because no " + TypeRepository.Phrase() + " allows the " + req.Action + " action"}
	}
	id, a.Identity = eval(TypeIdentity, p.Identity)

	refuse := func(d Decision) Authorization {
		a.Allowed, a.Result, a.Type = false, d.Result, d.Type
		a.Message = DenialMessage(req, d)
		return a
	}
	// 1. An explicit deny anywhere.
	for _, d := range []Decision{ep, repo, id} {
		if d.Result == ResultExplicitDeny {
			return refuse(d)
		}
	}
	// 2. The endpoint must allow.
	if !epAllows {
		return refuse(ep)
	}
	// 3 and 4. The caller's own account, or another's.
	account := req.PrincipalAccount
	if account == "" {
		if arn, ok := ParseARN(req.Principal); ok {
			account = arn.Account
		}
	}
	cross := p.ResourceAccount != "" && account != p.ResourceAccount && onRepo
	switch {
	case cross && !repo.Allowed():
		return refuse(repo)
	case cross && !id.Allowed():
		return refuse(id)
	case !cross && !id.Allowed() && !repo.Allowed():
		return refuse(id)
	}
	a.Allowed, a.Result = true, ResultAllow
	return a
}
