package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// printer turns the engine's events into plain progress lines in the style
// of AWS Copilot: one line per resource with its state and the time it has
// taken, a line per step, failures with their fix.
type printer struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	lastDNS string
	// notes are the tests' notes already printed: each is said once.
	notes map[string]bool
	// cliNote, on the sandbox, says what the aws commands the lab names
	// need (sandboxCLINote): said once, after the first line naming one.
	cliNote  string
	cliNoted bool
}

func newPrinter(w io.Writer, verbose bool) *printer { return &printer{w: w, verbose: verbose} }

func (p *printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	lipgloss.Fprintln(p.w, s)
	p.noteCLI(s)
}

// sandboxCLI is how an aws command the lab names on the sandbox starts
// (awsops.Cloud.CLI).
const sandboxCLI = "aws --endpoint-url "

func (p *printer) setCLINote(note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cliNote = note
}

// noteCLI says the sandbox's note after s when s names an aws command
// and the note has not been said yet. p.mu is held.
func (p *printer) noteCLI(s string) {
	if p.cliNote == "" || p.cliNoted || !strings.Contains(s, sandboxCLI) {
		return
	}
	p.cliNoted = true
	lipgloss.Fprintln(p.w, cliStyles.faint.Render("  note: "+p.cliNote))
}

// noteCLIIn says the note when text, printed elsewhere (an error's fix),
// names an aws command.
func (p *printer) noteCLIIn(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noteCLI(text)
}

func (p *printer) note(format string, args ...any) {
	p.line(cliStyles.faint.Render(fmt.Sprintf(format, args...)))
}

