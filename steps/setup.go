package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/policy"
)

// SetWorkspace gives explicit workspace IDs (VPC optional, subnet and
// security group required), for a workspace not on EC2; the next
// discovery uses them instead of the metadata service.
func (l *Lab) SetWorkspace(ws awsops.Workspace) {
	l.op.Lock()
	defer l.op.Unlock()
	l.mu.Lock()
	l.cfg.Workspace = awsops.Workspace{VpcID: ws.VpcID, SubnetID: ws.SubnetID, SecurityGroupID: ws.SecurityGroupID}
	l.mu.Unlock()
}

// ListVPCs, ListSubnets and ListSecurityGroups offer choices for a
// workspace that is not on EC2.
func (l *Lab) ListVPCs(ctx context.Context) ([]awsops.Choice, error) { return l.cloud.ListVPCs(ctx) }

// ListSubnets lists a VPC's subnets.
func (l *Lab) ListSubnets(ctx context.Context, vpc string) ([]awsops.Choice, error) {
	return l.cloud.ListSubnets(ctx, vpc)
}

// ListSecurityGroups lists a VPC's security groups.
func (l *Lab) ListSecurityGroups(ctx context.Context, vpc string) ([]awsops.Choice, error) {
	return l.cloud.ListSecurityGroups(ctx, vpc)
}

func explicit(ws awsops.Workspace) bool {
	return ws.VpcID != "" || ws.SubnetID != "" || ws.SecurityGroupID != ""
}

func (l *Lab) runDiscover(ctx context.Context) error {
	id, err := l.cloud.WhoAmI(ctx)
	if err != nil {
		return err
	}
	l.command(StepDiscover, l.cloud.WhoAmICommand(id.Account))
	// (Preview shows these commands before the run: keep them alike.)
	l.detail(StepDiscover, "account %s, region %s, calling as %s", id.Account, l.cloud.Region(), id.ARN)
	if l.cfg.Account != "" && l.cfg.Account != id.Account {
		l.detail(StepDiscover, "note: ACCOUNT_ID is %s but your credentials belong to %s; using %s", l.cfg.Account, id.Account, id.Account)
	}
	st := l.read()
	var ws awsops.Workspace
	// own is the instance's own network, when IDs were chosen by hand on
	// one.
	var own *awsops.Workspace
	// Where the IDs came from decides the commands that show how to find
	// them: the metadata reads, or the IDs themselves.
	source := "imds"
	switch {
	case explicit(l.cfg.Workspace):
		source = "given"
		ws = l.cfg.Workspace
		// On an instance, its own network is known too: the preflight
		// checks the chosen IDs against it, and an ID left out is its.
		if o, ok := l.ownNetwork(ctx); ok {
			own = &o
			if ws.VpcID == "" || ws.VpcID == o.VpcID {
				if ws.SubnetID == "" {
					ws.SubnetID = o.SubnetID
					l.detail(StepDiscover, "no subnet given: using the instance's own, %s", o.SubnetID)
				}
				if ws.SecurityGroupID == "" {
					ws.SecurityGroupID = o.SecurityGroupID
					l.detail(StepDiscover, "no security group given: using the instance's own, %s", o.SecurityGroupID)
				}
			}
		}
		if ws.SubnetID == "" || ws.SecurityGroupID == "" {
			return &problem.Error{Kind: problem.Invalid, Op: "use the workspace IDs you gave",
				Message: "both a subnet and the workspace's security group are needed",
				Fix:     "pass --subnet and --workspace-sg (and optionally --vpc)" + l.vpcChoices(ctx, ws.VpcID)}
		}
		l.detail(StepDiscover, "using the IDs you gave: subnet %s, security group %s", ws.SubnetID, ws.SecurityGroupID)
	case st.Workspace.SubnetID != "" && st.Workspace.SecurityGroupID != "":
		source = "earlier"
		ws = st.Workspace
		l.detail(StepDiscover, "using the workspace found earlier in this run")
	default:
		if pw, ok := l.placeWorkspace(); ok {
			ws = pw
			l.detail(StepDiscover, "CloudShell VPC environment: its network interface %s (%s) in subnet %s, security groups %s",
				ws.ENIID, ws.PrivateIP, ws.SubnetID, strings.Join(ws.SecurityGroupIDs, ", "))
			break
		}
		if env, ok := l.Environment(); ok && !env.Kind.OnEC2() {
			return l.noWorkspace(ctx, env)
		}
		ws, err = l.cloud.DiscoverIMDS(ctx)
		if err != nil {
			return err
		}
		l.detail(StepDiscover, "instance metadata: interface %s, instance %s", ws.MAC, ws.InstanceID)
	}
	onEC2 := ws.OnEC2
	done, err := l.cloud.Complete(ctx, ws)
	if err != nil && problem.KindOf(err) == problem.NotFound && ws.OnEC2 && !explicit(l.cfg.Workspace) && st.Workspace.SubnetID != "" {
		// The workspace remembered from earlier is gone (a new instance, a
		// reset sandbox): ask the metadata service again.
		l.detail(StepDiscover, "the workspace found earlier no longer exists; asking the instance metadata service again")
		if ws, err = l.cloud.DiscoverIMDS(ctx); err != nil {
			return err
		}
		source = "imds"
		done, err = l.cloud.Complete(ctx, ws)
	}
	if err != nil {
		return err
	}
	ws = done
	ws.OnEC2 = onEC2
	if own != nil && source == "given" {
		if ws, err = l.besideInstance(ctx, ws, *own); err != nil {
			return err
		}
	}
	for _, c := range l.discoverCommands(source, ws) {
		l.command(StepDiscover, c)
	}
	rt := ws.RouteTableID
	if ws.RouteTableMain {
		rt += " (the VPC's main table: the subnet is only implicitly associated)"
	}
	l.detail(StepDiscover, "VPC %s (%s), subnet %s (%s), workspace security group %s, route table %s",
		ws.VpcID, ws.VpcCIDR, ws.SubnetID, ws.AZ, ws.SecurityGroupID, rt)
	if len(st.Endpoints) > 0 && st.Workspace.VpcID != "" && st.Workspace.VpcID != ws.VpcID {
		return &problem.Error{Kind: problem.Conflict, Op: "discover the workspace",
			Message: fmt.Sprintf("this run's endpoints are in %s, but the workspace is now %s", st.Workspace.VpcID, ws.VpcID),
			Fix:     "run 'down' to remove the earlier run's resources first"}
	}
	// The partition's names, from AWS: a service named otherwise (China's
	// cn.com.amazonaws.…) would otherwise be asked for in vain.
	names, err := l.cloud.ResolveNames(ctx, id.Account)
	if err != nil {
		return err
	}
	if names.Partition != "aws" {
		l.detail(StepDiscover, "partition %s: ARNs start arn:%s:, the ECR endpoint services are %s and %s, the registry is %s",
			names.Partition, names.Partition, l.cloud.ServiceName(EndpointDKR), l.cloud.ServiceName(EndpointAPI), l.cloud.RegistryHost(id.Account))
	}
	return l.update(func(s *State) {
		s.Account, s.Caller, s.Workspace = id.Account, id.ARN, ws
		s.Region = l.cloud.Region()
		s.Names = names
	})
}

