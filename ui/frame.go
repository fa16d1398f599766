package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/steps"
)

// StepItem is one row of the step list.
type StepItem struct {
	Title  string
	Status steps.StepStatus
}

// Minimum terminal size; below it the wizard only says how big it needs to be.
const (
	MinWidth  = 60
	MinHeight = 16
	// Below these the step list folds into one progress line.
	WideWidth  = 110
	TallHeight = 30
)

func (st Styles) stepMark(s steps.StepStatus, frame string) string {
	switch s.Tone() {
	case steps.ToneBusy:
		return st.Spinner.Render(frame)
	case steps.ToneGood:
		return st.StepDone.Render(s.Mark())
	case steps.ToneBad:
		return st.StepFailed.Render(s.Mark())
	case steps.ToneNotice:
		// Skipped or stopped: settled, but not a pass.
		return st.Warn.Render(s.Mark())
	}
	return st.StepPending.Render(s.Mark())
}

// headerPart is one fact at the header's right (the cost so far, the rate,
// the time left); a narrow header drops the lowest rank first.
type headerPart struct {
	text string
	rank int
}

// renderHeader is the top bar: mode badge, identity, the running cost and
// the time left. Narrow, the facts at the right go before the account: the
// cost is the one sign that something bills, and the account is said on
// the first screen.
func renderHeader(st Styles, sandbox bool, account, region string, parts []headerPart, width int) string {
	var whos []string // the identity, longest first
	if account != "" || region != "" {
		whos = append(whos, st.HeaderFaint.Render(fmt.Sprintf(" %s · %s ", orDash(account), orDash(region))))
	}
	return fitHeader(st, sandbox, region, whos, parts, width)
}

// fitHeader is renderHeader with the longer forms of the identity given
// (whos): the region alone, and nothing, follow them.
func fitHeader(st Styles, sandbox bool, region string, whos []string, parts []headerPart, width int) string {
	badge := st.ModeAWS.Render("AWS")
	if sandbox {
		badge = st.ModeSandbox.Render("SANDBOX")
	}
	title := st.Header.Bold(true).Render("ecr-vpce-lab")
	if region != "" {
		whos = append(whos, st.HeaderFaint.Render(" "+region+" "))
	}
	whos = append(whos, "")
	right := func(parts []headerPart) string {
		var ts []string
		for _, p := range parts {
			ts = append(ts, p.text)
		}
		if len(ts) == 0 {
			return ""
		}
		return st.Cost.Render(" " + strings.Join(ts, " · ") + " ")
	}
	left, r := badge+title+whos[0], ""
	for _, who := range whos {
		kept := parts
		gap := width - lipgloss.Width(badge+title+who) - lipgloss.Width(right(kept))
		// The least telling part goes first (the rate, which the
		// endpoints screen states, before the time left and the cost
		// so far).
		for gap < 0 && len(kept) > 1 {
			low := 0
			for i, p := range kept {
				if p.rank < kept[low].rank {
					low = i
				}
			}
			kept = append(kept[:low:low], kept[low+1:]...)
			gap = width - lipgloss.Width(badge+title+who) - lipgloss.Width(right(kept))
		}
		if gap >= 0 {
			left, r = badge+title+who, right(kept)
			break
		}
	}
	gap := max(0, width-lipgloss.Width(left)-lipgloss.Width(r))
	return truncate(left+st.HeaderFaint.Render(strings.Repeat(" ", gap))+r, width)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// renderSidebar is the step list, current step highlighted.
func renderSidebar(st Styles, items []StepItem, current int, frame string, width int) string {
	var rows []string
	for i, it := range items {
		num := st.Faint.Render(fmt.Sprintf("%2d ", i+1))
		title := it.Title
		if it.Status == steps.StatusSkipped || it.Status == steps.StatusUnproven {
			title += " " + it.Status.Label()
		}
		row := num + st.stepMark(it.Status, frame) + " "
		switch {
		case i == current:
			row += st.StepCurrent.Render(pad(title, width-6))
		case it.Status == steps.StatusPending:
			row += st.StepPending.Render(title)
		default:
			row += title
		}
		rows = append(rows, row)
	}
	return strings.Join(rows, "\n")
}

// renderCompactProgress folds the step list into one line for small
// terminals: "Step 6/10 Endpoints  ✓✓✓✓✓▘····".
func renderCompactProgress(st Styles, items []StepItem, current int, frame string, width int) string {
	var marks strings.Builder
	for _, it := range items {
		marks.WriteString(st.stepMark(it.Status, frame))
	}
	title := ""
	if current >= 0 && current < len(items) {
		title = items[current].Title
	}
	line := fmt.Sprintf("%s %s  %s", st.Faint.Render(fmt.Sprintf("Step %d/%d", current+1, len(items))), st.StepActive.Render(title), marks.String())
	var skipped, unproven []string
	for i, it := range items {
		switch it.Status {
		case steps.StatusSkipped:
			skipped = append(skipped, fmt.Sprint(i+1))
		case steps.StatusUnproven:
			unproven = append(unproven, fmt.Sprint(i+1))
		}
	}
	// "– skipped: 7  ? not proven: 8", or on a narrow window "– 7  ? 8"
	// rather than a cut that keeps the first word and loses the numbers.
	tail := func(words bool) string {
		var out string
		for _, g := range []struct {
			s    steps.StepStatus
			nums []string
		}{{steps.StatusSkipped, skipped}, {steps.StatusUnproven, unproven}} {
			if len(g.nums) == 0 {
				continue
			}
			out += "  " + g.s.Mark() + " "
			if words {
				out += g.s.Label() + ": "
			}
			out += strings.Join(g.nums, ", ")
		}
		return out
	}
	if t := tail(true); lipgloss.Width(line+t) <= width {
		return line + st.Warn.Render(t)
	}
	return truncate(line+st.Warn.Render(tail(false)), width)
}

// renderTooSmall asks for a bigger terminal.
func renderTooSmall(st Styles, width, height int) string {
	// Wrapped, not cut: a cut "60×16" would read as another size.
	w := max(width, 1)
	msg := st.TooSmall.Render(wrapWords("The terminal is too small", w)) + "\n" +
		wrapWords(fmt.Sprintf("It is %d×%d; the lab needs at least %d×%d.", width, height, MinWidth, MinHeight), w) + "\n" +
		st.Faint.Render(wrapWords("Enlarge the window, or run the headless commands (ecr-vpce-lab up --help).", w))
	return lipgloss.Place(max(width, 1), max(height, 1), lipgloss.Center, lipgloss.Center, msg)
}
