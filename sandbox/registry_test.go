package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/policy"
)

// regLog records registry requests as "METHOD kind status".
type regLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *regLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+parseRegistryPath(r.URL.Path).kind+" "+http.StatusText(resp.StatusCode))
		l.mu.Unlock()
	}
	return resp, err
}

func (l *regLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	return out
}

// registryLogin gets a registry password through the ECR API, as
// `aws ecr get-login-password` does.
func registryLogin(t testing.TB, c clients) (string, error) {
	t.Helper()
	out, err := c.ecr.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", err
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	must(t, "decode token", err)
	user, pw, _ := strings.Cut(string(raw), ":")
	if user != "AWS" {
		t.Fatalf("token user %q", user)
	}
	return pw, nil
}

// pushV1AsV2 logs in, pulls RepoA:v1 and pushes it as v2, as the lab's
// push proof does; any refusal fails the test, named by what.
func pushV1AsV2(t testing.TB, c clients, sb *Sandbox, what string) {
	t.Helper()
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	img, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	must(t, "pull v1", err)
	must(t, what, remote.Write(tagRef(t, sb, RepoA, "v2"), img, regOpts(pw, nil)...))
}

// readLayers downloads every layer of a pulled image to the end.
func readLayers(t testing.TB, img v1.Image, what string) {
	t.Helper()
	layers, err := img.Layers()
	must(t, what+": layers", err)
	for _, ly := range layers {
		rc, err := ly.Compressed()
		must(t, what+": layer", err)
		_, err = io.Copy(io.Discard, rc)
		must(t, what+": read layer", err)
		rc.Close()
	}
}

func regOpts(pw string, l *regLog) []remote.Option {
	o := []remote.Option{remote.WithAuth(&authn.Basic{Username: "AWS", Password: pw}), remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
	if l != nil {
		o = append(o, remote.WithTransport(l))
	}
	return o
}

func tagRef(t testing.TB, sb *Sandbox, repo, tag string) name.Tag {
	t.Helper()
	ref, err := name.NewTag(sb.RegistryAddr() + "/" + repo + ":" + tag)
	must(t, "ref", err)
	return ref
}

// createEndpoint makes an interface endpoint with private DNS in the
// workspace subnet, as the lab does.
func createEndpoint(t testing.TB, c clients, sb *Sandbox, short, doc string) string {
	t.Helper()
	ws := sb.Workspace()
	in := &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws." + sb.Region() + "." + short),
		VpcEndpointType: "Interface", SubnetIds: []string{ws.SubnetID}, PrivateDnsEnabled: aws.Bool(true),
		SecurityGroupIds: []string{labGroup(t, c, sb)},
	}
	if doc != "" {
		in.PolicyDocument = aws.String(doc)
	}
	out, err := c.ec2.CreateVpcEndpoint(context.Background(), in)
	must(t, "CreateVpcEndpoint "+short, err)
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}

// labGroup returns the lab's endpoint security group, created on first use
// with its inbound HTTPS rule from the workspace's group, as the lab's
// steps 2 and 3 make it: without it the endpoint's interfaces would drop
// the workspace's connections.
func labGroup(t testing.TB, c clients, sb *Sandbox) string {
	t.Helper()
	ctx := context.Background()
	ws := sb.Workspace()
	found, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{labGroupName}}, {Name: aws.String("vpc-id"), Values: []string{ws.VpcID}}}})
	must(t, "DescribeSecurityGroups", err)
	if len(found.SecurityGroups) > 0 {
		return aws.ToString(found.SecurityGroups[0].GroupId)
	}
	g, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(labGroupName),
		Description: aws.String("ECR VPC endpoints"), VpcId: aws.String(ws.VpcID)})
	must(t, "CreateSecurityGroup", err)
	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(ws.SecurityGroupID)}}}}})
	must(t, "AuthorizeSecurityGroupIngress", err)
	return aws.ToString(g.GroupId)
}

const labGroupName = "ECR_VPCE_SG"

