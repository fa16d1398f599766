package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/problem"
)

// Workspace is where the learner works: the instance's network, as the lab's
// first step discovers it.
type Workspace struct {
	// OnEC2 is set when the IDs came from the instance metadata service.
	OnEC2      bool   `json:"onEC2"`
	InstanceID string `json:"instanceId,omitempty"`
	MAC        string `json:"mac,omitempty"`
	// ENIID and PrivateIP, when the workspace is a network interface found
	// without the metadata service (a CloudShell VPC environment's).
	ENIID     string `json:"eniId,omitempty"`
	PrivateIP string `json:"privateIp,omitempty"`
	VpcID     string `json:"vpcId"`
	VpcCIDR   string `json:"vpcCidr"`
	// VpcCIDRs are all the VPC's IPv4 CIDR blocks, the primary one first:
	// a subnet may lie in a secondary block.
	VpcCIDRs []string `json:"vpcCidrs,omitempty"`
	SubnetID string   `json:"subnetId"`
	AZ       string   `json:"availabilityZone"`
	// SecurityGroupID is the workspace's security group, the source of the
	// endpoints' ingress rule; SecurityGroupIDs are all of the interface's.
	SecurityGroupID  string   `json:"securityGroupId"`
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	RouteTableID     string   `json:"routeTableId"`
	// RouteTableMain is set when the subnet is only implicitly associated
	// and the VPC's main route table was used.
	RouteTableMain bool `json:"routeTableMain"`

	// When the learner chose IDs by hand (--subnet, --workspace-sg, the
	// wizard's picker) on a workspace whose own network is known (the
	// instance's metadata), the fields above are the chosen ones, except
	// InstanceID, MAC and SecurityGroupIDs, which stay the instance's own,
	// and these say how the two differ. ChosenByHand names the IDs that
	// differ from the instance's ("VPC", "subnet", "security group").
	ChosenByHand []string `json:"chosenByHand,omitempty"`
	// InstanceVpcID, InstanceSubnetID and InstanceAZ are the instance's own
	// network (set whenever ChosenByHand is).
	InstanceVpcID    string `json:"instanceVpcId,omitempty"`
	InstanceSubnetID string `json:"instanceSubnetId,omitempty"`
	InstanceAZ       string `json:"instanceAz,omitempty"`
	// InstanceRouteTableID is the route table of the instance's own subnet
	// when the learner chose another subnet (InstanceRouteTableMain: the
	// VPC's main table): the S3 gateway goes on it, see GatewayRouteTable.
	InstanceRouteTableID   string `json:"instanceRouteTableId,omitempty"`
	InstanceRouteTableMain bool   `json:"instanceRouteTableMain,omitempty"`
}

// GatewayRouteTable is the route table the S3 gateway goes on, whether it
// is the VPC's main table, and the subnet whose table it is: the
// instance's own subnet's when another subnet was chosen by hand (a
// gateway serves the requests that leave from the subnets of its route
// tables, and the instance's layer downloads leave from its own), else
// the workspace subnet's.
func (w Workspace) GatewayRouteTable() (id string, main bool, subnet string) {
	if w.InstanceRouteTableID != "" {
		return w.InstanceRouteTableID, w.InstanceRouteTableMain, w.InstanceSubnetID
	}
	return w.RouteTableID, w.RouteTableMain, w.SubnetID
}

// Chosen reports whether the named ID ("VPC", "subnet", "security group")
// was chosen by hand and differs from the instance's own.
func (w Workspace) Chosen(what string) bool { return slices.Contains(w.ChosenByHand, what) }

// InGroup reports whether the workspace's network interface is in the
// security group: one of its groups when they are known, else the group
// it was given.
func (w Workspace) InGroup(id string) bool {
	if len(w.SecurityGroupIDs) > 0 {
		return slices.Contains(w.SecurityGroupIDs, id)
	}
	return id != "" && id == w.SecurityGroupID
}

