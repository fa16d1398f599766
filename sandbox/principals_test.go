package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	ec2 "ecr-vpce-lab/internal/ec2query"
)

// otherClients sign with the partner account's keys; publicClients reach
// the sandbox from outside the VPC.
func otherClients(sb *Sandbox) clients {
	return newClientsAt(sb, sb.OtherCredentials(), sb.Endpoint())
}

func publicClients(sb *Sandbox) clients {
	return newClientsAt(sb, sb.Credentials(), sb.PublicEndpoint())
}

func newClientsAt(sb *Sandbox, creds Credentials, endpoint string) clients {
	cfg := sdkConfig(sb, creds, nil)
	cfg.BaseEndpoint = aws.String(endpoint)
	return clients{ec2: ec2.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
}

func setRepoPolicy(t *testing.T, c clients, repo, doc string) {
	t.Helper()
	_, err := c.ecr.SetRepositoryPolicy(context.Background(), &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(repo), PolicyText: aws.String(doc)})
	must(t, "SetRepositoryPolicy", err)
}

// TestContextKeysThroughAnEndpoint: each key IAM's global condition keys
// page says a request through a VPC endpoint carries, with the value AWS
// would give it (research B.1), checked by an endpoint policy that denies
// every request whose key differs. A request whose key is right is
// allowed; the same policy with another value refuses it.
func TestContextKeysThroughAnEndpoint(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	_, err := c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/nginx"),
		Tags: []ecrtypes.Tag{{Key: aws.String("team"), Value: aws.String("b")}}})
	must(t, "CreateRepository", err)
	api := createEndpoint(t, c, sb, "ecr.api", "")
	keys := []struct {
		op, key, right, wrong string
	}{
		{"StringNotEquals", "aws:PrincipalAccount", sb.Account(), "111122223333"},
		{"ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::" + sb.Account() + ":role/ecr-vpce-lab-workspace", "arn:aws:iam::" + sb.Account() + ":role/other"},
		{"StringNotEquals", "aws:PrincipalOrgID", LabOrgID, "o-otherorg01"},
		{"StringNotEquals", "aws:SourceVpc", ws.VpcID, "vpc-0000000000000000"},
		{"StringNotEquals", "aws:SourceVpce", api, "vpce-00000000000000000"},
		{"NotIpAddress", "aws:VpcSourceIp", "10.0.0.0/16", "192.168.0.0/16"},
		{"Bool", "aws:SecureTransport", "false", "true"}, // Deny when it is not HTTPS
		{"StringNotEquals", "aws:RequestedRegion", sb.Region(), "eu-west-1"},
		{"StringNotEquals", "ecr:ResourceTag/team", "b", "a"},
		{"StringNotEquals", "aws:ResourceTag/team", "b", "a"},
	}
	policyFor := func(op, key, value string) string {
		return fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},`+
			`{"Sid":"Check","Effect":"Deny","Principal":"*","Action":"ecr:ListImages","Resource":"*","Condition":{%q:{%q:%q}}}]}`, op, key, value)
	}
	list := func() error {
		_, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("team-b/nginx")})
		return err
	}
	for _, k := range keys {
		_, err := c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(api), PolicyDocument: aws.String(policyFor(k.op, k.key, k.right))})
		must(t, "ModifyVpcEndpoint", err)
		if err := list(); err != nil {
			t.Errorf("%s: the request carries %s %q, yet was refused: %v", k.key, k.key, k.right, err)
		}
		_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(api), PolicyDocument: aws.String(policyFor(k.op, k.key, k.wrong))})
		must(t, "ModifyVpcEndpoint", err)
		err = list()
		wantCode(t, k.key+" "+k.wrong, err, "AccessDeniedException")
		if err != nil && !strings.Contains(err.Error(), "with an explicit deny in a VPC endpoint policy") {
			t.Errorf("%s: %v", k.key, err)
		}
	}
	// aws:VpcSourceIp is the workspace's own private address.
	if _, err := netip.ParseAddr(ws.PrivateIP); err != nil {
		t.Fatal(err)
	}
}

// TestContextKeysOnThePublicPath: from outside the VPC no endpoint is on
// the way, so a request carries aws:SourceIp and neither aws:SourceVpce,
// aws:SourceVpc nor aws:VpcSourceIp ("only if the requester uses a VPC
// endpoint"); a repository policy that denies requests not from the lab's
// ecr.dkr endpoint refuses it, and lets the workspace's pull through that
// endpoint (challenge 8's proof).
func TestContextKeysOnThePublicPath(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	pub := publicClients(sb)
	ctx := context.Background()
	dkr := createEndpoint(t, c, sb, "ecr.dkr", "")
	// The registry's actions only: the API (and this policy's own removal)
	// stays reachable.
	setRepoPolicy(t, c, RepoA, `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyThroughOurEndpoint","Effect":"Deny","Principal":"*",`+
		`"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability","ecr:PutImage","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload"],`+
		`"Condition":{"StringNotEquals":{"aws:SourceVpce":"`+dkr+`"}}}]}`)

	inside, err := registryLogin(t, c)
	must(t, "login inside", err)
	if _, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(inside, nil)...); err != nil {
		t.Fatalf("a pull through the lab's ecr.dkr endpoint is refused: %v", err)
	}
	outside, err := registryLogin(t, pub)
	must(t, "login outside", err)
	ref, err := name.NewTag(sb.PublicRegistryAddr() + "/" + RepoA + ":v1")
	must(t, "ref", err)
	_, err = remote.Image(ref, regOpts(outside, nil)...)
	wantRegistryError(t, "pull from outside the VPC", err, 403, "DENIED",
		denial(sb, "ecr:BatchGetImage", sb.repoARN(RepoA), "with an explicit deny in a resource-based policy"))
	// The same pull from the workspace before its DNS goes private: the
	// public path too (no endpoint carries it).
	_, err = c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{dkr}})
	must(t, "DeleteVpcEndpoints", err)
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(inside, nil)...)
	wantRegistryError(t, "pull from the workspace without an endpoint", err, 403, "DENIED", "")
	// The API is not the registry: listing still works, from anywhere.
	if _, err := pub.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)}); err != nil {
		t.Errorf("ListImages from outside: %v", err)
	}
	// aws:SourceIp is there on the public path, and never through an
	// endpoint (checked with a repository policy on ListImages).
	setRepoPolicy(t, c, RepoA, `{"Statement":[{"Sid":"NotFromThere","Effect":"Deny","Principal":"*","Action":"ecr:ListImages","Condition":{"IpAddress":{"aws:SourceIp":"`+outsidePublicIP+`/32"}}}]}`)
	_, err = pub.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "ListImages from "+outsidePublicIP, err, "AccessDeniedException")
	if _, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)}); err != nil {
		t.Errorf("ListImages from the workspace's public address: %v", err)
	}
}