// ownNetwork is the workspace's own network, found without the IDs the
// learner chose: a CloudShell VPC environment's interface, or the
// instance's metadata. ok is false where there is none (a laptop, public
// CloudShell) or it cannot be read.
func (l *Lab) ownNetwork(ctx context.Context) (awsops.Workspace, bool) {
	if pw, ok := l.placeWorkspace(); ok {
		return pw, true
	}
	if env, ok := l.Environment(); ok && !env.Kind.OnEC2() {
		return awsops.Workspace{}, false
	}
	ws, err := l.cloud.DiscoverIMDS(ctx)
	if err != nil || ws.SubnetID == "" {
		return awsops.Workspace{}, false
	}
	return ws, true
}

// besideInstance keeps, beside the IDs chosen by hand (ws, completed), the
// instance's own network: its ID, its groups (the ones the endpoints'
// security group must admit), its subnet, and, when the chosen subnet is
// another of its VPC, its subnet's route table, which the S3 gateway goes
// on. ChosenByHand names what differs.
func (l *Lab) besideInstance(ctx context.Context, ws, own awsops.Workspace) (awsops.Workspace, error) {
	ws.InstanceID, ws.MAC = own.InstanceID, own.MAC
	if own.ENIID != "" {
		ws.ENIID, ws.PrivateIP = own.ENIID, own.PrivateIP
	}
	ws.SecurityGroupIDs = slices.Clone(own.SecurityGroupIDs)
	if len(ws.SecurityGroupIDs) == 0 && own.SecurityGroupID != "" {
		ws.SecurityGroupIDs = []string{own.SecurityGroupID}
	}
	ws.ChosenByHand = nil
	if ws.VpcID != own.VpcID {
		ws.ChosenByHand = append(ws.ChosenByHand, "VPC")
	}
	if ws.SubnetID != own.SubnetID {
		ws.ChosenByHand = append(ws.ChosenByHand, "subnet")
	}
	if ws.SecurityGroupID != own.SecurityGroupID {
		ws.ChosenByHand = append(ws.ChosenByHand, "security group")
	}
	if len(ws.ChosenByHand) == 0 {
		// The IDs given are the instance's own.
		return ws, nil
	}
	ws.InstanceVpcID, ws.InstanceSubnetID, ws.InstanceAZ = own.VpcID, own.SubnetID, own.AZ
	if ws.InstanceAZ == "" || ws.Chosen("subnet") && ws.VpcID == own.VpcID {
		sn, err := l.cloud.Complete(ctx, awsops.Workspace{VpcID: own.VpcID, SubnetID: own.SubnetID, SecurityGroupID: own.SecurityGroupID,
			VpcCIDR: own.VpcCIDR, VpcCIDRs: own.VpcCIDRs})
		if err != nil {
			return ws, err
		}
		ws.InstanceAZ = sn.AZ
		if ws.Chosen("subnet") && ws.VpcID == own.VpcID {
			ws.InstanceRouteTableID, ws.InstanceRouteTableMain = sn.RouteTableID, sn.RouteTableMain
		}
	}
	l.detail(StepDiscover, "instance %s: subnet %s (%s), security groups %s; chosen by hand: %s",
		orWord(ws.InstanceID, "of this workspace"), own.SubnetID, ws.InstanceAZ, strings.Join(ws.SecurityGroupIDs, ", "), strings.Join(ws.ChosenByHand, ", "))
	return ws, nil
}

// orWord is s, or word when s is empty.
func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

func (l *Lab) checkDiscover(ctx context.Context) (CheckResult, error) {
	st := l.read()
	if st.Workspace.SubnetID == "" {
		return CheckResult{Message: "the workspace has not been discovered yet"}, nil
	}
	ws, err := l.cloud.Complete(ctx, st.Workspace)
	if err != nil {
		return CheckResult{Message: err.Error()}, err
	}
	return CheckResult{OK: true, Message: fmt.Sprintf("VPC %s, subnet %s, route table %s", ws.VpcID, ws.SubnetID, ws.RouteTableID)}, nil
}

// needWorkspace fails when discovery has not run.
func (l *Lab) needWorkspace() (State, error) {
	st := l.read()
	if st.Workspace.VpcID == "" || st.Account == "" {
		return st, &problem.Error{Kind: problem.NotReady, Op: "continue", Message: "the workspace has not been discovered yet",
			Fix: "run the discover step first ('up' runs every step in order)"}
	}
	return st, nil
}

