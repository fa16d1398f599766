package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/internal/boundedread"
	"ecr-vpce-lab/policy"
)

// labDefaults are the workshop's own variables, which the lab's shell
// instructions export, falling back to the sandbox's world.
type labDefaults struct {
	account, region, repo string
}

func defaultsFromEnv() labDefaults {
	d := labDefaults{account: "123456789012", region: "us-west-2", repo: policy.DefaultRepository}
	if v := os.Getenv("ACCOUNT_ID"); v != "" {
		d.account = v
	}
	if v := os.Getenv("AWS_REGION"); v != "" {
		d.region = v
	}
	if v := os.Getenv("ECR_REPO_A"); v != "" {
		d.repo = v
	}
	return d
}

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policy",
		Short:   "Check, simulate and generate VPC endpoint policies",
		GroupID: groupTools,
		Long: "Work with the endpoint policy the lab attaches to the ECR endpoints, without\n" +
			"touching AWS: check it for mistakes, see what it allows, or print the lab's default.",
	}
	cmd.AddCommand(newPolicyCheckCmd(), newPolicySimulateCmd(), newPolicyDefaultCmd())
	return cmd
}

// policyLimit bounds a policy file or stream. AWS accepts at most 20,480
// characters in an endpoint policy; the rest is room for the whitespace of
// a hand-formatted file, so Lint, not the reader, explains a long policy.
const policyLimit = 1 << 20

// readPolicySource reads FILE, or standard input for "-", through the
// bounded reader: never more than policyLimit, never a pipe or a device.
func readPolicySource(cmd *cobra.Command, name string) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	if name == "-" {
		b, err = readStdin(cmd, policyLimit)
	} else {
		b, err = boundedread.File(name, policyLimit)
	}
	if err == nil {
		return b, nil
	}
	if cmd.Context().Err() != nil {
		return nil, stoppedReading()
	}
	var (
		tl *boundedread.TooLargeError
		nr *boundedread.NotRegularError
		pe *os.PathError
	)
	switch {
	case errors.As(err, &tl):
		return nil, exitCode(2, "%v (an endpoint policy holds at most 20,480 characters): check that this is the policy file", err)
	case errors.As(err, &nr):
		return nil, exitCode(2, "%v: give the path of a policy file, or pass - to read the policy from standard input", err)
	case errors.As(err, &pe):
		return nil, exitCode(2, "cannot read %s: %v. Check the path, or pass - to read the policy from standard input", name, pe.Err)
	}
	return nil, exitCode(2, "cannot read %s: %v", name, err)
}

// checkPolicyFlags checks --repo, --account and --region as the lab's
// commands do, with the same functions, before anything is read.
func checkPolicyFlags(repo, account, region string) error {
	if err := policy.ValidateRepository(repo); err != nil {
		return exitCode(2, "--repo: %v", err)
	}
	if err := policy.ValidateAccount(account); err != nil {
		return exitCode(2, "--account: %v", err)
	}
	if err := policy.ValidateRegion(region); err != nil {
		return exitCode(2, "--region: %v", err)
	}
	return nil
}

// policyType reads --type.
func policyType(s string) (policy.Type, error) {
	switch s {
	case "endpoint", "":
		return policy.TypeEndpoint, nil
	case "repository":
		return policy.TypeRepository, nil
	}
	return "", exitCode(2, "unknown --type %q: use endpoint or repository", s)
}

// policyFileArg is what the policy commands' one argument is.
const policyFileArg = "the policy's FILE, or - to read it from standard input"

