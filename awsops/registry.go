package awsops

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"ecr-vpce-lab/internal/partition"
	"ecr-vpce-lab/internal/problem"
)

// Outcome is whether AWS let an operation through, with its own words.
type Outcome struct {
	Allowed bool `json:"allowed"`
	// Code is the refusal's code (DENIED, AccessDeniedException).
	Code string `json:"code,omitempty"`
	// Message is the registry's or the API's refusal text, verbatim.
	Message string `json:"message,omitempty"`
	// Action is the ECR action that was refused, when known.
	Action string `json:"action,omitempty"`
	// Request is the refused request ("HEAD /v2/REPO/blobs/DIGEST") when
	// the refusal came without the service's words: the answer to a HEAD
	// request has no body, so Code is only the HTTP status and Message is
	// empty.
	Request string `json:"request,omitempty"`
	// By is what refused, as AWS's sentence names it (ByEndpointPolicy,
	// ByIdentityPolicy, ByResourcePolicy, ByS3Gateway, another policy
	// type), "" when it names nothing.
	By string `json:"by,omitempty"`
}

// Image is one image of a repository.
type Image struct {
	Tag    string `json:"imageTag,omitempty"`
	Digest string `json:"imageDigest"`
}

// ListResult is the outcome of listing a repository's images.
type ListResult struct {
	Outcome
	Repository string  `json:"repository"`
	Images     []Image `json:"images"`
}

// ByTag is the images in tag order (a copy; untagged first).
func (r ListResult) ByTag() []Image {
	return slices.SortedStableFunc(slices.Values(r.Images), func(a, b Image) int { return strings.Compare(a.Tag, b.Tag) })
}

// PushResult is the outcome of a push.
type PushResult struct {
	Outcome
	// Registry is the registry host the lab names (ACCOUNT.dkr.ecr...).
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"`
	// LayersExisting counts blobs the registry already had ("Layer already
	// exists"), LayersUploaded those sent.
	LayersExisting int `json:"layersExisting"`
	LayersUploaded int `json:"layersUploaded"`
}

// PullResult is the outcome of a pull.
type PullResult struct {
	Outcome
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"`
	Layers     int    `json:"layers"`
	Bytes      int64  `json:"bytes"`
	// Platform is the image pulled from an index (linux/arm64).
	Platform string `json:"platform,omitempty"`
}

// RegistryHost is the registry's name as the lab writes it: the one AWS
// gave (ProxyEndpoint, or the ecr.dkr service's private DNS name), else
// ACCOUNT.dkr.ecr.REGION and the partition's DNS suffix.
func (c *Cloud) RegistryHost(account string) string {
	c.mu.Lock()
	h := c.names.Registry
	c.mu.Unlock()
	if h != "" && strings.HasPrefix(h, account+".") {
		return h
	}
	return account + ".dkr.ecr." + c.region + "." + partition.Named(c.Partition()).DNSSuffix
}

// ECRAPIHost is the ECR API's host name: the ecr.api service's private DNS
// name, else api.ecr.REGION and the partition's DNS suffix.
func (c *Cloud) ECRAPIHost() string {
	c.mu.Lock()
	h := c.names.API
	c.mu.Unlock()
	if h != "" {
		return h
	}
	return "api.ecr." + c.region + "." + partition.Named(c.Partition()).DNSSuffix
}

// ListImagesCommand is ListImages's AWS CLI equivalent.
func (c *Cloud) ListImagesCommand(repo string) Command {
	return awsCmd(c.region, "ecr", "list-images", "--repository-name", repo)
}

