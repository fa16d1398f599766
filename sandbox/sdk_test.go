package sandbox

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// labPolicy is the seed's endpoint policy: allow everything, deny PutImage on
// team-a/alpine.
func labPolicy(account, region string) string {
	return `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"},{"Sid":"DenyPutImage","Principal":"*","Action":"ecr:PutImage","Effect":"Deny","Resource":"arn:aws:ecr:` +
		region + `:` + account + `:repository/team-a/alpine"}]}`
}

func flt(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// TestSDKEveryOperation drives every operation the sandbox serves through the
// AWS SDK for Go v2, errors included, walking the lab from discovery to
// teardown with a manual clock through the endpoint life cycle.
func TestSDKEveryOperation(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{
		Clock:        clock,
		Timing:       Timing{EndpointAvailable: 20 * time.Second, EndpointDelete: 10 * time.Second, ENIRelease: 15 * time.Second},
		ServiceZones: map[string][]string{"com.amazonaws.us-west-2.logs": {"us-west-2a"}},
	})
	runScenario(t, sb, clock, nil)
}

// runScenario is the whole tour; w (optional) records the raw exchanges.
func runScenario(t *testing.T, sb *Sandbox, clock *ManualClock, w *wire) {
	ctx := context.Background()
	c := newClients(sb, w)
	ws := sb.Workspace()
	acct, region := sb.Account(), sb.Region()
	svc := func(s string) string { return "com.amazonaws." + region + "." + s }

	// STS.
	id, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, "GetCallerIdentity", err)
	if aws.ToString(id.Account) != acct || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::"+acct+":assumed-role/ecr-vpce-lab-workspace/i-") ||
		!strings.HasSuffix(aws.ToString(id.UserId), ":"+ws.InstanceID) {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}

	// VPCs.
	vpcs, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, "DescribeVpcs", err)
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].VpcId) != ws.VpcID || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "10.0.0.0/16" {
		t.Fatalf("DescribeVpcs = %+v", vpcs.Vpcs)
	}
	vpcs, err = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{flt("tag:Name", "ecr-vpce-*")}})
	must(t, "DescribeVpcs tag filter", err)
	if len(vpcs.Vpcs) != 1 {
		t.Errorf("tag:Name=ecr-vpce-* matched %d VPCs", len(vpcs.Vpcs))
	}
	vpcs, err = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{flt("tag:Name", "other")}})
	must(t, "DescribeVpcs tag filter miss", err)
	if len(vpcs.Vpcs) != 0 {
		t.Errorf("tag:Name=other matched %d VPCs", len(vpcs.Vpcs))
	}
	_, err = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	wantCode(t, "DescribeVpcs unknown", err, "InvalidVpcID.NotFound")
	_, err = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{flt("no-such-filter", "x")}})
	wantCode(t, "DescribeVpcs bad filter", err, "InvalidParameterValue")
	_, err = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
	wantCode(t, "DescribeVpcs dry run", err, "DryRunOperation")

	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		a, err := c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(ws.VpcID), Attribute: attr})
		must(t, "DescribeVpcAttribute", err)
		v := a.EnableDnsSupport
		if attr == ec2types.VpcAttributeNameEnableDnsHostnames {
			v = a.EnableDnsHostnames
		}
		if v == nil || !aws.ToBool(v.Value) || aws.ToString(a.VpcId) != ws.VpcID {
			t.Errorf("DescribeVpcAttribute %s = %+v", attr, a)
		}
	}
	_, err = c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(ws.VpcID), Attribute: "bogus"})
	wantCode(t, "DescribeVpcAttribute bogus", err, "InvalidParameterValue")
	_, err = c.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(ws.VpcID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(false)}})
	must(t, "ModifyVpcAttribute off", err)
	a, err := c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(ws.VpcID), Attribute: ec2types.VpcAttributeNameEnableDnsHostnames})
	must(t, "DescribeVpcAttribute", err)
	if aws.ToBool(a.EnableDnsHostnames.Value) {
		t.Error("enableDnsHostnames still true after ModifyVpcAttribute")
	}
	_, err = c.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(ws.VpcID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(false)}, EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, "ModifyVpcAttribute two attributes", err, "InvalidParameterCombination")

	// The workspace instance as EC2 describes it, the zones, the prefix lists.
	insts, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{flt("network-interface.mac-address", ws.MAC)}})
	must(t, "DescribeInstances", err)
	if len(insts.Reservations) != 1 || len(insts.Reservations[0].Instances) != 1 {
		t.Fatalf("DescribeInstances by MAC = %+v", insts.Reservations)
	}
	in := insts.Reservations[0].Instances[0]
	if aws.ToString(in.InstanceId) != ws.InstanceID || aws.ToString(in.SubnetId) != ws.SubnetID || aws.ToString(in.PrivateIpAddress) != ws.PrivateIP ||
		in.State.Name != ec2types.InstanceStateNameRunning || in.MetadataOptions.HttpTokens != ec2types.HttpTokensStateOptional ||
		len(in.SecurityGroups) != 1 || aws.ToString(in.SecurityGroups[0].GroupId) != ws.SecurityGroupID || len(in.Tags) != 1 {
		t.Errorf("DescribeInstances = %+v", in)
	}
	_, err = c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantCode(t, "DescribeInstances unknown", err, "InvalidInstanceID.NotFound")
	_, err = c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ws.InstanceID}, MaxResults: aws.Int32(5)})
	wantCode(t, "DescribeInstances ids and MaxResults", err, "InvalidParameterCombination")
	azs, err := c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	must(t, "DescribeAvailabilityZones", err)
	if len(azs.AvailabilityZones) != 4 || aws.ToString(azs.AvailabilityZones[0].ZoneName) != region+"a" || azs.AvailabilityZones[0].State != ec2types.AvailabilityZoneStateAvailable {
		t.Errorf("DescribeAvailabilityZones = %+v", azs.AvailabilityZones)
	}
	azs, err = c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: []ec2types.Filter{flt("zone-id", azID(region, region+"b"))}})
	must(t, "DescribeAvailabilityZones by zone-id", err)
	if len(azs.AvailabilityZones) != 1 || aws.ToString(azs.AvailabilityZones[0].ZoneName) != region+"b" {
		t.Errorf("DescribeAvailabilityZones zone-id = %+v", azs.AvailabilityZones)
	}
	_, err = c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{region + "z"}})
	wantCode(t, "DescribeAvailabilityZones unknown", err, "InvalidParameterValue")
	pls, err := c.ec2.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{})
	must(t, "DescribePrefixLists", err)
	if len(pls.PrefixLists) != 2 || aws.ToString(pls.PrefixLists[0].PrefixListName) != svc("s3") || len(pls.PrefixLists[0].Cidrs) == 0 {
		t.Errorf("DescribePrefixLists = %+v", pls.PrefixLists)
	}
	_, err = c.ec2.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{PrefixListIds: []string{"pl-00000000"}})
	wantCode(t, "DescribePrefixLists unknown", err, "InvalidPrefixListID.NotFound")

	// Subnets.
	subs, err := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{flt("vpc-id", ws.VpcID)}})
	must(t, "DescribeSubnets", err)
	if len(subs.Subnets) != 2 || aws.ToString(subs.Subnets[0].AvailabilityZone) == aws.ToString(subs.Subnets[1].AvailabilityZone) {
		t.Fatalf("want two subnets in two AZs, got %+v", subs.Subnets)
	}
	otherSubnet := ws.SubnetIDs[1]
	subs, err = c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{ws.SubnetID}})
	must(t, "DescribeSubnets by id", err)
	if len(subs.Subnets) != 1 || aws.ToString(subs.Subnets[0].AvailabilityZone) != region+"a" {
		t.Errorf("DescribeSubnets by id = %+v", subs.Subnets)
	}
	_, err = c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})
	wantCode(t, "DescribeSubnets unknown", err, "InvalidSubnetID.NotFound")

	// Route tables: the workspace subnet is only implicitly associated.
	rts, err := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{flt("association.subnet-id", ws.SubnetID)}})
	must(t, "DescribeRouteTables by subnet", err)
	if len(rts.RouteTables) != 0 {
		t.Errorf("association.subnet-id matched %d tables; the subnet should be only implicitly associated", len(rts.RouteTables))
	}
	rts, err = c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{flt("vpc-id", ws.VpcID), flt("association.main", "true")}})
	must(t, "DescribeRouteTables main", err)
	if len(rts.RouteTables) != 1 || aws.ToString(rts.RouteTables[0].RouteTableId) != ws.RouteTableID || !aws.ToBool(rts.RouteTables[0].Associations[0].Main) {
		t.Fatalf("main route table = %+v", rts.RouteTables)
	}
	_, err = c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-0123456789abcdef0"}})
	wantCode(t, "DescribeRouteTables unknown", err, "InvalidRouteTableID.NotFound")

	// Security groups.
	sgs, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{ws.SecurityGroupID}})
	must(t, "DescribeSecurityGroups", err)
	if len(sgs.SecurityGroups) != 1 || aws.ToString(sgs.SecurityGroups[0].VpcId) != ws.VpcID {
		t.Errorf("workspace group = %+v", sgs.SecurityGroups)
	}
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
	wantCode(t, "DescribeSecurityGroups unknown", err, "InvalidGroup.NotFound")
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	wantCode(t, "DescribeSecurityGroups by name without a default VPC", err, "VPCIdNotSpecified")
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("default")})
	wantCode(t, "DeleteSecurityGroup by name without a default VPC", err, "VPCIdNotSpecified")
	_, err = c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("x"), VpcId: aws.String(ws.VpcID), DryRun: aws.Bool(true)})
	wantCode(t, "CreateSecurityGroup dry run", err, "DryRunOperation")
	sg, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("Security group for ECR VPC Endpoints"), VpcId: aws.String(ws.VpcID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: []ec2types.Tag{{Key: aws.String("ecr-vpce-lab:run"), Value: aws.String("t1")}}}},
	})
	must(t, "CreateSecurityGroup", err)
	vpceSG := aws.ToString(sg.GroupId)
	if !strings.HasPrefix(vpceSG, "sg-") || len(sg.Tags) != 1 || !strings.HasSuffix(aws.ToString(sg.SecurityGroupArn), ":security-group/"+vpceSG) {
		t.Errorf("CreateSecurityGroup = %+v", sg)
	}
	_, err = c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("again"), VpcId: aws.String(ws.VpcID)})
	wantCode(t, "CreateSecurityGroup duplicate", err, "InvalidGroup.Duplicate")
	_, err = c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String(ws.VpcID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}})
	wantCode(t, "CreateSecurityGroup wrong tag resource type", err, "InvalidParameterValue")
	sgs, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{flt("group-name", "ECR_VPCE_SG"), flt("tag:ecr-vpce-lab:run", "t1")}})
	must(t, "DescribeSecurityGroups filters", err)
	if len(sgs.SecurityGroups) != 1 || len(sgs.SecurityGroups[0].IpPermissionsEgress) != 1 {
		t.Errorf("new group by name = %+v", sgs.SecurityGroups)
	}

	// Ingress rules.
	auth, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(vpceSG),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}},
	})
	must(t, "AuthorizeSecurityGroupIngress", err)
	if !aws.ToBool(auth.Return) || len(auth.SecurityGroupRules) != 1 || !strings.HasPrefix(aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId), "sgr-") ||
		aws.ToString(auth.SecurityGroupRules[0].ReferencedGroupInfo.GroupId) != ws.SecurityGroupID || aws.ToInt32(auth.SecurityGroupRules[0].FromPort) != 443 {
		t.Errorf("AuthorizeSecurityGroupIngress = %+v", auth)
	}
	ruleID := aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId)
	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(vpceSG), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("10.0.0.0/16"),
	})
	must(t, "AuthorizeSecurityGroupIngress cidr", err)
	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(vpceSG),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}},
	})
	wantCode(t, "AuthorizeSecurityGroupIngress duplicate", err, "InvalidPermission.Duplicate")
	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0123456789abcdef0"), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(1), CidrIp: aws.String("10.0.0.0/8")})
	wantCode(t, "AuthorizeSecurityGroupIngress unknown group", err, "InvalidGroup.NotFound")
	rules, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{flt("group-id", vpceSG)}})
	must(t, "DescribeSecurityGroupRules", err)
	if len(rules.SecurityGroupRules) != 3 { // egress + two ingress
		t.Errorf("DescribeSecurityGroupRules = %d rules, want 3", len(rules.SecurityGroupRules))
	}
	rules, err = c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{ruleID}})
	must(t, "DescribeSecurityGroupRules by id", err)
	if len(rules.SecurityGroupRules) != 1 || aws.ToBool(rules.SecurityGroupRules[0].IsEgress) {
		t.Errorf("DescribeSecurityGroupRules by id = %+v", rules.SecurityGroupRules)
	}
	_, err = c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-0123456789abcdef0"}})
	wantCode(t, "DescribeSecurityGroupRules unknown", err, "InvalidSecurityGroupRuleId.NotFound")
	// The outbound rule a new group starts with, revoked by id (what
	// teardown tells a learner to run on a group that refers to the lab's).
	all, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{flt("group-id", vpceSG)}})
	must(t, "DescribeSecurityGroupRules", err)
	egressID := ""
	for _, r := range all.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) {
			egressID = aws.ToString(r.SecurityGroupRuleId)
		}
	}
	_, err = c.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(vpceSG), SecurityGroupRuleIds: []string{ruleID}})
	wantCode(t, "RevokeSecurityGroupEgress of an inbound rule", err, "InvalidSecurityGroupRuleId.NotFound")
	revOut, err := c.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(vpceSG), SecurityGroupRuleIds: []string{egressID}})
	must(t, "RevokeSecurityGroupEgress", err)
	if !aws.ToBool(revOut.Return) || len(revOut.RevokedSecurityGroupRules) != 1 || !aws.ToBool(revOut.RevokedSecurityGroupRules[0].IsEgress) {
		t.Errorf("RevokeSecurityGroupEgress = %+v", revOut)
	}
	rev, err := c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(vpceSG), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}},
	})
	must(t, "RevokeSecurityGroupIngress by permission", err)
	if !aws.ToBool(rev.Return) || len(rev.RevokedSecurityGroupRules) != 1 || aws.ToString(rev.RevokedSecurityGroupRules[0].CidrIpv4) != "10.0.0.0/16" {
		t.Errorf("RevokeSecurityGroupIngress = %+v", rev)
	}
	_, err = c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(vpceSG), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}},
	})
	wantCode(t, "RevokeSecurityGroupIngress again", err, "InvalidPermission.NotFound")
	_, err = c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(vpceSG), SecurityGroupRuleIds: []string{"sgr-0123456789abcdef0"}})
	wantCode(t, "RevokeSecurityGroupIngress unknown rule", err, "InvalidSecurityGroupRuleId.NotFound")

	// Endpoint services.
	svcs, err := c.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{svc("ecr.dkr")}})
	must(t, "DescribeVpcEndpointServices", err)
	if len(svcs.ServiceDetails) != 1 || aws.ToString(svcs.ServiceDetails[0].PrivateDnsName) != "*.dkr.ecr."+region+".amazonaws.com" ||
		!slices.Contains(svcs.ServiceDetails[0].AvailabilityZones, region+"a") {
		t.Errorf("DescribeVpcEndpointServices = %+v", svcs.ServiceDetails)
	}
	page1, err := c.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{MaxResults: aws.Int32(5)})
	must(t, "DescribeVpcEndpointServices page 1", err)
	page2, err := c.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{MaxResults: aws.Int32(5), NextToken: page1.NextToken})
	must(t, "DescribeVpcEndpointServices page 2", err)
	if len(page1.ServiceDetails) != 5 || page1.NextToken == nil || len(page2.ServiceDetails) != 2 || page2.NextToken != nil {
		t.Errorf("pagination: %d then %d details (next %v)", len(page1.ServiceDetails), len(page2.ServiceDetails), page1.NextToken)
	}
	_, err = c.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{svc("nope")}})
	wantCode(t, "DescribeVpcEndpointServices unknown", err, "InvalidServiceName")

	// Endpoints: a private DNS endpoint needs the VPC's DNS attributes.
	policy := labPolicy(acct, region)
	dkrIn := &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(ws.VpcID), VpcEndpointType: ec2types.VpcEndpointTypeInterface, ServiceName: aws.String(svc("ecr.dkr")),
		PolicyDocument: aws.String(policy), SubnetIds: []string{ws.SubnetID}, SecurityGroupIds: []string{vpceSG},
		ClientToken: aws.String("lab-dkr-1"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: []ec2types.Tag{{Key: aws.String("ecr-vpce-lab:run"), Value: aws.String("t1")}}}},
	}
	_, err = c.ec2.CreateVpcEndpoint(ctx, dkrIn)
	wantCode(t, "CreateVpcEndpoint with DNS hostnames off", err, "InvalidParameter")
	_, err = c.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(ws.VpcID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	must(t, "ModifyVpcAttribute on", err)
	dkrIn.DryRun = aws.Bool(true)
	_, err = c.ec2.CreateVpcEndpoint(ctx, dkrIn)
	wantCode(t, "CreateVpcEndpoint dry run", err, "DryRunOperation")
	dkrIn.DryRun = nil
	dkr, err := c.ec2.CreateVpcEndpoint(ctx, dkrIn)
	must(t, "CreateVpcEndpoint dkr", err)
	ep := dkr.VpcEndpoint
	if ep.State != "pending" || !aws.ToBool(ep.PrivateDnsEnabled) || len(ep.NetworkInterfaceIds) != 1 || aws.ToString(dkr.ClientToken) != "lab-dkr-1" ||
		len(ep.DnsEntries) != 3 || aws.ToString(ep.DnsEntries[0].HostedZoneId) != "ZONEIDPENDING" || aws.ToString(ep.PolicyDocument) != policy ||
		len(ep.Groups) != 1 || aws.ToString(ep.Groups[0].GroupId) != vpceSG || len(ep.Tags) != 1 {
		t.Errorf("CreateVpcEndpoint dkr = %+v", ep)
	}
	dkrID := aws.ToString(ep.VpcEndpointId)
	again, err := c.ec2.CreateVpcEndpoint(ctx, dkrIn)
	must(t, "CreateVpcEndpoint same client token", err)
	if aws.ToString(again.VpcEndpoint.VpcEndpointId) != dkrID {
		t.Errorf("same ClientToken made a second endpoint %s", aws.ToString(again.VpcEndpoint.VpcEndpointId))
	}
	changed := *dkrIn
	changed.SubnetIds = []string{otherSubnet}
	_, err = c.ec2.CreateVpcEndpoint(ctx, &changed)
	wantCode(t, "CreateVpcEndpoint reused token", err, "IdempotentParameterMismatch")
	changed.ClientToken = aws.String("lab-dkr-2")
	_, err = c.ec2.CreateVpcEndpoint(ctx, &changed)
	wantCode(t, "CreateVpcEndpoint conflicting private DNS", err, "InvalidParameter")

	enis, err := c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
	must(t, "DescribeNetworkInterfaces", err)
	if len(enis.NetworkInterfaces) != 1 || !aws.ToBool(enis.NetworkInterfaces[0].RequesterManaged) || aws.ToString(enis.NetworkInterfaces[0].SubnetId) != ws.SubnetID ||
		!strings.HasPrefix(aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress), "10.0.0.") || enis.NetworkInterfaces[0].InterfaceType != "vpc_endpoint" {
		t.Errorf("endpoint ENI = %+v", enis.NetworkInterfaces)
	}
	_, err = c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-0123456789abcdef0"}})
	wantCode(t, "DescribeNetworkInterfaces unknown", err, "InvalidNetworkInterfaceID.NotFound")
	enis, err = c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{flt("attachment.instance-id", ws.InstanceID)}})
	must(t, "DescribeNetworkInterfaces by instance", err)
	if len(enis.NetworkInterfaces) != 1 || aws.ToString(enis.NetworkInterfaces[0].MacAddress) != ws.MAC {
		t.Errorf("workspace ENI = %+v", enis.NetworkInterfaces)
	}

	api, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(ws.VpcID), VpcEndpointType: ec2types.VpcEndpointTypeInterface, ServiceName: aws.String(svc("ecr.api")),
		PolicyDocument: aws.String(policy), SubnetIds: []string{ws.SubnetID}, SecurityGroupIds: []string{vpceSG},
	})
	must(t, "CreateVpcEndpoint api", err)
	apiID := aws.ToString(api.VpcEndpoint.VpcEndpointId)
	s3, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(ws.VpcID), VpcEndpointType: ec2types.VpcEndpointTypeGateway, ServiceName: aws.String(svc("s3")), RouteTableIds: []string{ws.RouteTableID},
	})
	must(t, "CreateVpcEndpoint s3", err)
	s3ID := aws.ToString(s3.VpcEndpoint.VpcEndpointId)
	if s3.VpcEndpoint.State != "available" || !strings.Contains(aws.ToString(s3.VpcEndpoint.PolicyDocument), `"Action": "*"`) {
		t.Errorf("gateway endpoint = %+v", s3.VpcEndpoint)
	}
	rts, err = c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{ws.RouteTableID}})
	must(t, "DescribeRouteTables after gateway", err)
	if !slices.ContainsFunc(rts.RouteTables[0].Routes, func(r ec2types.Route) bool {
		return strings.HasPrefix(aws.ToString(r.DestinationPrefixListId), "pl-") && aws.ToString(r.GatewayId) == s3ID
	}) {
		t.Errorf("no prefix-list route to %s in %+v", s3ID, rts.RouteTables[0].Routes)
	}

	for _, tc := range []struct {
		name string
		in   *ec2.CreateVpcEndpointInput
		code string
	}{
		{"bad policy", &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: "Interface", ServiceName: aws.String(svc("sts")), SubnetIds: []string{ws.SubnetID}, PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]`)}, "InvalidPolicyDocument"},
		{"unknown service", &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: "Interface", ServiceName: aws.String(svc("nope"))}, "InvalidServiceName"},
		{"unknown route table", &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: "Gateway", ServiceName: aws.String(svc("s3")), RouteTableIds: []string{"rtb-0123456789abcdef0"}}, "InvalidRouteTableID.NotFound"},
		{"unknown subnet", &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: "Interface", ServiceName: aws.String(svc("sts")), SubnetIds: []string{"subnet-0123456789abcdef0"}}, "InvalidSubnetID.NotFound"},
		{"AZ not offered", &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: "Interface", ServiceName: aws.String(svc("logs")), SubnetIds: []string{otherSubnet}}, "InvalidParameter"},
		{"unknown VPC", &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-0123456789abcdef0"), ServiceName: aws.String(svc("s3"))}, "InvalidVpcID.NotFound"},
		{"second s3 route", &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), ServiceName: aws.String(svc("s3")), RouteTableIds: []string{ws.RouteTableID}}, "RouteAlreadyExists"},
	} {
		_, err := c.ec2.CreateVpcEndpoint(ctx, tc.in)
		wantCode(t, "CreateVpcEndpoint "+tc.name, err, tc.code)
	}
	status, body := rawQuery(t, sb, "ec2", url.Values{"Action": {"CreateVpcEndpoint"}, "Version": {"2016-11-15"}, "ServiceName": {svc("s3")}})
	if status != 400 || !strings.Contains(body, "<Code>MissingParameter</Code>") {
		t.Errorf("CreateVpcEndpoint without VpcId: %d %s", status, body)
	}
	status, body = rawQuery(t, sb, "ec2", url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"}, "Bogus": {"1"}})
	if status != 400 || !strings.Contains(body, "<Code>UnknownParameter</Code>") {
		t.Errorf("unknown parameter: %d %s", status, body)
	}
	status, body = rawQuery(t, sb, "ec2", url.Values{"Action": {"RunInstances"}, "Version": {"2016-11-15"}})
	if status != 400 || !strings.Contains(body, "<Code>UnsupportedOperation</Code>") || !strings.Contains(body, "RunInstances") {
		t.Errorf("unmodelled action: %d %s", status, body)
	}
	status, body = rawQuery(t, sb, "ec2", url.Values{"Action": {"RunInstance"}, "Version": {"2016-11-15"}})
	if status != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("unknown action: %d %s", status, body)
	}

	// Life cycle: pending until the clock passes the provisioning time.
	eps, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{flt("vpc-endpoint-state", "pending")}})
	must(t, "DescribeVpcEndpoints pending", err)
	if len(eps.VpcEndpoints) != 2 {
		t.Errorf("%d pending endpoints, want 2", len(eps.VpcEndpoints))
	}
	clock.Advance(21 * time.Second)
	eps, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkrID, apiID, s3ID}})
	must(t, "DescribeVpcEndpoints", err)
	for _, e := range eps.VpcEndpoints {
		if e.State != "available" {
			t.Errorf("%s is %s after 21s", aws.ToString(e.VpcEndpointId), e.State)
		}
		for _, d := range e.DnsEntries {
			if aws.ToString(d.HostedZoneId) == "ZONEIDPENDING" {
				t.Errorf("%s still has a pending DNS entry", aws.ToString(e.VpcEndpointId))
			}
		}
	}
	eps, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{flt("service-name", svc("ecr.*")), flt("tag:ecr-vpce-lab:run", "t1")}})
	must(t, "DescribeVpcEndpoints filters", err)
	if len(eps.VpcEndpoints) != 1 || aws.ToString(eps.VpcEndpoints[0].VpcEndpointId) != dkrID {
		t.Errorf("filtered endpoints = %d", len(eps.VpcEndpoints))
	}
	_, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0123456789abcdef0"}})
	wantCode(t, "DescribeVpcEndpoints unknown", err, "InvalidVpcEndpointId.NotFound")

	// Modify: back to full access, add and remove a subnet. ResetPolicy
	// is for gateway endpoints only: an interface endpoint is sent the
	// full-access document.
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkrID), ResetPolicy: aws.Bool(true)})
	wantCode(t, "ModifyVpcEndpoint ResetPolicy on an interface endpoint", err, "InvalidParameter")
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(s3ID), ResetPolicy: aws.Bool(true)})
	must(t, "ModifyVpcEndpoint ResetPolicy on the gateway", err)
	mod, err := c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkrID), PolicyDocument: aws.String(defaultEndpointPolicy), AddSubnetIds: []string{otherSubnet}})
	must(t, "ModifyVpcEndpoint", err)
	if !aws.ToBool(mod.Return) {
		t.Error("ModifyVpcEndpoint returned false")
	}
	eps, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkrID}})
	must(t, "DescribeVpcEndpoints after modify", err)
	if e := eps.VpcEndpoints[0]; len(e.SubnetIds) != 2 || len(e.NetworkInterfaceIds) != 2 || strings.Contains(aws.ToString(e.PolicyDocument), "Deny") {
		t.Errorf("after ModifyVpcEndpoint: %+v", e)
	}
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkrID), RemoveSubnetIds: []string{otherSubnet}, PolicyDocument: aws.String(policy)})
	must(t, "ModifyVpcEndpoint remove subnet", err)
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkrID), PolicyDocument: aws.String(`{"Statement":"nope"}`)})
	wantCode(t, "ModifyVpcEndpoint bad policy", err, "InvalidPolicyDocument")
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0123456789abcdef0"), ResetPolicy: aws.Bool(true)})
	wantCode(t, "ModifyVpcEndpoint unknown", err, "InvalidVpcEndpointId.NotFound")

	// Tags.
	_, err = c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{dkrID, vpceSG}, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("lab")}}})
	must(t, "CreateTags", err)
	tags, err := c.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{flt("key", "Name"), flt("resource-type", "vpc-endpoint")}})
	must(t, "DescribeTags", err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].ResourceId) != dkrID || tags.Tags[0].ResourceType != ec2types.ResourceTypeVpcEndpoint {
		t.Errorf("DescribeTags = %+v", tags.Tags)
	}
	_, err = c.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{dkrID}, Tags: []ec2types.Tag{{Key: aws.String("Name")}}})
	must(t, "DeleteTags", err)
	tags, err = c.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{flt("resource-id", dkrID)}})
	must(t, "DescribeTags after delete", err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "ecr-vpce-lab:run" {
		t.Errorf("tags left on %s: %+v", dkrID, tags.Tags)
	}
	_, err = c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpce-0123456789abcdef0"}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantCode(t, "CreateTags unknown", err, "InvalidVpcEndpointId.NotFound")
	_, err = c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{dkrID}, Tags: []ec2types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantCode(t, "CreateTags reserved", err, "InvalidParameterValue")
	_, err = c.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{"sg-0123456789abcdef0"}})
	wantCode(t, "DeleteTags unknown", err, "InvalidGroup.NotFound")

	// ECR.
	tok, err := c.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	must(t, "GetAuthorizationToken", err)
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	user, pw, _ := strings.Cut(string(raw), ":")
	if user != "AWS" || !sb.VerifyRegistryPassword(pw) || sb.VerifyRegistryPassword(pw+"x") ||
		aws.ToString(tok.AuthorizationData[0].ProxyEndpoint) != "https://"+acct+".dkr.ecr."+region+".amazonaws.com" {
		t.Errorf("GetAuthorizationToken = %q %+v", raw, tok.AuthorizationData[0])
	}
	if d := tok.AuthorizationData[0].ExpiresAt.Sub(clock.Now()); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("token expires in %s", d)
	}
	list, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	must(t, "ListImages", err)
	if len(list.ImageIds) != 1 || aws.ToString(list.ImageIds[0].ImageTag) != "v1" || !strings.HasPrefix(aws.ToString(list.ImageIds[0].ImageDigest), "sha256:") {
		t.Fatalf("ListImages = %+v", list.ImageIds)
	}
	v1Digest := aws.ToString(list.ImageIds[0].ImageDigest)
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("team-z/none")})
	wantCode(t, "ListImages unknown repo", err, "RepositoryNotFoundException")
	repo, err := c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/busybox"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable})
	must(t, "CreateRepository", err)
	if aws.ToString(repo.Repository.RepositoryUri) != acct+".dkr.ecr."+region+".amazonaws.com/team-b/busybox" || repo.Repository.ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable {
		t.Errorf("CreateRepository = %+v", repo.Repository)
	}
	_, err = c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/busybox")})
	wantCode(t, "CreateRepository duplicate", err, "RepositoryAlreadyExistsException")
	_, err = c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Team-B/UPPER")})
	wantCode(t, "CreateRepository bad name", err, "InvalidParameterException")
	repos, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	must(t, "DescribeRepositories", err)
	if len(repos.Repositories) != 2 {
		t.Errorf("DescribeRepositories = %d repositories", len(repos.Repositories))
	}
	repos, err = c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{RepoA}})
	must(t, "DescribeRepositories by name", err)
	if len(repos.Repositories) != 1 || aws.ToString(repos.Repositories[0].RepositoryArn) != "arn:aws:ecr:"+region+":"+acct+":repository/"+RepoA {
		t.Errorf("DescribeRepositories by name = %+v", repos.Repositories)
	}
	_, err = c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"team-z/none"}})
	wantCode(t, "DescribeRepositories unknown", err, "RepositoryNotFoundException")
	reg, err := c.ecr.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
	must(t, "DescribeRegistry", err)
	if aws.ToString(reg.RegistryId) != acct || reg.ReplicationConfiguration == nil || reg.ReplicationConfiguration.Rules == nil {
		t.Errorf("DescribeRegistry = %+v", reg)
	}
	_, err = c.ecr.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "GetRepositoryPolicy", err, "RepositoryPolicyNotFoundException")
	_, err = c.ecr.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("team-z/none")})
	wantCode(t, "GetRepositoryPolicy unknown repository", err, "RepositoryNotFoundException")
	// A repository policy: set, read, deleted (then there is none).
	partnerPull := `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerPull","Effect":"Allow","Principal":{"AWS":"` + OtherAccount + `"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`
	set, err := c.ecr.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("team-b/busybox"), PolicyText: aws.String(partnerPull)})
	must(t, "SetRepositoryPolicy", err)
	if aws.ToString(set.PolicyText) != partnerPull || aws.ToString(set.RegistryId) != acct {
		t.Errorf("SetRepositoryPolicy = %+v", set)
	}
	gotPolicy, err := c.ecr.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("team-b/busybox")})
	must(t, "GetRepositoryPolicy", err)
	if aws.ToString(gotPolicy.PolicyText) != partnerPull {
		t.Errorf("GetRepositoryPolicy = %+v", gotPolicy)
	}
	deleted, err := c.ecr.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("team-b/busybox")})
	must(t, "DeleteRepositoryPolicy", err)
	if aws.ToString(deleted.PolicyText) != partnerPull {
		t.Errorf("DeleteRepositoryPolicy = %+v", deleted)
	}
	_, err = c.ecr.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("team-b/busybox")})
	wantCode(t, "DeleteRepositoryPolicy twice", err, "RepositoryPolicyNotFoundException")
	_, err = c.ecr.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("team-b/busybox"),
		PolicyText: aws.String(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}`)})
	wantCode(t, "SetRepositoryPolicy with a Resource", err, "InvalidParameterException")
	imgs, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(RepoA)})
	must(t, "DescribeImages", err)
	if len(imgs.ImageDetails) != 1 || aws.ToInt64(imgs.ImageDetails[0].ImageSizeInBytes) <= 0 || imgs.ImageDetails[0].ImageTags[0] != "v1" {
		t.Errorf("DescribeImages = %+v", imgs.ImageDetails)
	}
	_, err = c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}}})
	wantCode(t, "DescribeImages unknown tag", err, "ImageNotFoundException")
	got, err := c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}, {ImageTag: aws.String("v9")}}})
	must(t, "BatchGetImage", err)
	if len(got.Images) != 1 || len(got.Failures) != 1 || got.Failures[0].FailureCode != ecrtypes.ImageFailureCodeImageNotFound || Digest([]byte(aws.ToString(got.Images[0].ImageManifest))) != v1Digest {
		t.Fatalf("BatchGetImage = %+v", got)
	}
	manifest := aws.ToString(got.Images[0].ImageManifest)
	// The api endpoint carries the lab policy: the ECR API's PutImage is
	// refused with AWS's sentence until the policy is reset.
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(manifest), ImageTag: aws.String("v2")})
	wantCode(t, "PutImage through the lab's api endpoint", err, "AccessDeniedException")
	if err == nil || !strings.Contains(err.Error(), "is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:"+region+":"+acct+":repository/"+RepoA+" with an explicit deny in a VPC endpoint policy") {
		t.Errorf("PutImage refusal: %v", err)
	}
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(apiID), PolicyDocument: aws.String(defaultEndpointPolicy)})
	must(t, "ModifyVpcEndpoint full access", err)
	put, err := c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(manifest), ImageTag: aws.String("v2")})
	must(t, "PutImage", err)
	if aws.ToString(put.Image.ImageId.ImageDigest) != v1Digest || aws.ToString(put.Image.ImageId.ImageTag) != "v2" {
		t.Errorf("PutImage = %+v", put.Image)
	}
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(manifest), ImageTag: aws.String("v2")})
	wantCode(t, "PutImage again", err, "ImageAlreadyExistsException")
	bad := strings.Replace(manifest, v1LayerDigest(t, manifest), "sha256:"+strings.Repeat("0", 64), 1)
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(bad), ImageTag: aws.String("v3")})
	wantCode(t, "PutImage missing layer", err, "LayersNotFoundException")
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String("{not json"), ImageTag: aws.String("v3")})
	wantCode(t, "PutImage bad manifest", err, "InvalidParameterException")
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(manifest), ImageTag: aws.String("v4"), ImageDigest: aws.String("sha256:" + strings.Repeat("1", 64))})
	wantCode(t, "PutImage digest mismatch", err, "ImageDigestDoesNotMatchException")
	del, err := c.ecr.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v2")}, {ImageTag: aws.String("v8")}}})
	must(t, "BatchDeleteImage", err)
	if len(del.ImageIds) != 1 || len(del.Failures) != 1 {
		t.Errorf("BatchDeleteImage = %+v", del)
	}
	_, err = c.ecr.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{}})
	wantCode(t, "BatchDeleteImage of no image", err, "InvalidParameterException")
	_, err = c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(RepoA), ImageIds: make([]ecrtypes.ImageIdentifier, 101)})
	wantCode(t, "BatchGetImage of 101 images", err, "InvalidParameterException")
	list, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	must(t, "ListImages after delete", err)
	if len(list.ImageIds) != 1 || aws.ToString(list.ImageIds[0].ImageTag) != "v1" {
		t.Errorf("ListImages after deleting v2 = %+v", list.ImageIds)
	}
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("team-b/busybox"), ImageManifest: aws.String(manifest), ImageTag: aws.String("1")})
	must(t, "PutImage busybox", err)
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("team-b/busybox"), ImageManifest: aws.String(strings.Replace(manifest, "   ", "  ", 1)), ImageTag: aws.String("1")})
	wantCode(t, "PutImage immutable tag", err, "ImageTagAlreadyExistsException")
	_, err = c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team-b/busybox")})
	wantCode(t, "DeleteRepository not empty", err, "RepositoryNotEmptyException")
	dr, err := c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team-b/busybox"), Force: true})
	must(t, "DeleteRepository force", err)
	if aws.ToString(dr.Repository.RepositoryName) != "team-b/busybox" {
		t.Errorf("DeleteRepository = %+v", dr.Repository)
	}
	_, err = c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team-b/busybox")})
	wantCode(t, "DeleteRepository again", err, "RepositoryNotFoundException")
	status, body = rawJSON(t, sb, "ListImages", `{"repositoryName": 5}`)
	if status != 400 || !strings.Contains(body, `"__type":"SerializationException"`) {
		t.Errorf("ECR type mismatch: %d %s", status, body)
	}
	status, body = rawJSON(t, sb, "CreatePullThroughCacheRule", `{}`)
	if status != 400 || !strings.Contains(body, `"__type":"UnsupportedOperationException"`) || !strings.Contains(body, "CreatePullThroughCacheRule") {
		t.Errorf("ECR unmodelled operation: %d %s", status, body)
	}
	status, body = rawJSON(t, sb, "CreatePullThroughCacheRules", `{}`)
	if status != 400 || !strings.Contains(body, `"__type":"UnknownOperationException"`) {
		t.Errorf("ECR unknown operation: %d %s", status, body)
	}

	// Teardown: endpoints go deleting → deleted; their ENIs linger, and the
	// group cannot go until they are released.
	dels, err := c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{dkrID, apiID, s3ID, "vpce-0123456789abcdef0"}})
	must(t, "DeleteVpcEndpoints", err)
	if len(dels.Unsuccessful) != 1 || aws.ToString(dels.Unsuccessful[0].ResourceId) != "vpce-0123456789abcdef0" ||
		aws.ToString(dels.Unsuccessful[0].Error.Code) != "InvalidVpcEndpointId.NotFound" {
		t.Errorf("DeleteVpcEndpoints unsuccessful = %+v", dels.Unsuccessful)
	}
	eps, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkrID}})
	must(t, "DescribeVpcEndpoints deleting", err)
	if eps.VpcEndpoints[0].State != "deleting" {
		t.Errorf("after delete: %s", eps.VpcEndpoints[0].State)
	}
	rts, err = c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{ws.RouteTableID}})
	must(t, "DescribeRouteTables after gateway delete", err)
	if slices.ContainsFunc(rts.RouteTables[0].Routes, func(r ec2types.Route) bool { return aws.ToString(r.GatewayId) == s3ID }) {
		t.Error("gateway route survived DeleteVpcEndpoints")
	}
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(vpceSG)})
	wantCode(t, "DeleteSecurityGroup while deleting", err, "DependencyViolation")
	clock.Advance(11 * time.Second)
	eps, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkrID}})
	must(t, "DescribeVpcEndpoints deleted", err)
	if eps.VpcEndpoints[0].State != "deleted" {
		t.Errorf("after 11s: %s", eps.VpcEndpoints[0].State)
	}
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(vpceSG)})
	wantCode(t, "DeleteSecurityGroup while ENIs linger", err, "DependencyViolation")
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(vpceSG), DryRun: aws.Bool(true)})
	wantCode(t, "DeleteSecurityGroup dry run while ENIs linger", err, "DependencyViolation")
	clock.Advance(16 * time.Second)
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(vpceSG), DryRun: aws.Bool(true)})
	wantCode(t, "DeleteSecurityGroup dry run", err, "DryRunOperation")
	dsg, err := c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(vpceSG)})
	must(t, "DeleteSecurityGroup", err)
	if !aws.ToBool(dsg.Return) || aws.ToString(dsg.GroupId) != vpceSG {
		t.Errorf("DeleteSecurityGroup = %+v", dsg)
	}
	_, err = c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(vpceSG)})
	wantCode(t, "DeleteSecurityGroup again", err, "InvalidGroup.NotFound")
	_, err = c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkrID}})
	wantCode(t, "DescribeVpcEndpoints gone", err, "InvalidVpcEndpointId.NotFound")
	enis, err = c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{flt("interface-type", "vpc_endpoint")}})
	must(t, "DescribeNetworkInterfaces after release", err)
	if len(enis.NetworkInterfaces) != 0 {
		t.Errorf("%d endpoint ENIs left after release", len(enis.NetworkInterfaces))
	}
}

func v1LayerDigest(t *testing.T, manifest string) string {
	t.Helper()
	i := strings.LastIndex(manifest, `"digest": "`)
	if i < 0 {
		t.Fatalf("no layer digest in %s", manifest)
	}
	rest := manifest[i+len(`"digest": "`):]
	return rest[:strings.Index(rest, `"`)]
}

