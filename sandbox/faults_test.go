package sandbox

import (
	"context"
	"errors"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/miekg/dns"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// errInfo is the code and HTTP status of an SDK error.
func errInfo(err error) (string, int) {
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	code, status := "", 0
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// threeCalls makes one EC2, one ECR and one STS call and returns their
// error codes and statuses.
func threeCalls(c clients) [3]string {
	ctx := context.Background()
	_, e1 := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	_, e2 := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	_, e3 := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var out [3]string
	for i, err := range []error{e1, e2, e3} {
		code, status := errInfo(err)
		if err != nil {
			out[i] = code + "/" + http.StatusText(status)
		}
	}
	return out
}

func TestFaultThrottling(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{ThrottleRate: 1}})
	got := threeCalls(newClients(sb, nil))
	want := [3]string{"RequestLimitExceeded/Service Unavailable", "ThrottlingException/Bad Request", "Throttling/Bad Request"}
	if got != want {
		t.Fatalf("throttled calls: %v, want %v", got, want)
	}
	// The SDK's retryer sees them as throttling (and gives up after its attempts).
	cfg := sdkConfig(sb, sb.Credentials(), nil)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 2; o.MaxBackoff = time.Millisecond })
	}
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	var me *retry.MaxAttemptsError
	if !errors.As(err, &me) || !(retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}).IsErrorThrottle(err).Bool() {
		t.Fatalf("retryer on throttling: %v", err)
	}
}

func TestFaultServerErrors(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{ServerErrorRate: 1, Seed: 7}})
	seen := map[string]bool{}
	for range 12 {
		for _, r := range threeCalls(newClients(sb, nil)) {
			seen[r] = true
		}
	}
	for _, want := range []string{"InternalError/Internal Server Error", "Unavailable/Service Unavailable", "ServerException/Internal Server Error",
		"InternalFailure/Internal Server Error", "ServiceUnavailable/Service Unavailable"} {
		if !seen[want] {
			t.Errorf("5xx faults %v lack %s", seen, want)
		}
	}
	if len(seen) != 5 {
		t.Errorf("5xx faults: %v", seen)
	}
	// Every service's server fault is the internal error its handlers
	// answer with (IAM's is ServiceFailure, not STS's InternalFailure).
	in := newInjector(Faults{ServerErrorRate: 1, Seed: 7})
	for _, c := range []struct{ service, protocol string }{
		{"ec2", protoEC2}, {"ecr", protoJSON}, {"sts", protoSTS}, {"iam", protoIAM}, {"scheduler", protoREST}, {"organizations", protoOrgs},
	} {
		want := internalError(c.protocol)
		got := map[string]bool{}
		for range 16 {
			e := in.apiFault(context.Background(), c.service, c.protocol)
			got[e.Code] = true
		}
		if !got[want.Code] {
			t.Errorf("%s's server faults %v lack its internal error %s", c.service, got, want.Code)
		}
	}
}

// TestFaultRatesAreSeeded: the same seed replays the same faults; at a rate
// the SDK's standard retryer rides them out.
func TestFaultRatesAreSeeded(t *testing.T) {
	sequence := func(seed uint64) []string {
		sb := startSandbox(t, Options{Faults: Faults{Seed: seed, ThrottleRate: 0.25, ServerErrorRate: 0.25}})
		c := newClients(sb, nil)
		var seq []string
		for range 20 {
			r := threeCalls(c)
			seq = append(seq, r[:]...)
		}
		return seq
	}
	a, b, other := sequence(42), sequence(42), sequence(43)
	if !slices.Equal(a, b) {
		t.Fatalf("seed 42 twice gave different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Fatalf("seeds 42 and 43 gave the same faults")
	}
	failed := 0
	for _, r := range a {
		if r != "" {
			failed++
		}
	}
	if failed < 15 || failed > 45 { // 60 calls at 50 %
		t.Fatalf("%d of 60 calls failed at a combined rate of 50%%", failed)
	}

	sb := startSandbox(t, Options{Faults: Faults{Seed: 9, ThrottleRate: 0.2, ServerErrorRate: 0.2}})
	cfg := sdkConfig(sb, sb.Credentials(), nil)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.MaxBackoff = time.Millisecond
			o.RateLimiter = noRateLimit{}
		})
	}
	c := clients{ec2: ec2.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
	for i := range 30 {
		if r := threeCalls(c); r != [3]string{} {
			t.Fatalf("call %d failed through the retryer: %v", i, r)
		}
	}
	retried := 0
	for _, call := range sb.Calls() {
		if call.ErrorCode != "" {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no fault was injected")
	}
}

type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRateLimit) AddTokens(uint) error { return nil }

