package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// policyEditor is the policy screen's input: a huh form for the common
// choices, or raw JSON with lint findings as you type. It holds only input
// state; the root model decides when to apply.
type policyEditor struct {
	account, region string

	form   *huh.Form
	repo   string
	deny   []string
	target string

	rawMode  bool
	raw      textarea.Model
	findings []policy.Finding
	// kept is JSON the learner left for the form that the form cannot
	// show (invalid, or more than one repository and a list of actions);
	// keptForm is the form as it was then. Until the form changes, the
	// JSON editor opens on kept again rather than on the form's policy.
	kept, keptForm string
	// keptAt is where the cursor was in kept (line, column, from 1).
	keptAt [2]int

	isDark bool
	width  int
	// compact shows only the field in focus, for small terminals.
	compact bool
	keys    KeyMap
	// target is the last field: Enter on it applies the policy.
	targetField *huh.Select[string]
	// denyField is the list of actions; denyHeight its height with its
	// title (0: 8), less on a short window, so the line under the cursor
	// is never below the screen's edge.
	denyField  *huh.MultiSelect[string]
	denyHeight int
}

// fieldKind is the kind of form field that has the focus.
type fieldKind int

const (
	fieldNone   fieldKind = iota
	fieldText             // a text input: printable keys are text
	fieldMulti            // a multi-select: arrows, j/k, space/x
	fieldSelect           // a select: arrows, j/k
	fieldJSON             // the JSON editor: every key is text
)

// focus says which kind of field has the focus, and whether it is the
// form's last (Enter there applies the policy).
func (e *policyEditor) focus() (kind fieldKind, last bool) {
	if e.rawMode {
		return fieldJSON, false
	}
	if e.form == nil {
		return fieldNone, false
	}
	switch f := e.form.GetFocusedField().(type) {
	case *huh.Input:
		return fieldText, false
	case *huh.MultiSelect[string]:
		return fieldMulti, false
	case *huh.Select[string]:
		return fieldSelect, f == e.targetField
	}
	return fieldNone, false
}

// denyChoices are the actions the lab's client operations use, which is
// what a learner may want to deny; the JSON editor takes any other.
func denyChoices() []string {
	seen := map[string]bool{}
	var out []string
	for _, op := range policy.Operations() {
		for _, s := range op.Steps {
			if !seen[s.Action] {
				seen[s.Action] = true
				out = append(out, s.Action)
			}
		}
	}
	return out
}

// newPolicyEditor starts on the given choices; deny may be empty (the
// policy then allows everything). Call resetForm to build the form.
func newPolicyEditor(account, region, repo string, deny []string, target steps.Target, isDark bool, keys KeyMap) *policyEditor {
	e := &policyEditor{account: account, region: region, repo: repo, deny: append([]string{}, deny...), target: string(target), isDark: isDark, keys: keys}
	if e.target == "" {
		e.target = string(steps.TargetBoth)
	}
	e.raw = textarea.New()
	e.raw.ShowLineNumbers = true
	e.raw.Prompt = ""
	e.raw.CharLimit = policy.MaxSize * 2
	return e
}

// theme follows our own background guess, not the form's (charmTheme).
func (e *policyEditor) theme() huh.Theme { return charmTheme(e.isDark) }

// resetForm builds the form from the current choices and returns its
// first command.
func (e *policyEditor) resetForm() tea.Cmd {
	opts := make([]huh.Option[string], 0)
	for _, a := range denyChoices() {
		opts = append(opts, huh.NewOption(a, a).Selected(contains(e.deny, a)))
	}
	repo := huh.NewInput().Key("repo").Title("Repository").Description("the deny applies to this repository").
		Value(&e.repo).Validate(validateRepo)
	// None ticked is a policy too: allow everything.
	deny := huh.NewMultiSelect[string]().Key("deny").Title("Actions to deny").
		Description("ticked ones are denied; none: allow all").Options(opts...).Value(&e.deny).Height(cmp.Or(e.denyHeight, 8)).Filterable(false)
	e.denyField = deny
	e.targetField = huh.NewSelect[string]().Key("target").Title("Attach the policy to").Options(
		huh.NewOption("both ECR endpoints (recommended)", string(steps.TargetBoth)),
		huh.NewOption("ecr.dkr only (ecr.api keeps full access)", string(steps.TargetDKR)),
	).Value(&e.target)
	// One group, whatever the window: a small one shows only the field
	// in focus (View), so a resize changes no form and moves no cursor.
	groups := []*huh.Group{huh.NewGroup(repo, deny, e.targetField)}
	// The screen says a field's error itself, once, wrapped at spaces:
	// huh's copy under the field repeated it and split "team-a" at its
	// hyphen.
	e.form = huh.NewForm(groups...).WithShowHelp(false).WithShowErrors(false).WithTheme(e.theme()).WithKeyMap(e.keys.FormKeys())
	if e.width > 0 {
		e.form = e.form.WithWidth(e.width)
	}
	return e.form.Init()
}

