package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestExpiryInTheWizard: with the endpoints up, the header shows the time
// left and the endpoints screen says when the auto-teardown runs; E opens
// the dialog. esc changes nothing, in the state or in AWS. ↓ Enter
// chooses 8 hours: AWS's tags on everything the run made say the new
// time, and both schedules moved with it. On the finish screen never
// removes the schedules (and the tags say never); 2 minutes brings them
// back. The world is read with clients of its own, as describe-tags and
// list-schedules read it.
func TestExpiryInTheWizard(t *testing.T) {
	t.Parallel()
	m, d, sb := endpointsUp(t)
	s := d.screen()
	header := strings.SplitN(s, "\n", 2)[0]
	if !strings.Contains(header, "left") || !strings.Contains(header, "3h5") {
		t.Errorf("the header does not show the time left: %q", header)
	}
	// In a narrow IDE pane the header still says that something bills.
	d.send(tea.WindowSizeMsg{Width: MinWidth, Height: MinHeight})
	if header := strings.SplitN(d.screen(), "\n", 2)[0]; !strings.Contains(header, "so far") {
		t.Errorf("at %d columns the header does not show the cost: %q", MinWidth, header)
	}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	if !contains2(s, "then the auto-teardown removes the endpoints", "E changes it", "E expiry") {
		t.Errorf("the endpoints screen does not speak of the expiry:\n%s", s)
	}
	st0 := m.lab.State()
	run := st0.RunID
	w0 := readWorld(t, sb, run)
	w0.expiresAt(t, st0, st0.ExpiresAt.UTC().Format(time.RFC3339))
	w0.scheduledAt(t, st0, st0.ExpiresAt)

	// esc keeps it, in AWS too.
	d.key("E")
	if s := d.screen(); !contains2(s, "When should the lab remove itself?", "> 4 hours (the default)", "8 hours", "never") {
		t.Fatalf("the dialog:\n%s", s)
	}
	d.key("esc")
	d.settle()
	if m.overlay != overlayNone || !m.lab.State().ExpiresAt.Equal(st0.ExpiresAt) {
		t.Fatalf("esc changed the expiry or left the dialog open")
	}
	if w := readWorld(t, sb, run); !w.same(w0) {
		t.Fatalf("esc changed AWS:\n before %+v\n after  %+v", w0, w)
	}

	// ↓ Enter: 8 hours.
	d.key("E")
	d.key("down")
	d.key("enter")
	d.settle()
	d.until("the new expiry", 20*time.Second, func(m *Model) bool { return !m.busy() })
	st := m.lab.State()
	if got := st.ExpiresAt.Sub(st0.ExpiresAt); got < 4*time.Hour-time.Minute || got > 4*time.Hour+time.Minute {
		t.Fatalf("8 hours moved the expiry by %s", got)
	}
	w := readWorld(t, sb, run)
	w.expiresAt(t, st, st.ExpiresAt.UTC().Format(time.RFC3339))
	w.scheduledAt(t, st, st.ExpiresAt)
	if header := strings.SplitN(d.screen(), "\n", 2)[0]; !strings.Contains(header, "7h5") {
		t.Errorf("the header after 8 hours: %q", header)
	}

	walkTo(t, d, scrFinish)
	if s := d.screen(); !contains2(s, "then the auto-teardown removes the endpoints", "E changes it", "E expiry") {
		t.Errorf("the finish screen does not speak of the expiry:\n%s", s)
	}
	// never: the schedules go, the tags say never, and the screen says so.
	d.key("E")
	for range m.expiryChoices() {
		d.key("down")
	}
	d.key("enter")
	d.settle()
	d.until("no expiry", 20*time.Second, func(m *Model) bool { return !m.busy() && m.st.NeverExpires })
	if s := d.screen(); !contains2(s, "No expiry: nothing removes the endpoints for you", "no expiry") {
		t.Errorf("after never:\n%s", s)
	}
	w = readWorld(t, sb, run)
	w.expiresAt(t, m.lab.State(), "never")
	if len(w.schedules) != 0 {
		t.Errorf("schedules left in AWS after never: %v", w.schedules)
	}
	if a := m.lab.State().AutoTeardown; a != nil && len(a.Schedules) != 0 {
		t.Errorf("schedules left in the state after never: %+v", a.Schedules)
	}

	// And back: 2 minutes (a sandbox's rehearsal) schedules it again.
	d.key("E")
	for range m.expiryChoices() {
		d.key("up")
	}
	d.key("enter")
	d.settle()
	d.until("2 minutes", 20*time.Second, func(m *Model) bool { return !m.busy() && !m.st.NeverExpires })
	st = m.lab.State()
	if left, _ := st.TimeLeft(m.lab.Now()); left > 2*time.Minute || left < 90*time.Second {
		t.Fatalf("2 minutes: %s left", left)
	}
	w = readWorld(t, sb, run)
	w.expiresAt(t, st, st.ExpiresAt.UTC().Format(time.RFC3339))
	w.scheduledAt(t, st, st.ExpiresAt)
}

