package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ec2Ctx is one EC2 request being served: the world it reads (a copy it
// may change, for actions that write) and its parameters.
type ec2Ctx struct {
	*request
	p      params
	c      *apiCall
	dryRun bool
}

var ec2Ops operations[ec2Ctx, any]

func init() {
	ec2Ops = operations[ec2Ctx, any]{
		"DescribeVpcs":                  {ec2DescribeVpcs, false},
		"DescribeVpcAttribute":          {ec2DescribeVpcAttribute, false},
		"ModifyVpcAttribute":            {ec2ModifyVpcAttribute, true},
		"DescribeSubnets":               {ec2DescribeSubnets, false},
		"DescribeRouteTables":           {ec2DescribeRouteTables, false},
		"DescribeSecurityGroups":        {ec2DescribeSecurityGroups, false},
		"CreateSecurityGroup":           {ec2CreateSecurityGroup, true},
		"DeleteSecurityGroup":           {ec2DeleteSecurityGroup, true},
		"AuthorizeSecurityGroupIngress": {ec2AuthorizeSecurityGroupIngress, true},
		"RevokeSecurityGroupIngress":    {ec2RevokeSecurityGroupIngress, true},
		"RevokeSecurityGroupEgress":     {ec2RevokeSecurityGroupEgress, true},
		"DescribeSecurityGroupRules":    {ec2DescribeSecurityGroupRules, false},
		"CreateVpcEndpoint":             {ec2CreateVpcEndpoint, true},
		"DescribeVpcEndpoints":          {ec2DescribeVpcEndpoints, false},
		"ModifyVpcEndpoint":             {ec2ModifyVpcEndpoint, true},
		"DeleteVpcEndpoints":            {ec2DeleteVpcEndpoints, true},
		"DescribeVpcEndpointServices":   {ec2DescribeVpcEndpointServices, false},
		"DescribeNetworkInterfaces":     {ec2DescribeNetworkInterfaces, false},
		"CreateTags":                    {ec2CreateTags, true},
		"DeleteTags":                    {ec2DeleteTags, true},
		"DescribeTags":                  {ec2DescribeTags, false},
		"DescribeInstances":             {ec2DescribeInstances, false},
		"DescribeAvailabilityZones":     {ec2DescribeAvailabilityZones, false},
		"DescribePrefixLists":           {ec2DescribePrefixLists, false},
		"DescribeRegions":               {ec2DescribeRegions, false},
	}
}

// EC2Actions lists the EC2 operations the sandbox serves.
func EC2Actions() []string { return ec2Ops.names() }

func (s *Sandbox) handleEC2(c *apiCall, p params) ([]byte, *APIError) {
	op, ok := ec2Ops[c.action]
	if !ok {
		return nil, notServed("ec2", protoEC2, c.action, "", EC2Actions())
	}
	if v := p.str("Version"); v == "" {
		return nil, badRequest("MissingParameter", "The request must contain the parameter Version")
	}
	dry, err := p.boolean("DryRun")
	if err != nil {
		return nil, err
	}
	if s.opts.Faults.denies("ec2", c.action) {
		// IAM decides before DryRun does: a dry run of a denied call is
		// refused too.
		return nil, s.deniedAction("ec2", c.action, "")
	}
	if rt := tagOnCreate(c.action, p); rt != "" {
		// Tagging on create is authorized as ec2:CreateTags too.
		c.also = append(c.also, "CreateTags")
		if s.opts.Faults.TagPolicy || s.opts.Faults.denies("ec2", "CreateTags") {
			return nil, s.deniedOn("ec2", "CreateTags", "", rt+"/*")
		}
	}
	if e := s.authorizeEC2(c, p); e != nil {
		return nil, e
	}
	out, e := op.run(s, protoEC2, func(r *request) *ec2Ctx {
		if op.writes {
			r.w.prune(r.now)
		}
		return &ec2Ctx{request: r, p: p, c: c, dryRun: dry}
	})
	if e != nil {
		return nil, e
	}
	b, merr := marshalEC2(c.action, c.requestID, out)
	if merr != nil {
		return nil, internalError(protoEC2)
	}
	return b, nil
}

// checkDryRun answers DryRunOperation when the request asked for a dry run;
// handlers call it once validation has passed, just before acting.
func (x *ec2Ctx) checkDryRun() *APIError {
	if x.dryRun {
		return apiErr(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}

// changed marks the world for saving.
func (x *ec2Ctx) changed() { x.dirty = true }

type out struct {
	XMLName xml.Name `xml:"r"`
}

// pageRule is how an action treats MaxResults: the bounds, and whether a
// value above the maximum is an error or means the maximum (DescribeVpcEndpoints:
// "If the value is greater than 1,000, we return only 1,000 items").
type pageRule struct {
	lo, hi int
	clamp  bool
}

var (
	pages5to1000  = pageRule{lo: 5, hi: 1000}
	pages5to100   = pageRule{lo: 5, hi: 100}
	pagesUpTo1000 = pageRule{lo: 1, hi: 1000, clamp: true}
)

// paginate applies MaxResults/NextToken.
func paginate[T any](x *ec2Ctx, items []T, rule pageRule) ([]T, string, *APIError) {
	start := 0
	if tok := x.p.str("NextToken"); tok != "" {
		n, ok := tokenOffset(tok, x.c.action, len(items))
		if !ok {
			return nil, "", badRequest("InvalidNextToken", "The token '%s' is invalid.", tok)
		}
		start = n
	}
	limit, has, err := x.p.integer("MaxResults")
	if err != nil {
		return nil, "", err
	}
	if !has {
		return items[start:], "", nil
	}
	switch {
	case limit < rule.lo:
		// Sic: "greater than 5" where 5 itself is allowed, as AWS says it.
		return nil, "", badRequest("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", limit, rule.lo)
	case limit > rule.hi && rule.clamp:
		limit = rule.hi
	case limit > rule.hi:
		return nil, "", badRequest("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value smaller than or equal to %d.", limit, rule.hi)
	}
	page, next := pageFrom(items, x.c.action, start, limit)
	return page, next, nil
}

// describeSpec is what differs between the Describe* actions that take IDs,
// filters and paging; describe does the rest, in the order AWS checks it:
// parameters, filter names, that every asked-for ID exists, DryRun, then one
// page of the matching items.
type describeSpec[T, V any] struct {
	set     string // the element of the answer that holds the items: vpcSet
	idParam string
	more    []string // other parameters the action accepts
	items   []*T
	id      func(*T) string
	visible func(*T) bool // nil: every item is listed; an ID of a hidden one is not found
	filter  func(*T) filterable
	view    func(*T) V
	// kind is the kind of the ids; privateLink: the action is one of
	// PrivateLink's (VPC endpoints), which words its refusals its own way.
	kind        idKind
	privateLink bool
	page        pageRule
}

func describe[T, V any](x *ec2Ctx, s describeSpec[T, V]) (any, *APIError) {
	page, next, e := describePage(x, s)
	if e != nil {
		return nil, e
	}
	return describedPage[V]{setName: s.set, items: page, nextToken: next}, nil
}

// describedPage is a Describe*'s answer: one page of the items, in the set
// element the action names, and the token of the next page.
type describedPage[V any] struct {
	setName   string
	items     set[V]
	nextToken string
}

func (p describedPage[V]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = xml.Name{Local: "r"} // a wrapper marshalEC2 drops
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeElement(p.items, xml.StartElement{Name: xml.Name{Local: p.setName}}); err != nil {
		return err
	}
	if p.nextToken != "" {
		if err := e.EncodeElement(p.nextToken, xml.StartElement{Name: xml.Name{Local: "nextToken"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func describePage[T, V any](x *ec2Ctx, s describeSpec[T, V]) ([]V, string, *APIError) {
	if e := x.p.allow(append([]string{s.idParam, "Filter", "MaxResults", "NextToken", "DryRun"}, s.more...)...); e != nil {
		return nil, "", e
	}
	fs, e := x.p.filters("Filter")
	if e != nil {
		return nil, "", e
	}
	if bad := unknownFilter(fs, s.filter(new(T)).names, true); bad != "" {
		if s.privateLink {
			return nil, "", badRequest("InvalidParameterValue", "Unsupported filter attribute: [%s]", bad)
		}
		return nil, "", badFilter(bad)
	}
	ids := x.p.list(s.idParam)
	for _, id := range ids {
		if !s.kind.wellFormed(id) {
			if s.privateLink {
				return nil, "", s.kind.malformedPL(id)
			}
			return nil, "", s.kind.malformed(id)
		}
	}
	listed := func(it *T) bool { return s.visible == nil || s.visible(it) }
	for _, id := range ids {
		if !slices.ContainsFunc(s.items, func(it *T) bool { return s.id(it) == id && listed(it) }) {
			return nil, "", s.kind.notFound(id)
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, "", e
	}
	var views []V
	for _, it := range s.items {
		if listed(it) && (len(ids) == 0 || slices.Contains(ids, s.id(it))) && s.filter(it).match(fs) {
			views = append(views, s.view(it))
		}
	}
	return paginate(x, views, s.page)
}

// Filters.

// filterable describes how a kind of resource answers filters.
type filterable struct {
	names  []string
	values func(name string) []string
	tags   []tag
}

// unknownFilter returns the first filter name the resource does not answer
// to, or "".
func unknownFilter(fs []filter, names []string, taggable bool) string {
	for _, f := range fs {
		if taggable && (strings.HasPrefix(f.Name, "tag:") || f.Name == "tag-key" || f.Name == "tag-value") {
			continue
		}
		if !slices.Contains(names, f.Name) {
			return f.Name
		}
	}
	return ""
}

// knownFilters reads the request's filters and refuses an unknown filter
// name as classic EC2 calls do: InvalidParameterValue (not InvalidFilter,
// which no capture shows for it).
func (p params) knownFilters(names []string, taggable bool) ([]filter, *APIError) {
	fs, e := p.filters("Filter")
	if e != nil {
		return nil, e
	}
	if bad := unknownFilter(fs, names, taggable); bad != "" {
		return nil, badFilter(bad)
	}
	return fs, nil
}

func badFilter(name string) *APIError {
	return badRequest("InvalidParameterValue", "The filter '%s' is invalid", name)
}

func (r filterable) match(fs []filter) bool {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			key := strings.TrimPrefix(f.Name, "tag:")
			for _, t := range r.tags {
				if t.Key == key {
					have = append(have, t.Value)
				}
			}
		case f.Name == "tag-key":
			for _, t := range r.tags {
				have = append(have, t.Key)
			}
		case f.Name == "tag-value":
			for _, t := range r.tags {
				have = append(have, t.Value)
			}
		default:
			have = r.values(f.Name)
		}
		hit := false
		for _, want := range f.Values {
			for _, h := range have {
				if globMatch(want, h) {
					hit = true
				}
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

// Tag specifications.

func (x *ec2Ctx) tagSpecs(resourceType string) ([]tag, *APIError) {
	var tags []tag
	for _, spec := range x.p.structs("TagSpecification") {
		rt := spec.str("ResourceType")
		if rt != resourceType {
			return nil, badRequest("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		ts, err := parseTags(spec, "Tag", true)
		if err != nil {
			return nil, err
		}
		tags = append(tags, ts...)
	}
	return tags, nil
}

func parseTags(p params, prefix string, needValue bool) ([]tag, *APIError) {
	var out []tag
	for _, t := range p.structs(prefix) {
		k := t.str("Key")
		if k == "" {
			return nil, badRequest("InvalidParameterValue", "Tag key cannot be null or empty.")
		}
		if len(k) > 128 {
			return nil, badRequest("InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, badRequest("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
		v := t.str("Value")
		if len(v) > 256 {
			return nil, badRequest("InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters")
		}
		out = append(out, tag{Key: k, Value: v})
	}
	if len(out) > 50 {
		return nil, badRequest("TagLimitExceeded", "The maximum number of Tags for a resource is 50.")
	}
	return out, nil
}

// VPCs.

func (x *ec2Ctx) vpcView(v *vpc) xVpc {
	out := xVpc{
		VpcID: v.ID, OwnerID: x.w.Account, State: "available", CidrBlock: v.CIDR,
		CidrBlockAssociationSet: set[xVpcCidrAssoc]{{AssociationID: v.CIDRAssociationID, CidrBlock: v.CIDR, CidrBlockState: xCidrState{"associated"}}},
		DhcpOptionsID:           v.DhcpOptionsID, TagSet: xTags(x.w.tagsOf(v.ID)), InstanceTenancy: "default",
	}
	for _, b := range v.Secondary {
		out.CidrBlockAssociationSet = append(out.CidrBlockAssociationSet, xVpcCidrAssoc{AssociationID: b.AssociationID, CidrBlock: b.CIDR, CidrBlockState: xCidrState{"associated"}})
	}
	out.BlockPublicAccessStates.InternetGatewayBlockMode = "off"
	return out
}

func vpcFilter(w *world, v *vpc) filterable {
	return filterable{
		names: []string{"vpc-id", "cidr", "cidr-block-association.cidr-block", "cidr-block-association.association-id", "cidr-block-association.state", "dhcp-options-id", "is-default", "owner-id", "state"},
		tags:  w.tagsOf(v.ID),
		values: func(n string) []string {
			switch n {
			case "vpc-id":
				return []string{v.ID}
			case "cidr":
				return []string{v.CIDR}
			case "cidr-block-association.cidr-block":
				return v.cidrs()
			case "cidr-block-association.association-id":
				ids := []string{v.CIDRAssociationID}
				for _, b := range v.Secondary {
					ids = append(ids, b.AssociationID)
				}
				return ids
			case "cidr-block-association.state", "state":
				if n == "state" {
					return []string{"available"}
				}
				return []string{"associated"}
			case "dhcp-options-id":
				return []string{v.DhcpOptionsID}
			case "is-default":
				return []string{"false"}
			case "owner-id":
				return []string{w.Account}
			}
			return nil
		},
	}
}

func ec2DescribeVpcs(x *ec2Ctx) (any, *APIError) {
	return describe(x, describeSpec[vpc, xVpc]{
		set:     "vpcSet",
		idParam: "VpcId", items: x.w.VPCs, id: func(v *vpc) string { return v.ID },
		filter: func(v *vpc) filterable { return vpcFilter(x.w, v) }, view: x.vpcView, kind: vpcIDs, page: pages5to1000,
	})
}

func (x *ec2Ctx) vpcParam(name string) (*vpc, *APIError) {
	id, e := x.p.required(name)
	if e != nil {
		return nil, e
	}
	v := x.w.vpc(id)
	if v == nil {
		return nil, vpcIDs.unknown(id)
	}
	return v, nil
}

func ec2DescribeVpcAttribute(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("VpcId", "Attribute", "DryRun"); e != nil {
		return nil, e
	}
	attr, e := x.p.required("Attribute")
	if e != nil {
		return nil, e
	}
	v, e := x.vpcParam("VpcId")
	if e != nil {
		return nil, e
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	r := &struct {
		out
		VpcID              string      `xml:"vpcId"`
		EnableDNSHostnames *xBoolValue `xml:"enableDnsHostnames,omitempty"`
		EnableDNSSupport   *xBoolValue `xml:"enableDnsSupport,omitempty"`
		EnableNAUMetrics   *xBoolValue `xml:"enableNetworkAddressUsageMetrics,omitempty"`
	}{VpcID: v.ID}
	switch attr {
	case "enableDnsSupport":
		r.EnableDNSSupport = &xBoolValue{v.EnableDNSSupport}
	case "enableDnsHostnames":
		r.EnableDNSHostnames = &xBoolValue{v.EnableDNSHostnames}
	case "enableNetworkAddressUsageMetrics":
		r.EnableNAUMetrics = &xBoolValue{v.EnableNAUMetrics}
	default:
		return nil, badRequest("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	return r, nil
}

func ec2ModifyVpcAttribute(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("VpcId", "EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"); e != nil {
		return nil, e
	}
	v, e := x.vpcParam("VpcId")
	if e != nil {
		return nil, e
	}
	var set []string
	var val bool
	for _, name := range []string{"EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"} {
		b, present, e := x.p.optBool(name + ".Value")
		if e != nil {
			return nil, e
		}
		if present {
			set = append(set, name)
			val = b
		}
	}
	switch len(set) {
	case 0:
		return nil, badRequest("InvalidParameterCombination", "No attributes specified.")
	case 1:
	default:
		return nil, badRequest("InvalidParameterCombination", "Fields for multiple attribute types specified: %s", strings.Join(set, ", "))
	}
	if set[0] == "EnableDnsHostnames" && val && !v.EnableDNSSupport {
		return nil, badRequest("InvalidParameterValue", "Value (true) for parameter enableDnsHostnames is invalid. DNS hostnames can only be enabled when DNS resolution is enabled for the VPC.")
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	switch set[0] {
	case "EnableDnsSupport":
		v.EnableDNSSupport = val
	case "EnableDnsHostnames":
		v.EnableDNSHostnames = val
	default:
		v.EnableNAUMetrics = val
	}
	x.changed()
	return nil, nil
}

// Subnets.

func (x *ec2Ctx) subnetView(s *subnet) xSubnet {
	out := xSubnet{
		SubnetID: s.ID, SubnetArn: x.w.arn("ec2", x.w.Region, x.w.Account+":subnet/"+s.ID),
		State: "available", OwnerID: x.w.Account, VpcID: s.VpcID, CidrBlock: s.CIDR,
		AvailableIPAddressCount: x.w.freeIPs(s, x.now), AvailabilityZone: s.AZ, AvailabilityZoneID: s.AZID,
		MapPublicIPOnLaunch: s.PublicIP, TagSet: xTags(x.w.tagsOf(s.ID)),
	}
	out.PrivateDNSNameOptionsOnLaunch.HostnameType = "ip-name"
	out.BlockPublicAccessStates.InternetGatewayBlockMode = "off"
	return out
}

func subnetFilter(w *world, s *subnet) filterable {
	return filterable{
		names: []string{"subnet-id", "vpc-id", "availability-zone", "availability-zone-id", "availabilityZone", "cidr-block", "cidrBlock", "cidr", "state", "default-for-az", "defaultForAz", "map-public-ip-on-launch", "owner-id", "subnet-arn"},
		tags:  w.tagsOf(s.ID),
		values: func(n string) []string {
			switch n {
			case "subnet-id":
				return []string{s.ID}
			case "vpc-id":
				return []string{s.VpcID}
			case "availability-zone", "availabilityZone":
				return []string{s.AZ}
			case "availability-zone-id":
				return []string{s.AZID}
			case "cidr-block", "cidrBlock", "cidr":
				return []string{s.CIDR}
			case "state":
				return []string{"available"}
			case "default-for-az", "defaultForAz":
				return []string{"false"}
			case "map-public-ip-on-launch":
				return []string{boolStr(s.PublicIP)}
			case "owner-id":
				return []string{w.Account}
			case "subnet-arn":
				return []string{w.arn("ec2", w.Region, w.Account+":subnet/"+s.ID)}
			}
			return nil
		},
	}
}

func ec2DescribeSubnets(x *ec2Ctx) (any, *APIError) {
	return describe(x, describeSpec[subnet, xSubnet]{
		set:     "subnetSet",
		idParam: "SubnetId", items: x.w.Subnets, id: func(s *subnet) string { return s.ID },
		filter: func(s *subnet) filterable { return subnetFilter(x.w, s) }, view: x.subnetView, kind: subnetIDs, page: pages5to1000,
	})
}

// Route tables.

func (x *ec2Ctx) routeTableView(rt *routeTable) xRouteTable {
	out := xRouteTable{RouteTableID: rt.ID, VpcID: rt.VpcID, OwnerID: x.w.Account, TagSet: xTags(x.w.tagsOf(rt.ID))}
	for _, r := range rt.Routes {
		out.RouteSet = append(out.RouteSet, xRoute{
			DestinationCidrBlock: r.DestinationCIDR, DestinationPrefixListID: r.DestinationPrefixList,
			GatewayID: r.GatewayID, State: "active", Origin: r.Origin,
		})
	}
	if rt.Main {
		out.AssociationSet = append(out.AssociationSet, xRTAssoc{RouteTableAssociationID: rt.MainAssocID, RouteTableID: rt.ID, Main: true, AssociationState: xAssocState{"associated"}})
	}
	for _, a := range rt.Associations {
		out.AssociationSet = append(out.AssociationSet, xRTAssoc{RouteTableAssociationID: a.ID, RouteTableID: rt.ID, SubnetID: a.SubnetID, AssociationState: xAssocState{"associated"}})
	}
	if out.RouteSet == nil {
		out.RouteSet = set[xRoute]{}
	}
	if out.AssociationSet == nil {
		out.AssociationSet = set[xRTAssoc]{}
	}
	return out
}

func routeTableFilter(w *world, rt *routeTable) filterable {
	return filterable{
		names: []string{"route-table-id", "vpc-id", "owner-id", "association.subnet-id", "association.main", "association.route-table-association-id", "association.route-table-id",
			"association.association-state", "route.destination-cidr-block", "route.destination-prefix-list-id", "route.gateway-id", "route.origin", "route.state"},
		tags: w.tagsOf(rt.ID),
		values: func(n string) []string {
			var out []string
			switch n {
			case "route-table-id", "association.route-table-id":
				if n == "association.route-table-id" && !rt.Main && len(rt.Associations) == 0 {
					return nil
				}
				return []string{rt.ID}
			case "vpc-id":
				return []string{rt.VpcID}
			case "owner-id":
				return []string{w.Account}
			case "association.subnet-id":
				for _, a := range rt.Associations {
					out = append(out, a.SubnetID)
				}
			case "association.main":
				if rt.Main {
					return []string{"true"}
				}
				if len(rt.Associations) > 0 {
					return []string{"false"}
				}
			case "association.route-table-association-id":
				if rt.Main {
					out = append(out, rt.MainAssocID)
				}
				for _, a := range rt.Associations {
					out = append(out, a.ID)
				}
			case "association.association-state":
				if rt.Main || len(rt.Associations) > 0 {
					out = append(out, "associated")
				}
			case "route.destination-cidr-block":
				for _, r := range rt.Routes {
					if r.DestinationCIDR != "" {
						out = append(out, r.DestinationCIDR)
					}
				}
			case "route.destination-prefix-list-id":
				for _, r := range rt.Routes {
					if r.DestinationPrefixList != "" {
						out = append(out, r.DestinationPrefixList)
					}
				}
			case "route.gateway-id":
				for _, r := range rt.Routes {
					out = append(out, r.GatewayID)
				}
			case "route.origin":
				for _, r := range rt.Routes {
					out = append(out, r.Origin)
				}
			case "route.state":
				out = append(out, "active")
			}
			return out
		},
	}
}

func ec2DescribeRouteTables(x *ec2Ctx) (any, *APIError) {
	return describe(x, describeSpec[routeTable, xRouteTable]{
		set:     "routeTableSet",
		idParam: "RouteTableId", items: x.w.RouteTables, id: func(rt *routeTable) string { return rt.ID },
		filter: func(rt *routeTable) filterable { return routeTableFilter(x.w, rt) }, view: x.routeTableView, kind: routeTableIDs, page: pages5to100,
	})
}

// Network interfaces.

func (x *ec2Ctx) groupIdents(ids []string) set[xGroupIdentifier] {
	out := set[xGroupIdentifier]{}
	for _, id := range ids {
		name := ""
		if g := x.w.group(id); g != nil {
			name = g.Name
		}
		out = append(out, xGroupIdentifier{GroupID: id, GroupName: name})
	}
	return out
}

func privateDNSName(ip, region string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

func (x *ec2Ctx) eniView(n *eni) xNetworkInterface {
	sn := x.w.subnet(n.SubnetID)
	azid := ""
	if sn != nil {
		azid = sn.AZID
	}
	out := xNetworkInterface{
		NetworkInterfaceID: n.ID, SubnetID: n.SubnetID, VpcID: n.VpcID, AvailabilityZone: n.AZ, AvailabilityZoneID: azid,
		Description: n.Description, OwnerID: x.w.Account, RequesterID: n.RequesterID, RequesterManaged: n.RequesterManaged,
		Status: "in-use", MacAddress: n.MAC, PrivateIPAddress: n.IP, PrivateDNSName: privateDNSName(n.IP, x.w.Region),
		SourceDestCheck: true, GroupSet: x.groupIdents(n.GroupIDs), TagSet: xTags(x.w.tagsOf(n.ID)),
		PrivateIPAddressesSet: set[xPrivateIP]{{PrivateIPAddress: n.IP, PrivateDNSName: privateDNSName(n.IP, x.w.Region), Primary: true}},
		InterfaceType:         n.InterfaceType,
	}
	if n.InstanceID != "" {
		out.Attachment = &xAttachment{AttachmentID: n.AttachmentID, InstanceID: n.InstanceID, InstanceOwnerID: x.w.Account, Status: "attached", AttachTime: ec2Time(n.AttachTime), DeleteOnTermination: true}
	}
	return out
}

func eniFilter(w *world, n *eni) filterable {
	return filterable{
		names: []string{"network-interface-id", "subnet-id", "vpc-id", "group-id", "availability-zone", "status", "interface-type", "requester-managed", "requester-id",
			"description", "private-ip-address", "addresses.private-ip-address", "mac-address", "attachment.instance-id", "owner-id"},
		tags: w.tagsOf(n.ID),
		values: func(name string) []string {
			switch name {
			case "network-interface-id":
				return []string{n.ID}
			case "subnet-id":
				return []string{n.SubnetID}
			case "vpc-id":
				return []string{n.VpcID}
			case "group-id":
				return n.GroupIDs
			case "availability-zone":
				return []string{n.AZ}
			case "status":
				return []string{"in-use"}
			case "interface-type":
				return []string{n.InterfaceType}
			case "requester-managed":
				return []string{boolStr(n.RequesterManaged)}
			case "requester-id":
				return []string{n.RequesterID}
			case "description":
				return []string{n.Description}
			case "private-ip-address", "addresses.private-ip-address":
				return []string{n.IP}
			case "mac-address":
				return []string{n.MAC}
			case "attachment.instance-id":
				return []string{n.InstanceID}
			case "owner-id":
				return []string{w.Account}
			}
			return nil
		},
	}
}

func ec2DescribeNetworkInterfaces(x *ec2Ctx) (any, *APIError) {
	live := func(n *eni) bool { return n.live(x.now) }
	return describe(x, describeSpec[eni, xNetworkInterface]{
		set:     "networkInterfaceSet",
		idParam: "NetworkInterfaceId", more: []string{"IncludeManagedResources"}, items: x.w.ENIs, id: func(n *eni) string { return n.ID },
		visible: live, filter: func(n *eni) filterable { return eniFilter(x.w, n) }, view: x.eniView, kind: eniIDs, page: pages5to1000,
	})
}

// Tags.

// resourceType finds a taggable resource by id: its type for DescribeTags, or
// the NotFound error AWS gives.
func (x *ec2Ctx) resourceType(id string) (string, *APIError) {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "vpc":
		if x.w.vpc(id) != nil {
			return "vpc", nil
		}
		return "", vpcIDs.notFound(id)
	case "subnet":
		if x.w.subnet(id) != nil {
			return "subnet", nil
		}
		return "", subnetIDs.notFound(id)
	case "rtb":
		if x.w.routeTable(id) != nil {
			return "route-table", nil
		}
		return "", routeTableIDs.notFound(id)
	case "sg":
		if x.seenGroup(id) != nil {
			return "security-group", nil
		}
		return "", groupIDs.notFound(id)
	case "sgr":
		for _, r := range x.w.Rules {
			if r.ID == id {
				return "security-group-rule", nil
			}
		}
		return "", ruleIDs.notFound(id)
	case "vpce":
		if x.w.endpoint(id, x.now) != nil {
			return "vpc-endpoint", nil
		}
		return "", endpointIDs.unknownPL(id)
	case "eni":
		if n := x.w.eni(id); n != nil && n.live(x.now) {
			return "network-interface", nil
		}
		return "", eniIDs.notFound(id)
	case "i":
		if x.w.Instance.ID == id {
			return "instance", nil
		}
		return "", instanceIDs.notFound(id)
	}
	return "", badRequest("InvalidID", "The ID '%s' is not valid", id)
}

// tagResources reads the resources a CreateTags or DeleteTags names
// (ResourceId.N, at least one).
func (x *ec2Ctx) tagResources() ([]string, *APIError) {
	if e := x.p.allow("ResourceId", "Tag", "DryRun"); e != nil {
		return nil, e
	}
	ids := x.p.list("ResourceId")
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	return ids, nil
}

// readyToTag is the last check of a CreateTags or DeleteTags, once its
// tags are read: every resource exists (else its kind's NotFound), then
// DryRun.
func (x *ec2Ctx) readyToTag(ids []string) *APIError {
	for _, id := range ids {
		if _, e := x.resourceType(id); e != nil {
			return e
		}
	}
	return x.checkDryRun()
}

func ec2CreateTags(x *ec2Ctx) (any, *APIError) {
	ids, e := x.tagResources()
	if e != nil {
		return nil, e
	}
	tags, e := parseTags(x.p, "Tag", false)
	if e != nil {
		return nil, e
	}
	if len(tags) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter tagSet")
	}
	if e := x.readyToTag(ids); e != nil {
		return nil, e
	}
	for _, id := range ids {
		x.w.setTags(id, tags)
	}
	x.changed()
	return nil, nil
}

func ec2DeleteTags(x *ec2Ctx) (any, *APIError) {
	ids, e := x.tagResources()
	if e != nil {
		return nil, e
	}
	type del struct {
		key, value string
		hasValue   bool
	}
	var dels []del
	for _, t := range x.p.structs("Tag") {
		k := t.str("Key")
		if k == "" {
			return nil, badRequest("InvalidParameterValue", "Tag key cannot be null or empty.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, badRequest("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
		dels = append(dels, del{k, t.str("Value"), t.has("Value")})
	}
	if e := x.readyToTag(ids); e != nil {
		return nil, e
	}
	for _, id := range ids {
		cur := x.w.Tags[id]
		cur = slices.DeleteFunc(cur, func(t tag) bool {
			if len(dels) == 0 {
				return true
			}
			for _, d := range dels {
				if d.key == t.Key && (!d.hasValue || d.value == t.Value) {
					return true
				}
			}
			return false
		})
		if len(cur) == 0 {
			delete(x.w.Tags, id)
		} else {
			x.w.Tags[id] = cur
		}
	}
	x.changed()
	return nil, nil
}

func ec2DescribeTags(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("Filter", "MaxResults", "NextToken", "DryRun"); e != nil {
		return nil, e
	}
	names := []string{"resource-id", "resource-type", "key", "value"}
	fs, e := x.p.knownFilters(names, true)
	if e != nil {
		return nil, e
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	ids := make([]string, 0, len(x.w.Tags))
	for id := range x.w.Tags {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var views []xTagDescription
	for _, id := range ids {
		rt, e := x.resourceType(id)
		if e != nil {
			continue // a resource gone by now
		}
		for _, t := range x.w.Tags[id] {
			td := xTagDescription{ResourceID: id, ResourceType: rt, Key: t.Key, Value: t.Value}
			f := filterable{names: names, tags: x.w.Tags[id], values: func(n string) []string {
				switch n {
				case "resource-id":
					return []string{td.ResourceID}
				case "resource-type":
					return []string{td.ResourceType}
				case "key":
					return []string{td.Key}
				case "value":
					return []string{td.Value}
				}
				return nil
			}}
			if f.match(fs) {
				views = append(views, td)
			}
		}
	}
	page, next, e := paginate(x, views, pages5to1000)
	if e != nil {
		return nil, e
	}
	return describedPage[xTagDescription]{setName: "tagSet", items: page, nextToken: next}, nil
}

// paramsHash fingerprints a request's parameters for ClientToken idempotency.
func paramsHash(p params) string {
	keys := make([]string, 0, len(p.v))
	for k := range p.v {
		switch k {
		case "ClientToken", "DryRun", "Version":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "=" + p.v.Get(k) + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
