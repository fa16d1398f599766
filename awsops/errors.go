package awsops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// Kind classifies what went wrong, so callers can decide what to do and what
// to tell the learner without parsing messages.
type Kind string

// Error kinds.
const (
	KindNoCredentials      Kind = "no-credentials"
	KindExpiredCredentials Kind = "expired-credentials"
	KindInvalidCredentials Kind = "invalid-credentials"
	KindPermission         Kind = "permission"
	KindThrottled          Kind = "throttled"
	KindNotFound           Kind = "not-found"
	KindConflict           Kind = "conflict"
	KindDependency         Kind = "dependency"
	KindNetwork            Kind = "network"
	KindInvalid            Kind = "invalid"
	KindRegion             Kind = "no-region"
	KindNotOnEC2           Kind = "not-on-ec2"
	KindCanceled           Kind = "canceled"
	KindTimeout            Kind = "timeout"
	KindDenied             Kind = "denied"
	KindUnknown            Kind = "unknown"
)

// Error is a failed operation, classified, with the fix a learner can act on.
type Error struct {
	Kind Kind
	// Op is what we were doing, in plain words ("create the security group").
	Op string
	// Service and Operation name the API call, when one failed.
	Service, Operation string
	// Code is the AWS error code, when AWS answered with one.
	Code string
	// Message is the service's own message, verbatim.
	Message string
	// Fix is one sentence saying what to do next.
	Fix string
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	switch {
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, "%s: %s", e.Code, e.Message)
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Code != "":
		b.WriteString(e.Code)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(string(e.Kind))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a classified error, KindUnknown otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// FixOf returns the fix carried by a classified error ("" otherwise).
func FixOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fix
	}
	return ""
}

// CodeOf returns the AWS error code of err, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// newError builds a classified error of our own (no AWS call involved).
func newError(kind Kind, op, msg, fix string) *Error {
	return &Error{Kind: kind, Op: op, Message: msg, Fix: fix}
}

// classify wraps err from an AWS call as an *Error with a kind and a fix.
// op says what we were doing; it is idempotent on already classified errors.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		if done.Op == "" {
			done.Op = op
		}
		return done
	}
	e := &Error{Op: op, Err: err, Kind: KindUnknown}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		e.Service, e.Operation = oe.ServiceID, oe.OperationName
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
		e.Kind, e.Fix = classifyCode(e.Code, e.Message)
		if e.Kind == KindPermission && e.Service != "" && e.Operation != "" {
			e.Fix = fmt.Sprintf("your role lacks %s: add it to the role (docs/iam-policy.json lists every action the lab needs), or use a role that has them",
				IAMAction(e.Service, e.Operation))
		}
		var mae *retry.MaxAttemptsError
		if e.Kind == KindThrottled && errors.As(err, &mae) {
			e.Fix = fmt.Sprintf("AWS kept throttling after %d attempts: wait a minute and run the command again (it resumes where it stopped)", mae.Attempt)
		}
		return e
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.Kind, e.Fix = KindCanceled, "the operation was interrupted; run the command again to continue"
		return e
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Fix = KindTimeout, "AWS did not answer in time: check the network and run the command again"
		return e
	}
	var me *aws.MissingRegionError
	if errors.As(err, &me) {
		e.Kind, e.Fix = KindRegion, "no region is set: pass --region, or export AWS_REGION (the workshop uses us-west-2)"
		return e
	}
	var ge *GuardError
	if errors.As(err, &ge) {
		e.Kind, e.Fix = KindNetwork, "sandbox mode only talks to 127.0.0.1: check the sandbox's addresses (AWS_ENDPOINT_URL, ECR_REGISTRY, LAB_DNS_SERVER)"
		e.Message = ge.Error()
		return e
	}
	var se *v4.SigningError
	if errors.As(err, &se) || credentialsMissing(err.Error()) {
		msg := err.Error()
		if strings.Contains(strings.ToLower(msg), "expired") {
			e.Kind, e.Fix = KindExpiredCredentials, "your AWS credentials have expired: refresh them (aws sso login, or new keys) and run the command again"
		} else {
			e.Kind, e.Fix = KindNoCredentials, "no AWS credentials found: run on the workshop's EC2/Cloud9 workspace, set AWS_PROFILE or AWS_ACCESS_KEY_ID, or try --sandbox"
		}
		return e
	}
	var ne net.Error
	var ue *url.Error
	var oe2 *net.OpError
	if errors.As(err, &oe2) || errors.As(err, &ue) || errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") {
		e.Kind, e.Fix = KindNetwork, "cannot reach AWS: check the network connection (and, for the sandbox, that it is still running)"
		return e
	}
	return e
}

