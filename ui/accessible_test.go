package ui

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"ecr-vpce-lab/internal/problem"
)

// TestAccessibleWalk finishes the whole lab with plain prompts and line
// output only, as a screen reader user would: Enter at every prompt, then y
// to tear down.
func TestAccessibleWalk(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	in := strings.NewReader(strings.Repeat("\n", 11) + "y\n")
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), in, &out, opts); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
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
		"Note: The S3 gateway affects only this subnet. Its route goes",
		"is creating. Copying it to this machine, as docker pull does.",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Fatal("accessible output must not move the cursor or colour text")
	}
}

// TestAccessibleStopsOnQ leaves at the first prompt and says how to come back.
func TestAccessibleStopsOnQ(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	opts.Again = " --state-dir /tmp/my-lab" // the flags that chose this lab come back with it
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), strings.NewReader("q\n"), &out, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Stopped. Run ecr-vpce-lab --accessible --sandbox --state-dir /tmp/my-lab again to resume.") {
		t.Fatalf("%s", out.String())
	}
}

// TestAccessibleDeniesNothing: "none" at the actions prompt applies a
// policy that allows everything, and the push goes through.
func TestAccessibleDeniesNothing(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	in := strings.NewReader(strings.Repeat("\n", 4) + "none\n" + strings.Repeat("\n", 6) + "y\n")
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), in, &out, opts); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"With this policy, push on team-a/alpine is allowed.", "Test push: allowed. That is what the policy predicts.",
		"a push went through", "Nothing is left"} {
		if !strings.Contains(text, want) {
			t.Fatalf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "refused a push") {
		t.Fatalf("the closing words say a push was refused; it went through:\n%s", text)
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
	in := strings.NewReader("n\nn\nn\nn\nn\nn\nn\n\n")
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), in, &out, opts); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
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

// TestAccessiblePolicyNotApplied: a policy the lab refuses (a wildcard
// that matches no ECR action) is not applied; the learner is asked to
// choose again, and a stop from there says what was not done, and is no
// success: an error (exit 1), not the "Stopped." of a clean stop.
func TestAccessiblePolicyNotApplied(t *testing.T) {
	t.Parallel()
	opts, _ := sandboxOptions(t)
	// Preflight, group, rule: Enter; repository: Enter; actions: zz*;
	// both endpoints: Enter; apply: Enter; then q at the repository again.
	in := strings.NewReader("\n\n\n\nzz*\n\n\nq\n")
	var out bytes.Buffer
	err := RunAccessible(context.Background(), in, &out, opts)
	text := out.String()
	if err == nil || problem.KindOf(err) == problem.Canceled || !strings.Contains(err.Error(), "policy was not applied") {
		t.Fatalf("a stop after a policy that was not applied returned %v\n%s", err, text)
	}
	if !strings.Contains(problem.FixOf(err), "matches no ECR action") && !strings.Contains(problem.FixOf(err), "check the spelling") {
		t.Fatalf("the error's fix does not say what to do: %q", problem.FixOf(err))
	}
	for _, want := range []string{
		"The policy was not applied. Choose again.\nRepository the Deny applies to?",
		"Stopped, and the endpoint policy was not applied: ",
		`"ecr:zz*" matches no ECR action. What to do: `,
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Policy applied") || strings.Contains(text, "\nStopped. ") {
		t.Fatalf("the policy reads as applied, or the stop as a clean one:\n%s", text)
	}
}
