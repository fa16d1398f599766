package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Manifest content negotiation, as ECR documents it
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html):
// pulled by tag, a Docker schema 2 manifest is translated to OCI for a
// client that accepts only OCI, and an OCI manifest to schema 2 for one
// that accepts only schema 2; pulled by digest there is no translation,
// and the client gets what is stored. What ECR answers when no translation
// exists is not documented; the sandbox answers 404 MANIFEST_UNKNOWN
// saying what is stored and what was asked for, as the reference registry
// does. It makes no schema 1 manifests (Docker has retired them).

// mediaTypeDockerManifestV1 is Docker's retired schema 1, signed or not.
var mediaTypesDockerV1 = []string{"application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"}

// Media types of what a manifest points at, Docker's and OCI's.
var descriptorTranslation = map[string]string{
	mediaTypeDockerConfig: "application/vnd.oci.image.config.v1+json",
	mediaTypeDockerLayer:  "application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
}

// accepted lists the media types of Accept headers (parameters dropped).
func accepted(headers []string) []string {
	var out []string
	for _, h := range headers {
		for _, part := range strings.Split(h, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if mt = strings.ToLower(strings.TrimSpace(mt)); mt != "" {
				out = append(out, mt)
			}
		}
	}
	return out
}

// negotiateManifest returns what to answer for a stored manifest: its body,
// media type and digest, translated when the client needs it.
func negotiateManifest(im Image, repo, ref string, accept []string) ([]byte, string, string, *regError) {
	byDigest := strings.HasPrefix(ref, "sha256:")
	if len(accept) == 0 || slices.Contains(accept, "*/*") || slices.Contains(accept, im.MediaType) || byDigest {
		return im.Manifest, im.MediaType, im.Digest, nil
	}
	var want string
	switch im.MediaType {
	case MediaTypeDockerManifest:
		if slices.Contains(accept, MediaTypeOCIManifest) {
			want = MediaTypeOCIManifest
		}
	case MediaTypeOCIManifest:
		if slices.Contains(accept, MediaTypeDockerManifest) {
			want = MediaTypeDockerManifest
		}
	}
	if want != "" {
		if body, ok := translateManifest(im.Manifest, want); ok {
			return body, want, Digest(body), nil
		}
	}
	can := []string{im.MediaType}
	if t := map[string]string{MediaTypeDockerManifest: MediaTypeOCIManifest, MediaTypeOCIManifest: MediaTypeDockerManifest}[im.MediaType]; t != "" {
		can = append(can, t)
	}
	msg := fmt.Sprintf("The image manifest of %s:%s is stored as %s and can be given as %s; the request accepts only %s.",
		repo, ref, im.MediaType, strings.Join(can, " or "), strings.Join(accept, ", "))
	if slices.ContainsFunc(accept, func(a string) bool { return slices.Contains(mediaTypesDockerV1, a) }) {
		msg += " Docker image manifest schema 1 is retired: accept schema 2 or OCI."
	}
	return nil, "", "", &regError{http.StatusNotFound, "MANIFEST_UNKNOWN", msg}
}

// translateManifest rewrites a Docker schema 2 manifest as OCI or back;
// false when a descriptor has no counterpart (a zstd layer, say).
func translateManifest(manifest []byte, to string) ([]byte, bool) {
	type descriptor struct {
		MediaType   string            `json:"mediaType"`
		Size        int64             `json:"size"`
		Digest      string            `json:"digest"`
		URLs        []string          `json:"urls,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	var m struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		Config        descriptor        `json:"config"`
		Layers        []descriptor      `json:"layers"`
		Annotations   map[string]string `json:"annotations,omitempty"`
	}
	if json.Unmarshal(manifest, &m) != nil {
		return nil, false
	}
	table := descriptorTranslation
	if to == MediaTypeDockerManifest {
		table = map[string]string{}
		for d, o := range descriptorTranslation {
			table[o] = d
		}
		// Docker's schema 2 has no annotations.
		m.Annotations = nil
	}
	convert := func(d *descriptor) bool {
		t, ok := table[d.MediaType]
		d.MediaType = t
		if to == MediaTypeDockerManifest {
			d.Annotations = nil
		}
		return ok
	}
	if !convert(&m.Config) {
		return nil, false
	}
	for i := range m.Layers {
		if !convert(&m.Layers[i]) {
			return nil, false
		}
	}
	m.MediaType = to
	b, err := json.Marshal(m)
	return b, err == nil
}
