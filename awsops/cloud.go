// Package awsops is the only part of ecr-vpce-lab that talks to AWS: the EC2,
// ECR and STS APIs through aws-sdk-go-v2, the instance metadata service, DNS
// and the ECR registry. It takes and returns small domain types, never SDK
// structs; every mutating call also returns its AWS CLI equivalent; every
// error is classified (see problem.Kind) and carries a fix in plain words.
//
// A Cloud talks to real AWS, or, with Options overrides, to anything that
// speaks AWS's protocols on other addresses (the lab's sandbox, moto).
package awsops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	ec2 "ecr-vpce-lab/internal/ec2query"
	"ecr-vpce-lab/internal/problem"
)

// Options configure a Cloud. The zero value (plus an aws.Config) talks to
// real AWS.
type Options struct {
	// Config carries credentials, region and retryer. Use LoadConfigWith for
	// real AWS or StaticConfig for the sandbox.
	Config aws.Config

	// BaseEndpoint, when set, sends EC2, ECR and STS calls there
	// (AWS_ENDPOINT_URL).
	BaseEndpoint string
	// Metadata is the instance metadata service, already probed or not;
	// when nil, one is made from IMDSEndpoint and IMDSDisabled.
	Metadata *Metadata
	// IMDSEndpoint, when set, is the instance metadata service's base URL.
	IMDSEndpoint string
	// IMDSDisabled skips the metadata service: the caller gives workspace IDs.
	IMDSDisabled bool
	// IMDSTimeouts bound each metadata request when Metadata is nil; zero
	// fields are the SDK's.
	IMDSTimeouts IMDSTimeouts
	// DNSServer (host:port), when set, answers the lab's DNS lookups; else the
	// system resolver does.
	DNSServer string
	// RegistryAddr (host:port), when set, is where registry requests go; else
	// ACCOUNT.dkr.ecr.REGION.amazonaws.com over HTTPS.
	RegistryAddr string
	// RegistryID, when set, is the account whose registry the ECR calls
	// address (registryId): a principal of another account using the
	// lab's repositories. Empty means the caller's own.
	RegistryID string
	// LoopbackOnly refuses every connection to an address that is not
	// 127.0.0.1/::1 (sandbox mode).
	LoopbackOnly bool

	// Observer, when set, hears about every API call once it has finished.
	// It is called from the goroutine that made the call.
	Observer func(Call)

	// Poll is the steady cadence of every wait for AWS to change something
	// (endpoints becoming available or deleted, network interfaces being
	// released, DNS switching, a group still in use): default 1 s, so a
	// change is seen within about a second. Each poll is one call for all
	// the endpoints (or interfaces) at once: a three-minute wait costs about
	// 180 DescribeVpcEndpoints, against the 20 a second EC2 refills for each
	// account and Region.
	Poll time.Duration
	// DependencyWait bounds how long DeleteSecurityGroup keeps retrying a
	// DependencyViolation, and the waits for deleted endpoints and released
	// network interfaces (default 10 minutes).
	DependencyWait time.Duration
	// EndpointWait bounds the wait for new endpoints to become available
	// (default 15 minutes; AWS takes a few).
	EndpointWait time.Duration
	// ConsistencyWait is how long after the lab created a resource a
	// NotFound for it is taken as EC2's reads not having caught up yet, and
	// retried (default DefaultConsistencyWait).
	ConsistencyWait time.Duration

	// DockerCLI, when set, is the docker executable used for push and pull
	// (as the lab does); else the registry is driven in-process.
	DockerCLI string
}

// Call describes one finished API call, for logs and --verbose.
type Call struct {
	Service   string        `json:"service"`
	Operation string        `json:"operation"`
	Start     time.Time     `json:"start"`
	Duration  time.Duration `json:"duration"`
	Retries   int           `json:"retries"`
	Code      string        `json:"code,omitempty"`
	Err       error         `json:"-"`
}

// Cloud is a connection to one account and region. It is safe for
// concurrent use.
type Cloud struct {
	opts Options
	cfg  aws.Config
	ec2  *ec2.Client
	ecr  *ecr.Client
	sts  *sts.Client
	iam  *iam.Client
	// scheduler is EventBridge Scheduler's; orgs AWS Organizations'.
	scheduler *scheduler.Client
	orgs      *organizations.Client
	imds      *imds.Client
	http      *http.Client
	region    string

	mu      sync.Mutex
	account string
	// names are the partition's names as AWS gave them (partition.go).
	names Names
	// skew is how far AWS's clock (the Date of its answers) stands from
	// this machine's, as last seen (see Now).
	skew time.Duration
}

// StaticConfig is an SDK configuration with fixed keys and region and
// nothing read from the environment or ~/.aws: the sandbox's. Its retryer
// makes as many attempts as the one for AWS (so a throttling storm outlasts
// the retries at the same point) but waits at most 250 ms between them: the
// sandbox is on 127.0.0.1, and its faults are rehearsals, not load to back
// off from.
func StaticConfig(region, accessKey, secretKey string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")),
		Retryer:     newSandboxRetryer,
	}
}

