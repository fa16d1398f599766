package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Worlds: the places a workshop runs in, each as the lab's tool sees it from
// inside. A world is one row of the table below: what the instance metadata
// service does from where the tool runs, where the SDK finds credentials,
// which network interface the tool's traffic leaves from, what the
// environment exports, and how the account looks. Start shapes a new world
// from its row; the row's name is saved with the world, so every later
// command serves the same place. A new kind of place is one more row (and,
// when it needs one, a shape function); nothing else has to change.
//
// Sources for what each place offers: /work/briefing/research/aws-14-15.md
// sections G (IMDS, hop limit) and H (CloudShell, the VS Code workshop IDE).

// World names.
const (
	WorldCloud9        = "cloud9"
	WorldVSCodeEC2     = "vscode-ec2"
	WorldContainer     = "container"
	WorldCloudShellVPC = "cloudshell-vpc"
	WorldCloudShell    = "cloudshell"
	WorldLaptop        = "laptop"
	// Issue 15's: real accounts the lab must not misread.
	WorldSecondaryCIDR = "secondary-cidr"
	WorldAWSUSGov      = "aws-us-gov"
	WorldAWSCN         = "aws-cn"
)

// DefaultWorld is the world of a state directory that names none (worlds
// saved before there were several were all this one).
const DefaultWorld = WorldCloud9

// Metadata is the instance metadata service as the tool sees it.
type Metadata struct {
	// Present: the tool can reach a metadata service at all.
	Present bool `json:"present"`
	// V2Required: HttpTokens=required, so requests without a token get 401.
	V2Required bool `json:"v2Required,omitempty"`
	// TokenPutBlocked: the answer to the token PUT never arrives, as from a
	// container behind a bridge when HttpPutResponseHopLimit is 1 (the PUT's
	// answer expires on the extra hop; GETs are not limited). [research G.2]
	TokenPutBlocked bool `json:"tokenPutBlocked,omitempty"`
}

// CredentialSource is where the tool's SDK finds credentials in a world.
type CredentialSource string

// Credential sources.
const (
	// CredentialsInstanceRole: the instance role, from the metadata service.
	CredentialsInstanceRole CredentialSource = "instance-role"
	// CredentialsContainer: a container-credentials endpoint
	// (AWS_CONTAINER_CREDENTIALS_FULL_URI with
	// AWS_CONTAINER_AUTHORIZATION_TOKEN), as CloudShell has. [research H.2]
	CredentialsContainer CredentialSource = "container"
	// CredentialsProfile: a profile in shared config and credentials files.
	CredentialsProfile CredentialSource = "profile"
)

// Vantage is where the tool's traffic comes from.
type Vantage string

// Vantages.
const (
	// VantageInstance: the workspace instance's primary interface.
	VantageInstance Vantage = "instance"
	// VantageCloudShellENI: the network interface CloudShell made in the
	// subnet the learner chose (tagged ManagedByCloudShell). [research H.1]
	VantageCloudShellENI Vantage = "cloudshell-eni"
	// VantageOutside: not from any VPC of the account (public CloudShell, a
	// laptop): private DNS and the endpoints' policies never apply to it.
	VantageOutside Vantage = "outside"
)

// WorldDef is one kind of place a workshop runs in.
type WorldDef struct {
	Name string
	// Title says what the place is, in a few words (under 60 characters).
	Title string
	// Outcome is what the lab does there, in a sentence (for --help, the
	// sandbox's banner and the tests that check it).
	Outcome     string
	Metadata    Metadata
	Credentials CredentialSource
	Vantage     Vantage
	// InContainer: the tool runs in a container on the workspace instance.
	InContainer bool
	// Env is what the place exports to every shell, besides the sandbox's
	// own addresses; ${REGION} stands for the world's region.
	Env []EnvVar
	// Region is the region the place is in ("": any, us-west-2 unless
	// --region says otherwise): the partitions' worlds are in theirs.
	Region string
	// shape turns the base world (a Cloud9 instance in its VPC) into this
	// place; nil keeps it.
	shape func(w *world, now time.Time)
}

