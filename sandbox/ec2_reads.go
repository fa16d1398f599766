package sandbox

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
)

// Read operations a learner pokes at beside the lab's own calls: the
// workspace instance as EC2 describes it (the same values IMDS serves),
// the region's availability zones, and the managed prefix lists the S3
// gateway's route points at.

// Instances.

type xInstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xPlacement struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId"`
	GroupName          string `xml:"groupName"`
	Tenancy            string `xml:"tenancy"`
}

type xInstanceNIAttachment struct {
	AttachTime          ec2Time `xml:"attachTime"`
	AttachmentID        string  `xml:"attachmentId"`
	DeleteOnTermination bool    `xml:"deleteOnTermination"`
	DeviceIndex         int     `xml:"deviceIndex"`
	NetworkCardIndex    int     `xml:"networkCardIndex"`
	Status              string  `xml:"status"`
}

type xInstanceNI struct {
	Attachment            xInstanceNIAttachment `xml:"attachment"`
	Description           string                `xml:"description"`
	Groups                set[xGroupIdentifier] `xml:"groupSet"`
	Ipv6Addresses         struct{}              `xml:"ipv6AddressesSet"`
	MacAddress            string                `xml:"macAddress"`
	NetworkInterfaceID    string                `xml:"networkInterfaceId"`
	OwnerID               string                `xml:"ownerId"`
	PrivateDNSName        string                `xml:"privateDnsName"`
	PrivateIPAddress      string                `xml:"privateIpAddress"`
	PrivateIPAddressesSet set[xPrivateIP]       `xml:"privateIpAddressesSet"`
	SourceDestCheck       bool                  `xml:"sourceDestCheck"`
	Status                string                `xml:"status"`
	SubnetID              string                `xml:"subnetId"`
	VpcID                 string                `xml:"vpcId"`
	InterfaceType         string                `xml:"interfaceType"`
}

type xMetadataOptions struct {
	State                   string `xml:"state"`
	HTTPTokens              string `xml:"httpTokens"`
	HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
	HTTPEndpoint            string `xml:"httpEndpoint"`
	HTTPProtocolIpv6        string `xml:"httpProtocolIpv6"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags"`
}

type xInstance struct {
	InstanceID     string         `xml:"instanceId"`
	ImageID        string         `xml:"imageId"`
	InstanceState  xInstanceState `xml:"instanceState"`
	PrivateDNSName string         `xml:"privateDnsName"`
	DNSName        string         `xml:"dnsName"`
	Reason         string         `xml:"reason"`
	AmiLaunchIndex int            `xml:"amiLaunchIndex"`
	ProductCodes   struct{}       `xml:"productCodes"`
	InstanceType   string         `xml:"instanceType"`
	LaunchTime     ec2Time        `xml:"launchTime"`
	Placement      xPlacement     `xml:"placement"`
	Monitoring     struct {
		State string `xml:"state"`
	} `xml:"monitoring"`
	SubnetID           string                `xml:"subnetId"`
	VpcID              string                `xml:"vpcId"`
	PrivateIPAddress   string                `xml:"privateIpAddress"`
	SourceDestCheck    bool                  `xml:"sourceDestCheck"`
	GroupSet           set[xGroupIdentifier] `xml:"groupSet"`
	Architecture       string                `xml:"architecture"`
	RootDeviceType     string                `xml:"rootDeviceType"`
	RootDeviceName     string                `xml:"rootDeviceName"`
	BlockDeviceMapping struct{}              `xml:"blockDeviceMapping"`
	VirtualizationType string                `xml:"virtualizationType"`
	ClientToken        string                `xml:"clientToken"`
	TagSet             set[xTag]             `xml:"tagSet,omitempty"`
	Hypervisor         string                `xml:"hypervisor"`
	NetworkInterfaces  set[xInstanceNI]      `xml:"networkInterfaceSet"`
	IamInstanceProfile struct {
		Arn string `xml:"arn"`
		ID  string `xml:"id"`
	} `xml:"iamInstanceProfile"`
	EbsOptimized          bool             `xml:"ebsOptimized"`
	EnaSupport            bool             `xml:"enaSupport"`
	MetadataOptions       xMetadataOptions `xml:"metadataOptions"`
	PlatformDetails       string           `xml:"platformDetails"`
	UsageOperation        string           `xml:"usageOperation"`
	PrivateDNSNameOptions struct {
		HostnameType                    string `xml:"hostnameType"`
		EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
		EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
	} `xml:"privateDnsNameOptions"`
	CurrentInstanceBootMode string `xml:"currentInstanceBootMode"`
}

