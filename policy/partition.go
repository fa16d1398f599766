package policy

import "ecr-vpce-lab/internal/partition"

// PartitionOf returns the partition of a region: aws-us-gov for us-gov-*,
// aws-cn for cn-*, …, else aws. An ARN names its partition
// (arn:aws-us-gov:ecr:…), and a Resource that names another never matches:
// a Deny on arn:aws:ecr:… does nothing in GovCloud. A region belongs to
// exactly one partition, so the lab's own ARNs follow from its region.
func PartitionOf(region string) string { return partition.Of(region).ID }

// DNSSuffix returns the DNS suffix of a region's partition: amazonaws.com.cn
// in China, amazonaws.com in the commercial regions and GovCloud.
func DNSSuffix(region string) string { return partition.Of(region).DNSSuffix }

// PartitionOfARN returns the partition an ARN names, "" when s is not one.
func PartitionOfARN(s string) string {
	if a, ok := ParseARN(s); ok {
		return a.Partition
	}
	return ""
}
