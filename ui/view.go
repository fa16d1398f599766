package ui

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// wide reports whether there is room for the step list beside the screen.
func (m *Model) wide() bool { return m.c.Width >= WideWidth && m.c.Height >= TallHeight-2 }

const sidebarWidth = 26

// bodyWidth is the width the current screen may use.
func (m *Model) bodyWidth() int {
	if m.wide() {
		return m.c.Width - sidebarWidth - 3
	}
	return m.c.Width - 2
}

// View draws the whole wizard.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "ecr-vpce-lab"
	return v
}

// Render is the screen as text, for tests and the accessible mode.
func (m *Model) render() string {
	st := m.c.Styles
	w, h := m.c.Width, m.c.Height
	if w < MinWidth || h < MinHeight {
		return renderTooSmall(st, w, h)
	}
	header := m.header(w)
	helpBar := m.helpBar()
	bodyH := m.bodyHeight()
	var body string
	switch m.overlay {
	case overlayConfirmTeardown:
		body = m.confirmTeardownView(bodyH)
	case overlayConfirmQuit:
		body = m.confirmQuitView(bodyH)
	case overlayHelp:
		body = m.helpView(bodyH)
	case overlayWhy:
		body = m.whyView(bodyH)
	case overlayExpiry:
		body = m.expiryView(bodyH)
	default:
		body = m.bodyView(bodyH)
	}
	body = clipLines(body, bodyH)
	gap := bodyH - lipgloss.Height(body)
	return fitWidth(header+"\n"+body+strings.Repeat("\n", max(0, gap)+1)+helpBar, w)
}

// bodyHeight is the height between the header and the help bar (one
// line each), less the line above the help bar.
func (m *Model) bodyHeight() int {
	return m.c.Height - lipgloss.Height(m.header(m.c.Width)) - 2
}

// fitWidth cuts each line wider than width, marking the cut with "…": the
// terminal would cut it without a trace. Every frame passes here, so no
// line is lost at the window's edge unseen.
func fitWidth(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = truncate(l, width)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) account() string {
	// Teardown clears the state; the header keeps saying where we are.
	return orDefault(m.st.Account, m.knownAccount)
}

func (m *Model) region() string {
	if m.lab == nil {
		return m.detection.Region
	}
	return m.st.Region
}

// header is the top bar. On the sandbox, whose account is the replica's
// (the same for everyone), the account gives way before a fact at the
// right: its cost figures, framed as AWS's, are longer than on AWS, and
// at 80 columns they would push out the time left.
func (m *Model) header(w int) string {
	st, parts := m.c.Styles, m.headerParts()
	h := renderHeader(st, m.c.Sandbox, m.account(), m.region(), parts, w)
	if m.c.Sandbox {
		for _, p := range parts {
			if !strings.Contains(ansi.Strip(h), p.text) {
				return fitHeader(st, m.c.Sandbox, m.region(), nil, parts, w)
			}
		}
	}
	return h
}

// headerParts are the header's running facts: what the endpoints cost
// (when there are any) and the run's time left (while it has resources).
func (m *Model) headerParts() []headerPart {
	var out []headerPart
	if c := m.cost(); c.InterfaceEndpoints > 0 {
		// On the sandbox, what AWS would bill: the badge says the
		// sandbox, and the figures must not read as its bill.
		onAWS := ""
		if m.c.Sandbox {
			onAWS = "on AWS: "
		}
		if c.Unpriced {
			out = append(out, headerPart{onAWS + "no price for " + c.Region, 1})
		} else {
			out = append(out, headerPart{fmt.Sprintf("%s$%.2f so far", onAWS, c.SoFar), 3}, headerPart{fmt.Sprintf("$%.2f/h", c.PerHour), 1})
		}
	}
	if m.autoTornDown() {
		out = nil // the auto-teardown removed the endpoints: nothing bills
	}
	// Not during a teardown: it removes the auto-teardown's schedules
	// first, so a countdown would promise a removal nothing will do if
	// the learner left before the end.
	if m.lab != nil && m.st.HasResources() && m.phase != phaseTeardown {
		if left := m.timeLeft(); left != "" {
			out = append(out, headerPart{left, 2})
		}
	}
	return out
}

// helpBar lists the keys that act now, from the same bindings that
// dispatch them; a narrow bar drops the tail (the least important).
func (m *Model) helpBar() string {
	if m.overlay != overlayNone {
		// Dialogs say their keys themselves (from the same bindings).
		return ""
	}
	st := m.c.Styles
	line := ""
	sep := st.HelpSep.Render(" • ")
	for i, h := range helpEntries(m.bindings()) {
		next := line
		if i > 0 {
			next += sep
		}
		next += st.HelpKey.Render(h[0]) + " " + st.HelpDesc.Render(h[1])
		if lipgloss.Width(next) > m.c.Width-1 {
			break
		}
		line = next
	}
	return " " + line
}

// helpEntries turns bindings into (key, description) pairs for people:
// one entry per distinct help text, and ctrl+c only when q does not quit.
func helpEntries(bs []binding) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	quit := false
	for _, b := range bs {
		quit = quit || b.act == actQuit
	}
	for _, b := range bs {
		if b.act == actForceQuit && quit {
			continue
		}
		h := b.Help()
		e := [2]string{h.Key, h.Desc}
		if h.Key == "" || seen[e] {
			continue
		}
		seen[e] = true
		// Keys that do the same share one entry: "enter/tab next field".
		merged := false
		for i := range out {
			if out[i][1] == e[1] {
				out[i][0] += "/" + e[0]
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, e)
		}
	}
	return out
}

// dialogKeys is a dialog's own key line, from the bindings that act in it,
// broken between keys (never inside one) to fit width.
func (m *Model) dialogKeys(width int) string {
	st := m.c.Styles
	var b strings.Builder
	line := 0
	var bs []binding
	for _, bd := range m.bindings() {
		if bd.act != actForceQuit {
			bs = append(bs, bd)
		}
	}
	// Keys that do the same share one entry: "↑/↓ scroll".
	for _, h := range helpEntries(bs) {
		part := st.Action.Render(h[0]) + " " + h[1]
		switch w := lipgloss.Width(part); {
		case line == 0:
			line = w
		case line+4+w > width:
			b.WriteString("\n")
			line = w
		default:
			b.WriteString("    ")
			line += 4 + w
		}
		b.WriteString(part)
	}
	return b.String()
}

// helpView is the ? overlay: every key that acts on the screen underneath,
// grouped.
func (m *Model) helpView(height int) string {
	st := m.c.Styles
	titles := map[group]string{groupStep: "This screen", groupField: "The focused field", groupAnywhere: "Anywhere"}
	groups := []group{groupStep, groupField, groupAnywhere}
	// Each group's entries, once, for whichever layout fits.
	entriesOf := map[group][][2]string{}
	for _, g := range groups {
		var sub []binding
		for _, b := range m.helpFor {
			if b.group == g {
				sub = append(sub, b)
			}
		}
		entriesOf[g] = helpEntries(sub)
	}
	var cols []string
	for _, g := range groups {
		entries := entriesOf[g]
		if len(entries) == 0 {
			continue
		}
		kw := 0
		for _, e := range entries {
			kw = max(kw, lipgloss.Width(e[0]))
		}
		lines := []string{st.PaneTitle.Render(titles[g])}
		for _, e := range entries {
			lines = append(lines, st.HelpKey.Render(pad(e[0], kw))+"  "+st.HelpDesc.Render(e[1]))
		}
		cols = append(cols, strings.Join(lines, "\n"))
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, interleave(cols, "    ")...)
	if lipgloss.Width(body) > m.c.Width-6 {
		body = strings.Join(cols, "\n\n")
	}
	// The title, the line under the keys, the blank lines, the border.
	gap := "\n\n"
	if lipgloss.Height(body)+6 > height {
		gap = "\n"
		// A short window: each group's keys run on as a paragraph, so
		// every key is listed rather than the last ones cut.
		var paras []string
		for _, g := range groups {
			var keys []string
			for _, e := range entriesOf[g] {
				// One key and what it does stay on one line.
				keys = append(keys, strings.ReplaceAll(st.HelpKey.Render(e[0])+" "+st.HelpDesc.Render(e[1]), " ", "\u00a0"))
			}
			if len(keys) > 0 {
				paras = append(paras, st.PaneTitle.Render(titles[g])+"\n"+wrapWords(strings.Join(keys, " · "), max(20, m.c.Width-8)))
			}
		}
		body = strings.Join(paras, "\n")
	}
	box := st.Pane.Render(st.PaneTitle.Render("Keys that act now") + gap + body + gap + st.Faint.Render(m.keysIn("{Close} closes this")))
	return lipgloss.Place(m.c.Width, height, lipgloss.Center, lipgloss.Center, box)
}

func interleave(xs []string, sep string) []string {
	var out []string
	for i, x := range xs {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, x)
	}
	return out
}

