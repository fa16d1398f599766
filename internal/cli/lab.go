package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

func newUpCmd() *cobra.Command {
	var (
		f                                 labFlags
		yes, adopt, enableDNS, createRepo bool
		deny                              []string
		policyFile, target                string
		vpc, subnet, workspaceSG          string
		dnsTimeout                        time.Duration
		skipDNS                           bool
		expires                           string
	)
	cmd := &cobra.Command{
		Use:     "up",
		Short:   "Run the lab: discover, security group, rule, policy, three endpoints, private DNS",
		GroupID: groupLab,
		Long: "up runs the lab's steps 1-8 headless: it discovers the workspace (instance metadata, or\n" +
			"--vpc/--subnet/--workspace-sg), checks everything it needs, creates the endpoints'\n" +
			"security group and its HTTPS rule, the ecr.dkr and ecr.api interface endpoints with the\n" +
			"endpoint policy and the S3 gateway endpoint, waits until they are available and until\n" +
			"both ECR host names resolve to private addresses. It is safe to run again: what exists\n" +
			"is adopted, and an interrupted run continues where it stopped.\n\n" +
			"It asks before creating anything; without a terminal, pass --yes.",
		Example: "  ecr-vpce-lab up --sandbox --yes\n" +
			"  ecr-vpce-lab up --yes --transcript lab.sh\n" +
			"  ecr-vpce-lab up --vpc vpc-0abc1234def567890 --subnet subnet-0abc1234def567890 --workspace-sg sg-0abc1234def567890",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dnsTimeout <= 0 {
				return exitCode(2, "--dns-timeout must be longer than zero (private DNS can take minutes: the default is 10m)")
			}
			cfg := steps.Config{Deny: deny, Adopt: adopt, EnableVPCDNS: enableDNS, CreateRepo: createRepo, DNSTimeout: dnsTimeout,
				Workspace: awsops.Workspace{VpcID: vpc, SubnetID: subnet, SecurityGroupID: workspaceSG}}
			d, err := expiresFlag(cmd, expires)
			if err != nil {
				return err
			}
			cfg.Expires = d
			t, err := steps.ParseTarget(target)
			if err != nil {
				return exitCode(2, "--policy-target: %v", err)
			}
			cfg.Target = t
			if err := checkDeny(deny); err != nil {
				return err
			}
			if policyFile != "" {
				src, err := readPolicySource(cmd, policyFile)
				if err != nil {
					return err
				}
				if fs := policy.Lint(src); policy.HasErrors(fs) {
					printFindings(cmd.ErrOrStderr(), fs)
					return exitCode(2, "the policy in %s has errors, so AWS would not accept it: fix them (see 'ecr-vpce-lab policy check')", policyFile)
				}
				doc, err := policy.Parse(src)
				if err != nil {
					return exitCode(2, "%v", err)
				}
				cfg.Policy = doc
			}
			for _, id := range []struct{ flag, prefix, value string }{{"vpc", "vpc", vpc}, {"subnet", "subnet", subnet}, {"workspace-sg", "sg", workspaceSG}} {
				if err := checkWorkspaceID(id.flag, id.prefix, id.value); err != nil {
					return err
				}
			}
			// Every flag is checked before --yes is asked for: fixing one
			// refusal should not lead to the next.
			if err := checkLabFlags(&f); err != nil {
				return err
			}
			if !yes && !isTerminal(cmd.InOrStdin()) {
				return exitCode(2, "up creates AWS resources and there is no terminal to ask on: add --yes to go ahead")
			}
			env, err := openHeadless(cmd, &f, openOptions{cfg: cfg, lock: true, writesEnv: true, recover: true})
			if err != nil {
				return err
			}
			defer env.close()
			return runUp(cmd, env, &f, yes, skipDNS)
		},
	}
	addLabFlags(cmd, &f, withOutput|withTranscript|withDocker)
	fl := cmd.Flags()
	fl.BoolVarP(&yes, "yes", "y", false, "create without asking")
	fl.StringSliceVar(&deny, "deny", []string{"ecr:PutImage"}, "the ECR actions the policy denies on the repository, comma-separated")
	fl.StringVar(&policyFile, "policy", "", "use the endpoint policy in FILE (- for standard input) instead of the default")
	fl.StringVar(&target, "policy-target", "both", "endpoints that carry the policy: both (ecr.dkr and ecr.api, as AWS recommends) or dkr")
	fl.StringVar(&vpc, "vpc", "", "the workspace's VPC (when not on EC2)")
	fl.StringVar(&subnet, "subnet", "", "the workspace's subnet (when not on EC2)")
	fl.StringVar(&workspaceSG, "workspace-sg", "", "the workspace's security group (when not on EC2)")
	fl.BoolVar(&adopt, "adopt", false, "adopt an existing ecr.dkr/ecr.api endpoint with private DNS in the VPC (its policy is restored on 'down')")
	fl.BoolVar(&enableDNS, "enable-vpc-dns", false, "turn on the VPC's enableDnsSupport and enableDnsHostnames when they are off")
	fl.BoolVar(&createRepo, "create-repo", false, "create the repository and push a small v1 when it is missing")
	fl.DurationVar(&dnsTimeout, "dns-timeout", 10*time.Minute, "how long to wait for private DNS")
	fl.BoolVar(&skipDNS, "skip-dns", false, "do not wait for private DNS (recorded as skipped; until the names resolve privately, tests may go the public way)")
	addExpiresFlag(cmd, &expires)
	return cmd
}

