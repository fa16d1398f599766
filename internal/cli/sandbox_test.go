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

	// A region or world the world is not: refused before anything is
	// sent, saying what to do with the flags the lab's commands have (no
	// --reset), whether the sandbox serves or not.
	refused := func(want ...string) {
		t.Helper()
		code, out, errs := runCLI(t, "", append([]string{"status", "--sandbox", "--state-dir", stateDir}, want[0:2]...)...)
		if code != 2 || out != "" || strings.Contains(errs, "--reset") {
			t.Errorf("%v: exit %d, want 2, nothing on stdout and no --reset:\n%s%s", want[0:2], code, out, errs)
		}
		for _, w := range want[2:] {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: want %q in:\n%s", want[0:2], w, errs)
			}
		}
	}
	refused("--region", "eu-west-1", "--region eu-west-1: the running sandbox", "in us-west-2", "fix: leave --region out to use it, or pass another --state-dir")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	refused("--region", "eu-west-1", "--region eu-west-1: the sandbox's world in "+filepath.Join(stateDir, "sandbox")+" is in us-west-2", "fix: leave --region out to use it, or pass another --state-dir")
	refused("--world", "laptop", "--world laptop: the sandbox's world in "+filepath.Join(stateDir, "sandbox")+" is cloud9", "fix: leave --world out to carry on in it, or pass another --state-dir to play laptop")
}

// A damaged sandbox world: a lab command says which command has --reset,
// since it has none itself.
func TestDamagedWorldNamesTheSandboxsReset(t *testing.T) {
	_, _ = labHome(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox", "state.json"), []byte("{damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "status", "--sandbox", "--state-dir", dir)
	if want := "fix: 'ecr-vpce-lab sandbox --reset --state-dir " + dir + "' starts a fresh world in its place"; code != 1 || !strings.Contains(errs, "state.json is damaged (") ||
		!strings.Contains(errs, want) || strings.Contains(errs, "; start a fresh world with --reset") {
		t.Fatalf("exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}
}

// TestSandboxServedAlreadySaysHowToReachIt: a second 'ecr-vpce-lab sandbox'
// for a served world is refused, and says how this shell gets the exports
// of the one serving it; 'sandbox env' prints them, and says what to run
// when nothing serves.
func TestSandboxServedAlreadySaysHowToReachIt(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	stateDir := filepath.Join(home, "state")
	code, out, errs := runCLI(t, "", "sandbox", "env", "--state-dir", stateDir)
	if code != 1 || out != "" || !strings.Contains(errs, "no sandbox is serving") || !strings.Contains(errs, "fix: start one with 'ecr-vpce-lab sandbox --state-dir "+stateDir+" >/dev/null 2>&1 &'") {
		t.Fatalf("sandbox env with nothing serving: exit %d\n%s%s", code, out, errs)
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(stateDir, "sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	code, out, errs = runCLI(t, "", "sandbox", "--state-dir", stateDir, "--timing", "instant")
	if code != 1 || !strings.Contains(errs, "already served by process") || !strings.Contains(errs, `fix: to reach it from this shell: eval "$(ecr-vpce-lab sandbox env --state-dir `+stateDir+`)"`) {
		t.Fatalf("a second sandbox for the world: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "sandbox", "env", "--state-dir", stateDir)
	if code != 0 || !strings.Contains(out, "export AWS_ENDPOINT_URL="+sb.Endpoint()+"\n") || !strings.Contains(out, "export AWS_ACCESS_KEY_ID=") {
		t.Fatalf("sandbox env: exit %d\n%s%s", code, out, errs)
	}
}
