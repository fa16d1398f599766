package ec2query

import (
	"context"

	"github.com/aws/smithy-go/middleware"

	"ecr-vpce-lab/internal/ec2query/types"
)

// The operations the lab calls, each with its input and output as the
// SDK's service/ec2 names them. Fields carry the query keys (`ec2`) and
// response elements (`xml`) of AWS's model; only the members the lab uses
// are here (model_test.go checks the names against the model).

// AuthorizeSecurityGroupIngressInput is AuthorizeSecurityGroupIngress's request.
type AuthorizeSecurityGroupIngressInput struct {
	CidrIp            *string                  `ec2:"CidrIp"`
	DryRun            *bool                    `ec2:"DryRun"`
	FromPort          *int32                   `ec2:"FromPort"`
	GroupId           *string                  `ec2:"GroupId"`
	IpPermissions     []types.IpPermission     `ec2:"IpPermissions"`
	IpProtocol        *string                  `ec2:"IpProtocol"`
	TagSpecifications []types.TagSpecification `ec2:"TagSpecification"`
	ToPort            *int32                   `ec2:"ToPort"`
}

// AuthorizeSecurityGroupIngressOutput is AuthorizeSecurityGroupIngress's answer.
type AuthorizeSecurityGroupIngressOutput struct {
	Return             *bool                     `xml:"return"`
	SecurityGroupRules []types.SecurityGroupRule `xml:"securityGroupRuleSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// AuthorizeSecurityGroupIngress calls EC2's AuthorizeSecurityGroupIngress.
func (c *Client) AuthorizeSecurityGroupIngress(ctx context.Context, params *AuthorizeSecurityGroupIngressInput, optFns ...func(*Options)) (*AuthorizeSecurityGroupIngressOutput, error) {
	out := &AuthorizeSecurityGroupIngressOutput{}
	return call(c, ctx, "AuthorizeSecurityGroupIngress", params, out, &out.ResultMetadata, optFns)
}

// CreateSecurityGroupInput is CreateSecurityGroup's request.
type CreateSecurityGroupInput struct {
	Description       *string                  `ec2:"GroupDescription"`
	DryRun            *bool                    `ec2:"DryRun"`
	GroupName         *string                  `ec2:"GroupName"`
	TagSpecifications []types.TagSpecification `ec2:"TagSpecification"`
	VpcId             *string                  `ec2:"VpcId"`
}

// CreateSecurityGroupOutput is CreateSecurityGroup's answer.
type CreateSecurityGroupOutput struct {
	GroupId          *string     `xml:"groupId"`
	SecurityGroupArn *string     `xml:"securityGroupArn"`
	Tags             []types.Tag `xml:"tagSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// CreateSecurityGroup calls EC2's CreateSecurityGroup.
func (c *Client) CreateSecurityGroup(ctx context.Context, params *CreateSecurityGroupInput, optFns ...func(*Options)) (*CreateSecurityGroupOutput, error) {
	out := &CreateSecurityGroupOutput{}
	return call(c, ctx, "CreateSecurityGroup", params, out, &out.ResultMetadata, optFns)
}

// CreateTagsInput is CreateTags's request.
type CreateTagsInput struct {
	Resources []string    `ec2:"ResourceId"`
	Tags      []types.Tag `ec2:"Tag"`
}

// CreateTagsOutput is CreateTags's answer.
type CreateTagsOutput struct {

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// CreateTags calls EC2's CreateTags.
func (c *Client) CreateTags(ctx context.Context, params *CreateTagsInput, optFns ...func(*Options)) (*CreateTagsOutput, error) {
	out := &CreateTagsOutput{}
	return call(c, ctx, "CreateTags", params, out, &out.ResultMetadata, optFns)
}

// CreateVpcEndpointInput is CreateVpcEndpoint's request.
type CreateVpcEndpointInput struct {
	ClientToken       *string                  `ec2:"ClientToken"`
	DryRun            *bool                    `ec2:"DryRun"`
	PolicyDocument    *string                  `ec2:"PolicyDocument"`
	PrivateDnsEnabled *bool                    `ec2:"PrivateDnsEnabled"`
	RouteTableIds     []string                 `ec2:"RouteTableId"`
	SecurityGroupIds  []string                 `ec2:"SecurityGroupId"`
	ServiceName       *string                  `ec2:"ServiceName"`
	SubnetIds         []string                 `ec2:"SubnetId"`
	TagSpecifications []types.TagSpecification `ec2:"TagSpecification"`
	VpcEndpointType   types.VpcEndpointType    `ec2:"VpcEndpointType"`
	VpcId             *string                  `ec2:"VpcId"`
}

// CreateVpcEndpointOutput is CreateVpcEndpoint's answer.
type CreateVpcEndpointOutput struct {
	ClientToken *string            `xml:"clientToken"`
	VpcEndpoint *types.VpcEndpoint `xml:"vpcEndpoint"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// CreateVpcEndpoint calls EC2's CreateVpcEndpoint.
func (c *Client) CreateVpcEndpoint(ctx context.Context, params *CreateVpcEndpointInput, optFns ...func(*Options)) (*CreateVpcEndpointOutput, error) {
	out := &CreateVpcEndpointOutput{}
	return call(c, ctx, "CreateVpcEndpoint", params, out, &out.ResultMetadata, optFns)
}

// DeleteSecurityGroupInput is DeleteSecurityGroup's request.
type DeleteSecurityGroupInput struct {
	DryRun    *bool   `ec2:"DryRun"`
	GroupId   *string `ec2:"GroupId"`
	GroupName *string `ec2:"GroupName"`
}

// DeleteSecurityGroupOutput is DeleteSecurityGroup's answer.
type DeleteSecurityGroupOutput struct {
	GroupId *string `xml:"groupId"`
	Return  *bool   `xml:"return"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DeleteSecurityGroup calls EC2's DeleteSecurityGroup.
func (c *Client) DeleteSecurityGroup(ctx context.Context, params *DeleteSecurityGroupInput, optFns ...func(*Options)) (*DeleteSecurityGroupOutput, error) {
	out := &DeleteSecurityGroupOutput{}
	return call(c, ctx, "DeleteSecurityGroup", params, out, &out.ResultMetadata, optFns)
}

// DeleteTagsInput is DeleteTags's request.
type DeleteTagsInput struct {
	Resources []string    `ec2:"ResourceId"`
	Tags      []types.Tag `ec2:"Tag"`
}

// DeleteTagsOutput is DeleteTags's answer.
type DeleteTagsOutput struct {

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DeleteTags calls EC2's DeleteTags.
func (c *Client) DeleteTags(ctx context.Context, params *DeleteTagsInput, optFns ...func(*Options)) (*DeleteTagsOutput, error) {
	out := &DeleteTagsOutput{}
	return call(c, ctx, "DeleteTags", params, out, &out.ResultMetadata, optFns)
}

// DeleteVpcEndpointsInput is DeleteVpcEndpoints's request.
type DeleteVpcEndpointsInput struct {
	DryRun         *bool    `ec2:"DryRun"`
	VpcEndpointIds []string `ec2:"VpcEndpointId"`
}

// DeleteVpcEndpointsOutput is DeleteVpcEndpoints's answer.
type DeleteVpcEndpointsOutput struct {
	Unsuccessful []types.UnsuccessfulItem `xml:"unsuccessful>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DeleteVpcEndpoints calls EC2's DeleteVpcEndpoints.
func (c *Client) DeleteVpcEndpoints(ctx context.Context, params *DeleteVpcEndpointsInput, optFns ...func(*Options)) (*DeleteVpcEndpointsOutput, error) {
	out := &DeleteVpcEndpointsOutput{}
	return call(c, ctx, "DeleteVpcEndpoints", params, out, &out.ResultMetadata, optFns)
}

// DescribeAvailabilityZonesInput is DescribeAvailabilityZones's request.
type DescribeAvailabilityZonesInput struct {
	Filters   []types.Filter `ec2:"Filter"`
	ZoneNames []string       `ec2:"ZoneName"`
}

// DescribeAvailabilityZonesOutput is DescribeAvailabilityZones's answer.
type DescribeAvailabilityZonesOutput struct {
	AvailabilityZones []types.AvailabilityZone `xml:"availabilityZoneInfo>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeAvailabilityZones calls EC2's DescribeAvailabilityZones.
func (c *Client) DescribeAvailabilityZones(ctx context.Context, params *DescribeAvailabilityZonesInput, optFns ...func(*Options)) (*DescribeAvailabilityZonesOutput, error) {
	out := &DescribeAvailabilityZonesOutput{}
	return call(c, ctx, "DescribeAvailabilityZones", params, out, &out.ResultMetadata, optFns)
}

// DescribeInstancesInput is DescribeInstances's request.
type DescribeInstancesInput struct {
	Filters     []types.Filter `ec2:"Filter"`
	InstanceIds []string       `ec2:"InstanceId"`
	MaxResults  *int32         `ec2:"MaxResults"`
}

// DescribeInstancesOutput is DescribeInstances's answer.
type DescribeInstancesOutput struct {
	Reservations []types.Reservation `xml:"reservationSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeInstances calls EC2's DescribeInstances.
func (c *Client) DescribeInstances(ctx context.Context, params *DescribeInstancesInput, optFns ...func(*Options)) (*DescribeInstancesOutput, error) {
	out := &DescribeInstancesOutput{}
	return call(c, ctx, "DescribeInstances", params, out, &out.ResultMetadata, optFns)
}

// DescribeNetworkInterfacesInput is DescribeNetworkInterfaces's request.
type DescribeNetworkInterfacesInput struct {
	Filters             []types.Filter `ec2:"Filter"`
	MaxResults          *int32         `ec2:"MaxResults"`
	NetworkInterfaceIds []string       `ec2:"NetworkInterfaceId"`
	NextToken           *string        `ec2:"NextToken"`
}

// DescribeNetworkInterfacesOutput is DescribeNetworkInterfaces's answer.
type DescribeNetworkInterfacesOutput struct {
	NetworkInterfaces []types.NetworkInterface `xml:"networkInterfaceSet>item"`
	NextToken         *string                  `xml:"nextToken"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeNetworkInterfaces calls EC2's DescribeNetworkInterfaces.
func (c *Client) DescribeNetworkInterfaces(ctx context.Context, params *DescribeNetworkInterfacesInput, optFns ...func(*Options)) (*DescribeNetworkInterfacesOutput, error) {
	out := &DescribeNetworkInterfacesOutput{}
	return call(c, ctx, "DescribeNetworkInterfaces", params, out, &out.ResultMetadata, optFns)
}

// DescribePrefixListsInput is DescribePrefixLists's request.
type DescribePrefixListsInput struct {
	PrefixListIds []string `ec2:"PrefixListId"`
}

// DescribePrefixListsOutput is DescribePrefixLists's answer.
type DescribePrefixListsOutput struct {
	PrefixLists []types.PrefixList `xml:"prefixListSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribePrefixLists calls EC2's DescribePrefixLists.
func (c *Client) DescribePrefixLists(ctx context.Context, params *DescribePrefixListsInput, optFns ...func(*Options)) (*DescribePrefixListsOutput, error) {
	out := &DescribePrefixListsOutput{}
	return call(c, ctx, "DescribePrefixLists", params, out, &out.ResultMetadata, optFns)
}

// DescribeRegionsInput is DescribeRegions's request.
type DescribeRegionsInput struct {
	AllRegions *bool `ec2:"AllRegions"`
}

// DescribeRegionsOutput is DescribeRegions's answer.
type DescribeRegionsOutput struct {
	Regions []types.Region `xml:"regionInfo>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeRegions calls EC2's DescribeRegions.
func (c *Client) DescribeRegions(ctx context.Context, params *DescribeRegionsInput, optFns ...func(*Options)) (*DescribeRegionsOutput, error) {
	out := &DescribeRegionsOutput{}
	return call(c, ctx, "DescribeRegions", params, out, &out.ResultMetadata, optFns)
}

// DescribeRouteTablesInput is DescribeRouteTables's request.
type DescribeRouteTablesInput struct {
	Filters       []types.Filter `ec2:"Filter"`
	MaxResults    *int32         `ec2:"MaxResults"`
	NextToken     *string        `ec2:"NextToken"`
	RouteTableIds []string       `ec2:"RouteTableId"`
}

// DescribeRouteTablesOutput is DescribeRouteTables's answer.
type DescribeRouteTablesOutput struct {
	NextToken   *string            `xml:"nextToken"`
	RouteTables []types.RouteTable `xml:"routeTableSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeRouteTables calls EC2's DescribeRouteTables.
func (c *Client) DescribeRouteTables(ctx context.Context, params *DescribeRouteTablesInput, optFns ...func(*Options)) (*DescribeRouteTablesOutput, error) {
	out := &DescribeRouteTablesOutput{}
	return call(c, ctx, "DescribeRouteTables", params, out, &out.ResultMetadata, optFns)
}

// DescribeSecurityGroupRulesInput is DescribeSecurityGroupRules's request.
type DescribeSecurityGroupRulesInput struct {
	Filters              []types.Filter `ec2:"Filter"`
	MaxResults           *int32         `ec2:"MaxResults"`
	NextToken            *string        `ec2:"NextToken"`
	SecurityGroupRuleIds []string       `ec2:"SecurityGroupRuleId"`
}

// DescribeSecurityGroupRulesOutput is DescribeSecurityGroupRules's answer.
type DescribeSecurityGroupRulesOutput struct {
	NextToken          *string                   `xml:"nextToken"`
	SecurityGroupRules []types.SecurityGroupRule `xml:"securityGroupRuleSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeSecurityGroupRules calls EC2's DescribeSecurityGroupRules.
func (c *Client) DescribeSecurityGroupRules(ctx context.Context, params *DescribeSecurityGroupRulesInput, optFns ...func(*Options)) (*DescribeSecurityGroupRulesOutput, error) {
	out := &DescribeSecurityGroupRulesOutput{}
	return call(c, ctx, "DescribeSecurityGroupRules", params, out, &out.ResultMetadata, optFns)
}

// DescribeSecurityGroupsInput is DescribeSecurityGroups's request.
type DescribeSecurityGroupsInput struct {
	Filters    []types.Filter `ec2:"Filter"`
	GroupIds   []string       `ec2:"GroupId"`
	GroupNames []string       `ec2:"GroupName"`
	MaxResults *int32         `ec2:"MaxResults"`
	NextToken  *string        `ec2:"NextToken"`
}

// DescribeSecurityGroupsOutput is DescribeSecurityGroups's answer.
type DescribeSecurityGroupsOutput struct {
	NextToken      *string               `xml:"nextToken"`
	SecurityGroups []types.SecurityGroup `xml:"securityGroupInfo>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeSecurityGroups calls EC2's DescribeSecurityGroups.
func (c *Client) DescribeSecurityGroups(ctx context.Context, params *DescribeSecurityGroupsInput, optFns ...func(*Options)) (*DescribeSecurityGroupsOutput, error) {
	out := &DescribeSecurityGroupsOutput{}
	return call(c, ctx, "DescribeSecurityGroups", params, out, &out.ResultMetadata, optFns)
}

// DescribeSubnetsInput is DescribeSubnets's request.
type DescribeSubnetsInput struct {
	Filters    []types.Filter `ec2:"Filter"`
	MaxResults *int32         `ec2:"MaxResults"`
	NextToken  *string        `ec2:"NextToken"`
	SubnetIds  []string       `ec2:"SubnetId"`
}

// DescribeSubnetsOutput is DescribeSubnets's answer.
type DescribeSubnetsOutput struct {
	NextToken *string        `xml:"nextToken"`
	Subnets   []types.Subnet `xml:"subnetSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeSubnets calls EC2's DescribeSubnets.
func (c *Client) DescribeSubnets(ctx context.Context, params *DescribeSubnetsInput, optFns ...func(*Options)) (*DescribeSubnetsOutput, error) {
	out := &DescribeSubnetsOutput{}
	return call(c, ctx, "DescribeSubnets", params, out, &out.ResultMetadata, optFns)
}

// DescribeTagsInput is DescribeTags's request.
type DescribeTagsInput struct {
	Filters []types.Filter `ec2:"Filter"`
}

// DescribeTagsOutput is DescribeTags's answer.
type DescribeTagsOutput struct {
	Tags []types.TagDescription `xml:"tagSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeTags calls EC2's DescribeTags.
func (c *Client) DescribeTags(ctx context.Context, params *DescribeTagsInput, optFns ...func(*Options)) (*DescribeTagsOutput, error) {
	out := &DescribeTagsOutput{}
	return call(c, ctx, "DescribeTags", params, out, &out.ResultMetadata, optFns)
}

// DescribeTransitGatewaysInput is DescribeTransitGateways's request.
type DescribeTransitGatewaysInput struct {
}

// DescribeTransitGatewaysOutput is DescribeTransitGateways's answer.
type DescribeTransitGatewaysOutput struct {

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeTransitGateways calls EC2's DescribeTransitGateways.
func (c *Client) DescribeTransitGateways(ctx context.Context, params *DescribeTransitGatewaysInput, optFns ...func(*Options)) (*DescribeTransitGatewaysOutput, error) {
	out := &DescribeTransitGatewaysOutput{}
	return call(c, ctx, "DescribeTransitGateways", params, out, &out.ResultMetadata, optFns)
}

// DescribeVpcAttributeInput is DescribeVpcAttribute's request.
type DescribeVpcAttributeInput struct {
	Attribute types.VpcAttributeName `ec2:"Attribute"`
	VpcId     *string                `ec2:"VpcId"`
}

// DescribeVpcAttributeOutput is DescribeVpcAttribute's answer.
type DescribeVpcAttributeOutput struct {
	EnableDnsHostnames *types.AttributeBooleanValue `xml:"enableDnsHostnames"`
	EnableDnsSupport   *types.AttributeBooleanValue `xml:"enableDnsSupport"`
	VpcId              *string                      `xml:"vpcId"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeVpcAttribute calls EC2's DescribeVpcAttribute.
func (c *Client) DescribeVpcAttribute(ctx context.Context, params *DescribeVpcAttributeInput, optFns ...func(*Options)) (*DescribeVpcAttributeOutput, error) {
	out := &DescribeVpcAttributeOutput{}
	return call(c, ctx, "DescribeVpcAttribute", params, out, &out.ResultMetadata, optFns)
}

// DescribeVpcEndpointServicesInput is DescribeVpcEndpointServices's request.
type DescribeVpcEndpointServicesInput struct {
	Filters      []types.Filter `ec2:"Filter"`
	MaxResults   *int32         `ec2:"MaxResults"`
	NextToken    *string        `ec2:"NextToken"`
	ServiceNames []string       `ec2:"ServiceName"`
}

// DescribeVpcEndpointServicesOutput is DescribeVpcEndpointServices's answer.
type DescribeVpcEndpointServicesOutput struct {
	NextToken      *string               `xml:"nextToken"`
	ServiceDetails []types.ServiceDetail `xml:"serviceDetailSet>item"`
	ServiceNames   []string              `xml:"serviceNameSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeVpcEndpointServices calls EC2's DescribeVpcEndpointServices.
func (c *Client) DescribeVpcEndpointServices(ctx context.Context, params *DescribeVpcEndpointServicesInput, optFns ...func(*Options)) (*DescribeVpcEndpointServicesOutput, error) {
	out := &DescribeVpcEndpointServicesOutput{}
	return call(c, ctx, "DescribeVpcEndpointServices", params, out, &out.ResultMetadata, optFns)
}

// DescribeVpcEndpointsInput is DescribeVpcEndpoints's request.
type DescribeVpcEndpointsInput struct {
	Filters        []types.Filter `ec2:"Filter"`
	MaxResults     *int32         `ec2:"MaxResults"`
	NextToken      *string        `ec2:"NextToken"`
	VpcEndpointIds []string       `ec2:"VpcEndpointId"`
}

// DescribeVpcEndpointsOutput is DescribeVpcEndpoints's answer.
type DescribeVpcEndpointsOutput struct {
	NextToken    *string             `xml:"nextToken"`
	VpcEndpoints []types.VpcEndpoint `xml:"vpcEndpointSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeVpcEndpoints calls EC2's DescribeVpcEndpoints.
func (c *Client) DescribeVpcEndpoints(ctx context.Context, params *DescribeVpcEndpointsInput, optFns ...func(*Options)) (*DescribeVpcEndpointsOutput, error) {
	out := &DescribeVpcEndpointsOutput{}
	return call(c, ctx, "DescribeVpcEndpoints", params, out, &out.ResultMetadata, optFns)
}

// DescribeVpcsInput is DescribeVpcs's request.
type DescribeVpcsInput struct {
	DryRun     *bool          `ec2:"DryRun"`
	Filters    []types.Filter `ec2:"Filter"`
	MaxResults *int32         `ec2:"MaxResults"`
	NextToken  *string        `ec2:"NextToken"`
	VpcIds     []string       `ec2:"VpcId"`
}

// DescribeVpcsOutput is DescribeVpcs's answer.
type DescribeVpcsOutput struct {
	NextToken *string     `xml:"nextToken"`
	Vpcs      []types.Vpc `xml:"vpcSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// DescribeVpcs calls EC2's DescribeVpcs.
func (c *Client) DescribeVpcs(ctx context.Context, params *DescribeVpcsInput, optFns ...func(*Options)) (*DescribeVpcsOutput, error) {
	out := &DescribeVpcsOutput{}
	return call(c, ctx, "DescribeVpcs", params, out, &out.ResultMetadata, optFns)
}

// ModifyVpcAttributeInput is ModifyVpcAttribute's request.
type ModifyVpcAttributeInput struct {
	EnableDnsHostnames *types.AttributeBooleanValue `ec2:"EnableDnsHostnames"`
	EnableDnsSupport   *types.AttributeBooleanValue `ec2:"EnableDnsSupport"`
	VpcId              *string                      `ec2:"VpcId"`
}

// ModifyVpcAttributeOutput is ModifyVpcAttribute's answer.
type ModifyVpcAttributeOutput struct {

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// ModifyVpcAttribute calls EC2's ModifyVpcAttribute.
func (c *Client) ModifyVpcAttribute(ctx context.Context, params *ModifyVpcAttributeInput, optFns ...func(*Options)) (*ModifyVpcAttributeOutput, error) {
	out := &ModifyVpcAttributeOutput{}
	return call(c, ctx, "ModifyVpcAttribute", params, out, &out.ResultMetadata, optFns)
}

// ModifyVpcEndpointInput is ModifyVpcEndpoint's request.
type ModifyVpcEndpointInput struct {
	AddSubnetIds    []string `ec2:"AddSubnetId"`
	PolicyDocument  *string  `ec2:"PolicyDocument"`
	RemoveSubnetIds []string `ec2:"RemoveSubnetId"`
	ResetPolicy     *bool    `ec2:"ResetPolicy"`
	VpcEndpointId   *string  `ec2:"VpcEndpointId"`
}

// ModifyVpcEndpointOutput is ModifyVpcEndpoint's answer.
type ModifyVpcEndpointOutput struct {
	Return *bool `xml:"return"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// ModifyVpcEndpoint calls EC2's ModifyVpcEndpoint.
func (c *Client) ModifyVpcEndpoint(ctx context.Context, params *ModifyVpcEndpointInput, optFns ...func(*Options)) (*ModifyVpcEndpointOutput, error) {
	out := &ModifyVpcEndpointOutput{}
	return call(c, ctx, "ModifyVpcEndpoint", params, out, &out.ResultMetadata, optFns)
}

// RevokeSecurityGroupEgressInput is RevokeSecurityGroupEgress's request.
type RevokeSecurityGroupEgressInput struct {
	GroupId              *string  `ec2:"GroupId"`
	SecurityGroupRuleIds []string `ec2:"SecurityGroupRuleId"`
}

// RevokeSecurityGroupEgressOutput is RevokeSecurityGroupEgress's answer.
type RevokeSecurityGroupEgressOutput struct {
	Return                    *bool                            `xml:"return"`
	RevokedSecurityGroupRules []types.RevokedSecurityGroupRule `xml:"revokedSecurityGroupRuleSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// RevokeSecurityGroupEgress calls EC2's RevokeSecurityGroupEgress.
func (c *Client) RevokeSecurityGroupEgress(ctx context.Context, params *RevokeSecurityGroupEgressInput, optFns ...func(*Options)) (*RevokeSecurityGroupEgressOutput, error) {
	out := &RevokeSecurityGroupEgressOutput{}
	return call(c, ctx, "RevokeSecurityGroupEgress", params, out, &out.ResultMetadata, optFns)
}

// RevokeSecurityGroupIngressInput is RevokeSecurityGroupIngress's request.
type RevokeSecurityGroupIngressInput struct {
	GroupId              *string              `ec2:"GroupId"`
	IpPermissions        []types.IpPermission `ec2:"IpPermissions"`
	SecurityGroupRuleIds []string             `ec2:"SecurityGroupRuleId"`
}

// RevokeSecurityGroupIngressOutput is RevokeSecurityGroupIngress's answer.
type RevokeSecurityGroupIngressOutput struct {
	Return                    *bool                            `xml:"return"`
	RevokedSecurityGroupRules []types.RevokedSecurityGroupRule `xml:"revokedSecurityGroupRuleSet>item"`

	// ResultMetadata is the call's metadata (request id, timings, attempts).
	ResultMetadata middleware.Metadata `xml:"-"`
}

// RevokeSecurityGroupIngress calls EC2's RevokeSecurityGroupIngress.
func (c *Client) RevokeSecurityGroupIngress(ctx context.Context, params *RevokeSecurityGroupIngressInput, optFns ...func(*Options)) (*RevokeSecurityGroupIngressOutput, error) {
	out := &RevokeSecurityGroupIngressOutput{}
	return call(c, ctx, "RevokeSecurityGroupIngress", params, out, &out.ResultMetadata, optFns)
}
