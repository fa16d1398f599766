package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// phase is where the wizard is as a whole.
type phase int

const (
	phaseDetect    phase = iota // looking for credentials
	phaseNoAccount              // none found: offer the sandbox
	phaseConnect                // building the lab
	phaseResume                 // a saved run exists: resume, tear down or start over
	phaseLab                    // walking the screens
	phaseTeardown               // removing everything
	phaseFatal                  // cannot go on; the message says why
)

// overlay is a dialog drawn over the current screen.
type overlay int

const (
	overlayNone overlay = iota
	overlayConfirmTeardown
	overlayConfirmQuit
	overlayHelp
)

// screenState is what the root model knows about one screen.
type screenState struct {
	status   steps.StepStatus
	err, fix string
	details  []string
	commands []steps.Command
	started  time.Time
}

// Model is the wizard's root model.
type Model struct {
	c    Common
	opts Options
	ctx  context.Context

	phase   phase
	overlay overlay
	fatal   string

	detection Detection
	conn      *Connection
	lab       *steps.Lab
	events    chan steps.Event

	cur     screenID
	screens [numScreens]screenState
	// busy is the operation in flight ("" when idle); cancel stops it.
	busy   string
	cancel context.CancelFunc
	// queue holds the steps still to run for the current Enter.
	queue []steps.StepID

	checks    []steps.CheckItem
	resources map[string]*ResourceLine // by kind/id, for endpoints
	order     []string
	lookups   []steps.Lookup
	nextPoll  time.Time
	tests     map[steps.TestName]steps.TestResult
	calls     []steps.Call
	teardown  []*ResourceLine
	tdIndex   map[string]*ResourceLine
	tdReport  *steps.TeardownReport
	tdErr     string
	tdFix     string
	afterTD   func() (tea.Model, tea.Cmd)

	editor *policyEditor
	picker *workspacePicker

	showCLI, showLog, showHint bool
	help                       help.Model
	spin                       spinner.Model
	now                        time.Time
	ticking                    bool
	quitting                   bool
	knownAccount               string
	// exitNote is printed after the program ends (how to come back).
	exitNote string
}

// Messages.
type (
	detectedMsg  Detection
	connectedMsg struct {
		conn *Connection
		err  error
	}
	eventMsg  steps.Event
	opDoneMsg struct {
		op  string
		id  steps.StepID
		err error
	}
	teardownDoneMsg struct {
		rep steps.TeardownReport
		err error
	}
	checkedMsg struct {
		res steps.CheckResult
		err error
	}
	tickMsg time.Time
)

// New builds the wizard.
func New(ctx context.Context, opts Options) *Model {
	st := NewStyles(opts.DarkBackground)
	m := &Model{
		c:         Common{Styles: st, Keys: DefaultKeyMap(), Sandbox: opts.Sandbox, Width: 80, Height: 24},
		opts:      opts,
		ctx:       ctx,
		events:    make(chan steps.Event, 1024),
		resources: map[string]*ResourceLine{},
		tests:     map[steps.TestName]steps.TestResult{},
		tdIndex:   map[string]*ResourceLine{},
		help:      help.New(),
		spin:      spinner.New(spinner.WithSpinner(pulse)),
		now:       time.Now(),
	}
	m.applyStyles()
	if opts.Sandbox {
		m.phase = phaseConnect
	}
	return m
}

func (m *Model) applyStyles() {
	m.spin.Style = m.c.Styles.Spinner
	m.help.Styles = help.DefaultStyles(m.c.Styles.IsDark)
	m.help.Styles.ShortKey = m.c.Styles.HelpKey
	m.help.Styles.ShortDesc = m.c.Styles.HelpDesc
	m.help.Styles.FullKey = m.c.Styles.HelpKey
	m.help.Styles.FullDesc = m.c.Styles.HelpDesc
}

// ExitNote is what to print once the program has ended.
func (m *Model) ExitNote() string { return m.exitNote }

