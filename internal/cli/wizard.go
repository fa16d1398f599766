package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/steps"
	"ecr-vpce-lab/ui"
)

// wizardFlags are the bare command's flags.
type wizardFlags struct {
	labFlags
	accessible bool
}

// addWizard makes the root command open the wizard.
func addWizard(root *cobra.Command) {
	var f wizardFlags
	d := defaultsFromEnv()
	fl := root.Flags()
	fl.BoolVar(&f.sandbox, "sandbox", false, "practise on the built-in sandbox instead of AWS: no account needed, nothing billed")
	fl.StringVar(&f.sandboxTiming, "sandbox-timing", "realistic", "how fast the sandbox's endpoints become available: realistic or instant")
	fl.StringVar(&f.stateDir, "state-dir", "", "where the lab keeps its state (default $XDG_STATE_HOME/ecr-vpce-lab)")
	fl.StringVar(&f.region, "region", "", "the AWS region (default $AWS_REGION, the profile's, or the instance's)")
	fl.StringVar(&f.profile, "profile", "", "the AWS profile to use, from ~/.aws/config")
	fl.StringVar(&f.repo, "repo", d.repo, "the lab repository (default $ECR_REPO_A or team-a/alpine)")
	fl.BoolVar(&f.accessible, "accessible", false, "plain prompts and line output for screen readers (also ACCESSIBLE=1 or TERM=dumb)")
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error { return runWizard(cmd, &f) }
}

func runWizard(cmd *cobra.Command, f *wizardFlags) error {
	ctx := cmd.Context()
	stateDir, err := resolveStateDir(f.stateDir)
	if err != nil {
		return err
	}
	opts := ui.Options{
		Sandbox: f.sandbox,
		Detect: func(ctx context.Context) ui.Detection {
			env := awsops.DetectEnvironment(ctx, f.profile, f.region)
			return ui.Detection{Credentials: env.Credentials, OnEC2: env.OnEC2, Region: env.Region, Problem: env.Problem}
		},
		Connect: func(ctx context.Context, sandbox bool, sink func(steps.Event)) (*ui.Connection, error) {
			return connectLab(ctx, f, stateDir, sandbox, sink)
		},
	}
	if p := os.Getenv("ECR_VPCE_LAB_TRACE"); p != "" {
		tf, err := os.Create(p)
		if err != nil {
			return exitCode(2, "ECR_VPCE_LAB_TRACE: %v", err)
		}
		defer tf.Close()
		opts.Trace = tf
	}
	accessible := f.accessible || os.Getenv("ACCESSIBLE") != "" || os.Getenv("TERM") == "dumb"
	in, out := cmd.InOrStdin(), cmd.OutOrStdout()
	if accessible {
		return ui.RunAccessible(ctx, in, colorprofile.NewWriter(out, os.Environ()), opts)
	}
	if !isTerminal(in) || !isTerminalWriter(out) {
		return exitCode(2, "the wizard needs a terminal. Without one, use the headless commands: "+
			"'ecr-vpce-lab up%s --yes', then 'test', 'status' and 'down --yes' (see --help), or pass --accessible for plain line prompts", sandboxFlagText(f.sandbox))
	}
	m := ui.New(ctx, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	final, err := p.Run()
	if fm, ok := final.(*ui.Model); ok {
		fm.Close()
		if note := fm.ExitNote(); note != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), note)
		}
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return exitCode(1, "the wizard stopped: %v", err)
	}
	return nil
}

func sandboxFlagText(on bool) string {
	if on {
		return " --sandbox"
	}
	return ""
}

// connectLab builds the lab for the wizard: the same pieces as the headless
// commands, with events going to the wizard instead of a printer.
func connectLab(ctx context.Context, f *wizardFlags, stateDir string, sandbox bool, sink func(steps.Event)) (*ui.Connection, error) {
	mode := "aws"
	if sandbox {
		mode = "sandbox"
	}
	lf := f.labFlags
	lf.sandbox = sandbox
	var closers []func()
	em := steps.NewEmitter(sink)
	closeAll := func() error {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		return nil
	}
	opts, where, closer, err := cloudOptions(ctx, &lf, stateDir)
	if err != nil {
		return nil, err
	}
	if closer != nil {
		closers = append(closers, closer)
	}
	opts.Observer = em.Call
	cloud, err := awsops.New(opts)
	if err != nil {
		_ = closeAll()
		return nil, err
	}
	store := steps.NewStore(stateDir, mode)
	if err := store.Lock(); err != nil {
		_ = closeAll()
		return nil, err
	}
	closers = append(closers, store.Unlock)
	cfg := steps.Config{Mode: mode, Repo: f.repo, Account: os.Getenv("ACCOUNT_ID")}
	if p, err := steps.DefaultEnvFile(); err == nil {
		cfg.EnvFile = p
	}
	lab, err := steps.New(cfg, cloud, store, em)
	if err != nil {
		var se *steps.StateError
		if !errors.As(err, &se) {
			_ = closeAll()
			return nil, err
		}
		// A damaged state file: start afresh; teardown still finds the old
		// run's resources by their tags.
		lab = steps.NewFresh(cfg, cloud, store, em)
	}
	return &ui.Connection{Lab: lab, Close: closeAll, Where: where}, nil
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
