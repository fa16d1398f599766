package steps

import (
	"time"

	"ecr-vpce-lab/awsops"
)

// Interface endpoints are billed per endpoint, per Availability Zone, per
// hour (plus per GB processed, which the lab's few requests make
// negligible); gateway endpoints are free. The table holds the US regions
// the workshop runs in, at the AWS PrivateLink pricing page's rate
// (https://aws.amazon.com/privatelink/pricing/); other regions use
// DefaultHourlyRate, which is the same base rate: some regions charge up
// to a few tenths of a cent more, so treat the figure as an estimate.
var hourlyRates = map[string]float64{
	"us-east-1": 0.01,
	"us-east-2": 0.01,
	"us-west-2": 0.01,
}

// DefaultHourlyRate is the per-endpoint-per-AZ hourly price (USD) assumed
// for regions missing from the table.
const DefaultHourlyRate = 0.01

// HourlyRate returns the interface endpoint price per AZ-hour in region.
func HourlyRate(region string) float64 {
	if r, ok := hourlyRates[region]; ok {
		return r
	}
	return DefaultHourlyRate
}

// Cost is what the lab's endpoints cost.
type Cost struct {
	// InterfaceEndpoints and AZHours describe what is billed.
	InterfaceEndpoints int       `json:"interfaceEndpoints"`
	AZs                int       `json:"azs"`
	Rate               float64   `json:"ratePerAzHour"`
	PerHour            float64   `json:"perHourUsd"`
	SoFar              float64   `json:"soFarUsd"`
	Since              time.Time `json:"since,omitzero"`
}

// CostOf computes the cost of the state's interface endpoints at now. AWS
// bills each started hour; SoFar counts exact time, for a calm estimate.
func CostOf(st State, now time.Time) Cost {
	c := Cost{Rate: HourlyRate(st.Region)}
	for _, r := range st.Endpoints {
		if r == nil || r.Type != awsops.Interface || !r.Created {
			continue
		}
		azs := max(r.AZs, 1)
		c.InterfaceEndpoints++
		c.AZs += azs
		c.PerHour += c.Rate * float64(azs)
		if !r.CreatedAt.IsZero() && now.After(r.CreatedAt) {
			c.SoFar += c.Rate * float64(azs) * now.Sub(r.CreatedAt).Hours()
			if c.Since.IsZero() || r.CreatedAt.Before(c.Since) {
				c.Since = r.CreatedAt
			}
		}
	}
	return c
}
