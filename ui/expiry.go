package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/steps"
)

// The run's expiry in the wizard: the header shows the time left, the
// endpoints and finish screens say when the auto-teardown removes the
// endpoints, and E there opens a dialog that sets a new expiry (the
// engine retags what exists and moves the schedules). Under an hour on
// AWS the dialog asks first: the endpoints may go before the tests.

// expiryChoice is one line of the expiry dialog.
type expiryChoice struct {
	label string
	d     time.Duration // steps.NeverExpires for never
}

// expiryChoices are the dialog's lines, shortest first; the sandbox adds
// minutes, for a rehearsal that sees the schedule fire, and --expires its
// own when it is none of them.
func (m *Model) expiryChoices() []expiryChoice {
	var out []expiryChoice
	if m.c.Sandbox {
		out = append(out, expiryChoice{"2 minutes (a rehearsal: watch the auto-teardown)", 2 * time.Minute})
	}
	if d := m.cfg.Expires; d > 0 && d < 30*time.Minute && d != 2*time.Minute {
		// 5m, 1m30s, 45s: Go's spelling without a trailing 0s.
		label := d.String()
		if strings.HasSuffix(label, "m0s") {
			label = strings.TrimSuffix(label, "0s")
		}
		out = append(out, expiryChoice{label + " (--expires)", d})
	}
	out = append(out,
		expiryChoice{"30 minutes", 30 * time.Minute},
		expiryChoice{"1 hour", time.Hour},
		expiryChoice{"2 hours", 2 * time.Hour},
		expiryChoice{"4 hours (the default)", steps.DefaultExpires},
		expiryChoice{"8 hours", 8 * time.Hour},
		expiryChoice{"never (remove it yourself with T or 'down')", steps.NeverExpires},
	)
	return out
}

// expiryOffered reports whether E sets the expiry now: on the screens that
// speak of it, with the lab connected and nothing running.
func (m *Model) expiryOffered() bool {
	return m.phase == phaseLab && m.lab != nil && !m.busy() && m.st.RunID != "" && (m.cur == scrEndpoints || m.cur == scrFinish) && !m.expired()
}

// openExpiry opens the dialog with the cursor on the choice nearest the
// time left now.
func (m *Model) openExpiry() {
	m.overlay, m.expiryConfirm, m.expiryThenCreate = overlayExpiry, false, false
	cs := m.expiryChoices()
	m.expiryPick = len(cs) - 1
	if left, ok := m.st.TimeLeft(m.awsNow()); ok {
		for i, c := range cs {
			if c.d != steps.NeverExpires && c.d >= left-time.Minute {
				m.expiryPick = i
				break
			}
		}
	}
}

// chooseExpiry is Enter in the dialog: on AWS, under an hour (the
// endpoints may go before the tests) and never (nothing then removes a
// forgotten lab, which bills by the hour) ask first.
func (m *Model) chooseExpiry() tea.Cmd {
	c := m.expiryChoices()[m.expiryPick]
	if !m.c.Sandbox && (c.d == steps.NeverExpires || c.d < time.Hour) {
		m.expiryConfirm = true
		return nil
	}
	return m.applyExpiry()
}

// askShortExpiry stops Enter on the endpoints screen, once, when the run
// would expire in under an hour on AWS (--expires 30m): the dialog asks,
// and its yes creates the endpoints.
func (m *Model) askShortExpiry() bool {
	left, ok := m.st.TimeLeft(m.awsNow())
	if m.c.Sandbox || m.shortExpiryOK || !ok || left >= time.Hour || len(m.st.Endpoints) > 0 {
		return false
	}
	m.openExpiry()
	for i, c := range m.expiryChoices() {
		if c.d != steps.NeverExpires && c.d >= left-time.Minute {
			m.expiryPick = i
			break
		}
	}
	m.expiryConfirm, m.expiryThenCreate = true, true
	return true
}

