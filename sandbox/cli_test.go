package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/testtool"
)

// The AWS CLI runs the lab's own commands (testdata/seed.md, a verbatim copy
// of the workshop page) against the `ecr-vpce-lab sandbox` binary.
//
// Two substitutions, both deliberate and both things a learner does too:
//   - The lab's curl commands address IMDS as http://169.254.169.254; against
//     the sandbox that host is $AWS_EC2_METADATA_SERVICE_ENDPOINT (the AWS
//     CLI and SDKs read that variable themselves; curl cannot).
//   - Step 1's --query finds the route table only when the subnet is
//     explicitly associated. In a default Cloud9 VPC (and in the sandbox) it
//     is only implicitly associated with the main table, so the query prints
//     nothing and step 7 fails as written. The test proves that trap is
//     reproduced, then applies the fix the lab tool uses: the VPC's main
//     route table (association.main=true).
//
// Steps 8 (host) and 9 (docker push) need the DNS server and registry:
// `host` asks $LAB_DNS_SERVER (host -p PORT NAME SERVER), and `docker tag` +
// `docker push` become the equivalent skopeo copy of v1's image to v2 after
// a skopeo login with `aws ecr get-login-password`, as the workshop logs
// docker in. dig shows the endpoints' names before and after step 7.

// served is a running `ecr-vpce-lab sandbox` process.
type served struct {
	cmd    *exec.Cmd
	env    map[string]string
	order  []string
	stderr *bytes.Buffer
	waited chan error
}

var exportLine = regexp.MustCompile(`^export ([A-Z_][A-Z0-9_]*)=(.*)$`)

func serve(t *testing.T, bin string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox"}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stdout, err := cmd.StdoutPipe()
	must(t, "stdout pipe", err)
	s := &served{cmd: cmd, env: map[string]string{}, stderr: &bytes.Buffer{}, waited: make(chan error, 1)}
	cmd.Stderr = s.stderr
	must(t, "start sandbox", cmd.Start())
	t.Cleanup(func() { s.stop(t) })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { s.waited <- cmd.Wait() }()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox exited before serving: %s", s.stderr)
			}
			if m := exportLine.FindStringSubmatch(l); m != nil {
				s.env[m[1]] = strings.Trim(m[2], "'")
				s.order = append(s.order, m[1])
				continue
			}
			if strings.HasPrefix(l, "# ") && strings.Contains(l, "serving") {
				go func() {
					for range lines {
					}
				}()
				return s
			}
			t.Fatalf("unexpected line from sandbox: %q", l)
		case <-deadline:
			t.Fatalf("sandbox did not start: %s", s.stderr)
		}
	}
}

// stop sends SIGTERM and waits; it must exit 0.
func (s *served) stop(t *testing.T) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.waited:
		if err != nil {
			t.Errorf("sandbox exit after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("sandbox ignored SIGTERM")
	}
}

// seedBlocks returns the lab's bash blocks, in order.
func seedBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed.md"))
	must(t, "read seed", err)
	var blocks []string
	parts := strings.Split(string(b), "```bash\n")
	for _, p := range parts[1:] {
		end := strings.Index(p, "```")
		if end < 0 {
			t.Fatalf("unterminated bash block in seed")
		}
		blocks = append(blocks, p[:end])
	}
	return blocks
}

// cliEnv is a clean environment for the CLI: the sandbox's exports, a fresh
// HOME, no user configuration, nothing that could reach AWS.
func cliEnv(t *testing.T, s *served, home string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-credentials"),
		"AWS_PAGER=", "AWS_CLI_AUTO_PROMPT=off",
		// A safety net: anything that tries to leave loopback meets a closed
		// port on 127.0.0.1 instead of the internet.
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1",
		"https_proxy=http://127.0.0.1:9", "http_proxy=http://127.0.0.1:9", "no_proxy=127.0.0.1",
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		env = append(env, "PYENV_ROOT="+r)
	} else if h, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(h, ".pyenv")); err == nil {
			env = append(env, "PYENV_ROOT="+filepath.Join(h, ".pyenv"))
		}
	}
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasPrefix(s.env[k], "http://127.0.0.1:") && strings.HasPrefix(s.env[k], "http") ||
			(k == "ECR_REGISTRY" || k == "LAB_DNS_SERVER") && !strings.HasPrefix(s.env[k], "127.0.0.1:") {
			t.Fatalf("%s=%s is not on loopback", k, s.env[k])
		}
		env = append(env, k+"="+s.env[k])
	}
	return env
}

