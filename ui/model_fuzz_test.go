package ui

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"ecr-vpce-lab/internal/labfixture"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// The root model's property: whatever keys, sizes (down to 20×5) and engine
// events arrive, on every screen and in every phase, Update never panics and
// never blocks, and the screen always renders. TestModelProperty runs random
// sequences for a fixed time on every test run; FuzzModel lets `go test
// -fuzz` search further from the regression seeds.

// offlineSandbox is a sandbox that served once and stopped: labs built on
// it reach nothing. One is enough for every offline lab.
var offlineSandbox = sync.OnceValues(func() (*sandbox.Sandbox, error) {
	dir, err := os.MkdirTemp("", "ui-fuzz")
	if err != nil {
		return nil, err
	}
	atEnd(func() { _ = os.RemoveAll(dir) })
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: dir, Timing: sandbox.Instant})
	if err != nil {
		return nil, err
	}
	// Nothing is served any more.
	_ = sb.Close()
	return sb, nil
})

// offlineLabIn makes, in dir, a lab that can never reach anything: its
// cloud points at a closed loopback port and the wizard's context is
// cancelled, so every operation the model starts ends at once with
// "stopped". Events go nowhere: the fuzzer sends its own.
func offlineLabIn(dir string) (*steps.Lab, error) {
	sb, err := offlineSandbox()
	if err != nil {
		return nil, err
	}
	return labfixture.Lab(sb, steps.Config{Mode: "sandbox", EnvFile: filepath.Join(dir, ".ecr_security")}, steps.NewStore(filepath.Join(dir, "state"), "sandbox"), nil)
}

// offlineLab is one offline lab that the property's many runs share; what
// one run leaves in it (a step stopped, a challenge's draft) is more input
// for the next.
var offlineLab = sync.OnceValues(func() (*steps.Lab, error) {
	dir, err := os.MkdirTemp("", "ui-fuzz")
	if err != nil {
		return nil, err
	}
	atEnd(func() { _ = os.RemoveAll(dir) })
	return offlineLabIn(dir)
})

// cleanups run after all the package's tests (TestMain). The shared
// sandbox and lab are made by whichever parallel tests first need them,
// two at once at times: they add theirs under the lock.
var (
	cleanupsMu sync.Mutex
	cleanups   []func()
)

// atEnd adds f to the cleanups.
func atEnd(f func()) {
	cleanupsMu.Lock()
	defer cleanupsMu.Unlock()
	cleanups = append(cleanups, f)
}

// fuzzer drives one model with a stream of bytes.
type fuzzer struct {
	tb     testing.TB
	m      *Model
	models []*Model
	// pending are the messages commands produced, delivered later.
	pending []tea.Msg
	data    []byte
	steps   int
	// wait is how long a command may take to be delivered; longer ones
	// (ticks, waits for engine events) are dropped.
	wait time.Duration
	// patient: a command that is still at work after wait (not parked on
	// a timer or a channel: saving the state on a slow disk, starved of
	// CPU) is waited for until it answers, for up to patience.
	patient bool
}

// patience bounds the wait for a patient fuzzer's command at work.
const patience = 10 * time.Second

func newFuzzer(tb testing.TB, data []byte) *fuzzer {
	tb.Helper()
	lab, err := offlineLab()
	if err != nil {
		tb.Fatal(err)
	}
	return newFuzzerOn(tb, lab, data)
}

// newFuzzerOn is newFuzzer on a lab of the caller's.
func newFuzzerOn(tb testing.TB, lab *steps.Lab, data []byte) *fuzzer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // every operation stops before it starts
	conn := &Connection{Lab: lab, Close: func() error { return nil }}
	opts := Options{
		Sandbox: true,
		Detect:  func(context.Context) Detection { return Detection{Region: "us-west-2"} },
		Connect: func(context.Context, Target, func(steps.Event)) (*Connection, error) { return conn, nil },
	}
	f := &fuzzer{tb: tb, data: data, wait: time.Millisecond}
	f.m = New(ctx, opts)
	f.models = append(f.models, f.m)
	st := lab.State()
	st.Account = "123456789012"
	f.update(connectedMsg{conn: conn, st: st, cfg: lab.Config()})
	f.update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return f
}

