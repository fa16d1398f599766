package cli

import (
	"context"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"ecr-vpce-lab/internal/labfixture"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// notObservable are actions docs/iam-policy.json grants that a run against
// the sandbox cannot show as allowed by IAM, each with the reason.
var notObservable = map[string]string{
	// The lab's push is refused by the endpoint policy: for that refusal to
	// be the endpoint policy's (the lesson), IAM must allow ecr:PutImage.
	// The sandbox records the refused call (DENIED), which the test checks.
	"ecr:PutImage": "refused by the endpoint policy, which is the point of the lab; IAM must allow it",
}

// notGranted are actions the lab calls that docs/iam-policy.json leaves out
// on purpose.
var notGranted = map[string]string{
	// AWS: "No permissions are required to perform this operation"; even an
	// explicit deny does not stop it. Listing it would suggest otherwise.
	"sts:GetCallerIdentity": "needs no permission",
}

// TestIAMPolicyIsLeastPrivilege runs the whole lab against the sandbox (up,
// test, status, down; then again with every optional fix up offers), gathers
// every AWS action the sandbox saw, registry requests included as the ECR
// actions they are, and compares them with docs/iam-policy.json: nothing
// called may be missing, nothing granted may go unused.
func TestIAMPolicyIsLeastPrivilege(t *testing.T) {
	t.Parallel()
	called := map[string]bool{}
	refusedByEndpointPolicy := map[string]bool{}
	// challengesCalled gathers what TestChallengesIAMPolicy's run called:
	// the lab's up and down around every challenge's model answer.
	var challengesCalled map[string]bool
	runLab := func(opts sandbox.Options, upArgs ...string) {
		t.Helper()
		f := newFaultLab(t, opts)
		sd := []string{"--sandbox", "--state-dir", f.state}
		if len(upArgs) > 0 && upArgs[0] == "workspace-ids" {
			// The path off EC2: the workspace's IDs given, as a learner on
			// a laptop or in CloudShell does (or picks them in the wizard,
			// whose lists are asked for here too).
			ws := f.sb.Workspace()
			upArgs = []string{"--subnet", ws.SubnetID, "--workspace-sg", ws.SecurityGroupID}
			lab, err := labfixture.Lab(f.sb, steps.Config{Mode: "sandbox"}, steps.NewStore(t.TempDir(), "sandbox"), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := lab.ListVPCs(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := lab.ListSubnets(ctx, ws.VpcID); err != nil {
				t.Fatal(err)
			}
			if _, err := lab.ListSecurityGroups(ctx, ws.VpcID); err != nil {
				t.Fatal(err)
			}
		}
		// The workshop's lab also plays every challenge (after status,
		// before down): those calls are the challenges' document's, not
		// the lab's, so they are kept apart by their place in the log.
		withChallenges := len(upArgs) == 0 && !opts.Faults.VPCDNSOff
		var upEnd, challengesStart, challengesEnd int
		for _, args := range [][]string{append(append([]string{"up", "--yes"}, sd...), upArgs...), append([]string{"test"}, sd...),
			append([]string{"status"}, sd...), append([]string{"down", "--yes"}, sd...)} {
			if args[0] == "down" && withChallenges {
				challengesStart = len(f.sb.Calls())
				playChallenges(t, f, sd)
				challengesEnd = len(f.sb.Calls())
			}
			if code, out := f.run(args...); code != 0 {
				t.Fatalf("%s: exit %d\n%s", args[0], code, out)
			}
			if args[0] == "up" {
				upEnd = len(f.sb.Calls())
			}
		}
		calls := f.sb.Calls()
		if withChallenges {
			challengesCalled = challengeActions(f.sb, append(append(slices.Clone(calls[:upEnd]), calls[challengesStart:challengesEnd]...), calls[challengesEnd:]...))
			calls = append(slices.Clone(calls[:challengesStart]), calls[challengesEnd:]...)
		}
		for _, a := range iamActions(calls) {
			called[a] = true
		}
		for _, c := range f.sb.Calls() {
			if c.ErrorCode == "DENIED" && c.Via == "registry" {
				refusedByEndpointPolicy[c.IAMAction()] = true
			}
		}
	}
	// The lab as the workshop runs it.
	runLab(sandbox.Options{})
	if !refusedByEndpointPolicy["ecr:PutImage"] {
		t.Fatalf("the default lab's push was not refused by the endpoint policy: %v", refusedByEndpointPolicy)
	}
	// Every fix up offers: VPC DNS turned on, the repository created and v1
	// pushed, an existing ecr.dkr endpoint adopted (its policy changed, then
	// restored); a policy that allows the push, so down removes the tag.
	runLab(sandbox.Options{Faults: sandbox.Faults{VPCDNSOff: true, NoRepository: true, ExistingDKREndpoint: true}},
		"--enable-vpc-dns", "--create-repo", "--adopt", "--deny", "ecr:DeleteRepository")
	// Off EC2: the workspace's IDs given (or picked).
	runLab(sandbox.Options{}, "workspace-ids")
	// The auto-teardown's other calls: a new expiry moves the schedules,
	// down --expired --all-regions and down --all find runs by their
	// schedules' and roles' names in every enabled region.
	f := newFaultLab(t, sandbox.Options{})
	sd := []string{"--sandbox", "--state-dir", f.state}
	for _, args := range [][]string{{"up", "--yes", "--expires", "1h"}, {"up", "--yes", "--expires", "2h"},
		{"down", "--expired", "--all-regions", "--yes"}, {"down", "--all", "--yes"}} {
		if code, out := f.run(append(args, sd...)...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
	for _, a := range f.sb.CallLog().IAMActions() {
		called[a] = true
	}

	src, err := os.ReadFile("../../docs/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if fs := policy.Lint(src); len(fs) > 0 {
		for _, f := range fs {
			if f.Severity == policy.SeverityError && !strings.Contains(f.Message, "Principal") {
				t.Errorf("docs/iam-policy.json: %s", f.Message)
			}
		}
	}
	doc, err := policy.Parse(src)
	if err != nil {
		t.Fatalf("docs/iam-policy.json: %v", err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("Version %q, want 2012-10-17", doc.Version)
	}
	granted := map[string]string{}
	for i, s := range doc.Statements {
		if s.Sid == "" || s.Effect != policy.Allow || s.Principal != nil || len(s.NotAction) > 0 || len(s.Resource) == 0 {
			t.Errorf("statement %d (%s): want a Sid, Effect Allow, Action and Resource, no Principal", i, s.Sid)
		}
		for _, a := range s.Action {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("%s grants %s: no wildcards in a least-privilege policy", s.Sid, a)
			}
			if prev, dup := granted[a]; dup {
				t.Errorf("%s is granted twice (%s, %s)", a, prev, s.Sid)
			}
			granted[a] = s.Sid
		}
	}
	var calledList []string
	for a := range called {
		calledList = append(calledList, a)
	}
	sort.Strings(calledList)
	t.Logf("%d actions called: %s", len(calledList), strings.Join(calledList, " "))
	for _, a := range calledList {
		if _, ok := granted[a]; !ok && notGranted[a] == "" {
			t.Errorf("the lab calls %s, but docs/iam-policy.json does not grant it", a)
		}
	}
	for a, sid := range granted {
		if called[a] {
			continue
		}
		if why := notObservable[a]; why != "" {
			if !refusedByEndpointPolicy[a] && !called[a] {
				t.Errorf("%s (%s) is granted because %s, but the lab never even tried it", a, sid, why)
			}
			continue
		}
		t.Errorf("docs/iam-policy.json grants %s (%s), but the lab never calls it", a, sid)
	}
	for a := range notGranted {
		if _, ok := granted[a]; ok {
			t.Errorf("docs/iam-policy.json grants %s, which %s", a, notGranted[a])
		}
	}
	if !slices.Contains(calledList, "ecr:GetAuthorizationToken") {
		t.Error("the lab never logged in to the registry?")
	}
	t.Run("ChallengesIAMPolicy", func(t *testing.T) { checkChallengesIAMPolicy(t, challengesCalled) })
}

// iamActions returns the distinct IAM actions of successful and DryRun
// calls, as sandbox.CallLog.IAMActions does for a whole log.
func iamActions(calls []sandbox.Call) []string {
	var log sandbox.CallLog
	for _, c := range calls {
		log.Record(c)
	}
	return log.IAMActions()
}
