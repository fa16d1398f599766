// Package screentext turns a captured terminal screen into text that is the
// same from run to run: resource IDs, clocks, durations, digests and the
// endpoints' addresses change every time, the layout must not. The wizard's
// golden tests and the README screenshots compare screens through it.
package screentext

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

var (
	reID      = regexp.MustCompile(`\b(vpce|sgr|sg|subnet|vpc|rtb|eni|pl|i)-[0-9a-f]{3,17}`)
	reHex17   = regexp.MustCompile(`\b[0-9a-f]{17}\b`) // an ID cut by wrapping
	reClock   = regexp.MustCompile(`\b\d\d:\d\d:\d\d\b`)
	reElapsed = regexp.MustCompile(`\[[0-9.]+s\]`)
	reRun     = regexp.MustCompile(`run [0-9a-f]{10}`)
	reDay     = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d`)
	reDigest  = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	reIP      = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
	// A sandbox's port, in the AWS CLI commands a fix names there.
	rePort  = regexp.MustCompile(`n\.n\.n\.n:\d{1,5}\b`)
	reCost  = regexp.MustCompile(`\$\d+\.\d\d so far`)
	reCount = regexp.MustCompile(`next look in \d+s`)
	// The run's expiry: the time left and the wall-clock time it falls at.
	reLeft = regexp.MustCompile(`\b(\d+h\d\dm|\d+m|\d+s) left\b|\(in (\d+h\d\dm|\d+m|\d+s)\)|[Ee]xpire[sd] at \d\d:\d\d|\b\d{4}-\d\d-\d\dT`)
	// The auto-teardown's schedules and role carry the run id, whole or
	// cut in the middle (…) on a narrow screen.
	reRunName = regexp.MustCompile(`teardown-[0-9a-f]{1,10}\b|\b[0-9a-f]{1,10}-(endpoints|group)\b|…([a-z]*-)?[0-9a-f]{1,10}\b|\b[0-9a-f]{1,10}…`)
	reDigit   = regexp.MustCompile(`\d`)
	reISOTime = regexp.MustCompile(`T\d\d:\d\d:\d\d`)
	reSpinner = regexp.MustCompile(`[▖▘▝▗]`)
)

// Normalise strips colours and replaces what varies with fixed text of the
// same width, so alignment is still compared.
func Normalise(s string) string {
	s = ansi.Strip(s)
	s = reID.ReplaceAllStringFunc(s, func(id string) string {
		i := strings.LastIndex(id, "-")
		return id[:i+1] + strings.Repeat("x", len(id)-i-1)
	})
	s = reHex17.ReplaceAllString(s, strings.Repeat("x", 17))
	s = reClock.ReplaceAllString(s, "hh:mm:ss")
	s = reElapsed.ReplaceAllStringFunc(s, func(e string) string { return "[" + strings.Repeat("0", len(e)-3) + "s]" })
	s = reRun.ReplaceAllString(s, "run RUNID00000")
	s = reDay.ReplaceAllString(s, "Day hh:mm")
	s = reDigest.ReplaceAllString(s, "sha256:"+strings.Repeat("d", 64))
	// Concurrent creation hands the endpoints' addresses out in any order.
	s = reIP.ReplaceAllString(s, "n.n.n.n")
	s = rePort.ReplaceAllStringFunc(s, func(m string) string { return "n.n.n.n:" + strings.Repeat("n", len(m)-len("n.n.n.n:")) })
	s = reCost.ReplaceAllLiteralString(s, "$n.nn so far")
	s = reCount.ReplaceAllString(s, "next look in ns")
	s = reLeft.ReplaceAllStringFunc(s, func(m string) string { return reDigit.ReplaceAllString(m, "n") })
	s = reISOTime.ReplaceAllString(s, "Thh:mm:ss")
	s = reRunName.ReplaceAllStringFunc(s, maskRunID)
	// The spinner turns through quarter blocks; any frame may be caught.
	s = reSpinner.ReplaceAllLiteralString(s, "▖")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// maskRunID replaces the run id's hex digits in a schedule's or role's
// name (or what is left of it) with x, keeping the words around it.
func maskRunID(m string) string {
	prefix, rest := "", m
	for _, p := range []string{"teardown-", "…"} {
		if strings.HasPrefix(rest, p) {
			prefix, rest = p, strings.TrimPrefix(rest, p)
		}
	}
	if i := strings.LastIndex(rest, "-"); prefix == "…" && i >= 0 && !strings.HasSuffix(rest, "-endpoints") && !strings.HasSuffix(rest, "-group") {
		prefix, rest = prefix+rest[:i+1], rest[i+1:] // "…own-" of a cut role name
	}
	suffix := ""
	for _, p := range []string{"-endpoints", "-group", "…"} {
		if strings.HasSuffix(rest, p) {
			suffix, rest = p, strings.TrimSuffix(rest, p)
		}
	}
	return prefix + strings.Repeat("x", len(rest)) + suffix
}
