package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// labFlags are the flags every lab command shares.
type labFlags struct {
	sandbox       bool
	sandboxTiming string
	stateDir      string
	region        string
	profile       string
	output        string
	verbose       bool
	repo          string
	transcript    string
	docker        bool
}

func addLabFlags(cmd *cobra.Command, f *labFlags, transcript bool) {
	d := defaultsFromEnv()
	fl := cmd.Flags()
	fl.BoolVar(&f.sandbox, "sandbox", false, "work against the offline sandbox instead of AWS (reuses a running 'ecr-vpce-lab sandbox' for the same state directory)")
	fl.StringVar(&f.sandboxTiming, "sandbox-timing", "realistic", "endpoint timing of an in-process sandbox: "+strings.Join(sandbox.TimingNames(), " or "))
	fl.StringVar(&f.stateDir, "state-dir", "", "where the lab keeps its state (default $XDG_STATE_HOME/ecr-vpce-lab)")
	fl.StringVar(&f.region, "region", "", "the AWS region (default $AWS_REGION, the profile's, or the instance's)")
	fl.StringVar(&f.profile, "profile", "", "the AWS profile to use, from ~/.aws/config")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print every API call (with timing and retries) and the equivalent AWS CLI commands")
	fl.StringVar(&f.repo, "repo", d.repo, "the lab repository (default $ECR_REPO_A or team-a/alpine)")
	if transcript {
		fl.StringVar(&f.transcript, "transcript", "", "write the equivalent AWS CLI commands to FILE as a runnable shell script")
	}
}

// labEnv is everything a lab command works with.
type labEnv struct {
	mode        string
	cloud       *awsops.Cloud
	store       *steps.Store
	lab         *steps.Lab
	em          *steps.Emitter
	out         *printer
	transcript  *steps.Transcript
	stats       *callStats
	sandboxNote string
	closers     []func()
}

func (e *labEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// openOptions tune openLab.
type openOptions struct {
	cfg steps.Config
	// fresh ignores a damaged state file (status, down fall back to tags).
	fresh bool
	// lock takes the state directory's lock (up, test, down).
	lock bool
}

// openLab builds the Cloud (real or sandbox), the store and the Lab.
func openLab(cmd *cobra.Command, f *labFlags, o openOptions) (*labEnv, error) {
	if f.output != "text" && f.output != "json" {
		return nil, exitCode(2, "unknown --output %q: use text or json", f.output)
	}
	ctx := cmd.Context()
	env := &labEnv{mode: "aws", stats: &callStats{}}
	if f.sandbox {
		env.mode = "sandbox"
	}
	stateDir, err := resolveStateDir(f.stateDir)
	if err != nil {
		return nil, err
	}
	progress := cmd.OutOrStdout()
	if f.output == "json" {
		progress = cmd.ErrOrStderr()
	}
	env.out = newPrinter(progress, f.verbose)
	var tr *steps.Transcript
	env.em = steps.NewEmitter(func(e steps.Event) {
		if e.Kind == steps.EventCall && e.Call != nil {
			env.stats.add(*e.Call)
		}
		if tr != nil {
			tr.Observe(e)
		}
		env.out.event(e)
	})

	opts, note, closer, err := cloudOptions(ctx, f, stateDir)
	if err != nil {
		return nil, err
	}
	if closer != nil {
		env.closers = append(env.closers, closer)
	}
	if f.sandbox {
		env.sandboxNote = note
	}
	opts.Observer = env.em.Call
	if f.docker {
		p, err := lookDocker()
		if err != nil {
			env.close()
			return nil, exitCode(2, "%v", err)
		}
		opts.DockerCLI = p
	}
	cloud, err := awsops.New(opts)
	if err != nil {
		env.close()
		return nil, exitCode(1, "%s\n  fix: %s", err, problem.FixOf(err))
	}
	env.cloud = cloud
	env.store = steps.NewStore(stateDir, env.mode)
	if o.lock {
		if err := env.store.Lock(); err != nil {
			env.close()
			return nil, exitCode(1, "%v", err)
		}
		env.closers = append(env.closers, env.store.Unlock)
	}
	cfg := o.cfg
	cfg.Mode = env.mode
	cfg.Repo = f.repo
	if cfg.Account == "" {
		cfg.Account = os.Getenv("ACCOUNT_ID")
	}
	if cfg.EnvFile == "" {
		if p, err := steps.DefaultEnvFile(); err == nil {
			cfg.EnvFile = p
		}
	}
	lab, err := steps.New(cfg, cloud, env.store, env.em)
	if err != nil {
		var se *steps.StateError
		if !o.fresh || !errors.As(err, &se) {
			env.close()
			if errors.As(err, &se) {
				return nil, exitCode(1, "%v\n  fix: run 'ecr-vpce-lab down' (it finds the lab's resources by their tags), then 'up' again; or move the file away", err)
			}
			return nil, exitCode(1, "%v", err)
		}
		env.out.note("%v: using the resources' %s tags instead", err, steps.TagKey)
		lab = steps.NewFresh(cfg, cloud, env.store, env.em)
	}
	env.lab = lab
	if f.transcript != "" {
		tr = steps.NewTranscript(lab.State().EnvVars)
		env.transcript = tr
	}
	return env, nil
}

// writeTranscript writes the transcript, if one was asked for.
func (e *labEnv) writeTranscript(f *labFlags, title string) error {
	if e.transcript == nil {
		return nil
	}
	script := e.transcript.Script(title, time.Now())
	if err := os.WriteFile(f.transcript, []byte(script), 0o755); err != nil {
		return fmt.Errorf("writing the transcript: %w", err)
	}
	e.out.note("transcript: %d commands written to %s", e.transcript.Len(), f.transcript)
	return nil
}

// resolveStateDir is --state-dir, or the default under $XDG_STATE_HOME.
func resolveStateDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	d, err := steps.DefaultStateDir()
	if err != nil {
		return "", exitCode(2, "%v", err)
	}
	return d, nil
}

