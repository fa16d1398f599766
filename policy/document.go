package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Effect is a statement's effect.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is an IAM policy document as AWS accepts it for a VPC endpoint.
type Document struct {
	Version    string      `json:"Version,omitempty"`
	ID         string      `json:"Id,omitempty"`
	Statements []Statement `json:"Statement"`
}

// Statement is one statement. A nil Values means the element is absent; an
// empty, non-nil one means it was written as [].
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       Values
	NotAction    Values
	Resource     Values
	NotResource  Values
	// Condition maps operator → condition key → values.
	Condition map[string]map[string]Values

	loc *stmtLoc // where each element sits in the source, for Lint
}

// Values is IAM's "string or list of strings".
type Values []string

// Principal is "*" or a map of principal type (AWS, Service, Federated,
// CanonicalUser) to identifiers.
type Principal struct {
	Any bool // written as "*"
	IDs map[string]Values
}

// Label names a statement for people: its Sid, or its position when it has
// none.
func (s Statement) Label(index int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("Statement[%d]", index)
}

// ParseError is a document that is valid JSON but not a valid policy, or not
// valid JSON; it carries the first error Lint would report.
type ParseError struct {
	Finding Finding
	// All holds every error-severity structural finding.
	All []Finding
}

func (e *ParseError) Error() string {
	f := e.Finding
	return fmt.Sprintf("%d:%d: %s", f.Line, f.Column, f.Message)
}

// Parse reads a policy document. It accepts everything AWS accepts (a single
// statement object or a list, strings or lists of strings) and rejects what
// AWS rejects structurally; Lint reports the semantic problems.
func Parse(src []byte) (*Document, error) {
	doc, findings := build(src)
	var errs []Finding
	for _, f := range findings {
		if f.Severity == SeverityError {
			errs = append(errs, f)
		}
	}
	if len(errs) > 0 {
		return nil, &ParseError{Finding: errs[0], All: errs}
	}
	return doc, nil
}

// MustParse is Parse for documents known to be valid, such as built-in ones.
func MustParse(src string) *Document {
	d, err := Parse([]byte(src))
	if err != nil {
		panic(err)
	}
	return d
}

// Canonical returns the document as compact canonical JSON: elements in a
// fixed order, Statement always a list, single values as plain strings, map
// keys sorted. Parse(Canonical(d)) equals d.
func (d *Document) Canonical() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		// Every field is a string, list or map of strings: this cannot fail.
		panic(err)
	}
	return b
}

// Pretty returns the canonical form indented for people.
func (d *Document) Pretty() []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, d.Canonical(), "", "  "); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// MarshalJSON writes the canonical form of a statement.
func (s Statement) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string, v any) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		enc, _ := json.Marshal(v)
		b.Write(enc)
	}
	if s.Sid != "" {
		field("Sid", s.Sid)
	}
	field("Effect", string(s.Effect))
	if s.Principal != nil {
		field("Principal", s.Principal)
	}
	if s.NotPrincipal != nil {
		field("NotPrincipal", s.NotPrincipal)
	}
	for _, e := range []struct {
		name string
		v    Values
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if e.v != nil {
			field(e.name, e.v)
		}
	}
	if s.Condition != nil {
		field("Condition", s.Condition)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes one value as a string and anything else as a list.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]string(v))
}

// MarshalJSON writes "*" or an object of sorted types.
func (p *Principal) MarshalJSON() ([]byte, error) {
	if p.Any {
		return []byte(`"*"`), nil
	}
	return json.Marshal(p.IDs)
}

// UnmarshalJSON lets a Document sit inside other JSON (state files, API
// payloads) while keeping Parse's rules.
func (d *Document) UnmarshalJSON(b []byte) error {
	parsed, err := Parse(b)
	if err != nil {
		return err
	}
	*d = *parsed
	return nil
}

// Equal reports whether two documents are the same policy in canonical form.
func Equal(a, b *Document) bool {
	return bytes.Equal(a.Canonical(), b.Canonical())
}

// ErrEmpty is returned for a document with no statements.
var ErrEmpty = errors.New("the policy has no statements")

// stmtLoc remembers where a statement's elements were written.
type stmtLoc struct {
	path    string
	pos     Pos
	keys    map[string]Pos   // element name → position of its key
	values  map[string][]Pos // element name → position of each value
	condOps map[string]Pos   // condition operator → position of its key
}

// known elements, and their canonical spelling for "did you mean".
var (
	topKeys       = []string{"Version", "Id", "Statement"}
	statementKeys = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	principalKeys = []string{"AWS", "Service", "Federated", "CanonicalUser"}
)

