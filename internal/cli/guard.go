package cli

import (
	"reflect"
	"runtime/debug"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// guard runs the wizard's model and turns a panic in it (in Init, Update,
// View or a command) into an orderly quit: Bubble Tea then restores the
// terminal as on any exit, and the runner reports the crash with its
// stack. Left to Bubble Tea, a panic prints its stack over the screen and
// comes back as ErrProgramKilled, which looks like any other way out.
type guard struct {
	inner tea.Model
	crash *crashBox
	// quit asks the program to stop, from View, which cannot return a
	// command.
	quit func()
}

// crashBox keeps the first panic.
type crashBox struct {
	mu sync.Mutex
	pe *panicError
}

func (c *crashBox) set(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pe == nil {
		c.pe = &panicError{value: v, stack: debug.Stack()}
	}
}

func (c *crashBox) get() *panicError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pe
}

// crashedMsg tells the guard that a command panicked.
type crashedMsg struct{}

func newGuard(inner tea.Model) *guard { return &guard{inner: inner, crash: &crashBox{}} }

func (g *guard) Init() (cmd tea.Cmd) {
	defer func() {
		if v := recover(); v != nil {
			g.crash.set(v)
			cmd = tea.Quit
		}
	}()
	return g.wrap(g.inner.Init())
}

func (g *guard) Update(msg tea.Msg) (m tea.Model, cmd tea.Cmd) {
	if g.crash.get() != nil {
		// Nothing more reaches the model once it has crashed.
		return g, tea.Quit
	}
	if _, ok := msg.(crashedMsg); ok {
		return g, tea.Quit
	}
	defer func() {
		if v := recover(); v != nil {
			g.crash.set(v)
			m, cmd = g, tea.Quit
		}
	}()
	inner, c := g.inner.Update(msg)
	g.inner = inner
	return g, g.wrap(c)
}

func (g *guard) View() (v tea.View) {
	if g.crash.get() != nil {
		return tea.NewView("")
	}
	defer func() {
		if r := recover(); r != nil {
			g.crash.set(r)
			v = tea.NewView("")
			if g.quit != nil {
				go g.quit() // View runs in the event loop, which Quit waits on
			}
		}
	}()
	return g.inner.View()
}

// wrap runs cmd with the guard's recover, and the commands it returns too.
func (g *guard) wrap(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if v := recover(); v != nil {
				g.crash.set(v)
				msg = crashedMsg{}
			}
		}()
		return g.wrapMsg(cmd())
	}
}

var cmdType = reflect.TypeFor[tea.Cmd]()

// wrapMsg guards the commands a message carries: tea.Batch's, and
// tea.Sequence's, whose type Bubble Tea does not export (hence reflect: any
// slice of commands is rebuilt, its type kept, with each command wrapped).
func (g *guard) wrapMsg(msg tea.Msg) tea.Msg {
	if msg == nil {
		return nil
	}
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice || v.Type().Elem() != cmdType {
		return msg
	}
	out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	for i := range v.Len() {
		c, _ := v.Index(i).Interface().(tea.Cmd)
		out.Index(i).Set(reflect.ValueOf(g.wrap(c)))
	}
	return out.Interface()
}
