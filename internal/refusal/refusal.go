// Package refusal reads an Amazon ECR refusal as a person pastes it: what
// docker, skopeo, crane (go-containerregistry), the AWS CLI or an SDK
// printed, whole or in part, wrapped over lines or not. It finds the
// principal, the action, the resource, which kind of policy refused (and
// whether explicitly), and the refusals that are no policy's at all (an
// expired login token, a missing repository).
//
// The wordings come from IAM's "Troubleshoot access denied error messages"
// page (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html,
// "Access denied error message examples"), ECR's registry and API errors,
// and the clients' own error formatting (distribution's errcode, moby's
// distribution/errors.go, containers/image docker/errors.go and
// copy/single.go, go-containerregistry transport/error.go, botocore's
// ClientError template). It imports nothing of the project, so the parts
// that classify AWS's answers and the part that explains them share it.
package refusal

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Kind is what the refusal is about.
type Kind string

// The kinds of refusal.
const (
	// Policy: an IAM authorization sentence ("User: … is not authorized to
	// perform: …"), from whichever policy type it names.
	Policy Kind = "policy"
	// ExpiredToken: the registry login (GetAuthorizationToken's token)
	// has expired; it lasts 12 hours or as long as the credentials it came
	// from.
	ExpiredToken Kind = "expired-token"
	// InvalidToken: the registry did not issue the token it was given.
	InvalidToken Kind = "invalid-token"
	// NoLogin: the registry was sent no credentials at all.
	NoLogin Kind = "no-login"
	// ExpiredSession: the AWS credentials (an STS session) have expired.
	ExpiredSession Kind = "expired-session"
	// InvalidCredentials: AWS does not know the access key.
	InvalidCredentials Kind = "invalid-credentials"
	// MissingRepository: the repository does not exist in that registry.
	MissingRepository Kind = "missing-repository"
	// MissingImage: the repository exists, the tag or digest does not.
	MissingImage Kind = "missing-image"
	// MissingRepositoryPolicy: GetRepositoryPolicy on a repository with none.
	MissingRepositoryPolicy Kind = "missing-repository-policy"
	// SentenceLost: refused (HTTP 403), but the client could not show why:
	// a HEAD request's answer has no body, and docker's containerd image
	// store drops the registry's words.
	SentenceLost Kind = "sentence-lost"
	// Throttled: too many requests.
	Throttled Kind = "throttled"
	// Unknown: nothing in the text is a refusal this package knows.
	Unknown Kind = "unknown"
)

// PolicyType is the kind of policy an IAM sentence names, in its words.
type PolicyType string

// The policy types of IAM's sentences.
const (
	Endpoint PolicyType = "VPC endpoint policy"
	// EndpointViaSCP: "with an explicit deny in a VPC endpoint policy
	// transitively through a service control policy".
	EndpointViaSCP PolicyType = "VPC endpoint policy transitively through a service control policy"
	Resource       PolicyType = "resource-based policy"
	Identity       PolicyType = "identity-based policy"
	SCP            PolicyType = "service control policy"
	RCP            PolicyType = "resource control policy"
	Boundary       PolicyType = "permissions boundary"
	Session        PolicyType = "session policy"
	Trust          PolicyType = "role trust policy"
	// Unnamed: the sentence names no policy type (messages from before
	// about 2021 end at the resource, or at "with an explicit deny").
	Unnamed PolicyType = ""
)

// Deny says how a policy refused.
type Deny string

const (
	// Explicit: a Deny statement matched.
	Explicit Deny = "explicit"
	// Implicit: no statement allowed the request.
	Implicit Deny = "implicit"
	// Unsaid: the sentence does not say.
	Unsaid Deny = ""
)

