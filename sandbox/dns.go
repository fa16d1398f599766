package sandbox

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"ecr-vpce-lab/internal/dnsserve"
	"ecr-vpce-lab/internal/partition"
)

// The DNS server: the workspace VPC's resolver as the lab's `host` commands
// see it, on UDP and TCP at the same loopback port (LAB_DNS_SERVER).
//
// It knows the ECR host names of the world's region,
// ACCOUNT.dkr.ecr.REGION.amazonaws.com and api.ecr.REGION.amazonaws.com, the
// public names ecr.REGION.amazonaws.com and s3.REGION.amazonaws.com (with
// its bucket hosts), and the DNS names of the world's interface endpoints. The ECR names answer
// public-looking addresses until the workspace's requests travel through a
// matching endpoint (see routedEndpoint: private DNS on, available, the
// switch-over delay passed), then the private addresses of the endpoint's
// network interfaces. An endpoint's own names answer its interfaces'
// addresses once it is available. Other names are NXDOMAIN. The answers
// are for display and classification only: nothing connects to them.

const dnsTTL = 60

type dnsServer struct {
	s        *Sandbox
	addr     string
	udp, tcp *dns.Server
}

// startDNS listens on UDP and TCP on one free loopback port.
func startDNS(ctx context.Context, s *Sandbox) (*dnsServer, error) {
	var lc net.ListenConfig
	var lastErr error
	for range 20 {
		pc, err := lc.ListenPacket(ctx, "udp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ln, err := lc.Listen(ctx, "tcp4", pc.LocalAddr().String())
		if err != nil {
			lastErr = err
			_ = pc.Close()
			continue
		}
		d := &dnsServer{s: s, addr: pc.LocalAddr().String()}
		d.udp = &dns.Server{PacketConn: pc, Handler: d}
		d.tcp = &dns.Server{Listener: ln, Handler: d, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
		for _, srv := range []*dns.Server{d.udp, d.tcp} {
			if err := dnsserve.Start(srv, 5*time.Second); err != nil {
				d.shutdown()
				_, _ = pc.Close(), ln.Close()
				return nil, err
			}
		}
		return d, nil
	}
	return nil, fmt.Errorf("no free port for DNS on both UDP and TCP: %v", lastErr)
}

func (d *dnsServer) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var first error
	for _, srv := range []*dns.Server{d.udp, d.tcp} {
		if err := srv.ShutdownContext(ctx); err != nil && first == nil && !strings.Contains(err.Error(), "not started") {
			first = err
		}
	}
	return first
}

func (d *dnsServer) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	switch {
	case q.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
	case len(q.Question) != 1:
		m.Rcode = dns.RcodeFormatError
	default:
		qq := q.Question[0]
		addrs, known := d.s.resolveName(qq.Name)
		switch {
		case !known:
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, d.soa())
		case qq.Qclass != dns.ClassINET && qq.Qclass != dns.ClassANY:
			m.Rcode = dns.RcodeRefused
		case qq.Qtype == dns.TypeA || qq.Qtype == dns.TypeANY:
			for _, a := range addrs {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: dnsTTL},
					A:   net.ParseIP(a).To4(),
				})
			}
		default:
			m.Ns = append(m.Ns, d.soa()) // NODATA: the name exists, not this type
		}
	}
	_ = w.WriteMsg(m)
}

func (d *dnsServer) soa() dns.RR {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: partition.Of(d.s.opts.Region).DNSSuffix + ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: dnsTTL},
		Ns:  "ns1." + partition.Of(d.s.opts.Region).DNSSuffix + ".", Mbox: "awsdns-hostmaster.amazon.com.",
		Serial: 1, Refresh: 7200, Retry: 900, Expire: 1209600, Minttl: 86400,
	}
}

// resolveName answers a name as the workspace's resolver would: its IPv4
// addresses, and whether the name exists at all.
func (s *Sandbox) resolveName(name string) ([]string, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	var addrs []string
	known := false
	s.read(func(w *world) {
		now := s.opts.Clock.Now()
		if short, ok := ecrHostService(name, w.Region); ok {
			known = true
			if e := s.routedEndpoint(w, now, short); e != nil {
				addrs = endpointIPs(w, e, now, "")
			}
			if len(addrs) == 0 {
				addrs = publicAddrs(name)
			}
			return
		}
		switch {
		case name == w.host("ecr"):
			// The API's older name: public, and no endpoint's private DNS
			// covers it (PrivateLink needs api.ecr).
			addrs, known = publicAddrs(name), true
			return
		case isS3Host(name, w.Region):
			// S3 and its bucket hosts (where ECR's layers are) stay public:
			// a gateway endpoint changes the route to them, not their DNS.
			addrs, known = s3Addrs(name, w.Region), true
			return
		}
		x := &ec2Ctx{request: &request{s: s, w: w, now: now}}
		for _, e := range w.Endpoints {
			if e.Type != "Interface" || !e.visible(now) || e.state(now) != stateAvailable {
				continue
			}
			svc, ok := x.service(e.ServiceName)
			if !ok {
				continue
			}
			base := e.ID + "-" + e.DNSLabel
			if name == base+"."+svc.BaseDNS {
				addrs, known = endpointIPs(w, e, now, ""), true
				return
			}
			for _, sid := range e.SubnetIDs {
				if sn := w.subnet(sid); sn != nil && name == base+"-"+sn.AZ+"."+svc.BaseDNS {
					addrs, known = endpointIPs(w, e, now, sn.AZ), true
					return
				}
			}
		}
	})
	return addrs, known
}

// ecrHostService tells which ECR endpoint service a host name belongs to:
// ACCOUNT.dkr.ecr.REGION.amazonaws.com (ecr.dkr, any 12-digit account) or
// api.ecr.REGION.amazonaws.com (ecr.api).
func ecrHostService(name, region string) (string, bool) {
	if name == hostOf("api.ecr", region) {
		return serviceAPI, true
	}
	if acct, ok := strings.CutSuffix(name, "."+hostOf("dkr.ecr", region)); ok && len(acct) == 12 && strings.Trim(acct, "0123456789") == "" {
		return serviceDKR, true
	}
	return "", false
}

// s3Addrs are stable addresses for an S3 name inside the region's S3
// ranges, the ones its prefix list (DescribePrefixLists) names.
func s3Addrs(name, region string) []string {
	sum := sha256.Sum256([]byte("s3/" + name))
	var out []string
	for i, cidr := range s3Ranges(region) {
		p := netip.MustParsePrefix(cidr)
		size := uint32(1) << (32 - p.Bits())
		host := 1 + (uint32(sum[2*i])<<8|uint32(sum[2*i+1]))%(size-2)
		a := p.Addr().As4()
		v := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) + host
		out = append(out, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String())
	}
	return out
}

// publicAddrs are stable, public-looking addresses for a name (in a range
// AWS announces); nothing ever connects to them.
func publicAddrs(name string) []string {
	sum := sha256.Sum256([]byte("public/" + name))
	return []string{
		fmt.Sprintf("52.94.%d.%d", 128+sum[0]%64, 1+sum[1]%250),
		fmt.Sprintf("52.119.%d.%d", 160+sum[2]%32, 1+sum[3]%250),
	}
}
