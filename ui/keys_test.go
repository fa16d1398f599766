package ui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/internal/screentext"
	"ecr-vpce-lab/steps"
)

// TestHelpBarListsWhatActsNow: on each screen and in each context the help
// bar lists exactly the KeyMap's bindings that act there, in order, and
// nothing hand-written; keys it does not list do nothing.
func TestHelpBarListsWhatActsNow(t *testing.T) {
	t.Parallel()
	k := DefaultKeyMap()
	h := func(b key.Binding, desc ...string) string {
		d := b.Help().Desc
		if len(desc) > 0 {
			d = desc[0]
		}
		return b.Help().Key + " " + d
	}
	panes := []string{h(k.CLI), h(k.Log), h(k.Hint)}
	cases := []struct {
		name  string
		setup func(f *fuzzer)
		want  []string
		// dead are keys that must do nothing here.
		dead []string
	}{
		{"preflight, not run", func(f *fuzzer) {},
			append([]string{h(k.Next, "run"), h(k.Help), h(k.Quit), h(k.Teardown)}, panes...), []string{"s", "p", "k", "f", "e", "down", "x", "E"}},
		{"preflight, a check failed with a fix", func(f *fuzzer) {
			f.m.screens[scrPreflight].status = steps.StatusFailed
			f.m.checks = []steps.CheckItem{{ID: "dns", OK: false, Action: steps.FixEnableVPCDNS}}
		}, append([]string{h(k.Next, "try again"), h(k.Fix), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown)}, panes...), []string{"s", "p"}},
		{"workspace", func(f *fuzzer) { f.done(scrPreflight, scrWorkspace); f.m.goTo(scrWorkspace) },
			append([]string{h(k.Next, "continue"), h(k.EditIDs), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp), h(k.StepDown)}, panes...), []string{"k", "s"}},
		{"DNS, watching", func(f *fuzzer) { f.m.goTo(scrDNS); f.update(keyMsg("enter")) },
			append([]string{h(k.Skip, "skip the wait"), h(k.Stop), h(k.Teardown, "stop, tear down"), h(k.Help), h(k.Quit)}, panes...), []string{"up", "p"}},
		{"DNS, skipped", func(f *fuzzer) { f.m.goTo(scrDNS); f.press("s"); f.settle(); f.m.goTo(scrDNS) },
			append([]string{h(k.Next, "wait for DNS"), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp), h(k.StepDown)}, panes...), []string{"s"}},
		{"push, refused", func(f *fuzzer) { f.withPolicy(); f.done(scrPush); f.m.goTo(scrPush) },
			append([]string{h(k.Next, "continue"), h(k.Policy), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp), h(k.StepDown)}, panes...), []string{"s", "f", "E"}},
		{"push, refused with AWS's words: x explains it", func(f *fuzzer) {
			f.withPolicy()
			f.done(scrPush)
			f.m.tests[steps.PushTest] = steps.TestResult{Name: steps.PushTest, Outcome: steps.Outcome{Code: "DENIED",
				Message: "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a VPC endpoint policy"}}
			f.m.goTo(scrPush)
		},
			append([]string{h(k.Next, "continue"), h(k.Explain), h(k.Policy), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp), h(k.StepDown)}, panes...), nil},
		{"a step failed with a refusal: x explains it", func(f *fuzzer) {
			f.done(scrPreflight, scrWorkspace)
			f.m.goTo(scrSecurityGroup)
			f.m.screens[scrSecurityGroup].status = steps.StatusFailed
			f.m.screens[scrSecurityGroup].err = "create the security group: UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: ec2:CreateSecurityGroup on resource: arn:aws:ec2:us-west-2:123456789012:security-group/* because no identity-based policy allows the ec2:CreateSecurityGroup action"
		},
			append([]string{h(k.Next, "try again"), h(k.Explain), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp)}, panes...), nil},
		{"a step failed, no refusal: no x", func(f *fuzzer) {
			f.done(scrPreflight, scrWorkspace)
			f.m.goTo(scrSecurityGroup)
			f.m.screens[scrSecurityGroup].status = steps.StatusFailed
			f.m.screens[scrSecurityGroup].err = "create the security group: dial tcp: connection refused"
		},
			append([]string{h(k.Next, "try again"), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp)}, panes...), []string{"x", "g"}},
		{"challenges, the list", func(f *fuzzer) { f.m.goTo(scrFinish); f.runFor(f.m.openChallenges(), 10*time.Second); f.settle() },
			[]string{h(k.Open), h(k.StepDown, "next"), h(k.Back, "back to the lab"), h(k.Help), h(k.Quit)}, []string{"x", "s", "e", "h"}},
		{"a challenge, before any check", func(f *fuzzer) {
			f.m.goTo(scrFinish)
			f.runFor(f.m.openChallenges(), 10*time.Second)
			f.settle()
			f.press("enter")
		},
			[]string{h(k.Next, "check"), h(k.EditAnswer), h(k.NextHint), h(k.Back, "back to the challenges"), h(k.Help), h(k.Quit)}, []string{"x", "s"}},
		{"a challenge, after a failed check", func(f *fuzzer) {
			f.m.goTo(scrFinish)
			f.runFor(f.m.openChallenges(), 10*time.Second)
			f.settle()
			f.press("enter", "enter")
			f.settle()
		},
			[]string{h(k.Next, "check"), h(k.EditAnswer), h(k.Explain, "why?"), h(k.NextHint), h(k.Answer), h(k.Back, "back to the challenges"), h(k.Help), h(k.Quit)}, nil},
		{"a challenge, editing", func(f *fuzzer) {
			f.m.goTo(scrFinish)
			f.runFor(f.m.openChallenges(), 10*time.Second)
			f.settle()
			f.press("enter", "e")
		},
			// As on the policy form's text field: ctrl+c before a-z type,
			// which the cursor already says.
			[]string{h(k.CheckNow), h(k.Back, "stop editing"), h(k.ForceQuit), h(k.Type)}, nil},
		{"endpoints, created: E sets the expiry", func(f *fuzzer) {
			f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress, scrPolicy, scrEndpoints)
			f.m.goTo(scrEndpoints)
		},
			append([]string{h(k.Next, "continue"), h(k.Expiry), h(k.Check), h(k.Help), h(k.Quit), h(k.Teardown), h(k.StepUp), h(k.StepDown)}, panes...), []string{"x"}},
		{"finish", func(f *fuzzer) { f.withPolicy(); f.m.goTo(scrFinish) },
			append([]string{h(k.Teardown), h(k.Policy), h(k.Expiry), h(k.Help), h(k.Quit), h(k.StepUp)}, panes...), []string{"enter", "down"}},
		{"policy, typing the repository", func(f *fuzzer) { f.m.goTo(scrPolicy); f.settle() },
			[]string{k.Confirm.Help().Key + "/" + h(k.FieldNext), h(k.Apply), h(k.JSON), h(k.Leave, "back"), h(k.ForceQuit), h(k.Type)}, nil},
		{"policy, the actions list", func(f *fuzzer) { f.m.goTo(scrPolicy); f.settle(); f.press("tab"); f.settle() },
			[]string{h(k.Toggle), h(k.ChoiceUp), h(k.ChoiceDown), k.Confirm.Help().Key + "/" + h(k.FieldNext), h(k.FieldPrev), h(k.Apply), h(k.JSON), h(k.Leave, "back"), h(k.Help), h(k.Quit), h(k.Teardown), h(k.CLI), h(k.Log), h(k.Hint)}, nil},
		{"policy, the last field", func(f *fuzzer) {
			f.m.goTo(scrPolicy)
			f.settle()
			f.press("tab")
			f.settle()
			f.press("enter")
			f.settle()
		},
			[]string{h(k.ChoiceUp), h(k.ChoiceDown), k.Confirm.Help().Key + "/" + h(k.Apply), h(k.FieldPrev), h(k.JSON), h(k.Leave, "back"), h(k.Help), h(k.Quit), h(k.Teardown), h(k.CLI), h(k.Log), h(k.Hint)}, nil},
		{"policy, the JSON", func(f *fuzzer) { f.m.goTo(scrPolicy); f.settle(); f.press("ctrl+o") },
			[]string{h(k.Apply), h(k.FormBack), h(k.ForceQuit)}, nil},
		{"teardown finished", func(f *fuzzer) {
			f.m.phase = phaseTeardown
			f.m.tdReport = &steps.TeardownReport{}
		}, []string{k.Next.Help().Key + "/" + h(k.Quit), h(k.Help)}, nil},
		{"resume", func(f *fuzzer) { f.m.phase = phaseResume },
			[]string{h(k.Resume, "resume where you were"), h(k.Teardown, "tear it down"), h(k.StartOver, "tear down and start over"), h(k.Help), h(k.Quit)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A lab of its own: what another case did to a shared one
			// (a step stopped, a challenge checked) would change the keys.
			f := offlineFuzzer(t, 200, 40, true)
			tc.setup(f)
			var got []string
			for _, e := range helpEntries(f.m.bindings()) {
				got = append(got, e[0]+" "+e[1])
			}
			if strings.Join(got, " • ") != strings.Join(tc.want, " • ") {
				t.Fatalf("keys that act:\n got %q\nwant %q", got, tc.want)
			}
			bar := strings.TrimSpace(ansi.Strip(f.m.helpBar()))
			if bar != strings.Join(tc.want, " • ") {
				t.Fatalf("help bar:\n got %q\nwant %q", bar, strings.Join(tc.want, " • "))
			}
			// Each dead key leaves the screen as it was, so the screen
			// before every key is this one.
			before := screentext.Normalise(f.m.render())
			for _, dk := range tc.dead {
				cur, phase, op := f.m.cur, f.m.phase, f.m.op
				f.press(dk)
				if f.m.cur != cur || f.m.phase != phase || f.m.op != op || f.m.overlay != overlayNone {
					t.Fatalf("%s is not listed but acted", dk)
				}
				if after := screentext.Normalise(f.m.render()); after != before {
					t.Fatalf("%s is not listed but changed the screen:\n%s", dk, after)
				}
			}
		})
	}
}

