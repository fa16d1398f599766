package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// fleetProgram is the built program, for a test that runs it beside
// others, against fleetSandbox(accounts): the program, the sandbox, its
// state directory and the program's environment (a home of its own, then
// more).
func fleetProgram(t *testing.T, accounts int, more ...string) (string, *sandbox.Sandbox, string, []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel()
	bin := testtool.LabBinary(t)
	sb, state := fleetSandbox(t, accounts)
	return bin, sb, state, procEnv(t.TempDir(), more...)
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
	bin, sb, state, env := fleetProgram(t, 5, "TERM=xterm-256color")
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
	step := keySteps(t, term)
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
	bin, sb, state, env := fleetProgram(t, 3, "NO_COLOR=1")
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

// TestFleetHeadless: 'fleet status --output table' marks the failed,
// stuck and expired rows and exits 0; 'fleet down' at a terminal lists
// the runs and asks (n keeps them all); 'fleet down --expired --yes'
// removes exactly the expired runs; then 'fleet down --yes' the rest, and
// nothing is left.
func TestFleetHeadless(t *testing.T) {
	bin, _, state, env := fleetProgram(t, 5, "NO_COLOR=1", "TERM=xterm-256color")
	where := []string{"--sandbox", "--state-dir", state, "--org", "--regions", "all"}
	run := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append(args, where...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := run("fleet", "status", "--output", "table")
	if code != 0 {
		t.Fatalf("fleet status: exit %d\n%s", code, out)
	}
	marks := map[string]string{"endpoints-failed": "✘", "security-group ": "!", "finished": "◷"}
	for stage, mark := range marks {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, stage) {
				found = true
				if !strings.HasPrefix(l, mark) {
					t.Errorf("the %s row is not marked %s: %q", stage, mark, l)
				}
			}
		}
		if !found {
			t.Errorf("no %s row in the table:\n%s", stage, out)
		}
	}
	for _, h := range []string{"ACCOUNT", "REGION", "RUN", "STAGE", "SINCE", "ENDPOINTS", "COST", "EXPIRES", "SCHEDULE", "ERROR", "10 row(s)"} {
		if !strings.Contains(out, h) {
			t.Errorf("the table lacks %q:\n%s", h, out)
		}
	}
	expired := 0
	for _, r := range fleetJSON(t, bin, env, where...) {
		if exp, ok := r["expiresAt"].(string); ok && exp != "never" {
			if at, err := time.Parse(time.RFC3339, exp); err == nil && at.Before(time.Now()) {
				expired++
			}
		}
	}
	if expired == 0 {
		t.Fatal("the demo has no expired run")
	}

	// At a terminal, fleet down lists the runs and asks; n keeps them.
	term, err := ptytest.Start(120, 40, env, bin, append([]string{"fleet", "down"}, where...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	screen, err := term.WaitForText(20*time.Second, "run(s) to remove:", "Remove them? [y/N]")
	if err != nil {
		t.Fatalf("fleet down at a terminal: %v\n%s", err, screen)
	}
	if err := term.Send("n", ptytest.Enter); err != nil {
		t.Fatal(err)
	}
	if screen, err := term.WaitForText(10*time.Second, "nothing was deleted"); err != nil {
		t.Fatalf("after n: %v\n%s", err, screen)
	}
	if err := term.Wait(10 * time.Second); err == nil {
		t.Error("fleet down answered n exits 0")
	}

	// --expired --yes: the expired runs only.
	out, code = run("fleet", "down", "--expired", "--yes")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d run(s) to remove:", expired)) || !strings.Contains(out, "Removed") {
		t.Fatalf("fleet down --expired --yes: exit %d, want %d expired run(s) removed\n%s", code, expired, out)
	}
	left := 0
	for _, r := range fleetJSON(t, bin, env, where...) {
		if exp, ok := r["expiresAt"].(string); ok && exp != "never" {
			if at, err := time.Parse(time.RFC3339, exp); err == nil && at.Before(time.Now()) {
				t.Errorf("an expired run is left: %v", r)
			}
		}
		if r["run"] != nil {
			left++
		}
	}
	if left == 0 {
		t.Fatal("fleet down --expired removed the runs that have not expired")
	}
	out, code = run("fleet", "down", "--expired", "--yes")
	if code != 0 || !strings.Contains(out, "No run has expired.") {
		t.Errorf("a second fleet down --expired: exit %d\n%s", code, out)
	}
	if out, code = run("fleet", "down", "--yes"); code != 0 {
		t.Fatalf("fleet down --yes: exit %d\n%s", code, out)
	}
	for _, r := range fleetJSON(t, bin, env, where...) {
		if r["run"] != nil || r["endpoints"].(float64) != 0 {
			t.Errorf("left after fleet down --yes: %v", r)
		}
	}
}
