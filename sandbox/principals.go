package sandbox

import (
	"fmt"
	"strings"
)

// Who calls, and from where. The world has two principals: the workspace's
// (the instance role's session, CloudShell's participant, a laptop's IAM
// user; see callerARN) and a CI role of a partner account, which signs with
// its own keys (Sandbox.OtherCredentials, exported as
// LAB_OTHER_ACCESS_KEY_ID and LAB_OTHER_SECRET_ACCESS_KEY). And two ways
// in: the listeners every export points at are the workspace's network,
// whose requests go where its DNS sends them (through the lab's endpoints
// once they are up); the public listeners (LAB_PUBLIC_ENDPOINT_URL and
// LAB_PUBLIC_REGISTRY) are a machine outside the VPC, on the public path,
// which no endpoint policy sees.

// The partner account's CI role.
const (
	OtherAccount     = "210987654321"
	OtherRoleName    = "partner-ci"
	otherSessionName = "build-7"
)

// LabOrgID is the AWS Organizations organization the lab's account belongs
// to (aws:PrincipalOrgID); the partner account belongs to none, so its
// requests carry no aws:PrincipalOrgID ("only if the principal is a member
// of an organization", IAM's global condition keys).
const LabOrgID = "o-ecrvpcelab1"

// Public addresses of the requests that take the public path: the
// workspace's own (its instance's public IP, through the internet gateway)
// and a machine outside the VPC. Documentation ranges (RFC 5737).
const (
	workspacePublicIP = "203.0.113.25"
	outsidePublicIP   = "198.51.100.77"
)

// principal is a caller as the sandbox knows it.
type principal struct {
	// other is set for the partner account's role.
	other bool
	// arn is the caller's ARN as IAM's sentences name it (a session's).
	arn     string
	account string
	// roleARN is aws:PrincipalArn: for a role session, the role.
	roleARN string
	orgID   string
}

// workspacePrincipal is the workspace's caller.
func (w *world) workspacePrincipal() principal {
	arn := w.callerARN()
	return principal{arn: arn, account: w.Account, roleARN: principalARNOf(arn), orgID: LabOrgID}
}

// otherPrincipal is the partner account's CI role session.
func (w *world) otherPrincipal() principal {
	return principal{
		other:   true,
		arn:     w.arn("sts", "", fmt.Sprintf("%s:assumed-role/%s/%s", OtherAccount, OtherRoleName, otherSessionName)),
		account: OtherAccount,
		roleARN: w.arn("iam", "", fmt.Sprintf("%s:role/%s", OtherAccount, OtherRoleName)),
	}
}

// principalByKey is the caller that signs with an access key.
func (w *world) principalByKey(key string) principal {
	if key != "" && key == w.OtherCredentials.AccessKeyID {
		return w.otherPrincipal()
	}
	return w.workspacePrincipal()
}

// principalARNOf maps a role session to its role (aws:PrincipalArn is the
// role's ARN for an assumed-role session, IAM's global condition keys).
func principalARNOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return arn
	}
	role, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

// knownPrincipal reports whether a principal entry of a repository policy
// names something that exists: ECR refuses a policy naming a role or user
// it cannot find ("Principal not found", hashicorp/terraform-provider-aws
// #39064). Accounts (and their root) always exist; the world knows its own
// roles and user and the partner's role.
func (w *world) knownPrincipal(entry string) bool {
	if entry == "*" || isAccountID(entry) {
		return true
	}
	parts := strings.SplitN(entry, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return false
	}
	if parts[5] == "root" && isAccountID(parts[4]) {
		return true
	}
	for _, p := range []principal{w.workspacePrincipal(), w.otherPrincipal()} {
		if entry == p.roleARN || entry == p.arn {
			return true
		}
	}
	return false
}

func isAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// ensureOtherCredentials makes the partner role's keys (also for worlds
// saved before it existed).
func (w *world) ensureOtherCredentials() bool {
	if w.OtherCredentials.AccessKeyID != "" {
		return false
	}
	w.OtherCredentials = w.keyPair("AKIA", "other-key", "other-secret")
	return true
}

// OtherCredentials are the keys of the partner account's CI role
// (OtherAccount), which the sandbox also accepts.
func (s *Sandbox) OtherCredentials() Credentials { return s.cur.Load().OtherCredentials }

// OtherPrincipalARN is the partner role's session ARN, as IAM's sentences
// name it.
func (s *Sandbox) OtherPrincipalARN() string { return s.cur.Load().otherPrincipal().arn }

// PublicEndpoint is the base URL of EC2, ECR and STS for a machine outside
// the VPC (the public path).
func (s *Sandbox) PublicEndpoint() string { return s.publicAPIURL }

// PublicRegistryAddr is the registry's host:port for a machine outside the
// VPC.
func (s *Sandbox) PublicRegistryAddr() string { return s.publicRegAddr }
