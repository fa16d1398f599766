// Package fleetui is the facilitator's full-screen view of a fleet: one
// table row per account and region (bubbles' table), filterable and
// sortable, stuck and failed runs standing out, and the keys to tear runs
// down. It follows the lab's ui rules: the root Model owns every piece of
// state and what is in flight; the table, the header and the dialogs are
// rendered from it by functions that only draw; keys come from one KeyMap
// that also draws the help; all I/O (surveys, sweeps) runs in tea.Cmds.
//
// It is a package of its own beside ui, not a screen of the wizard: the
// wizard is one program around one lab (its root model owns a lab's steps),
// the fleet view another around many accounts, and the ui may import only
// steps, policy and internal/problem (internal/arrows), while this view
// needs the fleet's types. Only internal/cli imports it.
package fleetui

import (
	"context"
	"fmt"
	"image/color"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/fleet"
	"ecr-vpce-lab/steps"
)

// Fleet is what the view asks of the fleet (a *fleet.Fleet, or a test's).
type Fleet interface {
	Survey(ctx context.Context) (fleet.Survey, error)
	Sweep(ctx context.Context, rows []fleet.Row, sink func(account, region string, e steps.Event)) []fleet.SweepResult
}

// Options configure the view.
type Options struct {
	// Title says where the accounts come from ("organization", "3 profiles").
	Title string
	// Sandbox marks a fleet in the sandbox (the header says so).
	Sandbox bool
	// Now is the clock (time.Now).
	Now func() time.Time
}

// sortKey is the order of the rows.
type sortKey int

const (
	sortAccount sortKey = iota
	sortCost
	sortStuck
)

func (k sortKey) label() string {
	return [...]string{"account", "cost", "time at stage"}[k]
}

// mode is what the keys act on.
type mode int

const (
	modeTable mode = iota
	modeFilter
	modeConfirm
)

// inflight is the one operation running: a survey or a sweep.
type inflight struct {
	kind   string // "survey", "sweep" or ""
	cancel context.CancelFunc
	since  time.Time
}

// Model is the root model.
type Model struct {
	ctx    context.Context
	fl     Fleet
	opts   Options
	keys   KeyMap
	styles Styles
	help   help.Model
	table  table.Model
	filter textinput.Model
	spin   spinner.Model

	width, height int
	mode          mode
	sortBy        sortKey

	survey   fleet.Survey
	surveyed bool
	rows     []fleet.Row // as shown (filtered, sorted)
	// confirm is the runs a confirmation asks about.
	confirm []fleet.Row
	busy    inflight
	// log holds the last lines of the running or last sweep; status
	// says what happened last.
	log    []string
	status string
	err    string
	events chan tea.Msg
}

// Messages of the operations.
type (
	surveyMsg struct {
		survey fleet.Survey
		err    error
	}
	sweepEventMsg string
	sweepDoneMsg  struct{ results []fleet.SweepResult }
)

// New makes the view of a fleet.
func New(ctx context.Context, fl Fleet, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Model{ctx: ctx, fl: fl, opts: opts, keys: DefaultKeyMap(), styles: NewStyles(true), help: help.New(), width: 100, height: 30}
	m.table = table.New(table.WithFocused(true), table.WithKeyMap(m.keys.tableKeys()))
	m.filter = textinput.New()
	m.filter.Prompt = "/ "
	m.filter.Placeholder = "account, region, run or stage"
	// A steady cursor: the view is calm while nothing moves.
	fs := m.filter.Styles()
	fs.Cursor.Blink = false
	m.filter.SetStyles(fs)
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.applyStyles()
	m.layout()
	return m
}

// Init starts the first survey and asks the terminal's background.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.start("survey"), tea.RequestBackgroundColor)
}

// start launches an operation; every survey and sweep goes through here.
func (m *Model) start(kind string, rows ...fleet.Row) tea.Cmd {
	ctx, cancel := context.WithCancel(m.ctx)
	m.busy = inflight{kind: kind, cancel: cancel, since: m.opts.Now()}
	m.err = ""
	var op tea.Cmd
	switch kind {
	case "survey":
		op = func() tea.Msg {
			sv, err := m.fl.Survey(ctx)
			return surveyMsg{sv, err}
		}
	case "sweep":
		m.log = nil
		ch := make(chan tea.Msg, 64)
		m.events = ch
		go func() {
			res := m.fl.Sweep(ctx, rows, func(acct, region string, e steps.Event) {
				if e.Kind == steps.EventResource && e.Resource.State == steps.ResDeleted {
					ch <- sweepEventMsg(fmt.Sprintf("%s %s: %s %s deleted", acct, region, e.Resource.Kind.Label(), e.Resource.ID))
				}
			})
			ch <- sweepDoneMsg{res}
			close(ch)
		}()
		op = m.waitEvent()
	}
	return tea.Batch(op, m.spin.Tick)
}

