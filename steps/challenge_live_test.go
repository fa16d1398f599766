package steps_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// upWithElsewhere is a lab that is up on a sandbox, with the sandbox's
// public path and partner role as its other vantage points.
func upWithElsewhere(t *testing.T) *fixture {
	t.Helper()
	return upWithElsewhereOn(t, sandbox.Options{})
}

// upWithElsewhereOn is upWithElsewhere on a sandbox started with opts.
func upWithElsewhereOn(t *testing.T, opts sandbox.Options) *fixture {
	t.Helper()
	t.Parallel()
	home := ownHome(t)
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	f := &fixture{t: t, sb: sb, env: filepath.Join(home, ".ecr_security")}
	f.cloud = sandboxCloud(t, sb, nil, nil)
	po, oo, ok := sandboxlab.ElsewhereOf(sb.Env())
	if !ok {
		t.Fatal("no public path or partner role in the sandbox's exports")
	}
	var el steps.Elsewhere
	if el.Outside, err = awsops.New(po); err != nil {
		t.Fatal(err)
	}
	if el.Partner, err = awsops.New(oo); err != nil {
		t.Fatal(err)
	}
	f.store = steps.NewStore(filepath.Join(home, "state"), "sandbox")
	f.lab, err = steps.New(steps.Config{Mode: "sandbox", EnvFile: f.env, DNSTimeout: 5 * time.Second, Elsewhere: el, PolicySettle: 2 * time.Second},
		f.cloud, f.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.up(context.Background())
	return f
}

// TestChallengesLive: on the sandbox, every request of each challenge's
// hidden set is made for real (the sandbox has a machine outside the VPC
// and another account's role); the model answer passes, each wrong answer
// fails on the request that shows why, and after every check the lab's
// policy is back on the endpoints and the repository has no policy. Then
// teardown removes what the checks created.
func TestChallengesLive(t *testing.T) {
	f := upWithElsewhere(t)
	ctx := context.Background()
	st := f.lab.State()
	c := steps.NewChallengeContext(st)
	c.Partner = f.sb.OtherPrincipalARN()
	labPolicy := string(st.Policy)
	for _, ch := range steps.Challenges() {
		answers := []struct {
			name, policy, shows string
		}{{"model", ch.Model(c), ""}}
		for _, w := range steps.WrongAnswers(ch.ID, c) {
			answers = append(answers, struct{ name, policy, shows string }{w.Name, w.Policy, w.Shows})
		}
		for _, a := range answers {
			t.Run(fmt.Sprintf("%d %s: %s", ch.ID, ch.Title, a.name), func(t *testing.T) {
				doc := policy.MustParse(a.policy)
				res, err := f.lab.CheckChallengeLive(ctx, ch, doc)
				if err != nil {
					t.Fatalf("CheckChallengeLive: %v", err)
				}
				for _, r := range res.Requests {
					if r.Skipped != "" {
						t.Errorf("%s was not made for real: %s", r.Label(), r.Skipped)
					}
					if r.Endpoint == "" && res.NotApplied == "" {
						t.Errorf("%s does not say which endpoint it went through", r.Label())
					}
				}
				if a.shows == "(not applied)" {
					if res.Passed || res.NotApplied == "" {
						t.Fatalf("AWS should refuse to apply the answer: %+v", res)
					}
				} else if a.shows == "" {
					if !res.Passed {
						t.Fatalf("the model answer fails for real: %+v (notes %v)", res.Failed(), res.Notes)
					}
				} else {
					if res.Passed {
						t.Fatalf("the wrong answer passes for real")
					}
					var labels []string
					found := false
					for _, r := range res.Failed() {
						labels = append(labels, r.Label()+" → "+steps.Verdict(r.Actual))
						if strings.Contains(r.Label(), a.shows) {
							found = true
							if !r.Actual && r.Action == "" {
								t.Errorf("%s refused without naming the action: %q", r.Label(), r.Message)
							}
						}
					}
					if !found {
						t.Errorf("no failed request %q among %q", a.shows, labels)
					}
				}
				// Everything is back as the lab had it.
				eps, err := f.cloud.Endpoints(ctx, st.Endpoints[steps.EndpointDKR].ID, st.Endpoints[steps.EndpointAPI].ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range eps {
					if !policy.Equal(policy.MustParse(e.Policy), policy.MustParse(labPolicy)) {
						t.Errorf("%s carries %s after the check, not the lab's policy", e.ID, e.Policy)
					}
				}
				if p := f.sb.RepositoryPolicy(policy.DefaultRepository); p != "" {
					t.Errorf("team-a/alpine keeps a policy after the check: %s", p)
				}
				if left := f.lab.State().Challenge; left != nil && (left.Applied != 0 || len(left.Tags) != 0 || len(left.RepoPolicies) != 0) {
					t.Errorf("leftovers after the check: %+v", left)
				}
			})
		}
	}
	// After each check the repositories it created are gone again.
	for _, r := range []string{"team-b/nginx", "team-a/tools", "team-c/app", "ecr-vpce-lab/scratch"} {
		if rep, err := f.cloud.DescribeRepository(ctx, r, ""); err != nil || rep.Exists {
			t.Errorf("%s is still there after the checks (%v)", r, err)
		}
	}
	// When the lab's own policy will not let a check delete what it
	// created, it stays recorded, and teardown removes it once the
	// endpoints are gone.
	noDeletes := policy.MustParse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
		`{"Sid":"KeepRepositories","Effect":"Deny","Principal":"*","Action":"ecr:DeleteRepository","Resource":"*"}]}`)
	if err := f.lab.ApplyPolicy(ctx, noDeletes, steps.TargetBoth); err != nil {
		t.Fatal(err)
	}
	ch, _ := steps.ChallengeByID(1)
	if res, err := f.lab.CheckChallengeLive(ctx, ch, policy.MustParse(ch.Model(c))); err != nil || !res.Passed {
		t.Fatalf("check: %+v %v", res, err)
	}
	left := f.lab.State().Challenge
	if left == nil || len(left.Repos) == 0 {
		t.Fatalf("the repositories the lab's policy kept are not recorded: %+v", left)
	}
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range left.Repos {
		if rep, err := f.cloud.DescribeRepository(ctx, r, ""); err != nil || rep.Exists {
			t.Errorf("%s is still there after teardown (%v)", r, err)
		}
	}
}

// TestTeardownRemovesWhatAFailedCheckLeft: a check whose clean-up ECR
// refuses (its deletions fail) keeps on record what it could not put back:
// the repository policy it set, the tags it pushed, the repository it
// made. The teardown, once ECR answers again, removes all of it.
func TestTeardownRemovesWhatAFailedCheckLeft(t *testing.T) {
	var broken atomic.Bool
	f := upWithElsewhereOn(t, sandbox.Options{Interceptors: []sandbox.Interceptor{func(_ context.Context, r sandbox.Request) *sandbox.APIError {
		if broken.Load() && r.Service == "ecr" && (strings.HasPrefix(r.Action, "Delete") || r.Action == "BatchDeleteImage") {
			return &sandbox.APIError{Status: 400, Code: "InvalidParameterException", Message: "refused for the test"}
		}
		return nil
	}}})
	ctx := context.Background()
	c := steps.NewChallengeContext(f.lab.State())
	c.Partner = f.sb.OtherPrincipalARN()
	// Challenge 2 puts a partner's pull policy on team-a/alpine, pushes to
	// team-b/nginx, which it creates.
	ch, _ := steps.ChallengeByID(2)
	broken.Store(true)
	if _, err := f.lab.CheckChallengeLive(ctx, ch, policy.MustParse(ch.Model(c))); err == nil {
		t.Fatal("the check's clean-up failed, and the check says nothing")
	}
	left := f.lab.State().Challenge
	if left == nil || len(left.RepoPolicies) == 0 || len(left.Tags) == 0 || len(left.Repos) == 0 {
		t.Fatalf("what the check could not put back is not on record: %+v", left)
	}
	if f.sb.RepositoryPolicy(policy.DefaultRepository) == "" {
		t.Fatal("the answer's repository policy should still be there")
	}
	broken.Store(false)
	if _, err := f.lab.Teardown(ctx, steps.TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
	if p := f.sb.RepositoryPolicy(policy.DefaultRepository); p != "" {
		t.Errorf("team-a/alpine keeps the check's policy after teardown: %s", p)
	}
	for _, r := range left.Repos {
		if rep, err := f.cloud.DescribeRepository(ctx, r, ""); err != nil || rep.Exists {
			t.Errorf("%s is still there after teardown (%v)", r, err)
		}
	}
	for _, tg := range left.Tags {
		repo, tag, _ := strings.Cut(tg, ":")
		if rep, err := f.cloud.DescribeRepository(ctx, repo, tag); err == nil && rep.Exists && rep.HasTag {
			t.Errorf("the tag %s pushed by the check is still there after teardown", tg)
		}
	}
	if left := f.lab.State().Challenge; left != nil {
		t.Errorf("leftovers still on record after teardown: %+v", left)
	}
}
