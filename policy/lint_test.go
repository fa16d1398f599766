package policy

import (
	"fmt"
	"strings"
	"testing"
)

// want is an expected finding: rule, severity and where.
type want struct {
	rule string
	sev  Severity
	at   string // "line:col", or "" to skip the position check
}

func TestLint(t *testing.T) {
	lab := LintOptions{Account: acct, Region: region}
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	cases := []struct {
		name string
		src  string
		opts LintOptions
		want []want
	}{
		{"clean", ok, lab, nil},
		{"the seed is clean", seedPolicy, lab, nil},
		{"missing bracket", `{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]`, lab, []want{{"json", SeverityError, "1:66"}}},
		{"missing bracket over lines", "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\"}\n\n", lab, []want{{"json", SeverityError, "3:24"}}},
		{"trailing comma", `{"Statement":[{"Effect":"Allow",}]}`, lab, []want{{"json", SeverityError, "1:33"}}},
		{"single quotes", `{'Statement':[]}`, lab, []want{{"json", SeverityError, "1:2"}}},
		{"garbage after", ok + `}`, lab, []want{{"json", SeverityError, "1:102"}}},
		{"empty input", "  \n", lab, []want{{"json", SeverityError, "2:1"}}},
		{"not an object", `[1,2]`, lab, []want{{"type", SeverityError, "1:1"}}},
		{"unknown top key", `{"Version":"2012-10-17","Statment":[]}`, lab, []want{{"unknown-key", SeverityError, "1:25"}, {"missing", SeverityError, "1:1"}}},
		{"unknown statement key", `{"Statement":[{"effect":"Allow","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"unknown-key", SeverityError, "1:16"}}},
		{"duplicate key", `{"Statement":[{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"duplicate-key", SeverityError, "1:33"}, {"no-allow", SeverityWarning, "1:15"}}},
		{"Statement wrong type", `{"Statement":"all"}`, lab, []want{{"type", SeverityError, "1:14"}}},
		{"statement wrong type", `{"Statement":[42]}`, lab, []want{{"type", SeverityError, "1:15"}}},
		{"Action wrong type", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":7,"Resource":"*"}]}`, lab, []want{{"type", SeverityError, "1:58"}}},
		{"Action list item wrong type", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:*",true],"Resource":"*"}]}`, lab, []want{{"type", SeverityError, "1:67"}}},
		{"Version unknown", `{"Version":"2024-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"version", SeverityError, "1:12"}}},
		{"Effect missing", `{"Statement":[{"Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"effect-missing", SeverityError, "1:15"}, {"no-allow", SeverityWarning, "1:15"}}},
		{"Effect lower case", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"effect", SeverityError, "1:25"}, {"no-allow", SeverityWarning, ""}}},
		{"no principal", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, lab, []want{{"principal-missing", SeverityError, "1:15"}}},
		{"principal string not *", `{"Statement":[{"Effect":"Allow","Principal":"123456789012","Action":"*","Resource":"*"}]}`, lab, []want{{"principal", SeverityError, "1:45"}}},
		{"principal unknown type", `{"Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"*","Resource":"*"}]}`, lab, []want{{"unknown-key", SeverityError, "1:46"}}},
		{"Principal and NotPrincipal", `{"Statement":[{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"*"},"Action":"*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"principal-both", SeverityError, "1:48"}, {"deny-inert", SeverityWarning, "1:15"}}},
		{"NotPrincipal with Allow", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}]}`, lab, []want{{"notprincipal-allow", SeverityWarning, "1:33"}}},
		{"Action and NotAction", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"ecr:PutImage","Resource":"*"}]}`, lab, []want{{"action-both", SeverityError, "1:62"}}},
		{"no action", `{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}`, lab, []want{{"action-missing", SeverityError, "1:15"}}},
		{"empty action list", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}]}`, lab, []want{{"empty", SeverityError, "1:49"}}},
		{"action without prefix", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"PutImage","Resource":"*"}]}`, lab, []want{{"action-prefix", SeverityError, "1:58"}}},
		{"action without name", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:","Resource":"*"}]}`, lab, []want{{"action-name", SeverityError, "1:58"}}},
		{"unknown ecr action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:*"],"Resource":"*"},{"Effect":"Deny","Principal":"*","Action":["ecr:PushImage"],"Resource":"*"}]}`, lab, []want{{"action-unknown", SeverityError, "1:127"}, {"deny-inert", SeverityWarning, "1:84"}}},
		{"ecr wildcard that matches nothing", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:Push*","Resource":"*"}]}`, lab, []want{{"action-unknown", SeverityError, "1:58"}}},
		{"ecr action case-insensitive is fine", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ECR:putimage","Resource":"*"}]}`, lab, nil},
		{"other service action is fine", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, lab, nil},
		{"Resource and NotResource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","NotResource":"*"}]}`, lab, []want{{"resource-both", SeverityError, "1:77"}}},
		{"no resource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`, lab, []want{{"resource-missing", SeverityError, "1:15"}}},
		{"malformed ARN", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:ecr:us-west-2"}]}`, lab, []want{{"arn", SeverityError, "1:73"}}},
		{"not an ARN", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"team-a/alpine"}]}`, lab, []want{{"arn", SeverityError, "1:73"}}},
		{"bad account in ARN", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:ecr:us-west-2:12345:repository/x"}]}`, lab, []want{{"arn", SeverityError, "1:73"}, {"arn-account", SeverityWarning, "1:73"}}},
		{"ARN not a repository", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:registry/x"}]}`, lab, []want{{"arn", SeverityWarning, "1:73"}}},
		{"ARN in another region", strings.Replace(seedPolicy, "us-west-2", "eu-west-1", 1), lab, []want{{"arn-region", SeverityWarning, "1:167"}, {"deny-inert", SeverityWarning, "1:78"}}},
		{"ARN in another account", strings.Replace(seedPolicy, "123456789012", "111122223333", 1), lab, []want{{"arn-account", SeverityWarning, "1:167"}, {"deny-inert", SeverityWarning, "1:78"}}},
		{"ARN checks off without the lab's context", strings.Replace(seedPolicy, "123456789012", "111122223333", 1), LintOptions{}, nil},
		{"wildcard account is fine", strings.Replace(seedPolicy, "123456789012", "*", 1), lab, nil},
		{"GetAuthorizationToken on a repository", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage"],"Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"}]}`, lab, []want{{"auth-token-resource", SeverityWarning, "1:119"}}},
		{"unknown condition operator", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:SourceVpc":"vpc-1"}}}]}`, lab, []want{{"condition-operator", SeverityError, "1:90"}}},
		{"Null with IfExists", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:SourceVpc":"true"}}}]}`, lab, []want{{"condition-operator", SeverityError, "1:90"}}},
		{"condition value types", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"},"NumericLessThan":{"n:x":"ten"},"DateLessThan":{"aws:CurrentTime":"soon"},"IpAddress":{"aws:SourceIp":"10.0.0.300"}}}]}`, lab, []want{{"condition-value", SeverityError, "1:90"}, {"condition-value", SeverityError, ""}, {"condition-value", SeverityError, ""}, {"condition-value", SeverityError, ""}}},
		{"condition key without prefix", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"SourceVpc":"vpc-1"}}}]}`, lab, []want{{"condition-key", SeverityWarning, "1:90"}}},
		{"condition must be object", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":"x"}]}`, lab, []want{{"type", SeverityError, "1:89"}}},
		{"duplicate Sid", `{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}`, lab, []want{{"duplicate-sid", SeverityError, "1:89"}}},
		{"Sid characters", `{"Statement":[{"Sid":"allow all","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, lab, []want{{"sid", SeverityWarning, "1:16"}}},
		{"deny on another repository is not inert", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-b/*"}]}`, LintOptions{Account: acct, Region: region, Repository: "team-b/nginx"}, nil},
		{"deny that matches nothing the lab does", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, lab, []want{{"deny-inert", SeverityWarning, "1:78"}}},
		{"deny of login on the repository never bites", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"}]}`, lab, []want{{"auth-token-resource", SeverityWarning, "1:159"}, {"deny-inert", SeverityWarning, "1:78"}}},
		{"no allow", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"}]}`, lab, []want{{"no-allow", SeverityWarning, "1:15"}}},
		{"variables without version", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/${aws:username}"}]}`, lab, []want{{"version", SeverityWarning, ""}}},
		{"too big", bigPolicy(MaxSize + 1), lab, []want{{"size", SeverityError, "1:1"}}},
		{"just fits", bigPolicy(MaxSize), lab, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := LintWith([]byte(c.src), c.opts)
			if len(got) != len(c.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(c.want), dump(got))
			}
			// Compare as multisets by rule so order among same-position
			// findings does not matter.
			used := make([]bool, len(got))
			for _, w := range c.want {
				found := false
				for i, g := range got {
					if used[i] || g.Rule != w.rule || g.Severity != w.sev {
						continue
					}
					if w.at != "" && fmt.Sprintf("%d:%d", g.Line, g.Column) != w.at {
						continue
					}
					used[i], found = true, true
					break
				}
				if !found {
					t.Fatalf("missing %+v in:\n%s", w, dump(got))
				}
			}
			for _, g := range got {
				if g.Message == "" || g.Fix == "" || g.Path == "" || g.Line < 1 || g.Column < 1 {
					t.Fatalf("incomplete finding %+v", g)
				}
			}
		})
	}
}

