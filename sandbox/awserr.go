package sandbox

import (
	"errors"
	"fmt"
	"net/http"
)

// APIError is an error as AWS answers it: a code, a message and an HTTP
// status. Each protocol renders it its own way (EC2 XML, STS XML, JSON
// __type).
type APIError struct {
	Code    string
	Message string
	Status  int
	// Type is Sender or Receiver (STS only; derived from Status when empty).
	Type string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, format string, args ...any) *APIError {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &APIError{Code: code, Message: msg, Status: status}
}

// NewAPIError makes an error for interceptors, e.g.
// NewAPIError(503, "RequestLimitExceeded", "Request limit exceeded.").
func NewAPIError(status int, code, message string) *APIError {
	return &APIError{Code: code, Message: message, Status: status}
}

func badRequest(code, format string, args ...any) *APIError {
	return apiErr(http.StatusBadRequest, code, format, args...)
}

func internalError(protocol string) *APIError {
	switch protocol {
	case protoJSON:
		return apiErr(http.StatusInternalServerError, "ServerException", "An internal error occurred.")
	case protoSTS:
		return apiErr(http.StatusInternalServerError, "InternalFailure", "An internal error occurred.")
	case protoIAM:
		return apiErr(http.StatusInternalServerError, "ServiceFailure", "An internal error occurred.")
	case protoOrgs:
		return apiErr(http.StatusInternalServerError, "ServiceException", "AWS Organizations can't complete your request because of an internal service error. Try again later.")
	case protoREST:
		return apiErr(http.StatusInternalServerError, "InternalServerException", "An internal error occurred.")
	}
	return apiErr(http.StatusInternalServerError, "InternalError", "An internal error has occurred.")
}

func (e *APIError) senderType() string {
	if e.Type != "" {
		return e.Type
	}
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// notSaved answers a change the sandbox could not save (see commit.go): a
// 500 that says why, so SDKs retry and, while the cause lasts, fail.
func notSaved(protocol string, err error) *APIError {
	var tl *WorldTooLargeError
	if errors.As(err, &tl) {
		// A limit, as AWS answers a service quota: retrying cannot help.
		switch protocol {
		case protoJSON:
			return badRequest("LimitExceededException", "%s", tl.Error())
		case protoREST:
			return apiErr(http.StatusPaymentRequired, "ServiceQuotaExceededException", "%s", tl.Error())
		case protoIAM:
			return apiErr(http.StatusConflict, "LimitExceeded", "%s", tl.Error())
		}
		return badRequest("ResourceLimitExceeded", "%s", tl.Error())
	}
	e := internalError(protocol)
	var se *SaveError
	if errors.As(err, &se) {
		e.Message = se.Error()
	}
	return e
}
