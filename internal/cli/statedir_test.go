package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/sandbox"
)

// TestStateDirIsOneDirectory: what 'up --sandbox --state-dir X' built is
// what 'sandbox --state-dir X', in another process, serves to the AWS CLI;
// and 'down --sandbox --state-dir X' uses that serving sandbox.
func TestStateDirIsOneDirectory(t *testing.T) {
	t.Parallel()
	awsCLI := testtool.AWSCLI(t, "the AWS CLI inspects the served world")
	h := newProcHome(t)
	// Not the default under $XDG_STATE_HOME: the flag must carry it.
	h.state = filepath.Join(t.TempDir(), "lab")
	sd := []string{"--sandbox", "--state-dir", h.state}
	if code, out := h.runJoined(append([]string{"up", "--yes", "--sandbox-timing", "instant"}, sd...)...); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	sp := h.startSandbox()
	aws := func(args ...string) []string {
		t.Helper()
		cmd := exec.Command(awsCLI, append(args, "--endpoint-url", sp.env["AWS_ENDPOINT_URL"], "--output", "text")...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.home, "LANG=C.UTF-8",
			"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_PAGER=",
			"AWS_EC2_METADATA_DISABLED=true", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1"}
		for k, v := range sp.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return strings.Fields(string(out))
	}
	endpoints := func() []string {
		got := aws("ec2", "describe-vpc-endpoints", "--filters", "Name=vpc-endpoint-state,Values=available",
			"--query", "VpcEndpoints[].ServiceName")
		slices.Sort(got)
		return got
	}
	sgs := func() []string {
		return aws("ec2", "describe-security-groups", "--filters", "Name=group-name,Values=ECR_VPCE_SG", "--query", "SecurityGroups[].GroupId")
	}
	want := []string{"com.amazonaws.us-west-2.ecr.api", "com.amazonaws.us-west-2.ecr.dkr", "com.amazonaws.us-west-2.s3"}
	if got := endpoints(); !slices.Equal(got, want) {
		t.Errorf("the AWS CLI sees the endpoints %v, want %v", got, want)
	}
	if got := sgs(); len(got) != 1 || !strings.HasPrefix(got[0], "sg-") {
		t.Errorf("the AWS CLI sees ECR_VPCE_SG as %v", got)
	}

	code, out := h.runJoined(append([]string{"down", "--yes"}, sd...)...)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("using the running sandbox (process %d)", sp.cmd.Process.Pid)) || !strings.Contains(out, "Nothing is left.") {
		t.Fatalf("down: exit %d\n%s", code, out)
	}
	// The world the AWS CLI saw is empty now (looked at through the SDK:
	// the CLI's Python starts are the slow part of this test).
	assertNothingLeft(t, sp.cloud, sp.vpc, nil)
}

// TestStateDirOfTheEarlierLayoutStillOpens: a directory the sandbox command
// of an earlier release kept its world in (the world's files directly in
// it) is still that world, for the lab's commands as for the sandbox's.
func TestStateDirOfTheEarlierLayoutStillOpens(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	old := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: old})
	if err != nil {
		t.Fatal(err)
	}
	vpc := sb.Workspace().VpcID
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := worldDir(old); got != old {
		t.Errorf("worldDir(an earlier sandbox's directory) = %s, want %s", got, old)
	}
	fresh := t.TempDir()
	if got := worldDir(fresh); got != filepath.Join(fresh, "sandbox") {
		t.Errorf("worldDir(a new directory) = %s", got)
	}
	code, out, errs := l.lab("up", "--yes", "--sandbox", "--sandbox-timing", "instant", "--state-dir", old)
	if code != 0 || !strings.Contains(out, "serving the world in "+old+" in this process") || !strings.Contains(out, "VPC "+vpc) {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(old, "sandbox")); err == nil {
		t.Error("up made a second world beside the earlier one")
	}
	l.down("--sandbox", "--sandbox-timing", "instant", "--state-dir", old)
}

// A state file whose run is in another account, or on the sandbox in
// another region, than the credentials (the world) here is refused by
// status and down, and kept: opened here, its resources all looked gone,
// down said nothing was left and deleted the file, while the run went on
// billing in its own account.
func TestRunOfAnotherAccountOrRegionIsRefused(t *testing.T) {
	ran := upOnSandbox(t)
	saved, err := os.ReadFile(filepath.Join(ran, "lab-sandbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		world sandbox.Options
		says  string
	}{
		{sandbox.Options{Account: "111122223333"}, "in account 123456789012, but these credentials are of account 111122223333"},
		{sandbox.Options{Region: "eu-west-1"}, "in us-west-2, but the sandbox's world here is in eu-west-1"},
	} {
		dir := t.TempDir()
		c.world.StateDir = filepath.Join(dir, "sandbox")
		sb, err := sandbox.Start(context.Background(), c.world)
		if err != nil {
			t.Fatal(err)
		}
		_ = sb.Close()
		path := filepath.Join(dir, "lab-sandbox.json")
		if err := os.WriteFile(path, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range [][]string{{"status"}, {"down", "--yes"}} {
			code, out, errs := runCLI(t, "", append(cmd, "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir)...)
			if code != 1 || !strings.Contains(errs, c.says) || !strings.Contains(errs, "fix: its resources are not in this world") {
				t.Errorf("%v in a world %+v: exit %d, want 1 and %q:\n%s%s", cmd, c.world, code, c.says, out, errs)
			}
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("the state file is gone: %v", err)
		}
	}
}
