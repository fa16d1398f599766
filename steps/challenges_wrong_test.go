package steps

import (
	"strings"

	"ecr-vpce-lab/policy"
)

// wrongAnswer is a mistake a learner makes on a challenge, and the request
// of the hidden set that shows it (its Label, or part of it).
type wrongAnswer struct {
	name   string
	policy func(c ChallengeContext) string
	// shows is the request that goes otherwise than the goal wants; rule,
	// when set, a rule about the text the answer breaks instead.
	shows string
	rule  string
	// simOnly: the mistake shows on a request made by simulation only on
	// AWS, but the sandbox makes every request, so it is also checked live.
	liveShows string
}

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

const allowAllStmt = `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`

// wrongAnswers are at least three mistakes per challenge; the tests check
// each fails by simulation (and on the sandbox, for real) on the request
// named.
var wrongAnswers = map[int][]wrongAnswer{
	1: {
		{name: "the lab's own policy: only alpine is protected",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"`+repoARN(c, policy.DefaultRepository)+`"}`)
			}, shows: "push team-a/tools"},
		{name: "a Deny on every repository stops other teams' pushes",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"}`)
			}, shows: "push team-b/nginx"},
		{name: "denying ecr:* on team a stops its pulls too",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:*","Resource":"`+repoARN(c, "team-a/*")+`"}`)
			}, shows: "pull team-a/alpine"},
		{name: "an allow-list of reads forgets the login and the other teams",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:ListImages"],"Resource":"` + repoARN(c, "team-a/*") + `"}`)
			}, shows: "pull team-a/alpine"},
	},
	2: {
		{name: "the condition on a Deny turns our own account away",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+c.Account+`"}}}`)
			}, shows: "login (the lab's role"},
		{name: "a Deny for other accounts on repositories only: the login on * slips through",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"`+repoARN(c, "*")+`","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"`+c.Account+`"}}}`)
			}, shows: "login (another account's role"},
		{name: "a condition on a key no request carries refuses everyone",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"` + c.Account + `"}}}`)
			}, shows: "login (the lab's role"},
		{name: "allowing everyone leaves the partner's repository access open",
			policy: func(c ChallengeContext) string { return doc(allowAllStmt) },
			shows:  "pull team-a/alpine (another account's role"},
	},
	3: {
		{name: "the classic trap: no login on *",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":["` + repoARN(c, "team-a/*") + `","` + repoARN(c, "team-b/*") + `"]}`)
			}, shows: "login (the lab's role"},
		{name: "team-* matches team c too",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"`+repoARN(c, "team-*")+`"}`,
					`{"Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`)
			}, shows: "pull team-c/app"},
		{name: "a Deny on everything but the teams' ARNs denies the login",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:*","NotResource":["`+repoARN(c, "team-a/*")+`","`+repoARN(c, "team-b/*")+`"]}`)
			}, shows: "login (the lab's role"},
		{name: "team b forgotten",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"`+repoARN(c, "team-a/*")+`"}`,
					`{"Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`)
			}, shows: "push team-b/nginx"},
	},
	4: {
		{name: "ecr:Delete* misses BatchDeleteImage and catches DeleteRepositoryPolicy",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:Delete*","Resource":"*"}`)
			}, shows: "delete-image ecr-vpce-lab/scratch"},
		{name: "deletes denied on team a only",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":["ecr:BatchDeleteImage","ecr:DeleteRepository"],"Resource":"`+repoARN(c, "team-a/*")+`"}`)
			}, shows: "delete-image ecr-vpce-lab/scratch"},
		{name: "only a Deny: nothing is allowed at all",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Deny","Principal":"*","Action":["ecr:BatchDeleteImage","ecr:DeleteRepository"],"Resource":"*"}`)
			}, shows: "push ecr-vpce-lab/scratch"},
		{name: "ecr:*Delete* goes too far",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:*Delete*","Resource":"*"}`)
			}, shows: "delete-repository-policy ecr-vpce-lab/scratch"},
	},
	5: {
		{name: "a Deny of the login on a repository ARN never applies",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"`+repoARN(c, "*")+`"}`)
			}, shows: "login (the lab's role"},
		{name: "denying ecr:* on ecr.api refuses the listing too",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:*","Resource":"*"}`)
			}, shows: "list-images team-a/alpine"},
		{name: "the Deny without an Allow refuses every call",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Deny","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`)
			}, shows: "list-images team-a/alpine"},
		{name: "denying the pull instead of the login",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}`)
			}, shows: "login (the lab's role"},
	},
	6: {
		{name: "the layer check forgotten: the push stops at its first request",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`,
					`{"Effect":"Allow","Principal":"*","Action":["ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload","ecr:PutImage","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"`+repoARN(c, policy.DefaultRepository)+`"}`)
			}, shows: "push team-a/alpine"},
		{name: "no login: nothing starts",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":[` + quoted(registryActions) + `],"Resource":"` + repoARN(c, policy.DefaultRepository) + `"}`)
			}, shows: "login (the lab's role"},
		{name: "ecr:* on the repository is not an allow-list",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`,
					`{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"`+repoARN(c, policy.DefaultRepository)+`"}`)
			}, shows: "list-images team-a/alpine", rule: `allows "ecr:*"`},
		{name: "the layer download forgotten: the pull stops after the manifest",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}`,
					`{"Effect":"Allow","Principal":"*","Action":[`+quoted(pushActions)+`,"ecr:BatchGetImage"],"Resource":"`+repoARN(c, policy.DefaultRepository)+`"}`)
			}, shows: "pull team-a/alpine"},
	},
	7: {
		{name: "ecr:Describe* refuses DescribeRepositories too",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:Describe*","Resource":"*"}`)
			}, shows: "describe-repositories team-a/alpine"},
		{name: "no Allow: ecr.api refuses everything",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Deny","Principal":"*","Action":"ecr:DescribeImages","Resource":"*"}`)
			}, shows: "list-images team-a/alpine"},
		{name: "refused on team-a/alpine only",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":"ecr:DescribeImages","Resource":"`+repoARN(c, policy.DefaultRepository)+`"}`)
			}, shows: "describe-images team-b/nginx"},
		{name: "denying the login as well breaks the pull that goes through ecr.dkr",
			policy: func(c ChallengeContext) string {
				return doc(allowAllStmt, `{"Effect":"Deny","Principal":"*","Action":["ecr:DescribeImages","ecr:GetAuthorizationToken"],"Resource":"*"}`)
			}, shows: "pull team-a/alpine"},
	},
	8: {
		{name: "an Allow cannot refuse what the role allows",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:SourceVpce":"` + c.DKR + `"}}}`)
			}, shows: "pull team-a/alpine (the lab's role, outside the VPC)"},
		{name: "StringEquals instead of StringNotEquals refuses the inside",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Deny","Principal":"*","Action":[` + quoted(registryActions) + `],"Condition":{"StringEquals":{"aws:SourceVpce":"` + c.DKR + `"}}}`)
			}, shows: "pull team-a/alpine (the lab's role, in the VPC)"},
		{name: "denying ecr:* locks the API out, and the policy in",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"StringNotEquals":{"aws:SourceVpce":"` + c.DKR + `"}}}`)
			}, shows: "list-images team-a/alpine (the lab's role, in the VPC)",
			// ECR refuses to set it: it would lock the caller out of the next
			// SetRepositoryPolicy (the model's force).
			liveShows: "(not applied)"},
		{name: "the ecr.api endpoint's ID instead of ecr.dkr's",
			policy: func(c ChallengeContext) string {
				return doc(`{"Effect":"Deny","Principal":"*","Action":[` + quoted(registryActions) + `],"Condition":{"StringNotEquals":{"aws:SourceVpce":"` + c.API + `"}}}`)
			}, shows: "pull team-a/alpine (the lab's role, in the VPC)"},
	},
}
