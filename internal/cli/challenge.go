package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

func newChallengeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "challenge",
		Short:   "Policy challenges: write the policies work needs, checked by simulation and for real",
		GroupID: groupTools,
		Long: "After the lab, the challenges ask for the policies real teams need: a read-only team, only\n" +
			"our account, only our repositories, nothing deleted, and more. Each states its goal in words;\n" +
			"'check' tests an answer against a hidden set of requests by simulation, then, when the lab is\n" +
			"up, for real through the endpoints, and puts the lab's policy back. Progress is kept in the\n" +
			"state directory.",
		Example: "  ecr-vpce-lab challenge list\n" +
			"  ecr-vpce-lab challenge show 1 > answer.json   # the goal on stderr, a starting policy on stdout\n" +
			"  ecr-vpce-lab challenge check 1 --policy answer.json --sandbox",
	}
	cmd.AddCommand(newChallengeListCmd(), newChallengeShowCmd(), newChallengeCheckCmd())
	return cmd
}

// challengeArg reads the challenge number.
// challengeNumber is what the challenge commands' one argument is.
var challengeNumber = fmt.Sprintf("the challenge's number, 1 to %d ('ecr-vpce-lab challenge list' lists them)", len(steps.Challenges()))

func challengeArg(arg string) (steps.Challenge, error) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	ch, ok := steps.ChallengeByID(n)
	if err != nil || !ok {
		return steps.Challenge{}, exitCode(2, "no challenge %q: choose a number from 1 to %d ('ecr-vpce-lab challenge list')", arg, len(steps.Challenges()))
	}
	return ch, nil
}

// challengeSetup is what the challenge commands read without touching
// AWS: the progress, and the lab's state for the names its policies need.
type challengeSetup struct {
	dir      string
	progress *steps.ChallengeProgress
	ctx      steps.ChallengeContext
	labUp    bool
}

func openChallenges(f *labFlags) (*challengeSetup, error) {
	dir, err := resolveStateDir(f.stateDir)
	if err != nil {
		return nil, err
	}
	p, err := steps.LoadProgress(dir)
	if err != nil {
		return nil, exitCode(1, "%v", err)
	}
	mode := "aws"
	if f.sandbox {
		mode = "sandbox"
	}
	st, _ := steps.NewStore(dir, mode).Load()
	c := steps.NewChallengeContext(st)
	return &challengeSetup{dir: dir, progress: p, ctx: c, labUp: st.LabUp()}, nil
}

// update makes change to the progress on disk, read again under the
// progress lock: the wizard, open in another terminal, may have saved a
// record since openChallenges read it.
func (s *challengeSetup) update(change func(*steps.ChallengeProgress)) error {
	p, err := steps.UpdateProgress(s.dir, change)
	if err != nil {
		return exitCode(1, "saving the challenges' progress in %s: %v", s.dir, err)
	}
	s.progress = p
	return nil
}

func newChallengeListCmd() *cobra.Command {
	var f labFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the challenges and where you stand on each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openChallenges(&f)
			if err != nil {
				return err
			}
			type item struct {
				ID     int                    `json:"id"`
				Title  string                 `json:"title"`
				Target steps.ChallengeTarget  `json:"target"`
				Status string                 `json:"status"`
				Record *steps.ChallengeRecord `json:"record"`
			}
			var items []item
			for _, ch := range steps.Challenges() {
				r := s.progress.Record(ch.ID)
				items = append(items, item{ch.ID, ch.Title, ch.Target, r.Status(), r})
			}
			if f.output == "json" {
				return writeJSON(cmd.OutOrStdout(), items)
			}
			t := table.New().Border(lipgloss.NormalBorder()).Headers("#", "CHALLENGE", "THE ANSWER IS", "STATUS").
				StyleFunc(func(row, col int) lipgloss.Style { return lipgloss.NewStyle().Padding(0, 1) })
			for _, it := range items {
				t.Row(strconv.Itoa(it.ID), it.Title, map[steps.ChallengeTarget]string{steps.OnBoth: "both endpoints' policy", steps.OnAPI: "ecr.api's policy",
					steps.OnRepository: "a repository policy"}[it.Target], it.Status)
			}
			lipgloss.Fprintln(cmd.OutOrStdout(), t.Render())
			lipgloss.Fprintln(cmd.ErrOrStderr(), cliStyles.faint.Render("'"+f.next("challenge show N")+"' states a goal and prints a policy to start from."))
			return nil
		},
	}
	addStateDirFlag(cmd, &f.stateDir)
	cmd.Flags().BoolVar(&f.sandbox, "sandbox", false, "the sandbox's lab (its endpoints' IDs go into the policies)")
	addOutputFlag(cmd, &f.output)
	return cmd
}