// Init starts detection or connection, and asks the terminal its background.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.startTicking()}
	if m.phase == phaseConnect {
		cmds = append(cmds, m.connect(true))
	} else {
		cmds = append(cmds, m.detect())
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

func (m *Model) connect(sandbox bool) tea.Cmd {
	m.phase = phaseConnect
	m.c.Sandbox = sandbox
	connect, ctx, events := m.opts.Connect, m.ctx, m.events
	return tea.Batch(m.startTicking(), func() tea.Msg {
		if connect == nil {
			return connectedMsg{err: errors.New("the wizard was built without a way to connect")}
		}
		conn, err := connect(ctx, sandbox, func(e steps.Event) { events <- e })
		return connectedMsg{conn: conn, err: err}
	})
}

// eventsMsg carries engine events that arrived together.
type eventsMsg []steps.Event

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

// runSteps runs the given engine steps in order, one Cmd each.
func (m *Model) runSteps(ids ...steps.StepID) tea.Cmd {
	if len(ids) == 0 || m.lab == nil {
		return nil
	}
	m.queue = ids[1:]
	return m.runStep(ids[0])
}

func (m *Model) runStep(id steps.StepID) tea.Cmd {
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel = cancel
	m.busy = string(id)
	sc := &m.screens[m.cur]
	sc.status, sc.err, sc.fix = steps.StatusRunning, "", ""
	if sc.started.IsZero() {
		sc.started = m.now
	}
	lab := m.lab
	return tea.Batch(m.startTicking(), func() tea.Msg {
		defer cancel()
		return opDoneMsg{op: "step", id: id, err: lab.Run(ctx, id)}
	})
}

func (m *Model) runOp(name string, f func(ctx context.Context) error) tea.Cmd {
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel = cancel
	m.busy = name
	return tea.Batch(m.startTicking(), func() tea.Msg {
		defer cancel()
		return opDoneMsg{op: name, err: f(ctx)}
	})
}

func (m *Model) startTeardown() tea.Cmd {
	m.phase = phaseTeardown
	m.overlay = overlayNone
	m.teardown, m.tdIndex, m.tdReport, m.tdErr, m.tdFix = nil, map[string]*ResourceLine{}, nil, "", ""
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel = cancel
	m.busy = "teardown"
	lab := m.lab
	return tea.Batch(m.startTicking(), func() tea.Msg {
		defer cancel()
		rep, err := lab.Teardown(ctx, steps.TeardownOptions{})
		return teardownDoneMsg{rep: rep, err: err}
	})
}

// startTicking runs the spinner and the clock while something moves; the
// ticks stop when nothing does, so an idle wizard uses no CPU.
func (m *Model) startTicking() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	return tea.Batch(m.spin.Tick, tick())
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// animating reports whether anything on screen changes by itself.
func (m *Model) animating() bool {
	return m.busy != "" || m.phase == phaseDetect || m.phase == phaseConnect || m.phase == phaseTeardown && m.tdReport == nil && m.tdErr == "" || m.costRunning()
}

func (m *Model) costRunning() bool {
	return m.lab != nil && m.lab.Cost().InterfaceEndpoints > 0
}

// --- update ---

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.opts.Trace != nil {
		fmt.Fprintf(m.opts.Trace, "%s %T %v\n", time.Now().Format("15:04:05.000"), msg, msg)
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.layoutEditor()
		return m, nil
	case tea.BackgroundColorMsg:
		m.c.Styles = NewStyles(msg.IsDark())
		m.applyStyles()
		if m.editor != nil {
			m.editor.isDark = msg.IsDark()
			if !m.editor.rawMode {
				m.editor.resetForm()
			}
		}
		return m, nil
	case spinner.TickMsg:
		if !m.animating() {
			m.ticking = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tickMsg:
		m.now = time.Time(msg)
		if !m.animating() {
			return m, nil
		}
		return m, tick()
	case detectedMsg:
		m.detection = Detection(msg)
		if !m.detection.Credentials {
			m.phase = phaseNoAccount
			return m, nil
		}
		return m, m.connect(false)
	case connectedMsg:
		return m.connected(msg)
	case eventsMsg:
		for _, e := range msg {
			m.handleEvent(e)
		}
		return m, m.waitEvent()
	case eventMsg:
		m.handleEvent(steps.Event(msg))
		return m, nil
	case opDoneMsg:
		return m.opDone(msg)
	case teardownDoneMsg:
		return m.teardownDone(msg)
	case checkedMsg:
		m.busy = ""
		if msg.err != nil {
			m.screens[m.cur].err = errText(msg.err)
			m.screens[m.cur].fix = fixOf(msg.err)
		}
		return m, nil
	case choicesMsg:
		return m.gotChoices(msg)
	case tea.KeyPressMsg:
		return m.key(msg)
	case SnapshotMsg:
		select {
		case msg.Reply <- Snapshot{Screen: m.render(), Step: screens[m.cur].title, Busy: m.busy != "", Phase: int(m.phase)}:
		default:
		}
		return m, nil
	}
	// Anything else (cursor blinks, form internals) goes to the active input.
	return m.forwardToInput(msg)
}

func (m *Model) forwardToInput(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch {
	case m.picker != nil:
		// Form internals (next field, next group) can finish the picker too.
		cmd, done := m.picker.Update(msg)
		if done {
			mm, next := m.pickerDone()
			return mm, tea.Batch(cmd, next)
		}
		return m, cmd
	case m.phase == phaseLab && m.cur == scrPolicy && m.editor != nil:
		cmd, submitted := m.editor.Update(msg)
		if submitted {
			return m, tea.Batch(cmd, m.applyPolicy())
		}
		return m, cmd
	}
	return m, nil
}

func (m *Model) connected(msg connectedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.phase = phaseFatal
		m.fatal = errText(msg.err)
		if fix := problem.FixOf(msg.err); fix != "" {
			m.fatal += "\n→ " + fix
		}
		return m, nil
	}
	m.conn, m.lab = msg.conn, msg.conn.Lab
	m.restoreFromState()
	cmds := []tea.Cmd{m.waitEvent()}
	if m.lab.Resumed() && m.hasProgress() {
		m.phase = phaseResume
	} else {
		m.phase = phaseLab
		m.cur = scrPreflight
	}
	return m, tea.Batch(cmds...)
}

