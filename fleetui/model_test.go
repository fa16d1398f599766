package fleetui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/fleet"
	"ecr-vpce-lab/steps"
)

// fakeFleet answers surveys with rows and records sweeps.
type fakeFleet struct {
	mu      sync.Mutex
	rows    []fleet.Row
	swept   [][]fleet.Row
	surveys int
}

func (f *fakeFleet) Survey(context.Context) (fleet.Survey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.surveys++
	return fleet.Survey{Rows: append([]fleet.Row(nil), f.rows...), Calls: 7, Took: 3 * time.Millisecond, At: now}, nil
}

func (f *fakeFleet) Sweep(_ context.Context, rows []fleet.Row, sink func(string, string, steps.Event)) []fleet.SweepResult {
	f.mu.Lock()
	f.swept = append(f.swept, rows)
	f.mu.Unlock()
	var out []fleet.SweepResult
	for _, r := range rows {
		sink(r.Account, r.Region, steps.Event{Kind: steps.EventResource, Resource: &steps.ResourceEvent{Kind: steps.KindEndpoint, ID: "vpce-1", State: steps.ResDeleted}})
		out = append(out, fleet.SweepResult{Account: r.Account, Region: r.Region})
	}
	return out
}

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func row(acct, region, run, stage string, since time.Duration, cost float64, expired, finished, stuck, failed bool) fleet.Row {
	r := fleet.Row{Account: acct, Region: region, CostSoFar: cost, Expired: expired, Finished: finished, Stuck: stuck, Failed: failed}
	if run != "" {
		r.Run, r.Stage = &run, &stage
		t := now.Add(-since)
		r.StageSince = &t
		r.Runs = []steps.Run{{ID: run, Endpoints: []awsops.Endpoint{{ID: "vpce-1"}}}}
		r.Endpoints = 1
		exp := now.Add(time.Hour).Format(time.RFC3339)
		if expired {
			exp = now.Add(-time.Hour).Format(time.RFC3339)
		}
		r.ExpiresAt = &exp
	}
	return r
}

func demoRows() []fleet.Row {
	return []fleet.Row{
		row("111111111111", "us-west-2", "aaaa", "security-group", 95*time.Minute, 0, false, false, true, false),
		row("111111111111", "us-east-1", "bbbb", "endpoints-failed", 5*time.Minute, 0.01, false, false, true, true),
		row("222222222222", "us-west-2", "cccc", "push-refused", 10*time.Minute, 0.30, true, false, false, false),
		row("222222222222", "us-east-1", "dddd", "finished", 20*time.Minute, 0.12, false, true, false, false),
		row("333333333333", "us-west-2", "", "", 0, 0, false, false, false, false),
	}
}

// drive runs a command and feeds its messages back, as the program does
// (the spinner's ticks aside: they would tick for ever).
func drive(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil, spinner.TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			drive(t, m, c)
		}
	default:
		_, next := m.Update(msg)
		drive(t, m, next)
	}
}

func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		_, cmd := m.Update(msg)
		drive(t, m, cmd)
	}
}

func newView(t *testing.T, f *fakeFleet) *Model {
	t.Helper()
	m := New(context.Background(), f, Options{Title: "organization", Sandbox: true, Now: func() time.Time { return now }})
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 30})
	drive(t, m, m.Init())
	return m
}

func screen(m *Model) string { return ansi.Strip(m.Render()) }

// TestFleetView: the table shows every row (an empty account too), stuck
// and failed runs marked; the help bar lists exactly the keys that act.
func TestFleetView(t *testing.T) {
	f := &fakeFleet{rows: demoRows()}
	m := newView(t, f)
	s := screen(m)
	for _, want := range []string{"security-group", "endpoints-failed", "push-refused", "finished", "333333333333", "5 account(s)", "SANDBOX"} {
		if want == "5 account(s)" {
			want = "3 account(s) × 2 region(s)"
		}
		if !strings.Contains(s, want) {
			t.Errorf("the screen lacks %q:\n%s", want, s)
		}
	}
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		switch {
		case strings.Contains(l, "security-group") && !strings.HasPrefix(strings.TrimSpace(l), "!"):
			t.Errorf("a stuck run does not stand out: %q", l)
		case strings.Contains(l, "endpoints-failed") && !strings.HasPrefix(strings.TrimSpace(l), "✘"):
			t.Errorf("a failed run does not stand out: %q", l)
		}
	}
	help := lines[len(lines)-1]
	for _, b := range m.KeysNow() {
		if !strings.Contains(help, b.Help().Key+" "+b.Help().Desc) {
			t.Errorf("the help bar lacks %s: %q", b.Help().Key, help)
		}
	}
}

