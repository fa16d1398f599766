package sandbox

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
)

// TestOtherAccountsRegistry: the world is one account. Asked for a token
// for another account's registry, ECR answers (registryIds is deprecated and
// a token is not scoped to a registry), so the sandbox does too; the other
// account's repositories are then refused as ECR refuses them to a caller
// no repository policy there lets in: AccessDeniedException, "... because
// no resource-based policy allows the ecr:ACTION action".
func TestOtherAccountsRegistry(t *testing.T) {
	sb := startSandbox(t, Options{})
	c := newClients(sb, nil)
	ctx := context.Background()
	const other = "999999999999"

	tok, err := c.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{RegistryIds: []string{other, sb.Account()}})
	must(t, "GetAuthorizationToken for another account", err)
	if len(tok.AuthorizationData) != 2 || aws.ToString(tok.AuthorizationData[0].ProxyEndpoint) != "https://"+other+".dkr.ecr."+sb.Region()+".amazonaws.com" {
		t.Fatalf("authorization data: %+v", tok.AuthorizationData)
	}

	caller := sb.Workspace().CallerARN
	refused := func(action, repo string, err error) {
		t.Helper()
		var ae smithy.APIError
		want := "User: " + caller + " is not authorized to perform: ecr:" + action + " on resource: arn:aws:ecr:" + sb.Region() + ":" + other +
			":repository/" + repo + " because no resource-based policy allows the ecr:" + action + " action"
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || ae.ErrorMessage() != want {
			t.Errorf("%s in another account's registry: %v\nwant AccessDeniedException: %s", action, err, want)
		}
	}
	reg, repo := aws.String(other), aws.String(RepoA)
	v1 := []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}
	_, err = c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: reg})
	refused("DescribeRepositories", "*", err)
	_, err = c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: reg, RepositoryNames: []string{RepoA}})
	refused("DescribeRepositories", RepoA, err)
	_, err = c.ecr.ListImages(ctx, &ecr.ListImagesInput{RegistryId: reg, RepositoryName: repo})
	refused("ListImages", RepoA, err)
	_, err = c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: reg, RepositoryName: repo})
	refused("DescribeImages", RepoA, err)
	_, err = c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: reg, RepositoryName: repo, ImageIds: v1})
	refused("BatchGetImage", RepoA, err)
	_, err = c.ecr.PutImage(ctx, &ecr.PutImageInput{RegistryId: reg, RepositoryName: repo, ImageManifest: aws.String("{}")})
	refused("PutImage", RepoA, err)
	_, err = c.ecr.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RegistryId: reg, RepositoryName: repo, ImageIds: v1})
	refused("BatchDeleteImage", RepoA, err)
	_, err = c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RegistryId: reg, RepositoryName: repo})
	refused("DeleteRepository", RepoA, err)
	_, err = c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RegistryId: reg, RepositoryName: aws.String("team-b/app")})
	refused("CreateRepository", "team-b/app", err)

	// The world's own account, named, is the world.
	list, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RegistryId: aws.String(sb.Account()), RepositoryName: repo})
	must(t, "ListImages in the world's own registry", err)
	if len(list.ImageIds) != 1 {
		t.Errorf("own registry: %+v", list.ImageIds)
	}
}
