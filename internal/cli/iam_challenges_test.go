package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// playChallenges plays every challenge's model answer for real on the
// sandbox of f, whose lab is up: TestIAMPolicyIsLeastPrivilege's workshop
// run does it before down, for checkChallengesIAMPolicy.
func playChallenges(t *testing.T, f *faultLab, sd []string) {
	t.Helper()
	st, err := steps.NewStore(f.state, "sandbox").Load()
	if err != nil {
		t.Fatal(err)
	}
	c := steps.NewChallengeContext(st)
	dir := t.TempDir()
	for _, ch := range steps.Challenges() {
		file := filepath.Join(dir, strconv.Itoa(ch.ID)+".json")
		if err := os.WriteFile(file, []byte(ch.Model(c)), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out := f.run(append([]string{"challenge", "check", strconv.Itoa(ch.ID), "--policy", file}, sd...)...); code != 0 || !strings.Contains(out, "for real too") {
			t.Fatalf("challenge %d: exit %d\n%s", ch.ID, code, out)
		}
	}
}

// challengeActions gathers the actions of calls the learner's role made
// (not the partner account's).
func challengeActions(sb *sandbox.Sandbox, calls []sandbox.Call) map[string]bool {
	partner := sb.OtherCredentials().AccessKeyID
	called := map[string]bool{}
	for _, call := range calls {
		if call.AccessKeyID != partner && call.IAMAction() != "" {
			called[call.IAMAction()] = true
		}
	}
	return called
}

// checkChallengesIAMPolicy checks docs/iam-policy-challenges.json as
// TestIAMPolicyIsLeastPrivilege checks the lab's, against what the lab's
// up and down and every challenge's model answer, played for real on the
// sandbox, called: it fails if one is granted by neither document, or if
// the challenges' document grants one nothing called. (It runs inside
// TestIAMPolicyIsLeastPrivilege, whose workshop run plays the challenges,
// so that the lab is not run twice.)
func checkChallengesIAMPolicy(t *testing.T, called map[string]bool) {
	if len(called) == 0 {
		t.Fatal("no challenge was played")
	}
	granted := func(path string) map[string]bool {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := policy.Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out := map[string]bool{}
		for _, s := range doc.Statements {
			if s.Sid == "" || s.Effect != policy.Allow || s.Principal != nil || len(s.Resource) == 0 {
				t.Errorf("%s: statement %q: want a Sid, Effect Allow, Action and Resource, no Principal", path, s.Sid)
			}
			for _, a := range s.Action {
				if strings.ContainsAny(a, "*?") {
					t.Errorf("%s grants %s: no wildcards", path, a)
				}
				out[a] = true
			}
		}
		return out
	}
	lab := granted("../../docs/iam-policy.json")
	challenges := granted("../../docs/iam-policy-challenges.json")
	var list []string
	for a := range called {
		list = append(list, a)
	}
	sort.Strings(list)
	t.Logf("called: %s", strings.Join(list, " "))
	for _, a := range list {
		if !lab[a] && !challenges[a] && notGranted[a] == "" {
			t.Errorf("the challenges call %s, which neither document grants", a)
		}
	}
	for a := range challenges {
		if !called[a] {
			t.Errorf("docs/iam-policy-challenges.json grants %s, which nothing called", a)
		}
	}
}
