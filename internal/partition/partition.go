// Package partition knows AWS's partitions: which one a region belongs
// to, and the names it gives there. AWS is split into partitions with their
// own ARNs and host names: aws (most regions), aws-us-gov (GovCloud,
// us-gov-*: ARNs arn:aws-us-gov:, host names still amazonaws.com), aws-cn
// (China, cn-*: arn:aws-cn:, host names amazonaws.com.cn) and the isolated
// ones. A region belongs to exactly one. The policy evaluator, awsops
// (until AWS has named the partition itself) and the sandbox read this one
// table; internal/ec2query, which stands in for the SDK and is built on it
// alone, keeps the SDK's endpoint rules of its own, as the SDK does.
// [botocore's and the Go SDK's partitions.json; research K]
package partition

import "strings"

// Partition is one partition's names.
type Partition struct {
	// ID is the partition an ARN names: aws, aws-us-gov, aws-cn, …
	ID string
	// DNSSuffix ends the regional host names: amazonaws.com, amazonaws.com.cn, …
	DNSSuffix string
	// DualStackSuffix ends the dual-stack (IPv4 and IPv6) host names.
	DualStackSuffix string
	// prefix starts the names of the partition's regions.
	prefix string
}

// The commercial partition, where a region no other claims belongs (as
// the SDKs take it).
var aws = Partition{ID: "aws", DNSSuffix: "amazonaws.com", DualStackSuffix: "api.aws"}

// others are the partitions other than aws, by the prefix of their regions'
// names (none is a prefix of another's: us-iso- and us-isob- differ in their
// seventh letter).
var others = []Partition{
	{ID: "aws-us-gov", DNSSuffix: "amazonaws.com", DualStackSuffix: "api.aws", prefix: "us-gov-"},
	{ID: "aws-cn", DNSSuffix: "amazonaws.com.cn", DualStackSuffix: "api.amazonwebservices.com.cn", prefix: "cn-"},
	{ID: "aws-iso", DNSSuffix: "c2s.ic.gov", DualStackSuffix: "api.aws.ic.gov", prefix: "us-iso-"},
	{ID: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov", DualStackSuffix: "api.aws.scloud", prefix: "us-isob-"},
	{ID: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk", DualStackSuffix: "api.cloud-aws.adc-e.uk", prefix: "eu-isoe-"},
	{ID: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov", DualStackSuffix: "api.aws.hci.ic.gov", prefix: "us-isof-"},
	{ID: "aws-eusc", DNSSuffix: "amazonaws.eu", DualStackSuffix: "api.amazonwebservices.eu", prefix: "eusc-"},
}

// Of returns the partition of a region: aws-us-gov for us-gov-*, aws-cn
// for cn-*, …, else aws.
func Of(region string) Partition {
	for _, p := range others {
		if strings.HasPrefix(region, p.prefix) {
			return p
		}
	}
	return aws
}

// Named returns the partition an ARN calls id; aws when id is none of them.
func Named(id string) Partition {
	for _, p := range others {
		if p.ID == id {
			return p
		}
	}
	return aws
}
