package sandbox

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// hub is everything one sandbox process serves: one or more accounts (an
// organization whose management account is the world the lab runs in),
// each in one or more regions, one world per account and region. Every
// world is served by a Sandbox of its own (members); the home world's
// listeners take every request and hand it to the world it is for (the
// account of the keys that signed it, the region of its signature). IAM and
// Organizations are global: an account's roles live in the world of its
// first region.
type hub struct {
	home *Sandbox
	// accounts lists the account ids, the management account first;
	// regions the enabled regions, the home region first.
	accounts []string
	regions  []string
	members  map[memberKey]*Sandbox
	// keys maps every long-term access key of every world to its
	// account; sessions are looked up in the session book.
	keys     map[string]string
	sessions sessionBook

	// fireMu lets one round of schedule invocations run at a time.
	fireMu sync.Mutex
	// wake tells the schedule loop that a world changed (wakeScheduler).
	wake   chan struct{}
	client *http.Client
}

type memberKey struct{ account, region string }

// Protocols of the API listener beyond EC2's Query, ECR's JSON and STS.
const (
	protoIAM  = "iam"       // IAM's Query protocol
	protoREST = "rest-json" // EventBridge Scheduler
)

// globalService reports whether a service signs for us-east-1 wherever it
// is called from.
func globalService(service string) bool {
	return service == "sts" || service == "iam" || service == "organizations"
}

// isSchedulerPath reports whether a request is EventBridge Scheduler's.
func isSchedulerPath(p string) bool {
	return p == "/schedules" || strings.HasPrefix(p, "/schedules/") || p == "/schedule-groups" ||
		strings.HasPrefix(p, "/schedule-groups/") || strings.HasPrefix(p, "/tags/")
}

// routeTo is the world a request is for: the account of the keys that
// signed it, in the region of its signature (an account's first region
// for the global services). nil when it names no world this hub serves:
// the receiving world answers it (and refuses what it must).
func (s *Sandbox) routeTo(r *http.Request) *Sandbox {
	h := s.hub
	if h == nil || len(h.members) == 1 {
		return nil
	}
	sig, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return nil
	}
	acct, ok := h.accountOfKey(sig.AccessKeyID)
	if !ok {
		return nil
	}
	region := sig.Region
	if globalService(sig.Service) {
		region = h.regions[0]
	}
	return h.member(acct, region)
}

func newHub(home *Sandbox) *hub {
	h := &hub{
		home: home, accounts: []string{home.opts.Account}, regions: []string{home.opts.Region},
		members: map[memberKey]*Sandbox{{home.opts.Account, home.opts.Region}: home},
		keys:    map[string]string{},
		wake:    make(chan struct{}, 1),
		client:  &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}},
	}
	home.hub = h
	return h
}

// member is the world of account in region (nil: not served).
func (h *hub) member(account, region string) *Sandbox { return h.members[memberKey{account, region}] }

// iamWorld is the world that holds an account's roles (nil: not served).
func (h *hub) iamWorld(account string) *Sandbox { return h.member(account, h.regions[0]) }

// role is an account's role by name, as the world saves it now (nil: none).
func (h *hub) role(account, name string) *iamRole {
	m := h.iamWorld(account)
	if m == nil {
		return nil
	}
	var r *iamRole
	m.read(func(w *world) {
		if x := w.role(name); x != nil {
			c := *x
			r = &c
		} else if x := w.principalRole(name); x != nil {
			r = x
		}
	})
	return r
}

// sorted lists the members, accounts in order, then regions in order.
func (h *hub) sorted() []*Sandbox {
	out := make([]*Sandbox, 0, len(h.members))
	for _, a := range h.accounts {
		for _, r := range h.regions {
			if m := h.member(a, r); m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// accountOfKey is the account a long-term or session key belongs to.
func (h *hub) accountOfKey(key string) (string, bool) {
	if a, ok := h.keys[key]; ok {
		return a, true
	}
	if rs, ok := h.sessions.get(key); ok {
		return rs.Account, true
	}
	return "", false
}

// registerKeys notes the long-term keys of a member's world.
func (h *hub) registerKeys(m *Sandbox) {
	w := m.cur.Load()
	for _, c := range []Credentials{w.Credentials, w.RoleCredentials} {
		if c.AccessKeyID != "" {
			h.keys[c.AccessKeyID] = w.Account
		}
	}
}

// Accounts lists the account ids the sandbox serves, the management
// account (the lab's) first.
func (s *Sandbox) Accounts() []string { return append([]string(nil), s.hub.accounts...) }

// Regions lists the regions the sandbox serves (the enabled regions), the
// lab's first.
func (s *Sandbox) Regions() []string { return append([]string(nil), s.hub.regions...) }

// regionNames sorts a copy.
func regionNames(rs []string) []string {
	out := append([]string(nil), rs...)
	sort.Strings(out)
	return out
}