// press types keys, one message each.
func (f *fuzzer) press(keys ...string) {
	f.tb.Helper()
	for _, k := range keys {
		f.update(keyMsg(k))
	}
}

// settle delivers what the commands produced (a form moving its focus)
// until nothing is left.
func (f *fuzzer) settle() {
	f.tb.Helper()
	for i := 0; i < 50 && len(f.pending) > 0; i++ {
		msg := f.pending[0]
		f.pending = f.pending[1:]
		f.update(msg)
	}
}

// done marks screens as passed.
func (f *fuzzer) done(ss ...screenID) {
	for _, s := range ss {
		f.m.screens[s].status = steps.StatusDone
	}
}

// withPolicy puts the lab's default policy in force.
func (f *fuzzer) withPolicy() {
	f.m.st.Policy = mustDefault("ecr:PutImage")
	f.m.st.PolicyTarget = steps.TargetBoth
}

// TestTextsNameKeysFromTheKeyMap: hints and prompts name keys only through
// the KeyMap, so a key moved in the KeyMap moves in every sentence.
func TestTextsNameKeysFromTheKeyMap(t *testing.T) {
	t.Parallel()
	k := DefaultKeyMap()
	for _, info := range screens {
		out := commandsIn(k.keysIn(info.hint), "ecr-vpce-lab", "ecr-vpce-lab down")
		if strings.Contains(out, "{") {
			t.Errorf("%s: a key name the KeyMap does not have: %s", info.title, out)
		}
	}
	if got := k.keysIn(screens[scrPolicy].hint); !strings.Contains(got, "Press "+k.JSON.Help().Key+" to edit the JSON") {
		t.Errorf("the policy hint must name the JSON key: %s", got)
	}
	k.Teardown.SetKeys("X")
	k.Teardown.SetHelp("X", "tear down")
	if got := k.keysIn("Press {Teardown} now, {Next} later, {Nope} never"); got != "Press X now, Enter later, {Nope} never" {
		t.Errorf("keysIn: %q", got)
	}
}

