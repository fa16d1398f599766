package awsops

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/problem"
)

// EnvKind is the kind of place the lab runs in.
type EnvKind string

// The places the lab tells apart.
const (
	EnvCloud9        EnvKind = "cloud9"
	EnvVSCodeEC2     EnvKind = "vscode-ec2"
	EnvContainer     EnvKind = "container"
	EnvEC2           EnvKind = "ec2"
	EnvCloudShellVPC EnvKind = "cloudshell-vpc"
	EnvCloudShell    EnvKind = "cloudshell"
	EnvLaptop        EnvKind = "laptop"
)

var envTitles = map[EnvKind]string{
	EnvCloud9:        "AWS Cloud9",
	EnvVSCodeEC2:     "a VS Code server on EC2",
	EnvContainer:     "a container on EC2",
	EnvEC2:           "an EC2 instance",
	EnvCloudShellVPC: "a CloudShell VPC environment",
	EnvCloudShell:    "public CloudShell",
	EnvLaptop:        "a laptop or other machine outside AWS",
}

// Title names the place in a few words ("a VS Code server on EC2").
func (k EnvKind) Title() string {
	if t, ok := envTitles[k]; ok {
		return t
	}
	return string(k)
}

// OnEC2 reports whether the lab runs on an EC2 instance (or in a container
// on one).
func (k EnvKind) OnEC2() bool {
	switch k {
	case EnvCloud9, EnvVSCodeEC2, EnvContainer, EnvEC2:
		return true
	}
	return false
}

// Outside reports whether the lab's traffic comes from outside every VPC
// of the account, where private DNS and the endpoints' policies cannot be
// observed.
func (k EnvKind) Outside() bool { return k == EnvCloudShell || k == EnvLaptop }

// Signals are what detection looks at besides the metadata service: the
// environment's variables, the network interfaces as `ip -o link` prints
// them, the IPv4 addresses, and what shows a container. HostSignals reads
// this machine's; the sandbox supplies a world's.
type Signals struct {
	Getenv            func(string) string
	Links             func(ctx context.Context) []string
	Addrs             func() []string
	ContainerEvidence func() string
}

func (s Signals) getenv(n string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(n)
}

// HostSignals are this machine's.
func HostSignals() Signals {
	return Signals{
		Getenv: os.Getenv,
		Links: func(ctx context.Context) []string {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "ip", "-o", "link").Output()
			if err != nil {
				return nil
			}
			var lines []string
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			return lines
		},
		Addrs: func() []string {
			as, err := net.InterfaceAddrs()
			if err != nil {
				return nil
			}
			var out []string
			for _, a := range as {
				p, err := netip.ParsePrefix(a.String())
				if err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() && !p.Addr().IsLinkLocalUnicast() {
					out = append(out, p.Addr().String())
				}
			}
			return out
		},
		ContainerEvidence: func() string {
			for _, f := range []string{"/.dockerenv", "/run/.containerenv"} {
				if _, err := os.Stat(f); err == nil {
					return f + " exists"
				}
			}
			if b, err := os.ReadFile("/proc/1/cgroup"); err == nil {
				for _, w := range []string{"docker", "containerd", "kubepods"} {
					if strings.Contains(string(b), w) {
						return "/proc/1/cgroup mentions " + w
					}
				}
			}
			return ""
		},
	}
}

// Environment is where the lab runs and how it knows: the kind of place,
// the signals that gave it away, the metadata service, the credentials and
// the region.
type Environment struct {
	Kind     EnvKind   `json:"kind"`
	Title    string    `json:"title"`
	Evidence []string  `json:"evidence"`
	IMDS     IMDSProbe `json:"metadata"`
	// Credentials is set when credentials were found; CredentialSource is
	// aws.Credentials.Source as the SDK spells it.
	Credentials      bool   `json:"credentials"`
	CredentialSource string `json:"credentialSource,omitempty"`
	Region           string `json:"region,omitempty"`
	RegionFrom       string `json:"regionFrom,omitempty"`
	// Workspace is the network found without the metadata service (a
	// CloudShell VPC environment's interface).
	Workspace *Workspace `json:"workspace,omitempty"`
	// Problem says in one sentence what stops the lab here ("" when
	// nothing does), Fix what to do about it.
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
	// Notes are things worth knowing that stop nothing (the hop-limit fix).
	Notes   []string      `json:"notes,omitempty"`
	Elapsed time.Duration `json:"elapsedNs"`
}