// Refusal is everything a refusal's text says.
type Refusal struct {
	Kind Kind `json:"kind"`
	// PolicyType and Deny, for a policy refusal.
	PolicyType PolicyType `json:"policyType,omitempty"`
	Deny       Deny       `json:"deny,omitempty"`
	// PolicyARN is the policy an explicit deny names after a colon, when
	// it does.
	PolicyARN string `json:"policyArn,omitempty"`
	// Principal is the caller as the sentence names it (a role session's
	// ARN, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).
	Principal string `json:"principal,omitempty"`
	// Action is the refused IAM action (ecr:PutImage): from the sentence,
	// else from the request the client names.
	Action string `json:"action,omitempty"`
	// Resource is the sentence's resource (a repository ARN, or "*").
	Resource string `json:"resource,omitempty"`
	// Repository, Account and Region: from the resource, the registry host
	// or the sentence about a missing repository.
	Repository string `json:"repository,omitempty"`
	Account    string `json:"account,omitempty"`
	Region     string `json:"region,omitempty"`
	Tag        string `json:"tag,omitempty"`
	// Client is who printed it: docker, skopeo, crane, aws-cli, sdk, or ""
	// for a bare sentence.
	Client string `json:"client,omitempty"`
	// Operation is what the client was doing: push, pull, login, or the
	// API operation the AWS CLI or an SDK called (GetAuthorizationToken).
	Operation string `json:"operation,omitempty"`
	// Code is the error's code (DENIED, AccessDeniedException, NAME_UNKNOWN).
	Code string `json:"code,omitempty"`
	// Message is the service's own sentence, lines joined.
	Message string `json:"message,omitempty"`
}

// IsRefusal reports whether the text was a refusal this package knows.
func (r Refusal) IsRefusal() bool { return r.Kind != Unknown && r.Kind != "" }

// EndpointPossible reports whether a VPC endpoint policy can be what
// refused: the sentence names one, or names no type (old wordings), or was
// lost. Every other kind comes from somewhere else.
func (r Refusal) EndpointPossible() bool {
	switch r.Kind {
	case Policy:
		return r.PolicyType == Endpoint || r.PolicyType == Unnamed
	case SentenceLost:
		return true
	}
	return false
}

// normalise joins the lines of pasted output into one (a sentence wrapped
// over lines is one sentence again), undoes Go quoting (skopeo's logfmt
// msg="…"), and trims terminal colour codes.
func normalise(s string) string {
	s = ansi.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `\n`, " ")
	return strings.Join(strings.Fields(s), " ")
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// The sentence grammar of IAM's page:
//
//	User: <principal> is not authorized to perform: <action>[ on resource: <resource>][ <context>]
//
// where the context is "because no <type> allows the <action> action" or
// "with an explicit deny[ in a|an|the <type>][: <policy-arn>]".
var (
	reSentence = regexp.MustCompile(`User: (\S+) is not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9*]+)(?: on resource: (\S+(?: \S+)?))?`)
	reImplicit = regexp.MustCompile(`^\s*because no (.+?) allows the \S+ action`)
	reExplicit = regexp.MustCompile(`^\s*with an explicit deny(?: in (?:an? |the )?(.+?))?(?::\s*(arn:\S+))?(?:[".;]|\s*$|\s+[A-Z]|\s+Encoded)`)
)

// policyTypes maps the phrases of IAM's sentences to their type, longest
// first (the SCP-through-an-endpoint phrase starts like the endpoint one).
var policyTypes = []struct {
	phrase string
	typ    PolicyType
}{
	{"VPC endpoint policy transitively through a service control policy", EndpointViaSCP},
	{"VPC endpoint policy", Endpoint},
	{"resource-based policy", Resource},
	{"identity-based policy", Identity},
	{"service control policy", SCP},
	{"resource control policy", RCP},
	{"permissions boundary", Boundary},
	// AWS's page prints "sessions policy" in its explicit-deny example.
	{"sessions policy", Session},
	{"session policy", Session},
	{"role trust policy", Trust},
}

func policyTypeOf(phrase string) (PolicyType, bool) {
	phrase = strings.TrimSpace(phrase)
	for _, p := range policyTypes {
		if strings.EqualFold(phrase, p.phrase) || strings.HasPrefix(strings.ToLower(phrase), strings.ToLower(p.phrase)) {
			return p.typ, true
		}
	}
	return Unnamed, false
}