type xReservation struct {
	ReservationID string         `xml:"reservationId"`
	OwnerID       string         `xml:"ownerId"`
	Groups        struct{}       `xml:"groupSet"`
	Instances     set[xInstance] `xml:"instancesSet"`
}

// instance is the world's instance, if it has one.
func (w *world) instances() []*instance {
	if w.Instance.ID == "" {
		return nil
	}
	return []*instance{&w.Instance}
}

func (x *ec2Ctx) instanceView(in *instance) xReservation {
	n := x.w.eni(in.ENIID)
	sn := x.w.subnet(n.SubnetID)
	host := privateDNSName(n.IP, x.w.Region)
	v := xInstance{
		InstanceID: in.ID, ImageID: in.ImageID, InstanceState: xInstanceState{16, "running"}, PrivateDNSName: host,
		InstanceType: in.InstanceType, LaunchTime: ec2Time(in.LaunchTime),
		Placement: xPlacement{AvailabilityZone: sn.AZ, AvailabilityZoneID: sn.AZID, Tenancy: "default"},
		SubnetID:  sn.ID, VpcID: n.VpcID, PrivateIPAddress: n.IP, SourceDestCheck: true, GroupSet: x.groupIdents(n.GroupIDs),
		Architecture: "x86_64", RootDeviceType: "ebs", RootDeviceName: "/dev/xvda", VirtualizationType: "hvm", TagSet: xTags(x.w.tagsOf(in.ID)),
		Hypervisor: "xen", EnaSupport: true, PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", CurrentInstanceBootMode: "legacy-bios",
		NetworkInterfaces: set[xInstanceNI]{{
			Attachment:  xInstanceNIAttachment{AttachTime: ec2Time(n.AttachTime), AttachmentID: n.AttachmentID, DeleteOnTermination: true, Status: "attached"},
			Description: n.Description, Groups: x.groupIdents(n.GroupIDs), MacAddress: n.MAC, NetworkInterfaceID: n.ID, OwnerID: x.w.Account,
			PrivateDNSName: host, PrivateIPAddress: n.IP, PrivateIPAddressesSet: set[xPrivateIP]{{PrivateIPAddress: n.IP, PrivateDNSName: host, Primary: true}},
			SourceDestCheck: true, Status: "in-use", SubnetID: n.SubnetID, VpcID: n.VpcID, InterfaceType: "interface",
		}},
		// What IMDS enforces: tokens required or optional. The hop limit
		// is AWS's default for each (2 for AMIs that require IMDSv2).
		MetadataOptions: xMetadataOptions{State: "applied", HTTPTokens: "optional", HTTPPutResponseHopLimit: 1, HTTPEndpoint: "enabled",
			HTTPProtocolIpv6: "disabled", InstanceMetadataTags: "disabled"},
	}
	if x.s.opts.IMDSv2Required {
		v.MetadataOptions.HTTPTokens, v.MetadataOptions.HTTPPutResponseHopLimit = "required", 2
	}
	if x.s.def.Metadata.TokenPutBlocked || x.s.opts.Faults.IMDSHopLimit {
		v.MetadataOptions.HTTPPutResponseHopLimit = 1 // why a container's token PUT goes unanswered
	}
	v.Monitoring.State = "disabled"
	v.IamInstanceProfile.Arn = x.w.arn("iam", "", x.w.Account+":instance-profile/"+x.w.Identity.RoleName)
	v.IamInstanceProfile.ID = x.w.Identity.ProfileID
	v.PrivateDNSNameOptions.HostnameType = "ip-name"
	return xReservation{ReservationID: "r-" + hexOf("reservation/" + in.ID)[:17], OwnerID: x.w.Account, Instances: set[xInstance]{v}}
}