func (m *Model) bodyView(height int) string {
	st := m.c.Styles
	w := m.c.Width
	switch m.phase {
	case phaseDetect:
		return "\n " + st.Spinner.Render(m.frame()) + " Looking for AWS credentials and the instance metadata service…"
	case phaseNoAccount:
		return m.noAccountView()
	case phaseConnect:
		what := "Connecting to AWS…"
		if m.c.Sandbox {
			what = "Starting the sandbox: a replica of the lab's slice of AWS on this machine…"
		}
		return "\n " + st.Spinner.Render(m.frame()) + " " + what
	case phaseFatal:
		return "\n " + st.Error.Render("✗ The lab cannot start") + "\n\n " + wrapIndent(m.fatal, w-4, " ") + "\n\n " + st.Faint.Render(m.keysIn("Press {Next} to quit."))
	case phaseChooseRun:
		return m.chooseRunView()
	case phaseResume:
		return m.resumeView()
	case phaseTeardown:
		return m.teardownView(height)
	case phaseChallenges:
		if m.chal != nil {
			return m.challengesView(height)
		}
	}
	// phaseLab
	items := make([]StepItem, numScreens)
	for i := range items {
		items[i] = StepItem{Title: screens[i].title, Status: m.screens[i].status}
	}
	if m.wide() {
		side := st.Sidebar.Width(sidebarWidth).Height(height).Render(renderSidebar(st, items, int(m.cur), m.frame(), sidebarWidth))
		main := m.screenView(m.bodyWidth(), height)
		return lipgloss.JoinHorizontal(lipgloss.Top, side, "  ", main)
	}
	top := " " + renderCompactProgress(st, items, int(m.cur), m.frame(), w-2)
	return top + "\n" + indent(m.screenView(m.bodyWidth(), height-1), 1)
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// serviceWords is a service's own sentence under a test's verdict: whole
// on a wide screen; on a small one, where the explanation below says it
// again in words, one line cut where it ends. (Wrapped, then clipped, it
// kept only what came before the first long name: "denied: User:".)
func (m *Model) serviceWords(s string, width int) string {
	if !m.wide() {
		return truncate(s, width)
	}
	return wrapIndent(s, width, "")
}

// clipLines keeps at most n lines, marking the cut.
func clipLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n || n < 1 {
		return s
	}
	lines = lines[:n]
	lines[n-1] = "…"
	return strings.Join(lines, "\n")
}

// screenText is the current screen before it is fitted to a height: its
// title, its explanation (whose first leadLines lines are never cut), its
// body, what went wrong and what to do (parts, each kept from its start
// when cut), and what to press.
type screenText struct {
	title, intro string
	lead         string
	leadLines    int
	body         string
	parts        []string
	action       string
	// cut: a line was shortened to the width (a check's message), or
	// the body left something out for want of room.
	cut bool
}

// screenText lays out the current screen's parts at width; whole draws
// each check in full (the overlay that shows the screen whole).
func (m *Model) screenText(width int, whole bool) screenText {
	st := m.c.Styles
	info := screens[m.cur]
	sc := m.screens[m.cur]
	t := screenText{title: st.Title.Render(fmt.Sprintf("%d · %s", m.cur+1, info.title))}
	if banner := m.expiredBanner(); banner != "" {
		// The auto-teardown acted under the wizard: that, not the step's
		// introduction, is what the learner needs to read.
		t.intro = st.Warn.Render(wrapWords("⏱ "+banner, width))
	} else {
		lead, rest := m.introParts(m.cur)
		t.intro = st.Prose.Render(wrapWords(strings.TrimSpace(lead+" "+rest), width))
		if lead != "" {
			t.lead, t.leadLines = lead, lipgloss.Height(wrapWords(lead, width))
		}
	}
	switch {
	case m.picker != nil:
		t.body = m.picker.View(st)
	case m.cur == scrPreflight:
		detail := fullChecks
		if whole {
			detail = wholeChecks
		}
		t.body, _, t.cut = m.preflightBodyAt(width, detail)
	default:
		t.body = m.screenBody(width)
	}
	// What went wrong and what to do, each a part of its own, so a short
	// window keeps the start of every one of them.
	if sc.err != "" {
		t.parts = append(t.parts, "\n\n"+st.Error.Render("✗ ")+wrapIndent(sc.err, width-3, "  "))
		if sc.fix != "" {
			t.parts = append(t.parts, "\n"+st.Action.Render("→ ")+wrapIndent(sc.fix, width-3, "  "))
		}
	}
	if sc.note != "" {
		mark := steps.StatusSkipped.Mark()
		if sc.status == steps.StatusStopped || sc.status == steps.StatusUnproven {
			mark = sc.status.Mark()
		}
		t.parts = append(t.parts, "\n\n"+st.Warn.Render(mark+" ")+wrapIndent(sc.note, width-3, "  "))
	}
	if c := sc.checked; c != nil {
		mark, style := "✓", st.OK
		switch {
		case !c.OK && c.Unproven:
			// As the run says it: not proven, neither ✓ nor ✗.
			mark, style = steps.StatusUnproven.Mark(), st.Warn
		case !c.OK:
			mark, style = "✗", st.Error
		}
		msg := c.Message
		if msg == "" {
			msg = "nothing to report"
		}
		// The time goes in the width too, or the first line overflows.
		head := "checked " + sc.checkedAt.Format("15:04:05") + ": "
		text := strings.TrimPrefix(wrapIndent(head+msg, width-3, "  "), head)
		var b strings.Builder
		b.WriteString("\n\n" + style.Render(mark+" ") + st.Faint.Render(head) + text)
		for _, it := range c.Items {
			if it.OK {
				continue
			}
			mark := st.Error.Render("✗ ")
			if it.Warning {
				mark = st.Warn.Render("! ")
			}
			line := it.Title + ": " + it.Message
			switch {
			case whole:
				line = wrapIndent(line, width-4, "    ")
			case lipgloss.Width(line) > width-4:
				line, t.cut = truncate(line, width-4), true
			}
			b.WriteString("\n  " + mark + line)
		}
		t.parts = append(t.parts, b.String())
	}
	if line := m.actionLine(); line != "" {
		// Wrapped: cut, it loses its end, which says what the key does.
		t.action = "\n\n" + wrapWords(line, width)
	}
	if w := m.routeWarning(); w != "" {
		// Beside the key, where a short window still shows it.
		t.action = "\n\n" + st.Warn.Render(truncate("! "+w, width)) + strings.TrimPrefix(t.action, "\n")
	}
	return t
}

// screenView is the current screen: title, the explanation, the body, what
// to press, then the optional panes.
func (m *Model) screenView(width, height int) string {
	s, _ := m.fitScreen(width, height)
	return s
}

// fitScreen is screenView, and whether it left something out for want of
// room (then the Whole key shows it). A screen taller than the window
// gives up its explanation first (down to the sentence that must stay, or
// one line), then the part of its body that matters least; what went
// wrong, its fix and what to press stay.
func (m *Model) fitScreen(width, height int) (string, bool) {
	st := m.c.Styles
	t := m.screenText(width, false)
	intro, body, parts, action, cut := t.intro, t.body, t.parts, t.action, t.cut
	news := strings.Join(parts, "")
	// The panes leave the screen at least its title, a line of its
	// explanation and a line of its body (the help bar says what to press);
	// while something runs, two: a wait's progress is not hidden behind
	// a pane (one line would be only the mark of the cut).
	reserve := 5
	if m.busy() {
		reserve = 6
	}
	panes, panesCut := m.panes(width, height-reserve)
	cut = cut || panesCut
	room := height
	if panes != "" {
		// Panes take the bottom of the screen; the body keeps what is left.
		room = max(4, height-lipgloss.Height(panes)-1)
	}
	// Each part's height, past the line the part before it ends on.
	tall := func() int {
		return 1 + lipgloss.Height(intro) + 1 + lipgloss.Height(body) + lipgloss.Height(news) - 1 + lipgloss.Height(action) - 1
	}
	if over := tall() - room; over > 0 {
		cut = true
		if keep := max(1, lipgloss.Height(intro)-over); keep > t.leadLines {
			intro = cutLines(intro, keep, width)
		} else if t.leadLines > 0 && t.leadLines < lipgloss.Height(intro) {
			// The sentence that says what matters stays whole (what the
			// policy does to the lab's repository); the rest goes.
			intro = st.Prose.Render(markEnd(wrapWords(t.lead, width), width))
		}
	}
	if over := tall() - room; over > 0 && m.cur == scrPolicy && m.picker == nil && m.editor != nil && !m.editor.rawMode {
		// The form's line about Enter goes before the field in focus:
		// the help bar names the same keys.
		action = ""
	}
	if over := tall() - room; over > 0 && m.cur == scrPolicy && m.picker == nil && m.editor != nil && m.editor.rawMode {
		// The body is cut from its end, and the JSON comes first: if that
		// would hide the line the learner types on (where an error put
		// the cursor), the JSON gives up lines away from it instead.
		keep := lipgloss.Height(body) - over
		end := cursorViewLine(&m.editor.raw) + 2
		if keep < 3 {
			end-- // no room for the line after
		}
		if end > keep {
			body = m.policyBodyTrimmed(width, end-max(1, keep))
		}
	}
	if over := tall() - room; over > 0 && m.cur == scrPreflight && m.picker == nil {
		// The cut below keeps the body's end, the checks, and drops the
		// rows above them first. When the checks themselves do not fit,
		// less of each rather than the first ones gone.
		for detail := fullChecks; detail >= checkTitles; detail-- {
			var checkLines int
			var less bool
			body, checkLines, less = m.preflightBodyAt(width, detail)
			cut = cut || less
			// The line the cut leaves at the top is its "…".
			if checkLines <= lipgloss.Height(body)-max(0, tall()-room)-1 {
				break
			}
		}
	}
	if over := tall() - room; over > 0 && m.cur == scrPush && m.picker == nil {
		// The outcome matters more than where the image went.
		body = m.pushBodyAt(width, false)
	}
	if over := tall() - room; over > 0 && body != "" {
		keep := max(1, lipgloss.Height(body)-over)
		if m.bodyEndsWithNews() {
			body = cutLinesBefore(body, keep)
		} else {
			body = cutLines(body, keep, width)
		}
	}
	for most := lipgloss.Height(news); tall() > room && most > 1; most-- {
		// A failure longer than the window: the start of each part (what
		// went wrong, what to do), then what to press.
		var b strings.Builder
		for _, p := range parts {
			text := strings.TrimLeft(p, "\n")
			b.WriteString(p[:len(p)-len(text)] + cutLines(text, most, width))
		}
		news = b.String()
	}
	main := t.title + "\n" + intro + "\n\n" + body + news + action
	if panes == "" {
		return main, cut
	}
	return clipLines(main, room) + "\n" + panes, cut || lipgloss.Height(main) > room
}