// offlineFuzzer drives a wizard on an offline lab of its own in a w×h
// window, closed when the test ends. A patient one lets the form move its
// focus and an operation end through their own commands, even on a busy
// machine, for as long as they are at work rather than waiting on a tick
// or an engine event.
func offlineFuzzer(t *testing.T, w, h int, patient bool) *fuzzer {
	t.Helper()
	lab, err := offlineLabIn(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFuzzerOn(t, lab, nil)
	t.Cleanup(f.close)
	if patient {
		f.wait, f.patient = 200*time.Millisecond, true
	}
	f.update(tea.WindowSizeMsg{Width: w, Height: h})
	return f
}

// TestPolicyListCursorInSight: on a 60×16 window the list of actions
// to deny fits what the screen leaves it, so the line under the cursor
// (the one space ticks) is on the screen as the learner walks the list
// down and up again.
func TestPolicyListCursorInSight(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 60, 16, true)
	f.m.goTo(scrPolicy)
	f.settle()
	f.press("tab")
	f.settle()
	walk := append(strings.Split(strings.Repeat("down,", len(denyChoices())), ","), strings.Split(strings.Repeat("up,", len(denyChoices())), ",")...)
	for i, k := range walk {
		if k == "" {
			continue
		}
		f.press(k)
		f.settle()
		s := ansi.Strip(f.m.render())
		if !strings.Contains(s, "┃ > ") {
			t.Fatalf("after %d keys the cursor is off the screen:\n%s", i+1, s)
		}
	}
	// ? here lists the most keys of any screen: at 60×16 every one of
	// them, and how to close the list, is in sight.
	f.press("?")
	s := ansi.Strip(f.m.render())
	if !contains2(flatBox(s), "ctrl+s apply", "T tear down", "space toggle", "shift+tab previous field", "h hint", "esc closes this") {
		t.Fatalf("the keys at 60x16:\n%s", s)
	}
}

