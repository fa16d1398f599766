// Package steps is the lab itself: the workshop's steps in order, each with
// Run (idempotent: it adopts what already exists), Check (read-only) and
// Undo; the tests that prove the endpoint policy; teardown; the state file
// and the ~/.ecr_security lines. Steps never print: they report progress as
// Events, which the headless commands print as lines and the wizard turns
// into messages.
//
// Every method of Lab is safe to call from any goroutine. Operations (Run,
// Check, Undo, Up, RunSteps, Tests, ApplyPolicy, Teardown, Status and the
// preflight fixes) run one at a time: a second call waits for the first.
// State, Steps, Config, Cost and Resumed never wait for an operation, so a
// UI may call them at any time, even from an event sink (which must not
// start operations itself). Events reach the sink one at a time, in order.
//
// All I/O honours the context, with one deliberate exception: a create or
// delete already sent to AWS is allowed to finish (bounded to two minutes)
// and be recorded when the context is cancelled, so an interruption never
// leaves a resource the state file does not know.
package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
)

// StepID names a step.
type StepID string

// The lab's steps, in order.
const (
	StepDiscover      StepID = "discover"
	StepPreflight     StepID = "preflight"
	StepSecurityGroup StepID = "security-group"
	StepIngress       StepID = "ingress"
	StepPolicy        StepID = "policy"
	StepEndpoints     StepID = "endpoints"
	StepDNS           StepID = "dns"
	StepPush          StepID = "push"
	StepList          StepID = "list"
	StepPull          StepID = "pull"
	// StepTeardown is not in Steps(); teardown events carry it.
	StepTeardown StepID = "teardown"
	// StepReport tags the events of Status.
	StepReport StepID = "status"
)

// Endpoint keys in State.Endpoints.
const (
	EndpointDKR = "ecr.dkr"
	EndpointAPI = "ecr.api"
	EndpointS3  = "s3"
)

// EndpointKeys lists the lab's endpoints in creation order.
var EndpointKeys = []string{EndpointDKR, EndpointAPI, EndpointS3}

// Config is what the learner chose.
type Config struct {
	// Mode is "aws" or "sandbox"; it names the state file and shows in events.
	Mode string
	// Account is the workshop's ACCOUNT_ID, if set; STS has the last word.
	Account string
	// Repo is the repository the policy protects (ECR_REPO_A).
	Repo string
	// SourceTag is the tag the push copies (v1); PushTag the one it pushes (v2).
	SourceTag, PushTag string
	// Deny lists the ECR actions the default policy denies on Repo.
	Deny []string
	// Policy, when set, replaces the default policy.
	Policy *policy.Document
	// Target says which endpoints get the policy.
	Target Target
	// Workspace holds explicit IDs (VpcID, SubnetID, SecurityGroupID) for a
	// workspace that is not discovered through IMDS.
	Workspace awsops.Workspace
	// GroupName is the endpoints' security group name (ECR_VPCE_SG).
	GroupName string
	// Adopt lets the lab take over an existing ECR endpoint with private DNS
	// in the VPC (AWS allows only one per service).
	Adopt bool
	// EnableVPCDNS lets preflight turn on the VPC's DNS attributes.
	EnableVPCDNS bool
	// CreateRepo lets preflight create the repository and push SourceTag.
	CreateRepo bool
	// DNSTimeout bounds the wait for private DNS (default 10 minutes).
	DNSTimeout time.Duration
	// PolicyPropagation is how long after a policy change a test whose
	// outcome contradicts the new policy is tried again (default
	// DefaultPolicyPropagation): AWS says a changed endpoint policy "can
	// take a few minutes" to take effect.
	PolicyPropagation time.Duration
	// EnvFile is ~/.ecr_security ("" to leave it alone).
	EnvFile string
	// Expires is how long the run lives before the auto-teardown removes
	// it (expiry.go): zero for the default (DefaultExpires) on a new run
	// and the saved expiry on a resumed one; NeverExpires to opt out.
	Expires time.Duration
	// Now is the clock (default: AWS's, awsops.Cloud.Now).
	Now func() time.Time
	// Elsewhere are the lab's other vantage points, for the challenges'
	// live checks (the sandbox has them; AWS does not).
	Elsewhere Elsewhere
	// PolicySettle bounds the wait for a policy a challenge applies to
	// take effect (default 5 minutes: AWS says "a few minutes").
	PolicySettle time.Duration
	// Again are the flags that chose this lab (" --sandbox --state-dir
	// DIR"): the lab's own commands in its fixes carry them, so that
	// they open the same lab, on the sandbox the sandbox (labCmd).
	Again string
	// RetryTeardown, when set, is how the learner runs the teardown
	// again here ("press r to try again", the wizard's key), said in the
	// teardown's fixes in place of running down again.
	RetryTeardown string
}

