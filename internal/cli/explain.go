package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/internal/boundedread"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// refusalLimit bounds a pasted refusal: a client's whole output, with room
// to spare (a docker push of many layers prints a line for each).
const refusalLimit = 256 << 10

func newExplainCmd() *cobra.Command {
	var (
		f                      labFlags
		file, op               string
		policyFile, repoPolicy string
	)
	cmd := &cobra.Command{
		Use:     "explain [REFUSAL...|-]",
		Short:   "Say why ECR refused a request: which policy, which statement, and the edit that would let it through",
		GroupID: groupTools,
		Long: "explain reads a refusal as docker, skopeo, crane or the AWS CLI printed it (as arguments,\n" +
			"with --file, or on standard input), or an operation (--op push --repo team-a/alpine). It\n" +
			"reads the policies the request meets (the live policies of the lab's ECR endpoints and the\n" +
			"repository's policy, or the ones given with --policy and --repository-policy), evaluates\n" +
			"them statement by statement, and prints why each statement applied or not, which one\n" +
			"decided, and the smallest edit that would change the outcome, as a JSON diff. When the\n" +
			"refusal cannot come from an endpoint policy (an IAM policy, an expired login, a missing\n" +
			"repository), it says where to look instead.\n" +
			"Exit status: 0 when it explained, 1 when the lab could not read what it needs, 2 on bad input.",
		Example: "  docker push $ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com/team-a/alpine:v2 2>&1 | ecr-vpce-lab explain\n" +
			"  ecr-vpce-lab explain --op push --repo team-a/alpine --sandbox\n" +
			"  ecr-vpce-lab explain --file refusal.txt --policy policy.json --output json",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLabFlags(&f); err != nil {
				return err
			}
			in := steps.ExplainInput{Operation: op, Repo: f.repo}
			if op != "" && !slices.Contains(steps.ChallengeOperationNames(), op) {
				return exitCode(2, "unknown --op %q: choose one of %s", op, strings.Join(steps.ChallengeOperationNames(), ", "))
			}
			text, err := pastedRefusal(cmd, args, file, op != "")
			if err != nil {
				return err
			}
			in.Text = text
			if err := steps.CheckExplainInput(in); err != nil {
				return withFix(exitCode(2, "%v", err), problem.FixOf(err))
			}
			if policyFile != "" {
				doc, err := readPolicyOfType(cmd, policyFile, policy.TypeEndpoint)
				if err != nil {
					return err
				}
				in.EndpointPolicy, in.Source = doc, policyFile
			}
			if repoPolicy != "" {
				doc, err := readPolicyOfType(cmd, repoPolicy, policy.TypeRepository)
				if err != nil {
					return err
				}
				in.RepositoryPolicy = doc
				in.Source = strings.TrimPrefix(in.Source+", repository policy "+repoPolicy, ", ")
			}
			var ex steps.Explanation
			note := ""
			// On the sandbox the lab opens even with the policies given: the
			// commands the explanation names then reach its world.
			if (in.EndpointPolicy != nil || in.RepositoryPolicy != nil) && !f.sandbox {
				d := defaultsFromEnv()
				ex, err = steps.ExplainOffline(in, d.account, d.region)
			} else {
				env, oerr := openHeadless(cmd, &f, openOptions{damaged: tagsIfDamaged})
				if oerr != nil {
					return oerr
				}
				defer env.close()
				note = env.cliNote
				ex, err = env.lab.Explain(cmd.Context(), in)
			}
			if err != nil {
				// (No lab here: the fix names up with this command's own
				// flags, the sandbox and the state directory: Config.Again.)
				code := 1
				if problem.KindOf(err) == problem.Invalid {
					code = 2
				}
				return withFix(exitCode(code, "%v", err), problem.FixOf(err))
			}
			if f.output == "json" {
				return writeJSON(cmd.OutOrStdout(), ex)
			}
			printExplanation(cmd.OutOrStdout(), ex, note)
			return nil
		},
	}
	addLabFlags(cmd, &f, withOutput)
	fl := cmd.Flags()
	fl.StringVar(&file, "file", "", "read the refusal from FILE (- for standard input)")
	fl.StringVar(&op, "op", "", "explain an operation instead: "+strings.Join(steps.ChallengeOperationNames(), ", "))
	fl.StringVar(&policyFile, "policy", "", "evaluate this endpoint policy (FILE, or - for standard input) as both ECR endpoints' instead of the live ones")
	fl.StringVar(&repoPolicy, "repository-policy", "", "evaluate this repository policy (FILE) instead of the live one")
	_ = cmd.RegisterFlagCompletionFunc("op", cobra.FixedCompletions(steps.ChallengeOperationNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// pastedRefusal is the refusal to explain: the arguments (a sentence pasted
// without quotes arrives as many), --file, or standard input ("-", or no
// argument while input is piped). Nothing is fine with --op.
func pastedRefusal(cmd *cobra.Command, args []string, file string, haveOp bool) (string, error) {
	var b []byte
	var err error
	switch {
	case file != "" && len(args) > 0:
		return "", exitCode(2, "give the refusal either as arguments or with --file, not both")
	case file == "-" || (len(args) == 1 && args[0] == "-"):
		b, err = readStdin(cmd, refusalLimit)
	case file != "":
		b, err = boundedread.File(file, refusalLimit)
	case len(args) > 0:
		b = []byte(strings.Join(args, " "))
	case !haveOp && !isTerminal(cmd.InOrStdin()):
		b, err = readStdin(cmd, refusalLimit)
	case !haveOp:
		return "", exitCode(2, "%s", nothingToExplain)
	}
	if err != nil {
		if cmd.Context().Err() != nil {
			return "", stoppedReading()
		}
		var tl *boundedread.TooLargeError
		var nr *boundedread.NotRegularError
		var pe *os.PathError
		switch {
		case errors.As(err, &tl):
			return "", exitCode(2, "%v: give only the client's error output", err)
		case errors.As(err, &nr):
			return "", exitCode(2, "%v: give a file, or - for standard input", err)
		case errors.As(err, &pe):
			return "", exitCode(2, "cannot read %s: %v", file, pe.Err)
		}
		return "", exitCode(2, "reading the refusal: %v", err)
	}
	if strings.TrimSpace(string(b)) == "" && !haveOp {
		// Said before the lab opens: an empty pipe or file must not start
		// the sandbox (or reach AWS) only to have nothing to look at.
		return "", exitCode(2, "%s", nothingToExplain)
	}
	return string(b), nil
}

const nothingToExplain = "nothing to explain: paste the refusal as an argument, pipe it in (docker push … 2>&1 | ecr-vpce-lab explain), give --file, or name an operation with --op push"

// readPolicyOfType reads a policy file and refuses one AWS would not
// accept as that type.
func readPolicyOfType(cmd *cobra.Command, name string, t policy.Type) (*policy.Document, error) {
	src, err := readPolicySource(cmd, name)
	if err != nil {
		return nil, err
	}
	if fs := policy.LintWith(src, policy.LintOptions{Type: t}); policy.HasErrors(fs) {
		printFindings(cmd.ErrOrStderr(), fs)
		return nil, exitCode(2, "%s has errors, so AWS would not accept it as %s %s: fix them first (see 'ecr-vpce-lab policy check --type %s')", name, article(t.Label()), t.Label(), t)
	}
	doc, err := policy.Parse(src)
	if err != nil {
		return nil, exitCode(2, "%s: %v", name, err)
	}
	return doc, nil
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

// kindWords says what a refusal is in a few words.
func kindWords(ex steps.Explanation) string {
	r := ex.Refusal
	switch ex.Kind {
	case "policy":
		switch {
		case r.PolicyType == "" && r.Deny == "explicit":
			return "an explicit deny (the sentence names no policy type)"
		case r.PolicyType == "":
			return "refused (the sentence names no policy type)"
		case r.Deny == "explicit":
			return "an explicit deny in " + article(r.PolicyType) + " " + r.PolicyType
		}
		return "no " + r.PolicyType + " allows it"
	case "operation":
		return "an operation, evaluated"
	case "sentence-lost":
		return "refused, but the client lost AWS's reason"
	}
	return strings.ReplaceAll(ex.Kind, "-", " ")
}

// printExplanation writes an explanation for a person; note, on the
// sandbox, says what the aws commands it names need (sandboxCLINote).
func printExplanation(w io.Writer, ex steps.Explanation, note string) {
	bold, faint := cliStyles.bold, cliStyles.faint
	row := func(k, v string) {
		if v != "" {
			lipgloss.Fprintln(w, bold.Render(fmt.Sprintf("%-9s", k))+" "+v)
		}
	}
	r := ex.Refusal
	what := kindWords(ex)
	if r.Client != "" {
		what += faint.Render("  (" + strings.TrimSpace(r.Client+" "+r.Operation) + ")")
	}
	row("Refusal", what)
	who := r.Principal
	if ex.Request != nil {
		who = ex.Request.Principal
	}
	row("Caller", who)
	if ex.Request != nil {
		row("Request", ex.Request.Action+" on "+ex.Request.Resource)
	} else if r.Action != "" && r.Resource != "" {
		row("Request", r.Action+" on "+r.Resource)
	} else {
		row("Request", r.Action)
	}
	if ex.Endpoint != "" {
		via := string(ex.Endpoint) + " " + ex.EndpointID
		switch {
		case ex.Through && ex.EndpointID == "":
			via = string(ex.Endpoint) + ", with the endpoint policy given"
		case !ex.Through:
			via = string(ex.Endpoint) + ": no endpoint on the way (the public path)"
		}
		row("Through", via)
	}
	lipgloss.Fprintln(w, "")
	style := cliStyles.ok
	if ex.Agrees {
		style = cliStyles.err
	}
	lipgloss.Fprintln(w, style.Render("Cause: ")+ex.Cause)
	if a := ex.Authorization; a != nil {
		for _, tr := range []*policy.Trace{a.Endpoint, a.Repository} {
			if tr != nil && (tr == ex.Trace || ex.Trace == nil) {
				printTrace(w, tr, ex)
			}
		}
	}
	if ex.Edit != nil {
		lipgloss.Fprintln(w, "")
		lipgloss.Fprintln(w, bold.Render("Smallest edit that lets it through: ")+ex.Edit.Summary)
		printDiff(w, ex.Diff)
	}
	if len(ex.Look) > 0 {
		lipgloss.Fprintln(w, "")
		if ex.EndpointPossible {
			lipgloss.Fprintln(w, bold.Render("Where else to look:"))
		} else {
			lipgloss.Fprintln(w, bold.Render("No endpoint policy can have refused this. Where to look:"))
		}
		named := false
		for _, l := range ex.Look {
			lipgloss.Fprintln(w, "  - "+l)
			named = named || strings.Contains(l, sandboxCLI)
		}
		if named && note != "" {
			lipgloss.Fprintln(w, faint.Render("  note: "+note))
		}
	}
	if len(ex.Notes) > 0 || (ex.Source != "" && ex.Authorization != nil) {
		lipgloss.Fprintln(w, "")
		for _, n := range ex.Notes {
			lipgloss.Fprintln(w, faint.Render("note: "+n))
		}
		if ex.Source != "" && ex.Authorization != nil {
			lipgloss.Fprintln(w, faint.Render("policies: "+ex.Source))
		}
	}
}

// printTrace writes a policy's trace, statement by statement, element by
// element.
func printTrace(w io.Writer, tr *policy.Trace, ex steps.Explanation) {
	title := tr.Type.Label()
	if tr.Type == policy.TypeEndpoint && ex.EndpointID != "" {
		title += " of " + ex.EndpointID
	}
	verdict := "refuses it"
	if tr.Decision.Allowed() {
		verdict = "allows it"
	}
	lipgloss.Fprintln(w, "")
	lipgloss.Fprintln(w, cliStyles.bold.Render(strings.ToUpper(title[:1])+title[1:]+" ("+verdict+"), statement by statement:"))
	for _, s := range tr.Statements {
		mark, tone := steps.StatementMark(s)
		lipgloss.Fprintln(w, toneStyle(tone).Render(fmt.Sprintf("  %s %s  %s  %s", mark, s.Label, s.Effect, roleWords(s.Role))))
		for _, c := range s.Checks {
			m := cliStyles.ok.Render("✓")
			if !c.Matched {
				m = cliStyles.err.Render("✗")
			}
			at := ""
			if c.Line > 0 {
				at = cliStyles.faint.Render(fmt.Sprintf("  (line %d)", c.Line))
			}
			lipgloss.Fprintln(w, fmt.Sprintf("      %-9s %s %s%s", c.Element, m, c.Why, at))
		}
	}
	if len(tr.Statements) == 0 {
		lipgloss.Fprintln(w, cliStyles.faint.Render("  (no statements: nothing is allowed)"))
	}
}

func roleWords(r policy.Role) string {
	switch r {
	case policy.RoleDecides:
		return "decides"
	case policy.RoleOverridden:
		return "matches, but a Deny outweighs it"
	case policy.RoleIgnored:
		return "ignored (Effect is neither Allow nor Deny)"
	}
	return "does not apply"
}

// printDiff writes a JSON diff with a little context around each change.
func printDiff(w io.Writer, diff []policy.DiffLine) {
	keep := make([]bool, len(diff))
	for i, l := range diff {
		if l.Op != ' ' {
			for j := max(0, i-2); j <= min(len(diff)-1, i+2); j++ {
				keep[j] = true
			}
		}
	}
	gap := false
	for i, l := range diff {
		if !keep[i] {
			gap = true
			continue
		}
		if gap {
			lipgloss.Fprintln(w, cliStyles.faint.Render("  …"))
			gap = false
		}
		switch l.Op {
		case '-':
			lipgloss.Fprintln(w, cliStyles.err.Render("- "+l.Text))
		case '+':
			lipgloss.Fprintln(w, cliStyles.ok.Render("+ "+l.Text))
		default:
			lipgloss.Fprintln(w, cliStyles.faint.Render("  "+l.Text))
		}
	}
}
