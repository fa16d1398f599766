// Package sandboxlab connects the lab to a running sandbox, for tests: the
// awsops options that point every client at it (the APIs, the metadata
// service, the registry, DNS), loopback only, with dummy credentials. It
// keeps that wiring in one place, and lets the wizard's tests build a lab
// without importing awsops themselves.
//
// It must not be imported by the sandbox's own tests: a server tested
// through its client's code cannot catch the client's mistakes.
package sandboxlab

import (
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// Options are awsops options that reach sb and nothing else, polling fast.
func Options(sb *sandbox.Sandbox) awsops.Options {
	cr := sb.Credentials()
	o := awsops.Options{Config: awsops.StaticConfig(sb.Region(), cr.AccessKeyID, cr.SecretAccessKey),
		BaseEndpoint: sb.Endpoint(), IMDSEndpoint: sb.IMDSEndpoint(), LoopbackOnly: true,
		Poll: 5 * time.Millisecond}
	for _, e := range sb.Env() {
		switch e.Name {
		case "ECR_REGISTRY":
			o.RegistryAddr = e.Value
		case "LAB_DNS_SERVER":
			o.DNSServer = e.Value
		}
	}
	return o
}

// Lab builds a lab on sb that reports to em (API calls included), keeping
// its state in store. mods adjust the options first.
func Lab(sb *sandbox.Sandbox, cfg steps.Config, store *steps.Store, em *steps.Emitter, mods ...func(*awsops.Options)) (*steps.Lab, error) {
	o := Options(sb)
	if em != nil {
		o.Observer = em.Call
	}
	for _, m := range mods {
		m(&o)
	}
	cloud, err := awsops.New(o)
	if err != nil {
		return nil, err
	}
	return steps.New(cfg, cloud, store, em)
}
