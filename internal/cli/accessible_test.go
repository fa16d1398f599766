package cli

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/ui"
)

// Accessible mode honours the answer: "no" to every question creates
// nothing, any other word is asked again, and only a yes (or Enter where
// yes is the stated default) runs a step.
func TestAccessibleModeHonoursTheAnswer(t *testing.T) {
	fast := []string{"--accessible", "--sandbox", "--sandbox-timing", "instant"}
	t.Run("no", func(t *testing.T) {
		labHome(t)
		code, out, errs := runCLI(t, strings.Repeat("no\n", 40), fast...)
		if code != 0 || strings.Contains(out, " is created.") || strings.Contains(out, "is creating") || !strings.Contains(out, "Skipped.") {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
		code, out, errs = lab(t, "status", "--sandbox")
		if code != 0 || !strings.Contains(out, "no lab run is saved here") || strings.Contains(out, "tagged ecr-vpce-lab:run") {
			t.Fatalf("status after answering no: exit %d\n%s%s", code, out, errs)
		}
	})
	t.Run("other words", func(t *testing.T) {
		labHome(t)
		// Preflight: two answers it does not take, then yes; the
		// security group: "quit".
		code, out, errs := runCLI(t, "maybe\nsure thing\nyes\nquit\n", fast...)
		if code != 0 || strings.Count(out, "Please type y (or just Enter) to run this step, n to skip it, or q to stop.") != 2 ||
			!strings.Contains(out, "Step done.") || strings.Contains(out, "security group ECR_VPCE_SG sg-") || !strings.Contains(out, "Stopped.") {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
	})
}

// Answers that run out before the lab finishes stop it, but not as a
// success: exit 1, and the last words say how to resume with the same
// --state-dir and how to remove what was made. A q typed by the learner
// stays a choice (exit 0, as "other words" above shows).
func TestAccessibleInputEndingIsNotSuccess(t *testing.T) {
	labHome(t)
	dir := t.TempDir()
	// Preflight and the security group: Enter; then the input ends.
	code, out, errs := runCLI(t, "\n\n", "--accessible", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir)
	resume := "ecr-vpce-lab --accessible --sandbox --state-dir " + dir
	down := "ecr-vpce-lab down --sandbox --state-dir " + dir + " --yes"
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if code != 1 || last != "Stopped: the input ended before the lab finished. Run "+resume+" again to resume, or "+down+" to remove what the lab created." ||
		!strings.Contains(errs, "the input ended before the lab finished") || !strings.Contains(errs, "run '"+resume+"' again to resume, or '"+down+"'") {
		t.Fatalf("exit %d, want 1; last words %q\n%s%s", code, last, out, errs)
	}
}

// Ctrl-C at a question stops accessible mode at once (not after the next
// Enter) and exits 130, the last words saying how to resume; and no read
// of its input is left waiting: on a terminal, the error's rendering reads
// the same stdin (asking the background colour), and a read left waiting
// there held it, so the program never exited.
func TestAccessibleCtrlCAtAQuestion(t *testing.T) {
	labHome(t)
	dir := t.TempDir()
	t.Setenv("NO_COLOR", "1")
	stdin, typing, err := os.Pipe() // a file, as a terminal is; a learner who types nothing
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer typing.Close()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var out, errs testtool.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"--accessible", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir}, stdin, &out, &errs)
	}()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "Run this step now?"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no question:\n%s%s", out.String(), errs.String())
		}
	}
	interrupt()
	select {
	case code := <-done:
		resume := "ecr-vpce-lab --accessible --sandbox --state-dir " + dir
		if code != 130 || !strings.HasSuffix(out.String(), "\nStopped. Run "+resume+" again to resume.\n") || !strings.Contains(errs.String(), "run '"+resume+"' again to resume") {
			t.Fatalf("exit %d, want 130 and how to resume:\n%s%s", code, out.String(), errs.String())
		}
		// What is typed now reaches whoever reads stdin next, not a
		// read the lab left behind.
		if _, err := typing.Write([]byte("probe\n")); err != nil {
			t.Fatal(err)
		}
		_ = stdin.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, 16)
		if n, err := stdin.Read(got); string(got[:n]) != "probe\n" {
			t.Fatalf("after the lab returned, a line typed went to a read it left waiting (we read %q, %v)", got[:n], err)
		}
	case <-time.After(10 * time.Second):
		typing.Close() // the old code waits for a line; let it end
		t.Fatalf("ctrl-c at a question did not stop the lab until the next line:\n%s", out.String())
	}
}

// How accessible mode's end becomes the exit status: a lab that did not
// get done (a teardown AWS refused, say) is 1, never the 2 of a command
// line that was wrong; a status the error carries is kept.
func TestAccessibleExitStatus(t *testing.T) {
	refused := &problem.Error{Kind: problem.Permission, Op: "DeleteVpcEndpoints", Message: "not authorized", Fix: "ask for ec2:DeleteVpcEndpoints"}
	for _, c := range []struct {
		name string
		err  error
		code int
		fix  string
	}{
		{"finished", nil, 0, ""},
		{"teardown refused", refused, 1, "ask for ec2:DeleteVpcEndpoints"},
		{"plain error", errors.New("no way to connect"), 1, ""},
		{"input ended", &problem.Error{Message: ui.ErrInputEnded.Error(), Fix: "run it again", Err: ui.ErrInputEnded}, 1, "run it again"},
		{"interrupted", &problem.Error{Kind: problem.Canceled, Fix: "run it again to resume", Err: context.Canceled}, 130, "run it again to resume"},
		{"a flag refused while opening", &problem.Error{Message: "bad", Err: exitCode(2, "--region moon-1 is not a region")}, 2, ""},
	} {
		err := accessibleExit(c.err)
		code := 0
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if err != nil {
			code = 2 // what execute gives an error without a status
		}
		if code != c.code || (c.fix != "" && (ee == nil || ee.fix != c.fix)) {
			t.Errorf("%s: exit %d (fix %v), want %d (fix %q)", c.name, code, ee, c.code, c.fix)
		}
	}
}

