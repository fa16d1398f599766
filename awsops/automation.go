package awsops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/smithy-go"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/problem"
)

// The auto-teardown's AWS side: an IAM role EventBridge Scheduler runs as,
// its inline policy, and one-time schedules whose universal targets call
// the EC2 API (research D, E).

// Role is an IAM role.
type Role struct {
	Name    string    `json:"name"`
	Path    string    `json:"path,omitempty"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"created,omitzero"`
	Tags    Tags      `json:"tags,omitempty"`
}

func roleOf(r *iamtypes.Role) Role {
	out := Role{Name: aws.ToString(r.RoleName), Path: aws.ToString(r.Path), ARN: aws.ToString(r.Arn), Created: aws.ToTime(r.CreateDate)}
	for _, t := range r.Tags {
		if out.Tags == nil {
			out.Tags = Tags{}
		}
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func (c *Cloud) iamCmd(args ...string) Command {
	// IAM is global: the CLI needs no --region.
	return Command{Args: append([]string{"aws", "iam"}, args...)}
}

// CreateRole creates a role with a trust policy and tags.
func (c *Cloud) CreateRole(ctx context.Context, name, path, description, trust string, tags Tags) (Role, Command, error) {
	args := []string{"create-role", "--role-name", name, "--path", path, "--description", description, "--assume-role-policy-document", trust}
	in := &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), Description: aws.String(description), AssumeRolePolicyDocument: aws.String(trust)}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		args = append(args, "--tags", "Key="+k+",Value="+tags[k])
	}
	cmd := c.iamCmd(args...)
	out, err := c.iam.CreateRole(ctx, in)
	if err != nil {
		return Role{}, cmd, c.classify("create the role "+name, err)
	}
	r := roleOf(out.Role)
	cmd.Result = r.ARN
	return r, cmd, nil
}

// GetRole returns the role, or nil when it does not exist.
func (c *Cloud) GetRole(ctx context.Context, name string) (*Role, error) {
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if isCode(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, c.classify("look for the role "+name, err)
	}
	r := roleOf(out.Role)
	return &r, nil
}

// PutRolePolicy sets an inline policy of the role.
func (c *Cloud) PutRolePolicy(ctx context.Context, role, name, doc string) (Command, error) {
	cmd := c.iamCmd("put-role-policy", "--role-name", role, "--policy-name", name, "--policy-document", doc)
	_, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		return cmd, c.classify("give the role "+role+" its policy", err)
	}
	return cmd, nil
}

// RolePolicy returns an inline policy's document (decoded: IAM sends it
// URL-encoded, research E), or "" when there is none.
func (c *Cloud) RolePolicy(ctx context.Context, role, name string) (string, error) {
	out, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	if isCode(err, "NoSuchEntity") {
		return "", nil
	}
	if err != nil {
		return "", c.classify("read the policy of the role "+role, err)
	}
	doc, derr := url.QueryUnescape(aws.ToString(out.PolicyDocument))
	if derr != nil {
		doc = aws.ToString(out.PolicyDocument)
	}
	return doc, nil
}

// DeleteRole deletes the role and its inline policies (IAM refuses to
// delete a role that still has them). gone is false when there was no
// such role.
func (c *Cloud) DeleteRole(ctx context.Context, name string) (cmds []Command, existed bool, err error) {
	pols, err := c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if isCode(err, "NoSuchEntity") {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, c.classify("list the policies of the role "+name, err)
	}
	for _, p := range pols.PolicyNames {
		cmds = append(cmds, c.iamCmd("delete-role-policy", "--role-name", name, "--policy-name", p))
		if _, err := c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil && !isCode(err, "NoSuchEntity") {
			return cmds, true, c.classify("delete the policy "+p+" of the role "+name, err)
		}
	}
	cmds = append(cmds, c.iamCmd("delete-role", "--role-name", name))
	_, err = c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
	if isCode(err, "NoSuchEntity") {
		return cmds, true, nil
	}
	if err != nil {
		return cmds, true, c.classify("delete the role "+name, err)
	}
	return cmds, true, nil
}

