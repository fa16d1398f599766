package steps_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// creates counts the successful calls of an EC2 action the sandbox served.
func (f *fixture) creates(action string) int {
	n := 0
	for _, c := range f.sb.Calls() {
		if c.Action == action && c.ErrorCode == "" && !c.DryRun {
			n++
		}
	}
	return n
}

// notFounds counts the calls the sandbox answered with a NotFound (as EC2
// answers a read that lags a write).
func (f *fixture) notFounds() int {
	n := 0
	for _, c := range f.sb.Calls() {
		if strings.HasSuffix(c.ErrorCode, ".NotFound") {
			n++
		}
	}
	return n
}

// TestReadsLagWrites: EC2's reads lag its writes (the sandbox's ReadLag):
// the ingress rule right after the group, the endpoints right after it,
// the wait right after the creates, the deletes right after them and the
// final "nothing left" all meet NotFound for what was created (or still
// find what was deleted) moments ago. The lab retries, creates one of
// each, and leaves nothing.
func TestReadsLagWrites(t *testing.T) {
	t.Parallel()
	// Each resource's lag is drawn from [0, ReadLag] by its id, and ids
	// differ from world to world: a lag drawn near zero has passed before
	// the next call on a loaded machine, and then that world shows the
	// learner nothing to be told about. Such a world is tried again.
	for attempt := 1; attempt <= 5; attempt++ {
		if readsLagWrites(t) {
			return
		}
		t.Logf("attempt %d: every lag had passed before the calls that would meet it; a new world", attempt)
	}
	t.Fatal("in five worlds no call right after a create met EC2's lag")
}