// TestFleetViewFilterAndSort: / filters by any column's text; s sorts by
// cost, then by time at the stage (stuck first).
func TestFleetViewFilterAndSort(t *testing.T) {
	f := &fakeFleet{rows: demoRows()}
	m := newView(t, f)
	press(t, m, "/", "p", "u", "s", "h")
	if n := len(m.Rows()); n != 1 || *m.Rows()[0].Run != "cccc" {
		t.Fatalf("filter 'push': %d rows\n%s", n, screen(m))
	}
	if !strings.Contains(screen(m), "enter keep the filter") {
		t.Errorf("while filtering, the help says how to leave it:\n%s", screen(m))
	}
	press(t, m, "esc")
	if len(m.Rows()) != 5 {
		t.Fatalf("esc keeps the filter: %d rows", len(m.Rows()))
	}
	press(t, m, "s")
	if got := *m.Rows()[0].Run; got != "cccc" {
		t.Errorf("sorted by cost, the first run is %s, want cccc ($0.30)", got)
	}
	press(t, m, "s")
	if got := *m.Rows()[0].Run; got != "aaaa" {
		t.Errorf("sorted by time stuck, the first run is %s, want aaaa (95 minutes)", got)
	}
}

// TestFleetViewTearDown: d asks about the selected row's run, n keeps it,
// y removes it (the sweep gets exactly that row) and the view surveys
// again; D lists every expired or finished run, and only those.
func TestFleetViewTearDown(t *testing.T) {
	f := &fakeFleet{rows: demoRows()}
	m := newView(t, f)
	press(t, m, "down", "d")
	if s := screen(m); !strings.Contains(s, "Tear down 1 run(s)?") || !strings.Contains(s, "bbbb") {
		t.Fatalf("d asks about the selected run:\n%s", s)
	}
	press(t, m, "n")
	if len(f.swept) != 0 || !strings.Contains(screen(m), "Nothing was removed") {
		t.Fatalf("n removed something: %v", f.swept)
	}
	surveys := f.surveys
	press(t, m, "d", "y")
	if len(f.swept) != 1 || len(f.swept[0]) != 1 || *f.swept[0][0].Run != "bbbb" {
		t.Fatalf("the sweep after d, y: %+v", f.swept)
	}
	if f.surveys <= surveys {
		t.Error("the view did not look again after the teardown")
	}
	if s := screen(m); !strings.Contains(s, "endpoint vpce-1 deleted") {
		t.Errorf("the teardown's lines are not shown:\n%s", s)
	}
	press(t, m, "D")
	s := screen(m)
	if !strings.Contains(s, "Tear down 2 run(s)?") || !strings.Contains(s, "cccc") || !strings.Contains(s, "dddd") || strings.Contains(s, "aaaa") {
		t.Fatalf("D lists the expired and finished runs only:\n%s", s)
	}
	press(t, m, "y")
	if len(f.swept) != 2 || len(f.swept[1]) != 2 {
		t.Fatalf("the sweep after D, y: %+v", f.swept)
	}
	// The empty account has nothing to tear down.
	for range 4 {
		press(t, m, "down")
	}
	press(t, m, "d")
	if !strings.Contains(screen(m), "Nothing to tear down") {
		t.Errorf("d on an empty row:\n%s", screen(m))
	}
}

