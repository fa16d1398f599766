package sandbox

// ECR reads a learner pokes at: a repository's policy (the world's
// repositories have none, and SetRepositoryPolicy is not modelled) and the
// registry's settings (no replication).

func ecrGetRepositoryPolicy(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID     string `json:"registryId"`
		RepositoryName string `json:"repositoryName"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	return nil, badRequest("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", r.Name, x.registry())
}

func ecrDescribeRegistry(x *ecrCtx) (any, *APIError) {
	var in struct{}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	type replication struct {
		Rules []struct{} `json:"rules"`
	}
	return struct {
		RegistryID  string      `json:"registryId"`
		Replication replication `json:"replicationConfiguration"`
	}{RegistryID: x.registry(), Replication: replication{Rules: []struct{}{}}}, nil
}
