package sandbox

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ecr-vpce-lab/policy"
)

// Several accounts. A facilitator runs a workshop in one account per
// learner, members of an AWS Organizations organization whose management
// account is theirs; `sandbox --accounts N` serves that: the world's own
// account is the management account (the organization is LabOrgID,
// principals.go), N-1 members each have OrganizationAccountAccessRole
// (trusting the management account, with AdministratorAccess; research
// F.2), and every account has a world in every region of --regions. STS
// AssumeRole hands out sessions of a role in any of these accounts when
// its trust policy lets the caller in; Organizations' ListAccounts lists
// them for the management account (research F).

// OrgAccessRole is the role AWS Organizations creates in the accounts it
// creates (research F.2).
const OrgAccessRole = "OrganizationAccountAccessRole"

// MaxAccounts bounds --accounts.
const MaxAccounts = 200

// memberAccount is the id of the i-th member account (1-based).
func memberAccount(home string, i int) string {
	id := fmt.Sprintf("1%011d", i)
	if id == home {
		id = fmt.Sprintf("2%011d", i)
	}
	return id
}

// accountName and accountEmail are what Organizations lists.
func (h *hub) accountName(acct string) string {
	if acct == h.accounts[0] {
		return "facilitator"
	}
	return fmt.Sprintf("learner-%02d", slices.Index(h.accounts, acct))
}

// startMembers opens the world of every other account and region (the
// home world is open already). They serve no listeners of their own: the
// home world's take their requests (hub.routeTo).
func (s *Sandbox) startMembers() error {
	h := s.hub
	for i := 1; i < s.opts.Accounts; i++ {
		h.accounts = append(h.accounts, memberAccount(s.opts.Account, i))
	}
	regions := s.opts.Regions
	if s.opts.FleetDemo && len(regions) == 0 {
		// The demo's runs in a second region too.
		regions = []string{"us-east-1"}
		if s.opts.Region == "us-east-1" {
			regions = []string{"us-west-2"}
		}
	}
	for _, r := range regions {
		if !slices.Contains(h.regions, r) {
			h.regions = append(h.regions, r)
		}
	}
	for _, acct := range h.accounts {
		for _, region := range h.regions {
			if acct == s.opts.Account && region == s.opts.Region {
				continue
			}
			m, err := s.openMember(acct, region)
			if err != nil {
				return fmt.Errorf("account %s in %s: %w", acct, region, err)
			}
			h.members[memberKey{acct, region}] = m
			h.registerKeys(m)
		}
	}
	return nil
}

