package ec2query

import (
	"context"
	"errors"
)

// Paginator pages through an operation as the SDK's paginators do: each
// NextPage asks for the page after the last one's NextToken, keeping the
// input's MaxResults; there are more pages until one comes back without a
// NextToken.
type Paginator[I, O any] struct {
	call      func(context.Context, *I, ...func(*Options)) (*O, error)
	params    I
	setToken  func(*I, *string)
	token     func(*O) *string
	nextToken *string
	firstPage bool
}

func newPaginator[I, O any](call func(context.Context, *I, ...func(*Options)) (*O, error), params *I, setToken func(*I, *string), token func(*O) *string) *Paginator[I, O] {
	p := &Paginator[I, O]{call: call, setToken: setToken, token: token, firstPage: true}
	if params != nil {
		p.params = *params
	}
	return p
}

// HasMorePages reports whether there is a page still to get.
func (p *Paginator[I, O]) HasMorePages() bool {
	return p.firstPage || (p.nextToken != nil && len(*p.nextToken) != 0)
}

// NextPage gets the next page.
func (p *Paginator[I, O]) NextPage(ctx context.Context, optFns ...func(*Options)) (*O, error) {
	if !p.HasMorePages() {
		return nil, errors.New("no more pages available")
	}
	params := p.params
	if !p.firstPage {
		p.setToken(&params, p.nextToken)
	}
	out, err := p.call(ctx, &params, optFns...)
	if err != nil {
		return nil, err
	}
	p.firstPage = false
	p.nextToken = p.token(out)
	return out, nil
}

// DescribeNetworkInterfacesAPIClient is what a DescribeNetworkInterfacesPaginator calls.
type DescribeNetworkInterfacesAPIClient interface {
	DescribeNetworkInterfaces(context.Context, *DescribeNetworkInterfacesInput, ...func(*Options)) (*DescribeNetworkInterfacesOutput, error)
}

// DescribeNetworkInterfacesPaginator pages through DescribeNetworkInterfaces.
type DescribeNetworkInterfacesPaginator = Paginator[DescribeNetworkInterfacesInput, DescribeNetworkInterfacesOutput]

// NewDescribeNetworkInterfacesPaginator returns a paginator for DescribeNetworkInterfaces with params.
func NewDescribeNetworkInterfacesPaginator(client DescribeNetworkInterfacesAPIClient, params *DescribeNetworkInterfacesInput) *DescribeNetworkInterfacesPaginator {
	return newPaginator(client.DescribeNetworkInterfaces, params,
		func(in *DescribeNetworkInterfacesInput, t *string) { in.NextToken = t },
		func(out *DescribeNetworkInterfacesOutput) *string { return out.NextToken })
}

// DescribeRouteTablesAPIClient is what a DescribeRouteTablesPaginator calls.
type DescribeRouteTablesAPIClient interface {
	DescribeRouteTables(context.Context, *DescribeRouteTablesInput, ...func(*Options)) (*DescribeRouteTablesOutput, error)
}

// DescribeRouteTablesPaginator pages through DescribeRouteTables.
type DescribeRouteTablesPaginator = Paginator[DescribeRouteTablesInput, DescribeRouteTablesOutput]

// NewDescribeRouteTablesPaginator returns a paginator for DescribeRouteTables with params.
func NewDescribeRouteTablesPaginator(client DescribeRouteTablesAPIClient, params *DescribeRouteTablesInput) *DescribeRouteTablesPaginator {
	return newPaginator(client.DescribeRouteTables, params,
		func(in *DescribeRouteTablesInput, t *string) { in.NextToken = t },
		func(out *DescribeRouteTablesOutput) *string { return out.NextToken })
}

// DescribeSecurityGroupRulesAPIClient is what a DescribeSecurityGroupRulesPaginator calls.
type DescribeSecurityGroupRulesAPIClient interface {
	DescribeSecurityGroupRules(context.Context, *DescribeSecurityGroupRulesInput, ...func(*Options)) (*DescribeSecurityGroupRulesOutput, error)
}

// DescribeSecurityGroupRulesPaginator pages through DescribeSecurityGroupRules.
type DescribeSecurityGroupRulesPaginator = Paginator[DescribeSecurityGroupRulesInput, DescribeSecurityGroupRulesOutput]

