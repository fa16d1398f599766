package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
)

// referencedTeardown is a wizard on a sandbox where another team's group
// refers to the lab's (--fault-sg-referenced), walked to the endpoints,
// torn down once: the teardown stops on the group. held are the messages
// holdEvents kept back (nil when it did not).
func referencedTeardown(t *testing.T, w, h int, holdEvents bool) (m *Model, d *driver, sb *sandbox.Sandbox, held []tea.Msg, fix string) {
	t.Helper()
	opts, sb, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{SGReferenced: true}})
	m, d = startWizard(t, opts, w, h)
	walkTo(t, d, scrEndpoints)
	d.key("enter")
	d.settle()
	d.key("T")
	d.key("y")
	if !holdEvents {
		d.until("the teardown to stop on the group", 20*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() && m.tdErr != "" })
		d.settle()
		return m, d, sb, nil, m.tdFix
	}
	// The engine's events reach the model after the teardown's end, as
	// they may in the program (two goroutines race to the runtime).
	deadline := time.After(20 * time.Second)
	for {
		select {
		case msg := <-d.msgs:
			if _, ok := msg.(eventsMsg); ok {
				held = append(held, msg)
				continue
			}
			d.send(msg)
			if done, ok := msg.(opDoneMsg); ok && done.kind == opTeardown {
				return m, d, sb, held, problem.FixOf(done.res.err)
			}
		case <-deadline:
			t.Fatalf("the teardown did not end:\n%s", d.screen())
		}
	}
}

// revokeReference removes the other team's rule that holds the lab's
// group, as the fix says (the test acts as the learner in another shell).
func revokeReference(t *testing.T, sb *sandbox.Sandbox, fix string) {
	t.Helper()
	_, rest, _ := strings.Cut(fix, "--group-id ")
	_, rule, _ := strings.Cut(fix, "--security-group-rule-ids ")
	if rest == "" || rule == "" {
		t.Fatalf("the fix names no rule to revoke: %q", fix)
	}
	cr := sb.Credentials()
	c := ec2.New(ec2.Options{Region: sb.Region(), BaseEndpoint: aws.String(sb.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)})
	if _, err := c.RevokeSecurityGroupEgress(context.Background(), &ec2.RevokeSecurityGroupEgressInput{
		GroupId: aws.String(strings.Fields(rest)[0]), SecurityGroupRuleIds: []string{strings.Fields(rule)[0]}}); err != nil {
		t.Fatal(err)
	}
}

// TestTeardownAgainShowsOnlyItsOwnEvents: a teardown stopped on the group
// another team's rule refers to; the learner removes the rule and tears
// down again at once. The first teardown's last events (its failure, the
// group's failed line) reached the wizard after its end and were taken
// for the second's: the second, which deleted the group, showed the first
// one's DependencyViolation and the rule that was gone. The steps engine
// and the sandbox had it right (a second Teardown on the same Lab
// succeeds, steps/referenced_test.go): the stale view was the wizard's, an
// operation's end overtaking its own events. It now ends after them.
func TestTeardownAgainShowsOnlyItsOwnEvents(t *testing.T) {
	t.Parallel()
	m, d, sb, held, fix := referencedTeardown(t, 80, 24, true)
	if len(held) == 0 {
		t.Fatal("no engine events were held back: the test shows nothing")
	}
	revokeReference(t, sb, fix)
	// Again at once (what the wizard's retry does), then the late events.
	started := false
	if cmd := m.startTeardown(); cmd != nil {
		started = true
		d.exec(cmd)
	}
	for _, msg := range held {
		d.send(msg)
	}
	d.settle()
	if !started {
		d.exec(m.startTeardown())
	}
	d.until("the second teardown", 20*time.Second, func(m *Model) bool { return m.phase == phaseTeardown && !m.busy() && m.tdReport != nil })
	d.settle()
	s := d.screen()
	if m.tdErr != "" || strings.Contains(s, "refers to") || strings.Contains(s, "DependencyViolation") || !strings.Contains(flatText(s), "Nothing left") {
		t.Fatalf("the second teardown shows the first one's failure (tdErr %q):\n%s", m.tdErr, s)
	}
}

