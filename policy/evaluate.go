package policy

import (
	"strings"
)

// Result is the outcome of evaluating a policy for one request.
type Result string

const (
	ResultAllow        Result = "Allow"
	ResultExplicitDeny Result = "ExplicitDeny"
	ResultImplicitDeny Result = "ImplicitDeny"
)

// Request is one call as a VPC endpoint sees it.
type Request struct {
	Action    string `json:"action"`              // e.g. ecr:PutImage
	Resource  string `json:"resource"`            // e.g. arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine
	Principal string `json:"principal,omitempty"` // the caller's ARN; empty for an anonymous request
	// PrincipalAccount is the caller's account; derived from Principal when empty.
	PrincipalAccount string `json:"principalAccount,omitempty"`
	// Context holds condition keys (case-insensitive names) and their values.
	Context map[string][]string `json:"context,omitempty"`
}

// Type is the type of a policy, as IAM's refusals name it: each evaluates
// the same grammar, but says its refusals in its own words, and an
// identity-based policy has no Principal (it applies to its holder).
type Type string

// The types of policy an ECR request meets.
const (
	// TypeEndpoint is a VPC endpoint policy.
	TypeEndpoint Type = "endpoint"
	// TypeRepository is an ECR repository policy: IAM calls it a
	// resource-based policy.
	TypeRepository Type = "repository"
	// TypeIdentity is the caller's own (IAM role or user) policy.
	TypeIdentity Type = "identity"
)

// Phrase is how IAM's refusals name the type ("with an explicit deny in a
// VPC endpoint policy", "because no resource-based policy allows …"), from
// IAM's "Troubleshoot access denied error messages" page.
func (k Type) Phrase() string {
	switch k {
	case TypeRepository:
		return "resource-based policy"
	case TypeIdentity:
		return "identity-based policy"
	}
	return "VPC endpoint policy"
}

// Label is the type for a person: "endpoint policy", "repository policy".
func (k Type) Label() string {
	switch k {
	case TypeRepository:
		return "repository policy"
	case TypeIdentity:
		return "identity-based (IAM) policy"
	}
	return "endpoint policy"
}

// Decision is the verdict for a request and why.
type Decision struct {
	Result Result `json:"decision"`
	// Type is the type of policy that decided.
	Type Type `json:"type,omitempty"`
	// Statements are the labels (Sid, or Statement[i]) of the statements that
	// decided: every matching Deny for an explicit deny, every matching Allow
	// for an allow, none for an implicit deny.
	Statements []string `json:"statements,omitempty"`
	// Reason is a sentence in the words AWS uses in its error messages.
	Reason string `json:"reason"`
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Result == ResultAllow }

// Evaluate decides a request the way AWS evaluates a VPC endpoint policy: an
// explicit Deny in any matching statement wins; otherwise a matching Allow is
// needed; otherwise the request is implicitly denied.
func Evaluate(doc *Document, req Request) Decision {
	return EvaluateAs(TypeEndpoint, doc, req)
}

// EvaluateAs evaluates a policy of the given type: the same order (an
// explicit Deny wins, an Allow is needed), with the type's words in the
// reason. A nil document allows nothing.
func EvaluateAs(typ Type, doc *Document, req Request) Decision {
	ctx := newEvalContext(req)
	var denies, allows []string
	if doc != nil {
		for i, st := range doc.Statements {
			if !st.matches(req, ctx, doc.Version, typ) {
				continue
			}
			switch st.Effect {
			case Deny:
				denies = append(denies, st.Label(i))
			case Allow:
				allows = append(allows, st.Label(i))
			}
		}
	}
	switch {
	case len(denies) > 0:
		return Decision{Result: ResultExplicitDeny, Type: typ, Statements: denies, Reason: "with an explicit deny in " + article(typ.Phrase()) + " " + typ.Phrase()}
	case len(allows) > 0:
		return Decision{Result: ResultAllow, Type: typ, Statements: allows, Reason: "allowed by the " + typ.Phrase()}
	}
	return Decision{Result: ResultImplicitDeny, Type: typ, Reason: "because no " + typ.Phrase() + " allows the " + req.Action + " action"}
}

// article is "an" before a vowel, as IAM writes "an identity-based policy".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}

// DenialMessage is the sentence AWS returns when a policy refuses a
// request, in the type's words (Decision.Reason), e.g. "User: arn:... is not authorized to perform: ecr:PutImage on
// resource: arn:... with an explicit deny in a VPC endpoint policy".
func DenialMessage(req Request, d Decision) string {
	who := req.Principal
	if who == "" {
		who = "anonymous"
	}
	return "User: " + who + " is not authorized to perform: " + req.Action + " on resource: " + req.Resource + " " + d.Reason
}

// evalContext is the request's condition keys, lower-cased, plus the keys AWS
// derives from the principal.
type evalContext map[string][]string

func newEvalContext(req Request) evalContext {
	ctx := evalContext{}
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	account := req.PrincipalAccount
	if account == "" {
		if a, ok := ParseARN(req.Principal); ok {
			account = a.Account
		}
	}
	setDefault := func(k string, v string) {
		if _, ok := ctx[k]; !ok && v != "" {
			ctx[k] = []string{v}
		}
	}
	setDefault("aws:principalaccount", account)
	setDefault("aws:principalarn", principalARN(req.Principal))
	return ctx
}

// principalARN maps an assumed-role session to its role, which is what
// aws:PrincipalArn holds.
func principalARN(p string) string {
	a, ok := ParseARN(p)
	if !ok || a.Service != "sts" || !strings.HasPrefix(a.Resource, "assumed-role/") {
		return p
	}
	parts := strings.Split(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
	return "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + parts[0]
}

func (c evalContext) get(key string) ([]string, bool) {
	v, ok := c[strings.ToLower(key)]
	return v, ok
}

func (s Statement) matches(req Request, ctx evalContext, version string, typ Type) bool {
	_, ok := s.elements(req, ctx, version, false, typ)
	return ok
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// awsPrincipalMatches compares one "AWS" principal entry with the caller:
// "*" is everyone; an account ID or its root ARN is every principal of that
// account; a role ARN covers that role's sessions.
func awsPrincipalMatches(entry, caller, callerAccount string) bool {
	if entry == "*" {
		return true
	}
	if caller == "" {
		return false
	}
	if isAccountID(entry) {
		return entry == callerAccount
	}
	if a, ok := ParseARN(entry); ok && a.Service == "iam" && a.Resource == "root" {
		return a.Account == callerAccount
	}
	if entry == caller {
		return true
	}
	if a, ok := ParseARN(entry); ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") {
		name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
		return strings.HasPrefix(caller, "arn:"+a.Partition+":sts::"+a.Account+":assumed-role/"+name+"/")
	}
	return false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// substituteVariables replaces ${key} policy variables (version 2012-10-17
// only) with the request's values. A variable whose key is missing makes the
// value unusable, as in AWS.
func substituteVariables(s string, ctx evalContext, version string) (string, bool) {
	if version != "2012-10-17" || !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		def, hasDef := "", false
		if k := strings.Index(name, ","); k >= 0 {
			// ${key, 'default'}
			d := strings.TrimSpace(name[k+1:])
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
			name = strings.TrimSpace(name[:k])
		}
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
		default:
			if v, ok := ctx.get(name); ok && len(v) > 0 {
				b.WriteString(v[0])
			} else if hasDef {
				b.WriteString(def)
			} else {
				return "", false
			}
		}
		s = s[i+j+1:]
	}
}
