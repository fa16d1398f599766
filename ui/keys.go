package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the wizard answers to, grouped for the help bar.
type KeyMap struct {
	Next     key.Binding
	Check    key.Binding
	Edit     key.Binding
	JSON     key.Binding
	Policy   key.Binding
	Skip     key.Binding
	Retry    key.Binding
	Up       key.Binding
	Down     key.Binding
	CLI      key.Binding
	Log      key.Binding
	Hint     key.Binding
	Help     key.Binding
	Teardown key.Binding
	Quit     key.Binding
	Yes      key.Binding
	No       key.Binding
	Back     key.Binding
}

// DefaultKeyMap is the wizard's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Check:    key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "check again")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit IDs")),
		JSON:     key.NewBinding(key.WithKeys("j"), key.WithHelp("j", "edit JSON")),
		Policy:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "change policy")),
		Skip:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
		Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Up:       key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up")),
		Down:     key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
		CLI:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "CLI commands")),
		Log:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "API log")),
		Hint:     key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hint")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Teardown: key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "tear down")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Yes:      key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:       key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// ShortHelp is the one-line help bar.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.CLI, k.Log, k.Hint, k.Teardown, k.Help, k.Quit}
}

// FullHelp groups every key for the ? screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Check, k.Retry, k.Skip},
		{k.Edit, k.JSON, k.Policy, k.Up, k.Down},
		{k.CLI, k.Log, k.Hint, k.Help},
		{k.Teardown, k.Quit, k.Back},
	}
}
