package sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/miekg/dns"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// callerOf asks STS who the credentials of cfg belong to.
func callerOf(t *testing.T, sb *Sandbox, cfg aws.Config) string {
	t.Helper()
	cfg.BaseEndpoint = aws.String(sb.Endpoint())
	cfg.Region = sb.Region()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	must(t, "GetCallerIdentity", err)
	return aws.ToString(out.Arn)
}

func TestWorldTable(t *testing.T) {
	if len(WorldNames()) < 6 {
		t.Fatalf("worlds: %v", WorldNames())
	}
	for _, n := range WorldNames() {
		d, err := WorldByName(n)
		if err != nil || d.Title == "" || d.Outcome == "" || d.Credentials == "" || d.Vantage == "" {
			t.Errorf("world %s: %+v %v", n, d, err)
		}
	}
	if _, err := WorldByName("mars"); err == nil || !strings.Contains(err.Error(), "cloudshell-vpc") {
		t.Fatalf("unknown world: %v", err)
	}
	if d, _ := WorldByName(""); d.Name != DefaultWorld {
		t.Fatalf("default world %s", d.Name)
	}
}

// TestWorldCloud9 is the base world: IMDSv1 and v2, an instance role, the
// Cloud9 variables.
func TestWorldCloud9(t *testing.T) {
	sb := startSandbox(t, Options{World: WorldCloud9})
	v := sb.View()
	if v.IMDSEndpoint == "" || v.Getenv("C9_USER") == "" || v.Credentials != CredentialsInstanceRole || v.ContainerEvidence != "" {
		t.Fatalf("view: %+v", v)
	}
	if r := imdsDo(t, http.MethodGet, v.IMDSEndpoint+"/latest/meta-data/instance-id", nil); r.status != 200 {
		t.Fatalf("IMDSv1 GET: %d", r.status)
	}
}

// TestWorldVSCodeEC2: the instance lives in the IDE's own VPC, in a public
// subnet with its own route table, and IMDS wants tokens.
func TestWorldVSCodeEC2(t *testing.T) {
	sb := startSandbox(t, Options{World: WorldVSCodeEC2})
	v := sb.View()
	if v.Getenv("AWS_REGION") != sb.Region() || v.Getenv("VSCODE_PROXY_URI") == "" {
		t.Fatalf("env: %v", v.Env)
	}
	if r := imdsDo(t, http.MethodGet, v.IMDSEndpoint+"/latest/meta-data/instance-id", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("IMDSv1 GET on an IMDSv2-only instance: %d", r.status)
	}
	tok := imdsToken(t, v.IMDSEndpoint, 60)
	vpcID := imdsDo(t, http.MethodGet, v.IMDSEndpoint+"/latest/meta-data/network/interfaces/macs/"+sb.Workspace().MAC+"/vpc-id", map[string]string{imdsTokenHeader: tok}).body
	c := newClients(sb, nil)
	ctx := context.Background()
	vpcs, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	must(t, "DescribeVpcs", err)
	if len(vpcs.Vpcs) != 1 || !strings.Contains(nameOf(vpcs.Vpcs[0].Tags), "VSCodeServer") {
		t.Fatalf("the workspace's VPC %s is not the IDE's: %+v", vpcID, vpcs.Vpcs)
	}
	all, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, "DescribeVpcs", err)
	if len(all.Vpcs) != 2 {
		t.Fatalf("want the IDE's VPC beside the account's other one, got %d", len(all.Vpcs))
	}
	ws := sb.Workspace()
	if ws.VpcID != vpcID {
		t.Fatalf("Workspace() %+v, IMDS says %s", ws, vpcID)
	}
	rts, err := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{flt("association.subnet-id", ws.SubnetID)}})
	must(t, "DescribeRouteTables", err)
	if len(rts.RouteTables) != 1 || aws.ToString(rts.RouteTables[0].RouteTableId) != ws.RouteTableID {
		t.Fatalf("the public subnet's own route table: %+v (Workspace says %s)", rts.RouteTables, ws.RouteTableID)
	}
	// The old Cloud9 interface is gone with its group.
	if g, _ := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{flt("group-name", "aws-cloud9-*")}}); len(g.SecurityGroups) != 0 {
		t.Fatalf("a Cloud9 group is left in the VS Code world")
	}
}

