package awsops

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"ecr-vpce-lab/internal/problem"
)

// Environment is what the machine offers before the lab connects: whether
// the SDK finds credentials, and whether this is an EC2 instance.
type Environment struct {
	Credentials bool
	OnEC2       bool
	Region      string
	// Problem says, in one sentence, what is missing ("" when nothing is).
	Problem string
}

// DetectEnvironment looks for credentials and the instance metadata service
// without calling any AWS API, within a couple of seconds. The wizard uses
// it to offer the sandbox when there is no account to use.
func DetectEnvironment(ctx context.Context, profile, region string) Environment {
	var env Environment
	cfg, err := LoadConfig(ctx, profile, region)
	if err != nil {
		env.Problem = err.Error()
		if e, ok := err.(*problem.Error); ok && e.Kind == problem.Region {
			env.Problem = "No AWS region is set (export AWS_REGION, or pass --region)."
		}
		// The configuration may still carry credentials without a region.
		if cfg2, err2 := LoadConfig(ctx, profile, "us-east-1"); err2 == nil {
			cfg = cfg2
		} else {
			return env
		}
	}
	env.Region = cfg.Region
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if cfg.Credentials != nil {
		if c, err := cfg.Credentials.Retrieve(cctx); err == nil && c.HasKeys() {
			env.Credentials = env.Problem == ""
		} else if env.Problem == "" {
			env.Problem = "No AWS credentials were found (no environment keys, profile or instance role)."
		}
	}
	ictx, icancel := context.WithTimeout(ctx, 2*time.Second)
	defer icancel()
	if _, err := imds.NewFromConfig(cfg).GetMetadata(ictx, &imds.GetMetadataInput{Path: "instance-id"}); err == nil {
		env.OnEC2 = true
	}
	return env
}
