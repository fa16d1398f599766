package ui

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/internal/labfixture"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// outsideOptions: the wizard on AWS (not the sandbox) from a laptop; the
// account is a sandbox playing the laptop world. sandboxed counts the
// connections made to the sandbox instead.
func outsideOptions(t *testing.T) (Options, *atomic.Int32) {
	t.Helper()
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{World: sandbox.WorldLaptop, Timing: sandbox.Instant})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	var sandboxed atomic.Int32
	place := steps.Environment{Kind: steps.EnvKind("laptop"), Title: "a laptop", Credentials: true, CredentialSource: "SharedConfigCredentials: x", Region: sb.Region()}
	opts := Options{
		Detect: func(context.Context) Detection { return Detection{Credentials: true, Region: sb.Region()} },
		Connect: func(ctx context.Context, t Target, sink func(steps.Event)) (*Connection, error) {
			if t.Sandbox {
				sandboxed.Add(1)
			}
			store := steps.NewStore(filepath.Join(dir, "state"), "aws")
			lab, err := labfixture.Lab(sb, steps.Config{Mode: "aws", EnvFile: filepath.Join(dir, ".ecr_security")}, store, steps.NewEmitter(sink))
			if err != nil {
				return nil, err
			}
			lab.SetEnvironment(place)
			return &Connection{Lab: lab, Close: func() error { return nil }}, nil
		},
	}
	return opts, &sandboxed
}

// outsideAtTheChoice starts the wizard from a laptop and walks it, with
// Enter, to where it asks whether to go on from here or use the sandbox.
func outsideAtTheChoice(t *testing.T) (*driver, *atomic.Int32) {
	t.Helper()
	opts, sandboxed := outsideOptions(t)
	d := newDriver(t, New(context.Background(), opts), 100, 32)
	d.settle()
	d.key("enter")
	d.until("the choice", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 4 })
	return d, sandboxed
}

// chooseFirstIDs, on the VPC form, takes the first VPC, subnet and
// security group (Enter on each) and waits for the preflight to pass again
// with them.
func chooseFirstIDs(t *testing.T, d *driver) {
	t.Helper()
	d.key("enter")
	d.until("the subnet form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 3 })
	d.key("enter")
	d.key("enter")
	d.until("preflight done", 20*time.Second, func(m *Model) bool {
		return m.picker == nil && !m.busy() && m.screens[scrPreflight].status == steps.StatusDone
	})
}

// TestOutsideTheVPCOffersTheSandbox: from a laptop there is no workspace;
// before the VPC is chosen the wizard says what cannot be proven from
// there and offers the sandbox, which it then connects to.
func TestOutsideTheVPCOffersTheSandbox(t *testing.T) {
	t.Parallel()
	d, sandboxed := outsideAtTheChoice(t)
	if s := d.screen(); !contains2(s, "Go on from here, or use the sandbox?", "cannot be observed", "Use the sandbox instead") {
		t.Fatalf("the choice:\n%s", s)
	}
	d.key("down")
	d.key("enter")
	d.until("a connection to the sandbox", 10*time.Second, func(*Model) bool { return sandboxed.Load() == 1 })
}

// TestOutsideTheVPCGoesOnWithTheProofsSkipped: choosing to go on, the
// learner picks the VPC; the DNS step then ends skipped, not passed.
func TestOutsideTheVPCGoesOnWithTheProofsSkipped(t *testing.T) {
	t.Parallel()
	d, sandboxed := outsideAtTheChoice(t)
	d.key("enter")
	d.until("the VPC form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 1 })
	if s := d.screen(); !strings.Contains(s, "They will be skipped, not passed.") || !strings.Contains(s, "VPC of your workspace") {
		t.Fatalf("the VPC form:\n%s", s)
	}
	// esc closes the form; with nothing chosen, Enter opens it again
	// rather than going on to steps that all need the workspace.
	d.key("esc")
	d.until("the form to close", 10*time.Second, func(m *Model) bool { return m.picker == nil })
	if s := d.screen(); d.m.cur != scrWorkspace || !strings.Contains(s, "Press Enter to choose them.") || !strings.Contains(s, "enter choose IDs") {
		t.Fatalf("the workspace screen with nothing chosen:\n%s", s)
	}
	// In a narrow window it wraps rather than losing its end.
	d.send(tea.WindowSizeMsg{Width: 70, Height: 24})
	for _, l := range strings.Split(d.screen(), "\n") {
		if ansi.StringWidth(l) > 70 {
			t.Errorf("at 70 columns, a line %d wide: %q", ansi.StringWidth(l), l)
		}
	}
	d.send(tea.WindowSizeMsg{Width: 100, Height: 32})
	d.key("enter")
	d.until("the VPC form again", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 1 })
	if d.m.cur != scrWorkspace {
		t.Fatalf("Enter with no workspace went on to %s", screens[d.m.cur].title)
	}
	chooseFirstIDs(t, d)
	if sandboxed.Load() != 0 {
		t.Fatal("connected to the sandbox")
	}
	// Back on step 1 after choosing on step 2: the screen says why.
	if s := flatText(d.screen()); d.m.cur != scrPreflight || !strings.Contains(s, "The checks ran again, for the VPC, subnet and security group you chose") {
		t.Errorf("after the IDs are chosen:\n%s", d.screen())
	}
	// Straight to DNS: its step is skipped by the lab.
	m := d.m
	m.cur = scrDNS
	d.key("enter")
	d.until("DNS settled", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrDNS].status.Settled() })
	if st := d.m.screens[scrDNS].status; st != steps.StatusSkipped || !strings.Contains(d.m.screens[scrDNS].note, "Skipped, not passed") {
		t.Fatalf("DNS ended %s (%q):\n%s", st, d.m.screens[scrDNS].note, d.screen())
	}
}

