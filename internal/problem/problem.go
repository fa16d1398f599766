// Package problem holds the project's error type: what went wrong (a Kind),
// while doing what, AWS's code and words when AWS answered, and the one thing
// the learner should do next. Every failure a person can see is a *Error:
// awsops builds them from AWS's answers, steps from its own checks (a state
// file that cannot be written, a step run out of order), and the printer,
// the JSON output and the wizard show their kind and fix.
//
// It imports nothing of the project or the SDK, so every package may use it.
package problem

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies what went wrong, so callers decide what to do and what to
// tell the learner without parsing messages. Its string is part of the JSON
// output (the "kind" of an "error").
type Kind string

// The kinds of problem.
const (
	NoCredentials      Kind = "no-credentials"
	ExpiredCredentials Kind = "expired-credentials"
	InvalidCredentials Kind = "invalid-credentials"
	Permission         Kind = "permission"
	Throttled          Kind = "throttled"
	NotFound           Kind = "not-found"
	Conflict           Kind = "conflict"
	Dependency         Kind = "dependency"
	// Network: AWS could not be reached at all (no answer, refused, DNS).
	Network Kind = "network"
	// Blocked: a security group drops the connections (AWS is there, but
	// the way to it admits nothing from here): no answer, like Network,
	// but trying again changes nothing until a rule does.
	Blocked Kind = "blocked"
	// Server: AWS answered, with a failure of its own (HTTP 5xx).
	Server  Kind = "server"
	Invalid Kind = "invalid"
	Region  Kind = "no-region"
	// RegionDisabled: the account has not enabled the (opt-in) region.
	RegionDisabled Kind = "region-disabled"
	NotOnEC2       Kind = "not-on-ec2"
	Canceled       Kind = "canceled"
	Timeout        Kind = "timeout"
	// Denied: the endpoint policy refused a request (the lab's tests).
	Denied Kind = "denied"
	// NotReady: a step ran before the steps it builds on.
	NotReady Kind = "not-ready"
	// Local: something on this machine (a file, a directory, docker).
	Local Kind = "local"
	// Unexpected: AWS did something other than what the policy predicts.
	Unexpected Kind = "unexpected"
	Unknown    Kind = "unknown"
)

var labels = map[Kind]string{
	NoCredentials:      "no credentials",
	ExpiredCredentials: "credentials expired",
	InvalidCredentials: "credentials not accepted",
	Permission:         "permission missing",
	Throttled:          "throttled by AWS",
	NotFound:           "not found",
	Conflict:           "already exists",
	Dependency:         "still in use",
	Network:            "AWS unreachable",
	Blocked:            "blocked by a security group",
	Server:             "AWS had a problem",
	Invalid:            "not valid",
	Region:             "no region",
	RegionDisabled:     "region not enabled",
	NotOnEC2:           "not on EC2",
	Canceled:           "stopped",
	Timeout:            "timed out",
	Denied:             "denied by the policy",
	NotReady:           "an earlier step is missing",
	Local:              "problem on this machine",
	Unexpected:         "unexpected outcome",
	Unknown:            "error",
}

// Label is the kind in a few plain words, for a person.
func (k Kind) Label() string {
	if l, ok := labels[k]; ok {
		return l
	}
	if k == "" {
		return labels[Unknown]
	}
	return string(k)
}

// Known reports whether the kind says more than "something went wrong",
// so it is worth showing beside the fix.
func (k Kind) Known() bool { return k != "" && k != Unknown }

// Retryable reports whether running the same thing again, unchanged, may
// succeed (AWS was busy, slow or unreachable, or something was still in use).
func (k Kind) Retryable() bool {
	switch k {
	case Throttled, Network, Server, Timeout, Dependency, Canceled:
		return true
	}
	return false
}

// DefaultFix is what to do when nothing more precise is known.
const DefaultFix = "run the command again with --verbose to see every API call"

// Error is a failed operation, classified, with the fix a learner can act on.
type Error struct {
	Kind Kind
	// Op is what we were doing, in plain words ("create the security group").
	Op string
	// Service and Operation name the API call, when one failed.
	Service, Operation string
	// Code is AWS's error code (or ours, for failures AWS has no code for).
	Code string
	// Message is the service's own message, verbatim, or ours in the same
	// style: one line, no stack of wrapped SDK errors.
	Message string
	// Fix is one sentence saying what to do next.
	Fix string
	// Encoded is the encoded authorization failure message AWS attached to
	// a refusal (EC2's UnauthorizedOperation), which only
	// sts:DecodeAuthorizationMessage reads: hundreds of characters, so it
	// is not part of Message; Fix carries it in the command that decodes
	// it, until someone who can keep it in a file (steps) shortens that.
	Encoded string
	// Err is the cause, for errors.Is/As; it is never shown as is.
	Err error
}

// New returns a problem of the given kind that has no cause of its own.
func New(kind Kind, op, msg, fix string) *Error {
	return &Error{Kind: kind, Op: op, Message: msg, Fix: fix}
}

// Wrap returns a problem caused by err, which has nothing to do with AWS
// (a file that cannot be written, say): err's text becomes the message.
func Wrap(kind Kind, op string, err error, fix string) *Error {
	e := &Error{Kind: kind, Op: op, Fix: fix, Err: err}
	if err != nil {
		e.Message = err.Error()
	}
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	switch {
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, "%s: %s", e.Code, e.Message)
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Code != "":
		b.WriteString(e.Code)
	default:
		b.WriteString(e.Kind.Label())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Plain is Error for a person: the code (AWS's, or one of the lab's own
// such as RefusedElsewhere) is left out when the kind says in words what
// went wrong; Error keeps it, for the JSON output and the logs.
func (e *Error) Plain() string {
	if e.Code == "" || !e.Kind.Known() {
		return e.Error()
	}
	c := *e
	c.Code = ""
	if c.Message == "" {
		c.Message = e.Kind.Label()
	}
	return c.Error()
}

// Words is err's text for a person: the problem in its chain said with
// Plain, wherever the wrapping put it.
func Words(err error) string {
	if err == nil {
		return ""
	}
	text := err.Error()
	if e, ok := As(err); ok {
		return strings.Replace(text, e.Error(), e.Plain(), 1)
	}
	return text
}

// As returns the problem in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of the problem in err's chain: Unknown when
// there is none, "" for a nil error.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	if e, ok := As(err); ok && e.Kind != "" {
		return e.Kind
	}
	return Unknown
}

// FixOf returns the fix carried by the problem in err's chain ("" otherwise).
func FixOf(err error) string {
	if e, ok := As(err); ok {
		return e.Fix
	}
	return ""
}

// CodeOf returns the code of the problem in err's chain ("" otherwise).
func CodeOf(err error) string {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}