// A wizard a signal stopped (ctrl+c is a key there; this is kill, a
// closing IDE) exits 130, and its error line does not send the learner to
// another lab: it points to the note above it, which names what the lab
// left and the commands that come back or remove it, or, with no note,
// gives the command that resumes with the flags that chose this lab.
func TestWizardStoppedBySignal(t *testing.T) {
	stopped := exitCode(130, "stopped")
	resume := "ecr-vpce-lab --sandbox --state-dir /tmp/lab"
	var ee *exitError
	if err := signalled(stopped, "Still running: …", resume); !errors.As(err, &ee) || ee.code != 130 || ee.fix != "" || !strings.Contains(ee.msg, "is above") {
		t.Errorf("with a note: %#v", ee)
	}
	if err := signalled(stopped, "", resume); !errors.As(err, &ee) || ee.code != 130 || ee.fix != "run '"+resume+"' again to continue where you were" {
		t.Errorf("without a note: %#v", ee)
	}
	if err := signalled(exitCode(1, "failed"), "", resume); !errors.As(err, &ee) || ee.code != 1 || ee.fix != "" {
		t.Errorf("not a signal: %#v", ee)
	}
	if signalled(nil, "a note", resume) != nil {
		t.Error("a finished wizard is no error")
	}
}

// An n to the HTTPS rule (step 4) while the rest runs leaves endpoints no
// one in the workspace can reach: their security group drops the
// connections, in the sandbox as on AWS. The push test fails naming the
// group, the workspace's group and the fix, never as a bare timeout; the
// last words do not claim the lab worked, and status shows the step not
// run instead of leaving it out of a list of ticks.
func TestAccessibleRulePassedOver(t *testing.T) {
	labHome(t)
	dir := t.TempDir()
	// Preflight, the security group: Enter; the rule: n; then Enter
	// (the defaults, then the push test again until the input ends).
	code, out, errs := runCLI(t, "\n\nn\n"+strings.Repeat("\n", 40), "--accessible", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir)
	if code != 1 || !regexp.MustCompile(`Failed: log in to the registry \(ecr get-login-password\): EndpointSecurityGroupDrops: the endpoint's security group ECR_VPCE_SG \((sg-[0-9a-f]+)\) does not allow HTTPS from the workspace's (sg-[0-9a-f]+)`).MatchString(out) ||
		// On the sandbox, both commands are the sandbox's: up with this
		// lab's flags, the AWS CLI pointed at the sandbox.
		!regexp.MustCompile(`What to do: run 'ecr-vpce-lab up --sandbox --state-dir `+regexp.QuoteMeta(dir)+`' again: step 4 adds the rule; or add it yourself: aws --endpoint-url http://127\.0\.0\.1:[0-9]+ ec2 authorize-security-group-ingress --group-id sg-[0-9a-f]+ --protocol tcp --port 443 --source-group sg-[0-9a-f]+ --region us-west-2`).MatchString(out) ||
		strings.Contains(out, "ECR now goes through private endpoints") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "status", "--sandbox", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "! Allow HTTPS from the workspace     not run, yet the steps after it were: 'ecr-vpce-lab up --sandbox --state-dir "+dir+"' runs it") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "down", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir, "--yes"); code != 0 {
		t.Fatalf("down: exit %d\n%s%s", code, out, errs)
	}
}

// A lab walked to its end and kept running is done, not stopped: the input
// that ends at the questions after the finish (tear down now? a new
// expiry?), which Enter would answer the same way, is no unfinished lab
// (exit 0), and the last words say what goes on billing and how to remove
// it, not "Stopped … again to resume".
func TestAccessibleKeptLabIsDone(t *testing.T) {
	// Eleven Enters reach the teardown question, twelve the expiry's,
	// thirteen answer every question.
	for _, enters := range []int{11, 12, 13} {
		labHome(t)
		dir := t.TempDir()
		code, out, errs := runCLI(t, strings.Repeat("\n", enters), "--accessible", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		want := regexp.MustCompile(`^Done\. Still there: the ecr\.dkr and ecr\.api interface endpoints \(on AWS: about \$0\.02 per hour, \$0\.02 so far; the sandbox bills nothing\), ` +
			`the s3 gateway endpoint and the security group ECR_VPCE_SG with its rule\. ` +
			regexp.QuoteMeta("'ecr-vpce-lab down --sandbox --state-dir "+dir+" --yes' removes it all now. ecr-vpce-lab --accessible --sandbox --state-dir "+dir+" brings you back to the lab.") + `$`)
		if code != 0 || !want.MatchString(lines[len(lines)-1]) || !strings.Contains(out, "Tear everything down now?") {
			t.Errorf("%d Enters: exit %d, last words %q\n%s%s", enters, code, lines[len(lines)-1], out, errs)
		}
		if code, out, errs := runCLI(t, "", "down", "--sandbox", "--sandbox-timing", "instant", "--state-dir", dir, "--yes"); code != 0 {
			t.Fatalf("down: exit %d\n%s%s", code, out, errs)
		}
	}
}
