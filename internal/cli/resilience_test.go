package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// procHome is an isolatedLab whose commands find their sandbox through
// its serving file (`ecr-vpce-lab sandbox`, or one in this process), with
// nothing of AWS's configuration, and may run in the background (start).
type procHome struct{ *isolatedLab }

func newProcHome(t *testing.T) *procHome {
	l := newIsolatedLab(t)
	l.env["AWS_CONFIG_FILE"], l.env["AWS_SHARED_CREDENTIALS_FILE"] = os.DevNull, os.DevNull
	return &procHome{l}
}

// sandboxProc is `ecr-vpce-lab sandbox` serving h's world in its own
// process, or a sandbox serving it in this one (sb).
type sandboxProc struct {
	h     *procHome
	cmd   *exec.Cmd
	sb    *sandbox.Sandbox
	env   map[string]string
	cloud *awsops.Cloud
	vpc   string
	done  chan struct{} // closed when the process has ended
}

// stop interrupts the sandbox and waits until it has saved the world and
// ended; requests in flight are answered first.
func (sp *sandboxProc) stop() {
	if sp.sb != nil {
		_ = sp.sb.Close()
		return
	}
	_ = sp.cmd.Process.Signal(os.Interrupt)
	select {
	case <-sp.done:
	case <-time.After(10 * time.Second):
		_ = sp.cmd.Process.Kill()
		<-sp.done
	}
}

// restart serves the same world again, without faults: what a test checks
// after the faults have done their part need not wait for them.
func (sp *sandboxProc) restart() *sandboxProc {
	sp.h.t.Helper()
	sp.stop()
	return sp.h.startSandbox()
}

// startSandbox runs `ecr-vpce-lab sandbox --timing instant ARGS...` on h's
// state directory and waits until it serves.
func (h *procHome) startSandbox(args ...string) *sandboxProc {
	t := h.t
	t.Helper()
	cmd := exec.Command(h.bin, append([]string{"sandbox", "--state-dir", h.state, "--timing", "instant"}, args...)...)
	cmd.Env = h.environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sp := &sandboxProc{h: h, cmd: cmd, env: map[string]string{}, done: make(chan struct{})}
	// Wait only after the output has been read to its end (see
	// exec.Cmd.StdoutPipe).
	outDone := make(chan struct{})
	go func() { <-outDone; _ = cmd.Wait(); close(sp.done) }()
	t.Cleanup(sp.stop)
	ready := make(chan error, 1)
	go func() {
		defer close(outDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
				sp.env[k] = strings.Trim(v, "'")
			}
			if strings.HasPrefix(line, "# ecr-vpce-lab sandbox: serving") {
				ready <- nil
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("the sandbox stopped before serving: %s", stderr.String())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the sandbox did not serve within 30 s: %s", stderr.String())
	}
	// An inspector of the world, with patient retries (the sandbox may be
	// throttling).
	sp.cloud = inspector(t, sandboxlab.FromEnv(func(name string) string { return sp.env[name] }))
	vpcs, err := sp.cloud.ListVPCs(context.Background())
	if err != nil || len(vpcs) != 1 {
		t.Fatalf("the sandbox's VPCs: %v %v", vpcs, err)
	}
	sp.vpc = vpcs[0].ID
	return sp
}

// startHeldSandbox serves h's world in this process, as startSandbox's
// process would (the lab's commands find it through its serving file),
// holding up every call of action once a call of after has succeeded for
// real (not as a DryRun): the lab stops at a known point of its run, for
// as long as the test needs, at no cost anywhere else (a latency on every
// call, --fault-latency, makes the whole run slow). A held call goes on
// when release is called, or when its caller goes away (a killed lab's
// call is then served, as AWS serves a request it has received).
func (h *procHome) startHeldSandbox(after, action string) (sp *sandboxProc, release func()) {
	t := h.t
	t.Helper()
	var armed atomic.Bool
	released := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(released) }) }
	sb, err := sandbox.Start(context.Background(), sandbox.Options{
		StateDir: worldDir(h.state),
		Recorder: sandbox.RecorderFunc(func(c sandbox.Call) {
			if c.Action == after && !c.DryRun && c.ErrorCode == "" {
				armed.Store(true)
			}
		}),
		Interceptors: []sandbox.Interceptor{func(ctx context.Context, r sandbox.Request) *sandbox.APIError {
			if armed.Load() && r.Action == action {
				select {
				case <-released:
				case <-ctx.Done():
				}
			}
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sp = &sandboxProc{h: h, sb: sb, cloud: inspector(t, sandboxlab.Options(sb)), vpc: sb.Workspace().VpcID}
	t.Cleanup(sp.stop)
	t.Cleanup(release)
	return sp, release
}

// started is a lab command running in the background, its output read line
// by line.
type started struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   bytes.Buffer
	lines chan string
	done  chan struct{}
}

// background starts a lab command and reads its output as it comes.
func (h *procHome) background(args ...string) *started {
	h.t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.environ()
	pr, pw, err := os.Pipe()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	pw.Close()
	s := &started{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		pr.Close()
	}()
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return s
}

func (s *started) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitFor waits (bounded) for a line matching re.
func (s *started) waitFor(t *testing.T, re *regexp.Regexp, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("the command ended before printing a line matching %q:\n%s", re, s.output())
			}
			if re.MatchString(l) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line matching %q within %s:\n%s", re, within, s.output())
		}
	}
}

