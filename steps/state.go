package steps

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/atomicfile"
	"ecr-vpce-lab/internal/boundedread"
)

// stateVersion is bumped when the state file's format changes incompatibly.
const stateVersion = 1

// TagKey is the tag every resource the lab creates carries, with the run id
// as its value, so teardown finds leftovers even without the state file.
const TagKey = "ecr-vpce-lab:run"

// Record is one AWS resource the lab uses.
type Record struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Created is set when this lab created it (and so removes it); adopted
	// resources are left in place, restored to how they were.
	Created   bool      `json:"created"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// Service and Type, for endpoints.
	Service string        `json:"service,omitempty"`
	Type    string        `json:"type,omitempty"`
	State   ResourceState `json:"state,omitempty"`
	// Listed is set once the lab has seen it in EC2's own listing (a
	// describe, not the create's answer): missing later, it is gone, not
	// EC2's reads lagging (see Lab.unlistedYet).
	Listed bool `json:"listed,omitempty"`
	// AZs counts the zones an interface endpoint has interfaces in (cost).
	AZs int `json:"azs,omitempty"`
	// Addresses are an interface endpoint's network interface addresses,
	// once it is available: what its service's name must resolve to for
	// requests to travel through it.
	Addresses []string `json:"addresses,omitempty"`
	// OriginalPolicy of an adopted endpoint, restored on teardown.
	OriginalPolicy *string `json:"originalPolicy,omitempty"`
	// Attempt numbered re-creations in earlier releases (their ClientToken);
	// see State.Tokens.
	Attempt int `json:"attempt,omitempty"`
}

// StepRecord is the last outcome of a step.
type StepRecord struct {
	Status  StepStatus `json:"status"`
	At      time.Time  `json:"at"`
	Message string     `json:"message,omitempty"`
	// Code is the failure's code (AWS's, or the lab's own such as
	// RefusedElsewhere), for machines: Message says it in words.
	Code string `json:"code,omitempty"`
}

// State is everything the lab remembers between commands.
type State struct {
	Version int    `json:"version"`
	RunID   string `json:"runId"`
	Mode    string `json:"mode"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	Caller  string `json:"caller,omitempty"`
	// Names are the account's partition and the names AWS gave the lab's
	// services there (endpoint services, host names).
	Names     awsops.Names     `json:"names,omitzero"`
	Workspace awsops.Workspace `json:"workspace"`
	Repo      string           `json:"repository,omitempty"`

	SecurityGroup *Record            `json:"securityGroup,omitempty"`
	Rule          *Record            `json:"ingressRule,omitempty"`
	Endpoints     map[string]*Record `json:"endpoints,omitempty"` // keyed by ecr.dkr, ecr.api, s3
	// Tokens are the ClientTokens of endpoint creates not yet recorded,
	// by endpoint key: a fresh nonce is saved before each create, so a
	// create interrupted before its endpoint was recorded is repeated with
	// the same token (and AWS returns the same endpoint), while a create
	// after a teardown never reuses the token of a deleted endpoint.
	// [https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html; research I.3]
	Tokens map[string]string `json:"clientTokens,omitempty"`

	// Policy is the endpoint policy in force (canonical JSON); PolicyTarget
	// says which endpoints carry it (both or dkr).
	Policy       json.RawMessage `json:"policy,omitempty"`
	PolicyTarget Target          `json:"policyTarget,omitempty"`
	// PolicyChanged is when the lab last changed an endpoint's policy with
	// ModifyVpcEndpoint: AWS takes a few minutes to enforce a new one, and
	// the tests meanwhile may meet the old.
	PolicyChanged time.Time `json:"policyChanged,omitzero"`

	// VPCDNS records the VPC DNS attributes the lab turned on because they
	// were off: teardown turns them back off, unless told to keep them.
	VPCDNS *VPCDNSChange `json:"vpcDns,omitempty"`

	// PushedTags are tags the push test managed to push (removed on teardown).
	PushedTags []string `json:"pushedTags,omitempty"`
	// LocalImage is the copy of SourceTag the push test pushes, kept on this
	// machine (removed on teardown).
	LocalImage *awsops.LocalImage `json:"localImage,omitempty"`
	// Tests holds the last result of each test.
	Tests map[TestName]TestResult `json:"tests,omitempty"`
	// Challenge is what the policy challenges' live checks left in the
	// account (teardown removes it).
	Challenge *ChallengeLeftovers `json:"challenge,omitempty"`

	Steps   map[StepID]StepRecord `json:"steps,omitempty"`
	Started time.Time             `json:"started"`
	Updated time.Time             `json:"updated"`
	// TeardownStarted is when a teardown of this run began. A teardown
	// that ends removes the state file, so one still saved here was
	// stopped part way: some of what the records list may be gone. A step
	// run since clears it.
	TeardownStarted time.Time `json:"teardownStarted,omitzero"`
	// EnvVars are the ~/.ecr_security lines written, by name.
	EnvVars map[string]string `json:"envVars,omitempty"`
	// EnvFileCreated says ~/.ecr_security did not exist before the lab
	// wrote it: removing the lab's lines then removes the file.
	EnvFileCreated bool `json:"envFileCreated,omitempty"`

	// ExpiresAt is when the run expires (expiry.go); NeverExpires says the
	// learner opted out. AutoTeardown is the role and schedules that
	// remove the run then.
	ExpiresAt    time.Time     `json:"expiresAt,omitzero"`
	NeverExpires bool          `json:"neverExpires,omitempty"`
	AutoTeardown *AutoTeardown `json:"autoTeardown,omitempty"`
}

