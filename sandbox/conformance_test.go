package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The conformance table: each behaviour of AWS the sandbox copies, with
// where it is written down, so the next audit starts from here. Sources:
//
//   - DOC   an AWS documentation page (URL given)
//   - MODEL botocore's service model (or the AWS SDK for Go's)
//   - OBS   real AWS output someone captured (the capture is named)
//   - INF   inferred: nothing found confirms it; a design choice of the
//     sandbox, kept close to AWS's habits
//
// Each behaviour is an error outcome (a request AWS refuses, and how) or a
// shape (a value or element AWS returns). TestConformance runs them all
// and logs the figures; a wrong one fails the test.
type behaviour struct {
	area   string // ec2, ecr, registry, dns, imds, sts
	name   string
	aws    string // what AWS does
	source string
	tag    string // DOC, MODEL, OBS, INF
	error  bool   // an error outcome (else a shape)
	check  func(f *conf) error
}

// notModelled is what the sandbox still does not copy, with the reason; the
// audit reports it beside the figures.
var notModelled = []struct{ what, why string }{
	{"the EC2, ECR and STS operations the lab does not use (see TestConformance's log for how many)",
		"they answer UnsupportedOperation / UnsupportedOperationException naming the operation, never InvalidAction"},
	{"throttling buckets per operation (CreateVpcEndpoint: 4 burst, 0.3/s)",
		"throttling is a seeded rate fault (--fault-throttle-rate), not a token bucket"},
	{"IPv6 and dual-stack (IpAddressType dualstack/ipv6, Ipv6 CIDR blocks)", "the world's VPC has no IPv6 CIDR; such requests are refused saying so"},
	{"the encoded authorization failure message of UnauthorizedOperation", "it is base64url JSON, readable but not encrypted (sts:DecodeAuthorizationMessage decodes it, as on AWS)"},
	{"Docker image manifest schema 1", "never produced: a client accepting only schema 1 gets 404 MANIFEST_UNKNOWN"},
	{"registry policies, lifecycle policies, replication (repository policies are modelled)", "DescribeRegistry shows no replication rules; the others are not served"},
	{"the registry's blob redirect to S3 for every layer (307 to a presigned prod-REGION-starport-layer-bucket URL)",
		"layers are served by the registry itself; only a layer an S3 gateway's policy refuses is redirected, to an S3-style 403 (--fault-s3-gateway-policy)"},
	{"cross-Region PrivateLink (ServiceRegion in requests)", "refused as not supported; responses carry the world's region"},
	{"the isolated partitions (aws-iso, aws-iso-b, aws-eusc)", "worlds exist for aws, aws-us-gov and aws-cn only"},
	{"EventBridge Scheduler's rate and cron schedules, flexible time windows and schedule groups other than default",
		"accepted and listed; only one-time (at) schedules fire, at their time (AWS: within the minute)"},
	{"Scheduler's templated targets (SQS, ECS, Lambda...), dead-letter queues and CloudWatch metrics",
		"universal targets of the EC2 API are invoked; what an invocation did is in Sandbox.Invocations and the resources themselves"},
	{"IAM managed policies, groups, users, permissions boundaries", "roles with inline policies only; AdministratorAccess is known by name"},
}

type conf struct {
	t     *testing.T
	sb    *Sandbox
	clock *ManualClock
	ws    Workspace
	c     clients
}

func newConf(t *testing.T, opts Options) *conf {
	t.Helper()
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	opts.Clock = clock
	sb := startSandbox(t, opts)
	return &conf{t: t, sb: sb, clock: clock, ws: sb.Workspace(), c: newClients(sb, nil)}
}

// ec2 sends an EC2 Query request: the action, then name/value pairs.
func (f *conf) ec2(action string, kv ...string) (int, string) {
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	return rawQuery(f.t, f.sb, "ec2", form)
}

// ec2OK sends a request that must succeed and returns its body.
func (f *conf) ec2OK(action string, kv ...string) (string, error) {
	st, body := f.ec2(action, kv...)
	if st != 200 {
		return body, fmt.Errorf("%s: %d %s", action, st, body)
	}
	return body, nil
}

// same compares a message with its expectation: exact, or a prefix when
// want ends in "…".
func same(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}

func (f *conf) ec2Error(status int, code, msg, action string, kv ...string) error {
	st, body := f.ec2(action, kv...)
	var e struct {
		Errors struct {
			Error struct{ Code, Message string }
		}
	}
	_ = xml.Unmarshal([]byte(body), &e)
	got := e.Errors.Error
	if st != status || got.Code != code || !same(got.Message, msg) {
		return fmt.Errorf("got %d %s %q, want %d %s %q", st, got.Code, got.Message, status, code, msg)
	}
	return nil
}

func (f *conf) ecr(target, body string) (int, string) { return rawJSON(f.t, f.sb, target, body) }

func (f *conf) ecrError(status int, code, msg, target, body string) error {
	st, b := f.ecr(target, body)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal([]byte(b), &e)
	if st != status || e.Type != code || !same(e.Message, msg) {
		return fmt.Errorf("got %d %s %q, want %d %s %q", st, e.Type, e.Message, status, code, msg)
	}
	return nil
}