func bash(t *testing.T, env []string, dir, script string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// awsCLIs lists the distinct AWS CLIs to test: the one on PATH (v1 here) and
// Debian's v2 at /usr/bin/aws.
func awsCLIs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	if _, err := exec.LookPath("aws"); err == nil {
		out["path"] = testtool.AWSCLI(t, "")
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil && (out["path"] == "" || !sameFile(out["path"], "/usr/bin/aws")) {
		out["debian"] = "/usr/bin/aws"
	}
	if len(out) == 0 {
		testtool.Missing(t, "the AWS CLI", "pip install awscli, or apt-get install awscli")
	}
	return out
}

var cliVersion = regexp.MustCompile(`aws-cli/(\d+)\.(\d+)\.`)

// readsEndpointURL reports whether an AWS CLI honours AWS_ENDPOINT_URL
// (service-specific endpoints: v1.29.0 and v2.13.0 onwards).
func readsEndpointURL(version string) bool {
	m := cliVersion.FindStringSubmatch(version)
	if m == nil {
		return false
	}
	var major, minor int
	fmt.Sscan(m[1], &major)
	fmt.Sscan(m[2], &minor)
	return major == 1 && minor >= 29 || major == 2 && minor >= 13 || major > 2
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func TestAWSCLIRunsTheLab(t *testing.T) {
	// Processes of its own (the AWS CLI, a sandbox): it overlaps the others.
	t.Parallel()
	testtool.Require(t, "bash", "")
	testtool.Require(t, "jq", "apt-get install jq")
	testtool.Require(t, "curl", "apt-get install curl")
	testtool.Require(t, "dig", "apt-get install bind9-dnsutils")
	testtool.Require(t, "host", "apt-get install bind9-host")
	testtool.Require(t, "skopeo", "apt-get install skopeo")
	clis := awsCLIs(t)
	bin := testtool.LabBinary(t)
	names := make([]string, 0, len(clis))
	for n := range clis {
		names = append(names, n)
	}
	sort.Strings(names)
	// Each CLI against a sandbox of its own: they can run side by side.
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runLabWithCLI(t, bin, clis[name])
		})
	}
}

