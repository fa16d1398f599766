package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// servedSandbox serves the world of the state directory from the test, as
// a facilitator's 'ecr-vpce-lab sandbox' in another shell does: the
// commands find it there, and 'sandbox clock' moves its clock.
func servedSandbox(t *testing.T, state string, faults sandbox.Faults) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: worldDir(state), Timing: sandbox.Instant, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

// labRun runs one command and fails the test unless it exits with code.
func labRun(t *testing.T, code int, args ...string) string {
	t.Helper()
	got, out, errs := lab(t, args...)
	if got != code {
		t.Fatalf("%s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, errs)
	}
	return out + errs
}

// cloudOf is a client of the sandbox's account, for looking at it.
func cloudOf(t *testing.T, sb *sandbox.Sandbox) *awsops.Cloud {
	t.Helper()
	o := sandboxlab.Options(sb)
	o.IMDSDisabled = true
	c, err := awsops.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runTagged lists what in the sandbox's account still carries the run's
// tag (endpoints being deleted aside), and the expiry tag of each.
func runTagged(t *testing.T, c *awsops.Cloud, run string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	eps, err := c.TaggedEndpoints(ctx, steps.TagKey, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps {
		if !e.Gone() && !awsops.SameState(e.State, awsops.StateDeleting) {
			out[e.ID] = e.Tags[steps.ExpiresTagKey]
		}
	}
	sgs, err := c.TaggedSecurityGroups(ctx, steps.TagKey, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range sgs {
		out[g.ID] = g.Tags[steps.ExpiresTagKey]
	}
	return out
}

// wantExpiryTagged loads the run's state and checks that its four
// resources (three endpoints and the group) carry its expiry.
func wantExpiryTagged(t *testing.T, c *awsops.Cloud, state string) steps.State {
	t.Helper()
	st := sandboxState(t, state)
	tagged := runTagged(t, c, st.RunID)
	if len(tagged) != 4 {
		t.Fatalf("resources tagged with the run: %v", tagged)
	}
	want := st.ExpiresAt.UTC().Format(time.RFC3339)
	for id, exp := range tagged {
		if exp != want {
			t.Errorf("%s carries %s=%q, want %s", id, steps.ExpiresTagKey, exp, want)
		}
	}
	return st
}

// automation lists the auto-teardown's roles and schedules in the account.
func automation(t *testing.T, c *awsops.Cloud) (roles, schedules int) {
	t.Helper()
	ctx := context.Background()
	rs, err := c.ListRoles(ctx, steps.TeardownRolePath)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := c.ListSchedules(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(rs), len(ss)
}

// TestAutoTeardownAcceptance plays the first acceptance with the
// commands a learner and a facilitator type: up with the default expiry;
// the sandbox's clock past it ('sandbox clock'): the schedule fires and the
// sandbox deletes the endpoints as the run's role, then the second schedule
// removes the group; status says what happened; down finds nothing to do
// but removes the role.
func TestAutoTeardownAcceptance(t *testing.T) {
	_, state := labHome(t)
	sb := servedSandbox(t, state, sandbox.Faults{})
	c := cloudOf(t, sb)
	out := labRun(t, 0, "up", "--yes", "--sandbox")
	wantAll(t, "up", out, "Expires at ", " UTC (in ", "an EventBridge Scheduler schedule then deletes the endpoints", "IAM role", "schedule")
	st := wantExpiryTagged(t, c, state)
	out = labRun(t, 0, "status", "--sandbox")
	wantAll(t, "status before the expiry", out, "expiry: ", " UTC (in ", "auto-teardown: scheduled: the endpoints go at", "deletes the endpoints", "deletes the group and its rule", "scheduled")

	// Four hours later: the endpoints' schedule fires.
	labRun(t, 0, "sandbox", "clock", "+4h1m", "--state-dir", state)
	invs := sb.Invocations()
	if len(invs) != 1 || invs[0].ErrorCode != "" || !strings.Contains(invs[0].Caller, ":assumed-role/"+steps.TeardownRoleName(st.RunID)+"/") {
		t.Fatalf("invocations at the expiry: %+v", invs)
	}
	out = labRun(t, 0, "status", "--sandbox")
	wantAll(t, "status after the expiry", out, "(expired)", "removed the endpoints", "the group goes a little later")
	// And a little later the group's.
	labRun(t, 0, "sandbox", "clock", "+20m", "--state-dir", state)
	invs = sb.Invocations()
	if len(invs) != 2 || invs[1].ErrorCode != "" || invs[1].Action != "ec2:DeleteSecurityGroup" {
		t.Fatalf("invocations after the group's time: %+v", invs)
	}
	if left := runTagged(t, c, st.RunID); len(left) != 0 {
		t.Errorf("left after the auto-teardown: %v", left)
	}
	out = labRun(t, 0, "status", "--sandbox")
	wantAll(t, "status after both schedules", out, "then removed the security group", steps.TeardownRoleName(st.RunID))

	out = labRun(t, 0, "down", "--yes", "--sandbox")
	wantAll(t, "down", out, "IAM role", steps.TeardownRoleName(st.RunID), "Nothing is left.", "already deleted (by the auto-teardown's schedule")
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Nothing left:") {
			continue
		}
		if (strings.Contains(l, " endpoint ") || strings.Contains(l, " security group ") || strings.Contains(l, " ingress rule ")) && !strings.HasSuffix(strings.TrimSpace(l), " gone") {
			t.Errorf("down acted on what the auto-teardown had removed: %q", l)
		}
	}
	if roles, schedules := automation(t, c); roles != 0 || schedules != 0 {
		t.Errorf("after down: %d role(s), %d schedule(s)", roles, schedules)
	}
}

// TestAutoTeardownWithoutIAMAcceptance plays the second: the learner's
// role may not create IAM roles (a sandbox fault); preflight says so, up
// completes without the schedule, the tags are there, and after the expiry
// 'down --expired' removes the run.
func TestAutoTeardownWithoutIAMAcceptance(t *testing.T) {
	_, state := labHome(t)
	sb := servedSandbox(t, state, sandbox.Faults{DenyActions: []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"}})
	c := cloudOf(t, sb)
	out := labRun(t, 0, "up", "--yes", "--sandbox", "--expires", "2h")
	wantAll(t, "up", out, "iam:CreateRole", "down --expired", "but no schedule removes it", "The endpoints are up.")
	st := wantExpiryTagged(t, c, state)
	if roles, schedules := automation(t, c); roles != 0 || schedules != 0 {
		t.Fatalf("%d role(s) and %d schedule(s) without the permissions", roles, schedules)
	}
	out = labRun(t, 0, "down", "--expired", "--yes", "--sandbox")
	wantAll(t, "down --expired before the expiry", out, "No run has expired")
	if len(runTagged(t, c, st.RunID)) != 4 {
		t.Fatal("down --expired removed a run before its expiry")
	}
	labRun(t, 0, "sandbox", "clock", "+2h1m", "--state-dir", state)
	out = labRun(t, 0, "down", "--expired", "--yes", "--sandbox")
	wantAll(t, "down --expired", out, "Removed 1 expired run(s)")
	if left := runTagged(t, c, st.RunID); len(left) != 0 {
		t.Errorf("left after down --expired: %v", left)
	}
	out = labRun(t, 0, "status", "--sandbox")
	if strings.Contains(out, st.RunID) && strings.Contains(out, "available") {
		t.Errorf("status after down --expired still shows the run:\n%s", out)
	}
}
