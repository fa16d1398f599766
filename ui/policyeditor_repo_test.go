package ui

import "testing"

// TestFormRepositoryAsECR: the form refuses what ECR refuses, with the same
// rule the commands use (it once accepted "a//b" and "-a").
func TestFormRepositoryAsECR(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "a//b", "-a", "Team-A/alpine", "team-a/*"} {
		if validateRepo(bad) == nil {
			t.Errorf("the form accepts %q; ECR refuses it", bad)
		}
	}
	for _, ok := range []string{"team-a/alpine", " team-b/app ", "a__b"} {
		if err := validateRepo(ok); err != nil {
			t.Errorf("the form refuses %q: %v", ok, err)
		}
	}
}
