package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// ECR's repository names, as its API model (RepositoryName, in the
// 2015-09-21 service model the API reference is generated from) states
// them: 2 to 256 characters; lower-case letters and digits in components
// separated by "/", each component's words joined by ".", "_", "__" or a
// run of "-".
var repositoryPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)

// ValidateRepository says why ECR would refuse name as a repository name,
// or nil. The policy commands, the lab commands and the wizard all check
// --repo with it, before anything is sent to AWS.
func ValidateRepository(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("name a repository, e.g. %s", DefaultRepository)
	case len(name) < 2 || len(name) > 256:
		return fmt.Errorf("repository name %q has %d characters; ECR accepts 2 to 256", name, len(name))
	case strings.ContainsAny(name, "*?"):
		return fmt.Errorf("repository name %q has a wildcard; name one repository, e.g. %s", name, DefaultRepository)
	case strings.ToLower(name) != name && repositoryPattern.MatchString(strings.ToLower(name)):
		return fmt.Errorf("repository name %q has upper-case letters; ECR accepts lower case only (%s)", name, strings.ToLower(name))
	case !repositoryPattern.MatchString(name):
		hint := "e.g. " + DefaultRepository
		if s := SuggestRepository(name); s != "" {
			hint = "did you mean " + s + "?"
		}
		return fmt.Errorf("%q is not a repository name ECR accepts: lower-case letters and digits, words joined by . _ or -, parts separated by / (%s)", name, hint)
	}
	return nil
}

// SuggestRepository returns the name ECR would accept that is nearest to
// name as a person would write it ("Team A" is team-a), or "" when there
// is none. A suggestion is only worth making if it is itself valid: it is
// checked with ValidateRepository.
func SuggestRepository(name string) string {
	var parts []string
	for _, part := range strings.Split(strings.ToLower(strings.TrimSpace(name)), "/") {
		var b strings.Builder
		var sep []rune // the separators since the last letter or digit
		for _, r := range part {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				if len(sep) > 0 && b.Len() > 0 {
					b.WriteString(joiner(string(sep)))
				}
				sep = sep[:0]
				b.WriteRune(r)
				continue
			}
			sep = append(sep, r) // anything else (a space, a colon) separates words
		}
		if b.Len() > 0 {
			parts = append(parts, b.String())
		}
	}
	s := strings.Join(parts, "/")
	if ValidateRepository(s) != nil || s == name {
		return ""
	}
	return s
}

// joiner keeps a separator ECR accepts between two words (".", "_", "__",
// a run of "-") and turns any other (a space, "._", ":") into "-".
func joiner(sep string) string {
	switch {
	case sep == "." || sep == "_" || sep == "__" || strings.Trim(sep, "-") == "":
		return sep
	}
	return "-"
}

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// regionPattern is the shape of every AWS region name: us-west-2,
	// us-gov-west-1, cn-north-1, eu-isoe-west-1.
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(?:-[a-z]+)+-[0-9]+$`)
)

// ValidateAccount says why id is not an AWS account ID, or nil.
func ValidateAccount(id string) error {
	if !accountPattern.MatchString(id) {
		return fmt.Errorf("%q is not an AWS account ID: write the 12 digits, e.g. 123456789012", id)
	}
	return nil
}

// ValidateRegion says why name is not an AWS region name, or nil.
func ValidateRegion(name string) error {
	if !regionPattern.MatchString(name) {
		return fmt.Errorf("%q is not an AWS region name: write it like us-west-2", name)
	}
	return nil
}