// readsLagWrites runs the lab in a world with a read lag and checks it;
// false when no call that names what was just created met the lag.
func readsLagWrites(t *testing.T) bool {
	f := anotherFixture(t, sandbox.Options{Timing: sandbox.Timing{ReadLag: time.Second, Seed: 3}}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	upCalls, upEvents := f.sb.Calls(), f.all()
	if _, err := f.lab.Tests(ctx); err != nil {
		t.Fatalf("Tests: %v", err)
	}
	// Down at once: the group was created moments ago, and is deleted
	// moments before the check that nothing is left.
	rep, err := f.lab.Teardown(ctx, steps.TeardownOptions{})
	if err != nil {
		t.Fatalf("Teardown: %v (left %+v)", err, rep.Left)
	}
	if n := f.creates("CreateVpcEndpoint"); n != 3 {
		t.Errorf("%d endpoints created; want one of each", n)
	}
	if n := f.creates("CreateSecurityGroup"); n != 1 {
		t.Errorf("%d security groups created; want one", n)
	}
	if f.notFounds() == 0 {
		t.Error("no call met a NotFound: the sandbox's read lag did not show")
	}
	// Every wait of up's on EC2's lag is told, on the step's lines and in
	// the same words, naming what EC2 does not know yet: the group as the
	// rule and the endpoints name it, the endpoints as their wait polls.
	told := func(s steps.StepID, what string) bool {
		for _, e := range upEvents {
			if e.Kind == steps.EventDetail && e.Step == s && strings.HasPrefix(e.Message, "EC2 does not know "+what) &&
				strings.Contains(e.Message, "its reads lag its writes") {
				return true
			}
		}
		return false
	}
	met := map[string]int{}
	for _, c := range upCalls {
		if strings.HasSuffix(c.ErrorCode, ".NotFound") {
			met[c.Action]++
		}
	}
	for action, n := range met {
		var ok bool
		switch action {
		case "AuthorizeSecurityGroupIngress":
			ok = told(steps.StepIngress, "sg-")
		case "CreateVpcEndpoint":
			ok = told(steps.StepEndpoints, "sg-")
		case "CreateTags": // a create's tags, recorded beside it
			continue
		case "DescribeVpcEndpoints":
			// A poll describes all the endpoints at once, then, at a
			// NotFound, each alone: one NotFound whose endpoint was known
			// by the describes of each is no wait. A second is one.
			if n < 2 {
				delete(met, action)
				continue
			}
			ok = told(steps.StepEndpoints, "the ecr.dkr endpoint vpce-") || told(steps.StepEndpoints, "the ecr.api endpoint vpce-") ||
				told(steps.StepEndpoints, "the s3 endpoint vpce-")
		default:
			t.Errorf("up met EC2's lag in %s", action)
			continue
		}
		if !ok {
			t.Errorf("up met EC2's lag in %s and did not say so", action)
		}
	}
	t.Logf("up met the lag in %v", met)
	// Down's last look (is anything tagged left?) waits while EC2 still
	// lists what it deleted moments ago: said too, or the learner watches
	// a silent pause. Each look describes the groups once, and nothing
	// after the group's delete describes them but the look.
	looks := 0
	for _, c := range f.sb.Calls() {
		switch {
		case c.Action == "DeleteSecurityGroup" && c.ErrorCode == "":
			looks = 0
		case c.Action == "DescribeSecurityGroups":
			looks++
		}
	}
	stillListed := false
	for _, e := range f.all() {
		stillListed = stillListed || e.Kind == steps.EventDetail && e.Step == steps.StepTeardown &&
			strings.HasPrefix(e.Message, "EC2 still lists the security group sg-") && strings.Contains(e.Message, "the check that nothing is left looks again")
	}
	if looks > 1 && !stillListed {
		t.Errorf("down looked %d times for what is left, waiting for EC2 to stop listing the group, and did not say so", looks)
	}
	t.Logf("down looked %d times for what is left", looks)
	// A world where up met it after the group's create and after the
	// endpoints' is the one this test is about.
	return (met["AuthorizeSecurityGroupIngress"] > 0 || met["CreateVpcEndpoint"] > 0) && met["DescribeVpcEndpoints"] > 0
}

// TestQuickRerunKeepsTheEndpoints: up stopped right after the endpoints
// were created, and run again at once, finds EC2 not listing them yet: it
// waits for them instead of creating a second of each.
func TestQuickRerunKeepsTheEndpoints(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{ReadLag: time.Second, EndpointAvailable: 1500 * time.Millisecond, Seed: 5}}, steps.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	recorded := 0
	f.onEv = func(e steps.Event) {
		if e.Kind == steps.EventResource && e.Resource.Kind == steps.KindEndpoint && e.Resource.ID != "" && e.Resource.State != steps.ResCreating {
			if recorded++; recorded == 3 {
				cancel()
			}
		}
	}
	err := f.lab.Up(ctx)
	if problem.KindOf(err) != problem.Canceled {
		t.Fatalf("first up: %v; want it stopped", err)
	}
	f.onEv = nil
	if err := f.lab.Up(context.Background()); err != nil {
		t.Fatalf("up again at once: %v", err)
	}
	if n := f.creates("CreateVpcEndpoint"); n != 3 {
		t.Errorf("%d endpoints created; want one of each", n)
	}
	if n := f.countEndpoints(f.sb.Workspace().VpcID); n != 3 {
		t.Errorf("%d endpoints in the VPC; want 3", n)
	}
}

// TestWaitFailsAtOnceOnADeletedEndpoint: an endpoint deleted by someone
// while the lab waits for it ends the wait at once, not after the fifteen
// minutes the wait allows.
func TestWaitFailsAtOnceOnADeletedEndpoint(t *testing.T) {
	f := newFixture(t, sandbox.Options{Timing: sandbox.Timing{EndpointAvailable: 30 * time.Second, EndpointDelete: 2 * time.Second, ENIRelease: 2 * time.Second}}, steps.Config{},
		func(o *awsops.Options) { o.EndpointWait = 20 * time.Second })
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy); err != nil {
		t.Fatal(err)
	}
	f.onEv = func(e steps.Event) {
		if e.Kind == steps.EventResource && e.Resource.Kind == steps.KindEndpoint && e.Resource.Name == steps.EndpointAPI && e.Resource.ID != "" {
			go func() { _, _, _ = f.cloud.DeleteEndpoints(context.Background(), []string{e.Resource.ID}) }()
		}
	}
	start := time.Now()
	err := f.lab.Run(ctx, steps.StepEndpoints)
	if took := time.Since(start); err == nil || took > 10*time.Second {
		t.Fatalf("the wait ended after %s with %v; want an error at once", took, err)
	}
	if code := problem.CodeOf(err); code != "EndpointDeleted" {
		t.Errorf("error %v (code %q); want EndpointDeleted", err, code)
	}
	var se *steps.StepError
	if !errors.As(err, &se) || !strings.Contains(se.Fix, "'up' again") {
		t.Errorf("fix %q", se.Fix)
	}
}

