package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ecr-vpce-lab/internal/partition"
)

// The registry: the Docker Registry HTTP API v2 as ECR serves it, on its own
// loopback listener (ECR_REGISTRY). go-containerregistry's registry handles
// pings and blob transfers (its blob handler is the sandbox's blob store);
// manifests and tags are served here from the ImageStore, so a pushed tag is
// at once in ListImages, and BatchGetImage returns what was pushed.
//
// Every request needs ECR-style basic auth (user AWS, the password of
// GetAuthorizationToken); then, when the workspace's requests travel through
// an ecr.dkr endpoint, its policy is evaluated for the ECR action the request
// maps to (blob HEAD BatchCheckLayerAvailability; upload start, part, finish
// InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload; manifest PUT
// PutImage; manifest GET/HEAD BatchGetImage; blob GET GetDownloadUrlForLayer;
// manifest DELETE BatchDeleteImage; tag list ListImages).

// maxManifestBytes is ECR's limit on a manifest.
const maxManifestBytes = 4 << 20

// regError is a registry error as the distribution spec writes it.
type regError struct {
	status        int
	code, message string
}

func (e *regError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": e.code, "message": e.message}}})
	_, _ = w.Write(append(b, '\n'))
}

// regRoute is what a registry request addresses.
type regRoute struct {
	kind string // ping, manifest, blob, upload, tags, catalog, unknown
	repo string
	ref  string // tag or digest of a manifest, digest of a blob, upload id
}

func parseRegistryPath(p string) regRoute {
	if p == "/v2" || p == "/v2/" {
		return regRoute{kind: "ping"}
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return regRoute{kind: "unknown"}
	}
	rest = strings.TrimSuffix(rest, "/")
	el := strings.Split(rest, "/")
	n := len(el)
	switch {
	case n == 1 && el[0] == "_catalog":
		return regRoute{kind: "catalog"}
	case n >= 3 && el[n-2] == "manifests":
		return regRoute{kind: "manifest", repo: strings.Join(el[:n-2], "/"), ref: el[n-1]}
	case n >= 3 && el[n-2] == "blobs" && el[n-1] == "uploads":
		return regRoute{kind: "upload", repo: strings.Join(el[:n-2], "/")}
	case n >= 4 && el[n-3] == "blobs" && el[n-2] == "uploads":
		return regRoute{kind: "upload", repo: strings.Join(el[:n-3], "/"), ref: el[n-1]}
	case n >= 3 && el[n-2] == "blobs":
		return regRoute{kind: "blob", repo: strings.Join(el[:n-2], "/"), ref: el[n-1]}
	case n >= 3 && el[n-2] == "tags" && el[n-1] == "list":
		return regRoute{kind: "tags", repo: strings.Join(el[:n-2], "/")}
	}
	return regRoute{kind: "unknown"}
}

// registryActions maps a request to the ECR actions it performs, in order
// (the first is the one the call is recorded as).
func registryActions(method string, rt regRoute, q map[string][]string) []string {
	switch rt.kind {
	case "blob":
		switch method {
		case http.MethodHead:
			return []string{"BatchCheckLayerAvailability"}
		case http.MethodGet:
			return []string{"GetDownloadUrlForLayer"}
		}
	case "upload":
		switch method {
		case http.MethodPost:
			if len(q["digest"]) > 0 { // a monolithic upload does all three at once
				return []string{"InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload"}
			}
			return []string{"InitiateLayerUpload"}
		case http.MethodPatch, http.MethodGet:
			return []string{"UploadLayerPart"}
		case http.MethodPut:
			return []string{"UploadLayerPart", "CompleteLayerUpload"}
		}
	case "manifest":
		switch method {
		case http.MethodGet, http.MethodHead:
			return []string{"BatchGetImage"}
		case http.MethodPut:
			return []string{"PutImage"}
		case http.MethodDelete:
			return []string{"BatchDeleteImage"}
		}
	case "tags":
		if method == http.MethodGet {
			return []string{"ListImages"}
		}
	}
	return nil
}

