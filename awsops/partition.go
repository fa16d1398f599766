package awsops

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/partition"
	"ecr-vpce-lab/internal/problem"
)

// Partitions. AWS is split into partitions with their own ARNs and names:
// aws, aws-us-gov (GovCloud: ARNs arn:aws-us-gov:, host names still
// amazonaws.com) and aws-cn (China: arn:aws-cn:, host names
// amazonaws.com.cn, interface endpoint services cn.com.amazonaws.REGION.…
// while S3's gateway keeps com.amazonaws.REGION.s3). The lab takes each
// name from AWS's own answers: the partition from the caller's ARN
// (GetCallerIdentity), the endpoint services and the API's host name from
// DescribeVpcEndpointServices, the registry's host name from
// GetAuthorizationToken's ProxyEndpoint. Until AWS has answered, the
// partitions' conventions (internal/partition) stand in. [research K; PrivateLink guide: take
// service names from DescribeVpcEndpointServices]

// Names are the names of the lab's services in the account's partition.
type Names struct {
	// Partition is the caller's ARN's partition (aws, aws-us-gov, aws-cn).
	Partition string `json:"partition,omitempty"`
	// Services are the endpoint service names by short name (ecr.dkr,
	// ecr.api, s3), as DescribeVpcEndpointServices lists them.
	Services map[string]string `json:"services,omitempty"`
	// Registry is the registry's host name (ACCOUNT.dkr.ecr.REGION.SUFFIX):
	// ProxyEndpoint's, or the ecr.dkr service's private DNS name's.
	Registry string `json:"registry,omitempty"`
	// API is the ECR API's host name, the ecr.api service's private DNS name.
	API string `json:"api,omitempty"`
}

// partitionOfARN is the partition an ARN names, "" when s is none.
func partitionOfARN(s string) string {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

// Partition is the account's partition: the caller's ARN's once known, else
// the region's.
func (c *Cloud) Partition() string {
	c.mu.Lock()
	p := c.names.Partition
	c.mu.Unlock()
	if p == "" {
		p = partition.Of(c.region).ID
	}
	return p
}

// Names returns the names known so far.
func (c *Cloud) Names() Names {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.names
	n.Services = make(map[string]string, len(c.names.Services))
	for k, v := range c.names.Services {
		n.Services[k] = v
	}
	if n.Partition == "" {
		n.Partition = partition.Of(c.region).ID
	}
	return n
}

// UseNames takes names found earlier (a state file's), for the names not
// known yet.
func (c *Cloud) UseNames(n Names) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names.Partition == "" {
		c.names.Partition = n.Partition
	}
	if c.names.Registry == "" {
		c.names.Registry = n.Registry
	}
	if c.names.API == "" {
		c.names.API = n.API
	}
	for k, v := range n.Services {
		if c.names.Services == nil {
			c.names.Services = map[string]string{}
		}
		if c.names.Services[k] == "" {
			c.names.Services[k] = v
		}
	}
}

// serviceCandidates are the names a service can have in the region:
// com.amazonaws.REGION.S, and China's cn.com.amazonaws.REGION.S.
func (c *Cloud) serviceCandidates(short string) []string {
	return []string{"com.amazonaws." + c.region + "." + short, "cn.com.amazonaws." + c.region + "." + short}
}

// ResolveNames asks DescribeVpcEndpointServices for the lab's services
// under either form of their name, and keeps what it lists: the names
// themselves (S3's gateway where the gateway and interface services are
// named apart, as in China) and the private DNS names of ecr.dkr and
// ecr.api. A refusal or failure leaves the partition's conventions in
// place; only a canceled context is an error.
func (c *Cloud) ResolveNames(ctx context.Context, account string) (Names, error) {
	var candidates []string
	for _, s := range []string{"ecr.dkr", "ecr.api", "s3"} {
		candidates = append(candidates, c.serviceCandidates(s)...)
	}
	out, err := c.ec2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{
		Filters: []types.Filter{{Name: aws.String("service-name"), Values: candidates}}})
	if err != nil {
		if k := problem.KindOf(c.classify("", err)); k == problem.Canceled {
			return c.Names(), c.classify("find the endpoint services' names", err)
		}
		return c.Names(), nil
	}
	c.mu.Lock()
	if c.names.Services == nil {
		c.names.Services = map[string]string{}
	}
	for _, d := range out.ServiceDetails {
		name := aws.ToString(d.ServiceName)
		short := ""
		for _, s := range []string{"ecr.dkr", "ecr.api", "s3"} {
			for _, cand := range c.serviceCandidates(s) {
				if name == cand {
					short = s
				}
			}
		}
		if short == "" {
			continue
		}
		gateway := false
		for _, t := range d.ServiceType {
			gateway = gateway || t.ServiceType == types.ServiceTypeGateway
		}
		if short == "s3" && !gateway {
			continue // the lab makes S3's gateway endpoint
		}
		c.names.Services[short] = name
		dns := aws.ToString(d.PrivateDnsName)
		switch {
		case short == "ecr.api" && dns != "":
			c.names.API = dns
		case short == "ecr.dkr" && strings.HasPrefix(dns, "*.") && account != "" && c.names.Registry == "":
			c.names.Registry = account + dns[1:]
		}
	}
	c.mu.Unlock()
	return c.Names(), nil
}

// notePartition keeps the partition of the caller's ARN.
func (c *Cloud) notePartition(arn string) {
	if p := partitionOfARN(arn); p != "" {
		c.mu.Lock()
		c.names.Partition = p
		c.mu.Unlock()
	}
}

// noteRegistry keeps the registry host GetAuthorizationToken named.
func (c *Cloud) noteRegistry(host string) {
	if host == "" {
		return
	}
	c.mu.Lock()
	c.names.Registry = host
	c.mu.Unlock()
}
