package ui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// phase is where the wizard is as a whole.
type phase int

const (
	phaseDetect     phase = iota // looking for credentials
	phaseNoAccount               // none found: offer the sandbox
	phaseConnect                 // building the lab
	phaseChooseRun               // no state file, several runs found by their tags: which one
	phaseResume                  // a saved run exists: resume, tear down or start over
	phaseLab                     // walking the screens
	phaseTeardown                // removing everything
	phaseFatal                   // cannot go on; the message says why
	phaseChallenges              // the policy challenges, after the lab
)

// overlay is a dialog drawn over the current screen.
type overlay int

const (
	overlayNone overlay = iota
	overlayConfirmTeardown
	overlayConfirmQuit
	overlayHelp
	// overlayWhy explains a refusal (x).
	overlayWhy
	overlayExpiry
)

// screenState is what the root model knows about one screen.
type screenState struct {
	status   steps.StepStatus
	err, fix string
	// note is a warning that is not a failure (a skipped step, a test
	// that proves nothing).
	note string
	// endedAs is how a step of the screen ended when it neither passed nor
	// failed: skipped (it cannot be observed from where the wizard runs),
	// or unproven (a test whose requests went around the endpoints). The
	// screen ends so; unproven outranks skipped.
	endedAs  steps.StepStatus
	details  []string
	commands []steps.Command
	started  time.Time
	// checked is the last read-only check's result (k).
	checked   *steps.CheckResult
	checkedAt time.Time
	// draftErr: err is why the policy being edited could not be applied;
	// it goes as soon as that draft changes or is put away.
	draftErr bool
}

