package awsops_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go/middleware"

	"ecr-vpce-lab/awsops"
	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/labtest"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
)

// TestMain keeps every test of the package off a real metadata service and
// a real AWS endpoint, for the whole process: tests that want otherwise
// say so with t.Setenv, and parallel tests (which may not) inherit it.
func TestMain(m *testing.M) {
	testtool.TempInMemory()
	_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_ = os.Unsetenv("AWS_ENDPOINT_URL")
	os.Exit(m.Run())
}

func startSandbox(t *testing.T, opts sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	// Set again only where a test changed them (t.Setenv is refused in a
	// parallel test, which keeps TestMain's).
	if os.Getenv("AWS_EC2_METADATA_DISABLED") != "true" || os.Getenv("AWS_ENDPOINT_URL") != "" {
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		t.Setenv("AWS_ENDPOINT_URL", "")
	}
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

// fastRetries retries at once, so tests of retries do not sleep.
func fastRetries() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 5
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		o.RateLimiter = noLimit{}
	})
}

type noLimit struct{}

func (noLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noLimit) AddTokens(uint) error { return nil }

type calls struct {
	mu sync.Mutex
	c  []awsops.Call
}

func (c *calls) add(x awsops.Call) { c.mu.Lock(); c.c = append(c.c, x); c.mu.Unlock() }
func (c *calls) all() []awsops.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]awsops.Call(nil), c.c...)
}

func cloudFor(t *testing.T, sb *sandbox.Sandbox, mod func(*awsops.Options)) (*awsops.Cloud, *calls) {
	t.Helper()
	log := &calls{}
	opts := sandboxlab.Options(sb)
	opts.Config.Retryer = fastRetries
	opts.Poll, opts.DependencyWait, opts.Observer = time.Millisecond, 5*time.Second, log.add
	if mod != nil {
		mod(&opts)
	}
	c, err := awsops.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, log
}

func TestGuardRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"169.254.169.254:80", "10.0.0.1:443", "192.0.2.1:53", "[2001:db8::1]:443"} {
		_, err := awsops.GuardedDialContext(context.Background(), "tcp", addr)
		var ge *awsops.GuardError
		if !errors.As(err, &ge) {
			t.Errorf("dial %s: %v, want a GuardError", addr, err)
		}
	}
	ln := labtest.StartDNS(t)
	c, err := awsops.GuardedDialContext(context.Background(), "udp", ln.Addr)
	if err != nil {
		t.Fatalf("loopback dial refused: %v", err)
	}
	c.Close()

	sb := startSandbox(t, sandbox.Options{})
	// A Cloud refuses non-loopback overrides up front...
	cr := sb.Credentials()
	_, err = awsops.New(awsops.Options{Config: awsops.StaticConfig("us-west-2", cr.AccessKeyID, cr.SecretAccessKey),
		BaseEndpoint: "https://ec2.us-west-2.amazonaws.com", LoopbackOnly: true})
	if problem.KindOf(err) != problem.Invalid {
		t.Fatalf("New with a real endpoint in loopback mode: %v", err)
	}
	// ...and every connection it makes goes through the guard: the registry,
	// DNS and the metadata service at non-loopback addresses are refused
	// before any packet leaves.
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) {
		o.RegistryAddr = "192.0.2.10:443"
		o.DNSServer = "192.0.2.53:53"
	})
	ctx := context.Background()
	_, _, err = cloud.SaveImage(ctx, sandbox.RepoA, "v1", filepath.Join(t.TempDir(), "image"))
	if problem.KindOf(err) != problem.Network || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("push to a non-loopback registry: kind %s: %v", problem.KindOf(err), err)
	}
	_, err = cloud.LookupHost(ctx, "api.ecr.us-west-2.amazonaws.com", awsops.Privacy{})
	if problem.KindOf(err) != problem.Network {
		t.Errorf("DNS to a non-loopback server: kind %s: %v", problem.KindOf(err), err)
	}
}

func TestDiscoverOnEC2(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{IMDSv2Required: true})
	cloud, log := cloudFor(t, sb, nil)
	ctx := context.Background()
	ws, err := cloud.DiscoverIMDS(ctx)
	if err != nil {
		t.Fatalf("DiscoverIMDS: %v", err)
	}
	want := sb.Workspace()
	if !ws.OnEC2 || ws.MAC != want.MAC || ws.SubnetID != want.SubnetID || ws.VpcID != want.VpcID || ws.SecurityGroupID != want.SecurityGroupID ||
		ws.VpcCIDR != "10.0.0.0/16" || ws.InstanceID != want.InstanceID || ws.AZ == "" {
		t.Fatalf("discovered %+v, want %+v", ws, want)
	}
	ws, err = cloud.Complete(ctx, ws)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	// The sandbox's subnets are only implicitly associated, as in a default
	// Cloud9 VPC: the main table is the answer.
	if ws.RouteTableID != want.RouteTableID || !ws.RouteTableMain {
		t.Fatalf("route table %s main=%t, want %s (main)", ws.RouteTableID, ws.RouteTableMain, want.RouteTableID)
	}
	if !ws.InVPC("10.0.0.12") || ws.InVPC("52.94.1.1") {
		t.Fatalf("InVPC wrong for %s", ws.VpcCIDR)
	}
	seen := map[string]bool{}
	for _, c := range log.all() {
		seen[c.Service+":"+c.Operation] = true
	}
	for _, k := range []string{"imds:GetMetadata", "ec2:DescribeSubnets", "ec2:DescribeRouteTables"} {
		if !seen[k] {
			t.Errorf("observer did not see %s (saw %v)", k, seen)
		}
	}
}