func (c *Config) normalise() {
	if c.Mode == "" {
		c.Mode = "aws"
	}
	if c.Repo == "" {
		c.Repo = policy.DefaultRepository
	}
	if c.SourceTag == "" {
		c.SourceTag = "v1"
	}
	if c.PushTag == "" {
		c.PushTag = "v2"
	}
	if len(c.Deny) == 0 {
		c.Deny = []string{"ecr:PutImage"}
	}
	if c.Target == "" {
		c.Target = TargetBoth
	}
	if c.GroupName == "" {
		c.GroupName = "ECR_VPCE_SG"
	}
	if c.DNSTimeout <= 0 {
		c.DNSTimeout = 10 * time.Minute
	}
	if c.PolicyPropagation <= 0 {
		c.PolicyPropagation = DefaultPolicyPropagation
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PolicySettle <= 0 {
		c.PolicySettle = 5 * time.Minute
	}
}

// Lab runs the lab against one Cloud.
type Lab struct {
	cloud *awsops.Cloud
	cfg   Config
	store *Store
	em    *Emitter
	env   EnvFile

	op    sync.Mutex // one operation at a time
	envMu sync.Mutex // serialises ~/.ecr_security rewrites
	// envNoted is set once the learner was told that ~/.ecr_security
	// leads out of their home directory (under envMu).
	envNoted bool
	mu       sync.Mutex // guards st, seq and loaded
	st       State
	// seq numbers state changes; saved is the last one written (saveMu).
	seq, saved int
	saveMu     sync.Mutex
	// loaded reports whether st came from the state file.
	loaded bool
	// place is where the lab runs, once told (SetEnvironment).
	place *Environment
	// recovered: st was rebuilt from the resources' tags (Recover).
	recovered bool
}

// New returns a Lab. It loads the saved state from store when there is one
// (a damaged state file is an error: the caller decides whether to fall
// back to tags); otherwise it starts a new run.
func New(cfg Config, cloud *awsops.Cloud, store *Store, em *Emitter) (*Lab, error) {
	l := newLab(cfg, cloud, store, em)
	st, err := store.Load()
	switch {
	case err == nil:
		if st.Mode != l.cfg.Mode {
			return nil, fmt.Errorf("the state file %s belongs to %s mode, not %s", store.Path(), st.Mode, l.cfg.Mode)
		}
		l.st, l.loaded = st, true
	case errors.Is(err, ErrNoState):
		l.st = newState(l.cfg.Mode, l.cfg.Now())
	default:
		return nil, err
	}
	if l.st.Region == "" {
		l.st.Region = cloud.Region()
	} else if l.st.Region != cloud.Region() && l.st.HasResources() {
		return nil, fmt.Errorf("the saved lab runs in %s, not %s: pass --region %s (or run 'down --region %s' first)",
			l.st.Region, cloud.Region(), l.st.Region, l.st.Region)
	}
	if l.st.Repo == "" {
		l.st.Repo = l.cfg.Repo
	}
	// The names AWS gave an earlier command stand until it is asked again.
	cloud.UseNames(l.st.Names)
	return l, nil
}

// NewFresh is New ignoring any saved state (for 'down' and 'status' when
// the state file is damaged: they fall back to tags).
func NewFresh(cfg Config, cloud *awsops.Cloud, store *Store, em *Emitter) *Lab {
	l := newLab(cfg, cloud, store, em)
	l.st = newState(l.cfg.Mode, l.cfg.Now())
	l.st.Region = cloud.Region()
	l.st.Repo = l.cfg.Repo
	return l
}

// newLab is a Lab with cfg completed (the cloud's clock, the defaults) and
// no state yet: New and NewFresh differ only in where the state comes from.
func newLab(cfg Config, cloud *awsops.Cloud, store *Store, em *Emitter) *Lab {
	if cfg.Now == nil {
		cfg.Now = cloud.Now
	}
	cfg.normalise()
	if em == nil {
		em = NewEmitter(nil)
	}
	return &Lab{cloud: cloud, cfg: cfg, store: store, em: em, env: EnvFile{Path: cfg.EnvFile}}
}

// Resumed reports whether the lab continues a saved run.
func (l *Lab) Resumed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded
}

