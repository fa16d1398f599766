package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestChallengeDraftKeptWithoutACheck: a learner who edits an answer and
// leaves without checking it finds the draft again, in this wizard and
// in the next; opening and leaving a challenge without typing saves
// nothing, and a model answer shown is not taken for the learner's draft.
func TestChallengeDraftKeptWithoutACheck(t *testing.T) {
	t.Parallel()
	m, d, opts, stateDir := challengesWizard(t, 120, 40)
	progress := steps.ProgressPath(stateDir)
	// Open and leave challenge 2 untouched: nothing to save. At 100
	// columns its goal wraps at spaces, not inside team-a/alpine.
	d.key("down")
	d.key("enter")
	d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	if s := d.screen(); !strings.Contains(s, "team-a/alpine's does") {
		t.Errorf("the goal splits a name:\n%s", s)
	}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.key("esc")
	d.settle()
	if b, err := os.ReadFile(progress); err == nil {
		t.Fatalf("an untouched challenge saved a draft:\n%s", b)
	}
	// Challenge 1: type into the editor (a stray character: the draft
	// need not even parse), stop editing, leave.
	d.key("up")
	d.key("enter")
	d.key("e")
	d.key("ctrl+home") // the editor opens at the Deny or an error; these type at the start
	d.key("down")
	d.key("x")
	d.key("tab") // indents, as in any code editor
	typed := m.chal.editor.Value()
	if !strings.Contains(typed, "\nx    \"Version\"") {
		t.Fatalf("typing x and tab on line 2:\n%s", typed)
	}
	d.key("esc") // stop editing
	d.key("esc") // back to the list
	d.settle()
	d.until("the draft saved", 10*time.Second, func(*Model) bool {
		b, err := os.ReadFile(progress)
		return err == nil && strings.Contains(string(b), "draft")
	})
	p, err := steps.LoadProgress(stateDir)
	if err != nil || p.Record(1).Draft != typed {
		t.Fatalf("the draft on disk: %v %q", err, p.Record(1).Draft)
	}
	if r := p.Record(1); r.Attempts != 0 || r.Failed || r.Passed {
		t.Errorf("a kept draft is not a check: %+v", r)
	}
	if _, ok := p.Challenges[2]; ok {
		t.Errorf("challenge 2, never touched, is in the file")
	}
	// In again: the draft, not the starter.
	d.key("enter")
	if got := m.chal.editor.Value(); got != typed {
		t.Errorf("reopened, the editor holds %q, not the draft", got)
	}
	// A model answer shown (after a failed check) and left is not the
	// learner's draft.
	d.key("enter")
	d.settle()
	if m.chal.sim == nil || m.chal.sim.Passed {
		t.Fatalf("the draft should fail its check:\n%s", d.screen())
	}
	// AWS would not accept it: no request went wrong, so x has nothing
	// to explain and is not offered.
	if s := d.screen(); !strings.Contains(s, "Press e to edit, h for a hint, s for a model answer.") {
		t.Errorf("after a check of a draft AWS would not accept, the keys offered:\n%s", s)
	}
	d.key("s")
	ch, _ := steps.ChallengeByID(1)
	if !strings.Contains(m.chal.editor.Value(), "TeamAIsReadOnly") {
		t.Fatalf("s did not show the model answer:\n%s", d.screen())
	}
	if s := d.screen(); !strings.Contains(s, "Press Enter to check the model answer, e to edit it.") {
		t.Errorf("with the model answer shown, the keys offered:\n%s", s)
	}
	// Checked, it passes, and the learner's own draft is still theirs
	// to finish: the model answer is always one key away.
	d.key("enter")
	d.settle()
	d.key("esc")
	d.settle()
	d.until("the check saved", 10*time.Second, func(*Model) bool {
		p, err := steps.LoadProgress(stateDir)
		return err == nil && p.Record(1).Passed
	})
	p, _ = steps.LoadProgress(stateDir)
	if got := p.Record(1).Draft; got != typed || got == ch.Model(m.chal.ctx) || strings.Contains(got, "TeamAIsReadOnly") {
		t.Errorf("the model answer was saved as the learner's draft: %q", got)
	}
	// A wizard started afresh finds the draft.
	m.Close()
	m2, d2 := startWizard(t, opts, 120, 40)
	openChallenges(t, m2, d2)
	d2.key("enter")
	if got := m2.chal.editor.Value(); got != typed {
		t.Errorf("in a new wizard, the editor holds %q, not the draft", got)
	}
}

