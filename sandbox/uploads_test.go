package sandbox

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// layerData is n reproducible, incompressible bytes.
func layerData(seed byte, n int64) io.Reader {
	var s [32]byte
	s[0] = seed
	return io.LimitReader(rand.NewChaCha8(s), n)
}

func layerDigest(t testing.TB, seed byte, n int64) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, layerData(seed, n)); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// regClient sends registry requests with a valid login.
type regClient struct {
	t    testing.TB
	base string
	pw   string
}

func newRegClient(t testing.TB, sb *Sandbox) *regClient {
	t.Helper()
	pw, err := registryLogin(t, newClients(sb, nil))
	must(t, "login", err)
	return &regClient{t: t, base: "http://" + sb.RegistryAddr(), pw: pw}
}

// regAnswer is a registry response, its body read.
type regAnswer struct {
	status int
	header http.Header
	body   string
}

// code is the registry error code of the answer ("" when none).
func (a regAnswer) code() string {
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if json.Unmarshal([]byte(a.body), &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// do sends one request; size is the Content-Length (-1: chunked).
func (c *regClient) do(method, path string, body io.Reader, size int64, header ...string) regAnswer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	must(c.t, "request", err)
	if body != nil {
		req.ContentLength = size
		if size < 0 {
			// Hide the length so the request goes chunked.
			req.Body = io.NopCloser(body)
		}
	}
	req.SetBasicAuth("AWS", c.pw)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	must(c.t, method+" "+path, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return regAnswer{resp.StatusCode, resp.Header, string(b)}
}

// start begins an upload to repo and returns its location.
func (c *regClient) start(repo string) string {
	c.t.Helper()
	a := c.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, 0)
	if a.status != http.StatusAccepted || a.header.Get("Location") == "" {
		c.t.Fatalf("starting an upload: %d %s", a.status, a.body)
	}
	return a.header.Get("Location")
}

// TestRegistryStreamsBigLayers: layers bigger than the registry's old
// in-memory cut (64 MiB) arrive whole, by each way of pushing (one PATCH and
// a PUT, a monolithic POST, and a PUT carrying the data), are stored as
// files, and come back byte for byte; the sandbox's heap does not grow with
// them.
func TestRegistryStreamsBigLayers(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newRegClient(t, sb)
	const n = 80 << 20
	repo := RepoA

	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	peakHeap := sampleHeap(10 * time.Millisecond)

	for i, way := range []string{"PATCH then PUT", "monolithic POST", "PUT with the data"} {
		seed := byte(i + 1)
		digest := layerDigest(t, seed, n)
		var a regAnswer
		switch way {
		case "PATCH then PUT":
			loc := c.start(repo)
			a = c.do(http.MethodPatch, loc, layerData(seed, n), -1)
			if a.status != http.StatusAccepted || a.header.Get("Range") != fmt.Sprintf("0-%d", n-1) {
				t.Fatalf("%s: PATCH answered %d, Range %q: %s", way, a.status, a.header.Get("Range"), a.body)
			}
			a = c.do(http.MethodPut, loc+"?digest="+digest, nil, 0)
		case "monolithic POST":
			a = c.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+digest, layerData(seed, n), n)
		case "PUT with the data":
			loc := c.start(repo)
			a = c.do(http.MethodPut, loc+"?digest="+digest, layerData(seed, n), n)
		}
		if a.status != http.StatusCreated || a.header.Get("Docker-Content-Digest") != digest {
			t.Fatalf("%s: finishing answered %d %s", way, a.status, a.body)
		}
		if size, ok := sb.blobs.size(digest); !ok || size != n {
			t.Fatalf("%s: the blob store holds %d bytes (%v), want %d", way, size, ok, n)
		}
		// Pull it back.
		req, _ := http.NewRequest(http.MethodGet, c.base+"/v2/"+repo+"/blobs/"+digest, nil)
		req.SetBasicAuth("AWS", c.pw)
		resp, err := http.DefaultClient.Do(req)
		must(t, "GET blob", err)
		h := sha256.New()
		got, err := io.Copy(h, resp.Body)
		resp.Body.Close()
		must(t, "reading the blob", err)
		if got != n || "sha256:"+hex.EncodeToString(h.Sum(nil)) != digest {
			t.Fatalf("%s: pulled %d bytes with another digest", way, got)
		}
	}
	if grew := int64(peakHeap()) - int64(base.HeapInuse); grew > 32<<20 {
		t.Errorf("the heap grew by %d MiB while %d MiB layers went through", grew>>20, n>>20)
	}
	if k := sb.uploads.count(); k != 0 {
		t.Errorf("%d uploads left open", k)
	}
	entries, _ := os.ReadDir(sb.uploads.dir)
	if len(entries) != 0 {
		t.Errorf("files left in the upload directory: %v", entries)
	}
}

