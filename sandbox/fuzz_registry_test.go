package sandbox

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzRegistryRequest: any method, path and body sent to the registry (with
// a valid login, through the lab's endpoint policy) gets an answer, never a
// panic or a 5xx.
func FuzzRegistryRequest(f *testing.F) {
	for _, s := range []string{
		"GET /v2/", "GET /v2/team-a/alpine/manifests/v1", "HEAD /v2/team-a/alpine/manifests/v1", "PUT /v2/team-a/alpine/manifests/v2",
		"PUT /v2/team-b/x/manifests/sha256:00", "DELETE /v2/team-a/alpine/manifests/sha256:abc", "HEAD /v2/team-a/alpine/blobs/sha256:abc",
		"GET /v2/team-a/alpine/blobs/notadigest", "POST /v2/team-a/alpine/blobs/uploads/", "PATCH /v2/team-a/alpine/blobs/uploads/123",
		"PUT /v2/team-a/alpine/blobs/uploads/123?digest=sha256:00", "GET /v2/team-a/alpine/tags/list?n=-1&last=v", "GET /v2/_catalog",
		"GET /v2//manifests/", "GET /v2/a/../b/manifests/x", "POST /v2/team-a/alpine/blobs/uploads/?digest=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	} {
		f.Add(s, `{"schemaVersion":2}`)
	}
	sb := startSandbox(f, Options{})
	c := newClients(sb, nil)
	pw, err := registryLogin(f, c)
	must(f, "login", err)
	createEndpoint(f, c, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	h := newRegistryServer(sb, false)
	f.Fuzz(func(t *testing.T, line, body string) {
		method, target, ok := strings.Cut(line, " ")
		if !ok || method == "" || strings.ContainsAny(method, " \t\r\n") || !strings.HasPrefix(target, "/") {
			return
		}
		req, err := http.NewRequest(method, "http://"+sb.RegistryAddr()+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth("AWS", pw)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
	})
}

// dnsWriter captures a DNS reply.
type dnsWriter struct{ msg *dns.Msg }

func (w *dnsWriter) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (w *dnsWriter) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
}
func (w *dnsWriter) WriteMsg(m *dns.Msg) error   { w.msg = m; return nil }
func (w *dnsWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *dnsWriter) Close() error                { return nil }
func (w *dnsWriter) TsigStatus() error           { return nil }
func (w *dnsWriter) TsigTimersOnly(bool)         {}
func (w *dnsWriter) Hijack()                     {}

// FuzzDNSQuery: any DNS message the server can unpack gets exactly one reply
// with its id.
func FuzzDNSQuery(f *testing.F) {
	for _, name := range []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com.", "api.ecr.us-west-2.amazonaws.com.", "x.", "."} {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		b, _ := m.Pack()
		f.Add(b)
	}
	sb := startSandbox(f, Options{})
	d := &dnsServer{s: sb}
	f.Fuzz(func(t *testing.T, b []byte) {
		q := new(dns.Msg)
		if q.Unpack(b) != nil {
			return
		}
		w := &dnsWriter{}
		d.ServeDNS(w, q)
		if w.msg == nil || w.msg.Id != q.Id || !w.msg.Response {
			t.Fatalf("no proper reply to %v: %v", q, w.msg)
		}
		if _, err := w.msg.Pack(); err != nil {
			t.Fatalf("reply does not pack: %v", err)
		}
	})
}
