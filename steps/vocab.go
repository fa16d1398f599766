package steps

import (
	"fmt"
	"strings"

	"ecr-vpce-lab/policy"
)

// This file is the lab's vocabulary: the states a resource goes through,
// where a step stands, what a resource is, which endpoints carry the policy
// and which test checks what. The printer, the JSON output and the wizard
// all read them through these types, so a state means the same everywhere
// and a new one is added in one place. The string values are part of the
// JSON output and the state file: they do not change.

// Tone is how a state reads at a glance. Each surface draws a tone with its
// own glyph and colour; the vocabulary only says which tone a state has.
type Tone int

// The tones.
const (
	// ToneIdle: nothing has happened yet.
	ToneIdle Tone = iota
	// ToneBusy: changing right now (creating, deleting, waiting).
	ToneBusy
	// ToneGood: done as intended.
	ToneGood
	// ToneNotice: settled, but worth a second look: left in place, not the
	// lab's own, skipped, stopped half-way.
	ToneNotice
	// ToneBad: failed.
	ToneBad
)

// ResourceState is where a resource stands: the lab's own words for what
// it did (created, adopted, kept…) and the endpoint states AWS reports
// (pending, available…), in AWS's wire spelling.
type ResourceState string

// Resource states.
const (
	ResCreating ResourceState = "creating"
	ResCreated  ResourceState = "created"
	ResAdopted  ResourceState = "adopted"
	ResExists   ResourceState = "exists"
	ResModified ResourceState = "modified"
	ResRestored ResourceState = "restored"
	ResDeleting ResourceState = "deleting"
	ResDeleted  ResourceState = "deleted"
	// ResReleasing: an interface endpoint is deleted and the lab waits for
	// AWS to release its network interfaces (the endpoints' security group
	// cannot go before they do); ResReleased: they are gone.
	ResReleasing ResourceState = "releasing"
	ResReleased  ResourceState = "released"
	ResKept      ResourceState = "kept"
	ResGone      ResourceState = "gone"
	ResFailed    ResourceState = "failed"
	// ResWaiting: something else must happen first (a security group
	// waits for the endpoints' network interfaces).
	ResWaiting ResourceState = "waiting"
	// ResSkipped: the lab went on without it (the auto-teardown, when AWS
	// refuses what it needs).
	ResSkipped ResourceState = "skipped"

	// Endpoint states as AWS reports them (besides deleting, deleted and
	// failed above).
	ResPending           ResourceState = "pending"
	ResPendingAcceptance ResourceState = "pendingAcceptance"
	ResAvailable         ResourceState = "available"
	ResRejected          ResourceState = "rejected"
	ResExpired           ResourceState = "expired"
	ResPartial           ResourceState = "partial"
)

var awsStates = []ResourceState{ResPending, ResPendingAcceptance, ResAvailable, ResDeleting, ResDeleted,
	ResRejected, ResFailed, ResExpired, ResPartial}

// EndpointState turns an endpoint state as AWS or the SDK spells it
// ("available", "Available", "pendingAcceptance") into the vocabulary.
// A state AWS adds later passes through unchanged.
func EndpointState(s string) ResourceState {
	for _, st := range awsStates {
		if strings.EqualFold(s, string(st)) {
			return st
		}
	}
	return ResourceState(s)
}

// Settled reports whether the state is final until someone acts: not
// creating, pending, deleting, releasing or waiting.
func (s ResourceState) Settled() bool {
	switch s {
	case ResCreating, ResPending, ResPendingAcceptance, ResDeleting, ResReleasing, ResWaiting:
		return false
	}
	return true
}

// Failed reports whether the resource failed (AWS's failed, rejected or
// expired, or a step's failure).
func (s ResourceState) Failed() bool {
	switch s {
	case ResFailed, ResRejected, ResExpired:
		return true
	}
	return false
}

// Removing reports whether the resource is on its way out (deleting, or
// waiting for its network interfaces to be released).
func (s ResourceState) Removing() bool { return s == ResDeleting || s == ResReleasing }

// Removed reports whether the resource no longer exists.
func (s ResourceState) Removed() bool {
	switch s {
	case ResDeleted, ResReleased, ResGone:
		return true
	}
	return false
}