// registryServer is the registry's HTTP handler.
type registryServer struct {
	s     *Sandbox
	blobs http.Handler // go-containerregistry's registry
	// public: this listener is the public path, for a machine outside
	// the VPC (principals.go).
	public bool
}

func newRegistryServer(s *Sandbox, public bool) *registryServer {
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithBlobHandler(registryBlobs{s: s}))
	return &registryServer{s: s, blobs: h, public: public}
}

// registryBlobs lets go-containerregistry's registry serve blobs (HEAD and
// GET, ranges included) from the sandbox's blob store, streamed from their
// files. Uploads never reach it: the sandbox takes them itself (uploads.go).
type registryBlobs struct{ s *Sandbox }

func (b registryBlobs) Get(_ context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	f, err := b.s.blobs.open(h.String())
	if err != nil {
		return nil, registry.ErrNotFound
	}
	return f, nil
}

func (b registryBlobs) Stat(_ context.Context, _ string, h v1.Hash) (int64, error) {
	n, ok := b.s.blobs.size(h.String())
	if !ok {
		return 0, registry.ErrNotFound
	}
	return n, nil
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (rs *registryServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s := rs.s
	s.fireOnTest(r.Context())
	// A presigned S3 URL travels the s3 gateway endpoint, which has no
	// security group; everything else meets the ecr.dkr endpoint's, which
	// may drop the connection before the registry sees it.
	if !strings.HasPrefix(r.URL.Path, s3RedirectPath) && s.sgDrops(serviceDKR, rs.public) {
		s.dropConnection(rw, r)
		return
	}
	w := &statusWriter{ResponseWriter: rw}
	rt := parseRegistryPath(r.URL.Path)
	actions := registryActions(r.Method, rt, r.URL.Query())
	call := &apiCall{protocol: "registry", service: "ecr", requestID: newRequestID()}
	if len(actions) > 0 {
		call.action = actions[0]
	}
	code := ""
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.Error("sandbox: panic in the registry", "path", r.URL.Path, "panic", v)
			if w.status == 0 {
				(&regError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "An internal error occurred."}).write(w)
			}
			code = "INTERNAL_SERVER_ERROR"
		}
		if call.action != "" {
			if code == "" && w.status >= 400 && w.status != http.StatusNotFound {
				code = fmt.Sprintf("HTTP%d", w.status)
			}
			s.record(call, code)
			// A request that is several ECR actions at once (a monolithic
			// upload is UploadLayerPart and CompleteLayerUpload) needs each
			// of them: record the others too, unless one was refused.
			if len(actions) > 1 && call.action == actions[0] && code == "" {
				for _, a := range actions[1:] {
					more := *call
					more.action = a
					s.record(&more, code)
				}
			}
		}
	}()
	fail := func(e *regError) {
		code = e.code
		e.write(w)
	}
	if strings.HasPrefix(r.URL.Path, s3RedirectPath) {
		// A presigned S3 URL (layers.go): S3's, not the registry's; it
		// carries its own signature, no registry login.
		rs.serveS3(w, r)
		return
	}
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	if rt.kind != "upload" {
		// Only a manifest carries a body worth reading; uploads have
		// their own limits (uploads.go).
		r.Body = http.MaxBytesReader(w, r.Body, maxManifestBytes+1)
	}

	// Authentication: ECR's basic auth, user AWS, and ECR's answers when it
	// fails (see registryAuthFailure).
	caller, e := s.registryAuthFailure(w, r)
	if e != nil {
		if e.status == http.StatusUnauthorized {
			code = "UNAUTHORIZED"
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "Not Authorized\n")
			return
		}
		fail(e)
		return
	}
	if caller.other {
		// The call is the partner's: the log names the key its token
		// came from, as the API's calls name theirs.
		call.accessKey = s.OtherCredentials().AccessKeyID
	}

	if e := s.faults.registryFault(r.Context()); e != nil {
		fail(e)
		return
	}

	switch rt.kind {
	case "ping":
		rs.blobs.ServeHTTP(w, r)
		return
	case "catalog":
		fail(&regError{http.StatusNotFound, "UNSUPPORTED", "The operation is unsupported: Amazon ECR does not serve the catalog; use 'aws ecr describe-repositories'."})
		return
	case "unknown":
		fail(&regError{http.StatusNotFound, "NOT_FOUND", "404 page not found"})
		return
	}
	if len(actions) == 0 {
		fail(&regError{http.StatusMethodNotAllowed, "UNSUPPORTED", fmt.Sprintf("The operation is unsupported: %s %s.", r.Method, rt.kind)})
		return
	}

	// The caller's own permissions (the DenyActions fault).
	arn := s.repoARN(rt.repo)
	for _, a := range actions {
		if s.opts.Faults.denies("ecr", a) && !caller.other {
			call.action = a
			fail(&regError{http.StatusForbidden, "DENIED", s.deniedAction("ecr", a, rt.repo).Message})
			return
		}
	}

	// The policies the request meets: the endpoint's when it travels
	// through one, the repository's, the caller's own.
	checks := make([]endpointCheck, len(actions))
	for i, a := range actions {
		checks[i] = endpointCheck{action: "ecr:" + a, resource: arn}
	}
	if msg, act := s.authorize(serviceDKR, checks, caller, rs.public); msg != "" {
		call.action = strings.TrimPrefix(act, "ecr:")
		fail(&regError{http.StatusForbidden, "DENIED", msg})
		return
	}

	if !ValidRepositoryName(rt.repo) {
		fail(&regError{http.StatusBadRequest, "NAME_INVALID", fmt.Sprintf("Invalid repository name %q.", rt.repo)})
		return
	}
	exists := false
	s.read(func(w *world) { exists = w.Images.repo(rt.repo) != nil })
	if !exists {
		fail(s.nameUnknown(rt.repo))
		return
	}

	switch rt.kind {
	case "manifest":
		if e := rs.manifest(w, r, rt); e != nil {
			fail(e)
		}
	case "tags":
		if e := rs.tags(w, r, rt); e != nil {
			fail(e)
		}
	case "upload":
		if e := rs.upload(w, r, rt); e != nil {
			fail(e)
		}
	default:
		if r.Method == http.MethodGet {
			// The download itself comes from S3, through the S3 gateway
			// endpoint on the workspace's route (layers.go).
			if msg := s.layerRefusal(caller, rs.public, rt.ref); msg != "" {
				redirectToS3(w, s.opts.Region, rt.ref)
				return
			}
		}
		rs.blobs.ServeHTTP(w, r)
	}
}

