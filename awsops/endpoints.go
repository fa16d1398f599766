package awsops

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/problem"
)

// Endpoint types.
const (
	Interface = "Interface"
	Gateway   = "Gateway"
)

// Endpoint states, as the wire spells them. Compare with SameState: the
// SDK's constants are capitalised.
const (
	StatePending   = "pending"
	StateAvailable = "available"
	StateDeleting  = "deleting"
	StateDeleted   = "deleted"
	StateFailed    = "failed"
	StateRejected  = "rejected"
)

// SameState compares endpoint states case-insensitively.
func SameState(a, b string) bool { return strings.EqualFold(a, b) }

// ServiceName returns the endpoint service named by short (ecr.dkr, ecr.api,
// s3): the name DescribeVpcEndpointServices gave (ResolveNames), else the
// partition's form: cn.com.amazonaws.REGION.SERVICE for China's interface
// services, com.amazonaws.REGION.SERVICE otherwise.
func (c *Cloud) ServiceName(short string) string {
	c.mu.Lock()
	n := c.names.Services[short]
	c.mu.Unlock()
	if n != "" {
		return n
	}
	if c.Partition() == "aws-cn" && short != "s3" {
		return "cn.com.amazonaws." + c.region + "." + short
	}
	return "com.amazonaws." + c.region + "." + short
}

// EndpointSpec describes an endpoint to create.
type EndpointSpec struct {
	VpcID   string
	Service string // full service name
	Type    string // Interface or Gateway
	// Interface endpoints.
	SubnetIDs        []string
	SecurityGroupIDs []string
	PrivateDNS       bool
	// Gateway endpoints.
	RouteTableIDs []string
	// Policy is the endpoint policy JSON ("" for AWS's default, full access).
	Policy string
	// ClientToken makes the create idempotent (at most 64 ASCII characters).
	ClientToken string
	Tags        Tags
	// Capture is the lab's variable name for the ID (DKR_VPCE_ID...).
	Capture string
}

// Endpoint is a VPC endpoint as the lab sees it.
type Endpoint struct {
	ID            string    `json:"id"`
	Service       string    `json:"service"`
	Type          string    `json:"type"`
	State         string    `json:"state"`
	VpcID         string    `json:"vpcId"`
	PrivateDNS    bool      `json:"privateDns"`
	Policy        string    `json:"policy,omitempty"`
	SubnetIDs     []string  `json:"subnetIds,omitempty"`
	GroupIDs      []string  `json:"securityGroupIds,omitempty"`
	RouteTableIDs []string  `json:"routeTableIds,omitempty"`
	ENIIDs        []string  `json:"networkInterfaceIds,omitempty"`
	DNSNames      []string  `json:"dnsNames,omitempty"`
	Created       time.Time `json:"created"`
	LastError     string    `json:"lastError,omitempty"`
	Tags          Tags      `json:"tags,omitempty"`
}

// Available reports whether the endpoint is available.
func (e Endpoint) Available() bool { return SameState(e.State, StateAvailable) }

// Failed reports whether the endpoint ended in a state it cannot leave.
func (e Endpoint) Failed() bool {
	return SameState(e.State, StateFailed) || SameState(e.State, StateRejected) || strings.EqualFold(e.State, "expired")
}

// Gone reports whether the endpoint is deleted.
func (e Endpoint) Gone() bool { return SameState(e.State, StateDeleted) }

func endpointOf(v types.VpcEndpoint) Endpoint {
	e := Endpoint{
		ID: aws.ToString(v.VpcEndpointId), Service: aws.ToString(v.ServiceName), Type: string(v.VpcEndpointType),
		State: strings.ToLower(string(v.State)), VpcID: aws.ToString(v.VpcId), PrivateDNS: aws.ToBool(v.PrivateDnsEnabled),
		Policy: aws.ToString(v.PolicyDocument), SubnetIDs: v.SubnetIds, RouteTableIDs: v.RouteTableIds,
		ENIIDs: v.NetworkInterfaceIds, Created: aws.ToTime(v.CreationTimestamp), Tags: tagsOf(v.Tags),
	}
	for _, g := range v.Groups {
		e.GroupIDs = append(e.GroupIDs, aws.ToString(g.GroupId))
	}
	for _, d := range v.DnsEntries {
		e.DNSNames = append(e.DNSNames, aws.ToString(d.DnsName))
	}
	if v.LastError != nil {
		e.LastError = strings.TrimSpace(aws.ToString(v.LastError.Code) + ": " + aws.ToString(v.LastError.Message))
	}
	return e
}

