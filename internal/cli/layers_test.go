package cli

import (
	"strings"
	"testing"
)

// TestLayerFaultsHeadless: the image faults of issue 15 on --sandbox
// commands. --fault-arm64-index: v1 is an arm64-only image index; up
// copies it as it is and test passes with the push refused.
// --fault-s3-gateway-policy: another team's S3 gateway refuses ECR's layer
// bucket; the pull test fails, saying S3 refused the layer download through
// that gateway and which statement to add, not "check DNS".
func TestLayerFaultsHeadless(t *testing.T) {
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	t.Run("arm64-index", func(t *testing.T) {
		labHome(t)
		w := append(fast, "--fault-arm64-index")
		if code, out, errs := lab(t, append([]string{"up", "--yes"}, w...)...); code != 0 {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		code, out, errs := lab(t, append([]string{"test"}, w...)...)
		if code != 0 {
			t.Fatalf("test: exit %d\n%s%s", code, out, errs)
		}
		wantAll(t, "test", out, "push team-a/alpine:v2: denied, as the policy predicts", "pull team-a/alpine:v1: allowed")
	})
	t.Run("s3-gateway-policy", func(t *testing.T) {
		labHome(t)
		w := append(fast, "--fault-s3-gateway-policy")
		code, out, errs := lab(t, append([]string{"up", "--yes"}, w...)...)
		if code != 0 {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		wantAll(t, "up", out, "an existing S3 gateway endpoint on rtb-")
		code, out, errs = lab(t, append([]string{"test", "--only", "pull"}, w...)...)
		if code == 0 {
			t.Fatalf("test with S3 refusing the layers: exit 0\n%s%s", out, errs)
		}
		all := out + errs
		wantAll(t, "test", all, "pull was refused by S3, on the layer download", "s3:GetObject on arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*")
		if strings.Contains(all, "check with 'status' that the endpoints are available") {
			t.Fatalf("the S3 refusal is blamed on DNS:\n%s", all)
		}
	})
}
