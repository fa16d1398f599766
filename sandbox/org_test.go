package sandbox

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	ec2 "ecr-vpce-lab/internal/ec2query"
)

// TestAccounts: --accounts 3 --regions us-east-1 serves an organization of
// three accounts in two regions. The management account lists them; a
// member may not. The management account assumes each member's
// OrganizationAccountAccessRole, and the session's keys reach that
// account's worlds (its own VPCs, in either region); a role that does not
// exist is refused as AWS refuses it; a region not served answers as a
// region the account has not enabled.
func TestAccounts(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{StateDir: dir, Accounts: 3, Regions: []string{"us-east-1"}})
	must(t, "Start", err)
	defer func() { _ = sb.Close() }()
	ctx := context.Background()
	accts := sb.Accounts()
	if len(accts) != 3 || accts[0] != sb.Account() || len(sb.Regions()) != 2 {
		t.Fatalf("accounts %v regions %v", accts, sb.Regions())
	}
	mgmt := sdkConfig(sb, sb.Credentials(), nil)
	out, err := organizations.NewFromConfig(mgmt).ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	must(t, "ListAccounts", err)
	if len(out.Accounts) != 2 || out.NextToken == nil {
		t.Fatalf("ListAccounts page 1: %+v", out)
	}
	out2, err := organizations.NewFromConfig(mgmt).ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: out.NextToken})
	must(t, "ListAccounts page 2", err)
	if len(out2.Accounts) != 1 || aws.ToString(out2.Accounts[0].Id) != accts[2] || out2.Accounts[0].State != "ACTIVE" {
		t.Fatalf("ListAccounts page 2: %+v", out2.Accounts)
	}
	memberKeys, ok := sb.AccountCredentials(accts[1])
	if !ok {
		t.Fatal("no keys for the member account")
	}
	member := sdkConfig(sb, memberKeys, nil)
	_, err = organizations.NewFromConfig(member).ListAccounts(ctx, &organizations.ListAccountsInput{})
	wantCode(t, "ListAccounts from a member", err, "AccessDeniedException")
	id, err := sts.NewFromConfig(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != accts[1] {
		t.Fatalf("the member's own keys: %+v %v", id, err)
	}

	role := "arn:aws:iam::" + accts[2] + ":role/" + OrgAccessRole
	ar, err := sts.NewFromConfig(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("fleet")})
	must(t, "AssumeRole", err)
	sess := Credentials{AccessKeyID: aws.ToString(ar.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(ar.Credentials.SecretAccessKey), SessionToken: aws.ToString(ar.Credentials.SessionToken)}
	scfg := sdkConfig(sb, sess, nil)
	who, err := sts.NewFromConfig(scfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != accts[2] || aws.ToString(who.Arn) != "arn:aws:sts::"+accts[2]+":assumed-role/"+OrgAccessRole+"/fleet" {
		t.Fatalf("GetCallerIdentity as the member's role: %+v %v", who, err)
	}
	vpcsOf := func(cfg aws.Config, region string) string {
		t.Helper()
		cfg.Region = region
		v, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, "DescribeVpcs in "+region, err)
		return aws.ToString(v.Vpcs[0].VpcId)
	}
	homeVPC, memberVPC, memberEast := vpcsOf(mgmt, sb.Region()), vpcsOf(scfg, sb.Region()), vpcsOf(scfg, "us-east-1")
	if homeVPC == memberVPC || memberVPC == memberEast {
		t.Errorf("one world for two accounts or regions: %s %s %s", homeVPC, memberVPC, memberEast)
	}
	_, err = sts.NewFromConfig(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accts[2] + ":role/Nope"), RoleSessionName: aws.String("xy")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.Contains(ae.ErrorMessage(), "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+accts[2]+":role/Nope") {
		t.Errorf("AssumeRole of a missing role: %v", err)
	}
	// A member may not assume another member's role (it trusts the
	// management account only).
	_, err = sts.NewFromConfig(member).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("xy")})
	wantCode(t, "AssumeRole from another member", err, "AccessDenied")
	// A region the accounts have not enabled.
	west := mgmt
	west.Region = "eu-west-3"
	_, err = ec2.NewFromConfig(west).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "a region not served", err, "AuthFailure")

	// The facilitator's files.
	ff := sb.Fleet()
	if ff == nil || len(ff.Profiles) != 3 || ff.Profiles[1] != "learner-01" {
		t.Fatalf("fleet files: %+v", ff)
	}
	roles, _ := os.ReadFile(ff.RolesFile)
	if strings.Count(string(roles), OrgAccessRole) != 2 {
		t.Errorf("roles file: %q", roles)
	}

	// Saved: a restart serves the same worlds.
	must(t, "Close", sb.Close())
	again, err := Start(context.Background(), Options{StateDir: dir, Accounts: 3, Regions: []string{"us-east-1"}})
	must(t, "Start again", err)
	defer func() { _ = again.Close() }()
	ar, err = sts.NewFromConfig(sdkConfig(again, again.Credentials(), nil)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("fleet")})
	must(t, "AssumeRole after a restart", err)
	sess = Credentials{AccessKeyID: aws.ToString(ar.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(ar.Credentials.SecretAccessKey), SessionToken: aws.ToString(ar.Credentials.SessionToken)}
	if got := vpcsOf(sdkConfig(again, sess, nil), "us-east-1"); got != memberEast {
		t.Errorf("after a restart the member's VPC is %s, was %s", got, memberEast)
	}
}

// TestFleetDemo: --fleet-demo seeds a run at each stage across the
// learners' accounts and two regions, with the lab's tags.
func TestFleetDemo(t *testing.T) {
	for _, timing := range TimingNames() {
		t.Run(timing, func(t *testing.T) { testFleetDemo(t, timing) })
	}
}

// testFleetDemo seeds the demo with a timing: with the realistic ones
// EC2's reads lag its writes, which the seeding (runs that have existed
// for minutes or hours) must not trip on.
func testFleetDemo(t *testing.T, timing string) {
	tm, err := TimingByName(timing)
	if err != nil {
		t.Fatal(err)
	}
	sb := startSandbox(t, Options{Accounts: 5, FleetDemo: true, Timing: tm})
	if len(sb.Regions()) != 2 {
		t.Fatalf("regions %v", sb.Regions())
	}
	stages := map[string]bool{}
	for _, acct := range sb.Accounts()[1:] {
		for _, r := range sb.Regions() {
			m := sb.Member(acct, r)
			m.read(func(w *world) {
				for id, tags := range w.Tags {
					for _, tg := range tags {
						if tg.Key == "ecr-vpce-lab:stage" && strings.HasPrefix(id, "sg-") {
							stages[strings.SplitN(tg.Value, "@", 2)[0]] = true
						}
					}
				}
			})
		}
	}
	if len(stages) < 6 {
		t.Errorf("stages seeded: %v", stages)
	}
}