// hasProgress reports whether the saved run did anything worth resuming.
func (m *Model) hasProgress() bool {
	st := m.lab.State()
	return len(st.Steps) > 0 || st.SecurityGroup != nil || len(st.Endpoints) > 0
}

// restoreFromState marks screens from the saved run and rebuilds their data.
func (m *Model) restoreFromState() {
	st := m.lab.State()
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
		}
		switch {
		case all:
			m.screens[i].status = steps.StatusDone
		case failed:
			m.screens[i].status = steps.StatusFailed
		default:
			m.screens[i].status = steps.StatusPending
		}
	}
	if m.screens[scrPreflight].status == steps.StatusDone {
		m.screens[scrWorkspace].status = steps.StatusDone
	}
	for name, t := range st.Tests {
		m.tests[name] = t
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
		if m.screens[i].status != steps.StatusDone {
			return i
		}
	}
	return scrFinish
}

func (m *Model) handleEvent(e steps.Event) {
	sid := screenOf(e.Step)
	switch e.Kind {
	case steps.EventCall:
		if e.Call != nil {
			m.calls = append(m.calls, *e.Call)
			if len(m.calls) > 500 {
				m.calls = m.calls[len(m.calls)-500:]
			}
		}
		return
	case steps.EventCommand:
		if e.Command != nil && sid >= 0 {
			m.screens[sid].commands = append(m.screens[sid].commands, *e.Command)
		}
		return
	case steps.EventCheck:
		if e.Check != nil {
			m.setCheck(*e.Check)
		}
		return
	case steps.EventDNS:
		m.lookups = e.Lookups
		if e.NextPoll > 0 {
			m.nextPoll = e.Time.Add(e.NextPoll)
		} else {
			m.nextPoll = time.Time{}
		}
		return
	case steps.EventTest:
		if e.Test != nil {
			m.tests[e.Test.Name] = *e.Test
		}
		return
	}
	if e.Step == steps.StepTeardown {
		m.teardownEvent(e)
		return
	}
	if sid < 0 {
		return
	}
	sc := &m.screens[sid]
	switch e.Kind {
	case steps.EventDetail:
		if e.Message != "" {
			sc.details = append(sc.details, e.Message)
			if len(sc.details) > 50 {
				sc.details = sc.details[len(sc.details)-50:]
			}
		}
	case steps.EventResource:
		if e.Resource != nil {
			m.setResource(*e.Resource, e.Time, false)
		}
	case steps.EventFailed:
		sc.err, sc.fix = e.Error, withKind(e.ErrKind, e.Fix)
	}
}

