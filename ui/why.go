package ui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// "Why was this refused?" in the wizard: x on the push and list screens,
// and after a failed step whose error is a refusal, asks the engine to
// explain it (the same explanation as `ecr-vpce-lab explain`) and shows
// it over the screen: what refused, the policy statement by statement, the
// smallest edit as a JSON diff, or where to look when no endpoint policy
// can be the cause.

// whyInput is what x explains on the current screen, and false when there
// is nothing to explain.
func (m *Model) whyInput() (steps.ExplainInput, bool) {
	if m.phase != phaseLab || m.lab == nil {
		return steps.ExplainInput{}, false
	}
	var names []steps.TestName
	switch m.cur {
	case scrPush:
		names = []steps.TestName{steps.PushTest}
	case scrList:
		names = []steps.TestName{steps.ListTest, steps.PullTest}
	}
	for _, n := range names {
		t, ok := m.tests[n]
		if !ok || t.Outcome.Allowed || t.Outcome.Message == "" {
			continue
		}
		text := t.Outcome.Message
		if t.Outcome.Code == "DENIED" {
			text = "denied: " + text
		}
		return steps.ExplainInput{Text: text, Operation: string(n), Repo: t.Repository}, true
	}
	sc := m.screens[m.cur]
	if sc.status == steps.StatusFailed && sc.err != "" && steps.IsRefusal(sc.err) {
		return steps.ExplainInput{Text: sc.err}, true
	}
	return steps.ExplainInput{}, false
}

// openWhy asks the engine to explain in (an operation: it reads the live
// policies) and opens the overlay, which shows it once it comes.
func (m *Model) openWhy(in steps.ExplainInput) tea.Cmd {
	m.openScroll(nil, nil, false)
	return m.start(opExplain, "", m.explainOp(in))
}

// showLines opens the overlay on lines made elsewhere (a check's requests).
func (m *Model) showLines(lines []string) { m.openScroll(nil, lines, false) }

// showWhy opens the overlay on an explanation at hand (a challenge's
// failed request, traced by the simulation).
func (m *Model) showWhy(ex *steps.Explanation) { m.openScroll(ex, nil, false) }

// showWhole opens the overlay on the current screen whole, as a window
// tall enough would draw it: what a small window cut short (a warning, a
// failed step's fix), to read in full. It is drawn afresh each time, so
// it follows the window's width and what the screen says.
func (m *Model) showWhole() { m.openScroll(nil, nil, true) }

// openScroll opens the scrolling overlay on one of what it shows, at its
// first line.
func (m *Model) openScroll(ex *steps.Explanation, lines []string, whole bool) {
	m.why, m.whyErr, m.whyScroll, m.whyText, m.whole = ex, "", 0, lines, whole
	m.overlay = overlayWhy
}

// scrollWhy moves the overlay to first line top, kept where there is
// something to show: the last page ends on the last line.
func (m *Model) scrollWhy(top int) {
	lines, room, _ := m.whyLayout(m.bodyHeight())
	m.whyScroll = max(0, min(top, len(lines)-room))
}

// whyPage is how many lines pgup and pgdn move: a page, less a line the
// reader keeps in sight.
func (m *Model) whyPage() int {
	_, room, _ := m.whyLayout(m.bodyHeight())
	return max(1, room-1)
}

// whyDone receives an explanation.
func (m *Model) whyDone(ex *steps.Explanation, err error) {
	if err != nil {
		m.whyErr = errText(err) + orEmpty(" → ", fixOf(err))
		return
	}
	m.why = ex
}

// whyLines lays an explanation out for the overlay, in width columns.
func (m *Model) whyLines(ex *steps.Explanation, width int) []string {
	st := m.c.Styles
	var out []string
	add := func(s string) { out = append(out, strings.Split(s, "\n")...) }
	// Break at spaces and slashes, not at the colon of an action
	// (ecr:PutImage); the lab's ARNs are shortened to …:repository/….
	wrap := func(s string, style lipgloss.Style) { add(style.Render(wrapAt(m.shortARNs(s), width, " /"))) }
	what := ex.Refusal.Action
	if ex.Request != nil {
		what = ex.Request.Action
	}
	if what == "" {
		what = ex.Kind
	}
	add(st.Title.Render("Why: " + what))
	if ex.Request != nil {
		via := string(ex.Endpoint) + " " + ex.EndpointID
		if !ex.Through {
			via = string(ex.Endpoint) + " (the public path: no endpoint policy on the way)"
		}
		add(st.Faint.Render(truncate("on "+m.shortARN(ex.Request.Resource)+", through "+via, width)))
	}
	add("")
	style := st.OK
	if ex.Agrees {
		style = st.Error
	}
	wrap(ex.Cause, style)
	if tr := ex.Trace; tr != nil {
		add("")
		add(st.PaneTitle.Render(strings.ToUpper(tr.Type.Label()[:1]) + tr.Type.Label()[1:] + ", statement by statement"))
		for _, s := range tr.Statements {
			mark, tone := steps.StatementMark(s)
			add(st.statementStyle(tone).Render(truncate(fmt.Sprintf("%s %s (%s)", mark, s.Label, s.Effect), width)))
			for _, c := range s.Checks {
				if c.Written == "" && c.Matched {
					continue
				}
				cm := st.OK.Render("✓")
				if !c.Matched {
					cm = st.Error.Render("✗")
				}
				add("  " + cm + " " + wrapIndent(string(c.Element)+": "+m.shortARNs(c.Why), width-4, "    "))
			}
		}
	}
	if ex.Edit != nil {
		add("")
		what := "Smallest edit that lets it through: "
		if ex.Edit.Result != policy.ResultAllow {
			what = "Smallest edit that refuses it: "
		}
		wrap(what+ex.Edit.Summary, st.Action)
		for _, l := range diffContext(ex.Diff, 2) {
			switch l.Op {
			case '-':
				add(st.Deny.Render(truncate("- "+l.Text, width)))
			case '+':
				add(st.Allow.Render(truncate("+ "+l.Text, width)))
			case 0:
				add(st.Faint.Render("  …"))
			default:
				add(st.Faint.Render(truncate("  "+l.Text, width)))
			}
		}
	}
	if len(ex.Look) > 0 {
		add("")
		if ex.EndpointPossible {
			add(st.PaneTitle.Render("Where else to look"))
		} else {
			add(st.PaneTitle.Render("No endpoint policy can have refused this. Where to look"))
		}
		for _, l := range ex.Look {
			add("- " + wrapIndent(l, width-2, "  "))
		}
	}
	for _, n := range ex.Notes {
		wrap("note: "+n, st.Faint)
	}
	return out
}

