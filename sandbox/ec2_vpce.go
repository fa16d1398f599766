package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"ecr-vpce-lab/internal/partition"
	"ecr-vpce-lab/policy"
)

// maxPolicyChars is AWS's limit on an endpoint policy.
const maxPolicyChars = 20480

// defaultEndpointPolicy is the policy AWS attaches when none is given, as
// DescribeVpcEndpoints shows it.
const defaultEndpointPolicy = "{\n  \"Version\": \"2008-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": \"*\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"

// policyError is the one place the sandbox asks the policy package whether
// AWS would accept a document: the first error, if any.
func policyError(doc string) (policy.Finding, bool) {
	for _, f := range policy.Lint([]byte(doc)) {
		if f.Severity == policy.SeverityError {
			return f, true
		}
	}
	return policy.Finding{}, false
}

// endpointService is one entry of the regional endpoint service catalogue.
type endpointService struct {
	Name       string   // com.amazonaws.REGION.ecr.dkr
	Types      []string // Interface and/or Gateway
	PrivateDNS string   // private DNS name of the Interface type, if any
	BaseDNS    string   // base endpoint DNS name
	Zones      []string
}

func (s endpointService) offers(t string) bool { return slices.Contains(s.Types, t) }

// services is the catalogue of the services the lab cares about.
func (x *ec2Ctx) services() []endpointService {
	r := x.w.Region
	zones := []string{r + "a", r + "b", r + "c", r + "d"}
	suffix := partition.Of(r).DNSSuffix
	mk := func(short string, types []string, private, base string) endpointService {
		name := serviceName(r, short, len(types) == 1 && types[0] == "Gateway")
		z := zones
		if o, ok := x.s.opts.ServiceZones[name]; ok {
			z = o
		}
		return endpointService{Name: name, Types: types, PrivateDNS: private, BaseDNS: base, Zones: z}
	}
	// vpce is a service's base endpoint DNS name: api.ecr.REGION.vpce.SUFFIX.
	vpce := func(prefix string) string { return prefix + "." + r + ".vpce." + suffix }
	s3 := []endpointService{mk("s3", []string{"Gateway", "Interface"}, "", x.w.host("s3"))}
	if partition.Of(r).ID == "aws-cn" {
		// China names its interface services cn.com.amazonaws.…, but S3's
		// gateway keeps com.amazonaws.…: two entries. [research K]
		s3 = []endpointService{mk("s3", []string{"Gateway"}, "", x.w.host("s3")), mk("s3", []string{"Interface"}, "", x.w.host("s3"))}
	}
	out := []endpointService{
		mk("ec2", []string{"Interface"}, x.w.host("ec2"), vpce("ec2")),
		mk("ecr.api", []string{"Interface"}, x.w.host("api.ecr"), vpce("api.ecr")),
		mk("ecr.dkr", []string{"Interface"}, "*."+x.w.host("dkr.ecr"), vpce("dkr.ecr")),
		mk("logs", []string{"Interface"}, x.w.host("logs"), vpce("logs")),
	}
	out = append(out, s3...)
	return append(out, mk("sts", []string{"Interface"}, x.w.host("sts"), vpce("sts")))
}

func (x *ec2Ctx) service(name string) (endpointService, bool) {
	for _, s := range x.services() {
		if s.Name == name {
			return s, true
		}
	}
	return endpointService{}, false
}

