package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// TestTeardownFollowsAnEndpointsSubStates: an interface endpoint's line
// goes deleting → deleted → waiting for its network interfaces → released,
// spinning again while the interfaces are released and settling after.
func TestTeardownFollowsAnEndpointsSubStates(t *testing.T) {
	t.Parallel()
	m := &Model{tdIndex: map[string]*ResourceLine{}}
	st := NewStyles(true)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	send := func(state steps.ResourceState, at time.Duration) ResourceLine {
		m.teardownEvent(steps.Event{Kind: steps.EventResource, Step: steps.StepTeardown, Time: t0.Add(at),
			Resource: &steps.ResourceEvent{Kind: steps.KindEndpoint, ID: "vpce-1", Name: steps.EndpointDKR, State: state, Since: t0}})
		if len(m.teardown) != 1 {
			t.Fatalf("%d lines for one endpoint", len(m.teardown))
		}
		return *m.teardown[0]
	}
	screen := func(l ResourceLine, now time.Duration) string {
		return ansi.Strip(RenderResourceLines(st, []ResourceLine{l}, "●", t0.Add(now), 100))
	}
	if l := send(steps.ResDeleting, 0); !l.busy() || !strings.Contains(screen(l, time.Second), "● ecr.dkr interface endpoint") {
		t.Fatalf("deleting: %+v\n%s", l, screen(l, time.Second))
	}
	if l := send(steps.ResDeleted, 5*time.Second); l.busy() || !strings.Contains(screen(l, 6*time.Second), "✓") {
		t.Fatalf("deleted: %+v", l)
	}
	l := send(steps.ResReleasing, 6*time.Second)
	if !l.busy() || !strings.Contains(screen(l, 9*time.Second), "waiting for its network interfaces") {
		t.Fatalf("releasing: %+v\n%s", l, screen(l, 9*time.Second))
	}
	l = send(steps.ResReleased, 20*time.Second)
	if out := screen(l, 25*time.Second); l.busy() || !strings.Contains(out, "✓") || !strings.Contains(out, "released") || !strings.Contains(out, "[20.0s]") {
		t.Fatalf("released: %+v\n%s", l, out)
	}
	// The line keeps the way it went, so "deleted" is not mistaken for the end.
	if out := screen(l, 25*time.Second); !strings.Contains(out, "deleting → deleted → waiting for its network interfaces → released") {
		t.Fatalf("the sub-states must show in order:\n%s", out)
	}
}

// TestEveryStateHasItsColour: the progress lines colour states by their
// meaning; states AWS reports in other spellings or that are new to the
// wizard still read as what they are.
func TestEveryStateHasItsColour(t *testing.T) {
	t.Parallel()
	st := NewStyles(true)
	for state, want := range map[steps.ResourceState]string{
		steps.ResRejected: "failed", steps.ResExpired: "failed", steps.ResFailed: "failed",
		steps.ResReleasing: "deleting", steps.ResDeleting: "deleting",
		steps.ResPendingAcceptance: "pending", steps.ResCreating: "pending", steps.ResWaiting: "pending",
		steps.ResReleased: "deleted", steps.ResDeleted: "deleted", steps.ResKept: "deleted", steps.ResGone: "deleted",
		steps.ResAvailable: "available", steps.ResCreated: "available", steps.ResAdopted: "available", steps.ResRestored: "available",
	} {
		got := map[string]string{
			st.StateFailed.Render("x"): "failed", st.StateDeleting.Render("x"): "deleting", st.StatePending.Render("x"): "pending",
			st.StateDeleted.Render("x"): "deleted", st.StateAvailable.Render("x"): "available",
		}[st.stateStyle(state).Render("x")]
		if got != want {
			t.Errorf("%s is drawn as %q, want %q", state, got, want)
		}
	}
}