// TestRouteTableAskedByFilter: the subnet's route table is asked for with
// the association.subnet-id filter, and the main table with vpc-id and
// association.main: never by listing every table of the VPC (a big VPC
// has many, in pages). [issue 15, item 10]
func TestRouteTableAskedByFilter(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	var filters []string
	var mu sync.Mutex
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) {
		o.Config.APIOptions = append(o.Config.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("captureFilters", func(ctx context.Context, in middleware.InitializeInput,
				next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if rt, ok := in.Parameters.(*ec2.DescribeRouteTablesInput); ok {
					var names []string
					for _, f := range rt.Filters {
						names = append(names, aws.ToString(f.Name))
					}
					mu.Lock()
					filters = append(filters, strings.Join(names, "+"))
					mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
	ws := sb.Workspace()
	rt, main, err := cloud.RouteTableOf(context.Background(), ws.VpcID, ws.SubnetID)
	if err != nil || rt != ws.RouteTableID || !main {
		t.Fatalf("RouteTableOf = %s %t %v; want %s, the main table", rt, main, err, ws.RouteTableID)
	}
	if got := strings.Join(filters, ", "); got != "association.subnet-id, vpc-id+association.main" {
		t.Fatalf("DescribeRouteTables filters: %s", got)
	}
}

func TestDiscoverOffEC2(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.IMDSDisabled = true })
	ctx := context.Background()
	_, err := cloud.DiscoverIMDS(ctx)
	if problem.KindOf(err) != problem.NotOnEC2 || !strings.Contains(problem.FixOf(err), "--workspace-sg") {
		t.Fatalf("DiscoverIMDS with IMDS off: %v (fix %q)", err, problem.FixOf(err))
	}
	vpcs, err := cloud.ListVPCs(ctx)
	if err != nil || len(vpcs) != 1 {
		t.Fatalf("ListVPCs: %v %v", vpcs, err)
	}
	subnets, err := cloud.ListSubnets(ctx, vpcs[0].ID)
	if err != nil || len(subnets) != 2 {
		t.Fatalf("ListSubnets: %v %v", subnets, err)
	}
	groups, err := cloud.ListSecurityGroups(ctx, vpcs[0].ID)
	if err != nil || len(groups) != 2 {
		t.Fatalf("ListSecurityGroups: %v %v", groups, err)
	}
	want := sb.Workspace()
	ws, err := cloud.Complete(ctx, awsops.Workspace{SubnetID: want.SubnetID, SecurityGroupID: want.SecurityGroupID})
	if err != nil || ws.VpcID != want.VpcID || ws.RouteTableID != want.RouteTableID || ws.VpcCIDR == "" || ws.OnEC2 {
		t.Fatalf("Complete(explicit IDs) = %+v, %v", ws, err)
	}
	// Mistakes get a fix.
	_, err = cloud.Complete(ctx, awsops.Workspace{SubnetID: want.SubnetID, SecurityGroupID: "sg-0123456789abcdef0"})
	if err == nil || problem.FixOf(err) == "" {
		t.Fatalf("Complete with a foreign group: %v", err)
	}
	_, err = cloud.Complete(ctx, awsops.Workspace{SubnetID: "subnet-0123456789abcdef0", SecurityGroupID: want.SecurityGroupID})
	if problem.KindOf(err) != problem.NotFound {
		t.Fatalf("Complete with a missing subnet: kind %s: %v", problem.KindOf(err), err)
	}
}

func TestSecurityGroupRuleAndEndpoints(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	cloud, _ := cloudFor(t, sb, nil)
	ctx := context.Background()
	ws, err := cloud.Complete(ctx, awsops.Workspace{SubnetID: sb.Workspace().SubnetID, SecurityGroupID: sb.Workspace().SecurityGroupID})
	if err != nil {
		t.Fatal(err)
	}
	tags := awsops.Tags{"ecr-vpce-lab:run": "t1", "Name": "ECR_VPCE_SG"}
	g, cmd, err := cloud.CreateSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG", "Security group for ECR VPC Endpoints", tags)
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	if cmd.Result != g.ID || cmd.Capture != "VPCE_SG_ID" || !strings.Contains(cmd.String(), "aws ec2 create-security-group --group-name ECR_VPCE_SG --description 'Security group for ECR VPC Endpoints'") {
		t.Fatalf("command %q", cmd.String())
	}
	if _, _, err := cloud.CreateSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG", "again", nil); problem.KindOf(err) != problem.Conflict {
		t.Fatalf("duplicate group: kind %s: %v", problem.KindOf(err), err)
	}
	found, err := cloud.FindSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG")
	if err != nil || found == nil || found.ID != g.ID || found.Tags["ecr-vpce-lab:run"] != "t1" {
		t.Fatalf("FindSecurityGroup: %+v %v", found, err)
	}
	r1, _, err := cloud.AuthorizeIngress(ctx, g.ID, ws.SecurityGroupID, tags)
	if err != nil || r1.ID == "" || r1.Existed {
		t.Fatalf("AuthorizeIngress: %+v %v", r1, err)
	}
	r2, _, err := cloud.AuthorizeIngress(ctx, g.ID, ws.SecurityGroupID, tags)
	if err != nil || r2.ID != r1.ID || !r2.Existed {
		t.Fatalf("AuthorizeIngress again (InvalidPermission.Duplicate counts as done): %+v %v", r2, err)
	}

	pol, _ := policy.Default(sb.Account(), sb.Region(), sandbox.RepoA, nil)
	specs := []awsops.EndpointSpec{
		{VpcID: ws.VpcID, Service: cloud.ServiceName("ecr.dkr"), Type: awsops.Interface, SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{g.ID}, PrivateDNS: true, Policy: string(pol.Canonical()), ClientToken: "t1-dkr", Tags: tags},
		{VpcID: ws.VpcID, Service: cloud.ServiceName("ecr.api"), Type: awsops.Interface, SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{g.ID}, PrivateDNS: true, Policy: string(pol.Canonical()), ClientToken: "t1-api", Tags: tags},
		{VpcID: ws.VpcID, Service: cloud.ServiceName("s3"), Type: awsops.Gateway, RouteTableIDs: []string{ws.RouteTableID}, ClientToken: "t1-s3", Tags: tags},
	}
	var ids []string
	for _, s := range specs {
		e, cmd, err := cloud.CreateEndpoint(ctx, s)
		if err != nil {
			t.Fatalf("CreateEndpoint %s: %v", s.Service, err)
		}
		if !strings.Contains(cmd.String(), "--vpc-endpoint-type "+s.Type) {
			t.Fatalf("command %q", cmd.String())
		}
		// Same client token: the same endpoint, not a second one.
		again, _, err := cloud.CreateEndpoint(ctx, s)
		if err != nil || again.ID != e.ID {
			t.Fatalf("CreateEndpoint with the same ClientToken: %s vs %s, %v", again.ID, e.ID, err)
		}
		ids = append(ids, e.ID)
	}
	polls := 0
	eps, err := cloud.WaitEndpoints(ctx, ids, nil, func([]awsops.Endpoint) { polls++ }, nil)
	if err != nil || len(eps) != 3 || polls == 0 {
		t.Fatalf("WaitEndpoints: %d endpoints, %d polls, %v", len(eps), polls, err)
	}
	for _, e := range eps {
		if !e.Available() || e.Tags["ecr-vpce-lab:run"] != "t1" {
			t.Fatalf("endpoint %+v", e)
		}
	}
	found2, err := cloud.FindEndpoints(ctx, ws.VpcID, cloud.ServiceName("ecr.dkr"))
	if err != nil || len(found2) != 1 || !found2[0].PrivateDNS {
		t.Fatalf("FindEndpoints: %+v %v", found2, err)
	}
	// Back to full access on an interface endpoint: ResetPolicy is for
	// gateway endpoints only, so the document itself is sent. [issue 15, item 10]
	if _, err := cloud.ModifyEndpointPolicy(ctx, found2[0].ID, ""); err != nil {
		t.Fatalf("reset policy: %v", err)
	}
	if back, err := cloud.Endpoints(ctx, found2[0].ID); err != nil || len(back) != 1 || !strings.Contains(back[0].Policy, `"Action":"*"`) {
		t.Fatalf("policy after the reset: %+v %v", back, err)
	}
	if _, _, err := cloud.DeleteEndpoints(ctx, ids); err != nil {
		t.Fatalf("DeleteEndpoints: %v", err)
	}
	enis := map[string][]string{}
	for _, e := range eps {
		enis[e.ID] = e.ENIIDs
	}
	var final []awsops.Removal
	if err := cloud.WaitEndpointsReleased(ctx, ids, enis, func(rs []awsops.Removal) { final = rs }); err != nil {
		t.Fatalf("WaitEndpointsReleased: %v", err)
	}
	for _, r := range final {
		if !r.Released() {
			t.Fatalf("not released at the end of the wait: %+v", r)
		}
	}
	if err := cloud.WaitInterfacesReleased(ctx, g.ID, nil); err != nil {
		t.Fatalf("WaitInterfacesReleased: %v", err)
	}
	if _, err := cloud.RevokeIngress(ctx, g.ID, r1.ID, time.Time{}); err != nil {
		t.Fatalf("RevokeIngress: %v", err)
	}
	if _, err := cloud.RevokeIngress(ctx, g.ID, r1.ID, time.Time{}); err != nil {
		t.Fatalf("RevokeIngress twice should be fine: %v", err)
	}
	if _, err := cloud.DeleteSecurityGroup(ctx, g.ID, time.Time{}, nil); err != nil {
		t.Fatalf("DeleteSecurityGroup: %v", err)
	}
	left, err := cloud.TaggedEndpoints(ctx, "ecr-vpce-lab:run", "t1")
	if err != nil || len(left) != 0 {
		t.Fatalf("tagged endpoints left: %+v %v", left, err)
	}
	lg, err := cloud.TaggedSecurityGroups(ctx, "ecr-vpce-lab:run", "")
	if err != nil || len(lg) != 0 {
		t.Fatalf("tagged groups left: %+v %v", lg, err)
	}
}

// groupAndAPIEndpoint creates ECR_VPCE_SG in the workspace's VPC and an
// ecr.api interface endpoint in it, as the lab does.
func groupAndAPIEndpoint(t *testing.T, cloud *awsops.Cloud, ws sandbox.Workspace) (awsops.SecurityGroup, awsops.Endpoint) {
	t.Helper()
	ctx := context.Background()
	g, _, err := cloud.CreateSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG", "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := cloud.CreateEndpoint(ctx, awsops.EndpointSpec{VpcID: ws.VpcID, Service: cloud.ServiceName("ecr.api"), Type: awsops.Interface,
		SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{g.ID}, PrivateDNS: true})
	if err != nil {
		t.Fatal(err)
	}
	return g, e
}

func TestDeleteSecurityGroupRetriesOnDependency(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Timing: sandbox.Timing{ENIRelease: 300 * time.Millisecond}})
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Poll = 20 * time.Millisecond })
	ctx := context.Background()
	ws := sb.Workspace()
	g, e := groupAndAPIEndpoint(t, cloud, ws)
	if _, _, err := cloud.DeleteEndpoints(ctx, []string{e.ID}); err != nil {
		t.Fatal(err)
	}
	waits := 0
	if _, err := cloud.DeleteSecurityGroup(ctx, g.ID, time.Time{}, func(int, time.Duration) error { waits++; return nil }); err != nil {
		t.Fatalf("DeleteSecurityGroup: %v", err)
	}
	if waits == 0 {
		t.Fatal("expected DependencyViolation retries while the interfaces linger")
	}
}

