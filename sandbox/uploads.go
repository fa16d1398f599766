package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Layer uploads are streamed to files under the state directory (a private
// temporary directory for an in-memory world), hashed as they arrive, and
// moved into the blob store once their digest checks out, so a layer of any
// size costs the sandbox a file, never memory.
//
// The limits are Amazon ECR's service quotas
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html):
// a layer is at most 52,000 MiB and is uploaded in at most 4,200 parts;
// every part but the last is at least 5 MiB. ECR's quota page says the part
// quotas apply to its layer-part API, which its registry uses behind a
// chunked push: a client that PATCHes parts under 5 MiB is refused there
// with LayerPartTooSmallException ("All layer parts except the last part
// should be at least 5MB"), while docker, skopeo and crane send a layer in
// one PATCH. A refused or failed part ends the upload (BLOB_UPLOAD_INVALID,
// as the registry API spells an upload that cannot go on), as the layer-part
// API's 400s (LimitExceededException, InvalidLayerPartException) do.
//
// An upload no request has touched for Options.UploadExpiry (default an hour)
// is abandoned: it is removed when the next upload starts, as registries
// purge stale uploads (the Docker distribution registry after a week, where
// disks are bigger than a learner's). Uploads do not outlive the process:
// Start removes those a previous process left.

const (
	// ECRMaxLayerBytes is Amazon ECR's "Maximum layer size", 52,000 MiB.
	ECRMaxLayerBytes int64 = 52000 << 20
	// ecrMaxLayerParts is ECR's "Layer parts" quota.
	ecrMaxLayerParts = 4200
	// ecrMinLayerPart is ECR's "Minimum layer part size", 5 MiB (all parts
	// but the last).
	ecrMinLayerPart int64 = 5 << 20
	// DefaultUploadExpiry is how long an untouched upload lives.
	DefaultUploadExpiry = time.Hour
	// uploadIdle is how long a request may send nothing before it is cut.
	uploadIdle = 2 * time.Minute
)

// uploadStore holds the layer uploads in progress.
type uploadStore struct {
	dir      string
	clock    Clock
	expiry   time.Duration
	maxBytes int64
	// maxParts and minPart are ECR's part quotas (fields so tests can
	// reach them without gigabytes).
	maxParts int
	minPart  int64

	mu sync.Mutex
	m  map[string]*upload
}

// upload is one layer upload in progress.
type upload struct {
	id, repo, path string

	mu       sync.Mutex // one request at a time
	size     int64
	sum      hash.Hash
	parts    int
	lastPart int64

	// guarded by uploadStore.mu
	touched  time.Time
	inFlight int
}