// TestDialogsFitSixtyColumns: at 60×16, the smallest window the wizard
// takes, the welcome back screen and the teardown and quit dialogs say
// every word and every key: their sentences and key lines wrap between
// words, none is cut at the window's edge.
func TestDialogsFitSixtyColumns(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 60, 16, false)
	f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress, scrPolicy)
	for _, tc := range []struct {
		name  string
		setup func()
		want  []string
	}{
		{"welcome back", func() { f.m.phase = phaseResume },
			[]string{"Done: Preflight, Workspace, Security group, Ingress rule, Endpoint policy", "n tear down and start over", "q quit"}},
		{"tear down?, nothing made yet", func() { f.m.phase, f.m.overlay = phaseLab, overlayConfirmTeardown },
			[]string{"This run has made nothing yet: the teardown looks for anything tagged by this lab all the same", "y yes, tear down", "n no, go back"}},
		{"tear down?, a group and its rule", func() {
			f.m.st.SecurityGroup, f.m.st.Rule = &steps.Record{ID: "sg-1", Created: true}, &steps.Record{ID: "sgr-1", Created: true}
		}, []string{"The rule and the security group will be deleted, with anything else tagged by this lab. This cannot be undone."}},
		{"quit?", func() { f.m.overlay = overlayConfirmQuit },
			[]string{"to clean up.", "y yes, quit", "n no, stay"}},
	} {
		tc.setup()
		s := ansi.Strip(f.m.render())
		for _, l := range strings.Split(s, "\n") {
			if w := ansi.StringWidth(l); w > 60 {
				t.Errorf("%s: a line %d wide:\n%s", tc.name, w, s)
			}
		}
		for _, w := range tc.want {
			if !strings.Contains(flatBox(s), w) {
				t.Errorf("%s: %q is cut or missing:\n%s", tc.name, w, s)
			}
		}
	}
}

