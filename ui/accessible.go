package ui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// RunAccessible walks the lab with plain prompts and one line per event, for
// screen readers and dumb terminals: no cursor movement, no colour needed,
// every question answered with a line of text.
func RunAccessible(ctx context.Context, in io.Reader, out io.Writer, opts Options) error {
	a := &accessible{in: bufio.NewScanner(in), out: out}
	say := a.say
	say("ecr-vpce-lab, accessible mode. Each step explains itself, then asks you to press Enter. Type q and Enter at any prompt to stop.")
	sandbox := opts.Sandbox
	if !sandbox && opts.Detect != nil {
		say("Looking for AWS credentials.")
		d := opts.Detect(ctx)
		if !d.Credentials {
			why := d.Problem
			if why == "" {
				why = "No AWS credentials were found."
			}
			say(why)
			if ans := a.ask("Use the sandbox, a replica of AWS on this machine that costs nothing? Type y for yes, anything else to quit:"); ans != "y" && ans != "yes" {
				return nil
			}
			sandbox = true
		}
	}
	if sandbox {
		say("Starting the sandbox.")
	} else {
		say("Connecting to AWS.")
	}
	if opts.Connect == nil {
		return fmt.Errorf("no way to connect")
	}
	conn, err := opts.Connect(ctx, sandbox, a.event)
	if err != nil {
		say("The lab cannot start: " + errText(err))
		if fix := fixOf(err); fix != "" {
			say("What to do: " + fix)
		}
		return err
	}
	defer func() {
		if conn.Close != nil {
			_ = conn.Close()
		}
	}()
	lab := conn.Lab
	for i := scrPreflight; i < scrFinish; i++ {
		info := screens[i]
		say("")
		say(fmt.Sprintf("Step %d of %d: %s.", i+1, numScreens, info.title))
		say(info.intro)
		if i == scrWorkspace {
			a.describeWorkspace(lab)
			continue
		}
		if i == scrPolicy {
			if err := a.policy(ctx, lab); err != nil {
				return a.stopped(lab, sandbox)
			}
			continue
		}
		for {
			ans := a.ask("Press Enter to run this step, s to skip it, or q to stop:")
			if ans == "q" {
				return a.stopped(lab, sandbox)
			}
			if ans == "s" {
				break
			}
			err := lab.RunSteps(ctx, info.steps...)
			if err == nil {
				say("Step done.")
				break
			}
			if ctx.Err() != nil {
				return a.stopped(lab, sandbox)
			}
			say("The step failed. Press Enter to try again.")
		}
	}
	say("")
	say(screens[scrFinish].intro)
	if c := lab.Cost(); c.InterfaceEndpoints > 0 {
		say(fmt.Sprintf("So far about $%.2f; $%.2f per hour while the endpoints exist.", c.SoFar, c.PerHour))
	}
	if ans := a.ask("Tear everything down now? Type y for yes, anything else to keep it:"); ans == "y" || ans == "yes" {
		rep, err := lab.Teardown(ctx, steps.TeardownOptions{})
		if err != nil {
			return err
		}
		if rep.Nothing() {
			say("Nothing is left: no resource tagged by this lab remains.")
		}
		return nil
	}
	return a.stopped(lab, sandbox)
}

type accessible struct {
	mu  sync.Mutex
	in  *bufio.Scanner
	out io.Writer
}

func (a *accessible) say(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintln(a.out, s)
}

// ask prints a prompt and reads one line; end of input counts as q.
func (a *accessible) ask(prompt string) string {
	a.say(prompt)
	if !a.in.Scan() {
		return "q"
	}
	return strings.ToLower(strings.TrimSpace(a.in.Text()))
}

func (a *accessible) stopped(lab *steps.Lab, sandbox bool) error {
	if lab.Cost().InterfaceEndpoints > 0 {
		a.say("Stopped. The endpoints keep running. Run ecr-vpce-lab" + sandboxFlag(sandbox) + " again to resume, or ecr-vpce-lab down" + sandboxFlag(sandbox) + " --yes to remove everything.")
	} else {
		a.say("Stopped. Run ecr-vpce-lab" + sandboxFlag(sandbox) + " again to resume.")
	}
	return nil
}

func (a *accessible) describeWorkspace(lab *steps.Lab) {
	s := lab.State()
	ws := s.Workspace
	if ws.SubnetID == "" {
		a.say("The workspace has not been discovered.")
		return
	}
	a.say(fmt.Sprintf("Account %s, region %s.", s.Account, s.Region))
	a.say(fmt.Sprintf("VPC %s, address range %s.", ws.VpcID, ws.VpcCIDR))
	a.say(fmt.Sprintf("Subnet %s in zone %s.", ws.SubnetID, ws.AZ))
	a.say("Workspace security group " + ws.SecurityGroupID + ".")
	rt := "Route table " + ws.RouteTableID
	if ws.RouteTableMain {
		rt += ", the VPC's main table, because the subnet has none of its own"
	}
	a.say(rt + ".")
}

