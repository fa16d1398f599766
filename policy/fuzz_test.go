package policy

import (
	"fmt"
	"strings"
	"testing"
)

// reparsed is doc read back from its canonical form, which must parse
// and be its own canonical form.
func reparsed(t *testing.T, doc *Document) *Document {
	t.Helper()
	c1 := doc.Canonical()
	d2, err := Parse(c1)
	if err != nil {
		t.Fatalf("canonical form does not parse: %s: %v", c1, err)
	}
	if c2 := d2.Canonical(); string(c1) != string(c2) {
		t.Fatalf("canonical form is not stable:\n%s\n%s", c1, c2)
	}
	return d2
}

func FuzzLint(f *testing.F) {
	for _, s := range []string{
		seedPolicy,
		`{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":["1"]},"NotAction":"ecr:Put*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a",1,true]}}}}`,
		`{"a":"\ud83d\ude00","b":[1e5,-0.5,null,false]}`,
		"", "[", `{"Statement":[{]}`, "\"\\u12", "{\"\xff\":1}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fs := LintWith(src, LintOptions{Account: acct, Region: region})
		for _, x := range fs {
			if x.Line < 1 || x.Column < 1 || x.Message == "" {
				t.Fatalf("malformed finding %+v", x)
			}
		}
		doc, err := Parse(src)
		if (err == nil) == HasErrors(structuralOnly(fs)) {
			t.Fatalf("Parse and Lint disagree: parse err %v, findings %v", err, fs)
		}
		if err != nil {
			return
		}
		reparsed(t, doc)
	})
}

// structuralOnly keeps the findings Parse also reports.
func structuralOnly(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		switch f.Rule {
		case "json", "type", "unknown-key", "duplicate-key", "missing", "principal", "version":
			if f.Severity == SeverityError {
				out = append(out, f)
			}
		}
	}
	return out
}

