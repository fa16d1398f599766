package sandbox

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzManifestTranslation: any manifest and Accept header is answered
// without a panic, and a translation keeps what the manifest points at:
// schema 2 → OCI → schema 2 gives the same descriptors back.
func FuzzManifestTranslation(f *testing.F) {
	v1 := []byte(`{"config":{"digest":"sha256:aa","mediaType":"application/vnd.docker.container.image.v1+json","size":2},` +
		`"layers":[{"digest":"sha256:bb","mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":3}],` +
		`"mediaType":"application/vnd.docker.distribution.manifest.v2+json","schemaVersion":2}`)
	f.Add(v1, MediaTypeOCIManifest)
	f.Add([]byte(`{"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd"}]}`), MediaTypeDockerManifest)
	f.Add([]byte(`[]`), "*/*, application/vnd.oci.image.index.v1+json;q=0.5")
	f.Fuzz(func(t *testing.T, manifest []byte, accept string) {
		for _, stored := range []string{MediaTypeDockerManifest, MediaTypeOCIManifest, MediaTypeOCIIndex} {
			im := Image{MediaType: stored, Manifest: manifest, Digest: Digest(manifest)}
			body, mt, dg, e := negotiateManifest(im, RepoA, "v1", accepted([]string{accept}))
			if e == nil && (dg != Digest(body) || mt == "") {
				t.Fatalf("answer %s %s does not match its body", mt, dg)
			}
		}
		oci, ok := translateManifest(manifest, MediaTypeOCIManifest)
		if !ok {
			return
		}
		back, ok := translateManifest(oci, MediaTypeDockerManifest)
		if !ok {
			t.Fatalf("an OCI translation does not translate back: %s", oci)
		}
		type desc struct {
			Digest string `json:"digest"`
			Size   int64  `json:"size"`
		}
		var a, b struct {
			Config desc   `json:"config"`
			Layers []desc `json:"layers"`
		}
		if json.Unmarshal(manifest, &a) != nil || json.Unmarshal(back, &b) != nil || a.Config != b.Config || !slices.Equal(a.Layers, b.Layers) {
			t.Fatalf("round trip changed the descriptors: %s → %s", manifest, back)
		}
	})
}