// Parse reads a refusal from text. It never fails: a text it does not
// recognise is a Refusal of Kind Unknown, with what it could still find
// (the client, the repository).
func Parse(text string) Refusal {
	s := normalise(text)
	r := Refusal{Kind: Unknown}
	r.client(s)
	r.sentence(s)
	if r.Kind == Unknown {
		r.otherKinds(s)
	}
	r.fillFromResource()
	if r.Action == "" {
		r.Action = r.inferredAction(s)
	}
	return r
}

// client recognises who printed the text, and what it was doing.
func (r *Refusal) client(s string) {
	switch {
	case strings.Contains(s, "when calling the ") && (strings.Contains(s, "An error occurred (") || strings.Contains(s, "A client error (")):
		// botocore: "An error occurred ({code}) when calling the {op}
		// operation: {message}" (optionally after "aws: [ERROR]: "); the
		// AWS CLI before 1.x: "A client error ({code}) occurred when …".
		r.Client = "aws-cli"
		if m := reCLI.FindStringSubmatch(s); m != nil {
			r.Code, r.Operation = firstNonEmpty(m[1], m[2]), m[3]
			r.Message = strings.TrimSpace(m[4])
		}
	case strings.Contains(s, "operation error ") && strings.Contains(s, "api error "):
		// aws-sdk-go-v2: "operation error ECR: GetAuthorizationToken, https
		// response error StatusCode: 400, RequestID: …, api error
		// AccessDeniedException: User: …".
		r.Client = "sdk"
		if m := reSDK.FindStringSubmatch(s); m != nil {
			r.Operation, r.Code, r.Message = m[1], m[2], strings.TrimSpace(m[3])
		}
	case strings.Contains(s, "level=fatal") || strings.Contains(s, "FATA[") || strings.Contains(s, "docker://") ||
		strings.Contains(s, "writing manifest: uploading manifest") || strings.Contains(s, "trying to reuse blob") ||
		strings.Contains(s, "reading manifest "):
		r.Client = "skopeo"
		switch {
		case strings.Contains(s, "writing manifest") || strings.Contains(s, "trying to reuse blob") || strings.Contains(s, "writing blob"):
			r.Operation = "push"
		case strings.Contains(s, "reading manifest") || strings.Contains(s, "initializing source"):
			r.Operation = "pull"
		}
		if m := reSkopeoRef.FindStringSubmatch(s); m != nil {
			r.setRef(m[1])
		} else if m := reSkopeoIn.FindStringSubmatch(s); m != nil {
			r.setHostRepo(m[2], m[3])
			r.Tag = m[1]
		} else if m := reSkopeoBlob.FindStringSubmatch(s); m != nil {
			r.setHostRepo(m[1], m[2])
		}
	case strings.Contains(s, "The push refers to repository ["):
		r.Client, r.Operation = "docker", "push"
		if m := reDockerPush.FindStringSubmatch(s); m != nil {
			r.setRef(m[1])
		}
	case strings.Contains(s, "Error response from daemon") || strings.Contains(s, "pull access denied for ") || strings.Contains(s, "no basic auth credentials"):
		r.Client = "docker"
		switch {
		case strings.Contains(s, "login attempt to"):
			r.Operation = "login"
		case strings.Contains(s, "pull access denied") || strings.Contains(s, "manifest for ") || reDockerNotFound.MatchString(s):
			r.Operation = "pull"
		}
		if m := reDockerPull.FindStringSubmatch(s); m != nil {
			r.setRef(m[1])
		} else if m := reDockerNotFound.FindStringSubmatch(s); m != nil {
			r.setRef(m[1])
		} else if m := reDockerManifest.FindStringSubmatch(s); m != nil {
			r.setRef(m[1])
		}
	case reCrane.MatchString(s):
		// go-containerregistry: "<METHOD> <url>: <CODE>: <message>".
		r.Client = "crane"
		m := reCrane.FindStringSubmatch(s)
		r.setURL(m[1], m[2])
		r.Code = m[3]
	}
	if r.Client == "" && strings.HasPrefix(strings.TrimSpace(s), "{") {
		r.jsonError(s)
	}
}

