package ui

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// TestAccessibleWalk finishes the whole lab with plain prompts and line
// output only, as a screen reader user would: Enter at every prompt, then y
// to tear down.
func TestAccessibleWalk(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	text := runAccessible(t, opts, strings.Repeat("\n", 11)+"y\n")
	says(t, text,
		"Step 1 of 10: Preflight.",
		"Check passed: VPC DNS support and host names.",
		"With this policy, push on team-a/alpine is denied.",
		"resolves to 10.0.",
		"(private)",
		"Test push: denied. That is what the policy predicts.",
		"explicit deny in a VPC endpoint policy",
		"Test list-images: allowed.",
		"Nothing is left",
		// What follows a full stop is a sentence of its own.
		"Note: The S3 gateway reaches other subnets too. Its route goes",
		"is creating. Copying it to this machine, as docker pull does.",
	)
	if strings.Contains(text, "\x1b[") {
		t.Fatal("accessible output must not move the cursor or colour text")
	}
}

// TestAccessibleStopsOnQ leaves at the first prompt and says how to come back.
func TestAccessibleStopsOnQ(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	opts.Again = " --state-dir /tmp/my-lab" // the flags that chose this lab come back with it
	text := runAccessible(t, opts, "q\n")
	if !strings.Contains(text, "Stopped. Run ecr-vpce-lab --accessible --sandbox --state-dir /tmp/my-lab again to resume.") {
		t.Fatalf("%s", text)
	}
}

// TestAccessibleDeniesNothing: "none" at the actions prompt applies a
// policy that allows everything, and the push goes through.
func TestAccessibleDeniesNothing(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	text := runAccessible(t, opts, strings.Repeat("\n", 4)+"none\n"+strings.Repeat("\n", 6)+"y\n")
	says(t, text, "With this policy, push on team-a/alpine is allowed.", "Test push: allowed. That is what the policy predicts.",
		"a push went through", "Nothing is left")
	if strings.Contains(text, "refused a push") {
		t.Fatalf("the closing words say a push was refused; it went through:\n%s", text)
	}
}

// runAccessible runs accessible mode on opts with input typed, and returns
// what it said; an error from it fails the test.
func runAccessible(t *testing.T, opts Options, input string) string {
	t.Helper()
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), strings.NewReader(input), &out, opts); err != nil {
		t.Fatalf("accessible mode returned %v\n%s", err, out.String())
	}
	return out.String()
}

// says fails the test unless text holds each of wants, naming all it lacks.
func says(t *testing.T, text string, wants ...string) {
	t.Helper()
	var missing []string
	for _, w := range wants {
		if !strings.Contains(text, w) {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("missing %q in:\n%s", missing, text)
	}
}

// answerTo is the specification of the step question, written out apart
// from the code: the first line of input that is one of these words
// decides; anything else is asked again; the end of the input stops.
func answerTo(input string) string {
	words := map[string]string{"": answerYes, "y": answerYes, "yes": answerYes,
		"n": answerNo, "no": answerNo, "s": answerNo, "skip": answerNo,
		"q": answerQuit, "quit": answerQuit, "stop": answerQuit}
	for input != "" {
		line, rest, _ := strings.Cut(input, "\n")
		input = rest
		if len(line) > maxAnswer {
			continue // too long: asked again
		}
		if ans, ok := words[strings.ToLower(strings.TrimSpace(line))]; ok {
			return ans
		}
	}
	return answerQuit
}

func TestAccessibleQuestionsTakeOnlyTheirAnswers(t *testing.T) {
	t.Parallel()
	for input, want := range map[string]string{
		"\n":                                answerYes,
		"Y\n":                               answerYes,
		" yes \r\n":                         answerYes,
		"no\n":                              answerNo,
		"NO\n":                              answerNo,
		"skip\n":                            answerNo,
		"quit\n":                            answerQuit,
		"maybe\nnope\nn\n":                  answerNo,
		"yes please\n\n":                    answerYes,
		"":                                  answerQuit,
		"x\n":                               answerQuit,
		"n":                                 answerNo, // a last line without its newline
		strings.Repeat("y", 5000):           answerQuit,
		strings.Repeat("y", 5000) + "\nn\n": answerNo,
	} {
		a := &accessible{in: bufio.NewReader(strings.NewReader(input)), out: io.Discard}
		if got := a.choose(askRunStep); got != want {
			t.Errorf("%.20q: got %s, want %s", input, got, want)
		}
	}
	// Yes/no questions whose default is no: Enter never says yes.
	for _, q := range []question{askSandbox, askTeardown} {
		for input, want := range map[string]string{"\n": answerNo, "y\n": answerYes, "no\n": answerNo, "quit\n": answerNo, "what\ny\n": answerYes} {
			a := &accessible{in: bufio.NewReader(strings.NewReader(input)), out: io.Discard}
			if got := a.choose(q); got != want {
				t.Errorf("%q to %q: got %s, want %s", input, q.prompt, got, want)
			}
		}
	}
}

// FuzzAccessibleAnswers feeds any input to the step question: the answer
// is the one the specification gives, and only a yes (or Enter) runs it.
func FuzzAccessibleAnswers(f *testing.F) {
	for _, s := range []string{"\n", "no\n", "maybe\n\n", "Q", "\r\n", "yes\x00\n", strings.Repeat("n", 4100) + "\ny\n", "ｙｅｓ\nn\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		var out strings.Builder
		a := &accessible{in: bufio.NewReader(strings.NewReader(input)), out: &out}
		got := a.choose(askRunStep)
		if want := answerTo(input); got != want {
			t.Fatalf("%q: got %s, want %s", input, got, want)
		}
		if got == answerYes {
			// The deciding line was a yes or Enter, never anything else.
			for _, line := range strings.Split(input, "\n") {
				w := strings.ToLower(strings.TrimSpace(line))
				if w == "" || w == "y" || w == "yes" {
					break
				}
				if w == "n" || w == "no" || w == "q" || w == "quit" || w == "s" || w == "skip" || w == "stop" {
					t.Fatalf("%q ran the step after %q", input, line)
				}
			}
		}
	})
}