// registryAuthFailure answers the Authorization header as ECR does: none
// (or not Basic), 401 with a Basic challenge and a plain-text "Not
// Authorized" (what a client needs to offer its credentials); a password
// ECR did not issue (garbled, another region's or world's) or a user other
// than AWS, 400 DENIED "Your Authorization Token is invalid."; an expired
// token, 403 DENIED "Your authorization token has expired. Reauthenticate
// and try again." An expired token and an endpoint policy's refusal are
// both 403 DENIED: only the sentence tells them apart. No error when the
// request is authenticated: then the principal is whom the token was
// issued to.
func (s *Sandbox) registryAuthFailure(w http.ResponseWriter, r *http.Request) (principal, *regError) {
	user, pw, ok := r.BasicAuth()
	if !ok {
		h := w.Header()
		h.Set("Www-Authenticate", fmt.Sprintf(`Basic realm="https://%s.%s/",service="ecr.amazonaws.com"`, s.opts.Account, hostOf("dkr.ecr", s.opts.Region)))
		h.Set("Content-Type", "text/plain; charset=utf-8")
		return principal{}, &regError{status: http.StatusUnauthorized}
	}
	if user != "AWS" {
		return principal{}, &regError{http.StatusBadRequest, "DENIED", tokenInvalid}
	}
	switch s.registryPasswordProblem(pw) {
	case "":
		return s.registryCaller(pw), nil
	case tokenExpired:
		return principal{}, &regError{http.StatusForbidden, "DENIED", tokenExpired}
	}
	return principal{}, &regError{http.StatusBadRequest, "DENIED", tokenInvalid}
}

// ECR's sentences about the login token.
const (
	tokenInvalid = "Your Authorization Token is invalid."
	tokenExpired = "Your authorization token has expired. Reauthenticate and try again."
)