// TestTeardownStoppedShortOffersRetry: a teardown that stopped on the group
// another team's rule refers to offers r, in the help bar, in the fix and
// above the way out, with what stays if the learner leaves now (in the
// words the note printed on leaving uses). r runs the teardown again, with
// its progress lines anew: while the rule is there it stops again; once
// the learner has removed it, everything goes. Before, the only key was
// Enter, which quit.
func TestTeardownStoppedShortOffersRetry(t *testing.T) {
	t.Parallel()
	m, d, sb, _, fix := referencedTeardown(t, 80, 24, false)
	s := d.screen()
	flat := flatText(s)
	left := "Still there (none of it bills): the security group ECR_VPCE_SG."
	for _, want := range []string{"r tear down again", "then press r to tear down again", left, "Press r to tear down again, or Enter to quit."} {
		if !strings.Contains(flat, want) {
			t.Errorf("the stopped teardown lacks %q:\n%s", want, s)
		}
	}
	if last := lastLine(s); !strings.HasPrefix(strings.TrimSpace(last), "r tear down again") {
		t.Errorf("the help bar does not lead with r: %q", last)
	}
	deletes := func() int {
		n := 0
		for _, c := range sb.Calls() {
			if c.Action == "DeleteSecurityGroup" && !c.DryRun {
				n++
			}
		}
		return n
	}

	// r with the rule still there: the teardown runs again, and stops
	// again, on its own lines.
	before := deletes()
	d.key("r")
	if !m.busy() {
		t.Fatalf("r did not start the teardown again:\n%s", d.screen())
	}
	if s := d.screen(); strings.Contains(s, "DependencyViolation") {
		t.Errorf("the teardown run again shows the last one's failure while it runs:\n%s", s)
	}
	d.until("the teardown run again", 20*time.Second, func(m *Model) bool { return !m.busy() && m.tdReport != nil })
	d.settle()
	if deletes() == before || m.tdErr == "" || !strings.Contains(d.screen(), "ECR_VPCE_SG") {
		t.Fatalf("r: %d deletes before, %d after, error %q:\n%s", before, deletes(), m.tdErr, d.screen())
	}

	// The learner removes the rule, as the fix says; r then finishes.
	revokeReference(t, sb, fix)
	d.key("r")
	d.until("the last teardown", 20*time.Second, func(m *Model) bool { return !m.busy() && m.tdReport != nil })
	d.settle()
	s = d.screen()
	if m.tdErr != "" || !strings.Contains(flatText(s), "Nothing left") || strings.Contains(lastLine(s), "r tear down again") {
		t.Fatalf("after the rule went, r: %q\n%s", m.tdErr, s)
	}
}

// TestQuitAfterAStoppedTeardownSaysWhatStays: Enter after a teardown that
// stopped short quits; the note says what is still there and whether it
// bills, and the failure's fix names the command that tears down again,
// not the key of a wizard that has closed.
func TestQuitAfterAStoppedTeardownSaysWhatStays(t *testing.T) {
	t.Parallel()
	m, d, _, _, _ := referencedTeardown(t, 80, 24, false)
	d.key("enter")
	if !d.quit && !m.quitting {
		t.Fatalf("Enter did not quit:\n%s", d.screen())
	}
	note := strings.Join(strings.Fields(m.ExitNote()), " ")
	if !strings.Contains(note, "Still there (none of it bills): the security group ECR_VPCE_SG.") ||
		!strings.Contains(note, "ecr-vpce-lab down --sandbox --yes") {
		t.Errorf("the note on leaving: %q", m.ExitNote())
	}
	fix := problem.FixOf(m.ExitErr())
	if !strings.Contains(fix, "then run 'ecr-vpce-lab down --sandbox --yes' again") || strings.Contains(fix, "press r") {
		t.Errorf("the failure quit on says %q", fix)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
