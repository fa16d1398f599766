package sandbox

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
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
	name := serviceName(w.Region, short, false)
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

// endpointCheck is one ECR action to authorise.
type endpointCheck struct {
	action   string // ecr:PutImage
	resource string // repository ARN or *
}

// Identity-based policies: the workspace's role allows what the lab does
// (Faults.DenyActions takes actions away, refused on their own), and the
// partner account's CI role allows ECR in its own account's IAM.
var (
	workspaceIdentity = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	otherIdentity     = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`)
	// brokenPolicy stands for a policy AWS could not parse: it allows
	// nothing.
	brokenPolicy = &policy.Document{Version: "2012-10-17"}
)

// netPath is the way a request reaches ECR.
type netPath struct {
	// endpoint carries it (nil: the public path).
	endpoint *vpcEndpoint
	// sourceIP is the caller's address as ECR sees it: the workspace's
	// private address through an endpoint (aws:VpcSourceIp), a public one
	// otherwise (aws:SourceIp).
	sourceIP string
}

// routeOf is the way a request for service short takes: from outside the
// VPC (public) always the public path; from the workspace, through the
// endpoint its DNS names (routedEndpoint), else out through the internet
// gateway from the instance's public address.
func (s *Sandbox) routeOf(w *world, now time.Time, short string, public bool) netPath {
	if public {
		return netPath{sourceIP: outsidePublicIP}
	}
	if e := s.routedEndpoint(w, now, short); e != nil {
		rt := netPath{endpoint: e}
		if n := w.workspaceENI(); n != nil {
			rt.sourceIP = n.IP
		}
		return rt
	}
	return netPath{sourceIP: workspacePublicIP}
}

// requestContext is the request context AWS gives a policy (IAM's global
// condition keys, "Properties of the principal / network / request", and
// ECR's resource tags): the principal's account, role and organization;
// the endpoint, VPC and private address through an endpoint, the public
// address otherwise; HTTPS (ECR serves nothing else, so
// aws:SecureTransport is "true" although the sandbox speaks plain HTTP on
// loopback); the region; and the repository's tags as aws:ResourceTag/…
// and ecr:ResourceTag/….
func (w *world) requestContext(caller principal, rt netPath, repoARN string) map[string][]string {
	ctx := map[string][]string{
		"aws:PrincipalAccount":      {caller.account},
		"aws:PrincipalArn":          {caller.roleARN},
		"aws:SecureTransport":       {"true"},
		"aws:RequestedRegion":       {w.Region},
		"aws:PrincipalIsAWSService": {"false"},
	}
	if caller.orgID != "" {
		ctx["aws:PrincipalOrgID"] = []string{caller.orgID}
	}
	if e := rt.endpoint; e != nil {
		ctx["aws:SourceVpce"] = []string{e.ID}
		ctx["aws:SourceVpc"] = []string{e.VpcID}
		if rt.sourceIP != "" {
			ctx["aws:VpcSourceIp"] = []string{rt.sourceIP}
		}
	} else if rt.sourceIP != "" {
		ctx["aws:SourceIp"] = []string{rt.sourceIP}
	}
	for _, t := range w.Tags[repoARN] {
		ctx["aws:ResourceTag/"+t.Key] = []string{t.Value}
		ctx["ecr:ResourceTag/"+t.Key] = []string{t.Value}
	}
	return ctx
}

// authorize evaluates checks, in order, for caller against every policy
// they meet (policy.Authorize): the policy of the endpoint that carries
// requests for the service (none on the public path), the repository's, the
// caller's own. It returns AWS's refusal sentence and the refused action,
// or "" when every check passes.
func (s *Sandbox) authorize(short string, checks []endpointCheck, caller principal, public bool) (msg, action string) {
	type job struct {
		req      policy.Request
		policies policy.Policies
	}
	var jobs []job
	s.read(func(w *world) {
		now := s.opts.Clock.Now()
		rt := s.routeOf(w, now, short, public)
		var ep *policy.Document
		// The policy in force: a changed one only once it has propagated.
		if rt.endpoint != nil && rt.endpoint.enforced(now) != "" {
			if ep = s.policies.parse(rt.endpoint.enforced(now)); ep == nil {
				ep = brokenPolicy
			}
		}
		identity := workspaceIdentity
		if caller.other {
			identity = otherIdentity
		}
		for _, c := range checks {
			p := policy.Policies{ThroughEndpoint: rt.endpoint != nil, Endpoint: ep, Identity: identity}
			if arn, ok := policy.ParseARN(c.resource); ok {
				p.ResourceAccount = arn.Account
				if r := w.Images.repo(strings.TrimPrefix(arn.Resource, "repository/")); r != nil && arn.Account == w.Account && r.Policy != "" {
					if p.Repository = s.policies.parse(r.Policy); p.Repository == nil {
						p.Repository = brokenPolicy
					}
				}
			}
			req := policy.Request{Action: c.action, Resource: c.resource, Principal: caller.arn, PrincipalAccount: caller.account,
				Context: w.requestContext(caller, rt, c.resource)}
			jobs = append(jobs, job{req, p})
		}
	})
	for _, j := range jobs {
		if a := policy.Authorize(j.policies, j.req, false); !a.Allowed {
			return a.Message, j.req.Action
		}
	}
	return "", ""
}

// ecrAPIChecks returns what an ECR API request is authorised for at the
// api endpoint: its action on the repository it names (or * for
// GetAuthorizationToken, and every repository for an unqualified
// DescribeRepositories). ok is false when the body cannot be read; the
// operation then answers the request with its own error.
func (s *Sandbox) ecrAPIChecks(action string, body []byte, caller principal) ([]endpointCheck, bool) {
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
	// Without registryId a call is about the caller's own registry.
	account := caller.account
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

// enforceECRAPI refuses an ECR API request the policies it meets do not
// allow, with AccessDeniedException and AWS's sentence.
func (s *Sandbox) enforceECRAPI(c *apiCall, body []byte) *APIError {
	if _, ok := ecrOps[c.action]; !ok {
		return nil
	}
	checks, ok := s.ecrAPIChecks(c.action, body, c.caller)
	if !ok {
		return nil
	}
	if msg, _ := s.authorize(serviceAPI, checks, c.caller, c.public); msg != "" {
		return apiErr(http.StatusBadRequest, "AccessDeniedException", "%s", msg)
	}
	return nil
}

// admitsHTTPS reports whether the security groups groupIDs let the
// workspace interface n in on tcp/443: an inbound rule for tcp (or every
// protocol) whose ports cover 443, from a group n carries or from a CIDR
// holding n's address. Security groups only allow; what no rule admits is
// dropped.
func (w *world) admitsHTTPS(groupIDs []string, n *eni) bool {
	ip, err := netip.ParseAddr(n.IP)
	if err != nil {
		return false
	}
	for _, r := range w.Rules {
		if r.Egress || !slices.Contains(groupIDs, r.GroupID) {
			continue
		}
		if r.Protocol != "-1" && !(r.Protocol == "tcp" && r.FromPort <= 443 && 443 <= r.ToPort) {
			continue
		}
		if r.RefGroupID != "" && slices.Contains(n.GroupIDs, r.RefGroupID) {
			return true
		}
		if r.CIDRv4 != "" {
			if pfx, err := netip.ParsePrefix(r.CIDRv4); err == nil && pfx.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// sgDrops reports whether a request for service short from the workspace
// (not public) travels through an interface endpoint whose security groups
// do not admit the workspace on HTTPS: AWS then drops the connection, with
// no answer at all.
//
// "The security group rules control the traffic to the endpoint network
// interface from resources in your VPC"
// [https://docs.aws.amazon.com/vpc/latest/userguide/vpce-interface.html]:
// security groups hold only allow rules, and a packet none allows is
// dropped without a reply, so the client's connection times out.
func (s *Sandbox) sgDrops(short string, public bool) bool {
	if public {
		return false
	}
	drops := false
	s.read(func(w *world) {
		now := s.opts.Clock.Now()
		e := s.routedEndpoint(w, now, short)
		n := w.workspaceENI()
		if e == nil || n == nil {
			return
		}
		drops = !w.admitsHTTPS(e.GroupIDs, n)
	})
	return drops
}

// dropConnection is what the client of a dropped connection sees: nothing
// for Timing.SecurityGroupDrop (the sandbox's stand-in for the client's
// own timeout), then the connection closes without an HTTP answer. A
// client that gives up sooner, or the sandbox closing, ends the wait.
func (s *Sandbox) dropConnection(rw http.ResponseWriter, r *http.Request) {
	if d := s.opts.Timing.SecurityGroupDrop; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.closing:
		}
	}
	if hj, ok := rw.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Without the raw connection, net/http's own way to end a response
	// unanswered.
	panic(http.ErrAbortHandler)
}
