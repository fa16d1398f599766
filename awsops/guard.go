package awsops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// GuardError is a connection the loopback-only dial guard refused.
type GuardError struct {
	Network, Address string
}

func (e *GuardError) Error() string {
	return fmt.Sprintf("refusing to connect to %s (%s): sandbox mode only connects to 127.0.0.1", e.Address, e.Network)
}

// loopbackControl refuses, before connecting, any address that is not a
// loopback address. It runs after name resolution, so host names that
// resolve elsewhere are refused too.
func loopbackControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return &GuardError{Network: network, Address: address}
	}
	return nil
}

// newDialer returns the dialer every connection of a Cloud goes through.
func newDialer(loopbackOnly bool) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if loopbackOnly {
		d.Control = loopbackControl
	}
	return d
}

// GuardedDialContext is the dial function of sandbox mode, exported for
// tests and for other clients (skopeo-like tools) that must stay on 127.0.0.1.
func GuardedDialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return newDialer(true).DialContext(ctx, network, address)
}

// newTransport returns an HTTP transport using the dialer. Proxies are not
// used in loopback-only mode: a proxy would be a non-loopback hop.
func newTransport(loopbackOnly bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = newDialer(loopbackOnly).DialContext
	t.MaxIdleConnsPerHost = 16
	if loopbackOnly {
		t.Proxy = nil
	}
	return t
}

// asGuard finds a GuardError in err's chain.
func asGuard(err error, target **GuardError) bool { return errors.As(err, target) }

// ProxyFor returns the proxy that the environment (HTTPS_PROXY, NO_PROXY
// and their lower-case forms, read afresh) sends HTTPS requests for host
// through, "" when none: requests through a proxy leave from it, not
// through the VPC's endpoints, so no endpoint policy applies to them.
func ProxyFor(host string) string {
	u, err := httpproxy.FromEnvironment().ProxyFunc()(&url.URL{Scheme: "https", Host: host})
	if err != nil || u == nil {
		return ""
	}
	return u.Redacted()
}