// CreateEndpointCommand is CreateEndpoint's AWS CLI equivalent (the client
// token left out: the CLI makes its own).
func (c *Cloud) CreateEndpointCommand(s EndpointSpec) Command {
	args := []string{"ec2", "create-vpc-endpoint", "--vpc-id", s.VpcID, "--vpc-endpoint-type", s.Type, "--service-name", s.Service}
	if s.Policy != "" {
		args = append(args, "--policy-document", s.Policy)
	}
	if s.Type == Interface {
		args = append(args, "--subnet-ids")
		args = append(args, s.SubnetIDs...)
		args = append(args, "--security-group-ids")
		args = append(args, s.SecurityGroupIDs...)
		if s.PrivateDNS {
			args = append(args, "--private-dns-enabled")
		} else {
			args = append(args, "--no-private-dns-enabled")
		}
	} else {
		args = append(args, "--route-table-ids")
		args = append(args, s.RouteTableIDs...)
	}
	args = append(args, s.Tags.cli("vpc-endpoint")...)
	cmd := awsCmd(c.region, args...)
	cmd.Capture, cmd.Query = s.Capture, "VpcEndpoint.VpcEndpointId"
	return cmd
}

// CreateEndpoint creates a VPC endpoint. PrivateDnsEnabled and
// VpcEndpointType are always sent explicitly.
func (c *Cloud) CreateEndpoint(ctx context.Context, s EndpointSpec) (Endpoint, Command, error) {
	in := &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(s.VpcID), ServiceName: aws.String(s.Service), VpcEndpointType: types.VpcEndpointType(s.Type),
		TagSpecifications: s.Tags.spec(types.ResourceTypeVpcEndpoint),
	}
	if s.ClientToken != "" {
		in.ClientToken = aws.String(s.ClientToken)
	}
	if s.Policy != "" {
		in.PolicyDocument = aws.String(s.Policy)
	}
	if s.Type == Interface {
		in.SubnetIds, in.SecurityGroupIds, in.PrivateDnsEnabled = s.SubnetIDs, s.SecurityGroupIDs, aws.Bool(s.PrivateDNS)
	} else {
		in.RouteTableIds = s.RouteTableIDs
	}
	cmd := c.CreateEndpointCommand(s)
	out, err := c.ec2.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return Endpoint{}, cmd, c.classify("create the "+shortService(s.Service)+" endpoint", err)
	}
	e := endpointOf(*out.VpcEndpoint)
	cmd.Result = e.ID
	return e, cmd, nil
}

func shortService(s string) string {
	parts := strings.Split(strings.TrimPrefix(s, "cn."), ".")
	if len(parts) >= 4 {
		return strings.Join(parts[3:], ".")
	}
	return s
}

// ShortService turns com.amazonaws.REGION.ecr.dkr into ecr.dkr.
func ShortService(s string) string { return shortService(s) }