// TestSkippedHasItsOwnMark: a skipped step is not drawn as passed, and no
// frame of the spinner looks like a settled or not-started mark: a learner
// reading a still screen tells a running step from one not begun.
func TestSkippedHasItsOwnMark(t *testing.T) {
	t.Parallel()
	st := NewStyles(true)
	marks := map[string]string{}
	for _, s := range []steps.StepStatus{steps.StatusPending, steps.StatusDone, steps.StatusFailed, steps.StatusSkipped, steps.StatusStopped, steps.StatusUnproven} {
		mark := ansi.Strip(st.stepMark(s, "●"))
		if other, ok := marks[mark]; ok {
			t.Errorf("%q and %q share the mark %q", s, other, mark)
		}
		marks[mark] = "step " + s.Label()
	}
	// The resource lines' marks: waiting, failed, ended, stopped.
	t0 := time.Unix(0, 0)
	for _, l := range []ResourceLine{{Label: "x", State: steps.ResPending}, {Label: "x", Err: "boom"}, {Label: "x", Started: t0, Ended: t0}, {Label: "x", State: steps.ResPending, Started: t0}} {
		mark, _, _ := strings.Cut(strings.TrimSpace(ansi.Strip(RenderResourceLines(st, []ResourceLine{l}, "", t0, 80))), " ")
		if marks[mark] == "" {
			marks[mark] = "resource line"
		}
	}
	seen := map[string]bool{}
	for n := range len(pulse) * 4 {
		m := &Model{now: t0.Add(time.Duration(n) * frameEvery)}
		if f := m.frame(); marks[f] != "" && !seen[f] {
			seen[f] = true
			t.Errorf("the spinner's frame %q is also the mark of a %s", f, marks[f])
		}
	}
}

// TestFixSaysTheKind: the fix under a failure names the kind of problem.
func TestFixSaysTheKind(t *testing.T) {
	t.Parallel()
	err := &steps.StepError{Step: steps.StepEndpoints, Title: "VPC endpoints", Fix: "wait a minute and run the command again",
		Err: &problem.Error{Kind: problem.Server, Code: "InternalError", Message: "boom"}}
	if got := fixOf(err); got != "[AWS had a problem] wait a minute and run the command again" {
		t.Errorf("fixOf = %q", got)
	}
	if got := fixOf(errors.New("plain")); got != "" {
		t.Errorf("a plain error has no fix: %q", got)
	}
	if got := withKind(problem.Unknown, "run it again"); got != "run it again" {
		t.Errorf("an unknown kind is not shown: %q", got)
	}
}

// TestWrapKeepsNamesWhole: the screens wrap at spaces only, so an ID, an
// ARN or a command a learner may copy is never split at one of its
// hyphens (only a word longer than the whole width is broken).
func TestWrapKeepsNamesWhole(t *testing.T) {
	t.Parallel()
	s := "its route goes into the VPC's main table rtb-0123456789abcdef0, which subnet-0fedcba9876543210 uses too: run ecr-vpce-lab down --sandbox --yes"
	for width := len("subnet-0fedcba9876543210"); width <= 90; width++ {
		got := wrapIndent(s, width, "  ")
		for _, name := range []string{"rtb-0123456789abcdef0,", "subnet-0fedcba9876543210", "ecr-vpce-lab", "--sandbox"} {
			if !strings.Contains(got, name) {
				t.Fatalf("width %d split %q:\n%s", width, name, got)
			}
		}
		if flat := strings.Join(strings.Fields(got), " "); flat != s {
			t.Fatalf("width %d changed the words:\n%s", width, got)
		}
	}
}