// ListImages lists a repository's images through the ECR API (the api
// endpoint). A refusal by an endpoint policy is an outcome, not an error.
func (c *Cloud) ListImages(ctx context.Context, repo string) (ListResult, Command, error) {
	cmd := c.ListImagesCommand(repo)
	res := ListResult{Repository: repo, Images: []Image{}}
	p := ecr.NewListImagesPaginator(c.ecr, &ecr.ListImagesInput{RepositoryName: aws.String(repo)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if deny, ok := refusal(err, "ecr:ListImages"); ok {
				res.Outcome = deny
				return res, cmd, nil
			}
			return res, cmd, c.classify("list the images of "+repo, err)
		}
		for _, id := range page.ImageIds {
			res.Images = append(res.Images, Image{Tag: aws.ToString(id.ImageTag), Digest: aws.ToString(id.ImageDigest)})
		}
	}
	res.Allowed = true
	return res, cmd, nil
}

// loginAction is what a registry login asks for; a refused login is a
// refusal of it, whatever the client went on to do.
const loginAction = "ecr:GetAuthorizationToken"

// refusal recognises an API refusal (AccessDeniedException) of action.
func refusal(err error, action string) (Outcome, bool) {
	e, _ := classify("", err).(*problem.Error)
	if e != nil && e.Kind == problem.Permission {
		return Outcome{Code: e.Code, Message: e.Message, By: refuserOf(e.Message), Action: action}, true
	}
	return Outcome{}, false
}

// Repository describes whether the lab's repository is ready.
type Repository struct {
	Name   string `json:"name"`
	Exists bool   `json:"exists"`
	URI    string `json:"uri,omitempty"`
	// HasTag reports whether the tag asked about exists.
	HasTag bool `json:"hasTag"`
}

// DescribeRepository reports whether repo exists and holds tag.
func (c *Cloud) DescribeRepository(ctx context.Context, repo, tag string) (Repository, error) {
	r := Repository{Name: repo}
	out, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
	if err != nil {
		if CodeOf(err) == "RepositoryNotFoundException" {
			return r, nil
		}
		return r, c.classify("look for the repository "+repo, err)
	}
	if len(out.Repositories) == 0 {
		return r, nil
	}
	r.Exists, r.URI = true, aws.ToString(out.Repositories[0].RepositoryUri)
	if tag == "" {
		return r, nil
	}
	im, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
	switch {
	case CodeOf(err) == "ImageNotFoundException":
	case err != nil:
		return r, c.classify("look for "+repo+":"+tag, err)
	default:
		r.HasTag = len(im.ImageDetails) > 0
	}
	return r, nil
}

// CreateRepository creates a repository; one that exists is fine.
func (c *Cloud) CreateRepository(ctx context.Context, repo string) (Command, error) {
	cmd := awsCmd(c.region, "ecr", "create-repository", "--repository-name", repo)
	_, err := c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)})
	if err != nil && CodeOf(err) != "RepositoryAlreadyExistsException" {
		return cmd, c.classify("create the repository "+repo, err)
	}
	return cmd, nil
}

// DeleteImageTag removes a tag from a repository (the image goes when its
// last tag does); a tag already gone is fine.
func (c *Cloud) DeleteImageTag(ctx context.Context, repo, tag string) (Command, error) {
	cmd := awsCmd(c.region, "ecr", "batch-delete-image", "--repository-name", repo, "--image-ids", "imageTag="+tag)
	out, err := c.ecr.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
	if err != nil {
		if problem.KindOf(c.classify("", err)) == problem.NotFound {
			return cmd, nil
		}
		return cmd, c.classify("delete "+repo+":"+tag, err)
	}
	for _, f := range out.Failures {
		if f.FailureCode == ecrtypes.ImageFailureCodeImageNotFound || f.FailureCode == ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest {
			continue
		}
		return cmd, &problem.Error{Kind: problem.Unknown, Op: "delete " + repo + ":" + tag, Code: string(f.FailureCode), Message: aws.ToString(f.FailureReason),
			Fix: "delete the tag by hand: " + c.Runnable(cmd)}
	}
	return cmd, nil
}

