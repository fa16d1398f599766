package ui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textarea"
	"github.com/charmbracelet/x/ansi"

	"ecr-vpce-lab/policy"
)

// The cursor of the wizard's JSON editors (the policy step's and the
// challenges'): both open where the learner has work to do, and a refused
// policy puts the cursor on what to fix.

// placeJSONCursor puts a JSON editor's cursor on the first error AWS would
// refuse the policy for, the place the message under the editor names.
// With no error it goes to the first Deny's actions: the lab is about what
// the Deny names, and at 80×24 that line is below the editor's edge, so a
// learner opening the editor to change it would otherwise scroll for it.
// A policy with no Deny opens at its start, read from its first line.
func placeJSONCursor(ta *textarea.Model, findings []policy.Finding) {
	if cursorToError(ta, findings) {
		return
	}
	if line, col, ok := denyActionAt(ta.Value()); ok {
		cursorAt(ta, line, col)
		return
	}
	ta.MoveToBegin()
}

// cursorToError moves a JSON editor's cursor to the first error among
// its findings, if any.
func cursorToError(ta *textarea.Model, findings []policy.Finding) bool {
	f := firstError(findings)
	if f.Line == 0 {
		return false
	}
	cursorAt(ta, f.Line, f.Column)
	return true
}

// cursorAt moves a JSON editor's cursor to line:column (1-based, in
// characters, as findings count them), scrolled as little as it takes to
// show that line and the one after: what comes before is in sight, which
// is where an error's cause usually is (a comma missing at the end of the
// line before) and where the Deny's Effect and Sid are.
func cursorAt(ta *textarea.Model, line, col int) {
	// The textarea hands its text to its scrolling window only when drawn
	// or updated; until then it cannot scroll to a line past its height.
	_ = ta.View()
	ta.MoveToBegin()
	last := ta.LineCount() - 1
	row := min(max(line-1, 0), last)
	// CursorDown steps through wrapped lines one at a time; the bound is
	// only a guard.
	for range ta.Length() + 1 {
		if ta.Line() >= min(last, row+1) {
			break
		}
		ta.CursorDown()
	}
	for range ta.Length() + 1 {
		if ta.Line() <= row {
			break
		}
		ta.CursorUp()
	}
	ta.SetCursorColumn(col - 1)
}

// denyActionAt finds the value of the first Deny statement's Action (or
// NotAction) in JSON laid out one key a line, as Pretty writes it.
func denyActionAt(text string) (line, col int, ok bool) {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.Contains(l, `"Effect": "Deny"`) {
			continue
		}
		// The statement's keys: back to its opening brace, on to its close.
		from := i
		for from > 0 && strings.TrimSpace(lines[from]) != "{" {
			from--
		}
		for j := from; j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "}"); j++ {
			t := strings.TrimSpace(lines[j])
			if !strings.HasPrefix(t, `"Action":`) && !strings.HasPrefix(t, `"NotAction":`) {
				continue
			}
			_, value, _ := strings.Cut(lines[j], ": ")
			if strings.TrimSpace(value) == "[" && j+1 < len(lines) {
				// A list: its first action, on the next line.
				next := lines[j+1]
				return j + 2, len([]rune(next)) - len([]rune(strings.TrimLeft(next, " "))) + 1, true
			}
			return j + 1, len([]rune(lines[j])) - len([]rune(value)) + 1, true
		}
		return 0, 0, false
	}
	return 0, 0, false
}

// cursorViewLine is the line of a JSON editor's view the cursor is on
// (0 for the first). The cursor's row is the view line whose gutter shows
// its number; a long row goes on over lines with an empty gutter.
func cursorViewLine(ta *textarea.Model) int {
	want := strconv.Itoa(ta.Line() + 1)
	for i, l := range strings.Split(ta.View(), "\n") {
		if f := strings.Fields(ansi.Strip(l)); len(f) > 0 && f[0] == want {
			return i + ta.LineInfo().RowOffset
		}
	}
	return 0
}