// markEnd puts the mark of a cut after the last line of s, when it fits
// in width.
func markEnd(s string, width int) string {
	lines := strings.Split(s, "\n")
	if last := lines[len(lines)-1]; lipgloss.Width(last)+2 <= width {
		lines[len(lines)-1] = last + " …"
	}
	return strings.Join(lines, "\n")
}

// screenSize is the width and height the current lab screen is drawn in
// (bodyView's).
func (m *Model) screenSize() (width, height int) {
	if m.wide() {
		return m.bodyWidth(), m.bodyHeight()
	}
	return m.bodyWidth(), m.bodyHeight() - 1 // the progress line
}

// screenCut reports whether the current lab screen, as the window draws
// it, leaves out something the Whole key would show.
func (m *Model) screenCut() bool {
	if m.phase != phaseLab || m.overlay != overlayNone || m.picker != nil {
		return false
	}
	if m.c.Width < MinWidth || m.c.Height < MinHeight {
		return false
	}
	_, cut := m.fitScreen(m.screenSize())
	return cut
}

// wholeHeight stands for a window tall enough for any screen.
const wholeHeight = 1 << 12

// wholeLines is the current lab screen as a window tall enough for all of
// it would draw it in width columns (every check in full, no line cut for
// want of height), without the panes or the line of keys: what the Whole
// key shows.
func (m *Model) wholeLines(width int) []string {
	tall := *m
	tall.c.Height = wholeHeight
	t := tall.screenText(width, true)
	text := t.title + "\n" + t.intro + "\n\n" + t.body + strings.Join(t.parts, "")
	// The panes the learner opened, each in full under its title.
	for _, p := range m.openPanes(width) {
		text += "\n\n" + m.c.Styles.PaneTitle.Render(p.title) + "\n" + strings.Join(p.body(wholeHeight), "\n")
	}
	return strings.Split(text, "\n")
}

// bodyEndsWithNews reports whether the current screen's body puts what
// matters most at its end (the checks, the progress line, under the plan;
// what the run costs and how to remove it, under the finish's diagram):
// cut short, it keeps its end. Other bodies (a form, a verdict with its
// explanation under it, the endpoints' lines above their bill) keep their
// start.
func (m *Model) bodyEndsWithNews() bool {
	if m.picker != nil {
		return false
	}
	switch m.cur {
	case scrPreflight, scrSecurityGroup, scrIngress, scrFinish:
		return true
	}
	return false
}

// cutLines keeps the first n lines of s, marking the cut at the end of
// the last one kept.
func cutLines(s string, n, width int) string {
	lines := strings.Split(s, "\n")
	if n < 1 || len(lines) <= n {
		return s
	}
	lines = lines[:n]
	last := lines[n-1]
	if plain := ansi.Strip(last); strings.TrimRight(plain, " ") != plain {
		// The mark goes after the words, not after a styled line's padding.
		last = ansi.Truncate(last, lipgloss.Width(strings.TrimRight(plain, " ")), "")
	}
	if lipgloss.Width(last)+2 > width {
		last = ansi.Truncate(last, max(1, width-2), "")
		// At a space, not inside a word.
		if plain := ansi.Strip(last); strings.LastIndex(plain, " ") > len(plain)/2 {
			last = ansi.Truncate(last, lipgloss.Width(plain[:strings.LastIndex(plain, " ")]), "")
		}
	}
	lines[n-1] = last + " …"
	return strings.Join(lines, "\n")
}

// cutLinesBefore keeps the last n lines of s, a line saying "…" first in
// place of what went.
func cutLinesBefore(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	if n < 2 {
		return "…"
	}
	return strings.Join(append([]string{"…"}, lines[len(lines)-(n-1):]...), "\n")
}

// actionLine tells the learner what is happening or what to press.
func (m *Model) actionLine() string {
	st := m.c.Styles
	sc := m.screens[m.cur]
	if m.busy() {
		what := "working"
		switch {
		case m.op.kind == opCheck:
			what = "checking again, changing nothing"
		case m.op.kind == opPolicy:
			what = "applying the policy to the endpoints"
		case m.op.kind == opFix:
			what = "applying the fix"
		case m.cur == scrEndpoints:
			what = "waiting for AWS; this usually takes one to three minutes"
		case m.cur == scrDNS:
			what = "watching DNS"
			if !m.nextPoll.IsZero() {
				if d := m.nextPoll.Sub(m.now); d > 0 {
					what += fmt.Sprintf(" · next look in %ds", int(d.Seconds()+0.5))
				}
			}
		}
		return st.Spinner.Render(m.frame()) + " " + st.Faint.Render(what+" ["+wholeSeconds(m.now.Sub(m.op.started))+"]")
	}
	if m.picker != nil {
		return ""
	}
	switch {
	case m.cur == scrPreflight && m.noWorkspaceHere && m.st.Workspace.SubnetID == "" && sc.status == steps.StatusPending:
		// Enter discovers again, finds nothing, and opens the choice.
		return st.Action.Render(m.keysIn("There is no workspace to discover here: press {Next} to choose the VPC, subnet and security group."))
	case m.noWorkspaceYet():
		// The body says which key chooses them; Enter does the same.
		return st.Action.Render(m.keysIn("Press {Next} to choose them."))
	case m.blockedByPreflight():
		return st.Action.Render(m.keysIn(m.preflightFailedLine()))
	case m.cur == scrPolicy && m.editor != nil && m.editor.rawMode:
		return st.Action.Render(m.keysIn("Edit the JSON; {Apply} applies it, {FormBack} returns to the form."))
	case m.cur == scrPolicy && m.editor != nil:
		return st.Action.Render(m.keysIn("{Confirm} moves to the next field; {Confirm} on the last one applies the policy."))
	case m.cur == scrPolicy && m.editor == nil && sc.status == steps.StatusDone:
		return st.Action.Render(m.keysIn("Press {Policy} to change the policy, {Next} to continue."))
	case m.cur == scrFinish && m.autoTornDown():
		// Nothing left running to keep.
		return st.Action.Render(m.keysIn("Press {Teardown} to tidy up what is left, or {Quit} to leave."))
	case sc.status == steps.StatusDone && m.cur == scrFinish && m.st.HasResources():
		return st.Action.Render(m.keysIn("Press {Teardown} to tear everything down, {Quit} to keep it running, {Challenges} for challenges."))
	case sc.status == steps.StatusDone && m.cur == scrFinish:
		return st.Action.Render(m.keysIn("Press {Teardown} to tear everything down, or {Quit} to keep it running."))
	case m.waitDNSAgain():
		return st.Action.Render(m.keysIn("Press {Next} to wait for private DNS after all, or {StepDown} to go on without it."))
	case sc.status.MovedOn() || len(screens[m.cur].steps) == 0 && m.cur != scrFinish:
		return st.Action.Render(m.keysIn("Press {Next} to continue."))
	case m.cur == scrFinish:
		return st.Action.Render(m.keysIn("Press {Teardown} to tear everything down, or {Quit} to keep it running."))
	case sc.status == steps.StatusFailed && m.cur == scrPreflight && m.fixable():
		return st.Action.Render(m.keysIn("Press {Fix} to apply the fix, or {Next} to try again."))
	case sc.status == steps.StatusFailed:
		return st.Action.Render(m.keysIn("Press {Next} to try again."))
	case sc.status == steps.StatusStopped:
		// The note above says it.
		return ""
	case m.cur == scrPolicy && m.editor != nil && m.editor.rawMode:
		return st.Action.Render(m.keysIn("Edit the JSON; {Apply} applies it, {FormBack} returns to the form."))
	case m.cur == scrPolicy:
		return st.Action.Render("Tab moves between fields; Enter on the last one applies the policy.")
	case m.unobservable() != "":
		// Said before Enter, not after: from here the step is skipped,
		// and the learner should not wait for a proof that cannot come.
		return st.Action.Render(m.keysIn("Press {Next} to go on: from " + m.place.Kind.Title() + " this step cannot be observed, so it is marked skipped, not passed."))
	case m.cur == scrPush || m.cur == scrList:
		return st.Action.Render(m.keysIn("Press {Next} to run the test."))
	}
	l := m.runLabel()
	return st.Action.Render(m.keysIn("Press {Next} to " + strings.ToLower(l[:1]) + l[1:] + "."))
}

// preflightFailedLine is the workspace screen's way on while the
// preflight's checks failed: what the keys offered there do about it.
func (m *Model) preflightFailedLine() string {
	var ways []string
	if m.fixable() && m.fixAction() != steps.FixWorkspace {
		ways = append(ways, "{Fix} to apply its fix")
	}
	if !m.builtOnWorkspace() {
		ways = append(ways, "{EditIDs} to choose other IDs")
	}
	ways = append(ways, "{Next} to go back to step 1 and try again")
	return "The preflight failed (step 1 says why), so the lab cannot go on: press " + steps.JoinOr(ways) + "."
}

func (m *Model) runLabel() string {
	switch m.cur {
	case scrPreflight:
		return "Discover the workspace and run the checks"
	case scrSecurityGroup:
		return "Create the security group"
	case scrIngress:
		return "Add the rule"
	case scrEndpoints:
		return "Create the three endpoints"
	case scrDNS:
		return "Watch DNS switch over"
	}
	return "Run this step"
}

// screenBodies renders each screen's body.
var screenBodies = map[screenID]func(*Model, int) string{
	scrPreflight:     (*Model).preflightBody,
	scrWorkspace:     (*Model).workspaceBody,
	scrSecurityGroup: (*Model).sgBody,
	scrIngress:       (*Model).ingressBody,
	scrPolicy:        (*Model).policyBody,
	scrEndpoints:     (*Model).endpointsBody,
	scrDNS:           (*Model).dnsBody,
	scrPush:          (*Model).pushBody,
	scrList:          (*Model).listBody,
	scrFinish:        (*Model).finishBody,
}

func (m *Model) screenBody(width int) string {
	if body, ok := screenBodies[m.cur]; ok {
		return body(m, width)
	}
	return ""
}

