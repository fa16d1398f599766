package awsops

import "strings"

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
func (c *Cloud) CLI() string {
	if c.opts.BaseEndpoint == "" {
		return "aws"
	}
	return "aws --endpoint-url " + ShellQuote(c.opts.BaseEndpoint)
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
// one that starts with "aws " gets the Cloud's CLI.
func (c *Cloud) RunnableLine(line string) string {
	if rest, ok := strings.CutPrefix(line, "aws "); ok {
		return c.CLI() + " " + rest
	}
	return line
}