// InVPC reports whether addr lies in one of the VPC's CIDR blocks (a
// private address of the VPC).
func (w Workspace) InVPC(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	blocks := w.VpcCIDRs
	if len(blocks) == 0 {
		blocks = []string{w.VpcCIDR}
	}
	for _, b := range blocks {
		if p, err := netip.ParsePrefix(b); err == nil && p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// Privacy decides which addresses of a host name are private, that is the
// endpoint's: its own network interfaces' addresses once they are known
// (an address elsewhere in the VPC, another endpoint's or a private hosted
// zone's, does not carry the name's traffic through it); until then, any
// address in one of the VPC's CIDR blocks.
type Privacy struct {
	Endpoint []string
	VPC      Workspace
}

// Private reports whether ip is private for the name.
func (p Privacy) Private(ip string) bool {
	if len(p.Endpoint) > 0 {
		return slices.Contains(p.Endpoint, ip)
	}
	return p.VPC.InVPC(ip)
}

// imdsGet reads one metadata path.
func (c *Cloud) imdsGet(ctx context.Context, path string) (string, error) {
	out, err := c.imds.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
	if err != nil {
		return "", err
	}
	defer out.Content.Close()
	b, err := io.ReadAll(io.LimitReader(out.Content, 64<<10))
	return strings.TrimSpace(string(b)), err
}

// DiscoverIMDS reads the workspace's IDs from the instance metadata service
// (IMDSv2 tokens, falling back to v1): the primary interface's MAC, its
// security groups, subnet, VPC and CIDR, and the instance's zone. It does
// not call EC2; Complete adds the route table.
func (c *Cloud) DiscoverIMDS(ctx context.Context) (Workspace, error) {
	const op = "read the workspace's network from the instance metadata service"
	probe := c.opts.Metadata.Probe(ctx)
	switch {
	case probe.State == IMDSDisabled:
		return Workspace{}, problem.New(problem.NotOnEC2, op, "the instance metadata service is turned off",
			"pass --vpc, --subnet and --workspace-sg with your workspace's IDs")
	case probe.State == IMDSTokenTimeoutV2Only:
		// Without this, the SDK would wait out the token timeout, retry,
		// and end as "not on EC2". [research G.2, G.3]
		return Workspace{}, &problem.Error{Kind: problem.NotOnEC2, Op: op, Code: "IMDSHopLimit",
			Message: "the token request timed out (a container, with the instance's metadata hop limit at 1) and the instance refuses requests without a token",
			Fix:     "raise the hop limit:  " + c.RunnableLine(probe.HopLimitFix(c.region)) + "  (on the instance itself), or pass --vpc, --subnet and --workspace-sg"}
	case !probe.Answered():
		return Workspace{}, &problem.Error{Kind: problem.NotOnEC2, Op: op, Message: "the instance metadata service did not answer (" + probe.Detail + ")",
			Fix: "this does not look like an EC2 instance: pass --vpc, --subnet and --workspace-sg, or run on the workshop's EC2 workspace"}
	}
	if probe.Region != "" && probe.Region != c.region {
		// Otherwise the instance's subnet "does not exist" in the wrong
		// region, which sends the learner looking in the wrong place.
		return Workspace{}, &problem.Error{Kind: problem.Invalid, Op: op, Code: "RegionMismatch",
			Message: fmt.Sprintf("this instance is in %s, but the lab is set to %s", probe.Region, c.region),
			Fix:     fmt.Sprintf("pass --region %s (or unset AWS_REGION / AWS_DEFAULT_REGION if they say %s)", probe.Region, c.region)}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	mac, err := c.imdsGet(pctx, "mac")
	if err != nil {
		if ctx.Err() != nil {
			return Workspace{}, c.classify(op, ctx.Err())
		}
		e := &problem.Error{Kind: problem.NotOnEC2, Op: op, Err: err, Message: "the instance metadata service did not answer (" + shortErr(err) + ")",
			Fix: "this does not look like an EC2 instance: pass --vpc, --subnet and --workspace-sg, or run on the workshop's EC2 workspace"}
		return Workspace{}, e
	}
	ws := Workspace{OnEC2: true, MAC: mac}
	base := "network/interfaces/macs/" + mac + "/"
	get := func(p string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = c.imdsGet(ctx, p)
		return v
	}
	sgs := get(base + "security-group-ids")
	ws.SubnetID = get(base + "subnet-id")
	ws.VpcID = get(base + "vpc-id")
	ws.VpcCIDR = get(base + "vpc-ipv4-cidr-block")
	ws.VpcCIDRs = strings.Fields(get(base + "vpc-ipv4-cidr-blocks"))
	ws.AZ = get("placement/availability-zone")
	ws.InstanceID = get("instance-id")
	if err != nil {
		return Workspace{}, &problem.Error{Kind: problem.NotOnEC2, Op: op, Err: err, Message: shortErr(err),
			Fix: "the metadata service answered only partly: pass --vpc, --subnet and --workspace-sg"}
	}
	for _, g := range strings.Fields(sgs) {
		ws.SecurityGroupIDs = append(ws.SecurityGroupIDs, g)
	}
	if len(ws.SecurityGroupIDs) > 0 {
		ws.SecurityGroupID = ws.SecurityGroupIDs[0]
	}
	return ws, nil
}

func shortErr(err error) string {
	var oe interface{ Unwrap() error }
	s := err.Error()
	if errors.As(err, &oe) && len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// Complete checks a workspace against EC2 and fills in what is missing:
// the VPC and zone of the subnet, the VPC's CIDR, the security group
// (verified to be in the VPC), and the route table of the subnet, falling
// back to the VPC's main table when the subnet is only implicitly associated.
func (c *Cloud) Complete(ctx context.Context, ws Workspace) (Workspace, error) {
	const op = "describe the workspace's network"
	if ws.SubnetID == "" {
		return ws, problem.New(problem.Invalid, op, "no subnet given", "pass --subnet (the workspace instance's subnet)")
	}
	sn, err := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{ws.SubnetID}})
	if err != nil {
		return ws, c.classify(op, err)
	}
	if len(sn.Subnets) == 0 {
		return ws, problem.New(problem.NotFound, op, "subnet "+ws.SubnetID+" does not exist", "check --subnet and --region")
	}
	s := sn.Subnets[0]
	if ws.VpcID != "" && ws.VpcID != aws.ToString(s.VpcId) {
		return ws, problem.New(problem.Invalid, op, fmt.Sprintf("subnet %s is in %s, not in %s", ws.SubnetID, aws.ToString(s.VpcId), ws.VpcID),
			"pass a subnet of the workspace's VPC, or leave --vpc out")
	}
	ws.VpcID = aws.ToString(s.VpcId)
	ws.AZ = aws.ToString(s.AvailabilityZone)
	if ws.VpcCIDR == "" || len(ws.VpcCIDRs) == 0 {
		v, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{ws.VpcID}})
		if err != nil {
			return ws, c.classify(op, err)
		}
		if len(v.Vpcs) > 0 {
			ws.VpcCIDR, ws.VpcCIDRs = aws.ToString(v.Vpcs[0].CidrBlock), nil
			for _, a := range v.Vpcs[0].CidrBlockAssociationSet {
				if a.CidrBlockState == nil || strings.EqualFold(string(a.CidrBlockState.State), "associated") {
					ws.VpcCIDRs = append(ws.VpcCIDRs, aws.ToString(a.CidrBlock))
				}
			}
		}
	}
	if ws.SecurityGroupID == "" {
		return ws, problem.New(problem.Invalid, op, "no workspace security group given", "pass --workspace-sg (the workspace instance's security group)")
	}
	g, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{ws.SecurityGroupID}})
	if err != nil {
		return ws, c.classify(op, err)
	}
	if len(g.SecurityGroups) == 0 || aws.ToString(g.SecurityGroups[0].VpcId) != ws.VpcID {
		return ws, problem.New(problem.Invalid, op, fmt.Sprintf("security group %s is not in %s", ws.SecurityGroupID, ws.VpcID),
			"pass the workspace's own security group with --workspace-sg")
	}
	rt, main, err := c.RouteTableOf(ctx, ws.VpcID, ws.SubnetID)
	if err != nil {
		return ws, err
	}
	ws.RouteTableID, ws.RouteTableMain = rt, main
	return ws, nil
}