// TestWhatHoldsAGroup: the interfaces that use a group are told apart (an
// endpoint's, which AWS releases on its own, from an instance's), and the
// rules of other groups that refer to it are found, inbound and outbound,
// each with the command that removes it. [issue 15, item 6]
func TestWhatHoldsAGroup(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{SGReferenced: true}})
	cloud, _ := cloudFor(t, sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	all, err := cloud.GroupInterfaces(ctx, ws.SecurityGroupID)
	if err != nil || len(all) == 0 {
		t.Fatalf("the workspace group's interfaces: %+v %v", all, err)
	}
	if eps, err := cloud.EndpointInterfaces(ctx, ws.SecurityGroupID); err != nil || len(eps) != 0 {
		t.Fatalf("endpoint interfaces in the workspace's group: %+v %v; want none (the instance's is not one)", eps, err)
	}
	g, _ := groupAndAPIEndpoint(t, cloud, ws)
	if eps, err := cloud.EndpointInterfaces(ctx, g.ID); err != nil || len(eps) == 0 || eps[0].Type != awsops.EndpointInterfaceType {
		t.Fatalf("the endpoint's interfaces: %+v %v", eps, err)
	}
	// The workspace's group lets the endpoints' group in: an inbound
	// reference, beside the other team's outbound one.
	in, _, err := cloud.AuthorizeIngress(ctx, ws.SecurityGroupID, g.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := cloud.GroupReferences(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range refs {
		lines = append(lines, r.RevokeCommand("us-west-2").String())
	}
	got := strings.Join(lines, "\n")
	for _, w := range []string{"aws ec2 revoke-security-group-egress --group-id sg-", "aws ec2 revoke-security-group-ingress --group-id " + ws.SecurityGroupID + " --security-group-rule-ids " + in.ID} {
		if !strings.Contains(got, w) {
			t.Errorf("references %q lack %q", got, w)
		}
	}
	if len(refs) != 2 {
		t.Errorf("%d references: %+v; want 2", len(refs), refs)
	}
}

func TestObserverCountsRetries(t *testing.T) {
	var mu sync.Mutex
	n := 0
	sb := startSandbox(t, sandbox.Options{Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
		if r.Action != "DescribeVpcs" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= 2 {
			return &sandbox.APIError{Status: http.StatusServiceUnavailable, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
		}
		return nil
	}}})
	cloud, log := cloudFor(t, sb, nil)
	if _, err := cloud.ListVPCs(context.Background()); err != nil {
		t.Fatalf("ListVPCs through throttling: %v", err)
	}
	var got *awsops.Call
	for _, c := range log.all() {
		if c.Operation == "DescribeVpcs" {
			c := c
			got = &c
		}
	}
	if got == nil || got.Retries != 2 || got.Service != "ec2" || got.Err != nil {
		t.Fatalf("observed %+v, want DescribeVpcs with 2 retries", got)
	}
}

// TestServerErrorsAreAWSs: a sandbox that answers every call with a 5xx
// gives a "server" problem (AWS's trouble, not the network's) whose fix
// says the retries already happened, in one sentence without the SDK's stack.
func TestServerErrorsAreAWSs(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{ServerErrorRate: 1, Seed: 3}})
	cloud, _ := cloudFor(t, sb, nil)
	for _, call := range []func() error{
		func() error { _, err := cloud.WhoAmI(context.Background()); return err },
		func() error { _, err := cloud.ListVPCs(context.Background()); return err },
	} {
		err := call()
		e, ok := problem.As(err)
		if !ok || e.Kind != problem.Server || !strings.Contains(e.Fix, "after 5 attempts") || e.Code == "" {
			t.Fatalf("5xx: %#v", err)
		}
		if strings.Contains(err.Error(), "operation error") || strings.Contains(err.Error(), "RequestID") {
			t.Errorf("5xx shows the SDK's stack: %v", err)
		}
	}
}

