package policy

import "strings"

// Partitions: AWS is split into partitions with their own ARNs and DNS
// names: aws (most regions), aws-us-gov (GovCloud, us-gov-*), aws-cn
// (China, cn-*) and the isolated ones. An ARN names its partition
// (arn:aws-us-gov:ecr:…), and a Resource that names another never matches:
// a Deny on arn:aws:ecr:… does nothing in GovCloud. A region belongs to
// exactly one partition, so the lab's own ARNs follow from its region.
// (botocore's and the Go SDK's partitions.json; research K.)

// partitions maps region prefixes to partitions and their DNS suffixes,
// most specific first (us-gov- and us-iso- before the commercial us-).
var partitions = []struct{ prefix, id, dnsSuffix string }{
	{"us-gov-", "aws-us-gov", "amazonaws.com"},
	{"cn-", "aws-cn", "amazonaws.com.cn"},
	{"us-iso-", "aws-iso", "c2s.ic.gov"},
	{"us-isob-", "aws-iso-b", "sc2s.sgov.gov"},
	{"us-isof-", "aws-iso-f", "csp.hci.ic.gov"},
	{"eu-isoe-", "aws-iso-e", "cloud.adc-e.uk"},
	{"eusc-", "aws-eusc", "amazonaws.eu"},
}

// PartitionOf returns the partition of a region: aws-us-gov for us-gov-*,
// aws-cn for cn-*, …, else aws.
func PartitionOf(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.id
		}
	}
	return "aws"
}

// DNSSuffix returns the DNS suffix of a region's partition: amazonaws.com.cn
// in China, amazonaws.com in the commercial regions and GovCloud.
func DNSSuffix(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.dnsSuffix
		}
	}
	return "amazonaws.com"
}

// PartitionOfARN returns the partition an ARN names, "" when s is not one.
func PartitionOfARN(s string) string {
	if a, ok := ParseARN(s); ok {
		return a.Partition
	}
	return ""
}
