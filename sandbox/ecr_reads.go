package sandbox

// ECR reads a learner pokes at: the registry's settings (no replication).

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
