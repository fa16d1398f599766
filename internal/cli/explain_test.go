package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the explain golden files")

const (
	goldenSession = "arn:aws:sts::123456789012:assumed-role/ecr-vpce-lab-workspace/i-0a1b2c3d4e5f60718"
	goldenRepo    = "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"
	goldenHost    = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
)

// TestExplainGolden: `explain` on every wording of an ECR refusal, each as
// a client prints it (sources: research notes section A; IAM's "access
// denied error messages" page for the sentence grammar), against policy
// files (so the output does not depend on a lab). The golden files are
// testdata/explain/NAME.golden; go test ./internal/cli -run
// TestExplainGolden -update rewrites them.
func TestExplainGolden(t *testing.T) {
	const dir = "testdata/explain"
	endpoint := filepath.Join(dir, "endpoint-policy.json")
	allowList := filepath.Join(dir, "endpoint-allow-list.json")
	repoPolicy := filepath.Join(dir, "repository-policy.json")
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		// An explicit deny in the endpoint policy: docker push, wrapped over
		// lines as the workshop page prints it [OBS workshop page].
		{"endpoint-explicit-deny-docker-push", "The push refers to repository [" + goldenHost + "/team-a/alpine]\n78a822fe2a2d: Layer already exists\ndenied: User: " + goldenSession +
			"\n  is not authorized to perform: ecr:PutImage on resource:\n  " + goldenRepo + " with an explicit\n  deny in a VPC endpoint policy\n",
			[]string{"--policy", endpoint}},
		// No statement allows it: the AWS CLI v2's 2026 prefix, login on "*"
		// under an allow-list of team-a's ARNs [OBS aws/aws-cli#9889].
		{"endpoint-implicit-deny-aws-cli", "",
			[]string{"--policy", allowList, "aws: [ERROR]: An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: " + goldenSession +
				" is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no VPC endpoint policy allows the ecr:GetAuthorizationToken action"}},
		// The repository policy's explicit deny: skopeo's logfmt with Go
		// quoting [SRC containers/image copy/single.go, skopeo main.go].
		{"repository-explicit-deny-skopeo", `time="2026-05-01T10:00:00Z" level=fatal msg="writing manifest: uploading manifest v2 to ` + goldenHost + `/team-a/alpine: denied: User: ` +
			goldenSession + ` is not authorized to perform: ecr:PutImage on resource: ` + goldenRepo + ` with an explicit deny in a resource-based policy"`,
			[]string{"--policy", endpoint, "--repository-policy", repoPolicy, "-"}},
		// Another account, no repository policy allows it: docker push
		// [OBS aws-actions/amazon-ecr-login#232].
		{"repository-implicit-deny-cross-account", "", []string{"--policy", endpoint, "--repository-policy", repoPolicy,
			"denied: User: arn:aws:sts::210987654321:assumed-role/partner-ci/build-7 is not authorized to perform: ecr:InitiateLayerUpload on resource: " + goldenRepo +
				" because no resource-based policy allows the ecr:InitiateLayerUpload action"}},
		// The caller's own IAM policy: docker pull [OBS everything2#2562,
		// SRC moby distribution/errors.go].
		{"identity-implicit-deny-docker-pull", "", []string{"--policy", endpoint,
			"Error response from daemon: pull access denied for " + goldenHost + "/team-a/alpine, repository does not exist or may require 'docker login': denied: User: " +
				goldenSession + " is not authorized to perform: ecr:BatchGetImage on resource: " + goldenRepo + " because no identity-based policy allows the ecr:BatchGetImage action"}},
		// The registry login expired [SRC awslabs/soci-snapshotter].
		{"expired-token-docker-push", "The push refers to repository [" + goldenHost + "/team-a/alpine]\ndenied: Your authorization token has expired. Reauthenticate and try again.\n",
			[]string{"--policy", endpoint}},
		// A missing repository: docker pull [SRC moby distribution/errors.go].
		{"missing-repository-docker-pull", "", []string{"--policy", endpoint,
			"Error response from daemon: repository " + goldenHost + "/team-c/app not found: name unknown: The repository with name 'team-c/app' does not exist in the registry with id '123456789012'"}},
		// A HEAD's refusal has no body: skopeo cannot say why
		// [SRC containers/image docker/errors.go].
		{"sentence-lost-skopeo-head", `FATA[0001] trying to reuse blob sha256:9b1a at destination: checking whether a blob sha256:9b1a exists in ` + goldenHost + `/team-a/alpine: StatusCode: 403, ""`,
			[]string{"--policy", endpoint}},
		// The oldest wording names no policy type [OBS awsdocs/amazon-ecr-user-guide#13].
		{"unnamed-explicit-deny-old-cli", "", []string{"--policy", endpoint,
			"A client error (AccessDeniedException) occurred when calling the PutImage operation: User: " + goldenSession + " is not authorized to perform: ecr:PutImage on resource: " +
				goldenRepo + " with an explicit deny"}},
		// An operation rather than a refusal.
		{"operation-push", "", []string{"--policy", endpoint, "--op", "push"}},
		// The AWS credentials expired, not the registry login: the AWS CLI
		// on ecr.api [OBS research A.3].
		{"expired-session-aws-cli", "", []string{"--policy", endpoint,
			"An error occurred (ExpiredTokenException) when calling the DescribeImages operation: The security token included in the request is expired"}},
		// The organization's control policy [DOC IAM access-denied examples].
		{"scp-explicit-deny-aws-cli", "", []string{"--policy", endpoint,
			"An error occurred (AccessDeniedException) when calling the ListImages operation: User: " + goldenSession + " is not authorized to perform: ecr:ListImages on resource: " +
				goldenRepo + " with an explicit deny in a service control policy"}},
		// A lab step's EC2 call refused by the role's IAM policy, as the
		// wizard shows the failed step (EC2's wording, research G): no ECR
		// endpoint is on its way.
		{"ec2-identity-implicit-deny-step", "", []string{"--policy", endpoint,
			"find the subnet's route table: UnauthorizedOperation: You are not authorized to perform this operation. User: " + goldenSession +
				" is not authorized to perform: ec2:DescribeRouteTables because no identity-based policy allows the ec2:DescribeRouteTables action. Encoded authorization failure message: eyJhbGxvd2VkIjpmYWxzZX0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ACCOUNT_ID", "123456789012")
			t.Setenv("AWS_REGION", "us-west-2")
			t.Setenv("ECR_REPO_A", "")
			t.Setenv("NO_COLOR", "1")
			code, out, errs := runCLIRaw(tc.stdin, append([]string{"explain"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errs)
			}
			golden := filepath.Join(dir, tc.name+".golden")
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if out != string(want) {
				t.Errorf("explain output differs from %s:\n--- got\n%s\n--- want\n%s", golden, out, want)
			}
			// The same as JSON: one value, the same verdict.
			code, js, _ := runCLIRaw(tc.stdin, append([]string{"explain", "--output", "json"}, tc.args...)...)
			if tc.name == "endpoint-explicit-deny-docker-push" {
				// What scripts read, field by field.
				golden := filepath.Join(dir, tc.name+".json.golden")
				if *updateGolden {
					if err := os.WriteFile(golden, []byte(js), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if want, err := os.ReadFile(golden); err != nil || js != string(want) {
					t.Errorf("explain --output json differs from %s (%v):\n--- got\n%s\n--- want\n%s", golden, err, js, want)
				}
			}
			var ex struct {
				Kind   string `json:"kind"`
				Agrees bool   `json:"agrees"`
				Cause  string `json:"cause"`
			}
			if code != 0 || json.Unmarshal([]byte(js), &ex) != nil || ex.Cause == "" || !strings.Contains(out, ex.Cause) {
				t.Errorf("--output json: exit %d, %+v\n%s", code, ex, js)
			}
		})
	}
}

// TestExplainBadInput: nothing to explain, a text with no refusal, a
// policy with errors, an unknown operation: exit 2, with what to do.
func TestExplainBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "--policy", bad, "denied: x"}, "has errors"},
		{[]string{"explain", "--policy", "testdata/explain/endpoint-policy.json", "hello world"}, "holds no refusal"},
		{[]string{"explain", "--op", "fly"}, "unknown --op"},
		{[]string{"explain", "--file", filepath.Join(dir, "missing.txt")}, "cannot read"},
		{[]string{"explain", "--file", "x", "also an argument"}, "not both"},
	} {
		code, _, errs := runCLI(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errs)
		}
	}
	// Nothing to explain (an empty pipe, a blank argument, an empty file),
	// or a text with no refusal in it, is said before the lab opens: no
	// sandbox starts, nothing is written, and on AWS no credentials are
	// asked for first (they would be the thing to fix, only to be told
	// then that the text was the problem).
	labHome(t)
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	const nothing, noRefusal = "nothing to explain: paste the refusal", "holds no refusal the lab recognises"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--sandbox"}, nothing}, {[]string{"--sandbox", " "}, nothing}, {[]string{"--sandbox", "--file", empty}, nothing},
		{[]string{"--sandbox", "hello", "world"}, noRefusal}, {[]string{"hello world"}, noRefusal},
	} {
		args := append([]string{"explain", "--state-dir", state}, c.args...)
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Contains(out+errs, "sandbox:") || strings.Contains(errs, "credentials") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		if _, err := os.Stat(state); err == nil {
			t.Fatalf("%v: the state directory was made: the lab opened", args)
		}
	}
}

// Explaining a refusal before up says which up to run: this command's own,
// with its sandbox and state directory, not a bare one that would set up
// another lab (or reach AWS).
func TestExplainBeforeUp(t *testing.T) {
	labHome(t)
	state := t.TempDir()
	refused := "denied: User: " + goldenSession + " is not authorized to perform: ecr:PutImage on resource: " + goldenRepo + " with an explicit deny in a VPC endpoint policy"
	code, out, errs := runCLI(t, "", "explain", "--sandbox", "--sandbox-timing", "instant", "--state-dir", state, refused)
	up := "run 'ecr-vpce-lab up --sandbox --state-dir " + state + "' first"
	if code != 1 || !strings.Contains(errs, "the lab has not been set up here") || !strings.Contains(errs, "fix: "+up) {
		t.Fatalf("exit %d, want 1 and %q\n%s%s", code, up, out, errs)
	}
}