func runLabWithCLI(t *testing.T, bin, awsPath string) {
	state := t.TempDir()
	home := t.TempDir()
	s := serve(t, bin, "--state-dir", state, "--timing", "instant")
	want := []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "ACCOUNT_ID", "ECR_REPO_A", "ECR_REGISTRY", "LAB_DNS_SERVER",
		"LAB_PUBLIC_ENDPOINT_URL", "LAB_PUBLIC_REGISTRY", "LAB_PUBLIC_ACCESS_KEY_ID", "LAB_PUBLIC_SECRET_ACCESS_KEY", "LAB_OTHER_ACCESS_KEY_ID", "LAB_OTHER_SECRET_ACCESS_KEY",
		"C9_USER", "C9_PROJECT"} // what the default world, Cloud9, exports
	if strings.Join(s.order, ",") != strings.Join(want, ",") {
		t.Errorf("exports = %v, want %v", s.order, want)
	}
	env := cliEnv(t, s, home)
	// Put the chosen CLI first on PATH. A CLI too old to read
	// AWS_ENDPOINT_URL (v1 before 1.29, v2 before 2.13, like Debian 12's
	// 2.9) gets --endpoint-url added to each call, as the acceptance allows.
	shim := t.TempDir()
	env[0] = "PATH=" + shim + string(os.PathListSeparator) + os.Getenv("PATH")
	must(t, "aws shim", os.Symlink(awsPath, filepath.Join(shim, "aws")))
	verOut, err := bash(t, env, home, "aws --version")
	if err != nil {
		t.Fatalf("aws --version: %v\n%s", err, verOut)
	}
	t.Logf("CLI: %s", strings.TrimSpace(verOut))
	if !readsEndpointURL(verOut) {
		must(t, "rm shim", os.Remove(filepath.Join(shim, "aws")))
		wrapper := "#!/bin/sh\nexec " + awsPath + " \"$@\" --endpoint-url \"$AWS_ENDPOINT_URL\"\n"
		must(t, "aws wrapper", os.WriteFile(filepath.Join(shim, "aws"), []byte(wrapper), 0o755))
		t.Logf("this CLI ignores AWS_ENDPOINT_URL: adding --endpoint-url to every call")
	}
	policy := `{"default":[{"type":"insecureAcceptAnything"}]}`
	must(t, "skopeo policy", os.WriteFile(filepath.Join(home, "policy.json"), []byte(policy), 0o600))
	env = append(env, "REGISTRY_AUTH_FILE="+filepath.Join(home, "auth.json"))

	var script strings.Builder
	script.WriteString(`set -e
DNS_HOST=${LAB_DNS_SERVER%:*}; DNS_PORT=${LAB_DNS_SERVER##*:}
host() { command host -p "$DNS_PORT" "$@" "$DNS_HOST"; }
skopeo() { command skopeo --policy "$HOME/policy.json" "$@"; }
echo "BEFORE_DKR=$(dig @$DNS_HOST -p $DNS_PORT +short $ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com | xargs)"
echo "BEFORE_API=$(dig @$DNS_HOST -p $DNS_PORT +short api.ecr.$AWS_REGION.amazonaws.com | xargs)"
`)
	for i, b := range seedBlocks(t) {
		step := i + 1
		b = strings.ReplaceAll(b, "http://169.254.169.254", "$AWS_EC2_METADATA_SERVICE_ENDPOINT")
		if strings.Contains(b, "docker push") {
			// The password once: skopeo logs in with it, and its start
			// is checked (LOGIN).
			b = `PASSWORD=$(aws ecr get-login-password --region $AWS_REGION)
echo "LOGIN=$(printf %s "$PASSWORD" | cut -c1-10)"
printf %s "$PASSWORD" | skopeo login --tls-verify=false --username AWS --password-stdin $ECR_REGISTRY
set +e
skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://$ECR_REGISTRY/$ECR_REPO_A:v1 docker://$ECR_REGISTRY/$ECR_REPO_A:v2 2>&1
echo "PUSH_EXIT=$?"
set -e
`
		}
		fmt.Fprintf(&script, "echo '### step %d'\n%s\n", step, b)
		if step == 1 {
			// The trap, reproduced: the seed's query finds no explicit association.
			script.WriteString(`echo "SEED_ROUTE_TABLE_ID=[$ROUTE_TABLE_ID]"
if [ -z "$ROUTE_TABLE_ID" ]; then
  ROUTE_TABLE_ID=$(aws ec2 describe-route-tables --filters Name=vpc-id,Values=$VPC_ID Name=association.main,Values=true --query 'RouteTables[0].RouteTableId' --region $AWS_REGION --output text)
fi
echo "INTERFACE_ID=$INTERFACE_ID WORKSPACE_SG_ID=$WORKSPACE_SG_ID SUBNET_ID=$SUBNET_ID VPC_ID=$VPC_ID ROUTE_TABLE_ID=$ROUTE_TABLE_ID"
`)
		}
		if strings.Contains(b, "S3_VPCE_ID=") {
			// One describe call: the three states, and the dkr
			// endpoint's policy as step 5 gave it.
			script.WriteString(`ENDPOINTS=$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids $DKR_VPCE_ID $API_VPCE_ID $S3_VPCE_ID --query 'VpcEndpoints[].{id:VpcEndpointId,state:State,policy:PolicyDocument}' --output json)
echo "STATES=$(printf %s "$ENDPOINTS" | jq -r '.[].state' | xargs)"
[ "$(printf %s "$ENDPOINTS" | jq -r --arg id "$DKR_VPCE_ID" '.[] | select(.id == $id) | .policy')" = "$DKR_VPCE_POLICY" ] && echo POLICY_KEPT
echo "AFTER_DKR=$(dig @$DNS_HOST -p $DNS_PORT +short $ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com | xargs)"
echo "AFTER_API=$(dig @$DNS_HOST -p $DNS_PORT +short api.ecr.$AWS_REGION.amazonaws.com | xargs)"
echo "VPC_CIDR=$(curl -s $AWS_EC2_METADATA_SERVICE_ENDPOINT/latest/meta-data/network/interfaces/macs/${INTERFACE_ID}vpc-ipv4-cidr-block)"
`)
		}
	}
	script.WriteString(`echo '### after'
aws sts get-caller-identity --query Arn --output text
`)
	out, err := bash(t, env, home, script.String())
	if err != nil {
		t.Fatalf("the lab's commands failed: %v\n%s\nsandbox stderr: %s", err, out, s.stderr)
	}
	t.Logf("lab output:\n%s", out)
	mustMatch := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("output lacks %s:\n%s", re, out)
		}
		if len(m) > 1 {
			return m[1]
		}
		return m[0]
	}
	mustMatch(`SEED_ROUTE_TABLE_ID=\[\]`)
	mustMatch(`INTERFACE_ID=02(:[0-9a-f]{2}){5}/ WORKSPACE_SG_ID=sg-[0-9a-f]{17} SUBNET_ID=subnet-[0-9a-f]{17} VPC_ID=vpc-[0-9a-f]{17} ROUTE_TABLE_ID=rtb-[0-9a-f]{17}`)
	// The three endpoints available: STATES, in checkRegistryAndDNS.
	mustMatch(`(?m)^POLICY_KEPT$`)
	mustMatch(`LOGIN=eyJhY2NvdW`) // the password: base64 of {"account"...
	mustMatch(`arn:aws:sts::123456789012:assumed-role/ecr-vpce-lab-workspace/i-[0-9a-f]{17}`)
	mustMatch(`"imageTag": "v1"`)
	checkRegistryAndDNS(t, s, out)
	sec, err := os.ReadFile(filepath.Join(home, ".ecr_security"))
	must(t, "read ~/.ecr_security", err)
	ids := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(sec)), "\n") {
		if m := exportLine.FindStringSubmatch(l); m != nil {
			ids[m[1]] = m[2]
		}
	}
	for name, prefix := range map[string]string{"VPCE_SG_ID": "sg-", "SG_RULE_ID": "sgr-", "DKR_VPCE_ID": "vpce-", "API_VPCE_ID": "vpce-", "S3_VPCE_ID": "vpce-"} {
		if !strings.HasPrefix(ids[name], prefix) {
			t.Errorf("~/.ecr_security: %s=%q", name, ids[name])
		}
	}

	// One world, one server: a second process on the same state dir is refused
	// and names the holder.
	second := exec.Command(bin, "sandbox", "--state-dir", state, "--timing", "instant")
	second.Env = append(os.Environ(), "NO_COLOR=1")
	secOut, err := second.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(secOut), fmt.Sprintf("already served by process %d", s.cmd.Process.Pid)) {
		t.Errorf("second sandbox on the same world: %v\n%s", err, secOut)
	}

	// The world outlives the process.
	s.stop(t)
	s2 := serve(t, bin, "--state-dir", state, "--timing", "instant")
	if s2.env["AWS_ACCESS_KEY_ID"] != s.env["AWS_ACCESS_KEY_ID"] {
		t.Errorf("credentials changed across a restart")
	}
	env2 := cliEnv(t, s2, home)
	env2[0] = env[0]
	ids2 := "export " + strings.Join([]string{"DKR_VPCE_ID=" + ids["DKR_VPCE_ID"], "API_VPCE_ID=" + ids["API_VPCE_ID"], "S3_VPCE_ID=" + ids["S3_VPCE_ID"], "VPCE_SG_ID=" + ids["VPCE_SG_ID"], "SG_RULE_ID=" + ids["SG_RULE_ID"]}, " ") + "\n"
	out, err = bash(t, env2, home, "set -e\n"+ids2+`
aws ec2 describe-vpc-endpoints --vpc-endpoint-ids $DKR_VPCE_ID $API_VPCE_ID $S3_VPCE_ID --query 'VpcEndpoints[].State' --output text
aws ec2 describe-security-group-rules --security-group-rule-ids $SG_RULE_ID --query 'SecurityGroupRules[0].ReferencedGroupInfo.GroupId' --output text
aws ec2 delete-vpc-endpoints --vpc-endpoint-ids $DKR_VPCE_ID $API_VPCE_ID $S3_VPCE_ID
aws ec2 revoke-security-group-ingress --group-id $VPCE_SG_ID --security-group-rule-ids $SG_RULE_ID --query Return
aws ec2 delete-security-group --group-id $VPCE_SG_ID
`)
	if err != nil {
		t.Fatalf("after restart: %v\n%s", err, out)
	}
	t.Logf("after restart:\n%s", out)
	// What the CLI's teardown left is read in-process: the CLI's part is
	// the teardown, and an AWS CLI call costs half a second of CPU.
	ctx := context.Background()
	groups, err := servedEC2(s2).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{ids["VPCE_SG_ID"]}}}})
	must(t, "DescribeSecurityGroups after the teardown", err)
	endpoints, err := servedEC2(s2).DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	must(t, "DescribeVpcEndpoints after the teardown", err)
	if !regexp.MustCompile(`(?m)^available\s+available\s+available$`).MatchString(out) || !regexp.MustCompile(`"Unsuccessful": \[\]`).MatchString(out) ||
		len(groups.SecurityGroups) != 0 || len(endpoints.VpcEndpoints) != 0 || len(regexp.MustCompile(`(?m)^true$`).FindAllString(out, -1)) != 1 {
		t.Errorf("after restart the world is not as the lab left it (%d groups named %s, %d endpoints left):\n%s", len(groups.SecurityGroups), ids["VPCE_SG_ID"], len(endpoints.VpcEndpoints), out)
	}

	// --reset: a fresh world with fresh credentials.
	s2.stop(t)
	s3 := serve(t, bin, "--state-dir", state, "--timing", "instant", "--reset")
	if s3.env["AWS_ACCESS_KEY_ID"] == s.env["AWS_ACCESS_KEY_ID"] {
		t.Errorf("--reset kept the old credentials")
	}
	fresh, err := servedEC2(s3).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil || len(fresh.SecurityGroups) != 2 {
		t.Errorf("after --reset: %v %d groups", err, len(fresh.SecurityGroups))
	}
}

