package steps

import (
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
)

// TestLeftoverOf: the one sentence for what a run leaves says what is
// there, what it bills (on the sandbox: what AWS would, and that the
// sandbox bills nothing), what removes it and when, and the command.
func TestLeftoverOf(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local)
	made := now.Add(-90 * time.Minute) // two endpoint-hours begun
	ep := func(typ string, state ResourceState) *Record {
		return &Record{ID: "vpce-" + typ, Type: typ, Created: true, CreatedAt: made, AZs: 1, State: state}
	}
	full := func() State {
		return State{Region: "us-east-1", ExpiresAt: now.Add(2 * time.Hour),
			AutoTeardown:  &AutoTeardown{Schedules: map[string]*ScheduleRecord{ScheduleEndpoints: {Name: "e"}}},
			SecurityGroup: &Record{ID: "sg-1", Name: "ECR_VPCE_SG", Created: true}, Rule: &Record{ID: "sgr-1", Created: true},
			Endpoints: map[string]*Record{EndpointDKR: ep(awsops.Interface, ResAvailable), EndpointAPI: ep(awsops.Interface, ResAvailable), EndpointS3: ep(awsops.Gateway, ResAvailable)}}
	}
	const down = "ecr-vpce-lab down --yes"
	for _, tc := range []struct {
		name    string
		st      func() State
		sandbox bool
		want    string // the whole sentence; "" for none
	}{
		{"nothing", func() State { return State{Region: "us-east-1"} }, false, ""},
		{"running, on AWS", full, false, "Still there: the ecr.dkr and ecr.api interface endpoints (about $0.02 per hour, $0.04 so far), the s3 gateway endpoint and the security group ECR_VPCE_SG with its rule. " +
			"The auto-teardown removes the endpoints at " + now.Add(2*time.Hour).Format("15:04") + " (in 2h00m), and the security group a little later. 'ecr-vpce-lab down --yes' removes it all now."},
		{"running, on the sandbox", full, true, "Still there: the ecr.dkr and ecr.api interface endpoints (on AWS: about $0.02 per hour, $0.04 so far; the sandbox bills nothing), the s3 gateway endpoint"},
		{"no expiry, on AWS", func() State { s := full(); s.NeverExpires = true; return s }, false,
			"No expiry: nothing removes the endpoints and the security group for you; the endpoints bill until you do."},
		{"auto-teardown off", func() State {
			s := full()
			s.AutoTeardown = &AutoTeardown{Off: "no scheduler:CreateSchedule"}
			return s
		}, false,
			"but nothing is scheduled to remove the endpoints and the security group (no scheduler:CreateSchedule): the endpoints bill until you remove them."},
		{"a stopped teardown", func() State {
			s := full()
			s.TeardownStarted, s.AutoTeardown = now, nil
			s.Endpoints[EndpointDKR].State, s.Endpoints[EndpointAPI].State = ResDeleting, ResDeleting
			return s
		}, false, "Still there: the ecr.dkr and ecr.api interface endpoints, being deleted (no longer billed by the hour, $0.04 so far), the s3 gateway endpoint and the security group ECR_VPCE_SG with its rule. " +
			"The teardown removed the auto-teardown's schedules first: nothing removes the endpoints and the security group at the expiry."},
		{"the group only", func() State {
			s := full()
			s.Endpoints, s.Rule, s.AutoTeardown = nil, nil, nil
			return s
		}, false, "Still there (none of it bills): the security group ECR_VPCE_SG. Nothing is scheduled yet to remove the security group: the auto-teardown is set once the endpoints exist."},
		{"no price", func() State { s := full(); s.Region = "eu-south-2"; return s }, true,
			"(on AWS: billed by the hour; the lab has no price for eu-south-2: see " + PricingPage + "; the sandbox bills nothing)"},
	} {
		l := LeftoverOf(tc.st(), now, tc.sandbox, down)
		got := l.Sentence()
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: %q, want nothing", tc.name, got)
		case !strings.Contains(got, tc.want):
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		case tc.want != "" && (!strings.HasSuffix(got, "'"+down+"' removes it all now.") || l.Head()+" '"+down+"' removes it all now." != got):
			t.Errorf("%s: the command is not last, or Head is not the rest: %q", tc.name, got)
		}
	}
}