// ListRoles lists the roles under a path.
func (c *Cloud) ListRoles(ctx context.Context, pathPrefix string) ([]Role, error) {
	var out []Role
	p := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{PathPrefix: aws.String(pathPrefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("list the roles under "+pathPrefix, err)
		}
		for i := range page.Roles {
			out = append(out, roleOf(&page.Roles[i]))
		}
	}
	return out, nil
}

// SimulatedCheck is one action on one resource to simulate.
type SimulatedCheck struct {
	Action   string              `json:"action"`
	Resource string              `json:"resource,omitempty"`
	Context  map[string][]string `json:"context,omitempty"`
}

// SimulatedResult is the simulator's verdict on one check.
type SimulatedResult struct {
	SimulatedCheck
	Allowed bool `json:"allowed"`
	// Decision is allowed, explicitDeny or implicitDeny.
	Decision string `json:"decision"`
}

// SimulatePermissions asks IAM's policy simulator whether principal (a
// role or user ARN) may make each check. It needs
// iam:SimulatePrincipalPolicy itself.
func (c *Cloud) SimulatePermissions(ctx context.Context, principal string, checks []SimulatedCheck) ([]SimulatedResult, error) {
	var out []SimulatedResult
	for _, chk := range checks {
		in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(principal), ActionNames: []string{chk.Action}}
		if chk.Resource != "" {
			in.ResourceArns = []string{chk.Resource}
		}
		for _, k := range slices.Sorted(maps.Keys(chk.Context)) {
			in.ContextEntries = append(in.ContextEntries, iamtypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyValues: chk.Context[k], ContextKeyType: iamtypes.ContextKeyTypeEnumString})
		}
		res, err := c.iam.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			return nil, c.classify("ask IAM's policy simulator about "+chk.Action, err)
		}
		r := SimulatedResult{SimulatedCheck: chk, Decision: "implicitDeny"}
		for _, e := range res.EvaluationResults {
			r.Decision = string(e.EvalDecision)
		}
		r.Allowed = r.Decision == string(iamtypes.PolicyEvaluationDecisionTypeAllowed)
		out = append(out, r)
	}
	return out, nil
}

// PrincipalARN is the IAM identity behind a caller ARN, as the policy
// simulator takes it: an assumed role's session becomes its role (whose
// path the session ARN does not carry; GetRole supplies it when allowed).
func (c *Cloud) PrincipalARN(ctx context.Context, caller string) string {
	parts := strings.SplitN(caller, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return caller
	}
	role, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	if r, err := c.GetRole(ctx, role); err == nil && r != nil {
		return r.ARN
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

// Partition is the partition of an ARN (aws, aws-cn, aws-us-gov), "aws"
// when it has none.
func Partition(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// Schedule is an EventBridge Scheduler schedule.
type Schedule struct {
	Name        string    `json:"name"`
	Group       string    `json:"group,omitempty"`
	ARN         string    `json:"arn,omitempty"`
	Expression  string    `json:"expression,omitempty"`
	At          time.Time `json:"at,omitzero"`
	State       string    `json:"state,omitempty"`
	Target      string    `json:"target,omitempty"`
	RoleARN     string    `json:"roleArn,omitempty"`
	Input       string    `json:"input,omitempty"`
	Description string    `json:"description,omitempty"`
	// AfterCompletion is DELETE or NONE.
	AfterCompletion string    `json:"afterCompletion,omitempty"`
	Created         time.Time `json:"created,omitzero"`
}

// ScheduleSpec describes a one-time schedule to create.
type ScheduleSpec struct {
	Name        string
	Description string
	At          time.Time
	// Target is a universal target (arn:aws:scheduler:::aws-sdk:ec2:...).
	Target  string
	RoleARN string
	// Input is the target API's parameters, as JSON.
	Input string
	// RetryAttempts and MaxAge bound Scheduler's retries of a failed call.
	RetryAttempts int
	MaxAge        time.Duration
}

// AtExpression is the one-time expression for t (UTC, whole seconds).
func AtExpression(t time.Time) string { return "at(" + t.UTC().Format("2006-01-02T15:04:05") + ")" }

var atExpr = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)

func scheduleOf(o *scheduler.GetScheduleOutput) Schedule {
	s := Schedule{Name: aws.ToString(o.Name), Group: aws.ToString(o.GroupName), ARN: aws.ToString(o.Arn), Expression: aws.ToString(o.ScheduleExpression),
		State: string(o.State), Description: aws.ToString(o.Description), AfterCompletion: string(o.ActionAfterCompletion), Created: aws.ToTime(o.CreationDate)}
	if o.Target != nil {
		s.Target, s.RoleARN, s.Input = aws.ToString(o.Target.Arn), aws.ToString(o.Target.RoleArn), aws.ToString(o.Target.Input)
	}
	if m := atExpr.FindStringSubmatch(s.Expression); m != nil {
		loc := time.UTC
		if tz := aws.ToString(o.ScheduleExpressionTimezone); tz != "" {
			if l, err := time.LoadLocation(tz); err == nil {
				loc = l
			}
		}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", m[1], loc); err == nil {
			s.At = t.UTC()
		}
	}
	return s
}

func (c *Cloud) scheduleInput(s ScheduleSpec) (*schedtypes.Target, []string) {
	t := &schedtypes.Target{Arn: aws.String(s.Target), RoleArn: aws.String(s.RoleARN)}
	args := []string{"--target", "Arn=" + s.Target + ",RoleArn=" + s.RoleARN}
	if s.Input != "" {
		t.Input = aws.String(s.Input)
		args = []string{"--target", fmt.Sprintf(`{"Arn":%q,"RoleArn":%q,"Input":%q}`, s.Target, s.RoleARN, s.Input)}
	}
	if s.RetryAttempts > 0 || s.MaxAge > 0 {
		t.RetryPolicy = &schedtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(int32(s.RetryAttempts)), MaximumEventAgeInSeconds: aws.Int32(int32(s.MaxAge / time.Second))}
	}
	return t, args
}

