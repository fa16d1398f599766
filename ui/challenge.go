package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// The policy challenges, after the lab (g on the finish screen): a list,
// then one challenge at a time: its goal, a JSON editor that lints as the
// learner types beside a table of what the draft does to the lab's own
// requests, and a check (Enter, or ctrl+s while editing) that simulates
// the hidden requests and then, with the lab up, makes them for real.
// Hints come one at a time (h); a model answer (s) once a check failed.
// The root model owns this state; the views below only draw it.

type challenges struct {
	list     []steps.Challenge
	progress *steps.ChallengeProgress
	ctx      steps.ChallengeContext
	labUp    bool
	// sel is the list's cursor; open the challenge being worked on (-1:
	// the list).
	sel  int
	open int
	// The open challenge.
	editor   textarea.Model
	editing  bool
	findings []policy.Finding
	preview  []steps.ProbeResult
	sim      *steps.SimulationResult
	live     *steps.LiveResult
	checkErr string
	// modelShown: the editor holds the model answer.
	modelShown bool
	// loaded is the editor's text as last opened or saved.
	loaded string
	note   string
	// compact: the window is too short for everything beside an editor
	// of a useful height: the latest hint only, the target on a line, one
	// failed request, no key line (the help bar has the keys).
	compact bool
	// predict is the learner's forecast for this check (nil: none made
	// yet); predicting: the forecast is being made, predSel its cursor.
	predict    steps.Prediction
	predicting bool
	predSel    int
	// loading: the learner's progress is being read (the first time the
	// challenges open in this wizard); held is what the learner typed
	// meanwhile, done once it is in.
	loading bool
	held    []tea.Msg
	// saveFailed: note says the last save failed (or set the file
	// aside): the next save that works takes it back.
	saveFailed bool
	// info is said once, on the list (the file set aside at the start).
	info string
}

// current is the open challenge.
func (c *challenges) current() steps.Challenge { return c.list[c.open] }

// progressMsg brings the learner's progress, read from disk. A file that
// cannot be read is set aside (keptAs), unless it is a newer release's;
// setAside is why that failed.
type progressMsg struct {
	lab      *steps.Lab
	p        *steps.ChallengeProgress
	err      error
	keptAs   string
	setAside error
}

// openChallenges enters the challenges: the list. The learner's progress
// is read in a command the first time; until it is in, what the learner
// types is held (holdKey) and then done on it, as if it had been there
// at once. Afterwards the wizard's copy is the one that counts (its saves
// may still be on their way to the disk), so coming back reads nothing,
// unless saving is off (noSave): then the file is read again, in case the
// learner moved it away as the note says.
func (m *Model) openChallenges() tea.Cmd {
	m.phase = phaseChallenges
	c := &challenges{list: steps.Challenges(), open: -1, ctx: steps.NewChallengeContext(m.st), labUp: m.st.LabUp()}
	m.chal = c
	if m.progress != nil && m.progressOf == m.lab && m.noSave == "" {
		c.progress = m.progress
		return nil
	}
	c.progress, c.loading = &steps.ChallengeProgress{}, true
	lab := m.lab
	return func() tea.Msg {
		p, err := lab.Progress()
		msg := progressMsg{lab: lab, p: p, err: err}
		if err != nil && !errors.Is(err, steps.ErrProgressNewer) {
			msg.keptAs, msg.setAside = lab.SetAsideProgress(time.Now())
		}
		return msg
	}
}

// holdKey keeps what the learner types while the progress is read, and
// reports whether it did (ctrl+c is never held).
func (m *Model) holdKey(msg tea.Msg) bool {
	c := m.chal
	if m.phase != phaseChallenges || c == nil || !c.loading || m.overlay != overlayNone {
		return false
	}
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.c.Keys.ForceQuit) {
		return false
	}
	c.held = append(c.held, msg)
	return true
}