// close releases the goroutines still waiting for engine events.
func (f *fuzzer) close() {
	for _, m := range f.models {
		close(m.events)
	}
}

func (f *fuzzer) byte() byte {
	if len(f.data) == 0 {
		return 0
	}
	b := f.data[0]
	f.data = f.data[1:]
	return b
}

func (f *fuzzer) pick(n int) int { return int(f.byte()) % n }

// update delivers one message, failing if Update panics or blocks, then
// runs what it returned. Blocking is what the runtime says Update's
// goroutine is doing, not a clock: parked on a channel, a lock, a timer or
// a system call in three looks over a fifth of a second, past its first
// second. A goroutine only starved of CPU (runnable) is not blocked; one
// still running after blockCap is in a loop.
func (f *fuzzer) update(msg tea.Msg) {
	f.tb.Helper()
	f.steps++
	type result struct {
		m     tea.Model
		cmd   tea.Cmd
		panic any
		stack string
	}
	chal := f.m.chal
	done := make(chan result, 1)
	id := make(chan int64, 1)
	go func() {
		id <- goid()
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.panic = p
				done <- r
			}
		}()
		r.m, r.cmd = f.m.Update(msg)
		_ = r.m.View()
		done <- r
	}()
	gid := <-id
	look := time.NewTimer(time.Second)
	defer look.Stop()
	start, parked := time.Now(), 0
	var r result
wait:
	for {
		select {
		case r = <-done:
			break wait
		case <-look.C:
		}
		state, stack, ok := goroutineState(gid)
		switch {
		case !ok: // it has just returned
		case waitsOnSomething(state):
			if parked++; parked == 3 {
				f.tb.Fatalf("Update(%T %+v) blocked (%s) for over 200ms (screen %d, phase %d):\n%s", msg, msg, state, f.m.cur, f.m.phase, stack)
			}
		default:
			parked = 0
			if time.Since(start) > blockCap {
				f.tb.Fatalf("Update(%T %+v) still %s after %s (screen %d, phase %d): a loop?\n%s", msg, msg, state, blockCap, f.m.cur, f.m.phase, stack)
			}
		}
		look.Reset(100 * time.Millisecond)
	}
	{
		if r.panic != nil {
			f.tb.Fatalf("Update(%T %+v) panicked: %v\nafter %d steps on screen %d phase %d", msg, msg, r.panic, f.steps, f.m.cur, f.m.phase)
		}
		if mm, ok := r.m.(*Model); ok && mm != f.m {
			f.m = mm
			f.models = append(f.models, mm)
		}
		if c := f.m.chal; c != nil && c != chal && c.loading {
			// The learner's progress is being read: everything typed
			// waits for it, so it must arrive, however slow the disk.
			f.runFor(r.cmd, 10*time.Second)
			return
		}
		f.run(r.cmd)
	}
}

// blockCap is how long one Update may keep a CPU busy before the fuzzer
// calls it a loop: far beyond any load, well inside the test's timeout.
const blockCap = 30 * time.Second

// run executes a command briefly: what answers at once (a form moving its
// focus, an operation that stops) is delivered later; what waits (ticks,
// engine events) is dropped.
func (f *fuzzer) run(cmd tea.Cmd) { f.runFor(cmd, f.wait) }

// runFor is run with a wait of its own.
func (f *fuzzer) runFor(cmd tea.Cmd, wait time.Duration) {
	if cmd == nil {
		return
	}
	ch := make(chan tea.Msg, 1)
	id := make(chan int64, 1)
	go func() {
		id <- goid()
		ch <- cmd()
	}()
	gid := <-id
	look := time.NewTimer(wait)
	defer look.Stop()
	give := time.Now().Add(patience)
	for {
		select {
		case msg := <-ch:
			f.collect(msg)
			return
		case <-look.C:
		}
		if !f.patient || time.Now().After(give) {
			return
		}
		// A tick or a wait for engine events is dropped; work goes on.
		if state, _, ok := goroutineState(gid); ok && waitsForEvent(state) {
			return
		}
		look.Reset(10 * time.Millisecond)
	}
}

