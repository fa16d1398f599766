package steps

import (
	"ecr-vpce-lab/awsops"
)

// Preview is the AWS CLI equivalent of what step id would do if it ran
// now, for a learner to read before pressing Enter: the same builders its
// run emits commands with, on the same state. An ID the step needs that
// no earlier step has found or made yet is written as the variable the
// transcript keeps it in ($VPCE_SG_ID). It calls nothing and waits for no
// operation. nil for a step that makes no AWS call of its own (the
// policy is written here, and goes onto the endpoints with them), or
// whose state says it has what it would make. Preflight's read-only
// checks are left out (its copy of the image is in); the endpoints'
// auto-teardown role and schedules are one comment.
func (l *Lab) Preview(id StepID) []Command {
	st := l.read()
	ws := st.Workspace
	vpc := orVar(ws.VpcID, "VPC_ID")
	switch id {
	case StepDiscover:
		source := "imds"
		switch {
		case explicit(l.cfg.Workspace):
			source, ws = "given", l.cfg.Workspace
		case ws.SubnetID != "" && ws.SecurityGroupID != "":
			source = "earlier"
		}
		if ws.RouteTableID == "" {
			// Not known yet whether the subnet has a table of its own:
			// both lookups, the second for when the first finds none.
			ws.RouteTableMain = true
		}
		return append([]Command{l.cloud.WhoAmICommand(st.Account)}, l.discoverCommands(source, ws)...)
	case StepPreflight:
		// Its checks only read; what it makes is the local copy of the
		// image the push test pushes.
		if st.LocalImage != nil {
			return nil
		}
		return l.cloud.CopyCommands(l.cloud.RegistryHost(orVar(st.Account, "ACCOUNT_ID")), l.cfg.Repo, l.cfg.SourceTag)
	case StepSecurityGroup:
		if st.SecurityGroup != nil {
			return nil
		}
		return []Command{l.cloud.CreateSecurityGroupCommand(vpc, l.cfg.GroupName, groupDescription, l.groupTags())}
	case StepIngress:
		if st.Rule != nil {
			return nil
		}
		return []Command{l.cloud.AuthorizeIngressCommand(orVar(recordID(st.SecurityGroup), VarSecurityGroup), orVar(ws.SecurityGroupID, "WORKSPACE_SG_ID"), l.tags(ruleName))}
	case StepEndpoints:
		var cmds []Command
		var ids []string
		for _, key := range EndpointKeys {
			if r := st.Endpoints[key]; r != nil {
				ids = append(ids, r.ID)
				continue
			}
			spec := l.endpointSpec(st, key, orVar(recordID(st.SecurityGroup), VarSecurityGroup))
			spec.VpcID = vpc
			cmds = append(cmds, l.cloud.CreateEndpointCommand(spec))
			ids = append(ids, "$"+endpointVars[key])
		}
		if autoTeardownOn(st) {
			cmds = append(cmds, Command{Comment: "then the auto-teardown's IAM role and its EventBridge Scheduler schedules, for the expiry"})
		}
		return append(cmds, waitCommand(l.cloud.Region(), ids))
	case StepDNS:
		return []Command{dnsCommand(l.cloud.LabHosts(orVar(st.Account, "ACCOUNT_ID")))}
	case StepPush:
		li := awsops.LocalImage{Repository: l.cfg.Repo, Tag: l.cfg.SourceTag}
		if st.LocalImage != nil {
			li = *st.LocalImage
		}
		return l.cloud.PushCommands(l.cloud.RegistryHost(orVar(st.Account, "ACCOUNT_ID")), li, l.cfg.Repo, l.cfg.PushTag)
	case StepList:
		return []Command{l.cloud.ListImagesCommand(l.cfg.Repo)}
	case StepPull:
		return l.cloud.PullCommands(l.cloud.RegistryHost(orVar(st.Account, "ACCOUNT_ID")), l.cfg.Repo, l.cfg.SourceTag)
	}
	return nil
}

// orVar is id, or, while it is not known, the shell variable that will
// hold it.
func orVar(id, name string) string {
	if id == "" {
		return "$" + name
	}
	return id
}

func recordID(r *Record) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// The security group's description, and the ingress rule's Name tag.
const (
	groupDescription = "Security group for ECR VPC Endpoints"
	ruleName         = "ECR_VPCE_SG tcp/443"
)

// groupTags are the security group's tags: the run's, and the stage the
// run reaches with it.
func (l *Lab) groupTags() awsops.Tags {
	t := l.tags(l.cfg.GroupName)
	t[StageTagKey] = StageValue(StageSecurityGroup, l.cfg.Now())
	return t
}

// discoverCommands are the commands that find the workspace: the metadata
// reads, or the IDs given or found earlier (source "imds", "given",
// "earlier"), then its route table.
func (l *Lab) discoverCommands(source string, ws awsops.Workspace) []Command {
	var cmds []Command
	switch source {
	case "imds":
		cmds = l.cloud.IMDSCommands(ws)
	case "given":
		cmds = l.cloud.GivenIDCommands(l.cfg.Workspace, ws, "the workspace IDs you gave")
	default:
		cmds = l.cloud.GivenIDCommands(ws, ws, "the workspace found earlier in this run")
	}
	return append(cmds, l.cloud.RouteTableCommands(ws)...)
}

// endpointSpec is what the lab creates for the endpoint key, its
// interface in the group sg (the client token left to the caller).
func (l *Lab) endpointSpec(st State, key, sg string) awsops.EndpointSpec {
	spec := awsops.EndpointSpec{
		VpcID: st.Workspace.VpcID, Service: l.cloud.ServiceName(key), Type: endpointType(key),
		Policy: endpointPolicy(key, string(st.Policy), st.PolicyTarget),
		Tags:   l.tags("ecr-vpce-lab " + key), Capture: endpointVars[key],
	}
	if spec.Type == awsops.Interface {
		spec.SubnetIDs, spec.SecurityGroupIDs, spec.PrivateDNS = []string{st.Workspace.SubnetID}, []string{sg}, true
	} else {
		spec.RouteTableIDs = []string{gatewayTable(st.Workspace)}
	}
	return spec
}

// dnsCommand looks the lab's two host names up, as a learner checks them.
func dnsCommand(hosts []string) Command {
	return Command{Shell: "host " + hosts[0] + ` | grep "has address"; host ` + hosts[1] + ` | grep "has address"`,
		Comment: "both names should resolve to private addresses of the VPC", Check: true}
}