// TestRegistryUploadLimits: a layer over the limit, too many parts, or a
// small part that was not the last is refused with a registry error that
// names the limit, and the upload is gone.
func TestRegistryUploadLimits(t *testing.T) {
	const limit = 1 << 20
	sb := startSandbox(t, Options{MaxLayerBytes: limit})
	c := newRegClient(t, sb)
	wantRefusal := func(what string, a regAnswer, status int, code string, msg ...string) {
		t.Helper()
		if a.status != status || a.code() != code {
			t.Fatalf("%s: got %d %s, want %d %s", what, a.status, a.body, status, code)
		}
		for _, m := range msg {
			if !strings.Contains(a.body, m) {
				t.Errorf("%s: the message does not say %q: %s", what, m, a.body)
			}
		}
	}
	gone := func(what, loc string) {
		t.Helper()
		wantRefusal(what+", then its status", c.do(http.MethodGet, loc, nil, 0), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	}
	tooBig := "the layer exceeds the sandbox's maximum layer size of 1 MiB (1048576 bytes)"

	// Over the limit, with the length announced: refused before reading.
	loc := c.start(RepoA)
	wantRefusal("a PATCH over the limit", c.do(http.MethodPatch, loc, layerData(1, limit+1), limit+1), http.StatusBadRequest, "BLOB_UPLOAD_INVALID", tooBig)
	gone("a PATCH over the limit", loc)
	// Over the limit, chunked: refused once the limit is passed.
	loc = c.start(RepoA)
	wantRefusal("a chunked PATCH over the limit", c.do(http.MethodPatch, loc, layerData(1, 3*limit), -1), http.StatusBadRequest, "BLOB_UPLOAD_INVALID", tooBig)
	gone("a chunked PATCH over the limit", loc)
	// The limit across parts.
	loc = c.start(RepoA)
	sb.uploads.minPart = 1
	if a := c.do(http.MethodPatch, loc, layerData(1, limit/2), limit/2); a.status != http.StatusAccepted {
		t.Fatalf("a first half: %d %s", a.status, a.body)
	}
	wantRefusal("parts over the limit", c.do(http.MethodPatch, loc, layerData(2, limit/2+1), limit/2+1, "Content-Range", fmt.Sprintf("%d-%d", limit/2, limit)), http.StatusBadRequest, "BLOB_UPLOAD_INVALID", tooBig)
	gone("parts over the limit", loc)
	// A monolithic upload over the limit.
	wantRefusal("a monolithic POST over the limit", c.do(http.MethodPost, "/v2/"+RepoA+"/blobs/uploads/?digest="+layerDigest(t, 1, limit+1), layerData(1, limit+1), limit+1), http.StatusBadRequest, "BLOB_UPLOAD_INVALID", tooBig)
	// Exactly the limit is fine.
	d := layerDigest(t, 3, limit)
	if a := c.do(http.MethodPost, "/v2/"+RepoA+"/blobs/uploads/?digest="+d, layerData(3, limit), limit); a.status != http.StatusCreated {
		t.Fatalf("a layer of exactly the limit: %d %s", a.status, a.body)
	}

	// A small part that turns out not to be the last.
	sb.uploads.minPart = 1000
	loc = c.start(RepoA)
	if a := c.do(http.MethodPatch, loc, layerData(4, 999), 999); a.status != http.StatusAccepted {
		t.Fatalf("a small first part: %d %s", a.status, a.body)
	}
	wantRefusal("a part after a small one", c.do(http.MethodPatch, loc, layerData(5, 10), 10, "Content-Range", "999-1008"), http.StatusBadRequest, "BLOB_UPLOAD_INVALID",
		"a layer part of 999 bytes was not the last one", "LayerPartTooSmallException")
	gone("a part after a small one", loc)
	// A small last part is fine.
	loc = c.start(RepoA)
	c.do(http.MethodPatch, loc, layerData(6, 1000), 1000)
	c.do(http.MethodPatch, loc, layerData(7, 10), 10, "Content-Range", "1000-1009")
	if a := c.do(http.MethodPut, loc+"?digest="+digestOf(t, layerData(6, 1000), layerData(7, 10)), nil, 0); a.status != http.StatusCreated {
		t.Fatalf("a small last part: %d %s", a.status, a.body)
	}

	// Too many parts.
	sb.uploads.minPart, sb.uploads.maxParts = 1, 3
	loc = c.start(RepoA)
	for i := range 3 {
		if a := c.do(http.MethodPatch, loc, layerData(8, 10), 10, "Content-Range", fmt.Sprintf("%d-%d", 10*i, 10*i+9)); a.status != http.StatusAccepted {
			t.Fatalf("part %d: %d %s", i+1, a.status, a.body)
		}
	}
	wantRefusal("a fourth part of three allowed", c.do(http.MethodPatch, loc, layerData(8, 10), 10, "Content-Range", "30-39"), http.StatusBadRequest, "BLOB_UPLOAD_INVALID",
		"more than 3 parts")
	gone("a fourth part", loc)

	// A part that does not continue the upload.
	sb.uploads.maxParts = ecrMaxLayerParts
	loc = c.start(RepoA)
	c.do(http.MethodPatch, loc, layerData(9, 10), 10)
	a := c.do(http.MethodPatch, loc, layerData(9, 10), 10, "Content-Range", "20-29")
	wantRefusal("a part with a gap", a, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "has 10 bytes")
	if a.header.Get("Range") != "0-9" {
		t.Errorf("a part with a gap: Range %q, want 0-9", a.header.Get("Range"))
	}
	// A digest that does not match ends the upload.
	wantRefusal("a wrong digest", c.do(http.MethodPut, loc+"?digest="+layerDigest(t, 1, 10), nil, 0), http.StatusBadRequest, "DIGEST_INVALID", "did not match")
	gone("a wrong digest", loc)
	// Another repository's upload is not this one's.
	loc = c.start(RepoA)
	other := strings.Replace(loc, RepoA, "team-b/app", 1)
	if a := c.do(http.MethodPatch, other, layerData(1, 10), 10); a.status != http.StatusNotFound {
		t.Errorf("an upload through another repository: %d %s", a.status, a.body)
	}
}

func digestOf(t testing.TB, rs ...io.Reader) string {
	t.Helper()
	h := sha256.New()
	for _, r := range rs {
		if _, err := io.Copy(h, r); err != nil {
			t.Fatal(err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// TestRegistryRefusesAnnouncedHugeLayer: a PATCH announcing more than ECR's
// 52,000 MiB is refused at once, naming ECR's limit, without its body.
func TestRegistryRefusesAnnouncedHugeLayer(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newRegClient(t, sb)
	loc := c.start(RepoA)
	conn, err := net.Dial("tcp", sb.RegistryAddr())
	must(t, "dial", err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req, _ := http.NewRequest(http.MethodPatch, c.base+loc, nil)
	req.SetBasicAuth("AWS", c.pw)
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", loc, sb.RegistryAddr(), req.Header.Get("Authorization"), ECRMaxLayerBytes+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, "reading the answer", err)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "Amazon ECR's maximum layer size of 52000 MiB (54525952000 bytes)") {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
}

// TestRegistryUploadsExpire: an upload nobody touches for UploadExpiry is
// removed when the next one starts, one in use is kept, and uploads do not
// outlive the process that took them.
func TestRegistryUploadsExpire(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{StateDir: dir, Clock: clock})
	must(t, "Start", err)
	defer func() { _ = sb.Close() }()
	c := newRegClient(t, sb)
	files := func() int {
		entries, err := os.ReadDir(filepath.Join(dir, uploadsDir))
		if os.IsNotExist(err) {
			return 0
		}
		must(t, "reading the upload directory", err)
		return len(entries)
	}

	old := c.start(RepoA)
	if a := c.do(http.MethodPatch, old, layerData(1, 1<<20), 1<<20); a.status != http.StatusAccepted {
		t.Fatalf("PATCH: %d %s", a.status, a.body)
	}
	clock.Advance(50 * time.Minute)
	kept := c.start(RepoA)
	clock.Advance(11 * time.Minute)
	// old: untouched for 61 minutes; kept: 11.
	c.start(RepoA)
	if a := c.do(http.MethodGet, old, nil, 0); a.status != http.StatusNotFound || a.code() != "BLOB_UPLOAD_UNKNOWN" {
		t.Errorf("an upload untouched for 61 minutes: %d %s", a.status, a.body)
	}
	if a := c.do(http.MethodGet, kept, nil, 0); a.status != http.StatusNoContent {
		t.Errorf("an upload touched 11 minutes ago: %d %s", a.status, a.body)
	}
	if n := files(); n != 2 {
		t.Errorf("%d files in the upload directory, want 2", n)
	}

	// An upload in use is not abandoned, however long it takes.
	u, e := sb.uploads.get(RepoA, strings.TrimPrefix(kept, "/v2/"+RepoA+"/blobs/uploads/"))
	if e != nil {
		t.Fatal(e.message)
	}
	clock.Advance(2 * time.Hour)
	c.start(RepoA)
	sb.uploads.release(u)
	if a := c.do(http.MethodGet, kept, nil, 0); a.status != http.StatusNoContent {
		t.Errorf("an upload in use was removed: %d %s", a.status, a.body)
	}

	// Close removes the uploads; so does Start, for a process that was killed.
	must(t, "Close", sb.Close())
	if n := files(); n != 0 {
		t.Errorf("%d uploads outlived the sandbox", n)
	}
	must(t, "the upload directory", os.MkdirAll(filepath.Join(dir, uploadsDir), 0o700))
	must(t, "a stray upload", os.WriteFile(filepath.Join(dir, uploadsDir, "left-by-a-killed-process"), []byte("x"), 0o600))
	sb2, err := Start(context.Background(), Options{StateDir: dir, Clock: clock})
	must(t, "Start again", err)
	defer func() { _ = sb2.Close() }()
	if n := files(); n != 0 {
		t.Errorf("Start kept %d abandoned uploads", n)
	}
}