// Model is the wizard's root model. It owns all state; screens only draw
// what it hands them. View reads this struct and nothing else: the engine's
// state arrives as events (steps.EventState), never by calling the Lab.
type Model struct {
	c    Common
	opts Options
	ctx  context.Context

	phase   phase
	overlay overlay
	fatal   string

	detection Detection
	// place is where the lab runs (from the connection);
	// proofsSkippedChosen: outside the VPC, the learner chose to go on
	// with the proofs skipped rather than use the sandbox.
	place               *steps.Environment
	proofsSkippedChosen bool
	// noWorkspaceHere: discovery found no workspace where the lab runs
	// (not on EC2); the learner chooses the IDs instead.
	noWorkspaceHere bool
	// teardownAfterStop: the learner said yes to a teardown while a step
	// ran; it starts when that step's stop has ended it.
	teardownAfterStop bool
	conn              *Connection
	// lab is used only inside operations (tea.Cmds), never by Update or
	// View.
	lab    *steps.Lab
	events chan steps.Event
	// sent counts the engine's events as they go into events (by any
	// goroutine); seen those Update has handled. An operation's end
	// waits until seen has caught up with what sent counted when it
	// ended (pendingDone), so its last events never land after it, in
	// the next operation (a teardown tried again at once would show the
	// last one's failure as its own).
	sent        *atomic.Uint64
	seen        uint64
	pendingDone []opDoneMsg

	// st is the engine's state as its last EventState said; cfg is the
	// lab's configuration, read once when it connected.
	st  steps.State
	cfg steps.Config

	cur     screenID
	screens [numScreens]screenState
	// op is the operation in flight, nil when idle.
	op    *inflight
	opSeq int
	// queue holds the steps still to run for the current Enter.
	queue []steps.StepID

	checks    []steps.CheckItem
	resources map[string]*ResourceLine // by kind/name, for the build screens
	order     []string
	lookups   []steps.Lookup
	// preview is what Enter would run on the current screen, as AWS CLI
	// commands (refreshPreview), while it has run none.
	preview []steps.Command
	// dkrAddress is the ecr.dkr interface's private address, as the
	// endpoint reported it.
	dkrAddress string
	nextPoll   time.Time
	tests      map[steps.TestName]steps.TestResult
	// refusals explains each refused test: which action, which statement.
	refusals map[steps.TestName]refusal
	calls    []steps.Call
	teardown []*ResourceLine
	tdIndex  map[string]*ResourceLine
	tdReport *steps.TeardownReport
	tdErr    string
	tdFix    string
	// tdNote is what the teardown says it waits for (EC2's reads lagging
	// its writes), shown while nothing else moves.
	tdNote  string
	afterTD func() (tea.Model, tea.Cmd)
	// tdKeepDNS asks the next teardown to leave on the VPC DNS
	// attributes the lab turned on; tdKeptDNS is what the last one was
	// asked (a retry asks the same).
	tdKeepDNS, tdKeptDNS bool

	// runChoice is the runs found by their tags, when the wizard asks
	// which one to carry on with; runCursor the one pointed at.
	runChoice *steps.RunChoiceError
	runCursor int
	// why is the explanation the x overlay shows (nil while it comes);
	// whyErr why there is none; whyScroll the first line shown.
	why       *steps.Explanation
	whyErr    string
	whyScroll int
	// whyText, when set, is what the overlay shows instead (a check's
	// requests, one by one).
	whyText []string
	// whole: the overlay shows the current screen whole (m), for what a
	// small window cut short.
	whole bool
	// chal is the policy challenges (nil until they are opened).
	chal *challenges
	// progress is the learner's progress through the challenges, read
	// once from progressOf's state directory; saver orders its saves.
	progress   *steps.ChallengeProgress
	progressOf *steps.Lab
	saver      *progressSaver
	// touched are the challenges whose records the learner changed here:
	// the only ones a save writes over the file.
	touched map[int]bool
	// noSave says why the progress is not saved (a file that cannot be
	// read, and cannot be set aside, is not overwritten).
	noSave string

	editor *policyEditor
	picker *workspacePicker
	// idsChosen: the learner picked the workspace's IDs on step 2, and the
	// checks of step 1 ran again for them; step 1 says so until left.
	idsChosen bool
	// keptDraft is the policy editor as the learner left it before any
	// policy was applied, reopened when they come back to the screen.
	keptDraft *policyEditor
	// policyFrom is the screen the policy editor was opened from (esc
	// returns there, leaving the policy unchanged).
	policyFrom screenID
	// policyReview: the policy screen shows the policy in force, read
	// only, with the step keys. The learner came to it with ↑ or ↓ (or
	// left the editor with esc), and the form would take those arrows for
	// its own fields and hold them there. p opens the form.
	policyReview bool

	showCLI, showLog, showHint bool
	now                        time.Time
	// The one clock: it ticks while something moves, and only then.
	ticking bool
	tickGen int
	// tickAt is when the next tick is due, while ticking.
	tickAt time.Time
	// expiryPick is the choice under the cursor in the expiry dialog;
	// expiryConfirm: a choice under an hour on AWS waits for a yes.
	expiryPick    int
	expiryConfirm bool
	// shortExpiryOK: the learner said yes to endpoints that expire in
	// under an hour on AWS; expiryThenCreate: that yes creates them.
	shortExpiryOK, expiryThenCreate bool
	// expLook is what the wizard last saw of the auto-teardown after the
	// expiry; expiryLooking: a look is under way.
	expLook       *expiryLook
	expiryLooking bool
	// lookEvery is the pace of those looks (expiryLookEvery).
	lookEvery time.Duration

	// helpFor is the context the ? overlay explains.
	helpFor []binding

	quitting     bool
	knownAccount string
	// exitNote is printed after the program ends (how to come back).
	exitNote string
	// exitErr is the failure the learner quit on (ExitErr).
	exitErr error
}

// Messages.
type (
	detectedMsg  Detection
	connectedMsg struct {
		conn     *Connection
		st       steps.State
		cfg      steps.Config
		resumed  bool
		progress bool
		// place is where the lab runs, when known.
		place *steps.Environment
		err   error
	}
	eventMsg steps.Event
	// eventsMsg carries engine events that arrived together.
	eventsMsg []steps.Event
	tickMsg   struct {
		gen int
		t   time.Time
	}
)

// New builds the wizard.
func New(ctx context.Context, opts Options) *Model {
	m := &Model{
		c:         Common{Styles: NewStyles(opts.DarkBackground), Keys: DefaultKeyMap(), Sandbox: opts.Sandbox, Width: 80, Height: 24},
		opts:      opts,
		ctx:       ctx,
		events:    make(chan steps.Event, 1024),
		sent:      new(atomic.Uint64),
		resources: map[string]*ResourceLine{},
		tests:     map[steps.TestName]steps.TestResult{},
		refusals:  map[steps.TestName]refusal{},
		tdIndex:   map[string]*ResourceLine{},
		now:       time.Now(),
		lookEvery: expiryLookEvery,
		saver:     &progressSaver{},
	}
	if opts.Sandbox {
		m.phase = phaseConnect
	}
	return m
}

