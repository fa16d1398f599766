package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The parsers of outside input: AWS Query bodies (EC2, STS), ECR JSON, SigV4
// Authorization headers, IMDS paths. Whatever comes in, the answer is an
// AWS-shaped response: never a panic, never an internal error, always
// well-formed XML or JSON.

func labQueries() []string {
	pol := url.QueryEscape(labPolicy(DefaultAccount, DefaultRegion))
	return []string{
		"Action=DescribeRouteTables&Version=2016-11-15",
		"Action=DescribeRouteTables&Version=2016-11-15&Filter.1.Name=association.subnet-id&Filter.1.Value.1=subnet-0123456789abcdef0",
		"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=ecr-*&MaxResults=5",
		"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=ECR_VPCE_SG&GroupDescription=Security+group&VpcId=vpc-0123456789abcdef0",
		"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-0123456789abcdef0&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443&IpPermissions.1.Groups.1.GroupId=sg-0123456789abcdef1",
		"Action=CreateVpcEndpoint&Version=2016-11-15&VpcId=vpc-0123456789abcdef0&VpcEndpointType=Interface&ServiceName=com.amazonaws.us-west-2.ecr.dkr&PolicyDocument=" + pol + "&SubnetId.1=subnet-0123456789abcdef0&SecurityGroupId.1=sg-0123456789abcdef0&ClientToken=abc",
		"Action=CreateVpcEndpoint&Version=2016-11-15&VpcId=vpc-0123456789abcdef0&VpcEndpointType=Gateway&ServiceName=com.amazonaws.us-west-2.s3&RouteTableId.1=rtb-0123456789abcdef0&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
		"Action=DeleteVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=vpce-0123456789abcdef0&DryRun=true",
		"Action=ModifyVpcEndpoint&Version=2016-11-15&VpcEndpointId=vpce-0123456789abcdef0&ResetPolicy=true",
		"Action=CreateTags&Version=2016-11-15&ResourceId.1=vpc-0123456789abcdef0&Tag.1.Key=a&Tag.1.Value=b",
		"Action=DescribeTags&Version=2016-11-15&Filter.1.Name=key&Filter.1.Value.1=*&NextToken=x",
		"Action=RevokeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-0&SecurityGroupRuleId.1=sgr-0",
		"Action=ModifyVpcAttribute&Version=2016-11-15&VpcId=vpc-0&EnableDnsSupport.Value=maybe",
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=DescribeVpcs&Version=2016-11-15&Filter.99999999999999999999.Name=x",
		"%zz&&==",
	}
}

func checkXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("malformed XML (%v): %s", err, b)
		}
	}
}

func FuzzEC2Query(f *testing.F) {
	for _, q := range labQueries() {
		f.Add(q)
	}
	sb := startSandbox(f, Options{})
	f.Fuzz(func(t *testing.T, body string) {
		p, perr := parseQuery(body)
		if perr != nil {
			if perr.Code == "" || perr.Status >= 500 {
				t.Fatalf("parse error %+v", perr)
			}
			return
		}
		// Exercise the helpers every handler uses.
		_, _ = p.filters("Filter")
		_ = p.structs("TagSpecification")
		_ = p.list("VpcEndpointId")
		c := &apiCall{protocol: protoEC2, service: "ec2", action: p.str("Action"), requestID: "fuzz"}
		var out []byte
		var e *APIError
		if c.action == "GetCallerIdentity" {
			c.protocol, c.service = protoSTS, "sts"
			out, e = sb.handleSTS(c, p)
		} else {
			out, e = sb.handleEC2(c, p)
		}
		if e != nil {
			if e.Code == "" || e.Status >= 500 {
				t.Fatalf("%q: internal error %+v", body, e)
			}
			return
		}
		checkXML(t, out)
	})
}

func FuzzECRJSON(f *testing.F) {
	for _, s := range [][2]string{
		{"ListImages", `{"repositoryName":"team-a/alpine"}`},
		{"ListImages", `{"repositoryName":"team-a/alpine","maxResults":1,"nextToken":"x","filter":{"tagStatus":"TAGGED"}}`},
		{"DescribeImages", `{"repositoryName":"team-a/alpine","imageIds":[{"imageTag":"v1"},{"imageDigest":"sha256:00"}]}`},
		{"BatchGetImage", `{"repositoryName":"team-a/alpine","imageIds":[{"imageTag":"v1"}],"acceptedMediaTypes":["application/vnd.oci.image.manifest.v1+json"]}`},
		{"PutImage", `{"repositoryName":"team-a/alpine","imageTag":"v2","imageManifest":"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"digest\":\"sha256:1\",\"size\":1},\"layers\":[]}"}`},
		{"CreateRepository", `{"repositoryName":"x/y","tags":[{"Key":"a","Value":"b"}],"imageTagMutability":"IMMUTABLE"}`},
		{"DeleteRepository", `{"repositoryName":"x/y","force":true}`},
		{"BatchDeleteImage", `{"repositoryName":"x/y","imageIds":[{}]}`},
		{"GetAuthorizationToken", `{"registryIds":["123456789012","1"]}`},
		{"DescribeRepositories", `{"repositoryNames":["team-a/alpine"],"maxResults":0}`},
		{"DescribeRepositories", `[1,2]`},
		{"Nope", `{`},
	} {
		f.Add(s[0], s[1])
	}
	sb := startSandbox(f, Options{})
	f.Fuzz(func(t *testing.T, action, body string) {
		c := &apiCall{protocol: protoJSON, service: "ecr", action: action, requestID: "fuzz"}
		out, e := sb.handleECR(c, []byte(body))
		if e != nil {
			if e.Code == "" || e.Status >= 500 {
				t.Fatalf("%s %q: internal error %+v", action, body, e)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
	})
}

func FuzzSigV4Header(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-west-2/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd", "20261126T120000Z", "Action=DescribeVpcs")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e", "", "")
	f.Add("Basic QVdTOng=", "x", "y")
	creds := Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, auth, date, body string) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader(body))
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		if _, res := verifySigV4(r, []byte(body), []Credentials{creds}, now); res == authOK {
			t.Fatalf("a made-up signature passed: %q", auth)
		}
	})
}

func FuzzIMDSPath(f *testing.F) {
	for _, p := range []string{"/latest/meta-data/", "/latest/meta-data/network/interfaces/macs/", "//latest//meta-data/mac", "/latest/api/token", "/../../etc/passwd", "/latest/meta-data/network/interfaces/macs/x/"} {
		f.Add(p)
	}
	sb := startSandbox(f, Options{})
	f.Fuzz(func(t *testing.T, p string) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		u := &url.URL{Path: p}
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
		r.URL = u
		w := httptest.NewRecorder()
		sb.imds.ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 404 && !(w.Code == 405 && cleanIMDSPath(p) == "/latest/api/token") {
			t.Fatalf("%q: status %d", p, w.Code)
		}
	})
}
