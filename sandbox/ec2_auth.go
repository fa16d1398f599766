package sandbox

import "strings"

// authorizeEC2 authorizes an EC2 request signed by a role's session against
// the role's policies, resource by resource: the resources the request
// names (an endpoint or a group is authorized with its tags as
// aws:ResourceTag/KEY and ec2:ResourceTag/KEY, research G), or the
// action's resource type. IAM decides before DryRun does. The workspace's
// own credentials are left to DenyActions (handleEC2).
func (s *Sandbox) authorizeEC2(c *apiCall, p params) *APIError {
	if _, ok := s.hub.sessions.get(c.accessKey); !ok {
		return nil
	}
	who := s.callerPerms(c.accessKey)
	act := "ec2:" + c.action
	var out *APIError
	s.read(func(w *world) {
		for _, r := range s.ec2Resources(w, c.action, p) {
			ctx := map[string][]string{"aws:RequestedRegion": {s.opts.Region}, "ec2:Region": {s.opts.Region}}
			for _, t := range r.tags {
				ctx["aws:ResourceTag/"+t.Key] = []string{t.Value}
				ctx["ec2:ResourceTag/"+t.Key] = []string{t.Value}
			}
			if d := who.decide(act, r.arn, ctx); !d.Allowed() {
				out = refusal("ec2", who.arn, act, r.arn, d.Reason)
				return
			}
		}
	})
	return out
}

type authResource struct {
	arn  string
	tags []tag
}

// ec2Resources are the resources an EC2 action is authorized on (the
// Service Authorization Reference's resource types for the actions the lab
// and its schedules call; "*" for the Describe actions).
func (s *Sandbox) ec2Resources(w *world, action string, p params) []authResource {
	prefix := "arn:" + s.part() + ":ec2:" + s.opts.Region + ":" + s.opts.Account + ":"
	named := func(typ string, ids []string) []authResource {
		var out []authResource
		for _, id := range ids {
			out = append(out, authResource{arn: prefix + typ + "/" + id, tags: w.tagsOf(id)})
		}
		return out
	}
	switch action {
	case "DeleteVpcEndpoints":
		if ids := p.list("VpcEndpointId"); len(ids) > 0 {
			return named("vpc-endpoint", ids)
		}
	case "ModifyVpcEndpoint":
		if id := p.str("VpcEndpointId"); id != "" {
			return named("vpc-endpoint", []string{id})
		}
	case "DeleteSecurityGroup", "RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress":
		if id := p.str("GroupId"); id != "" {
			return named("security-group", []string{id})
		}
	}
	if strings.HasPrefix(action, "Describe") {
		return []authResource{{arn: "*"}}
	}
	r := ec2ResourceOf(action)
	if r == "" {
		return []authResource{{arn: "*"}}
	}
	return []authResource{{arn: prefix + r}}
}