// worldDefs is the table of worlds.
var worldDefs = []WorldDef{
	{
		Name: WorldCloud9, Title: "Cloud9: EC2, IMDSv1 and v2, an instance role",
		Outcome:  "discovers the workspace through the metadata service; every step and proof runs",
		Metadata: Metadata{Present: true}, Credentials: CredentialsInstanceRole, Vantage: VantageInstance,
		Env: cloud9Env,
	},
	{
		Name: WorldVSCodeEC2, Title: "VS Code server on EC2: IMDSv2 only, the IDE's own VPC",
		Outcome:  "discovers the workspace through IMDSv2 in the IDE's VPC (a public subnet with its own route table); every step and proof runs",
		Metadata: Metadata{Present: true, V2Required: true}, Credentials: CredentialsInstanceRole, Vantage: VantageInstance,
		// code-server exports VSCODE_PROXY_URI to its terminals; VS Code's
		// terminals set TERM_PROGRAM=vscode; the workshop exports AWS_REGION.
		Env: []EnvVar{{"AWS_REGION", "${REGION}"}, {"TERM_PROGRAM", "vscode"},
			{"VSCODE_PROXY_URI", "https://d1x2y3z4example.cloudfront.net/proxy/{{port}}/"}},
		shape: shapeVSCodeEC2,
	},
	{
		Name: WorldContainer, Title: "a container on EC2 with metadata hop limit 1",
		Outcome:  "the token PUT times out, the metadata service is read with IMDSv1 instead and the hop-limit fix is shown; every step and proof runs",
		Metadata: Metadata{Present: true, TokenPutBlocked: true}, Credentials: CredentialsInstanceRole, Vantage: VantageInstance,
		InContainer: true,
		Env:         []EnvVar{{"HOSTNAME", "3f4e2a1b9c8d"}},
		shape:       shapeContainerHost,
	},
	{
		Name: WorldCloudShellVPC, Title: "CloudShell VPC environment: its interface in your subnet",
		Outcome:  "finds its network interface (tagged ManagedByCloudShell) and so the VPC, subnet and groups; every step and proof runs",
		Metadata: Metadata{}, Credentials: CredentialsContainer, Vantage: VantageCloudShellENI,
		Env:   cloudShellEnv,
		shape: shapeCloudShellVPC,
	},
	{
		Name: WorldCloudShell, Title: "public CloudShell: outside every VPC of yours",
		Outcome:  outsideOutcome,
		Metadata: Metadata{}, Credentials: CredentialsContainer, Vantage: VantageOutside,
		Env: cloudShellEnv,
	},
	{
		Name: WorldSecondaryCIDR, Title: "Cloud9 in a subnet of the VPC's secondary CIDR block",
		Outcome: "the workspace's subnet lies in 100.64.0.0/16, a block added to the VPC after 10.0.0.0/16: an address is private when it is the endpoint's own, " +
			"whatever block it is in; every step and proof runs",
		Metadata: Metadata{Present: true}, Credentials: CredentialsInstanceRole, Vantage: VantageInstance,
		Env:   cloud9Env,
		shape: shapeSecondaryCIDR,
	},
	{
		Name: WorldAWSUSGov, Title: "an EC2 workspace in AWS GovCloud (US-West)",
		Outcome: "the partition is aws-us-gov: ARNs start arn:aws-us-gov:, so the policy's Deny must name the repository that way to refuse the push; " +
			"every step and proof runs",
		Region:   "us-gov-west-1",
		Metadata: Metadata{Present: true, V2Required: true}, Credentials: CredentialsInstanceRole, Vantage: VantageInstance,
		Env:   []EnvVar{{"AWS_REGION", "${REGION}"}},
		shape: shapeEC2Workspace,
	},
	{
		Name: WorldAWSCN, Title: "an EC2 workspace in AWS China (Beijing)",
		Outcome: "the partition is aws-cn: ARNs start arn:aws-cn:, host names end in amazonaws.com.cn and the ECR endpoint services are " +
			"cn.com.amazonaws.cn-north-1.ecr.dkr and .ecr.api; every step and proof runs",
		Region:   "cn-north-1",
		Metadata: Metadata{Present: true, V2Required: true}, Credentials: CredentialsInstanceRole, Vantage: VantageInstance,
		Env:   []EnvVar{{"AWS_REGION", "${REGION}"}},
		shape: shapeEC2Workspace,
	},
	{
		Name: WorldLaptop, Title: "a laptop: a profile, outside every VPC of yours",
		Outcome:  outsideOutcome,
		Metadata: Metadata{}, Credentials: CredentialsProfile, Vantage: VantageOutside,
	},
}