func newChallengeShowCmd() *cobra.Command {
	var (
		f            labFlags
		hint, answer bool
	)
	cmd := &cobra.Command{
		Use:   "show N",
		Short: "State a challenge's goal (on standard error) and print a policy to start from (on standard output)",
		Long: "show states the goal, where the answer goes and the hints shown so far on standard error,\n" +
			"and prints a policy to start from on standard output (your last draft, once you checked one),\n" +
			"so 'challenge show 1 > answer.json' gives you a file to edit. --hint shows one more hint;\n" +
			"--answer prints a model answer instead, once a check of yours has failed.",
		Args: oneArg(challengeNumber),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := challengeArg(args[0])
			if err != nil {
				return err
			}
			s, err := openChallenges(&f)
			if err != nil {
				return err
			}
			hints := s.progress.Hints(ch)
			if hint {
				if len(hints) == len(ch.Hints) {
					lipgloss.Fprintln(cmd.ErrOrStderr(), cliStyles.warn.Render("Every hint is out already."))
				}
				if err := s.update(func(p *steps.ChallengeProgress) { hints = p.NextHint(ch) }); err != nil {
					return err
				}
			}
			if answer && !s.progress.ModelUnlocked(ch.ID) {
				return withFix(exitCode(1, "the model answer of challenge %d shows once a check of yours has failed", ch.ID),
					"try first: "+f.next(fmt.Sprintf("challenge check %d --policy answer.json", ch.ID)))
			}
			policyText := ch.Starter(s.ctx)
			if d := s.progress.Record(ch.ID).Draft; d != "" {
				policyText = d
			}
			if answer {
				policyText = ch.Model(s.ctx)
			}
			if doc, err := policy.Parse([]byte(policyText)); err == nil {
				policyText = string(doc.Pretty())
			}
			if f.output == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"challenge": ch, "hints": hints, "policy": policyText, "example": s.ctx.Example,
					"record": s.progress.Record(ch.ID)})
			}
			w := cmd.ErrOrStderr()
			lipgloss.Fprintln(w, cliStyles.bold.Render(fmt.Sprintf("Challenge %d: %s", ch.ID, ch.Title)))
			lipgloss.Fprintln(w, ch.Goal)
			lipgloss.Fprintln(w, cliStyles.faint.Render("The answer is "+ch.Target.Label()+"."))
			if s.ctx.Example {
				lipgloss.Fprintln(w, cliStyles.warn.Render("The lab is not up here, so the endpoints' IDs in the policies are stand-ins: run 'up' first for the real ones."))
			}
			for i, h := range hints {
				lipgloss.Fprintln(w, cliStyles.warn.Render(fmt.Sprintf("Hint %d/%d: ", i+1, len(ch.Hints)))+h)
			}
			if !hint && len(hints) < len(ch.Hints) {
				lipgloss.Fprintln(w, cliStyles.faint.Render(fmt.Sprintf("Stuck? --hint shows a hint (%d of %d shown).", len(hints), len(ch.Hints))))
			}
			if answer {
				lipgloss.Fprintln(w, cliStyles.ok.Render("A model answer (yours may differ and still pass):"))
			} else {
				lipgloss.Fprintln(w, cliStyles.faint.Render("Then: "+f.next(fmt.Sprintf("challenge check %d --policy FILE", ch.ID))))
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), policyText)
			return err
		},
	}
	addStateDirFlag(cmd, &f.stateDir)
	fl := cmd.Flags()
	fl.BoolVar(&f.sandbox, "sandbox", false, "the sandbox's lab (its endpoints' IDs go into the policies)")
	fl.BoolVar(&hint, "hint", false, "show one more hint")
	fl.BoolVar(&answer, "answer", false, "print a model answer (after a failed check)")
	addOutputFlag(cmd, &f.output)
	return cmd
}

