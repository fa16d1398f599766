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

// Every --output flag takes the same words, text or json, with text the
// default; fleet status, whose word was "table", still takes it too.
func TestOutputFlagSaysTextEverywhere(t *testing.T) {
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("output"); f != nil {
			n++
			if f.DefValue != "text" || f.Shorthand != "o" || f.Usage != "output format: text or json" {
				t.Errorf("%s: -%s --output %q (default %q), want -o, \"output format: text or json\", default text", c.CommandPath(), f.Shorthand, f.Usage, f.DefValue)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	if n < 10 {
		t.Fatalf("only %d commands with --output found", n)
	}
	labHome(t)
	where := []string{"fleet", "status", "--sandbox", "--state-dir", t.TempDir(), "--org", "--output"}
	var tables []string
	for _, word := range []string{"text", "table"} {
		code, out, errs := runCLI(t, "", append(where, word)...)
		if code != 0 || !strings.Contains(out, "ACCOUNT") {
			t.Fatalf("fleet status --output %s: exit %d\n%s%s", word, code, out, errs)
		}
		tables = append(tables, strings.Split(out, "\n")[0])
	}
	if tables[0] != tables[1] {
		t.Errorf("--output text and table differ:\n%s\n%s", tables[0], tables[1])
	}
	if code, _, errs := runCLI(t, "", append(where, "yaml")...); code != 2 || !strings.Contains(errs, `unknown --output "yaml": use text or json`) {
		t.Errorf("fleet status --output yaml: exit %d %s", code, errs)
	}
}
