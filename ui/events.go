package ui

import (
	"path/filepath"
	"strings"
	"time"

	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/steps"
)

// handleEvent folds one engine event into the model.
func (m *Model) handleEvent(e steps.Event) {
	if !e.Time.IsZero() && e.Time.After(m.now) {
		m.now = e.Time
	}
	sid := screenOf(e.Step)
	switch e.Kind {
	case steps.EventState:
		if e.State != nil {
			m.st = *e.State
			if m.st.Account != "" {
				m.knownAccount = m.st.Account
			}
		}
		return
	case steps.EventCall:
		if e.Call != nil {
			m.calls = append(m.calls, *e.Call)
			if len(m.calls) > 500 {
				m.calls = m.calls[len(m.calls)-500:]
			}
		}
		return
	case steps.EventCommand:
		if e.Command != nil && sid >= 0 {
			m.screens[sid].commands = append(m.screens[sid].commands, *e.Command)
			if e.Step == steps.StepDiscover {
				// Discovery runs from Preflight but is what Workspace shows.
				m.screens[scrWorkspace].commands = append(m.screens[scrWorkspace].commands, *e.Command)
			}
		}
		return
	case steps.EventSkipped, steps.EventUnproven:
		// The engine recorded a skip (this wizard's, or the headless
		// 'up --skip-dns' of a resumed run), or a test that proves
		// nothing: say it in its words.
		if sid >= 0 {
			status := steps.StatusSkipped
			if e.Kind == steps.EventUnproven {
				status = steps.StatusUnproven
			}
			if m.screens[sid].status != steps.StatusUnproven {
				m.screens[sid].status = status
			}
			if e.Reason != "" {
				m.screens[sid].note = notPassedNote(status, e.Reason)
			}
		}
		return
	case steps.EventCheck:
		if e.Check != nil {
			m.setCheck(*e.Check)
		}
		return
	case steps.EventDNS:
		m.lookups = e.Lookups
		if e.NextPoll > 0 {
			m.nextPoll = e.Time.Add(e.NextPoll)
		} else {
			m.nextPoll = time.Time{}
		}
		return
	case steps.EventTest:
		if e.Test != nil {
			m.recordTest(*e.Test)
		}
		return
	}
	if e.Step == steps.StepTeardown {
		m.teardownEvent(e)
		return
	}
	if sid < 0 {
		return
	}
	sc := &m.screens[sid]
	switch e.Kind {
	case steps.EventDetail:
		if e.Message != "" {
			sc.details = append(sc.details, e.Message)
			if len(sc.details) > 50 {
				sc.details = sc.details[len(sc.details)-50:]
			}
		}
	case steps.EventResource:
		if e.Resource != nil {
			if r := e.Resource; r.Kind == steps.KindEndpoint && r.Name == steps.EndpointDKR && len(r.Addresses) > 0 {
				m.dkrAddress = r.Addresses[0]
			}
			m.setResource(*e.Resource, e.Time, false)
		}
	case steps.EventFailed:
		if e.ErrKind == problem.Canceled {
			// Stopped, not failed: the operation's end says so (and may
			// arrive before this event).
			return
		}
		if e.Step == steps.StepDiscover && e.ErrKind == problem.NotOnEC2 {
			// No workspace here to discover: the learner chooses it (the
			// operation's end opens the picker), nothing to fix.
			return
		}
		sc.err, sc.fix = e.Error, withKind(e.ErrKind, e.Fix)
	}
}

// recordTest keeps a test's latest result, as its event or its step's end
// brings it (both may, in either order: the same result twice is one).
func (m *Model) recordTest(t steps.TestResult) {
	m.tests[t.Name] = t
	m.explainTest(t)
}

// skippedNote is a skipped step's note: one wording wherever the skip is
// learnt (as it happens, from the state of a resumed run), and one full
// stop, since some reasons are sentences of their own.
func skippedNote(reason string) string {
	return "Skipped, not passed: " + sentence(reason)
}

// notPassedNote is the note of a step that ended skipped, or unproven (the
// test ran: what it lacks is proof, not a run). An unproven test's result
// above the note says why, so the note says what to do.
func notPassedNote(status steps.StepStatus, reason string) string {
	if status == steps.StatusUnproven {
		if _, fix, ok := strings.Cut(reason, "; "); ok && fix == steps.UnprovenFix {
			reason = fix
		}
		return "Not proven, not passed: " + sentence(reason)
	}
	return skippedNote(reason)
}

func (m *Model) setCheck(c steps.CheckItem) {
	for i := range m.checks {
		if m.checks[i].ID == c.ID {
			m.checks[i] = c
			return
		}
	}
	m.checks = append(m.checks, c)
}