// registryAuth is a registry login.
type registryAuth struct {
	host     string // the registry's name (ACCOUNT.dkr.ecr.REGION.amazonaws.com)
	addr     string // where to connect (host, or the override)
	user     string
	password string
}

// login fetches a registry token with ecr:GetAuthorizationToken.
func (c *Cloud) login(ctx context.Context) (registryAuth, error) {
	in := &ecr.GetAuthorizationTokenInput{}
	if c.opts.RegistryID != "" {
		in.RegistryIds = []string{c.opts.RegistryID}
	}
	out, err := c.ecr.GetAuthorizationToken(ctx, in)
	if err != nil {
		return registryAuth{}, c.classify("log in to the registry (ecr get-login-password)", err)
	}
	if len(out.AuthorizationData) == 0 {
		return registryAuth{}, problem.New(problem.Server, "log in to the registry", "GetAuthorizationToken returned no token", "run the command again")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return registryAuth{}, problem.New(problem.Server, "log in to the registry", "the registry token is not base64: "+err.Error(), "run the command again")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return registryAuth{}, problem.New(problem.Server, "log in to the registry", "the registry token has no user:password form", "run the command again")
	}
	host := strings.TrimPrefix(strings.TrimPrefix(aws.ToString(d.ProxyEndpoint), "https://"), "http://")
	host = strings.TrimSuffix(host, "/")
	a := registryAuth{host: host, addr: host, user: user, password: pass}
	if c.opts.RegistryID == "" {
		c.noteRegistry(host)
	}
	if c.opts.RegistryAddr != "" {
		a.addr = c.opts.RegistryAddr
	} else if c.opts.LoopbackOnly {
		return registryAuth{}, problem.New(problem.Invalid, "log in to the registry", "no registry address is known for the sandbox",
			"the sandbox in use serves no registry yet: update it, or pass its ECR_REGISTRY")
	}
	if a.host == "" {
		a.host = a.addr
	}
	return a, nil
}

// regStep is one registry request as the observer sees it.
type regStep struct {
	action string
	status int
	// digest is the blob a blob request is about ("" for others).
	digest string
}

// blobDigest names the blob of a registry request: the path's last element
// for /blobs/DIGEST, the digest parameter for a finished upload.
func blobDigest(r *http.Request) string {
	if d := r.URL.Query().Get("digest"); d != "" {
		return d
	}
	if i := strings.LastIndex(r.URL.Path, "/blobs/"); i >= 0 && !strings.Contains(r.URL.Path, "/blobs/uploads") {
		return r.URL.Path[i+len("/blobs/"):]
	}
	return ""
}

// regTransport reports registry requests to the observer, named by the ECR
// action each one maps to, and remembers them for the operation.
type regTransport struct {
	c    *Cloud
	base http.RoundTripper
	mu   sync.Mutex
	log  []regStep
}

func registryAction(method, path string) string {
	switch {
	case strings.HasSuffix(path, "/v2/") || path == "/v2":
		return "Ping"
	case strings.Contains(path, "/blobs/uploads"):
		switch method {
		case http.MethodPost:
			return "InitiateLayerUpload"
		case http.MethodPatch:
			return "UploadLayerPart"
		case http.MethodPut:
			return "CompleteLayerUpload"
		}
	case strings.Contains(path, "/blobs/"):
		if method == http.MethodHead {
			return "BatchCheckLayerAvailability"
		}
		return "GetDownloadUrlForLayer"
	case strings.Contains(path, "/manifests/"):
		if method == http.MethodPut {
			return "PutImage"
		}
		return "BatchGetImage"
	}
	return method + " " + path
}