func TestFaultLatency(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{Latency: 150 * time.Millisecond}})
	c := newClients(sb, nil)
	start := time.Now()
	_, err := c.ec2.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	must(t, "DescribeVpcs", err)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("call took %s with 150ms latency", d)
	}
	// A caller's deadline still ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		t.Fatal("a call with a 20ms deadline succeeded despite 150ms latency")
	}
}

func TestFaultRegistry(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{ThrottleRate: 1, Registry: true}})
	// The API is throttled too: mint a registry password directly.
	var password string
	sb.read(func(w *world) { password = registryPassword(w, time.Now().Add(time.Hour)) })
	_, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(password, nil)...)
	wantRegistryError(t, "throttled pull", err, http.StatusTooManyRequests, "TOOMANYREQUESTS", "Rate exceeded")

	sb2 := startSandbox(t, Options{Faults: Faults{ServerErrorRate: 1, Registry: true}})
	sb2.read(func(w *world) { password = registryPassword(w, time.Now().Add(time.Hour)) })
	_, err = remote.Image(tagRef(t, sb2, RepoA, "v1"), regOpts(password, nil)...)
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("5xx pull: %v", err)
	}
	// Without Registry, the rate faults leave the registry alone.
	sb3 := startSandbox(t, Options{Faults: Faults{ThrottleRate: 1}})
	sb3.read(func(w *world) { password = registryPassword(w, time.Now().Add(time.Hour)) })
	if _, err := remote.Image(tagRef(t, sb3, RepoA, "v1"), regOpts(password, nil)...); err != nil {
		t.Fatalf("registry under API-only faults: %v", err)
	}
}

func TestFaultEndpointFails(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	reason := "Insufficient capacity in the availability zone"
	sb := startSandbox(t, Options{Clock: clock, Timing: Timing{EndpointAvailable: 20 * time.Second},
		Faults: Faults{FailEndpoints: reason, FailEndpointServices: []string{serviceDKR}}})
	c := newClients(sb, nil)
	ctx := context.Background()
	dkr := createEndpoint(t, c, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	api := createEndpoint(t, c, sb, serviceAPI, "")
	states := func() map[string]ec2types.VpcEndpoint {
		out, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkr, api}})
		must(t, "DescribeVpcEndpoints", err)
		m := map[string]ec2types.VpcEndpoint{}
		for _, e := range out.VpcEndpoints {
			m[aws.ToString(e.VpcEndpointId)] = e
		}
		return m
	}
	if s := states(); s[dkr].State != "pending" || s[api].State != "pending" {
		t.Fatalf("states at first: %s %s", s[dkr].State, s[api].State)
	}
	clock.Advance(20 * time.Second)
	s := states()
	if s[dkr].State != "failed" || aws.ToString(s[dkr].FailureReason) != reason || s[dkr].LastError == nil || aws.ToString(s[dkr].LastError.Message) != reason {
		t.Fatalf("failed endpoint: %s %v %+v", s[dkr].State, aws.ToString(s[dkr].FailureReason), s[dkr].LastError)
	}
	if s[api].State != "available" {
		t.Fatalf("the api endpoint failed too: %s", s[api].State)
	}
	// A failed endpoint carries no traffic: DNS stays public, no policy applies.
	if got := aRecords(query(t, sb, "udp", registryHost(sb), dns.TypeA)); classify(got) != "public" {
		t.Fatalf("DNS with a failed endpoint: %v", got)
	}
	pushV1AsV2(t, c, sb, "push past a failed endpoint")
}

func TestFaultDNSNeverSwitches(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{DNSNeverSwitches: true}})
	c := newClients(sb, nil)
	createEndpoint(t, c, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	createEndpoint(t, c, sb, serviceAPI, labPolicy(sb.Account(), sb.Region()))
	out, err := c.ec2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
	must(t, "DescribeVpcEndpoints", err)
	for _, e := range out.VpcEndpoints {
		if e.State != "available" {
			t.Fatalf("endpoint %s", e.State)
		}
	}
	for _, h := range []string{registryHost(sb), "api.ecr." + sb.Region() + ".amazonaws.com"} {
		if got := lookBoth(t, sb, h); classify(got) != "public" {
			t.Fatalf("%s with DNS that never switches: %v", h, got)
		}
	}
	// Requests then take the public way: the endpoint policy does not bite.
	pushV1AsV2(t, c, sb, "push bypassing the endpoint")
}

