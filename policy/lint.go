package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxSize is the largest endpoint policy AWS accepts, in characters
// including white space.
const MaxSize = 20480

// MaxRepositorySize is the largest repository policy ECR accepts
// (SetRepositoryPolicy's policyText: at most 10,240 characters, botocore's
// ECR model).
const MaxRepositorySize = 10240

// LintOptions gives Lint the lab's context. Empty fields turn off the checks
// that need them (ARN account and region) or fall back to the lab's defaults
// (the repository).
type LintOptions struct {
	Account    string
	Region     string
	Repository string
	// Type is the type of policy checked (default TypeEndpoint). A
	// repository policy names no Resource and may be half as long.
	Type Type
}

func (o LintOptions) typ() Type {
	if o.Type == "" {
		return TypeEndpoint
	}
	return o.Type
}

// Lint checks a policy document as the lab's editor and commands need it:
// everything AWS would reject, and actions ECR does not have, are errors (the
// lab applies no policy with one); things AWS accepts but that cannot
// be what the author meant are warnings. Findings come sorted by position.
func Lint(src []byte) []Finding { return LintWith(src, LintOptions{}) }

// LintWith is Lint with the lab's account, region and repository known.
func LintWith(src []byte, opts LintOptions) []Finding {
	doc, structural := build(src)
	l := &linter{builder: builder{findings: structural}, opts: opts, src: src}
	limit, what := MaxSize, "an endpoint policy"
	if opts.typ() == TypeRepository {
		limit, what = MaxRepositorySize, "a repository policy"
	}
	if n := utf8.RuneCount(src); n > limit {
		l.add(SeverityError, "size", "$", Pos{Offset: 0, Line: 1, Column: 1},
			fmt.Sprintf("the policy is %d characters long; %s may have at most %d", n, what, limit),
			"remove statements or merge them, e.g. by listing several actions in one statement")
	}
	if doc != nil {
		l.document(doc)
	}
	sort.SliceStable(l.findings, func(i, j int) bool {
		a, b := l.findings[i], l.findings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return l.findings
}

type linter struct {
	builder
	opts LintOptions
	src  []byte
}

var sidPattern = regexp.MustCompile(`^[A-Za-z0-9]*$`)

func (l *linter) document(doc *Document) {
	sids := map[string]string{}
	hasAllow := false
	usesVariables := false
	for i, st := range doc.Statements {
		loc := st.loc
		if loc == nil {
			continue
		}
		l.statement(i, st)
		if st.Effect == Allow {
			hasAllow = true
		}
		if st.Sid != "" {
			p := loc.keys["Sid"]
			if prev, dup := sids[st.Sid]; dup {
				l.add(SeverityError, "duplicate-sid", loc.path+".Sid", p, fmt.Sprintf("the Sid %q is already used by %s", st.Sid, prev), "give each statement its own Sid")
			} else {
				sids[st.Sid] = loc.path
			}
			if !sidPattern.MatchString(st.Sid) {
				l.add(SeverityWarning, "sid", loc.path+".Sid", p, fmt.Sprintf("the Sid %q has characters other than letters and digits", st.Sid), "use only A-Z, a-z and 0-9, e.g. "+strconv.Quote(sanitizeSid(st.Sid)))
			}
		}
		for _, vs := range []Values{st.Resource, st.NotResource} {
			for _, v := range vs {
				if strings.Contains(v, "${") {
					usesVariables = true
				}
			}
		}
	}
	if len(doc.Statements) > 0 && !hasAllow && l.opts.typ() == TypeEndpoint {
		l.add(SeverityWarning, "no-allow", "$.Statement", l.statementListPos(doc), "the policy has no Allow statement, so everything through the endpoint will be refused",
			`add {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"} and deny only what you mean to`)
	}
	if usesVariables && doc.Version != "2012-10-17" {
		l.add(SeverityWarning, "version", "$.Version", Pos{Line: 1, Column: 1}, "policy variables like ${aws:username} only work with Version 2012-10-17; without it they are plain text",
			`add "Version": "2012-10-17"`)
	}
}

func (l *linter) statementListPos(doc *Document) Pos {
	if len(doc.Statements) > 0 && doc.Statements[0].loc != nil {
		return doc.Statements[0].loc.pos
	}
	return Pos{Line: 1, Column: 1}
}

func sanitizeSid(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "Statement1"
	}
	return b.String()
}

// valuePos is where the i-th value of an element was written, falling back
// to the element's key.
func (loc *stmtLoc) valuePos(elem string, i int) Pos {
	if ps := loc.values[elem]; i < len(ps) {
		return ps[i]
	}
	if p, ok := loc.keys[elem]; ok {
		return p
	}
	return loc.pos
}

func (loc *stmtLoc) valuePath(elem string, i int, n int) string {
	if n == 1 {
		return loc.path + "." + elem
	}
	return fmt.Sprintf("%s.%s[%d]", loc.path, elem, i)
}

func (l *linter) statement(index int, st Statement) {
	loc := st.loc
	label := st.Label(index)
	// Effect
	if _, ok := loc.keys["Effect"]; !ok {
		l.add(SeverityError, "effect-missing", loc.path, loc.pos, label+" has no Effect", `add "Effect": "Allow" or "Effect": "Deny"`)
	} else if st.Effect != "" || len(loc.values["Effect"]) > 0 {
		if st.Effect != Allow && st.Effect != Deny {
			fix := `write "Allow" or "Deny"`
			if strings.EqualFold(string(st.Effect), "allow") {
				fix = `write "Allow", with a capital A`
			} else if strings.EqualFold(string(st.Effect), "deny") {
				fix = `write "Deny", with a capital D`
			}
			l.add(SeverityError, "effect", loc.path+".Effect", loc.valuePos("Effect", 0), fmt.Sprintf("Effect must be Allow or Deny, found %q", st.Effect), fix)
		}
	}
	// Principal
	_, hasP := loc.keys["Principal"]
	_, hasNP := loc.keys["NotPrincipal"]
	switch {
	case !hasP && !hasNP && l.opts.typ() == TypeRepository:
		l.add(SeverityError, "principal-missing", loc.path, loc.pos, label+" has no Principal; repository policies require one",
			`add "Principal": "*" for every caller, or {"AWS": "ACCOUNT_ID"} for one account`)
	case !hasP && !hasNP && l.opts.typ() == TypeEndpoint:
		l.add(SeverityError, "principal-missing", loc.path, loc.pos, label+" has no Principal; VPC endpoint policies require one",
			`add "Principal": "*" to apply it to every caller`)
	case hasP && hasNP:
		l.add(SeverityError, "principal-both", loc.path+".NotPrincipal", loc.keys["NotPrincipal"], label+" has both Principal and NotPrincipal", "keep only one of them")
	case hasNP && st.Effect == Allow:
		l.add(SeverityWarning, "notprincipal-allow", loc.path+".NotPrincipal", loc.keys["NotPrincipal"], "NotPrincipal with Allow grants access to every principal but the listed ones",
			`use "Principal" with the callers you mean to allow`)
	}
	// Action / NotAction
	_, hasA := loc.keys["Action"]
	_, hasNA := loc.keys["NotAction"]
	switch {
	case !hasA && !hasNA:
		l.add(SeverityError, "action-missing", loc.path, loc.pos, label+" has no Action", `add "Action": "ecr:*" or the actions you mean`)
	case hasA && hasNA:
		l.add(SeverityError, "action-both", loc.path+".NotAction", loc.keys["NotAction"], label+" has both Action and NotAction", "keep only one of them")
	}
	l.values(loc, "Action", st.Action, "name at least one action", l.action)
	l.values(loc, "NotAction", st.NotAction, "name at least one action", l.action)
	// Resource / NotResource
	_, hasR := loc.keys["Resource"]
	_, hasNR := loc.keys["NotResource"]
	switch {
	case l.opts.typ() == TypeRepository && (hasR || hasNR):
		// ECR refuses it: InvalidParameterException "Invalid parameter at
		// 'PolicyText' failed to satisfy constraint: 'Invalid repository
		// policy provided'" (aws-cdk#24314, terraform-aws-ecr#19).
		key := "Resource"
		if !hasR {
			key = "NotResource"
		}
		l.add(SeverityError, "resource-in-repository-policy", loc.path+"."+key, loc.keys[key],
			"a repository policy has no "+key+": it applies to its own repository, and ECR refuses the policy ('Invalid repository policy provided')",
			"remove the "+key+" element")
	case l.opts.typ() == TypeRepository:
	case !hasR && !hasNR:
		l.add(SeverityError, "resource-missing", loc.path, loc.pos, label+" has no Resource", `add "Resource": "*" or a repository ARN`)
	case hasR && hasNR:
		l.add(SeverityError, "resource-both", loc.path+".NotResource", loc.keys["NotResource"], label+" has both Resource and NotResource", "keep only one of them")
	}
	l.values(loc, "Resource", st.Resource, `name at least one resource, or "*"`, l.resource)
	l.values(loc, "NotResource", st.NotResource, `name at least one resource, or "*"`, l.resource)
	l.authorizationToken(st)
	if l.opts.typ() == TypeRepository {
		l.repositoryToken(st)
	}
	l.conditions(st)
	if st.Effect == Deny && l.denyIsInert(st) {
		repo := l.repository()
		l.add(SeverityWarning, "deny-inert", loc.path, loc.pos,
			fmt.Sprintf("%s denies no ECR action on %s (nor the login)", label, repo),
			"check its actions and its resource ARN (region, account and repository name)")
	}
}

func (l *linter) repository() string {
	if l.opts.Repository != "" {
		return l.opts.Repository
	}
	return DefaultRepository
}

var servicePrefix = regexp.MustCompile(`^[a-z0-9-]+$`)

// values lints the list of one element (Action, NotResource...): an empty
// list is an error (fix says what to name instead), and check lints each
// value where it was written.
func (l *linter) values(loc *stmtLoc, elem string, vs Values, fix string, check func(v, path string, pos Pos)) {
	if vs != nil && len(vs) == 0 {
		l.add(SeverityError, "empty", loc.path+"."+elem, loc.keys[elem], elem+" is an empty list", fix)
	}
	for i, v := range vs {
		check(v, loc.valuePath(elem, i, len(vs)), loc.valuePos(elem, i))
	}
}

func (l *linter) action(a, path string, pos Pos) {
	if a == "*" {
		return
	}
	prefix, name, ok := strings.Cut(a, ":")
	if !ok || prefix == "" {
		fix := `write the service prefix, e.g. "ecr:` + a + `"`
		if a == "" {
			fix = `write an action such as "ecr:PutImage"`
		}
		l.add(SeverityError, "action-prefix", path, pos, fmt.Sprintf("the action %q has no service prefix", a), fix)
		return
	}
	if !servicePrefix.MatchString(strings.ToLower(prefix)) && !strings.ContainsAny(prefix, "*?") {
		l.add(SeverityError, "action-prefix", path, pos, fmt.Sprintf("%q is not a service prefix", prefix), `service prefixes are lower-case words, e.g. "ecr"`)
		return
	}
	if name == "" {
		l.add(SeverityError, "action-name", path, pos, fmt.Sprintf("the action %q has no name after the prefix", a), `write e.g. "`+prefix+`:*"`)
		return
	}
	if !strings.EqualFold(prefix, "ecr") {
		return
	}
	if msg, fix := ecrActionProblem(a); msg != "" {
		l.add(SeverityError, "action-unknown", path, pos, msg, fix)
	}
}

// ecrActionProblem says why a, an action with the ecr prefix, names no ECR
// action (or, with a wildcard, matches none), and what to write instead;
// "" when it names one. One rule for the linter (the wizard's JSON editor,
// 'policy check', a policy before it is applied) and Default (the form,
// the accessible prompt, --deny), so each refuses the same actions in the
// same words.
func ecrActionProblem(a string) (msg, fix string) {
	_, name, _ := strings.Cut(a, ":")
	if strings.ContainsAny(name, "*?") {
		if len(ecrActionsMatching(a)) > 0 {
			return "", ""
		}
		return fmt.Sprintf("%q matches no ECR action", a),
			"check the spelling; a wildcard stands for part of a name, as in ecr:Put* (ecr:PutImage and the other Put actions), and ecr:* for every ECR action"
	}
	if IsECRAction(name) {
		return "", ""
	}
	fix = "check the spelling against the ECR actions list"
	if s := closest(name, ecrActions); s != "" {
		fix = fmt.Sprintf("did you mean \"ecr:%s\"?", s)
	}
	return fmt.Sprintf("%q is not an ECR action", a), fix
}

func (l *linter) resource(r, path string, pos Pos) {
	if r == "*" {
		return
	}
	arn, ok := ParseARN(r)
	if !ok {
		l.add(SeverityError, "arn", path, pos, fmt.Sprintf("%q is not a valid ARN", r),
			`write "*" or arn:`+PartitionOf(l.opts.Region)+`:ecr:REGION:ACCOUNT:repository/NAME`)
		return
	}
	if !strings.EqualFold(arn.Service, "ecr") {
		return
	}
	if want := PartitionOf(l.opts.Region); l.opts.Region != "" && !strings.ContainsAny(arn.Partition, "*?") && arn.Partition != want {
		// A partition is part of the ARN: arn:aws:… never matches a
		// resource in GovCloud or China.
		l.add(SeverityWarning, "arn-partition", path, pos, fmt.Sprintf("the ARN names partition %s, but %s is in %s: it never matches there", arn.Partition, l.opts.Region, want),
			"write arn:"+want+":ecr:… so the statement applies to the lab's repository")
	}
	if l.opts.Region != "" && arn.Region != "" && !strings.ContainsAny(arn.Region, "*?") && arn.Region != l.opts.Region {
		l.add(SeverityWarning, "arn-region", path, pos, fmt.Sprintf("the ARN names region %s, but the lab runs in %s", arn.Region, l.opts.Region),
			"use "+l.opts.Region+" so the statement applies to the lab's repository")
	}
	if l.opts.Account != "" && arn.Account != "" && !strings.ContainsAny(arn.Account, "*?") && arn.Account != l.opts.Account {
		l.add(SeverityWarning, "arn-account", path, pos, fmt.Sprintf("the ARN names account %s, but the lab runs in %s", arn.Account, l.opts.Account),
			"use "+l.opts.Account+" so the statement applies to the lab's repository")
	}
	if arn.Account != "" && !strings.ContainsAny(arn.Account, "*?") && !isAccountID(arn.Account) {
		l.add(SeverityError, "arn", path, pos, fmt.Sprintf("%q is not a 12-digit account ID", arn.Account), "write the account ID as 12 digits")
	}
	if !strings.ContainsAny(arn.Resource, "*?") && !strings.HasPrefix(arn.Resource, "repository/") {
		l.add(SeverityWarning, "arn", path, pos, fmt.Sprintf("ECR resources are repositories, but this ARN ends in %q", arn.Resource), "write repository/NAME, e.g. repository/"+l.repository())
	}
}

// authorizationToken warns about a statement that names
// ecr:GetAuthorizationToken with a resource other than "*": the action is
// always requested on "*", so such a statement never applies to it.
func (l *linter) authorizationToken(st Statement) {
	if st.Resource == nil {
		return
	}
	named := false
	for _, a := range st.Action {
		if strings.EqualFold(a, "ecr:GetAuthorizationToken") {
			named = true
		}
	}
	if !named {
		return
	}
	for _, r := range st.Resource {
		if matchResource(r, "*") {
			return
		}
	}
	l.add(SeverityWarning, "auth-token-resource", st.loc.path+".Resource", st.loc.valuePos("Resource", 0),
		"ecr:GetAuthorizationToken is always requested on resource \"*\", so this statement never applies to it",
		`put ecr:GetAuthorizationToken in its own statement with "Resource": "*"`)
}

// repositoryToken warns about an Allow of ecr:GetAuthorizationToken in a
// repository policy: the login has no repository, and ECR requires it to
// be allowed "through an IAM policy" (ECR's "Private repository policies").
func (l *linter) repositoryToken(st Statement) {
	if st.Effect != Allow {
		return
	}
	for i, a := range st.Action {
		if !strings.EqualFold(a, "ecr:GetAuthorizationToken") {
			continue
		}
		l.add(SeverityWarning, "repository-token", st.loc.valuePath("Action", i, len(st.Action)), st.loc.valuePos("Action", i),
			"a repository policy cannot grant ecr:GetAuthorizationToken: the login is on no repository, so only an IAM policy allows it",
			"allow ecr:GetAuthorizationToken in the caller's IAM policy instead")
	}
}

func (l *linter) conditions(st Statement) {
	loc := st.loc
	for _, opName := range sortedKeys(st.Condition) {
		pos := loc.condOps[opName]
		path := loc.path + ".Condition." + opName
		op, ok := parseOperator(opName)
		if !ok {
			fix := "see the list of condition operators: " + strings.Join([]string{"StringEquals", "StringLike", "ArnLike", "Bool", "IpAddress", "NumericLessThan", "DateGreaterThan", "Null"}, ", ") + ", …"
			base := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(opName, "ForAnyValue:"), "ForAllValues:"), "IfExists")
			if s := closest(base, OperatorNames()); s != "" && s != base {
				fix = fmt.Sprintf("did you mean %q?", strings.Replace(opName, base, s, 1))
			} else if base == "Null" {
				fix = "Null cannot take IfExists or a ForAnyValue/ForAllValues prefix; write plain Null"
			}
			l.add(SeverityError, "condition-operator", path, pos, fmt.Sprintf("unknown condition operator %q", opName), fix)
			continue
		}
		for _, key := range sortedKeys(st.Condition[opName]) {
			kpath := path + "." + key
			if !strings.Contains(key, ":") {
				l.add(SeverityWarning, "condition-key", kpath, pos, fmt.Sprintf("the condition key %q has no service prefix", key), `write keys like "aws:SourceVpc" or "ecr:ResourceTag/team"`)
			}
			for _, v := range st.Condition[opName][key] {
				if msg, fix := badConditionValue(op, v); msg != "" {
					l.add(SeverityError, "condition-value", kpath, pos, msg, fix)
				}
			}
		}
	}
}

