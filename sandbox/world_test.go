package sandbox

import (
	"net/netip"
	"testing"
	"time"
)

// TestSubnetAddresses: addresses stay inside the subnet, skip AWS's reserved
// ones, are reused once released, and run out as a /24 does (251).
func TestSubnetAddresses(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	w := newWorld(DefaultAccount, DefaultRegion, now, nil)
	s := w.Subnets[1]
	pfx := netip.MustParsePrefix(s.CIDR)
	seen := map[string]bool{}
	for i := 0; ; i++ {
		ip, ok := w.allocIP(s, now)
		if !ok {
			if i != 251 {
				t.Fatalf("subnet full after %d addresses, want 251", i)
			}
			break
		}
		a := netip.MustParseAddr(ip)
		last := a.As4()[3]
		if !pfx.Contains(a) || last < 4 || last == 255 || seen[ip] {
			t.Fatalf("address %d: %s (seen %v)", i, ip, seen[ip])
		}
		seen[ip] = true
		w.ENIs = append(w.ENIs, &eni{ID: ip, SubnetID: s.ID, IP: ip})
	}
	if got := w.freeIPs(s, now); got != 0 {
		t.Errorf("freeIPs of a full subnet = %d", got)
	}
	w.ENIs[len(w.ENIs)-7].ReleaseAt = now // released
	ip, ok := w.allocIP(s, now)
	if !ok || ip != w.ENIs[len(w.ENIs)-7].IP {
		t.Errorf("released address not reused: %s %v", ip, ok)
	}
}

func TestAZID(t *testing.T) {
	for az, want := range map[string]string{
		"us-west-2a": "usw2-az1", "us-east-1b": "use1-az2", "eu-central-1a": "euc1-az1",
		"ap-southeast-2c": "apse2-az3", "ap-northeast-1a": "apne1-az1", "us-gov-west-1a": "usgw1-az1",
	} {
		if got := azID(az[:len(az)-1], az); got != want {
			t.Errorf("azID(%s) = %s, want %s", az, got, want)
		}
	}
}