// rebuildForm builds the form again (huh's fields take a theme once: a new
// background needs new fields) and puts the learner back where they were:
// on the same field, the list's cursor on the same action.
func (e *policyEditor) rebuildForm() tea.Cmd {
	if e.form == nil {
		return e.resetForm()
	}
	field := e.form.GetFocusedField().GetKey()
	hovered, _ := e.denyField.Hovered()
	cmds := []tea.Cmd{e.resetForm()}
	// Each step moves one field on; the form has three.
	for range 3 {
		if e.form.GetFocusedField().GetKey() == field {
			break
		}
		cmds = append(cmds, e.form.NextField())
	}
	if field == "deny" && e.form.GetFocusedField() == e.denyField {
		choices := denyChoices()
		at := func() int {
			h, _ := e.denyField.Hovered()
			return slices.Index(choices, h)
		}
		target := slices.Index(choices, hovered)
		for range choices {
			cur := at()
			if cur == target || target < 0 {
				break
			}
			k := tea.KeyPressMsg{Code: tea.KeyDown}
			if cur > target {
				k = tea.KeyPressMsg{Code: tea.KeyUp}
			}
			var cmd tea.Cmd
			e.form, cmd = updateForm(e.form, k)
			cmds = append(cmds, cmd)
		}
	}
	e.redraw()
	return tea.Batch(cmds...)
}

// validateRepo checks the form's repository with the rule every command
// uses, so the wizard accepts exactly the names ECR does.
func validateRepo(s string) error {
	return policy.ValidateRepository(strings.TrimSpace(s))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *policyEditor) SetWidth(w int) {
	e.width = w
	if e.form != nil {
		e.form = e.form.WithWidth(w)
	}
	e.raw.SetWidth(w)
}

func (e *policyEditor) SetHeight(h int) {
	e.raw.SetHeight(max(5, h))
}

// SetListHeight sets the height of the list of actions, title included.
func (e *policyEditor) SetListHeight(h int) {
	e.denyHeight = h
	if e.denyField != nil {
		e.denyField.Height(h)
		e.scrollToCursor()
	}
}

// scrollToCursor brings the list's cursor line into its window. huh's
// Height shrinks the window without scrolling, so a learner deep in the
// list whose terminal got shorter saw no cursor: a step up and back down
// scrolls as the learner's own keys do, and leaves the cursor where it was.
func (e *policyEditor) scrollToCursor() {
	h, _ := e.denyField.Hovered()
	keys := []tea.KeyPressMsg{{Code: tea.KeyUp}, {Code: tea.KeyDown}}
	if slices.Index(denyChoices(), h) <= 0 {
		keys[0], keys[1] = keys[1], keys[0]
	}
	for _, k := range keys {
		e.denyField.Update(k)
	}
	e.redraw()
}

// redrawMsg asks the form to draw its fields again.
type redrawMsg struct{}

// redraw makes the form draw what its fields show now: a huh group keeps
// the view of its last update, which a change of height or cursor made
// from outside does not refresh.
func (e *policyEditor) redraw() {
	if e.form != nil {
		e.form, _ = updateForm(e.form, redrawMsg{})
	}
}

// Document builds the policy being edited, or returns the reason it cannot.
func (e *policyEditor) Document() (*policy.Document, steps.Target, error) {
	target := steps.Target(e.target)
	if e.rawMode {
		src := []byte(e.raw.Value())
		if policy.HasErrors(e.findings) {
			f := firstError(e.findings)
			return nil, target, fmt.Errorf("line %d:%d: %s", f.Line, f.Column, f.Message)
		}
		doc, err := policy.Parse(src)
		return doc, target, err
	}
	if err := validateRepo(e.repo); err != nil {
		return nil, target, err
	}
	if len(e.deny) == 0 {
		return policy.AllowAll(), target, nil
	}
	doc, err := policy.Default(e.account, e.region, strings.TrimSpace(e.repo), e.deny)
	return doc, target, err
}