// State returns a copy of the lab's state.
func (l *Lab) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.clone()
}

// Config returns the lab's configuration.
func (l *Lab) Config() Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

// Region is the AWS region the lab works in.
func (l *Lab) Region() string { return l.cloud.Region() }

// update changes the state under the lock, saves it, and publishes a copy
// as an EventState. The lock is not held while the file is written (an
// fsync can take long, and State must never wait for it); saves are
// ordered by a sequence number so an older state never overwrites a newer.
func (l *Lab) update(fn func(*State)) error {
	l.mu.Lock()
	fn(&l.st)
	l.st.Updated = l.cfg.Now()
	l.seq++
	seq := l.seq
	b, err := json.Marshal(l.st)
	snap := l.st.clone()
	l.mu.Unlock()

	l.saveMu.Lock()
	if err == nil && seq > l.saved {
		if err = l.store.saveEncoded(b); err == nil {
			l.saved = seq
		}
	}
	l.saveMu.Unlock()
	if err != nil {
		return &problem.Error{Kind: problem.Local, Op: "save the lab's state", Message: err.Error(), Err: err,
			Fix: "check that the state directory " + l.store.Dir + " is writable (or pass --state-dir)"}
	}
	l.mu.Lock()
	l.loaded = true
	l.mu.Unlock()
	l.publish(snap)
	return nil
}

// publish sends a copy of the state to the event sink.
func (l *Lab) publish(st State) {
	l.em.Emit(Event{Kind: EventState, State: &st})
}

func (l *Lab) read() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// emit sends an event for step s.
func (l *Lab) emit(s StepID, e Event) {
	e.Step = s
	l.em.Emit(e)
}

// labCmd is one of the lab's own commands (sub: "up", "down --all") as a
// fix says it, with the flags that chose this lab (Config.Again).
func (l *Lab) labCmd(sub string) string { return l.commands().lab(sub) }

// commands names what the lab tells a learner to type: the AWS CLI as this
// lab's world needs it (awsops.Cloud.CLI: on the sandbox, with its
// endpoint) and the lab's own commands with the flags that chose it
// (Config.Again). The zero value says both plain.
// registry, when set, is the registry docker logs in to instead of ECR's
// host name (awsops.Cloud.RegistryAddr).
type commands struct{ awsCLI, again, registry string }

func (l *Lab) commands() commands {
	return commands{awsCLI: l.cloud.CLI(), again: l.cfg.Again, registry: l.cloud.RegistryAddr()}
}

// aws is the AWS CLI command with these arguments ("ecr list-images ...").
func (c commands) aws(args string) string { return awsops.CLILine(c.awsCLI, "aws "+args) }

// lab is one of the lab's own commands (sub: "up", "explain --op push").
func (c commands) lab(sub string) string { return "ecr-vpce-lab " + sub + c.again }

// downAgain says how to run the teardown again: the wizard's key, or down.
func (l *Lab) downAgain() string {
	if l.cfg.RetryTeardown != "" {
		return l.cfg.RetryTeardown
	}
	return "run '" + l.labCmd("down") + "' again"
}

func (l *Lab) detail(s StepID, format string, args ...any) {
	l.emit(s, Event{Kind: EventDetail, Message: fmt.Sprintf(format, args...)})
}

func (l *Lab) command(s StepID, c awsops.Command) {
	if c.IsZero() {
		return
	}
	l.emit(s, Event{Kind: EventCommand, Command: &c})
}

func (l *Lab) resource(s StepID, r ResourceEvent) {
	l.emit(s, Event{Kind: EventResource, Resource: &r})
}

// removed tells what a teardown removed (or put back) and notes it in the
// teardown's report, when there is one.
func (l *Lab) removed(s StepID, ev ResourceEvent, rep *TeardownReport) {
	l.resource(s, ev)
	if rep != nil {
		rep.Deleted = append(rep.Deleted, ev)
	}
}

// onLag returns what tells the learner, on step s's lines, that EC2 does
// not know what (created at since) yet and the call is tried again.
func (l *Lab) onLag(s StepID, what string, since time.Time) func(error, time.Duration) {
	return func(_ error, wait time.Duration) {
		l.detail(s, "%s", awsops.LagNote(what, since, wait))
	}
}

