package sandbox

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ecr-vpce-lab/internal/testtool"
)

// TestAcceptanceLabWithCLIDigSkopeo is part 2's acceptance: with the exports
// of `ecr-vpce-lab sandbox`, the whole lab (../shared/seed, testdata/seed.md)
// done with the AWS CLI, dig and skopeo shows public addresses before the
// endpoints and private ones after, the push to team-a/alpine denied with the
// explicit-deny sentence, and `aws ecr list-images` listing v1.
//
// Besides the two substitutions of TestAWSCLIRunsTheLab (IMDS address, main
// route table), the lab's `host` runs against $LAB_DNS_SERVER (host -p PORT
// NAME SERVER), and `docker tag` + `docker push` of step 9 become the
// equivalent skopeo copy of v1's image to v2 after a skopeo login with
// `aws ecr get-login-password`, as the workshop logs docker in.
func TestAcceptanceLabWithCLIDigSkopeo(t *testing.T) {
	// Processes of its own (the AWS CLI, a sandbox): it overlaps the others.
	t.Parallel()
	testtool.Require(t, "bash", "")
	testtool.Require(t, "jq", "apt-get install jq")
	testtool.Require(t, "curl", "apt-get install curl")
	testtool.Require(t, "dig", "apt-get install bind9-dnsutils")
	testtool.Require(t, "host", "apt-get install bind9-host")
	testtool.Require(t, "skopeo", "apt-get install skopeo")
	awsPath := testtool.Require(t, "aws", "pip install awscli (v1), or apt-get install awscli")
	bin := testtool.LabBinary(t)
	home := t.TempDir()
	s := serve(t, bin, "--state-dir", t.TempDir(), "--timing", "instant")
	for _, k := range []string{"ECR_REGISTRY", "LAB_DNS_SERVER"} {
		if !strings.HasPrefix(s.env[k], "127.0.0.1:") {
			t.Fatalf("%s=%q", k, s.env[k])
		}
	}
	env := cliEnv(t, s, home)
	shim := t.TempDir()
	env[0] = "PATH=" + shim + string(os.PathListSeparator) + os.Getenv("PATH")
	verOut, err := exec.Command(awsPath, "--version").CombinedOutput()
	must(t, "aws --version", err)
	if readsEndpointURL(string(verOut)) {
		must(t, "aws shim", os.Symlink(awsPath, filepath.Join(shim, "aws")))
	} else {
		wrapper := "#!/bin/sh\nexec " + awsPath + " \"$@\" --endpoint-url \"$AWS_ENDPOINT_URL\"\n"
		must(t, "aws wrapper", os.WriteFile(filepath.Join(shim, "aws"), []byte(wrapper), 0o755))
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
			b = `aws ecr get-login-password --region $AWS_REGION | skopeo login --tls-verify=false --username AWS --password-stdin $ECR_REGISTRY
set +e
skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://$ECR_REGISTRY/$ECR_REPO_A:v1 docker://$ECR_REGISTRY/$ECR_REPO_A:v2 2>&1
echo "PUSH_EXIT=$?"
set -e
`
		}
		fmt.Fprintf(&script, "echo '### step %d'\n%s\n", step, b)
		if step == 1 {
			script.WriteString(`if [ -z "$ROUTE_TABLE_ID" ]; then
  ROUTE_TABLE_ID=$(aws ec2 describe-route-tables --filters Name=vpc-id,Values=$VPC_ID Name=association.main,Values=true --query 'RouteTables[0].RouteTableId' --region $AWS_REGION --output text)
fi
`)
		}
		if strings.Contains(b, "S3_VPCE_ID=") {
			script.WriteString(`echo "STATES=$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids $DKR_VPCE_ID $API_VPCE_ID $S3_VPCE_ID --query 'VpcEndpoints[].State' --output text | xargs)"
echo "AFTER_DKR=$(dig @$DNS_HOST -p $DNS_PORT +short $ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com | xargs)"
echo "AFTER_API=$(dig @$DNS_HOST -p $DNS_PORT +short api.ecr.$AWS_REGION.amazonaws.com | xargs)"
echo "VPC_CIDR=$(curl -s $AWS_EC2_METADATA_SERVICE_ENDPOINT/latest/meta-data/network/interfaces/macs/${INTERFACE_ID}vpc-ipv4-cidr-block)"
`)
		}
	}
	out, err := bash(t, env, home, script.String())
	t.Logf("the lab, with the AWS CLI, dig and skopeo:\n%s", out)
	if err != nil {
		t.Fatalf("the lab's commands failed: %v\nsandbox stderr: %s", err, s.stderr)
	}
	line := func(name string) string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + name + `=(.*)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("output lacks %s=", name)
		}
		return strings.TrimSpace(m[1])
	}
	cidr := netip.MustParsePrefix(line("VPC_CIDR"))
	inVPC := func(list string) (all, none bool) {
		ips := strings.Fields(list)
		all, none = len(ips) > 0, true
		for _, ip := range ips {
			if cidr.Contains(netip.MustParseAddr(ip)) {
				none = false
			} else {
				all = false
			}
		}
		return all, none
	}
	for _, name := range []string{"BEFORE_DKR", "BEFORE_API"} {
		if _, none := inVPC(line(name)); !none || line(name) == "" {
			t.Errorf("%s=%s: want public addresses", name, line(name))
		}
	}
	if line("STATES") != "available available available" {
		t.Errorf("endpoint states %q", line("STATES"))
	}
	for _, name := range []string{"AFTER_DKR", "AFTER_API"} {
		if all, _ := inVPC(line(name)); !all {
			t.Errorf("%s=%s: want private addresses in %s", name, line(name), cidr)
		}
	}
	// Step 8 as written: `host ... | grep "has address"` prints private addresses.
	hostLines := regexp.MustCompile(`(?m)^(\S+) has address (\S+)$`).FindAllStringSubmatch(out, -1)
	if len(hostLines) != 2 {
		t.Errorf("step 8 printed %d 'has address' lines", len(hostLines))
	}
	for _, m := range hostLines {
		if !cidr.Contains(netip.MustParseAddr(m[2])) {
			t.Errorf("step 8: %s has public address %s", m[1], m[2])
		}
	}
	deny := regexp.MustCompile(`denied: User: arn:aws:sts::` + s.env["ACCOUNT_ID"] + `:assumed-role/ecr-vpce-lab-workspace/i-[0-9a-f]{17} is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:` +
		s.env["AWS_REGION"] + `:` + s.env["ACCOUNT_ID"] + `:repository/team-a/alpine with an explicit deny in a VPC endpoint policy`)
	if !deny.MatchString(out) || line("PUSH_EXIT") == "0" {
		t.Errorf("step 9: the push was not denied with the explicit-deny sentence")
	}
	m := regexp.MustCompile(`(?s)### step 10\n(.*)$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(m[1], `"imageTag": "v1"`) || strings.Contains(m[1], `"v2"`) {
		t.Errorf("step 10: list-images does not list just v1")
	}
}
