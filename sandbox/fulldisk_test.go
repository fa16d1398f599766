package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// A full disk must not make the sandbox lie: a change it cannot save is
// refused, memory and disk stay as they were, and after a restart the world
// is what the clients were told. Every operation that changes the world is
// tried against two full disks: a writer that fails part-way (ENOSPC after
// half the bytes, as the kernel does), and, when the test runs as root, a
// real 64 KiB tmpfs filled to the last block.

// fullDiskOp is one operation that changes the world.
type fullDiskOp struct {
	name string
	// setup makes what the operation needs, while the disk has room.
	setup func(t *testing.T, f *fullDiskFixture)
	// do runs the operation; the error is what its client saw.
	do func(f *fullDiskFixture) error
	// wantCode is the error code the client must see.
	wantCode string
}

type fullDiskFixture struct {
	sb   *Sandbox
	c    clients
	ws   Workspace
	pw   string            // registry password
	ids  map[string]string // what setup made, by name
	v1   Image
	last *http.Response // the registry's last answer
	body string
}

func fullDiskOps() []fullDiskOp {
	ctx := context.Background()
	makeGroup := func(t *testing.T, f *fullDiskFixture) {
		out, err := f.c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("d"), VpcId: aws.String(f.ws.VpcID)})
		must(t, "CreateSecurityGroup", err)
		f.ids["sg"] = aws.ToString(out.GroupId)
	}
	ingress := func(f *fullDiskFixture) *ec2.AuthorizeSecurityGroupIngressInput {
		return &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(f.ids["sg"]), IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(f.ws.SecurityGroupID)}}}}}
	}
	makeEndpoint := func(t *testing.T, f *fullDiskFixture) {
		f.ids["vpce"] = createEndpoint(t, f.c, f.sb, serviceAPI, "")
	}
	return []fullDiskOp{
		{name: "ec2:ModifyVpcAttribute", wantCode: "InternalError", do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(f.ws.VpcID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(false)}})
			return err
		}},
		{name: "ec2:CreateSecurityGroup", wantCode: "InternalError", do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("d"), VpcId: aws.String(f.ws.VpcID)})
			return err
		}},
		{name: "ec2:DeleteSecurityGroup", wantCode: "InternalError", setup: makeGroup, do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(f.ids["sg"])})
			return err
		}},
		{name: "ec2:AuthorizeSecurityGroupIngress", wantCode: "InternalError", setup: makeGroup, do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.AuthorizeSecurityGroupIngress(ctx, ingress(f))
			return err
		}},
		{name: "ec2:RevokeSecurityGroupIngress", wantCode: "InternalError", setup: func(t *testing.T, f *fullDiskFixture) {
			makeGroup(t, f)
			out, err := f.c.ec2.AuthorizeSecurityGroupIngress(ctx, ingress(f))
			must(t, "AuthorizeSecurityGroupIngress", err)
			f.ids["sgr"] = aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
		}, do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(f.ids["sg"]), SecurityGroupRuleIds: []string{f.ids["sgr"]}})
			return err
		}},
		{name: "ec2:CreateVpcEndpoint", wantCode: "InternalError", do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(f.ws.VpcID), VpcEndpointType: ec2types.VpcEndpointTypeGateway,
				ServiceName: aws.String("com.amazonaws." + f.sb.Region() + ".s3"), RouteTableIds: []string{f.ws.RouteTableID}})
			return err
		}},
		{name: "ec2:ModifyVpcEndpoint", wantCode: "InternalError", setup: makeEndpoint, do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(f.ids["vpce"]), PolicyDocument: aws.String(labPolicy(f.sb.Account(), f.sb.Region()))})
			return err
		}},
		{name: "ec2:DeleteVpcEndpoints", wantCode: "InternalError", setup: makeEndpoint, do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{f.ids["vpce"]}})
			return err
		}},
		{name: "ec2:CreateTags", wantCode: "InternalError", do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{f.ws.VpcID}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
			return err
		}},
		{name: "ec2:DeleteTags", wantCode: "InternalError", setup: func(t *testing.T, f *fullDiskFixture) {
			_, err := f.c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{f.ws.VpcID}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
			must(t, "CreateTags", err)
		}, do: func(f *fullDiskFixture) error {
			_, err := f.c.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{f.ws.VpcID}, Tags: []ec2types.Tag{{Key: aws.String("team")}}})
			return err
		}},
		{name: "ecr:CreateRepository", wantCode: "ServerException", do: func(f *fullDiskFixture) error {
			_, err := f.c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/app")})
			return err
		}},
		{name: "ecr:DeleteRepository", wantCode: "ServerException", setup: func(t *testing.T, f *fullDiskFixture) {
			_, err := f.c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/app")})
			must(t, "CreateRepository", err)
		}, do: func(f *fullDiskFixture) error {
			_, err := f.c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team-b/app")})
			return err
		}},
		{name: "ecr:PutImage", wantCode: "ServerException", do: func(f *fullDiskFixture) error {
			_, err := f.c.ecr.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(RepoA), ImageTag: aws.String("v9"), ImageManifest: aws.String(string(f.v1.Manifest))})
			return err
		}},
		{name: "ecr:BatchDeleteImage", wantCode: "ServerException", do: func(f *fullDiskFixture) error {
			_, err := f.c.ecr.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
			return err
		}},
		{name: "registry:PUT manifest", wantCode: "INTERNAL_SERVER_ERROR", do: func(f *fullDiskFixture) error {
			return f.registry(http.MethodPut, "/v2/"+RepoA+"/manifests/v8", f.v1.MediaType, f.v1.Manifest, http.StatusCreated)
		}},
		{name: "registry:DELETE manifest", wantCode: "INTERNAL_SERVER_ERROR", do: func(f *fullDiskFixture) error {
			return f.registry(http.MethodDelete, "/v2/"+RepoA+"/manifests/"+f.v1.Digest, "", nil, http.StatusAccepted)
		}},
	}
}

