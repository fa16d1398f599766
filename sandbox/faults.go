package sandbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/internal/partition"
)

// Faults make the sandbox misbehave the ways AWS does, so the lab engine's
// handling of each can be tested and rehearsed. The zero value injects
// nothing.
//
// Rate faults (throttling, 5xx) and latency hit EC2, ECR and STS, and the
// registry too when Registry is set. World faults (VPCDNSOff,
// ExistingDKREndpoint, NoRepository) shape a world when it is created (an
// in-memory world, a fresh state directory, or --reset); a saved world is
// served as it was left.
type Faults struct {
	// Seed makes the random draws of the rate faults reproducible: the same
	// seed and the same sequence of requests give the same faults. Zero picks
	// a random seed.
	Seed uint64
	// ThrottleRate is the fraction (0 to 1) of calls refused as throttled:
	// RequestLimitExceeded (EC2), ThrottlingException (ECR), Throttling
	// (STS), 429 TOOMANYREQUESTS (registry).
	ThrottleRate float64
	// ServerErrorRate is the fraction (0 to 1) of calls answered with a 5xx
	// error: InternalError or Unavailable (EC2), ServerException (ECR),
	// InternalFailure or ServiceUnavailable (STS), 503 UNAVAILABLE (registry).
	ServerErrorRate float64
	// Latency is added to every call (before it is answered).
	Latency time.Duration
	// Registry extends the rate faults and the latency to the registry.
	Registry bool

	// FailEndpoints makes new interface endpoints end in the failed state
	// with this reason instead of available.
	FailEndpoints string
	// FailEndpointServices narrows FailEndpoints to these services, given
	// short (ecr.dkr) or in full (com.amazonaws.REGION.ecr.dkr); empty means
	// every interface endpoint.
	FailEndpointServices []string

	// DNSNeverSwitches keeps the ECR host names on their public addresses
	// whatever endpoints exist (as when a custom DHCP option set or another
	// private hosted zone shadows the endpoint's): requests then do not
	// travel through the endpoint, and its policy does not apply.
	DNSNeverSwitches bool
	// VPCDNSOff starts the world with enableDnsSupport and
	// enableDnsHostnames off on the VPC.
	VPCDNSOff bool
	// ExistingDKREndpoint starts the world with an available ecr.dkr
	// interface endpoint with private DNS already in the VPC (not made by the
	// lab), so the lab's own conflicts with it.
	ExistingDKREndpoint bool
	// NoRepository starts the world without the repository team-a/alpine.
	NoRepository bool
	// ARM64Index starts the world with v1 of team-a/alpine an OCI image
	// index of one linux/arm64 image (what buildx or containerd push from
	// an ARM machine): a client that resolves it to linux/amd64 fails.
	ARM64Index bool
	// S3GatewayPolicy starts the world with an S3 gateway endpoint on the
	// workspace's route table (another team's, which the lab adopts) whose
	// policy allows only that team's bucket, not ECR's layer bucket
	// prod-REGION-starport-layer-bucket: layer downloads get S3's 403.
	S3GatewayPolicy bool

	// IMDSHopLimit leaves the metadata service's token PUT unanswered from
	// the workspace, as a container behind a bridge sees it when the
	// instance's HttpPutResponseHopLimit is 1 (the answer expires on the
	// extra hop); GETs are answered. [research G.2]
	IMDSHopLimit bool

	// RegionDisabled answers requests signed for the world's region as AWS
	// answers an opt-in region the account has not enabled (as if the keys
	// were unknown); STS in us-east-1 still accepts them.
	RegionDisabled bool
	// SchedulerThrottleRate is the fraction (0 to 1) of EventBridge
	// Scheduler calls refused with ThrottlingException (429), on top of
	// ThrottleRate.
	SchedulerThrottleRate float64
	// RolePropagation is how long a new IAM role stays invisible to
	// EventBridge Scheduler: CreateSchedule and UpdateSchedule with it
	// answer "The execution role you provide must allow AWS EventBridge
	// Scheduler to assume the role." meanwhile, as AWS does while IAM
	// propagates a role (research D.2, E).
	RolePropagation time.Duration
	// FireOnTest makes the home world's pending one-time schedules fire as
	// soon as the learner's tests start (the first registry request once
	// an endpoint exists), as if their time had come: the auto-teardown
	// deleting the endpoints under a test.
	FireOnTest bool

	// TagPolicy refuses tagging on create: a create with
	// TagSpecifications needs ec2:CreateTags as well, which the caller's
	// role lacks here (as under a tag-based policy that only allows tagged
	// creates of some kinds). The refusal names ec2:CreateTags and carries
	// an encoded authorization message, as AWS's does.
	// [https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html; research C.6]
	TagPolicy bool

	// SGReferenced has another team's security group (ReferencingGroupName,
	// in the same VPC) gain an outbound HTTPS rule to every security group
	// the caller creates, moments after it is created, as a colleague
	// opening their application's way to the endpoints does: EC2 then
	// refuses to delete the group (DependencyViolation) until that rule
	// goes, whatever the wait.
	// [https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html]
	SGReferenced bool

	// DenyActions are IAM actions (ec2:CreateVpcEndpoint, ecr:ListImages)
	// the caller's role lacks: those calls are refused as AWS refuses a
	// call no identity-based policy allows (UnauthorizedOperation for EC2,
	// also for DryRun calls; AccessDeniedException for ECR; 403 DENIED from
	// the registry for the ECR actions it maps requests to). The message
	// names the action. sts:GetCallerIdentity cannot be denied, as in AWS.
	DenyActions []string
}