// TestWorldContainerHopLimit: from the container the token PUT is never
// answered (the client times out), while a token-less GET is.
func TestWorldContainerHopLimit(t *testing.T) {
	sb := startSandbox(t, Options{World: WorldContainer})
	v := sb.View()
	if v.ContainerEvidence == "" || len(v.Addrs) != 1 || !strings.HasPrefix(v.Addrs[0], "172.17.") {
		t.Fatalf("view: %+v", v)
	}
	hc := &http.Client{Timeout: 300 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPut, v.IMDSEndpoint+"/latest/api/token", nil)
	req.Header.Set(imdsTokenTTLHeader, "60")
	start := time.Now()
	_, err := hc.Do(req)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) < 250*time.Millisecond {
		t.Fatalf("token PUT from the container: %v after %s; want a timeout", err, time.Since(start))
	}
	if r := imdsDo(t, http.MethodGet, v.IMDSEndpoint+"/latest/meta-data/instance-id", nil); r.status != 200 || r.body != sb.Workspace().InstanceID {
		t.Fatalf("IMDSv1 GET: %d %q", r.status, r.body)
	}
	// The fault alone gives the same on any world, and Close does not wait
	// for a PUT still hanging.
	sb2 := startSandbox(t, Options{Faults: Faults{IMDSHopLimit: true}})
	go func() {
		req, _ := http.NewRequest(http.MethodPut, sb2.IMDSEndpoint()+"/latest/api/token", nil)
		req.Header.Set(imdsTokenTTLHeader, "60")
		_, _ = http.DefaultClient.Do(req)
	}()
	time.Sleep(100 * time.Millisecond)
	start = time.Now()
	_ = sb2.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close waited %s for a hanging token PUT", d)
	}
}

// TestWorldCloudShellVPC: no metadata service; container credentials that
// need the environment's token; an interface tagged ManagedByCloudShell in
// the chosen subnet, found by its private address.
func TestWorldCloudShellVPC(t *testing.T) {
	sb := startSandbox(t, Options{World: WorldCloudShellVPC})
	v := sb.View()
	if v.IMDSEndpoint != "" || v.Getenv("AWS_EXECUTION_ENV") != "CloudShell" || v.Credentials != CredentialsContainer {
		t.Fatalf("view: %+v", v)
	}
	uri, tok := v.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), v.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	if !strings.HasPrefix(uri, "http://127.0.0.1:") || tok == "" {
		t.Fatalf("container credentials: %q %q", uri, tok)
	}
	if r := imdsDo(t, http.MethodGet, uri, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("credentials without the token: %d", r.status)
	}
	if r := imdsDo(t, http.MethodGet, strings.TrimSuffix(uri, ContainerCredentialsPath)+"/latest/meta-data/instance-id", nil); r.status != http.StatusNotFound {
		t.Fatalf("instance metadata in CloudShell: %d", r.status)
	}
	cfg := aws.Config{Credentials: aws.NewCredentialsCache(endpointcreds.New(uri, func(o *endpointcreds.Options) { o.AuthorizationToken = tok }))}
	if arn := callerOf(t, sb, cfg); !strings.Contains(arn, "assumed-role/WSParticipantRole/") {
		t.Fatalf("caller %s", arn)
	}
	if !strings.Contains(strings.Join(v.Links, "\n"), "altname eni-") {
		t.Fatalf("links: %v", v.Links)
	}
	c := newClients(sb, nil)
	out, err := c.ec2.DescribeNetworkInterfaces(context.Background(), &ec2.DescribeNetworkInterfacesInput{
		Filters: []ec2types.Filter{flt("addresses.private-ip-address", v.Addrs[0])}})
	must(t, "DescribeNetworkInterfaces", err)
	if len(out.NetworkInterfaces) != 1 {
		t.Fatalf("interfaces with %s: %d", v.Addrs[0], len(out.NetworkInterfaces))
	}
	n := out.NetworkInterfaces[0]
	tagged := false
	for _, tg := range n.TagSet {
		tagged = tagged || aws.ToString(tg.Key) == "ManagedByCloudShell"
	}
	ws := sb.Workspace()
	if !tagged || n.Attachment != nil || aws.ToString(n.SubnetId) != ws.SubnetID || aws.ToString(n.NetworkInterfaceId) != ws.ENIID ||
		!strings.Contains(strings.Join(v.Links, "\n"), ws.ENIID) {
		t.Fatalf("the CloudShell interface: %+v; workspace %+v", n, ws)
	}
	if ws.SubnetID == sb.instanceSubnet() {
		t.Fatalf("CloudShell's interface should be in a subnet of its own choosing, not the instance's")
	}
}

func (s *Sandbox) instanceSubnet() string {
	var id string
	s.read(func(w *world) { id = w.instanceENI().SubnetID })
	return id
}

