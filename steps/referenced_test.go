package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"ecr-vpce-lab/awsops"
	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestDownNamesTheGroupThatRefersToOurs: another team's group has a rule
// that refers to the lab's security group (--fault-sg-referenced), which
// EC2 will not delete while it does (DependencyViolation, forever). Once
// the endpoints' interfaces are gone, down looks for what holds the group,
// names the other group and its rule with the command that removes it, and
// stops at once instead of waiting its ten minutes. Following the fix, the
// next down finishes. [issue 15, item 6] On the sandbox, the fix's
// commands are the sandbox's: the AWS CLI pointed at it, and down with the
// flags that chose this lab; a plain 'aws ec2 ...' copied from a rehearsal
// would reach AWS, and a plain 'ecr-vpce-lab down' another lab.
func TestDownNamesTheGroupThatRefersToOurs(t *testing.T) {
	const again = " --sandbox --state-dir /tmp/rehearsal"
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{SGReferenced: true}}, steps.Config{Again: again},
		func(o *awsops.Options) { o.DependencyWait = 10 * time.Minute })
	ctx := context.Background()
	f.up(ctx)
	sg := f.lab.State().SecurityGroup.ID
	start := time.Now()
	// (A minute at most: without the diagnosis down waits its ten.)
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	_, err := f.lab.Teardown(dctx, steps.TeardownOptions{})
	cancel()
	took := time.Since(start)
	var se *steps.StepError
	if !errors.As(err, &se) {
		t.Fatalf("down: %v; want it to stop on the group", err)
	}
	if took > time.Minute {
		t.Errorf("down took %s to name what holds the group; want under a minute", took)
	}
	other := groupNamed(t, f, sandbox.ReferencingGroupName)
	for _, w := range []string{other, sandbox.ReferencingGroupName, "an outbound rule sgr-", "refers to " + sg} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if !strings.Contains(se.Fix, "aws --endpoint-url "+f.sb.Endpoint()+" ec2 revoke-security-group-egress --group-id "+other+" --security-group-rule-ids sgr-") {
		t.Errorf("fix %q lacks the command that removes the rule, on the sandbox", se.Fix)
	}
	if !strings.Contains(se.Fix, "then run 'ecr-vpce-lab down"+again+"' again") {
		t.Errorf("fix %q does not say to run this lab's down again", se.Fix)
	}
	if n := deleteAttempts(f, sg); n > 2 {
		t.Errorf("%d DeleteSecurityGroup attempts; want the diagnosis at the first refusal", n)
	}
	if st := f.lab.State(); st.SecurityGroup == nil || st.SecurityGroup.ID != sg {
		t.Fatalf("the state no longer records the group %s: %+v", sg, st.SecurityGroup)
	}
	var line bool
	for _, e := range f.all() {
		line = line || e.Kind == steps.EventResource && e.Resource.ID == sg && e.Resource.State == steps.ResFailed &&
			strings.Contains(e.Resource.Detail, other)
	}
	if !line {
		t.Error("the group's own line does not say what holds it")
	}

	// The learner removes the rule, as the fix says; down then finishes.
	rule := between(se.Fix, "--security-group-rule-ids ", " ")
	if _, err := rawEC2(f.sb).RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(other),
		SecurityGroupRuleIds: []string{rule}}); err != nil {
		t.Fatalf("revoking %s of %s: %v", rule, other, err)
	}
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatalf("down after the rule went: %v", err)
	}
	if groupNamed(t, f, "ECR_VPCE_SG") != "" {
		t.Error("the lab's group is still there")
	}
}

func groupNamed(t *testing.T, f *fixture, name string) string {
	t.Helper()
	g, err := f.cloud.FindSecurityGroup(context.Background(), f.sb.Workspace().VpcID, name)
	if err != nil {
		t.Fatal(err)
	}
	if g == nil {
		return ""
	}
	return g.ID
}

func deleteAttempts(f *fixture, _ string) int {
	n := 0
	for _, c := range f.sb.Calls() {
		if c.Action == "DeleteSecurityGroup" && !c.DryRun {
			n++
		}
	}
	return n
}

// between returns the text after from, up to the next to (or the end).
func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return strings.TrimRight(v, ";,")
}

// rawEC2 is an EC2 client on the sandbox, for a test to act as the learner
// does in the console.
func rawEC2(sb *sandbox.Sandbox) *ec2.Client {
	cr := sb.Credentials()
	return ec2.New(ec2.Options{Region: sb.Region(), BaseEndpoint: aws.String(sb.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)})
}
