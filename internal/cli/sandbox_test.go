package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
)

// TestSandboxFlagReusesTheRunningSandbox: with a sandbox serving the world
// of the state directory, --sandbox uses it even without its exports in the
// environment, instead of failing on the world's lock.
func TestSandboxFlagReusesTheRunningSandbox(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECR_REGISTRY", "LAB_DNS_SERVER"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	stateDir := filepath.Join(home, "state")
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(stateDir, "sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	code, out, errs := runCLI(t, "", "status", "--sandbox", "--state-dir", stateDir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errs)
	}
	want := fmt.Sprintf("using the running sandbox (process %d)", os.Getpid())
	if !strings.Contains(out+errs, want) {
		t.Fatalf("want %q in:\n%s\n%s", want, out, errs)
	}
}
