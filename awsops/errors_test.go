package awsops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"ecr-vpce-lab/internal/problem"
)

// sdkError builds the chain the SDK returns for a failed call: an operation
// error around an HTTP response error around the API error (when AWS's
// answer had one).
func sdkError(status int, api error) error {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}}
	inner := api
	if inner == nil {
		inner = errors.New("deserialization failed, failed to decode response body, invalid character '<' looking for beginning of value")
	}
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "DescribeVpcEndpoints",
		Err: &awshttp.ResponseError{RequestID: "0f3a-req", ResponseError: &smithyhttp.ResponseError{Response: resp, Err: inner}}}
}

func apiErr(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

func TestClassifyByCodeAndStatus(t *testing.T) {
	refused := &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
		Err: fmt.Errorf("https response error StatusCode: 0, RequestID: , request send failed, Post \"http://127.0.0.1:1/\": %w",
			&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: syscall.ECONNREFUSED})}
	for _, tc := range []struct {
		name    string
		err     error
		kind    problem.Kind
		fix     string // part of the fix
		message string // part of the message
	}{
		// 5xx is AWS's own trouble, not the learner's network.
		{"internal error", sdkError(500, apiErr("InternalError", "An internal error has occurred")), problem.Server, "AWS had a problem", "An internal error"},
		{"service unavailable", sdkError(503, apiErr("ServiceUnavailable", "Service unavailable")), problem.Server, "AWS had a problem", ""},
		{"unknown code, 502", sdkError(502, apiErr("BadGatewayish", "upstream")), problem.Server, "wait a minute", "upstream"},
		{"HTML page from a proxy, 504", sdkError(504, nil), problem.Server, "AWS had a problem", "invalid character"},
		{"5xx after the retries", &retry.MaxAttemptsError{Attempt: 5, Err: sdkError(500, apiErr("InternalError", "boom"))}, problem.Server, "after 5 attempts", "boom"},
		// The code decides; AWS's words do not change the kind.
		{"auth failure that mentions expiry", sdkError(401, apiErr("AuthFailure", "AWS was not able to validate the provided access credentials; token expired?")),
			problem.InvalidCredentials, "refresh them", ""},
		{"request expired", sdkError(400, apiErr("RequestExpired", "Request has expired.")), problem.ExpiredCredentials, "expired", ""},
		{"conflicting DNS is still an invalid parameter", sdkError(400, apiErr("InvalidParameter",
			"private-dns-enabled cannot be set because there is already a conflicting DNS domain for dkr.ecr.us-west-2.amazonaws.com in the VPC vpc-1")),
			problem.Invalid, "no other endpoint with private DNS", "conflicting DNS domain"},
		{"unknown code, 403", sdkError(403, apiErr("SomethingNewDenied", "no")), problem.Permission, "docs/iam-policy.json", ""},
		{"unknown code, 404", sdkError(404, apiErr("Whatever", "gone")), problem.NotFound, "run 'status'", ""},
		{"unknown code, 429", sdkError(429, apiErr("Whatever", "slow down")), problem.Throttled, "wait a minute", ""},
		{"not found by suffix", sdkError(400, apiErr("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist")), problem.NotFound, "", "does not exist"},
		{"permission names the action", sdkError(403, apiErr("UnauthorizedOperation", "You are not authorized")), problem.Permission, "ec2:DescribeVpcEndpoints", ""},
		{"throttled", sdkError(400, apiErr("RequestLimitExceeded", "Request limit exceeded.")), problem.Throttled, "wait a minute", ""},
		{"dependency", sdkError(400, apiErr("DependencyViolation", "resource sg-1 has a dependent object")), problem.Dependency, "network interfaces", ""},
		// Failures that never reached AWS.
		{"connection refused", refused, problem.Network, "cannot reach AWS", "connection refused"},
		{"cancelled", fmt.Errorf("op: %w", context.Canceled), problem.Canceled, "interrupted", ""},
		{"deadline", fmt.Errorf("op: %w", context.DeadlineExceeded), problem.Timeout, "did not answer in time", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify("describe the endpoints", tc.err)
			e, ok := problem.As(err)
			if !ok {
				t.Fatalf("not a problem: %#v", err)
			}
			if e.Kind != tc.kind {
				t.Errorf("kind %q, want %q (%v)", e.Kind, tc.kind, err)
			}
			if !strings.Contains(e.Fix, tc.fix) || e.Fix == "" {
				t.Errorf("fix %q, want it to say %q", e.Fix, tc.fix)
			}
			if !strings.Contains(e.Message, tc.message) {
				t.Errorf("message %q, want it to say %q", e.Message, tc.message)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the cause is lost: %v", err)
			}
			// What a person reads is one sentence, not the SDK's stack.
			for _, dump := range []string{"operation error", "https response error", "RequestID", "StatusCode:"} {
				if strings.Contains(err.Error(), dump) {
					t.Errorf("%q shows the SDK's %q", err.Error(), dump)
				}
			}
			if again := classify("other", err); again != err || e.Op != "describe the endpoints" {
				t.Errorf("classifying twice changed it: %v", again)
			}
		})
	}
}

