package steps

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"ecr-vpce-lab/policy"
)

// Policy challenges (issue 16): after the lab, a learner writes the
// policies work needs. Each challenge states a goal in words and is checked
// twice: by simulation over a hidden set of requests (several principals,
// repositories, actions and ways in, each with the request context AWS
// would give it), then for real through the endpoints (challenge_live.go).
// Every text here is the lab's own.

// ChallengeTarget says where a challenge's answer goes.
type ChallengeTarget string

const (
	// OnBoth: the answer is the policy of both ECR endpoints.
	OnBoth ChallengeTarget = "both"
	// OnAPI: the answer is ecr.api's policy; ecr.dkr keeps AWS's default.
	OnAPI ChallengeTarget = "api"
	// OnRepository: the answer is the repository policy of the lab's
	// repository; both endpoints keep AWS's default.
	OnRepository ChallengeTarget = "repository"
)

// Label says the target in words.
func (t ChallengeTarget) Label() string {
	switch t {
	case OnAPI:
		return "the ecr.api endpoint's policy (ecr.dkr keeps AWS's full-access default)"
	case OnRepository:
		return "the repository policy of team-a/alpine (both endpoints keep full access)"
	}
	return "the policy of both ECR endpoints"
}

// PolicyType is the type of policy the answer is.
func (t ChallengeTarget) PolicyType() policy.Type {
	if t == OnRepository {
		return policy.TypeRepository
	}
	return policy.TypeEndpoint
}

// Who makes a request.
type Who string

const (
	// Us is the lab's own principal (the workspace's role).
	Us Who = "us"
	// Partner is a CI role of another account.
	Partner Who = "partner"
)

// From is where a request comes from.
type From string

const (
	// Inside is the workspace, in the VPC: through the lab's endpoints.
	Inside From = "inside"
	// Outside is a machine outside the VPC: the public path, which no
	// endpoint policy sees.
	Outside From = "outside"
)

// Probe is one request of a challenge's hidden set, and what the goal
// says should happen to it.
type Probe struct {
	Op   string `json:"op"`
	Repo string `json:"repo,omitempty"`
	Who  Who    `json:"who"`
	From From   `json:"from"`
	// Allowed is what the goal wants.
	Allowed bool `json:"allowed"`
	// Why is the part of the goal the request checks.
	Why string `json:"why"`
}

// Label is the request in a few words: "pull team-a/alpine, as us, from inside".
func (p Probe) Label() string {
	s := p.Op
	if p.Repo != "" && p.Op != "login" {
		s += " " + p.Repo
	}
	who := "the lab's role"
	if p.Who == Partner {
		who = "another account's role"
	}
	where := "in the VPC"
	if p.From == Outside {
		where = "outside the VPC"
	}
	return s + " (" + who + ", " + where + ")"
}

// ChallengeContext names what a challenge's policies refer to: the lab's
// account, region and principal, and its endpoints.
type ChallengeContext struct {
	Account   string `json:"account"`
	Region    string `json:"region"`
	Principal string `json:"principal"`
	// Partner is the other account's principal (a role session ARN).
	Partner  string `json:"partner"`
	VpcID    string `json:"vpcId,omitempty"`
	DKR      string `json:"dkrEndpoint,omitempty"`
	API      string `json:"apiEndpoint,omitempty"`
	SourceIP string `json:"sourceIp,omitempty"`
	// Example is set when the endpoints do not exist yet: their IDs are
	// stand-ins.
	Example bool `json:"example,omitempty"`
}

// The partner account the challenges use when the lab has none to ask
// (the sandbox's serves as its own; see sandbox/principals.go).
const (
	partnerAccount   = "210987654321"
	partnerPrincipal = "arn:aws:sts::210987654321:assumed-role/partner-ci/build-7"
)

// Stand-ins for endpoints that do not exist yet.
const (
	exampleVPC = "vpc-0example0000000000"
	exampleDKR = "vpce-0dkr0example000000"
	exampleAPI = "vpce-0api0example000000"
)