func seconds(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// toneStyle is the colour of a tone: red bad, yellow worth a look or still
// moving, green good, faint idle.
func toneStyle(t steps.Tone) lipgloss.Style {
	switch t {
	case steps.ToneBad:
		return cliStyles.err
	case steps.ToneBusy, steps.ToneNotice:
		return cliStyles.warn
	case steps.ToneGood:
		return cliStyles.ok
	}
	return cliStyles.faint
}

// stateStyle draws a resource state in the printer's glyphs, in its
// tone's colour: ✘ failed, ◌ still moving, ✔ otherwise (yellow for what is
// settled but worth a look: kept, adopted, restored).
func stateStyle(state steps.ResourceState) (string, lipgloss.Style) {
	t := state.Tone()
	mark := "✔"
	switch t {
	case steps.ToneBad:
		mark = "✘"
	case steps.ToneBusy:
		mark = "◌"
	}
	return mark, toneStyle(t)
}

// stepStyle draws a step status in its tone's colour: ✔ done, ✘ failed,
// and the status's own mark otherwise (– skipped, ? not proven, ■ stopped,
// in yellow, so a skipped step never reads as a passed one).
func stepStyle(status steps.StepStatus) (string, lipgloss.Style) {
	t := status.Tone()
	mark := status.Mark()
	switch t {
	case steps.ToneGood:
		mark = "✔"
	case steps.ToneBad:
		mark = "✘"
	}
	return mark, toneStyle(t)
}

func (p *printer) event(e steps.Event) {
	switch e.Kind {
	case steps.EventStarted:
		p.line(cliStyles.bold.Render(e.Message))
	case steps.EventDetail:
		p.line("  " + e.Message)
	case steps.EventResource:
		r := e.Resource
		if len(r.Addresses) > 0 {
			p.line(cliStyles.faint.Render(fmt.Sprintf("      %s %s: private addresses %s", r.Name, r.ID, strings.Join(r.Addresses, ", "))))
			return
		}
		mark, st := stateStyle(r.State)
		label := r.Kind.Label()
		id := r.ID
		if id == "" {
			id = "…"
		}
		el := ""
		if !r.Since.IsZero() {
			el = seconds(e.Time.Sub(r.Since))
		}
		s := fmt.Sprintf("  %s %-15s %-14s %-24s %s", st.Render(mark), label, r.Name, id, st.Render(r.State.Label()))
		if el != "" {
			s += " " + cliStyles.faint.Render("["+el+"]")
		}
		p.line(strings.TrimRight(s, " "))
		if r.Detail != "" {
			p.line(cliStyles.faint.Render("      " + r.Detail))
		}
	case steps.EventCommand:
		if p.verbose {
			// Continuation lines line up under the command, each styled on
			// its own (a styled block pads every line to the widest).
			for i, l := range strings.Split(e.Command.String(), "\n") {
				prefix := "  $ "
				if i > 0 {
					prefix = "    "
				}
				p.line(cliStyles.faint.Render(prefix + l))
			}
		}
	case steps.EventCheck:
		c := e.Check
		mark, st := "✔", cliStyles.ok
		if !c.OK {
			mark, st = "✘", cliStyles.err
			if c.Warning {
				mark, st = "!", cliStyles.warn
			}
		}
		p.line(fmt.Sprintf("  %s %s: %s", st.Render(mark), c.Title, c.Message))
		if !c.OK && c.Fix != "" {
			p.line(cliStyles.faint.Render("      fix: " + c.Fix))
		}
	case steps.EventDNS:
		var parts []string
		for _, l := range e.Lookups {
			parts = append(parts, lookupText(l))
		}
		s := strings.Join(parts, "; ")
		p.mu.Lock()
		same := s == p.lastDNS
		p.lastDNS = s
		p.mu.Unlock()
		if !same {
			for _, l := range e.Lookups {
				mark, st := "◌", cliStyles.warn
				if l.Private() {
					mark, st = "✔", cliStyles.ok
				}
				p.line(fmt.Sprintf("  %s %s", st.Render(mark), lookupText(l)))
			}
			if e.NextPoll > 0 {
				p.line(cliStyles.faint.Render("      not private yet; checking again in " + seconds(e.NextPoll) + " (DNS can lag a few minutes behind 'available')"))
			}
		}
	case steps.EventTest:
		if !e.Test.Retrying { // the detail line says why it is tried again
			printTest(p, *e.Test)
		}
	case steps.EventCall:
		if p.verbose && e.Call != nil {
			c := e.Call
			s := fmt.Sprintf("  · %s %s %s", c.Service, c.Operation, seconds(c.Duration))
			if c.Retries > 0 {
				s += fmt.Sprintf(" (%d retries)", c.Retries)
			}
			if c.Code != "" {
				s += " " + c.Code
			} else if c.Err != nil {
				s += " error"
			}
			p.line(cliStyles.faint.Render(s))
		}
	case steps.EventDone:
		p.line(cliStyles.ok.Render("✔ ") + e.Message + " " + cliStyles.faint.Render("("+seconds(e.Elapsed)+")"))
	case steps.EventSkipped, steps.EventUnproven:
		// A skip, or a test that ran (its outcome is above) but proves
		// nothing: each with its own mark and word.
		status := steps.StatusSkipped
		if e.Kind == steps.EventUnproven {
			status = steps.StatusUnproven
		}
		mark, st := stepStyle(status)
		line := st.Render(mark+" ") + e.Message + " " + st.Render(status.Label())
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		p.line(line)
	case steps.EventFailed:
		p.line(cliStyles.err.Render("✘ ") + e.Message + ": " + failureWords(e))
		switch {
		case e.Fix != "":
			p.line("  " + kindTag(e.ErrKind) + "fix: " + e.Fix)
		case e.ErrKind.Known():
			p.line("  " + strings.TrimSpace(kindTag(e.ErrKind)))
		}
		if code := problem.CodeOf(e.Err); p.verbose && code != "" {
			p.line(cliStyles.faint.Render("  code: " + code))
		}
	}
}

// failureWords is a failure's sentence for a person: the error's code
// (AWS's, or the lab's own such as RefusedElsewhere) gives way to the kind's
// label beside the fix; the JSON output keeps both (error, errorKind), and
// --verbose prints the code on a line of its own.
func failureWords(e steps.Event) string {
	if e.Err != nil && e.Error == e.Err.Error() {
		return problem.Words(e.Err)
	}
	return e.Error
}

// kindTag names the kind of a problem before its fix ("[AWS had a
// problem] "), so a learner sees at once whose move it is.
func kindTag(k problem.Kind) string {
	if !k.Known() {
		return ""
	}
	return cliStyles.faint.Render("["+k.Label()+"]") + " "
}

func lookupText(l awsops.Lookup) string {
	if l.Err != "" {
		return l.Name + ": " + l.Err
	}
	return l.Name + " has address " + l.AddressList()
}

func printTest(p *printer, t steps.TestResult) {
	verdict := cliStyles.ok.Render(t.Verdict())
	if !t.Outcome.Allowed {
		verdict = cliStyles.err.Render(t.Verdict())
	}
	expect := "as the policy predicts"
	switch {
	case t.Unproven != "":
		// Not a contradiction of the policy: no evidence about it.
		expect = cliStyles.warn.Render(t.Mismatch())
	case !t.Match:
		expect = cliStyles.err.Render(t.Mismatch())
	}
	what := string(t.Name) + " " + t.Repository
	if t.Tag != "" {
		what += ":" + t.Tag
	}
	p.line(fmt.Sprintf("  %s: %s, %s", what, verdict, expect))
	// What the prediction rests on (a name still public, so the request
	// bypassed an endpoint and its policy; a policy AWS was still
	// applying), as the JSON gives it.
	for _, n := range t.Notes {
		p.mu.Lock()
		said := p.notes[n]
		if p.notes == nil {
			p.notes = map[string]bool{}
		}
		p.notes[n] = true
		p.mu.Unlock()
		if !said {
			p.line(cliStyles.warn.Render("      note: ") + n)
		}
	}
	defer func() {
		// After AWS's words: which action it refused, and what decided it.
		if line := refusedLine(t); line != "" {
			p.line(cliStyles.faint.Render("      " + line))
		}
	}()
	switch {
	case t.Push != nil:
		pr := t.Push
		p.line(cliStyles.faint.Render(fmt.Sprintf("      The push refers to repository [%s/%s]", pr.Registry, pr.Repository)))
		if pr.LayersExisting > 0 {
			p.line(cliStyles.faint.Render(fmt.Sprintf("      %d layer(s) already exist", pr.LayersExisting)))
		}
		if !pr.Allowed {
			p.line("      " + refusalText(t, pr.Outcome))
		} else if pr.Digest != "" {
			p.line(cliStyles.faint.Render("      " + pr.Tag + ": digest: " + pr.Digest))
		}
	case t.List != nil:
		if !t.List.Allowed {
			p.line("      " + refusalText(t, t.List.Outcome))
		}
		for _, im := range t.List.ByTag() {
			tag := im.Tag
			if tag == "" {
				tag = "<untagged>"
			}
			p.line(fmt.Sprintf("      %-8s %s", tag, im.Digest))
		}
	case t.Pull != nil:
		if !t.Pull.Allowed {
			p.line("      " + refusalText(t, t.Pull.Outcome))
		} else {
			p.line(cliStyles.faint.Render(fmt.Sprintf("      Digest: %s (%d layers, %d bytes)", t.Pull.Digest, t.Pull.Layers, t.Pull.Bytes)))
		}
	}
}

// refusedLine names the action AWS refused and the statement of the
// policy in force that decides it ("" when nothing was refused).
func refusedLine(t steps.TestResult) string {
	a := t.Outcome.Action
	if t.Outcome.Allowed || a == "" {
		return ""
	}
	switch {
	case strings.EqualFold(a, t.ExpectedAction) && t.ExpectedBy != "":
		return "refused " + a + ", decided by the policy's statement " + t.ExpectedBy
	case t.ExpectedAction != "" && !strings.EqualFold(a, t.ExpectedAction):
		return "refused " + a + "; the policy in force predicts a refusal at " + t.ExpectedAction
	}
	return "refused " + a
}

// refusalText is a refusal as the client prints it ("denied: User: …"),
// or, when AWS gave no words (a HEAD answer has no body), the lab's
// explanation.
func refusalText(t steps.TestResult, o awsops.Outcome) string {
	if o.Message == "" && t.Reason != "" {
		return t.Reason
	}
	code := o.Code
	if code == "DENIED" {
		// What docker and the registry clients print.
		code = "denied"
	}
	return code + ": " + o.Message
}

// callStats counts API calls by service.
type callStats struct {
	mu      sync.Mutex
	total   int
	retries int
	by      map[string]int
}

func (s *callStats) add(c awsops.Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil {
		s.by = map[string]int{}
	}
	s.total++
	s.retries += c.Retries
	s.by[c.Service]++
}

// summary is "N API calls (ec2 5, ecr 2, ...)".
func (s *callStats) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.by))
	for k := range s.by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.by[k]))
	}
	out := fmt.Sprintf("%d calls", s.total)
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	if s.retries > 0 {
		out += fmt.Sprintf(", %d retries", s.retries)
	}
	return out
}

func (s *callStats) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{"total": s.total, "retries": s.retries}
	for k, v := range s.by {
		m[k] = v
	}
	return m
}
