package ui

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// RunAccessible walks the lab with plain prompts and one line per event, for
// screen readers and dumb terminals: no cursor movement, no colour needed,
// every question answered with a line of text. Every question says which
// answers it takes and what Enter means; any other answer is asked again,
// and only a yes (or Enter where yes is the stated default) creates anything.
//
// Input that ends before the lab does stops it as q would, but the error
// says so (ErrInputEnded, with what to do next as its fix): answers that
// ran out are not a finished lab.
func RunAccessible(ctx context.Context, in io.Reader, out io.Writer, opts Options) error {
	a := &accessible{ctx: ctx, in: bufio.NewReader(in), out: out, again: opts.Again}
	err := a.run(ctx, opts)
	if err == nil && ctx.Err() != nil {
		// Interrupted (ctrl-c): stopped, not finished.
		return &problem.Error{Kind: problem.Canceled, Message: "stopped before the lab finished", Fix: cmp.Or(a.next, "run '"+a.cmd(" --accessible", opts.Sandbox)+"' again to resume"), Err: ctx.Err()}
	}
	if err == nil && a.ended && !a.finished {
		next := a.next
		if next == "" {
			next = "run '" + a.cmd(" --accessible", opts.Sandbox) + "' again and answer each question (Enter takes the answer it states)"
		}
		return &problem.Error{Message: ErrInputEnded.Error(), Fix: next, Err: ErrInputEnded}
	}
	return err
}

// ErrInputEnded is accessible mode's input ending before the lab did.
var ErrInputEnded = errors.New("the input ended before the lab finished")

func (a *accessible) run(ctx context.Context, opts Options) error {
	say := a.say
	say("ecr-vpce-lab, accessible mode. Each step explains itself, then asks whether to run it. Type q and Enter at any question to stop.")
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
			if a.choose(askSandbox) != answerYes {
				say("Nothing was started.")
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
	conn, err := opts.Connect(ctx, Target{Sandbox: sandbox}, a.event)
	var choice *steps.RunChoiceError
	if errors.As(err, &choice) && len(choice.Runs) > 0 {
		run, ok := a.chooseRun(choice)
		if !ok {
			say("Nothing was chosen. '" + a.cmd(" down --run ID", sandbox) + "' removes one run, '" + a.cmd(" down --all", sandbox) + "' all of them.")
			return nil
		}
		conn, err = opts.Connect(ctx, Target{Sandbox: sandbox, Run: run}, a.event)
	}
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
	if env, ok := lab.Environment(); ok {
		say("Here: " + env.Sentence() + ".")
		if env.Credentials {
			say("Credentials: " + env.Identity() + ".")
		}
		if r := env.CannotProve(); r != "" {
			say(r + " They will be skipped, not passed; ecr-vpce-lab --sandbox --accessible shows them.")
		}
	}
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
		if i == scrEndpoints && !sandbox {
			if left, ok := lab.State().TimeLeft(lab.Now()); ok && left < time.Hour {
				say(fmt.Sprintf("This run expires in %s, under an hour: that long after the endpoints exist, the auto-teardown removes them. Answer n to skip, and start again with a longer --expires if you need more time.", steps.FormatLeft(left)))
			}
		}
		for {
			switch a.choose(askRunStep) {
			case answerQuit:
				return a.stopped(lab, sandbox)
			case answerNo:
				// The learner has seen the failure and moves on past it.
				a.failed = nil
				say("Skipped.")
			case answerYes:
				err := lab.RunSteps(ctx, info.steps...)
				if err != nil {
					if ctx.Err() != nil {
						return a.stopped(lab, sandbox)
					}
					if i == scrPreflight && problem.KindOf(err) == problem.NotOnEC2 {
						if !a.chooseWorkspace(ctx, lab) {
							return a.stopped(lab, sandbox)
						}
						continue
					}
					say("The step failed.")
					a.failed = &problem.Error{Kind: problem.KindOf(err), Message: strings.ToLower(info.title[:1]) + info.title[1:] + " did not finish: " + errText(err), Fix: fixOf(err), Err: err}
					continue
				}
				a.failed = nil
				say(doneOrSkipped(lab, info.steps))
				if i == scrEndpoints && len(lab.State().Endpoints) > 0 {
					if e := lab.ExpirySentence(lab.State(), lab.Now()); e != "" {
						say(e + " You can change it at the end.")
					}
				}
			}
			break
		}
	}
	a.finished = true
	say("")
	say(finishWords(lab.State(), sandbox))
	if c := lab.Cost(); c.InterfaceEndpoints > 0 {
		// The finish screen's words: on the sandbox, what AWS would bill.
		figures := fmt.Sprintf("$%.2f so far (AWS bills every started hour in full), $%.2f per hour while the endpoints exist", c.SoFar, c.PerHour)
		if c.Unpriced {
			figures = "the endpoints are billed for every hour they exist; " + c.NoPrice()
		}
		say(steps.CostSentence(figures, sandbox))
		say("While they exist, the policy challenges can be checked for real: '" + a.cmd(" challenge list", sandbox) +
			"' states their goals and 'challenge check' checks an answer once this session has ended; '" + a.cmd(" explain", sandbox) + "' says why a request was refused.")
	}
	if e := lab.ExpirySentence(lab.State(), lab.Now()); e != "" {
		say(e)
	}
	if a.choose(askTeardown) == answerYes {
		var opts steps.TeardownOptions
		if names := lab.State().VPCDNS.Names(); len(names) > 0 {
			say(fmt.Sprintf("The lab turned on %s in the VPC %s.", strings.Join(names, " and "), lab.State().VPCDNS.VpcID))
			opts.KeepVPCDNS = a.choose(askRevertDNS) == answerNo
		}
		rep, err := lab.Teardown(ctx, opts)
		if err != nil {
			return err
		}
		if rep.Nothing() {
			say("Nothing is left: no resource tagged by this lab remains.")
		}
		return nil
	}
	if len(lab.State().Endpoints) > 0 {
		a.changeExpiry(ctx, lab, sandbox)
	}
	if lab.Cost().InterfaceEndpoints > 0 && ctx.Err() == nil {
		// Kept running on purpose: no stop, nothing to resume. What it
		// leaves, in the words of the wizard and the headless commands;
		// the expiry was said just above (or its change was).
		l := a.leftover(lab, sandbox)
		l.Until = ""
		a.say("Done. " + l.Sentence() + " " + a.cmd(" --accessible", sandbox) + " brings you back to the lab.")
		return nil
	}
	return a.stopped(lab, sandbox)
}

