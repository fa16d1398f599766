package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestPreflightWarnsTheMainTableIsShared: the sandbox's subnets have no
// route table of their own, as in a default VPC: the S3 gateway's route
// goes into the main table, which the VPC's other subnet uses too.
// Preflight warns, naming it, and the lab goes on. [issue 15, item 10]
func TestPreflightWarnsTheMainTableIsShared(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	if err := f.lab.RunSteps(context.Background(), steps.StepDiscover, steps.StepPreflight); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	it, ok := preflightItem(t, f, "main-route-table")
	if !ok || it.OK || !it.Warning {
		t.Fatalf("main-route-table item %+v (found %t); want a warning", it, ok)
	}
	ws := f.sb.Workspace()
	others, err := f.cloud.ImplicitSubnets(context.Background(), ws.VpcID)
	if err != nil || len(others) < 2 {
		t.Fatalf("the world's implicitly associated subnets: %v %v", others, err)
	}
	for _, s := range others {
		if s != ws.SubnetID && !strings.Contains(it.Message, s) {
			t.Errorf("message %q does not name %s", it.Message, s)
		}
	}
	if strings.Contains(it.Message, "("+ws.SubnetID) || !strings.Contains(it.Message, ws.RouteTableID) {
		t.Errorf("message %q: want the main table named, the workspace's own subnet not among the others", it.Message)
	}
}
