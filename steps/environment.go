package steps

import (
	"context"
	"fmt"
	"strings"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// SetEnvironment tells the lab where it runs (awsops.Detect, then
// Cloud.Locate): discovery picks the way that fits the place, preflight
// says which place and why, and outside every VPC of the account the DNS
// step and the proofs are skipped, with the reason.
func (l *Lab) SetEnvironment(env Environment) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := env
	l.place = &e
}

// Environment returns where the lab runs, when it has been told.
func (l *Lab) Environment() (Environment, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.place == nil {
		return Environment{}, false
	}
	return *l.place, true
}

// SkipReason says why a step is skipped here ("" when it runs): the DNS
// step and the proofs observe the VPC from inside, which public CloudShell
// and a laptop are not.
func (l *Lab) SkipReason(id StepID) string {
	switch id {
	case StepDNS, StepPush, StepList, StepPull:
	default:
		return ""
	}
	env, ok := l.Environment()
	if !ok {
		return ""
	}
	return env.CannotProve()
}

// skip records a skipped step and says why.
func (l *Lab) skip(s Step, reason string) error {
	return l.endWith(s, StatusSkipped, EventSkipped, reason)
}

// unproven records a test that ran but proves nothing about the endpoint
// policy (its requests went around the endpoints), with why and the fix.
func (l *Lab) unproven(s Step, reason string) error {
	return l.endWith(s, StatusUnproven, EventUnproven, reason)
}

// endWith records how a step ended without being done, and says why.
func (l *Lab) endWith(s Step, status StepStatus, kind EventKind, reason string) error {
	if err := l.update(func(st *State) {
		st.setStep(s.ID, StepRecord{Status: status, At: l.cfg.Now(), Message: reason})
	}); err != nil {
		return err
	}
	l.emit(s.ID, Event{Kind: kind, Message: s.Title, Reason: reason})
	return nil
}

// environmentItems are preflight's lines about the place: where the lab
// runs and why it thinks so, and what that means for the lab.
func (l *Lab) environmentItems() []CheckItem {
	env, ok := l.Environment()
	if !ok {
		return nil
	}
	items := []CheckItem{{ID: "environment", Title: "Where the lab runs", OK: true, Message: env.Sentence()}}
	for _, n := range env.Notes {
		items = append(items, CheckItem{ID: "environment-note", Title: "Metadata service", Warning: true, Message: n})
	}
	if r := env.CannotProve(); r != "" {
		see := "run the lab in the sandbox (--sandbox) to see them"
		if l.cfg.Mode == "sandbox" {
			// On the sandbox already: it is playing a place outside the VPC.
			see = "play a workspace inside the VPC (--world cloud9, with a fresh --state-dir or --reset) to see them"
		}
		items = append(items, CheckItem{ID: "proofs", Title: "What can be proven from here", Warning: true, Message: r,
			Fix: "go on with the DNS step and the proofs skipped (marked skipped, not passed), or " + see})
	}
	return items
}

// noWorkspace is discovery's answer where there is no workspace to
// discover: the place, and how to choose the VPC, subnet and group (the
// region's VPCs listed, for the headless commands).
func (l *Lab) noWorkspace(ctx context.Context, env Environment) error {
	msg := "there is no workspace to discover in " + env.Kind.Title()
	if env.Problem != "" {
		msg += ": " + strings.TrimSuffix(env.Problem, ".")
	}
	fix := "choose where the endpoints go: pass --vpc, --subnet and --workspace-sg (in the wizard, press e to choose)"
	if vpcs, err := l.cloud.ListVPCs(ctx); err == nil && len(vpcs) > 0 {
		fix += "; VPCs in " + l.cloud.Region() + ": " + choicesText(vpcs) + ". '" + l.commands().aws("ec2 describe-subnets --filters Name=vpc-id,Values=VPC") + "' lists a VPC's subnets"
	}
	return &problem.Error{Kind: problem.NotOnEC2, Message: msg, Fix: fix}
}

// vpcChoices is what a learner who gave only the VPC needs next: its
// subnets and security groups (a laptop may have no AWS CLI to list them),
// as a clause to add to a fix; "" when there is no VPC or it cannot be read.
func (l *Lab) vpcChoices(ctx context.Context, vpcID string) string {
	if vpcID == "" {
		return ""
	}
	subnets, err := l.cloud.ListSubnets(ctx, vpcID)
	if err != nil || len(subnets) == 0 {
		return ""
	}
	text := "; subnets in " + vpcID + ": " + choicesText(subnets)
	if groups, err := l.cloud.ListSecurityGroups(ctx, vpcID); err == nil && len(groups) > 0 {
		text += "; its security groups: " + choicesText(groups)
	}
	return text
}

// choicesText lists the first five choices as "ID (detail, name)" and says
// how many more there are.
func choicesText(cs []awsops.Choice) string {
	var vs []string
	for i, c := range cs {
		if i == 5 {
			vs = append(vs, fmt.Sprintf("and %d more", len(cs)-5))
			break
		}
		var about []string
		for _, a := range []string{c.Detail, c.Name} {
			if a != "" {
				about = append(about, a)
			}
		}
		if len(about) == 0 {
			vs = append(vs, c.ID)
			continue
		}
		vs = append(vs, c.ID+" ("+strings.Join(about, ", ")+")")
	}
	return strings.Join(vs, ", ")
}

// placeWorkspace is the workspace the place itself gave (a CloudShell VPC
// environment's interface), if any.
func (l *Lab) placeWorkspace() (awsops.Workspace, bool) {
	env, ok := l.Environment()
	if !ok || env.Workspace == nil {
		return awsops.Workspace{}, false
	}
	return *env.Workspace, true
}
