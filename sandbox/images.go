package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/internal/boundedread"
)

// Media types the store understands.
const (
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mediaTypeDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mediaTypeDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// Image store errors. The ECR API maps them to its exceptions; the registry of
// part 2 maps them to registry error codes.
var (
	ErrRepositoryNotFound = errors.New("repository not found")
	ErrRepositoryExists   = errors.New("repository already exists")
	ErrRepositoryNotEmpty = errors.New("repository not empty")
	ErrImageNotFound      = errors.New("image not found")
	ErrImageExists        = errors.New("image already exists")
	ErrTagImmutable       = errors.New("image tag already exists")
	ErrDigestMismatch     = errors.New("image digest does not match")
	ErrLayersNotFound     = errors.New("layers not found")
	ErrInvalidManifest    = errors.New("invalid manifest")
	ErrInvalidName        = errors.New("invalid repository name")
)

// imageData is the saved part of the store: repositories and manifests.
// Blobs live in a blobStore beside it.
type imageData struct {
	Repos []*repository `json:"repositories"`
}

type repository struct {
	Name       string      `json:"name"`
	CreatedAt  time.Time   `json:"createdAt"`
	Mutability string      `json:"imageTagMutability"`
	ScanOnPush bool        `json:"scanOnPush"`
	Images     []*imageRec `json:"images"`
	// Policy is the repository policy (SetRepositoryPolicy), "" for none.
	Policy string `json:"policy,omitempty"`
}

type imageRec struct {
	Digest    string    `json:"digest"`
	MediaType string    `json:"mediaType"`
	Manifest  string    `json:"manifest"`
	Tags      []string  `json:"tags"`
	PushedAt  time.Time `json:"pushedAt"`
	Size      int64     `json:"size"`
}

// Repository describes a repository of the store.
type Repository struct {
	Name       string
	CreatedAt  time.Time
	Mutability string // MUTABLE or IMMUTABLE
	ScanOnPush bool
}

// Image describes a manifest of the store.
type Image struct {
	Repository string
	Digest     string
	MediaType  string
	Manifest   []byte
	Tags       []string
	PushedAt   time.Time
	Size       int64
}

// repoNameRE is ECR's RepositoryName pattern from its API model (botocore
// data/ecr/2015-09-21/service-2.json): words joined by ".", "_", "__" or any
// run of "-", parts separated by "/".
var repoNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ValidRepositoryName reports whether ECR accepts name.
func ValidRepositoryName(name string) bool {
	return len(name) >= 2 && len(name) <= 256 && repoNameRE.MatchString(name)
}

func (d *imageData) repo(name string) *repository {
	for _, r := range d.Repos {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (r *repository) public() Repository {
	return Repository{Name: r.Name, CreatedAt: r.CreatedAt, Mutability: r.Mutability, ScanOnPush: r.ScanOnPush}
}

func (r *repository) image(ref string) *imageRec {
	for _, im := range r.Images {
		if im.Digest == ref || slices.Contains(im.Tags, ref) {
			return im
		}
	}
	return nil
}

func (im *imageRec) public(repo string) Image {
	return Image{
		Repository: repo, Digest: im.Digest, MediaType: im.MediaType, Manifest: []byte(im.Manifest),
		Tags: slices.Clone(im.Tags), PushedAt: im.PushedAt, Size: im.Size,
	}
}

func (d *imageData) createRepository(name, mutability string, scanOnPush bool, now time.Time) (*repository, error) {
	if !ValidRepositoryName(name) {
		return nil, ErrInvalidName
	}
	if d.repo(name) != nil {
		return nil, ErrRepositoryExists
	}
	if mutability == "" {
		mutability = "MUTABLE"
	}
	r := &repository{Name: name, CreatedAt: now.UTC(), Mutability: mutability, ScanOnPush: scanOnPush}
	d.Repos = append(d.Repos, r)
	return r, nil
}

func (d *imageData) deleteRepository(name string, force bool) (*repository, error) {
	r := d.repo(name)
	if r == nil {
		return nil, ErrRepositoryNotFound
	}
	if len(r.Images) > 0 && !force {
		return nil, ErrRepositoryNotEmpty
	}
	d.Repos = slices.DeleteFunc(d.Repos, func(x *repository) bool { return x == r })
	return r, nil
}

// manifestInfo is what the store reads from a manifest.
type manifestInfo struct {
	SchemaVersion int    `json:"schemaVersion"`
	MediaType     string `json:"mediaType"`
	Config        *struct {
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	} `json:"config"`
	Layers []struct {
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	} `json:"layers"`
	Manifests []struct {
		Digest string `json:"digest"`
	} `json:"manifests"`
}

// Digest returns the sha256 digest of b in registry form.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// putImage stores manifest under tag (which may be empty). blobs reports
// whether a blob exists, for the LayersNotFound check.
func (d *imageData) putImage(repoName, tag, mediaType string, manifest []byte, digest string, now time.Time, blobs func(string) bool) (*imageRec, error) {
	r := d.repo(repoName)
	if r == nil {
		return nil, ErrRepositoryNotFound
	}
	var mi manifestInfo
	if err := json.Unmarshal(manifest, &mi); err != nil || mi.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: not a schema version 2 image manifest", ErrInvalidManifest)
	}
	if mediaType == "" {
		mediaType = mi.MediaType
	}
	if mediaType == "" {
		mediaType = MediaTypeOCIManifest
	}
	if mi.MediaType != "" && mi.MediaType != mediaType {
		return nil, fmt.Errorf("%w: media type %s does not match the manifest's %s", ErrInvalidManifest, mediaType, mi.MediaType)
	}
	if tag != "" && !tagRE.MatchString(tag) {
		return nil, fmt.Errorf("%w: invalid tag %q", ErrInvalidManifest, tag)
	}
	got := Digest(manifest)
	if digest != "" && digest != got {
		return nil, ErrDigestMismatch
	}
	var size int64
	var missing []string
	switch mediaType {
	case MediaTypeDockerManifest, MediaTypeOCIManifest:
		if mi.Config == nil {
			return nil, fmt.Errorf("%w: no config", ErrInvalidManifest)
		}
		refs := []string{mi.Config.Digest}
		size += mi.Config.Size
		for _, l := range mi.Layers {
			refs = append(refs, l.Digest)
			size += l.Size
		}
		for _, ref := range refs {
			if blobs != nil && !blobs(ref) {
				missing = append(missing, ref)
			}
		}
	case MediaTypeDockerList, MediaTypeOCIIndex:
		for _, m := range mi.Manifests {
			if r.image(m.Digest) == nil {
				missing = append(missing, m.Digest)
			}
		}
	default:
		return nil, fmt.Errorf("%w: unsupported media type %s", ErrInvalidManifest, mediaType)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrLayersNotFound, strings.Join(missing, ", "))
	}
	existing := r.image(got)
	if tag != "" {
		if holder := r.image(tag); holder != nil {
			if holder == existing {
				return nil, ErrImageExists
			}
			if r.Mutability == "IMMUTABLE" {
				return nil, ErrTagImmutable
			}
			holder.Tags = slices.DeleteFunc(holder.Tags, func(t string) bool { return t == tag })
		}
	} else if existing != nil {
		return nil, ErrImageExists
	}
	if existing == nil {
		existing = &imageRec{Digest: got, MediaType: mediaType, Manifest: string(manifest), PushedAt: now.UTC(), Size: size}
		r.Images = append(r.Images, existing)
	}
	if tag != "" {
		existing.Tags = append(existing.Tags, tag)
	}
	return existing, nil
}

func (d *imageData) deleteImage(repoName, digest, tag string) (*imageRec, error) {
	r := d.repo(repoName)
	if r == nil {
		return nil, ErrRepositoryNotFound
	}
	var im *imageRec
	switch {
	case digest != "":
		im = r.image(digest)
		if im != nil && tag != "" && !slices.Contains(im.Tags, tag) {
			return nil, ErrImageNotFound
		}
	case tag != "":
		im = r.image(tag)
	}
	if im == nil || (digest != "" && im.Digest != digest) {
		return nil, ErrImageNotFound
	}
	if digest == "" && len(im.Tags) > 1 {
		// Deleting by tag removes only the tag while others remain.
		im.Tags = slices.DeleteFunc(im.Tags, func(t string) bool { return t == tag })
		return im, nil
	}
	r.Images = slices.DeleteFunc(r.Images, func(x *imageRec) bool { return x == im })
	return im, nil
}

// blobStore holds content-addressed blobs (image layers and configs) as
// files DIR/sha256/HEX. Blobs are streamed in and out, never held in
// memory whole. durable stores fsync what they write (a state directory);
// the private directory of an in-memory world need not.
type blobStore struct {
	dir     string
	durable bool
}

// maxBlobInMemory bounds Blob, which returns a blob whole.
const maxBlobInMemory = 64 << 20

func (s blobStore) path(d string) (string, bool) {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return "", false
	}
	return filepath.Join(s.dir, "sha256", hexPart), true
}