var (
	reCLI            = regexp.MustCompile(`(?:An error occurred \(([A-Za-z0-9_.]+)\)|A client error \(([A-Za-z0-9_.]+)\) occurred) when calling the ([A-Za-z0-9]+) operation(?: \([^)]*\))?: (.*?)(?: Additional error details:.*)?$`)
	reSDK            = regexp.MustCompile(`operation error [^:]+: ([A-Za-z0-9]+),.*?api error ([A-Za-z0-9_.]+): (.*)$`)
	reSkopeoRef      = regexp.MustCompile(`docker://([^\s:"]+(?::[0-9]+)?/[^\s:"]+(?::[A-Za-z0-9_.-]+)?)`)
	reSkopeoIn       = regexp.MustCompile(`(?:reading|uploading) manifest (\S+) (?:in|to) ([^\s/]+)/(\S+?):`)
	reSkopeoBlob     = regexp.MustCompile(`exists in ([^\s/]+)/(\S+?):`)
	reDockerPush     = regexp.MustCompile(`The push refers to repository \[([^\]]+)\]`)
	reDockerPull     = regexp.MustCompile(`pull access denied for ([^\s,]+),`)
	reDockerNotFound = regexp.MustCompile(`repository (\S+) not found:`)
	reDockerManifest = regexp.MustCompile(`manifest for (\S+) not found`)
	reCrane          = regexp.MustCompile(`\b(GET|HEAD|PUT|POST|PATCH|DELETE) (https?://\S+?):? (?:([A-Z_]+): |unexpected status code)`)
)

// jsonError reads an error printed as JSON (the AWS CLI's
// --cli-error-format json, or a registry's body pasted as is).
func (r *Refusal) jsonError(s string) {
	var body struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
		Type    string `json:"__type"`
		Errors  []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Operation string `json:"Operation"`
	}
	if json.Unmarshal([]byte(s), &body) != nil {
		return
	}
	switch {
	case len(body.Errors) > 0:
		r.Client, r.Code, r.Message = "registry", body.Errors[0].Code, body.Errors[0].Message
	case body.Code != "" || body.Type != "":
		r.Client, r.Code, r.Message, r.Operation = "aws-cli", firstNonEmpty(body.Code, body.Type), body.Message, body.Operation
	}
}

// sentence finds IAM's sentence and reads it.
func (r *Refusal) sentence(s string) {
	loc := reSentence.FindStringSubmatchIndex(s)
	if loc == nil {
		return
	}
	m := func(i int) string {
		if loc[2*i] < 0 {
			return ""
		}
		return s[loc[2*i]:loc[2*i+1]]
	}
	r.Kind = Policy
	r.Principal = m(1)
	r.Action = m(2)
	res := m(3)
	rest := s[loc[1]:]
	// The resource is one word (an ARN or *), except IAM's own "role NAME";
	// a second word that starts the context belongs to the context.
	if w, second, ok := strings.Cut(res, " "); ok {
		if second == "because" || second == "with" {
			res, rest = w, " "+second+rest
		} else if !strings.HasPrefix(w, "role") && !strings.HasPrefix(w, "user") {
			res, rest = w, " "+second+rest
		}
	}
	r.Resource = strings.TrimRight(res, `".,;`)
	if r.Code == "" {
		if i := strings.LastIndex(s[:loc[0]], "denied: "); i >= 0 && i+len("denied: ") == loc[0] {
			r.Code = "DENIED"
		}
	}
	if r.Message == "" {
		r.Message = strings.TrimSpace(s[loc[0]:])
	}
	switch {
	case reImplicit.MatchString(rest):
		r.Deny = Implicit
		r.PolicyType, _ = policyTypeOf(reImplicit.FindStringSubmatch(rest)[1])
	case reExplicit.MatchString(rest):
		r.Deny = Explicit
		sm := reExplicit.FindStringSubmatch(rest)
		if sm[1] != "" {
			r.PolicyType, _ = policyTypeOf(sm[1])
		}
		r.PolicyARN = sm[2]
	}
	// The sentence ends where its context ends: keep the message to it.
	if i := strings.Index(r.Message, " Encoded authorization failure message:"); i >= 0 {
		r.Message = r.Message[:i]
	}
	r.Message = strings.TrimRight(strings.TrimSuffix(r.Message, `"`), " ")
}