// waitEvent reads the next message of a running sweep.
func (m *Model) waitEvent() tea.Cmd {
	ch := m.events
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// Update is the one place state changes.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, tick := msg.(spinner.TickMsg); tick {
		return m.update(msg)
	}
	model, cmd := m.update(msg)
	// What the screen holds may have grown or shrunk (the sweep's lines,
	// the filter, the help): the table takes what is left.
	m.layout()
	return model, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
		m.applyStyles()
		return m, nil
	case spinner.TickMsg:
		if m.busy.kind == "" {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case surveyMsg:
		m.busy = inflight{}
		if msg.err != nil {
			m.err = "the survey stopped: " + msg.err.Error()
			return m, nil
		}
		m.survey, m.surveyed = msg.survey, true
		m.refreshRows()
		return m, nil
	case sweepEventMsg:
		m.log = append(m.log, string(msg))
		if len(m.log) > 200 {
			m.log = m.log[len(m.log)-200:]
		}
		return m, m.waitEvent()
	case sweepDoneMsg:
		m.busy = inflight{}
		failed := 0
		for _, r := range msg.results {
			if r.Error != "" {
				failed++
				m.log = append(m.log, fmt.Sprintf("✘ %s %s: %s", r.Account, r.Region, r.Error))
			}
		}
		m.status = fmt.Sprintf("Removed the runs of %d account-region(s)", len(msg.results)-failed)
		if failed > 0 {
			m.status += fmt.Sprintf("; %d failed (see below): press D or d again to retry", failed)
		}
		return m, m.start("survey")
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

// key dispatches a key press by what the keys act on now.
func (m *Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if key.Matches(msg, k.ForceQuit) {
		m.stop()
		return m, tea.Quit
	}
	switch m.mode {
	case modeFilter:
		switch {
		case key.Matches(msg, k.FilterDone):
			m.mode = modeTable
			m.filter.Blur()
			m.table.Focus()
			m.refreshRows()
			return m, nil
		case key.Matches(msg, k.FilterClear):
			m.mode = modeTable
			m.filter.SetValue("")
			m.filter.Blur()
			m.table.Focus()
			m.refreshRows()
			return m, nil
		}
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		m.refreshRows()
		return m, cmd
	case modeConfirm:
		switch {
		case key.Matches(msg, k.Yes):
			rows := m.confirm
			m.confirm, m.mode = nil, modeTable
			m.status = fmt.Sprintf("Removing %d run(s)…", len(rows))
			return m, m.start("sweep", rows...)
		case key.Matches(msg, k.No):
			m.confirm, m.mode = nil, modeTable
			m.status = "Nothing was removed."
			return m, nil
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.stop()
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return m, nil
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.table.Blur()
		return m, m.filter.Focus()
	case key.Matches(msg, k.Sort):
		m.sortBy = (m.sortBy + 1) % 3
		m.refreshRows()
		return m, nil
	case m.busy.kind != "":
		// The rest waits for the operation in flight.
	case key.Matches(msg, k.Refresh):
		m.status = ""
		return m, m.start("survey")
	case key.Matches(msg, k.TearDown):
		if r, ok := m.selected(); ok && len(r.Runs) > 0 {
			m.confirm, m.mode = []fleet.Row{r}, modeConfirm
		} else {
			m.status = "Nothing to tear down in the selected row."
		}
		return m, nil
	case key.Matches(msg, k.TearDownAll):
		var rows []fleet.Row
		for _, r := range m.survey.Rows {
			if r.Sweepable() {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			m.status = "No run has expired or finished."
			return m, nil
		}
		m.confirm, m.mode = rows, modeConfirm
		return m, nil
	}
	var cmd tea.Cmd
	m.table, cmd = m.table.Update(msg)
	return m, cmd
}

// stop cancels what is in flight.
func (m *Model) stop() {
	if m.busy.cancel != nil {
		m.busy.cancel()
	}
}

// selected is the row under the cursor.
func (m *Model) selected() (fleet.Row, bool) {
	i := m.table.Cursor()
	if i < 0 || i >= len(m.rows) {
		return fleet.Row{}, false
	}
	return m.rows[i], true
}

// refreshRows filters and sorts the survey into the table.
func (m *Model) refreshRows() {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	var rows []fleet.Row
	for _, r := range m.survey.Rows {
		if q == "" || strings.Contains(strings.ToLower(searchText(r)), q) {
			rows = append(rows, r)
		}
	}
	now := m.opts.Now()
	switch m.sortBy {
	case sortCost:
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].CostSoFar > rows[j].CostSoFar })
	case sortStuck:
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].Stuck != rows[j].Stuck {
				return rows[i].Stuck
			}
			return rows[i].StuckFor(now) > rows[j].StuckFor(now)
		})
	}
	m.rows = rows
	keep := fitColumns(m.width, m.survey.Rows)
	cells := make([]table.Row, len(rows))
	for i, r := range rows {
		cells[i] = project(m.cells(r, now), keep)
	}
	// Columns and rows change together: the table draws a row's cells by
	// its columns, so none may have fewer cells than there are columns.
	cur := m.table.Cursor()
	m.table.SetRows(nil)
	m.table.SetColumns(columnsOf(keep, m.width, m.survey.Rows))
	m.table.SetRows(cells)
	m.table.SetCursor(cur)
	// (The table's cursor is -1 while it has no rows.)
	if c := m.table.Cursor(); len(rows) > 0 && (c < 0 || c >= len(rows)) {
		m.table.SetCursor(min(max(c, 0), len(rows)-1))
	}
}