// registryInternal is a 500; a change the sandbox could not save says why.
func registryInternal(err error) *regError {
	var tl *WorldTooLargeError
	if errors.As(err, &tl) {
		return &regError{http.StatusBadRequest, "DENIED", tl.Error()}
	}
	msg := "An internal error occurred."
	var se *SaveError
	if errors.As(err, &se) {
		msg = se.Error()
	}
	return &regError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", msg}
}

func (s *Sandbox) repoARN(repo string) string {
	return "arn:" + partition.Of(s.opts.Region).ID + ":ecr:" + s.opts.Region + ":" + s.opts.Account + ":repository/" + repo
}

func (s *Sandbox) nameUnknown(repo string) *regError {
	return &regError{http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repo, s.opts.Account)}
}

func (rs *registryServer) manifest(w http.ResponseWriter, r *http.Request, rt regRoute) *regError {
	s := rs.s
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		im, err := s.Images().Manifest(rt.repo, rt.ref)
		switch {
		case errors.Is(err, ErrRepositoryNotFound):
			return s.nameUnknown(rt.repo)
		case err != nil:
			return &regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "Requested image not found"}
		}
		body, mediaType, digest, e := negotiateManifest(im, rt.repo, rt.ref, accepted(r.Header.Values("Accept")))
		if e != nil {
			return e
		}
		h := w.Header()
		h.Set("Content-Type", mediaType)
		h.Set("Docker-Content-Digest", digest)
		h.Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
		return nil

	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestBytes+1))
		if err != nil {
			return &regError{http.StatusBadRequest, "MANIFEST_INVALID", "The manifest could not be read: " + err.Error()}
		}
		if len(body) > maxManifestBytes {
			return &regError{http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Sprintf("The manifest is larger than %s, Amazon ECR's limit on an image manifest.", byteSize(maxManifestBytes))}
		}
		tag, digest := rt.ref, ""
		if strings.Contains(rt.ref, ":") {
			tag, digest = "", rt.ref
		}
		mediaType := r.Header.Get("Content-Type")
		if i := strings.IndexByte(mediaType, ';'); i >= 0 {
			mediaType = strings.TrimSpace(mediaType[:i])
		}
		if mediaType == "application/json" || mediaType == "application/octet-stream" {
			mediaType = ""
		}
		var stored Image
		err = s.mutate(func(w *world, now time.Time) error {
			im, err := w.Images.putImage(rt.repo, tag, mediaType, body, digest, now, s.blobs.has)
			if errors.Is(err, ErrImageExists) {
				// Pushing what is already there succeeds, as in ECR.
				im = w.Images.repo(rt.repo).image(Digest(body))
				err = nil
			}
			if err != nil {
				return err
			}
			stored = im.public(rt.repo)
			return nil
		})
		switch {
		case err == nil:
		case errors.Is(err, ErrRepositoryNotFound):
			return s.nameUnknown(rt.repo)
		case errors.Is(err, ErrTagImmutable):
			return &regError{http.StatusBadRequest, "TAG_INVALID", fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, rt.repo)}
		case errors.Is(err, ErrLayersNotFound):
			return &regError{http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry: " + strings.TrimPrefix(err.Error(), ErrLayersNotFound.Error()+": ")}
		case errors.Is(err, ErrDigestMismatch):
			return &regError{http.StatusBadRequest, "DIGEST_INVALID", fmt.Sprintf("The digest of the manifest %s does not match %s.", Digest(body), digest)}
		case errors.Is(err, ErrInvalidManifest):
			return &regError{http.StatusBadRequest, "MANIFEST_INVALID", "manifest invalid: " + strings.TrimPrefix(err.Error(), ErrInvalidManifest.Error()+": ")}
		default:
			return registryInternal(err)
		}
		w.Header().Set("Location", "/v2/"+rt.repo+"/manifests/"+stored.Digest)
		w.Header().Set("Docker-Content-Digest", stored.Digest)
		w.WriteHeader(http.StatusCreated)
		return nil

	case http.MethodDelete:
		if !strings.HasPrefix(rt.ref, "sha256:") {
			return &regError{http.StatusBadRequest, "UNSUPPORTED", "Delete a manifest by its digest, or use 'aws ecr batch-delete-image' for tags."}
		}
		err := s.mutate(func(w *world, _ time.Time) error {
			_, err := w.Images.deleteImage(rt.repo, rt.ref, "")
			return err
		})
		switch {
		case errors.Is(err, ErrImageNotFound), errors.Is(err, ErrRepositoryNotFound):
			return &regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "Requested image not found"}
		case err != nil:
			return registryInternal(err)
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	return &regError{http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported."}
}