// checkDeny refuses a --deny action that names no ECR action, with the
// actions to choose from (up and 'policy default' share the flag).
func checkDeny(deny []string) error {
	for _, a := range deny {
		if err := policy.CheckAction(a); err != nil {
			return withFix(exitCode(2, "--deny %s: %v", a, err), "the actions of "+strings.Join(policy.OperationNames(), ", ")+": "+strings.Join(clientActions(), ", "))
		}
	}
	return nil
}

// clientActions are the ECR actions of the client operations the lab
// knows, each once, in the catalogue's order: the ones a learner most
// likely means to deny.
func clientActions() []string {
	var actions []string
	for _, op := range policy.Operations() {
		for _, s := range op.Steps {
			if !slices.Contains(actions, s.Action) {
				actions = append(actions, s.Action)
			}
		}
	}
	return actions
}

// checkWorkspaceID refuses a --vpc, --subnet or --workspace-sg value that
// is not an EC2 ID of its kind (the kind's prefix, a dash, 8 or 17
// lower-case hex digits) before AWS is reached: EC2 would refuse it only
// after discovery began, as a bare InvalidSubnetID.Malformed, and the lab
// would read that as an ID that no longer exists.
func checkWorkspaceID(flag, prefix, id string) error {
	if id == "" {
		return nil
	}
	hex, ok := strings.CutPrefix(id, prefix+"-")
	if ok && (len(hex) == 8 || len(hex) == 17) && strings.Trim(hex, "0123456789abcdef") == "" {
		return nil
	}
	kind := map[string]struct{ name, list string }{
		"vpc":    {"VPC", `aws ec2 describe-vpcs --query "Vpcs[].VpcId"`},
		"subnet": {"subnet", `aws ec2 describe-subnets --filters Name=vpc-id,Values=VPC --query "Subnets[].SubnetId"`},
		"sg":     {"security group", `aws ec2 describe-security-groups --filters Name=vpc-id,Values=VPC --query "SecurityGroups[].GroupId"`},
	}[prefix]
	return withFix(exitCode(2, "--%s %q is not a %s ID: they look like %s-0abc1234def567890 (lower case)", flag, id, kind.name, prefix),
		"copy the ID from the EC2 console, or from '"+kind.list+"'")
}

// addExpiresFlag declares --expires, which up and the wizard share.
func addExpiresFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "expires", "4h", "remove the endpoints and the group for you this long after up (any positive duration: 90m, 4h, 30s on the sandbox), "+
		"or never; a resumed run keeps its expiry unless you give one")
}