// ExitNote is what to print once the program has ended: also when it
// ended without a quit (a signal), from the state the engine last sent.
func (m *Model) ExitNote() string { return cmp.Or(m.exitNote, m.leavingNote()) }

// ExitErr is the failure the learner quit on, nil when none: a step that
// failed and was not got past, or a teardown that left something. A quit
// after it is no success, and the command exits non-zero.
func (m *Model) ExitErr() error { return m.exitErr }

// unresolved is the failure on the screens when the learner quits: the
// first step that failed and was not run again with success, or a
// teardown that stopped short.
func (m *Model) unresolved() *problem.Error {
	if m.phase == phaseTeardown && m.tdErr != "" {
		// Once the wizard has closed, its key no longer runs the
		// teardown again: the command does.
		fix := strings.ReplaceAll(m.tdFix, m.retryPhrase(), "run '"+m.labCmd(" down")+" --yes' again")
		return &problem.Error{Message: "quit with the teardown unfinished: " + m.tdErr, Fix: fix}
	}
	if m.phase == phaseTeardown && m.tdReport != nil && len(m.tdReport.Left) > 0 {
		return &problem.Error{Message: "quit with resources the teardown could not remove", Fix: "run '" + m.labCmd(" down") + " --yes' again in a minute"}
	}
	if m.phase != phaseLab && m.phase != phaseChallenges {
		return nil
	}
	for i, sc := range m.screens {
		if sc.status == steps.StatusFailed {
			what := "quit with the step " + screens[i].title + " failed"
			if sc.err != "" {
				what += ": " + sc.err
			}
			return &problem.Error{Message: what, Fix: sc.fix}
		}
	}
	return nil
}

// Init starts detection or connection, and asks the terminal its background.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.phase == phaseConnect {
		cmds = append(cmds, m.connect(Target{Sandbox: true}, nil))
	} else {
		cmds = append(cmds, m.detect(), m.startTicking())
	}
	return tea.Batch(cmds...)
}

// --- commands: all I/O happens here ---

func (m *Model) detect() tea.Cmd {
	detect := m.opts.Detect
	ctx := m.ctx
	return func() tea.Msg {
		if detect == nil {
			return detectedMsg{Problem: "no way to look for credentials"}
		}
		return detectedMsg(detect(ctx))
	}
}

// retryPhrase is how the teardown's fixes say to run it again in the
// wizard (steps.Config.RetryTeardown).
func (m *Model) retryPhrase() string { return m.keysIn("press {Retry} to tear down again") }

// connect builds the lab; prev, when set, is a connection to release first
// (starting over).
func (m *Model) connect(t Target, prev *Connection) tea.Cmd {
	m.phase = phaseConnect
	m.c.Sandbox = t.Sandbox
	t.RetryTeardown = m.retryPhrase()
	connect, ctx, events, sent := m.opts.Connect, m.ctx, m.events, m.sent
	return tea.Batch(m.startTicking(), func() tea.Msg {
		closeConn(prev)
		if connect == nil {
			return connectedMsg{err: errors.New("the wizard was built without a way to connect")}
		}
		conn, err := connect(ctx, t, func(e steps.Event) {
			sent.Add(1)
			events <- e
		})
		if err != nil {
			return connectedMsg{err: err}
		}
		st := conn.Lab.State()
		msg := connectedMsg{conn: conn, st: st, cfg: conn.Lab.Config(), resumed: conn.Lab.Resumed(),
			progress: len(st.Steps) > 0 || st.SecurityGroup != nil || len(st.Endpoints) > 0}
		if env, ok := conn.Lab.Environment(); ok {
			msg.place = &env
		}
		return msg
	})
}

// waitEvent delivers the next engine events as one message: it waits for
// one, then takes whatever else is already queued, so a burst of API-call
// events costs one render, not one each.
func (m *Model) waitEvent() tea.Cmd {
	events := m.events
	return func() tea.Msg {
		batch := eventsMsg{<-events}
		for len(batch) < 256 {
			select {
			case e := <-events:
				batch = append(batch, e)
			default:
				return batch
			}
		}
		return batch
	}
}

// --- update ---

// Update handles one message. It never blocks and never does I/O: both
// happen in the commands it returns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	m.refreshPreview()
	return next, cmd
}

