package steps

import "ecr-vpce-lab/awsops"

// The domain types the lab hands its callers, for the wizard to read
// without importing awsops: only steps drives AWS, and a caller that could
// reach a Cloud would grow a second path to it. They are aliases, so the
// values are awsops's own and nothing is copied.
type (
	// Workspace is the learner's VPC, subnet, security group and route table.
	Workspace = awsops.Workspace
	// Lookup is one DNS lookup of an ECR host name.
	Lookup = awsops.Lookup
	// Command is the AWS CLI equivalent of one call.
	Command = awsops.Command
	// Call is one finished API call (for logs and --verbose).
	Call = awsops.Call
	// Choice is a VPC, subnet or security group to choose from.
	Choice = awsops.Choice
	// Image is one image of a repository (tag and digest).
	Image = awsops.Image
	// Environment is where the lab runs and how it knows.
	Environment = awsops.Environment
	// EnvKind is the kind of place the lab runs in.
	EnvKind = awsops.EnvKind
	// LocalImage is the copy of the image the push test pushes.
	LocalImage = awsops.LocalImage
	// Outcome is whether AWS let a request through, in its own words.
	Outcome = awsops.Outcome
)

// ShellQuote quotes s for a POSIX shell when it needs it, as Command.String
// does.
func ShellQuote(s string) string { return awsops.ShellQuote(s) }
