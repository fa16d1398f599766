package sandbox

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// setWriteFile replaces how the sandbox writes its state file.
func setWriteFile(sb *Sandbox, f func(path string, data []byte, mode os.FileMode) error) {
	sb.writeMu.Lock()
	defer sb.writeMu.Unlock()
	sb.writeFile = f
}

// TestReadsDoNotWaitForSaves: while a change is being saved (its write held
// up here, as a slow fsync would), requests that only read are answered at
// once, and they see the world without the change; the change shows once it
// is saved.
func TestReadsDoNotWaitForSaves(t *testing.T) {
	sb := startSandbox(t, Options{StateDir: t.TempDir()})
	c := newClients(sb, nil)
	ws := sb.Workspace()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	setWriteFile(sb, func(path string, data []byte, mode os.FileMode) error {
		once.Do(func() {
			close(entered)
			<-release
		})
		return writeFileAtomic(path, data, mode)
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	done := make(chan error, 1)
	go func() {
		_, err := c.ec2.CreateSecurityGroup(context.Background(), &ec2.CreateSecurityGroupInput{
			GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("d"), VpcId: aws.String(ws.VpcID)})
		done <- err
	}()
	select {
	case <-entered:
	case err := <-done:
		t.Fatalf("CreateSecurityGroup returned before saving: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("CreateSecurityGroup never saved the world")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	byName := &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{flt("group-name", "ECR_VPCE_SG")}}
	sgs, err := c.ec2.DescribeSecurityGroups(ctx, byName)
	must(t, "DescribeSecurityGroups while a save is under way", err)
	if len(sgs.SecurityGroups) != 0 {
		t.Errorf("a change not yet saved is visible: %+v", sgs.SecurityGroups)
	}
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
	must(t, "ListImages while a save is under way", err)
	if _, err := c.sts.GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("GetCallerIdentity while a save is under way: %v", err)
	}

	close(release)
	must(t, "CreateSecurityGroup", <-done)
	sgs, err = c.ec2.DescribeSecurityGroups(context.Background(), byName)
	must(t, "DescribeSecurityGroups after the save", err)
	if len(sgs.SecurityGroups) != 1 {
		t.Errorf("the saved change is not visible: %+v", sgs.SecurityGroups)
	}
}