// TestFleetViewFitsTheWindow: at 80×24 every line fits, and what a
// facilitator needs stays (account, region, stage, expiry); at 120
// columns the schedule and run are there too; an error keeps its column
// even when narrow; the full help and the confirmation fit as well.
func TestFleetViewFitsTheWindow(t *testing.T) {
	rows := demoRows()
	e := "AccessDenied: cannot assume the role"
	rows[4].Error = &e
	for _, size := range []struct {
		w, h int
		want []string
	}{
		{80, 24, []string{"ACCOUNT", "REGION", "STAGE", "EXPIRES", "ERROR", "endpoints-failed", "AccessDen"}},
		{120, 40, []string{"ACCOUNT", "REGION", "RUN", "STAGE", "SINCE", "COST", "EXPIRES", "SCHEDULE", "ERROR", "aaaa", "AccessDenied"}},
	} {
		f := &fakeFleet{rows: rows}
		m := newView(t, f)
		m.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
		check := func(what string) string {
			t.Helper()
			s := screen(m)
			for i, l := range strings.Split(s, "\n") {
				if w := ansi.StringWidth(l); w > size.w {
					t.Errorf("%d×%d %s: line %d is %d wide: %q", size.w, size.h, what, i, w, l)
				}
			}
			return s
		}
		s := check("table")
		for _, w := range size.want {
			if !strings.Contains(s, w) {
				t.Errorf("%d×%d: the table lacks %q:\n%s", size.w, size.h, w, s)
			}
		}
		press(t, m, "?")
		check("full help")
		press(t, m, "?", "D")
		if s := check("confirmation"); !strings.Contains(s, "run cccc") || !strings.Contains(s, "1 endpoint(s)") {
			t.Errorf("%d×%d: the confirmation:\n%s", size.w, size.h, s)
		}
		press(t, m, "esc")
		// The selected row's reason, in full, under the table.
		press(t, m, "/", "3", "3", "3", "enter")
		if s := check("an error selected"); !strings.Contains(s, "333333333333 us-west-2: "+e) {
			t.Errorf("%d×%d: the selected row's error is not shown in full:\n%s", size.w, size.h, s)
		}
	}
}

// TestFleetViewUnpriced: a row in a region the lab has no price for says
// "no price", not $0.00, and the header's totals say they are a floor.
func TestFleetViewUnpriced(t *testing.T) {
	rows := demoRows()
	eu := row("444444444444", "eu-central-1", "eeee", "finished", 20*time.Minute, 0, false, true, false, false)
	eu.Unpriced = true
	m := newView(t, &fakeFleet{rows: append(rows, eu)})
	s := screen(m)
	var line string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "eu-central-1") {
			line = l
		}
	}
	if !strings.Contains(line, "no price") || strings.Contains(line, "$0.00") {
		t.Errorf("the unpriced row: %q", line)
	}
	if head := strings.SplitN(s, "\n", 2)[0]; !strings.Contains(head, "≥ $0.43 so far") {
		t.Errorf("the header does not say its total is a floor: %q", head)
	}
}

// TestHeaderKeepsTheSortOnASlowDay: when the header is short of room, the
// survey's call count and time go before the sort the table is in (a slow
// survey's "in 12.345s" once pushed "sorted by time at stage" off a
// 150-column header), and the counts go last.
func TestHeaderKeepsTheSortOnASlowDay(t *testing.T) {
	st := NewStyles(false)
	h := headerFacts{title: "organization", mode: "SANDBOX", accounts: 5, regions: 2, stuck: 4, expired: 2,
		sort: "time at stage", surveyed: time.Now(), calls: 1234, took: 12345 * time.Millisecond, cost: 0.21, perHour: 0.11}
	for _, c := range []struct {
		width      int
		want, lack []string
	}{
		{200, []string{"4 stuck · 2 expired · sorted by time at stage · 1234 calls in 12.345s", "$0.21 so far · $0.11/h"}, nil},
		{150, []string{"4 stuck · 2 expired · sorted by time at stage", "$0.21 so far · $0.11/h"}, []string{"calls"}},
		{120, []string{"4 stuck · 2 expired", "$0.21 so far"}, []string{"sorted by", "calls"}},
		{95, []string{"fleet · organization", "$0.21 so far"}, []string{"stuck", "sorted by"}},
	} {
		s := ansi.Strip(renderHeader(st, h, c.width))
		if w := ansi.StringWidth(s); w > c.width {
			t.Errorf("width %d: the header is %d wide: %q", c.width, w, s)
		}
		for _, x := range c.want {
			if !strings.Contains(s, x) {
				t.Errorf("width %d: the header lacks %q: %q", c.width, x, s)
			}
		}
		for _, x := range c.lack {
			if strings.Contains(s, x) {
				t.Errorf("width %d: the header keeps %q, which should have made room: %q", c.width, x, s)
			}
		}
	}
}
