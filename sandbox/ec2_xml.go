package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"time"
)

// EC2 response shapes, element names as in the EC2 service model (the
// locationName of each member; lists are NAMESet/item).

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// ec2Time formats a timestamp the way EC2 does (ISO 8601, milliseconds, Z).
type ec2Time time.Time

func (t ec2Time) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

func marshalEC2(action, requestID string, v any) ([]byte, error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString("<" + action + `Response xmlns="` + ec2Namespace + `">` + "\n")
	b.WriteString("    <requestId>" + requestID + "</requestId>\n")
	if v != nil {
		inner, err := xml.MarshalIndent(v, "    ", "    ")
		if err != nil {
			return nil, err
		}
		// v is a wrapper element <x>...</x>; keep only its children.
		s := string(inner)
		open := strings.Index(s, ">")
		close := strings.LastIndex(s, "</")
		if open >= 0 && close > open {
			s = strings.Trim(s[open+1:close], "\n ")
			if s != "" {
				b.WriteString("    " + s + "\n")
			}
		}
	}
	b.WriteString("</" + action + "Response>")
	return []byte(b.String()), nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func xTags(ts []tag) []xTag {
	out := make([]xTag, 0, len(ts))
	for _, t := range ts {
		out = append(out, xTag(t))
	}
	return out
}

type xBoolValue struct {
	Value bool `xml:"value"`
}

type xCidrState struct {
	State string `xml:"state"`
}

type xVpcCidrAssoc struct {
	AssociationID  string     `xml:"associationId"`
	CidrBlock      string     `xml:"cidrBlock"`
	CidrBlockState xCidrState `xml:"cidrBlockState"`
}

type xVpc struct {
	VpcID                   string             `xml:"vpcId"`
	OwnerID                 string             `xml:"ownerId"`
	State                   string             `xml:"state"`
	CidrBlock               string             `xml:"cidrBlock"`
	CidrBlockAssociationSet set[xVpcCidrAssoc] `xml:"cidrBlockAssociationSet"`
	Ipv6CidrBlockAssocSet   struct{}           `xml:"ipv6CidrBlockAssociationSet"`
	DhcpOptionsID           string             `xml:"dhcpOptionsId"`
	TagSet                  set[xTag]          `xml:"tagSet,omitempty"` // an untagged VPC has none, on AWS too
	InstanceTenancy         string             `xml:"instanceTenancy"`
	IsDefault               bool               `xml:"isDefault"`
	BlockPublicAccessStates struct {
		InternetGatewayBlockMode string `xml:"internetGatewayBlockMode"`
	} `xml:"blockPublicAccessStates"`
}

type xSubnet struct {
	SubnetID                      string    `xml:"subnetId"`
	SubnetArn                     string    `xml:"subnetArn"`
	State                         string    `xml:"state"`
	OwnerID                       string    `xml:"ownerId"`
	VpcID                         string    `xml:"vpcId"`
	CidrBlock                     string    `xml:"cidrBlock"`
	AvailableIPAddressCount       int       `xml:"availableIpAddressCount"`
	AvailabilityZone              string    `xml:"availabilityZone"`
	AvailabilityZoneID            string    `xml:"availabilityZoneId"`
	DefaultForAz                  bool      `xml:"defaultForAz"`
	MapPublicIPOnLaunch           bool      `xml:"mapPublicIpOnLaunch"`
	MapCustomerOwnedIPOnLaunch    bool      `xml:"mapCustomerOwnedIpOnLaunch"`
	AssignIpv6AddressOnCreation   bool      `xml:"assignIpv6AddressOnCreation"`
	Ipv6CidrBlockAssocSet         struct{}  `xml:"ipv6CidrBlockAssociationSet"`
	TagSet                        set[xTag] `xml:"tagSet,omitempty"`
	EnableDns64                   bool      `xml:"enableDns64"`
	Ipv6Native                    bool      `xml:"ipv6Native"`
	PrivateDNSNameOptionsOnLaunch struct {
		HostnameType                    string `xml:"hostnameType"`
		EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
		EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
	} `xml:"privateDnsNameOptionsOnLaunch"`
	BlockPublicAccessStates struct {
		InternetGatewayBlockMode string `xml:"internetGatewayBlockMode"`
	} `xml:"blockPublicAccessStates"`
}

type xAssocState struct {
	State string `xml:"state"`
}

type xRTAssoc struct {
	RouteTableAssociationID string      `xml:"routeTableAssociationId"`
	RouteTableID            string      `xml:"routeTableId"`
	SubnetID                string      `xml:"subnetId,omitempty"`
	Main                    bool        `xml:"main"`
	AssociationState        xAssocState `xml:"associationState"`
}

type xRoute struct {
	DestinationCidrBlock    string `xml:"destinationCidrBlock,omitempty"`
	DestinationPrefixListID string `xml:"destinationPrefixListId,omitempty"`
	GatewayID               string `xml:"gatewayId"`
	State                   string `xml:"state"`
	Origin                  string `xml:"origin"`
}

type xRouteTable struct {
	RouteTableID      string        `xml:"routeTableId"`
	VpcID             string        `xml:"vpcId"`
	OwnerID           string        `xml:"ownerId"`
	RouteSet          set[xRoute]   `xml:"routeSet"`
	AssociationSet    set[xRTAssoc] `xml:"associationSet"`
	PropagatingVgwSet struct{}      `xml:"propagatingVgwSet"`
	TagSet            set[xTag]     `xml:"tagSet"` // always, even empty: boto3 scripts read rt['Tags']
}

type xGroupPair struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type xIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xIPPermission struct {
	IPProtocol string          `xml:"ipProtocol"`
	FromPort   *int            `xml:"fromPort,omitempty"`
	ToPort     *int            `xml:"toPort,omitempty"`
	Groups     set[xGroupPair] `xml:"groups"`
	IPRanges   set[xIPRange]   `xml:"ipRanges"`
	Ipv6Ranges struct{}        `xml:"ipv6Ranges"`
	PrefixList struct{}        `xml:"prefixListIds"`
}

type xSecurityGroup struct {
	OwnerID             string             `xml:"ownerId"`
	GroupID             string             `xml:"groupId"`
	GroupName           string             `xml:"groupName"`
	GroupDescription    string             `xml:"groupDescription"`
	VpcID               string             `xml:"vpcId"`
	IPPermissions       set[xIPPermission] `xml:"ipPermissions"`
	IPPermissionsEgress set[xIPPermission] `xml:"ipPermissionsEgress"`
	TagSet              set[xTag]          `xml:"tagSet,omitempty"`
	SecurityGroupArn    string             `xml:"securityGroupArn"`
}

type xRefGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type xSGRule struct {
	SecurityGroupRuleID  string     `xml:"securityGroupRuleId"`
	GroupID              string     `xml:"groupId"`
	GroupOwnerID         string     `xml:"groupOwnerId"`
	IsEgress             bool       `xml:"isEgress"`
	IPProtocol           string     `xml:"ipProtocol"`
	FromPort             int        `xml:"fromPort"`
	ToPort               int        `xml:"toPort"`
	CidrIpv4             string     `xml:"cidrIpv4,omitempty"`
	ReferencedGroupInfo  *xRefGroup `xml:"referencedGroupInfo,omitempty"`
	Description          string     `xml:"description,omitempty"`
	TagSet               set[xTag]  `xml:"tagSet,omitempty"`
	SecurityGroupRuleArn string     `xml:"securityGroupRuleArn"`
}

type xRevokedRule struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CidrIpv4            string `xml:"cidrIpv4,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
	Description         string `xml:"description,omitempty"`
}

type xGroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xDNSEntry struct {
	DNSName      string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId"`
}

