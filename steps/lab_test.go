package steps_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

type fixture struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	cloud *awsops.Cloud
	lab   *steps.Lab
	store *steps.Store
	env   string

	mu     sync.Mutex
	events []steps.Event
	onEv   func(steps.Event)
}

func (f *fixture) all() []steps.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]steps.Event(nil), f.events...)
}

// up builds the whole lab (Up) and ends the test if that fails.
func (f *fixture) up(ctx context.Context) {
	f.t.Helper()
	if err := f.lab.Up(ctx); err != nil {
		f.t.Fatalf("Up: %v", err)
	}
}

func (f *fixture) reset() {
	f.mu.Lock()
	f.events = nil
	f.mu.Unlock()
}

// sandboxCloud points a Cloud at the sandbox: every address 127.0.0.1.
func sandboxCloud(t *testing.T, sb *sandbox.Sandbox, observer func(awsops.Call), mod func(*awsops.Options)) *awsops.Cloud {
	t.Helper()
	opts := sandboxlab.Options(sb)
	opts.DependencyWait, opts.Observer = 10*time.Second, observer
	if sb.Timing() == sandbox.Instant {
		// Where something takes time, sandboxlab.FixturePoll's cadence:
		// 1 ms polls made each second of a wait a thousand describes.
		opts.Poll = time.Millisecond
	}
	if opts.RegistryAddr == "" || opts.DNSServer == "" {
		t.Fatalf("the sandbox exports no ECR_REGISTRY / LAB_DNS_SERVER: %v", sb.Env())
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := awsops.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newFixture is a lab on a sandbox of its own, for a test that shares
// nothing with the others and so runs beside them (it calls t.Parallel):
// its home is a folder of its own inside the process's HOME, which it may
// not change. A test that sets the environment uses newSerialFixture.
func newFixture(t *testing.T, sbo sandbox.Options, cfg steps.Config, mod func(*awsops.Options)) *fixture {
	t.Helper()
	t.Parallel()
	return anotherFixture(t, sbo, cfg, mod)
}

// anotherFixture is newFixture for a test that runs in parallel already
// (it has a fixture, or called t.Parallel): a second lab, in a home of its
// own.
func anotherFixture(t *testing.T, sbo sandbox.Options, cfg steps.Config, mod func(*awsops.Options)) *fixture {
	t.Helper()
	return newFixtureAt(t, ownHome(t), sbo, cfg, mod)
}

// newSerialFixture is newFixture for a test that changes the process's
// environment (t.Setenv): it runs alone, with HOME set to a folder of its
// own.
func newSerialFixture(t *testing.T, sbo sandbox.Options, cfg steps.Config, mod func(*awsops.Options)) *fixture {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	home := t.TempDir()
	t.Setenv("HOME", home)
	return newFixtureAt(t, home, sbo, cfg, mod)
}

// TestMain gives the process a home of its own and keeps the SDK off any
// metadata service; a test may still set its own with t.Setenv. Most
// tests wait on sandboxes' timings more than they compute: more of them
// wait at once than one per core.
func TestMain(m *testing.M) {
	testtool.TempInMemory()
	home, err := os.MkdirTemp("", "steps-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Setenv("HOME", home)
	_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	testtool.FewerCollections()
	testtool.MoreParallelTests()
	code := m.Run()
	_ = os.RemoveAll(home)
	os.Exit(code)
}

// ownHome is a fresh home for one test that runs beside others (and so
// may not set the environment): a folder inside the process's HOME, which
// the lab then counts as the user's.
func ownHome(t *testing.T) string {
	t.Helper()
	home, err := os.MkdirTemp(os.Getenv("HOME"), "t-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(home) })
	return home
}

func newFixtureAt(t *testing.T, home string, sbo sandbox.Options, cfg steps.Config, mod func(*awsops.Options)) *fixture {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sbo)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	f := &fixture{t: t, sb: sb, env: filepath.Join(home, ".ecr_security")}
	em := steps.NewEmitter(func(e steps.Event) {
		f.mu.Lock()
		f.events = append(f.events, e)
		on := f.onEv
		f.mu.Unlock()
		if on != nil {
			on(e)
		}
	})
	f.cloud = sandboxCloud(t, sb, em.Call, mod)
	f.store = steps.NewStore(filepath.Join(home, "state"), "sandbox")
	cfg.Mode = "sandbox"
	cfg.EnvFile = f.env
	if cfg.DNSTimeout == 0 {
		cfg.DNSTimeout = 5 * time.Second
	}
	lab, err := steps.New(cfg, f.cloud, f.store, em)
	if err != nil {
		t.Fatal(err)
	}
	f.lab = lab
	return f
}

func (f *fixture) countEndpoints(vpc string) int {
	f.t.Helper()
	eps, err := f.cloud.FindEndpoints(context.Background(), vpc, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return len(eps)
}

const userLines = "# my own settings\nexport ECR_REPO_A=team-a/alpine\nexport VPCE_SG_ID=sg-handmade\n"

func TestWholeLab(t *testing.T) {
	f := newFixture(t, sandbox.Options{IMDSv2Required: true}, steps.Config{}, nil)
	if err := os.WriteFile(f.env, []byte(userLines), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	ws := f.sb.Workspace()
	if !st.Workspace.OnEC2 || st.Workspace.VpcID != ws.VpcID || st.Workspace.RouteTableID != ws.RouteTableID || !st.Workspace.RouteTableMain {
		t.Fatalf("workspace %+v, sandbox %+v", st.Workspace, ws)
	}
	if st.SecurityGroup == nil || !st.SecurityGroup.Created || st.Rule == nil || len(st.Endpoints) != 3 {
		t.Fatalf("state %+v", st)
	}
	for _, s := range steps.UpSteps {
		if st.Steps[s].Status != "done" {
			t.Errorf("step %s: %+v", s, st.Steps[s])
		}
	}
	// State file: 0600, and what we read back is what we have.
	fi, err := os.Stat(f.store.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v %v", fi, err)
	}
	saved, err := f.store.Load()
	if err != nil || saved.RunID != st.RunID || saved.Endpoints[steps.EndpointDKR].ID != st.Endpoints[steps.EndpointDKR].ID {
		t.Fatalf("saved state %+v %v", saved, err)
	}
	// ~/.ecr_security: the learner's lines kept, ours after them.
	b, _ := os.ReadFile(f.env)
	env := string(b)
	if !strings.HasPrefix(env, userLines) {
		t.Fatalf("user lines not kept:\n%s", env)
	}
	for _, v := range []string{"VPCE_SG_ID=" + st.SecurityGroup.ID, "SG_RULE_ID=" + st.Rule.ID, "DKR_VPCE_ID=" + st.Endpoints["ecr.dkr"].ID,
		"API_VPCE_ID=" + st.Endpoints["ecr.api"].ID, "S3_VPCE_ID=" + st.Endpoints["s3"].ID} {
		if !strings.Contains(env, "export "+v+" # ecr-vpce-lab run="+st.RunID+"\n") {
			t.Errorf("missing %s in\n%s", v, env)
		}
	}
	// Every created resource is tagged with the run.
	eps, _ := f.cloud.TaggedEndpoints(ctx, steps.TagKey, st.RunID)
	sgs, _ := f.cloud.TaggedSecurityGroups(ctx, steps.TagKey, st.RunID)
	if len(eps) != 3 || len(sgs) != 1 || eps[0].Tags["Name"] == "" {
		t.Fatalf("tagged: %d endpoints, %d groups", len(eps), len(sgs))
	}

	// Up again: nothing new.
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	if n := f.countEndpoints(ws.VpcID); n != 3 {
		t.Fatalf("%d endpoints after a second up", n)
	}
	for _, s := range steps.UpSteps {
		if r, err := f.lab.Check(ctx, s); err != nil || !r.OK {
			t.Errorf("Check(%s) = %+v, %v", s, r, err)
		}
	}

	// The tests: push denied, list and pull allowed, each as predicted.
	res, err := f.lab.Tests(ctx)
	if err != nil || len(res) != 3 {
		t.Fatalf("Tests: %v %+v", err, res)
	}
	push, list, pull := res[0], res[1], res[2]
	if push.Outcome.Allowed || !push.Match || push.Expected != policy.ResultExplicitDeny || push.ExpectedBy != "DenyPutImage" ||
		!strings.Contains(push.Outcome.Message, "is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a VPC endpoint policy") ||
		push.Push.LayersExisting == 0 {
		t.Fatalf("push %+v / %+v", push, push.Push)
	}
	if !list.Outcome.Allowed || !list.Match || len(list.List.Images) != 1 || list.List.Images[0].Tag != "v1" {
		t.Fatalf("list %+v", list)
	}
	if !pull.Outcome.Allowed || !pull.Match || pull.Pull.Layers == 0 {
		t.Fatalf("pull %+v", pull)
	}

	// A policy change with ModifyVpcEndpoint flips the push.
	allowAll := policy.MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
	if err := f.lab.ApplyPolicy(ctx, allowAll, steps.TargetDKR); err != nil {
		t.Fatalf("ApplyPolicy: %v", err)
	}
	if err := f.lab.Run(ctx, steps.StepPush); err != nil {
		t.Fatalf("push after allowing: %v", err)
	}
	if r := f.lab.State().Tests["push"]; !r.Outcome.Allowed || !r.Match {
		t.Fatalf("push after allowing: %+v", r)
	}
	if err := f.lab.Run(ctx, steps.StepList); err != nil {
		t.Fatal(err)
	}
	if r := f.lab.State().Tests["list-images"]; len(r.List.Images) != 2 {
		t.Fatalf("list after the push: %+v", r.List)
	}
	deny, _ := policy.Default(st.Account, st.Region, policy.DefaultRepository, nil)
	if err := f.lab.ApplyPolicy(ctx, deny, steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Run(ctx, steps.StepPush); err != nil {
		t.Fatalf("push after denying again: %v", err)
	}
	if r := f.lab.State().Tests["push"]; r.Outcome.Allowed {
		t.Fatalf("push after denying again: %+v", r)
	}
	// An invalid policy is refused before AWS sees it.
	bad := policy.MustParse(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err := f.lab.ApplyPolicy(ctx, bad, steps.TargetBoth); problem.KindOf(err) != problem.Invalid {
		t.Fatalf("ApplyPolicy(no principal): %v", err)
	}

	// Teardown: one event per resource, in order, then nothing left.
	f.reset()
	rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || !rep.Nothing() {
		t.Fatalf("Teardown: %+v %v", rep, err)
	}
	var order []steps.ResourceKind
	for _, e := range f.all() {
		if e.Kind == steps.EventResource && (e.Resource.State == steps.ResDeleted || e.Resource.State == steps.ResModified) {
			order = append(order, e.Resource.Kind)
		}
	}
	// The auto-teardown's schedules go first (none may fire into the
	// teardown), its role once nothing runs as it.
	want := []steps.ResourceKind{steps.KindSchedule, steps.KindSchedule, steps.KindEndpoint, steps.KindEndpoint, steps.KindEndpoint,
		steps.KindIngressRule, steps.KindSecurityGroup, steps.KindRole, steps.KindImageTag, steps.KindLocalImage, steps.KindEnvFile, steps.KindStateFile}
	if !slices.Equal(order, want) {
		t.Fatalf("deletion order %v, want %v", order, want)
	}
	last := f.all()[len(f.all())-2]
	if last.Kind != steps.EventCheck || last.Check.ID != "nothing-left" || !last.Check.OK {
		t.Fatalf("second to last event %+v", last)
	}
	b, _ = os.ReadFile(f.env)
	if string(b) != userLines {
		t.Fatalf("~/.ecr_security after teardown:\n%q\nwant\n%q", b, userLines)
	}
	if _, err := os.Stat(f.store.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state file still there: %v", err)
	}
	if n := f.countEndpoints(ws.VpcID); n != 0 {
		t.Fatalf("%d endpoints left", n)
	}
	if g, _ := f.cloud.FindSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG"); g != nil {
		t.Fatalf("group left: %+v", g)
	}
	lr, _, _ := f.cloud.ListImages(ctx, policy.DefaultRepository)
	if len(lr.Images) != 1 {
		t.Fatalf("images after teardown: %+v", lr.Images)
	}
	// Teardown again: a no-op.
	if rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil || len(rep.Deleted) != 0 {
		t.Fatalf("second teardown: %+v %v", rep, err)
	}
}

func TestDiscoveryOffEC2(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, func(o *awsops.Options) { o.IMDSDisabled = true })
	ctx := context.Background()
	err := f.lab.Run(ctx, steps.StepDiscover)
	var se *steps.StepError
	if !errors.As(err, &se) || problem.KindOf(err) != problem.NotOnEC2 || !strings.Contains(se.Fix, "--subnet") {
		t.Fatalf("discover without IMDS: %v", err)
	}
	failed := f.all()[len(f.all())-1]
	if failed.Kind != steps.EventFailed || failed.Fix == "" || failed.ErrKind != problem.NotOnEC2 {
		t.Fatalf("last event %+v", failed)
	}
	vpcs, err := f.lab.ListVPCs(ctx)
	if err != nil || len(vpcs) == 0 {
		t.Fatal(vpcs, err)
	}
	subs, _ := f.lab.ListSubnets(ctx, vpcs[0].ID)
	sgs, _ := f.lab.ListSecurityGroups(ctx, vpcs[0].ID)
	ws := f.sb.Workspace()
	var sub, sg string
	for _, s := range subs {
		if s.ID == ws.SubnetID {
			sub = s.ID
		}
	}
	for _, g := range sgs {
		if g.ID == ws.SecurityGroupID {
			sg = g.ID
		}
	}
	if sub == "" || sg == "" {
		t.Fatalf("choices lack the workspace: %v %v", subs, sgs)
	}
	f.lab.SetWorkspace(awsops.Workspace{SubnetID: sub, SecurityGroupID: sg})
	f.reset()
	if err := f.lab.Run(ctx, steps.StepDiscover); err != nil {
		t.Fatalf("discover with explicit IDs: %v", err)
	}
	st := f.lab.State()
	if st.Workspace.OnEC2 || st.Workspace.RouteTableID != ws.RouteTableID || !st.Workspace.RouteTableMain || st.Account != f.sb.Account() {
		t.Fatalf("workspace %+v", st.Workspace)
	}
	// The commands set the seed's variables from the IDs given (no metadata
	// reads), the VPC from the subnet, then find the route table.
	var cmds []string
	for _, e := range f.all() {
		if e.Kind == steps.EventCommand {
			cmds = append(cmds, e.Command.String())
		}
	}
	got := strings.Join(cmds, "\n")
	for _, want := range []string{"SUBNET_ID=" + sub, "WORKSPACE_SG_ID=" + sg, `VPC_ID=$(aws ec2 describe-subnets --subnet-ids "$SUBNET_ID"`, "ROUTE_TABLE_ID=$(aws ec2 describe-route-tables"} {
		if !strings.Contains(got, want) {
			t.Errorf("discovery commands lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "curl") {
		t.Errorf("discovery off EC2 shows metadata reads:\n%s", got)
	}
}

func TestAdoptExistingGroupAndEndpoint(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{ExistingDKREndpoint: true}}, steps.Config{}, nil)
	ctx := context.Background()
	ws := f.sb.Workspace()
	// A group of the lab's name made by hand earlier, untagged.
	g, _, err := f.cloud.CreateSecurityGroup(ctx, ws.VpcID, "ECR_VPCE_SG", "made by hand", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f.lab.Up(ctx)
	if problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.FixOf(err), "--adopt") {
		t.Fatalf("Up with a conflicting endpoint: %v", err)
	}
	var item *steps.CheckItem
	for _, e := range f.all() {
		if e.Kind == steps.EventCheck && e.Check.ID == "existing-ecr.dkr" {
			item = e.Check
		}
	}
	if item == nil || item.OK || item.Action != steps.FixAdopt {
		t.Fatalf("preflight item %+v", item)
	}
	existing, _ := f.cloud.FindEndpoints(ctx, ws.VpcID, f.cloud.ServiceName("ecr.dkr"))
	if len(existing) != 1 {
		t.Fatalf("existing endpoints %+v", existing)
	}
	orig := existing[0].Policy
	if err := f.lab.AdoptEndpoint(ctx, existing[0].ID); err != nil {
		t.Fatalf("AdoptEndpoint: %v", err)
	}
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up after adopting: %v", err)
	}
	st := f.lab.State()
	if st.SecurityGroup.ID != g.ID || st.SecurityGroup.Created {
		t.Fatalf("group not adopted: %+v", st.SecurityGroup)
	}
	dkr := st.Endpoints["ecr.dkr"]
	if dkr.ID != existing[0].ID || dkr.Created || dkr.OriginalPolicy == nil {
		t.Fatalf("endpoint not adopted: %+v", dkr)
	}
	if n := f.countEndpoints(ws.VpcID); n != 3 {
		t.Fatalf("%d endpoints", n)
	}
	res, err := f.lab.Tests(ctx, steps.StepPush)
	if err != nil || res[0].Outcome.Allowed {
		t.Fatalf("push through the adopted endpoint: %+v %v", res, err)
	}
	rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || !rep.Nothing() || len(rep.Kept) != 2 {
		t.Fatalf("Teardown: %+v %v", rep, err)
	}
	after, _ := f.cloud.Endpoints(ctx, existing[0].ID)
	if len(after) != 1 || !after[0].Available() || after[0].Policy != orig {
		t.Fatalf("adopted endpoint after teardown: %+v (policy was %q)", after, orig)
	}
	if ok, _ := f.cloud.SecurityGroupExists(ctx, g.ID); !ok {
		t.Fatal("adopted group deleted")
	}
	if n := f.countEndpoints(ws.VpcID); n != 1 {
		t.Fatalf("%d endpoints after teardown, want the adopted one", n)
	}
}

func TestPreflightFixes(t *testing.T) {
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{VPCDNSOff: true, NoRepository: true}}, steps.Config{}, nil)
	ctx := context.Background()
	err := f.lab.Up(ctx)
	if err == nil {
		t.Fatal("Up with VPC DNS off and no repository succeeded")
	}
	r, err := f.lab.Check(ctx, steps.StepPreflight)
	if err != nil || r.OK {
		t.Fatalf("Check(preflight) = %+v, %v", r, err)
	}
	actions := map[string]bool{}
	for _, it := range r.Items {
		if !it.OK {
			actions[it.Action] = true
		}
	}
	if !actions[steps.FixEnableVPCDNS] || !actions[steps.FixCreateRepo] {
		t.Fatalf("fixes offered: %v", actions)
	}
	if err := f.lab.EnableVPCDNS(ctx); err != nil {
		t.Fatalf("EnableVPCDNS: %v", err)
	}
	if err := f.lab.CreateRepository(ctx); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up after the fixes: %v", err)
	}
	// The repository had no v1: the lab made one, and keeps a copy of it
	// to push.
	if li := f.lab.State().LocalImage; li == nil || li.Ref() != "team-a/alpine:v1" || li.Layers == 0 {
		t.Fatalf("local copy after creating the repository: %+v", li)
	}
	res, err := f.lab.Tests(ctx)
	if err != nil || res[0].Outcome.Allowed || res[0].Outcome.Action != "ecr:PutImage" || !res[1].Outcome.Allowed || !res[2].Outcome.Allowed {
		t.Fatalf("tests: %+v %v", res, err)
	}
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestInterruptedUpResumes(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel the moment the security group is being created: the create in
	// flight finishes and is recorded, nothing new starts.
	f.onEv = func(e steps.Event) {
		if e.Kind == steps.EventResource && e.Resource.Kind == steps.KindSecurityGroup && e.Resource.State == steps.ResCreating {
			cancel()
		}
	}
	err := f.lab.Up(ctx)
	if problem.KindOf(err) != problem.Canceled {
		t.Fatalf("interrupted Up: %v", err)
	}
	st := f.lab.State()
	if st.SecurityGroup == nil || st.Rule != nil || len(st.Endpoints) != 0 {
		t.Fatalf("after the interruption: %+v", st)
	}
	f.onEv = nil
	// A teardown stopped at once (a Ctrl-C): the saved state says one began.
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err == nil {
		t.Fatal("a teardown with its context cancelled succeeded")
	}
	if saved, err := f.store.Load(); err != nil || saved.TeardownStarted.IsZero() {
		t.Fatalf("after a stopped teardown the saved state does not say one began: %v", err)
	}
	// A new Lab from the saved state, as a new process would.
	lab2, err := steps.New(steps.Config{Mode: "sandbox", EnvFile: f.env}, f.cloud, f.store, nil)
	if err != nil || !lab2.Resumed() {
		t.Fatalf("reopen: %v", err)
	}
	if err := lab2.Up(context.Background()); err != nil {
		t.Fatalf("resumed Up: %v", err)
	}
	if !lab2.State().TeardownStarted.IsZero() {
		t.Fatal("building again still says a teardown was stopped")
	}
	if lab2.State().SecurityGroup.ID != st.SecurityGroup.ID {
		t.Fatal("the resumed run made a second group")
	}
	sgs, _ := f.cloud.TaggedSecurityGroups(context.Background(), steps.TagKey, "")
	if len(sgs) != 1 {
		t.Fatalf("%d tagged groups", len(sgs))
	}
	if _, err := lab2.Teardown(context.Background(), steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestTeardownFindsResourcesByTag(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	// The state file is lost.
	if err := os.Remove(f.store.Path()); err != nil {
		t.Fatal(err)
	}
	run := f.lab.State().RunID
	fresh := steps.NewFresh(steps.Config{Mode: "sandbox", EnvFile: f.env}, f.cloud, f.store, nil)
	s, err := fresh.Status(ctx)
	if err != nil || s.Saved || len(s.Leftovers) != 4 {
		t.Fatalf("status without state: %+v %v", s, err)
	}
	// ~/.ecr_security still names the run: down finds it by its tag.
	rep, err := fresh.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || rep.RunID != run || !rep.FromTags || !rep.Nothing() || len(rep.Deleted) < 4 {
		t.Fatalf("teardown without state: %+v %v", rep, err)
	}
	b, _ := os.ReadFile(f.env)
	if strings.Contains(string(b), "ecr-vpce-lab run=") {
		t.Fatalf("our lines left:\n%s", b)
	}

	// Both the state file and ~/.ecr_security lost: down names the runs it
	// sees and asks for --all, which removes them.
	lab2, _ := steps.New(steps.Config{Mode: "sandbox", EnvFile: f.env}, f.cloud, f.store, nil)
	if err := lab2.Up(ctx); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(f.store.Path())
	_ = os.Remove(f.env)
	fresh = steps.NewFresh(steps.Config{Mode: "sandbox", EnvFile: f.env}, f.cloud, f.store, nil)
	_, err = fresh.Teardown(ctx, steps.TeardownOptions{})
	if problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.FixOf(err), "down --all") || !strings.Contains(err.Error(), lab2.State().RunID) {
		t.Fatalf("teardown with nothing to go on: %v", err)
	}
	rep, err = fresh.Teardown(ctx, steps.TeardownOptions{All: true})
	if err != nil || !rep.Nothing() || len(rep.Deleted) < 4 {
		t.Fatalf("teardown --all: %+v %v", rep, err)
	}
	rep, err = fresh.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || len(rep.Deleted) != 0 {
		t.Fatalf("teardown of nothing: %+v %v", rep, err)
	}
}

// TestTeardownRemovesWhatAppearsLate: an endpoint of the run that EC2
// lists only after teardown's look by tag (a create cut short moments ago
// by a second Ctrl-C) is found by the last look: down says it is still
// there and keeps the run on record, so down again removes it (it used to
// forget the run first, and the next down refused, for want of a run,
// and pointed at --all).
func TestTeardownRemovesWhatAppearsLate(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	ws, run := f.sb.Workspace(), f.lab.State().RunID
	// Another client: the lab's reports its calls as events, and this one
	// calls from inside the event sink.
	other := sandboxCloud(t, f.sb, nil, nil)
	var late awsops.Endpoint
	f.mu.Lock()
	f.onEv = func(e steps.Event) {
		if e.Kind != steps.EventResource || e.Resource.Kind != steps.KindSecurityGroup || e.Resource.State != steps.ResDeleted || late.ID != "" {
			return
		}
		spec := awsopsSpec(f, ws, "ecr.api")
		spec.PrivateDNS, spec.Tags = false, awsops.Tags{steps.TagKey: run}
		var err error
		if late, _, err = other.CreateEndpoint(ctx, spec); err != nil {
			t.Error(err)
		}
	}
	f.mu.Unlock()
	rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{})
	if late.ID == "" {
		t.Fatal("no endpoint made during the teardown")
	}
	if problem.KindOf(err) != problem.Dependency || len(rep.Left) != 1 || rep.Left[0].ID != late.ID || !strings.Contains(problem.FixOf(err), "run 'ecr-vpce-lab down' again") {
		t.Fatalf("teardown with %s made behind its back: %+v %v", late.ID, rep, err)
	}
	if _, err := os.Stat(f.store.Path()); err != nil {
		t.Errorf("the state file is gone while %s is left: %v", late.ID, err)
	}
	f.mu.Lock()
	f.onEv = nil
	f.mu.Unlock()
	rep, err = f.lab.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || !rep.Nothing() || !slices.ContainsFunc(rep.Deleted, func(e steps.ResourceEvent) bool { return e.ID == late.ID }) {
		t.Fatalf("down again: %+v %v", rep, err)
	}
	if _, err := os.Stat(f.store.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state file after nothing is left: %v", err)
	}
	if b, _ := os.ReadFile(f.env); strings.Contains(string(b), "ecr-vpce-lab run=") {
		t.Errorf("our lines left:\n%s", b)
	}
}

func TestOneOperationAtATime(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.lab.Up(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.countEndpoints(f.sb.Workspace().VpcID); n != 3 {
		t.Fatalf("%d endpoints after concurrent Ups", n)
	}
	// Started/done events never interleave between steps.
	depth := 0
	for _, e := range f.all() {
		switch e.Kind {
		case steps.EventStarted:
			depth++
		case steps.EventDone, steps.EventFailed:
			depth--
		}
		if depth > 1 || depth < 0 {
			t.Fatalf("interleaved steps at %+v", e)
		}
	}
}

func TestWaitsForAvailabilityAndDNS(t *testing.T) {
	// The sandbox's clock moves only once the lab has seen the state the
	// test moves it out of: the endpoints pending, then DNS still public.
	// On a loaded machine the lab cannot miss either (with the wall clock,
	// a late first look found DNS private already).
	timing := sandbox.Timing{EndpointAvailable: 150 * time.Millisecond, DNSSwitch: 150 * time.Millisecond}
	clock := sandbox.NewManualClock(time.Now())
	f := newFixture(t, sandbox.Options{Clock: clock, Timing: timing},
		steps.Config{}, func(o *awsops.Options) { o.Poll = 20 * time.Millisecond })
	var movedAvailable, movedDNS atomic.Bool
	var mu sync.Mutex
	pending := map[string]bool{}
	f.onEv = func(e steps.Event) {
		switch {
		case e.Kind == steps.EventResource && e.Resource.State == steps.ResPending:
			// Both interface endpoints are created (at the same moment
			// of this clock) before it moves: the two creates run at
			// once, and one made after the move would stay pending.
			mu.Lock()
			pending[e.Resource.Name] = true
			both := pending[steps.EndpointDKR] && pending[steps.EndpointAPI]
			mu.Unlock()
			if both && !movedAvailable.Swap(true) {
				clock.Advance(timing.EndpointAvailable)
			}
		case e.Kind == steps.EventDNS && !(e.Lookups[0].Private() && e.Lookups[1].Private()):
			if !movedAvailable.Load() {
				t.Errorf("a DNS round before the endpoints were available: %+v", e)
			}
			if !movedDNS.Swap(true) {
				clock.Advance(timing.DNSSwitch)
			}
		}
	}
	start := time.Now()
	f.up(context.Background())
	// A few 20 ms polls; the bound is the loaded machine's, not the lab's.
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Up took %s, polling every 20ms", d)
	}
	// It waited for availability, then for DNS, and no longer: it went on
	// only once each had happened, and stopped at the first private round.
	if !movedAvailable.Load() || !movedDNS.Load() {
		t.Fatalf("Up returned before the endpoints were available (%t) or DNS had switched (%t)", movedAvailable.Load(), movedDNS.Load())
	}
	var states []string
	var dnsRounds, privateRounds int
	for _, e := range f.all() {
		if e.Kind == steps.EventResource && e.Resource.Name == "ecr.dkr" && len(e.Resource.Addresses) == 0 {
			states = append(states, string(e.Resource.State))
		}
		if e.Kind == steps.EventDNS {
			dnsRounds++
			if e.Lookups[0].Private() && e.Lookups[1].Private() {
				privateRounds++
			} else if e.NextPoll <= 0 {
				t.Fatalf("a public round without a next poll: %+v", e)
			}
		}
	}
	if strings.Join(states, ",") != "creating,pending,available" {
		t.Fatalf("ecr.dkr states %v", states)
	}
	if dnsRounds < 2 || privateRounds != 1 {
		t.Fatalf("%d DNS rounds, %d private", dnsRounds, privateRounds)
	}
}

func TestFailures(t *testing.T) {
	ctx := context.Background()
	// An endpoint that ends in the failed state: the reason and a fix.
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{FailEndpoints: "insufficient capacity in the zone", FailEndpointServices: []string{"ecr.api"}}}, steps.Config{}, nil)
	err := f.lab.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "insufficient capacity in the zone") || !strings.Contains(problem.FixOf(err), "down") {
		t.Fatalf("failed endpoint: %v (fix %q)", err, problem.FixOf(err))
	}
	if rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil || !rep.Nothing() {
		t.Fatalf("teardown after a failed endpoint: %+v %v", rep, err)
	}
	// DNS that never switches: a deadline, then the reasons to check.
	g := anotherFixture(t, sandbox.Options{Faults: sandbox.Faults{DNSNeverSwitches: true}}, steps.Config{DNSTimeout: 100 * time.Millisecond}, nil)
	err = g.lab.Up(ctx)
	if problem.KindOf(err) != problem.Timeout || !strings.Contains(problem.FixOf(err), "DHCP options") || !strings.Contains(problem.FixOf(err), "private hosted zone") {
		t.Fatalf("DNS never switching: %v (fix %q)", err, problem.FixOf(err))
	}
	// The push then bypasses the endpoint, and the prediction says so:
	// AWS allowed it, but that proves nothing about the endpoint policy,
	// so it is neither a match nor a passed step.
	res, err := g.lab.Tests(ctx, steps.StepPush)
	if err != nil || !res[0].Outcome.Allowed || res[0].Match || len(res[0].Notes) == 0 ||
		!strings.Contains(res[0].Unproven, "went around the ecr.dkr endpoint") {
		t.Fatalf("push with public DNS: %+v %v", res, err)
	}
	// Not skipped either: the push was made, and its outcome is recorded.
	if rec := g.lab.State().Steps[steps.StepPush]; rec.Status != steps.StatusUnproven || rec.Status.Passed() ||
		!strings.HasPrefix(rec.Message, "the request went around the ecr.dkr endpoint") || !strings.HasSuffix(rec.Message, steps.UnprovenFix) {
		t.Fatalf("push with public DNS recorded as %+v, want unproven, with why and the fix", rec)
	}
	if _, err := g.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPushTestPushesTheLocalCopy: the push test pushes the copy of v1 that