// upload serves the blob upload API: start (POST, or a monolithic POST with
// ?digest=), parts (PATCH), finish (PUT ?digest=, with an optional last
// part) and status (GET). (A DELETE, which ECR's actions have no name for,
// is refused before it gets here; the upload then expires.)
func (rs *registryServer) upload(w http.ResponseWriter, r *http.Request, rt regRoute) *regError {
	st := rs.s.uploads
	digest := r.URL.Query().Get("digest")
	accepted := func(u *upload) {
		h := w.Header()
		h.Set("Location", "/v2/"+rt.repo+"/blobs/uploads/"+u.id)
		h.Set("Range", u.rangeHeader())
		h.Set("Docker-Upload-UUID", u.id)
	}
	created := func() {
		w.Header().Set("Location", "/v2/"+rt.repo+"/blobs/"+digest)
		w.Header().Set("Docker-Content-Digest", digest)
		w.WriteHeader(http.StatusCreated)
	}
	if r.Method == http.MethodPost {
		if rt.ref != "" {
			return &regError{http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported: POST to an upload; PATCH or PUT it."}
		}
		u, e := st.start(rt.repo)
		if e != nil {
			return e
		}
		defer st.release(u)
		if digest == "" {
			accepted(u)
			w.WriteHeader(http.StatusAccepted)
			return nil
		}
		u.mu.Lock()
		defer u.mu.Unlock()
		if e := st.appendPart(u, w, r); e != nil {
			return e
		}
		if e := st.finish(u, digest, rs.s.blobs); e != nil {
			return e
		}
		created()
		return nil
	}
	u, e := st.get(rt.repo, rt.ref)
	if e != nil {
		return e
	}
	defer st.release(u)
	u.mu.Lock()
	defer u.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		accepted(u)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		if cr := r.Header.Get("Content-Range"); cr != "" {
			var start, end int64
			if _, err := fmt.Sscanf(strings.TrimPrefix(cr, "bytes="), "%d-%d", &start, &end); err != nil || start != u.size || end < start {
				w.Header().Set("Range", u.rangeHeader())
				return &regError{http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", fmt.Sprintf("Content-Range %q does not continue the upload, which has %d bytes", cr, u.size)}
			}
		}
		if e := st.appendPart(u, w, r); e != nil {
			return e
		}
		accepted(u)
		w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		if e := st.appendPart(u, w, r); e != nil {
			return e
		}
		if e := st.finish(u, digest, rs.s.blobs); e != nil {
			return e
		}
		created()
	default:
		return &regError{http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported: " + r.Method + " on an upload."}
	}
	return nil
}

func (rs *registryServer) tags(w http.ResponseWriter, r *http.Request, rt regRoute) *regError {
	images, err := rs.s.Images().Images(rt.repo)
	if err != nil {
		return rs.s.nameUnknown(rt.repo)
	}
	tags := []string{}
	for _, im := range images {
		tags = append(tags, im.Tags...)
	}
	slices.Sort(tags)
	if last := r.URL.Query().Get("last"); last != "" {
		i, _ := slices.BinarySearch(tags, last)
		for i < len(tags) && tags[i] <= last {
			i++
		}
		tags = tags[i:]
	}
	if n := r.URL.Query().Get("n"); n != "" {
		var k int
		if _, err := fmt.Sscan(n, &k); err != nil || k < 0 {
			return &regError{http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested"}
		}
		if k < len(tags) {
			tags = tags[:k]
		}
	}
	b, _ := json.Marshal(map[string]any{"name": rt.repo, "tags": tags})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