func searchText(r fleet.Row) string {
	return strings.Join([]string{r.Account, r.Region, deref(r.Run), deref(r.Stage), r.Label, deref(r.Error)}, " ")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// anyError reports whether a row has an error (the status line may show
// it in full).
func (m *Model) anyError() bool {
	for _, r := range m.survey.Rows {
		if r.Error != nil {
			return true
		}
	}
	return false
}

// layout sizes the table to the window.
func (m *Model) layout() {
	m.help.SetWidth(m.width - 2)
	h := m.height - 3 - lipgloss.Height(m.helpView())
	if m.statusLine() != "" {
		h--
	}
	if m.anyError() {
		h-- // errorLine's room, whichever row is selected
	}
	if m.mode == modeFilter || m.filter.Value() != "" {
		h--
	}
	h -= min(5, len(m.log))
	m.table.SetHeight(max(3, h))
	m.table.SetWidth(m.width)
	m.refreshRows()
}

func (m *Model) applyStyles() {
	m.table.SetStyles(table.Styles{Header: m.styles.TableHead.Padding(0, 1), Cell: lipgloss.NewStyle().Padding(0, 1), Selected: m.styles.Selected})
	m.help.Styles = help.Styles{ShortKey: m.styles.HelpKey, ShortDesc: m.styles.HelpDesc, ShortSeparator: m.styles.HelpSep,
		FullKey: m.styles.HelpKey, FullDesc: m.styles.HelpDesc, FullSeparator: m.styles.HelpSep, Ellipsis: m.styles.HelpSep}
	m.spin.Style = m.styles.Spinner
}

// View draws the model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "ecr-vpce-lab fleet"
	return v
}

// Render is the screen as text (tests read it).
func (m *Model) Render() string { return m.render() }

// Rows are the rows shown, in order.
func (m *Model) Rows() []fleet.Row { return m.rows }

func (m *Model) render() string {
	parts := []string{renderHeader(m.styles, m.headerFacts(), m.width)}
	switch {
	case m.mode == modeConfirm:
		parts = append(parts, renderConfirm(m.styles, m.confirm, m.keys, m.width, m.height-4))
	case !m.surveyed && m.err == "":
		parts = append(parts, m.styles.Faint.Render(" "+m.spin.View()+" Looking at every account and region…"))
	default:
		parts = append(parts, m.table.View())
	}
	if m.mode == modeFilter || m.filter.Value() != "" {
		parts = append(parts, " "+m.filter.View())
	}
	if m.anyError() && m.mode != modeConfirm && m.surveyed {
		parts = append(parts, m.errorLine())
	}
	if line := m.statusLine(); line != "" {
		parts = append(parts, line)
	}
	if n := len(m.log); n > 0 && m.mode != modeConfirm {
		for _, l := range m.log[max(0, n-5):] {
			st := m.styles.OK
			if strings.HasPrefix(l, "✘") {
				st = m.styles.Error
			}
			parts = append(parts, "  "+st.Render(l))
		}
	}
	parts = append(parts, m.helpView())
	return strings.Join(parts, "\n")
}

// headerFacts is what the header says.
type headerFacts struct {
	title, mode          string
	accounts, regions    int
	rows, stuck, expired int
	cost, perHour        float64
	// unpriced: some rows bill in regions the lab has no price for, so
	// cost and perHour are lower bounds.
	unpriced bool
	surveyed time.Time
	calls    int
	took     time.Duration
	sort     string
}