func kv(st Styles, rows [][2]string, width int) string {
	lw := 0
	for _, r := range rows {
		lw = max(lw, lipgloss.Width(r[0]))
	}
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		// Long values (ARNs, notes) wrap under themselves instead of being cut.
		val := r[1]
		if vw := width - lw - 2; vw > 10 && lipgloss.Width(val) > vw {
			val = strings.ReplaceAll(wrapAt(val, vw, " /:"), "\n", "\n"+strings.Repeat(" ", lw+2))
		}
		b.WriteString(st.Label.Render(pad(r[0], lw)) + "  " + val)
	}
	return b.String()
}

func (m *Model) preflightBody(width int) string {
	body, _, _ := m.preflightBodyAt(width, fullChecks)
	return body
}

// How much of each check that needs reading the preflight body shows: a
// short window gives up the fixes, then all but one line per check, so
// that every warning and failure is still named rather than the first
// ones lost above the last one's end. The Whole key shows every check in
// full, the passed ones by name.
const (
	checkTitles  = iota // one line each: mark, title, the start of the message
	checkNoFixes        // the whole message, without the fix under it
	fullChecks
	wholeChecks // every message whole, failures' too, and the passed checks named
)

// preflightBodyAt is the preflight body with detail of each check;
// checkLines is how many of its last lines are the checks'; less, whether
// it left out something the Whole key shows.
func (m *Model) preflightBodyAt(width, detail int) (body string, checkLines int, less bool) {
	st := m.c.Styles
	mode := st.ModeAWS.UnsetPadding().Render("AWS") + "  " + st.Faint.Render("real resources in your account; interface endpoints are billed")
	if m.c.Sandbox {
		mode = st.ModeSandbox.UnsetPadding().Render("SANDBOX") + "  " + st.Faint.Render("a replica of AWS on this machine; nothing is billed")
	}
	rows := [][2]string{{"Mode", mode}}
	if m.lab != nil {
		s := m.st
		if s.Account != "" {
			rows = append(rows, [2]string{"Account", s.Account + " · " + m.region()})
		}
		if s.Caller != "" {
			rows = append(rows, [2]string{"Caller", s.Caller})
		}
		if p := m.place; p != nil {
			rows = append(rows, [2]string{"Here", p.Sentence()})
			if p.Credentials {
				rows = append(rows, [2]string{"Credentials", p.Identity()})
			}
		}
	}
	out := kv(st, rows, width)
	if len(m.checks) == 0 {
		if m.busy() {
			return out + "\n\n" + st.Spinner.Render(m.frame()) + " " + st.Faint.Render("discovering the workspace…"), 0, false
		}
		return out, 0, false
	}
	var b strings.Builder
	b.WriteString(out + "\n")
	var checks []steps.CheckItem
	for _, c := range m.checks {
		if c.ID != "environment" || m.place == nil { // shown above, as Here
			checks = append(checks, c)
		}
	}
	if !m.wide() && len(checks) > 5 {
		// Small screens: the passed checks in one paragraph, the rest in full.
		var passed []string
		var rest []steps.CheckItem
		for _, c := range checks {
			if c.OK {
				passed = append(passed, c.Title)
			} else {
				rest = append(rest, c)
			}
		}
		if len(passed) > 0 {
			line := fmt.Sprintf("%d of %d checks passed: %s.", len(passed), len(checks), strings.Join(passed, ", "))
			if m.c.Height < TallHeight && len(rest) > 0 && detail < wholeChecks {
				// A short window keeps the checks that need reading and
				// only counts the passed ones.
				line = m.keysIn(fmt.Sprintf("%d of %d checks passed (press {Whole} for their names).", len(passed), len(checks)))
				less = true
			}
			b.WriteString("\n" + st.OK.Render("✓ ") + wrapIndent(line, width-2, "  "))
		}
		checks = rest
	}
	cut := false
	for _, c := range checks {
		mark := st.OK.Render("✓")
		switch {
		case !c.OK && c.Warning:
			mark = st.Warn.Render("!")
		case !c.OK:
			mark = st.Error.Render("✗")
		}
		line := mark + " " + c.Title
		if c.Message != "" && (!c.OK || c.Warning) {
			line += st.Faint.Render(" — " + c.Message)
		}
		if c.Warning && detail > checkTitles || detail == wholeChecks {
			// A warning is read in full: it changes what the lab can show.
			b.WriteString("\n" + wrapIndent(line, width-2, "  "))
		} else {
			less = less || lipgloss.Width(line) > width
			b.WriteString("\n" + truncate(line, width))
		}
		if !c.OK && c.Fix != "" {
			if detail < fullChecks {
				cut = true
				continue
			}
			b.WriteString("\n  " + st.Action.Render("→ ") + wrapIndent(c.Fix, width-4, "    "))
		}
	}
	if cut {
		b.WriteString("\n" + st.Faint.Render(wrapWords(m.keysIn("What to do about each: press {Whole} to read it all."), width)))
	}
	return b.String(), lipgloss.Height(b.String()) - lipgloss.Height(out), less || cut
}

func (m *Model) workspaceBody(width int) string {
	st := m.c.Styles
	if m.lab == nil {
		return ""
	}
	s := m.st
	ws := s.Workspace
	if ws.SubnetID == "" {
		const not = "Not discovered yet. "
		text := strings.TrimPrefix(wrapWords(not+m.keysIn("Press {EditIDs} to choose the VPC, subnet and security group."), width), not)
		return st.Faint.Render(not) + st.Action.Render(text)
	}
	rt := ws.RouteTableID
	if ws.RouteTableMain {
		rt += st.Faint.Render("  the VPC's main table (the subnet has no table of its own)")
	} else {
		rt += st.Faint.Render("  associated with the subnet")
	}
	src := "chosen by hand"
	switch {
	case ws.OnEC2:
		src = "read from the instance metadata service"
		if ws.InstanceID != "" {
			src = ws.InstanceID + st.Faint.Render("  "+src)
		}
	case ws.InstanceID != "" && len(ws.ChosenByHand) > 0:
		// IDs chosen by hand on an instance: it is still the workspace.
		src = ws.InstanceID + st.Faint.Render("  read from the instance metadata service; "+steps.JoinAnd(ws.ChosenByHand)+" chosen by hand")
	case ws.InstanceID != "":
		src = ws.InstanceID + st.Faint.Render("  the IDs chosen by hand are its own")
	}
	subnet := ws.SubnetID + st.Faint.Render("  "+ws.AZ)
	if ws.Chosen("subnet") {
		subnet += st.Faint.Render("  the instance's: " + ws.InstanceSubnetID + " " + ws.InstanceAZ)
	}
	group := ws.SecurityGroupID
	if !ws.InGroup(ws.SecurityGroupID) {
		group += st.Warn.Render("  the instance is not in it: " + strings.Join(ws.SecurityGroupIDs, ", "))
	}
	if gw, _, _ := ws.GatewayRouteTable(); gw != ws.RouteTableID {
		rt += st.Faint.Render("; the S3 gateway goes on the instance's subnet's " + gw)
	}
	region := m.region()
	if p := s.Names.Partition; p != "" && p != "aws" {
		// GovCloud, China: ARNs and (in China) host names are the
		// partition's own.
		region += st.Faint.Render("  partition " + p + ": ARNs start arn:" + p + ":")
	}
	out := kv(st, [][2]string{
		{"Account", s.Account},
		{"Region", region},
		{"VPC", ws.VpcID + st.Faint.Render("  "+vpcBlocks(ws.VpcCIDR, ws.VpcCIDRs))},
		{"Subnet", subnet},
		{"Workspace group", group},
		{"Route table", rt},
		{"Instance", src},
	}, width)
	if m.builtOnWorkspace() {
		// Why the IDs cannot be edited any more, and the way out.
		out += "\n\n" + st.Faint.Render(wrapWords(m.keysIn("What the lab made is made for this workspace: to choose another, tear it down first ({Teardown})."), width))
	}
	return out
}

func (m *Model) linesOf(kinds ...steps.ResourceKind) []ResourceLine {
	var keys []string
	for _, k := range m.order {
		for _, kind := range kinds {
			if strings.HasPrefix(k, string(kind)+"/") {
				keys = append(keys, k)
			}
		}
	}
	// Endpoints are created at once and report in any order; list them in
	// the lab's order so the screen does not shuffle.
	rank := func(k string) int {
		for i, e := range steps.EndpointKeys {
			if k == string(steps.KindEndpoint)+"/"+e {
				return i
			}
		}
		return len(steps.EndpointKeys)
	}
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	out := make([]ResourceLine, 0, len(keys))
	for _, k := range keys {
		out = append(out, *m.resources[k])
	}
	return out
}

// withLines is a step's plan, then the lines of its resources of kind once
// there are any.
func (m *Model) withLines(plan string, kind steps.ResourceKind, width int) string {
	lines := m.linesOf(kind)
	if len(lines) == 0 {
		return plan
	}
	return plan + "\n\n" + RenderResourceLines(m.c.Styles, lines, m.linesFrame(), m.now, width)
}

func (m *Model) sgBody(width int) string {
	st := m.c.Styles
	ws := steps.Workspace{}
	if m.lab != nil {
		ws = m.st.Workspace
	}
	plan := kv(st, [][2]string{
		{"Name", "ECR_VPCE_SG"},
		{"VPC", orDash(ws.VpcID)},
		{"Inbound", "nothing yet (the next step adds HTTPS)"},
	}, width)
	return m.withLines(plan, steps.KindSecurityGroup, width)
}

func (m *Model) ingressBody(width int) string {
	st := m.c.Styles
	var ws steps.Workspace
	sg := "the endpoints' group"
	if m.lab != nil {
		s := m.st
		ws = s.Workspace
		if s.SecurityGroup != nil {
			sg = s.SecurityGroup.ID
		}
	}
	plan := kv(st, [][2]string{
		{"Into", sg + st.Faint.Render("  ECR_VPCE_SG")},
		{"Protocol", "tcp, port 443 (HTTPS)"},
		{"From", orDash(ws.SecurityGroupID) + st.Faint.Render("  the workspace's group")},
	}, width)
	return m.withLines(plan, steps.KindIngressRule, width)
}