func (t *regTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	action := registryAction(r.Method, r.URL.Path)
	resp, err := t.base.RoundTrip(r)
	status := 0
	code := ""
	if resp != nil {
		status = resp.StatusCode
		if status >= 400 {
			code = http.StatusText(status)
		}
	}
	t.mu.Lock()
	t.log = append(t.log, regStep{action: action, status: status, digest: blobDigest(r)})
	t.mu.Unlock()
	call := Call{Service: "registry", Operation: action, Start: start, Duration: time.Since(start), Err: err, Code: code}
	if retryableStatus(status) {
		// The registry client tries this request again: count it as a
		// retry, as the SDK's calls count theirs.
		call.Retries = 1
	}
	if t.c.opts.Observer != nil {
		t.c.opts.Observer(call)
	}
	return resp, err
}

// registryRetryCodes are the registry answers worth another attempt:
// throttling and server errors.
var registryRetryCodes = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

func retryableStatus(status int) bool {
	for _, c := range registryRetryCodes {
		if status == c {
			return true
		}
	}
	return false
}

// registryBackoff is how the registry client retries: as many attempts as
// the API calls get, waiting from 1 s growing by half each time against AWS
// (about a minute in all), and from 10 ms against the sandbox (a third of a
// second in all). No Cap: reaching it would end the retries.
func (c *Cloud) registryBackoff() remote.Backoff {
	if c.opts.LoopbackOnly {
		return remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: RetryAttempts}
	}
	return remote.Backoff{Duration: time.Second, Factor: 1.5, Jitter: 0.2, Steps: RetryAttempts}
}

func (t *regTransport) steps() []regStep {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]regStep(nil), t.log...)
}

func (c *Cloud) remoteOptions(ctx context.Context, a registryAuth) ([]remote.Option, *regTransport) {
	rt := &regTransport{c: c, base: c.http.Transport}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(rt),
		remote.WithAuth(&authn.Basic{Username: a.user, Password: a.password}),
		remote.WithJobs(4),
		remote.WithRetryBackoff(c.registryBackoff()),
		remote.WithRetryStatusCodes(registryRetryCodes...),
	}, rt
}

func parseRef(addr, repo, tag string) (name.Tag, error) {
	t, err := name.NewTag(addr + "/" + repo + ":" + tag)
	if err != nil {
		return name.Tag{}, problem.New(problem.Invalid, "name the image", err.Error(), "check --repo: lowercase letters, digits, '/', '-', '_' and '.'")
	}
	return t, nil
}

// registryRefusal turns a registry error into an outcome when it is a
// refusal (403 / DENIED), keeping the message verbatim.
func registryRefusal(err error) (Outcome, bool) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return Outcome{}, false
	}
	if o, ok := s3Refusal(te); ok {
		return o, true
	}
	if te.StatusCode != http.StatusForbidden && !hasCode(te, transport.DeniedErrorCode) {
		return Outcome{}, false
	}
	o := Outcome{Code: string(transport.DeniedErrorCode)}
	switch {
	case len(te.Errors) > 0:
		o.Code, o.Message = string(te.Errors[0].Code), te.Errors[0].Message
	case te.Request != nil && te.Request.Method == http.MethodHead:
		// No body, so no code and no sentence: only the status and the
		// request are known (go-containerregistry's "HEAD responses have
		// no body, use GET for details" explains nothing to a learner).
		o.Code = fmt.Sprint(te.StatusCode)
		o.Request = http.MethodHead + " " + te.Request.URL.Path
	default:
		o.Message = te.Error()
	}
	if tokenProblem("", o.Message, nil) != nil {
		return Outcome{}, false // the login token, not a policy
	}
	o.By = refuserOf(o.Message)
	return o, true
}

