package awsops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ecr-vpce-lab/internal/problem"
)

// LocalImage is the image the push test pushes, kept on this machine the way
// docker keeps one in its image store: read once from the registry before
// the endpoints exist (docker pull), so that pushing it later reads nothing
// from the repository and puts PutImage alone to the test, whatever the
// endpoint policy says about pulls.
type LocalImage struct {
	// Dir is the OCI image layout that holds it; empty when the docker CLI
	// holds it (Options.DockerCLI).
	Dir string `json:"dir,omitempty"`
	// Repository and Tag say where it was read from.
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"`
	Layers     int    `json:"layers"`
	Bytes      int64  `json:"bytes"`
	// MediaType is the manifest's: an image index (a multi-platform image,
	// as buildx and containerd push) is kept and pushed as an index.
	// Platforms are its images' (linux/arm64, …).
	MediaType string   `json:"mediaType,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	// Docker is set when docker's image store holds it, under the name
	// Addr/Repository:Tag (Host is the registry's name in commands); Pulled
	// says that the lab's pull put it there, so teardown removes it again.
	Docker bool   `json:"docker,omitempty"`
	Addr   string `json:"addr,omitempty"`
	Host   string `json:"host,omitempty"`
	Pulled bool   `json:"pulled,omitempty"`
}

// Ref is REPOSITORY:TAG.
func (i LocalImage) Ref() string { return i.Repository + ":" + i.Tag }

// refAnnotation names the image inside the layout, as OCI tools do.
const refAnnotation = "org.opencontainers.image.ref.name"

// ErrNoLocalImage means no complete local copy is there.
var ErrNoLocalImage = errors.New("no local copy of the image")

// OpenLocalImage reads the local copy of repo:tag kept in dir. It returns
// ErrNoLocalImage when the directory is missing, holds another image, or
// lacks a blob (an interrupted copy).
func OpenLocalImage(dir, repo, tag string) (LocalImage, error) {
	a, err := layoutArtifact(dir, repo+":"+tag)
	if err != nil {
		return LocalImage{}, err
	}
	li := LocalImage{Dir: dir, Repository: repo, Tag: tag}
	if err := describe(&li, a, dir); err != nil {
		return LocalImage{}, err
	}
	return li, nil
}

// artifact is what a tag names: an image, or an image index.
type artifact struct {
	img v1.Image
	idx v1.ImageIndex
}

func (a artifact) digest() (v1.Hash, error) {
	if a.idx != nil {
		return a.idx.Digest()
	}
	return a.img.Digest()
}

// layoutArtifact is the image or index kept in dir under ref.
func layoutArtifact(dir, ref string) (artifact, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return artifact{}, fmt.Errorf("%w in %s", ErrNoLocalImage, dir)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return artifact{}, fmt.Errorf("%w: %s: %v", ErrNoLocalImage, dir, err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return artifact{}, fmt.Errorf("%w: %s: %v", ErrNoLocalImage, dir, err)
	}
	for _, d := range im.Manifests {
		if d.Annotations[refAnnotation] != ref {
			continue
		}
		if d.MediaType.IsIndex() {
			idx, err := ii.ImageIndex(d.Digest)
			if err != nil {
				return artifact{}, fmt.Errorf("%w: %s: %v", ErrNoLocalImage, dir, err)
			}
			return artifact{idx: idx}, nil
		}
		img, err := p.Image(d.Digest)
		if err != nil {
			return artifact{}, fmt.Errorf("%w: %s: %v", ErrNoLocalImage, dir, err)
		}
		return artifact{img: img}, nil
	}
	return artifact{}, fmt.Errorf("%w: %s holds no %s", ErrNoLocalImage, dir, ref)
}

// describe fills in the digest, media type, platforms and sizes, checking
// every blob is present (of every image, for an index).
func describe(li *LocalImage, a artifact, dir string) error {
	d, err := a.digest()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoLocalImage, err)
	}
	li.Digest = d.String()
	li.Layers, li.Bytes, li.Platforms = 0, 0, nil
	if a.idx != nil {
		mt, _ := a.idx.MediaType()
		li.MediaType = string(mt)
		return describeIndex(li, a.idx, dir)
	}
	mt, _ := a.img.MediaType()
	li.MediaType = string(mt)
	return describeImage(li, a.img, dir)
}

func describeIndex(li *LocalImage, idx v1.ImageIndex, dir string) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoLocalImage, err)
	}
	for _, c := range im.Manifests {
		if err := haveBlob(dir, c); err != nil {
			return err
		}
		switch {
		case c.MediaType.IsIndex():
			child, err := idx.ImageIndex(c.Digest)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrNoLocalImage, err)
			}
			if err := describeIndex(li, child, dir); err != nil {
				return err
			}
		case c.MediaType.IsImage():
			img, err := idx.Image(c.Digest)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrNoLocalImage, err)
			}
			if err := describeImage(li, img, dir); err != nil {
				return err
			}
			if c.Platform != nil {
				li.Platforms = append(li.Platforms, c.Platform.String())
			}
		}
	}
	return nil
}

func describeImage(li *LocalImage, img v1.Image, dir string) error {
	m, err := img.Manifest()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoLocalImage, err)
	}
	for _, b := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if err := haveBlob(dir, b); err != nil {
			return err
		}
	}
	li.Layers += len(m.Layers)
	for _, l := range m.Layers {
		li.Bytes += l.Size
	}
	return nil
}

// haveBlob checks a blob is in the layout, whole.
func haveBlob(dir string, b v1.Descriptor) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(filepath.Join(dir, "blobs", b.Digest.Algorithm, b.Digest.Hex))
	if err != nil || fi.Size() != b.Size {
		return fmt.Errorf("%w: blob %s is missing or incomplete", ErrNoLocalImage, b.Digest)
	}
	return nil
}

// CopyCommands are what a learner types to copy repo:tag from the registry
// at host to this machine (SaveImage): a login, then docker pull.
func (c *Cloud) CopyCommands(host, repo, tag string) []Command {
	return []Command{loginCommand(c.region, host), dockerCmd("pull", host+"/"+repo+":"+tag)}
}

// SaveImage reads repo:tag from the registry and keeps it in dir (docker
// pull). The copy is written beside dir and renamed into place, so dir holds
// a whole image or nothing. With the docker CLI, docker pulls it into its
// own store instead.
func (c *Cloud) SaveImage(ctx context.Context, repo, tag, dir string) (LocalImage, []Command, error) {
	op := "copy " + repo + ":" + tag + " to this machine"
	if c.opts.DockerCLI != "" {
		return c.dockerSave(ctx, repo, tag)
	}
	a, err := c.login(ctx)
	if err != nil {
		return LocalImage{}, nil, err
	}
	cmds := c.CopyCommands(a.host, repo, tag)
	ref, err := parseRef(a.addr, repo, tag)
	if err != nil {
		return LocalImage{}, cmds, err
	}
	opts, rt := c.remoteOptions(ctx, a)
	// The manifest as it is, as docker pull and a retag push keep it: an
	// index stays an index (remote.Image would pick its linux/amd64 image,
	// and find none in an index of arm64 images only).
	desc, err := remote.Get(ref, opts...)
	if err == nil {
		err = writeLayout(dir, desc, repo+":"+tag)
	}
	if err != nil {
		err = c.headDetail(ctx, a, err)
		if o, ok := registryRefusal(err); ok {
			if o.Action == "" {
				o.Action = refusedAction(rt.steps())
			}
			fix := "the registry refused to read " + repo + ":" + tag + " (" + o.Action + "): allow it in the endpoint policy, or run 'down' and start again, which copies it before the endpoints exist"
			if f, ok := c.RefusalFix(o); ok {
				fix = f
			}
			kind := problem.Denied
			if o.By != ByEndpointPolicy {
				kind = problem.Permission // not the lesson's refusal
			}
			return LocalImage{}, cmds, &problem.Error{Kind: kind, Op: op, Code: o.Code, Message: o.Message, Err: err, Fix: fix}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return LocalImage{}, cmds, &problem.Error{Kind: problem.Local, Op: op, Message: err.Error(), Err: err,
				Fix: "check that " + filepath.Dir(dir) + " is writable and has room (or pass --state-dir)"}
		}
		return LocalImage{}, cmds, c.registryError(op, err)
	}
	li, err := OpenLocalImage(dir, repo, tag)
	return li, cmds, err
}

func writeLayout(dir string, desc *remote.Descriptor, ref string) error {
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := appendArtifact(p, desc, layout.WithAnnotations(map[string]string{refAnnotation: ref})); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// appendArtifact adds what desc names to the layout: an index as it is
// (with its images), else the image.
func appendArtifact(p layout.Path, desc *remote.Descriptor, anno layout.Option) error {
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return err
		}
		return p.AppendIndex(idx, anno)
	}
	img, err := desc.Image()
	if err != nil {
		return err
	}
	return p.AppendImage(img, anno)
}

// RemoveLocalImage deletes the local copy (and, with docker, the pushed tag
// left in docker's store, and the copy itself when the lab pulled it). A
// copy already gone is fine. extraTags are other tags of the repository the
// lab made locally (docker tag).
func (c *Cloud) RemoveLocalImage(ctx context.Context, li LocalImage, extraTags ...string) (Command, error) {
	if li.Docker {
		return c.dockerRemove(ctx, li, extraTags)
	}
	if li.Dir == "" {
		return Command{}, nil
	}
	cmd := Command{Args: []string{"rm", "-rf", li.Dir}, Comment: "the lab's local copy of " + li.Ref() + " (what docker rmi does for docker's copy)", Check: true}
	if err := os.RemoveAll(li.Dir); err != nil {
		return cmd, &problem.Error{Kind: problem.Local, Op: "remove the local copy of " + li.Ref(), Message: err.Error(), Err: err, Fix: "remove " + li.Dir + " by hand"}
	}
	_ = os.RemoveAll(li.Dir + ".partial")
	return cmd, nil
}

// PushImage pushes the local copy as repo:tag, as docker push does: it asks
// whether each layer is there already (BatchCheckLayerAvailability), uploads
// the missing ones, then writes the manifest (PutImage). It reads nothing
// from the repository, so only the push's own actions are at stake. A
// refusal is an outcome, not an error.
func (c *Cloud) PushImage(ctx context.Context, li LocalImage, repo, tag string) (PushResult, []Command, error) {
	const op = "push the image"
	var art artifact
	login := c.dockerLogin
	if !li.Docker {
		var err error
		if art, err = layoutArtifact(li.Dir, li.Ref()); err != nil {
			return PushResult{Repository: repo, Tag: tag}, nil, &problem.Error{Kind: problem.NotFound, Op: op, Message: err.Error(), Err: err,
				Fix: "run preflight again: it copies " + li.Ref() + " to this machine"}
		}
		login = c.login
	}
	a, err := login(ctx)
	if err != nil {
		if o, ok := refusal(err, loginAction); ok {
			return PushResult{Outcome: o, Repository: repo, Tag: tag}, nil, nil
		}
		return PushResult{}, nil, err
	}
	res := PushResult{Registry: a.host, Repository: repo, Tag: tag}
	cmds := c.PushCommands(a.host, li, repo, tag)
	if li.Docker {
		return c.dockerPushLocal(ctx, a, li, res, cmds)
	}
	dst, err := parseRef(a.addr, repo, tag)
	if err != nil {
		return res, cmds, err
	}
	if d, err := art.digest(); err == nil {
		res.Digest = d.String()
	}
	opts, rt := c.remoteOptions(ctx, a)
	layers := map[string]bool{}
	err = pushArtifact(ctx, dst, art, opts, layers)
	for _, s := range rt.steps() {
		switch {
		case s.action == "BatchCheckLayerAvailability" && s.status == http.StatusOK && layers[s.digest]:
			res.LayersExisting++
		case s.action == "CompleteLayerUpload" && s.status < 300 && layers[s.digest]:
			res.LayersUploaded++
		}
	}
	if err != nil {
		res.Outcome, err = c.refusedByRegistry(ctx, a, rt, op, err)
		return res, cmds, err
	}
	res.Allowed = true
	return res, cmds, nil
}

// pushArtifact pushes an image, or an index with each of its images (by
// digest) before the index itself (by tag), as a retag push does; layers
// collects the layers' digests.
func pushArtifact(ctx context.Context, dst name.Tag, a artifact, opts []remote.Option, layers map[string]bool) error {
	p, err := remote.NewPusher(opts...)
	if err != nil {
		return err
	}
	if a.idx != nil {
		return pushIndex(ctx, p, dst, dst, a.idx, layers)
	}
	return pushLayout(ctx, p, dst, dst, a.img, layers)
}

// pushIndex pushes the images and indexes an index holds, then the index
// under ref.
func pushIndex(ctx context.Context, p *remote.Pusher, dst name.Tag, ref name.Reference, idx v1.ImageIndex, layers map[string]bool) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, c := range im.Manifests {
		at := dst.Context().Digest(c.Digest.String())
		switch {
		case c.MediaType.IsIndex():
			child, err := idx.ImageIndex(c.Digest)
			if err == nil {
				err = pushIndex(ctx, p, dst, at, child, layers)
			}
			if err != nil {
				return err
			}
		case c.MediaType.IsImage():
			img, err := idx.Image(c.Digest)
			if err == nil {
				err = pushLayout(ctx, p, dst, at, img, layers)
			}
			if err != nil {
				return err
			}
		}
	}
	return p.Put(ctx, ref, idx)
}

// pushLayout uploads the config and the layers the registry lacks, then puts
// the manifest: no manifest HEAD first (go-containerregistry's Write makes
// one, which ECR counts as BatchGetImage; docker push does not).
func pushLayout(ctx context.Context, p *remote.Pusher, dst name.Tag, ref name.Reference, img v1.Image, layers map[string]bool) error {
	cfg, err := partial.ConfigLayer(img)
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		if d, err := l.Digest(); err == nil {
			layers[d.String()] = true
		}
	}
	for _, l := range append(ls, cfg) {
		if err := p.Upload(ctx, dst.Context(), l); err != nil {
			return err
		}
	}
	return p.Put(ctx, ref, img)
}

func loginCommand(region, host string) Command {
	return Command{Shell: "aws ecr get-login-password --region " + region + " \\\n  | docker login --username AWS --password-stdin " + host, Check: true}
}

// dockerCmd is a docker command line. Transcripts write it commented out:
// docker and its images differ from machine to machine.
func dockerCmd(args ...string) Command {
	return Command{Args: append([]string{"docker"}, args...), Check: true}
}

// PushCommands are what a learner types to push the local copy as repo:tag
// to the registry at host.
func (c *Cloud) PushCommands(host string, li LocalImage, repo, tag string) []Command {
	return []Command{
		loginCommand(c.region, host),
		dockerCmd("tag", host+"/"+li.Ref(), host+"/"+repo+":"+tag),
		dockerCmd("push", host+"/"+repo+":"+tag),
	}
}

func (c *Cloud) dockerSave(ctx context.Context, repo, tag string) (LocalImage, []Command, error) {
	a, err := c.dockerLogin(ctx)
	if err != nil {
		return LocalImage{}, nil, err
	}
	src := a.addr + "/" + repo + ":" + tag
	cmds := c.CopyCommands(a.host, repo, tag)
	li := LocalImage{Repository: repo, Tag: tag, Docker: true, Addr: a.addr, Host: a.host}
	// Was it there before? Then it is the learner's, and stays.
	if _, err := c.docker(ctx, "", "image", "inspect", src); err != nil {
		li.Pulled = true
	}
	out, err := c.docker(ctx, "", "pull", src)
	if err != nil {
		if o, ok := dockerDenied(out); ok {
			return LocalImage{}, cmds, &problem.Error{Kind: problem.Denied, Op: "docker pull " + repo + ":" + tag, Code: o.Code, Message: o.Message,
				Fix: "the registry refused to read " + repo + ":" + tag + ": allow it in the endpoint policy (or IAM), or run 'down' and start again"}
		}
		if strings.Contains(out, "no matching manifest for") {
			// An index without this machine's platform (an arm64-only
			// image on an amd64 workspace, say).
			return LocalImage{}, cmds, problem.New(problem.Local, "docker pull", strings.TrimSpace(out),
				repo+":"+tag+" has no image for this machine's platform: run without --docker (the lab then copies the image index as it is), "+
					"or pull it yourself with docker pull --platform linux/arm64 "+a.host+"/"+repo+":"+tag)
		}
		return LocalImage{}, cmds, problem.New(problem.Local, "docker pull", strings.TrimSpace(out), "check that docker is running")
	}
	for _, line := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "Digest: "); ok {
			li.Digest = d
		}
	}
	return li, cmds, nil
}

// dockerPushLocal tags docker's copy as repo:tag and pushes it (logged in).
func (c *Cloud) dockerPushLocal(ctx context.Context, a registryAuth, li LocalImage, res PushResult, cmds []Command) (PushResult, []Command, error) {
	src, dst := a.addr+"/"+li.Ref(), a.addr+"/"+res.Repository+":"+res.Tag
	if out, err := c.docker(ctx, "", "tag", src, dst); err != nil {
		return res, cmds, problem.New(problem.NotFound, "docker tag", strings.TrimSpace(out),
			"docker no longer holds "+li.Ref()+": run preflight again to pull it")
	}
	out, err := c.docker(ctx, "", "push", dst)
	res.LayersExisting = strings.Count(out, "Layer already exists")
	if err != nil {
		if o, ok := dockerDenied(out); ok {
			o.Action = "ecr:PutImage"
			res.Outcome = o
			return res, cmds, nil
		}
		return res, cmds, dockerError("docker push", out, "check that docker is running")
	}
	res.Allowed = true
	return res, cmds, nil
}

func (c *Cloud) dockerRemove(ctx context.Context, li LocalImage, extraTags []string) (Command, error) {
	a, host := li.Addr, li.Host
	var refs, shown []string
	for _, t := range extraTags {
		refs = append(refs, a+"/"+li.Repository+":"+t)
		shown = append(shown, host+"/"+li.Repository+":"+t)
	}
	if li.Pulled {
		refs = append(refs, a+"/"+li.Ref())
		shown = append(shown, host+"/"+li.Ref())
	}
	if len(refs) == 0 {
		return Command{}, nil
	}
	cmd := dockerCmd(append([]string{"rmi"}, shown...)...)
	out, err := c.docker(ctx, "", append([]string{"rmi"}, refs...)...)
	if err != nil && !strings.Contains(strings.ToLower(out), "no such image") {
		return cmd, problem.New(problem.Local, "docker rmi", strings.TrimSpace(out), "remove the images by hand: "+cmd.String())
	}
	return cmd, nil
}
