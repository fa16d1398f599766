package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// labHome isolates a test's HOME and state directory.
func labHome(t *testing.T) (home, state string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "ECR_REGISTRY", "LAB_DNS_SERVER"} {
		t.Setenv(k, "")
	}
	return home, filepath.Join(home, "state", "ecr-vpce-lab")
}

// upOnSandbox runs 'up' on the sandbox (instant timing) in this process,
// in a home and a state directory of the test's own, and returns the
// state directory.
func upOnSandbox(t *testing.T) (dir string) {
	t.Helper()
	_, _ = labHome(t)
	dir = t.TempDir()
	if code, out, errs := runCLI(t, "", "up", "--yes", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errs)
	}
	return dir
}

// sandboxState loads the sandbox run's state file from the state directory.
func sandboxState(t *testing.T, state string) steps.State {
	t.Helper()
	st, err := steps.NewStore(state, "sandbox").Load()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func lab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, out, errs := runCLI(t, "", args...)
	return code, out, errs
}

func TestLabCommandsOnSandbox(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	home, state := l.home, l.state
	mine := "# mine\nexport FOO=bar\n"
	if err := os.WriteFile(filepath.Join(home, ".ecr_security"), []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	// The state directory given (the default's own): the next commands
	// up names carry it.
	fast := []string{"--sandbox", "--sandbox-timing", "instant", "--state-dir", state}
	code, out, errs := l.lab(append([]string{"up", "--yes", "--transcript", filepath.Join(home, "up.sh")}, fast...)...)
	if code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"✔ Discover the workspace", "security group  ECR_VPCE_SG", "created", "endpoint        ecr.dkr", "available",
		"has address 10.0.", "(private)", "The endpoints are up.",
		"Next: ecr-vpce-lab test --sandbox --state-dir " + state + " to see the policy at work; ecr-vpce-lab down --sandbox --state-dir " + state + " to remove everything."} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	// The default world is Cloud9's (sandbox.DefaultWorld): this walk is
	// TestEveryWorldHeadless's for cloud9 too, which checks the first
	// lines say where the lab runs and why, and with which credentials.
	wantAll(t, "up", out, cloud9Here, cloud9Creds, cloud9Up)
	b, _ := os.ReadFile(filepath.Join(home, ".ecr_security"))
	if !strings.HasPrefix(string(b), mine) || strings.Count(string(b), "# ecr-vpce-lab run=") != 5 {
		t.Fatalf("~/.ecr_security:\n%s", b)
	}
	if fi, err := os.Stat(filepath.Join(state, "lab-sandbox.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	code, out, errs = l.lab(append([]string{"test"}, fast...)...)
	if code != 0 {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"push team-a/alpine:v2: denied, as the policy predicts",
		"denied: User: arn:aws:sts::123456789012:assumed-role/", "is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a VPC endpoint policy",
		"list-images team-a/alpine: allowed", "      v1 ", "pull team-a/alpine:v1: allowed"} {
		if !strings.Contains(out, want) {
			t.Errorf("test output lacks %q:\n%s", want, out)
		}
	}

	// A test named twice runs once.
	code, out, _ = l.lab(append([]string{"test", "--only", "push,PUSH", "--only", "push", "-o", "json"}, fast...)...)
	var tres struct {
		OK    bool
		Tests []struct {
			Name    string
			Match   bool
			Outcome struct {
				Allowed bool
				Message string
			}
		}
		APICalls map[string]int
	}
	if err := json.Unmarshal([]byte(out), &tres); err != nil || code != 0 || !tres.OK || len(tres.Tests) != 1 || tres.Tests[0].Outcome.Allowed || tres.APICalls["total"] == 0 {
		t.Fatalf("test -o json: exit %d, %v\n%s", code, err, out)
	}

	code, out, _ = l.lab("status", "--sandbox")
	for _, want := range []string{"SANDBOX  region us-west-2  account 123456789012", "ecr.api", "available (created)", "cost: on AWS: 2 interface endpoint(s)", "; the sandbox bills nothing"} {
		if !strings.Contains(out, want) || code != 0 {
			t.Errorf("status (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = l.lab("status", "--sandbox", "-o", "json")
	var st struct {
		Saved     bool
		Resources []struct{ Kind, State string }
		Cost      struct{ InterfaceEndpoints int }
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || !st.Saved || len(st.Resources) != 5 || st.Cost.InterfaceEndpoints != 2 {
		t.Fatalf("status -o json: exit %d %v\n%s", code, err, out)
	}

	code, out, errs = l.lab(append([]string{"down", "--yes", "--transcript", filepath.Join(home, "down.sh")}, fast...)...)
	if code != 0 || !strings.Contains(out, "Nothing left: no endpoint or security group tagged ecr-vpce-lab:run=") || !strings.Contains(out, "Nothing is left.") {
		t.Fatalf("down: exit %d\n%s\n%s", code, out, errs)
	}
	b, _ = os.ReadFile(filepath.Join(home, ".ecr_security"))
	if string(b) != mine {
		t.Fatalf("~/.ecr_security after down: %q", b)
	}
	code, out, _ = l.lab("status", "--sandbox")
	if code != 0 || !strings.Contains(out, "no lab run is saved here") || !strings.Contains(out, "nothing is billing") {
		t.Fatalf("status after down: exit %d\n%s", code, out)
	}
	// The JSON output carries the place too (TestEveryWorldHeadless).
	code, out, _ = l.lab("status", "--sandbox", "-o", "json")
	if code != 0 || !strings.Contains(out, `"environment"`) || !strings.Contains(out, `"credentialSource"`) {
		t.Fatalf("status -o json after down: exit %d\n%s", code, out)
	}
	code, _, _ = l.lab(append([]string{"down", "--yes"}, fast...)...)
	if code != 0 {
		t.Fatalf("second down: exit %d", code)
	}
	for _, f := range []string{"up.sh", "down.sh"} {
		b, err := os.ReadFile(filepath.Join(home, f))
		if err != nil || !strings.HasPrefix(string(b), "#!/usr/bin/env bash\n") {
			t.Fatalf("%s: %v\n%s", f, err, b)
		}
	}
}

func TestLabCommandsRefuse(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	code, _, errs := l.lab("up", "--sandbox")
	if code != 2 || !strings.Contains(errs, "add --yes") {
		t.Fatalf("up without --yes and without a terminal: exit %d: %s", code, errs)
	}
	code, _, errs = l.lab("down", "--sandbox")
	if code != 2 || !strings.Contains(errs, "add --yes") {
		t.Fatalf("down without --yes: exit %d: %s", code, errs)
	}
	code, _, errs = l.lab("up", "--sandbox", "--yes", "--deny", "ecr:Teleport")
	if code != 2 || !strings.Contains(errs, "not an ECR action") {
		t.Fatalf("bad --deny: exit %d: %s", code, errs)
	}
	code, _, errs = l.lab("up", "--sandbox", "--yes", "--policy-target", "s3")
	if code != 2 || !strings.Contains(errs, "use both or dkr") {
		t.Fatalf("bad --policy-target: exit %d: %s", code, errs)
	}
	code, _, errs = l.lab("status", "--sandbox", "--sandbox-timing", "slow")
	if code != 2 || !strings.Contains(errs, "realistic") {
		t.Fatalf("bad --sandbox-timing: exit %d: %s", code, errs)
	}
	if code, _, errs = l.lab("status", "--sandbox", "--sandbox-timing", "aws"); code != 0 {
		t.Fatalf("--sandbox-timing aws: exit %d: %s", code, errs)
	}
	code, _, errs = l.lab("test", "--sandbox", "--sandbox-timing", "instant")
	if code != 1 || !strings.Contains(errs, "run 'ecr-vpce-lab up --sandbox' first") {
		t.Fatalf("test before up: exit %d: %s", code, errs)
	}
	code, _, errs = l.lab("status", "--sandbox", "-o", "yaml")
	if code != 2 || !strings.Contains(errs, "use text or json") {
		t.Fatalf("bad --output: exit %d: %s", code, errs)
	}
}

func TestLabOffEC2WithExplicitIDs(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	home, state := l.home, l.state
	// Learn the world's IDs from a sandbox on the same state directory.
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(state, "sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	ws := sb.Workspace()
	_ = sb.Close()
	_ = home
	code, out, errs := l.lab("up", "--sandbox", "--sandbox-timing", "instant", "--yes", "--subnet", ws.SubnetID, "--workspace-sg", ws.SecurityGroupID)
	if code != 0 || !strings.Contains(out, "using the IDs you gave") || !strings.Contains(out, "the VPC's main table") {
		t.Fatalf("up with explicit IDs: exit %d\n%s\n%s", code, out, errs)
	}
	l.down("--sandbox", "--sandbox-timing", "instant")
}

// TestUpInterrupted: Ctrl-C while the endpoints are still pending stops the
// wait, keeps what was created on record, says how to resume or clean up,
// and exits 130; 'down' then removes everything. It stays serial (in this
// process's environment): it cancels Run's context, the path a caller
// takes, which only an in-process run can; TestUpCtrlCTwice and
// TestSignalEndsUpWithinTwoSeconds signal a process.
func TestUpInterrupted(t *testing.T) {
	_, state := labHome(t)
	t.Setenv("NO_COLOR", "1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Interrupt once the endpoints are on record (and still pending: the
		// realistic timing keeps them so for 20 s). EC2's reads do not lag
		// its writes here: that would only make the way there seconds
		// longer, in a test that runs alone.
		for ctx.Err() == nil {
			b, _ := os.ReadFile(filepath.Join(state, "lab-sandbox.json"))
			if strings.Count(string(b), `"service": "com.amazonaws.`) == 3 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	start := time.Now()
	code := Run(ctx, []string{"up", "--sandbox", "--sandbox-timing", "realistic", "--eventual-consistency", "0s", "--yes"}, strings.NewReader(""), &out, &errb)
	if code != 130 || !strings.Contains(errb.String(), "Run 'ecr-vpce-lab up --sandbox' to continue") || !strings.Contains(errb.String(), "'ecr-vpce-lab down --sandbox --yes' removes it all now.") {
		t.Fatalf("interrupted up: exit %d after %s\n%s\n%s", code, time.Since(start), out.String(), errb.String())
	}
	if time.Since(start) > 15*time.Second {
		t.Fatalf("the interruption took %s to take effect", time.Since(start))
	}
	b, err := os.ReadFile(filepath.Join(state, "lab-sandbox.json"))
	if err != nil || !strings.Contains(string(b), `"ecr.dkr"`) {
		t.Fatalf("state after the interruption: %v\n%s", err, b)
	}
	// What was created is on record and still pending; down removes it
	// (resuming is TestInterruptedUpResumes in steps: here the endpoints
	// would take their realistic 20 s).
	// (The s3 gateway is available at once, but may not be listed yet:
	// EC2's reads lag its writes for a few seconds, and it shows pending.)
	code, o, e := lab(t, "status", "--sandbox")
	if n := strings.Count(o, "pending (created)"); code != 0 || n < 2 || n > 3 {
		t.Fatalf("status after the interruption: exit %d\n%s\n%s", code, o, e)
	}
	if code, o, e := lab(t, "down", "--sandbox", "--sandbox-timing", "instant", "--yes"); code != 0 || !strings.Contains(o, "Nothing is left.") {
		t.Fatalf("down: exit %d\n%s\n%s", code, o, e)
	}
}

// TestUpCtrlCTwice interrupts a real process twice while its endpoints are
// pending: it exits 130 at once and leaves a state file 'down' can use.
func TestUpCtrlCTwice(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	state := l.state
	cmd := exec.Command(l.bin, "up", "--sandbox", "--yes")
	cmd.Env = l.environ()
	var out bytes.Buffer
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	seen, readDone := make(chan struct{}), make(chan struct{})
	var stdout bytes.Buffer
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		once := false
		for {
			n, err := pr.Read(buf)
			stdout.Write(buf[:n])
			if !once && strings.Count(stdout.String(), "pending") >= 2 {
				once = true
				close(seen)
			}
			if err != nil {
				if !once {
					close(seen)
				}
				return
			}
		}
	}()
	select {
	case <-seen:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no pending endpoints seen")
	}
	_ = cmd.Process.Signal(os.Interrupt)
	time.Sleep(20 * time.Millisecond)
	_ = cmd.Process.Signal(os.Interrupt)
	start := time.Now()
	err := cmd.Wait()
	<-readDone
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || time.Since(start) > 10*time.Second ||
		!strings.Contains(stdout.String(), "Stopping: nothing new starts") {
		t.Fatalf("exit %v after %s\n%s\n%s", err, time.Since(start), stdout.String(), out.String())
	}
	b, err := os.ReadFile(filepath.Join(state, "lab-sandbox.json"))
	var st struct {
		Endpoints map[string]struct{ ID string } `json:"endpoints"`
		Tokens    map[string]string              `json:"clientTokens"`
	}
	if err != nil || json.Unmarshal(b, &st) != nil || st.Endpoints == nil {
		t.Fatalf("state after two interruptions: %v\n%s", err, b)
	}
	// The second Ctrl-C can cut an endpoint's create short after AWS made
	// it: its ClientToken stays in the state file, the endpoint is not
	// recorded, and down finds it by its tag, once EC2 lists it. Its
	// reads lag its writes (a couple of seconds on this sandbox), so a
	// down at once may meet it only in its last look: it then says it is
	// still there and to run down again, keeping the run on record, and
	// that down removes it. Anything else left, or a recorded endpoint
	// left, fails.
	recorded := map[string]bool{}
	for _, r := range st.Endpoints {
		recorded[r.ID] = true
	}
	stillThere := regexp.MustCompile(`still there: (vpce-\w+)\n`)
	for try := 1; ; try++ {
		code, o, e := l.lab("down", "--sandbox", "--sandbox-timing", "instant", "--yes")
		if code == 0 && strings.Contains(o, "Nothing is left.") {
			break
		}
		m := stillThere.FindStringSubmatch(o)
		if try == 3 || len(st.Tokens) == 0 || code != 1 || m == nil || recorded[m[1]] || !strings.Contains(o, "fix: run 'ecr-vpce-lab down --sandbox' again") {
			t.Fatalf("down (try %d; creates cut short: %v): exit %d\n%s\n%s", try, st.Tokens, code, o, e)
		}
		t.Logf("down %d found %s, whose create was cut short, only in its last look; running it again", try, m[1])
	}
}

// TestUpAsksInATerminal: without --yes, in a terminal, up shows what it will
// create and asks; "n" creates nothing, "y" goes ahead.
func TestUpAsksInATerminal(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	state := l.state
	start := func() *ptytest.Term {
		return l.ask(120, []string{"This creates, in account 123456789012 (us-west-2)", "security group ECR_VPCE_SG", "Go ahead? [y/N]"},
			"up", "--sandbox", "--sandbox-timing", "instant")
	}
	term := start()
	_ = term.Send("n" + ptytest.Enter)
	if s, err := term.WaitForText(10*time.Second, "nothing was created"); err != nil {
		t.Fatalf("after n:\n%s", s)
	}
	if err := term.Wait(10 * time.Second); err == nil {
		t.Fatal("answering n exited 0")
	}
	b, _ := os.ReadFile(filepath.Join(state, "lab-sandbox.json"))
	if strings.Contains(string(b), `"securityGroup"`) {
		t.Fatalf("n created something:\n%s", b)
	}
	term = start()
	_ = term.Send("y" + ptytest.Enter)
	if s, err := term.WaitForText(30*time.Second, "The endpoints are up."); err != nil {
		t.Fatalf("after y:\n%s", s)
	}
	if err := term.Wait(10 * time.Second); err != nil {
		t.Fatalf("up after y: %v", err)
	}
	l.down("--sandbox", "--sandbox-timing", "instant")
}

// TestUpCtrlCInATerminal: Ctrl-C at up's question ends it at once with
// nothing created (it used to wait out the grace, then speak of calls in
// flight that did not exist); Ctrl-C while the endpoints are pending says
// first what is left and what it would bill, then how to go on or remove it.
func TestUpCtrlCInATerminal(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	exitStatus := func(term *ptytest.Term) int {
		var ee *exec.ExitError
		if err := term.Wait(10 * time.Second); errors.As(err, &ee) {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	up := []string{"up", "--sandbox", "--sandbox-timing", "realistic"}
	term := l.ask(200, []string{"Go ahead? [y/N]"}, up...)
	_ = term.Send("\x03")
	s, err := term.WaitForText(stopGrace, "nothing was created")
	if err != nil || strings.Contains(s, "Quitting now") {
		t.Fatalf("ctrl-c at the question:\n%s", s)
	}
	if code := exitStatus(term); code != 130 {
		t.Fatalf("ctrl-c at the question: exit %d, want 130\n%s", code, term.Screen())
	}

	term = l.ask(200, []string{"Go ahead? [y/N]"}, up...)
	_ = term.Send("y" + ptytest.Enter)
	if s, err := term.WaitFor(30*time.Second, func(s string) bool { return strings.Count(s, "pending") >= 2 }); err != nil {
		t.Fatalf("no pending endpoints:\n%s", s)
	}
	_ = term.Send("\x03")
	if s, err := waitUnwrapped(term, 200, 10*time.Second, "stopped. Still there: the ecr.dkr and ecr.api interface endpoints (on AWS: about $0.02 per hour, $0.02 so far; the sandbox bills nothing)",
		"The auto-teardown removes the endpoints at", "'ecr-vpce-lab down --sandbox --yes' removes it all now. Run 'ecr-vpce-lab up --sandbox' to continue where it stopped."); err != nil {
		t.Fatalf("ctrl-c with endpoints pending:\n%s", s)
	}
	if code := exitStatus(term); code != 130 {
		t.Fatalf("ctrl-c with endpoints pending: exit %d, want 130", code)
	}
	l.down("--sandbox", "--sandbox-timing", "instant")
}

// TestDownAsksInATerminal: without --yes, in a terminal, down asks; a no
// (typed, or the input ended with Ctrl-D) deletes nothing and says what
// goes on billing and how to remove it, on a line of its own.
func TestDownAsksInATerminal(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	l.upState([]string{"--sandbox", "--sandbox-timing", "instant"})
	for _, answer := range []string{"n" + ptytest.Enter, "\x04"} {
		term := l.ask(200, []string{"Delete this run's resources? [y/N]"}, "down", "--sandbox", "--sandbox-timing", "instant")
		_ = term.Send(answer)
		s, err := waitUnwrapped(term, 200, 10*time.Second, "nothing was deleted. Still there: the ecr.dkr and ecr.api interface endpoints (on AWS: about $0.02 per hour, $0.02 so far; the sandbox bills nothing)",
			"The auto-teardown removes the endpoints at", "'ecr-vpce-lab down --sandbox --yes' removes it all now.")
		if err != nil {
			t.Fatalf("after %q:\n%s", answer, s)
		}
		if err := term.Wait(10 * time.Second); err == nil {
			t.Fatalf("answering %q exited 0", answer)
		}
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "[y/N]") && strings.Contains(line, "nothing was deleted") {
				t.Fatalf("after %q the answer shares the question's line:\n%s", answer, s)
			}
		}
	}
	code, o, e := l.lab("status", "--sandbox")
	if code != 0 || !strings.Contains(o, "available (created)") {
		t.Fatalf("status after two noes: exit %d\n%s\n%s", code, o, e)
	}
	l.down("--sandbox", "--sandbox-timing", "instant")
}

// waitUnwrapped waits until the screen holds every one of want, with the
// lines the terminal wrapped at its width joined again (fang wraps an
// error line at the window's width, anywhere in a word).
func waitUnwrapped(term *ptytest.Term, width int, d time.Duration, want ...string) (string, error) {
	return term.WaitFor(d, func(s string) bool {
		flat := joinWrapped(s, width)
		for _, w := range want {
			if !strings.Contains(flat, w) {
				return false
			}
		}
		return true
	})
}
