package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// The wizard has one clock. It ticks four times a second while something
// moves (an operation, a connection, a wait the engine reports), which
// drives the spinner and the elapsed times; when nothing moves it stops, so
// a wizard waiting for a key uses no CPU. While endpoints bill, it wakes
// only when the cost or the time left shown in the header would change.

// frameEvery is the spinner's pace; elapsed times show whole seconds while
// they run, so they visibly tick every second.
const frameEvery = 250 * time.Millisecond

// pulse is a one-cell spinner: a quarter block turning clockwise. Its frames
// share no glyph with a mark (· not run, ✓ ✗ ■ – settled), so a still screen
// tells a running step from one not begun; a dot that breathed through
// · • ● once read as "not started". Quarter blocks are in every common
// monospace font (braille is not: the README's renderer draws it as boxes)
// and are one column wide in every locale (· and ● are ambiguous-width).
var pulse = []string{"▖", "▘", "▝", "▗"}

// frame is the spinner's current glyph, from the clock.
func (m *Model) frame() string {
	n := m.now.UnixMilli() / frameEvery.Milliseconds()
	return pulse[int(n%int64(len(pulse)))]
}

// linesFrame is the spinner's frame for the progress lines, or "" when
// nothing is in flight: a resource still changing that no one watches (a
// step stopped, then the wizard reopened) is not drawn as one at work.
func (m *Model) linesFrame() string {
	if m.op == nil {
		return ""
	}
	return m.frame()
}

// animating reports whether anything on screen changes by itself.
func (m *Model) animating() bool {
	switch {
	case m.op != nil, m.phase == phaseDetect, m.phase == phaseConnect:
		return true
	}
	return false
}

// startTicking starts the clock if something moves and it is not running.
// A clock already ticking is planned again when something needs it sooner
// than its next tick (the expiry passed, by AWS's clock, while it slept
// until the next minute).
func (m *Model) startTicking() tea.Cmd {
	d, ok := m.nextTick()
	if !ok {
		return nil
	}
	at := time.Now().Add(d)
	if m.ticking && !m.tickAt.After(at) {
		return nil
	}
	m.ticking = true
	m.tickGen++
	m.tickAt = at
	return tickAfter(m.tickGen, d)
}

func tickAfter(gen int, d time.Duration) tea.Cmd {
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg{gen: gen, t: t} })
}

// tick advances the clock and schedules the next tick, if any.
func (m *Model) tick(msg tickMsg) tea.Cmd {
	if msg.gen != m.tickGen {
		return nil
	}
	m.now = msg.t
	look := m.lookAtExpiry()
	d, ok := m.nextTick()
	if !ok {
		m.ticking = false
		return look
	}
	m.tickAt = msg.t.Add(d)
	return tea.Batch(look, tickAfter(m.tickGen, d))
}

// nextTick is how long until the screen next changes by itself.
func (m *Model) nextTick() (time.Duration, bool) {
	if m.animating() {
		return frameEvery, true
	}
	var next time.Duration
	ok := false
	c := m.cost()
	// The header shows what AWS bills, which grows as each endpoint-hour
	// starts: wake then.
	if c.PerHour > 0 && !c.NextHour.IsZero() {
		next, ok = max(c.NextHour.Sub(m.now), time.Second), true
	}
	// The header's time left counts down: wake when its words change.
	if d, has := m.nextLeftChange(); has && (!ok || d < next) {
		next, ok = d, true
	}
	// Once expired: the next look at what the auto-teardown did.
	if d, has := m.nextExpiryLook(); has && (!ok || d < next) {
		next, ok = d, true
	}
	return next, ok
}

// ProgramOptions are the options the wizard's program needs. Bubble Tea's
// renderer wakes at its frame rate even when nothing changed, and that is
// most of what an idle wizard costs: 20 frames a second still echoes a key
// within 50 ms and is five times the spinner's pace (frameEvery), at a
// third of the default's wakeups.
func ProgramOptions() []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithFPS(20)}
}