// refreshPreview asks the lab what the current screen's steps would run
// (the CLI pane shows it before Enter), from the state the last message
// left. It calls nothing: the lab builds the commands from its state.
func (m *Model) refreshPreview() {
	m.preview = nil
	if m.lab == nil || m.phase != phaseLab {
		return
	}
	if sc := m.screens[m.cur]; sc.status.MovedOn() || sc.status == steps.StatusRunning || len(sc.commands) > 0 {
		return
	}
	for _, id := range screens[m.cur].steps {
		m.preview = append(m.preview, m.lab.Preview(id)...)
	}
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.opts.Trace != nil {
		fmt.Fprintf(m.opts.Trace, "%s %T %v\n", time.Now().Format("15:04:05.000"), msg, msg)
	}
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		if m.holdKey(msg) {
			return m, nil
		}
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = max(msg.Width, 1), max(msg.Height, 1)
		m.layoutEditor()
		m.layoutChallenge()
		return m, nil
	case progressMsg:
		return m.gotProgress(msg)
	case progressSavedMsg:
		m.progressSaved(msg)
		return m, nil
	case tea.BackgroundColorMsg:
		m.c.Styles = NewStyles(msg.IsDark())
		if m.editor != nil {
			m.editor.isDark = msg.IsDark()
			if !m.editor.rawMode {
				return m, m.editor.rebuildForm()
			}
		}
		return m, nil
	case tickMsg:
		return m, m.tick(msg)
	case expiryLookMsg:
		return m, tea.Batch(m.expiryLooked(msg), m.startTicking())
	case detectedMsg:
		m.detection = Detection(msg)
		if !m.detection.Credentials {
			m.phase = phaseNoAccount
			return m, nil
		}
		return m, m.connect(Target{}, nil)
	case connectedMsg:
		return m.connected(msg)
	case eventsMsg:
		for _, e := range msg {
			m.handleEvent(e)
		}
		m.seen += uint64(len(msg))
		var mm tea.Model = m
		cmd := tea.Batch(m.waitEvent(), m.startTicking())
		for len(m.pendingDone) > 0 && m.seen >= m.pendingDone[0].events {
			done := m.pendingDone[0]
			m.pendingDone = m.pendingDone[1:]
			var c tea.Cmd
			mm, c = m.finish(done)
			cmd = tea.Batch(cmd, c)
		}
		return mm, cmd
	case eventMsg:
		m.handleEvent(steps.Event(msg))
		return m, m.startTicking()
	case opDoneMsg:
		if m.op != nil && msg.seq == m.op.seq && msg.events > m.seen {
			// Some of its events are still on their way: it ends after
			// them.
			m.pendingDone = append(m.pendingDone, msg)
			return m, nil
		}
		return m.finish(msg)
	case choicesMsg:
		return m.gotChoices(msg)
	case tea.KeyPressMsg:
		return m.key(msg)
	case SnapshotMsg:
		select {
		case msg.Reply <- Snapshot{Screen: m.render(), Step: screens[m.cur].title, Busy: m.busy(), Phase: int(m.phase)}:
		default:
		}
		return m, nil
	}
	// Anything else (cursor blinks, form internals) goes to the active input.
	return m.forwardToInput(msg)
}

func (m *Model) forwardToInput(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch {
	case m.phase == phaseChallenges && m.chal != nil && m.chal.open >= 0 && m.chal.editing:
		return m.challengeKey(msg)
	case m.picker != nil:
		// Form internals (next field, next group) can finish the picker too.
		cmd, done := m.picker.Update(msg)
		if done {
			mm, next := m.pickerDone()
			return mm, tea.Batch(cmd, next)
		}
		return m, cmd
	case m.phase == phaseLab && m.cur == scrPolicy && m.editor != nil && !m.busy():
		return m.editDraft(msg)
	}
	return m, nil
}

// editDraft feeds msg to the policy editor; Enter on the form's last field
// applies the draft. An error about an earlier draft goes once it changed.
func (m *Model) editDraft(msg tea.Msg) (tea.Model, tea.Cmd) {
	before := m.editor.draft()
	cmd, submitted := m.editor.Update(msg)
	if m.editor.draft() != before {
		m.dropDraftErr()
	}
	if submitted {
		return m, tea.Batch(cmd, m.applyPolicy())
	}
	return m, cmd
}

// dropDraftErr forgets why an earlier draft could not be applied.
func (m *Model) dropDraftErr() {
	if sc := &m.screens[scrPolicy]; sc.draftErr {
		sc.err, sc.fix, sc.draftErr = "", "", false
	}
}