// TestElapsedStaysOnNarrowScreens: on a narrow screen (60×16 leaves the
// lines 58 cells) every line keeps its whole faint elapsed time and its
// state; the labels take their short forms and IDs are cut first.
func TestElapsedStaysOnNarrowScreens(t *testing.T) {
	t.Parallel()
	st := NewStyles(true)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := t0.Add(75 * time.Second)
	ev := func(kind steps.ResourceKind, name string) steps.ResourceEvent {
		return steps.ResourceEvent{Kind: kind, Name: name}
	}
	line := func(r steps.ResourceEvent, id string, state steps.ResourceState, took time.Duration) ResourceLine {
		label, short := resourceLabels(r)
		l := ResourceLine{Label: label, Short: short, ID: id, State: state, Started: t0}
		if took > 0 {
			l.Ended = t0.Add(took)
		}
		return l
	}
	lines := []ResourceLine{
		line(ev(steps.KindSecurityGroup, "ECR_VPCE_SG"), "sg-9c097af3f85bb4019", steps.ResCreated, 120*time.Millisecond),
		line(ev(steps.KindIngressRule, ""), "sgr-0123456789abcdef0", steps.ResCreated, 3*time.Second),
		line(ev(steps.KindEndpoint, steps.EndpointDKR), "vpce-0123456789abcdef0", steps.ResPending, 0),
		line(ev(steps.KindEndpoint, steps.EndpointAPI), "vpce-0fedcba9876543210", steps.ResReleasing, 0),
		line(ev(steps.KindEndpoint, steps.EndpointS3), "vpce-0aaaabbbbccccdddd", steps.ResAvailable, 62*time.Second),
		line(ev(steps.KindSchedule, "endpoints"), "ecr-vpce-lab-0123456789-endpoints", steps.ResDeleted, 2*time.Second),
	}
	want := []string{"[0.1s]", "[3.0s]", "[1m15s]", "[1m15s]", "[1m02s]", "[2.0s]"}
	for _, width := range []int{36, 46, 58, 68, 78, 98} {
		out := ansi.Strip(RenderResourceLines(st, lines, "●", now, width))
		// A row with its ID cut, still at work, has the ID whole on the
		// line beneath (TestTeardownKeepsIDsWhole); the rows are the others.
		var rows []string
		for _, row := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(row); w > width {
				t.Errorf("width %d: a line is %d cells wide:\n%s", width, w, row)
			}
			if !strings.HasPrefix(row, "    ") {
				rows = append(rows, row)
			}
		}
		if len(rows) != len(lines) {
			t.Fatalf("width %d: %d rows for %d lines:\n%s", width, len(rows), len(lines), out)
		}
		for i, row := range rows {
			if !strings.HasSuffix(row, " "+want[i]) {
				t.Errorf("width %d: row %d lost its elapsed time %s:\n%s", width, i, want[i], out)
			}
		}
		if width == 58 {
			// At 60×16 the label says what it is, and a state of common
			// length is whole (the long one is cut, but starts as itself).
			for i, words := range []string{"ECR_VPCE_SG", "tcp/443 rule", "ecr.dkr", "ecr.api", "s3 gateway"} {
				state := lines[i].State.Label() + " "
				if lines[i].State == steps.ResReleasing {
					// Too long for the room: in fewer words, not cut.
					state = " releasing"
				}
				if !strings.Contains(rows[i], words) || !strings.Contains(rows[i], state) {
					t.Errorf("width 58: row %d lacks %q or its whole state:\n%s", i, words, out)
				}
			}
		}
	}
}

// TestStoppedEndpointsOnComingBack: the learner quit while the endpoints
// were pending and opens the wizard again. The screen says the step
// stopped and that nothing watches the endpoints until Enter; their lines
// have a still mark and no clock (a spinner and a time frozen read as a
// wizard at work, or hung), and Enter is "go on", not "try again".
func TestStoppedEndpointsOnComingBack(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 100, 30, false)
	created := time.Now().Add(-40 * time.Second)
	f.m.st.Steps = map[steps.StepID]steps.StepRecord{steps.StepEndpoints: {Status: steps.StatusStopped}}
	f.m.st.Endpoints = map[string]*steps.Record{
		steps.EndpointDKR: {ID: "vpce-0123456789abcdef0", Created: true, CreatedAt: created, State: steps.ResPending},
		steps.EndpointS3:  {ID: "vpce-0fedcba9876543210", Created: true, CreatedAt: created, State: steps.ResAvailable},
	}
	f.m.restoreFromState()
	f.m.goTo(scrEndpoints)
	s := ansi.Strip(f.m.render())
	dkr := lineWith(s, "vpce-0123456789abcdef0")
	if !strings.HasPrefix(strings.TrimSpace(dkr), steps.StatusStopped.Mark()+" ") || strings.Contains(dkr, "[") {
		t.Errorf("a pending endpoint nothing watches: %q\n%s", dkr, s)
	}
	if !contains2(flat(s), "Stopped before it finished", "nothing is watched until you press Enter to go on from there", "enter go on") ||
		strings.Contains(s, "try again") {
		t.Errorf("the stopped step on coming back:\n%s", s)
	}
}

