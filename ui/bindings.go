package ui

import (
	"math"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"charm.land/bubbles/v2/key"

	"ecr-vpce-lab/steps"
)

// bindings resolves the keys that act now, most important first: the help
// bar shows them in this order (dropping the tail when narrow), the ?
// overlay shows them all, and key dispatch tries them in this order. A key
// the focused field needs is never in the list as a wizard key.
//
// ctrl+c quits in every context, so it is added here, once, rather than by
// each context: last, but before what is only shown (a-z type), which the
// cursor already says.
func (m *Model) bindings() []binding {
	var out []binding
	m.contextKeys(func(b key.Binding, act action, g group) { out = append(out, binding{Binding: b, act: act, group: g}) })
	i := len(out)
	for i > 0 && out[i-1].act == actShow {
		i--
	}
	return slices.Insert(out, i, binding{Binding: m.c.Keys.ForceQuit, act: actForceQuit, group: groupAnywhere})
}

// addKey puts a key at the end of the list of those that act now.
type addKey func(b key.Binding, act action, g group)

// panes adds the keys that show and hide the side panes.
func (k KeyMap) panes(add addKey) {
	add(k.CLI, actCLI, groupAnywhere)
	add(k.Log, actLog, groupAnywhere)
	add(k.Hint, actHint, groupAnywhere)
}