// applyExpiry closes the dialog and gives the run the chosen expiry (or,
// asked before the endpoints, keeps it and creates them).
func (m *Model) applyExpiry() tea.Cmd {
	d := m.expiryChoices()[m.expiryPick].d
	then := m.expiryThenCreate
	m.overlay, m.expiryConfirm, m.expiryThenCreate = overlayNone, false, false
	if !m.c.Sandbox && d != steps.NeverExpires && d < time.Hour {
		m.shortExpiryOK = true
	}
	if then {
		if left, ok := m.st.TimeLeft(m.awsNow()); ok && d >= left-time.Minute && d <= left+time.Minute {
			// The expiry it has: create the endpoints with it.
			return m.runSteps(screens[scrEndpoints].steps...)
		}
	}
	m.screens[m.cur].note = ""
	return m.start(opExpiry, "", func(ctx context.Context, lab *steps.Lab) opResult {
		return opResult{err: lab.SetExpiry(ctx, d)}
	})
}

// expirySet ends the operation: a failure is a note on the screen (the
// run keeps its old expiry, which the header still shows).
func (m *Model) expirySet(err error) (tea.Model, tea.Cmd) {
	if err != nil {
		m.screens[m.cur].note = "The expiry was not changed: " + errText(err) + orEmpty(" → ", fixOf(err))
	}
	return m, nil
}

// timeLeft is the header's part: "3h59m left", "expired", "no expiry".
func (m *Model) timeLeft() string {
	switch {
	case m.st.NeverExpires:
		return "no expiry"
	case m.st.ExpiresAt.IsZero():
		return ""
	}
	left, _ := m.st.TimeLeft(m.awsNow())
	if left <= 0 {
		return "expired"
	}
	return steps.FormatLeft(left) + " left"
}

// nextLeftChange is how long until the time left shown changes: at the
// next whole minute of it, every second in its last minute, and once at
// the expiry itself (then the wizard looks at what the auto-teardown did).
func (m *Model) nextLeftChange() (time.Duration, bool) {
	if m.lab == nil || !m.st.HasResources() {
		return 0, false
	}
	left, ok := m.st.TimeLeft(m.awsNow())
	if !ok || left <= 0 {
		return 0, false
	}
	step := time.Minute
	if left <= time.Minute {
		step = time.Second
	}
	d := left % step
	if d == 0 {
		d = step
	}
	// A hair past the change, so the next look sees the new words.
	return d + 10*time.Millisecond, true
}

// expiryNote is the endpoints and finish screens' sentence about the
// auto-teardown (the lab's own, with the keys that act on it); short, one
// line for a short screen. It names E only while E acts (not while the
// endpoints are being created).
func (m *Model) expiryNote(short bool) string {
	st := m.st
	if m.expired() {
		return "" // the screen's banner says what happened
	}
	off := st.AutoTeardown != nil && st.AutoTeardown.Off != ""
	var s string
	switch {
	case !short:
		s = steps.ExpirySentenceKey(st, m.awsNow(), "{Teardown}")
	case st.NeverExpires:
		s = "No expiry: nothing removes the endpoints for you."
		if m.expiryOffered() {
			s = "No expiry: nothing removes the endpoints for you ({Expiry} sets one)."
		}
		return m.keysIn(s)
	case st.ExpiresAt.IsZero():
		return ""
	case off:
		s = fmt.Sprintf("Expires at %s, but nothing removes it: tear down when done.", st.ExpiresAt.Local().Format("15:04"))
	default:
		left, _ := st.TimeLeft(m.awsNow())
		s = fmt.Sprintf("Expires at %s (in %s): the auto-teardown removes the lab.", st.ExpiresAt.Local().Format("15:04"), steps.FormatLeft(left))
	}
	switch {
	case s == "" || !m.expiryOffered():
	case st.NeverExpires:
		s += " {Expiry} sets one."
	default:
		s += " {Expiry} changes it."
	}
	return m.keysIn(s)
}