func newChallengeCheckCmd() *cobra.Command {
	var (
		f            labFlags
		policyFile   string
		simulateOnly bool
		works        []string
	)
	cmd := &cobra.Command{
		Use:   "check N --policy FILE",
		Short: "Check an answer: by simulation over a hidden set of requests, then for real through the endpoints",
		Long: "check tests the policy in FILE (- for standard input) against the challenge's hidden requests\n" +
			"by simulation, and shows each request's expected and actual outcome. When that passes and\n" +
			"the lab is up, it checks again for real: the answer goes where the challenge says, every\n" +
			"request the lab can make is made through the endpoints (on the sandbox also from outside the\n" +
			"VPC and as another account's role), and then the lab's own policy is put back.\n" +
			"Exit status: 0 when the answer passes, 1 when it does not, 2 on bad input.",
		Example: "  ecr-vpce-lab challenge check 3 --policy answer.json --sandbox\n" +
			"  ecr-vpce-lab challenge check 3 --policy answer.json --simulate-only --output json",
		Args: oneArg(challengeNumber),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLabFlags(&f); err != nil {
				return err
			}
			ch, err := challengeArg(args[0])
			if err != nil {
				return err
			}
			if policyFile == "" {
				return exitCode(2, "--policy FILE is required: the answer to check ('%s > answer.json' gives one to start from)", f.next(fmt.Sprintf("challenge show %d", ch.ID)))
			}
			forecast, err := forecastOf(ch, works, cmd.Flags().Changed("works"))
			if err != nil {
				return err
			}
			src, err := readPolicySource(cmd, policyFile)
			if err != nil {
				return err
			}
			s, err := openChallenges(&f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.output == "json" {
				out = cmd.ErrOrStderr()
			}
			sim := ch.Simulate(s.ctx, src)
			res := map[string]any{"challenge": ch.ID, "simulation": sim}
			passed := sim.Passed
			if f.output != "json" {
				printSimulationCheck(out, ch, sim, s.ctx)
			}
			live := false
			switch {
			case !sim.Passed:
			case simulateOnly:
				noteLine(out, "--simulate-only: not checked for real.")
			case !s.labUp:
				noteLine(out, "The lab is not up here, so the answer was checked by simulation only: run '"+f.next("up")+"' to check it for real too.")
			default:
				again := fmt.Sprintf("challenge check %d --policy %s", ch.ID, awsops.ShellQuote(policyFile))
				if cmd.Flags().Changed("works") {
					again += " --works " + awsops.ShellQuote(cmp.Or(strings.Join(works, ","), "none"))
				}
				resume := "run '" + f.next(again) + "' again, or '" + f.next("down") + "' (it puts everything back)"
				lr, lerr := checkLive(cmd, &f, ch, src, resume)
				if lerr != nil {
					return lerr
				}
				res["live"] = lr
				passed, live = lr.Passed, true
				if f.output != "json" {
					printLiveCheck(out, lr)
				}
			}
			if len(ch.Predict) > 0 {
				reqs := sim.Requests
				if lr, ok := res["live"].(steps.LiveResult); ok {
					reqs = lr.Requests
				}
				if forecast == nil {
					if f.output != "json" {
						noteLine(out, fmt.Sprintf("Challenge %d asks for a forecast before the check: --works COMMANDS names those you expect to still work (of %s), or --works none.",
							ch.ID, strings.Join(ch.Predict, ", ")))
					}
				} else {
					guesses := ch.JudgePrediction(forecast, reqs)
					res["forecast"] = guesses
					if f.output != "json" {
						printForecast(out, guesses)
					}
				}
			}
			if err := s.update(func(p *steps.ChallengeProgress) { p.Checked(ch.ID, passed, live, string(src), time.Now()) }); err != nil {
				return err
			}
			res["passed"] = passed
			if f.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else if passed {
				lipgloss.Fprintln(out, "")
				lipgloss.Fprintln(out, cliStyles.ok.Render(fmt.Sprintf("Challenge %d passed%s.", ch.ID, map[bool]string{true: ", for real too", false: ""}[live]))+" "+ch.Lesson)
			} else {
				lipgloss.Fprintln(out, "")
				lipgloss.Fprintln(out, cliStyles.err.Render(fmt.Sprintf("Challenge %d is not solved yet.", ch.ID))+
					fmt.Sprintf(" 'challenge show %d --hint' gives a hint; 'challenge show %d --answer' a model answer.", ch.ID, ch.ID))
			}
			if !passed {
				return exitCode(1, "")
			}
			return nil
		},
	}
	addLabFlags(cmd, &f, withOutput)
	fl := cmd.Flags()
	fl.StringVar(&policyFile, "policy", "", "the answer: a policy FILE, or - for standard input")
	fl.BoolVar(&simulateOnly, "simulate-only", false, "check by simulation only, even when the lab is up")
	fl.StringSliceVar(&works, "works", nil, "your forecast, for a challenge that asks for one: the commands you expect to still work (or none)")
	return cmd
}