func (s blobStore) has(d string) bool {
	_, ok := s.size(d)
	return ok
}

// size is the size of a blob, false when there is none.
func (s blobStore) size(d string) (int64, bool) {
	p, ok := s.path(d)
	if !ok {
		return 0, false
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// open opens a blob for reading.
func (s blobStore) open(d string) (*os.File, error) {
	p, ok := s.path(d)
	if !ok {
		return nil, fs.ErrNotExist
	}
	// A named pipe put there by hand would block the open.
	if err := boundedread.Check(p); err != nil {
		return nil, err
	}
	return os.Open(p)
}

// put stores a small blob held in memory (the seed image's).
func (s blobStore) put(d string, b []byte) error {
	p, ok := s.path(d)
	if !ok || Digest(b) != d {
		return ErrDigestMismatch
	}
	if s.has(d) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	if s.durable {
		return writeFileAtomic(p, b, 0o600)
	}
	tmp := p + ".tmp-" + newRequestID()
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, p)
}

// adopt moves the file at tmp, whose content has digest d (checked by the
// caller), into the store; tmp must be on the store's file system.
func (s blobStore) adopt(d, tmp string) error {
	p, ok := s.path(d)
	if !ok {
		return ErrDigestMismatch
	}
	if s.has(d) {
		return os.Remove(tmp)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	if s.durable {
		f, err := os.Open(tmp)
		if err != nil {
			return err
		}
		err = f.Sync()
		_ = f.Close()
		if err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	if s.durable {
		if dir, err := os.Open(filepath.Dir(p)); err == nil {
			_ = dir.Sync()
			_ = dir.Close()
		}
	}
	return nil
}

// get returns a blob whole (up to maxBlobInMemory bytes).
func (s blobStore) get(d string) ([]byte, bool) {
	f, err := s.open(d)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBlobInMemory+1))
	if err != nil || len(b) > maxBlobInMemory {
		return nil, false
	}
	return b, true
}

// seedImage is the small but real image team-a/alpine:v1: one layer holding
// /etc/alpine-release, built byte-for-byte reproducibly.
type seedImage struct {
	manifest []byte
	blobs    map[string][]byte
}

// seedEpoch is the seed images' time stamp.
var seedEpoch = time.Date(2024, 9, 6, 0, 0, 0, 0, time.UTC)

// seedLayer builds a layer holding the files under etc/, reproducibly: the
// tar (whose digest is the config's diff_id) and its gzip (the blob).
func seedLayer(files []struct{ name, body string }) (tarBytes, layer []byte) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	_ = tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: seedEpoch, Format: tar.FormatPAX})
	for _, f := range files {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.body)), ModTime: seedEpoch, Format: tar.FormatPAX})
		_, _ = tw.Write([]byte(f.body))
	}
	_ = tw.Close()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(tarBuf.Bytes())
	_ = zw.Close()
	return tarBuf.Bytes(), gz.Bytes()
}

