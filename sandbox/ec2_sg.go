package sandbox

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

func (x *ec2Ctx) sgArn(id string) string {
	return x.w.arn("ec2", x.w.Region, x.w.Account+":security-group/"+id)
}

func (x *ec2Ctx) sgRuleArn(id string) string {
	return x.w.arn("ec2", x.w.Region, x.w.Account+":security-group-rule/"+id)
}

func portPtr(r *sgRule) (*int, *int) {
	if r.Protocol == "-1" {
		return nil, nil
	}
	f, t := r.FromPort, r.ToPort
	return &f, &t
}

// permissions groups a security group's rules into IpPermission items the
// way DescribeSecurityGroups does: one per protocol and port range.
func (x *ec2Ctx) permissions(groupID string, egress bool) set[xIPPermission] {
	out := set[xIPPermission]{}
	index := map[string]int{}
	for _, r := range x.w.Rules {
		if r.GroupID != groupID || r.Egress != egress {
			continue
		}
		key := fmt.Sprintf("%s/%d/%d", r.Protocol, r.FromPort, r.ToPort)
		i, ok := index[key]
		if !ok {
			from, to := portPtr(r)
			out = append(out, xIPPermission{IPProtocol: r.Protocol, FromPort: from, ToPort: to, Groups: set[xGroupPair]{}, IPRanges: set[xIPRange]{}})
			i = len(out) - 1
			index[key] = i
		}
		if r.RefGroupID != "" {
			out[i].Groups = append(out[i].Groups, xGroupPair{UserID: x.w.Account, GroupID: r.RefGroupID})
		} else {
			out[i].IPRanges = append(out[i].IPRanges, xIPRange{CidrIP: r.CIDRv4, Description: r.Description})
		}
	}
	return out
}

func (x *ec2Ctx) groupView(g *securityGroup) xSecurityGroup {
	return xSecurityGroup{
		OwnerID: x.w.Account, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VpcID,
		IPPermissions: x.permissions(g.ID, false), IPPermissionsEgress: x.permissions(g.ID, true),
		TagSet: xTags(x.w.tagsOf(g.ID)), SecurityGroupArn: x.sgArn(g.ID),
	}
}

func (x *ec2Ctx) ruleView(r *sgRule) xSGRule {
	v := xSGRule{
		SecurityGroupRuleID: r.ID, GroupID: r.GroupID, GroupOwnerID: x.w.Account, IsEgress: r.Egress,
		IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, CidrIpv4: r.CIDRv4, Description: r.Description,
		TagSet: xTags(x.w.tagsOf(r.ID)), SecurityGroupRuleArn: x.sgRuleArn(r.ID),
	}
	if r.RefGroupID != "" {
		v.ReferencedGroupInfo = &xRefGroup{GroupID: r.RefGroupID, UserID: x.w.Account}
	}
	return v
}

func groupFilter(x *ec2Ctx, g *securityGroup) filterable {
	return filterable{
		names: []string{"group-id", "group-name", "vpc-id", "description", "owner-id", "ip-permission.protocol", "ip-permission.from-port", "ip-permission.to-port",
			"ip-permission.group-id", "ip-permission.cidr", "egress.ip-permission.cidr", "egress.ip-permission.group-id"},
		tags: x.w.tagsOf(g.ID),
		values: func(n string) []string {
			var out []string
			switch n {
			case "group-id":
				return []string{g.ID}
			case "group-name":
				return []string{g.Name}
			case "vpc-id":
				return []string{g.VpcID}
			case "description":
				return []string{g.Description}
			case "owner-id":
				return []string{x.w.Account}
			}
			for _, r := range x.w.Rules {
				if r.GroupID != g.ID {
					continue
				}
				switch {
				case n == "egress.ip-permission.cidr" && r.Egress && r.CIDRv4 != "":
					out = append(out, r.CIDRv4)
				case n == "egress.ip-permission.group-id" && r.Egress && r.RefGroupID != "":
					out = append(out, r.RefGroupID)
				case r.Egress:
				case n == "ip-permission.protocol":
					out = append(out, r.Protocol)
				case n == "ip-permission.from-port":
					out = append(out, strconv.Itoa(r.FromPort))
				case n == "ip-permission.to-port":
					out = append(out, strconv.Itoa(r.ToPort))
				case n == "ip-permission.group-id" && r.RefGroupID != "":
					out = append(out, r.RefGroupID)
				case n == "ip-permission.cidr" && r.CIDRv4 != "":
					out = append(out, r.CIDRv4)
				}
			}
			return out
		},
	}
}

