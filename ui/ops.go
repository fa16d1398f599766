package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// opKind is what is in flight.
type opKind int

const (
	// opStep runs one engine step of the current screen; the screen's
	// remaining steps follow, each as its own operation.
	opStep opKind = iota + 1
	// opCheck is a read-only check (k).
	opCheck
	// opPolicy applies the edited endpoint policy.
	opPolicy
	// opFix applies a preflight fix (f).
	opFix
	// opWorkspace discovers again with the IDs the learner picked.
	opWorkspace
	// opTeardown removes everything.
	opTeardown
	// opSkip records a skipped step.
	opSkip
	// opExplain explains a refusal (x).
	opExplain
	// opChallenge checks a challenge's answer for real.
	opChallenge
	// opExpiry gives the run a new expiry.
	opExpiry
)

func (k opKind) String() string {
	switch k {
	case opStep:
		return "step"
	case opCheck:
		return "check"
	case opPolicy:
		return "policy"
	case opFix:
		return "fix"
	case opWorkspace:
		return "workspace"
	case opTeardown:
		return "teardown"
	case opSkip:
		return "skip"
	case opExplain:
		return "explain"
	case opChallenge:
		return "challenge"
	case opExpiry:
		return "expiry"
	}
	return "none"
}

// inflight is the one operation running. It is only ever made by start, so
// its cancel func is never nil.
type inflight struct {
	kind    opKind
	seq     int
	step    steps.StepID // the step it runs or checks ("" for others)
	screen  screenID     // the screen it belongs to
	cancel  context.CancelFunc
	started time.Time
	// skip is set when the learner skipped the step while it ran: its end
	// is then a skip, whatever error the cancellation produced.
	skip bool
}

// opResult is what an operation produced.
type opResult struct {
	err      error
	check    *steps.CheckResult
	teardown *steps.TeardownReport
	// notPassed is the step's record when it ended neither passed nor
	// failed: skipped, or unproven (zero otherwise).
	notPassed steps.StepRecord
	// test is what a test step recorded, when it got as far as an
	// outcome: the model keeps it whatever the order in which the step's
	// events and its end arrive.
	test        *steps.TestResult
	explanation *steps.Explanation
	live        *steps.LiveResult
}

// opDoneMsg ends the operation numbered seq; it is the only way one ends.
type opDoneMsg struct {
	seq  int
	kind opKind
	step steps.StepID
	res  opResult
	// events is how many engine events had been sent when it ended: it
	// ends once Update has handled that many (Model.sent).
	events uint64
}

// start begins an operation; it is the only way anything runs against the
// lab. It does nothing while another operation is in flight.
func (m *Model) start(kind opKind, step steps.StepID, run func(ctx context.Context, lab *steps.Lab) opResult) tea.Cmd {
	if m.op != nil || m.lab == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.opSeq++
	m.op = &inflight{kind: kind, seq: m.opSeq, step: step, screen: m.cur, cancel: cancel, started: m.now}
	lab, seq, sent := m.lab, m.opSeq, m.sent
	return tea.Batch(m.startTicking(), func() tea.Msg {
		defer cancel()
		res := run(ctx, lab)
		// The engine sends its events before it returns, so every event
		// of this operation is counted by now.
		return opDoneMsg{seq: seq, kind: kind, step: step, res: res, events: sent.Load()}
	})
}

// busy reports whether an operation is in flight.
func (m *Model) busy() bool { return m.op != nil }

// stop cancels the operation in flight, if any. The engine lets a create
// or delete already sent finish and be recorded.
func (m *Model) stop() {
	if m.op != nil {
		m.op.cancel()
	}
}

// runSteps runs the given engine steps of the current screen in order.
func (m *Model) runSteps(ids ...steps.StepID) tea.Cmd {
	if len(ids) == 0 || m.lab == nil || m.op != nil {
		return nil
	}
	if m.autoTornDown() {
		// The steps would run on endpoints that are gone (a DNS wait of
		// minutes for nothing, tests that go the public way).
		m.screens[m.cur].note = m.keysIn("The auto-teardown removed the endpoints at the expiry, so this step has nothing to run on. {Teardown} tidies up what is left; then start the lab again for a new run.")
		return nil
	}
	m.queue = ids[1:]
	sc := &m.screens[m.cur]
	sc.status, sc.err, sc.fix, sc.note, sc.checked, sc.endedAs = steps.StatusRunning, "", "", "", nil, ""
	if sc.started.IsZero() {
		sc.started = m.now
	}
	return m.runStep(ids[0])
}

