package steps

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/awsops"
)

// Transcript collects the AWS CLI equivalents of what the lab did and
// renders them as a shell script that does the same.
type Transcript struct {
	mu   sync.Mutex
	cmds []awsops.Command
	// Known maps IDs that exist before the script runs to the lab variable
	// that may hold them in ~/.ecr_security (for teardown scripts).
	known map[string]string
}

// NewTranscript returns an empty transcript. known maps variable names
// (VPCE_SG_ID...) to the IDs they held when the command started.
func NewTranscript(known map[string]string) *Transcript {
	t := &Transcript{known: map[string]string{}}
	for name, id := range known {
		if id != "" {
			t.known[id] = name
		}
	}
	return t
}

// Observe records the command events; pass it every event.
func (t *Transcript) Observe(e Event) {
	if e.Kind != EventCommand || e.Command == nil {
		return
	}
	t.mu.Lock()
	t.cmds = append(t.cmds, *e.Command)
	t.mu.Unlock()
}

// Len is the number of commands recorded.
func (t *Transcript) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.cmds)
}

// Script renders the commands as a bash script. IDs created by an earlier
// command of the script are referred to through the variable it captured
// them in, so the script runs on its own against a fresh account; IDs that
// existed before come from ~/.ecr_security when it defines them.
func (t *Transcript) Script(title string, now time.Time) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "#!/usr/bin/env bash\n# %s: the AWS CLI commands ecr-vpce-lab ran, %s.\n", title, now.UTC().Format(time.RFC3339))
	b.WriteString("# Runs as it is from the workshop workspace, or against `ecr-vpce-lab sandbox` with its exports.\n")
	b.WriteString("set -euo pipefail\n")
	b.WriteString("if [ -f ~/.ecr_security ]; then . ~/.ecr_security; fi\n\n")
	vars := map[string]string{} // id → "$VAR" or "${VAR:-id}"
	for id, name := range t.known {
		vars[id] = "${" + name + ":-" + id + "}"
	}
	ids := func() []string {
		out := make([]string, 0, len(vars))
		for id := range vars {
			out = append(out, id)
		}
		sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
		return out
	}
	for _, c := range t.cmds {
		if c.Comment != "" {
			b.WriteString("# " + c.Comment + "\n")
		}
		var line string
		if c.Shell != "" {
			line = c.Shell
			for _, id := range ids() {
				line = strings.ReplaceAll(line, id, vars[id])
			}
		} else {
			parts := make([]string, len(c.Args))
			for i, a := range c.Args {
				if v, ok := vars[a]; ok {
					parts[i] = `"` + v + `"`
				} else {
					parts[i] = awsops.ShellQuote(a)
				}
			}
			line = strings.Join(parts, " ")
		}
		if c.Check {
			line = "# " + strings.ReplaceAll(line, "\n", "\n# ")
		} else if c.Shell != "" && c.Capture != "" {
			// The shell line sets the variable itself (VPC_ID=$(curl ...)).
			line += "\necho \"" + c.Capture + "=$" + c.Capture + "\""
			if c.Result != "" {
				vars[c.Result] = "$" + c.Capture
			}
		} else if c.Capture != "" && c.Query != "" {
			line = c.Capture + "=$(" + line + " --query " + awsops.ShellQuote(c.Query) + " --output text)\n" +
				"echo \"" + c.Capture + "=$" + c.Capture + "\"\n" +
				"echo \"export " + c.Capture + "=$" + c.Capture + "\" >> ~/.ecr_security"
			if c.Result != "" {
				vars[c.Result] = "$" + c.Capture
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
