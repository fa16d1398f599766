package awsops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"ecr-vpce-lab/internal/problem"
)

// CodeOf returns the AWS error code of err, or "".
func CodeOf(err error) string {
	if c := problem.CodeOf(err); c != "" {
		return c
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// classify wraps err from an AWS call as a *problem.Error with a kind and a
// fix. op says what we were doing; it is idempotent on problems already
// classified. The kind comes from what the SDK knows for certain: AWS's
// error code, then the HTTP status, then the Go type of a failure that
// never reached AWS. Message text is read only where none of those exists.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if done, ok := problem.As(err); ok {
		if done.Op == "" {
			done.Op = op
		}
		return done
	}
	if p := credentialProblem(op, err); p != nil {
		return p
	}
	e := &problem.Error{Op: op, Err: err, Kind: problem.Unknown}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		e.Service, e.Operation = oe.ServiceID, oe.OperationName
	}
	status := httpStatus(err)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
		e.Kind, e.Fix = classifyCode(e.Code)
		if e.Kind == problem.Unknown && status != 0 {
			e.Kind, e.Fix = classifyStatus(status)
		}
		if e.Message == "" {
			e.Message = cause(err)
		}
		if e.Kind == problem.Permission {
			called := ""
			if e.Service != "" && e.Operation != "" {
				called = IAMAction(e.Service, e.Operation)
			}
			explainPermission(e, called)
		}
		var mae *retry.MaxAttemptsError
		if errors.As(err, &mae) {
			if fix, ok := outOfRetries(e.Kind, "AWS", mae.Attempt); ok {
				e.Fix = fix
			}
		}
		return e
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message, e.Fix = problem.Canceled, "interrupted", "the operation was interrupted; run the command again to continue"
		return e
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Message, e.Fix = problem.Timeout, "AWS did not answer in time", "AWS did not answer in time: check the network and run the command again"
		return e
	}
	if status != 0 {
		// An answer AWS's error format does not describe (an HTML page from
		// a proxy, a body cut short): the status still says whose fault it is.
		e.Kind, e.Fix = classifyStatus(status)
		e.Code, e.Message = fmt.Sprintf("HTTP%d", status), cause(err)
		return e
	}
	var me *aws.MissingRegionError
	if errors.As(err, &me) {
		e.Kind, e.Message, e.Fix = problem.Region, "no region is set", "no region is set: pass --region, or export AWS_REGION (the workshop uses us-west-2)"
		return e
	}
	var ge *GuardError
	if errors.As(err, &ge) {
		e.Kind, e.Fix = problem.Network, "sandbox mode only talks to 127.0.0.1: check the sandbox's addresses (AWS_ENDPOINT_URL, ECR_REGISTRY, LAB_DNS_SERVER)"
		e.Message = ge.Error()
		return e
	}
	var se *v4.SigningError
	if errors.As(err, &se) || credentialsMissing(err.Error()) {
		// The SDK has no code for these; its words are all there is.
		e.Message = cause(err)
		if strings.Contains(strings.ToLower(err.Error()), "expired") {
			e.Kind, e.Fix = problem.ExpiredCredentials, "your AWS credentials have expired: refresh them (aws sso login, or new keys) and run the command again"
		} else {
			e.Kind, e.Fix = problem.NoCredentials, "no AWS credentials found: run on the workshop's EC2/Cloud9 workspace, set AWS_PROFILE or AWS_ACCESS_KEY_ID, or try --sandbox"
		}
		return e
	}
	var ne net.Error
	var ue *url.Error
	var noe *net.OpError
	if errors.As(err, &noe) || errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) {
		e.Kind, e.Message, e.Fix = problem.Network, cause(err), "cannot reach AWS: check the network connection (and, for the sandbox, that it is still running)"
		return e
	}
	e.Message, e.Fix = cause(err), problem.DefaultFix
	return e
}

