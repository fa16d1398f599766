package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestWizardChoosesAmongRunsFoundByTags: the state file is gone (a wiped
// CloudShell home) and two runs are in the VPC. The wizard lists them; the
// learner moves with the arrows, picks their own run, and tears it down
// from the welcome-back screen. The other run's group is left alone.
func TestWizardChoosesAmongRunsFoundByTags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel()
	l := newIsolatedLab(t)
	home, state := l.home, l.state
	w := []string{"--sandbox", "--sandbox-timing", "instant"}
	st := l.upState(w)
	other := anotherRunAndNoStateFile(t, state)

	term, step := wizardTermWith(t, home, 100, 30, w...)
	if screen, err := term.WaitForText(20*time.Second, "Which run is yours?", "2 runs of this lab", "enter carry on with this run"); err != nil {
		t.Fatalf("the list of runs: %v\n%s", err, screen)
	}
	step([]string{ptytest.Down}, "> run 0ther0run0")
	step([]string{ptytest.Up}, "> run "+st.RunID)
	step([]string{ptytest.Enter}, "Welcome back", "(run "+st.RunID+")", "T tear it down")
	tearDownAndExit(t, term, step)

	worldOf(t, state, func(sb *sandbox.Sandbox, c *ec2.Client) {
		eps, err := c.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range eps.VpcEndpoints {
			if !strings.EqualFold(string(e.State), "deleted") {
				t.Errorf("endpoint left: %s %s", aws.ToString(e.VpcEndpointId), e.State)
			}
		}
		sgs, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{
			Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{steps.TagKey}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sgs.SecurityGroups) != 1 || aws.ToString(sgs.SecurityGroups[0].GroupId) != other {
			t.Errorf("want only the other run's group %s left, got %+v", other, sgs.SecurityGroups)
		}
	})
}
