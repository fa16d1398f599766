package policy

import (
	"fmt"
	"sort"
	"strings"
)

// ChangeKind is one kind of policy edit.
type ChangeKind string

const (
	// ChangeRemoveValue removes Value from Element of a statement.
	ChangeRemoveValue ChangeKind = "remove-value"
	// ChangeAddValue adds Value to Element of a statement.
	ChangeAddValue ChangeKind = "add-value"
	// ChangeRemoveStatement deletes a statement.
	ChangeRemoveStatement ChangeKind = "remove-statement"
	// ChangeAddStatement appends New to the policy.
	ChangeAddStatement ChangeKind = "add-statement"
)

// Change is one step of an Edit.
type Change struct {
	Kind ChangeKind `json:"kind"`
	// Statement is the index of the statement changed in the original
	// policy (for add-statement, where the new one goes).
	Statement int    `json:"statement"`
	Label     string `json:"label,omitempty"`
	// Element is the key changed ("Action", "Resource") and Value the value
	// added or removed.
	Element string `json:"element,omitempty"`
	Value   string `json:"value,omitempty"`
	// New is the statement added by add-statement.
	New *Statement `json:"new,omitempty"`
}

// Describe says the change in words a learner can follow in an editor.
func (c Change) Describe() string {
	switch c.Kind {
	case ChangeRemoveValue:
		return fmt.Sprintf("remove %q from the %s of %s", c.Value, c.Element, c.Label)
	case ChangeAddValue:
		return fmt.Sprintf("add %q to the %s of %s", c.Value, c.Element, c.Label)
	case ChangeRemoveStatement:
		return "delete the statement " + c.Label
	case ChangeAddStatement:
		b, _ := c.New.MarshalJSON()
		return "add the statement " + string(b)
	}
	return string(c.Kind)
}

// cost ranks changes: touching one exact value is the smallest edit; a
// wildcard or a whole statement changes more than the one request.
func (c Change) cost() int {
	switch c.Kind {
	case ChangeRemoveValue:
		if strings.ContainsAny(c.Value, "*?") {
			return 3
		}
		return 1
	case ChangeAddValue:
		if c.Value == "*" {
			// Widens the statement to every resource, for all its actions.
			return 5
		}
		return 1
	case ChangeRemoveStatement:
		return 2
	}
	return 4
}

// Edit is a change to a policy that flips a request's outcome.
type Edit struct {
	Changes []Change `json:"changes"`
	// Summary is the edit in one sentence.
	Summary string `json:"summary"`
	// Result is the decision the edited policy gives the request.
	Result Result `json:"result"`
	// Policy is the edited document (diff it against the original with
	// Diff to show the edit as JSON).
	Policy *Document `json:"policy"`
	cost   int
}

// Only returns the change when the edit is a single one.
func (e Edit) Only() (Change, bool) {
	if len(e.Changes) == 1 {
		return e.Changes[0], true
	}
	return Change{}, false
}

// flips proposes the smallest edits that change t's outcome: a refusal into
// an allow, an allow into a refusal. Each is checked by evaluating the
// edited policy; at most four are returned, smallest first.
func flips(doc *Document, t Trace) []Edit {
	var cands [][]Change
	switch t.Decision.Result {
	case ResultExplicitDeny:
		cands = undenyCandidates(doc, t)
	case ResultImplicitDeny:
		cands = allowCandidates(doc, t)
	default:
		cands = denyCandidates(doc, t)
	}
	wasAllowed := t.Decision.Allowed()
	var out []Edit
	seen := map[string]bool{}
	for _, cs := range cands {
		edited := apply(doc, cs)
		d := EvaluateAs(t.Type, edited, t.Request)
		if d.Result == ResultImplicitDeny && t.Decision.Result == ResultExplicitDeny && t.Type != TypeRepository {
			// Lifting the Deny leaves nothing that allows: allow it too.
			// (Not in a repository policy: there, the caller's own
			// identity-based policy is what allows.)
			for _, more := range allowCandidates(edited, explain(t.Type, edited, t.Request)) {
				if len(more) == 1 && more[0].Kind == ChangeAddStatement {
					cs = append(cs, more...)
					edited = apply(doc, cs)
					d = EvaluateAs(t.Type, edited, t.Request)
					break
				}
			}
		}
		if d.Allowed() == wasAllowed && !(t.Type == TypeRepository && d.Result != t.Decision.Result) {
			continue
		}
		var words []string
		cost := 0
		for _, c := range cs {
			words = append(words, c.Describe())
			cost += c.cost()
		}
		sum := strings.Join(words, ", and ")
		if seen[sum] {
			continue
		}
		seen[sum] = true
		out = append(out, Edit{Changes: cs, Summary: sum, Result: d.Result, Policy: edited, cost: cost})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].cost < out[j].cost })
	if len(out) > 4 {
		out = out[:4]
	}
	return out
}

