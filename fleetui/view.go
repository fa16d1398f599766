package fleetui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/table"
	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/fleet"
	"ecr-vpce-lab/steps"
)

// The dumb renderers: each draws what it is given.

// column widths; the last column (ERROR) takes what is left.
var baseColumns = []table.Column{
	{Title: " ", Width: 1}, {Title: "ACCOUNT", Width: 12}, {Title: "REGION", Width: 14}, {Title: "RUN", Width: 10},
	{Title: "STAGE", Width: 17}, {Title: "SINCE", Width: 6}, {Title: "EP", Width: 2}, {Title: "COST", Width: 6},
	{Title: "EXPIRES", Width: 7}, {Title: "SCHEDULE", Width: 9}, {Title: "ERROR", Width: 10},
}

// columns fits the columns to the width: narrow screens lose SCHEDULE,
// then ERROR shrinks to what is left.
func columns(width int) []table.Column {
	cols := append([]table.Column(nil), baseColumns...)
	used := 0
	for _, c := range cols[:len(cols)-1] {
		used += c.Width + 2 // the cells' padding
	}
	if width-used-2 < 10 {
		cols[9].Width = 0
		used -= 9 + 2
	}
	cols[len(cols)-1].Width = max(6, width-used-2)
	return cols
}

// cells draws one row: the mark says failed (✘), stuck (!) or expired (◷);
// the stage of a stuck or failed run is coloured.
func (m *Model) cells(r fleet.Row, now time.Time) table.Row {
	st := m.styles
	mark := " "
	stage := deref(r.Stage)
	switch {
	case r.Error != nil || r.Failed:
		mark = st.Failed.Render("✘")
		stage = st.Failed.Render(stage)
	case r.Stuck:
		mark = st.Stuck.Render("!")
		stage = st.Stuck.Render(stage)
	case r.Expired:
		mark = st.Faint.Render("◷")
	}
	if r.Run == nil && r.Error == nil {
		stage = st.Faint.Render("—")
	}
	since := ""
	if r.StageSince != nil {
		since = age(now.Sub(*r.StageSince))
	}
	cost, ep := "", ""
	if r.Run != nil {
		cost, ep = fmt.Sprintf("$%.2f", r.CostSoFar), fmt.Sprint(r.Endpoints)
	}
	exp := deref(r.ExpiresAt)
	if t, err := time.Parse(time.RFC3339, exp); err == nil {
		exp = steps.FormatLeft(t.Sub(now))
		if r.Expired {
			exp = st.Warn.Render("expired")
		}
	}
	sched := deref(r.Schedule)
	if t, err := time.Parse(time.RFC3339, sched); err == nil {
		sched = "at " + t.Local().Format("15:04")
	}
	errText := ""
	if r.Error != nil {
		errText = st.Error.Render(*r.Error)
	}
	return table.Row{mark, r.Account, r.Region, deref(r.Run), stage, since, ep, cost, exp, sched, errText}
}

// age writes how long, for people: 40s, 12m, 1h35m.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(max(d, 0).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// renderHeader draws the top line: the mode, the fleet, its cost.
func renderHeader(st Styles, h headerFacts, width int) string {
	left := st.Mode.Render(h.mode) + st.Header.Render(fmt.Sprintf("fleet · %s · %d account(s) × %d region(s)", orDash(h.title), h.accounts, h.regions))
	facts := []string{}
	if h.stuck > 0 {
		facts = append(facts, fmt.Sprintf("%d stuck", h.stuck))
	}
	if h.expired > 0 {
		facts = append(facts, fmt.Sprintf("%d expired", h.expired))
	}
	right := st.Cost.Render(fmt.Sprintf("$%.2f so far · $%.2f/h", h.cost, h.perHour))
	mid := st.HeaderFaint.Render(" " + strings.Join(facts, " · "))
	if !h.surveyed.IsZero() {
		mid += st.HeaderFaint.Render(fmt.Sprintf(" · sorted by %s · %d calls in %s ", h.sort, h.calls, h.took.Round(time.Millisecond)))
	}
	gap := width - lipgloss.Width(left) - lipgloss.Width(mid) - lipgloss.Width(right)
	if gap < 1 {
		mid = ""
		gap = max(1, width-lipgloss.Width(left)-lipgloss.Width(right))
	}
	return left + mid + st.Header.Render(strings.Repeat(" ", max(0, gap-2))) + right
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// renderConfirm lists the runs a teardown would remove, and asks.
func renderConfirm(st Styles, rows []fleet.Row, k KeyMap, width, height int) string {
	var b strings.Builder
	b.WriteString(st.Error.Render(fmt.Sprintf("Tear down %d run(s)?", len(rows))) + "\n")
	b.WriteString("Their schedules, endpoints, security groups (with their rules) and roles are deleted:\n\n")
	shown := 0
	for _, r := range rows {
		if shown >= max(1, height-8) {
			b.WriteString(st.Faint.Render(fmt.Sprintf("  … and %d more", len(rows)-shown)) + "\n")
			break
		}
		why := "finished"
		if r.Expired {
			why = "expired"
		}
		if !r.Expired && !r.Finished {
			why = deref(r.Stage)
		}
		fmt.Fprintf(&b, "  %s  %-12s %-14s run %-12s %-18s %d endpoint(s)\n", st.Warn.Render("•"), r.Account, r.Region, deref(r.Run), why, r.Endpoints)
		shown++
	}
	b.WriteString("\n" + st.Bold.Render(k.Yes.Help().Key) + " remove them   " + st.Bold.Render(k.No.Help().Key) + " keep them")
	return st.Confirm.Width(min(width-2, 100)).Render(b.String())
}
