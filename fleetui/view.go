package fleetui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/table"
	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/fleet"
	"ecr-vpce-lab/steps"
)

// The dumb renderers: each draws what it is given.

// The table's columns, in order; a row's cells are in this order too.
const (
	colMark = iota
	colAccount
	colRegion
	colRun
	colStage
	colSince
	colEP
	colCost
	colExpires
	colSchedule
	colError
	numCols
)

// baseColumns are the columns at their widths (REGION's and ERROR's are
// set by fitColumns).
var baseColumns = [numCols]table.Column{
	{Title: " ", Width: 1}, {Title: "ACCOUNT", Width: 12}, {Title: "REGION", Width: 14}, {Title: "RUN", Width: 10},
	{Title: "STAGE", Width: 17}, {Title: "SINCE", Width: 6}, {Title: "EP", Width: 2}, {Title: "COST", Width: 8},
	{Title: "EXPIRES", Width: 7}, {Title: "SCHEDULE", Width: 8}, {Title: "ERROR", Width: 8},
}

// dropOrder is what a narrow screen gives up first: the schedule's time,
// the run id (the confirmation names it), the endpoint count, how long at
// the stage, the cost. Account, region, stage and expiry always stay.
var dropOrder = []int{colSchedule, colRun, colEP, colSince, colCost}

// fitColumns chooses the columns for the width and the rows: REGION is as
// wide as the longest region; ERROR takes what is left, and is there when
// a row has an error or when it has room.
func fitColumns(width int, rows []fleet.Row) []int {
	region, errs := len("REGION"), false
	for _, r := range rows {
		region = max(region, len(r.Region))
		errs = errs || r.Error != nil
	}
	w := func(c int) int {
		if c == colRegion {
			return region + 2
		}
		return baseColumns[c].Width + 2 // the cells' padding
	}
	on := map[int]bool{}
	used := 0
	for c := range colError {
		on[c] = true
		used += w(c)
	}
	minErr := 0
	if errs {
		minErr = 12
	}
	for _, c := range dropOrder {
		if used+minErr <= width {
			break
		}
		on[c] = false
		used -= w(c)
	}
	var out []int
	for c := range colError {
		if on[c] {
			out = append(out, c)
		}
	}
	if errs || width-used >= 10 {
		out = append(out, colError)
	}
	return out
}

// columnsOf are the table's columns for a choice, ERROR taking what is
// left of the width.
func columnsOf(keep []int, width int, rows []fleet.Row) []table.Column {
	cols := make([]table.Column, 0, len(keep))
	used := 0
	for _, c := range keep {
		col := baseColumns[c]
		if c == colRegion {
			col.Width = len("REGION")
			for _, r := range rows {
				col.Width = max(col.Width, len(r.Region))
			}
		}
		if c != colError {
			used += col.Width + 2
		}
		cols = append(cols, col)
	}
	if n := len(cols); n > 0 && keep[n-1] == colError {
		cols[n-1].Width = max(8, width-used-2)
	}
	return cols
}

// project keeps a row's cells for the chosen columns.
func project(cells table.Row, keep []int) table.Row {
	out := make(table.Row, len(keep))
	for i, c := range keep {
		out[i] = cells[c]
	}
	return out
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
		cost, ep = costText(r), fmt.Sprint(r.Endpoints)
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
	// "at least" where some rows have no price: their $0 is not AWS's bill.
	least := ""
	if h.unpriced {
		least = "≥ "
	}
	right := st.Cost.Render(fmt.Sprintf("%s$%.2f so far · %s$%.2f/h", least, h.cost, least, h.perHour))
	// What the table shows (its sort) outlives how the survey went (its
	// calls and time, which grow on a slow day): a narrower window drops
	// the survey's figures first, then the sort, then the counts.
	var tries [][]string
	if !h.surveyed.IsZero() {
		sorted := "sorted by " + h.sort
		survey := fmt.Sprintf("%d calls in %s", h.calls, h.took.Round(time.Millisecond))
		tries = append(tries, append(slices.Clone(facts), sorted, survey), append(slices.Clone(facts), sorted))
	}
	tries = append(tries, facts, nil)
	var mid string
	gap := 0
	for _, try := range tries {
		mid = ""
		if len(try) > 0 {
			mid = st.HeaderFaint.Render(" " + strings.Join(try, " · ") + " ")
		}
		if gap = width - lipgloss.Width(left) - lipgloss.Width(mid) - lipgloss.Width(right); gap >= 1 {
			break
		}
	}
	if gap < 1 {
		left = st.Mode.Render(h.mode) + st.Header.Render(fmt.Sprintf("fleet · %s · %d×%d", orDash(h.title), h.accounts, h.regions))
		gap = width - lipgloss.Width(left) - lipgloss.Width(right)
	}
	if gap < 1 {
		right = st.Cost.Render(fmt.Sprintf("%s$%.2f so far", least, h.cost))
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

// confirmWhy says why a run is in a teardown: expired, finished, or
// (chosen with d) its stage.
func confirmWhy(r fleet.Row) string {
	switch {
	case r.Expired:
		return "expired"
	case r.Finished:
		return "finished"
	}
	return deref(r.Stage)
}

// renderConfirm lists the runs a teardown would remove, and asks.
func renderConfirm(st Styles, rows []fleet.Row, k KeyMap, width, height int) string {
	var b strings.Builder
	b.WriteString(st.Error.Render(fmt.Sprintf("Tear down %d run(s)?", len(rows))) + "\n")
	b.WriteString("Their schedules, endpoints, security groups (with their rules) and roles are deleted:\n\n")
	shown := 0
	// The columns as wide as what they hold, so a line fits 80 columns.
	regionW, runW, whyW := 0, 0, 0
	for _, r := range rows {
		regionW, runW, whyW = max(regionW, len(r.Region)), max(runW, len(deref(r.Run))), max(whyW, len(confirmWhy(r)))
	}
	for _, r := range rows {
		if shown >= max(1, height-8) {
			b.WriteString(st.Faint.Render(fmt.Sprintf("  … and %d more", len(rows)-shown)) + "\n")
			break
		}
		fmt.Fprintf(&b, "  %s %s  %-*s  run %-*s  %-*s  %d endpoint(s)\n", st.Warn.Render("•"), r.Account, regionW, r.Region, runW, deref(r.Run), whyW, confirmWhy(r), r.Endpoints)
		shown++
	}
	b.WriteString("\n" + st.Bold.Render(k.Yes.Help().Key) + " remove them   " + st.Bold.Render(k.No.Help().Key) + " keep them")
	return st.Confirm.Width(min(width-2, 100)).Render(b.String())
}

// costText is a row's cost so far, or "no price" where the lab has none
// for the region (a $0.00 there would pass for nothing billed).
func costText(r fleet.Row) string {
	if r.Unpriced {
		return "no price"
	}
	return fmt.Sprintf("$%.2f", r.CostSoFar)
}
