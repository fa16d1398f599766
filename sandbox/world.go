package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// worldVersion is bumped whenever the saved format changes incompatibly.
const worldVersion = 1

// world is the whole account: everything the sandbox knows, saved as JSON.
// Time-dependent states (pending → available, deleting → deleted, ENI release)
// are not stored as states but as due times, and derived on read from the
// clock, so no background goroutine is needed and a restart continues where
// the previous process stopped.
type world struct {
	Version int    `json:"version"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Kind names the world's row in the table of worlds ("" is the
	// default, Cloud9, as every world saved before there were several).
	Kind string `json:"kind,omitempty"`
	// WorkspaceENIID is the network interface the tool's traffic leaves
	// from when it is not the instance's (a CloudShell VPC environment's).
	WorkspaceENIID string `json:"workspaceEniId,omitempty"`
	// ContainerToken is what the container-credentials endpoint asks for
	// (AWS_CONTAINER_AUTHORIZATION_TOKEN) in worlds that have one.
	ContainerToken string      `json:"containerToken,omitempty"`
	Credentials    Credentials `json:"credentials"`
	// RoleCredentials are the instance role's temporary keys, as IMDS hands
	// them to the workspace's SDKs.
	RoleCredentials Credentials `json:"roleCredentials"`
	// OtherCredentials are the keys of the partner account's CI role
	// (principals.go).
	OtherCredentials Credentials `json:"otherCredentials"`
	Seq              uint64      `json:"seq"`
	Created          time.Time   `json:"created"`

	Identity identity `json:"identity"`
	Instance instance `json:"instance"`

	VPCs         []*vpc           `json:"vpcs"`
	Subnets      []*subnet        `json:"subnets"`
	RouteTables  []*routeTable    `json:"routeTables"`
	Groups       []*securityGroup `json:"securityGroups"`
	Rules        []*sgRule        `json:"securityGroupRules"`
	Endpoints    []*vpcEndpoint   `json:"vpcEndpoints"`
	ENIs         []*eni           `json:"networkInterfaces"`
	Tags         map[string][]tag `json:"tags"`
	ClientTokens map[string]token `json:"clientTokens"`
	// GoneGroups are deleted groups reads still list (Timing.ReadLag).
	GoneGroups []*goneGroup `json:"goneGroups,omitempty"`

	Images imageData `json:"images"`

	// Roles are the account's IAM roles (iam.go; kept in the world of the
	// account's first region), Schedules EventBridge Scheduler's
	// schedules (scheduler.go), Invocations what the schedules did
	// (fire.go).
	Roles []*iamRole `json:"roles,omitempty"`
	// ClockOffset is how far the sandbox's clock was moved ahead of the
	// wall clock (clock.go).
	ClockOffset time.Duration `json:"clockOffset,omitempty"`
	Schedules   []*schedule   `json:"schedules,omitempty"`
	Invocations []Invocation  `json:"invocations,omitempty"`
}

// Credentials are dummy access keys the sandbox accepts. SessionToken is set
// for the temporary keys of the instance role (served by IMDS).
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
}

type identity struct {
	RoleName  string `json:"roleName"`
	RoleID    string `json:"roleId"`
	ProfileID string `json:"instanceProfileId"`
}

type instance struct {
	ID           string    `json:"id"`
	ImageID      string    `json:"imageId"`
	InstanceType string    `json:"instanceType"`
	LaunchTime   time.Time `json:"launchTime"`
	ENIID        string    `json:"eniId"`
}

type vpc struct {
	ID                string `json:"id"`
	CIDR              string `json:"cidr"`
	CIDRAssociationID string `json:"cidrAssociationId"`
	// Secondary are the CIDR blocks associated with the VPC after the
	// primary one.
	Secondary          []cidrBlock `json:"secondaryCidrs,omitempty"`
	DhcpOptionsID      string      `json:"dhcpOptionsId"`
	EnableDNSSupport   bool        `json:"enableDnsSupport"`
	EnableDNSHostnames bool        `json:"enableDnsHostnames"`
	EnableNAUMetrics   bool        `json:"enableNetworkAddressUsageMetrics"`
}

// cidrBlock is one of a VPC's secondary IPv4 CIDR blocks.
type cidrBlock struct {
	AssociationID string `json:"associationId"`
	CIDR          string `json:"cidr"`
}

// cidrs lists the VPC's IPv4 CIDR blocks, the primary one first.
func (v *vpc) cidrs() []string {
	out := []string{v.CIDR}
	for _, b := range v.Secondary {
		out = append(out, b.CIDR)
	}
	return out
}

type subnet struct {
	ID       string `json:"id"`
	VpcID    string `json:"vpcId"`
	CIDR     string `json:"cidr"`
	AZ       string `json:"az"`
	AZID     string `json:"azId"`
	NextHost int    `json:"nextHost"`
	PublicIP bool   `json:"mapPublicIpOnLaunch"`
}

type routeTable struct {
	ID           string    `json:"id"`
	VpcID        string    `json:"vpcId"`
	Main         bool      `json:"main"`
	MainAssocID  string    `json:"mainAssociationId"`
	Associations []rtAssoc `json:"associations"`
	Routes       []route   `json:"routes"`
}

type rtAssoc struct {
	ID       string `json:"id"`
	SubnetID string `json:"subnetId"`
}

type route struct {
	DestinationCIDR       string `json:"destinationCidr,omitempty"`
	DestinationPrefixList string `json:"destinationPrefixList,omitempty"`
	GatewayID             string `json:"gatewayId"`
	Origin                string `json:"origin"`
}

type securityGroup struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	VpcID       string `json:"vpcId"`
	// SeenFrom is when EC2's reads start to know the group (Timing.ReadLag):
	// until then the calls that name it answer InvalidGroup.NotFound.
	SeenFrom time.Time `json:"seenFrom,omitzero"`
}

// goneGroup is a deleted security group that reads still list until Until
// (Timing.ReadLag).
type goneGroup struct {
	Group securityGroup `json:"group"`
	Tags  []tag         `json:"tags,omitempty"`
	Until time.Time     `json:"until"`
}

type sgRule struct {
	ID          string `json:"id"`
	GroupID     string `json:"groupId"`
	Egress      bool   `json:"egress"`
	Protocol    string `json:"protocol"`
	FromPort    int    `json:"fromPort"`
	ToPort      int    `json:"toPort"`
	CIDRv4      string `json:"cidrIpv4,omitempty"`
	RefGroupID  string `json:"referencedGroupId,omitempty"`
	Description string `json:"description,omitempty"`
}

type vpcEndpoint struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"` // Interface or Gateway
	VpcID         string    `json:"vpcId"`
	ServiceName   string    `json:"serviceName"`
	Policy        string    `json:"policy"`
	RouteTableIDs []string  `json:"routeTableIds,omitempty"`
	SubnetIDs     []string  `json:"subnetIds,omitempty"`
	GroupIDs      []string  `json:"groupIds,omitempty"`
	PrivateDNS    bool      `json:"privateDns"`
	ENIIDs        []string  `json:"eniIds,omitempty"`
	DNSLabel      string    `json:"dnsLabel"`
	CreatedAt     time.Time `json:"createdAt"`
	AvailableAt   time.Time `json:"availableAt"`
	// DNSSwitchAt is when private DNS starts answering (part 2).
	DNSSwitchAt time.Time `json:"dnsSwitchAt"`
	// DeleteRequested is when DeleteVpcEndpoints was called (zero: never).
	DeleteRequested time.Time `json:"deleteRequested"`
	DeletedAt       time.Time `json:"deletedAt"`
	// GoneAt is when the deleted endpoint disappears from Describe and its
	// network interfaces are released.
	GoneAt time.Time `json:"goneAt"`
	// FailedReason makes the endpoint end in the failed state (fault seam).
	FailedReason string `json:"failedReason,omitempty"`
	// SeenFrom is when EC2's reads start to know the endpoint; until
	// SeenDeletedAt they show it as it was before DeleteVpcEndpoints
	// (Timing.ReadLag).
	SeenFrom      time.Time `json:"seenFrom,omitzero"`
	SeenDeletedAt time.Time `json:"seenDeletedAt,omitzero"`
	// PolicyFrom is when Policy starts to be enforced; until then
	// PriorPolicy is (Timing.PolicyPropagation).
	PriorPolicy string    `json:"priorPolicy,omitempty"`
	PolicyFrom  time.Time `json:"policyFrom,omitzero"`
}

