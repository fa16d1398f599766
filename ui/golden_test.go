package ui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"ecr-vpce-lab/internal/screentext"
)

// The golden tests run the real program (teatest) on an instant sandbox and
// compare each screen, ANSI stripped, with testdata/TestGolden/SIZE/NAME.golden.
// Run `go test ./ui -run TestGolden -update` after an intended change, then
// read the diff: it is what a learner will see.

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
		// Text, not styles: the JSON editor's cursor blinks by restyling
		// one cell, and on a loaded machine three snapshots span a blink,
		// so a styled screen never held still. The goldens compare text.
		text := ansi.Strip(s.Screen)
		if !s.Busy && text == last {
			stable++
			if stable >= 3 {
				return s
			}
		} else {
			stable = 0
		}
		last = text
		time.Sleep(30 * time.Millisecond)
	}
	g.t.Fatalf("never settled while waiting for %s:\n%s", what, last)
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

// pressUntilChanged sends a key whose effect arrives through the program's
// own messages (a form moving focus) and waits until the screen shows it.
func (g *goldenRun) pressUntilChanged(k string) {
	g.t.Helper()
	before := g.waitIdle("before " + k).Screen
	g.tm.Send(keyMsg(k))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if g.snapshot().Screen != before {
			g.waitIdle("after " + k)
			return
		}
	}
	g.t.Fatalf("%s changed nothing on the screen", k)
}

// check waits until the wizard is idle on wantStep showing every one of
// texts, then compares the screen with its golden file.
func (g *goldenRun) check(name string, wantStep string, texts ...string) Snapshot {
	g.t.Helper()
	s := g.waitIdle(name)
	for deadline := time.Now().Add(20 * time.Second); !contains2(ansi.Strip(s.Screen), texts...); {
		if time.Now().After(deadline) {
			// A text that never comes is a failure, not a 20-second wait
			// and then a golden of whatever the screen showed.
			g.t.Fatalf("%s: the screen never showed %q:\n%s", name, texts, ansi.Strip(s.Screen))
		}
		time.Sleep(30 * time.Millisecond)
		s = g.waitIdle(name)
	}
	if wantStep != "" && s.Step != wantStep {
		g.t.Fatalf("%s: on %q, want %q:\n%s", name, s.Step, wantStep, ansi.Strip(s.Screen))
	}
	g.t.Run(name, func(t *testing.T) { golden.RequireEqual(t, screentext.Normalise(s.Screen)) })
	return s
}

// snapshotted is the wizard as the program runs it, but for the frame
// drawn right after a snapshot: a snapshot changes nothing, so that frame
// is the one drawn before it. The test reads the screen through snapshots,
// never through the terminal's output, and drawing each polled screen a
// second time for that output was half of the test's rendering.
//
// Likewise a snapshot right after a snapshot is the same snapshot: nothing
// reached the model in between. waitIdle polls until three in a row agree,
// and rendering each of them again was most of the rest.
type snapshotted struct {
	*Model
	last  tea.View
	drawn bool
	// snapshot: the last message was a SnapshotMsg, whose answer was snap.
	snapshot bool
	snap     Snapshot
}

func (s *snapshotted) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	sm, isSnap := msg.(SnapshotMsg)
	if !isSnap {
		s.snapshot = false
		next, cmd := s.Model.Update(msg)
		s.Model = next.(*Model)
		return s, cmd
	}
	if !s.snapshot {
		reply := make(chan Snapshot, 1)
		next, _ := s.Model.Update(SnapshotMsg{Reply: reply})
		s.Model = next.(*Model)
		s.snap, s.snapshot = <-reply, true
	}
	select {
	case sm.Reply <- s.snap:
	default:
	}
	return s, nil
}

func (s *snapshotted) View() tea.View {
	if !s.drawn || !s.snapshot {
		s.last, s.drawn = s.Model.View(), true
	}
	return s.last
}

func TestGolden(t *testing.T) {
	t.Parallel()
	// Both sizes at once, in this test's own parallel slot: as parallel
	// subtests they queued for slots of their own behind the package's
	// other tests, and the longest walk of the package started last.
	var sizes sync.WaitGroup
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		sizes.Go(func() { goldenWalk(t, size.w, size.h) })
	}
	sizes.Wait()
}