// changeExpiry offers, when the learner keeps the lab running, to move
// the expiry or turn it off, as the wizard's E does. An answer it cannot
// read is asked again; Enter, q or the end of the input keep the expiry.
func (a *accessible) changeExpiry(ctx context.Context, lab *steps.Lab, sandbox bool) {
	for {
		line, quit := a.text("Change when the auto-teardown removes it? Type a new lifetime from now, such as 2h or 45m, or never; Enter keeps it.")
		if quit || line == "" {
			return
		}
		d, err := steps.ParseExpires(line)
		if err != nil {
			a.say(err.Error() + ".")
			continue
		}
		if !sandbox && d != steps.NeverExpires && d < time.Hour && a.choose(askShortExpiry) != answerYes {
			continue
		}
		if err := lab.SetExpiry(ctx, d); err != nil {
			a.say("The expiry was not changed: " + errText(err) + orEmpty(" What to do: ", fixOf(err)))
		}
		// The lab's detail has said the new expiry.
		return
	}
}

// The answers a question can get.
const (
	answerYes  = "yes"
	answerNo   = "no"
	answerQuit = "quit"
	answerBoth = "both"
	answerDKR  = "dkr"
)

// question is a question with a fixed set of answers.
type question struct {
	prompt string
	// again is said after an answer the question does not take.
	again   string
	choices []choice
}

// choice is one answer and the words that give it, in lower case; ""
// stands for Enter alone, the default the prompt states.
type choice struct {
	answer string
	words  []string
}

