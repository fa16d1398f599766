package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Protocols of the API listener.
const (
	protoEC2  = "ec2"
	protoJSON = "json"
	protoSTS  = "sts"
)

// Sandbox is a running sandbox. Close it when done.
type Sandbox struct {
	opts Options

	mu    sync.Mutex // guards w
	w     *world
	blobs blobStore
	lock  *worldLock
	calls CallLog

	apiSrv, imdsSrv, regSrv *http.Server
	apiURL, imdsURL         string
	regAddr                 string
	imds                    *imdsServer
	dns                     *dnsServer

	conns    connTracker
	faults   *injector
	policies policyCache
	fresh    bool

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// EnvVar is one NAME=VALUE of the environment that points tools at the sandbox.
type EnvVar struct{ Name, Value string }

// Workspace names the resources of the workspace instance, as the lab's
// first step discovers them.
type Workspace struct {
	InstanceID      string
	MAC             string
	ENIID           string
	PrivateIP       string
	SecurityGroupID string
	SubnetID        string
	VpcID           string
	RouteTableID    string
	SubnetIDs       []string
	CallerARN       string
}

// Start builds or loads the world and serves it on 127.0.0.1 (free ports).
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	s := &Sandbox{opts: opts, done: make(chan struct{}), faults: newInjector(opts.Faults)}
	now := opts.Clock.Now()

	if opts.StateDir != "" {
		dir, err := filepath.Abs(opts.StateDir)
		if err != nil {
			return nil, err
		}
		s.opts.StateDir = dir
		if s.lock, err = lockWorld(dir); err != nil {
			return nil, err
		}
		s.blobs = dirBlobs{dir: filepath.Join(dir, "blobs")}
		if opts.Reset {
			if err := resetWorld(dir); err != nil {
				s.lock.release()
				return nil, err
			}
		}
		w, err := loadWorld(dir)
		if err != nil {
			s.lock.release()
			return nil, err
		}
		if w != nil && (w.Account != opts.Account || w.Region != opts.Region) {
			s.lock.release()
			return nil, fmt.Errorf("the world in %s is account %s in %s, not %s in %s; use --reset to start a fresh one", dir, w.Account, w.Region, opts.Account, opts.Region)
		}
		s.w = w
	} else {
		s.blobs = &memBlobs{}
	}
	if s.w == nil {
		var seedErr error
		s.w = newWorld(opts.Account, opts.Region, now, func(w *world) imageData {
			d, err := seedImages(w.Created, s.blobs)
			seedErr = err
			return d
		})
		if seedErr != nil {
			s.lock.release()
			return nil, seedErr
		}
		s.fresh = true
		s.applyWorldFaults(now)
		if err := s.save(); err != nil {
			s.lock.release()
			return nil, err
		}
	}

	apiLn, err := listenLoopback(ctx)
	if err != nil {
		s.lock.release()
		return nil, err
	}
	imdsLn, err := listenLoopback(ctx)
	if err != nil {
		_ = apiLn.Close()
		s.lock.release()
		return nil, err
	}
	regLn, err := listenLoopback(ctx)
	if err != nil {
		_ = apiLn.Close()
		_ = imdsLn.Close()
		s.lock.release()
		return nil, err
	}
	if s.dns, err = startDNS(ctx, s); err != nil {
		_ = apiLn.Close()
		_ = imdsLn.Close()
		_ = regLn.Close()
		s.lock.release()
		return nil, err
	}
	s.apiURL = "http://" + apiLn.Addr().String()
	s.imdsURL = "http://" + imdsLn.Addr().String()
	s.regAddr = regLn.Addr().String()
	s.imds = newIMDS(s)
	s.apiSrv = &http.Server{Handler: http.HandlerFunc(s.serveAPI), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	s.imdsSrv = &http.Server{Handler: s.imds, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	s.regSrv = &http.Server{Handler: newRegistryServer(s), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	for _, srv := range []*http.Server{s.apiSrv, s.imdsSrv, s.regSrv} {
		srv.ConnState = s.conns.hook
	}
	go func() { _ = s.apiSrv.Serve(apiLn) }()
	go func() { _ = s.imdsSrv.Serve(imdsLn) }()
	go func() { _ = s.regSrv.Serve(regLn) }()
	if s.opts.StateDir != "" {
		if err := s.writeServing(); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("announcing the sandbox in %s: %w", s.opts.StateDir, err)
		}
	}
	return s, nil
}

func listenLoopback(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp4", "127.0.0.1:0")
}

// Close stops serving and releases the world's lock. The world stays saved.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Connections that never sent a request (a client's spare dial)
		// would hold Shutdown up for 5 seconds.
		s.conns.closeFresh()
		err1 := s.apiSrv.Shutdown(ctx)
		err2 := s.imdsSrv.Shutdown(ctx)
		err4 := s.regSrv.Shutdown(ctx)
		err5 := s.dns.shutdown()
		s.mu.Lock()
		if s.opts.StateDir != "" {
			_ = os.Remove(filepath.Join(s.opts.StateDir, servingFile))
		}
		err3 := s.lock.release()
		s.mu.Unlock()
		s.closeErr = errors.Join(err1, err2, err3, err4, err5)
		close(s.done)
	})
	return s.closeErr
}