// expiryView is the dialog.
func (m *Model) expiryView(height int) string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("When should the lab remove itself?") + "\n\n")
	if !m.expiryConfirm {
		cur := "Now: " + orDefault(m.timeLeft(), "not set yet")
		b.WriteString(st.Faint.Render(cur) + "\n\n")
	}
	for i, c := range m.expiryChoices() {
		line := "  " + c.label
		switch {
		case i == m.expiryPick:
			line = st.Action.Render("> " + c.label)
		case m.expiryConfirm:
			// The question is about the one chosen, and with the whole
			// list it would not fit a 60x16 window.
			continue
		}
		b.WriteString(line + "\n")
	}
	if m.expiryConfirm {
		c := m.expiryChoices()[m.expiryPick]
		q := fmt.Sprintf("Under an hour on AWS: the endpoints go %s from now, maybe before you have run the tests. Set it anyway?", c.label)
		if c.d == steps.NeverExpires {
			q = "Never on AWS: if this lab is forgotten, its endpoints bill by the hour until someone tears it down. Set it anyway?"
		}
		if m.expiryThenCreate {
			q = fmt.Sprintf("This run expires in under an hour (%s): the auto-teardown may delete the endpoints before you have run the tests. Create them anyway?", orDefault(m.timeLeft(), c.label))
		}
		b.WriteString("\n" + st.Warn.Render(wrapWords(q, 56)) + "\n")
	}
	b.WriteString("\n" + m.dialogKeys(max(20, m.c.Width-8)))
	return lipgloss.Place(m.c.Width, height, lipgloss.Center, lipgloss.Center, st.Confirm.Render(b.String()))
}

// awsNow is the wizard's clock on AWS's time: the expiry is AWS's
// business (the schedule fires by its clock, and the sandbox's clock can
// be moved ahead), so the time left is counted on it.
func (m *Model) awsNow() time.Time {
	if m.lab == nil {
		return m.now
	}
	return m.now.Add(m.lab.Now().Sub(time.Now()))
}

// expired reports whether the run's expiry has passed while it still has
// resources the wizard knows of.
func (m *Model) expired() bool {
	if m.lab == nil || !m.st.HasResources() {
		return false
	}
	left, ok := m.st.TimeLeft(m.awsNow())
	return ok && left <= 0
}

// Once the run expires the auto-teardown acts under the wizard: the
// endpoints go, then the group. The wizard looks (status, read-only) at
// the expiry and every expiryLookEvery after it until nothing more is to
// come, and says what happened instead of showing endpoints that are no
// longer there.

// expiryLookEvery is the pace of those looks: Scheduler fires within the
// minute of the time, and endpoints take a minute or so to go. A model
// keeps its own (lookEvery), so a test can quicken one wizard's looks.
const expiryLookEvery = 10 * time.Second

// expiryLook is what the wizard last saw of the auto-teardown.
type expiryLook struct {
	at   time.Time // the expiry it was read for
	when time.Time // when it was read (the wizard's clock)
	err  string
	// endpointsLeft, groupLeft: which of the run's resources still exist.
	endpointsLeft, groupLeft bool
	// endpointsDue, groupDue: the schedules still waiting to fire;
	// groupAt is the group's.
	endpointsDue, groupDue bool
	groupAt                time.Time
	off                    string
	outcome                string
	// final: nothing more will happen by itself.
	final bool
}

type expiryLookMsg struct {
	at  time.Time
	st  steps.Status
	err error
}

// current reports whether the look is of the run's present expiry.
func (l *expiryLook) current(st steps.State) bool {
	return l != nil && l.at.Equal(st.ExpiresAt)
}

// lookAtExpiry starts a look when one is due.
func (m *Model) lookAtExpiry() tea.Cmd {
	if m.expiryLooking || !m.expired() || (m.phase != phaseLab && m.phase != phaseChallenges) {
		return nil
	}
	if l := m.expLook; l.current(m.st) && (l.final || m.now.Sub(l.when) < m.lookEvery) {
		return nil
	}
	m.expiryLooking = true
	lab, at, ctx := m.lab, m.st.ExpiresAt, m.ctx
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		st, err := lab.Status(c)
		return expiryLookMsg{at: at, st: st, err: err}
	}
}

// nextExpiryLook is how long until the next look, while one is to come.
func (m *Model) nextExpiryLook() (time.Duration, bool) {
	if !m.expired() {
		return 0, false
	}
	l := m.expLook
	switch {
	case m.expiryLooking:
		return 0, false // its answer wakes the wizard
	case !l.current(m.st):
		return 10 * time.Millisecond, true
	case l.final:
		return 0, false
	}
	return max(m.lookEvery-m.now.Sub(l.when), 10*time.Millisecond), true
}