var (
	quitWords = choice{answerQuit, []string{"q", "quit", "stop"}}

	askSandbox = question{
		prompt:  "Use the sandbox, a replica of AWS on this machine that costs nothing? Type y for yes or n for no; Enter means no.",
		again:   "Please type y to use the sandbox, or n (or just Enter) to stop here.",
		choices: []choice{{answerYes, []string{"y", "yes"}}, {answerNo, []string{"", "n", "no"}}, {answerNo, quitWords.words}},
	}
	askRunStep = question{
		prompt:  "Run this step now? Type y to run it, n to skip it, q to stop; Enter means yes.",
		again:   "Please type y (or just Enter) to run this step, n to skip it, or q to stop.",
		choices: []choice{{answerYes, []string{"", "y", "yes"}}, {answerNo, []string{"n", "no", "s", "skip"}}, quitWords},
	}
	askTeardown = question{
		prompt:  "Tear everything down now? Type y to remove what the lab created, or n to keep it; Enter means no.",
		again:   "Please type y to tear down, or n (or just Enter) to keep everything.",
		choices: []choice{{answerYes, []string{"y", "yes"}}, {answerNo, []string{"", "n", "no"}}, {answerNo, quitWords.words}},
	}
	askRevertDNS = question{
		prompt:  "Turn them back off, as they were before the lab? Type y to turn them off, or n to keep them on; Enter means yes.",
		again:   "Please type y (or just Enter) to turn them back off, or n to keep them on.",
		choices: []choice{{answerYes, []string{"", "y", "yes"}}, {answerNo, []string{"n", "no"}}, {answerNo, quitWords.words}},
	}
	askTarget = question{
		prompt:  "Attach the policy to both ECR endpoints, as AWS recommends, or to ecr.dkr only? Type both or dkr, q to stop; Enter means both.",
		again:   "Please type both (or just Enter), dkr, or q to stop.",
		choices: []choice{{answerBoth, []string{"", "both", "b"}}, {answerDKR, []string{"dkr", "d", "ecr.dkr"}}, quitWords},
	}
	askShortExpiry = question{
		prompt:  "That is under an hour: the auto-teardown would remove the endpoints while you may still be working. Type y to set it anyway, or n to choose again; Enter means no.",
		again:   "Please type y to set it anyway, or n (or just Enter) to choose again.",
		choices: []choice{{answerYes, []string{"y", "yes"}}, {answerNo, []string{"", "n", "no"}}, {answerNo, quitWords.words}},
	}
	askApply = question{
		prompt:  "Apply this policy? Type y to apply it, n to choose again, q to stop; Enter means yes.",
		again:   "Please type y (or just Enter) to apply the policy, n to choose again, or q to stop.",
		choices: []choice{{answerYes, []string{"", "y", "yes"}}, {answerNo, []string{"n", "no"}}, quitWords},
	}
)

// pick returns the answer line gives, compared without case and the spaces
// around it; ok is false when the question does not take it.
func (q question) pick(line string) (answer string, ok bool) {
	w := strings.ToLower(strings.TrimSpace(line))
	for _, c := range q.choices {
		for _, x := range c.words {
			if w == x {
				return c.answer, true
			}
		}
	}
	return "", false
}

type accessible struct {
	mu sync.Mutex
	// ctx ends the wait for an answer (ctrl-c).
	ctx context.Context
	in  *bufio.Reader
	// pending is the line being read in the background, when a wait for
	// it was cut short.
	pending chan lineRead
	out     io.Writer
	// again is the flags besides --sandbox that chose this lab
	// (Options.Again).
	again string
	// ended is set once the input has ended (or cannot be read).
	ended bool
	// finished: every step has been offered and the last words said; what
	// is asked after (tear down now, a new expiry) is optional, and an
	// input that ends there ends a finished lab, as Enter would.
	finished bool
	// next is what to do next, as the last stop said it.
	next string
	// failed is the failure the learner has not got past yet (a step that
	// failed, a policy that was not applied): a stop after it is no clean
	// stop, and exits non-zero saying what was not done.
	failed *problem.Error
}

// cmd is the command line of sub for this lab, with the flags that chose it.
func (a *accessible) cmd(sub string, sandbox bool) string {
	return labCommand(sub, sandbox, a.again)
}

// leftover is what the lab leaves if it ends now (steps.LeftoverOf).
func (a *accessible) leftover(lab *steps.Lab, sandbox bool) steps.Leftover {
	return steps.LeftoverOf(lab.State(), lab.Now(), sandbox, a.cmd(" down", sandbox)+" --yes")
}

func (a *accessible) say(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintln(a.out, s)
}

