package ui

import (
	"reflect"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/huh/v2"
)

// KeyMap is every key the wizard answers to, and the keys it hands to the
// focused form field: it is the only place a key is named. Which of them act
// depends on the context (phase, screen, focused field, an operation in
// flight); Model.bindings resolves that, and the help bar and the ? overlay
// are drawn from the same resolution, so they list exactly what acts now.
type KeyMap struct {
	// The walk.
	Next     key.Binding
	Check    key.Binding
	Fix      key.Binding
	EditIDs  key.Binding
	Skip     key.Binding
	Stop     key.Binding
	Policy   key.Binding
	Expiry   key.Binding
	StepUp   key.Binding
	StepDown key.Binding
	Teardown key.Binding
	// Retry runs a teardown that stopped short again.
	Retry key.Binding

	// Panes and help.
	CLI  key.Binding
	Log  key.Binding
	Hint key.Binding
	Help key.Binding

	// Leaving.
	Quit      key.Binding
	ForceQuit key.Binding

	// Dialogs and phases.
	Yes       key.Binding
	No        key.Binding
	KeepDNS   key.Binding
	Close     key.Binding
	Sandbox   key.Binding
	Resume    key.Binding
	StartOver key.Binding
	Cancel    key.Binding

	// Why a request was refused, and the policy challenges.
	Explain    key.Binding
	Challenges key.Binding
	Open       key.Binding
	EditAnswer key.Binding
	CheckNow   key.Binding
	NextHint   key.Binding
	Answer     key.Binding
	Back       key.Binding
	ScrollUp   key.Binding
	ScrollDown key.Binding
	PageUp     key.Binding
	PageDown   key.Binding
	ScrollTop  key.Binding
	ScrollEnd  key.Binding
	// Whole opens what a small window cut short (a warning, a failed
	// step's fix) in full, in the scrolling overlay.
	Whole key.Binding

	// The policy editor.
	Apply    key.Binding
	JSON     key.Binding
	FormBack key.Binding
	Leave    key.Binding

	// Keys of the focused form field; the wizard passes them on.
	FieldNext  key.Binding
	FieldPrev  key.Binding
	Confirm    key.Binding
	ChoiceUp   key.Binding
	ChoiceDown key.Binding
	Toggle     key.Binding
	Type       key.Binding
}

// DefaultKeyMap is the wizard's keys.
func DefaultKeyMap() KeyMap {
	b := func(help string, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Next:     b("enter", "continue", "enter"),
		Check:    b("k", "check again", "k"),
		Fix:      b("f", "apply the fix", "f"),
		EditIDs:  b("e", "edit IDs", "e"),
		Skip:     b("s", "skip", "s"),
		Stop:     b("esc", "stop", "esc"),
		Policy:   b("p", "change policy", "p"),
		Expiry:   b("E", "expiry", "E"),
		StepUp:   b("↑", "previous step", "up"),
		StepDown: b("↓", "next step", "down"),
		Teardown: b("T", "tear down", "T"),
		Retry:    b("r", "tear down again", "r"),

		CLI:  b("c", "CLI", "c"),
		Log:  b("l", "log", "l"),
		Hint: b("h", "hint", "h"),
		Help: b("?", "keys", "?"),

		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit", "ctrl+c"),

		Yes:       b("y", "yes", "y", "Y"),
		No:        b("n", "no", "n", "N", "esc"),
		KeepDNS:   b("k", "tear down, keep VPC DNS on", "k", "K"),
		Close:     b("esc", "close", "esc", "?", "q", "enter", "space"),
		Sandbox:   b("s", "use the sandbox", "s", "enter"),
		Resume:    b("enter", "resume", "enter", "r"),
		StartOver: b("n", "start over", "n"),
		Cancel:    b("esc", "cancel", "esc"),

		Explain:    b("x", "why refused?", "x"),
		Challenges: b("g", "policy challenges", "g"),
		Open:       b("enter", "open", "enter"),
		EditAnswer: b("e", "edit the policy", "e"),
		CheckNow:   b("ctrl+s", "check", "ctrl+s"),
		NextHint:   b("h", "a hint", "h"),
		Answer:     b("s", "show a model answer", "s"),
		Back:       b("esc", "back", "esc"),
		// Each pair shares its words, so a key line says them once:
		// "↑/↓ scroll".
		ScrollUp:   b("↑", "scroll", "up"),
		ScrollDown: b("↓", "scroll", "down"),
		PageUp:     b("pgup", "page", "pgup"),
		PageDown:   b("pgdn", "page", "pgdown"),
		ScrollTop:  b("home", "first/last", "home"),
		ScrollEnd:  b("end", "first/last", "end"),
		Whole:      b("m", "read all", "m"),

		Apply:    b("ctrl+s", "apply", "ctrl+s"),
		JSON:     b("ctrl+o", "edit JSON", "ctrl+o"),
		FormBack: b("esc", "back to the form", "esc"),
		Leave:    b("esc", "cancel", "esc"),

		FieldNext:  b("tab", "next field", "tab"),
		FieldPrev:  b("shift+tab", "previous field", "shift+tab"),
		Confirm:    b("enter", "next field", "enter"),
		ChoiceUp:   b("↑/k", "up", "up", "k"),
		ChoiceDown: b("↓/j", "down", "down", "j"),
		Toggle:     b("space", "toggle", "space", "x"),
		// Type stands for the printable keys a text field takes; it is
		// only ever shown, never matched.
		Type: key.NewBinding(key.WithKeys("(text)"), key.WithHelp("a-z", "type")),
	}
}