func newUploadStore(dir string, clock Clock, expiry time.Duration, maxBytes int64) (*uploadStore, error) {
	// Uploads a previous process left behind are abandoned: no client can
	// resume them, since their ids were in that process's memory.
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("removing abandoned uploads: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &uploadStore{dir: dir, clock: clock, expiry: expiry, maxBytes: maxBytes, maxParts: ecrMaxLayerParts, minPart: ecrMinLayerPart, m: map[string]*upload{}}, nil
}

var errUploadUnknown = &regError{http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"}

// start begins an upload to repo (and first drops the abandoned ones).
func (st *uploadStore) start(repo string) (*upload, *regError) {
	st.sweep()
	id := newRequestID()
	u := &upload{id: id, repo: repo, path: filepath.Join(st.dir, id), sum: sha256.New()}
	f, err := os.OpenFile(u.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, storageError(err)
	}
	_ = f.Close()
	st.mu.Lock()
	u.touched, u.inFlight = st.clock.Now(), 1
	st.m[id] = u
	st.mu.Unlock()
	return u, nil
}

// get finds an upload of repo and marks it in use; release it when done.
func (st *uploadStore) get(repo, id string) (*upload, *regError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	u := st.m[id]
	if u == nil || u.repo != repo {
		return nil, errUploadUnknown
	}
	u.inFlight++
	u.touched = st.clock.Now()
	return u, nil
}

func (st *uploadStore) release(u *upload) {
	st.mu.Lock()
	defer st.mu.Unlock()
	u.inFlight--
	u.touched = st.clock.Now()
}

// drop ends an upload and removes its file.
func (st *uploadStore) drop(u *upload) {
	st.mu.Lock()
	delete(st.m, u.id)
	st.mu.Unlock()
	_ = os.Remove(u.path)
}

// sweep drops the uploads nobody has touched for the expiry time. They
// leave the map before their files go, so no request can take one up in
// between.
func (st *uploadStore) sweep() {
	now := st.clock.Now()
	st.mu.Lock()
	var stale []string
	for id, u := range st.m {
		if u.inFlight == 0 && now.Sub(u.touched) > st.expiry {
			delete(st.m, id)
			stale = append(stale, u.path)
		}
	}
	st.mu.Unlock()
	for _, p := range stale {
		_ = os.Remove(p)
	}
}

// count is the number of uploads in progress.
func (st *uploadStore) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
}

// appendPart adds a request body to the upload as its next part. Any
// failure ends the upload. A body that turns out empty adds no part.
func (st *uploadStore) appendPart(u *upload, w http.ResponseWriter, r *http.Request) *regError {
	body := &idleReader{r: r.Body, rc: http.NewResponseController(w)}
	var read int64
	// A refusal is read to its end (within reason) before it is answered:
	// a client still sending when the connection closes reports a broken
	// pipe instead of the registry's reason.
	fail := func(e *regError) *regError {
		st.drop(u)
		if body.readErr == nil {
			drain(r, body, read)
		}
		return e
	}
	if r.ContentLength > 0 && u.size+r.ContentLength > st.maxBytes {
		return fail(tooBig(st.maxBytes))
	}
	if r.ContentLength != 0 {
		if u.parts >= st.maxParts {
			return fail(&regError{http.StatusBadRequest, "BLOB_UPLOAD_INVALID", fmt.Sprintf("the layer is sent in more than %d parts, Amazon ECR's limit on layer parts; send it in fewer, larger parts, or in one request", st.maxParts)})
		}
		if u.parts > 0 && u.lastPart < st.minPart {
			return fail(&regError{http.StatusBadRequest, "BLOB_UPLOAD_INVALID", fmt.Sprintf("a layer part of %d bytes was not the last one; Amazon ECR needs every part but the last to be at least %s (LayerPartTooSmallException); send larger parts, or the layer in one request", u.lastPart, byteSize(st.minPart))})
		}
	}
	f, err := os.OpenFile(u.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fail(storageError(err))
	}
	defer f.Close()
	// One byte over the limit tells a body that is too big from one that fits.
	counted := &countingReader{r: io.LimitReader(body, st.maxBytes-u.size+1)}
	n, err := io.Copy(io.MultiWriter(f, u.sum), counted)
	read = counted.n
	switch {
	case body.readErr != nil:
		return fail(&regError{http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "the layer part could not be read (" + body.readErr.Error() + "); start the upload again"})
	case err != nil:
		return fail(storageError(err))
	case u.size+n > st.maxBytes:
		return fail(tooBig(st.maxBytes))
	case r.ContentLength > 0 && n != r.ContentLength:
		return fail(&regError{http.StatusBadRequest, "SIZE_INVALID", fmt.Sprintf("provided length did not match content length: %d bytes arrived, Content-Length said %d", n, r.ContentLength)})
	}
	if n > 0 {
		u.size += n
		u.parts++
		u.lastPart = n
	}
	return nil
}

// drainBudget is how much of a refused body is read and thrown away so
// that its client hears why; a body announcing more is cut off at once.
const drainBudget = 1 << 30

func drain(r *http.Request, body io.Reader, read int64) {
	left := int64(drainBudget)
	if r.ContentLength >= 0 {
		left = r.ContentLength - read
		if left > drainBudget {
			return
		}
	}
	if left > 0 {
		_, _ = io.CopyN(io.Discard, body, left)
	}
}

// countingReader counts what was read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// finish checks the upload against its digest and moves it into the blob
// store; the upload ends either way.
func (st *uploadStore) finish(u *upload, digest string, blobs blobStore) *regError {
	defer st.drop(u)
	if digest == "" {
		return &regError{http.StatusBadRequest, "DIGEST_INVALID", "digest not specified: finish an upload with ?digest=sha256:..."}
	}
	if _, ok := blobs.path(digest); !ok {
		return &regError{http.StatusBadRequest, "DIGEST_INVALID", fmt.Sprintf("invalid digest %q: Amazon ECR takes sha256:<64 hex digits>", digest)}
	}
	if got := "sha256:" + hex.EncodeToString(u.sum.Sum(nil)); got != digest {
		return &regError{http.StatusBadRequest, "DIGEST_INVALID", fmt.Sprintf("provided digest did not match uploaded content: the %d bytes uploaded have digest %s, not %s", u.size, got, digest)}
	}
	if err := blobs.adopt(digest, u.path); err != nil {
		return storageError(err)
	}
	return nil
}

// rangeHeader is the Range the registry API reports for an upload.
func (u *upload) rangeHeader() string {
	if u.size == 0 {
		return "0-0"
	}
	return fmt.Sprintf("0-%d", u.size-1)
}

func tooBig(limit int64) *regError {
	what := "Amazon ECR's maximum layer size"
	if limit != ECRMaxLayerBytes {
		what = "the sandbox's maximum layer size"
	}
	return &regError{http.StatusBadRequest, "BLOB_UPLOAD_INVALID", fmt.Sprintf("the layer exceeds %s of %s; make the layer smaller, for example by spreading its files over several layers", what, byteSize(limit))}
}

// storageError is a 500 for a layer the sandbox could not store.
func storageError(err error) *regError {
	msg := "the sandbox could not store the layer (" + err.Error() + ")"
	if errors.Is(err, syscall.ENOSPC) {
		msg += "; free space in its state directory and push again"
	}
	return &regError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", msg}
}

// idleReader cuts a request that sends nothing for uploadIdle, however long
// the whole upload takes, and remembers a failure to read.
type idleReader struct {
	r       io.Reader
	rc      *http.ResponseController
	readErr error
}

func (b *idleReader) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(uploadIdle))
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.readErr = err
	}
	return n, err
}