// Done is closed when the sandbox has been closed.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// Endpoint is the base URL of EC2, ECR and STS (AWS_ENDPOINT_URL).
func (s *Sandbox) Endpoint() string { return s.apiURL }

// IMDSEndpoint is the base URL of the instance metadata service
// (AWS_EC2_METADATA_SERVICE_ENDPOINT).
func (s *Sandbox) IMDSEndpoint() string { return s.imdsURL }

// RegistryAddr is the host:port of the Docker registry (ECR_REGISTRY),
// plain HTTP on loopback.
func (s *Sandbox) RegistryAddr() string { return s.regAddr }

// DNSAddr is the host:port of the DNS server, UDP and TCP (LAB_DNS_SERVER).
func (s *Sandbox) DNSAddr() string { return s.dns.addr }

// Fresh reports whether this Start created the world (rather than loading
// a saved one); world faults only shape fresh worlds.
func (s *Sandbox) Fresh() bool { return s.fresh }

// Faults are the faults in force.
func (s *Sandbox) Faults() Faults { return s.opts.Faults }

// Credentials are the only keys the sandbox accepts.
func (s *Sandbox) Credentials() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Credentials
}

// RoleCredentials are the instance role's temporary keys (with session
// token) that IMDS serves under iam/security-credentials/; the sandbox accepts
// them as well as Credentials.
func (s *Sandbox) RoleCredentials() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.RoleCredentials
}

func (s *Sandbox) acceptedKeys() []Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []Credentials{s.w.Credentials, s.w.RoleCredentials}
}

// Account is the account id of the world.
func (s *Sandbox) Account() string { return s.opts.Account }

// Region is the region of the world.
func (s *Sandbox) Region() string { return s.opts.Region }

// StateDir is the absolute state directory ("" for an in-memory world).
func (s *Sandbox) StateDir() string { return s.opts.StateDir }

// Timing is the endpoint life-cycle timing in force.
func (s *Sandbox) Timing() Timing { return s.opts.Timing }

// Calls returns every API call served so far (this process only).
func (s *Sandbox) Calls() []Call { return s.calls.Calls() }

// CallLog is the sandbox's own recorder.
func (s *Sandbox) CallLog() *CallLog { return &s.calls }

// Images is the image store shared by the ECR API and the registry.
func (s *Sandbox) Images() ImageStore { return ImageStore{s: s} }

// Workspace describes the workspace instance.
func (s *Sandbox) Workspace() Workspace {
	var ws Workspace
	s.read(func(w *world) {
		n := w.workspaceENI()
		sn := w.subnet(n.SubnetID)
		ws = Workspace{
			InstanceID: w.Instance.ID, MAC: n.MAC, ENIID: n.ID, PrivateIP: n.IP, SecurityGroupID: n.GroupIDs[0],
			SubnetID: n.SubnetID, VpcID: n.VpcID, CallerARN: w.callerARN(),
		}
		for _, rt := range w.RouteTables {
			if rt.VpcID == sn.VpcID && rt.Main {
				ws.RouteTableID = rt.ID
			}
		}
		for _, x := range w.Subnets {
			if x.VpcID == n.VpcID {
				ws.SubnetIDs = append(ws.SubnetIDs, x.ID)
			}
		}
	})
	return ws
}

// Env returns the variables that point the AWS CLI and SDKs at the sandbox,
// in the order `ecr-vpce-lab sandbox` prints them.
func (s *Sandbox) Env() []EnvVar {
	c := s.Credentials()
	return []EnvVar{
		{"AWS_ENDPOINT_URL", s.apiURL},
		{"AWS_ACCESS_KEY_ID", c.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", c.SecretAccessKey},
		{"AWS_REGION", s.opts.Region},
		{"AWS_DEFAULT_REGION", s.opts.Region},
		{"AWS_EC2_METADATA_SERVICE_ENDPOINT", s.imdsURL},
		{"ACCOUNT_ID", s.opts.Account},
		{"ECR_REPO_A", RepoA},
		{"ECR_REGISTRY", s.regAddr},
		{"LAB_DNS_SERVER", s.dns.addr},
	}
}

// read runs fn with the world locked, for reading.
func (s *Sandbox) read(fn func(*world)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.w)
}

