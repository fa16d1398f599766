package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of the sandbox world.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-west-2"
	// RepoA is the repository the lab pushes to and lists.
	RepoA = "team-a/alpine"
)

// Options configure a sandbox. The zero value is a valid, in-memory sandbox
// with instant timing.
type Options struct {
	// Account is the 12-digit account id of the world (default 123456789012).
	Account string
	// Region is the region of the world (default us-west-2).
	Region string

	// StateDir holds the persistent world (state.json) and its lock. Empty
	// means the world lives in memory only and no lock is taken.
	StateDir string
	// Reset discards any world saved in StateDir and starts a fresh one.
	Reset bool
	// World names the kind of place the workspace is (see WorldNames): it
	// shapes a new world, and a saved world must be of that kind. Empty
	// means the saved world's kind, or DefaultWorld for a new one.
	World string

	// Timing gives the durations of the endpoint life cycle. The zero value is
	// Instant; the command line defaults to Realistic.
	Timing Timing
	// Clock drives every time-dependent state transition, IMDS token
	// expiry and the schedules. Nil means the wall clock, moved ahead by
	// what AdvanceClock added (an OffsetClock, saved with the world).
	Clock Clock

	// Faults inject throttling, 5xx errors, latency, failing endpoints, DNS
	// that never switches and awkward starting worlds.
	Faults Faults

	// IMDSv2Required makes IMDS answer 401 to requests without a session
	// token, like an instance with HttpTokens=required.
	IMDSv2Required bool

	// ServiceZones overrides the availability zones an endpoint service is
	// offered in, keyed by service name (com.amazonaws.REGION.ecr.dkr). Useful
	// to provoke the "AZ not offered" error.
	ServiceZones map[string][]string

	// Recorder receives every API call (after authentication). The sandbox
	// always keeps its own log too, see Sandbox.Calls.
	Recorder Recorder
	// Interceptors run, in order, after authentication and before an API
	// operation; the first one to return an error answers the request with it.
	// This is the hook for fault injection (throttling, 5xx, latency).
	Interceptors []Interceptor

	// MaxBodyBytes bounds API request bodies (default 1 MiB); larger
	// requests get an AWS-shaped error.
	MaxBodyBytes int64
	// MaxLayerBytes bounds one layer pushed to the registry (default
	// ECRMaxLayerBytes, Amazon ECR's 52,000 MiB).
	MaxLayerBytes int64
	// UploadExpiry is how long a layer upload no request touches lives
	// (default DefaultUploadExpiry, an hour).
	UploadExpiry time.Duration
	// maxWorldBytes bounds the saved world (DefaultMaxWorldBytes; tests
	// lower it).
	maxWorldBytes int64

	// Logger receives one line per request at debug level and problems at
	// warn level. Nil discards.
	Logger *slog.Logger

	// Accounts is how many accounts the sandbox serves (default 1): the
	// world's own, the management account of an organization, and
	// Accounts-1 members, each with OrganizationAccountAccessRole (org.go).
	Accounts int
	// Regions are more regions every account has a world in (the world's
	// region is always the first); DescribeRegions lists them all.
	Regions []string
	// FleetDemo seeds, in every account and region, a learner's run at
	// one stage or another, some expired, one failed (fleetdemo.go).
	FleetDemo bool
}

// Timing holds the durations of the endpoint life cycle. Each is fixed, or,
// when its Max is above it, drawn for each resource from [duration, Max]
// (whole seconds, uniformly), from a hash of Seed and the resource's id: the
// same seed and world give the same durations, and a restarted sandbox keeps
// the ones already drawn (they are stored as due times).
type Timing struct {
	// EndpointAvailable is how long an interface endpoint stays pending.
	EndpointAvailable time.Duration `json:"endpointAvailable"`
	// EndpointDelete is how long an interface endpoint stays deleting (a
	// gateway endpoint is deleted at once).
	EndpointDelete time.Duration `json:"endpointDelete"`
	// ENIRelease is how long the network interfaces of a deleted interface
	// endpoint linger after it is deleted.
	ENIRelease time.Duration `json:"eniRelease"`
	// DNSSwitch is how long after an endpoint becomes available its private
	// DNS starts answering.
	DNSSwitch time.Duration `json:"dnsSwitch"`

	// The upper bounds of the draws; zero (or not above the duration)
	// means the duration is fixed.
	EndpointAvailableMax time.Duration `json:"endpointAvailableMax,omitempty"`
	EndpointDeleteMax    time.Duration `json:"endpointDeleteMax,omitempty"`
	ENIReleaseMax        time.Duration `json:"eniReleaseMax,omitempty"`
	DNSSwitchMax         time.Duration `json:"dnsSwitchMax,omitempty"`
	// Seed of the draws.
	Seed uint64 `json:"seed,omitempty"`

	// ReadLag is how long, at most, EC2's reads lag its writes (eventual
	// consistency): each new security group and endpoint draws its own lag
	// from [0, ReadLag], during which Describe* and the calls that name it
	// answer NotFound; each deleted one draws another, during which reads
	// still show it as it was. "If you run a command to modify or describe
	// the resource that you just created, its ID might not have propagated
	// throughout the system, and you will get an error responding that the
	// resource does not exist."
	// [https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html;
	// research I.1]
	ReadLag time.Duration `json:"readLag,omitempty"`
	// PolicyPropagation is how long after ModifyVpcEndpoint a new endpoint
	// policy takes to be enforced; until then requests are judged by the
	// one it replaced. "After you update an endpoint policy, it can take a
	// few minutes for the changes to take effect."
	// [https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html;
	// research I.2]
	PolicyPropagation time.Duration `json:"policyPropagation,omitempty"`
	// SecurityGroupDrop is how long a connection to an interface endpoint
	// whose security groups do not admit the workspace on tcp/443 is held,
	// unanswered, before the sandbox closes it. AWS drops such packets
	// silently: the client hears nothing until its own timeout (the
	// lab's connect timeout is 10 s, and the SDK tries up to ten times).
	// Zero closes the connection at once (tests).
	SecurityGroupDrop time.Duration `json:"securityGroupDrop,omitempty"`
}

