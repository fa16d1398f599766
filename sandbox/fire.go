package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Schedules fire. A one-time schedule whose time has come is invoked as
// EventBridge Scheduler invokes it: Scheduler assumes the execution role
// (which must still trust scheduler.amazonaws.com), then calls the target
// API with the session's keys. The sandbox does exactly that against its own
// API listener, so the call goes through the same chain as any client's:
// signature, faults, and the role's policies (identity.go), and a role
// without the permission is refused as AWS refuses it
// (UnauthorizedOperation naming the session and the resource).
//
// What the API shows afterwards is what AWS shows (research D.5): a
// one-time schedule with ActionAfterCompletion DELETE is gone after its
// invocation, whether the target call succeeded or failed; with NONE it
// stays, ENABLED, and nothing in GetSchedule tells that it ran. The outcome
// is in the resources themselves (the endpoints gone, or still there); on
// AWS also in CloudWatch's AWS/Scheduler metrics and CloudTrail, which the
// sandbox does not serve: Sandbox.Invocations keeps each attempt instead.

// The sandbox sleeps until its next schedule is due, not on a fixed tick:
// a wizard idle on a lab with the sandbox in its own process would
// otherwise wake five times a second for a schedule four hours away.
// EventBridge Scheduler fires within the minute of the time (60-second
// precision); the sandbox at the time, within schedulerTick.
const (
	// schedulerTick is the shortest sleep, and the look-again interval
	// under a clock that does not follow the wall clock (a ManualClock
	// moved by a test).
	schedulerTick = 200 * time.Millisecond
	// schedulerIdle is the longest sleep: a look even when nothing is due,
	// in case a schedule arrived by a way that did not wake the loop.
	schedulerIdle = time.Minute
)

// Invocation is one invocation of a schedule's target.
type Invocation struct {
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Schedule string    `json:"schedule"`
	Group    string    `json:"group"`
	Target   string    `json:"target"`
	Time     time.Time `json:"time"`
	Attempt  int       `json:"attempt"`
	// Caller is the execution role's session, as the target's refusals
	// and CloudTrail name it ("" when the role could not be assumed).
	Caller string `json:"caller,omitempty"`
	// Action is the target's API call (ec2:DeleteVpcEndpoints).
	Action string `json:"action,omitempty"`
	// ErrorCode and ErrorMessage are the target's answer ("" for success).
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Final is set on the last attempt (success, or retries exhausted, or
	// an error Scheduler does not retry).
	Final bool `json:"final"`
}

// maxInvocations bounds the invocations a world keeps.
const maxInvocations = 500

// runScheduler fires due schedules until the sandbox closes.
func (s *Sandbox) runScheduler() {
	t := time.NewTimer(s.hub.schedulerSleep(s.opts.Clock))
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.closing
		cancel()
	}()
	for {
		select {
		case <-s.closing:
			return
		case <-s.hub.wake:
			// A world changed: a schedule may have come, gone or moved.
		case <-t.C:
			s.hub.fireDue(ctx, false)
		}
		t.Reset(s.hub.schedulerSleep(s.opts.Clock))
	}
}

// wakeScheduler tells the schedule loop that a world changed, so it works
// out its sleep again; it never blocks.
func (h *hub) wakeScheduler() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// schedulerSleep is how long the schedule loop may sleep: until the first
// pending schedule of any world is due by clock, at least schedulerTick
// and at most schedulerIdle. A clock that does not follow the wall clock
// is looked at every schedulerTick, as the sandbox cannot tell when it
// moves.
func (h *hub) schedulerSleep(clock Clock) time.Duration {
	if _, wall := clock.(*OffsetClock); !wall {
		return schedulerTick
	}
	var next time.Time
	for _, m := range h.sorted() {
		m.read(func(w *world) {
			for _, sch := range w.Schedules {
				if sch.Done || sch.State != "ENABLED" || sch.At.IsZero() {
					continue
				}
				at := sch.At
				if !sch.NextAttempt.IsZero() {
					at = sch.NextAttempt
				}
				if next.IsZero() || at.Before(next) {
					next = at
				}
			}
		})
	}
	if next.IsZero() {
		return schedulerIdle
	}
	return min(max(next.Sub(clock.Now()), schedulerTick), schedulerIdle)
}

// FireDue invokes every schedule of every account and region whose time
// has come by the sandbox's clock, and returns the invocations made. The
// sandbox does this by itself several times a second; tests with a manual
// clock call it to make it happen now.
func (s *Sandbox) FireDue(ctx context.Context) []Invocation { return s.hub.fireDue(ctx, false) }

// Invocations lists the schedule invocations of the world, oldest first.
func (s *Sandbox) Invocations() []Invocation {
	var out []Invocation
	s.read(func(w *world) { out = append(out, w.Invocations...) })
	return out
}