func (f *fuzzer) collect(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			f.run(c)
		}
	case tea.QuitMsg:
	default:
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := range v.Len() {
				f.run(v.Index(i).Interface().(tea.Cmd))
			}
			return
		}
		if len(f.pending) < 64 {
			f.pending = append(f.pending, msg)
		}
	}
}

var fuzzKeys = []string{"enter", "esc", "tab", "shift+tab", "space", "up", "down", "backspace", "ctrl+c", "ctrl+s", "ctrl+o",
	"k", "s", "p", "f", "e", "T", "y", "n", "q", "?", "c", "l", "h", "j", "x", "r", "a", "/", "g", "G", "1"}

var fuzzPolicies = [][]byte{
	nil,
	policy.AllowAll().Canonical(),
	mustDefault("ecr:PutImage"),
	mustDefault("ecr:PutImage", "ecr:BatchGetImage"),
	[]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"OnlyVpc","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}`),
	[]byte(`{"Statement":[`),
}

// mustJSON fills v from JSON: the domain types the ui never names.
func mustJSON(src string, v any) {
	if err := json.Unmarshal([]byte(src), v); err != nil {
		panic(err)
	}
}

func mustDefault(deny ...string) []byte {
	d, err := policy.Default("123456789012", "us-west-2", policy.DefaultRepository, deny)
	if err != nil {
		panic(err)
	}
	return d.Canonical()
}

var (
	fuzzSteps  = []steps.StepID{steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy, steps.StepEndpoints, steps.StepDNS, steps.StepPush, steps.StepList, steps.StepPull, steps.StepTeardown, ""}
	fuzzStates = []steps.ResourceState{steps.ResCreating, steps.ResCreated, steps.ResPending, steps.ResAvailable, steps.ResDeleting, steps.ResDeleted, steps.ResReleasing, steps.ResReleased, steps.ResFailed, steps.ResWaiting, steps.ResKept, ""}
	fuzzKinds  = []steps.ResourceKind{steps.KindEndpoint, steps.KindSecurityGroup, steps.KindIngressRule, steps.KindImageTag, steps.KindEnvFile, steps.KindStateFile, "odd"}
	fuzzStatus = []steps.StepStatus{steps.StatusPending, steps.StatusDone, steps.StatusFailed, steps.StatusSkipped, steps.StatusStopped}
)