func (m *Model) setCheck(c steps.CheckItem) {
	for i := range m.checks {
		if m.checks[i].ID == c.ID {
			m.checks[i] = c
			return
		}
	}
	m.checks = append(m.checks, c)
}

// setResource keeps one progress line per resource.
func (m *Model) setResource(r steps.ResourceEvent, at time.Time, restoring bool) {
	// One line per resource: by name (an endpoint's service, the group's
	// name), since the creating event comes before AWS gives an ID.
	key := string(r.Kind) + "/" + r.Name
	line, ok := m.resources[key]
	if !ok {
		line = &ResourceLine{Label: resourceLabel(r)}
		m.resources[key] = line
		m.order = append(m.order, key)
	}
	if r.ID != "" {
		line.ID = r.ID
	}
	line.State = r.State
	if r.Detail != "" {
		line.Detail = r.Detail
	}
	if !r.Since.IsZero() {
		line.Started = r.Since
	} else if line.Started.IsZero() {
		line.Started = at
	}
	switch {
	case r.State.Failed():
		line.Err = r.Detail
		line.Ended = at
	case r.State.Settled():
		if line.Ended.IsZero() {
			line.Ended = at
			if restoring {
				line.Ended = line.Started
			}
		}
	default:
		line.Ended = time.Time{}
	}
}

func resourceLabel(r steps.ResourceEvent) string {
	switch r.Kind {
	case steps.KindEndpoint:
		switch r.Name {
		case steps.EndpointS3:
			return "s3 gateway endpoint"
		case "":
			return "endpoint"
		}
		return r.Name + " interface endpoint"
	case steps.KindSecurityGroup:
		return "security group " + r.Name
	case steps.KindIngressRule:
		return "ingress rule tcp/443"
	case steps.KindImageTag:
		return "image tag " + r.Name
	case steps.KindEnvFile:
		return "~/.ecr_security lines"
	case steps.KindStateFile:
		return "state file"
	case steps.KindVPCAttributes:
		return "VPC DNS attributes"
	case steps.KindRepository:
		return "repository " + r.Name
	case steps.KindLocalImage:
		return "local image"
	}
	if r.Name != "" {
		return r.Kind.Label() + " " + r.Name
	}
	return r.Kind.Label()
}

func (m *Model) teardownEvent(e steps.Event) {
	switch e.Kind {
	case steps.EventResource:
		if e.Resource == nil {
			return
		}
		r := *e.Resource
		key := string(r.Kind) + "/" + r.ID + "/" + r.Name
		line, ok := m.tdIndex[key]
		if !ok {
			id := r.ID
			if r.Kind == steps.KindStateFile || r.Kind == steps.KindEnvFile {
				// A path says nothing to a learner here and does not fit.
				id = filepath.Base(id)
			}
			line = &ResourceLine{Label: resourceLabel(r), ID: id, Started: e.Time}
			m.tdIndex[key] = line
			m.teardown = append(m.teardown, line)
		}
		line.State = r.State
		if r.Detail != "" {
			line.Detail = r.Detail
		}
		switch {
		case r.State.Failed():
			line.Ended, line.Err = e.Time, r.Detail
		case r.State.Settled():
			line.Ended = e.Time
		default:
			// Busy again: a deleted interface endpoint goes on to wait
			// for its network interfaces.
			line.Ended = time.Time{}
		}
	case steps.EventFailed:
		m.tdErr, m.tdFix = e.Error, withKind(e.ErrKind, e.Fix)
	}
}

