package sandbox

import (
	"strings"
	"unicode/utf8"

	"ecr-vpce-lab/policy"
)

// ECR repository policies: SetRepositoryPolicy, GetRepositoryPolicy and
// DeleteRepositoryPolicy (botocore's ECR model 2015-09-21: policyText of at
// most 10,240 characters; RepositoryPolicyNotFoundException when there is
// none). A policy is evaluated with the endpoint's and the caller's own on
// every request for its repository (enforce.go, policy.Authorize).

// invalidRepositoryPolicy is ECR's answer to a policy it cannot use
// (terraform-aws-modules/terraform-aws-ecr#19, aws/aws-cdk#24314: a
// Resource element in it, among others).
func invalidRepositoryPolicy() *APIError {
	return ecrInvalid("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
}

type jRepositoryPolicy struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	PolicyText     string `json:"policyText"`
}

func ecrSetRepositoryPolicy(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID     string  `json:"registryId"`
		RepositoryName string  `json:"repositoryName"`
		PolicyText     *string `json:"policyText"`
		Force          bool    `json:"force"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if in.PolicyText == nil {
		return nil, ecrInvalid("Invalid parameter at 'policyText' failed to satisfy constraint: 'Member must not be null'")
	}
	if utf8.RuneCountInString(*in.PolicyText) > policy.MaxRepositorySize {
		return nil, ecrInvalid("Invalid parameter at 'policyText' failed to satisfy constraint: 'Member must have length less than or equal to 10240'")
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	doc, err := policy.Parse([]byte(*in.PolicyText))
	if err != nil || len(doc.Statements) == 0 {
		return nil, invalidRepositoryPolicy()
	}
	for _, st := range doc.Statements {
		if st.Resource != nil || st.NotResource != nil || (st.Principal == nil && st.NotPrincipal == nil) ||
			(st.Effect != policy.Allow && st.Effect != policy.Deny) || (st.Action == nil && st.NotAction == nil) {
			return nil, invalidRepositoryPolicy()
		}
		for _, p := range []*policy.Principal{st.Principal, st.NotPrincipal} {
			if p == nil || p.Any {
				continue
			}
			for _, ids := range p.IDs {
				for _, id := range ids {
					if !x.w.knownPrincipal(id) {
						// hashicorp/terraform-provider-aws#39064.
						return nil, ecrInvalid("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'")
					}
				}
			}
		}
	}
	if !in.Force && x.locksOut(doc, r.Name) {
		// The model: "If the policy you are attempting to set on a
		// repository policy would prevent you from setting another policy
		// in the future, you must force the SetRepositoryPolicy
		// operation." ECR's wording of the refusal is not documented.
		return nil, ecrInvalid("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'The policy would prevent you from setting another policy on this repository; set force to apply it anyway'")
	}
	r.Policy = *in.PolicyText
	x.dirty = true
	return jRepositoryPolicy{RegistryID: x.registry(), RepositoryName: r.Name, PolicyText: r.Policy}, nil
}

// locksOut reports whether doc would refuse the caller's next
// SetRepositoryPolicy on repo, along the way this request came.
func (x *ecrCtx) locksOut(doc *policy.Document, repo string) bool {
	arn := x.repoARN(repo)
	path := x.s.routeOf(x.w, x.now, serviceAPI, x.public)
	req := policy.Request{Action: "ecr:SetRepositoryPolicy", Resource: arn, Principal: x.caller.arn, PrincipalAccount: x.caller.account,
		Context: x.w.requestContext(x.caller, path, arn)}
	return policy.EvaluateAs(policy.TypeRepository, doc, req).Result == policy.ResultExplicitDeny
}

func (x *ecrCtx) repositoryPolicy() (*repository, *APIError) {
	var in struct {
		RegistryID     string `json:"registryId"`
		RepositoryName string `json:"repositoryName"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	if strings.TrimSpace(r.Policy) == "" {
		return nil, badRequest("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", r.Name, x.registry())
	}
	return r, nil
}

func ecrGetRepositoryPolicy(x *ecrCtx) (any, *APIError) {
	r, e := x.repositoryPolicy()
	if e != nil {
		return nil, e
	}
	return jRepositoryPolicy{RegistryID: x.registry(), RepositoryName: r.Name, PolicyText: r.Policy}, nil
}

func ecrDeleteRepositoryPolicy(x *ecrCtx) (any, *APIError) {
	r, e := x.repositoryPolicy()
	if e != nil {
		return nil, e
	}
	out := jRepositoryPolicy{RegistryID: x.registry(), RepositoryName: r.Name, PolicyText: r.Policy}
	r.Policy = ""
	x.dirty = true
	return out, nil
}

// RepositoryPolicy is the policy of a repository ("" for none), for tests.
func (s *Sandbox) RepositoryPolicy(repo string) string {
	var text string
	s.read(func(w *world) {
		if r := w.Images.repo(repo); r != nil {
			text = r.Policy
		}
	})
	return text
}