// Sentence says where the lab runs and why it thinks so, in one line.
func (e Environment) Sentence() string {
	s := e.Kind.Title()
	if len(e.Evidence) > 0 {
		s += " (" + strings.Join(e.Evidence, "; ") + ")"
	}
	return s
}

// Identity says which credentials are used, in words.
func (e Environment) Identity() string {
	if !e.Credentials {
		return "no credentials"
	}
	return CredentialLabel(e.CredentialSource)
}

// CannotProve is the sentence on what cannot be proven from outside the
// VPC ("" inside it).
func (e Environment) CannotProve() string {
	if !e.Kind.Outside() {
		return ""
	}
	return "Requests from " + e.Kind.Title() + " do not travel through your VPC, so the DNS step and the push through the endpoint (and what its policy allows) cannot be observed from here: they run from inside the VPC only."
}

// credentialLabels names the aws.Credentials.Source values in words. The
// keys are the SDK's own strings. [research L.5]
var credentialLabels = map[string]string{
	"EnvConfigCredentials":        "environment variables (AWS_ACCESS_KEY_ID)",
	"StaticCredentials":           "static keys",
	"EC2RoleProvider":             "the instance role (instance metadata)",
	"CredentialsEndpointProvider": "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)",
	"SSOProvider":                 "SSO (IAM Identity Center)",
	"AssumeRoleProvider":          "an assumed role (the profile's role_arn)",
	"WebIdentityCredentials":      "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)",
	"ProcessProvider":             "the profile's credential_process",
	"LoginProvider":               "an 'aws login' session",
	"":                            "credentials of unknown origin",
}

// CredentialLabel names an aws.Credentials.Source in words; a source it
// does not know is shown as it is.
func CredentialLabel(source string) string {
	if label, ok := credentialLabels[source]; ok {
		return label
	}
	// The shared config's source names the file after ": ".
	if strings.HasPrefix(source, "SharedConfigCredentials") {
		if _, path, ok := strings.Cut(source, ": "); ok {
			return "a profile's keys in " + path
		}
		return "a profile's keys"
	}
	return source
}

// DetectInput is what Detect works from.
type DetectInput struct {
	// Loaded is the SDK configuration (its region may be empty); LoadErr a
	// failure to load it.
	Loaded  Loaded
	LoadErr error
	// Metadata is the metadata service (probed once, here).
	Metadata *Metadata
	Signals  Signals
	// Endpoint is where the lab's calls will go when not to AWS (the
	// sandbox's base endpoint): the AWS CLI commands a fix names go there
	// too (Cloud.CLI).
	Endpoint string
}

// Detect finds where the lab runs without calling any AWS API: it probes
// the metadata service once, in parallel with the credential chain, and
// reads the signals. Where no metadata service answers it takes well under
// two seconds. Cloud.Locate adds what only EC2 can tell (a CloudShell VPC
// environment's network interface).
func Detect(ctx context.Context, in DetectInput) Environment {
	start := time.Now()
	env := Environment{Region: in.Loaded.Config.Region, RegionFrom: in.Loaded.RegionFrom}
	m := in.Metadata
	if m == nil {
		m = NewMetadata(MetadataOptions{Disabled: true})
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.Probe(ctx)
	}()
	credErr := in.LoadErr
	if credErr == nil {
		credErr = findCredentials(ctx, in.Loaded.Config, m, &env)
	}
	wg.Wait()
	env.IMDS = m.Probe(ctx)
	classifyPlace(ctx, &env, in.Signals, cliFor(in.Endpoint))
	if env.Region == "" && env.IMDS.Region != "" {
		env.Region, env.RegionFrom = env.IMDS.Region, "the instance's metadata (placement/region)"
	}
	switch {
	case env.Problem != "":
		// The place's own problem explains the rest (no metadata, so no
		// instance role either).
	case credErr != nil:
		env.Problem, env.Fix = credErr.Error(), problem.FixOf(credErr)
	case !env.Credentials:
		env.Problem = "No AWS credentials were found (no environment keys, no profile, no container credentials" +
			map[bool]string{true: ", and the instance role gave none", false: ", and no instance metadata service"}[env.IMDS.Readable()] + ")."
		env.Fix = "configure credentials (aws configure, aws sso login, or an instance role), or use the sandbox"
	case env.Region == "":
		env.Problem = "No AWS region is set."
		env.Fix = "export AWS_REGION (the workshop uses us-west-2), or pass --region"
	case env.IMDS.Region != "" && env.Region != env.IMDS.Region && env.Kind.OnEC2():
		env.Problem = fmt.Sprintf("This instance is in %s, but the lab is set to %s (%s).", env.IMDS.Region, env.Region, env.RegionFrom)
		env.Fix = fmt.Sprintf("pass --region %s (or change %s): the workspace's VPC is in %s", env.IMDS.Region, env.RegionFrom, env.IMDS.Region)
	}
	env.Elapsed = time.Since(start)
	return env
}

