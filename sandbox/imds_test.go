package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/testtool"
)

type imdsResp struct {
	status int
	body   string
	header http.Header
}

func imdsDo(t *testing.T, method, url string, hdr map[string]string) imdsResp {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	must(t, "request", err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, method+" "+url, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return imdsResp{resp.StatusCode, string(b), resp.Header}
}

func imdsToken(t *testing.T, base string, ttl int) string {
	t.Helper()
	r := imdsDo(t, http.MethodPut, base+"/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": fmt.Sprint(ttl)})
	if r.status != 200 || r.body == "" || r.header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != fmt.Sprint(ttl) {
		t.Fatalf("token: %d %q %v", r.status, r.body, r.header)
	}
	return r.body
}

func TestIMDSTokens(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{Clock: clock})
	base := sb.IMDSEndpoint()
	mac := base + "/latest/meta-data/mac"
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		status             int
	}{
		{"token without TTL", http.MethodPut, "/latest/api/token", nil, 400},
		{"token TTL 0", http.MethodPut, "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "0"}, 400},
		{"token TTL too long", http.MethodPut, "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21601"}, 400},
		{"token TTL not a number", http.MethodPut, "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "ten"}, 400},
		{"token through a proxy", http.MethodPut, "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"}, 403},
		{"token by GET", http.MethodGet, "/latest/api/token", nil, 405},
		{"bad token", http.MethodGet, "/latest/meta-data/mac", map[string]string{"X-aws-ec2-metadata-token": "AQAEAnope"}, 401},
		{"v1 allowed", http.MethodGet, "/latest/meta-data/mac", nil, 200},
		{"unknown path", http.MethodGet, "/latest/meta-data/nope", nil, 404},
		{"POST", http.MethodPost, "/latest/meta-data/mac", nil, 405},
	} {
		if r := imdsDo(t, tc.method, base+tc.path, tc.hdr); r.status != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, r.status, tc.status, r.body)
		}
	}
	tok := imdsToken(t, base, 60)
	r := imdsDo(t, http.MethodGet, mac, map[string]string{"X-aws-ec2-metadata-token": tok})
	if r.status != 200 || r.body != sb.Workspace().MAC || r.header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "60" {
		t.Errorf("with token: %d %q %v", r.status, r.body, r.header)
	}
	clock.Advance(61 * time.Second)
	if r := imdsDo(t, http.MethodGet, mac, map[string]string{"X-aws-ec2-metadata-token": tok}); r.status != 401 {
		t.Errorf("expired token: %d", r.status)
	}

	v2 := startSandbox(t, Options{IMDSv2Required: true})
	if r := imdsDo(t, http.MethodGet, v2.IMDSEndpoint()+"/latest/meta-data/mac", nil); r.status != 401 {
		t.Errorf("IMDSv2 required, no token: %d", r.status)
	}
	tok = imdsToken(t, v2.IMDSEndpoint(), 21600)
	if r := imdsDo(t, http.MethodGet, v2.IMDSEndpoint()+"/latest/meta-data/mac", map[string]string{"X-aws-ec2-metadata-token": tok}); r.status != 200 {
		t.Errorf("IMDSv2 required, token: %d", r.status)
	}
}

