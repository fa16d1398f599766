package sandbox

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/miekg/dns"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/testtool"
)

var vpcCIDR = netip.MustParsePrefix("10.0.0.0/16")

// query asks the sandbox's DNS server over net (udp or tcp).
func query(t testing.TB, sb *Sandbox, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	cl := &dns.Client{Net: network, Timeout: 3 * time.Second}
	r, _, err := cl.Exchange(m, sb.DNSAddr())
	must(t, "DNS "+network+" "+name, err)
	return r
}

func aRecords(r *dns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	slices.Sort(out)
	return out
}

// goResolver is Go's own resolver pointed at the sandbox's DNS server.
func goResolver(sb *Sandbox) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, sb.DNSAddr())
	}}
}

// classify says "private" when every address is inside the VPC, "public"
// when none is, "" otherwise (or with no address).
func classify(addrs []string) string {
	priv, pub := 0, 0
	for _, a := range addrs {
		if vpcCIDR.Contains(netip.MustParseAddr(a)) {
			priv++
		} else {
			pub++
		}
	}
	switch {
	case priv > 0 && pub == 0:
		return "private"
	case pub > 0 && priv == 0:
		return "public"
	}
	return ""
}

// registryHost is the name the lab gives the registry of the sandbox's
// account, spelled out here rather than asked of the sandbox, so that a
// wrong name there shows.
func registryHost(sb *Sandbox) string {
	return sb.Account() + ".dkr.ecr." + sb.Region() + ".amazonaws.com"
}

// lookBoth resolves name with miekg over UDP and TCP and with Go's
// resolver, and checks that all three agree.
func lookBoth(t *testing.T, sb *Sandbox, name string) []string {
	t.Helper()
	udp := aRecords(query(t, sb, "udp", name, dns.TypeA))
	tcp := aRecords(query(t, sb, "tcp", name, dns.TypeA))
	ips, err := goResolver(sb).LookupHost(context.Background(), name)
	must(t, "Go resolver "+name, err)
	slices.Sort(ips)
	if !slices.Equal(udp, tcp) || !slices.Equal(udp, ips) {
		t.Fatalf("%s: udp %v tcp %v go %v", name, udp, tcp, ips)
	}
	return udp
}

