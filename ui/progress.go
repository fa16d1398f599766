package ui

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// ResourceLine is one row of a Copilot-style progress list: a resource, its
// state with a spinner while it changes, and how long it has taken.
type ResourceLine struct {
	Label   string // "ecr.dkr interface endpoint"
	Short   string // "ecr.dkr": the label on a narrow screen ("" is Label)
	ID      string // "vpce-0abc…", empty until known
	State   steps.ResourceState
	Detail  string // e.g. the ENI addresses
	Started time.Time
	Ended   time.Time // zero while in progress
	Err     string
	Fix     string
	// Past are the states the resource went through before this one
	// (deleting, then deleted, then waiting for its interfaces).
	Past []steps.ResourceState
}

// busy reports whether the line's state is still changing: it has started
// and not ended.
func (r ResourceLine) busy() bool {
	return !r.Started.IsZero() && r.Ended.IsZero() && r.Err == ""
}

// stateStyle colours a resource state: red when it failed, magenta while it
// goes away, yellow while anything else moves, faint once it is gone or
// left alone, green when it is in place.
func (s Styles) stateStyle(state steps.ResourceState) lipgloss.Style {
	switch {
	case state.Failed():
		return s.StateFailed
	case state.Removing():
		return s.StateDeleting
	case !state.Settled(), state == "":
		return s.StatePending
	case state.Removed(), state == steps.ResKept:
		return s.StateDeleted
	}
	return s.StateAvailable
}

// RenderResourceLines draws the lines. frame is the spinner's current frame,
// so every busy line spins in step; "" when nothing watches them: a line
// still changing then has a still mark and no running time.
func RenderResourceLines(st Styles, lines []ResourceLine, frame string, now time.Time, width int) string {
	labelW, idW, stateW := 0, 0, 0
	for _, l := range lines {
		labelW = max(labelW, lipgloss.Width(l.Label))
		idW = max(idW, lipgloss.Width(l.ID))
		stateW = max(stateW, len(l.State.Label())+len(" [00.0s]"))
	}
	// The state and its elapsed time are what a line is for: when the
	// columns would push them off a narrow screen, long IDs (a schedule's
	// or a role's name) are cut in the middle first, then the labels take
	// their short forms, then IDs and labels are cut further, and last the
	// state itself is shortened, never its time.
	// A state longer than most ("waiting for its network interfaces")
	// cuts labels and IDs only as far as the common ones need: its own
	// words are shortened rather than every name on the screen.
	// An ID cut while its resource is still at work or failed is said
	// whole on the line beneath: the learner may need to copy it (to
	// watch it in the console, or to delete it by hand). A line that
	// ended well needs it no more.
	short := false
	over := func() int { return 2 + labelW + 2 + idW + 2 + stateW - width }
	if width > 0 && over() > 0 {
		idW -= min(over(), max(0, idW-22))
	}
	if width > 0 && over() > 0 {
		short, labelW = true, 0
		for _, l := range lines {
			labelW = max(labelW, lipgloss.Width(cmp.Or(l.Short, l.Label)))
		}
	}
	stateW = min(stateW, len("available [00.0s]"))
	if width > 0 && over() > 0 {
		idW -= min(over(), max(0, idW-12))
	}
	if width > 0 && over() > 0 {
		labelW -= min(over(), max(0, labelW-8))
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		mark := st.Faint.Render("·")
		switch {
		case l.busy() && frame == "":
			mark = st.Warn.Render(steps.StatusStopped.Mark())
		case l.busy():
			mark = st.Spinner.Render(frame)
		case l.Err != "" || l.State.Failed():
			mark = st.Error.Render("✗")
		case !l.Ended.IsZero():
			mark = st.OK.Render("✓")
		}
		state := l.State
		if state == "" {
			state = steps.ResWaiting
		}
		elapsed := ""
		switch {
		case l.Started.IsZero(), l.busy() && frame == "":
		case l.busy():
			// Whole seconds while it runs: the figure visibly ticks.
			elapsed = "[" + wholeSeconds(now.Sub(l.Started)) + "]"
		case !l.Ended.IsZero():
			elapsed = fmt.Sprintf("[%s]", formatElapsed(l.Ended.Sub(l.Started)))
		}
		id := l.ID
		if id == "" {
			id = "—"
		}
		label := l.Label
		if short {
			label = cmp.Or(l.Short, l.Label)
		}
		head := fmt.Sprintf("%s %s  %s  ", mark, pad(cutEnd(label, labelW), labelW), st.Faint.Render(pad(cutMiddle(id, idW), idW)))
		words := state.Label()
		if width > 0 {
			// What is left for the state once the time has its place.
			words = stateWords(state, max(1, width-lipgloss.Width(head)-len(elapsed)-1))
		}
		row := head + st.stateStyle(state).Render(words)
		if elapsed != "" {
			row += " " + st.Faint.Render(elapsed)
		}
		b.WriteString(truncate(row, width))
		detail := l.Detail
		if len(l.Past) > 1 {
			// The way it went: deleting → deleted → waiting for its
			// network interfaces → released.
			var way []string
			for _, p := range l.Past {
				way = append(way, p.Label())
			}
			detail = strings.Join(append(way, state.Label()), " → ") + orSuffix(" · ", detail)
		}
		if cutMiddle(id, idW) != id && (l.busy() || l.Err != "" || l.State.Failed()) {
			detail = id + orSuffix(" · ", detail)
		}
		if detail != "" {
			b.WriteString("\n    " + st.Faint.Render(truncate(detail, width-4)))
		}
		if l.Err != "" {
			b.WriteString("\n    " + st.Error.Render("✗ ") + wrapIndent(l.Err, width-6, "      "))
		}
		if l.Fix != "" {
			b.WriteString("\n    " + st.Action.Render("→ ") + wrapIndent(l.Fix, width-6, "      "))
		}
	}
	return b.String()
}