func (m *Model) connected(msg connectedMsg) (tea.Model, tea.Cmd) {
	var choice *steps.RunChoiceError
	if errors.As(msg.err, &choice) && len(choice.Runs) > 0 {
		m.phase, m.runChoice, m.runCursor = phaseChooseRun, choice, 0
		return m, nil
	}
	if msg.err != nil {
		m.phase = phaseFatal
		m.fatal = errText(msg.err)
		if fix := fixOf(msg.err); fix != "" {
			m.fatal += "\n→ " + fix
		}
		return m, nil
	}
	m.conn, m.lab = msg.conn, msg.conn.Lab
	m.st, m.cfg = msg.st, msg.cfg
	m.place = msg.place
	m.restoreFromState()
	if msg.resumed && msg.progress {
		m.phase = phaseResume
	} else {
		m.phase = phaseLab
		m.cur = scrPreflight
	}
	return m, m.waitEvent()
}

// restoreFromState marks screens from the saved run and rebuilds their data.
func (m *Model) restoreFromState() {
	st := m.st
	for i := range m.screens {
		ids := screens[i].steps
		if len(ids) == 0 {
			continue
		}
		all := true
		failed := false
		for _, id := range ids {
			r, ok := st.Steps[id]
			if !ok || !r.Status.Passed() {
				all = false
			}
			if ok && r.Status.Failed() {
				failed = true
				m.screens[i].err = r.Message
			}
			if ok && (r.Status == steps.StatusSkipped || r.Status == steps.StatusUnproven || r.Status == steps.StatusStopped) {
				if m.screens[i].status != steps.StatusUnproven {
					m.screens[i].status = r.Status
				}
				if (r.Status == steps.StatusSkipped || r.Status == steps.StatusUnproven) && r.Message != "" {
					m.screens[i].note = notPassedNote(r.Status, r.Message)
				}
				if r.Status == steps.StatusStopped {
					// Said as when it stopped in this window: a stopped
					// step with no word reads as one still at work.
					m.screens[i].note = stoppedNote(m.c.Keys)
				}
			}
		}
		switch {
		case all:
			m.screens[i].status = steps.StatusDone
		case failed:
			m.screens[i].status = steps.StatusFailed
		case m.screens[i].status == steps.StatusSkipped || m.screens[i].status == steps.StatusUnproven || m.screens[i].status == steps.StatusStopped:
			// As saved: a skip, a test without proof, or a step stopped
			// half-way.
		default:
			m.screens[i].status = steps.StatusPending
		}
	}
	if m.screens[scrPreflight].status == steps.StatusDone {
		m.screens[scrWorkspace].status = steps.StatusDone
	}
	for name, t := range st.Tests {
		m.tests[name] = t
		m.explainTest(t)
	}
	for _, key := range steps.EndpointKeys {
		if r := st.Endpoints[key]; r != nil {
			m.setResource(steps.ResourceEvent{Kind: steps.KindEndpoint, ID: r.ID, Name: key, State: r.State, Since: r.CreatedAt}, r.CreatedAt, true)
		}
	}
}

// firstUnfinished is the screen to resume at.
func (m *Model) firstUnfinished() screenID {
	for i := scrPreflight; i < scrFinish; i++ {
		if !m.screens[i].status.MovedOn() {
			return i
		}
	}
	return scrFinish
}

// finish ends an operation whose events have all been handled.
func (m *Model) finish(msg opDoneMsg) (tea.Model, tea.Cmd) {
	mm, cmd := m.opDone(msg)
	if m.teardownAfterStop && m.op == nil {
		m.teardownAfterStop = false
		cmd = tea.Batch(cmd, m.startTeardown())
	}
	return mm, tea.Batch(cmd, m.startTicking())
}

func (m *Model) startOver() (tea.Model, tea.Cmd) {
	fresh := New(m.ctx, m.opts)
	fresh.c = m.c
	return fresh, fresh.connect(Target{Sandbox: m.c.Sandbox}, m.conn)
}

func closeConn(c *Connection) {
	if c != nil && c.Close != nil {
		_ = c.Close()
	}
}