// servedEC2 is an EC2 client of a served sandbox, with its exports.
func servedEC2(s *served) *ec2.Client {
	return ec2.NewFromConfig(aws.Config{
		Region:       s.env["AWS_REGION"],
		Credentials:  credentials.NewStaticCredentialsProvider(s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"], ""),
		BaseEndpoint: aws.String(s.env["AWS_ENDPOINT_URL"]),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	})
}

// TestSandboxCommandSurvivesKill: the world is saved before a change is
// acknowledged, and the lock dies with its process, so after a SIGKILL the
// next `ecr-vpce-lab sandbox` serves the same world.
func TestSandboxCommandSurvivesKill(t *testing.T) {
	t.Parallel() // processes of its own
	bin := testtool.LabBinary(t)
	state := t.TempDir()
	s := serve(t, bin, "--state-dir", state, "--timing", "instant")
	sdk := servedEC2
	ctx := context.Background()
	vpcs, err := sdk(s).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, "DescribeVpcs", err)
	sg, err := sdk(s).CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("survivor"), Description: aws.String("d"), VpcId: vpcs.Vpcs[0].VpcId})
	must(t, "CreateSecurityGroup", err)
	must(t, "kill", s.cmd.Process.Kill())
	<-s.waited
	s2 := serve(t, bin, "--state-dir", state, "--timing", "instant")
	got, err := sdk(s2).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(sg.GroupId)}})
	must(t, "DescribeSecurityGroups after kill", err)
	if len(got.SecurityGroups) != 1 || aws.ToString(got.SecurityGroups[0].GroupName) != "survivor" {
		t.Errorf("after SIGKILL and restart: %+v", got.SecurityGroups)
	}
}

