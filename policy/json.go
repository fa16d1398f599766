package policy

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The standard library's decoder reports byte offsets for syntax errors but
// not where each value sits, and it silently keeps the last of duplicate keys.
// Lint needs both (a line:column for every finding, and duplicate keys, which
// AWS rejects), so policies are read with this small positional parser.

// Kind is the JSON type of a node.
type Kind int

const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "list"
	case KindObject:
		return "object"
	}
	return "unknown"
}

// Pos is a place in the source: a byte offset and its 1-based line and column
// (columns count characters, not bytes).
type Pos struct {
	Offset int
	Line   int
	Column int
}

// node is one parsed JSON value with its position.
type node struct {
	kind    Kind
	pos     Pos
	str     string // string value, or the literal text of a number
	boolean bool
	items   []*node
	members []member
}

type member struct {
	key    string
	keyPos Pos
	value  *node
}

// SyntaxError is invalid JSON, located.
type SyntaxError struct {
	Pos Pos
	Msg string
	Fix string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

type parser struct {
	src   []byte
	i     int
	line  int
	col   int
	depth int
	// lastToken is where the white space before the cursor began: the place
	// right after the last token, which is where a missing bracket goes.
	lastToken Pos
}

func parseJSON(src []byte) (*node, error) {
	p := &parser{src: src, line: 1, col: 1}
	p.skipSpace()
	if p.i >= len(p.src) {
		return nil, p.errHere("the document is empty", `start with {"Version": "2012-10-17", "Statement": [ ... ]}`)
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.src) {
		return nil, p.errHere(fmt.Sprintf("unexpected %s after the end of the document", p.describeNext()),
			"remove it, or check for a closing bracket that came too early")
	}
	return n, nil
}

func (p *parser) pos() Pos { return Pos{Offset: p.i, Line: p.line, Column: p.col} }

func (p *parser) errHere(msg, fix string) error {
	return &SyntaxError{Pos: p.pos(), Msg: msg, Fix: fix}
}

func (p *parser) advance() {
	if p.i >= len(p.src) {
		return
	}
	r, size := utf8.DecodeRune(p.src[p.i:])
	p.i += size
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
}

func (p *parser) skipSpace() {
	p.lastToken = p.pos()
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.advance()
		default:
			return
		}
	}
}

func (p *parser) describeNext() string {
	if p.i >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.src[p.i:])
	if r == utf8.RuneError {
		return "invalid UTF-8 byte"
	}
	return strconv.QuoteRune(r)
}

func (p *parser) value() (*node, error) {
	p.skipSpace()
	if p.i >= len(p.src) {
		return nil, p.errHere("unexpected end of input, a value was expected", "complete the document")
	}
	switch c := p.src[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.pos()
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return &node{kind: KindString, pos: start, str: s}, nil
	case c == 't' || c == 'f' || c == 'n':
		return p.literal()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '\'':
		return nil, p.errHere("strings must use double quotes", `replace ' with "`)
	default:
		return nil, p.errHere(fmt.Sprintf("unexpected %s, a value was expected", p.describeNext()),
			`a value is a "string", a number, true, false, null, [ a list ] or { an object }`)
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errHere("the document is nested too deeply", "a policy needs at most four levels of nesting")
	}
	return nil
}

func (p *parser) object() (*node, error) {
	return p.container(KindObject, '}', func(n *node, open Pos) error {
		if p.src[p.i] != '"' {
			return p.errHere(fmt.Sprintf("unexpected %s, a quoted key was expected", p.describeNext()),
				`object keys are written in double quotes, like "Effect"`)
		}
		keyPos := p.pos()
		key, err := p.string()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.src) {
			return p.unclosed(open, '}')
		}
		if p.src[p.i] != ':' {
			return p.errHere(fmt.Sprintf("expected ':' after the key %q, found %s", key, p.describeNext()),
				"put a colon between a key and its value")
		}
		p.advance()
		v, err := p.value()
		if err != nil {
			return err
		}
		n.members = append(n.members, member{key: key, keyPos: keyPos, value: v})
		return nil
	})
}

func (p *parser) array() (*node, error) {
	return p.container(KindArray, ']', func(n *node, _ Pos) error {
		v, err := p.value()
		if err != nil {
			return err
		}
		n.items = append(n.items, v)
		return nil
	})
}

// container reads an object or a list (kind) from its opener to its
// closer. element reads one member or item into n once the container has
// made sure one is there: not the end of input, not a trailing comma.
func (p *parser) container(kind Kind, closer byte, element func(n *node, open Pos) error) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	open := p.pos()
	n := &node{kind: kind, pos: open}
	p.advance() // the opener
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == closer {
		p.advance()
		return n, nil
	}
	one, many, what, bracket := "a value", "members", "object", "brace"
	if closer == ']' {
		one, many, what, bracket = "a list item", "items", "list", "bracket"
	}
	for {
		p.skipSpace()
		if p.i >= len(p.src) {
			return nil, p.unclosed(open, closer)
		}
		if p.src[p.i] == closer {
			return nil, p.errHere(fmt.Sprintf("trailing comma before '%c'", closer), "remove the comma before the closing "+bracket)
		}
		if err := element(n, open); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.src) {
			return nil, p.unclosed(open, closer)
		}
		switch p.src[p.i] {
		case ',':
			p.advance()
		case closer:
			p.advance()
			return n, nil
		default:
			return nil, p.errHere(fmt.Sprintf("expected ',' or '%c' after %s, found %s", closer, one, p.describeNext()),
				fmt.Sprintf("add a comma between %s, or close the %s opened at %d:%d with '%c'", many, what, open.Line, open.Column, closer))
		}
	}
}

