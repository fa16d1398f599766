package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/fleet"
	"ecr-vpce-lab/fleetui"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
	"ecr-vpce-lab/ui"
)

// fleetFlags are the flags of the facilitator's view: where the accounts
// come from, which regions, and how to reach AWS (or the sandbox).
type fleetFlags struct {
	profiles    []string
	roles       string
	org         bool
	roleName    string
	regions     []string
	concurrency int
	stuckAfter  time.Duration
	sandbox     bool
	stateDir    string
	profile     string
	region      string
	// msgs is where the libraries write while the fleet view runs (nil
	// for fleet status and down: their stderr).
	msgs *screenLog
}

func addFleetFlags(cmd *cobra.Command, f *fleetFlags) {
	fl := cmd.PersistentFlags()
	fl.StringSliceVar(&f.profiles, "profiles", nil, "the accounts' AWS profiles, comma-separated (one account each)")
	fl.StringVar(&f.roles, "roles", "", "a file of role ARNs, one a line, each assumed with your credentials (one account each)")
	fl.BoolVar(&f.org, "org", false, "every account of your AWS Organizations organization (you are its management account)")
	fl.StringVar(&f.roleName, "role-name", fleet.DefaultRoleName, "with --org: the role assumed in each account")
	fl.StringSliceVar(&f.regions, "regions", nil, "regions to look in, comma-separated, or all (the regions each account has enabled); default your region")
	fl.IntVar(&f.concurrency, "concurrency", fleet.DefaultConcurrency, "at most this many calls in flight")
	fl.DurationVar(&f.stuckAfter, "stuck-after", fleet.DefaultStuckAfter, "a learner at one stage for longer is stuck")
	fl.BoolVar(&f.sandbox, "sandbox", false, "look at the sandbox serving the state directory (started with --accounts N for several)")
	fl.StringVar(&f.stateDir, "state-dir", "", "with --sandbox: the state directory of the sandbox (default $XDG_STATE_HOME/ecr-vpce-lab)")
	fl.StringVar(&f.profile, "profile", "", "your own AWS profile (the one that lists the organization or assumes the roles)")
	fl.StringVar(&f.region, "region", "", "your region (default $AWS_REGION, the profile's, or the instance's)")
}

func newFleetCmd() *cobra.Command {
	var f fleetFlags
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "A facilitator's view of every learner's lab across accounts and regions",
		Long: "fleet shows, for every account and region of a workshop, the lab's run there: how far the\n" +
			"learner got and since when, its endpoints and what they cost so far, when it expires and\n" +
			"whether a schedule removes it; stuck runs (at one stage longer than --stuck-after, or an\n" +
			"endpoint that failed) stand out. Keys: / filter, s sort (by cost, then by time stuck),\n" +
			"d tear down the selected run, D tear down every expired or finished run (after a\n" +
			"confirmation that lists them), r refresh, ? help, q quit.\n\n" +
			"The accounts come from --profiles, from a file of role ARNs (--roles), or from your\n" +
			"organization (--org, assuming --role-name in each). It works through the sandbox's export\n" +
			"lines like any AWS tool, and with --sandbox.",
		Example: "  ecr-vpce-lab fleet --org --regions all\n" +
			"  ecr-vpce-lab fleet --profiles team1,team2,team3 --regions us-west-2,us-east-1\n" +
			"  ecr-vpce-lab sandbox --accounts 5 --fleet-demo > sb.env &  sleep 1; . ./sb.env; ecr-vpce-lab fleet --org",
		GroupID: groupTools,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !isTerminal(cmd.InOrStdin()) || !isTerminalWriter(cmd.OutOrStdout()) {
				return exitCode(2, "the fleet view needs a terminal; without one use 'ecr-vpce-lab fleet status' (--output text or json) and 'fleet down'")
			}
			dir, err := resolveStateDir(f.stateDir)
			if err != nil {
				if f.sandbox {
					return err
				}
				// On AWS the view needs no state directory: its
				// messages need only somewhere off the screen.
				dir = os.TempDir()
			}
			f.msgs = newScreenLog("the fleet view", cmd.ErrOrStderr(), dir)
			fl, closer, err := openFleet(cmd.Context(), &f)
			if err != nil {
				return err
			}
			defer closer()
			return runFleetTUI(cmd, fl, &f)
		},
	}
	addFleetFlags(cmd, &f)
	cmd.AddCommand(newFleetStatusCmd(&f), newFleetDownCmd(&f))
	return cmd
}

// fleetAWS is the facilitator's own configuration on AWS, the SDK's
// warnings where the fleet's messages go.
func fleetAWS(ctx context.Context, f *fleetFlags) (awsops.Options, error) {
	l, err := awsops.LoadConfigWith(ctx, awsops.LoadOptions{Profile: f.profile, Region: f.region, Log: f.msgs.writer(), ProcessStdio: f.msgs.processStdio})
	if err != nil {
		return awsops.Options{}, withFix(exitCode(1, "%s", err), problem.FixOf(err))
	}
	return awsops.Options{Config: l.Config}, nil
}