func (m *Model) runStep(id steps.StepID) tea.Cmd {
	return m.start(opStep, id, func(ctx context.Context, lab *steps.Lab) opResult {
		start := lab.Now()
		err := lab.Run(ctx, id)
		res := opResult{err: err}
		st := lab.State()
		if r, ok := st.Steps[id]; ok && err == nil && (r.Status == steps.StatusSkipped || r.Status == steps.StatusUnproven) {
			res.notPassed = r
		}
		if name, ok := steps.TestOf(id); ok {
			if t, ok := st.Tests[name]; ok && !t.At.Before(start) {
				res.test = &t
			}
		}
		return res
	})
}

// check runs the current screen's read-only check.
func (m *Model) check() tea.Cmd {
	ids := screens[m.cur].steps
	if len(ids) == 0 {
		return nil
	}
	if m.cur == scrPreflight {
		// The discovery is the workspace screen's to show.
		ids = ids[len(ids)-1:]
	}
	// Every step the screen shows is checked (the list screen's list and
	// pull), not only its last: a check that left one out would pass it.
	return m.start(opCheck, ids[len(ids)-1], func(ctx context.Context, lab *steps.Lab) opResult {
		all := steps.CheckResult{Step: ids[len(ids)-1], OK: true}
		var msgs []string
		failed := false
		for _, id := range ids {
			res, err := lab.Check(ctx, id)
			if err != nil {
				return opResult{err: err, check: &res}
			}
			all.OK = all.OK && res.OK
			// Unproven, as the run says, unless another one failed.
			failed = failed || (!res.OK && !res.Unproven)
			all.Unproven = !all.OK && !failed
			all.Items = append(all.Items, res.Items...)
			if res.Message != "" {
				msgs = append(msgs, res.Message)
			}
		}
		all.Message = strings.Join(msgs, "; ")
		return opResult{check: &all}
	})
}

func (m *Model) startTeardown() tea.Cmd {
	if m.op != nil || m.lab == nil {
		return nil
	}
	m.phase = phaseTeardown
	m.overlay = overlayNone
	m.teardown, m.tdIndex, m.tdReport, m.tdErr, m.tdFix, m.tdNote = nil, map[string]*ResourceLine{}, nil, "", "", ""
	opts := steps.TeardownOptions{KeepVPCDNS: m.tdKeepDNS}
	m.tdKeptDNS, m.tdKeepDNS = m.tdKeepDNS, false
	return m.start(opTeardown, steps.StepTeardown, func(ctx context.Context, lab *steps.Lab) opResult {
		rep, err := lab.Teardown(ctx, opts)
		return opResult{err: err, teardown: &rep}
	})
}

// teardownStoppedShort reports whether the teardown ended without
// removing everything (a failure, or resources still there): the learner
// may try again.
func (m *Model) teardownStoppedShort() bool {
	return m.phase == phaseTeardown && !m.busy() && m.tdReport != nil && (m.tdErr != "" || len(m.tdReport.Left) > 0)
}

// startsOver reports whether Enter after the teardown starts a new run:
// only when the learner asked to start over (n on the welcome back
// screen) and the teardown removed everything. One that stopped short
// leaves the run on record, and a new run would open on it again
// ("Welcome back"), not start: Enter then quits, as after any teardown
// that stopped short, and r tries again (and starts over once it is all
// gone).
func (m *Model) startsOver() bool {
	return m.afterTD != nil && !m.teardownStoppedShort()
}

// afterTeardownLabel says what Enter does once the teardown has ended.
func (m *Model) afterTeardownLabel() string {
	if m.startsOver() {
		return "start a new run"
	}
	return "quit"
}

// teardownNowOrAfterStop starts the teardown, or, with a step still in
// flight (T during a wait), stops it and starts the teardown once it has
// ended: startTeardown refuses while an operation runs, and the yes must
// not be lost.
func (m *Model) teardownNowOrAfterStop() tea.Cmd {
	if m.op == nil {
		return m.startTeardown()
	}
	m.queue = nil
	m.teardownAfterStop = true
	m.stop()
	return nil
}