func newPolicyCheckCmd() *cobra.Command {
	d := defaultsFromEnv()
	var account, region, output, repo, typ string
	var arnChecks bool
	cmd := &cobra.Command{
		Use:   "check FILE|-",
		Short: "Lint an endpoint policy: errors the lab refuses, and likely mistakes",
		Long: "Check an endpoint policy and print each finding as LINE:COL SEVERITY MESSAGE with a\n" +
			"suggested fix. Exit status: 0 no errors (warnings allowed), 1 errors found, 2 unreadable input.\n" +
			"Give --account/--region (or export ACCOUNT_ID/AWS_REGION) to check ARNs against the lab's.",
		Example: "  ecr-vpce-lab policy check policy.json\n" +
			"  ecr-vpce-lab policy default | ecr-vpce-lab policy check -",
		Args: oneArg(policyFileArg),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPolicyFlags(repo, account, region); err != nil {
				return err
			}
			pt, err := policyType(typ)
			if err != nil {
				return err
			}
			src, err := readPolicySource(cmd, args[0])
			if err != nil {
				return err
			}
			opts := policy.LintOptions{Repository: repo, Type: pt}
			if arnChecks || cmd.Flags().Changed("account") || os.Getenv("ACCOUNT_ID") != "" {
				opts.Account = account
			}
			if arnChecks || cmd.Flags().Changed("region") || os.Getenv("AWS_REGION") != "" {
				opts.Region = region
			}
			findings := policy.LintWith(src, opts)
			out := cmd.OutOrStdout()
			if output == "json" {
				if findings == nil {
					findings = []policy.Finding{}
				}
				if err := writeJSON(out, findings); err != nil {
					return err
				}
			} else {
				printFindings(out, findings)
				printFindingSummary(cmd.ErrOrStderr(), findings)
			}
			if policy.HasErrors(findings) {
				return exitCode(1, "")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", d.account, "the lab's account ID, for ARN checks (default $ACCOUNT_ID)")
	f.StringVar(&region, "region", d.region, "the lab's region, for ARN checks (default $AWS_REGION)")
	f.StringVar(&repo, "repo", d.repo, "the lab's repository (default $ECR_REPO_A)")
	f.BoolVar(&arnChecks, "arn-checks", false, "check ARNs against the default account and region even when they are not given")
	f.StringVar(&typ, "type", "endpoint", "the kind of policy: endpoint (a VPC endpoint's) or repository (an ECR repository's)")
	addOutputFlag(cmd, &output)
	return cmd
}

func newPolicySimulateCmd() *cobra.Command {
	d := defaultsFromEnv()
	var account, region, output, op, repo string
	cmd := &cobra.Command{
		Use:   "simulate FILE|-",
		Short: "Show what a policy lets a client do: push, pull, login, list-images, …",
		Long: "Evaluate a policy, attached to both ECR endpoints, for every ECR action a client\n" +
			"operation sends, in order, as AWS would. The first refused action stops the\n" +
			"operation, as it stops a real client.\n" +
			"Operations: " + strings.Join(policy.OperationNames(), ", ") + ".\n" +
			"Exit status: 0 when it evaluated (whatever the verdict), 2 on unreadable input or a policy with errors.",
		Example: "  ecr-vpce-lab policy default | ecr-vpce-lab policy simulate - --op push --repo team-a/alpine",
		Args:    oneArg(policyFileArg),
		RunE: func(cmd *cobra.Command, args []string) error {
			if op == "" {
				return exitCode(2, "--op is required: choose one of %s", strings.Join(policy.OperationNames(), ", "))
			}
			if _, ok := policy.LookupOperation(op); !ok {
				return exitCode(2, "unknown operation %q: choose one of %s", op, strings.Join(policy.OperationNames(), ", "))
			}
			if err := checkPolicyFlags(repo, account, region); err != nil {
				return err
			}
			src, err := readPolicySource(cmd, args[0])
			if err != nil {
				return err
			}
			findings := policy.LintWith(src, policy.LintOptions{Account: account, Region: region, Repository: repo})
			if policy.HasErrors(findings) {
				printFindings(cmd.ErrOrStderr(), findings)
				return exitCode(2, "the policy has errors, so AWS would not accept it: fix them and simulate again (see 'ecr-vpce-lab policy check')")
			}
			doc, err := policy.Parse(src)
			if err != nil {
				return exitCode(2, "%v", err)
			}
			sim, err := policy.Simulate(doc, op, repo, account, region)
			if err != nil {
				return exitCode(2, "%v", err)
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), sim)
			}
			printSimulation(cmd.OutOrStdout(), sim)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&op, "op", "", "operation to simulate: "+strings.Join(policy.OperationNames(), ", "))
	f.StringVar(&repo, "repo", d.repo, "repository name (default $ECR_REPO_A or team-a/alpine)")
	f.StringVar(&account, "account", d.account, "account ID (default $ACCOUNT_ID or 123456789012)")
	f.StringVar(&region, "region", d.region, "region (default $AWS_REGION or us-west-2)")
	addOutputFlag(cmd, &output)
	_ = cmd.RegisterFlagCompletionFunc("op", cobra.FixedCompletions(policy.OperationNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newPolicyDefaultCmd() *cobra.Command {
	d := defaultsFromEnv()
	var account, region, repo string
	var deny []string
	cmd := &cobra.Command{
		Use:   "default",
		Short: "Print the lab's endpoint policy: allow everything, deny pushes to one repository",
		Example: "  ecr-vpce-lab policy default --account 123456789012 --region us-west-2\n" +
			"  ecr-vpce-lab policy default --deny ecr:PutImage,ecr:BatchGetImage > policy.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPolicyFlags(repo, account, region); err != nil {
				return err
			}
			if err := checkDeny(deny); err != nil {
				return err
			}
			doc, err := policy.Default(account, region, repo, deny)
			if err != nil {
				return exitCode(2, "%v", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", doc.Pretty())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", d.account, "account ID (default $ACCOUNT_ID or 123456789012)")
	f.StringVar(&region, "region", d.region, "region (default $AWS_REGION or us-west-2)")
	f.StringVar(&repo, "repo", d.repo, "repository whose actions are denied (default $ECR_REPO_A or team-a/alpine)")
	f.StringSliceVar(&deny, "deny", []string{"ecr:PutImage"}, "the ECR actions to deny on the repository, comma-separated")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cliStyles are the few colours the headless commands use; they go through a
// colour-profile writer so pipes and NO_COLOR get plain text.
var cliStyles = struct {
	err, warn, ok, faint, bold lipgloss.Style
}{
	err:   lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
	warn:  lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
	ok:    lipgloss.NewStyle().Foreground(lipgloss.Color("2")).Bold(true),
	faint: lipgloss.NewStyle().Faint(true),
	bold:  lipgloss.NewStyle().Bold(true),
}

func printFindings(w io.Writer, findings []policy.Finding) {
	for _, f := range findings {
		sev := cliStyles.warn.Render(string(f.Severity))
		if f.Severity == policy.SeverityError {
			sev = cliStyles.err.Render(string(f.Severity))
		}
		lipgloss.Fprintf(w, "%d:%d %s %s\n", f.Line, f.Column, sev, f.Message)
		if f.Fix != "" {
			lipgloss.Fprintln(w, cliStyles.faint.Render("    fix: "+f.Fix+"  ("+f.Path+")"))
		}
	}
}

func printFindingSummary(w io.Writer, findings []policy.Finding) {
	var errs, warns int
	for _, f := range findings {
		if f.Severity == policy.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	switch {
	case errs == 0 && warns == 0:
		lipgloss.Fprintln(w, cliStyles.ok.Render("✔ no problems found"))
	case errs == 0:
		lipgloss.Fprintln(w, cliStyles.warn.Render(fmt.Sprintf("%s, no errors: AWS will accept this policy", plural(warns, "warning"))))
	default:
		lipgloss.Fprintln(w, cliStyles.err.Render(fmt.Sprintf("%s, %s: the lab will not apply this policy", plural(errs, "error"), plural(warns, "warning"))))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func decisionStyle(r policy.Result) lipgloss.Style {
	if r == policy.ResultAllow {
		return cliStyles.ok
	}
	return cliStyles.err
}

func printSimulation(w io.Writer, sim policy.Simulation) {
	t := table.New().Border(lipgloss.NormalBorder()).
		Headers("OPERATION", "ENDPOINT", "ACTION", "DECISION", "DECIDED BY").
		StyleFunc(func(row, col int) lipgloss.Style {
			s := lipgloss.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				return s.Bold(true)
			}
			return s
		})
	for _, a := range sim.Actions {
		by := a.Statement
		if by == "" {
			by = "—"
		}
		t.Row(sim.Operation, string(a.Endpoint), a.Action, decisionStyle(a.Decision).Render(string(a.Decision)), by)
	}
	for _, a := range sim.NotReached {
		t.Row(sim.Operation, "", a, cliStyles.faint.Render("not reached"), "")
	}
	lipgloss.Fprintln(w, t.Render())
	verdict := fmt.Sprintf("%s on %s: %s", sim.Operation, sim.Repository, decisionStyle(sim.Decision).Render(string(sim.Decision)))
	if sim.Decision != policy.ResultAllow {
		last := sim.Actions[len(sim.Actions)-1]
		verdict += "\n  " + last.Message
	}
	lipgloss.Fprintln(w, verdict)
}
