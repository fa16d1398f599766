package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/sandbox"
)

// slowCreates sits between the lab and the sandbox and holds the first
// CreateSecurityGroup until released, as AWS may take its time: the request
// is answered by the sandbox whatever the client does meanwhile, as AWS
// completes a request it received.
type slowCreates struct {
	target  string
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *slowCreates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if bytes.Contains(body, []byte("Action=CreateSecurityGroup")) && !bytes.Contains(body, []byte("DryRun=true")) {
		held := false
		s.once.Do(func() { held = true })
		if held {
			close(s.arrived)
			<-s.release
		}
	}
	req, _ := http.NewRequestWithContext(context.Background(), r.Method, s.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	req.Host = r.Host // the signature covers it
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// SIGTERM while a create is still unanswered ends 'up' within 2 s with
// status 130, the state saved as it was; the next 'up' adopts what the
// unanswered call created, and 'down' leaves nothing.
func TestSignalEndsUpWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	l := newIsolatedLab(t)
	state := l.state
	sb, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: filepath.Join(state, "sandbox"), Timing: sandbox.Instant})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	// The lab finds this sandbox through its exports, which point at the
	// proxy, not through its announcement.
	if err := os.Remove(filepath.Join(state, "sandbox", "serving.json")); err != nil {
		t.Fatal(err)
	}
	slow := &slowCreates{target: sb.Endpoint(), arrived: make(chan struct{}), release: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: slow}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	defer func() {
		select {
		case <-slow.release:
		default:
			close(slow.release)
		}
	}()
	l.env["AWS_EC2_METADATA_DISABLED"] = ""
	for _, e := range sb.Env() {
		l.env[e.Name] = e.Value
	}
	l.env["AWS_ENDPOINT_URL"] = "http://" + ln.Addr().String()

	cmd := exec.Command(l.bin, "up", "--sandbox", "--yes")
	cmd.Env = l.environ()
	out := &stampedOutput{marks: []string{"Stopping:", "Quitting now"}}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-slow.arrived:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("CreateSecurityGroup never came:\n%s", out.String())
	}
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	took := time.Since(start)
	// The two seconds run from the moment the program has the signal (it
	// says "Stopping" at once) to its last word before it exits: the time
	// a loaded machine takes to deliver the signal and to reap the process
	// is not the program's. The whole is still bounded, for a machine
	// under any load.
	stopping, quitting := out.at("Stopping:"), out.at("Quitting now")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || stopping.IsZero() || quitting.IsZero() ||
		quitting.Sub(stopping) > 2*time.Second || took > 10*time.Second {
		t.Fatalf("after SIGTERM: %v; said Stopping after %s, quit %s later, exited after %s\n%s",
			err, stopping.Sub(start), quitting.Sub(stopping), took, out.String())
	}
	t.Logf("SIGTERM to exit: %s (Stopping to Quitting now: %s)", took, quitting.Sub(stopping))
	// AWS answers the create after all; the next 'up' adopts the group.
	close(slow.release)
	waitFor(t, func() bool {
		g, _ := labResources(t, cloudFor(t, sb), sb.Workspace().VpcID)
		return len(g) == 1
	})
	if code, o := l.runJoined("up", "--sandbox", "--yes"); code != 0 {
		t.Fatalf("up again: exit %d\n%s", code, o)
	}
	if g, _ := labResources(t, cloudFor(t, sb), sb.Workspace().VpcID); len(g) != 1 {
		t.Fatalf("security groups after the second up: %v", g)
	}
	if code, o := l.runJoined("down", "--sandbox", "--yes"); code != 0 || !strings.Contains(o, "Nothing is left.") {
		t.Fatalf("down: exit %d\n%s", code, o)
	}
	assertNothingLeft(t, cloudFor(t, sb), sb.Workspace().VpcID, nil)
}

// stampedOutput collects a process's output and when each of marks first
// arrived.
type stampedOutput struct {
	marks []string
	mu    sync.Mutex
	buf   bytes.Buffer
	seen  map[string]time.Time
}

func (o *stampedOutput) Write(p []byte) (int, error) {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if o.seen == nil {
		o.seen = map[string]time.Time{}
	}
	for _, m := range o.marks {
		if _, ok := o.seen[m]; !ok && strings.Contains(o.buf.String(), m) {
			o.seen[m] = now
		}
	}
	return len(p), nil
}

func (o *stampedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// at is when mark first arrived (zero: never).
func (o *stampedOutput) at(mark string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[mark]
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}

// cloudFor talks to sb directly.
func cloudFor(t *testing.T, sb *sandbox.Sandbox) *awsops.Cloud {
	t.Helper()
	cr := sb.Credentials()
	cloud, err := awsops.New(awsops.Options{Config: awsops.StaticConfig(sb.Region(), cr.AccessKeyID, cr.SecretAccessKey), BaseEndpoint: sb.Endpoint(), LoopbackOnly: true, IMDSDisabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return cloud
}
