package awsops

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/problem"
)

// Tags are resource tags.
type Tags map[string]string

func (t Tags) spec(resourceType types.ResourceType) []types.TagSpecification {
	if len(t) == 0 {
		return nil
	}
	var tags []types.Tag
	for _, k := range slices.Sorted(maps.Keys(t)) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(t[k])})
	}
	return []types.TagSpecification{{ResourceType: resourceType, Tags: tags}}
}

// cli renders tags as a --tag-specifications argument.
func (t Tags) cli(resourceType string) []string {
	if len(t) == 0 {
		return nil
	}
	s := "ResourceType=" + resourceType + ",Tags=["
	for i, k := range slices.Sorted(maps.Keys(t)) {
		if i > 0 {
			s += ","
		}
		s += "{Key=" + k + ",Value=" + t[k] + "}"
	}
	return []string{"--tag-specifications", s + "]"}
}

func tagsOf(ts []types.Tag) Tags {
	if len(ts) == 0 {
		return nil
	}
	m := Tags{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// SecurityGroup is a security group.
type SecurityGroup struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	VpcID       string `json:"vpcId"`
	Tags        Tags   `json:"tags,omitempty"`
}

// Rule is a security group rule.
type Rule struct {
	ID      string `json:"id"`
	GroupID string `json:"groupId"`
	// Existed is set when the rule was already there.
	Existed bool `json:"existed,omitempty"`
	Tags    Tags `json:"tags,omitempty"`
	// SourceGroup is the group the rule lets in (IngressRules fills it).
	SourceGroup string `json:"sourceGroup,omitempty"`
}

// IngressRules lists the group's rules that let tcp/443 in from another
// group.
func (c *Cloud) IngressRules(ctx context.Context, groupID string) ([]Rule, error) {
	out, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}}})
	if err != nil {
		return nil, c.classify("list the group's rules", err)
	}
	var rs []Rule
	for _, r := range out.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) || aws.ToString(r.IpProtocol) != "tcp" || aws.ToInt32(r.FromPort) > 443 || aws.ToInt32(r.ToPort) < 443 || r.ReferencedGroupInfo == nil {
			continue
		}
		rs = append(rs, Rule{ID: aws.ToString(r.SecurityGroupRuleId), GroupID: groupID, Existed: true, Tags: tagsOf(r.Tags),
			SourceGroup: aws.ToString(r.ReferencedGroupInfo.GroupId)})
	}
	return rs, nil
}

// AdmitsHTTPS reports whether the group's inbound rules let tcp/443 in
// from the workspace: from one of its security groups, or from a CIDR
// holding its private address. A group is all allow rules; traffic none
// admits is dropped without an answer.
func (c *Cloud) AdmitsHTTPS(ctx context.Context, groupID string, ws Workspace) (bool, error) {
	out, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}}})
	if err != nil {
		return false, c.classify("list the group's rules", err)
	}
	// The interface's own groups when they are known: a group chosen by
	// hand that the instance is not in admits nothing of its traffic.
	sources := ws.SecurityGroupIDs
	if len(sources) == 0 {
		sources = []string{ws.SecurityGroupID}
	}
	ip, ipErr := netip.ParseAddr(ws.PrivateIP)
	for _, r := range out.SecurityGroupRules {
		proto := aws.ToString(r.IpProtocol)
		if aws.ToBool(r.IsEgress) || (proto != "-1" && (proto != "tcp" || aws.ToInt32(r.FromPort) > 443 || aws.ToInt32(r.ToPort) < 443)) {
			continue
		}
		if r.ReferencedGroupInfo != nil && slices.Contains(sources, aws.ToString(r.ReferencedGroupInfo.GroupId)) {
			return true, nil
		}
		if pfx, err := netip.ParsePrefix(aws.ToString(r.CidrIpv4)); err == nil && ipErr == nil && pfx.Contains(ip) {
			return true, nil
		}
	}
	return false, nil
}

// FindSecurityGroup returns the group of that name in the VPC, or nil.
func (c *Cloud) FindSecurityGroup(ctx context.Context, vpcID, name string) (*SecurityGroup, error) {
	out, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("group-name"), Values: []string{name}},
	}})
	if err != nil {
		return nil, c.classify("look for the security group "+name, err)
	}
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupName) == name {
			return &SecurityGroup{ID: aws.ToString(g.GroupId), Name: name, Description: aws.ToString(g.Description), VpcID: vpcID, Tags: tagsOf(g.Tags)}, nil
		}
	}
	return nil, nil
}

