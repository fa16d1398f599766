// Package cli is the command tree of ecr-vpce-lab: the lab's commands and
// their flags (cobra, run through fang), and the one place that builds the lab
// for them.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"charm.land/lipgloss/v2"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// Version and Commit are what --version prints; main sets them from the
// release build's stamps.
var (
	Version = ""
	Commit  = ""
)

// Run executes the command line and turns the outcome into an exit code, so
// tests can drive the whole program in-process.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, newRootCmd(), args, stdin, stdout, stderr)
}

// execute runs root. A panic in the command's goroutine, or in the
// wizard, ends here: the crash report is written and the exit status says
// so. With --output json every error is also JSON on standard output,
// unless the command already wrote its result there.
func execute(ctx context.Context, root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	// Only a JSON command's output is counted: the wrapper hides the
	// terminal from colour detection and from the wizard.
	var out io.Writer = stdout
	var counted *countingWriter
	if wantsJSON(args) {
		counted = &countingWriter{w: stdout}
		out = counted
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(stderr)
	defer func() {
		if v := recover(); v != nil {
			code = reportCrash(root, args, stderr, &panicError{value: v, stack: debug.Stack()})
		}
	}()
	// The signals end the command's context here rather than in fang, so
	// that the exit status can tell an interrupted command from a failed
	// one.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := []fang.Option{fang.WithErrorHandler(errorHandler)}
	if Version != "" {
		opts = append(opts, fang.WithVersion(Version))
	}
	if Commit != "" {
		opts = append(opts, fang.WithCommit(Commit))
	}
	err := fang.Execute(ctx, root, opts...)
	if err == nil {
		return 0
	}
	if pe, ok := asPanic(err); ok {
		return reportCrash(root, args, stderr, pe)
	}
	code = 2
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if code == 1 && ctx.Err() != nil {
		// Interrupted (Ctrl-C, SIGTERM, or the caller's context): what
		// failed failed because of it, and the exit status says so.
		code = 130
	}
	if counted != nil && counted.n == 0 {
		_ = writeJSON(counted, map[string]any{"error": errorJSON(err, code)})
	}
	return code
}

// countingWriter counts what the command wrote on standard output.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// wantsJSON reports whether the command line asks for JSON output.
func wantsJSON(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "--output=json" || a == "-ojson" || a == "-o=json":
			return true
		case (a == "--output" || a == "-o") && i+1 < len(args) && args[i+1] == "json":
			return true
		}
	}
	return false
}

// errorJSON is an error as the JSON outputs carry it: the sentence, what to
// do, its kind when known, the step that failed, and the exit status.
func errorJSON(err error, code int) map[string]any {
	e := map[string]any{"message": strings.TrimSpace(err.Error())}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			e["message"] = ee.msg
		}
		if ee.fix != "" {
			e["fix"] = ee.fix
		}
	}
	if fix := problem.FixOf(err); fix != "" {
		e["fix"] = fix
	}
	if k := problem.KindOf(err); k.Known() {
		e["kind"] = k
	}
	var se *steps.StepError
	if errors.As(err, &se) {
		e["step"] = se.Step
		if se.Fix != "" {
			e["fix"] = se.Fix
		}
	}
	if code != 0 {
		e["exitCode"] = code
	}
	return e
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ecr-vpce-lab",
		Short: "Learn to secure Amazon ECR with VPC endpoints, step by step",
		Long: "ecr-vpce-lab guides you through routing Amazon ECR traffic over VPC endpoints,\n" +
			"restricting it with an endpoint policy, proving the policy with a push and a list,\n" +
			"and removing everything again; a built-in sandbox stands in for AWS when you have no account.",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command's --output is checked here, before it runs.
		PersistentPreRunE: checkOutput,
	}
	root.AddGroup(
		&cobra.Group{ID: groupLab, Title: "Lab"},
		&cobra.Group{ID: groupTools, Title: "Tools"},
	)
	root.AddCommand(newUpCmd(), newTestCmd(), newStatusCmd(), newDownCmd())
	root.AddCommand(newPolicyCmd(), newExplainCmd(), newChallengeCmd())
	root.AddCommand(newSandboxCmd())
	root.AddCommand(newFleetCmd())
	addWizard(root)
	return root
}

const (
	groupLab   = "lab"
	groupTools = "tools"
)

// exitError carries a specific exit code, and the fix when there is one. An
// empty message means the command has already explained itself on its output
// streams.
type exitError struct {
	code int
	msg  string
	fix  string
	// cause, when set, is the typed error behind msg, for callers that
	// act on it (the wizard shows a list of runs for a RunChoiceError).
	cause error
}

func (e *exitError) Error() string { return e.msg }

func (e *exitError) Unwrap() error { return e.cause }

// withFix adds what to do next to an exitError ("" adds nothing).
func withFix(err error, fix string) error {
	var ee *exitError
	if fix != "" && errors.As(err, &ee) {
		ee.fix = fix
	}
	return err
}

// exitCode returns an error that ends the program with code and prints msg
// (nothing when msg is empty).
func exitCode(code int, msg string, args ...any) error {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	return &exitError{code: code, msg: msg}
}

// errorHandler prints errors as one plain sentence. fang's default handler
// capitalises the first letter, which mangles messages that start with a
// flag ("--op is required").
func errorHandler(w io.Writer, styles fang.Styles, err error) {
	if _, ok := asPanic(err); ok {
		return // execute reports it, once the crash report is written
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.msg == "" {
		return
	}
	msg := strings.TrimSpace(err.Error())
	lipgloss.Fprintln(w, lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true).Render("Error:")+" "+msg)
	if ee != nil && ee.fix != "" {
		lipgloss.Fprintln(w, "  fix: "+ee.fix)
	}
	if isUsageError(msg) {
		lipgloss.Fprintln(w, "Try --help for usage.")
	}
}

// isUsageError recognises cobra's flag and argument errors, which have no
// type of their own.
func isUsageError(msg string) bool {
	for _, prefix := range []string{"flag needs an argument", "unknown flag", "unknown shorthand flag", "unknown command", "invalid argument", "accepts ", "requires at least", "bad flag syntax"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
