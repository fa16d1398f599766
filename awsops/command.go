package awsops

import (
	"regexp"
	"strings"

	"ecr-vpce-lab/internal/problem"
)

// Command is the AWS CLI equivalent of one call, for the learning pane and
// for transcripts. Args start with the program ("aws").
type Command struct {
	Args []string `json:"args"`
	// Capture, when set, names the shell variable the lab stores the call's
	// result in (VPCE_SG_ID, DKR_VPCE_ID, ...), and Query is the --query
	// expression that picks it out of the output.
	Capture string `json:"capture,omitempty"`
	Query   string `json:"query,omitempty"`
	// Result is the value the call produced (the ID), so later commands can
	// refer to it through Capture.
	Result string `json:"result,omitempty"`
	// Shell, when set, replaces Args with a ready shell snippet (a wait loop).
	Shell string `json:"shell,omitempty"`
	// Comment explains the command in one line.
	Comment string `json:"comment,omitempty"`
	// Check marks a command that transcripts write commented out, since its
	// tools and answers differ by machine: one that only looks (host, dig),
	// or one of docker's (login, pull, tag, push, rmi).
	Check bool `json:"check,omitempty"`
}

// String renders the command as one shell line.
func (c Command) String() string {
	if c.Shell != "" {
		return c.Shell
	}
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = ShellQuote(a)
	}
	return strings.Join(parts, " ")
}

// IsZero reports whether there is no command.
func (c Command) IsZero() bool { return len(c.Args) == 0 && c.Shell == "" }

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func awsCmd(region string, args ...string) Command {
	a := append([]string{"aws"}, args...)
	if region != "" {
		a = append(a, "--region", region)
	}
	return Command{Args: a}
}

// CLI is how a command that a fix tells the learner to type calls the AWS
// CLI: "aws", or, when the lab's calls go to an endpoint of their own (the
// sandbox), "aws --endpoint-url URL", so that the command reaches the world
// the lab runs in and never AWS. The learning pane and transcripts keep
// the plain commands (Command.String): they show what the lab does on AWS.
func (c *Cloud) CLI() string { return cliFor(c.opts.BaseEndpoint) }

// RegistryAddr is where the lab's registry requests go when not to ECR's
// own host name (the sandbox's registry, host:port), "" otherwise: a
// docker login a fix names goes there too.
func (c *Cloud) RegistryAddr() string { return c.opts.RegistryAddr }

// cliFor is CLI for calls that go to endpoint ("" for AWS's own).
func cliFor(endpoint string) string {
	if endpoint == "" {
		return "aws"
	}
	return "aws --endpoint-url " + ShellQuote(endpoint)
}

// Runnable is cmd as a fix says it: an AWS CLI command with CLI in place
// of "aws"; any other command as it is.
func (c *Cloud) Runnable(cmd Command) string {
	if cmd.Shell == "" && len(cmd.Args) > 0 && cmd.Args[0] == "aws" {
		return c.CLI() + strings.TrimPrefix(cmd.String(), "aws")
	}
	return cmd.String()
}

// RunnableLine is Runnable for a command written out ("aws ec2 ..."):
// one that starts with "aws " gets the Cloud's CLI (CLILine).
func (c *Cloud) RunnableLine(line string) string { return CLILine(c.CLI(), line) }

// CLILine is line with cli ("aws --endpoint-url URL", a Cloud's CLI) in
// place of the "aws" it starts with; a line that is not an AWS CLI
// command, or one that sets up this shell's credentials
// (LocalCLICommand), stays as it is, and so does any line for cli "".
func CLILine(cli, line string) string {
	rest, ok := strings.CutPrefix(line, "aws ")
	if !ok || cli == "" || LocalCLICommand(rest) {
		return line
	}
	return cli + " " + rest
}

// awsInText finds where a text starts an AWS CLI command ("aws " and a
// service): at its start, or after a space, a parenthesis or a quote.
// "aws --endpoint-url" does not match, so rewriting twice changes nothing.
var awsInText = regexp.MustCompile(`(^|[\s("'])aws ([a-z])`)

// RunnableText is RunnableLine for a sentence that names AWS CLI commands
// anywhere in it (a fix: "create it (aws ecr create-repository), or ..."):
// each gets the Cloud's CLI, but those that set up this shell's
// credentials (aws sso, aws configure: LocalCLICommand), which no endpoint
// of the world serves.
func (c *Cloud) RunnableText(text string) string {
	cli := c.CLI()
	if cli == "aws" {
		return text
	}
	var b strings.Builder
	last := 0
	for _, m := range awsInText.FindAllStringSubmatchIndex(text, -1) {
		// m[3] ends what comes before "aws", m[4] starts its arguments.
		args := m[4]
		if LocalCLICommand(text[args:]) {
			continue
		}
		b.WriteString(text[last:m[3]])
		b.WriteString(cli + " ")
		last = args
	}
	b.WriteString(text[last:])
	return b.String()
}

// LocalCLICommand reports whether the AWS CLI command with these arguments
// ("sso login", "configure list") sets up or shows this shell's
// credentials rather than calling the world's services: --endpoint-url
// plays no part in it (aws sso login would send the sign-in there).
func LocalCLICommand(args string) bool {
	return strings.HasPrefix(args, "sso") || strings.HasPrefix(args, "configure")
}

// classify is the package's classify for a call of this Cloud: the fix's
// AWS CLI commands reach the world its calls go to (RunnableText).
func (c *Cloud) classify(op string, err error) error {
	out := classify(op, err)
	if e, ok := problem.As(out); ok {
		e.Fix = c.RunnableText(e.Fix)
	}
	return out
}
