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

// run serves the operation on the world (see serve), its handler given the
// service's context for the request, and returns what the handler answered.
func (op operation[X, R]) run(s *Sandbox, protocol string, newCtx func(r *request) *X) (R, *APIError) {
	var out R
	e := s.serve(protocol, op.writes, func(r *request) (e *APIError) {
		out, e = op.fn(newCtx(r))
		return e
	})
	return out, e
}

// notServed refuses an action the service does not serve: one AWS has is
// unsupported here (served lists what is), anything else is unknown, as
// AWS words it for the protocol.
func notServed(service, protocol, action, version string, served []string) *APIError {
	if awsHas(service, action) {
		return unsupportedOp(service, action, served)
	}
	return unknownAction(protocol, action, version)
}

// request is what the handlers of every service work on: the sandbox, the
// world (for an action that writes, a copy it may change), the time, and
// whether the handler changed the world.
type request struct {
	s     *Sandbox
	w     *world
	now   time.Time
	dirty bool
}

// serve runs a handler on the world. One that only reads sees the world as
// it is; one that writes works on a copy, kept when the handler succeeded
// and marked it dirty: a refused request changes nothing, whatever it
// touched first. A change that cannot be saved is refused as the protocol
// refuses it (notSaved).
func (s *Sandbox) serve(protocol string, writes bool, run func(r *request) *APIError) *APIError {
	if !writes {
		var e *APIError
		s.read(func(w *world) { e = run(&request{s: s, w: w, now: s.opts.Clock.Now()}) })
		return e
	}
	var apiE *APIError
	if err := s.update(func(w *world, now time.Time) (bool, error) {
		r := &request{s: s, w: w, now: now}
		apiE = run(r)
		return r.dirty && apiE == nil, nil
	}); err != nil {
		return notSaved(protocol, err)
	}
	return apiE
}