func TestErrorsClassified(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	ctx := context.Background()
	// Keys the sandbox does not know.
	cloud, err := awsops.New(awsops.Options{Config: awsops.StaticConfig(sb.Region(), "AKIAWRONGWRONGWRONG1", "wrong"), BaseEndpoint: sb.Endpoint(), LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cloud.WhoAmI(ctx)
	if problem.KindOf(err) != problem.InvalidCredentials || problem.FixOf(err) == "" {
		t.Fatalf("wrong keys: kind %s: %v", problem.KindOf(err), err)
	}
	// No keys at all.
	cfg := aws.Config{Region: sb.Region(), Credentials: credentials.StaticCredentialsProvider{}}
	cloud, _ = awsops.New(awsops.Options{Config: cfg, BaseEndpoint: sb.Endpoint(), LoopbackOnly: true})
	_, err = cloud.WhoAmI(ctx)
	if k := problem.KindOf(err); k != problem.NoCredentials {
		t.Fatalf("no keys: kind %s: %v", k, err)
	}
	// Nothing listening.
	cloud, _ = awsops.New(awsops.Options{Config: awsops.StaticConfig("us-west-2", "a", "b"), BaseEndpoint: "http://127.0.0.1:1", LoopbackOnly: true})
	_, err = cloud.WhoAmI(ctx)
	if k := problem.KindOf(err); k != problem.Network {
		t.Fatalf("nothing listening: kind %s: %v", k, err)
	}
	// No region.
	if _, err := awsops.New(awsops.Options{Config: aws.Config{}}); problem.KindOf(err) != problem.Region {
		t.Fatalf("no region: %v", err)
	}
	// Not found, with AWS's own message.
	good, _ := cloudFor(t, sb, nil)
	_, _, err = good.RouteTableOf(ctx, "vpc-0123456789abcdef0", "subnet-0123456789abcdef0")
	if problem.KindOf(err) != problem.NotFound {
		t.Fatalf("route table of a missing VPC: kind %s: %v", problem.KindOf(err), err)
	}
	_, err = good.Complete(ctx, awsops.Workspace{SubnetID: "subnet-nope", SecurityGroupID: "sg-nope"})
	if e := new(problem.Error); !errors.As(err, &e) || e.Code == "" || e.Fix == "" {
		t.Fatalf("malformed ID: %#v", err)
	}
}

func TestRegistryPushDeniedPullAndListAllowed(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	reg := labtest.StartRegistry(t, sb.VerifyRegistryPassword)
	cloud, log := cloudFor(t, sb, func(o *awsops.Options) { o.RegistryAddr = reg.Addr })
	ctx := context.Background()
	// Seed v1 with a token from the sandbox.
	tok := registryPassword(t, sb)
	reg.Seed(t, sandbox.RepoA, "v1", tok)

	// The local copy, made while nothing refuses it (docker pull).
	dir := filepath.Join(t.TempDir(), "image")
	li, cmds, err := cloud.SaveImage(ctx, sandbox.RepoA, "v1", dir)
	if err != nil || li.Layers == 0 || li.Bytes == 0 || li.Digest == "" || li.Dir != dir || li.Ref() != "team-a/alpine:v1" {
		t.Fatalf("SaveImage: %+v %v", li, err)
	}
	if len(cmds) != 2 || cmds[1].String() != "docker pull "+sb.Account()+".dkr.ecr.us-west-2.amazonaws.com/team-a/alpine:v1" {
		t.Fatalf("SaveImage commands %v", cmds)
	}
	if got, err := awsops.OpenLocalImage(dir, sandbox.RepoA, "v1"); err != nil || got.Digest != li.Digest {
		t.Fatalf("OpenLocalImage: %+v %v", got, err)
	}
	if _, err := awsops.OpenLocalImage(dir, sandbox.RepoA, "v9"); !errors.Is(err, awsops.ErrNoLocalImage) {
		t.Fatalf("OpenLocalImage of another tag: %v", err)
	}

	// An endpoint policy that denies PutImage and every read.
	msg := func(action string) string {
		return "User: arn:aws:sts::" + sb.Account() + ":assumed-role/x/i-1 is not authorized to perform: " + action + " on resource: " +
			policy.RepositoryARN(sb.Region(), sb.Account(), sandbox.RepoA) + " with an explicit deny in a VPC endpoint policy"
	}
	denyReads := func(r *http.Request) string {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.URL.Path, "/manifests/") {
			return msg("ecr:BatchGetImage")
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			return msg("ecr:GetDownloadUrlForLayer")
		}
		return ""
	}
	reg.SetRefuser(func(r *http.Request) string {
		if labtest.IsManifestPut(r) {
			return msg("ecr:PutImage")
		}
		return denyReads(r)
	})
	before := len(reg.Requests())
	res, cmds, err := cloud.PushImage(ctx, li, sandbox.RepoA, "v2")
	if err != nil {
		t.Fatalf("PushImage: %v", err)
	}
	if res.Allowed || res.Code != "DENIED" || res.Message != msg("ecr:PutImage") || res.Action != "ecr:PutImage" ||
		res.LayersExisting != li.Layers || res.LayersUploaded != 0 || res.Digest != li.Digest {
		t.Fatalf("push result %+v", res)
	}
	host := sb.Account() + ".dkr.ecr." + sb.Region() + ".amazonaws.com"
	if res.Registry != host || len(cmds) != 3 || cmds[1].String() != "docker tag "+host+"/team-a/alpine:v1 "+host+"/team-a/alpine:v2" ||
		cmds[2].String() != "docker push "+host+"/team-a/alpine:v2" {
		t.Fatalf("registry %q, commands %v", res.Registry, cmds)
	}
	// A push reads nothing: no manifest GET or HEAD, no blob download.
	for _, rq := range reg.Requests()[before:] {
		if strings.HasPrefix(rq, "GET ") && strings.Contains(rq, "/blobs/") || strings.Contains(rq, "/manifests/") && !strings.HasPrefix(rq, "PUT ") {
			t.Errorf("the push read from the repository: %s", rq)
		}
	}
	// The same policy refuses the pull, for BatchGetImage.
	pull, _, err := cloud.Pull(ctx, sandbox.RepoA, "v1")
	if err != nil || pull.Allowed || pull.Action != "ecr:BatchGetImage" || pull.Message != msg("ecr:BatchGetImage") {
		t.Fatalf("Pull under a deny: %+v %v", pull, err)
	}

	// Pulls denied, PutImage allowed: the push goes through.
	reg.SetRefuser(denyReads)
	res, _, err = cloud.PushImage(ctx, li, sandbox.RepoA, "v2")
	if err != nil || !res.Allowed {
		t.Fatalf("push with only reads denied: %+v %v", res, err)
	}

	// Nothing refused: pull and list work.
	reg.SetRefuser(nil)
	pull, _, err = cloud.Pull(ctx, sandbox.RepoA, "v2")
	if err != nil || !pull.Allowed || pull.Layers != li.Layers || pull.Digest != li.Digest {
		t.Fatalf("Pull: %+v %v", pull, err)
	}
	list, cmd, err := cloud.ListImages(ctx, sandbox.RepoA)
	if err != nil || !list.Allowed || len(list.Images) == 0 {
		t.Fatalf("ListImages: %+v %v", list, err)
	}
	if cmd.String() != "aws ecr list-images --repository-name team-a/alpine --region us-west-2" {
		t.Fatalf("list command %q", cmd.String())
	}
	seen := map[string]bool{}
	for _, c := range log.all() {
		if c.Service == "registry" {
			seen[c.Operation] = true
		}
	}
	for _, op := range []string{"PutImage", "BatchCheckLayerAvailability", "BatchGetImage", "GetDownloadUrlForLayer"} {
		if !seen[op] {
			t.Errorf("observer did not see registry %s: %v", op, seen)
		}
	}

	// Into a registry that lacks the layers, the push uploads them.
	empty := labtest.StartRegistry(t, sb.VerifyRegistryPassword)
	other, _ := cloudFor(t, sb, func(o *awsops.Options) { o.RegistryAddr = empty.Addr })
	res, _, err = other.PushImage(ctx, li, sandbox.RepoA, "v2")
	if err != nil || !res.Allowed || res.LayersUploaded != li.Layers || res.LayersExisting != 0 {
		t.Fatalf("push into an empty registry: %+v %v", res, err)
	}

	// A damaged copy is no copy: a missing blob is noticed.
	m, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
	for _, f := range m {
		if strings.HasSuffix(li.Digest, filepath.Base(f)) {
			continue
		}
		if err := os.Truncate(f, 1); err != nil {
			t.Fatal(err)
		}
		break
	}
	if _, err := awsops.OpenLocalImage(dir, sandbox.RepoA, "v1"); !errors.Is(err, awsops.ErrNoLocalImage) {
		t.Fatalf("OpenLocalImage of a damaged copy: %v", err)
	}
	// An expired login is 403 DENIED like a policy's refusal, but it is a
	// credentials error to act on, not the policy's outcome.
	reg.SetRefuser(func(*http.Request) string {
		return "Your authorization token has expired. Reauthenticate and try again."
	})
	if res, _, err := cloud.PushImage(ctx, li, sandbox.RepoA, "v3"); problem.KindOf(err) != problem.ExpiredCredentials || res.Code != "" {
		t.Fatalf("push with an expired token: %+v, kind %s: %v", res, problem.KindOf(err), err)
	}
	if res, _, err := cloud.Pull(ctx, sandbox.RepoA, "v1"); problem.KindOf(err) != problem.ExpiredCredentials || res.Code != "" ||
		!strings.Contains(problem.FixOf(err), "log in afresh") {
		t.Fatalf("pull with an expired token: %+v, kind %s: %v", res, problem.KindOf(err), err)
	}
	reg.SetRefuser(nil)

	if _, err := cloud.RemoveLocalImage(ctx, li); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the local copy is still there: %v", err)
	}

	// A wrong password (400 DENIED) is an error, not a refusal.
	reg2 := labtest.StartRegistry(t, func(string) bool { return false })
	bad, _ := cloudFor(t, sb, func(o *awsops.Options) { o.RegistryAddr = reg2.Addr })
	_, _, err = bad.SaveImage(ctx, sandbox.RepoA, "v1", filepath.Join(t.TempDir(), "image"))
	if problem.KindOf(err) != problem.InvalidCredentials {
		t.Fatalf("bad registry login: kind %s: %v", problem.KindOf(err), err)
	}

	// A registry throttling, then failing, through every attempt: the fix
	// says how many were made, as the API calls' do.
	var status, requests atomic.Int32
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		_, _ = io.WriteString(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"Rate exceeded"}]}`)
	}))
	defer busy.Close()
	throttled, _ := cloudFor(t, sb, func(o *awsops.Options) { o.RegistryAddr = strings.TrimPrefix(busy.URL, "http://") })
	for _, c := range []struct {
		status int
		kind   problem.Kind
		says   string
	}{{http.StatusTooManyRequests, problem.Throttled, "the registry kept throttling after %d attempts: wait a minute"},
		{http.StatusServiceUnavailable, problem.Server, "the registry kept failing after %d attempts: wait a few minutes"}} {
		status.Store(int32(c.status))
		requests.Store(0)
		_, _, err = throttled.Pull(ctx, sandbox.RepoA, "v1")
		n := int(requests.Load())
		if want := fmt.Sprintf(c.says, n); problem.KindOf(err) != c.kind || !strings.Contains(problem.FixOf(err), want) || n != awsops.RetryAttempts {
			t.Errorf("registry answering %d: %d requests, kind %s, fix %q, want %q", c.status, n, problem.KindOf(err), problem.FixOf(err), want)
		}
	}
}

// registryPassword asks the sandbox's ECR for a registry password.
func registryPassword(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	cr := sb.Credentials()
	client := ecr.NewFromConfig(aws.Config{Region: sb.Region(), BaseEndpoint: aws.String(sb.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, "")})
	out, err := client.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	_, pw, _ := strings.Cut(string(raw), ":")
	return pw
}

func TestDNSLookups(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	d := labtest.StartDNS(t)
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.DNSServer = d.Addr })
	ctx := context.Background()
	ws := awsops.Workspace{VpcCIDR: "10.0.0.0/16"}
	hosts := cloud.LabHosts(sb.Account())
	if hosts[0] != sb.Account()+".dkr.ecr.us-west-2.amazonaws.com" || hosts[1] != "api.ecr.us-west-2.amazonaws.com" {
		t.Fatalf("hosts %v", hosts)
	}
	d.Set(hosts[0], "52.94.1.10")
	d.Set(hosts[1], "10.0.0.21")
	l0, err := cloud.LookupHost(ctx, hosts[0], awsops.Privacy{VPC: ws})
	if err != nil || l0.Private() || len(l0.Addresses) != 1 || l0.Addresses[0].Private {
		t.Fatalf("public lookup %+v %v", l0, err)
	}
	l1, _ := cloud.LookupHost(ctx, hosts[1], awsops.Privacy{VPC: ws})
	if !l1.Private() {
		t.Fatalf("private lookup %+v", l1)
	}
	lx, err := cloud.LookupHost(ctx, "nothing.example", awsops.Privacy{VPC: ws})
	if err != nil || lx.Err == "" || lx.Private() {
		t.Fatalf("NXDOMAIN lookup %+v %v", lx, err)
	}
	// WatchDNS: public at first, private after a switch.
	rounds := 0
	_, err = cloud.WatchDNS(ctx, hosts, func(string) awsops.Privacy { return awsops.Privacy{VPC: ws} }, 5*time.Second, func(r []awsops.Lookup, next time.Duration) {
		rounds++
		if rounds == 3 {
			d.Set(hosts[0], "10.0.0.20")
		}
	})
	if err != nil || rounds != 4 {
		t.Fatalf("WatchDNS: %d rounds, %v", rounds, err)
	}
	// A deadline that passes gives the reasons to check.
	d.Set(hosts[0], "52.94.1.10")
	_, err = cloud.WatchDNS(ctx, hosts, func(string) awsops.Privacy { return awsops.Privacy{VPC: ws} }, 20*time.Millisecond, nil)
	if problem.KindOf(err) != problem.Timeout || !strings.Contains(problem.FixOf(err), "enableDnsHostnames") {
		t.Fatalf("WatchDNS deadline: %v / %s", err, problem.FixOf(err))
	}
}

func TestCommandQuoting(t *testing.T) {
	c := awsops.Command{Args: []string{"aws", "ec2", "create-vpc-endpoint", "--policy-document", `{"Statement":[{"Sid":"it's"}]}`, "--vpc-id", "vpc-1"}}
	want := `aws ec2 create-vpc-endpoint --policy-document '{"Statement":[{"Sid":"it'\''s"}]}' --vpc-id vpc-1`
	if c.String() != want {
		t.Fatalf("got  %s\nwant %s", c.String(), want)
	}
	if awsops.ShellQuote("") != "''" || awsops.ShellQuote("a b") != "'a b'" {
		t.Fatal("quoting of empty or spaced strings")
	}
}