// preflight runs the checks; fix says whether to apply the fixes the
// config allows.
func (l *Lab) preflight(ctx context.Context, fix bool) ([]CheckItem, error) {
	st, err := l.needWorkspace()
	if err != nil {
		return nil, err
	}
	ws := st.Workspace
	// The S3 gateway endpoint already on the route table, looked up once:
	// a local copy it refused needs its ID before its own check comes.
	var gw *s3Gateway
	gateway := func() (s3Gateway, error) {
		if gw == nil {
			g, err := l.s3GatewayItem(ctx, st)
			if err != nil {
				return g, err
			}
			gw = &g
		}
		return *gw, nil
	}
	var items []CheckItem
	add := func(it CheckItem) {
		items = append(items, it)
		if fix {
			l.emit(StepPreflight, Event{Kind: EventCheck, Check: &it})
		}
	}
	who := fmt.Sprintf("%s in %s", st.Caller, st.Region)
	if env, ok := l.Environment(); ok && env.Credentials {
		who += ", with " + env.Identity()
	}
	add(CheckItem{ID: "identity", Title: "Credentials and region", OK: true, Message: who})
	for _, it := range l.environmentItems() {
		add(it)
	}
	// IDs chosen by hand, against the instance's own network.
	for _, it := range chosenItems(ws) {
		add(it)
	}

	// VPC DNS attributes.
	sup, host, err := l.cloud.VPCDNS(ctx, ws.VpcID)
	if err != nil {
		return items, err
	}
	it := CheckItem{ID: "vpc-dns", Title: "VPC DNS support and host names", OK: sup && host}
	if !it.OK {
		it.Message = fmt.Sprintf("enableDnsSupport=%t, enableDnsHostnames=%t: private DNS for the endpoints needs both", sup, host)
		it.Fix, it.Action = "turn both on (pass --enable-vpc-dns, or press the fix key in the wizard)", FixEnableVPCDNS
		if fix && l.cfg.EnableVPCDNS {
			if err := l.enableVPCDNS(ctx, StepPreflight); err != nil {
				return items, err
			}
			it.OK, it.Message = true, "turned on enableDnsSupport and enableDnsHostnames"
		}
	} else {
		it.Message = "enableDnsSupport and enableDnsHostnames are on"
	}
	add(it)

	// Leftovers of another run of the lab in this VPC (a state file lost or
	// deleted): guessing whose they are could adopt, or leak, them.
	it, err = l.leftoversItem(ctx, st)
	if err != nil {
		return items, err
	}
	add(it)

	// Existing private-DNS ECR endpoints not ours.
	for _, key := range []string{EndpointDKR, EndpointAPI} {
		svc := l.cloud.ServiceName(key)
		eps, err := l.cloud.FindEndpoints(ctx, ws.VpcID, svc)
		if err != nil {
			return items, err
		}
		it := CheckItem{ID: "existing-" + key, Title: "No other " + key + " endpoint with private DNS", OK: true, Message: "none found"}
		for _, e := range eps {
			if e.Tags[TagKey] == st.RunID || (st.Endpoints[key] != nil && st.Endpoints[key].ID == e.ID) {
				it.Message = "this run's " + e.ID + " (" + e.State + ")"
				continue
			}
			if e.Tags[TagKey] != "" {
				continue // another run's: the leftovers item says what to do
			}
			if e.PrivateDNS {
				it.OK = false
				it.Message = fmt.Sprintf("%s (%s) already serves %s with private DNS; AWS allows one per VPC", e.ID, e.State, key)
				it.Fix, it.Action = "adopt it (pass --adopt): the lab will apply its policy to it and restore the old one on teardown", FixAdopt
				if l.cfg.Adopt {
					it.OK, it.Message = true, fmt.Sprintf("%s will be adopted (--adopt)", e.ID)
				}
			}
		}
		add(it)
	}

	// Services offered in the subnet's zone.
	names := []string{l.cloud.ServiceName(EndpointDKR), l.cloud.ServiceName(EndpointAPI), l.cloud.ServiceName(EndpointS3)}
	zones, err := l.cloud.ServiceZones(ctx, names...)
	if err != nil {
		return items, err
	}
	for _, n := range names[:2] {
		it := CheckItem{ID: "zone-" + awsops.ShortService(n), Title: awsops.ShortService(n) + " offered in " + ws.AZ, OK: slices.Contains(zones[n], ws.AZ)}
		if it.OK {
			it.Message = "yes"
		} else {
			it.Message = fmt.Sprintf("%s is offered in %s only", n, strings.Join(zones[n], ", "))
			it.Fix, it.Action = "choose a workspace subnet in one of those zones (--subnet)", FixWorkspace
		}
		add(it)
	}

	// The repository, with the tag the push copies.
	repo, err := l.cloud.DescribeRepository(ctx, l.cfg.Repo, l.cfg.SourceTag)
	var dropped *problem.Error
	if err != nil {
		// Endpoints already up (up run again) whose group lost its HTTPS
		// rule drop this call too: step 4 puts the rule back, so the
		// preflight warns and lets the lab go on to it.
		d, ok := problem.As(l.droppedByGroup(ctx, st, err))
		if !ok || d.Code != codeSGDrops {
			return items, err
		}
		dropped = d
	}
	if dropped != nil {
		add(CheckItem{ID: "repository", Title: "Repository " + l.cfg.Repo + " holds " + l.cfg.SourceTag, Warning: true,
			Message: "not checked: " + dropped.Message, Fix: "step 4 (Allow HTTPS from the workspace) adds the rule; the tests then reach the repository"})
	} else {
		it = CheckItem{ID: "repository", Title: "Repository " + l.cfg.Repo + " holds " + l.cfg.SourceTag, OK: repo.Exists && repo.HasTag}
		if !it.OK {
			if !repo.Exists {
				it.Message = "the repository does not exist (the workshop's earlier chapter creates it)"
			} else {
				it.Message = "the repository has no " + l.cfg.SourceTag + " tag to copy"
			}
			it.Fix, it.Action = "create it and push a small "+l.cfg.SourceTag+" (pass --create-repo), or use --repo", FixCreateRepo
			if fix && l.cfg.CreateRepo {
				if err := l.createRepository(ctx, StepPreflight); err != nil {
					return items, err
				}
				it.OK, it.Message = true, "created "+l.cfg.Repo+":"+l.cfg.SourceTag
			}
		} else {
			it.Message = repo.URI + ":" + l.cfg.SourceTag
		}
		add(it)
		if it.OK {
			// The image the push test pushes, copied while nothing refuses it.
			if it, err = l.localImageItem(ctx, fix, gateway); err != nil {
				return items, err
			}
			add(it)
		}
	}

	// A proxy in the environment would carry the registry's and the API's
	// requests around the endpoints.
	if it, ok := l.proxyItem(st); ok {
		add(it)
	}

	// An S3 gateway endpoint already on the route table is adopted, and
	// every layer download goes through it: its policy must allow ECR's
	// layer bucket. Otherwise the lab's own gateway's route goes into the
	// subnet's route table: when that is the VPC's main table, other
	// subnets get it too.
	if g, err := gateway(); err != nil {
		return items, err
	} else if g.ID != "" {
		add(g.Item)
	} else if it, ok, err := l.mainTableItem(ctx, st); err != nil {
		return items, err
	} else if ok {
		add(it)
	}

	// Permissions, with DryRun: the calls as the lab makes them, tags
	// included.
	sg := ""
	if st.SecurityGroup != nil {
		sg = st.SecurityGroup.ID
	}
	checks, err := l.cloud.DryRun(ctx, ws, sg, l.tags(l.cfg.GroupName))
	if err != nil {
		return items, err
	}
	for _, it := range permissionItems(checks, l.keepEncoded) {
		add(it)
	}

	// The auto-teardown's permissions (a warning when missing: the run
	// goes on with its expiry tags only).
	at, aerr := l.autoTeardownItem(ctx, l.read())
	if aerr != nil {
		return items, aerr
	}
	add(at)
	return items, nil
}

