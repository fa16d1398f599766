package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/internal/partition"
)

// IMDS headers.
const (
	imdsTokenHeader    = "X-Aws-Ec2-Metadata-Token"
	imdsTokenTTLHeader = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
	imdsMaxTTL         = 21600
	imdsMaxTokens      = 10000
)

// imdsServer is the instance metadata service of the workspace instance.
//
// Paths are matched after collapsing repeated slashes, as the real service
// does: the lab's own commands build URLs like macs/0e:..:11//subnet-id
// (the MAC read from macs/ keeps its trailing slash).
type imdsServer struct {
	s      *Sandbox
	mu     sync.Mutex
	tokens map[string]time.Time // token → expiry
}

func newIMDS(s *Sandbox) *imdsServer {
	return &imdsServer{s: s, tokens: map[string]time.Time{}}
}

const imdsNotFound = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
	"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>
`

func imdsStatusPage(code int) string {
	text := strconv.Itoa(code) + " - " + http.StatusText(code)
	return `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
	"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>` + text + `</title>
 </head>
 <body>
  <h1>` + text + `</h1>
 </body>
</html>
`
}

func (m *imdsServer) fail(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	if code == http.StatusNotFound {
		_, _ = w.Write([]byte(imdsNotFound))
		return
	}
	_, _ = w.Write([]byte(imdsStatusPage(code)))
}

func cleanIMDSPath(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

func (m *imdsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			m.fail(w, http.StatusInternalServerError)
		}
	}()
	w.Header().Set("Server", "EC2ws")
	path := cleanIMDSPath(r.URL.Path)
	code := m.serve(w, r, path)
	call := Call{Time: m.s.opts.Clock.Now(), Service: "imds", Action: r.Method + " " + path}
	if code >= 400 {
		call.ErrorCode = strconv.Itoa(code)
	}
	m.s.calls.Record(call)
	if m.s.opts.Recorder != nil {
		m.s.opts.Recorder.Record(call)
	}
}

// serve answers and returns the status code.
func (m *imdsServer) serve(w http.ResponseWriter, r *http.Request, path string) int {
	now := m.s.opts.Clock.Now()
	if path == "/latest/api/token" {
		if r.Method != http.MethodPut {
			m.fail(w, http.StatusMethodNotAllowed)
			return http.StatusMethodNotAllowed
		}
		if m.s.opts.Faults.IMDSHopLimit && m.s.def.Metadata.Present {
			// The answer would leave with a TTL of 1 and die on the
			// container's bridge: the client hears nothing and times out.
			select {
			case <-r.Context().Done():
			case <-m.s.closing:
			}
			return http.StatusGatewayTimeout
		}
		if r.Header.Get("X-Forwarded-For") != "" {
			m.fail(w, http.StatusForbidden)
			return http.StatusForbidden
		}
		ttl, err := strconv.Atoi(r.Header.Get(imdsTokenTTLHeader))
		if err != nil || ttl < 1 || ttl > imdsMaxTTL {
			m.fail(w, http.StatusBadRequest)
			return http.StatusBadRequest
		}
		tok := m.newToken(now, time.Duration(ttl)*time.Second)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set(imdsTokenTTLHeader, strconv.Itoa(ttl))
		_, _ = w.Write([]byte(tok))
		return http.StatusOK
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		m.fail(w, http.StatusMethodNotAllowed)
		return http.StatusMethodNotAllowed
	}
	if m.s.def.Credentials == CredentialsContainer && strings.TrimSuffix(path, "/") == ContainerCredentialsPath {
		return m.serveContainerCredentials(w, r, now)
	}
	if !m.s.def.Metadata.Present {
		// No instance metadata here: the listener only stands in for the
		// container-credentials endpoint.
		m.fail(w, http.StatusNotFound)
		return http.StatusNotFound
	}
	if tok := r.Header.Get(imdsTokenHeader); tok != "" {
		exp, ok := m.tokenExpiry(tok)
		if !ok || !now.Before(exp) {
			m.fail(w, http.StatusUnauthorized)
			return http.StatusUnauthorized
		}
		w.Header().Set(imdsTokenTTLHeader, strconv.Itoa(int(exp.Sub(now).Seconds())))
	} else if m.s.opts.IMDSv2Required {
		m.fail(w, http.StatusUnauthorized)
		return http.StatusUnauthorized
	}
	body, ok := m.lookup(path)
	if !ok {
		m.fail(w, http.StatusNotFound)
		return http.StatusNotFound
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(body))
	}
	return http.StatusOK
}

func (m *imdsServer) newToken(now time.Time, ttl time.Duration) string {
	var b [42]byte
	_, _ = rand.Read(b[:])
	tok := "AQAEA" + base64.RawURLEncoding.EncodeToString(b[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.tokens) >= imdsMaxTokens {
		for t, exp := range m.tokens {
			if !now.Before(exp) {
				delete(m.tokens, t)
			}
		}
		if len(m.tokens) >= imdsMaxTokens {
			for t := range m.tokens {
				delete(m.tokens, t)
				break
			}
		}
	}
	m.tokens[tok] = now.Add(ttl)
	return tok
}

func (m *imdsServer) tokenExpiry(tok string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.tokens[tok]
	return exp, ok
}

// tree builds the metadata the instance sees now, path → value.
func (m *imdsServer) tree() map[string]string {
	t := map[string]string{}
	now := m.s.opts.Clock.Now()
	m.s.read(func(w *world) {
		n := w.instanceENI()
		if n == nil {
			return
		}
		sn := w.subnet(n.SubnetID)
		v := w.vpc(n.VpcID)
		var names []string
		for _, id := range n.GroupIDs {
			if g := w.group(id); g != nil {
				names = append(names, g.Name)
			}
		}
		host := privateDNSName(n.IP, w.Region)
		md := "/latest/meta-data/"
		t[md+"ami-id"] = w.Instance.ImageID
		t[md+"ami-launch-index"] = "0"
		t[md+"hostname"] = host
		t[md+"instance-id"] = w.Instance.ID
		t[md+"instance-type"] = w.Instance.InstanceType
		t[md+"instance-life-cycle"] = "on-demand"
		t[md+"local-hostname"] = host
		t[md+"local-ipv4"] = n.IP
		t[md+"mac"] = n.MAC
		t[md+"placement/availability-zone"] = sn.AZ
		t[md+"placement/availability-zone-id"] = sn.AZID
		t[md+"placement/region"] = w.Region
		t[md+"security-groups"] = strings.Join(names, "\n")
		t[md+"services/domain"] = partition.Of(w.Region).DNSSuffix
		t[md+"services/partition"] = partition.Of(w.Region).ID
		mac := md + "network/interfaces/macs/" + n.MAC + "/"
		t[mac+"device-number"] = "0"
		t[mac+"interface-id"] = n.ID
		t[mac+"local-hostname"] = host
		t[mac+"local-ipv4s"] = n.IP
		t[mac+"mac"] = n.MAC
		t[mac+"owner-id"] = w.Account
		t[mac+"security-group-ids"] = strings.Join(n.GroupIDs, "\n")
		t[mac+"security-groups"] = strings.Join(names, "\n")
		t[mac+"subnet-id"] = sn.ID
		t[mac+"subnet-ipv4-cidr-block"] = sn.CIDR
		t[mac+"vpc-id"] = v.ID
		t[mac+"vpc-ipv4-cidr-block"] = v.CIDR
		t[mac+"vpc-ipv4-cidr-blocks"] = strings.Join(v.cidrs(), "\n")
		doc := [][2]string{
			{"accountId", strconv.Quote(w.Account)},
			{"architecture", `"x86_64"`},
			{"availabilityZone", strconv.Quote(sn.AZ)},
			{"billingProducts", "null"},
			{"devpayProductCodes", "null"},
			{"marketplaceProductCodes", "null"},
			{"imageId", strconv.Quote(w.Instance.ImageID)},
			{"instanceId", strconv.Quote(w.Instance.ID)},
			{"instanceType", strconv.Quote(w.Instance.InstanceType)},
			{"kernelId", "null"},
			{"pendingTime", strconv.Quote(w.Instance.LaunchTime.UTC().Format("2006-01-02T15:04:05Z"))},
			{"privateIp", strconv.Quote(n.IP)},
			{"ramdiskId", "null"},
			{"region", strconv.Quote(w.Region)},
			{"version", `"2017-09-30"`},
		}
		iid := imdsJSON(doc)
		t["/latest/dynamic/instance-identity/document"] = iid
		// The signatures AWS publishes certificates for; here stable bytes
		// of the right sizes, which no AWS certificate verifies.
		t["/latest/dynamic/instance-identity/signature"] = imdsSignature(iid, "signature", 256)
		t["/latest/dynamic/instance-identity/pkcs7"] = imdsSignature(iid, "pkcs7", 1066)
		t["/latest/dynamic/instance-identity/rsa2048"] = imdsSignature(iid, "rsa2048", 1670)

		// The instance role, as the SDKs' credential chain reads it.
		exp := now.UTC().Truncate(time.Hour).Add(6 * time.Hour)
		stamp := func(t time.Time) string { return strconv.Quote(t.Format("2006-01-02T15:04:05Z")) }
		rc := w.RoleCredentials
		t[md+"iam/info"] = imdsJSON([][2]string{
			{"Code", `"Success"`},
			{"LastUpdated", stamp(exp.Add(-6 * time.Hour))},
			{"InstanceProfileArn", strconv.Quote(w.arn("iam", "", w.Account+":instance-profile/"+w.Identity.RoleName))},
			{"InstanceProfileId", strconv.Quote(w.Identity.ProfileID)},
		})
		t[md+"iam/security-credentials/"+w.Identity.RoleName] = imdsJSON([][2]string{
			{"Code", `"Success"`},
			{"LastUpdated", stamp(exp.Add(-6 * time.Hour))},
			{"Type", `"AWS-HMAC"`},
			{"AccessKeyId", strconv.Quote(rc.AccessKeyID)},
			{"SecretAccessKey", strconv.Quote(rc.SecretAccessKey)},
			{"Token", strconv.Quote(rc.SessionToken)},
			{"Expiration", stamp(exp)},
		})
	})
	return t
}

// imdsJSON formats a document the way IMDS does: two-space indent, " : ".
func imdsJSON(pairs [][2]string) string {
	var sb strings.Builder
	sb.WriteString("{\n")
	for i, kv := range pairs {
		sb.WriteString("  " + strconv.Quote(kv[0]) + " : " + kv[1])
		if i < len(pairs)-1 {
			sb.WriteString(",")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("}")
	return sb.String()
}

// imdsVersions are the metadata versions an instance offers at /, oldest
// first; each mirrors latest.
var imdsVersions = []string{"1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01",
	"2009-04-04", "2011-01-01", "2011-05-01", "2012-01-12", "2014-02-25", "2014-11-05", "2015-10-20", "2016-04-19", "2016-06-30",
	"2016-09-02", "2018-03-28", "2018-08-17", "2018-09-24", "2019-10-01", "2020-10-27", "2021-01-03", "2021-03-23", "2021-07-15",
	"2022-09-24", "2024-04-11"}

// imdsSignature is n stable pseudo-random bytes derived from the document,
// base64 in 64-character lines (PKCS7 bodies come without PEM armour).
func imdsSignature(doc, kind string, n int) string {
	var raw []byte
	for i := 0; len(raw) < n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%s", kind, i, doc)))
		raw = append(raw, sum[:]...)
	}
	b := base64.StdEncoding.EncodeToString(raw[:n])
	var lines []string
	for len(b) > 64 {
		lines, b = append(lines, b[:64]), b[64:]
	}
	return strings.Join(append(lines, b), "\n")
}

// lookup answers a leaf with its value and a directory with its listing
// (children, sub-directories with a trailing slash). A dated version
// (/2021-03-23/meta-data/...) answers as latest.
func (m *imdsServer) lookup(path string) (string, bool) {
	if path == "/" || path == "" {
		return strings.Join(append(slices.Clone(imdsVersions), "latest"), "\n"), true
	}
	version, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if version != "latest" {
		if !slices.Contains(imdsVersions, version) {
			return "", false
		}
		path = "/latest/" + rest
	}
	if path == "/latest" || path == "/latest/" {
		return "dynamic\nmeta-data", true
	}
	t := m.tree()
	if v, ok := t[path]; ok {
		return v, true
	}
	dir := strings.TrimSuffix(path, "/") + "/"
	children := map[string]bool{}
	for p := range t {
		rest, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			children[rest[:i+1]] = true
		} else {
			children[rest] = true
		}
	}
	if len(children) == 0 {
		return "", false
	}
	names := make([]string, 0, len(children))
	for c := range children {
		names = append(names, c)
	}
	sort.Strings(names)
	return strings.Join(names, "\n"), true
}

// serveContainerCredentials answers as CloudShell's credentials endpoint
// does: the caller's temporary keys, for about 15 minutes, to a request that
// carries the environment's AWS_CONTAINER_AUTHORIZATION_TOKEN in its
// Authorization header (what the SDKs send). The document has CloudShell's
// empty "Type". [research H.2]
func (m *imdsServer) serveContainerCredentials(w http.ResponseWriter, r *http.Request, now time.Time) int {
	var want string
	var rc Credentials
	m.s.read(func(wd *world) { want, rc = wd.ContainerToken, wd.RoleCredentials })
	if want == "" || r.Header.Get("Authorization") != want {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":"AccessDenied","message":"the Authorization header does not carry this environment's token"}`))
		return http.StatusUnauthorized
	}
	stamp := func(t time.Time) string { return strconv.Quote(t.UTC().Format("2006-01-02T15:04:05Z")) }
	body := imdsJSON([][2]string{
		{"Type", `""`},
		{"AccessKeyId", strconv.Quote(rc.AccessKeyID)},
		{"SecretAccessKey", strconv.Quote(rc.SecretAccessKey)},
		{"Token", strconv.Quote(rc.SessionToken)},
		{"Expiration", stamp(now.Add(15 * time.Minute))},
		{"Code", `"Success"`},
	})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
	return http.StatusOK
}