// RetryAttempts is how many times a call is tried before a throttling or
// 5xx answer becomes an error: enough that a call fails at 20 % throttling
// plus 20 % 5xx about once in ten thousand (0.4^10), as a room full of
// learners sharing one account can provoke.
const RetryAttempts = 10

// newRetryer is the SDK's standard retryer with more patience for
// throttling, as a room full of learners provokes.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = RetryAttempts
		o.MaxBackoff = 8 * time.Second
	})
}

func newSandboxRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = RetryAttempts
		o.MaxBackoff = 250 * time.Millisecond
	})
}

// New builds a Cloud.
func New(opts Options) (*Cloud, error) {
	cfg := opts.Config.Copy()
	if cfg.Region == "" {
		return nil, problem.New(problem.Region, "connect", "no region is set", "pass --region, or export AWS_REGION (the workshop uses us-west-2)")
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.DependencyWait <= 0 {
		opts.DependencyWait = 10 * time.Minute
	}
	if opts.EndpointWait <= 0 {
		opts.EndpointWait = 15 * time.Minute
	}
	if opts.ConsistencyWait <= 0 {
		opts.ConsistencyWait = DefaultConsistencyWait
	}
	if opts.LoopbackOnly {
		for _, a := range []string{opts.BaseEndpoint, opts.IMDSEndpoint} {
			if a != "" && !isLoopbackURL(a) {
				return nil, problem.New(problem.Invalid, "connect", fmt.Sprintf("%s is not a 127.0.0.1 address", a),
					"sandbox mode only talks to 127.0.0.1: use the addresses the sandbox prints")
			}
		}
		if opts.BaseEndpoint == "" {
			return nil, problem.New(problem.Invalid, "connect", "loopback-only mode needs a base endpoint", "give the sandbox's AWS_ENDPOINT_URL")
		}
	}
	c := &Cloud{opts: opts, region: cfg.Region}
	c.http = &http.Client{Transport: newTransport(opts.LoopbackOnly)}
	cfg.HTTPClient = c.http
	if cfg.Retryer == nil {
		cfg.Retryer = newRetryer
	}
	cfg.APIOptions = append(cfg.APIOptions, c.observe)
	if opts.BaseEndpoint != "" {
		cfg.BaseEndpoint = aws.String(opts.BaseEndpoint)
	}
	c.cfg = cfg
	c.ec2 = ec2.NewFromConfig(cfg)
	c.ecr = ecr.NewFromConfig(cfg)
	c.sts = sts.NewFromConfig(cfg)
	c.iam = iam.NewFromConfig(cfg)
	c.scheduler = scheduler.NewFromConfig(cfg)
	c.orgs = organizations.NewFromConfig(cfg)
	if opts.Metadata == nil {
		opts.Metadata = NewMetadata(MetadataOptions{Endpoint: opts.IMDSEndpoint, Disabled: opts.IMDSDisabled, LoopbackOnly: opts.LoopbackOnly, Timeouts: opts.IMDSTimeouts})
		c.opts.Metadata = opts.Metadata
	}
	c.imds = opts.Metadata.Client(c.observe)
	return c, nil
}

// Region is the region the Cloud works in.
func (c *Cloud) Region() string { return c.region }

// Now is AWS's time: this machine's clock corrected by the Date of AWS's
// last answer. Expiry is AWS's business (the schedule fires by its clock),
// so the lab judges it by the same clock; against the sandbox this is the
// sandbox's clock, which can be moved ahead.
func (c *Cloud) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

// Sandboxed reports whether the Cloud is restricted to 127.0.0.1.
func (c *Cloud) Sandboxed() bool { return c.opts.LoopbackOnly }

// DefaultPoll is the cadence of waits when Options.Poll is not set.
const DefaultPoll = time.Second

// PollEvery returns the cadence of waits.
func (c *Cloud) PollEvery() time.Duration { return c.opts.Poll }

// pacer keeps a wait's polls on a steady cadence: each starts Poll after
// the one before started, however long the call took.
type pacer struct {
	every time.Duration
	last  time.Time
}

// nextSkew is the skew to keep after an answer whose Date stood seen from
// this machine's clock. Date has whole seconds, so one answer's reading
// is up to a second short: a skew that followed every reading would jump
// back and forth by a second, and the lab's clock with it (a test started
// at 12:00:00 recorded at 11:59:59). Only a reading more than a second
// away from the kept skew moves it: a real change (the sandbox's clock
// moved hours ahead, or this machine's corrected) always does.
func nextSkew(kept, seen time.Duration) time.Duration {
	seen = seen.Round(time.Second)
	if d := seen - kept; d > time.Second || d < -time.Second {
		return seen
	}
	return kept
}

// pacer starts a wait's pacing: its first poll starts now.
func (c *Cloud) pacer() *pacer { return &pacer{every: c.opts.Poll, last: time.Now()} }

// next returns how long until the next poll is due.
func (p *pacer) next() time.Duration { return max(0, time.Until(p.last.Add(p.every))) }

// wait sleeps until the next poll is due, then marks it started.
func (p *pacer) wait(ctx context.Context) error {
	if err := sleep(ctx, p.next()); err != nil {
		return err
	}
	p.last = time.Now()
	return nil
}

// observe is the middleware that reports each call to the Observer.
func (c *Cloud) observe(stack *middleware.Stack) error {
	stackID := stack.ID()
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ecrVpceLabObserver",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			if server, ok := awsmiddleware.GetServerTime(md); ok {
				if at, ok := awsmiddleware.GetResponseAt(md); ok {
					c.mu.Lock()
					c.skew = nextSkew(c.skew, server.Sub(at))
					c.mu.Unlock()
				}
			}
			if c.opts.Observer != nil {
				call := Call{
					Service:   strings.ToLower(awsmiddleware.GetServiceID(ctx)),
					Operation: awsmiddleware.GetOperationName(ctx),
					Start:     start, Duration: time.Since(start), Err: err,
				}
				if call.Service == "" {
					call.Service = "imds"
				}
				if call.Operation == "" {
					call.Operation = stackID
				}
				if ar, ok := retry.GetAttemptResults(md); ok && len(ar.Results) > 1 {
					call.Retries = len(ar.Results) - 1
				}
				var ae smithy.APIError
				if errors.As(err, &ae) {
					call.Code = ae.ErrorCode()
				}
				c.opts.Observer(call)
			}
			return out, md, err
		}), middleware.Before)
}