// diffContext keeps the changed lines of a diff and n lines around each,
// with an Op 0 line where lines were left out.
func diffContext(diff []policy.DiffLine, n int) []policy.DiffLine {
	keep := make([]bool, len(diff))
	for i, l := range diff {
		if l.Op != ' ' {
			for j := max(0, i-n); j <= min(len(diff)-1, i+n); j++ {
				keep[j] = true
			}
		}
	}
	var out []policy.DiffLine
	gap := false
	for i, l := range diff {
		if !keep[i] {
			gap = true
			continue
		}
		if gap && len(out) > 0 {
			out = append(out, policy.DiffLine{Op: 0})
		}
		gap = false
		out = append(out, l)
	}
	return out
}

// whyView is the overlay: the explanation, scrolled, in a box.
func (m *Model) whyView(height int) string {
	lines, room, foot := m.whyLayout(height)
	// A window made taller since the last scroll shows more, from as far
	// up as the last page needs.
	top := max(0, min(m.whyScroll, len(lines)-room))
	shown := lines[top:min(len(lines), top+room)]
	return indent(strings.Join(shown, "\n")+"\n\n"+foot(top, len(shown)), 2)
}

// whyLayout is what the overlay shows in height lines: all its lines, how
// many of them fit (room), and its foot for the lines shown: where the
// reader is and the keys.
func (m *Model) whyLayout(height int) (lines []string, room int, foot func(top, shown int) string) {
	st := m.c.Styles
	w := m.c.Width - 6
	switch {
	case m.whole:
		lines = m.wholeLines(w)
	case m.whyText != nil:
		lines = m.whyText
	case m.whyErr != "":
		lines = []string{st.Title.Render("Why?"), "", st.Error.Render("✗ ") + wrapIndent(m.whyErr, w-2, "  ")}
	case m.why == nil:
		lines = []string{st.Title.Render("Why?"), "", st.Spinner.Render(m.frame()) + " reading the policies in force…"}
	default:
		lines = m.whyLines(m.why, w)
	}
	// The lines, a blank line and the keys fill the body; on a narrow
	// window the keys take two lines rather than lose their end.
	keys := func(where string) string {
		keys := m.dialogKeys(max(20, m.c.Width-4-lipgloss.Width(where)))
		return where + strings.ReplaceAll(keys, "\n", "\n"+strings.Repeat(" ", lipgloss.Width(where)))
	}
	where := func(top, shown int) string {
		if len(lines) <= room {
			return ""
		}
		return st.Faint.Render(fmt.Sprintf("lines %d-%d of %d  ", top+1, top+shown, len(lines)))
	}
	for footH := 1; ; footH++ {
		room = max(3, height-1-footH)
		// The longest "where" the foot can say, so the foot's height does
		// not change as the reader scrolls.
		widest := where(len(lines)-1, 1)
		if lipgloss.Height(keys(widest)) <= footH || footH >= 3 {
			break
		}
	}
	return lines, room, func(top, shown int) string { return keys(where(top, shown)) }
}

// explainOp runs the engine's explanation.
func (m *Model) explainOp(in steps.ExplainInput) func(ctx context.Context, lab *steps.Lab) opResult {
	return func(ctx context.Context, lab *steps.Lab) opResult {
		ex, err := lab.Explain(ctx, in)
		return opResult{err: err, explanation: &ex}
	}
}

// shortARNs is shortARN for every ECR ARN of this lab in a sentence.
func (m *Model) shortARNs(s string) string {
	prefix := "arn:" + policy.PartitionOf(m.st.Region) + ":ecr:" + m.st.Region + ":" + m.st.Account + ":"
	if m.st.Account == "" {
		return s
	}
	return strings.ReplaceAll(s, prefix, "…:")
}

// statementStyle draws a statement's tone (steps.StatementMark) in the
// colours of the verdicts: a deciding Allow green, a deciding Deny red.
func (st Styles) statementStyle(t steps.Tone) lipgloss.Style {
	switch t {
	case steps.ToneGood:
		return st.Allow
	case steps.ToneBad:
		return st.Deny
	case steps.ToneNotice:
		return st.Warn
	}
	return st.Faint
}
