package partition

import "testing"

// TestOfAndNamed: a region's partition and its names, and the same
// partition found again by the ID its ARNs carry.
func TestOfAndNamed(t *testing.T) {
	for _, tc := range []struct{ region, id, suffix, dual string }{
		{"us-west-2", "aws", "amazonaws.com", "api.aws"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com", "api.aws"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"},
		{"us-iso-east-1", "aws-iso", "c2s.ic.gov", "api.aws.ic.gov"},
		{"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"},
		{"eusc-de-east-1", "aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"},
		{"", "aws", "amazonaws.com", "api.aws"},
	} {
		p := Of(tc.region)
		if p.ID != tc.id || p.DNSSuffix != tc.suffix || p.DualStackSuffix != tc.dual {
			t.Errorf("Of(%q) = %+v, want %s %s %s", tc.region, p, tc.id, tc.suffix, tc.dual)
		}
		if n := Named(tc.id); n != p {
			t.Errorf("Named(%q) = %+v, want %+v", tc.id, n, p)
		}
	}
	if n := Named("not-a-partition"); n.ID != "aws" {
		t.Errorf("an unknown partition's names: %+v, want aws's", n)
	}
}