// taggingCreates are the EC2 creates the lab tags as it makes them: IAM
// authorizes their TagSpecifications as ec2:CreateTags on the new resource.
var taggingCreates = map[string]bool{"CreateSecurityGroup": true, "AuthorizeSecurityGroupIngress": true, "CreateVpcEndpoint": true}

// tagOnCreate returns the resource type a create tags (from its first
// TagSpecification), "" when it tags nothing.
func tagOnCreate(action string, p params) string {
	if !taggingCreates[action] {
		return ""
	}
	for _, spec := range p.structs("TagSpecification") {
		if len(spec.structs("Tag")) > 0 {
			if rt := spec.str("ResourceType"); rt != "" {
				return rt
			}
			return "*"
		}
	}
	return ""
}

// ShapesWorld reports whether any fault shapes a new world (VPCDNSOff,
// ExistingDKREndpoint, NoRepository).
func (f Faults) ShapesWorld() bool { return f.VPCDNSOff || f.ExistingDKREndpoint || f.NoRepository }

// RateNames are the fault rates' names as the user set them (flags,
// fields), for CheckRates' words.
type RateNames struct{ Throttle, Server, SchedulerThrottle string }

// optionNames name the rates as Options hold them.
var optionNames = RateNames{"faults: throttle rate", "faults: 5xx rate", "faults: scheduler throttle rate"}

// CheckRates refuses rates that are not fractions from 0 to 1 (NaN and
// infinities are not), or a throttle rate and a 5xx rate that add up to
// more than 1 (a call draws one fault or none), in the words the command
// line and the options share.
func (f Faults) CheckRates(n RateNames) error {
	for _, r := range []struct {
		name string
		v    float64
	}{{n.Throttle, f.ThrottleRate}, {n.Server, f.ServerErrorRate}, {n.SchedulerThrottle, f.SchedulerThrottleRate}} {
		if !(r.v >= 0 && r.v <= 1) { // true for NaN
			return fmt.Errorf("%s %v: give a fraction from 0 to 1 (0.1: one call in ten)", r.name, r.v)
		}
	}
	if f.ThrottleRate+f.ServerErrorRate > 1 {
		return fmt.Errorf("%s %v and %s %v add up to more than 1: a call is throttled or fails, not both; lower one so that they add up to 1 at most",
			n.Throttle, f.ThrottleRate, n.Server, f.ServerErrorRate)
	}
	return nil
}

func (f Faults) check() error {
	if err := f.CheckRates(optionNames); err != nil {
		return err
	}
	if f.Latency < 0 {
		return fmt.Errorf("faults: negative latency %s", f.Latency)
	}
	if f.RolePropagation < 0 {
		return fmt.Errorf("faults: negative role propagation %s", f.RolePropagation)
	}
	for _, a := range f.DenyActions {
		svc, name, ok := strings.Cut(a, ":")
		if !ok || !slices.Contains([]string{"ec2", "ecr", "iam", "scheduler", "sts", "organizations"}, svc) || name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("faults: deny action %q: want SERVICE:Action for ec2, ecr, iam, scheduler, sts or organizations", a)
		}
	}
	return nil
}

// denies reports whether the fault DenyActions refuses service:action
// (IAM action names are case-insensitive).
func (f Faults) denies(service, action string) bool {
	for _, a := range f.DenyActions {
		if strings.EqualFold(a, service+":"+action) {
			return true
		}
	}
	return false
}