type eni struct {
	ID               string    `json:"id"`
	SubnetID         string    `json:"subnetId"`
	VpcID            string    `json:"vpcId"`
	AZ               string    `json:"az"`
	IP               string    `json:"ip"`
	MAC              string    `json:"mac"`
	GroupIDs         []string  `json:"groupIds"`
	Description      string    `json:"description"`
	InterfaceType    string    `json:"interfaceType"`
	RequesterManaged bool      `json:"requesterManaged"`
	RequesterID      string    `json:"requesterId,omitempty"`
	InstanceID       string    `json:"instanceId,omitempty"`
	AttachmentID     string    `json:"attachmentId,omitempty"`
	AttachTime       time.Time `json:"attachTime"`
	EndpointID       string    `json:"endpointId,omitempty"`
	// ReleaseAt: the interface is gone from this time on (zero: never).
	ReleaseAt time.Time `json:"releaseAt"`
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type token struct {
	Action     string `json:"action"`
	ParamsHash string `json:"paramsHash"`
	ResourceID string `json:"resourceId"`
}

// Endpoint states as the wire spells them.
const (
	statePending   = "pending"
	stateAvailable = "available"
	stateDeleting  = "deleting"
	stateDeleted   = "deleted"
	stateFailed    = "failed"
)

// state derives the endpoint's state at now.
func (e *vpcEndpoint) state(now time.Time) string {
	switch {
	case !e.DeleteRequested.IsZero() && now.Before(e.DeletedAt):
		return stateDeleting
	case !e.DeleteRequested.IsZero():
		return stateDeleted
	case now.Before(e.AvailableAt):
		return statePending
	case e.FailedReason != "":
		return stateFailed
	}
	return stateAvailable
}

// visible reports whether the endpoint exists at now (deleted ones exist,
// in the deleted state, until GoneAt).
func (e *vpcEndpoint) visible(now time.Time) bool {
	return e.DeleteRequested.IsZero() || now.Before(e.GoneAt)
}

// seen reports whether EC2's reads show the endpoint at now: from SeenFrom,
// and until it is gone or, later, until reads learn of its deletion.
func (e *vpcEndpoint) seen(now time.Time) bool {
	if now.Before(e.SeenFrom) {
		return false
	}
	return e.visible(now) || now.Before(e.SeenDeletedAt)
}

// seenState is the state reads show at now: the state before the delete
// while reads have not learnt of it yet.
func (e *vpcEndpoint) seenState(now time.Time) string {
	if !e.DeleteRequested.IsZero() && now.Before(e.SeenDeletedAt) {
		before := *e
		before.DeleteRequested = time.Time{}
		return before.state(now)
	}
	return e.state(now)
}

// enforced is the policy requests are judged by at now.
func (e *vpcEndpoint) enforced(now time.Time) string {
	if now.Before(e.PolicyFrom) {
		return e.PriorPolicy
	}
	return e.Policy
}

// seen reports whether EC2's reads know the group at now.
func (g *securityGroup) seen(now time.Time) bool { return !now.Before(g.SeenFrom) }

// live reports whether the interface still exists at now.
func (n *eni) live(now time.Time) bool {
	return n.ReleaseAt.IsZero() || now.Before(n.ReleaseAt)
}

// id makes a new AWS-looking identifier: prefix, dash, 17 hex digits. Ids are
// derived from the world's sequence so a world is reproducible, yet look random.
func (w *world) id(prefix string) string {
	w.Seq++
	return prefix + "-" + w.hex(prefix, 17)
}

func (w *world) hex(salt string, n int) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], w.Seq)
	sum := sha256.Sum256([]byte(w.Account + "/" + w.Region + "/" + salt + "/" + string(b[:]) + w.Created.String()))
	return hex.EncodeToString(sum[:])[:n]
}