// headDetail finds out whether a refused HEAD was refused for the login
// token: a HEAD answer has no body, so a 403 to one (every request, once
// the token expired) carries no reason. The same URL is asked with GET,
// whose refusal has the body. err is returned, with ECR's sentence about
// the token added when that was the reason.
func (c *Cloud) headDetail(ctx context.Context, a registryAuth, err error) error {
	var te *transport.Error
	if !errors.As(err, &te) || te.Request == nil || te.Request.Method != http.MethodHead || len(te.Errors) > 0 ||
		(te.StatusCode != http.StatusForbidden && te.StatusCode != http.StatusBadRequest) {
		return err
	}
	req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, te.Request.URL.String(), nil)
	if rerr != nil {
		return err
	}
	req.SetBasicAuth(a.user, a.password)
	resp, rerr := c.http.Do(req)
	if rerr != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return err // allowed to read, refused to check: no sentence to add
	}
	var body struct {
		Errors []transport.Diagnostic `json:"errors"`
	}
	// Only a sentence about the token is taken over: a policy's refusal of
	// the GET would name another action than the HEAD's.
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil && len(body.Errors) > 0 &&
		tokenProblem("", body.Errors[0].Message, nil) != nil {
		te.Errors = body.Errors
	}
	return err
}

// tokenProblem recognises ECR's answers about the login token itself, which
// come as DENIED like a policy's refusal (an expired token 403, a token it
// did not issue 400) and are told apart only by their sentence; nil when msg
// is not one of them.
func tokenProblem(op, msg string, err error) *problem.Error {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "authorization token has expired"):
		return &problem.Error{Kind: problem.ExpiredCredentials, Op: op, Code: string(transport.DeniedErrorCode), Message: msg, Err: err,
			Fix: "the registry login expired (a token lasts 12 hours, or only as long as the temporary credentials it came from): run the command again to log in afresh"}
	case strings.Contains(m, "authorization token is invalid"):
		return &problem.Error{Kind: problem.InvalidCredentials, Op: op, Code: string(transport.DeniedErrorCode), Message: msg, Err: err,
			Fix: "the registry did not accept the login token: it must come from 'aws ecr get-login-password' for this registry's region and account; run the command again"}
	}
	return nil
}

func hasCode(te *transport.Error, code transport.ErrorCode) bool {
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

// refusedByRegistry sorts a failed registry call: a refusal is its outcome
// (naming the refused action from what the client sent when the registry
// does not say), anything else an error of op.
func (c *Cloud) refusedByRegistry(ctx context.Context, a registryAuth, rt *regTransport, op string, err error) (Outcome, error) {
	err = c.headDetail(ctx, a, err)
	if o, ok := registryRefusal(err); ok {
		if o.Action == "" {
			o.Action = refusedAction(rt.steps())
		}
		return o, nil
	}
	return Outcome{}, c.registryError(op, err)
}

// registryError is the problem of a failed registry request of op. A
// throttling or server answer the client retries came after every attempt
// of its backoff (registryBackoff), and says how many.
func (c *Cloud) registryError(op string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		msg := te.Error()
		if len(te.Errors) > 0 {
			msg = te.Errors[0].String()
			if p := tokenProblem(op, te.Errors[0].Message, err); p != nil {
				p.Fix = c.RunnableText(p.Fix)
				return p
			}
		}
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return &problem.Error{Kind: problem.InvalidCredentials, Op: op, Code: "UNAUTHORIZED", Message: msg, Err: err,
				Fix: "the registry asked for a login the lab did not give: run the command again; if it persists, check ECR_REGISTRY and --region"}
		case http.StatusNotFound:
			return &problem.Error{Kind: problem.NotFound, Op: op, Code: "NOT_FOUND", Message: msg, Err: err,
				Fix: "the repository or tag does not exist: pass --create-repo to 'up', or push the tag first"}
		case http.StatusTooManyRequests:
			fix, _ := outOfRetries(problem.Throttled, "the registry", c.registryBackoff().Steps)
			return &problem.Error{Kind: problem.Throttled, Op: op, Code: "TOOMANYREQUESTS", Message: msg, Err: err, Fix: fix}
		}
		if te.StatusCode >= 500 {
			fix := serverFix
			if retryableStatus(te.StatusCode) {
				fix, _ = outOfRetries(problem.Server, "the registry", c.registryBackoff().Steps)
			}
			return &problem.Error{Kind: problem.Server, Op: op, Code: fmt.Sprint(te.StatusCode), Message: msg, Err: err, Fix: fix}
		}
		return &problem.Error{Kind: problem.Unknown, Op: op, Code: fmt.Sprint(te.StatusCode), Message: msg, Err: err,
			Fix: "run the command again with --verbose to see every registry request"}
	}
	return c.classify(op, err)
}

