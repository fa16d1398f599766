package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// labFlagNames are the flags addLabFlags declares.
var labFlagNames = map[string]bool{
	"sandbox": true, "sandbox-timing": true, "state-dir": true, "region": true, "profile": true, "repo": true,
	"docker": true, "transcript": true, "output": true, "verbose": true, "accessible": true,
}

// TestLabFlagsMeanTheSameEverywhere: a flag of the commands that open the
// lab has one help text and one default, whichever command declares it.
func TestLabFlagsMeanTheSameEverywhere(t *testing.T) {
	root := newRootCmd()
	cmds := []*cobra.Command{root}
	for _, name := range []string{"up", "test", "status", "down", "sandbox"} {
		c, _, err := root.Find([]string{name})
		if err != nil || c == root {
			t.Fatalf("no %s command: %v", name, err)
		}
		cmds = append(cmds, c)
	}
	type seen struct {
		cmd, usage, def string
	}
	flags := map[string]seen{}
	common := map[string]int{}
	for _, c := range cmds {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !labFlagNames[f.Name] || c.Name() == "sandbox" && f.Name != "state-dir" {
				return // the commands' own flags (--yes; the sandbox's --region is its world's)
			}
			common[f.Name]++
			s := seen{c.Name(), f.Usage, f.DefValue}
			if prev, ok := flags[f.Name]; ok && (prev.usage != s.usage || prev.def != s.def) {
				t.Errorf("--%s differs:\n  %s: %q (default %q)\n  %s: %q (default %q)", f.Name, prev.cmd, prev.usage, prev.def, s.cmd, s.usage, s.def)
			}
			flags[f.Name] = s
		})
	}
	if common["state-dir"] != 6 {
		t.Errorf("--state-dir is declared by %d of the 6 commands", common["state-dir"])
	}
	for _, name := range []string{"sandbox", "sandbox-timing", "region", "profile", "repo"} {
		if common[name] < 5 {
			t.Errorf("--%s is declared by %d of the lab's commands, want all 5", name, common[name])
		}
	}
	for _, name := range []string{"docker", "transcript"} {
		if _, ok := flags[name]; !ok || root.Flags().Lookup(name) == nil {
			t.Errorf("the wizard lacks --%s", name)
		}
	}
}

// TestWizardHonoursDocker: the wizard builds its lab like the headless
// commands, --docker included.
func TestWizardHonoursDocker(t *testing.T) {
	labHome(t)
	t.Setenv("PATH", t.TempDir())
	code, out, errs := runCLI(t, "q\n", "--accessible", "--sandbox", "--sandbox-timing", "instant", "--docker")
	if code == 0 || !strings.Contains(out+errs, "--docker needs the docker CLI on PATH") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errs)
	}
}

// TestWizardWritesATranscript: --transcript works in the wizard too.
func TestWizardWritesATranscript(t *testing.T) {
	home, _ := labHome(t)
	script := filepath.Join(home, "wizard.sh")
	// Preflight, then the security group, then stop at the ingress rule.
	code, out, errs := runCLI(t, "\n\nq\n", "--accessible", "--sandbox", "--sandbox-timing", "instant", "--transcript", script)
	if code != 0 || !strings.Contains(out, "security group ECR_VPCE_SG sg-") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errs)
	}
	b, err := os.ReadFile(script)
	if err != nil || !strings.Contains(string(b), "VPCE_SG_ID=$(aws ec2 create-security-group --group-name ECR_VPCE_SG") {
		t.Fatalf("transcript: %v\n%s", err, b)
	}
	if !regexp.MustCompile(`transcript: [1-9][0-9]* commands written to ` + regexp.QuoteMeta(script)).MatchString(errs) {
		t.Fatalf("no note about the transcript:\n%s", errs)
	}
	code, _, _ = lab(t, "down", "--sandbox", "--sandbox-timing", "instant", "--yes")
	if code != 0 {
		t.Fatalf("down: exit %d", code)
	}
}

// TestWizardOnADamagedStateFile: the wizard says the state file is damaged,
// finds the run by its tags and carries on with it, and leaves nothing
// behind that would hide the run from 'down'.
func TestWizardOnADamagedStateFile(t *testing.T) {
	_, state := labHome(t)
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	if code, out, errs := lab(t, append([]string{"up", "--yes"}, fast...)...); code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	path := filepath.Join(state, "lab-sandbox.json")
	if err := os.Truncate(path, 40); err != nil {
		t.Fatal(err)
	}
	// The wizard finds the run by its tags and carries on with it; then quit.
	code, out, errs := runCLI(t, "\nq\n", append([]string{"--accessible"}, fast...)...)
	if code != 0 || !strings.Contains(out, "is damaged (unexpected end of JSON input): using the resources' ecr-vpce-lab:run tags instead") ||
		!strings.Contains(out, "by its ecr-vpce-lab:run tags in vpc-") || !strings.Contains(out, "carrying on with it") {
		t.Fatalf("wizard: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = lab(t, append([]string{"down", "--yes"}, fast...)...)
	if code != 0 || !strings.Contains(out, "ECR_VPCE_SG") || !strings.Contains(out, "Nothing is left.") || strings.Contains(out, "Removed 0 resource(s)") {
		t.Fatalf("down after the wizard: exit %d\n%s%s", code, out, errs)
	}
}

// TestSandboxPollsFastOnlyWhenNothingTakesTime: a sandbox started with the
// instant timing is polled every 5 ms; given a read lag or a
// policy propagation, its waits take AWS's cadence, as the realistic
// timing's do (at 5 ms, each second of lag was 200 rounds of describes).
func TestSandboxPollsFastOnlyWhenNothingTakesTime(t *testing.T) {
	t.Parallel()
	lag := optDuration{set: true, d: time.Second}
	for _, c := range []struct {
		name string
		f    labFlags
		fast bool
	}{
		{"instant", labFlags{sandboxTiming: "instant"}, true},
		{"instant with --eventual-consistency", labFlags{sandboxTiming: "instant", wf: worldFlags{readLag: lag}}, false},
		{"instant with --policy-propagation", labFlags{sandboxTiming: "instant", wf: worldFlags{propagation: lag}}, false},
		{"realistic", labFlags{sandboxTiming: "realistic"}, false},
	} {
		opts, _, _, closer, err := sandboxOptions(context.Background(), t.TempDir(), &c.f)
		if closer != nil {
			closer()
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if fast := opts.Poll == fastPoll; fast != c.fast {
			t.Errorf("%s: polls every %s", c.name, opts.Poll)
		}
	}
}
