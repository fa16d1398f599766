package steps

import (
	"math"
	"time"

	"ecr-vpce-lab/awsops"
)

// Interface endpoints are billed per endpoint, per Availability Zone, per
// hour (plus per GB processed, which the lab's few requests make
// negligible); gateway endpoints are free. The table holds the US regions
// the workshop runs in, at the AWS PrivateLink pricing page's rate
// (https://aws.amazon.com/privatelink/pricing/). Other regions charge
// other rates, GovCloud and China in their own price lists (China in
// yuan): for them the lab says it has no price rather than guess one.
// [research M]
var hourlyRates = map[string]float64{
	"us-east-1": 0.01,
	"us-east-2": 0.01,
	"us-west-2": 0.01,
}

// PricingPage is where AWS lists every region's price.
const PricingPage = "https://aws.amazon.com/privatelink/pricing/"

// HourlyRate returns the interface endpoint price (USD) per AZ-hour in
// region, and whether the lab's table has one.
func HourlyRate(region string) (float64, bool) {
	r, ok := hourlyRates[region]
	return r, ok
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
	// Unpriced: the table has no price for Region, and the money figures
	// are zero; NoPrice says so.
	Region   string `json:"region,omitempty"`
	Unpriced bool   `json:"unpriced,omitempty"`
	// NextHour is when the next endpoint-hour starts, and SoFar grows.
	NextHour time.Time `json:"nextHour,omitzero"`
	// Deleting counts the interface endpoints (of InterfaceEndpoints) AWS
	// is deleting. "Hourly billing for a VPC endpoint stops when you
	// delete it" (the PrivateLink pricing page); the hour begun is billed
	// in full and is in SoFar. They are billed until they are deleted, not
	// by the hour from now on: PerHour leaves them out.
	Deleting int `json:"deleting,omitempty"`
}

// stopping counts rs, endpoints CostOf counted, as being deleted.
func (c *Cost) stopping(rs ...*Record) {
	for _, r := range rs {
		if r == nil || r.Type != awsops.Interface || !r.Created {
			continue
		}
		c.Deleting++
		c.PerHour = max(c.PerHour-c.Rate*float64(max(r.AZs, 1)), 0)
	}
}

// NoPrice says that the lab has no price for the region, "" when it has.
func (c Cost) NoPrice() string {
	if !c.Unpriced {
		return ""
	}
	return "the lab has no price for " + c.Region + ": see " + PricingPage
}

// CostOf computes the cost of the state's interface endpoints at now, as
// AWS bills it: every hour an endpoint has started, in each of its zones,
// in full ("Each partial VPC endpoint-hour consumed is billed as a full
// hour", https://aws.amazon.com/privatelink/pricing/), so a lab torn down
// after ten minutes has cost an hour.
func CostOf(st State, now time.Time) Cost {
	rate, ok := HourlyRate(st.Region)
	c := Cost{Rate: rate, Region: st.Region, Unpriced: !ok}
	for _, r := range st.Endpoints {
		if r == nil || r.Type != awsops.Interface || !r.Created {
			continue
		}
		azs := max(r.AZs, 1)
		c.InterfaceEndpoints++
		c.AZs += azs
		c.PerHour += c.Rate * float64(azs)
		if !r.CreatedAt.IsZero() && !now.Before(r.CreatedAt) {
			started := math.Floor(now.Sub(r.CreatedAt).Hours()) + 1
			c.SoFar += c.Rate * float64(azs) * started
			if c.Since.IsZero() || r.CreatedAt.Before(c.Since) {
				c.Since = r.CreatedAt
			}
			if next := r.CreatedAt.Add(time.Duration(started) * time.Hour); c.NextHour.IsZero() || next.Before(c.NextHour) {
				c.NextHour = next
			}
		}
	}
	return c
}
