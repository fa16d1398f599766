package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/steps"
)

// applyPolicyForm applies the policy form as it stands (ctrl+s) and waits
// for the outcome.
func applyPolicyForm(t *testing.T, d *driver) {
	t.Helper()
	d.key("ctrl+s")
	d.until("the policy to be applied", 20*time.Second, func(m *Model) bool {
		return m.screens[scrPolicy].status == steps.StatusDone && !m.busy()
	})
	d.settle()
}

// TestResumeAfterThePolicyFormSkipsIt: a policy applied from the form is a
// done step; a resumed wizard goes on after it, not back to the form.
func TestResumeAfterThePolicyFormSkipsIt(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	m, d := startWizard(t, opts, 120, 40)
	walkTo(t, d, scrPolicy)
	applyPolicyForm(t, d)
	if m.cur != scrEndpoints {
		t.Fatalf("after applying, screen %d", m.cur)
	}
	m.Close()
	m2, d2 := startWizard(t, opts, 120, 40)
	if m2.phase != phaseResume || !contains2(d2.screen(), "Done: Preflight, Workspace, Security group, Ingress rule, Endpoint policy") {
		t.Fatalf("resume screen:\n%s", d2.screen())
	}
	d2.key("enter")
	d2.settle()
	if m2.cur != scrEndpoints || m2.screens[scrPolicy].status != steps.StatusDone {
		t.Fatalf("resume lands on %s (policy %s), want Endpoints:\n%s", screens[m2.cur].title, m2.screens[scrPolicy].status, d2.screen())
	}
}

// TestPolicyFormReopensOnAllowAll: after "deny nothing" is applied, the form
// opens again on the lab's repository, not on an empty field that refuses
// to apply ("name a repository").
func TestPolicyFormReopensOnAllowAll(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 80, 24)
	walkTo(t, d, scrPolicy)
	tabToSelect(t, d)
	d.key("space") // untick ecr:PutImage: deny nothing
	d.settle()
	if len(m.editor.deny) != 0 {
		t.Fatalf("deny %v after unticking", m.editor.deny)
	}
	applyPolicyForm(t, d)
	d.key("up") // back to the policy screen, seen again; p opens the form
	d.settle()
	d.key("p")
	d.settle()
	if m.cur != scrPolicy || m.editor == nil {
		t.Fatalf("up from Endpoints, then p: screen %d", m.cur)
	}
	if m.editor.repo != m.cfg.Repo {
		t.Fatalf("the form reopens with repository %q, want %q:\n%s", m.editor.repo, m.cfg.Repo, d.screen())
	}
	if _, _, err := m.editor.Document(); err != nil {
		t.Fatalf("the reopened form cannot apply: %v\n%s", err, d.screen())
	}
	// Tick PutImage again and apply: the deny comes back on that repository.
	tabToSelect(t, d)
	for i := 0; i < 4; i++ { // the cursor starts on the first action
		d.key("down")
	}
	d.key("space")
	d.settle()
	applyPolicyForm(t, d)
	if p := string(m.st.Policy); !contains2(p, "ecr:PutImage", "repository/"+m.cfg.Repo) {
		t.Fatalf("policy after ticking PutImage again: %s", p)
	}
}

