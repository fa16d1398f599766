package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"ecr-vpce-lab/internal/partition"
)

// STS: GetCallerIdentity, the one call the lab makes, answering with the
// workspace's identity (or an assumed role's); AssumeRole, which a
// profile with role_arn makes before anything else (with an MFA code when
// the profile has mfa_serial); and DecodeAuthorizationMessage, which the
// lab's fix for an EC2 refusal tells the learner to run.

func (s *Sandbox) handleSTS(c *apiCall, p params) ([]byte, *APIError) {
	served := []string{"GetCallerIdentity", "AssumeRole", "DecodeAuthorizationMessage"}
	if !slices.Contains(served, c.action) {
		return nil, notServed("sts", protoSTS, c.action, p.str("Version"), served)
	}
	if e := checkVersion(c, p, "2011-06-15"); e != nil {
		return nil, e
	}
	switch c.action {
	case "AssumeRole":
		return s.assumeRole(c, p)
	case "DecodeAuthorizationMessage":
		return s.decodeAuthorizationMessage(c, p)
	}
	if e := p.allow(); e != nil {
		return nil, badRequest("InvalidParameterValue", "%s", e.Message)
	}
	var arn, userID, account string
	s.read(func(w *world) {
		arn, userID, account = w.callerARN(), w.callerUserID(), w.Account
	})
	if rs, ok := s.hub.sessions.get(c.accessKey); ok {
		arn, account = rs.arn(), rs.Account
		if r := s.hub.role(rs.Account, rs.Role); r != nil {
			userID = r.ID + ":" + rs.Name
		}
	}
	if c.caller.other {
		// The partner account's CI role (principals.go).
		arn, userID, account = c.caller.arn, "AROAPARTNERCIROLE0001:"+otherSessionName, c.caller.account
	} else if ss, ok := s.sessions.get(c.accessKey); ok {
		arn, userID = ss.arn, ss.userID
	}
	return queryResponse(c, "    <Arn>"+xmlEscape(arn)+"</Arn>\n"+
		"    <UserId>"+xmlEscape(userID)+"</UserId>\n"+
		"    <Account>"+account+"</Account>\n"), nil
}

// assumeRole hands out temporary keys for the role, which the sandbox then
// accepts (in this process) and names in GetCallerIdentity. A role the
// caller may not assume (--fault-deny-action sts:AssumeRole) is refused as
// AWS refuses it; an MFA serial needs a six-digit code.
func (s *Sandbox) assumeRole(c *apiCall, p params) ([]byte, *APIError) {
	if e := p.allow("RoleArn", "RoleSessionName", "DurationSeconds", "SerialNumber", "TokenCode", "ExternalId", "Policy", "SourceIdentity"); e != nil {
		return nil, badRequest("InvalidParameterValue", "%s", e.Message)
	}
	roleARN, session := p.str("RoleArn"), p.str("RoleSessionName")
	var missing []string
	if roleARN == "" {
		missing = append(missing, "Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if session == "" {
		missing = append(missing, "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if len(missing) > 0 {
		return nil, badRequest("ValidationError", "%d validation error(s) detected: %s", len(missing), strings.Join(missing, "; "))
	}
	part := partition.Of(s.opts.Region).ID
	role, ok := strings.CutPrefix(roleARN, "arn:"+part+":iam::")
	acct, name, ok2 := strings.Cut(role, ":role/")
	if !ok || !ok2 || len(acct) != 12 || name == "" {
		return nil, badRequest("ValidationError", "%s is invalid", roleARN)
	}
	var caller string
	s.read(func(w *world) { caller = w.callerARN() })
	if ss, ok := s.sessions.get(c.accessKey); ok {
		caller = ss.arn
	}
	if s.opts.Faults.denies("sts", "AssumeRole") {
		return nil, apiErr(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller, roleARN)
	}
	if p.str("SerialNumber") != "" {
		code := p.str("TokenCode")
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			return nil, apiErr(http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
		}
	}
	// A role of an account the sandbox serves, as IAM knows it (another
	// account's, or one of this account's roles): its trust policy
	// decides, and the session works in that account (org.go). Any other
	// role (a laptop profile's role_arn in this account) is assumed in
	// this world, as it always was.
	if s.hub.iamWorld(acct) != nil && (acct != s.opts.Account || s.hub.role(acct, name) != nil) {
		return s.assumeHubRole(c, p)
	}
	ss := newSession(part, acct, name, session)
	s.sessions.add(ss)
	return queryResponse(c, assumeRoleResult(ss.userID, ss.arn, ss.creds, time.Now().Add(time.Hour))), nil
}

// assumeRoleResult is AssumeRole's result: the session's user and keys.
func assumeRoleResult(roleID, arn string, creds Credentials, expires time.Time) string {
	return "    <AssumedRoleUser>\n      <AssumedRoleId>" + xmlEscape(roleID) + "</AssumedRoleId>\n      <Arn>" + xmlEscape(arn) + "</Arn>\n    </AssumedRoleUser>\n" +
		"    <Credentials>\n      <AccessKeyId>" + creds.AccessKeyID + "</AccessKeyId>\n      <SecretAccessKey>" + creds.SecretAccessKey +
		"</SecretAccessKey>\n      <SessionToken>" + xmlEscape(creds.SessionToken) + "</SessionToken>\n      <Expiration>" + expires.UTC().Format("2006-01-02T15:04:05Z") + "</Expiration>\n    </Credentials>\n"
}

// session is an assumed role's temporary identity.
type session struct {
	creds       Credentials
	arn, userID string
}

func newSession(part, account, role, name string) session {
	var b [40]byte
	_, _ = rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return session{
		creds: Credentials{AccessKeyID: "ASIA" + h[:16], SecretAccessKey: strings.ToLower(h[16:56]),
			SessionToken: "FwoGZXIvYXdzE" + strings.ToLower(hex.EncodeToString(b[:]))},
		arn:    fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", part, account, role, name),
		userID: "AROA" + h[56:73] + ":" + name,
	}
}

// keyBook holds what this process hands out, by access key (not saved:
// keys last an hour on AWS, a process here).
type keyBook[T any] struct {
	mu    sync.RWMutex
	byKey map[string]T
}

// put adds v under key; with a limit, a book that has grown past it
// starts afresh first.
func (b *keyBook[T]) put(key string, v T, limit int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byKey == nil || limit > 0 && len(b.byKey) > limit {
		b.byKey = map[string]T{}
	}
	b.byKey[key] = v
}

func (b *keyBook[T]) get(key string) (T, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	v, ok := b.byKey[key]
	return v, ok
}

func (b *keyBook[T]) all() []T {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]T, 0, len(b.byKey))
	for _, v := range b.byKey {
		out = append(out, v)
	}
	return out
}

