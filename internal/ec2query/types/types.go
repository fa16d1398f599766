// Package types holds the EC2 shapes and enums the lab uses, under the
// names, field names and pointer conventions of aws-sdk-go-v2's
// service/ec2/types, so code moves between the two by its import path.
//
// Each field carries its wire names from AWS's model (botocore's
// service-2.json): `ec2` is the query key a request uses (queryName, else
// the capitalised locationName, else the member's name), `xml` the element
// a response uses (lists are <xSet><item>…). model_test.go checks them.
// Only the members the lab reads or sends are here.
package types

import "time"

type AttributeBooleanValue struct {
	Value *bool `ec2:"Value" xml:"value"`
}

type AvailabilityZone struct {
	State    AvailabilityZoneState `xml:"zoneState"`
	ZoneName *string               `xml:"zoneName"`
}

type DnsEntry struct {
	DnsName      *string `xml:"dnsName"`
	HostedZoneId *string `xml:"hostedZoneId"`
}

type Filter struct {
	Name   *string  `ec2:"Name"`
	Values []string `ec2:"Value"`
}

type GroupIdentifier struct {
	GroupId *string `xml:"groupId"`
}

type Instance struct {
	InstanceId       *string                          `xml:"instanceId"`
	MetadataOptions  *InstanceMetadataOptionsResponse `xml:"metadataOptions"`
	PrivateIpAddress *string                          `xml:"privateIpAddress"`
	SecurityGroups   []GroupIdentifier                `xml:"groupSet>item"`
	State            *InstanceState                   `xml:"instanceState"`
	SubnetId         *string                          `xml:"subnetId"`
	Tags             []Tag                            `xml:"tagSet>item"`
}

type InstanceMetadataOptionsResponse struct {
	HttpTokens HttpTokensState `xml:"httpTokens"`
}

type InstanceState struct {
	Name InstanceStateName `xml:"name"`
}

type IpPermission struct {
	FromPort         *int32            `ec2:"FromPort" xml:"fromPort"`
	IpProtocol       *string           `ec2:"IpProtocol" xml:"ipProtocol"`
	IpRanges         []IpRange         `ec2:"IpRanges" xml:"ipRanges>item"`
	ToPort           *int32            `ec2:"ToPort" xml:"toPort"`
	UserIdGroupPairs []UserIdGroupPair `ec2:"Groups" xml:"groups>item"`
}

type IpRange struct {
	CidrIp *string `ec2:"CidrIp" xml:"cidrIp"`
}

type LastError struct {
	Code    *string `xml:"code"`
	Message *string `xml:"message"`
}

type NetworkInterface struct {
	Attachment         *NetworkInterfaceAttachment `xml:"attachment"`
	AvailabilityZone   *string                     `xml:"availabilityZone"`
	Description        *string                     `xml:"description"`
	Groups             []GroupIdentifier           `xml:"groupSet>item"`
	InterfaceType      NetworkInterfaceType        `xml:"interfaceType"`
	MacAddress         *string                     `xml:"macAddress"`
	NetworkInterfaceId *string                     `xml:"networkInterfaceId"`
	PrivateIpAddress   *string                     `xml:"privateIpAddress"`
	RequesterManaged   *bool                       `xml:"requesterManaged"`
	Status             NetworkInterfaceStatus      `xml:"status"`
	SubnetId           *string                     `xml:"subnetId"`
	TagSet             []Tag                       `xml:"tagSet>item"`
	VpcId              *string                     `xml:"vpcId"`
}

type PrefixList struct {
	Cidrs          []string `xml:"cidrSet>item"`
	PrefixListName *string  `xml:"prefixListName"`
}

type ReferencedSecurityGroup struct {
	GroupId *string `xml:"groupId"`
}

type Region struct {
	RegionName *string `xml:"regionName"`
}

type Reservation struct {
	Instances []Instance `xml:"instancesSet>item"`
}

type RevokedSecurityGroupRule struct {
	CidrIpv4 *string `xml:"cidrIpv4"`
	IsEgress *bool   `xml:"isEgress"`
}

type Route struct {
	DestinationPrefixListId *string `xml:"destinationPrefixListId"`
	GatewayId               *string `xml:"gatewayId"`
}

type RouteTable struct {
	Associations []RouteTableAssociation `xml:"associationSet>item"`
	RouteTableId *string                 `xml:"routeTableId"`
	Routes       []Route                 `xml:"routeSet>item"`
}

type RouteTableAssociation struct {
	Main     *bool   `xml:"main"`
	SubnetId *string `xml:"subnetId"`
}

type SecurityGroup struct {
	Description         *string        `xml:"groupDescription"`
	GroupId             *string        `xml:"groupId"`
	GroupName           *string        `xml:"groupName"`
	IpPermissionsEgress []IpPermission `xml:"ipPermissionsEgress>item"`
	Tags                []Tag          `xml:"tagSet>item"`
	VpcId               *string        `xml:"vpcId"`
}