// event makes an engine event of any kind from the stream.
func (f *fuzzer) event() steps.Event {
	e := steps.Event{Step: fuzzSteps[f.pick(len(fuzzSteps))], Time: time.Now().Add(time.Duration(f.pick(120)-60) * time.Second)}
	switch f.pick(10) {
	case 0:
		e.Kind = steps.EventState
		st := f.m.st
		st.Account, st.Region = "123456789012", "us-west-2"
		st.Policy = fuzzPolicies[f.pick(len(fuzzPolicies))]
		st.PolicyTarget = []steps.Target{steps.TargetBoth, steps.TargetDKR, ""}[f.pick(3)]
		st.Steps = map[steps.StepID]steps.StepRecord{e.Step: {Status: fuzzStatus[f.pick(len(fuzzStatus))]}}
		if f.pick(2) == 0 {
			st.SecurityGroup = &steps.Record{ID: "sg-0123456789abcdef0", Name: "ECR_VPCE_SG"}
			st.Endpoints = map[string]*steps.Record{
				steps.EndpointDKR: {ID: "vpce-0dkr", Type: "Interface", Created: true, CreatedAt: time.Now().Add(-time.Hour), AZs: 2},
				steps.EndpointS3:  {ID: "vpce-0s3"},
			}
		} else {
			st.SecurityGroup, st.Endpoints, st.Rule = nil, nil, nil
		}
		e.State = &st
	case 1:
		e.Kind = steps.EventResource
		e.Resource = &steps.ResourceEvent{Kind: fuzzKinds[f.pick(len(fuzzKinds))], ID: fmt.Sprintf("vpce-%x", f.byte()), Name: []string{steps.EndpointDKR, steps.EndpointAPI, steps.EndpointS3, "", "ECR_VPCE_SG"}[f.pick(5)],
			State: fuzzStates[f.pick(len(fuzzStates))], Detail: "detail", Since: time.Now().Add(-time.Duration(f.pick(100)) * time.Second)}
	case 2:
		e.Kind = steps.EventTest
		name := steps.TestNames[f.pick(len(steps.TestNames))]
		e.Test = &steps.TestResult{Name: name, Repository: policy.DefaultRepository, Match: f.pick(2) == 0,
			Expected: []policy.Result{policy.ResultAllow, policy.ResultExplicitDeny, policy.ResultImplicitDeny}[f.pick(3)], ExpectedAction: "ecr:PutImage"}
		out := &e.Test.Outcome
		out.Allowed = f.pick(2) == 0
		if !out.Allowed {
			out.Code, out.Action = "DENIED", []string{"ecr:PutImage", "ecr:BatchGetImage", "ecr:ListImages", "ecr:GetAuthorizationToken", "", "bogus"}[f.pick(6)]
			out.Message = "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: " + out.Action + " on resource: x with an explicit deny in a VPC endpoint policy"
		}
		if name == steps.ListTest && f.pick(2) == 0 {
			mustJSON(`{"images":[{"imageTag":"v1","imageDigest":"sha256:abc"},{"imageDigest":"sha256:def"}]}`, &e.Test.List)
		}
	case 3:
		e.Kind = steps.EventDNS
		private := f.pick(2) == 0
		mustJSON(fmt.Sprintf(`[{"name":"123456789012.dkr.ecr.us-west-2.amazonaws.com","addresses":[{"ip":"10.0.0.12","private":%v}]},{"name":"api.ecr.us-west-2.amazonaws.com","error":"no answer"}]`, private), &e.Lookups)
		e.NextPoll = time.Duration(f.pick(5)) * time.Second
	case 4:
		e.Kind = steps.EventCheck
		e.Check = &steps.CheckItem{ID: fmt.Sprint(f.pick(4)), Title: "a check", OK: f.pick(2) == 0, Message: "why", Fix: "do this",
			Action: []string{"", steps.FixEnableVPCDNS, steps.FixCreateRepo, steps.FixAdopt, steps.FixWorkspace}[f.pick(5)]}
	case 5:
		e.Kind = steps.EventCommand
		e.Command = &steps.Command{Args: []string{"aws", "ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", "vpce-1"}, Capture: "DKR_VPCE_ID"}
	case 6:
		e.Kind = steps.EventCall
		e.Call = &steps.Call{Service: "ec2", Operation: "DescribeVpcEndpoints", Start: time.Now(), Code: []string{"", "Throttling"}[f.pick(2)]}
	case 7:
		e.Kind = steps.EventFailed
		e.Error, e.Fix = "it broke", "fix it"
	case 8:
		e.Kind = steps.EventDetail
		e.Message = "a detail"
	default:
		e.Kind = []steps.EventKind{steps.EventStarted, steps.EventDone, "unknown"}[f.pick(3)]
	}
	return e
}

// opResult makes an outcome for the operation in flight (or a stale one).
func (f *fuzzer) opDone() tea.Msg {
	msg := opDoneMsg{seq: f.m.opSeq - f.pick(2), step: fuzzSteps[f.pick(len(fuzzSteps))]}
	if f.m.op != nil {
		msg.kind = f.m.op.kind
	}
	switch f.pick(4) {
	case 1:
		msg.res.err = context.Canceled
	case 2:
		msg.res.err = errors.New("something failed")
	}
	if f.pick(2) == 0 {
		msg.res.check = &steps.CheckResult{OK: f.pick(2) == 0, Message: "checked", Items: []steps.CheckItem{{Title: "x", Message: "y"}}}
		msg.res.teardown = &steps.TeardownReport{}
	}
	return msg
}