// sessions are the assumed roles of this world's own account (at most a
// thousand or so: past that the book starts afresh).
type sessions struct{ keyBook[session] }

func (s *sessions) add(ss session) { s.put(ss.creds.AccessKeyID, ss, 1000) }

func (s *sessions) keys() []Credentials {
	var out []Credentials
	for _, ss := range s.all() {
		out = append(out, ss.creds)
	}
	return out
}

// decodeAuthorizationMessage reads back the encoded authorization failure
// message an EC2 refusal carries. On AWS the message is encrypted and
// only STS reads it, for a caller allowed sts:DecodeAuthorizationMessage;
// the sandbox's is the same JSON document (allowed, explicitDeny,
// matchedStatements, failures, context), base64url-encoded, and this
// gives it back as AWS does, in DecodedMessage. A message that is not one
// (cut short, a line break pasted into it) is
// InvalidAuthorizationMessageException.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html
func (s *Sandbox) decodeAuthorizationMessage(c *apiCall, p params) ([]byte, *APIError) {
	if e := p.allow("EncodedMessage"); e != nil {
		return nil, badRequest("InvalidParameterValue", "%s", e.Message)
	}
	if s.opts.Faults.denies("sts", "DecodeAuthorizationMessage") {
		var caller string
		s.read(func(w *world) { caller = w.callerARN() })
		return nil, apiErr(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:DecodeAuthorizationMessage because no identity-based policy allows the sts:DecodeAuthorizationMessage action", caller)
	}
	msg := p.str("EncodedMessage")
	if msg == "" {
		return nil, badRequest("MissingParameter", "The request must contain the parameter EncodedMessage")
	}
	// (The decoder would skip a line break; AWS refuses one.)
	doc, err := base64.RawURLEncoding.DecodeString(msg)
	if err != nil || !json.Valid(doc) || strings.ContainsAny(msg, "\r\n\t ") {
		return nil, badRequest("InvalidAuthorizationMessageException", "The encoded message is not one AWS issued, or it was changed (a character missing, or a line break in it)")
	}
	return queryResponse(c, "    <DecodedMessage>"+xmlEscape(string(doc))+"</DecodedMessage>\n"), nil
}
