// Package fleet is the facilitator's view across a workshop's accounts: for
// every account and region, which run of the lab is there, how far its
// learner got and since when, what it costs, when it expires and whether a
// schedule will remove it; and the sweep that tears runs down. It reads
// only what AWS shows (the lab's tags, its schedules' and roles' names),
// never a learner's state file. Calls run concurrently with a bound, each
// client retries with the SDK's retryer, and an account that cannot be
// reached is a row with the reason, never the end of the survey.
package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// DefaultRoleName is the role AWS Organizations creates in the accounts it
// creates (research F.2).
const DefaultRoleName = "OrganizationAccountAccessRole"

// DefaultConcurrency bounds the calls in flight.
const DefaultConcurrency = 16

// DefaultStuckAfter is how long a learner may stay at a stage before the
// view calls the run stuck.
const DefaultStuckAfter = 30 * time.Minute

// Source says where the accounts come from: profiles, a file of role ARNs,
// or the organization (one of them).
type Source struct {
	Profiles  []string
	RolesFile string
	Org       bool
	// RoleName is assumed in each account of the organization.
	RoleName string
	// ConfigFiles and CredentialsFiles, when set, hold the profiles
	// (else ~/.aws, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE).
	ConfigFiles, CredentialsFiles []string
}

// Account is one account of the fleet and how to reach it.
type Account struct {
	// ID is the account id; for a profile it is known once reached.
	ID string `json:"id"`
	// Label says where it came from: a profile, an account's name, a role.
	Label string `json:"label"`
	opts  awsops.Options
	// err: the account cannot be reached at all (its rows carry it).
	err error
	// calls counts every call made for the fleet, from Accounts on.
	calls *counter
}

// OpReadRoles is the operation of the errors about the --roles file.
const OpReadRoles = "read the roles file"

// Check refuses a Source that gives no source of accounts, or more than
// one, naming those given.
func (src Source) Check() error {
	names := src.names()
	if len(names) == 1 {
		return nil
	}
	msg := "give one source of accounts"
	if len(names) > 1 {
		msg += ", not " + strings.Join(names, " and ")
	}
	return problem.New(problem.Invalid, "choose the accounts", msg,
		"pass --profiles a,b,c, or --roles FILE (one role ARN a line), or --org")
}

// names are the flags of the sources of accounts src gives (one is
// expected).
func (src Source) names() []string {
	var names []string
	for _, s := range []struct {
		on   bool
		name string
	}{{len(src.Profiles) > 0, "--profiles"}, {src.RolesFile != "", "--roles"}, {src.Org, "--org"}} {
		if s.on {
			names = append(names, s.name)
		}
	}
	return names
}

// Accounts resolves a source into accounts, reached from base (the
// caller's own credentials, endpoints and retries).
func Accounts(ctx context.Context, base *awsops.Cloud, src Source) ([]Account, error) {
	if err := src.Check(); err != nil {
		return nil, err
	}
	role := src.RoleName
	if role == "" {
		role = DefaultRoleName
	}
	// One count of the calls, from the first (the organization's list,
	// the roles assumed) to the last.
	calls := &counter{}
	bo := base.Options()
	prev := bo.Observer
	bo.Observer = func(c awsops.Call) {
		calls.observe(c)
		if prev != nil {
			prev(c)
		}
	}
	base, err := awsops.New(bo)
	if err != nil {
		return nil, err
	}
	var out []Account
	switch {
	case len(src.Profiles) > 0:
		for _, p := range src.Profiles {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			o, err := awsops.WithProfile(ctx, base.Options(), p, src.ConfigFiles, src.CredentialsFiles)
			out = append(out, Account{Label: "profile " + p, opts: o, err: err})
		}
	case src.RolesFile != "":
		arns, err := readRoles(src.RolesFile)
		if err != nil {
			return nil, err
		}
		for _, arn := range arns {
			out = append(out, Account{ID: accountOfARN(arn), Label: arn, opts: base.AssumeRole(arn, "ecr-vpce-lab-fleet")})
		}
	case src.Org:
		me, err := base.WhoAmI(ctx)
		if err != nil {
			return nil, err
		}
		accts, err := base.OrgAccounts(ctx)
		if err != nil {
			return nil, err
		}
		part := awsops.Partition(me.ARN)
		for _, a := range accts {
			if a.State != "" && a.State != "ACTIVE" {
				out = append(out, Account{ID: a.ID, Label: a.Name, err: problem.New(problem.Invalid, "reach the account",
					"the account is "+strings.ToLower(a.State), "nothing to look at: it is not active")})
				continue
			}
			if a.ID == me.Account {
				// The caller's own account: its own credentials.
				out = append(out, Account{ID: a.ID, Label: a.Name, opts: base.Options()})
				continue
			}
			arn := "arn:" + part + ":iam::" + a.ID + ":role/" + role
			out = append(out, Account{ID: a.ID, Label: a.Name, opts: base.AssumeRole(arn, "ecr-vpce-lab-fleet")})
		}
	}
	if len(out) == 0 {
		return nil, problem.New(problem.Invalid, "choose the accounts", "the source names no account", "check the profiles, the file or the organization")
	}
	for i := range out {
		out[i].calls = calls
	}
	return out, nil
}

