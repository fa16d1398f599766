package policy

import (
	"strings"
	"testing"
)

// The lab's role allows the ECR actions it needs; a partner account's CI
// role allows ECR too (its own account's policy).
var (
	roleAllowsECR = MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`)
	other         = "arn:aws:sts::210987654321:assumed-role/partner-ci/build-7"
	vpce          = "vpce-0123456789abcdef0"
)

// TestAuthorizeCombinesAsAWSDoes follows research C.2 (IAM policy
// evaluation logic; ECR "Private repository policies"): an explicit deny
// anywhere wins, an endpoint on the way must allow, one account needs an
// allow from either side, two accounts from both.
func TestAuthorizeCombinesAsAWSDoes(t *testing.T) {
	push := Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: caller}
	pushOther := Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: other}
	login := Request{Action: "ecr:GetAuthorizationToken", Resource: "*", Principal: caller}
	seed := MustParse(seedPolicy)
	allowAll := MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
	repoDeny := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"NoPush","Effect":"Deny","Principal":"*","Action":"ecr:PutImage"}]}`)
	repoAllowOther := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:*"}]}`)
	repoLoginAllow := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"Login","Effect":"Deny","Principal":"*","Action":"ecr:GetAuthorizationToken"}]}`)
	onlyVpce := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"OnlyOurEndpoint","Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"StringNotEquals":{"aws:SourceVpce":"` + vpce + `"}}}]}`)
	viaVpce := push
	viaVpce.Context = map[string][]string{"aws:SourceVpce": {vpce}}

	cases := []struct {
		name    string
		p       Policies
		req     Request
		allowed bool
		result  Result
		typ     Type
		reason  string
	}{
		{"the lab: the endpoint's Deny refuses the push", Policies{ThroughEndpoint: true, Endpoint: seed, Identity: roleAllowsECR}, push,
			false, ResultExplicitDeny, TypeEndpoint, "with an explicit deny in a VPC endpoint policy"},
		{"the public path never meets the endpoint's policy", Policies{ThroughEndpoint: false, Endpoint: seed, Identity: roleAllowsECR}, push,
			true, ResultAllow, "", ""},
		{"an endpoint with AWS's default policy allows", Policies{ThroughEndpoint: true, Identity: roleAllowsECR}, push, true, ResultAllow, "", ""},
		{"an endpoint policy that allows nothing of it", Policies{ThroughEndpoint: true, Endpoint: MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}]}`), Identity: roleAllowsECR}, push,
			false, ResultImplicitDeny, TypeEndpoint, "because no VPC endpoint policy allows the ecr:PutImage action"},
		{"a repository policy's Deny wins over both allows", Policies{ThroughEndpoint: true, Endpoint: allowAll, Repository: repoDeny, Identity: roleAllowsECR}, push,
			false, ResultExplicitDeny, TypeRepository, "with an explicit deny in a resource-based policy"},
		{"same account: the role's allow is enough, whatever the repository policy lacks", Policies{Repository: repoAllowOther, Identity: roleAllowsECR}, push, true, ResultAllow, "", ""},
		{"same account, neither side allows [OBS everything2#2562]", Policies{}, push,
			false, ResultImplicitDeny, TypeIdentity, "because no identity-based policy allows the ecr:PutImage action"},
		{"same account: the repository policy's allow is enough", Policies{Repository: MustParse(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"ecr:*"}]}`)}, push, true, ResultAllow, "", ""},
		{"another account without a repository policy [OBS amazon-ecr-login#232]", Policies{Identity: roleAllowsECR, ResourceAccount: acct}, pushOther,
			false, ResultImplicitDeny, TypeRepository, "because no resource-based policy allows the ecr:PutImage action"},
		{"another account, let in by the repository policy", Policies{Repository: repoAllowOther, Identity: roleAllowsECR, ResourceAccount: acct}, pushOther, true, ResultAllow, "", ""},
		{"another account, let in by the repository, not by its own role", Policies{Repository: repoAllowOther, ResourceAccount: acct}, pushOther,
			false, ResultImplicitDeny, TypeIdentity, "because no identity-based policy allows the ecr:PutImage action"},
		{"a repository policy never meets the login", Policies{Repository: repoLoginAllow, Identity: roleAllowsECR}, login, true, ResultAllow, "", ""},
		{"aws:SourceVpce absent on the public path: StringNotEquals holds, the Deny refuses", Policies{Repository: onlyVpce, Identity: roleAllowsECR}, push,
			false, ResultExplicitDeny, TypeRepository, "with an explicit deny in a resource-based policy"},
		{"through our endpoint aws:SourceVpce matches: allowed", Policies{ThroughEndpoint: true, Repository: onlyVpce, Identity: roleAllowsECR}, viaVpce, true, ResultAllow, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, explain := range []bool{false, true} {
				a := Authorize(tc.p, tc.req, explain)
				if a.Allowed != tc.allowed || a.Result != tc.result || a.Type != tc.typ {
					t.Fatalf("explain=%v: allowed %v %s %s, want %v %s %s (%s)", explain, a.Allowed, a.Result, a.Type, tc.allowed, tc.result, tc.typ, a.Message)
				}
				if tc.reason != "" && !strings.HasSuffix(a.Message, " "+tc.reason) {
					t.Errorf("message %q does not end in %q", a.Message, tc.reason)
				}
				if !tc.allowed && !strings.HasPrefix(a.Message, "User: "+tc.req.Principal+" is not authorized to perform: "+tc.req.Action+" on resource: "+tc.req.Resource+" ") {
					t.Errorf("message %q is not IAM's sentence", a.Message)
				}
				if explain && !tc.allowed && a.Deciding() != nil && a.Deciding().Decision.Result != tc.result {
					t.Errorf("the deciding trace says %s", a.Deciding().Decision.Result)
				}
			}
		})
	}
}

