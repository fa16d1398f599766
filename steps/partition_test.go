package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestPartitionWorlds: the whole lab in GovCloud and in China (--world
// aws-us-gov, aws-cn). The partition comes from the caller's ARN, the
// registry host from GetAuthorizationToken's ProxyEndpoint, the endpoint
// service names from DescribeVpcEndpointServices: the endpoints are made
// for the partition's services, DNS turns private for its host names, the
// policy's Deny names the repository in the partition (arn:aws:… would
// never match there, and the push would go through), and the push is
// refused; down leaves nothing.
func TestPartitionWorlds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		world, partition, dkrService, registrySuffix string
	}{
		{sandbox.WorldAWSUSGov, "aws-us-gov", "com.amazonaws.us-gov-west-1.ecr.dkr", ".dkr.ecr.us-gov-west-1.amazonaws.com"},
		{sandbox.WorldAWSCN, "aws-cn", "cn.com.amazonaws.cn-north-1.ecr.dkr", ".dkr.ecr.cn-north-1.amazonaws.com.cn"},
	}
	for _, c := range cases {
		t.Run(c.world, func(t *testing.T) {
			f := newFixture(t, sandbox.Options{World: c.world}, steps.Config{}, nil)
			ctx := context.Background()
			f.up(ctx)
			st := f.lab.State()
			if st.Names.Partition != c.partition || !strings.HasSuffix(st.Names.Registry, c.registrySuffix) {
				t.Fatalf("names %+v; want partition %s, registry *%s", st.Names, c.partition, c.registrySuffix)
			}
			if r := st.Endpoints[steps.EndpointDKR]; r == nil || r.Service != c.dkrService {
				t.Fatalf("ecr.dkr endpoint %+v; want service %s", r, c.dkrService)
			}
			res, err := f.lab.Tests(ctx)
			if err != nil || len(res) != 3 {
				t.Fatalf("tests: %+v %v", res, err)
			}
			for _, r := range res {
				if want := r.Name != steps.PushTest; r.Outcome.Allowed != want || !r.Match {
					t.Errorf("%s: allowed %v (match %v), want %v: %s", r.Name, r.Outcome.Allowed, r.Match, want, r.Outcome.Message)
				}
			}
			if msg := res[0].Outcome.Message; !strings.Contains(msg, "arn:"+c.partition+":ecr:") || !strings.Contains(msg, "VPC endpoint policy") {
				t.Errorf("the push's refusal: %s", msg)
			}
			if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
				t.Fatalf("Teardown: %v", err)
			}
			if n := f.countEndpoints(st.Workspace.VpcID); n != 0 {
				t.Fatalf("%d endpoints left", n)
			}
		})
	}
}
