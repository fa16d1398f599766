package fleet_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/fleet"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// orgFleet serves an organization of n accounts in two regions (the
// second one of regions, when given) with the fleet demo, and returns the
// fleet of its accounts (found with --org).
func orgFleet(t testing.TB, n int, regions ...string) (*sandbox.Sandbox, *fleet.Fleet) {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Accounts: n, FleetDemo: true, Regions: regions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	o := sandboxlab.Options(sb)
	o.IMDSDisabled = true
	base, err := awsops.New(o)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := fleet.Accounts(context.Background(), base, fleet.Source{Org: true})
	if err != nil {
		t.Fatal(err)
	}
	return sb, fleet.New(accts, fleet.Options{Regions: []string{"all"}})
}

// TestSurvey: every account and region is a row, empty ones too; each
// demo stage is there, stuck and failed runs flagged; a second survey
// reuses the assumed roles (no second AssumeRole).
func TestSurvey(t *testing.T) {
	sb, fl := orgFleet(t, 5)
	sv, err := fl.Survey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sv.Rows) != 10 {
		t.Fatalf("%d rows, want 5 accounts × 2 regions", len(sv.Rows))
	}
	stages := map[string]fleet.Row{}
	for _, r := range sv.Rows {
		if r.Error != nil {
			t.Errorf("row %s %s: %s", r.Account, r.Region, *r.Error)
		}
		if r.Stage != nil {
			stages[*r.Stage] = r
		}
	}
	for _, st := range sandbox.DemoStages {
		if _, ok := stages[st]; !ok {
			t.Errorf("no row at stage %s: %v", st, stages)
		}
	}
	if r := stages["endpoints-failed"]; !r.Failed || !r.Stuck {
		t.Errorf("the failed run is not flagged: %+v", r)
	}
	if r := stages["security-group"]; !r.Stuck {
		t.Errorf("the run at its security group for 95 minutes is not stuck: %+v", r)
	}
	if r := stages["private-dns"]; r.Stuck || r.Expired || r.Schedule == nil || *r.Schedule == "none" {
		t.Errorf("a fresh run with its schedule: %+v", r)
	}
	if r := stages["push-refused"]; !r.Expired || !r.Sweepable() {
		t.Errorf("an expired run: %+v", r)
	}
	if r := stages["finished"]; !r.Finished || r.Endpoints != 3 || r.CostSoFar <= 0 {
		t.Errorf("the finished run: %+v", r)
	}
	calls := sv.Calls
	again, err := fl.Survey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Calls >= calls {
		t.Errorf("a second survey made %d calls, the first %d: the roles were assumed again", again.Calls, calls)
	}
	_ = sb
}

// TestSweep: tearing down every run of the fleet leaves nothing in any
// account or region, the auto-teardown's schedules and roles included.
func TestSweep(t *testing.T) {
	_, fl := orgFleet(t, 3)
	ctx := context.Background()
	sv, err := fl.Survey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := fl.Sweep(ctx, sv.Rows, nil)
	for _, r := range res {
		if r.Error != "" {
			t.Errorf("%s %s: %s", r.Account, r.Region, r.Error)
		}
	}
	after, err := fl.Survey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range after.Rows {
		if r.Run != nil {
			t.Errorf("left in %s %s: run %s at %s", r.Account, r.Region, *r.Run, *r.Stage)
		}
	}
}

// TestFleetPerformance: 50 accounts in 2 regions, surveyed in under 5 s
// and swept in under 10 s on the sandbox (instant timing), as the issue
// asks; it logs the figures and the calls per account.
func TestFleetPerformance(t *testing.T) {
	if testing.Short() {
		t.Skip("50 accounts; skipped with -short")
	}
	_, fl := orgFleet(t, 50)
	ctx := context.Background()
	var surveys []time.Duration
	var sv, first fleet.Survey
	// Three surveys for the median the 5 s is checked against.
	// Under the race detector no time is checked, and a second survey
	// reusing the roles is TestSurvey's: one survey proves all there is.
	n := 3
	if raceEnabled {
		n = 1
	}
	for i := range n {
		var err error
		sv, err = fl.Survey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = sv
		}
		surveys = append(surveys, sv.Took)
	}
	start := time.Now()
	before := fl.Calls()
	res := fl.Sweep(ctx, first.Rows, nil)
	swept, sweepCalls := time.Since(start), fl.Calls()-before
	for _, r := range res {
		if r.Error != "" {
			t.Errorf("%s %s: %s", r.Account, r.Region, r.Error)
		}
	}
	med := median(surveys)
	t.Logf("50 accounts × 2 regions: survey median %s (of %v); %d calls the first time (%.1f per account, roles assumed), %d after (%.1f per account); sweep of %d account-regions %s, %d calls (%.1f per account)",
		med.Round(time.Millisecond), surveys, first.Calls, float64(first.Calls)/50, sv.Calls, float64(sv.Calls)/50, len(res), swept.Round(time.Millisecond), sweepCalls, float64(sweepCalls)/50)
	if raceEnabled {
		return
	}
	if med > 5*time.Second {
		t.Errorf("the survey took %s, over the 5 s the issue allows", med)
	}
	if swept > 10*time.Second {
		t.Errorf("the sweep took %s, over the 10 s the issue allows", swept)
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkSurvey is one survey of 50 accounts in 2 regions.
func BenchmarkSurvey(b *testing.B) {
	_, fl := orgFleet(b, 50)
	ctx := context.Background()
	if _, err := fl.Survey(ctx); err != nil { // the roles assumed once
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := fl.Survey(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweep is one sweep of 50 accounts in 2 regions (a fresh demo
// each time, not timed).
func BenchmarkSweep(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sb, fl := orgFleet(b, 50)
		sv, err := fl.Survey(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, r := range fl.Sweep(ctx, sv.Rows, nil) {
			if r.Error != "" {
				b.Fatal(r.Error)
			}
		}
		b.StopTimer()
		_ = sb.Close()
	}
}

// TestUnpricedRegion: a run's endpoints in a region the lab has no price
// for are marked unpriced (shown as "no price"), not counted as $0 billed.
func TestUnpricedRegion(t *testing.T) {
	_, fl := orgFleet(t, 5, "eu-central-1")
	sv, err := fl.Survey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range sv.Rows {
		if r.Endpoints == 0 || r.PerHour == 0 && !r.Unpriced {
			continue
		}
		_, priced := steps.HourlyRate(r.Region)
		if r.Unpriced == priced {
			t.Errorf("%s %s: unpriced %v, but the lab has a price there: %v", r.Account, r.Region, r.Unpriced, priced)
		}
		if r.Unpriced && r.CostSoFar != 0 {
			t.Errorf("%s %s: unpriced with a cost of %v", r.Account, r.Region, r.CostSoFar)
		}
		seen[r.Region]++
	}
	if seen["eu-central-1"] == 0 || seen["us-west-2"] == 0 {
		t.Fatalf("rows with interface endpoints by region: %v, want both regions", seen)
	}
}
