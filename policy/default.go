package policy

import (
	"fmt"
	"strings"
)

// DefaultRepository is the repository the workshop's deny targets.
const DefaultRepository = "team-a/alpine"

// Default builds the lab's endpoint policy: allow everything through the
// endpoint, then deny the given actions on the lab repository. With only
// ecr:PutImage denied (the lab's case) the Deny's Sid is DenyPutImage.
func Default(account, region, repo string, denied []string) (*Document, error) {
	if repo == "" {
		repo = DefaultRepository
	}
	if len(denied) == 0 {
		denied = []string{"ecr:PutImage"}
	}
	actions := Values{}
	for _, a := range denied {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !strings.Contains(a, ":") {
			a = "ecr:" + a
		}
		if err := CheckAction(a); err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(a, "ecr:")
		if !strings.ContainsAny(name, "*?") {
			a = "ecr:" + ecrActionIndex[strings.ToLower(name)]
		}
		actions = append(actions, a)
	}
	sid := "DenyActions"
	if len(actions) == 1 && !strings.ContainsAny(actions[0], "*?") {
		sid = "Deny" + strings.TrimPrefix(actions[0], "ecr:")
	}
	return &Document{
		Version: "2012-10-17",
		Statements: []Statement{
			{Sid: "AllowAll", Effect: Allow, Principal: &Principal{Any: true}, Action: Values{"*"}, Resource: Values{"*"}},
			{Sid: sid, Effect: Deny, Principal: &Principal{Any: true}, Action: actions, Resource: Values{RepositoryARN(region, account, repo)}},
		},
	}, nil
}

// AllowAll is the policy AWS gives an endpoint by default, written out:
// one statement that lets every principal do everything. The lab's form
// produces it when nothing is to be denied.
func AllowAll() *Document {
	return &Document{
		Version:    "2012-10-17",
		Statements: []Statement{{Sid: "AllowAll", Effect: Allow, Principal: &Principal{Any: true}, Action: Values{"*"}, Resource: Values{"*"}}},
	}
}

// CheckAction says why a, an action to deny as the lab's prompts and flags
// take it (the ecr: prefix may be left out), names no ECR action or, with a
// wildcard, matches none; nil when it does. It is the linter's rule, so a
// policy built from what it lets through passes the check made before the
// policy is applied: a wildcard that matches nothing (it would deny
// nothing) is refused where it is typed.
func CheckAction(a string) error {
	a = strings.TrimSpace(a)
	if !strings.Contains(a, ":") {
		a = "ecr:" + a
	}
	if !strings.HasPrefix(a, "ecr:") {
		return fmt.Errorf("%q is not an ECR action: use names like ecr:PutImage (see 'policy check' for the full list)", a)
	}
	if msg, fix := ecrActionProblem(a); msg != "" {
		return fmt.Errorf("%s: %s", msg, fix)
	}
	return nil
}
