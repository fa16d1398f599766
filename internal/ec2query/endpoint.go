package ec2query

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Where a call goes. BaseEndpoint wins (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2
// or the shared config's services section, as NewFromConfig reads them);
// otherwise EC2's regional endpoint in the region's partition
// (ec2.REGION.amazonaws.com; .amazonaws.com.cn in China), its FIPS form
// (ec2-fips.REGION…, except GovCloud, whose regular endpoints are already
// FIPS-validated) and its dual-stack form (ec2.REGION.api.aws, …) as AWS's
// EC2 endpoint documentation and endpoint rules give them.

// partition is what the endpoint rules need of an AWS partition.
type partition struct {
	id, dnsSuffix, dualStackSuffix string
	regions                        *regexp.Regexp
}

// partitions are AWS's, as its endpoint rules list them; a region none
// matches is taken to be in aws, as the SDKs do.
var partitions = []partition{
	{"aws", "amazonaws.com", "api.aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`)},
	{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn", regexp.MustCompile(`^cn-\w+-\d+$`)},
	{"aws-us-gov", "amazonaws.com", "api.aws", regexp.MustCompile(`^us-gov-\w+-\d+$`)},
	{"aws-iso", "c2s.ic.gov", "api.aws.ic.gov", regexp.MustCompile(`^us-iso-\w+-\d+$`)},
	{"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud", regexp.MustCompile(`^us-isob-\w+-\d+$`)},
	{"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", regexp.MustCompile(`^eu-isoe-\w+-\d+$`)},
	{"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov", regexp.MustCompile(`^us-isof-\w+-\d+$`)},
	{"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu", regexp.MustCompile(`^eusc-de-\w+-\d+$`)},
}

func partitionOf(region string) partition {
	for _, p := range partitions {
		if p.regions.MatchString(region) {
			return p
		}
	}
	return partitions[0]
}

var hostLabel = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,62}$`)

// resolveEndpoint is the URL a call goes to and the region it is signed
// for. A region named fips-X, X-fips or …-fips-… means X over FIPS, as
// the SDK takes it.
func resolveEndpoint(o Options) (*url.URL, string, error) {
	region := o.Region
	fips := o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled
	dual := o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled
	if r := strings.NewReplacer("-fips-", "-", "fips-", "", "-fips", "").Replace(region); r != region {
		region, fips = r, true
	}
	if o.BaseEndpoint != nil {
		switch {
		case fips:
			return nil, "", fmt.Errorf("Invalid Configuration: FIPS and custom endpoint are not supported")
		case dual:
			return nil, "", fmt.Errorf("Invalid Configuration: Dualstack and custom endpoint are not supported")
		}
		u, err := url.Parse(*o.BaseEndpoint)
		if err != nil || u.Host == "" {
			return nil, "", fmt.Errorf("Failed to parse uri: %s", *o.BaseEndpoint)
		}
		return u, region, nil
	}
	if region == "" {
		return nil, "", fmt.Errorf("Invalid Configuration: Missing Region")
	}
	if !hostLabel.MatchString(region) {
		return nil, "", fmt.Errorf("invalid input region %s", region)
	}
	p := partitionOf(region)
	host := "ec2." + region + "." + p.dnsSuffix
	switch {
	case fips && dual:
		host = "ec2-fips." + region + "." + p.dualStackSuffix
	case fips && p.id == "aws-us-gov":
		host = "ec2." + region + ".amazonaws.com"
	case fips:
		host = "ec2-fips." + region + "." + p.dnsSuffix
	case dual:
		host = "ec2." + region + "." + p.dualStackSuffix
	}
	return &url.URL{Scheme: "https", Host: host}, region, nil
}

// endpointMiddleware points each attempt at the resolved endpoint and
// names the signing region.
type endpointMiddleware struct{ options Options }

func (*endpointMiddleware) ID() string { return "ResolveEndpointV2" }

func (m *endpointMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("unknown transport type %T", in.Request)
	}
	u, region, err := resolveEndpoint(m.options)
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("failed to resolve service endpoint, %w", err)
	}
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	req.URL.Path = smithyhttp.JoinPath(u.Path, req.URL.Path)
	req.URL.RawPath = smithyhttp.JoinPath(u.RawPath, req.URL.RawPath)
	if u.RawQuery != "" {
		q := req.URL.Query()
		for k, v := range u.Query() {
			q[k] = append(q[k], v...)
		}
		req.URL.RawQuery = q.Encode()
	}
	ctx = awsmiddleware.SetSigningName(ctx, signingName)
	ctx = awsmiddleware.SetSigningRegion(ctx, region)
	return next.HandleFinalize(ctx, in)
}

// The settings NewFromConfig reads from cfg.ConfigSources (config.EnvConfig,
// config.SharedConfig…), by the methods the SDK's own clients look for.
type (
	ignoreEndpointsSource interface {
		GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error)
	}
	serviceEndpointSource interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	fipsSource interface {
		GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error)
	}
	dualStackSource interface {
		GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error)
	}
)

// baseEndpointFromConfig is cfg.BaseEndpoint, unless EC2 has an endpoint
// of its own in the configuration (AWS_ENDPOINT_URL_EC2, or ec2's in the
// profile's services section); a global AWS_ENDPOINT_URL without the EC2
// one keeps cfg.BaseEndpoint, which already holds it; and
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (ignore_configured_endpoint_urls)
// ignores EC2's own.
func baseEndpointFromConfig(cfg aws.Config) *string {
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, own := os.LookupEnv("AWS_ENDPOINT_URL_EC2")
	if global && !own {
		return cfg.BaseEndpoint
	}
	if ignore, _ := fromSources(cfg, ignoreEndpointsSource.GetIgnoreConfiguredEndpoints); ignore {
		return cfg.BaseEndpoint
	}
	v, found := fromSources(cfg, func(s serviceEndpointSource, ctx context.Context) (string, bool, error) {
		return s.GetServiceBaseEndpoint(ctx, ServiceID)
	})
	if found {
		return &v
	}
	return cfg.BaseEndpoint
}

// endpointOptionsFromConfig is the FIPS and dual-stack setting the
// configuration gives (AWS_USE_FIPS_ENDPOINT, use_fips_endpoint…).
func endpointOptionsFromConfig(cfg aws.Config) EndpointResolverOptions {
	fips, _ := fromSources(cfg, fipsSource.GetUseFIPSEndpoint)
	dual, _ := fromSources(cfg, dualStackSource.GetUseDualStackEndpoint)
	return EndpointResolverOptions{UseFIPSEndpoint: fips, UseDualStackEndpoint: dual}
}

// fromSources is the setting of the first of cfg.ConfigSources that has
// one (S's method finds it); a source that fails to read ends the search
// with nothing, as in the SDK.
func fromSources[S, V any](cfg aws.Config, get func(S, context.Context) (V, bool, error)) (V, bool) {
	var zero V
	for _, src := range cfg.ConfigSources {
		if s, ok := src.(S); ok {
			v, found, err := get(s, context.Background())
			if err != nil {
				return zero, false
			}
			if found {
				return v, true
			}
		}
	}
	return zero, false
}