// expiresFlag reads --expires as up and the wizard share it: zero when
// not given (a resumed run keeps its own expiry, a new one gets the
// default), steps.NeverExpires for never.
func expiresFlag(cmd *cobra.Command, v string) (time.Duration, error) {
	if !cmd.Flags().Changed("expires") {
		return 0, nil
	}
	d, err := steps.ParseExpires(v)
	if err != nil {
		return 0, exitCode(2, "--expires: %v", err)
	}
	return d, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// stopGrace is how long the first interruption lets the calls in flight
// finish and be saved before the command quits anyway: the answer to a
// create normally comes in well under a second, and a signal must end the
// command within two.
const stopGrace = 1500 * time.Millisecond

// interrupts implements Ctrl-C and SIGTERM: the first cancels ctx (nothing
// new starts; calls in flight get stopGrace to finish and be saved), the
// second, or the end of the grace, exits at once with status 130. save
// runs before such an exit (the transcript so far).
// The signals interrupts listens to, and how it quits at once: variables
// so that a test can interrupt a command in-process and read its last words.
var (
	notifyInterrupts = func(c chan<- os.Signal) { signal.Notify(c, os.Interrupt, syscall.SIGTERM) }
	exitNow          = os.Exit
)

func interrupts(ctx context.Context, out *printer, resume string, save func()) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan os.Signal, 2)
	notifyInterrupts(ch)
	done := make(chan struct{})
	go func() {
		var grace <-chan time.Time
		quit := func(why string) {
			if save != nil {
				save()
			}
			out.line(cliStyles.warn.Render(why + " The state saved so far is consistent; " + resume))
			exitNow(130)
		}
		for {
			select {
			case <-done:
				return
			case <-grace:
				quit(fmt.Sprintf("Quitting now: a call sent before the interruption is still unanswered after %s; "+
					"what it creates carries this run's tag, so the next command finds it.", seconds(stopGrace)))
			case <-ch:
				if grace == nil {
					out.line(cliStyles.warn.Render("Stopping: nothing new starts; calls in flight get " + seconds(stopGrace) + " to finish and be saved. Ctrl-C again to quit at once."))
					cancel()
					grace = time.After(stopGrace)
					continue
				}
				quit("Quitting now.")
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// skipDNSReason says what skipping the DNS wait means for what follows.
const skipDNSReason = "went on without waiting for private DNS; until both names resolve to private addresses, requests may bypass the endpoints and their policy"

func runUp(cmd *cobra.Command, env *labEnv, f *labFlags, yes, skipDNS bool) error {
	out := env.out
	resumed := env.lab.Resumed()
	if resumed {
		out.note("continuing run %s (state in %s)", env.lab.State().RunID, env.store.Path())
	}
	ctx, stop := interrupts(cmd.Context(), out, "run '"+f.next("up")+"' to continue or '"+f.next("down")+"' to clean up",
		func() { _ = env.writeTranscript("ecr-vpce-lab up") })
	defer stop()
	start := time.Now()
	err := env.lab.RunSteps(ctx, steps.StepDiscover, steps.StepPreflight)
	if err == nil && !yes {
		err = confirmUp(cmd, env, f)
	}
	if err == nil {
		err = env.lab.RunSteps(ctx, steps.StepSecurityGroup, steps.StepIngress, steps.StepPolicy, steps.StepEndpoints)
	}
	if err == nil && skipDNS {
		err = env.lab.Skip(steps.StepDNS, "--skip-dns: "+skipDNSReason)
	} else if err == nil {
		err = env.lab.RunSteps(ctx, steps.StepDNS)
	}
	st := env.lab.State()
	cost := env.lab.Cost()
	res := map[string]any{"ok": err == nil, "runId": st.RunID, "mode": st.Mode, "state": st, "cost": cost}
	if ferr := env.finish(cmd, f, "ecr-vpce-lab up", start, res, err); ferr != nil {
		return ferr
	}
	var declined *exitError
	if errors.As(err, &declined) {
		return err
	}
	if err != nil {
		return upFailed(env, f, err)
	}
	if f.output != "json" {
		out.line("")
		bill := fmt.Sprintf("%d interface endpoint(s) cost about $%.2f per hour while they exist", cost.InterfaceEndpoints, cost.PerHour)
		if cost.Unpriced {
			bill = fmt.Sprintf("%d interface endpoint(s) are billed for every hour they exist; %s", cost.InterfaceEndpoints, cost.NoPrice())
		}
		// On the sandbox, what AWS would bill (steps.OnAWS).
		bill = steps.OnAWS(bill, f.sandbox)
		out.line(cliStyles.ok.Render("The endpoints are up.") + " " + strings.ToUpper(bill[:1]) + bill[1:] + ".")
		if skipDNS {
			out.line(cliStyles.warn.Render("Private DNS was not checked (--skip-dns):") + " run '" + f.next("status") + "' to see whether the names resolve privately before you test.")
		}
		if r := env.place.CannotProve(); r != "" {
			out.line(cliStyles.warn.Render("The proofs are skipped from here. ") + r)
			// On the sandbox already, another world shows them: one inside
			// the VPC, in a state directory of its own.
			proofs := cliStyles.bold.Render("ecr-vpce-lab --sandbox") + " shows the proofs."
			if f.sandbox {
				proofs = "a world inside the VPC (--world cloud9, vscode-ec2, container or cloudshell-vpc, with another --state-dir) shows the proofs."
			}
			out.line("Next: " + cliStyles.bold.Render(f.next("down")) + " to remove everything; " + proofs)
		} else {
			out.line("Next: " + cliStyles.bold.Render(f.next("test")) + " to see the policy at work; " +
				cliStyles.bold.Render(f.next("down")) + " to remove everything.")
		}
		out.line(expiryLine(env, f, st))
	}
	return nil
}

// expiryLine says when the run expires and whether a schedule removes it.
func expiryLine(env *labEnv, f *labFlags, st steps.State) string {
	at, ok := st.ExpiryTime()
	switch {
	case st.NeverExpires:
		return cliStyles.warn.Render("No expiry (--expires never):") + " nothing removes the endpoints for you; they bill until you run '" + f.next("down") + "'."
	case !ok:
		return ""
	case st.AutoTeardown != nil && st.AutoTeardown.Off != "":
		return cliStyles.warn.Render(fmt.Sprintf("Expires at %s (in %s), but no schedule removes it:", at.UTC().Format("15:04 UTC"), steps.FormatLeft(at.Sub(env.lab.Now())))) +
			" " + st.AutoTeardown.Off + ". Run '" + f.next("down") + "' when you are done, or '" + f.next("down --expired") + "' after the expiry."
	}
	return fmt.Sprintf("Expires at %s (in %s): an EventBridge Scheduler schedule then deletes the endpoints, and the group a little later.",
		at.UTC().Format("15:04 UTC"), steps.FormatLeft(at.Sub(env.lab.Now())))
}

// finish ends a headless command alike for up, test and down: it writes the
// transcript, the JSON result (res, with the time taken, the API calls and
// err added), and the call summary with --verbose. It returns only its own
// failures; err is the caller's to report.
func (e *labEnv) finish(cmd *cobra.Command, f *labFlags, title string, start time.Time, res map[string]any, err error) error {
	terr := e.writeTranscript(title)
	if f.output == "json" {
		res["elapsedSeconds"] = time.Since(start).Seconds()
		res["apiCalls"] = e.stats.snapshot()
		res["environment"] = e.place
		if e.recovered {
			res["recovered"] = true
		}
		addErr(res, err)
		if werr := writeJSON(cmd.OutOrStdout(), res); werr != nil {
			return werr
		}
	}
	if f.verbose {
		e.out.note("%s in %s", e.stats.summary(), seconds(time.Since(start)))
	}
	if terr != nil {
		return exitCode(1, "%v", terr)
	}
	return nil
}

// addErr puts err into a JSON result, shaped as every JSON error is.
func addErr(res map[string]any, err error) {
	if err != nil {
		res["error"] = errorJSON(err, 0)
	}
}

// upFailed is how an up that did not finish ends. Stopped with endpoints
// made, it says first that they bill, and until when: the learner who
// pressed Ctrl-C may be about to walk away.
func upFailed(env *labEnv, f *labFlags, err error) error {
	st := env.lab.State()
	if problem.KindOf(err) == problem.Canceled {
		// What was made, what it bills and until when, in the words the
		// wizard says them (steps.LeftoverOf), then how to carry on.
		msg := "stopped."
		if l := leftover(env, f); !l.None() {
			msg += " " + l.Sentence()
		}
		return exitCode(130, "%s Run '%s' to continue where it stopped.", msg, f.next("up"))
	}
	if st.HasResources() {
		return exitCode(1, "up did not finish; what it created is recorded: fix the problem above and run '%s' again, or '%s' to remove it", f.next("up"), f.next("down"))
	}
	return exitCode(1, "up did not finish: fix the problem above and run '%s' again", f.next("up"))
}

func confirmUp(cmd *cobra.Command, env *labEnv, f *labFlags) error {
	st := env.lab.State()
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "\nThis creates, in account %s (%s), VPC %s:\n", st.Account, st.Region, st.Workspace.VpcID)
	fmt.Fprintf(w, "  - security group ECR_VPCE_SG with an HTTPS rule from %s\n", st.Workspace.SecurityGroupID)
	price := "no price in the lab's table for " + st.Region + ": see " + steps.PricingPage
	if rate, ok := steps.HourlyRate(st.Region); ok {
		price = fmt.Sprintf("about $%.3f per hour together", 2*rate)
	}
	fmt.Fprintf(w, "  - interface endpoints ecr.dkr and ecr.api (%s) and the free S3 gateway endpoint\n", price)
	if askYes(cmd, "Go ahead?") {
		return nil
	}
	return exitCode(1, "nothing was created (run '%s' again when you are ready)", f.next("up"))
}

// askYes asks question on stderr with a [y/N] prompt and reads one line:
// only "y" or "yes" (any case) is a yes, so Enter or end of input is a no.
// A Ctrl-C at the question ends the read at once and is a no (the
// command's context then says it was an interruption, and so does the exit
// status): it used to wait for Enter, the end of the grace, and a message
// about calls in flight that did not exist.
func askYes(cmd *cobra.Command, question string) bool {
	fmt.Fprint(cmd.ErrOrStderr(), question+" [y/N] ")
	in, done := interruptibleInput(cmd.Context(), cmd.InOrStdin())
	line, _ := bufio.NewReader(in).ReadString('\n')
	done()
	if cmd.Context().Err() != nil {
		fmt.Fprintln(cmd.ErrOrStderr())
		return false
	}
	if !strings.HasSuffix(line, "\n") {
		// Ctrl-D ends the input where the cursor is: what follows starts
		// on a line of its own, not after the question.
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// nothingDeleted is down's answer to a no: what is still there, what it
// bills, until when, and the command that removes it, so a learner who was
// unsure is not left thinking that declining cost nothing.
func nothingDeleted(env *labEnv, f *labFlags) string {
	return strings.TrimSpace("nothing was deleted. " + leftover(env, f).Sentence())
}

// leftover is what the run leaves while it is left as it is, in the lab's
// words (the wizard says the same): on the sandbox, what AWS would bill.
func leftover(env *labEnv, f *labFlags) steps.Leftover {
	return steps.LeftoverOf(env.lab.State(), env.lab.Now(), f.sandbox, f.next("down")+" --yes")
}

// downFailed is how a teardown (verb: "down", "down --expired") that did
// not finish ends: 130 when interrupted, 1 otherwise; both say to run it
// again, because a teardown picks up what is left.
func downFailed(f *labFlags, verb string, err error) error {
	if problem.KindOf(err) == problem.Canceled {
		return exitCode(130, "stopped: run '%s' again to finish", f.next(verb))
	}
	return exitCode(1, "%s did not finish: fix the problem above and run it again (it picks up what is left)", verb)
}

func newTestCmd() *cobra.Command {
	var (
		f    labFlags
		only []string
	)
	cmd := &cobra.Command{
		Use:     "test",
		Short:   "Prove the policy: push (expected: denied), list images and pull (expected: allowed)",
		GroupID: groupLab,
		Long: "test pushes the copy of v1 that preflight kept on this machine as REPO:v2 (reading\n" +
			"nothing from the repository, so only the push's own actions are at stake), lists the\n" +
			"repository's images through the ECR API, and pulls v1, printing each outcome with the\n" +
			"registry's or the API's own words. Exit status 0 when every outcome is what\n" +
			"'policy simulate' predicts for the policies the endpoints carry; 1 when an outcome\n" +
			"is not, or a test got no outcome, whatever the other tests showed; and 3 when no\n" +
			"outcome contradicts the policy but a proof is missing: the proofs were skipped\n" +
			"because they cannot be observed from here (public CloudShell, a laptop: outside the\n" +
			"VPC), or a test's requests went around the endpoints because their names do not\n" +
			"resolve to private addresses yet (what AWS did is printed, but it says nothing about\n" +
			"the endpoint policy: wait for private DNS, which 'status' shows, then test again).",
		Example: "  ecr-vpce-lab test --sandbox\n  ecr-vpce-lab test --only push --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ids []steps.StepID
			for _, o := range only {
				name, err := steps.ParseTestName(o)
				if err != nil {
					return exitCode(2, "--only %s: choose push, list or pull", o)
				}
				// A name given twice (push,push, or list,list-images) is
				// a set, as a person means it: each test runs once.
				if !slices.Contains(ids, name.Step()) {
					ids = append(ids, name.Step())
				}
			}
			env, err := openHeadless(cmd, &f, openOptions{lock: true, recover: true})
			if err != nil {
				return err
			}
			defer env.close()
			if env.lab.State().Account == "" {
				return exitCode(1, "the lab has not been set up here yet: run '%s' first", f.next("up"))
			}
			if st := env.lab.State(); st.HasResources() {
				// Past its expiry the run's endpoints are removed (by its
				// schedules, or 'down --expired'): the requests would go
				// ECR's public way and "prove" an endpoint policy nothing
				// applies.
				if at, ok := st.ExpiryTime(); ok && !at.After(env.lab.Now()) {
					return withFix(exitCode(1, "run %s expired at %s: its endpoints are removed at its expiry, so the tests would not go through them", st.RunID, at.UTC().Format("15:04 UTC")),
						fmt.Sprintf("run '%s' (it gives the run a new expiry and makes again what is gone), then test", f.next("up")))
				}
			}
			start := time.Now()
			results, terr := env.lab.Tests(cmd.Context(), ids...)
			ok, mismatch, unproven := terr == nil, false, ""
			for _, r := range results {
				if r.Unproven != "" {
					// Not a mismatch, not a pass: the request went
					// around the endpoint (exit 3 below).
					if unproven == "" {
						unproven = r.Unproven
					}
					continue
				}
				ok = ok && r.Match
				mismatch = mismatch || !r.Match
			}
			skipped := skippedTests(env.lab, ids)
			res := map[string]any{"ok": ok && skipped == "" && unproven == "", "tests": results}
			if unproven != "" {
				res["unproven"] = unproven
			}
			if skipped != "" {
				res["skipped"] = skipped
			}
			if err := env.finish(cmd, &f, "ecr-vpce-lab test", start, res, terr); err != nil {
				return err
			}
			if problem.KindOf(terr) == problem.Canceled {
				return exitCode(130, "stopped before every test ran: run '%s' to run them again", f.next("test"))
			}
			if !ok && !mismatch {
				// Nothing was refused that should not have been: a test
				// did not get as far as an outcome.
				return exitCode(1, "not every test ran: fix the problem above, then run '%s' again", f.next("test"))
			}
			if !ok {
				return exitCode(1, "not every outcome is what the policy in force predicts (see above)")
			}
			if unproven != "" {
				// What AWS did is true, but it went around the endpoint:
				// not a pass (0), not a failure of the policy (1).
				return withFix(exitCode(3, "the endpoint policy is not proven: %s", unproven),
					fmt.Sprintf("wait until private DNS answers with the endpoints' addresses ('%s' shows it), then run '%s' again", f.next("status"), f.next("test")))
			}
			if skipped != "" {
				// Nothing was proven: not a pass (exit 0), not a failure (1).
				return withFix(exitCode(3, "no proof was run: %s", skipped), "run the lab from inside the VPC (the workshop's EC2 workspace or a CloudShell VPC environment), or rehearse it with --sandbox")
			}
			if f.output != "json" {
				env.out.line("")
				line := cliStyles.ok.Render("Every outcome is what the endpoint policy predicts.")
				for _, r := range results {
					if len(r.Notes) > 0 {
						line = cliStyles.ok.Render("Every outcome is what the policies in force predict") + " (read the notes above)."
						break
					}
				}
				env.out.line(line)
			}
			return nil
		},
	}
	addLabFlags(cmd, &f, withOutput|withTranscript|withDocker)
	cmd.Flags().StringSliceVar(&only, "only", nil, "run only these tests: push, list, pull")
	return cmd
}

func newStatusCmd() *cobra.Command {
	var f labFlags
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show what the lab created, its state, DNS and the cost so far",
		GroupID: groupLab,
		Args:    cobra.NoArgs,
		Example: "  ecr-vpce-lab status --sandbox\n  ecr-vpce-lab status --output json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := openHeadless(cmd, &f, openOptions{damaged: tagsIfDamaged, recover: true, recoverMode: recoverList})
			if err != nil {
				return err
			}
			defer env.close()
			s, err := env.lab.Status(cmd.Context())
			if err != nil {
				return withFix(exitCode(1, "%v", err), problem.FixOf(err))
			}
			// (A stopped teardown's Next is down with this lab's flags:
			// Config.Again.)
			if f.output == "json" {
				if !s.Saved && !s.Recovered {
					// No run here: the ID a new one would get names
					// nothing ('down --run' with it finds no resource).
					s.RunID = ""
				}
				return writeJSON(cmd.OutOrStdout(), s)
			}
			printStatus(env, s, f.next("up"))
			return nil
		},
	}
	addLabFlags(cmd, &f, withOutput)
	return cmd
}

func printStatus(env *labEnv, s steps.Status, up string) {
	out := env.out
	mode := "AWS"
	if s.Mode == "sandbox" {
		mode = "SANDBOX"
	}
	head := fmt.Sprintf("%s  region %s", mode, s.Region)
	if s.Account != "" {
		head += "  account " + s.Account
	}
	out.line(cliStyles.bold.Render(head))
	for _, r := range env.runs {
		out.line("  " + cliStyles.warn.Render("!") + " " + r.Describe(time.Now()))
	}
	if len(env.runs) > 0 {
		out.line(cliStyles.faint.Render("  no state file here and several runs found by their tags: pass --run ID to see one"))
	}
	if s.Recovered {
		out.line(fmt.Sprintf("  run %s, found by its %s tags (no state file here)  VPC %s  subnet %s  workspace group %s  route table %s", s.RunID, steps.TagKey,
			s.Workspace.VpcID, s.Workspace.SubnetID, s.Workspace.SecurityGroupID, s.Workspace.RouteTableID))
	} else if !s.Saved {
		out.line("  no lab run is saved here" + map[bool]string{true: "", false: "; resources below were found by their tags"}[len(s.Leftovers) == 0])
	} else {
		out.line(fmt.Sprintf("  run %s  VPC %s  subnet %s  workspace group %s  route table %s", s.RunID, s.Workspace.VpcID, s.Workspace.SubnetID, s.Workspace.SecurityGroupID, s.Workspace.RouteTableID))
	}
	if t := s.Teardown; t != nil {
		out.line("  " + cliStyles.warn.Render("! a teardown began "+t.Started.UTC().Format("2006-01-02 15:04 UTC")+" and was stopped before the end") +
			": some of the run is gone, what is left may still be billing; run '" + t.Next + "' to finish it")
	}
	for _, r := range s.Resources {
		mark, st := stateStyle(r.State)
		if r.State == steps.ResGone {
			mark, st = "✘", cliStyles.err
		}
		owner := "created"
		if !r.Created {
			owner = "adopted"
		}
		line := fmt.Sprintf("  %s %-15s %-14s %-24s %s (%s)", st.Render(mark), r.Kind.Label(), r.Name, r.ID, st.Render(r.State.Label()), owner)
		out.line(line)
		if r.Detail != "" {
			out.line(cliStyles.faint.Render("      " + r.Detail))
		}
	}
	for _, r := range s.Leftovers {
		out.line(fmt.Sprintf("  %s %-15s %-14s %-24s %s %s", cliStyles.warn.Render("!"), r.Kind.Label(), r.Name, r.ID, r.State.Label(), cliStyles.faint.Render("(tagged "+r.Detail+", not in the state file)")))
	}
	if s.DNSError != "" {
		out.line("  DNS: " + s.DNSError)
	}
	for _, l := range s.DNS {
		mark, st := "◌", cliStyles.warn
		if l.Private() {
			mark, st = "✔", cliStyles.ok
		}
		out.line(fmt.Sprintf("  %s %s", st.Render(mark), lookupText(l)))
	}
	// A step that was never run while a later one was (accessible mode's
	// n passes over any step) is shown: left out, the list read as a lab
	// with nothing missing. The tests do not build on each other, so one
	// not run is no gap.
	lastRun := -1
	for i, info := range s.Steps {
		if info.Status != steps.StatusPending && !slices.Contains(steps.TestSteps, info.ID) {
			lastRun = i
		}
	}
	for i, info := range s.Steps {
		passedOver := info.Status == steps.StatusPending && i < lastRun
		if info.Status == steps.StatusPending && !passedOver {
			continue
		}
		mark, st := stepStyle(info.Status)
		label := info.Status.Label()
		if passedOver {
			mark, st, label = "!", cliStyles.warn, "not run, yet the steps after it were: '"+up+"' runs it"
		}
		if s.Teardown.Undid(info) {
			// Built, then (maybe) torn down: the resources above say
			// what is left.
			mark, st, label = "·", cliStyles.faint, "done before the teardown"
		}
		line := fmt.Sprintf("  %s %-34s %s", st.Render(mark), info.Title, st.Render(label))
		if info.Status != steps.StatusDone && info.Message != "" {
			line += cliStyles.faint.Render(": " + info.Message)
		}
		out.line(line)
	}
	for _, name := range steps.TestNames {
		if t, ok := s.Tests[name]; ok {
			how := map[bool]string{true: "as predicted", false: "NOT as predicted"}[t.Match]
			if t.Unproven != "" {
				how = "not proven: " + t.Unproven
			}
			out.line(fmt.Sprintf("  last %s test: %s (%s)", name, t.Verdict(), how))
		}
	}
	if a := s.AutoTeardown; a != nil {
		switch {
		case a.Never:
			out.line("  " + cliStyles.warn.Render("!") + " expiry: never (--expires never); nothing removes the endpoints for you")
		default:
			left := "in " + a.Left
			if a.Expired {
				left = "expired"
			}
			if s.Teardown != nil && len(a.Schedules) == 0 {
				// The stopped teardown removed the schedules first.
				left += "; its schedules are gone: nothing removes the rest at the expiry"
			}
			out.line(fmt.Sprintf("  %s expiry: %s (%s)", cliStyles.faint.Render("◷"), a.ExpiresAt.UTC().Format("2006-01-02 15:04:05 UTC"), left))
		}
		for _, sc := range a.Schedules {
			mark, st := stateStyle(sc.State)
			what := map[string]string{steps.ScheduleEndpoints: "deletes the endpoints", steps.ScheduleGroup: "deletes the group and its rule"}[sc.Purpose]
			state := "scheduled"
			if sc.State == steps.ResGone {
				state = "gone (it ran, or was deleted)"
			}
			out.line(fmt.Sprintf("  %s %-15s %-14s %-24s %s %s", st.Render(mark), "schedule", sc.Purpose, sc.Name, st.Render(state),
				cliStyles.faint.Render("at "+sc.At.UTC().Format("15:04:05 UTC")+": "+what)))
		}
		if r := a.Role; r != nil {
			mark, st := stateStyle(r.State)
			out.line(fmt.Sprintf("  %s %-15s %-14s %-24s %s", st.Render(mark), r.Kind.Label(), "auto-teardown", r.Name, st.Render(r.State.Label())))
		}
		if a.Outcome != "" {
			out.line("  auto-teardown: " + a.Outcome)
		}
	}
	c := s.Cost
	deleting := ""
	if c.Deleting > 0 {
		deleting = fmt.Sprintf("; %d of them being deleted, billed until deleted, not by the hour", c.Deleting)
	}
	// On the sandbox the figures are what AWS would bill (steps.OnAWS).
	cost := func(figures string) { out.line("  cost: " + steps.OnAWS(figures, s.Mode == "sandbox")) }
	switch {
	case c.InterfaceEndpoints > 0 && c.Deleting == c.InterfaceEndpoints && c.Unpriced:
		cost(fmt.Sprintf("%d interface endpoint(s) being deleted, billed until they are deleted; %s", c.InterfaceEndpoints, c.NoPrice()))
	case c.InterfaceEndpoints > 0 && c.Deleting == c.InterfaceEndpoints:
		// No hourly rate: AWS stops billing by the hour once they go.
		cost(fmt.Sprintf("%d interface endpoint(s) being deleted: about $%.4f so far (each hour begun is billed in full), billed until they are deleted",
			c.InterfaceEndpoints, c.SoFar))
	case c.InterfaceEndpoints > 0 && c.Unpriced:
		cost(fmt.Sprintf("%d interface endpoint(s) × %d AZ, billed by the hour%s; %s", c.InterfaceEndpoints, c.AZs, deleting, c.NoPrice()))
	case c.InterfaceEndpoints > 0:
		cost(fmt.Sprintf("%d interface endpoint(s) × %d AZ-hour(s) at $%.3f: $%.3f per hour, about $%.4f so far%s",
			c.InterfaceEndpoints, c.AZs, c.Rate, c.PerHour, c.SoFar, deleting))
	default:
		out.line("  cost: nothing is billing")
	}
}

func newDownCmd() *cobra.Command {
	var (
		f                                      labFlags
		yes, all, keepDNS, expired, allRegions bool
	)
	cmd := &cobra.Command{
		Use:     "down",
		Short:   "Remove everything the lab created, and check that nothing is left",
		GroupID: groupLab,
		Long: "down deletes the endpoints, waits until their network interfaces are released,\n" +
			"removes the ingress rule and the security group, the tags the push test pushed, what the\n" +
			"policy challenges left (repository policies put back, the repositories they created), the\n" +
			"local copy of v1 the push test pushes, the lab's lines in ~/.ecr_security and the\n" +
			"state file; then it lists resources tagged with this run's ecr-vpce-lab:run tag to\n" +
			"confirm nothing is left. Adopted resources are restored and kept. The VPC DNS attributes\n" +
			"the lab turned on (up --enable-vpc-dns) are turned back off unless --keep-vpc-dns, or\n" +
			"another endpoint with private DNS needs them. It also deletes the auto-teardown's\n" +
			"schedules and its IAM role. --all removes every run's resources in the region.\n\n" +
			"--expired removes every run whose ecr-vpce-lab:expires-at has passed (by AWS's clock),\n" +
			"found by its tags: for accounts where the auto-teardown's schedule could not be created,\n" +
			"or failed. --all-regions does it in every region enabled for the account.",
		Example: "  ecr-vpce-lab down --sandbox --yes\n  ecr-vpce-lab down --all --yes --region us-west-2\n  ecr-vpce-lab down --expired --all-regions --yes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case expired && all:
				return exitCode(2, "--expired and --all choose different runs: give one of them")
			case allRegions && !expired:
				return exitCode(2, "--all-regions goes with --expired (down --expired --all-regions)")
			}
			if err := checkLabFlags(&f); err != nil {
				return err
			}
			if !yes && !isTerminal(cmd.InOrStdin()) {
				return exitCode(2, "down deletes AWS resources and there is no terminal to ask on: add --yes to go ahead")
			}
			if expired {
				return runDownExpired(cmd, &f, yes, allRegions)
			}
			env, err := openHeadless(cmd, &f, openOptions{damaged: tagsIfDamaged, lock: true, recover: !all})
			if err != nil {
				return err
			}
			defer env.close()
			if !yes {
				what := "this run's resources"
				if all {
					what = "every resource tagged " + steps.TagKey + " in " + env.cloud.Region()
				}
				if !askYes(cmd, "Delete "+what+"?") {
					return exitCode(1, "%s", nothingDeleted(env, &f))
				}
			}
			ctx, stop := interrupts(cmd.Context(), env.out, "run '"+f.next("down")+"' again to finish",
				func() { _ = env.writeTranscript("ecr-vpce-lab down") })
			defer stop()
			start := time.Now()
			rep, derr := env.lab.Teardown(ctx, steps.TeardownOptions{All: all, KeepVPCDNS: keepDNS})
			res := map[string]any{"ok": derr == nil, "report": rep, "nothingLeft": rep.Nothing()}
			if err := env.finish(cmd, &f, "ecr-vpce-lab down", start, res, derr); err != nil {
				return err
			}
			if derr != nil {
				return downFailed(&f, "down", derr)
			}
			if f.output != "json" {
				env.out.line("")
				env.out.line(cliStyles.ok.Render("Nothing is left.") + fmt.Sprintf(" Removed %d resource(s); kept %d (adopted, or left as asked).", len(rep.Deleted), len(rep.Kept)))
			}
			return nil
		},
	}
	addLabFlags(cmd, &f, withOutput|withTranscript)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking")
	cmd.Flags().BoolVar(&all, "all", false, "remove every resource tagged by any run of the lab in the region (facilitator clean-up)")
	cmd.Flags().BoolVar(&keepDNS, "keep-vpc-dns", false, "leave on the VPC DNS attributes the lab turned on (by default they are turned back off)")
	cmd.Flags().BoolVar(&expired, "expired", false, "remove every run whose expiry (its "+steps.ExpiresTagKey+" tag) has passed")
	cmd.Flags().BoolVar(&allRegions, "all-regions", false, "with --expired: in every region enabled for the account")
	return cmd
}

