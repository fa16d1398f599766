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