// TestAuthentication: only the sandbox's own keys, correctly signed, pass,
// and each service says so in its own words.
// TestTaggingChecksInOrder: CreateTags and DeleteTags check what they are
// given in the same order: a resource at all, the tags, that every resource
// exists, then DryRun (which changes nothing).
func TestTaggingChecksInOrder(t *testing.T) {
	sb := startSandbox(t, Options{})
	vpc := sb.Workspace().VpcID
	for _, action := range []string{"CreateTags", "DeleteTags"} {
		ask := func(kv ...string) string {
			t.Helper()
			form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
			for i := 0; i+1 < len(kv); i += 2 {
				form.Set(kv[i], kv[i+1])
			}
			_, body := rawQuery(t, sb, "ec2", form)
			return body
		}
		for _, tc := range []struct {
			name string
			kv   []string
			want string
		}{
			{"no resource", []string{"Tag.1.Key", "k", "Tag.1.Value", "v"}, "<Code>MissingParameter</Code>"},
			{"a reserved tag before an unknown resource", []string{"ResourceId.1", "vpc-0123456789abcdef0", "Tag.1.Key", "aws:k", "Tag.1.Value", "v"}, "<Code>InvalidParameterValue</Code>"},
			{"an unknown resource before DryRun", []string{"ResourceId.1", vpc, "ResourceId.2", "vpc-0123456789abcdef0", "Tag.1.Key", "k", "Tag.1.Value", "v", "DryRun", "true"}, "<Code>InvalidVpcID.NotFound</Code>"},
			{"DryRun", []string{"ResourceId.1", vpc, "Tag.1.Key", "k", "Tag.1.Value", "v", "DryRun", "true"}, "<Code>DryRunOperation</Code>"},
			{"an unknown parameter", []string{"ResourceId.1", vpc, "Tag.1.Key", "k", "Tag.1.Value", "v", "Filter.1.Name", "x"}, "<Code>UnknownParameter</Code>"},
		} {
			if body := ask(tc.kv...); !strings.Contains(body, tc.want) {
				t.Errorf("%s, %s: %s; want %s", action, tc.name, body, tc.want)
			}
		}
	}
	// The dry runs changed nothing.
	c := newClients(sb, nil)
	tags, err := c.ec2.DescribeTags(context.Background(), &ec2.DescribeTagsInput{Filters: []ec2types.Filter{flt("resource-id", vpc)}})
	must(t, "DescribeTags", err)
	for _, tg := range tags.Tags {
		if aws.ToString(tg.Key) == "k" {
			t.Errorf("a dry run tagged the VPC: %+v", tags.Tags)
		}
	}
}

