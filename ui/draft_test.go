package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// draftModel is a wizard on the policy screen with the lab's default policy
// in the editor, and no lab behind it: what is tested here happens before
// anything is sent to AWS.
func draftModel(t *testing.T, w, h int) *Model {
	t.Helper()
	m := New(context.Background(), Options{})
	m.phase, m.cur = phaseLab, scrPolicy
	m.st.Account, m.st.Region = "123456789012", "us-west-2"
	m.cfg.Repo = "team-a/alpine"
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.editor = newPolicyEditor(m.st.Account, m.st.Region, m.cfg.Repo, []string{"ecr:PutImage"}, steps.TargetBoth, true, m.c.Keys)
	m.editor.compact = !m.wide()
	m.editor.resetForm()
	m.layoutEditor()
	return m
}

// typeDraft sends keys to the wizard one by one, discarding the commands
// (cursor blinks, form focus): the editor's value changes synchronously.
func typeDraft(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

// setJSON replaces the JSON in the editor, as a learner who rewrote it.
func setJSON(t *testing.T, m *Model, text string) {
	t.Helper()
	if !m.editor.rawMode {
		typeDraft(m, "ctrl+o")
	}
	if !m.editor.rawMode {
		t.Fatal("ctrl+o did not open the JSON editor")
	}
	m.editor.setRaw(text)
}

// TestDraftErrorGoesWithTheDraft: ctrl+s on a policy that cannot be applied
// says why; once the learner edits it (or leaves and comes back), that
// reason, about a draft that no longer exists, is not shown any more.
func TestDraftErrorGoesWithTheDraft(t *testing.T) {
	m := draftModel(t, 100, 30)
	setJSON(t, m, strings.Replace(defaultJSON(t, m), "ecr:PutImage", "ecr:PushImage", 1))
	typeDraft(m, "ctrl+s")
	if sc := m.screens[scrPolicy]; !strings.Contains(sc.err, "ecr:PushImage") {
		t.Fatalf("ctrl+s on an unknown action: error %q", sc.err)
	}
	typeDraft(m, "x") // any edit
	if sc := m.screens[scrPolicy]; sc.err != "" {
		t.Fatalf("after an edit the screen still says %q:\n%s", sc.err, plainScreen(m))
	}
	// The same after leaving the editor and opening it again on the form.
	typeDraft(m, "ctrl+s")
	if m.screens[scrPolicy].err == "" {
		t.Fatal("ctrl+s on invalid JSON said nothing")
	}
	m.goTo(scrEndpoints) // esc: back where the learner came from
	if sc := m.screens[scrPolicy]; sc.err != "" {
		t.Fatalf("after leaving the editor the policy screen still says %q", sc.err)
	}
	m.cur = scrPolicy
	// An error of AWS's (a failed apply) is not about the draft: it stays.
	m.policyApplied(errString("AWS said no"))
	typeDraft(m, "y")
	if sc := m.screens[scrPolicy]; sc.err != "AWS said no" {
		t.Fatalf("a failed apply's error after an edit: %q", sc.err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func defaultJSON(t *testing.T, m *Model) string {
	t.Helper()
	doc, _, err := m.editor.Document()
	if err != nil {
		t.Fatal(err)
	}
	return string(doc.Pretty())
}

func plainScreen(m *Model) string { return ansi.Strip(m.render()) }

// TestDraftFindingsWrap: a finding and its fix are wrapped to the screen,
// never cut: the end of a fix is what to do ("… and deny only what you
// mean to").
func TestDraftFindingsWrap(t *testing.T) {
	for _, w := range []int{70, 100} {
		m := draftModel(t, w, 30)
		// No Allow statement: the warning with the longest fix.
		setJSON(t, m, `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage", "Resource": "*"}]}`)
		var fix string
		for _, f := range m.editor.findings {
			if strings.Contains(f.Message, "no Allow") {
				fix = f.Fix
			}
		}
		if fix == "" {
			t.Fatalf("no finding about the missing Allow: %+v", m.editor.findings)
		}
		screen := plainScreen(m)
		flat := strings.Join(strings.Fields(screen), " ")
		if !strings.Contains(flat, strings.Join(strings.Fields(fix), " ")) {
			t.Errorf("%d columns: the fix %q is not on the screen whole:\n%s", w, fix, screen)
		}
		// The terminal cuts what is wider than the screen.
		for _, l := range strings.Split(screen, "\n") {
			if ansi.StringWidth(l) > w {
				t.Errorf("%d columns: a line %d wide: %q", w, ansi.StringWidth(l), l)
			}
		}
	}
}

// TestDraftIntroSaysWhatTheDraftDoes: the policy screen's opening sentence
// describes the policy on the screen; a draft that cannot be applied is
// not "a policy that denies nothing".
func TestDraftIntroSaysWhatTheDraftDoes(t *testing.T) {
	m := draftModel(t, 100, 30)
	setJSON(t, m, strings.Replace(defaultJSON(t, m), "ecr:PutImage", "ecr:PushImage", 1))
	intro := m.introFor(scrPolicy)
	if strings.Contains(intro, "denies nothing") || !strings.Contains(intro, "cannot be applied") {
		t.Errorf("the intro for a draft with an unknown action: %q", intro)
	}
}

// TestDraftIntroDenyEverything: a policy that refuses every operation of
// the lab does not end with "the rest goes through".
func TestDraftIntroDenyEverything(t *testing.T) {
	m := draftModel(t, 100, 30)
	setJSON(t, m, `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}`)
	intro := m.introFor(scrPolicy)
	if strings.Contains(intro, "the rest goes through") || !strings.Contains(intro, "nothing the lab does goes through") {
		t.Errorf("the intro for a Deny on everything: %q", intro)
	}
	// One refusal still leaves the rest.
	if intro := draftModel(t, 100, 30).introFor(scrPolicy); !strings.Contains(intro, "the rest goes through") {
		t.Errorf("the intro for the lab's policy: %q", intro)
	}
}

// TestDraftJSONSurvivesALookAtTheForm: esc from JSON the form cannot show
// keeps it; ctrl+o brings it back as the learner left it, not the form's
// policy, until the form itself is changed.
func TestDraftJSONSurvivesALookAtTheForm(t *testing.T) {
	m := draftModel(t, 100, 30)
	mine := `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}`
	setJSON(t, m, mine)
	typeDraft(m, "esc")
	if m.editor.rawMode {
		t.Fatal("esc did not go back to the form")
	}
	if s := plainScreen(m); !strings.Contains(s, "The form cannot show the JSON you wrote") {
		t.Errorf("the form does not say the JSON is kept:\n%s", s)
	}
	typeDraft(m, "ctrl+o")
	if got := m.editor.raw.Value(); got != mine {
		t.Fatalf("ctrl+o after esc opened\n%s\nnot the JSON the learner wrote", got)
	}
	// Invalid JSON is kept the same way.
	setJSON(t, m, mine[:40])
	typeDraft(m, "esc", "ctrl+o")
	if got := m.editor.raw.Value(); got != mine[:40] {
		t.Fatalf("invalid JSON after esc and ctrl+o: %q", got)
	}
	// A change in the form makes the form's policy the draft.
	typeDraft(m, "esc")
	m.editor.deny = []string{"ecr:BatchGetImage"}
	typeDraft(m, "ctrl+o")
	if got := m.editor.raw.Value(); !strings.Contains(got, "ecr:BatchGetImage") {
		t.Fatalf("after a change in the form, ctrl+o opened\n%s", got)
	}
}

// TestDraftFitsASmallWindow: at 70 columns every line of the policy form
// fits, the line that says what Enter does included.
func TestDraftFitsASmallWindow(t *testing.T) {
	m := draftModel(t, 70, 24)
	screen := plainScreen(m)
	for _, l := range strings.Split(screen, "\n") {
		if ansi.StringWidth(l) > 70 {
			t.Errorf("a line %d wide: %q", ansi.StringWidth(l), l)
		}
	}
	if flat := strings.Join(strings.Fields(screen), " "); !strings.Contains(flat, "on the last one applies the policy.") {
		t.Errorf("what Enter does is not on the screen whole:\n%s", screen)
	}
}

// TestDraftFocusSurvivesAResize: a resize that changes the form's layout
// (one page per field on a small window, one page on a large one) rebuilds
// the form; the learner stays on the field they were in, with the cursor on
// the same action, and their ticks are kept.
func TestDraftFocusSurvivesAResize(t *testing.T) {
	m := draftModel(t, 120, 40)
	focused := func() string { return m.editor.form.GetFocusedField().GetKey() }
	m.editor.form.NextField() // as tab: from the repository to the actions
	if focused() != "deny" {
		t.Fatalf("the form's second field is %q", focused())
	}
	typeDraft(m, "down", "space", "down") // tick BatchGetImage, rest on the one after it
	want, _ := m.editor.denyField.Hovered()
	for _, size := range [][2]int{{100, 30}, {60, 16}, {120, 40}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		if got := focused(); got != "deny" {
			t.Fatalf("after a resize to %d×%d the focus is on %q, not the actions:\n%s", size[0], size[1], got, plainScreen(m))
		}
		if got, _ := m.editor.denyField.Hovered(); got != want {
			t.Errorf("after a resize to %d×%d the cursor is on %q, not %q", size[0], size[1], got, want)
		}
		if screen := plainScreen(m); !strings.Contains(screen, "> • "+want) {
			t.Errorf("after a resize to %d×%d the cursor line is not drawn on %s:\n%s", size[0], size[1], want, screen)
		}
	}
	if !contains(m.editor.deny, "ecr:BatchGetImage") || !contains(m.editor.deny, "ecr:PutImage") {
		t.Errorf("the ticks after the resizes: %v", m.editor.deny)
	}
	// The repository's text cursor too: typed in mid-name after a resize,
	// the letter goes where the learner left the cursor.
	m.editor.form.PrevField()
	typeDraft(m, "left", "left", "left", "left", "left", "left")
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	typeDraft(m, "x")
	if m.editor.repo != "team-a/xalpine" {
		t.Errorf("a letter typed after a resize went elsewhere: %q", m.editor.repo)
	}
	typeDraft(m, "backspace")
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.editor.form.NextField()
	// The last field, on the one-page layout and on the paged one.
	m.editor.form.NextField()
	for _, size := range [][2]int{{100, 30}, {120, 40}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		if got := focused(); got != "target" {
			t.Fatalf("after a resize to %d×%d the focus is on %q, not where to attach the policy", size[0], size[1], got)
		}
	}
}

// TestDraftJSONCursor: the JSON editor opens with its cursor where the
// learner has work to do. On the lab's policy that is the Deny's action
// (what the lab is about); on JSON AWS would refuse it is the first error,
// also when ctrl+s refuses it; on JSON the learner left for a look at the
// form it is where they left it.
func TestDraftJSONCursor(t *testing.T) {
	m := draftModel(t, 80, 24)
	at := func() (int, int) { return m.editor.raw.Line() + 1, m.editor.raw.Column() + 1 }
	typeDraft(m, "ctrl+o")
	lines := strings.Split(m.editor.raw.Value(), "\n")
	want := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, `"Action": "ecr:PutImage"`) }) + 1
	if line, col := at(); line != want || col != strings.Index(lines[want-1], `"ecr:PutImage"`)+1 {
		t.Errorf("the lab's policy opens with the cursor at %d:%d, not on the Deny's action at line %d", line, col, want)
	}
	if s := plainScreen(m); !strings.Contains(s, `"Action": "ecr:PutImage"`) {
		t.Errorf("the line under the cursor is not on the screen:\n%s", s)
	}

	// A missing comma: the error is at the next key, line 5.
	broken := strings.Replace(defaultJSON(t, m), `"Effect": "Deny",`, `"Effect": "Deny"`, 1)
	setJSON(t, m, broken)
	f := firstError(m.editor.findings)
	if f.Line == 0 {
		t.Fatalf("no error in %s", broken)
	}
	if line, col := at(); line != f.Line || col != f.Column {
		t.Errorf("JSON with an error opens with the cursor at %d:%d, not at the error %d:%d (%s)", line, col, f.Line, f.Column, f.Message)
	}
	m.editor.raw.MoveToBegin()
	typeDraft(m, "ctrl+s")
	if m.screens[scrPolicy].err == "" {
		t.Fatal("ctrl+s on broken JSON said nothing")
	}
	if line, col := at(); line != f.Line || col != f.Column {
		t.Errorf("after ctrl+s refused the JSON the cursor is at %d:%d, not at the error %d:%d", line, col, f.Line, f.Column)
	}

	// JSON the form cannot show, left for a look at the form: back where
	// the learner was.
	setJSON(t, m, `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
 "Action": "*", "Resource": "*"}]}`)
	m.editor.raw.MoveToEnd()
	m.editor.raw.CursorUp()
	m.editor.raw.SetCursorColumn(4)
	typeDraft(m, "esc", "ctrl+o")
	if line, col := at(); line != 1 || col != 5 {
		t.Errorf("back in the JSON the learner left, the cursor is at %d:%d, not 1:5", line, col)
	}
}

// TestDraftErrorSaidOnce: what is wrong with a draft is said once on the
// screen, whole, its words never split at a hyphen (huh's own copy of a
// field's error broke "team-a" in two); a refused ctrl+s says it once more
// at most, as what happened to the key.
func TestDraftErrorSaidOnce(t *testing.T) {
	m := draftModel(t, 80, 24)
	typeDraft(m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "tab")
	s := plainScreen(m)
	if n := strings.Count(flatText(s), "is not a repository name ECR accepts"); n != 1 {
		t.Errorf("the repository's error is on the screen %d times:\n%s", n, s)
	}
	if !strings.Contains(flatText(s), "(did you mean team-a?)") {
		t.Errorf("the repository's error is split:\n%s", s)
	}
	typeDraft(m, "a", "l", "p", "i", "n", "e")
	setJSON(t, m, strings.Replace(defaultJSON(t, m), `"Effect": "Deny",`, `"Effect": "Deny"`, 1))
	s = plainScreen(m)
	if n := strings.Count(s, "expected ',' or '}'"); n != 1 {
		t.Errorf("the JSON's error is on the screen %d times:\n%s", n, s)
	}
	typeDraft(m, "ctrl+s")
	s = plainScreen(m)
	if n := strings.Count(s, "expected ',' or '}'"); n > 2 {
		t.Errorf("after ctrl+s the JSON's error is on the screen %d times:\n%s", n, s)
	}
}

// TestDraftJSONCursorInSight: at 60×16 a refused ctrl+s leaves little room
// for the editor; what is left of it shows the line the cursor is on (the
// error's), not the editor's first lines.
func TestDraftJSONCursorInSight(t *testing.T) {
	m := draftModel(t, 60, 16)
	typeDraft(m, "ctrl+o")
	setJSON(t, m, strings.Replace(defaultJSON(t, m), `"Effect": "Deny",`, `"Effect": "Deny"`, 1))
	typeDraft(m, "ctrl+s")
	f := firstError(m.editor.findings)
	s := plainScreen(m)
	if m.screens[scrPolicy].err == "" || !strings.Contains(s, "this policy cannot be applied") {
		t.Fatalf("ctrl+s on broken JSON:\n%s", s)
	}
	line := strings.Split(m.editor.raw.Value(), "\n")[f.Line-1]
	if !strings.Contains(s, fmt.Sprintf("%d %s", f.Line, line)) {
		t.Errorf("the error's line %d (%s) is not on the screen:\n%s", f.Line, strings.TrimSpace(line), s)
	}
}

// TestPolicyIntroSaysWhichRepository: with the form's repository changed
// (a q typed after team-a/alpine), the table shows the Deny on the form's
// repository while the sentence above it, about the lab's, said "This one
// denies nothing": both true, read together a contradiction. The sentence
// now names both repositories.
func TestPolicyIntroSaysWhichRepository(t *testing.T) {
	t.Parallel()
	_, d := sandboxWizard(t, 80, 24)
	walkTo(t, d, scrPolicy)
	d.key("q")
	d.settle()
	s := flatText(d.screen())
	if !strings.Contains(s, "On team-a/alpine this policy denies nothing: everything goes through. The form names team-a/alpineq, not team-a/alpine, the repository the tests use.") {
		t.Errorf("the policy screen with another repository:\n%s", d.screen())
	}
}

// TestPolicySentenceStaysInSight: what the policy does to the lab's
// repository is the policy screen's key sentence. At 80×24, with the form
// naming another repository, the list of actions in focus cut it ("The
// form names team-a/alb, not …"); it now comes first and stays whole on
// every field, down to 60×16.
func TestPolicySentenceStaysInSight(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 16}} {
		m := draftModel(t, size[0], size[1])
		typeDraft(m, "backspace", "backspace", "backspace", "backspace", "b")
		for field := range 3 {
			s := flatText(plainScreen(m))
			if !contains2(s, "On team-a/alpine this", "denies nothing: everything goes through.") || field == 0 && !strings.Contains(s, "> team-a/alb") {
				t.Errorf("%dx%d, field %d: the sentence about team-a/alpine is cut:\n%s", size[0], size[1], field+1, plainScreen(m))
			}
			m.editor.form.NextField() // as tab
			m.editor.redraw()
		}
	}
	// The same with a deny on team-a/alpine, on the list of actions.
	m := draftModel(t, 80, 24)
	m.editor.form.NextField()
	m.editor.redraw()
	if s := flatText(plainScreen(m)); !strings.Contains(s, "On team-a/alpine this policy refuses push at ecr:PutImage (DenyPutImage); the rest goes through.") {
		t.Errorf("the policy's sentence on the list of actions:\n%s", plainScreen(m))
	}
}