// RouteTableOf returns the subnet's route table: the one explicitly
// associated with it, else the VPC's main table (main=true). Each question
// is asked with its filter (association.subnet-id, then vpc-id with
// association.main), not by listing every table of the VPC: a big VPC has
// many, and DescribeRouteTables pages them.
func (c *Cloud) RouteTableOf(ctx context.Context, vpcID, subnetID string) (string, bool, error) {
	const op = "find the subnet's route table"
	own, err := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
		Filters: []types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}},
	})
	if err != nil {
		return "", false, c.classify(op, err)
	}
	for _, rt := range own.RouteTables {
		for _, a := range rt.Associations {
			if aws.ToString(a.SubnetId) == subnetID {
				return aws.ToString(rt.RouteTableId), false, nil
			}
		}
	}
	main, err := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}, {Name: aws.String("association.main"), Values: []string{"true"}}},
	})
	if err != nil {
		return "", false, c.classify(op, err)
	}
	for _, rt := range main.RouteTables {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				return aws.ToString(rt.RouteTableId), true, nil
			}
		}
	}
	return "", false, problem.New(problem.NotFound, op, "the VPC "+vpcID+" has no main route table and none is associated with "+subnetID,
		"associate a route table with the subnet, then run the command again")
}

// ImplicitSubnets lists the VPC's subnets that have no route table of
// their own, and so use the main table: a route added to the main table
// (an S3 gateway's) applies to each of them.
func (c *Cloud) ImplicitSubnets(ctx context.Context, vpcID string) ([]string, error) {
	const op = "list the subnets that use the VPC's main route table"
	explicit := map[string]bool{}
	rts := ec2.NewDescribeRouteTablesPaginator(c.ec2, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for rts.HasMorePages() {
		page, err := rts.NextPage(ctx)
		if err != nil {
			return nil, c.classify(op, err)
		}
		for _, rt := range page.RouteTables {
			for _, a := range rt.Associations {
				if id := aws.ToString(a.SubnetId); id != "" {
					explicit[id] = true
				}
			}
		}
	}
	var out []string
	sns := ec2.NewDescribeSubnetsPaginator(c.ec2, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for sns.HasMorePages() {
		page, err := sns.NextPage(ctx)
		if err != nil {
			return nil, c.classify(op, err)
		}
		for _, s := range page.Subnets {
			if id := aws.ToString(s.SubnetId); !explicit[id] {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Choice is one thing a learner can pick when not on EC2.
type Choice struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func nameTag(tags []types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// ListVPCs lists the region's VPCs, for choosing a workspace.
func (c *Cloud) ListVPCs(ctx context.Context) ([]Choice, error) {
	var out []Choice
	p := ec2.NewDescribeVpcsPaginator(c.ec2, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("list the VPCs", err)
		}
		for _, v := range page.Vpcs {
			d := aws.ToString(v.CidrBlock)
			if aws.ToBool(v.IsDefault) {
				d += ", default VPC"
			}
			out = append(out, Choice{ID: aws.ToString(v.VpcId), Name: nameTag(v.Tags), Detail: d})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ListSubnets lists a VPC's subnets with their zones.
func (c *Cloud) ListSubnets(ctx context.Context, vpcID string) ([]Choice, error) {
	var out []Choice
	p := ec2.NewDescribeSubnetsPaginator(c.ec2, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("list the subnets", err)
		}
		for _, s := range page.Subnets {
			out = append(out, Choice{ID: aws.ToString(s.SubnetId), Name: nameTag(s.Tags), Detail: aws.ToString(s.AvailabilityZone) + ", " + aws.ToString(s.CidrBlock)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Detail < out[j].Detail })
	return out, nil
}

// ListSecurityGroups lists a VPC's security groups.
func (c *Cloud) ListSecurityGroups(ctx context.Context, vpcID string) ([]Choice, error) {
	var out []Choice
	p := ec2.NewDescribeSecurityGroupsPaginator(c.ec2, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("list the security groups", err)
		}
		for _, g := range page.SecurityGroups {
			out = append(out, Choice{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), Detail: aws.ToString(g.Description)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// VPCDNS reports the VPC's enableDnsSupport and enableDnsHostnames, which
// private DNS for interface endpoints needs.
func (c *Cloud) VPCDNS(ctx context.Context, vpcID string) (support, hostnames bool, err error) {
	const op = "read the VPC's DNS attributes"
	a, err := c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: types.VpcAttributeNameEnableDnsSupport})
	if err != nil {
		return false, false, c.classify(op, err)
	}
	b, err := c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: types.VpcAttributeNameEnableDnsHostnames})
	if err != nil {
		return false, false, c.classify(op, err)
	}
	return a.EnableDnsSupport != nil && aws.ToBool(a.EnableDnsSupport.Value),
		b.EnableDnsHostnames != nil && aws.ToBool(b.EnableDnsHostnames.Value), nil
}

// EnableVPCDNS turns on enableDnsSupport and enableDnsHostnames (one
// attribute per call, as the API requires).
func (c *Cloud) EnableVPCDNS(ctx context.Context, vpcID string) ([]Command, error) {
	return c.SetVPCDNS(ctx, vpcID, true, true, true)
}

// SetVPCDNS turns the named DNS attributes of the VPC on or off, one per
// call as the API requires, in the order AWS accepts: on, support before
// host names ("DNS hostnames can only be enabled when DNS resolution is
// enabled"); off, host names first. It returns the commands it ran (the
// failed one last).
func (c *Cloud) SetVPCDNS(ctx context.Context, vpcID string, on, support, hostnames bool) ([]Command, error) {
	op := "turn on the VPC's DNS attributes"
	if !on {
		op = "turn the VPC's DNS attributes back off"
	}
	val := fmt.Sprintf(`{"Value":%t}`, on)
	type attr struct {
		flag string
		in   *ec2.ModifyVpcAttributeInput
	}
	sup := attr{"--enable-dns-support", &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(on)}}}
	host := attr{"--enable-dns-hostnames", &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(on)}}}
	var todo []attr
	if support {
		todo = append(todo, sup)
	}
	if hostnames {
		todo = append(todo, host)
	}
	if !on {
		slices.Reverse(todo)
	}
	var cmds []Command
	for _, a := range todo {
		cmds = append(cmds, awsCmd(c.region, "ec2", "modify-vpc-attribute", "--vpc-id", vpcID, a.flag, val))
		if _, err := c.ec2.ModifyVpcAttribute(ctx, a.in); err != nil {
			return cmds, c.classify(op, err)
		}
	}
	return cmds, nil
}

// ServiceZones returns, per endpoint service name, the zones it is offered in.
func (c *Cloud) ServiceZones(ctx context.Context, services ...string) (map[string][]string, error) {
	out, err := c.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: services})
	if err != nil {
		return nil, c.classify("check where the endpoint services are offered", err)
	}
	m := map[string][]string{}
	for _, d := range out.ServiceDetails {
		m[aws.ToString(d.ServiceName)] = d.AvailabilityZones
	}
	return m, nil
}

// PermissionCheck is one of the lab's mutating calls, asked of EC2 with
// DryRun: nothing happens, and the answer says whether the caller may make
// it.
type PermissionCheck struct {
	// Action is the call's IAM action.
	Action string `json:"action"`
	// StandIn names what the call was tried on in place of a resource the
	// lab has not made yet (the workspace's own security group for the
	// lab's): a refusal there may be about that resource only (tag-based
	// policies), so it is a warning, not a verdict.
	StandIn string `json:"standIn,omitempty"`
	// Refused is AWS's refusal, classified, with its fix (the action it
	// names, an explicit deny, the decode command); nil when EC2 said the
	// call would succeed, or answered something that says nothing about
	// permissions.
	Refused error `json:"-"`
	// Why says briefly what refused it, from AWS's sentence: the action
	// it names when that is another ("needs ec2:CreateTags"), and the
	// policy ("no identity-based policy allows it", "an explicit deny in
	// a service control policy").
	Why string `json:"why,omitempty"`
}

// DryRun asks EC2, with DryRun=true (nothing changes), whether the caller
// may make the lab's mutating calls as the lab makes them: the creates
// with their TagSpecifications (tagging on create is authorized as
// ec2:CreateTags too), the endpoints with their subnet, group and route
// table. Calls on resources the lab has not made yet are tried on stand-ins
// (the workspace's group for the lab's, a made-up endpoint id), and say so.
// sgID is the lab's group when it exists; tags are the tags the lab puts on
// what it creates.
func (c *Cloud) DryRun(ctx context.Context, ws Workspace, sgID string, tags Tags) ([]PermissionCheck, error) {
	var out []PermissionCheck
	try := func(action, standIn string, call func() error) error {
		err := call()
		code := CodeOf(err)
		pc := PermissionCheck{Action: action, StandIn: standIn}
		switch {
		case err == nil || code == "DryRunOperation":
		case code == "UnauthorizedOperation" || code == "AccessDenied" || problem.KindOf(c.classify("", err)) == problem.Permission:
			pc.Refused = c.classify("check "+action+" with DryRun", err)
			pc.Why = refusedWhy(pc.Refused, action)
		default:
			k := problem.KindOf(c.classify("", err))
			if k == problem.NoCredentials || k == problem.ExpiredCredentials || k == problem.InvalidCredentials || k == problem.Network || k == problem.Canceled || k == problem.Throttled {
				return c.classify("check permissions with DryRun", err)
			}
			// Anything else (a parameter EC2 checks before permissions)
			// says nothing about permissions.
		}
		out = append(out, pc)
		return nil
	}
	dry := aws.Bool(true)
	group, groupStandIn := sgID, ""
	if group == "" {
		group, groupStandIn = ws.SecurityGroupID, "the workspace's security group "+ws.SecurityGroupID+", for the lab's own"
	}
	checks := []struct {
		action, standIn string
		call            func() error
	}{
		{"ec2:CreateSecurityGroup", "", func() error {
			_, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{DryRun: dry, GroupName: aws.String("ECR_VPCE_SG_DRYRUN"),
				Description: aws.String("dry run"), VpcId: aws.String(ws.VpcID), TagSpecifications: tags.spec(types.ResourceTypeSecurityGroup)})
			return err
		}},
		{"ec2:AuthorizeSecurityGroupIngress", groupStandIn, func() error {
			_, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{DryRun: dry, GroupId: aws.String(group),
				IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}},
				TagSpecifications: tags.spec(types.ResourceTypeSecurityGroupRule)})
			return err
		}},
		{"ec2:CreateVpcEndpoint", "", func() error {
			_, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{DryRun: dry, VpcId: aws.String(ws.VpcID),
				ServiceName: aws.String(c.ServiceName("s3")), VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: []string{ws.RouteTableID},
				TagSpecifications: tags.spec(types.ResourceTypeVpcEndpoint)})
			return err
		}},
		{"ec2:CreateVpcEndpoint", groupStandIn, func() error {
			_, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{DryRun: dry, VpcId: aws.String(ws.VpcID),
				ServiceName: aws.String(c.ServiceName("ecr.dkr")), VpcEndpointType: types.VpcEndpointTypeInterface,
				SubnetIds: []string{ws.SubnetID}, SecurityGroupIds: []string{group}, PrivateDnsEnabled: aws.Bool(true),
				TagSpecifications: tags.spec(types.ResourceTypeVpcEndpoint)})
			return err
		}},
		{"ec2:DeleteVpcEndpoints", "a made-up endpoint id, for the lab's endpoints", func() error {
			_, err := c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{DryRun: dry, VpcEndpointIds: []string{"vpce-00000000000000000"}})
			return err
		}},
		{"ec2:DeleteSecurityGroup", groupStandIn, func() error {
			_, err := c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{DryRun: dry, GroupId: aws.String(group)})
			return err
		}},
	}
	for _, ch := range checks {
		if err := try(ch.action, ch.standIn, ch.call); err != nil {
			return out, err
		}
	}
	return out, nil
}