// NewChallengeContext is the context of the lab's state st: its endpoints,
// or stand-ins when they are not there yet.
func NewChallengeContext(st State) ChallengeContext {
	// The partner's ARN is in the lab's partition (arn:aws-us-gov:… in GovCloud).
	partner := "arn:" + policy.PartitionOf(st.Region) + strings.TrimPrefix(partnerPrincipal, "arn:aws")
	c := ChallengeContext{Account: st.Account, Region: st.Region, Principal: st.Caller, Partner: partner,
		VpcID: st.Workspace.VpcID, SourceIP: hostIn(st.Workspace.VpcCIDR)}
	if c.Account == "" {
		c.Account = "123456789012"
	}
	if c.Region == "" {
		c.Region = "us-west-2"
	}
	if c.Principal == "" {
		c.Principal = policy.LabPrincipal(c.Account)
	}
	if r := st.Endpoints[EndpointDKR]; r != nil {
		c.DKR = r.ID
	}
	if r := st.Endpoints[EndpointAPI]; r != nil {
		c.API = r.ID
	}
	if c.DKR == "" || c.API == "" {
		c.DKR, c.API, c.Example = exampleDKR, exampleAPI, true
	}
	if c.VpcID == "" {
		c.VpcID = exampleVPC
	}
	if c.SourceIP == "" {
		c.SourceIP = "10.0.0.10"
	}
	return c
}

// hostIn is an address inside a CIDR (its tenth host), standing for the
// workspace's private address, which the lab does not record.
func hostIn(cidr string) string {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return ""
	}
	a := p.Masked().Addr().As4()
	a[3] += 10
	return netip.AddrFrom4(a).String()
}

// Challenge is one policy challenge.
type Challenge struct {
	ID     int             `json:"id"`
	Title  string          `json:"title"`
	Goal   string          `json:"goal"`
	Target ChallengeTarget `json:"target"`
	Hints  []string        `json:"hints"`
	// Lesson is what passing it teaches, shown after a pass.
	Lesson string `json:"lesson"`
	// Predict are the client commands whose fate the learner foretells
	// before the check (which still work once the answer is in place);
	// the check then says which guesses were right.
	Predict []string `json:"predict,omitempty"`
	// starter is the policy the editor opens with; model a policy that
	// passes; probes the hidden request set; setting the policies that
	// are part of the challenge's world (not the learner's to write).
	starter func(c ChallengeContext) string
	model   func(c ChallengeContext) string
	probes  []Probe
	setting func(c ChallengeContext) challengeSetting
	// rules are checks of the policy's text itself (the allow-list's
	// "no Action *").
	rules func(doc *policy.Document) []string
}

// challengeSetting is the part of a challenge's world that is given: a
// repository policy the challenge puts in place (not the learner's).
type challengeSetting struct {
	repositoryPolicy string
}

// Starter is the policy the editor opens with.
func (ch Challenge) Starter(c ChallengeContext) string { return ch.starter(c) }

// Model is a policy that passes.
func (ch Challenge) Model(c ChallengeContext) string { return ch.model(c) }

// Challenges lists the challenges, in order.
func Challenges() []Challenge { return append([]Challenge(nil), challenges...) }

// ChallengeByID finds a challenge.
func ChallengeByID(id int) (Challenge, bool) {
	for _, ch := range challenges {
		if ch.ID == id {
			return ch, true
		}
	}
	return Challenge{}, false
}

func repoARN(c ChallengeContext, repo string) string {
	return policy.RepositoryARN(c.Region, c.Account, repo)
}

// policyText is a policy document with the given statements, laid out as
// the editor shows it.
func policyText(statements ...string) string {
	return "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    " + strings.Join(statements, ",\n    ") + "\n  ]\n}"
}

// allowAll is the statement most deny-list answers start with.
const allowAll = `{"Sid": "AllowEverythingElse", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}`

// The registry's actions: what travels ecr.dkr.
var (
	pushActions     = []string{"ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"}
	pullActions     = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
	registryActions = append(append([]string{}, pullActions...), pushActions...)
)