func TestAuthentication(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, Options{})
	good := sb.Credentials()
	for _, tc := range []struct {
		name                 string
		creds                Credentials
		ec2Code, ecr, stsErr string
	}{
		{"unknown key", Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: good.SecretAccessKey}, "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId"},
		{"wrong secret", Credentials{AccessKeyID: good.AccessKeyID, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "AuthFailure", "InvalidSignatureException", "SignatureDoesNotMatch"},
	} {
		cfg := sdkConfig(sb, tc.creds, nil)
		_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		wantCode(t, tc.name+" ec2", err, tc.ec2Code)
		_, err = ecr.NewFromConfig(cfg).ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
		wantCode(t, tc.name+" ecr", err, tc.ecr)
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantCode(t, tc.name+" sts", err, tc.stsErr)
	}
	cfg := sdkConfig(sb, good, nil)
	cfg.Region = "eu-west-1"
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "wrong region scope", err, "AuthFailure")
	for _, c := range sb.Calls() {
		if c.ErrorCode == "" {
			t.Errorf("call %s/%s succeeded with bad credentials", c.Service, c.Action)
		}
	}
}

// TestRecorder: every call is recorded, with its IAM action and outcome.
func TestRecorder(t *testing.T) {
	ctx := context.Background()
	var ext []Call
	sb := startSandbox(t, Options{Recorder: RecorderFunc(func(c Call) { ext = append(ext, c) })})
	c := newClients(sb, nil)
	_, err := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
	must(t, "DescribeRouteTables", err)
	_, err = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
	wantCode(t, "dry run", err, "DryRunOperation")
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("none/here")})
	wantCode(t, "missing repo", err, "RepositoryNotFoundException")
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, "GetCallerIdentity", err)
	got := sb.CallLog().IAMActions()
	want := []string{"ec2:DescribeRouteTables", "ec2:DescribeVpcs", "sts:GetCallerIdentity"}
	if !slices.Equal(got, want) {
		t.Errorf("IAMActions = %v, want %v", got, want)
	}
	calls := sb.Calls()
	if len(calls) != 4 || len(ext) != 4 || !calls[1].DryRun || calls[2].ErrorCode != "RepositoryNotFoundException" || calls[2].IAMAction() != "ecr:ListImages" {
		t.Errorf("calls = %+v", calls)
	}
}

// TestInterceptor: the fault seam answers with the interceptor's error in the
// protocol of the service.
func TestInterceptor(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, Options{Interceptors: []Interceptor{func(_ context.Context, r Request) *APIError {
		switch r.Service {
		case "ec2":
			return NewAPIError(503, "RequestLimitExceeded", "Request limit exceeded.")
		case "ecr":
			return NewAPIError(400, "ThrottlingException", "Rate exceeded")
		}
		return nil
	}}})
	c := newClients(sb, nil)
	_, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "ec2", err, "RequestLimitExceeded")
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "ecr", err, "ThrottlingException")
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, "sts passes", err)
}
