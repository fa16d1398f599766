package sandbox

import "strings"

// Partitions: AWS is split into partitions, each with its own ARNs and DNS
// names. The commercial partition aws; GovCloud, aws-us-gov (us-gov-*),
// whose host names still end in amazonaws.com; China, aws-cn (cn-*), whose
// host names end in amazonaws.com.cn and whose interface endpoint services
// are named cn.com.amazonaws.REGION.SERVICE, while its S3 gateway keeps
// com.amazonaws.REGION.s3. The sandbox keeps its own table (the lab's
// client takes these from AWS's answers, not from a table it could share).
// [botocore partitions.json; research K]

// partition is one partition's names.
type partition struct {
	id        string // the ARN's partition: aws, aws-us-gov, aws-cn
	dnsSuffix string // amazonaws.com, amazonaws.com.cn
}

// part is the ARN partition of the sandbox's region (aws, aws-us-gov,
// aws-cn): the partition of every ARN it hands out.
func (s *Sandbox) part() string { return partitionOf(s.opts.Region).id }

// partitionOf returns the partition a region belongs to.
func partitionOf(region string) partition {
	for _, p := range []struct {
		prefix string
		p      partition
	}{
		{"us-gov-", partition{"aws-us-gov", "amazonaws.com"}},
		{"cn-", partition{"aws-cn", "amazonaws.com.cn"}},
		{"us-iso-", partition{"aws-iso", "c2s.ic.gov"}},
		{"us-isob-", partition{"aws-iso-b", "sc2s.sgov.gov"}},
		{"us-isof-", partition{"aws-iso-f", "csp.hci.ic.gov"}},
		{"eu-isoe-", partition{"aws-iso-e", "cloud.adc-e.uk"}},
		{"eusc-", partition{"aws-eusc", "amazonaws.eu"}},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.p
		}
	}
	return partition{"aws", "amazonaws.com"}
}

// arn writes an ARN of the world's partition: arn(service, region, rest)
// with region "" for global services (iam, sts).
func (w *world) arn(service, region, rest string) string {
	return "arn:" + partitionOf(w.Region).id + ":" + service + ":" + region + ":" + rest
}

// host is a regional host name: host("api.ecr") is
// api.ecr.REGION.amazonaws.com (…amazonaws.com.cn in China).
func (w *world) host(prefix string) string {
	return prefix + "." + w.Region + "." + partitionOf(w.Region).dnsSuffix
}

// hostOf is host for a region and no world.
func hostOf(prefix, region string) string {
	return prefix + "." + region + "." + partitionOf(region).dnsSuffix
}

// serviceName is the name of a regional endpoint service. In China
// interface services carry the cn. prefix; S3's gateway does not.
func serviceName(region, short string, gateway bool) string {
	if partitionOf(region).id == "aws-cn" && !gateway {
		return "cn.com.amazonaws." + region + "." + short
	}
	return "com.amazonaws." + region + "." + short
}

// shortService is the short name (ecr.dkr) of a service name in either
// form, "" when it is not one of the region's.
func shortService(name, region string) string {
	for _, p := range []string{"cn.com.amazonaws." + region + ".", "com.amazonaws." + region + "."} {
		if s, ok := strings.CutPrefix(name, p); ok {
			return s
		}
	}
	return ""
}
