// Package ec2query is the lab's EC2 client: the operations it calls, over
// EC2's query protocol, under the names aws-sdk-go-v2's service/ec2 gives
// them (Client, NewFromConfig, DescribeVpcsInput, types.Filter, …). That
// package is 760,000 lines, a third of every build's compile time, for the
// 26 operations the lab uses.
//
// Each call runs on the SDK's own machinery from its public packages: a
// smithy-go middleware stack with cfg.APIOptions applied, the configured
// retryer (aws/retry, with clock-skew correction), SigV4 signing, the
// request id and response timing in the result's metadata, and errors as
// the SDK returns them (a smithy.APIError inside *awshttp.ResponseError
// inside *smithy.OperationError). What is our own is the wire format
// (query.go, api.go: keys and elements from AWS's model) and the endpoint
// (endpoint.go).
package ec2query

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ServiceID is EC2's service id, as the SDK's middleware reports it.
const ServiceID = "EC2"

// ServiceAPIVersion is the API version every request names.
const ServiceAPIVersion = "2016-11-15"

// signingName is the SigV4 service name.
const signingName = "ec2"

// HTTPClient sends a request.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// EndpointResolverOptions choose among AWS's endpoints for a region.
type EndpointResolverOptions struct {
	UseDualStackEndpoint aws.DualStackEndpointState
	UseFIPSEndpoint      aws.FIPSEndpointState
}

// Options configure a Client, as the SDK's ec2.Options do (the members the
// lab has use for).
type Options struct {
	// APIOptions modify every call's middleware stack.
	APIOptions []func(*middleware.Stack) error
	// AppID is added to the User-Agent.
	AppID string
	// BaseEndpoint, when set, is where every call goes.
	BaseEndpoint *string
	// ClientLogMode selects what is logged (retries, signing, bodies).
	ClientLogMode aws.ClientLogMode
	// Credentials sign the requests; nil or anonymous sends them unsigned.
	Credentials aws.CredentialsProvider
	// DisableClockSkewCorrection signs with this machine's clock as is.
	DisableClockSkewCorrection bool
	// EndpointOptions choose FIPS and dual-stack endpoints.
	EndpointOptions EndpointResolverOptions
	// HTTPClient sends the requests (default: the SDK's buildable client).
	HTTPClient HTTPClient
	// Logger hears what ClientLogMode selects.
	Logger logging.Logger
	// Region is the region the calls address.
	Region string
	// RetryMaxAttempts, when not 0, overrides the retryer's attempts.
	RetryMaxAttempts int
	// RetryMode is the default retryer's mode when Retryer is nil.
	RetryMode aws.RetryMode
	// Retryer decides which failures are retried and how long to wait.
	Retryer aws.Retryer
}

// Copy returns a copy whose APIOptions can be appended to independently.
func (o Options) Copy() Options {
	to := o
	to.APIOptions = append([]func(*middleware.Stack) error(nil), o.APIOptions...)
	return to
}

// Client calls EC2. It is safe for concurrent use.
type Client struct {
	options Options
	// timeOffset is AWS's clock minus ours, as last seen, in nanoseconds:
	// the retry middleware keeps it and signing applies it.
	timeOffset *atomic.Int64
	signer     *v4.Signer
}

// New returns a Client for options, changed by optFns.
func New(options Options, optFns ...func(*Options)) *Client {
	options = options.Copy()
	if options.Logger == nil {
		options.Logger = logging.Nop{}
	}
	if options.Retryer == nil {
		options.Retryer = defaultRetryer(options)
	}
	if options.HTTPClient == nil {
		options.HTTPClient = awshttp.NewBuildableClient()
	}
	for _, fn := range optFns {
		fn(&options)
	}
	if options.RetryMaxAttempts != 0 {
		options.Retryer = retry.AddWithMaxAttempts(options.Retryer, options.RetryMaxAttempts)
	}
	return &Client{options: options, timeOffset: new(atomic.Int64), signer: newSigner(options)}
}

func newSigner(o Options) *v4.Signer {
	return v4.NewSigner(func(so *v4.SignerOptions) {
		so.Logger = o.Logger
		so.LogSigning = o.ClientLogMode.IsSigning()
	})
}