// undenyCandidates lift every matching Deny: narrow its Action, narrow its
// Resource, or delete it. One candidate per strategy, applied to all the
// deciding statements alike.
func undenyCandidates(doc *Document, t Trace) [][]Change {
	var out [][]Change
	for _, strategy := range []string{"Action", "Resource", ""} {
		var cs []Change
		for _, s := range t.Deciding() {
			st := doc.Statements[s.Index]
			c, ok := narrow(st, s, strategy, t.Request)
			if !ok {
				c = []Change{{Kind: ChangeRemoveStatement, Statement: s.Index, Label: s.Label}}
			}
			cs = append(cs, c...)
		}
		out = append(out, cs)
	}
	return out
}

// narrow removes the values of element that match the request from a
// statement, when other values remain (otherwise deleting the statement is
// the honest edit).
func narrow(st Statement, s StatementTrace, element string, req Request) ([]Change, bool) {
	var vals Values
	var match func(string) bool
	switch element {
	case "Action":
		vals, match = st.Action, func(p string) bool { return matchAction(p, req.Action) }
	case "Resource":
		vals, match = st.Resource, func(p string) bool { return matchResource(p, req.Resource) }
	default:
		return nil, false
	}
	if vals == nil {
		return nil, false
	}
	var cs []Change
	for _, v := range vals {
		if match(v) {
			cs = append(cs, Change{Kind: ChangeRemoveValue, Statement: s.Index, Label: s.Label, Element: element, Value: v})
		}
	}
	if len(cs) == 0 || len(cs) == len(vals) {
		return nil, false
	}
	return cs, true
}

// allowCandidates make an Allow cover the request: widen an Allow that
// misses only on its Action or Resource, or add one.
func allowCandidates(doc *Document, t Trace) [][]Change {
	return coverCandidates(doc, t, Allow)
}

// denyCandidates make a Deny cover the request: widen a Deny that misses
// only on its Action or Resource, or add one. Removing an Allow is not
// offered: it would refuse far more than this request.
func denyCandidates(doc *Document, t Trace) [][]Change {
	return coverCandidates(doc, t, Deny)
}

func coverCandidates(doc *Document, t Trace, effect Effect) [][]Change {
	var out [][]Change
	req := t.Request
	for _, s := range t.Statements {
		if s.Effect != effect || s.Matched {
			continue
		}
		miss := s.Misses()
		if len(miss) != 1 {
			continue
		}
		switch m := miss[0]; {
		case m.Written == "Action":
			out = append(out, []Change{{Kind: ChangeAddValue, Statement: s.Index, Label: s.Label, Element: "Action", Value: req.Action}})
		case m.Written == "Resource" && req.Resource != "" && t.Type != TypeRepository:
			out = append(out, []Change{{Kind: ChangeAddValue, Statement: s.Index, Label: s.Label, Element: "Resource", Value: req.Resource}})
		}
	}
	name := req.Action
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	sid := uniqueSid(doc, string(effect)+alnum(name))
	res := req.Resource
	if res == "" {
		res = "*"
	}
	n := 0
	if doc != nil {
		n = len(doc.Statements)
	}
	st := &Statement{Sid: sid, Effect: effect, Principal: &Principal{Any: true}, Action: Values{req.Action}, Resource: Values{res}}
	if t.Type == TypeRepository {
		// A repository policy names no Resource (ECR refuses one), and
		// an Allow for "*" would open the repository to every account:
		// name the caller's role.
		st.Resource = nil
		if effect == Allow && req.Principal != "" {
			st.Principal = &Principal{IDs: map[string]Values{"AWS": {principalARN(req.Principal)}}}
		}
	}
	out = append(out, []Change{{Kind: ChangeAddStatement, Statement: n, Label: sid, New: st}})
	return out
}

