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
// Start listens on two free loopback ports. One HTTP listener serves EC2, ECR
// and STS (AWS_ENDPOINT_URL): ECR requests carry X-Amz-Target, EC2 and STS
// are told apart by the service of the SigV4 credential scope. Every request
// must be signed with the world's dummy keys (Sandbox.Credentials, which
// `ecr-vpce-lab sandbox` exports) or with the instance role's temporary keys
// and session token that IMDS serves under iam/security-credentials/ (so the
// SDKs' default credential chain works as on an EC2 workspace); the
// signature is verified. IMDS has its own listener
// (AWS_EC2_METADATA_SERVICE_ENDPOINT). The lab's raw curl commands name IMDS
// as http://169.254.169.254: against the sandbox that prefix is replaced by
// $AWS_EC2_METADATA_SERVICE_ENDPOINT (the CLI and SDKs read the variable
// themselves).
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
// serves it (an flock on DIR/lock naming the holder's PID).
//
// Time-dependent states are stored as due times and derived on read from the
// Clock (pending → available, deleting → deleted, ENI release), so there are
// no background goroutines, tests drive time with a ManualClock, and a
// restarted sandbox carries on where it stopped.
//
// # Seams for part 2 (registry, DNS, policy enforcement, faults)
//
//   - ImageStore (Sandbox.Images) is the one store of repositories, manifests
//     and blobs; the ECR API serves from it and a registry can push into it.
//     VerifyRegistryPassword checks the password of GetAuthorizationToken.
//   - Interceptors run after authentication and before every operation, with
//     the service and action: throttling, 5xx and latency faults go there, and
//     so can endpoint-policy enforcement of the ECR API.
//   - Recorder (and Sandbox.CallLog) sees every call with its IAM action and
//     outcome: CallLog.IAMActions is the set a least-privilege policy needs.
//   - Timing.DNSSwitch and each endpoint's DNSSwitchAt tell a DNS server when
//     private DNS starts answering; endpoint ENIs hold the private addresses.
//   - vpcEndpoint.FailedReason makes an endpoint end failed; ServiceZones
//     narrows the AZs a service is offered in.
package sandbox
