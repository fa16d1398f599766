package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ecr-vpce-lab/internal/testtool"
)

// skopeoRun runs skopeo with a private home, auth file and signature policy,
// so nothing of the user's configuration takes part.
func skopeoRun(t *testing.T, bin, home string, args ...string) (string, error) {
	t.Helper()
	pol := filepath.Join(home, "policy.json")
	if _, err := os.Stat(pol); err != nil {
		must(t, "policy.json", os.WriteFile(pol, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o600))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--policy", pol}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "REGISTRY_AUTH_FILE=" + filepath.Join(home, "auth.json"),
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSkopeoPushDenied: skopeo (Debian's) pushes the lab's image the way
// `docker push` does and prints the registry's refusal; with wrong
// credentials it prints an authentication error.
func TestSkopeoPushDenied(t *testing.T) {
	bin := testtool.Require(t, "skopeo", "apt-get install skopeo")
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	home := t.TempDir()
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	reg := sb.RegistryAddr()
	creds := "AWS:" + pw

	// A local copy of v1, as `docker tag alpine:latest` would have it.
	v1img, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	must(t, "pull v1", err)
	dir := filepath.Join(home, "alpine-oci")
	lp, err := layout.Write(dir, empty.Index)
	must(t, "layout", err)
	must(t, "layout image", lp.AppendImage(v1img))

	out, err := skopeoRun(t, bin, home, "list-tags", "--tls-verify=false", "--creds", creds, "docker://"+reg+"/"+RepoA)
	if err != nil || !strings.Contains(out, `"v1"`) {
		t.Fatalf("skopeo list-tags: %v\n%s", err, out)
	}
	// Before any endpoint, the push goes through.
	out, err = skopeoRun(t, bin, home, "copy", "--dest-tls-verify=false", "--dest-creds", creds, "oci:"+dir, "docker://"+reg+"/"+RepoA+":before")
	if err != nil {
		t.Fatalf("skopeo push before the endpoint: %v\n%s", err, out)
	}
	createEndpoint(t, c, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	want := "denied: " + denial(sb, "ecr:PutImage", "arn:aws:ecr:"+sb.Region()+":"+sb.Account()+":repository/"+RepoA, explicitDeny)
	out, err = skopeoRun(t, bin, home, "copy", "--dest-tls-verify=false", "--dest-creds", creds, "oci:"+dir, "docker://"+reg+"/"+RepoA+":v2")
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("skopeo push through the lab's endpoint: %v\n%s\nwant %q", err, out, want)
	}
	t.Logf("skopeo: %s", strings.TrimSpace(out))
	// Registry to registry, as a pull and a push.
	out, err = skopeoRun(t, bin, home, "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds, "--dest-creds", creds,
		"docker://"+reg+"/"+RepoA+":v1", "docker://"+reg+"/"+RepoA+":v2")
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("skopeo copy v1 to v2: %v\n%s", err, out)
	}
	// Pulls are allowed.
	if out, err := skopeoRun(t, bin, home, "inspect", "--tls-verify=false", "--creds", creds, "docker://"+reg+"/"+RepoA+":v1"); err != nil {
		t.Fatalf("skopeo inspect through the endpoint: %v\n%s", err, out)
	}
	// Wrong credentials: ECR's 400 for a token it did not issue (as docker
	// prints "failed with status: 400 Bad Request"), not a refusal.
	out, err = skopeoRun(t, bin, home, "copy", "--dest-tls-verify=false", "--dest-creds", "AWS:wrong", "oci:"+dir, "docker://"+reg+"/"+RepoA+":v2")
	if err == nil || !strings.Contains(out, "400 (Bad Request)") || strings.Contains(out, "denied:") {
		t.Fatalf("skopeo with wrong credentials: %v\n%s", err, out)
	}
	t.Logf("skopeo, wrong credentials: %s", strings.TrimSpace(out))
	if tags := listTags(t, c, RepoA); strings.Join(tags, ",") != "before,v1" {
		t.Fatalf("tags after the skopeo pushes: %v", tags)
	}
}

// TestSkopeoLayerOverTheLimit: a layer over the registry's limit fails the
// push with the registry's sentence naming the limit, not a digest error.
func TestSkopeoLayerOverTheLimit(t *testing.T) {
	bin := testtool.Require(t, "skopeo", "apt-get install skopeo")
	sb := startSandbox(t, Options{MaxLayerBytes: 300})
	c := newClients(sb, nil)
	home := t.TempDir()
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	creds := "AWS:" + pw
	// A new image whose layer (1,000 random bytes, compressed) is over a
	// limit of 300 bytes.
	img, err := random.Image(1000, 1)
	must(t, "random image", err)
	dir := filepath.Join(home, "big-oci")
	lp, err := layout.Write(dir, empty.Index)
	must(t, "layout", err)
	must(t, "layout image", lp.AppendImage(img))
	out, err := skopeoRun(t, bin, home, "copy", "--dest-tls-verify=false", "--dest-creds", creds, "oci:"+dir, "docker://"+sb.RegistryAddr()+"/"+RepoA+":big")
	want := "the layer exceeds the sandbox's maximum layer size of 300 bytes"
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("skopeo pushing a layer over the limit: %v\n%s\nwant %q", err, out, want)
	}
	t.Logf("skopeo: %s", strings.TrimSpace(out))
}
