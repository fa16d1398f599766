package steps_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestARM64IndexIsCopiedAsItIs: v1 is an image index holding only a
// linux/arm64 image (--fault-arm64-index: what buildx or containerd push
// from an ARM machine). The lab keeps the index as it is (resolving it to
// linux/amd64 found nothing) and pushes it as v2 the way a retag push
// does: the push is refused at PutImage as the policy predicts, and with a
// policy that lets it through, v2 is v1, the same index.
func TestARM64IndexIsCopiedAsItIs(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{ARM64Index: true}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	li := f.lab.State().LocalImage
	if li == nil || !strings.Contains(li.MediaType, "image.index") || !slices.Equal(li.Platforms, []string{"linux/arm64/v8"}) {
		t.Fatalf("local copy %+v: want the index, with its arm64 image", li)
	}
	res, err := f.lab.Tests(ctx)
	if err != nil || len(res) != 3 {
		t.Fatalf("tests: %+v %v", res, err)
	}
	if r := res[0]; r.Outcome.Allowed || !r.Match || r.Outcome.Action != "ecr:PutImage" {
		t.Fatalf("push: %+v", r.Outcome)
	}
	if r := res[2]; !r.Outcome.Allowed || r.Pull == nil || r.Pull.Platform != "linux/arm64/v8" || r.Pull.Layers != 1 {
		t.Fatalf("pull: %+v %+v", r.Outcome, r.Pull)
	}

	// A policy that denies something else lets the push through: v2 is
	// the same index as v1.
	g := anotherFixture(t, sandbox.Options{Faults: sandbox.Faults{ARM64Index: true}}, steps.Config{Deny: []string{"ecr:DeleteRepository"}}, nil)
	g.up(ctx)
	if res, err := g.lab.Tests(ctx, steps.StepPush); err != nil || !res[0].Outcome.Allowed {
		t.Fatalf("push allowed by the policy: %+v %v", res, err)
	}
	v1, err := g.sb.Images().Manifest(sandbox.RepoA, "v1")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := g.sb.Images().Manifest(sandbox.RepoA, "v2")
	if err != nil {
		t.Fatalf("v2 was not pushed: %v", err)
	}
	if v2.Digest != v1.Digest || v2.MediaType != sandbox.MediaTypeOCIIndex {
		t.Fatalf("v2 %s (%s), v1 %s: want the same index", v2.Digest, v2.MediaType, v1.Digest)
	}
}

// TestRefusalsNotTheEndpoints: a 403 is the endpoint policy's only when
// AWS's sentence says "VPC endpoint policy". The role's own IAM policy
// refusing the push (--fault-deny-action ecr:PutImage) is not the lesson's
// refusal, though the policy also predicts one: the test says who refused
// and how to fix that instead of "denied, as the policy predicts".
func TestRefusalsNotTheEndpoints(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{DenyActions: []string{"ecr:PutImage"}}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	res, err := f.lab.Tests(ctx, steps.StepPush)
	if len(res) != 1 || res[0].Outcome.Allowed || res[0].Match || res[0].Outcome.By != "identity-based policy" {
		t.Fatalf("push refused by IAM: %+v", res)
	}
	if problem.CodeOf(err) != "RefusedElsewhere" || !strings.Contains(err.Error(), "identity-based policy, not the endpoint policy") ||
		!strings.Contains(problem.FixOf(err), "IAM role") {
		t.Fatalf("push refused by IAM: %v / %s", err, problem.FixOf(err))
	}
}

// TestS3GatewayRefusesLayers: another team's S3 gateway endpoint on the
// workspace's route table allows its own bucket only
// (--fault-s3-gateway-policy). The lab adopts it; every layer download is
// then refused by S3 (ECR keeps layers in prod-REGION-starport-layer-bucket).
// The pull test says so, names the gateway and gives the statement to add,
// rather than blaming the endpoint policy or DNS.
func TestS3GatewayRefusesLayers(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{S3GatewayPolicy: true}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	s3 := st.Endpoints[steps.EndpointS3]
	if s3 == nil || s3.Created {
		t.Fatalf("the S3 gateway was not adopted: %+v", s3)
	}
	// The local copy S3 refused names the gateway by its ID and points at
	// the gateway's own check, which says what to do: once, not twice.
	if it, ok := checkItem(f, "local-image"); !ok || it.OK || !it.Warning || !strings.Contains(it.Message, s3.ID) || !strings.Contains(it.Fix, s3.ID) {
		t.Fatalf("preflight's local copy: %+v", it)
	}
	statement := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*"}`
	said := 0
	for _, e := range f.all() {
		if e.Kind != steps.EventCheck {
			continue
		}
		if c := e.Check; strings.Contains(c.Message+c.Fix, awsops.S3GatewayIDPlaceholder) {
			t.Errorf("preflight's %s names the gateway by a placeholder: %+v", c.ID, c)
		} else {
			said += strings.Count(c.Fix, statement)
		}
	}
	if said != 1 {
		t.Errorf("preflight says the statement to add %d times, want once", said)
	}
	// Preflight read the gateway's policy before anything was made.
	if it, ok := checkItem(f, "s3-gateway"); !ok || it.OK || !it.Warning || !strings.Contains(it.Message, s3.ID) ||
		!strings.Contains(it.Fix, "--vpc-endpoint-id "+s3.ID) {
		t.Fatalf("preflight's S3 gateway line: %+v", it)
	}
	res, err := f.lab.Tests(ctx, steps.StepPull)
	if len(res) != 1 || res[0].Outcome.Allowed || res[0].Outcome.By != "S3 gateway endpoint policy" || res[0].Outcome.Action != "s3:GetObject" {
		t.Fatalf("pull: %+v", res)
	}
	msg, fix := err.Error(), problem.FixOf(err)
	if problem.CodeOf(err) != "RefusedElsewhere" || !strings.Contains(msg, "S3 gateway endpoint "+s3.ID) ||
		!strings.Contains(fix, "s3:GetObject on arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*") || !strings.Contains(fix, "--vpc-endpoint-id "+s3.ID) {
		t.Fatalf("pull refused by S3: %v / %s", err, fix)
	}
}