// goldenWalk walks the lab in a w×h terminal, checking each screen.
func goldenWalk(t *testing.T, w, h int) {
	t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
		opts, _ := sandboxOptions(t)
		opts.DarkBackground = true
		m := &snapshotted{Model: New(context.Background(), opts)}
		tm := teatest.NewTestModel(t, m,
			teatest.WithInitialTermSize(w, h),
			teatest.WithProgramOptions(
				tea.WithColorProfile(colorprofile.TrueColor),
				tea.WithEnvironment([]string{"TERM=xterm-256color", "COLORTERM=truecolor"}),
			))
		g := &goldenRun{t: t, tm: tm}
		g.check("00-start", "Preflight")
		g.press("enter")
		g.check("01-preflight", "Preflight", "Press Enter to continue")
		g.press("enter")
		g.check("02-workspace", "Workspace")
		g.press("enter")
		g.check("03-security-group", "Security group")
		g.press("enter", "enter")
		g.check("04-ingress", "Ingress rule")
		g.press("enter", "enter")
		g.check("05-policy", "Endpoint policy")
		g.pressUntilChanged("tab")
		g.press("ctrl+o")
		g.check("05-policy-json", "Endpoint policy")
		g.press("esc")
		g.waitIdle("form")
		// Deny pulls too: ↓ from ecr:PutImage to ecr:BatchGetImage, toggle.
		g.pressUntilChanged("tab")
		g.press("down", "space")
		g.check("05-policy-deny-pull", "Endpoint policy", "✓ ecr:BatchGetImage")
		g.pressUntilChanged("enter")
		g.press("enter")
		g.check("06-endpoints-plan", "Endpoints")
		g.press("enter")
		g.check("06-endpoints", "Endpoints", "ecr.dkr interface endpoint", "ecr.api interface endpoint", "s3 gateway endpoint")
		g.press("c")
		g.check("06-endpoints-cli", "Endpoints")
		g.press("c", "enter")
		g.check("07-dns-plan", "Private DNS")
		// Skip the wait: the step keeps its own mark.
		g.press("s")
		g.check("08-push-plan", "Push test", "skipped")
		g.press("up")
		g.check("07-dns-skipped", "Private DNS", "Skipped")
		g.press("k")
		g.check("07-dns-checked", "Private DNS", "checked")
		g.press("down", "enter")
		g.check("08-push", "Push test", "push denied", "AWS refused ecr:PutImage")
		g.press("enter", "enter")
		g.check("09-list", "List test", "list-images allowed", "pull denied", "AWS refused ecr:BatchGetImage")
		// x: why was the pull refused? The engine's explanation.
		g.press("x")
		g.check("09-list-why", "List test", "Why: ecr:BatchGetImage", "statement by statement")
		// k checks both tests of the screen, not only the last one.
		g.press("esc", "k")
		g.check("09-list-checked", "List test", "checked", "list-images was allowed", "; pull was")
		g.press("enter")
		g.check("10-finish", "Finish", "How a push travels")
		// Deny nothing: untick both, apply; the tests run again.
		g.press("p")
		g.waitIdle("the form")
		g.pressUntilChanged("tab")
		g.press("space", "down", "space")
		g.check("05-policy-allow-all", "Endpoint policy", "denies nothing")
		g.pressUntilChanged("enter")
		g.press("enter")
		g.check("08-push-allowed", "Push test", "push allowed")
		g.press("enter", "enter")
		g.check("09-list-allowed", "List test", "v2")
		g.press("enter")
		g.check("10-finish-allowed", "Finish", "let the push through")
		// The policy challenges: the list, challenge 1, a failed check,
		// its why, the model answer, checked for real.
		g.press("g")
		g.check("challenges", "Finish", "Policy challenges", "Read-only team")
		g.press("enter")
		g.check("challenge-1", "Finish", "Challenge 1 · Read-only team", "AWS would accept it")
		g.press("enter")
		g.check("challenge-1-failed", "Finish", "7 of 8 requests", "push team-a/tools")
		g.press("x")
		g.check("challenge-1-why", "Finish", "Why: ecr:PutImage", "statement by statement")
		g.press("esc", "s", "enter")
		g.check("challenge-1-passed", "Finish", "8 of 8 requests as the goal wants, for real", "passed, live too")
		g.press("x")
		g.check("challenge-1-requests", "Finish", "request by request (for real)", "through ecr.dkr")
		g.press("esc", "esc", "esc")
		g.check("10-finish-after-challenges", "Finish", "How a push travels")
		g.press("?")
		g.check("help", "Finish")
		g.press("esc", "T")
		g.check("confirm-teardown", "Finish")
		g.press("y")
		g.check("teardown", "", "Nothing left")
		g.press("enter")
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
}