// deniedAction is AWS's refusal of a call no identity-based policy allows;
// repo names the ECR repository the call is about ("" for none).
func (s *Sandbox) deniedAction(service, action, repo string) *APIError {
	return s.deniedOn(service, action, repo, ec2ResourceOf(action))
}

// deniedOn is deniedAction with the EC2 resource type named (a wildcard
// ARN tail like security-group/*; "" for none).
func (s *Sandbox) deniedOn(service, action, repo, ec2Resource string) *APIError {
	var caller string
	s.read(func(w *world) { caller = w.callerARN() })
	act := service + ":" + action
	if service == "ec2" {
		// EC2 names the resource (a wildcard of its type: the request is
		// refused before anything exists) and attaches an encoded message
		// that `aws sts decode-authorization-message` reads on AWS; here
		// it is the same JSON, base64url-encoded, not encrypted.
		on := ""
		if r := ec2Resource; r != "" {
			on = " on resource: arn:" + partition.Of(s.opts.Region).ID + ":ec2:" + s.opts.Region + ":" + s.opts.Account + ":" + r
		}
		detail := fmt.Sprintf(`{"allowed":false,"explicitDeny":false,"matchedStatements":{"items":[]},"failures":{"items":[]},`+
			`"context":{"principal":{"arn":%q},"action":%q,"resource":%q}}`, caller, act, strings.TrimPrefix(on, " on resource: "))
		return apiErr(http.StatusForbidden, "UnauthorizedOperation",
			"You are not authorized to perform this operation. User: %s is not authorized to perform: %s%s because no identity-based policy allows the %s action. Encoded authorization failure message: %s",
			caller, act, on, act, base64.RawURLEncoding.EncodeToString([]byte(detail)))
	}
	resource := "*"
	if repo != "" {
		resource = s.repoARN(repo)
	}
	return apiErr(http.StatusBadRequest, "AccessDeniedException",
		"User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", caller, act, resource, act)
}

// ec2ResourceOf is the resource type an EC2 action is authorized on, as a
// wildcard ARN tail; "" for the Describe actions, which IAM authorizes on
// no resource.
func ec2ResourceOf(action string) string {
	switch {
	case strings.HasPrefix(action, "Describe"):
		return ""
	case strings.Contains(action, "VpcEndpoint"):
		return "vpc-endpoint/*"
	case strings.Contains(action, "SecurityGroup"):
		return "security-group/*"
	case strings.Contains(action, "VpcAttribute"):
		return "vpc/*"
	}
	return "*/*"
}

// failsEndpoint reports whether a new interface endpoint of service (its
// full name) fails, with the reason.
func (f Faults) failsEndpoint(region, service string) (string, bool) {
	if f.FailEndpoints == "" {
		return "", false
	}
	if len(f.FailEndpointServices) == 0 {
		return f.FailEndpoints, true
	}
	short := shortService(service, region)
	if slices.Contains(f.FailEndpointServices, service) || slices.Contains(f.FailEndpointServices, short) {
		return f.FailEndpoints, true
	}
	return "", false
}

// faultKind is what the dice decided for one call.
type faultKind int

const (
	faultNone faultKind = iota
	faultThrottle
	faultServer
	faultServerAlt // the other 5xx flavour of the service
)

// injector draws the rate faults from one seeded source.
type injector struct {
	f   Faults
	mu  sync.Mutex
	rng *rand.Rand
}

