package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles is every look the wizard uses, built once for the terminal's
// background so screens never pick colours themselves.
type Styles struct {
	IsDark bool

	App         lipgloss.Style
	Header      lipgloss.Style
	HeaderFaint lipgloss.Style
	ModeAWS     lipgloss.Style
	ModeSandbox lipgloss.Style
	Cost        lipgloss.Style

	Sidebar     lipgloss.Style
	StepDone    lipgloss.Style
	StepFailed  lipgloss.Style
	StepActive  lipgloss.Style
	StepPending lipgloss.Style
	StepCurrent lipgloss.Style // the row of the current step

	Title  lipgloss.Style
	Prose  lipgloss.Style
	Faint  lipgloss.Style
	Bold   lipgloss.Style
	Label  lipgloss.Style
	Value  lipgloss.Style
	Action lipgloss.Style // "press Enter to …"

	OK      lipgloss.Style
	Warn    lipgloss.Style
	Error   lipgloss.Style
	Fix     lipgloss.Style
	Spinner lipgloss.Style

	// Resource states, Copilot-style.
	StatePending   lipgloss.Style
	StateAvailable lipgloss.Style
	StateFailed    lipgloss.Style
	StateDeleting  lipgloss.Style
	StateDeleted   lipgloss.Style

	Private lipgloss.Style
	Public  lipgloss.Style

	Pane       lipgloss.Style // the CLI / log / hint panes
	PaneTitle  lipgloss.Style
	Code       lipgloss.Style
	TableHead  lipgloss.Style
	Allow      lipgloss.Style
	Deny       lipgloss.Style
	Border     color.Color
	HelpKey    lipgloss.Style
	HelpDesc   lipgloss.Style
	HelpSep    lipgloss.Style
	Confirm    lipgloss.Style
	TooSmall   lipgloss.Style
	Highlight  color.Color
	SubtleText color.Color
}

// NewStyles builds the styles for a dark or light background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	var (
		fg      = ld(lipgloss.Color("#1F2328"), lipgloss.Color("#E6E6E6"))
		subtle  = ld(lipgloss.Color("#6E7781"), lipgloss.Color("#8B949E"))
		accent  = ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#A78BFA"))
		green   = ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#3FB950"))
		yellow  = ld(lipgloss.Color("#9A6700"), lipgloss.Color("#D29922"))
		red     = ld(lipgloss.Color("#CF222E"), lipgloss.Color("#F85149"))
		blue    = ld(lipgloss.Color("#0969DA"), lipgloss.Color("#58A6FF"))
		magenta = ld(lipgloss.Color("#8250DF"), lipgloss.Color("#D2A8FF"))
		border  = ld(lipgloss.Color("#D0D7DE"), lipgloss.Color("#30363D"))
		barBg   = ld(lipgloss.Color("#EAEEF2"), lipgloss.Color("#161B22"))
		curBg   = ld(lipgloss.Color("#DDF4FF"), lipgloss.Color("#1F2A3A"))
	)
	s := Styles{IsDark: isDark, Border: border, Highlight: accent, SubtleText: subtle}
	s.App = lipgloss.NewStyle()
	s.Header = lipgloss.NewStyle().Background(barBg).Foreground(fg).Padding(0, 1)
	s.HeaderFaint = lipgloss.NewStyle().Background(barBg).Foreground(subtle)
	s.ModeAWS = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(ld(lipgloss.Color("#BC4C00"), lipgloss.Color("#DB6D28"))).Padding(0, 1)
	s.ModeSandbox = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(ld(lipgloss.Color("#0969DA"), lipgloss.Color("#1F6FEB"))).Padding(0, 1)
	s.Cost = lipgloss.NewStyle().Background(barBg).Foreground(yellow).Bold(true)

	s.Sidebar = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, true, false, false).BorderForeground(border).PaddingRight(1)
	s.StepDone = lipgloss.NewStyle().Foreground(green)
	s.StepFailed = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.StepActive = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.StepPending = lipgloss.NewStyle().Foreground(subtle)
	s.StepCurrent = lipgloss.NewStyle().Background(curBg).Bold(true)

	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Prose = lipgloss.NewStyle().Foreground(fg)
	s.Faint = lipgloss.NewStyle().Foreground(subtle)
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.Label = lipgloss.NewStyle().Foreground(subtle)
	s.Value = lipgloss.NewStyle().Foreground(fg).Bold(true)
	s.Action = lipgloss.NewStyle().Foreground(accent).Bold(true)

	s.OK = lipgloss.NewStyle().Foreground(green).Bold(true)
	s.Warn = lipgloss.NewStyle().Foreground(yellow).Bold(true)
	s.Error = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Fix = lipgloss.NewStyle().Foreground(fg)
	s.Spinner = lipgloss.NewStyle().Foreground(accent)

	s.StatePending = lipgloss.NewStyle().Foreground(yellow)
	s.StateAvailable = lipgloss.NewStyle().Foreground(green)
	s.StateFailed = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.StateDeleting = lipgloss.NewStyle().Foreground(magenta)
	s.StateDeleted = lipgloss.NewStyle().Foreground(subtle)

	s.Private = lipgloss.NewStyle().Foreground(lipgloss.Color("#FFFFFF")).Background(green).Padding(0, 1)
	s.Public = lipgloss.NewStyle().Foreground(lipgloss.Color("#000000")).Background(yellow).Padding(0, 1)

	s.Pane = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(border).Padding(0, 1)
	s.PaneTitle = lipgloss.NewStyle().Foreground(subtle).Bold(true)
	s.Code = lipgloss.NewStyle().Foreground(blue)
	s.TableHead = lipgloss.NewStyle().Foreground(subtle).Bold(true)
	s.Allow = lipgloss.NewStyle().Foreground(green).Bold(true)
	s.Deny = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.HelpKey = lipgloss.NewStyle().Foreground(fg).Bold(true)
	s.HelpDesc = lipgloss.NewStyle().Foreground(subtle)
	s.HelpSep = lipgloss.NewStyle().Foreground(border)
	s.Confirm = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(red).Padding(1, 2)
	s.TooSmall = lipgloss.NewStyle().Foreground(yellow).Bold(true)
	return s
}
