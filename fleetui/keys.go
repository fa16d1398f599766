package fleetui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
)

// KeyMap is every key the view answers to: the only place a key is named.
// forMode resolves which act now, and the help bar is drawn from the same
// resolution.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	Filter      key.Binding
	Sort        key.Binding
	Refresh     key.Binding
	TearDown    key.Binding
	TearDownAll key.Binding
	Help        key.Binding
	Quit        key.Binding
	ForceQuit   key.Binding

	FilterDone, FilterClear key.Binding
	Yes, No                 key.Binding
}

// DefaultKeyMap is the view's keys.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up: b("↑/k", "up", "up", "k"), Down: b("↓/j", "down", "down", "j"),
		PageUp: b("pgup", "page up", "pgup"), PageDown: b("pgdn", "page down", "pgdown"),
		Top: b("home/g", "top", "home", "g"), Bottom: b("end/G", "bottom", "end", "G"),
		Filter:      b("/", "filter", "/"),
		Sort:        b("s", "sort", "s"),
		Refresh:     b("r", "refresh", "r"),
		TearDown:    b("d", "tear down", "d"),
		TearDownAll: b("D", "tear down expired/finished", "D"),
		Help:        b("?", "keys", "?"),
		Quit:        b("q", "quit", "q"),
		ForceQuit:   b("ctrl+c", "quit", "ctrl+c"),
		FilterDone:  b("enter", "keep the filter", "enter"),
		FilterClear: b("esc", "clear the filter", "esc"),
		Yes:         b("y", "yes", "y"),
		No:          b("n/esc", "no", "n", "esc"),
	}
}

// tableKeys hands the table its movement keys, from this map.
func (k KeyMap) tableKeys() table.KeyMap {
	km := table.DefaultKeyMap()
	km.LineUp, km.LineDown, km.PageUp, km.PageDown, km.GotoTop, km.GotoBottom = k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom
	km.HalfPageUp.SetEnabled(false)
	km.HalfPageDown.SetEnabled(false)
	return km
}

// bindings are the keys that act in a mode.
type bindings struct {
	short []key.Binding
	full  [][]key.Binding
}

func (b bindings) ShortHelp() []key.Binding  { return b.short }
func (b bindings) FullHelp() [][]key.Binding { return b.full }

// forMode resolves the keys that act now (busy: a survey or sweep runs, so
// d, D and r wait).
func (k KeyMap) forMode(m mode, busy bool) bindings {
	switch m {
	case modeFilter:
		return bindings{short: []key.Binding{k.FilterDone, k.FilterClear}, full: [][]key.Binding{{k.FilterDone, k.FilterClear}}}
	case modeConfirm:
		return bindings{short: []key.Binding{k.Yes, k.No}, full: [][]key.Binding{{k.Yes, k.No}}}
	}
	act := []key.Binding{k.Filter, k.Sort}
	if !busy {
		act = append(act, k.TearDown, k.TearDownAll, k.Refresh)
	}
	return bindings{
		short: append(act, k.Help, k.Quit),
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, act, {k.Help, k.Quit, k.ForceQuit}},
	}
}

// KeysNow lists the keys that act in the model's present mode (tests
// check the help bar against it).
func (m *Model) KeysNow() []key.Binding { return m.keys.forMode(m.mode, m.busy.kind != "").short }
