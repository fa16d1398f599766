package ui

import (
	"strings"
	"time"

	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/steps"
)

// pushRoute is the way the push takes, as far as the wizard knows: through
// the ecr.dkr endpoint, where its policy decides; around it (the registry's
// name resolves to a public address, so the endpoint policy never sees the
// request); or perhaps around it (the DNS wait was skipped, and nothing has
// looked since). What a screen predicts about the push follows it.
type pushRoute int

const (
	routeThrough pushRoute = iota
	routeMaybeAround
	routeAround
)

// pushRoute decides from the newest evidence: the last lookup of the
// registry's name (the DNS wait's, or a check's), or the last push (an
// unproven one went around). With none, a skipped DNS step leaves it open.
func (m *Model) pushRoute() pushRoute {
	if m.place != nil && m.place.CannotProve() != "" {
		// Outside the VPC nothing here can watch the route; the screens
		// say so in their own words.
		return routeThrough
	}
	var seen time.Time
	route, known := routeThrough, false
	for _, l := range m.lookups {
		if !strings.Contains(l.Name, ".dkr.") || len(l.Addresses) == 0 {
			continue
		}
		seen, known = l.Checked, true
		if !l.Private() {
			route = routeAround
		}
	}
	// A check of the DNS step (k) looked at the names too.
	if c, at := m.screens[scrDNS].checked, m.screens[scrDNS].checkedAt; c != nil && (!known || at.After(seen)) {
		for _, it := range c.Items {
			if strings.Contains(it.Title, ".dkr.") {
				seen, known, route = at, true, routeThrough
				if !it.OK {
					route = routeAround
				}
			}
		}
	}
	if t, ok := m.tests[steps.PushTest]; ok && !t.Retrying && (!known || t.At.After(seen)) {
		route, known = routeThrough, true
		if t.Unproven != "" {
			route = routeAround
		}
	}
	if !known && m.screens[scrDNS].status == steps.StatusSkipped {
		return routeMaybeAround
	}
	return route
}

// bypassedPolicies is what decides a push that goes around the endpoints:
// no endpoint policy at all, AWS's full-access default in their place.
func bypassedPolicies() map[policy.Endpoint]*policy.Document {
	return map[policy.Endpoint]*policy.Document{}
}

// aroundOutcome says what happens to a push that goes around the
// endpoints: with no endpoint policy in the way, "gets through" (or where
// the login is refused, for a policy that is not the endpoint's).
func (m *Model) aroundOutcome() string {
	sim, ok := m.predict(bypassedPolicies(), "push")
	if !ok || sim.Decision == policy.ResultAllow {
		return "gets through"
	}
	action, _ := refusedAt(sim)
	return "stops at " + action
}

// proveWords says what to do to make the push a proof: go back to the DNS
// step and wait there until the names answer privately, then push again.
func (m *Model) proveWords() string {
	switch {
	case m.cur == scrDNS && m.busy():
		return "once both names answer privately, push again"
	case m.cur == scrDNS:
		return m.keysIn("{Next} waits for private DNS; then push again")
	}
	return "wait for private DNS on step 7, then push again"
}

// pushRouteSentence is what the push screen's introduction says about the
// route, after what the policy predicts: "" when the push goes through the
// endpoint. It says what will happen, why, and what proves the policy.
func (m *Model) pushRouteSentence() string {
	switch m.pushRoute() {
	case routeAround:
		return "But DNS still answers with public addresses, so the push goes around the endpoints and their policy: it " + m.aroundOutcome() +
			", and that proves nothing about the policy (" + steps.StatusUnproven.Mark() + " " + steps.StatusUnproven.Label() + "). " +
			m.keysIn("To prove it, press {StepUp} to go back to the DNS step, wait there until both names answer privately, then push again.")
	case routeMaybeAround:
		return "But the DNS wait was skipped: while the names still resolve to public addresses, the push goes around the endpoints and their policy, " +
			"and " + m.aroundOutcome() + " without proving anything (" + steps.StatusUnproven.Mark() + " " + steps.StatusUnproven.Label() + ")."
	}
	return ""
}

// routeWarning is the push screen's one line when the push may not meet
// the endpoint policy (the DNS wait was skipped, or DNS answers publicly),
// with the key that goes back to the DNS step; "" otherwise.
func (m *Model) routeWarning() string {
	if m.cur != scrPush || m.unobservable() != "" {
		return ""
	}
	switch m.pushRoute() {
	case routeAround:
		return m.keysIn("DNS answers publicly: this push goes around the endpoints. {StepUp} goes back.")
	case routeMaybeAround:
		return m.keysIn("DNS was skipped: this push may go around the endpoints. {StepUp} goes back.")
	}
	return ""
}

// listRouteSentence is what the list screen's introduction adds when its
// requests may not meet the endpoints' policy (the route the push took, or
// may take): what they show then proves nothing about it. "" when they go
// through the endpoints.
func (m *Model) listRouteSentence() string {
	unproven := " (" + steps.StatusUnproven.Mark() + " " + steps.StatusUnproven.Label() + ")"
	switch m.pushRoute() {
	case routeAround:
		return " But DNS still answers with public addresses, so these requests go around the endpoints and their policy too, and what they show proves nothing about it" + unproven + "."
	case routeMaybeAround:
		return " But the DNS wait was skipped: while the names still resolve to public addresses, these requests go around the endpoints and their policy, and prove nothing about it" + unproven + "."
	}
	return ""
}
