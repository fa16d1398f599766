package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// lifeCycle is what one interface endpoint's timing came out as.
type lifeCycle struct {
	pending, dnsSwitch, deleting, linger time.Duration
}

// endpointLifeCycles creates n interface endpoints and deletes them, and
// returns the durations each drew.
func endpointLifeCycles(t *testing.T, tm Timing, n int) []lifeCycle {
	t.Helper()
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{Clock: clock, Timing: tm})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	var ids []string
	for i := range n {
		svc := []string{"ecr.dkr", "ecr.api", "logs", "sts", "ec2"}[i%5]
		out, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws." + sb.Region() + "." + svc),
			VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{ws.SubnetID}, PrivateDnsEnabled: aws.Bool(false),
		})
		must(t, "CreateVpcEndpoint", err)
		ids = append(ids, aws.ToString(out.VpcEndpoint.VpcEndpointId))
	}
	clock.Advance(tm.ReadLag) // until reads know them all
	_, err := c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids})
	must(t, "DeleteVpcEndpoints", err)
	var out []lifeCycle
	sb.read(func(w *world) {
		for _, id := range ids {
			e := w.endpoint(id, clock.Now())
			out = append(out, lifeCycle{
				pending: e.AvailableAt.Sub(e.CreatedAt), dnsSwitch: e.DNSSwitchAt.Sub(e.AvailableAt),
				deleting: e.DeletedAt.Sub(e.DeleteRequested), linger: e.GoneAt.Sub(e.DeletedAt),
			})
		}
	})
	return out
}

// TestTimingAWS: under --timing aws every endpoint draws its own durations
// from AWS's ranges, the draws are spread, and a seed replays them.
func TestTimingAWS(t *testing.T) {
	tm, err := TimingByName("aws")
	must(t, "TimingByName(aws)", err)
	if !tm.Drawn() || Realistic.Drawn() || Instant.Drawn() {
		t.Errorf("Drawn: aws %v realistic %v instant %v", tm.Drawn(), Realistic.Drawn(), Instant.Drawn())
	}
	long := tm.Longest()
	if long.EndpointAvailable != 3*time.Minute || long.EndpointDelete != time.Minute || long.ENIRelease != 5*time.Minute || long.DNSSwitch != time.Minute {
		t.Errorf("Longest = %+v", long)
	}
	tm.Seed = 42
	const n = 10
	got := endpointLifeCycles(t, tm, n)
	in := func(what string, d, lo, hi time.Duration) {
		if d < lo || d > hi || d%time.Second != 0 {
			t.Errorf("%s %s: want whole seconds in [%s, %s]", what, d, lo, hi)
		}
	}
	distinct := map[time.Duration]bool{}
	for _, lc := range got {
		in("pending", lc.pending, time.Minute, 3*time.Minute)
		in("DNS switch-over", lc.dnsSwitch, 0, time.Minute)
		in("deleting", lc.deleting, 20*time.Second, time.Minute)
		in("interfaces lingering", lc.linger, time.Minute, 5*time.Minute)
		distinct[lc.pending] = true
	}
	if len(distinct) < n/2 {
		t.Errorf("%d endpoints drew only %d distinct pending times: %+v", n, len(distinct), got)
	}
	again := endpointLifeCycles(t, tm, n)
	for i := range got {
		if got[i] != again[i] {
			t.Fatalf("seed 42 replayed endpoint %d as %+v, first %+v", i, again[i], got[i])
		}
	}
	tm.Seed = 43
	other := endpointLifeCycles(t, tm, n)
	same := 0
	for i := range got {
		if got[i] == other[i] {
			same++
		}
	}
	if same == n {
		t.Error("seed 43 drew the same durations as seed 42")
	}

	// Fixed timings stay fixed.
	for _, lc := range endpointLifeCycles(t, Realistic, 3) {
		if lc != (lifeCycle{20 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second}) {
			t.Errorf("realistic drew %+v", lc)
		}
	}
	if _, err := Start(context.Background(), Options{Timing: Timing{DNSSwitchMax: -time.Second}}); err == nil {
		t.Error("a negative maximum was accepted")
	}
}

// TestGatewayDeletesAtOnce: a gateway endpoint (a route-table entry) is
// deleted at once, as on AWS; only interface endpoints take their time.
func TestGatewayDeletesAtOnce(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{Clock: clock, Timing: AWS})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	out, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws." + sb.Region() + ".s3"),
		RouteTableIds: []string{ws.RouteTableID}})
	must(t, "CreateVpcEndpoint", err)
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	if !strings.EqualFold(string(out.VpcEndpoint.State), "available") {
		t.Errorf("a new gateway endpoint is %s", out.VpcEndpoint.State)
	}
	clock.Advance(AWS.ReadLag) // until reads know it
	_, err = c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	must(t, "DeleteVpcEndpoints", err)
	clock.Advance(AWS.ReadLag) // until reads know it is deleted
	eps, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	must(t, "DescribeVpcEndpoints", err)
	if len(eps.VpcEndpoints) != 1 || !strings.EqualFold(string(eps.VpcEndpoints[0].State), "deleted") {
		t.Errorf("a deleted gateway endpoint: %+v", eps.VpcEndpoints)
	}
}