func bigPolicy(size int) string {
	head := `{"Statement":[{"Sid":"`
	tail := `","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	return head + strings.Repeat("A", size-len(head)-len(tail)) + tail
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %d:%d %s [%s] %s (%s) fix: %s\n", f.Line, f.Column, f.Severity, f.Rule, f.Message, f.Path, f.Fix)
	}
	return b.String()
}

func TestLintSuggestions(t *testing.T) {
	fs := Lint([]byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:PutImages","Resource":"*"}]}`))
	if len(fs) != 1 || !strings.Contains(fs[0].Fix, `"ecr:PutImage"`) {
		t.Fatalf("expected a did-you-mean for PutImage: %s", dump(fs))
	}
	fs = Lint([]byte(`{"Statement":[{"Efect":"Allow","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`))
	if len(fs) != 1 || !strings.Contains(fs[0].Fix, `"Effect"`) {
		t.Fatalf("expected a did-you-mean for Effect: %s", dump(fs))
	}
	fs = Lint([]byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEqual":{"a:b":"c"}}}]}`))
	if len(fs) != 1 || !strings.Contains(fs[0].Fix, "ForAnyValue:StringEquals") {
		t.Fatalf("expected a did-you-mean for the operator: %s", dump(fs))
	}
	fs = Lint([]byte("{\"Statement\": [\n  {\"Effect\": \"allow\"}\n]}"))
	found := false
	for _, f := range fs {
		if f.Rule == "effect" && f.Line == 2 && f.Column == 14 && strings.Contains(f.Fix, "capital A") {
			found = true
		}
	}
	if !found {
		t.Fatalf("%s", dump(fs))
	}
}

