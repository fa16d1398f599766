package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// TestSecurityGroupDropsThroughEndpoint: once private DNS sends the
// workspace to endpoints whose security group has no inbound HTTPS rule
// from it, the registry and the ECR API answer nothing (the connection is
// held, then closed: no HTTP status, no ECR error), as on AWS where the
// packets are dropped; EC2 still answers, as it does not travel the
// endpoints. With the lab's rule from the workspace's group, both answer.
func TestSecurityGroupDropsThroughEndpoint(t *testing.T) {
	const hold = 150 * time.Millisecond
	sb := startSandbox(t, Options{Timing: Timing{SecurityGroupDrop: hold}})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	pw, err := registryLogin(t, c)
	must(t, "login before the endpoints", err)

	g, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(labGroupName),
		Description: aws.String("ECR VPC endpoints"), VpcId: aws.String(ws.VpcID)})
	must(t, "CreateSecurityGroup", err)
	for _, short := range []string{serviceDKR, serviceAPI} {
		_, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID),
			ServiceName: aws.String("com.amazonaws." + sb.Region() + "." + short), VpcEndpointType: "Interface",
			SubnetIds: []string{ws.SubnetID}, PrivateDnsEnabled: aws.Bool(true), SecurityGroupIds: []string{aws.ToString(g.GroupId)}})
		must(t, "CreateVpcEndpoint "+short, err)
	}

	start := time.Now()
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	var te *transport.Error
	if err == nil || errors.As(err, &te) {
		t.Fatalf("pull through an endpoint whose group has no HTTPS rule: want a dropped connection, got %v", err)
	}
	if took := time.Since(start); took < hold {
		t.Fatalf("the registry's connection was closed after %v, before the hold of %v", took, hold)
	}
	// A client that gives up first hears nothing at all.
	short, cancel := context.WithTimeout(ctx, hold/2)
	_, err = c.ecr.ListImages(short, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || httpAnswered(err) {
		t.Fatalf("ECR API through the endpoint: want no answer before the client's deadline, got %v", err)
	}
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	if err == nil || httpAnswered(err) {
		t.Fatalf("ECR API through the endpoint: want a dropped connection, got %v", err)
	}
	// EC2 is not behind the lab's endpoints.
	_, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	must(t, "DescribeVpcEndpoints while ECR is dropped", err)

	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}}})
	must(t, "AuthorizeSecurityGroupIngress", err)
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	must(t, "pull once the group admits the workspace", err)
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	must(t, "ListImages once the group admits the workspace", err)
}

// TestAdmitsHTTPS: which inbound rules of an endpoint's group let the
// workspace in on tcp/443.
func TestAdmitsHTTPS(t *testing.T) {
	const epSG, wsSG, other = "sg-ep", "sg-ws", "sg-other"
	n := &eni{IP: "10.0.1.25", GroupIDs: []string{wsSG}}
	for _, tc := range []struct {
		name string
		rule *sgRule
		want bool
	}{
		{"no rule", nil, false},
		{"tcp/443 from the workspace's group", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 443, ToPort: 443, RefGroupID: wsSG}, true},
		{"every protocol from the workspace's group", &sgRule{GroupID: epSG, Protocol: "-1", FromPort: -1, ToPort: -1, RefGroupID: wsSG}, true},
		{"a port range holding 443", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 0, ToPort: 65535, RefGroupID: wsSG}, true},
		{"tcp/443 from the VPC's CIDR", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.0.0.0/16"}, true},
		{"tcp/443 from the workspace's address", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.0.1.25/32"}, true},
		{"tcp/443 from another CIDR", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.9.0.0/16"}, false},
		{"tcp/443 from another group", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 443, ToPort: 443, RefGroupID: other}, false},
		{"tcp/80 only", &sgRule{GroupID: epSG, Protocol: "tcp", FromPort: 80, ToPort: 80, RefGroupID: wsSG}, false},
		{"udp/443", &sgRule{GroupID: epSG, Protocol: "udp", FromPort: 443, ToPort: 443, RefGroupID: wsSG}, false},
		{"an egress rule", &sgRule{GroupID: epSG, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}, false},
		{"a rule of another group", &sgRule{GroupID: other, Protocol: "tcp", FromPort: 443, ToPort: 443, RefGroupID: wsSG}, false},
	} {
		w := &world{}
		if tc.rule != nil {
			w.Rules = []*sgRule{tc.rule}
		}
		if got := w.admitsHTTPS([]string{epSG}, n); got != tc.want {
			t.Errorf("%s: admits %v, want %v", tc.name, got, tc.want)
		}
	}
}

// httpAnswered reports whether err carries an HTTP status: the server
// answered (the SDK wraps a failed send as a response error of status 0).
func httpAnswered(err error) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() != 0
}
