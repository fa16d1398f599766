package awsops

import (
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"ecr-vpce-lab/internal/problem"
)

// TestFixCommandsTargetTheSandbox: a command a fix prints is the AWS CLI
// pointed at where the lab's calls go. On the sandbox a plain 'aws ec2 ...'
// pasted by a rehearsing facilitator would reach AWS (or fail on their
// real credentials), so it names the sandbox's endpoint; on AWS it stays
// plain. The learning pane's commands (Command.String) stay plain on both.
func TestFixCommandsTargetTheSandbox(t *testing.T) {
	revoke := GroupReference{GroupID: "sg-1", RuleID: "sgr-2", Egress: true}.RevokeCommand("us-west-2")
	for _, tc := range []struct {
		endpoint, cli string
	}{
		{"", "aws"},
		{"http://127.0.0.1:4566", "aws --endpoint-url http://127.0.0.1:4566"},
	} {
		c, err := New(Options{Config: StaticConfig("us-west-2", "AKIDEXAMPLE", "secret"), BaseEndpoint: tc.endpoint, IMDSDisabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.CLI(); got != tc.cli {
			t.Errorf("endpoint %q: CLI %q, want %q", tc.endpoint, got, tc.cli)
		}
		want := tc.cli + " ec2 revoke-security-group-egress --group-id sg-1 --security-group-rule-ids sgr-2 --region us-west-2"
		if got := c.Runnable(revoke); got != want {
			t.Errorf("endpoint %q: Runnable %q, want %q", tc.endpoint, got, want)
		}
		if got := c.RunnableLine("aws sts get-caller-identity"); got != tc.cli+" sts get-caller-identity" {
			t.Errorf("endpoint %q: RunnableLine %q", tc.endpoint, got)
		}
		if got := c.Runnable(Command{Args: []string{"docker", "rmi", "x"}}); got != "docker rmi x" {
			t.Errorf("endpoint %q: a command not of the AWS CLI became %q", tc.endpoint, got)
		}
		// A sentence that names commands anywhere, as a classified
		// failure's fix does: each reaches the world, once.
		// Those that set up this shell's credentials stay as they are.
		text := "create it (aws ecr create-repository), or see 'aws iam get-role --role-name R' and arn:aws:iam::1:role/R; sign in with  aws sso login  (aws configure list)"
		want = "create it (" + tc.cli + " ecr create-repository), or see '" + tc.cli + " iam get-role --role-name R' and arn:aws:iam::1:role/R; sign in with  aws sso login  (aws configure list)"
		if got := c.RunnableText(text); got != want || c.RunnableText(got) != want {
			t.Errorf("endpoint %q: RunnableText %q, and again %q; want %q", tc.endpoint, got, c.RunnableText(got), want)
		}
		err = c.classify("look at the repository", &smithy.GenericAPIError{Code: "RepositoryNotFoundException", Message: "no such repository"})
		if fix := problem.FixOf(err); !strings.Contains(fix, "("+tc.cli+" ecr create-repository)") {
			t.Errorf("endpoint %q: a missing repository's fix says %q", tc.endpoint, fix)
		}
		if got := revoke.String(); got != "aws ec2 revoke-security-group-egress --group-id sg-1 --security-group-rule-ids sgr-2 --region us-west-2" {
			t.Errorf("the learning pane's command changed: %q", got)
		}
	}
}