// TestDNSSwitchOver: the ECR host names answer public-looking addresses
// until the matching endpoint is available and its switch-over delay has
// passed, then the endpoint's private addresses; the endpoint's own names
// answer once it is available; other names do not exist.
func TestDNSSwitchOver(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sb := startSandbox(t, Options{Clock: clock, Timing: Timing{EndpointAvailable: 20 * time.Second, DNSSwitch: 30 * time.Second, EndpointDelete: 10 * time.Second, ENIRelease: time.Minute}})
	c := newClients(sb, nil)
	ctx := context.Background()
	dkrHost := registryHost(sb)
	apiHost := "api.ecr." + sb.Region() + ".amazonaws.com"

	pubDKR := lookBoth(t, sb, dkrHost)
	pubAPI := lookBoth(t, sb, apiHost)
	if classify(pubDKR) != "public" || classify(pubAPI) != "public" || slices.Equal(pubDKR, pubAPI) {
		t.Fatalf("before the endpoints: %v %v", pubDKR, pubAPI)
	}
	for _, name := range []string{"nothing.example", "123.dkr.ecr." + sb.Region() + ".amazonaws.com", "api.ecr.eu-west-1.amazonaws.com"} {
		if r := query(t, sb, "udp", name, dns.TypeA); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Errorf("%s: rcode %s", name, dns.RcodeToString[r.Rcode])
		}
	}
	if r := query(t, sb, "udp", dkrHost, dns.TypeAAAA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Errorf("AAAA: %v", r)
	}

	dkr := createEndpoint(t, c, sb, serviceDKR, "")
	if got := lookBoth(t, sb, dkrHost); !slices.Equal(got, pubDKR) {
		t.Fatalf("pending endpoint changed DNS: %v", got)
	}
	clock.Advance(20 * time.Second) // available; private DNS not yet
	if got := lookBoth(t, sb, dkrHost); !slices.Equal(got, pubDKR) {
		t.Fatalf("DNS switched before its delay: %v", got)
	}
	out, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{dkr}})
	must(t, "DescribeVpcEndpoints", err)
	ep := out.VpcEndpoints[0]
	nis, err := c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
	must(t, "DescribeNetworkInterfaces", err)
	eniIP := aws.ToString(nis.NetworkInterfaces[0].PrivateIpAddress)
	// The endpoint's own names (regional, per AZ) answer already.
	for _, e := range ep.DnsEntries {
		name := aws.ToString(e.DnsName)
		if strings.HasPrefix(name, "*.") {
			continue
		}
		if got := lookBoth(t, sb, name); !slices.Equal(got, []string{eniIP}) {
			t.Errorf("endpoint name %s: %v, want %s", name, got, eniIP)
		}
	}
	clock.Advance(30 * time.Second)
	if got := lookBoth(t, sb, dkrHost); !slices.Equal(got, []string{eniIP}) || classify(got) != "private" {
		t.Fatalf("after the switch: %v, want [%s]", got, eniIP)
	}
	if got := lookBoth(t, sb, apiHost); !slices.Equal(got, pubAPI) {
		t.Fatalf("the api host switched with the dkr endpoint: %v", got)
	}
	// A policy change keeps the endpoint's interfaces, and so its DNS.
	_, err = c.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(dkr), PolicyDocument: aws.String(labPolicy(sb.Account(), sb.Region()))})
	must(t, "ModifyVpcEndpoint", err)
	clock.Advance(time.Hour)
	if got := lookBoth(t, sb, dkrHost); !slices.Equal(got, []string{eniIP}) {
		t.Fatalf("after ModifyVpcEndpoint: %v, want [%s]", got, eniIP)
	}
	createEndpoint(t, c, sb, serviceAPI, "")
	clock.Advance(50 * time.Second)
	if got := lookBoth(t, sb, apiHost); classify(got) != "private" {
		t.Fatalf("api host after its endpoint: %v", got)
	}
	// Deleting the endpoint sends the name back to the public addresses.
	_, err = c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{dkr}})
	must(t, "DeleteVpcEndpoints", err)
	if got := lookBoth(t, sb, dkrHost); !slices.Equal(got, pubDKR) {
		t.Fatalf("after deleting the endpoint: %v", got)
	}
}

// TestDigSeesTheSwitchOver runs dig (Debian bind9-dnsutils) and the lab's
// own `host` command against the sandbox's DNS server.
func TestDigSeesTheSwitchOver(t *testing.T) {
	dig := testtool.Require(t, "dig", "apt-get install bind9-dnsutils")
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	host, port, _ := net.SplitHostPort(sb.DNSAddr())
	dkrHost := registryHost(sb)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(dig, append([]string{"@" + host, "-p", port, "+short", "+tries=1", "+time=3"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	before := strings.Fields(run(dkrHost))
	beforeTCP := strings.Fields(run("+tcp", dkrHost))
	if classify(before) != "public" || !slices.Equal(before, beforeTCP) {
		t.Fatalf("dig before: %v / tcp %v", before, beforeTCP)
	}
	createEndpoint(t, c, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	after := strings.Fields(run(dkrHost))
	if classify(after) != "private" {
		t.Fatalf("dig after: %v", after)
	}
	if out, err := exec.Command(dig, "@"+host, "-p", port, "+tries=1", "+time=3", "nothing.example").CombinedOutput(); err != nil || !strings.Contains(string(out), "status: NXDOMAIN") {
		t.Errorf("dig NXDOMAIN: %v\n%s", err, out)
	}
	// The lab's step 8, as written, with the sandbox's server and port.
	if hostCmd, err := exec.LookPath("host"); err == nil {
		out, err := exec.Command(hostCmd, "-p", port, dkrHost, host).CombinedOutput()
		if err != nil || !strings.Contains(string(out), dkrHost+" has address "+after[0]) {
			t.Errorf("host: %v\n%s", err, out)
		}
	}
}