// note reports a non-SDK call (registry, DNS, docker) to the Observer.
func (c *Cloud) note(service, op string, start time.Time, err error, code string) {
	if c.opts.Observer != nil {
		c.opts.Observer(Call{Service: service, Operation: op, Start: start, Duration: time.Since(start), Err: err, Code: code})
	}
}

func isLoopbackURL(u string) bool {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	host := u
	if i := strings.IndexAny(host, "/"); i >= 0 {
		host = host[:i]
	}
	if h, _, ok := strings.Cut(host, "]:"); ok {
		host = strings.TrimPrefix(h, "[")
	} else if i := strings.LastIndex(host, ":"); i >= 0 && !strings.Contains(host[:i], ":") {
		host = host[:i]
	}
	host = strings.Trim(host, "[]")
	return host == "127.0.0.1" || host == "::1" || strings.HasPrefix(host, "127.")
}

// Identity is who the credentials belong to.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"userId"`
}

// WhoAmI calls sts:GetCallerIdentity.
func (c *Cloud) WhoAmI(ctx context.Context) (Identity, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, c.Explain(ctx, c.classify("find out who you are (sts get-caller-identity)", err))
	}
	id := Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	c.mu.Lock()
	c.account = id.Account
	c.mu.Unlock()
	c.notePartition(id.ARN)
	return id, nil
}

// Account returns the account id, asking STS the first time.
func (c *Cloud) Account(ctx context.Context) (string, error) {
	c.mu.Lock()
	a := c.account
	c.mu.Unlock()
	if a != "" {
		return a, nil
	}
	id, err := c.WhoAmI(ctx)
	return id.Account, err
}

// Explain returns err, or, when AWS refused the credentials in a region
// the account has not enabled, that explanation instead.
func (c *Cloud) Explain(ctx context.Context, err error) error {
	if problem.KindOf(err) != problem.InvalidCredentials {
		return err
	}
	if d := c.regionDisabled(ctx); d != nil {
		return d
	}
	return err
}

// regionDisabled tells a region the account has not enabled from
// credentials that are bad: AWS answers the first like the second
// (InvalidClientTokenId from STS, AuthFailure from EC2), so the same
// credentials are tried in us-east-1, which every account has. When they
// work there, the region is the problem. [research L.4]
func (c *Cloud) regionDisabled(ctx context.Context) error {
	if c.region == "us-east-1" {
		return nil
	}
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Region = "us-east-1" })
	if err != nil {
		return nil
	}
	return &problem.Error{Kind: problem.RegionDisabled, Op: "use the region " + c.region, Code: "RegionNotEnabled",
		Message: fmt.Sprintf("AWS refuses these credentials in %s but accepts them in us-east-1 (account %s): %s is an opt-in region this account has not enabled",
			c.region, aws.ToString(out.Account), c.region),
		Fix: fmt.Sprintf("enable it (console: Account → AWS Regions, or  "+c.CLI()+" account enable-region --region-name %s), wait until it shows Enabled, then run again; or pass --region with a region that is enabled", c.region)}
}

// Metadata is the Cloud's metadata service.
func (c *Cloud) Metadata() *Metadata { return c.opts.Metadata }