func TestFaultVPCDNSOff(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{VPCDNSOff: true}})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		out, err := c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(ws.VpcID), Attribute: attr})
		must(t, "DescribeVpcAttribute", err)
		on := (out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value)) || (out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value))
		if on {
			t.Errorf("%s is on", attr)
		}
	}
	err := privateDKREndpoint(sb, c)
	wantCode(t, "private DNS endpoint with DNS attributes off", err, "InvalidParameter")
	if err == nil || !strings.Contains(err.Error(), "enableDnsSupport and enableDnsHostnames") {
		t.Errorf("message: %v", err)
	}
	// Turning them on (as the lab's preflight offers) fixes it.
	for _, in := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: aws.String(ws.VpcID), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: aws.String(ws.VpcID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		_, err := c.ec2.ModifyVpcAttribute(ctx, in)
		must(t, "ModifyVpcAttribute", err)
	}
	createEndpoint(t, c, sb, serviceDKR, "")
	if got := lookBoth(t, sb, registryHost(sb)); classify(got) != "private" {
		t.Fatalf("after turning DNS on: %v", got)
	}
}

// privateDKREndpoint asks for an ecr.dkr interface endpoint with private DNS
// in the workspace's subnet, with no security group of its own, and
// returns what EC2 answered.
func privateDKREndpoint(sb *Sandbox, c clients) error {
	ws := sb.Workspace()
	_, err := c.ec2.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID),
		ServiceName: aws.String("com.amazonaws." + sb.Region() + ".ecr.dkr"), VpcEndpointType: "Interface", SubnetIds: []string{ws.SubnetID},
		PrivateDnsEnabled: aws.Bool(true)})
	return err
}

func TestFaultExistingDKREndpoint(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{ExistingDKREndpoint: true}})
	c := newClients(sb, nil)
	ctx := context.Background()
	out, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{flt("service-name", "com.amazonaws."+sb.Region()+".ecr.dkr")}})
	must(t, "DescribeVpcEndpoints", err)
	if len(out.VpcEndpoints) != 1 || out.VpcEndpoints[0].State != "available" || !aws.ToBool(out.VpcEndpoints[0].PrivateDnsEnabled) || len(out.VpcEndpoints[0].NetworkInterfaceIds) != 1 {
		t.Fatalf("existing endpoint: %+v", out.VpcEndpoints)
	}
	err = privateDKREndpoint(sb, c)
	wantCode(t, "a second private-DNS ecr.dkr endpoint", err, "InvalidParameter")
	if err == nil || !strings.Contains(err.Error(), "conflicting DNS domain for dkr.ecr."+sb.Region()+".amazonaws.com") {
		t.Errorf("message: %v", err)
	}
	if got := lookBoth(t, sb, registryHost(sb)); classify(got) != "private" {
		t.Fatalf("DNS with the existing endpoint: %v", got)
	}
}

func TestFaultNoRepository(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{NoRepository: true}})
	c := newClients(sb, nil)
	ctx := context.Background()
	_, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "ListImages", err, "RepositoryNotFoundException")
	repos, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	must(t, "DescribeRepositories", err)
	if len(repos.Repositories) != 0 {
		t.Fatalf("repositories: %+v", repos.Repositories)
	}
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	wantRegistryError(t, "pull", err, http.StatusNotFound, "NAME_UNKNOWN", "")
	// Creating it (as the lab offers) makes it usable.
	_, err = c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(RepoA)})
	must(t, "CreateRepository", err)
	if tags := listTags(t, c, RepoA); len(tags) != 0 {
		t.Fatalf("new repository: %v", tags)
	}

	// World faults shape new worlds only: a saved world is served as left.
	dir := filepath.Join(t.TempDir(), "world")
	first, err := Start(ctx, Options{StateDir: dir})
	must(t, "Start", err)
	if !first.Fresh() {
		t.Error("a new state directory did not give a fresh world")
	}
	must(t, "Close", first.Close())
	again := startSandbox(t, Options{StateDir: dir, Faults: Faults{NoRepository: true}})
	if again.Fresh() {
		t.Error("a saved world was reported fresh")
	}
	if tags := listTags(t, newClients(again, nil), RepoA); !slices.Equal(tags, []string{"v1"}) {
		t.Fatalf("the saved world lost its repository: %v", tags)
	}
}

func TestFaultIMDSv2Required(t *testing.T) {
	sb := startSandbox(t, Options{IMDSv2Required: true})
	resp, err := http.Get(sb.IMDSEndpoint() + "/latest/meta-data/mac")
	must(t, "token-less GET", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token-less GET: %d", resp.StatusCode)
	}
	// The SDK's IMDS client (tokens) is tested in TestIMDSWithSDKClient.
}