// cloudOptions returns the Cloud's settings for the sandbox or for AWS, a
// note saying where the lab runs, and what to release afterwards. The
// headless commands and the wizard both build their Cloud from it.
func cloudOptions(ctx context.Context, f *labFlags, stateDir string) (awsops.Options, string, func(), error) {
	if f.sandbox {
		return sandboxOptions(ctx, stateDir, f)
	}
	cfg, err := awsops.LoadConfig(ctx, f.profile, f.region)
	if err != nil {
		return awsops.Options{}, "", nil, exitCode(1, "%s\n  fix: %s", err, problem.FixOf(err))
	}
	return awsops.Options{Config: cfg}, "AWS " + cfg.Region, nil, nil
}

// sandboxOptions returns the Cloud overrides for the sandbox of stateDir:
// a running `ecr-vpce-lab sandbox` when one serves that world (its exports
// in the environment say where), else one started in this process.
func sandboxOptions(ctx context.Context, stateDir string, f *labFlags) (awsops.Options, string, func(), error) {
	timing, err := sandbox.TimingByName(f.sandboxTiming)
	if err != nil {
		return awsops.Options{}, "", nil, exitCode(2, "--sandbox-timing: %v", err)
	}
	dir := filepath.Join(stateDir, "sandbox")
	region := f.region
	sb, err := sandbox.Start(ctx, sandbox.Options{StateDir: dir, Region: region, Timing: timing})
	if err != nil {
		var le *sandbox.LockedError
		if errors.As(err, &le) {
			// The sandbox serving this world announces itself in it.
			if env, pid, rerr := sandbox.Running(dir); rerr == nil {
				opts := optionsFromEnv(func(name string) string { return envValue(env, name) })
				return opts, fmt.Sprintf("sandbox: using the running sandbox (process %d) at %s", pid, opts.BaseEndpoint), nil, nil
			}
			opts, ok := runningSandbox()
			if !ok {
				return awsops.Options{}, "", nil, exitCode(1, "%v\n  fix: in this shell, export the lines that 'ecr-vpce-lab sandbox' printed "+
					"(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), or stop it, or pass another --state-dir", err)
			}
			return opts, fmt.Sprintf("sandbox: using the running sandbox (process %d) at %s", le.PID, opts.BaseEndpoint), nil, nil
		}
		return awsops.Options{}, "", nil, exitCode(1, "starting the sandbox: %v", err)
	}
	cr := sb.Credentials()
	opts := awsops.Options{
		Config:       awsops.StaticConfig(sb.Region(), cr.AccessKeyID, cr.SecretAccessKey),
		BaseEndpoint: sb.Endpoint(), IMDSEndpoint: sb.IMDSEndpoint(), LoopbackOnly: true,
	}
	applySandboxExtras(sb, &opts)
	if timing == sandbox.Instant {
		opts.PollMin, opts.PollMax = 5*time.Millisecond, 50*time.Millisecond
	}
	return opts, "sandbox: serving the world in " + dir + " in this process", func() { _ = sb.Close() }, nil
}

// runningSandbox reads a running sandbox's addresses from the exports it
// printed, when they are in the environment and point at 127.0.0.1.
func runningSandbox() (awsops.Options, bool) {
	ep := os.Getenv("AWS_ENDPOINT_URL")
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	region := os.Getenv("AWS_REGION")
	if ep == "" || key == "" || secret == "" || region == "" {
		return awsops.Options{}, false
	}
	if !strings.HasPrefix(ep, "http://127.0.0.1:") {
		return awsops.Options{}, false
	}
	return optionsFromEnv(os.Getenv), true
}

// optionsFromEnv builds the Cloud overrides from a sandbox's export lines.
func optionsFromEnv(get func(string) string) awsops.Options {
	return awsops.Options{
		Config:       awsops.StaticConfig(get("AWS_REGION"), get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")),
		BaseEndpoint: get("AWS_ENDPOINT_URL"), IMDSEndpoint: get("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
		RegistryAddr: get("ECR_REGISTRY"), DNSServer: get("LAB_DNS_SERVER"),
		LoopbackOnly: true,
	}
}

func envValue(env []sandbox.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// applySandboxExtras points the registry and DNS at the sandbox's, from the
// exports it documents (ECR_REGISTRY, LAB_DNS_SERVER).
func applySandboxExtras(sb *sandbox.Sandbox, o *awsops.Options) {
	for _, e := range sb.Env() {
		switch e.Name {
		case "ECR_REGISTRY":
			o.RegistryAddr = e.Value
		case "LAB_DNS_SERVER":
			o.DNSServer = e.Value
		}
	}
}

func lookDocker() (string, error) {
	p, err := exec.LookPath("docker")
	if err != nil {
		return "", fmt.Errorf("--docker needs the docker CLI on PATH; leave --docker out to push and pull in-process")
	}
	return p, nil
}