// choose asks q until it gets an answer q takes; the end of the input
// stops the lab.
func (a *accessible) choose(q question) string {
	a.say(q.prompt)
	for {
		line, err := a.readLine()
		if err != nil && !errors.Is(err, errLongAnswer) {
			return answerQuit
		}
		if err == nil {
			if ans, ok := q.pick(line); ok {
				return ans
			}
		}
		a.say(q.again)
	}
}

// text asks for a line of free text. quit is set when the answer is q (or
// the input ended); the text comes back with the spaces around it removed.
func (a *accessible) text(prompt string) (text string, quit bool) {
	a.say(prompt)
	for {
		line, err := a.readLine()
		if errors.Is(err, errLongAnswer) {
			a.say(fmt.Sprintf("That answer is longer than %d characters; please type it again.", maxAnswer))
			continue
		}
		if err != nil {
			return "", true
		}
		line = strings.TrimSpace(line)
		if _, isQuit := (question{choices: []choice{quitWords}}).pick(line); isQuit {
			return "", true
		}
		return line, false
	}
}

// maxAnswer bounds one answer: a repository name is at most 256 characters.
const maxAnswer = 1024

var errLongAnswer = errors.New("answer too long")

// lineRead is one line read, or why there is none.
type lineRead struct {
	line string
	err  error
}

// readLine waits for the next line of input, or for the context to end:
// ctrl-c at a question stops the lab at once, not after the next Enter.
// The read goes on in the background, and the next readLine takes its line.
func (a *accessible) readLine() (string, error) {
	if a.pending == nil {
		ch := make(chan lineRead, 1)
		a.pending = ch
		go func() {
			line, err := a.readLineNow()
			ch <- lineRead{line, err}
		}()
	}
	var stop <-chan struct{} // nil, without a context: wait for the line
	if a.ctx != nil {
		stop = a.ctx.Done()
	}
	select {
	case r := <-a.pending:
		a.pending = nil
		if r.err != nil && !errors.Is(r.err, errLongAnswer) {
			a.ended = true
		}
		return r.line, r.err
	case <-stop:
		return "", a.ctx.Err()
	}
}

