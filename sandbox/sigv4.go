package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sigv4 is a parsed Authorization header of AWS Signature Version 4.
type sigv4 struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// authFailure classifies why a request was not authenticated, so each
// protocol can name it the way its service does.
type authFailure int

const (
	authOK authFailure = iota
	authMissing
	authMalformed
	authUnknownKey
	authBadSignature
	authExpired
)

func parseAuthorization(h string) (sigv4, bool) {
	var s sigv4
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return s, false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, false
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return s, false
			}
			s.AccessKeyID, s.Date, s.Region, s.Service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			s.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			s.Signature = v
		}
	}
	if s.AccessKeyID == "" || len(s.SignedHeaders) == 0 || s.Signature == "" {
		return s, false
	}
	return s, true
}

// verifySigV4 checks the request's signature with the secret of the key it
// names, which must be one of keys; a key with a session token requires that
// token in X-Amz-Security-Token, and a key without one forbids the header. now
// is the wall clock (signature freshness is about real time, not the
// world's); also, when given, the world's clock: a client that corrects its
// clock skew from the Date the sandbox answers with (as the SDKs do) signs
// with the world's time, or, just after the world's clock was moved, with
// the time it saw last: any time from the earliest to the latest of the
// clocks given is fresh.
func verifySigV4(r *http.Request, body []byte, keys []Credentials, now time.Time, also ...time.Time) (sigv4, authFailure) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return sigv4{}, authMissing
	}
	s, ok := parseAuthorization(h)
	if !ok {
		return s, authMalformed
	}
	var creds Credentials
	found := false
	for _, k := range keys {
		if k.AccessKeyID == s.AccessKeyID {
			creds, found = k, true
		}
	}
	if !found || r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		return s, authUnknownKey
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, s.Date) {
		return s, authMalformed
	}
	lo, hi := now, now
	for _, n := range also {
		if n.Before(lo) {
			lo = n
		}
		if n.After(hi) {
			hi = n
		}
	}
	if t.Before(lo.Add(-15*time.Minute)) || t.After(hi.Add(15*time.Minute)) {
		return s, authExpired
	}
	if !contains(s.SignedHeaders, "host") {
		return s, authMalformed
	}

	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	switch payloadHash {
	case "":
		payloadHash = bodyHash
	case "UNSIGNED-PAYLOAD", bodyHash:
	default:
		return s, authBadSignature
	}
	want := signature(r, s, amzDate, payloadHash, creds.SecretAccessKey)
	if !hmac.Equal([]byte(want), []byte(s.Signature)) {
		return s, authBadSignature
	}
	return s, authOK
}

// signature computes the request's SigV4 signature for the scope and
// signed headers of s.
func signature(r *http.Request, s sigv4, amzDate, payloadHash, secret string) string {
	var canon strings.Builder
	canon.WriteString(r.Method)
	canon.WriteByte('\n')
	canon.WriteString(canonicalURI(r.URL))
	canon.WriteByte('\n')
	canon.WriteString(canonicalQuery(r.URL.Query()))
	canon.WriteByte('\n')
	for _, name := range s.SignedHeaders {
		canon.WriteString(name)
		canon.WriteByte(':')
		canon.WriteString(headerValue(r, name))
		canon.WriteByte('\n')
	}
	canon.WriteByte('\n')
	canon.WriteString(strings.Join(s.SignedHeaders, ";"))
	canon.WriteByte('\n')
	canon.WriteString(payloadHash)

	scope := s.Date + "/" + s.Region + "/" + s.Service + "/aws4_request"
	crHash := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])
	k := hmacSHA256([]byte("AWS4"+secret), s.Date)
	k = hmacSHA256(k, s.Region)
	k = hmacSHA256(k, s.Service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

// signSigV4 signs a request the way the SDKs do (the sandbox's own calls:
// EventBridge Scheduler invoking a target as the execution role).
func signSigV4(r *http.Request, body []byte, creds Credentials, region, service string, now time.Time) {
	amzDate := now.UTC().Format("20060102T150405Z")
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Date", amzDate)
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	signed := []string{"content-type", "host", "x-amz-date"}
	if creds.SessionToken != "" {
		signed = append(signed, "x-amz-security-token")
	}
	s := sigv4{AccessKeyID: creds.AccessKeyID, Date: amzDate[:8], Region: region, Service: service, SignedHeaders: signed}
	sig := signature(r, s, amzDate, payload, creds.SecretAccessKey)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+creds.AccessKeyID+"/"+s.Date+"/"+region+"/"+service+"/aws4_request, SignedHeaders="+
		strings.Join(signed, ";")+", Signature="+sig)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			vals = v
		} else {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	// Non-S3 services encode each path segment twice.
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = awsEscape(s)
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), v[k]...)
		sort.Strings(vals)
		for _, val := range vals {
			parts = append(parts, awsEscape(k)+"="+awsEscape(val))
		}
	}
	return strings.Join(parts, "&")
}

// awsEscape percent-encodes everything but unreserved characters.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
