// Package ui is the wizard: one root model that owns the lab's state machine
// and the step list, and small screens that only draw what it hands them.
// Every call to AWS (or the sandbox) runs in a tea.Cmd; engine events arrive
// as messages, so Update never blocks.
package ui

import (
	"context"
	"io"

	"ecr-vpce-lab/steps"
)

// Common is what every screen shares: the space it has, the look and the
// keys.
type Common struct {
	Width, Height int
	Styles        Styles
	Keys          KeyMap
	Sandbox       bool
}

// Detection is what the wizard learns about the machine before it connects.
type Detection struct {
	// Credentials is set when the SDK's default chain found credentials.
	Credentials bool
	// OnEC2 is set when the instance metadata service answered.
	OnEC2 bool
	// Region is the region the SDK would use, if any.
	Region string
	// Problem explains a missing piece in one sentence ("" when none);
	// Fix says what to do about it.
	Problem, Fix string
	// Where says where the wizard runs and why it thinks so; Identity
	// which credentials it found.
	Where, Identity string
}

// Connection is a lab ready to run, and how to release what it holds (a
// sandbox started in-process).
type Connection struct {
	Lab   *steps.Lab
	Close func() error
	// Where describes the target for the header ("sandbox on 127.0.0.1:4566").
	Where string
}

// Target is what Connect builds the lab on.
type Target struct {
	// Sandbox: the built-in sandbox rather than AWS.
	Sandbox bool
	// Run is the run to carry on with, chosen from the runs found by their
	// tags ("" for the state file's run, or a new one).
	Run string
	// RetryTeardown is how the wizard runs a teardown again (its key),
	// for the teardown's fixes to say in place of running down again
	// (steps.Config.RetryTeardown).
	RetryTeardown string
}

// Options configure the wizard. main supplies the functions, so the UI never
// builds clients itself.
type Options struct {
	// Sandbox starts the wizard on the sandbox, skipping detection.
	Sandbox bool
	// Detect looks for credentials and the instance metadata service.
	Detect func(ctx context.Context) Detection
	// Connect builds the lab for AWS or the sandbox; events go to sink.
	// When the state file is gone and several runs are found by their
	// tags, it fails with a *steps.RunChoiceError, and the wizard asks
	// which one and connects again with Target.Run.
	Connect func(ctx context.Context, t Target, sink func(steps.Event)) (*Connection, error)
	// DarkBackground is the initial guess until the terminal answers.
	DarkBackground bool
	// Trace, when set, receives one line per message (ECR_VPCE_LAB_TRACE).
	Trace io.Writer
	// Again is the flags besides --sandbox that chose this lab, as given
	// (--state-dir, --region, --profile; "" for none). A command the wizard
	// tells the learner to run carries them, or it reaches another run.
	Again string
}
