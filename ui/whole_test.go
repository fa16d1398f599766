package ui

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// readWhole opens the m overlay and reads it from its first line to its
// last with the overlay's own keys (↓, pgdn, home, end, pgup, esc), as a
// learner would, and returns its text, flattened. It fails when a key does
// not move the overlay as it should or a line is wider than the window.
func readWhole(t *testing.T, m *Model) string {
	t.Helper()
	m.Update(keyMsg("m"))
	if m.overlay != overlayWhy || m.whyScroll != 0 {
		t.Fatalf("m did not open the whole screen at its start:\n%s", plainScreen(m))
	}
	text := map[int]string{}
	total := 0
	look := func() string {
		s := plainScreen(m)
		lines := strings.Split(s, "\n")
		for _, l := range lines {
			if ansi.StringWidth(l) > m.c.Width {
				t.Errorf("a line %d wide at %d columns: %q", ansi.StringWidth(l), m.c.Width, l)
			}
		}
		// The lines shown are under the header, the foot says which.
		from, to := 1, 0
		if f := reLinesShown.FindStringSubmatch(s); f != nil {
			from, to, total = atoi(f[1]), atoi(f[2]), atoi(f[3])
		} else {
			for i, l := range lines[1:] {
				if strings.HasPrefix(l, "  esc close") {
					to = i - 1 // the blank line above the keys
					break
				}
			}
			total = to
		}
		for i := from; i <= to; i++ {
			text[i] = lines[i-from+1]
		}
		return s
	}
	first := look()
	m.Update(keyMsg("down"))
	if total > len(text) && m.whyScroll != 1 {
		t.Fatalf("↓ did not scroll (at line %d):\n%s", m.whyScroll, look())
	}
	m.Update(keyMsg("up"))
	for i := 0; ; i++ {
		before := m.whyScroll
		m.Update(keyMsg("pgdown"))
		if m.whyScroll == before {
			break
		}
		if i == 1 && before < 5 {
			// (A first move short of a page is the end, not a short page.)
			t.Errorf("pgdn moved %d lines, not a page, and was not at the end", before)
		}
		look()
		if i > 50 {
			t.Fatal("pgdn never reaches the end")
		}
	}
	last := m.whyScroll
	m.Update(keyMsg("home"))
	if m.whyScroll != 0 || look() != first {
		t.Errorf("home did not go back to the first line (at %d)", m.whyScroll)
	}
	m.Update(keyMsg("end"))
	if m.whyScroll != last {
		t.Errorf("end went to line %d, pgdn's last page starts at %d", m.whyScroll, last)
	}
	m.Update(keyMsg("pgup"))
	if last > 0 && m.whyScroll >= last {
		t.Errorf("pgup did not scroll back (at %d)", m.whyScroll)
	}
	m.Update(keyMsg("esc"))
	if m.overlay != overlayNone {
		t.Fatalf("esc did not close the whole screen")
	}
	var out []string
	for i := 1; i <= total; i++ {
		l, ok := text[i]
		if !ok {
			t.Fatalf("line %d of %d was never shown", i, total)
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// squeezed is s without its spaces and line ends: a long word the overlay
// breaks across lines (a JSON statement) reads as one.
func squeezed(s string) string { return strings.Join(strings.Fields(s), "") }

// holds reports whether text shows every one of wants, however wrapped.
func holds(text string, wants ...string) bool {
	for _, w := range wants {
		if !strings.Contains(squeezed(text), squeezed(w)) {
			return false
		}
	}
	return true
}

var reLinesShown = regexp.MustCompile(`lines (\d+)-(\d+) of (\d+)`)

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// longFix is a fix longer than a small window has room for, whose end is
// the command that matters.
const longFix = "ECR's layers are downloaded from S3, through the S3 gateway endpoint on this subnet's route table, and its policy does not allow them: " +
	"add a statement allowing s3:GetObject on arn:aws:s3:::prod-us-west-2-starport-layer-bucket/* to that endpoint's policy, or ask its owner to. " +
	"Save the policy (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids vpce-0123456789abcdef0 --query 'VpcEndpoints[0].PolicyDocument' --output text > s3-policy.json), " +
	`add {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*"} to its Statement list, ` +
	"and apply it (aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0123456789abcdef0 --policy-document file://s3-policy.json)"

// TestWholeScreenShowsACutWarning: at 80×24 the preflight's two long
// warnings leave no room for their fixes, and the passed checks are only
// counted. The screen names the key that shows them (m), the help bar
// offers it, and m opens the screen whole in the scrolling overlay, every
// fix to its last word; a window where everything fits does not offer it.
func TestWholeScreenShowsACutWarning(t *testing.T) {
	m := New(context.Background(), Options{})
	m.phase, m.cur = phaseLab, scrPreflight
	m.screens[scrPreflight].status = steps.StatusDone
	for _, title := range []string{"Credentials and region", "VPC DNS support", "No leftovers", "No other ecr.dkr endpoint", "The repository", "Permission"} {
		m.checks = append(m.checks, steps.CheckItem{ID: title, Title: title, OK: true})
	}
	m.checks = append(m.checks,
		steps.CheckItem{ID: "local-image", Title: "Local copy of team-a/alpine:v1", Warning: true,
			Message: "S3 refused its layers through the S3 gateway endpoint vpce-0123456789abcdef0, whose policy does not allow ECR's layer bucket (AccessDenied)",
			Fix:     "change vpce-0123456789abcdef0's policy as the check on it below says; the push test copies the image once S3 allows it"},
		steps.CheckItem{ID: "s3-gateway", Title: "ECR's layers through the S3 gateway endpoint vpce-0123456789abcdef0", Warning: true,
			Message: "vpce-0123456789abcdef0 already serves route table rtb-0123456789abcdef0 (the lab adopts it), and its policy does not allow s3:GetObject: every layer download would be refused by S3",
			Fix:     longFix})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	screen := plainScreen(m)
	if strings.Contains(screen, "taller window") || !contains2(screen, "What to do about each: press m to read it all.", "(press m for their names)") ||
		!strings.Contains(lineWith(screen, "enter continue"), "m read all") {
		t.Fatalf("at 80x24 the cut fixes name no key:\n%s", screen)
	}
	whole := readWhole(t, m)
	for _, want := range []string{"6 of 8 checks passed: Credentials and region, VPC DNS support",
		"→ " + longFix, "the push test copies the image once S3 allows it", "1 · Preflight"} {
		if !holds(whole, want) {
			t.Errorf("the whole screen lacks %q:\n%s", want, whole)
		}
	}

	// A resize while it is open: it follows the new width, and where all
	// of it fits, there is nothing to scroll.
	m.Update(keyMsg("m"))
	m.Update(keyMsg("end"))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 60})
	if s := plainScreen(m); !contains2(flatText(s), "1 · Preflight", "--policy-document file://s3-policy.json)") || strings.Contains(s, "lines ") {
		t.Errorf("at 120x60 the whole screen is not all there:\n%s", s)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if s := plainScreen(m); !strings.Contains(s, "lines ") {
		t.Errorf("back at 80x24 the whole screen does not say where the reader is:\n%s", s)
	}
	m.Update(keyMsg("esc"))
	if whole := readWhole(t, m); !holds(whole, "→ "+longFix) {
		t.Errorf("after the resizes the fix is not whole:\n%s", whole)
	}
	// Where nothing is cut there is no m.
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 60})
	if s := plainScreen(m); strings.Contains(s, "m read all") || strings.Contains(s, "press m") {
		t.Errorf("at 120x60 nothing is cut, yet m is offered:\n%s", s)
	}
	m.Update(keyMsg("m"))
	if m.overlay != overlayNone {
		t.Errorf("m acted where it is not offered")
	}
}

