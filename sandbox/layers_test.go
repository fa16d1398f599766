package sandbox

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TestARM64IndexFault: with the fault, v1 is an OCI index holding one
// linux/arm64 image (as buildx pushes from an ARM machine). A client that
// resolves it to linux/amd64 (go-containerregistry's remote.Image by
// default) finds no image; the index itself, its child and the child's
// layers are there to copy.
func TestARM64IndexFault(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{ARM64Index: true}})
	pw, err := registryLogin(t, newClients(sb, nil))
	must(t, "login", err)
	opts := regOpts(pw, nil)
	ref := tagRef(t, sb, RepoA, "v1")
	if _, err := remote.Image(ref, opts...); err == nil || !strings.Contains(err.Error(), "linux/amd64") {
		t.Fatalf("remote.Image of an arm64-only index: %v; want no linux/amd64 child", err)
	}
	idx, err := remote.Index(ref, opts...)
	must(t, "remote.Index", err)
	im, err := idx.IndexManifest()
	must(t, "index manifest", err)
	if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil || im.Manifests[0].Platform.Architecture != "arm64" {
		t.Fatalf("index %+v", im)
	}
	child, err := idx.Image(im.Manifests[0].Digest)
	must(t, "child", err)
	cf, err := child.ConfigFile()
	must(t, "child config", err)
	if cf.Architecture != "arm64" {
		t.Fatalf("child architecture %s", cf.Architecture)
	}
	images, err := sb.Images().Images(RepoA)
	must(t, "images", err)
	if len(images) != 2 {
		t.Fatalf("want the index and its child, got %d images", len(images))
	}
}

// TestS3GatewayPolicyFault: another team's S3 gateway endpoint on the
// workspace's route table allows its own bucket only. A layer download
// (GetDownloadUrlForLayer) is answered with ECR's redirect to the layer's
// S3 URL, and S3 refuses it through the gateway: 403, XML AccessDenied,
// the quoted object ARN in prod-REGION-starport-layer-bucket and "no VPC
// endpoint policy allows the s3:GetObject action". [research A.9] The
// manifest (BatchGetImage) is the registry's own and is served.
func TestS3GatewayPolicyFault(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{S3GatewayPolicy: true}})
	pw, err := registryLogin(t, newClients(sb, nil))
	must(t, "login", err)
	img, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	must(t, "manifest", err)
	layers, err := img.Layers()
	must(t, "layers", err)
	rc, err := layers[0].Compressed()
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
	}
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusForbidden {
		t.Fatalf("layer download through the S3 gateway: %v; want S3's 403", err)
	}
	msg := te.Error()
	for _, w := range []string{"<Code>AccessDenied</Code>", `s3:GetObject on resource: "arn:aws:s3:::prod-us-west-2-starport-layer-bucket/`,
		"because no VPC endpoint policy allows the s3:GetObject action"} {
		if !strings.Contains(msg, w) {
			t.Errorf("S3's refusal lacks %q: %s", w, msg)
		}
	}
	if te.Request == nil || !strings.HasPrefix(te.Request.URL.Path, s3RedirectPath+"prod-us-west-2-starport-layer-bucket/") {
		t.Errorf("the refused request is not S3's: %v", te.Request.URL)
	}

	// Without the fault the same download is served.
	plain := startSandbox(t, Options{})
	pw, err = registryLogin(t, newClients(plain, nil))
	must(t, "login", err)
	img, err = remote.Image(tagRef(t, plain, RepoA, "v1"), regOpts(pw, nil)...)
	must(t, "manifest", err)
	layers, _ = img.Layers()
	rc, err = layers[0].Compressed()
	must(t, "layer", err)
	_, err = io.Copy(io.Discard, rc)
	must(t, "read layer", err)
	rc.Close()
}
