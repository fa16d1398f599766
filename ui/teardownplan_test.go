package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// TestTeardownDialogNamesWhatStays: a run that adopted another team's S3
// gateway (--fault-s3-gateway-policy) keeps it at teardown. The confirm
// dialog said "The 3 endpoints … will be deleted" all the same; it now
// names the two the lab made as the ones to go and the gateway as the one
// that stays, and why. What the teardown then reports deleted and kept is
// what the dialog said: both read the same plan.
func TestTeardownDialogNamesWhatStays(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{S3GatewayPolicy: true}})
	m, d := startWizard(t, opts, 80, 24)
	walkTo(t, d, scrEndpoints)
	d.key("enter")
	d.until("the endpoints", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrEndpoints].status.MovedOn() })
	d.settle()
	gw := m.st.Endpoints[steps.EndpointS3]
	if gw == nil || gw.Created {
		t.Fatalf("the run's S3 gateway: %+v, want the one it adopted", gw)
	}
	d.key("T")
	dialog := flatBox(d.screen())
	for _, want := range []string{
		"The ecr.dkr and ecr.api endpoints, the rule and the security group will be deleted",
		"The s3 gateway endpoint " + gw.ID + " stays: the lab found it there and did not create it.",
	} {
		if !strings.Contains(dialog, want) {
			t.Errorf("the dialog lacks %q:\n%s", want, d.screen())
		}
	}
	if strings.Contains(dialog, "3 endpoints") {
		t.Errorf("the dialog counts the kept gateway among what goes:\n%s", d.screen())
	}
	d.key("y")
	d.until("the teardown", 30*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() && m.tdReport != nil })
	rep := m.tdReport
	if m.tdErr != "" || !rep.Nothing() {
		t.Fatalf("teardown: %s\n%s", m.tdErr, d.screen())
	}
	for _, e := range rep.Deleted {
		if e.Kind == steps.KindEndpoint && !strings.Contains(dialog, e.Name) {
			t.Errorf("the teardown deleted %s (%s), which the dialog did not name", e.Name, e.ID)
		}
		if e.ID == gw.ID {
			t.Errorf("the teardown deleted the gateway the dialog said stays")
		}
	}
	kept := false
	for _, e := range rep.Kept {
		kept = kept || e.ID == gw.ID
		if !strings.Contains(dialog, e.ID) {
			t.Errorf("the teardown kept %s, which the dialog did not say", e.ID)
		}
	}
	if !kept {
		t.Errorf("the teardown did not keep %s: %+v", gw.ID, rep.Kept)
	}
}

// TestFinishBillsOnlyOnAWS: the finish step's opening words, and the
// accessible mode's, said "Interface endpoints are billed for every hour
// they exist" on the sandbox too, which bills nothing. On the sandbox they
// now say what AWS would do, framed as the sandbox's cost lines are ("On
// AWS: …; the sandbox bills nothing"); on AWS they are as they were.
func TestFinishBillsOnlyOnAWS(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 80, 24, false)
	const aws = "Interface endpoints are billed for every hour they exist, so tear them down when you are done."
	const sandbox = "On AWS: interface endpoints are billed for every hour they exist; the sandbox bills nothing."
	st := steps.State{Endpoints: map[string]*steps.Record{steps.EndpointDKR: {ID: "vpce-1", Created: true}}, Rule: &steps.Record{ID: "sgr-1", Created: true}}
	for _, onSandbox := range []bool{true, false} {
		f.m.c.Sandbox = onSandbox
		want, not := aws, sandbox
		if onSandbox {
			want, not = sandbox, aws
		}
		for where, words := range map[string]string{"finish step": f.m.introFor(scrFinish), "accessible": finishWords(st, onSandbox)} {
			if !strings.Contains(words, want) || strings.Contains(words, not) || onSandbox && strings.Contains(words, "Interface endpoints are billed") {
				t.Errorf("%s, sandbox %v: %q", where, onSandbox, words)
			}
		}
	}
}

// TestWelcomeBackAfterAStoppedTeardownBillsOnlyOnAWS: a run whose teardown
// stopped part way said on the welcome back screen that what is left "may
// still be billing", on the sandbox too, which bills nothing.
func TestWelcomeBackAfterAStoppedTeardownBillsOnlyOnAWS(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 80, 24, false)
	f.done(scrPreflight, scrWorkspace, scrSecurityGroup)
	f.m.phase = phaseResume
	f.m.st.TeardownStarted = time.Now()
	for _, onSandbox := range []bool{true, false} {
		f.m.c.Sandbox = onSandbox
		s := flatText(ansi.Strip(f.m.render()))
		billing := strings.Contains(s, "what is left may still be billing.")
		framed := strings.Contains(s, "on AWS what is left might still be billing; the sandbox bills nothing.")
		if !strings.Contains(s, "was stopped before the end") || billing == onSandbox || framed != onSandbox {
			t.Errorf("welcome back after a stopped teardown, sandbox %v:\n%s", onSandbox, s)
		}
	}
}