// openFleet reaches the accounts.
func openFleet(ctx context.Context, f *fleetFlags) (*fleet.Fleet, func(), error) {
	none := func() {}
	if f.concurrency < 1 || f.concurrency > 256 {
		return nil, none, exitCode(2, "--concurrency %d: give 1 to 256", f.concurrency)
	}
	if f.stuckAfter <= 0 {
		return nil, none, exitCode(2, "--stuck-after must be a positive duration (30m)")
	}
	for _, r := range f.regions {
		if r != "all" {
			if err := validateRegionFlag(r); err != nil {
				return nil, none, exitCode(2, "--regions: %v", err)
			}
		} else if len(f.regions) > 1 {
			return nil, none, exitCode(2, "--regions all stands alone")
		}
	}
	src := fleet.Source{Profiles: f.profiles, RolesFile: f.roles, Org: f.org, RoleName: f.roleName}
	if err := src.Check(); err != nil {
		return nil, none, withFix(exitCode(2, "%s", err), problem.FixOf(err))
	}
	var base awsops.Options
	closer := none
	if f.sandbox {
		dir, err := resolveStateDir(f.stateDir)
		if err != nil {
			return nil, none, err
		}
		lf := &labFlags{sandbox: true, stateDir: dir, region: f.region, sandboxTiming: "instant", msgs: f.msgs}
		opts, _, _, c, err := sandboxOptions(ctx, dir, lf)
		if err != nil {
			return nil, none, err
		}
		if c != nil {
			closer = c
		}
		base = opts
		if ff := filepath.Join(worldDir(dir), "fleet"); len(src.Profiles) > 0 {
			src.ConfigFiles, src.CredentialsFiles = []string{filepath.Join(ff, "config")}, []string{filepath.Join(ff, "credentials")}
		}
	} else {
		var err error
		if base, err = fleetAWS(ctx, f); err != nil {
			return nil, none, err
		}
	}
	base.IMDSDisabled = true
	cloud, err := awsops.New(base)
	if err != nil {
		closer()
		return nil, none, withFix(exitCode(1, "%s", err), problem.FixOf(err))
	}
	accts, err := fleet.Accounts(ctx, cloud, src)
	if err != nil {
		closer()
		code := 1
		if pe, ok := problem.As(err); ok && pe.Op == fleet.OpReadRoles {
			code = 2 // the file --roles names: an input the command refuses
		}
		return nil, none, withFix(exitCode(code, "%s", err), problem.FixOf(err))
	}
	return fleet.New(accts, fleet.Options{Regions: f.regions, Concurrency: f.concurrency, StuckAfter: f.stuckAfter}), closer, nil
}

// surveyFleet reaches the accounts and surveys them once; closer lets go
// of them.
func surveyFleet(ctx context.Context, f *fleetFlags) (fl *fleet.Fleet, sv fleet.Survey, closer func(), err error) {
	fl, closer, err = openFleet(ctx, f)
	if err != nil {
		return nil, sv, closer, err
	}
	if sv, err = fl.Survey(ctx); err != nil {
		closer()
		return nil, sv, func() {}, exitCode(1, "the survey stopped: %v", err)
	}
	return fl, sv, closer, nil
}

func validateRegionFlag(r string) error { return policy.ValidateRegion(r) }

func newFleetStatusCmd(f *fleetFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Every account and region's run, as a table or JSON",
		Long: "status surveys every account and region once and prints one row each, those with nothing\n" +
			"too: --output text, a table (the default; \"table\" is accepted too), or json ({\"rows\":\n" +
			"[{account, region, run, stage, stageSince, endpoints, costSoFar, expiresAt, schedule,\n" +
			"error}]}). An account that cannot be reached is a row with the reason. costSoFar counts\n" +
			"the regions the lab has a price for; a row elsewhere with endpoints adds \"unpriced\": true\n" +
			"(the table says \"no price\").\n" +
			"Exit status 0 when every account was read, 1 otherwise.",
		Example: "  ecr-vpce-lab fleet status --org --output json | jq '.rows[] | select(.stage)'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, sv, closer, err := surveyFleet(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer closer()
			if output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), sv); err != nil {
					return err
				}
			} else {
				printFleetTable(cmd.OutOrStdout(), sv)
			}
			for _, r := range sv.Rows {
				if r.Error != nil {
					return exitCode(1, "")
				}
			}
			return nil
		},
	}
	// "table" was this command's word for text before it took the
	// one every other command uses; it keeps working.
	addOutputFlag(cmd, &output, "table")
	return cmd
}

