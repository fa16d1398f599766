package awsops_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
)

// worldInputs builds what the lab's commands build from a sandbox world's
// view: the signals, the metadata service and the configuration with the
// world's kind of credentials.
func worldInputs(t *testing.T, sb *sandbox.Sandbox) (awsops.DetectInput, *awsops.Metadata) {
	t.Helper()
	v := sb.View()
	m := awsops.NewMetadata(awsops.MetadataOptions{Endpoint: v.IMDSEndpoint, Absent: v.IMDSEndpoint == "", LoopbackOnly: true})
	in := awsops.DetectInput{Metadata: m, Signals: awsops.Signals{
		Getenv:            v.Getenv,
		Links:             func(context.Context) []string { return v.Links },
		Addrs:             func() []string { return v.Addrs },
		ContainerEvidence: func() string { return v.ContainerEvidence },
	}}
	cfg := aws.Config{Region: sb.Region(), Retryer: fastRetries}
	switch v.Credentials {
	case sandbox.CredentialsInstanceRole:
		cfg.Credentials = awsops.InstanceRoleCredentials(m)
	case sandbox.CredentialsContainer:
		cfg.Credentials = awsops.ContainerCredentials(v.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), v.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"), true)
	case sandbox.CredentialsProfile:
		l, err := awsops.LoadConfigWith(context.Background(), awsops.LoadOptions{Profile: v.Profile.Name, Region: sb.Region(),
			ConfigFiles: []string{v.Profile.ConfigFile}, CredentialsFiles: []string{v.Profile.CredentialsFile}, Metadata: m})
		if err != nil {
			t.Fatalf("load the laptop's profile: %v", err)
		}
		cfg.Credentials = l.Config.Credentials
	}
	in.Loaded = awsops.Loaded{Config: cfg, RegionFrom: "the sandbox"}
	return in, m
}

// TestDetectEveryWorld: each place is recognised, with the signal that
// gave it away, the credential source named as the SDK names it, and (in
// CloudShell) the network interface found through EC2 or not at all.
func TestDetectEveryWorld(t *testing.T) {
	cases := []struct {
		world    string
		kind     awsops.EnvKind
		evidence string
		creds    string
	}{
		{sandbox.WorldCloud9, awsops.EnvCloud9, "C9_USER is set", "the instance role"},
		{sandbox.WorldVSCodeEC2, awsops.EnvVSCodeEC2, "VSCODE_PROXY_URI is set", "the instance role"},
		{sandbox.WorldContainer, awsops.EnvContainer, "token request went unanswered", "the instance role"},
		{sandbox.WorldCloudShellVPC, awsops.EnvCloudShellVPC, "tagged ManagedByCloudShell", "container credentials"},
		{sandbox.WorldCloudShell, awsops.EnvCloudShell, "no network interface with address 10.132.50.112", "container credentials"},
		{sandbox.WorldLaptop, awsops.EnvLaptop, "no instance metadata service", "a profile's keys in "},
		{sandbox.WorldSecondaryCIDR, awsops.EnvCloud9, "C9_USER is set", "the instance role"},
	}
	for _, c := range cases {
		t.Run(c.world, func(t *testing.T) {
			sb := startSandbox(t, sandbox.Options{World: c.world})
			in, m := worldInputs(t, sb)
			ctx := context.Background()
			env := awsops.Detect(ctx, in)
			cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = in.Loaded.Config; o.Metadata = m })
			if err := cloud.Locate(ctx, &env, in.Signals); err != nil {
				t.Fatalf("Locate: %v", err)
			}
			ev := strings.Join(env.Evidence, "; ")
			if env.Kind != c.kind || !strings.Contains(ev, c.evidence) || !strings.HasPrefix(env.Identity(), c.creds) {
				t.Fatalf("detected %s (%s), credentials %q (%s); want %s with %q and %q", env.Kind, ev, env.Identity(), env.CredentialSource, c.kind, c.evidence, c.creds)
			}
			if env.Problem != "" || env.Region != sb.Region() {
				t.Fatalf("problem %q, region %q", env.Problem, env.Region)
			}
			if (env.CannotProve() != "") != c.kind.Outside() {
				t.Fatalf("CannotProve %q for %s", env.CannotProve(), c.kind)
			}
			switch c.kind {
			case awsops.EnvCloudShellVPC:
				want := sb.Workspace()
				if env.Workspace == nil || env.Workspace.ENIID != want.ENIID || env.Workspace.SubnetID != want.SubnetID || env.Workspace.SecurityGroupID != want.SecurityGroupID {
					t.Fatalf("CloudShell's interface: %+v, want %+v", env.Workspace, want)
				}
			case awsops.EnvContainer:
				if len(env.Notes) == 0 || !strings.Contains(env.Notes[0], "--http-put-response-hop-limit 2") || !strings.Contains(env.Notes[0], sb.Workspace().InstanceID) {
					t.Fatalf("the hop-limit fix: %v", env.Notes)
				}
			}
		})
	}
}