// TestChallengeFitsASmallWindow: at 80×24, challenge 8 with every hint
// out still shows the whole goal, the latest hint, the editor, the
// draft's effect from inside and from outside the VPC, and the last
// check with the request that shows why; the help bar has the keys. At
// 120×40 every hint is in full, the draft's effect is a table beside the
// editor (team a's repository and team b's, and from outside the VPC),
// and a line says what to press.
func TestChallengeFitsASmallWindow(t *testing.T) {
	t.Parallel()
	m, d := openChallengeN(t, 80, 24, 8)
	d.key("h")
	d.key("h")
	d.key("h")
	d.key("enter")
	d.settle()
	screen := d.screen()
	for _, want := range []string{"Challenge 8 · The other half", "remove the policy again.", "Hint 3/3: Deny the registry's actions when aws:SourceVpce",
		"Your draft on team-a/alpine: login ✓", "from outside the VPC: login ✓ · push ✓ · pull ✓", "5 of 7 requests as the goal wants, by simulation",
		"✗ pull team-a/alpine (the lab's role, outside the VPC)", "    1 {", "x why?"} {
		if !strings.Contains(screen, want) {
			t.Errorf("at 80×24 the screen lacks %q:\n%s", want, screen)
		}
	}
	if n := strings.Count(screen, "\n") + 1; n > 24 {
		t.Errorf("the screen has %d lines", n)
	}
	if !m.chal.compact {
		t.Errorf("at 80×24 with three hints the screen should be compact")
	}
	// At 70×24 every verdict of the draft's effect is still there, on a
	// line of its own when need be.
	d.send(tea.WindowSizeMsg{Width: 70, Height: 24})
	screen = d.screen()
	// The verdict and the request that shows why stay too: the editor
	// gives up its lines until the learner edits.
	if !contains2(screen, "Your draft on team-a/alpine: login ✓", "list-images ✓", "from outside the VPC: login ✓ · push ✓ · pull ✓",
		"5 of 7 requests as the goal wants", "✗ pull team-a/alpine (the lab's role, outside the VPC)") || strings.Contains(screen, "list-ima…") {
		t.Errorf("at 70×24 the draft's effect or the check is cut:\n%s", screen)
	}
	d.key("e")
	if s := d.screen(); !contains2(s, "    1 {", "    3   \"Statement\": [") || strings.Count(s, "\n")+1 > 24 {
		t.Errorf("editing at 70×24, the editor has too few lines:\n%s", s)
	}
	d.key("esc")
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.settle()
	screen = d.screen()
	if m.chal.compact || !contains2(screen, "Hint 1/3:", "Hint 2/3:", "Hint 3/3:", "Press e to edit, x to see why, s for a model answer.",
		"What your draft does", "team-a/alpine, from outside the VPC", "team-b/nginx") {
		t.Errorf("at 120×40 every hint fits in full, and what to press:\n%s", screen)
	}
	// At 60×16, the smallest the wizard takes, the goal gives up lines
	// for the last check; on the list, challenge 8 (the cursor's) is in
	// sight.
	d.send(tea.WindowSizeMsg{Width: 60, Height: 16})
	screen = d.screen()
	if !contains2(screen, "Challenge 8 · The other half", "5 of 7 requests as the goal wants") || strings.Count(screen, "\n")+1 > 16 {
		t.Errorf("at 60×16 the last check is not in sight:\n%s", screen)
	}
	d.key("esc")
	screen = d.screen()
	if !contains2(screen, "› … 8  The other half", "Press Enter to open a challenge.") {
		t.Errorf("at 60×16 the list hides the challenge under the cursor:\n%s", screen)
	}
}