// registry sends one registry request; an answer other than want is an
// error carrying the registry's error code.
func (f *fullDiskFixture) registry(method, path, ctype string, body []byte, want int) error {
	req, _ := http.NewRequest(method, "http://"+f.sb.RegistryAddr()+path, bytes.NewReader(body))
	req.SetBasicAuth("AWS", f.pw)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	f.last, f.body = resp, string(b)
	if resp.StatusCode != want {
		return &registryAnswer{status: resp.StatusCode, body: string(b)}
	}
	return nil
}

type registryAnswer struct {
	status int
	body   string
}

func (e *registryAnswer) Error() string { return e.body }

// committedWorld is the world requests read now, in its saved form.
func committedWorld(sb *Sandbox) string {
	b, err := encodeWorld(sb.cur.Load())
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fullDisk makes every later save of the state directory fail; restore
// gives the room back.
type fullDisk struct {
	name string
	// dir returns a state directory on this disk.
	dir func(t *testing.T) string
	// fill makes the disk full (sb serves a world in dir).
	fill func(t *testing.T, sb *Sandbox, dir string)
	// restore makes room again.
	restore func(t *testing.T, dir string)
}

// enospcAfterHalf writes like the atomic write does, but the disk fills up
// half-way through the temporary file.
func enospcAfterHalf(path string, data []byte, _ os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(data[:len(data)/2]); err != nil {
		return err
	}
	return &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func fullDisks() []fullDisk {
	return []fullDisk{
		{
			name:    "injected",
			dir:     func(t *testing.T) string { return t.TempDir() },
			fill:    func(t *testing.T, sb *Sandbox, _ string) { setWriteFile(sb, enospcAfterHalf) },
			restore: func(*testing.T, string) {},
		},
		{
			name: "tmpfs",
			dir:  mountTmpfs,
			fill: func(t *testing.T, _ *Sandbox, dir string) {
				f, err := os.Create(filepath.Join(dir, "filler"))
				must(t, "filler", err)
				defer f.Close()
				block := make([]byte, 1024)
				for {
					if _, err := f.Write(block); err != nil {
						if !errors.Is(err, syscall.ENOSPC) {
							t.Fatalf("filling the tmpfs: %v", err)
						}
						return
					}
				}
			},
			restore: func(t *testing.T, dir string) { must(t, "remove filler", os.Remove(filepath.Join(dir, "filler"))) },
		},
	}
}

// mountTmpfs mounts a 64 KiB tmpfs (the size of the repro) and
// returns a state directory on it; it skips unless the test runs as root.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the injected full disk covers the same ground")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the injected full disk covers the same ground", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	return filepath.Join(mnt, "sandbox")
}

// TestFullDiskRefusesEveryChange: for every operation that changes the
// world, on each kind of full disk: the client gets a 500 saying why, the
// world it reads afterwards is unchanged, the retry fails the same way, and
// after the room is back and the sandbox restarts, the world is the one
// from before the refused change.
func TestFullDiskRefusesEveryChange(t *testing.T) {
	for _, disk := range fullDisks() {
		t.Run(disk.name, func(t *testing.T) {
			for _, op := range fullDiskOps() {
				t.Run(op.name, func(t *testing.T) {
					dir := disk.dir(t)
					clock := NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
					opts := Options{StateDir: dir, Clock: clock}
					sb, err := Start(context.Background(), opts)
					must(t, "Start", err)
					defer func() { _ = sb.Close() }()
					f := &fullDiskFixture{sb: sb, c: newClients(sb, nil), ws: sb.Workspace(), ids: map[string]string{}}
					f.pw, err = registryLogin(t, f.c)
					must(t, "login", err)
					f.v1, err = sb.Images().Manifest(RepoA, "v1")
					must(t, "v1", err)
					if op.setup != nil {
						op.setup(t, f)
					}
					before := committedWorld(sb)

					disk.fill(t, sb, dir)
					for attempt := 1; attempt <= 2; attempt++ {
						err := op.do(f)
						wantSaveRefusal(t, op, err, dir)
						if got := committedWorld(sb); got != before {
							t.Fatalf("attempt %d: the world changed although the change was refused", attempt)
						}
					}

					must(t, "Close", sb.Close())
					disk.restore(t, dir)
					sb2, err := Start(context.Background(), opts)
					must(t, "Start after the full disk", err)
					defer func() { _ = sb2.Close() }()
					if got := committedWorld(sb2); got != before {
						t.Errorf("after a restart the world is not the one the client was told of")
					}
					// The disk has room again: the same change now goes through.
					f.sb, f.c = sb2, newClients(sb2, nil)
					if err := op.do(f); err != nil {
						t.Errorf("with room on the disk again: %v", err)
					}
					if committedWorld(sb2) == before {
						t.Errorf("with room on the disk again, the change was not made")
					}
				})
			}
		})
	}
}

// wantSaveRefusal checks the client was told the change could not be saved.
func wantSaveRefusal(t *testing.T, op fullDiskOp, err error, dir string) {
	t.Helper()
	want := filepath.Join(dir, stateFile)
	var ra *registryAnswer
	if errors.As(err, &ra) {
		if ra.status != http.StatusInternalServerError || !strings.Contains(ra.body, op.wantCode) || !strings.Contains(ra.body, "could not save its world to "+want) {
			t.Fatalf("registry answered %d %s", ra.status, ra.body)
		}
		return
	}
	wantCode(t, op.name, err, op.wantCode)
	if err == nil || !strings.Contains(err.Error(), "could not save its world to "+want) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("%s: the error does not say what happened: %v", op.name, err)
	}
}