// FormKeys builds the keys huh's fields use from ours, so a field never
// answers to a key the KeyMap does not name. Filtering and paging are off:
// their keys (/, g, G, ctrl+u…) would be shortcuts no help bar explains.
func (k KeyMap) FormKeys() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	none := key.NewBinding(key.WithDisabled())
	both := func(a, b key.Binding) key.Binding {
		return key.NewBinding(key.WithKeys(append(append([]string{}, a.Keys()...), b.Keys()...)...))
	}
	km.Quit = k.ForceQuit
	km.Input.Next = both(k.Confirm, k.FieldNext)
	km.Input.Prev = k.FieldPrev
	km.Input.Submit = k.Confirm
	km.Input.AcceptSuggestion = none

	km.MultiSelect.Next = both(k.Confirm, k.FieldNext)
	km.MultiSelect.Prev = k.FieldPrev
	km.MultiSelect.Submit = k.Confirm
	km.MultiSelect.Up = k.ChoiceUp
	km.MultiSelect.Down = k.ChoiceDown
	km.MultiSelect.Toggle = k.Toggle
	for _, b := range []*key.Binding{&km.MultiSelect.Filter, &km.MultiSelect.SetFilter, &km.MultiSelect.ClearFilter,
		&km.MultiSelect.HalfPageUp, &km.MultiSelect.HalfPageDown, &km.MultiSelect.GotoTop, &km.MultiSelect.GotoBottom,
		&km.MultiSelect.SelectAll, &km.MultiSelect.SelectNone} {
		*b = none
	}

	// Enter confirms a choice; tab on the last field must not apply the
	// policy behind the learner's back, so a select moves on with Enter only.
	km.Select.Next = k.Confirm
	km.Select.Prev = k.FieldPrev
	km.Select.Submit = k.Confirm
	km.Select.Up = k.ChoiceUp
	km.Select.Down = k.ChoiceDown
	for _, b := range []*key.Binding{&km.Select.Filter, &km.Select.SetFilter, &km.Select.ClearFilter,
		&km.Select.HalfPageUp, &km.Select.HalfPageDown, &km.Select.GotoTop, &km.Select.GotoBottom,
		&km.Select.Left, &km.Select.Right} {
		*b = none
	}
	return km
}

// action is what a key does.
type action int

const (
	actNone action = iota
	actForceQuit
	actQuit
	actHelp
	actClose
	actYes
	actNo
	actKeepDNS
	actNext
	actCheck
	actFix
	actEditIDs
	actSkip
	actStop
	actPolicy
	actStepUp
	actStepDown
	actTeardown
	actRetry
	actCLI
	actLog
	actHint
	actSandbox
	actResume
	actStartOver
	actCancel
	actApply
	actJSON
	actFormBack
	actLeave
	actRunUp
	actRunDown
	actChooseRun
	actExplain
	actChallenges
	actOpen
	actEditAnswer
	actCheckAnswer
	actNextHint
	actAnswer
	actBack
	actScrollUp
	actScrollDown
	actPageUp
	actPageDown
	actScrollTop
	actScrollEnd
	actWhole
	actStopEditing
	// The forecast before a check (challenge 5).
	actPredictUp
	actPredictDown
	actPredictToggle
	actPredictDone
	actPredictCancel
	actExpiry
	actExpiryUp
	actExpiryDown
	actExpirySet
	// actField hands the key to the focused field.
	actField
	// actShow is a binding only shown, never matched (Type).
	actShow
)

// group sorts bindings in the ? overlay.
type group int

const (
	groupStep group = iota
	groupField
	groupAnywhere
)

// binding is a key that acts in the current context, and what it does.
type binding struct {
	key.Binding
	act   action
	group group
}

// keyWord is a key as prose names it: "Enter", "esc", "T".
func keyWord(b key.Binding) string {
	k := b.Help().Key
	if k == "enter" {
		return "Enter"
	}
	return k
}

// keysIn fills {Name} in a sentence with the key the KeyMap binds to Name
// ("Press {Teardown} to tear down" → "Press T to tear down"), so no text
// names a key the KeyMap does not.
func (k KeyMap) keysIn(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	v := reflect.ValueOf(k)
	return reBindingName.ReplaceAllStringFunc(s, func(name string) string {
		f := v.FieldByName(name[1 : len(name)-1])
		if !f.IsValid() {
			return name
		}
		b, ok := f.Interface().(key.Binding)
		if !ok {
			return name
		}
		return keyWord(b)
	})
}

var reBindingName = regexp.MustCompile(`\{[A-Z][A-Za-z]*\}`)

// keysIn fills a sentence with the model's keys.
func (m *Model) keysIn(s string) string { return m.c.Keys.keysIn(s) }
