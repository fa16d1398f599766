package awsops

import (
	"fmt"
	"strings"

	"ecr-vpce-lab/internal/problem"
	iamrefusal "ecr-vpce-lab/internal/refusal"
)

// AWS's refusals say which action was refused (not always the one called:
// creating a group with tags needs ec2:CreateTags too), which kind of
// policy refused it, whether explicitly, and, for EC2, carry an encoded
// message that `aws sts decode-authorization-message` turns into the whole
// story: the statement that decided, the context. IAM's wordings are on
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html;
// EC2's UnauthorizedOperation ends in "Encoded authorization failure
// message: …" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html;
// research C.6, and A.1 of the research for issues 16-17).

const encodedMarker = "Encoded authorization failure message:"

// EncodedMessage splits an authorization refusal into its sentence and the
// encoded failure message EC2 appends ("" when there is none).
func EncodedMessage(msg string) (sentence, encoded string) {
	i := strings.Index(msg, encodedMarker)
	if i < 0 {
		return msg, ""
	}
	encoded = strings.TrimSpace(msg[i+len(encodedMarker):])
	if f := strings.Fields(encoded); len(f) > 0 {
		encoded = f[0]
	}
	return strings.TrimSpace(msg[:i]), encoded
}

// DecodeCommand is the AWS CLI command that decodes an encoded
// authorization failure message (it needs sts:DecodeAuthorizationMessage).
func DecodeCommand(encoded string) string {
	return "aws sts decode-authorization-message --encoded-message " + ShellQuote(encoded) + " --query DecodedMessage --output text"
}

// DecodeFileCommand is DecodeCommand for a message kept in the file at
// path: the AWS CLI reads a parameter's value from file://PATH, verbatim
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-file.html),
// so the command stays one short line whatever the message's length.
func DecodeFileCommand(path string) string {
	return "aws sts decode-authorization-message --encoded-message " + ShellQuote("file://"+path) + " --query DecodedMessage --output text"
}

// explainPermission rewrites a permission problem's message and fix from
// AWS's own sentence: the action it names, an explicit deny (which no
// Allow in the role can override) and the command that decodes the
// encoded message. called is the IAM action of the call, for refusals that
// name none.
func explainPermission(e *problem.Error, called string) {
	sentence, encoded := EncodedMessage(e.Message)
	r := iamrefusal.Parse(sentence)
	action := called
	if r.Action != "" {
		action = r.Action
	}
	var fix string
	switch {
	case r.Deny == iamrefusal.Explicit:
		where := "a policy"
		if r.PolicyType != iamrefusal.Unnamed {
			where = "a " + string(r.PolicyType)
		}
		if r.PolicyARN != "" {
			where += " (" + r.PolicyARN + ")"
		}
		fix = fmt.Sprintf("an explicit Deny in %s refuses %s, and no Allow in your role can override it: ask whoever manages that policy to let the lab's calls through", where, action)
	case r.PolicyType != iamrefusal.Unnamed && r.PolicyType != iamrefusal.Identity:
		fix = fmt.Sprintf("no %s allows %s: ask whoever manages it to allow it", r.PolicyType, action)
	case action != "":
		fix = fmt.Sprintf("your role lacks %s: add it to the role (docs/iam-policy.json lists every action the lab needs), or use a role that has them", action)
	default:
		fix = "your role lacks this permission: ask for the actions in docs/iam-policy.json, or use a role that has them"
	}
	if action != "" && called != "" && action != called {
		fix += fmt.Sprintf(" (%s needs %s as well)", called, action)
	}
	if encoded != "" {
		e.Message = sentence + " " + encodedMarker + " (decoded by the command below)"
		e.Encoded = encoded
		fix += "; AWS sent an encoded explanation of the refusal, to read it: " + DecodeCommand(encoded)
	}
	e.Fix = fix
}

// refusedWhy says in a few words what refused a call of action: the action
// AWS's sentence names when it is another, and the kind of policy.
func refusedWhy(err error, action string) string {
	pe, ok := problem.As(err)
	if !ok {
		return ""
	}
	sentence, _ := EncodedMessage(pe.Message)
	r := iamrefusal.Parse(sentence)
	var parts []string
	if r.Action != "" && r.Action != action {
		parts = append(parts, "needs "+r.Action)
	}
	switch {
	case r.Deny == iamrefusal.Explicit && r.PolicyType != iamrefusal.Unnamed:
		parts = append(parts, "an explicit deny in a "+string(r.PolicyType))
	case r.Deny == iamrefusal.Explicit:
		parts = append(parts, "an explicit deny")
	case r.PolicyType != iamrefusal.Unnamed:
		parts = append(parts, "no "+string(r.PolicyType)+" allows it")
	}
	return strings.Join(parts, ": ")
}