// TestChallengeFiveAsksForAForecast: challenge 5's check starts with a
// forecast (which commands still work?), made with the arrows and space;
// esc puts it off; the check then holds each guess against what happened,
// and asks only once.
func TestChallengeFiveAsksForAForecast(t *testing.T) {
	t.Parallel()
	m, d := openChallengeN(t, 120, 40, 5)
	if s := d.screen(); !strings.Contains(s, "It shows after your forecast") || strings.Contains(s, "✓ allowed") {
		t.Errorf("the draft's effect gives the forecast away:\n%s", s)
	}
	d.key("enter")
	if !m.chal.predicting || !contains2(d.screen(), "Before the check: which still work", "› ✗ login", "space still works / refused") {
		t.Fatalf("no forecast before the check:\n%s", d.screen())
	}
	d.key("esc")
	if m.chal.predicting || m.chal.sim != nil {
		t.Fatalf("esc should put the forecast off, and check nothing")
	}
	d.key("enter")
	// login still works (a wrong guess for the model answer), list-images
	// too (right); push and pull refused (right).
	d.key("space")
	d.key("down")
	d.key("down")
	d.key("down")
	d.key("space")
	if !contains2(d.screen(), "✓ login", "› ✓ list-images", "✗ push") {
		t.Fatalf("the forecast as made:\n%s", d.screen())
	}
	d.key("enter")
	d.settle()
	// The starter allows everything: login and list-images right, push
	// and pull wrong.
	if !contains2(d.screen(), "Your forecast: 2 of 4 right.", "push: you said refused; it was allowed") {
		t.Errorf("the forecast held against the starter:\n%s", d.screen())
	}
	d.key("s")
	d.key("enter")
	d.settle()
	screen := d.screen()
	if m.chal.predicting || !contains2(screen, "5 of 5 requests as the goal wants", "Your forecast: 3 of 4 right.", "What your draft does", "login        ✗ GetAuthorizationToken", "login: you said still works; it was refused at ecr:GetAuthorizationToken") {
		t.Errorf("the model answer's check, without asking again:\n%s", screen)
	}
}

// openChallengeN starts a wizard (no lab up: checks by simulation) in a
// w×h window and opens challenge id from the list with the arrows.
func openChallengeN(t *testing.T, w, h, id int) (*Model, *driver) {
	t.Helper()
	m, d := sandboxWizard(t, w, h)
	openChallenges(t, m, d)
	for range id - 1 {
		d.key("down")
	}
	d.key("enter")
	if m.chal.open < 0 || m.chal.current().ID != id {
		t.Fatalf("did not open challenge %d:\n%s", id, d.screen())
	}
	return m, d
}

// challengesWizard starts a wizard on a fresh sandbox (its options and
// state directory returned, to start another on them) in a w×h window,
// and opens the challenges.
func challengesWizard(t *testing.T, w, h int) (*Model, *driver, Options, string) {
	t.Helper()
	opts, _, stateDir := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant})
	m, d := startWizard(t, opts, w, h)
	openChallenges(t, m, d)
	return m, d, opts, stateDir
}

// draftFirstChallenge opens the first challenge from the list, starts
// editing and types a letter; it returns the draft the editor then holds.
func draftFirstChallenge(m *Model, d *driver) string {
	d.key("enter")
	d.key("e")
	d.key("x")
	return m.chal.editor.Value()
}

// openChallenges opens the list of challenges and waits until the
// learner's progress has been read (keys typed before are held until
// then: TestChallengeProgressArrivesLate).
func openChallenges(t *testing.T, m *Model, d *driver) {
	t.Helper()
	d.exec(m.openChallenges())
	d.until("the progress read", 20*time.Second, func(m *Model) bool { return m.chal == nil || !m.chal.loading })
	d.settle()
}

