package dnsserve

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Start serves the server: it answers right after Start returns, on UDP
// and on TCP.
func TestStartServesUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	askRightAfterStart(t, &dns.Server{PacketConn: pc}, "udp", pc.LocalAddr().String())
}

func TestStartServesTCP(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	askRightAfterStart(t, &dns.Server{Listener: ln}, "tcp", ln.Addr().String())
}

func askRightAfterStart(t *testing.T, srv *dns.Server, network, addr string) {
	t.Helper()
	srv.Handler = dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, 0, 7)})
		_ = w.WriteMsg(m)
	})
	if err := Start(srv, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.ShutdownContext(ctx)
	})
	q := new(dns.Msg)
	q.SetQuestion("x.example.", dns.TypeA)
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("query right after Start: %v %v", r, err)
	}
}

// A server that cannot serve makes Start fail with the reason, promptly
// (not after the whole wait).
func TestStartReportsAServerThatCannotServe(t *testing.T) {
	begin := time.Now()
	err := Start(&dns.Server{Handler: dns.NewServeMux()}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "did not start") || !strings.Contains(err.Error(), "bad listeners") {
		t.Fatalf("a server without a socket: %v", err)
	}
	if time.Since(begin) > 30*time.Second {
		t.Fatalf("waited %v for a server that had already failed", time.Since(begin))
	}
}