func (m *Model) askQuit() (tea.Model, tea.Cmd) {
	if m.overlay == overlayConfirmQuit || m.quitting {
		// A second Ctrl-C: leave now. The engine saved after every change.
		return m.quitNow()
	}
	if m.busy() || m.cost().InterfaceEndpoints > 0 {
		m.overlay = overlayConfirmQuit
		return m, nil
	}
	return m.quitNow()
}

func (m *Model) quitNow() (tea.Model, tea.Cmd) {
	if m.busy() && m.op.kind == opChallenge && !m.quitting && m.chal != nil {
		// The check has the answer on the endpoints: stopped, it puts
		// the lab's policy back as it ends, and opDone quits then.
		return m.quitAfterChallenge()
	}
	m.stop()
	m.exitNote = m.leavingNote()
	if f := m.unresolved(); f != nil {
		m.exitErr = f
	}
	m.quitting = true
	if save := m.saveBeforeQuit(); save != nil {
		// The learner's draft and hints reach the disk first.
		return m, tea.Sequence(save, tea.Quit)
	}
	return m, tea.Quit
}

// leavingNote is printed once the wizard has closed, when the lab leaves
// something in the account: the lab's words for it (steps.LeftoverOf: what
// it is, what it bills and until when), then the command that removes it,
// on a line of its own to copy whole. The words are wrapped to the window
// the wizard had (the terminal would cut a command mid-word).
func (m *Model) leavingNote() string {
	l := m.leftover()
	if l.None() {
		return ""
	}
	w := max(20, m.c.Width-1)
	return wrapWords(l.Head(), w) + "\n" + wrapWords("Remove everything now:", w) + "\n  " + l.Down + "\n" +
		wrapWords("Or come back to the lab:", w) + "\n  " + m.labCmd("")
}

// leftBehind says what the lab leaves if the learner goes now, what of it
// bills and until when ("" when nothing): the note printed on leaving
// says it, and so does the teardown's screen when it stopped short.
func (m *Model) leftBehind() string { return m.leftover().Head() }

// leftover is what the run leaves if the learner quits now, in the lab's
// words: as the engine's state says, less the endpoints the wizard saw
// the auto-teardown remove.
func (m *Model) leftover() steps.Leftover {
	st := m.st
	if m.autoTornDown() {
		st.Endpoints = nil
	}
	return steps.LeftoverOf(st, m.awsNow(), m.c.Sandbox, m.downCmd())
}

// downCmd is the command that removes this lab without asking, as the
// headless commands write it.
func (m *Model) downCmd() string { return m.labCmd(" down") + " --yes" }

// cost is what the lab's endpoints cost, from the state the engine sent.
func (m *Model) cost() steps.Cost { return steps.CostOf(m.st, m.now) }

// labCmd is the command line of sub (" down", or "" for the wizard) for
// this lab: on the sandbox or AWS as now, with the flags that chose it.
func (m *Model) labCmd(sub string) string {
	return labCommand(sub, m.c.Sandbox, m.opts.Again)
}

// labCommand is the command line of sub for a lab on the sandbox or AWS,
// with again, the flags besides --sandbox that chose it (Options.Again).
func labCommand(sub string, sandbox bool, again string) string {
	return "ecr-vpce-lab" + sub + sandboxFlag(sandbox) + again
}

func sandboxFlag(on bool) string {
	if on {
		return " --sandbox"
	}
	return ""
}

// next is what Enter does: run the screen's steps when they are not done,
// otherwise move on.
func (m *Model) next() (tea.Model, tea.Cmd) {
	if m.noWorkspaceYet() {
		// Nothing to go on with: every later step needs the workspace.
		return m, m.openPicker()
	}
	if m.blockedByPreflight() {
		// Nothing goes on past a failed preflight: Enter checks again,
		// as it does on step 1 (where the failure and its fix show).
		m.goTo(scrPreflight)
	}
	sc := m.screens[m.cur]
	ids := screens[m.cur].steps
	if m.waitDNSAgain() {
		// Skipped before: the learner came back to wait after all.
		return m, m.runSteps(ids...)
	}
	if !sc.status.MovedOn() && len(ids) > 0 {
		if m.cur == scrPreflight {
			m.checks = nil
		}
		if m.cur == scrEndpoints && m.askShortExpiry() {
			return m, nil
		}
		return m, m.runSteps(ids...)
	}
	if m.cur >= scrFinish {
		return m, nil
	}
	return m, m.goTo(m.cur + 1)
}

