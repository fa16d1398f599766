package policy

import (
	"strings"
	"testing"
)

func TestExplainSaysWhyEachStatementMatchedOrNot(t *testing.T) {
	push := Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: caller}
	login := Request{Action: "ecr:GetAuthorizationToken", Resource: "*", Principal: caller}
	type want struct {
		label string
		role  Role
		// miss is the element that did not match ("" when all did) and why
		// part of its sentence.
		miss Element
		why  string
	}
	cases := []struct {
		name    string
		policy  string
		req     Request
		result  Result
		summary string
		stmts   []want
	}{
		{"seed: the Deny decides, the Allow is outweighed", seedPolicy, push, ResultExplicitDeny,
			`refused by DenyPutImage (Deny): Action "ecr:PutImage", Resource "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine", Principal "*"`,
			[]want{{"Statement[0]", RoleOverridden, "", ""}, {"DenyPutImage", RoleDecides, "", ""}}},
		{"seed: another repository is not the Deny's", seedPolicy, Request{Action: "ecr:PutImage", Resource: repoARN("team-b/nginx"), Principal: caller}, ResultAllow,
			`allowed by Statement[0]: Action "*", Resource "*", Principal "*"`,
			[]want{{"Statement[0]", RoleDecides, "", ""}, {"DenyPutImage", RoleNoMatch, ElementResource, `the resource arn:aws:ecr:us-west-2:123456789012:repository/team-b/nginx is not among "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"`}}},
		{"an action not listed", `{"Statement":[{"Sid":"Reads","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:ListImages"],"Resource":"*"}]}`, push, ResultImplicitDeny,
			"refused: no statement allows ecr:PutImage on arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine",
			[]want{{"Reads", RoleNoMatch, ElementAction, `the action ecr:PutImage is not among "ecr:BatchGetImage", "ecr:ListImages"`}}},
		{"NotAction excludes", `{"Statement":[{"Sid":"AllButPush","Effect":"Allow","Principal":"*","NotAction":"ecr:Put*","Resource":"*"}]}`, push, ResultImplicitDeny, "",
			[]want{{"AllButPush", RoleNoMatch, ElementAction, `NotAction lists "ecr:Put*", which excludes ecr:PutImage`}}},
		{"another account's principal", `{"Statement":[{"Sid":"Them","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}]}`, push, ResultImplicitDeny, "",
			[]want{{"Them", RoleNoMatch, ElementPrincipal, caller + ` is not among {"AWS": "111122223333"}`}}},
		{"NotPrincipal spares the caller", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"Others","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/Cloud9Role"},"Action":"*","Resource":"*"}]}`, push, ResultAllow, "",
			[]want{{"Statement[0]", RoleDecides, "", ""}, {"Others", RoleNoMatch, ElementPrincipal, `NotPrincipal names ` + caller}}},
		{"a condition key the request lacks", `{"Statement":[{"Sid":"OnlyVpc","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}`, push, ResultImplicitDeny, "",
			[]want{{"OnlyVpc", RoleNoMatch, ElementCondition, "StringEquals aws:SourceVpc: the request has no aws:SourceVpc"}}},
		{"a condition value that differs", `{"Statement":[{"Sid":"Mine","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`, push, ResultImplicitDeny, "",
			[]want{{"Mine", RoleNoMatch, ElementCondition, `StringEquals aws:PrincipalAccount: the request has "123456789012", the policy wants "111122223333"`}}},
		{"login acts on *, which a repository ARN never covers", `{"Statement":[{"Sid":"TeamA","Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/*"}]}`, login, ResultImplicitDeny, "",
			[]want{{"TeamA", RoleNoMatch, ElementResource, `only Resource "*" covers it`}}},
		{"an Effect AWS does not know", `{"Statement":[{"Sid":"Odd","Effect":"allow","Principal":"*","Action":"*","Resource":"*"}]}`, push, ResultImplicitDeny, "",
			[]want{{"Odd", RoleIgnored, "", ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse([]byte(tc.policy))
			if err != nil {
				// Lint-level problems (a lower-case Effect) still parse.
				t.Fatal(err)
			}
			tr := Explain(doc, tc.req)
			if tr.Decision.Result != tc.result || tr.Decision.Result != Evaluate(doc, tc.req).Result {
				t.Fatalf("decision %s, want %s (Evaluate: %s)", tr.Decision.Result, tc.result, Evaluate(doc, tc.req).Result)
			}
			if tc.summary != "" && tr.Summary() != tc.summary {
				t.Errorf("summary:\n got %s\nwant %s", tr.Summary(), tc.summary)
			}
			if len(tr.Statements) != len(tc.stmts) {
				t.Fatalf("%d statements traced, want %d", len(tr.Statements), len(tc.stmts))
			}
			for i, w := range tc.stmts {
				s := tr.Statements[i]
				if s.Label != w.label || s.Role != w.role {
					t.Errorf("statement %d: %s %s, want %s %s", i, s.Label, s.Role, w.label, w.role)
				}
				if s.Role == RoleIgnored {
					continue
				}
				misses := s.Misses()
				if w.miss == "" {
					if len(misses) != 0 || !s.Matched {
						t.Errorf("%s: unexpected misses %+v", s.Label, misses)
					}
					continue
				}
				if len(misses) != 1 || misses[0].Element != w.miss || !strings.Contains(misses[0].Why, w.why) {
					t.Errorf("%s: misses %+v\nwant %s: %s", s.Label, misses, w.miss, w.why)
				}
				if misses[0].Line == 0 {
					t.Errorf("%s: a parsed policy's check must say where it is written: %+v", s.Label, misses[0])
				}
			}
		})
	}
}

func TestExplainProposesTheSmallestEdit(t *testing.T) {
	both, _ := Default(acct, region, "team-a/alpine", []string{"ecr:PutImage", "ecr:BatchGetImage"})
	seed := MustParse(seedPolicy)
	allowAll := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
	reads := MustParse(`{"Statement":[{"Sid":"Reads","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:ListImages"],"Resource":"*"}]}`)
	teamA := MustParse(`{"Statement":[{"Sid":"TeamA","Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/*"}]}`)
	twoDenies := MustParse(`{"Statement":[{"Sid":"All","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"D1","Effect":"Deny","Principal":"*","Action":["ecr:PutImage","ecr:ListImages"],"Resource":"*"},{"Sid":"D2","Effect":"Deny","Principal":"*","Action":"ecr:Put*","Resource":"*"}]}`)
	pull := Request{Action: "ecr:BatchGetImage", Resource: repoARN("team-a/alpine"), Principal: caller}
	push := Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: caller}
	login := Request{Action: "ecr:GetAuthorizationToken", Resource: "*", Principal: caller}
	cases := []struct {
		name  string
		doc   *Document
		req   Request
		first string
	}{
		{"one of several denied actions: untick it", both, pull, `remove "ecr:BatchGetImage" from the Action of DenyActions`},
		{"the only denied action: drop the statement", seed, push, "delete the statement DenyPutImage"},
		{"an Allow that lists other actions: add this one", reads, push, `add "ecr:PutImage" to the Action of Reads`},
		{"allowed: deny it with a statement of its own", allowAll, push, `add the statement {"Sid":"DenyPutImage","Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"}`},
		{"login on *: a statement for *, not a wider Resource", teamA, login, `add the statement {"Sid":"AllowGetAuthorizationToken","Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`},
		{"two Denies: lift both", twoDenies, push, `remove "ecr:PutImage" from the Action of D1, and delete the statement D2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := Explain(tc.doc, tc.req)
			if len(tr.Edits) == 0 {
				t.Fatalf("no edit proposed for %s", tr.Summary())
			}
			var all []string
			for _, e := range tr.Edits {
				all = append(all, e.Summary)
				if got := Evaluate(e.Policy, tc.req); got.Result != e.Result || got.Allowed() == tr.Decision.Allowed() {
					t.Errorf("edit %q does not flip the outcome: %s", e.Summary, got.Result)
				}
			}
			if tr.Edits[0].Summary != tc.first {
				t.Errorf("smallest edit:\n got %s\nwant %s\n all %q", tr.Edits[0].Summary, tc.first, all)
			}
			// The original is untouched.
			if Evaluate(tc.doc, tc.req).Result != tr.Decision.Result {
				t.Error("Explain changed the policy it explained")
			}
		})
	}
}

func TestDiffShowsOnlyTheEdit(t *testing.T) {
	both, _ := Default(acct, region, "team-a/alpine", []string{"ecr:PutImage", "ecr:BatchGetImage"})
	tr := Explain(both, Request{Action: "ecr:BatchGetImage", Resource: repoARN("team-a/alpine"), Principal: caller})
	var changed []string
	for _, l := range Diff(both, tr.Edits[0].Policy) {
		if l.Op != ' ' {
			changed = append(changed, string(l.Op)+strings.TrimSpace(l.Text))
		}
	}
	text := strings.Join(changed, "\n")
	if !strings.Contains(text, `-"ecr:BatchGetImage"`) || !strings.Contains(text, `+"Action": "ecr:PutImage"`) {
		t.Fatalf("the edit is not in the diff:\n%s", text)
	}
	for _, c := range changed {
		if strings.Contains(c, "AllowAll") || strings.Contains(c, "Resource") {
			t.Fatalf("unchanged lines reported as changed:\n%s", text)
		}
	}
}
