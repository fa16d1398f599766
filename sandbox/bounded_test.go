package sandbox

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// Every file the sandbox reads is bounded and must be a regular file: a
// named pipe where its world should be used to hang Start forever, and a
// world of any size was read whole.

// returnsWithin runs fn, failing the test if it takes more than d (a read that
// blocks on a named pipe never returns).
func returnsWithin[T any](t *testing.T, d time.Duration, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
	var zero T
	return zero
}

// TestWorldFileIsBounded: a state.json that is a named pipe, or larger than
// the sandbox reads, is refused at once with a sentence naming what it is
// or the limit, and what to do.
func TestWorldFileIsBounded(t *testing.T) {
	t.Run("named pipe", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, stateFile), 0o600); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
		err := returnsWithin(t, 5*time.Second, "Start on a named pipe", func() error {
			sb, err := Start(context.Background(), Options{StateDir: dir})
			if err == nil {
				_ = sb.Close()
			}
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO), not a regular file") || !strings.Contains(err.Error(), "--reset") {
			t.Fatalf("Start on a named pipe: %v", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		big := make([]byte, 2<<10)
		must(t, "write", os.WriteFile(filepath.Join(dir, stateFile), big, 0o600))
		_, err := Start(context.Background(), Options{StateDir: dir, maxWorldBytes: 1 << 10})
		if err == nil || !strings.Contains(err.Error(), "is larger than 1 KiB, the most ecr-vpce-lab reads from it") || !strings.Contains(err.Error(), "--reset") {
			t.Fatalf("Start on a world over the limit: %v", err)
		}
	})
	t.Run("from a newer release", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, stateFile)
		must(t, "write", os.WriteFile(p, []byte(`{"version": 99}`), 0o600))
		_, err := Start(context.Background(), Options{StateDir: dir})
		if err == nil || !strings.Contains(err.Error(), "written by a newer ecr-vpce-lab (format 99") || strings.Contains(err.Error(), "--reset") {
			t.Fatalf("Start on a newer world: %v", err)
		}
		if b, _ := os.ReadFile(p); string(b) != `{"version": 99}` {
			t.Errorf("the newer world was touched: %q", b)
		}
	})
}

// TestWorldNeverOutgrowsItsLimit: a change that would make the saved world
// larger than the sandbox reads back is refused as a limit (no retry can
// help), and the world stays as it was.
func TestWorldNeverOutgrowsItsLimit(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, Options{StateDir: dir})
	before := committedWorld(sb)
	// No room to grow.
	sb.writeMu.Lock()
	sb.opts.maxWorldBytes = int64(len(before))
	sb.writeMu.Unlock()
	c := newClients(sb, nil)
	_, err := c.ec2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{sb.Workspace().VpcID},
		Tags: []ec2types.Tag{{Key: aws.String("note"), Value: aws.String("x")}}})
	wantCode(t, "a tag that outgrows the world", err, "ResourceLimitExceeded")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
	_, err = c.ecr.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/app")})
	wantCode(t, "a repository that outgrows the world", err, "LimitExceededException")
	if committedWorld(sb) != before {
		t.Error("the world changed")
	}
	if w, err := loadWorld(dir, int64(len(before))); err != nil || w == nil {
		t.Fatalf("the saved world cannot be read back within its limit: %v", err)
	}
}

// TestServingFileIsBounded: Running on a state directory whose serving.json
// is a named pipe answers at once.
func TestServingFileIsBounded(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, Options{StateDir: dir})
	p := filepath.Join(dir, servingFile)
	must(t, "remove", os.Remove(p))
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	err := returnsWithin(t, 5*time.Second, "Running", func() error { _, _, err := Running(dir); return err })
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Running with a named pipe for serving.json: %v", err)
	}
	_ = sb
}

// TestRegistryBodiesAreBounded: a manifest over ECR's 4 MiB is refused
// naming the limit; a blob replaced by a named pipe is not found rather
// than hanging the pull.
func TestRegistryBodiesAreBounded(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newRegClient(t, sb)
	a := c.do(http.MethodPut, "/v2/"+RepoA+"/manifests/huge", strings.NewReader(strings.Repeat(" ", maxManifestBytes+1)), maxManifestBytes+1,
		"Content-Type", MediaTypeDockerManifest)
	if a.status != http.StatusRequestEntityTooLarge || a.code() != "SIZE_INVALID" || !strings.Contains(a.body, "larger than 4 MiB (4194304 bytes), Amazon ECR's limit on an image manifest") {
		t.Fatalf("a manifest over 4 MiB: %d %s", a.status, a.body)
	}

	v1, err := sb.Images().Manifest(RepoA, "v1")
	must(t, "v1", err)
	layer := v1LayerDigest(t, string(v1.Manifest))
	p, _ := sb.blobs.path(layer)
	must(t, "remove", os.Remove(p))
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	a = returnsWithin(t, 5*time.Second, "GET of a blob that is a named pipe", func() regAnswer { return c.do(http.MethodGet, "/v2/"+RepoA+"/blobs/"+layer, nil, 0) })
	if a.status != http.StatusNotFound {
		t.Errorf("GET of a blob that is a named pipe: %d %s", a.status, a.body)
	}
	if returnsWithin(t, 5*time.Second, "Blob of a named pipe", func() bool { _, ok := sb.Images().Blob(layer); return ok }) {
		t.Error("Blob read a named pipe")
	}
}