// SecurityGroupExists reports whether the group still exists.
func (c *Cloud) SecurityGroupExists(ctx context.Context, id string) (bool, error) {
	out, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{id}}}})
	if err != nil {
		return false, c.classify("look for the security group "+id, err)
	}
	return len(out.SecurityGroups) > 0, nil
}

// CreateSecurityGroupCommand is CreateSecurityGroup's AWS CLI equivalent.
func (c *Cloud) CreateSecurityGroupCommand(vpcID, name, description string, tags Tags) Command {
	cmd := awsCmd(c.region, append([]string{"ec2", "create-security-group", "--group-name", name, "--description", description, "--vpc-id", vpcID}, tags.cli("security-group")...)...)
	cmd.Capture, cmd.Query = "VPCE_SG_ID", "GroupId"
	return cmd
}

// CreateSecurityGroup creates a security group in the VPC.
func (c *Cloud) CreateSecurityGroup(ctx context.Context, vpcID, name, description string, tags Tags) (SecurityGroup, Command, error) {
	cmd := c.CreateSecurityGroupCommand(vpcID, name, description, tags)
	out, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String(description), VpcId: aws.String(vpcID),
		TagSpecifications: tags.spec(types.ResourceTypeSecurityGroup),
	})
	if err != nil {
		return SecurityGroup{}, cmd, c.classify("create the security group "+name, err)
	}
	cmd.Result = aws.ToString(out.GroupId)
	return SecurityGroup{ID: aws.ToString(out.GroupId), Name: name, Description: description, VpcID: vpcID, Tags: tags}, cmd, nil
}

// FindIngressRule returns the rule allowing tcp/443 from sourceGroup, or nil.
func (c *Cloud) FindIngressRule(ctx context.Context, groupID, sourceGroup string) (*Rule, error) {
	out, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}}})
	if err != nil {
		return nil, c.classify("look for the ingress rule", err)
	}
	for _, r := range out.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) || aws.ToString(r.IpProtocol) != "tcp" || aws.ToInt32(r.FromPort) > 443 || aws.ToInt32(r.ToPort) < 443 {
			continue
		}
		if r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == sourceGroup {
			return &Rule{ID: aws.ToString(r.SecurityGroupRuleId), GroupID: groupID, Existed: true, Tags: tagsOf(r.Tags)}, nil
		}
	}
	return nil, nil
}

// AuthorizeIngressCommand is AuthorizeIngress's AWS CLI equivalent.
func (c *Cloud) AuthorizeIngressCommand(groupID, sourceGroup string, tags Tags) Command {
	cmd := awsCmd(c.region, append([]string{"ec2", "authorize-security-group-ingress", "--group-id", groupID, "--protocol", "tcp", "--port", "443", "--source-group", sourceGroup}, tags.cli("security-group-rule")...)...)
	cmd.Capture, cmd.Query = "SG_RULE_ID", "SecurityGroupRules[0].SecurityGroupRuleId"
	return cmd
}

// AuthorizeIngress allows tcp/443 into groupID from sourceGroup. A rule that
// already exists (InvalidPermission.Duplicate) is found and returned.
func (c *Cloud) AuthorizeIngress(ctx context.Context, groupID, sourceGroup string, tags Tags) (Rule, Command, error) {
	cmd := c.AuthorizeIngressCommand(groupID, sourceGroup, tags)
	out, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(groupID),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(sourceGroup)}}}},
		TagSpecifications: tags.spec(types.ResourceTypeSecurityGroupRule),
	})
	if CodeOf(err) == "InvalidPermission.Duplicate" {
		r, ferr := c.FindIngressRule(ctx, groupID, sourceGroup)
		if ferr != nil {
			return Rule{}, cmd, ferr
		}
		if r != nil {
			cmd.Result = r.ID
			return *r, cmd, nil
		}
	}
	if err != nil {
		return Rule{}, cmd, c.classify("allow HTTPS from the workspace into the endpoints' security group", err)
	}
	r := Rule{GroupID: groupID, Tags: tags}
	if len(out.SecurityGroupRules) > 0 {
		r.ID = aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
	}
	cmd.Result = r.ID
	return r, cmd, nil
}

