package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"ecr-vpce-lab/internal/problem"
)

// Loaded is an SDK configuration and where its pieces came from.
type Loaded struct {
	Config aws.Config
	// Profile is the profile in use ("" for none named).
	Profile string
	// RegionFrom says where the region came from ("--region",
	// "AWS_REGION", "profile NAME", the instance's metadata).
	RegionFrom string
}

// LoadOptions choose how LoadConfigWith loads the configuration.
type LoadOptions struct {
	Profile, Region string
	// Metadata is the metadata service the instance role and the region
	// are read from (nil: the SDK's own client).
	Metadata *Metadata
	// MFA asks the person for the code of the MFA device serial; nil makes
	// a profile that needs one an error that says what to run instead.
	MFA func(serial string) (string, error)
	// ConfigFiles and CredentialsFiles replace the shared files (the
	// sandbox's laptop profile).
	ConfigFiles, CredentialsFiles []string
	// AllowNoRegion returns a configuration without a region instead of
	// failing (for detection, which says so itself).
	AllowNoRegion bool
	// Log is where the SDK's own warnings go (retries, checksums, clock
	// skew, credential refreshes): nil leaves the SDK's default, os.Stderr,
	// which would print over a full-screen program.
	Log io.Writer
	// ProcessStdio, when set, gives a profile's credential_process its
	// stdin and stderr at each run. The SDK gives it the terminal's: a
	// refresh while a full-screen program runs would print over it and
	// read its keys.
	ProcessStdio func() (stdin io.Reader, stderr io.Writer)
}