// defaultRetryer is the SDK's: standard, or adaptive when RetryMode says.
func defaultRetryer(o Options) aws.Retryer {
	var std []func(*retry.StandardOptions)
	if n := o.RetryMaxAttempts; n != 0 {
		std = append(std, func(so *retry.StandardOptions) { so.MaxAttempts = n })
	}
	if o.RetryMode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) { ao.StandardOptions = append(ao.StandardOptions, std...) })
	}
	return retry.NewStandard(std...)
}

// NewFromConfig returns a Client for an SDK configuration, as the SDK's
// ec2.NewFromConfig does: region, credentials, HTTP client, retryer,
// APIOptions, and the endpoint settings (AWS_ENDPOINT_URL_EC2 or the
// shared config's services section, FIPS, dual-stack) from cfg.ConfigSources.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	opts := Options{
		Region:                     cfg.Region,
		HTTPClient:                 cfg.HTTPClient,
		Credentials:                cfg.Credentials,
		APIOptions:                 cfg.APIOptions,
		Logger:                     cfg.Logger,
		ClientLogMode:              cfg.ClientLogMode,
		AppID:                      cfg.AppID,
		DisableClockSkewCorrection: cfg.DisableClockSkewCorrection,
		RetryMaxAttempts:           cfg.RetryMaxAttempts,
		RetryMode:                  cfg.RetryMode,
	}
	if cfg.Retryer != nil {
		opts.Retryer = cfg.Retryer()
	}
	opts.BaseEndpoint = baseEndpointFromConfig(cfg)
	opts.EndpointOptions = endpointOptionsFromConfig(cfg)
	return New(opts, optFns...)
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.options.Copy() }

// call runs one operation and returns out, or nil and the error.
func call[O any](c *Client, ctx context.Context, op string, params any, out *O, md *middleware.Metadata, optFns []func(*Options)) (*O, error) {
	m, err := c.invoke(ctx, op, params, out, optFns)
	if err != nil {
		return nil, err
	}
	*md = m
	return out, nil
}

// invoke builds the operation's middleware stack, as the SDK's clients do,
// and runs it.
func (c *Client) invoke(ctx context.Context, op string, params, out any, optFns []func(*Options)) (middleware.Metadata, error) {
	options := c.options.Copy()
	for _, fn := range optFns {
		fn(&options)
	}
	if v := options.RetryMaxAttempts; v != 0 && v != c.options.RetryMaxAttempts {
		options.Retryer = retry.AddWithMaxAttempts(options.Retryer, v)
	}

	ctx = middleware.ClearStackValues(ctx)
	ctx = middleware.WithServiceID(ctx, ServiceID)
	ctx = middleware.WithOperationName(ctx, op)
	ctx = middleware.SetLogger(ctx, options.Logger)
	ctx = awsmiddleware.SetServiceID(ctx, ServiceID)
	if options.Region != "" {
		ctx = awsmiddleware.SetRegion(ctx, options.Region)
	}
	ctx = awsmiddleware.SetOperationName(ctx, op)

	stack := middleware.NewStack(op, smithyhttp.NewStackRequest)
	if err := c.addMiddlewares(stack, options, op, out); err != nil {
		return middleware.Metadata{}, err
	}
	for _, fn := range options.APIOptions {
		if err := fn(stack); err != nil {
			return middleware.Metadata{}, err
		}
	}
	handler := middleware.DecorateHandler(smithyhttp.NewClientHandler(options.HTTPClient), stack)
	_, md, err := handler.Handle(ctx, params)
	if err != nil {
		return md, &smithy.OperationError{ServiceID: ServiceID, OperationName: op, Err: err}
	}
	return md, nil
}