// TestCloudShellVPCByAddress: without the interface's altname, its private
// address finds it.
func TestCloudShellVPCByAddress(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{World: sandbox.WorldCloudShellVPC})
	in, m := worldInputs(t, sb)
	in.Signals.Links = nil
	ctx := context.Background()
	env := awsops.Detect(ctx, in)
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = in.Loaded.Config; o.Metadata = m })
	if err := cloud.Locate(ctx, &env, in.Signals); err != nil || env.Kind != awsops.EnvCloudShellVPC || !strings.Contains(strings.Join(env.Evidence, ";"), "its address") {
		t.Fatalf("Locate by address: %v %s %v", err, env.Kind, env.Evidence)
	}
}

// TestContainerDiscoversThroughIMDSv1: behind the hop limit the workspace
// is still read, without waiting out the token timeout on every request.
func TestContainerDiscoversThroughIMDSv1(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{World: sandbox.WorldContainer})
	in, m := worldInputs(t, sb)
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = in.Loaded.Config; o.Metadata = m })
	start := time.Now()
	ws, err := cloud.DiscoverIMDS(context.Background())
	if err != nil || ws.SubnetID != sb.Workspace().SubnetID {
		t.Fatalf("DiscoverIMDS from the container: %+v %v", ws, err)
	}
	// One token timeout (500 ms) for the probe, none after it.
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("discovery took %s", d)
	}
}

// TestContainerHopLimitWithTokensRequired: nothing can be read, and the
// learner is told why and what to run, quickly.
func TestContainerHopLimitWithTokensRequired(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{World: sandbox.WorldContainer, IMDSv2Required: true})
	in, m := worldInputs(t, sb)
	start := time.Now()
	env := awsops.Detect(context.Background(), in)
	if env.Kind != awsops.EnvContainer || env.IMDS.State != awsops.IMDSTokenTimeoutV2Only || !strings.Contains(env.Fix, "--http-put-response-hop-limit 2") ||
		!strings.Contains(env.Problem, "hop limit 1") {
		t.Fatalf("detected %+v", env)
	}
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = in.Loaded.Config; o.Metadata = m })
	_, err := cloud.DiscoverIMDS(context.Background())
	if problem.KindOf(err) != problem.NotOnEC2 || !strings.Contains(problem.FixOf(err), "modify-instance-metadata-options") || !strings.Contains(err.Error(), "hop limit") {
		t.Fatalf("DiscoverIMDS: %v (fix %q)", err, problem.FixOf(err))
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("took %s", d)
	}
}