// forecastOf reads --works: the commands the learner expects to still
// work, of those the challenge asks about (nil when not given).
func forecastOf(ch steps.Challenge, works []string, given bool) (steps.Prediction, error) {
	if !given {
		return nil, nil
	}
	if len(ch.Predict) == 0 {
		return nil, exitCode(2, "challenge %d asks for no forecast: leave out --works", ch.ID)
	}
	p := steps.Prediction{}
	for _, w := range works {
		w = strings.TrimSpace(w)
		if w == "none" || w == "" {
			continue
		}
		known := false
		for _, op := range ch.Predict {
			known = known || op == w
		}
		if !known {
			return nil, exitCode(2, "--works %q: challenge %d asks about %s (or none)", w, ch.ID, strings.Join(ch.Predict, ", "))
		}
		p[w] = true
	}
	return p, nil
}

// printForecast holds the learner's forecast against what happened.
func printForecast(w io.Writer, guesses []steps.Guess) {
	right := 0
	for _, g := range guesses {
		if g.Right {
			right++
		}
	}
	lipgloss.Fprintln(w, "")
	lipgloss.Fprintln(w, cliStyles.bold.Render(fmt.Sprintf("Your forecast: %d of %d right", right, len(guesses))))
	for _, g := range guesses {
		said := "refused"
		if g.Predicted {
			said = "still works"
		}
		mark, st := "✔", cliStyles.ok
		if !g.Right {
			mark, st = "✘", cliStyles.err
		}
		lipgloss.Fprintln(w, fmt.Sprintf("%s %-12s you said %-11s  it was %s", st.Render(mark), g.Op, said, g.Got))
	}
}

func noteLine(w io.Writer, s string) {
	lipgloss.Fprintln(w, cliStyles.faint.Render(s))
}

