package steps

import (
	"testing"

	"ecr-vpce-lab/policy"
)

// FuzzExplainOffline: whatever a learner pastes, explain answers (an
// explanation or an error that says what to do) and never panics.
func FuzzExplainOffline(f *testing.F) {
	f.Add("denied: User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine with an explicit deny in a VPC endpoint policy", "")
	f.Add("User: a is not authorized to perform: ecr:X on resource: * because no resource-based policy allows the ecr:X action", "push")
	f.Add(`StatusCode: 403, ""`, "")
	f.Add("UnauthorizedOperation: You are not authorized to perform this operation. User: a is not authorized to perform: ec2:DescribeRouteTables with an explicit deny in a VPC endpoint policy", "")
	f.Add("", "pull")
	f.Add("name unknown: The repository with name 'x' does not exist in the registry with id '1'", "")
	doc := policy.MustParse(`{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"D","Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"*"}]}`)
	f.Fuzz(func(t *testing.T, text, op string) {
		ex, err := ExplainOffline(ExplainInput{Text: text, Operation: op, EndpointPolicy: doc}, "123456789012", "us-west-2")
		if err == nil && ex.Cause == "" {
			t.Fatalf("an explanation without a cause: %+v", ex)
		}
	})
}