// TestSDKTimeoutsKept: a metadata service that takes the connection and
// never answers costs the SDK's 500 ms per request, not seconds.
func TestSDKTimeoutsKept(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		<-r.Context().Done()
	}))
	defer srv.Close()
	m := awsops.NewMetadata(awsops.MetadataOptions{Endpoint: srv.URL, LoopbackOnly: true})
	start := time.Now()
	p := m.Probe(context.Background())
	d := time.Since(start)
	if p.Answered() || d < 900*time.Millisecond || d > 1500*time.Millisecond || n.Load() != 2 || !strings.HasSuffix(p.Detail, "within 500ms") {
		t.Fatalf("probe %+v after %s, %d requests; want nothing answered after two 500 ms waits, and said so", p, d, n.Load())
	}
}

// TestIMDSTimeoutsSet: a caller that knows its metadata service is slow to
// be scheduled (a sandbox's on a loaded machine) waits as long as it says,
// and a timeout is reported as the one that fired.
func TestIMDSTimeoutsSet(t *testing.T) {
	t.Parallel()
	// The token's answer comes after the SDK's 500 ms.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			time.Sleep(700 * time.Millisecond)
			_, _ = io.WriteString(w, "token")
			return
		}
		_, _ = io.WriteString(w, "i-0123")
	}))
	defer slow.Close()
	m := awsops.NewMetadata(awsops.MetadataOptions{Endpoint: slow.URL, LoopbackOnly: true, Timeouts: awsops.IMDSTimeouts{Header: 10 * time.Second}})
	if p := m.Probe(context.Background()); p.State != awsops.IMDSv2 || p.InstanceID != "i-0123" {
		t.Errorf("a token 700 ms late, with 10 s allowed: %+v", p)
	}
	// Nothing ever answers: the detail names the header timeout given.
	mute := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer mute.Close()
	m = awsops.NewMetadata(awsops.MetadataOptions{Endpoint: mute.URL, LoopbackOnly: true, Timeouts: awsops.IMDSTimeouts{Header: 50 * time.Millisecond}})
	if p := m.Probe(context.Background()); p.Answered() || !strings.HasSuffix(p.Detail, "within 50ms") {
		t.Errorf("a mute service, 50 ms allowed: %+v", p)
	}
}

// TestDetectWithNothingHere: no credentials, no region, no metadata
// service: said quickly, and the region is left unset rather than made up.
func TestDetectWithNothingHere(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	// A port nobody listens on: refused at once, as a laptop's route to
	// 169.254.169.254 usually fails.
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+addr)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	m := awsops.NewMetadata(awsops.MetadataOptions{LoopbackOnly: false})
	start := time.Now()
	l, err := awsops.LoadConfigWith(context.Background(), awsops.LoadOptions{Metadata: m, AllowNoRegion: true})
	env := awsops.Detect(context.Background(), awsops.DetectInput{Loaded: l, LoadErr: err, Metadata: m, Signals: awsops.Signals{Getenv: os.Getenv}})
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("detection took %s", d)
	}
	if env.Kind != awsops.EnvLaptop || env.Credentials || env.Region != "" || !strings.Contains(env.Problem, "No AWS credentials") {
		t.Fatalf("env %+v", env)
	}
	_ = filepath.Join
}

// TestInstanceRegionIsCompared: an instance in one region and a lab set to
// another is said as that, before the subnet "does not exist".
func TestInstanceRegionIsCompared(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	in, m := worldInputs(t, sb)
	in.Loaded.Config.Region, in.Loaded.RegionFrom = "eu-west-1", "AWS_REGION"
	env := awsops.Detect(context.Background(), in)
	if env.IMDS.Region != "us-west-2" || !strings.Contains(env.Problem, "This instance is in us-west-2, but the lab is set to eu-west-1 (AWS_REGION)") ||
		!strings.Contains(env.Fix, "--region us-west-2") {
		t.Fatalf("detection: %+v", env)
	}
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config.Region = "eu-west-1"; o.Metadata = m })
	_, err := cloud.DiscoverIMDS(context.Background())
	if e, ok := problem.As(err); !ok || e.Code != "RegionMismatch" || !strings.Contains(e.Fix, "--region us-west-2") {
		t.Fatalf("DiscoverIMDS: %v", err)
	}
}
