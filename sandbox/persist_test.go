package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// TestPersistenceAcrossRestart: the world is saved after every change, read
// back by the next process, and its clocks carry on: an endpoint pending when
// the process stopped is available after a restart once its time has come.
func TestPersistenceAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "world")
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	opts := Options{StateDir: dir, Clock: clock, Timing: Realistic}

	sb, err := Start(ctx, opts)
	must(t, "Start", err)
	ws := sb.Workspace()
	creds := sb.Credentials()
	c := newClients(sb, nil)
	sg, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("d"), VpcId: aws.String(ws.VpcID)})
	must(t, "CreateSecurityGroup", err)
	clock.Advance(Realistic.ReadLag) // until reads know the group
	ep, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		ServiceName: aws.String("com.amazonaws.us-west-2.ecr.api"), SubnetIds: []string{ws.SubnetID}, SecurityGroupIds: []string{aws.ToString(sg.GroupId)}})
	must(t, "CreateVpcEndpoint", err)
	_, err = c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/app")})
	must(t, "CreateRepository", err)

	fi, err := os.Stat(filepath.Join(dir, stateFile))
	must(t, "stat state", err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// One world, one server.
	_, err = Start(ctx, Options{StateDir: dir})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "already served by process") {
		t.Errorf("second Start on the same dir: %v", err)
	}
	must(t, "Close", sb.Close())

	clock.Advance(21 * time.Second)
	sb2, err := Start(ctx, opts)
	must(t, "Start again", err)
	t.Cleanup(func() { _ = sb2.Close() })
	if sb2.Credentials() != creds || sb2.Workspace().VpcID != ws.VpcID {
		t.Errorf("restart changed the world's identity")
	}
	c2 := newClients(sb2, nil)
	eps, err := c2.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(ep.VpcEndpoint.VpcEndpointId)}})
	must(t, "DescribeVpcEndpoints after restart", err)
	if eps.VpcEndpoints[0].State != "available" {
		t.Errorf("after restart and 21s: %s", eps.VpcEndpoints[0].State)
	}
	sgs, err := c2.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{flt("group-name", "ECR_VPCE_SG")}})
	must(t, "DescribeSecurityGroups after restart", err)
	if len(sgs.SecurityGroups) != 1 {
		t.Errorf("security group lost across restart")
	}
	repos, err := c2.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"team-b/app"}})
	must(t, "DescribeRepositories after restart", err)
	if len(repos.Repositories) != 1 {
		t.Error("repository lost across restart")
	}
	list, err := c2.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	must(t, "ListImages after restart", err)
	img, err := sb2.Images().Manifest(RepoA, "v1")
	must(t, "Manifest", err)
	for _, b := range []string{v1LayerDigest(t, string(img.Manifest))} {
		if _, ok := sb2.Images().Blob(b); !ok {
			t.Errorf("blob %s lost across restart", b)
		}
	}
	if len(list.ImageIds) != 1 {
		t.Errorf("images after restart: %+v", list.ImageIds)
	}
	must(t, "Close 2", sb2.Close())

	// Another account is another world.
	if _, err := Start(ctx, Options{StateDir: dir, Account: "210987654321"}); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Errorf("other account on the same dir: %v", err)
	}
	// Reset starts afresh.
	sb3, err := Start(ctx, Options{StateDir: dir, Reset: true})
	must(t, "Start reset", err)
	defer sb3.Close()
	if sb3.Credentials() == creds {
		t.Error("reset kept the credentials")
	}
	sgs, err = newClients(sb3, nil).ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{flt("group-name", "ECR_VPCE_SG")}})
	must(t, "DescribeSecurityGroups after reset", err)
	if len(sgs.SecurityGroups) != 0 {
		t.Error("reset kept the security group")
	}
}

func TestDamagedState(t *testing.T) {
	dir := t.TempDir()
	must(t, "write", os.WriteFile(filepath.Join(dir, stateFile), []byte("{not json"), 0o600))
	_, err := Start(context.Background(), Options{StateDir: dir})
	if err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("damaged state: %v", err)
	}
	// The lock was released: a reset works.
	sb, err := Start(context.Background(), Options{StateDir: dir, Reset: true})
	must(t, "reset after damage", err)
	must(t, "Close", sb.Close())
}

