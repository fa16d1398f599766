package steps_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/labfixture"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// BenchmarkNoticeRealistic runs the lab (up, then teardown) against the
// sandbox with its realistic timings and the default poll cadence, and
// reports, as medians over the runs, how long after AWS's change the lab
// saw it: an interface endpoint becoming available, both host names
// answering privately, and the end of teardown past AWS's own time (the
// endpoints deleted and their network interfaces released). About 50 s a
// run:
//
//	go test ./steps -run '^$' -bench Notice -benchtime 5x -timeout 60m
//
// The sandbox's changes come whole seconds after the call that started
// them, in step with a one-second cadence that starts with that call, so
// the lab sees them a call's time later; BenchmarkNoticeOffset moves every
// change half a second off that beat, as AWS's own times are, for the
// figure a learner should expect.
func BenchmarkNoticeRealistic(b *testing.B) { benchNotice(b, sandbox.Realistic) }

// BenchmarkNoticeOffset is BenchmarkNoticeRealistic with every duration
// half a second longer.
func BenchmarkNoticeOffset(b *testing.B) {
	t := sandbox.Realistic
	t.EndpointAvailable += 500 * time.Millisecond
	t.EndpointDelete += 500 * time.Millisecond
	t.DNSSwitch += 500 * time.Millisecond
	benchNotice(b, t)
}

func benchNotice(b *testing.B, timing sandbox.Timing) {
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var available, dns, teardown []time.Duration
	var describes, waited float64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		sb, err := sandbox.Start(context.Background(), sandbox.Options{Timing: timing})
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		var events []steps.Event
		em := steps.NewEmitter(func(e steps.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
		lab, err := labfixture.Lab(sb, steps.Config{Mode: "sandbox", EnvFile: filepath.Join(dir, ".ecr_security")},
			steps.NewStore(filepath.Join(dir, "state"), "sandbox"), em, func(o *awsops.Options) { o.Poll = 0 })
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := lab.Up(ctx); err != nil {
			b.Fatal(err)
		}
		st := lab.State()
		var lastAvailable, firstCreate, privateAt time.Time
		for _, e := range events {
			switch {
			case e.Kind == steps.EventResource && e.Resource.Kind == steps.KindEndpoint && e.Resource.State == steps.ResAvailable &&
				e.Resource.Name != steps.EndpointS3 && len(e.Resource.Addresses) == 0:
				at := st.Endpoints[e.Resource.Name].CreatedAt.Add(timing.EndpointAvailable)
				available = append(available, e.Time.Sub(at))
				lastAvailable = later(lastAvailable, at)
			case e.Kind == steps.EventDNS && privateAt.IsZero() && e.Lookups[0].Private() && e.Lookups[1].Private():
				privateAt = e.Time
			case e.Kind == steps.EventCall && e.Call.Operation == "CreateVpcEndpoint" && firstCreate.IsZero():
				firstCreate = e.Call.Start
			case e.Kind == steps.EventCall && e.Call.Operation == "DescribeVpcEndpoints" && !firstCreate.IsZero() && lastAvailable.IsZero():
				describes++
			}
		}
		// The sandbox switches DNS DNSSwitch after the endpoint is available.
		dns = append(dns, privateAt.Sub(lastAvailable.Add(timing.DNSSwitch)))
		waited += lastAvailable.Sub(firstCreate).Seconds()

		mu.Lock()
		events = nil
		mu.Unlock()
		if _, err := lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
			b.Fatal(err)
		}
		done := time.Now()
		for _, e := range events {
			if e.Kind == steps.EventCall && e.Call.Operation == "DeleteVpcEndpoints" {
				teardown = append(teardown, done.Sub(e.Call.Start.Add(timing.EndpointDelete+timing.ENIRelease)))
			}
		}
		_ = sb.Close()
	}
	b.ReportMetric(median(available).Seconds(), "s-available-noticed")
	b.ReportMetric(median(dns).Seconds(), "s-dns-noticed")
	b.ReportMetric(median(teardown).Seconds(), "s-teardown-past-aws")
	b.ReportMetric(describes/waited, "describes/s")
	b.Logf("available noticed after %v; DNS %v; teardown past AWS %v", round(available), round(dns), round(teardown))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Millisecond)
	}
	return out
}
