package awsops_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/testtool"
)

// startMoto runs moto_server, an independent AWS emulator, on a free
// 127.0.0.1 port for the test.
func startMoto(t *testing.T) string {
	t.Helper()
	bin := testtool.Require(t, "moto_server", "pip install 'moto[server]'")
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("moto_server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAgainstMoto runs the engine's AWS calls against moto, so they are not
// only checked against our own sandbox. Gaps of moto are noted inline.
func TestAgainstMoto(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	url := startMoto(t)
	cfg := awsops.StaticConfig("us-west-2", "testing", "testing")
	cfg.Retryer = fastRetries
	cloud, err := awsops.New(awsops.Options{Config: cfg, BaseEndpoint: url, LoopbackOnly: true, IMDSDisabled: true,
		PollMin: 5 * time.Millisecond, PollMax: 50 * time.Millisecond, DependencyWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := cloud.WhoAmI(ctx)
	if err != nil || len(id.Account) != 12 {
		t.Fatalf("WhoAmI: %+v %v", id, err)
	}
	vpcs, err := cloud.ListVPCs(ctx)
	if err != nil || len(vpcs) == 0 {
		t.Fatalf("ListVPCs: %v %v", vpcs, err)
	}
	vpc := vpcs[0].ID
	subnets, err := cloud.ListSubnets(ctx, vpc)
	if err != nil || len(subnets) == 0 {
		t.Fatalf("ListSubnets: %v %v", subnets, err)
	}
	groups, err := cloud.ListSecurityGroups(ctx, vpc)
	if err != nil || len(groups) == 0 {
		t.Fatalf("ListSecurityGroups: %v %v", groups, err)
	}
	ws, err := cloud.Complete(ctx, awsops.Workspace{SubnetID: subnets[0].ID, SecurityGroupID: groups[0].ID})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	// moto's default subnets are only implicitly associated, like the sandbox's.
	if ws.VpcID != vpc || ws.RouteTableID == "" || !ws.RouteTableMain || ws.VpcCIDR == "" {
		t.Fatalf("workspace %+v", ws)
	}
	sup, host, err := cloud.VPCDNS(ctx, vpc)
	if err != nil || !sup {
		t.Fatalf("VPCDNS: %t %t %v", sup, host, err)
	}
	tags := awsops.Tags{"ecr-vpce-lab:run": "moto", "Name": "ECR_VPCE_SG"}
	g, _, err := cloud.CreateSecurityGroup(ctx, vpc, "ECR_VPCE_SG", "Security group for ECR VPC Endpoints", tags)
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	if _, _, err := cloud.CreateSecurityGroup(ctx, vpc, "ECR_VPCE_SG", "again", nil); awsops.KindOf(err) != awsops.KindConflict {
		t.Fatalf("duplicate group: %v", err)
	}
	found, err := cloud.FindSecurityGroup(ctx, vpc, "ECR_VPCE_SG")
	if err != nil || found == nil || found.ID != g.ID {
		t.Fatalf("FindSecurityGroup: %+v %v", found, err)
	}
	r1, _, err := cloud.AuthorizeIngress(ctx, g.ID, ws.SecurityGroupID, nil)
	if err != nil {
		t.Fatalf("AuthorizeIngress: %v", err)
	}
	r2, _, err := cloud.AuthorizeIngress(ctx, g.ID, ws.SecurityGroupID, nil)
	if err != nil || !r2.Existed || r2.ID != r1.ID {
		t.Fatalf("AuthorizeIngress again: %+v (first %+v) %v", r2, r1, err)
	}
	var ids []string
	for _, s := range []awsops.EndpointSpec{
		{VpcID: vpc, Service: cloud.ServiceName("ecr.dkr"), Type: awsops.Interface, SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{g.ID}, PrivateDNS: true, ClientToken: "moto-dkr", Tags: tags,
			Policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
		{VpcID: vpc, Service: cloud.ServiceName("ecr.api"), Type: awsops.Interface, SubnetIDs: []string{ws.SubnetID}, SecurityGroupIDs: []string{g.ID}, PrivateDNS: true, ClientToken: "moto-api", Tags: tags},
		{VpcID: vpc, Service: cloud.ServiceName("s3"), Type: awsops.Gateway, RouteTableIDs: []string{ws.RouteTableID}, ClientToken: "moto-s3", Tags: tags},
	} {
		e, _, err := cloud.CreateEndpoint(ctx, s)
		if err != nil {
			t.Fatalf("CreateEndpoint %s: %v", s.Service, err)
		}
		ids = append(ids, e.ID)
	}
	eps, err := cloud.WaitEndpoints(ctx, ids, nil)
	if err != nil || len(eps) != 3 {
		t.Fatalf("WaitEndpoints: %+v %v", eps, err)
	}
	tagged, err := cloud.TaggedEndpoints(ctx, "ecr-vpce-lab:run", "moto")
	if err != nil || len(tagged) != 3 {
		t.Fatalf("TaggedEndpoints: %d %v", len(tagged), err)
	}
	if _, err := cloud.ModifyEndpointPolicy(ctx, ids[0], `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`); err != nil {
		t.Fatalf("ModifyEndpointPolicy: %v", err)
	}
	if _, err := cloud.CreateRepository(ctx, "team-a/alpine"); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	repo, err := cloud.DescribeRepository(ctx, "team-a/alpine", "v1")
	if err != nil || !repo.Exists || repo.HasTag {
		t.Fatalf("DescribeRepository: %+v %v", repo, err)
	}
	list, _, err := cloud.ListImages(ctx, "team-a/alpine")
	if err != nil || !list.Allowed || len(list.Images) != 0 {
		t.Fatalf("ListImages: %+v %v", list, err)
	}
	failed, _, err := cloud.DeleteEndpoints(ctx, ids)
	if err != nil || len(failed) != 0 {
		t.Fatalf("DeleteEndpoints: %v %v", failed, err)
	}
	if err := cloud.WaitEndpointsGone(ctx, ids, nil); err != nil {
		t.Fatalf("WaitEndpointsGone: %v", err)
	}
	if _, err := cloud.RevokeIngress(ctx, g.ID, r1.ID); err != nil {
		t.Fatalf("RevokeIngress: %v", err)
	}
	if _, err := cloud.DeleteSecurityGroup(ctx, g.ID, nil); err != nil {
		t.Fatalf("DeleteSecurityGroup: %v", err)
	}
	if ok, err := cloud.SecurityGroupExists(ctx, g.ID); err != nil || ok {
		t.Fatalf("group still there: %t %v", ok, err)
	}
}