func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func uniqueSid(doc *Document, base string) string {
	taken := map[string]bool{}
	if doc != nil {
		for _, s := range doc.Statements {
			taken[s.Sid] = true
		}
	}
	sid := base
	for i := 2; taken[sid]; i++ {
		sid = fmt.Sprintf("%s%d", base, i)
	}
	return sid
}

// apply returns a copy of doc with the changes made; doc is not touched.
func apply(doc *Document, cs []Change) *Document {
	out := doc.Clone()
	removed := map[int]bool{}
	for _, c := range cs {
		switch c.Kind {
		case ChangeRemoveStatement:
			removed[c.Statement] = true
		case ChangeAddStatement:
			out.Statements = append(out.Statements, c.New.clone())
		case ChangeRemoveValue, ChangeAddValue:
			st := &out.Statements[c.Statement]
			var vals *Values
			switch c.Element {
			case "Action":
				vals = &st.Action
			case "Resource":
				vals = &st.Resource
			default:
				continue
			}
			if c.Kind == ChangeAddValue {
				*vals = append(*vals, c.Value)
				continue
			}
			kept := Values{}
			for _, v := range *vals {
				if v != c.Value {
					kept = append(kept, v)
				}
			}
			*vals = kept
		}
	}
	if len(removed) > 0 {
		kept := out.Statements[:0]
		for i, st := range out.Statements {
			if !removed[i] {
				kept = append(kept, st)
			}
		}
		out.Statements = kept
	}
	return out
}

// Clone returns a deep copy of the document.
func (d *Document) Clone() *Document {
	if d == nil {
		return &Document{Version: "2012-10-17"}
	}
	out := &Document{Version: d.Version, ID: d.ID, Statements: make([]Statement, len(d.Statements))}
	for i, s := range d.Statements {
		out.Statements[i] = s.clone()
	}
	return out
}

func (s Statement) clone() Statement {
	c := s
	c.loc = nil
	c.Action, c.NotAction = s.Action.clone(), s.NotAction.clone()
	c.Resource, c.NotResource = s.Resource.clone(), s.NotResource.clone()
	c.Principal, c.NotPrincipal = s.Principal.clone(), s.NotPrincipal.clone()
	if s.Condition != nil {
		c.Condition = map[string]map[string]Values{}
		for op, keys := range s.Condition {
			m := map[string]Values{}
			for k, v := range keys {
				m[k] = v.clone()
			}
			c.Condition[op] = m
		}
	}
	return c
}

func (v Values) clone() Values {
	if v == nil {
		return nil
	}
	return append(Values{}, v...)
}

func (p *Principal) clone() *Principal {
	if p == nil {
		return nil
	}
	c := &Principal{Any: p.Any}
	if p.IDs != nil {
		c.IDs = map[string]Values{}
		for k, v := range p.IDs {
			c.IDs[k] = v.clone()
		}
	}
	return c
}

// DiffLine is one line of a line diff: Op is ' ' (kept), '-' or '+'.
type DiffLine struct {
	Op   byte   `json:"op"`
	Text string `json:"text"`
}

// Diff compares two policies as their pretty JSON, line by line (a longest
// common subsequence, so unchanged lines stay put).
func Diff(before, after *Document) []DiffLine {
	a := strings.Split(string(before.Pretty()), "\n")
	b := strings.Split(string(after.Pretty()), "\n")
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, DiffLine{' ', a[i]})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			// Removals before additions, as diff(1) shows a change.
			out = append(out, DiffLine{'-', a[i]})
			i++
		default:
			out = append(out, DiffLine{'+', b[j]})
			j++
		}
	}
	return out
}
