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

// NoPrice says that the lab has no price for the region, "" when it has.
func (c Cost) NoPrice() string {
	if !c.Unpriced {
		return ""
	}
	return "the lab has no price for " + c.Region + ": see " + PricingPage
}

// Bill is what one interface endpoint costs: per hour from now on, and so
// far.
type Bill struct {
	PerHour, SoFar float64
	// NextHour is when its next hour starts, and SoFar grows.
	NextHour time.Time
}

// BillOf is the one rule every figure of the lab (status, the wizard,
// fleet) prices an interface endpoint by: at rate per AZ-hour in azs zones
// (one at least), created at created, in state at now. AWS bills every
// hour an endpoint has started, in full ("Each partial VPC endpoint-hour
// consumed is billed as a full hour", PricingPage), so one torn down after
// ten minutes has cost an hour. One AWS is deleting costs nothing per hour
// from now on: "Hourly billing for a VPC endpoint stops when you delete
// it"; the hour begun is in SoFar.
func BillOf(rate float64, azs int, created time.Time, state ResourceState, now time.Time) Bill {
	azs = max(azs, 1)
	var b Bill
	if state != ResDeleting {
		b.PerHour = rate * float64(azs)
	}
	if !created.IsZero() && !now.Before(created) {
		started := math.Floor(now.Sub(created).Hours()) + 1
		b.SoFar = rate * float64(azs) * started
		b.NextHour = created.Add(time.Duration(started) * time.Hour)
	}
	return b
}

// CostOf computes the cost of the state's interface endpoints at now, as
// AWS bills it (BillOf); an endpoint whose record says AWS is deleting it
// is counted in Deleting.
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
		if r.State == ResDeleting {
			c.Deleting++
		}
		b := BillOf(c.Rate, azs, r.CreatedAt, r.State, now)
		c.PerHour += b.PerHour
		c.SoFar += b.SoFar
		if b.NextHour.IsZero() {
			continue
		}
		if c.Since.IsZero() || r.CreatedAt.Before(c.Since) {
			c.Since = r.CreatedAt
		}
		if c.NextHour.IsZero() || b.NextHour.Before(c.NextHour) {
			c.NextHour = b.NextHour
		}
	}
	return c
}
