package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ten 'up's started at once on one lab: one runs, and every other one gets
// the lab lock's message, not the sandbox's, because the lock is taken
// before the sandbox is started.
func TestRacingUpsAllGetTheLocksMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel()
	h := newProcHome(t)
	const n = 10
	type result struct {
		i    int
		code int
		out  string
	}
	cmds := make([]*exec.Cmd, n)
	finished := make(chan result, n)
	for i := range cmds {
		// Realistic timing: the winner is still waiting for its endpoints
		// while the others start and give up.
		c := exec.Command(h.bin, "up", "--sandbox", "--yes", "--state-dir", h.state)
		c.Env = h.environ()
		out := &bytes.Buffer{}
		c.Stdout, c.Stderr = out, out
		cmds[i] = c
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			err := c.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			finished <- result{i, code, out.String()}
		}()
	}
	var results []result
	exited := map[int]bool{}
	deadline := time.After(2 * time.Minute)
	for len(results) < n {
		select {
		case r := <-finished:
			results = append(results, r)
			exited[r.i] = true
			if len(results) == n-1 {
				// The others have given up: stop the winner.
				for i, c := range cmds {
					if !exited[i] {
						_ = c.Process.Kill()
					}
				}
			}
		case <-deadline:
			t.Fatalf("the racing commands did not end within 2 minutes")
		}
	}
	locked := 0
	for _, r := range results {
		switch {
		case strings.Contains(r.out, "is working on this lab"):
			locked++
		case r.code == 0 || r.code == -1:
			// the winner, done or stopped above
		default:
			t.Errorf("up #%d: exit %d, neither the winner nor the lock's message:\n%s", r.i, r.code, r.out)
		}
		if strings.Contains(r.out, "already served") {
			t.Errorf("up #%d got the sandbox's message:\n%s", r.i, r.out)
		}
	}
	if locked != n-1 {
		t.Errorf("%d of %d got the lock's message, want %d", locked, n, n-1)
	}
}

