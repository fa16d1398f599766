package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	ec2 "ecr-vpce-lab/internal/ec2query"
)

// TestReadsLagWrites: with Timing.ReadLag, a security group and an
// endpoint just created are unknown to the calls that name them
// (InvalidGroup.NotFound, InvalidVpcEndpointId.NotFound) until their drawn
// lag has passed, and reads go on showing them as they were for a while
// after they are deleted. [research I.1]
func TestReadsLagWrites(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	const lag = 5 * time.Second
	sb := startSandbox(t, Options{Clock: clock, Timing: Timing{ReadLag: lag, Seed: 7}})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()

	g, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("x"), VpcId: aws.String(ws.VpcID)})
	must(t, "CreateSecurityGroup", err)
	sg := aws.ToString(g.GroupId)
	// Drawn per resource: find this group's lag by stepping the clock.
	seenAfter := time.Duration(-1)
	for step := time.Duration(0); step <= lag; step += 100 * time.Millisecond {
		_, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
		if err == nil {
			seenAfter = step
			break
		}
		wantCode(t, "DescribeSecurityGroups of a group created moments ago", err, "InvalidGroup.NotFound")
		_, aerr := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg),
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("10.0.0.0/16")})
		wantCode(t, "AuthorizeSecurityGroupIngress on a group created moments ago", aerr, "InvalidGroup.NotFound")
		clock.Advance(100 * time.Millisecond)
	}
	if seenAfter <= 0 || seenAfter > lag {
		t.Fatalf("the group became known after %s; want within (0, %s]", seenAfter, lag)
	}

	// An endpoint: Describe by id answers NotFound, filters do not list it.
	out, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: "Gateway",
		ServiceName: aws.String("com.amazonaws." + sb.Region() + ".s3"), RouteTableIds: []string{ws.RouteTableID}})
	must(t, "CreateVpcEndpoint", err)
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	_, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	wantCode(t, "DescribeVpcEndpoints of an endpoint created moments ago", err, "InvalidVpcEndpointId.NotFound")
	list, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	must(t, "DescribeVpcEndpoints", err)
	if len(list.VpcEndpoints) != 0 {
		t.Fatalf("listed before reads know it: %+v", list.VpcEndpoints)
	}
	del, err := c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	must(t, "DeleteVpcEndpoints", err)
	if len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].Error.Code) != "InvalidVpcEndpointId.NotFound" {
		t.Fatalf("DeleteVpcEndpoints of an endpoint created moments ago: %+v", del.Unsuccessful)
	}
	clock.Advance(lag)
	got, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	must(t, "DescribeVpcEndpoints once known", err)
	if len(got.VpcEndpoints) != 1 || got.VpcEndpoints[0].State != "available" {
		t.Fatalf("once known: %+v", got.VpcEndpoints)
	}

	// Deleted: reads still show it as it was, then deleted, then nothing.
	del, err = c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	must(t, "DeleteVpcEndpoints", err)
	if len(del.Unsuccessful) != 0 {
		t.Fatalf("DeleteVpcEndpoints: %+v", del.Unsuccessful)
	}
	states := map[string]bool{}
	for step := time.Duration(0); step <= lag+time.Second; step += 250 * time.Millisecond {
		got, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
		must(t, "DescribeVpcEndpoints after the delete", err)
		if len(got.VpcEndpoints) == 0 {
			states["gone"] = true
		} else {
			states[string(got.VpcEndpoints[0].State)] = true
		}
		clock.Advance(250 * time.Millisecond)
	}
	if !states["available"] || !states["gone"] {
		t.Fatalf("after the delete, reads showed %v; want available (lagging), then nothing", states)
	}

	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)})
	must(t, "DeleteSecurityGroup", err)
	sgs, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("a group deleted moments ago: %+v %v; want it still listed", sgs, err)
	}
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)})
	wantCode(t, "DeleteSecurityGroup twice", err, "InvalidGroup.NotFound")
	clock.Advance(lag)
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	wantCode(t, "DescribeSecurityGroups once the delete is known", err, "InvalidGroup.NotFound")
}

// TestPolicyPropagates: with Timing.PolicyPropagation, requests through an
// endpoint go on being judged by its former policy for that long after
// ModifyVpcEndpoint, while DescribeVpcEndpoints shows the new one at once.
// [research I.2]
func TestPolicyPropagates(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{Clock: clock, Timing: Timing{PolicyPropagation: 20 * time.Second}})
	c := newClients(sb, nil)
	ctx := context.Background()
	deny := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ecr:ListImages","Resource":"*"}]}`
	api := createEndpoint(t, c, sb, serviceAPI, deny)
	list := func() error {
		_, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
		return err
	}
	wantCode(t, "ListImages under the endpoint's first policy", list(), "AccessDeniedException")
	_, err := c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(api), PolicyDocument: aws.String(defaultEndpointPolicy)})
	must(t, "ModifyVpcEndpoint", err)
	got, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{api}})
	must(t, "DescribeVpcEndpoints", err)
	if doc := aws.ToString(got.VpcEndpoints[0].PolicyDocument); doc != defaultEndpointPolicy {
		t.Fatalf("Describe shows %s; want the new policy at once", doc)
	}
	clock.Advance(19 * time.Second)
	wantCode(t, "ListImages while the new policy propagates", list(), "AccessDeniedException")
	clock.Advance(time.Second)
	must(t, "ListImages once the new policy is in force", list())

	// A second change while one propagates: the one in force stays in
	// force until the newest has propagated.
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(api), PolicyDocument: aws.String(deny)})
	must(t, "ModifyVpcEndpoint deny", err)
	clock.Advance(10 * time.Second)
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(api), PolicyDocument: aws.String(defaultEndpointPolicy)})
	must(t, "ModifyVpcEndpoint reset", err)
	clock.Advance(15 * time.Second)
	must(t, "ListImages: the deny never took effect", list())
}
