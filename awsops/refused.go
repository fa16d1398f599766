package awsops

import (
	"html"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	refusals "ecr-vpce-lab/internal/refusal"
)

// Who refused. ECR's registry answers every authorization refusal alike
// (403 DENIED) and its API too (AccessDeniedException): only the sentence
// says which policy refused (IAM's "… because no VPC endpoint policy allows
// …", "… with an explicit deny in an identity-based policy"). A refusal is
// the endpoint policy's only when the sentence says "VPC endpoint policy";
// a layer download refused by S3 (the layers live in S3, reached through
// the S3 gateway endpoint) is the S3 gateway's. [IAM user guide,
// troubleshoot_access-denied.html; research A.5, A.9]

// Refusers: what an Outcome's By can say.
const (
	// ByEndpointPolicy: an interface endpoint's policy (ecr.dkr, ecr.api).
	ByEndpointPolicy = string(refusals.Endpoint)
	// ByIdentityPolicy: the caller's IAM policies.
	ByIdentityPolicy = string(refusals.Identity)
	// ByResourcePolicy: the repository's policy.
	ByResourcePolicy = string(refusals.Resource)
	// ByS3Gateway: S3, on a layer download through the S3 gateway
	// endpoint, whose policy does not allow ECR's layer bucket.
	ByS3Gateway = "S3 gateway endpoint policy"
)

// refuserOf names the policy a refusal sentence names ("" when it names
// none).
func refuserOf(msg string) string {
	r := refusals.Parse(msg)
	if r.Kind != refusals.Policy {
		return ""
	}
	return string(r.PolicyType)
}

var (
	reS3Code    = regexp.MustCompile(`<Code>([^<]*)</Code>`)
	reS3Message = regexp.MustCompile(`<Message>([^<]*)</Message>`)
)

// s3Refusal recognises S3's answer to a layer download (the registry
// redirects a layer GET to S3): an XML error, not the registry's JSON.
func s3Refusal(te *transport.Error) (Outcome, bool) {
	if te.StatusCode != http.StatusForbidden || len(te.Errors) > 0 {
		return Outcome{}, false
	}
	body := te.Error()
	code := reS3Code.FindStringSubmatch(body)
	if code == nil {
		return Outcome{}, false
	}
	o := Outcome{Code: code[1], Action: "s3:GetObject", By: ByS3Gateway}
	if m := reS3Message.FindStringSubmatch(body); m != nil {
		o.Message = html.UnescapeString(m[1])
	}
	if !strings.Contains(o.Message, "VPC endpoint policy") {
		// Refused by S3 for another reason (a bucket policy, an SCP):
		// still S3's, not ECR's.
		o.By = refuserOf(o.Message)
		if o.By == "" {
			o.By = "S3"
		}
	}
	return o, true
}

// S3GatewayIDPlaceholder stands for the S3 gateway endpoint's id in
// RefusalFix's command, for the caller that knows it to fill in.
const S3GatewayIDPlaceholder = "<the S3 gateway endpoint's id>"

// LayerBucketARN is the S3 resource ECR keeps the region's layers in, for
// an S3 gateway endpoint's policy.
func (c *Cloud) LayerBucketARN() string {
	return "arn:" + c.Partition() + ":s3:::prod-" + c.region + "-starport-layer-bucket/*"
}

// RefusalFix says what to do about a refusal, by who refused. ok is false
// for the endpoint policy's (the lab's lesson) and a refuser it does not
// know.
func (c *Cloud) RefusalFix(o Outcome) (string, bool) {
	action := o.Action
	if action == "" {
		action = "the action"
	}
	switch o.By {
	case ByS3Gateway:
		return "ECR's layers are downloaded from S3, through the S3 gateway endpoint on this subnet's route table, and its policy does not allow them: " +
			"add a statement allowing s3:GetObject on " + c.LayerBucketARN() + " to that endpoint's policy, or ask its owner to. " +
			// The file the command reads is said, not assumed: nothing
			// writes s3-policy.json for the learner.
			"Save the policy (" + c.CLI() + " ec2 describe-vpc-endpoints --vpc-endpoint-ids " + S3GatewayIDPlaceholder + " --query 'VpcEndpoints[0].PolicyDocument' --output text > s3-policy.json), " +
			`add {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + c.LayerBucketARN() + `"} to its Statement list, ` +
			"and apply it (" + c.CLI() + " ec2 modify-vpc-endpoint --vpc-endpoint-id " + S3GatewayIDPlaceholder + " --policy-document file://s3-policy.json)", true
	case "S3":
		return "S3 refused the layer download (ECR keeps layers in " + c.LayerBucketARN() + "): check the S3 gateway endpoint's policy and any policy on S3 in your organization", true
	case ByIdentityPolicy:
		return "your IAM role or user is not allowed " + action + ", whatever the endpoint policy says: add it to the role's policy (docs/iam-policy.json lists what the lab needs), then run the test again", true
	case ByResourcePolicy:
		return "the repository's own policy refuses " + action + ": see it with " + c.CLI() + " ecr get-repository-policy --repository-name " + repoOfARN(o.Message) + ", and change or delete it", true
	case string(refusals.SCP), string(refusals.RCP), string(refusals.Boundary), string(refusals.Session), string(refusals.EndpointViaSCP):
		return "a " + o.By + " refuses " + action + ": it is set outside this lab (your organization's administrators, or the session's credentials); ask them, or run the lab in an account without it", true
	}
	return "", false
}

// repoOfARN finds the repository name in a refusal sentence's resource.
func repoOfARN(msg string) string {
	if r := refusals.Parse(msg); r.Repository != "" {
		return r.Repository
	}
	return "REPOSITORY"
}
