package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
	"ecr-vpce-lab/ui"
)

// addWizard makes the root command open the wizard.
func addWizard(root *cobra.Command) {
	var f labFlags
	var expires string
	addLabFlags(root, &f, withTranscript|withDocker|withAccessible)
	addExpiresFlag(root, &expires)
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		var cfg steps.Config
		d, err := expiresFlag(cmd, expires)
		if err != nil {
			return err
		}
		cfg.Expires = d
		return runWizard(cmd, &f, cfg)
	}
}

func runWizard(cmd *cobra.Command, f *labFlags, cfg steps.Config) error {
	if err := checkLabFlags(f); err != nil {
		return err
	}
	stateDir, err := resolveStateDir(f.stateDir)
	if err != nil {
		return err
	}
	f.msgs = newScreenLog("the wizard", cmd.ErrOrStderr(), stateDir)
	out, err := openTranscript(f.transcript)
	if err != nil {
		return err
	}
	defer out.close()
	// Credentials that ask something ask now, before the wizard owns the
	// terminal.
	if err := prepareHost(cmd.Context(), f, cmd.InOrStdin(), cmd.ErrOrStderr()); err != nil {
		return err
	}
	// One transcript for the whole session, across the wizard's
	// reconnections (starting over, switching to the sandbox).
	var tr *steps.Transcript
	// The last opening failure, if no opening succeeded after it: the
	// wizard shows it and lets the learner quit, and the exit status must
	// then say the lab never started.
	var (
		connMu      sync.Mutex
		lastConnErr error
	)
	// The flags besides --sandbox that chose this lab, for the commands the
	// wizard tells the learner to run (it knows whether it is on the
	// sandbox: the learner may switch to it).
	nosb := *f
	nosb.sandbox = false
	opts := ui.Options{
		Sandbox: f.sandbox,
		Again:   nosb.again(),
		Detect: func(ctx context.Context) ui.Detection {
			if f.wf != (worldFlags{}) {
				return ui.Detection{Problem: "--world and the --fault-* flags shape the sandbox: run again with --sandbox."}
			}
			pl := hostPlace(ctx, f)
			f.pre = &pl // the probe and the credentials, for Connect
			env := awsops.Detect(ctx, awsops.DetectInput{Loaded: pl.loaded, LoadErr: pl.loadErr, Metadata: pl.meta, Signals: pl.signals})
			return ui.Detection{Credentials: env.Credentials && env.Region != "", OnEC2: env.Kind.OnEC2(), Region: env.Region, Problem: env.Problem,
				Fix: env.Fix, Where: env.Sentence(), Identity: env.Identity()}
		},
		Connect: func(ctx context.Context, t ui.Target, sink func(steps.Event)) (*ui.Connection, error) {
			lf := *f
			lf.sandbox = t.Sandbox
			if t.Run != "" {
				lf.run = t.Run // chosen in the wizard from the runs found by their tags
			}
			lc := cfg
			lc.RetryTeardown = t.RetryTeardown
			env, err := openLab(ctx, &lf, openOptions{cfg: lc, sink: sink, lock: true, writesEnv: true, damaged: tagsIfDamaged, transcript: tr, recover: true, elsewhere: true})
			connMu.Lock()
			lastConnErr = err
			connMu.Unlock()
			if err != nil {
				return nil, connectError(err)
			}
			tr = env.transcript
			return &ui.Connection{Lab: env.lab, Where: env.where, Close: func() error { env.close(); return nil }}, nil
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
	err = wizard(cmd, f, opts)
	connMu.Lock()
	if cerr := lastConnErr; err == nil && cerr != nil {
		var ee *exitError
		if errors.As(cerr, &ee) && ee.msg != "" {
			err = withFix(exitCode(1, "the lab did not start: %s", ee.msg), ee.fix)
		} else {
			err = withFix(exitCode(1, "the lab did not start: %v", cerr), problem.FixOf(cerr))
		}
	}
	connMu.Unlock()
	note, terr := out.write(tr, "ecr-vpce-lab")
	if note != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), note)
	}
	if err == nil && terr != nil {
		err = exitCode(1, "%v", terr)
	}
	return err
}

