package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
)

// labFlags are the flags of the commands that open the lab: the wizard, up,
// test, status and down. Each is declared once, in addLabFlags, so a flag
// means the same and says the same everywhere.
type labFlags struct {
	sandbox       bool
	sandboxTiming string
	stateDir      string
	region        string
	profile       string
	repo          string
	docker        bool
	transcript    string
	// headless output
	output  string
	verbose bool
	// the wizard's
	accessible bool
	// wf are the sandbox's world flags (--world, place faults).
	wf worldFlags
	// run is --run: the run to carry on with when the state file is gone.
	run string
	// pre is this machine's place, prepared before a full-screen program
	// took the terminal (credentials that ask something).
	pre *place
	// msgs is where the libraries write while the wizard runs (nil for the
	// headless commands: their stderr).
	msgs *screenLog
}

// flagGroup selects the flags a command takes beyond the common ones
// (sandbox, sandbox-timing, state-dir, region, profile, repo).
type flagGroup uint

const (
	// withOutput: --output and --verbose, for the headless commands.
	withOutput flagGroup = 1 << iota
	// withTranscript: --transcript, for commands that make AWS calls worth
	// replaying.
	withTranscript
	// withDocker: --docker, for commands that push and pull.
	withDocker
	// withAccessible: --accessible, for the wizard.
	withAccessible
)

// addLabFlags declares the lab's flags on cmd.
func addLabFlags(cmd *cobra.Command, f *labFlags, groups flagGroup) {
	d := defaultsFromEnv()
	fl := cmd.Flags()
	fl.BoolVar(&f.sandbox, "sandbox", false, "practise on the built-in sandbox instead of AWS: no account needed, nothing billed "+
		"(a running 'ecr-vpce-lab sandbox' for the same state directory is reused)")
	fl.StringVar(&f.sandboxTiming, "sandbox-timing", "realistic", "how fast the endpoints of a sandbox started by this command change state: "+timingHelp)
	addStateDirFlag(cmd, &f.stateDir)
	fl.StringVar(&f.region, "region", "", "the AWS region (default $AWS_REGION, the profile's, or the instance's)")
	fl.StringVar(&f.profile, "profile", "", "the AWS profile to use, from ~/.aws/config")
	fl.StringVar(&f.repo, "repo", d.repo, "the lab repository (default $ECR_REPO_A or team-a/alpine)")
	fl.StringVar(&f.run, "run", "", "when the state file is gone, carry on with this run (its resources' ecr-vpce-lab:run tag)")
	addWorldFlags(fl, &f.wf)
	if groups&withOutput != 0 {
		addOutputFlag(cmd, &f.output)
		fl.BoolVarP(&f.verbose, "verbose", "v", false, "print every API call (with timing and retries) and the equivalent AWS CLI commands")
	}
	if groups&withTranscript != 0 {
		fl.StringVar(&f.transcript, "transcript", "", "write the equivalent AWS CLI commands to FILE as a runnable shell script")
	}
	if groups&withDocker != 0 {
		fl.BoolVar(&f.docker, "docker", false, "use the docker CLI for pushes and pulls, as the lab does")
	}
	if groups&withAccessible != 0 {
		fl.BoolVar(&f.accessible, "accessible", false, "plain prompts and line output for screen readers (also ACCESSIBLE=1 or TERM=dumb)")
	}
}

// textAliasesKey is the annotation that lists a command's older words for
// --output text.
const textAliasesKey = "ecr-vpce-lab/output-text-aliases"

// addOutputFlag declares --output, text or json, on cmd; textAliases are
// older words the command still takes for text. checkOutput, the root's
// hook, checks the value before any command runs, so no command checks it
// itself.
func addOutputFlag(cmd *cobra.Command, p *string, textAliases ...string) {
	cmd.Flags().StringVarP(p, "output", "o", "text", "output format: text or json")
	if len(textAliases) > 0 {
		if cmd.Annotations == nil {
			cmd.Annotations = map[string]string{}
		}
		cmd.Annotations[textAliasesKey] = strings.Join(textAliases, ",")
	}
}

// checkOutput refuses an --output other than text or json (or one of the
// command's aliases for text, which it turns into text).
func checkOutput(cmd *cobra.Command, _ []string) error {
	fl := cmd.Flags().Lookup("output")
	if fl == nil {
		return nil
	}
	v := fl.Value.String()
	if aliases, ok := cmd.Annotations[textAliasesKey]; ok && slices.Contains(strings.Split(aliases, ","), v) {
		v = "text"
		if err := fl.Value.Set(v); err != nil {
			return err
		}
	}
	if v != "text" && v != "json" {
		return exitCode(2, "unknown --output %q: use text or json", v)
	}
	return nil
}

// oneArg is cobra.ExactArgs(1) that says what the argument is: cobra's
// "accepts 1 arg(s), received 0" leaves a learner to guess.
func oneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			return nil
		}
		given := "none was given"
		if len(args) > 1 {
			given = fmt.Sprintf("%d were given: %s", len(args), strings.Join(args, " "))
		}
		return withFix(exitCode(2, "%s takes one argument, %s; %s", cmd.CommandPath(), what, given),
			"see '"+cmd.CommandPath()+" --help' for examples")
	}
}

// timingHelp says what each named sandbox timing means.
var timingHelp = "realistic (seconds; EC2's reads lag its writes by up to 2 s), instant, or aws (each endpoint draws its own durations from what AWS takes: " +
	"pending 1-3 min, deleting 20-60 s, network interfaces lingering 1-5 min, private DNS 0-60 s after available; reads lag writes by up to 5 s)"

// addStateDirFlag declares --state-dir, which the sandbox command shares
// with the lab's commands: one directory holds the lab's state and, in its
// sandbox/ folder, the sandbox's world.
func addStateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", "", "where the lab keeps its state and the sandbox its world (default $XDG_STATE_HOME/ecr-vpce-lab)")
}

// again is the flags, as given, that choose this lab: the sandbox or AWS,
// the state directory, the region and the profile. A command this one tells
// the user to run next carries them, or it would reach another run (or, for
// a learner on the sandbox, real AWS).
func (f *labFlags) again() string {
	s := ""
	if f.sandbox {
		s += " --sandbox"
	}
	for _, fl := range []struct{ name, v string }{{"state-dir", f.stateDir}, {"region", f.region}, {"profile", f.profile}} {
		if fl.v != "" {
			s += " --" + fl.name + " " + awsops.ShellQuote(fl.v)
		}
	}
	return s
}

// next is the command line of sub ("up", "down --yes", ...) for this lab.
func (f *labFlags) next(sub string) string {
	return "ecr-vpce-lab " + sub + f.again()
}