// TestOutsideTheVPCSaysTheSkipsBeforeAndAfter: from a laptop the DNS step
// and both proofs cannot be observed. Each says so before Enter (Enter
// goes on, it does not run a test), each ends skipped with the reason in
// one wording and one full stop, the push does not say "not run yet"
// once skipped, and the finish does not blame a skipped DNS alone.
func TestOutsideTheVPCSaysTheSkipsBeforeAndAfter(t *testing.T) {
	t.Parallel()
	d, _ := outsideAtTheChoice(t)
	d.key("enter")
	d.until("the VPC form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 1 })
	chooseFirstIDs(t, d)
	walkTo(t, d, scrDNS)
	for _, sid := range []screenID{scrDNS, scrPush, scrList} {
		d.until(screens[sid].title, 20*time.Second, func(m *Model) bool { return m.cur == sid && !m.busy() })
		s := flatText(d.screen())
		if !strings.Contains(s, "this step cannot be observed, so it is marked skipped, not passed.") ||
			!strings.Contains(s, "enter skip") {
			t.Errorf("%s before Enter:\n%s", screens[sid].title, d.screen())
		}
		if sid == scrDNS && (strings.Contains(s, "• s skip") || strings.Contains(s, "The lab will look up")) {
			t.Errorf("DNS from outside offers s besides Enter, or promises lookups:\n%s", d.screen())
		}
		d.key("enter")
		d.until(screens[sid].title+" skipped", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[sid].status == steps.StatusSkipped })
		if note := d.m.screens[sid].note; !strings.HasPrefix(note, "Skipped, not passed: ") || strings.Contains(note, "..") {
			t.Errorf("%s's note: %q", screens[sid].title, note)
		}
		if sid == scrPush {
			d.m.cur = scrPush
			if s := d.screen(); strings.Contains(s, "not run yet") {
				t.Errorf("the skipped push says it has yet to run:\n%s", s)
			}
		}
		if sid != scrList {
			d.key("enter") // on to the next step
		}
	}
	walkTo(t, d, scrFinish)
	if s := flatText(d.screen()); strings.Contains(s, "DNS was skipped") || !strings.Contains(s, "neither private DNS nor the policy could be observed") {
		t.Errorf("the finish from a laptop:\n%s", d.screen())
	}
}

