package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/internal/labfixture"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// driver is a small Bubble Tea runtime for tests: it runs commands on
// goroutines and feeds their messages back to the model, in order, so
// Update is exercised exactly as the real program would, without a
// terminal.
type driver struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
	mu   sync.Mutex
	quit bool
	// eventLag holds back each batch of engine events this long, as a
	// busy terminal does: the end of an operation can then come first.
	// (Set and read from different goroutines: an atomic.)
	eventLag atomic.Int64
}

func newDriver(t *testing.T, m *Model, w, h int) *driver {
	d := &driver{t: t, m: m, msgs: make(chan tea.Msg, 4096)}
	d.exec(m.Init())
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		d.deliver(msg)
	}()
}

// deliver unpacks batches and sequences, as the runtime does.
func (d *driver) deliver(msg tea.Msg) {
	if msg == nil {
		return
	}
	if _, ok := msg.(eventsMsg); ok {
		time.Sleep(time.Duration(d.eventLag.Load()))
	}
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			d.exec(c)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		// tea.Sequence: run in order.
		cmds := make([]tea.Cmd, v.Len())
		for i := range cmds {
			cmds[i] = v.Index(i).Interface().(tea.Cmd)
		}
		go func() {
			for _, c := range cmds {
				if c != nil {
					d.deliver(c())
				}
			}
		}()
		return
	}
	d.msgs <- msg
}

func (d *driver) send(msg tea.Msg) {
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		return
	}
	next, cmd := d.m.Update(msg)
	// The runtime goes on with the model Update returns: starting over is
	// a new one (startOver), and the messages of its commands are its.
	if nm, ok := next.(*Model); ok {
		d.m = nm
	}
	d.exec(cmd)
}

// key types one key.
func (d *driver) key(k string) {
	d.send(keyMsg(k))
}

// namedKeys are the keys keyMsg knows by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"tab":       {Code: tea.KeyTab},
	"space":     {Code: tea.KeySpace, Text: " "},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"left":      {Code: tea.KeyLeft},
	"backspace": {Code: tea.KeyBackspace},
	"ctrl+home": {Code: tea.KeyHome, Mod: tea.ModCtrl},
	"home":      {Code: tea.KeyHome},
	"end":       {Code: tea.KeyEnd},
	"pgup":      {Code: tea.KeyPgUp},
	"pgdown":    {Code: tea.KeyPgDown},
	"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
	"ctrl+s":    {Code: 's', Mod: tea.ModCtrl},
	"ctrl+o":    {Code: 'o', Mod: tea.ModCtrl},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
}

// keyMsg is the key press of a named key, or of the character k types.
func keyMsg(k string) tea.KeyPressMsg {
	if msg, ok := namedKeys[k]; ok {
		return msg
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// until processes messages until cond holds.
func (d *driver) until(what string, timeout time.Duration, cond func(m *Model) bool) {
	d.t.Helper()
	deadline := time.After(timeout)
	for !cond(d.m) {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.screen())
		}
	}
}

// settle processes messages until the model is idle for a moment.
func (d *driver) settle() {
	d.t.Helper()
	d.until("idle", 20*time.Second, func(m *Model) bool { return !m.busy() && m.phase != phaseConnect && m.phase != phaseDetect })
	quiet := time.After(50 * time.Millisecond)
	for {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-quiet:
			return
		}
	}
}

func (d *driver) screen() string { return ansi.Strip(d.m.render()) }

// startWizard runs a wizard on opts in a w×h window and lets it settle.
func startWizard(t *testing.T, opts Options, w, h int) (*Model, *driver) {
	t.Helper()
	m := New(context.Background(), opts)
	d := newDriver(t, m, w, h)
	d.settle()
	return m, d
}

// sandboxWizard is startWizard on a fresh sandbox (sandboxOptions).
func sandboxWizard(t *testing.T, w, h int) (*Model, *driver) {
	t.Helper()
	opts, _ := sandboxOptions(t)
	return startWizard(t, opts, w, h)
}

// publicDNSTiming keeps the ECR names public for longer than a test runs:
// the requests then go around the endpoints.
func publicDNSTiming() sandbox.Timing {
	timing := sandbox.Instant
	timing.DNSSwitch = time.Hour
	return timing
}

// waitingForDNS is a wizard (w×h) on a sandbox whose names stay public
// (publicDNSTiming), walked to the DNS step and watching for the switch;
// opts opens the same lab again.
func waitingForDNS(t *testing.T, w, h int) (*Model, *driver, Options) {
	t.Helper()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: publicDNSTiming()})
	m, d := startWizard(t, opts, w, h)
	walkTo(t, d, scrDNS)
	d.key("enter")
	d.until("the DNS wait", 10*time.Second, func(m *Model) bool { return m.busy() && len(m.lookups) > 0 })
	return m, d, opts
}

// sandboxOptions runs the wizard against an in-process sandbox with instant
// timing, with the state in a temp dir.
func sandboxOptions(t *testing.T) (Options, *sandbox.Sandbox) {
	t.Helper()
	opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant})
	return opts, sb
}

// sandboxOptionsWith is sandboxOptions on a sandbox started with so (its
// timing, faults); its state directory is the test's. stateDir is the
// lab's.
func sandboxOptionsWith(t *testing.T, so sandbox.Options) (opts Options, sb *sandbox.Sandbox, stateDir string) {
	t.Helper()
	dir := t.TempDir()
	so.StateDir = filepath.Join(dir, "sandbox")
	sb, err := sandbox.Start(context.Background(), so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	stateDir = filepath.Join(dir, "state")
	opts = Options{
		Sandbox: true,
		Connect: func(ctx context.Context, t Target, sink func(steps.Event)) (*Connection, error) {
			store := steps.NewStore(stateDir, "sandbox")
			// As the wizard's command builds it: the teardown's fixes
			// name the wizard's key.
			lab, err := labfixture.Lab(sb, steps.Config{Mode: "sandbox", EnvFile: filepath.Join(dir, ".ecr_security"), RetryTeardown: t.RetryTeardown}, store, steps.NewEmitter(sink))
			if err != nil {
				return nil, err
			}
			return &Connection{Lab: lab, Close: func() error { return nil }}, nil
		},
	}
	return opts, sb, stateDir
}

func TestMain(m *testing.M) {
	// Tests never reach a real AWS host or the metadata address, and never
	// write to the developer's home: each test names its own state
	// directory and ~/.ecr_security, and HOME is a directory of the
	// package's for whatever else would look there. Set once here rather
	// than per test (t.Setenv), so the tests can run in parallel.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	testtool.TempInMemory()
	home, err := os.MkdirTemp("", "ui-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", home)
	// The tests mostly wait (on their sandboxes, on the wizard's quiet
	// moments), not on the CPU.
	testtool.FewerCollections()
	testtool.MoreParallelTests()
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	_ = os.RemoveAll(home)
	os.Exit(code)
}

func contains2(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// lineWith is the first line of s that holds sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// flatBox is a dialog's words as one line: the box's sides gone, lines
// joined and runs of spaces made one, so a sentence the dialog wraps (at
// spaces only) reads whole.
func flatBox(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("│", " ", "╭", " ", "╮", " ", "╰", " ", "╯", " ", "─", " ").Replace(s)), " ")
}