// readLineNow reads one line of input, at most maxAnswer bytes of it (the
// rest of a longer line is read and dropped, and errLongAnswer returned).
// A last line without a newline counts; then io.EOF.
func (a *accessible) readLineNow() (string, error) {
	var b []byte
	long := false
	for {
		frag, err := a.in.ReadSlice('\n')
		if !long {
			if len(b)+len(frag) > maxAnswer+1 { // +1: the newline
				long, b = true, nil
			} else {
				b = append(b, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && len(b) == 0 && !long {
			return "", err
		}
		break // a whole line, or a last one without its newline
	}
	line := strings.TrimSuffix(string(b), "\n")
	if long || len(line) > maxAnswer {
		return "", errLongAnswer
	}
	return strings.TrimSuffix(line, "\r"), nil
}

func (a *accessible) stopped(lab *steps.Lab, sandbox bool) error {
	resume, down := a.cmd(" --accessible", sandbox), a.cmd(" down", sandbox)+" --yes"
	stop := "Stopped."
	if a.ctx != nil && a.ctx.Err() != nil {
		a.say("") // past the ^C the terminal echoed
	}
	if a.ended {
		stop = "Stopped: the input ended before the lab finished."
	}
	if f := a.failed; f != nil {
		// Said again at the stop, as the last thing read: a stop right
		// after a failure must not read as a lab that went well.
		stop = strings.TrimSuffix(stop, ".") + ", and " + f.Message + "."
		if f.Fix != "" {
			stop += " What to do: " + f.Fix
			if !strings.HasSuffix(stop, ".") {
				stop += "."
			}
		}
	}
	switch {
	case lab.Cost().InterfaceEndpoints > 0:
		a.say(stop + " " + a.leftover(lab, sandbox).Sentence() + " Run " + resume + " again to resume.")
		a.next = "run '" + resume + "' again to resume, or '" + down + "' to remove everything"
	case lab.State().HasResources():
		a.say(stop + " Run " + resume + " again to resume, or " + down + " to remove what the lab created.")
		a.next = "run '" + resume + "' again to resume, or '" + down + "' to remove what the lab created"
	default:
		a.say(stop + " Run " + resume + " again to resume.")
		a.next = "run '" + resume + "' again to resume"
	}
	if f := a.failed; f != nil {
		fix := f.Fix
		if fix != "" {
			fix += "; then "
		}
		return &problem.Error{Kind: f.Kind, Message: "stopped, and " + f.Message, Fix: fix + a.next, Err: f.Err}
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
	if p := s.Names.Partition; p != "" && p != "aws" {
		a.say("Partition " + p + ": ARNs start arn:" + p + ":.")
	}
	a.say(fmt.Sprintf("VPC %s, address range %s.", ws.VpcID, vpcBlocks(ws.VpcCIDR, ws.VpcCIDRs)))
	a.say(fmt.Sprintf("Subnet %s in zone %s.", ws.SubnetID, ws.AZ))
	a.say("Workspace security group " + ws.SecurityGroupID + ".")
	rt := "Route table " + ws.RouteTableID
	if ws.RouteTableMain {
		rt += ", the VPC's main table, because the subnet has none of its own"
	}
	a.say(rt + ".")
	if gw := gatewayTable(ws); gw != ws.RouteTableID {
		a.say("The S3 gateway goes on " + gw + ", the route table of the instance's own subnet " + ws.InstanceSubnetID + ".")
	}
	switch {
	case ws.InstanceID != "" && len(ws.ChosenByHand) > 0:
		a.say(fmt.Sprintf("Instance %s (from the instance metadata service): subnet %s, security groups %s; the %s chosen by hand.",
			ws.InstanceID, ws.InstanceSubnetID, strings.Join(ws.SecurityGroupIDs, ", "), steps.JoinAnd(ws.ChosenByHand)))
	case ws.InstanceID != "":
		a.say("Instance " + ws.InstanceID + ".")
	}
}

// policy chooses the endpoint policy and applies it; "n" at the end
// chooses again, and nothing is applied without a yes.
func (a *accessible) policy(ctx context.Context, lab *steps.Lab) error {
	s := lab.State()
	if s.Account == "" {
		// The policy names the repository by its ARN, with the account the
		// preflight finds: written without it, its Deny would match nothing.
		a.say("This step needs your account, which the preflight finds; the preflight did not run, so there is no policy to write yet.")
		return nil
	}
	repo := lab.Config().Repo
	for {
		for {
			ans, quit := a.text(fmt.Sprintf("Repository the Deny applies to? Type a name, q to stop; Enter means %s.", repo))
			if quit {
				return context.Canceled
			}
			if ans != "" {
				if err := policy.ValidateRepository(ans); err != nil {
					a.say(err.Error() + ".")
					continue
				}
				repo = ans
			}
			break
		}
		var deny []string
		allowAll := false
		for {
			ans, quit := a.text("Actions to deny, separated by commas? Type them, none to deny nothing, q to stop; Enter means ecr:PutImage. Choices: " + strings.Join(denyChoices(), ", ") + ".")
			if quit {
				return context.Canceled
			}
			deny, allowAll = nil, strings.EqualFold(ans, "none")
			if allowAll {
				break
			}
			for _, x := range strings.Split(ans, ",") {
				if x = strings.TrimSpace(x); x != "" {
					deny = append(deny, x)
				}
			}
			// The rule the JSON editor's check and the apply use: what
			// would be refused later is refused here, and asked again.
			if _, err := policy.Default(s.Account, s.Region, repo, deny); err != nil {
				a.say(sentence(err.Error()) + " The repository stays " + repo + "; type the actions again.")
				continue
			}
			break
		}
		target := steps.TargetBoth
		switch a.choose(askTarget) {
		case answerQuit:
			return context.Canceled
		case answerDKR:
			target = steps.TargetDKR
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
			switch a.choose(askApply) {
			case answerQuit:
				return context.Canceled
			case answerNo:
				a.say("Not applied. Choose again.")
			case answerYes:
				if err := lab.ApplyPolicy(ctx, doc, target); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					a.failed = &problem.Error{Kind: problem.KindOf(err), Message: "the endpoint policy was not applied: " + errText(err), Fix: fixOf(err), Err: err}
					if problem.KindOf(err) == problem.Invalid {
						// The same policy would be refused again: choose another.
						a.say("The policy was not applied. Choose again.")
						break
					}
					a.say("The policy was not applied.")
					continue
				}
				a.failed = nil
				a.say("Policy applied.")
				return nil
			}
			break
		}
	}
}

// stands says where a resource stands as the rest of a sentence that
// starts with its name: "exists", "is available", "is not started yet".
func stands(s steps.ResourceState) string {
	switch s {
	case steps.ResExists:
		return "exists"
	case "":
		return "is not started yet"
	}
	return "is " + s.Label()
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
			name, _ := resourceLabels(*r)
			if r.ID != "" {
				name += " " + r.ID
			}
			line := name + " " + stands(r.State) + "."
			if r.Detail != "" {
				line += " " + sentence(r.Detail)
			}
			a.say(line)
		}
	case steps.EventCheck:
		if c := e.Check; c != nil {
			switch {
			case c.OK:
				a.say("Check passed: " + c.Title + ".")
			case c.Warning:
				// A warning stops nothing; it is not a failed check.
				w := "Note: " + c.Title + ". " + sentence(c.Message)
				if c.Fix != "" {
					w += " What to do: " + c.Fix
				}
				a.say(w)
			default:
				a.say("Check failed: " + c.Title + ". " + sentence(c.Message) + orEmpty(" What to do: ", c.Fix))
			}
		}
	case steps.EventDNS:
		for _, l := range e.Lookups {
			a.say(lookupSentence(l))
		}
	case steps.EventTest:
		if t := e.Test; t != nil && !t.Retrying { // the detail said why it is tried again
			line := fmt.Sprintf("Test %s: %s.", t.Name, t.Verdict())
			if t.Unproven != "" {
				line += " Not proven: " + t.Unproven + ", so it says nothing about the endpoint policy."
			} else if t.Match {
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
		if e.ErrKind == problem.Canceled {
			// Stopped, not failed (ctrl-c): the stop's own words follow,
			// with what is left and the commands that resume or remove it.
			a.say("Interrupted: " + e.Error + ".")
			return
		}
		a.say("Failed: " + e.Error)
		if e.Fix != "" {
			a.say("What to do: " + e.Fix)
		}
	case steps.EventDone:
		a.say("Finished: " + e.Message + ".")
	case steps.EventUnproven:
		a.say("Not proven, not passed: " + e.Message + ". " + sentence(e.Reason))
	case steps.EventSkipped:
		a.say("Skipped, not passed: " + e.Message + ". " + sentence(e.Reason))
	}
}

func lookupSentence(l steps.Lookup) string {
	if l.Err != "" {
		return l.Name + " did not resolve: " + l.Err
	}
	return l.Name + " resolves to " + l.AddressList() + "."
}

// chooseWorkspace asks, as numbered lists, for the VPC, subnet and security
// group of a workspace there is no metadata service to find; false when the
// learner stops.
// chooseRun asks which of the runs found by their tags to carry on with.
func (a *accessible) chooseRun(c *steps.RunChoiceError) (string, bool) {
	a.say(fmt.Sprintf("There is no state file here, and %d runs of the lab were found in %s by their tags:", len(c.Runs), c.Region))
	now := time.Now()
	for {
		for i, r := range c.Runs {
			a.say(fmt.Sprintf("%d: %s", i+1, r.Describe(now)))
		}
		ans, quit := a.text(fmt.Sprintf("Type the number of the run to carry on with (1 to %d), or q to stop:", len(c.Runs)))
		if quit {
			return "", false
		}
		for i, r := range c.Runs {
			if ans == fmt.Sprint(i+1) || ans == r.RunID {
				return r.RunID, true
			}
		}
		a.say(ans + " is none of them.")
	}
}

func (a *accessible) chooseWorkspace(ctx context.Context, lab *steps.Lab) bool {
	a.say("There is no workspace to discover here: choose where the endpoints go.")
	pick := func(what string, list func() ([]steps.Choice, error)) (string, bool) {
		cs, err := list()
		if err != nil {
			a.say("Listing the " + what + "s failed: " + errText(err))
			return "", false
		}
		if len(cs) == 0 {
			a.say("There is no " + what + " to choose from.")
			return "", false
		}
		for {
			for i, c := range cs {
				line := fmt.Sprintf("%d: %s", i+1, c.ID)
				if c.Name != "" {
					line += ", " + c.Name
				}
				if c.Detail != "" {
					line += ", " + c.Detail
				}
				a.say(line)
			}
			ans, quit := a.text(fmt.Sprintf("Type the number of the %s (1 to %d), or q to stop:", what, len(cs)))
			if quit {
				return "", false
			}
			for i, c := range cs {
				if ans == fmt.Sprint(i+1) || strings.EqualFold(ans, c.ID) {
					return c.ID, true
				}
			}
			a.say(ans + " is none of them.")
		}
	}
	vpc, ok := pick("VPC", func() ([]steps.Choice, error) { return lab.ListVPCs(ctx) })
	if !ok {
		return false
	}
	subnet, ok := pick("subnet", func() ([]steps.Choice, error) { return lab.ListSubnets(ctx, vpc) })
	if !ok {
		return false
	}
	sg, ok := pick("security group", func() ([]steps.Choice, error) { return lab.ListSecurityGroups(ctx, vpc) })
	if !ok {
		return false
	}
	lab.SetWorkspace(steps.Workspace{VpcID: vpc, SubnetID: subnet, SecurityGroupID: sg})
	a.say("Using VPC " + vpc + ", subnet " + subnet + ", security group " + sg + ".")
	return true
}

// finishWords says what the run has shown, from the lab's state: a step
// the learner answered n to was not run, and is not reported as done. On
// the sandbox, the hourly bill is what AWS would charge.
func finishWords(st steps.State, sandbox bool) string {
	bill := " " + steps.HourlyNote(sandbox)
	if st.Endpoints[steps.EndpointDKR] == nil {
		return "The endpoints were not created, so ECR traffic still takes the public way and nothing has shown the policy at work."
	}
	if st.Rule == nil {
		// n passes over any step: without the rule the endpoints' group
		// lets nothing in, so on AWS the workspace cannot reach them,
		// whatever a sandbox's proofs said.
		return "The endpoints exist, but their HTTPS rule (step 4) was skipped: their security group lets nothing in, so on AWS the workspace cannot reach them and nothing here shows the policy at work. Run the lab again and answer y at step 4." + bill
	}
	if push, ok := st.Tests[steps.PushTest]; ok && push.Unproven != "" {
		return unprovenFinish(push) + bill
	}
	for _, id := range steps.TestSteps {
		if st.Steps[id].Status == steps.StatusSkipped {
			return "The endpoints exist, but from here the DNS step and the proofs were skipped: nothing has shown the policy at work yet." + bill
		}
	}
	push, ok := st.Tests[steps.PushTest]
	if !ok {
		return "The endpoints exist, but the proofs were not run: nothing has shown the policy at work yet." + bill
	}
	route := "ECR now goes through private endpoints"
	if st.Steps[steps.StepDNS].Status != steps.StatusDone {
		route = "The endpoints exist, but private DNS was not checked, so ECR traffic may still take the public way"
	}
	if push.Outcome.Allowed {
		return route + ", and with the policy in force a push went through." + bill
	}
	return route + ", and an endpoint policy refused a push your IAM role allows." + bill
}

// unprovenFinish is the closing words when the push test went around the
// endpoints: what AWS did is no proof of the policy, and what to do.
func unprovenFinish(push steps.TestResult) string {
	return "The endpoints exist, but nothing has shown the policy at work yet: the push is not proven, because " +
		push.Unproven + ". " + sentence(steps.UnprovenFix)
}

// doneOrSkipped says how a screen's steps ended: a skip is not a pass.
func doneOrSkipped(lab *steps.Lab, ids []steps.StepID) string {
	st := lab.State()
	for _, id := range ids {
		if r, ok := st.Steps[id]; ok && r.Status == steps.StatusUnproven {
			return "Step not proven, not passed."
		}
		if r, ok := st.Steps[id]; ok && r.Status == steps.StatusSkipped {
			return "Step skipped, not passed."
		}
	}
	return "Step done."
}

// sentence makes words that follow a full stop a sentence of their own:
// a capital first letter and a full stop at the end (a screen reader
// reads "subnet. its route" as one run-on phrase).
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	s = string(r)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}