// TestPermissionRefusalsSayWhoRefusedWhat: the fix of a refusal names the
// action AWS's sentence names (ec2:CreateTags for a create with tags),
// says when the deny is explicit (no Allow overrides it) and in which kind
// of policy, and gives the command that decodes the encoded message.
func TestPermissionRefusalsSayWhoRefusedWhat(t *testing.T) {
	const caller = "arn:aws:sts::123456789012:assumed-role/lab/i-0abc"
	tagged := func(reason string) string {
		return "You are not authorized to perform this operation. User: " + caller + " is not authorized to perform: ec2:CreateTags on resource: " +
			"arn:aws:ec2:us-west-2:123456789012:security-group/* " + reason + ". Encoded authorization failure message: Zm9vLWJhcl9i-Az"
	}
	create := func(msg string) error {
		resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 403, Header: http.Header{}}}
		return &smithy.OperationError{ServiceID: "EC2", OperationName: "CreateSecurityGroup",
			Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: apiErr("UnauthorizedOperation", msg)}}}
	}
	for _, c := range []struct {
		name, msg string
		want      []string
		not       []string
	}{
		{"implicit, tag on create", tagged("because no identity-based policy allows the ec2:CreateTags action"),
			[]string{"your role lacks ec2:CreateTags", "ec2:CreateSecurityGroup needs ec2:CreateTags as well",
				"aws sts decode-authorization-message --encoded-message Zm9vLWJhcl9i-Az --query DecodedMessage --output text"},
			[]string{"explicit"}},
		{"explicit, in a service control policy", tagged("with an explicit deny in a service control policy"),
			[]string{"explicit Deny in a service control policy refuses ec2:CreateTags", "no Allow in your role can override it", "decode-authorization-message"},
			[]string{"your role lacks"}},
		{"encoded message only", "You are not authorized to perform this operation. Encoded authorization failure message: abc_DEF",
			[]string{"your role lacks ec2:CreateSecurityGroup", "--encoded-message abc_DEF"}, nil},
		{"no encoded message", "User: " + caller + " is not authorized to perform: ec2:CreateSecurityGroup on resource: * because no identity-based policy allows the ec2:CreateSecurityGroup action",
			[]string{"your role lacks ec2:CreateSecurityGroup"}, []string{"decode", "as well"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _ := classify("create the security group", create(c.msg)).(*problem.Error)
			if e == nil || e.Kind != problem.Permission {
				t.Fatalf("classified %v", e)
			}
			for _, w := range c.want {
				if !strings.Contains(e.Fix, w) {
					t.Errorf("fix %q lacks %q", e.Fix, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(e.Fix, n) {
					t.Errorf("fix %q has %q", e.Fix, n)
				}
			}
			if strings.Count(e.Message+e.Fix, "Zm9vLWJhcl9i-Az") > 1 {
				t.Errorf("the encoded message is shown twice: %q / %q", e.Message, e.Fix)
			}
		})
	}
}

// TestIMDSTimeoutNamed: a failed metadata request says which timeout fired,
// to connect or for the answer, with the value in force.
func TestIMDSTimeoutNamed(t *testing.T) {
	m := NewMetadata(MetadataOptions{Endpoint: "http://127.0.0.1:1", LoopbackOnly: true, Timeouts: IMDSTimeouts{Header: 2 * time.Second}})
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	read := &url.Error{Op: "Put", URL: "http://127.0.0.1:1/latest/api/token", Err: os.ErrDeadlineExceeded}
	for err, want := range map[error]string{dial: "no connection within 5s", read: "no answer within 2s"} {
		if got := m.shortNetErr(err); got != want {
			t.Errorf("%v: %q, want %q", err, got, want)
		}
	}
	if d := (IMDSTimeouts{}).withDefaults(false); d.Dial != 250*time.Millisecond || d.Header != 500*time.Millisecond {
		t.Errorf("the SDK's timeouts off loopback: %+v", d)
	}
}

// Settle stopped while it waits out EC2's lag (ctrl-c) says what it was
// waiting for in words true of a create not listed yet and of a delete
// still listed (the teardown's last look), and that it was interrupted.
func TestSettleInterrupted(t *testing.T) {
	c := &Cloud{opts: Options{Poll: time.Minute, ConsistencyWait: 5 * time.Minute}}
	ctx, cancel := context.WithCancel(context.Background())
	lagged := 0
	err := c.Settle(ctx, c.Now(), func(error, time.Duration) { lagged++; cancel() }, func() error {
		return &problem.Error{Kind: problem.NotFound, Code: "Deleted.NotFound", Message: "still listed"}
	})
	pe, ok := problem.As(err)
	if !ok || pe.Kind != problem.Canceled || lagged != 1 || pe.Op != "wait for EC2's reads to catch up with its writes" {
		t.Fatalf("Settle interrupted: %v (%+v), %d waits", err, pe, lagged)
	}
	// The note of a wait says when the next try comes, never "in 0s".
	for wait, want := range map[time.Duration]string{time.Second: "trying again in 1s", 20 * time.Millisecond: "trying again at once", 1500 * time.Millisecond: "trying again in 1.5s"} {
		if n := LagNote("sg-1", time.Now(), wait); !strings.HasSuffix(n, want) {
			t.Errorf("wait %s: %q", wait, n)
		}
	}
}