// wizard runs the wizard: full screen in a terminal, plain lines in
// accessible mode.
func wizard(cmd *cobra.Command, f *labFlags, opts ui.Options) error {
	ctx := cmd.Context()
	accessible := f.accessible || os.Getenv("ACCESSIBLE") != "" || os.Getenv("TERM") == "dumb"
	in, out := cmd.InOrStdin(), cmd.OutOrStdout()
	if accessible {
		in, stop := cancelableInput(in)
		err := ui.RunAccessible(ctx, in, colorprofile.NewWriter(out, os.Environ()), opts)
		stop()
		return accessibleExit(err)
	}
	if !isTerminal(in) || !isTerminalWriter(out) {
		return exitCode(2, "the wizard needs a terminal. Without one, use the headless commands: "+
			"'%s --yes', then 'test', 'status' and 'down --yes' (see --help), or pass --accessible for plain line prompts", f.next("up"))
	}
	if f.msgs != nil {
		f.msgs.divert()
	}
	final, err := runProgram(ctx, ui.New(ctx, opts), in, out, ui.ProgramOptions()...)
	note := ""
	fm, _ := final.(*ui.Model)
	if fm != nil {
		fm.Close()
		if note = fm.ExitNote(); note != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), note)
		}
	}
	if f.msgs != nil {
		// After Close: the in-process sandbox may write until it stops.
		if m := f.msgs.restore(); m != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), m)
		}
	}
	if fm != nil {
		if ferr := fm.ExitErr(); err == nil && ferr != nil {
			// A quit on a failure is not a finished lab.
			err = withFix(exitCode(1, "%v", ferr), problem.FixOf(ferr))
		}
	}
	return signalled(err, note, "ecr-vpce-lab"+f.again())
}

// signalled words the end of a wizard a signal stopped (exit 130; ctrl+c
// itself is a key there, which asks first): the note printed above it
// already says what the lab left and the commands that come back to it or
// remove it; without one, the fix is the command that resumes, with the
// flags that chose this lab (a bare 'ecr-vpce-lab' would open another).
func signalled(err error, note, resume string) error {
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 130 {
		return err
	}
	if note != "" {
		return exitCode(130, "stopped before the lab finished (what it left, and how to remove it, is above)")
	}
	return withFix(exitCode(130, "stopped before the lab finished"), "run '"+resume+"' again to continue where you were")
}

// accessibleExit gives accessible mode's end its exit status. An error
// that carries its own (a flag refused while opening the lab) keeps it;
// otherwise the lab did not get done, which is exit 1, since the default
// for an error with no status, 2, says the command line was wrong.
func accessibleExit(err error) error {
	var ee *exitError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ui.ErrInputEnded):
		// No signal came (130 would say one did), and the command line
		// was right: the answers ran out.
		return withFix(exitCode(1, "%v", ui.ErrInputEnded), problem.FixOf(err))
	case problem.KindOf(err) == problem.Canceled:
		return withFix(exitCode(130, "stopped before the lab finished"), problem.FixOf(err))
	case errors.As(err, &ee):
		return err
	}
	return withFix(exitCode(1, "%v", err), problem.FixOf(err))
}

// runProgram runs a full-screen model on the terminal in and out, and says
// how it ended: a panic (the guard's, with its stack, or one only Bubble
// Tea saw) is a *panicError, to be reported as a crash once the terminal
// is restored; a signal is exit 130; any other failure exit 1.
func runProgram(ctx context.Context, m tea.Model, in io.Reader, out io.Writer, opts ...tea.ProgramOption) (tea.Model, error) {
	g := newGuard(m)
	p := tea.NewProgram(g, append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out)}, opts...)...)
	g.quit = p.Quit
	final, err := p.Run()
	if fg, ok := final.(*guard); ok {
		final = fg.inner
	}
	if pe := g.crash.get(); pe != nil {
		return final, pe
	}
	switch {
	case err == nil:
		return final, nil
	case errors.Is(err, tea.ErrProgramPanic):
		return final, &panicError{value: "a panic inside the terminal interface (its stack is printed above)"}
	case ctx.Err() != nil:
		return final, exitCode(130, "stopped")
	}
	return final, exitCode(1, "the wizard stopped: %v", err)
}

// connectError hands the wizard an opening failure with its fix apart, the
// way it shows a step's.
func connectError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.fix != "" {
		return &problem.Error{Kind: problem.KindOf(err), Message: ee.msg, Fix: ee.fix, Err: err}
	}
	return err
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