// openMember opens the world of account in region, shaped as a workshop
// account's (the default world), with the rate faults of the home world
// but none that shape a world or take a permission away.
func (s *Sandbox) openMember(acct, region string) (*Sandbox, error) {
	o := s.opts
	o.Account, o.Region, o.World = acct, region, ""
	f := s.opts.Faults
	o.Faults = Faults{Seed: f.Seed, ThrottleRate: f.ThrottleRate, ServerErrorRate: f.ServerErrorRate, Latency: f.Latency,
		SchedulerThrottleRate: f.SchedulerThrottleRate, RolePropagation: f.RolePropagation}
	if s.opts.StateDir != "" {
		o.StateDir = filepath.Join(s.opts.StateDir, "accounts", acct+"-"+region)
		if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
			return nil, err
		}
	}
	def, _ := WorldByName(DefaultWorld)
	m := &Sandbox{opts: o, def: def, done: make(chan struct{}), closing: s.closing, member: true, hub: s.hub, clockAtStart: s.clockAtStart}
	m.faults = newInjector(o.Faults)
	if err := m.openWorld(); err != nil {
		return nil, err
	}
	// An account's keys are the same in every region.
	if first := s.hub.iamWorld(acct); first != nil && region != s.hub.regions[0] {
		want := first.cur.Load()
		if err := m.update(func(w *world, _ time.Time) (bool, error) {
			if w.Credentials == want.Credentials && w.RoleCredentials == want.RoleCredentials {
				return false, nil
			}
			w.Credentials, w.RoleCredentials = want.Credentials, want.RoleCredentials
			return true, nil
		}); err != nil {
			return nil, err
		}
	}
	if acct != s.opts.Account && region == s.hub.regions[0] && m.fresh {
		if err := m.update(func(w *world, now time.Time) (bool, error) {
			if w.role(OrgAccessRole) != nil {
				return false, nil
			}
			w.Roles = append(w.Roles, &iamRole{Name: OrgAccessRole, Path: "/", ID: "AROA" + w.upperAlnum("org-access-role", 17),
				Created: now.UTC().Truncate(time.Second), MaxSession: 3600, Attached: []string{administratorAccess},
				Trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + s.opts.Account + `:root"},"Action":"sts:AssumeRole"}]}`})
			return true, nil
		}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// closeMember lets a member's world go: its lock, its temporary files.
func (m *Sandbox) closeMember() error {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	if m.opts.StateDir != "" && m.uploads != nil {
		_ = os.RemoveAll(m.uploads.dir)
	}
	err := m.lock.release()
	if m.tempDir != "" {
		_ = os.RemoveAll(m.tempDir)
	}
	return err
}

// Member is the world of account in region (nil when the sandbox does not
// serve it); tests and the fleet demo look into it.
func (s *Sandbox) Member(account, region string) *Sandbox { return s.hub.member(account, region) }

// AccountCredentials are the long-term keys of an account's workshop user
// (the same in every region).
func (s *Sandbox) AccountCredentials(account string) (Credentials, bool) {
	m := s.hub.iamWorld(account)
	if m == nil {
		return Credentials{}, false
	}
	return m.Credentials(), true
}

// Organizations (JSON 1.1, AWSOrganizationsV20161128; research F.1).

const orgsTargetPrefix = "AWSOrganizationsV20161128."

const protoOrgs = "organizations"

func (s *Sandbox) handleOrganizations(c *apiCall, body []byte) ([]byte, *APIError) {
	h := s.hub
	switch c.action {
	case "ListAccounts", "DescribeOrganization":
	default:
		return nil, notServed("organizations", protoOrgs, c.action, "", []string{"DescribeOrganization", "ListAccounts"})
	}
	var in struct {
		NextToken  *string
		MaxResults *int
	}
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	if e := s.refuseCaller(c, "organizations", c.action, "*"); e != nil {
		return nil, e
	}
	mgmt := h.accounts[0]
	if s.opts.Account != mgmt {
		// "You can only call this operation from the management account
		// or a member account that is a delegated administrator."
		return nil, badRequest("AccessDeniedException", "You don't have permissions to access this resource.")
	}
	org := map[string]any{"Id": LabOrgID, "Arn": "arn:aws:organizations::" + mgmt + ":organization/" + LabOrgID, "FeatureSet": "ALL",
		"MasterAccountArn": "arn:aws:organizations::" + mgmt + ":account/" + LabOrgID + "/" + mgmt, "MasterAccountId": mgmt,
		"MasterAccountEmail": "facilitator@workshop.example", "AvailablePolicyTypes": []any{}}
	if c.action == "DescribeOrganization" {
		return []byte(jsonString(map[string]any{"Organization": org})), nil
	}
	limit := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			return nil, badRequest("InvalidInputException", "You provided a value that does not match the required pattern.")
		}
		limit = *in.MaxResults
	}
	start := 0
	if in.NextToken != nil {
		n, ok := tokenOffset(*in.NextToken, "accounts", len(h.accounts))
		if !ok {
			return nil, badRequest("InvalidInputException", "The provided NextToken is invalid.")
		}
		start = n
	}
	page, next := pageFrom(h.accounts, "accounts", start, limit)
	joined := s.cur.Load().Created
	accounts := []map[string]any{}
	for _, acct := range page {
		method := "CREATED"
		if acct == mgmt {
			method = "INVITED"
		}
		name := h.accountName(acct)
		accounts = append(accounts, map[string]any{"Id": acct, "Arn": "arn:aws:organizations::" + mgmt + ":account/" + LabOrgID + "/" + acct,
			"Email": name + "@workshop.example", "Name": name, "Status": "ACTIVE", "State": "ACTIVE", "JoinedMethod": method, "JoinedTimestamp": epoch(joined)})
	}
	out := map[string]any{"Accounts": accounts}
	if next != "" {
		out["NextToken"] = next
	}
	return []byte(jsonString(out)), nil
}

// STS AssumeRole across the hub's accounts.