type SecurityGroupIdentifier struct {
	GroupId *string `xml:"groupId"`
}

type SecurityGroupRule struct {
	CidrIpv4            *string                  `xml:"cidrIpv4"`
	FromPort            *int32                   `xml:"fromPort"`
	IpProtocol          *string                  `xml:"ipProtocol"`
	IsEgress            *bool                    `xml:"isEgress"`
	ReferencedGroupInfo *ReferencedSecurityGroup `xml:"referencedGroupInfo"`
	SecurityGroupRuleId *string                  `xml:"securityGroupRuleId"`
	Tags                []Tag                    `xml:"tagSet>item"`
	ToPort              *int32                   `xml:"toPort"`
}

type ServiceDetail struct {
	AvailabilityZones    []string            `xml:"availabilityZoneSet>item"`
	BaseEndpointDnsNames []string            `xml:"baseEndpointDnsNameSet>item"`
	PrivateDnsName       *string             `xml:"privateDnsName"`
	ServiceName          *string             `xml:"serviceName"`
	ServiceType          []ServiceTypeDetail `xml:"serviceType>item"`
}

type ServiceTypeDetail struct {
	ServiceType ServiceType `xml:"serviceType"`
}

type Subnet struct {
	AvailabilityZone   *string `xml:"availabilityZone"`
	AvailabilityZoneId *string `xml:"availabilityZoneId"`
	CidrBlock          *string `xml:"cidrBlock"`
	SubnetId           *string `xml:"subnetId"`
	Tags               []Tag   `xml:"tagSet>item"`
	VpcId              *string `xml:"vpcId"`
}

type Tag struct {
	Key   *string `ec2:"Key" xml:"key"`
	Value *string `ec2:"Value" xml:"value"`
}

type TagDescription struct {
	Key          *string      `xml:"key"`
	ResourceId   *string      `xml:"resourceId"`
	ResourceType ResourceType `xml:"resourceType"`
}

type TagSpecification struct {
	ResourceType ResourceType `ec2:"ResourceType"`
	Tags         []Tag        `ec2:"Tag"`
}

type UnsuccessfulItem struct {
	Error      *UnsuccessfulItemError `xml:"error"`
	ResourceId *string                `xml:"resourceId"`
}

type UnsuccessfulItemError struct {
	Code    *string `xml:"code"`
	Message *string `xml:"message"`
}

type UserIdGroupPair struct {
	GroupId *string `ec2:"GroupId" xml:"groupId"`
}

type Vpc struct {
	CidrBlock               *string                   `xml:"cidrBlock"`
	CidrBlockAssociationSet []VpcCidrBlockAssociation `xml:"cidrBlockAssociationSet>item"`
	IsDefault               *bool                     `xml:"isDefault"`
	Tags                    []Tag                     `xml:"tagSet>item"`
	VpcId                   *string                   `xml:"vpcId"`
}

type VpcCidrBlockAssociation struct {
	CidrBlock      *string            `xml:"cidrBlock"`
	CidrBlockState *VpcCidrBlockState `xml:"cidrBlockState"`
}

type VpcCidrBlockState struct {
	State VpcCidrBlockStateCode `xml:"state"`
}

type VpcEndpoint struct {
	CreationTimestamp   *time.Time                `xml:"creationTimestamp"`
	DnsEntries          []DnsEntry                `xml:"dnsEntrySet>item"`
	FailureReason       *string                   `xml:"failureReason"`
	Groups              []SecurityGroupIdentifier `xml:"groupSet>item"`
	LastError           *LastError                `xml:"lastError"`
	NetworkInterfaceIds []string                  `xml:"networkInterfaceIdSet>item"`
	OwnerId             *string                   `xml:"ownerId"`
	PolicyDocument      *string                   `xml:"policyDocument"`
	PrivateDnsEnabled   *bool                     `xml:"privateDnsEnabled"`
	RouteTableIds       []string                  `xml:"routeTableIdSet>item"`
	ServiceName         *string                   `xml:"serviceName"`
	State               State                     `xml:"state"`
	SubnetIds           []string                  `xml:"subnetIdSet>item"`
	Tags                []Tag                     `xml:"tagSet>item"`
	VpcEndpointId       *string                   `xml:"vpcEndpointId"`
	VpcEndpointType     VpcEndpointType           `xml:"vpcEndpointType"`
	VpcId               *string                   `xml:"vpcId"`
}

type NetworkInterfaceAttachment struct {
	AttachmentId *string          `xml:"attachmentId"`
	InstanceId   *string          `xml:"instanceId"`
	Status       AttachmentStatus `xml:"status"`
}
