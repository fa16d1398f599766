package fleet

import (
	"math"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/steps"
)

// TestRowCost: a row prices its runs' endpoints by the lab's own rule
// (steps.BillOf): every hour begun in full, per zone, and nothing more by
// the hour for an endpoint AWS is deleting, as status and the wizard do.
func TestRowCost(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ep := func(id, state string, zones int) awsops.Endpoint {
		return awsops.Endpoint{ID: id, Type: awsops.Interface, State: state, SubnetIDs: make([]string, zones), Created: now.Add(-90 * time.Minute)}
	}
	row := Row{Region: "us-east-1", Runs: []steps.Run{{ID: "r1", Endpoints: []awsops.Endpoint{
		ep("vpce-dkr", "available", 2), ep("vpce-api", "deleting", 1),
		{ID: "vpce-s3", Type: awsops.Gateway, State: "available", Created: now.Add(-90 * time.Minute)},
	}}}}
	(&Fleet{}).describe(&row, now)
	rate, _ := steps.HourlyRate("us-east-1")
	// Two hours begun in three zones; only the available one's two zones
	// go on by the hour.
	if math.Abs(row.PerHour-2*rate) > 1e-9 || math.Abs(row.CostSoFar-2*3*rate) > 1e-9 || row.Endpoints != 3 {
		t.Errorf("per hour %v (want %v), so far %v (want %v), %d endpoints", row.PerHour, 2*rate, row.CostSoFar, 6*rate, row.Endpoints)
	}
}