// builder turns the positional tree into a Document, collecting structural
// findings on the way.
type builder struct {
	findings []Finding
}

func (b *builder) add(sev Severity, rule, path string, pos Pos, msg, fix string) {
	b.findings = append(b.findings, Finding{Severity: sev, Rule: rule, Path: path, Line: pos.Line, Column: pos.Column, Message: msg, Fix: fix})
}

func build(src []byte) (*Document, []Finding) {
	b := &builder{}
	root, err := parseJSON(src)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			b.add(SeverityError, "json", "$", se.Pos, "invalid JSON: "+se.Msg, se.Fix)
		}
		return nil, b.findings
	}
	if root.kind != KindObject {
		b.add(SeverityError, "type", "$", root.pos, "a policy must be a JSON object, found a "+root.kind.String(),
			`wrap it as {"Version": "2012-10-17", "Statement": [ ... ]}`)
		return nil, b.findings
	}
	doc := &Document{}
	b.duplicateKeys(root, "$")
	var stmtNode *node
	for _, m := range root.members {
		path := "$." + m.key
		switch m.key {
		case "Version":
			if s, ok := b.str(m.value, path); ok {
				doc.Version = s
				if s != "2012-10-17" && s != "2008-10-17" {
					b.add(SeverityError, "version", path, m.value.pos, fmt.Sprintf("unknown policy language version %q", s), `use "2012-10-17"`)
				}
			}
		case "Id":
			if s, ok := b.str(m.value, path); ok {
				doc.ID = s
			}
		case "Statement":
			stmtNode = m.value
		default:
			b.unknownKey(m, "$", topKeys)
		}
	}
	if stmtNode == nil {
		b.add(SeverityError, "missing", "$", root.pos, "the policy has no Statement element", `add "Statement": [ ... ] with at least one statement`)
		return doc, b.findings
	}
	switch stmtNode.kind {
	case KindObject:
		doc.Statements = append(doc.Statements, b.statement(stmtNode, "$.Statement"))
	case KindArray:
		if len(stmtNode.items) == 0 {
			b.add(SeverityError, "missing", "$.Statement", stmtNode.pos, "the Statement list is empty", "add at least one statement")
		}
		for i, it := range stmtNode.items {
			path := fmt.Sprintf("$.Statement[%d]", i)
			if it.kind != KindObject {
				b.add(SeverityError, "type", path, it.pos, "a statement must be an object, found a "+it.kind.String(), `write each statement as {"Effect": ..., "Principal": ..., "Action": ..., "Resource": ...}`)
				continue
			}
			doc.Statements = append(doc.Statements, b.statement(it, path))
		}
	default:
		b.add(SeverityError, "type", "$.Statement", stmtNode.pos, "Statement must be a list of statements or one statement object, found a "+stmtNode.kind.String(), "write Statement as [ { ... }, { ... } ]")
	}
	return doc, b.findings
}

func (b *builder) duplicateKeys(n *node, path string) {
	seen := map[string]bool{}
	for _, m := range n.members {
		if seen[m.key] {
			b.add(SeverityError, "duplicate-key", path+"."+m.key, m.keyPos, fmt.Sprintf("the key %q appears twice in this object", m.key), "keep one of them: AWS rejects duplicate keys")
		}
		seen[m.key] = true
	}
}

func (b *builder) unknownKey(m member, parent string, known []string) {
	fix := "remove it; allowed here: " + strings.Join(known, ", ")
	if s := closest(m.key, known); s != "" {
		fix = fmt.Sprintf("did you mean %q?", s)
	}
	b.add(SeverityError, "unknown-key", parent+"."+m.key, m.keyPos, fmt.Sprintf("unknown element %q", m.key), fix)
}

func (b *builder) str(n *node, path string) (string, bool) {
	if n.kind != KindString {
		b.add(SeverityError, "type", path, n.pos, "expected a string, found a "+n.kind.String(), "put the value in double quotes")
		return "", false
	}
	return n.str, true
}

// values reads a string or a list of strings.
func (b *builder) values(n *node, path string) (Values, []Pos) {
	switch n.kind {
	case KindString:
		return Values{n.str}, []Pos{n.pos}
	case KindArray:
		vs := Values{}
		var ps []Pos
		for i, it := range n.items {
			if it.kind != KindString {
				b.add(SeverityError, "type", fmt.Sprintf("%s[%d]", path, i), it.pos, "expected a string, found a "+it.kind.String(), "put the value in double quotes")
				continue
			}
			vs = append(vs, it.str)
			ps = append(ps, it.pos)
		}
		return vs, ps
	}
	b.add(SeverityError, "type", path, n.pos, "expected a string or a list of strings, found a "+n.kind.String(), `write "value" or ["value1", "value2"]`)
	return nil, nil
}

