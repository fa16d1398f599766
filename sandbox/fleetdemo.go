package sandbox

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"
)

// The fleet demo: learners at different stages of the lab, for the
// facilitator's view to show (`sandbox --accounts N --fleet-demo`). The
// management account is the facilitator's and has no run; every other
// account and region gets a run at one stage, in turn: the security group
// alone (for over an hour: stuck), its rule, endpoints pending for far
// too long, an endpoint that failed, private DNS, the push refused (and
// expired, with no schedule: the learner may not create one), the push
// allowed, finished (expired). The runs are made as a learner makes them,
// with the lab's tags, through the sandbox's own API signed with the
// account's keys; what no API can make (a stuck or failed endpoint, a push
// that went through) is then set in the world.

// DemoStages are the stages the fleet demo seeds, in turn.
var DemoStages = []string{"security-group", "ingress-rule", "endpoints-pending", "endpoints-failed", "private-dns", "push-refused", "push-allowed", "finished"}

// demoRun is what one demo run looks like.
type demoRun struct {
	stage   string
	run     string
	since   time.Duration // how long it has been at its stage
	expires time.Duration // from now; negative: expired
	sched   bool          // has the auto-teardown's role and schedules
}

func demoPlan(i int) demoRun {
	d := demoRun{stage: DemoStages[i%len(DemoStages)], run: fmt.Sprintf("d%09x", 0xe0000+i), since: time.Duration(5+i%7) * time.Minute, expires: 3 * time.Hour, sched: true}
	switch d.stage {
	case "security-group":
		d.since = 95 * time.Minute
	case "ingress-rule":
		// A learner whose role may not create the auto-teardown.
		d.expires, d.sched = 2*time.Hour, false
	case "endpoints-pending":
		d.since = 40 * time.Minute
	case "push-refused":
		d.expires, d.sched, d.since = -30*time.Minute, false, 4*time.Hour+10*time.Minute
	case "push-allowed":
		d.expires = time.Hour
	case "finished":
		d.expires, d.sched, d.since = -2*time.Hour, false, 5*time.Hour
	}
	return d
}

// seedFleetDemo seeds the runs (fresh worlds only: a saved demo stays as it
// was left).
func (s *Sandbox) seedFleetDemo() error {
	h := s.hub
	i := 0
	for _, acct := range h.accounts[1:] {
		for _, region := range h.regions {
			m := h.member(acct, region)
			if m == nil || !m.fresh {
				i++
				continue
			}
			if err := m.seedRun(demoPlan(i)); err != nil {
				return fmt.Errorf("the fleet demo's run in %s %s: %w", acct, region, err)
			}
			i++
		}
	}
	return nil
}

// selfCall makes an API request of this world as its workshop user, in
// process, and returns the answer.
func (s *Sandbox) selfCall(service string, form url.Values, method, path string, body []byte) (int, []byte) {
	if form != nil {
		body = []byte(form.Encode())
		method, path = http.MethodPost, "/"
	}
	req := httptest.NewRequest(method, "http://sandbox.internal"+path, bytes.NewReader(body))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	region := s.opts.Region
	if globalService(service) {
		region = "us-east-1"
	}
	signSigV4(req, body, s.Credentials(), region, service, time.Now())
	rec := httptest.NewRecorder()
	s.serveAPI(rec, req, false)
	return rec.Code, rec.Body.Bytes()
}

// ec2Call is an EC2 Query call; it returns the answer's body or its error.
func (s *Sandbox) ec2Call(action string, kv ...string) ([]byte, error) {
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	st, b := s.selfCall("ec2", form, "", "", nil)
	if st != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", action, st, b)
	}
	return b, nil
}