// mutate runs fn with the world locked and saves the world when fn succeeds.
func (s *Sandbox) mutate(fn func(*world, time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fn(s.w, s.opts.Clock.Now()); err != nil {
		return err
	}
	return s.save()
}

// save writes the world (caller holds s.mu or has exclusive access).
func (s *Sandbox) save() error {
	if s.opts.StateDir == "" {
		return nil
	}
	if err := saveWorld(s.opts.StateDir, s.w); err != nil {
		s.opts.Logger.Warn("sandbox: saving the world failed", "err", err)
		return err
	}
	return nil
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// apiCall is one request to the API listener on its way through.
type apiCall struct {
	protocol  string
	service   string
	action    string
	requestID string
	accessKey string
	dryRun    bool
}

// serveAPI is the single entry of EC2, ECR and STS.
func (s *Sandbox) serveAPI(rw http.ResponseWriter, r *http.Request) {
	c := &apiCall{requestID: newRequestID(), protocol: protoEC2, service: "ec2"}
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.Error("sandbox: panic while serving", "action", c.action, "panic", v)
			s.writeError(rw, c, internalError(c.protocol))
		}
	}()

	target := r.Header.Get("X-Amz-Target")
	if target != "" {
		c.protocol, c.service = protoJSON, "ecr"
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(rw, c, apiErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body exceeds the limit of %d bytes.", s.opts.MaxBodyBytes))
			return
		}
		s.writeError(rw, c, badRequest("IncompleteBody", "The request body could not be read."))
		return
	}

	var q params
	if c.protocol != protoJSON {
		raw := r.URL.RawQuery
		if r.Method == http.MethodPost {
			ct := r.Header.Get("Content-Type")
			if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
				s.writeError(rw, c, badRequest("InvalidParameterValue", "Unsupported content type %s; this endpoint accepts AWS Query (application/x-www-form-urlencoded) or JSON 1.1 with X-Amz-Target.", ct))
				return
			}
			raw = string(body)
		} else if r.Method != http.MethodGet {
			s.writeError(rw, c, apiErr(http.StatusMethodNotAllowed, "InvalidAction", "The HTTP method %s is not supported.", r.Method))
			return
		}
		var perr *APIError
		if q, perr = parseQuery(raw); perr != nil {
			s.writeError(rw, c, perr)
			return
		}
		c.action = q.str("Action")
		// The credential scope names the service; without one, guess from the action.
		if sig, ok := parseAuthorization(r.Header.Get("Authorization")); ok && sig.Service == "sts" {
			c.protocol, c.service = protoSTS, "sts"
		} else if !ok && c.action == "GetCallerIdentity" {
			c.protocol, c.service = protoSTS, "sts"
		}
	} else {
		c.action, _ = strings.CutPrefix(target, ecrTargetPrefix)
	}

	// Authenticate.
	sig, failure := verifySigV4(r, body, s.acceptedKeys(), time.Now())
	c.accessKey = sig.AccessKeyID
	if failure != authOK {
		s.writeError(rw, c, authError(c.protocol, failure))
		s.record(c, authError(c.protocol, failure).Code)
		return
	}
	if sig.Service != c.service {
		e := authError(c.protocol, authBadSignature)
		e.Message = fmt.Sprintf("Credential should be scoped to correct service: '%s'.", c.service)
		s.writeError(rw, c, e)
		s.record(c, e.Code)
		return
	}
	if sig.Region != s.opts.Region && !(c.service == "sts" && sig.Region == "us-east-1") {
		e := authError(c.protocol, authBadSignature)
		e.Message = fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", sig.Region)
		s.writeError(rw, c, e)
		s.record(c, e.Code)
		return
	}

	if c.action == "" {
		var e *APIError
		switch c.protocol {
		case protoJSON:
			e = badRequest("UnknownOperationException", "")
		case protoSTS:
			e = badRequest("MissingAction", "Missing Action")
		default:
			e = badRequest("MissingAction", "The request must contain the parameter Action")
		}
		s.writeError(rw, c, e)
		s.record(c, e.Code)
		return
	}
	if c.protocol == protoEC2 {
		c.dryRun = q.str("DryRun") == "true"
	}

	if e := s.faults.apiFault(r.Context(), c.service); e != nil {
		s.writeError(rw, c, e)
		s.record(c, e.Code)
		return
	}
	for _, ic := range s.opts.Interceptors {
		if e := ic(r.Context(), Request{Service: c.service, Action: c.action, AccessKeyID: c.accessKey, Time: s.opts.Clock.Now()}); e != nil {
			s.writeError(rw, c, e)
			s.record(c, e.Code)
			return
		}
	}

	if c.protocol == protoJSON {
		if e := s.enforceECRAPI(c.action, body); e != nil {
			s.writeError(rw, c, e)
			s.record(c, e.Code)
			return
		}
	}

	var out []byte
	var apiE *APIError
	switch c.protocol {
	case protoJSON:
		out, apiE = s.handleECR(c, body)
	case protoSTS:
		out, apiE = s.handleSTS(c, q)
	default:
		out, apiE = s.handleEC2(c, q)
	}
	if apiE != nil {
		s.writeError(rw, c, apiE)
		s.record(c, apiE.Code)
		return
	}
	s.writeOK(rw, c, out)
	s.record(c, "")
}