// buildSeedImage is the seed image, built once per process: every new world
// (each account of a fleet, each sandbox a test starts) stores the same
// bytes, and gzip at its best compression costs a few milliseconds a time
// (ten times that under the race detector). Its bytes are only read.
var buildSeedImage = sync.OnceValue(makeSeedImage)

func makeSeedImage() seedImage {
	epoch := seedEpoch
	tarBytes, layer := seedLayer([]struct{ name, body string }{
		{"etc/alpine-release", "3.20.3\n"},
		{"etc/motd", "Welcome to the ecr-vpce-lab sandbox image.\n"},
	})

	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, "Cmd": []string{"/bin/sh"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{Digest(tarBytes)}},
		"history":      []map[string]any{{"created": epoch.Format(time.RFC3339), "created_by": "ecr-vpce-lab sandbox seed image"}},
	})
	manifest, _ := json.MarshalIndent(map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeDockerManifest,
		"config":        map[string]any{"mediaType": mediaTypeDockerConfig, "size": len(config), "digest": Digest(config)},
		"layers":        []map[string]any{{"mediaType": mediaTypeDockerLayer, "size": len(layer), "digest": Digest(layer)}},
	}, "", "   ")
	return seedImage{manifest: manifest, blobs: map[string][]byte{Digest(config): config, Digest(layer): layer}}
}