// contextKeys lists the keys of the context (dialog, phase, screen,
// focused field, what is in flight), ctrl+c aside.
func (m *Model) contextKeys(add addKey) {
	k := m.c.Keys

	switch m.overlay {
	case overlayConfirmTeardown:
		if len(m.st.VPCDNS.Names()) > 0 {
			// The lab turned the VPC's DNS attributes on: offer to keep them.
			add(desc(k.Yes, "yes, and turn VPC DNS back off"), actYes, groupStep)
			add(k.KeepDNS, actKeepDNS, groupStep)
		} else {
			add(desc(k.Yes, "yes, tear down"), actYes, groupStep)
		}
		add(desc(k.No, "no, go back"), actNo, groupStep)
		return
	case overlayConfirmQuit:
		add(desc(k.Yes, "yes, quit"), actYes, groupStep)
		add(desc(k.No, "no, stay"), actNo, groupStep)
		return
	case overlayHelp:
		add(k.Close, actClose, groupStep)
		return
	case overlayWhy:
		add(k.Close, actClose, groupStep)
		add(k.ScrollUp, actScrollUp, groupStep)
		add(k.ScrollDown, actScrollDown, groupStep)
		add(k.PageUp, actPageUp, groupStep)
		add(k.PageDown, actPageDown, groupStep)
		add(k.ScrollTop, actScrollTop, groupStep)
		add(k.ScrollEnd, actScrollEnd, groupStep)
		return
	case overlayExpiry:
		if m.expiryConfirm && m.expiryThenCreate {
			add(desc(k.Yes, "yes, create them"), actYes, groupStep)
			add(desc(k.No, "no, choose again"), actNo, groupStep)
		} else if m.expiryConfirm && m.expiryChoices()[m.expiryPick].d == steps.NeverExpires {
			add(desc(k.Yes, "yes, never"), actYes, groupStep)
			add(desc(k.No, "no, choose again"), actNo, groupStep)
		} else if m.expiryConfirm {
			add(desc(k.Yes, "yes, under an hour"), actYes, groupStep)
			add(desc(k.No, "no, choose again"), actNo, groupStep)
		} else {
			add(desc(k.Confirm, "set"), actExpirySet, groupStep)
			add(k.ChoiceUp, actExpiryUp, groupStep)
			add(k.ChoiceDown, actExpiryDown, groupStep)
			add(desc(k.Cancel, "keep it"), actClose, groupStep)
		}
		return
	}

	switch m.phase {
	case phaseDetect, phaseConnect:
		add(k.Quit, actQuit, groupAnywhere)
		return
	case phaseChooseRun:
		if m.runChoice == nil || len(m.runChoice.Runs) == 0 {
			add(k.Quit, actQuit, groupAnywhere)
			return
		}
		add(desc(k.Confirm, "carry on with this run"), actChooseRun, groupStep)
		add(k.ChoiceUp, actRunUp, groupStep)
		add(k.ChoiceDown, actRunDown, groupStep)
		add(k.Help, actHelp, groupAnywhere)
		add(k.Quit, actQuit, groupAnywhere)
		return
	case phaseNoAccount:
		add(k.Sandbox, actSandbox, groupStep)
		add(k.Quit, actQuit, groupAnywhere)
		return
	case phaseFatal:
		add(desc(k.Next, "quit"), actQuit, groupStep)
		add(k.Quit, actQuit, groupAnywhere)
		return
	case phaseResume:
		if m.st.TeardownStarted.IsZero() {
			add(desc(k.Resume, "resume where you were"), actResume, groupStep)
			add(desc(k.Teardown, "tear it down"), actTeardown, groupStep)
		} else {
			// Half torn down: there is nothing to resume but the teardown.
			add(desc(k.Resume, "finish the teardown"), actTeardown, groupStep)
		}
		add(desc(k.StartOver, "tear down and start over"), actStartOver, groupStep)
		add(k.Help, actHelp, groupAnywhere)
		add(k.Quit, actQuit, groupAnywhere)
		return
	case phaseChallenges:
		m.challengeKeys(add)
		return
	case phaseTeardown:
		if m.teardownStoppedShort() {
			// What is left bills on (or clutters): trying again comes
			// first, before the way out.
			add(k.Retry, actRetry, groupStep)
		}
		if !m.busy() {
			add(desc(k.Next, m.afterTeardownLabel()), actNext, groupStep)
		}
		add(k.Quit, actQuit, groupAnywhere)
		add(k.Help, actHelp, groupAnywhere)
		return
	}

	// phaseLab.
	if m.picker != nil {
		if m.picker.form != nil {
			add(desc(k.Confirm, "choose"), actField, groupField)
			add(k.ChoiceUp, actField, groupField)
			add(k.ChoiceDown, actField, groupField)
			if m.picker.fields > 1 {
				add(k.FieldPrev, actField, groupField)
			}
		}
		add(k.Cancel, actCancel, groupStep)
		return
	}
	if m.cur == scrPolicy && m.editor != nil && !m.busy() {
		m.policyKeys(add)
		return
	}
	if m.busy() {
		if m.op.kind == opStep || m.op.kind == opCheck {
			if m.cur == scrDNS {
				add(desc(k.Skip, "skip the wait"), actSkip, groupStep)
			}
			add(k.Stop, actStop, groupStep)
			// A learner who wants it all gone mid-wait need not find esc
			// first: T stops the wait, then (after a yes) tears down.
			add(desc(k.Teardown, "stop, tear down"), actTeardown, groupStep)
		}
		if m.screenCut() {
			add(k.Whole, actWhole, groupStep)
		}
		add(k.Help, actHelp, groupAnywhere)
		add(k.Quit, actQuit, groupAnywhere)
		k.panes(add)
		return
	}
	sc := m.screens[m.cur]
	if m.cur != scrFinish {
		add(desc(k.Next, m.enterLabel()), actNext, groupStep)
	} else {
		// The finish screen's one job is the teardown: T leads, so a
		// narrow help bar that drops its tail keeps it.
		add(k.Teardown, actTeardown, groupStep)
	}
	if _, ok := m.whyInput(); ok {
		add(k.Explain, actExplain, groupStep)
	}
	// Only when the window cut something: then before the rest, so a
	// narrow help bar keeps it.
	if m.screenCut() {
		add(k.Whole, actWhole, groupStep)
	}
	if m.cur == scrFinish && m.st.HasResources() {
		add(k.Challenges, actChallenges, groupStep)
	}
	if (m.cur == scrPreflight || m.blockedByPreflight()) && m.fixable() && (m.cur == scrPreflight || m.fixAction() != steps.FixWorkspace) {
		// (On the workspace screen a fix that chooses other IDs is e's.)
		add(k.Fix, actFix, groupStep)
	}
	if m.cur == scrWorkspace && !m.builtOnWorkspace() {
		add(k.EditIDs, actEditIDs, groupStep)
	}
	if m.cur == scrDNS && !sc.status.MovedOn() && m.unobservable() == "" {
		// (Where DNS cannot be observed, Enter already skips: one key.)
		add(k.Skip, actSkip, groupStep)
	}
	if (m.cur >= scrPush || m.cur == scrPolicy) && len(m.st.Policy) > 0 && !m.autoTornDown() {
		add(k.Policy, actPolicy, groupStep)
	}
	if m.expiryOffered() {
		add(k.Expiry, actExpiry, groupStep)
	}
	if len(screens[m.cur].steps) > 0 && sc.status.Settled() {
		add(k.Check, actCheck, groupStep)
	}
	// ? before the rest: a narrow help bar drops its tail, and ? lists it.
	add(k.Help, actHelp, groupAnywhere)
	add(k.Quit, actQuit, groupAnywhere)
	if m.cur != scrFinish {
		add(k.Teardown, actTeardown, groupStep)
	}
	if m.cur > 0 {
		add(k.StepUp, actStepUp, groupStep)
	}
	if m.cur < scrFinish && sc.status.MovedOn() && !m.blockedByPreflight() {
		add(k.StepDown, actStepDown, groupStep)
	}
	k.panes(add)
}