// unclosed reports input that ends inside a container, at the end of input,
// which is where the missing bracket belongs.
func (p *parser) unclosed(open Pos, closer byte) error {
	what := "object"
	if closer == ']' {
		what = "list"
	}
	return &SyntaxError{
		Pos: p.lastToken,
		Msg: fmt.Sprintf("unexpected end of input: the %s opened at %d:%d is not closed", what, open.Line, open.Column),
		Fix: fmt.Sprintf("add '%c' here", closer),
	}
}

func (p *parser) string() (string, error) {
	start := p.pos()
	p.advance() // opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.src) {
			return "", &SyntaxError{Pos: start, Msg: "this string is never closed", Fix: `add the closing "`}
		}
		c := p.src[p.i]
		switch {
		case c == '"':
			p.advance()
			return b.String(), nil
		case c == '\\':
			p.advance()
			if p.i >= len(p.src) {
				return "", &SyntaxError{Pos: start, Msg: "this string is never closed", Fix: `add the closing "`}
			}
			e := p.src[p.i]
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := p.unicodeEscape()
				if err != nil {
					return "", err
				}
				b.WriteRune(r)
				continue
			default:
				return "", p.errHere(fmt.Sprintf("invalid escape \\%c in a string", e), `only \" \\ \/ \b \f \n \r \t and \uXXXX are allowed`)
			}
			p.advance()
		case c == '\n' || c == '\r':
			// Almost always a closing quote left out (or deleted), not a
			// line break meant to be in the string: point at the string.
			return "", &SyntaxError{Pos: start, Msg: "this string is not closed before the end of its line",
				Fix: `add the closing " (a line break inside a string is written \n)`}
		case c < 0x20:
			return "", p.errHere("control character inside a string", `write it escaped, e.g. \n or \t`)
		default:
			r, size := utf8.DecodeRune(p.src[p.i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errHere("invalid UTF-8 in a string", "save the file as UTF-8")
			}
			b.WriteRune(r)
			p.advance()
		}
	}
}

// unicodeEscape reads XXXX after \u (the cursor is on the 'u'), joining
// surrogate pairs.
func (p *parser) unicodeEscape() (rune, error) {
	read := func() (rune, error) {
		if p.i+5 > len(p.src) {
			return 0, p.errHere(`incomplete \u escape`, `write four hex digits after \u`)
		}
		v, err := strconv.ParseUint(string(p.src[p.i+1:p.i+5]), 16, 32)
		if err != nil {
			return 0, p.errHere(`invalid \u escape`, `write four hex digits after \u`)
		}
		for range 5 {
			p.advance()
		}
		return rune(v), nil
	}
	r, err := read()
	if err != nil {
		return 0, err
	}
	if r >= 0xD800 && r < 0xDC00 && p.i+1 < len(p.src) && p.src[p.i] == '\\' && p.src[p.i+1] == 'u' {
		save := *p
		p.advance()
		r2, err := read()
		if err == nil && r2 >= 0xDC00 && r2 < 0xE000 {
			return (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000, nil
		}
		*p = save
	}
	if r >= 0xD800 && r < 0xE000 {
		return utf8.RuneError, nil
	}
	return r, nil
}

func (p *parser) literal() (*node, error) {
	start := p.pos()
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(string(p.src[p.i:min(len(p.src), p.i+len(lit))]), lit) {
			for range len(lit) {
				p.advance()
			}
			switch lit {
			case "true":
				return &node{kind: KindBool, pos: start, boolean: true}, nil
			case "false":
				return &node{kind: KindBool, pos: start}, nil
			}
			return &node{kind: KindNull, pos: start}, nil
		}
	}
	return nil, p.errHere("unexpected word, a value was expected", `write text in double quotes; the only bare words are true, false and null`)
}

func (p *parser) number() (*node, error) {
	start := p.pos()
	j := p.i
	if j < len(p.src) && p.src[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(p.src) && p.src[j] >= '0' && p.src[j] <= '9' {
			j++
		}
		return j - k
	}
	if digits() == 0 {
		return nil, p.errHere("malformed number", "write a number like 42 or 3.5")
	}
	if j < len(p.src) && p.src[j] == '.' {
		j++
		if digits() == 0 {
			return nil, p.errHere("malformed number", "write digits after the decimal point")
		}
	}
	if j < len(p.src) && (p.src[j] == 'e' || p.src[j] == 'E') {
		j++
		if j < len(p.src) && (p.src[j] == '+' || p.src[j] == '-') {
			j++
		}
		if digits() == 0 {
			return nil, p.errHere("malformed number", "write digits after the exponent")
		}
	}
	text := string(p.src[p.i:j])
	for p.i < j {
		p.advance()
	}
	return &node{kind: KindNumber, pos: start, str: text}, nil
}

// scalarText renders a scalar node as the string IAM compares it as.
func (n *node) scalarText() (string, bool) {
	switch n.kind {
	case KindString, KindNumber:
		return n.str, true
	case KindBool:
		if n.boolean {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