// TestS3GatewayRefusalNamesTheEndpoint: another team's S3 gateway on the
// route table refuses ECR's layer bucket, so the push test cannot copy
// team-a/alpine:v1. The fix names that gateway, which the run has adopted,
// by its ID rather than a placeholder the learner must look up, and says
// how to get the s3-policy.json its command reads.
func TestS3GatewayRefusalNamesTheEndpoint(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{S3GatewayPolicy: true}})
	m, d := startWizard(t, opts, 100, 40)
	walkTo(t, d, scrPolicy)
	for range 3 {
		d.key("enter")
		d.settle()
	}
	d.until("the policy to be applied", 20*time.Second, func(m *Model) bool { return m.screens[scrPolicy].status == steps.StatusDone && !m.busy() })
	walkTo(t, d, scrPush)
	d.key("enter")
	d.until("the push test to fail", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrPush].status == steps.StatusFailed })
	gw := m.st.Endpoints[steps.EndpointS3]
	if gw == nil || gw.Created {
		t.Fatalf("the run's S3 gateway: %+v, want the one it adopted", gw)
	}
	if s := flatText(d.screen()); strings.Contains(s, "<the S3 gateway endpoint's id>") || !strings.Contains(s, "--vpc-endpoint-id "+gw.ID) ||
		!strings.Contains(s, "--vpc-endpoint-ids "+gw.ID+" --query 'VpcEndpoints[0].PolicyDocument' --output text > s3-policy.json") {
		t.Errorf("the push test's fix does not name %s:\n%s", gw.ID, d.screen())
	}
}

// TestNoWorkspaceHereIsNotAFailure: outside the VPC there is no workspace
// to discover, and the wizard opens the choice of IDs. Step 1 is not
// marked ✗ for it, and back on it, with the choice put off, the screen
// says what Enter does rather than "there is no workspace … ✗" and
// "try again".
func TestNoWorkspaceHereIsNotAFailure(t *testing.T) {
	t.Parallel()
	d, _ := outsideAtTheChoice(t)
	d.key("enter")
	d.until("the VPC form", 10*time.Second, func(m *Model) bool { return m.picker != nil && m.picker.stage == 1 })
	d.key("esc")
	d.until("the form to close", 10*time.Second, func(m *Model) bool { return m.picker == nil })
	if st := d.m.screens[scrPreflight].status; st == steps.StatusFailed {
		t.Errorf("step 1 is marked failed:\n%s", d.screen())
	}
	d.key("up")
	s := d.screen()
	if d.m.cur != scrPreflight || strings.Contains(s, "✗") || strings.Contains(s, "try again") ||
		!strings.Contains(flatText(s), "There is no workspace to discover here: press Enter to choose the VPC, subnet and security group.") {
		t.Errorf("back on step 1:\n%s", s)
	}
	d.key("enter")
	d.until("the choice again", 10*time.Second, func(m *Model) bool { return m.picker != nil })
}

// TestPreflightRefusalIsLabelledAPermission: a role that may create but
// not tag (--fault-tag-policy) fails preflight on the permissions check;
// its fix is labelled a missing permission, not "not valid".
func TestPreflightRefusalIsLabelledAPermission(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{TagPolicy: true}})
	_, d := startWizard(t, opts, 100, 40)
	d.key("enter")
	d.until("preflight to fail", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrPreflight].status == steps.StatusFailed })
	if s := flatText(d.screen()); !strings.Contains(s, "→ [permission missing] your role lacks ec2:CreateTags") || strings.Contains(s, "[not valid]") {
		t.Errorf("the refused preflight:\n%s", d.screen())
	}
}