func newState(mode string, now time.Time) State {
	return State{Version: stateVersion, RunID: newRunID(), Mode: mode, Started: now, Updated: now}
}

func newRunID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// VPCDNSChange is which of a VPC's DNS attributes the lab turned on.
type VPCDNSChange struct {
	VpcID     string `json:"vpcId"`
	Support   bool   `json:"enableDnsSupport,omitempty"`
	Hostnames bool   `json:"enableDnsHostnames,omitempty"`
}

// Names lists the attributes turned on, by their API names.
func (c *VPCDNSChange) Names() []string {
	var out []string
	if c != nil && c.Support {
		out = append(out, "enableDnsSupport")
	}
	if c != nil && c.Hostnames {
		out = append(out, "enableDnsHostnames")
	}
	return out
}

// EndpointIDs lists the IDs of the run's endpoints, in EndpointKeys order.
func (s State) EndpointIDs() []string { return s.endpointIDs(false) }

// createdEndpointIDs lists the IDs of the endpoints the run created (not
// the ones it adopted), in EndpointKeys order.
func (s State) createdEndpointIDs() []string { return s.endpointIDs(true) }

// endpointRecords are the records of the run's endpoints, in EndpointKeys'
// order.
func (s State) endpointRecords() []*Record {
	var rs []*Record
	for _, k := range EndpointKeys {
		if r := s.Endpoints[k]; r != nil {
			rs = append(rs, r)
		}
	}
	return rs
}

