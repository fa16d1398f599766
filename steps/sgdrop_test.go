package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestTestsNameTheMissingHTTPSRule: with the HTTPS rule removed from the
// endpoints' group behind the lab's back (the AWS CLI against a served
// sandbox), the endpoints drop the workspace's connections; the list test
// fails naming the group, the workspace's group and the fix, not as a
// bare network failure. Up again puts the rule back, and the test passes.
func TestTestsNameTheMissingHTTPSRule(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{SecurityGroupDrop: 50 * time.Millisecond}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	sg, ws := st.SecurityGroup.ID, st.Workspace.SecurityGroupID
	if _, err := f.cloud.RevokeIngress(ctx, sg, st.Rule.ID, time.Time{}); err != nil {
		t.Fatalf("RevokeIngress: %v", err)
	}

	err := f.lab.Run(ctx, steps.StepList)
	e, ok := problem.As(err)
	if !ok || e.Code != "EndpointSecurityGroupDrops" ||
		!strings.Contains(e.Message, "security group "+st.SecurityGroup.Name+" ("+sg+") does not allow HTTPS from the workspace's "+ws) ||
		!strings.Contains(e.Fix, "'ecr-vpce-lab up' again") ||
		!strings.Contains(e.Fix, "aws --endpoint-url "+f.sb.Endpoint()+" ec2 authorize-security-group-ingress --group-id "+sg+" --protocol tcp --port 443 --source-group "+ws) {
		t.Fatalf("list test without the rule: %#v", err)
	}

	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	if err := f.lab.Run(ctx, steps.StepList); err != nil {
		t.Fatalf("list test once up put the rule back: %v", err)
	}
}

// TestDroppedLoginNamesTheChosenGroup: run past the preflight, the lab
// with a group the instance is not in makes endpoints that drop the
// instance's connections. The push test's login fails naming the group
// the rule admits, the groups the instance is in and the fix, as blocked
// by a security group: never the network's own words, nor "AWS
// unreachable".
func TestDroppedLoginNamesTheChosenGroup(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	ws := f.sb.Workspace()
	def := otherGroup(t, f, ws)
	f.lab.SetWorkspace(awsops.Workspace{SubnetID: ws.SubnetID, SecurityGroupID: def})
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy, steps.StepEndpoints, steps.StepDNS); err != nil {
		t.Fatalf("steps up to DNS: %v", err)
	}
	st := f.lab.State()
	for _, id := range []steps.StepID{steps.StepPush, steps.StepList} {
		err := f.lab.Run(ctx, id)
		e, ok := problem.As(err)
		if !ok || e.Code != "EndpointSecurityGroupDrops" || e.Kind != problem.Blocked ||
			!strings.Contains(e.Message, "security group ECR_VPCE_SG ("+st.SecurityGroup.ID+") allows HTTPS only from "+def+", the group chosen by hand, but the workspace (instance "+ws.InstanceID+") is not in it (its groups: "+ws.SecurityGroupID+")") ||
			!strings.Contains(e.Fix, f.cloud.CLI()+" ec2 authorize-security-group-ingress --group-id "+st.SecurityGroup.ID+" --protocol tcp --port 443 --source-group "+ws.SecurityGroupID) ||
			!strings.Contains(e.Fix, "--workspace-sg "+ws.SecurityGroupID) {
			t.Fatalf("%s with the chosen group: %#v", id, err)
		}
		if id == steps.StepPush && !strings.HasPrefix(e.Op, "log in to the registry") {
			t.Errorf("push failed at %q, not at the login", e.Op)
		}
		for _, raw := range []string{"readfrom tcp", "write tcp", "closed network connection", "EOF", "AWS unreachable", "[network]"} {
			if strings.Contains(err.Error(), raw) || strings.Contains(e.Fix, raw) {
				t.Errorf("%s shows %q: %v → %s", id, raw, err, e.Fix)
			}
		}
	}
	// A challenge checked for real makes its requests through the same
	// endpoints.
	ch, _ := steps.ChallengeByID(1)
	_, err := f.lab.CheckChallengeLive(ctx, ch, policy.MustParse(ch.Model(steps.NewChallengeContext(f.lab.State()))))
	if e, ok := problem.As(err); !ok || e.Code != "EndpointSecurityGroupDrops" || e.Kind != problem.Blocked {
		t.Fatalf("a challenge checked for real with the chosen group: %#v", err)
	}
	// The fix it gives works.
	if _, _, err := f.cloud.AuthorizeIngress(ctx, st.SecurityGroup.ID, ws.SecurityGroupID, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Run(ctx, steps.StepList); err != nil {
		t.Fatalf("list once the instance's group is let in: %v", err)
	}
}

// TestUndoPushNamesTheDroppingGroup: a tag the push test pushed (with a
// policy that lets pushes through), then the HTTPS rule removed behind the
// lab's back: undoing the push test deletes the tag through the endpoints,
// whose group drops the connection. The failure is the one the tests give
// (blocked by a security group, with its fix), not the network's "EOF";
// with the rule back, the undo deletes the tag.
func TestUndoPushNamesTheDroppingGroup(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{SecurityGroupDrop: 50 * time.Millisecond}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	pullsOnly, _ := policy.Default(st.Account, st.Region, policy.DefaultRepository, []string{"ecr:BatchGetImage"})
	if err := f.lab.ApplyPolicy(ctx, pullsOnly, steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Run(ctx, steps.StepPush); err != nil {
		t.Fatalf("push with pulls denied: %v", err)
	}
	if tags := f.lab.State().PushedTags; len(tags) != 1 {
		t.Fatalf("pushed tags %v", tags)
	}
	sg, ws := st.SecurityGroup.ID, st.Workspace.SecurityGroupID
	if _, err := f.cloud.RevokeIngress(ctx, sg, st.Rule.ID, time.Time{}); err != nil {
		t.Fatalf("RevokeIngress: %v", err)
	}

	err := f.lab.Undo(ctx, steps.StepPush)
	e, ok := problem.As(err)
	if !ok || e.Kind != problem.Blocked || e.Code != "EndpointSecurityGroupDrops" ||
		!strings.Contains(e.Message, "does not allow HTTPS from the workspace's "+ws) ||
		!strings.Contains(e.Fix, "authorize-security-group-ingress --group-id "+sg) {
		t.Fatalf("undo of the push through the dropping group: %#v", err)
	}
	for _, raw := range []string{"EOF", "[network]", "AWS unreachable"} {
		if strings.Contains(err.Error(), raw) || strings.Contains(e.Fix, raw) {
			t.Errorf("the undo shows %q: %v → %s", raw, err, e.Fix)
		}
	}
	if tags := f.lab.State().PushedTags; len(tags) != 1 {
		t.Fatalf("a failed undo forgot the tag: %v", tags)
	}

	if _, _, err := f.cloud.AuthorizeIngress(ctx, sg, ws, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Undo(ctx, steps.StepPush); err != nil {
		t.Fatalf("undo once the rule is back: %v", err)
	}
	if tags := f.lab.State().PushedTags; len(tags) != 0 {
		t.Fatalf("pushed tags after the undo: %v", tags)
	}
}