// Every flag and path is checked before the first call to AWS: a bad one
// stops the command with exit 2 and nothing started, created or written.
func TestFlagsAreCheckedFirst(t *testing.T) {
	home, state := labHome(t)
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	fifo := filepath.Join(home, "transcript.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	file := filepath.Join(home, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"policy", "simulate", "-", "--op", "push", "--repo", ""}, "--repo: name a repository"},
		{[]string{"policy", "default", "--repo", "x*"}, `--repo: repository name "x*" has a wildcard`},
		{[]string{"policy", "default", "--account", "12345"}, `--account: "12345" is not an AWS account ID`},
		{[]string{"policy", "check", "-", "--region", "moon-1"}, `--region: "moon-1" is not an AWS region name`},
		{[]string{"policy", "simulate", "-", "--op", "push", "--repo", "Team-A/Alpine"}, "lower case only (team-a/alpine)"},
		{append([]string{"up", "--yes", "--repo", "x*"}, fast...), `--repo: repository name "x*" has a wildcard`},
		{append([]string{"test", "--repo", "a//b"}, fast...), `--repo: "a//b" is not a repository name ECR accepts`},
		{append([]string{"status", "--region", "nowhere"}, fast...), `--region: "nowhere" is not an AWS region name`},
		// An action the lab does not know: the ones it does, to choose from.
		{append([]string{"up", "--yes", "--deny", "banana"}, fast...), `--deny banana: "ecr:banana" is not an ECR action: check the spelling against the ECR actions list
  fix: the actions of push, pull, login, list-images, describe-images, create-repository: ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload,`},
		{[]string{"policy", "default", "--deny", "ecr:PutImage,banana"}, `--deny banana: "ecr:banana" is not an ECR action: check the spelling against the ECR actions list
  fix: the actions of push, pull, login, list-images, describe-images, create-repository: ecr:BatchCheckLayerAvailability,`},
		// A missing or extra argument says what the argument is.
		{[]string{"policy", "check"}, "ecr-vpce-lab policy check takes one argument, the policy's FILE, or - to read it from standard input; none was given"},
		{[]string{"challenge", "check", "1", "2", "--policy", "-"}, "ecr-vpce-lab challenge check takes one argument, the challenge's number, 1 to 8 ('ecr-vpce-lab challenge list' lists them); 2 were given: 1 2"},
		{[]string{"sandbox", "clock"}, "ecr-vpce-lab sandbox clock takes one argument, how far to move the clock, such as +4h1m; none was given"},
		{append([]string{"up", "--yes", "--dns-timeout", "-5s"}, fast...), "--dns-timeout must be longer than zero"},
		// The workspace's IDs have EC2's form, or AWS's bare
		// InvalidSubnetID.Malformed comes back as an ID that is gone.
		{append([]string{"up", "--yes", "--world", "laptop", "--vpc", "banana"}, fast...), `--vpc "banana" is not a VPC ID: they look like vpc-0abc1234def567890`},
		{append([]string{"up", "--yes", "--subnet", "subnet-x", "--workspace-sg", "sg-0123456789abcdef0"}, fast...), `--subnet "subnet-x" is not a subnet ID`},
		{append([]string{"up", "--yes", "--subnet", "SUBNET-0123456789abcdef0", "--workspace-sg", "sg-01234567"}, fast...), `--subnet "SUBNET-0123456789abcdef0" is not a subnet ID`},
		{append([]string{"up", "--subnet", "subnet-01234567", "--workspace-sg", "sg-0123456789ABCDEF0"}, fast...), `--workspace-sg "sg-0123456789ABCDEF0" is not a security group ID: they look like sg-0abc1234def567890`},
		{append([]string{"up", "--yes", "--dns-timeout", "0s"}, fast...), "--dns-timeout must be longer than zero"},
		{append([]string{"up", "--yes", "--transcript", filepath.Join(home, "missing", "up.sh")}, fast...), "--transcript: cannot write " + filepath.Join(home, "missing", "up.sh")},
		{append([]string{"up", "--yes", "--transcript", home}, fast...), "--transcript: " + home + " is a directory, not a regular file"},
		{append([]string{"down", "--yes", "--transcript", fifo}, fast...), "--transcript: " + fifo + " is a named pipe (FIFO) that nothing reads"},
		{[]string{"sandbox", "--endpoint-available-after", "-1s"}, "--endpoint-available-after must not be negative"},
		{[]string{"sandbox", "--fault-latency", "-1ms"}, "--fault-latency must not be negative"},
		{[]string{"sandbox", "--fault-5xx-rate", "2"}, "--fault-5xx-rate 2: give a fraction from 0 to 1"},
		{[]string{"sandbox", "--fault-throttle-rate", "NaN"}, "--fault-throttle-rate NaN: give a fraction from 0 to 1"},
		{[]string{"sandbox", "--fault-throttle-rate", "0.6", "--fault-5xx-rate", "0.6"}, "--fault-throttle-rate 0.6 and --fault-5xx-rate 0.6 add up to more than 1: a call is throttled or fails, not both; lower one"},
		{append([]string{"status", "--state-dir", file}, fast...), "--state-dir " + file + ": it is a file, not a directory"},
		{append([]string{"up", "--yes", "--state-dir", filepath.Join(file, "lab")}, fast...), "--state-dir " + filepath.Join(file, "lab") + ": it cannot be made: not a directory"},
		{[]string{"sandbox", "--state-dir", file}, "--state-dir " + file + ": it is a file, not a directory"},
		{[]string{"challenge", "list", "--state-dir", file}, "--state-dir " + file + ": it is a file, not a directory"},
		// Before --yes is asked for, so that one fix does not lead to the
		// next refusal; and before the state directory's lock.
		{[]string{"up", "--sandbox", "--region", "moon-1"}, `--region: "moon-1" is not an AWS region name`},
		{[]string{"up", "--sandbox", "--world", "mars"}, `--world: unknown world "mars"`},
		{[]string{"down", "--sandbox", "--sandbox-timing", "slow"}, `--sandbox-timing: unknown timing "slow"`},
		{[]string{"up", "--yes", "--world", "cloud9"}, "--world and the --fault-* flags shape the sandbox: add --sandbox"},
		{[]string{"down", "--fault-tag-policy"}, "--world and the --fault-* flags shape the sandbox: add --sandbox"},
		{[]string{"fleet", "status", "--org", "--profiles", "a"}, "choose the accounts: give one source of accounts, not --profiles and --org"},
		{[]string{"fleet", "status", "--sandbox", "--state-dir", filepath.Join(home, "fleet"), "--roles", filepath.Join(home, "missing")}, "read the roles file: open " + filepath.Join(home, "missing")},
	} {
		code, out, errs := runCLI(t, "{}", c.args...)
		if code != 2 || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s%s", c.args, code, c.says, out, errs)
		}
		if out != "" {
			t.Errorf("%v: printed before refusing:\n%s", c.args, out)
		}
	}
	if entries, err := os.ReadDir(state); err == nil && len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the state directory was touched: %v", names)
	}
}

// With -o json, an error is JSON on standard output too, however early it
// happens, and still the line on standard error.
func TestJSONErrorsAreJSON(t *testing.T) {
	home, _ := labHome(t)
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	for _, args := range [][]string{
		append([]string{"status", "-o", "json", "--repo", "x*"}, fast...),
		append([]string{"up", "--yes", "--output=json", "--dns-timeout", "-1s"}, fast...),
		append([]string{"down", "--yes", "-ojson", "--transcript", home}, fast...),
		{"policy", "check", filepath.Join(home, "missing.json"), "-o", "json"},
		{"policy", "simulate", "-", "--output", "json"},
		append([]string{"test", "-o", "json"}, fast...), // before up
	} {
		code, out, errs := runCLI(t, "{}", args...)
		var got struct {
			Error struct {
				Message  string `json:"message"`
				Fix      string `json:"fix"`
				ExitCode int    `json:"exitCode"`
			} `json:"error"`
		}
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&got); err != nil || dec.More() || got.Error.Message == "" || got.Error.ExitCode != code {
			t.Errorf("%v: exit %d, stdout not one {\"error\": ...} (%v):\n%s", args, code, err, out)
			continue
		}
		if code == 0 || !strings.Contains(errs, "Error: "+got.Error.Message) {
			t.Errorf("%v: exit %d, stderr lacks the line %q:\n%s", args, code, got.Error.Message, errs)
		}
	}
}
