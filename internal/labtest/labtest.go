// Package labtest holds test fixtures for the lab engine's tests: a Docker
// registry (go-containerregistry's) behind ECR-style basic auth with a hook
// that refuses requests as an endpoint policy would, and a small DNS server.
// Everything listens on 127.0.0.1 only and stops at the end of the test.
package labtest

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/miekg/dns"

	"ecr-vpce-lab/internal/dnsserve"
)

// Refuser decides whether a registry request is refused (403 DENIED, as an
// endpoint policy or an expired token is); it returns the refusal's message
// ("" lets the request through).
type Refuser func(r *http.Request) string

// Registry is a running test registry.
type Registry struct {
	Addr string
	mu   sync.Mutex
	deny Refuser
	// Requests counts requests by method and path kind.
	requests []string
}

// SetRefuser changes the refusal hook.
func (r *Registry) SetRefuser(f Refuser) {
	r.mu.Lock()
	r.deny = f
	r.mu.Unlock()
}

// Requests returns "METHOD path" of every request so far.
func (r *Registry) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// StartRegistry serves a registry on 127.0.0.1. check validates the basic
// auth password of user AWS (nil accepts any).
func StartRegistry(t testing.TB, check func(password string) bool) *Registry {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("registry listen: %v", err)
	}
	reg := &Registry{Addr: ln.Addr().String()}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.mu.Lock()
		reg.requests = append(reg.requests, r.Method+" "+r.URL.Path)
		deny := reg.deny
		reg.mu.Unlock()
		// As ECR answers: no credentials, a 401 challenge in plain text;
		// credentials it did not issue, 400 DENIED.
		user, pw, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("Www-Authenticate", `Basic realm="https://`+reg.Addr+`/",service="ecr.amazonaws.com"`)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "Not Authorized\n")
			return
		}
		if user != "AWS" || (check != nil && !check(pw)) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"code":"DENIED","message":"Your Authorization Token is invalid."}]}`)
			return
		}
		if deny != nil {
			if msg := deny(r); msg != "" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, `{"errors":[{"code":"DENIED","message":`+quote(msg)+`}]}`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return reg
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// Seed pushes a small random image as repo:tag, authenticating as AWS with
// password.
func (r *Registry) Seed(t testing.TB, repo, tag, password string) string {
	t.Helper()
	ref, err := name.NewTag(r.Addr + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: "AWS", Password: password})); err != nil {
		t.Fatalf("seed %s: %v", ref, err)
	}
	d, _ := img.Digest()
	return d.String()
}

// IsManifestPut reports whether r writes a manifest (ecr:PutImage).
func IsManifestPut(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
}

// DNS is a running test DNS server.
type DNS struct {
	Addr string
	mu   sync.Mutex
	zone map[string][]string
}

// Set makes name (without the trailing dot) answer addrs; none means
// NXDOMAIN.
func (d *DNS) Set(name string, addrs ...string) {
	d.mu.Lock()
	d.zone[strings.ToLower(dns.Fqdn(name))] = addrs
	d.mu.Unlock()
}

// StartDNS serves A records on UDP 127.0.0.1.
func StartDNS(t testing.TB) *DNS {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dns listen: %v", err)
	}
	d := &DNS{Addr: pc.LocalAddr().String(), zone: map[string][]string{}}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 {
			qn := strings.ToLower(q.Question[0].Name)
			d.mu.Lock()
			addrs, ok := d.zone[qn]
			d.mu.Unlock()
			if !ok || len(addrs) == 0 {
				m.Rcode = dns.RcodeNameError
			} else if q.Question[0].Qtype == dns.TypeA {
				for _, a := range addrs {
					m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(a)})
				}
			}
		}
		_ = w.WriteMsg(m)
	})}
	if err := dnsserve.Start(srv, 5*time.Second); err != nil {
		_ = pc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.ShutdownContext(ctx)
	})
	return d
}