func (m *Model) policyBody(width int) string { return m.policyBodyTrimmed(width, 0) }

// policyBodyTrimmed is the policy screen's body with the JSON editor's
// window trim lines shorter.
func (m *Model) policyBodyTrimmed(width, trim int) string {
	st := m.c.Styles
	if m.editor == nil {
		return m.policyReviewBody(width)
	}
	editor := m.editor.ViewTrimmed(st, trim)
	doc, target, err := m.editor.Document()
	if err != nil {
		// Said once: the JSON editor lists its errors, and a refused
		// apply says it below.
		if m.editor.rawMode && policy.HasErrors(m.editor.findings) || m.screens[scrPolicy].draftErr {
			return editor
		}
		return editor + "\n" + st.Error.Render("✗ ") + st.Faint.Render(wrapIndent(err.Error(), m.editor.width-2, "  "))
	}
	repo := strings.TrimSpace(m.editor.repo)
	rows := m.simulationFor(doc, target, repo)
	if !m.wide() {
		return editor + "\n" + st.PaneTitle.Render("What this policy allows") + "\n" + renderSimulation(st, rows, width)
	}
	leftW := width * 11 / 20
	left := editor + "\n\n" + st.PaneTitle.Render("What this policy allows") + "\n" + renderSimulation(st, rows, leftW)
	right := st.PaneTitle.Render("Policy JSON") + "\n" + st.Code.Render(wrapAt(string(doc.Pretty()), width-leftW-2, ":/ "))
	return lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(leftW).Render(left), "  ", lipgloss.NewStyle().Width(width-leftW-2).Render(right))
}

// simulationFor is the table of what doc allows, for repo and another
// team's; on a small screen, the lab repository's rows only.
func (m *Model) simulationFor(doc *policy.Document, target steps.Target, repo string) [][]string {
	rows := simulationRows(doc, target, m.st.Account, m.st.Region, repo)
	if m.wide() {
		return rows
	}
	var mine [][]string
	for _, r := range rows {
		if r[1] == repo || r[1] == "*" {
			mine = append(mine, r)
		}
	}
	return mine
}

// policyReviewBody is the policy screen seen again with the step keys:
// the policy in force, where it is attached and what it allows, read only
// (p opens the form on it).
func (m *Model) policyReviewBody(width int) string {
	st := m.c.Styles
	if len(m.st.Policy) == 0 {
		return ""
	}
	doc, err := policy.Parse(m.st.Policy)
	if err != nil {
		return st.Error.Render("✗ ") + st.Faint.Render(wrapIndent("the policy on record cannot be read: "+err.Error(), width-2, "  "))
	}
	repo := m.cfg.Repo
	if r, _, ok := formOf(doc, m.st.Account, m.st.Region); ok && r != "" {
		repo = r
	}
	where := "both ECR endpoints (ecr.dkr and ecr.api)"
	if m.st.PolicyTarget == steps.TargetDKR {
		where = "ecr.dkr only (ecr.api keeps full access)"
	}
	rows := m.simulationFor(doc, m.st.PolicyTarget, repo)
	out := kv(st, [][2]string{{"Attached to", where}}, width) + "\n\n" +
		st.PaneTitle.Render("What this policy allows") + "\n" + renderSimulation(st, rows, width)
	if m.wide() {
		out += "\n\n" + st.PaneTitle.Render("Policy JSON") + "\n" + st.Code.Render(wrapAt(string(doc.Pretty()), width, ":/ "))
	}
	return out
}

func (m *Model) endpointsBody(width int) string {
	st := m.c.Styles
	lines := m.linesOf(steps.KindEndpoint)
	if len(lines) == 0 {
		ws := steps.Workspace{}
		if m.lab != nil {
			ws = m.st.Workspace
		}
		return kv(st, [][2]string{
			{"ecr.dkr", "interface · private DNS · subnet " + orDash(ws.SubnetID) + " · with the policy"},
			{"ecr.api", "interface · private DNS · subnet " + orDash(ws.SubnetID) + " · with the policy"},
			{"s3", "gateway · route table " + orDash(gatewayTable(ws))},
		}, width)
	}
	out := RenderResourceLines(st, lines, m.linesFrame(), m.now, width)
	if m.lab != nil {
		if c := m.cost(); c.InterfaceEndpoints > 0 && !m.autoTornDown() {
			bill := fmt.Sprintf("%s, billed per zone at %d × $%.3f = $%.2f per hour while they exist (the S3 gateway is free)",
				plural(c.InterfaceEndpoints, "interface endpoint"), c.AZs, c.Rate, c.PerHour)
			switch {
			case c.Unpriced:
				bill = fmt.Sprintf("%s, billed per zone (%d) and per hour while they exist (the S3 gateway is free); %s",
					plural(c.InterfaceEndpoints, "interface endpoint"), c.AZs, c.NoPrice())
			case lipgloss.Height(wrapWords(steps.CostSentence(bill, m.c.Sandbox), width)) > 2:
				// Two lines (at 60 columns), so that a short window does
				// not cut the end, which on the sandbox says it bills
				// nothing.
				bill = fmt.Sprintf("$%.2f per hour while the %s exist", c.PerHour, plural(c.InterfaceEndpoints, "interface endpoint"))
			}
			out += "\n\n" + st.Faint.Render(wrapWords(steps.CostSentence(bill, m.c.Sandbox), width))
		}
		if n := m.expiryNote(m.c.Height < TallHeight); n != "" {
			out += "\n" + st.Faint.Render(wrapWords(n, width))
		}
	}
	return out
}

func (m *Model) dnsBody(width int) string {
	st := m.c.Styles
	if len(m.lookups) == 0 {
		if m.screens[scrDNS].status != steps.StatusPending {
			return m.pathPicture(width, false)
		}
		if m.unobservable() != "" {
			// The action line says why; promising lookups would mislead.
			return st.Faint.Render(wrapWords("From here the names resolve as the internet sees them, not as your VPC does, so the switch cannot be watched.", width)) +
				"\n\n" + m.pathPicture(width, false)
		}
		return st.Faint.Render(wrapWords("The lab will look up the registry host and the API host and compare the answers with your VPC's address range.", width)) +
			"\n\n" + m.pathPicture(width, false)
	}
	var b strings.Builder
	var checked time.Time
	nameW := 0
	for _, l := range m.lookups {
		nameW = max(nameW, lipgloss.Width(l.Name))
	}
	for i, l := range m.lookups {
		if i > 0 {
			b.WriteString("\n")
		}
		mark := st.Warn.Render("…")
		if l.Private() {
			mark = st.OK.Render("✓")
		}
		line := mark + " " + st.Bold.Render(pad(l.Name, nameW))
		for _, a := range l.Addresses {
			badge := st.Public.Render("public")
			if a.Private {
				badge = st.Private.Render("private")
			}
			line += "  " + a.IP + " " + badge
		}
		b.WriteString(truncate(line, width))
		if l.Err != "" {
			b.WriteString("\n    " + st.Faint.Render(truncate(l.Err, width-4)))
		}
		if l.Checked.After(checked) {
			checked = l.Checked
		}
	}
	if !checked.IsZero() {
		b.WriteString("\n" + st.Faint.Render("  checked "+checked.Format("15:04:05")))
	}
	return b.String() + "\n\n" + m.pathPicture(width, false)
}

func (m *Model) testView(name steps.TestName, width int) string {
	st := m.c.Styles
	t, ok := m.tests[name]
	if !ok {
		if m.busy() {
			return st.Spinner.Render(m.frame()) + " running…"
		}
		if m.screens[m.cur].status == steps.StatusSkipped {
			// The note below says why; "not run yet" would promise a run.
			// (An unproven test did run: its result is kept.)
			return st.Faint.Render("not run")
		}
		return st.Faint.Render("not run yet")
	}
	verdict := st.Allow.Render("allowed")
	if !t.Outcome.Allowed {
		verdict = st.Deny.Render("denied")
	}
	exp := st.OK.Render("✓ as the policy predicts")
	refused := t.Outcome.Action
	if refused == "" {
		refused = actionFromMessage(t.Outcome.Message)
	}
	switch {
	case t.Retrying:
		// AWS is still applying a changed policy: the note below says so.
		exp = st.Warn.Render(fmt.Sprintf("… the new policy predicts %s: trying again", t.ExpectedVerdict()))
	case t.Unproven != "":
		// What AWS did is above; it went around the endpoint, so it says
		// nothing about the policy: neither ✓ nor ✗. Why goes whole on
		// the lines below (cut, it lost the host name that is the cause).
		exp = st.Warn.Render(steps.StatusUnproven.Mark() + " " + steps.StatusUnproven.Label())
	case !t.Match:
		exp = st.Error.Render("✗ " + strings.TrimPrefix(t.Mismatch(), "but "))
	case !t.Outcome.Allowed && refused != "" && t.ExpectedAction != "" && !strings.EqualFold(refused, t.ExpectedAction):
		// Refused, as predicted, but not where: say so rather than pass.
		exp = st.Warn.Render(fmt.Sprintf("! refused at %s; the policy predicts %s", refused, t.ExpectedAction))
	}
	line := fmt.Sprintf("%s %s  %s", st.Bold.Render(string(name)), verdict, exp)
	out := truncate(line, width)
	if t.Unproven != "" && !t.Retrying {
		out += "\n" + st.Warn.Render(wrapIndent(sentence(t.Unproven), width-2, ""))
	}
	if t.Outcome.Message != "" {
		msg := t.Outcome.Message
		if t.Outcome.Code == "DENIED" {
			// What docker itself prints for a registry refusal.
			msg = "denied: " + msg
		}
		out += "\n" + st.Code.Render(m.serviceWords(msg, width-2))
	} else if t.Reason != "" {
		// AWS gave no words (a HEAD answer has no body): the lab's.
		out += "\n" + st.Faint.Render(m.serviceWords(t.Reason, width-2))
	}
	for _, n := range t.Notes {
		if t.Unproven != "" && steps.IsBypassNote(n) {
			// The line under the verdict says which endpoint the request
			// went around and why; the list screen needs the room for
			// the pull's.
			continue
		}
		out += "\n" + st.Faint.Render(wrapIndent(n, width-2, ""))
	}
	if t.Retrying {
		// The note says AWS is still applying the policy; the lab tries again.
		return out
	}
	for i, l := range m.refusalLines(name) {
		mark := "  "
		if i == 0 {
			mark = st.Deny.Render("✗ ")
		}
		out += "\n" + mark + wrapIndent(l, width-4, "  ")
	}
	return out
}

