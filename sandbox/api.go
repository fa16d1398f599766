package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"ecr-vpce-lab/internal/boundedread"
)

// The API listener (EC2, ECR and STS) serves every request through one chain
// of small stages, in the order AWS applies them: read the body, tell the
// protocol and action, authenticate, then the faults and interceptors a test
// asked for, then the endpoint policy, and finally the operation. The first
// stage that answers with an error ends the request.

// apiCall is one request to the API listener on its way through.
type apiCall struct {
	protocol  string
	service   string
	action    string
	requestID string
	accessKey string
	dryRun    bool
	// caller is who signed the request (principals.go); public is set
	// when it came in on the public path's listener.
	caller principal
	public bool
	// also are other IAM actions the request is authorized for (a create
	// with tags is ec2:CreateTags too): recorded beside it.
	also []string
}

// apiRequest is what the stages of the chain read and fill in.
type apiRequest struct {
	call  apiCall
	r     *http.Request
	rw    http.ResponseWriter
	body  []byte
	query params // EC2, STS and IAM: the Query parameters
	// rest is a REST-JSON request's route (Scheduler).
	rest restRoute
	// authenticated: from here on the request is the caller's, and its
	// outcome is recorded (see Recorder).
	authenticated bool
}

// apiStage is one link of the chain: it refines the request, or refuses it.
type apiStage func(s *Sandbox, q *apiRequest) *APIError

// apiChain is the order of the stages.
var apiChain = []apiStage{
	(*Sandbox).readBody,
	(*Sandbox).parseRequest,
	(*Sandbox).authenticate,
	(*Sandbox).requireAction,
	(*Sandbox).injectFault,
	(*Sandbox).intercept,
	(*Sandbox).enforceEndpointPolicy,
}

// serveAPI is the single entry of every API the sandbox serves (public:
// the request comes from outside the VPC, principals.go). A request for
// another account or region of the hub is served by that world.
func (s *Sandbox) serveAPI(rw http.ResponseWriter, r *http.Request, public bool) {
	q := &apiRequest{r: r, rw: rw, call: apiCall{requestID: newRequestID(), protocol: protoEC2, service: "ec2", public: public}}
	switch t := r.Header.Get("X-Amz-Target"); {
	case strings.HasPrefix(t, orgsTargetPrefix):
		q.call.protocol, q.call.service = protoOrgs, "organizations"
	case t != "":
		q.call.protocol, q.call.service = protoJSON, "ecr"
	case isSchedulerPath(r.URL.Path):
		q.call.protocol, q.call.service = protoREST, "scheduler"
	}
	if r.URL.Path == clockPath {
		s.serveClock(rw, r)
		return
	}
	if m := s.routeTo(r); m != nil && m != s {
		m.serveAPI(rw, r, public)
		return
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), ecrTargetPrefix) && s.sgDrops(serviceAPI, public) {
		// The endpoint's security group drops the connection before ECR
		// sees it: nothing is answered, nothing is recorded.
		s.dropConnection(rw, r)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.Error("sandbox: panic while serving", "action", q.call.action, "panic", v)
			s.writeError(rw, &q.call, internalError(q.call.protocol))
		}
	}()
	for _, stage := range apiChain {
		if e := stage(s, q); e != nil {
			s.refuse(q, e)
			return
		}
	}
	out, e := s.dispatch(q)
	if e != nil {
		s.refuse(q, e)
		return
	}
	s.writeOK(rw, &q.call, out)
	s.record(&q.call, "")
}

// refuse answers the request with e, and records it once authenticated.
func (s *Sandbox) refuse(q *apiRequest, e *APIError) {
	s.writeError(q.rw, &q.call, e)
	if q.authenticated {
		s.record(&q.call, e.Code)
	}
}

// readBody reads the whole body, up to Options.MaxBodyBytes.
func (s *Sandbox) readBody(q *apiRequest) *APIError {
	body, err := io.ReadAll(http.MaxBytesReader(q.rw, q.r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apiErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body exceeds the limit of %s; send a smaller request.", byteSize(s.opts.MaxBodyBytes))
		}
		return badRequest("IncompleteBody", "The request body could not be read.")
	}
	q.body = body
	return nil
}

