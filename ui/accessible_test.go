package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAccessibleWalk finishes the whole lab with plain prompts and line
// output only, as a screen reader user would: Enter at every prompt, then y
// to tear down.
func TestAccessibleWalk(t *testing.T) {
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
	opts, _ := sandboxOptions(t)
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), strings.NewReader("q\n"), &out, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Stopped. Run ecr-vpce-lab --sandbox again to resume.") {
		t.Fatalf("%s", out.String())
	}
}

// TestAccessibleDeniesNothing: "none" at the actions prompt applies a
// policy that allows everything, and the push goes through.
func TestAccessibleDeniesNothing(t *testing.T) {
	opts, _ := sandboxOptions(t)
	in := strings.NewReader(strings.Repeat("\n", 4) + "none\n" + strings.Repeat("\n", 6) + "y\n")
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), in, &out, opts); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"With this policy, push on team-a/alpine is allowed.", "Test push: allowed. That is what the policy predicts.", "Nothing is left"} {
		if !strings.Contains(text, want) {
			t.Fatalf("missing %q in:\n%s", want, text)
		}
	}
}
