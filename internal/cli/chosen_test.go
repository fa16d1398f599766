package cli

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/sandbox"
)

// TestUpWithAGroupTheInstanceIsNotIn: on the Cloud9 world, up with only
// --workspace-sg naming the VPC's default group takes the instance's own
// subnet, and stops at the preflight, before anything is made: the
// instance is not in that group, and the fix names its own.
func TestUpWithAGroupTheInstanceIsNotIn(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	var ws sandbox.Workspace
	var def string
	worldOf(t, l.state, func(sb *sandbox.Sandbox, c *ec2.Client) {
		ws = sb.Workspace()
		out, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{ws.VpcID}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
		if err != nil || len(out.SecurityGroups) != 1 {
			t.Fatalf("the default group: %v %v", out, err)
		}
		def = aws.ToString(out.SecurityGroups[0].GroupId)
	})
	code, out, errs := l.lab("up", "--sandbox", "--sandbox-timing", "instant", "--yes", "--workspace-sg", def)
	wantAll(t, "up --workspace-sg "+def, out,
		"no subnet given: using the instance's own, "+ws.SubnetID,
		"✘ The workspace is in security group "+def+": instance "+ws.InstanceID+" is in "+ws.SecurityGroupID+", not in "+def+" (chosen by hand)",
		"fix: choose the instance's group: --workspace-sg "+ws.SecurityGroupID)
	if code != 1 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	worldOf(t, l.state, func(_ *sandbox.Sandbox, c *ec2.Client) {
		out, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("group-name"), Values: []string{"ECR_VPCE_SG"}}}})
		if err != nil || len(out.SecurityGroups) != 0 {
			t.Fatalf("up made the endpoints' group before the preflight passed: %v %v", out, err)
		}
	})
}