// IsRoleNotYetAssumable recognises Scheduler's answer while IAM has not
// propagated a new role (or its trust policy does not let Scheduler in):
// "The execution role you provide must allow AWS EventBridge Scheduler to
// assume the role." (research D.2).
func IsRoleNotYetAssumable(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" && strings.Contains(ae.ErrorMessage(), "assume the role")
}

// RolePropagationWait bounds how long CreateSchedule waits for IAM to
// propagate a new role: the community waits 10 to 30 seconds (research
// D.2); twice that, to be safe.
const RolePropagationWait = 60 * time.Second

// CreateSchedule creates a one-time schedule (flexible window off, deleted
// after it runs). While Scheduler cannot assume a role IAM has not
// propagated yet, it retries, telling onWait how long it waits.
func (c *Cloud) CreateSchedule(ctx context.Context, s ScheduleSpec, onWait func(attempt int, wait time.Duration)) (Schedule, Command, error) {
	target, targs := c.scheduleInput(s)
	expr := AtExpression(s.At)
	args := append([]string{"scheduler", "create-schedule", "--name", s.Name, "--schedule-expression", expr,
		"--flexible-time-window", "Mode=OFF", "--action-after-completion", "DELETE", "--description", s.Description}, targs...)
	cmd := awsCmd(c.region, args...)
	in := &scheduler.CreateScheduleInput{Name: aws.String(s.Name), ScheduleExpression: aws.String(expr), Description: aws.String(s.Description),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete, Target: target,
		ScheduleExpressionTimezone: aws.String("UTC"),
	}
	deadline := time.Now().Add(RolePropagationWait)
	wait := c.opts.Poll
	for attempt := 1; ; attempt++ {
		in.ClientToken = nil // a fresh token: an earlier attempt created nothing
		out, err := c.scheduler.CreateSchedule(ctx, in)
		if err == nil {
			cmd.Result = aws.ToString(out.ScheduleArn)
			return Schedule{Name: s.Name, Group: "default", ARN: aws.ToString(out.ScheduleArn), Expression: expr, At: s.At.UTC().Truncate(time.Second),
				State: "ENABLED", Target: s.Target, RoleARN: s.RoleARN, Input: s.Input, Description: s.Description, AfterCompletion: "DELETE"}, cmd, nil
		}
		if !IsRoleNotYetAssumable(err) || time.Now().Add(wait).After(deadline) {
			e := c.classify("create the schedule "+s.Name, err)
			if IsRoleNotYetAssumable(err) {
				if pe, ok := problem.As(e); ok {
					pe.Fix = fmt.Sprintf("EventBridge Scheduler still cannot assume the role after %s: IAM may be slow to propagate it; run the command again in a minute", RolePropagationWait)
				}
			}
			return Schedule{}, cmd, e
		}
		if onWait != nil {
			onWait(attempt, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return Schedule{}, cmd, c.classify("create the schedule "+s.Name, err)
		}
		wait = min(wait*2, 8*time.Second)
	}
}

// UpdateSchedule replaces a schedule with spec (its time or its input).
func (c *Cloud) UpdateSchedule(ctx context.Context, s ScheduleSpec) (Command, error) {
	target, targs := c.scheduleInput(s)
	expr := AtExpression(s.At)
	cmd := awsCmd(c.region, append([]string{"scheduler", "update-schedule", "--name", s.Name, "--schedule-expression", expr,
		"--flexible-time-window", "Mode=OFF", "--action-after-completion", "DELETE", "--description", s.Description}, targs...)...)
	_, err := c.scheduler.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String(s.Name), ScheduleExpression: aws.String(expr),
		Description: aws.String(s.Description), FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete, Target: target, ScheduleExpressionTimezone: aws.String("UTC")})
	if err != nil {
		return cmd, c.classify("update the schedule "+s.Name, err)
	}
	return cmd, nil
}