func (m *Model) pushBody(width int) string { return m.pushBodyAt(width, true) }

// pushBodyAt is the push screen's body, with or without its head (where
// the image went, how many layers were there): a short window gives up
// the head first, so the outcome stays on the screen.
func (m *Model) pushBodyAt(width int, withHead bool) string {
	st := m.c.Styles
	t, ok := m.tests[steps.PushTest]
	head := ""
	if ok && t.Push != nil && withHead {
		p := t.Push
		head = st.Faint.Render(truncate(fmt.Sprintf("%s/%s:%s", p.Registry, p.Repository, p.Tag), width)) + "\n" +
			st.Faint.Render(fmt.Sprintf("%s already there, %d uploaded", plural(p.LayersExisting, "layer"), p.LayersUploaded)) + "\n"
	}
	return head + m.testView(steps.PushTest, width)
}

func (m *Model) listBody(width int) string {
	st := m.c.Styles
	out := m.testView(steps.ListTest, width)
	if t, ok := m.tests[steps.ListTest]; ok && t.List != nil && len(t.List.Images) > 0 {
		var b strings.Builder
		b.WriteString("\n" + st.TableHead.Render(fmt.Sprintf("%-8s %s", "TAG", "DIGEST")))
		for _, im := range t.List.ByTag() {
			tag := im.Tag
			if tag == "" {
				tag = "<none>"
			}
			b.WriteString("\n" + truncate(fmt.Sprintf("%-8s %s", tag, st.Faint.Render(im.Digest)), width))
		}
		out += b.String()
	}
	if _, ok := m.tests[steps.PullTest]; ok || m.busy() {
		out += "\n\n" + m.testView(steps.PullTest, width)
	}
	return out
}

func (m *Model) finishBody(width int) string {
	st := m.c.Styles
	if m.lab == nil {
		return ""
	}
	if !m.st.HasResources() {
		return st.OK.Render("✓ Nothing from this lab exists any more.")
	}
	out := m.pathPicture(width, true)
	c := m.cost()
	short := m.c.Height < TallHeight
	figures := fmt.Sprintf("$%.2f so far (AWS bills every started hour in full), $%.2f per hour while the interface endpoints exist", c.SoFar, c.PerHour)
	switch {
	case c.Unpriced:
		figures = "the interface endpoints are billed for every hour they exist; " + c.NoPrice()
	case short:
		// One line, so the expiry's line below it leaves 'Press T' on an
		// 80×24 screen: the figures, not the explanation.
		figures = fmt.Sprintf("$%.2f so far, $%.2f/h", c.SoFar, c.PerHour)
	}
	cost := steps.CostSentence(figures, m.c.Sandbox)
	if m.autoTornDown() {
		cost = "The auto-teardown removed the endpoints: nothing bills any more."
	}
	out += "\n\n" + st.Warn.Render(wrapWords(cost, width))
	if n := m.expiryNote(short); n != "" {
		out += "\n" + wrapWords(n, width)
	}
	// Wrapped at spaces: cut, or broken at a hyphen, it would not run.
	out += "\n" + st.Faint.Render(wrapWords("Later, from a shell: "+m.labCmd(" down")+" --yes", width))
	return out
}

// pane is one of the optional boxes under a lab screen.
type pane struct {
	key   key.Binding
	title string
	// body is the pane's lines, at most n of them (n ≥ least).
	body func(n int) []string
	// least is the fewest lines worth showing: fewer say nothing.
	least int
}

// panes are the optional hint, CLI and log boxes, in at most budget lines.
// Each is drawn whole when there is room; otherwise it gives up lines
// (its cut marked), and a box with no room at all is named on a line of
// its own with its key: a pane the learner opened never vanishes without
// a word. cut reports a pane that shows less than it holds (the Whole key
// then shows it all).
func (m *Model) panes(width, budget int) (_ string, cut bool) {
	st := m.c.Styles
	open := m.openPanes(width)
	if len(open) == 0 {
		return "", false
	}
	// A pane's border and title take three lines.
	const frame = 3
	draw := func(p pane, n int) string {
		return st.Pane.Width(width).Render(st.PaneTitle.Render(p.title) + "\n" + strings.Join(p.body(n), "\n"))
	}
	// The most any pane takes: half the window, or its own length.
	most := max(4, m.c.Height/2-4)
	var whole []string
	total := 0
	for _, p := range open {
		whole = append(whole, draw(p, most))
		total += lipgloss.Height(whole[len(whole)-1])
		cut = cut || len(p.body(most)) < len(p.body(wholeHeight))
	}
	if total <= budget {
		return strings.Join(whole, "\n"), cut
	}
	// Not all fit: a line is kept for naming those left out, and each
	// pane in turn takes what it needs of what is left.
	var out []string
	var left []string
	room := budget - 1
	for i, p := range open {
		need := lipgloss.Height(whole[i])
		switch {
		case need <= room:
			out = append(out, whole[i])
			room -= need
		case room >= frame+p.least:
			drawn := draw(p, room-frame)
			out = append(out, drawn)
			room -= lipgloss.Height(drawn)
			cut = true
		default:
			left = append(left, p.key.Help().Key+" "+p.key.Help().Desc)
			cut = true
		}
	}
	if len(left) > 0 {
		note := strings.Join(left, ", ") + ": no room"
		if more := note + "; close a pane or enlarge the window"; lipgloss.Width(more) <= width {
			note = more
		}
		out = append(out, st.Faint.Render(note))
	}
	return strings.Join(out, "\n"), cut
}

// openPanes are the panes the learner opened, in the order they stack.
func (m *Model) openPanes(width int) []pane {
	st := m.c.Styles
	var open []pane
	if m.showHint {
		open = append(open, pane{m.c.Keys.Hint, "Hint", func(n int) []string {
			text := wrapWords(commandsIn(m.keysIn(screens[m.cur].hint), m.labCmd(""), m.labCmd(" down")), width-4)
			return strings.Split(cutLines(text, n, width-4), "\n")
		}, 2})
	}
	if m.showCLI {
		open = append(open, pane{m.c.Keys.CLI, "The same with the AWS CLI", func(n int) []string { return m.cliPaneLines(width-4, n) }, 3})
	}
	if m.showLog {
		open = append(open, pane{m.c.Keys.Log, "API calls", func(n int) []string {
			// The newest calls, six lines at most; when there are earlier
			// ones, the first line counts them: a pane of the last six
			// calls otherwise reads as all the calls there were.
			rows := min(n, 6)
			calls := m.calls
			var lines []string
			if len(calls) > rows {
				calls = calls[len(calls)-(rows-1):]
				lines = append(lines, st.Faint.Render("↑ "+plural(len(m.calls)-len(calls), "earlier call")))
			}
			for _, c := range calls {
				res := st.OK.Render("ok")
				if c.Code != "" {
					res = st.Error.Render(c.Code)
				}
				retry := ""
				if c.Retries > 0 {
					retry = st.Warn.Render(fmt.Sprintf(" %d retries", c.Retries))
				}
				lines = append(lines, truncate(fmt.Sprintf("%s %s:%s %s %s%s", st.Faint.Render(c.Start.Format("15:04:05")), c.Service, c.Operation, st.Faint.Render(c.Duration.Round(time.Millisecond).String()), res, retry), width-4))
			}
			if len(lines) == 0 {
				lines = append(lines, st.Faint.Render("No API calls yet."))
			}
			return lines
		}, 2})
	}
	return open
}

// cliPaneLines is the CLI pane's body in at most n lines: the newest
// commands that fit, the earlier ones counted.
func (m *Model) cliPaneLines(width, n int) []string {
	st := m.c.Styles
	cmds := append([]steps.Command(nil), m.screens[m.cur].commands...)
	// The three endpoints are created at once; show them in the lab's
	// order, not in the order AWS answered.
	rank := func(c steps.Command) int {
		for i, v := range []string{"DKR_VPCE_ID", "API_VPCE_ID", "S3_VPCE_ID"} {
			if c.Capture == v {
				return i
			}
		}
		return 3
	}
	sort.SliceStable(cmds, func(i, j int) bool { return rank(cmds[i]) < rank(cmds[j]) })
	var head []string
	if len(cmds) == 0 && len(m.preview) > 0 {
		cmds = m.preview
		head = strings.Split(st.Warn.Render(wrapWords(m.keysIn("Not run yet: {Next} runs these."), width)), "\n")
		n -= len(head)
	}
	if len(cmds) == 0 {
		return strings.Split(st.Faint.Render(wrapWords("No AWS calls on this screen yet; run it and the equivalent commands appear here.", width)), "\n")
	}
	lines := cliBlocks(st, cmds, width, n, head != nil)
	return append(head, lines...)
}