func (w *world) upperAlnum(salt string, n int) string {
	w.Seq++
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d/%s", w.Account, salt, w.Seq, w.Created)))
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(alphabet[int(sum[i%len(sum)]+byte(i/len(sum)))%len(alphabet)])
	}
	return sb.String()
}

// keyPair derives an access key (prefix: AKIA for long-term keys, ASIA for
// temporary ones) and its secret from the world; the salts keep each pair
// of the world apart.
func (w *world) keyPair(prefix, keySalt, secretSalt string) Credentials {
	return Credentials{
		AccessKeyID:     prefix + w.upperAlnum(keySalt, 16),
		SecretAccessKey: w.hex(secretSalt+"-1", 20) + w.hex(secretSalt+"-2", 20),
	}
}

func (w *world) mac() string {
	w.Seq++
	h := w.hex("mac", 10)
	// 02: locally administered, as EC2 does for ENIs in VPCs.
	return "02:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10]
}

// azID maps an AZ name to an AZ id the way AWS spells them: us-west-2a →
// usw2-az1, eu-central-1a → euc1-az1, ap-southeast-2a → apse2-az1.
// (Which physical zone a letter maps to differs per account in AWS; here it
// is simply the letter's position.)
func azID(region, az string) string {
	parts := strings.Split(region, "-")
	short := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		switch p {
		case "northeast", "northwest", "southeast", "southwest":
			short += p[:1] + p[5:6]
		default:
			short += p[:1]
		}
	}
	short += parts[len(parts)-1]
	n := int(az[len(az)-1]-'a') + 1
	return fmt.Sprintf("%s-az%d", short, n)
}