func (m *Model) headerFacts() headerFacts {
	h := headerFacts{title: m.opts.Title, mode: "AWS", sort: m.sortBy.label(), surveyed: m.survey.At, calls: m.survey.Calls, took: m.survey.Took}
	if m.opts.Sandbox {
		h.mode = "SANDBOX"
	}
	accts, regions := map[string]bool{}, map[string]bool{}
	for _, r := range m.survey.Rows {
		accts[r.Account], regions[r.Region] = true, true
		h.cost += r.CostSoFar
		h.unpriced = h.unpriced || r.Unpriced
		h.perHour += r.PerHour
		if r.Stuck {
			h.stuck++
		}
		if r.Expired {
			h.expired++
		}
	}
	h.accounts, h.regions, h.rows = len(accts), len(regions), len(m.rows)
	return h
}

func (m *Model) statusLine() string {
	switch {
	case m.err != "":
		return " " + m.styles.Error.Render(m.err)
	case m.busy.kind == "sweep":
		return " " + m.spin.View() + " " + m.styles.Warn.Render(m.status)
	case m.busy.kind == "survey" && m.surveyed:
		return " " + m.spin.View() + " " + m.styles.Faint.Render("refreshing…")
	case m.status != "":
		return " " + m.styles.Faint.Render(m.status)
	}
	return ""
}

// errorLine is the selected row's reason in full (the table cuts it short).
func (m *Model) errorLine() string {
	if r, ok := m.selected(); ok && r.Error != nil && m.mode != modeConfirm {
		return " " + m.styles.Error.Render(ansi.Truncate(r.Account+" "+r.Region+": "+*r.Error, max(10, m.width-2), "…"))
	}
	return ""
}

func (m *Model) helpView() string {
	// Indented by one, every line (the full help has several).
	return lipgloss.NewStyle().PaddingLeft(1).Render(m.help.View(m.keys.forMode(m.mode, m.busy.kind != "")))
}

// Styles are the view's colours, for a dark or light background.
type Styles struct {
	Header, HeaderFaint, Mode, Cost lipgloss.Style
	TableHead, Selected             lipgloss.Style
	OK, Warn, Error, Faint, Bold    lipgloss.Style
	Stuck, Failed, Expired          lipgloss.Style
	Confirm, Spinner                lipgloss.Style
	HelpKey, HelpDesc, HelpSep      lipgloss.Style
}

// NewStyles builds the styles (the wizard's palette).
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	fg, subtle, accent := c("#1F2328", "#E6E6E6"), c("#6E7781", "#8B949E"), c("#5A3FC0", "#A78BFA")
	green, yellow, red := c("#1A7F37", "#3FB950"), c("#9A6700", "#D29922"), c("#CF222E", "#F85149")
	barBg, curBg, border := c("#EAEEF2", "#161B22"), c("#DDF4FF", "#1F2A3A"), c("#D0D7DE", "#30363D")
	return Styles{
		Header:      lipgloss.NewStyle().Background(barBg).Foreground(fg).Padding(0, 1),
		HeaderFaint: lipgloss.NewStyle().Background(barBg).Foreground(subtle),
		Mode:        lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(c("#0969DA", "#1F6FEB")).Padding(0, 1),
		Cost:        lipgloss.NewStyle().Background(barBg).Foreground(yellow).Bold(true),
		TableHead:   lipgloss.NewStyle().Foreground(subtle).Bold(true),
		Selected:    lipgloss.NewStyle().Background(curBg).Bold(true),
		OK:          lipgloss.NewStyle().Foreground(green),
		Warn:        lipgloss.NewStyle().Foreground(yellow).Bold(true),
		Error:       lipgloss.NewStyle().Foreground(red).Bold(true),
		Faint:       lipgloss.NewStyle().Foreground(subtle),
		Bold:        lipgloss.NewStyle().Bold(true),
		Stuck:       lipgloss.NewStyle().Foreground(yellow).Bold(true),
		Failed:      lipgloss.NewStyle().Foreground(red).Bold(true),
		Expired:     lipgloss.NewStyle().Foreground(subtle).Strikethrough(false),
		Confirm:     lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(red).Padding(0, 2),
		Spinner:     lipgloss.NewStyle().Foreground(accent),
		HelpKey:     lipgloss.NewStyle().Foreground(fg).Bold(true),
		HelpDesc:    lipgloss.NewStyle().Foreground(subtle),
		HelpSep:     lipgloss.NewStyle().Foreground(border),
	}
}