var (
	reNoRepo       = regexp.MustCompile(`The repository with name '([^']+)' does not exist in the registry with id '([0-9]+)'`)
	reNoRepoPolicy = regexp.MustCompile(`Repository policy does not exist for the repository with name '([^']+)' in the registry with id '([0-9]+)'`)
)

// otherKinds recognises refusals that are not a policy's.
func (r *Refusal) otherKinds(s string) {
	low := strings.ToLower(s)
	switch {
	case strings.Contains(low, "authorization token has expired"):
		// ECR today: "Your authorization token has expired. Reauthenticate
		// and try again."; before 2019: "Your Authorization Token has
		// expired. Please run 'aws ecr get-login' to fetch a new one."
		r.Kind = ExpiredToken
		r.setMessage(s, "Your ", "has expired.", "Reauthenticate and try again.", "to fetch a new one.")
	case strings.Contains(low, "authorization token is invalid"):
		r.Kind = InvalidToken
		r.setMessage(s, "Your ", "is invalid.")
	case r.Code == "ExpiredTokenException" || r.Code == "ExpiredToken" || strings.Contains(low, "security token included in the request is expired"):
		r.Kind = ExpiredSession
	case r.Code == "UnrecognizedClientException" || r.Code == "InvalidClientTokenId" || strings.Contains(low, "security token included in the request is invalid"):
		r.Kind = InvalidCredentials
	case r.Code == "RepositoryPolicyNotFoundException" || reNoRepoPolicy.MatchString(s):
		r.Kind = MissingRepositoryPolicy
		if m := reNoRepoPolicy.FindStringSubmatch(s); m != nil {
			r.Repository, r.Account = m[1], m[2]
			r.Message = m[0]
		}
	case r.Code == "RepositoryNotFoundException" || reNoRepo.MatchString(s) || strings.Contains(s, "name unknown"):
		r.Kind = MissingRepository
		if m := reNoRepo.FindStringSubmatch(s); m != nil {
			r.Repository, r.Account = m[1], m[2]
			r.Message = m[0]
		}
		if r.Code == "" {
			r.Code = "NAME_UNKNOWN"
		}
	case strings.Contains(s, "manifest unknown") || r.Code == "ImageNotFoundException" || strings.Contains(s, "MANIFEST_UNKNOWN"):
		r.Kind = MissingImage
	case strings.Contains(low, "no basic auth credentials") || strings.Contains(s, "401 Unauthorized") || strings.Contains(low, "unauthorized: "):
		r.Kind = NoLogin
	case strings.Contains(low, "toomanyrequests") || strings.Contains(low, "rate exceeded") || r.Code == "ThrottlingException":
		r.Kind = Throttled
	case strings.Contains(s, `StatusCode: 403, ""`) || strings.Contains(s, "403 Forbidden") ||
		(r.Client == "docker" && strings.Contains(s, "pull access denied for ")):
		// A HEAD answer has no body (containers/image prints StatusCode:
		// 403, ""; go-containerregistry "unexpected status code 403
		// Forbidden (HEAD responses have no body, …)"), and docker's
		// containerd image store prints "pull access denied …" without the
		// registry's words.
		r.Kind = SentenceLost
		r.Code = "DENIED"
	case r.Code == "AccessDeniedException" || r.Code == "AccessDenied" || strings.HasPrefix(strings.TrimSpace(low), "denied:") || strings.Contains(low, " denied: "):
		// A refusal whose sentence is not IAM's (or was cut off).
		r.Kind = SentenceLost
	}
}

// setMessage keeps the service's sentence: from start up to the first of
// the endings found after it.
func (r *Refusal) setMessage(s, start string, endings ...string) {
	i := strings.Index(strings.ToLower(s), strings.ToLower(start))
	if i < 0 {
		return
	}
	msg := s[i:]
	end := -1
	for _, e := range endings {
		if j := strings.Index(msg, e); j >= 0 && j+len(e) > end {
			end = j + len(e)
		}
	}
	if end > 0 {
		msg = msg[:end]
	}
	r.Message = msg
	if r.Code == "" {
		r.Code = "DENIED"
	}
}