func newInjector(f Faults) *injector {
	seed := f.Seed
	if seed == 0 {
		seed = rand.Uint64() | 1
	}
	return &injector{f: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// draw decides the fault of one call. Exactly one random number is drawn
// per call when a rate is set, so a seed replays the same sequence.
func (in *injector) draw() faultKind {
	t, e := in.f.ThrottleRate, in.f.ServerErrorRate
	if t == 0 && e == 0 {
		return faultNone
	}
	in.mu.Lock()
	r := in.rng.Float64()
	in.mu.Unlock()
	switch {
	case r < t:
		return faultThrottle
	case r < t+e/2:
		return faultServer
	case r < t+e:
		return faultServerAlt
	}
	return faultNone
}

// delay waits the configured latency, or until ctx ends.
func (in *injector) delay(ctx context.Context) {
	if in.f.Latency <= 0 {
		return
	}
	t := time.NewTimer(in.f.Latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// apiFault is the fault of one API call, as its service spells it. A
// server error is the service's own internal error (internalError, the
// one the handlers answer with too); the alternative 5xx is a 503 where
// the service has one (EC2's Unavailable, STS's and IAM's
// ServiceUnavailable) and that same internal error elsewhere.
func (in *injector) apiFault(ctx context.Context, service, protocol string) *APIError {
	in.delay(ctx)
	k := in.draw()
	if service == "scheduler" && k == faultNone && in.f.SchedulerThrottleRate > 0 {
		in.mu.Lock()
		r := in.rng.Float64()
		in.mu.Unlock()
		if r < in.f.SchedulerThrottleRate {
			k = faultThrottle
		}
	}
	switch k {
	case faultThrottle:
		return throttled(service)
	case faultServerAlt:
		switch service {
		case "ec2":
			return apiErr(http.StatusServiceUnavailable, "Unavailable", "The server is overloaded and can't handle the request.")
		case "sts", "iam":
			return apiErr(http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unable to handle request.")
		}
		return internalError(protocol)
	case faultServer:
		return internalError(protocol)
	}
	return nil
}

// throttled is a service's answer to a caller over its request rate.
func throttled(service string) *APIError {
	switch service {
	case "ec2":
		return apiErr(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	case "scheduler":
		return apiErr(http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded")
	case "organizations":
		return apiErr(http.StatusBadRequest, "TooManyRequestsException", "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.")
	case "sts", "iam":
		return apiErr(http.StatusBadRequest, "Throttling", "Rate exceeded")
	}
	return apiErr(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
}

// registryFault is the fault of one registry request, or nil.
func (in *injector) registryFault(ctx context.Context) *regError {
	if !in.f.Registry {
		return nil
	}
	in.delay(ctx)
	switch in.draw() {
	case faultThrottle:
		return &regError{status: http.StatusTooManyRequests, code: "TOOMANYREQUESTS", message: "Rate exceeded"}
	case faultServer, faultServerAlt:
		return &regError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", message: "The service is unavailable. Try again later."}
	}
	return nil
}

// applyWorldFaults shapes a freshly created world (the caller holds it
// exclusively and saves it afterwards).
func (s *Sandbox) applyWorldFaults(w *world, now time.Time) {
	f := s.opts.Faults
	n := w.workspaceENI()
	if n == nil {
		n = w.instanceENI()
	}
	v := w.vpc(n.VpcID)
	if f.VPCDNSOff {
		v.EnableDNSSupport, v.EnableDNSHostnames = false, false
	}
	if f.NoRepository {
		_, _ = w.Images.deleteRepository(RepoA, true)
	}
	if f.ARM64Index && !f.NoRepository {
		if err := s.makeARM64Index(w, now); err != nil {
			s.opts.Logger.Error("sandbox: the arm64 index fault", "err", err)
		}
	}
	if f.S3GatewayPolicy {
		s.addS3Gateway(w, now)
	}
	if f.ExistingDKREndpoint {
		x := &ec2Ctx{request: &request{s: s, w: w, now: now}}
		created := now.UTC().Add(-48 * time.Hour).Truncate(time.Second)
		// The platform team's endpoint admits HTTPS from the whole VPC
		// (its own group): the lab adopts it without touching its groups,
		// and the workspace reaches it.
		sg := &securityGroup{ID: w.id("sg"), Name: "platform-team-vpce", Description: "HTTPS from the VPC to the platform team's endpoints", VpcID: v.ID}
		w.Groups = append(w.Groups, sg)
		w.Rules = append(w.Rules,
			&sgRule{ID: w.id("sgr"), GroupID: sg.ID, Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: v.CIDR},
			&sgRule{ID: w.id("sgr"), GroupID: sg.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"})
		ep := &vpcEndpoint{
			ID: w.id("vpce"), Type: "Interface", VpcID: v.ID, ServiceName: serviceName(w.Region, serviceDKR, false),
			Policy: defaultEndpointPolicy, SubnetIDs: []string{n.SubnetID}, GroupIDs: []string{sg.ID},
			PrivateDNS: true, CreatedAt: created, AvailableAt: created, DNSSwitchAt: created,
		}
		ep.DNSLabel = w.hex("dns-label", 8)
		x.addENI(ep, w.subnet(n.SubnetID))
		w.Endpoints = append(w.Endpoints, ep)
		w.setTags(ep.ID, []tag{{"Name", "platform-team-ecr-dkr"}})
	}
}