// TestShellQuoteRoundTrips hands quoted words to a POSIX shell and reads
// them back unchanged: every byte a value may hold, the characters a shell
// gives a meaning to, and % (a sandbox's exports and the policy's URL
// escapes have it).
func TestShellQuoteRoundTrips(t *testing.T) {
	sh := testtool.Require(t, "sh", "")
	words := []string{"", "plain", "a b", "it's", `"dq"`, "$HOME", "${X:-y}", "`id`", "$(id)", "a;b", "a&b", "a|b", "a>b", "<a",
		"*", "?", "[ab]", "~", "~root", "{a,b}", "a\\b", "!x", "#x", "x#", "%", "50%", "%2F", "a=b", "-n", "--", "\t\n", "tab\tnewline\n",
		"http://127.0.0.1:4566/?q=1&r=%20", "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine", "é ü 中", "\x01\x7f"}
	var all []byte
	for b := 1; b < 256; b++ {
		all = append(all, byte(b))
	}
	words = append(words, string(all))
	// A quoting mistake runs the word: let it write only into a scratch
	// directory.
	scratch := t.TempDir()
	for _, w := range words {
		// printf %s prints the word as the shell passed it, byte for byte.
		cmd := exec.Command(sh, "-c", "printf %s "+awsops.ShellQuote(w))
		cmd.Dir = scratch
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%q quoted as %s: %v", w, awsops.ShellQuote(w), err)
			continue
		}
		if string(out) != w {
			t.Errorf("%q quoted as %s came back as %q", w, awsops.ShellQuote(w), out)
		}
	}
	for _, w := range []string{"plain", "a=b", "50%", "us-west-2", "team-a/alpine", "127.0.0.1:4566", "a,b", "user@host", "a+b"} {
		if q := awsops.ShellQuote(w); q != w {
			t.Errorf("%q needs no quotes, got %s", w, q)
		}
	}
}

