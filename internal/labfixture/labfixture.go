// Package labfixture builds the lab on a test's sandbox, so the wizard's
// tests (and others') get a steps.Lab without importing awsops themselves.
//
// It is apart from internal/sandboxlab, which holds the awsops options
// that reach a sandbox, so that awsops's own tests can use those without
// depending on steps: a package whose tests import steps gets steps and
// everything between compiled a second time for its test binary.
package labfixture

import (
	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// Lab builds a lab on sb that reports to em (API calls included), keeping
// its state in store. mods adjust the options (sandboxlab.Options) first.
func Lab(sb *sandbox.Sandbox, cfg steps.Config, store *steps.Store, em *steps.Emitter, mods ...func(*awsops.Options)) (*steps.Lab, error) {
	o := sandboxlab.Options(sb)
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
