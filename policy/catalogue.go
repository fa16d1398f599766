package policy

import (
	"fmt"
	"strings"
)

// Endpoint names the ECR interface endpoint a call travels through.
type Endpoint string

const (
	// EndpointDKR carries the Docker Registry API: push and pull.
	EndpointDKR Endpoint = "ecr.dkr"
	// EndpointAPI carries the ECR API: login, list, describe, create.
	EndpointAPI Endpoint = "ecr.api"
)

// ActionStep is one IAM action a client operation performs.
type ActionStep struct {
	Action   string   `json:"action"`
	Endpoint Endpoint `json:"endpoint"`
	// Global actions act on resource "*" rather than on the repository.
	Global bool `json:"global,omitempty"`
}

// Operation is something a learner does with a client (docker push, aws ecr
// list-images) and the ECR actions it needs, in the order the client sends
// them.
type Operation struct {
	Name    string       `json:"name"`
	Summary string       `json:"summary"`
	Steps   []ActionStep `json:"steps"`
}

var operations = []Operation{
	{Name: "push", Summary: "docker push: check layers, upload them, then write the manifest", Steps: []ActionStep{
		{Action: "ecr:BatchCheckLayerAvailability", Endpoint: EndpointDKR},
		{Action: "ecr:InitiateLayerUpload", Endpoint: EndpointDKR},
		{Action: "ecr:UploadLayerPart", Endpoint: EndpointDKR},
		{Action: "ecr:CompleteLayerUpload", Endpoint: EndpointDKR},
		{Action: "ecr:PutImage", Endpoint: EndpointDKR},
	}},
	{Name: "pull", Summary: "docker pull: read the manifest, then download the layers", Steps: []ActionStep{
		{Action: "ecr:BatchGetImage", Endpoint: EndpointDKR},
		{Action: "ecr:GetDownloadUrlForLayer", Endpoint: EndpointDKR},
	}},
	{Name: "login", Summary: "docker login / aws ecr get-login-password: fetch a registry token", Steps: []ActionStep{
		{Action: "ecr:GetAuthorizationToken", Endpoint: EndpointAPI, Global: true},
	}},
	{Name: "list-images", Summary: "aws ecr list-images", Steps: []ActionStep{
		{Action: "ecr:ListImages", Endpoint: EndpointAPI},
	}},
	{Name: "describe-images", Summary: "aws ecr describe-images", Steps: []ActionStep{
		{Action: "ecr:DescribeImages", Endpoint: EndpointAPI},
	}},
	{Name: "create-repository", Summary: "aws ecr create-repository", Steps: []ActionStep{
		{Action: "ecr:CreateRepository", Endpoint: EndpointAPI},
	}},
}

// Operations returns the catalogue of client operations.
func Operations() []Operation {
	out := make([]Operation, len(operations))
	copy(out, operations)
	return out
}

// OperationNames lists the operation names, in catalogue order.
func OperationNames() []string {
	names := make([]string, len(operations))
	for i, o := range operations {
		names[i] = o.Name
	}
	return names
}

// LookupOperation finds an operation by name.
func LookupOperation(name string) (Operation, bool) {
	for _, o := range operations {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return Operation{}, false
}

// LabPrincipal is the caller the lab simulates: a Cloud9-style workspace role
// session in the account.
func LabPrincipal(account string) string {
	return "arn:aws:sts::" + account + ":assumed-role/ecr-vpce-lab-workspace/i-0a1b2c3d4e5f60718"
}

// ActionResult is the decision for one action of an operation.
type ActionResult struct {
	Action    string   `json:"action"`
	Endpoint  Endpoint `json:"endpoint"`
	Resource  string   `json:"resource"`
	Decision  Result   `json:"decision"`
	Statement string   `json:"statement,omitempty"`
	Reason    string   `json:"reason"`
	// Message is what the client would print for a refusal.
	Message string `json:"message,omitempty"`
}

// Simulation is the outcome of one operation as a client would see it.
type Simulation struct {
	Operation  string         `json:"operation"`
	Repository string         `json:"repository"`
	Decision   Result         `json:"decision"`
	Actions    []ActionResult `json:"actions"`
	// NotReached lists the actions after the first refusal: the client stops
	// there, so they are never sent.
	NotReached []string `json:"notReached,omitempty"`
}

// Simulate runs an operation against one policy attached to both ECR
// endpoints, as the lab recommends.
func Simulate(doc *Document, operation, repo, account, region string) (Simulation, error) {
	return SimulateEndpoints(map[Endpoint]*Document{EndpointDKR: doc, EndpointAPI: doc}, operation, repo, account, region, LabPrincipal(account))
}

// SimulateEndpoints runs an operation where each endpoint may carry its own
// policy. An endpoint missing from the map has AWS's default policy, which
// allows everything.
func SimulateEndpoints(policies map[Endpoint]*Document, operation, repo, account, region, principal string) (Simulation, error) {
	op, ok := LookupOperation(operation)
	if !ok {
		return Simulation{}, fmt.Errorf("unknown operation %q: choose one of %s", operation, strings.Join(OperationNames(), ", "))
	}
	sim := Simulation{Operation: op.Name, Repository: repo, Decision: ResultAllow}
	for i, step := range op.Steps {
		resource := RepositoryARN(region, account, repo)
		if step.Global {
			resource = "*"
		}
		req := Request{Action: step.Action, Resource: resource, Principal: principal, PrincipalAccount: account}
		var d Decision
		if doc, ok := policies[step.Endpoint]; ok && doc != nil {
			d = Evaluate(doc, req)
		} else {
			d = Decision{Result: ResultAllow, Reason: "allowed: this endpoint has the default policy (full access)"}
		}
		res := ActionResult{Action: step.Action, Endpoint: step.Endpoint, Resource: resource, Decision: d.Result, Statement: strings.Join(d.Statements, ", "), Reason: d.Reason}
		if !d.Allowed() {
			res.Message = DenialMessage(req, d)
		}
		sim.Actions = append(sim.Actions, res)
		if !d.Allowed() {
			sim.Decision = d.Result
			for _, rest := range op.Steps[i+1:] {
				sim.NotReached = append(sim.NotReached, rest.Action)
			}
			break
		}
	}
	return sim, nil
}

// stepOf finds an action among the catalogue's operations.
func stepOf(action string) (ActionStep, bool) {
	for _, op := range operations {
		for _, s := range op.Steps {
			if strings.EqualFold(s.Action, action) {
				return s, true
			}
		}
	}
	return ActionStep{}, false
}

// EndpointOf names the endpoint an ECR action travels through: ecr.dkr for
// the registry's actions (push, pull), ecr.api for the rest.
func EndpointOf(action string) Endpoint {
	if s, ok := stepOf(action); ok {
		return s.Endpoint
	}
	return EndpointAPI
}

// RequestFor is the request an ECR action makes on repo, as an endpoint
// sees it: login (GetAuthorizationToken) acts on "*", the rest on the
// repository.
func RequestFor(action, repo, account, region, principal string) Request {
	resource := RepositoryARN(region, account, repo)
	if s, ok := stepOf(action); ok && s.Global {
		resource = "*"
	}
	return Request{Action: action, Resource: resource, Principal: principal, PrincipalAccount: account}
}