func (m *Model) gotProgress(msg progressMsg) (tea.Model, tea.Cmd) {
	c := m.chal
	if c == nil || !c.loading || msg.lab != m.lab {
		return m, nil
	}
	p := msg.p
	m.noSave = ""
	why := ""
	if msg.err != nil {
		why = msg.err.Error()
		if pe := (*steps.ProgressError)(nil); errors.As(msg.err, &pe) {
			why = pe.Err.Error()
		}
		p = &steps.ChallengeProgress{Challenges: map[int]*steps.ChallengeRecord{}}
	}
	switch {
	case msg.err == nil:
	case msg.keptAs != "":
		// Nothing lost: the old file stays, under another name. Said
		// once, on the list.
		c.info = fmt.Sprintf("Your saved progress could not be read (%s). It is kept as %s; the challenges start afresh and are saved as you go.", why, msg.keptAs)
	default:
		// It stays where it is, untouched: nothing is saved over it.
		if msg.setAside != nil {
			why += "; nor could it be set aside: " + msg.setAside.Error()
		}
		m.noSave = m.keysIn("Your saved progress could not be read (" + why + "), so nothing here is saved over it. To start afresh, move it away, then {Back} and {Challenges}: what you did meanwhile is kept.")
		c.note = m.noSave
	}
	var cmds []tea.Cmd
	if m.progress != nil && m.progressOf == m.lab {
		// Read again (saving was off): what the learner changed in
		// this wizard wins over the file, and is saved now if it can be.
		for id := range m.touched {
			if r := m.progress.Challenges[id]; r != nil {
				rc := *r
				p.Challenges[id] = &rc
			}
		}
		m.progress = p
		if len(m.touched) > 0 {
			cmds = append(cmds, m.saveProgress(0))
		}
	} else {
		m.touched = map[int]bool{}
	}
	m.progress, m.progressOf = p, m.lab
	c.progress, c.loading = p, false
	// What the learner typed meanwhile, in order, on the progress read.
	held := c.held
	c.held = nil
	for _, k := range held {
		_, cmd := m.Update(k)
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// saveProgress writes the progress in a command, with the record of
// challenge id changed (0: none new); a failure is said on the screen.
// Only the records the learner changed in this wizard are written over
// the file: the others stay as they are there.
func (m *Model) saveProgress(id int) tea.Cmd {
	// A copy: the learner goes on while it is written. Saves run as
	// commands, side by side: one that started later never loses to an
	// older one.
	if id > 0 {
		m.touched[id] = true
	}
	if m.noSave != "" {
		if m.chal != nil {
			m.chal.note = m.noSave
		}
		return nil
	}
	mine := make(map[int]bool, len(m.touched))
	for id := range m.touched {
		mine[id] = true
	}
	sv := m.saver
	sv.started++
	lab, p, seq := m.lab, m.progress.Clone(), sv.started
	return func() tea.Msg {
		sv.mu.Lock()
		defer sv.mu.Unlock()
		if seq < sv.written {
			return progressSavedMsg{stale: true}
		}
		sv.written = seq
		kept, err := lab.SaveProgressOver(p, mine, time.Now())
		return progressSavedMsg{err: err, keptAs: kept}
	}
}

// progressSaved says a save that failed, with what to do, and takes the
// words back once a later one succeeds.
func (m *Model) progressSaved(msg progressSavedMsg) {
	m.saver.finished++
	c := m.chal
	switch {
	case c == nil || msg.stale:
	case msg.err != nil:
		c.note = "Your progress could not be saved (" + msg.err.Error() + "). The wizard keeps it while it runs, and saves all of it again at your next change: free some space or fix the state directory's permissions."
		c.saveFailed = true
	case msg.keptAs != "":
		c.note = "The progress file had become unreadable meanwhile: it is kept as " + msg.keptAs + ", and yours is saved afresh."
		c.saveFailed = true
	case c.saveFailed:
		c.note, c.saveFailed = "", false
	}
	// The note takes lines from the editor, or gives them back.
	m.layoutChallenge()
}

// quitAfterChallenge stops a check for real and leaves the quit to its
// end: a check puts the lab's policy back on the endpoints as it ends,
// and a wizard gone before that would leave the answer there. ctrl+c
// again quits at once (the state records the answer, and teardown puts
// it right).
func (m *Model) quitAfterChallenge() (tea.Model, tea.Cmd) {
	m.stop()
	m.quitting, m.overlay = true, overlayNone
	m.chal.note = m.keysIn("Stopping the check: the lab's policy goes back on the endpoints, then the wizard quits ({ForceQuit} quits at once).")
	m.layoutChallenge()
	return m, nil
}

// saveBeforeQuit is the save the wizard makes before it quits: the draft
// being typed, or everything again when a save is still on its way (the
// process would end under it). Nil when all is on disk.
func (m *Model) saveBeforeQuit() tea.Cmd {
	if m.progress == nil || m.progressOf != m.lab {
		return nil
	}
	if c := m.chal; c != nil && !c.loading && c.open >= 0 {
		if save := m.keepDraft(); save != nil {
			return save
		}
	}
	if m.saver.finished < m.saver.started {
		return m.saveProgress(0)
	}
	return nil
}

// progressSaver orders the saves of the progress: started counts the
// saves started, finished those whose outcome came back (both by Update
// only); written is the latest on disk.
type progressSaver struct {
	started  int
	finished int
	mu       sync.Mutex
	written  int
}

// progressSavedMsg is a save's outcome; stale: a later one was written
// first, so it wrote nothing; keptAs: the file on disk could not be read
// and was set aside first.
type progressSavedMsg struct {
	err    error
	stale  bool
	keptAs string
}

// openChallenge opens the selected challenge, with the learner's last draft
// or the starter.
func (m *Model) openChallenge() tea.Cmd {
	c := m.chal
	c.open = c.sel
	ch := c.current()
	text := ch.Starter(c.ctx)
	if d := c.progress.Record(ch.ID).Draft; d != "" {
		text = d
	}
	if doc, err := policy.Parse([]byte(text)); err == nil {
		text = string(doc.Pretty())
	}
	c.editor = textarea.New()
	c.editor.ShowLineNumbers = true
	c.editor.Prompt = ""
	c.editor.CharLimit = policy.MaxSize * 2
	c.editor.SetValue(text)
	c.loaded = c.editor.Value()
	c.sim, c.live, c.checkErr, c.modelShown, c.editing = nil, nil, "", false, false
	c.predict, c.predicting, c.predSel = nil, false, 0
	m.relint()
	m.layoutChallenge()
	// As the policy step's editor: on the draft's first error, else on
	// the Deny's actions; placed once the editor has its height, so the
	// line is in sight.
	placeJSONCursor(&c.editor, c.findings)
	return nil
}

// layoutChallenge sizes the editor to what the rest of the screen leaves:
// call it when the window, the hints or the last check change.
func (m *Model) layoutChallenge() {
	c := m.chal
	if c == nil || c.open < 0 {
		return
	}
	if m.chalWide() {
		// The draft's effect sits beside the editor.
		c.editor.SetWidth(min(110, m.c.Width-4-previewWidth-2))
	} else {
		c.editor.SetWidth(max(30, min(110, m.c.Width-4)))
	}
	// The body is the window less the header, the help bar and a gap.
	body := m.c.Height - 3
	room := func() int {
		return body - lipgloss.Height(m.challengeTop(m.c.Width-4)) - lipgloss.Height(m.challengeBottom(m.c.Width-4)) - 1
	}
	c.compact = false
	if room() < 6 {
		c.compact = true
	}
	// In a small window the last check's verdict and the request that
	// shows why matter more than a peek at the draft: the editor gives
	// up its lines down to one, and gets them back (the check's lines
	// go) while the learner edits.
	least := 3
	if c.compact && !c.editing {
		least = 1
	}
	c.editor.SetHeight(max(least, min(24, room())))
}

// relint lints the draft and previews what it does, as the learner types.
func (m *Model) relint() {
	c := m.chal
	ch := c.current()
	src := []byte(c.editor.Value())
	c.findings = policy.LintWith(src, policy.LintOptions{Account: c.ctx.Account, Region: c.ctx.Region, Type: ch.Target.PolicyType()})
	c.preview = ch.Preview(c.ctx, src)
}

// checkAnswer checks the draft: by simulation at once, then for real when
// that passes and the lab is up.
func (m *Model) checkAnswer() tea.Cmd {
	c := m.chal
	ch := c.current()
	src := []byte(c.editor.Value())
	sim := ch.Simulate(c.ctx, src)
	c.sim, c.live, c.checkErr = &sim, nil, ""
	c.editing = false
	c.editor.Blur()
	m.layoutChallenge()
	// A draft AWS would not accept: e edits it at its first error, the
	// place the lint line names.
	cursorToError(&c.editor, c.findings)
	if !sim.Passed || !c.labUp {
		c.progress.Checked(ch.ID, sim.Passed, false, m.draftOf(), time.Now())
		return m.saveProgress(ch.ID)
	}
	doc, err := policy.Parse(src)
	if err != nil {
		return nil
	}
	return m.start(opChallenge, steps.StepPolicy, func(ctx context.Context, lab *steps.Lab) opResult {
		lr, err := lab.CheckChallengeLive(ctx, ch, doc)
		return opResult{err: err, live: &lr}
	})
}

// draftOf is the draft a check records: the editor's, unless it holds the
// model answer as shown, which is not the learner's (s shows it again);
// then the learner's own draft stays.
func (m *Model) draftOf() string {
	c := m.chal
	if c.modelShown {
		return c.progress.Record(c.current().ID).Draft
	}
	return c.editor.Value()
}

// challengeChecked receives the check for real.
func (m *Model) challengeChecked(lr *steps.LiveResult, err error) tea.Cmd {
	c := m.chal
	if c == nil || c.open < 0 {
		return nil
	}
	ch := c.current()
	if err != nil {
		c.checkErr = errText(err) + orEmpty(" → ", fixOf(err))
		// The simulation's verdict stands.
		c.progress.Checked(ch.ID, c.sim != nil && c.sim.Passed, false, m.draftOf(), time.Now())
		return m.saveProgress(ch.ID)
	}
	c.live = lr
	c.progress.Checked(ch.ID, lr.Passed, lr.Passed, m.draftOf(), time.Now())
	m.layoutChallenge()
	return m.saveProgress(ch.ID)
}

// failedRequest is the first request of the last check that went
// otherwise than the goal wants, for x.
func (c *challenges) failedRequest() (steps.ProbeResult, bool) {
	if c.live != nil {
		if f := c.live.Failed(); len(f) > 0 {
			return f[0], true
		}
	}
	if c.sim != nil {
		if f := c.sim.Failed(); len(f) > 0 {
			return f[0], true
		}
	}
	return steps.ProbeResult{}, false
}

// whyRequest is the explanation of a challenge's failed request, from the
// simulation's trace: the same overlay as x on the lab's screens.
func (m *Model) whyRequest(r steps.ProbeResult) *steps.Explanation {
	c := m.chal
	ex := &steps.Explanation{Agrees: !r.Actual, Endpoint: r.Endpoint, Through: r.From == steps.Inside, Trace: r.Trace, EndpointPossible: true}
	if r.Trace != nil {
		req := r.Trace.Request
		ex.Request = &req
		if len(r.Trace.Edits) > 0 {
			e := r.Trace.Edits[0]
			ex.Edit = &e
			if doc, err := policy.Parse([]byte(c.editor.Value())); err == nil {
				ex.Diff = policy.Diff(doc, e.Policy)
			}
		}
	}
	ex.Refusal.Action = r.Action
	ex.Cause = fmt.Sprintf("%s: the goal wants it %s (%s), your answer has it %s.", r.Label(), steps.Verdict(r.Allowed), r.Why, steps.Verdict(r.Actual))
	if r.Message != "" {
		ex.Cause += " AWS would say: " + r.Message
	}
	return ex
}

// requestLines lists the last check's requests, each with its outcome and
// the way it went (which endpoint, or the public path): what a passed
// check teaches.
func (m *Model) requestLines(width int) []string {
	st := m.c.Styles
	c := m.chal
	reqs, where := c.sim.Requests, "by simulation"
	if c.live != nil {
		reqs, where = c.live.Requests, "for real"
	}
	out := []string{st.Title.Render(fmt.Sprintf("Challenge %d, request by request (%s)", c.current().ID, where)), ""}
	for _, r := range reqs {
		mark, ms := "✓", st.OK
		switch {
		case r.Skipped != "":
			mark, ms = "–", st.Faint
		case !r.Match:
			mark, ms = "✗", st.Error
		}
		out = append(out, ms.Render(mark)+" "+truncate(r.Label(), width-2))
		if r.Skipped != "" {
			out = append(out, st.Faint.Render("    "+truncate(r.Skipped, width-4)))
			continue
		}
		out = append(out, st.Faint.Render("    "+truncate(r.Got()+", "+r.Way()+" · "+r.Why, width-4)))
	}
	return out
}

// showModel puts a model answer in the editor (after a failed check).
func (m *Model) showModel() {
	c := m.chal
	ch := c.current()
	text := ch.Model(c.ctx)
	if doc, err := policy.Parse([]byte(text)); err == nil {
		text = string(doc.Pretty())
	}
	c.editor.SetValue(text)
	c.editor.MoveToBegin()
	c.modelShown = true
	m.relint()
}

// keepDraft saves the draft of the open challenge when it changed since
// it was last saved, so a learner who leaves without checking finds it
// again (a model answer shown is not the learner's draft).
func (m *Model) keepDraft() tea.Cmd {
	c := m.chal
	text := c.editor.Value()
	if c.modelShown || text == c.loaded || !c.progress.SetDraft(c.current().ID, text) {
		return nil
	}
	c.loaded = text
	return m.saveProgress(c.current().ID)
}

// challengeKey hands a key to the editor while the learner edits.
func (m *Model) challengeKey(msg tea.Msg) (tea.Model, tea.Cmd) {
	c := m.chal
	before := c.editor.Value()
	var cmd tea.Cmd
	if k, ok := msg.(tea.KeyPressMsg); ok && k.Code == tea.KeyTab && k.Mod == 0 {
		// The editor ignores tab; in JSON it means indent: two spaces,
		// as the policy is printed.
		c.editor.InsertString("  ")
	} else {
		c.editor, cmd = c.editor.Update(msg)
	}
	if c.editor.Value() != before {
		c.modelShown = false
		m.relint()
	}
	return m, cmd
}

// --- views ---

func (m *Model) challengesView(height int) string {
	c := m.chal
	if c.open < 0 {
		return m.challengeListView(height)
	}
	return m.challengeView(height)
}

func (m *Model) challengeListView(height int) string {
	st := m.c.Styles
	c := m.chal
	w := m.c.Width - 4
	var items []string
	for i, ch := range c.list {
		r := c.progress.Record(ch.ID)
		mark, style := "·", st.Faint
		switch {
		case r.Live:
			mark, style = "✓", st.OK
		case r.Passed:
			mark, style = "✓", st.Warn
		case r.Attempts > 0:
			mark, style = "…", st.Warn
		case r.Draft != "":
			mark = "…"
		}
		status := r.Status()
		if c.loading {
			mark, status = " ", ""
		}
		line := fmt.Sprintf("%s %d  %-34s %s", style.Render(mark), ch.ID, ch.Title, st.Faint.Render(status))
		if i == c.sel {
			line = st.StepCurrent.Render("› ") + line
		} else {
			line = "  " + line
		}
		items = append(items, truncate(line, w))
	}
	var b strings.Builder
	if c.loading {
		b.WriteString("\n" + st.Faint.Render("Reading your progress…") + "\n")
	}
	if c.info != "" {
		b.WriteString("\n" + st.Warn.Render(wrapIndent(c.info, w, "")) + "\n")
	}
	if c.note != "" {
		b.WriteString("\n" + st.Warn.Render(wrapIndent(c.note, w, "")) + "\n")
	}
	if !c.labUp {
		b.WriteString("\n" + st.Faint.Render(wrapIndent("The lab's endpoints are not up, so answers are checked by simulation only.", w, "")) + "\n")
	}
	b.WriteString("\n" + st.Action.Render(m.keysIn("Press {Open} to open a challenge.")))
	tail := b.String()
	intro := wrapWords("The lab taught one policy. These ask for the ones real teams need. Each is checked against requests you do not see, "+
		"by simulation and then for real through the endpoints.", w) + "\n\n"
	// A short window keeps the challenge the cursor is on in sight: the
	// introduction goes first, then the list scrolls.
	room := height - 1 - 1 - lipgloss.Height(tail)
	if room < lipgloss.Height(intro)-1+len(items) {
		intro = ""
	}
	if room = max(1, room); room < len(items) {
		first := min(max(0, c.sel-room/2), len(items)-room)
		items = items[first : first+room]
	}
	out := st.Title.Render("Policy challenges") + "\n" + intro + strings.Join(items, "\n") + "\n" + tail
	return "\n" + indent(clipLines(out, height-1), 2)
}

func (m *Model) challengeView(height int) string {
	w := m.c.Width - 4
	editor := m.chal.editor.View()
	if m.chalWide() {
		editor = lipgloss.JoinHorizontal(lipgloss.Top, editor, "  ", m.previewTable())
	}
	top, bottom := m.challengeTop(w), m.challengeBottom(w)
	// In a window too short for everything, the goal gives up its last
	// lines before the editor or the last check does.
	if n := height - lipgloss.Height(editor) - lipgloss.Height(bottom); n < lipgloss.Height(top) {
		top = clipLines(top, max(2, n))
	}
	out := top + "\n" + editor + "\n" + bottom
	return indent(clipLines(out, height), 2)
}

// previewWidth is the width of the table beside the editor.
const previewWidth = 40

// chalWide reports whether the window has room for the draft's effect as
// a table beside the editor (else it is a line or two under it).
func (m *Model) chalWide() bool { return m.c.Width >= 110 && m.c.Height >= 36 }

// previewHidden: challenge 5's forecast is not made yet, and the draft's
// effect would give it away.
func (m *Model) previewHidden() bool {
	c := m.chal
	return len(c.current().Predict) > 0 && (c.predict == nil || c.predicting)
}

// previewTable is what the draft does, request by request, on team-a's
// repository and team b's (and from outside the VPC, for a repository
// policy), as the learner types.
func (m *Model) previewTable() string {
	st := m.c.Styles
	c := m.chal
	lines := []string{st.PaneTitle.Render("What your draft does")}
	if m.previewHidden() {
		lines = append(lines, st.Faint.Render(wrapWords("It shows after your forecast: Enter makes one, then checks.", previewWidth)))
		return strings.Join(lines, "\n")
	}
	if len(c.preview) == 0 {
		lines = append(lines, st.Faint.Render(wrapWords("Nothing yet: fix the JSON to see it.", previewWidth)))
		return strings.Join(lines, "\n")
	}
	cell := func(r steps.ProbeResult) string {
		if r.Actual {
			return st.Allow.Render("✓ allowed")
		}
		return st.Deny.Render(truncate("✗ "+strings.TrimPrefix(r.Action, "ecr:"), previewWidth-15))
	}
	head := ""
	for _, r := range c.preview {
		where := r.Repo
		if r.From == steps.Outside {
			where += ", from outside the VPC"
		}
		if where != head {
			head = where
			lines = append(lines, st.Faint.Render(truncate(where, previewWidth)))
		}
		lines = append(lines, fmt.Sprintf("  %-12s %s", r.Op, cell(r)))
	}
	return strings.Join(lines, "\n")
}

// challengeTop is the goal, where the answer goes and the hints shown.
func (m *Model) challengeTop(w int) string {
	st := m.c.Styles
	c := m.chal
	ch := c.current()
	r := c.progress.Record(ch.ID)
	var top strings.Builder
	top.WriteString(st.Title.Render(fmt.Sprintf("Challenge %d · %s", ch.ID, ch.Title)) + "  " + st.Faint.Render(r.Status()) + "\n")
	top.WriteString(st.Prose.Render(wrapWords(ch.Goal, w)) + "\n")
	target := "The answer is " + ch.Target.Label() + "."
	if c.compact {
		top.WriteString(st.Faint.Render(truncate(target, w)))
	} else {
		top.WriteString(st.Faint.Render(wrapWords(target, w)))
	}
	hints := c.progress.Hints(ch)
	for i, h := range hints {
		if c.compact && i < len(hints)-1 {
			// The latest hint only: its number says how many came before.
			continue
		}
		top.WriteString("\n" + st.Warn.Render(fmt.Sprintf("Hint %d/%d: ", i+1, len(ch.Hints))) + wrapIndent(h, w-10, "  "))
	}
	return top.String()
}

// challengeBottom is what is under the editor: the lint, the draft's
// effect (beside the editor when wide), the last check, the keys.
func (m *Model) challengeBottom(w int) string {
	st := m.c.Styles
	c := m.chal
	var b strings.Builder
	b.WriteString(m.lintLine(w))
	if !m.chalWide() {
		b.WriteString("\n" + m.previewLine(w))
	}
	if c.modelShown {
		b.WriteString("\n" + st.Faint.Render("A model answer: yours may differ and still pass."))
	}
	switch {
	case c.predicting:
		b.WriteString(m.predictView(w))
	case !c.compact || !c.editing:
		// While the learner types in a small window, the editor takes the
		// last check's lines; esc brings them back.
		b.WriteString(m.checkView(w))
	}
	if c.note != "" {
		b.WriteString("\n" + st.Warn.Render(wrapIndent(c.note, w, "  ")))
	}
	if a := m.challengeAction(); a != "" && !c.compact {
		b.WriteString("\n" + a)
	}
	return b.String()
}

// previewLine is what the draft does to the lab's own requests now, as
// the learner types: a line for the requests from inside the VPC, and one
// for those from outside it when the challenge has them.
func (m *Model) previewLine(width int) string {
	st := m.c.Styles
	if m.previewHidden() {
		// The forecast is the point: the draft's effect shows once it is made.
		return st.Faint.Render(wrapWords("Your draft's effect shows after your forecast: Enter makes one, then checks.", width))
	}
	if len(m.chal.preview) == 0 {
		return st.Faint.Render("Your draft: fix the JSON to see what it does.")
	}
	var lines []string
	for _, from := range []steps.From{steps.Inside, steps.Outside} {
		var parts []string
		for _, p := range m.chal.preview {
			if p.From != from || p.Repo != policy.DefaultRepository {
				continue
			}
			if p.Actual {
				parts = append(parts, p.Op+" "+st.Allow.Render("✓"))
			} else {
				parts = append(parts, p.Op+" "+st.Deny.Render("✗"))
			}
		}
		if len(parts) == 0 {
			continue
		}
		head := "Your draft on team-a/alpine: "
		if from == steps.Outside {
			head = "  from outside the VPC: "
		}
		// A narrow window gets the rest on a line of its own, not cut:
		// the last request's verdict is as much the point as the first's.
		line, used := st.Faint.Render(head), lipgloss.Width(head)
		for i, p := range parts {
			w := lipgloss.Width(p)
			switch {
			case i == 0:
			case used+3+w > width:
				lines = append(lines, line)
				line, used = "    ", 4
			default:
				line, used = line+st.Faint.Render(" · "), used+3
			}
			line, used = line+p, used+w
		}
		lines = append(lines, truncate(line, width))
	}
	return strings.Join(lines, "\n")
}

// lintLine says whether AWS would accept the draft.
func (m *Model) lintLine(width int) string {
	st := m.c.Styles
	var errs []policy.Finding
	for _, f := range m.chal.findings {
		if f.Severity == policy.SeverityError {
			errs = append(errs, f)
		}
	}
	if len(errs) == 0 {
		warn := ""
		for _, f := range m.chal.findings {
			warn = st.Warn.Render(fmt.Sprintf("  ! %d:%d %s", f.Line, f.Column, f.Message))
			break
		}
		return truncate(st.OK.Render("✓ AWS would accept it")+warn, width)
	}
	f := errs[0]
	// Wrapped, not cut, as under the policy step's editor: the end of
	// the message is often what is wrong ("a value was expected").
	// Line by line: a style pads a block's lines to its widest.
	lines := strings.Split(wrapIndent(fmt.Sprintf("✗ %d:%d %s", f.Line, f.Column, f.Message), width-2, "  "), "\n")
	last := len(lines) - 1
	for i, l := range lines {
		lines[i] = st.Error.Render(l)
	}
	count := "(" + plural(len(errs), "error") + ")"
	if lipgloss.Width(lines[last])+2+len(count) <= width {
		lines[last] += st.Faint.Render("  " + count)
	} else {
		lines = append(lines, "  "+st.Faint.Render(count))
	}
	return strings.Join(lines, "\n")
}

// checkView is the last check's outcome: each request that went wrong,
// with what the goal wants and what AWS would say.
func (m *Model) checkView(width int) string {
	st := m.c.Styles
	c := m.chal
	var b strings.Builder
	if m.busy() && m.op.kind == opChallenge {
		return "\n" + st.Spinner.Render(m.frame()) + " " + st.Faint.Render("checking for real: the answer is on the endpoints, the requests go through them ["+wholeSeconds(m.now.Sub(m.op.started))+"]")
	}
	if c.sim == nil {
		return ""
	}
	sim := c.sim
	if len(sim.Findings) > 0 {
		return "\n" + st.Error.Render("✗ AWS would not accept this policy: fix the errors first.")
	}
	reqs := sim.Requests
	where := "by simulation"
	if c.live != nil {
		reqs, where = c.live.Requests, "for real"
		if c.live.NotApplied != "" {
			return "\n" + st.Error.Render("✗ AWS refused the answer itself: ") + wrapIndent(c.live.NotApplied, width-4, "  ")
		}
	}
	ok := 0
	made := 0
	for _, r := range reqs {
		if r.Skipped != "" {
			continue
		}
		made++
		if r.Match {
			ok++
		}
	}
	for _, r := range sim.Rules {
		b.WriteString("\n" + st.Error.Render("✗ ") + truncate(r, width-2))
	}
	verdict := st.OK.Render(fmt.Sprintf("✓ %d of %d requests as the goal wants, %s", ok, made, where))
	if ok < made {
		verdict = st.Error.Render(fmt.Sprintf("✗ %d of %d requests as the goal wants, %s", ok, made, where))
	}
	b.WriteString("\n" + verdict)
	shown := 0
	for _, r := range reqs {
		if r.Skipped != "" || r.Match {
			continue
		}
		if shown == 2 || shown == 1 && c.compact {
			if !c.compact {
				b.WriteString("\n" + st.Faint.Render("  …"))
			}
			break
		}
		shown++
		b.WriteString("\n" + st.Error.Render("  ✗ ") + truncate(r.Label(), width-4))
		b.WriteString("\n" + st.Faint.Render("    "+truncate(fmt.Sprintf("wants it %s, got %s · goal: %s", steps.Verdict(r.Allowed), r.Got(), r.Why), width-4)))
	}
	b.WriteString(m.forecastLines(reqs, width))
	if c.checkErr != "" {
		b.WriteString("\n" + st.Error.Render("✗ ") + wrapIndent("Not checked for real: "+c.checkErr, width-2, "  "))
	}
	if ok == made && len(sim.Rules) == 0 && (c.live != nil || !c.labUp) {
		b.WriteString("\n" + st.OK.Render(wrapWords("Passed. "+c.current().Lesson, width)))
	} else if ok == made && len(sim.Rules) == 0 && c.live == nil && c.checkErr == "" {
		b.WriteString("\n" + st.Faint.Render("Passed by simulation."))
	}
	return b.String()
}

// predictView is the forecast being made: each command, ticked when the
// learner expects it to still work.
func (m *Model) predictView(width int) string {
	st := m.c.Styles
	c := m.chal
	var b strings.Builder
	b.WriteString("\n" + st.Action.Render(truncate("Before the check: which still work once the answer is in place?", width)))
	for i, op := range c.current().Predict {
		cur := "  "
		if i == c.predSel {
			cur = st.StepCurrent.Render("› ")
		}
		mark, say := st.Deny.Render("✗"), "refused"
		if c.predict[op] {
			mark, say = st.Allow.Render("✓"), "still works"
		}
		b.WriteString("\n" + cur + mark + " " + fmt.Sprintf("%-12s", op) + st.Faint.Render(say))
	}
	return b.String()
}

// forecastLines hold the learner's forecast against the check's requests.
func (m *Model) forecastLines(reqs []steps.ProbeResult, width int) string {
	st := m.c.Styles
	c := m.chal
	if c.predict == nil {
		return ""
	}
	guesses := c.current().JudgePrediction(c.predict, reqs)
	if len(guesses) == 0 {
		return ""
	}
	right := 0
	for _, g := range guesses {
		if g.Right {
			right++
		}
	}
	var b strings.Builder
	line := fmt.Sprintf("Your forecast: %d of %d right.", right, len(guesses))
	if right == len(guesses) {
		b.WriteString("\n" + st.OK.Render("✓ "+line))
		return b.String()
	}
	b.WriteString("\n" + st.Warn.Render("! "+line))
	for _, g := range guesses {
		if g.Right {
			continue
		}
		said := "refused"
		if g.Predicted {
			said = "still works"
		}
		b.WriteString("\n" + st.Faint.Render("    "+truncate(fmt.Sprintf("%s: you said %s; it was %s", g.Op, said, g.Got), width-4)))
		if c.compact {
			break
		}
	}
	return b.String()
}

// challengeAction says what to press.
func (m *Model) challengeAction() string {
	st := m.c.Styles
	c := m.chal
	switch {
	case m.busy():
		return ""
	case c.predicting:
		return st.Action.Render(m.keysIn("{Toggle} marks what still works, {Next} checks."))
	case c.editing:
		return st.Action.Render(m.keysIn("Editing: {CheckNow} checks the answer, {Back} stops editing."))
	case c.sim != nil && !c.sim.Passed || c.live != nil && !c.live.Passed:
		// Only the keys that act now (challengeKeys): x needs a
		// request that went wrong (a draft AWS would not accept has
		// none), h a hint still to come.
		_, why := c.failedRequest()
		ch := c.current()
		var say []string
		if c.modelShown {
			say = append(say, "{Next} to check the model answer", "{EditAnswer} to edit it")
			if why {
				say = append(say, "{Explain} to see why yours failed")
			}
		} else {
			say = append(say, "{EditAnswer} to edit")
			if why {
				say = append(say, "{Explain} to see why")
			}
			if len(c.progress.Hints(ch)) < len(ch.Hints) {
				say = append(say, "{NextHint} for a hint")
			}
			if c.progress.ModelUnlocked(ch.ID) {
				say = append(say, "{Answer} for a model answer")
			}
		}
		return st.Action.Render(m.keysIn("Press " + strings.Join(say, ", ") + "."))
	}
	return st.Action.Render(m.keysIn("Press {EditAnswer} to edit the policy, {Next} to check it."))
}

// challengeKeys are the keys of the challenges.
func (m *Model) challengeKeys(add addKey) {
	k := m.c.Keys
	c := m.chal
	if c.open < 0 {
		add(k.Open, actOpen, groupStep)
		if c.sel > 0 {
			add(desc(k.StepUp, "previous"), actStepUp, groupStep)
		}
		if c.sel < len(c.list)-1 {
			add(desc(k.StepDown, "next"), actStepDown, groupStep)
		}
		add(desc(k.Back, "back to the lab"), actBack, groupStep)
		add(k.Help, actHelp, groupAnywhere)
		add(k.Quit, actQuit, groupAnywhere)
		return
	}
	if m.busy() {
		add(k.Stop, actStop, groupStep)
		return
	}
	if c.predicting {
		add(desc(k.Next, "check"), actPredictDone, groupStep)
		add(desc(k.Toggle, "still works / refused"), actPredictToggle, groupStep)
		add(k.ChoiceUp, actPredictUp, groupStep)
		add(k.ChoiceDown, actPredictDown, groupStep)
		add(desc(k.Back, "not now"), actPredictCancel, groupStep)
		return
	}
	if c.editing {
		add(k.CheckNow, actCheckAnswer, groupStep)
		add(desc(k.Back, "stop editing"), actStopEditing, groupStep)
		add(k.Type, actShow, groupField)
		return
	}
	ch := c.current()
	add(desc(k.Next, "check"), actCheckAnswer, groupStep)
	add(k.EditAnswer, actEditAnswer, groupStep)
	if _, ok := c.failedRequest(); ok {
		add(desc(k.Explain, "why?"), actExplain, groupStep)
	} else if c.sim != nil && len(c.sim.Findings) == 0 {
		add(desc(k.Explain, "each request"), actExplain, groupStep)
	}
	if len(c.progress.Hints(ch)) < len(ch.Hints) {
		add(k.NextHint, actNextHint, groupStep)
	}
	if c.progress.ModelUnlocked(ch.ID) && !c.modelShown {
		add(k.Answer, actAnswer, groupStep)
	}
	add(desc(k.Back, "back to the challenges"), actBack, groupStep)
	add(k.Help, actHelp, groupAnywhere)
	add(k.Quit, actQuit, groupAnywhere)
}

// doChallenge performs a challenge action.
func (m *Model) doChallenge(act action) (tea.Model, tea.Cmd) {
	c := m.chal
	switch act {
	case actOpen:
		return m, m.openChallenge()
	case actStepUp:
		c.sel = max(0, c.sel-1)
	case actStepDown:
		c.sel = min(len(c.list)-1, c.sel+1)
	case actBack:
		if c.open >= 0 {
			save := m.keepDraft()
			c.open = -1
			return m, save
		}
		m.phase = phaseLab
		m.chal = nil
	case actEditAnswer:
		c.editing = true
		m.layoutChallenge()
		return m, c.editor.Focus()
	case actStopEditing:
		c.editing = false
		c.editor.Blur()
		m.layoutChallenge()
		return m, m.keepDraft()
	case actCheckAnswer:
		if len(c.current().Predict) > 0 && c.predict == nil {
			// The forecast comes first: what will still work?
			c.editing, c.predicting, c.predSel, c.predict = false, true, 0, steps.Prediction{}
			c.editor.Blur()
			m.layoutChallenge()
			return m, nil
		}
		return m, m.checkAnswer()
	case actPredictUp:
		c.predSel = max(0, c.predSel-1)
	case actPredictDown:
		c.predSel = min(len(c.current().Predict)-1, c.predSel+1)
	case actPredictToggle:
		op := c.current().Predict[c.predSel]
		c.predict[op] = !c.predict[op]
	case actPredictDone:
		c.predicting = false
		return m, m.checkAnswer()
	case actPredictCancel:
		c.predicting, c.predict = false, nil
		m.layoutChallenge()
	case actNextHint:
		c.progress.NextHint(c.current())
		m.layoutChallenge()
		return m, m.saveProgress(c.current().ID)
	case actAnswer:
		m.showModel()
		m.layoutChallenge()
	case actExplain:
		if r, ok := c.failedRequest(); ok {
			m.showWhy(m.whyRequest(r))
		} else if c.sim != nil {
			m.showLines(m.requestLines(m.c.Width - 6))
		}
	}
	return m, nil
}
