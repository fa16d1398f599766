package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/steps"
)

// TestExpiryInTheWizard: with the endpoints up, the header shows the time
// left and the endpoints screen says when the auto-teardown runs; E opens
// the dialog, ↓ and Enter choose 8 hours, and the run's expiry (state,
// schedule, header) moves; esc leaves it as it was; the finish screen says
// it too and offers E.
func TestExpiryInTheWizard(t *testing.T) {
	opts, _ := sandboxOptions(t)
	m := New(context.Background(), opts)
	d := newDriver(t, m, 120, 40)
	d.settle()
	walkTo(t, d, scrEndpoints)
	d.key("enter")
	d.settle()
	d.until("the endpoints", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrEndpoints].status == steps.StatusDone })
	s := d.screen()
	header := strings.SplitN(s, "\n", 2)[0]
	if !strings.Contains(header, "left") || !strings.Contains(header, "3h5") {
		t.Errorf("the header does not show the time left: %q", header)
	}
	if !contains2(s, "then the auto-teardown removes the endpoints", "E changes it", "E expiry") {
		t.Errorf("the endpoints screen does not speak of the expiry:\n%s", s)
	}
	before := m.lab.State().ExpiresAt

	// esc keeps it.
	d.key("E")
	if s := d.screen(); !contains2(s, "When should the lab remove itself?", "> 4 hours (the default)", "8 hours", "never") {
		t.Fatalf("the dialog:\n%s", s)
	}
	d.key("esc")
	d.settle()
	if m.overlay != overlayNone || !m.lab.State().ExpiresAt.Equal(before) {
		t.Fatalf("esc changed the expiry or left the dialog open")
	}

	// ↓ Enter: 8 hours.
	d.key("E")
	d.key("down")
	d.key("enter")
	d.settle()
	d.until("the new expiry", 20*time.Second, func(m *Model) bool { return !m.busy() })
	st := m.lab.State()
	if got := st.ExpiresAt.Sub(before); got < 4*time.Hour-time.Minute || got > 4*time.Hour+time.Minute {
		t.Fatalf("8 hours moved the expiry by %s", got)
	}
	if sc := st.AutoTeardown.Schedules[steps.ScheduleEndpoints]; sc == nil || !sc.At.Equal(st.ExpiresAt) {
		t.Errorf("the endpoints' schedule after the new expiry: %+v", sc)
	}
	if header := strings.SplitN(d.screen(), "\n", 2)[0]; !strings.Contains(header, "7h5") {
		t.Errorf("the header after 8 hours: %q", header)
	}

	walkTo(t, d, scrFinish)
	if s := d.screen(); !contains2(s, "then the auto-teardown removes the endpoints", "E changes it") {
		t.Errorf("the finish screen does not speak of the expiry:\n%s", s)
	}
	// never: the schedules go, and the screen says so.
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
	if a := m.lab.State().AutoTeardown; a != nil && len(a.Schedules) != 0 {
		t.Errorf("schedules left after never: %+v", a.Schedules)
	}
}

// TestShortExpiryOnAWSAsks: on AWS, a run that expires in under an hour
// (--expires 30m) asks before its endpoints are created, and so does
// choosing 30 minutes in the dialog; n goes back to the choices, y goes
// ahead. The sandbox does not ask.
func TestShortExpiryOnAWSAsks(t *testing.T) {
	opts, _ := sandboxOptions(t)
	m := New(context.Background(), opts)
	d := newDriver(t, m, 120, 40)
	d.settle()
	walkTo(t, d, scrEndpoints)
	m.c.Sandbox = false // as on AWS (the lab itself is the sandbox's)
	// The run expires in 30 minutes (as --expires 30m made it).
	d.key("E")
	d.key("up")
	d.key("up")
	d.key("up")
	if c := m.expiryChoices()[m.expiryPick]; c.d != 30*time.Minute {
		t.Fatalf("the cursor is on %q", c.label)
	}
	d.key("enter")
	if s := d.screen(); !m.expiryConfirm || !strings.Contains(s, "Under an hour on AWS") || !strings.Contains(s, "y yes, under an hour") {
		t.Fatalf("30 minutes on AWS did not ask:\n%s", s)
	}
	d.key("y")
	d.settle()
	d.until("the expiry set", 20*time.Second, func(m *Model) bool { return !m.busy() })
	left, _ := m.lab.State().TimeLeft(time.Now())
	if left > 31*time.Minute || left < 28*time.Minute {
		t.Fatalf("after y the run expires in %s", left)
	}
	// As a new session with --expires 30m finds it: Enter to create the
	// endpoints asks first.
	m.shortExpiryOK = false
	d.key("enter")
	if s := d.screen(); m.overlay != overlayExpiry || !strings.Contains(s, "Create them anyway?") {
		t.Fatalf("Enter on the endpoints with 30 minutes left did not ask:\n%s", s)
	}
	if m.busy() {
		t.Fatal("the endpoints are being created before the yes")
	}
	d.key("n")
	if m.overlay != overlayExpiry || m.expiryConfirm {
		t.Fatalf("n did not go back to the choices")
	}
	d.key("esc")
	d.key("enter")
	d.key("y")
	d.settle()
	d.until("the endpoints", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrEndpoints].status == steps.StatusDone })
}