// describeEndpoints runs one DescribeVpcEndpoints with filters (no NotFound
// for endpoints that are gone).
func (c *Cloud) describeEndpoints(ctx context.Context, op string, filters []types.Filter) ([]Endpoint, error) {
	var out []Endpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(c.ec2, &ec2.DescribeVpcEndpointsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify(op, err)
		}
		for _, v := range page.VpcEndpoints {
			out = append(out, endpointOf(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Endpoints describes endpoints by id, in one call; endpoints that no
// longer exist are simply absent from the result. (EC2 answers
// InvalidVpcEndpointId.NotFound when one of the ids is gone; then each is
// asked for on its own.)
func (c *Cloud) Endpoints(ctx context.Context, ids ...string) ([]Endpoint, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const op = "describe the endpoints"
	out, err := c.describeByID(ctx, ids)
	switch {
	case err == nil:
		return out, nil
	case problem.KindOf(c.classify("", err)) != problem.NotFound:
		return nil, c.classify(op, err)
	case len(ids) == 1:
		return nil, nil
	}
	out = nil
	for _, id := range ids {
		one, err := c.describeByID(ctx, []string{id})
		if err != nil {
			if problem.KindOf(c.classify("", err)) == problem.NotFound {
				continue
			}
			return nil, c.classify(op, err)
		}
		out = append(out, one...)
	}
	return out, nil
}

func (c *Cloud) describeByID(ctx context.Context, ids []string) ([]Endpoint, error) {
	var out []Endpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(c.ec2, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.VpcEndpoints {
			out = append(out, endpointOf(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// FindEndpoints lists the VPC's endpoints for a service (full name) that are
// not deleted.
func (c *Cloud) FindEndpoints(ctx context.Context, vpcID, service string) ([]Endpoint, error) {
	f := []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}
	if service != "" {
		f = append(f, types.Filter{Name: aws.String("service-name"), Values: []string{service}})
	}
	eps, err := c.describeEndpoints(ctx, "look for existing endpoints", f)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(eps, func(e Endpoint) bool { return e.Gone() || SameState(e.State, StateDeleting) }), nil
}

// TaggedEndpoints lists endpoints carrying tag key (with value, unless
// value is empty) that are not deleted.
func (c *Cloud) TaggedEndpoints(ctx context.Context, key, value string) ([]Endpoint, error) {
	eps, err := c.describeEndpoints(ctx, "look for the lab's endpoints", []types.Filter{tagFilter(key, value)})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(eps, Endpoint.Gone), nil
}

// tagFilter finds what carries tag key, with value unless value is empty.
func tagFilter(key, value string) types.Filter {
	if value == "" {
		return types.Filter{Name: aws.String("tag-key"), Values: []string{key}}
	}
	return types.Filter{Name: aws.String("tag:" + key), Values: []string{value}}
}

// TaggedSecurityGroups lists security groups carrying tag key (=value).
func (c *Cloud) TaggedSecurityGroups(ctx context.Context, key, value string) ([]SecurityGroup, error) {
	out, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{tagFilter(key, value)}})
	if err != nil {
		return nil, c.classify("look for the lab's security groups", err)
	}
	var gs []SecurityGroup
	for _, g := range out.SecurityGroups {
		gs = append(gs, SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VpcID: aws.ToString(g.VpcId), Tags: tagsOf(g.Tags)})
	}
	return gs, nil
}

// WaitEndpoints polls until every endpoint is available, with one
// DescribeVpcEndpoints per poll at the steady Poll cadence (no backoff: a
// learner watches, and one call a second is a small share of EC2's
// allowance); onPoll hears every poll's result. created gives, by id, when
// each endpoint was created: one EC2 does not list yet, created moments ago,
// is pending (its reads lag its writes); one that fails, or is deleted or
// being deleted (someone else's doing), ends the wait at once with an error
// naming the reason. onLag, when set, hears each poll that does not list
// one created moments ago, and how long until the next.
func (c *Cloud) WaitEndpoints(ctx context.Context, ids []string, created map[string]time.Time, onPoll func([]Endpoint), onLag func(id string, wait time.Duration)) ([]Endpoint, error) {
	p := c.pacer()
	deadline := time.Now().Add(c.opts.EndpointWait)
	const op = "wait for the endpoints"
	everSeen, youngAtStart := map[string]bool{}, map[string]bool{}
	for _, id := range ids {
		youngAtStart[id] = c.Young(created[id])
	}
	for {
		eps, err := c.Endpoints(ctx, ids...)
		if err != nil {
			return eps, err
		}
		if onPoll != nil {
			onPoll(eps)
		}
		seen := map[string]bool{}
		ready := true
		for _, e := range eps {
			seen[e.ID], everSeen[e.ID] = true, true
			switch {
			case e.Failed():
				msg := fmt.Sprintf("endpoint %s (%s) is %s", e.ID, shortService(e.Service), e.State)
				if e.LastError != "" {
					msg += ": " + e.LastError
				}
				return eps, &problem.Error{Kind: problem.Invalid, Op: op, Message: msg, Code: "EndpointFailed",
					Fix: "run 'down' to remove it, check the reason above (subnet zone, VPC DNS attributes, quotas), then 'up' again"}
			case e.Gone() || SameState(e.State, StateDeleting):
				return eps, &problem.Error{Kind: problem.NotFound, Op: op, Code: "EndpointDeleted",
					Message: fmt.Sprintf("endpoint %s (%s) is %s: someone deleted it while the lab waited for it", e.ID, shortService(e.Service), e.State),
					Fix:     "run 'up' again to create it anew (or 'down' to remove the rest)"}
			case !e.Available():
				ready = false
			}
		}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			if !everSeen[id] && c.Young(created[id]) {
				ready = false // not listed yet: EC2's reads lag its writes
				if onLag != nil {
					onLag(id, p.next())
				}
				continue
			}
			if !everSeen[id] && youngAtStart[id] {
				return eps, c.stillUnknown(op, "endpoint "+id)
			}
			return eps, problem.New(problem.NotFound, op, "endpoint "+id+" disappeared while we waited",
				"someone deleted it: run 'up' again to recreate it")
		}
		if ready {
			return eps, nil
		}
		if time.Now().After(deadline) {
			var states []string
			for _, e := range eps {
				states = append(states, e.ID+" "+e.State)
			}
			return eps, &problem.Error{Kind: problem.Timeout, Op: op, Code: "EndpointsNotAvailable",
				Message: fmt.Sprintf("after %s not every endpoint is available: %s", c.opts.EndpointWait.Round(time.Second), strings.Join(states, ", ")),
				Fix:     "AWS is slow to provision them: run 'up' again in a few minutes (it keeps what exists), or 'down' to remove them"}
		}
		if err := p.wait(ctx); err != nil {
			return eps, c.classify(op, err)
		}
	}
}

// Removal is where one deleted endpoint stands in a poll.
type Removal struct {
	ID string
	// Deleted is set once DescribeVpcEndpoints says deleted, or no longer
	// shows it.
	Deleted bool
	// Interfaces are its network interfaces that still exist (AWS
	// releases an interface endpoint's after the endpoint is deleted).
	Interfaces []string
}

// Released reports whether the endpoint is deleted and its network
// interfaces are gone.
func (r Removal) Released() bool { return r.Deleted && len(r.Interfaces) == 0 }

// WaitEndpointsReleased polls, at the steady cadence, until the endpoints
// are deleted and their network interfaces released, for at most
// DependencyWait. enis holds each endpoint's interfaces as known before the
// delete (more are learned from the polls). Each poll is at most one
// DescribeVpcEndpoints, for the endpoints not yet deleted, and one
// DescribeNetworkInterfaces, for the interfaces of those that are; onPoll
// hears where every endpoint stands.
func (c *Cloud) WaitEndpointsReleased(ctx context.Context, ids []string, enis map[string][]string, onPoll func([]Removal)) error {
	p := c.pacer()
	deadline := time.Now().Add(c.opts.DependencyWait)
	rs := make([]Removal, len(ids))
	known := map[string][]string{}
	for i, id := range ids {
		rs[i].ID = id
		known[id] = append([]string(nil), enis[id]...)
	}
	for {
		var deleting []string
		for _, r := range rs {
			if !r.Deleted {
				deleting = append(deleting, r.ID)
			}
		}
		if len(deleting) > 0 {
			eps, err := c.Endpoints(ctx, deleting...)
			if err != nil {
				return err
			}
			seen := map[string]Endpoint{}
			for _, e := range eps {
				seen[e.ID] = e
			}
			for i, r := range rs {
				if r.Deleted {
					continue
				}
				e, ok := seen[r.ID]
				for _, n := range e.ENIIDs {
					if !slices.Contains(known[r.ID], n) {
						known[r.ID] = append(known[r.ID], n)
					}
				}
				if !ok || e.Gone() {
					rs[i].Deleted, rs[i].Interfaces = true, known[r.ID]
				}
			}
		}
		var lingering []string
		for _, r := range rs {
			if r.Deleted {
				lingering = append(lingering, r.Interfaces...)
			}
		}
		if len(lingering) > 0 {
			ns, err := c.NetworkInterfaces(ctx, lingering...)
			if err != nil {
				return err
			}
			still := map[string]bool{}
			for _, n := range ns {
				still[n.ID] = true
			}
			for i, r := range rs {
				rs[i].Interfaces = slices.DeleteFunc(slices.Clone(r.Interfaces), func(n string) bool { return !still[n] })
			}
		}
		if onPoll != nil {
			onPoll(slices.Clone(rs))
		}
		var left []string
		for _, r := range rs {
			switch {
			case !r.Deleted:
				left = append(left, r.ID+" (deleting)")
			case len(r.Interfaces) > 0:
				left = append(left, r.ID+" (its network interfaces "+strings.Join(r.Interfaces, ", ")+")")
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return problem.New(problem.Dependency, "wait for the endpoints to be deleted and their network interfaces released",
				fmt.Sprintf("after %s, still there: %s", c.opts.DependencyWait.Round(time.Second), strings.Join(left, ", ")),
				"check them in the VPC console, then run 'down' again")
		}
		if err := p.wait(ctx); err != nil {
			return c.classify("wait for the endpoints to be deleted", err)
		}
	}
}

// FullAccessPolicy is the policy AWS gives an endpoint created without one
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html#default-endpoint-policy).
const FullAccessPolicy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// ModifyEndpointPolicy replaces an endpoint's policy; an empty policy puts
// back full access, by sending the full-access document itself:
// ModifyVpcEndpoint's ResetPolicy is documented for gateway endpoints only
// ("(Gateway endpoint) Specify true to reset the policy document to the
// default policy"; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcEndpoint.html),
// and the document works for both kinds.
func (c *Cloud) ModifyEndpointPolicy(ctx context.Context, id, policyJSON string) (Command, error) {
	if policyJSON == "" {
		policyJSON = FullAccessPolicy
	}
	in := &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PolicyDocument: aws.String(policyJSON)}
	cmd := awsCmd(c.region, "ec2", "modify-vpc-endpoint", "--vpc-endpoint-id", id, "--policy-document", policyJSON)
	if _, err := c.ec2.ModifyVpcEndpoint(ctx, in); err != nil {
		return cmd, c.classify("change the policy of "+id, err)
	}
	return cmd, nil
}

// EndpointFailure is one endpoint DeleteVpcEndpoints could not delete.
type EndpointFailure struct {
	ID  string
	Err error
}

// Deletion is what DeleteVpcEndpoints answered for each endpoint.
type Deletion struct {
	// Failed lists every endpoint AWS reported in Unsuccessful for another
	// reason than NotFound, in the order asked.
	Failed []EndpointFailure
	// Missing lists those it answered NotFound for: gone already, or
	// created moments ago and not known to EC2's reads yet (the caller,
	// who knows when it created them, decides).
	Missing []string
}

// Err joins the failures into one error naming each endpoint, nil when
// none failed.
func (d Deletion) Err() error {
	switch len(d.Failed) {
	case 0:
		return nil
	case 1:
		return d.Failed[0].Err
	}
	var msgs []string
	kind, fix, code := problem.KindOf(d.Failed[0].Err), problem.FixOf(d.Failed[0].Err), problem.CodeOf(d.Failed[0].Err)
	for _, f := range d.Failed {
		msg := f.Err.Error()
		if pe, ok := problem.As(f.Err); ok && pe.Message != "" {
			msg = pe.Code + ": " + pe.Message
		}
		msgs = append(msgs, f.ID+" "+msg)
		if problem.KindOf(f.Err) != kind {
			kind = problem.Unknown
		}
		if problem.CodeOf(f.Err) != code {
			code = "Unsuccessful"
		}
	}
	return &problem.Error{Kind: kind, Op: "delete the endpoints", Code: code,
		Message: fmt.Sprintf("AWS could not delete %d endpoints: %s", len(d.Failed), strings.Join(msgs, "; ")), Fix: fix}
}

// DeleteEndpoints deletes endpoints in one call. AWS answers for each
// endpoint it could not delete in Unsuccessful: every one is reported,
// NotFound apart (see Deletion).
func (c *Cloud) DeleteEndpoints(ctx context.Context, ids []string) (Deletion, Command, error) {
	cmd := awsCmd(c.region, append([]string{"ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids"}, ids...)...)
	var d Deletion
	if len(ids) == 0 {
		return d, cmd, nil
	}
	out, err := c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids})
	if err != nil {
		if Lagging(err) && len(ids) == 1 {
			d.Missing = ids
			return d, cmd, nil
		}
		return d, cmd, c.classify("delete the endpoints", err)
	}
	byID := map[string]types.UnsuccessfulItem{}
	for _, u := range out.Unsuccessful {
		byID[aws.ToString(u.ResourceId)] = u
	}
	for _, id := range ids {
		u, ok := byID[id]
		if !ok || u.Error == nil {
			continue
		}
		code, msg := aws.ToString(u.Error.Code), aws.ToString(u.Error.Message)
		if strings.HasSuffix(code, ".NotFound") {
			d.Missing = append(d.Missing, id)
			continue
		}
		kind, fix := classifyCode(code)
		if kind == problem.Unknown {
			fix = "check " + id + " in the VPC console, then run 'down' again"
		}
		d.Failed = append(d.Failed, EndpointFailure{ID: id, Err: &problem.Error{Kind: kind, Op: "delete " + id, Code: code, Message: msg, Fix: fix}})
	}
	return d, cmd, nil
}

// NetworkInterface is an elastic network interface.
type NetworkInterface struct {
	ID        string `json:"id"`
	PrivateIP string `json:"privateIp"`
	SubnetID  string `json:"subnetId"`
	Status    string `json:"status"`
	// Type is EC2's interface type: vpc_endpoint for an interface
	// endpoint's, interface for an instance's, and so on.
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
}

// EndpointInterfaceType is the InterfaceType EC2 gives an interface
// endpoint's network interfaces
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html).
const EndpointInterfaceType = "vpc_endpoint"

// NetworkInterfaces describes interfaces by id (missing ones are absent).
func (c *Cloud) NetworkInterfaces(ctx context.Context, ids ...string) ([]NetworkInterface, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return c.enis(ctx, []types.Filter{{Name: aws.String("network-interface-id"), Values: ids}})
}

// GroupInterfaces lists the interfaces that use a security group: while any
// remains, the group cannot be deleted.
func (c *Cloud) GroupInterfaces(ctx context.Context, groupID string) ([]NetworkInterface, error) {
	return c.enis(ctx, []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}})
}