func (f *conf) imds(path string) (int, string) {
	resp, err := http.Get(f.sb.IMDSEndpoint() + path)
	must(f.t, "IMDS "+path, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *conf) dig(name string) ([]string, int) {
	r := query(f.t, f.sb, "udp", name, dns.TypeA)
	return aRecords(r), r.Rcode
}

// emptyEl reports whether an XML body holds an empty element.
func emptyEl(body, element string) bool {
	return regexp.MustCompile(`<` + element + `/>|<` + element + `>\s*</` + element + `>`).MatchString(body)
}

// emptyIn sends an EC2 request that must succeed and wants an empty element
// in its answer.
func (f *conf) emptyIn(element, action string, kv ...string) error {
	body, err := f.ec2OK(action, kv...)
	if err != nil || !emptyEl(body, element) {
		return fmt.Errorf("no empty %s: %v %s", element, err, body)
	}
	return nil
}

// within returns the text of the first element named el.
func within(body, el string) string {
	m := regexp.MustCompile(`(?s)<` + el + `>(.*?)</` + el + `>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return htmlUnescape(m[1])
}

func (f *conf) interfaceEndpoint(svc string, extra ...string) (string, error) {
	kv := append([]string{"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws." + f.sb.Region() + "." + svc, "VpcEndpointType", "Interface",
		"SubnetId.1", f.ws.SubnetID, "SecurityGroupId.1", labGroup(f.t, f.c, f.sb)}, extra...)
	body, err := f.ec2OK("CreateVpcEndpoint", kv...)
	return within(body, "vpcEndpointId"), err
}

func (f *conf) gatewayEndpoint() (string, error) {
	body, err := f.ec2OK("CreateVpcEndpoint", "VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".s3",
		"VpcEndpointType", "Gateway", "RouteTableId.1", f.ws.RouteTableID)
	return within(body, "vpcEndpointId"), err
}

// registry sends a request to the registry; user "" sends no credentials.
func (f *conf) registry(method, path, user, pass, accept string, body []byte, contentType string) (int, http.Header, string) {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, _ := http.NewRequest(method, "http://"+f.sb.RegistryAddr()+path, rd)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	must(f.t, method+" "+path, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// password is a registry password from GetAuthorizationToken.
func (f *conf) password() string {
	pw, err := registryLogin(f.t, f.c)
	must(f.t, "registry login", err)
	return pw
}

func (f *conf) registryError(status int, code, msg, method, path, user, pass string, body []byte) error {
	st, _, b := f.registry(method, path, user, pass, "", body, "")
	want := fmt.Sprintf(`{"errors":[{"code":%q,"message":%q}]}`, code, msg) + "\n"
	if st != status || b != want {
		return fmt.Errorf("got %d %s, want %d %s", st, b, status, want)
	}
	return nil
}

// v1Manifest is the stored manifest of team-a/alpine:v1.
func (f *conf) v1Manifest() Image {
	im, err := f.sb.Images().Manifest(RepoA, "v1")
	must(f.t, "v1 manifest", err)
	return im
}

const (
	ec2ErrorsDoc   = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html"
	privateLinkDoc = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"
	imdsDoc        = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html"
	iidDoc         = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/verify-iid.html"
	ecrEndpoints   = "https://docs.aws.amazon.com/general/latest/gr/ecr.html"
	iamDenied      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html"
	manifestDoc    = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html"
)

func conformance() []behaviour {
	plInvalid := func(id, prefix string) string {
		return "Invalid Id: '" + id + "' (expecting '" + prefix + "-...; the Id may only contain lowercase alphanumeric characters and a single dash')"
	}
	return []behaviour{
		// EC2: unmodelled and unknown operations.
		{area: "ec2", name: "an EC2 operation the sandbox does not model", error: true, tag: "INF",
			aws:    "(AWS serves it) the sandbox answers 400 UnsupportedOperation naming the operation, never InvalidAction, which says the API does not exist",
			source: "issue 14; UnsupportedOperation is an EC2 code: " + ec2ErrorsDoc,
			check: func(f *conf) error {
				return f.ec2Error(400, "UnsupportedOperation", "The ecr-vpce-lab sandbox does not model the EC2 operation DescribeTransitGateways…", "DescribeTransitGateways")
			}},
		{area: "ec2", name: "an action EC2 does not have", error: true, tag: "OBS",
			aws:    "400 InvalidAction \"The action X is not valid for this web service.\"",
			source: "terraform-provider-aws capture (DescribeTransitGatewayAttachments); " + ec2ErrorsDoc,
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidAction", "The action DescribeTeleporters is not valid for this web service.", "DescribeTeleporters")
			}},

		// EC2: malformed and unknown IDs.
		{area: "ec2", name: "DescribeVpcs with a malformed VPC id", error: true, tag: "OBS",
			aws:    "InvalidVpcId.Malformed (the wire's casing; the doc lists InvalidVpcID.Malformed) `Invalid id: \"ID\" (expecting \"vpc-...\")`",
			source: "community.aws#1475, aws-controllers-k8s ec2-controller; " + ec2ErrorsDoc,
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcId.Malformed", `Invalid id: "vpc-nope" (expecting "vpc-...")`, "DescribeVpcs", "VpcId.1", "vpc-nope")
			}},
		{area: "ec2", name: "DescribeVpcs with an unknown VPC id", error: true, tag: "OBS",
			aws: "InvalidVpcID.NotFound \"The vpc ID 'ID' does not exist\"", source: "inspec#3518",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist", "DescribeVpcs", "VpcId.1", "vpc-0123456789abcdef0")
			}},
		{area: "ec2", name: "DescribeSubnets with a malformed subnet id", error: true, tag: "DOC",
			aws: "InvalidSubnetID.Malformed `Invalid id: \"ID\" (expecting \"subnet-...\")`", source: ec2ErrorsDoc + " (message: INF, the classic form)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidSubnetID.Malformed", `Invalid id: "subnet-x" (expecting "subnet-...")`, "DescribeSubnets", "SubnetId.1", "subnet-x")
			}},
		{area: "ec2", name: "DescribeSubnets with an unknown subnet id", error: true, tag: "OBS",
			aws: "InvalidSubnetID.NotFound \"The subnet ID 'ID' does not exist\"", source: "real account transcript (research id 68841485968)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0123456789abcdef0' does not exist", "DescribeSubnets", "SubnetId.1", "subnet-0123456789abcdef0")
			}},
		{area: "ec2", name: "DescribeRouteTables with a malformed id", error: true, tag: "DOC",
			aws: "InvalidRouteTableId.Malformed (doc casing)", source: ec2ErrorsDoc + " (message: INF)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidRouteTableId.Malformed", `Invalid id: "rtb_main" (expecting "rtb-...")`, "DescribeRouteTables", "RouteTableId.1", "rtb_main")
			}},
		{area: "ec2", name: "DescribeSecurityGroups with a malformed group id", error: true, tag: "OBS",
			aws: "InvalidGroupId.Malformed `Invalid id: \"ID\" (expecting \"sg-...\")`", source: "genevieve/leftovers#7",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidGroupId.Malformed", `Invalid id: "tcp_elb_security_group" (expecting "sg-...")`, "DescribeSecurityGroups", "GroupId.1", "tcp_elb_security_group")
			}},
		{area: "ec2", name: "DescribeSecurityGroups with an unknown group id", error: true, tag: "EMU",
			aws: "InvalidGroup.NotFound \"The security group 'ID' does not exist\"", source: "moto; AWS's NotFound style; " + ec2ErrorsDoc,
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist", "DescribeSecurityGroups", "GroupId.1", "sg-0123456789abcdef0")
			}},
		{area: "ec2", name: "DescribeNetworkInterfaces with a malformed id", error: true, tag: "DOC",
			aws: "InvalidNetworkInterfaceId.Malformed", source: ec2ErrorsDoc + " (message: INF)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidNetworkInterfaceId.Malformed", `Invalid id: "eni-zz" (expecting "eni-...")`, "DescribeNetworkInterfaces", "NetworkInterfaceId.1", "eni-zz")
			}},
		{area: "ec2", name: "DescribeVpcEndpoints with an unknown id", error: true, tag: "OBS",
			aws: "InvalidVpcEndpointId.NotFound \"The Vpc Endpoint Id 'ID' does not exist\" (no full stop)", source: "boto stub test and a real account transcript (research C.2)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist", "DescribeVpcEndpoints", "VpcEndpointId.1", "vpce-0123456789abcdef0")
			}},
		{area: "ec2", name: "DescribeVpcEndpoints with a malformed id", error: true, tag: "OBS",
			aws: "InvalidVpcEndpointId.Malformed in PrivateLink's wording", source: "terraform-aws-modules/terraform-aws-vpc#312",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcEndpointId.Malformed", plInvalid("vpce_1", "vpce"), "DescribeVpcEndpoints", "VpcEndpointId.1", "vpce_1")
			}},
		{area: "ec2", name: "ModifyVpcEndpoint with an unknown id", error: true, tag: "OBS",
			aws: "InvalidVpcEndpointId.NotFound \"The Vpc Endpoint Id 'ID' does not exist\"", source: "research C.2",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist", "ModifyVpcEndpoint", "VpcEndpointId", "vpce-0123456789abcdef0", "ResetPolicy", "true")
			}},
		{area: "ec2", name: "DeleteVpcEndpoints with an unknown id", error: true, tag: "INF",
			aws:    "200 with the id in unsuccessful, error InvalidVpcEndpointId.NotFound and the NotFound sentence",
			source: ec2ErrorsDoc + " (bulk requests list unsuccessful items; which of the two NotFound codes: INF)",
			check: func(f *conf) error {
				body, err := f.ec2OK("DeleteVpcEndpoints", "VpcEndpointId.1", "vpce-0123456789abcdef0")
				if err != nil {
					return err
				}
				u := within(body, "unsuccessful")
				if within(u, "code") != "InvalidVpcEndpointId.NotFound" || within(u, "message") != "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist" {
					return fmt.Errorf("unsuccessful: %s", u)
				}
				return nil
			}},
		{area: "ec2", name: "CreateVpcEndpoint with a malformed VPC id", error: true, tag: "OBS",
			aws: "InvalidVpcId.Malformed in PrivateLink's wording", source: "mongodb CloudFormation resources PR #160",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcId.Malformed", plInvalid("vpc-0a2e | x", "vpc"), "CreateVpcEndpoint", "VpcId", "vpc-0a2e | x",
					"ServiceName", "com.amazonaws."+f.sb.Region()+".s3")
			}},
		{area: "ec2", name: "CreateVpcEndpoint with a malformed subnet id", error: true, tag: "INF",
			aws: "InvalidSubnetID.Malformed in PrivateLink's wording", source: ec2ErrorsDoc + " (code); wording as for the VPC id",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidSubnetID.Malformed", plInvalid("subnet_a", "subnet"), "CreateVpcEndpoint", "VpcId", f.ws.VpcID,
					"ServiceName", "com.amazonaws."+f.sb.Region()+".ecr.dkr", "VpcEndpointType", "Interface", "SubnetId.1", "subnet_a")
			}},
		{area: "ec2", name: "CreateSecurityGroup with a malformed VPC id", error: true, tag: "OBS",
			aws: "InvalidVpcId.Malformed \"The vpc ID 'ID' is malformed\"", source: "AWS CLI transcript of create-security-group (research C.1)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcId.Malformed", "The vpc ID 'vpc-xxxxxxxx' is malformed", "CreateSecurityGroup", "GroupName", "g", "GroupDescription", "d", "VpcId", "vpc-xxxxxxxx")
			}},

		// EC2: filters and paging.
		{area: "ec2", name: "an unknown filter name on a classic Describe", error: true, tag: "OBS",
			aws:    "InvalidParameterValue \"The filter 'X' is invalid\" (not InvalidFilter, which no capture shows for an unknown name)",
			source: "aws/aws-cli#7225 (DescribeInstanceStatus), DescribeInstances and DescribeAddresses captures",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameterValue", "The filter 'subnetid' is invalid", "DescribeSubnets", "Filter.1.Name", "subnetid", "Filter.1.Value.1", "x")
			}},
		{area: "ec2", name: "an unknown filter name on DescribeVpcEndpoints", error: true, tag: "OBS",
			aws: "InvalidParameterValue \"Unsupported filter attribute: [X]\"", source: "aws/aws-cli#8391",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameterValue", "Unsupported filter attribute: [servicename]", "DescribeVpcEndpoints", "Filter.1.Name", "servicename", "Filter.1.Value.1", "x")
			}},
		{area: "ec2", name: "MaxResults below the minimum", error: true, tag: "OBS",
			aws: "InvalidParameterValue \"Value ( 3 ) for parameter maxResults is invalid. Expecting a value greater than 5.\"", source: "DescribeInstances capture (research C.4)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameterValue", "Value ( 3 ) for parameter maxResults is invalid. Expecting a value greater than 5.", "DescribeVpcs", "MaxResults", "3")
			}},
		{area: "ec2", name: "MaxResults above 1000 on DescribeVpcs", error: true, tag: "INF",
			aws: "InvalidParameterValue \"Value ( 2000 ) for parameter maxResults is invalid. Expecting a value smaller than or equal to 1000.\"", source: "model range 5-1000 (MODEL); wording from an emulator",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameterValue", "Value ( 2000 ) for parameter maxResults is invalid. Expecting a value smaller than or equal to 1000.", "DescribeVpcs", "MaxResults", "2000")
			}},
		{area: "ec2", name: "MaxResults above 1000 on DescribeVpcEndpoints", tag: "MODEL",
			aws: "no error: \"If the value is greater than 1,000, we return only 1,000 items.\"", source: "botocore ec2 DescribeVpcEndpointsRequest.MaxResults",
			check: func(f *conf) error {
				_, err := f.ec2OK("DescribeVpcEndpoints", "MaxResults", "5000")
				return err
			}},
		{area: "ec2", name: "MaxResults above 1000 on DescribeVpcEndpointServices", tag: "MODEL",
			aws: "no error: only 1,000 items are returned", source: "botocore ec2 DescribeVpcEndpointServicesRequest.MaxResults",
			check: func(f *conf) error {
				_, err := f.ec2OK("DescribeVpcEndpointServices", "MaxResults", "5000")
				return err
			}},

		// EC2: endpoint creation.
		{area: "ec2", name: "a gateway endpoint given subnets", error: true, tag: "OBS",
			aws: "InvalidParameter \"Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.\"", source: "nanlabs/terraform-aws-starter#18",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameter", "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".s3", "VpcEndpointType", "Gateway", "SubnetId.1", f.ws.SubnetID)
			}},
		{area: "ec2", name: "an endpoint type the service does not offer", error: true, tag: "OBS",
			aws: "InvalidParameter \"Endpoint type (Gateway) does not match available service types ([Interface]).\"", source: "terraform captures (research C.5)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameter", "Endpoint type (Gateway) does not match available service types ([Interface]).", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".ecr.dkr", "VpcEndpointType", "Gateway")
			}},
		{area: "ec2", name: "an endpoint type that does not exist", error: true, tag: "DOC",
			aws: "InvalidVpcEndpointType \"The specified VPC endpoint type is not valid. Valid values are Interface and Gateway.\"", source: ec2ErrorsDoc + " (the description as the message: INF)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidVpcEndpointType", "The specified VPC endpoint type is not valid…", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".ecr.dkr", "VpcEndpointType", "Tunnel")
			}},
		{area: "ec2", name: "an unknown endpoint service", error: true, tag: "OBS",
			aws: "InvalidServiceName \"The Vpc Endpoint Service 'NAME' does not exist\"", source: "aws-samples/aws-network-firewall-terraform#4",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidServiceName", "The Vpc Endpoint Service 'com.amazonaws.us-west-2.teleport' does not exist", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws.us-west-2.teleport", "VpcEndpointType", "Interface")
			}},
		{area: "ec2", name: "two subnets in one zone", error: true, tag: "DOC",
			aws: "DuplicateSubnetsInSameZone \"For an interface VPC endpoint, you can specify only one subnet per Availability Zone.\"", source: ec2ErrorsDoc,
			check: func(f *conf) error {
				// The world's second subnet, moved into the first one's zone.
				must(f.t, "move subnet", f.sb.update(func(w *world, _ time.Time) (bool, error) {
					w.Subnets[1].AZ = w.Subnets[0].AZ
					return true, nil
				}))
				other := f.ws.SubnetIDs[1]
				return f.ec2Error(400, "DuplicateSubnetsInSameZone", "For an interface VPC endpoint, you can specify only one subnet per Availability Zone.", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".ecr.dkr", "VpcEndpointType", "Interface",
					"SubnetId.1", f.ws.SubnetID, "SubnetId.2", other)
			}},
		{area: "ec2", name: "a second endpoint with private DNS for the same service", error: true, tag: "OBS",
			aws:    "InvalidParameter \"private-dns-enabled cannot be set because there is already a conflicting DNS domain for DOMAIN in the VPC VPC\"",
			source: "many captures; DESIGN.md known traps",
			check: func(f *conf) error {
				if _, err := f.interfaceEndpoint("ecr.api"); err != nil {
					return err
				}
				return f.ec2Error(400, "InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS domain for api.ecr."+f.sb.Region()+".amazonaws.com in the VPC "+f.ws.VpcID,
					"CreateVpcEndpoint", "VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".ecr.api", "VpcEndpointType", "Interface", "SubnetId.1", f.ws.SubnetIDs[1])
			}},
		{area: "ec2", name: "a policy with a JSON syntax error", error: true, tag: "OBS",
			aws:    "InvalidPolicyDocument \"The Policy Document is not valid. Syntax error at position (LINE,COLUMN)\"",
			source: "hashicorp/terraform-provider-aws#42291 (the position is line and column, 1-based: INF)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidPolicyDocument", "The Policy Document is not valid. Syntax error at position (1,14)", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".s3", "VpcEndpointType", "Gateway", "PolicyDocument", `{"Statement":]}`)
			}},
		{area: "ec2", name: "a policy that parses but is not valid", error: true, tag: "INF",
			aws: "InvalidPolicyDocument \"The Policy Document is not valid. REASON\"", source: privateLinkDoc + " (a Principal is required; the wording: INF)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidPolicyDocument", "The Policy Document is not valid. …", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".s3", "VpcEndpointType", "Gateway",
					"PolicyDocument", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
			}},
		{area: "ec2", name: "DnsOptions for inbound resolver endpoints on a gateway", error: true, tag: "OBS",
			aws: "InvalidParameter \"DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to Interface VPC Endpoints.\"", source: "hashicorp/terraform-provider-aws#45846",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidParameter", "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to Interface VPC Endpoints.", "CreateVpcEndpoint",
					"VpcId", f.ws.VpcID, "ServiceName", "com.amazonaws."+f.sb.Region()+".s3", "VpcEndpointType", "Gateway", "RouteTableId.1", f.ws.RouteTableID,
					"DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint", "true")
			}},
		{area: "ec2", name: "a role without the permission", error: true, tag: "OBS",
			aws:    "403 UnauthorizedOperation \"You are not authorized to perform this operation. User: ARN is not authorized to perform: ec2:ACTION on resource: ARN because no identity-based policy allows the ec2:ACTION action. Encoded authorization failure message: …\"",
			source: "modernisation-platform#12326 and a DisassociateRouteTable capture (research C.6); " + iamDenied,
			check: func(f *conf) error {
				g := newConf(f.t, Options{Faults: Faults{DenyActions: []string{"ec2:CreateVpcEndpoint"}}})
				if err := g.ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation. User: "+g.ws.CallerARN+
					" is not authorized to perform: ec2:CreateVpcEndpoint on resource: arn:aws:ec2:"+g.sb.Region()+":"+g.sb.Account()+
					":vpc-endpoint/* because no identity-based policy allows the ec2:CreateVpcEndpoint action. Encoded authorization failure message: …",
					"CreateVpcEndpoint", "VpcId", g.ws.VpcID, "ServiceName", "com.amazonaws."+g.sb.Region()+".s3"); err != nil {
					return err
				}
				// sts:DecodeAuthorizationMessage reads the encoded message
				// back (the command the lab's fix gives); one changed is refused.
				_, body := g.ec2("CreateVpcEndpoint", "VpcId", g.ws.VpcID, "ServiceName", "com.amazonaws."+g.sb.Region()+".s3")
				_, encoded, _ := strings.Cut(body, "Encoded authorization failure message: ")
				encoded, _, _ = strings.Cut(encoded, "<")
				decode := func(m string) (int, string) {
					return rawQuery(f.t, g.sb, "sts", url.Values{"Action": {"DecodeAuthorizationMessage"}, "Version": {"2011-06-15"}, "EncodedMessage": {m}})
				}
				var out struct {
					Result struct{ DecodedMessage string } `xml:"DecodeAuthorizationMessageResult"`
				}
				st, b := decode(encoded)
				if err := xml.Unmarshal([]byte(b), &out); st != 200 || err != nil ||
					!strings.Contains(out.Result.DecodedMessage, `"action":"ec2:CreateVpcEndpoint"`) || !strings.Contains(out.Result.DecodedMessage, `"allowed":false`) {
					return fmt.Errorf("decoding %q: %d %s", encoded, st, b)
				}
				if st, b := decode(encoded[:len(encoded)/2] + "\n" + encoded[len(encoded)/2:]); st != 400 || !strings.Contains(b, "<Code>InvalidAuthorizationMessageException</Code>") {
					return fmt.Errorf("decoding a message with a line break in it: %d %s", st, b)
				}
				return nil
			}},
		{area: "ec2", name: "a dry run that would succeed", error: true, tag: "DOC",
			aws: "412 DryRunOperation \"Request would have succeeded, but DryRun flag is set.\"", source: ec2ErrorsDoc + " (wording: INF)",
			check: func(f *conf) error {
				return f.ec2Error(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", "DescribeVpcs", "DryRun", "true")
			}},
		{area: "ec2", name: "an unsigned request", error: true, tag: "OBS",
			aws: "401 AuthFailure \"AWS was not able to validate the provided access credentials\"", source: "turbot/steampipe-plugin-aws#75",
			check: func(f *conf) error {
				req, _ := http.NewRequest(http.MethodPost, f.sb.Endpoint()+"/", strings.NewReader("Action=DescribeVpcs&Version=2016-11-15"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 401 || !strings.Contains(string(b), "<Code>AuthFailure</Code>") {
					return fmt.Errorf("%d %s", resp.StatusCode, b)
				}
				return nil
			}},
		{area: "ec2", name: "throttling", error: true, tag: "OBS",
			aws: "503 RequestLimitExceeded \"Request limit exceeded.\"", source: "terraform captures; https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html",
			check: func(f *conf) error {
				g := newConf(f.t, Options{Faults: Faults{ThrottleRate: 1, Seed: 1}})
				return g.ec2Error(503, "RequestLimitExceeded", "Request limit exceeded.", "DescribeVpcs")
			}},

		// EC2: read operations a learner pokes at.
		{area: "ec2", name: "DescribeInstances shows the workspace instance as IMDS does", tag: "MODEL",
			aws:    "reservationSet/item/instancesSet/item with instanceId, imageId, instanceType, placement, privateIpAddress, subnetId, vpcId, groupSet, networkInterfaceSet, metadataOptions; the values IMDS gives; HttpTokens required with hop limit 2 where IMDSv2 is required",
			source: "botocore ec2 DescribeInstancesResult; the IMDS match: INF; hop limit 2 for IMDSv2-only AMIs: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html (ImdsSupport)",
			check: func(f *conf) error {
				body, err := f.ec2OK("DescribeInstances")
				if err != nil {
					return err
				}
				for el, path := range map[string]string{
					"instanceId": "/latest/meta-data/instance-id", "imageId": "/latest/meta-data/ami-id", "instanceType": "/latest/meta-data/instance-type",
					"availabilityZone": "/latest/meta-data/placement/availability-zone", "privateIpAddress": "/latest/meta-data/local-ipv4",
					"macAddress": "/latest/meta-data/mac",
				} {
					_, want := f.imds(path)
					if got := within(body, el); got != want {
						return fmt.Errorf("%s %q, IMDS says %q", el, got, want)
					}
				}
				if within(within(body, "instanceState"), "name") != "running" || within(within(body, "instanceState"), "code") != "16" {
					return fmt.Errorf("state: %s", within(body, "instanceState"))
				}
				if within(within(body, "metadataOptions"), "httpTokens") != "optional" {
					return fmt.Errorf("metadataOptions: %s", within(body, "metadataOptions"))
				}
				g := newConf(f.t, Options{IMDSv2Required: true})
				body, err = g.ec2OK("DescribeInstances", "InstanceId.1", g.ws.InstanceID)
				if err != nil {
					return err
				}
				if mo := within(body, "metadataOptions"); within(mo, "httpTokens") != "required" || within(mo, "httpPutResponseHopLimit") != "2" {
					return fmt.Errorf("IMDSv2 required, metadataOptions: %s", mo)
				}
				// Where the token PUT dies on the way back (a container), the
				// hop limit is 1, IMDSv2 or not.
				g = newConf(f.t, Options{World: WorldVSCodeEC2, Faults: Faults{IMDSHopLimit: true}})
				body, err = g.ec2OK("DescribeInstances")
				if err != nil {
					return err
				}
				if mo := within(body, "metadataOptions"); within(mo, "httpPutResponseHopLimit") != "1" {
					return fmt.Errorf("hop limit fault, metadataOptions: %s", mo)
				}
				return nil
			}},
		{area: "ec2", name: "DescribeInstances with an unknown instance id", error: true, tag: "DOC",
			aws: "InvalidInstanceID.NotFound \"The instance ID 'ID' does not exist\"", source: "https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html; " + ec2ErrorsDoc,
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist", "DescribeInstances", "InstanceId.1", "i-0123456789abcdef0")
			}},
		{area: "ec2", name: "DescribeInstances with a malformed instance id", error: true, tag: "DOC",
			aws: "InvalidInstanceID.Malformed", source: ec2ErrorsDoc + " (message: INF, the classic form)",
			check: func(f *conf) error {
				return f.ec2Error(400, "InvalidInstanceID.Malformed", `Invalid id: "workspace" (expecting "i-...")`, "DescribeInstances", "InstanceId.1", "workspace")
			}},
		{area: "ec2", name: "DescribeAvailabilityZones", tag: "OBS",
			aws:    "availabilityZoneInfo/item: zoneName, zoneState available, optInStatus opt-in-not-required, messageSet (empty), regionName, zoneId, groupName REGION-zg-1, networkBorderGroup REGION, zoneType availability-zone",
			source: "describe-availability-zones outputs (research E.2); botocore AvailabilityZone",
			check: func(f *conf) error {
				body, err := f.ec2OK("DescribeAvailabilityZones")
				if err != nil {
					return err
				}
				r := f.sb.Region()
				item := within(body, "item")
				for el, want := range map[string]string{"zoneName": r + "a", "zoneState": "available", "optInStatus": "opt-in-not-required", "regionName": r,
					"zoneId": azID(r, r+"a"), "groupName": r + "-zg-1", "networkBorderGroup": r, "zoneType": "availability-zone"} {
					if got := within(item, el); got != want {
						return fmt.Errorf("%s %q, want %q", el, got, want)
					}
				}
				if !emptyEl(item, "messageSet") {
					return fmt.Errorf("no empty messageSet: %s", item)
				}
				return nil
			}},
		{area: "ec2", name: "DescribePrefixLists shows the S3 list the gateway route uses", tag: "DOC",
			aws: "prefixListSet/item: prefixListId, prefixListName com.amazonaws.REGION.s3, cidrSet", source: "https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-prefix-lists.html (example)",
			check: func(f *conf) error {
				if _, err := f.gatewayEndpoint(); err != nil {
					return err
				}
				rts, _ := f.ec2OK("DescribeRouteTables", "RouteTableId.1", f.ws.RouteTableID)
				pl := within(rts, "destinationPrefixListId")
				body, err := f.ec2OK("DescribePrefixLists", "Filter.1.Name", "prefix-list-name", "Filter.1.Value.1", "com.amazonaws."+f.sb.Region()+".s3")
				if err != nil {
					return err
				}
				if pl == "" || within(body, "prefixListId") != pl || !strings.Contains(within(body, "cidrSet"), "<item>") {
					return fmt.Errorf("route's list %q; DescribePrefixLists: %s", pl, body)
				}
				return f.ec2Error(400, "InvalidPrefixListID.NotFound", "The prefix list ID 'pl-00000000' does not exist…", "DescribePrefixLists", "PrefixListId.1", "pl-00000000")
			}},

		// EC2: elements AWS always returns.
		{area: "ec2", name: "a route table's tagSet when it has no tags", tag: "OBS",
			aws: "<tagSet/> is always there (boto3 reads rt['Tags'])", source: "create/describe-route-tables CLI transcripts (\"Tags\": [])",
			check: func(f *conf) error {
				return f.emptyIn("tagSet", "DescribeRouteTables")
			}},
		{area: "ec2", name: "a subnet's ipv6CidrBlockAssociationSet", tag: "OBS",
			aws: "always there, empty without IPv6", source: "create-subnet outputs (research D.2)",
			check: func(f *conf) error {
				return f.emptyIn("ipv6CidrBlockAssociationSet", "DescribeSubnets")
			}},
		{area: "ec2", name: "a VPC's ipv6CidrBlockAssociationSet", tag: "OBS",
			aws: "always there, empty without IPv6 (an untagged VPC has no tagSet, on AWS too)", source: "create-vpc output (research D.2; for describe-vpcs: INF)",
			check: func(f *conf) error {
				return f.emptyIn("ipv6CidrBlockAssociationSet", "DescribeVpcs")
			}},
		{area: "ec2", name: "an endpoint's tagSet when it has no tags", tag: "OBS",
			aws: "always there", source: "research D.1/D.2 (cloudsploit fixture, real create output)",
			check: func(f *conf) error {
				if _, err := f.gatewayEndpoint(); err != nil {
					return err
				}
				return f.emptyIn("tagSet", "DescribeVpcEndpoints")
			}},
		{area: "ec2", name: "a network interface's tagSet when it has no tags", tag: "OBS",
			aws: "always there (\"TagSet\": [])", source: "describe-network-interfaces outputs",
			check: func(f *conf) error {
				if _, err := f.interfaceEndpoint("ecr.api"); err != nil {
					return err
				}
				return f.emptyIn("tagSet", "DescribeNetworkInterfaces", "Filter.1.Name", "interface-type", "Filter.1.Value.1", "vpc_endpoint")
			}},
		{area: "ec2", name: "ServiceRegion of an endpoint", tag: "MODEL",
			aws: "serviceRegion: the Region where the service is hosted (the endpoint's own for same-Region services)", source: "botocore ec2 VpcEndpoint.ServiceRegion (value: INF)",
			check: func(f *conf) error {
				if _, err := f.interfaceEndpoint("ecr.dkr"); err != nil {
					return err
				}
				body, _ := f.ec2OK("DescribeVpcEndpoints")
				if within(body, "serviceRegion") != f.sb.Region() {
					return fmt.Errorf("serviceRegion %q", within(body, "serviceRegion"))
				}
				return nil
			}},
		{area: "ec2", name: "IpAddressType and DnsOptions of a gateway endpoint", tag: "INF",
			aws:    "ipAddressType ipv4 and dnsOptions/dnsRecordIpType ipv4 on S3 gateway endpoints since their IPv6 support (Nov 2025)",
			source: "https://aws.amazon.com/about-aws/whats-new/2025/11/ipv6-amazon-s3-gateway-interface-vpc-endpoints/, aws-cdk#37900, terraform #45849",
			check: func(f *conf) error {
				if _, err := f.gatewayEndpoint(); err != nil {
					return err
				}
				body, _ := f.ec2OK("DescribeVpcEndpoints")
				if within(body, "ipAddressType") != "ipv4" || within(within(body, "dnsOptions"), "dnsRecordIpType") != "ipv4" {
					return fmt.Errorf("gateway endpoint: %s", body)
				}
				return nil
			}},
		{area: "ec2", name: "the default endpoint policy", tag: "OBS",
			aws: "Version 2008-10-17, one statement allowing * to *", source: "real create-vpc-endpoint output (research D.1)",
			check: func(f *conf) error {
				if _, err := f.gatewayEndpoint(); err != nil {
					return err
				}
				body, _ := f.ec2OK("DescribeVpcEndpoints")
				var doc struct {
					Version   string
					Statement []map[string]string
				}
				text := within(body, "policyDocument")
				if err := json.Unmarshal([]byte(htmlUnescape(text)), &doc); err != nil {
					return fmt.Errorf("policy %q: %v", text, err)
				}
				if doc.Version != "2008-10-17" || len(doc.Statement) != 1 || doc.Statement[0]["Effect"] != "Allow" || doc.Statement[0]["Principal"] != "*" {
					return fmt.Errorf("default policy %q", text)
				}
				return nil
			}},

		// ECR API.
		{area: "ecr", name: "GetRepositoryPolicy on a repository without a policy", error: true, tag: "OBS",
			aws:    "400 RepositoryPolicyNotFoundException \"Repository policy does not exist for the repository with name 'NAME' in the registry with id 'ACCOUNT'\"",
			source: "snyk/driftctl#1549; botocore ecr GetRepositoryPolicy errors",
			check: func(f *conf) error {
				return f.ecrError(400, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '"+RepoA+"' in the registry with id '"+f.sb.Account()+"'",
					"GetRepositoryPolicy", `{"repositoryName":"`+RepoA+`"}`)
			}},
		{area: "ecr", name: "GetRepositoryPolicy on a repository that does not exist", error: true, tag: "MODEL",
			aws: "RepositoryNotFoundException, before the policy is looked at", source: "botocore ecr GetRepositoryPolicy errors; the sentence as the registry's NAME_UNKNOWN (OBS)",
			check: func(f *conf) error {
				return f.ecrError(400, "RepositoryNotFoundException", "The repository with name 'team-z/none' does not exist in the registry with id '"+f.sb.Account()+"'",
					"GetRepositoryPolicy", `{"repositoryName":"team-z/none"}`)
			}},
		{area: "ecr", name: "SetRepositoryPolicy with a Resource element", error: true, tag: "OBS",
			aws:    "400 InvalidParameterException \"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'\"",
			source: "aws/aws-cdk#24314 (Status Code: 400); terraform-aws-modules/terraform-aws-ecr#19; awsdocs/amazon-ecr-user-guide#20",
			check: func(f *conf) error {
				return f.ecrError(400, "InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
					"SetRepositoryPolicy", `{"repositoryName":"`+RepoA+`","policyText":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"ecr:*\",\"Resource\":\"*\"}]}"}`)
			}},
		{area: "ecr", name: "SetRepositoryPolicy naming a role that does not exist", error: true, tag: "OBS",
			aws:    "400 InvalidParameterException \"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'\"",
			source: "hashicorp/terraform-provider-aws#39064 (SetRepositoryPolicy, StatusCode: 400)",
			check: func(f *conf) error {
				return f.ecrError(400, "InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'",
					"SetRepositoryPolicy", `{"repositoryName":"`+RepoA+`","policyText":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::`+f.sb.Account()+`:role/nobody\"},\"Action\":\"ecr:*\"}]}"}`)
			}},
		{area: "ecr", name: "DeleteRepositoryPolicy on a repository without a policy", error: true, tag: "MODEL",
			aws:    "400 RepositoryPolicyNotFoundException, worded as GetRepositoryPolicy's",
			source: "botocore ecr DeleteRepositoryPolicy errors; the sentence as GetRepositoryPolicy's (OBS)",
			check: func(f *conf) error {
				return f.ecrError(400, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '"+RepoA+"' in the registry with id '"+f.sb.Account()+"'",
					"DeleteRepositoryPolicy", `{"repositoryName":"`+RepoA+`"}`)
			}},
		{area: "ecr", name: "DescribeRegistry", tag: "MODEL",
			aws: "{\"registryId\": ACCOUNT, \"replicationConfiguration\": {\"rules\": []}}", source: "botocore ecr DescribeRegistryResponse (rules required); https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRegistry.html",
			check: func(f *conf) error {
				st, body := f.ecr("DescribeRegistry", `{}`)
				want := `{"registryId":"` + f.sb.Account() + `","replicationConfiguration":{"rules":[]}}`
				if st != 200 || body != want {
					return fmt.Errorf("%d %s, want %s", st, body, want)
				}
				return nil
			}},
		{area: "ecr", name: "an ECR operation the sandbox does not model", error: true, tag: "INF",
			aws:    "(AWS serves it) the sandbox answers 400 UnsupportedOperationException naming it, never UnknownOperationException",
			source: "issue 14",
			check: func(f *conf) error {
				return f.ecrError(400, "UnsupportedOperationException", "The ecr-vpce-lab sandbox does not model the ECR operation PutLifecyclePolicy…", "PutLifecyclePolicy", `{}`)
			}},
		{area: "ecr", name: "an operation ECR does not have", error: true, tag: "MODEL",
			aws: "400 UnknownOperationException", source: "the JSON 1.1 protocol's answer to an unknown X-Amz-Target",
			check: func(f *conf) error {
				return f.ecrError(400, "UnknownOperationException", "", "Teleport", `{}`)
			}},
		{area: "ecr", name: "ListImages of a repository that does not exist", error: true, tag: "OBS",
			aws: "RepositoryNotFoundException \"The repository with name 'NAME' does not exist in the registry with id 'ACCOUNT'\"", source: "the registry's NAME_UNKNOWN capture (research A.6); moto",
			check: func(f *conf) error {
				return f.ecrError(400, "RepositoryNotFoundException", "The repository with name 'team-z/none' does not exist in the registry with id '"+f.sb.Account()+"'",
					"ListImages", `{"repositoryName":"team-z/none"}`)
			}},
		{area: "ecr", name: "an unsigned request", error: true, tag: "OBS",
			aws: "400 MissingAuthenticationTokenException \"Missing Authentication Token\"", source: "JSON protocol services' answer",
			check: func(f *conf) error {
				req, _ := http.NewRequest(http.MethodPost, f.sb.Endpoint()+"/", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("X-Amz-Target", ecrTargetPrefix+"DescribeRepositories")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 400 || !strings.Contains(string(b), `"__type":"MissingAuthenticationTokenException"`) {
					return fmt.Errorf("%d %s", resp.StatusCode, b)
				}
				return nil
			}},
		{area: "ecr", name: "a role without the permission", error: true, tag: "DOC",
			aws:    "AccessDeniedException \"User: ARN is not authorized to perform: ecr:ACTION on resource: ARN because no identity-based policy allows the ecr:ACTION action\" (status 400: INF)",
			source: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/common-errors.html; " + iamDenied,
			check: func(f *conf) error {
				g := newConf(f.t, Options{Faults: Faults{DenyActions: []string{"ecr:ListImages"}}})
				return g.ecrError(400, "AccessDeniedException", "User: "+g.ws.CallerARN+" is not authorized to perform: ecr:ListImages on resource: "+g.sb.repoARN(RepoA)+
					" because no identity-based policy allows the ecr:ListImages action", "ListImages", `{"repositoryName":"`+RepoA+`"}`)
			}},

		// STS.
		{area: "sts", name: "an STS operation the sandbox does not model", error: true, tag: "INF",
			aws: "(AWS serves it) UnsupportedOperation naming it, not InvalidAction", source: "issue 14",
			check: func(f *conf) error {
				st, body := rawQuery(f.t, f.sb, "sts", url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}})
				if st != 400 || !strings.Contains(body, "<Code>UnsupportedOperation</Code>") || !strings.Contains(body, "GetSessionToken") {
					return fmt.Errorf("%d %s", st, body)
				}
				return nil
			}},
		{area: "sts", name: "AssumeRole refused to a caller without sts:AssumeRole", error: true, tag: "OBS",
			aws:    "403 AccessDenied: User: ARN is not authorized to perform: sts:AssumeRole on resource: ROLE",
			source: "research 14-15 L.3 (a redpanda log)",
			check: func(f *conf) error {
				f = newConf(f.t, Options{Faults: Faults{DenyActions: []string{"sts:AssumeRole"}}})
				st, body := rawQuery(f.t, f.sb, "sts", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
					"RoleArn": {"arn:aws:iam::123456789012:role/Admin"}, "RoleSessionName": {"s"}})
				if st != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") ||
					!strings.Contains(body, "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Admin") {
					return fmt.Errorf("%d %s", st, body)
				}
				return nil
			}},
		{area: "sts", name: "a region the account has not enabled", error: true, tag: "OBS",
			aws:    "STS 403 InvalidClientTokenId, EC2 401 AuthFailure, as for unknown keys; STS in us-east-1 still answers",
			source: "research 14-15 L.4 (segmentio/aws-okta#225, turbot/steampipe-plugin-aws#75)",
			check: func(f *conf) error {
				f = newConf(f.t, Options{Faults: Faults{RegionDisabled: true}})
				if st, body := rawQuery(f.t, f.sb, "sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}); st != 403 || !strings.Contains(body, "<Code>InvalidClientTokenId</Code>") {
					return fmt.Errorf("STS: %d %s", st, body)
				}
				if st, body := f.ec2("DescribeVpcs"); st != 401 || !strings.Contains(body, "<Code>AuthFailure</Code>") {
					return fmt.Errorf("EC2: %d %s", st, body)
				}
				return nil
			}},

		// Registry.
		{area: "registry", name: "a request without credentials", error: true, tag: "OBS",
			aws:    "401 with Www-Authenticate: Basic realm=\"https://ACCOUNT.dkr.ecr.REGION.amazonaws.com/\",service=\"ecr.amazonaws.com\" and a text/plain body \"Not Authorized\"",
			source: "mdlavin/copy-docker-image#5, enix/kube-image-keeper#172, renovatebot's source (research A.2)",
			check: func(f *conf) error {
				st, h, body := f.registry(http.MethodGet, "/v2/", "", "", "", nil, "")
				want := `Basic realm="https://` + f.sb.Account() + `.dkr.ecr.` + f.sb.Region() + `.amazonaws.com/",service="ecr.amazonaws.com"`
				if st != 401 || h.Get("Www-Authenticate") != want || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || body != "Not Authorized\n" {
					return fmt.Errorf("%d %v %q", st, h, body)
				}
				return nil
			}},
		{area: "registry", name: "a garbled or foreign token", error: true, tag: "OBS",
			aws:    "400 DENIED \"Your Authorization Token is invalid.\" (docker: 'login attempt ... failed with status: 400 Bad Request')",
			source: "aws/aws-cli#5317 (status), apple/container#847 and akuity/kargo#3482 (message); the private-ECR status is INF",
			check: func(f *conf) error {
				return f.registryError(400, "DENIED", "Your Authorization Token is invalid.", http.MethodGet, "/v2/", "AWS", "garbled", nil)
			}},
		{area: "registry", name: "a user other than AWS", error: true, tag: "INF",
			aws: "as a token ECR did not issue: 400 DENIED \"Your Authorization Token is invalid.\"", source: "research A.4",
			check: func(f *conf) error {
				return f.registryError(400, "DENIED", "Your Authorization Token is invalid.", http.MethodGet, "/v2/", "admin", f.password(), nil)
			}},
		{area: "registry", name: "an expired token", error: true, tag: "DOC",
			aws:    "403 DENIED \"Your authorization token has expired. Reauthenticate and try again.\" (the status of a policy's refusal too)",
			source: "https://docs.aws.amazon.com/AmazonECR/latest/public/public-troubleshooting.html; awslabs/soci-snapshotter 6dcfca7 (403)",
			check: func(f *conf) error {
				pw := f.password()
				f.clock.Advance(12*time.Hour + time.Second)
				return f.registryError(403, "DENIED", "Your authorization token has expired. Reauthenticate and try again.", http.MethodGet,
					"/v2/"+RepoA+"/manifests/v1", "AWS", pw, nil)
			}},
		{area: "registry", name: "an endpoint policy's explicit deny", error: true, tag: "OBS",
			aws:    "403 DENIED \"User: ARN is not authorized to perform: ecr:PutImage on resource: REPO-ARN with an explicit deny in a VPC endpoint policy\"",
			source: "the workshop's own capture (seed lines 134-137); " + iamDenied,
			check: func(f *conf) error {
				if _, err := f.interfaceEndpoint("ecr.dkr", "PolicyDocument", labPolicy(f.sb.Account(), f.sb.Region())); err != nil {
					return err
				}
				return f.registryError(403, "DENIED", "User: "+f.ws.CallerARN+" is not authorized to perform: ecr:PutImage on resource: "+f.sb.repoARN(RepoA)+
					" with an explicit deny in a VPC endpoint policy", http.MethodPut, "/v2/"+RepoA+"/manifests/v2", "AWS", f.password(), f.v1Manifest().Manifest)
			}},
		{area: "registry", name: "an endpoint policy that allows too little", error: true, tag: "DOC",
			aws: "403 DENIED \"User: ARN is not authorized to perform: ecr:PutImage on resource: REPO-ARN because no VPC endpoint policy allows the ecr:PutImage action\"", source: iamDenied,
			check: func(f *conf) error {
				doc := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}]}`
				if _, err := f.interfaceEndpoint("ecr.dkr", "PolicyDocument", doc); err != nil {
					return err
				}
				return f.registryError(403, "DENIED", "User: "+f.ws.CallerARN+" is not authorized to perform: ecr:PutImage on resource: "+f.sb.repoARN(RepoA)+
					" because no VPC endpoint policy allows the ecr:PutImage action", http.MethodPut, "/v2/"+RepoA+"/manifests/v2", "AWS", f.password(), f.v1Manifest().Manifest)
			}},
		{area: "registry", name: "a repository that does not exist", error: true, tag: "OBS",
			aws: "404 NAME_UNKNOWN \"The repository with name 'NAME' does not exist in the registry with id 'ACCOUNT'\"", source: "a README's docker output (research A.6); the status: Distribution spec",
			check: func(f *conf) error {
				return f.registryError(404, "NAME_UNKNOWN", "The repository with name 'team-z/none' does not exist in the registry with id '"+f.sb.Account()+"'",
					http.MethodGet, "/v2/team-z/none/manifests/v1", "AWS", f.password(), nil)
			}},
		{area: "registry", name: "a schema 2 image pulled by tag by a client that accepts only OCI", tag: "DOC",
			aws: "translated to OCI (Content-Type and Docker-Content-Digest of the translation)", source: manifestDoc,
			check: func(f *conf) error {
				st, h, body := f.registry(http.MethodGet, "/v2/"+RepoA+"/manifests/v1", "AWS", f.password(), MediaTypeOCIManifest, nil, "")
				if st != 200 || h.Get("Content-Type") != MediaTypeOCIManifest || h.Get("Docker-Content-Digest") != Digest([]byte(body)) ||
					!strings.Contains(body, `"application/vnd.oci.image.layer.v1.tar+gzip"`) || !strings.Contains(body, `"application/vnd.oci.image.config.v1+json"`) {
					return fmt.Errorf("%d %v %s", st, h, body)
				}
				return nil
			}},
		{area: "registry", name: "an OCI image pulled by tag by a client that accepts only schema 2", tag: "DOC",
			aws: "translated to Docker schema 2", source: manifestDoc,
			check: func(f *conf) error {
				pw := f.password()
				oci, ok := translateManifest(f.v1Manifest().Manifest, MediaTypeOCIManifest)
				if !ok {
					return fmt.Errorf("no OCI copy of v1")
				}
				if st, _, body := f.registry(http.MethodPut, "/v2/"+RepoA+"/manifests/oci", "AWS", pw, "", oci, MediaTypeOCIManifest); st != 201 {
					return fmt.Errorf("push the OCI manifest: %d %s", st, body)
				}
				st, h, body := f.registry(http.MethodGet, "/v2/"+RepoA+"/manifests/oci", "AWS", pw, MediaTypeDockerManifest, nil, "")
				if st != 200 || h.Get("Content-Type") != MediaTypeDockerManifest || h.Get("Docker-Content-Digest") != Digest([]byte(body)) ||
					!strings.Contains(body, `"`+mediaTypeDockerLayer+`"`) || !strings.Contains(body, `"`+mediaTypeDockerConfig+`"`) {
					return fmt.Errorf("%d %v %s", st, h, body)
				}
				return nil
			}},
		{area: "ecr", name: "BatchGetImage with acceptedMediaTypes", tag: "INF",
			aws:    "acceptedMediaTypes is the API's Accept: a schema 2 image asked for by tag with only OCI accepted comes translated (imageManifestMediaType OCI)",
			source: "botocore ecr BatchGetImageRequest.acceptedMediaTypes (MODEL); the translation rule of " + manifestDoc + " applied to the API: INF",
			check: func(f *conf) error {
				st, body := f.ecr("BatchGetImage", `{"repositoryName":"`+RepoA+`","imageIds":[{"imageTag":"v1"}],"acceptedMediaTypes":["`+MediaTypeOCIManifest+`"]}`)
				if st != 200 || !strings.Contains(body, `"imageManifestMediaType":"`+MediaTypeOCIManifest+`"`) {
					return fmt.Errorf("%d %s", st, body)
				}
				return nil
			}},
		{area: "registry", name: "a client that accepts only schema 1", error: true, tag: "INF",
			aws: "404 MANIFEST_UNKNOWN saying what is stored (ECR's answer is not documented; the reference registry's)", source: manifestDoc + "; Azure/acr#764, docker/hub-feedback#2391",
			check: func(f *conf) error {
				st, _, body := f.registry(http.MethodGet, "/v2/"+RepoA+"/manifests/v1", "AWS", f.password(), mediaTypesDockerV1[1], nil, "")
				if st != 404 || !strings.Contains(body, `"code":"MANIFEST_UNKNOWN"`) || !strings.Contains(body, "is stored as "+MediaTypeDockerManifest) {
					return fmt.Errorf("%d %s", st, body)
				}
				return nil
			}},
		{area: "registry", name: "an image pulled by digest", tag: "DOC",
			aws: "no translation: the stored manifest, whatever the client accepts", source: manifestDoc,
			check: func(f *conf) error {
				im := f.v1Manifest()
				st, h, body := f.registry(http.MethodGet, "/v2/"+RepoA+"/manifests/"+im.Digest, "AWS", f.password(), MediaTypeOCIManifest, nil, "")
				if st != 200 || h.Get("Content-Type") != MediaTypeDockerManifest || body != string(im.Manifest) {
					return fmt.Errorf("%d %v", st, h)
				}
				return nil
			}},

		// DNS.
		{area: "dns", name: "ecr.REGION.amazonaws.com resolves publicly", tag: "DOC",
			aws: "the ECR API's public endpoint; PrivateLink covers api.ecr only, so it stays public after the switch", source: ecrEndpoints + "; the DNS entries of a real ecr.api endpoint (research F.2)",
			check: func(f *conf) error {
				name := "ecr." + f.sb.Region() + ".amazonaws.com"
				addrs, rc := f.dig(name)
				if rc != dns.RcodeSuccess || classify(addrs) != "public" {
					return fmt.Errorf("%s: rcode %d %v", name, rc, addrs)
				}
				if _, err := f.interfaceEndpoint("ecr.api"); err != nil {
					return err
				}
				if addrs, _ := f.dig(name); classify(addrs) != "public" {
					return fmt.Errorf("%s after the ecr.api endpoint: %v", name, addrs)
				}
				if addrs, _ := f.dig("api.ecr." + f.sb.Region() + ".amazonaws.com"); classify(addrs) != "private" {
					return fmt.Errorf("api.ecr after the ecr.api endpoint: %v", addrs)
				}
				return nil
			}},
		{area: "dns", name: "s3.REGION.amazonaws.com resolves publicly", tag: "DOC",
			aws: "A records from the region's S3 ranges (a gateway endpoint changes routes, not DNS)", source: "https://ip-ranges.amazonaws.com/ip-ranges.json; https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html",
			check: func(f *conf) error {
				name := "s3." + f.sb.Region() + ".amazonaws.com"
				if _, err := f.gatewayEndpoint(); err != nil {
					return err
				}
				addrs, rc := f.dig(name)
				if rc != dns.RcodeSuccess || classify(addrs) != "public" {
					return fmt.Errorf("%s: rcode %d %v", name, rc, addrs)
				}
				return nil
			}},
		{area: "dns", name: "a name AWS does not have", error: true, tag: "INF",
			aws: "NXDOMAIN", source: "DNS",
			check: func(f *conf) error {
				if _, rc := f.dig("teleport." + f.sb.Region() + ".amazonaws.com"); rc != dns.RcodeNameError {
					return fmt.Errorf("rcode %d", rc)
				}
				return nil
			}},

		// IMDS.
		{area: "imds", name: "the versions at /", tag: "OBS",
			aws: "dated versions from 1.0 to 2024-04-11, then latest", source: "instance captures (research G.1); " + imdsDoc,
			check: func(f *conf) error {
				st, body := f.imds("/")
				lines := strings.Split(body, "\n")
				if st != 200 || lines[0] != "1.0" || lines[len(lines)-1] != "latest" || !slices.Contains(lines, "2021-03-23") {
					return fmt.Errorf("%d %q", st, body)
				}
				return nil
			}},
		{area: "imds", name: "a dated version mirrors latest", tag: "DOC",
			aws: "/2021-03-23/meta-data/… answers as /latest/meta-data/…", source: imdsDoc + " (Get the available versions of the instance metadata)",
			check: func(f *conf) error {
				for _, p := range []string{"meta-data/instance-id", "meta-data/mac", "dynamic/instance-identity/document"} {
					s1, a := f.imds("/2021-03-23/" + p)
					s2, b := f.imds("/latest/" + p)
					if s1 != 200 || s2 != 200 || a != b {
						return fmt.Errorf("%s: %d %q vs %d %q", p, s1, a, s2, b)
					}
				}
				if st, _ := f.imds("/1999-01-01/meta-data/instance-id"); st != 404 {
					return fmt.Errorf("a version that never existed: %d", st)
				}
				return nil
			}},
		{area: "imds", name: "/latest/ lists dynamic and meta-data", tag: "OBS",
			aws: "dynamic, meta-data (and user-data only when set)", source: "instance captures (research G.1)",
			check: func(f *conf) error {
				if st, body := f.imds("/latest/"); st != 200 || body != "dynamic\nmeta-data" {
					return fmt.Errorf("%d %q", st, body)
				}
				return nil
			}},
		{area: "imds", name: "the identity document's signature paths", tag: "DOC",
			aws: "instance-identity/ lists document, pkcs7, rsa2048, signature; each answers (base64 signatures, PKCS7 without the PEM armour)", source: iidDoc,
			check: func(f *conf) error {
				if st, body := f.imds("/latest/dynamic/instance-identity/"); st != 200 || body != "document\npkcs7\nrsa2048\nsignature" {
					return fmt.Errorf("listing: %d %q", st, body)
				}
				for _, p := range []string{"signature", "pkcs7", "rsa2048"} {
					st, body := f.imds("/latest/dynamic/instance-identity/" + p)
					if st != 200 || body == "" || strings.Contains(body, "BEGIN") {
						return fmt.Errorf("%s: %d %q", p, st, body)
					}
				}
				return nil
			}},
		{area: "imds", name: "a path that does not exist", error: true, tag: "OBS",
			aws: "404 with the XHTML \"404 - Not Found\" page", source: "instance captures (research G.1)",
			check: func(f *conf) error {
				if st, body := f.imds("/latest/meta-data/teleport"); st != 404 || !strings.Contains(body, "<title>404 - Not Found</title>") {
					return fmt.Errorf("%d %q", st, body)
				}
				return nil
			}},
		{area: "ec2", name: "a group created moments ago is not found (eventual consistency)", error: true, tag: "DOC",
			aws:    "InvalidGroup.NotFound for a while after CreateSecurityGroup, then found",
			source: "https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html",
			check: func(f *conf) error {
				g := newConf(f.t, Options{Timing: Timing{ReadLag: 3 * time.Second, Seed: 1}})
				body, err := g.ec2OK("CreateSecurityGroup", "GroupName", "ECR_VPCE_SG", "GroupDescription", "d", "VpcId", g.ws.VpcID)
				if err != nil {
					return err
				}
				id := regexp.MustCompile(`<groupId>(sg-[0-9a-f]+)</groupId>`).FindStringSubmatch(body)
				if id == nil {
					return fmt.Errorf("no group id in %s", body)
				}
				if st, _ := g.ec2("DescribeSecurityGroups", "GroupId.1", id[1]); st != 400 {
					return fmt.Errorf("found at once (%d)", st)
				}
				g.clock.Advance(3 * time.Second)
				_, err = g.ec2OK("DescribeSecurityGroups", "GroupId.1", id[1])
				return err
			}},
		{area: "ec2", name: "a changed endpoint policy takes effect later", error: true, tag: "DOC",
			aws:    "after ModifyVpcEndpoint \"it can take a few minutes for the changes to take effect\"",
			source: "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
			check: func(f *conf) error {
				g := newConf(f.t, Options{Timing: Timing{PolicyPropagation: time.Minute}})
				api := createEndpoint(g.t, g.c, g.sb, serviceAPI, "")
				list := `{"repositoryName":"` + RepoA + `"}`
				if st, b := g.ecr("ListImages", list); st != 200 {
					return fmt.Errorf("ListImages under full access: %d %s", st, b)
				}
				if _, err := g.ec2OK("ModifyVpcEndpoint", "VpcEndpointId", api, "PolicyDocument",
					`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`); err != nil {
					return err
				}
				if st, b := g.ecr("ListImages", list); st != 200 {
					return fmt.Errorf("the new policy applied at once: %d %s", st, b)
				}
				g.clock.Advance(time.Minute)
				if st, _ := g.ecr("ListImages", list); st != 400 {
					return fmt.Errorf("the new policy never applied (%d)", st)
				}
				return nil
			}},
		{area: "imds", name: "IMDSv2 required and no token", error: true, tag: "DOC",
			aws: "401", source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
			check: func(f *conf) error {
				g := newConf(f.t, Options{IMDSv2Required: true})
				if st, _ := g.imds("/latest/meta-data/instance-id"); st != 401 {
					return fmt.Errorf("%d", st)
				}
				return nil
			}},
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&#xA;", "\n", "&#10;", "\n", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}

// TestConformance runs the conformance table and logs the audit's figures.
func TestConformance(t *testing.T) {
	var errRight, errAll, shapeRight, shapeAll int
	for _, b := range conformance() {
		if b.tag == "" || b.source == "" || b.aws == "" {
			t.Errorf("%s: %s has no tag, source or AWS behaviour", b.area, b.name)
		}
		f := newConf(t, Options{})
		err := b.check(f)
		if b.error {
			errAll++
		} else {
			shapeAll++
		}
		if err != nil {
			t.Errorf("%s: %s [%s %s]: %v", b.area, b.name, b.tag, b.source, err)
			continue
		}
		if b.error {
			errRight++
		} else {
			shapeRight++
		}
	}
	t.Logf("conformance: %d of %d error outcomes right, %d of %d shapes right", errRight, errAll, shapeRight, shapeAll)
	served := map[string]int{"ec2": len(EC2Actions()), "ecr": len(ECRActions()), "sts": 3}
	for _, svc := range []string{"ec2", "ecr", "sts"} {
		all := 0
		for op := range awsOperations {
			if strings.HasPrefix(op, svc+":") {
				all++
			}
		}
		t.Logf("operations: %s serves %d of AWS's %d", svc, served[svc], all)
	}
	for _, n := range notModelled {
		t.Logf("not modelled: %s (%s)", n.what, n.why)
	}
}