// TestFaultOptionsValidated: options the command line would refuse are
// refused when a program (or a test) sets them too, NaN and infinities
// included, in the command line's words.
func TestFaultOptionsValidated(t *testing.T) {
	const fraction = "give a fraction from 0 to 1"
	for _, c := range []struct {
		f    Faults
		want string
	}{
		{Faults{ThrottleRate: -0.1}, "faults: throttle rate -0.1: " + fraction},
		{Faults{ServerErrorRate: 1.5}, "faults: 5xx rate 1.5: " + fraction},
		{Faults{ThrottleRate: 0.6, ServerErrorRate: 0.6}, "faults: throttle rate 0.6 and faults: 5xx rate 0.6 add up to more than 1: a call is throttled or fails, not both; lower one"},
		{Faults{Latency: -time.Second}, "negative latency"},
		{Faults{ThrottleRate: math.NaN()}, "faults: throttle rate NaN: " + fraction},
		{Faults{ServerErrorRate: math.Inf(1)}, "faults: 5xx rate +Inf: " + fraction},
		{Faults{SchedulerThrottleRate: math.NaN()}, "faults: scheduler throttle rate NaN: " + fraction},
		{Faults{SchedulerThrottleRate: math.Inf(-1)}, "faults: scheduler throttle rate -Inf: " + fraction},
	} {
		sb, err := Start(context.Background(), Options{Faults: c.f})
		if err == nil {
			sb.Close()
			t.Errorf("faults %+v accepted", c.f)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("faults %+v: %q, want %q", c.f, err, c.want)
		}
	}
}

// TestFaultDenyActions: the role lacks one action; AWS's refusal names it,
// DryRun calls of it are refused too, other calls (and DryRuns of other
// actions) go through, and the registry refuses the ECR actions it maps.
func TestFaultDenyActions(t *testing.T) {
	sb := startSandbox(t, Options{Faults: Faults{DenyActions: []string{"ec2:CreateSecurityGroup", "ecr:ListImages", "ecr:PutImage"}}})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	for _, dry := range []bool{false, true} {
		_, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{DryRun: aws.Bool(dry), GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String(ws.VpcID)})
		code, status := errInfo(err)
		if code != "UnauthorizedOperation" || status != http.StatusForbidden || !strings.Contains(err.Error(), "is not authorized to perform: ec2:CreateSecurityGroup") {
			t.Fatalf("denied CreateSecurityGroup (dry run %t): %v", dry, err)
		}
	}
	_, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{DryRun: aws.Bool(true), VpcId: aws.String(ws.VpcID),
		ServiceName: aws.String("com.amazonaws." + sb.Region() + ".s3"), RouteTableIds: []string{ws.RouteTableID}})
	if code, _ := errInfo(err); code != "DryRunOperation" {
		t.Fatalf("a DryRun of an allowed action: %v", err)
	}
	if _, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("an allowed action: %v", err)
	}
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	if code, _ := errInfo(err); code != "AccessDeniedException" || !strings.Contains(err.Error(), "ecr:ListImages on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine because no identity-based policy allows") {
		t.Fatalf("denied ListImages: %v", err)
	}
	if _, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity needs no permission: %v", err)
	}
	// The registry: pulls go through, the manifest PUT (ecr:PutImage) does not.
	var password string
	sb.read(func(w *world) { password = registryPassword(w, time.Now().Add(time.Hour)) })
	img, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(password, nil)...)
	if err != nil {
		t.Fatalf("pull with ecr:PutImage denied: %v", err)
	}
	err = remote.Write(tagRef(t, sb, RepoA, "v9"), img, regOpts(password, nil)...)
	wantRegistryError(t, "push with ecr:PutImage denied", err, http.StatusForbidden, "DENIED",
		"User: "+sb.Workspace().CallerARN+" is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine because no identity-based policy allows the ecr:PutImage action")
	denied := 0
	for _, call := range sb.Calls() {
		if call.ErrorCode == "UnauthorizedOperation" || call.ErrorCode == "AccessDeniedException" || call.ErrorCode == "DENIED" {
			denied++
		}
	}
	if denied != 4 {
		t.Fatalf("%d refusals recorded, want 4", denied)
	}
	for _, bad := range [][]string{{"CreateVpcEndpoint"}, {"s3:GetObject"}, {"ec2:"}} {
		if _, err := Start(context.Background(), Options{Faults: Faults{DenyActions: bad}}); err == nil {
			t.Errorf("DenyActions %q accepted", bad)
		}
	}
}