// TestPanesFitSixtyColumns: at 60×16 with the hint, CLI and log panes all
// open, nothing goes off the screen without a word: each pane is on the
// screen (cut with a mark if it must be) or named with its key on a line
// saying there is no room, and a command in the CLI pane is wrapped
// between words with a backslash, never cut inside one.
func TestPanesFitSixtyColumns(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 60, 16, false)
	f.done(scrPreflight)
	f.m.phase, f.m.cur = phaseLab, scrWorkspace
	f.m.screens[scrWorkspace].commands = []steps.Command{
		{Comment: "the subnet's own route table, if it has one", Args: []string{"aws", "ec2", "describe-route-tables", "--filters", "Name=association.subnet-id,Values=$SUBNET_ID", "--query", "RouteTables[0].RouteTableId", "--output", "text"}, Capture: "ROUTE_TABLE_ID"},
		{Comment: "none: the subnet uses the VPC's main route table", Args: []string{"aws", "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values=$VPC_ID", "Name=association.main,Values=true", "--query", "RouteTables[0].RouteTableId", "--output", "text"}, Capture: "ROUTE_TABLE_ID"},
	}
	for i := range 8 {
		f.m.calls = append(f.m.calls, steps.Call{Service: "ec2", Operation: "Describe" + strconv.Itoa(i), Start: time.Now()})
	}
	f.m.showHint, f.m.showCLI, f.m.showLog = true, true, true
	for _, size := range [][2]int{{60, 16}, {80, 24}, {100, 40}} {
		f.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		s := ansi.Strip(f.m.render())
		lines := strings.Split(s, "\n")
		if len(lines) > size[1] {
			t.Errorf("%d×%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Errorf("%d×%d: a line %d wide: %q", size[0], size[1], w, l)
			}
			if strings.Contains(l, "…│") || strings.Contains(l, "… │") && !strings.Contains(l, "│ …") {
				t.Errorf("%d×%d: a pane's line is cut: %q", size[0], size[1], l)
			}
		}
		for _, p := range []struct{ title, key string }{{"Hint", "h hint"}, {"The same with the AWS CLI", "c CLI"}, {"API calls", "l log"}} {
			if !strings.Contains(s, "│ "+p.title) && !strings.Contains(s, p.key+": no room") && !strings.Contains(s, p.key+", ") {
				t.Errorf("%d×%d: the %s pane is open but neither shown nor named:\n%s", size[0], size[1], p.title, s)
			}
		}
		if !strings.Contains(lines[len(lines)-1], "? keys") {
			t.Errorf("%d×%d: the key line is not at the bottom:\n%s", size[0], size[1], s)
		}
		if size[1] == 40 && !contains2(flatText(s), "Name=association.main,Values=true \\", "--query 'RouteTables[0].RouteTableId'", "API calls") {
			t.Errorf("%d×%d: the panes are not whole:\n%s", size[0], size[1], s)
		}
	}
	// While something runs, the screen keeps a line of its body besides
	// the mark of the cut: the panes do not hide a wait's progress.
	f.update(tea.WindowSizeMsg{Width: 60, Height: 16})
	f.m.showHint = false
	f.m.op = &inflight{kind: opWorkspace, screen: scrWorkspace, started: time.Now()}
	s := ansi.Strip(f.m.render())
	if !strings.Contains(s, "Not discovered yet") {
		t.Errorf("60×16, busy: the body is hidden behind the panes:\n%s", s)
	}
	f.m.op = nil
}

