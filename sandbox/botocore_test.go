package sandbox

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/testtool"
)

// TestBotocoreShapes records every response of the full SDK scenario (and of
// authentication failures) and has botocore judge them: its parsers must
// accept them and a strict walk against the service models must find no
// unknown or mis-cased element, no bad boolean, no value outside an enum.
// Deliberately broken copies must be rejected, so the judge is known to work.
func TestBotocoreShapes(t *testing.T) {
	py := testtool.RequirePython(t, "install python3-botocore or pip install botocore", "botocore")
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{
		Accounts:     2,
		Clock:        clock,
		Timing:       Timing{EndpointAvailable: 20 * time.Second, EndpointDelete: 10 * time.Second, ENIRelease: 15 * time.Second},
		ServiceZones: map[string][]string{"com.amazonaws.us-west-2.logs": {"us-west-2a"}},
	})
	w := &wire{}
	runScenario(t, sb, clock, w)
	runAutomationScenario(t, sb, clock, w)

	// Authentication failures, per protocol.
	ctx := context.Background()
	badCfg := sdkConfig(sb, Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "x"}, w)
	_, _ = ec2.NewFromConfig(badCfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	_, _ = ecr.NewFromConfig(badCfg).ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	_, _ = sts.NewFromConfig(badCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	// Operations AWS has and the sandbox does not model.
	goodCfg := sdkConfig(sb, sb.Credentials(), w)
	_, err := ec2.NewFromConfig(goodCfg).DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	wantCode(t, "DescribeTransitGateways", err, "UnsupportedOperation")
	_, err = ecr.NewFromConfig(goodCfg).GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "GetLifecyclePolicy", err, "UnsupportedOperationException")

	exs := w.exchanges()
	ok := map[string]bool{}
	failed := map[string]bool{}
	for _, e := range exs {
		if e.Status < 300 {
			ok[e.Action] = true
		} else {
			failed[e.Service] = true
		}
	}
	for _, a := range append(append(append(append(EC2Actions(), ECRActions()...), IAMActions()...), SchedulerActions()...), "GetCallerIdentity") {
		if !ok[a] {
			t.Errorf("the scenario has no successful %s to check", a)
		}
	}
	for _, a := range []string{"ListAccounts", "DescribeOrganization", "AssumeRole"} {
		if !ok[a] {
			t.Errorf("the scenario has no successful %s to check", a)
		}
	}
	for _, s := range []string{"ec2", "ecr", "sts", "iam", "scheduler", "organizations"} {
		if !failed[s] {
			t.Errorf("the scenario has no %s error to check", s)
		}
	}

	// Broken on purpose: each must be rejected.
	type broken struct {
		exchange
		ExpectInvalid bool   `json:"expectInvalid"`
		Why           string `json:"why"`
	}
	var all []broken
	for _, e := range exs {
		all = append(all, broken{exchange: e})
	}
	find := func(action, has string) exchange {
		for _, e := range exs {
			if e.Action == action && e.Status == 200 && strings.Contains(e.Body, has) {
				return e
			}
		}
		t.Fatalf("no %s response", action)
		return exchange{}
	}
	vpcs, images, eps := find("DescribeVpcs", "<vpcId>"), find("ListImages", `"imageTag":"v1"`), find("DescribeVpcEndpoints", "<state>available</state>")
	mutate := func(e exchange, old, new, why string) {
		if !strings.Contains(e.Body, old) {
			t.Fatalf("cannot break %s: %q not in %s", e.Action, old, e.Body)
		}
		e.Body = strings.Replace(e.Body, old, new, 1)
		all = append(all, broken{exchange: e, ExpectInvalid: true, Why: why})
	}
	mutate(vpcs, "<isDefault>false</isDefault>", "<isDefault>False</isDefault>", "boolean False")
	mutate(vpcs, "<vpcId>", "<VpcId>", "mis-cased element")
	mutate(vpcs, "<vpcId>", "<color>red</color><vpcId>", "unknown element")
	mutate(eps, "<state>available</state>", "<state>ready</state>", "enum value outside the model")
	mutate(images, `"imageIds"`, `"ImageIds"`, "mis-cased JSON key")
	mutate(images, `"imageTag":"v1"`, `"imageTag":"v1","pushed":true`, "unknown JSON key")
	sched, role := find("GetSchedule", `"ActionAfterCompletion"`), find("GetRole", "<RoleName>")
	mutate(sched, `"ActionAfterCompletion":"DELETE"`, `"ActionAfterCompletion":"REMOVE"`, "Scheduler enum value outside the model")
	mutate(sched, `"CreationDate":`, `"creationDate":`, "mis-cased Scheduler key")
	mutate(role, "<RoleName>", "<Rolename>", "mis-cased IAM element")
	mutate(role, `<GetRoleResponse xmlns="`, `<GetRoleResponse xmlns="urn:elsewhere:`, "an IAM answer in another namespace")
	mutate(vpcs, `<DescribeVpcsResponse xmlns="`, `<DescribeVpcsResponse xmlns="urn:elsewhere:`, "an EC2 answer in another namespace")
	schedErr := find404(t, exs, "GetSchedule")
	mutate(schedErr, `{"Message":`, `{"message":`, "a REST-JSON error body with message, not Message")

	dir := t.TempDir()
	path := filepath.Join(dir, "exchanges.json")
	b, err := json.Marshal(all)
	must(t, "marshal", err)
	must(t, "write", os.WriteFile(path, b, 0o600))
	out, err := exec.Command(py, filepath.Join("testdata", "botocore_check.py"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("botocore rejects sandbox responses:\n%s", out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}

// find404 is the first response of action with status 404.
func find404(t *testing.T, exs []exchange, action string) exchange {
	t.Helper()
	for _, e := range exs {
		if e.Action == action && e.Status == 404 {
			return e
		}
	}
	t.Fatalf("no 404 for %s", action)
	return exchange{}
}