func (s State) endpointIDs(createdOnly bool) []string {
	var ids []string
	for _, r := range s.endpointRecords() {
		if r.Created || !createdOnly {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// setStep records step id's outcome.
func (s *State) setStep(id StepID, r StepRecord) {
	if s.Steps == nil {
		s.Steps = map[StepID]StepRecord{}
	}
	s.Steps[id] = r
}

// HasResources reports whether the state records anything in AWS.
func (s State) HasResources() bool {
	return s.SecurityGroup != nil || s.Rule != nil || len(s.Endpoints) > 0 || len(s.PushedTags) > 0 || len(s.Tokens) > 0
}

// Store keeps the state file of one mode in a directory.
type Store struct {
	Dir  string
	Mode string
	lock *os.File
}

// DefaultStateDir is $XDG_STATE_HOME/ecr-vpce-lab, falling back to
// ~/.local/state/ecr-vpce-lab.
func DefaultStateDir() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "ecr-vpce-lab"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory (%v): pass --state-dir", err)
	}
	return filepath.Join(home, ".local", "state", "ecr-vpce-lab"), nil
}

// NewStore returns the store for mode ("aws" or "sandbox") in dir.
func NewStore(dir, mode string) *Store { return &Store{Dir: dir, Mode: mode} }

// Path is the state file's path.
func (s *Store) Path() string { return filepath.Join(s.Dir, "lab-"+s.Mode+".json") }

// AuthMessagePath is where an encoded authorization failure message AWS
// sent is kept, for the command that decodes it: beside the state file,
// one file for each message (named by its hash; a message is written once),
// removed by the teardown.
func (s *Store) AuthMessagePath(encoded string) string {
	sum := sha256.Sum256([]byte(encoded))
	return filepath.Join(s.Dir, "authorization-message-"+s.Mode+"-"+hex.EncodeToString(sum[:4])+".txt")
}

// ImageDir is where the local copy of the image to push is kept: beside
// the state file, as docker keeps images on the learner's machine.
func (s *Store) ImageDir() string { return filepath.Join(s.Dir, "image-"+s.Mode) }

// ErrNoState means no state file exists.
var ErrNoState = errors.New("no saved lab state")

// StateError is a state file that exists but cannot be used.
type StateError struct {
	Path string
	Err  error
}

func (e *StateError) Error() string {
	return fmt.Sprintf("the state file %s is damaged (%v)", e.Path, e.Err)
}

func (e *StateError) Unwrap() error { return e.Err }

// NewerStateError is a state file written by a newer release: its format
// may record resources this release cannot see, so it is never used and
// never removed.
type NewerStateError struct {
	Path    string
	Version int
}

func (e *NewerStateError) Error() string {
	return fmt.Sprintf("the state file %s was written by a newer ecr-vpce-lab (format %d); upgrade, or use --state-dir elsewhere", e.Path, e.Version)
}

// stateLimit bounds the state file: a run's records take a few kilobytes.
const stateLimit = 4 << 20

// Load reads the state; ErrNoState when there is none, *NewerStateError
// when a newer release wrote it, *StateError when it is damaged.
func (s *Store) Load() (State, error) {
	b, err := boundedread.File(s.Path(), stateLimit)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, ErrNoState
	}
	if err != nil {
		return State{}, &StateError{Path: s.Path(), Err: err}
	}
	// The version first: a newer format need not decode as this one.
	var v struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(b, &v) == nil && v.Version > stateVersion {
		return State{}, &NewerStateError{Path: s.Path(), Version: v.Version}
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, &StateError{Path: s.Path(), Err: err}
	}
	if st.Version != stateVersion || st.RunID == "" {
		return State{}, &StateError{Path: s.Path(), Err: fmt.Errorf("format version %d, run %q", st.Version, st.RunID)}
	}
	for k, r := range st.Endpoints {
		if r == nil || r.ID == "" {
			delete(st.Endpoints, k)
		}
	}
	if st.SecurityGroup != nil && st.SecurityGroup.ID == "" {
		st.SecurityGroup = nil
	}
	if st.Rule != nil && st.Rule.ID == "" {
		st.Rule = nil
	}
	for id, r := range st.Steps {
		// Saved before unproven had a status of its own: a test that ran
		// without proof was a skip whose reason said "not proven: ".
		if rest, ok := strings.CutPrefix(r.Message, NotProven); ok && r.Status == StatusSkipped {
			r.Status, r.Message = StatusUnproven, rest
			st.Steps[id] = r
		}
	}
	return st, nil
}

// Save writes the state atomically: temp file, fsync, rename, mode 0600.
func (s *Store) Save(st State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.saveEncoded(b)
}

// saveEncoded is Save for a state already encoded by json.Marshal (the lab
// copies and saves a state from one encoding, see Lab.update). The file is
// the same indented JSON Save writes.
func (s *Store) saveEncoded(b []byte) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	return writeFileAtomic(s.Path(), out.Bytes(), 0o600)
}

// Remove deletes the state file (a missing one is fine).
func (s *Store) Remove() error {
	if err := os.Remove(s.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// RemoveAuthMessages deletes the refusal messages kept beside the state
// (AuthMessagePath): a teardown's, once the run is gone. Not Remove's: a
// run that created nothing (a preflight AWS refused) loses its state file
// as the command ends, and the fix it printed names the message's file.
func (s *Store) RemoveAuthMessages() {
	kept, _ := filepath.Glob(filepath.Join(s.Dir, "authorization-message-"+s.Mode+"-*.txt"))
	for _, p := range kept {
		_ = os.Remove(p)
	}
}

// LockedError says another command is working on the same lab.
type LockedError struct {
	Path string
	PID  int
}

func (e *LockedError) Error() string {
	who := "another ecr-vpce-lab command"
	if e.PID > 0 {
		who += fmt.Sprintf(" (process %d)", e.PID)
	}
	return who + " is working on this lab (" + e.Path + "); wait for it to finish, or stop it"
}

// Lock takes the store's lock for this process, so two commands never
// interleave on one lab. Unlock releases it.
func (s *Store) Lock() error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(s.Dir, "lab-"+s.Mode+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := boundedread.File(path, 64)
		_ = f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return &LockedError{Path: path, PID: pid}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	s.lock = f
	return nil
}

// Unlock releases the lock taken by Lock.
func (s *Store) Unlock() {
	if s.lock == nil {
		return
	}
	_ = s.lock.Truncate(0)
	_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
	_ = s.lock.Close()
	s.lock = nil
}

// writeFileAtomic writes data so readers see the old or the new content.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}