// TestPolicyFormKeys: keys a person presses on the policy form. Tab moves on
// from the list of actions as from the text field; esc leaves the form from
// any field (the form opens on the text field), back where the learner came
// from, and the policy stays as it was.
func TestPolicyFormKeys(t *testing.T) {
	t.Parallel()
	m, d := sandboxWizard(t, 80, 24)
	walkTo(t, d, scrPolicy)

	// First visit: esc goes back to the ingress rule, nothing applied.
	d.key("esc")
	d.settle()
	if m.cur != scrIngress || m.screens[scrPolicy].status == steps.StatusDone {
		t.Fatalf("esc on the first visit: screen %s, policy %s", screens[m.cur].title, m.screens[scrPolicy].status)
	}
	d.key("enter")
	d.settle()
	if m.cur != scrPolicy {
		t.Fatalf("enter from the ingress rule: screen %s", screens[m.cur].title)
	}

	// Tab from the repository to the actions, and on to the target.
	tabToSelect(t, d)
	if k, _ := m.editor.focus(); k != fieldMulti {
		t.Fatalf("tab from the repository: focus %d", k)
	}
	if !contains2(ansi.Strip(m.helpBar()), "tab") {
		t.Fatalf("the help bar must offer tab on the list: %s", ansi.Strip(m.helpBar()))
	}
	d.key("tab")
	d.until("the focus to reach the target", 10*time.Second, func(m *Model) bool { k, _ := m.editor.focus(); return k == fieldSelect })
	applyPolicyForm(t, d)

	walkTo(t, d, scrPush)
	d.key("enter")
	d.settle()
	before := string(m.st.Policy)
	d.key("p")
	d.settle()
	if k, _ := m.editor.focus(); m.cur != scrPolicy || k != fieldText {
		t.Fatalf("p: screen %s, focus %d", screens[m.cur].title, k)
	}
	if !contains2(ansi.Strip(m.helpBar()), "esc") {
		t.Fatalf("the help bar must offer esc on the text field: %s", ansi.Strip(m.helpBar()))
	}
	d.key("esc")
	d.settle()
	if m.cur != scrPush || string(m.st.Policy) != before {
		t.Fatalf("esc after p: screen %s, policy changed %v", screens[m.cur].title, string(m.st.Policy) != before)
	}
	if _, ok := m.tests[steps.PushTest]; !ok {
		t.Fatal("leaving the form unchanged keeps the test results")
	}
}

// TestPushRefusedAtTheLayerCheckOnScreen: with ecr:BatchCheckLayerAvailability
// denied, the push screen says that AWS gave no reason for the refused HEAD,
// which action it refused and which statement decided it, in words, not
// the registry client's "HEAD responses have no body".
func TestPushRefusedAtTheLayerCheckOnScreen(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			m, d := sandboxWizard(t, size[0], size[1])
			walkTo(t, d, scrPolicy)
			tabToSelect(t, d)
			// The cursor starts on ecr:PutImage: untick it, and tick
			// ecr:BatchCheckLayerAvailability four lines up.
			d.key("space")
			for i := 0; i < 4; i++ {
				d.key("up")
			}
			d.key("space")
			d.settle()
			if len(m.editor.deny) != 1 || m.editor.deny[0] != "ecr:BatchCheckLayerAvailability" {
				t.Fatalf("deny %v", m.editor.deny)
			}
			applyPolicyForm(t, d)
			walkTo(t, d, scrPush)
			if !strings.Contains(d.screen(), "(DenyBatchCheckLayerAvailability) before that") {
				t.Fatalf("the intro must predict the refusal:\n%s", d.screen())
			}
			d.key("enter")
			d.settle()
			screen := d.screen()
			for _, want := range []string{"push denied", "AWS gave no reason", "AWS refused ecr:BatchCheckLayerAvailability", "Decided by DenyBatchCheckLayerAvailability"} {
				if !strings.Contains(screen, want) {
					t.Fatalf("the push screen lacks %q:\n%s", want, screen)
				}
			}
			if strings.Contains(screen, "HEAD responses") || strings.Contains(screen, "use GET") {
				t.Fatalf("the registry client's words reached the screen:\n%s", screen)
			}
		})
	}
}

// TestPushIntroSaysWhatIsPushed: the push pushes the copy of v1 the lab keeps
// on this machine (docker's own copy with --docker), not an image made on
// the fly from the repository's layers; the intro says so, in the wizard
// and in accessible mode.
func TestPushIntroSaysWhatIsPushed(t *testing.T) {
	t.Parallel()
	m := New(context.Background(), Options{})
	m.cfg = steps.Config{Repo: "team-a/alpine", SourceTag: "v1", PushTag: "v2"}
	m.st.LocalImage = &steps.LocalImage{Dir: "/state/image-sandbox", Repository: "team-a/alpine", Tag: "v1"}
	for _, intro := range []string{m.introFor(scrPush), screens[scrPush].intro} {
		if strings.Contains(intro, "made of") || !contains2(intro, "team-a/alpine:v1", "copy", "on this machine", "state directory") {
			t.Errorf("push intro: %s", intro)
		}
	}
	m.st.LocalImage.Docker = true
	if intro := m.introFor(scrPush); !contains2(intro, "team-a/alpine:v1", "docker's image store") || strings.Contains(intro, "state directory") {
		t.Errorf("push intro with docker: %s", intro)
	}
}