// LoadConfigWith loads the SDK configuration for real AWS as LoadOptions
// say: --profile and --region (else AWS_REGION, the profile's region, or
// the instance's region from IMDS).
func LoadConfigWith(ctx context.Context, o LoadOptions) (Loaded, error) {
	var opts []func(*config.LoadOptions) error
	l := Loaded{Profile: o.Profile}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	} else if p := os.Getenv("AWS_PROFILE"); p != "" {
		l.Profile = p
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if len(o.ConfigFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(o.ConfigFiles))
	}
	if len(o.CredentialsFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(o.CredentialsFiles))
	}
	if o.Metadata != nil {
		m := o.Metadata
		opts = append(opts, config.WithEC2RoleCredentialOptions(func(eo *ec2rolecreds.Options) { eo.Client = m.Client() }))
	}
	ask := o.MFA
	ep := configuredEndpoint("STS")
	opts = append(opts, config.WithAssumeRoleCredentialOptions(func(ao *stscreds.AssumeRoleOptions) {
		if ask != nil {
			serial := aws.ToString(ao.SerialNumber)
			ao.TokenProvider = func() (string, error) { return ask(serial) }
		}
		if c, ok := ao.Client.(*sts.Client); ok && ep != "" {
			ao.Client = stsAt{c: c, endpoint: ep}
		}
	}))
	opts = append(opts, config.WithRetryer(newRetryer))
	if o.Log != nil {
		// Given to the loader, not set afterwards: the credential
		// providers it builds (STS, SSO, the instance role) keep the
		// logger they were built with.
		opts = append(opts, config.WithLogger(logging.NewStandardLogger(o.Log)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return l, loadProblem(err, l.Profile)
	}
	if o.ProcessStdio != nil {
		cfg.Credentials = withProcessStdio(cfg, o.ProcessStdio)
	}
	l.Config = cfg
	switch {
	case o.Region != "":
		l.RegionFrom = "--region"
	case cfg.Region == "":
	case os.Getenv("AWS_REGION") == cfg.Region:
		l.RegionFrom = "AWS_REGION"
	case os.Getenv("AWS_DEFAULT_REGION") == cfg.Region:
		l.RegionFrom = "AWS_DEFAULT_REGION"
	default:
		l.RegionFrom = "the profile " + orDefault(l.Profile)
	}
	if cfg.Region == "" && o.Metadata != nil {
		if p := o.Metadata.Probe(ctx); p.Region != "" {
			l.Config.Region, l.RegionFrom = p.Region, "the instance's metadata (placement/region)"
		}
	}
	if l.Config.Region == "" && !o.AllowNoRegion {
		return l, problem.New(problem.Region, "find the region", "no region is set",
			"pass --region, or export AWS_REGION (the workshop uses us-west-2)")
	}
	return l, nil
}

// withProcessStdio is cfg's credentials, with a credential_process of the
// profile (when that is where they come from) run with stdio's stdin and
// stderr. Only the provider the SDK resolved directly is replaced: a
// process behind an assumed role's source_profile keeps the terminal's.
func withProcessStdio(cfg aws.Config, stdio func() (io.Reader, io.Writer)) aws.CredentialsProvider {
	c, ok := cfg.Credentials.(*aws.CredentialsCache)
	if !ok || !c.IsCredentialsProvider(&processcreds.Provider{}) {
		return cfg.Credentials
	}
	for _, s := range cfg.ConfigSources {
		if sc, ok := s.(config.SharedConfig); ok && sc.CredentialProcess != "" {
			return aws.NewCredentialsCache(processcreds.NewProviderCommand(processCommand{command: sc.CredentialProcess, stdio: stdio}))
		}
	}
	return cfg.Credentials
}

// processCommand builds a credential_process's command as the SDK does,
// with the stdin and stderr stdio gives at the time.
type processCommand struct {
	command string
	stdio   func() (io.Reader, io.Writer)
}

func (p processCommand) NewCommand(ctx context.Context) (*exec.Cmd, error) {
	cmd, err := processcreds.DefaultNewCommandBuilder{Args: []string{p.command}}.NewCommand(ctx)
	if err != nil {
		return nil, err
	}
	cmd.Stdin, cmd.Stderr = p.stdio()
	return cmd, nil
}

func orDefault(p string) string {
	if p == "" {
		return "default"
	}
	return p
}

// loadProblem explains a configuration that cannot be loaded.
func loadProblem(err error, profile string) error {
	op := "load the AWS configuration"
	var mfa config.AssumeRoleTokenProviderNotSetError
	if errors.As(err, &mfa) {
		return &problem.Error{Kind: problem.NoCredentials, Op: op, Err: err, Code: "MFARequired",
			Message: "the profile " + orDefault(profile) + " assumes a role with MFA, and there is no terminal to ask for the code",
			Fix:     MFAFix(profile)}
	}
	return &problem.Error{Kind: problem.NoCredentials, Op: op, Message: err.Error(), Err: err,
		Fix: "check ~/.aws/config and ~/.aws/credentials, or pass --profile with a profile that exists"}
}

// MFAFix is what to run when an MFA code cannot be asked for: get the
// role's credentials into the environment first (the AWS CLI prompts).
func MFAFix(profile string) string {
	return fmt.Sprintf(`run  eval "$(aws configure export-credentials --profile %s --format env)"  in this shell (it asks for the MFA code), then run ecr-vpce-lab again without --profile`, orDefault(profile))
}

// SSOFix is what to run when the SSO session has expired.
func SSOFix(profile string) string {
	p := ""
	if profile != "" {
		p = " --profile " + profile
	}
	return "sign in again with  aws sso login" + p + "  then run ecr-vpce-lab again"
}

// Prompt says that getting a profile's credentials may ask the person
// something, which must happen before a full-screen program owns the
// terminal. [research L.2]
type Prompt struct {
	// Kind is "mfa", "process" or "sso".
	Kind    string
	Profile string
	// Detail is the MFA device, the command, or the SSO start URL.
	Detail string
}

// ProfilePrompt reads the profile the SDK will use and says whether its
// credentials may ask the person something: a role_arn with mfa_serial, a
// credential_process (which gets the terminal's stdin), or SSO (whose
// expired session needs 'aws sso login'). Environment keys take precedence
// over a profile named only by AWS_PROFILE, so then there is none.
func ProfilePrompt(ctx context.Context, profile string) (*Prompt, error) {
	name := profile
	if name == "" {
		if os.Getenv("AWS_ACCESS_KEY_ID") != "" {
			return nil, nil
		}
		name = os.Getenv("AWS_PROFILE")
		if name == "" {
			name = os.Getenv("AWS_DEFAULT_PROFILE")
		}
		if name == "" {
			name = "default"
		}
	}
	sc, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
			o.ConfigFiles = []string{f}
		}
		if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
			o.CredentialsFiles = []string{f}
		}
	})
	if err != nil {
		var nf config.SharedConfigProfileNotExistError
		if errors.As(err, &nf) && profile == "" {
			return nil, nil
		}
		return nil, &problem.Error{Kind: problem.NoCredentials, Op: "read the profile " + name, Message: err.Error(), Err: err,
			Fix: "check ~/.aws/config, or pass --profile with a profile that exists"}
	}
	for p := &sc; p != nil; p = p.Source {
		switch {
		case p.RoleARN != "" && p.MFASerial != "":
			return &Prompt{Kind: "mfa", Profile: name, Detail: p.MFASerial}, nil
		case p.CredentialProcess != "":
			return &Prompt{Kind: "process", Profile: name, Detail: p.CredentialProcess}, nil
		case p.SSOSessionName != "" || p.SSOStartURL != "":
			u := p.SSOStartURL
			if p.SSOSession != nil && u == "" {
				u = p.SSOSession.SSOStartURL
			}
			return &Prompt{Kind: "sso", Profile: name, Detail: u}, nil
		}
		if p.Source == p {
			break
		}
	}
	return nil, nil
}

