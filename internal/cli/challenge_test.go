package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// TestChallengeCommands plays a challenge headless: list, show (a goal on
// stderr, a policy to edit on stdout), hints one at a time, a failed
// check that unlocks the model answer, a check by simulation only before
// the lab is up, and a check for real on the sandbox once it is; the
// progress survives between commands.
func TestChallengeCommands(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	state := []string{"--sandbox", "--state-dir", dir}
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, stdin, append(args, state...)...)
	}
	code, out, _ := run("", "challenge", "list")
	if code != 0 || strings.Count(out, " new ") != 8 || !strings.Contains(out, "Read-only team") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, starter, goal := run("", "challenge", "show", "1")
	if code != 0 || !strings.Contains(goal, "read-only") || !strings.Contains(goal, "stand-ins") {
		t.Fatalf("show: exit %d\n%s", code, goal)
	}
	if _, err := policy.Parse([]byte(starter)); err != nil {
		t.Fatalf("show prints no policy on stdout: %v\n%s", err, starter)
	}
	for i := 1; i <= 4; i++ {
		_, _, errs := run("", "challenge", "show", "1", "--hint")
		if i <= 3 && !strings.Contains(errs, "Hint "+string(rune('0'+i))+"/3") {
			t.Errorf("hint %d: %s", i, errs)
		}
		if i == 4 && !strings.Contains(errs, "Every hint is out already") {
			t.Errorf("a fourth hint: %s", errs)
		}
	}
	if code, _, errs := run("", "challenge", "show", "1", "--answer"); code != 1 || !strings.Contains(errs, "once a check of yours has failed") {
		t.Fatalf("the model answer before any check: exit %d %s", code, errs)
	}
	answer := filepath.Join(dir, "answer.json")
	if err := os.WriteFile(answer, []byte(starter), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run("", "challenge", "check", "1", "--policy", answer)
	if code != 1 || !strings.Contains(out, "✘ push team-a/tools") || !strings.Contains(out, "goal: nobody may push to any team-a repository") {
		t.Fatalf("the starter checks: exit %d\n%s", code, out)
	}
	code, model, _ := run("", "challenge", "show", "1", "--answer")
	if code != 0 {
		t.Fatalf("the model answer after a failed check: exit %d", code)
	}
	if err := os.WriteFile(answer, []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run("", "challenge", "check", "1", "--policy", answer)
	if code != 0 || !strings.Contains(out, "checked by simulation only") || !strings.Contains(out, "Challenge 1 passed.") {
		t.Fatalf("the model before the lab is up: exit %d\n%s", code, out)
	}

	// The lab up: the check goes for real, and the lab's policy comes back.
	if code, out, errs := run("", "up", "--yes", "--sandbox-timing", "instant"); code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errs)
	}
	_, model, _ = run("", "challenge", "show", "1", "--answer") // now with the real endpoints
	if err := os.WriteFile(answer, []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	code, js, errs := run("", "challenge", "check", "1", "--policy", answer, "--output", "json")
	var res struct {
		Passed bool `json:"passed"`
		Live   *struct {
			Passed   bool `json:"passed"`
			Requests []struct {
				Skipped string `json:"skipped"`
			} `json:"requests"`
		} `json:"live"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &res) != nil || !res.Passed || res.Live == nil || !res.Live.Passed || len(res.Live.Requests) < 5 {
		t.Fatalf("check for real: exit %d %+v\n%s\n%s", code, res, js, errs)
	}
	// Challenge 8's trap, for real: an Allow cannot refuse a pull from
	// outside the VPC that the role's own policy allows.
	allow := filepath.Join(dir, "allow.json")
	if err := os.WriteFile(allow, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run("", "challenge", "check", "8", "--policy", allow)
	if code != 1 || !strings.Contains(out, "✘ pull team-a/alpine (the lab's role, outside the VPC)") {
		t.Fatalf("challenge 8's trap: exit %d\n%s", code, out)
	}
	code, out, _ = run("", "challenge", "list")
	if code != 0 || !strings.Contains(out, "passed, live too") || !strings.Contains(out, "tried") {
		t.Fatalf("progress: exit %d\n%s", code, out)
	}
	// Bad input.
	for _, args := range [][]string{{"challenge", "check", "9", "--policy", allow}, {"challenge", "check", "1"}, {"challenge", "show", "x"}} {
		if code, _, errs := run("", args...); code != 2 {
			t.Errorf("%v: exit %d %s", args, code, errs)
		}
	}

	// Ctrl-C twice during a check for real: the last words name the
	// commands to go on with, and the flags that chose this lab.
	sigs := make(chan chan<- os.Signal, 1)
	quit := make(chan int, 1)
	notify, exit := notifyInterrupts, exitNow
	t.Cleanup(func() { notifyInterrupts, exitNow = notify, exit })
	notifyInterrupts = func(c chan<- os.Signal) { sigs <- c }
	exitNow = func(code int) { quit <- code; runtime.Goexit() }
	go func() {
		select {
		case c := <-sigs:
			c <- os.Interrupt
			c <- os.Interrupt
		case <-time.After(time.Minute):
		}
	}()
	var sout, serr testtool.SyncBuffer
	Run(context.Background(), append([]string{"challenge", "check", "1", "--policy", answer}, state...), strings.NewReader(""), &sout, &serr)
	select {
	case code := <-quit:
		if code != 130 {
			t.Errorf("the second ctrl-c quits with %d, want 130", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the second ctrl-c did not quit:\n%s%s", sout.String(), serr.String())
	}
	if want := "Quitting now. The state saved so far is consistent; run 'ecr-vpce-lab challenge check 1 --policy " + answer + " --sandbox --state-dir " + dir +
		"' again, or 'ecr-vpce-lab down --sandbox --state-dir " + dir + "'"; !strings.Contains(sout.String(), want) {
		t.Fatalf("the interrupted check's last words lack %q:\n%s%s", want, sout.String(), serr.String())
	}
}

// TestChallengeForecastHeadless: challenge 5's check takes a forecast
// (--works: the commands expected to still work) and holds it against
// what happened; a challenge without one refuses the flag.
func TestChallengeForecastHeadless(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	ch, _ := steps.ChallengeByID(5)
	answer := filepath.Join(dir, "answer.json")
	if err := os.WriteFile(answer, []byte(ch.Model(steps.NewChallengeContext(steps.State{}))), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"challenge", "check", "5", "--policy", answer, "--state-dir", dir}, args...)...)
	}
	if code, out, _ := run("--works", "list-images"); code != 0 || !strings.Contains(out, "Your forecast: 4 of 4 right") {
		t.Errorf("a right forecast: exit %d\n%s", code, out)
	}
	code, out, _ := run("--works", "pull,list-images")
	if code != 0 || !strings.Contains(out, "Your forecast: 3 of 4 right") || !strings.Contains(out, "✘ pull         you said still works  it was refused at ecr:GetAuthorizationToken") {
		t.Errorf("a wrong guess: exit %d\n%s", code, out)
	}
	if code, out, _ := run(); code != 0 || !strings.Contains(out, "asks for a forecast before the check: --works") {
		t.Errorf("no forecast: exit %d\n%s", code, out)
	}
	code, js, _ := run("--works", "none", "--output", "json")
	var res struct {
		Forecast []steps.Guess `json:"forecast"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &res) != nil || len(res.Forecast) != 4 || res.Forecast[3].Op != "list-images" || res.Forecast[3].Right {
		t.Errorf("--output json: exit %d %+v\n%s", code, res, js)
	}
	for _, args := range [][]string{{"--works", "fly"}} {
		if code, _, errs := run(args...); code != 2 || !strings.Contains(errs, "asks about login, push, pull, list-images") {
			t.Errorf("%v: exit %d %s", args, code, errs)
		}
	}
	if code, _, errs := runCLI(t, "", "challenge", "check", "1", "--policy", answer, "--state-dir", dir, "--works", "login"); code != 2 || !strings.Contains(errs, "asks for no forecast") {
		t.Errorf("--works on challenge 1: exit %d %s", code, errs)
	}
}