// TestChallengeProgressArrivesLate: the learner's saved progress is read
// in a command; on a loaded machine it can arrive after the learner has
// opened a challenge, asked for a hint and typed. Nothing is lost either
// way: the keys act on the saved progress once it is in (the saved draft
// gets the typing, the hint is the one after those already out), the
// challenges not touched keep their records, and what is saved then
// holds both.
func TestChallengeProgressArrivesLate(t *testing.T) {
	t.Parallel()
	opts, _, stateDir := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant})
	saved := &steps.ChallengeProgress{Challenges: map[int]*steps.ChallengeRecord{
		1: {Hints: 1, Draft: "{ my draft", Attempts: 1, Failed: true},
		2: {Passed: true, Attempts: 2},
	}}
	if err := steps.SaveProgress(stateDir, saved); err != nil {
		t.Fatal(err)
	}
	m, d := startWizard(t, opts, 120, 40)
	read := m.openChallenges()
	if read == nil {
		t.Fatal("the first opening reads nothing")
	}
	// The learner is quicker than the disk: opens challenge 1, asks for a
	// hint, edits, types; resizes the window too.
	d.key("enter")
	d.key("h")
	d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	d.key("e")
	d.key("ctrl+home") // the editor opens at the Deny or an error; these type at the start
	d.key("x")
	d.send(read())
	d.settle()
	c := m.chal
	if c.open < 0 || c.current().ID != 1 || !c.editing {
		t.Fatalf("the keys typed while the progress came did not open and edit challenge 1:\n%s", d.screen())
	}
	if got := c.editor.Value(); got != "x{ my draft" {
		t.Errorf("the editor holds %q: not the saved draft with the typing", got)
	}
	if got := c.progress.Record(1).Hints; got != 2 {
		t.Errorf("hints out: %d, want the saved one and the one asked for", got)
	}
	if !c.progress.Record(2).Passed {
		t.Errorf("challenge 2's pass was lost")
	}
	d.key("esc")
	d.key("esc")
	d.settle()
	d.until("the draft saved", 10*time.Second, func(*Model) bool {
		p, err := steps.LoadProgress(stateDir)
		return err == nil && p.Record(1).Draft == "x{ my draft"
	})
	p, _ := steps.LoadProgress(stateDir)
	if r := p.Record(1); r.Hints != 2 || r.Attempts != 1 || !r.Failed {
		t.Errorf("challenge 1 on disk: %+v", r)
	}
	if r := p.Record(2); !r.Passed || r.Attempts != 2 {
		t.Errorf("challenge 2 on disk: %+v", r)
	}
	// A new wizard: esc while the progress is read waits for it too, then
	// leaves; coming back reads nothing again and shows what was saved.
	m.Close()
	m2, d2 := startWizard(t, opts, 80, 24)
	read = m2.openChallenges()
	d2.key("esc")
	if s := d2.screen(); m2.phase != phaseChallenges || !strings.Contains(s, "Reading your progress") {
		t.Fatalf("while the progress is read:\n%s", s)
	}
	d2.send(read())
	if m2.phase != phaseLab {
		t.Fatalf("esc, held while the progress was read, did not leave:\n%s", d2.screen())
	}
	if again := m2.openChallenges(); again != nil {
		t.Errorf("coming back reads the progress again")
	}
	if s := d2.screen(); !contains2(s, "1  Read-only team", "tried", "2  Only our account", "passed") {
		t.Errorf("back in the challenges:\n%s", s)
	}
}