// Timing presets.
var (
	Realistic = Timing{
		EndpointAvailable: 20 * time.Second,
		EndpointDelete:    10 * time.Second,
		ENIRelease:        15 * time.Second,
		DNSSwitch:         5 * time.Second,
		ReadLag:           2 * time.Second,
		SecurityGroupDrop: 3 * time.Second,
	}
	Instant = Timing{}
	// AWS draws each duration from the range AWS takes: an interface
	// endpoint is pending one to three minutes and deleting 20 s to a
	// minute, its network interfaces linger one to five minutes after it is
	// deleted (DeleteSecurityGroup answers DependencyViolation meanwhile),
	// and its private DNS answers up to a minute after it is available.
	// Facilitators rehearse with it to see a workshop's real pace.
	AWS = Timing{
		EndpointAvailable: time.Minute, EndpointAvailableMax: 3 * time.Minute,
		EndpointDelete: 20 * time.Second, EndpointDeleteMax: time.Minute,
		ENIRelease: time.Minute, ENIReleaseMax: 5 * time.Minute,
		DNSSwitch: 0, DNSSwitchMax: time.Minute,
		ReadLag:           5 * time.Second,
		SecurityGroupDrop: 10 * time.Second,
	}
)

// TimingNames lists the named timing sets.
func TimingNames() []string { return []string{"realistic", "instant", "aws"} }

// TimingByName returns a named timing set.
func TimingByName(name string) (Timing, error) {
	switch strings.ToLower(name) {
	case "realistic", "":
		return Realistic, nil
	case "instant":
		return Instant, nil
	case "aws":
		return AWS, nil
	}
	return Timing{}, fmt.Errorf("unknown timing %q (want one of %s)", name, strings.Join(TimingNames(), ", "))
}

// Drawn reports whether any duration is drawn from a range.
func (t Timing) Drawn() bool {
	return t.EndpointAvailableMax > t.EndpointAvailable || t.EndpointDeleteMax > t.EndpointDelete ||
		t.ENIReleaseMax > t.ENIRelease || t.DNSSwitchMax > t.DNSSwitch
}

// Longest returns the longest each duration can be: what a client's waits
// must allow for.
func (t Timing) Longest() Timing {
	return Timing{
		EndpointAvailable: max(t.EndpointAvailable, t.EndpointAvailableMax),
		EndpointDelete:    max(t.EndpointDelete, t.EndpointDeleteMax),
		ENIRelease:        max(t.ENIRelease, t.ENIReleaseMax),
		DNSSwitch:         max(t.DNSSwitch, t.DNSSwitchMax),
		ReadLag:           t.ReadLag,
		PolicyPropagation: t.PolicyPropagation,
		SecurityGroupDrop: t.SecurityGroupDrop,
	}
}

// The durations for one resource, drawn from its id.
func (t Timing) pending(id string) time.Duration {
	return t.draw(t.EndpointAvailable, t.EndpointAvailableMax, "pending", id)
}
func (t Timing) deleting(id string) time.Duration {
	return t.draw(t.EndpointDelete, t.EndpointDeleteMax, "deleting", id)
}
func (t Timing) eniRelease(id string) time.Duration {
	return t.draw(t.ENIRelease, t.ENIReleaseMax, "eni-release", id)
}
func (t Timing) dnsSwitch(id string) time.Duration {
	return t.draw(t.DNSSwitch, t.DNSSwitchMax, "dns-switch", id)
}

// readLag is how long reads of resource id lag a write of kind what
// ("created", "deleted") to it.
func (t Timing) readLag(what, id string) time.Duration {
	return t.draw(0, t.ReadLag, "read-lag/"+what, id)
}