func badConditionValue(op operator, v string) (string, string) {
	switch {
	case op.base == "Null" || op.base == "Bool":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return fmt.Sprintf("%s takes true or false, found %q", op.base, v), `write "true" or "false"`
		}
	case strings.HasPrefix(op.positive, "Numeric"):
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Sprintf("%s takes numbers, found %q", op.base, v), "write a number, e.g. 10"
		}
	case strings.HasPrefix(op.positive, "Date"):
		if _, ok := parseDate(v); !ok {
			return fmt.Sprintf("%s takes dates, found %q", op.base, v), "write an ISO 8601 date like 2026-01-31T12:00:00Z, or epoch seconds"
		}
	case op.positive == "IpAddress":
		if _, err := netip.ParsePrefix(v); err != nil {
			if _, err := netip.ParseAddr(v); err != nil {
				return fmt.Sprintf("%s takes IP addresses or CIDR ranges, found %q", op.base, v), "write e.g. 10.0.0.0/16"
			}
		}
	}
	return "", ""
}

// denyIsInert reports whether a Deny statement matches no ECR request on
// the lab's repository (nor one on "*", as the login is). Conditions are ignored: their keys come from the live
// request, so only actions, resources and principals are judged. When the
// lab's account or region is unknown, the statement's own ARNs supply them.
func (l *linter) denyIsInert(st Statement) bool {
	if st.Principal == nil && st.NotPrincipal == nil {
		return false // already an error; don't pile on
	}
	bare := st
	bare.Condition = nil
	accounts := []string{l.opts.Account}
	regions := []string{l.opts.Region}
	if l.opts.Account == "" || l.opts.Region == "" {
		for _, vs := range []Values{st.Resource, st.NotResource} {
			for _, r := range vs {
				if a, ok := ParseARN(r); ok {
					accounts = append(accounts, a.Account)
					regions = append(regions, a.Region)
				}
			}
		}
		accounts = append(accounts, "123456789012")
		regions = append(regions, "us-west-2")
	}
	for _, acct := range accounts {
		if acct == "" || strings.ContainsAny(acct, "*?") {
			continue
		}
		for _, reg := range regions {
			if reg == "" || strings.ContainsAny(reg, "*?") {
				continue
			}
			for _, req := range ecrRequests(l.repository(), acct, reg) {
				if bare.matches(req, newEvalContext(req), "2012-10-17", l.opts.typ()) {
					return false
				}
			}
		}
	}
	return true
}

// ecrRequests are every ECR action on the repository, and on "*" (the
// login's only resource), by the lab's principal.
func ecrRequests(repo, account, region string) []Request {
	var reqs []Request
	for _, a := range ecrActions {
		resources := []string{RepositoryARN(region, account, repo), "*"}
		if a == "GetAuthorizationToken" {
			resources = resources[1:] // never on a repository
		}
		for _, res := range resources {
			reqs = append(reqs, Request{Action: "ecr:" + a, Resource: res, Principal: LabPrincipal(account), PrincipalAccount: account})
		}
	}
	return reqs
}
