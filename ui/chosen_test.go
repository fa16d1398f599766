package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestPickedGroupTheInstanceIsNotIn walks the Workspace step's picker
// with the arrows, as a learner does: on the Cloud9 instance, Enter on
// the VPC and the subnet, Down to the VPC's default group, Enter. The
// checks that run again fail on it, naming the instance's group and the
// key that changes it, and the Workspace step still names the instance,
// with what was chosen by hand.
func TestPickedGroupTheInstanceIsNotIn(t *testing.T) {
	t.Parallel()
	d, ws := downToAnotherGroup(t)
	chosen := d.m.picker.sg
	d.key("enter")
	d.until("preflight again", 20*time.Second, func(m *Model) bool {
		return m.picker == nil && !m.busy() && m.screens[scrPreflight].status.Settled()
	})
	s := flatText(d.screen())
	if d.m.cur != scrPreflight || d.m.screens[scrPreflight].status != steps.StatusFailed ||
		!strings.Contains(s, "The workspace is in security group "+chosen) ||
		!strings.Contains(s, "is in "+ws.SecurityGroupID+", not in "+chosen+" (chosen by hand)") ||
		!strings.Contains(s, "choose the instance's group: --workspace-sg "+ws.SecurityGroupID) ||
		!strings.Contains(s, "The checks ran again, for the VPC, subnet and security group you chose, and one failed: what to do is below.") ||
		strings.Contains(s, "goes on with them") {
		t.Fatalf("preflight after picking %s:\n%s", chosen, d.screen())
	}
	d.m.cur = scrWorkspace
	s = flatText(d.screen())
	if strings.Contains(s, "Instance chosen by hand") ||
		!strings.Contains(s, "Instance "+ws.InstanceID+" read from the instance metadata service; security group chosen by hand") ||
		!strings.Contains(s, chosen+" the instance is not in it: "+ws.SecurityGroupID) {
		t.Fatalf("the workspace step after the edit:\n%s", d.screen())
	}
}

// TestPickedSubnetOfAnotherTable: in the VS Code world the learner picks
// the private subnet (Down), not the instance's public one, which has a
// route table of its own. The checks warn, in full at 90 columns, and the
// Workspace step says where the S3 gateway goes: the instance's subnet's
// table.
func TestPickedSubnetOfAnotherTable(t *testing.T) {
	t.Parallel()
	opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, World: "vscode-ec2"})
	ws := sb.Workspace()
	d := openIDPicker(t, opts)
	// The VS Code VPC is the instance's, whichever line it is on.
	if d.m.picker.vpc != ws.VpcID {
		t.Fatalf("the VPC form starts on %s, not the instance's %s", d.m.picker.vpc, ws.VpcID)
	}
	d.key("enter")
	d.until("the subnet form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 3 })
	d.key("down")
	if d.m.picker.subnet == ws.SubnetID {
		d.key("up") // the instance's subnet was the second line
	}
	chosen := d.m.picker.subnet
	if chosen == ws.SubnetID {
		t.Fatalf("the arrows did not leave the instance's subnet:\n%s", d.screen())
	}
	d.key("enter")
	untilGroupFocused(d)
	d.key("enter")
	d.until("preflight again", 20*time.Second, func(m *Model) bool {
		return m.picker == nil && !m.busy() && m.screens[scrPreflight].status.Settled()
	})
	raw := d.screen()
	for _, l := range strings.Split(raw, "\n") {
		if w := ansi.StringWidth(l); w > 90 {
			t.Errorf("a line %d wide at 90 columns: %q", w, l)
		}
	}
	s := flatText(raw)
	if d.m.screens[scrPreflight].status != steps.StatusDone ||
		!strings.Contains(s, "Endpoints in another subnet than the instance's — the endpoints get their addresses in "+chosen) ||
		!strings.Contains(s, "the S3 gateway goes on the instance's subnet's route table "+ws.RouteTableID+", not on ") ||
		!strings.Contains(s, "would not take a gateway there") {
		t.Fatalf("preflight after picking %s:\n%s", chosen, raw)
	}
	d.m.cur = scrWorkspace
	s = flatText(d.screen())
	if !strings.Contains(s, "Instance "+ws.InstanceID+" read from the instance metadata service; subnet chosen by hand") ||
		!strings.Contains(s, "the instance's: "+ws.SubnetID) ||
		!strings.Contains(s, "the S3 gateway goes on the instance's subnet's "+ws.RouteTableID) {
		t.Fatalf("the workspace step after the edit:\n%s", d.screen())
	}
}

