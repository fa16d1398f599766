package steps

import (
	"fmt"
	"strings"
	"testing"

	"ecr-vpce-lab/policy"
)

func testContext() ChallengeContext {
	return NewChallengeContext(State{Account: "123456789012", Region: "us-west-2",
		Caller:    "arn:aws:sts::123456789012:assumed-role/ecr-vpce-lab-workspace/i-0123",
		Workspace: Workspace{VpcID: "vpc-0abc", VpcCIDR: "10.0.0.0/16"},
		Endpoints: map[string]*Record{EndpointDKR: {ID: "vpce-0dkr"}, EndpointAPI: {ID: "vpce-0api"}}})
}

// TestChallengeModelAnswersPass: each model answer lints clean (as the
// policy type it is) and passes its hidden request set by simulation; so
// does not the starter.
func TestChallengeModelAnswersPass(t *testing.T) {
	c := testContext()
	if len(Challenges()) < 8 {
		t.Fatalf("%d challenges, want at least the issue's eight", len(Challenges()))
	}
	for _, ch := range Challenges() {
		t.Run(fmt.Sprintf("%d %s", ch.ID, ch.Title), func(t *testing.T) {
			if len(ch.Hints) < 2 || ch.Goal == "" || ch.Lesson == "" {
				t.Errorf("challenge %d lacks hints, a goal or a lesson", ch.ID)
			}
			model := []byte(ch.Model(c))
			for _, f := range policy.LintWith(model, policy.LintOptions{Account: c.Account, Region: c.Region, Type: ch.Target.PolicyType()}) {
				t.Errorf("model answer: %d:%d %s %s", f.Line, f.Column, f.Severity, f.Message)
			}
			res := ch.Simulate(c, model)
			if !res.Passed {
				t.Fatalf("the model answer fails: rules %v, requests %+v", res.Rules, res.Failed())
			}
			if len(res.Requests) < 5 {
				t.Errorf("only %d hidden requests", len(res.Requests))
			}
			if ch.Simulate(c, []byte(ch.Starter(c))).Passed {
				t.Errorf("the starter policy already passes")
			}
		})
	}
}

// TestChallengeWrongAnswersFail: at least three mistakes per challenge,
// each failing on the request that shows it, with the deciding trace.
func TestChallengeWrongAnswersFail(t *testing.T) {
	c := testContext()
	for _, ch := range Challenges() {
		wrongs := wrongAnswers[ch.ID]
		if len(wrongs) < 3 {
			t.Errorf("challenge %d has %d wrong answers, want at least three", ch.ID, len(wrongs))
		}
		for _, w := range wrongs {
			t.Run(fmt.Sprintf("%d %s", ch.ID, w.name), func(t *testing.T) {
				res := ch.Simulate(c, []byte(w.policy(c)))
				if res.Passed {
					t.Fatal("the wrong answer passes")
				}
				if len(res.Findings) > 0 {
					t.Fatalf("the wrong answer does not even lint: %+v", res.Findings)
				}
				if w.rule != "" && !strings.Contains(strings.Join(res.Rules, "\n"), w.rule) {
					t.Errorf("rules %v do not say %q", res.Rules, w.rule)
				}
				var labels []string
				found := false
				for _, f := range res.Failed() {
					labels = append(labels, f.Label())
					if strings.Contains(f.Label(), w.shows) {
						found = true
						if f.Trace == nil {
							t.Errorf("%s went wrong without a trace", f.Label())
						}
						if !f.Actual && f.Message == "" {
							t.Errorf("%s was refused without AWS's sentence", f.Label())
						}
					}
				}
				if !found {
					t.Errorf("no failed request %q among %q", w.shows, labels)
				}
			})
		}
	}
}

// TestChallengeSimulationUsesTheRequestContext: the probes carry the keys
// AWS gives (a partner's account, the endpoint's ID, nothing from outside).
func TestChallengeSimulationUsesTheRequestContext(t *testing.T) {
	c := testContext()
	in := c.requestContext(Probe{Who: Us, From: Inside}, policy.EndpointDKR, true)
	if in["aws:SourceVpce"][0] != "vpce-0dkr" || in["aws:SourceVpc"][0] != "vpc-0abc" || in["aws:VpcSourceIp"][0] != "10.0.0.10" ||
		in["aws:PrincipalArn"][0] != "arn:aws:iam::123456789012:role/ecr-vpce-lab-workspace" {
		t.Errorf("inside: %v", in)
	}
	if api := c.requestContext(Probe{Who: Us, From: Inside}, policy.EndpointAPI, true); api["aws:SourceVpce"][0] != "vpce-0api" {
		t.Errorf("through ecr.api: %v", api)
	}
	out := c.requestContext(Probe{Who: Partner, From: Outside}, policy.EndpointDKR, false)
	if _, ok := out["aws:SourceVpce"]; ok || out["aws:PrincipalAccount"][0] != "210987654321" || out["aws:SourceIp"] == nil {
		t.Errorf("outside, as the partner: %v", out)
	}
	// The partner's request and its context name one account, even when
	// Partner is no ARN to read it from (the context's computed the
	// partner's account apart and fell back to the lab's own).
	odd := c
	odd.Partner = "partner-ci"
	req := odd.request(Probe{Op: "pull", Repo: repoLab, Who: Partner, From: Inside}, policy.ActionStep{Action: "ecr:BatchGetImage", Endpoint: policy.EndpointDKR})
	if req.PrincipalAccount != partnerAccount || req.Context["aws:PrincipalAccount"][0] != req.PrincipalAccount {
		t.Errorf("a partner that is no ARN: request's account %q, context's %v", req.PrincipalAccount, req.Context["aws:PrincipalAccount"])
	}
	// Without endpoints the IDs are stand-ins, and say so.
	if ex := NewChallengeContext(State{}); !ex.Example || ex.DKR == "" || ex.Account == "" {
		t.Errorf("example context %+v", ex)
	}
}

// TestJudgePrediction: challenge 5 asks for a forecast; the model
// answer's requests prove login, push and pull refused and list-images
// allowed, and each guess is held against them.
func TestJudgePrediction(t *testing.T) {
	ch, _ := ChallengeByID(5)
	if len(ch.Predict) != 4 {
		t.Fatalf("challenge 5 predicts %v", ch.Predict)
	}
	c := NewChallengeContext(State{})
	sim := ch.Simulate(c, []byte(ch.Model(c)))
	if !sim.Passed {
		t.Fatalf("model fails: %+v", sim.Failed())
	}
	guesses := ch.JudgePrediction(Prediction{"list-images": true, "pull": true}, sim.Requests)
	if len(guesses) != 4 {
		t.Fatalf("guesses %+v", guesses)
	}
	want := map[string]struct{ actual, right bool }{"login": {false, true}, "push": {false, true}, "pull": {false, false}, "list-images": {true, true}}
	for _, g := range guesses {
		if w := want[g.Op]; g.Actual != w.actual || g.Right != w.right {
			t.Errorf("%s: %+v, want actual %v right %v", g.Op, g, w.actual, w.right)
		}
	}
	if g := guesses[2]; g.Op != "pull" || g.Got != "refused at ecr:GetAuthorizationToken" {
		t.Errorf("the pull's outcome in words: %+v", g)
	}
	if other, _ := ChallengeByID(1); len(other.JudgePrediction(Prediction{}, sim.Requests)) != 0 {
		t.Errorf("a challenge without a forecast judges one")
	}
}