// draft is what the learner has in the editor, to tell whether it changed.
func (e *policyEditor) draft() string {
	if e.rawMode {
		return "json\x00" + e.raw.Value()
	}
	return "form\x00" + e.repo + "\x00" + strings.Join(e.deny, ",") + "\x00" + e.target
}

func firstError(fs []policy.Finding) policy.Finding {
	for _, f := range fs {
		if f.Severity == policy.SeverityError {
			return f
		}
	}
	return policy.Finding{}
}

// ToggleRaw switches between the form and the JSON editor, carrying the
// current policy across.
func (e *policyEditor) ToggleRaw() tea.Cmd {
	if e.rawMode {
		e.rawMode = false
		e.raw.Blur()
		// Carry what the JSON says back into the form, when it can say it.
		text, shown := e.raw.Value(), false
		if doc, err := policy.Parse([]byte(text)); err == nil {
			if repo, deny, ok := formOf(doc, e.account, e.region); ok {
				if repo != "" {
					e.repo = repo
				}
				e.deny = deny
				shown = true
			}
		}
		cmd := e.resetForm()
		e.kept, e.keptForm = "", ""
		if !shown && strings.TrimSpace(text) != "" {
			// Keep it: the learner's JSON is not lost by a look at the form.
			e.kept, e.keptForm = text, e.draft()
			e.keptAt = [2]int{e.raw.Line() + 1, e.raw.Column() + 1}
		}
		return cmd
	}
	text, back := "", false
	if e.kept != "" && e.draft() == e.keptForm {
		text, back = e.kept, true
	} else if doc, _, err := e.Document(); err == nil {
		text = string(doc.Pretty())
	}
	e.kept, e.keptForm = "", ""
	e.rawMode = true
	e.setRaw(text)
	if back && !policy.HasErrors(e.findings) {
		// Back to their own JSON: where the learner left it.
		cursorAt(&e.raw, e.keptAt[0], e.keptAt[1])
	}
	return e.raw.Focus()
}

// setRaw replaces the JSON and puts the cursor where the learner has work
// to do (placeJSONCursor).
func (e *policyEditor) setRaw(text string) {
	e.raw.SetValue(text)
	e.relint()
	placeJSONCursor(&e.raw, e.findings)
}

func (e *policyEditor) relint() {
	e.findings = policy.LintWith([]byte(e.raw.Value()), policy.LintOptions{Account: e.account, Region: e.region, Repository: e.repo})
}

// Update feeds a message to the active input. It reports submitted when the
// learner finished the form (Enter on its last field).
func (e *policyEditor) Update(msg tea.Msg) (cmd tea.Cmd, submitted bool) {
	if e.rawMode {
		before := e.raw.Value()
		e.raw, cmd = e.raw.Update(msg)
		if e.raw.Value() != before {
			e.relint()
		}
		return cmd, false
	}
	e.form, cmd = updateForm(e.form, msg)
	switch e.form.State {
	case huh.StateCompleted:
		return tea.Batch(cmd, e.resetForm()), true
	case huh.StateAborted:
		return e.resetForm(), false
	}
	return cmd, false
}

// View draws the editor: the form, or the JSON with its findings.
func (e *policyEditor) View(st Styles) string { return e.ViewTrimmed(st, 0) }