// TestChallengeProgressKeptAcrossVisits: a draft left in the challenges
// is there when the learner comes back to them at once, even when the
// save of the draft has not reached the disk yet.
func TestChallengeProgressKeptAcrossVisits(t *testing.T) {
	t.Parallel()
	m, d, _, stateDir := challengesWizard(t, 120, 40)
	typed := draftFirstChallenge(m, d)
	d.key("esc")
	// Leave the challenge and the challenges, keeping the save back.
	_, save := m.Update(keyMsg("esc"))
	_, cmd := m.Update(keyMsg("esc"))
	d.exec(cmd)
	if m.phase != phaseLab {
		t.Fatalf("esc esc did not leave the challenges:\n%s", d.screen())
	}
	// Back at once: what is read first, the save after.
	if read := m.openChallenges(); read != nil {
		d.send(read())
	}
	if save != nil {
		d.send(save())
	}
	d.settle()
	// A draft, never checked, is not a new challenge.
	if line := lineWith(d.screen(), "1  Read-only team"); !strings.Contains(line, "draft saved") {
		t.Errorf("challenge 1, with a draft never checked, in the list: %q\n%s", line, d.screen())
	}
	d.key("enter")
	if got := m.chal.editor.Value(); got != typed {
		t.Errorf("back in the challenges, the editor holds %q, not the draft %q", got, typed)
	}
	// Meanwhile another process ('ecr-vpce-lab challenge check 3')
	// records a pass: the wizard's next save keeps it. It writes once the
	// wizard's saves have landed (settle's 50 ms of quiet is not that on
	// a loaded machine): one still on its way would write what it read
	// before the pass, which is the race this test does not look at.
	d.until("the wizard's saves landed", 10*time.Second, func(m *Model) bool { return m.saver.finished == m.saver.started })
	p, err := steps.LoadProgress(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	p.Checked(3, true, false, "{}", time.Now())
	if err := steps.SaveProgress(stateDir, p); err != nil {
		t.Fatal(err)
	}
	d.key("h")
	d.settle()
	d.until("the hint saved", 10*time.Second, func(*Model) bool {
		p, err := steps.LoadProgress(stateDir)
		return err == nil && p.Record(1).Hints == 1
	})
	p, _ = steps.LoadProgress(stateDir)
	if p.Record(1).Draft != typed {
		t.Errorf("the draft on disk: %q", p.Record(1).Draft)
	}
	if r := p.Record(3); !r.Passed || r.Draft != "{}" {
		t.Errorf("challenge 3, checked by another process meanwhile, on disk: %+v", r)
	}
}

// TestChallengeProgressUnreadable: a progress file that cannot be read is
// kept under a name of its own, said on the screen, and the challenges
// start afresh and are saved; one written by a newer release is neither
// moved nor overwritten, and the screen says nothing is saved. A save
// that fails says what to do, and the words go once one succeeds.
func TestChallengeProgressUnreadable(t *testing.T) {
	t.Parallel()
	opts, _, stateDir := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant})
	path := steps.ProgressPath(stateDir)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	damaged := []byte(`{"version":1,"challenges":{"1":{"hints":`)
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	m, d := startWizard(t, opts, 100, 30)
	openChallenges(t, m, d)
	kept, _ := filepath.Glob(path + ".unreadable-*")
	if len(kept) != 1 {
		t.Fatalf("the damaged file was not kept aside: %v", kept)
	}
	if b, _ := os.ReadFile(kept[0]); string(b) != string(damaged) {
		t.Errorf("what was kept: %q", b)
	}
	if s := d.screen(); !contains2(strings.Join(strings.Fields(s), " "), "Your saved progress could not be read", "It is kept as", "saved as you go") {
		t.Errorf("the list does not say what happened:\n%s", s)
	}
	d.key("enter")
	d.key("h")
	d.settle()
	d.until("the fresh progress saved", 10*time.Second, func(*Model) bool {
		p, err := steps.LoadProgress(stateDir)
		return err == nil && p.Record(1).Hints == 1
	})
	// Damaged meanwhile: the next save keeps it aside too, and says so.
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	d.key("h")
	d.until("the damaged file set aside", 10*time.Second, func(*Model) bool {
		p, err := steps.LoadProgress(stateDir)
		return err == nil && p.Record(1).Hints == 2
	})
	d.settle()
	if kept, _ := filepath.Glob(path + ".unreadable-*"); len(kept) != 2 {
		t.Errorf("the file damaged meanwhile was not kept aside: %v", kept)
	}
	if s := d.screen(); !contains2(strings.Join(strings.Fields(s), " "), "had become unreadable meanwhile", "yours is saved afresh") {
		t.Errorf("the screen does not say the file was set aside:\n%s", s)
	}
	// A save that fails (the state directory is a file for a moment)
	// says so, with what to do; the next that succeeds takes it back.
	if err := os.Rename(stateDir, stateDir+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stateDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d.key("h")
	d.until("the failed save said", 10*time.Second, func(m *Model) bool { return strings.Contains(m.chal.note, "could not be saved") })
	if s := d.screen(); !contains2(strings.Join(strings.Fields(s), " "), "could not be saved", "saves all of it again at your next change") {
		t.Errorf("a failed save:\n%s", s)
	}
	if err := os.Remove(stateDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stateDir+".away", stateDir); err != nil {
		t.Fatal(err)
	}
	d.key("esc")
	d.key("enter")
	d.key("e")
	d.key("ctrl+home") // the editor opens at the Deny or an error; these type at the start
	d.key("x")
	d.key("esc")
	d.until("the save again", 10*time.Second, func(m *Model) bool { return !m.chal.saveFailed })
	if p, err := steps.LoadProgress(stateDir); err != nil || p.Record(1).Hints != 3 || !strings.HasPrefix(p.Record(1).Draft, "x") {
		t.Errorf("after the failed save, the next holds everything: %v %+v", err, p.Record(1))
	}
	m.Close()

	// A newer release's file: untouched, and nothing saved over it.
	newer := []byte(`{"version":99,"challenges":{"1":{"passed":true}}}`)
	if err := os.WriteFile(path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	m2, d2 := startWizard(t, opts, 100, 30)
	openChallenges(t, m2, d2)
	d2.key("enter")
	d2.key("h")
	d2.key("e")
	d2.key("ctrl+home") // the editor opens at the Deny or an error; these type at the start
	d2.key("x")
	d2.key("esc")
	d2.key("esc")
	d2.settle()
	if b, _ := os.ReadFile(path); string(b) != string(newer) {
		t.Errorf("the newer release's file was overwritten: %s", b)
	}
	// The words, however the path wraps them.
	if s := d2.screen(); !contains2(strings.Join(strings.Fields(s), " "), "written by a newer ecr-vpce-lab (version 99)", "nothing here is saved over it",
		"move it away, then esc and g: what you did meanwhile is kept") {
		t.Errorf("the list does not say why nothing is saved, and what to do:\n%s", s)
	}
	// The learner moves it away and comes back: what they did is kept,
	// and saved now.
	if err := os.Rename(path, path+".newer"); err != nil {
		t.Fatal(err)
	}
	d2.key("esc")
	openChallenges(t, m2, d2)
	d2.settle()
	if s := d2.screen(); strings.Contains(s, "saved over it") {
		t.Errorf("back, the note stays:\n%s", s)
	}
	d2.until("what was done meanwhile saved", 10*time.Second, func(*Model) bool {
		p, err := steps.LoadProgress(stateDir)
		return err == nil && p.Record(1).Hints == 1 && strings.HasPrefix(p.Record(1).Draft, "x")
	})
}

// TestChallengeQuitKeepsTheDraft: ctrl+c while typing an answer, or q
// just after a hint, quits only once what the learner did is on disk.
func TestChallengeQuitKeepsTheDraft(t *testing.T) {
	t.Parallel()
	m, d, opts, stateDir := challengesWizard(t, 100, 30)
	typed := draftFirstChallenge(m, d)
	d.key("ctrl+c")
	d.until("the wizard quit", 10*time.Second, func(*Model) bool { return d.quit })
	if p, err := steps.LoadProgress(stateDir); err != nil || p.Record(1).Draft != typed {
		t.Errorf("after ctrl+c while typing, the draft on disk: %v %q", err, p.Record(1).Draft)
	}
	m.Close()
	m2, d2 := startWizard(t, opts, 100, 30)
	openChallenges(t, m2, d2)
	d2.key("enter")
	// The hint's save and the quit at once: the quit waits for it.
	d2.send(keyMsg("h"))
	_, quit := m2.Update(keyMsg("q"))
	d2.exec(quit)
	d2.until("the wizard quit", 10*time.Second, func(*Model) bool { return d2.quit })
	if p, err := steps.LoadProgress(stateDir); err != nil || p.Record(1).Hints != 1 || p.Record(1).Draft != typed {
		t.Errorf("after q just after a hint, on disk: %v %+v", err, p.Record(1))
	}
}

// TestChallengeQuitWaitsForThePolicyBack: quitting while an answer is
// checked for real stops the check and quits once it has ended, for the
// check puts the lab's policy back on the endpoints as it ends; a second
// ctrl+c quits at once.
func TestChallengeQuitWaitsForThePolicyBack(t *testing.T) {
	t.Parallel()
	m, d, _, _ := challengesWizard(t, 100, 30)
	d.key("enter")
	stopped := false
	// A check for real in flight, as checkAnswer starts it.
	m.opSeq++
	m.op = &inflight{kind: opChallenge, seq: m.opSeq, step: steps.StepPolicy, cancel: func() { stopped = true }, started: time.Now()}
	d.key("ctrl+c")
	_, cmd := m.Update(keyMsg("y"))
	if !stopped || !m.quitting {
		t.Fatalf("y did not stop the check")
	}
	if cmd != nil {
		t.Fatalf("the wizard quits before the check has put the lab's policy back")
	}
	if s := d.screen(); !strings.Contains(strings.Join(strings.Fields(s), " "), "the lab's policy goes back on the endpoints") {
		t.Errorf("while the check winds down:\n%s", s)
	}
	d.send(opDoneMsg{seq: m.opSeq, kind: opChallenge, res: opResult{err: context.Canceled}})
	d.until("the quit", 10*time.Second, func(*Model) bool { return d.quit })

	// A second ctrl+c does not wait.
	m2, d2, _, _ := challengesWizard(t, 100, 30)
	d2.key("enter")
	m2.opSeq++
	m2.op = &inflight{kind: opChallenge, seq: m2.opSeq, step: steps.StepPolicy, cancel: func() {}, started: time.Now()}
	d2.key("ctrl+c")
	d2.key("y")
	d2.key("ctrl+c")
	d2.until("the quit", 10*time.Second, func(*Model) bool { return d2.quit })
}

// TestChallengeEditorOpensWhereTheWorkIs: as the policy step's JSON
// editor, the challenge's opens on the Deny's actions (challenge 1's
// starter), or at the start of a policy with no Deny (challenge 2's); a
// check AWS would not accept puts the cursor on the first error, in sight
// at 60×16, and the draft reopens there.
func TestChallengeEditorOpensWhereTheWorkIs(t *testing.T) {
	t.Parallel()
	m, d := openChallengeN(t, 80, 24, 1)
	at := func() (int, int) { return m.chal.editor.Line() + 1, m.chal.editor.Column() + 1 }
	lines := strings.Split(m.chal.editor.Value(), "\n")
	want := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, `"Action": "ecr:PutImage"`) }) + 1
	if line, col := at(); line != want || col != strings.Index(lines[want-1], `"ecr:PutImage"`)+1 {
		t.Errorf("challenge 1 opens with the cursor at %d:%d, not on the Deny's action at line %d", line, col, want)
	}
	if s := d.screen(); !strings.Contains(s, fmt.Sprintf("%d %s", want, lines[want-1])) {
		t.Errorf("the Deny's action is not on the screen:\n%s", s)
	}
	// A stray character in the action, the cursor moved away, a check.
	d.key("e")
	d.key("X")
	for range want {
		d.key("up")
	}
	d.key("ctrl+s")
	f := firstError(m.chal.findings)
	if f.Line != want {
		t.Fatalf("the stray X: first error %+v, want one on line %d", f, want)
	}
	if line, col := at(); line != f.Line || col != f.Column {
		t.Errorf("after a check AWS would not accept, the cursor is at %d:%d, not at the error %d:%d", line, col, f.Line, f.Column)
	}
	d.send(tea.WindowSizeMsg{Width: 60, Height: 16})
	broken := strings.Split(m.chal.editor.Value(), "\n")[f.Line-1]
	if s := d.screen(); !strings.Contains(s, fmt.Sprintf("%d %s", f.Line, broken)) {
		t.Errorf("at 60×16 the error's line %d is not on the screen:\n%s", f.Line, s)
	}
	// Reopened, the draft is at its error again.
	d.key("esc")
	d.key("enter")
	if line, col := at(); line != f.Line || col != f.Column {
		t.Errorf("the draft reopens with the cursor at %d:%d, not at the error %d:%d", line, col, f.Line, f.Column)
	}
	// No Deny, no error: the start.
	d.key("esc")
	d.key("down")
	d.key("enter")
	if line, col := at(); line != 1 || col != 1 {
		t.Errorf("challenge 2 (no Deny) opens with the cursor at %d:%d, not 1:1", line, col)
	}
}

// TestChallengeLintSaidWhole: at 60×16 the line under the challenge's
// editor says the draft's first error whole, wrapped, as the policy
// step's editor does: its end ("a value was expected") is what is wrong.
func TestChallengeLintSaidWhole(t *testing.T) {
	t.Parallel()
	_, d := openChallengeN(t, 60, 16, 1)
	d.key("e")
	d.key("X")
	s := d.screen()
	if !strings.Contains(flatText(s), "unexpected 'X', a value was expected (1 error)") {
		t.Errorf("at 60×16 the draft's error is cut:\n%s", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if w := ansi.StringWidth(l); w > 60 {
			t.Errorf("a line %d wide: %q", w, l)
		}
	}
	if n := strings.Count(s, "\n") + 1; n > 16 {
		t.Errorf("the screen has %d lines:\n%s", n, s)
	}
}
