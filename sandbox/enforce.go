package sandbox

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"ecr-vpce-lab/policy"
)

// Short names of the ECR endpoint services.
const (
	serviceDKR = "ecr.dkr"
	serviceAPI = "ecr.api"
)

// routedEndpoint returns the interface endpoint that requests for an ECR
// service (serviceDKR or serviceAPI) travel through at now, or nil when they
// go the public way.
//
// Requests travel the way the workspace's DNS sends them: through an
// endpoint of the service in the workspace VPC with private DNS on, once it is
// available and its private DNS answers (Timing.DNSSwitch after becoming
// available), provided the VPC resolves private zones (enableDnsSupport and
// enableDnsHostnames) and no fault keeps DNS public. The DNS server answers
// with the same rule, so what dig shows and what the policy sees agree.
func (s *Sandbox) routedEndpoint(w *world, now time.Time, short string) *vpcEndpoint {
	if s.opts.Faults.DNSNeverSwitches {
		return nil
	}
	n := w.workspaceENI()
	if n == nil {
		return nil
	}
	v := w.vpc(n.VpcID)
	if v == nil || !v.EnableDNSSupport || !v.EnableDNSHostnames {
		return nil
	}
	name := "com.amazonaws." + w.Region + "." + short
	for _, e := range w.Endpoints {
		if e.Type == "Interface" && e.VpcID == v.ID && e.ServiceName == name && e.PrivateDNS &&
			e.visible(now) && e.state(now) == stateAvailable && !now.Before(e.DNSSwitchAt) {
			return e
		}
	}
	return nil
}

// endpointIPs are the private addresses of an endpoint's live interfaces.
func endpointIPs(w *world, e *vpcEndpoint, now time.Time, az string) []string {
	var ips []string
	for _, id := range e.ENIIDs {
		if n := w.eni(id); n != nil && n.live(now) && (az == "" || n.AZ == az) {
			ips = append(ips, n.IP)
		}
	}
	sort.Strings(ips)
	return ips
}

// policyCache keeps parsed endpoint policies by their text.
type policyCache struct {
	mu sync.Mutex
	m  map[string]*policy.Document
}

func (c *policyCache) parse(doc string) *policy.Document {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.m[doc]; ok {
		return d
	}
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		// CreateVpcEndpoint lints policies, so this is a world edited by
		// hand: a policy AWS could not parse allows nothing.
		d = nil
	}
	if c.m == nil || len(c.m) > 64 {
		c.m = map[string]*policy.Document{}
	}
	c.m[doc] = d
	return d
}

// endpointCheck is one ECR action to authorise at an endpoint.
type endpointCheck struct {
	action   string // ecr:PutImage
	resource string // repository ARN or *
}

// endpointDenial evaluates checks, in order, against the policy of the
// endpoint requests for the service travel through. It returns the refusal
// sentence AWS gives and the refused action, or "" when every check passes
// (or no endpoint is in the way).
func (s *Sandbox) endpointDenial(short string, checks []endpointCheck) (msg, action string) {
	var doc string
	var principal, account string
	s.read(func(w *world) {
		e := s.routedEndpoint(w, s.opts.Clock.Now(), short)
		if e == nil {
			return
		}
		doc, principal, account = e.Policy, w.callerARN(), w.Account
	})
	if doc == "" {
		return "", ""
	}
	d := s.policies.parse(doc)
	for _, c := range checks {
		req := policy.Request{Action: c.action, Resource: c.resource, Principal: principal, PrincipalAccount: account}
		var dec policy.Decision
		if d == nil {
			dec = policy.Decision{Result: policy.ResultImplicitDeny, Reason: "because no VPC endpoint policy allows the " + c.action + " action"}
		} else {
			dec = policy.Evaluate(d, req)
		}
		if !dec.Allowed() {
			return policy.DenialMessage(req, dec), c.action
		}
	}
	return "", ""
}

// ecrAPIChecks returns what an ECR API request is authorised for at the
// api endpoint: its action on the repository it names (or * for
// GetAuthorizationToken, and every repository for an unqualified
// DescribeRepositories). ok is false when the body cannot be read; the
// operation then answers the request with its own error.
func (s *Sandbox) ecrAPIChecks(action string, body []byte) ([]endpointCheck, bool) {
	var in struct {
		RegistryID      string   `json:"registryId"`
		RepositoryName  string   `json:"repositoryName"`
		RepositoryNames []string `json:"repositoryNames"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, false
		}
	}
	account := s.opts.Account
	if in.RegistryID != "" {
		account = in.RegistryID
	}
	act := "ecr:" + action
	switch {
	case action == "GetAuthorizationToken":
		return []endpointCheck{{act, "*"}}, true
	case action == "DescribeRepositories" && len(in.RepositoryNames) == 0:
		return []endpointCheck{{act, policy.RepositoryARN(s.opts.Region, account, "*")}}, true
	case action == "DescribeRepositories":
		var cs []endpointCheck
		for _, n := range in.RepositoryNames {
			cs = append(cs, endpointCheck{act, policy.RepositoryARN(s.opts.Region, account, n)})
		}
		return cs, true
	case in.RepositoryName == "":
		return nil, false
	}
	return []endpointCheck{{act, policy.RepositoryARN(s.opts.Region, account, in.RepositoryName)}}, true
}

// enforceECRAPI refuses an ECR API request its endpoint's policy does not
// allow, with AccessDeniedException and AWS's sentence.
func (s *Sandbox) enforceECRAPI(action string, body []byte) *APIError {
	if _, ok := ecrOps[action]; !ok {
		return nil
	}
	checks, ok := s.ecrAPIChecks(action, body)
	if !ok {
		return nil
	}
	if msg, _ := s.endpointDenial(serviceAPI, checks); msg != "" {
		return apiErr(http.StatusBadRequest, "AccessDeniedException", "%s", msg)
	}
	return nil
}
