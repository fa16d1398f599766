package policy

import (
	"strings"
)

// ecrActions is every IAM action of the ecr service prefix: the ECR API's
// operations (aws-sdk-go-v2 service/ecr v1.67) plus the permission-only
// actions (BatchImportUpstreamImage for pull-through cache, ReplicateImage for
// replication). Lint uses it to catch misspelt actions.
var ecrActions = []string{
	"BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage",
	"BatchGetRepositoryScanningConfiguration", "BatchImportUpstreamImage",
	"CompleteLayerUpload", "CreatePullThroughCacheRule", "CreateRepository",
	"CreateRepositoryCreationTemplate", "DeleteLifecyclePolicy",
	"DeletePullThroughCacheRule", "DeleteRegistryPolicy", "DeleteRepository",
	"DeleteRepositoryCreationTemplate", "DeleteRepositoryPolicy",
	"DeleteSigningConfiguration", "DeregisterPullTimeUpdateExclusion",
	"DescribeImageReplicationStatus", "DescribeImageScanFindings",
	"DescribeImageSigningStatus", "DescribeImages", "DescribePullThroughCacheRules",
	"DescribeRegistry", "DescribeReplicationBackfillResults", "DescribeRepositories",
	"DescribeRepositoryCreationTemplates", "GetAccountSetting", "GetAuthorizationToken",
	"GetDownloadUrlForLayer", "GetLifecyclePolicy", "GetLifecyclePolicyPreview",
	"GetRegistryPolicy", "GetRegistryScanningConfiguration", "GetRepositoryPolicy",
	"GetSigningConfiguration", "InitiateLayerUpload", "ListImageReferrers", "ListImages",
	"ListPullTimeUpdateExclusions", "ListReplicationBackfills", "ListTagsForResource",
	"PutAccountSetting", "PutImage", "PutImageScanningConfiguration",
	"PutImageTagMutability", "PutLifecyclePolicy", "PutRegistryPolicy",
	"PutRegistryScanningConfiguration", "PutReplicationConfiguration",
	"PutSigningConfiguration", "RegisterPullTimeUpdateExclusion", "ReplicateImage",
	"SetRepositoryPolicy", "StartImageScan", "StartLifecyclePolicyPreview",
	"StartReplicationBackfill", "StopReplicationBackfill", "TagResource", "UntagResource",
	"UpdateImageStorageClass", "UpdatePullThroughCacheRule",
	"UpdateRepositoryCreationTemplate", "UploadLayerPart", "ValidatePullThroughCacheRule",
}

var ecrActionIndex = func() map[string]string {
	m := make(map[string]string, len(ecrActions))
	for _, a := range ecrActions {
		m[strings.ToLower(a)] = a
	}
	return m
}()

// IsECRAction reports whether name (without the prefix) is a real ECR
// action; IAM compares action names case-insensitively.
func IsECRAction(name string) bool {
	_, ok := ecrActionIndex[strings.ToLower(name)]
	return ok
}

// ecrActionsMatching returns the ECR actions a pattern such as ecr:Put* or
// ecr:* covers.
func ecrActionsMatching(pattern string) []string {
	var out []string
	for _, a := range ecrActions {
		if matchAction(pattern, "ecr:"+a) {
			out = append(out, "ecr:"+a)
		}
	}
	return out
}