// TestUpAfterAFailedDownUsesFreshTokens: a 'down' that deleted the
// endpoints but failed on the group leaves the state behind; the next 'up'
// creates the endpoints anew, never with a ClientToken of a deleted one
// (AWS would answer with the deleted endpoint, or IdempotentParameterMismatch).
func TestUpAfterAFailedDownUsesFreshTokens(t *testing.T) {
	var refuse atomic.Bool
	sbo := sandbox.Options{Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
		if refuse.Load() && r.Action == "DeleteSecurityGroup" {
			return &sandbox.APIError{Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
		}
		return nil
	}}}
	f := newFixture(t, sbo, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	refuse.Store(true)
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err == nil {
		t.Fatal("Teardown succeeded; want it to fail on the group")
	}
	refuse.Store(false)
	if st := f.lab.State(); len(st.Endpoints) != 0 || st.SecurityGroup == nil {
		t.Fatalf("after the failed down: %+v", st)
	}
	if err := f.lab.Up(ctx); err != nil {
		t.Fatalf("Up after the failed down: %v", err)
	}
	if n := f.countEndpoints(f.sb.Workspace().VpcID); n != 3 {
		t.Fatalf("%d endpoints; want 3", n)
	}
}

// TestExpiryRightAfterTheGroup: a new expiry chosen moments after the
// group's create meets EC2 not knowing the group yet: the lab waits that
// out, says so, and tags it, rather than failing with EC2's NotFound.
func TestExpiryRightAfterTheGroup(t *testing.T) {
	t.Parallel()
	// The group's lag is drawn from [0, ReadLag] by its id: one drawn
	// near zero has passed before the expiry's tags, and then a new world.
	for attempt := 1; attempt <= 5; attempt++ {
		f := anotherFixture(t, sandbox.Options{Timing: sandbox.Timing{ReadLag: 3 * time.Second}}, steps.Config{}, nil)
		ctx := context.Background()
		if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight, steps.StepSecurityGroup); err != nil {
			t.Fatal(err)
		}
		before := len(f.sb.Calls())
		if err := f.lab.SetExpiry(ctx, 2*time.Hour); err != nil {
			t.Fatalf("a new expiry right after the group: %v", err)
		}
		met := false
		for _, c := range f.sb.Calls()[before:] {
			met = met || c.Action == "CreateTags" && strings.HasSuffix(c.ErrorCode, ".NotFound")
		}
		if !met {
			t.Logf("attempt %d: the group's lag had passed before the expiry's tags", attempt)
			continue
		}
		told := false
		for _, e := range f.all() {
			told = told || e.Kind == steps.EventDetail && strings.HasPrefix(e.Message, "EC2 does not know sg-") && strings.Contains(e.Message, "its reads lag its writes")
		}
		if !told {
			t.Error("the wait for EC2 to know the group was not said")
		}
		sgs, err := f.cloud.TaggedSecurityGroups(ctx, steps.ExpiresTagKey, "")
		if err != nil || len(sgs) != 1 {
			t.Errorf("groups tagged with the expiry: %v %v", sgs, err)
		}
		return
	}
	t.Fatal("in five worlds the group's lag had passed before the expiry's tags")
}