func (a *accessible) policy(ctx context.Context, lab *steps.Lab) error {
	s := lab.State()
	cfg := lab.Config()
	repo := cfg.Repo
	for {
		ans := a.ask(fmt.Sprintf("Repository the Deny applies to? Press Enter for %s, or type another name:", repo))
		if ans == "q" {
			return context.Canceled
		}
		if ans != "" {
			if err := validateRepo(ans); err != nil {
				a.say(err.Error())
				continue
			}
			repo = ans
		}
		break
	}
	var deny []string
	allowAll := false
	for {
		ans := a.ask("Actions to deny, separated by commas? Press Enter for ecr:PutImage, or type none to deny nothing. Choices: " + strings.Join(denyChoices(), ", ") + ".")
		if ans == "q" {
			return context.Canceled
		}
		deny, allowAll = nil, ans == "none"
		if allowAll {
			break
		}
		for _, x := range strings.Split(ans, ",") {
			if x = strings.TrimSpace(x); x != "" {
				deny = append(deny, x)
			}
		}
		if _, err := policy.Default(s.Account, s.Region, repo, deny); err != nil {
			a.say(err.Error())
			continue
		}
		break
	}
	target := steps.TargetBoth
	if ans := a.ask("Attach the policy to both ECR endpoints, as AWS recommends? Press Enter for both, or type dkr for ecr.dkr only:"); ans == "dkr" {
		target = steps.TargetDKR
	} else if ans == "q" {
		return context.Canceled
	}
	doc, err := policy.Default(s.Account, s.Region, repo, deny)
	if allowAll {
		doc, err = policy.AllowAll(), nil
	}
	if err != nil {
		return err
	}
	for _, row := range simulationRows(doc, target, s.Account, s.Region, repo) {
		verdict := "allowed"
		if row[2] != string(policy.ResultAllow) {
			verdict = "denied"
		}
		a.say(fmt.Sprintf("With this policy, %s on %s is %s.", row[0], row[1], verdict))
	}
	for {
		if ans := a.ask("Press Enter to apply this policy, or q to stop:"); ans == "q" {
			return context.Canceled
		}
		if err := lab.ApplyPolicy(ctx, doc, target); err == nil {
			a.say("Policy applied.")
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// event prints one engine event as a sentence.
func (a *accessible) event(e steps.Event) {
	switch e.Kind {
	case steps.EventStarted:
		a.say("Started: " + e.Message + ".")
	case steps.EventDetail:
		a.say(e.Message)
	case steps.EventResource:
		if r := e.Resource; r != nil {
			name := resourceLabel(*r)
			if r.ID != "" {
				name += " " + r.ID
			}
			line := fmt.Sprintf("%s is %s.", name, r.State.Label())
			if r.Detail != "" {
				line += " " + r.Detail
			}
			a.say(line)
		}
	case steps.EventCheck:
		if c := e.Check; c != nil {
			if c.OK {
				a.say("Check passed: " + c.Title + ".")
			} else {
				a.say("Check failed: " + c.Title + ". " + c.Message + ". What to do: " + c.Fix)
			}
		}
	case steps.EventDNS:
		for _, l := range e.Lookups {
			a.say(lookupSentence(l))
		}
	case steps.EventTest:
		if t := e.Test; t != nil {
			line := fmt.Sprintf("Test %s: %s.", t.Name, t.Verdict())
			if t.Match {
				line += " That is what the policy predicts."
			} else {
				line += " The policy predicts otherwise."
			}
			a.say(line)
			if t.Outcome.Message != "" {
				a.say("The service said: " + t.Outcome.Message)
			}
		}
	case steps.EventFailed:
		a.say("Failed: " + e.Error)
		if e.Fix != "" {
			a.say("What to do: " + e.Fix)
		}
	case steps.EventDone:
		a.say("Finished: " + e.Message + ".")
	}
}

func lookupSentence(l steps.Lookup) string {
	if l.Err != "" {
		return l.Name + " did not resolve: " + l.Err
	}
	var parts []string
	for _, ad := range l.Addresses {
		kind := "public"
		if ad.Private {
			kind = "private"
		}
		parts = append(parts, ad.IP+" ("+kind+")")
	}
	return l.Name + " resolves to " + strings.Join(parts, ", ") + "."
}