// TestWholeScreenShowsAFailedStepsFix: a failed step whose fix is longer
// than an 80×24 window keeps the fix's start and marks the cut; m shows it
// whole, and follows a resize between sizes.
func TestWholeScreenShowsAFailedStepsFix(t *testing.T) {
	m := New(context.Background(), Options{})
	m.phase, m.cur = phaseLab, scrPush
	m.cfg.Repo, m.cfg.SourceTag, m.cfg.PushTag = "team-a/alpine", "v1", "v2"
	sc := &m.screens[scrPush]
	sc.status = steps.StatusFailed
	sc.err = "copy team-a/alpine:v1 to this machine: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/ecr-vpce-lab-workspace/i-0123456789abcdef0 " +
		"is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::prod-us-west-2-starport-layer-bucket/e12c93b4529c\" because no VPC endpoint policy allows the s3:GetObject action"
	sc.fix = "[permission missing] " + longFix
	for _, size := range [][2]int{{80, 24}, {60, 16}, {80, 24}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		screen := plainScreen(m)
		if strings.Contains(flatText(screen), "file://s3-policy.json)") {
			t.Fatalf("at %dx%d the fix fits; the test needs one that does not:\n%s", size[0], size[1], screen)
		}
		if !strings.Contains(screen, "m read all") {
			t.Errorf("at %dx%d the help bar does not offer m:\n%s", size[0], size[1], screen)
		}
		whole := readWhole(t, m)
		if !holds(whole, "→ "+sc.fix, "✗ "+sc.err) {
			t.Errorf("at %dx%d the whole screen lacks the error or the fix:\n%s", size[0], size[1], whole)
		}
	}
}

