package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/problem"
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
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up: %v", err)
	}
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
