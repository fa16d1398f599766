package policy

import (
	"strings"
	"testing"
)

func TestValidateRepository(t *testing.T) {
	for _, ok := range []string{"team-a/alpine", "ab", "a__b", "a---b", "a.b_c/d-e", "x9/y8/z7", strings.Repeat("a", 256)} {
		if err := ValidateRepository(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, says := range map[string]string{
		"":                       "name a repository",
		"a":                      "ECR accepts 2 to 256",
		strings.Repeat("a", 257): "ECR accepts 2 to 256",
		"x*":                     "has a wildcard",
		"team-a/*":               "has a wildcard",
		"Team-A/alpine":          "lower case only (team-a/alpine)",
		"-a":                     "not a repository name ECR accepts",
		"a/":                     "not a repository name ECR accepts",
		"a//b":                   "not a repository name ECR accepts",
		"a___b":                  "not a repository name ECR accepts",
		"a b":                    "not a repository name ECR accepts",
		"a:b":                    "not a repository name ECR accepts",
	} {
		if err := ValidateRepository(bad); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v, want %q", bad, err, says)
		}
	}
}

// TestRepositorySuggestion: the name a refusal suggests is one ECR
// accepts ("Team A" once suggested "team a", refused in turn).
func TestRepositorySuggestion(t *testing.T) {
	for in, want := range map[string]string{
		"Team A":          "team-a",
		"Team A/Alpine":   "team-a/alpine",
		" team a ":        "team-a",
		"team a/alpine":   "team-a/alpine",
		"Team_A":          "team_a",
		"TEAM:A//alpine/": "team-a/alpine",
		"-team-a-":        "team-a",
		"a___b":           "a-b",
		"Team-A/alpine":   "team-a/alpine",
		"é":               "",
		"a b.":            "a-b",
		"x*":              "",
		"**":              "",
	} {
		got := SuggestRepository(in)
		if got != want {
			t.Errorf("SuggestRepository(%q) = %q, want %q", in, got, want)
		}
		err := ValidateRepository(in)
		if err == nil {
			t.Errorf("%q accepted", in)
			continue
		}
		if got != "" && !strings.Contains(err.Error(), got) {
			t.Errorf("%q: %v does not suggest %q", in, err, got)
		}
		// The name the message offers is one ECR accepts.
		msg := err.Error()
		for _, form := range []struct{ before, after string }{{"did you mean ", "?"}, {"lower case only (", ")"}} {
			if _, rest, ok := strings.Cut(msg, form.before); ok {
				offered, _, _ := strings.Cut(rest, form.after)
				if verr := ValidateRepository(offered); verr != nil {
					t.Errorf("%q: the message offers %q, which ECR refuses: %v", in, offered, verr)
				}
			}
		}
	}
}

func TestValidateAccountAndRegion(t *testing.T) {
	if ValidateAccount("123456789012") != nil || ValidateAccount("12345678901") == nil || ValidateAccount("12345678901a") == nil || ValidateAccount("") == nil {
		t.Error("account IDs are 12 digits")
	}
	for _, r := range []string{"us-west-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4", "eu-isoe-west-1"} {
		if err := ValidateRegion(r); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	for _, r := range []string{"", "us-west", "US-WEST-2", "uswest2", "us-west-2 ", "*"} {
		if ValidateRegion(r) == nil {
			t.Errorf("%q accepted", r)
		}
	}
}