// GetSchedule returns the schedule, or nil when there is none (never
// created, deleted, or gone after it ran).
func (c *Cloud) GetSchedule(ctx context.Context, name string) (*Schedule, error) {
	out, err := c.scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
	var nf *schedtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, c.classify("look for the schedule "+name, err)
	}
	s := scheduleOf(out)
	return &s, nil
}

// DeleteSchedule deletes a schedule; existed is false when there was none.
func (c *Cloud) DeleteSchedule(ctx context.Context, name string) (cmd Command, existed bool, err error) {
	cmd = awsCmd(c.region, "scheduler", "delete-schedule", "--name", name)
	_, err = c.scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name)})
	var nf *schedtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return cmd, false, nil
	}
	if err != nil {
		return cmd, true, c.classify("delete the schedule "+name, err)
	}
	return cmd, true, nil
}

// ListSchedules lists the schedules whose names start with prefix, each
// read in full (ListSchedules leaves out the expression).
func (c *Cloud) ListSchedules(ctx context.Context, prefix string) ([]Schedule, error) {
	names, err := c.ScheduleNames(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []Schedule
	for _, n := range names {
		s, err := c.GetSchedule(ctx, n)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, *s)
		}
	}
	return out, nil
}

// isCode reports whether err is an AWS error with that code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// TagResources sets tags on EC2 resources (a run's new expiry, its stage).
func (c *Cloud) TagResources(ctx context.Context, ids []string, tags Tags) (Command, error) {
	var ts []ec2types.Tag
	args := append([]string{"ec2", "create-tags", "--resources"}, ids...)
	args = append(args, "--tags")
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		args = append(args, "Key="+k+",Value="+tags[k])
	}
	cmd := awsCmd(c.region, args...)
	if _, err := c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: ts}); err != nil {
		return cmd, c.classify("tag "+strings.Join(ids, ", "), err)
	}
	return cmd, nil
}

// EnabledRegions lists the regions enabled for the account
// (DescribeRegions without AllRegions: "the Regions that are enabled for
// your account"; research F.4), sorted.
func (c *Cloud) EnabledRegions(ctx context.Context) ([]string, error) {
	out, err := c.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, c.classify("list the enabled regions", err)
	}
	var rs []string
	for _, r := range out.Regions {
		rs = append(rs, aws.ToString(r.RegionName))
	}
	sort.Strings(rs)
	return rs, nil
}

// ForRegion is a Cloud for the same account and options in another region.
func (c *Cloud) ForRegion(region string) (*Cloud, error) {
	if region == c.region {
		return c, nil
	}
	opts := c.opts
	opts.Config = c.opts.Config.Copy()
	opts.Config.Region = region
	return New(opts)
}
