package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/sandbox"
)

// fleetSandbox serves an organization of five accounts with the fleet
// demo in a state directory, as 'ecr-vpce-lab sandbox --accounts 5
// --fleet-demo --state-dir DIR' does; the program finds it there.
func fleetSandbox(t *testing.T, accounts int) (*sandbox.Sandbox, string) {
	t.Helper()
	state := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: worldDir(state), Accounts: accounts, FleetDemo: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb, state
}

// fleetJSON runs 'fleet status --output json' and decodes its rows.
func fleetJSON(t *testing.T, bin string, env []string, args ...string) []map[string]any {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"fleet", "status", "--output", "json"}, args...)...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("fleet status --output json: %v\n%s\n%s", err, out.String(), errb.String())
	}
	return doc.Rows
}

// TestFleetEndToEnd plays the third acceptance in the built
// program, in a pseudo-terminal, with keys: against an organization of
// five accounts with learners at every stage (two regions), the table
// shows every stage; / filters, s sorts; after the workshop (the sandbox's
// clock four hours on: the scheduled runs' schedules fire, the others
// expire) r refreshes, D lists every run, y removes them, and then
// nothing of the lab is left in any account or region.
func TestFleetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel()
	bin := testtool.LabBinary(t)
	sb, state := fleetSandbox(t, 5)
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8", "AWS_EC2_METADATA_DISABLED=true"}
	args := []string{"fleet", "--sandbox", "--state-dir", state, "--org", "--regions", "all"}
	start := time.Now()
	term, err := ptytest.Start(150, 34, env, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	screen, err := term.WaitForText(20*time.Second, "fleet · organization")
	if err != nil {
		t.Fatalf("first frame: %v\n%s", err, screen)
	}
	t.Logf("first frame after %s", time.Since(start).Round(time.Millisecond))
	want := append([]string{}, sandbox.DemoStages...)
	screen, err = term.WaitForText(20*time.Second, want...)
	if err != nil {
		t.Fatalf("the table does not show every stage: %v\n%s", err, screen)
	}
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "endpoints-failed") && !strings.Contains(l, "✘") {
			t.Errorf("the failed run does not stand out: %q", l)
		}
		if strings.Contains(l, "security-group ") && !strings.Contains(l, "!") {
			t.Errorf("the stuck run does not stand out: %q", l)
		}
	}
	step := func(keys []string, want ...string) string {
		t.Helper()
		if err := term.Send(keys...); err != nil {
			t.Fatal(err)
		}
		screen, err := term.WaitForText(20*time.Second, want...)
		if err != nil {
			t.Fatalf("after %q: %v\n%s", keys, err, screen)
		}
		return screen
	}
	screen = step([]string{"/", "p", "u", "s", "h"}, "/ push", "enter keep the filter")
	if strings.Contains(screen, "security-group ") {
		t.Errorf("the filter 'push' keeps other rows:\n%s", screen)
	}
	step([]string{ptytest.Esc}, "security-group", "d tear down")
	step([]string{"s"}, "sorted by cost")
	step([]string{"s"}, "sorted by time at stage")

	// The workshop is over.
	if _, err := sb.AdvanceClock(context.Background(), 4*time.Hour+30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := term.Send("r"); err != nil {
		t.Fatal(err)
	}
	// The refresh is over when the help bar offers D again.
	screen, err = term.WaitFor(20*time.Second, func(s string) bool {
		return strings.Contains(s, "D tear down") && !strings.Contains(s, "refreshing") && strings.Contains(s, "removed")
	})
	if err != nil {
		t.Fatalf("after r: %v\n%s", err, screen)
	}
	screen = step([]string{"D"}, "Tear down", "run(s)?", "y remove them")
	n := strings.Count(screen, " endpoint(s)")
	if n < 8 {
		t.Errorf("D lists %d run(s), want the 8 learners':\n%s", n, screen)
	}
	step([]string{"y"}, "Removed the runs of")
	screen, err = term.WaitFor(30*time.Second, func(s string) bool {
		return !strings.Contains(s, "refreshing") && strings.Contains(s, "Removed the runs of")
	})
	if err != nil {
		t.Fatalf("after the teardown: %v\n%s", err, screen)
	}
	if err := term.Send("q"); err != nil {
		t.Fatal(err)
	}
	if err := term.Wait(10 * time.Second); err != nil {
		t.Errorf("q: %v", err)
	}

	// Nothing is left, in any account or region.
	rows := fleetJSON(t, bin, env, "--sandbox", "--state-dir", state, "--org", "--regions", "all")
	if len(rows) != 10 {
		t.Fatalf("%d rows after the teardown, want 5 accounts × 2 regions", len(rows))
	}
	for _, r := range rows {
		if r["run"] != nil || r["error"] != nil || r["endpoints"].(float64) != 0 {
			t.Errorf("left after D: %v", r)
		}
	}
}