// TestSavedWorldKeepsItsAccountAndRegion: a start that names no account or
// region serves the saved world's (the lab's commands name neither); one
// that names others is refused with what the world is.
func TestSavedWorldKeepsItsAccountAndRegion(t *testing.T) {
	dir := t.TempDir()
	must(t, "Close", startSandbox(t, Options{StateDir: dir, Account: "210987654321", Region: "eu-central-1"}).Close())
	sb := startSandbox(t, Options{StateDir: dir})
	if sb.Account() != "210987654321" || sb.Region() != "eu-central-1" {
		t.Errorf("reopened as %s in %s, want the saved 210987654321 in eu-central-1", sb.Account(), sb.Region())
	}
	must(t, "Close", sb.Close())
	_, err := Start(context.Background(), Options{StateDir: dir, Region: "us-west-2"})
	var wm *WorldMismatchError
	if !errors.As(err, &wm) || wm.Region != "eu-central-1" || wm.AskedRegion != "us-west-2" || wm.Account != "210987654321" {
		t.Fatalf("another region: %v (%+v)", err, wm)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Account: "12345"},
		{Region: "nowhere"},
		{Timing: Timing{EndpointAvailable: -time.Second}},
	} {
		if _, err := Start(context.Background(), o); err == nil {
			t.Errorf("Start(%+v) accepted", o)
		}
	}
	if _, err := TimingByName("slow"); err == nil {
		t.Error("TimingByName(slow) accepted")
	}
	if tm, err := TimingByName("instant"); err != nil || tm != Instant {
		t.Errorf("instant = %+v %v", tm, err)
	}
}

func TestHoldsWorld(t *testing.T) {
	dir := t.TempDir()
	if HoldsWorld(dir) {
		t.Error("an empty directory holds a world")
	}
	sb := startSandbox(t, Options{StateDir: dir})
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if !HoldsWorld(dir) {
		t.Error("the directory of a saved world does not hold one")
	}
	if HoldsWorld(filepath.Dir(dir)) {
		t.Error("its parent holds a world")
	}
}

// TestConcurrentClients: many clients at once against a persisted world, for
// the race detector; every create is visible afterwards and the saved world
// agrees.
func TestConcurrentClients(t *testing.T) {
	// Its time is the state directory's fsyncs: beside the others.
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, Options{StateDir: dir})
	ws := sb.Workspace()
	c := newClients(sb, nil)
	const workers, each = 8, 10
	errs := make(chan error, workers*each*3)
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < each; i++ {
				_, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("g-%d-%d", w, i)), Description: aws.String("d"), VpcId: aws.String(ws.VpcID)})
				errs <- err
				_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
				errs <- err
				_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
				errs <- err
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sgs, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	must(t, "DescribeSecurityGroups", err)
	if len(sgs.SecurityGroups) != 2+workers*each {
		t.Errorf("%d groups, want %d", len(sgs.SecurityGroups), 2+workers*each)
	}
	w, err := loadWorld(dir, DefaultMaxWorldBytes)
	must(t, "loadWorld", err)
	if len(w.Groups) != 2+workers*each {
		t.Errorf("saved world has %d groups", len(w.Groups))
	}
}

// TestOtherAccountAndRegion: account and region flow through every answer.
func TestOtherAccountAndRegion(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, Options{Account: "210987654321", Region: "eu-central-1"})
	c := newClients(sb, nil)
	ws := sb.Workspace()
	if !strings.HasPrefix(ws.CallerARN, "arn:aws:sts::210987654321:assumed-role/") {
		t.Errorf("caller %s", ws.CallerARN)
	}
	subs, err := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	must(t, "DescribeSubnets", err)
	if aws.ToString(subs.Subnets[0].AvailabilityZone) != "eu-central-1a" || aws.ToString(subs.Subnets[0].AvailabilityZoneId) != "euc1-az1" {
		t.Errorf("subnet AZ %s / %s", aws.ToString(subs.Subnets[0].AvailabilityZone), aws.ToString(subs.Subnets[0].AvailabilityZoneId))
	}
	s3, err := c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws.eu-central-1.s3"), RouteTableIds: []string{ws.RouteTableID}})
	must(t, "CreateVpcEndpoint", err)
	if aws.ToString(s3.VpcEndpoint.OwnerId) != "210987654321" {
		t.Errorf("owner %s", aws.ToString(s3.VpcEndpoint.OwnerId))
	}
	_, err = c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(ws.VpcID), ServiceName: aws.String("com.amazonaws.us-west-2.s3"), RouteTableIds: []string{ws.RouteTableID}})
	wantCode(t, "service of another region", err, "InvalidServiceName")
	repos, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	must(t, "DescribeRepositories", err)
	if aws.ToString(repos.Repositories[0].RepositoryUri) != "210987654321.dkr.ecr.eu-central-1.amazonaws.com/team-a/alpine" {
		t.Errorf("uri %s", aws.ToString(repos.Repositories[0].RepositoryUri))
	}
	r := imdsDo(t, "GET", sb.IMDSEndpoint()+"/latest/meta-data/placement/region", nil)
	if r.body != "eu-central-1" {
		t.Errorf("IMDS region %q", r.body)
	}
}