func (t Timing) draw(lo, hi time.Duration, what, id string) time.Duration {
	if hi <= lo {
		return lo
	}
	unit := time.Second
	if hi-lo < 10*time.Second {
		unit = time.Millisecond // short ranges (tests) keep their spread
	}
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], t.Seed)
	sum := sha256.Sum256([]byte(string(seed[:]) + "/" + what + "/" + id))
	steps := uint64((hi-lo)/unit) + 1
	return lo + time.Duration(binary.BigEndian.Uint64(sum[:8])%steps)*unit
}

// Clock tells the sandbox what time it is.
type Clock interface {
	Now() time.Time
}

// ManualClock is a clock that only moves when told to; safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock standing at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Call is one recorded API call.
type Call struct {
	Time time.Time `json:"time"`
	// Service is ec2, ecr, sts or imds.
	Service string `json:"service"`
	// Action is the operation name, e.g. CreateVpcEndpoint.
	Action string `json:"action"`
	// AccessKeyID that signed the request (empty for IMDS).
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// DryRun is set for EC2 calls made with DryRun=true.
	DryRun bool `json:"dryRun,omitempty"`
	// ErrorCode is the AWS error code answered, empty on success. For the
	// registry it is the registry's error code (DENIED, UNAUTHORIZED, ...);
	// a 404 (a layer or tag that is not there) counts as success.
	ErrorCode string `json:"errorCode,omitempty"`
	// Via is "registry" for a Docker registry request, recorded under the ECR
	// action it maps to (PutImage, BatchCheckLayerAvailability, ...); empty
	// for API calls.
	Via string `json:"via,omitempty"`
}

// IAMAction returns the IAM action name of the call, e.g.
// ec2:CreateVpcEndpoint (empty for IMDS, which IAM does not govern).
func (c Call) IAMAction() string {
	if c.Service == "imds" {
		return ""
	}
	return c.Service + ":" + c.Action
}

// Recorder receives API calls as they complete.
type Recorder interface {
	Record(Call)
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(Call)

// Record calls f.
func (f RecorderFunc) Record(c Call) { f(c) }

// CallLog is an in-memory Recorder, safe for concurrent use.
type CallLog struct {
	mu    sync.Mutex
	calls []Call
}

// Record appends c.
func (l *CallLog) Record(c Call) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// Calls returns a copy of the recorded calls.
func (l *CallLog) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

// Reset forgets the recorded calls.
func (l *CallLog) Reset() {
	l.mu.Lock()
	l.calls = nil
	l.mu.Unlock()
}

// IAMActions returns the distinct IAM actions of successful and DryRun calls,
// sorted: the set a least-privilege policy must allow.
func (l *CallLog) IAMActions() []string {
	seen := map[string]bool{}
	for _, c := range l.Calls() {
		if a := c.IAMAction(); a != "" && (c.ErrorCode == "" || c.ErrorCode == "DryRunOperation") {
			seen[a] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Request describes an authenticated API request to interceptors.
type Request struct {
	Service     string // ec2, ecr or sts
	Action      string
	AccessKeyID string
	Time        time.Time
}

// Interceptor may answer a request with an error before the operation runs
// (return a non-nil *APIError), delay it (sleep, honouring ctx), or let it
// through (return nil).
type Interceptor func(ctx context.Context, req Request) *APIError

func (o *Options) normalise() error {
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if len(o.Account) != 12 || strings.Trim(o.Account, "0123456789") != "" {
		return fmt.Errorf("account %q: want 12 digits", o.Account)
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if !validRegion(o.Region) {
		return fmt.Errorf("region %q: want a region name like us-west-2", o.Region)
	}
	if o.Clock == nil {
		o.Clock = &OffsetClock{}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxLayerBytes <= 0 {
		o.MaxLayerBytes = ECRMaxLayerBytes
	}
	if o.UploadExpiry <= 0 {
		o.UploadExpiry = DefaultUploadExpiry
	}
	if o.maxWorldBytes <= 0 {
		o.maxWorldBytes = DefaultMaxWorldBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Accounts == 0 {
		o.Accounts = 1
	}
	if o.Accounts < 1 || o.Accounts > MaxAccounts {
		return fmt.Errorf("accounts %d: want 1 to %d", o.Accounts, MaxAccounts)
	}
	for _, r := range o.Regions {
		if !validRegion(r) {
			return fmt.Errorf("region %q: want a region name like us-east-1", r)
		}
	}
	if err := o.Faults.check(); err != nil {
		return err
	}
	t := o.Timing
	for _, d := range []time.Duration{t.EndpointAvailable, t.EndpointDelete, t.ENIRelease, t.DNSSwitch,
		t.EndpointAvailableMax, t.EndpointDeleteMax, t.ENIReleaseMax, t.DNSSwitchMax, t.ReadLag, t.PolicyPropagation} {
		if d < 0 {
			return fmt.Errorf("timing: negative duration %s", d)
		}
	}
	return nil
}

func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	last := parts[len(parts)-1]
	return strings.Trim(last, "0123456789") == ""
}
