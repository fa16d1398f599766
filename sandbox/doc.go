// Package sandbox is the offline replica of the lab's slice of AWS: an account
// with a VPC, a Cloud9-like workspace instance and an ECR repository, served
// on 127.0.0.1 with AWS's own wire protocols (EC2 Query/XML 2016-11-15, ECR
// JSON 1.1, STS Query, IMDS with v2 tokens), so the AWS SDKs and the AWS CLI
// work against it unchanged. It is a product feature, not a test double: the
// tests hold it to botocore's service models, the AWS SDK for Go, the AWS CLI
// and AWS's own metadata emulator.
//
// # Serving
//
// Start listens on free loopback ports. One HTTP listener serves EC2, ECR
// and STS (AWS_ENDPOINT_URL): ECR requests carry X-Amz-Target, EC2 and STS
// are told apart by the service of the SigV4 credential scope. A request
// passes a chain of stages (api.go): body, protocol and action,
// authentication, faults, interceptors, endpoint policy, operation. Every request
// must be signed with the world's dummy keys (Sandbox.Credentials, which
// `ecr-vpce-lab sandbox` exports) or with the instance role's temporary keys
// and session token that IMDS serves under iam/security-credentials/ (so the
// SDKs' default credential chain works as on an EC2 workspace); the
// signature is verified. The lab's operations are served, and the reads a
// learner pokes at beside them (DescribeInstances as IMDS describes the
// workspace, DescribeAvailabilityZones, DescribePrefixLists,
// DescribeRegistry); any other operation AWS has is
// refused with UnsupportedOperation (UnsupportedOperationException on ECR)
// naming it, and only a name AWS does not have gets AWS's InvalidAction
// (aws_operations.txt lists AWS's operations, from botocore). Errors use
// AWS's codes and wording where a source shows them; conformance_test.go
// lists each behaviour copied with its source. IMDS has its own listener
// (AWS_EC2_METADATA_SERVICE_ENDPOINT), and so have the registry
// (ECR_REGISTRY) and DNS (LAB_DNS_SERVER), described below. The lab's raw curl commands name IMDS
// as http://169.254.169.254: against the sandbox that prefix is replaced by
// $AWS_EC2_METADATA_SERVICE_ENDPOINT (the CLI and SDKs read the variable
// themselves). IMDS lists the dated versions at / (each mirrors latest) and
// serves the identity document with its signature, pkcs7 and rsa2048
// (stable bytes of the right sizes, which no AWS certificate verifies).
//
// # The world
//
// VPC 10.0.0.0/16 (DNS support and hostnames on), two subnets in two AZs
// implicitly associated with the main route table, the workspace instance with
// one ENI in its own security group, an assumed-role identity
// (arn:aws:sts::ACCOUNT:assumed-role/ecr-vpce-lab-workspace/i-...), and the
// repository team-a/alpine holding v1, a real (tiny) image whose blobs are in
// the image store. With Options.StateDir the world is saved after every
// change (temp file, fsync, rename; mode 0600) and one process at a time
// serves it (an flock on DIR/lock naming the holder's PID). A change is made
// to a copy of the world and becomes the world only once it is saved: when
// saving fails (a full disk), the request fails with a 500 that says why
// and nothing changed, in memory or on disk. Requests that only read never
// wait for a save.
//
// Time-dependent states are stored as due times and derived on read from the
// Clock (pending → available, deleting → deleted, ENI release), so there are
// no background goroutines, tests drive time with a ManualClock, and a
// restarted sandbox carries on where it stopped. Options.Timing gives the
// durations, fixed or (Timing AWS, --timing aws) drawn per endpoint from
// the ranges AWS takes, seeded.
//
// EC2 is eventually consistent, and so is the sandbox (Timing.ReadLag,
// --eventual-consistency; 2 s in Realistic, 5 s in AWS): each security
// group and endpoint draws, from its id and the seed, how long after its
// creation the calls that name it still answer NotFound and filters leave
// it out, and how long after its deletion reads still show it as it was.
// The data plane does not lag: DNS and the endpoint policies follow the
// resources as they are. A changed endpoint policy, though, is enforced
// only Timing.PolicyPropagation (--policy-propagation) after
// ModifyVpcEndpoint, while Describe shows it at once.
//
// # Registry
//
// A Docker Registry HTTP API v2 (ECR_REGISTRY, plain HTTP on loopback) is
// go-containerregistry's registry behind ECR-style basic auth: user AWS and
// the password of GetAuthorizationToken. Failures are answered as ECR
// does: no credentials, 401 with a `Www-Authenticate: Basic` challenge and
// "Not Authorized"; a token it did not issue, 400 DENIED "Your
// Authorization Token is invalid."; an expired one, 403 DENIED "Your
// authorization token has expired. ..." (the status of a policy's refusal
// too). A manifest pulled by tag is translated between Docker schema 2 and
// OCI when the client accepts only the other (manifests.go); by digest it
// comes as stored. Pings and blob downloads go to
// go-containerregistry with the sandbox's blob store as its blob handler;
// layer uploads are the sandbox's own (uploads.go): streamed to files under
// the state directory (a private temporary directory for an in-memory
// world), hashed as they arrive, held to Amazon ECR's quotas (a layer of at
// most 52,000 MiB, at most 4,200 parts, every part but the last at least
// 5 MiB), refused with BLOB_UPLOAD_INVALID naming the limit, and removed
// when abandoned for Options.UploadExpiry or when the process ends, so a
// layer of any size costs a file, not memory. Manifests (at most 4 MiB, as in
// ECR) and tag lists are served from the ImageStore, so a pushed tag is
// in ListImages and DescribeImages at once, BatchGetImage returns the pushed
// manifest, and everything is saved with the world. Pushing a manifest that
// is already there succeeds; unknown repositories are NAME_UNKNOWN (ECR does
// not create repositories on push).
//
// Layer downloads come from S3, as in ECR: from the workspace, when its
// subnet's route table sends S3's prefix list to a gateway endpoint whose
// policy does not allow s3:GetObject on
// arn:PARTITION:s3:::prod-REGION-starport-layer-bucket/*, a blob GET is
// answered with a 307 to a presigned-style URL on the registry's listener
// (/_s3/…), which answers as S3 does: 403, an XML AccessDenied naming the
// quoted object ARN (layers.go; Faults.S3GatewayPolicy adds such a
// gateway). Faults.ARM64Index makes v1 an OCI image index of one
// linux/arm64 image.
//
// # Partitions
//
// The world's region decides its partition (partition.go): ARNs
// (arn:aws-us-gov:…, arn:aws-cn:…), host names (amazonaws.com.cn in
// China: the registry's ProxyEndpoint and realm, the services' private DNS
// and vpce names, what DNS answers), endpoint service names (China's
// interface services cn.com.amazonaws.REGION.…, its S3 gateway
// com.amazonaws.REGION.s3, the commercial names refused with
// InvalidServiceName) and IMDS's services/partition and services/domain.
// The worlds aws-us-gov and aws-cn are in us-gov-west-1 and cn-north-1.
//
// # DNS
//
// miekg/dns on UDP and TCP at one loopback port (LAB_DNS_SERVER), as the
// workspace VPC's resolver: ACCOUNT.dkr.ecr.REGION.amazonaws.com and
// api.ecr.REGION.amazonaws.com (amazonaws.com.cn in China) answer stable public-looking addresses, or the
// private addresses of the endpoint that carries their traffic (below); the
// endpoints' own DNS names (regional and per AZ) answer their interfaces'
// addresses once available; ecr.REGION.amazonaws.com (which PrivateLink
// does not cover) and s3.REGION.amazonaws.com with its bucket hosts (inside
// the ranges of the S3 prefix list) stay public; other names are NXDOMAIN. Nothing connects to
// these addresses: clients use the exported loopback ones.
//
// # Endpoint policies
//
// Requests for ecr.dkr (the registry) and ecr.api (the ECR API) travel the
// way the workspace's DNS sends them: through an interface endpoint of that
// service in the workspace VPC with private DNS on, once it is available and
// Timing.DNSSwitch has passed, while the VPC has enableDnsSupport and
// enableDnsHostnames on. Such a request is evaluated with policy.Evaluate
// against the endpoint's policy in force (ModifyVpcEndpoint applies to the
// next request, or once Timing.PolicyPropagation has passed; deleting the
// endpoint lifts it) for the ECR action it maps to:
// registry blob HEAD BatchCheckLayerAvailability, upload start/part/finish
// InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload, manifest PUT
// PutImage, manifest GET/HEAD BatchGetImage, blob GET GetDownloadUrlForLayer,
// manifest DELETE BatchDeleteImage, tag list ListImages; ECR API operations
// by their own name, on the repository they name (GetAuthorizationToken on
// "*"). A refusal is AWS's sentence (policy.DenialMessage): a registry 403
// {"errors":[{"code":"DENIED","message":...}]}, or an ECR API
// AccessDeniedException. The DNS server and the enforcement share one rule
// (routedEndpoint), so what dig shows is what the policy sees.
//
// Before any of that, the endpoint's security groups must let the
// workspace in on tcp/443 (an inbound rule from one of its groups, or from
// a CIDR holding its address): otherwise the connection is held
// unanswered for Timing.SecurityGroupDrop and then closed, with no HTTP
// answer and nothing recorded, as AWS drops the packets (sgDrops). Presigned
// S3 URLs travel the gateway endpoint, which has no security group.
//
// # Repository policies, principals and the public path
//
// SetRepositoryPolicy, GetRepositoryPolicy and DeleteRepositoryPolicy keep
// a policy on a repository (refused as ECR refuses them: a Resource
// element, no Principal, a role that does not exist, more than 10,240
// characters; a policy that would refuse the caller's next
// SetRepositoryPolicy needs force). Every request for a repository is
// authorised with policy.Authorize against the endpoint's policy (when one
// carries it), the repository's, and the caller's own identity-based
// policy: an explicit Deny in any refuses, an endpoint on the way must
// allow, one account needs an allow from either its role or the
// repository, another account from both; each refusal names the policy
// type as IAM's sentences do (a resource-based policy for the
// repository's). The request context is the one AWS gives (enforce.go,
// requestContext): aws:PrincipalAccount, aws:PrincipalArn (the role, for a
// session), aws:PrincipalOrgID, aws:SecureTransport, aws:RequestedRegion;
// through an endpoint aws:SourceVpc, aws:SourceVpce and aws:VpcSourceIp,
// otherwise aws:SourceIp; and the repository's tags as aws:ResourceTag/…
// and ecr:ResourceTag/…. A second principal, the CI role of a partner
// account (OtherAccount), signs with its own keys (LAB_OTHER_ACCESS_KEY_ID,
// LAB_OTHER_SECRET_ACCESS_KEY); a second pair of listeners
// (LAB_PUBLIC_ENDPOINT_URL, LAB_PUBLIC_REGISTRY) is a machine outside the
// VPC, whose requests take the public path that no endpoint policy sees.
//
// # Faults
//
// Options.Faults (and the --fault-* flags of `ecr-vpce-lab sandbox`):
// throttling and 5xx errors at a seeded random rate, added latency (for the
// registry too with Faults.Registry), interface endpoints that end failed
// with a reason, DNS that never switches, and worlds that start with the VPC's
// DNS attributes off, an ecr.dkr endpoint with private DNS already present,
// or no repository; and a role that lacks some IAM actions (DenyActions:
// refused with AWS's UnauthorizedOperation / AccessDeniedException / registry
// DENIED, naming the action, DryRun calls included); a role that may
// create but not tag (TagPolicy: a create with TagSpecifications is
// ec2:CreateTags too, as IAM authorizes it, and is refused for it); another
// team's group whose rule refers to each group the caller creates
// (SGReferenced: DeleteSecurityGroup answers DependencyViolation until the
// rule goes). Options.IMDSv2Required makes IMDS refuse token-less requests.
//
// # Hooks
//
//   - Interceptors run after authentication and the built-in faults, before
//     the endpoint policy and the operation.
//   - Recorder (and Sandbox.CallLog) sees every call with its IAM action and
//     outcome, registry requests included (Call.Via "registry", under the ECR
//     action they map to; a request that is several actions at once, such
//     as a monolithic layer upload, is recorded once per action):
//     CallLog.IAMActions is the set a least-privilege policy needs.
package sandbox
