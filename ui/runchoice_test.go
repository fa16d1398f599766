package ui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"ecr-vpce-lab/steps"
)

// twoRuns is what Connect says when the state file is gone and two runs of
// the lab are found by their tags.
func twoRuns() *steps.RunChoiceError {
	return &steps.RunChoiceError{Region: "us-west-2", Runs: []steps.RunSummary{
		{RunID: "run0first", VpcID: "vpc-1", Started: time.Now().Add(-30 * time.Minute),
			Resources: []steps.ResourceStatus{{Kind: steps.KindSecurityGroup, ID: "sg-1", Name: "ECR_VPCE_SG"}}},
		{RunID: "run0second", VpcID: "vpc-1",
			Resources: []steps.ResourceStatus{{Kind: steps.KindSecurityGroup, ID: "sg-2", Name: "ECR_VPCE_SG_2"}}},
	}}
}

// TestSeveralRunsAreChosenFromAList: with no state file and two runs found
// by their tags, the wizard lists them and the learner picks one with the
// arrows (or j/k); Enter connects again with that run. Before, the wizard
// stopped with "say which with --run ID".
func TestSeveralRunsAreChosenFromAList(t *testing.T) {
	t.Parallel()
	base, _ := sandboxOptions(t)
	var mu sync.Mutex
	var targets []Target
	opts := base
	opts.Connect = func(ctx context.Context, tg Target, sink func(steps.Event)) (*Connection, error) {
		mu.Lock()
		targets = append(targets, tg)
		mu.Unlock()
		if tg.Run == "" {
			// As the cli says it: an exit error wrapping the choice.
			return nil, errors.Join(errors.New("exit 2"), twoRuns())
		}
		return base.Connect(ctx, tg, sink)
	}
	d := newDriver(t, New(context.Background(), opts), 100, 30)
	d.until("the list of runs", 10*time.Second, func(m *Model) bool { return m.phase == phaseChooseRun })
	s := d.screen()
	if !contains2(s, "Which run is yours?", "2 runs of this lab were found in us-west-2", "> run run0first in vpc-1, started ", " minutes ago: security group sg-1",
		"run run0second in vpc-1, age unknown", "enter carry on with this run", "'ecr-vpce-lab down --run ID' removes one") {
		t.Fatalf("the list:\n%s", s)
	}
	// ↓ past the end stays on the last; ↑ and k move back; j down again.
	for _, k := range []string{"down", "down", "up", "k", "j"} {
		d.key(k)
	}
	if s := d.screen(); !strings.Contains(s, "> run run0second") {
		t.Fatalf("after down, down, up, k, j the cursor should be on the second run:\n%s", s)
	}
	d.key("enter")
	d.until("the lab", 20*time.Second, func(m *Model) bool { return m.phase == phaseLab || m.phase == phaseFatal })
	mu.Lock()
	defer mu.Unlock()
	if len(targets) != 2 || targets[1] != (Target{Sandbox: true, Run: "run0second", RetryTeardown: "press r to tear down again"}) {
		t.Fatalf("Connect was asked for %+v; want a second connection to run0second on the sandbox", targets)
	}
}

// TestAccessibleModeAsksWhichRun: the same choice in accessible mode, a
// numbered list; an answer that is none of them is asked again.
func TestAccessibleModeAsksWhichRun(t *testing.T) {
	t.Parallel()
	var targets []Target
	opts := Options{Sandbox: true, Connect: func(ctx context.Context, tg Target, sink func(steps.Event)) (*Connection, error) {
		targets = append(targets, tg)
		if tg.Run == "" {
			return nil, twoRuns()
		}
		return nil, errors.New("stop here")
	}}
	var out bytes.Buffer
	_ = RunAccessible(context.Background(), strings.NewReader("7\nrun0second\n"), &out, opts)
	s := out.String()
	if !contains2(s, "2 runs of the lab were found in us-west-2", "1: run run0first in vpc-1", "2: run run0second in vpc-1",
		"Type the number of the run to carry on with (1 to 2), or q to stop:", "7 is none of them.") {
		t.Fatalf("accessible mode:\n%s", s)
	}
	if len(targets) != 2 || targets[1].Run != "run0second" || !targets[1].Sandbox {
		t.Fatalf("Connect was asked for %+v", targets)
	}
	// q stops without connecting again.
	targets, out = nil, bytes.Buffer{}
	_ = RunAccessible(context.Background(), strings.NewReader("q\n"), &out, opts)
	if len(targets) != 1 || !strings.Contains(out.String(), "'ecr-vpce-lab down --all --sandbox' all of them") {
		t.Fatalf("q: Connect asked for %+v\n%s", targets, out.String())
	}
}
