package awsops

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"ecr-vpce-lab/internal/partition"
	"ecr-vpce-lab/internal/problem"
)

// Address is one address a name resolved to.
type Address struct {
	IP string `json:"ip"`
	// Private is set when the address is the endpoint's (see Privacy).
	Private bool `json:"private"`
	// InVPC is set when it lies in one of the VPC's CIDR blocks, the
	// endpoint's or not.
	InVPC bool `json:"inVpc,omitempty"`
}

// Lookup is one DNS lookup of a host name.
type Lookup struct {
	Name      string    `json:"name"`
	Addresses []Address `json:"addresses"`
	// Err is why the lookup failed ("" when it answered).
	Err     string    `json:"error,omitempty"`
	Checked time.Time `json:"checked"`
}

// Private reports whether the name resolved, and only to private addresses.
func (l Lookup) Private() bool {
	if len(l.Addresses) == 0 {
		return false
	}
	for _, a := range l.Addresses {
		if !a.Private {
			return false
		}
	}
	return true
}

// AddressList is the addresses, each with whether it is private or public:
// "10.0.1.12 (private), 10.0.2.7 (private)".
func (l Lookup) AddressList() string {
	var as []string
	for _, a := range l.Addresses {
		kind := "public"
		if a.Private {
			kind = "private"
		}
		as = append(as, a.IP+" ("+kind+")")
	}
	return strings.Join(as, ", ")
}

// LabHosts returns the two host names the lab checks: the registry's and
// the ECR API's.
func (c *Cloud) LabHosts(account string) []string {
	return []string{c.RegistryHost(account), c.ECRAPIHost()}
}

// LookupHost resolves host's IPv4 addresses and classifies each as private
// (the endpoint's, see Privacy) or not. Failures are reported in the
// Lookup, not as an error, except when ctx ends.
func (c *Cloud) LookupHost(ctx context.Context, host string, pv Privacy) (Lookup, error) {
	start := time.Now()
	l := Lookup{Name: host, Addresses: []Address{}}
	ips, err := c.resolve(ctx, host)
	l.Checked = time.Now()
	code := ""
	if err != nil {
		if ctx.Err() != nil {
			return l, c.classify("look up "+host, ctx.Err())
		}
		if ge, ok := err.(*GuardError); ok {
			return l, c.classify("look up "+host, ge)
		}
		if e, ok := err.(*problem.Error); ok {
			// Not a DNS answer but a setup problem: waiting cannot help.
			return l, e
		}
		l.Err = err.Error()
		code = "LookupFailed"
	}
	sort.Strings(ips)
	for _, ip := range ips {
		l.Addresses = append(l.Addresses, Address{IP: ip, Private: pv.Private(ip), InVPC: pv.VPC.InVPC(ip)})
	}
	c.note("dns", "A "+host, start, err, code)
	return l, nil
}

func (c *Cloud) resolve(ctx context.Context, host string) ([]string, error) {
	if c.opts.DNSServer == "" {
		if c.opts.LoopbackOnly {
			return nil, problem.New(problem.Invalid, "look up "+host, "no DNS server is known for the sandbox",
				"the sandbox in use serves no DNS yet: update it, or pass its LAB_DNS_SERVER")
		}
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, a := range addrs {
			if v4 := a.IP.To4(); v4 != nil {
				out = append(out, v4.String())
			}
		}
		return out, nil
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), dns.TypeA)
	m.RecursionDesired = true
	cl := &dns.Client{Net: "udp", Timeout: 3 * time.Second, Dialer: newDialer(c.opts.LoopbackOnly)}
	r, _, err := cl.ExchangeContext(ctx, m, c.opts.DNSServer)
	if err == nil && r.Truncated {
		cl.Net = "tcp"
		r, _, err = cl.ExchangeContext(ctx, m, c.opts.DNSServer)
	}
	if err != nil {
		var ge *GuardError
		if asGuard(err, &ge) {
			return nil, ge
		}
		return nil, fmt.Errorf("no answer from %s: %w", c.opts.DNSServer, err)
	}
	switch r.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, fmt.Errorf("no such host (NXDOMAIN)")
	default:
		return nil, fmt.Errorf("DNS answered %s", dns.RcodeToString[r.Rcode])
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no addresses")
	}
	return out, nil
}

// WatchDNS looks the lab's host names up until each resolves only to its
// endpoint's addresses (privacy gives, per name, what counts as private)
// or timeout passes, polling at the steady cadence; onPoll hears every
// round. It returns the last round; the error is a problem.Timeout with
// the reasons to check when the deadline passes.
func (c *Cloud) WatchDNS(ctx context.Context, hosts []string, privacy func(host string) Privacy, timeout time.Duration, onPoll func([]Lookup, time.Duration)) ([]Lookup, error) {
	deadline := time.Now().Add(timeout)
	p := c.pacer()
	for {
		var round []Lookup
		done := true
		for _, h := range hosts {
			l, err := c.LookupHost(ctx, h, privacy(h))
			if err != nil {
				return round, err
			}
			round = append(round, l)
			if !l.Private() {
				done = false
			}
		}
		next := p.every
		if done || time.Now().Add(next).After(deadline) {
			next = 0
		}
		if onPoll != nil {
			onPoll(round, next)
		}
		if done {
			return round, nil
		}
		if next == 0 {
			msg := fmt.Sprintf("the ECR host names still resolve to public addresses after %s", timeout.Round(time.Second))
			fix := "check that the VPC has enableDnsSupport and enableDnsHostnames on, that its DHCP options use AmazonProvidedDNS, " +
				"and that no other private hosted zone covers " + partition.Named(c.Partition()).DNSSuffix + "; then run 'up' again"
			for _, l := range round {
				for _, a := range l.Addresses {
					if a.InVPC && !a.Private {
						msg = fmt.Sprintf("%s resolves to %s, an address of the VPC but not the endpoint's, after %s", l.Name, a.IP, timeout.Round(time.Second))
						fix = "another endpoint or a private hosted zone answers for " + l.Name + ": remove it (or adopt that endpoint with --adopt), then run 'up' again"
					}
				}
			}
			return round, &problem.Error{Kind: problem.Timeout, Op: "wait for private DNS", Code: "DNSNotPrivate", Message: msg, Fix: fix}
		}
		if err := p.wait(ctx); err != nil {
			return round, c.classify("wait for private DNS", err)
		}
	}
}