// chosenItems check the IDs chosen by hand against the instance's own
// network, when it is known. A VPC the instance is not in, or a workspace
// security group it is not in, fails: the endpoints' security group
// admits HTTPS from that group only, and so drops every connection of the
// instance. Another subnet of its VPC works, with a warning: where the
// endpoints get their addresses, what crossing zones costs, and which
// route table the S3 gateway goes on.
func chosenItems(ws awsops.Workspace) []CheckItem {
	if len(ws.ChosenByHand) == 0 {
		return nil
	}
	inst := "the instance"
	if ws.InstanceID != "" {
		inst = "instance " + ws.InstanceID
	}
	how := func(flag, id string) string {
		return fmt.Sprintf("%s %s (in the wizard, the fix key or e on the Workspace step)", flag, id)
	}
	var items []CheckItem
	if ws.Chosen("VPC") {
		items = append(items, CheckItem{ID: "workspace-vpc", Title: "The workspace is in VPC " + ws.VpcID, Action: FixWorkspace,
			Message: fmt.Sprintf("%s is in %s, not in %s (chosen by hand): endpoints there would not serve it", inst, ws.InstanceVpcID, ws.VpcID),
			Fix:     "choose the instance's VPC: " + how("--vpc", ws.InstanceVpcID)})
	}
	groups := strings.Join(ws.SecurityGroupIDs, ", ")
	if !ws.InGroup(ws.SecurityGroupID) {
		one := ws.SecurityGroupIDs[0]
		items = append(items, CheckItem{ID: "workspace-group", Title: "The workspace is in security group " + ws.SecurityGroupID, Action: FixWorkspace,
			Message: fmt.Sprintf("%s is in %s, not in %s (chosen by hand): the endpoints' security group would allow HTTPS from %s only, "+
				"and drop every connection of the instance", inst, groups, ws.SecurityGroupID, ws.SecurityGroupID),
			Fix: "choose the instance's group: " + how("--workspace-sg", one)})
	} else if ws.Chosen("security group") {
		items = append(items, CheckItem{ID: "workspace-group", Title: "The workspace is in security group " + ws.SecurityGroupID, OK: true,
			Message: fmt.Sprintf("%s is in %s (chosen by hand; its groups: %s)", inst, ws.SecurityGroupID, groups)})
	}
	if ws.Chosen("subnet") && !ws.Chosen("VPC") {
		msg := fmt.Sprintf("the endpoints get their addresses in %s (%s, chosen by hand), not in the instance's %s (%s): the whole VPC reaches them",
			ws.SubnetID, ws.AZ, ws.InstanceSubnetID, ws.InstanceAZ)
		if ws.AZ != ws.InstanceAZ {
			msg += ", but traffic across zones is billed per GB"
		}
		if rt, _, _ := ws.GatewayRouteTable(); rt != ws.RouteTableID {
			msg += fmt.Sprintf("; the S3 gateway goes on the instance's subnet's route table %s, not on %s of %s: the instance's layer downloads "+
				"would not take a gateway there", rt, ws.RouteTableID, ws.SubnetID)
		} else {
			msg += fmt.Sprintf("; the S3 gateway goes on route table %s, which both subnets use", rt)
		}
		items = append(items, CheckItem{ID: "workspace-subnet", Title: "Endpoints in another subnet than the instance's", Warning: true, Action: FixWorkspace,
			Message: msg,
			Fix:     "fine as it is; to put them beside the instance, choose its subnet: " + how("--subnet", ws.InstanceSubnetID)})
	}
	return items
}

// s3Gateway is an S3 gateway endpoint that already serves the workspace's
// route table (not this run's), and preflight's check of its policy; ID is
// "" when there is none.
type s3Gateway struct {
	ID   string
	Item CheckItem
}

// s3GatewayItem checks the policy of an S3 gateway endpoint that already
// serves the workspace's route table (not this run's): ECR's layers are
// downloaded from S3 through it, so it must allow s3:GetObject on
// arn:PARTITION:s3:::prod-REGION-starport-layer-bucket/* (ECR user guide,
// "Minimum Amazon S3 bucket permissions for Amazon ECR").
func (l *Lab) s3GatewayItem(ctx context.Context, st State) (s3Gateway, error) {
	ws := st.Workspace
	eps, err := l.cloud.FindEndpoints(ctx, ws.VpcID, l.cloud.ServiceName(EndpointS3))
	if err != nil {
		return s3Gateway{}, err
	}
	for _, e := range eps {
		if e.Tags[TagKey] == st.RunID || !slices.Contains(e.RouteTableIDs, gatewayTable(ws)) || e.Gone() {
			continue
		}
		it := CheckItem{ID: "s3-gateway", Title: "ECR's layers through the S3 gateway endpoint " + e.ID, OK: true,
			Message: "its policy allows s3:GetObject on ECR's layer bucket; the lab will use it and leave it in place"}
		bucket := l.cloud.LayerBucketARN()
		doc, perr := policy.Parse([]byte(orDefault(e.Policy)))
		if perr != nil {
			it.OK, it.Warning = false, true
			it.Message = fmt.Sprintf("its policy could not be read (%v)", perr)
			return s3Gateway{ID: e.ID, Item: it}, nil
		}
		principal := st.Caller
		if principal == "" {
			principal = policy.LabPrincipal(st.Account)
		}
		d := policy.Evaluate(doc, policy.Request{Action: "s3:GetObject", Resource: strings.TrimSuffix(bucket, "*") + "layer", Principal: principal})
		if !d.Allowed() {
			// A warning: the endpoints, DNS and the list test still work.
			it.OK, it.Warning = false, true
			it.Message = fmt.Sprintf("%s already serves route table %s (the lab adopts it), and its policy does not allow s3:GetObject on %s (%s): every layer download would be refused by S3",
				e.ID, gatewayTable(ws), bucket, d.Reason)
			fix, _ := l.cloud.RefusalFix(awsops.Outcome{By: awsops.ByS3Gateway, Action: "s3:GetObject"})
			it.Fix = strings.ReplaceAll(fix, awsops.S3GatewayIDPlaceholder, e.ID)
		}
		return s3Gateway{ID: e.ID, Item: it}, nil
	}
	return s3Gateway{}, nil
}