// cliBlocks is commands in at most n lines: the newest that fit, the
// earlier ones counted; or, for commands not run yet (first), the first
// that fit, the later ones counted.
func cliBlocks(st Styles, cmds []steps.Command, width, n int, first bool) []string {
	blocks := make([][]string, len(cmds))
	total := 0
	for i, c := range cmds {
		blocks[i] = cliLines(st, c, width)
		total += len(blocks[i])
	}
	if total <= n {
		var lines []string
		for _, b := range blocks {
			lines = append(lines, b...)
		}
		return lines
	}
	var lines []string
	shown := 0
	if first {
		// What runs first, over a line counting the rest.
		for i := 0; i < len(blocks) && len(lines)+len(blocks[i]) <= n-1; i++ {
			lines = append(lines, blocks[i]...)
			shown++
		}
		if shown == 0 && n >= 3 {
			lines = append(append([]string{}, blocks[0][:n-2]...), st.Faint.Render("…"))
			shown = 1
		}
		if later := len(blocks) - shown; later > 0 {
			lines = append(lines, st.Faint.Render("↓ "+plural(later, "more command")))
		}
		return lines
	}
	// The newest that fit, under a line counting the others.
	for i := len(blocks) - 1; i >= 0 && len(lines)+len(blocks[i]) <= n-1; i-- {
		lines = append(append([]string{}, blocks[i]...), lines...)
		shown++
	}
	if shown == 0 && n >= 3 {
		// Not even the newest fits whole: its start, marked.
		newest := blocks[len(blocks)-1]
		lines = append(append([]string{}, newest[:n-2]...), st.Faint.Render("…"))
		shown = 1
	}
	if earlier := len(blocks) - shown; earlier > 0 {
		lines = append([]string{st.Faint.Render("↑ " + plural(earlier, "earlier command"))}, lines...)
	}
	return lines
}

func (m *Model) noAccountView() string {
	st := m.c.Styles
	why := m.detection.Problem
	if why == "" {
		why = "No AWS credentials were found on this machine."
	}
	where := ""
	if m.detection.Where != "" {
		where = st.Faint.Render(wrapWords("Here: "+m.detection.Where+".", m.c.Width-4)) + "\n\n"
	}
	return "\n" + indent(st.Title.Render("No AWS account here")+"\n\n"+where+
		wrapWords(why+" You can still do the whole lab: the sandbox is a replica of the lab's part of AWS that runs on this machine, answers the same API calls, and costs nothing.", m.c.Width-4)+
		"\n\n"+st.Action.Render(m.keysIn("Press {Sandbox} to start the sandbox, or {Quit} to quit."))+
		"\n"+st.Faint.Render(wrapWords(useAccount(m.detection.Fix), m.c.Width-4)), 2)
}

// useAccount says how to use an AWS account instead of the sandbox.
func useAccount(fix string) string {
	if fix == "" {
		fix = "configure credentials (aws configure, aws sso login, or an instance role)"
	}
	return "To use your account instead: " + fix + ", then run ecr-vpce-lab again."
}