// TestWrapShellKeepsTheCommand: a command wrapped for a narrow pane is the
// same command once the shell joins its lines (a backslash and newline
// vanish; outside quotes, more spaces are still one separator), and no
// line is wider than the pane. Only a word wider than the pane itself is
// broken inside (shown whole rather than cut).
func TestWrapShellKeepsTheCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []string{
		`until [ "$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids "vpce-0123456789abcdef0" "vpce-0123456789abcdef1" --query 'length(VpcEndpoints[?State!=` + "`available`" + `])' --output text)" = 0 ]; do sleep 5; done`,
		`  --filters "Name=vpc-id,Values=$VPC_ID" Name=association.main,Values=true \`,
		`  --description 'ecr-vpce-lab run 0123456789 expires 2026-12-01T07:00:00Z: delete the group' \`,
		// A quoted word wider than the pane, then the line's own
		// continuation: the backslash ends the word's last line, not a
		// line of its own.
		`      'ResourceType=security-group,Tags=[{Key=Name,Value=ECR_VPCE_SG},{Key=ecr-vpce-lab:run,Value=f2ccc14bda}]' \`,
	} {
		for _, width := range []int{30, 52, 76} {
			lines := wrapShell(c, width)
			for _, l := range lines {
				if strings.TrimSpace(l) == `\` {
					t.Errorf("%d columns: a line holding only the backslash: %q", width, lines)
				}
			}
			joined := strings.ReplaceAll(strings.Join(lines, "\n"), "\\\n", "")
			if width >= 52 && strings.HasPrefix(c, "until") && strings.Contains(joined, "\n") {
				t.Errorf("%d columns: a word is broken inside, though every word fits: %q", width, lines)
			}
			joined = strings.ReplaceAll(joined, "\n", "")
			squeeze := func(s string) string { return strings.Join(strings.Fields(s), " ") }
			if squeeze(joined) != squeeze(c) || strings.Count(joined, `"`) != strings.Count(c, `"`) {
				t.Errorf("%d columns: %q joins to %q", width, c, joined)
			}
			for _, l := range lines {
				if lipgloss.Width(l) > width {
					t.Errorf("%d columns: a line %d wide: %q", width, lipgloss.Width(l), l)
				}
			}
		}
	}
}

// TestDraftKeptOnEscBack: before a policy is applied, esc on the policy
// form says "back", not "cancel": a learner who steps back to read the
// step before and returns finds the actions they ticked and the field they
// were on. Once a policy is in force, esc cancels, and the screen opens on
// that policy.
func TestDraftKeptOnEscBack(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 100, 30, true)
	f.done(scrPreflight, scrWorkspace, scrSecurityGroup, scrIngress)
	f.m.goTo(scrPolicy)
	f.settle()
	f.press("tab")
	f.settle()
	f.press("down", "down", "space")
	want, _ := f.m.editor.denyField.Hovered()
	f.press("esc")
	f.settle()
	if f.m.cur != scrIngress {
		t.Fatalf("esc on the form went to %v", f.m.cur)
	}
	f.press("enter")
	f.settle()
	if f.m.cur != scrPolicy || f.m.editor == nil {
		t.Fatalf("enter on the rule's screen went to %v", f.m.cur)
	}
	if !contains(f.m.editor.deny, want) {
		t.Errorf("back on the policy form, %s is no longer ticked: %v", want, f.m.editor.deny)
	}
	if got := f.m.editor.form.GetFocusedField().GetKey(); got != "deny" {
		t.Errorf("back on the policy form, the focus is on %q", got)
	}
	// In force, esc cancels: the form opens on the policy in force.
	f.m.screens[scrPolicy].status = steps.StatusDone
	f.withPolicy()
	f.press("space")
	f.press("esc")
	f.settle()
	f.m.goTo(scrPolicy)
	f.settle()
	if len(f.m.editor.deny) != 1 || f.m.editor.deny[0] != "ecr:PutImage" {
		t.Errorf("after esc (cancel), the form opens on %v, not the policy in force", f.m.editor.deny)
	}
}

// TestLogPaneCountsEarlierCalls: the log pane shows the newest calls and,
// when there were more, says how many are above them, all in its six
// lines at most (fewer in a small window, the count then counting more).
func TestLogPaneCountsEarlierCalls(t *testing.T) {
	t.Parallel()
	f := offlineFuzzer(t, 80, 24, false)
	f.done(scrPreflight)
	f.m.phase, f.m.cur = phaseLab, scrWorkspace
	for i := range 20 {
		f.m.calls = append(f.m.calls, steps.Call{Service: "ec2", Operation: "Describe" + strconv.Itoa(i), Start: time.Now()})
	}
	f.m.showLog = true
	for _, size := range [][2]int{{80, 24}, {60, 16}} {
		f.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		s := ansi.Strip(f.m.render())
		shown := 0
		for i := range 20 {
			if strings.Contains(s, " ec2:Describe"+strconv.Itoa(i)+" ") {
				shown++
			}
		}
		want := fmt.Sprintf("↑ %d earlier calls", 20-shown)
		if shown == 0 || shown > 5 || !strings.Contains(s, want) || !strings.Contains(s, " ec2:Describe19 ") {
			t.Errorf("%d×%d: %d calls shown, the newest among them, under %q:\n%s", size[0], size[1], shown, want, s)
		}
	}
}