// fillFromResource reads the repository, account and region out of an ECR
// repository ARN (arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME).
func (r *Refusal) fillFromResource() {
	parts := strings.SplitN(r.Resource, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecr" {
		return
	}
	if name, ok := strings.CutPrefix(parts[5], "repository/"); ok {
		r.Repository = name
	}
	r.Region, r.Account = parts[3], parts[4]
}

// setRef reads HOST/REPO[:TAG] as docker and skopeo print it.
func (r *Refusal) setRef(ref string) {
	host, rest, ok := strings.Cut(ref, "/")
	if !ok {
		return
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		r.Tag = rest[i+1:]
		rest = rest[:i]
	}
	if i := strings.Index(rest, "@"); i >= 0 {
		rest = rest[:i]
	}
	r.setHostRepo(host, rest)
}

// setHostRepo reads ACCOUNT.dkr.ecr.REGION.amazonaws.com (or the dual-stack
// ACCOUNT.dkr-ecr.REGION.on.aws) and the repository.
func (r *Refusal) setHostRepo(host, repo string) {
	if r.Repository == "" {
		r.Repository = repo
	}
	for _, marker := range []string{".dkr.ecr.", ".dkr-ecr."} {
		if acct, rest, ok := strings.Cut(host, marker); ok {
			region, _, _ := strings.Cut(rest, ".")
			if r.Account == "" {
				r.Account = acct
			}
			if r.Region == "" {
				r.Region = region
			}
		}
	}
}

// setURL reads a registry URL: https://HOST/v2/REPO/(manifests|blobs)/REF.
func (r *Refusal) setURL(method, u string) {
	rest := u[strings.Index(u, "//")+2:]
	host, path, _ := strings.Cut(rest, "/")
	path = strings.TrimPrefix(path, "v2/")
	for _, kind := range []string{"/manifests/", "/blobs/uploads", "/blobs/", "/tags/list"} {
		if i := strings.Index(path, kind); i >= 0 {
			r.setHostRepo(host, path[:i])
			ref := strings.TrimPrefix(path[i:], kind)
			if kind == "/manifests/" && !strings.Contains(ref, ":") {
				r.Tag = ref
			}
			r.Action = registryAction(method, kind)
			switch r.Action {
			case "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability":
				r.Operation = "push"
			case "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer":
				r.Operation = "pull"
			}
			return
		}
	}
}

// registryAction maps a registry request to the ECR action it is
// authorised as (ECR's "Amazon ECR and the Docker Registry API" mapping).
func registryAction(method, kind string) string {
	switch kind {
	case "/manifests/":
		switch method {
		case "PUT":
			return "ecr:PutImage"
		case "DELETE":
			return "ecr:BatchDeleteImage"
		}
		return "ecr:BatchGetImage"
	case "/blobs/uploads":
		switch method {
		case "POST":
			return "ecr:InitiateLayerUpload"
		case "PUT":
			return "ecr:CompleteLayerUpload"
		}
		return "ecr:UploadLayerPart"
	case "/blobs/":
		if method == "HEAD" {
			return "ecr:BatchCheckLayerAvailability"
		}
		return "ecr:GetDownloadUrlForLayer"
	case "/tags/list":
		return "ecr:ListImages"
	}
	return ""
}

// inferredAction names the action a sentence-less refusal was about, from
// what the client says it was doing.
func (r *Refusal) inferredAction(s string) string {
	switch {
	case r.Kind != Policy && r.Kind != SentenceLost:
		return ""
	case r.Client == "aws-cli" || r.Client == "sdk":
		if r.Operation != "" {
			return "ecr:" + r.Operation
		}
	case strings.Contains(s, "trying to reuse blob") || strings.Contains(s, "checking whether a blob"):
		return "ecr:BatchCheckLayerAvailability"
	case strings.Contains(s, "writing manifest") || strings.Contains(s, "uploading manifest"):
		return "ecr:PutImage"
	case strings.Contains(s, "reading manifest") || strings.Contains(s, "pull access denied"):
		return "ecr:BatchGetImage"
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
