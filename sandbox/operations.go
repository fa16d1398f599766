package sandbox

import (
	"maps"
	"slices"
	"time"
)

// operation is an action of a service: its handler, over the service's
// request context X, and whether it may change the world (a change is made
// to a copy and kept only once saved; see commit.go).
type operation[X, R any] struct {
	fn     func(x *X) (R, *APIError)
	writes bool
}

// operations are the actions a service serves, by name.
type operations[X, R any] map[string]operation[X, R]

// names lists the actions, sorted.
func (ops operations[X, R]) names() []string { return slices.Sorted(maps.Keys(ops)) }

// notServed refuses an action the service does not serve: one AWS has is
// unsupported here (served lists what is), anything else is unknown, as
// AWS words it for the protocol.
func notServed(service, protocol, action, version string, served []string) *APIError {
	if awsHas(service, action) {
		return unsupportedOp(service, action, served)
	}
	return unknownAction(protocol, action, version)
}

// serve runs a handler on the world. One that only reads sees the world as
// it is; one that writes works on a copy, kept when the handler succeeded
// and says it changed something (run's dirty). A change that cannot be
// saved is refused as the protocol refuses it (notSaved).
func (s *Sandbox) serve(protocol string, writes bool, run func(w *world, now time.Time) (dirty bool, e *APIError)) *APIError {
	var apiE *APIError
	if !writes {
		s.read(func(w *world) { _, apiE = run(w, s.opts.Clock.Now()) })
		return apiE
	}
	if err := s.update(func(w *world, now time.Time) (bool, error) {
		dirty, e := run(w, now)
		apiE = e
		return dirty && e == nil, nil
	}); err != nil {
		return notSaved(protocol, err)
	}
	return apiE
}