// TestShortExpiryOnAWSAsks: on AWS, choosing 30 minutes in the dialog asks
// first; n goes back to the choices and esc closes the dialog, and
// neither changes anything in AWS; y sets it (tags and schedules). Never
// asks as well, and its n changes nothing. A run
// that expires in under an hour (--expires 30m) asks again before its
// endpoints are created; n and esc create nothing, y creates them. The
// sandbox does not ask.
func TestShortExpiryOnAWSAsks(t *testing.T) {
	t.Parallel()
	opts, sb := sandboxOptions(t)
	m, d := startWizard(t, opts, 120, 40)
	walkTo(t, d, scrEndpoints)
	m.c.Sandbox = false // as on AWS (the lab itself is the sandbox's)
	st0 := m.lab.State()
	run := st0.RunID
	w0 := readWorld(t, sb, run)
	w0.expiresAt(t, st0, st0.ExpiresAt.UTC().Format(time.RFC3339))
	thirty := func() {
		t.Helper()
		d.key("E")
		for range 3 {
			d.key("up")
		}
		if c := m.expiryChoices()[m.expiryPick]; c.d != 30*time.Minute {
			t.Fatalf("the cursor is on %q", c.label)
		}
		d.key("enter")
		if s := d.screen(); !m.expiryConfirm || !strings.Contains(s, "Under an hour on AWS") || !strings.Contains(s, "y yes, under an hour") {
			t.Fatalf("30 minutes on AWS did not ask:\n%s", s)
		}
	}
	unchanged := func(what string) {
		t.Helper()
		d.settle()
		if m.busy() || !m.lab.State().ExpiresAt.Equal(st0.ExpiresAt) {
			t.Fatalf("%s changed the expiry", what)
		}
		if w := readWorld(t, sb, run); !w.same(w0) {
			t.Fatalf("%s changed AWS:\n before %+v\n after  %+v", what, w0, w)
		}
	}
	thirty()
	d.key("n")
	if m.overlay != overlayExpiry || m.expiryConfirm {
		t.Fatalf("n did not go back to the choices")
	}
	unchanged("n")
	d.key("esc")
	if m.overlay != overlayNone {
		t.Fatal("esc did not close the dialog")
	}
	unchanged("n, then esc")
	thirty()
	d.key("esc") // esc is no here too: back to the choices
	d.key("esc")
	unchanged("esc, esc")

	// Never removes the safety net: on AWS it asks too, and n changes nothing.
	d.key("E")
	for i := 0; i < 10 && m.expiryChoices()[m.expiryPick].d != steps.NeverExpires; i++ {
		d.key("down")
	}
	d.key("enter")
	if s := d.screen(); !m.expiryConfirm || !strings.Contains(s, "Never on AWS: if this lab is forgotten") || !strings.Contains(s, "y yes, never") {
		t.Fatalf("never on AWS did not ask:\n%s", s)
	}
	// The question and its keys fit the smallest window the lab takes.
	d.send(tea.WindowSizeMsg{Width: 60, Height: 16})
	if s := d.screen(); !strings.Contains(s, "anyway?") || !strings.Contains(s, "y yes, never") {
		t.Fatalf("at 60x16 the question or its keys are out of sight:\n%s", s)
	}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.key("n")
	if m.overlay != overlayExpiry || m.expiryConfirm {
		t.Fatalf("n did not go back to the choices")
	}
	d.key("esc")
	unchanged("never, then n")

	thirty()
	d.key("y")
	d.settle()
	d.until("the expiry set", 20*time.Second, func(m *Model) bool { return !m.busy() })
	st := m.lab.State()
	left, _ := st.TimeLeft(time.Now())
	if left > 31*time.Minute || left < 28*time.Minute {
		t.Fatalf("after y the run expires in %s", left)
	}
	readWorld(t, sb, run).expiresAt(t, st, st.ExpiresAt.UTC().Format(time.RFC3339))

	// As a new session with --expires 30m finds it: Enter to create the
	// endpoints asks first.
	m.shortExpiryOK = false
	for _, no := range []string{"n", "esc"} {
		d.key("enter")
		if s := d.screen(); m.overlay != overlayExpiry || !strings.Contains(s, "Create them anyway?") || !strings.Contains(s, "y yes, create them") {
			t.Fatalf("Enter on the endpoints with 30 minutes left did not ask:\n%s", s)
		}
		d.key(no)
		if m.overlay != overlayExpiry || m.expiryConfirm {
			t.Fatalf("%s did not go back to the choices", no)
		}
		d.key("esc")
		d.settle()
		if m.busy() || m.overlay != overlayNone {
			t.Fatalf("after %s, esc: busy %v, overlay %v", no, m.busy(), m.overlay)
		}
		if w := readWorld(t, sb, run); len(w.live) != 0 || len(m.lab.State().Endpoints) != 0 {
			t.Fatalf("%s created endpoints: %v", no, w.live)
		}
	}
	d.key("enter")
	d.key("y")
	d.settle()
	d.until("the endpoints", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrEndpoints].status == steps.StatusDone })
	if w := readWorld(t, sb, run); len(w.live) != 3 {
		t.Fatalf("after y, endpoints in AWS: %v", w.live)
	}
}