// refusedAction names the ECR action the registry refused, from the
// operation's requests.
func refusedAction(steps []regStep) string {
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].status == http.StatusForbidden {
			return "ecr:" + steps[i].action
		}
	}
	return ""
}

// PullCommands are what a learner types to pull repo:tag from the registry
// at host: a login, then docker pull (with the docker CLI, whose login the
// lab made already, the pull alone).
func (c *Cloud) PullCommands(host, repo, tag string) []Command {
	if c.opts.DockerCLI != "" {
		return []Command{dockerCmd("pull", host+"/"+repo+":"+tag)}
	}
	return c.CopyCommands(host, repo, tag)
}

// Pull pulls REPO:tag: its manifest, then every layer. A refusal is an
// outcome, not an error.
func (c *Cloud) Pull(ctx context.Context, repo, tag string) (PullResult, []Command, error) {
	if c.opts.DockerCLI != "" {
		return c.dockerPull(ctx, repo, tag)
	}
	a, err := c.login(ctx)
	if err != nil {
		if o, ok := refusal(err, loginAction); ok {
			return PullResult{Outcome: o, Repository: repo, Tag: tag}, nil, nil
		}
		return PullResult{}, nil, err
	}
	res := PullResult{Registry: a.host, Repository: repo, Tag: tag}
	cmds := c.PullCommands(a.host, repo, tag)
	ref, err := parseRef(a.addr, repo, tag)
	if err != nil {
		return res, cmds, err
	}
	opts, rt := c.remoteOptions(ctx, a)
	deny := func(err error) (PullResult, []Command, error) {
		res.Outcome, err = c.refusedByRegistry(ctx, a, rt, "pull "+repo+":"+tag, err)
		return res, cmds, err
	}
	// The manifest as it is; for an index (a multi-platform image), one of
	// its images is pulled, as docker pulls the one for its platform.
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return deny(err)
	}
	res.Digest = desc.Digest.String()
	var img v1.Image
	if desc.MediaType.IsIndex() {
		img, res.Platform, err = pickImage(desc)
	} else {
		img, err = desc.Image()
	}
	if err != nil {
		return deny(err)
	}
	layers, err := img.Layers()
	if err != nil {
		return deny(err)
	}
	for _, l := range layers {
		n, err := readLayer(l)
		if err != nil {
			return deny(err)
		}
		res.Layers++
		res.Bytes += n
	}
	res.Allowed = true
	return res, cmds, nil
}

// pickImage chooses the image of an index to pull: this machine's
// platform (linux/ARCH) when the index has it, else its first image (the
// pull proves what the policy lets through, not that the image runs here).
// It returns the image and the platform pulled.
func pickImage(desc *remote.Descriptor) (v1.Image, string, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, "", err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	var pick *v1.Descriptor
	for i, m := range im.Manifests {
		if !m.MediaType.IsImage() || (m.Platform != nil && m.Platform.OS == "unknown") {
			continue // attestations are stored as unknown/unknown images
		}
		if pick == nil || (m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH) {
			pick = &im.Manifests[i]
		}
	}
	if pick == nil {
		return nil, "", fmt.Errorf("the image index %s holds no image", desc.Digest)
	}
	img, err := idx.Image(pick.Digest)
	platform := ""
	if pick.Platform != nil {
		platform = pick.Platform.String()
	}
	return img, platform, err
}

func readLayer(l v1.Layer) (int64, error) {
	rc, err := l.Compressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}