// policyKeys are the policy screen's keys, by the focused field: a text
// field keeps every printable key, a list keeps its arrows and j/k.
func (m *Model) policyKeys(add addKey) {
	k := m.c.Keys
	kind, last := m.editor.focus()
	switch kind {
	case fieldJSON:
		add(k.Apply, actApply, groupStep)
		add(k.FormBack, actFormBack, groupStep)
		return
	case fieldText:
		// ? and q are text here, so an 80-column help bar must hold what
		// matters: typing goes last, as the cursor already says it.
		add(k.Confirm, actField, groupField)
		add(k.FieldNext, actField, groupField)
		add(k.Apply, actApply, groupStep)
		add(k.JSON, actJSON, groupStep)
		// A text input has no use for esc: the form opens here, so this
		// is where a learner who pressed p by mistake wants out.
		add(m.leaveBinding(), actLeave, groupStep)
		add(k.Type, actShow, groupField)
		return
	case fieldMulti:
		add(k.Toggle, actField, groupField)
		add(k.ChoiceUp, actField, groupField)
		add(k.ChoiceDown, actField, groupField)
		add(k.Confirm, actField, groupField)
		add(k.FieldNext, actField, groupField)
		add(k.FieldPrev, actField, groupField)
	case fieldSelect:
		add(k.ChoiceUp, actField, groupField)
		add(k.ChoiceDown, actField, groupField)
		if last {
			add(desc(k.Confirm, "apply"), actField, groupField)
		} else {
			add(k.Confirm, actField, groupField)
		}
		add(k.FieldPrev, actField, groupField)
	}
	add(k.Apply, actApply, groupStep)
	add(k.JSON, actJSON, groupStep)
	add(m.leaveBinding(), actLeave, groupStep)
	add(k.Help, actHelp, groupAnywhere)
	add(k.Quit, actQuit, groupAnywhere)
	add(k.Teardown, actTeardown, groupStep)
	k.panes(add)
}

// desc is b with its help text d (the key shown stays b's).
func desc(b key.Binding, d string) key.Binding {
	b.SetHelp(b.Help().Key, d)
	return b
}

// leaveBinding is esc on the policy form: with a policy applied it leaves
// that policy unchanged, back to where the form was opened from; before
// one is, it goes back a step, applying nothing.
func (m *Model) leaveBinding() key.Binding {
	b := m.c.Keys.Leave
	if m.screens[scrPolicy].status != steps.StatusDone {
		b.SetHelp(b.Help().Key, "back")
	}
	return b
}

