package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// worldOf opens the world of a state directory for a moment (no command
// holds it between commands) and hands fn an EC2 client and the world.
func worldOf(t *testing.T, state string, fn func(sb *sandbox.Sandbox, c *ec2.Client)) {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(state, "sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	cr := sb.Credentials()
	fn(sb, ec2.New(ec2.Options{Region: sb.Region(), BaseEndpoint: aws.String(sb.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, "")}))
}

// anotherRunAndNoStateFile puts another learner's run (its security group,
// tagged run 0ther0run0) into the VPC of the lab in state, and removes the
// lab's state file, as a wiped home would: two runs are then found only by
// their tags. It returns the other run's group.
func anotherRunAndNoStateFile(t *testing.T, state string) (other string) {
	t.Helper()
	worldOf(t, state, func(sb *sandbox.Sandbox, c *ec2.Client) {
		out, err := c.CreateSecurityGroup(context.Background(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG_2"), Description: aws.String("another run"),
			VpcId: aws.String(sb.Workspace().VpcID), TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
				Tags: []ec2types.Tag{{Key: aws.String(steps.TagKey), Value: aws.String("0ther0run0")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		other = aws.ToString(out.GroupId)
	})
	if err := os.Remove(filepath.Join(state, "lab-sandbox.json")); err != nil {
		t.Fatal(err)
	}
	return other
}

func wantAll(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

// What the lab says in Cloud9, the sandbox's default world.
const (
	cloud9Here  = "here: AWS Cloud9 (the metadata service issued an IMDSv2 token; C9_USER is set)"
	cloud9Creds = "credentials: the instance role (instance metadata)"
	cloud9Up    = "(the VPC's main table: the subnet is only implicitly associated)"
)

// TestEveryWorldHeadless: in each place a workshop runs, up, test and down
// on the sandbox give the outcome that place should have; the first lines
// say where the lab runs and why it thinks so, and which credentials it
// uses.
func TestEveryWorldHeadless(t *testing.T) {
	t.Parallel()
	cases := []struct {
		world     string
		here      []string
		creds     string
		up        []string
		outside   bool
		hopAdvice bool
	}{
		// cloud9, the default world, is walked by TestLabCommandsOnSandbox
		// (cloud9Here, cloud9Creds, cloud9Up).
		{world: "vscode-ec2", here: []string{"here: a VS Code server on EC2 (the metadata service issued an IMDSv2 token; VSCODE_PROXY_URI is set)"},
			creds: "credentials: the instance role (instance metadata)", up: []string{"VPC vpc-", "(10.100.0.0/16)"}},
		{world: "container", here: []string{"here: a container on EC2 (the metadata service's token request went unanswered, as from a container when the hop limit is 1; /.dockerenv exists)"},
			creds: "credentials: the instance role (instance metadata)", hopAdvice: true},
		{world: "cloudshell-vpc", here: []string{"here: a CloudShell VPC environment (AWS_EXECUTION_ENV=CloudShell; its interface eni-", "(an altname in `ip -o link`) is in vpc-", "tagged ManagedByCloudShell)"},
			creds: "credentials: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)", up: []string{"CloudShell VPC environment: its network interface eni-"}},
		{world: "cloudshell", here: []string{"here: public CloudShell (AWS_EXECUTION_ENV=CloudShell; no network interface with address 10.132.50.112 in this account's VPCs in us-west-2)"},
			creds: "credentials: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)", outside: true,
			// Already on the sandbox: another world shows the proofs, not --sandbox.
			up: []string{"to remove everything; a world inside the VPC (--world cloud9"}},
		// Issue 15: GovCloud and China. The Deny names the repository in
		// the partition (arn:aws:… would never match: the push would go
		// through), the endpoints are the partition's services.
		{world: "aws-us-gov", here: []string{"here: an EC2 instance"},
			creds: "credentials: the instance role (instance metadata)",
			up: []string{"partition aws-us-gov: ARNs start arn:aws-us-gov:", "com.amazonaws.us-gov-west-1.ecr.dkr", ".dkr.ecr.us-gov-west-1.amazonaws.com",
				"are billed for every hour they exist; the lab has no price for us-gov-west-1: see https://aws.amazon.com/privatelink/pricing/"}},
		{world: "aws-cn", here: []string{"here: an EC2 instance"},
			creds: "credentials: the instance role (instance metadata)",
			up: []string{"partition aws-cn: ARNs start arn:aws-cn:", "cn.com.amazonaws.cn-north-1.ecr.dkr", ".dkr.ecr.cn-north-1.amazonaws.com.cn",
				"the lab has no price for cn-north-1"}},
		{world: "laptop", here: []string{"here: a laptop or other machine outside AWS (no instance metadata service: there is none here; not CloudShell)"},
			creds: "credentials: a profile's keys in ", outside: true},
	}
	for _, c := range cases {
		t.Run(c.world, func(t *testing.T) {
			t.Parallel()
			l := newIsolatedLab(t)
			state := l.state
			w := []string{"--sandbox", "--sandbox-timing", "instant", "--world", c.world}
			var ids []string
			if c.outside {
				// No workspace to discover: up says so and lists the VPCs.
				code, out, errs := l.lab(append([]string{"up", "--yes"}, w...)...)
				if code != 1 {
					t.Fatalf("up without IDs: exit %d\n%s%s", code, out, errs)
				}
				wantAll(t, "up without IDs", out, append(c.here, c.creds, "there is no workspace to discover in",
					"fix: choose where the endpoints go: pass --vpc, --subnet and --workspace-sg", "VPCs in us-west-2: vpc-",
					"the DNS step and the push through the endpoint (and what its policy allows) cannot be observed")...)
				var ws sandbox.Workspace
				worldOf(t, state, func(sb *sandbox.Sandbox, _ *ec2.Client) {
					ws = sb.Workspace()
					ids = []string{"--vpc", ws.VpcID, "--subnet", ws.SubnetID, "--workspace-sg", ws.SecurityGroupID}
				})
				// Only the VPC chosen from that list: up names its subnets
				// and groups, to choose from without another tool.
				code, out, errs = l.lab(append([]string{"up", "--yes", "--vpc", ws.VpcID}, w...)...)
				if code != 1 {
					t.Fatalf("up with only --vpc: exit %d\n%s%s", code, out, errs)
				}
				wantAll(t, "up with only --vpc", out, "both a subnet and the workspace's security group are needed", "fix: pass --subnet and --workspace-sg",
					"; subnets in "+ws.VpcID+": ", ws.SubnetID+" (us-west-2a, ", "; its security groups: ", ws.SecurityGroupID+" (")
			}
			code, out, errs := l.lab(append(append([]string{"up", "--yes"}, w...), ids...)...)
			if code != 0 {
				t.Fatalf("up: exit %d\n%s%s", code, out, errs)
			}
			wantAll(t, "up", out, append(append(c.here, c.creds, "The endpoints are up."), c.up...)...)
			if c.hopAdvice {
				// (The command reaches the sandbox: aws --endpoint-url ...)
				wantAll(t, "up", out, "read with IMDSv1 instead; to let containers use tokens: aws --endpoint-url http://127.0.0.1:",
					" ec2 modify-instance-metadata-options --instance-id i-", "--http-put-response-hop-limit 2")
			}
			code, out, errs = l.lab(append([]string{"test"}, w...)...)
			if c.outside {
				if code != 3 {
					t.Fatalf("test from outside the VPC: exit %d, want 3 (nothing proven)\n%s%s", code, out, errs)
				}
				wantAll(t, "test", out+errs, "– Push test skipped: Requests from ", "no proof was run: Requests from ", "or rehearse it with --sandbox")
				if strings.Contains(out, "Every outcome is what the endpoint policy predicts") || strings.Contains(out, "push team-a/alpine:v2:") {
					t.Fatalf("test ran or passed a proof it cannot observe:\n%s", out)
				}
			} else {
				if code != 0 {
					t.Fatalf("test: exit %d\n%s%s", code, out, errs)
				}
				wantAll(t, "test", out, "push team-a/alpine:v2: denied, as the policy predicts", "list-images team-a/alpine: allowed", "pull team-a/alpine:v1: allowed")
			}
			code, out, errs = l.lab(append([]string{"down", "--yes"}, w...)...)
			if code != 0 {
				t.Fatalf("down: exit %d\n%s%s", code, out, errs)
			}
			wantAll(t, "down", out, "Nothing is left.")
			// The JSON output carries the place too.
			code, out, _ = l.lab(append([]string{"status", "-o", "json"}, w...)...)
			if code != 0 || !strings.Contains(out, `"environment"`) || !strings.Contains(out, `"credentialSource"`) {
				t.Fatalf("status -o json: exit %d\n%s", code, out)
			}
		})
	}
}

// TestWipedHomeInCloudShell: the state file (and ~/.ecr_security) go, as
// CloudShell deletes $HOME after idling; test, status and down find the run
// by its tags and say so, and up afterwards starts afresh.
func TestWipedHomeInCloudShell(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	home, state := l.home, l.state
	w := []string{"--sandbox", "--sandbox-timing", "instant", "--world", "cloudshell-vpc"}
	st := l.upState(w)
	wipe := func() {
		t.Helper()
		for _, p := range []string{filepath.Join(state, "lab-sandbox.json"), filepath.Join(home, ".ecr_security")} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	found := "no state file: found run " + st.RunID + " by its ecr-vpce-lab:run tags in " + st.Workspace.VpcID
	wipe()
	code, out, errs := l.lab(append([]string{"test"}, w...)...)
	if code != 0 {
		t.Fatalf("test after the wipe: exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "test after the wipe", out, found, "push team-a/alpine:v2: denied, as the policy predicts")
	wipe()
	code, out, errs = l.lab(append([]string{"status"}, w...)...)
	if code != 0 {
		t.Fatalf("status after the wipe: exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "status after the wipe", out, found, "found by its ecr-vpce-lab:run tags (no state file here)", "ecr.dkr", "available (created)")
	wipe()
	code, out, errs = l.lab(append([]string{"down", "--yes"}, w...)...)
	if code != 0 {
		t.Fatalf("down after the wipe: exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "down after the wipe", out, found, "Nothing is left.", "ECR_VPCE_SG")
	wipe()
	code, out, errs = l.lab(append([]string{"up", "--yes"}, w...)...)
	if code != 0 || strings.Contains(out, "found run") {
		t.Fatalf("up after down: exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "up after down", out, "The endpoints are up.")
	if code, out, errs := l.lab(append([]string{"down", "--yes"}, w...)...); code != 0 {
		t.Fatalf("down: exit %d\n%s%s", code, out, errs)
	}
}

// TestSeveralRunsFoundByTags: with no state file and two runs in the VPC,
// the commands list them and want one (--run), and status lists them.
func TestSeveralRunsFoundByTags(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	state := l.state
	w := []string{"--sandbox", "--sandbox-timing", "instant"}
	st := l.upState(w)
	anotherRunAndNoStateFile(t, state)
	code, out, errs := l.lab(append([]string{"test"}, w...)...)
	if code != 2 {
		t.Fatalf("test with two runs and no --run: exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "test with two runs", out+errs, "there is no state file here and 2 runs of the lab in us-west-2: say which with --run ID",
		"run "+st.RunID+" in "+st.Workspace.VpcID+", started ", "run 0ther0run0 in "+st.Workspace.VpcID+", age unknown: security group ")
	code, out, _ = l.lab(append([]string{"status"}, w...)...)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	wantAll(t, "status with two runs", out, "run "+st.RunID+" in ", "run 0ther0run0 in ", "pass --run ID to see one")
	code, out, errs = l.lab(append([]string{"test", "--run", st.RunID}, w...)...)
	if code != 0 {
		t.Fatalf("test --run: exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "test --run", out, "found run "+st.RunID, "push team-a/alpine:v2: denied, as the policy predicts")
	code, _, errs = l.lab(append([]string{"status", "--run", "nosuchrun"}, w...)...)
	if code != 2 || !strings.Contains(errs, "--run nosuchrun: the state file here is run "+st.RunID) {
		t.Fatalf("--run of another run than the saved one: exit %d\n%s", code, errs)
	}
	if err := os.Remove(filepath.Join(state, "lab-sandbox.json")); err != nil {
		t.Fatal(err)
	}
	code, _, errs = l.lab(append([]string{"status", "--run", "nosuchrun"}, w...)...)
	if code != 1 || !strings.Contains(errs, "--run nosuchrun: no resource tagged ecr-vpce-lab:run=nosuchrun") || !strings.Contains(errs, "runs found by their tags:") {
		t.Fatalf("--run of no run: exit %d\n%s", code, errs)
	}
	if code, out, errs := l.lab(append([]string{"down", "--yes", "--all"}, w...)...); code != 0 {
		t.Fatalf("down --all: exit %d\n%s%s", code, out, errs)
	}
}

// TestAccessibleOutsideTheVPC: in accessible mode, public CloudShell is
// said with its signal, the workspace is chosen from numbered lists, and
// the DNS step and the proofs end "skipped, not passed".
func TestAccessibleOutsideTheVPC(t *testing.T) {
	labHome(t)
	in := "\n1\n1\n1\n" + strings.Repeat("\n", 11) + "y\n"
	code, out, errs := runCLI(t, in, "--accessible", "--sandbox", "--sandbox-timing", "instant", "--world", "cloudshell")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	wantAll(t, "accessible mode", out, "Here: public CloudShell (AWS_EXECUTION_ENV=CloudShell;", "Credentials: container credentials",
		"There is no workspace to discover here: choose where the endpoints go.", "Type the number of the VPC (1 to 1)", "Using VPC vpc-",
		"Note: What can be proven from here.", "Skipped, not passed: Private DNS.", "Skipped, not passed: Push test.", "Step skipped, not passed.",
		"the DNS step and the proofs were skipped: nothing has shown the policy at work yet", "Nothing is left")
	if strings.Contains(out, "Check failed: What can be proven") || strings.Contains(out, "an endpoint policy refused a push") {
		t.Fatalf("a warning read as a failed check:\n%s", out)
	}
}
