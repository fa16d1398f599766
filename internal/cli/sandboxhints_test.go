package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/testtool"
)

// awsCommandIn finds an AWS CLI command in printed text ("aws " and the
// next two words), where a command may start: a line's start, after a
// space, a parenthesis or a quote.
var awsCommandIn = regexp.MustCompile(`(?m)(?:^|[\s("'])aws (\S+) (\S+)`)

// labCommandIn finds one of the lab's commands that opens a lab (or the
// sandbox's), with what follows it up to a quote, a parenthesis, a
// semicolon or the line's end.
var labCommandIn = regexp.MustCompile(`ecr-vpce-lab (up|down|test|status|explain|challenge|sandbox)\b([^'"\n;)]*)`)

var loopbackURL = regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`)

// strayCommands lists the commands in out that would not reach the
// sandbox whose world is in stateDir: an aws command (but aws sso and aws
// configure, which set up this shell's credentials) without
// --endpoint-url and the sandbox's address (endpoint; any 127.0.0.1
// address when it is "", a sandbox gone with its command), and a lab
// command without --sandbox and --state-dir stateDir.
func strayCommands(out, endpoint, stateDir string) []string {
	var stray []string
	for _, m := range awsCommandIn.FindAllStringSubmatch(out, -1) {
		ok := m[1] == "--endpoint-url" && (m[2] == endpoint || endpoint == "" && loopbackURL.MatchString(m[2])) ||
			awsops.LocalCLICommand(m[1]) // this shell's credentials: no endpoint serves them
		if !ok {
			stray = append(stray, strings.TrimSpace(m[0]))
		}
	}
	for _, m := range labCommandIn.FindAllStringSubmatch(out, -1) {
		rest := m[2] + " "
		if !strings.Contains(rest, " --state-dir "+stateDir+" ") || m[1] != "sandbox" && !strings.Contains(rest, " --sandbox ") {
			stray = append(stray, m[0])
		}
	}
	return stray
}

// TestStrayCommandsFindsPlainOnes: the scan below cannot pass by finding
// nothing.
func TestStrayCommandsFindsPlainOnes(t *testing.T) {
	out := "fix: create it (aws ecr create-repository), or run 'ecr-vpce-lab down' when you are done\n" +
		"  - aws --endpoint-url https://ecr.us-west-2.amazonaws.com ecr list-images\n" +
		"then 'ecr-vpce-lab down --expired --sandbox' removes the run; eval \"$(ecr-vpce-lab sandbox env)\"\n" +
		"fine: aws --endpoint-url http://127.0.0.1:4566 ec2 describe-vpcs, (aws sso login), aws configure list, 'ecr-vpce-lab down --sandbox --state-dir /s' and arn:aws:iam::1:role/x\n"
	got := strayCommands(out, "", "/s")
	want := []string{"(aws ecr create-repository),", "aws --endpoint-url https://ecr.us-west-2.amazonaws.com", "ecr-vpce-lab down",
		"ecr-vpce-lab down --expired --sandbox", "ecr-vpce-lab sandbox env"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("stray commands %q, want %q", got, want)
	}
}

// TestSandboxPrintsOnlyCommandsThatReachIt: on the sandbox, every command
// the tool tells a facilitator to type reaches that sandbox: each aws
// command carries its endpoint, each of the lab's commands --sandbox and
// the state directory. Scanned over a whole headless run with faults that
// make the tool print fixes (a foreign S3 gateway, another team's rule on
// the lab's group, no expiry), explain's answers, the metadata hop limit
// of a container, and a role without iam:CreateRole (no auto-teardown)
// on a sandbox serving in its own process. Where an aws command is named,
// a note says once what it needs.
func TestSandboxPrintsOnlyCommandsThatReachIt(t *testing.T) {
	t.Parallel()
	h := newProcHome(t)
	check := func(what, out, endpoint, stateDir string) {
		t.Helper()
		for _, s := range strayCommands(out, endpoint, stateDir) {
			t.Errorf("%s names %q, which does not reach the sandbox:\n%s", what, s, out)
		}
		if strings.Contains(out, "aws --endpoint-url ") {
			if n := strings.Count(out, `eval "$(ecr-vpce-lab sandbox env --state-dir `+stateDir+`)"`); n != 1 {
				t.Errorf("%s names aws commands and says %d times how to get the sandbox's keys, want once:\n%s", what, n, out)
			}
		}
	}
	run := func(stateDir string, code int, args ...string) string {
		t.Helper()
		args = append(args, "--sandbox", "--state-dir", stateDir)
		got, out := h.runJoined(args...)
		if got != code {
			t.Fatalf("%s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, out)
		}
		check(strings.Join(args[:min(len(args), 3)], " "), out, "", stateDir)
		return out
	}

	a := filepath.Join(t.TempDir(), "a")
	out := run(a, 0, "up", "--yes", "--sandbox-timing", "instant", "--fault-s3-gateway-policy", "--fault-sg-referenced", "--expires", "never")
	for _, want := range []string{"aws --endpoint-url http://127.0.0.1:", "No expiry", "('ecr-vpce-lab down --sandbox --state-dir " + a + "')"} {
		if !strings.Contains(out, want) {
			t.Errorf("up lacks %q:\n%s", want, out)
		}
	}
	run(a, 1, "test")
	// The pull test failed on the foreign gateway: status says so in
	// words, and its JSON keeps the code.
	if out := run(a, 0, "status"); !strings.Contains(out, "failed: pull test: pull was refused by S3") || strings.Contains(out, "RefusedElsewhere") {
		t.Errorf("status says the failed pull test with its code, or not at all:\n%s", out)
	}
	if code, out, errs := h.lab("status", "--sandbox", "--state-dir", a, "--output", "json"); code != 0 || !strings.Contains(out, `"code": "RefusedElsewhere"`) {
		t.Errorf("status --output json: exit %d, the failed pull test's code lost:\n%s%s", code, out, errs)
	}
	const caller = "arn:aws:sts::123456789012:assumed-role/ecr-vpce-lab-workspace/i-0abc"
	for _, refusal := range []string{
		"denied: Your authorization token has expired. Reauthenticate and try again.",
		"denied: Your authorization token is invalid.",
		"An error occurred (RepositoryNotFoundException) when calling the DescribeImages operation: The repository with name 'team-b/x' does not exist in the registry with id '123456789012'",
		"An error occurred (ImageNotFoundException) when calling the BatchGetImage operation: Requested image not found",
		"An error occurred (ExpiredTokenException) when calling the ListImages operation: The security token included in the request is expired",
		"An error occurred (UnrecognizedClientException) when calling the ListImages operation: The security token included in the request is invalid.",
		"An error occurred (AccessDeniedException) when calling the ListImages operation: User: " + caller + " is not authorized to perform: ecr:ListImages on resource: " +
			"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine because no identity-based policy allows the ecr:ListImages action",
		"An error occurred (AccessDeniedException) when calling the ListImages operation: User: " + caller + " is not authorized to perform: ecr:ListImages on resource: " +
			"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a service control policy",
		"An error occurred (AccessDeniedException) when calling the ListImages operation: User: " + caller + " is not authorized to perform: ecr:ListImages on resource: " +
			"arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine because no resource-based policy allows the ecr:ListImages action",
		"An error occurred (UnauthorizedOperation) when calling the DescribeRouteTables operation: You are not authorized to perform this operation. User: " + caller +
			" is not authorized to perform: ec2:DescribeRouteTables because no VPC endpoint policy allows the ec2:DescribeRouteTables action",
		"An error occurred (UnauthorizedOperation) when calling the DescribeRouteTables operation: You are not authorized to perform this operation. User: " + caller +
			" is not authorized to perform: ec2:DescribeRouteTables because no identity-based policy allows the ec2:DescribeRouteTables action",
		"unauthorized: authentication required",
	} {
		run(a, 0, "explain", refusal)
	}
	run(a, 0, "explain", "--op", "push")
	_, policyText, _ := h.lab("policy", "default")
	policyFile := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policyFile, []byte(policyText), 0o600); err != nil {
		t.Fatal(err)
	}
	run(a, 0, "explain", "--op", "pull", "--policy", policyFile)
	// Another team's rule on the lab's group: the fix revokes it.
	if out := run(a, 1, "down", "--yes"); !strings.Contains(out, "ec2 revoke-security-group-egress") {
		t.Errorf("down names no command to revoke the other team's rule:\n%s", out)
	}

	// A container whose metadata service needs a hop limit of 2.
	c := filepath.Join(t.TempDir(), "c")
	if out := run(c, 0, "status", "--world", "container", "--fault-imds-hop-limit"); !strings.Contains(out, "ec2 modify-instance-metadata-options") {
		t.Errorf("the container's place names no command to raise the hop limit:\n%s", out)
	}

	// A role that may not create the auto-teardown's: down --expired is
	// the way out, on a sandbox serving in its own process (its address,
	// exactly, is what the aws commands name).
	h.state = filepath.Join(t.TempDir(), "b")
	sp := h.startSandbox("--fault-deny-action", "iam:CreateRole")
	for _, args := range [][]string{{"up", "--yes"}, {"status"}} {
		code, out := h.runJoined(append(args, "--sandbox", "--state-dir", h.state)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", args[0], code, out)
		}
		check(args[0]+" on a running sandbox", out, sp.env["AWS_ENDPOINT_URL"], h.state)
		if want := "ecr-vpce-lab down --expired --sandbox --state-dir " + h.state; !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%s", args[0], want, out)
		}
	}
}

// TestSandboxEnvLetsTheAWSCLIRunTheFixes: a fix's aws command works as
// printed, in a shell where the note's command was evaluated
// (ecr-vpce-lab sandbox env prints the running sandbox's exports), and not
// without it.
func TestSandboxEnvLetsTheAWSCLIRunTheFixes(t *testing.T) {
	t.Parallel()
	awsCLI := testtool.AWSCLI(t, "the AWS CLI runs a fix the lab printed")
	h := newProcHome(t)
	h.state = filepath.Join(t.TempDir(), "lab")
	sp := h.startSandbox("--fault-s3-gateway-policy")
	sd := []string{"--sandbox", "--state-dir", h.state}
	if code, out := h.runJoined(append([]string{"up", "--yes"}, sd...)...); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	code, out := h.runJoined(append([]string{"test"}, sd...)...)
	fix := regexp.MustCompile(`\((aws --endpoint-url \S+ ec2 describe-vpc-endpoints [^)]*> s3-policy\.json)\)`).FindStringSubmatch(out)
	note := regexp.MustCompile(`eval "\$\(ecr-vpce-lab sandbox env --state-dir \S+\)"`).FindString(out)
	if code != 1 || fix == nil || note == "" || !strings.Contains(fix[1], sp.env["AWS_ENDPOINT_URL"]) {
		t.Fatalf("test on a foreign S3 gateway: exit %d, want 1, a fix that saves its policy with the sandbox's endpoint, and how to get its keys:\n%s", code, out)
	}

	// A shell of the facilitator's: the lab and the AWS CLI on its PATH,
	// no AWS settings of its own.
	bin := t.TempDir()
	for name, p := range map[string]string{"ecr-vpce-lab": h.bin, "aws": awsCLI} {
		if err := os.Symlink(p, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	shell := func(script string) (string, error) {
		dir := t.TempDir()
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + h.home, "LANG=C.UTF-8", "AWS_PAGER=",
			"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
			"NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1"}
		b, err := cmd.CombinedOutput()
		if err != nil {
			return string(b), err
		}
		saved, rerr := os.ReadFile(filepath.Join(dir, "s3-policy.json"))
		return string(saved), rerr
	}
	if got, err := shell(fix[1]); err == nil {
		t.Errorf("the fix worked without the sandbox's keys, so the note would not be needed: %s", got)
	}
	got, err := shell("set -e; " + note + "; " + fix[1])
	if err != nil || !strings.Contains(got, `"Statement"`) {
		t.Fatalf("the fix, after %s: %v\n%s", note, err, got)
	}
}
