package sandbox

import (
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// params is a decoded AWS Query request (EC2 and STS): flat names like
// Filter.1.Value.2, lists as NAME.N starting at 1.
type params struct {
	v url.Values
}

func parseQuery(body string) (params, *APIError) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return params{}, badRequest("MalformedQueryString", "The request body is not a valid query string: %v", err)
	}
	for k, vs := range v {
		if len(vs) > 1 {
			return params{}, badRequest("InvalidParameterValue", "The parameter %s was given more than once.", k)
		}
	}
	return params{v: v}, nil
}

func (p params) str(name string) string { return p.v.Get(name) }

func (p params) has(name string) bool { _, ok := p.v[name]; return ok }

// required returns a parameter or the MissingParameter error EC2 gives.
func (p params) required(name string) (string, *APIError) {
	s := p.v.Get(name)
	if s == "" {
		return "", badRequest("MissingParameter", "The request must contain the parameter %s", name)
	}
	return s, nil
}

func (p params) boolean(name string) (bool, *APIError) {
	s, ok := p.v[name]
	if !ok {
		return false, nil
	}
	switch s[0] {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequest("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected: 'true' or 'false'.", s[0], name)
}

// optBool is like boolean but reports whether the parameter was present.
func (p params) optBool(name string) (val, present bool, err *APIError) {
	if !p.has(name) {
		return false, false, nil
	}
	v, err := p.boolean(name)
	return v, true, err
}

func (p params) integer(name string) (int, bool, *APIError) {
	s, ok := p.v[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s[0])
	if err != nil || n < -1<<31 || n > 1<<31-1 {
		return 0, true, badRequest("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected an integer.", s[0], name)
	}
	return n, true, nil
}

// indexes returns the sorted N of every key PREFIX.N or PREFIX.N.*.
func (p params) indexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range p.v {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// list returns the values of PREFIX.1, PREFIX.2, ... in index order.
func (p params) list(prefix string) []string {
	var out []string
	for _, n := range p.indexes(prefix) {
		if vs, ok := p.v[prefix+"."+strconv.Itoa(n)]; ok {
			out = append(out, vs[0])
		}
	}
	return out
}

// structs returns, for each PREFIX.N, the parameters below it with the
// PREFIX.N. part removed.
func (p params) structs(prefix string) []params {
	var out []params
	for _, n := range p.indexes(prefix) {
		sub := url.Values{}
		pre := prefix + "." + strconv.Itoa(n) + "."
		for k, vs := range p.v {
			if rest, ok := strings.CutPrefix(k, pre); ok {
				sub[rest] = vs
			}
		}
		if len(sub) > 0 {
			out = append(out, params{v: sub})
		}
	}
	return out
}

// sub returns the parameters below PREFIX. (a structure member).
func (p params) sub(prefix string) params {
	sub := url.Values{}
	for k, vs := range p.v {
		if rest, ok := strings.CutPrefix(k, prefix+"."); ok {
			sub[rest] = vs
		}
	}
	return params{v: sub}
}

// allow answers UnknownParameter, as EC2 does, for any top-level parameter
// not in names (Action, Version and the signature parameters always pass).
func (p params) allow(names ...string) *APIError {
	keys := make([]string, 0, len(p.v))
	for k := range p.v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		top, _, _ := strings.Cut(k, ".")
		switch top {
		case "Action", "Version":
			continue
		}
		if strings.HasPrefix(top, "X-Amz-") {
			continue
		}
		if !slices.Contains(names, top) {
			return badRequest("UnknownParameter", "The parameter %s is not recognized", top)
		}
	}
	return nil
}

// notSupported refuses parameters AWS has but the sandbox does not model,
// saying so (rather than UnknownParameter, which would be untrue).
func (p params) notSupported(names ...string) *APIError {
	for k := range p.v {
		top, _, _ := strings.Cut(k, ".")
		if slices.Contains(names, top) {
			return badRequest("InvalidParameter", "The parameter %s is valid in AWS but not supported by the ecr-vpce-lab sandbox.", top)
		}
	}
	return nil
}

// filter is one EC2 Filter.N.
type filter struct {
	Name   string
	Values []string
}

func (p params) filters(prefix string) ([]filter, *APIError) {
	var out []filter
	for _, s := range p.structs(prefix) {
		f := filter{Name: s.str("Name"), Values: s.list("Value")}
		if f.Name == "" {
			return nil, badRequest("InvalidParameterValue", "The filter 'null' is invalid")
		}
		if len(f.Values) == 0 {
			return nil, badRequest("InvalidParameterValue", "The filter '%s' requires at least one value", f.Name)
		}
		out = append(out, f)
	}
	return out, nil
}

// globMatch matches s against an EC2 filter value, where * matches any run of
// characters and ? any one character.
func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	pr, sr := []rune(pattern), []rune(s)
	var px, sx int
	nextPx, nextSx := -1, -1
	for px < len(pr) || sx < len(sr) {
		if px < len(pr) {
			switch c := pr[px]; c {
			case '?':
				if sx < len(sr) {
					px++
					sx++
					continue
				}
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			default:
				if sx < len(sr) && sr[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(sr) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// The XML namespaces of the Query services' answers.
const (
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// queryNamespace is the namespace of a Query service's answers (STS or IAM).
func queryNamespace(protocol string) string {
	if protocol == protoIAM {
		return iamNamespace
	}
	return stsNamespace
}

// checkVersion refuses a Query request (STS, IAM) that does not name the
// API version the service speaks.
func checkVersion(c *apiCall, p params, want string) *APIError {
	switch v := p.str("Version"); v {
	case want:
		return nil
	case "":
		return badRequest("MissingParameter", "The request must contain the parameter Version")
	default:
		return badRequest("InvalidAction", "Could not find operation %s for version %s", c.action, v)
	}
}

// queryResponse wraps a result as the Query protocol does (STS, IAM); an
// empty result (IAM's PutRolePolicy, DeleteRole...) has no Result element.
func queryResponse(c *apiCall, result string) []byte {
	var b strings.Builder
	b.WriteString("<" + c.action + `Response xmlns="` + queryNamespace(c.protocol) + `">` + "\n")
	if result != "" {
		b.WriteString("  <" + c.action + "Result>\n" + result + "  </" + c.action + "Result>\n")
	}
	b.WriteString("  <ResponseMetadata>\n    <RequestId>" + c.requestID + "</RequestId>\n  </ResponseMetadata>\n")
	b.WriteString("</" + c.action + "Response>\n")
	return []byte(b.String())
}
