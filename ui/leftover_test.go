package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// labEndpoints gives the fuzzer's lab the three endpoints, the interface
// ones in state, created at made; the group and its rule.
func labEndpoints(f *fuzzer, state steps.ResourceState, made time.Time) {
	f.withPolicy()
	f.m.st.Workspace = steps.Workspace{VpcID: "vpc-1", SubnetID: "subnet-1", SecurityGroupID: "sg-1", RouteTableID: "rtb-1", AZ: "us-west-2a"}
	f.m.st.SecurityGroup = &steps.Record{ID: "sg-2", Name: "ECR_VPCE_SG", Created: true, CreatedAt: made}
	f.m.st.Rule = &steps.Record{ID: "sgr-1", Created: true, CreatedAt: made}
	f.m.st.Endpoints = map[string]*steps.Record{}
	for _, k := range steps.EndpointKeys {
		r := &steps.Record{ID: "vpce-" + strings.ReplaceAll(k, ".", ""), Name: k, Type: "Interface" /* awsops.Interface; ui does not import awsops */, Created: true, CreatedAt: made, AZs: 1, State: state}
		if k == steps.EndpointS3 {
			r.Type, r.State = "Gateway", steps.ResAvailable
		}
		f.m.st.Endpoints[k] = r
		// The lines the endpoints screen draws, as the engine sends them.
		f.update(eventMsg(steps.Event{Kind: steps.EventResource, Step: steps.StepEndpoints, Time: made,
			Resource: &steps.ResourceEvent{Kind: steps.KindEndpoint, ID: r.ID, Name: k, State: r.State, Since: made}}))
	}
	f.m.st.ExpiresAt = f.m.awsNow().Add(3*time.Hour + 30*time.Minute)
}

// TestBusyQuitOnAWSSaysWhatBills: q while the endpoints are being created
// on AWS asks, and the dialog names the endpoints a quit leaves billing
// and their hourly cost, not only that the work stops safely; q during a
// teardown says the endpoints being deleted no longer bill by the hour.
// At 60×16 the words that bill and the keys stay in sight.
func TestBusyQuitOnAWSSaysWhatBills(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		kind  opKind
		state steps.ResourceState
		want  []string
	}{
		{"creating the endpoints", opStep, steps.ResPending, []string{"Work is in progress; it stops safely and is saved.",
			"Still there: the ecr.dkr and ecr.api interface endpoints (about $0.02 per hour, $0.02 so far), the s3 gateway endpoint and the security group ECR_VPCE_SG with its rule."}},
		{"tearing down", opTeardown, steps.ResDeleting, []string{"The teardown stops safely where it is, and is saved.",
			"Still there: the ecr.dkr and ecr.api interface endpoints, being deleted (no longer billed by the hour, $0.02 so far)"}},
	} {
		for _, size := range [][2]int{{80, 24}, {60, 16}} {
			f := offlineFuzzer(t, size[0], size[1], false)
			f.m.c.Sandbox = false // as on AWS, where they bill
			labEndpoints(f, tc.state, f.m.awsNow().Add(-10*time.Minute))
			f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress, scrPolicy)
			f.m.goTo(scrEndpoints)
			if tc.kind == opTeardown {
				f.m.phase = phaseTeardown
			}
			f.m.op = &inflight{kind: tc.kind, seq: 99, cancel: func() {}}
			f.press("q")
			s := ansi.Strip(f.m.render())
			want := tc.want
			if size[1] < TallHeight {
				want = want[1:] // what bills before the busy words
			}
			for _, w := range want {
				if f.m.overlay != overlayConfirmQuit || !strings.Contains(flatText(s), w) {
					t.Errorf("%s, %dx%d: the quit dialog does not say %q:\n%s", tc.name, size[0], size[1], w, s)
				}
			}
			if !strings.Contains(s, "y yes, quit") || !strings.Contains(s, "╰") || strings.Contains(s, "sandbox") || strings.Contains(s, "…") {
				t.Errorf("%s, %dx%d: the quit dialog's keys or its end are out of sight, or it speaks of a sandbox:\n%s", tc.name, size[0], size[1], s)
			}
		}
	}
}

// TestSandboxCostLinesSayTheSandboxBillsNothing: on the sandbox every cost
// figure is what AWS would bill, and says so: the header ("on AWS: $…",
// on one line), the endpoints and finish screens ("On AWS: …; the sandbox
// bills nothing."), the welcome back, the quit dialog and the note on
// leaving; at 80×24 and 60×16. Step 1 says nothing is billed: a bare
// "$0.02 so far" read as the sandbox's bill.
func TestSandboxCostLinesSayTheSandboxBillsNothing(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {60, 16}} {
		f := offlineFuzzer(t, size[0], size[1], false)
		if !f.m.c.Sandbox {
			t.Fatal("the offline lab is not the sandbox")
		}
		labEndpoints(f, steps.ResAvailable, f.m.awsNow().Add(-10*time.Minute))
		f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress, scrPolicy, scrEndpoints)
		// framed: each figure ($) in the text is after "on AWS:" and
		// before "the sandbox bills nothing".
		framed := func(where, text string) {
			t.Helper()
			flat := strings.ToLower(flatText(text))
			first, last := strings.Index(flat, "$"), strings.LastIndex(flat, "$")
			on, nothing := strings.Index(flat, "on aws: "), strings.LastIndex(flat, "the sandbox bills nothing")
			if first < 0 || on < 0 || on > first || nothing < last {
				t.Errorf("%dx%d, %s: a cost figure not framed as AWS's:\n%s", size[0], size[1], where, text)
			}
		}
		for _, sc := range []screenID{scrEndpoints, scrFinish} {
			f.m.goTo(sc)
			f.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			lines := strings.Split(ansi.Strip(f.m.render()), "\n")
			if h := lines[0]; !strings.Contains(h, "SANDBOX") || !strings.Contains(h, "on AWS: $0.02 so far") || ansi.StringWidth(h) != size[0] {
				t.Errorf("%dx%d, %s: the header: %q", size[0], size[1], screens[sc].title, h)
			}
			framed(screens[sc].title, strings.Join(lines[1:], "\n"))
		}
		// While the endpoints are being created: the wait's line takes
		// room, and the frame's end must not be what a short window cuts.
		f.m.goTo(scrEndpoints)
		for _, r := range f.m.st.Endpoints {
			if r.Type == "Interface" {
				r.State = steps.ResPending
			}
		}
		f.m.op = &inflight{kind: opStep, seq: 99, screen: scrEndpoints, step: steps.StepEndpoints, cancel: func() {}, started: f.m.now}
		framed("the endpoints being created", strings.Join(strings.Split(ansi.Strip(f.m.render()), "\n")[1:], "\n"))
		f.press("q")
		framed("the quit dialog", ansi.Strip(f.m.render()))
		f.press("n")
		framed("the note on leaving", f.m.leavingNote())
		f.m.phase = phaseResume
		framed("welcome back", ansi.Strip(f.m.render()))
	}
}
