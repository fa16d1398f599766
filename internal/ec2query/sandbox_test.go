package ec2query_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/sandbox"
)

// onSandbox starts a sandbox and returns a client on it, configured as
// awsops configures its clients (an aws.Config with APIOptions).
func onSandbox(t *testing.T, opts sandbox.Options, apiOptions ...func(*middleware.Stack) error) (*sandbox.Sandbox, *ec2.Client) {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	cr := sb.Credentials()
	cfg := aws.Config{
		Region:       sb.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken),
		BaseEndpoint: aws.String(sb.Endpoint()),
		HTTPClient:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		APIOptions:   apiOptions,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 0 })
		},
	}
	return sb, ec2.NewFromConfig(cfg)
}

// chk returns a call's result, or fails the test with its error.
func chk[T any](v T, err error) func(t *testing.T, what string) T {
	return func(t *testing.T, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

// sameTags reports whether got holds exactly want's keys and values.
func sameTags(got []types.Tag, want ...types.Tag) bool {
	return slices.EqualFunc(got, want, func(a, b types.Tag) bool {
		return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.Value) == aws.ToString(b.Value)
	})
}

func filter(name string, values ...string) []types.Filter {
	return []types.Filter{{Name: aws.String(name), Values: values}}
}

// TestEveryOperationOnSandbox calls each operation the lab uses against the
// sandbox and checks what comes back: what one call made, the next one
// reads, so both the request's keys and the answer's elements are exercised.
func TestEveryOperationOnSandbox(t *testing.T) {
	sb, c := onSandbox(t, sandbox.Options{})
	ctx := context.Background()
	ws := sb.Workspace()

	vpcs := chk(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{ws.VpcID}}))(t, "DescribeVpcs")
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].VpcId) != ws.VpcID || aws.ToString(vpcs.Vpcs[0].CidrBlock) == "" ||
		len(vpcs.Vpcs[0].CidrBlockAssociationSet) == 0 || vpcs.Vpcs[0].CidrBlockAssociationSet[0].CidrBlockState == nil {
		t.Errorf("DescribeVpcs: %+v", vpcs.Vpcs)
	}
	if rid, ok := awsmiddleware.GetRequestIDMetadata(vpcs.ResultMetadata); !ok || rid == "" {
		t.Errorf("no request id in the result's metadata")
	}
	subnets := chk(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filter("vpc-id", ws.VpcID)}))(t, "DescribeSubnets")
	if !slices.ContainsFunc(subnets.Subnets, func(s types.Subnet) bool {
		return aws.ToString(s.SubnetId) == ws.SubnetID && aws.ToString(s.AvailabilityZone) != "" && aws.ToString(s.VpcId) == ws.VpcID
	}) {
		t.Errorf("DescribeSubnets: workspace subnet %s missing from %+v", ws.SubnetID, subnets.Subnets)
	}
	rts := chk(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{ws.RouteTableID}}))(t, "DescribeRouteTables")
	if len(rts.RouteTables) != 1 || len(rts.RouteTables[0].Routes) == 0 || len(rts.RouteTables[0].Associations) == 0 {
		t.Errorf("DescribeRouteTables: %+v", rts.RouteTables)
	}
	inst := chk(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ws.InstanceID}}))(t, "DescribeInstances")
	if len(inst.Reservations) != 1 || len(inst.Reservations[0].Instances) != 1 ||
		aws.ToString(inst.Reservations[0].Instances[0].PrivateIpAddress) != ws.PrivateIP ||
		inst.Reservations[0].Instances[0].State == nil || inst.Reservations[0].Instances[0].State.Name != types.InstanceStateNameRunning ||
		len(inst.Reservations[0].Instances[0].SecurityGroups) == 0 {
		t.Errorf("DescribeInstances: %+v", inst.Reservations)
	}
	enis := chk(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{ws.ENIID}}))(t, "DescribeNetworkInterfaces")
	if len(enis.NetworkInterfaces) != 1 || aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress) != ws.PrivateIP ||
		enis.NetworkInterfaces[0].Attachment == nil || len(enis.NetworkInterfaces[0].Groups) == 0 {
		t.Errorf("DescribeNetworkInterfaces: %+v", enis.NetworkInterfaces)
	}
	azs := chk(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))(t, "DescribeAvailabilityZones")
	if len(azs.AvailabilityZones) == 0 || azs.AvailabilityZones[0].State != types.AvailabilityZoneStateAvailable {
		t.Errorf("DescribeAvailabilityZones: %+v", azs.AvailabilityZones)
	}
	regions := chk(c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)}))(t, "DescribeRegions")
	if !slices.ContainsFunc(regions.Regions, func(r types.Region) bool { return aws.ToString(r.RegionName) == sb.Region() }) {
		t.Errorf("DescribeRegions: %s missing from %+v", sb.Region(), regions.Regions)
	}

	// The VPC's DNS attributes: read, turned off, read again, restored.
	dns := func() (bool, bool) {
		s := chk(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(ws.VpcID), Attribute: types.VpcAttributeNameEnableDnsSupport}))(t, "DescribeVpcAttribute")
		h := chk(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(ws.VpcID), Attribute: types.VpcAttributeNameEnableDnsHostnames}))(t, "DescribeVpcAttribute")
		if s.EnableDnsSupport == nil || h.EnableDnsHostnames == nil || aws.ToString(s.VpcId) != ws.VpcID {
			t.Fatalf("DescribeVpcAttribute: %+v %+v", s, h)
		}
		return aws.ToBool(s.EnableDnsSupport.Value), aws.ToBool(h.EnableDnsHostnames.Value)
	}
	if s, h := dns(); !s || !h {
		t.Errorf("DNS support %v, hostnames %v at the start; want both on", s, h)
	}
	chk(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(ws.VpcID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t, "ModifyVpcAttribute")
	if s, h := dns(); !s || h {
		t.Errorf("after turning hostnames off: support %v, hostnames %v", s, h)
	}
	chk(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(ws.VpcID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))(t, "ModifyVpcAttribute")

	// A security group, tagged at creation, opened to the workspace's group.
	sg := chk(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("ec2query-test"), Description: aws.String("a group for the client's test"), VpcId: aws.String(ws.VpcID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{tag("made-by", "ec2query")}}},
	}))(t, "CreateSecurityGroup")
	gid := aws.ToString(sg.GroupId)
	if gid == "" {
		t.Fatalf("CreateSecurityGroup: no group id in %+v", sg)
	}
	ing := chk(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(gid),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}},
	}))(t, "AuthorizeSecurityGroupIngress")
	if !aws.ToBool(ing.Return) || len(ing.SecurityGroupRules) != 1 || ing.SecurityGroupRules[0].ReferencedGroupInfo == nil ||
		aws.ToString(ing.SecurityGroupRules[0].ReferencedGroupInfo.GroupId) != ws.SecurityGroupID {
		t.Errorf("AuthorizeSecurityGroupIngress: %+v", ing)
	}
	chk(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(gid), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443), CidrIp: aws.String("10.9.0.0/16"),
	}))(t, "AuthorizeSecurityGroupIngress")
	groups := chk(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{gid}}))(t, "DescribeSecurityGroups")
	if len(groups.SecurityGroups) != 1 || aws.ToString(groups.SecurityGroups[0].GroupName) != "ec2query-test" ||
		!sameTags(groups.SecurityGroups[0].Tags, tag("made-by", "ec2query")) || len(groups.SecurityGroups[0].IpPermissionsEgress) == 0 {
		t.Errorf("DescribeSecurityGroups: %+v", groups.SecurityGroups)
	}
	rules := chk(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: filter("group-id", gid)}))(t, "DescribeSecurityGroupRules")
	var ingress, egress []string
	for _, r := range rules.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) {
			egress = append(egress, aws.ToString(r.SecurityGroupRuleId))
		} else if aws.ToInt32(r.FromPort) == 8443 {
			ingress = append(ingress, aws.ToString(r.SecurityGroupRuleId))
		}
	}
	if len(ingress) != 1 || len(egress) == 0 {
		t.Fatalf("DescribeSecurityGroupRules: ingress %v, egress %v in %+v", ingress, egress, rules.SecurityGroupRules)
	}
	rev := chk(c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(gid), SecurityGroupRuleIds: ingress}))(t, "RevokeSecurityGroupIngress")
	if !aws.ToBool(rev.Return) || len(rev.RevokedSecurityGroupRules) != 1 || aws.ToString(rev.RevokedSecurityGroupRules[0].CidrIpv4) != "10.9.0.0/16" {
		t.Errorf("RevokeSecurityGroupIngress: %+v", rev)
	}
	chk(c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(gid),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}}}))(t, "RevokeSecurityGroupIngress")
	revE := chk(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(gid), SecurityGroupRuleIds: egress}))(t, "RevokeSecurityGroupEgress")
	if !aws.ToBool(revE.Return) || len(revE.RevokedSecurityGroupRules) != len(egress) || !aws.ToBool(revE.RevokedSecurityGroupRules[0].IsEgress) {
		t.Errorf("RevokeSecurityGroupEgress: %+v", revE)
	}
	after := chk(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{gid}}))(t, "DescribeSecurityGroups")
	if n := len(after.SecurityGroups[0].IpPermissionsEgress); n != 0 {
		t.Errorf("%d egress rules left after revoking them all", n)
	}

	// Tags on the group: added, listed, removed.
	chk(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{gid}, Tags: []types.Tag{tag("lab", "yes")}}))(t, "CreateTags")
	tags := chk(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: filter("resource-id", gid)}))(t, "DescribeTags")
	if !slices.ContainsFunc(tags.Tags, func(d types.TagDescription) bool {
		return aws.ToString(d.Key) == "lab" && aws.ToString(d.ResourceId) == gid && d.ResourceType == types.ResourceTypeSecurityGroup
	}) {
		t.Errorf("DescribeTags: %+v", tags.Tags)
	}
	chk(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{gid}, Tags: []types.Tag{{Key: aws.String("lab")}}}))(t, "DeleteTags")
	tags = chk(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: filter("resource-id", gid)}))(t, "DescribeTags")
	if slices.ContainsFunc(tags.Tags, func(d types.TagDescription) bool { return aws.ToString(d.Key) == "lab" }) {
		t.Errorf("DeleteTags left the tag: %+v", tags.Tags)
	}

	// Endpoints: the services, an interface and a gateway endpoint, a
	// policy change, the interface's network interfaces, deletion.
	svcName := "com.amazonaws." + sb.Region() + ".ecr.api"
	s3Name := "com.amazonaws." + sb.Region() + ".s3"
	svcs := chk(c.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{svcName, s3Name}}))(t, "DescribeVpcEndpointServices")
	if !slices.Contains(svcs.ServiceNames, svcName) || !slices.ContainsFunc(svcs.ServiceDetails, func(d types.ServiceDetail) bool {
		return aws.ToString(d.ServiceName) == s3Name && slices.ContainsFunc(d.ServiceType, func(st types.ServiceTypeDetail) bool { return st.ServiceType == types.ServiceTypeGateway })
	}) {
		t.Errorf("DescribeVpcEndpointServices: %+v", svcs)
	}
	ep := chk(c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(ws.VpcID), ServiceName: aws.String(svcName), VpcEndpointType: types.VpcEndpointTypeInterface,
		SubnetIds: []string{ws.SubnetID}, SecurityGroupIds: []string{gid}, PrivateDnsEnabled: aws.Bool(true),
		ClientToken:       aws.String("ec2query-test-1"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{tag("Name", "api")}}},
	}))(t, "CreateVpcEndpoint")
	if ep.VpcEndpoint == nil || aws.ToString(ep.VpcEndpoint.VpcEndpointId) == "" || ep.VpcEndpoint.VpcEndpointType != types.VpcEndpointTypeInterface ||
		aws.ToString(ep.ClientToken) != "ec2query-test-1" || ep.VpcEndpoint.CreationTimestamp == nil || ep.VpcEndpoint.CreationTimestamp.IsZero() {
		t.Fatalf("CreateVpcEndpoint: %+v", ep)
	}
	epID := aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	gw := chk(c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(ws.VpcID), ServiceName: aws.String(s3Name), VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: []string{ws.RouteTableID},
	}))(t, "CreateVpcEndpoint")
	gwID := aws.ToString(gw.VpcEndpoint.VpcEndpointId)
	if !slices.Equal(gw.VpcEndpoint.RouteTableIds, []string{ws.RouteTableID}) {
		t.Errorf("gateway endpoint's route tables: %v", gw.VpcEndpoint.RouteTableIds)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	mod := chk(c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), PolicyDocument: aws.String(policy)}))(t, "ModifyVpcEndpoint")
	if !aws.ToBool(mod.Return) {
		t.Errorf("ModifyVpcEndpoint: %+v", mod)
	}
	eps := chk(c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}}))(t, "DescribeVpcEndpoints")
	if len(eps.VpcEndpoints) != 1 {
		t.Fatalf("DescribeVpcEndpoints: %+v", eps.VpcEndpoints)
	}
	got := eps.VpcEndpoints[0]
	if aws.ToString(got.PolicyDocument) == "" || !slices.Equal(got.SubnetIds, []string{ws.SubnetID}) || len(got.Groups) != 1 ||
		aws.ToString(got.Groups[0].GroupId) != gid || !sameTags(got.Tags, tag("Name", "api")) || got.State == "" ||
		!aws.ToBool(got.PrivateDnsEnabled) || aws.ToString(got.OwnerId) == "" {
		t.Errorf("DescribeVpcEndpoints: %+v", got)
	}
	if len(got.NetworkInterfaceIds) > 0 {
		nis := chk(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: got.NetworkInterfaceIds}))(t, "DescribeNetworkInterfaces")
		if len(nis.NetworkInterfaces) != len(got.NetworkInterfaceIds) || nis.NetworkInterfaces[0].InterfaceType != types.NetworkInterfaceTypeVpcEndpoint {
			t.Errorf("the endpoint's network interfaces: %+v", nis.NetworkInterfaces)
		}
	}
	pl := chk(c.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{}))(t, "DescribePrefixLists")
	if !slices.ContainsFunc(pl.PrefixLists, func(p types.PrefixList) bool { return aws.ToString(p.PrefixListName) == s3Name && len(p.Cidrs) > 0 }) {
		t.Errorf("DescribePrefixLists: no %s in %+v", s3Name, pl.PrefixLists)
	}
	del := chk(c.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID, gwID, "vpce-0000000000000000f"}}))(t, "DeleteVpcEndpoints")
	if len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].ResourceId) != "vpce-0000000000000000f" ||
		del.Unsuccessful[0].Error == nil || aws.ToString(del.Unsuccessful[0].Error.Code) == "" {
		t.Errorf("DeleteVpcEndpoints: %+v", del.Unsuccessful)
	}
	if _, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(gid)}); err != nil {
		// The interface endpoint's network interfaces may still hold the
		// group while they are released: that is EC2's DependencyViolation.
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "DependencyViolation" {
			t.Errorf("DeleteSecurityGroup: %v", err)
		}
	}

	// An operation the sandbox does not model answers as EC2 answers an
	// unknown action.
	_, err := c.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnsupportedOperation" {
		t.Errorf("DescribeTransitGateways: %v", err)
	}
}