// printFleetTable writes the survey as aligned columns; stuck rows are
// marked with !, failed ones with ✘, expired ones with ◷.
func printFleetTable(w io.Writer, sv fleet.Survey) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tACCOUNT\tREGION\tRUN\tSTAGE\tSINCE\tENDPOINTS\tCOST\tEXPIRES\tSCHEDULE\tERROR")
	str := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	for _, r := range sv.Rows {
		mark := " "
		switch {
		case r.Error != nil || r.Failed:
			mark = "✘"
		case r.Stuck:
			mark = "!"
		case r.Expired:
			mark = "◷"
		}
		since := "-"
		if r.StageSince != nil {
			since = fleetAge(sv.At.Sub(*r.StageSince))
		}
		cost := "-"
		if r.Run != nil {
			cost = fmt.Sprintf("$%.2f", r.CostSoFar)
			if r.Unpriced {
				cost = "no price" // not $0.00: AWS bills it all the same
			}
		}
		exp := str(r.ExpiresAt)
		if r.ExpiresAt != nil && *r.ExpiresAt != "never" {
			if t, err := time.Parse(time.RFC3339, *r.ExpiresAt); err == nil {
				exp = steps.FormatLeft(t.Sub(sv.At))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", mark, r.Account, r.Region, str(r.Run), str(r.Stage), since,
			r.Endpoints, cost, exp, str(r.Schedule), str(r.Error))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d row(s), %d API call(s) in %s\n", len(sv.Rows), sv.Calls, seconds(sv.Took))
}

// fleetAge writes how long ago, for people: 5m, 1h35m.
func fleetAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func newFleetDownCmd(f *fleetFlags) *cobra.Command {
	var expired, yes bool
	var output string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Tear down the runs across the accounts (every run, or the expired ones)",
		Long: "down surveys the accounts, lists the runs it will remove (every run, or with --expired\n" +
			"those whose expiry has passed), asks, and removes them in every account and region at\n" +
			"once: schedules, endpoints, groups and rules, roles. Without --yes it asks first, and\n" +
			"refuses without a terminal to ask on.",
		Example: "  ecr-vpce-lab fleet down --org --regions all --expired --yes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes && !isTerminal(cmd.InOrStdin()) {
				return exitCode(2, "fleet down deletes AWS resources in every account and there is no terminal to ask on: add --yes to go ahead")
			}
			fl, sv, closer, err := surveyFleet(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer closer()
			var targets []fleet.Row
			for _, r := range sv.Rows {
				if len(r.Runs) > 0 && (!expired || r.Expired) {
					targets = append(targets, r)
				}
			}
			msgs := cmd.ErrOrStderr()
			if output == "text" {
				msgs = cmd.OutOrStdout()
			}
			if len(targets) == 0 {
				if output == "json" {
					return writeJSON(cmd.OutOrStdout(), map[string]any{"ok": true, "results": []fleet.SweepResult{}})
				}
				fmt.Fprintln(msgs, map[bool]string{true: "No run has expired.", false: "No run of the lab is left in any account."}[expired])
				return nil
			}
			fmt.Fprintf(msgs, "%d run(s) to remove:\n", len(targets))
			for _, r := range targets {
				fmt.Fprintf(msgs, "  %s %s  run %s  %s  %d endpoint(s)\n", r.Account, r.Region, deref(r.Run), deref(r.Stage), r.Endpoints)
			}
			if !yes {
				if !askYes(cmd, "Remove them?") {
					return exitCode(1, "nothing was deleted")
				}
			}
			p := newPrinter(msgs, false)
			res := fl.Sweep(cmd.Context(), targets, func(acct, region string, e steps.Event) {
				if e.Kind == steps.EventResource && e.Resource.State == steps.ResDeleted {
					p.line(fmt.Sprintf("  %s %s %s: %s %s deleted", cliStyles.ok.Render("✔"), acct, region, e.Resource.Kind.Label(), e.Resource.ID))
				}
			})
			failed := 0
			for _, r := range res {
				if r.Error != "" {
					failed++
					p.line(fmt.Sprintf("  %s %s %s: %s", cliStyles.err.Render("✘"), r.Account, r.Region, r.Error))
				}
			}
			if output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), map[string]any{"ok": failed == 0, "results": res}); err != nil {
					return err
				}
			}
			if failed > 0 {
				return exitCode(1, "%d of %d account-region(s) were not cleaned: run 'fleet down' again (it picks up what is left)", failed, len(res))
			}
			if output == "text" {
				p.line(lipgloss.NewStyle().Render(fmt.Sprintf("Removed %d run(s) in %d account-region(s).", len(targets), len(res))))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&expired, "expired", false, "only the runs whose expiry has passed")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "remove without asking")
	addOutputFlag(cmd, &output)
	return cmd
}

func deref(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// runFleetTUI runs the full-screen fleet view.
func runFleetTUI(cmd *cobra.Command, fl *fleet.Fleet, f *fleetFlags) error {
	m := fleetui.New(cmd.Context(), fl, fleetui.Options{Title: fleetTitle(f), Sandbox: f.sandbox || os.Getenv("AWS_ENDPOINT_URL") != ""})
	f.msgs.divert()
	_, err := runProgram(cmd.Context(), m, cmd.InOrStdin(), cmd.OutOrStdout(), ui.ProgramOptions()...)
	if note := f.msgs.restore(); note != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), note)
	}
	return err
}

// fleetTitle says where the accounts come from.
func fleetTitle(f *fleetFlags) string {
	switch {
	case f.org:
		return "organization"
	case f.roles != "":
		return "roles of " + filepath.Base(f.roles)
	}
	return fmt.Sprintf("%d profile(s)", len(f.profiles))
}
