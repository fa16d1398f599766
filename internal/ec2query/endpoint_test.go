package ec2query_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	ec2 "ecr-vpce-lab/internal/ec2query"
)

// fakeEC2 answers every request itself (nothing leaves the machine) and
// remembers what it was sent.
type fakeEC2 struct {
	mu     sync.Mutex
	reqs   []*http.Request
	answer func(n int, r *http.Request) *http.Response
}

func (f *fakeEC2) Do(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	n := len(f.reqs)
	f.mu.Unlock()
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	if f.answer != nil {
		return f.answer(n, r), nil
	}
	return xmlAnswer(200, `<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><vpcSet/></DescribeVpcsResponse>`, time.Now()), nil
}

func (f *fakeEC2) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func xmlAnswer(status int, body string, date time.Time) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("Date", date.UTC().Format(http.TimeFormat))
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// scope is the "REGION/SERVICE" of a request's SigV4 credential scope.
func scope(r *http.Request) string {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	parts := strings.Split(strings.Split(cred, ",")[0], "/")
	if len(parts) < 4 {
		return ""
	}
	return parts[2] + "/" + parts[3]
}

// TestEndpointResolution: where a call goes, and the region it is signed
// for, as AWS documents EC2's endpoints: ec2.REGION.amazonaws.com,
// .amazonaws.com.cn in China, dual-stack ec2.REGION.api.aws (EC2 developer
// guide, "Amazon EC2 service endpoints"); FIPS ec2-fips.REGION…, except in
// GovCloud, whose regular EC2 endpoints are its FIPS endpoints (GovCloud
// user guide, service endpoints).
func TestEndpointResolution(t *testing.T) {
	fips, dual := aws.FIPSEndpointStateEnabled, aws.DualStackEndpointStateEnabled
	for _, tc := range []struct {
		region string
		base   string
		fips   aws.FIPSEndpointState
		dual   aws.DualStackEndpointState
		want   string // URL, and the signing scope
		scope  string
		err    string
	}{
		{region: "us-west-2", want: "https://ec2.us-west-2.amazonaws.com/", scope: "us-west-2/ec2"},
		{region: "eu-west-1", want: "https://ec2.eu-west-1.amazonaws.com/", scope: "eu-west-1/ec2"},
		{region: "eu-west-1", dual: dual, want: "https://ec2.eu-west-1.api.aws/", scope: "eu-west-1/ec2"},
		{region: "us-east-1", fips: fips, want: "https://ec2-fips.us-east-1.amazonaws.com/", scope: "us-east-1/ec2"},
		{region: "us-east-1", fips: fips, dual: dual, want: "https://ec2-fips.us-east-1.api.aws/", scope: "us-east-1/ec2"},
		{region: "fips-us-east-2", want: "https://ec2-fips.us-east-2.amazonaws.com/", scope: "us-east-2/ec2"},
		{region: "us-east-2-fips", want: "https://ec2-fips.us-east-2.amazonaws.com/", scope: "us-east-2/ec2"},
		{region: "cn-north-1", want: "https://ec2.cn-north-1.amazonaws.com.cn/", scope: "cn-north-1/ec2"},
		{region: "cn-northwest-1", want: "https://ec2.cn-northwest-1.amazonaws.com.cn/", scope: "cn-northwest-1/ec2"},
		{region: "cn-north-1", dual: dual, want: "https://ec2.cn-north-1.api.amazonwebservices.com.cn/", scope: "cn-north-1/ec2"},
		{region: "us-gov-west-1", want: "https://ec2.us-gov-west-1.amazonaws.com/", scope: "us-gov-west-1/ec2"},
		{region: "us-gov-west-1", fips: fips, want: "https://ec2.us-gov-west-1.amazonaws.com/", scope: "us-gov-west-1/ec2"},
		{region: "us-gov-east-1", fips: fips, dual: dual, want: "https://ec2-fips.us-gov-east-1.api.aws/", scope: "us-gov-east-1/ec2"},
		{region: "us-west-2", base: "http://127.0.0.1:4566", want: "http://127.0.0.1:4566/", scope: "us-west-2/ec2"},
		{region: "us-west-2", base: "http://127.0.0.1:4566/prefix", want: "http://127.0.0.1:4566/prefix", scope: "us-west-2/ec2"},
		{region: "us-west-2", base: "http://127.0.0.1:4566", fips: fips, err: "FIPS and custom endpoint are not supported"},
		{region: "us-west-2", base: "http://127.0.0.1:4566", dual: dual, err: "Dualstack and custom endpoint are not supported"},
		{region: "", err: "Missing Region"},
		{region: "us west 2", err: "invalid input region"},
	} {
		name := tc.region
		if tc.base != "" {
			name += "+" + tc.base
		}
		if tc.fips == fips {
			name += "+fips"
		}
		if tc.dual == dual {
			name += "+dualstack"
		}
		t.Run(name, func(t *testing.T) {
			f := &fakeEC2{}
			o := ec2.Options{Region: tc.region, HTTPClient: f, RetryMaxAttempts: 1,
				Credentials:     credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
				EndpointOptions: ec2.EndpointResolverOptions{UseFIPSEndpoint: tc.fips, UseDualStackEndpoint: tc.dual}}
			if tc.base != "" {
				o.BaseEndpoint = aws.String(tc.base)
			}
			_, err := ec2.New(o).DescribeVpcs(context.Background(), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				if n := len(f.requests()); n != 0 {
					t.Errorf("%d requests sent despite the error", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := f.requests()[0]
			if got := r.URL.String(); got != tc.want {
				t.Errorf("went to %s, want %s", got, tc.want)
			}
			if got := scope(r); got != tc.scope {
				t.Errorf("signed for %s, want %s", got, tc.scope)
			}
		})
	}
}

// TestEndpointFromConfiguration: NewFromConfig takes EC2's own endpoint
// (AWS_ENDPOINT_URL_EC2, or ec2's endpoint_url in the profile's services
// section) over the global one, and FIPS and dual-stack from the
// environment or the profile, as the SDK's clients do.
func TestEndpointFromConfiguration(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte(`[profile lab]
region = eu-central-1
services = lab-services

[profile dualstack]
region = eu-central-1
use_dualstack_endpoint = true

[services lab-services]
ec2 =
  endpoint_url = http://127.0.0.1:5001
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")

	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"the profile's services section", map[string]string{"AWS_PROFILE": "lab"}, "http://127.0.0.1:5001/"},
		{"AWS_ENDPOINT_URL_EC2 over the profile", map[string]string{"AWS_PROFILE": "lab", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:5002"}, "http://127.0.0.1:5002/"},
		{"AWS_ENDPOINT_URL_EC2 over AWS_ENDPOINT_URL", map[string]string{"AWS_REGION": "us-west-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:5003", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:5004"}, "http://127.0.0.1:5004/"},
		{"AWS_ENDPOINT_URL alone", map[string]string{"AWS_PROFILE": "lab", "AWS_ENDPOINT_URL": "http://127.0.0.1:5003"}, "http://127.0.0.1:5003/"},
		{"configured endpoints ignored", map[string]string{"AWS_PROFILE": "lab", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "https://ec2.eu-central-1.amazonaws.com/"},
		{"dual-stack from the profile", map[string]string{"AWS_PROFILE": "dualstack"}, "https://ec2.eu-central-1.api.aws/"},
		{"FIPS from the environment", map[string]string{"AWS_REGION": "us-east-2", "AWS_USE_FIPS_ENDPOINT": "true"}, "https://ec2-fips.us-east-2.amazonaws.com/"},
		{"neither", map[string]string{"AWS_REGION": "ap-southeast-2"}, "https://ec2.ap-southeast-2.amazonaws.com/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f := &fakeEC2{}
			cfg.HTTPClient = f
			if _, err := ec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if got := f.requests()[0].URL.String(); got != tc.want {
				t.Errorf("went to %s, want %s", got, tc.want)
			}
			for k := range tc.env {
				os.Unsetenv(k)
			}
		})
	}
}

// TestClockSkewCorrected: when EC2 refuses a request as signed at the
// wrong time and its Date shows its clock an hour ahead, the retry is
// signed by EC2's clock, and so are later calls, as with the SDK's clients.
func TestClockSkewCorrected(t *testing.T) {
	ahead := time.Hour
	f := &fakeEC2{answer: func(n int, r *http.Request) *http.Response {
		if n == 1 {
			return xmlAnswer(400, `<Response><Errors><Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error></Errors><RequestID>r-1</RequestID></Response>`, time.Now().Add(ahead))
		}
		return xmlAnswer(200, `<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>`, time.Now().Add(ahead))
	}}
	c := ec2.New(ec2.Options{Region: "us-west-2", HTTPClient: f, BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	for range 2 {
		if _, err := c.DescribeVpcs(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (refused, retried, the next call)", len(reqs))
	}
	for i, r := range reqs {
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Fatal(err)
		}
		off := time.Until(at)
		want := ahead
		if i == 0 {
			want = 0
		}
		if off < want-time.Minute || off > want+time.Minute {
			t.Errorf("request %d signed %s from now, want about %s", i+1, off.Round(time.Second), want)
		}
	}
}