// TestPaginationOnSandbox: a paginator walks every page with the input's
// MaxResults, and the pages together hold every item once.
func TestPaginationOnSandbox(t *testing.T) {
	sb, c := onSandbox(t, sandbox.Options{})
	ctx := context.Background()
	vpc := sb.Workspace().VpcID
	for i := range 7 {
		chk(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(fmt.Sprintf("page-%d", i)), Description: aws.String("pagination"), VpcId: aws.String(vpc)}))(t, "CreateSecurityGroup")
	}
	all := chk(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filter("vpc-id", vpc)}))(t, "DescribeSecurityGroups")
	if len(all.SecurityGroups) < 8 || all.NextToken != nil {
		t.Fatalf("one call: %d groups, next token %v", len(all.SecurityGroups), all.NextToken)
	}
	p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{Filters: filter("vpc-id", vpc), MaxResults: aws.Int32(5)})
	var ids []string
	pages := 0
	for p.HasMorePages() {
		page := chk(p.NextPage(ctx))(t, "NextPage")
		pages++
		if len(page.SecurityGroups) > 5 {
			t.Errorf("page %d has %d groups, MaxResults is 5", pages, len(page.SecurityGroups))
		}
		for _, g := range page.SecurityGroups {
			ids = append(ids, aws.ToString(g.GroupId))
		}
	}
	if want := (len(all.SecurityGroups) + 4) / 5; pages != want {
		t.Errorf("%d pages, want %d", pages, want)
	}
	slices.Sort(ids)
	var wantIDs []string
	for _, g := range all.SecurityGroups {
		wantIDs = append(wantIDs, aws.ToString(g.GroupId))
	}
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("paged ids %v, want %v", ids, wantIDs)
	}
	if _, err := p.NextPage(ctx); err == nil {
		t.Error("NextPage after the last page: no error")
	}
}