// RevokeIngress removes a rule by id; a rule or group already gone is fine,
// unless the group was created (at since) so recently that EC2's NotFound
// may only mean its reads have not caught up: then it tries again.
func (c *Cloud) RevokeIngress(ctx context.Context, groupID, ruleID string, since time.Time) (Command, error) {
	cmd := awsCmd(c.region, "ec2", "revoke-security-group-ingress", "--group-id", groupID, "--security-group-rule-ids", ruleID)
	err := c.Settle(ctx, since, nil, func() error {
		_, err := c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(groupID), SecurityGroupRuleIds: []string{ruleID}})
		return err
	})
	if err != nil && problem.KindOf(c.classify("", err)) != problem.NotFound {
		return cmd, c.classify("remove the ingress rule "+ruleID, err)
	}
	return cmd, nil
}

// DeleteSecurityGroup deletes a group, retrying at the poll cadence while EC2
// answers DependencyViolation (an endpoint's network interfaces are still
// being released). A group already gone is fine, unless it was created (at
// since) so recently that EC2's NotFound may only mean its reads have not
// caught up. onWait hears each retry; when it returns an error (it found
// what holds the group, and waiting will not release it), the delete stops
// with that error.
func (c *Cloud) DeleteSecurityGroup(ctx context.Context, id string, since time.Time, onWait func(attempt int, wait time.Duration) error) (Command, error) {
	cmd := awsCmd(c.region, "ec2", "delete-security-group", "--group-id", id)
	deadline := time.Now().Add(c.opts.DependencyWait)
	p := c.pacer()
	for attempt := 1; ; attempt++ {
		err := c.Settle(ctx, since, nil, func() error {
			_, err := c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
			return err
		})
		if err == nil {
			return cmd, nil
		}
		e := c.classify("delete the security group "+id, err)
		switch problem.KindOf(e) {
		case problem.NotFound:
			return cmd, nil
		case problem.Dependency:
			if time.Now().Add(p.next()).After(deadline) {
				return cmd, e
			}
			if onWait != nil {
				if err := onWait(attempt, p.next()); err != nil {
					return cmd, err
				}
			}
			if err := p.wait(ctx); err != nil {
				return cmd, c.classify("delete the security group "+id, err)
			}
			continue
		}
		return cmd, e
	}
}

// GroupReference is a rule in another security group that names a group:
// EC2 refuses to delete a group while any rule refers to it
// (DependencyViolation; https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html),
// and no wait releases it.
type GroupReference struct {
	// GroupID and GroupName are the group the rule belongs to.
	GroupID   string `json:"groupId"`
	GroupName string `json:"groupName,omitempty"`
	RuleID    string `json:"ruleId"`
	Egress    bool   `json:"egress,omitempty"`
}

// RevokeCommand is the AWS CLI command that removes the rule.
func (r GroupReference) RevokeCommand(region string) Command {
	verb := "revoke-security-group-ingress"
	if r.Egress {
		verb = "revoke-security-group-egress"
	}
	return awsCmd(region, "ec2", verb, "--group-id", r.GroupID, "--security-group-rule-ids", r.RuleID)
}

// GroupReferences finds the rules of other groups that refer to groupID,
// inbound or outbound: DescribeSecurityGroups' ip-permission.group-id and
// egress.ip-permission.group-id filters find the groups
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html),
// DescribeSecurityGroupRules their rules.
func (c *Cloud) GroupReferences(ctx context.Context, groupID string) ([]GroupReference, error) {
	const op = "look for rules of other security groups that refer to the group"
	names := map[string]string{}
	var ids []string
	for _, f := range []string{"ip-permission.group-id", "egress.ip-permission.group-id"} {
		p := ec2.NewDescribeSecurityGroupsPaginator(c.ec2, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String(f), Values: []string{groupID}}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, c.classify(op, err)
			}
			for _, g := range page.SecurityGroups {
				id := aws.ToString(g.GroupId)
				if _, seen := names[id]; !seen && id != groupID {
					names[id] = aws.ToString(g.GroupName)
					ids = append(ids, id)
				}
			}
		}
	}
	sort.Strings(ids)
	var refs []GroupReference
	for _, id := range ids {
		p := ec2.NewDescribeSecurityGroupRulesPaginator(c.ec2, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{id}}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, c.classify(op, err)
			}
			for _, r := range page.SecurityGroupRules {
				if r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == groupID {
					refs = append(refs, GroupReference{GroupID: id, GroupName: names[id], RuleID: aws.ToString(r.SecurityGroupRuleId), Egress: aws.ToBool(r.IsEgress)})
				}
			}
		}
	}
	return refs, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
