package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"ecr-vpce-lab/sandbox"
)

// worldFlags choose the kind of place the sandbox plays and the metadata
// service's hop-limit fault. The sandbox command and every command run
// with --sandbox declare them through addWorldFlags, so they read the same
// everywhere.
type worldFlags struct {
	world          string
	hopLimit       bool
	regionDisabled bool
	arm64Index     bool
	s3Gateway      bool
}

// addWorldFlags declares --world, --fault-imds-hop-limit and
// --fault-region-disabled.
func addWorldFlags(fl *pflag.FlagSet, w *worldFlags) {
	var names []string
	for _, n := range sandbox.WorldNames() {
		names = append(names, n)
	}
	fl.StringVar(&w.world, "world", "", "the place the sandbox plays: "+strings.Join(names, ", ")+
		" (default: the saved world's, or "+sandbox.DefaultWorld+"; another world needs a fresh state directory or --reset)")
	fl.BoolVar(&w.hopLimit, "fault-imds-hop-limit", false, "the metadata service's token PUT goes unanswered from the workspace, "+
		"as in a container when the instance's hop limit is 1")
	fl.BoolVar(&w.regionDisabled, "fault-region-disabled", false, "the world's region answers as an opt-in region the account has not enabled")
	fl.BoolVar(&w.arm64Index, "fault-arm64-index", false, "a new world's team-a/alpine:v1 is an image index holding only a linux/arm64 image")
	fl.BoolVar(&w.s3Gateway, "fault-s3-gateway-policy", false, "a new world has another team's S3 gateway endpoint on the workspace's route table, "+
		"whose policy does not allow ECR's layer bucket")
}

// apply sets the sandbox options the flags choose.
func (w worldFlags) apply(o *sandbox.Options) error {
	if w.world != "" {
		if _, err := sandbox.WorldByName(w.world); err != nil {
			return exitCode(2, "--world: %v", err)
		}
	}
	o.World = w.world
	o.Faults.IMDSHopLimit = o.Faults.IMDSHopLimit || w.hopLimit
	o.Faults.RegionDisabled = o.Faults.RegionDisabled || w.regionDisabled
	o.Faults.ARM64Index = o.Faults.ARM64Index || w.arm64Index
	o.Faults.S3GatewayPolicy = o.Faults.S3GatewayPolicy || w.s3Gateway
	return nil
}

// worldsHelp describes every world, for --help.
func worldsHelp() string {
	var b strings.Builder
	for _, n := range sandbox.WorldNames() {
		d, _ := sandbox.WorldByName(n)
		fmt.Fprintf(&b, "  %-15s %s\n", d.Name, d.Title)
	}
	return b.String()
}