// TestErrorsOnSandbox: EC2's error document becomes the SDK's error values:
// a smithy.APIError with EC2's code and message, inside an
// *awshttp.ResponseError with the HTTP status and request id, inside a
// *smithy.OperationError naming EC2 and the operation.
func TestErrorsOnSandbox(t *testing.T) {
	_, c := onSandbox(t, sandbox.Options{})
	_, err := c.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	var oe *smithy.OperationError
	var re *awshttp.ResponseError
	var ae smithy.APIError
	switch {
	case !errors.As(err, &oe) || oe.Service() != "EC2" || oe.Operation() != "DescribeVpcs":
		t.Errorf("not an operation error of EC2 DescribeVpcs: %#v", err)
	case !errors.As(err, &re) || re.HTTPStatusCode() != 400 || re.ServiceRequestID() == "":
		t.Errorf("no response error with status 400 and a request id: %#v", err)
	case !errors.As(err, &ae) || ae.ErrorCode() != "InvalidVpcID.NotFound" || ae.ErrorMessage() == "" || ae.ErrorFault() != smithy.FaultUnknown:
		t.Errorf("API error %#v", ae)
	}
}

// TestThrottlingRetriedOnSandbox: a call EC2 throttles (RequestLimitExceeded)
// or fails with a 5xx is retried by the configured retryer, and the
// APIOptions' middleware sees what awsops' observer reads: the service and
// operation, the attempts, the server's Date.
func TestThrottlingRetriedOnSandbox(t *testing.T) {
	var refused atomic.Int32
	opts := sandbox.Options{Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
		if r.Action != "DescribeVpcs" {
			return nil
		}
		switch refused.Add(1) {
		case 1:
			return &sandbox.APIError{Status: 503, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
		case 2:
			return &sandbox.APIError{Status: 500, Code: "InternalError", Message: "An internal error has occurred."}
		}
		return nil
	}}}
	var mu sync.Mutex
	var seen []string
	observe := func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("observe",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				ar, _ := retry.GetAttemptResults(md)
				_, dated := awsmiddleware.GetServerTime(md)
				mu.Lock()
				seen = append(seen, fmt.Sprintf("%s %s attempts=%d dated=%v", awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), len(ar.Results), dated))
				mu.Unlock()
				return out, md, err
			}), middleware.Before)
	}
	sb, c := onSandbox(t, opts, observe)
	out, err := c.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{VpcIds: []string{sb.Workspace().VpcID}})
	if err != nil {
		t.Fatalf("DescribeVpcs after a throttle and a 5xx: %v", err)
	}
	if ar, _ := retry.GetAttemptResults(out.ResultMetadata); len(ar.Results) != 3 {
		t.Errorf("%d attempts, want 3 (throttled, 5xx, answered)", len(ar.Results))
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"EC2 DescribeVpcs attempts=3 dated=true"}; !slices.Equal(seen, want) {
		t.Errorf("the APIOptions middleware saw %q, want %q", seen, want)
	}
}