// newWorld builds the lab's starting point: the account a Cloud9 workspace
// lives in, before the learner has done anything.
func newWorld(account, region string, now time.Time, images func(*world) imageData) *world {
	now = now.UTC().Truncate(time.Second)
	w := &world{
		Version:      worldVersion,
		Account:      account,
		Region:       region,
		Created:      now,
		Tags:         map[string][]tag{},
		ClientTokens: map[string]token{},
	}
	w.Credentials = w.keyPair("AKIA", "access-key", "secret")
	w.Identity = identity{RoleName: "ecr-vpce-lab-workspace", RoleID: "AROA" + w.upperAlnum("role", 17), ProfileID: "AIPA" + w.upperAlnum("profile", 17)}
	w.ensureRoleCredentials()
	w.ensureOtherCredentials()

	v := &vpc{
		ID: w.id("vpc"), CIDR: "10.0.0.0/16", CIDRAssociationID: w.id("vpc-cidr-assoc"),
		DhcpOptionsID: w.id("dopt"), EnableDNSSupport: true, EnableDNSHostnames: true,
	}
	w.VPCs = append(w.VPCs, v)
	for i, az := range []string{region + "a", region + "b"} {
		w.Subnets = append(w.Subnets, &subnet{
			ID: w.id("subnet"), VpcID: v.ID, CIDR: fmt.Sprintf("10.0.%d.0/24", i*16),
			AZ: az, AZID: azID(region, az), NextHost: 10, PublicIP: true,
		})
	}
	igw := w.id("igw")
	rt := &routeTable{
		ID: w.id("rtb"), VpcID: v.ID, Main: true, MainAssocID: w.id("rtbassoc"),
		Routes: []route{
			{DestinationCIDR: v.CIDR, GatewayID: "local", Origin: "CreateRouteTable"},
			{DestinationCIDR: "0.0.0.0/0", GatewayID: igw, Origin: "CreateRoute"},
		},
	}
	w.RouteTables = append(w.RouteTables, rt)

	def := &securityGroup{ID: w.id("sg"), Name: "default", Description: "default VPC security group", VpcID: v.ID}
	ws := &securityGroup{
		ID: w.id("sg"), Name: "aws-cloud9-ecr-vpce-lab-workspace-" + w.hex("c9", 32)[:32] + "-InstanceSecurityGroup-" + w.upperAlnum("c9sg", 12),
		Description: "Security group for AWS Cloud9 environment aws-cloud9-ecr-vpce-lab-workspace", VpcID: v.ID,
	}
	w.Groups = append(w.Groups, def, ws)
	w.Rules = append(w.Rules,
		&sgRule{ID: w.id("sgr"), GroupID: def.ID, Protocol: "-1", FromPort: -1, ToPort: -1, RefGroupID: def.ID},
		&sgRule{ID: w.id("sgr"), GroupID: def.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"},
		&sgRule{ID: w.id("sgr"), GroupID: ws.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"},
	)

	w.Instance = instance{
		ID: w.id("i"), ImageID: w.id("ami"), InstanceType: "t3.small", LaunchTime: now.Add(-time.Hour),
	}
	sn := w.Subnets[0]
	ip, _ := w.allocIP(sn, now)
	n := &eni{
		ID: w.id("eni"), SubnetID: sn.ID, VpcID: v.ID, AZ: sn.AZ, IP: ip, MAC: w.mac(),
		GroupIDs: []string{ws.ID}, InterfaceType: "interface", InstanceID: w.Instance.ID,
		AttachmentID: w.id("eni-attach"), AttachTime: w.Instance.LaunchTime,
	}
	w.ENIs = append(w.ENIs, n)
	w.Instance.ENIID = n.ID
	w.Tags[w.Instance.ID] = []tag{{"Name", "aws-cloud9-ecr-vpce-lab-workspace"}}
	w.Tags[v.ID] = []tag{{"Name", "ecr-vpce-lab"}}

	if images != nil {
		w.Images = images(w)
	}
	return w
}

// ensureRoleCredentials makes the instance role's temporary keys (also for
// worlds saved before they existed).
func (w *world) ensureRoleCredentials() bool {
	if w.RoleCredentials.AccessKeyID != "" {
		return false
	}
	w.RoleCredentials = w.keyPair("ASIA", "role-key", "role-secret")
	var tok strings.Builder
	for i := 0; tok.Len() < 300; i++ {
		tok.WriteString(w.hex(fmt.Sprintf("role-token-%d", i), 64))
	}
	w.RoleCredentials.SessionToken = "IQoJb3JpZ2luX2VjE" + tok.String()[:300]
	return true
}

// allocIP hands out a free address of a subnet: the next one after the last
// handed out, skipping the five AWS reserves (network, router, DNS, future,
// broadcast) and addresses of live interfaces; false when the subnet is full.
func (w *world) allocIP(s *subnet, now time.Time) (string, bool) {
	p := netip.MustParsePrefix(s.CIDR)
	size := 1 << (32 - p.Bits())
	used := w.usedIPs(s, now)
	for i := 0; i < size; i++ {
		host := s.NextHost + i
		if host >= size-1 {
			host = 4 + (host-(size-1))%(size-5)
		}
		if host < 4 || host >= size-1 {
			continue
		}
		ip := hostAddr(p, host)
		if !used[ip] {
			s.NextHost = host + 1
			return ip, true
		}
	}
	return "", false
}

func hostAddr(p netip.Prefix, host int) string {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(host)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

func (w *world) usedIPs(s *subnet, now time.Time) map[string]bool {
	used := map[string]bool{}
	for _, n := range w.ENIs {
		if n.SubnetID == s.ID && n.live(now) {
			used[n.IP] = true
		}
	}
	return used
}

// freeIPs counts the addresses a subnet can still hand out.
func (w *world) freeIPs(s *subnet, now time.Time) int {
	p := netip.MustParsePrefix(s.CIDR)
	return (1 << (32 - p.Bits())) - 5 - len(w.usedIPs(s, now))
}

// Lookups.

// firstOf is the first of items that match says is the one, or nil.
func firstOf[T any](items []*T, match func(*T) bool) *T {
	if i := slices.IndexFunc(items, match); i >= 0 {
		return items[i]
	}
	return nil
}

func (w *world) vpc(id string) *vpc {
	return firstOf(w.VPCs, func(v *vpc) bool { return v.ID == id })
}

func (w *world) subnet(id string) *subnet {
	return firstOf(w.Subnets, func(s *subnet) bool { return s.ID == id })
}

func (w *world) routeTable(id string) *routeTable {
	return firstOf(w.RouteTables, func(r *routeTable) bool { return r.ID == id })
}

func (w *world) group(id string) *securityGroup {
	return firstOf(w.Groups, func(g *securityGroup) bool { return g.ID == id })
}

func (w *world) groupByName(vpcID, name string) *securityGroup {
	return firstOf(w.Groups, func(g *securityGroup) bool { return g.Name == name && (vpcID == "" || g.VpcID == vpcID) })
}

func (w *world) endpoint(id string, now time.Time) *vpcEndpoint {
	return firstOf(w.Endpoints, func(e *vpcEndpoint) bool { return e.ID == id && e.visible(now) })
}

func (w *world) eni(id string) *eni {
	return firstOf(w.ENIs, func(n *eni) bool { return n.ID == id })
}

func (w *world) defaultGroup(vpcID string) *securityGroup { return w.groupByName(vpcID, "default") }

// instanceENI is the workspace instance's primary network interface (what
// its metadata service describes).
func (w *world) instanceENI() *eni { return w.eni(w.Instance.ENIID) }

// def is the world's row in the table of worlds.
func (w *world) def() WorldDef {
	d, err := WorldByName(w.Kind)
	if err != nil {
		d, _ = WorldByName(DefaultWorld)
	}
	return d
}

// workspaceENI is the network interface the tool's traffic leaves from:
// the instance's, CloudShell's, or none when the tool runs outside every
// VPC of the account (public CloudShell, a laptop).
func (w *world) workspaceENI() *eni {
	switch w.def().Vantage {
	case VantageOutside:
		return nil
	case VantageCloudShellENI:
		return w.eni(w.WorkspaceENIID)
	}
	return w.instanceENI()
}

// callerARN is the identity the workspace's credentials belong to: the
// instance role's session on EC2, the console role in CloudShell (a
// workshop's participant role), an IAM user on a laptop.
func (w *world) callerARN() string {
	switch w.def().Credentials {
	case CredentialsContainer:
		return w.arn("sts", "", w.Account+":assumed-role/WSParticipantRole/Participant")
	case CredentialsProfile:
		return w.arn("iam", "", w.Account+":user/workshop-learner")
	}
	return w.arn("sts", "", fmt.Sprintf("%s:assumed-role/%s/%s", w.Account, w.Identity.RoleName, w.Instance.ID))
}

// callerUserID is GetCallerIdentity's UserId for callerARN.
func (w *world) callerUserID() string {
	switch w.def().Credentials {
	case CredentialsContainer:
		return "AROA" + strings.Repeat("PARTICIPANT", 2)[:17] + ":Participant"
	case CredentialsProfile:
		return "AIDA" + strings.Repeat("WORKSHOPLEARNER", 2)[:17]
	}
	return w.Identity.RoleID + ":" + w.Instance.ID
}

// prune drops what has ceased to exist by now. It mutates, so callers hold
// the world lock and save afterwards when it reports a change.
func (w *world) prune(now time.Time) bool {
	changed := false
	eps := w.Endpoints[:0]
	for _, e := range w.Endpoints {
		if e.visible(now) || now.Before(e.SeenDeletedAt) {
			eps = append(eps, e)
		} else {
			changed = true
		}
	}
	w.Endpoints = eps
	enis := w.ENIs[:0]
	for _, n := range w.ENIs {
		if n.live(now) {
			enis = append(enis, n)
		} else {
			delete(w.Tags, n.ID)
			changed = true
		}
	}
	w.ENIs = enis
	gone := w.GoneGroups[:0]
	for _, g := range w.GoneGroups {
		if now.Before(g.Until) {
			gone = append(gone, g)
		} else {
			changed = true
		}
	}
	w.GoneGroups = gone
	return changed
}

func (w *world) tagsOf(id string) []tag { return w.Tags[id] }

func (w *world) setTags(id string, tags []tag) {
	cur := w.Tags[id]
	for _, t := range tags {
		replaced := false
		for i := range cur {
			if cur[i].Key == t.Key {
				cur[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			cur = append(cur, t)
		}
	}
	if len(cur) > 0 {
		w.Tags[id] = cur
	}
}

// s3PrefixList is the id of the S3 managed prefix list of the region (the real
// one for us-west-2, a stable made-up one elsewhere).
func (w *world) s3PrefixList() string {
	if w.Region == "us-west-2" {
		return "pl-68a54001"
	}
	sum := sha256.Sum256([]byte("s3/" + w.Region))
	return "pl-" + hex.EncodeToString(sum[:])[:8]
}
