package sandbox

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// checkRegistryAndDNS is part 2's acceptance, read from the output of the
// whole lab done with the AWS CLI, dig and skopeo (TestAWSCLIRunsTheLab):
// public addresses before the endpoints and private ones after, step 8's
// host lines private, the push to team-a/alpine denied with the
// explicit-deny sentence, and `aws ecr list-images` listing just v1.
func checkRegistryAndDNS(t *testing.T, s *served, out string) {
	t.Helper()
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
	m := regexp.MustCompile(`(?s)### step 10\n(.*)### after\n`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(m[1], `"imageTag": "v1"`) || strings.Contains(m[1], `"v2"`) {
		t.Errorf("step 10: list-images does not list just v1")
	}
}
