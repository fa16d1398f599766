package steps

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
)

// Leftover is what a run leaves in the account while it is left as it is,
// in the words every place that says so uses (the wizard's quit dialog and
// the note it prints on leaving, up when it is stopped, down when it is
// declined): what is still there and what it bills, when the
// auto-teardown removes it, and the command that removes it now. One
// function writes them, so that these places cannot drift apart.
type Leftover struct {
	// There says what is still there and what it bills: "Still there:
	// the ecr.dkr and ecr.api interface endpoints (about $0.02 per hour,
	// $0.02 so far), the s3 gateway endpoint and the security group
	// ECR_VPCE_SG with its rule." ("" when nothing is).
	There string
	// Until says what removes it, and when: the auto-teardown at the
	// expiry, or nothing ("" when the run has no expiry yet).
	Until string
	// Down is the command that removes it now.
	Down string
	// Cost is what the interface endpoints among it cost.
	Cost Cost
}

// None reports whether the run left nothing.
func (l Leftover) None() bool { return l.There == "" }

// Billing reports whether something of it is billed (on the sandbox: would
// be, on AWS): an interface endpoint, running or being deleted.
func (l Leftover) Billing() bool { return l.Cost.InterfaceEndpoints > 0 }

// Head is what is there, what it bills and what removes it when, without
// the command (for those who put the command on a line of its own).
func (l Leftover) Head() string {
	return strings.TrimSpace(l.There + " " + l.Until)
}

// Sentence is all of it, the command last: "Still there: …. The run
// expires at 15:04 (in 3h59m): …. 'ecr-vpce-lab down --yes' removes it
// all now." ("" when nothing is left).
func (l Leftover) Sentence() string {
	if l.None() {
		return ""
	}
	return l.Head() + " '" + l.Down + "' removes it all now."
}

// LeftoverOf says what the run of st leaves at now: on the sandbox, what
// AWS would bill, framed as such (OnAWS). down is the command that removes
// it, with the flags that chose this lab.
func LeftoverOf(st State, now time.Time, sandbox bool, down string) Leftover {
	l := Leftover{Down: down, Cost: CostOf(st, now)}
	rate, priced := HourlyRate(st.Region)
	var running, deleting []string
	var runBill, delBill Bill
	gateway := ""
	for _, k := range EndpointKeys {
		r := st.Endpoints[k]
		if r == nil || !r.Created || r.State == ResDeleted {
			continue
		}
		if r.Type != awsops.Interface && (r.Type != "" || k == EndpointS3) {
			gateway = "the " + k + " gateway endpoint"
			continue
		}
		var b Bill
		if r.Type == awsops.Interface { // as CostOf counts them
			b = BillOf(rate, r.AZs, r.CreatedAt, r.State, now)
		}
		if r.State == ResDeleting {
			deleting = append(deleting, k)
			delBill.SoFar += b.SoFar
			continue
		}
		running = append(running, k)
		runBill.PerHour += b.PerHour
		runBill.SoFar += b.SoFar
	}
	var parts []string
	if len(running) > 0 {
		bill := fmt.Sprintf("about $%.2f per hour, $%.2f so far", runBill.PerHour, runBill.SoFar)
		if !priced {
			bill = "billed by the hour; the lab has no price for " + st.Region + ": see " + PricingPage
		}
		parts = append(parts, interfaces(running)+" ("+OnAWS(bill, sandbox)+")")
	}
	if len(deleting) > 0 {
		// "Hourly billing for a VPC endpoint stops when you delete it"
		// (BillOf): what they cost is the hours begun.
		bill := "no longer billed by the hour"
		if priced {
			bill += fmt.Sprintf(", $%.2f so far", delBill.SoFar)
		}
		parts = append(parts, interfaces(deleting)+", being deleted ("+OnAWS(bill, sandbox)+")")
	}
	if gateway != "" {
		parts = append(parts, gateway)
	}
	switch sg, rule := st.SecurityGroup, st.Rule; {
	case sg != nil && sg.Created:
		p := "the security group " + cmp.Or(sg.Name, sg.ID)
		if rule != nil {
			p += " with its rule"
		}
		parts = append(parts, p)
	case rule != nil && rule.Created:
		parts = append(parts, "the rule "+rule.ID)
	}
	if n := len(st.PushedTags); n == 1 {
		parts = append(parts, "the pushed tag")
	} else if n > 1 {
		parts = append(parts, fmt.Sprintf("the %d pushed tags", n))
	}
	switch {
	case len(parts) == 0 && !st.HasResources():
		return l
	case len(parts) == 0:
		// Records without a resource the lab made (adopted endpoints,
		// a create cut short): the teardown still has work to do.
		l.There = "Still there: what this run recorded (none of it bills)."
	case len(running)+len(deleting) == 0:
		l.There = "Still there (none of it bills): " + JoinAnd(parts) + "."
	default:
		l.There = "Still there: " + JoinAnd(parts) + "."
	}
	l.Until = leftUntil(st, now, len(running) > 0 && !sandbox)
	return l
}