// setResource keeps one progress line per resource.
func (m *Model) setResource(r steps.ResourceEvent, at time.Time, restoring bool) {
	// One line per resource: by name (an endpoint's service, the group's
	// name), since the creating event comes before AWS gives an ID.
	key := string(r.Kind) + "/" + r.Name
	line, ok := m.resources[key]
	if !ok {
		label, short := resourceLabels(r)
		line = &ResourceLine{Label: label, Short: short}
		m.resources[key] = line
		m.order = append(m.order, key)
	}
	if r.ID != "" {
		line.ID = r.ID
	}
	line.State = r.State
	if r.Detail != "" {
		line.Detail = r.Detail
	}
	if !r.Since.IsZero() {
		line.Started = r.Since
	} else if line.Started.IsZero() {
		line.Started = at
	}
	switch {
	case r.State.Failed():
		line.Err = r.Detail
		line.Ended = at
	case r.State.Settled():
		if line.Ended.IsZero() {
			line.Ended = at
			if restoring {
				line.Ended = line.Started
			}
		}
	default:
		line.Ended = time.Time{}
	}
}

// resourceLabels names a resource on a progress line: in full ("ecr.dkr
// interface endpoint"), and in fewer words for a narrow screen
// ("ecr.dkr"), where the ID beside it says the rest ("sg-…" is a group).
func resourceLabels(r steps.ResourceEvent) (label, short string) {
	switch r.Kind {
	case steps.KindEndpoint:
		switch r.Name {
		case steps.EndpointS3:
			return "s3 gateway endpoint", "s3 gateway"
		case "":
			return "endpoint", "endpoint"
		}
		return r.Name + " interface endpoint", r.Name
	case steps.KindSecurityGroup:
		return "security group " + r.Name, orDefault(r.Name, "group")
	case steps.KindIngressRule:
		return "ingress rule tcp/443", "tcp/443 rule"
	case steps.KindImageTag:
		label = "image tag " + r.Name
		return label, orDefault(r.Name, label)
	case steps.KindEnvFile:
		return "~/.ecr_security lines", "~/.ecr_security"
	case steps.KindStateFile:
		return "state file", "state file"
	case steps.KindVPCAttributes:
		return "VPC DNS attributes", "VPC DNS"
	case steps.KindRepository:
		label = "repository " + r.Name
		return label, orDefault(r.Name, label)
	case steps.KindLocalImage:
		return "local image", "local image"
	}
	label = r.Kind.Label()
	if r.Name != "" {
		label += " " + r.Name
	}
	return label, label
}

func (m *Model) teardownEvent(e steps.Event) {
	switch e.Kind {
	case steps.EventDetail:
		m.tdNote = e.Message
	case steps.EventResource:
		if e.Resource == nil {
			return
		}
		m.tdNote = "" // what it waited for has moved on
		r := *e.Resource
		key := string(r.Kind) + "/" + r.ID + "/" + r.Name
		line, ok := m.tdIndex[key]
		if !ok {
			id := r.ID
			if r.Kind == steps.KindStateFile || r.Kind == steps.KindEnvFile {
				// A path says nothing to a learner here and does not fit.
				id = filepath.Base(id)
			}
			label, short := resourceLabels(r)
			line = &ResourceLine{Label: label, Short: short, ID: id, Started: e.Time}
			m.tdIndex[key] = line
			m.teardown = append(m.teardown, line)
		}
		if line.State != "" && line.State != r.State {
			line.Past = append(line.Past, line.State)
		}
		line.State = r.State
		line.Detail = r.Detail
		if !r.Since.IsZero() && len(line.Past) == 0 {
			line.Started = r.Since
		}
		switch {
		case r.State.Failed():
			line.Ended, line.Err = e.Time, r.Detail
		case r.State.Settled():
			line.Ended = e.Time
		default:
			// Busy again: a deleted interface endpoint goes on to wait
			// for its network interfaces.
			line.Ended = time.Time{}
		}
	case steps.EventFailed:
		m.tdErr, m.tdFix = e.Error, withKind(e.ErrKind, e.Fix)
	}
}

// screenOf maps an engine step to the screen that shows it.
func screenOf(id steps.StepID) screenID {
	switch id {
	case steps.StepDiscover, steps.StepPreflight:
		return scrPreflight
	case steps.StepSecurityGroup:
		return scrSecurityGroup
	case steps.StepIngress:
		return scrIngress
	case steps.StepPolicy:
		return scrPolicy
	case steps.StepEndpoints:
		return scrEndpoints
	case steps.StepDNS:
		return scrDNS
	case steps.StepPush:
		return scrPush
	case steps.StepList, steps.StepPull:
		return scrList
	}
	return -1
}
