package sandbox

// STS: GetCallerIdentity, the one call the lab makes, answering with the
// workspace's assumed-role identity.

func (s *Sandbox) handleSTS(c *apiCall, p params) ([]byte, *APIError) {
	if c.action != "GetCallerIdentity" {
		if awsHas("sts", c.action) {
			return nil, unsupportedOp("sts", c.action, []string{"GetCallerIdentity"})
		}
		return nil, unknownAction(protoSTS, c.action, p.str("Version"))
	}
	if v := p.str("Version"); v != "2011-06-15" {
		if v == "" {
			return nil, badRequest("MissingParameter", "The request must contain the parameter Version")
		}
		return nil, badRequest("InvalidAction", "Could not find operation %s for version %s", c.action, v)
	}
	if e := p.allow(); e != nil {
		return nil, badRequest("InvalidParameterValue", "%s", e.Message)
	}
	var arn, userID, account string
	s.read(func(w *world) {
		arn, userID, account = w.callerARN(), w.callerUserID(), w.Account
	})
	if c.caller.other {
		// The partner account's CI role (principals.go).
		arn, userID, account = c.caller.arn, "AROAPARTNERCIROLE0001:"+otherSessionName, c.caller.account
	}
	body := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` + "\n" +
		"  <GetCallerIdentityResult>\n" +
		"    <Arn>" + xmlEscape(arn) + "</Arn>\n" +
		"    <UserId>" + xmlEscape(userID) + "</UserId>\n" +
		"    <Account>" + account + "</Account>\n" +
		"  </GetCallerIdentityResult>\n" +
		"  <ResponseMetadata>\n    <RequestId>" + c.requestID + "</RequestId>\n  </ResponseMetadata>\n" +
		"</GetCallerIdentityResponse>\n"
	return []byte(body), nil
}