// leftUntil says what removes the run's endpoints and security group, and
// when; bills: endpoints bill by the hour until then.
func leftUntil(st State, now time.Time, bills bool) string {
	var what []string
	if len(st.createdEndpointIDs()) > 0 {
		what = append(what, "the endpoints")
	}
	if sg := st.SecurityGroup; sg != nil && sg.Created {
		what = append(what, "the security group")
	}
	if len(what) == 0 {
		return ""
	}
	them := JoinAnd(what)
	when := st.ExpiresAt.Local().Format("15:04")
	left := st.ExpiresAt.Sub(now)
	off := st.AutoTeardown != nil && st.AutoTeardown.Off != ""
	scheduled := st.AutoTeardown != nil && len(st.AutoTeardown.Schedules) > 0
	switch {
	case st.NeverExpires && bills && them == "the endpoints":
		return "No expiry: nothing removes the endpoints for you; they bill until you do."
	case st.NeverExpires && bills:
		return "No expiry: nothing removes " + them + " for you; the endpoints bill until you do."
	case st.NeverExpires:
		return "No expiry: nothing removes " + them + " for you."
	case st.ExpiresAt.IsZero():
		return ""
	case off && bills:
		return fmt.Sprintf("The run expires at %s, but nothing is scheduled to remove %s (%s): the endpoints bill until you remove them.", when, them, st.AutoTeardown.Off)
	case off:
		return fmt.Sprintf("The run expires at %s, but nothing is scheduled to remove %s (%s).", when, them, st.AutoTeardown.Off)
	case !st.TeardownStarted.IsZero() && !scheduled:
		// A teardown removes the auto-teardown's schedules first.
		return "The teardown removed the auto-teardown's schedules first: nothing removes " + them + " at the expiry."
	case !scheduled && len(st.createdEndpointIDs()) == 0:
		// The schedules are set once the endpoints exist.
		return "Nothing is scheduled yet to remove " + them + ": the auto-teardown is set once the endpoints exist."
	case left <= 0:
		return fmt.Sprintf("The run expired at %s: the auto-teardown removes %s.", when, them)
	}
	if len(what) > 1 {
		// The group's schedule runs after the endpoints have gone.
		return fmt.Sprintf("The auto-teardown removes the endpoints at %s (in %s), and the security group a little later.", when, FormatLeft(left))
	}
	return fmt.Sprintf("The auto-teardown removes %s at %s (in %s).", them, when, FormatLeft(left))
}

// OnAWS frames cost figures for where the lab runs: as they are on AWS;
// on the sandbox, which bills nothing, as what AWS would bill ("on AWS:
// about $0.02 per hour; the sandbox bills nothing").
func OnAWS(figures string, sandbox bool) string {
	if !sandbox {
		return figures
	}
	return "on AWS: " + figures + "; the sandbox bills nothing"
}

// HourlyNote is the closing reminder that interface endpoints bill by the
// hour, framed as OnAWS frames figures: on AWS, "Interface endpoints are
// billed for every hour they exist, so tear them down when you are done.";
// on the sandbox, which bills nothing, what AWS would do.
func HourlyNote(sandbox bool) string {
	const billed = "interface endpoints are billed for every hour they exist"
	if !sandbox {
		return "I" + billed[1:] + ", so tear them down when you are done."
	}
	return CostSentence(billed, true) + " Tear them down when you are done, as you would on AWS."
}

// CostSentence is a cost line of its own, framed as OnAWS frames figures:
// "Cost: figures." on AWS, "On AWS: figures; the sandbox bills nothing."
// on the sandbox.
func CostSentence(figures string, sandbox bool) string {
	if !sandbox {
		return "Cost: " + figures + "."
	}
	s := OnAWS(figures, sandbox)
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// interfaces names interface endpoints: "the ecr.dkr and ecr.api
// interface endpoints".
func interfaces(keys []string) string {
	s := "the " + JoinAnd(keys) + " interface endpoint"
	if len(keys) > 1 {
		s += "s"
	}
	return s
}

// JoinAnd lists words as a sentence does: "a", "a and b", "a, b and c".
func JoinAnd(words []string) string { return joinLast(words, " and ") }

// JoinOr lists choices as a sentence does: "a", "a or b", "a, b or c".
func JoinOr(words []string) string { return joinLast(words, " or ") }

func joinLast(words []string, last string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + last + words[len(words)-1]
}