// opDone finishes the operation in flight. A message for any other
// operation (a stale one) changes nothing.
func (m *Model) opDone(msg opDoneMsg) (tea.Model, tea.Cmd) {
	op := m.op
	if op == nil || msg.seq != op.seq {
		return m, nil
	}
	m.op = nil
	if m.quitting {
		return m.quitNow()
	}
	err := msg.res.err
	sc := &m.screens[op.screen]
	switch op.kind {
	case opExplain:
		m.whyDone(msg.res.explanation, err)
		return m, nil
	case opChallenge:
		return m, m.challengeChecked(msg.res.live, err)
	case opTeardown:
		rep := steps.TeardownReport{}
		if msg.res.teardown != nil {
			rep = *msg.res.teardown
		}
		m.tdReport = &rep
		if err != nil && m.tdErr == "" {
			m.tdErr, m.tdFix = errText(err), fixOf(err)
		}
		return m, nil
	case opCheck:
		if op.skip {
			return m, m.skipDNS()
		}
		sc.checked, sc.checkedAt = msg.res.check, m.now
		if err != nil && !errors.Is(err, context.Canceled) {
			sc.checked = &steps.CheckResult{Step: op.step, Message: errText(err) + orEmpty(" → ", fixOf(err))}
		}
		return m, nil
	case opPolicy:
		return m.policyApplied(err)
	case opSkip:
		if err != nil {
			sc.note += " (It could not be recorded: " + errText(err) + ".)"
		}
		return m, nil
	case opExpiry:
		return m.expirySet(err)
	case opFix, opWorkspace:
		if err != nil {
			sc.status, sc.err, sc.fix = steps.StatusFailed, errText(err), fixOf(err)
			return m, nil
		}
		// Check again after a fix or new IDs.
		m.checks = nil
		m.cur = scrPreflight
		if op.kind == opWorkspace {
			return m, m.runSteps(steps.StepDiscover, steps.StepPreflight)
		}
		return m, m.runSteps(steps.StepPreflight)
	}
	// opStep.
	if op.skip {
		return m, m.skipDNS()
	}
	if t := msg.res.test; t != nil {
		// The step's events, this result among them, may still be on
		// their way: the result area must not say "not run" meanwhile.
		m.recordTest(*t)
	}
	if err != nil {
		m.queue = nil
		sc.status = steps.StatusFailed
		if sc.err == "" {
			sc.err, sc.fix = errText(err), fixOf(err)
		}
		if errors.Is(err, context.Canceled) || problem.KindOf(err) == problem.Canceled {
			// Stopped is not failed: its own mark, and nothing to fix.
			sc.status = steps.StatusStopped
			sc.err, sc.fix = "", ""
			sc.note = stoppedNote(m.c.Keys)
		}
		// Not on EC2: let the learner pick the IDs. Nothing failed (a
		// laptop or public CloudShell has no workspace to discover), so
		// step 1 is not marked ✗: it waits for the IDs.
		if msg.step == steps.StepDiscover && problem.KindOf(err) == problem.NotOnEC2 {
			sc.status, sc.err, sc.fix = steps.StatusPending, "", ""
			m.noWorkspaceHere = true
			m.cur = scrWorkspace
			return m, m.openPicker()
		}
		return m, nil
	}
	if r := msg.res.notPassed; r.Status != "" {
		if sc.endedAs != steps.StatusUnproven {
			sc.endedAs = r.Status
		}
		sc.note = notPassedNote(r.Status, r.Message)
	}
	if len(m.queue) > 0 {
		next := m.queue[0]
		m.queue = m.queue[1:]
		return m, m.runStep(next)
	}
	sc.status = steps.StatusDone
	if sc.endedAs != "" {
		sc.status = sc.endedAs
	}
	if op.screen == scrPreflight {
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
	if op.screen == scrDNS && sc.status == steps.StatusDone {
		// The names answer privately now: a test that went around the
		// endpoints before proves nothing, and Enter runs it again.
		for _, s := range []screenID{scrPush, scrList} {
			if m.screens[s].status == steps.StatusUnproven {
				m.forgetTests(s)
			}
		}
	}
	return m, nil
}

// forgetTests clears what screen s's tests showed, so that Enter runs
// them again: after a policy change, or once DNS answers privately.
func (m *Model) forgetTests(s screenID) {
	m.screens[s] = screenState{commands: m.screens[s].commands}
	for _, name := range screenTests(s) {
		delete(m.tests, name)
		delete(m.refusals, name)
	}
}

// screenTests are the tests a screen shows.
func screenTests(s screenID) []steps.TestName {
	var out []steps.TestName
	for _, id := range screens[s].steps {
		if name, ok := steps.TestOf(id); ok {
			out = append(out, name)
		}
	}
	return out
}

// skipReason says what going on without private DNS means.
const skipReason = "the names may still resolve to public addresses, so the tests can go around the endpoints and their policy"

// skipDNS marks the DNS step skipped, goes on to the push test and has the
// engine record the skip (so status, the JSON and a resumed run know). A
// skip is not a pass: the step keeps its own mark and the learner is told
// what it means for the tests.
func (m *Model) skipDNS() tea.Cmd {
	sc := &m.screens[scrDNS]
	sc.status, sc.err, sc.fix = steps.StatusSkipped, "", ""
	sc.note = skippedNote(skipReason)
	m.queue = nil
	if m.cur == scrDNS {
		m.cur = scrPush
	}
	return m.start(opSkip, steps.StepDNS, func(_ context.Context, lab *steps.Lab) opResult {
		return opResult{err: lab.Skip(steps.StepDNS, skipReason)}
	})
}

func orEmpty(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// stoppedNote is what a step stopped half-way says, in this window or when
// the learner comes back to it.
func stoppedNote(k KeyMap) string {
	return k.keysIn("Stopped before it finished; what was already created is recorded, and nothing is watched until you press {Next} to go on from there.")
}
