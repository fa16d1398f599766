package awsops

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go/middleware"
)

// The metadata service's timeouts are the SDK's own: 250 ms to connect and
// 500 ms for the answer's headers, so a machine without one, or a container
// whose token PUT never comes back, is found out quickly. The SDK applies
// them only to a client it builds itself, so the lab's own transport sets
// them too. [research G.3: feature/ec2/imds api_client.go:277-300]
const (
	imdsDialTimeout   = 250 * time.Millisecond
	imdsHeaderTimeout = 500 * time.Millisecond
	defaultIMDS       = "http://169.254.169.254"
	// loopbackDialTimeout is the connect timeout on 127.0.0.1 (sandbox
	// mode): there a connection is made or refused at once, never lost on
	// the way, so the short timeout that finds a missing service quickly
	// has nothing to find, and could only fire on a CPU too busy to run
	// the dialling goroutine in time.
	loopbackDialTimeout = 5 * time.Second
)

// IMDSTimeouts bound each request to the metadata service: Dial to
// connect, Header for the answer's headers. A zero field is the SDK's
// (250 ms, 500 ms; Dial is 5 s on 127.0.0.1).
//
// The real service answers from the host, whatever the instance's own
// load, so the SDK's short timeouts only ever fire where there is no
// service, or a token PUT that can never come back. A sandbox's service
// is a goroutine that shares the CPU with the lab, and test fixtures on a
// loaded machine give it longer (at the price of waiting that long for a
// hop limit the sandbox imitates). The lab's sandbox mode keeps the SDK's
// header timeout: its container world imitates the hop limit, and a
// facilitator rehearsing it should wait what a learner in a container
// waits; its connection never needed the short timeout (loopback).
type IMDSTimeouts struct {
	Dial, Header time.Duration
}

// withDefaults fills the zero fields in.
func (t IMDSTimeouts) withDefaults(loopback bool) IMDSTimeouts {
	if t.Dial <= 0 {
		t.Dial = imdsDialTimeout
		if loopback {
			t.Dial = loopbackDialTimeout
		}
	}
	if t.Header <= 0 {
		t.Header = imdsHeaderTimeout
	}
	return t
}

// IMDSState is what one probe of the metadata service found.
type IMDSState string

// Probe outcomes.
const (
	// IMDSAbsent: nothing answered (no route, refused, nothing in time).
	IMDSAbsent IMDSState = "absent"
	// IMDSDisabled: AWS_EC2_METADATA_DISABLED=true, or the caller said so.
	IMDSDisabled IMDSState = "disabled"
	// IMDSv2: the token PUT was answered.
	IMDSv2 IMDSState = "v2"
	// IMDSv1Only: the token PUT was refused (403, 404, 405), so the SDK
	// uses IMDSv1. [research G.3, token_provider.go:160-205]
	IMDSv1Only IMDSState = "v1"
	// IMDSTokenTimeout: the token PUT got no answer but a token-less GET
	// did: a container behind a hop limit of 1 on an instance that still
	// allows IMDSv1. [research G.2]
	IMDSTokenTimeout IMDSState = "token-timeout"
	// IMDSTokenTimeoutV2Only: the token PUT got no answer and token-less
	// GETs are refused (401): a container behind a hop limit of 1 on an
	// instance that requires tokens. Nothing can be read from here.
	IMDSTokenTimeoutV2Only IMDSState = "token-timeout-v2-required"
)