// cloud9Env is what Cloud9 exports to its terminals (the tool's sign of
// Cloud9).
var cloud9Env = []EnvVar{{"C9_USER", "ec2-user"}, {"C9_PROJECT", "ecr-vpce-lab-workspace"}}

// outsideOutcome is what happens in a place outside every VPC of the
// learner's (public CloudShell, a laptop).
const outsideOutcome = "no workspace to discover: you choose the VPC; the DNS step and the proofs are skipped, because they can only be observed from inside the VPC"

// cloudShellEnv is what CloudShell exports (the container-credentials pair
// is added by the sandbox). AWS_EXECUTION_ENV comes from CloudShell's default
// ~/.bashrc. [research H.2]
var cloudShellEnv = []EnvVar{{"AWS_EXECUTION_ENV", "CloudShell"}, {"AWS_REGION", "${REGION}"}, {"AWS_DEFAULT_REGION", "${REGION}"}}

// WorldNames lists the worlds, in the table's order.
func WorldNames() []string {
	out := make([]string, 0, len(worldDefs))
	for _, d := range worldDefs {
		out = append(out, d.Name)
	}
	return out
}

// WorldByName returns a world's definition ("" is the default world).
func WorldByName(name string) (WorldDef, error) {
	if name == "" {
		name = DefaultWorld
	}
	for _, d := range worldDefs {
		if strings.EqualFold(d.Name, name) {
			return d, nil
		}
	}
	return WorldDef{}, fmt.Errorf("unknown world %q (want one of %s)", name, strings.Join(WorldNames(), ", "))
}