// TestWholeScreenWithTheS3GatewayFault: the sandbox's S3 gateway fault at
// 80×24, as a learner meets it: preflight's warnings are cut, m reads them
// whole, and the statement to add to the gateway's policy is there once,
// with the gateway's ID, never a placeholder.
func TestWholeScreenWithTheS3GatewayFault(t *testing.T) {
	t.Parallel()
	opts, _, _ := sandboxOptionsWith(t, sandbox.Options{Timing: sandbox.Instant, Faults: sandbox.Faults{S3GatewayPolicy: true}})
	m, d := startWizard(t, opts, 80, 24)
	d.key("enter")
	d.until("preflight done", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[scrPreflight].status == steps.StatusDone })
	screen := d.screen()
	if !strings.Contains(screen, "press m to read it all") || !strings.Contains(screen, "m read all") {
		t.Fatalf("the cut warnings name no key:\n%s", screen)
	}
	var gw string
	for _, c := range m.checks {
		if c.ID == "s3-gateway" {
			gw = strings.TrimPrefix(c.Title, "ECR's layers through the S3 gateway endpoint ")
		}
	}
	if !strings.HasPrefix(gw, "vpce-") {
		t.Fatalf("no S3 gateway check: %+v", m.checks)
	}
	whole := readWhole(t, m)
	statement := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*"}`
	if n := strings.Count(squeezed(whole), statement); n != 1 {
		t.Errorf("the statement to add is said %d times, want once:\n%s", n, whole)
	}
	// (The ui does not import awsops: its placeholder, as it reads.)
	if holds(whole, "<the S3 gateway endpoint's id>") || !holds(whole, "--vpc-endpoint-id "+gw, "S3 refused its layers through the S3 gateway endpoint "+gw) {
		t.Errorf("the whole preflight does not name %s:\n%s", gw, whole)
	}
}

// TestWholeScreenShowsTheCLIPaneInFull: the CLI pane the learner opened
// shows the newest commands that fit; m then reads every one of them, in
// full. At 80×24 the security group's one command is cut; at 120×40 the
// endpoints' three are more than the pane holds, though the screen above
// it fits (m used to be offered only for the screen, so it was not there).
func TestWholeScreenShowsTheCLIPaneInFull(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		w, h   int
		screen screenID
		want   []string
	}{
		{80, 24, scrSecurityGroup, []string{"create-security-group", "--group-name ECR_VPCE_SG", "--region us-west-2)"}},
		{120, 40, scrEndpoints, []string{"DKR_VPCE_ID=$(aws ec2 create-vpc-endpoint", "API_VPCE_ID=$(aws ec2 create-vpc-endpoint", "S3_VPCE_ID=$(aws ec2 create-vpc-endpoint"}},
	} {
		t.Run(strconv.Itoa(c.w)+"x"+strconv.Itoa(c.h), func(t *testing.T) {
			t.Parallel()
			m, d := sandboxWizard(t, c.w, c.h)
			walkTo(t, d, c.screen)
			d.key("c")
			d.key("enter")
			d.until(screens[c.screen].title+" done", 20*time.Second, func(m *Model) bool { return !m.busy() && m.screens[c.screen].status == steps.StatusDone })
			d.settle()
			if screen := d.screen(); !strings.Contains(screen, "m read all") {
				t.Fatalf("the CLI pane is cut and the help bar offers no m:\n%s", screen)
			}
			whole := readWhole(t, m)
			if !holds(whole, append([]string{"The same with the AWS CLI"}, c.want...)...) {
				t.Errorf("the whole screen lacks the pane's commands:\n%s", whole)
			}
		})
	}
}