// withDocker is a Cloud on sb whose docker is script, written in dir: a
// stand-in that answers as docker does.
func withDocker(t *testing.T, sb *sandbox.Sandbox, dir, script string) *awsops.Cloud {
	t.Helper()
	docker := filepath.Join(dir, "docker")
	if err := os.WriteFile(docker, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.DockerCLI = docker; o.RegistryAddr = "127.0.0.1:5000" })
	return cloud
}

// TestDockerCLI drives pushes and pulls through a docker executable (here a
// stand-in script that answers as docker does) and reads its refusal.
func TestDockerCLI(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	script := `#!/bin/sh
echo "$@" >> ` + log + `
case "$1" in
login) cat > /dev/null; echo "Login Succeeded" ;;
image) echo "Error: No such image: $3" >&2; exit 1 ;;
pull) echo "v1: Pulling from team-a/alpine"; echo "Digest: sha256:abc"; echo "Status: Image is up to date" ;;
tag) ;;
push) echo "The push refers to repository [x/team-a/alpine]"; echo "78a822fe2a2d: Layer already exists"
      echo "denied: User: arn:aws:sts::123456789012:assumed-role/r/i is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a VPC endpoint policy"; exit 1 ;;
rmi) echo "Untagged: $2" ;;
esac
`
	cloud := withDocker(t, sb, dir, script)
	ctx := context.Background()
	li, _, err := cloud.SaveImage(ctx, sandbox.RepoA, "v1", filepath.Join(dir, "unused"))
	if err != nil || !li.Docker || !li.Pulled || li.Digest != "sha256:abc" {
		t.Fatalf("docker save: %+v %v", li, err)
	}
	res, cmds, err := cloud.PushImage(ctx, li, sandbox.RepoA, "v2")
	if err != nil || res.Allowed || res.Code != "DENIED" || res.LayersExisting != 1 || !strings.HasSuffix(res.Message, "with an explicit deny in a VPC endpoint policy") || len(cmds) != 3 {
		t.Fatalf("docker push: %+v %v", res, err)
	}
	pull, _, err := cloud.Pull(ctx, sandbox.RepoA, "v1")
	if err != nil || !pull.Allowed || pull.Digest != "sha256:abc" {
		t.Fatalf("docker pull: %+v %v", pull, err)
	}
	if _, err := cloud.RemoveLocalImage(ctx, li, "v2"); err != nil {
		t.Fatalf("docker rmi: %v", err)
	}
	b, _ := os.ReadFile(log)
	r := "127.0.0.1:5000/team-a/alpine"
	want := "login --username AWS --password-stdin 127.0.0.1:5000\nimage inspect " + r + ":v1\npull " + r + ":v1\n" +
		"login --username AWS --password-stdin 127.0.0.1:5000\ntag " + r + ":v1 " + r + ":v2\npush " + r + ":v2\n" +
		"login --username AWS --password-stdin 127.0.0.1:5000\npull " + r + ":v1\n" +
		"rmi " + r + ":v2 " + r + ":v1\n"
	if string(b) != want {
		t.Fatalf("docker calls:\n%s\nwant\n%s", b, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "unused")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("with docker, nothing is written to the state directory: %v", err)
	}
}