// TestExpiryChoicesOfferTheFlags: the dialog offers --expires's own
// duration when it is none of its lines, spelled as the learner typed it;
// the sandbox's 2 minutes come first.
func TestExpiryChoicesOfferTheFlags(t *testing.T) {
	t.Parallel()
	f := newFuzzer(t, nil)
	defer f.close()
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m (--expires)", 90 * time.Second: "1m30s (--expires)", 2 * time.Minute: ""} {
		f.m.cfg.Expires = d
		var labels []string
		for _, c := range f.m.expiryChoices() {
			labels = append(labels, c.label)
		}
		if labels[0] != "2 minutes (a rehearsal: watch the auto-teardown)" {
			t.Errorf("--expires %s: the first choice is %q", d, labels[0])
		}
		got := ""
		for _, l := range labels {
			if strings.HasSuffix(l, "(--expires)") {
				got = l
			}
		}
		if got != want {
			t.Errorf("--expires %s: the dialog offers %q, want %q (%q)", d, got, want, labels)
		}
	}
}

// endpointsUp starts a wizard on a fresh sandbox, walks it to the
// endpoints and creates them.
func endpointsUp(t *testing.T) (*Model, *driver, *sandbox.Sandbox) {
	t.Helper()
	opts, sb := sandboxOptions(t)
	m, d := startWizard(t, opts, 120, 40)
	walkTo(t, d, scrEndpoints)
	d.key("enter")
	d.settle()
	d.until("the endpoints", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrEndpoints].status == steps.StatusDone })
	return m, d, sb
}

// TestExpiryNoteSaysTheWayOutOnce: the wizard's long note about a run
// that never expires, or that nothing is scheduled to remove, names the
// way out once, as the wizard's key; the lab's own sentence (headless,
// accessible) names the command.
func TestExpiryNoteSaysTheWayOutOnce(t *testing.T) {
	t.Parallel()
	m := New(context.Background(), Options{})
	cases := []struct {
		st   steps.State
		want string
	}{
		{steps.State{NeverExpires: true}, "they are billed until you tear them down with T."},
		{steps.State{ExpiresAt: time.Now().Add(4 * time.Hour), AutoTeardown: &steps.AutoTeardown{Off: "no scheduler role"}},
			"(no scheduler role): tear it down with T when you are done."},
	}
	for _, tc := range cases {
		m.st = tc.st
		note := ansi.Strip(m.expiryNote(false))
		if !strings.Contains(note, tc.want) || strings.Count(note, "tear") != 1 || strings.Contains(note, "ecr-vpce-lab down") {
			t.Errorf("the note %q: want the way out once, as %q", note, tc.want)
		}
	}
	if s := steps.ExpirySentence(steps.State{NeverExpires: true}, time.Now()); !strings.HasSuffix(s, "tear them down ('ecr-vpce-lab down').") {
		t.Errorf("the lab's own sentence: %q", s)
	}
}