func TestRepositoryPolicyEditsNameNoResource(t *testing.T) {
	// The smallest edit that lets a cross-account caller in: a statement
	// without Resource (ECR refuses one) naming the caller's role, not "*".
	tr := ExplainAs(TypeRepository, MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"ecr:BatchGetImage"}]}`),
		Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: other})
	if len(tr.Edits) == 0 {
		t.Fatal("no edit")
	}
	for _, e := range tr.Edits {
		for _, st := range e.Policy.Statements {
			if st.Resource != nil {
				t.Errorf("edit %q writes a Resource into a repository policy", e.Summary)
			}
			if st.Principal != nil && st.Principal.Any && st.Effect == Allow {
				t.Errorf("edit %q opens the repository to everyone", e.Summary)
			}
		}
		if fs := LintWith(e.Policy.Pretty(), LintOptions{Type: TypeRepository}); HasErrors(fs) {
			t.Errorf("edit %q does not lint as a repository policy: %+v", e.Summary, fs)
		}
	}
	if !strings.Contains(tr.Edits[0].Summary, `arn:aws:iam::210987654321:role/partner-ci`) && !strings.Contains(tr.Edits[0].Summary, `add "ecr:PutImage" to the Action of Pull`) {
		t.Errorf("smallest edit %q", tr.Edits[0].Summary)
	}
	// Lifting a repository Deny leaves the role's allow: deleting it is the edit.
	tr = ExplainAs(TypeRepository, MustParse(`{"Statement":[{"Sid":"NoPush","Effect":"Deny","Principal":"*","Action":"ecr:PutImage"}]}`),
		Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: caller})
	if len(tr.Edits) == 0 || tr.Edits[0].Summary != "delete the statement NoPush" {
		t.Fatalf("edits %+v", tr.Edits)
	}
}

func TestLintRepositoryPolicy(t *testing.T) {
	cases := []struct {
		src  string
		rule string
	}{
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}]}`, "resource-in-repository-policy"},
		{`{"Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage"}]}`, "principal-missing"},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken"}]}`, "repository-token"},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Sid":"` + strings.Repeat("x", MaxRepositorySize) + `"}]}`, "size"},
	}
	for _, tc := range cases {
		fs := LintWith([]byte(tc.src), LintOptions{Type: TypeRepository})
		found := false
		for _, f := range fs {
			if f.Rule == tc.rule {
				found = true
			}
		}
		if !found {
			t.Errorf("%.80s: no %s finding in %+v", tc.src, tc.rule, fs)
		}
	}
	// A repository policy without Resource and with only a Deny is fine.
	if fs := LintWith([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"NoPush","Effect":"Deny","Principal":"*","Action":"ecr:PutImage"}]}`), LintOptions{Type: TypeRepository}); len(fs) != 0 {
		t.Errorf("findings for a good repository policy: %+v", fs)
	}
	// The same as an endpoint policy lacks its Resource.
	if fs := Lint([]byte(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage"}]}`)); !HasErrors(fs) {
		t.Errorf("an endpoint policy without Resource passes: %+v", fs)
	}
}