// addMiddlewares assembles the stack in the SDK's order: serialize the
// form; add the invocation id, User-Agent and recursion header; then, for
// each attempt the retryer makes, resolve the endpoint, hash the payload
// and sign; on the way back record the response's timing and Date, the
// request id, and turn an error document into the SDK's error values.
func (c *Client) addMiddlewares(stack *middleware.Stack, o Options, op string, out any) error {
	ua := awsmiddleware.NewRequestUserAgent()
	ua.AddSDKAgentKeyValue(awsmiddleware.APIMetadata, "ec2", ServiceAPIVersion)
	if o.AppID != "" {
		ua.AddSDKAgentKey(awsmiddleware.ApplicationIdentifier, o.AppID)
	}
	switch o.Retryer.(type) {
	case *retry.Standard:
		ua.AddUserAgentFeature(awsmiddleware.UserAgentFeatureRetryModeStandard)
	case *retry.AdaptiveMode:
		ua.AddUserAgentFeature(awsmiddleware.UserAgentFeatureRetryModeAdaptive)
	}
	attempt := retry.NewAttemptMiddleware(o.Retryer, smithyhttp.RequestCloner, func(m *retry.Attempt) {
		m.LogAttempts = o.ClientLogMode.IsRetries()
		m.ClientSkew = c.timeOffset
		m.DisableClockSkewCorrection = o.DisableClockSkewCorrection
	})
	skew := &skewMiddleware{skew: time.Duration(c.timeOffset.Load()), disabled: o.DisableClockSkewCorrection}
	return errors.Join(
		stack.Serialize.Add(&serializer{op: op}, middleware.After),
		stack.Build.Add(&awsmiddleware.ClientRequestID{}, middleware.After),
		stack.Build.Add(ua, middleware.After),
		stack.Build.Add(&awsmiddleware.RecursionDetection{}, middleware.After),
		stack.Finalize.Add(attempt, middleware.After),
		stack.Finalize.Add(skew, middleware.After),
		stack.Finalize.Add(&endpointMiddleware{options: o}, middleware.After),
		stack.Finalize.Add(&v4.ComputePayloadSHA256{}, middleware.After),
		stack.Finalize.Add(&signer{options: o, signer: c.signer}, middleware.After),
		stack.Deserialize.Add(&awsmiddleware.AddRawResponse{}, middleware.Before),
		stack.Deserialize.Add(&awshttp.ResponseErrorWrapper{}, middleware.After),
		stack.Deserialize.Add(&awsmiddleware.RequestIDRetriever{}, middleware.After),
		stack.Deserialize.Add(&deserializer{out: out}, middleware.After),
		stack.Deserialize.Add(&awsmiddleware.RecordResponseTiming{DisableClockSkewCorrection: o.DisableClockSkewCorrection}, middleware.After),
		stack.Deserialize.Add(&smithyhttp.RequestResponseLogger{
			LogRequest:          o.ClientLogMode.IsRequest(),
			LogRequestWithBody:  o.ClientLogMode.IsRequestWithBody(),
			LogResponse:         o.ClientLogMode.IsResponse(),
			LogResponseWithBody: o.ClientLogMode.IsResponseWithBody(),
		}, middleware.After),
	)
}

type skewKey struct{}

// skewMiddleware carries the clock skew into each attempt's signing: the
// client's last known offset for the first attempt, then the one the
// previous attempt's answer showed (so a RequestTimeTooSkewed is retried
// with a corrected clock), as the SDK's retry loop does internally.
type skewMiddleware struct {
	skew     time.Duration
	disabled bool
}

func (*skewMiddleware) ID() string { return "ClockSkew" }

func (m *skewMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if m.disabled {
		return next.HandleFinalize(ctx, in)
	}
	out, md, err := next.HandleFinalize(context.WithValue(ctx, skewKey{}, m.skew), in)
	if s, ok := awsmiddleware.GetAttemptSkew(md); ok {
		m.skew = s
	}
	return out, md, err
}

// signer signs each attempt with SigV4 for ec2 in the signing region the
// endpoint middleware chose, at this machine's time corrected by the skew.
type signer struct {
	options Options
	signer  *v4.Signer
}

func (*signer) ID() string { return "Signing" }

func (s *signer) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	p := s.options.Credentials
	if p == nil {
		return next.HandleFinalize(ctx, in)
	}
	if _, anonymous := p.(aws.AnonymousCredentials); anonymous {
		return next.HandleFinalize(ctx, in)
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("unexpected request middleware type %T", in.Request)}
	}
	creds, err := p.Retrieve(ctx)
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("get identity: %w", err)
	}
	at := time.Now().UTC()
	if skew, ok := ctx.Value(skewKey{}).(time.Duration); ok {
		at = at.Add(skew)
	}
	err = s.signer.SignHTTP(ctx, creds, req.Request, v4.GetPayloadHash(ctx), signingName, awsmiddleware.GetSigningRegion(ctx), at)
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("failed to sign http request, %w", err)}
	}
	return next.HandleFinalize(awsmiddleware.SetSigningCredentials(ctx, creds), in)
}
