package ui

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// world is what the sandbox's account holds of a run's expiry, read as
// the AWS CLI reads it (the tags 'aws ec2 describe-tags' lists, 'aws
// scheduler list-schedules' and get-schedule, 'aws iam get-role'), with
// clients of the test's own: the ui reaches AWS only through steps, and
// the test must not take the lab's word for what AWS holds.
type world struct {
	// tags: resource ID → its ecr-vpce-lab:expires-at.
	tags map[string]string
	// schedules: schedule name → its expression (at(...)).
	schedules map[string]string
	role      bool
	// live: the run's endpoints that are not deleted or deleting.
	live []string
}

func readWorld(t *testing.T, sb *sandbox.Sandbox, run string) world {
	t.Helper()
	ctx := context.Background()
	cr := sb.Credentials()
	creds := credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)
	ep := aws.String(sb.Endpoint())
	w := world{tags: map[string]string{}, schedules: map[string]string{}}
	e := ec2.New(ec2.Options{Region: sb.Region(), BaseEndpoint: ep, Credentials: creds})
	// Every resource of the run, by its run tag, with its expiry tag (as
	// 'aws ec2 describe-tags' lists them).
	run1 := []ec2types.Filter{{Name: aws.String("tag:" + steps.TagKey), Values: []string{run}}}
	expiry := func(tags []ec2types.Tag) (string, bool) {
		for _, tg := range tags {
			if aws.ToString(tg.Key) == steps.ExpiresTagKey {
				return aws.ToString(tg.Value), true
			}
		}
		return "", false
	}
	eps, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: run1})
	if err != nil {
		t.Fatalf("describe-vpc-endpoints: %v", err)
	}
	for _, v := range eps.VpcEndpoints {
		st := strings.ToLower(string(v.State))
		if st == "deleted" || st == "deleting" {
			continue
		}
		w.live = append(w.live, aws.ToString(v.VpcEndpointId))
		if x, ok := expiry(v.Tags); ok {
			w.tags[aws.ToString(v.VpcEndpointId)] = x
		}
	}
	sgs, err := e.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: run1})
	if err != nil {
		t.Fatalf("describe-security-groups: %v", err)
	}
	for _, g := range sgs.SecurityGroups {
		if x, ok := expiry(g.Tags); ok {
			w.tags[aws.ToString(g.GroupId)] = x
		}
		rules, err := e.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{aws.ToString(g.GroupId)}}}})
		if err != nil {
			t.Fatalf("describe-security-group-rules: %v", err)
		}
		for _, r := range rules.SecurityGroupRules {
			if x, ok := expiry(r.Tags); ok {
				w.tags[aws.ToString(r.SecurityGroupRuleId)] = x
			}
		}
	}
	s := scheduler.New(scheduler.Options{Region: sb.Region(), BaseEndpoint: ep, Credentials: creds})
	list, err := s.ListSchedules(ctx, &scheduler.ListSchedulesInput{NamePrefix: aws.String(steps.ScheduleName(run, ""))})
	if err != nil {
		t.Fatalf("scheduler list-schedules: %v", err)
	}
	for _, sc := range list.Schedules {
		got, err := s.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: sc.Name})
		if err != nil {
			t.Fatalf("scheduler get-schedule %s: %v", aws.ToString(sc.Name), err)
		}
		w.schedules[aws.ToString(sc.Name)] = aws.ToString(got.ScheduleExpression)
	}
	_, err = iam.New(iam.Options{Region: sb.Region(), BaseEndpoint: ep, Credentials: creds}).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(steps.TeardownRoleName(run))})
	var none *iamtypes.NoSuchEntityException
	switch {
	case err == nil:
		w.role = true
	case !errors.As(err, &none):
		t.Fatalf("iam get-role: %v", err)
	}
	return w
}

// expiresAt checks that every resource the run created carries the
// expiry at (or "never"), and returns how many do.
func (w world) expiresAt(t *testing.T, st steps.State, want string) {
	t.Helper()
	ids := createdIDs(st)
	if len(ids) == 0 {
		t.Fatal("the run has created nothing")
	}
	for _, id := range ids {
		if got, ok := w.tags[id]; !ok || got != want {
			t.Errorf("%s: %s=%q in AWS, want %q", id, steps.ExpiresTagKey, got, want)
		}
	}
}

// createdIDs are the IDs of what the run created (group, rule, endpoints).
func createdIDs(st steps.State) []string {
	var ids []string
	if g := st.SecurityGroup; g != nil && g.Created {
		ids = append(ids, g.ID)
	}
	if r := st.Rule; r != nil && r.Created {
		ids = append(ids, r.ID)
	}
	for _, k := range steps.EndpointKeys {
		if r := st.Endpoints[k]; r != nil && r.Created {
			ids = append(ids, r.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// scheduledAt checks the run's two schedules in AWS: the endpoints' at the
// expiry, the group's after it.
func (w world) scheduledAt(t *testing.T, st steps.State, at time.Time) {
	t.Helper()
	if len(w.schedules) != 2 {
		t.Fatalf("schedules in AWS: %v, want the run's two", w.schedules)
	}
	if got, want := w.schedules[steps.ScheduleName(st.RunID, steps.ScheduleEndpoints)], "at("+at.UTC().Format("2006-01-02T15:04:05")+")"; got != want {
		t.Errorf("the endpoints' schedule in AWS: %q, want %q", got, want)
	}
	g := w.schedules[steps.ScheduleName(st.RunID, steps.ScheduleGroup)]
	gt, err := time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(strings.TrimPrefix(g, "at("), ")"))
	if err != nil || !gt.After(at) {
		t.Errorf("the group's schedule in AWS: %q, want one after %s", g, at.UTC().Format(time.RFC3339))
	}
}

// same reports whether two readings show the same expiry everywhere.
func (w world) same(o world) bool {
	if len(w.tags) != len(o.tags) || len(w.schedules) != len(o.schedules) {
		return false
	}
	for k, v := range w.tags {
		if o.tags[k] != v {
			return false
		}
	}
	for k, v := range w.schedules {
		if o.schedules[k] != v {
			return false
		}
	}
	return true
}