// TestScreensKeepNamesWhole: at 60 columns the screens' own sentences
// (a step's introduction, a plan's values) break lines at spaces, never
// inside team-a/alpine:v2 or a subnet's ID.
func TestScreensKeepNamesWhole(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 60, 40, false)
	f.m.st.Workspace.SubnetID = "subnet-734e9930117f96b03"
	f.withPolicy()
	for scr, names := range map[screenID][]string{
		scrPush:      {"team-a/alpine:v1", "team-a/alpine:v2"},
		scrEndpoints: {"subnet subnet-734e9930117f96b03 ·"},
	} {
		f.m.goTo(scr)
		s := flat(ansi.Strip(f.m.render()))
		for _, n := range names {
			if !strings.Contains(s, n) {
				t.Errorf("%s: %q is split:\n%s", screens[scr].title, n, ansi.Strip(f.m.render()))
			}
		}
	}
}

// TestFinishKeepsTheWayOut: on a 60×16 window the Finish screen keeps
// what the run costs and the command that removes it, under the diagram
// it gives up first: nothing may be left billing for want of a line.
func TestFinishKeepsTheWayOut(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 60, 16, false)
	f.withPolicy()
	created := time.Now().Add(-10 * time.Minute)
	f.m.st.Workspace = steps.Workspace{VpcID: "vpc-1", SubnetID: "subnet-1", SecurityGroupID: "sg-1", RouteTableID: "rtb-1", AZ: "us-west-2a"}
	f.m.st.Endpoints = map[string]*steps.Record{}
	for _, k := range steps.EndpointKeys {
		f.m.st.Endpoints[k] = &steps.Record{ID: "vpce-" + strings.ReplaceAll(k, ".", ""), Created: true, CreatedAt: created, State: steps.ResAvailable}
	}
	f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress, scrPolicy, scrEndpoints, scrDNS, scrPush, scrList)
	f.m.goTo(scrFinish)
	s := ansi.Strip(f.m.render())
	if !contains2(flat(s), "ecr-vpce-lab down --sandbox", "--yes", "Press T to tear everything down") {
		t.Errorf("the Finish screen at 60x16 lost the way out:\n%s", s)
	}
	// Quitting a lab that went well is no failure.
	f.press("q", "y")
	if err := f.m.ExitErr(); err != nil {
		t.Errorf("q on a lab that went well: %v", err)
	}
}

// TestTeardownVerdictInSight: at 60×16 a finished teardown of a dozen
// resources keeps its verdict and what to press in sight: the lines
// already done fold into one, and what is left or failed stays.
func TestTeardownVerdictInSight(t *testing.T) {
	t.Parallel()
	f, t0 := teardownAt60x16(t)
	for i := 0; i < 12; i++ {
		r := steps.ResourceEvent{Kind: steps.KindSchedule, Name: fmt.Sprintf("s%d", i)}
		label, short := resourceLabels(r)
		l := &ResourceLine{Label: label, Short: short, ID: fmt.Sprintf("id-%d", i), State: steps.ResDeleted, Started: t0, Ended: t0.Add(time.Second)}
		if i == 9 {
			l.State, l.Err = steps.ResFailed, "DependencyViolation: still in use"
		}
		f.m.teardown = append(f.m.teardown, l)
	}
	// While its last look waits for EC2 to stop listing what it deleted,
	// the teardown says so under its lines, in sight, and not once a
	// line moves on or the teardown has ended.
	f.m.op = &inflight{kind: opTeardown, seq: 7, step: steps.StepTeardown, cancel: func() {}, started: t0}
	f.m.teardownEvent(steps.Event{Kind: steps.EventDetail, Step: steps.StepTeardown,
		Message: "EC2 still lists the security group sg-1 (ECR_VPCE_SG), deleted moments ago: its reads lag its writes"})
	if s := ansi.Strip(f.m.render()); !strings.Contains(strings.Join(strings.Fields(s), " "), "EC2 still lists the security group sg-1 (ECR_VPCE_SG)") {
		t.Errorf("the teardown waiting for EC2's reads, at 60x16:\n%s", s)
	}
	f.m.op = nil
	f.m.tdReport = &steps.TeardownReport{}
	s := ansi.Strip(f.m.render())
	if !contains2(s, "9 done: ", "id-9", "DependencyViolation", "id-11", "Press Enter to quit.") || strings.Contains(s, "still lists") {
		t.Errorf("the teardown's end at 60x16:\n%s", s)
	}
}