func instanceFilter(x *ec2Ctx, in *instance) filterable {
	n := x.w.eni(in.ENIID)
	return filterable{
		names: []string{"instance-id", "instance-state-name", "instance-state-code", "instance-type", "image-id", "vpc-id", "subnet-id",
			"availability-zone", "private-ip-address", "private-dns-name", "network-interface.mac-address", "network-interface.network-interface-id",
			"network-interface.addresses.private-ip-address", "instance.group-id", "instance.group-name", "owner-id", "iam-instance-profile.arn",
			"metadata-options.http-tokens"},
		tags: x.w.tagsOf(in.ID),
		values: func(name string) []string {
			v := x.instanceView(in).Instances[0]
			switch name {
			case "instance-id":
				return []string{in.ID}
			case "instance-state-name":
				return []string{"running"}
			case "instance-state-code":
				return []string{"16"}
			case "instance-type":
				return []string{in.InstanceType}
			case "image-id":
				return []string{in.ImageID}
			case "vpc-id":
				return []string{n.VpcID}
			case "subnet-id":
				return []string{n.SubnetID}
			case "availability-zone":
				return []string{n.AZ}
			case "private-ip-address", "network-interface.addresses.private-ip-address":
				return []string{n.IP}
			case "private-dns-name":
				return []string{v.PrivateDNSName}
			case "network-interface.mac-address":
				return []string{n.MAC}
			case "network-interface.network-interface-id":
				return []string{n.ID}
			case "instance.group-id":
				return n.GroupIDs
			case "instance.group-name":
				var out []string
				for _, g := range v.GroupSet {
					out = append(out, g.GroupName)
				}
				return out
			case "owner-id":
				return []string{x.w.Account}
			case "iam-instance-profile.arn":
				return []string{v.IamInstanceProfile.Arn}
			case "metadata-options.http-tokens":
				return []string{v.MetadataOptions.HTTPTokens}
			}
			return nil
		},
	}
}

func ec2DescribeInstances(x *ec2Ctx) (any, *APIError) {
	if len(x.p.list("InstanceId")) > 0 && x.p.has("MaxResults") {
		return nil, badRequest("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	return describe(x, describeSpec[instance, xReservation]{
		set:     "reservationSet",
		idParam: "InstanceId", more: []string{"IncludeManagedResources"}, items: x.w.instances(), id: func(in *instance) string { return in.ID },
		filter: func(in *instance) filterable { return instanceFilter(x, in) }, view: x.instanceView, kind: instanceIDs, page: pages5to1000,
	})
}

// Availability zones.

type xAvailabilityZone struct {
	OptInStatus        string   `xml:"optInStatus"`
	Messages           struct{} `xml:"messageSet"`
	RegionName         string   `xml:"regionName"`
	ZoneName           string   `xml:"zoneName"`
	ZoneID             string   `xml:"zoneId"`
	GroupName          string   `xml:"groupName"`
	NetworkBorderGroup string   `xml:"networkBorderGroup"`
	ZoneType           string   `xml:"zoneType"`
	ZoneState          string   `xml:"zoneState"`
}

// zones are the world region's availability zones.
func (w *world) zones() []string {
	r := w.Region
	return []string{r + "a", r + "b", r + "c", r + "d"}
}

