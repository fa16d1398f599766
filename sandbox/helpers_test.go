package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	ec2 "ecr-vpce-lab/internal/ec2query"
)

// exchange is one raw request/response pair seen on the wire.
type exchange struct {
	Service  string            `json:"service"` // ec2, ecr, sts
	Action   string            `json:"action"`
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"`
	Body     string            `json:"body"`
	WantCode string            `json:"wantCode,omitempty"`
}

// wire records every exchange that passes through it.
type wire struct {
	mu   sync.Mutex
	ex   []exchange
	base http.RoundTripper
}

func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	service, action := "ec2", ""
	auth := req.Header.Get("Authorization")
	if t := req.Header.Get("X-Amz-Target"); strings.HasPrefix(t, orgsTargetPrefix) {
		service, action = "organizations", strings.TrimPrefix(t, orgsTargetPrefix)
	} else if t != "" {
		service, action = "ecr", strings.TrimPrefix(t, ecrTargetPrefix)
	} else if isSchedulerPath(req.URL.Path) {
		service = "scheduler"
		action, _ = schedulerRoute(req.Method, req.URL.EscapedPath(), req.URL.Query())
	} else {
		q, _ := url.ParseQuery(string(reqBody))
		action = q.Get("Action")
		for _, svc := range []string{"sts", "iam"} {
			if strings.Contains(auth, "/"+svc+"/aws4_request") {
				service = svc
			}
		}
	}
	w.mu.Lock()
	if w.base == nil {
		w.base = ownTransport()
	}
	base := w.base
	w.mu.Unlock()
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	h := map[string]string{}
	for k := range resp.Header {
		h[strings.ToLower(k)] = resp.Header.Get(k)
	}
	w.mu.Lock()
	w.ex = append(w.ex, exchange{Service: service, Action: action, Status: resp.StatusCode, Headers: h, Body: string(body)})
	w.mu.Unlock()
	return resp, nil
}

func (w *wire) exchanges() []exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]exchange(nil), w.ex...)
}

// startSandbox starts an in-memory sandbox (unless opts says otherwise) and
// closes it at the end of the test.
func startSandbox(t testing.TB, opts Options) *Sandbox {
	t.Helper()
	sb, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

// clients are SDK clients pointed at a sandbox, never at AWS.
type clients struct {
	ec2 *ec2.Client
	ecr *ecr.Client
	sts *sts.Client
}

// ownTransport is a connection pool of the caller's own. With the shared
// default pool, a test could be handed an idle connection to an earlier
// test's sandbox, closed since, whose port a new sandbox reuses: the
// request then fails with "use of closed network connection".
func ownTransport() *http.Transport { return http.DefaultTransport.(*http.Transport).Clone() }

// sdkConfig points the SDK at one sandbox. It retries nothing but a
// connection the client itself lost (see connectionRetryer: Go's transport
// can close a connection under a response it is still reading,
// aws/aws-sdk-go-v2#2737): every answer of the sandbox, errors included, is
// the test's to judge.
func sdkConfig(sb *Sandbox, creds Credentials, w *wire) aws.Config {
	var hc aws.HTTPClient = &http.Client{Transport: ownTransport(), Timeout: 10 * time.Second}
	if w != nil {
		hc = &http.Client{Transport: w, Timeout: 10 * time.Second}
	}
	return aws.Config{
		Region:       sb.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		BaseEndpoint: aws.String(sb.Endpoint()),
		HTTPClient:   hc,
		Retryer:      connectionRetryer,
	}
}

func newClients(sb *Sandbox, w *wire) clients {
	cfg := sdkConfig(sb, sb.Credentials(), w)
	return clients{ec2: ec2.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
}

// wantCode fails unless err is an AWS API error with the given code.
func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: want API error %s, got %v", what, code, err)
		return
	}
	if ae.ErrorCode() != code {
		t.Errorf("%s: want error code %s, got %s (%s)", what, code, ae.ErrorCode(), ae.ErrorMessage())
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// rawQuery sends a signed AWS Query request built by hand (for requests the
// SDK refuses to send, like one missing a required parameter).
func rawQuery(t testing.TB, sb *Sandbox, service string, form url.Values) (int, string) {
	t.Helper()
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, sb.Endpoint()+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return signAndSend(t, sb, service, req, []byte(body))
}

// rawJSON sends a signed ECR JSON request built by hand.
func rawJSON(t testing.TB, sb *Sandbox, target, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sb.Endpoint()+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", ecrTargetPrefix+target)
	return signAndSend(t, sb, "ecr", req, []byte(body))
}

func signAndSend(t testing.TB, sb *Sandbox, service string, req *http.Request, body []byte) (int, string) {
	t.Helper()
	signAt(t, sb, service, req, body, time.Now())
	return send(t, req)
}

// signAt signs req with the workspace's keys (the SDK's signer, not the
// sandbox's own) as at the given time, over body: the payload it claims,
// which a tampered request does not send.
func signAt(t testing.TB, sb *Sandbox, service string, req *http.Request, body []byte, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	c := sb.Credentials()
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey},
		req, hex.EncodeToString(sum[:]), service, sb.Region(), at)
	must(t, "sign", err)
}

// send sends req and returns the answer's status and body.
func send(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	must(t, "send", err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
