package ui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// The golden tests run the real program (teatest) on an instant sandbox and
// compare each screen, ANSI stripped, with testdata/TestGolden/SIZE/NAME.golden.
// Run `go test ./ui -run TestGolden -update` after an intended change, then
// read the diff: it is what a learner will see.

var (
	reID      = regexp.MustCompile(`\b(vpce|sgr|sg|subnet|vpc|rtb|eni|pl|i)-[0-9a-f]{3,17}`)
	reClock   = regexp.MustCompile(`\b\d\d:\d\d:\d\d\b`)
	reElapsed = regexp.MustCompile(`\[[0-9.]+s\]`)
	reRun     = regexp.MustCompile(`run [0-9a-f]{10}`)
	reDay     = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d`)
	reDigest  = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	reHex17   = regexp.MustCompile(`\b[0-9a-f]{17}\b`) // an ID cut by wrapping
	reIP      = regexp.MustCompile(`\b10\.0\.\d{1,3}\.\d{1,3}\b`)
)

// normalise replaces what changes from run to run (resource IDs, clocks,
// durations) with fixed text of the same width, so layout stays checked.
func normalise(s string) string {
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
	s = reIP.ReplaceAllString(s, "10.0.n.n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

type goldenRun struct {
	t  *testing.T
	tm *teatest.TestModel
}

func (g *goldenRun) snapshot() Snapshot {
	reply := make(chan Snapshot, 1)
	g.tm.Send(SnapshotMsg{Reply: reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(10 * time.Second):
		g.t.Fatal("the program did not answer a snapshot")
	}
	return Snapshot{}
}

// waitIdle waits until no operation is in flight and the screen has stopped
// changing.
func (g *goldenRun) waitIdle(what string) Snapshot {
	g.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	stable := 0
	for time.Now().Before(deadline) {
		s := g.snapshot()
		if !s.Busy && s.Screen == last {
			stable++
			if stable >= 3 {
				return s
			}
		} else {
			stable = 0
		}
		last = s.Screen
		time.Sleep(30 * time.Millisecond)
	}
	g.t.Fatalf("never settled while waiting for %s:\n%s", what, ansi.Strip(last))
	return Snapshot{}
}

// press sends keys one at a time, each after the wizard has settled, as a
// person reading the screen would.
func (g *goldenRun) press(keys ...string) {
	g.t.Helper()
	for i, k := range keys {
		if i > 0 {
			g.waitIdle("before " + k)
		}
		g.tm.Send(keyMsg(k))
		time.Sleep(20 * time.Millisecond)
	}
}

func (g *goldenRun) check(name string, wantStep string) Snapshot {
	g.t.Helper()
	s := g.waitIdle(name)
	if wantStep != "" && s.Step != wantStep {
		g.t.Fatalf("%s: on %q, want %q:\n%s", name, s.Step, wantStep, ansi.Strip(s.Screen))
	}
	g.t.Run(name, func(t *testing.T) { golden.RequireEqual(t, normalise(s.Screen)) })
	return s
}

func TestGolden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			opts, _ := sandboxOptions(t)
			opts.DarkBackground = true
			m := New(context.Background(), opts)
			tm := teatest.NewTestModel(t, m,
				teatest.WithInitialTermSize(size.w, size.h),
				teatest.WithProgramOptions(
					tea.WithColorProfile(colorprofile.TrueColor),
					tea.WithEnvironment([]string{"TERM=xterm-256color", "COLORTERM=truecolor"}),
				))
			g := &goldenRun{t: t, tm: tm}
			g.check("00-start", "Preflight")
			g.press("enter")
			g.check("01-preflight", "Preflight")
			g.press("enter")
			g.check("02-workspace", "Workspace")
			g.press("enter")
			g.check("03-security-group", "Security group")
			g.press("enter", "enter")
			g.check("04-ingress", "Ingress rule")
			g.press("enter", "enter")
			g.check("05-policy", "Endpoint policy")
			g.press("tab")
			g.waitIdle("tab")
			g.press("j")
			g.check("05-policy-json", "Endpoint policy")
			g.press("esc")
			g.waitIdle("form")
			g.press("enter", "enter", "enter")
			g.check("06-endpoints-plan", "Endpoints")
			g.press("enter")
			g.check("06-endpoints", "Endpoints")
			g.press("c")
			g.check("06-endpoints-cli", "Endpoints")
			g.press("c", "enter")
			g.check("07-dns-plan", "Private DNS")
			// DNS goes on to the push test by itself once both names are
			// private; step back to see the lookups.
			g.press("enter")
			g.check("08-push-plan", "Push test")
			g.press("up")
			g.check("07-dns", "Private DNS")
			g.press("down", "enter")
			g.check("08-push", "Push test")
			g.press("enter", "enter")
			g.check("09-list", "List test")
			g.press("enter")
			g.check("10-finish", "Finish")
			g.press("?")
			g.check("help", "Finish")
			g.press("esc", "T")
			g.check("confirm-teardown", "Finish")
			g.press("y")
			g.check("teardown", "")
			g.press("enter")
			tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
		})
	}
}