// TestIMDSLabPaths: what the lab's step 1 reads, including the double slash
// its commands produce (the MAC from macs/ keeps its trailing slash).
func TestIMDSLabPaths(t *testing.T) {
	sb := startSandbox(t, Options{})
	ws := sb.Workspace()
	base := sb.IMDSEndpoint() + "/latest/meta-data/"
	get := func(p string) string {
		t.Helper()
		r := imdsDo(t, http.MethodGet, base+p, nil)
		if r.status != 200 || r.header.Get("Content-Type") != "text/plain" {
			t.Errorf("%s: %d %s", p, r.status, r.header.Get("Content-Type"))
		}
		return r.body
	}
	iface := strings.SplitN(get("network/interfaces/macs/"), "\n", 2)[0]
	if iface != ws.MAC+"/" {
		t.Fatalf("macs/ first line %q, want %q", iface, ws.MAC+"/")
	}
	for p, want := range map[string]string{
		"mac": ws.MAC,
		"network/interfaces/macs/" + iface + "/security-group-ids":   ws.SecurityGroupID,
		"network/interfaces/macs/" + iface + "/subnet-id":            ws.SubnetID,
		"network/interfaces/macs/" + iface + "/vpc-id":               ws.VpcID,
		"network/interfaces/macs/" + ws.MAC + "/vpc-ipv4-cidr-block": "10.0.0.0/16",
		"network/interfaces/macs/" + ws.MAC + "/local-ipv4s":         ws.PrivateIP,
		"placement/region":            "us-west-2",
		"placement/availability-zone": "us-west-2a",
		"instance-id":                 ws.InstanceID,
	} {
		if got := get(p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	listing := get("")
	for _, want := range []string{"mac", "network/", "placement/", "instance-id"} {
		if !strings.Contains("\n"+listing+"\n", "\n"+want+"\n") {
			t.Errorf("meta-data/ listing lacks %s:\n%s", want, listing)
		}
	}
	r := imdsDo(t, http.MethodGet, sb.IMDSEndpoint()+"/latest/dynamic/instance-identity/document", nil)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil || doc["accountId"] != "123456789012" || doc["region"] != "us-west-2" || doc["instanceId"] != ws.InstanceID {
		t.Errorf("identity document: %v %s", err, r.body)
	}
}

// TestIMDSWithSDKClient: the SDK's own IMDS client (v2 tokens) reads it.
func TestIMDSWithSDKClient(t *testing.T) {
	sb := startSandbox(t, Options{IMDSv2Required: true})
	c := imds.New(imds.Options{Endpoint: sb.IMDSEndpoint()})
	ctx := context.Background()
	reg, err := c.GetRegion(ctx, &imds.GetRegionInput{})
	must(t, "GetRegion", err)
	doc, err := c.GetInstanceIdentityDocument(ctx, &imds.GetInstanceIdentityDocumentInput{})
	must(t, "GetInstanceIdentityDocument", err)
	md, err := c.GetMetadata(ctx, &imds.GetMetadataInput{Path: "mac"})
	must(t, "GetMetadata", err)
	b, _ := io.ReadAll(md.Content)
	ws := sb.Workspace()
	if reg.Region != "us-west-2" || doc.AccountID != "123456789012" || doc.InstanceID != ws.InstanceID || doc.PrivateIP != ws.PrivateIP || string(b) != ws.MAC {
		t.Errorf("SDK IMDS: region %s doc %+v mac %s", reg.Region, doc, b)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	must(t, "listen", err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestIMDSMatchesAWSMock compares the sandbox's IMDS with AWS's own emulator,
// amazon-ec2-metadata-mock (a go.mod tool), configured with the same world,
// on loopback only. Bodies, status codes and content types must be equal for
// the paths the lab uses; tokens must behave alike.
//
// Known, deliberate difference: the mock answers a path with a double slash
// (which the lab's commands produce) with a 301 redirect, which curl does not
// follow without -L; IMDS and the sandbox answer it. That path is left out.
func TestIMDSMatchesAWSMock(t *testing.T) {
	// Its time is the build of the mock and the mock's start: beside the
	// others, with which it shares nothing.
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		testtool.Missing(t, "the go command", "needed to build ec2-metadata-mock")
	}
	aemm := testtool.Program(t, "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock")

	sb := startSandbox(t, Options{IMDSv2Required: true})
	ws := sb.Workspace()
	var az, idoc string
	sb.read(func(w *world) { az = w.subnet(ws.SubnetID).AZ })
	r := imdsDo(t, http.MethodGet, sb.IMDSEndpoint()+"/latest/dynamic/instance-identity/document", map[string]string{"X-aws-ec2-metadata-token": imdsToken(t, sb.IMDSEndpoint(), 60)})
	idoc = r.body
	var doc map[string]any
	must(t, "identity document", json.Unmarshal([]byte(idoc), &doc))

	cfg := map[string]any{
		"metadata": map[string]any{"values": map[string]any{
			"mac": ws.MAC, "mac-mac": ws.MAC, "instance-id": ws.InstanceID, "local-ipv4": ws.PrivateIP,
			"mac-security-group-ids": ws.SecurityGroupID, "mac-subnet-id": ws.SubnetID, "mac-vpc-id": ws.VpcID,
			"mac-vpc-ipv4-cidr-block": "10.0.0.0/16", "mac-local-ipv4s": ws.PrivateIP,
			"placement-region": "us-west-2", "placement-availability-zone": az,
			"iam-security-credentials-role": "ecr-vpce-lab-workspace",
		}},
		"dynamic": map[string]any{"values": map[string]any{"instance-identity-document": doc}},
	}
	home := t.TempDir()
	cfgPath := filepath.Join(home, "aemm.json")
	b, _ := json.Marshal(cfg)
	must(t, "write config", os.WriteFile(cfgPath, b, 0o600))

	var base string
	var cmd *exec.Cmd
	var logs bytes.Buffer
	for attempt := 0; attempt < 3 && base == ""; attempt++ {
		port := freePort(t)
		// --hostname 127.0.0.1: the mock's default is 0.0.0.0.
		cmd = exec.Command(aemm, "--hostname", "127.0.0.1", "--port", fmt.Sprint(port), "--imdsv2", "-c", cfgPath)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
		cmd.Dir = home
		logs.Reset()
		cmd.Stdout, cmd.Stderr = &logs, &logs
		must(t, "start ec2-metadata-mock", cmd.Start())
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		for i := 0; i < 100; i++ {
			if resp, err := http.Get(url + "/latest/meta-data/mac"); err == nil {
				resp.Body.Close()
				base = url
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if base == "" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	if base == "" {
		t.Fatalf("ec2-metadata-mock did not come up:\n%s", logs.String())
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// Tokens behave alike.
	for _, srv := range []string{base, sb.IMDSEndpoint()} {
		if r := imdsDo(t, http.MethodPut, srv+"/latest/api/token", nil); r.status != 400 {
			t.Errorf("%s: token without TTL: %d", srv, r.status)
		}
		if r := imdsDo(t, http.MethodGet, srv+"/latest/meta-data/mac", nil); r.status != 401 {
			t.Errorf("%s: no token under IMDSv2: %d", srv, r.status)
		}
		if r := imdsDo(t, http.MethodGet, srv+"/latest/meta-data/mac", map[string]string{"X-aws-ec2-metadata-token": "bogus"}); r.status != 401 {
			t.Errorf("%s: bad token: %d", srv, r.status)
		}
	}
	mockTok, ourTok := imdsToken(t, base, 300), imdsToken(t, sb.IMDSEndpoint(), 300)
	paths := []string{
		"/latest/meta-data/mac",
		"/latest/meta-data/instance-id",
		"/latest/meta-data/local-ipv4",
		"/latest/meta-data/network/interfaces/macs/",
		"/latest/meta-data/network/interfaces/macs/" + ws.MAC + "/security-group-ids",
		"/latest/meta-data/network/interfaces/macs/" + ws.MAC + "/subnet-id",
		"/latest/meta-data/network/interfaces/macs/" + ws.MAC + "/vpc-id",
		"/latest/meta-data/network/interfaces/macs/" + ws.MAC + "/vpc-ipv4-cidr-block",
		"/latest/meta-data/network/interfaces/macs/" + ws.MAC + "/local-ipv4s",
		"/latest/meta-data/placement/region",
		"/latest/meta-data/placement/availability-zone",
		"/latest/meta-data/no-such-thing",
	}
	for _, p := range paths {
		m := imdsDo(t, http.MethodGet, base+p, map[string]string{"X-aws-ec2-metadata-token": mockTok})
		o := imdsDo(t, http.MethodGet, sb.IMDSEndpoint()+p, map[string]string{"X-aws-ec2-metadata-token": ourTok})
		if m.status != o.status {
			t.Errorf("%s: status mock %d, sandbox %d", p, m.status, o.status)
			continue
		}
		if m.status != 200 {
			continue
		}
		if m.body != o.body {
			t.Errorf("%s: mock %q, sandbox %q", p, m.body, o.body)
		}
		if m.header.Get("Content-Type") != o.header.Get("Content-Type") {
			t.Errorf("%s: content type mock %q, sandbox %q", p, m.header.Get("Content-Type"), o.header.Get("Content-Type"))
		}
	}
	// The instance role: same listing, same document keys.
	roleDir := "/latest/meta-data/iam/security-credentials/"
	mr := imdsDo(t, http.MethodGet, base+roleDir, map[string]string{"X-aws-ec2-metadata-token": mockTok})
	or := imdsDo(t, http.MethodGet, sb.IMDSEndpoint()+roleDir, map[string]string{"X-aws-ec2-metadata-token": ourTok})
	if mr.status != 200 || mr.body != or.body {
		t.Errorf("%s: mock %d %q, sandbox %d %q", roleDir, mr.status, mr.body, or.status, or.body)
	}
	for _, p := range []string{roleDir + "ecr-vpce-lab-workspace", "/latest/meta-data/iam/info"} {
		var md, od map[string]any
		m := imdsDo(t, http.MethodGet, base+p, map[string]string{"X-aws-ec2-metadata-token": mockTok})
		o := imdsDo(t, http.MethodGet, sb.IMDSEndpoint()+p, map[string]string{"X-aws-ec2-metadata-token": ourTok})
		if json.Unmarshal([]byte(m.body), &md) != nil || json.Unmarshal([]byte(o.body), &od) != nil {
			t.Errorf("%s: not JSON: mock %d %q, sandbox %d %q", p, m.status, m.body, o.status, o.body)
			continue
		}
		for k := range md {
			if _, ok := od[k]; !ok {
				t.Errorf("%s: the sandbox lacks key %s", p, k)
			}
		}
		for k := range od {
			if _, ok := md[k]; !ok {
				t.Errorf("%s: the sandbox has key %s the mock does not", p, k)
			}
		}
	}

	m := imdsDo(t, http.MethodGet, base+"/latest/dynamic/instance-identity/document", map[string]string{"X-aws-ec2-metadata-token": mockTok})
	var mockDoc map[string]any
	if err := json.Unmarshal([]byte(m.body), &mockDoc); err != nil {
		t.Fatalf("mock identity document: %v %s", err, m.body)
	}
	for k, v := range mockDoc {
		if fmt.Sprint(doc[k]) != fmt.Sprint(v) {
			t.Errorf("identity document %s: mock %v, sandbox %v", k, v, doc[k])
		}
	}
	for k := range doc {
		if _, ok := mockDoc[k]; !ok {
			t.Errorf("identity document key %s is not in the mock's", k)
		}
	}
}

// TestInstanceRoleCredentials: like an EC2 workspace, the SDK's default
// credential chain finds the instance role's temporary keys in IMDS (v2
// tokens, region from IMDS too), and the sandbox accepts them with their
// session token, and only with it.
func TestInstanceRoleCredentials(t *testing.T) {
	sb := startSandbox(t, Options{IMDSv2Required: true})
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_EC2_METADATA_DISABLED": "",
		"AWS_CONFIG_FILE": filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "none"),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": sb.IMDSEndpoint(), "AWS_ENDPOINT_URL": sb.Endpoint(),
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithEC2IMDSRegion(), config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	must(t, "LoadDefaultConfig", err)
	if cfg.Region != "us-west-2" {
		t.Errorf("region from IMDS = %q", cfg.Region)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, "GetCallerIdentity with role credentials", err)
	if aws.ToString(id.Arn) != sb.Workspace().CallerARN {
		t.Errorf("caller %s", aws.ToString(id.Arn))
	}
	calls := sb.Calls()
	if last := calls[len(calls)-1]; last.Service != "sts" || last.AccessKeyID != sb.RoleCredentials().AccessKeyID || !strings.HasPrefix(last.AccessKeyID, "ASIA") {
		t.Errorf("last call %+v", last)
	}
	rc := sb.RoleCredentials()
	rc.SessionToken = "IQoJb3JpZ2luX2VjEforged"
	_, err = sts.NewFromConfig(sdkConfig(sb, rc, nil)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, "role key with a forged token", err, "InvalidClientTokenId")
	rc.SessionToken = ""
	_, err = ec2.NewFromConfig(sdkConfig(sb, rc, nil)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "role key without its token", err, "AuthFailure")
}
