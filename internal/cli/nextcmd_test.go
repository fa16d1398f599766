package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A command that tells the user what to run next names the same lab: the
// sandbox, the state directory, the region they gave. Without them, a
// learner on the sandbox who copies 'ecr-vpce-lab up' reaches real AWS, and
// a facilitator with --state-dir reaches another directory's run.
func TestNextCommandsNameTheSameLab(t *testing.T) {
	_, _ = labHome(t)
	dir := filepath.Join(t.TempDir(), "lab1")
	same := []string{"--sandbox", "--sandbox-timing", "instant", "--state-dir", dir, "--region", "us-west-2"}
	again := " --sandbox --state-dir " + dir + " --region us-west-2"

	code, out, errs := runCLI(t, "", append([]string{"test"}, same...)...)
	if want := "run 'ecr-vpce-lab up" + again + "' first"; code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("test before up: exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}

	if err := os.WriteFile(filepath.Join(dir, "lab-sandbox.json"), []byte("{garbled"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", append([]string{"up", "--yes"}, same...)...)
	if want := "fix: run 'ecr-vpce-lab down" + again + "' (it finds the lab's resources by their tags)"; code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("up on a damaged state file: exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}

	// Out of the way: up stops at discovery (no subnet for these IDs).
	if err := os.Remove(filepath.Join(dir, "lab-sandbox.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", append([]string{"up", "--yes", "--subnet", "subnet-0123456789abcdef0", "--workspace-sg", "sg-0123456789abcdef0"}, same...)...)
	if want := "up did not finish: fix the problem above and run 'ecr-vpce-lab up" + again + "' again"; code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("up that stops: exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}
}

// --run names a run that no resource is tagged with, in a region with no run
// at all: the fix says so, instead of an empty list of the runs found.
func TestRunThatNoResourceCarries(t *testing.T) {
	_, _ = labHome(t)
	code, out, errs := runCLI(t, "", "status", "--sandbox", "--sandbox-timing", "instant", "--state-dir", t.TempDir(), "--run", "nosuchrun")
	if want := "fix: no run of the lab is tagged in us-west-2 at all: check the region, or leave --run out"; code != 1 || !strings.Contains(errs, want) || strings.Contains(errs, "runs found by their tags:") {
		t.Fatalf("exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}
}

// status -o json with no run here names none: the ID a new run would get
// is no run's, and a script would carry it to 'down --run'.
func TestStatusJSONWithNoRunNamesNone(t *testing.T) {
	_, _ = labHome(t)
	code, out, errs := runCLI(t, "", "status", "--sandbox", "--sandbox-timing", "instant", "--state-dir", t.TempDir(), "-o", "json")
	var s struct {
		RunID string `json:"runId"`
		Saved bool   `json:"saved"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != 0 || s.Saved || s.RunID != "" {
		t.Fatalf("exit %d, %v: %+v\n%s%s", code, err, s, out, errs)
	}
}

// The challenges keep their progress in the state directory, so the
// commands they name carry it (and --sandbox): a check run as written
// elsewhere would not unlock the model answer here.
func TestChallengeCommandsNameTheSameLab(t *testing.T) {
	_, _ = labHome(t)
	dir := t.TempDir()
	again := " --sandbox --state-dir " + dir
	code, out, errs := runCLI(t, "", "challenge", "show", "2", "--sandbox", "--state-dir", dir)
	if want := "Then: ecr-vpce-lab challenge check 2 --policy FILE" + again; code != 0 || !strings.Contains(errs, want) {
		t.Fatalf("show: exit %d, want 0 and %q:\n%s%s", code, want, out, errs)
	}
	code, out, errs = runCLI(t, "", "challenge", "show", "2", "--answer", "--sandbox", "--state-dir", dir)
	if want := "fix: try first: ecr-vpce-lab challenge check 2 --policy answer.json" + again; code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("show --answer: exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
	}
}
