package awsops

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"ecr-vpce-lab/internal/problem"
)

// ECR repository policies (SetRepositoryPolicy, GetRepositoryPolicy,
// DeleteRepositoryPolicy), and the single requests a policy challenge
// makes to see what the policies in force let through. Each of those
// returns a refusal as an Outcome (with AWS's words), never as an error:
// an error is something else going wrong.

// registryID is the registry the ECR calls address: Options.RegistryID,
// or nil for the caller's own.
func (c *Cloud) registryID() *string {
	if c.opts.RegistryID == "" {
		return nil
	}
	return aws.String(c.opts.RegistryID)
}

// registryArgs are the CLI flags that name that registry.
func (c *Cloud) registryArgs(args ...string) []string {
	if c.opts.RegistryID != "" {
		args = append(args, "--registry-id", c.opts.RegistryID)
	}
	return args
}

// GetRepositoryPolicy returns a repository's policy, and false when it has
// none.
func (c *Cloud) GetRepositoryPolicy(ctx context.Context, repo string) (string, bool, error) {
	out, err := c.ecr.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(repo), RegistryId: c.registryID()})
	switch {
	case CodeOf(err) == "RepositoryPolicyNotFoundException":
		return "", false, nil
	case err != nil:
		return "", false, c.classify("read the policy of "+repo, err)
	}
	return aws.ToString(out.PolicyText), true, nil
}

// SetRepositoryPolicy puts a policy on a repository, replacing any.
func (c *Cloud) SetRepositoryPolicy(ctx context.Context, repo, text string) (Command, error) {
	cmd := awsCmd(c.region, c.registryArgs("ecr", "set-repository-policy", "--repository-name", repo, "--policy-text", "file://repository-policy.json")...)
	_, err := c.ecr.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(repo), PolicyText: aws.String(text), RegistryId: c.registryID()})
	if err != nil {
		e := c.classify("set the policy of "+repo, err)
		if p, ok := problem.As(e); ok && CodeOf(err) == "InvalidParameterException" {
			p.Kind = problem.Invalid
			p.Fix = "ECR refuses this repository policy: a repository policy names a Principal and no Resource, and only principals that exist; check it with 'ecr-vpce-lab policy check --type repository'"
		}
		return cmd, e
	}
	return cmd, nil
}

// DeleteRepositoryPolicy removes a repository's policy; none is fine.
func (c *Cloud) DeleteRepositoryPolicy(ctx context.Context, repo string) (Command, error) {
	cmd := awsCmd(c.region, c.registryArgs("ecr", "delete-repository-policy", "--repository-name", repo)...)
	_, err := c.ecr.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String(repo), RegistryId: c.registryID()})
	switch CodeOf(err) {
	case "", "RepositoryPolicyNotFoundException", "RepositoryNotFoundException":
		return cmd, nil
	}
	return cmd, c.classify("delete the policy of "+repo, err)
}

// Login asks for a registry token (ecr:GetAuthorizationToken), as
// 'aws ecr get-login-password' does: allowed, or refused with AWS's words.
func (c *Cloud) Login(ctx context.Context) (Outcome, Command, error) {
	cmd := awsCmd(c.region, "ecr", "get-login-password")
	if _, err := c.login(ctx); err != nil {
		if o, ok := refusal(err, loginAction); ok {
			return o, cmd, nil
		}
		return Outcome{}, cmd, err
	}
	return Outcome{Allowed: true}, cmd, nil
}

// DescribeImages describes a repository's images (ecr:DescribeImages).
func (c *Cloud) DescribeImages(ctx context.Context, repo string) (Outcome, Command, error) {
	cmd := awsCmd(c.region, c.registryArgs("ecr", "describe-images", "--repository-name", repo)...)
	_, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), RegistryId: c.registryID()})
	return c.apiOutcome(err, "ecr:DescribeImages", "describe the images of "+repo, cmd)
}

// ListImagesOf lists a repository's images (ecr:ListImages) as one
// request of a challenge: an outcome, with the registry Options names.
func (c *Cloud) ListImagesOf(ctx context.Context, repo string) (Outcome, Command, error) {
	cmd := awsCmd(c.region, c.registryArgs("ecr", "list-images", "--repository-name", repo)...)
	_, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(repo), RegistryId: c.registryID()})
	return c.apiOutcome(err, "ecr:ListImages", "list the images of "+repo, cmd)
}

// DeleteImage deletes one tag (ecr:BatchDeleteImage). A tag that is not
// there is not a refusal: the request was allowed.
func (c *Cloud) DeleteImage(ctx context.Context, repo, tag string) (Outcome, Command, error) {
	cmd := awsCmd(c.region, c.registryArgs("ecr", "batch-delete-image", "--repository-name", repo, "--image-ids", "imageTag="+tag)...)
	_, err := c.ecr.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), RegistryId: c.registryID(),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
	return c.apiOutcome(err, "ecr:BatchDeleteImage", "delete "+repo+":"+tag, cmd)
}

// DeleteRepository deletes a repository with its images
// (ecr:DeleteRepository).
func (c *Cloud) DeleteRepository(ctx context.Context, repo string) (Outcome, Command, error) {
	cmd := awsCmd(c.region, c.registryArgs("ecr", "delete-repository", "--repository-name", repo, "--force")...)
	_, err := c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(repo), Force: true, RegistryId: c.registryID()})
	return c.apiOutcome(err, "ecr:DeleteRepository", "delete the repository "+repo, cmd)
}

// apiOutcome turns an ECR API answer into an outcome: allowed, refused
// (AccessDeniedException, with AWS's sentence), or an error.
func (c *Cloud) apiOutcome(err error, action, op string, cmd Command) (Outcome, Command, error) {
	if err == nil {
		return Outcome{Allowed: true}, cmd, nil
	}
	if o, ok := refusal(err, action); ok {
		return o, cmd, nil
	}
	return Outcome{}, cmd, c.classify(op, err)
}

// PushRandom pushes a small image of fresh layers as repo:tag, so every
// action of a push is sent (nothing is there yet to skip): the layer
// checks, the uploads, the manifest. A refusal is an outcome.
func (c *Cloud) PushRandom(ctx context.Context, repo, tag string) (PushResult, []Command, error) {
	res := PushResult{Repository: repo, Tag: tag}
	a, err := c.login(ctx)
	if err != nil {
		if o, ok := refusal(err, loginAction); ok {
			res.Outcome = o
			return res, nil, nil
		}
		return res, nil, err
	}
	res.Registry = a.host
	cmds := []Command{loginCommand(c.region, a.host), dockerCmd("push", a.host+"/"+repo+":"+tag)}
	ref, err := parseRef(a.addr, repo, tag)
	if err != nil {
		return res, cmds, err
	}
	img, err := random.Image(1024, 1)
	if err != nil {
		return res, cmds, problem.New(problem.Local, "build a small image", err.Error(), "run the command again")
	}
	opts, rt := c.remoteOptions(ctx, a)
	if err := pushArtifact(ctx, ref, artifact{img: img}, opts, map[string]bool{}); err != nil {
		res.Outcome, err = c.refusedByRegistry(ctx, a, rt, "push "+repo+":"+tag, err)
		return res, cmds, err
	}
	if d, err := img.Digest(); err == nil {
		res.Digest = d.String()
	}
	res.Allowed = true
	return res, cmds, nil
}