// shapeVSCodeEC2 moves the workspace into a VPC of the IDE's own, as the
// workshop's CloudFormation template makes one: a public subnet with a route
// table of its own (0.0.0.0/0 to an internet gateway), a private one on the
// VPC's main table, and the instance's security group. The first VPC stays,
// as the account's other VPC. [research H.4]
func shapeVSCodeEC2(w *world, now time.Time) {
	old := w.instanceENI()
	v := &vpc{ID: w.id("vpc"), CIDR: "10.100.0.0/16", CIDRAssociationID: w.id("vpc-cidr-assoc"), DhcpOptionsID: w.VPCs[0].DhcpOptionsID,
		EnableDNSSupport: true, EnableDNSHostnames: true}
	w.VPCs = append(w.VPCs, v)
	w.Tags[v.ID] = []tag{{"Name", "VSCodeServer VPC"}}
	pub := &subnet{ID: w.id("subnet"), VpcID: v.ID, CIDR: "10.100.0.0/24", AZ: w.Region + "a", AZID: azID(w.Region, w.Region+"a"), NextHost: 10, PublicIP: true}
	priv := &subnet{ID: w.id("subnet"), VpcID: v.ID, CIDR: "10.100.16.0/24", AZ: w.Region + "b", AZID: azID(w.Region, w.Region+"b"), NextHost: 10}
	w.Subnets = append(w.Subnets, pub, priv)
	w.Tags[pub.ID] = []tag{{"Name", "VSCodeServer Public Subnet"}}
	w.Tags[priv.ID] = []tag{{"Name", "VSCodeServer Private Subnet"}}
	mainRT := &routeTable{ID: w.id("rtb"), VpcID: v.ID, Main: true, MainAssocID: w.id("rtbassoc"),
		Routes: []route{{DestinationCIDR: v.CIDR, GatewayID: "local", Origin: "CreateRouteTable"}}}
	pubRT := &routeTable{ID: w.id("rtb"), VpcID: v.ID, Associations: []rtAssoc{{ID: w.id("rtbassoc"), SubnetID: pub.ID}},
		Routes: []route{{DestinationCIDR: v.CIDR, GatewayID: "local", Origin: "CreateRouteTable"},
			{DestinationCIDR: "0.0.0.0/0", GatewayID: w.id("igw"), Origin: "CreateRoute"}}}
	w.RouteTables = append(w.RouteTables, mainRT, pubRT)
	w.Tags[pubRT.ID] = []tag{{"Name", "VSCodeServer Public Routes"}}
	def := &securityGroup{ID: w.id("sg"), Name: "default", Description: "default VPC security group", VpcID: v.ID}
	sg := &securityGroup{ID: w.id("sg"), Name: "VSCodeServer-SecurityGroup-" + w.upperAlnum("vscode-sg", 12),
		Description: "Allow HTTP from CloudFront to the VS Code server", VpcID: v.ID}
	w.Groups = append(w.Groups, def, sg)
	w.Rules = append(w.Rules,
		&sgRule{ID: w.id("sgr"), GroupID: def.ID, Protocol: "-1", FromPort: -1, ToPort: -1, RefGroupID: def.ID},
		&sgRule{ID: w.id("sgr"), GroupID: def.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"},
		&sgRule{ID: w.id("sgr"), GroupID: sg.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"},
	)
	// The instance's interface moves to the public subnet; the Cloud9 group
	// it had goes with the old interface.
	ip, _ := w.allocIP(pub, now)
	n := &eni{ID: w.id("eni"), SubnetID: pub.ID, VpcID: v.ID, AZ: pub.AZ, IP: ip, MAC: w.mac(), GroupIDs: []string{sg.ID},
		InterfaceType: "interface", InstanceID: w.Instance.ID, AttachmentID: w.id("eni-attach"), AttachTime: w.Instance.LaunchTime}
	w.removeENI(old.ID)
	w.removeGroup(old.GroupIDs[0])
	w.ENIs = append(w.ENIs, n)
	w.Instance.ENIID = n.ID
	w.Instance.InstanceType = "t3.medium"
	w.Tags[w.Instance.ID] = []tag{{"Name", "VSCodeServer"}}
}

// shapeSecondaryCIDR associates a secondary CIDR block with the workspace's
// VPC (100.64.0.0/16, from the shared address space many VPCs extend into)
// and moves the workspace into a subnet of it, implicitly associated with
// the main route table, which routes the new block locally. What the
// metadata service calls the VPC's CIDR (vpc-ipv4-cidr-block) stays the
// primary 10.0.0.0/16; vpc-ipv4-cidr-blocks lists both.
// [https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html]
func shapeSecondaryCIDR(w *world, now time.Time) {
	old := w.instanceENI()
	v := w.vpc(old.VpcID)
	block := cidrBlock{AssociationID: w.id("vpc-cidr-assoc"), CIDR: "100.64.0.0/16"}
	v.Secondary = append(v.Secondary, block)
	for _, rt := range w.RouteTables {
		if rt.VpcID == v.ID {
			rt.Routes = append(rt.Routes, route{DestinationCIDR: block.CIDR, GatewayID: "local", Origin: "CreateRouteTable"})
		}
	}
	sn := &subnet{ID: w.id("subnet"), VpcID: v.ID, CIDR: "100.64.0.0/24", AZ: w.Region + "a", AZID: azID(w.Region, w.Region+"a"), NextHost: 10}
	w.Subnets = append(w.Subnets, sn)
	w.Tags[sn.ID] = []tag{{"Name", "workspace (secondary CIDR)"}}
	ip, _ := w.allocIP(sn, now)
	n := &eni{ID: w.id("eni"), SubnetID: sn.ID, VpcID: v.ID, AZ: sn.AZ, IP: ip, MAC: w.mac(), GroupIDs: old.GroupIDs,
		InterfaceType: "interface", InstanceID: w.Instance.ID, AttachmentID: w.id("eni-attach"), AttachTime: w.Instance.LaunchTime}
	w.removeENI(old.ID)
	w.ENIs = append(w.ENIs, n)
	w.Instance.ENIID = n.ID
}

// shapeEC2Workspace makes the instance a plain EC2 workspace (Cloud9 is
// not offered in every partition): its security group is the workshop's.
func shapeEC2Workspace(w *world, _ time.Time) {
	n := w.instanceENI()
	if g := w.group(n.GroupIDs[0]); g != nil {
		g.Name, g.Description = "workshop-workspace", "Workshop workspace instance"
	}
	w.Tags[w.Instance.ID] = []tag{{"Name", "workshop-workspace"}}
}

// shapeContainerHost makes the instance a plain EC2 workshop instance (not
// Cloud9) that runs the learner's container.
func shapeContainerHost(w *world, _ time.Time) {
	n := w.instanceENI()
	if g := w.group(n.GroupIDs[0]); g != nil {
		g.Name, g.Description = "workshop-instance", "Workshop instance (runs the learner's containers)"
	}
	w.Tags[w.Instance.ID] = []tag{{"Name", "workshop-docker-host"}}
}

// shapeCloudShellVPC adds the network interface of a CloudShell VPC
// environment: in the VPC's second subnet (the one the learner chose), with
// a security group of the learner's, tagged ManagedByCloudShell with an
// empty value, attached to no instance of the account. [research H.1]
func shapeCloudShellVPC(w *world, now time.Time) {
	base := w.instanceENI()
	var sn *subnet
	for _, s := range w.Subnets {
		if s.VpcID == base.VpcID && s.ID != base.SubnetID {
			sn = s
			break
		}
	}
	if sn == nil {
		sn = w.subnet(base.SubnetID)
	}
	g := &securityGroup{ID: w.id("sg"), Name: "cloudshell-vpc-env", Description: "CloudShell VPC environment (chosen by the learner)", VpcID: base.VpcID}
	w.Groups = append(w.Groups, g)
	w.Rules = append(w.Rules, &sgRule{ID: w.id("sgr"), GroupID: g.ID, Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"})
	ip, _ := w.allocIP(sn, now)
	n := &eni{ID: w.id("eni"), SubnetID: sn.ID, VpcID: sn.VpcID, AZ: sn.AZ, IP: ip, MAC: w.mac(), GroupIDs: []string{g.ID},
		Description: "CloudShell VPC environment ecr-vpce-lab", InterfaceType: "interface"}
	w.ENIs = append(w.ENIs, n)
	w.Tags[n.ID] = []tag{{"ManagedByCloudShell", ""}}
	w.WorkspaceENIID = n.ID
}

// removeENI and removeGroup drop a resource a shape replaces.
func (w *world) removeENI(id string) {
	out := w.ENIs[:0]
	for _, n := range w.ENIs {
		if n.ID != id {
			out = append(out, n)
		}
	}
	w.ENIs = out
	delete(w.Tags, id)
}

func (w *world) removeGroup(id string) {
	gs := w.Groups[:0]
	for _, g := range w.Groups {
		if g.ID != id {
			gs = append(gs, g)
		}
	}
	w.Groups = gs
	rs := w.Rules[:0]
	for _, r := range w.Rules {
		if r.GroupID != id {
			rs = append(rs, r)
		}
	}
	w.Rules = rs
	delete(w.Tags, id)
}

// View is what a program running in the world's workspace sees: the
// environment's variables, its network interfaces, whether it is in a
// container, the metadata service (if it can reach one) and where its
// credentials come from. The lab's commands detect the environment from a
// View exactly as they do from the real machine.
type View struct {
	World string `json:"world"`
	// Env are the variables the place exports (CloudShell's, the IDE's),
	// with the container-credentials pair where there is one.
	Env []EnvVar `json:"env"`
	// IMDSEndpoint is the metadata service's base URL; "" when the
	// workspace has none.
	IMDSEndpoint string `json:"imdsEndpoint,omitempty"`
	// Links are the workspace's network interfaces as `ip -o link` prints them.
	Links []string `json:"links"`
	// Addrs are its IPv4 addresses.
	Addrs []string `json:"addrs"`
	// ContainerEvidence names what shows the tool runs in a container
	// ("/.dockerenv exists"), "" when it does not.
	ContainerEvidence string `json:"containerEvidence,omitempty"`
	// Credentials is where the SDK finds credentials.
	Credentials CredentialSource `json:"credentials"`
	// Profile, for CredentialsProfile: the profile and its files.
	Profile *ProfileFiles `json:"profile,omitempty"`
}

// ProfileFiles are shared config and credentials files holding one profile.
type ProfileFiles struct {
	Name            string `json:"name"`
	ConfigFile      string `json:"configFile"`
	CredentialsFile string `json:"credentialsFile"`
}

// Getenv reads a variable of the view's environment.
func (v View) Getenv(name string) string {
	for _, e := range v.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// World is the definition of the world being served.
func (s *Sandbox) World() WorldDef { return s.def }

// ContainerCredentialsPath is where the sandbox serves container
// credentials, on the metadata listener, as CloudShell serves them on
// localhost:1338. [research H.2]
const ContainerCredentialsPath = "/latest/meta-data/container/security-credentials"

// View returns what the tool sees from the world's workspace.
func (s *Sandbox) View() View {
	d := s.def
	v := View{World: d.Name, Credentials: d.Credentials, Links: []string{"1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"}}
	for _, e := range d.Env {
		v.Env = append(v.Env, EnvVar{e.Name, strings.ReplaceAll(e.Value, "${REGION}", s.opts.Region)})
	}
	if d.Metadata.Present {
		v.IMDSEndpoint = s.imdsURL
	}
	if d.InContainer {
		v.ContainerEvidence = "/.dockerenv exists"
	}
	var ifName, mac, ip, eniID string
	s.read(func(w *world) {
		switch d.Vantage {
		case VantageInstance:
			if n := w.instanceENI(); n != nil {
				ifName, mac, ip = "ens5", n.MAC, n.IP
				if d.InContainer {
					// A container sees its bridge address, not the instance's.
					ifName, mac, ip = "eth0", "02:42:ac:11:00:02", "172.17.0.2"
				}
			}
		case VantageCloudShellENI:
			if n := w.workspaceENI(); n != nil {
				ifName, mac, ip, eniID = "ens5", n.MAC, n.IP, n.ID
			}
		case VantageOutside:
			if d.Credentials == CredentialsContainer {
				// CloudShell's own network, in none of the account's VPCs.
				ifName, mac, ip = "eth0", "0a:58:0a:84:32:70", "10.132.50.112"
			} else {
				ifName, mac, ip = "wlan0", "3c:22:fb:1a:2b:3c", "192.168.1.23"
			}
		}
		if d.Credentials == CredentialsContainer {
			v.Env = append(v.Env, EnvVar{"AWS_CONTAINER_CREDENTIALS_FULL_URI", s.imdsURL + ContainerCredentialsPath},
				EnvVar{"AWS_CONTAINER_AUTHORIZATION_TOKEN", w.ContainerToken})
		}
	})
	if ifName != "" {
		link := fmt.Sprintf("2: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000\\    link/ether %s brd ff:ff:ff:ff:ff:ff", ifName, mac)
		if eniID != "" {
			// amazon-ec2-net-utils names an EC2 interface by its ENI id too
			// (the observation; no AWS page states it). [research H.1]
			link += "\\    altname device-number-0.0\\    altname " + eniID
		}
		v.Links = append(v.Links, link)
		v.Addrs = []string{ip}
	}
	v.Profile = s.profile
	return v
}

// writeProfile writes the laptop world's shared config and credentials
// files: in the state directory, or a temporary directory for a world in
// memory (removed on Close).
func (s *Sandbox) writeProfile() error {
	dir := filepath.Join(s.opts.StateDir, "aws")
	if s.opts.StateDir == "" {
		dir = filepath.Join(s.tempDir, "aws")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	c := s.Credentials()
	p := &ProfileFiles{Name: "workshop", ConfigFile: filepath.Join(dir, "config"), CredentialsFile: filepath.Join(dir, "credentials")}
	if err := writeFileAtomic(p.ConfigFile, []byte("[profile workshop]\nregion = "+s.opts.Region+"\n"), 0o600); err != nil {
		return err
	}
	creds := "[workshop]\naws_access_key_id = " + c.AccessKeyID + "\naws_secret_access_key = " + c.SecretAccessKey + "\n"
	if err := writeFileAtomic(p.CredentialsFile, []byte(creds), 0o600); err != nil {
		return err
	}
	s.profile = p
	return nil
}

// newContainerToken is the secret the container-credentials endpoint asks
// for (AWS_CONTAINER_AUTHORIZATION_TOKEN); CloudShell makes a new one per
// environment start.
func newContainerToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