// EndpointInterfaces lists the interface endpoints' network interfaces that
// use a security group: those AWS releases on its own, minutes after the
// endpoints are deleted. (Filtered here rather than with EC2's
// interface-type filter, which not every EC2 look-alike knows.)
func (c *Cloud) EndpointInterfaces(ctx context.Context, groupID string) ([]NetworkInterface, error) {
	all, err := c.GroupInterfaces(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var out []NetworkInterface
	for _, n := range all {
		if n.Type == EndpointInterfaceType {
			out = append(out, n)
		}
	}
	return out, nil
}

func (c *Cloud) enis(ctx context.Context, f []types.Filter) ([]NetworkInterface, error) {
	var out []NetworkInterface
	p := ec2.NewDescribeNetworkInterfacesPaginator(c.ec2, &ec2.DescribeNetworkInterfacesInput{Filters: f})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("describe the network interfaces", err)
		}
		for _, n := range page.NetworkInterfaces {
			out = append(out, NetworkInterface{ID: aws.ToString(n.NetworkInterfaceId), PrivateIP: aws.ToString(n.PrivateIpAddress),
				SubnetID: aws.ToString(n.SubnetId), Status: string(n.Status), Type: string(n.InterfaceType), Description: aws.ToString(n.Description)})
		}
	}
	return out, nil
}

// WaitInterfacesReleased polls until no interface endpoint's network
// interface uses the group. Only those: AWS releases them on its own after
// the endpoints go, while another interface in the group (an instance's)
// stays until someone moves it, and waiting for it would only hide it
// (deleting the group then names it).
func (c *Cloud) WaitInterfacesReleased(ctx context.Context, groupID string, onPoll func([]NetworkInterface)) error {
	p := c.pacer()
	deadline := time.Now().Add(c.opts.DependencyWait)
	for {
		ns, err := c.EndpointInterfaces(ctx, groupID)
		if err != nil {
			return err
		}
		if onPoll != nil {
			onPoll(ns)
		}
		if len(ns) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return problem.New(problem.Dependency, "wait for the endpoints' network interfaces to be released",
				fmt.Sprintf("%d endpoint network interfaces still use %s", len(ns), groupID), "wait a few minutes and run 'down' again")
		}
		if err := p.wait(ctx); err != nil {
			return c.classify("wait for the network interfaces to be released", err)
		}
	}
}