// TestRegistryTokenExpiresOnSandbox: the sandbox's registry answers an
// expired token as ECR does (403 DENIED), and the engine reports it as
// expired credentials, not as the endpoint policy's verdict, on a pull and
// on a push (whose first request, a HEAD, has no body to read it from).
func TestRegistryTokenExpiresOnSandbox(t *testing.T) {
	clock := sandbox.NewManualClock(time.Now())
	// Once expire is set, a token expires as soon as it is issued: 13
	// hours pass after each GetAuthorizationToken (a token from
	// short-lived credentials expires with them).
	var expire atomic.Bool
	sb := startSandbox(t, sandbox.Options{Clock: clock, Recorder: sandbox.RecorderFunc(func(c sandbox.Call) {
		if expire.Load() && c.Action == "GetAuthorizationToken" && c.Via == "" && c.ErrorCode == "" {
			clock.Advance(13 * time.Hour)
		}
	})})
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.RegistryAddr = sb.RegistryAddr() })
	ctx := context.Background()
	li, _, err := cloud.SaveImage(ctx, sandbox.RepoA, "v1", filepath.Join(t.TempDir(), "image"))
	if err != nil {
		t.Fatalf("SaveImage: %v", err)
	}
	expire.Store(true)
	pull, _, err := cloud.Pull(ctx, sandbox.RepoA, "v1")
	if problem.KindOf(err) != problem.ExpiredCredentials || pull.Code != "" || !strings.Contains(err.Error(), "has expired") {
		t.Fatalf("pull with an expired token: %+v, kind %s: %v", pull, problem.KindOf(err), err)
	}
	push, _, err := cloud.PushImage(ctx, li, sandbox.RepoA, "v2")
	if problem.KindOf(err) != problem.ExpiredCredentials || push.Code != "" || !strings.Contains(problem.FixOf(err), "log in afresh") {
		t.Fatalf("push with an expired token: %+v, kind %s: %v", push, problem.KindOf(err), err)
	}
}

// TestDockerTokenExpired: docker printing ECR's expired-token DENIED is a
// credentials error, not the policy refusing the push.
func TestDockerTokenExpired(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	script := `#!/bin/sh
case "$1" in
login) cat > /dev/null; echo "Login Succeeded" ;;
pull) echo "Error response from daemon: pull access denied for x/team-a/alpine: denied: Your authorization token has expired. Reauthenticate and try again." >&2; exit 1 ;;
tag) ;;
push) echo "The push refers to repository [x/team-a/alpine]"; echo "denied: Your authorization token has expired. Reauthenticate and try again."; exit 1 ;;
esac
`
	cloud := withDocker(t, sb, dir, script)
	ctx := context.Background()
	li := awsops.LocalImage{Docker: true, Pulled: true, Repository: sandbox.RepoA, Tag: "v1", Addr: "127.0.0.1:5000"}
	res, _, err := cloud.PushImage(ctx, li, sandbox.RepoA, "v2")
	if problem.KindOf(err) != problem.ExpiredCredentials || res.Code != "" {
		t.Fatalf("docker push with an expired token: %+v, kind %s: %v", res, problem.KindOf(err), err)
	}
	pull, _, err := cloud.Pull(ctx, sandbox.RepoA, "v1")
	if problem.KindOf(err) != problem.ExpiredCredentials || pull.Code != "" {
		t.Fatalf("docker pull with an expired token: %+v, kind %s: %v", pull, problem.KindOf(err), err)
	}
}