// TestOtherAccountsPrincipal: the partner account's CI role is who its keys
// say; in the lab's registry it needs the repository policy's allow (ECR:
// across accounts both sides must allow), and an endpoint policy limited to
// the lab's account refuses it (challenge 2).
func TestOtherAccountsPrincipal(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	o := otherClients(sb)
	ctx := context.Background()
	id, err := o.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, "GetCallerIdentity", err)
	if aws.ToString(id.Account) != OtherAccount || aws.ToString(id.Arn) != sb.OtherPrincipalARN() {
		t.Fatalf("the partner's keys are %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	// Its own registry is empty; the lab's repository needs registryId.
	_, err = o.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "ListImages in its own registry", err, "RepositoryNotFoundException")
	if err != nil && !strings.Contains(err.Error(), "registry with id '"+OtherAccount+"'") {
		t.Errorf("not about its own registry: %v", err)
	}
	_, err = o.ecr.ListImages(ctx, &ecr.ListImagesInput{RegistryId: aws.String(sb.Account()), RepositoryName: aws.String(RepoA)})
	wantCode(t, "ListImages without a repository policy", err, "AccessDeniedException")
	if err != nil && !strings.Contains(err.Error(), "User: "+sb.OtherPrincipalARN()+" is not authorized to perform: ecr:ListImages on resource: "+sb.repoARN(RepoA)+" because no resource-based policy allows the ecr:ListImages action") {
		t.Errorf("refusal: %v", err)
	}
	tok, err := o.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{RegistryIds: []string{sb.Account()}})
	must(t, "GetAuthorizationToken", err)
	pw := tokenPassword(t, aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	wantRegistryError(t, "pull without a repository policy", err, 403, "DENIED",
		"User: "+sb.OtherPrincipalARN()+" is not authorized to perform: ecr:BatchGetImage on resource: "+sb.repoARN(RepoA)+" because no resource-based policy allows the ecr:BatchGetImage action")

	setRepoPolicy(t, c, RepoA, `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerPulls","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+OtherAccount+`:role/`+OtherRoleName+`"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:ListImages"]}]}`)
	if _, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...); err != nil {
		t.Fatalf("pull let in by the repository policy: %v", err)
	}
	img, err := random.Image(512, 1)
	must(t, "image", err)
	err = remote.Write(tagRef(t, sb, RepoA, "partner"), img, regOpts(pw, nil)...)
	// Refused at its first request, the layer check: a HEAD, whose 403
	// has no body (research A.2).
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != 403 {
		t.Fatalf("a push the repository policy does not allow: %v", err)
	}

	// Challenge 2: the endpoints serve the lab's account only.
	only := `{"Statement":[{"Sid":"OurAccountOnly","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"` + sb.Account() + `"}}}]}`
	createEndpoint(t, c, sb, "ecr.dkr", only)
	_, err = remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(pw, nil)...)
	wantRegistryError(t, "the partner through an endpoint for our account only", err, 403, "DENIED",
		"User: "+sb.OtherPrincipalARN()+" is not authorized to perform: ecr:BatchGetImage on resource: "+sb.repoARN(RepoA)+" because no VPC endpoint policy allows the ecr:BatchGetImage action")
	inside, err := registryLogin(t, c)
	must(t, "login", err)
	if _, err := remote.Image(tagRef(t, sb, RepoA, "v1"), regOpts(inside, nil)...); err != nil {
		t.Errorf("the lab's own pull through that endpoint: %v", err)
	}
}

func tokenPassword(t *testing.T, tok string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(tok)
	must(t, "token", err)
	_, pw, _ := strings.Cut(string(raw), ":")
	return pw
}

// TestRepositoryPolicyRules: what ECR accepts as a repository policy, each
// refusal in its words, and the force that a policy locking the caller out
// needs.
func TestRepositoryPolicyRules(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	ctx := context.Background()
	set := func(doc string, force bool) error {
		_, err := c.ecr.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(RepoA), PolicyText: aws.String(doc), Force: force})
		return err
	}
	for _, tc := range []struct {
		name, doc, msg string
	}{
		{"a Resource element [OBS aws-cdk#24314]", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}`, "'Invalid repository policy provided'"},
		{"no Principal", `{"Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`, "'Invalid repository policy provided'"},
		{"not JSON", `{"Statement":`, "'Invalid repository policy provided'"},
		{"a role that does not exist [OBS terraform-provider-aws#39064]", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + sb.Account() + `:role/nobody"},"Action":"ecr:*"}]}`, "'Principal not found'"},
		{"longer than 10,240 characters [MODEL]", `{"Statement":[{"Sid":"` + strings.Repeat("x", 10240) + `","Effect":"Allow","Principal":"*","Action":"ecr:*"}]}`, "length less than or equal to 10240"},
	} {
		err := set(tc.doc, false)
		wantCode(t, tc.name, err, "InvalidParameterException")
		if err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// Accounts, roots and known roles are principals ECR finds.
	must(t, "set", set(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["`+OtherAccount+`","arn:aws:iam::`+OtherAccount+`:root","arn:aws:iam::`+sb.Account()+`:role/ecr-vpce-lab-workspace"]},"Action":"ecr:BatchGetImage"}]}`, false))

	lockout := `{"Statement":[{"Sid":"NoMoreChanges","Effect":"Deny","Principal":"*","Action":"ecr:*"}]}`
	err := set(lockout, false)
	wantCode(t, "a policy that locks the caller out", err, "InvalidParameterException")
	must(t, "forced", set(lockout, true))
	_, err = c.ecr.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String(RepoA)})
	wantCode(t, "locked out", err, "AccessDeniedException")
	if err != nil && !strings.Contains(err.Error(), "with an explicit deny in a resource-based policy") {
		t.Errorf("lockout refusal: %v", err)
	}
	// The saved world keeps the policy.
	var text string
	sb.read(func(w *world) { text = w.Images.repo(RepoA).Policy })
	if text != lockout || sb.RepositoryPolicy(RepoA) != lockout {
		t.Errorf("saved policy %q", text)
	}
	var doc map[string]any
	must(t, "json", json.Unmarshal([]byte(text), &doc))
}
