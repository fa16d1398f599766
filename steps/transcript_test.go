package steps_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestDiscoveryCommandsRunAsWritten: discovery shows the commands a learner
// types (an IMDSv2 token, the metadata reads, the route-table query and the
// main-table fallback), and the transcript of a whole 'up' runs as written
// with bash, curl and the AWS CLI against the sandbox's exports, finding
// the same workspace from scratch and using the variables it set; the
// transcript of the teardown then removes what that script made, with the
// IDs it left in ~/.ecr_security. (The commands' transcripts, --transcript,
// are these scripts written to a file: the AWS CLI runs them here only,
// once.)
func TestDiscoveryCommandsRunAsWritten(t *testing.T) {
	awsCLI := testtool.AWSCLI(t, "the AWS CLI runs the transcript")
	bash := testtool.Require(t, "bash", "the transcript is a bash script")
	testtool.Require(t, "curl", "the transcript reads the instance metadata with curl")
	// Most of its time is the AWS CLI's, one process after another: beside
	// the others.
	f := newFixture(t, sandbox.Options{IMDSv2Required: true}, steps.Config{}, nil)
	tr := steps.NewTranscript(nil)
	var discover []string
	f.onEv = func(e steps.Event) {
		tr.Observe(e)
		if e.Kind == steps.EventCommand && e.Step == steps.StepDiscover {
			// Laid out over lines that fit the learning pane; compared
			// joined into one line each.
			for _, l := range strings.Split(e.Command.String(), "\n") {
				if len(l) > 80 {
					t.Errorf("a line wider than 80 columns: %s", l)
				}
			}
			discover = append(discover, strings.ReplaceAll(e.Command.String(), " \\\n  ", " "))
		}
	}
	ctx := context.Background()
	f.up(ctx)
	ws := f.sb.Workspace()
	want := []string{
		`ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text --region us-west-2)`,
		`IMDS=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}`,
		`TOKEN=$(curl -sf -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")`,
		`MAC=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/mac")`,
		`WORKSPACE_SG_ID=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/network/interfaces/macs/$MAC/security-group-ids" | head -n 1)`,
		`SUBNET_ID=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/network/interfaces/macs/$MAC/subnet-id")`,
		`VPC_ID=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/network/interfaces/macs/$MAC/vpc-id")`,
		`ROUTE_TABLE_ID=$(aws ec2 describe-route-tables --filters "Name=association.subnet-id,Values=$SUBNET_ID" --query 'RouteTables[].RouteTableId' --output text --region us-west-2)`,
		// The sandbox's subnet has no table of its own: the fallback.
		`ROUTE_TABLE_ID=$(aws ec2 describe-route-tables --filters "Name=vpc-id,Values=$VPC_ID" Name=association.main,Values=true --query 'RouteTables[0].RouteTableId' --output text --region us-west-2)`,
	}
	if strings.Join(discover, "\n") != strings.Join(want, "\n") {
		t.Fatalf("discovery commands:\n%s\nwant\n%s", strings.Join(discover, "\n"), strings.Join(want, "\n"))
	}
	// Clean the world (the teardown's transcript is down.sh), then let the
	// transcripts do it all again.
	f.onEv = nil
	down := steps.NewTranscript(f.lab.State().EnvVars)
	f.onEv = down.Observe
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
	f.onEv = nil
	script := tr.Script("ecr-vpce-lab up", time.Now())
	for _, v := range []string{`--vpc-id "$VPC_ID"`, `--subnet-ids "$SUBNET_ID"`, `--source-group "$WORKSPACE_SG_ID"`, `--route-table-ids "$ROUTE_TABLE_ID"`} {
		if !strings.Contains(script, v) {
			t.Errorf("the transcript does not use the discovered variable: no %s", v)
		}
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"PATH=" + filepath.Dir(awsCLI) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, e := range f.sb.Env() {
		env = append(env, e.Name+"="+e.Value)
	}
	run := func(name, script string) string {
		t.Helper()
		path := filepath.Join(home, name)
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(rctx, bash, path)
		cmd.Env, cmd.Dir = env, home
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s\n--- script ---\n%s", name, err, out.String(), script)
		}
		return out.String()
	}
	out := run("up.sh", script)
	for name, val := range map[string]string{"ACCOUNT_ID": f.sb.Account(), "WORKSPACE_SG_ID": ws.SecurityGroupID, "SUBNET_ID": ws.SubnetID,
		"VPC_ID": ws.VpcID, "ROUTE_TABLE_ID": ws.RouteTableID} {
		if !regexp.MustCompile(`(?m)^` + name + `=` + regexp.QuoteMeta(val) + `$`).MatchString(out) {
			t.Errorf("up.sh did not find %s=%s:\n%s", name, val, out)
		}
	}
	if !regexp.MustCompile(`(?m)^VPCE_SG_ID=sg-`).MatchString(out) || !regexp.MustCompile(`(?m)^DKR_VPCE_ID=vpce-`).MatchString(out) {
		t.Errorf("up.sh did not capture the new IDs:\n%s", out)
	}
	eps, err := f.cloud.TaggedEndpoints(ctx, steps.TagKey, "")
	if err != nil || len(eps) != 3 {
		t.Fatalf("after up.sh: %d endpoints, %v\n%s", len(eps), err, out)
	}
	for _, e := range eps {
		if e.VpcID != ws.VpcID {
			t.Errorf("endpoint %s in %s", e.ID, e.VpcID)
		}
		if !e.Available() {
			t.Errorf("endpoint %s is %s after up.sh's wait", e.ID, e.State)
		}
	}
	// down.sh removes what up.sh made: the IDs up.sh wrote to
	// ~/.ecr_security, not the ones the lab's own run had.
	out = run("down.sh", down.Script("ecr-vpce-lab down", time.Now()))
	eps, err = f.cloud.TaggedEndpoints(ctx, steps.TagKey, "")
	sgs, err2 := f.cloud.TaggedSecurityGroups(ctx, steps.TagKey, "")
	if err != nil || err2 != nil || len(eps) != 0 || len(sgs) != 0 {
		t.Fatalf("after down.sh: %d endpoints, %d groups (%v, %v)\n%s", len(eps), len(sgs), err, err2, out)
	}
}
