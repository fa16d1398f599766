package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the program in-process with the lab's default environment.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("ACCOUNT_ID", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("ECR_REPO_A", "")
	t.Setenv("NO_COLOR", "1")
	return runCLIRaw(stdin, args...)
}

// runCLIContext is runCLI with the caller's context (cancel it to
// interrupt the command).
func runCLIContext(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("ACCOUNT_ID", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("ECR_REPO_A", "")
	t.Setenv("NO_COLOR", "1")
	var out, errb bytes.Buffer
	code = Run(ctx, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// runCLIRaw runs the program in-process in the environment as it is.
func runCLIRaw(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestPolicyDefaultIntoSimulate(t *testing.T) {
	code, pol, errs := runCLI(t, "", "policy", "default", "--account", "123456789012", "--region", "us-west-2")
	if code != 0 {
		t.Fatalf("default: exit %d: %s", code, errs)
	}
	code, out, errs := runCLI(t, pol, "policy", "simulate", "-", "--op", "push", "--repo", "team-a/alpine", "--output", "json")
	if code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, errs)
	}
	var sim struct {
		Operation, Repository, Decision string
		Actions                         []struct{ Action, Decision, Statement, Reason string }
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&sim); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	last := sim.Actions[len(sim.Actions)-1]
	if sim.Operation != "push" || sim.Repository != "team-a/alpine" || sim.Decision != "ExplicitDeny" ||
		last.Action != "ecr:PutImage" || last.Decision != "ExplicitDeny" || last.Statement != "DenyPutImage" ||
		!strings.Contains(last.Reason, "explicit deny in a VPC endpoint policy") {
		t.Fatalf("%+v", sim)
	}
	// The text form: a table and a verdict.
	code, out, _ = runCLI(t, pol, "policy", "simulate", "-", "--op", "pull")
	if code != 0 || !strings.Contains(out, "ecr:GetDownloadUrlForLayer") || !strings.Contains(out, "pull on team-a/alpine: Allow") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestPolicyCheckExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, `{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]`+"\n", "policy", "check", "-")
	if code != 1 || !strings.HasPrefix(out, "1:66 error invalid JSON") {
		t.Fatalf("missing bracket: exit %d:\n%s", code, out)
	}
	code, out, errs := runCLI(t, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"}]}`, "policy", "check", "-")
	if code != 0 || !strings.Contains(out, "warning") || !strings.Contains(errs, "AWS will accept") {
		t.Fatalf("warnings only: exit %d:\n%s%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "", "policy", "check", filepath.Join(t.TempDir(), "nope.json"))
	if code != 2 || !strings.Contains(errs, "cannot read") {
		t.Fatalf("unreadable: exit %d: %s", code, errs)
	}
	code, out, _ = runCLI(t, `{"Statement":[{"Effect":"allow","Principal":"*","Action":"ecr:PushImage","Resource":"*"}]}`, "policy", "check", "-", "--output", "json")
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil || code != 1 || len(fs) < 2 {
		t.Fatalf("json: exit %d, %v:\n%s", code, err, out)
	}
	for _, k := range []string{"severity", "path", "line", "column", "message", "fix", "rule"} {
		if _, ok := fs[0][k]; !ok {
			t.Fatalf("finding lacks %q: %v", k, fs[0])
		}
	}
	code, out, _ = runCLI(t, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "policy", "check", "-", "-o", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("clean json: exit %d: %q", code, out)
	}
}

func TestPolicyCheckARNChecks(t *testing.T) {
	src := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"arn:aws:ecr:eu-west-1:123456789012:repository/team-a/alpine"}]}`
	if _, out, _ := runCLI(t, src, "policy", "check", "-"); strings.Contains(out, "region") {
		t.Fatalf("no ARN checks without --region:\n%s", out)
	}
	if _, out, _ := runCLI(t, src, "policy", "check", "-", "--region", "us-west-2"); !strings.Contains(out, "the lab runs in us-west-2") {
		t.Fatalf("ARN check with --region:\n%s", out)
	}
}

func TestPolicySimulateRefusals(t *testing.T) {
	bad := `{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`
	code, _, errs := runCLI(t, bad, "policy", "simulate", "-", "--op", "push")
	if code != 2 || !strings.Contains(errs, "no Principal") {
		t.Fatalf("lint errors: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "{}", "policy", "simulate", "-", "--op", "teleport")
	if code != 2 || !strings.Contains(errs, "choose one of push, pull") {
		t.Fatalf("unknown op: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "{}", "policy", "simulate", "-")
	if code != 2 || !strings.Contains(errs, "--op is required") {
		t.Fatalf("no op: exit %d: %s", code, errs)
	}
}

func TestPolicyDefaultFlagsAndEnv(t *testing.T) {
	code, out, _ := runCLI(t, "", "policy", "default", "--repo", "team-b/nginx", "--deny", "ecr:PutImage,ecr:BatchGetImage")
	if code != 0 || !strings.Contains(out, `"DenyActions"`) || !strings.Contains(out, "repository/team-b/nginx") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, _, errs := runCLI(t, "", "policy", "default", "--deny", "ecr:Teleport")
	if code != 2 || !strings.Contains(errs, "not an ECR action") {
		t.Fatalf("bad deny: exit %d: %s", code, errs)
	}
	// The workshop's exports are the defaults.
	os.Setenv("ACCOUNT_ID", "111122223333")
	t.Cleanup(func() { os.Unsetenv("ACCOUNT_ID") })
	var buf bytes.Buffer
	if Run(context.Background(), []string{"policy", "default"}, strings.NewReader(""), &buf, &buf) != 0 || !strings.Contains(buf.String(), ":111122223333:repository/team-a/alpine") {
		t.Fatalf("ACCOUNT_ID not honoured:\n%s", buf.String())
	}
}

func TestWizardWithoutATerminalPointsToTheHeadlessCommands(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("ACCESSIBLE", "")
	code, _, errs := runCLI(t, "", "--sandbox")
	if code != 2 || !strings.Contains(errs, "the wizard needs a terminal") || !strings.Contains(errs, "up --sandbox --yes") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