// step makes one message from the stream and delivers it.
func (f *fuzzer) step() {
	switch op := f.pick(16); {
	case op < 7:
		f.update(keyMsg(fuzzKeys[f.pick(len(fuzzKeys))]))
	case op == 7:
		f.update(tea.WindowSizeMsg{Width: 20 + f.pick(140), Height: 5 + f.pick(45)})
	case op < 10:
		f.update(eventMsg(f.event()))
	case op == 10:
		// Any screen, any phase, as a resumed run or a jump could leave it.
		f.m.phase = phase(f.pick(int(phaseFatal) + 1))
		f.update(tea.WindowSizeMsg{Width: f.m.c.Width, Height: f.m.c.Height})
		if f.m.phase == phaseLab {
			f.m.goTo(screenID(f.pick(int(numScreens))))
		}
	case op == 11:
		f.update(f.opDone())
	case op == 12:
		f.update(tickMsg{gen: f.m.tickGen, t: time.Now()})
	case op == 13 && len(f.pending) > 0:
		i := f.pick(len(f.pending))
		msg := f.pending[i]
		f.pending = append(f.pending[:i], f.pending[i+1:]...)
		f.update(msg)
	case op == 14:
		f.update([]tea.Msg{tea.BackgroundColorMsg{}, detectedMsg{Credentials: f.pick(2) == 0}, choicesMsg{vpcs: []steps.Choice{{ID: "vpc-1"}}},
			choicesMsg{subnets: []steps.Choice{{ID: "subnet-1"}}, groups: []steps.Choice{{ID: "sg-1"}}}, choicesMsg{err: errors.New("no")},
			connectedMsg{err: errors.New("cannot connect")},
			connectedMsg{err: &steps.RunChoiceError{Region: "us-west-2", Runs: []steps.RunSummary{{RunID: "r1"}, {RunID: "r2", VpcID: "vpc-1"}}}}}[f.pick(7)])
	default:
		f.update(keyMsg(fuzzKeys[f.pick(len(fuzzKeys))]))
	}
}

func drive(tb testing.TB, data []byte) int {
	f := newFuzzer(tb, data)
	defer f.close()
	for len(f.data) > 0 {
		f.step()
	}
	return f.steps
}

// keysOn spells a key sequence on a screen for the seeds: op 10 jumps to the
// screen (in the lab phase), op 0 types a key.
func keysOn(s screenID, ks ...string) []byte {
	return append([]byte{10, byte(phaseLab), byte(s)}, keys(ks...)...)
}

// keys spells key presses (op 0).
func keys(ks ...string) []byte {
	var out []byte
	for _, k := range ks {
		for i, fk := range fuzzKeys {
			if fk == k {
				out = append(out, 0, byte(i))
			}
		}
	}
	return out
}

func FuzzModel(f *testing.F) {
	// The regression of issue 11: k (check again) on the DNS screen, then s.
	// The DNS wait starts (enter) and fails (op 11 with an error), k checks
	// again, s skips while the check runs.
	dnsFailed := append(keysOn(scrDNS, "enter"), 11, 0, 6, 2, 1)
	f.Add(append(append([]byte{}, dnsFailed...), keys("k", "s")...))
	f.Add(append(append([]byte{}, dnsFailed...), keys("k", "esc", "s", "enter", "s")...))
	f.Add(keysOn(scrDNS, "enter", "s", "s", "esc"))
	f.Add(keysOn(scrPolicy, "tab", "down", "space", "enter", "enter", "ctrl+s", "ctrl+o", "esc"))
	f.Add(keysOn(scrPush, "p", "esc", "T", "n", "?", "esc"))
	f.Add([]byte{7, 0, 0, 8, 1, 2, 3, 4, 0, 1, 11, 1, 1, 12})
	f.Fuzz(func(t *testing.T, data []byte) { drive(t, data) })
}

// TestModelProperty runs random sequences against the model for a few
// seconds and says how many it ran.
func TestModelProperty(t *testing.T) {
	t.Parallel()
	budget := 3 * time.Second
	if testing.Short() {
		budget = 500 * time.Millisecond
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	start := time.Now()
	runs, msgs := 0, 0
	for time.Since(start) < budget {
		data := make([]byte, 8*(25+rng.IntN(50)))
		for i := 0; i < len(data); i += 8 {
			binary.LittleEndian.PutUint64(data[i:], rng.Uint64())
		}
		ok := t.Run("", func(t *testing.T) { msgs += drive(t, data) })
		if !ok {
			t.Fatalf("seed %d, run %d", seed, runs)
		}
		runs++
	}
	t.Logf("%d random sequences, %d messages in %s (seed %d)", runs, msgs, time.Since(start).Round(time.Millisecond), seed)
}
