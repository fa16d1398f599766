package steps

import (
	"sync"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// EventKind says what an Event reports.
type EventKind string

// Event kinds.
const (
	// EventStarted: a step (or teardown, or a test) began.
	EventStarted EventKind = "started"
	// EventDetail: a line of explanation or progress.
	EventDetail EventKind = "detail"
	// EventResource: a resource was created, adopted, changed state, or
	// deleted; Resource says which and how.
	EventResource EventKind = "resource"
	// EventCommand: the AWS CLI equivalent of a call just made.
	EventCommand EventKind = "command"
	// EventCheck: one preflight checklist item.
	EventCheck EventKind = "check"
	// EventDNS: one round of DNS lookups.
	EventDNS EventKind = "dns"
	// EventTest: the result of a push, list or pull test.
	EventTest EventKind = "test"
	// EventCall: one API call finished (for logs and --verbose).
	EventCall EventKind = "call"
	// EventDone: the step finished.
	EventDone EventKind = "done"
	// EventFailed: the step failed; Error and Fix say why and what to do.
	EventFailed EventKind = "failed"
	// EventState: the lab's state changed; State is a copy of it, so a UI
	// keeps its own picture without calling back into the Lab.
	EventState EventKind = "state"
	// EventSkipped: the learner went on without the step; Reason says why
	// and what that means. A skipped step is not a passed one.
	EventSkipped EventKind = "skipped"
	// EventUnproven: a test ran (its EventTest came first), but its
	// requests went around the endpoints, so it proves nothing about the
	// endpoint policy; Reason says why and what to do. Not a pass.
	EventUnproven EventKind = "unproven"
)

// ResourceEvent describes a resource in an event.
type ResourceEvent struct {
	Kind  ResourceKind  `json:"kind"`
	ID    string        `json:"id"`
	Name  string        `json:"name,omitempty"`
	State ResourceState `json:"state"`
	// Detail adds context: addresses, the reason for a wait.
	Detail string `json:"detail,omitempty"`
	// Addresses are an interface endpoint's private addresses, once known.
	Addresses []string `json:"addresses,omitempty"`
	// Since is when the resource entered its current phase (creation or
	// deletion started), for elapsed times.
	Since time.Time `json:"since,omitzero"`
}

// Event is one piece of progress. Steps never print; they emit events.
type Event struct {
	Kind     EventKind       `json:"kind"`
	Step     StepID          `json:"step,omitempty"`
	Time     time.Time       `json:"time"`
	Message  string          `json:"message,omitempty"`
	Resource *ResourceEvent  `json:"resource,omitempty"`
	Command  *awsops.Command `json:"command,omitempty"`
	Check    *CheckItem      `json:"check,omitempty"`
	Lookups  []awsops.Lookup `json:"lookups,omitempty"`
	NextPoll time.Duration   `json:"nextPoll,omitempty"`
	Test     *TestResult     `json:"test,omitempty"`
	Call     *awsops.Call    `json:"call,omitempty"`
	State    *State          `json:"-"`
	Elapsed  time.Duration   `json:"elapsed,omitempty"`
	Error    string          `json:"error,omitempty"`
	Fix      string          `json:"fix,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	ErrKind  problem.Kind    `json:"errorKind,omitempty"`
	Err      error           `json:"-"`
}

// Emitter delivers events to a sink one at a time, in order, from whatever
// goroutine produced them. Its methods are safe for concurrent use; a nil
// Emitter or sink discards events.
type Emitter struct {
	mu   sync.Mutex
	sink func(Event)
	now  func() time.Time
}

// NewEmitter returns an Emitter that calls sink for each event.
func NewEmitter(sink func(Event)) *Emitter {
	return &Emitter{sink: sink, now: time.Now}
}

// Emit delivers e, stamping its time when unset.
func (em *Emitter) Emit(e Event) {
	if em == nil || em.sink == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = em.now()
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	em.sink(e)
}

// Call reports an API call; use it as awsops.Options.Observer.
func (em *Emitter) Call(c awsops.Call) {
	em.Emit(Event{Kind: EventCall, Call: &c, Elapsed: c.Duration})
}
