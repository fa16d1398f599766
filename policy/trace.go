package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Element names the part of a statement a check is about. Not-forms
// (NotAction, NotPrincipal, NotResource) are checks of the same element;
// Check.Written says which form the policy used.
type Element string

// The elements a statement is matched on, in the order a person reads them.
const (
	ElementPrincipal Element = "Principal"
	ElementAction    Element = "Action"
	ElementResource  Element = "Resource"
	ElementCondition Element = "Condition"
)

// Check is how one element of a statement met a request.
type Check struct {
	Element Element `json:"element"`
	// Written is the key as the policy wrote it (NotAction for a NotAction
	// element); empty when the statement has no such element.
	Written string `json:"written,omitempty"`
	Matched bool   `json:"matched"`
	// Value is the policy value that decided this check: the pattern that
	// covered the request, or, for a Not-form, the one that excluded it.
	// For a condition it is the operator and key that failed.
	Value string `json:"value,omitempty"`
	// Path is the JSON path of Value (or of the element), and Line/Column
	// where it was written, when the document was parsed from text.
	Path   string `json:"path,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Why says in a sentence why the element matched or not.
	Why string `json:"why"`
}

// Role is the part a statement played in a decision.
type Role string

const (
	// RoleDecides: the statement matched and decided the outcome (every
	// matching Deny of an explicit deny, every matching Allow of an allow).
	RoleDecides Role = "decides"
	// RoleOverridden: a matching Allow that an explicit Deny outweighs.
	RoleOverridden Role = "overridden"
	// RoleNoMatch: at least one element did not match the request.
	RoleNoMatch Role = "no-match"
	// RoleIgnored: the Effect is neither Allow nor Deny, so AWS would not
	// accept the statement and it counts for nothing.
	RoleIgnored Role = "ignored"
)

// StatementTrace is one statement's part in a decision.
type StatementTrace struct {
	Index  int    `json:"index"`
	Label  string `json:"label"`
	Sid    string `json:"sid,omitempty"`
	Effect Effect `json:"effect"`
	Path   string `json:"path"`
	// Matched is set when every element matched: the statement applies.
	Matched bool    `json:"matched"`
	Role    Role    `json:"role"`
	Checks  []Check `json:"checks"`
}

// Misses returns the checks that did not match.
func (s StatementTrace) Misses() []Check {
	var out []Check
	for _, c := range s.Checks {
		if !c.Matched {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the statement's check of element e (the first, when a
// malformed statement has both forms).
func (s StatementTrace) Check(e Element) (Check, bool) {
	for _, c := range s.Checks {
		if c.Element == e {
			return c, true
		}
	}
	return Check{}, false
}

// Trace is the evaluation of one request against one policy, statement by
// statement, with the smallest edits that would change the outcome. It is
// what "why was this refused" tools show.
type Trace struct {
	// Type is the type of policy traced.
	Type       Type             `json:"type"`
	Request    Request          `json:"request"`
	Decision   Decision         `json:"decision"`
	Statements []StatementTrace `json:"statements"`
	// Edits are changes to the policy that flip the outcome (a refusal to an
	// allow, an allow to a refusal), smallest first; each was checked by
	// evaluating the edited policy.
	Edits []Edit `json:"edits,omitempty"`
}

// Deciding returns the statements that decided the outcome (none for an
// implicit deny).
func (t Trace) Deciding() []StatementTrace {
	var out []StatementTrace
	for _, s := range t.Statements {
		if s.Role == RoleDecides {
			out = append(out, s)
		}
	}
	return out
}

// Explain evaluates req against doc as Evaluate does, and records why each
// statement did or did not apply, and what edits would change the outcome.
// Its Decision is always Evaluate's.
func Explain(doc *Document, req Request) Trace {
	return ExplainAs(TypeEndpoint, doc, req)
}

// ExplainAs is Explain for a policy of the given type.
func ExplainAs(typ Type, doc *Document, req Request) Trace {
	t := explain(typ, doc, req)
	if doc != nil {
		t.Edits = flips(doc, t)
	}
	return t
}

// explain is Explain without the edits.
func explain(typ Type, doc *Document, req Request) Trace {
	t := Trace{Type: typ, Request: req, Decision: EvaluateAs(typ, doc, req)}
	if doc == nil {
		return t
	}
	ctx := newEvalContext(req)
	for i, st := range doc.Statements {
		s := st.trace(i, req, ctx, doc.Version, typ)
		switch {
		case s.Effect != Allow && s.Effect != Deny:
			s.Role = RoleIgnored
		case !s.Matched:
			s.Role = RoleNoMatch
		case t.Decision.Result == ResultExplicitDeny && s.Effect == Allow:
			s.Role = RoleOverridden
		default:
			s.Role = RoleDecides
		}
		t.Statements = append(t.Statements, s)
	}
	return t
}

// elemResult is one element matched against a request: the cheap part that
// Evaluate needs, from which Explain builds its sentences.
type elemResult struct {
	element Element
	written string // the key as written; "" when absent
	ok      bool
	// hit is the index of the policy value that matched the request (for a
	// Not-form: the value that excluded it), -1 when none did.
	hit int
	// For principals: the entry that covered the caller.
	who [2]string
	// For conditions: the operator and key that failed.
	failOp, failKey string
}

// elemSet holds a statement's element results without allocating: the
// sandbox evaluates every registry request.
type elemSet struct {
	r [7]elemResult
	n int
}

func (e *elemSet) add(r elemResult) bool {
	e.r[e.n] = r
	e.n++
	return r.ok
}

func (e *elemSet) list() []elemResult { return e.r[:e.n] }

// elements matches each element of s against the request, cheapest first.
// The statement applies when all are ok; unless full is set, matching stops
// at the first miss (all Evaluate needs).
func (s Statement) elements(req Request, ctx evalContext, version string, full bool, typ Type) (set elemSet, ok bool) {
	ok = true
	add := func(r elemResult) bool {
		if !set.add(r) {
			ok = false
		}
		return ok || full
	}
	// Action.
	actMatch := func(p string) bool { return matchAction(p, req.Action) }
	if s.Action == nil && s.NotAction == nil {
		if !add(elemResult{element: ElementAction, hit: -1}) {
			return set, ok
		}
	}
	if s.Action != nil && !add(matchValues(ElementAction, "Action", s.Action, actMatch)) {
		return set, ok
	}
	if s.NotAction != nil && !add(matchValues(ElementAction, "NotAction", s.NotAction, actMatch)) {
		return set, ok
	}
	// Resource. Without Resource or NotResource a statement does not
	// restrict the resource (lint warns about it).
	resMatch := func(p string) bool {
		p, ok := substituteVariables(p, ctx, version)
		return ok && matchResource(p, req.Resource)
	}
	if s.Resource != nil && !add(matchValues(ElementResource, "Resource", s.Resource, resMatch)) {
		return set, ok
	}
	if s.NotResource != nil && !add(matchValues(ElementResource, "NotResource", s.NotResource, resMatch)) {
		return set, ok
	}
	if s.Resource == nil && s.NotResource == nil {
		add(elemResult{element: ElementResource, ok: true, hit: -1})
	}
	// Principal. Endpoint and repository policies require one; a statement
	// without it is rejected by AWS, so it never matches here either. An
	// identity-based policy has none: it applies to its holder.
	if s.Principal == nil && s.NotPrincipal == nil {
		if !add(elemResult{element: ElementPrincipal, hit: -1, ok: typ == TypeIdentity}) {
			return set, ok
		}
	}
	if s.Principal != nil {
		who, hit := s.Principal.match(req, ctx, full)
		if !add(elemResult{element: ElementPrincipal, written: "Principal", ok: hit, hit: -1, who: who}) {
			return set, ok
		}
	}
	if s.NotPrincipal != nil {
		who, hit := s.NotPrincipal.match(req, ctx, full)
		if !add(elemResult{element: ElementPrincipal, written: "NotPrincipal", ok: !hit, hit: -1, who: who}) {
			return set, ok
		}
	}
	// Condition: every operator, every key (sorted when explaining, so the
	// failure named is always the same one).
	c := elemResult{element: ElementCondition, ok: true, hit: -1}
	if s.Condition != nil {
		c.written = "Condition"
		ops := mapKeys(s.Condition, full)
		for _, opName := range ops {
			op, known := parseOperator(opName)
			if !known {
				// AWS rejects unknown operators when the policy is attached;
				// an unattachable statement grants or denies nothing.
				c.ok, c.failOp = false, opName
				break
			}
			keys := s.Condition[opName]
			for _, key := range mapKeys(keys, full) {
				if !op.evalKey(key, keys[key], ctx) {
					c.ok, c.failOp, c.failKey = false, opName, key
					break
				}
			}
			if !c.ok {
				break
			}
		}
	}
	add(c)
	return set, ok
}

// mapKeys lists a map's keys, sorted when the order will be shown.
func mapKeys[V any](m map[string]V, sorted bool) []string {
	if sorted {
		return sortedKeys(m)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// matchValues matches a value element (Action or Resource, in the form
// written) against the request: the plain form applies when one of its
// values matches, a Not-form when none does.
func matchValues(e Element, written string, vs Values, match func(string) bool) elemResult {
	hit := firstMatch(vs, match)
	applies := hit >= 0
	if strings.HasPrefix(written, "Not") {
		applies = !applies
	}
	return elemResult{element: e, written: written, ok: applies, hit: hit}
}

func firstMatch(vs Values, f func(string) bool) int {
	for i, v := range vs {
		if f(v) {
			return i
		}
	}
	return -1
}

func (e Element) rank() int {
	switch e {
	case ElementPrincipal:
		return 0
	case ElementAction:
		return 1
	case ElementResource:
		return 2
	}
	return 3
}

// match returns the first entry that covers the caller ("*" for Any);
// ok is false when none does. Entries are tried in a fixed order when
// sorted is set, so an explanation always names the same one.
func (p *Principal) match(req Request, ctx evalContext, sorted bool) (entry [2]string, ok bool) {
	if p.Any {
		return [2]string{"", "*"}, true
	}
	account, _ := ctx.get("aws:principalaccount")
	for _, typ := range mapKeys(p.IDs, sorted) {
		for _, id := range p.IDs[typ] {
			switch typ {
			case "AWS":
				if awsPrincipalMatches(id, req.Principal, first(account)) {
					return [2]string{typ, id}, true
				}
			default:
				if id == req.Principal {
					return [2]string{typ, id}, true
				}
			}
		}
	}
	return entry, false
}

// entries lists a principal's (type, id) pairs in a fixed order.
func (p *Principal) entries() [][2]string {
	if p.Any {
		return [][2]string{{"", "*"}}
	}
	var out [][2]string
	for _, typ := range sortedKeys(p.IDs) {
		for _, id := range p.IDs[typ] {
			out = append(out, [2]string{typ, id})
		}
	}
	return out
}

// entryText writes one principal entry as it appears in a policy.
func entryText(e [2]string) string {
	if e[0] == "" {
		return `"*"`
	}
	return fmt.Sprintf(`{%q: %q}`, e[0], e[1])
}

func (s Statement) trace(i int, req Request, ctx evalContext, version string, typ Type) StatementTrace {
	path := fmt.Sprintf("$.Statement[%d]", i)
	t := StatementTrace{Index: i, Label: s.Label(i), Sid: s.Sid, Effect: s.Effect, Path: path, Matched: true}
	set, _ := s.elements(req, ctx, version, true, typ)
	list := set.list()
	// Shown in the order a person reads a statement.
	sort.SliceStable(list, func(i, j int) bool { return list[i].element.rank() < list[j].element.rank() })
	for _, e := range list {
		c := Check{Element: e.element, Written: e.written, Matched: e.ok, Path: path}
		if e.written != "" {
			c.Path += "." + e.written
		}
		s.describe(&c, e, req, ctx, typ)
		if s.loc != nil && e.written != "" {
			pos, ok := s.loc.keys[e.written]
			if e.written == "Principal" || e.written == "NotPrincipal" {
				// Principal values are not positioned one by one.
				e.hit = -1
			}
			if e.hit >= 0 && e.hit < len(s.loc.values[e.written]) {
				pos, ok = s.loc.values[e.written][e.hit], true
			}
			if e.written == "Condition" && e.failOp != "" {
				pos, ok = s.loc.condOps[e.failOp]
			}
			if ok {
				c.Line, c.Column = pos.Line, pos.Column
			}
		}
		if !e.ok {
			t.Matched = false
		}
		t.Checks = append(t.Checks, c)
	}
	return t
}

// describe fills a check's Value, Path and Why.
func (s Statement) describe(c *Check, e elemResult, req Request, ctx evalContext, typ Type) {
	switch e.element {
	case ElementPrincipal:
		s.describePrincipal(c, e, req, typ)
	case ElementAction:
		vals := s.Action
		if e.written == "NotAction" {
			vals = s.NotAction
		}
		describeValues(c, e, vals, "action", req.Action, "no Action or NotAction: the statement covers no action")
	case ElementResource:
		vals := s.Resource
		if e.written == "NotResource" {
			vals = s.NotResource
		}
		absent := "no Resource: the statement does not restrict the resource"
		if typ == TypeRepository {
			absent = "a repository policy names no Resource: it is about its own repository"
		}
		describeValues(c, e, vals, "resource", req.Resource, absent)
		if !e.ok && e.written == "Resource" && req.Resource == "*" {
			c.Why += "; " + req.Action + " acts on no repository, and only Resource \"*\" covers it"
		}
	case ElementCondition:
		s.describeCondition(c, e, ctx)
	}
}

func (s Statement) describePrincipal(c *Check, e elemResult, req Request, typ Type) {
	caller := req.Principal
	if caller == "" {
		caller = "an anonymous caller"
	}
	if e.who[1] != "" {
		c.Value = e.who[1]
		c.Path += principalPath(e.who[0])
	}
	switch e.written {
	case "":
		switch typ {
		case TypeIdentity:
			c.Why = "an identity-based policy applies to the role or user that holds it"
		default:
			c.Why = "no Principal: AWS rejects such a statement in " + article(typ.Label()) + " " + typ.Label() + ", so it never applies"
		}
	case "Principal":
		switch {
		case s.Principal.Any:
			c.Why = `"*" covers every caller`
		case e.ok:
			c.Why = entryText(e.who) + " covers " + caller
		default:
			c.Why = caller + " is not among " + entriesList(s.Principal.entries())
		}
	case "NotPrincipal":
		if e.ok {
			c.Why = "NotPrincipal does not name " + caller + ", so the statement applies to it"
		} else {
			c.Why = "NotPrincipal names " + caller + " (" + entryText(e.who) + "), so the statement skips it"
		}
	}
}

// principalPath is the JSON path suffix of a principal entry's type.
func principalPath(typ string) string {
	if typ == "" {
		return ""
	}
	return "." + typ
}

func entriesList(es [][2]string) string {
	var parts []string
	for i, e := range es {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(es)-3))
			break
		}
		parts = append(parts, entryText(e))
	}
	return strings.Join(parts, ", ")
}

// describeValues explains an Action/NotAction or Resource/NotResource check.
func describeValues(c *Check, e elemResult, vals Values, noun, got, absent string) {
	if e.written == "" {
		c.Why = absent
		return
	}
	if e.hit >= 0 {
		c.Value = vals[e.hit]
		if len(vals) > 1 {
			c.Path += fmt.Sprintf("[%d]", e.hit)
		}
	}
	not := strings.HasPrefix(e.written, "Not")
	switch {
	case !not && e.ok:
		if strings.EqualFold(c.Value, got) {
			c.Why = fmt.Sprintf("%q names %s", c.Value, got)
		} else {
			c.Why = fmt.Sprintf("%q covers %s", c.Value, got)
		}
	case !not:
		c.Why = fmt.Sprintf("the %s %s is not among %s", noun, got, quoteList(vals))
	case e.ok:
		c.Why = fmt.Sprintf("%s does not list %s, so the statement covers it", e.written, got)
	default:
		c.Why = fmt.Sprintf("%s lists %q, which excludes %s", e.written, c.Value, got)
	}
}

func quoteList(vs Values) string {
	if len(vs) == 0 {
		return "an empty list"
	}
	var parts []string
	for i, v := range vs {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-4))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", v))
	}
	return strings.Join(parts, ", ")
}

func (s Statement) describeCondition(c *Check, e elemResult, ctx evalContext) {
	switch {
	case e.written == "":
		c.Why = "no Condition"
		return
	case e.ok:
		c.Why = "every condition holds"
		return
	case e.failKey == "":
		c.Value = e.failOp
		c.Path += "." + e.failOp
		c.Why = fmt.Sprintf("%q is not a condition operator AWS knows, so the statement never applies", e.failOp)
		return
	}
	c.Value = e.failOp + " " + e.failKey
	c.Path += "." + e.failOp + "." + e.failKey
	want := s.Condition[e.failOp][e.failKey]
	got, present := ctx.get(e.failKey)
	if !present || len(got) == 0 {
		c.Why = fmt.Sprintf("%s: the request has no %s", c.Value, e.failKey)
		return
	}
	c.Why = fmt.Sprintf("%s: the request has %s, the policy wants %s", c.Value, quoteList(got), quoteList(want))
}

// Summary is the trace in one sentence: the outcome and what decided it.
func (t Trace) Summary() string {
	d := t.Deciding()
	switch t.Decision.Result {
	case ResultImplicitDeny:
		return "refused: no statement allows " + t.Request.Action + " on " + t.Request.Resource
	case ResultExplicitDeny:
		return "refused by " + joinLabels(d) + " (Deny): " + matchedParts(d)
	}
	return "allowed by " + joinLabels(d) + ": " + matchedParts(d)
}

func joinLabels(ss []StatementTrace) string {
	var l []string
	for _, s := range ss {
		l = append(l, s.Label)
	}
	return strings.Join(l, ", ")
}

// matchedParts names the values that made the first deciding statement
// apply, e.g. `Action "ecr:PutImage", Resource "arn:…", Principal "*"`.
func matchedParts(ss []StatementTrace) string {
	if len(ss) == 0 {
		return ""
	}
	var parts []string
	for _, c := range ss[0].Checks {
		if c.Value == "" || c.Element == ElementCondition {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %q", c.Written, c.Value))
	}
	sort.SliceStable(parts, func(i, j int) bool { return elementRank(parts[i]) < elementRank(parts[j]) })
	return strings.Join(parts, ", ")
}

// elementRank puts Action first: it is what a learner looks for.
func elementRank(s string) int {
	for i, p := range []string{"Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal"} {
		if strings.HasPrefix(s, p+" ") {
			return i
		}
	}
	return 9
}