// fireDue runs one round over every world; early makes the home world's
// next pending one-time schedules due now (the fault that fires the
// auto-teardown while the learner is testing).
func (h *hub) fireDue(ctx context.Context, early bool) []Invocation {
	h.fireMu.Lock()
	defer h.fireMu.Unlock()
	var out []Invocation
	for _, m := range h.sorted() {
		out = append(out, m.fireDue(ctx, early && m == h.home)...)
	}
	return out
}

// due reports whether a schedule is to be invoked at now.
func (sch *schedule) due(now time.Time) bool {
	if sch.Done || sch.State != "ENABLED" || sch.At.IsZero() {
		return false
	}
	if !sch.NextAttempt.IsZero() {
		return !now.Before(sch.NextAttempt)
	}
	return !now.Before(sch.At)
}

func (s *Sandbox) fireDue(ctx context.Context, early bool) []Invocation {
	now := s.opts.Clock.Now()
	var due []schedule
	s.read(func(w *world) {
		if early {
			// As if the clock stood at the first pending schedule's time.
			var first time.Time
			for _, sch := range w.Schedules {
				if !sch.Done && sch.State == "ENABLED" && !sch.At.IsZero() && (first.IsZero() || sch.At.Before(first)) {
					first = sch.At
				}
			}
			if first.After(now) {
				now = first
			}
		}
		for _, sch := range w.Schedules {
			if sch.due(now) {
				due = append(due, *sch)
			}
		}
	})
	var out []Invocation
	for _, sch := range due {
		if ctx.Err() != nil {
			break
		}
		inv := s.invoke(ctx, sch)
		final := inv.Final
		err := s.update(func(w *world, now time.Time) (bool, error) {
			cur := w.schedule(sch.Group, sch.Name)
			if cur == nil || cur.Modified != sch.Modified {
				// Deleted or replaced while it ran: what it did stays in
				// the history, the schedule is the caller's now.
				w.addInvocation(inv)
				return true, nil
			}
			cur.Attempts++
			switch {
			case final && cur.ActionAfterCompletion == "DELETE":
				w.Schedules = deleteSchedule(w.Schedules, cur)
			case final:
				cur.Done, cur.NextAttempt = true, time.Time{}
			default:
				cur.NextAttempt = now.Add(retryDelay(cur.Attempts))
			}
			w.addInvocation(inv)
			return true, nil
		})
		if err != nil {
			s.opts.Logger.Warn("sandbox: saving a schedule's invocation failed", "schedule", sch.Name, "err", err)
			continue
		}
		out = append(out, inv)
	}
	return out
}

func deleteSchedule(list []*schedule, sch *schedule) []*schedule {
	out := list[:0]
	for _, x := range list {
		if x != sch {
			out = append(out, x)
		}
	}
	return out
}

// retryDelay is the wait before attempt n+1: Scheduler backs off
// exponentially (research D; the exact curve is not documented).
func retryDelay(attempts int) time.Duration {
	d := time.Duration(1<<min(attempts-1, 10)) * 10 * time.Second
	return min(d, 10*time.Minute)
}

func (w *world) addInvocation(inv Invocation) {
	w.Invocations = append(w.Invocations, inv)
	if n := len(w.Invocations); n > maxInvocations {
		w.Invocations = append([]Invocation(nil), w.Invocations[n-maxInvocations:]...)
	}
}

// invoke makes one attempt at a schedule's target.
func (s *Sandbox) invoke(ctx context.Context, sch schedule) Invocation {
	now := s.opts.Clock.Now()
	inv := Invocation{Account: s.opts.Account, Region: s.opts.Region, Schedule: sch.Name, Group: sch.Group, Target: sch.Target.Arn,
		Time: now.UTC(), Attempt: sch.Attempts + 1}
	expired := !sch.At.IsZero() && now.Sub(sch.At) > time.Duration(sch.Target.MaxAge)*time.Second
	fail := func(code, msg string, retryable bool) Invocation {
		inv.ErrorCode, inv.ErrorMessage = code, msg
		inv.Final = !retryable || inv.Attempt > sch.Target.MaxAttempts || expired
		return inv
	}
	acct, name, ok := roleARNOf(sch.Target.RoleArn)
	r := s.hub.role(acct, name)
	if !ok || acct != s.opts.Account || r == nil || !s.trustsScheduler(r, sch.Group) {
		return fail("AccessDenied", "EventBridge Scheduler could not assume the execution role "+sch.Target.RoleArn+
			": it does not exist, or its trust policy does not let scheduler.amazonaws.com assume it", false)
	}
	service, action, ok := universalTarget(sch.Target.Arn)
	if !ok || service != "ec2" {
		return fail("ValidationException", "The ecr-vpce-lab sandbox invokes universal targets of the EC2 API only (arn:aws:scheduler:::aws-sdk:ec2:ACTION), not "+sch.Target.Arn, false)
	}
	inv.Action = "ec2:" + action
	form, err := ec2QueryFromInput(action, sch.Target.Input)
	if err != nil {
		return fail("ValidationException", err.Error(), false)
	}
	rs := newRoleSession(s.part(), acct, r, executionID(sch), now.Add(time.Hour))
	s.hub.sessions.add(rs)
	inv.Caller = rs.arn()
	code, msg, status, err := s.callOwnEC2(ctx, rs, form)
	switch {
	case err != nil:
		return fail("InternalServerException", "the target could not be reached: "+err.Error(), true)
	case status == http.StatusOK:
		inv.Final = true
		return inv
	}
	retryable := status >= 500 || code == "RequestLimitExceeded" || code == "Throttling"
	return fail(code, msg, retryable)
}