// leaveTo is the screen esc on the policy form returns to.
func (m *Model) leaveTo() screenID {
	if m.screens[scrPolicy].status != steps.StatusDone {
		return scrPolicy - 1
	}
	return m.policyFrom
}

// enterLabel says what Enter will do now.
func (m *Model) enterLabel() string {
	if m.noWorkspaceYet() {
		return "choose IDs"
	}
	if m.blockedByPreflight() {
		return "try again"
	}
	sc := m.screens[m.cur]
	if m.waitDNSAgain() {
		return "wait for DNS"
	}
	if !sc.status.MovedOn() && len(screens[m.cur].steps) > 0 {
		switch {
		case sc.status == steps.StatusFailed:
			return "try again"
		case sc.status == steps.StatusStopped:
			return "go on"
		case m.unobservable() != "":
			return "skip (not observable here)"
		case m.cur == scrPush || m.cur == scrList:
			return "run the test"
		}
		return "run"
	}
	return "continue"
}

// key dispatches a key press to the first binding that acts on it now; a
// key no binding takes goes to the focused field, if any.
func (m *Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	// The clock may be asleep (nothing moved); what the key starts is
	// timed from now.
	m.now = time.Now()
	bs := m.bindings()
	for _, b := range bs {
		if b.act != actShow && key.Matches(msg, b.Binding) {
			return m.do(b.act, msg, bs)
		}
	}
	if m.fieldFocused() {
		return m.toField(msg)
	}
	return m, nil
}

// fieldFocused reports whether a form field takes the keys no binding
// claims (text typed into an input).
func (m *Model) fieldFocused() bool {
	if m.overlay == overlayNone && m.phase == phaseChallenges && m.chal != nil && m.chal.open >= 0 && m.chal.editing && !m.busy() {
		return true
	}
	if m.overlay != overlayNone || m.phase != phaseLab {
		return false
	}
	if m.picker != nil {
		return m.picker.form != nil
	}
	if m.phase == phaseChallenges {
		return false
	}
	if m.cur == scrPolicy && m.editor != nil && !m.busy() {
		kind, _ := m.editor.focus()
		return kind == fieldText || kind == fieldJSON
	}
	return false
}

func (m *Model) toField(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.phase == phaseChallenges && m.chal != nil && m.chal.open >= 0 {
		return m.challengeKey(msg)
	}
	if m.picker != nil {
		cmd, done := m.picker.Update(msg)
		if done {
			mm, next := m.pickerDone()
			return mm, tea.Batch(cmd, next)
		}
		return m, cmd
	}
	if m.editor != nil {
		return m.editDraft(msg)
	}
	return m, nil
}

