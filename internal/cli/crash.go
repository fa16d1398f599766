package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/internal/atomicfile"
	"ecr-vpce-lab/steps"
)

// exitCrashed is the exit status after a panic (EX_SOFTWARE): not 0, and
// not 1 or 2, which say the lab or the command line failed.
const exitCrashed = 70

// panicError is a panic caught on its way out: in the command's own
// goroutine (Run recovers it), or in the wizard (its guard does).
type panicError struct {
	value any
	// stack is the panicking goroutine's stack; nil when only Bubble Tea
	// saw the panic (it printed the stack itself).
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// reportCrash writes the crash report to the state directory of the
// command that crashed and says so in one line. The terminal is already
// restored: Bubble Tea has shut down by the time a wizard's panic gets here.
func reportCrash(root *cobra.Command, args []string, stderr io.Writer, pe *panicError) int {
	dir := crashDir(root, args)
	path, err := writeCrashReport(dir, args, pe)
	what := firstLine(fmt.Sprint(pe.value))
	red := lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	if err != nil {
		lipgloss.Fprintln(stderr, red.Render("Error:")+fmt.Sprintf(" ecr-vpce-lab crashed (panic: %s), a bug; the crash report could not be written (%v), so its stack follows", what, err))
		_, _ = stderr.Write(pe.stack)
		return exitCrashed
	}
	lipgloss.Fprintln(stderr, red.Render("Error:")+fmt.Sprintf(" ecr-vpce-lab crashed (panic: %s), a bug; the crash report, with the stack, is in %s", what, path))
	return exitCrashed
}

// crashDir is the crashed command's state directory: --state-dir when it
// was given, else the default one, else the system's temporary directory.
func crashDir(root *cobra.Command, args []string) string {
	if cmd, _, err := root.Find(args); err == nil {
		if f := cmd.Flags().Lookup("state-dir"); f != nil && f.Value.String() != "" {
			return f.Value.String()
		}
	}
	if d, err := steps.DefaultStateDir(); err == nil {
		return d
	}
	return os.TempDir()
}

func writeCrashReport(dir string, args []string, pe *panicError) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	path := filepath.Join(dir, "crash-"+now.Format("20060102-150405")+"-"+strconv.Itoa(os.Getpid())+".txt")
	var b bytes.Buffer
	fmt.Fprintf(&b, "ecr-vpce-lab crashed: panic: %v\n\n", pe.value)
	version := Version
	if version == "" {
		version = "development build"
	}
	if Commit != "" {
		version += " (" + Commit + ")"
	}
	fmt.Fprintf(&b, "version:  %s, %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "command:  ecr-vpce-lab %s\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "time:     %s\n\n", now.Format(time.RFC3339))
	if len(pe.stack) > 0 {
		b.Write(pe.stack)
	} else {
		b.WriteString("The panic happened inside the terminal interface, which printed its stack on standard error.\n")
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// asPanic finds a panic in err's chain.
func asPanic(err error) (*panicError, bool) {
	var pe *panicError
	return pe, errors.As(err, &pe)
}
