package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// otherGroup is a security group of the workspace's VPC that the
// instance is not in (the VPC's default group).
func otherGroup(t *testing.T, f *fixture, ws sandbox.Workspace) string {
	t.Helper()
	gs, err := f.lab.ListSecurityGroups(context.Background(), ws.VpcID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.ID != ws.SecurityGroupID {
			return g.ID
		}
	}
	t.Fatalf("no other group than %s in %s: %v", ws.SecurityGroupID, ws.VpcID, gs)
	return ""
}

// TestChosenGroupTheInstanceIsNotIn: on the Cloud9 instance, the learner
// picks the VPC's default group as the workspace's. The instance is not in
// it, so the endpoints' group would admit HTTPS from a group none of the
// instance's connections come from: the preflight fails, before anything
// is made, naming the instance's group and how to choose it.
func TestChosenGroupTheInstanceIsNotIn(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	ws := f.sb.Workspace()
	def := otherGroup(t, f, ws)
	f.lab.SetWorkspace(awsops.Workspace{VpcID: ws.VpcID, SubnetID: ws.SubnetID, SecurityGroupID: def})

	err := f.lab.Up(ctx)
	if e, ok := problem.As(err); !ok || e.Op != "preflight" || !strings.Contains(e.Fix, "--workspace-sg "+ws.SecurityGroupID) {
		t.Fatalf("Up with a group the instance is not in: %v (fix %q)", err, problem.FixOf(err))
	}
	it, ok := checkItem(f, "workspace-group")
	if !ok || it.OK || it.Warning || it.Action != steps.FixWorkspace ||
		!strings.Contains(it.Message, "instance "+ws.InstanceID+" is in "+ws.SecurityGroupID+", not in "+def+" (chosen by hand)") ||
		!strings.Contains(it.Fix, "choose the instance's group: --workspace-sg "+ws.SecurityGroupID+" (in the wizard, the fix key or e on the Workspace step)") {
		t.Fatalf("workspace-group item: %+v", it)
	}
	st := f.lab.State()
	if st.SecurityGroup != nil || len(st.Endpoints) != 0 || f.creates("CreateSecurityGroup") != 0 {
		t.Fatalf("the failed preflight made something: %+v %+v", st.SecurityGroup, st.Endpoints)
	}
	// The instance is kept beside the IDs chosen by hand.
	if st.Workspace.InstanceID != ws.InstanceID || st.Workspace.SecurityGroupID != def ||
		strings.Join(st.Workspace.SecurityGroupIDs, ",") != ws.SecurityGroupID || strings.Join(st.Workspace.ChosenByHand, ",") != "security group" {
		t.Fatalf("workspace: %+v", st.Workspace)
	}
}

// TestOnlyTheGroupGiven: on an instance, --workspace-sg alone is enough:
// the subnet is the instance's own.
func TestOnlyTheGroupGiven(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ws := f.sb.Workspace()
	def := otherGroup(t, f, ws)
	f.lab.SetWorkspace(awsops.Workspace{SecurityGroupID: def})
	if err := f.lab.Run(context.Background(), steps.StepDiscover); err != nil {
		t.Fatalf("discover with only a group: %v", err)
	}
	if got := f.lab.State().Workspace; got.SubnetID != ws.SubnetID || got.SecurityGroupID != def || got.InstanceID != ws.InstanceID {
		t.Fatalf("workspace: %+v", got)
	}
}

// TestChosenSubnetOfAnotherTable: in the VS Code world the instance is in
// the public subnet, with a route table of its own; the learner picks the
// private subnet (another zone, the VPC's main table). That works, with a
// warning naming both zones and both tables, and the S3 gateway goes on
// the instance's subnet's table, where its layer downloads are routed.
func TestChosenSubnetOfAnotherTable(t *testing.T) {
	f := newFixture(t, sandbox.Options{World: "vscode-ec2"}, steps.Config{}, nil)
	ctx := context.Background()
	ws := f.sb.Workspace()
	var other string
	for _, s := range ws.SubnetIDs {
		if s != ws.SubnetID {
			other = s
		}
	}
	if other == "" {
		t.Fatalf("one subnet only: %+v", ws)
	}
	f.lab.SetWorkspace(awsops.Workspace{SubnetID: other, SecurityGroupID: ws.SecurityGroupID})
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up in another subnet: %v", err)
	}
	st := f.lab.State()
	main := st.Workspace.RouteTableID
	if main == ws.RouteTableID || !st.Workspace.RouteTableMain {
		t.Fatalf("the chosen subnet's table %s is the instance's %s", main, ws.RouteTableID)
	}
	it, ok := checkItem(f, "workspace-subnet")
	if !ok || it.OK || !it.Warning ||
		!strings.Contains(it.Message, "the endpoints get their addresses in "+other+" (us-west-2b, chosen by hand), not in the instance's "+ws.SubnetID+" (us-west-2a)") ||
		!strings.Contains(it.Message, "traffic across zones is billed per GB") ||
		!strings.Contains(it.Message, "the S3 gateway goes on the instance's subnet's route table "+ws.RouteTableID+", not on "+main+" of "+other) ||
		!strings.Contains(it.Fix, "--subnet "+ws.SubnetID) {
		t.Fatalf("workspace-subnet item: %+v", it)
	}
	if it, ok := checkItem(f, "workspace-group"); ok {
		t.Errorf("the instance's own group was checked as chosen: %+v", it)
	}
	eps, err := f.cloud.FindEndpoints(ctx, ws.VpcID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps {
		if e.ID != st.Endpoints[steps.EndpointS3].ID {
			continue
		}
		if strings.Join(e.RouteTableIDs, ",") != ws.RouteTableID {
			t.Fatalf("S3 gateway on %v, not on the instance's table %s", e.RouteTableIDs, ws.RouteTableID)
		}
	}
}