// wait waits for the command to end and returns its exit code.
func (s *started) wait(t *testing.T) int {
	t.Helper()
	err := s.cmd.Wait()
	<-s.done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// assertWorldMatchesState fails unless the world holds exactly the lab's
// resources the state file lists, once each: one ECR_VPCE_SG, its rule, and
// one live endpoint per service, all available.
func assertWorldMatchesState(t *testing.T, sp *sandboxProc, stateDir string) {
	t.Helper()
	ctx := context.Background()
	st, err := steps.NewStore(stateDir, "sandbox").Load()
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	groups, eps := labResources(t, sp.cloud, sp.vpc)
	if len(groups) != 1 || st.SecurityGroup == nil || groups[0] != st.SecurityGroup.ID {
		t.Errorf("groups named ECR_VPCE_SG: %v; the state file: %+v", groups, st.SecurityGroup)
	}
	if st.SecurityGroup != nil {
		all, err := sp.cloud.TaggedSecurityGroups(ctx, steps.TagKey, "")
		if err != nil || len(all) != 1 {
			t.Errorf("tagged security groups: %d (%v), want 1", len(all), err)
		}
		r, err := sp.cloud.FindIngressRule(ctx, st.SecurityGroup.ID, st.Workspace.SecurityGroupID)
		if err != nil || r == nil || st.Rule == nil || r.ID != st.Rule.ID {
			t.Errorf("ingress rule in the world %+v (%v), in the state file %+v", r, err, st.Rule)
		}
	}
	bySvc := map[string][]string{}
	for id, e := range eps {
		k := awsops.ShortService(e.Service)
		bySvc[k] = append(bySvc[k], id)
		if !e.Available() {
			t.Errorf("endpoint %s (%s) is %s", id, k, e.State)
		}
	}
	if len(eps) != 3 {
		t.Errorf("%d endpoints in the VPC, want 3: %v", len(eps), bySvc)
	}
	for _, k := range steps.EndpointKeys {
		rec := st.Endpoints[k]
		if len(bySvc[k]) != 1 || rec == nil || bySvc[k][0] != rec.ID {
			t.Errorf("%s: endpoints %v in the world, %+v in the state file", k, bySvc[k], rec)
		}
	}
}

// downTwice runs down twice: the first removes everything, the second is a
// no-op; nothing of the lab is left.
func downTwice(t *testing.T, h *procHome, sp *sandboxProc) {
	t.Helper()
	code, out := h.runJoined("down", "--sandbox", "--yes")
	if code != 0 || !strings.Contains(out, "Nothing is left.") {
		t.Fatalf("down: exit %d\n%s", code, out)
	}
	assertNothingLeft(t, sp.cloud, sp.vpc, nil)
	code, out = h.runJoined("down", "--sandbox", "--yes")
	if code != 0 || !strings.Contains(out, "no saved run here, and nothing tagged ecr-vpce-lab:run") || !strings.Contains(out, "Removed 0 resource(s)") {
		t.Fatalf("second down: exit %d\n%s", code, out)
	}
	assertNothingLeft(t, sp.cloud, sp.vpc, nil)
}

// TestLabSurvivesFaults runs the built binary against `ecr-vpce-lab
// sandbox` processes (or, where the kill needs one call held up, a sandbox
// in the test's process): killed at chosen points and run again,
// throttled, two at once.
func TestLabSurvivesFaults(t *testing.T) {
	t.Parallel()
	kills := []struct {
		name    string
		sandbox []string
		// hold (after, action): instead, a sandbox in this process holds
		// up action once after succeeded (startHeldSandbox); the kill
		// lands then.
		hold   [2]string
		marker string
		// times the marker must be seen before the kill (default 1).
		times int
		// after checks the state the kill left.
		after func(t *testing.T, st steps.State, err error)
	}{
		{name: "during discovery", sandbox: []string{"--fault-latency", "150ms"}, marker: `^Discover the workspace$`,
			after: func(t *testing.T, st steps.State, err error) {
				if err == nil && st.SecurityGroup != nil {
					t.Errorf("killed during discovery, yet a group is on record: %+v", st.SecurityGroup)
				}
			}},
		{name: "right after the security group is created", hold: [2]string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress"},
			marker: `security group\s+ECR_VPCE_SG\s+sg-\w+\s+created`,
			after: func(t *testing.T, st steps.State, err error) {
				if err != nil || st.SecurityGroup == nil || st.Rule != nil {
					t.Errorf("killed after the group: state %v, group %+v, rule %+v", err, st.SecurityGroup, st.Rule)
				}
			}},
		{name: "while the endpoints are being created", hold: [2]string{"AuthorizeSecurityGroupIngress", "CreateVpcEndpoint"},
			marker: `endpoint\s+ecr\.(dkr|api)\s+…\s+creating`,
			after: func(t *testing.T, st steps.State, err error) {
				if err != nil || st.Rule == nil || len(st.Endpoints) == 3 {
					t.Errorf("killed while creating: state %v, rule %+v, %d endpoints on record", err, st.Rule, len(st.Endpoints))
				}
			}},
		{name: "while waiting for the endpoints", sandbox: []string{"--endpoint-available-after", "3s"},
			// The third endpoint on record: up is then polling.
			marker: `endpoint\s+(ecr\.dkr|ecr\.api|s3)\s+vpce-\w+\s+(pending|available)`, times: 3,
			after: func(t *testing.T, st steps.State, err error) {
				if err != nil || len(st.Endpoints) != 3 {
					t.Errorf("killed while waiting: state %v, %d endpoints on record", err, len(st.Endpoints))
				}
			}},
	}
	// The cases spend their time waiting on injected latency and timing,
	// each in its own home with its own sandbox: they all run at once,
	// rather than -parallel at a time (t.Run may be called from several
	// goroutines).
	var wg sync.WaitGroup
	run := func(name string, f func(t *testing.T)) {
		wg.Go(func() { t.Run(name, f) })
	}
	defer wg.Wait()

	for _, k := range kills {
		run("killed "+k.name+", then up again", func(t *testing.T) {
			h := newProcHome(t)
			var sp *sandboxProc
			release := func() {}
			if k.hold[0] != "" {
				sp, release = h.startHeldSandbox(k.hold[0], k.hold[1])
			} else {
				sp = h.startSandbox(k.sandbox...)
			}
			up := h.background("up", "--sandbox", "--yes")
			line := ""
			for range max(k.times, 1) {
				line = up.waitFor(t, regexp.MustCompile(k.marker), time.Minute)
			}
			if err := up.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if code := up.wait(t); code != -int(syscall.SIGKILL) {
				t.Fatalf("up ended with %d before the kill:\n%s", code, up.output())
			}
			release()
			st, err := steps.NewStore(h.state, "sandbox").Load()
			k.after(t, st, err)
			groups, eps := labResources(t, sp.cloud, sp.vpc)
			t.Logf("killed at %q: the world had %d group(s) and %d endpoint(s); the state file %d endpoint(s)", line, len(groups), len(eps), len(st.Endpoints))
			// The faults made the window for the kill; the rest runs
			// without them.
			sp = sp.restart()

			start := time.Now()
			code, out := h.runJoined("up", "--sandbox", "--yes")
			if code != 0 || !strings.Contains(out, "The endpoints are up.") {
				t.Fatalf("up after the kill: exit %d\n%s", code, out)
			}
			if err == nil && !strings.Contains(out, "continuing run "+st.RunID) {
				t.Errorf("up did not say it continues run %s:\n%s", st.RunID, out)
			}
			t.Logf("resumed in %s", time.Since(start).Round(time.Millisecond))
			assertWorldMatchesState(t, sp, h.state)
			downTwice(t, h, sp)
		})
	}

	run("down after a partial up", func(t *testing.T) {
		h := newProcHome(t)
		sp, release := h.startHeldSandbox("AuthorizeSecurityGroupIngress", "CreateVpcEndpoint")
		up := h.background("up", "--sandbox", "--yes")
		up.waitFor(t, regexp.MustCompile(`endpoint\s+ecr\.(dkr|api)\s+…\s+creating`), time.Minute)
		_ = up.cmd.Process.Signal(syscall.SIGKILL)
		up.wait(t)
		release()
		// An endpoint whose create was in flight exists, unrecorded, once
		// the sandbox has served the request (it does before it stops);
		// down finds it by its tag.
		sp = sp.restart()
		downTwice(t, h, sp)
	})

	for _, registry := range []bool{false, true} {
		name := "throttling and 5xx at 20 % each"
		// The draws are the sandbox's, from a seed logged here: a failure
		// can be replayed (the same seed and the same requests give the
		// same faults; concurrent requests may come in another order).
		seed := rand.Uint64() | 1
		args := []string{"--fault-throttle-rate", "0.2", "--fault-5xx-rate", "0.2", "--fault-seed", strconv.FormatUint(seed, 10)}
		if registry {
			name += ", the registry too"
			args = append(args, "--fault-registry")
		}
		run(name, func(t *testing.T) {
			t.Logf("fault seed %d (replay: ecr-vpce-lab sandbox %s)", seed, strings.Join(args, " "))
			h := newProcHome(t)
			sp := h.startSandbox(args...)
			summary := regexp.MustCompile(`(?m)^(\d+) calls \(.*?\)(?:, (\d+) retries)? in `)
			// With 40 % of calls failing, a call fails all of its
			// awsops.RetryAttempts attempts about once in 10^4 (0.4^10),
			// the rate the retryer is built for, and a command makes a
			// few hundred calls. The lab must then say so, with the fix
			// (run it again: it resumes), and running it again must
			// finish. Once per command: twice in a row would be 10^-4.
			exhausted := regexp.MustCompile(`\[(throttled by AWS|AWS had a problem)\] fix: .*run the command again`)
			total := 0
			for _, cmd := range [][]string{{"up", "--sandbox", "--yes", "--verbose"}, {"test", "--sandbox", "--verbose"}, {"down", "--sandbox", "--yes", "--verbose"}} {
				for try := 1; ; try++ {
					start := time.Now()
					code, out := h.runJoined(cmd...)
					m := summary.FindStringSubmatch(out)
					if m == nil {
						t.Fatalf("%s under faults: exit %d, no call summary\n%s", cmd[0], code, out)
					}
					retries, _ := strconv.Atoi(m[2])
					total += retries
					t.Logf("%s: exit %d in %s, %s calls, %d retries", cmd[0], code, time.Since(start).Round(time.Millisecond), m[1], retries)
					if code == 0 {
						if cmd[0] == "test" && !strings.Contains(out, "push team-a/alpine:v2: denied, as the policy predicts") {
							t.Fatalf("test under faults:\n%s", out)
						}
						break
					}
					if try == 2 || code != 1 || !exhausted.MatchString(out) {
						t.Fatalf("%s under faults (run %d): exit %d\n%s", cmd[0], try, code, out)
					}
					t.Logf("%s ran out of retries and said so (%s); running it again", cmd[0], exhausted.FindString(out))
				}
			}
			if total == 0 {
				t.Fatal("no retries reported under 20 % throttling and 20 % 5xx")
			}
			assertNothingLeft(t, sp.cloud, sp.vpc, nil)
		})
	}

	run("two at once on one state directory", func(t *testing.T) {
		h := newProcHome(t)
		// The first up, holding the lab's lock, stops at its endpoints'
		// creation until the second commands have been refused.
		sp, release := h.startHeldSandbox("AuthorizeSecurityGroupIngress", "CreateVpcEndpoint")
		first := h.background("up", "--sandbox", "--yes")
		first.waitFor(t, regexp.MustCompile(`endpoint\s+ecr\.(dkr|api)\s+…\s+creating`), time.Minute)
		for _, second := range [][]string{{"up", "--sandbox", "--yes"}, {"down", "--sandbox", "--yes"}, {"test", "--sandbox"}} {
			code, out := h.runJoined(second...)
			if code != 1 || !regexp.MustCompile(`another ecr-vpce-lab command \(process \d+\) is working on this lab \(.*lab-sandbox\.lock\); wait for it to finish, or stop it`).MatchString(out) ||
				strings.Contains(out, "Discover the workspace") || strings.Contains(out, "Tear down") {
				t.Fatalf("a second %s while up runs: exit %d\n%s", second[0], code, out)
			}
		}
		release()
		if code := first.wait(t); code != 0 {
			t.Fatalf("the first up: exit %d\n%s", code, first.output())
		}
		assertWorldMatchesState(t, sp, h.state)
		downTwice(t, h, sp)
	})
}

// TestDamagedStateFile: the state file deleted, truncated or garbled.
// status and down find the run by its tags and say so; down cleans up. up
// carries on with a run whose file was deleted (a wiped CloudShell home),
// and refuses to guess over a damaged file, saying how to proceed.
func TestDamagedStateFile(t *testing.T) {
	t.Parallel()
	damage := []struct {
		name string
		do   func(path string) error
		// status and down say this about the state file.
		says string
	}{
		{"deleted", os.Remove, ""},
		{"truncated", func(p string) error { return os.Truncate(p, 40) }, "is damaged (unexpected end of JSON input): using the resources' ecr-vpce-lab:run tags instead"},
		{"garbled", func(p string) error { return os.WriteFile(p, []byte("{\"version\": \"one\", \x00\xff"), 0o600) }, "is damaged (invalid character"},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			l := newIsolatedLab(t)
			state := l.state
			fast := []string{"--sandbox", "--sandbox-timing", "instant"}
			if code, out, errs := l.lab(append([]string{"up", "--yes"}, fast...)...); code != 0 {
				t.Fatalf("up: exit %d\n%s%s", code, out, errs)
			}
			path := filepath.Join(state, "lab-sandbox.json")
			st, err := steps.NewStore(state, "sandbox").Load()
			if err != nil {
				t.Fatal(err)
			}
			if err := d.do(path); err != nil {
				t.Fatal(err)
			}
			found := "found run " + st.RunID + " by its ecr-vpce-lab:run tags"
			code, out, errs := l.lab(append([]string{"status"}, fast...)...)
			if code != 0 || !strings.Contains(out, found) || !strings.Contains(out, "run "+st.RunID+", found by its ecr-vpce-lab:run tags (no state file here)") ||
				strings.Count(out, "(created)") != 5 || strings.Contains(out, "not in the state file") {
				t.Fatalf("status: exit %d\n%s%s", code, out, errs)
			}
			if d.says != "" && !strings.Contains(out, d.says) {
				t.Fatalf("status does not say the state file is damaged:\n%s", out)
			}
			code, out, errs = l.lab(append([]string{"up", "--yes"}, fast...)...)
			if d.name == "deleted" {
				if code != 0 || !strings.Contains(out, found) || !strings.Contains(out, "continuing run "+st.RunID) || !strings.Contains(out, "The endpoints are up.") ||
					strings.Contains(out, " creating") {
					t.Fatalf("up after the state file was deleted: exit %d\n%s%s", code, out, errs)
				}
			} else if want := "fix: run 'ecr-vpce-lab down --sandbox' (it finds the lab's resources by their tags), then 'up' again"; code != 1 || !strings.Contains(out+errs, want) || strings.Contains(out, "Security group for the endpoints") {
				t.Fatalf("up with the state file %s: exit %d\n%s%s", d.name, code, out, errs)
			}
			code, out, errs = l.lab(append([]string{"down", "--yes"}, fast...)...)
			if code != 0 || !strings.Contains(out, d.says) || !strings.Contains(out, "Nothing is left.") || !strings.Contains(out, "ECR_VPCE_SG") {
				t.Fatalf("down: exit %d\n%s%s", code, out, errs)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the damaged state file is still there: %v", err)
			}
			// The world: nothing of the lab left.
			sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(state, "sandbox")})
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			assertNothingLeft(t, inspector(t, sandboxlab.Options(sb)), sb.Workspace().VpcID, nil)
		})
	}
}