// screenOf maps an engine step to the screen that shows it.
func screenOf(id steps.StepID) screenID {
	switch id {
	case steps.StepDiscover, steps.StepPreflight:
		return scrPreflight
	case steps.StepSecurityGroup:
		return scrSecurityGroup
	case steps.StepIngress:
		return scrIngress
	case steps.StepPolicy:
		return scrPolicy
	case steps.StepEndpoints:
		return scrEndpoints
	case steps.StepDNS:
		return scrDNS
	case steps.StepPush:
		return scrPush
	case steps.StepList, steps.StepPull:
		return scrList
	}
	return -1
}

func (m *Model) opDone(msg opDoneMsg) (tea.Model, tea.Cmd) {
	m.busy, m.cancel = "", nil
	if m.quitting {
		return m, tea.Quit
	}
	sc := &m.screens[m.cur]
	if msg.op != "step" {
		// A fix, an adoption or a policy change.
		if msg.err != nil {
			sc.err, sc.fix = errText(msg.err), fixOf(msg.err)
			sc.status = steps.StatusFailed
			return m, nil
		}
		switch msg.op {
		case "policy":
			m.screens[scrPolicy].status = steps.StatusDone
			// A changed policy makes earlier test results stale.
			if m.screens[scrPush].status == steps.StatusDone || m.screens[scrPush].status == steps.StatusFailed {
				for _, s := range []screenID{scrPush, scrList} {
					m.screens[s] = screenState{commands: m.screens[s].commands}
				}
				delete(m.tests, steps.PushTest)
				delete(m.tests, steps.ListTest)
				delete(m.tests, steps.PullTest)
				m.cur = scrPush
				return m, m.runSteps(screens[scrPush].steps...)
			}
			m.cur = scrEndpoints
			return m, nil
		default:
			// After a fix, check again.
			m.checks = nil
			sc.status = steps.StatusPending
			return m, m.runSteps(steps.StepPreflight)
		}
	}
	if msg.err != nil {
		sc.status = steps.StatusFailed
		if sc.err == "" {
			sc.err, sc.fix = errText(msg.err), fixOf(msg.err)
		}
		m.queue = nil
		if errors.Is(msg.err, context.Canceled) {
			sc.err, sc.fix = "stopped", "press Enter to try again"
		}
		// Not on EC2: let the learner pick the IDs.
		if msg.id == steps.StepDiscover && problem.KindOf(msg.err) == problem.NotOnEC2 {
			m.cur = scrWorkspace
			return m, m.openPicker()
		}
		return m, nil
	}
	if len(m.queue) > 0 {
		next := m.queue[0]
		m.queue = m.queue[1:]
		return m, m.runStep(next)
	}
	sc.status = steps.StatusDone
	if m.cur == scrPreflight {
		m.screens[scrWorkspace].status = steps.StatusDone
		// A failed check item leaves the screen open with its fix.
		for _, c := range m.checks {
			if !c.OK && !c.Warning {
				sc.status = steps.StatusFailed
				sc.err = c.Title + ": " + c.Message
				sc.fix = c.Fix
				break
			}
		}
	}
	// DNS continues by itself once both names are private.
	if m.cur == scrDNS {
		m.cur = scrPush
	}
	return m, nil
}

