package refusal

import (
	"strings"
	"testing"
)

const (
	session = "arn:aws:sts::123456789012:assumed-role/ecr-vpce-lab-workspace/i-0a1b2c3d4e5f60718"
	repoARN = "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine"
	host    = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
)

// Each case is a wording a client prints, with its source: [DOC] AWS's
// documentation, [OBS] output captured in a public issue, [SRC] the
// client's formatting code (research notes, section A).
func TestParseEveryWording(t *testing.T) {
	cases := []struct {
		name string
		text string
		want Refusal
	}{
		{"docker push, endpoint explicit deny, wrapped as the workshop page prints it [OBS workshop page]",
			"The push refers to repository [" + host + "/team-a/alpine]\n78a822fe2a2d: Layer already exists\ndenied: User: " + session +
				"\n  is not authorized to perform: ecr:PutImage on resource:\n  " + repoARN + " with an explicit\n  deny in a VPC endpoint policy\n",
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Explicit, Principal: session, Action: "ecr:PutImage", Resource: repoARN,
				Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2", Client: "docker", Operation: "push", Code: "DENIED"}},
		{"docker push, no resource-based policy allows, cross-account [OBS aws-actions/amazon-ecr-login#232]",
			"denied: User: arn:aws:sts::111122223333:assumed-role/cp-sw-actions-runner/GitHubActions is not authorized to perform: ecr:InitiateLayerUpload on resource: arn:aws:ecr:us-west-2:444455556666:repository/runner-test because no resource-based policy allows the ecr:InitiateLayerUpload action",
			Refusal{Kind: Policy, PolicyType: Resource, Deny: Implicit, Principal: "arn:aws:sts::111122223333:assumed-role/cp-sw-actions-runner/GitHubActions",
				Action: "ecr:InitiateLayerUpload", Resource: "arn:aws:ecr:us-west-2:444455556666:repository/runner-test", Repository: "runner-test",
				Account: "444455556666", Region: "us-west-2", Code: "DENIED"}},
		{"docker pull, no identity-based policy allows [OBS everything2/everything2#2562, SRC moby distribution/errors.go]",
			"Error response from daemon: pull access denied for 254865750963.dkr.ecr.us-west-2.amazonaws.com/everything2/e2lib, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::254865750963:assumed-role/Docker-Builder-CodeBuild-Role/AWSCodeBuild-1 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-west-2:254865750963:repository/everything2/e2lib because no identity-based policy allows the ecr:BatchGetImage action",
			Refusal{Kind: Policy, PolicyType: Identity, Deny: Implicit, Principal: "arn:aws:sts::254865750963:assumed-role/Docker-Builder-CodeBuild-Role/AWSCodeBuild-1",
				Action: "ecr:BatchGetImage", Resource: "arn:aws:ecr:us-west-2:254865750963:repository/everything2/e2lib", Repository: "everything2/e2lib",
				Account: "254865750963", Region: "us-west-2", Client: "docker", Operation: "pull", Code: "DENIED"}},
		{"docker pull, endpoint implicit deny [DOC IAM access denied page, VPC endpoint row]",
			"Error response from daemon: pull access denied for " + host + "/team-a/alpine, repository does not exist or may require 'docker login': denied: User: " + session +
				" is not authorized to perform: ecr:BatchGetImage on resource: " + repoARN + " because no VPC endpoint policy allows the ecr:BatchGetImage action",
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Implicit, Principal: session, Action: "ecr:BatchGetImage", Resource: repoARN,
				Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2", Client: "docker", Operation: "pull", Code: "DENIED"}},
		{"docker push, expired registry token [SRC awslabs/soci-snapshotter resolver/client.go]",
			"The push refers to repository [" + host + "/team-a/alpine]\ndenied: Your authorization token has expired. Reauthenticate and try again.",
			Refusal{Kind: ExpiredToken, Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2", Client: "docker", Operation: "push",
				Code: "DENIED", Message: "Your authorization token has expired. Reauthenticate and try again."}},
		{"expired token, the wording before 2019 [OBS indexed tutorial]",
			"denied: Your Authorization Token has expired. Please run 'aws ecr get-login' to fetch a new one.",
			Refusal{Kind: ExpiredToken, Code: "DENIED", Message: "Your Authorization Token has expired. Please run 'aws ecr get-login' to fetch a new one."}},
		{"a token the registry did not issue [sandbox, as ECR answers 400 DENIED]",
			"denied: Your Authorization Token is invalid.",
			Refusal{Kind: InvalidToken, Code: "DENIED", Message: "Your Authorization Token is invalid."}},
		{"docker push to a missing repository [OBS indexed README]",
			"The push refers to repository [831394476016.dkr.ecr.us-east-1.amazonaws.com/kinesis-cratedb-processor-lambda]\nname unknown: The repository with name 'kinesis-cratedb-processor-lambda' does not exist in the registry with id '831394476016'",
			Refusal{Kind: MissingRepository, Repository: "kinesis-cratedb-processor-lambda", Account: "831394476016", Region: "us-east-1", Client: "docker", Operation: "push",
				Code: "NAME_UNKNOWN", Message: "The repository with name 'kinesis-cratedb-processor-lambda' does not exist in the registry with id '831394476016'"}},
		{"docker pull of a missing repository [SRC moby distribution/errors.go]",
			"Error response from daemon: repository " + host + "/team-c/app not found: name unknown: The repository with name 'team-c/app' does not exist in the registry with id '123456789012'",
			Refusal{Kind: MissingRepository, Repository: "team-c/app", Account: "123456789012", Region: "us-west-2", Client: "docker", Operation: "pull",
				Code: "NAME_UNKNOWN", Message: "The repository with name 'team-c/app' does not exist in the registry with id '123456789012'"}},
		{"docker pull of a missing tag [SRC moby distribution/errors.go]",
			"Error response from daemon: manifest for " + host + "/team-a/alpine:v9 not found: manifest unknown: Requested image not found",
			Refusal{Kind: MissingImage, Repository: "team-a/alpine", Tag: "v9", Account: "123456789012", Region: "us-west-2", Client: "docker", Operation: "pull"}},
		{"docker pull with the containerd image store: the sentence is dropped [SRC moby daemon/containerd/image_pull.go]",
			"Error response from daemon: pull access denied for " + host + "/team-a/alpine, repository does not exist or may require 'docker login'",
			Refusal{Kind: SentenceLost, Action: "ecr:BatchGetImage", Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2", Client: "docker", Operation: "pull", Code: "DENIED"}},
		{"docker without a login [DOC ECR common-errors-docker]",
			"Error response from daemon: Head \"https://" + host + "/v2/team-a/alpine/manifests/v1\": no basic auth credentials",
			Refusal{Kind: NoLogin, Client: "docker"}},
		{"skopeo copy from ECR refused, on a terminal [SRC containers/image copy/copy.go, docker_client.go]",
			"FATA[0000] determining manifest MIME type for docker://" + host + "/team-a/alpine:v1: reading manifest v1 in " + host + "/team-a/alpine: denied: User: " + session +
				" is not authorized to perform: ecr:BatchGetImage on resource: " + repoARN + " with an explicit deny in a VPC endpoint policy",
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Explicit, Principal: session, Action: "ecr:BatchGetImage", Resource: repoARN, Repository: "team-a/alpine",
				Tag: "v1", Account: "123456789012", Region: "us-west-2", Client: "skopeo", Operation: "pull", Code: "DENIED"}},
		{"skopeo push refused at the manifest, logfmt with Go quoting [SRC containers/image copy/single.go, skopeo main.go]",
			`time="2026-05-01T10:00:00Z" level=fatal msg="writing manifest: uploading manifest v2 to ` + host + `/team-a/alpine: denied: User: ` + session +
				` is not authorized to perform: ecr:PutImage on resource: ` + repoARN + ` with an explicit deny in a resource-based policy"`,
			Refusal{Kind: Policy, PolicyType: Resource, Deny: Explicit, Principal: session, Action: "ecr:PutImage", Resource: repoARN, Repository: "team-a/alpine",
				Tag: "v2", Account: "123456789012", Region: "us-west-2", Client: "skopeo", Operation: "push", Code: "DENIED"}},
		{"skopeo push refused at the blob check: a HEAD has no body [SRC containers/image docker/errors.go]",
			`FATA[0001] trying to reuse blob sha256:9b1a at destination: checking whether a blob sha256:9b1a exists in ` + host + `/team-a/alpine: StatusCode: 403, ""`,
			Refusal{Kind: SentenceLost, Action: "ecr:BatchCheckLayerAvailability", Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2",
				Client: "skopeo", Operation: "push", Code: "DENIED"}},
		{"crane refused at the manifest PUT [SRC go-containerregistry transport/error.go]",
			"Error: PUT https://" + host + "/v2/team-a/alpine/manifests/v2: DENIED: User: " + session + " is not authorized to perform: ecr:PutImage on resource: " + repoARN +
				" with an explicit deny in a VPC endpoint policy",
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Explicit, Principal: session, Action: "ecr:PutImage", Resource: repoARN, Repository: "team-a/alpine", Tag: "v2",
				Account: "123456789012", Region: "us-west-2", Client: "crane", Operation: "push", Code: "DENIED"}},
		{"crane refused on a HEAD: no sentence [SRC go-containerregistry transport/error.go]",
			"HEAD https://" + host + "/v2/team-a/alpine/blobs/sha256:9b1a: unexpected status code 403 Forbidden (HEAD responses have no body, use GET for details)",
			Refusal{Kind: SentenceLost, Action: "ecr:BatchCheckLayerAvailability", Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2",
				Client: "crane", Operation: "push", Code: "DENIED"}},
		{"AWS CLI v2 since 2026, login refused by an endpoint policy's silence [OBS aws/aws-cli#9889, SRC botocore ClientError]",
			"\naws: [ERROR]: An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: " + session +
				" is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no VPC endpoint policy allows the ecr:GetAuthorizationToken action\n",
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Implicit, Principal: session, Action: "ecr:GetAuthorizationToken", Resource: "*",
				Client: "aws-cli", Operation: "GetAuthorizationToken", Code: "AccessDeniedException"}},
		{"AWS CLI, list-images refused, with the Additional error details block [OBS aws/aws-cli#10094]",
			"An error occurred (AccessDeniedException) when calling the ListImages operation: User: " + session + " is not authorized to perform: ecr:ListImages on resource: " +
				repoARN + " with an explicit deny in a VPC endpoint policy\n\nAdditional error details:\nField: value",
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Explicit, Principal: session, Action: "ecr:ListImages", Resource: repoARN, Repository: "team-a/alpine",
				Account: "123456789012", Region: "us-west-2", Client: "aws-cli", Operation: "ListImages", Code: "AccessDeniedException"}},
		{"AWS CLI of 2020: explicit deny, no policy type [OBS aws/aws-cli#5592]",
			"An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: " + session + " is not authorized to perform: ecr:GetAuthorizationToken on resource: * with an explicit deny",
			Refusal{Kind: Policy, PolicyType: Unnamed, Deny: Explicit, Principal: session, Action: "ecr:GetAuthorizationToken", Resource: "*",
				Client: "aws-cli", Operation: "GetAuthorizationToken", Code: "AccessDeniedException"}},
		{"the oldest CLI form, nothing after the resource [OBS awsdocs/amazon-ecr-user-guide#19, ECR common-errors]",
			"A client error (AccessDeniedException) occurred when calling the GetAuthorizationToken operation: User: arn:aws:iam::123456789012:user/MyUser is not authorized to perform: ecr:GetAuthorizationToken on resource: *",
			Refusal{Kind: Policy, Principal: "arn:aws:iam::123456789012:user/MyUser", Action: "ecr:GetAuthorizationToken", Resource: "*",
				Client: "aws-cli", Operation: "GetAuthorizationToken", Code: "AccessDeniedException"}},
		{"DeleteRepository, explicit deny of 2018 [OBS awsdocs/amazon-ecr-user-guide#13]",
			"User: arn:aws:iam::421414164445:user/user1 is not authorized to perform: ecr:DeleteRepository on resource: arn:aws:ecr:us-east-2:421414164445:repository/test with an explicit deny",
			Refusal{Kind: Policy, Deny: Explicit, Principal: "arn:aws:iam::421414164445:user/user1", Action: "ecr:DeleteRepository",
				Resource: "arn:aws:ecr:us-east-2:421414164445:repository/test", Repository: "test", Account: "421414164445", Region: "us-east-2"}},
		{"explicit deny naming the policy after a colon [OBS lab write-up]",
			"User: " + session + " is not authorized to perform: ecr:PutImage on resource: " + repoARN + " with an explicit deny in a permissions boundary: arn:aws:iam::123456789012:policy/lab-boundary",
			Refusal{Kind: Policy, PolicyType: Boundary, Deny: Explicit, PolicyARN: "arn:aws:iam::123456789012:policy/lab-boundary", Principal: session, Action: "ecr:PutImage",
				Resource: repoARN, Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2"}},
		{"session policy, as AWS's page spells it: sessions [DOC IAM access denied page]",
			"User: " + session + " is not authorized to perform: ecr:PutImage on resource: " + repoARN + " with an explicit deny in a sessions policy",
			Refusal{Kind: Policy, PolicyType: Session, Deny: Explicit, Principal: session, Action: "ecr:PutImage", Resource: repoARN,
				Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2"}},
		{"an SCP reached through the endpoint [DOC IAM access denied page]",
			"User: " + session + " is not authorized to perform: ecr:PutImage on resource: " + repoARN + " with an explicit deny in a VPC endpoint policy transitively through a service control policy",
			Refusal{Kind: Policy, PolicyType: EndpointViaSCP, Deny: Explicit, Principal: session, Action: "ecr:PutImage", Resource: repoARN,
				Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2"}},
		{"service control policy, implicit [DOC IAM access denied page]",
			"User: " + session + " is not authorized to perform: ecr:ListImages on resource: " + repoARN + " because no service control policy allows the ecr:ListImages action",
			Refusal{Kind: Policy, PolicyType: SCP, Deny: Implicit, Principal: session, Action: "ecr:ListImages", Resource: repoARN,
				Repository: "team-a/alpine", Account: "123456789012", Region: "us-west-2"}},
		{"aws-sdk-go-v2's error [OBS ECS troubleshooting write-ups]",
			"operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 6e0c, api error AccessDeniedException: User: " + session +
				" is not authorized to perform: ecr:GetAuthorizationToken on resource: * with an explicit deny in an identity-based policy",
			Refusal{Kind: Policy, PolicyType: Identity, Deny: Explicit, Principal: session, Action: "ecr:GetAuthorizationToken", Resource: "*",
				Client: "sdk", Operation: "GetAuthorizationToken", Code: "AccessDeniedException"}},
		{"AWS CLI, a missing repository [MODEL ecr RepositoryNotFoundException]",
			"An error occurred (RepositoryNotFoundException) when calling the ListImages operation: The repository with name 'team-c/app' does not exist in the registry with id '123456789012'",
			Refusal{Kind: MissingRepository, Repository: "team-c/app", Account: "123456789012", Client: "aws-cli", Operation: "ListImages", Code: "RepositoryNotFoundException",
				Message: "The repository with name 'team-c/app' does not exist in the registry with id '123456789012'"}},
		{"AWS CLI, no repository policy [OBS project test, EMU moto]",
			"aws: [ERROR]: An error occurred (RepositoryPolicyNotFoundException) when calling the GetRepositoryPolicy operation: Repository policy does not exist for the repository with name 'team-a/alpine' in the registry with id '368992683803'",
			Refusal{Kind: MissingRepositoryPolicy, Repository: "team-a/alpine", Account: "368992683803", Client: "aws-cli", Operation: "GetRepositoryPolicy",
				Code: "RepositoryPolicyNotFoundException", Message: "Repository policy does not exist for the repository with name 'team-a/alpine' in the registry with id '368992683803'"}},
		{"AWS CLI, an expired STS session, not the registry token [OBS indexed note]",
			"An error occurred (ExpiredTokenException) when calling the GetAuthorizationToken operation: The security token included in the request is expired",
			Refusal{Kind: ExpiredSession, Client: "aws-cli", Operation: "GetAuthorizationToken", Code: "ExpiredTokenException",
				Message: "The security token included in the request is expired"}},
		{"AWS CLI with --cli-error-format json [INF on its keys]",
			`{"Code": "AccessDeniedException", "Message": "User: ` + session + ` is not authorized to perform: ecr:DescribeImages on resource: ` + repoARN + ` with an explicit deny in a VPC endpoint policy"}`,
			Refusal{Kind: Policy, PolicyType: Endpoint, Deny: Explicit, Principal: session, Action: "ecr:DescribeImages", Resource: repoARN, Repository: "team-a/alpine",
				Account: "123456789012", Region: "us-west-2", Client: "aws-cli", Code: "AccessDeniedException"}},
		{"a registry error body pasted as is [SRC distribution errcode]",
			`{"errors":[{"code":"DENIED","message":"User: ` + session + ` is not authorized to perform: ecr:BatchGetImage on resource: ` + repoARN + ` because no resource-based policy allows the ecr:BatchGetImage action"}]}`,
			Refusal{Kind: Policy, PolicyType: Resource, Deny: Implicit, Principal: session, Action: "ecr:BatchGetImage", Resource: repoARN, Repository: "team-a/alpine",
				Account: "123456789012", Region: "us-west-2", Client: "registry", Code: "DENIED"}},
		{"throttled docker [DOC ECR common-errors]",
			"TOOMANYREQUESTS: Rate exceeded",
			Refusal{Kind: Throttled}},
		{"not a refusal at all",
			"Successfully pushed team-a/alpine:v2",
			Refusal{Kind: Unknown}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Parse(tc.text)
			msg := got.Message
			got.Message = ""
			want := tc.want
			wantMsg := want.Message
			want.Message = ""
			if got != want {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
			}
			if wantMsg != "" && msg != wantMsg {
				t.Errorf("message:\n got %q\nwant %q", msg, wantMsg)
			}
			if got.Kind == Policy && !strings.HasPrefix(msg, "User: ") {
				t.Errorf("a policy refusal's message should be IAM's sentence, got %q", msg)
			}
		})
	}
}

func TestEndpointPossible(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"User: a is not authorized to perform: ecr:PutImage on resource: * with an explicit deny in a VPC endpoint policy", true},
		{"User: a is not authorized to perform: ecr:PutImage on resource: * with an explicit deny", true},
		{"User: a is not authorized to perform: ecr:PutImage on resource: * because no resource-based policy allows the ecr:PutImage action", false},
		{"User: a is not authorized to perform: ecr:PutImage on resource: * with an explicit deny in a VPC endpoint policy transitively through a service control policy", false},
		{"denied: Your authorization token has expired. Reauthenticate and try again.", false},
		{`StatusCode: 403, ""`, true},
	} {
		if got := Parse(tc.text).EndpointPossible(); got != tc.want {
			t.Errorf("%q: EndpointPossible %v, want %v", tc.text, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("denied: User: a is not authorized to perform: ecr:PutImage on resource: * with an explicit deny in a VPC endpoint policy")
	f.Add(`FATA[0000] writing manifest: uploading manifest v2 to h/r: denied: x`)
	f.Add("HEAD https://h/v2/r/blobs/sha256:1: unexpected status code 403")
	f.Add(`{"errors":[{"code":"DENIED","message":"m"}]}`)
	f.Add("An error occurred (X) when calling the Y operation: User: ")
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if r.Kind == "" {
			t.Fatal("no kind")
		}
		if r.Kind == Policy && r.Action == "" {
			t.Fatalf("a policy refusal without an action: %+v", r)
		}
	})
}