func TestParseErrors(t *testing.T) {
	_, err := Parse([]byte(`{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]`))
	if err == nil || !strings.HasPrefix(err.Error(), "1:66:") {
		t.Fatalf("got %v", err)
	}
	// Parse accepts what lint only warns about or what AWS evaluates.
	if _, err := Parse([]byte(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"}]}`)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"\"\\u00e9\\ud83d\\ude00\"", `"\x"`, `"abc`, `-`, `1.`, `1e`, `tru`, `[1,]`, `{"a" 1}`, `{"a":1 "b":2}`, "\"a\tb\"", strings.Repeat("[", 100)} {
		if _, err := parseJSON([]byte(s)); (err == nil) != (s == "\"\\u00e9\\ud83d\\ude00\"") {
			t.Errorf("parseJSON(%q): %v", s, err)
		}
	}
	n, _ := parseJSON([]byte("\"\\u00e9\\ud83d\\ude00\""))
	if n.str != "é😀" {
		t.Fatalf("unicode escapes: %q", n.str)
	}
}

// TestLintUnclosedStringOnItsLine: a quote left out at the end of a value
// (the mistake a learner editing JSON makes) is reported as that, at the
// string, not as "control character inside a string: write it escaped".
func TestLintUnclosedStringOnItsLine(t *testing.T) {
	src := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\n    \"Principal\": \"*\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}"
	fs := LintWith([]byte(src), LintOptions{Account: acct, Region: region})
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	f := fs[0]
	if f.Line != 4 || f.Column != 15 || !strings.Contains(f.Message, "not closed") || !strings.Contains(f.Fix, `add the closing "`) {
		t.Fatalf("finding %d:%d %q (fix %q)", f.Line, f.Column, f.Message, f.Fix)
	}
}