func quoted(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// Repositories the probes name: the lab's, another team's (the challenges
// create it when it is missing), one more of team a and one of a team no
// policy names (simulated only: they need not exist), and a scratch
// repository whose deletion the checks may try for real.
const (
	repoLab     = policy.DefaultRepository
	repoTeamB   = "team-b/nginx"
	repoTeamA2  = "team-a/tools"
	repoTeamC   = "team-c/app"
	repoScratch = "ecr-vpce-lab/scratch"
)

// allowed and refused are requests of a hidden set and the goal's verdict
// on them, made by the lab's role from inside the VPC unless asPartner or
// fromOutside say otherwise. A login names no repository ("").
func allowed(op, repo, why string) Probe {
	return Probe{Op: op, Repo: repo, Who: Us, From: Inside, Allowed: true, Why: why}
}

func refused(op, repo, why string) Probe {
	return Probe{Op: op, Repo: repo, Who: Us, From: Inside, Allowed: false, Why: why}
}

func (p Probe) asPartner() Probe { p.Who = Partner; return p }

func (p Probe) fromOutside() Probe { p.From = Outside; return p }

var challenges = []Challenge{
	{
		ID: 1, Title: "Read-only team", Target: OnBoth,
		Goal: "Team a's repositories become read-only: anyone may pull and list the images of every team-a/ repository, and nobody may push to any of them. " +
			"The other teams' repositories are not this policy's business: leave them exactly as they are.",
		Hints: []string{
			"Start from the lab's policy: allow everything, then deny what must not happen. Only the Deny needs to change.",
			"A push uploads the layers first (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload), then writes the manifest (ecr:PutImage). Denying the manifest is enough to stop it; what matters more is which repositories the Deny covers.",
			"Resource can end in a wildcard: arn:aws:ecr:REGION:ACCOUNT:repository/team-a/* covers every repository of team a, and no other team's.",
		},
		Lesson: "A Deny on a wildcard ARN covers a whole team; everything else keeps flowing through the Allow. Pulls and lists were never at stake, because nothing denies them.",
		starter: func(c ChallengeContext) string {
			return policyText(
				allowAll,
				`{"Sid": "DenyPutImage", "Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage", "Resource": "`+repoARN(c, policy.DefaultRepository)+`"}`,
			)
		},
		model: func(c ChallengeContext) string {
			return policyText(
				allowAll,
				`{"Sid": "TeamAIsReadOnly", "Effect": "Deny", "Principal": "*",
     "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
     "Resource": "`+repoARN(c, "team-a/*")+`"}`,
			)
		},
		probes: []Probe{
			allowed("pull", repoLab, "anyone may pull team a's images"),
			allowed("list-images", repoLab, "anyone may list team a's images"),
			refused("push", repoLab, "nobody may push to team-a/alpine"),
			refused("push", repoTeamA2, "nobody may push to any team-a repository"),
			allowed("pull", repoTeamA2, "every team-a repository stays readable"),
			allowed("push", repoTeamB, "other teams' repositories are left as they are"),
			allowed("pull", repoTeamB, "other teams' repositories are left as they are"),
			allowed("login", "", "docker login keeps working"),
		},
	},
	{
		ID: 2, Title: "Only our account", Target: OnBoth,
		Goal: "The endpoints serve this account's principals and nobody else's. A role of another account must be turned away at the endpoint, even where a repository's own policy would let it in " +
			"(team-a/alpine's does, for this challenge: it lets a partner's CI role pull).",
		Hints: []string{
			"The request context carries the caller's account as aws:PrincipalAccount.",
			"A condition on an Allow narrows what it allows: with StringEquals on aws:PrincipalAccount, other accounts match no Allow and are refused implicitly.",
			"Keep the condition's value exact: AWS does not allow wildcards with aws:PrincipalAccount in an endpoint policy.",
		},
		Lesson:  "The endpoint is a gate of its own: a repository policy that lets another account in does not open the endpoint. Conditions on the caller's account keep a VPC's endpoints for its own account.",
		starter: func(ChallengeContext) string { return policyText(allowAll) },
		model: func(c ChallengeContext) string {
			return policyText(
				`{"Sid": "OurAccountOnly", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalAccount": "` + c.Account + `"}}}`,
			)
		},
		setting: func(c ChallengeContext) challengeSetting {
			return challengeSetting{repositoryPolicy: partnerPullPolicy(c)}
		},
		probes: []Probe{
			allowed("login", "", "our own principals keep working"),
			allowed("pull", repoLab, "our own principals keep working"),
			allowed("push", repoTeamB, "our own principals keep working"),
			allowed("list-images", repoLab, "our own principals keep working"),
			refused("login", "", "another account's role is turned away at the endpoint").asPartner(),
			refused("pull", repoLab, "another account is turned away even where the repository lets it in").asPartner(),
			refused("list-images", repoLab, "another account is turned away at ecr.api too").asPartner(),
		},
	},
	{
		ID: 3, Title: "Only our repositories", Target: OnBoth,
		Goal: "ECR actions are allowed on the repositories of teams a and b (team-a/… and team-b/…) and refused on every other repository. docker login must keep working.",
		Hints: []string{
			"An allow-list: one Allow with the two teams' repository ARNs, ending in /*.",
			"docker login calls ecr:GetAuthorizationToken, and that action is never on a repository: its resource is \"*\".",
			"Give ecr:GetAuthorizationToken a statement of its own, with \"Resource\": \"*\".",
		},
		Lesson: "ecr:GetAuthorizationToken has no repository, so a policy that allows ECR only on some repositories breaks docker login unless it allows that one action on \"*\". The classic trap.",
		starter: func(c ChallengeContext) string {
			return policyText(
				`{"Sid": "OurTeams", "Effect": "Allow", "Principal": "*", "Action": "ecr:*",
     "Resource": ["` + repoARN(c, "team-a/*") + `"]}`,
			)
		},
		model: func(c ChallengeContext) string {
			return policyText(
				`{"Sid": "OurTeams", "Effect": "Allow", "Principal": "*", "Action": "ecr:*",
     "Resource": ["`+repoARN(c, "team-a/*")+`", "`+repoARN(c, "team-b/*")+`"]}`,
				`{"Sid": "Login", "Effect": "Allow", "Principal": "*", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}`,
			)
		},
		probes: []Probe{
			allowed("login", "", "docker login keeps working"),
			allowed("pull", repoLab, "team a's repositories are allowed"),
			allowed("list-images", repoLab, "team a's repositories are allowed"),
			allowed("push", repoTeamB, "team b's repositories are allowed"),
			refused("pull", repoTeamC, "other repositories are refused"),
			refused("list-images", repoScratch, "other repositories are refused"),
			refused("push", repoScratch, "other repositories are refused"),
		},
	},
	{
		ID: 4, Title: "Nothing deleted", Target: OnBoth,
		Goal: "Through the endpoints nobody deletes anything: ecr:BatchDeleteImage and ecr:DeleteRepository are refused on every repository. Everything else keeps working.",
		Hints: []string{
			"Allow everything, then deny the two actions.",
			"Check what a wildcard covers before you use one: ecr:Delete* matches DeleteRepository but not BatchDeleteImage, and it also matches DeleteRepositoryPolicy and DeleteLifecyclePolicy.",
			"\"Resource\": \"*\" covers every repository, including ones created tomorrow.",
		},
		Lesson:  "Name the actions you mean: wildcards in Action cover more, or less, than their look suggests.",
		starter: func(ChallengeContext) string { return policyText(allowAll) },
		model: func(ChallengeContext) string {
			return policyText(
				allowAll,
				`{"Sid": "NothingDeleted", "Effect": "Deny", "Principal": "*", "Action": ["ecr:BatchDeleteImage", "ecr:DeleteRepository"], "Resource": "*"}`,
			)
		},
		probes: []Probe{
			refused("delete-image", repoScratch, "no image is deleted"),
			refused("delete-repository", repoScratch, "no repository is deleted"),
			refused("delete-image", repoLab, "no image is deleted, in any repository"),
			allowed("push", repoScratch, "everything else keeps working"),
			allowed("pull", repoLab, "everything else keeps working"),
			allowed("list-images", repoLab, "everything else keeps working"),
			allowed("describe-images", repoLab, "everything else keeps working"),
			allowed("delete-repository-policy", repoScratch, "everything else keeps working, policies included"),
		},
	},
	{
		ID: 5, Title: "Lock yourself out, knowingly", Target: OnAPI,
		Predict: []string{"login", "push", "pull", "list-images"},
		Goal: "Deny ecr:GetAuthorizationToken on the ecr.api endpoint, and only that. Before you check, predict: which of docker login, push, pull and aws ecr list-images still work? " +
			"The check proves it, then puts the lab's policy back.",
		Hints: []string{
			"ecr:GetAuthorizationToken is always requested on \"*\": a Deny for a repository ARN never meets it.",
			"Keep an Allow for everything else, or ecr.api refuses every call.",
			"A push and a pull both start with docker login, which goes through ecr.api; list-images does not need a login at all.",
		},
		Lesson:  "Login, and so every push and pull, depends on ecr.api, even though the images themselves travel through ecr.dkr. list-images is signed with your AWS credentials and needs no registry token.",
		starter: func(ChallengeContext) string { return policyText(allowAll) },
		model: func(ChallengeContext) string {
			return policyText(
				allowAll,
				`{"Sid": "NoLogin", "Effect": "Deny", "Principal": "*", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}`,
			)
		},
		probes: []Probe{
			refused("login", "", "the login is denied"),
			refused("push", repoTeamB, "a push starts with the login, so it cannot start"),
			refused("pull", repoLab, "a pull starts with the login, so it cannot start"),
			allowed("list-images", repoLab, "list-images needs no login: only that is denied"),
			allowed("describe-images", repoLab, "only the login is denied"),
		},
	},
	{
		ID: 6, Title: "Allow-list instead of deny-list", Target: OnBoth,
		Goal: "Write the policy as a list of what is allowed, with no \"Action\": \"*\" (or \"ecr:*\") anywhere: allow exactly what pushing and pulling team-a/alpine needs, the login included. " +
			"Listing its images must be refused, and so must every other repository.",
		Hints: []string{
			"A pull is ecr:BatchGetImage then ecr:GetDownloadUrlForLayer.",
			"A push asks first whether each layer is there (ecr:BatchCheckLayerAvailability), uploads the missing ones (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload), then writes the manifest (ecr:PutImage).",
			"The login (ecr:GetAuthorizationToken) needs its own statement on \"*\".",
		},
		Lesson: "An allow-list refuses everything it does not name, including what you forgot: that is its strength and its cost. `policy simulate` and the sandbox's call log show exactly which actions a client sends.",
		starter: func(c ChallengeContext) string {
			return policyText(
				`{"Sid": "Pull", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"], "Resource": "` + repoARN(c, policy.DefaultRepository) + `"}`,
			)
		},
		model: func(c ChallengeContext) string {
			return policyText(
				`{"Sid": "Login", "Effect": "Allow", "Principal": "*", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}`,
				`{"Sid": "PushAndPullAlpine", "Effect": "Allow", "Principal": "*",
     "Action": [`+quoted(registryActions)+`],
     "Resource": "`+repoARN(c, policy.DefaultRepository)+`"}`,
			)
		},
		probes: []Probe{
			allowed("login", "", "the login is part of every push and pull"),
			allowed("pull", repoLab, "pulling team-a/alpine is allowed"),
			allowed("push", repoLab, "pushing team-a/alpine is allowed"),
			refused("list-images", repoLab, "listing is not pushing or pulling"),
			refused("describe-images", repoLab, "describing is not pushing or pulling"),
			refused("pull", repoTeamB, "only team-a/alpine"),
			refused("push", repoTeamB, "only team-a/alpine"),
		},
		rules: func(doc *policy.Document) []string {
			var out []string
			for i, st := range doc.Statements {
				if st.Effect != policy.Allow {
					continue
				}
				if st.NotAction != nil {
					out = append(out, st.Label(i)+" allows with NotAction: everything but what it lists")
				}
				for _, a := range st.Action {
					if a == "*" || strings.EqualFold(a, "ecr:*") {
						out = append(out, fmt.Sprintf("%s allows %q: an allow-list names its actions", st.Label(i), a))
					}
				}
			}
			return out
		},
	},
	{
		ID: 7, Title: "Per-endpoint policies", Target: OnAPI,
		Goal: "Give the ecr.api endpoint a policy that refuses ecr:DescribeImages and nothing else; ecr.dkr keeps AWS's default, which allows everything. " +
			"Then look at the results: which client commands still work, and through which endpoint does each one go?",
		Hints: []string{
			"Allow everything, deny the one action.",
			"ecr:Describe* would also refuse DescribeRepositories, DescribeRegistry and more: name the action.",
			"docker push and pull travel through ecr.dkr (after a login through ecr.api); the aws ecr commands through ecr.api.",
		},
		Lesson:  "Each endpoint judges only the requests that pass through it: the registry's through ecr.dkr, the API's (login included) through ecr.api. A policy on one endpoint says nothing about the other.",
		starter: func(ChallengeContext) string { return policyText(allowAll) },
		model: func(ChallengeContext) string {
			return policyText(
				allowAll,
				`{"Sid": "NoDescribeImages", "Effect": "Deny", "Principal": "*", "Action": "ecr:DescribeImages", "Resource": "*"}`,
			)
		},
		probes: []Probe{
			refused("describe-images", repoLab, "describe-images goes through ecr.api, which refuses it"),
			refused("describe-images", repoTeamB, "refused on every repository"),
			allowed("describe-repositories", repoLab, "only DescribeImages is refused"),
			allowed("list-images", repoLab, "only DescribeImages is refused"),
			allowed("login", "", "the login goes through ecr.api and is not refused"),
			allowed("pull", repoLab, "a pull goes through ecr.dkr, which keeps full access"),
			allowed("push", repoTeamB, "a push goes through ecr.dkr, which keeps full access"),
		},
	},
	{
		ID: 8, Title: "The other half", Target: OnRepository,
		Goal: "Endpoint policies only judge what passes through the endpoint. Write a repository policy for team-a/alpine that refuses the registry's requests (pushes and pulls) unless they come through the lab's ecr.dkr endpoint (aws:SourceVpce). " +
			"A pull from inside the VPC must go through; the same pull from outside it must be refused. Keep the ECR API working, or you could not remove the policy again.",
		Hints: []string{
			"A repository policy names no Resource: it is about its own repository.",
			"Your role's IAM policy already allows the pull, so an Allow in the repository policy cannot refuse anything: it takes a Deny.",
			"Deny the registry's actions when aws:SourceVpce is not the ecr.dkr endpoint's ID (StringNotEquals). A request from outside the VPC has no aws:SourceVpce at all, and a missing key makes StringNotEquals true.",
		},
		Lesson: "An endpoint policy cannot refuse a request that never passes the endpoint. The repository's own policy can, with aws:SourceVpce: a request from outside carries none, and StringNotEquals on a missing key holds.",
		starter: func(ChallengeContext) string {
			return policyText(
				`{"Sid": "OnlyThroughOurEndpoint", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}`,
			)
		},
		model: func(c ChallengeContext) string {
			return policyText(
				`{"Sid": "OnlyThroughOurEndpoint", "Effect": "Deny", "Principal": "*",
     "Action": [` + quoted(registryActions) + `],
     "Condition": {"StringNotEquals": {"aws:SourceVpce": "` + c.DKR + `"}}}`,
			)
		},
		probes: []Probe{
			allowed("pull", repoLab, "a pull through the lab's ecr.dkr endpoint goes through"),
			refused("pull", repoLab, "the same pull from outside the VPC is refused").fromOutside(),
			refused("push", repoLab, "a push from outside the VPC is refused").fromOutside(),
			allowed("push", repoLab, "a push through the lab's ecr.dkr endpoint goes through"),
			allowed("list-images", repoLab, "the ECR API keeps working"),
			allowed("list-images", repoLab, "the ECR API keeps working, from anywhere").fromOutside(),
			allowed("delete-repository-policy", repoLab, "you can still remove the policy"),
		},
	},
}

// partnerPullPolicy is the repository policy challenge 2 puts on the lab's
// repository: the partner's account may pull. It names the account, not
// its role: ECR refuses a policy naming a role it cannot find ("Principal
// not found"), and on AWS the lab has no partner role to name.
func partnerPullPolicy(c ChallengeContext) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerPulls","Effect":"Allow","Principal":{"AWS":"` + c.partnerAccountID() + `"},` +
		`"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:ListImages"]}]}`
}