// httpStatus is the HTTP status of AWS's answer, 0 when there was none.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// cause is the innermost useful sentence of an SDK error chain: the network
// failure, or the last error that wraps nothing, without the "operation
// error EC2: …, https response error StatusCode: …, RequestID: …" stack.
func cause(err error) string {
	var noe *net.OpError
	if errors.As(err, &noe) {
		return noe.Error()
	}
	var dnse *net.DNSError
	if errors.As(err, &dnse) {
		return dnse.Error()
	}
	last := err
	for {
		next := errors.Unwrap(last)
		if next == nil {
			break
		}
		last = next
	}
	msg := last.Error()
	if msg == "" {
		msg = err.Error()
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// classifyCode maps an AWS error code to a kind and a fix; Unknown when
// the code is not one the lab knows.
func classifyCode(code string) (problem.Kind, string) {
	switch code {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		return problem.ExpiredCredentials, "your AWS credentials have expired (or the clock is off): refresh them and run the command again"
	case "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException":
		return problem.InvalidCredentials, "AWS does not accept these credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID, refresh them if they are temporary (in sandbox mode, use the keys the sandbox prints)"
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "Forbidden", "OptInRequired":
		return problem.Permission, "your role lacks this permission: ask for the actions in docs/iam-policy.json, or use a role that has them"
	case "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled", "SlowDown", "ThrottledException":
		return problem.Throttled, "AWS is throttling requests: wait a minute and run the command again"
	case "DependencyViolation":
		return problem.Dependency, "something still uses this resource (often an endpoint's network interfaces being released): wait a minute and run the command again"
	case "IdempotentParameterMismatch":
		return problem.Conflict, "an earlier attempt used the same client token with different settings: run 'down' to clean up, then 'up' again"
	case "RepositoryAlreadyExistsException", "InvalidGroup.Duplicate", "InvalidPermission.Duplicate", "ResourceAlreadyExistsException", "RouteAlreadyExists":
		return problem.Conflict, "it already exists: run the command again to adopt it"
	case "RepositoryNotFoundException":
		return problem.NotFound, "the repository does not exist: create it (aws ecr create-repository), or pass --create-repo"
	case "ImageNotFoundException":
		return problem.NotFound, "the image tag does not exist in the repository: push it first, or pass --create-repo"
	case "InvalidParameter", "InvalidParameterValue", "InvalidParameterCombination":
		return problem.Invalid, "AWS rejected a parameter: read AWS's message above; check the IDs, the subnet's zone, and that no other endpoint with private DNS serves ECR in the VPC"
	case "InvalidPolicyDocument", "MalformedPolicyDocument":
		return problem.Invalid, "AWS rejected the endpoint policy: check it with 'ecr-vpce-lab policy check FILE'"
	case "MissingParameter", "ValidationError", "ValidationException", "InvalidParameterException", "InvalidServiceName":
		return problem.Invalid, "AWS rejected the request: check the IDs, region and names you passed"
	case "InternalError", "InternalFailure", "InternalServerError", "InternalServerException", "ServerException",
		"ServiceUnavailable", "ServiceUnavailableException", "Unavailable", "InsufficientInstanceCapacity":
		return problem.Server, serverFix
	}
	switch {
	case strings.HasSuffix(code, ".NotFound") || strings.HasSuffix(code, "NotFoundException") || strings.HasSuffix(code, ".Malformed"):
		return problem.NotFound, "it does not exist (any more): check the ID and region, or run 'status' to see what exists"
	case strings.HasSuffix(code, ".Duplicate"):
		return problem.Conflict, "it already exists: run the command again to adopt it"
	case strings.Contains(code, "Throttl"):
		return problem.Throttled, "AWS is throttling requests: wait a minute and run the command again"
	}
	return problem.Unknown, problem.DefaultFix
}

// outOfRetries is the fix of a call throttled or failing through every
// attempt its client made (the SDK's retryer, the registry client's
// backoff): who answered so, and after how many attempts.
func outOfRetries(kind problem.Kind, who string, attempts int) (string, bool) {
	switch kind {
	case problem.Throttled:
		return fmt.Sprintf("%s kept throttling after %d attempts: wait a minute and run the command again (it resumes where it stopped)", who, attempts), true
	case problem.Server:
		return fmt.Sprintf("%s kept failing after %d attempts: wait a few minutes and run the command again (it resumes where it stopped); the AWS Health Dashboard shows known outages", who, attempts), true
	}
	return "", false
}

const serverFix = "AWS had a problem of its own: wait a minute and run the command again (it resumes where it stopped)"

// classifyStatus maps the HTTP status of an answer whose code the lab does
// not know to a kind and a fix.
func classifyStatus(status int) (problem.Kind, string) {
	switch {
	case status >= 500:
		return problem.Server, serverFix
	case status == http.StatusTooManyRequests:
		return problem.Throttled, "AWS is throttling requests: wait a minute and run the command again"
	case status == http.StatusUnauthorized:
		return problem.InvalidCredentials, "AWS does not accept these credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID"
	case status == http.StatusForbidden:
		return problem.Permission, "your role lacks this permission: ask for the actions in docs/iam-policy.json, or use a role that has them"
	case status == http.StatusNotFound:
		return problem.NotFound, "it does not exist (any more): check the ID and region, or run 'status' to see what exists"
	case status == http.StatusConflict:
		return problem.Conflict, "it already exists or is changing: run the command again in a minute"
	case status >= 400:
		return problem.Invalid, "AWS rejected the request: check the IDs, region and names you passed"
	}
	return problem.Unknown, problem.DefaultFix
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