// SeedImage pushes a small image as REPO:tag, for an account whose lab
// repository is missing or empty (the workshop's earlier chapter pushes
// alpine there).
func (c *Cloud) SeedImage(ctx context.Context, repo, tag string) ([]Command, error) {
	a, err := c.login(ctx)
	if err != nil {
		return nil, err
	}
	cmds := []Command{
		loginCommand(c.region, a.host),
		dockerCmd("pull", "alpine:latest"),
		dockerCmd("tag", "alpine:latest", a.host+"/"+repo+":"+tag),
		dockerCmd("push", a.host+"/"+repo+":"+tag),
	}
	ref, err := parseRef(a.addr, repo, tag)
	if err != nil {
		return cmds, err
	}
	img, err := random.Image(2048, 1)
	if err != nil {
		return cmds, problem.New(problem.Local, "build a small image", err.Error(), "run the command again")
	}
	opts, _ := c.remoteOptions(ctx, a)
	if err := remote.Write(ref, img, opts...); err != nil {
		err = c.headDetail(ctx, a, err)
		if o, ok := registryRefusal(err); ok {
			return cmds, &problem.Error{Kind: problem.Denied, Op: "push " + repo + ":" + tag, Code: o.Code, Message: o.Message,
				Fix: "an endpoint policy refuses the push: create the image before the endpoints, or run 'down' first"}
		}
		return cmds, c.registryError("push "+repo+":"+tag, err)
	}
	return cmds, nil
}

// docker runs the docker CLI, returning its combined output.
func (c *Cloud) docker(ctx context.Context, stdin string, args ...string) (string, error) {
	start := time.Now()
	cmd := exec.CommandContext(ctx, c.opts.DockerCLI, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	c.note("docker", strings.Join(args[:1], " "), start, err, "")
	return out.String(), err
}

// dockerDenied finds the "denied: ..." line docker prints for a refusal
// (not one about the login token: see dockerError).
func dockerDenied(out string) (Outcome, bool) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if msg, ok := strings.CutPrefix(line, "denied: "); ok && tokenProblem("", msg, nil) == nil {
			return Outcome{Code: "DENIED", Message: msg, By: refuserOf(msg)}, true
		}
	}
	return Outcome{}, false
}

// dockerError is a failed docker command's error: the login token's
// problem when docker printed one, else what it printed.
func dockerError(op, out, fix string) error {
	for _, line := range strings.Split(out, "\n") {
		_, msg, ok := strings.Cut(strings.TrimSpace(line), "denied: ")
		if p := tokenProblem(op, msg, nil); ok && p != nil {
			return p
		}
	}
	return problem.New(problem.Local, op, strings.TrimSpace(out), fix)
}

func (c *Cloud) dockerLogin(ctx context.Context) (registryAuth, error) {
	a, err := c.login(ctx)
	if err != nil {
		return a, err
	}
	if out, err := c.docker(ctx, a.password, "login", "--username", a.user, "--password-stdin", a.addr); err != nil {
		return a, problem.New(problem.InvalidCredentials, "docker login", strings.TrimSpace(out), "check that docker is running and can reach the registry")
	}
	return a, nil
}

func (c *Cloud) dockerPull(ctx context.Context, repo, tag string) (PullResult, []Command, error) {
	a, err := c.dockerLogin(ctx)
	if err != nil {
		return PullResult{}, nil, err
	}
	res := PullResult{Registry: a.host, Repository: repo, Tag: tag}
	cmds := c.PullCommands(a.host, repo, tag)
	out, err := c.docker(ctx, "", "pull", a.addr+"/"+repo+":"+tag)
	if err != nil {
		if o, ok := dockerDenied(out); ok {
			res.Outcome = o
			return res, cmds, nil
		}
		return res, cmds, dockerError("docker pull", out, "check that docker is running")
	}
	for _, line := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "Digest: "); ok {
			res.Digest = d
		}
	}
	res.Allowed = true
	return res, cmds, nil
}