// Operations the challenges use beyond policy's catalogue, in the order
// the client sends their actions, with the endpoint each travels through.
var extraOps = map[string][]policy.ActionStep{
	"describe-repositories":    {{Action: "ecr:DescribeRepositories", Endpoint: policy.EndpointAPI}},
	"delete-image":             {{Action: "ecr:BatchDeleteImage", Endpoint: policy.EndpointAPI}},
	"delete-repository":        {{Action: "ecr:DeleteRepository", Endpoint: policy.EndpointAPI}},
	"delete-repository-policy": {{Action: "ecr:DeleteRepositoryPolicy", Endpoint: policy.EndpointAPI}},
}

// operationSteps are the actions of an operation, in order.
func operationSteps(op string) ([]policy.ActionStep, bool) {
	if o, ok := policy.LookupOperation(op); ok {
		return o.Steps, true
	}
	s, ok := extraOps[op]
	return s, ok
}

// ChallengeOperationNames lists every operation a challenge or explain
// knows.
func ChallengeOperationNames() []string {
	names := policy.OperationNames()
	var extra []string
	for k := range extraOps {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	return append(names, extra...)
}

// ProbeResult is one request of a check, expected and actual.
type ProbeResult struct {
	Probe
	// Actual is what happened (simulated, or for real).
	Actual bool `json:"actual"`
	// Match: Actual is what the goal wants.
	Match bool `json:"match"`
	// Endpoint the refused (or last) action went through; Action the
	// refused action; Message AWS's sentence.
	Endpoint policy.Endpoint `json:"endpoint,omitempty"`
	Action   string          `json:"action,omitempty"`
	Message  string          `json:"message,omitempty"`
	// Trace is the deciding policy's trace, for a request that went wrong.
	Trace *policy.Trace `json:"trace,omitempty"`
	// Skipped says why a request was not made for real ("" when it was).
	Skipped string `json:"skipped,omitempty"`
}

// Got is the outcome in words: "allowed", or "refused at ecr:PutImage".
func (r ProbeResult) Got() string {
	if !r.Actual && r.Action != "" {
		return "refused at " + r.Action
	}
	return Verdict(r.Actual)
}

// Way says which way the request went: through which endpoint, or the
// public path ("" when not known).
func (r ProbeResult) Way() string {
	switch {
	case r.From == Outside:
		return "the public path"
	case r.Endpoint != "":
		return "through " + string(r.Endpoint)
	}
	return ""
}

// Verdict is "allowed" or "refused".
func Verdict(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "refused"
}

// SimulationResult is the check of a policy by simulation.
type SimulationResult struct {
	Challenge int  `json:"challenge"`
	Passed    bool `json:"passed"`
	// Findings are errors lint finds (AWS would refuse the policy).
	Findings []policy.Finding `json:"findings,omitempty"`
	// Rules are the goal's rules about the text the policy breaks.
	Rules    []string      `json:"rules,omitempty"`
	Requests []ProbeResult `json:"requests"`
}

// Failed lists the requests that went otherwise than the goal wants.
func (r SimulationResult) Failed() []ProbeResult { return failedRequests(r.Requests) }

// failedRequests lists the requests of a check, simulated or live, that
// went otherwise than the goal wants. A request not made (Skipped, live
// only) went neither way.
func failedRequests(reqs []ProbeResult) []ProbeResult {
	var out []ProbeResult
	for _, p := range reqs {
		if p.Skipped == "" && !p.Match {
			out = append(out, p)
		}
	}
	return out
}

// Simulate checks a policy (its text) against the challenge's hidden
// request set.
func (ch Challenge) Simulate(c ChallengeContext, src []byte) SimulationResult {
	res := SimulationResult{Challenge: ch.ID, Requests: []ProbeResult{}}
	findings := policy.LintWith(src, policy.LintOptions{Account: c.Account, Region: c.Region, Repository: policy.DefaultRepository, Type: ch.Target.PolicyType()})
	for _, f := range findings {
		if f.Severity == policy.SeverityError {
			res.Findings = append(res.Findings, f)
		}
	}
	doc, err := policy.Parse(src)
	if err != nil || len(res.Findings) > 0 {
		return res
	}
	if ch.rules != nil {
		res.Rules = ch.rules(doc)
	}
	res.Passed = len(res.Rules) == 0
	for _, p := range ch.probes {
		r := ch.simulateProbe(c, doc, p)
		res.Passed = res.Passed && r.Match
		res.Requests = append(res.Requests, r)
	}
	return res
}

// setting is the challenge's given policies.
func (ch Challenge) givenRepositoryPolicy(c ChallengeContext) *policy.Document {
	if ch.setting == nil {
		return nil
	}
	s := ch.setting(c)
	if s.repositoryPolicy == "" {
		return nil
	}
	return policy.MustParse(s.repositoryPolicy)
}

// simulateProbe evaluates one request of the hidden set under the answer
// doc, put where the challenge says.
func (ch Challenge) simulateProbe(c ChallengeContext, doc *policy.Document, p Probe) ProbeResult {
	docs := map[policy.Endpoint]*policy.Document{}
	repoPolicy := ch.givenRepositoryPolicy(c)
	switch ch.Target {
	case OnBoth:
		docs[policy.EndpointDKR], docs[policy.EndpointAPI] = doc, doc
	case OnAPI:
		docs[policy.EndpointAPI] = doc
	case OnRepository:
		repoPolicy = doc
	}
	out := ch.evalProbe(c, docs, repoPolicy, p)
	if !out.Match && out.Actual && (ch.Target != OnRepository || p.Repo == policy.DefaultRepository) {
		// Allowed when it should not be: show why the answer let the
		// request's last action through.
		steps, _ := operationSteps(p.Op)
		last := steps[len(steps)-1]
		req := c.request(p, last)
		tr := policy.ExplainAs(ch.Target.PolicyType(), doc, req)
		out.Trace, out.Action = &tr, last.Action
	}
	return out
}

// evalProbe evaluates one request with the given endpoint policies (an
// endpoint missing from docs has AWS's full-access default) and the
// repository policy of the lab's repository, action by action as the
// client sends them (push and pull start with the login); the first
// refusal stops it, as it stops the client.
func (ch Challenge) evalProbe(c ChallengeContext, docs map[policy.Endpoint]*policy.Document, repoPolicy *policy.Document, p Probe) ProbeResult {
	out := ProbeResult{Probe: p, Actual: true}
	steps, ok := operationSteps(p.Op)
	if !ok {
		out.Actual, out.Message = false, "unknown operation "+p.Op
		return out
	}
	if p.Op == "push" || p.Op == "pull" {
		steps = append([]policy.ActionStep{{Action: "ecr:GetAuthorizationToken", Endpoint: policy.EndpointAPI, Global: true}}, steps...)
	}
	for _, s := range steps {
		req := c.request(p, s)
		pol := policy.Policies{ThroughEndpoint: p.From == Inside, Endpoint: docs[s.Endpoint], Identity: labIdentity, ResourceAccount: c.Account}
		if p.Repo == policy.DefaultRepository {
			pol.Repository = repoPolicy
		}
		if p.Who == Partner {
			pol.Identity = partnerIdentity
		}
		a := policy.Authorize(pol, req, true)
		out.Endpoint = s.Endpoint
		if !a.Allowed {
			out.Actual, out.Action, out.Message = false, s.Action, a.Message
			out.Trace = a.Deciding()
			break
		}
	}
	out.Match = out.Actual == p.Allowed
	return out
}

// caller is the principal who makes a request, and its account.
func (c ChallengeContext) caller(who Who) (principal, account string) {
	if who == Partner {
		return c.Partner, c.partnerAccountID()
	}
	return c.Principal, c.Account
}

// partnerAccountID is the partner principal's account (the stand-in
// partner's when Partner is not an ARN).
func (c ChallengeContext) partnerAccountID() string {
	if a, ok := policy.ParseARN(c.Partner); ok {
		return a.Account
	}
	return partnerAccount
}

// request is one action of a probe as AWS sees it.
func (c ChallengeContext) request(p Probe, s policy.ActionStep) policy.Request {
	principal, account := c.caller(p.Who)
	req := policy.RequestFor(s.Action, p.Repo, c.Account, c.Region, principal)
	req.PrincipalAccount = account
	if s.Global || s.Action == "ecr:GetAuthorizationToken" {
		// The login acts on no repository.
		req.Resource = "*"
	}
	req.Context = c.requestContext(p, s.Endpoint, p.From == Inside)
	return req
}

// partnerIdentity is the partner's own IAM policy: it allows ECR.
var partnerIdentity = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`)

// requestContext is the context AWS gives the request (IAM's global
// condition keys, research B.1): the caller's account, role and (for the
// lab's account) organization, HTTPS, the region; through an endpoint its
// ID, the VPC and the private address, from outside a public address.
func (c ChallengeContext) requestContext(p Probe, e policy.Endpoint, through bool) map[string][]string {
	principal, account := c.caller(p.Who)
	ctx := map[string][]string{
		"aws:PrincipalAccount": {account},
		"aws:PrincipalArn":     {roleARN(principal)},
		"aws:SecureTransport":  {"true"},
		"aws:RequestedRegion":  {c.Region},
	}
	if through {
		id := c.DKR
		if e == policy.EndpointAPI {
			id = c.API
		}
		ctx["aws:SourceVpce"] = []string{id}
		ctx["aws:SourceVpc"] = []string{c.VpcID}
		ctx["aws:VpcSourceIp"] = []string{c.SourceIP}
	} else {
		ctx["aws:SourceIp"] = []string{"198.51.100.77"}
	}
	return ctx
}

// Preview is what a draft does to the lab's everyday requests (login,
// push, pull, list) on team-a/alpine and on another team's repository,
// from inside the VPC and, for a repository policy, on team-a/alpine from
// outside it: the table an editor shows while the learner types. It is not
// the hidden set. A draft that does not parse previews nothing.
func (ch Challenge) Preview(c ChallengeContext, src []byte) []ProbeResult {
	doc, err := policy.Parse(src)
	if err != nil {
		return nil
	}
	type row struct {
		repo string
		from From
		ops  []string
	}
	rows := []row{
		{policy.DefaultRepository, Inside, []string{"login", "push", "pull", "list-images"}},
		{repoTeamB, Inside, []string{"push", "pull", "list-images"}},
	}
	if ch.Target == OnRepository {
		rows = append(rows, row{policy.DefaultRepository, Outside, []string{"login", "push", "pull", "list-images"}})
	}
	var out []ProbeResult
	for _, rw := range rows {
		for _, op := range rw.ops {
			p := Probe{Op: op, Repo: rw.repo, Who: Us, From: rw.from, Allowed: true}
			r := ch.simulateProbe(c, doc, p)
			r.Trace = nil
			out = append(out, r)
		}
	}
	return out
}

// Prediction is a learner's forecast: for each command of a challenge's
// Predict, whether it still works once the answer is in place.
type Prediction map[string]bool

// Guess is one forecast held against what happened.
type Guess struct {
	Op        string `json:"op"`
	Predicted bool   `json:"predicted"`
	Actual    bool   `json:"actual"`
	Right     bool   `json:"right"`
	// Got is what happened, in words ("refused at ecr:GetAuthorizationToken").
	Got string `json:"got"`
}

// JudgePrediction holds a forecast against a check's requests (the first
// request of each command, made by the lab's role from inside the VPC).
// A command no request made is left out.
func (ch Challenge) JudgePrediction(p Prediction, reqs []ProbeResult) []Guess {
	var out []Guess
	for _, op := range ch.Predict {
		for _, r := range reqs {
			if r.Op != op || r.Who != Us || r.From != Inside || r.Skipped != "" {
				continue
			}
			out = append(out, Guess{Op: op, Predicted: p[op], Actual: r.Actual, Right: p[op] == r.Actual, Got: r.Got()})
			break
		}
	}
	return out
}