// seedImages makes the starting repositories: team-a/alpine with tag v1.
func seedImages(now time.Time, blobs blobStore) (imageData, error) {
	var d imageData
	img := buildSeedImage()
	for dg, b := range img.blobs {
		if err := blobs.put(dg, b); err != nil {
			return d, err
		}
	}
	if _, err := d.createRepository(RepoA, "MUTABLE", false, now.Add(-30*time.Minute)); err != nil {
		return d, err
	}
	if _, err := d.putImage(RepoA, "v1", MediaTypeDockerManifest, img.manifest, "", now.Add(-20*time.Minute), blobs.has); err != nil {
		return d, err
	}
	return d, nil
}

// ImageStore is the sandbox's one store of repositories, manifests and blobs.
// The ECR API serves from it, and the registry of part 2 pushes into it, so a
// pushed tag shows in ListImages. Every change is saved with the world.
type ImageStore struct{ s *Sandbox }

// Repositories lists the repositories.
func (st ImageStore) Repositories() []Repository {
	var out []Repository
	st.s.read(func(w *world) {
		for _, r := range w.Images.Repos {
			out = append(out, r.public())
		}
	})
	return out
}

// Images lists the images of a repository.
func (st ImageStore) Images(repo string) ([]Image, error) {
	var out []Image
	var err error
	st.s.read(func(w *world) {
		r := w.Images.repo(repo)
		if r == nil {
			err = ErrRepositoryNotFound
			return
		}
		for _, im := range r.Images {
			out = append(out, im.public(repo))
		}
	})
	return out, err
}

// Manifest returns the image a tag or digest names.
func (st ImageStore) Manifest(repo, ref string) (Image, error) {
	var out Image
	err := ErrRepositoryNotFound
	st.s.read(func(w *world) {
		r := w.Images.repo(repo)
		if r == nil {
			return
		}
		im := r.image(ref)
		if im == nil {
			err = ErrImageNotFound
			return
		}
		out, err = im.public(repo), nil
	})
	return out, err
}

// PutImage stores a manifest (its blobs must be present) and tags it.
func (st ImageStore) PutImage(repo, tag, mediaType string, manifest []byte) (Image, error) {
	var out Image
	err := st.s.mutate(func(w *world, now time.Time) error {
		im, err := w.Images.putImage(repo, tag, mediaType, manifest, "", now, st.s.blobs.has)
		if err != nil {
			return err
		}
		out = im.public(repo)
		return nil
	})
	return out, err
}

// PutBlob stores a blob under its digest.
func (st ImageStore) PutBlob(digest string, b []byte) error { return st.s.blobs.put(digest, b) }

// Blob returns a blob whole; false when there is none, or it is over 64 MiB.
func (st ImageStore) Blob(digest string) ([]byte, bool) { return st.s.blobs.get(digest) }