type xLastError struct {
	Message string `xml:"message"`
	Code    string `xml:"code"`
}

type xVpcEndpoint struct {
	VpcEndpointID         string                `xml:"vpcEndpointId"`
	VpcEndpointType       string                `xml:"vpcEndpointType"`
	VpcID                 string                `xml:"vpcId"`
	ServiceName           string                `xml:"serviceName"`
	State                 string                `xml:"state"`
	PolicyDocument        string                `xml:"policyDocument,omitempty"`
	RouteTableIDSet       set[string]           `xml:"routeTableIdSet"`
	SubnetIDSet           set[string]           `xml:"subnetIdSet"`
	GroupSet              set[xGroupIdentifier] `xml:"groupSet"`
	IPAddressType         string                `xml:"ipAddressType,omitempty"`
	DNSOptions            *xDNSOptions          `xml:"dnsOptions,omitempty"`
	PrivateDNSEnabled     bool                  `xml:"privateDnsEnabled"`
	RequesterManaged      bool                  `xml:"requesterManaged"`
	NetworkInterfaceIDSet set[string]           `xml:"networkInterfaceIdSet"`
	DNSEntrySet           set[xDNSEntry]        `xml:"dnsEntrySet"`
	CreationTimestamp     ec2Time               `xml:"creationTimestamp"`
	TagSet                set[xTag]             `xml:"tagSet"`
	OwnerID               string                `xml:"ownerId"`
	LastError             *xLastError           `xml:"lastError,omitempty"`
	FailureReason         string                `xml:"failureReason,omitempty"`
	ServiceRegion         string                `xml:"serviceRegion"`
}

