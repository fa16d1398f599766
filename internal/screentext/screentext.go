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
	reCost    = regexp.MustCompile(`\$\d+\.\d\d so far`)
	reCount   = regexp.MustCompile(`next look in \d+s`)
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
	s = reCost.ReplaceAllLiteralString(s, "$n.nn so far")
	s = reCount.ReplaceAllString(s, "next look in ns")
	// The spinner breathes through · • ●; any frame may be caught.
	s = strings.NewReplacer("●", "·", "•", "·").Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