// TestFleetStatusJSON: the headless survey's JSON is exactly the issue's
// shape, one row per account and region including empty ones; an account
// that cannot be reached is a row with the reason; fleet down asks without
// --yes and refuses without a terminal.
func TestFleetStatusJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel()
	bin := testtool.LabBinary(t)
	sb, state := fleetSandbox(t, 3)
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_EC2_METADATA_DISABLED=true", "NO_COLOR=1"}
	rows := fleetJSON(t, bin, env, "--sandbox", "--state-dir", state, "--org", "--regions", "all")
	if len(rows) != 6 {
		t.Fatalf("rows: %d, want 3 accounts × 2 regions", len(rows))
	}
	keys := []string{"account", "costSoFar", "endpoints", "error", "expiresAt", "region", "run", "schedule", "stage", "stageSince"}
	empty := 0
	for _, r := range rows {
		var got []string
		for k := range r {
			got = append(got, k)
		}
		if strings.Join(sortStrings(got), ",") != strings.Join(keys, ",") {
			t.Errorf("row keys %v, want exactly %v", sortStrings(got), keys)
		}
		if r["run"] == nil {
			empty++
		}
	}
	if empty != 2 {
		t.Errorf("%d empty rows, want the management account's two", empty)
	}

	// Through the sandbox's export lines, with profiles, one of which
	// does not exist: a row with the reason.
	var exports []string
	for _, e := range sb.Env() {
		exports = append(exports, e.Name+"="+e.Value)
	}
	rows = fleetJSON(t, bin, append(env, exports...), "--profiles", "learner-01,learner-02,nobody")
	if len(rows) != 3 {
		t.Fatalf("profiles: %d rows, want 3", len(rows))
	}
	var reasons []string
	for _, r := range rows {
		if e, ok := r["error"].(string); ok {
			reasons = append(reasons, e)
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], "nobody") {
		t.Errorf("the missing profile's row: %v", reasons)
	}
	// Through the roles file; a role that does not exist: a row saying
	// the role cannot be assumed.
	roles := filepath.Join(t.TempDir(), "roles.txt")
	b, _ := os.ReadFile(sb.Fleet().RolesFile)
	if err := os.WriteFile(roles, append(b, []byte("arn:aws:iam::"+sb.Accounts()[1]+":role/NotThere\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	rows = fleetJSON(t, bin, append(env, exports...), "--roles", roles)
	bad := 0
	for _, r := range rows {
		if e, ok := r["error"].(string); ok {
			bad++
			if !strings.Contains(e, "cannot assume the role") {
				t.Errorf("a missing role's reason: %q", e)
			}
		}
	}
	if len(rows) != 3 || bad != 1 {
		t.Errorf("roles file: %d rows, %d with an error: %v", len(rows), bad, rows)
	}

	// fleet down without --yes and without a terminal: refused.
	cmd := exec.Command(bin, "fleet", "down", "--sandbox", "--state-dir", state, "--org")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no terminal to ask on") {
		t.Errorf("fleet down without a terminal: %v\n%s", err, out)
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
