package sandbox

import (
	"strings"

	"ecr-vpce-lab/internal/partition"
)

// The world's region decides its partition (internal/partition): the
// partition of every ARN it hands out, its host names and, in China, the
// names of its interface endpoint services (cn.com.amazonaws.REGION.SERVICE,
// while its S3 gateway keeps com.amazonaws.REGION.s3).

// part is the ARN partition of the sandbox's region (aws, aws-us-gov,
// aws-cn): the partition of every ARN it hands out.
func (s *Sandbox) part() string { return partition.Of(s.opts.Region).ID }

// arn writes an ARN of the world's partition: arn(service, region, rest)
// with region "" for global services (iam, sts).
func (w *world) arn(service, region, rest string) string {
	return "arn:" + partition.Of(w.Region).ID + ":" + service + ":" + region + ":" + rest
}

// host is a regional host name: host("api.ecr") is
// api.ecr.REGION.amazonaws.com (…amazonaws.com.cn in China).
func (w *world) host(prefix string) string {
	return prefix + "." + w.Region + "." + partition.Of(w.Region).DNSSuffix
}

// hostOf is host for a region and no world.
func hostOf(prefix, region string) string {
	return prefix + "." + region + "." + partition.Of(region).DNSSuffix
}

// serviceName is the name of a regional endpoint service. In China
// interface services carry the cn. prefix; S3's gateway does not.
func serviceName(region, short string, gateway bool) string {
	if partition.Of(region).ID == "aws-cn" && !gateway {
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