// blockedByPreflight: on the workspace screen (which the preflight's
// discovery filled in) while the preflight's checks failed: the walk
// cannot go on from here until they pass.
func (m *Model) blockedByPreflight() bool {
	return m.cur == scrWorkspace && m.screens[scrPreflight].status == steps.StatusFailed
}

// fixAction is the action of the fix the fix key applies (the first
// failing check's that has one), "" when none.
func (m *Model) fixAction() string {
	for _, c := range m.checks {
		if !c.OK && c.Action != "" {
			return c.Action
		}
	}
	return ""
}

// waitDNSAgain: Enter on the DNS step, skipped before, waits for private
// DNS after all (the push screen sends the learner back here to prove
// the policy).
func (m *Model) waitDNSAgain() bool {
	return m.cur == scrDNS && m.screens[scrDNS].status == steps.StatusSkipped && m.unobservable() == ""
}

// builtOnWorkspace: the lab has made (or adopted) something for the
// workspace: the group whose rule lets HTTPS in from its security group,
// endpoints in its subnet. Another workspace chosen now would leave them
// made for the old one, with every mark still saying done.
func (m *Model) builtOnWorkspace() bool {
	return m.st.SecurityGroup != nil || m.st.Rule != nil || len(m.st.Endpoints) > 0
}

// noWorkspaceYet: on the workspace screen with no workspace discovered
// or chosen (outside EC2, the picker closed with esc).
func (m *Model) noWorkspaceYet() bool {
	return m.cur == scrWorkspace && m.lab != nil && m.screens[scrWorkspace].status != steps.StatusDone && m.st.Workspace.SubnetID == ""
}

// goTo shows screen s.
func (m *Model) goTo(s screenID) tea.Cmd {
	if m.editor != nil && s != scrPolicy && m.screens[scrPolicy].status != steps.StatusDone {
		// No policy is in force yet: esc said "back", not "cancel", and
		// the learner coming back finds their draft as they left it.
		m.keptDraft = m.editor
	}
	m.cur = s
	if s != scrPreflight {
		m.idsChosen = false
	}
	// The draft is put away (a policy screen opens on the policy in force).
	m.dropDraftErr()
	if m.cur == scrFinish {
		m.screens[scrFinish].status = steps.StatusDone
	}
	if m.cur == scrPolicy {
		if m.policyReview && m.screens[scrPolicy].status == steps.StatusDone && len(m.st.Policy) > 0 {
			m.editor = nil
			return nil
		}
		m.policyReview = false
		return m.openEditor()
	}
	m.policyReview = false
	m.editor = nil
	return nil
}

// applyFix runs the fix offered by the first failing preflight item.
func (m *Model) applyFix() tea.Cmd {
	for _, c := range m.checks {
		if c.OK {
			continue
		}
		var fix func(lab *steps.Lab, ctx context.Context) error
		switch c.Action {
		case steps.FixEnableVPCDNS:
			fix = (*steps.Lab).EnableVPCDNS
		case steps.FixCreateRepo:
			fix = (*steps.Lab).CreateRepository
		case steps.FixAdopt:
			id := firstEndpointID(c.Message)
			if id == "" {
				continue
			}
			fix = func(lab *steps.Lab, ctx context.Context) error { return lab.AdoptEndpoint(ctx, id) }
		case steps.FixWorkspace:
			m.cur = scrWorkspace
			return m.openPicker()
		default:
			continue
		}
		return m.start(opFix, "", func(ctx context.Context, lab *steps.Lab) opResult { return opResult{err: fix(lab, ctx)} })
	}
	return nil
}

func (m *Model) fixable() bool {
	for _, c := range m.checks {
		if !c.OK && c.Action != "" {
			return true
		}
	}
	return false
}

func firstEndpointID(s string) string {
	for _, f := range strings.Fields(s) {
		if strings.HasPrefix(f, "vpce-") {
			return strings.Trim(f, ",.():")
		}
	}
	return ""
}

// --- the policy editor ---