// TestFullDiskSDKRetriesFailToo: the SDK's own retries of a refused change
// are refused as well (before, the retry succeeded against memory), and the
// sandbox recorded each attempt as failed.
func TestFullDiskSDKRetriesFailToo(t *testing.T) {
	sb := startSandbox(t, Options{StateDir: t.TempDir()})
	cfg := sdkConfig(sb, sb.Credentials(), nil)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
	c := ec2.NewFromConfig(cfg)
	setWriteFile(sb, enospcAfterHalf)
	sb.CallLog().Reset()
	_, err := c.CreateSecurityGroup(context.Background(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("ECR_VPCE_SG"), Description: aws.String("d"), VpcId: aws.String(sb.Workspace().VpcID)})
	wantCode(t, "CreateSecurityGroup on a full disk, with retries", err, "InternalError")
	calls := sb.Calls()
	if len(calls) != 3 {
		t.Fatalf("want 3 attempts, got %d: %+v", len(calls), calls)
	}
	for _, c := range calls {
		if c.Action != "CreateSecurityGroup" || c.ErrorCode != "InternalError" {
			t.Errorf("attempt recorded as %+v", c)
		}
	}
	sgs, err := newClients(sb, nil).ec2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{flt("group-name", "ECR_VPCE_SG")}})
	must(t, "DescribeSecurityGroups", err)
	if len(sgs.SecurityGroups) != 0 {
		t.Errorf("a refused group exists: %+v", sgs.SecurityGroups)
	}
}

// TestFullDiskLayerUpload: a layer that does not fit on the disk fails its
// push with a 500 that says so (read to its end, so the client hears it),
// and leaves no part of itself behind.
func TestFullDiskLayerUpload(t *testing.T) {
	dir := mountTmpfs(t)
	sb, err := Start(context.Background(), Options{StateDir: dir})
	must(t, "Start", err)
	defer func() { _ = sb.Close() }()
	c := newRegClient(t, sb)
	before := committedWorld(sb)
	loc := c.start(RepoA)
	a := c.do(http.MethodPatch, loc, layerData(1, 256<<10), 256<<10)
	if a.status != http.StatusInternalServerError || !strings.Contains(a.body, "no space left on device") || !strings.Contains(a.body, "free space in its state directory") {
		t.Fatalf("a layer bigger than the disk: %d %s", a.status, a.body)
	}
	if a := c.do(http.MethodGet, loc, nil, 0); a.status != http.StatusNotFound {
		t.Errorf("the failed upload lives on: %d %s", a.status, a.body)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, uploadsDir))
	if len(entries) != 0 {
		t.Errorf("left in the upload directory: %v", entries)
	}
	if committedWorld(sb) != before {
		t.Error("the world changed")
	}
}