// classifyCode maps an AWS error code to a kind and a fix.
func classifyCode(code, msg string) (Kind, string) {
	lc := strings.ToLower(msg)
	switch code {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		return KindExpiredCredentials, "your AWS credentials have expired (or the clock is off): refresh them and run the command again"
	case "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException":
		if strings.Contains(lc, "expired") {
			return KindExpiredCredentials, "your AWS credentials have expired (or the clock is off): refresh them and run the command again"
		}
		return KindInvalidCredentials, "AWS does not accept these credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID (in sandbox mode, use the keys the sandbox prints)"
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "Forbidden", "OptInRequired":
		return KindPermission, "your role lacks this permission: ask for the actions in docs/iam-policy.json, or use a role that has them"
	case "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled", "SlowDown", "ThrottledException":
		return KindThrottled, "AWS is throttling requests: wait a minute and run the command again"
	case "DependencyViolation":
		return KindDependency, "something still uses this resource (often an endpoint's network interfaces being released): wait a minute and run the command again"
	case "IdempotentParameterMismatch":
		return KindConflict, "an earlier attempt used the same client token with different settings: run 'down' to clean up, then 'up' again"
	case "RepositoryAlreadyExistsException", "InvalidGroup.Duplicate", "InvalidPermission.Duplicate", "ResourceAlreadyExistsException", "RouteAlreadyExists":
		return KindConflict, "it already exists: run the command again to adopt it"
	case "RepositoryNotFoundException":
		return KindNotFound, "the repository does not exist: create it (aws ecr create-repository), or pass --create-repo"
	case "ImageNotFoundException":
		return KindNotFound, "the image tag does not exist in the repository: push it first, or pass --create-repo"
	case "InvalidParameter", "InvalidParameterValue", "InvalidParameterCombination":
		if strings.Contains(lc, "conflicting dns domain") || strings.Contains(lc, "private dns") && strings.Contains(lc, "conflict") {
			return KindConflict, "another endpoint for this service with private DNS already exists in the VPC: adopt it (--adopt) or delete it"
		}
		if strings.Contains(lc, "availability zone") || strings.Contains(lc, "not available in") {
			return KindInvalid, "the service is not offered in this subnet's Availability Zone: choose a subnet in another zone (--subnet)"
		}
		return KindInvalid, "AWS rejected a parameter: check the IDs and the policy you passed"
	case "InvalidPolicyDocument", "MalformedPolicyDocument":
		return KindInvalid, "AWS rejected the endpoint policy: check it with 'ecr-vpce-lab policy check FILE'"
	case "MissingParameter", "ValidationError", "ValidationException", "InvalidParameterException", "InvalidServiceName":
		return KindInvalid, "AWS rejected the request: check the IDs, region and names you passed"
	}
	switch {
	case strings.HasSuffix(code, ".NotFound") || strings.HasSuffix(code, "NotFoundException") || strings.HasSuffix(code, ".Malformed"):
		return KindNotFound, "it does not exist (any more): check the ID and region, or run 'status' to see what exists"
	case strings.HasSuffix(code, ".Duplicate"):
		return KindConflict, "it already exists: run the command again to adopt it"
	case strings.Contains(code, "Throttl"):
		return KindThrottled, "AWS is throttling requests: wait a minute and run the command again"
	case code == "InternalError" || code == "InternalFailure" || code == "ServiceUnavailable" || code == "Unavailable" || code == "ServerException":
		return KindNetwork, "AWS had an internal error: run the command again (it resumes where it stopped)"
	}
	return KindUnknown, "run the command again with --verbose to see every API call"
}

// IAMAction names the IAM action of an SDK operation: service ID "EC2" and
// operation "CreateVpcEndpoint" give ec2:CreateVpcEndpoint.
func IAMAction(serviceID, operation string) string {
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", "")) + ":" + operation
}

// credentialsMissing recognises the SDK's ways of saying it found no keys.
func credentialsMissing(msg string) bool {
	for _, p := range []string{"failed to retrieve credentials", "get credentials:", "credentials are empty",
		"no EC2 IMDS role found", "failed to refresh cached credentials", "no valid providers"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