// readRoles reads a file of role ARNs, one a line (blank lines and # comments
// skipped).
func readRoles(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, problem.New(problem.Local, OpReadRoles, err.Error(), "give a file with one role ARN a line (arn:aws:iam::ACCOUNT:role/NAME)")
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if accountOfARN(s) == "" || !strings.Contains(s, ":role/") {
			return nil, problem.New(problem.Invalid, OpReadRoles, fmt.Sprintf("%s:%d: %q is not a role ARN", path, line, s),
				"write one role ARN a line, like arn:aws:iam::123456789012:role/OrganizationAccountAccessRole")
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, problem.New(problem.Local, OpReadRoles, err.Error(), "check the file")
	}
	return out, nil
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return ""
	}
	return parts[4]
}

// Options shape a survey.
type Options struct {
	// Regions to look in; empty means the accounts' own region, and
	// "all" the regions each account has enabled.
	Regions []string
	// Concurrency bounds the calls in flight (DefaultConcurrency).
	Concurrency int
	// StuckAfter is how long at one stage makes a run stuck.
	StuckAfter time.Duration
}

// Row is one account and region. Its JSON is exactly the shape:
// run, stage, stageSince, expiresAt, schedule and error are null when
// there is nothing to say.
type Row struct {
	Account    string     `json:"account"`
	Region     string     `json:"region"`
	Run        *string    `json:"run"`
	Stage      *string    `json:"stage"`
	StageSince *time.Time `json:"stageSince"`
	// Endpoints counts the lab's endpoints that exist (not deleted).
	Endpoints int     `json:"endpoints"`
	CostSoFar float64 `json:"costSoFar"`
	// Unpriced: interface endpoints exist in a region the lab has no price
	// for, so CostSoFar (0 for them) is not what AWS bills.
	Unpriced bool `json:"unpriced,omitempty"`
	// ExpiresAt is RFC 3339, or "never".
	ExpiresAt *string `json:"expiresAt"`
	// Schedule says whether a schedule will remove the run: the time its
	// endpoints' schedule fires, "none", or "role only" when only the
	// auto-teardown's role is left.
	Schedule *string `json:"schedule"`
	Error    *string `json:"error"`

	// What the view needs beyond the JSON.
	Label   string      `json:"-"`
	Runs    []steps.Run `json:"-"`
	Stuck   bool        `json:"-"`
	Failed  bool        `json:"-"`
	Expired bool        `json:"-"`
	// Finished: the learner went through the whole lab.
	Finished bool    `json:"-"`
	PerHour  float64 `json:"-"`
	account  *Account
}

// Sweepable reports whether D (tear down every expired or finished run)
// takes the row.
func (r Row) Sweepable() bool { return len(r.Runs) > 0 && (r.Expired || r.Finished) }

// StuckFor is how long the row's run has been at its stage.
func (r Row) StuckFor(now time.Time) time.Duration {
	if r.StageSince == nil {
		return 0
	}
	return now.Sub(*r.StageSince)
}

// Survey is one look at every account and region.
type Survey struct {
	Rows []Row `json:"rows"`
	// Calls is how many AWS API calls it made; Took how long.
	Calls int           `json:"-"`
	Took  time.Duration `json:"-"`
	At    time.Time     `json:"-"`
}

// counter counts a fleet's API calls.
type counter struct{ n atomic.Int64 }

func (c *counter) observe(awsops.Call) { c.n.Add(1) }