// NewDescribeSecurityGroupRulesPaginator returns a paginator for DescribeSecurityGroupRules with params.
func NewDescribeSecurityGroupRulesPaginator(client DescribeSecurityGroupRulesAPIClient, params *DescribeSecurityGroupRulesInput) *DescribeSecurityGroupRulesPaginator {
	return newPaginator(client.DescribeSecurityGroupRules, params,
		func(in *DescribeSecurityGroupRulesInput, t *string) { in.NextToken = t },
		func(out *DescribeSecurityGroupRulesOutput) *string { return out.NextToken })
}

// DescribeSecurityGroupsAPIClient is what a DescribeSecurityGroupsPaginator calls.
type DescribeSecurityGroupsAPIClient interface {
	DescribeSecurityGroups(context.Context, *DescribeSecurityGroupsInput, ...func(*Options)) (*DescribeSecurityGroupsOutput, error)
}

// DescribeSecurityGroupsPaginator pages through DescribeSecurityGroups.
type DescribeSecurityGroupsPaginator = Paginator[DescribeSecurityGroupsInput, DescribeSecurityGroupsOutput]

// NewDescribeSecurityGroupsPaginator returns a paginator for DescribeSecurityGroups with params.
func NewDescribeSecurityGroupsPaginator(client DescribeSecurityGroupsAPIClient, params *DescribeSecurityGroupsInput) *DescribeSecurityGroupsPaginator {
	return newPaginator(client.DescribeSecurityGroups, params,
		func(in *DescribeSecurityGroupsInput, t *string) { in.NextToken = t },
		func(out *DescribeSecurityGroupsOutput) *string { return out.NextToken })
}

// DescribeSubnetsAPIClient is what a DescribeSubnetsPaginator calls.
type DescribeSubnetsAPIClient interface {
	DescribeSubnets(context.Context, *DescribeSubnetsInput, ...func(*Options)) (*DescribeSubnetsOutput, error)
}

// DescribeSubnetsPaginator pages through DescribeSubnets.
type DescribeSubnetsPaginator = Paginator[DescribeSubnetsInput, DescribeSubnetsOutput]

// NewDescribeSubnetsPaginator returns a paginator for DescribeSubnets with params.
func NewDescribeSubnetsPaginator(client DescribeSubnetsAPIClient, params *DescribeSubnetsInput) *DescribeSubnetsPaginator {
	return newPaginator(client.DescribeSubnets, params,
		func(in *DescribeSubnetsInput, t *string) { in.NextToken = t },
		func(out *DescribeSubnetsOutput) *string { return out.NextToken })
}

// DescribeVpcEndpointsAPIClient is what a DescribeVpcEndpointsPaginator calls.
type DescribeVpcEndpointsAPIClient interface {
	DescribeVpcEndpoints(context.Context, *DescribeVpcEndpointsInput, ...func(*Options)) (*DescribeVpcEndpointsOutput, error)
}

// DescribeVpcEndpointsPaginator pages through DescribeVpcEndpoints.
type DescribeVpcEndpointsPaginator = Paginator[DescribeVpcEndpointsInput, DescribeVpcEndpointsOutput]

// NewDescribeVpcEndpointsPaginator returns a paginator for DescribeVpcEndpoints with params.
func NewDescribeVpcEndpointsPaginator(client DescribeVpcEndpointsAPIClient, params *DescribeVpcEndpointsInput) *DescribeVpcEndpointsPaginator {
	return newPaginator(client.DescribeVpcEndpoints, params,
		func(in *DescribeVpcEndpointsInput, t *string) { in.NextToken = t },
		func(out *DescribeVpcEndpointsOutput) *string { return out.NextToken })
}

// DescribeVpcsAPIClient is what a DescribeVpcsPaginator calls.
type DescribeVpcsAPIClient interface {
	DescribeVpcs(context.Context, *DescribeVpcsInput, ...func(*Options)) (*DescribeVpcsOutput, error)
}

// DescribeVpcsPaginator pages through DescribeVpcs.
type DescribeVpcsPaginator = Paginator[DescribeVpcsInput, DescribeVpcsOutput]

// NewDescribeVpcsPaginator returns a paginator for DescribeVpcs with params.
func NewDescribeVpcsPaginator(client DescribeVpcsAPIClient, params *DescribeVpcsInput) *DescribeVpcsPaginator {
	return newPaginator(client.DescribeVpcs, params,
		func(in *DescribeVpcsInput, t *string) { in.NextToken = t },
		func(out *DescribeVpcsOutput) *string { return out.NextToken })
}
