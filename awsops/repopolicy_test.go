package awsops_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/sandbox"
)

// elsewhere builds the Clouds of the sandbox's other vantage points: a
// machine outside the VPC, and the partner account's CI role.
func elsewhere(t *testing.T, sb *sandbox.Sandbox) (public, other *awsops.Cloud) {
	t.Helper()
	po, oo, ok := sandboxlab.ElsewhereOf(sb.Env())
	if !ok {
		t.Fatal("the sandbox exports no public path or partner role")
	}
	var err error
	if public, err = awsops.New(po); err != nil {
		t.Fatal(err)
	}
	if other, err = awsops.New(oo); err != nil {
		t.Fatal(err)
	}
	return public, other
}

// TestRepositoryPolicies: awsops sets, reads and deletes a repository
// policy; ECR's refusal of a bad one is an Invalid problem with a fix; a
// missing one is no error.
func TestRepositoryPolicies(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	c, _ := cloudFor(t, sb, nil)
	ctx := context.Background()
	if _, ok, err := c.GetRepositoryPolicy(ctx, sandbox.RepoA); err != nil || ok {
		t.Fatalf("a repository without a policy: %v %v", ok, err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"` + sandbox.OtherAccount + `"},"Action":"ecr:BatchGetImage"}]}`
	cmd, err := c.SetRepositoryPolicy(ctx, sandbox.RepoA, doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cmd.String(), "aws ecr set-repository-policy --repository-name team-a/alpine") {
		t.Errorf("command %s", cmd)
	}
	if got, ok, err := c.GetRepositoryPolicy(ctx, sandbox.RepoA); err != nil || !ok || got != doc {
		t.Fatalf("GetRepositoryPolicy = %q %v %v", got, ok, err)
	}
	_, err = c.SetRepositoryPolicy(ctx, sandbox.RepoA, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}`)
	if problem.KindOf(err) != problem.Invalid || !strings.Contains(err.Error(), "Invalid repository policy provided") || problem.FixOf(err) == "" {
		t.Errorf("a policy ECR refuses: %v (kind %s, fix %q)", err, problem.KindOf(err), problem.FixOf(err))
	}
	for range 2 { // the second finds none, and that is fine
		if _, err := c.DeleteRepositoryPolicy(ctx, sandbox.RepoA); err != nil {
			t.Fatal(err)
		}
	}
	if sb.RepositoryPolicy(sandbox.RepoA) != "" {
		t.Error("the policy is still there")
	}
}

// TestOutcomesFromEverywhere: each single request a challenge makes comes
// back as an outcome, from the workspace, from outside the VPC and as the
// partner account, refused with AWS's words where a policy says no.
func TestOutcomesFromEverywhere(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	c, _ := cloudFor(t, sb, nil)
	public, other := elsewhere(t, sb)
	ctx := context.Background()

	// The partner account: its own role allows ECR, the lab's repository
	// does not let it in yet.
	id, err := other.WhoAmI(ctx)
	if err != nil || id.Account != sandbox.OtherAccount {
		t.Fatalf("the partner's identity: %+v %v", id, err)
	}
	o, _, err := other.Login(ctx)
	if err != nil || !o.Allowed {
		t.Fatalf("the partner's login: %+v %v", o, err)
	}
	o, _, err = other.ListImagesOf(ctx, sandbox.RepoA)
	if err != nil || o.Allowed || !strings.Contains(o.Message, "because no resource-based policy allows the ecr:ListImages action") {
		t.Fatalf("the partner's list without a repository policy: %+v %v", o, err)
	}
	pr, _, err := other.Pull(ctx, sandbox.RepoA, "v1")
	if err != nil || pr.Allowed || pr.Action != "ecr:BatchGetImage" {
		t.Fatalf("the partner's pull: %+v %v", pr, err)
	}
	if _, err := c.SetRepositoryPolicy(ctx, sandbox.RepoA, `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerReads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+
		sandbox.OtherAccount+`:role/`+sandbox.OtherRoleName+`"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:ListImages","ecr:DescribeImages"]}]}`); err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func() (awsops.Outcome, error){
		"list":     func() (awsops.Outcome, error) { o, _, err := other.ListImagesOf(ctx, sandbox.RepoA); return o, err },
		"describe": func() (awsops.Outcome, error) { o, _, err := other.DescribeImages(ctx, sandbox.RepoA); return o, err },
		"pull": func() (awsops.Outcome, error) {
			r, _, err := other.Pull(ctx, sandbox.RepoA, "v1")
			return r.Outcome, err
		},
	} {
		if o, err := run(); err != nil || !o.Allowed {
			t.Errorf("the partner's %s, let in: %+v %v", name, o, err)
		}
	}
	pushed, _, err := other.PushRandom(ctx, sandbox.RepoA, "partner")
	if err != nil || pushed.Allowed {
		t.Errorf("the partner's push, not let in: %+v %v", pushed, err)
	}

	// A deny-deletes endpoint policy on ecr.api: the workspace is refused,
	// the public path is not (no endpoint on its way).
	if _, _, err := c.PushRandom(ctx, sandbox.RepoA, "scratch"); err != nil {
		t.Fatal(err)
	}
	createAPIEndpoint(t, c, sb, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},`+
		`{"Sid":"NothingDeleted","Effect":"Deny","Principal":"*","Action":["ecr:BatchDeleteImage","ecr:DeleteRepository"],"Resource":"*"}]}`)
	o, _, err = c.DeleteImage(ctx, sandbox.RepoA, "scratch")
	if err != nil || o.Allowed || o.Action != "ecr:BatchDeleteImage" || !strings.Contains(o.Message, "with an explicit deny in a VPC endpoint policy") {
		t.Fatalf("delete through the endpoint: %+v %v", o, err)
	}
	o, _, err = c.DeleteRepository(ctx, sandbox.RepoA)
	if err != nil || o.Allowed || o.Action != "ecr:DeleteRepository" {
		t.Fatalf("delete-repository through the endpoint: %+v %v", o, err)
	}
	o, _, err = c.DescribeImages(ctx, sandbox.RepoA)
	if err != nil || !o.Allowed {
		t.Fatalf("describe through the endpoint: %+v %v", o, err)
	}
	o, _, err = public.DeleteImage(ctx, sandbox.RepoA, "scratch")
	if err != nil || !o.Allowed {
		t.Fatalf("delete from outside the VPC: %+v %v", o, err)
	}
}

// createAPIEndpoint makes the ecr.api interface endpoint with private DNS
// and a policy, as the lab does.
func createAPIEndpoint(t *testing.T, c *awsops.Cloud, sb *sandbox.Sandbox, doc string) {
	t.Helper()
	ws := sb.Workspace()
	// The lab's group and its HTTPS rule: without them the endpoint's
	// interfaces drop the workspace's connections.
	sg, _, err := c.CreateSecurityGroup(context.Background(), ws.VpcID, "ECR_VPCE_SG", "ECR VPC endpoints", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.AuthorizeIngress(context.Background(), sg.ID, ws.SecurityGroupID, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateEndpoint(context.Background(), awsops.EndpointSpec{VpcID: ws.VpcID, Service: c.ServiceName("ecr.api"), Type: awsops.Interface,
		SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{sg.ID}, PrivateDNS: true, Policy: doc}); err != nil {
		t.Fatal(err)
	}
}