// IMDSProbe is the outcome of probing the metadata service once.
type IMDSProbe struct {
	State    IMDSState `json:"state"`
	Endpoint string    `json:"endpoint,omitempty"`
	// What the probe read, when it could.
	InstanceID     string   `json:"instanceId,omitempty"`
	Region         string   `json:"region,omitempty"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	// Detail is the failure, in a few words, when nothing answered.
	Detail  string        `json:"detail,omitempty"`
	Elapsed time.Duration `json:"elapsedNs"`
}

// Answered reports whether a metadata service is there at all.
func (p IMDSProbe) Answered() bool {
	switch p.State {
	case IMDSv2, IMDSv1Only, IMDSTokenTimeout, IMDSTokenTimeoutV2Only:
		return true
	}
	return false
}

// Readable reports whether metadata can be read from here.
func (p IMDSProbe) Readable() bool { return p.Answered() && p.State != IMDSTokenTimeoutV2Only }

// HopLimited reports whether the token PUT's answer never arrived.
func (p IMDSProbe) HopLimited() bool {
	return p.State == IMDSTokenTimeout || p.State == IMDSTokenTimeoutV2Only
}

// HopLimitFix is the command that lets a container reach the metadata
// service with tokens. [research G.2: ModifyInstanceMetadataOptions]
func (p IMDSProbe) HopLimitFix(region string) string {
	id := p.InstanceID
	if id == "" {
		id = "<the instance's ID>"
	}
	cmd := "aws ec2 modify-instance-metadata-options --instance-id " + id + " --http-put-response-hop-limit 2 --http-endpoint enabled"
	if region != "" {
		cmd += " --region " + region
	}
	return cmd
}

// MetadataOptions say how this process reaches the metadata service.
type MetadataOptions struct {
	// Endpoint is the service's base URL; "" means
	// AWS_EC2_METADATA_SERVICE_ENDPOINT, else 169.254.169.254.
	Endpoint string
	// Disabled: there is none to use (AWS_EC2_METADATA_DISABLED=true is
	// honoured too when Endpoint is empty).
	Disabled bool
	// LoopbackOnly refuses any address but 127.0.0.1 (sandbox mode).
	LoopbackOnly bool
	// Absent: the place has no metadata service at all (a sandbox world
	// without one), as opposed to one turned off.
	Absent bool
	// Timeouts of each request; zero fields are the SDK's.
	Timeouts IMDSTimeouts
}

// Metadata is the instance metadata service as this process reaches it:
// probed once (a token PUT with the SDK's short timeouts, and a token-less
// GET when the PUT goes unanswered), and the SDK clients built to match
// what the probe found.
type Metadata struct {
	endpoint string
	disabled bool
	absent   bool
	timeouts IMDSTimeouts
	hc       *http.Client

	once  sync.Once
	done  chan struct{}
	probe IMDSProbe
}

// NewMetadata returns the metadata service of opts. Nothing is sent until
// Probe or a client's first call.
func NewMetadata(o MetadataOptions) *Metadata {
	m := &Metadata{endpoint: strings.TrimRight(o.Endpoint, "/"), disabled: o.Disabled || o.Absent, absent: o.Absent, done: make(chan struct{})}
	if m.endpoint == "" && !o.LoopbackOnly {
		m.endpoint = strings.TrimRight(os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"), "/")
		if m.endpoint == "" {
			m.endpoint = defaultIMDS
			// The SDK's switch guards the default address only.
			m.disabled = m.disabled || strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true")
		}
	}
	if m.endpoint == "" {
		m.disabled = true
	}
	m.timeouts = o.Timeouts.withDefaults(o.LoopbackOnly)
	d := newDialer(o.LoopbackOnly)
	d.Timeout = m.timeouts.Dial
	t := &http.Transport{DialContext: d.DialContext, ResponseHeaderTimeout: m.timeouts.Header, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	// Never through a proxy: the service is on the link, and a proxy
	// would answer for it.
	m.hc = &http.Client{Transport: &tokenGate{base: t, m: m}}
	return m
}

// Endpoint is the service's base URL ("" when there is none to use).
func (m *Metadata) Endpoint() string {
	if m.disabled {
		return ""
	}
	return m.endpoint
}

// Probe asks the metadata service once, the first time it is called, and
// returns what it found; later calls (and concurrent ones) get the same
// answer. With the SDK's timeouts it takes at most about a second, and
// 250 ms where no service is reachable.
func (m *Metadata) Probe(ctx context.Context) IMDSProbe {
	m.once.Do(func() {
		defer close(m.done)
		start := time.Now()
		m.probe = m.doProbe(ctx)
		m.probe.Elapsed = time.Since(start)
	})
	<-m.done
	return m.probe
}

// probed returns the probe's result if it has finished.
func (m *Metadata) probed() (IMDSProbe, bool) {
	select {
	case <-m.done:
		return m.probe, true
	default:
		return IMDSProbe{}, false
	}
}

func (m *Metadata) doProbe(ctx context.Context) IMDSProbe {
	switch {
	case m.absent:
		return IMDSProbe{State: IMDSAbsent, Detail: "there is none here"}
	case m.disabled:
		return IMDSProbe{State: IMDSDisabled}
	}
	p := IMDSProbe{Endpoint: m.endpoint}
	// Four requests at most, each within its timeouts (3 s with the SDK's).
	ctx, cancel := context.WithTimeout(ctx, 4*(m.timeouts.Dial+m.timeouts.Header))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, m.endpoint+"/latest/api/token", nil)
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "300")
	base := m.hc.Transport.(*tokenGate).base
	resp, err := base.RoundTrip(req)
	token := ""
	switch {
	case err != nil && headerTimeout(err):
		// Connected, but the answer never came: the hop limit.
		code, _ := m.get(ctx, "instance-id", "")
		switch code {
		case http.StatusOK:
			p.State = IMDSTokenTimeout
		case http.StatusUnauthorized:
			p.State = IMDSTokenTimeoutV2Only
			return p
		default:
			p.State, p.Detail = IMDSAbsent, "the token request and a plain request both went unanswered within "+m.timeouts.Header.String()
			return p
		}
	case err != nil:
		p.State, p.Detail = IMDSAbsent, m.shortNetErr(err)
		return p
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			p.State, token = IMDSv2, strings.TrimSpace(string(b))
		case http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
			p.State = IMDSv1Only
		default:
			p.State, p.Detail = IMDSAbsent, "the token request was answered "+resp.Status
			return p
		}
	}
	if _, v := m.get(ctx, "instance-id", token); v != "" {
		p.InstanceID = v
	}
	if _, v := m.get(ctx, "placement/region", token); v != "" {
		p.Region = v
	}
	if _, v := m.get(ctx, "security-groups", token); v != "" {
		p.SecurityGroups = strings.Fields(v)
	}
	return p
}

// get reads one metadata path, with a token when there is one.
func (m *Metadata) get(ctx context.Context, path, token string) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint+"/latest/meta-data/"+path, nil)
	if token != "" {
		req.Header.Set("X-aws-ec2-metadata-token", token)
	}
	resp, err := m.hc.Transport.(*tokenGate).base.RoundTrip(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// Client returns an SDK client of the metadata service: the SDK's token
// flow with its IMDSv1 fallback, the SDK's timeouts and retries (three
// attempts, not the lab's ten), and no second wait for a token PUT the
// probe saw go unanswered.
func (m *Metadata) Client(apiOptions ...func(*middleware.Stack) error) *imds.Client {
	state := imds.ClientEnabled
	if m.disabled {
		state = imds.ClientDisabled
	}
	return imds.New(imds.Options{
		Endpoint:          m.endpoint,
		HTTPClient:        m.hc,
		ClientEnableState: state,
		Retryer:           retry.NewStandard(),
		APIOptions:        apiOptions,
	})
}

// tokenGate is the metadata client's transport. Once the probe has seen
// the token PUT go unanswered, it answers later token PUTs itself with
// 405, which the SDK takes as "no tokens here, use IMDSv1" (its documented
// fallback), instead of letting each client wait out the timeout again
// with retries: that wait was the 4 seconds after which a container was
// told it is not on EC2. [research G.3]
type tokenGate struct {
	base http.RoundTripper
	m    *Metadata
}

func (g *tokenGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/latest/api/token") {
		if p, ok := g.m.probed(); ok && p.HopLimited() {
			return &http.Response{
				Status: "405 Method Not Allowed", StatusCode: http.StatusMethodNotAllowed, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(bytes.NewReader(nil)), Request: req,
			}, nil
		}
	}
	return g.base.RoundTrip(req)
}

// headerTimeout reports whether err is the transport giving up on an
// answer's headers (the connection was made).
func headerTimeout(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || strings.Contains(err.Error(), "timeout awaiting response headers")
}

// shortNetErr says in a few words why a request failed, naming the
// timeout that fired.
func (m *Metadata) shortNetErr(err error) string {
	var ge *GuardError
	switch {
	case errors.As(err, &ge):
		return ge.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to it"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return "no connection within " + m.timeouts.Dial.String()
		}
		return "no answer within " + m.timeouts.Header.String()
	}
	return cause(err)
}