// configuredEndpoint is AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL,
// as the SDK reads them.
func configuredEndpoint(service string) string {
	if strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return ""
	}
	if v := os.Getenv("AWS_ENDPOINT_URL_" + service); v != "" {
		return v
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// stsAt sends a role profile's AssumeRole to the configured endpoint: the
// SDK resolves AWS_ENDPOINT_URL only after the credentials, so its
// AssumeRole client would otherwise go to AWS whatever the endpoint says.
type stsAt struct {
	c        *sts.Client
	endpoint string
}

func (s stsAt) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, fns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return s.c.AssumeRole(ctx, in, append(fns, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.endpoint) })...)
}

// InstanceRoleCredentials are the instance role's, from m.
func InstanceRoleCredentials(m *Metadata) aws.CredentialsProvider {
	return aws.NewCredentialsCache(ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = m.Client() }))
}

// ContainerCredentials are a container-credentials endpoint's (what
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
// name), over a loopback-only connection when loopbackOnly is set.
func ContainerCredentials(uri, token string, loopbackOnly bool) aws.CredentialsProvider {
	return aws.NewCredentialsCache(endpointcreds.New(uri, func(o *endpointcreds.Options) {
		o.AuthorizationToken = token
		o.HTTPClient = &http.Client{Transport: newTransport(loopbackOnly)}
	}))
}

// credentialProblem explains a failure to get credentials from the
// provider the profile names, or nil when err is not one. A failure inside
// the credentials is reported as what it is, not as the call that needed
// them: an AssumeRole AWS refused is not "lacks sts:GetCallerIdentity".
// [research L.2, L.3]
func credentialProblem(op string, err error) *problem.Error {
	var ite *ssocreds.InvalidTokenError
	if errors.As(err, &ite) || strings.Contains(err.Error(), "cached SSO token is expired") || strings.Contains(err.Error(), "refresh cached SSO token failed") {
		return &problem.Error{Kind: problem.ExpiredCredentials, Op: op, Code: "SSOSessionExpired", Err: err,
			Message: "the SSO session has expired (or was never started)", Fix: SSOFix(os.Getenv("AWS_PROFILE"))}
	}
	var pe *processcreds.ProviderError
	if errors.As(err, &pe) {
		return &problem.Error{Kind: problem.NoCredentials, Op: op, Code: "CredentialProcessFailed", Err: err,
			Message: "the profile's credential_process failed: " + cause(pe.Err),
			Fix:     "run the credential_process command of your profile by hand to see why, then run ecr-vpce-lab again"}
	}
	var mfa config.AssumeRoleTokenProviderNotSetError
	if errors.As(err, &mfa) {
		return loadProblem(err, os.Getenv("AWS_PROFILE")).(*problem.Error)
	}
	// The innermost operation error that is an AssumeRole.
	var inner *smithy.OperationError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok && oe.OperationName == "AssumeRole" {
			inner = oe
		}
	}
	if inner == nil {
		return nil
	}
	p := &problem.Error{Kind: problem.Permission, Op: "assume the profile's role (sts:AssumeRole)", Service: "STS", Operation: "AssumeRole", Err: err}
	var ae smithy.APIError
	if errors.As(inner, &ae) {
		p.Code, p.Message = ae.ErrorCode(), ae.ErrorMessage()
		if k, _ := classifyCode(p.Code); k == problem.ExpiredCredentials || k == problem.InvalidCredentials {
			p.Kind = k
		}
	} else {
		p.Message, p.Kind = cause(inner), problem.Network
	}
	switch p.Kind {
	case problem.Permission:
		p.Fix = "the role's trust policy must let your source credentials assume it, and they need sts:AssumeRole on it: check role_arn in your profile, or use another profile"
	case problem.ExpiredCredentials, problem.InvalidCredentials:
		p.Fix = "the source credentials of your profile (source_profile) are not accepted: refresh them, then run ecr-vpce-lab again"
	default:
		p.Fix = "STS could not be reached to assume the role: check the network, then run ecr-vpce-lab again"
	}
	return p
}

// CredentialsError classifies a failure to get credentials (Retrieve).
func CredentialsError(err error) error { return classify("get the credentials", err) }
