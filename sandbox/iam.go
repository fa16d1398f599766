package sandbox

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecr-vpce-lab/policy"
)

// IAM, as much of it as the lab's auto-teardown touches: roles with a trust
// policy, their inline policies, and the policy simulator the lab's
// preflight asks (AWS Query protocol, API version 2010-05-08, the global
// endpoint signed for us-east-1; research E). IAM is global: an account's
// roles live in the world of its home region and every region sees them.
//
// Roles are also what the sandbox authorizes by: a session of a role
// (EventBridge Scheduler's, an assumed OrganizationAccountAccessRole) may do
// only what the role's policies allow, evaluated by the lab's own policy
// engine (identity.go).

// iamRole is an IAM role.
type iamRole struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ID          string    `json:"id"`
	Created     time.Time `json:"created"`
	Trust       string    `json:"trust"`
	Description string    `json:"description,omitempty"`
	MaxSession  int       `json:"maxSessionDuration"`
	Tags        []tag     `json:"tags,omitempty"`
	// Inline are the role's inline policies, in the order they were put.
	Inline []inlinePolicy `json:"inline,omitempty"`
	// Attached are managed policies (only AWS's AdministratorAccess is
	// known: OrganizationAccountAccessRole has it).
	Attached []string `json:"attached,omitempty"`
}

type inlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// AdministratorAccess is AWS's managed policy that allows everything.
const administratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"

func (r *iamRole) arn(part, account string) string {
	return "arn:" + part + ":iam::" + account + ":role" + r.Path + r.Name
}

func (w *world) role(name string) *iamRole {
	return firstOf(w.Roles, func(r *iamRole) bool { return r.Name == name })
}

func (r *iamRole) inline(name string) *inlinePolicy {
	for i := range r.Inline {
		if r.Inline[i].Name == name {
			return &r.Inline[i]
		}
	}
	return nil
}

// iamCtx is one IAM request being served.
type iamCtx struct {
	*request
	p params
	c *apiCall
}

var iamOps operations[iamCtx, string]

func init() {
	iamOps = operations[iamCtx, string]{
		"CreateRole":              {iamCreateRole, true},
		"GetRole":                 {iamGetRole, false},
		"DeleteRole":              {iamDeleteRole, true},
		"ListRoles":               {iamListRoles, false},
		"TagRole":                 {iamTagRole, true},
		"PutRolePolicy":           {iamPutRolePolicy, true},
		"GetRolePolicy":           {iamGetRolePolicy, false},
		"ListRolePolicies":        {iamListRolePolicies, false},
		"DeleteRolePolicy":        {iamDeleteRolePolicy, true},
		"SimulatePrincipalPolicy": {iamSimulatePrincipalPolicy, false},
	}
}

// IAMActions lists the IAM operations the sandbox serves.
func IAMActions() []string { return iamOps.names() }

// handleIAM serves an IAM Query request in the world that holds the
// account's roles.
func (s *Sandbox) handleIAM(c *apiCall, p params) ([]byte, *APIError) {
	op, ok := iamOps[c.action]
	if !ok {
		return nil, notServed("iam", protoIAM, c.action, p.str("Version"), IAMActions())
	}
	if e := checkVersion(c, p, "2010-05-08"); e != nil {
		return nil, e
	}
	if e := s.refuseCaller(c, "iam", c.action, iamResource(s.part(), s.opts.Account, c.action, p)); e != nil {
		return nil, e
	}
	if c.action == "CreateRole" && p.has("Tags.member.1.Key") {
		// Tagging on create needs iam:TagRole too (IAM's "Permissions
		// required to add tags": tag-on-create checks the tagging action).
		e := s.refuseCaller(c, "iam", "TagRole", iamResource(s.part(), s.opts.Account, c.action, p))
		code := ""
		if e != nil {
			code = e.Code
		}
		s.recordAuthorization(c, "iam", "TagRole", code)
		if e != nil {
			return nil, e
		}
	}
	body, e := op.run(s, protoIAM, func(r *request) *iamCtx { return &iamCtx{request: r, p: p, c: c} })
	if e != nil {
		return nil, e
	}
	return queryResponse(c, body), nil
}

// iamResource is the resource an IAM action is authorized on, as IAM's
// refusals name it.
func iamResource(part, account, action string, p params) string {
	switch action {
	case "SimulatePrincipalPolicy":
		if a := p.str("PolicySourceArn"); a != "" {
			return a
		}
	case "ListRoles":
		return "arn:" + part + ":iam::" + account + ":role/"
	}
	if name := p.str("RoleName"); name != "" {
		return "arn:" + part + ":iam::" + account + ":role/" + name
	}
	return "*"
}