// TestAccessibleNoToEverything: a learner who answers n at every step has
// made nothing and proved nothing; the closing words must not say ECR now
// goes through private endpoints, nor that a push was refused.
func TestAccessibleNoToEverything(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	// Preflight, security group, rule: n; the policy asks nothing without
	// the account the preflight finds; endpoints, DNS, push, list: n; tear
	// down: Enter (no).
	text := runAccessible(t, opts, "n\nn\nn\nn\nn\nn\nn\n\n")
	if strings.Contains(text, "ECR now goes through private endpoints") || strings.Contains(text, "refused a push") ||
		!strings.Contains(text, "The endpoints were not created") {
		t.Fatalf("the closing words after n to every step:\n%s", text)
	}
	// Without the preflight there is no account: no policy is written
	// (its repository ARN would have none, and its Deny match nothing).
	if strings.Contains(text, "Policy applied") || !strings.Contains(text, "no policy to write yet") {
		t.Fatalf("the policy step without the preflight:\n%s", text)
	}
}

// TestAccessiblePolicyRefusesWhatMatchesNothing: a wildcard that matches
// no ECR action (it would deny nothing) is refused at the actions prompt,
// with the linter's reason and what to type, and asked again; the
// repository typed before it is kept, and the next answer is applied.
func TestAccessiblePolicyRefusesWhatMatchesNothing(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	// Preflight, group, rule: Enter; repository: team-b/nginx; actions:
	// ecr:Pu*Imagez, then ecr:Put*; both endpoints, apply: Enter; then q.
	// A clean stop after the policy was applied: no error.
	text := runAccessible(t, opts, "\n\n\nteam-b/nginx\necr:Pu*Imagez\necr:Put*\n\n\nq\n")
	says(t, text,
		`"ecr:Pu*Imagez" matches no ECR action: check the spelling; a wildcard stands for part of a name, as in ecr:Put* (ecr:PutImage and the other Put actions), and ecr:* for every ECR action. `+
			"The repository stays team-b/nginx; type the actions again.\nActions to deny",
		"With this policy, push on team-b/nginx is denied.",
		"With this policy, pull on team-b/nginx is allowed.",
		"Policy applied.",
	)
	if strings.Contains(text, "Failed:") || strings.Contains(text, "not applied") || strings.Count(text, "Repository the Deny applies to?") != 1 {
		t.Fatalf("the wildcard got past the prompt, or the repository was asked again:\n%s", text)
	}
}

// A step ctrl-c stopped is said as interrupted, not as failed with a fix
// of its own: the stop's words that follow say what is left and the
// commands that resume or remove it.
func TestAccessibleSaysAnInterruptionIsNoFailure(t *testing.T) {
	var out bytes.Buffer
	a := &accessible{out: &out}
	a.event(steps.Event{Kind: steps.EventFailed, Step: steps.StepEndpoints, Message: "VPC endpoints", Error: "wait for the endpoints: interrupted",
		Fix: "the operation was interrupted; run the command again to continue", ErrKind: problem.Canceled})
	if got := out.String(); got != "Interrupted: wait for the endpoints: interrupted.\n" {
		t.Errorf("an interrupted step is said as %q", got)
	}
}
