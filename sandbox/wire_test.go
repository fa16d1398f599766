package sandbox

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMalformedRequests: bad input gets an AWS-shaped error in the right
// protocol, never a panic, a hang or a dropped connection.
func TestMalformedRequests(t *testing.T) {
	sb := startSandbox(t, Options{MaxBodyBytes: 4096, Interceptors: []Interceptor{func(_ context.Context, r Request) *APIError {
		if r.Action == "DescribeTags" {
			panic("boom")
		}
		return nil
	}}})
	post := func(hdr map[string]string, body string, sign string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, sb.Endpoint()+"/", strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if sign != "" {
			signAt(t, sb, sign, req, []byte(body), time.Now())
		}
		client := &http.Client{Timeout: 5 * time.Second}
		resp, err := client.Do(req)
		must(t, "post", err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	ecrH := map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": ecrTargetPrefix + "ListImages"}

	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		body   string
		sign   string
		status int
		want   string
	}{
		{"EC2 unsigned", form, "Action=DescribeVpcs&Version=2016-11-15", "", 401, "<Code>AuthFailure</Code>"},
		{"ECR unsigned", ecrH, `{"repositoryName":"team-a/alpine"}`, "", 400, `"__type":"MissingAuthenticationTokenException"`},
		{"STS unsigned", form, "Action=GetCallerIdentity&Version=2011-06-15", "", 403, "<Code>MissingAuthenticationToken</Code>"},
		{"oversized", form, "Action=DescribeVpcs&Version=2016-11-15&X=" + strings.Repeat("a", 5000), "ec2", 413, "<Code>RequestEntityTooLarge</Code>"},
		{"ECR bad JSON", ecrH, `{"repositoryName":`, "ecr", 400, `"__type":"SerializationException"`},
		{"ECR JSON array", ecrH, `[]`, "ecr", 400, `"__type":"SerializationException"`},
		{"EC2 no action", form, "Version=2016-11-15", "ec2", 400, "<Code>MissingAction</Code>"},
		{"EC2 no version", form, "Action=DescribeVpcs", "ec2", 400, "<Code>MissingParameter</Code>"},
		{"EC2 bad boolean", form, "Action=DescribeVpcs&Version=2016-11-15&DryRun=yes", "ec2", 400, "<Code>InvalidParameterValue</Code>"},
		{"EC2 bad query", form, "Action=DescribeVpcs&Version=2016-11-15&%zz", "ec2", 400, "<Code>MalformedQueryString</Code>"},
		{"JSON without target", map[string]string{"Content-Type": "application/json"}, "{}", "ec2", 400, "<Code>InvalidParameterValue</Code>"},
		{"STS unmodelled action", form, "Action=GetSessionToken&Version=2011-06-15", "sts", 400, "<Code>UnsupportedOperation</Code>"},
		{"STS unknown action", form, "Action=AssumeRoles&Version=2011-06-15", "sts", 400, "<Code>InvalidAction</Code>"},
		{"panic in a handler", form, "Action=DescribeTags&Version=2016-11-15", "ec2", 500, "<Code>InternalError</Code>"},
	} {
		status, body, _ := post(tc.hdr, tc.body, tc.sign)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %s", tc.name, status, body, tc.status, tc.want)
		}
	}

	// A body changed after signing fails the signature check.
	req, _ := http.NewRequest(http.MethodPost, sb.Endpoint()+"/", strings.NewReader("Action=DescribeVpcs&Version=2016-11-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	signAt(t, sb, "ec2", req, []byte("Action=DescribeSubnets&Version=2016-11-15"), time.Now())
	if status, b := send(t, req); status != 401 || !strings.Contains(b, "AuthFailure") {
		t.Errorf("tampered body: %d %s", status, b)
	}

	// A stale signature (16 minutes old) is refused as expired.
	req, _ = http.NewRequest(http.MethodPost, sb.Endpoint()+"/", strings.NewReader("Action=DescribeVpcs&Version=2016-11-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	signAt(t, sb, "ec2", req, []byte("Action=DescribeVpcs&Version=2016-11-15"), time.Now().Add(-16*time.Minute))
	if status, b := send(t, req); status != 400 || !strings.Contains(b, "RequestExpired") {
		t.Errorf("stale signature: %d %s", status, b)
	}

	// A signed GET with the parameters in the query string works (EC2
	// accepts both), which exercises the canonical query string.
	req, _ = http.NewRequest(http.MethodGet, sb.Endpoint()+"/?Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=ecr%2A", nil)
	if status, b := signAndSend(t, sb, "ec2", req, nil); status != 200 || !strings.Contains(b, "<vpcId>vpc-") {
		t.Errorf("signed GET: %d %s", status, b)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true}, {"abc", "abd", false}, {"*", "", true}, {"*", "anything", true},
		{"a*c", "abbbc", true}, {"a*c", "abbb", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"com.amazonaws.*.ecr.*", "com.amazonaws.us-west-2.ecr.dkr", true}, {"*dkr", "com.amazonaws.us-west-2.ecr.api", false},
		{"**a", "bba", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"?", "é", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestQueryParams(t *testing.T) {
	p, e := parseQuery("Filter.2.Name=b&Filter.2.Value.1=y&Filter.1.Name=a&Filter.1.Value.2=x2&Filter.1.Value.1=x1&SubnetId.10=s10&SubnetId.2=s2")
	if e != nil {
		t.Fatal(e)
	}
	fs, e := p.filters("Filter")
	if e != nil || len(fs) != 2 || fs[0].Name != "a" || strings.Join(fs[0].Values, ",") != "x1,x2" || fs[1].Name != "b" {
		t.Errorf("filters = %+v %v", fs, e)
	}
	if got := strings.Join(p.list("SubnetId"), ","); got != "s2,s10" {
		t.Errorf("list = %s", got)
	}
	if e := p.allow("Filter"); e == nil || e.Code != "UnknownParameter" {
		t.Errorf("allow: %v", e)
	}
	if _, e := parseQuery("A=1&A=2"); e == nil {
		t.Error("a repeated parameter was accepted")
	}
}