// clouds makes and keeps one Cloud per account and region.
type clouds struct {
	mu    sync.Mutex
	by    map[string]*awsops.Cloud
	calls *counter
}

func (cs *clouds) get(a *Account, region string) (*awsops.Cloud, error) {
	key := a.Label + "|" + region
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.by[key]; c != nil {
		return c, nil
	}
	o := a.opts
	o.Config = a.opts.Config.Copy()
	if region != "" {
		o.Config.Region = region
	}
	o.Observer = cs.calls.observe
	c, err := awsops.New(o)
	if err != nil {
		return nil, err
	}
	if cs.by == nil {
		cs.by = map[string]*awsops.Cloud{}
	}
	cs.by[key] = c
	return c, nil
}

// Fleet is a set of accounts the view surveys and sweeps, with their
// clients (kept across refreshes: an assumed role is assumed once).
type Fleet struct {
	Accounts []Account
	opts     Options
	clouds   clouds
	calls    *counter
}

// New makes a fleet of the accounts.
func New(accounts []Account, opts Options) *Fleet {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.StuckAfter <= 0 {
		opts.StuckAfter = DefaultStuckAfter
	}
	f := &Fleet{Accounts: accounts, opts: opts, calls: &counter{}}
	if len(accounts) > 0 && accounts[0].calls != nil {
		f.calls = accounts[0].calls
	}
	f.clouds.calls = f.calls
	return f
}

// Calls is how many API calls the fleet has made so far.
func (f *Fleet) Calls() int { return int(f.calls.n.Load()) }

// pool runs tasks with at most n at once.
type pool struct {
	sem chan struct{}
	wg  sync.WaitGroup
}

func newPool(n int) *pool { return &pool{sem: make(chan struct{}, n)} }

func (p *pool) run(ctx context.Context, fn func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-p.sem }()
		fn()
	}()
}

func (p *pool) wait() { p.wg.Wait() }

// Survey looks at every account and region.
func (f *Fleet) Survey(ctx context.Context) (Survey, error) {
	start := time.Now()
	before := f.Calls()
	p := newPool(f.opts.Concurrency)
	var mu sync.Mutex
	var rows []Row
	add := func(r Row) {
		mu.Lock()
		rows = append(rows, r)
		mu.Unlock()
	}
	for i := range f.Accounts {
		a := &f.Accounts[i]
		p.run(ctx, func() {
			f.surveyAccount(ctx, p, a, add)
		})
	}
	p.wait()
	if err := ctx.Err(); err != nil {
		return Survey{}, err
	}
	sortRows(rows)
	return Survey{Rows: rows, Calls: f.Calls() - before, Took: time.Since(start), At: time.Now()}, nil
}

func sortRows(rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Account != rows[j].Account {
			return rows[i].Account < rows[j].Account
		}
		return rows[i].Region < rows[j].Region
	})
}

func errRow(a *Account, region string, err error) Row {
	msg := reason(err)
	id := a.ID
	if id == "" {
		id = a.Label
	}
	return Row{Account: id, Region: region, Error: &msg, Label: a.Label, account: a}
}

