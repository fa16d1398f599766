package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"ecr-vpce-lab/policy"
)

// Who may do what. The workspace's own credentials may do everything the
// lab needs but what a --fault-deny-action takes away (the learner's role
// is not modelled statement by statement). A session of a role the world
// knows (EventBridge Scheduler's execution role, an assumed
// OrganizationAccountAccessRole) may do exactly what the role's policies
// allow: its inline policies and managed AdministratorAccess, evaluated by
// the lab's policy engine as IAM evaluates identity-based policies (an
// explicit deny wins, an allow is needed; IAM "Policy evaluation logic").

// roleSession is the temporary identity of an assumed role.
type roleSession struct {
	Creds   Credentials
	Account string
	Role    string // the role's name
	Path    string
	Name    string // the session name
	Expires time.Time
	// Part is the ARN partition (empty: aws).
	Part string `json:",omitempty"`
}

func (r roleSession) partition() string {
	if r.Part == "" {
		return "aws"
	}
	return r.Part
}

// arn is the session's ARN, as IAM's sentences name the caller.
func (r roleSession) arn() string {
	return "arn:" + r.partition() + ":sts::" + r.Account + ":assumed-role/" + r.Role + "/" + r.Name
}

// sessionBook holds the sessions of the hub's roles, of any account.
type sessionBook struct{ keyBook[roleSession] }

func (b *sessionBook) add(r roleSession) { b.put(r.Creds.AccessKeyID, r, 0) }

// keysOf lists the session keys of an account.
func (b *sessionBook) keysOf(account string) []Credentials {
	var out []Credentials
	for _, r := range b.all() {
		if r.Account == account {
			out = append(out, r.Creds)
		}
	}
	return out
}

// newRoleSession makes the keys of a new session of role.
func newRoleSession(part, account string, role *iamRole, name string, expires time.Time) roleSession {
	var b [48]byte
	_, _ = rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return roleSession{
		Creds: Credentials{AccessKeyID: "ASIA" + h[:16], SecretAccessKey: strings.ToLower(h[16:56]),
			SessionToken: "IQoJb3JpZ2luX2VjE" + base64.RawStdEncoding.EncodeToString(b[:])},
		Account: account, Role: role.Name, Path: role.Path, Name: name, Expires: expires, Part: part,
	}
}

// perms is what a caller may do.
type perms struct {
	// arn names the caller in refusals.
	arn string
	// workspace: the learner's own credentials (all but the denied).
	workspace bool
	denied    func(service, action string) bool
	// docs are a role's identity-based policies.
	docs []*policy.Document
}

// allowAll is AdministratorAccess.
var allowAll = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

// decide evaluates one request of the caller.
func (p perms) decide(action, resource string, ctx map[string][]string) policy.Decision {
	if p.workspace {
		svc, name, _ := strings.Cut(action, ":")
		if p.denied != nil && p.denied(svc, name) {
			return policy.Decision{Result: policy.ResultImplicitDeny, Reason: "because no identity-based policy allows the " + action + " action"}
		}
		return policy.Decision{Result: policy.ResultAllow, Reason: "allowed by an identity-based policy"}
	}
	return evaluateIdentity(p.docs, policy.Request{Action: action, Resource: resource, Principal: p.arn, Context: ctx})
}

// evaluateIdentity evaluates a principal's identity-based policies
// together: an explicit deny in any wins, an allow in any is enough.
func evaluateIdentity(docs []*policy.Document, req policy.Request) policy.Decision {
	var denies, allows []string
	for _, d := range docs {
		switch dec := policy.EvaluateAs(policy.TypeIdentity, d, req); dec.Result {
		case policy.ResultExplicitDeny:
			denies = append(denies, dec.Statements...)
		case policy.ResultAllow:
			allows = append(allows, dec.Statements...)
		}
	}
	switch {
	case len(denies) > 0:
		return policy.Decision{Result: policy.ResultExplicitDeny, Type: policy.TypeIdentity, Statements: denies, Reason: "with an explicit deny in an identity-based policy"}
	case len(allows) > 0:
		return policy.Decision{Result: policy.ResultAllow, Type: policy.TypeIdentity, Statements: allows, Reason: "allowed by an identity-based policy"}
	}
	return policy.Decision{Result: policy.ResultImplicitDeny, Type: policy.TypeIdentity, Reason: "because no identity-based policy allows the " + req.Action + " action"}
}