// parseRequest finds the action: from X-Amz-Target for ECR's JSON, from the
// Query parameters (body or URL) for EC2 and STS, which the credential scope
// of the signature tells apart.
func (s *Sandbox) parseRequest(q *apiRequest) *APIError {
	c, r := &q.call, q.r
	if c.protocol == protoJSON {
		c.action, _ = strings.CutPrefix(r.Header.Get("X-Amz-Target"), ecrTargetPrefix)
		return nil
	}
	if c.protocol == protoOrgs {
		c.action, _ = strings.CutPrefix(r.Header.Get("X-Amz-Target"), orgsTargetPrefix)
		return nil
	}
	if c.protocol == protoREST {
		c.action, q.rest = schedulerRoute(r.Method, r.URL.EscapedPath(), r.URL.Query())
		if c.action == "" {
			c.action = "-"
		}
		return nil
	}
	raw := r.URL.RawQuery
	switch r.Method {
	case http.MethodPost:
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return badRequest("InvalidParameterValue", "Unsupported content type %s; this endpoint accepts AWS Query (application/x-www-form-urlencoded) or JSON 1.1 with X-Amz-Target.", ct)
		}
		raw = string(q.body)
	case http.MethodGet:
	default:
		return apiErr(http.StatusMethodNotAllowed, "InvalidAction", "The HTTP method %s is not supported.", r.Method)
	}
	p, perr := parseQuery(raw)
	if perr != nil {
		return perr
	}
	q.query = p
	c.action = p.str("Action")
	// The credential scope names the service; without one, guess from the action.
	if sig, ok := parseAuthorization(r.Header.Get("Authorization")); ok && sig.Service == "sts" {
		c.protocol, c.service = protoSTS, "sts"
	} else if ok && sig.Service == "iam" {
		c.protocol, c.service = protoIAM, "iam"
	} else if !ok && c.action == "GetCallerIdentity" {
		c.protocol, c.service = protoSTS, "sts"
	}
	return nil
}

// authenticate verifies the SigV4 signature and its credential scope.
func (s *Sandbox) authenticate(q *apiRequest) *APIError {
	c := &q.call
	q.authenticated = true
	sig, failure := verifySigV4(q.r, q.body, s.acceptedKeys(), time.Now(), s.clockAtStart, s.opts.Clock.Now())
	c.accessKey = sig.AccessKeyID
	s.read(func(w *world) { c.caller = w.principalByKey(sig.AccessKeyID) })
	if failure != authOK {
		return authError(c.protocol, failure)
	}
	if sig.Service != c.service {
		e := authError(c.protocol, authBadSignature)
		e.Message = fmt.Sprintf("Credential should be scoped to correct service: '%s'.", c.service)
		return e
	}
	if sig.Region != s.opts.Region && !(globalService(c.service) && sig.Region == "us-east-1") {
		e := authError(c.protocol, authBadSignature)
		e.Message = fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", sig.Region)
		return e
	}
	if s.opts.Faults.RegionDisabled && sig.Region == s.opts.Region {
		// A region the account has not enabled answers as if the keys
		// were unknown: InvalidClientTokenId (STS), AuthFailure (EC2),
		// UnrecognizedClientException (JSON services). [research L.4]
		return authError(c.protocol, authUnknownKey)
	}
	return nil
}

// requireAction refuses a request that names no action, as each protocol does.
func (s *Sandbox) requireAction(q *apiRequest) *APIError {
	c := &q.call
	if c.action != "" {
		if c.protocol == protoEC2 {
			c.dryRun = q.query.str("DryRun") == "true"
		}
		return nil
	}
	switch c.protocol {
	case protoJSON, protoOrgs:
		return badRequest("UnknownOperationException", "")
	case protoSTS, protoIAM:
		return badRequest("MissingAction", "Missing Action")
	}
	return badRequest("MissingAction", "The request must contain the parameter Action")
}

// injectFault applies the rate faults and latency of Options.Faults.
func (s *Sandbox) injectFault(q *apiRequest) *APIError {
	return s.faults.apiFault(q.r.Context(), q.call.service, q.call.protocol)
}

// intercept runs Options.Interceptors in order.
func (s *Sandbox) intercept(q *apiRequest) *APIError {
	c := &q.call
	for _, ic := range s.opts.Interceptors {
		if e := ic(q.r.Context(), Request{Service: c.service, Action: c.action, AccessKeyID: c.accessKey, Time: s.opts.Clock.Now()}); e != nil {
			return e
		}
	}
	return nil
}

// enforceEndpointPolicy authorises an ECR request against the policies it
// meets: the ecr.api endpoint's when it travels through one, the
// repository's, the caller's own (EC2 and STS have no endpoint in the lab).
func (s *Sandbox) enforceEndpointPolicy(q *apiRequest) *APIError {
	if q.call.protocol != protoJSON {
		return nil
	}
	return s.enforceECRAPI(&q.call, q.body)
}