// TestWorldsOutside: public CloudShell and a laptop are in no VPC of the
// account: their address is nobody's, and the endpoints never apply.
func TestWorldsOutside(t *testing.T) {
	for _, name := range []string{WorldCloudShell, WorldLaptop} {
		t.Run(name, func(t *testing.T) {
			sb := startSandbox(t, Options{World: name})
			v := sb.View()
			if v.IMDSEndpoint != "" || len(v.Addrs) != 1 || strings.Contains(strings.Join(v.Links, ""), "altname eni-") {
				t.Fatalf("view: %+v", v)
			}
			c := newClients(sb, nil)
			out, err := c.ec2.DescribeNetworkInterfaces(context.Background(), &ec2.DescribeNetworkInterfacesInput{
				Filters: []ec2types.Filter{flt("addresses.private-ip-address", v.Addrs[0])}})
			must(t, "DescribeNetworkInterfaces", err)
			if len(out.NetworkInterfaces) != 0 {
				t.Fatalf("%s's address belongs to an interface of the account", name)
			}
			var routed bool
			sb.read(func(w *world) { routed = w.workspaceENI() != nil })
			if routed {
				t.Fatal("traffic from outside is routed through the VPC")
			}
			if name == WorldLaptop {
				p := v.Profile
				if p == nil {
					t.Fatal("no profile")
				}
				cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigFiles([]string{p.ConfigFile}),
					config.WithSharedCredentialsFiles([]string{p.CredentialsFile}), config.WithSharedConfigProfile(p.Name))
				must(t, "load the profile", err)
				if arn := callerOf(t, sb, cfg); !strings.HasSuffix(arn, ":user/workshop-learner") {
					t.Fatalf("caller %s", arn)
				}
				dir := sb.tempDir
				_ = sb.Close()
				if _, err := os.Stat(dir); dir == "" || !os.IsNotExist(err) {
					t.Fatalf("the profile's temporary directory %q stays after Close (%v)", dir, err)
				}
			}
		})
	}
}

// TestWorldIsSaved: a saved world keeps its kind; asking for another kind
// is refused with the way out.
func TestWorldIsSaved(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, Options{StateDir: dir, World: WorldCloudShell})
	must(t, "close", sb.Close())
	sb = startSandbox(t, Options{StateDir: dir})
	if sb.World().Name != WorldCloudShell || sb.View().Getenv("AWS_EXECUTION_ENV") != "CloudShell" {
		t.Fatalf("reloaded world: %s", sb.World().Name)
	}
	must(t, "close", sb.Close())
	_, err := Start(context.Background(), Options{StateDir: dir, World: WorldLaptop})
	if err == nil || !strings.Contains(err.Error(), "is cloudshell, not laptop") || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("another world on a saved one: %v", err)
	}
	sb = startSandbox(t, Options{StateDir: dir, World: WorldLaptop, Reset: true})
	if sb.World().Name != WorldLaptop {
		t.Fatalf("reset world: %s", sb.World().Name)
	}
}

func nameOf(tags []ec2types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// TestAssumeRoleAndDisabledRegion: AssumeRole hands out keys the sandbox
// then knows; a refused AssumeRole and a disabled region answer as AWS does.
func TestAssumeRoleAndDisabledRegion(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	ctx := context.Background()
	role := "arn:aws:iam::" + sb.Account() + ":role/WorkshopAdmin"
	_, err := c.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("me"), SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/me"), TokenCode: aws.String("12ab")})
	wantCode(t, "AssumeRole with a bad MFA code", err, "AccessDenied")
	out, err := c.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("me"), SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/me"), TokenCode: aws.String("123456")})
	must(t, "AssumeRole", err)
	cr := out.Credentials
	cfg := sdkConfig(sb, Credentials{AccessKeyID: aws.ToString(cr.AccessKeyId), SecretAccessKey: aws.ToString(cr.SecretAccessKey), SessionToken: aws.ToString(cr.SessionToken)}, nil)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, "GetCallerIdentity as the role", err)
	if aws.ToString(id.Arn) != "arn:aws:sts::"+sb.Account()+":assumed-role/WorkshopAdmin/me" {
		t.Fatalf("caller %s", aws.ToString(id.Arn))
	}

	denied := startSandbox(t, Options{Faults: Faults{DenyActions: []string{"sts:AssumeRole"}}})
	_, err = newClients(denied, nil).sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("me")})
	wantCode(t, "a refused AssumeRole", err, "AccessDenied")
	if !strings.Contains(err.Error(), "is not authorized to perform: sts:AssumeRole on resource: "+role) {
		t.Fatalf("refusal: %v", err)
	}

	off := startSandbox(t, Options{Region: "ap-east-1", Faults: Faults{RegionDisabled: true}})
	oc := newClients(off, nil)
	_, err = oc.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, "STS in a disabled region", err, "InvalidClientTokenId")
	_, err = oc.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "EC2 in a disabled region", err, "AuthFailure")
	_, err = oc.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Region = "us-east-1" })
	must(t, "STS in us-east-1", err)
}