func ec2DescribeAvailabilityZones(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("ZoneName", "ZoneId", "AllAvailabilityZones", "Filter", "DryRun"); e != nil {
		return nil, e
	}
	if _, e := x.p.boolean("AllAvailabilityZones"); e != nil {
		return nil, e
	}
	names := []string{"group-name", "message", "opt-in-status", "region-name", "state", "zone-id", "zone-name", "zone-type", "network-border-group", "group-long-name"}
	fs, e := x.p.knownFilters(names, false)
	if e != nil {
		return nil, e
	}
	r := x.w.Region
	all := x.w.zones()
	byName, byID := x.p.list("ZoneName"), x.p.list("ZoneId")
	for _, z := range byName {
		if !slices.Contains(all, z) {
			return nil, badRequest("InvalidParameterValue", "Invalid availability zone: [%s]", z)
		}
	}
	for _, id := range byID {
		if !slices.ContainsFunc(all, func(z string) bool { return azID(r, z) == id }) {
			return nil, badRequest("InvalidParameterValue", "Invalid availability zone ID: [%s]", id)
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	zs := set[xAvailabilityZone]{}
	for _, z := range all {
		if len(byName)+len(byID) > 0 && !slices.Contains(byName, z) && !slices.Contains(byID, azID(r, z)) {
			continue
		}
		v := xAvailabilityZone{OptInStatus: "opt-in-not-required", RegionName: r, ZoneName: z, ZoneID: azID(r, z), GroupName: r + "-zg-1",
			NetworkBorderGroup: r, ZoneType: "availability-zone", ZoneState: "available"}
		f := filterable{names: names, values: func(n string) []string {
			switch n {
			case "group-name":
				return []string{v.GroupName}
			case "opt-in-status":
				return []string{v.OptInStatus}
			case "region-name":
				return []string{r}
			case "state":
				return []string{v.ZoneState}
			case "zone-id":
				return []string{v.ZoneID}
			case "zone-name":
				return []string{z}
			case "zone-type":
				return []string{v.ZoneType}
			case "network-border-group":
				return []string{r}
			}
			return nil
		}}
		if f.match(fs) {
			zs = append(zs, v)
		}
	}
	return &struct {
		out
		Zones set[xAvailabilityZone] `xml:"availabilityZoneInfo"`
	}{Zones: zs}, nil
}

// Prefix lists.

// prefixList is an AWS-managed prefix list of the region.
type prefixList struct {
	ID, Name string
	CIDRs    []string
}

// prefixLists are the region's AWS-managed prefix lists for the gateway
// endpoint services: S3 (the one the lab's gateway route points at) and
// DynamoDB. The ids and ranges of us-west-2 are AWS's; elsewhere they are
// stable made-up ones.
func (w *world) prefixLists() []prefixList {
	s3 := prefixList{ID: w.s3PrefixList(), Name: serviceName(w.Region, "s3", true), CIDRs: s3Ranges(w.Region)}
	ddb := prefixList{ID: "pl-" + hexOf("dynamodb/" + w.Region)[:8], Name: serviceName(w.Region, "dynamodb", true), CIDRs: madeUpRanges("dynamodb/" + w.Region)}
	return []prefixList{s3, ddb}
}

// s3Ranges are the address ranges of S3 in a region, which s3.REGION
// names resolve into.
func s3Ranges(region string) []string {
	if region == "us-west-2" {
		return []string{"52.218.128.0/17", "52.92.128.0/17"}
	}
	return madeUpRanges("s3/" + region)
}

func madeUpRanges(salt string) []string {
	sum := sha256.Sum256([]byte(salt))
	return []string{fmt.Sprintf("52.%d.0.0/17", 200+sum[0]%50), fmt.Sprintf("3.5.%d.0/22", 4*(sum[1]%60))}
}

type xPrefixList struct {
	Cidrs          set[string] `xml:"cidrSet"`
	PrefixListID   string      `xml:"prefixListId"`
	PrefixListName string      `xml:"prefixListName"`
}

func ec2DescribePrefixLists(x *ec2Ctx) (any, *APIError) {
	lists := x.w.prefixLists()
	items := make([]*prefixList, len(lists))
	for i := range lists {
		items[i] = &lists[i]
	}
	return describe(x, describeSpec[prefixList, xPrefixList]{
		set:     "prefixListSet",
		idParam: "PrefixListId", items: items, id: func(p *prefixList) string { return p.ID },
		filter: func(p *prefixList) filterable {
			return filterable{names: []string{"prefix-list-id", "prefix-list-name"}, values: func(n string) []string {
				if n == "prefix-list-id" {
					return []string{p.ID}
				}
				return []string{p.Name}
			}}
		},
		view: func(p *prefixList) xPrefixList {
			return xPrefixList{Cidrs: set[string](slices.Clone(p.CIDRs)), PrefixListID: p.ID, PrefixListName: p.Name}
		},
		kind: prefixListIDs, page: pages5to1000,
	})
}

// isS3Host reports whether name is the region's S3 endpoint.
func isS3Host(name, region string) bool {
	return name == hostOf("s3", region) || strings.HasSuffix(name, "."+hostOf("s3", region))
}
