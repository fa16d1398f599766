// Package dnsserve starts a DNS server (miekg/dns) on a socket its caller
// has bound and returns only once it answers, so that nobody is handed the
// address of a server that is not serving yet. The sandbox's resolver and
// the lab engine's test resolver both start this way.
package dnsserve

import (
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// Start serves srv (its PacketConn or Listener already set) in the
// background. It returns nil once the server is serving, or an error when it
// stops first or is not serving within the given time; then srv is not
// serving, and the caller still owns its socket.
func Start(srv *dns.Server, within time.Duration) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	stopped := make(chan error, 1)
	go func() { stopped <- srv.ActivateAndServe() }()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case <-started:
		return nil
	case err := <-stopped:
		if err == nil {
			err = errors.New("it stopped at once")
		}
		return fmt.Errorf("the DNS server did not start: %w", err)
	case <-timer.C:
		return fmt.Errorf("the DNS server did not start within %v", within)
	}
}
