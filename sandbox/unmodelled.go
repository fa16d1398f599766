package sandbox

import (
	_ "embed"
	"fmt"
	"net/http"
	"strings"
)

// The sandbox serves the operations the lab uses. A learner poking further
// (aws ec2 describe-transit-gateways) must not be told the API does not
// exist, which is what AWS's InvalidAction / UnknownOperationException
// would say: an operation AWS has but the sandbox does not model is
// refused with a code of its own that names it. Only names AWS does not
// have get AWS's answer to an unknown action. aws_operations.txt lists
// every operation of the three services, from botocore's models.

//go:embed aws_operations.txt
var awsOperationsText string

var awsOperations = func() map[string]bool {
	ops := map[string]bool{}
	for _, line := range strings.Split(awsOperationsText, "\n") {
		if svc, op, ok := strings.Cut(strings.TrimSpace(line), " "); ok && !strings.HasPrefix(svc, "#") {
			ops[svc+":"+op] = true
		}
	}
	return ops
}()

// awsHas reports whether AWS's service has the operation.
func awsHas(service, op string) bool { return awsOperations[service+":"+op] }

// unsupportedOp is the refusal of an operation AWS has and the sandbox does
// not serve; served lists the ones it does.
func unsupportedOp(service, op string, served []string) *APIError {
	code := "UnsupportedOperation"
	if service == "ecr" {
		code = "UnsupportedOperationException"
	}
	return badRequest(code, "The ecr-vpce-lab sandbox does not model the %s operation %s; it serves only the operations the lab uses (%s). "+
		"Run it against AWS to try it.", strings.ToUpper(service), op, strings.Join(served, ", "))
}

// unknownAction is AWS's own answer to an action the service does not have.
func unknownAction(protocol, action, version string) *APIError {
	switch protocol {
	case protoJSON, protoOrgs:
		return badRequest("UnknownOperationException", "")
	case protoREST:
		return apiErr(http.StatusNotFound, "UnknownOperationException", "")
	case protoSTS:
		return badRequest("InvalidAction", "Could not find operation %s for version %s", action, version)
	}
	return badRequest("InvalidAction", "%s", fmt.Sprintf("The action %s is not valid for this web service.", action))
}
