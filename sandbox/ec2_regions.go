package sandbox

import "slices"

// DescribeRegions: without AllRegions, "the Regions that are enabled for
// your account" (research F.4), the regions this sandbox serves; with it,
// also a few opt-in regions the account has not opted in to.

// notOptedIn are opt-in regions the sandbox's accounts never enabled.
var notOptedIn = []string{"af-south-1", "ap-east-1", "me-south-1"}

type xRegion struct {
	RegionEndpoint string `xml:"regionEndpoint"`
	RegionName     string `xml:"regionName"`
	OptInStatus    string `xml:"optInStatus"`
}

func ec2DescribeRegions(x *ec2Ctx) (any, *APIError) {
	if e := x.p.allow("RegionName", "AllRegions", "Filter", "DryRun"); e != nil {
		return nil, e
	}
	all, e := x.p.boolean("AllRegions")
	if e != nil {
		return nil, e
	}
	names := []string{"endpoint", "opt-in-status", "region-name"}
	fs, e := x.p.knownFilters(names, false)
	if e != nil {
		return nil, e
	}
	var regions []xRegion
	for _, r := range regionNames(x.s.hub.regions) {
		regions = append(regions, xRegion{RegionEndpoint: "ec2." + r + ".amazonaws.com", RegionName: r, OptInStatus: "opt-in-not-required"})
	}
	if all {
		for _, r := range notOptedIn {
			if !slices.Contains(x.s.hub.regions, r) {
				regions = append(regions, xRegion{RegionEndpoint: "ec2." + r + ".amazonaws.com", RegionName: r, OptInStatus: "not-opted-in"})
			}
		}
	}
	asked := x.p.list("RegionName")
	for _, r := range asked {
		if !slices.ContainsFunc(regions, func(v xRegion) bool { return v.RegionName == r }) {
			return nil, badRequest("InvalidParameterValue", "Invalid region: %s", r)
		}
	}
	if e := x.checkDryRun(); e != nil {
		return nil, e
	}
	found := set[xRegion]{}
	for _, v := range regions {
		if len(asked) > 0 && !slices.Contains(asked, v.RegionName) {
			continue
		}
		f := filterable{names: names, values: func(n string) []string {
			switch n {
			case "endpoint":
				return []string{v.RegionEndpoint}
			case "opt-in-status":
				return []string{v.OptInStatus}
			}
			return []string{v.RegionName}
		}}
		if f.match(fs) {
			found = append(found, v)
		}
	}
	return &struct {
		out
		Regions set[xRegion] `xml:"regionInfo"`
	}{Regions: found}, nil
}
