package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ecr-vpce-lab/sandbox"
)

// Every --help example runs as written: each ecr-vpce-lab command in it is
// a command with those flags and arguments, and every variable it uses is
// one the sandbox's export lines (or the workshop) set.
func TestHelpExamplesRunAsWritten(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, e := range sb.Env() {
		exported[e.Name] = true
	}
	_ = sb.Close()
	variable := regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, line := range strings.Split(c.Example, "\n") {
			line, _, _ = strings.Cut(line, " #")
			for _, m := range variable.FindAllStringSubmatch(line, -1) {
				if !exported[m[1]] {
					t.Errorf("%s: the example %q uses $%s, which nothing exports", c.CommandPath(), strings.TrimSpace(line), m[1])
				}
			}
			for _, seg := range regexp.MustCompile(`\|\||&&|[|;&]`).Split(line, -1) {
				words := strings.Fields(seg)
				if len(words) == 0 || words[0] != "ecr-vpce-lab" {
					continue
				}
				var args []string
				for i := 1; i < len(words); i++ {
					switch w := words[i]; {
					case w == ">" || w == "2>" || w == "<":
						i++ // and its file
					case strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>") || strings.HasPrefix(w, "<"):
					default:
						args = append(args, w)
					}
				}
				n++
				root := newRootCmd()
				cmd, rest, err := root.Find(args)
				if err == nil {
					err = cmd.ParseFlags(rest)
				}
				if err == nil {
					err = cmd.ValidateArgs(cmd.Flags().Args())
				}
				if err != nil {
					t.Errorf("%s: the example %q does not parse: %v", c.CommandPath(), strings.TrimSpace(seg), err)
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	if n < 20 {
		t.Fatalf("only %d example commands found", n)
	}
}

// A flag's help names only flags of its own command, or names them with
// the command that has them ('ecr-vpce-lab sandbox --reset'): the lab's
// commands share --world with the sandbox command, which alone has --reset.
func TestFlagHelpNamesOnlyFlagsItsCommandHas(t *testing.T) {
	flag := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	quoted := regexp.MustCompile(`'ecr-vpce-lab [^']*'`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			for _, m := range flag.FindAllString(quoted.ReplaceAllString(f.Usage, ""), -1) {
				if c.Flags().Lookup(m[2:]) == nil {
					t.Errorf("%s --%s: its help names %s, which %s does not have: %q", c.CommandPath(), f.Name, m, c.CommandPath(), f.Usage)
				}
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}