// untilGroupFocused waits until the picker's focus is on the security group:
// huh moves to the next field by a command, which a loaded machine may
// deliver well after the key.
func untilGroupFocused(d *driver) {
	d.t.Helper()
	d.until("the group field", 10*time.Second, func(m *Model) bool {
		return m.picker != nil && strings.Contains(ansi.Strip(m.render()), "┃ Security group of your workspace")
	})
}

// openIDPicker starts the wizard at 90x40, runs the preflight, goes on to
// the Workspace step and presses e: the VPC form is open.
func openIDPicker(t *testing.T, opts Options) *driver {
	t.Helper()
	_, d := startWizard(t, opts, 90, 40)
	d.key("enter")
	d.until("preflight done", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrPreflight].status == steps.StatusDone })
	d.key("enter")
	d.until("the workspace step", 10*time.Second, func(m *Model) bool { return m.cur == scrWorkspace && !m.busy() })
	d.key("e")
	d.until("the VPC form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 1 })
	return d
}

// TestWorkspaceAfterFailedPreflightGoesBack: the checks failed on a group
// picked by hand; f opens the choice on the Workspace step and the
// learner leaves it with esc. The step said "Press Enter to continue",
// and Enter went on to create the security group past the failed checks
// (so did ↓). It now says the lab cannot go on and what each key offered
// does; ↓ is not offered, and Enter goes back to step 1 and runs the
// checks again, as Enter there does.
func TestWorkspaceAfterFailedPreflightGoesBack(t *testing.T) {
	t.Parallel()
	d, _ := downToAnotherGroup(t)
	d.key("enter")
	d.until("preflight again", 20*time.Second, func(m *Model) bool {
		return m.picker == nil && !m.busy() && m.screens[scrPreflight].status == steps.StatusFailed
	})
	d.key("f")
	d.until("the choice", 10*time.Second, func(m *Model) bool { return m.picker != nil })
	d.key("esc")
	d.until("the choice to close", 10*time.Second, func(m *Model) bool { return m.picker == nil })
	if d.m.cur != scrWorkspace {
		t.Fatalf("esc on the fix's choice left step %d:\n%s", d.m.cur, d.screen())
	}
	s := d.screen()
	if flat := flatText(s); strings.Contains(flat, "Press Enter to continue") ||
		!strings.Contains(flat, "The preflight failed (step 1 says why), so the lab cannot go on: press e to choose other IDs or Enter to go back to step 1 and try again.") ||
		!strings.Contains(lastLine(s), "enter try again") {
		t.Fatalf("the Workspace step after the failed checks:\n%s", s)
	}
	for _, b := range d.m.bindings() {
		if b.act == actStepDown {
			t.Errorf("↓ is offered past the failed checks:\n%s", s)
		}
	}
	d.key("down")
	if d.m.cur != scrWorkspace {
		t.Fatalf("↓ went on past the failed checks to step %d:\n%s", d.m.cur, d.screen())
	}
	d.key("enter")
	if d.m.cur != scrPreflight || !d.m.busy() {
		t.Fatalf("Enter did not go back to the checks (step %d, busy %v):\n%s", d.m.cur, d.m.busy(), d.screen())
	}
	d.settle()
	if d.m.screens[scrPreflight].status != steps.StatusFailed || d.m.st.SecurityGroup != nil || d.m.screens[scrSecurityGroup].status != steps.StatusPending {
		t.Fatalf("after the checks again (the same group): preflight %s, group %+v\n%s", d.m.screens[scrPreflight].status, d.m.st.SecurityGroup, d.screen())
	}
}

// downToAnotherGroup opens the ID picker on the Cloud9 instance of a
// sandbox, keeps its VPC and subnet (Enter, Enter) and moves Down off the
// instance's own group, to the VPC's default group, not yet chosen.
func downToAnotherGroup(t *testing.T) (*driver, sandbox.Workspace) {
	t.Helper()
	opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant})
	ws := sb.Workspace()
	d := openIDPicker(t, opts)
	d.key("enter")
	d.until("the subnet form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 3 })
	d.key("enter")
	untilGroupFocused(d)
	d.key("down")
	if p := d.m.picker; p == nil || p.sg == ws.SecurityGroupID {
		t.Fatalf("Down did not move off the instance's group:\n%s", d.screen())
	}
	return d, ws
}