// Tone says how the state reads at a glance.
func (s ResourceState) Tone() Tone {
	switch {
	case s.Failed():
		return ToneBad
	case !s.Settled():
		return ToneBusy
	}
	switch s {
	case ResKept, ResAdopted, ResRestored, ResPartial, ResSkipped:
		return ToneNotice
	case "":
		return ToneIdle
	}
	return ToneGood
}

// Label is the state in words for a person.
func (s ResourceState) Label() string {
	switch s {
	case ResPendingAcceptance:
		return "pending acceptance"
	case ResReleasing:
		return "waiting for its network interfaces"
	case "":
		return "not started"
	}
	return string(s)
}

// ResourceKind says what a resource is.
type ResourceKind string

// Resource kinds.
const (
	KindSecurityGroup ResourceKind = "security-group"
	KindIngressRule   ResourceKind = "ingress-rule"
	KindEndpoint      ResourceKind = "vpc-endpoint"
	KindImageTag      ResourceKind = "image-tag"
	KindEnvFile       ResourceKind = "env-file"
	KindStateFile     ResourceKind = "state-file"
	KindVPCAttributes ResourceKind = "vpc-dns-attributes"
	KindRepository    ResourceKind = "repository"
	// KindLocalImage is the copy of the image the push test pushes, kept on
	// this machine.
	KindLocalImage ResourceKind = "local-image"
	// KindRepositoryPolicy is a repository's policy a challenge set.
	KindRepositoryPolicy ResourceKind = "repository-policy"
	// KindRole is the auto-teardown's IAM role, KindSchedule one of its
	// EventBridge Scheduler schedules.
	KindRole     ResourceKind = "iam-role"
	KindSchedule ResourceKind = "schedule"
)

var kindLabels = map[ResourceKind]string{
	KindSecurityGroup:    "security group",
	KindIngressRule:      "ingress rule",
	KindEndpoint:         "endpoint",
	KindImageTag:         "image tag",
	KindEnvFile:          "env file",
	KindStateFile:        "state file",
	KindVPCAttributes:    "VPC attributes",
	KindRepository:       "repository",
	KindLocalImage:       "local image",
	KindRepositoryPolicy: "repository policy",
	KindRole:             "IAM role",
	KindSchedule:         "schedule",
}

// Label is the kind in words ("security group").
func (k ResourceKind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return strings.ReplaceAll(string(k), "-", " ")
}

// StepStatus is where a step stands. Done, failed, stopped, skipped and
// unproven are saved in the state file; pending is the absence of a record
// and running is only ever seen live.
type StepStatus string

// Step statuses.
const (
	StatusPending StepStatus = ""
	StatusRunning StepStatus = "running"
	StatusDone    StepStatus = "done"
	StatusFailed  StepStatus = "failed"
	// StatusStopped: interrupted (Ctrl-C) before it finished.
	StatusStopped StepStatus = "stopped"
	// StatusSkipped: the learner chose to go on without it. It is not a
	// pass: it has its own mark and word everywhere.
	StatusSkipped StepStatus = "skipped"
	// StatusUnproven: a test ran, but its requests went around the
	// endpoints (their names do not resolve to private addresses yet), so
	// what AWS did proves nothing about the endpoint policy. Not a pass,
	// not a failure of the policy, and not a skip either: the request was
	// made, and its outcome is recorded.
	StatusUnproven StepStatus = "unproven"
)

// Passed reports whether the step ran and succeeded (skipped and unproven
// are not).
func (s StepStatus) Passed() bool { return s == StatusDone }

// MovedOn reports whether the lab has gone on past the step: done, skipped,
// or run without proof. (Failed and stopped steps wait to be run again.)
func (s StepStatus) MovedOn() bool {
	return s == StatusDone || s == StatusSkipped || s == StatusUnproven
}

// Failed reports whether the step failed.
func (s StepStatus) Failed() bool { return s == StatusFailed }

// Settled reports whether the step has an outcome the learner can act on
// (done, failed, stopped, skipped or unproven), as opposed to pending or
// running.
func (s StepStatus) Settled() bool {
	switch s {
	case StatusDone, StatusFailed, StatusStopped, StatusSkipped, StatusUnproven:
		return true
	}
	return false
}

