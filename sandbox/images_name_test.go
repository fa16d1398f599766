package sandbox

import "testing"

// TestRepositoryNamesAsECR follows ECR's RepositoryName pattern: "__" and
// runs of "-" join words; leading, trailing or doubled separators do not.
func TestRepositoryNamesAsECR(t *testing.T) {
	for _, ok := range []string{"team-a/alpine", "a__b", "a--b", "a.b/c_d", "ab", "x/y/z"} {
		if !ValidRepositoryName(ok) {
			t.Errorf("%q refused; ECR accepts it", ok)
		}
	}
	for _, bad := range []string{"a", "A/b", "a//b", "-a", "a-", "a___b", "a..b", "/ab", "ab/", "a*"} {
		if ValidRepositoryName(bad) {
			t.Errorf("%q accepted; ECR refuses it", bad)
		}
	}
}