func denial(sb *Sandbox, action, resource, reason string) string {
	return "User: " + sb.Workspace().CallerARN + " is not authorized to perform: " + action + " on resource: " + resource + " " + reason
}

const explicitDeny = "with an explicit deny in a VPC endpoint policy"

func wantRegistryError(t *testing.T, what string, err error, status int, code, msg string) {
	t.Helper()
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("%s: want a registry error %d %s, got %v", what, status, code, err)
	}
	if te.StatusCode != status || len(te.Errors) != 1 || string(te.Errors[0].Code) != code || (msg != "" && te.Errors[0].Message != msg) {
		t.Fatalf("%s: got %d %+v\nwant %d %s %q", what, te.StatusCode, te.Errors, status, code, msg)
	}
}

func listTags(t *testing.T, c clients, repo string) []string {
	t.Helper()
	out, err := c.ecr.ListImages(context.Background(), &ecr.ListImagesInput{RepositoryName: aws.String(repo)})
	must(t, "ListImages", err)
	var tags []string
	for _, id := range out.ImageIds {
		tags = append(tags, aws.ToString(id.ImageTag))
	}
	slices.Sort(tags)
	return tags
}

// TestRegistryEndpointPolicy walks the lab's point with go-containerregistry:
// before the endpoint every push and pull goes through; with the lab policy
// on the ecr.dkr endpoint a push is refused at PutImage, after its layers,
// with AWS's sentence, while pulls work; resetting the policy with
// ModifyVpcEndpoint lets the push through at once; a policy that allows
// nothing refuses pulls too, and login only fails once the api endpoint
// carries it as well; deleting the endpoints lifts everything.
func TestRegistryEndpointPolicy(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	ctx := context.Background()
	repoARN := policy.RepositoryARN(sb.Region(), sb.Account(), RepoA)
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	l := &regLog{}
	opts := regOpts(pw, l)

	// Before any endpoint: push a new image (layers uploaded) and pull it back.
	img, err := random.Image(3000, 2)
	must(t, "random image", err)
	must(t, "push before the endpoint", remote.Write(tagRef(t, sb, RepoA, "fresh"), img, opts...))
	reqs := l.take()
	for _, want := range []string{"POST upload Accepted", "PATCH upload Accepted", "PUT upload Created", "PUT manifest Created"} {
		if !slices.Contains(reqs, want) {
			t.Errorf("push requests %v lack %q", reqs, want)
		}
	}
	got, err := remote.Image(tagRef(t, sb, RepoA, "fresh"), opts...)
	must(t, "pull fresh", err)
	d1, _ := img.Digest()
	d2, _ := got.Digest()
	if d1 != d2 {
		t.Fatalf("pulled %s, pushed %s", d2, d1)
	}
	readLayers(t, got, "pull fresh")
	// One store: the ECR API sees the pushed tag and serves its manifest.
	if tags := listTags(t, c, RepoA); !slices.Equal(tags, []string{"fresh", "v1"}) {
		t.Fatalf("ListImages after push: %v", tags)
	}
	raw, _ := img.RawManifest()
	bg, err := c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("fresh")}}})
	must(t, "BatchGetImage", err)
	if len(bg.Images) != 1 || aws.ToString(bg.Images[0].ImageManifest) != string(raw) || aws.ToString(bg.Images[0].ImageId.ImageDigest) != d1.String() {
		t.Fatalf("BatchGetImage of the pushed tag: %+v", bg.Images)
	}
	di, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("fresh")}}})
	must(t, "DescribeImages", err)
	if len(di.ImageDetails) != 1 || aws.ToInt64(di.ImageDetails[0].ImageSizeInBytes) == 0 {
		t.Fatalf("DescribeImages of the pushed tag: %+v", di.ImageDetails)
	}

	// The lab's endpoint: pushing v2 from v1's layers is refused at PutImage.
	dkr := createEndpoint(t, c, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	v1img, err := remote.Image(tagRef(t, sb, RepoA, "v1"), opts...)
	must(t, "pull v1 through the endpoint", err)
	l.take()
	err = remote.Write(tagRef(t, sb, RepoA, "v2"), v1img, opts...)
	want := denial(sb, "ecr:PutImage", repoARN, explicitDeny)
	wantRegistryError(t, "push v2", err, http.StatusForbidden, "DENIED", want)
	reqs = l.take()
	if len(reqs) < 3 || reqs[len(reqs)-1] != "PUT manifest Forbidden" || !slices.Contains(reqs, "HEAD blob OK") {
		t.Fatalf("push v2 requests: %v (want layer checks, then the refused manifest)", reqs)
	}
	// A new image: its layers upload, then the manifest is refused.
	img2, _ := random.Image(2000, 1)
	err = remote.Write(tagRef(t, sb, RepoA, "v3"), img2, opts...)
	wantRegistryError(t, "push v3", err, http.StatusForbidden, "DENIED", want)
	reqs = l.take()
	if !slices.Contains(reqs, "PUT upload Created") || reqs[len(reqs)-1] != "PUT manifest Forbidden" {
		t.Fatalf("push v3 requests: %v", reqs)
	}
	if tags := listTags(t, c, RepoA); !slices.Equal(tags, []string{"fresh", "v1"}) {
		t.Fatalf("a refused push changed the repository: %v", tags)
	}
	// The body, byte for byte as ECR writes it.
	req, _ := http.NewRequest(http.MethodPut, "http://"+sb.RegistryAddr()+"/v2/"+RepoA+"/manifests/v2", strings.NewReader(string(raw)))
	req.SetBasicAuth("AWS", pw)
	req.Header.Set("Content-Type", string(MediaTypeOCIManifest))
	resp, err := http.DefaultClient.Do(req)
	must(t, "raw PUT", err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantBody, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "DENIED", "message": want}}})
	if resp.StatusCode != http.StatusForbidden || strings.TrimSpace(string(body)) != string(wantBody) {
		t.Fatalf("raw refusal: %d %s\nwant %s", resp.StatusCode, body, wantBody)
	}
	// Other repositories are not covered by the Deny.
	_, err = c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/tools")})
	must(t, "CreateRepository", err)
	must(t, "push to team-b/tools", remote.Write(tagRef(t, sb, "team-b/tools", "v1"), v1img, opts...))
	// The recorder names the refused action.
	var refused []string
	for _, call := range sb.Calls() {
		if call.Via == "registry" && call.ErrorCode == "DENIED" {
			refused = append(refused, call.IAMAction())
		}
	}
	if len(refused) < 2 || refused[0] != "ecr:PutImage" {
		t.Errorf("recorded refusals %v", refused)
	}

	// ModifyVpcEndpoint resets the policy: the very next push goes through.
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkr), PolicyDocument: aws.String(defaultEndpointPolicy)})
	must(t, "ModifyVpcEndpoint reset", err)
	must(t, "push v2 after the reset", remote.Write(tagRef(t, sb, RepoA, "v2"), v1img, opts...))
	if tags := listTags(t, c, RepoA); !slices.Equal(tags, []string{"fresh", "v1", "v2"}) {
		t.Fatalf("ListImages after the allowed push: %v", tags)
	}

	// A policy that allows nothing to this account: pulls are refused too.
	nothing := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}]}`
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkr), PolicyDocument: aws.String(nothing)})
	must(t, "ModifyVpcEndpoint nothing", err)
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), opts...)
	wantRegistryError(t, "pull under allow-nothing", err, http.StatusForbidden, "DENIED",
		denial(sb, "ecr:BatchGetImage", repoARN, "because no VPC endpoint policy allows the ecr:BatchGetImage action"))
	// Login goes through the api endpoint, which does not exist yet.
	if _, err := registryLogin(t, c); err != nil {
		t.Fatalf("login without an api endpoint: %v", err)
	}
	api := createEndpoint(t, c, sb, serviceAPI, nothing)
	_, err = registryLogin(t, c)
	wantCode(t, "login through the allow-nothing api endpoint", err, "AccessDeniedException")
	if err == nil || !strings.Contains(err.Error(), denial(sb, "ecr:GetAuthorizationToken", "*", "because no VPC endpoint policy allows the ecr:GetAuthorizationToken action")) {
		t.Fatalf("login refusal: %v", err)
	}
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "ListImages through the allow-nothing api endpoint", err, "AccessDeniedException")
	// The lab policy on the api endpoint: ListImages allowed, the ECR API's
	// PutImage refused with the same sentence as the registry's.
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(api), PolicyDocument: aws.String(labPolicy(sb.Account(), sb.Region()))})
	must(t, "ModifyVpcEndpoint api lab", err)
	if tags := listTags(t, c, RepoA); len(tags) != 3 {
		t.Fatalf("ListImages through the lab api endpoint: %v", tags)
	}
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(string(raw)), ImageTag: aws.String("api")})
	wantCode(t, "ECR API PutImage", err, "AccessDeniedException")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("ECR API PutImage refusal: %v", err)
	}

	// Deleting the endpoints lifts their policies.
	_, err = c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{dkr, api}})
	must(t, "DeleteVpcEndpoints", err)
	if _, err := remote.Image(tagRef(t, sb, RepoA, "v1"), opts...); err != nil {
		t.Fatalf("pull after deleting the endpoint: %v", err)
	}
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageManifest: aws.String(string(raw)), ImageTag: aws.String("api")})
	must(t, "ECR API PutImage without endpoints", err)
}

// TestEndpointPolicyNeedsARoutedEndpoint: the policy applies only while the
// workspace's requests travel through the endpoint: not while it is
// pending, not before its private DNS answers, not without private DNS, not
// from another service's endpoint.
func TestEndpointPolicyNeedsARoutedEndpoint(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{Clock: clock, Timing: Timing{EndpointAvailable: 20 * time.Second, DNSSwitch: 5 * time.Second}})
	c := newClients(sb, nil)
	ctx := context.Background()
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	opts := regOpts(pw, nil)
	v1img, err := remote.Image(tagRef(t, sb, RepoA, "v1"), opts...)
	must(t, "pull v1", err)
	push := func() error { return remote.Write(tagRef(t, sb, RepoA, "v2"), v1img, opts...) }
	deny := `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

	ws := sb.Workspace()
	// Without private DNS, and an endpoint of another service: no effect.
	out, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws." + sb.Region() + ".ecr.dkr"),
		VpcEndpointType: "Interface", SubnetIds: []string{ws.SubnetID}, PrivateDnsEnabled: aws.Bool(false), PolicyDocument: aws.String(deny)})
	must(t, "endpoint without private DNS", err)
	createEndpoint(t, c, sb, "sts", deny)
	clock.Advance(time.Minute)
	must(t, "push past an endpoint without private DNS", push())
	_, err = c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(out.VpcEndpoint.VpcEndpointId)}})
	must(t, "delete", err)

	createEndpoint(t, c, sb, serviceDKR, deny)
	must(t, "push while the endpoint is pending", push())
	clock.Advance(20 * time.Second) // available, DNS not yet switched
	must(t, "push before the DNS switch", push())
	clock.Advance(5 * time.Second)
	// The push's first request is a HEAD (no body to carry the sentence).
	var te *transport.Error
	if err := push(); !errors.As(err, &te) || te.StatusCode != http.StatusForbidden {
		t.Fatalf("push after the DNS switch: %v", err)
	}
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), opts...)
	wantRegistryError(t, "pull after the DNS switch", err, http.StatusForbidden, "DENIED",
		denial(sb, "ecr:BatchGetImage", policy.RepositoryARN(sb.Region(), sb.Account(), RepoA), explicitDeny))
}

