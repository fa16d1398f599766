package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// faultLab is a sandbox serving the state directory of an isolated HOME, as
// `ecr-vpce-lab sandbox` would, so the lab commands (run as processes) find
// it through its serving file and meet its faults.
type faultLab struct {
	t     *testing.T
	home  string
	state string
	sb    *sandbox.Sandbox
	cloud *awsops.Cloud
	proc  *isolatedLab
}

func newFaultLab(t *testing.T, opts sandbox.Options) *faultLab {
	t.Helper()
	proc := newIsolatedLab(t)
	home, state := proc.home, proc.state
	opts.StateDir = filepath.Join(state, "sandbox")
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	// The inspector's own calls are never faulted: it asks the world
	// directly (its keys are the sandbox's, its retries patient).
	return &faultLab{t: t, home: home, state: state, sb: sb, cloud: inspector(t, sandboxlab.Options(sb)), proc: proc}
}

// inspector is a Cloud with which a test looks at a sandbox's world: its
// APIs only, never its metadata service.
func inspector(t *testing.T, o awsops.Options) *awsops.Cloud {
	t.Helper()
	o.IMDSDisabled = true
	c, err := awsops.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs the program; stdout and stderr are joined, as a learner reads
// them.
func (f *faultLab) run(args ...string) (int, string) {
	f.t.Helper()
	return f.proc.runJoined(args...)
}

// labResources lists what of the lab exists in the world: security groups
// named ECR_VPCE_SG and endpoints that are not deleted, by ID.
func labResources(t *testing.T, cloud *awsops.Cloud, vpc string) (groups []string, endpoints map[string]awsops.Endpoint) {
	t.Helper()
	ctx := context.Background()
	endpoints = map[string]awsops.Endpoint{}
	eps, err := cloud.FindEndpoints(ctx, vpc, "")
	if err != nil {
		t.Fatalf("describe the world's endpoints: %v", err)
	}
	for _, e := range eps {
		endpoints[e.ID] = e
	}
	g, err := cloud.FindSecurityGroup(ctx, vpc, "ECR_VPCE_SG")
	if err != nil {
		t.Fatalf("describe the world's groups: %v", err)
	}
	if g != nil {
		groups = append(groups, g.ID)
	}
	return groups, endpoints
}

// assertRecorded fails unless every lab resource in the world (tagged by
// the lab, or named ECR_VPCE_SG) is in the state file: nothing leaked.
// preexisting endpoints (not the lab's) are ignored.
func assertRecorded(t *testing.T, cloud *awsops.Cloud, vpc, stateDir, mode string, preexisting map[string]bool) {
	t.Helper()
	groups, eps := labResources(t, cloud, vpc)
	st, err := steps.NewStore(stateDir, mode).Load()
	known := map[string]bool{}
	if err == nil {
		if st.SecurityGroup != nil {
			known[st.SecurityGroup.ID] = true
		}
		for _, r := range st.Endpoints {
			known[r.ID] = true
		}
	}
	for _, g := range groups {
		if !known[g] {
			t.Errorf("leaked: security group %s exists but the state file does not list it (%v)", g, err)
		}
	}
	for id, e := range eps {
		if !preexisting[id] && !known[id] {
			t.Errorf("leaked: endpoint %s (%s, %s) exists but the state file does not list it (%v)", id, e.Service, e.State, err)
		}
	}
}

// assertNothingLeft fails unless no lab resource is left in the world.
func assertNothingLeft(t *testing.T, cloud *awsops.Cloud, vpc string, preexisting map[string]bool) {
	t.Helper()
	groups, eps := labResources(t, cloud, vpc)
	if len(groups) > 0 {
		t.Errorf("left behind: security group %v", groups)
	}
	for id, e := range eps {
		if !preexisting[id] {
			t.Errorf("left behind: endpoint %s (%s, %s)", id, e.Service, e.State)
		}
	}
}

// TestEachFailureHasItsMessage is the table of issue 6: a fault goes in, a
// message with its fix and an exit code come out, and nothing is leaked
// (what exists is on record, and 'down' then leaves nothing).
func TestEachFailureHasItsMessage(t *testing.T) {
	t.Parallel()
	type env map[string]string
	// realAWS runs `up` in real-AWS mode, with the SDK's endpoint pointed at
	// the sandbox (AWS_ENDPOINT_URL) and no configuration files: the
	// failures of this mode happen before anything but 127.0.0.1 is
	// contacted (no credentials, no region, no metadata service).
	realAWS := func(sb *sandbox.Sandbox, with env) env {
		cr := sb.Credentials()
		e := env{"AWS_ENDPOINT_URL": sb.Endpoint(), "AWS_ACCESS_KEY_ID": cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY": cr.SecretAccessKey,
			"AWS_REGION": sb.Region(), "AWS_DEFAULT_REGION": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
			"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_EC2_METADATA_SERVICE_ENDPOINT": ""}
		for k, v := range with {
			e[k] = v
		}
		return e
	}
	// storm answers every EC2 call with code once `after` has succeeded
	// for real (not as a DryRun); the test lifts it (armed) before 'down'.
	type switchable struct{ on, armed atomic.Bool }
	storm := func(sw *switchable, after, code, msg string, status int) sandbox.Options {
		return sandbox.Options{
			Recorder: sandbox.RecorderFunc(func(c sandbox.Call) {
				if c.Action == after && !c.DryRun && c.ErrorCode == "" {
					sw.on.Store(true)
				}
			}),
			Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
				if sw.on.Load() && sw.armed.Load() && r.Service == "ec2" {
					return &sandbox.APIError{Status: status, Code: code, Message: msg}
				}
				return nil
			}},
		}
	}
	fast := []string{"up", "--sandbox", "--yes"}
	cases := []struct {
		name   string
		opts   func(*switchable) sandbox.Options
		real   func(*sandbox.Sandbox) env // real-AWS mode with this environment
		args   []string
		code   int
		want   []string // in the output, in this order
		absent []string
		// created: the run creates something (on record) before it stops.
		created bool
	}{
		{name: "endpoint creation failed",
			opts: func(*switchable) sandbox.Options {
				return sandbox.Options{Faults: sandbox.Faults{FailEndpoints: "Insufficient capacity in us-west-2a", FailEndpointServices: []string{"ecr.api"}}}
			},
			args: fast, code: 1, created: true,
			want: []string{"✘ VPC endpoints", "(ecr.api) is failed: ", "Insufficient capacity in us-west-2a",
				"fix: run 'down' to remove it, check the reason above (subnet zone, VPC DNS attributes, quotas), then 'up' again",
				"up did not finish; what it created is recorded"}},
		{name: "DNS never switches",
			opts: func(*switchable) sandbox.Options {
				return sandbox.Options{Faults: sandbox.Faults{DNSNeverSwitches: true}}
			},
			args: append(append([]string(nil), fast...), "--dns-timeout", "1s"), code: 1, created: true,
			want: []string{"✘ Private DNS", "wait for private DNS: the ECR host names still resolve to public addresses after 1s",
				"[timed out] fix: check that the VPC has enableDnsSupport and enableDnsHostnames on, that its DHCP options use AmazonProvidedDNS, and that no other private hosted zone covers amazonaws.com"},
			absent: []string{"DNSNotPrivate:"}},
		{name: "VPC DNS attributes off",
			opts: func(*switchable) sandbox.Options { return sandbox.Options{Faults: sandbox.Faults{VPCDNSOff: true}} },
			args: fast, code: 1,
			want: []string{"✘ VPC DNS support and host names: enableDnsSupport=false, enableDnsHostnames=false: private DNS for the endpoints needs both",
				"fix: turn both on (pass --enable-vpc-dns", "✘ Preflight checks", "up did not finish: fix the problem above"},
			absent: []string{"Security group for the endpoints"}},
		{name: "conflicting endpoint already in the VPC",
			opts: func(*switchable) sandbox.Options {
				return sandbox.Options{Faults: sandbox.Faults{ExistingDKREndpoint: true}}
			},
			args: fast, code: 1,
			want: []string{"✘ No other ecr.dkr endpoint with private DNS: vpce-", "already serves ecr.dkr with private DNS; AWS allows one per VPC",
				"fix: adopt it (pass --adopt)"},
			absent: []string{"Security group for the endpoints"}},
		{name: "repository missing",
			opts: func(*switchable) sandbox.Options { return sandbox.Options{Faults: sandbox.Faults{NoRepository: true}} },
			args: fast, code: 1,
			want: []string{"✘ Repository team-a/alpine holds v1: the repository does not exist", "fix: create it and push a small v1 (pass --create-repo), or use --repo"}},
		{name: "IMDSv2 required is handled, not an error",
			opts: func(*switchable) sandbox.Options { return sandbox.Options{IMDSv2Required: true} },
			args: fast, code: 0, created: true,
			want: []string{"instance metadata: interface", "✔ Discover the workspace", "The endpoints are up."}},
		{name: "IMDS unreachable (off EC2)",
			real: func(sb *sandbox.Sandbox) env {
				// Nothing listens on port 1 of 127.0.0.1: the metadata service of a
				// machine that is not an EC2 instance.
				return realAWS(sb, env{"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"})
			},
			args: []string{"up", "--yes"}, code: 1,
			want: []string{"here: a laptop or other machine outside AWS (no instance metadata service: connection refused; not CloudShell)",
				"✘ Discover the workspace: there is no workspace to discover in a laptop or other machine outside AWS",
				"fix: choose where the endpoints go: pass --vpc, --subnet and --workspace-sg", "VPCs in us-west-2: vpc-"}},
		{name: "no credentials",
			real: func(sb *sandbox.Sandbox) env {
				return realAWS(sb, env{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
			},
			args: []string{"up", "--yes"}, code: 1,
			want: []string{"No AWS credentials were found (no environment keys, no profile, no container credentials, and no instance metadata service)",
				"fix: configure credentials (aws configure, aws sso login, or an instance role), or use the sandbox"},
			absent: []string{"Discover the workspace"}},
		{name: "credentials expire mid-run",
			opts: func(sw *switchable) sandbox.Options {
				return storm(sw, "CreateSecurityGroup", "ExpiredToken", "The security token included in the request is expired", http.StatusBadRequest)
			},
			args: fast, code: 1, created: true,
			want: []string{"✔ Security group for the endpoints", "✘ Allow HTTPS from the workspace: ", ": The security token included in the request is expired",
				"fix: your AWS credentials have expired (or the clock is off): refresh them and run the command again",
				"up did not finish; what it created is recorded"},
			absent: []string{"ExpiredToken:"}},
		{name: "permission missing for a DryRun-checked action",
			opts: func(*switchable) sandbox.Options {
				return sandbox.Options{Faults: sandbox.Faults{DenyActions: []string{"ec2:CreateVpcEndpoint"}}}
			},
			args: fast, code: 1,
			want: []string{"✘ Permission for the lab's EC2 calls (DryRun, with their tags): refused: ec2:CreateVpcEndpoint (no identity-based policy allows it)",
				"fix: your role lacks ec2:CreateVpcEndpoint: add it to the role (docs/iam-policy.json lists every action the lab needs)",
				"to read it: aws --endpoint-url http://127.0.0.1:", " sts decode-authorization-message --encoded-message file://"},
			absent: []string{"Security group for the endpoints"}},
		{name: "permission missing for a read",
			opts: func(*switchable) sandbox.Options {
				// (Not one the test's own inspection of the world needs.)
				return sandbox.Options{Faults: sandbox.Faults{DenyActions: []string{"ec2:DescribeRouteTables"}}}
			},
			args: fast, code: 1,
			want: []string{"✘ Discover the workspace: find the subnet's route table: You are not authorized to perform this operation.",
				"is not authorized to perform: ec2:DescribeRouteTables",
				"fix: your role lacks ec2:DescribeRouteTables: add it to the role (docs/iam-policy.json lists every action the lab needs)"},
			absent: []string{"UnauthorizedOperation:"}},
		{name: "region unset",
			real: func(sb *sandbox.Sandbox) env { return realAWS(sb, env{"AWS_REGION": ""}) },
			args: []string{"up", "--yes"}, code: 1,
			want:   []string{"No AWS region is set", "fix: export AWS_REGION (the workshop uses us-west-2), or pass --region"},
			absent: []string{"Discover the workspace"}},
		{name: "a throttling storm outlasts the retries",
			opts: func(sw *switchable) sandbox.Options {
				return storm(sw, "AuthorizeSecurityGroupIngress", "RequestLimitExceeded", "Request limit exceeded.", http.StatusServiceUnavailable)
			},
			args: fast, code: 1, created: true,
			want: []string{"✔ Security group for the endpoints", "✘ VPC endpoints: ", ": Request limit exceeded.",
				"fix: AWS kept throttling after 10 attempts: wait a minute and run the command again (it resumes where it stopped)"},
			absent: []string{"RequestLimitExceeded:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sw := &switchable{}
			sw.armed.Store(true)
			var opts sandbox.Options
			if tc.opts != nil {
				opts = tc.opts(sw)
			}
			f := newFaultLab(t, opts)
			vpc := f.sb.Workspace().VpcID
			pre := map[string]bool{}
			_, eps := labResources(t, f.cloud, vpc)
			for id := range eps {
				pre[id] = true
			}
			mode := "sandbox"
			if tc.real != nil {
				mode = "aws"
				for k, v := range tc.real(f.sb) {
					f.proc.env[k] = v
				}
			}
			start := time.Now()
			code, out := f.run(append(tc.args, "--state-dir", f.state)...)
			t.Logf("exit %d after %s", code, time.Since(start).Round(time.Millisecond))
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out)
			}
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("the output lacks %q (after the earlier expectations):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Fatalf("the output has %q:\n%s", a, out)
				}
			}
			// The encoded message of a refusal, which the fix's command
			// reads from a file, is there once the command has ended.
			kept := ""
			if _, rest, ok := strings.Cut(out, "--encoded-message file://"); ok {
				kept, _, _ = strings.Cut(rest, " ")
				if b, err := os.ReadFile(kept); err != nil || len(b) < 20 || strings.ContainsAny(string(b), " \n") {
					t.Errorf("the fix decodes %s, which holds %q (%v)", kept, b, err)
				}
			}
			// Nothing leaked: what exists is on record... (the storm over, so
			// that the test's own look at the world goes through)
			sw.armed.Store(false)
			assertRecorded(t, f.cloud, vpc, f.state, mode, pre)
			groups, eps := labResources(t, f.cloud, vpc)
			if created := len(groups) > 0 || len(eps) > len(pre); created != tc.created {
				t.Errorf("lab resources exist: %t, want %t (groups %v, endpoints %d)", created, tc.created, groups, len(eps))
			}
			if mode == "aws" {
				assertNothingLeft(t, f.cloud, vpc, pre)
				return
			}
			// ...and 'down' removes it.
			code, out = f.run("down", "--sandbox", "--yes", "--state-dir", f.state)
			if code != 0 || !strings.Contains(out, "Nothing is left.") {
				t.Fatalf("down after the failure: exit %d\n%s", code, out)
			}
			assertNothingLeft(t, f.cloud, vpc, pre)
			if _, err := os.Stat(kept); kept != "" && err == nil {
				t.Errorf("down left the refusal's message %s", kept)
			}
		})
	}
}
