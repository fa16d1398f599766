package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The sandbox's clock can be moved forward, so a facilitator (or a test)
// sees in seconds what hours do: the auto-teardown's schedule firing four
// hours after 'up'. The default clock is the wall clock plus an offset that
// `ecr-vpce-lab sandbox clock +4h` moves; the offset is saved with the world
// (a restarted sandbox does not go back in time, which would bring deleted
// endpoints back to pending). The sandbox answers every API call with its
// time in Date, and the SDKs correct their clock skew from it, so the lab's
// own sense of "now" (expiry, time left) follows the sandbox's.

// OffsetClock is the wall clock moved forward by an offset; safe for
// concurrent use.
type OffsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the wall clock plus the offset.
func (c *OffsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *OffsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Offset is how far ahead of the wall clock it stands.
func (c *OffsetClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

func (c *OffsetClock) set(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.mu.Unlock()
}

// advancer is a clock that can be moved.
type advancer interface{ Advance(time.Duration) }

// ErrClockFixed says the sandbox's clock cannot be moved.
var ErrClockFixed = fmt.Errorf("this sandbox's clock cannot be moved")

// AdvanceClock moves the sandbox's clock forward by d (at most a year),
// saves the new offset with the world, and fires whatever came due; it
// returns the new time.
func (s *Sandbox) AdvanceClock(ctx context.Context, d time.Duration) (time.Time, error) {
	if d <= 0 || d > 366*24*time.Hour {
		return time.Time{}, fmt.Errorf("move the clock forward by more than nothing and at most a year, not %s", d)
	}
	a, ok := s.opts.Clock.(advancer)
	if !ok {
		return time.Time{}, ErrClockFixed
	}
	a.Advance(d)
	if oc, ok := s.opts.Clock.(*OffsetClock); ok {
		off := oc.Offset()
		if err := s.update(func(w *world, _ time.Time) (bool, error) {
			w.ClockOffset = off
			return true, nil
		}); err != nil {
			oc.Advance(-d)
			return time.Time{}, err
		}
	}
	s.hub.fireDue(ctx, false)
	return s.opts.Clock.Now(), nil
}

// clockPath is the sandbox's own control address on the API listener
// (never an AWS path: AWS's begin with an action, a service path or /).
const clockPath = "/_sandbox/clock"

// newControlToken is the secret the control address asks for; it is
// written only to serving.json (mode 0600, in the state directory).
func newControlToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// serveClock answers POST /_sandbox/clock {"advance":"4h"} with the new
// time, for `ecr-vpce-lab sandbox clock`; GET answers the time.
func (s *Sandbox) serveClock(rw http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if s.controlToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.controlToken)) != 1 {
		http.Error(rw, "the sandbox's control token is missing or wrong (it is in serving.json in the state directory)", http.StatusForbidden)
		return
	}
	answer := func(now time.Time) {
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(map[string]string{"now": now.UTC().Format(time.RFC3339)})
	}
	switch r.Method {
	case http.MethodGet:
		answer(s.opts.Clock.Now())
	case http.MethodPost:
		var in struct {
			Advance string `json:"advance"`
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		if err := json.Unmarshal(b, &in); err != nil {
			http.Error(rw, "want {\"advance\": \"DURATION\"}", http.StatusBadRequest)
			return
		}
		d, err := time.ParseDuration(in.Advance)
		if err != nil {
			http.Error(rw, fmt.Sprintf("advance %q: %v", in.Advance, err), http.StatusBadRequest)
			return
		}
		now, err := s.AdvanceClock(r.Context(), d)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		answer(now)
	default:
		http.Error(rw, "GET or POST", http.StatusMethodNotAllowed)
	}
}
