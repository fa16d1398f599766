package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestTeardownRevertsTheVPCDNSItTurnedOn: up --enable-vpc-dns turned on
// the VPC's DNS attributes that were off; down turns them back off and
// says so, or, asked to keep them, leaves them on and says that.
// [issue 15, item 10]
func TestTeardownRevertsTheVPCDNSItTurnedOn(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		f := anotherFixture(t, sandbox.Options{Faults: sandbox.Faults{VPCDNSOff: true}}, steps.Config{EnableVPCDNS: true}, nil)
		ctx := context.Background()
		f.up(ctx)
		vpc := f.sb.Workspace().VpcID
		if ch := f.lab.State().VPCDNS; ch == nil || !ch.Support || !ch.Hostnames || ch.VpcID != vpc {
			t.Fatalf("the state records %+v; want both attributes of %s turned on by the lab", ch, vpc)
		}
		rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{KeepVPCDNS: keep})
		if err != nil {
			t.Fatalf("down (keep %t): %v", keep, err)
		}
		sup, host, err := f.cloud.VPCDNS(ctx, vpc)
		if err != nil {
			t.Fatal(err)
		}
		if sup != keep || host != keep {
			t.Errorf("keep %t: after down enableDnsSupport=%t enableDnsHostnames=%t", keep, sup, host)
		}
		list, want := rep.Deleted, steps.ResRestored
		if keep {
			list, want = rep.Kept, steps.ResKept
		}
		var said bool
		for _, e := range list {
			said = said || e.Kind == steps.KindVPCAttributes && e.State == want && strings.Contains(e.Name, "enableDnsHostnames")
		}
		if !said {
			t.Errorf("keep %t: the report does not say what became of the DNS attributes: %+v / %+v", keep, rep.Deleted, rep.Kept)
		}
	}
}

// TestTeardownKeepsVPCDNSAnotherEndpointNeeds: an endpoint with private
// DNS that is not the lab's still needs the attributes: down leaves them
// on and names it.
func TestTeardownKeepsVPCDNSAnotherEndpointNeeds(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{VPCDNSOff: true}}, steps.Config{EnableVPCDNS: true}, nil)
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight); err != nil {
		t.Fatal(err)
	}
	// Someone else's endpoint with private DNS, made after DNS was on.
	ws := f.sb.Workspace()
	other, _, err := f.cloud.CreateEndpoint(ctx, awsopsSpec(f, ws, "ecr.api"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{})
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if sup, host, _ := f.cloud.VPCDNS(ctx, ws.VpcID); !sup || !host {
		t.Errorf("down turned DNS off under %s: support=%t hostnames=%t", other.ID, sup, host)
	}
	var named bool
	for _, e := range rep.Kept {
		named = named || e.Kind == steps.KindVPCAttributes && strings.Contains(e.Detail, other.ID)
	}
	if !named {
		t.Errorf("the kept attributes do not name %s: %+v", other.ID, rep.Kept)
	}
}

func awsopsSpec(f *fixture, ws sandbox.Workspace, service string) awsops.EndpointSpec {
	return awsops.EndpointSpec{VpcID: ws.VpcID, Service: f.cloud.ServiceName(service), Type: awsops.Interface,
		SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{ws.SecurityGroupID}, PrivateDNS: true}
}