// dispatch runs the operation.
func (s *Sandbox) dispatch(q *apiRequest) ([]byte, *APIError) {
	switch q.call.protocol {
	case protoJSON:
		return s.handleECR(&q.call, q.body)
	case protoSTS:
		return s.handleSTS(&q.call, q.query)
	case protoIAM:
		return s.handleIAM(&q.call, q.query)
	case protoREST:
		return s.handleScheduler(&q.call, q.rest, q.body)
	case protoOrgs:
		return s.handleOrganizations(&q.call, q.body)
	}
	return s.handleEC2(&q.call, q.query)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// byteSize writes a limit for people: 1 MiB (1048576 bytes).
func byteSize(n int64) string {
	if s := boundedread.Size(n); !strings.HasSuffix(s, " bytes") {
		return fmt.Sprintf("%s (%d bytes)", s, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Sandbox) record(c *apiCall, code string) {
	call := Call{
		Time: s.opts.Clock.Now(), Service: c.service, Action: c.action, AccessKeyID: c.accessKey,
		DryRun: c.dryRun, ErrorCode: code,
	}
	if c.protocol == "registry" {
		call.Via = "registry"
	}
	for _, a := range append([]string{c.action}, c.also...) {
		call.Action = a
		s.calls.Record(call)
		if s.opts.Recorder != nil {
			s.opts.Recorder.Record(call)
		}
	}
	s.opts.Logger.Debug("sandbox: call", "service", c.service, "action", c.action, "error", code)
}

// AWS's sentences for a signature that does not match, or has expired, and
// for credentials EC2 cannot validate; several protocols share them.
const (
	sigMismatch  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	sigExpired   = "Signature expired: the request time is more than 15 minutes away from the server time."
	sigMalformed = "Request must contain a signature that conforms to AWS standards"
	badToken     = "The security token included in the request is invalid."
	ec2AuthFail  = "AWS was not able to validate the provided access credentials"
)

func authError(protocol string, f authFailure) *APIError {
	switch protocol {
	case protoJSON, protoREST, protoOrgs:
		switch f {
		case authMissing:
			return apiErr(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		case authMalformed:
			return apiErr(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, a matching 'X-Amz-Date' header and a signed 'host' header.")
		case authUnknownKey:
			return apiErr(http.StatusBadRequest, "UnrecognizedClientException", badToken)
		case authExpired:
			return apiErr(http.StatusBadRequest, "InvalidSignatureException", sigExpired)
		}
		return apiErr(http.StatusBadRequest, "InvalidSignatureException", sigMismatch)
	case protoSTS, protoIAM:
		switch f {
		case authMissing:
			return apiErr(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		case authMalformed:
			return apiErr(http.StatusBadRequest, "IncompleteSignature", sigMalformed)
		case authUnknownKey:
			return apiErr(http.StatusForbidden, "InvalidClientTokenId", badToken)
		case authExpired:
			return apiErr(http.StatusForbidden, "SignatureDoesNotMatch", sigExpired)
		}
		return apiErr(http.StatusForbidden, "SignatureDoesNotMatch", sigMismatch)
	}
	// EC2 says little: anything but a malformed or expired request is an
	// AuthFailure.
	switch f {
	case authMalformed:
		return apiErr(http.StatusBadRequest, "IncompleteSignature", sigMalformed)
	case authExpired:
		return apiErr(http.StatusBadRequest, "RequestExpired", "Request has expired.")
	}
	return apiErr(http.StatusUnauthorized, "AuthFailure", ec2AuthFail)
}

// contentType is the Content-Type of a protocol's answers.
func contentType(protocol string) string {
	switch protocol {
	case protoJSON, protoOrgs:
		return "application/x-amz-json-1.1"
	case protoSTS, protoIAM:
		return "text/xml"
	case protoREST:
		return "application/json"
	}
	return "text/xml;charset=UTF-8"
}

// writeHead sets what every answer carries: the world's time as Date
// (clients that correct their clock from it, the SDKs, then follow a clock
// the sandbox was asked to move) and the protocol's Content-Type.
func (s *Sandbox) writeHead(rw http.ResponseWriter, c *apiCall) http.Header {
	h := rw.Header()
	h.Set("Date", s.opts.Clock.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Type", contentType(c.protocol))
	return h
}

func (s *Sandbox) writeOK(rw http.ResponseWriter, c *apiCall, body []byte) {
	h := s.writeHead(rw, c)
	h.Set("X-Amzn-Requestid", c.requestID)
	if c.protocol == protoEC2 {
		h.Set("Server", "AmazonEC2")
	} else {
		h.Del("Server")
	}
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write(body)
}

func (s *Sandbox) writeError(rw http.ResponseWriter, c *apiCall, e *APIError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	var body string
	h := s.writeHead(rw, c)
	if c.protocol != protoEC2 {
		h.Set("X-Amzn-Requestid", c.requestID)
	}
	switch c.protocol {
	case protoJSON:
		h.Set("X-Amzn-Errortype", e.Code+":")
		body = jsonString(map[string]string{"__type": e.Code, "message": e.Message})
	case protoOrgs:
		// Organizations' error shapes spell it Message (research F.1).
		body = jsonString(map[string]string{"__type": e.Code, "Message": e.Message})
	case protoREST:
		// REST-JSON: the code in x-amzn-ErrorType, "Message" in the body
		// (research D.1).
		h.Set("X-Amzn-Errortype", e.Code+":")
		body = jsonString(map[string]string{"Message": e.Message})
	case protoSTS, protoIAM:
		body = `<ErrorResponse xmlns="` + queryNamespace(c.protocol) + `">` + "\n" +
			"  <Error>\n    <Type>" + xmlEscape(e.senderType()) + "</Type>\n    <Code>" + xmlEscape(e.Code) + "</Code>\n    <Message>" +
			xmlEscape(e.Message) + "</Message>\n  </Error>\n  <RequestId>" + c.requestID + "</RequestId>\n</ErrorResponse>\n"
	default:
		body = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Errors><Error><Code>` + xmlEscape(e.Code) +
			`</Code><Message>` + xmlEscape(e.Message) + `</Message></Error></Errors><RequestID>` + c.requestID + `</RequestID></Response>`
	}
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, body)
}
