package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"ecr-vpce-lab/internal/partition"
	"ecr-vpce-lab/policy"
)

// Where ECR's layers come from. A layer download (GET /v2/REPO/blobs/DIGEST,
// GetDownloadUrlForLayer) is answered with a redirect to a presigned URL in
// S3, in the bucket prod-REGION-starport-layer-bucket; from a subnet whose
// route table sends S3's prefix list to a gateway endpoint, that request
// goes through the gateway, and the gateway's policy must allow
// s3:GetObject on arn:PARTITION:s3:::prod-REGION-starport-layer-bucket/*.
// When it does not, S3 answers 403 AccessDenied in XML, naming the quoted
// object ARN and "no VPC endpoint policy allows the s3:GetObject action".
// [ECR user guide, "Minimum Amazon S3 bucket permissions for Amazon ECR"
// (vpc-endpoints.html); research A.9, K]
//
// The sandbox redirects only a download the gateway would refuse, to
// s3RedirectPath on the registry's own listener, which answers as S3 does;
// every other download is served at once, as before.

// s3RedirectPath is where the registry sends a download S3 would refuse.
const s3RedirectPath = "/_s3/"

// layerBucket is ECR's layer bucket in the region.
func layerBucket(region string) string { return "prod-" + region + "-starport-layer-bucket" }

// layerObjectARN is the S3 object a layer is downloaded from.
func layerObjectARN(region, digest string) string {
	return "arn:" + partition.Of(region).ID + ":s3:::" + layerBucket(region) + "/" + layerKey(digest)
}

// layerKey is the object key of a layer (ECR's keys are opaque: a prefix and
// an id; the digest's hex stands in for both).
func layerKey(digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	if len(hex) > 12 {
		return hex[:12] + "/" + hex
	}
	return hex
}

// subnetRouteTable is the route table a subnet uses: its explicit
// association, else its VPC's main table.
func (w *world) subnetRouteTable(subnetID string) *routeTable {
	sn := w.subnet(subnetID)
	if sn == nil {
		return nil
	}
	var main *routeTable
	for _, rt := range w.RouteTables {
		for _, a := range rt.Associations {
			if a.SubnetID == subnetID {
				return rt
			}
		}
		if rt.VpcID == sn.VpcID && rt.Main {
			main = rt
		}
	}
	return main
}

// s3Gateway is the S3 gateway endpoint the workspace's requests to S3 go
// through (its subnet's route table routes S3's prefix list to it), or nil.
func (s *Sandbox) s3Gateway(w *world, now time.Time) *vpcEndpoint {
	n := w.workspaceENI()
	if n == nil {
		return nil
	}
	rt := w.subnetRouteTable(n.SubnetID)
	if rt == nil {
		return nil
	}
	for _, r := range rt.Routes {
		if r.DestinationPrefixList == "" {
			continue
		}
		for _, e := range w.Endpoints {
			if e.ID == r.GatewayID && e.Type == "Gateway" && e.visible(now) && e.state(now) == stateAvailable {
				return e
			}
		}
	}
	return nil
}

// layerRefusal is S3's refusal of the workspace's download of a layer
// through the S3 gateway endpoint, "" when it is allowed (or does not go
// through one: from outside the VPC, or with no gateway on the route).
func (s *Sandbox) layerRefusal(caller principal, public bool, digest string) string {
	if public {
		return ""
	}
	var doc *policy.Document
	var resource string
	var ctx map[string][]string
	s.read(func(w *world) {
		now := s.opts.Clock.Now()
		e := s.s3Gateway(w, now)
		if e == nil {
			return
		}
		text := e.enforced(now)
		if text == "" {
			text = defaultEndpointPolicy
		}
		if doc = s.policies.parse(text); doc == nil {
			doc = brokenPolicy
		}
		resource = layerObjectARN(w.Region, digest)
		ctx = w.requestContext(caller, netPath{endpoint: e}, resource)
	})
	if doc == nil {
		return ""
	}
	d := policy.Evaluate(doc, policy.Request{Action: "s3:GetObject", Resource: resource, Principal: caller.arn,
		PrincipalAccount: caller.account, Context: ctx})
	if d.Allowed() {
		return ""
	}
	why := "because no VPC endpoint policy allows the s3:GetObject action"
	if d.Result == policy.ResultExplicitDeny {
		why = "with an explicit deny in a VPC endpoint policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: s3:GetObject on resource: %q %s", caller.arn, resource, why)
}