// IAM's errors (research E): codes, statuses and wordings.
func noSuchRole(name string) *APIError {
	return apiErr(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

func noSuchRolePolicy(name string) *APIError {
	return apiErr(http.StatusNotFound, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
}

func iamInvalid(format string, args ...any) *APIError {
	return badRequest("InvalidInput", format, args...)
}

func iamValidation(field, value, constraint string) *APIError {
	if value == "" {
		return badRequest("ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return badRequest("ValidationError", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

var (
	roleNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	rolePathRE   = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
)

func (x *iamCtx) roleName() (string, *APIError) {
	name := x.p.str("RoleName")
	if name == "" || !roleNameRE.MatchString(name) {
		return "", iamValidation("roleName", name, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return name, nil
}

// findRole is the role a request names, or NoSuchEntity.
// roleOf checks that the request names only the parameters the action
// takes, then finds the role it names.
func (x *iamCtx) roleOf(params ...string) (*iamRole, *APIError) {
	if e := x.p.allow(params...); e != nil {
		return nil, iamInvalid("%s", e.Message)
	}
	return x.findRole()
}

func (x *iamCtx) findRole() (*iamRole, *APIError) {
	name, e := x.roleName()
	if e != nil {
		return nil, e
	}
	if r := x.w.role(name); r != nil {
		return r, nil
	}
	if r := x.w.principalRole(name); r != nil {
		return r, nil
	}
	return nil, noSuchRole(name)
}

// principalRole is the role behind the workspace's credentials (the
// instance role, CloudShell's participant role), which the world does not
// list among the roles it lets the learner change.
func (w *world) principalRole(name string) *iamRole {
	arn := w.callerARN()
	if !strings.Contains(arn, ":assumed-role/") {
		return nil
	}
	role := strings.SplitN(strings.SplitN(arn, ":assumed-role/", 2)[1], "/", 2)[0]
	if role != name {
		return nil
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	return &iamRole{Name: name, Path: "/", ID: w.Identity.RoleID, Created: w.Created, Trust: trust, MaxSession: 3600,
		Attached: []string{administratorAccess}}
}

// checkPolicyDocument refuses a document IAM would refuse: not JSON, not a
// policy, too long. trust marks a role's trust policy, which must name a
// principal and may not name a resource.
func checkPolicyDocument(field, doc string, trust bool) *APIError {
	if doc == "" {
		return iamValidation(field, "", "")
	}
	if len(doc) > 131072 {
		return iamValidation(field, "...", "Member must have length less than or equal to 131072")
	}
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		return badRequest("MalformedPolicyDocument", "Syntax errors in policy.")
	}
	for _, st := range d.Statements {
		if trust {
			if st.Resource != nil || st.NotResource != nil {
				return badRequest("MalformedPolicyDocument", "Has prohibited field Resource")
			}
			if st.Principal == nil && st.NotPrincipal == nil {
				return badRequest("MalformedPolicyDocument", "Missing required field Principal")
			}
			continue
		}
		if st.Principal != nil || st.NotPrincipal != nil {
			return badRequest("MalformedPolicyDocument", "Policy document should not specify a principal.")
		}
		if st.Resource == nil && st.NotResource == nil {
			return badRequest("MalformedPolicyDocument", "Policy statement must contain resources.")
		}
	}
	return nil
}

func iamCreateRole(x *iamCtx) (string, *APIError) {
	if e := x.p.allow("RoleName", "AssumeRolePolicyDocument", "Path", "Description", "MaxSessionDuration", "PermissionsBoundary", "Tags"); e != nil {
		return "", iamInvalid("%s", e.Message)
	}
	if e := x.p.notSupported("PermissionsBoundary"); e != nil {
		return "", e
	}
	name, e := x.roleName()
	if e != nil {
		return "", e
	}
	trust := x.p.str("AssumeRolePolicyDocument")
	if e := checkPolicyDocument("assumeRolePolicyDocument", trust, true); e != nil {
		return "", e
	}
	path := x.p.str("Path")
	if path == "" {
		path = "/"
	}
	if len(path) > 512 || !rolePathRE.MatchString(path) {
		return "", iamValidation("path", path, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	desc := x.p.str("Description")
	if len(desc) > 1000 {
		return "", iamValidation("description", desc[:20]+"...", "Member must have length less than or equal to 1000")
	}
	maxSession := 3600
	if v, has, err := x.p.integer("MaxSessionDuration"); err != nil {
		return "", err
	} else if has {
		if v < 3600 || v > 43200 {
			return "", iamValidation("maxSessionDuration", strconv.Itoa(v), "Member must have value between 3600 and 43200")
		}
		maxSession = v
	}
	tags, e := iamTags(x.p, "Tags")
	if e != nil {
		return "", e
	}
	if x.w.role(name) != nil || x.w.principalRole(name) != nil {
		return "", apiErr(http.StatusConflict, "EntityAlreadyExists", "Role with name %s already exists.", name)
	}
	r := &iamRole{Name: name, Path: path, ID: "AROA" + x.w.upperAlnum("iam-role/"+name, 17), Created: x.now.UTC().Truncate(time.Second),
		Trust: trust, Description: desc, MaxSession: maxSession, Tags: tags}
	x.w.Roles = append(x.w.Roles, r)
	x.dirty = true
	return "    <Role>\n" + roleXML(r, x.s.part(), x.w.Account, true) + "    </Role>\n", nil
}

// iamTags reads Tags.member.N.Key/Value (at most 50, keys unique).
func iamTags(p params, prefix string) ([]tag, *APIError) {
	var out []tag
	for _, t := range p.structs(prefix + ".member") {
		k, v := t.str("Key"), t.str("Value")
		if k == "" || len(k) > 128 || len(v) > 256 {
			return nil, iamInvalid("A tag key must be 1 to 128 characters and a value at most 256.")
		}
		for _, o := range out {
			if o.Key == k {
				return nil, iamInvalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			}
		}
		out = append(out, tag{k, v})
	}
	if len(out) > 50 {
		return nil, badRequest("LimitExceeded", "The number of tags has reached the maximum limit.")
	}
	return out, nil
}

// roleXML writes a Role's members in the model's order; trust documents are
// URL-encoded as IAM sends them (research E).
func roleXML(r *iamRole, part, account string, withTags bool) string {
	var b strings.Builder
	el := func(name, v string) { b.WriteString("      <" + name + ">" + xmlEscape(v) + "</" + name + ">\n") }
	el("Path", r.Path)
	el("RoleName", r.Name)
	el("RoleId", r.ID)
	el("Arn", r.arn(part, account))
	el("CreateDate", r.Created.UTC().Format(time.RFC3339))
	el("AssumeRolePolicyDocument", awsEscape(r.Trust))
	if r.Description != "" {
		el("Description", r.Description)
	}
	el("MaxSessionDuration", strconv.Itoa(r.MaxSession))
	if withTags && len(r.Tags) > 0 {
		b.WriteString("      <Tags>\n")
		for _, t := range r.Tags {
			b.WriteString("        <member>\n          <Key>" + xmlEscape(t.Key) + "</Key>\n          <Value>" + xmlEscape(t.Value) + "</Value>\n        </member>\n")
		}
		b.WriteString("      </Tags>\n")
	}
	if withTags {
		b.WriteString("      <RoleLastUsed/>\n")
	}
	return b.String()
}

func iamGetRole(x *iamCtx) (string, *APIError) {
	r, e := x.roleOf("RoleName")
	if e != nil {
		return "", e
	}
	return "    <Role>\n" + roleXML(r, x.s.part(), x.w.Account, true) + "    </Role>\n", nil
}

func iamDeleteRole(x *iamCtx) (string, *APIError) {
	r, e := x.roleOf("RoleName")
	if e != nil {
		return "", e
	}
	if x.w.role(r.Name) == nil {
		return "", apiErr(http.StatusConflict, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
	}
	if len(r.Inline) > 0 {
		return "", apiErr(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	}
	if len(r.Attached) > 0 {
		return "", apiErr(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	}
	x.w.Roles = slices.DeleteFunc(x.w.Roles, func(o *iamRole) bool { return o == r })
	x.dirty = true
	return "", nil
}

func iamListRoles(x *iamCtx) (string, *APIError) {
	if e := x.p.allow("PathPrefix", "Marker", "MaxItems"); e != nil {
		return "", iamInvalid("%s", e.Message)
	}
	prefix := x.p.str("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	var roles []*iamRole
	if pr := x.w.principalRole(x.w.Identity.RoleName); pr != nil {
		roles = append(roles, pr)
	}
	roles = append(roles, x.w.Roles...)
	roles = slices.DeleteFunc(slices.Clone(roles), func(r *iamRole) bool { return !strings.HasPrefix(r.Path, prefix) })
	sort.SliceStable(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	return iamList(x, "Roles", roles, func(r *iamRole) string {
		return "      <member>\n" + roleXML(r, x.s.part(), x.w.Account, false) + "      </member>\n"
	})
}

// iamList answers a List* action: one page of the items (iamPage) in the
// element list, each as member writes it, then IsTruncated and the Marker
// of the next page.
func iamList[T any](x *iamCtx, list string, items []T, member func(T) string) (string, *APIError) {
	page, marker, e := iamPage(x, items)
	if e != nil {
		return "", e
	}
	var b strings.Builder
	b.WriteString("    <" + list + ">\n")
	for _, it := range page {
		b.WriteString(member(it))
	}
	b.WriteString("    </" + list + ">\n")
	b.WriteString(truncated(marker))
	return b.String(), nil
}

// iamPage applies MaxItems (1-1000, default 100) and Marker.
func iamPage[T any](x *iamCtx, items []T) ([]T, string, *APIError) {
	p := x.p
	start := 0
	if m := p.str("Marker"); m != "" {
		n, ok := tokenOffset(m, x.c.action, len(items))
		if !ok {
			return nil, "", iamInvalid("Invalid Marker.")
		}
		start = n
	}
	limit := 100
	if v, has, e := p.integer("MaxItems"); e != nil {
		return nil, "", e
	} else if has {
		if v < 1 || v > 1000 {
			return nil, "", iamValidation("maxItems", strconv.Itoa(v), "Member must have value between 1 and 1000")
		}
		limit = v
	}
	page, marker := pageFrom(items, x.c.action, start, limit)
	return page, marker, nil
}

func truncated(marker string) string {
	if marker == "" {
		return "    <IsTruncated>false</IsTruncated>\n"
	}
	return "    <IsTruncated>true</IsTruncated>\n    <Marker>" + marker + "</Marker>\n"
}

func iamTagRole(x *iamCtx) (string, *APIError) {
	r, e := x.roleOf("RoleName", "Tags")
	if e != nil {
		return "", e
	}
	tags, e := iamTags(x.p, "Tags")
	if e != nil {
		return "", e
	}
	if len(tags) == 0 {
		return "", iamValidation("tags", "", "")
	}
	if x.w.role(r.Name) == nil {
		return "", apiErr(http.StatusConflict, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
	}
	for _, t := range tags {
		if i := slices.IndexFunc(r.Tags, func(o tag) bool { return o.Key == t.Key }); i >= 0 {
			r.Tags[i].Value = t.Value
		} else {
			r.Tags = append(r.Tags, t)
		}
	}
	if len(r.Tags) > 50 {
		return "", badRequest("LimitExceeded", "The number of tags has reached the maximum limit.")
	}
	x.dirty = true
	return "", nil
}

// maxInlineBytes is IAM's quota on a role's inline policies, all together
// ("Maximum policy size of 10240 bytes exceeded for role NAME").
const maxInlineBytes = 10240

func iamPutRolePolicy(x *iamCtx) (string, *APIError) {
	if e := x.p.allow("RoleName", "PolicyName", "PolicyDocument"); e != nil {
		return "", iamInvalid("%s", e.Message)
	}
	name := x.p.str("PolicyName")
	if name == "" || !policyNameRE.MatchString(name) {
		return "", iamValidation("policyName", name, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	doc := x.p.str("PolicyDocument")
	if e := checkPolicyDocument("policyDocument", doc, false); e != nil {
		return "", e
	}
	r, e := x.findRole()
	if e != nil {
		return "", e
	}
	if x.w.role(r.Name) == nil {
		return "", apiErr(http.StatusConflict, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
	}
	size := len(compactJSON(doc))
	for _, p := range r.Inline {
		if p.Name != name {
			size += len(compactJSON(p.Document))
		}
	}
	if size > maxInlineBytes {
		return "", apiErr(http.StatusConflict, "LimitExceeded", "Maximum policy size of %d bytes exceeded for role %s", maxInlineBytes, r.Name)
	}
	if p := r.inline(name); p != nil {
		p.Document = doc
	} else {
		r.Inline = append(r.Inline, inlinePolicy{Name: name, Document: doc})
	}
	x.dirty = true
	return "", nil
}

// compactJSON is a document without the whitespace IAM does not count.
func compactJSON(doc string) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, c := range doc {
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inString:
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\n' || c == '\t' || c == '\r'):
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func iamGetRolePolicy(x *iamCtx) (string, *APIError) {
	r, e := x.roleOf("RoleName", "PolicyName")
	if e != nil {
		return "", e
	}
	name := x.p.str("PolicyName")
	p := r.inline(name)
	if p == nil {
		return "", noSuchRolePolicy(name)
	}
	return "    <RoleName>" + xmlEscape(r.Name) + "</RoleName>\n    <PolicyName>" + xmlEscape(p.Name) + "</PolicyName>\n" +
		"    <PolicyDocument>" + awsEscape(p.Document) + "</PolicyDocument>\n", nil
}

func iamListRolePolicies(x *iamCtx) (string, *APIError) {
	r, e := x.roleOf("RoleName", "Marker", "MaxItems")
	if e != nil {
		return "", e
	}
	var names []string
	for _, p := range r.Inline {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return iamList(x, "PolicyNames", names, func(n string) string {
		return "      <member>" + xmlEscape(n) + "</member>\n"
	})
}

func iamDeleteRolePolicy(x *iamCtx) (string, *APIError) {
	r, e := x.roleOf("RoleName", "PolicyName")
	if e != nil {
		return "", e
	}
	name := x.p.str("PolicyName")
	if r.inline(name) == nil {
		return "", noSuchRolePolicy(name)
	}
	r.Inline = slices.DeleteFunc(r.Inline, func(p inlinePolicy) bool { return p.Name == name })
	x.dirty = true
	return "", nil
}

// iamSimulatePrincipalPolicy evaluates a role's (or the workspace user's)
// identity-based policies for each action and resource, as the policy
// simulator does: allowed, explicitDeny or implicitDeny.
func iamSimulatePrincipalPolicy(x *iamCtx) (string, *APIError) {
	if e := x.p.allow("PolicySourceArn", "ActionNames", "ResourceArns", "ContextEntries", "MaxItems", "Marker", "CallerArn",
		"PolicyInputList", "PermissionsBoundaryPolicyInputList", "ResourcePolicy", "ResourceOwner", "ResourceHandlingOption"); e != nil {
		return "", iamInvalid("%s", e.Message)
	}
	if e := x.p.notSupported("PolicyInputList", "PermissionsBoundaryPolicyInputList", "ResourcePolicy", "ResourceOwner", "ResourceHandlingOption", "CallerArn"); e != nil {
		return "", e
	}
	src := x.p.str("PolicySourceArn")
	if src == "" {
		return "", iamValidation("policySourceArn", "", "")
	}
	actions := x.p.list("ActionNames.member")
	if len(actions) == 0 {
		return "", iamValidation("actionNames", "", "")
	}
	resources := x.p.list("ResourceArns.member")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ctx := map[string][]string{}
	for _, ce := range x.p.structs("ContextEntries.member") {
		ctx[ce.str("ContextKeyName")] = ce.list("ContextKeyValues.member")
	}
	id, e := x.s.identityOf(x.w, src)
	if e != nil {
		return "", e
	}
	var b strings.Builder
	b.WriteString("    <EvaluationResults>\n")
	for _, a := range actions {
		for _, res := range resources {
			d := id.decide(a, res, ctx)
			decision := map[policy.Result]string{policy.ResultAllow: "allowed", policy.ResultExplicitDeny: "explicitDeny"}[d.Result]
			if decision == "" {
				decision = "implicitDeny"
			}
			b.WriteString("      <member>\n        <EvalActionName>" + xmlEscape(a) + "</EvalActionName>\n        <EvalResourceName>" + xmlEscape(res) +
				"</EvalResourceName>\n        <EvalDecision>" + decision + "</EvalDecision>\n        <MatchedStatements/>\n        <MissingContextValues/>\n" +
				"        <OrganizationsDecisionDetail>\n          <AllowedByOrganizations>true</AllowedByOrganizations>\n        </OrganizationsDecisionDetail>\n      </member>\n")
		}
	}
	b.WriteString("    </EvaluationResults>\n")
	b.WriteString(truncated(""))
	return b.String(), nil
}

// roleARNOf maps an IAM role ARN to (account, path+name); ok false for
// anything else.
func roleARNOf(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	rest := strings.TrimPrefix(parts[5], "role/")
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		rest = rest[i+1:]
	}
	return parts[4], rest, rest != "" && isAccount12(parts[4])
}

func isAccount12(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}