// expiryLooked folds a look into the model: the resource lines of what
// the auto-teardown removed say so, and the screens say what happened.
func (m *Model) expiryLooked(msg expiryLookMsg) tea.Cmd {
	m.expiryLooking = false
	l := &expiryLook{at: msg.at, when: m.now}
	if msg.err != nil {
		l.err = errText(msg.err)
		m.expLook = l
		return nil
	}
	removed := map[string]steps.ResourceState{}
	for _, r := range append(append([]steps.ResourceStatus(nil), msg.st.Resources...), msg.st.Leftovers...) {
		switch {
		case r.Kind == steps.KindEndpoint && r.Created && !r.State.Removed() && !r.State.Removing():
			l.endpointsLeft = true
		case r.Kind == steps.KindSecurityGroup && r.Created && r.State == steps.ResExists:
			l.groupLeft = true
		}
		switch {
		case r.Created && r.State.Removed():
			removed[r.ID] = steps.ResDeleted
		case r.Created && r.State.Removing():
			removed[r.ID] = r.State
		}
	}
	if a := msg.st.AutoTeardown; a != nil {
		l.off, l.outcome = a.Off, a.Outcome
		for _, sc := range a.Schedules {
			if sc.State != steps.ResExists {
				continue
			}
			switch sc.Purpose {
			case steps.ScheduleEndpoints:
				l.endpointsDue = true
			case steps.ScheduleGroup:
				l.groupDue, l.groupAt = true, sc.At
			}
		}
	}
	l.final = !l.endpointsLeft && !l.groupLeft || l.off != "" || !l.endpointsDue && !l.groupDue
	for _, line := range m.resources {
		if state, ok := removed[line.ID]; ok && line.ID != "" && !line.State.Removed() {
			line.State, line.Detail, line.Err, line.Fix, line.Past = state, "by the auto-teardown, at the expiry", "", "", nil
		}
	}
	m.expLook = l
	return nil
}

// expiredBanner says, once the run has expired, what the auto-teardown
// did as the wizard last saw it; it takes the place of the screen's
// introduction ("" before the expiry).
func (m *Model) expiredBanner() string {
	if !m.expired() {
		return ""
	}
	when := m.st.ExpiresAt.Local().Format("15:04")
	l := m.expLook
	var s string
	switch {
	case !l.current(m.st):
		s = fmt.Sprintf("This run expired at %s: looking at what the auto-teardown did…", when)
	case l.err != "":
		s = fmt.Sprintf("This run expired at %s, and the wizard could not look at what the auto-teardown did (%s). {Teardown} tears down what is left.", when, l.err)
	case !l.endpointsLeft && !l.groupLeft:
		s = fmt.Sprintf("This run expired at %s and the auto-teardown removed it: the endpoints, then the security group and its rule. Nothing bills any more. {Teardown} tidies up the rest (its IAM role, the saved run), or {Quit} leaves.", when)
	case !l.endpointsLeft && l.groupDue:
		s = fmt.Sprintf("This run expired at %s and the auto-teardown removed the endpoints: nothing bills any more, and the tests can no longer go through them. The security group and its rule go at %s. {Teardown} removes the rest now.", when, l.groupAt.Local().Format("15:04"))
	case l.off != "":
		s = fmt.Sprintf("This run expired at %s, and nothing is scheduled to remove it (%s): the endpoints still bill. {Teardown} tears it down.", when, l.off)
	case l.endpointsLeft && l.endpointsDue:
		s = fmt.Sprintf("This run expired at %s: the auto-teardown is due and deletes the endpoints within a minute, then the security group.", when)
	default:
		s = fmt.Sprintf("This run expired at %s, but the auto-teardown did not remove everything: %s. {Teardown} tears down what is left.", when, l.outcome)
	}
	return m.keysIn(s)
}

// autoTornDown reports whether the wizard saw the auto-teardown remove
// the endpoints.
func (m *Model) autoTornDown() bool {
	l := m.expLook
	return l.current(m.st) && l.err == "" && !l.endpointsLeft
}