// do performs an action.
func (m *Model) do(act action, msg tea.KeyPressMsg, context []binding) (tea.Model, tea.Cmd) {
	if m.phase == phaseChallenges && m.overlay == overlayNone {
		switch act {
		case actOpen, actStepUp, actStepDown, actBack, actEditAnswer, actStopEditing, actCheckAnswer, actNextHint, actAnswer, actExplain,
			actPredictUp, actPredictDown, actPredictToggle, actPredictDone, actPredictCancel:
			return m.doChallenge(act)
		}
	}
	switch act {
	case actExplain:
		if in, ok := m.whyInput(); ok {
			return m, m.openWhy(in)
		}
	case actChallenges:
		return m, m.openChallenges()
	case actWhole:
		m.showWhole()
	case actScrollUp:
		m.scrollWhy(m.whyScroll - 1)
	case actScrollDown:
		m.scrollWhy(m.whyScroll + 1)
	case actPageUp:
		m.scrollWhy(m.whyScroll - m.whyPage())
	case actPageDown:
		m.scrollWhy(m.whyScroll + m.whyPage())
	case actScrollTop:
		m.scrollWhy(0)
	case actScrollEnd:
		m.scrollWhy(math.MaxInt)
	case actForceQuit:
		return m.askQuit()
	case actQuit:
		if m.phase == phaseFatal {
			return m.quitNow()
		}
		return m.askQuit()
	case actHelp:
		m.helpFor = context
		m.overlay = overlayHelp
	case actClose:
		m.overlay = overlayNone
	case actYes:
		switch m.overlay {
		case overlayConfirmTeardown:
			m.overlay = overlayNone
			return m, m.teardownNowOrAfterStop()
		case overlayConfirmQuit:
			return m.quitNow()
		case overlayExpiry:
			return m, m.applyExpiry()
		}
	case actKeepDNS:
		if m.overlay == overlayConfirmTeardown {
			m.overlay = overlayNone
			m.tdKeepDNS = true
			return m, m.teardownNowOrAfterStop()
		}
	case actNo:
		if m.overlay == overlayExpiry && m.expiryConfirm {
			m.expiryConfirm = false
			return m, nil
		}
		if m.overlay == overlayConfirmTeardown {
			m.afterTD = nil // no teardown, so no starting over either
		}
		m.overlay = overlayNone
	case actExpiry:
		m.openExpiry()
	case actExpiryUp:
		m.expiryPick = max(0, m.expiryPick-1)
	case actExpiryDown:
		m.expiryPick = min(len(m.expiryChoices())-1, m.expiryPick+1)
	case actExpirySet:
		return m, m.chooseExpiry()
	case actSandbox:
		return m, m.connect(Target{Sandbox: true}, nil)
	case actResume:
		m.phase = phaseLab
		return m, m.goTo(m.firstUnfinished())
	case actStartOver:
		// Remove what exists, then begin afresh: after a yes, as T asks.
		m.afterTD = m.startOver
		m.overlay = overlayConfirmTeardown
	case actTeardown:
		m.afterTD = nil
		m.overlay = overlayConfirmTeardown
	case actRetry:
		// Asked already: the same teardown, with the same answers.
		m.tdKeepDNS = m.tdKeptDNS
		return m, m.startTeardown()
	case actNext:
		if m.phase == phaseTeardown {
			if m.startsOver() {
				f := m.afterTD
				m.afterTD = nil
				return f()
			}
			return m.quitNow()
		}
		return m.next()
	case actCheck:
		return m, m.check()
	case actFix:
		return m, m.applyFix()
	case actEditIDs:
		return m, m.openPicker()
	case actSkip:
		if m.op != nil {
			// Skip the wait: stop watching DNS; its end is a skip.
			m.op.skip = true
			m.stop()
			return m, nil
		}
		return m, m.skipDNS()
	case actStop:
		m.stop()
	case actPolicy:
		// From the policy's own review, esc comes back to that review.
		m.policyFrom = m.cur
		m.policyReview = false
		return m, m.goTo(scrPolicy)
	case actStepUp:
		if m.cur-1 == scrPolicy {
			m.policyFrom = m.cur
			m.policyReview = true
		}
		return m, m.goTo(m.cur - 1)
	case actStepDown:
		if m.cur+1 == scrPolicy {
			m.policyFrom = scrEndpoints
			m.policyReview = true
		}
		return m, m.goTo(m.cur + 1)
	case actCLI:
		m.showCLI = !m.showCLI
	case actLog:
		m.showLog = !m.showLog
	case actHint:
		m.showHint = !m.showHint
	case actCancel:
		m.picker = nil
	case actApply:
		return m, m.applyPolicy()
	case actJSON, actFormBack:
		before := m.editor.draft()
		cmd := m.editor.ToggleRaw()
		if m.editor.draft() != before {
			m.dropDraftErr()
		}
		return m, cmd
	case actLeave:
		// Leave the policy as it is, back to where the learner came from.
		to := m.leaveTo()
		m.policyReview = to == scrPolicy
		return m, m.goTo(to)
	case actRunUp:
		m.runCursor = max(m.runCursor-1, 0)
	case actRunDown:
		m.runCursor = min(m.runCursor+1, len(m.runChoice.Runs)-1)
	case actChooseRun:
		run := m.runChoice.Runs[m.runCursor].RunID
		m.runChoice = nil
		return m, m.connect(Target{Sandbox: m.c.Sandbox, Run: run}, nil)
	case actField:
		return m.toField(msg)
	}
	return m, nil
}
