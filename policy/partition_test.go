package policy

import "testing"

// TestPartitions: the lab's repository ARN, and a lint finding for an ARN
// of another partition, which never matches. [research K]
func TestPartitions(t *testing.T) {
	for region, want := range map[string]string{
		"us-west-2":      "arn:aws:ecr:us-west-2:123456789012:repository/team-a/alpine",
		"us-gov-west-1":  "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team-a/alpine",
		"cn-north-1":     "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team-a/alpine",
		"cn-northwest-1": "arn:aws-cn:ecr:cn-northwest-1:123456789012:repository/team-a/alpine",
	} {
		if got := RepositoryARN(region, "123456789012", "team-a/alpine"); got != want {
			t.Errorf("RepositoryARN(%s) = %s, want %s", region, got, want)
		}
	}
	if DNSSuffix("cn-north-1") != "amazonaws.com.cn" || DNSSuffix("us-gov-west-1") != "amazonaws.com" {
		t.Error("DNSSuffix")
	}
	src := []byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"ecr:PutImage","Resource":"arn:aws:ecr:us-gov-west-1:123456789012:repository/team-a/alpine"}]}`)
	var found bool
	for _, f := range LintWith(src, LintOptions{Account: "123456789012", Region: "us-gov-west-1", Repository: "team-a/alpine"}) {
		found = found || f.Rule == "arn-partition"
	}
	if !found {
		t.Error("an aws-partition ARN in GovCloud is not flagged")
	}
	doc, err := Default("123456789012", "us-gov-west-1", "team-a/alpine", []string{"ecr:PutImage"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range LintWith(doc.Canonical(), LintOptions{Account: "123456789012", Region: "us-gov-west-1", Repository: "team-a/alpine"}) {
		if f.Rule == "arn-partition" {
			t.Errorf("the lab's own GovCloud policy is flagged: %s", f.Message)
		}
	}
	d := Evaluate(doc, Request{Action: "ecr:PutImage", Resource: RepositoryARN("us-gov-west-1", "123456789012", "team-a/alpine"), Principal: "*"})
	if d.Allowed() {
		t.Error("the lab's GovCloud policy does not deny the push")
	}
}

// TestPartitionRegions: every partition's regions are region names, and
// each maps to its partition and DNS suffix.
func TestPartitionRegions(t *testing.T) {
	for region, want := range map[string][2]string{
		"us-east-1":      {"aws", "amazonaws.com"},
		"us-gov-west-1":  {"aws-us-gov", "amazonaws.com"},
		"cn-north-1":     {"aws-cn", "amazonaws.com.cn"},
		"us-iso-east-1":  {"aws-iso", "c2s.ic.gov"},
		"us-isob-east-1": {"aws-iso-b", "sc2s.sgov.gov"},
		"eusc-de-east-1": {"aws-eusc", "amazonaws.eu"},
	} {
		if err := ValidateRegion(region); err != nil {
			t.Errorf("ValidateRegion(%s): %v", region, err)
		}
		if p, s := PartitionOf(region), DNSSuffix(region); p != want[0] || s != want[1] {
			t.Errorf("%s: partition %s, suffix %s; want %v", region, p, s, want)
		}
	}
	if PartitionOfARN("arn:aws-cn:ecr:cn-north-1:123456789012:repository/a") != "aws-cn" || PartitionOfARN("nope") != "" {
		t.Error("PartitionOfARN")
	}
}