type xDNSOptions struct {
	DNSRecordIPType                          string `xml:"dnsRecordIpType"`
	PrivateDNSOnlyForInboundResolverEndpoint *bool  `xml:"privateDnsOnlyForInboundResolverEndpoint,omitempty"`
}

type xServiceType struct {
	ServiceType string `xml:"serviceType"`
}

type xPrivateDNSName struct {
	PrivateDNSName string `xml:"privateDnsName"`
}

type xServiceDetail struct {
	ServiceName                     string               `xml:"serviceName"`
	ServiceID                       string               `xml:"serviceId"`
	ServiceType                     set[xServiceType]    `xml:"serviceType"`
	ServiceRegion                   string               `xml:"serviceRegion"`
	AvailabilityZoneIDSet           set[string]          `xml:"availabilityZoneIdSet"`
	AvailabilityZoneSet             set[string]          `xml:"availabilityZoneSet"`
	Owner                           string               `xml:"owner"`
	BaseEndpointDNSNameSet          set[string]          `xml:"baseEndpointDnsNameSet"`
	PrivateDNSName                  string               `xml:"privateDnsName,omitempty"`
	PrivateDNSNameSet               set[xPrivateDNSName] `xml:"privateDnsNameSet,omitempty"`
	VpcEndpointPolicySupported      bool                 `xml:"vpcEndpointPolicySupported"`
	AcceptanceRequired              bool                 `xml:"acceptanceRequired"`
	ManagesVpcEndpoints             bool                 `xml:"managesVpcEndpoints"`
	TagSet                          struct{}             `xml:"tagSet"`
	PrivateDNSNameVerificationState string               `xml:"privateDnsNameVerificationState,omitempty"`
	SupportedIPAddressTypeSet       set[string]          `xml:"supportedIpAddressTypeSet"`
}

type xAttachment struct {
	AttachmentID        string  `xml:"attachmentId"`
	InstanceID          string  `xml:"instanceId"`
	InstanceOwnerID     string  `xml:"instanceOwnerId"`
	DeviceIndex         int     `xml:"deviceIndex"`
	Status              string  `xml:"status"`
	AttachTime          ec2Time `xml:"attachTime"`
	DeleteOnTermination bool    `xml:"deleteOnTermination"`
	NetworkCardIndex    int     `xml:"networkCardIndex"`
}

type xPrivateIP struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type xNetworkInterface struct {
	NetworkInterfaceID    string                `xml:"networkInterfaceId"`
	SubnetID              string                `xml:"subnetId"`
	VpcID                 string                `xml:"vpcId"`
	AvailabilityZone      string                `xml:"availabilityZone"`
	Description           string                `xml:"description"`
	OwnerID               string                `xml:"ownerId"`
	RequesterID           string                `xml:"requesterId,omitempty"`
	RequesterManaged      bool                  `xml:"requesterManaged"`
	Status                string                `xml:"status"`
	MacAddress            string                `xml:"macAddress"`
	PrivateIPAddress      string                `xml:"privateIpAddress"`
	PrivateDNSName        string                `xml:"privateDnsName"`
	SourceDestCheck       bool                  `xml:"sourceDestCheck"`
	GroupSet              set[xGroupIdentifier] `xml:"groupSet"`
	Attachment            *xAttachment          `xml:"attachment,omitempty"`
	TagSet                set[xTag]             `xml:"tagSet"`
	PrivateIPAddressesSet set[xPrivateIP]       `xml:"privateIpAddressesSet"`
	Ipv6AddressesSet      struct{}              `xml:"ipv6AddressesSet"`
	InterfaceType         string                `xml:"interfaceType"`
	Ipv6Native            bool                  `xml:"ipv6Native"`
	AvailabilityZoneID    string                `xml:"availabilityZoneId"`
}

type xTagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type xUnsuccessful struct {
	Error struct {
		Code    string `xml:"code"`
		Message string `xml:"message"`
	} `xml:"error"`
	ResourceID string `xml:"resourceId"`
}

// set is an EC2 list: <nameSet><item>..</item></nameSet>, written even when
// empty (as <nameSet/>), the way EC2 does.
type set[T any] []T

func (s set[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range s {
		if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "item"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