// TestQuitNoteOfEndpointsBeingDeleted: leaving after a stopped teardown,
// with AWS deleting the endpoints, the note says so and prices them by
// the lab's rule (steps.BillOf), not "still running" at the full hourly
// rate.
func TestQuitNoteOfEndpointsBeingDeleted(t *testing.T) {
	t.Parallel()
	m := New(context.Background(), Options{})
	m.now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ep := func(state steps.ResourceState) *steps.Record {
		return &steps.Record{Type: "Interface" /* awsops.Interface; ui does not import awsops */, Created: true, AZs: 1, CreatedAt: m.now.Add(-time.Minute), State: state}
	}
	m.st = steps.State{Region: "us-east-1", TeardownStarted: m.now, Endpoints: map[string]*steps.Record{
		steps.EndpointDKR: ep(steps.ResDeleting), steps.EndpointAPI: ep(steps.ResDeleting)}}
	m.quitNow()
	if !strings.Contains(flatNote(m.exitNote), "the ecr.dkr and ecr.api interface endpoints, being deleted (no longer billed by the hour, $0.02 so far)") {
		t.Errorf("leaving with the endpoints being deleted: %q", m.exitNote)
	}
	if h := fmt.Sprint(m.headerParts()); !strings.Contains(h, "$0.00/h") {
		t.Errorf("the header's hourly cost of endpoints being deleted: %s", h)
	}
}

// TestQuitSaysWhatRemovesTheEndpoints: with the endpoints billing, the
// quit dialog says when the auto-teardown removes them, or that nothing
// is set to and they bill until the learner cleans up; at 60×16 that and
// the dialog's keys are in sight, its box whole.
func TestQuitSaysWhatRemovesTheEndpoints(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 80, 24, false)
	f.m.c.Sandbox = false // as on AWS, where they bill
	f.withPolicy()
	created := time.Now().Add(-10 * time.Minute)
	f.m.st.Workspace = steps.Workspace{VpcID: "vpc-1", SubnetID: "subnet-1", SecurityGroupID: "sg-1", RouteTableID: "rtb-1", AZ: "us-west-2a"}
	f.m.st.Endpoints = map[string]*steps.Record{}
	for _, k := range steps.EndpointKeys {
		f.m.st.Endpoints[k] = &steps.Record{ID: "vpce-" + strings.ReplaceAll(k, ".", ""), Type: "Interface" /* awsops.Interface; ui does not import awsops */, Created: true, CreatedAt: created, AZs: 1, State: steps.ResAvailable}
	}
	f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress, scrPolicy, scrEndpoints, scrDNS, scrPush, scrList)
	f.m.goTo(scrFinish)
	f.m.st.ExpiresAt = f.m.awsNow().Add(3*time.Hour + 30*time.Minute)
	at := "The auto-teardown removes the endpoints at " + f.m.st.ExpiresAt.Local().Format("15:04") + " (in 3h"
	for _, tc := range []struct {
		name string
		set  func()
		want string
	}{
		{"an expiry", func() {}, at},
		{"never", func() { f.m.st.NeverExpires = true }, "No expiry: nothing removes the endpoints for you; they bill until you do."},
		{"off", func() {
			f.m.st.NeverExpires = false
			f.m.st.AutoTeardown = &steps.AutoTeardown{Off: "your role lacks scheduler:CreateSchedule"}
		}, "but nothing is scheduled to remove the endpoints (your role lacks scheduler:CreateSchedule): the endpoints bill until you remove them."},
	} {
		tc.set()
		for _, size := range [][2]int{{80, 24}, {60, 16}} {
			f.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			f.press("q")
			s := ansi.Strip(f.m.render())
			if f.m.overlay != overlayConfirmQuit || !strings.Contains(flatText(s), tc.want) || !strings.Contains(s, "y yes, quit") || !strings.Contains(s, "╰") {
				t.Errorf("%s, %d×%d: the quit dialog does not say %q, or its keys or its end are out of sight:\n%s", tc.name, size[0], size[1], tc.want, s)
			}
			f.press("n")
		}
	}
}