// TestPartitionWorlds: GovCloud and China speak their partition's names.
// ARNs start arn:aws-us-gov: / arn:aws-cn: (the caller, repositories);
// China's interface endpoint services are cn.com.amazonaws.REGION.…
// while its S3 gateway keeps com.amazonaws.REGION.s3, the commercial name
// does not exist there; host names end in amazonaws.com.cn (the registry's
// ProxyEndpoint, the services' private DNS names, what DNS answers); the
// metadata service names the partition. [research K]
func TestPartitionWorlds(t *testing.T) {
	cases := []struct {
		world, region, partition, suffix, svcPrefix string
	}{
		{WorldAWSUSGov, "us-gov-west-1", "aws-us-gov", "amazonaws.com", "com.amazonaws."},
		{WorldAWSCN, "cn-north-1", "aws-cn", "amazonaws.com.cn", "cn.com.amazonaws."},
	}
	for _, c := range cases {
		t.Run(c.world, func(t *testing.T) {
			sb := startSandbox(t, Options{World: c.world})
			if sb.Region() != c.region {
				t.Fatalf("region %s, want %s", sb.Region(), c.region)
			}
			cl := newClients(sb, nil)
			ctx := context.Background()
			id, err := cl.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			must(t, "GetCallerIdentity", err)
			if !strings.HasPrefix(aws.ToString(id.Arn), "arn:"+c.partition+":sts::") {
				t.Errorf("caller %s", aws.ToString(id.Arn))
			}
			svcs, err := cl.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{})
			must(t, "DescribeVpcEndpointServices", err)
			got := map[string]ec2types.ServiceDetail{}
			for _, d := range svcs.ServiceDetails {
				got[aws.ToString(d.ServiceName)+"/"+string(d.ServiceType[0].ServiceType)] = d
			}
			dkr, ok := got[c.svcPrefix+c.region+".ecr.dkr/Interface"]
			if !ok || aws.ToString(dkr.PrivateDnsName) != "*.dkr.ecr."+c.region+"."+c.suffix ||
				dkr.BaseEndpointDnsNames[0] != "dkr.ecr."+c.region+".vpce."+c.suffix {
				t.Errorf("ecr.dkr: %+v (services %v)", dkr, svcs.ServiceNames)
			}
			if api := got[c.svcPrefix+c.region+".ecr.api/Interface"]; aws.ToString(api.PrivateDnsName) != "api.ecr."+c.region+"."+c.suffix {
				t.Errorf("ecr.api: %+v", api)
			}
			if _, ok := got["com.amazonaws."+c.region+".s3/Gateway"]; !ok {
				t.Errorf("no S3 gateway com.amazonaws.%s.s3: %v", c.region, svcs.ServiceNames)
			}
			if c.partition == "aws-cn" {
				_, err := cl.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws." + c.region + ".ecr.dkr"}})
				wantCode(t, "the commercial name in China", err, "InvalidServiceName")
			}
			tok, err := cl.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
			must(t, "GetAuthorizationToken", err)
			registry := sb.Account() + ".dkr.ecr." + c.region + "." + c.suffix
			if pe := aws.ToString(tok.AuthorizationData[0].ProxyEndpoint); pe != "https://"+registry {
				t.Errorf("ProxyEndpoint %s", pe)
			}
			repos, err := cl.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
			must(t, "DescribeRepositories", err)
			if r := repos.Repositories[0]; !strings.HasPrefix(aws.ToString(r.RepositoryArn), "arn:"+c.partition+":ecr:"+c.region+":") ||
				!strings.HasPrefix(aws.ToString(r.RepositoryUri), registry+"/") {
				t.Errorf("repository %s %s", aws.ToString(r.RepositoryArn), aws.ToString(r.RepositoryUri))
			}
			for _, name := range []string{registry, "api.ecr." + c.region + "." + c.suffix} {
				if a := aRecords(query(t, sb, "udp", name+".", dns.TypeA)); len(a) == 0 {
					t.Errorf("%s does not resolve", name)
				}
			}
			v := sb.View()
			if r := imdsDo(t, http.MethodGet, v.IMDSEndpoint+"/latest/meta-data/services/partition", map[string]string{imdsTokenHeader: imdsToken(t, v.IMDSEndpoint, 60)}); r.body != c.partition {
				t.Errorf("IMDS services/partition %q", r.body)
			}
		})
	}
}
