package cli

import (
	"fmt"
	"strings"
	"time"

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
	// How AWS's eventual consistency shows (issue 15): set only when given.
	readLag, propagation optDuration
	// The account's faults of issue 15.
	tagPolicy, sgReferenced bool
}

// optDuration is a duration flag that knows whether it was given (0 is a
// value: it turns a timing's default off).
type optDuration struct {
	set bool
	d   time.Duration
}

func (o *optDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("must not be negative")
	}
	o.set, o.d = true, d
	return nil
}

func (o *optDuration) String() string {
	if !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optDuration) Type() string { return "duration" }

// addWorldFlags declares --world, --fault-imds-hop-limit and
// --fault-region-disabled.
func addWorldFlags(fl *pflag.FlagSet, w *worldFlags) {
	var names []string
	for _, n := range sandbox.WorldNames() {
		names = append(names, n)
	}
	fl.StringVar(&w.world, "world", "", "the place the sandbox plays: "+strings.Join(names, ", ")+
		" (default: the saved world's, or "+sandbox.DefaultWorld+"; another world needs a fresh state directory, or 'ecr-vpce-lab sandbox --reset')")
	fl.BoolVar(&w.hopLimit, "fault-imds-hop-limit", false, "the metadata service's token PUT goes unanswered from the workspace, "+
		"as in a container when the instance's hop limit is 1")
	fl.BoolVar(&w.regionDisabled, "fault-region-disabled", false, "the world's region answers as an opt-in region the account has not enabled")
	fl.BoolVar(&w.arm64Index, "fault-arm64-index", false, "a new world's team-a/alpine:v1 is an image index holding only a linux/arm64 image")
	fl.BoolVar(&w.s3Gateway, "fault-s3-gateway-policy", false, "a new world has another team's S3 gateway endpoint on the workspace's route table, "+
		"whose policy does not allow ECR's layer bucket")
	fl.Var(&w.readLag, "eventual-consistency", "reads of EC2 lag its writes by up to this long, drawn per resource: a group or endpoint "+
		"just created is NotFound, one just deleted still listed (default: 2s with the realistic timing, 5s with aws, 0 with instant)")
	fl.BoolVar(&w.tagPolicy, "fault-tag-policy", false, "the role may create but not tag: a create with tags is refused for ec2:CreateTags, "+
		"with an encoded authorization message")
	fl.BoolVar(&w.sgReferenced, "fault-sg-referenced", false, "another team's security group ("+sandbox.ReferencingGroupName+") gains an outbound "+
		"HTTPS rule to each group the lab creates, so EC2 refuses to delete the lab's group until that rule goes")
	fl.Var(&w.propagation, "policy-propagation", "a changed endpoint policy is enforced only this long after ModifyVpcEndpoint "+
		"(AWS: \"a few minutes\"; default 0)")
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
	o.Faults.TagPolicy = o.Faults.TagPolicy || w.tagPolicy
	o.Faults.SGReferenced = o.Faults.SGReferenced || w.sgReferenced
	if w.readLag.set {
		o.Timing.ReadLag = w.readLag.d
	}
	if w.propagation.set {
		o.Timing.PolicyPropagation = w.propagation.d
	}
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