// FuzzEvaluate checks the one rule nothing may break: a Deny that matches
// the request wins over any number of Allows, whatever else the policy says.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(seedPolicy), "ecr:PutImage", "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine", uint8(3), "aws:SourceVpc", "vpc-1")
	f.Add([]byte(`{"Statement":[]}`), "ecr:*", "*", uint8(0), "", "")
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":"c"}}}}`), "s3:GetObject", "arn:aws:s3:::b/k", uint8(50), "a:b", "c")
	f.Fuzz(func(t *testing.T, src []byte, action, resource string, allows uint8, key, value string) {
		req := Request{Action: action, Resource: resource, Principal: caller}
		if key != "" {
			req.Context = map[string][]string{key: {value}}
		}
		doc, err := Parse(src)
		if err != nil {
			doc = &Document{}
		}
		_ = Evaluate(doc, req) // must not panic on anything that parses
		for i := 0; i < int(allows%64); i++ {
			doc.Statements = append(doc.Statements, Statement{Sid: fmt.Sprintf("Allow%d", i), Effect: Allow, Principal: &Principal{Any: true}, Action: Values{"*"}, Resource: Values{"*"}})
		}
		// Escape nothing: a pattern equal to the value always matches it.
		doc.Statements = append(doc.Statements, Statement{Sid: "TheDeny", Effect: Deny, Principal: &Principal{Any: true}, Action: Values{action}, Resource: Values{resource}})
		if strings.Contains(resource, "${") {
			doc.Version = "" // variables would substitute; keep the value literal
		}
		d := Evaluate(doc, req)
		if d.Result != ResultExplicitDeny {
			t.Fatalf("a matching Deny must win: %+v for %+v", d, req)
		}
		found := false
		for _, s := range d.Statements {
			found = found || s == "TheDeny"
		}
		if !found {
			t.Fatalf("the deciding statements must include the Deny: %v", d.Statements)
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	lab, _ := Default(acct, region, "team-a/alpine", nil)
	push := Request{Action: "ecr:PutImage", Resource: repoARN("team-a/alpine"), Principal: caller}
	b.Run("lab-policy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if Evaluate(lab, push).Result != ResultExplicitDeny {
				b.Fatal("wrong")
			}
		}
	})
	var sb strings.Builder
	sb.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := range 50 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"Sid":"S%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/R%d"},"Action":["ecr:BatchGetImage","ecr:Get*","ecr:List*"],"Resource":"arn:aws:ecr:us-west-2:123456789012:repository/team-%d/*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-%d"},"IpAddress":{"aws:VpcSourceIp":"10.%d.0.0/16"}}}`, i, i, i, i, i)
	}
	sb.WriteString(`]}`)
	big := MustParse(sb.String())
	pull := Request{Action: "ecr:BatchGetImage", Resource: repoARN("team-49/app"), Principal: "arn:aws:sts::123456789012:assumed-role/R49/s",
		Context: map[string][]string{"aws:SourceVpc": {"vpc-49"}, "aws:VpcSourceIp": {"10.49.3.4"}}}
	b.Run("50-statements", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if Evaluate(big, pull).Result != ResultAllow {
				b.Fatal("wrong")
			}
		}
	})
}

func BenchmarkLint(b *testing.B) {
	src := []byte(seedPolicy)
	b.ReportAllocs()
	for b.Loop() {
		LintWith(src, LintOptions{Account: acct, Region: region})
	}
}

// FuzzExplain holds the trace to Evaluate: the same decision, a deciding
// statement matched on every element, a non-matching one missed on at least
// one, and every proposed edit really flips the outcome.
func FuzzExplain(f *testing.F) {
	f.Add([]byte(seedPolicy), "ecr:PutImage", "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine", "aws:SourceVpc", "vpc-1")
	f.Add([]byte(`{"Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::123456789012:role/Cloud9Role"]},"NotAction":"ecr:Put*","Resource":["arn:aws:ecr:*:*:repository/team-a/*","*"],"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"},"Bool":{"aws:SecureTransport":"true"}}},{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","NotResource":"arn:aws:ecr:us-west-2:123456789012:repository/x"}]}`), "ecr:BatchGetImage", "*", "aws:SecureTransport", "true")
	f.Add([]byte(`{"Statement":{"Effect":"Deny","Principal":"*","Action":["ecr:PutImage","ecr:*"],"Resource":"*"}}`), "ecr:PutImage", "*", "", "")
	f.Fuzz(func(t *testing.T, src []byte, action, resource, key, value string) {
		doc, err := Parse(src)
		if err != nil {
			return
		}
		req := Request{Action: action, Resource: resource, Principal: caller}
		if key != "" {
			req.Context = map[string][]string{key: {value}}
		}
		tr := Explain(doc, req)
		if d := Evaluate(doc, req); d.Result != tr.Decision.Result {
			t.Fatalf("Explain says %s, Evaluate %s", tr.Decision.Result, d.Result)
		}
		for _, s := range tr.Statements {
			if s.Matched != (len(s.Misses()) == 0) {
				t.Fatalf("%s: matched=%v with misses %+v", s.Label, s.Matched, s.Misses())
			}
			for _, c := range s.Checks {
				if c.Why == "" {
					t.Fatalf("%s: a check without a reason: %+v", s.Label, c)
				}
			}
		}
		if tr.Decision.Result != ResultImplicitDeny && len(tr.Deciding()) == 0 {
			t.Fatalf("%s with no deciding statement", tr.Decision.Result)
		}
		for _, e := range tr.Edits {
			if got := Evaluate(e.Policy, req); got.Result != e.Result || got.Allowed() == tr.Decision.Allowed() {
				t.Fatalf("edit %q leaves the outcome %s", e.Summary, got.Result)
			}
		}
		if Evaluate(doc, req).Result != tr.Decision.Result {
			t.Fatal("Explain changed the policy")
		}
	})
}
