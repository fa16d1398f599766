package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// The execution role's documents, as the lab writes them (research D.4).
func schedulerTrust(account, region string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole",` +
		`"Condition":{"StringEquals":{"aws:SourceAccount":"` + account + `","aws:SourceArn":"arn:aws:scheduler:` + region + `:` + account + `:schedule-group/default"}}}]}`
}

func deleteTaggedPolicy(run string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DeleteVpcEndpoints","Resource":"arn:aws:ec2:*:*:vpc-endpoint/*",` +
		`"Condition":{"StringEquals":{"aws:ResourceTag/ecr-vpce-lab:run":"` + run + `"}}}]}`
}

type schedFixture struct {
	t     *testing.T
	sb    *Sandbox
	clock *ManualClock
	ec2   *ec2.Client
	iam   *iam.Client
	sched *scheduler.Client
	ctx   context.Context
}

func newSchedFixture(t *testing.T, opts Options) *schedFixture {
	t.Helper()
	clock := NewManualClock(time.Now().UTC().Truncate(time.Second))
	opts.Clock = clock
	sb := startSandbox(t, opts)
	cfg := sdkConfig(sb, sb.Credentials(), nil)
	return &schedFixture{t: t, sb: sb, clock: clock, ec2: ec2.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), sched: scheduler.NewFromConfig(cfg), ctx: context.Background()}
}

// endpoint creates an interface endpoint tagged with run ("" for none).
func (f *schedFixture) endpoint(service, run string) string {
	f.t.Helper()
	ws := f.sb.Workspace()
	in := &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws." + f.sb.Region() + "." + service),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{ws.SubnetID}, PrivateDnsEnabled: aws.Bool(false)}
	if run != "" {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: []ec2types.Tag{{Key: aws.String("ecr-vpce-lab:run"), Value: aws.String(run)}}}}
	}
	out, err := f.ec2.CreateVpcEndpoint(f.ctx, in)
	must(f.t, "CreateVpcEndpoint", err)
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}

func (f *schedFixture) role(name, trust string, inline map[string]string) string {
	f.t.Helper()
	out, err := f.iam.CreateRole(f.ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust), Path: aws.String("/ecr-vpce-lab/")})
	must(f.t, "CreateRole", err)
	for n, doc := range inline {
		_, err := f.iam.PutRolePolicy(f.ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(n), PolicyDocument: aws.String(doc)})
		must(f.t, "PutRolePolicy", err)
	}
	return aws.ToString(out.Role.Arn)
}

func (f *schedFixture) schedule(name, roleARN string, at time.Time, target, input string) error {
	_, err := f.sched.CreateSchedule(f.ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(name), ScheduleExpression: aws.String("at(" + at.UTC().Format("2006-01-02T15:04:05") + ")"),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
		Target:                &schedtypes.Target{Arn: aws.String(target), RoleArn: aws.String(roleARN), Input: aws.String(input)},
	})
	return err
}

func (f *schedFixture) states(ids ...string) map[string]string {
	f.t.Helper()
	out, err := f.ec2.DescribeVpcEndpoints(f.ctx, &ec2.DescribeVpcEndpointsInput{})
	must(f.t, "DescribeVpcEndpoints", err)
	m := map[string]string{}
	for _, e := range out.VpcEndpoints {
		m[aws.ToString(e.VpcEndpointId)] = string(e.State)
	}
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			m[id] = "gone"
		}
	}
	return m
}

const deleteEndpointsTarget = "arn:aws:scheduler:::aws-sdk:ec2:deleteVpcEndpoints"

// TestScheduleFiresAsItsRole: a one-time schedule fires at its time; the
// sandbox assumes the execution role and calls DeleteVpcEndpoints on its
// own EC2 API with the session's keys. The role may delete only endpoints
// tagged with its run: those go; a schedule whose input names another
// run's endpoint is refused as AWS refuses the role (UnauthorizedOperation
// naming the session and the endpoint), and both schedules are gone after
// their invocation (ActionAfterCompletion DELETE), as AWS shows it.
func TestScheduleFiresAsItsRole(t *testing.T) {
	f := newSchedFixture(t, Options{})
	run := "0a1b2c3d4e"
	mine := []string{f.endpoint("ecr.dkr", run), f.endpoint("ecr.api", run)}
	other := f.endpoint("logs", "ffffffffff")
	roleARN := f.role("ecr-vpce-lab-teardown-"+run, schedulerTrust(f.sb.Account(), f.sb.Region()), map[string]string{"delete-endpoints": deleteTaggedPolicy(run)})

	at := f.clock.Now().Add(4 * time.Hour)
	must(t, "CreateSchedule (mine)", f.schedule("ecr-vpce-lab-"+run+"-endpoints", roleARN, at, deleteEndpointsTarget, `{"VpcEndpointIds":["`+mine[0]+`","`+mine[1]+`"]}`))
	must(t, "CreateSchedule (other's)", f.schedule("ecr-vpce-lab-"+run+"-other", roleARN, at, deleteEndpointsTarget, `{"VpcEndpointIds":["`+other+`"]}`))

	if inv := f.sb.FireDue(f.ctx); len(inv) != 0 {
		t.Fatalf("fired before their time: %+v", inv)
	}
	f.clock.Advance(4*time.Hour + time.Second)
	f.sb.FireDue(f.ctx) // (or the sandbox's own ticker did: either way it is done when this returns)
	invs := f.sb.Invocations()
	if len(invs) != 2 {
		t.Fatalf("invocations: %+v", invs)
	}
	byName := map[string]Invocation{}
	for _, inv := range invs {
		byName[inv.Schedule] = inv
	}
	ok := byName["ecr-vpce-lab-"+run+"-endpoints"]
	if ok.ErrorCode != "" || !ok.Final || ok.Action != "ec2:DeleteVpcEndpoints" || !strings.Contains(ok.Caller, ":assumed-role/ecr-vpce-lab-teardown-"+run+"/") {
		t.Errorf("the run's schedule: %+v", ok)
	}
	bad := byName["ecr-vpce-lab-"+run+"-other"]
	want := "You are not authorized to perform this operation. User: " + bad.Caller + " is not authorized to perform: ec2:DeleteVpcEndpoints on resource: arn:aws:ec2:" +
		f.sb.Region() + ":" + f.sb.Account() + ":vpc-endpoint/" + other + " because no identity-based policy allows the ec2:DeleteVpcEndpoints action. Encoded authorization failure message: "
	if bad.ErrorCode != "UnauthorizedOperation" || !strings.HasPrefix(bad.ErrorMessage, want) || !bad.Final {
		t.Errorf("another run's endpoint: %+v\nwant UnauthorizedOperation: %s…", bad, want)
	}
	st := f.states(append(mine, other)...)
	for _, id := range mine {
		if s := st[id]; s != "deleted" && s != "gone" {
			t.Errorf("the run's endpoint %s is %s after its schedule fired", id, s)
		}
	}
	if st[other] != "available" {
		t.Errorf("another run's endpoint is %q, want available (the role may not delete it)", st[other])
	}
	for _, name := range []string{"ecr-vpce-lab-" + run + "-endpoints", "ecr-vpce-lab-" + run + "-other"} {
		_, err := f.sched.GetSchedule(f.ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
		var nf *schedtypes.ResourceNotFoundException
		if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Schedule "+name+" does not exist." {
			t.Errorf("GetSchedule %s after it fired: %v, want ResourceNotFoundException", name, err)
		}
	}
	if n := len(f.sb.FireDue(f.ctx)); n != 0 {
		t.Errorf("%d invocations after the schedules were deleted", n)
	}
	if got := f.sb.Invocations(); len(got) != 2 {
		t.Errorf("the world keeps %d invocations, want 2", len(got))
	}
}

// TestScheduleRoleChecks: CreateSchedule checks the role as Scheduler does:
// the caller must be allowed iam:PassRole (else AccessDeniedException naming
// it), and Scheduler must be able to assume the role: a role IAM has not
// propagated yet, one that does not trust scheduler.amazonaws.com, or one
// that does not exist all answer the same ValidationException.
func TestScheduleRoleChecks(t *testing.T) {
	const assume = "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
	f := newSchedFixture(t, Options{Faults: Faults{RolePropagation: 8 * time.Second}})
	at := f.clock.Now().Add(time.Hour)
	good := f.role("fresh", schedulerTrust(f.sb.Account(), f.sb.Region()), nil)
	ec2Trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	wrong := f.role("ec2-only", ec2Trust, nil)
	validation := func(what string, err error) {
		t.Helper()
		var ve *schedtypes.ValidationException
		if !errors.As(err, &ve) || aws.ToString(ve.Message) != assume {
			t.Errorf("%s: %v, want ValidationException %q", what, err, assume)
		}
	}
	validation("a role created a moment ago", f.schedule("s1", good, at, deleteEndpointsTarget, `{}`))
	f.clock.Advance(9 * time.Second)
	must(t, "the same role once propagated", f.schedule("s1", good, at, deleteEndpointsTarget, `{}`))
	validation("a role that trusts only EC2", f.schedule("s2", wrong, at, deleteEndpointsTarget, `{}`))
	validation("a role that does not exist", f.schedule("s3", "arn:aws:iam::"+f.sb.Account()+":role/nope", at, deleteEndpointsTarget, `{}`))
	wantCode(t, "a second schedule of the same name", f.schedule("s1", good, at, deleteEndpointsTarget, `{}`), "ConflictException")

	// Without iam:PassRole.
	g := newSchedFixture(t, Options{Faults: Faults{DenyActions: []string{"iam:PassRole"}}})
	r := g.role("r", schedulerTrust(g.sb.Account(), g.sb.Region()), nil)
	err := g.schedule("s", r, g.clock.Now().Add(time.Hour), deleteEndpointsTarget, `{}`)
	var ae smithy.APIError
	want := "User: " + g.sb.Workspace().CallerARN + " is not authorized to perform: iam:PassRole on resource: " + r + " because no identity-based policy allows the iam:PassRole action"
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || ae.ErrorMessage() != want {
		t.Errorf("without iam:PassRole: %v\nwant AccessDeniedException: %s", err, want)
	}
}

// TestIAMRoles: IAM's answers for the role life cycle the lab goes through,
// in AWS's words (research E).
func TestIAMRoles(t *testing.T) {
	f := newSchedFixture(t, Options{})
	trust := schedulerTrust(f.sb.Account(), f.sb.Region())
	arn := f.role("ecr-vpce-lab-teardown-x", trust, map[string]string{"delete": deleteTaggedPolicy("x")})
	if want := "arn:aws:iam::" + f.sb.Account() + ":role/ecr-vpce-lab/ecr-vpce-lab-teardown-x"; arn != want {
		t.Errorf("role ARN %s, want %s", arn, want)
	}
	_, err := f.iam.CreateRole(f.ctx, &iam.CreateRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-x"), AssumeRolePolicyDocument: aws.String(trust)})
	wantMsg(t, "CreateRole twice", err, "EntityAlreadyExists", "Role with name ecr-vpce-lab-teardown-x already exists.")
	got, err := f.iam.GetRole(f.ctx, &iam.GetRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-x")})
	must(t, "GetRole", err)
	if doc, _ := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument)); doc != trust {
		t.Errorf("the trust policy comes back as %q (URL-encoded as IAM sends it), decoded %q", aws.ToString(got.Role.AssumeRolePolicyDocument), doc)
	}
	_, err = f.iam.DeleteRole(f.ctx, &iam.DeleteRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-x")})
	wantMsg(t, "DeleteRole with an inline policy", err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	pols, err := f.iam.ListRolePolicies(f.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ecr-vpce-lab-teardown-x")})
	must(t, "ListRolePolicies", err)
	if len(pols.PolicyNames) != 1 || pols.PolicyNames[0] != "delete" {
		t.Errorf("ListRolePolicies: %v", pols.PolicyNames)
	}
	_, err = f.iam.DeleteRolePolicy(f.ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("ecr-vpce-lab-teardown-x"), PolicyName: aws.String("nope")})
	wantMsg(t, "DeleteRolePolicy of a missing policy", err, "NoSuchEntity", "The role policy with name nope cannot be found.")
	_, err = f.iam.DeleteRolePolicy(f.ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("ecr-vpce-lab-teardown-x"), PolicyName: aws.String("delete")})
	must(t, "DeleteRolePolicy", err)
	_, err = f.iam.DeleteRole(f.ctx, &iam.DeleteRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-x")})
	must(t, "DeleteRole", err)
	_, err = f.iam.GetRole(f.ctx, &iam.GetRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-x")})
	wantMsg(t, "GetRole after DeleteRole", err, "NoSuchEntity", "The role with name ecr-vpce-lab-teardown-x cannot be found.")
	_, err = f.iam.PutRolePolicy(f.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String("{")})
	wantMsg(t, "PutRolePolicy with a broken document", err, "MalformedPolicyDocument", "Syntax errors in policy.")

	// The simulator, for the workspace's role: what a fault takes away.
	g := newSchedFixture(t, Options{Faults: Faults{DenyActions: []string{"iam:CreateRole", "scheduler:CreateSchedule"}}})
	role := strings.Replace(strings.Replace(g.sb.Workspace().CallerARN, ":sts::", ":iam::", 1), ":assumed-role/", ":role/", 1)
	role = role[:strings.LastIndex(role, "/")]
	sim, err := g.iam.SimulatePrincipalPolicy(g.ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role),
		ActionNames: []string{"iam:CreateRole", "iam:PassRole", "scheduler:CreateSchedule", "scheduler:DeleteSchedule"}})
	must(t, "SimulatePrincipalPolicy", err)
	got2 := map[string]string{}
	for _, r := range sim.EvaluationResults {
		got2[aws.ToString(r.EvalActionName)] = string(r.EvalDecision)
	}
	want := map[string]string{"iam:CreateRole": "implicitDeny", "iam:PassRole": "allowed", "scheduler:CreateSchedule": "implicitDeny", "scheduler:DeleteSchedule": "allowed"}
	for a, d := range want {
		if got2[a] != d {
			t.Errorf("simulated %s: %s, want %s", a, got2[a], d)
		}
	}
	_, err = g.iam.CreateRole(g.ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	wantMsg(t, "CreateRole without the permission", err, "AccessDenied",
		"User: "+g.sb.Workspace().CallerARN+" is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::"+g.sb.Account()+":role/r because no identity-based policy allows the iam:CreateRole action")
}

// TestIAMListsPage: ListRoles and ListRolePolicies answer a page at a time
// (MaxItems, IsTruncated, Marker), in name order, as the SDK's paginators
// expect; a bad Marker or MaxItems is refused.
func TestIAMListsPage(t *testing.T) {
	f := newSchedFixture(t, Options{})
	trust := schedulerTrust(f.sb.Account(), f.sb.Region())
	for _, n := range []string{"c", "a", "b"} {
		f.role("ecr-vpce-lab-teardown-"+n, trust, nil)
	}
	f.role("ecr-vpce-lab-teardown-p", trust, map[string]string{"two": deleteTaggedPolicy("x"), "one": deleteTaggedPolicy("y"), "three": deleteTaggedPolicy("z")})

	var roles []string
	rp := iam.NewListRolesPaginator(f.iam, &iam.ListRolesInput{PathPrefix: aws.String("/ecr-vpce-lab/"), MaxItems: aws.Int32(3)})
	pages := 0
	for rp.HasMorePages() {
		out, err := rp.NextPage(f.ctx)
		must(t, "ListRoles page", err)
		if len(out.Roles) > 3 || out.IsTruncated != (out.Marker != nil) {
			t.Errorf("ListRoles page %d: %d roles, truncated %v, marker %v", pages, len(out.Roles), out.IsTruncated, out.Marker)
		}
		for _, r := range out.Roles {
			roles = append(roles, aws.ToString(r.RoleName))
		}
		pages++
	}
	if want := []string{"ecr-vpce-lab-teardown-a", "ecr-vpce-lab-teardown-b", "ecr-vpce-lab-teardown-c", "ecr-vpce-lab-teardown-p"}; pages != 2 || !slices.Equal(roles, want) {
		t.Errorf("ListRoles in %d pages: %v, want 2 pages of %v", pages, roles, want)
	}

	first, err := f.iam.ListRolePolicies(f.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ecr-vpce-lab-teardown-p"), MaxItems: aws.Int32(2)})
	must(t, "ListRolePolicies", err)
	if !slices.Equal(first.PolicyNames, []string{"one", "three"}) || !first.IsTruncated || first.Marker == nil {
		t.Fatalf("first page of policies: %v, truncated %v, marker %v", first.PolicyNames, first.IsTruncated, first.Marker)
	}
	rest, err := f.iam.ListRolePolicies(f.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ecr-vpce-lab-teardown-p"), Marker: first.Marker})
	must(t, "ListRolePolicies, next page", err)
	if !slices.Equal(rest.PolicyNames, []string{"two"}) || rest.IsTruncated || rest.Marker != nil {
		t.Errorf("last page of policies: %v, truncated %v, marker %v", rest.PolicyNames, rest.IsTruncated, rest.Marker)
	}

	_, err = f.iam.ListRolePolicies(f.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ecr-vpce-lab-teardown-p"), Marker: aws.String("not-a-marker")})
	wantMsg(t, "ListRolePolicies with a bad Marker", err, "InvalidInput", "Invalid Marker.")
	_, err = f.iam.ListRoles(f.ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1001)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
		t.Errorf("ListRoles with MaxItems 1001: %v, want ValidationError", err)
	}
}

func wantMsg(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("%s: %v\nwant %s: %s", what, err, code, msg)
	}
}

// TestSchedulerThrottling: the fault refuses Scheduler calls as AWS
// throttles them (ThrottlingException, 429), leaving other services alone.
func TestSchedulerThrottling(t *testing.T) {
	f := newSchedFixture(t, Options{Faults: Faults{SchedulerThrottleRate: 1, Seed: 7}})
	_, err := f.sched.ListSchedules(f.ctx, &scheduler.ListSchedulesInput{})
	var te *schedtypes.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("ListSchedules under the fault: %v, want ThrottlingException", err)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != 429 {
		t.Errorf("status %d, want 429", re.HTTPStatusCode())
	}
	_, err = f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{})
	must(t, "EC2 under the scheduler's fault", err)
}

// runAutomationScenario makes every IAM and Scheduler call the sandbox
// serves, and the errors the lab meets, through w (for the botocore judge).
func runAutomationScenario(t *testing.T, sb *Sandbox, clock *ManualClock, w *wire) {
	t.Helper()
	ctx := context.Background()
	cfg := sdkConfig(sb, sb.Credentials(), w)
	im, sc := iam.NewFromConfig(cfg), scheduler.NewFromConfig(cfg)
	trust := schedulerTrust(sb.Account(), sb.Region())
	role, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-b0"), Path: aws.String("/ecr-vpce-lab/"),
		AssumeRolePolicyDocument: aws.String(trust), Description: aws.String("the lab's auto-teardown"),
		Tags: []iamtypes.Tag{{Key: aws.String("ecr-vpce-lab:run"), Value: aws.String("b0")}}})
	must(t, "CreateRole", err)
	_, err = im.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-b0"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	must(t, "TagRole", err)
	_, err = im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecr-vpce-lab-teardown-b0"), AssumeRolePolicyDocument: aws.String(trust)})
	wantCode(t, "CreateRole twice", err, "EntityAlreadyExists")
	_, err = im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role.Role.RoleName, PolicyName: aws.String("delete"), PolicyDocument: aws.String(deleteTaggedPolicy("b0"))})
	must(t, "PutRolePolicy", err)
	_, err = im.GetRole(ctx, &iam.GetRoleInput{RoleName: role.Role.RoleName})
	must(t, "GetRole", err)
	_, err = im.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	wantCode(t, "GetRole", err, "NoSuchEntity")
	_, err = im.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ecr-vpce-lab/")})
	must(t, "ListRoles", err)
	_, err = im.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role.Role.RoleName, PolicyName: aws.String("delete")})
	must(t, "GetRolePolicy", err)
	_, err = im.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: role.Role.RoleName})
	must(t, "ListRolePolicies", err)
	_, err = im.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: role.Role.Arn, ActionNames: []string{"ec2:DeleteVpcEndpoints"},
		ResourceArns:   []string{"arn:aws:ec2:" + sb.Region() + ":" + sb.Account() + ":vpc-endpoint/vpce-1"},
		ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:ResourceTag/ecr-vpce-lab:run"), ContextKeyValues: []string{"b0"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}})
	must(t, "SimulatePrincipalPolicy", err)

	at := clock.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05")
	in := &scheduler.CreateScheduleInput{Name: aws.String("ecr-vpce-lab-b0-endpoints"), ScheduleExpression: aws.String("at(" + at + ")"),
		Description:           aws.String("delete the run's endpoints"),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
		Target: &schedtypes.Target{Arn: aws.String(deleteEndpointsTarget), RoleArn: role.Role.Arn, Input: aws.String(`{"VpcEndpointIds":["vpce-1"]}`),
			RetryPolicy: &schedtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(3600)}}}
	_, err = sc.CreateSchedule(ctx, in)
	must(t, "CreateSchedule", err)
	_, err = sc.CreateSchedule(ctx, in)
	must(t, "CreateSchedule again with its client token (a retry)", err)
	in.ClientToken = nil
	_, err = sc.CreateSchedule(ctx, in)
	wantCode(t, "CreateSchedule twice", err, "ConflictException")
	in.Name, in.ScheduleExpression = aws.String("bad"), aws.String("at(tomorrow)")
	_, err = sc.CreateSchedule(ctx, in)
	wantCode(t, "CreateSchedule with a bad expression", err, "ValidationException")
	in.Name, in.ScheduleExpression = aws.String("ecr-vpce-lab-b0-endpoints"), aws.String("at("+at+")")
	in.Description = aws.String("updated")
	_, err = sc.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: in.Name, ScheduleExpression: in.ScheduleExpression, FlexibleTimeWindow: in.FlexibleTimeWindow,
		ActionAfterCompletion: in.ActionAfterCompletion, Target: in.Target, Description: in.Description})
	must(t, "UpdateSchedule", err)
	_, err = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: in.Name})
	must(t, "GetSchedule", err)
	_, err = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nope")})
	wantCode(t, "GetSchedule", err, "ResourceNotFoundException")
	_, err = sc.ListSchedules(ctx, &scheduler.ListSchedulesInput{NamePrefix: aws.String("ecr-vpce-lab-")})
	must(t, "ListSchedules", err)
	_, err = sc.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("default")})
	must(t, "GetScheduleGroup", err)
	_, err = sc.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{})
	must(t, "ListScheduleGroups", err)
	_, err = sc.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: in.Name})
	must(t, "DeleteSchedule", err)
	_, err = sc.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: in.Name})
	wantCode(t, "DeleteSchedule twice", err, "ResourceNotFoundException")

	_, err = im.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role.Role.RoleName})
	wantCode(t, "DeleteRole with a policy", err, "DeleteConflict")
	_, err = im.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role.Role.RoleName, PolicyName: aws.String("delete")})
	must(t, "DeleteRolePolicy", err)
	_, err = im.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role.Role.RoleName})
	must(t, "DeleteRole", err)

	// The organization and a member's role (the sandbox has two accounts).
	orgs := organizations.NewFromConfig(cfg)
	_, err = orgs.ListAccounts(ctx, &organizations.ListAccountsInput{})
	must(t, "ListAccounts", err)
	_, err = orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	must(t, "DescribeOrganization", err)
	member := sb.Accounts()[1]
	mk, _ := sb.AccountCredentials(member)
	_, err = organizations.NewFromConfig(sdkConfig(sb, mk, w)).ListAccounts(ctx, &organizations.ListAccountsInput{})
	wantCode(t, "ListAccounts from a member", err, "AccessDeniedException")
	st := sts.NewFromConfig(cfg)
	_, err = st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/" + OrgAccessRole), RoleSessionName: aws.String("fleet")})
	must(t, "AssumeRole", err)
	_, err = st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/Nope"), RoleSessionName: aws.String("fleet")})
	wantCode(t, "AssumeRole of a missing role", err, "AccessDenied")

	regions, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	must(t, "DescribeRegions", err)
	if len(regions.Regions) < 2 || aws.ToString(regions.Regions[0].RegionName) != sb.Region() {
		t.Errorf("DescribeRegions: %+v", regions.Regions)
	}
}

// TestClockControl: moving the sandbox's clock four hours ahead fires the
// schedule due then; SDK clients follow the sandbox's time from its Date
// (their clock-skew correction) and keep working; a restarted sandbox
// keeps the moved clock.
func TestClockControl(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{StateDir: dir})
	must(t, "Start", err)
	defer func() { _ = sb.Close() }()
	cfg := sdkConfig(sb, sb.Credentials(), nil)
	cfg.Retryer = nil // the SDK's standard retryer, which corrects clock skew
	f := &schedFixture{t: t, sb: sb, ec2: ec2.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), sched: scheduler.NewFromConfig(cfg), ctx: context.Background()}
	run := "c10c0c10c0"
	id := f.endpoint("ecr.dkr", run)
	role := f.role("ecr-vpce-lab-teardown-"+run, schedulerTrust(sb.Account(), sb.Region()), map[string]string{"d": deleteTaggedPolicy(run)})
	start := time.Now()
	must(t, "CreateSchedule", f.schedule("ecr-vpce-lab-"+run+"-endpoints", role, start.Add(4*time.Hour), deleteEndpointsTarget, `{"VpcEndpointIds":["`+id+`"]}`))
	now, err := sb.AdvanceClock(f.ctx, 4*time.Hour+time.Minute)
	must(t, "AdvanceClock", err)
	if now.Sub(start) < 4*time.Hour {
		t.Fatalf("the clock stands at %s after moving 4h from %s", now, start)
	}
	if st := f.states(id)[id]; st != "gone" && st != "deleted" {
		t.Errorf("the endpoint is %s after the clock passed its schedule", st)
	}
	// The SDK now signs with the sandbox's time (after one answer).
	for i := range 2 {
		_, err = f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{})
		must(t, fmt.Sprintf("DescribeVpcs %d after the clock moved", i), err)
	}
	must(t, "Close", sb.Close())
	again, err := Start(context.Background(), Options{StateDir: dir})
	must(t, "Start again", err)
	defer func() { _ = again.Close() }()
	if d := again.opts.Clock.Now().Sub(time.Now()); d < 4*time.Hour {
		t.Errorf("a restarted sandbox stands %s ahead, want the 4h it was moved", d)
	}
}
