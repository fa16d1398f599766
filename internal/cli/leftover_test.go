package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ecr-vpce-lab/internal/ptytest"
)

// TestHeadlessAndWizardSayTheSameLeftover: for the same run, what down
// says when the learner declines and what the wizard prints on leaving are
// the same sentence — what is still there, what it would bill on AWS (the
// sandbox bills nothing) and when the auto-teardown removes it — and both
// give the same command to remove it now. They used to be written in
// several places, and drifted.
func TestHeadlessAndWizardSayTheSameLeftover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built binary in a pseudo-terminal; skipped with -short")
	}
	t.Parallel()
	l := newIsolatedLab(t)
	if code, o, e := l.lab("up", "--sandbox", "--sandbox-timing", "instant", "--yes"); code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, o, e)
	}
	t.Cleanup(func() { l.lab("down", "--sandbox", "--sandbox-timing", "instant", "--yes") })
	env := append(l.environ(), "TERM=xterm-256color")
	const width = 200

	// Headless: down, answered no.
	term, err := ptytest.Start(width, 40, env, l.bin, "down", "--sandbox", "--sandbox-timing", "instant")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(term.Close)
	if s, err := term.WaitForText(30*time.Second, "Delete this run's resources? [y/N]"); err != nil {
		t.Fatalf("no question:\n%s", s)
	}
	_ = term.Send("n" + ptytest.Enter)
	s, err := waitUnwrapped(term, width, 10*time.Second, "removes it all now.")
	if err != nil {
		t.Fatalf("down, answered no:\n%s", s)
	}
	_ = term.Wait(10 * time.Second)
	downSaid := joinWrapped(s, width)
	headless := leftoverIn(t, "down", downSaid)

	// The wizard: the saved run's welcome, q, y.
	term, err = ptytest.Start(width, 40, env, l.bin, "--sandbox", "--sandbox-timing", "instant")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(term.Close)
	if s, err := term.WaitForText(30*time.Second, "Welcome back"); err != nil {
		t.Fatalf("no welcome:\n%s", s)
	}
	_ = term.Send("q")
	if s, err := term.WaitForText(10*time.Second, "Quit the lab?"); err != nil {
		t.Fatalf("q with the endpoints up does not ask:\n%s", s)
	}
	_ = term.Send("y")
	s, err = term.WaitForText(10*time.Second, "Or come back to the lab:")
	if err != nil {
		t.Fatalf("no note on leaving:\n%s", s)
	}
	_ = term.Wait(10 * time.Second)
	// The note wraps its words at spaces; its commands are on lines of
	// their own.
	var words []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "  ") {
			break
		}
		words = append(words, strings.TrimSpace(line))
	}
	wizard := leftoverIn(t, "the wizard", strings.Join(words, " "))

	if headless != wizard {
		t.Errorf("down and the wizard say different things of the same run:\ndown:   %s\nwizard: %s", headless, wizard)
	}
	for _, want := range []string{"the ecr.dkr and ecr.api interface endpoints (on AWS: about $0.02 per hour", "; the sandbox bills nothing)", "The auto-teardown removes the endpoints at"} {
		if !strings.Contains(wizard, want) {
			t.Errorf("the sentence lacks %q: %s", want, wizard)
		}
	}
	down := "ecr-vpce-lab down --sandbox --yes"
	if !strings.Contains(downSaid, "'"+down+"' removes it all now.") || !strings.Contains(s, "Remove everything now:\n  "+down+"\n") {
		t.Errorf("down and the wizard do not both give %q:\ndown:\n%s\nwizard:\n%s", down, downSaid, s)
	}
}

// leftoverIn is the sentence about what the run leaves, from "Still
// there:" to the end of the expiry's sentence, with the minutes left
// blanked (the two commands run a moment apart).
func leftoverIn(t *testing.T, who, s string) string {
	t.Helper()
	m := regexp.MustCompile(`Still there:.*?a little later\.`).FindString(s)
	if m == "" {
		t.Fatalf("%s does not say what is left:\n%s", who, s)
	}
	return regexp.MustCompile(`\(in \w+\)`).ReplaceAllString(m, "(in …)")
}

// joinWrapped joins again the lines a terminal of width columns wrapped.
func joinWrapped(s string, width int) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(l)
		if utf8.RuneCountInString(l) < width {
			b.WriteString("\n")
		}
	}
	return b.String()
}