// executionID names the role session of one invocation (Scheduler's
// sessions carry an id of the invocation; INF).
func executionID(sch schedule) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256([]byte(sch.Group + "/" + sch.Name + "/" + hex.EncodeToString(b[:])))
	return hex.EncodeToString(sum[:16])
}

// universalTarget reads arn:aws:scheduler:::aws-sdk:SERVICE:apiAction
// (research D.3): the service and the API action, capitalised as the API
// spells it.
func universalTarget(arn string) (service, action string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 8 || parts[0] != "arn" || parts[2] != "scheduler" || parts[5] != "aws-sdk" || parts[6] == "" || parts[7] == "" {
		return "", "", false
	}
	a := []rune(parts[7])
	a[0] = unicode.ToUpper(a[0])
	return parts[6], string(a), true
}

// ec2QueryFromInput turns a universal target's Input (the SDK's member
// names, e.g. {"VpcEndpointIds":["vpce-1"]}) into EC2 Query parameters
// (VpcEndpointId.1=vpce-1): EC2 names a list's members in the singular.
func ec2QueryFromInput(action, input string) (url.Values, error) {
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	if strings.TrimSpace(input) == "" {
		return form, nil
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return nil, fmt.Errorf("the schedule's Input is not a JSON object: %v", err)
	}
	var walk func(prefix string, v any) error
	walk = func(prefix string, v any) error {
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				if err := walk(name, t[k]); err != nil {
					return err
				}
			}
		case []any:
			base := prefix
			if i := strings.LastIndex(base, "."); i >= 0 {
				base = base[:i+1] + singular(base[i+1:])
			} else {
				base = singular(base)
			}
			for i, x := range t {
				if err := walk(fmt.Sprintf("%s.%d", base, i+1), x); err != nil {
					return err
				}
			}
		case string:
			form.Set(prefix, t)
		case bool:
			form.Set(prefix, fmt.Sprint(t))
		case float64:
			form.Set(prefix, fmt.Sprint(t))
		default:
			return fmt.Errorf("the schedule's Input member %s has a value EC2 does not take", prefix)
		}
		return nil
	}
	return form, walk("", in)
}

// singular is EC2's name for a list's members: VpcEndpointIds →
// VpcEndpointId, Filters → Filter.
func singular(name string) string {
	switch {
	case strings.HasSuffix(name, "ies"):
		return strings.TrimSuffix(name, "ies") + "y"
	case strings.HasSuffix(name, "s"):
		return strings.TrimSuffix(name, "s")
	}
	return name
}

// callOwnEC2 sends an EC2 Query request to the sandbox's own API listener,
// signed with the session's keys, and reads AWS's error from the answer.
func (s *Sandbox) callOwnEC2(ctx context.Context, rs roleSession, form url.Values) (code, msg string, status int, err error) {
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.hub.home.apiURL+"/", strings.NewReader(body))
	if err != nil {
		return "", "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "AmazonEventBridgeScheduler (ecr-vpce-lab sandbox)")
	signSigV4(req, []byte(body), rs.Creds, s.opts.Region, "ec2", time.Now())
	resp, err := s.hub.client.Do(req)
	if err != nil {
		return "", "", 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		return "", "", resp.StatusCode, nil
	}
	var e struct {
		Errors struct {
			Error struct{ Code, Message string }
		}
	}
	_ = xml.Unmarshal(b, &e)
	return e.Errors.Error.Code, e.Errors.Error.Message, resp.StatusCode, nil
}

// fireOnTest is the fault FireOnTest: the first registry request once an
// endpoint exists fires the home world's pending one-time schedules before
// it is served, as if their time had come in the middle of the tests.
func (s *Sandbox) fireOnTest(ctx context.Context) {
	if !s.opts.Faults.FireOnTest || s.firedOnTest.Load() {
		return
	}
	pending := false
	s.read(func(w *world) {
		now := s.opts.Clock.Now()
		hasEndpoint := false
		for _, e := range w.Endpoints {
			if e.DeleteRequested.IsZero() && e.visible(now) {
				hasEndpoint = true
			}
		}
		for _, sch := range w.Schedules {
			if !sch.Done && sch.State == "ENABLED" && !sch.At.IsZero() {
				pending = pending || hasEndpoint
			}
		}
	})
	if pending && s.firedOnTest.CompareAndSwap(false, true) {
		s.hub.fireDue(context.WithoutCancel(ctx), true)
	}
}