// TestTeardownKeepsIDsWhole: at 60×16 the teardown's columns cut long IDs
// to keep each row's state and time; the ID of a resource still at work
// or failed, which the learner may need to copy, is then whole beneath
// its row.
func TestTeardownKeepsIDsWhole(t *testing.T) {
	t.Parallel()
	f, t0 := teardownAt60x16(t)
	line := func(r steps.ResourceEvent, id string, state steps.ResourceState) *ResourceLine {
		label, short := resourceLabels(r)
		return &ResourceLine{Label: label, Short: short, ID: id, State: state, Started: t0}
	}
	sched := line(steps.ResourceEvent{Kind: steps.KindSchedule, Name: "endpoints"}, "ecr-vpce-lab-0123456789-endpoints", steps.ResDeleted)
	sched.Ended = t0.Add(time.Second)
	dkr := line(steps.ResourceEvent{Kind: steps.KindEndpoint, Name: steps.EndpointDKR}, "vpce-0123456789abcdef0", steps.ResDeleting)
	sg := line(steps.ResourceEvent{Kind: steps.KindSecurityGroup, Name: "ECR_VPCE_SG"}, "sg-0fedcba9876543210", steps.ResFailed)
	sg.Ended, sg.Err = t0.Add(time.Second), "DependencyViolation: still in use"
	f.m.teardown = []*ResourceLine{sched, dkr, sg}
	f.m.op = &inflight{kind: opTeardown, seq: 7, step: steps.StepTeardown, cancel: func() {}, started: t0}
	s := ansi.Strip(f.m.render())
	for _, id := range []string{"vpce-0123456789abcdef0", "sg-0fedcba9876543210"} {
		if !strings.Contains(s, id) {
			t.Errorf("at 60×16 the teardown cuts %s:\n%s", id, s)
		}
	}
	if row := lineWith(s, "ecr.dkr"); !strings.Contains(row, "deleting [") {
		t.Errorf("the endpoint's row lost its state or time: %q\n%s", row, s)
	}
	f.m.op = nil
}

// teardownAt60x16 is a wizard in its teardown in a 60×16 window, with the
// time its resource lines started, a minute ago.
func teardownAt60x16(t *testing.T) (*fuzzer, time.Time) {
	t.Helper()
	f := offlineFuzzer(t, 60, 16, false)
	f.m.phase = phaseTeardown
	return f, time.Now().Add(-time.Minute)
}

// TestCompactProgressKeepsTheNumbers: the one-line progress of a narrow
// window names the skipped and unproven steps by number; when the words
// do not fit, it keeps the marks and the numbers rather than "? not prov…".
func TestCompactProgressKeepsTheNumbers(t *testing.T) {
	t.Parallel()
	st := NewStyles(true)
	items := make([]StepItem, numScreens)
	for i := range items {
		items[i] = StepItem{Title: screens[i].title, Status: steps.StatusDone}
	}
	items[scrDNS].Status, items[scrPush].Status, items[scrList].Status = steps.StatusSkipped, steps.StatusUnproven, steps.StatusUnproven
	for _, tc := range []struct {
		width int
		want  string
	}{{80, "– skipped: 7  ? not proven: 8, 9"}, {58, "– 7  ? 8, 9"}} {
		got := ansi.Strip(renderCompactProgress(st, items, int(scrList), "●", tc.width))
		if !strings.HasSuffix(got, tc.want) || lipgloss.Width(got) > tc.width {
			t.Errorf("at %d columns: %q, want it to end %q", tc.width, got, tc.want)
		}
	}
}