// assumeHubRole hands out a session of a role of any account the sandbox
// serves, when the role's trust policy lets the caller in and the caller
// may call sts:AssumeRole; the session's keys then sign requests of that
// account (hub.routeTo). A role that does not exist is refused like one
// that does not trust the caller (research F.3). assumeRole has checked
// that the parameters are known and the two required ones given.
func (s *Sandbox) assumeHubRole(c *apiCall, p params) ([]byte, *APIError) {
	roleARN, name := p.str("RoleArn"), p.str("RoleSessionName")
	if len(name) < 2 || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-") != "" {
		return nil, badRequest("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
	}
	who := s.callerPerms(c.accessKey)
	acct, roleName, ok := roleARNOf(roleARN)
	if !ok {
		return nil, badRequest("ValidationError", "%s is invalid", roleARN)
	}
	refused := apiErr(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", who.arn, roleARN)
	if d := who.decide("sts:AssumeRole", roleARN, nil); !d.Allowed() {
		return nil, refused
	}
	r := s.hub.role(acct, roleName)
	if r == nil || r.arn(s.part(), acct) != roleARN {
		return nil, refused
	}
	callerAcct := s.opts.Account
	if rs, ok := s.hub.sessions.get(c.accessKey); ok {
		callerAcct = rs.Account
	}
	trusted, _ := trustAllows(r, acct, who.arn, callerAcct)
	if !trusted {
		return nil, refused
	}
	dur := time.Hour
	if v, has, e := p.integer("DurationSeconds"); e != nil {
		return nil, e
	} else if has {
		if v < 900 || v > 43200 {
			return nil, badRequest("ValidationError", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
		if v > r.MaxSession {
			return nil, badRequest("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		dur = time.Duration(v) * time.Second
	}
	if _, chained := s.hub.sessions.get(c.accessKey); chained && dur > time.Hour {
		return nil, badRequest("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	rs := newRoleSession(s.part(), acct, r, name, s.opts.Clock.Now().Add(dur))
	s.hub.sessions.add(rs)
	return queryResponse(c, assumeRoleResult(r.ID+":"+name, rs.arn(), rs.Creds, rs.Expires)), nil
}

// trustAllows evaluates a role's trust policy for a caller.
func trustAllows(r *iamRole, acct, caller, callerAcct string) (bool, error) {
	doc, err := policy.Parse([]byte(r.Trust))
	if err != nil {
		return false, err
	}
	part := "aws"
	if f := strings.SplitN(caller, ":", 3); len(f) == 3 && f[0] == "arn" {
		part = f[1] // the role is in its caller's partition
	}
	req := policy.Request{Action: "sts:AssumeRole", Resource: r.arn(part, acct), Principal: caller, PrincipalAccount: callerAcct}
	return policy.EvaluateAs(policy.TypeRepository, doc, req).Allowed(), nil
}

// Fleet files: what a facilitator's machine would have to reach the
// accounts, written beside the world.

// FleetFiles are the AWS CLI profiles of every account (one per learner's
// account, facilitator for the management account) and a file of their
// OrganizationAccountAccessRole ARNs, one a line.
type FleetFiles struct {
	ConfigFile      string   `json:"configFile"`
	CredentialsFile string   `json:"credentialsFile"`
	RolesFile       string   `json:"rolesFile"`
	Profiles        []string `json:"profiles"`
}

func (s *Sandbox) writeFleetFiles() error {
	h := s.hub
	dir := filepath.Join(s.opts.StateDir, "fleet")
	if s.opts.StateDir == "" {
		dir = filepath.Join(s.tempDir, "fleet")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ff := &FleetFiles{ConfigFile: filepath.Join(dir, "config"), CredentialsFile: filepath.Join(dir, "credentials"), RolesFile: filepath.Join(dir, "roles.txt")}
	var cfg, creds, roles strings.Builder
	if s.profile != nil {
		// The laptop world's own profile stays where it was.
		if b, err := os.ReadFile(s.profile.ConfigFile); err == nil {
			cfg.Write(b)
		}
		if b, err := os.ReadFile(s.profile.CredentialsFile); err == nil {
			creds.Write(b)
		}
	}
	for _, acct := range h.accounts {
		name := h.accountName(acct)
		c, _ := s.AccountCredentials(acct)
		fmt.Fprintf(&cfg, "[profile %s]\nregion = %s\n\n", name, s.opts.Region)
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", name, c.AccessKeyID, c.SecretAccessKey)
		ff.Profiles = append(ff.Profiles, name)
		if acct != h.accounts[0] {
			fmt.Fprintf(&roles, "arn:aws:iam::%s:role/%s\n", acct, OrgAccessRole)
		}
	}
	for _, f := range []struct{ path, body string }{{ff.ConfigFile, cfg.String()}, {ff.CredentialsFile, creds.String()}, {ff.RolesFile, roles.String()}} {
		if err := writeFileAtomic(f.path, []byte(f.body), 0o600); err != nil {
			return err
		}
	}
	s.fleet = ff
	return nil
}

// Fleet is the facilitator's files (nil with a single account).
func (s *Sandbox) Fleet() *FleetFiles { return s.fleet }
