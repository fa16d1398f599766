package policy

import (
	"fmt"
	"strings"
	"testing"
)

const (
	acct   = "123456789012"
	region = "us-west-2"
	caller = "arn:aws:sts::123456789012:assumed-role/Cloud9Role/i-0abc"
)

func repoARN(repo string) string { return RepositoryARN(region, acct, repo) }

// seedPolicy is the policy of the workshop page, byte for byte with the
// shell variables expanded.
const seedPolicy = `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"},{"Sid":"DenyPutImage","Principal":"*","Action":"ecr:PutImage","Effect":"Deny","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"}]}`

func TestEvaluate(t *testing.T) {
	type tc struct {
		name   string
		policy string
		req    Request
		want   Result
		by     string // comma-joined deciding statements
	}
	req := func(action, resource string) Request {
		return Request{Action: action, Resource: resource, Principal: caller}
	}
	withCtx := func(r Request, kv ...string) Request {
		r.Context = map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			r.Context[kv[i]] = append(r.Context[kv[i]], strings.Split(kv[i+1], "|")...)
		}
		return r
	}
	stmt := func(effect, extra string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"` + effect + `","Principal":"*",` + extra + `}]}`
	}
	allowAll := `{"Sid":"All","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`
	push := req("ecr:PutImage", repoARN("team-a/alpine"))
	cases := []tc{
		// The seed.
		{"seed denies PutImage on team-a/alpine", seedPolicy, push, ResultExplicitDeny, "DenyPutImage"},
		{"seed allows PutImage elsewhere", seedPolicy, req("ecr:PutImage", repoARN("team-b/nginx")), ResultAllow, "Statement[0]"},
		{"seed allows BatchGetImage", seedPolicy, req("ecr:BatchGetImage", repoARN("team-a/alpine")), ResultAllow, "Statement[0]"},
		// AWS's order: explicit deny wins, an allow is needed, else implicit deny.
		{"no statement matches: implicit deny", stmt("Allow", `"Action":"ecr:ListImages","Resource":"*"`), push, ResultImplicitDeny, ""},
		{"deny wins over allow, whatever the order", `{"Statement":[{"Sid":"D","Effect":"Deny","Principal":"*","Action":"ecr:*","Resource":"*"},` + allowAll + `]}`, push, ResultExplicitDeny, "D"},
		{"all matching denies are reported", `{"Statement":[{"Sid":"D1","Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"},{"Sid":"D2","Effect":"Deny","Principal":"*","Action":"ecr:Put*","Resource":"*"}]}`, push, ResultExplicitDeny, "D1, D2"},
		// Action matching: case-insensitive, * and ?.
		{"action case-insensitive", stmt("Allow", `"Action":"ECR:putimage","Resource":"*"`), push, ResultAllow, "S"},
		{"action wildcard *", stmt("Allow", `"Action":"ecr:Put*","Resource":"*"`), push, ResultAllow, "S"},
		{"action wildcard ?", stmt("Allow", `"Action":"ecr:PutImag?","Resource":"*"`), push, ResultAllow, "S"},
		{"action ? needs exactly one character", stmt("Allow", `"Action":"ecr:PutImage?","Resource":"*"`), push, ResultImplicitDeny, ""},
		{"other service never matches", stmt("Allow", `"Action":"s3:*","Resource":"*"`), push, ResultImplicitDeny, ""},
		{"action list is ORed", stmt("Allow", `"Action":["ecr:ListImages","ecr:PutImage"],"Resource":"*"`), push, ResultAllow, "S"},
		// Resource matching: case-sensitive, * and ?.
		{"resource case-sensitive", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-A/alpine"`), push, ResultImplicitDeny, ""},
		{"resource wildcard spans slashes", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/*"`), push, ResultAllow, "S"},
		{"resource wildcard ?", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:us-west-?:123456789012:repository/team-a/alpine"`), push, ResultAllow, "S"},
		{"resource * matches global", stmt("Allow", `"Action":"*","Resource":"*"`), req("ecr:GetAuthorizationToken", "*"), ResultAllow, "S"},
		{"repository ARN never matches resource *", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:*:*:repository/*"`), req("ecr:GetAuthorizationToken", "*"), ResultImplicitDeny, ""},
		// NotAction, NotResource, NotPrincipal.
		{"NotAction allow covers the rest", stmt("Allow", `"NotAction":"ecr:PutImage","Resource":"*"`), req("ecr:ListImages", repoARN("team-a/alpine")), ResultAllow, "S"},
		{"NotAction allow excludes the listed", stmt("Allow", `"NotAction":"ecr:PutImage","Resource":"*"`), push, ResultImplicitDeny, ""},
		{"NotAction deny of all but reads", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","Principal":"*","NotAction":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"*"}]}`, push, ResultExplicitDeny, "D"},
		{"NotResource deny spares the listed", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","Principal":"*","Action":"ecr:PutImage","NotResource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"}]}`, push, ResultAllow, "All"},
		{"NotResource deny hits the others", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","Principal":"*","Action":"ecr:PutImage","NotResource":"arn:aws:ecr:us-west-2:123456789012:repository/team-b/*"}]}`, push, ResultExplicitDeny, "D"},
		{"NotPrincipal deny spares the role", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/Cloud9Role"},"Action":"*","Resource":"*"}]}`, push, ResultAllow, "All"},
		{"NotPrincipal deny hits others", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/Builder"},"Action":"*","Resource":"*"}]}`, push, ResultExplicitDeny, "D"},
		// Principal forms.
		{"principal account ID", stmt2("Allow", `{"AWS":"123456789012"}`), push, ResultAllow, "S"},
		{"principal root ARN", stmt2("Allow", `{"AWS":"arn:aws:iam::123456789012:root"}`), push, ResultAllow, "S"},
		{"principal other account", stmt2("Allow", `{"AWS":["111122223333"]}`), push, ResultImplicitDeny, ""},
		{"principal role ARN covers its sessions", stmt2("Allow", `{"AWS":"arn:aws:iam::123456789012:role/Cloud9Role"}`), push, ResultAllow, "S"},
		{"principal role with path", stmt2("Allow", `{"AWS":"arn:aws:iam::123456789012:role/lab/Cloud9Role"}`), push, ResultAllow, "S"},
		{"principal other role", stmt2("Allow", `{"AWS":"arn:aws:iam::123456789012:role/Other"}`), push, ResultImplicitDeny, ""},
		{"principal AWS *", stmt2("Allow", `{"AWS":"*"}`), push, ResultAllow, "S"},
		{"principal service", stmt2("Allow", `{"Service":"ecs.amazonaws.com"}`), Request{Action: "ecr:PutImage", Resource: repoARN("x"), Principal: "ecs.amazonaws.com"}, ResultAllow, "S"},
		{"anonymous only matches *", stmt2("Allow", `{"AWS":"123456789012"}`), Request{Action: "ecr:PutImage", Resource: repoARN("x")}, ResultImplicitDeny, ""},
		{"statement without principal never matches", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, push, ResultImplicitDeny, ""},
		// Conditions.
		{"StringEquals match", cond("StringEquals", `{"aws:PrincipalAccount":"123456789012"}`), push, ResultAllow, "S"},
		{"StringEquals mismatch", cond("StringEquals", `{"aws:PrincipalAccount":"111122223333"}`), push, ResultImplicitDeny, ""},
		{"condition key names are case-insensitive", cond("StringEquals", `{"AWS:principalaccount":"123456789012"}`), push, ResultAllow, "S"},
		{"values of one key are ORed", cond("StringEquals", `{"aws:SourceVpc":["vpc-1","vpc-2"]}`), withCtx(push, "aws:SourceVpc", "vpc-2"), ResultAllow, "S"},
		{"keys are ANDed", cond("StringEquals", `{"aws:SourceVpc":"vpc-1","aws:SourceVpce":"vpce-1"}`), withCtx(push, "aws:SourceVpc", "vpc-1", "aws:SourceVpce", "vpce-2"), ResultImplicitDeny, ""},
		{"operators are ANDed", conds(`"StringEquals":{"aws:SourceVpc":"vpc-1"},"Bool":{"aws:SecureTransport":"true"}`), withCtx(push, "aws:SourceVpc", "vpc-1", "aws:SecureTransport", "false"), ResultImplicitDeny, ""},
		{"operators are ANDed, both hold", conds(`"StringEquals":{"aws:SourceVpc":"vpc-1"},"Bool":{"aws:SecureTransport":"true"}`), withCtx(push, "aws:SourceVpc", "vpc-1", "aws:SecureTransport", "true"), ResultAllow, "S"},
		{"missing key: false", cond("StringEquals", `{"aws:SourceVpc":"vpc-1"}`), push, ResultImplicitDeny, ""},
		{"missing key with IfExists: true", cond("StringEqualsIfExists", `{"aws:SourceVpc":"vpc-1"}`), push, ResultAllow, "S"},
		{"present key with IfExists is checked", cond("StringEqualsIfExists", `{"aws:SourceVpc":"vpc-1"}`), withCtx(push, "aws:SourceVpc", "vpc-9"), ResultImplicitDeny, ""},
		{"missing key with negated operator: true", cond("StringNotEquals", `{"aws:SourceVpc":"vpc-1"}`), push, ResultAllow, "S"},
		{"negated operator NORs values", cond("StringNotEquals", `{"aws:SourceVpc":["vpc-1","vpc-2"]}`), withCtx(push, "aws:SourceVpc", "vpc-2"), ResultImplicitDeny, ""},
		{"negated operator, other value", cond("StringNotEquals", `{"aws:SourceVpc":["vpc-1","vpc-2"]}`), withCtx(push, "aws:SourceVpc", "vpc-3"), ResultAllow, "S"},
		{"Null true: key absent", cond("Null", `{"aws:SourceVpc":"true"}`), push, ResultAllow, "S"},
		{"Null true: key present", cond("Null", `{"aws:SourceVpc":"true"}`), withCtx(push, "aws:SourceVpc", "vpc-1"), ResultImplicitDeny, ""},
		{"Null false: key present", cond("Null", `{"aws:SourceVpc":"false"}`), withCtx(push, "aws:SourceVpc", "vpc-1"), ResultAllow, "S"},
		{"StringEqualsIgnoreCase", cond("StringEqualsIgnoreCase", `{"aws:SourceVpc":"VPC-1"}`), withCtx(push, "aws:SourceVpc", "vpc-1"), ResultAllow, "S"},
		{"StringNotEqualsIgnoreCase", cond("StringNotEqualsIgnoreCase", `{"aws:SourceVpc":"VPC-1"}`), withCtx(push, "aws:SourceVpc", "vpc-1"), ResultImplicitDeny, ""},
		{"StringLike", cond("StringLike", `{"aws:userid":"AROA*:i-*"}`), withCtx(push, "aws:userid", "AROAEXAMPLE:i-0abc"), ResultAllow, "S"},
		{"StringLike is case-sensitive", cond("StringLike", `{"aws:userid":"aroa*"}`), withCtx(push, "aws:userid", "AROAEXAMPLE:i-0abc"), ResultImplicitDeny, ""},
		{"StringNotLike", cond("StringNotLike", `{"aws:userid":"AROA*"}`), withCtx(push, "aws:userid", "AIDA1"), ResultAllow, "S"},
		{"ArnLike per segment", cond("ArnLike", `{"aws:PrincipalArn":"arn:aws:iam::*:role/Cloud9*"}`), push, ResultAllow, "S"},
		{"ArnLike wildcard does not span segments", cond("ArnLike", `{"aws:PrincipalArn":"arn:aws:*:role/Cloud9Role"}`), push, ResultImplicitDeny, ""},
		{"ArnEquals", cond("ArnEquals", `{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Cloud9Role"}`), push, ResultAllow, "S"},
		{"ArnNotLike", cond("ArnNotLike", `{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Cloud9*"}`), push, ResultImplicitDeny, ""},
		{"ArnNotEquals", cond("ArnNotEquals", `{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Other"}`), push, ResultAllow, "S"},
		{"Bool", cond("Bool", `{"aws:SecureTransport":"true"}`), withCtx(push, "aws:SecureTransport", "true"), ResultAllow, "S"},
		{"Bool JSON literal", cond("Bool", `{"aws:SecureTransport":false}`), withCtx(push, "aws:SecureTransport", "false"), ResultAllow, "S"},
		{"IpAddress in CIDR", cond("IpAddress", `{"aws:VpcSourceIp":"10.0.0.0/16"}`), withCtx(push, "aws:VpcSourceIp", "10.0.3.7"), ResultAllow, "S"},
		{"IpAddress outside", cond("IpAddress", `{"aws:VpcSourceIp":"10.0.0.0/16"}`), withCtx(push, "aws:VpcSourceIp", "10.1.0.1"), ResultImplicitDeny, ""},
		{"IpAddress single", cond("IpAddress", `{"aws:VpcSourceIp":"10.0.3.7"}`), withCtx(push, "aws:VpcSourceIp", "10.0.3.7"), ResultAllow, "S"},
		{"NotIpAddress", cond("NotIpAddress", `{"aws:VpcSourceIp":["10.0.0.0/16","192.168.0.0/24"]}`), withCtx(push, "aws:VpcSourceIp", "172.16.0.1"), ResultAllow, "S"},
		{"NotIpAddress inside", cond("NotIpAddress", `{"aws:VpcSourceIp":["10.0.0.0/16"]}`), withCtx(push, "aws:VpcSourceIp", "10.0.0.1"), ResultImplicitDeny, ""},
		{"NumericLessThan", cond("NumericLessThan", `{"s3:max-keys":"10"}`), withCtx(push, "s3:max-keys", "9"), ResultAllow, "S"},
		{"NumericLessThan equal", cond("NumericLessThan", `{"s3:max-keys":10}`), withCtx(push, "s3:max-keys", "10"), ResultImplicitDeny, ""},
		{"NumericLessThanEquals", cond("NumericLessThanEquals", `{"s3:max-keys":"10"}`), withCtx(push, "s3:max-keys", "10"), ResultAllow, "S"},
		{"NumericGreaterThan", cond("NumericGreaterThan", `{"n:x":"1.5"}`), withCtx(push, "n:x", "2"), ResultAllow, "S"},
		{"NumericGreaterThanEquals", cond("NumericGreaterThanEquals", `{"n:x":"2"}`), withCtx(push, "n:x", "1"), ResultImplicitDeny, ""},
		{"NumericEquals", cond("NumericEquals", `{"n:x":"2"}`), withCtx(push, "n:x", "2.0"), ResultAllow, "S"},
		{"NumericNotEquals", cond("NumericNotEquals", `{"n:x":"2"}`), withCtx(push, "n:x", "3"), ResultAllow, "S"},
		{"Numeric unparsable never matches", cond("NumericEquals", `{"n:x":"2"}`), withCtx(push, "n:x", "two"), ResultImplicitDeny, ""},
		{"DateLessThan", cond("DateLessThan", `{"aws:CurrentTime":"2027-01-01T00:00:00Z"}`), withCtx(push, "aws:CurrentTime", "2026-11-26T10:00:00Z"), ResultAllow, "S"},
		{"DateGreaterThan", cond("DateGreaterThan", `{"aws:CurrentTime":"2027-01-01"}`), withCtx(push, "aws:CurrentTime", "2026-11-26T10:00:00Z"), ResultImplicitDeny, ""},
		{"DateGreaterThanEquals epoch", cond("DateGreaterThanEquals", `{"aws:EpochTime":"1700000000"}`), withCtx(push, "aws:EpochTime", "1800000000"), ResultAllow, "S"},
		{"DateEquals", cond("DateEquals", `{"aws:CurrentTime":"2026-11-26T10:00:00Z"}`), withCtx(push, "aws:CurrentTime", "2026-11-26T11:00:00+01:00"), ResultAllow, "S"},
		{"DateNotEquals", cond("DateNotEquals", `{"aws:CurrentTime":"2026-11-26T10:00:00Z"}`), withCtx(push, "aws:CurrentTime", "2026-11-26T10:00:01Z"), ResultAllow, "S"},
		{"DateLessThanEquals", cond("DateLessThanEquals", `{"aws:CurrentTime":"2026-11-26T10:00:00Z"}`), withCtx(push, "aws:CurrentTime", "2026-11-26T10:00:00Z"), ResultAllow, "S"},
		{"BinaryEquals", cond("BinaryEquals", `{"k:bin":"QmluYXJ5"}`), withCtx(push, "k:bin", "QmluYXJ5"), ResultAllow, "S"},
		{"ForAnyValue one of many", cond("ForAnyValue:StringEquals", `{"aws:TagKeys":["team","env"]}`), withCtx(push, "aws:TagKeys", "owner|env"), ResultAllow, "S"},
		{"ForAnyValue none", cond("ForAnyValue:StringEquals", `{"aws:TagKeys":["team"]}`), withCtx(push, "aws:TagKeys", "owner|env"), ResultImplicitDeny, ""},
		{"ForAnyValue missing key: false", cond("ForAnyValue:StringEquals", `{"aws:TagKeys":["team"]}`), push, ResultImplicitDeny, ""},
		{"ForAllValues all in set", cond("ForAllValues:StringEquals", `{"aws:TagKeys":["team","env"]}`), withCtx(push, "aws:TagKeys", "team|env"), ResultAllow, "S"},
		{"ForAllValues one outside", cond("ForAllValues:StringEquals", `{"aws:TagKeys":["team"]}`), withCtx(push, "aws:TagKeys", "team|env"), ResultImplicitDeny, ""},
		{"ForAllValues missing key: true (as AWS documents)", cond("ForAllValues:StringEquals", `{"aws:TagKeys":["team"]}`), push, ResultAllow, "S"},
		{"ForAllValues negated", cond("ForAllValues:StringNotEquals", `{"aws:TagKeys":["secret"]}`), withCtx(push, "aws:TagKeys", "team|env"), ResultAllow, "S"},
		{"ForAnyValue negated", cond("ForAnyValue:StringNotLike", `{"aws:TagKeys":["t*"]}`), withCtx(push, "aws:TagKeys", "team|env"), ResultAllow, "S"},
		{"ForAnyValue IfExists missing", cond("ForAnyValue:StringEqualsIfExists", `{"aws:TagKeys":["t"]}`), push, ResultAllow, "S"},
		{"unknown operator never matches", cond("StringEqualz", `{"aws:SourceVpc":"vpc-1"}`), withCtx(push, "aws:SourceVpc", "vpc-1"), ResultImplicitDeny, ""},
		{"deny with condition that holds", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}]}`, withCtx(push, "aws:SourceVpc", "vpc-2"), ResultExplicitDeny, "D"},
		{"deny with condition that fails", `{"Statement":[` + allowAll + `,{"Sid":"D","Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}]}`, withCtx(push, "aws:SourceVpc", "vpc-1"), ResultAllow, "All"},
		// Policy variables.
		{"policy variable in resource", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/${aws:PrincipalTag/team}/*"`), withCtx(push, "aws:PrincipalTag/team", "team-a"), ResultAllow, "S"},
		{"policy variable missing", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/${aws:PrincipalTag/team}/*"`), push, ResultImplicitDeny, ""},
		{"policy variable default", stmt("Allow", `"Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/${aws:PrincipalTag/team, 'team-a'}/*"`), push, ResultAllow, "S"},
		{"policy variable is text in old version", `{"Version":"2008-10-17","Statement":[{"Sid":"S","Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/${x:y}"}]}`, req("ecr:PutImage", repoARN("${x:y}")), ResultAllow, "S"},
		// Single statement object.
		{"Statement as one object", `{"Statement":{"Sid":"S","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, push, ResultAllow, "S"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Parse([]byte(c.policy))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			d := Evaluate(doc, c.req)
			if d.Result != c.want {
				t.Fatalf("got %s (%v), want %s", d.Result, d.Statements, c.want)
			}
			if got := strings.Join(d.Statements, ", "); got != c.by {
				t.Fatalf("decided by %q, want %q", got, c.by)
			}
		})
	}
}

func stmt2(effect, principal string) string {
	return `{"Statement":[{"Sid":"S","Effect":"` + effect + `","Principal":` + principal + `,"Action":"*","Resource":"*"}]}`
}

func cond(op, body string) string { return conds(fmt.Sprintf("%q:%s", op, body)) }

func conds(body string) string {
	return `{"Statement":[{"Sid":"S","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{` + body + `}}]}`
}

func TestDecisionReasons(t *testing.T) {
	doc := MustParse(seedPolicy)
	push := Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: caller}
	d := Evaluate(doc, push)
	want := "User: arn:aws:sts::123456789012:assumed-role/Cloud9Role/i-0abc is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a VPC endpoint policy"
	if got := DenialMessage(push, d); got != want {
		t.Fatalf("message:\n got %s\nwant %s", got, want)
	}
	none := MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:ListImages","Resource":"*"}]}`)
	d = Evaluate(none, push)
	if d.Reason != "because no VPC endpoint policy allows the ecr:PutImage action" {
		t.Fatalf("implicit reason: %q", d.Reason)
	}
	if Evaluate(&Document{}, push).Result != ResultImplicitDeny {
		t.Fatal("a document without statements must deny")
	}
	if Evaluate(nil, push).Result != ResultImplicitDeny {
		t.Fatal("a nil document must deny")
	}
}

func TestSeedOperations(t *testing.T) {
	doc := MustParse(seedPolicy)
	cases := []struct {
		op, repo string
		want     Result
		stopAt   string
	}{
		{"push", "team-a/alpine", ResultExplicitDeny, "ecr:PutImage"},
		{"pull", "team-a/alpine", ResultAllow, ""},
		{"list-images", "team-a/alpine", ResultAllow, ""},
		{"login", "team-a/alpine", ResultAllow, ""},
		{"describe-images", "team-a/alpine", ResultAllow, ""},
		{"create-repository", "team-a/alpine", ResultAllow, ""},
		{"push", "team-b/nginx", ResultAllow, ""},
	}
	for _, c := range cases {
		t.Run(c.op+" "+c.repo, func(t *testing.T) {
			sim, err := Simulate(doc, c.op, c.repo, acct, region)
			if err != nil {
				t.Fatal(err)
			}
			if sim.Decision != c.want {
				t.Fatalf("decision %s, want %s: %+v", sim.Decision, c.want, sim)
			}
			last := sim.Actions[len(sim.Actions)-1]
			if c.stopAt != "" {
				if last.Action != c.stopAt || last.Statement != "DenyPutImage" || !strings.Contains(last.Message, "explicit deny in a VPC endpoint policy") {
					t.Fatalf("refusal at %+v", last)
				}
			}
			op, _ := LookupOperation(c.op)
			if len(sim.Actions)+len(sim.NotReached) != len(op.Steps) {
				t.Fatalf("actions %d + not reached %d != %d steps", len(sim.Actions), len(sim.NotReached), len(op.Steps))
			}
		})
	}
	if _, err := Simulate(doc, "delete-everything", "x", acct, region); err == nil {
		t.Fatal("unknown operation must fail")
	}
}

func TestSimulateStopsAtFirstRefusal(t *testing.T) {
	doc := MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"NoReads","Effect":"Deny","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}]}`)
	sim, err := Simulate(doc, "pull", "team-a/alpine", acct, region)
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.Actions) != 1 || sim.Actions[0].Action != "ecr:BatchGetImage" || sim.NotReached[0] != "ecr:GetDownloadUrlForLayer" {
		t.Fatalf("%+v", sim)
	}
}

func TestSimulateEndpointsDKROnly(t *testing.T) {
	deny := MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"NoList","Effect":"Deny","Principal":"*","Action":"ecr:ListImages","Resource":"*"}]}`)
	// The policy only on ecr.dkr: list-images goes through ecr.api, which has
	// the default policy.
	sim, err := SimulateEndpoints(map[Endpoint]*Document{EndpointDKR: deny}, "list-images", "team-a/alpine", acct, region, LabPrincipal(acct))
	if err != nil {
		t.Fatal(err)
	}
	if sim.Decision != ResultAllow {
		t.Fatalf("list-images through a default-policy ecr.api must be allowed: %+v", sim)
	}
	sim, _ = SimulateEndpoints(map[Endpoint]*Document{EndpointAPI: deny}, "list-images", "team-a/alpine", acct, region, LabPrincipal(acct))
	if sim.Decision != ResultExplicitDeny {
		t.Fatalf("list-images through ecr.api with the deny: %+v", sim)
	}
}

func TestDefaultPolicy(t *testing.T) {
	doc, err := Default(acct, region, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Statements[1].Sid != "DenyPutImage" || doc.Statements[1].Resource[0] != repoARN("team-a/alpine") {
		t.Fatalf("%s", doc.Pretty())
	}
	if fs := LintWith(doc.Pretty(), LintOptions{Account: acct, Region: region}); len(fs) != 0 {
		t.Fatalf("the default policy must lint clean: %v", fs)
	}
	sim, _ := Simulate(doc, "push", "team-a/alpine", acct, region)
	if sim.Decision != ResultExplicitDeny {
		t.Fatal("default must deny the push")
	}
	multi, err := Default(acct, region, "team-b/nginx", []string{"PutImage", "ecr:batchgetimage"})
	if err != nil {
		t.Fatal(err)
	}
	if multi.Statements[1].Sid != "DenyActions" || multi.Statements[1].Action[1] != "ecr:BatchGetImage" {
		t.Fatalf("%s", multi.Pretty())
	}
	if _, err := Default(acct, region, "", []string{"ecr:PushImage"}); err == nil {
		t.Fatal("an unknown action must be refused")
	}
	if _, err := Default(acct, region, "", []string{"s3:GetObject"}); err == nil {
		t.Fatal("a non-ECR action must be refused")
	}
	// One rule for what a learner types (Default, the accessible prompt,
	// --deny) and for the linter (the JSON editor, the check before a
	// policy is applied): what one refuses the other refuses, in the same
	// words; a wildcard that matches nothing included.
	for _, a := range []string{"ecr:Put*", "ecr:Pu*Imagez", "ecr:PushImage", "ecr:putimage", "ecr:Get?uthorizationToken", "ecr:*Teleport*"} {
		src := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"` + a + `","Resource":"*"}]}`
		var lintErr string
		for _, f := range Lint([]byte(src)) {
			if f.Severity == SeverityError {
				lintErr = f.Message + ": " + f.Fix
			}
		}
		_, err := Default(acct, region, "", []string{a})
		if got := ""; err != nil {
			got = err.Error()
			if got != lintErr {
				t.Errorf("%s: Default says %q, the linter %q", a, got, lintErr)
			}
		} else if lintErr != "" {
			t.Errorf("%s: Default takes it, the linter says %q", a, lintErr)
		}
		if strings.Contains(a, "Imagez") && (err == nil || !strings.Contains(err.Error(), "matches no ECR action")) {
			t.Errorf("%s: %v", a, err)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*c", "abc", true}, {"a*c", "ac", true},
		{"a*c", "ab", false}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"**", "x", true},
		{"*a*b*", "xxaxxbxx", true}, {"*a*b*", "xxbxxaxx", false}, {"", "", true}, {"", "a", false},
		{"a*b*c*d", "aXbXcXd", true}, {"ab", "ab", true}, {"日*", "日本", true}, {"?", "日", true},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.p, c.s, false); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
	// A pathological pattern must stay linear-ish, not exponential.
	long := strings.Repeat("a", 5000)
	if wildcardMatch(strings.Repeat("*a", 50)+"b", long, false) {
		t.Fatal("must not match")
	}
}

func TestRoundTrip(t *testing.T) {
	srcs := []string{
		seedPolicy,
		`{"Version":"2012-10-17","Id":"lab","Statement":{"Sid":"A","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::123456789012:root"],"Service":"ecs.amazonaws.com"},"NotAction":["ecr:PutImage"],"NotResource":"arn:aws:ecr:*:*:repository/x","Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1","vpc-2"]},"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"n:x":5}}}}`,
		`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":[],"Resource":[]}]}`,
	}
	for _, src := range srcs {
		d1, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if d2 := reparsed(t, d1); !Equal(d1, d2) {
			t.Fatal("Equal must hold after a round trip")
		}
	}
	// Fixed element order and single values as strings.
	d := MustParse(`{"Statement":[{"Resource":["*"],"Action":"ecr:*","Principal":"*","Effect":"Allow","Sid":"X"}],"Version":"2012-10-17"}`)
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}`
	if got := string(d.Canonical()); got != want {
		t.Fatalf("canonical:\n got %s\nwant %s", got, want)
	}
}
