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
	t.Parallel()
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	t.Run("arm64-index", func(t *testing.T) {
		t.Parallel()
		l := newIsolatedLab(t)
		w := append(fast, "--fault-arm64-index")
		if code, out, errs := l.lab(append([]string{"up", "--yes"}, w...)...); code != 0 {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		code, out, errs := l.lab(append([]string{"test"}, w...)...)
		if code != 0 {
			t.Fatalf("test: exit %d\n%s%s", code, out, errs)
		}
		wantAll(t, "test", out, "push team-a/alpine:v2: denied, as the policy predicts", "pull team-a/alpine:v1: allowed")
	})
	t.Run("s3-gateway-policy", func(t *testing.T) {
		t.Parallel()
		l := newIsolatedLab(t)
		w := append(fast, "--fault-s3-gateway-policy")
		code, out, errs := l.lab(append([]string{"up", "--yes"}, w...)...)
		if code != 0 {
			t.Fatalf("up: exit %d\n%s%s", code, out, errs)
		}
		wantAll(t, "up", out, "an existing S3 gateway endpoint on rtb-")
		code, out, errs = l.lab(append([]string{"test", "--only", "pull"}, w...)...)
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

// TestSandboxCommandPlaysAPartition: `ecr-vpce-lab sandbox --world aws-cn`
// serves China's region without --region (the world's own), exports it,
// and the lab commands that find it run the whole lab there.
func TestSandboxCommandPlaysAPartition(t *testing.T) {
	t.Parallel()
	h := newProcHome(t)
	sp := h.startSandbox("--world", "aws-cn")
	if r := sp.env["AWS_REGION"]; r != "cn-north-1" {
		t.Fatalf("the sandbox exports AWS_REGION=%s, want cn-north-1", r)
	}
	if code, out := h.runJoined("up", "--sandbox", "--yes"); code != 0 || !strings.Contains(out, "(world aws-cn)") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	code, out := h.runJoined("test", "--sandbox")
	if code != 0 {
		t.Fatalf("test: exit %d\n%s", code, out)
	}
	wantAll(t, "test", out, "push team-a/alpine:v2: denied, as the policy predicts", "[123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team-a/alpine]")
	if code, out := h.runJoined("down", "--sandbox", "--yes"); code != 0 || !strings.Contains(out, "Nothing is left.") {
		t.Fatalf("down: exit %d\n%s", code, out)
	}
}