func (m *Model) teardownDone(msg teardownDoneMsg) (tea.Model, tea.Cmd) {
	m.busy, m.cancel = "", nil
	rep := msg.rep
	m.tdReport = &rep
	if msg.err != nil && m.tdErr == "" {
		m.tdErr, m.tdFix = errText(msg.err), fixOf(msg.err)
	}
	if m.quitting {
		return m, tea.Quit
	}
	return m, nil
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

// --- keys ---

func (m *Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	// Ctrl+C always reaches us, even inside a form.
	if msg.String() == "ctrl+c" {
		return m.askQuit()
	}
	switch m.overlay {
	case overlayConfirmTeardown:
		switch {
		case key.Matches(msg, k.Yes):
			return m, m.startTeardown()
		case key.Matches(msg, k.No), key.Matches(msg, k.Quit):
			m.overlay = overlayNone
		}
		return m, nil
	case overlayConfirmQuit:
		switch {
		case key.Matches(msg, k.Yes):
			return m.quitNow()
		case key.Matches(msg, k.No), key.Matches(msg, k.Quit):
			m.overlay = overlayNone
		}
		return m, nil
	case overlayHelp:
		m.overlay = overlayNone
		return m, nil
	}
	if m.picker != nil {
		cmd, done := m.picker.Update(msg)
		if done {
			return m.pickerDone()
		}
		return m, cmd
	}
	// Keys typed into a text field are text, not shortcuts.
	if m.phase == phaseLab && m.cur == scrPolicy && m.editor != nil && m.editor.typing() {
		return m.policyKey(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.askQuit()
	case key.Matches(msg, k.Help):
		m.overlay = overlayHelp
		return m, nil
	}
	switch m.phase {
	case phaseNoAccount:
		switch msg.String() {
		case "s", "enter":
			return m, m.connect(true)
		}
		return m, nil
	case phaseFatal:
		if key.Matches(msg, k.Next) {
			return m.quitNow()
		}
		return m, nil
	case phaseResume:
		switch msg.String() {
		case "enter", "r":
			m.phase = phaseLab
			m.cur = m.firstUnfinished()
			if m.cur == scrPolicy {
				return m, m.openEditor()
			}
			return m, nil
		case "T":
			m.overlay = overlayConfirmTeardown
		case "n":
			// Start over: remove what exists, then begin afresh.
			m.afterTD = m.startOver
			return m, m.startTeardown()
		}
		return m, nil
	case phaseTeardown:
		if m.busy == "" && key.Matches(msg, k.Next) {
			if m.afterTD != nil {
				f := m.afterTD
				m.afterTD = nil
				return f()
			}
			return m.quitNow()
		}
		return m, nil
	case phaseLab:
		return m.labKey(msg)
	}
	return m, nil
}

func (m *Model) startOver() (tea.Model, tea.Cmd) {
	closeConn(m.conn)
	fresh := New(m.ctx, m.opts)
	fresh.c = m.c
	fresh.events = make(chan steps.Event, 1024)
	return fresh, fresh.connect(m.c.Sandbox)
}

func closeConn(c *Connection) {
	if c != nil && c.Close != nil {
		_ = c.Close()
	}
}

func (m *Model) askQuit() (tea.Model, tea.Cmd) {
	if m.overlay == overlayConfirmQuit {
		// A second Ctrl-C: leave now. The engine saved after every change.
		return m.quitNow()
	}
	if m.busy != "" || m.costRunning() {
		m.overlay = overlayConfirmQuit
		return m, nil
	}
	return m.quitNow()
}

func (m *Model) quitNow() (tea.Model, tea.Cmd) {
	if m.cancel != nil {
		m.cancel()
	}
	if m.lab != nil && m.costRunning() {
		c := m.lab.Cost()
		m.exitNote = fmt.Sprintf("The endpoints are still running (about $%.2f per hour). Run 'ecr-vpce-lab%s' to come back, or 'ecr-vpce-lab down%s --yes' to remove everything.",
			c.PerHour, sandboxFlag(m.c.Sandbox), sandboxFlag(m.c.Sandbox))
	}
	m.quitting = true
	return m, tea.Quit
}

func sandboxFlag(on bool) string {
	if on {
		return " --sandbox"
	}
	return ""
}

func (m *Model) labKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.CLI):
		m.showCLI = !m.showCLI
		return m, nil
	case key.Matches(msg, k.Log):
		m.showLog = !m.showLog
		return m, nil
	case key.Matches(msg, k.Hint):
		m.showHint = !m.showHint
		return m, nil
	case key.Matches(msg, k.Teardown):
		if m.busy != "" {
			return m, nil
		}
		m.overlay = overlayConfirmTeardown
		return m, nil
	case key.Matches(msg, k.Up) && m.busy == "":
		if m.cur > 0 && m.cur != scrPolicy {
			m.cur--
		}
		return m, nil
	case key.Matches(msg, k.Down) && m.busy == "":
		if m.cur < scrFinish && m.screens[m.cur].status == steps.StatusDone {
			m.cur++
			if m.cur == scrPolicy {
				return m, m.openEditor()
			}
		}
		return m, nil
	}
	if m.cur == scrPolicy && m.editor != nil {
		return m.policyKey(msg)
	}
	if m.busy != "" {
		if m.cur == scrDNS && key.Matches(msg, k.Skip) {
			// Skip the wait: stop watching DNS and go on, warned.
			m.cancel()
			m.screens[scrDNS].err = "skipped: the names may still resolve publicly, so the tests can go the public way"
			return m, nil
		}
		return m, nil
	}
	switch m.cur {
	case scrPreflight:
		if msg.String() == "f" {
			return m, m.applyFix()
		}
	case scrWorkspace:
		if key.Matches(msg, k.Edit) {
			return m, m.openPicker()
		}
	case scrDNS:
		if key.Matches(msg, k.Skip) {
			m.screens[scrDNS].status = steps.StatusSkipped
			m.cur = scrPush
			return m, nil
		}
	case scrPush, scrList, scrFinish:
		if key.Matches(msg, k.Policy) {
			m.cur = scrPolicy
			return m, m.openEditor()
		}
	}
	if key.Matches(msg, k.Check) {
		return m, m.check()
	}
	if key.Matches(msg, k.Retry) || key.Matches(msg, k.Next) {
		return m.next()
	}
	return m, nil
}