func (s *Sandbox) record(c *apiCall, code string) {
	call := Call{
		Time: s.opts.Clock.Now(), Service: c.service, Action: c.action, AccessKeyID: c.accessKey,
		DryRun: c.dryRun, ErrorCode: code,
	}
	if c.protocol == "registry" {
		call.Via = "registry"
	}
	s.calls.Record(call)
	if s.opts.Recorder != nil {
		s.opts.Recorder.Record(call)
	}
	s.opts.Logger.Debug("sandbox: call", "service", c.service, "action", c.action, "error", code)
}

func authError(protocol string, f authFailure) *APIError {
	switch protocol {
	case protoJSON:
		switch f {
		case authMissing:
			return apiErr(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		case authMalformed:
			return apiErr(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, a matching 'X-Amz-Date' header and a signed 'host' header.")
		case authUnknownKey:
			return apiErr(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		case authExpired:
			return apiErr(http.StatusBadRequest, "InvalidSignatureException", "Signature expired: the request time is more than 15 minutes away from the server time.")
		default:
			return apiErr(http.StatusBadRequest, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
		}
	case protoSTS:
		switch f {
		case authMissing:
			return apiErr(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		case authMalformed:
			return apiErr(http.StatusBadRequest, "IncompleteSignature", "Request must contain a signature that conforms to AWS standards")
		case authUnknownKey:
			return apiErr(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		case authExpired:
			return apiErr(http.StatusForbidden, "SignatureDoesNotMatch", "Signature expired: the request time is more than 15 minutes away from the server time.")
		default:
			return apiErr(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
		}
	}
	switch f {
	case authMissing:
		return apiErr(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case authMalformed:
		return apiErr(http.StatusBadRequest, "IncompleteSignature", "Request must contain a signature that conforms to AWS standards")
	case authExpired:
		return apiErr(http.StatusBadRequest, "RequestExpired", "Request has expired.")
	case authBadSignature:
		return apiErr(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	return apiErr(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
}

func (s *Sandbox) writeOK(rw http.ResponseWriter, c *apiCall, body []byte) {
	h := rw.Header()
	switch c.protocol {
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-Requestid", c.requestID)
	case protoSTS:
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Requestid", c.requestID)
	default:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		h.Set("X-Amzn-Requestid", c.requestID)
	}
	h.Set("Server", "AmazonEC2")
	if c.protocol != protoEC2 {
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
	h := rw.Header()
	switch c.protocol {
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-Requestid", c.requestID)
		h.Set("X-Amzn-Errortype", e.Code+":")
		body = jsonString(map[string]string{"__type": e.Code, "message": e.Message})
	case protoSTS:
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Requestid", c.requestID)
		body = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` + "\n" +
			"  <Error>\n    <Type>" + xmlEscape(e.senderType()) + "</Type>\n    <Code>" + xmlEscape(e.Code) + "</Code>\n    <Message>" +
			xmlEscape(e.Message) + "</Message>\n  </Error>\n  <RequestId>" + c.requestID + "</RequestId>\n</ErrorResponse>\n"
	default:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		body = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Errors><Error><Code>` + xmlEscape(e.Code) +
			`</Code><Message>` + xmlEscape(e.Message) + `</Message></Error></Errors><RequestID>` + c.requestID + `</RequestID></Response>`
	}
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, body)
}

// connTracker knows the connections that have not sent a request yet.
type connTracker struct {
	mu    sync.Mutex
	fresh map[net.Conn]struct{}
}

func (t *connTracker) hook(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st == http.StateNew {
		if t.fresh == nil {
			t.fresh = map[net.Conn]struct{}{}
		}
		t.fresh[c] = struct{}{}
		return
	}
	delete(t.fresh, c)
}

func (t *connTracker) closeFresh() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.fresh {
		_ = c.Close()
	}
	t.fresh = nil
}
