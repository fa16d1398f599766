package awsops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"ecr-vpce-lab/internal/problem"
)

// EC2 is eventually consistent: "if you run a command to modify or describe
// the resource that you just created, its ID might not have propagated
// throughout the system, and you will get an error responding that the
// resource does not exist." AWS's advice is to retry with an exponential
// backoff, "starting with a couple of seconds of wait time, and increasing
// gradually up to a few minutes" (older wording: up to about five minutes).
// https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
// (research I.1). The lab does so for the IDs it created moments ago, and
// only for those: a NotFound for anything older means what it says.

// DefaultConsistencyWait is how long after creating a resource the lab
// takes EC2's NotFound for it as reads that have not caught up yet.
const DefaultConsistencyWait = 5 * time.Minute

// steadyLagTries is how many tries Settle makes at the poll cadence before
// it backs off.
const steadyLagTries = 5

// maxLagBackoff caps the wait between two tries of a call EC2 answered
// NotFound for a resource created moments ago.
const maxLagBackoff = 8 * time.Second

// Lagging reports whether err is EC2's NotFound for a resource (the
// answer reads give while a new ID propagates): InvalidGroup.NotFound,
// InvalidVpcEndpointId.NotFound and the like, never a malformed ID.
func Lagging(err error) bool {
	return strings.HasSuffix(CodeOf(err), ".NotFound")
}

// Young reports whether a resource created at since may still be unknown
// to EC2's reads. since is on AWS's clock (the lab records it with Now), so
// the age is too: a world whose clock moved on (the sandbox's, hours ahead
// for an expiry) makes nothing young that AWS made long ago.
func (c *Cloud) Young(since time.Time) bool {
	return !since.IsZero() && c.Now().Sub(since) < c.opts.ConsistencyWait
}

// Settle runs call, and runs it again while it fails with EC2's NotFound
// and the resource it names was created less than ConsistencyWait before
// since: at the poll cadence for the first few tries (the lag is usually
// seconds, and a learner waits), then doubling up to 8 s. onLag, when set,
// hears each wait. The last error is returned as it came.
func (c *Cloud) Settle(ctx context.Context, since time.Time, onLag func(err error, wait time.Duration), call func() error) error {
	wait := c.opts.Poll
	for tries := 1; ; tries++ {
		err := call()
		if err == nil || !Lagging(err) || !c.Young(since) || c.Now().Sub(since)+wait > c.opts.ConsistencyWait {
			return err
		}
		if onLag != nil {
			onLag(err, wait)
		}
		if serr := sleep(ctx, wait); serr != nil {
			// Said for the lag either way: a create not listed yet, or
			// (the teardown's last look) a delete still listed.
			return c.classify("wait for EC2's reads to catch up with its writes", serr)
		}
		if tries >= steadyLagTries {
			wait = min(2*wait, maxLagBackoff)
		}
	}
}

// LagNote says, in a sentence, that EC2 does not know something created
// moments ago yet; for progress lines.
func LagNote(what string, since time.Time, wait time.Duration) string {
	again := "in " + wait.Round(100*time.Millisecond).String()
	if wait < 50*time.Millisecond {
		again = "at once" // (the sandbox's instant timing), not "in 0s"
	}
	return fmt.Sprintf("EC2 does not know %s yet (created %s ago; its reads lag its writes for a few seconds): trying again %s",
		what, time.Since(since).Round(time.Second), again)
}

// StillListedNote says, in a sentence, that EC2 still lists what was
// deleted moments ago and that the look for what is left is made again
// until it does not; for progress lines.
func StillListedNote(what string) string {
	return "EC2 still lists " + what + ", deleted moments ago: its reads lag its writes for a few seconds, so the check that nothing is left looks again until they catch up"
}

// stillUnknown is the error for a resource created moments ago that EC2
// has not come to know within ConsistencyWait.
func (c *Cloud) stillUnknown(op, what string) error {
	return problem.New(problem.NotFound, op,
		fmt.Sprintf("%s was created, but EC2 still does not know it after %s", what, c.opts.ConsistencyWait.Round(time.Second)),
		"check in the VPC console whether it exists; run the command again (the lab will not create it twice), or 'down' to remove it")
}