// next is what Enter does: run the screen's steps when they are not done,
// otherwise move on.
func (m *Model) next() (tea.Model, tea.Cmd) {
	sc := m.screens[m.cur]
	ids := screens[m.cur].steps
	if sc.status != steps.StatusDone && sc.status != steps.StatusSkipped && len(ids) > 0 {
		if m.cur == scrPreflight {
			m.checks = nil
		}
		return m, m.runSteps(ids...)
	}
	if m.cur == scrPreflight && sc.status == steps.StatusFailed {
		return m, m.applyFix()
	}
	if m.cur >= scrFinish {
		m.overlay = overlayConfirmTeardown
		return m, nil
	}
	m.cur++
	if m.cur == scrFinish {
		m.screens[scrFinish].status = steps.StatusDone
	}
	if m.cur == scrPolicy {
		return m, m.openEditor()
	}
	return m, nil
}

func (m *Model) check() tea.Cmd {
	ids := screens[m.cur].steps
	if len(ids) == 0 || m.lab == nil {
		return nil
	}
	lab, ctx := m.lab, m.ctx
	m.busy = "check"
	id := ids[len(ids)-1]
	return tea.Batch(m.startTicking(), func() tea.Msg {
		res, err := lab.Check(ctx, id)
		return checkedMsg{res: res, err: err}
	})
}