// findCredentials retrieves the credentials the configuration resolves
// to. When they would come from the metadata service, it waits for the
// probe first and does not ask a service that is not there.
func findCredentials(ctx context.Context, cfg aws.Config, m *Metadata, env *Environment) error {
	if cfg.Credentials == nil {
		return nil
	}
	if ps, ok := cfg.Credentials.(aws.CredentialProviderSource); ok && slices.Contains(ps.ProviderSources(), aws.CredentialSourceIMDS) {
		if p := m.Probe(ctx); !p.Readable() {
			return nil
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := cfg.Credentials.Retrieve(cctx)
	if err != nil {
		if ps, ok := cfg.Credentials.(aws.CredentialProviderSource); ok && slices.Contains(ps.ProviderSources(), aws.CredentialSourceIMDS) {
			// The default chain's last resort found no role: that is "no
			// credentials", not a failure.
			return nil
		}
		return classify("get the credentials", err)
	}
	env.Credentials, env.CredentialSource = c.HasKeys(), c.Source
	return nil
}

// classifyPlace decides the kind of place from the signals and the probe.
// cli is the AWS CLI as the fixes say it (Cloud.CLI).
func classifyPlace(ctx context.Context, env *Environment, sig Signals, cli string) {
	p := env.IMDS
	add := func(s string) { env.Evidence = append(env.Evidence, s) }
	cloudShell := strings.EqualFold(sig.getenv("AWS_EXECUTION_ENV"), "CloudShell")
	uri := sig.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	switch {
	case cloudShell:
		add("AWS_EXECUTION_ENV=CloudShell")
	case strings.Contains(uri, "localhost:1338"):
		// CloudShell's credentials endpoint, for a process that did not
		// read CloudShell's ~/.bashrc. [research H.2]
		cloudShell = true
		add("AWS_CONTAINER_CREDENTIALS_FULL_URI is CloudShell's localhost:1338")
	}
	if cloudShell {
		// VPC or public is for Cloud.Locate to tell (it asks EC2).
		env.Kind = EnvCloudShell
		env.Title = env.Kind.Title()
		return
	}
	container := ""
	if sig.ContainerEvidence != nil {
		container = sig.ContainerEvidence()
	}
	switch {
	case p.HopLimited():
		env.Kind = EnvContainer
		add("the metadata service's token request went unanswered, as from a container when the hop limit is 1")
		if container != "" {
			add(container)
		}
		fix := "let containers use tokens: " + cli + strings.TrimPrefix(p.HopLimitFix(env.Region), "aws")
		if p.State == IMDSTokenTimeoutV2Only {
			env.Problem = "The metadata service cannot be read from this container: its token request times out (hop limit 1) and the instance refuses requests without a token."
			env.Fix = fix + " (run it where credentials allow it, on the instance itself), or choose the workspace's VPC, subnet and security group"
		} else {
			env.Notes = append(env.Notes, "read with IMDSv1 instead; to "+fix)
		}
	case p.Readable():
		add(map[IMDSState]string{IMDSv2: "the metadata service issued an IMDSv2 token", IMDSv1Only: "the metadata service answered without a token (IMDSv1)"}[p.State])
		switch {
		case container != "":
			env.Kind = EnvContainer
			add(container)
		case sig.getenv("C9_USER") != "" || sig.getenv("C9_PROJECT") != "":
			env.Kind = EnvCloud9
			add("C9_USER is set")
		case anyPrefix(p.SecurityGroups, "aws-cloud9-"):
			env.Kind = EnvCloud9
			add("its security group is a Cloud9 environment's")
		case sig.getenv("VSCODE_PROXY_URI") != "" || sig.getenv("TERM_PROGRAM") == "vscode" || sig.getenv("VSCODE_IPC_HOOK_CLI") != "":
			env.Kind = EnvVSCodeEC2
			add(firstSet(sig, "VSCODE_PROXY_URI", "VSCODE_IPC_HOOK_CLI", "TERM_PROGRAM") + " is set")
		default:
			env.Kind = EnvEC2
		}
	default:
		env.Kind = EnvLaptop
		switch p.State {
		case IMDSDisabled:
			add("the metadata service is turned off (AWS_EC2_METADATA_DISABLED)")
		default:
			d := p.Detail
			if d == "" {
				d = "no answer"
			}
			add("no instance metadata service: " + d)
		}
		add("not CloudShell")
	}
	env.Title = env.Kind.Title()
}

func anyPrefix(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func firstSet(sig Signals, names ...string) string {
	for _, n := range names {
		if sig.getenv(n) != "" {
			return n
		}
	}
	return names[len(names)-1]
}

// eniAltNames are the ENI ids among the interfaces' alternative names
// (`altname eni-…` in `ip -o link`).
func eniAltNames(ctx context.Context, sig Signals) []string {
	if sig.Links == nil {
		return nil
	}
	var ids []string
	for _, l := range sig.Links(ctx) {
		for _, f := range strings.Fields(strings.ReplaceAll(l, `\`, " ")) {
			if strings.HasPrefix(f, "eni-") && wellFormedID(f) && !slices.Contains(ids, f) {
				ids = append(ids, f)
			}
		}
	}
	return ids
}

func wellFormedID(id string) bool {
	_, rest, ok := strings.Cut(id, "-")
	return ok && len(rest) >= 8 && strings.Trim(rest, "0123456789abcdef") == ""
}

// Locate finds, in EC2, what the metadata service cannot give: in
// CloudShell, whether a network interface of the account is this
// environment's (its ENI id from the interface's name, else its private
// address, via DescribeNetworkInterfaces), which makes it a CloudShell VPC
// environment with that interface's VPC, subnet and groups; otherwise it is
// public CloudShell. It changes env in place.
func (c *Cloud) Locate(ctx context.Context, env *Environment, sig Signals) error {
	if env.Kind != EnvCloudShell && env.Kind != EnvCloudShellVPC {
		return nil
	}
	const op = "find this CloudShell environment's network interface"
	var found *types.NetworkInterface
	how := ""
	if ids := eniAltNames(ctx, sig); len(ids) > 0 {
		out, err := c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ids[:1]})
		if err != nil && CodeOf(err) != "InvalidNetworkInterfaceID.NotFound" {
			return c.classify(op, err)
		}
		if err == nil && len(out.NetworkInterfaces) > 0 {
			found, how = &out.NetworkInterfaces[0], "its interface "+ids[0]+" (an altname in `ip -o link`)"
		}
	}
	var addrs []string
	if sig.Addrs != nil {
		addrs = sig.Addrs()
	}
	if found == nil && len(addrs) > 0 {
		out, err := c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String("addresses.private-ip-address"), Values: addrs}}})
		if err != nil {
			return c.classify(op, err)
		}
		// Prefer the one CloudShell tagged. [research H.1]
		for i, n := range out.NetworkInterfaces {
			if found == nil || hasTagKey(n.TagSet, "ManagedByCloudShell") {
				found, how = &out.NetworkInterfaces[i], "its address "+aws.ToString(n.PrivateIpAddress)+" is "+aws.ToString(n.NetworkInterfaceId)
			}
		}
	}
	if found == nil {
		env.Kind, env.Title = EnvCloudShell, EnvCloudShell.Title()
		what := "no network interface"
		if len(addrs) > 0 {
			what += " with address " + strings.Join(addrs, ", ")
		}
		env.Evidence = append(env.Evidence, what+" in this account's VPCs in "+c.region)
		return nil
	}
	ws := Workspace{VpcID: aws.ToString(found.VpcId), SubnetID: aws.ToString(found.SubnetId), AZ: aws.ToString(found.AvailabilityZone),
		ENIID: aws.ToString(found.NetworkInterfaceId), PrivateIP: aws.ToString(found.PrivateIpAddress)}
	for _, g := range found.Groups {
		ws.SecurityGroupIDs = append(ws.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	if len(ws.SecurityGroupIDs) > 0 {
		ws.SecurityGroupID = ws.SecurityGroupIDs[0]
	}
	env.Kind, env.Title, env.Workspace = EnvCloudShellVPC, EnvCloudShellVPC.Title(), &ws
	tagged := ""
	if hasTagKey(found.TagSet, "ManagedByCloudShell") {
		tagged = ", tagged ManagedByCloudShell"
	}
	env.Evidence = append(env.Evidence, fmt.Sprintf("%s is in %s, subnet %s%s", how, ws.VpcID, ws.SubnetID, tagged))
	return nil
}

func hasTagKey(tags []types.Tag, key string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return true
		}
	}
	return false
}
