package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/sandbox"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testtool.Cleanup()
	os.Exit(code)
}

// TestWizardEndToEnd walks the whole lab in the built binary, in a
// pseudo-terminal, with keys only, on the sandbox; then tears down and
// checks that the sandbox's world holds nothing of the lab.
func TestWizardEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and walks the lab; skipped with -short")
	}
	t.Parallel()
	bin := testtool.LabBinary(t)
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	term, err := ptytest.Start(100, 30, env, bin, "--sandbox", "--sandbox-timing", "instant")
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()

	start := time.Now()
	step := func(keys []string, want ...string) {
		t.Helper()
		if err := term.Send(keys...); err != nil {
			t.Fatal(err)
		}
		if screen, err := term.WaitForText(20*time.Second, want...); err != nil {
			t.Fatalf("after %q: %v\n%s", keys, err, screen)
		}
	}
	enter := []string{ptytest.Enter}
	if screen, err := term.WaitForText(10*time.Second, "1 · Preflight", "Press Enter"); err != nil {
		t.Fatalf("first frame: %v\n%s", err, screen)
	}
	t.Logf("first frame after %s", time.Since(start).Round(time.Millisecond))
	step(enter, "Credentials and region", "Press Enter to continue")
	step(enter, "2 · Workspace", "main table")
	step(enter, "3 · Security group", "Press Enter to create")
	step(enter, "ECR_VPCE_SG", "created", "Press Enter to continue")
	step(enter, "4 · Ingress rule")
	step(enter, "ingress rule tcp/443", "created", "Press Enter to continue")
	step(enter, "5 · Endpoint policy", "Deny (DenyPutImage)")
	// The form: repository, actions, target; Enter on the last applies.
	step([]string{ptytest.Enter, ptytest.Enter, ptytest.Enter}, "6 · Endpoints", "Press Enter to create")
	step(enter, "ecr.dkr interface endpoint", "ecr.api interface endpoint", "s3 gateway endpoint", "Press Enter to continue")
	step(enter, "7 · Private DNS")
	step(enter, "8 · Push test")
	step(enter, "push denied", "explicit deny in a VPC endpoint policy")
	step(enter, "9 · List test")
	step(enter, "list-images allowed", "v1", "pull allowed")
	step(enter, "10 · Finish", "Press T to tear everything down")
	step([]string{"T"}, "Tear down everything?")
	step([]string{"y"}, "Nothing left")
	if err := term.Send(ptytest.Enter); err != nil {
		t.Fatal(err)
	}
	if err := term.Wait(10 * time.Second); err != nil {
		t.Fatalf("the wizard did not exit cleanly: %v\n%s", err, term.Screen())
	}
	t.Logf("whole lab in %s", time.Since(start).Round(time.Millisecond))

	// The world the wizard used: nothing of the lab may be left in it.
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(home, "state", "ecr-vpce-lab", "sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	cr := sb.Credentials()
	client := ec2.New(ec2.Options{
		Region: sb.Region(), BaseEndpoint: aws.String(sb.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, ""),
	})
	ctx := context.Background()
	eps, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps.VpcEndpoints {
		if !strings.EqualFold(string(e.State), "deleted") {
			t.Errorf("endpoint left: %s %s %s", aws.ToString(e.VpcEndpointId), aws.ToString(e.ServiceName), e.State)
		}
	}
	sgs, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"ECR_VPCE_SG"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sgs.SecurityGroups) != 0 {
		t.Errorf("security group left: %s", aws.ToString(sgs.SecurityGroups[0].GroupId))
	}
	if b, err := os.ReadFile(filepath.Join(home, ".ecr_security")); err == nil && strings.Contains(string(b), "VPCE") {
		t.Errorf("~/.ecr_security still has the lab's lines:\n%s", b)
	}
}