// checkLive opens the lab (with the sandbox's other vantage points) and
// checks the answer for real; resume is what to run when it is
// interrupted, with the flags that chose this lab.
func checkLive(cmd *cobra.Command, f *labFlags, ch steps.Challenge, src []byte, resume string) (steps.LiveResult, error) {
	doc, err := policy.Parse(src)
	if err != nil {
		return steps.LiveResult{}, exitCode(2, "%v", err)
	}
	env, err := openHeadless(cmd, f, openOptions{lock: true, elsewhere: true})
	if err != nil {
		return steps.LiveResult{}, err
	}
	defer env.close()
	ctx, stop := interrupts(cmd.Context(), env.out, resume, nil)
	defer stop()
	lr, err := env.lab.CheckChallengeLive(ctx, ch, doc)
	if err != nil {
		var se *steps.StepError
		if errors.As(err, &se) {
			err = se.Err
		}
		return lr, withFix(exitCode(1, "checking for real: %v", err), problem.FixOf(err))
	}
	return lr, nil
}

// printSimulationCheck writes the simulation's verdict, request by
// request, and for each one that went wrong, why.
func printSimulationCheck(w io.Writer, ch steps.Challenge, sim steps.SimulationResult, c steps.ChallengeContext) {
	lipgloss.Fprintln(w, cliStyles.bold.Render(fmt.Sprintf("Challenge %d, %s: by simulation", ch.ID, ch.Title)))
	if len(sim.Findings) > 0 {
		printFindings(w, sim.Findings)
		lipgloss.Fprintln(w, cliStyles.err.Render("AWS would not accept this policy, so it was not simulated: fix the errors above."))
		return
	}
	for _, r := range sim.Rules {
		lipgloss.Fprintln(w, cliStyles.err.Render("✘ ")+r)
	}
	printRequests(w, sim.Requests)
	if c.Example {
		noteLine(w, "The endpoints' IDs are stand-ins: the lab is not up here.")
	}
}

// printRequests writes a check's requests: expected, actual, and why.
func printRequests(w io.Writer, reqs []steps.ProbeResult) {
	lw := 0
	for _, r := range reqs {
		lw = max(lw, len(r.Label()))
	}
	for _, r := range reqs {
		mark, st := "✔", cliStyles.ok
		switch {
		case r.Skipped != "":
			mark, st = "–", cliStyles.faint
		case !r.Match:
			mark, st = "✘", cliStyles.err
		}
		line := fmt.Sprintf("%s %-*s  expected %-7s", st.Render(mark), lw, r.Label(), steps.Verdict(r.Allowed))
		if r.Skipped != "" {
			lipgloss.Fprintln(w, line+cliStyles.faint.Render("  "+r.Skipped))
			continue
		}
		got := r.Got()
		via := ""
		if way := r.Way(); way != "" {
			via = cliStyles.faint.Render("  " + way)
		}
		lipgloss.Fprintln(w, line+" got "+st.Render(got)+via)
		if r.Match {
			continue
		}
		lipgloss.Fprintln(w, cliStyles.faint.Render("      goal: "+r.Why))
		if r.Message != "" {
			lipgloss.Fprintln(w, cliStyles.faint.Render("      AWS: "+r.Message))
		}
		if tr := r.Trace; tr != nil {
			lipgloss.Fprintln(w, cliStyles.faint.Render("      "+tr.Type.Label()+": "+tr.Summary()))
			for _, s := range tr.Statements {
				if s.Role == policy.RoleNoMatch && len(s.Misses()) > 0 {
					lipgloss.Fprintln(w, cliStyles.faint.Render("        "+s.Label+": "+s.Misses()[0].Why))
				}
			}
		}
	}
}

func printLiveCheck(w io.Writer, lr steps.LiveResult) {
	lipgloss.Fprintln(w, "")
	lipgloss.Fprintln(w, cliStyles.bold.Render("For real, through "+lr.Applied))
	if lr.NotApplied != "" {
		lipgloss.Fprintln(w, cliStyles.err.Render("✘ AWS refused the answer itself: ")+lr.NotApplied)
		return
	}
	if lr.Waited > time.Second {
		noteLine(w, "waited "+seconds(lr.Waited)+" for the answer to take effect")
	}
	printRequests(w, lr.Requests)
	for _, n := range lr.Notes {
		noteLine(w, "note: "+n)
	}
	noteLine(w, "The lab's own policy is back on the endpoints.")
}