func (b *builder) statement(n *node, path string) Statement {
	st := Statement{loc: &stmtLoc{path: path, pos: n.pos, keys: map[string]Pos{}, values: map[string][]Pos{}, condOps: map[string]Pos{}}}
	b.duplicateKeys(n, path)
	for _, m := range n.members {
		p := path + "." + m.key
		st.loc.keys[m.key] = m.keyPos
		switch m.key {
		case "Sid":
			if s, ok := b.str(m.value, p); ok {
				st.Sid = s
			}
		case "Effect":
			if s, ok := b.str(m.value, p); ok {
				st.Effect = Effect(s)
				st.loc.values[m.key] = []Pos{m.value.pos}
			}
		case "Principal", "NotPrincipal":
			pr := b.principal(m.value, p)
			if m.key == "Principal" {
				st.Principal = pr
			} else {
				st.NotPrincipal = pr
			}
		case "Action", "NotAction", "Resource", "NotResource":
			vs, ps := b.values(m.value, p)
			st.loc.values[m.key] = ps
			switch m.key {
			case "Action":
				st.Action = vs
			case "NotAction":
				st.NotAction = vs
			case "Resource":
				st.Resource = vs
			case "NotResource":
				st.NotResource = vs
			}
		case "Condition":
			st.Condition = b.condition(m.value, p, st.loc)
		default:
			b.unknownKey(m, path, statementKeys)
		}
	}
	return st
}

func (b *builder) principal(n *node, path string) *Principal {
	switch n.kind {
	case KindString:
		if n.str != "*" {
			b.add(SeverityError, "principal", path, n.pos, fmt.Sprintf("a principal written as a string must be \"*\", found %q", n.str),
				`write "*" for everyone, or {"AWS": "`+n.str+`"}`)
			return nil
		}
		return &Principal{Any: true}
	case KindObject:
		b.duplicateKeys(n, path)
		pr := &Principal{IDs: map[string]Values{}}
		for _, m := range n.members {
			if !slices.Contains(principalKeys, m.key) {
				b.unknownKey(m, path, principalKeys)
				continue
			}
			vs, _ := b.values(m.value, path+"."+m.key)
			if vs != nil {
				pr.IDs[m.key] = vs
			}
		}
		return pr
	}
	b.add(SeverityError, "type", path, n.pos, "a principal must be \"*\" or an object, found a "+n.kind.String(), `write "*" or {"AWS": "arn:aws:iam::123456789012:root"}`)
	return nil
}

func (b *builder) condition(n *node, path string, loc *stmtLoc) map[string]map[string]Values {
	if n.kind != KindObject {
		b.add(SeverityError, "type", path, n.pos, "Condition must be an object of operators, found a "+n.kind.String(),
			`write {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}`)
		return nil
	}
	b.duplicateKeys(n, path)
	out := map[string]map[string]Values{}
	for _, op := range n.members {
		p := path + "." + op.key
		loc.condOps[op.key] = op.keyPos
		if op.value.kind != KindObject {
			b.add(SeverityError, "type", p, op.value.pos, "a condition operator takes an object of keys to values, found a "+op.value.kind.String(),
				fmt.Sprintf(`write {%q: {"aws:SourceVpc": "vpc-..."}}`, op.key))
			continue
		}
		b.duplicateKeys(op.value, p)
		keys := map[string]Values{}
		for _, k := range op.value.members {
			kp := p + "." + k.key
			switch k.value.kind {
			case KindString, KindNumber, KindBool:
				s, _ := k.value.scalarText()
				keys[k.key] = Values{s}
			case KindArray:
				vs := Values{}
				for i, it := range k.value.items {
					s, ok := it.scalarText()
					if !ok {
						b.add(SeverityError, "type", fmt.Sprintf("%s[%d]", kp, i), it.pos, "a condition value must be a string, number or boolean, found a "+it.kind.String(), "write a plain value")
						continue
					}
					vs = append(vs, s)
				}
				keys[k.key] = vs
			default:
				b.add(SeverityError, "type", kp, k.value.pos, "a condition value must be a string, number, boolean or a list of them, found a "+k.value.kind.String(), "write a plain value or a list")
			}
		}
		out[op.key] = keys
	}
	return out
}

// closest suggests the known word nearest to s, or "" when none is close.
func closest(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if strings.EqualFold(k, s) {
			return k
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	if bestD <= max(2, len(s)/4) {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
