package policy

import (
	"strings"
)

// wildcardMatch reports whether s matches pattern, where '*' matches any run
// of characters (including none) and '?' exactly one. It runs in
// O(len(pattern)·len(s)) worst case without recursion, so hostile patterns
// cannot blow up the sandbox that evaluates every registry request.
func wildcardMatch(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchAction compares IAM actions: case-insensitive, with wildcards.
func matchAction(pattern, action string) bool {
	return wildcardMatch(pattern, action, true)
}

// matchResource compares resource ARNs: case-sensitive, with wildcards.
func matchResource(pattern, resource string) bool {
	return wildcardMatch(pattern, resource, false)
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits arn:partition:service:region:account:resource. The
// resource part may itself hold colons.
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// matchARN implements the Arn* condition operators: each of the six
// colon-separated parts is compared on its own, so a wildcard never spans a
// colon except in the final resource part.
func matchARN(pattern, value string, like bool) bool {
	pp := strings.SplitN(pattern, ":", 6)
	vp := strings.SplitN(value, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		if like {
			return wildcardMatch(pattern, value, false)
		}
		return pattern == value
	}
	for i := range pp {
		if like {
			if !wildcardMatch(pp[i], vp[i], false) {
				return false
			}
		} else if pp[i] != vp[i] {
			return false
		}
	}
	return true
}

// RepositoryARN is the ARN of an ECR repository.
func RepositoryARN(region, account, repo string) string {
	return "arn:aws:ecr:" + region + ":" + account + ":repository/" + repo
}
