package ui

import (
	"strings"

	"charm.land/lipgloss/v2"

	"ecr-vpce-lab/steps"
)

// pathPicture draws the way a push takes, with this run's IDs and
// addresses: the workspace, the endpoints' security group, the ecr.dkr
// network interface, the endpoint policy, ECR; the layers through the S3
// gateway. It marks where the push is refused (or would be). One node per
// line, so it fits 80 columns.
func (m *Model) pathPicture(width int, withAPI bool) string {
	st := m.c.Styles
	ws := m.st.Workspace
	id := func(s string) string { return orDefault(s, "—") }
	var rows [][2]string
	add := func(label, value string) { rows = append(rows, [2]string{label, value}) }

	who := id(ws.SecurityGroupID)
	if ws.InstanceID != "" {
		who += st.Faint.Render("  " + ws.InstanceID)
	}
	add("workspace", who)

	sg := "ECR_VPCE_SG " + id(recordID(m.st.SecurityGroup))
	if m.st.Rule != nil {
		sg += st.Faint.Render("  rule " + m.st.Rule.ID)
	}
	add("↓ :443 into", sg)

	dkr := m.st.Endpoints[steps.EndpointDKR]
	eni := m.privateAddress()
	route := m.pushRoute()
	switch route {
	case routeAround:
		add("↓ ecr.dkr ENI", id(eni)+"  "+id(recordID(dkr)))
		add("", st.Error.Render("✗ ")+"DNS answers with public addresses: the push goes around this")
	case routeMaybeAround:
		add("↓ ecr.dkr ENI", id(eni)+"  "+id(recordID(dkr)))
		add("", st.Warn.Render("? ")+"DNS was skipped: the push may go around this")
	default:
		add("↓ ecr.dkr ENI", id(eni)+st.Faint.Render("  "+id(recordID(dkr))))
	}
	add("↓ policy gate", m.gateText())
	add("↓ Amazon ECR", orDefault(m.cfg.Repo, m.st.Repo))
	s3 := m.st.Endpoints[steps.EndpointS3]
	add("  layers", "s3 gateway "+id(recordID(s3))+st.Faint.Render(" · "+id(gatewayTable(ws))))
	if withAPI {
		add("  API calls", "ecr.api "+id(recordID(m.st.Endpoints[steps.EndpointAPI]))+st.Faint.Render("  login, list-images"))
	}
	if route != routeThrough {
		add("to prove it", m.proveWords())
	}

	lw := 0
	for _, r := range rows {
		lw = max(lw, lipgloss.Width(r[0]))
	}
	var b strings.Builder
	b.WriteString(st.PaneTitle.Render("How a push travels"))
	for _, r := range rows {
		label := pad(r[0], lw)
		if strings.HasPrefix(r[0], "↓") {
			label = st.Faint.Render("↓") + st.Label.Render(strings.TrimPrefix(label, "↓"))
		} else {
			label = st.Label.Render(label)
		}
		b.WriteString("\n" + truncate(label+"  "+r[1], width))
	}
	return b.String()
}

func recordID(r *steps.Record) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// privateAddress is the address the registry's name resolves to in the
// VPC (the ecr.dkr interface), from the last DNS lookup.
func (m *Model) privateAddress() string {
	for _, l := range m.lookups {
		if !strings.Contains(l.Name, ".dkr.") {
			continue
		}
		for _, a := range l.Addresses {
			if a.Private {
				return a.IP
			}
		}
	}
	if m.dkrAddress != "" {
		return m.dkrAddress
	}
	// A resumed run (or one 'up' made) sent no event with it: the
	// saved record has it.
	if r := m.st.Endpoints[steps.EndpointDKR]; r != nil && len(r.Addresses) > 0 {
		return r.Addresses[0]
	}
	return ""
}

// gateText says what the endpoint policy does to a push: what the push
// test saw, or, before it ran, what the policy in force predicts.
func (m *Model) gateText() string {
	st := m.c.Styles
	if t, ok := m.tests[steps.PushTest]; ok {
		if t.Unproven != "" {
			return st.Warn.Render(steps.StatusUnproven.Mark()+" ") + "not reached: the push went around the endpoint"
		}
		if t.Outcome.Allowed {
			return st.OK.Render("✓ ") + "let the push through"
		}
		if r, ok := m.refusals[steps.PushTest]; ok {
			by := ""
			if r.trace != nil {
				if d := r.trace.Deciding(); len(d) > 0 {
					by = " (" + d[0].Label + ")"
				}
			}
			return st.Error.Render("✗ ") + "refused the push at " + r.action + by
		}
		return st.Error.Render("✗ ") + "refused the push"
	}
	sim, ok := m.predict(m.appliedPolicies(), "push")
	if !ok {
		return st.Faint.Render("—")
	}
	action, by := refusedAt(sim)
	switch m.pushRoute() {
	case routeAround:
		// The policy never sees the push: what it would decide is moot.
		return st.Warn.Render(steps.StatusUnproven.Mark()+" ") + "not reached: the push " + m.aroundOutcome() + " unchecked"
	case routeMaybeAround:
		if action != "" {
			return st.Warn.Render(steps.StatusUnproven.Mark()+" ") + "refuses at " + action + " only if the push comes this way"
		}
		return st.Warn.Render(steps.StatusUnproven.Mark()+" ") + "lets the push through, if it comes this way"
	}
	if action != "" {
		return st.Error.Render("✗ ") + "will refuse the push at " + action + " (" + by + ")"
	}
	return st.OK.Render("✓ ") + "will let the push through"
}