// TestRegistryAuthentication: ECR's basic auth, with its challenge.
func TestRegistryAuthentication(t *testing.T) {
	clock := NewManualClock(time.Now())
	sb := startSandbox(t, Options{Clock: clock})
	c := newClients(sb, nil)
	pw, err := registryLogin(t, c)
	must(t, "login", err)
	get := func(user, pass string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+sb.RegistryAddr()+"/v2/", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, "GET /v2/", err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	wantChallenge := `Basic realm="https://` + sb.Account() + `.dkr.ecr.` + sb.Region() + `.amazonaws.com/",service="ecr.amazonaws.com"`
	// No credentials: the challenge, in plain text (as ECR: research A.2).
	if st, h, body := get("", ""); st != http.StatusUnauthorized || h.Get("Www-Authenticate") != wantChallenge ||
		h.Get("Content-Type") != "text/plain; charset=utf-8" || body != "Not Authorized\n" {
		t.Errorf("no credentials: %d %v %q", st, h, body)
	}
	// Credentials ECR did not issue: 400 DENIED (research A.4).
	for _, tc := range []struct{ name, user, pass string }{
		{"wrong password", "AWS", "nope"},
		{"another world's token", "AWS", "e30." + strings.Repeat("A", 43)},
		{"wrong user", "admin", pw},
	} {
		st, _, body := get(tc.user, tc.pass)
		if st != http.StatusBadRequest || body != `{"errors":[{"code":"DENIED","message":"Your Authorization Token is invalid."}]}`+"\n" {
			t.Errorf("%s: %d %s", tc.name, st, body)
		}
	}
	if st, h, _ := get("AWS", pw); st != http.StatusOK || h.Get("Docker-Distribution-Api-Version") != "registry/2.0" {
		t.Errorf("valid login: %d %v", st, h)
	}
	// A pull with a wrong password fails on the token, not the policy.
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts("nope", nil)...)
	wantRegistryError(t, "pull with a wrong password", err, http.StatusBadRequest, "DENIED", "Your Authorization Token is invalid.")
	// Tokens last 12 hours; then 403 DENIED, as a policy's refusal, told
	// apart by the sentence (research A.3).
	clock.Advance(12*time.Hour + time.Second)
	if st, _, body := get("AWS", pw); st != http.StatusForbidden ||
		body != `{"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]}`+"\n" {
		t.Errorf("expired token: %d %s", st, body)
	}
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	wantRegistryError(t, "pull with an expired token", err, http.StatusForbidden, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
	// Unknown repositories and tags, as ECR names them.
	clock.Advance(-13 * time.Hour)
	_, err = remote.Image(tagRef(t, sb, "team-z/none", "v1"), regOpts(pw, nil)...)
	wantRegistryError(t, "unknown repository", err, http.StatusNotFound, "NAME_UNKNOWN",
		"The repository with name 'team-z/none' does not exist in the registry with id '"+sb.Account()+"'")
	_, err = remote.Image(tagRef(t, sb, RepoA, "nope"), regOpts(pw, nil)...)
	wantRegistryError(t, "unknown tag", err, http.StatusNotFound, "MANIFEST_UNKNOWN", "")
}

// TestRegistryPersists: a pushed image is part of the saved world.
func TestRegistryPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "world")
	sb, err := Start(context.Background(), Options{StateDir: dir})
	must(t, "Start", err)
	pw, err := registryLogin(t, newClients(sb, nil))
	must(t, "login", err)
	img, _ := random.Image(1500, 2)
	must(t, "push", remote.Write(tagRef(t, sb, RepoA, "kept"), img, regOpts(pw, nil)...))
	must(t, "Close", sb.Close())

	sb2 := startSandbox(t, Options{StateDir: dir})
	c := newClients(sb2, nil)
	if tags := listTags(t, c, RepoA); !slices.Equal(tags, []string{"kept", "v1"}) {
		t.Fatalf("after restart: %v", tags)
	}
	pw, err = registryLogin(t, c)
	must(t, "login again", err)
	got, err := remote.Image(tagRef(t, sb2, RepoA, "kept"), regOpts(pw, nil)...)
	must(t, "pull after restart", err)
	var want, have v1.Hash
	want, _ = img.Digest()
	have, _ = got.Digest()
	readLayers(t, got, "after restart")
	if want != have {
		t.Fatalf("digest after restart %s, want %s", have, want)
	}
}