// hostedZone is the public hosted zone of VPC endpoint DNS names.
func (x *ec2Ctx) hostedZone() string {
	if x.w.Region == "us-west-2" {
		return "Z1YSA3EXCYUU9Z"
	}
	return "Z" + strings.ToUpper(hexOf("vpce-zone/" + x.w.Region)[:13])
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// knownEndpoint is the endpoint the calls that name it find at this
// moment: one that exists and that EC2's reads already know (one created
// moments ago is not known yet: Timing.ReadLag), or nil.
func (x *ec2Ctx) knownEndpoint(id string) *vpcEndpoint {
	if e := x.w.endpoint(id, x.now); e != nil && !x.now.Before(e.SeenFrom) {
		return e
	}
	return nil
}

func (x *ec2Ctx) endpointView(e *vpcEndpoint) xVpcEndpoint {
	st := e.seenState(x.now)
	v := xVpcEndpoint{
		VpcEndpointID: e.ID, VpcEndpointType: e.Type, VpcID: e.VpcID, ServiceName: e.ServiceName, State: st,
		PolicyDocument: e.Policy, RouteTableIDSet: set[string](slices.Clone(e.RouteTableIDs)), SubnetIDSet: set[string](slices.Clone(e.SubnetIDs)),
		GroupSet: x.groupIdents(e.GroupIDs), PrivateDNSEnabled: e.PrivateDNS, NetworkInterfaceIDSet: set[string](slices.Clone(e.ENIIDs)),
		DNSEntrySet: set[xDNSEntry]{}, CreationTimestamp: ec2Time(e.CreatedAt), TagSet: xTags(x.w.tagsOf(e.ID)), OwnerID: x.w.Account,
		ServiceRegion: x.w.Region,
		// Gateway endpoints carry these too since S3 gateways learnt IPv6.
		IPAddressType: "ipv4", DNSOptions: &xDNSOptions{DNSRecordIPType: "ipv4"},
	}
	if v.RouteTableIDSet == nil {
		v.RouteTableIDSet = set[string]{}
	}
	if v.SubnetIDSet == nil {
		v.SubnetIDSet = set[string]{}
	}
	if v.NetworkInterfaceIDSet == nil {
		v.NetworkInterfaceIDSet = set[string]{}
	}
	if st == stateFailed {
		v.FailureReason = e.FailedReason
		v.LastError = &xLastError{Code: "EndpointFailed", Message: e.FailedReason}
	}
	if e.Type == "Interface" {
		v.DNSOptions.PrivateDNSOnlyForInboundResolverEndpoint = new(bool)
		svc, _ := x.service(e.ServiceName)
		zone := x.hostedZone()
		if st == statePending {
			zone = "ZONEIDPENDING"
		}
		base := e.ID + "-" + e.DNSLabel
		v.DNSEntrySet = append(v.DNSEntrySet, xDNSEntry{DNSName: base + "." + svc.BaseDNS, HostedZoneID: zone})
		for _, sid := range e.SubnetIDs {
			if sn := x.w.subnet(sid); sn != nil {
				v.DNSEntrySet = append(v.DNSEntrySet, xDNSEntry{DNSName: base + "-" + sn.AZ + "." + svc.BaseDNS, HostedZoneID: zone})
			}
		}
		if e.PrivateDNS && svc.PrivateDNS != "" {
			pz := "Z" + strings.ToUpper(hexOf("private-zone/" + e.ID)[:20])
			if st == statePending {
				pz = "ZONEIDPENDING"
			}
			v.DNSEntrySet = append(v.DNSEntrySet, xDNSEntry{DNSName: svc.PrivateDNS, HostedZoneID: pz})
		}
	}
	return v
}

func endpointFilter(x *ec2Ctx, e *vpcEndpoint) filterable {
	return filterable{
		names: []string{"service-name", "service-region", "vpc-id", "vpc-endpoint-id", "vpc-endpoint-state", "vpc-endpoint-type", "ip-address-type"},
		tags:  x.w.tagsOf(e.ID),
		values: func(n string) []string {
			switch n {
			case "service-name":
				return []string{e.ServiceName}
			case "service-region":
				return []string{x.w.Region}
			case "vpc-id":
				return []string{e.VpcID}
			case "vpc-endpoint-id":
				return []string{e.ID}
			case "vpc-endpoint-state":
				return []string{e.seenState(x.now)}
			case "vpc-endpoint-type":
				return []string{e.Type}
			case "ip-address-type":
				return []string{"ipv4"}
			}
			return nil
		},
	}
}

func ec2DescribeVpcEndpoints(x *ec2Ctx) (any, *APIError) {
	return describe(x, describeSpec[vpcEndpoint, xVpcEndpoint]{
		set:     "vpcEndpointSet",
		idParam: "VpcEndpointId", items: x.w.Endpoints, id: func(ep *vpcEndpoint) string { return ep.ID },
		visible: func(ep *vpcEndpoint) bool { return ep.seen(x.now) },
		filter:  func(ep *vpcEndpoint) filterable { return endpointFilter(x, ep) }, view: x.endpointView,
		kind: endpointIDs, privateLink: true, page: pagesUpTo1000,
	})
}

// checkPolicy validates an endpoint policy document as AWS would: a JSON
// syntax error by its position (line, column), anything else AWS would
// reject with the reason.
func checkPolicy(doc string) *APIError {
	const invalid = "The Policy Document is not valid. "
	if len(doc) > maxPolicyChars {
		return badRequest("InvalidPolicyDocument", invalid+"It is %d characters long; an endpoint policy may have at most %d.", len(doc), maxPolicyChars)
	}
	if f, ok := policyError(doc); ok {
		if f.Rule == "json" {
			return badRequest("InvalidPolicyDocument", invalid+"Syntax error at position (%d,%d)", f.Line, f.Column)
		}
		return badRequest("InvalidPolicyDocument", invalid+"%s", upperFirst(f.Message))
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// privateDNSConflict finds another endpoint of the VPC that already holds
// the service's private DNS domain.
func (x *ec2Ctx) privateDNSConflict(vpcID, service, except string) *vpcEndpoint {
	for _, o := range x.w.Endpoints {
		if o.ID != except && o.VpcID == vpcID && o.ServiceName == service && o.PrivateDNS && o.state(x.now) != stateDeleted && o.visible(x.now) {
			return o
		}
	}
	return nil
}

func privateDomain(svc endpointService) string { return strings.TrimPrefix(svc.PrivateDNS, "*.") }

// checkSubnets validates the subnets of an interface endpoint.
func (x *ec2Ctx) checkSubnets(ids []string, v *vpc, svc endpointService) *APIError {
	zones := map[string]string{}
	for _, id := range ids {
		sn := x.w.subnet(id)
		if sn == nil {
			return subnetIDs.unknownPL(id)
		}
		if sn.VpcID != v.ID {
			return badRequest("InvalidParameter", "The subnet ID '%s' does not belong to the VPC '%s'.", id, v.ID)
		}
		if !slices.Contains(svc.Zones, sn.AZ) {
			return badRequest("InvalidParameter", "The VPC endpoint service %s does not support the availability zone of the subnet: %s.", svc.Name, id)
		}
		if x.w.freeIPs(sn, x.now) < 1 {
			return badRequest("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", id)
		}
		if other, ok := zones[sn.AZ]; ok && other != id {
			return badRequest("DuplicateSubnetsInSameZone", "For an interface VPC endpoint, you can specify only one subnet per Availability Zone.")
		}
		zones[sn.AZ] = id
	}
	return nil
}

func (x *ec2Ctx) checkGroups(ids []string, v *vpc) *APIError {
	for _, id := range ids {
		g := x.seenGroup(id)
		if g == nil {
			return x.groupNotFound(id)
		}
		if g.VpcID != v.ID {
			return badRequest("InvalidParameter", "The security group '%s' does not belong to the VPC '%s'.", id, v.ID)
		}
	}
	return nil
}

func (x *ec2Ctx) checkRouteTables(ids []string, v *vpc) *APIError {
	for _, id := range ids {
		rt := x.w.routeTable(id)
		if rt == nil {
			return routeTableIDs.unknownPL(id)
		}
		if rt.VpcID != v.ID {
			return badRequest("InvalidParameter", "The route table '%s' does not belong to the VPC '%s'.", id, v.ID)
		}
	}
	return nil
}

// addENI creates the requester-managed interface of an endpoint in a subnet.
// The subnet has room: checkSubnets made sure.
func (x *ec2Ctx) addENI(ep *vpcEndpoint, sn *subnet) {
	ip, _ := x.w.allocIP(sn, x.now)
	n := &eni{
		ID: x.w.id("eni"), SubnetID: sn.ID, VpcID: sn.VpcID, AZ: sn.AZ, IP: ip, MAC: x.w.mac(),
		GroupIDs: slices.Clone(ep.GroupIDs), Description: "VPC Endpoint Interface " + ep.ID, InterfaceType: "vpc_endpoint",
		RequesterManaged: true, RequesterID: "727180483921", EndpointID: ep.ID,
	}
	x.w.ENIs = append(x.w.ENIs, n)
	ep.ENIIDs = append(ep.ENIIDs, n.ID)
}

// releaseENIs schedules the release of an endpoint's interfaces in some subnets
// (all when subnets is nil).
func (x *ec2Ctx) releaseENIs(ep *vpcEndpoint, subnets []string, at time.Time) {
	var keep []string
	for _, id := range ep.ENIIDs {
		n := x.w.eni(id)
		if n == nil {
			continue
		}
		if subnets == nil || slices.Contains(subnets, n.SubnetID) {
			n.ReleaseAt = at
			continue
		}
		keep = append(keep, id)
	}
	if subnets != nil {
		ep.ENIIDs = keep
	}
}

func (x *ec2Ctx) addPrefixRoutes(ep *vpcEndpoint, rtIDs []string) *APIError {
	pl := x.w.s3PrefixList()
	for _, id := range rtIDs {
		rt := x.w.routeTable(id)
		for _, r := range rt.Routes {
			if r.DestinationPrefixList == pl && r.GatewayID != ep.ID {
				return badRequest("RouteAlreadyExists", "route table %s already has a route with destination-prefix-list-id %s", id, pl)
			}
		}
	}
	for _, id := range rtIDs {
		rt := x.w.routeTable(id)
		if !slices.ContainsFunc(rt.Routes, func(r route) bool { return r.GatewayID == ep.ID }) {
			rt.Routes = append(rt.Routes, route{DestinationPrefixList: pl, GatewayID: ep.ID, Origin: "CreateRoute"})
		}
	}
	return nil
}

func (x *ec2Ctx) removePrefixRoutes(ep *vpcEndpoint, rtIDs []string) {
	for _, rt := range x.w.RouteTables {
		if rtIDs == nil || slices.Contains(rtIDs, rt.ID) {
			rt.Routes = slices.DeleteFunc(rt.Routes, func(r route) bool { return r.GatewayID == ep.ID })
		}
	}
}

func ec2CreateVpcEndpoint(x *ec2Ctx) (any, *APIError) {
	if e := x.p.notSupported("SubnetConfiguration", "ServiceNetworkArn", "ResourceConfigurationArn", "ServiceRegion"); e != nil {
		return nil, e
	}
	if e := x.p.allow("VpcEndpointType", "VpcId", "ServiceName", "PolicyDocument", "RouteTableId", "SubnetId", "SecurityGroupId", "IpAddressType",
		"DnsOptions", "ClientToken", "PrivateDnsEnabled", "TagSpecification", "DryRun"); e != nil {
		return nil, e
	}
	vpcID, e := x.p.required("VpcId")
	if e != nil {
		return nil, e
	}
	svcName, e := x.p.required("ServiceName")
	if e != nil {
		return nil, e
	}
	tok := x.p.str("ClientToken")
	if len(tok) > 64 {
		return nil, badRequest("InvalidParameterValue", "The client token must be at most 64 characters long.")
	}
	if tok != "" {
		if rec, ok := x.w.ClientTokens["CreateVpcEndpoint/"+tok]; ok {
			if rec.ParamsHash != paramsHash(x.p) {
				return nil, badRequest("IdempotentParameterMismatch", "The client token '%s' was used before with different parameters.", tok)
			}
			if e := x.checkDryRun(); e != nil {
				return nil, e
			}
			if ep := x.w.endpoint(rec.ResourceID, x.now); ep != nil {
				return &struct {
					out
					Endpoint    xVpcEndpoint `xml:"vpcEndpoint"`
					ClientToken string       `xml:"clientToken"`
				}{Endpoint: x.endpointView(ep), ClientToken: tok}, nil
			}
			return nil, badRequest("IdempotentParameterMismatch", "The client token '%s' belongs to an endpoint that has since been deleted; use a new token.", tok)
		}
	}
	typ := x.p.str("VpcEndpointType")
	if typ == "" {
		typ = "Gateway"
	}
	switch typ {
	case "Interface", "Gateway":
	case "GatewayLoadBalancer", "Resource", "ServiceNetwork":
		return nil, badRequest("InvalidParameter", "Endpoint type %s is not supported by the ecr-vpce-lab sandbox.", typ)
	default:
		return nil, badRequest("InvalidVpcEndpointType", "The specified VPC endpoint type is not valid. Valid values are Interface, Gateway, GatewayLoadBalancer, Resource and ServiceNetwork; the lab uses Interface and Gateway.")
	}
	v := x.w.vpc(vpcID)
	if v == nil {
		return nil, vpcIDs.unknownPL(vpcID)
	}
	svc, ok := x.service(svcName)
	if !ok {
		return nil, badRequest("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", svcName)
	}
	if !svc.offers(typ) {
		return nil, badRequest("InvalidParameter", "Endpoint type (%s) does not match available service types ([%s]).", typ, strings.Join(svc.Types, ", "))
	}
	doc := x.p.str("PolicyDocument")
	if x.p.has("PolicyDocument") {
		if e := checkPolicy(doc); e != nil {
			return nil, e
		}
	} else {
		doc = defaultEndpointPolicy
	}
	if ipt := x.p.str("IpAddressType"); ipt != "" && ipt != "ipv4" {
		return nil, badRequest("InvalidParameter", "IpAddressType %s is not supported: the subnets of this VPC have no IPv6 CIDR blocks.", ipt)
	}
	if rt := x.p.sub("DnsOptions").str("DnsRecordIpType"); rt != "" && rt != "ipv4" && rt != "service-defined" {
		return nil, badRequest("InvalidParameter", "DnsRecordIpType %s is not supported: the subnets of this VPC have no IPv6 CIDR blocks.", rt)
	}
	if typ == "Gateway" && x.p.sub("DnsOptions").has("PrivateDnsOnlyForInboundResolverEndpoint") {
		return nil, badRequest("InvalidParameter", "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to Interface VPC Endpoints.")
	}
	subnets := x.p.list("SubnetId")
	groups := x.p.list("SecurityGroupId")
	rts := x.p.list("RouteTableId")
	privDNS, privSet, e := x.p.optBool("PrivateDnsEnabled")
	if e != nil {
		return nil, e
	}
	tags, e := x.tagSpecs("vpc-endpoint")
	if e != nil {
		return nil, e
	}

	ep := &vpcEndpoint{Type: typ, VpcID: v.ID, ServiceName: svc.Name, Policy: doc, CreatedAt: x.now.UTC()}
	if typ == "Interface" {
		if len(rts) > 0 {
			return nil, badRequest("InvalidParameter", "Route table IDs are only supported for Gateway type VPC Endpoint.")
		}
		if e := x.checkSubnets(subnets, v, svc); e != nil {
			return nil, e
		}
		if e := x.checkGroups(groups, v); e != nil {
			return nil, e
		}
		if len(groups) == 0 {
			groups = []string{x.w.defaultGroup(v.ID).ID}
		}
		if !privSet {
			privDNS = svc.PrivateDNS != ""
		}
		if privDNS {
			if svc.PrivateDNS == "" {
				return nil, badRequest("InvalidParameter", "Private DNS is not supported for the service %s.", svc.Name)
			}
			if !v.EnableDNSSupport || !v.EnableDNSHostnames {
				return nil, badRequest("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s", v.ID)
			}
			if x.privateDNSConflict(v.ID, svc.Name, "") != nil {
				return nil, badRequest("InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS domain for %s in the VPC %s", privateDomain(svc), v.ID)
			}
		}
		ep.SubnetIDs, ep.GroupIDs, ep.PrivateDNS = subnets, groups, privDNS
		if reason, ok := x.s.opts.Faults.failsEndpoint(x.w.Region, svc.Name); ok {
			ep.FailedReason = reason
		}
	} else {
		if e := gatewayRefuses(subnets, groups, privSet && privDNS); e != nil {
			return nil, e
		}
		if e := x.checkRouteTables(rts, v); e != nil {
			return nil, e
		}
		ep.RouteTableIDs = rts
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}

	ep.ID = x.w.id("vpce")
	ep.SeenFrom = ep.CreatedAt.Add(x.s.opts.Timing.readLag("created", ep.ID))
	// A gateway endpoint is available at once; an interface endpoint is
	// pending while its network interfaces are made.
	ep.AvailableAt = ep.CreatedAt
	if typ == "Interface" {
		ep.AvailableAt = ep.CreatedAt.Add(x.s.opts.Timing.pending(ep.ID))
	}
	ep.DNSSwitchAt = ep.AvailableAt.Add(x.s.opts.Timing.dnsSwitch(ep.ID))
	ep.DNSLabel = x.w.hex("dns-label", 8)
	if typ == "Gateway" {
		if e := x.addPrefixRoutes(ep, rts); e != nil {
			return nil, e
		}
	}
	for _, sid := range ep.SubnetIDs {
		x.addENI(ep, x.w.subnet(sid))
	}
	x.w.Endpoints = append(x.w.Endpoints, ep)
	x.w.setTags(ep.ID, tags)
	if tok != "" {
		x.w.ClientTokens["CreateVpcEndpoint/"+tok] = token{Action: "CreateVpcEndpoint", ParamsHash: paramsHash(x.p), ResourceID: ep.ID}
	}
	x.changed()
	return &struct {
		out
		Endpoint    xVpcEndpoint `xml:"vpcEndpoint"`
		ClientToken string       `xml:"clientToken,omitempty"`
	}{Endpoint: x.endpointView(ep), ClientToken: tok}, nil
}

// gatewayRefuses refuses what only interface endpoints take.
func gatewayRefuses(subnets, groups []string, privateDNS bool) *APIError {
	switch {
	case len(subnets) > 0:
		return badRequest("InvalidParameter", "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.")
	case len(groups) > 0:
		return badRequest("InvalidParameter", "Security group IDs are only supported for Interface type VPC Endpoints.")
	case privateDNS:
		return badRequest("InvalidParameter", "Private DNS is only supported for Interface type VPC Endpoints.")
	}
	return nil
}

func ec2ModifyVpcEndpoint(x *ec2Ctx) (any, *APIError) {
	if e := x.p.notSupported("IpAddressType", "DnsOptions", "SubnetConfiguration"); e != nil {
		return nil, e
	}
	if e := x.p.allow("VpcEndpointId", "ResetPolicy", "PolicyDocument", "AddRouteTableId", "RemoveRouteTableId", "AddSubnetId", "RemoveSubnetId",
		"AddSecurityGroupId", "RemoveSecurityGroupId", "PrivateDnsEnabled", "DryRun"); e != nil {
		return nil, e
	}
	id, e := x.p.required("VpcEndpointId")
	if e != nil {
		return nil, e
	}
	ep := x.knownEndpoint(id)
	if ep == nil {
		return nil, endpointIDs.unknownPL(id)
	}
	if st := ep.state(x.now); st == stateDeleting || st == stateDeleted {
		return nil, badRequest("IncorrectState", "VPC endpoint %s is in state %s and cannot be modified.", id, st)
	}
	v := x.w.vpc(ep.VpcID)
	svc, _ := x.service(ep.ServiceName)
	reset, e := x.p.boolean("ResetPolicy")
	if e != nil {
		return nil, e
	}
	if reset && x.p.has("PolicyDocument") {
		return nil, badRequest("InvalidParameterCombination", "ResetPolicy and PolicyDocument cannot be given together.")
	}
	if x.p.has("PolicyDocument") {
		if e := checkPolicy(x.p.str("PolicyDocument")); e != nil {
			return nil, e
		}
	}
	addRT, rmRT := x.p.list("AddRouteTableId"), x.p.list("RemoveRouteTableId")
	addSN, rmSN := x.p.list("AddSubnetId"), x.p.list("RemoveSubnetId")
	addSG, rmSG := x.p.list("AddSecurityGroupId"), x.p.list("RemoveSecurityGroupId")
	privDNS, privSet, e := x.p.optBool("PrivateDnsEnabled")
	if e != nil {
		return nil, e
	}
	if ep.Type == "Interface" {
		if len(addRT)+len(rmRT) > 0 {
			return nil, badRequest("InvalidParameter", "Route table IDs are only supported for Gateway type VPC Endpoint.")
		}
		if reset {
			// ResetPolicy is documented for gateway endpoints only
			// (API_ModifyVpcEndpoint: "(Gateway endpoint) Specify true to
			// reset the policy document"); the refusal's wording follows
			// the route-table one above (inferred, not captured).
			return nil, badRequest("InvalidParameter", "ResetPolicy is only supported for Gateway type VPC Endpoint.")
		}
		newSubnets := slices.DeleteFunc(slices.Clone(ep.SubnetIDs), func(s string) bool { return slices.Contains(rmSN, s) })
		for _, s := range addSN {
			if !slices.Contains(newSubnets, s) {
				newSubnets = append(newSubnets, s)
			}
		}
		if e := x.checkSubnets(newSubnets, v, svc); e != nil {
			return nil, e
		}
		for _, s := range rmSN {
			if !slices.Contains(ep.SubnetIDs, s) {
				return nil, badRequest("InvalidParameter", "The subnet %s is not associated with the endpoint %s.", s, ep.ID)
			}
		}
		if e := x.checkGroups(addSG, v); e != nil {
			return nil, e
		}
		newGroups := slices.DeleteFunc(slices.Clone(ep.GroupIDs), func(s string) bool { return slices.Contains(rmSG, s) })
		for _, g := range addSG {
			if !slices.Contains(newGroups, g) {
				newGroups = append(newGroups, g)
			}
		}
		if len(newGroups) == 0 {
			return nil, badRequest("InvalidParameter", "An Interface VPC Endpoint must have at least one security group.")
		}
		if privSet && privDNS && !ep.PrivateDNS {
			if svc.PrivateDNS == "" {
				return nil, badRequest("InvalidParameter", "Private DNS is not supported for the service %s.", svc.Name)
			}
			if !v.EnableDNSSupport || !v.EnableDNSHostnames {
				return nil, badRequest("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s", v.ID)
			}
			if x.privateDNSConflict(v.ID, svc.Name, ep.ID) != nil {
				return nil, badRequest("InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS domain for %s in the VPC %s", privateDomain(svc), v.ID)
			}
		}
		if e := x.checkDryRun(); e != nil {
			return nil, e
		}
		for _, s := range addSN {
			if !slices.Contains(ep.SubnetIDs, s) {
				x.addENI(ep, x.w.subnet(s))
			}
		}
		if len(rmSN) > 0 { // (nil would release every interface)
			x.releaseENIs(ep, rmSN, x.now.Add(x.s.opts.Timing.eniRelease(ep.ID+"/"+strings.Join(rmSN, ","))))
		}
		ep.SubnetIDs, ep.GroupIDs = newSubnets, newGroups
		for _, nid := range ep.ENIIDs {
			if n := x.w.eni(nid); n != nil {
				n.GroupIDs = slices.Clone(newGroups)
			}
		}
		if privSet {
			ep.PrivateDNS = privDNS
		}
	} else {
		if e := gatewayRefuses(append(addSN, rmSN...), append(addSG, rmSG...), privSet && privDNS); e != nil {
			return nil, e
		}
		if e := x.checkRouteTables(addRT, v); e != nil {
			return nil, e
		}
		if e := x.checkDryRun(); e != nil {
			return nil, e
		}
		if e := x.addPrefixRoutes(ep, addRT); e != nil {
			return nil, e
		}
		x.removePrefixRoutes(ep, rmRT)
		rts := slices.DeleteFunc(slices.Clone(ep.RouteTableIDs), func(s string) bool { return slices.Contains(rmRT, s) })
		for _, r := range addRT {
			if !slices.Contains(rts, r) {
				rts = append(rts, r)
			}
		}
		ep.RouteTableIDs = rts
	}
	newPolicy := ep.Policy
	if reset {
		newPolicy = defaultEndpointPolicy
	} else if x.p.has("PolicyDocument") {
		newPolicy = x.p.str("PolicyDocument")
	}
	if newPolicy != ep.Policy {
		// Requests go on being judged by the policy in force until the new
		// one has propagated (Timing.PolicyPropagation).
		if p := x.s.opts.Timing.PolicyPropagation; p > 0 {
			ep.PriorPolicy, ep.PolicyFrom = ep.enforced(x.now), x.now.Add(p)
		}
		ep.Policy = newPolicy
	}
	x.changed()
	return &struct {
		out
		Return bool `xml:"return"`
	}{Return: true}, nil
}

func ec2DeleteVpcEndpoints(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("VpcEndpointId", "DryRun"); e != nil {
		return nil, e
	}
	ids := x.p.list("VpcEndpointId")
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter VpcEndpointId")
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	fails := set[xUnsuccessful]{}
	t := x.s.opts.Timing
	for _, id := range ids {
		ep := x.knownEndpoint(id)
		if ep == nil || ep.state(x.now) == stateDeleted {
			var u xUnsuccessful
			u.ResourceID = id
			m := endpointIDs.unknownPL(id)
			u.Error.Code, u.Error.Message = m.Code, m.Message
			fails = append(fails, u)
			continue
		}
		if !ep.DeleteRequested.IsZero() {
			continue // already deleting
		}
		ep.DeleteRequested = x.now.UTC()
		ep.SeenDeletedAt = ep.DeleteRequested.Add(t.readLag("deleted", ep.ID))
		// An interface endpoint takes a while to delete and its network
		// interfaces linger after; a gateway endpoint, a route-table
		// entry, is deleted at once (and stays listed as deleted as long).
		ep.DeletedAt = ep.DeleteRequested
		if ep.Type == "Interface" {
			ep.DeletedAt = ep.DeleteRequested.Add(t.deleting(ep.ID))
		}
		ep.GoneAt = ep.DeletedAt.Add(t.eniRelease(ep.ID))
		if ep.Type == "Gateway" {
			x.removePrefixRoutes(ep, nil)
		}
		x.releaseENIs(ep, nil, ep.GoneAt)
		x.changed()
	}
	return &struct {
		out
		Unsuccessful set[xUnsuccessful] `xml:"unsuccessful"`
	}{Unsuccessful: fails}, nil
}

func serviceFilter(s endpointService, typ string) filterable {
	return filterable{
		names: []string{"service-name", "service-type", "service-region", "owner", "supported-ip-address-types"},
		values: func(n string) []string {
			switch n {
			case "supported-ip-address-types":
				return []string{"ipv4"}
			case "service-name":
				return []string{s.Name}
			case "service-type":
				return []string{typ}
			case "owner":
				return []string{"amazon"}
			}
			// service-region: com.amazonaws.REGION.… (cn.com.amazonaws.… in China)
			_, rest, _ := strings.Cut(s.Name, "amazonaws.")
			return []string{strings.Split(rest, ".")[0]}
		},
	}
}

func ec2DescribeVpcEndpointServices(x *ec2Ctx) (any, *APIError) {
	if e := x.p.notSupported("ServiceRegion"); e != nil {
		return nil, e
	}
	if e := x.p.allow("ServiceName", "Filter", "MaxResults", "NextToken", "DryRun"); e != nil {
		return nil, e
	}
	fs, e := x.p.knownFilters(serviceFilter(endpointService{}, "").names, true)
	if e != nil {
		return nil, e
	}
	names := x.p.list("ServiceName")
	for _, n := range names {
		if _, ok := x.service(n); !ok {
			return nil, badRequest("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", n)
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	var details []xServiceDetail
	for _, s := range x.services() {
		if len(names) > 0 && !slices.Contains(names, s.Name) {
			continue
		}
		for _, typ := range s.Types {
			if !serviceFilter(s, typ).match(fs) {
				continue
			}
			d := xServiceDetail{
				ServiceName: s.Name, ServiceID: "vpce-svc-" + hexOf(s.Name + "/" + typ)[:17],
				ServiceType: set[xServiceType]{{typ}}, ServiceRegion: x.w.Region, Owner: "amazon",
				AvailabilityZoneSet: set[string](slices.Clone(s.Zones)), BaseEndpointDNSNameSet: set[string]{s.BaseDNS},
				VpcEndpointPolicySupported: true, SupportedIPAddressTypeSet: set[string]{"ipv4"},
			}
			for _, z := range s.Zones {
				d.AvailabilityZoneIDSet = append(d.AvailabilityZoneIDSet, azID(x.w.Region, z))
			}
			if d.AvailabilityZoneIDSet == nil {
				d.AvailabilityZoneIDSet = set[string]{}
			}
			if typ == "Interface" && s.PrivateDNS != "" {
				d.PrivateDNSName = s.PrivateDNS
				d.PrivateDNSNameSet = set[xPrivateDNSName]{{s.PrivateDNS}}
				d.PrivateDNSNameVerificationState = "verified"
			}
			details = append(details, d)
		}
	}
	page, next, e := paginate(x, details, pagesUpTo1000)
	if e != nil {
		return nil, e
	}
	var svcNames []string
	for _, d := range page {
		if !slices.Contains(svcNames, d.ServiceName) {
			svcNames = append(svcNames, d.ServiceName)
		}
	}
	return &struct {
		out
		ServiceNames   set[string]         `xml:"serviceNameSet"`
		ServiceDetails set[xServiceDetail] `xml:"serviceDetailSet"`
		NextToken      string              `xml:"nextToken,omitempty"`
	}{ServiceNames: svcNames, ServiceDetails: page, NextToken: next}, nil
}