// applyFix runs the fix offered by the first failing preflight item.
func (m *Model) applyFix() tea.Cmd {
	for _, c := range m.checks {
		if c.OK {
			continue
		}
		lab := m.lab
		switch c.Action {
		case steps.FixEnableVPCDNS:
			return m.runOp("fix", lab.EnableVPCDNS)
		case steps.FixCreateRepo:
			return m.runOp("fix", lab.CreateRepository)
		case steps.FixAdopt:
			id := firstEndpointID(c.Message)
			if id == "" {
				continue
			}
			return m.runOp("fix", func(ctx context.Context) error { return lab.AdoptEndpoint(ctx, id) })
		case steps.FixWorkspace:
			m.cur = scrWorkspace
			return m.openPicker()
		}
	}
	return nil
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
	st := m.lab.State()
	cfg := m.lab.Config()
	repo, deny, target := cfg.Repo, cfg.Deny, st.PolicyTarget
	m.editor = newPolicyEditor(st.Account, st.Region, repo, deny, target, m.c.Styles.IsDark)
	if !m.wide() {
		m.editor.compact = true
		m.editor.resetForm()
	}
	if doc, err := m.lab.Policy(); err == nil && len(st.Policy) > 0 {
		// Start from the policy in force when it is not the form's kind.
		if def, err := policy.Default(st.Account, st.Region, repo, deny); err != nil || !policy.Equal(def, doc) {
			cmd := m.editor.ToggleRaw()
			m.editor.setRaw(string(doc.Pretty()))
			m.layoutEditor()
			return cmd
		}
	}
	m.layoutEditor()
	return m.editor.Init()
}

func (m *Model) policyKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	e := m.editor
	if m.busy != "" {
		return m, nil
	}
	switch msg.String() {
	case "esc":
		if e.rawMode {
			return m, e.ToggleRaw()
		}
	case "ctrl+s":
		return m, m.applyPolicy()
	case "j":
		if !e.typing() {
			return m, e.ToggleRaw()
		}
	case "c", "l", "h", "T", "q", "?", "up", "down":
		if !e.typing() {
			break
		}
		cmd, _ := e.Update(msg)
		return m, cmd
	}
	if !e.typing() && !e.rawMode {
		switch {
		case key.Matches(msg, m.c.Keys.CLI), key.Matches(msg, m.c.Keys.Log), key.Matches(msg, m.c.Keys.Hint):
			return m.labKeyGlobal(msg)
		case key.Matches(msg, m.c.Keys.Teardown):
			m.overlay = overlayConfirmTeardown
			return m, nil
		case key.Matches(msg, m.c.Keys.Quit):
			return m.askQuit()
		case key.Matches(msg, m.c.Keys.Help):
			m.overlay = overlayHelp
			return m, nil
		}
	}
	cmd, submitted := e.Update(msg)
	if submitted {
		return m, tea.Batch(cmd, m.applyPolicy())
	}
	return m, cmd
}

func (m *Model) labKeyGlobal(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.CLI):
		m.showCLI = !m.showCLI
	case key.Matches(msg, k.Log):
		m.showLog = !m.showLog
	case key.Matches(msg, k.Hint):
		m.showHint = !m.showHint
	}
	return m, nil
}

func (m *Model) applyPolicy() tea.Cmd {
	doc, target, err := m.editor.Document()
	sc := &m.screens[scrPolicy]
	if err != nil {
		sc.err, sc.fix = "this policy cannot be applied: "+err.Error(), "fix it in the editor, then apply again"
		return nil
	}
	sc.err, sc.fix = "", ""
	sc.status = steps.StatusRunning
	lab := m.lab
	return m.runOp("policy", func(ctx context.Context) error { return lab.ApplyPolicy(ctx, doc, target) })
}

func (m *Model) layoutEditor() {
	if m.editor == nil {
		return
	}
	if compact := !m.wide(); compact != m.editor.compact {
		m.editor.compact = compact
		if !m.editor.rawMode {
			m.editor.resetForm()
		}
	}
	w := m.bodyWidth()
	left := w
	if m.wide() {
		left = w * 11 / 20
	}
	m.editor.SetWidth(max(30, left-2))
	m.editor.SetHeight(max(6, m.c.Height-18))
}

// Close releases the connection (a sandbox started in-process) once the
// program has ended.
func (m *Model) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	closeConn(m.conn)
	m.conn = nil
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

// pulse is a one-cell spinner that breathes rather than spins: calmer during
// minutes of waiting, and drawn with glyphs every common monospace font has.
var pulse = spinner.Spinner{Frames: []string{"·", "•", "●", "•"}, FPS: time.Second / 4}