// redirectToS3 answers a layer download as ECR does, with a redirect to the
// layer's presigned S3 URL (here on the registry's listener).
func redirectToS3(w http.ResponseWriter, region, digest string) {
	loc := s3RedirectPath + layerBucket(region) + "/" + layerKey(digest) +
		"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("0", 64)
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// serveS3 answers a request for a presigned layer URL as S3 does when the
// gateway endpoint's policy refuses it: 403, an XML AccessDenied. The
// layer's digest is the key's last element.
func (rs *registryServer) serveS3(w http.ResponseWriter, r *http.Request) {
	s := rs.s
	key := strings.TrimPrefix(r.URL.Path, s3RedirectPath+layerBucket(s.opts.Region)+"/")
	digest := "sha256:" + key[strings.LastIndexByte(key, '/')+1:]
	var caller principal
	s.read(func(w *world) { caller = w.workspacePrincipal() })
	msg := s.layerRefusal(caller, rs.public, digest)
	call := &apiCall{protocol: "s3", service: "s3", action: "GetObject", requestID: newRequestID()}
	if msg == "" {
		// The policy allows it now (it changed since the redirect).
		f, err := s.blobs.open(digest)
		if err != nil {
			s.record(call, "NoSuchKey")
			http.Error(w, "NoSuchKey", http.StatusNotFound)
			return
		}
		defer f.Close()
		s.record(call, "")
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, f)
		return
	}
	s.record(call, "AccessDenied")
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>%s</HostId></Error>",
		s3Text.Replace(msg), strings.ToUpper(strings.ReplaceAll(call.requestID, "-", ""))[:16], "sandbox")
}

// s3Text escapes XML text as S3 writes it: quotes stay quotes.
var s3Text = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// layerBucketOnlyPolicy is the S3 gateway policy of the S3GatewayPolicy
// fault: a platform team allowed its own artifacts bucket and nothing else,
// so ECR's layer bucket is refused.
func layerBucketOnlyPolicy(w *world) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"TeamArtifactsOnly","Effect":"Allow","Principal":"*",` +
		`"Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],` +
		`"Resource":["arn:` + partition.Of(w.Region).ID + `:s3:::platform-artifacts-` + w.Account + `","arn:` + partition.Of(w.Region).ID + `:s3:::platform-artifacts-` + w.Account + `/*"]}]}`
}

// addS3Gateway gives the workspace's route table an S3 gateway endpoint
// the lab did not make (another team's), with a policy that does not allow
// ECR's layer bucket: the lab adopts it, and layer downloads are refused.
func (s *Sandbox) addS3Gateway(w *world, now time.Time) {
	n := w.workspaceENI()
	if n == nil {
		n = w.instanceENI()
	}
	rt := w.subnetRouteTable(n.SubnetID)
	if rt == nil {
		return
	}
	created := now.UTC().Add(-72 * time.Hour).Truncate(time.Second)
	ep := &vpcEndpoint{ID: w.id("vpce"), Type: "Gateway", VpcID: n.VpcID, ServiceName: serviceName(w.Region, "s3", true),
		Policy: layerBucketOnlyPolicy(w), RouteTableIDs: []string{rt.ID}, CreatedAt: created, AvailableAt: created, DNSSwitchAt: created}
	ep.DNSLabel = w.hex("dns-label", 8)
	w.Endpoints = append(w.Endpoints, ep)
	rt.Routes = append(rt.Routes, route{DestinationPrefixList: w.s3PrefixList(), GatewayID: ep.ID, Origin: "CreateRoute"})
	w.setTags(ep.ID, []tag{{"Name", "platform-team-s3"}})
}

// makeARM64Index replaces v1 of team-a/alpine with an OCI image index
// holding only a linux/arm64 image, as buildx or containerd push from an
// ARM machine: a client that resolves v1 to linux/amd64 finds nothing.
func (s *Sandbox) makeARM64Index(w *world, now time.Time) error {
	r := w.Images.repo(RepoA)
	if r == nil {
		return nil
	}
	old := r.image("v1")
	img := buildSeedImageFor("arm64")
	for dg, b := range img.blobs {
		if err := s.blobs.put(dg, b); err != nil {
			return err
		}
	}
	child, err := w.Images.putImage(RepoA, "", MediaTypeOCIManifest, img.manifest, "", now.Add(-20*time.Minute), s.blobs.has)
	if err != nil {
		return err
	}
	index, _ := json.MarshalIndent(map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeOCIIndex,
		"manifests": []map[string]any{{"mediaType": MediaTypeOCIManifest, "digest": child.Digest, "size": len(img.manifest),
			"platform": map[string]string{"architecture": "arm64", "os": "linux", "variant": "v8"}}},
	}, "", "   ")
	if _, err := w.Images.putImage(RepoA, "v1", MediaTypeOCIIndex, index, "", now.Add(-20*time.Minute), s.blobs.has); err != nil {
		return err
	}
	if old != nil && len(old.Tags) == 0 {
		_, _ = w.Images.deleteImage(RepoA, old.Digest, "")
	}
	return nil
}

// buildSeedImageFor is the seed image built for another architecture, as
// an OCI image manifest.
func buildSeedImageFor(arch string) seedImage {
	epoch := seedEpoch
	tarBytes, layer := seedLayer([]struct{ name, body string }{{"etc/alpine-release", "3.20.3 (" + arch + ")\n"}})
	config, _ := json.Marshal(map[string]any{
		"architecture": arch, "os": "linux", "variant": "v8",
		"created": epoch.Format(time.RFC3339),
		"config":  map[string]any{"Cmd": []string{"/bin/sh"}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{Digest(tarBytes)}},
	})
	manifest, _ := json.MarshalIndent(map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeOCIManifest,
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config), "digest": Digest(config)},
		"layers":        []map[string]any{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": len(layer), "digest": Digest(layer)}},
	}, "", "   ")
	return seedImage{manifest: manifest, blobs: map[string][]byte{Digest(config): config, Digest(layer): layer}}
}
