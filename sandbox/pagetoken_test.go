package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// TestPageTokensStayWithTheirList: a paging token is good only for the list
// that gave it out. IAM's Marker once carried a bare offset, which
// ListRolePolicies, Scheduler's ListSchedules and Organizations'
// ListAccounts all took for one of their own; each refuses it as its
// service refuses a bad token, and still takes its own.
func TestPageTokensStayWithTheirList(t *testing.T) {
	f := newSchedFixture(t, Options{Accounts: 2})
	trust := schedulerTrust(f.sb.Account(), f.sb.Region())
	f.role("ecr-vpce-lab-a", trust, nil)
	arn := f.role("ecr-vpce-lab-b", trust, map[string]string{"one": deleteTaggedPolicy("x"), "two": deleteTaggedPolicy("y")})
	must(t, "CreateSchedule", f.schedule("ecr-vpce-lab-s1", arn, f.clock.Now().Add(time.Hour), deleteEndpointsTarget, `{"VpcEndpointIds":["vpce-0"]}`))
	must(t, "CreateSchedule", f.schedule("ecr-vpce-lab-s2", arn, f.clock.Now().Add(time.Hour), deleteEndpointsTarget, `{"VpcEndpointIds":["vpce-0"]}`))

	roles, err := f.iam.ListRoles(f.ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ecr-vpce-lab/"), MaxItems: aws.Int32(1)})
	must(t, "ListRoles", err)
	if roles.Marker == nil {
		t.Fatal("ListRoles with MaxItems 1 of 2 roles gave no Marker")
	}
	marker := roles.Marker
	orgs := organizations.NewFromConfig(sdkConfig(f.sb, f.sb.Credentials(), nil))

	_, err = f.iam.ListRolePolicies(f.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ecr-vpce-lab-b"), Marker: marker})
	wantMsg(t, "ListRolePolicies with ListRoles' Marker", err, "InvalidInput", "Invalid Marker.")
	_, err = f.sched.ListSchedules(f.ctx, &scheduler.ListSchedulesInput{NextToken: marker})
	wantMsg(t, "ListSchedules with ListRoles' Marker", err, "ValidationException", "Invalid NextToken.")
	_, err = orgs.ListAccounts(f.ctx, &organizations.ListAccountsInput{NextToken: marker})
	wantMsg(t, "ListAccounts with ListRoles' Marker", err, "InvalidInputException", "The provided NextToken is invalid.")

	// Each list still takes its own.
	rest, err := f.iam.ListRoles(f.ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ecr-vpce-lab/"), Marker: marker})
	must(t, "ListRoles, next page", err)
	if len(rest.Roles) != 1 || aws.ToString(rest.Roles[0].RoleName) != "ecr-vpce-lab-b" || rest.IsTruncated {
		t.Errorf("ListRoles, next page: %d roles, truncated %v", len(rest.Roles), rest.IsTruncated)
	}
	s1, err := f.sched.ListSchedules(f.ctx, &scheduler.ListSchedulesInput{MaxResults: aws.Int32(1)})
	must(t, "ListSchedules", err)
	s2, err := f.sched.ListSchedules(f.ctx, &scheduler.ListSchedulesInput{NextToken: s1.NextToken})
	must(t, "ListSchedules, next page", err)
	if len(s1.Schedules) != 1 || len(s2.Schedules) != 1 || aws.ToString(s2.Schedules[0].Name) != "ecr-vpce-lab-s2" || s2.NextToken != nil {
		t.Errorf("ListSchedules in pages: %d then %d (next %v)", len(s1.Schedules), len(s2.Schedules), s2.NextToken)
	}
	_, err = orgs.ListAccounts(f.ctx, &organizations.ListAccountsInput{NextToken: s1.NextToken})
	wantMsg(t, "ListAccounts with ListSchedules' NextToken", err, "InvalidInputException", "The provided NextToken is invalid.")
}