// Tone says how the status reads at a glance.
func (s StepStatus) Tone() Tone {
	switch s {
	case StatusRunning:
		return ToneBusy
	case StatusDone:
		return ToneGood
	case StatusFailed:
		return ToneBad
	case StatusStopped, StatusSkipped, StatusUnproven:
		return ToneNotice
	}
	return ToneIdle
}

// Mark is the status in one cell, in glyphs every monospace font has (the
// spinner takes the place of a running step's mark).
func (s StepStatus) Mark() string {
	switch s {
	case StatusDone:
		return "✓"
	case StatusFailed:
		return "✗"
	case StatusStopped:
		return "■"
	case StatusSkipped:
		return "–"
	case StatusUnproven:
		return "?"
	}
	return "·"
}

// Label is the status in words.
func (s StepStatus) Label() string {
	switch s {
	case StatusPending:
		return "not run"
	case StatusUnproven:
		return "not proven"
	}
	return string(s)
}

// Target says which ECR endpoints carry the lab's policy.
type Target string

// Policy targets.
const (
	// TargetBoth attaches the policy to ecr.dkr and ecr.api, as AWS recommends.
	TargetBoth Target = "both"
	// TargetDKR attaches it to ecr.dkr only; ecr.api keeps full access.
	TargetDKR Target = "dkr"
)

// ParseTarget reads a policy target name.
func ParseTarget(s string) (Target, error) {
	switch strings.ToLower(s) {
	case "", "both":
		return TargetBoth, nil
	case "dkr", "ecr.dkr", "dkr-only":
		return TargetDKR, nil
	}
	return "", fmt.Errorf("unknown policy target %q: use both or dkr", s)
}

// Label names the endpoints that carry the policy.
func (t Target) Label() string {
	if t == TargetDKR {
		return "ecr.dkr only"
	}
	return "ecr.dkr and ecr.api"
}

// Carries reports whether the endpoint with key (EndpointDKR…) carries the
// lab's policy under this target.
func (t Target) Carries(key string) bool {
	switch key {
	case EndpointDKR:
		return true
	case EndpointAPI:
		return t != TargetDKR
	}
	return false
}

// TestName names one of the lab's tests by the client operation it checks
// (policy.Simulate's operation names).
type TestName string

// The lab's tests.
const (
	PushTest TestName = "push"
	ListTest TestName = "list-images"
	PullTest TestName = "pull"
)

// TestNames lists the tests in the order they run.
var TestNames = []TestName{PushTest, ListTest, PullTest}

// ParseTestName reads a test name as a person types it ("list" will do).
func ParseTestName(s string) (TestName, error) {
	switch strings.ToLower(s) {
	case "push":
		return PushTest, nil
	case "list", "list-images":
		return ListTest, nil
	case "pull":
		return PullTest, nil
	}
	return "", fmt.Errorf("unknown test %q: choose push, list or pull", s)
}

// TestOf names the test a step runs (false for a step that is no test).
func TestOf(id StepID) (TestName, bool) {
	for _, n := range TestNames {
		if n.Step() == id {
			return n, true
		}
	}
	return "", false
}

// Step is the step that runs the test.
func (n TestName) Step() StepID {
	switch n {
	case PushTest:
		return StepPush
	case ListTest:
		return StepList
	case PullTest:
		return StepPull
	}
	return ""
}

// Label is the test in words ("list test").
func (n TestName) Label() string {
	if n == ListTest {
		return "list test"
	}
	return string(n) + " test"
}

// StatementMark is how a statement's part in a decision reads at a glance,
// wherever a trace is drawn statement by statement ('policy explain', the
// wizard's why pane): ▶ for a statement that decided, good for an Allow and
// bad for a Deny; ✓ for a matching Allow that a Deny outweighs, worth a
// look; · for one that did not apply.
func StatementMark(s policy.StatementTrace) (string, Tone) {
	switch s.Role {
	case policy.RoleDecides:
		if s.Effect == policy.Allow {
			return "▶", ToneGood
		}
		return "▶", ToneBad
	case policy.RoleOverridden:
		return "✓", ToneNotice
	}
	return "·", ToneIdle
}