// TestDryRunTriesTagOnCreate: under a role that may create but not tag
// (ec2:CreateTags refused on create), DryRun of the creates with their
// TagSpecifications is refused, naming ec2:CreateTags, and the fix gives
// the command that decodes AWS's encoded message. [issue 15, item 3]
func TestDryRunTriesTagOnCreate(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{TagPolicy: true}})
	cloud, _ := cloudFor(t, sb, nil)
	ctx := context.Background()
	ws, err := cloud.Complete(ctx, awsops.Workspace{SubnetID: sb.Workspace().SubnetID, SecurityGroupID: sb.Workspace().SecurityGroupID})
	if err != nil {
		t.Fatal(err)
	}
	checks, err := cloud.DryRun(ctx, ws, "", awsops.Tags{"ecr-vpce-lab:run": "t1", "Name": "ECR_VPCE_SG"})
	if err != nil {
		t.Fatal(err)
	}
	var first awsops.PermissionCheck
	for _, c := range checks {
		if c.Action == "ec2:CreateSecurityGroup" {
			first = c
		}
	}
	if first.Refused == nil || first.StandIn != "" {
		t.Fatalf("CreateSecurityGroup with tags: %+v; want refused, on nothing stood in for", first)
	}
	fix := problem.FixOf(first.Refused)
	for _, w := range []string{"ec2:CreateTags", cloud.CLI() + " sts decode-authorization-message --encoded-message "} {
		if !strings.Contains(fix, w) {
			t.Errorf("fix %q lacks %q", fix, w)
		}
	}
	// The same role creates untagged groups: the refusal is the tags'.
	if _, _, err := cloud.CreateSecurityGroup(ctx, ws.VpcID, "untagged", "x", nil); err != nil {
		t.Fatalf("an untagged create: %v", err)
	}
}

func TestDryRunReportsRefusedActions(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
		if r.Action == "CreateVpcEndpoint" || r.Action == "DeleteSecurityGroup" {
			return &sandbox.APIError{Status: http.StatusForbidden, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
		}
		return nil
	}}})
	cloud, log := cloudFor(t, sb, nil)
	ctx := context.Background()
	ws, err := cloud.Complete(ctx, awsops.Workspace{SubnetID: sb.Workspace().SubnetID, SecurityGroupID: sb.Workspace().SecurityGroupID})
	if err != nil {
		t.Fatal(err)
	}
	checks, err := cloud.DryRun(ctx, ws, "", awsops.Tags{"ecr-vpce-lab:run": "t1"})
	var denied []string
	for _, c := range checks {
		if c.Refused != nil {
			denied = append(denied, c.Action+map[bool]string{true: " (stand-in)"}[c.StandIn != ""])
		}
	}
	if err != nil || strings.Join(denied, ",") != "ec2:CreateVpcEndpoint,ec2:CreateVpcEndpoint (stand-in),ec2:DeleteSecurityGroup (stand-in)" {
		t.Fatalf("DryRun = %v, %v", denied, err)
	}
	// No standalone CreateTags (on the VPC, which the lab never tags):
	// tag-based policies refuse it though the lab never needs it.
	for _, c := range log.all() {
		if c.Operation == "CreateTags" {
			t.Fatal("DryRun tried CreateTags on its own")
		}
	}
	// Nothing changed: every call was a dry run.
	if g, _ := cloud.FindSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG_DRYRUN"); g != nil {
		t.Fatal("a dry run created a group")
	}
	if ok, _ := cloud.SecurityGroupExists(ctx, ws.SecurityGroupID); !ok {
		t.Fatal("a dry run deleted the workspace group")
	}
	n := 0
	for _, c := range log.all() {
		if c.Code == "DryRunOperation" {
			n++
		}
	}
	if n < 3 {
		t.Fatalf("%d calls answered DryRunOperation", n)
	}
	// Permission errors in real calls name the fix.
	_, _, err = cloud.CreateEndpoint(ctx, awsops.EndpointSpec{VpcID: ws.VpcID, Service: cloud.ServiceName("s3"), Type: awsops.Gateway, RouteTableIDs: []string{ws.RouteTableID}})
	if problem.KindOf(err) != problem.Permission || !strings.Contains(problem.FixOf(err), "docs/iam-policy.json") {
		t.Fatalf("CreateEndpoint without permission: %v / %s", err, problem.FixOf(err))
	}
}

// TestWaitEndpointsReleased: after a delete, each poll is one
// DescribeVpcEndpoints for the endpoints still deleting and one
// DescribeNetworkInterfaces for the interfaces of those deleted; an
// interface endpoint is deleted first and released once AWS lets its
// interfaces go.
func TestWaitEndpointsReleased(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Timing: sandbox.Timing{EndpointDelete: 100 * time.Millisecond, ENIRelease: 200 * time.Millisecond}})
	cloud, log := cloudFor(t, sb, func(o *awsops.Options) { o.Poll = 20 * time.Millisecond })
	ctx := context.Background()
	ws := sb.Workspace()
	_, api := groupAndAPIEndpoint(t, cloud, ws)
	s3, _, err := cloud.CreateEndpoint(ctx, awsops.EndpointSpec{VpcID: ws.VpcID, Service: cloud.ServiceName("s3"), Type: awsops.Gateway,
		RouteTableIDs: []string{ws.RouteTableID}})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{api.ID, s3.ID}
	if _, _, err := cloud.DeleteEndpoints(ctx, ids); err != nil {
		t.Fatal(err)
	}
	before := len(log.all())
	var seen []string
	polls := 0
	err = cloud.WaitEndpointsReleased(ctx, ids, map[string][]string{api.ID: api.ENIIDs}, func(rs []awsops.Removal) {
		polls++
		r := rs[0]
		state := "deleting"
		switch {
		case r.Released():
			state = "released"
		case r.Deleted:
			state = "releasing"
		}
		if len(seen) == 0 || seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "deleting,releasing,released" {
		t.Fatalf("ecr.api went %v", seen)
	}
	calls := map[string]int{}
	for _, c := range log.all()[before:] {
		calls[c.Operation]++
	}
	if calls["DescribeVpcEndpoints"] > polls || calls["DescribeNetworkInterfaces"] > polls || len(calls) != 2 {
		t.Fatalf("%d polls made %v", polls, calls)
	}
}
