package policy

import (
	"strings"
)

// wildcardMatch reports whether s matches pattern, where '*' matches any run
// of characters (including none) and '?' exactly one. It runs in
// O(len(pattern)·len(s)) worst case without recursion, so hostile patterns
// cannot blow up the sandbox that evaluates every registry request.
func wildcardMatch(pattern, s string, foldCase bool) bool {
	if isASCII(pattern) && isASCII(s) {
		// The common case (ARNs, actions) needs no allocation.
		return globMatch(len(pattern), len(s), func(i int) byte { return pattern[i] }, func(i int) byte { return s[i] }, foldCase)
	}
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, t := []rune(pattern), []rune(s)
	return globMatch(len(p), len(t), func(i int) rune { return p[i] }, func(i int) rune { return t[i] }, false)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func lowerASCII[C byte | rune](c C) C {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// globMatch is the classic two-pointer wildcard matcher with backtracking to
// the last star only.
func globMatch[C byte | rune](np, nt int, p, t func(int) C, fold bool) bool {
	eq := func(a, b C) bool {
		if fold {
			return lowerASCII(a) == lowerASCII(b)
		}
		return a == b
	}
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < nt {
		switch {
		case pi < np && p(pi) != '*' && (p(pi) == '?' || eq(p(pi), t(ti))):
			pi++
			ti++
		case pi < np && p(pi) == '*':
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
	for pi < np && p(pi) == '*' {
		pi++
	}
	return pi == np
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

// matchARN implements the Arn* condition operators: each of the six
// colon-separated parts is compared on its own, so a wildcard never spans a
// colon except in the final resource part.
func matchARN(pattern, value string, like bool) bool {
	pp := strings.SplitN(pattern, ":", 6)
	vp := strings.SplitN(value, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		// Not ARNs: AWS never matches them, whatever the wildcards.
		return false
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
	return "arn:" + PartitionOf(region) + ":ecr:" + region + ":" + account + ":repository/" + repo
}