// ViewTrimmed is View with the JSON's window trim lines shorter (two at
// least), for a screen short of room: the lines kept are those around the
// cursor, which is where the learner types and where an error put it.
func (e *policyEditor) ViewTrimmed(st Styles, trim int) string {
	if !e.rawMode {
		if e.kept != "" && e.draft() == e.keptForm {
			note := "The form cannot show the JSON you wrote: " + keyWord(e.keys.JSON) +
				" goes back to it as you left it; applying the form replaces it."
			return st.Warn.Render(wrapWords(note, max(20, e.width))) + "\n" + e.formView()
		}
		return e.formView()
	}
	var b strings.Builder
	b.WriteString(e.rawWindow(trim))
	b.WriteString("\n")
	if len(e.findings) == 0 {
		b.WriteString(st.OK.Render("✓ valid"))
		return b.String()
	}
	shown := e.findings
	if len(shown) > 4 {
		shown = shown[:4]
	}
	for _, f := range shown {
		sev := st.Warn.Render("warning")
		if f.Severity == policy.SeverityError {
			sev = st.Error.Render("error")
		}
		// Wrapped, not cut: the end of a finding is often what to do.
		at := fmt.Sprintf("%d:%d", f.Line, f.Column)
		text := wrapIndent(at+" "+string(f.Severity)+" "+f.Message, e.width, "   ")
		text = st.Faint.Render(at) + " " + sev + strings.TrimPrefix(text, at+" "+string(f.Severity))
		b.WriteString(text + "\n")
		if f.Fix != "" {
			b.WriteString(st.Faint.Render("   → "+wrapIndent(f.Fix, e.width-5, "     ")) + "\n")
		}
	}
	if n := len(e.findings) - len(shown); n > 0 {
		b.WriteString(st.Faint.Render(fmt.Sprintf("… and %d more", n)) + "\n")
	}
	if policy.HasErrors(e.findings) {
		b.WriteString(st.Error.Render("The lab applies no policy with errors: fix them first."))
	}
	return strings.TrimRight(b.String(), "\n")
}

// formView is the form, or on a small terminal only its field in focus.
func (e *policyEditor) formView() string {
	if !e.compact {
		return e.form.View()
	}
	lines := strings.Split(e.form.GetFocusedField().View(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// rawWindow is the JSON editor's view, trim lines shorter, keeping the
// cursor's line and the one after it (then the lines before those).
func (e *policyEditor) rawWindow(trim int) string {
	v := e.raw.View()
	lines := strings.Split(v, "\n")
	n := max(1, len(lines)-trim)
	if trim <= 0 || n >= len(lines) {
		return v
	}
	end := min(cursorViewLine(&e.raw)+2, len(lines))
	if n < 3 {
		end-- // no room for the line after
	}
	start := max(0, end-n)
	return strings.Join(lines[start:start+n], "\n")
}

// simulationRows evaluates the lab's operations for the lab repository and
// another one, as the policy would decide them on its endpoints.
func simulationRows(doc *policy.Document, target steps.Target, account, region, repo string) [][]string {
	other := "team-b/nginx"
	if repo == other {
		other = "team-a/alpine"
	}
	pols := map[policy.Endpoint]*policy.Document{policy.EndpointDKR: doc, policy.EndpointAPI: doc}
	if target == steps.TargetDKR {
		delete(pols, policy.EndpointAPI)
	}
	var rows [][]string
	for _, r := range []string{repo, other} {
		for _, op := range []string{"push", "pull", "list-images", "login"} {
			sim, err := policy.SimulateEndpoints(pols, op, r, account, region, policy.LabPrincipal(account))
			if err != nil {
				continue
			}
			by := ""
			if n := len(sim.Actions); n > 0 {
				by = sim.Actions[n-1].Statement
			}
			name := r
			if op == "login" {
				name = "*"
			}
			rows = append(rows, []string{op, name, string(sim.Decision), by})
		}
	}
	// login is the same for both repositories: keep one row.
	out := rows[:0]
	seen := map[string]bool{}
	for _, row := range rows {
		k := row[0] + row[1]
		if !seen[k] {
			seen[k] = true
			out = append(out, row)
		}
	}
	return out
}

func renderSimulation(st Styles, rows [][]string, width int) string {
	colW := []int{11, 0, 12}
	for _, r := range rows {
		colW[1] = max(colW[1], lipgloss.Width(r[1]))
	}
	var b strings.Builder
	b.WriteString(st.TableHead.Render(fmt.Sprintf("%-*s %-*s %s", colW[0], "OPERATION", colW[1], "REPOSITORY", "DECISION")) + "\n")
	for _, r := range rows {
		dec := st.Allow.Render("Allow")
		switch policy.Result(r[2]) {
		case policy.ResultExplicitDeny:
			dec = st.Deny.Render("Deny") + st.Faint.Render(" ("+r[3]+")")
		case policy.ResultImplicitDeny:
			dec = st.Deny.Render("Deny") + st.Faint.Render(" (no Allow)")
		}
		b.WriteString(truncate(fmt.Sprintf("%-*s %-*s %s", colW[0], r[0], colW[1], r[1], dec), width) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
