// Command ecr-vpce-lab walks a learner through securing Amazon ECR with VPC
// endpoints and an endpoint policy, against real AWS or an offline sandbox.
// The commands live in internal/cli.
package main

// The README's screenshots: the wizard on the sandbox, rendered with freeze.
//go:generate go run ./tools/screenshots -out docs/screens

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"ecr-vpce-lab/internal/cli"
)

// version and commit are stamped at release time with
// -ldflags "-X main.version=... -X main.commit=...".
var (
	version = ""
	commit  = ""
)

func main() {
	// The commands take Ctrl-C and SIGTERM for themselves while they run.
	// One that lands after a command has ended and let go of them (a second
	// press, a script's kill loop) would otherwise kill the process by the
	// signal's default action, in place of the exit status the command
	// chose: the process keeps listening until it exits.
	signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
	cli.Version, cli.Commit = version, commit
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
