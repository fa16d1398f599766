package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// operator is a parsed condition operator such as ForAnyValue:StringLikeIfExists.
type operator struct {
	set      string // "", "ForAnyValue" or "ForAllValues"
	base     string // e.g. StringLike
	ifExists bool
	negated  bool   // the base operator is a "not" form
	positive string // the base operator's positive counterpart
}

// baseOperators maps every condition operator AWS defines to its positive
// form ("" when it has no negated twin).
var baseOperators = map[string]string{
	"StringEquals": "", "StringNotEquals": "StringEquals",
	"StringEqualsIgnoreCase": "", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringLike": "", "StringNotLike": "StringLike",
	"NumericEquals": "", "NumericNotEquals": "NumericEquals",
	"NumericLessThan": "", "NumericLessThanEquals": "",
	"NumericGreaterThan": "", "NumericGreaterThanEquals": "",
	"DateEquals": "", "DateNotEquals": "DateEquals",
	"DateLessThan": "", "DateLessThanEquals": "",
	"DateGreaterThan": "", "DateGreaterThanEquals": "",
	"Bool":         "",
	"BinaryEquals": "",
	"IpAddress":    "", "NotIpAddress": "IpAddress",
	"ArnEquals": "", "ArnLike": "", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
	"Null": "",
}

// OperatorNames lists the base condition operators, for editors and lint.
func OperatorNames() []string { return sortedKeys(baseOperators) }

func parseOperator(name string) (operator, bool) {
	op := operator{}
	for _, set := range []string{"ForAnyValue:", "ForAllValues:"} {
		if strings.HasPrefix(name, set) {
			op.set = strings.TrimSuffix(set, ":")
			name = strings.TrimPrefix(name, set)
		}
	}
	if strings.HasSuffix(name, "IfExists") && name != "Null" {
		op.ifExists = true
		name = strings.TrimSuffix(name, "IfExists")
	}
	pos, ok := baseOperators[name]
	if !ok || (name == "Null" && (op.ifExists || op.set != "")) {
		return operator{}, false
	}
	op.base = name
	op.positive = name
	if pos != "" {
		op.negated = true
		op.positive = pos
	}
	return op, true
}

func (op operator) evalKey(key string, want Values, ctx evalContext) bool {
	got, present := ctx.get(key)
	present = present && len(got) > 0
	if op.base == "Null" {
		for _, w := range want {
			if strings.EqualFold(w, "true") && !present {
				return true
			}
			if strings.EqualFold(w, "false") && present {
				return true
			}
		}
		return false
	}
	// matchesAny: does one request value match any policy value, for the
	// positive form of the operator?
	matchesAny := func(v string) bool {
		for _, w := range want {
			if compare(op.positive, w, v) {
				return true
			}
		}
		return false
	}
	// holds: does one request value satisfy the operator as written?
	holds := func(v string) bool {
		if op.negated {
			return !matchesAny(v)
		}
		return matchesAny(v)
	}
	if !present {
		switch {
		case op.ifExists:
			return true
		case op.set == "ForAllValues":
			// AWS: ForAllValues is true when the request has no values.
			return true
		case op.set == "ForAnyValue":
			return false
		}
		return op.negated
	}
	switch op.set {
	case "ForAllValues":
		for _, v := range got {
			if !holds(v) {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, v := range got {
			if holds(v) {
				return true
			}
		}
		return false
	}
	if op.negated {
		for _, v := range got {
			if matchesAny(v) {
				return false
			}
		}
		return true
	}
	for _, v := range got {
		if matchesAny(v) {
			return true
		}
	}
	return false
}

// compare applies a positive base operator to a policy value and a request
// value. Values that do not parse for the operator's type never match.
func compare(base, want, got string) bool {
	switch base {
	case "StringEquals":
		return want == got
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(want, got)
	case "StringLike":
		return wildcardMatch(want, got, false)
	case "Bool":
		return strings.EqualFold(want, got) && (strings.EqualFold(want, "true") || strings.EqualFold(want, "false"))
	case "BinaryEquals":
		return want == got
	case "ArnEquals", "ArnLike":
		return matchARN(want, got, true)
	case "IpAddress":
		ip, err := netip.ParseAddr(got)
		if err != nil {
			return false
		}
		if strings.Contains(want, "/") {
			pfx, err := netip.ParsePrefix(want)
			return err == nil && pfx.Masked().Contains(ip)
		}
		w, err := netip.ParseAddr(want)
		return err == nil && w == ip
	}
	if strings.HasPrefix(base, "Numeric") {
		w, err1 := strconv.ParseFloat(want, 64)
		g, err2 := strconv.ParseFloat(got, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return ordered(strings.TrimPrefix(base, "Numeric"), g-w)
	}
	if strings.HasPrefix(base, "Date") {
		w, ok1 := parseDate(want)
		g, ok2 := parseDate(got)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(strings.TrimPrefix(base, "Date"), float64(g.Sub(w)))
	}
	return false
}

// ordered applies a comparison suffix to the sign of got − want.
func ordered(cmp string, diff float64) bool {
	switch cmp {
	case "Equals":
		return diff == 0
	case "LessThan":
		return diff < 0
	case "LessThanEquals":
		return diff <= 0
	case "GreaterThan":
		return diff > 0
	case "GreaterThanEquals":
		return diff >= 0
	}
	return false
}

// parseDate accepts the forms IAM accepts: ISO 8601 (date or date-time) and
// epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}