// chooseRunView lists the runs found by their tags when the state file is
// gone, one to carry on with.
func (m *Model) chooseRunView() string {
	st := m.c.Styles
	w := m.c.Width - 4
	c := m.runChoice
	if c == nil {
		c = &steps.RunChoiceError{}
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Which run is yours?") + "\n\n")
	b.WriteString(wrapWords(fmt.Sprintf("There is no state file here, yet %d runs of this lab were found in %s by their tags "+
		"(a state file goes when a CloudShell home is wiped after idling, or when it is deleted). "+
		"Choose the one to carry on with: the wizard rebuilds its state from what exists, then offers to resume it or tear it down.",
		len(c.Runs), c.Region), w) + "\n\n")
	for i, r := range c.Runs {
		line := wrapWords(r.Describe(m.now), w-2)
		line = strings.ReplaceAll(line, "\n", "\n  ")
		if i == m.runCursor {
			b.WriteString(st.Action.Render("> ") + line + "\n")
		} else {
			b.WriteString("  " + st.Faint.Render(line) + "\n")
		}
	}
	b.WriteString("\n" + st.Faint.Render(wrapWords("The others stay as they are: 'ecr-vpce-lab down --run ID' removes one, 'down --all' every run.", w)))
	return "\n" + indent(b.String(), 2)
}

func (m *Model) resumeView() string {
	st := m.c.Styles
	s := m.st
	var done, skipped, unproven []string
	for i := scrPreflight; i < scrFinish; i++ {
		switch m.screens[i].status {
		case steps.StatusDone:
			done = append(done, screens[i].title)
		case steps.StatusSkipped:
			skipped = append(skipped, screens[i].title)
		case steps.StatusUnproven:
			unproven = append(unproven, screens[i].title)
		}
	}
	body := st.Title.Render("Welcome back") + "\n\n" +
		wrapWords(fmt.Sprintf("A run of this lab started %s is saved (run %s).", s.Started.Format("Mon 15:04"), s.RunID), m.c.Width-4) + "\n"
	if len(done) > 0 {
		body += st.Faint.Render(wrapWords("Done: "+strings.Join(done, ", "), m.c.Width-4)) + "\n"
	}
	// Not passed either way: a step the lab went on without, and a test
	// that ran around the endpoints.
	if len(skipped) > 0 {
		body += st.Warn.Render(wrapWords(steps.StatusSkipped.Mark()+" Skipped: "+strings.Join(skipped, ", "), m.c.Width-4)) + "\n"
	}
	if len(unproven) > 0 {
		body += st.Warn.Render(wrapWords(steps.StatusUnproven.Mark()+" Not proven: "+strings.Join(unproven, ", "), m.c.Width-4)) + "\n"
	}
	if t := s.TeardownStarted; !t.IsZero() {
		// Its records list what may be gone: say so, not what they say.
		stopped := fmt.Sprintf("A teardown of it began %s and was stopped before the end: some of it is gone, and what is left may still be billing.", t.Format("Mon 15:04"))
		if m.c.Sandbox {
			stopped = fmt.Sprintf("A teardown of it began %s and was stopped before the end: some of it is gone, and on AWS what is left might still be billing; the sandbox bills nothing.", t.Format("Mon 15:04"))
		}
		body += st.Warn.Render(wrapWords(stopped, m.c.Width-4)) + "\n"
	} else if c := m.cost(); c.InterfaceEndpoints > 0 {
		bill := fmt.Sprintf("$%.2f so far, $%.2f per hour", c.SoFar, c.PerHour)
		if c.Unpriced {
			bill = "billed by the hour; " + c.NoPrice()
		}
		running := "Its endpoints are running (" + steps.OnAWS(bill, m.c.Sandbox) + ")."
		body += st.Warn.Render(wrapWords(running, m.c.Width-4)) + "\n"
	}
	body += "\n" + m.dialogKeys(m.c.Width-4)
	return "\n" + indent(body, 2)
}

func (m *Model) teardownView(height int) string {
	st := m.c.Styles
	w := m.c.Width - 4
	title := st.Title.Render("Tear down")
	intro := "Everything the lab made goes, in the order AWS needs: the endpoints first, then, once their network interfaces are released, the rule and the security group; then the pushed tag, the local image copy and the lab's lines in ~/.ecr_security."
	if m.c.Height < TallHeight {
		intro = "The endpoints go first; the rule and the security group once the endpoints' network interfaces are released."
	}
	intro = wrapWords(intro, w)
	var lines []ResourceLine
	if !(len(m.teardown) == 0 && m.busy()) {
		lines = derefLines(m.teardown)
		if m.c.Height < TallHeight {
			// A short screen keeps one line per resource, so the verdict
			// under them stays in view: the way each went (deleting →
			// deleted → released) and notes that are not errors go (a
			// cut ID of a line at work or failed still goes beneath it).
			for i := range lines {
				lines[i].Past, lines[i].Detail = nil, ""
			}
		}
	}
	var b strings.Builder
	if m.tdErr != "" {
		b.WriteString("\n\n" + st.Error.Render("✗ ") + wrapIndent(m.tdErr, w-2, "  "))
		if m.tdFix != "" {
			b.WriteString("\n" + st.Action.Render("→ ") + wrapIndent(m.tdFix, w-2, "  "))
		}
	}
	if r := m.tdReport; r != nil {
		if r.Nothing() && m.tdErr == "" {
			b.WriteString("\n\n" + st.OK.Render("✓ ") + st.OK.Render(wrapIndent("Nothing left: no resource tagged by this lab remains, and nothing is billing.", w-2, "  ")))
		} else if len(r.Left) > 0 {
			var ids []string
			for _, x := range r.Left {
				ids = append(ids, x.ID)
			}
			b.WriteString("\n\n" + st.Error.Render(wrapIndent("✗ Still there: "+strings.Join(ids, ", "), w, "  ")))
			again := wrapWords(m.keysIn("in a minute, press {Retry} to tear down again (later, from a shell: '"+m.labCmd(" down")+" --yes'); it picks up where this stopped"), w-2)
			b.WriteString("\n" + st.Action.Render("→ "+strings.ReplaceAll(again, "\n", "\n  ")))
		}
		next := m.afterTeardownLabel()
		b.WriteString("\n\n")
		if m.teardownStoppedShort() {
			// What stays if the learner goes now, in the words of the
			// note printed on leaving, right above the way out.
			if left := m.leftBehind(); left != "" {
				b.WriteString(st.Warn.Render(wrapIndent(left, w, "")) + "\n")
			}
			again := "Press {Retry} to tear down again, or {Next} to " + next + "."
			if m.afterTD != nil {
				// Starting over waits for a teardown that removes it all.
				again = "Press {Retry} to tear down again (then {Next} starts a new run), or {Next} now to " + next + "."
			}
			b.WriteString(st.Action.Render(wrapWords(m.keysIn(again), w)))
		} else {
			b.WriteString(st.Action.Render(m.keysIn("Press {Next} to " + next + ".")))
		}
	}
	tail := b.String()
	list := func(folded int) string {
		if len(lines) == 0 {
			if !m.busy() {
				return ""
			}
			return st.Spinner.Render(m.frame()) + " looking for what to remove…"
		}
		out := RenderResourceLines(st, lines[folded:], m.linesFrame(), m.now, w)
		if folded > 0 {
			var names []string
			for _, l := range lines[:folded] {
				names = append(names, cmp.Or(l.Short, l.Label))
			}
			out = st.OK.Render("✓ ") + st.Faint.Render(truncate(fmt.Sprintf("%d done: %s", folded, strings.Join(names, ", ")), w-2)) + "\n" + out
		}
		return out
	}
	note := ""
	if m.tdNote != "" && m.busy() && len(lines) > 0 {
		// What the teardown waits for meanwhile (EC2's reads lagging
		// its writes): a pause with nothing moving looks like a hang.
		note = "\n" + st.Spinner.Render(m.frame()) + " " + st.Faint.Render(wrapIndent(m.tdNote, w-2, "  "))
	}
	body := list(0) + note
	top := "\n"
	if m.c.Height < TallHeight {
		top = "" // every line counts on a small screen
	}
	tall := func() int {
		return lipgloss.Height(top) - 1 + 1 + lipgloss.Height(intro) + 1 + lipgloss.Height(body) + lipgloss.Height(tail) - 1
	}
	if over := tall() - height; over > 0 {
		intro = cutLines(intro, max(1, lipgloss.Height(intro)-over), w)
	}
	if over := tall() - height; over > 0 && len(lines) > 0 {
		// The lines already done fold into one, first to last: what is
		// still at work, what failed and the verdict stay.
		done := 0
		for done < len(lines) && !lines[done].Ended.IsZero() && lines[done].Err == "" && !lines[done].State.Failed() {
			done++
		}
		if fold := min(done, over+1); fold >= 2 {
			body = list(fold) + note
		}
	}
	return top + indent(title+"\n"+intro+"\n\n"+body+tail, 2)
}

func derefLines(ls []*ResourceLine) []ResourceLine {
	out := make([]ResourceLine, len(ls))
	for i, l := range ls {
		out[i] = *l
	}
	return out
}

func (m *Model) confirmTeardownView(height int) string {
	st := m.c.Styles
	title := "Tear down everything?"
	if m.afterTD != nil {
		title = "Tear down everything and start over?"
	}
	// The box's border and padding take 6 columns, its margin 2; its
	// words are wrapped to that, never cut at the screen's edge.
	w := max(20, min(62, m.c.Width-8))
	para := func(s string) string { return wrapWords(s, w) + "\n\n" }
	msg := st.Error.Render(title) + "\n\n" + para(m.teardownWhat())
	if m.autoTornDown() {
		// Say what is really left to remove.
		what := "The auto-teardown removed the endpoints, the rule and the security group. Its IAM role, any pushed tag and the saved run will be deleted. This cannot be undone."
		if m.expLook.groupLeft {
			what = "The auto-teardown removed the endpoints. The rule, the security group, the IAM role, any pushed tag and the saved run will be deleted. This cannot be undone."
		}
		msg = st.Error.Render("Tidy up what is left?") + "\n\n" + para(what)
	}
	if names := m.st.VPCDNS.Names(); len(names) > 0 {
		msg += para(fmt.Sprintf("The lab turned on %s in %s: y turns them back off, as they were; k keeps them on (other endpoints may want them).",
			strings.Join(names, " and "), m.st.VPCDNS.VpcID))
	}
	msg += m.dialogKeys(w)
	return lipgloss.Place(m.c.Width, height, lipgloss.Center, lipgloss.Center, st.Confirm.Render(msg))
}

// teardownWhat says what a teardown will delete and what it keeps, and
// why, from the plan the teardown follows (steps.PlanTeardown): a run
// that has made nothing is not told its endpoints will go, nor one that
// adopted an endpoint that it goes.
func (m *Model) teardownWhat() string {
	return steps.PlanTeardown(m.st).Sentence() + " This cannot be undone."
}

// commandsIn fills {Again} and {Down} in a text with the command lines
// that reopen (again) and remove (down) this lab.
func commandsIn(s, again, down string) string {
	return strings.NewReplacer("{Again}", again, "{Down}", down).Replace(s)
}

func (m *Model) confirmQuitView(height int) string {
	st := m.c.Styles
	// What stays after the quit, and what it bills, in the lab's words
	// (those of the note printed on leaving, and of the headless
	// commands): work in progress stops, but what it made stays.
	left := m.leftover()
	busy := ""
	switch {
	case m.busy() && m.op.kind == opTeardown:
		busy = "The teardown stops safely where it is, and is saved."
	case m.busy():
		busy = "Work is in progress; it stops safely and is saved."
	}
	w := max(20, min(56, m.c.Width-8))
	again := wrapWords("Run '"+m.labCmd("")+"' again to resume, or '"+m.downCmd()+"' to clean up.", w)
	box := st.Confirm.BorderForeground(m.c.Styles.Highlight)
	dialog := func(box lipgloss.Style, why, again string) string {
		return box.Render(st.Warn.Render("Quit the lab?") + "\n\n" + wrapWords(strings.TrimSpace(why), w) + again + "\n\n" + m.dialogKeys(w))
	}
	// A short window keeps the question, what stays and what it bills,
	// and the keys: the box's blank lines go first, then the commands
	// (the note printed on leaving says them again), then that the work
	// stops safely, then when the auto-teardown removes it (the note
	// says it).
	tight := box.PaddingTop(0).PaddingBottom(0)
	var out string
	for _, d := range []struct {
		box        lipgloss.Style
		why, again string
	}{
		{box, busy + " " + left.Head(), "\n" + again},
		{tight, busy + " " + left.Head(), "\n" + again},
		{tight, busy + " " + left.Head(), ""},
		{tight, left.Head(), ""},
		{tight, left.There, ""},
	} {
		if strings.TrimSpace(d.why) == "" {
			// The work the dialog was opened for (a teardown) has ended
			// under it, and left nothing.
			d.why = cmp.Or(busy, "Nothing of this run is left.")
		}
		if out = dialog(d.box, d.why, d.again); lipgloss.Height(out) <= height {
			break
		}
	}
	return lipgloss.Place(m.c.Width, height, lipgloss.Center, lipgloss.Center, out)
}

// cliLines lays a command out as a shell would accept it: one option per
// line with continuations, each line wrapped to width (wrapShell), never
// cut.
func cliLines(st Styles, c steps.Command, width int) []string {
	var out []string
	if c.Comment != "" {
		for _, l := range strings.Split(wrapIndent("# "+c.Comment, width, "# "), "\n") {
			out = append(out, st.Faint.Render(l))
		}
	}
	var lines []string
	if c.Shell != "" || len(c.Args) == 0 {
		lines = strings.Split(c.String(), "\n")
	} else {
		var groups []string
		cur := ""
		for _, a := range c.Args {
			q := steps.ShellQuote(a)
			if strings.HasPrefix(a, "--") && cur != "" {
				groups = append(groups, cur)
				cur = "  " + q
				continue
			}
			if cur == "" {
				cur = q
			} else {
				cur += " " + q
			}
		}
		groups = append(groups, cur)
		if c.Capture != "" {
			groups[0] = c.Capture + "=$(" + groups[0]
			groups[len(groups)-1] += ")"
		}
		for i, g := range groups {
			if i < len(groups)-1 {
				g += " \\"
			}
			lines = append(lines, g)
		}
	}
	for _, l := range lines {
		for _, w := range wrapShell(l, width) {
			out = append(out, st.Code.Render(w))
		}
	}
	return out
}

// wrapShell fits a shell command line to width, breaking it only at
// spaces outside single quotes, each broken line ending in a backslash, so
// the lines still run as one command when copied. Inside double quotes (a
// $(…) in a test) the next line starts at its first column: a backslash
// and newline vanish there, the indent would not. A word wider than the
// pane is broken where it must, never cut short.
func wrapShell(line string, width int) []string {
	if lipgloss.Width(line) <= width || width < 8 {
		return []string{line}
	}
	lead := line[:len(line)-len(strings.TrimLeft(line, " "))]
	type word struct {
		text   string
		quoted bool // the space before it is inside double quotes
	}
	var words []word
	var single, double, quotedSpace bool
	start := len(lead)
	for i, r := range line {
		switch {
		case i < len(lead):
		case single:
			single = r != '\''
		case r == '\'':
			single = true
		case r == '"':
			double = !double
		case r == ' ':
			if i > start {
				words = append(words, word{line[start:i], quotedSpace})
			}
			start, quotedSpace = i+1, double
		}
	}
	if start < len(line) {
		words = append(words, word{line[start:], quotedSpace})
	}
	var out []string
	cur := lead
	for _, w := range words {
		switch {
		case strings.TrimSpace(cur) == "":
			cur += w.text
		case lipgloss.Width(cur)+1+lipgloss.Width(w.text)+2 <= width || w.text == "\\" && lipgloss.Width(cur)+2 <= width:
			cur += " " + w.text
		case w.text == "\\":
			// The line's own continuation ends the line it continues, even
			// one too wide (broken below): alone on a line of its own it
			// reads as a stray mark.
			cur += " \\"
		case w.quoted:
			out = append(out, cur+" \\")
			cur = w.text
		default:
			out = append(out, cur+" \\")
			cur = lead + "    " + w.text
		}
	}
	out = append(out, cur)
	var fitted []string
	for _, l := range out {
		if lipgloss.Width(l) <= width {
			fitted = append(fitted, l)
			continue
		}
		fitted = append(fitted, strings.Split(ansi.Hardwrap(l, width, false), "\n")...)
	}
	return fitted
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// vpcBlocks names the VPC's CIDR blocks: the primary one, and the others
// when it has more (the workspace may be in one of those).
func vpcBlocks(primary string, all []string) string {
	if len(all) > 1 {
		return strings.Join(all, ", ")
	}
	return primary
}

// gatewayTable is the route table the S3 gateway goes on.
func gatewayTable(ws steps.Workspace) string {
	id, _, _ := ws.GatewayRouteTable()
	return id
}