func (m *Model) openEditor() tea.Cmd {
	if m.lab == nil {
		return nil
	}
	if kept := m.keptDraft; kept != nil {
		m.keptDraft = nil
		if m.screens[scrPolicy].status != steps.StatusDone {
			m.editor = kept
			m.layoutEditor()
			return nil
		}
	}
	st := m.st
	repo, deny, target := m.cfg.Repo, m.cfg.Deny, st.PolicyTarget
	raw := ""
	if len(st.Policy) > 0 {
		if doc, err := policy.Parse(st.Policy); err == nil {
			// Open the form on the policy in force when the form can say it;
			// otherwise show its JSON.
			if r, d, ok := formOf(doc, st.Account, st.Region); ok {
				// An allow-all policy names no repository: keep the lab's.
				if r != "" {
					repo = r
				}
				deny = d
			} else {
				raw = string(doc.Pretty())
			}
		}
	}
	m.editor = newPolicyEditor(st.Account, st.Region, repo, deny, target, m.c.Styles.IsDark, m.c.Keys)
	m.editor.compact = !m.wide()
	cmd := m.editor.resetForm()
	if raw != "" {
		cmd = m.editor.ToggleRaw()
		m.editor.setRaw(raw)
	}
	m.layoutEditor()
	return cmd
}

func (m *Model) applyPolicy() tea.Cmd {
	if m.editor == nil {
		return nil
	}
	doc, target, err := m.editor.Document()
	sc := &m.screens[scrPolicy]
	if err != nil {
		sc.err, sc.fix, sc.draftErr = "this policy cannot be applied: "+err.Error(), "fix it in the editor, then apply again", true
		if m.editor.rawMode {
			// The message names a line and column: the cursor goes there.
			cursorToError(&m.editor.raw, m.editor.findings)
		}
		return nil
	}
	sc.err, sc.fix, sc.draftErr = "", "", false
	sc.status = steps.StatusRunning
	return m.start(opPolicy, steps.StepPolicy, func(ctx context.Context, lab *steps.Lab) opResult {
		return opResult{err: lab.ApplyPolicy(ctx, doc, target)}
	})
}

// policyApplied follows a policy change: earlier test results are stale, so
// the tests run again under the new policy.
func (m *Model) policyApplied(err error) (tea.Model, tea.Cmd) {
	sc := &m.screens[scrPolicy]
	if err != nil {
		sc.status, sc.err, sc.fix = steps.StatusFailed, errText(err), fixOf(err)
		return m, nil
	}
	sc.status = steps.StatusDone
	if ps := m.screens[scrPush].status; ps == steps.StatusDone || ps == steps.StatusFailed || ps == steps.StatusUnproven {
		for _, s := range []screenID{scrPush, scrList} {
			m.forgetTests(s)
		}
		m.goTo(scrPush)
		return m, m.runSteps(screens[scrPush].steps...)
	}
	return m, m.goTo(scrEndpoints)
}

func (m *Model) layoutEditor() {
	if m.editor == nil {
		return
	}
	w := m.bodyWidth()
	left := w
	if m.wide() {
		left = w * 11 / 20
	}
	m.editor.SetWidth(max(30, left-2))
	m.editor.SetHeight(max(6, m.c.Height-18))
	// The screen's header, step line, title, one line of introduction and
	// what to press leave the rest to the form: at 16 rows, 6.
	m.editor.SetListHeight(min(8, max(5, m.c.Height-10)))
	m.editor.compact = !m.wide()
}

// Close releases the connection (a sandbox started in-process) once the
// program has ended.
func (m *Model) Close() {
	m.stop()
	closeConn(m.conn)
	m.conn = nil
}

func errText(err error) string {
	var se *steps.StepError
	if errors.As(err, &se) {
		err = se.Err
	}
	var ae *problem.Error
	if errors.As(err, &ae) {
		return ae.Error()
	}
	return err.Error()
}

// fixOf is the fix for err, after the kind of problem it is.
func fixOf(err error) string {
	fix := problem.FixOf(err)
	var se *steps.StepError
	if errors.As(err, &se) && se.Fix != "" {
		fix = se.Fix
	}
	return withKind(problem.KindOf(err), fix)
}

// withKind puts the kind of a problem before its fix ("[AWS had a
// problem] wait a minute…"), so a learner sees at once whose move it is.
func withKind(k problem.Kind, fix string) string {
	if fix == "" || !k.Known() {
		return fix
	}
	return "[" + k.Label() + "] " + fix
}

// Snapshot is the wizard as a test or the screenshot tool sees it.
type Snapshot struct {
	Screen string // the rendered screen, with its colours
	Step   string // the current screen's title
	Busy   bool   // an operation is in flight
	Phase  int
}

// SnapshotMsg asks the running program for a Snapshot; reading the model
// from another goroutine would race with Update.
type SnapshotMsg struct{ Reply chan<- Snapshot }