// orDefault is an endpoint policy, AWS's full-access default when empty.
func orDefault(doc string) string {
	if strings.TrimSpace(doc) == "" {
		return `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	}
	return doc
}

// mainTableItem warns, when the workspace's subnet has no route table of
// its own and the lab will create the S3 gateway, that the gateway's route
// goes into the VPC's main table and so serves every other subnet that has
// none either: their S3 traffic then takes the gateway, under its policy,
// and AWS warns that connections may be briefly interrupted as it is added
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html).
// ok is false when no other subnet is affected.
func (l *Lab) mainTableItem(ctx context.Context, st State) (CheckItem, bool, error) {
	ws := st.Workspace
	rt, main, own := ws.GatewayRouteTable()
	if !main || st.Endpoints[EndpointS3] != nil {
		return CheckItem{}, false, nil
	}
	subnets, err := l.cloud.ImplicitSubnets(ctx, ws.VpcID)
	if err != nil {
		return CheckItem{}, false, err
	}
	others := slices.DeleteFunc(subnets, func(s string) bool { return s == own })
	if len(others) == 0 {
		return CheckItem{}, false, nil
	}
	const most = 4
	named := strings.Join(others[:min(len(others), most)], ", ")
	if len(others) > most {
		named += fmt.Sprintf(" and %d more", len(others)-most)
	}
	subnetsUse := fmt.Sprintf("%d other subnets use", len(others))
	if len(others) == 1 {
		subnetsUse = "1 other subnet uses"
	}
	return CheckItem{ID: "main-route-table", Title: "The S3 gateway reaches other subnets too", OK: false, Warning: true,
		Message: fmt.Sprintf("its route goes into the VPC's main table %s, which %s too (%s): their S3 traffic takes the gateway as well until teardown, "+
			"and may drop for a moment as it is added", rt, subnetsUse, named),
		Fix: "fine as it is (the gateway allows everything); to keep it to this subnet, give the subnet a route table of its own " +
			"(" + l.commands().aws("ec2 create-route-table") + ", associate-route-table) and run up again"}, true, nil
}

// proxyItem warns when HTTPS_PROXY (not excepted by NO_PROXY) would send
// requests for the ECR host names through a proxy: they would then reach
// ECR from the proxy, not through the endpoints, and no endpoint policy
// would apply to them. ok is false when no proxy is set at all.
func (l *Lab) proxyItem(st State) (CheckItem, bool) {
	it := CheckItem{ID: "proxy", Title: "No proxy in the way of the endpoints", OK: true, Warning: true}
	var through []string
	proxy := ""
	for _, h := range l.cloud.LabHosts(st.Account) {
		if p := awsops.ProxyFor(h); p != "" {
			through, proxy = append(through, h), p
		}
	}
	if len(through) == 0 {
		if awsops.ProxyFor("example.com") == "" {
			return it, false
		}
		it.Message = "a proxy is set, but NO_PROXY keeps the ECR host names off it"
		return it, true
	}
	it.OK = false
	it.Message = fmt.Sprintf("the proxy %s (HTTPS_PROXY) would carry the requests for %s: they would reach ECR from the proxy, around the endpoints, "+
		"and no endpoint policy would apply to them", proxy, strings.Join(through, " and "))
	suffix := "." + policy.DNSSuffix(st.Region)
	it.Fix = "add " + suffix + " to NO_PROXY (export NO_PROXY=$NO_PROXY," + suffix + "), and to docker's own proxy settings if docker pushes"
	return it, true
}

// permissionItems turns the DryRun answers into preflight's lines: the
// calls refused as the lab makes them (an error, with AWS's reason and
// what to do), and those refused only on a stand-in (a warning: the lab's
// own resource may be allowed where the stand-in is not).
// keep is called on each refusal whose fix a line shows (Lab.keepEncoded).
func permissionItems(checks []awsops.PermissionCheck, keep func(error)) []CheckItem {
	it := CheckItem{ID: "permissions", Title: "Permission for the lab's EC2 calls (DryRun, with their tags)", OK: true,
		Message: "DryRun says every call would succeed"}
	warn := CheckItem{ID: "permissions-stand-in", Title: "Permission on resources the lab has not made yet", OK: true, Warning: true}
	var refused, standIn []string
	realWhy := map[string]bool{}
	for _, c := range checks {
		if c.Refused != nil && c.StandIn == "" && c.Why != "" {
			realWhy[c.Why] = true
		}
	}
	for _, c := range checks {
		if c.Refused == nil || c.StandIn != "" && realWhy[c.Why] {
			continue // (a stand-in refused for a reason already given)
		}
		what := c.Action
		if c.Why != "" {
			what += " (" + c.Why + ")"
		}
		if c.StandIn != "" {
			standIn = append(standIn, what+", tried on "+c.StandIn)
			if warn.Fix == "" {
				keep(c.Refused)
				warn.Fix = problem.FixOf(c.Refused) + "; if your role's policy allows these calls only on the lab's own resources (by their tags), this is fine"
			}
			continue
		}
		refused = append(refused, what)
		if it.Fix == "" {
			keep(c.Refused)
			it.Fix = problem.FixOf(c.Refused)
		}
	}
	if len(refused) > 0 {
		it.OK, it.Message = false, "refused: "+strings.Join(refused, "; ")
	}
	out := []CheckItem{it}
	if len(standIn) > 0 {
		warn.OK, warn.Message = false, "refused on a stand-in: "+strings.Join(standIn, "; ")
		out = append(out, warn)
	}
	return out
}

// leftoversItem looks in the workspace VPC for the lab's endpoints and
// security group tagged by another run than this one: what an earlier run
// left when its state file was lost. Up cannot tell whether they are still
// in use, so it refuses to guess and says how to clean up.
func (l *Lab) leftoversItem(ctx context.Context, st State) (CheckItem, error) {
	it := CheckItem{ID: "leftovers", Title: "No leftovers of another run", OK: true, Message: "none found"}
	eps, err := l.cloud.FindEndpoints(ctx, st.Workspace.VpcID, "")
	if err != nil {
		return it, err
	}
	var ids, runs []string
	for _, e := range eps {
		if r := e.Tags[TagKey]; r != "" && r != st.RunID {
			ids = append(ids, e.ID)
			if !slices.Contains(runs, r) {
				runs = append(runs, r)
			}
		}
	}
	g, err := l.cloud.FindSecurityGroup(ctx, st.Workspace.VpcID, l.cfg.GroupName)
	if err != nil {
		return it, err
	}
	if g != nil {
		if r := g.Tags[TagKey]; r != "" && r != st.RunID {
			ids = append(ids, g.ID)
			if !slices.Contains(runs, r) {
				runs = append(runs, r)
			}
		}
	}
	if len(ids) > 0 {
		it.OK = false
		it.Message = fmt.Sprintf("%s carry the %s tag of run %s, not of this run %s: an earlier run whose state file is gone",
			strings.Join(ids, ", "), TagKey, strings.Join(runs, ", "), st.RunID)
		it.Fix = "run '" + l.labCmd("down") + "' first (it finds an earlier run's resources by their tags; with several runs, 'down --all'), then 'up' again"
	}
	return it, nil
}

func (l *Lab) runPreflight(ctx context.Context) error {
	if err := l.settleExpiry(ctx, StepPreflight); err != nil {
		return err
	}
	items, err := l.preflight(ctx, true)
	if err != nil {
		return err
	}
	var bad []string
	var fix string
	kind := problem.Invalid
	for _, it := range items {
		if !it.OK && !it.Warning {
			bad = append(bad, it.Title+": "+it.Message)
			if fix == "" {
				fix, kind = it.Fix, checkKind(it.ID)
			}
		}
	}
	if len(bad) > 0 {
		return &problem.Error{Kind: kind, Op: "preflight", Message: strings.Join(bad, "; "), Fix: fix}
	}
	return nil
}

// checkKind is the kind of problem a failed preflight check is, for the
// label shown with its fix: a refused call is a missing permission, not
// a "not valid" setting.
func checkKind(id string) problem.Kind {
	if id == "permissions" {
		return problem.Permission
	}
	return problem.Invalid
}

func (l *Lab) checkPreflight(ctx context.Context) (CheckResult, error) {
	items, err := l.preflight(ctx, false)
	if err != nil {
		return CheckResult{Items: items, Message: err.Error()}, err
	}
	r := CheckResult{OK: true, Items: items, Message: "every check passed"}
	warnings := 0
	for _, it := range items {
		if !it.OK && !it.Warning {
			r.OK, r.Message = false, it.Title+": "+it.Message
			return r, nil
		}
		if !it.OK {
			warnings++
		}
	}
	// A warning is not a pass: the check names them, as the screen does.
	switch warnings {
	case 0:
	case 1:
		r.Message = "no check failed; 1 warning"
	default:
		r.Message = fmt.Sprintf("no check failed; %d warnings", warnings)
	}
	return r, nil
}

// EnableVPCDNS turns on the VPC's DNS attributes (a preflight fix).
func (l *Lab) EnableVPCDNS(ctx context.Context) error {
	l.op.Lock()
	defer l.op.Unlock()
	if _, err := l.needWorkspace(); err != nil {
		return err
	}
	return l.enableVPCDNS(ctx, StepPreflight)
}

// enableVPCDNS turns on the VPC's DNS attributes that are off, and
// records which it turned on (before turning them on: turning an
// attribute that stayed off back off changes nothing), so teardown can
// put them back as they were.
func (l *Lab) enableVPCDNS(ctx context.Context, s StepID) error {
	vpc := l.read().Workspace.VpcID
	fctx, cancel := finish(ctx)
	defer cancel()
	sup, host, err := l.cloud.VPCDNS(fctx, vpc)
	if err != nil {
		return err
	}
	change := VPCDNSChange{VpcID: vpc, Support: !sup, Hostnames: !host}
	if len(change.Names()) == 0 {
		return nil
	}
	if err := l.update(func(x *State) {
		if prev := x.VPCDNS; prev != nil && prev.VpcID == vpc {
			change.Support, change.Hostnames = change.Support || prev.Support, change.Hostnames || prev.Hostnames
		}
		x.VPCDNS = &change
	}); err != nil {
		return err
	}
	cmds, err := l.cloud.SetVPCDNS(fctx, vpc, true, !sup, !host)
	for _, c := range cmds {
		l.command(s, c)
	}
	if err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindVPCAttributes, ID: vpc, Name: strings.Join(change.Names(), ", "), State: ResModified,
		Detail: "turned on by the lab; teardown turns them back off"})
	return nil
}

// CreateRepository creates the lab repository and pushes a small SourceTag
// image (a preflight fix).
func (l *Lab) CreateRepository(ctx context.Context) error {
	l.op.Lock()
	defer l.op.Unlock()
	return l.createRepository(ctx, StepPreflight)
}

func (l *Lab) createRepository(ctx context.Context, s StepID) error {
	fctx, cancel := finish(ctx)
	defer cancel()
	cmd, err := l.cloud.CreateRepository(fctx, l.cfg.Repo)
	l.command(s, cmd)
	if err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindRepository, ID: l.cfg.Repo, State: ResCreated})
	cmds, err := l.cloud.SeedImage(fctx, l.cfg.Repo, l.cfg.SourceTag)
	for _, c := range cmds {
		l.command(s, c)
	}
	if err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindImageTag, ID: l.cfg.Repo + ":" + l.cfg.SourceTag, State: ResCreated})
	return nil
}

func (l *Lab) runSecurityGroup(ctx context.Context) error {
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	const s = StepSecurityGroup
	if r := st.SecurityGroup; r != nil {
		ok, err := l.cloud.SecurityGroupExists(ctx, r.ID)
		if err != nil {
			return err
		}
		if ok {
			l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResExists})
			return l.setEnv(map[string]string{VarSecurityGroup: r.ID})
		}
		if r.Created && l.cloud.Young(r.CreatedAt) {
			// Created moments ago: EC2's reads have not caught up. It is
			// there; creating another would make a second group.
			l.detail(s, "EC2 does not list %s yet (created %s ago; its reads lag its writes): keeping it", r.ID, l.cfg.Now().Sub(r.CreatedAt).Round(time.Second))
			l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResExists})
			return l.setEnv(map[string]string{VarSecurityGroup: r.ID})
		}
		l.detail(s, "the security group %s recorded earlier is gone; creating it again", r.ID)
	}
	g, err := l.cloud.FindSecurityGroup(ctx, st.Workspace.VpcID, l.cfg.GroupName)
	if err != nil {
		return err
	}
	if g != nil {
		ours := g.Tags[TagKey] == st.RunID
		state := ResAdopted
		if ours {
			state = ResExists
		}
		if err := l.update(func(x *State) {
			x.SecurityGroup = &Record{ID: g.ID, Name: g.Name, Created: ours}
		}); err != nil {
			return err
		}
		l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: g.ID, Name: g.Name, State: state,
			Detail: map[bool]string{true: "", false: "an existing group with this name; reused and left in place on teardown"}[ours]})
		return l.setEnv(map[string]string{VarSecurityGroup: g.ID})
	}
	if err := ctx.Err(); err != nil {
		return stopped(err)
	}
	since := l.cfg.Now()
	l.resource(s, ResourceEvent{Kind: KindSecurityGroup, Name: l.cfg.GroupName, State: ResCreating, Since: since})
	fctx, cancel := finish(ctx)
	defer cancel()
	g2, cmd, err := l.cloud.CreateSecurityGroup(fctx, st.Workspace.VpcID, l.cfg.GroupName, groupDescription, l.groupTags())
	l.command(s, cmd)
	if awsops.CodeOf(err) == "InvalidGroup.Duplicate" {
		// EC2 knows the name but its reads did not list the group: one
		// created moments ago (by an attempt cut short). Wait for the reads.
		if g, ferr := l.findGroupSettled(fctx, st, since); ferr == nil && g != nil && g.Tags[TagKey] == st.RunID {
			g2, err = *g, nil
		}
	}
	if err != nil {
		return err
	}
	if err := l.update(func(x *State) {
		x.SecurityGroup = &Record{ID: g2.ID, Name: g2.Name, Created: true, CreatedAt: l.cfg.Now()}
	}); err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindSecurityGroup, ID: g2.ID, Name: g2.Name, State: ResCreated, Since: since})
	return l.setEnv(map[string]string{VarSecurityGroup: g2.ID})
}

// findGroupSettled looks the lab's group up by name until EC2's reads list
// it (for at most the consistency window after since).
func (l *Lab) findGroupSettled(ctx context.Context, st State, since time.Time) (*awsops.SecurityGroup, error) {
	var g *awsops.SecurityGroup
	err := l.cloud.Settle(ctx, since, l.onLag(StepSecurityGroup, l.cfg.GroupName, since), func() error {
		var err error
		if g, err = l.cloud.FindSecurityGroup(ctx, st.Workspace.VpcID, l.cfg.GroupName); err == nil && g == nil {
			return &problem.Error{Kind: problem.NotFound, Code: "InvalidGroup.NotFound", Message: "not listed yet"}
		}
		return err
	})
	return g, err
}

func (l *Lab) checkSecurityGroup(ctx context.Context) (CheckResult, error) {
	st := l.read()
	if st.SecurityGroup == nil {
		return CheckResult{Message: "no security group yet"}, nil
	}
	ok, err := l.cloud.SecurityGroupExists(ctx, st.SecurityGroup.ID)
	if err != nil {
		return CheckResult{Message: err.Error()}, err
	}
	if !ok && st.SecurityGroup.Created && l.cloud.Young(st.SecurityGroup.CreatedAt) {
		return CheckResult{OK: true, Message: st.SecurityGroup.ID + " was created moments ago; EC2 does not list it yet"}, nil
	}
	if !ok {
		return CheckResult{Message: st.SecurityGroup.ID + " no longer exists"}, nil
	}
	return CheckResult{OK: true, Message: st.SecurityGroup.ID + " exists"}, nil
}

func (l *Lab) undoSecurityGroup(ctx context.Context) error {
	st := l.read()
	r := st.SecurityGroup
	if r == nil {
		return nil
	}
	if !r.Created {
		l.resource(StepSecurityGroup, ResourceEvent{Kind: KindSecurityGroup, ID: r.ID, Name: r.Name, State: ResKept, Detail: "not created by the lab"})
	} else if err := l.deleteGroup(ctx, StepSecurityGroup, r); err != nil {
		return err
	}
	if err := l.update(func(x *State) { x.SecurityGroup = nil }); err != nil {
		return err
	}
	return l.unsetEnv(VarSecurityGroup)
}

func (l *Lab) runIngress(ctx context.Context) error {
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	const s = StepIngress
	if st.SecurityGroup == nil {
		return &problem.Error{Kind: problem.NotReady, Op: "add the ingress rule", Message: "the endpoints' security group does not exist yet",
			Fix: "run the security group step first"}
	}
	sg, src := st.SecurityGroup.ID, st.Workspace.SecurityGroupID
	existing, err := l.cloud.FindIngressRule(ctx, sg, src)
	if err != nil {
		return err
	}
	if existing != nil {
		created := existing.Tags[TagKey] == st.RunID || (st.Rule != nil && st.Rule.ID == existing.ID && st.Rule.Created)
		if err := l.update(func(x *State) { x.Rule = &Record{ID: existing.ID, Name: "tcp/443", Created: created} }); err != nil {
			return err
		}
		l.resource(s, ResourceEvent{Kind: KindIngressRule, ID: existing.ID, Name: "tcp/443", State: ResExists})
		return l.setEnv(map[string]string{VarRule: existing.ID})
	}
	if err := ctx.Err(); err != nil {
		return stopped(err)
	}
	since := l.cfg.Now()
	fctx, cancel := finish(ctx)
	defer cancel()
	// Right after CreateSecurityGroup, EC2 may not know the group yet.
	var rule awsops.Rule
	var cmd awsops.Command
	err = l.cloud.Settle(fctx, st.SecurityGroup.CreatedAt, l.onLag(s, sg, st.SecurityGroup.CreatedAt), func() error {
		var err error
		rule, cmd, err = l.cloud.AuthorizeIngress(fctx, sg, src, l.tags(ruleName))
		return err
	})
	l.command(s, cmd)
	if err != nil {
		return err
	}
	if err := l.update(func(x *State) {
		x.Rule = &Record{ID: rule.ID, Name: "tcp/443", Created: !rule.Existed || rule.Tags[TagKey] == st.RunID, CreatedAt: l.cfg.Now()}
	}); err != nil {
		return err
	}
	l.resource(s, ResourceEvent{Kind: KindIngressRule, ID: rule.ID, Name: "tcp/443", State: ResCreated, Since: since})
	return l.setEnv(map[string]string{VarRule: rule.ID})
}

func (l *Lab) checkIngress(ctx context.Context) (CheckResult, error) {
	st := l.read()
	if st.SecurityGroup == nil || st.Rule == nil {
		return CheckResult{Message: "no ingress rule yet"}, nil
	}
	r, err := l.cloud.FindIngressRule(ctx, st.SecurityGroup.ID, st.Workspace.SecurityGroupID)
	if err != nil {
		return CheckResult{Message: err.Error()}, err
	}
	if r == nil {
		return CheckResult{Message: "the rule allowing tcp/443 from the workspace is missing"}, nil
	}
	return CheckResult{OK: true, Message: r.ID + " allows tcp/443 from " + st.Workspace.SecurityGroupID}, nil
}

func (l *Lab) undoIngress(ctx context.Context) error {
	st := l.read()
	if st.Rule == nil || st.SecurityGroup == nil {
		return nil
	}
	if st.Rule.Created {
		fctx, cancel := finish(ctx)
		defer cancel()
		l.resource(StepIngress, ResourceEvent{Kind: KindIngressRule, ID: st.Rule.ID, State: ResDeleting, Since: l.cfg.Now()})
		cmd, err := l.cloud.RevokeIngress(fctx, st.SecurityGroup.ID, st.Rule.ID, st.SecurityGroup.CreatedAt)
		l.command(StepIngress, cmd)
		if err != nil {
			return err
		}
		l.resource(StepIngress, ResourceEvent{Kind: KindIngressRule, ID: st.Rule.ID, State: ResDeleted})
	}
	if err := l.update(func(x *State) { x.Rule = nil }); err != nil {
		return err
	}
	return l.unsetEnv(VarRule)
}

func (l *Lab) runPolicy(ctx context.Context) error {
	st, err := l.needWorkspace()
	if err != nil {
		return err
	}
	doc, err := l.buildPolicy(st)
	if err != nil {
		return &problem.Error{Kind: problem.Invalid, Op: "build the endpoint policy", Message: err.Error(), Fix: "check --deny and --repo"}
	}
	if err := l.lintPolicy(doc); err != nil {
		return err
	}
	canon := doc.Canonical()
	if err := l.update(func(x *State) {
		x.Policy = canon
		if x.PolicyTarget == "" {
			x.PolicyTarget = l.cfg.Target
		}
	}); err != nil {
		return err
	}
	l.detail(StepPolicy, "%s", string(canon))
	for _, op := range []string{"push", "pull", "list-images"} {
		sim, err := policy.Simulate(doc, op, l.cfg.Repo, st.Account, st.Region)
		if err != nil {
			continue
		}
		switch last := sim.Actions[len(sim.Actions)-1]; {
		case sim.Decision == policy.ResultAllow:
			l.detail(StepPolicy, "%s on %s: allowed", op, l.cfg.Repo)
		case last.Statement != "":
			l.detail(StepPolicy, "%s on %s: denied at %s by %s", op, l.cfg.Repo, last.Action, last.Statement)
		default:
			l.detail(StepPolicy, "%s on %s: denied at %s (no statement allows it)", op, l.cfg.Repo, last.Action)
		}
	}
	return nil
}

// lintPolicy refuses a policy AWS would reject.
func (l *Lab) lintPolicy(doc *policy.Document) error {
	st := l.read()
	src := doc.Canonical()
	fs := policy.LintWith(src, policy.LintOptions{Account: st.Account, Region: st.Region, Repository: l.cfg.Repo})
	if policy.HasErrors(fs) {
		var msgs []string
		fix := ""
		for _, f := range fs {
			if f.Severity == policy.SeverityError {
				msgs = append(msgs, f.Message)
				if fix == "" {
					fix = f.Fix
				}
			}
		}
		return &problem.Error{Kind: problem.Invalid, Op: "check the endpoint policy", Message: strings.Join(msgs, "; "),
			Fix: "fix the policy (see 'ecr-vpce-lab policy check FILE'): " + fix}
	}
	return nil
}

func (l *Lab) checkPolicy(context.Context) (CheckResult, error) {
	st := l.read()
	if len(st.Policy) == 0 {
		return CheckResult{Message: "no policy chosen yet"}, nil
	}
	doc, err := policy.Parse(st.Policy)
	if err != nil {
		return CheckResult{Message: err.Error()}, nil
	}
	if err := l.lintPolicy(doc); err != nil {
		return CheckResult{Message: err.Error()}, nil
	}
	return CheckResult{OK: true, Message: "the policy is valid; target: " + string(st.PolicyTarget)}, nil
}

func (l *Lab) undoPolicy(context.Context) error {
	return l.update(func(x *State) { x.Policy = nil })
}

// setEnv records lab variables in ~/.ecr_security and the state.
func (l *Lab) setEnv(vars map[string]string) error {
	l.envMu.Lock()
	defer l.envMu.Unlock()
	st := l.read()
	w, err := l.envFile(st).Set(st.RunID, vars)
	if err != nil {
		return envProblem("write "+l.env.Path, err, "check that "+l.env.Path+" is writable")
	}
	if w.Target.Outside && !l.envNoted {
		l.envNoted = true
		l.detail(envStep(vars), "%s is a link to %s, outside your home directory: the lab's export lines are written there", l.env.Path, w.Target.Path)
	}
	return l.update(func(x *State) {
		if x.EnvVars == nil {
			x.EnvVars = map[string]string{}
		}
		for k, v := range vars {
			x.EnvVars[k] = v
		}
		x.EnvFileCreated = x.EnvFileCreated || w.Created
	})
}

// envFile is ~/.ecr_security as the run st knows it.
func (l *Lab) envFile(st State) EnvFile {
	f := l.env
	f.CreatedByLab = st.EnvFileCreated
	return f
}

// envProblem turns a failure to use ~/.ecr_security into a problem with
// its fix (a pipe or a device there has its own).
func envProblem(op string, err error, fix string) error {
	var ee *EnvFileError
	if errors.As(err, &ee) {
		fix = ee.Fix()
	}
	return &problem.Error{Kind: problem.Local, Op: op, Message: err.Error(), Err: err, Fix: fix}
}

// envStep is the step whose variables vars are, for its events.
func envStep(vars map[string]string) StepID {
	switch {
	case vars[VarSecurityGroup] != "":
		return StepSecurityGroup
	case vars[VarRule] != "":
		return StepIngress
	}
	return StepEndpoints
}

// unsetEnv removes this run's lines for names from ~/.ecr_security.
func (l *Lab) unsetEnv(names ...string) error {
	l.envMu.Lock()
	defer l.envMu.Unlock()
	st := l.read()
	if _, err := l.envFile(st).RemoveVars(st.RunID, names...); err != nil {
		return envProblem("clean "+l.env.Path, err, "remove the lines ending in '"+envMarker+st.RunID+"' by hand")
	}
	return l.update(func(x *State) {
		for _, n := range names {
			delete(x.EnvVars, n)
		}
	})
}
