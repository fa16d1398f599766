package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/sandbox"
)

// TestTeardownOffersToRevertVPCDNS: the learner let the lab turn on the
// VPC's DNS attributes (f on the preflight screen); the teardown dialog
// then says so and offers both: y tears down and turns them back off, k
// tears down and keeps them on. [issue 15, item 10]
func TestTeardownOffersToRevertVPCDNS(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"y", "k"} {
		t.Run(k, func(t *testing.T) {
			t.Parallel()
			opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Faults: sandbox.Faults{VPCDNSOff: true}})
			m, d := startWizard(t, opts, 120, 40)
			d.key("enter") // discover and check
			d.settle()
			if !strings.Contains(d.screen(), "enableDnsSupport=false") {
				t.Fatalf("preflight does not show the DNS attributes off:\n%s", d.screen())
			}
			d.key("f")
			d.settle()
			if names := m.lab.State().VPCDNS.Names(); len(names) != 2 {
				t.Fatalf("after f the state records %v:\n%s", names, d.screen())
			}
			d.key("T")
			d.settle()
			if s := d.screen(); !contains2(flatBox(s), "The lab turned on enableDnsSupport and enableDnsHostnames", "k keeps them on", "keep VPC DNS on") {
				t.Fatalf("the dialog does not offer the choice:\n%s", s)
			}
			d.key(k)
			d.settle()
			d.until("the teardown", 20*time.Second, func(m *Model) bool { return m.tdReport != nil && !m.busy() })
			sup, host := vpcDNS(t, sb)
			if want := k == "k"; sup != want || host != want {
				t.Fatalf("after %s: enableDnsSupport=%t enableDnsHostnames=%t\n%s", k, sup, host, d.screen())
			}
			word := map[string]string{"y": "restored", "k": "kept"}[k]
			if s := d.screen(); !strings.Contains(s, word) || !strings.Contains(s, "VPC DNS attributes") {
				t.Fatalf("the teardown screen does not say the attributes were %s:\n%s", word, s)
			}
		})
	}
}

// vpcDNS reads the workspace VPC's DNS attributes, as an independent EC2
// client (the ui reaches AWS only through steps).
func vpcDNS(t *testing.T, sb *sandbox.Sandbox) (support, hostnames bool) {
	t.Helper()
	cr := sb.Credentials()
	c := ec2.New(ec2.Options{Region: sb.Region(), BaseEndpoint: aws.String(sb.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)})
	vpc := aws.String(sb.Workspace().VpcID)
	a, err := c.DescribeVpcAttribute(context.Background(), &ec2.DescribeVpcAttributeInput{VpcId: vpc, Attribute: ec2types.VpcAttributeNameEnableDnsSupport})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.DescribeVpcAttribute(context.Background(), &ec2.DescribeVpcAttributeInput{VpcId: vpc, Attribute: ec2types.VpcAttributeNameEnableDnsHostnames})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToBool(a.EnableDnsSupport.Value), aws.ToBool(b.EnableDnsHostnames.Value)
}