// reason says why an account or region could not be read, in a phrase.
func reason(err error) string {
	if pe, ok := problem.As(err); ok {
		switch {
		case pe.Code == "AuthFailure" || pe.Code == "InvalidClientTokenId" || pe.Code == "OptInRequired":
			return "region not enabled, or the credentials are not accepted there (" + pe.Code + ")"
		case strings.Contains(pe.Message, "AssumeRole") || strings.Contains(err.Error(), "AssumeRole"):
			return "cannot assume the role: it is missing, or does not trust you (" + firstLine(pe.Message) + ")"
		case pe.Kind == problem.Permission:
			return "access denied: " + firstLine(pe.Message)
		}
		return firstLine(pe.Message)
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// surveyAccount finds the account's id and regions, then surveys each
// region (and the account's IAM roles, once).
func (f *Fleet) surveyAccount(ctx context.Context, p *pool, a *Account, add func(Row)) {
	regions := f.opts.Regions
	if a.err != nil {
		for _, r := range orDefault(regions, a.opts.Config.Region) {
			add(errRow(a, r, a.err))
		}
		return
	}
	home, err := f.clouds.get(a, "")
	if err != nil {
		add(errRow(a, a.opts.Config.Region, err))
		return
	}
	if a.ID == "" {
		id, err := home.Account(ctx)
		if err != nil {
			for _, r := range orDefault(regions, home.Region()) {
				add(errRow(a, r, err))
			}
			return
		}
		a.ID = id
	}
	if len(regions) == 1 && regions[0] == "all" {
		rs, err := home.EnabledRegions(ctx)
		if err != nil {
			add(errRow(a, "all", err))
			return
		}
		regions = rs
	}
	regions = orDefault(regions, home.Region())
	// The auto-teardown's roles (IAM is global): which runs still have one.
	roles, rerr := home.ListRoles(ctx, steps.TeardownRolePath)
	if problem.KindOf(rerr) == problem.Permission {
		roles, rerr = nil, nil
	}
	for _, region := range regions {
		p.run(ctx, func() {
			if rerr != nil {
				add(errRow(a, region, rerr))
				return
			}
			add(f.surveyRegion(ctx, a, region, roles))
		})
	}
}

func orDefault(regions []string, def string) []string {
	if len(regions) == 0 {
		return []string{def}
	}
	return regions
}

// surveyRegion reads one account and region: the lab's endpoints and
// groups by their tags, the auto-teardown's schedules by their names.
func (f *Fleet) surveyRegion(ctx context.Context, a *Account, region string, roles []awsops.Role) Row {
	c, err := f.clouds.get(a, region)
	if err != nil {
		return errRow(a, region, err)
	}
	row := Row{Account: a.ID, Region: region, Label: a.Label, account: a}
	eps, sgs, err := steps.Tagged(ctx, c, steps.TagKey, "")
	if err != nil {
		return errRow(a, region, err)
	}
	scheds, err := c.ScheduleNames(ctx, "ecr-vpce-lab-")
	if problem.KindOf(err) == problem.Permission {
		scheds, err = nil, nil
	}
	if err != nil {
		return errRow(a, region, err)
	}
	runs := steps.RunsOfTagged(eps, sgs)
	for _, n := range scheds {
		if id, _, ok := steps.RunOfSchedule(n); ok {
			r := runs.Get(id)
			r.Schedules = append(r.Schedules, awsops.Schedule{Name: n})
		}
	}
	for _, ro := range roles {
		id, ok := steps.RunOfRole(ro.Name)
		if !ok {
			continue
		}
		if runs[id] != nil {
			runs[id].Role = ro.Name
		}
	}
	// A role whose run left nothing in any region is reported in the
	// region its tag names (one GetRole each: rare).
	for _, ro := range roles {
		id, ok := steps.RunOfRole(ro.Name)
		if !ok || runs[id] != nil {
			continue
		}
		full, err := c.GetRole(ctx, ro.Name)
		if err != nil || full == nil || full.Tags[steps.RegionTagKey] != region {
			continue
		}
		r := runs.Get(id)
		r.Role = ro.Name
		r.NoteExpiry(full.Tags)
	}
	if len(runs) == 0 {
		return row
	}
	// The newest run first (by its stage or its endpoints' creation).
	row.Runs = runs.List(func(x, y steps.Run) int { return strings.Compare(y.ID, x.ID) })
	f.describe(&row, c.Now())
	return row
}

// describe fills the row's summary from its runs.
func (f *Fleet) describe(row *Row, now time.Time) {
	main := row.Runs[0]
	for _, r := range row.Runs {
		if len(r.Endpoints)+len(r.Groups) > len(main.Endpoints)+len(main.Groups) {
			main = r
		}
	}
	run := main.ID
	if n := len(row.Runs); n > 1 {
		run = fmt.Sprintf("%s (+%d)", main.ID, n-1)
	}
	row.Run = &run
	stage, since := StageOf(main)
	if stage != "" {
		row.Stage = &stage
	}
	if !since.IsZero() {
		s := since.UTC()
		row.StageSince = &s
	}
	// A region the price table lacks counts nothing and says so (Unpriced),
	// as the lab's own status says "no price" rather than guess one.
	rate, priced := steps.HourlyRate(row.Region)
	for _, r := range row.Runs {
		for _, e := range r.Endpoints {
			row.Endpoints++
			if e.Type == awsops.Interface && !e.Failed() {
				row.Unpriced = row.Unpriced || !priced
				// The lab's own rule: begun hours in full, nothing
				// more by the hour once AWS is deleting it.
				b := steps.BillOf(rate, len(e.SubnetIDs), e.Created, steps.EndpointState(e.State), now)
				row.PerHour += b.PerHour
				row.CostSoFar += b.SoFar
			}
		}
	}
	row.CostSoFar = float64(int64(row.CostSoFar*10000+0.5)) / 10000
	switch {
	case main.Never:
		v := "never"
		row.ExpiresAt = &v
	case !main.ExpiresAt.IsZero():
		v := main.ExpiresAt.UTC().Format(time.RFC3339)
		row.ExpiresAt = &v
		row.Expired = !now.Before(main.ExpiresAt)
	}
	sched := "none"
	switch {
	case len(main.Schedules) > 0 && !main.ExpiresAt.IsZero():
		sched = main.ExpiresAt.UTC().Format(time.RFC3339)
	case len(main.Schedules) > 0:
		sched = "scheduled"
	case main.Role != "" && len(main.Endpoints)+len(main.Groups) == 0:
		sched = "ran (role left)"
	}
	row.Schedule = &sched
	row.Failed = stage == StageFailed
	row.Finished = stage == steps.StageFinished || stage == StageRemoved
	row.Stuck = row.Failed || (!row.Finished && stage != "" && !since.IsZero() && now.Sub(since) > f.opts.StuckAfter)
}

// Stages the view adds to the lab's own (steps.Stage*).
const (
	StagePending = "endpoints-pending"
	StageFailed  = "endpoints-failed"
	// StageRemoved: only the auto-teardown's role is left (its schedules
	// ran); nothing bills.
	StageRemoved = "removed"
)

// StageOf is how far a run got, and since when: the stage the lab recorded
// on its security group, unless what exists says more (an endpoint failed,
// or still pending).
func StageOf(r steps.Run) (string, time.Time) {
	var stage string
	var since time.Time
	for _, g := range r.Groups {
		if s, at, ok := steps.ParseStage(g.Tags[steps.StageTagKey]); ok {
			stage, since = s, at
		}
	}
	var newest, pendingSince time.Time
	for _, e := range r.Endpoints {
		if e.Created.After(newest) {
			newest = e.Created
		}
		if e.Failed() {
			return StageFailed, e.Created
		}
		if awsops.SameState(e.State, awsops.StatePending) && (pendingSince.IsZero() || e.Created.Before(pendingSince)) {
			pendingSince = e.Created
		}
	}
	switch {
	case !pendingSince.IsZero():
		return StagePending, pendingSince
	case stage != "":
		return stage, since
	case len(r.Endpoints) > 0:
		return steps.StageEndpoints, newest
	case len(r.Groups) > 0:
		return steps.StageSecurityGroup, time.Time{}
	case r.Role != "":
		return StageRemoved, time.Time{}
	}
	return "", time.Time{}
}

// SweepResult is what a sweep did in one account and region.
type SweepResult struct {
	Account string           `json:"account"`
	Region  string           `json:"region"`
	Runs    []steps.SweptRun `json:"runs"`
	Error   string           `json:"error,omitempty"`
}

// Sweep tears down the given rows' runs (each row's, in its account and
// region), concurrently with the fleet's bound. sink hears every event
// (from several goroutines, one at a time).
func (f *Fleet) Sweep(ctx context.Context, rows []Row, sink func(account, region string, e steps.Event)) []SweepResult {
	p := newPool(f.opts.Concurrency)
	var mu sync.Mutex
	var out []SweepResult
	for _, row := range rows {
		if row.account == nil || len(row.Runs) == 0 {
			continue
		}
		p.run(ctx, func() {
			res := SweepResult{Account: row.Account, Region: row.Region, Runs: []steps.SweptRun{}}
			c, err := f.clouds.get(row.account, row.Region)
			if err == nil {
				// The runs as the survey found them: no second look.
				res.Runs, err = steps.SweepRuns(ctx, c, row.Runs, func(e steps.Event) {
					if sink != nil {
						mu.Lock()
						sink(row.Account, row.Region, e)
						mu.Unlock()
					}
				})
				for _, r := range res.Runs {
					if r.Error != "" && err == nil {
						err = errors.New(r.Error)
					}
				}
			}
			if err != nil {
				res.Error = reason(err)
			}
			mu.Lock()
			out = append(out, res)
			mu.Unlock()
		})
	}
	p.wait()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Region < out[j].Region
	})
	return out
}
