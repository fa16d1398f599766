package cli

import (
	"path/filepath"
	"testing"
	"time"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/sandbox"
)

// TestWizardInWorlds walks the built binary through the lab, keys only, in
// a pseudo-terminal, in two of the places a workshop runs: a VS Code
// server on EC2 (IMDSv2, the IDE's own VPC and public subnet) and a
// CloudShell VPC environment (no metadata service; its network interface
// found through EC2). Preflight says where the wizard runs and why, the
// workspace is the place's own, the push is refused through the endpoint,
// and teardown leaves nothing.
func TestWizardInWorlds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and walks the lab; skipped with -short")
	}
	cases := []struct {
		world     string
		here      []string
		workspace []string
	}{
		{"vscode-ec2", []string{"Here", "a VS Code server on EC2", "IMDSv2 token", "VSCODE_PROXY_URI is set", "the instance role"},
			[]string{"associated with the subnet"}},
		{"cloudshell-vpc", []string{"Here", "a CloudShell VPC environment", "AWS_EXECUTION_ENV=CloudShell", "tagged ManagedByCloudShell", "container credentials"},
			[]string{"the VPC's main table"}},
	}
	for _, c := range cases {
		t.Run(c.world, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			term, step := wizardTermWith(t, home, 100, 32, "--sandbox", "--sandbox-timing", "instant", "--world", c.world)
			enter := []string{ptytest.Enter}
			if screen, err := term.WaitForText(10*time.Second, "1 · Preflight", "Press Enter"); err != nil {
				t.Fatalf("first frame: %v\n%s", err, screen)
			}
			step(enter, append(c.here, "Press Enter to continue")...)
			// The workspace, and the CLI pane's discovery commands (c).
			step(enter, append(c.workspace, "2 · Workspace")...)
			step([]string{"c"}, "AWS CLI")
			step([]string{"c"}, "2 · Workspace")
			step(enter, "3 · Security group", "Press Enter to create")
			step(enter, "ECR_VPCE_SG", "created", "Press Enter to continue")
			step(enter, "4 · Ingress rule")
			step(enter, "ingress rule tcp/443", "created", "Press Enter to continue")
			step(enter, "5 · Endpoint policy", "Deny (DenyPutImage)")
			step([]string{ptytest.Enter, ptytest.Enter, ptytest.Enter}, "6 · Endpoints", "Press Enter to create")
			step(enter, "ecr.dkr interface endpoint", "ecr.api interface endpoint", "s3 gateway endpoint", "Press Enter to continue")
			step(enter, "7 · Private DNS")
			step(enter, "private", "Press Enter to continue")
			step(enter, "8 · Push test")
			// Each key only once the help bar offers it: results show a
			// moment before the operation ends, and a key pressed then does
			// nothing, as for a person.
			step(enter, "push denied", "AWS refused ecr:PutImage", "enter continue")
			step(enter, "9 · List test", "enter run the test")
			step(enter, "list-images allowed", "pull allowed", "enter continue")
			step(enter, "10 · Finish", "Press T to tear everything down", "T tear down")
			tearDownAndExit(t, term, step)
			worldOf(t, filepath.Join(home, "state", "ecr-vpce-lab"), func(sb *sandbox.Sandbox, client *ec2.Client) {
				if sb.World().Name != c.world {
					t.Fatalf("the wizard played %s", sb.World().Name)
				}
				eps, err := client.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range eps.VpcEndpoints {
					if e.State != "deleted" && e.State != "Deleted" {
						t.Errorf("endpoint left: %v %s", e.VpcEndpointId, e.State)
					}
				}
			})
		})
	}
}