// stateWords is a state's label in room cells: whole, or in fewer words
// a person still reads ("releasing ENIs", not "waiting fo…"), cut only
// when even those do not fit.
func stateWords(state steps.ResourceState, room int) string {
	words := state.Label()
	if len(words) <= room {
		return words
	}
	shorter := map[steps.ResourceState][]string{
		steps.ResReleasing:         {"releasing its ENIs", "releasing ENIs", "releasing"},
		steps.ResPendingAcceptance: {"awaiting acceptance", "awaiting"},
	}[state]
	for _, w := range shorter {
		if len(w) <= room {
			return w
		}
	}
	return cutEnd(words, room)
}

// wholeSeconds prints a running duration in whole seconds ("7s", "1m05s").
func wholeSeconds(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return formatElapsed(d)
}

// formatElapsed prints a duration the way a person reads a stopwatch.
func formatElapsed(d time.Duration) string {
	switch {
	case d < 0:
		return "0.0s"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func pad(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// cutMiddle shortens plain text to width cells by taking out its middle:
// a long name keeps its start and its distinctive end.
func cutMiddle(s string, width int) string {
	r := []rune(s)
	if width <= 1 || len(r) <= width {
		return s
	}
	head := (width - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(width-1-head):])
}

// cutEnd shortens plain text to width cells, marking the cut at its end.
func cutEnd(s string, width int) string {
	r := []rune(s)
	if width < 1 || len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

// truncate cuts a styled string to width cells, marking the cut.
func truncate(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// wrapIndent wraps plain text to width at its spaces (wrapWords),
// indenting continuation lines.
func wrapIndent(s string, width int, indent string) string {
	return strings.ReplaceAll(wrapWords(s, max(width, 20)), "\n", "\n"+indent)
}

// wrapWords wraps s to width at its spaces only: lipgloss also ends lines
// after a hyphen, which splits the names of repositories, resources,
// commands and flags (team-a/alpine, rtb-0abc…, ecr-vpce-lab, --sandbox)
// across two lines, and a learner copying one gets it wrong.
func wrapWords(s string, width int) string {
	return wrapAt(s, width, " ")
}

// wrapAt is wrapWords with other places to break a line as well (after a
// / or a : of an ARN), but never after a hyphen.
func wrapAt(s string, width int, breakpoints string) string {
	const keep = "\u2011" // a non-breaking hyphen, one cell wide
	return strings.ReplaceAll(lipgloss.Wrap(strings.ReplaceAll(s, "-", keep), width, breakpoints), keep, "-")
}

func orSuffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}
