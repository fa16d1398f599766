// Package sandboxlab connects the lab to a sandbox: the awsops options that
// point every client at it (the APIs, the metadata service, the registry,
// DNS), loopback only, with its dummy credentials. The command line uses it
// for a sandbox it starts and for one already serving; tests use it for
// theirs (internal/labfixture builds their labs with it). It keeps that
// wiring in one place. It does not import steps, so that awsops's tests use
// it without steps being compiled again for their test binary.
//
// It must not be imported by the sandbox's own tests: a server tested
// through its client's code cannot catch the client's mistakes.
package sandboxlab

import (
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/sandbox"
)

// FromEnv returns the awsops options for the sandbox whose exports get
// looks up (the lines 'ecr-vpce-lab sandbox' prints: AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, ..., ECR_REGISTRY, LAB_DNS_SERVER).
func FromEnv(get func(name string) string) awsops.Options {
	return awsops.Options{
		Config:       awsops.StaticConfig(get("AWS_REGION"), get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")),
		BaseEndpoint: get("AWS_ENDPOINT_URL"), IMDSEndpoint: get("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
		RegistryAddr: get("ECR_REGISTRY"), DNSServer: get("LAB_DNS_SERVER"),
		LoopbackOnly: true,
	}
}

// FromExports is FromEnv over a sandbox's export list (Sandbox.Env, or what
// sandbox.Running reads from a serving one).
func FromExports(env []sandbox.EnvVar) awsops.Options {
	return FromEnv(func(name string) string {
		for _, e := range env {
			if e.Name == name {
				return e.Value
			}
		}
		return ""
	})
}

// Elsewhere returns the awsops options for the sandbox's other vantage
// points, from its exports: a machine outside the VPC (its requests take
// the public path: LAB_PUBLIC_ENDPOINT_URL, LAB_PUBLIC_REGISTRY, signed
// with LAB_PUBLIC_ACCESS_KEY_ID and LAB_PUBLIC_SECRET_ACCESS_KEY) and the
// partner account's CI role, signing with its own keys and addressing the
// lab's registry (LAB_OTHER_ACCESS_KEY_ID, LAB_OTHER_SECRET_ACCESS_KEY,
// ACCOUNT_ID). ok is false when the sandbox exports neither (one from
// before they existed).
func Elsewhere(get func(name string) string) (public, other awsops.Options, ok bool) {
	if get("LAB_PUBLIC_ENDPOINT_URL") == "" || get("LAB_OTHER_ACCESS_KEY_ID") == "" {
		return awsops.Options{}, awsops.Options{}, false
	}
	public = FromEnv(get)
	public.Config = awsops.StaticConfig(get("AWS_REGION"), get("LAB_PUBLIC_ACCESS_KEY_ID"), get("LAB_PUBLIC_SECRET_ACCESS_KEY"))
	public.BaseEndpoint, public.RegistryAddr = get("LAB_PUBLIC_ENDPOINT_URL"), get("LAB_PUBLIC_REGISTRY")
	// Outside the VPC there is no metadata service and no VPC resolver.
	public.IMDSEndpoint, public.IMDSDisabled, public.DNSServer = "", true, ""
	other = FromEnv(get)
	other.Config = awsops.StaticConfig(get("AWS_REGION"), get("LAB_OTHER_ACCESS_KEY_ID"), get("LAB_OTHER_SECRET_ACCESS_KEY"))
	other.RegistryID = get("ACCOUNT_ID")
	return public, other, true
}

// ElsewhereOf is Elsewhere over an export list.
func ElsewhereOf(env []sandbox.EnvVar) (public, other awsops.Options, ok bool) {
	return Elsewhere(Lookup(env))
}

// Lookup looks a name up in an export list.
func Lookup(env []sandbox.EnvVar) func(string) string {
	return func(name string) string {
		for _, e := range env {
			if e.Name == name {
				return e.Value
			}
		}
		return ""
	}
}

// FixtureIMDSTimeouts are the metadata timeouts of a lab built by Options:
// a test's sandbox answers from a goroutine of the test process, which on
// 2 loaded cores (the suite under -race, other packages beside it) took up
// to 490 ms to answer, against the SDK's 500 ms. The fixtures here imitate
// no hop limit, so nothing waits these out; a test of the hop limit builds
// its Metadata with the SDK's timeouts, as the lab does.
var FixtureIMDSTimeouts = awsops.IMDSTimeouts{Dial: 5 * time.Second, Header: 5 * time.Second}

// FixturePoll is the cadence of a test lab's waits on a sandbox with
// timing: 5 ms on an instant one, where nothing takes time; 50 ms where
// something does. A test's timings are AWS's scaled down to a second or
// two; its waits (EC2's lag, an endpoint pending) polled every few
// milliseconds were hundreds of describes a second, most of the CPU of the
// tests that have them, where 50 ms still sees each state many times over.
func FixturePoll(timing sandbox.Timing) time.Duration {
	if timing == sandbox.Instant {
		return 5 * time.Millisecond
	}
	return 50 * time.Millisecond
}

// Options are awsops options that reach sb and nothing else, polling fast
// (FixturePoll), and patient with its metadata service
// (FixtureIMDSTimeouts): test fixtures.
func Options(sb *sandbox.Sandbox) awsops.Options {
	o := FromExports(sb.Env())
	// The sandbox's own keys, whatever the world exports (CloudShell's
	// container credentials, a laptop's profile).
	cr := sb.Credentials()
	o.Config = awsops.StaticConfig(sb.Region(), cr.AccessKeyID, cr.SecretAccessKey)
	o.Poll = FixturePoll(sb.Timing())
	o.IMDSTimeouts = FixtureIMDSTimeouts
	return o
}
