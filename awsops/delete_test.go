package awsops_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// ec2Canned serves one canned EC2 answer on 127.0.0.1 for every request.
func ec2Canned(t *testing.T, body string) *awsops.Cloud {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		_, _ = io.WriteString(w, body)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	c, err := awsops.New(awsops.Options{Config: awsops.StaticConfig("us-west-2", "AKIAEXAMPLE", "secret"),
		BaseEndpoint: "http://" + ln.Addr().String(), LoopbackOnly: true, IMDSDisabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDeleteEndpointsReportsEveryFailure: DeleteVpcEndpoints answers for
// each endpoint it could not delete in Unsuccessful; every one is
// reported, in the order asked (not the first of a map), NotFound apart.
func TestDeleteEndpointsReportsEveryFailure(t *testing.T) {
	cloud := ec2Canned(t, `<?xml version="1.0" encoding="UTF-8"?>
<DeleteVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <unsuccessful>
    <item><error><code>InvalidVpcEndpoint.NotFound</code><message>The Vpc Endpoint Id 'vpce-00000000000000003' does not exist</message></error><resourceId>vpce-00000000000000003</resourceId></item>
    <item><error><code>UnauthorizedOperation</code><message>You are not authorized to perform this operation.</message></error><resourceId>vpce-00000000000000002</resourceId></item>
    <item><error><code>IncorrectState</code><message>The endpoint is being modified.</message></error><resourceId>vpce-00000000000000001</resourceId></item>
  </unsuccessful>
</DeleteVpcEndpointsResponse>`)
	ids := []string{"vpce-00000000000000001", "vpce-00000000000000002", "vpce-00000000000000003", "vpce-00000000000000004"}
	d, _, err := cloud.DeleteEndpoints(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Failed) != 2 || d.Failed[0].ID != ids[0] || d.Failed[1].ID != ids[1] {
		t.Fatalf("failed %+v; want %s then %s", d.Failed, ids[0], ids[1])
	}
	if problem.KindOf(d.Failed[1].Err) != problem.Permission || problem.CodeOf(d.Failed[0].Err) != "IncorrectState" {
		t.Errorf("failures %v / %v", d.Failed[0].Err, d.Failed[1].Err)
	}
	if len(d.Missing) != 1 || d.Missing[0] != ids[2] {
		t.Errorf("missing %v; want %s", d.Missing, ids[2])
	}
	msg := d.Err().Error()
	for _, want := range []string{ids[0], ids[1], "IncorrectState", "UnauthorizedOperation", "2 endpoints"} {
		if !strings.Contains(msg, want) {
			t.Errorf("joined error %q lacks %q", msg, want)
		}
	}
}