// tags returns the tags of a new resource: the run, its expiry, a name.
func (l *Lab) tags(name string) awsops.Tags {
	st := l.read()
	t := awsops.Tags{TagKey: st.RunID, "Name": name}
	if st.NeverExpires || !st.ExpiresAt.IsZero() {
		t[ExpiresTagKey] = expiresValue(st)
	}
	return t
}

// Step is one step of the lab.
type Step struct {
	ID      StepID `json:"id"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// Mutates is set for steps that change AWS (they need confirmation).
	Mutates bool `json:"mutates"`
	// Skippable is set for steps the learner may go on without (nothing
	// later needs what they make); see Skip.
	Skippable bool `json:"skippable,omitempty"`
	run       func(l *Lab, ctx context.Context) error
	check     func(l *Lab, ctx context.Context) (CheckResult, error)
	undo      func(l *Lab, ctx context.Context) error
}

// StepInfo is a step and its last outcome, for step lists.
type StepInfo struct {
	Step
	Status  StepStatus `json:"status,omitempty"`
	At      time.Time  `json:"at,omitzero"`
	Message string     `json:"message,omitempty"`
	// Code is a failure's code, for machines (StepRecord.Code).
	Code string `json:"code,omitempty"`
}

// CheckItem is one line of a check (a preflight checklist item).
type CheckItem struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
	Fix     string `json:"fix,omitempty"`
	// Action names what the Lab can do to fix it (see Fix* constants).
	Action string `json:"action,omitempty"`
	// Warning marks an item that does not stop the lab.
	Warning bool `json:"warning,omitempty"`
}

// Fix actions a caller can offer for a failed check item.
const (
	FixEnableVPCDNS = "enable-vpc-dns"
	FixAdopt        = "adopt-endpoint"
	FixCreateRepo   = "create-repository"
	FixWorkspace    = "choose-workspace"
)

// CheckResult is the outcome of a read-only check.
type CheckResult struct {
	Step StepID `json:"step"`
	OK   bool   `json:"ok"`
	// Unproven marks a test that is not OK only because its requests
	// went around the endpoints (TestResult.Unproven): not a failure,
	// and not a pass; Message says why and what to do.
	Unproven bool        `json:"unproven,omitempty"`
	Message  string      `json:"message"`
	Items    []CheckItem `json:"items,omitempty"`
}

var allSteps = []Step{
	{ID: StepDiscover, Title: "Discover the workspace",
		Summary: "find the workspace's VPC, subnet, security group and route table, and who you are",
		run:     (*Lab).runDiscover, check: (*Lab).checkDiscover, undo: (*Lab).undoNothing},
	{ID: StepPreflight, Title: "Preflight checks",
		Summary: "check VPC DNS, existing endpoints, service zones, the repository and permissions",
		run:     (*Lab).runPreflight, check: (*Lab).checkPreflight, undo: (*Lab).undoNothing},
	{ID: StepSecurityGroup, Title: "Security group for the endpoints", Mutates: true,
		Summary: "create ECR_VPCE_SG in the workspace VPC (or reuse it)",
		run:     (*Lab).runSecurityGroup, check: (*Lab).checkSecurityGroup, undo: (*Lab).undoSecurityGroup},
	{ID: StepIngress, Title: "Allow HTTPS from the workspace", Mutates: true,
		Summary: "allow tcp/443 into the endpoints' group from the workspace's group",
		run:     (*Lab).runIngress, check: (*Lab).checkIngress, undo: (*Lab).undoIngress},
	{ID: StepPolicy, Title: "Endpoint policy",
		Summary: "allow everything, deny ecr:PutImage on the lab repository",
		run:     (*Lab).runPolicy, check: (*Lab).checkPolicy, undo: (*Lab).undoPolicy},
	{ID: StepEndpoints, Title: "VPC endpoints", Mutates: true,
		Summary: "create ecr.dkr and ecr.api (interface, private DNS, with the policy) and s3 (gateway), then wait until available",
		run:     (*Lab).runEndpoints, check: (*Lab).checkEndpoints, undo: (*Lab).undoEndpoints},
	{ID: StepDNS, Title: "Private DNS", Skippable: true,
		Summary: "wait until both ECR host names resolve to private addresses in the VPC",
		run:     (*Lab).runDNS, check: (*Lab).checkDNS, undo: (*Lab).undoNothing},
	{ID: StepPush, Title: "Push test", Mutates: true,
		Summary: "push the local copy of REPO:v1 as REPO:v2: the endpoint policy should refuse PutImage",
		run:     (*Lab).runPushTest, check: checkTest(StepPush), undo: (*Lab).undoPush},
	{ID: StepList, Title: "List test",
		Summary: "list the repository's images through the ECR API: allowed",
		run:     (*Lab).runListTest, check: checkTest(StepList), undo: (*Lab).undoNothing},
	{ID: StepPull, Title: "Pull test",
		Summary: "pull REPO:v1 through the registry: allowed",
		run:     (*Lab).runPullTest, check: checkTest(StepPull), undo: (*Lab).undoNothing},
}

// UpSteps are the steps `up` runs; TestSteps those `test` runs.
var (
	UpSteps   = []StepID{StepDiscover, StepPreflight, StepSecurityGroup, StepIngress, StepPolicy, StepEndpoints, StepDNS}
	TestSteps = []StepID{StepPush, StepList, StepPull}
)

// Steps lists every step with its last outcome.
func (l *Lab) Steps() []StepInfo { return l.stepsOf(l.State()) }

// stepByID finds a step; an ID no step has is the caller's mistake.
func stepByID(id StepID) (Step, error) {
	for _, s := range allSteps {
		if s.ID == id {
			return s, nil
		}
	}
	return Step{}, fmt.Errorf("unknown step %q", id)
}

// Run runs one step, emitting started, then its progress, then done or
// failed (with the fix). It is idempotent: resources that already exist
// are adopted, not duplicated.
func (l *Lab) Run(ctx context.Context, id StepID) error {
	s, err := stepByID(id)
	if err != nil {
		return err
	}
	l.op.Lock()
	defer l.op.Unlock()
	return l.runLocked(ctx, s)
}

func (l *Lab) runLocked(ctx context.Context, s Step) error {
	start := time.Now()
	l.emit(s.ID, Event{Kind: EventStarted, Message: s.Title})
	if err := ctx.Err(); err != nil {
		return l.fail(s, start, stopped(err))
	}
	if reason := l.SkipReason(s.ID); reason != "" {
		return l.skip(s, reason)
	}
	err := s.run(l, ctx)
	if up, ok := errors.AsType[*errUnproven](err); ok {
		// The test ran, but what it showed is not a proof: not a pass,
		// and not a skip either.
		return l.unproven(s, up.reason)
	}
	if err != nil {
		return l.fail(s, start, err)
	}
	rec := StepRecord{Status: StatusDone, At: l.cfg.Now()}
	if serr := l.update(func(st *State) {
		st.setStep(s.ID, rec)
		st.TeardownStarted = time.Time{} // building again, not half torn down
	}); serr != nil {
		return l.fail(s, start, serr)
	}
	l.markStage(ctx, s.ID)
	l.emit(s.ID, Event{Kind: EventDone, Message: s.Title, Elapsed: time.Since(start)})
	return nil
}

// stopped turns a cancelled context into a classified error.
func stopped(err error) error {
	return &problem.Error{Kind: problem.Canceled, Op: "stop", Message: "stopped before starting anything new", Err: err,
		Fix: "run the same command again to continue where it stopped, or 'down' to remove what was created"}
}

func (l *Lab) fail(s Step, start time.Time, err error) error {
	l.keepEncoded(err)
	fix := problem.FixOf(err)
	if fix == "" {
		fix = "run the command again with --verbose to see every API call"
	}
	kind := problem.KindOf(err)
	_ = l.update(func(st *State) {
		status := StatusFailed
		if kind == problem.Canceled {
			status = StatusStopped
		}
		st.setStep(s.ID, StepRecord{Status: status, At: l.cfg.Now(), Message: problem.Words(err), Code: problem.CodeOf(err)})
	})
	l.emit(s.ID, Event{Kind: EventFailed, Message: s.Title, Error: err.Error(), Fix: fix, ErrKind: kind, Err: err, Elapsed: time.Since(start)})
	return &StepError{Step: s.ID, Title: s.Title, Err: err, Fix: fix}
}

// Skip records that the learner goes on without step id: it is saved as
// skipped, never as done, with why (what it means for what follows), and
// reported as an EventSkipped. Only a Skippable step can be skipped; a
// step already done stays done. Like every operation it waits for the one
// running (the caller stops that first, when it is the step to skip).
func (l *Lab) Skip(id StepID, why string) error {
	s, err := stepByID(id)
	if err != nil {
		return err
	}
	if !s.Skippable {
		return &problem.Error{Kind: problem.Invalid, Op: "skip " + s.Title, Message: "the later steps need what this step makes",
			Fix: "run it (or fix what stops it); only the wait for private DNS can be skipped"}
	}
	l.op.Lock()
	defer l.op.Unlock()
	if l.read().Steps[id].Status.Passed() {
		return nil
	}
	return l.skip(s, why)
}

// StepError is a failed step.
type StepError struct {
	Step  StepID
	Title string
	Err   error
	Fix   string
}

func (e *StepError) Error() string { return e.Title + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Check runs a step's read-only check (for resume and the wizard's Check key).
func (l *Lab) Check(ctx context.Context, id StepID) (CheckResult, error) {
	s, err := stepByID(id)
	if err != nil {
		return CheckResult{}, err
	}
	l.op.Lock()
	defer l.op.Unlock()
	r, err := s.check(l, ctx)
	r.Step = id
	return r, err
}

// Undo reverses one step (deletes what it created, restores what it adopted).
func (l *Lab) Undo(ctx context.Context, id StepID) error {
	s, err := stepByID(id)
	if err != nil {
		return err
	}
	l.op.Lock()
	defer l.op.Unlock()
	start := time.Now()
	l.emit(s.ID, Event{Kind: EventStarted, Message: "Undo: " + s.Title})
	if err := s.undo(l, ctx); err != nil {
		return l.fail(s, start, err)
	}
	_ = l.update(func(st *State) { delete(st.Steps, s.ID) })
	l.emit(s.ID, Event{Kind: EventDone, Message: "Undo: " + s.Title, Elapsed: time.Since(start)})
	return nil
}

func (l *Lab) undoNothing(context.Context) error { return nil }

// Up runs the steps of UpSteps in order, stopping at the first failure.
// When ctx is cancelled it starts nothing new: calls already in flight
// finish and are recorded, and the error says how to resume.
func (l *Lab) Up(ctx context.Context) error {
	return l.RunSteps(ctx, UpSteps...)
}

// RunSteps runs the given steps in order, stopping at the first failure.
func (l *Lab) RunSteps(ctx context.Context, ids ...StepID) error {
	l.op.Lock()
	defer l.op.Unlock()
	for _, id := range ids {
		s, err := stepByID(id)
		if err != nil {
			return err
		}
		if err := l.runLocked(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// finish returns a context for a mutating call that must complete and be
// recorded even when ctx is cancelled (Ctrl-C lets in-flight creates
// finish); it is still bounded in time.
func finish(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
}

// Policy returns the endpoint policy in force (or the one the lab would
// apply) as a document.
func (l *Lab) Policy() (*policy.Document, error) {
	st := l.State()
	if len(st.Policy) > 0 {
		return policy.Parse(st.Policy)
	}
	return l.buildPolicy(st)
}

func (l *Lab) buildPolicy(st State) (*policy.Document, error) {
	if l.cfg.Policy != nil {
		return l.cfg.Policy, nil
	}
	account := st.Account
	if account == "" {
		account = l.cfg.Account
	}
	return policy.Default(account, st.Region, l.cfg.Repo, l.cfg.Deny)
}

// endpointPolicy returns the policy JSON an endpoint should carry under the
// current target ("" = AWS's default).
func endpointPolicy(key string, pol string, target Target) string {
	if target.Carries(key) {
		return pol
	}
	return ""
}

// keepEncoded puts the encoded authorization message AWS attached to the
// refusal in err (hundreds of characters; a real one runs past a thousand)
// in a file beside the state, and has the fix's command read it from
// there: the fix stays a line a learner can read and copy, and still
// says that AWS explained the refusal and how to decode it. The whole
// message stays in the file, and in the fix when the file cannot be
// written.
func (l *Lab) keepEncoded(err error) {
	pe, ok := problem.As(err)
	if !ok || pe.Encoded == "" || l.store == nil {
		return
	}
	// The Cloud said the command as its world needs it (Cloud.classify),
	// or plain.
	long := l.cloud.RunnableLine(awsops.DecodeCommand(pe.Encoded))
	if !strings.Contains(pe.Fix, long) {
		long = awsops.DecodeCommand(pe.Encoded)
	}
	if !strings.Contains(pe.Fix, long) {
		return
	}
	cmd := long
	path := l.store.AuthMessagePath(pe.Encoded)
	if os.MkdirAll(l.store.Dir, 0o700) == nil && os.WriteFile(path, []byte(pe.Encoded), 0o600) == nil {
		cmd = awsops.DecodeFileCommand(path)
	}
	pe.Fix = strings.Replace(pe.Fix, long, l.cloud.RunnableLine(cmd), 1)
}