func (s *Sandbox) seedRun(d demoRun) error {
	now := s.opts.Clock.Now().UTC()
	ws := s.Workspace()
	runTags := func(kind string, extra ...string) []string {
		kv := []string{"TagSpecification.1.ResourceType", kind,
			"TagSpecification.1.Tag.1.Key", "ecr-vpce-lab:run", "TagSpecification.1.Tag.1.Value", d.run,
			"TagSpecification.1.Tag.2.Key", "ecr-vpce-lab:expires-at", "TagSpecification.1.Tag.2.Value", d.expiresValue(now)}
		for i := 0; i+1 < len(extra); i += 2 {
			n := 3 + i/2
			kv = append(kv, fmt.Sprintf("TagSpecification.1.Tag.%d.Key", n), extra[i], fmt.Sprintf("TagSpecification.1.Tag.%d.Value", n), extra[i+1])
		}
		return kv
	}
	stageAt := now.Add(-d.since)
	stage := map[string]string{"endpoints-pending": "ingress-rule", "endpoints-failed": "ingress-rule"}[d.stage]
	if stage == "" {
		stage = d.stage
	}
	b, err := s.ec2Call("CreateSecurityGroup", append([]string{"GroupName", "ECR_VPCE_SG", "GroupDescription", "Security group for ECR VPC Endpoints", "VpcId", ws.VpcID},
		runTags("security-group", "Name", "ECR_VPCE_SG", "ecr-vpce-lab:stage", stage+"@"+stageAt.Format(time.RFC3339))...)...)
	if err != nil {
		return err
	}
	var sg struct {
		GroupID string `xml:"groupId"`
	}
	_ = xml.Unmarshal(b, &sg)
	// The learner made it long ago: EC2's reads caught up (Timing.ReadLag
	// is for what was made moments ago).
	if err := s.update(func(w *world, _ time.Time) (bool, error) {
		for _, g := range w.Groups {
			if g.ID == sg.GroupID {
				g.SeenFrom = time.Time{}
			}
		}
		return true, nil
	}); err != nil {
		return err
	}
	if d.stage == "security-group" {
		return nil
	}
	if _, err := s.ec2Call("AuthorizeSecurityGroupIngress", append([]string{"GroupId", sg.GroupID, "IpPermissions.1.IpProtocol", "tcp",
		"IpPermissions.1.FromPort", "443", "IpPermissions.1.ToPort", "443", "IpPermissions.1.Groups.1.GroupId", ws.SecurityGroupID},
		runTags("security-group-rule", "Name", "ECR_VPCE_SG tcp/443")...)...); err != nil {
		return err
	}
	if d.stage == "ingress-rule" {
		return nil
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
		`{"Sid":"DenyPutImage","Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"arn:aws:ecr:` + s.opts.Region + `:` + s.opts.Account + `:repository/` + RepoA + `"}]}`
	var ids []string
	for _, svc := range []string{serviceDKR, serviceAPI, "s3"} {
		kv := []string{"VpcId", ws.VpcID, "ServiceName", "com.amazonaws." + s.opts.Region + "." + svc}
		if svc == "s3" {
			kv = append(kv, "VpcEndpointType", "Gateway", "RouteTableId.1", ws.RouteTableID)
		} else {
			kv = append(kv, "VpcEndpointType", "Interface", "SubnetId.1", ws.SubnetID, "SecurityGroupId.1", sg.GroupID, "PrivateDnsEnabled", "true", "PolicyDocument", pol)
		}
		b, err := s.ec2Call("CreateVpcEndpoint", append(kv, runTags("vpc-endpoint", "Name", "ecr-vpce-lab "+svc)...)...)
		if err != nil {
			return err
		}
		var ep struct {
			ID string `xml:"vpcEndpoint>vpcEndpointId"`
		}
		_ = xml.Unmarshal(b, &ep)
		ids = append(ids, ep.ID)
	}
	if d.sched {
		if err := s.seedSchedules(d, now, ids, sg.GroupID); err != nil {
			return err
		}
	}
	// What no API makes.
	return s.update(func(w *world, _ time.Time) (bool, error) {
		for _, e := range w.Endpoints {
			e.SeenFrom = time.Time{} // long known to EC2's reads
			if e.Type != "Interface" {
				continue
			}
			// Created when the learner reached the endpoints (they have
			// billed since).
			created := stageAt.Add(-2 * time.Minute)
			if d.stage != "endpoints-pending" {
				e.CreatedAt, e.AvailableAt, e.DNSSwitchAt = created, created, created
			}
			switch d.stage {
			case "endpoints-pending":
				e.CreatedAt, e.AvailableAt = now.Add(-d.since), now.Add(2*time.Hour)
				e.DNSSwitchAt = e.AvailableAt
			case "endpoints-failed":
				if strings.HasSuffix(e.ServiceName, serviceDKR) {
					e.FailedReason = "The VPC endpoint could not be created because the subnet has no free IP addresses."
				}
			}
		}
		if d.stage == "push-allowed" {
			if r := w.Images.repo(RepoA); r != nil {
				for _, im := range r.Images {
					for _, t := range im.Tags {
						if t == "v1" {
							im.Tags = append(im.Tags, "v2")
							return true, nil
						}
					}
				}
			}
		}
		return true, nil
	})
}

func (d demoRun) expiresValue(now time.Time) string {
	return now.Add(d.expires).Truncate(time.Second).Format(time.RFC3339)
}

// seedSchedules gives a demo run the auto-teardown's role and schedules,
// as the lab makes them.
func (s *Sandbox) seedSchedules(d demoRun, now time.Time, ids []string, group string) error {
	role := "ecr-vpce-lab-teardown-" + d.run
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	iam := s.hub.iamWorld(s.opts.Account)
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {role}, "Path": {"/ecr-vpce-lab/"}, "AssumeRolePolicyDocument": {trust},
		"Tags.member.1.Key": {"ecr-vpce-lab:run"}, "Tags.member.1.Value": {d.run}, "Tags.member.2.Key": {"ecr-vpce-lab:region"}, "Tags.member.2.Value": {s.opts.Region},
		"Tags.member.3.Key": {"ecr-vpce-lab:expires-at"}, "Tags.member.3.Value": {d.expiresValue(now)}}
	if st, b := iam.selfCall("iam", form, "", "", nil); st != http.StatusOK {
		return fmt.Errorf("CreateRole: %d %s", st, b)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DeleteVpcEndpoints","ec2:DeleteSecurityGroup"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:ResourceTag/ecr-vpce-lab:run":"` + d.run + `"}}}]}`
	form = url.Values{"Action": {"PutRolePolicy"}, "Version": {"2010-05-08"}, "RoleName": {role}, "PolicyName": {"delete-this-run"}, "PolicyDocument": {doc}}
	if st, b := iam.selfCall("iam", form, "", "", nil); st != http.StatusOK {
		return fmt.Errorf("PutRolePolicy: %d %s", st, b)
	}
	roleARN := "arn:aws:iam::" + s.opts.Account + ":role/ecr-vpce-lab/" + role
	at := now.Add(d.expires).UTC()
	for _, p := range []struct {
		purpose, api, input string
		at                  time.Time
	}{
		{"endpoints", "deleteVpcEndpoints", jsonString(map[string][]string{"VpcEndpointIds": ids}), at},
		{"group", "deleteSecurityGroup", jsonString(map[string]string{"GroupId": group}), at.Add(15 * time.Minute)},
	} {
		body := jsonString(map[string]any{"ScheduleExpression": "at(" + p.at.Format("2006-01-02T15:04:05") + ")", "FlexibleTimeWindow": map[string]string{"Mode": "OFF"},
			"ActionAfterCompletion": "DELETE", "Description": "ecr-vpce-lab run " + d.run,
			"Target": map[string]any{"Arn": "arn:aws:scheduler:::aws-sdk:ec2:" + p.api, "RoleArn": roleARN, "Input": p.input}})
		if st, b := s.selfCall("scheduler", nil, http.MethodPost, "/schedules/ecr-vpce-lab-"+d.run+"-"+p.purpose, []byte(body)); st != http.StatusOK {
			return fmt.Errorf("CreateSchedule: %d %s", st, b)
		}
	}
	return nil
}