// skippedTests is why the tests ids were all skipped ("" when any ran; a
// test that ran without proof is unproven, not skipped).
func skippedTests(lab *steps.Lab, ids []steps.StepID) string {
	if len(ids) == 0 {
		ids = steps.TestSteps
	}
	st := lab.State()
	reason := ""
	for _, id := range ids {
		r, ok := st.Steps[id]
		if !ok || r.Status != steps.StatusSkipped {
			return ""
		}
		reason = r.Message
	}
	return reason
}

// runDownExpired is 'down --expired': the lab's region (the saved run in
// full when it has expired), then, with --all-regions, every other enabled
// region, by tags.
func runDownExpired(cmd *cobra.Command, f *labFlags, yes, allRegions bool) error {
	env, err := openHeadless(cmd, f, openOptions{damaged: tagsIfDamaged, lock: true})
	if err != nil {
		return err
	}
	defer env.close()
	regions := []string{env.cloud.Region()}
	if allRegions {
		rs, err := env.cloud.EnabledRegions(cmd.Context())
		if err != nil {
			return withFix(exitCode(1, "%v", err), problem.FixOf(err))
		}
		for _, r := range rs {
			if r != env.cloud.Region() {
				regions = append(regions, r)
			}
		}
	}
	if !yes {
		if !askYes(cmd, "Delete every run of the lab whose expiry has passed, in "+strings.Join(regions, ", ")+"?") {
			return exitCode(1, "nothing was deleted")
		}
	}
	ctx, stop := interrupts(cmd.Context(), env.out, "run '"+f.next("down --expired")+"' again to finish",
		func() { _ = env.writeTranscript("ecr-vpce-lab down --expired") })
	defer stop()
	start := time.Now()
	swept, derr := env.lab.TeardownExpired(ctx)
	for _, r := range regions[1:] {
		if derr != nil {
			break
		}
		c, err := env.cloud.ForRegion(r)
		if err != nil {
			derr = err
			break
		}
		more, err := steps.Sweep(ctx, c, steps.SweepOptions{Expired: true}, env.out.event)
		swept = append(swept, more...)
		if err != nil {
			derr = err
		}
		for _, s := range more {
			if s.Error != "" && derr == nil {
				derr = &problem.Error{Kind: problem.Dependency, Op: "remove the expired runs", Message: "run " + s.Run + " in " + r + ": " + s.Error,
					Fix: "run 'down --expired --all-regions' again in a few minutes (it picks up what is left)"}
			}
		}
	}
	if swept == nil {
		swept = []steps.SweptRun{}
	}
	res := map[string]any{"ok": derr == nil, "regions": regions, "runs": swept}
	if err := env.finish(cmd, f, "ecr-vpce-lab down --expired", start, res, derr); err != nil {
		return err
	}
	if derr != nil {
		return downFailed(f, "down --expired", derr)
	}
	if f.output != "json" {
		env.out.line("")
		if len(swept) == 0 {
			env.out.line(cliStyles.ok.Render("No run has expired") + " in " + strings.Join(regions, ", ") + ".")
		} else {
			n := 0
			for _, s := range swept {
				n += len(s.Deleted)
			}
			env.out.line(cliStyles.ok.Render(fmt.Sprintf("Removed %d expired run(s)", len(swept))) + fmt.Sprintf(" (%d resource(s)) in %s.", n, strings.Join(regions, ", ")))
		}
	}
	return nil
}