// preflight kept on this machine, so a policy that also denies pulls still
// refuses the push for PutImage (not for the read of v1), the pull for
// BatchGetImage, and a policy that denies only pulls lets the push through.
// A resumed run reuses the copy; teardown removes it and the pushed v2.
func TestPushTestPushesTheLocalCopy(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	li := st.LocalImage
	if li == nil || li.Dir != f.store.ImageDir() || li.Ref() != "team-a/alpine:v1" || li.Layers == 0 {
		t.Fatalf("local copy after Up: %+v", li)
	}
	if _, err := os.Stat(filepath.Join(li.Dir, "index.json")); err != nil {
		t.Fatalf("no image layout in %s: %v", li.Dir, err)
	}
	madeIn := map[steps.StepID]bool{}
	for _, e := range f.all() {
		if e.Kind == steps.EventResource && e.Resource.Kind == steps.KindLocalImage && e.Resource.State == steps.ResCreated {
			madeIn[e.Step] = true
		}
	}
	if !madeIn[steps.StepPreflight] || len(madeIn) != 1 {
		t.Fatalf("the local copy was made in %v, want preflight only", madeIn)
	}

	both, err := policy.Default(st.Account, st.Region, policy.DefaultRepository, []string{"ecr:PutImage", "ecr:BatchGetImage"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.lab.ApplyPolicy(ctx, both, steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	f.reset()
	res, err := f.lab.Tests(ctx, steps.StepPush, steps.StepPull)
	if err != nil || len(res) != 2 {
		t.Fatalf("Tests: %v %+v", err, res)
	}
	push, pull := res[0], res[1]
	if push.Outcome.Allowed || !push.Match || push.Outcome.Action != "ecr:PutImage" || push.ExpectedAction != "ecr:PutImage" ||
		!strings.Contains(push.Outcome.Message, "ecr:PutImage") || push.Push.LayersExisting != li.Layers {
		t.Fatalf("push under deny PutImage+BatchGetImage: %+v / %+v", push.Outcome, push.Push)
	}
	if pull.Outcome.Allowed || !pull.Match || pull.Outcome.Action != "ecr:BatchGetImage" || !strings.Contains(pull.Outcome.Message, "ecr:BatchGetImage") {
		t.Fatalf("pull under deny PutImage+BatchGetImage: %+v", pull.Outcome)
	}
	for _, e := range f.all() {
		if e.Kind == steps.EventCommand && e.Step == steps.StepPush && strings.HasPrefix(e.Command.String(), "docker pull") {
			t.Fatalf("the push test pulls: %s", e.Command)
		}
	}

	// Deny pulls only: the push goes through, as the simulation predicts.
	pullsOnly, _ := policy.Default(st.Account, st.Region, policy.DefaultRepository, []string{"ecr:BatchGetImage"})
	if err := f.lab.ApplyPolicy(ctx, pullsOnly, steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Run(ctx, steps.StepPush); err != nil {
		t.Fatalf("push with pulls denied: %v", err)
	}
	if r := f.lab.State().Tests["push"]; !r.Outcome.Allowed || !r.Match || r.Expected != policy.ResultAllow {
		t.Fatalf("push with pulls denied: %+v", r)
	}
	if tags := f.lab.State().PushedTags; len(tags) != 1 || tags[0] != "v2" {
		t.Fatalf("pushed tags %v", tags)
	}

	// Resumed by a new process: the copy on disk is used, not read again.
	lab2, err := steps.New(steps.Config{Mode: "sandbox", EnvFile: f.env}, f.cloud, f.store, steps.NewEmitter(func(e steps.Event) {
		if e.Step != steps.StepTeardown && e.Kind == steps.EventResource && e.Resource.Kind == steps.KindLocalImage && e.Resource.State != steps.ResExists {
			t.Errorf("resumed run: local copy %s", e.Resource.State)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := lab2.Run(ctx, steps.StepPreflight); err != nil {
		t.Fatalf("preflight again: %v", err)
	}
	if err := lab2.Run(ctx, steps.StepPush); err != nil {
		t.Fatalf("push again: %v", err)
	}

	// Teardown removes the copy and v2.
	f.reset()
	rep, err := lab2.Teardown(ctx, steps.TeardownOptions{})
	if err != nil || !rep.Nothing() {
		t.Fatalf("Teardown: %+v %v", rep, err)
	}
	if _, err := os.Stat(li.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the local copy is still there: %v", err)
	}
	lr, _, _ := f.cloud.ListImages(ctx, policy.DefaultRepository)
	if len(lr.Images) != 1 || lr.Images[0].Tag != "v1" {
		t.Fatalf("images after teardown: %+v", lr.Images)
	}
}

// inFlight is how much of [from, to] had at least one of the calls in evs
// in flight.
func inFlight(evs []steps.Event, from, to time.Time) time.Duration {
	type span struct{ a, b time.Time }
	var spans []span
	for _, e := range evs {
		if e.Kind != steps.EventCall {
			continue
		}
		a, b := e.Call.Start, e.Call.Start.Add(e.Call.Duration)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			spans = append(spans, span{a, b})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a.Before(spans[j].a) })
	var total time.Duration
	var end time.Time
	for _, s := range spans {
		if s.a.Before(end) {
			s.a = end
		}
		if s.b.After(s.a) {
			total += s.b.Sub(s.a)
			end = s.b
		}
	}
	return total
}

// TestNoticesChangesWithinASecond: at the default cadence (one
// DescribeVpcEndpoints a second for all the endpoints, steady while
// something is expected to change), the lab sees an endpoint become
// available within 2 s of AWS making it so, and teardown ends within 3 s of
// AWS releasing the last network interface. Against AWS's timings scaled
// down, so the test stays short: a backoff to 10 s fails it. The two
// halves wait on their own sandboxes at once, and beside the other tests:
// what they measure is the lab's own share of the delay, the time none of
// its calls to AWS was in flight, which a loaded machine does not stretch
// by seconds.
func TestNoticesChangesWithinASecond(t *testing.T) {
	t.Parallel()
	t.Run("available", func(t *testing.T) {
		timing := sandbox.Timing{EndpointAvailable: 5500 * time.Millisecond}
		f := upAtDefaultCadence(t, timing)
		st := f.lab.State()
		seen := 0
		for _, e := range f.all() {
			if e.Kind != steps.EventResource || e.Resource.Kind != steps.KindEndpoint || e.Resource.State != steps.ResAvailable ||
				e.Resource.Name == steps.EndpointS3 || len(e.Resource.Addresses) > 0 {
				continue
			}
			seen++
			availableAt := st.Endpoints[e.Resource.Name].CreatedAt.Add(timing.EndpointAvailable)
			after := e.Time.Sub(availableAt)
			// The lab's own delay: the time its calls to AWS were in flight is
			// AWS's (here a sandbox on a machine that may be loaded).
			own := after - inFlight(f.all(), availableAt, e.Time)
			t.Logf("%s noticed available %s after AWS made it so (%s of it the lab's own)", e.Resource.Name, after.Round(time.Millisecond), own.Round(time.Millisecond))
			if after < -50*time.Millisecond || own > 2*time.Second {
				t.Errorf("%s noticed available %s after AWS made it so, %s of it the lab's own, want at most 2s", e.Resource.Name, after, own)
			}
		}
		if seen != 2 {
			t.Fatalf("%d interface endpoints seen available", seen)
		}
	})
	t.Run("teardown", func(t *testing.T) {
		// Up at once; only the teardown takes AWS's time.
		timing := sandbox.Timing{EndpointDelete: 2 * time.Second, ENIRelease: 5500 * time.Millisecond}
		f := upAtDefaultCadence(t, timing)
		ctx := context.Background()
		f.reset()
		if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
			t.Fatal(err)
		}
		done := time.Now()
		var deleted time.Time
		describes := 0
		for _, e := range f.all() {
			if e.Kind == steps.EventCall && e.Call.Operation == "DeleteVpcEndpoints" {
				deleted = e.Call.Start
			}
			if e.Kind == steps.EventCall && e.Call.Operation == "DescribeVpcEndpoints" && !deleted.IsZero() {
				describes++
			}
		}
		if deleted.IsZero() {
			t.Fatal("no DeleteVpcEndpoints call")
		}
		awsDone := deleted.Add(timing.EndpointDelete + timing.ENIRelease)
		over := done.Sub(awsDone)
		own := over - inFlight(f.all(), awsDone, done)
		t.Logf("teardown ended %s after AWS released the last interface (%s of it the lab's own); %d DescribeVpcEndpoints after the delete",
			over.Round(time.Millisecond), own.Round(time.Millisecond), describes)
		if own > 3*time.Second {
			t.Errorf("teardown ended %s after AWS finished, %s of it the lab's own, want at most 3s", over, own)
		}
		// One call a poll for all three endpoints, not one each.
		if limit := int((timing.EndpointDelete+timing.ENIRelease)/awsops.DefaultPoll) + 4; describes > limit {
			t.Errorf("%d DescribeVpcEndpoints during teardown, want at most %d", describes, limit)
		}
	})
}

// upAtDefaultCadence is a lab up on a sandbox with timing, polling at the
// default cadence (one call a second).
func upAtDefaultCadence(t *testing.T, timing sandbox.Timing) *fixture {
	t.Helper()
	f := newFixture(t, sandbox.Options{Timing: timing}, steps.Config{}, func(o *awsops.Options) { o.Poll = 0 })
	if every := f.cloud.PollEvery(); every != awsops.DefaultPoll || every > time.Second {
		t.Fatalf("poll cadence %s", every)
	}
	f.up(context.Background())
	return f
}

// TestStateReachesTheSinkAsEvents: every change of the state is published
// as an EventState carrying a copy, so a UI never has to call back into the
// Lab (and never waits for its lock); teardown publishes the empty state.
func TestStateReachesTheSinkAsEvents(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup); err != nil {
		t.Fatal(err)
	}
	// (Checking the preflight again here, where it has a warning: the
	// subnet shares the main route table, which the S3 gateway will use.
	// A warning is not a pass, and the check must not say it is.)
	if r, err := f.lab.Check(ctx, steps.StepPreflight); err != nil || !r.OK || r.Message != "no check failed; 1 warning" {
		t.Errorf("Check(preflight) with the main-table warning: %q, ok %v, %v", r.Message, r.OK, err)
	}
	var last *steps.State
	for _, e := range f.all() {
		if e.Kind == steps.EventState {
			if e.State == nil {
				t.Fatal("a state event without a state")
			}
			last = e.State
		}
	}
	if last == nil || last.SecurityGroup == nil || last.SecurityGroup.ID != f.lab.State().SecurityGroup.ID || last.Steps[steps.StepSecurityGroup].Status != "done" {
		t.Fatalf("the last state event must be the state now: %+v", last)
	}
	// A copy: changing it changes nothing in the lab.
	last.SecurityGroup.ID = "sg-changed"
	if f.lab.State().SecurityGroup.ID == "sg-changed" {
		t.Fatal("the event's state is shared with the lab")
	}
	f.reset()
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
	last = nil
	for _, e := range f.all() {
		if e.Kind == steps.EventState {
			last = e.State
		}
	}
	if last == nil || last.HasResources() || last.SecurityGroup != nil {
		t.Fatalf("teardown must publish the emptied state: %+v", last)
	}
}

// TestSkipIsNotAPass: a skipped step is saved and reported as skipped, with
// its reason; only a skippable step can be skipped; running it later makes
// it done, and skipping a done step changes nothing.
func TestSkipIsNotAPass(t *testing.T) {
	f := newFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy, steps.StepEndpoints); err != nil {
		t.Fatal(err)
	}
	if err := f.lab.Skip(steps.StepEndpoints, "no"); problem.KindOf(err) != problem.Invalid || problem.FixOf(err) == "" {
		t.Fatalf("Skip(endpoints) = %v", err)
	}
	f.reset()
	if err := f.lab.Skip(steps.StepDNS, "the learner pressed s"); err != nil {
		t.Fatal(err)
	}
	var ev []steps.Event
	for _, e := range f.all() {
		if e.Kind != steps.EventState {
			ev = append(ev, e)
		}
	}
	if len(ev) != 1 || ev[0].Kind != steps.EventSkipped || ev[0].Step != steps.StepDNS || ev[0].Reason != "the learner pressed s" || ev[0].Message != "Private DNS" {
		t.Fatalf("events %+v", ev)
	}
	status := func() steps.StepStatus {
		for _, s := range f.lab.Steps() {
			if s.ID == steps.StepDNS {
				return s.Status
			}
		}
		return ""
	}
	if got := status(); got != steps.StatusSkipped || got.Passed() {
		t.Fatalf("DNS step %q after a skip", got)
	}
	saved, err := f.store.Load()
	if err != nil || saved.Steps[steps.StepDNS].Status != steps.StatusSkipped || saved.Steps[steps.StepDNS].Message != "the learner pressed s" {
		t.Fatalf("saved %+v %v", saved.Steps[steps.StepDNS], err)
	}
	st, err := f.lab.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Steps {
		if s.ID == steps.StepDNS && s.Status != steps.StatusSkipped {
			t.Fatalf("Status: DNS %q", s.Status)
		}
	}
	if err := f.lab.Run(ctx, steps.StepDNS); err != nil || status() != steps.StatusDone {
		t.Fatalf("DNS after running it: %q %v", status(), err)
	}
	if err := f.lab.Skip(steps.StepDNS, "later"); err != nil || status() != steps.StatusDone {
		t.Fatalf("skipping a done step: %q %v", status(), err)
	}
}

// TestTeardownSubStates: teardown reports each endpoint's way out as AWS
// goes through it: deleting, deleted, then for an interface endpoint
// waiting for its network interfaces and released; only then does the
// security group go.
func TestTeardownSubStates(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{EndpointDelete: time.Second, ENIRelease: time.Second}},
		steps.Config{}, func(o *awsops.Options) { o.Poll = 20 * time.Millisecond })
	ctx := context.Background()
	f.up(ctx)
	f.reset()
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
	states := map[string][]string{}
	var groupDeleted, lastReleased int
	var releasing *steps.ResourceEvent
	for i, e := range f.all() {
		if e.Kind != steps.EventResource {
			continue
		}
		switch r := e.Resource; {
		case r.Kind == steps.KindEndpoint:
			states[r.Name] = append(states[r.Name], string(r.State))
			if r.State == steps.ResReleased {
				lastReleased = i
			}
			if r.State == steps.ResReleasing && releasing == nil {
				releasing = r
			}
		case r.Kind == steps.KindSecurityGroup && r.State == steps.ResDeleted:
			groupDeleted = i
		}
	}
	want := map[string]string{
		steps.EndpointDKR: "deleting,deleted,releasing,released",
		steps.EndpointAPI: "deleting,deleted,releasing,released",
		steps.EndpointS3:  "deleting,deleted",
	}
	for k, w := range want {
		if got := strings.Join(states[k], ","); got != w {
			t.Errorf("%s: %s, want %s", k, got, w)
		}
	}
	if releasing == nil || !strings.Contains(releasing.Detail, "eni-") || releasing.State.Label() != "waiting for its network interfaces" || releasing.Since.IsZero() {
		t.Errorf("releasing event %+v", releasing)
	}
	if groupDeleted < lastReleased {
		t.Errorf("the security group went before the endpoints' interfaces were released")
	}
}
