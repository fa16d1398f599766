package steps_test

import (
	"context"
	"strings"
	"testing"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestSecondaryCIDRIsPrivate: the workspace's subnet lies in a secondary
// CIDR block of the VPC (--world secondary-cidr), so the endpoints'
// interfaces do too. Private DNS is decided by the endpoints' own
// addresses, not by the primary block: the DNS step sees them as private
// once DNS answers with them, and the tests go through the endpoints.
func TestSecondaryCIDRIsPrivate(t *testing.T) {
	f := newFixture(t, sandbox.Options{World: sandbox.WorldSecondaryCIDR}, steps.Config{}, nil)
	ctx := context.Background()
	f.up(ctx)
	st := f.lab.State()
	if !strings.HasPrefix(st.Endpoints[steps.EndpointDKR].Addresses[0], "100.64.") || len(st.Workspace.VpcCIDRs) != 2 {
		t.Fatalf("endpoint addresses %v, VPC blocks %v: want the secondary block", st.Endpoints[steps.EndpointDKR].Addresses, st.Workspace.VpcCIDRs)
	}
	res, err := f.lab.Tests(ctx)
	if err != nil || len(res) != 3 || res[0].Outcome.Allowed {
		t.Fatalf("tests: %+v %v; want the push refused through the endpoint", res, err)
	}
}

// TestProxyInTheWayIsWarned: HTTPS_PROXY would carry the registry's and
// the API's requests around the endpoints (their policy would not apply):
// preflight warns, naming the proxy and the fix; with the ECR names in
// NO_PROXY it does not.
func TestProxyInTheWayIsWarned(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
	t.Setenv("NO_PROXY", "")
	f := newSerialFixture(t, sandbox.Options{}, steps.Config{}, nil)
	ctx := context.Background()
	if err := f.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	it, ok := checkItem(f, "proxy")
	if !ok || it.OK || !it.Warning || !strings.Contains(it.Message, "proxy.corp.example:3128") || !strings.Contains(it.Fix, "NO_PROXY") {
		t.Fatalf("proxy item %+v", it)
	}
	t.Setenv("NO_PROXY", ".amazonaws.com")
	f.reset()
	if err := f.lab.Run(ctx, steps.StepPreflight); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	if it, ok := checkItem(f, "proxy"); !ok || !it.OK {
		t.Fatalf("proxy item with NO_PROXY %+v", it)
	}
}

// checkItem is the last preflight line with that id.
func checkItem(f *fixture, id string) (steps.CheckItem, bool) {
	var it steps.CheckItem
	var ok bool
	for _, e := range f.all() {
		if e.Kind == steps.EventCheck && e.Check.ID == id {
			it, ok = *e.Check, true
		}
	}
	return it, ok
}

// TestProxyInChina: in China the ECR host names end in .amazonaws.com.cn,
// which NO_PROXY=.amazonaws.com does not cover: the proxy would still
// carry them, and the fix names China's suffix.
func TestProxyInChina(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
	t.Setenv("NO_PROXY", ".amazonaws.com")
	f := newSerialFixture(t, sandbox.Options{World: sandbox.WorldAWSCN}, steps.Config{}, nil)
	if err := f.lab.RunSteps(context.Background(), steps.StepDiscover, steps.StepPreflight); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	it, ok := checkItem(f, "proxy")
	if !ok || it.OK || !strings.Contains(it.Message, "amazonaws.com.cn") || !strings.Contains(it.Fix, "NO_PROXY=$NO_PROXY,.amazonaws.com.cn") {
		t.Fatalf("proxy item in China %+v", it)
	}
}