// TestSandboxCommandFaultFlags: the --fault-* flags reach the sandbox, and
// world faults given for a saved world are refused politely.
func TestSandboxCommandFaultFlags(t *testing.T) {
	bin := testtool.LabBinary(t)
	state := t.TempDir()
	s := serve(t, bin, "--state-dir", state, "--timing", "instant", "--fault-no-repository", "--fault-throttle-rate", "1", "--fault-seed", "3")
	cfg := aws.Config{
		Region:       s.env["AWS_REGION"],
		Credentials:  credentials.NewStaticCredentialsProvider(s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"], ""),
		BaseEndpoint: aws.String(s.env["AWS_ENDPOINT_URL"]),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	wantCode(t, "DescribeVpcs with --fault-throttle-rate 1", err, "RequestLimitExceeded")
	s.stop(t)
	s2 := serve(t, bin, "--state-dir", state, "--timing", "instant", "--fault-vpc-dns-off")
	cfg.BaseEndpoint = aws.String(s2.env["AWS_ENDPOINT_URL"])
	out, err := ecr.NewFromConfig(cfg).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{})
	must(t, "DescribeRepositories", err)
	if len(out.Repositories) != 0 {
		t.Errorf("--fault-no-repository: %d repositories", len(out.Repositories))
	}
	s2.stop(t)
	if !strings.Contains(s2.stderr.String(), "apply to a new world only") {
		t.Errorf("no note about world faults on a saved world: %q", s2.stderr)
	}
}