// rolePerms is what a session of role may do.
func rolePerms(arn string, r *iamRole) perms {
	p := perms{arn: arn}
	for _, a := range r.Attached {
		if a == administratorAccess {
			p.docs = append(p.docs, allowAll)
		}
	}
	for _, in := range r.Inline {
		if d, err := policy.Parse([]byte(in.Document)); err == nil {
			p.docs = append(p.docs, d)
		}
	}
	return p
}

// callerPerms is what the signer of a request may do.
func (s *Sandbox) callerPerms(accessKey string) perms {
	if rs, ok := s.hub.sessions.get(accessKey); ok {
		if r := s.hub.role(rs.Account, rs.Role); r != nil {
			return rolePerms(rs.arn(), r)
		}
		// The role was deleted: its sessions may do nothing.
		return perms{arn: rs.arn()}
	}
	var caller string
	s.read(func(w *world) { caller = w.callerARN() })
	return perms{arn: caller, workspace: true, denied: s.opts.Faults.denies}
}

// identityOf is the principal an IAM ARN names (for the policy simulator):
// the workspace's role or user, or a role of the account.
func (s *Sandbox) identityOf(w *world, arn string) (perms, *APIError) {
	caller := w.callerARN()
	// IAM is global: the world answering it may stand in another
	// partition's region than the caller's (GovCloud, China), so the
	// caller is recognised whatever partition its ARN names.
	if samePrincipal(arn, caller) || samePrincipal(arn, principalARNOf(caller)) {
		return perms{arn: caller, workspace: true, denied: s.opts.Faults.denies}, nil
	}
	acct, name, ok := roleARNOf(arn)
	if !ok {
		return perms{}, iamInvalid("Invalid ARN: %s. The ARN must be of a user, group or role.", arn)
	}
	if acct != w.Account {
		return perms{}, noSuchRole(name)
	}
	r := w.role(name)
	if r == nil {
		return perms{}, noSuchRole(name)
	}
	return rolePerms(arn, r), nil
}

// samePrincipal reports whether two ARNs name the same principal, their
// partitions aside.
func samePrincipal(a, b string) bool {
	pa, pb := strings.SplitN(a, ":", 3), strings.SplitN(b, ":", 3)
	if len(pa) != 3 || len(pb) != 3 {
		return a == b
	}
	return pa[0] == pb[0] && pa[2] == pb[2]
}

// refuseCaller refuses a request its signer may not make, in the words of
// the service; nil lets it through.
func (s *Sandbox) refuseCaller(c *apiCall, service, action, resource string) *APIError {
	p := s.callerPerms(c.accessKey)
	act := service + ":" + action
	d := p.decide(act, resource, nil)
	if d.Allowed() {
		return nil
	}
	return refusal(service, p.arn, act, resource, d.Reason)
}

// refusal is AWS's refusal of act on resource by caller, as service words it.
func refusal(service, caller, act, resource, reason string) *APIError {
	on := ""
	if resource != "" {
		on = " on resource: " + resource
	}
	sentence := fmt.Sprintf("User: %s is not authorized to perform: %s%s %s", caller, act, on, reason)
	switch service {
	case "ec2":
		detail := fmt.Sprintf(`{"allowed":false,"explicitDeny":%t,"matchedStatements":{"items":[]},"failures":{"items":[]},`+
			`"context":{"principal":{"arn":%q},"action":%q,"resource":%q}}`, strings.Contains(reason, "explicit deny"), caller, act, resource)
		return apiErr(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. %s. Encoded authorization failure message: %s",
			sentence, base64.RawURLEncoding.EncodeToString([]byte(detail)))
	case "iam":
		return apiErr(http.StatusForbidden, "AccessDenied", "%s", sentence)
	case "sts":
		return apiErr(http.StatusForbidden, "AccessDenied", "%s", sentence)
	case "scheduler":
		return apiErr(http.StatusForbidden, "AccessDeniedException", "%s", sentence)
	}
	return apiErr(http.StatusBadRequest, "AccessDeniedException", "%s", sentence)
}

// recordAuthorization logs an authorization that is not a call of its own
// (iam:PassRole, checked when a schedule names a role), so the call log
// shows every permission the client used.
func (s *Sandbox) recordAuthorization(c *apiCall, service, action, code string) {
	call := Call{Time: s.opts.Clock.Now(), Service: service, Action: action, AccessKeyID: c.accessKey, ErrorCode: code, Via: "authorization"}
	s.calls.Record(call)
	if s.opts.Recorder != nil {
		s.opts.Recorder.Record(call)
	}
}