// seenGroup is the group reads know by id at this moment (a group created
// moments ago is not known yet: Timing.ReadLag), or nil.
func (x *ec2Ctx) seenGroup(id string) *securityGroup {
	if g := x.w.group(id); g != nil && g.seen(x.now) {
		return g
	}
	return nil
}

// goneGroup is a deleted group reads still list, or nil.
func (x *ec2Ctx) goneGroup(id string) *goneGroup {
	for _, g := range x.w.GoneGroups {
		if g.Group.ID == id && x.now.Before(g.Until) {
			return g
		}
	}
	return nil
}

func (x *ec2Ctx) groupNotFound(id string) *APIError {
	return groupIDs.unknown(id)
}

func ec2DescribeSecurityGroups(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("GroupId", "GroupName", "Filter", "MaxResults", "NextToken", "DryRun"); e != nil {
		return nil, e
	}
	fs, e := x.p.knownFilters(groupFilter(x, &securityGroup{}).names, true)
	if e != nil {
		return nil, e
	}
	ids, names := x.p.list("GroupId"), x.p.list("GroupName")
	for _, id := range ids {
		if x.seenGroup(id) == nil && x.goneGroup(id) == nil {
			return nil, x.groupNotFound(id)
		}
	}
	if len(names) > 0 {
		return nil, noDefaultVPC()
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	var views []xSecurityGroup
	for _, g := range x.w.Groups {
		if len(ids) > 0 && !slices.Contains(ids, g.ID) || len(names) > 0 && !slices.Contains(names, g.Name) || !g.seen(x.now) {
			continue
		}
		if groupFilter(x, g).match(fs) {
			views = append(views, x.groupView(g))
		}
	}
	// Deleted moments ago: reads still list it, as it was (its rules went
	// with it).
	for _, gg := range x.w.GoneGroups {
		g := gg.Group
		if len(ids) > 0 && !slices.Contains(ids, g.ID) || !x.now.Before(gg.Until) {
			continue
		}
		f := groupFilter(x, &g)
		f.tags = gg.Tags
		if f.match(fs) {
			v := x.groupView(&g)
			v.TagSet = xTags(gg.Tags)
			views = append(views, v)
		}
	}
	page, next, e := paginate(x, views, pages5to1000)
	if e != nil {
		return nil, e
	}
	return describedPage[xSecurityGroup]{setName: "securityGroupInfo", items: page, nextToken: next}, nil
}

func ec2CreateSecurityGroup(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("GroupName", "GroupDescription", "VpcId", "TagSpecification", "DryRun"); e != nil {
		return nil, e
	}
	name, e := x.p.required("GroupName")
	if e != nil {
		return nil, e
	}
	desc, e := x.p.required("GroupDescription")
	if e != nil {
		return nil, e
	}
	if len(name) > 255 || len(desc) > 255 {
		return nil, badRequest("InvalidParameterValue", "Value for parameter GroupName or GroupDescription is too long (at most 255 characters).")
	}
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, badRequest("InvalidParameterValue", "Group names may not be in the format sg-*")
	}
	vpcID := x.p.str("VpcId")
	if vpcID == "" {
		return nil, badRequest("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	v := x.w.vpc(vpcID)
	if v == nil && !vpcIDs.wellFormed(vpcID) {
		return nil, badRequest(vpcIDs.malformedCode, "The vpc ID '%s' is malformed", vpcID)
	}
	if v == nil {
		return nil, vpcIDs.notFound(vpcID)
	}
	if name == "default" {
		return nil, badRequest("InvalidGroup.Reserved", "The security group 'default' is reserved")
	}
	if x.w.groupByName(v.ID, name) != nil {
		return nil, badRequest("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, v.ID)
	}
	tags, e := x.tagSpecs("security-group")
	if e != nil {
		return nil, e
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	g := &securityGroup{ID: x.w.id("sg"), Name: name, Description: desc, VpcID: v.ID}
	g.SeenFrom = x.now.Add(x.s.opts.Timing.readLag("created", g.ID))
	x.w.Groups = append(x.w.Groups, g)
	x.w.Rules = append(x.w.Rules, &sgRule{ID: x.w.id("sgr"), GroupID: g.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"})
	x.w.setTags(g.ID, tags)
	if x.s.opts.Faults.SGReferenced {
		x.referenceGroup(g)
	}
	x.changed()
	return &struct {
		out
		GroupID          string    `xml:"groupId"`
		TagSet           set[xTag] `xml:"tagSet,omitempty"`
		SecurityGroupArn string    `xml:"securityGroupArn"`
	}{GroupID: g.ID, TagSet: xTags(tags), SecurityGroupArn: x.sgArn(g.ID)}, nil
}

// ReferencingGroupName is the name of the other team's group whose rules
// refer to the caller's new groups under Faults.SGReferenced.
const ReferencingGroupName = "team-b-app"

// referenceGroup gives the other team's group (made on first use) an
// outbound HTTPS rule to g (Faults.SGReferenced).
func (x *ec2Ctx) referenceGroup(g *securityGroup) {
	other := x.w.groupByName(g.VpcID, ReferencingGroupName)
	if other == nil {
		other = &securityGroup{ID: x.w.id("sg"), Name: ReferencingGroupName, Description: "team B's application servers", VpcID: g.VpcID}
		x.w.Groups = append(x.w.Groups, other)
		x.w.Rules = append(x.w.Rules, &sgRule{ID: x.w.id("sgr"), GroupID: other.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"})
		x.w.setTags(other.ID, []tag{{Key: "Name", Value: ReferencingGroupName}})
	}
	x.w.Rules = append(x.w.Rules, &sgRule{ID: x.w.id("sgr"), GroupID: other.ID, Egress: true, Protocol: "tcp", FromPort: 443, ToPort: 443,
		RefGroupID: g.ID, Description: "HTTPS to the ECR endpoints"})
}

// noDefaultVPC is EC2's answer to a security group named rather than given by
// id in an account without a default VPC (like the lab's): names only work in
// the default VPC.
func noDefaultVPC() *APIError {
	return badRequest("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
}

// groupParam resolves GroupId (GroupName needs a default VPC).
func (x *ec2Ctx) groupParam() (*securityGroup, *APIError) {
	id, name := x.p.str("GroupId"), x.p.str("GroupName")
	switch {
	case id != "":
		g := x.seenGroup(id)
		if g == nil {
			return nil, x.groupNotFound(id)
		}
		return g, nil
	case name != "":
		return nil, noDefaultVPC()
	}
	return nil, badRequest("MissingParameter", "The request must contain the parameter groupName or groupId")
}

func ec2DeleteSecurityGroup(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("GroupId", "GroupName", "DryRun"); e != nil {
		return nil, e
	}
	g, e := x.groupParam()
	if e != nil {
		return nil, e
	}
	if g.Name == "default" {
		return nil, badRequest("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.ID)
	}
	for _, n := range x.w.ENIs {
		if n.live(x.now) && slices.Contains(n.GroupIDs, g.ID) {
			return nil, badRequest("DependencyViolation", "resource %s has a dependent object", g.ID)
		}
	}
	for _, r := range x.w.Rules {
		if r.RefGroupID == g.ID && r.GroupID != g.ID {
			return nil, badRequest("DependencyViolation", "resource %s has a dependent object", g.ID)
		}
	}
	for _, ep := range x.w.Endpoints {
		if ep.DeleteRequested.IsZero() && slices.Contains(ep.GroupIDs, g.ID) {
			return nil, badRequest("DependencyViolation", "resource %s has a dependent object", g.ID)
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	if lag := x.s.opts.Timing.readLag("deleted", g.ID); lag > 0 {
		x.w.GoneGroups = append(x.w.GoneGroups, &goneGroup{Group: *g, Tags: x.w.tagsOf(g.ID), Until: x.now.Add(lag)})
	}
	x.w.Groups = slices.DeleteFunc(x.w.Groups, func(o *securityGroup) bool { return o == g })
	x.w.Rules = slices.DeleteFunc(x.w.Rules, func(r *sgRule) bool {
		if r.GroupID == g.ID {
			delete(x.w.Tags, r.ID)
			return true
		}
		return false
	})
	delete(x.w.Tags, g.ID)
	x.changed()
	return &struct {
		out
		Return  bool   `xml:"return"`
		GroupID string `xml:"groupId"`
	}{Return: true, GroupID: g.ID}, nil
}

// normProtocol turns tcp/6, udp/17, icmp/1, -1/all into EC2's spelling.
func normProtocol(p string) (string, bool) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", true
	case "udp", "17":
		return "udp", true
	case "icmp", "1":
		return "icmp", true
	case "-1", "all":
		return "-1", true
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, true
	}
	return "", false
}

// permissionRules turns the request's permissions (IpPermissions.N or the
// legacy top-level fields) into rules for group g, validated.
func (x *ec2Ctx) permissionRules(g *securityGroup) ([]*sgRule, *APIError) {
	type perm struct {
		p      params
		legacy bool
	}
	var perms []perm
	for _, sp := range x.p.structs("IpPermissions") {
		perms = append(perms, perm{p: sp})
	}
	if x.p.has("IpProtocol") || x.p.has("CidrIp") || x.p.has("SourceSecurityGroupName") || x.p.has("FromPort") {
		perms = append(perms, perm{p: x.p, legacy: true})
	}
	if len(perms) == 0 {
		return nil, badRequest("MissingParameter", "Either 'ipPermissions' or 'securityGroupRuleIds' should be provided.")
	}
	var rules []*sgRule
	for _, pm := range perms {
		protoRaw := pm.p.str("IpProtocol")
		if protoRaw == "" {
			if pm.legacy && x.p.has("SourceSecurityGroupName") {
				protoRaw = "-1"
			} else {
				return nil, badRequest("MissingParameter", "The request must contain the parameter ipProtocol")
			}
		}
		proto, ok := normProtocol(protoRaw)
		if !ok {
			return nil, badRequest("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", protoRaw)
		}
		from, hasFrom, e := pm.p.integer("FromPort")
		if e != nil {
			return nil, e
		}
		to, hasTo, e := pm.p.integer("ToPort")
		if e != nil {
			return nil, e
		}
		switch proto {
		case "-1":
			from, to = -1, -1
		case "tcp", "udp":
			if !hasFrom || !hasTo {
				return nil, badRequest("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange")
			}
			if from < 0 || to > 65535 || from > to {
				return nil, badRequest("InvalidParameterValue", "Invalid value for portRange. Must specify a valid fromPort and toPort.")
			}
		default:
			if !hasFrom {
				from = -1
			}
			if !hasTo {
				to = -1
			}
		}
		var cidrs []xIPRange
		var refs []string
		if pm.legacy {
			if c := x.p.str("CidrIp"); c != "" {
				cidrs = append(cidrs, xIPRange{CidrIP: c})
			}
			if x.p.str("SourceSecurityGroupName") != "" {
				return nil, noDefaultVPC()
			}
		} else {
			for _, r := range pm.p.structs("IpRanges") {
				cidrs = append(cidrs, xIPRange{CidrIP: r.str("CidrIp"), Description: r.str("Description")})
			}
			for _, gp := range pm.p.structs("Groups") {
				id, name := gp.str("GroupId"), gp.str("GroupName")
				var rg *securityGroup
				switch {
				case id != "":
					if rg = x.seenGroup(id); rg == nil {
						return nil, x.groupNotFound(id)
					}
				case name != "":
					return nil, noDefaultVPC()
				default:
					return nil, badRequest("MissingParameter", "The request must contain the parameter groupId or groupName")
				}
				if rg.VpcID != g.VpcID {
					return nil, badRequest("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.")
				}
				refs = append(refs, rg.ID)
			}
			if len(pm.p.structs("Ipv6Ranges")) > 0 || len(pm.p.structs("PrefixListIds")) > 0 {
				return nil, badRequest("InvalidParameterValue", "IPv6 ranges and prefix lists are not supported by the ecr-vpce-lab sandbox.")
			}
		}
		if len(cidrs) == 0 && len(refs) == 0 {
			return nil, badRequest("MissingParameter", "The request must contain the parameter cidrIp, groupId or groupName")
		}
		for _, c := range cidrs {
			pfx, err := netip.ParsePrefix(c.CidrIP)
			if err != nil || !pfx.Addr().Is4() {
				return nil, badRequest("InvalidParameterValue", "CIDR block %s is malformed", c.CidrIP)
			}
			rules = append(rules, &sgRule{GroupID: g.ID, Protocol: proto, FromPort: from, ToPort: to, CIDRv4: pfx.Masked().String(), Description: c.Description})
		}
		for _, ref := range refs {
			rules = append(rules, &sgRule{GroupID: g.ID, Protocol: proto, FromPort: from, ToPort: to, RefGroupID: ref})
		}
	}
	return rules, nil
}

func sameRule(a, b *sgRule) bool {
	return a.GroupID == b.GroupID && a.Egress == b.Egress && a.Protocol == b.Protocol && a.FromPort == b.FromPort &&
		a.ToPort == b.ToPort && a.CIDRv4 == b.CIDRv4 && a.RefGroupID == b.RefGroupID
}

func ruleText(r *sgRule) string {
	peer := r.CIDRv4
	if r.RefGroupID != "" {
		peer = r.RefGroupID
	}
	proto := strings.ToUpper(r.Protocol)
	if r.Protocol == "-1" {
		proto = "ALL"
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, proto, r.FromPort, r.ToPort)
}

func ec2AuthorizeSecurityGroupIngress(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("GroupId", "GroupName", "IpPermissions", "IpProtocol", "FromPort", "ToPort", "CidrIp", "SourceSecurityGroupName", "SourceSecurityGroupOwnerId", "TagSpecification", "DryRun"); e != nil {
		return nil, e
	}
	g, e := x.groupParam()
	if e != nil {
		return nil, e
	}
	rules, e := x.permissionRules(g)
	if e != nil {
		return nil, e
	}
	for i, r := range rules {
		for _, old := range x.w.Rules {
			if sameRule(r, old) {
				return nil, badRequest("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", ruleText(r))
			}
		}
		for _, o := range rules[:i] {
			if sameRule(r, o) {
				return nil, badRequest("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", ruleText(r))
			}
		}
	}
	tags, e := x.tagSpecs("security-group-rule")
	if e != nil {
		return nil, e
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	views := set[xSGRule]{}
	for _, r := range rules {
		r.ID = x.w.id("sgr")
		x.w.Rules = append(x.w.Rules, r)
		x.w.setTags(r.ID, tags)
		views = append(views, x.ruleView(r))
	}
	x.changed()
	return &struct {
		out
		Return bool         `xml:"return"`
		Rules  set[xSGRule] `xml:"securityGroupRuleSet"`
	}{Return: true, Rules: views}, nil
}

func revokedView(r *sgRule) xRevokedRule {
	return xRevokedRule{
		SecurityGroupRuleID: r.ID, GroupID: r.GroupID, IsEgress: r.Egress, IPProtocol: r.Protocol, FromPort: r.FromPort,
		ToPort: r.ToPort, CidrIpv4: r.CIDRv4, ReferencedGroupID: r.RefGroupID, Description: r.Description,
	}
}

func ec2RevokeSecurityGroupIngress(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("GroupId", "GroupName", "IpPermissions", "IpProtocol", "FromPort", "ToPort", "CidrIp", "SourceSecurityGroupName", "SourceSecurityGroupOwnerId", "SecurityGroupRuleId", "DryRun"); e != nil {
		return nil, e
	}
	return revokeRules(x, false)
}

// ec2RevokeSecurityGroupEgress removes outbound rules: what a learner runs
// to free a group another group's outbound rule refers to (the fix
// teardown gives under Faults.SGReferenced).
func ec2RevokeSecurityGroupEgress(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("GroupId", "IpPermissions", "IpProtocol", "FromPort", "ToPort", "CidrIp", "SourceSecurityGroupName", "SourceSecurityGroupOwnerId", "SecurityGroupRuleId", "DryRun"); e != nil {
		return nil, e
	}
	if x.p.str("GroupId") == "" {
		return nil, badRequest("MissingParameter", "The request must contain the parameter groupId")
	}
	return revokeRules(x, true)
}

// revokeRules removes the group's inbound (or outbound) rules named by id
// or by permission.
func revokeRules(x *ec2Ctx, egress bool) (any, *APIError) {
	g, e := x.groupParam()
	if e != nil {
		return nil, e
	}
	var victims []*sgRule
	if ids := x.p.list("SecurityGroupRuleId"); len(ids) > 0 {
		if len(x.p.structs("IpPermissions")) > 0 {
			return nil, badRequest("InvalidParameterCombination", "You may specify either security group rule IDs or IP permissions, but not both.")
		}
		for _, id := range ids {
			i := slices.IndexFunc(x.w.Rules, func(r *sgRule) bool { return r.ID == id && r.GroupID == g.ID && r.Egress == egress })
			if i < 0 {
				return nil, ruleIDs.notFound(id)
			}
			victims = append(victims, x.w.Rules[i])
		}
	} else {
		want, e := x.permissionRules(g)
		if e != nil {
			return nil, e
		}
		for _, w := range want {
			w.Egress = egress
			i := slices.IndexFunc(x.w.Rules, func(r *sgRule) bool { return sameRule(w, r) })
			if i < 0 {
				return nil, badRequest("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			victims = append(victims, x.w.Rules[i])
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	views := set[xRevokedRule]{}
	for _, v := range victims {
		views = append(views, revokedView(v))
		delete(x.w.Tags, v.ID)
	}
	x.w.Rules = slices.DeleteFunc(x.w.Rules, func(r *sgRule) bool { return slices.Contains(victims, r) })
	x.changed()
	return &struct {
		out
		Return  bool              `xml:"return"`
		Revoked set[xRevokedRule] `xml:"revokedSecurityGroupRuleSet"`
	}{Return: true, Revoked: views}, nil
}

func ec2DescribeSecurityGroupRules(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("SecurityGroupRuleId", "Filter", "MaxResults", "NextToken", "DryRun"); e != nil {
		return nil, e
	}
	names := []string{"group-id", "security-group-rule-id"}
	fs, e := x.p.knownFilters(names, true)
	if e != nil {
		return nil, e
	}
	ids := x.p.list("SecurityGroupRuleId")
	for _, id := range ids {
		if !slices.ContainsFunc(x.w.Rules, func(r *sgRule) bool { return r.ID == id }) {
			return nil, ruleIDs.notFound(id)
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	var views []xSGRule
	for _, r := range x.w.Rules {
		if len(ids) > 0 && !slices.Contains(ids, r.ID) {
			continue
		}
		f := filterable{names: names, tags: x.w.tagsOf(r.ID), values: func(n string) []string {
			if n == "group-id" {
				return []string{r.GroupID}
			}
			return []string{r.ID}
		}}
		if f.match(fs) {
			views = append(views, x.ruleView(r))
		}
	}
	page, next, e := paginate(x, views, pages5to1000)
	if e != nil {
		return nil, e
	}
	return describedPage[xSGRule]{setName: "securityGroupRuleSet", items: page, nextToken: next}, nil
}
