package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// place is how the lab meets the machine it runs on: what detection looks
// at (the signals), the metadata service, and the SDK configuration with
// its credentials. On AWS they are this machine's; on the sandbox they are
// the world's, so a world is detected exactly as a real place would be.
type place struct {
	signals awsops.Signals
	meta    *awsops.Metadata
	loaded  awsops.Loaded
	loadErr error
	// exports looks up a sandbox's exports (nil on AWS): its other
	// vantage points come from them.
	exports func(string) string
}

// hostPlace is this machine's: its environment and interfaces, the
// metadata service at its usual address, and the SDK's default chain
// (credentials resolved before a full-screen program started, when they
// had to be, are reused).
func hostPlace(ctx context.Context, f *labFlags) place {
	if f.pre != nil {
		return *f.pre
	}
	m := awsops.NewMetadata(awsops.MetadataOptions{})
	l, err := awsops.LoadConfigWith(ctx, awsops.LoadOptions{Profile: f.profile, Region: f.region, Metadata: m, AllowNoRegion: true, Log: f.messages(), ProcessStdio: f.msgs.processStdio})
	return place{signals: awsops.HostSignals(), meta: m, loaded: l, loadErr: err}
}

// viewPlace is a sandbox world's place, seen from its workspace.
func viewPlace(ctx context.Context, v sandbox.View, region string, log io.Writer) (place, error) {
	m := awsops.NewMetadata(awsops.MetadataOptions{Endpoint: v.IMDSEndpoint, Absent: v.IMDSEndpoint == "", LoopbackOnly: true})
	pl := place{meta: m, signals: awsops.Signals{
		Getenv:            v.Getenv,
		Links:             func(context.Context) []string { return v.Links },
		Addrs:             func() []string { return v.Addrs },
		ContainerEvidence: func() string { return v.ContainerEvidence },
	}}
	cfg := awsops.StaticConfig(region, "", "")
	switch v.Credentials {
	case sandbox.CredentialsContainer:
		cfg.Credentials = awsops.ContainerCredentials(v.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), v.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"), true)
	case sandbox.CredentialsProfile:
		if v.Profile == nil {
			return pl, fmt.Errorf("the laptop world has no profile")
		}
		l, err := awsops.LoadConfigWith(ctx, awsops.LoadOptions{Profile: v.Profile.Name, Region: region,
			ConfigFiles: []string{v.Profile.ConfigFile}, CredentialsFiles: []string{v.Profile.CredentialsFile}, Metadata: m, Log: log})
		if err != nil {
			return pl, err
		}
		cfg.Credentials = l.Config.Credentials
	default:
		cfg.Credentials = awsops.InstanceRoleCredentials(m)
	}
	pl.loaded = awsops.Loaded{Config: cfg, RegionFrom: "the sandbox world"}
	return pl, nil
}

// keysPlace is the place of a sandbox reached through the exports in this
// shell (its world unknown): those keys, that metadata service, this
// shell's variables.
func keysPlace(o awsops.Options, get func(string) string) place {
	m := awsops.NewMetadata(awsops.MetadataOptions{Endpoint: o.IMDSEndpoint, Absent: o.IMDSEndpoint == "", LoopbackOnly: true})
	return place{meta: m, signals: awsops.Signals{Getenv: get}, loaded: awsops.Loaded{Config: o.Config, RegionFrom: "the sandbox's exports"}}
}

// detect finds where the lab runs, and refuses to go on without
// credentials or a region, saying why and what to do.
func (e *labEnv) detect(ctx context.Context, pl place, o *awsops.Options) error {
	e.place = awsops.Detect(ctx, awsops.DetectInput{Loaded: pl.loaded, LoadErr: pl.loadErr, Metadata: pl.meta, Signals: pl.signals, Endpoint: o.BaseEndpoint})
	o.Config = pl.loaded.Config
	o.Metadata = pl.meta
	if !e.place.Credentials || e.place.Region == "" {
		msg := e.place.Problem
		if msg == "" {
			msg = "no credentials or no region"
		}
		return withFix(exitCode(1, "%s", strings.TrimSuffix(msg, ".")), e.place.Fix)
	}
	o.Config.Region = e.place.Region
	return nil
}

// locate asks EC2 what detection could not see (CloudShell's interface).
// A failure is a note, not a stop: discovery then says what to choose.
func (e *labEnv) locate(ctx context.Context, pl place) {
	if err := e.cloud.Locate(ctx, &e.place, pl.signals); err != nil {
		e.place.Notes = append(e.place.Notes, "could not look for this CloudShell environment's network interface: "+err.Error())
	}
}

// printPlace prints where the lab runs and why, the credentials and the
// region, and what is worth knowing (the headless commands' first lines).
func (p *printer) printPlace(env awsops.Environment, sandboxed bool) {
	p.note("here: %s", env.Sentence())
	region := env.Region
	if env.RegionFrom != "" {
		region += " (from " + env.RegionFrom + ")"
	}
	p.note("credentials: %s; region %s; found in %s", env.Identity(), region, seconds(env.Elapsed))
	for _, n := range env.Notes {
		p.line(cliStyles.warn.Render("  ! ") + n)
	}
	if env.Problem != "" {
		p.line(cliStyles.warn.Render("  ! ") + env.Problem + cliStyles.faint.Render(" (fix: "+env.Fix+")"))
	}
	if r := env.CannotProve(); r != "" {
		see := "the sandbox (--sandbox) shows them"
		if sandboxed {
			see = "a world inside the VPC (--world cloud9, vscode-ec2, container or cloudshell-vpc) shows them"
		}
		p.line(cliStyles.warn.Render("  ! ") + r + " They are skipped (not passed); " + see + ".")
	}
}

// recoverMode says what a command does with several runs found by tags.
type recoverMode int

const (
	// recoverAsk asks which on a terminal, else wants --run.
	recoverAsk recoverMode = iota
	// recoverList only lists them (status).
	recoverList
)

// recoverRun carries on with a run whose state file is gone (a CloudShell
// home wiped after idling, a deleted file): found by its tags in the
// region, in the workspace's VPC when several runs are there. One run is
// taken, saying so; several are listed and one is asked for, or --run.
func (e *labEnv) recoverRun(ctx context.Context, f *labFlags, mode recoverMode, in io.Reader, out io.Writer, terminal bool) error {
	if e.lab.Resumed() {
		if f.run != "" && e.lab.State().RunID != f.run {
			return exitCode(2, "--run %s: the state file here is run %s; leave --run out, or run 'down' for it first", f.run, e.lab.State().RunID)
		}
		return nil
	}
	runs, err := e.lab.FindRuns(ctx, "")
	if err != nil {
		err = e.cloud.Explain(ctx, err)
		return withFix(exitCode(1, "looking for the lab's runs by their tags: %v", err), problem.FixOf(err))
	}
	if f.run != "" {
		for _, r := range runs {
			if r.RunID == f.run {
				return e.adopt(ctx, r, mode)
			}
		}
		fix := runList(runs, time.Now())
		if len(runs) == 0 {
			fix = fmt.Sprintf("no run of the lab is tagged in %s at all: check the region, or leave --run out", e.cloud.Region())
		}
		return withFix(exitCode(1, "--run %s: no resource tagged %s=%s in %s", f.run, steps.TagKey, f.run, e.cloud.Region()), fix)
	}
	if len(runs) > 1 {
		if vpc := e.workspaceVPC(ctx); vpc != "" {
			var here []steps.RunSummary
			for _, r := range runs {
				if r.VpcID == vpc {
					here = append(here, r)
				}
			}
			runs = here
		}
	}
	switch {
	case len(runs) == 0:
		return nil
	case len(runs) == 1:
		return e.adopt(ctx, runs[0], mode)
	case mode == recoverList:
		e.runs = runs
		return nil
	case !terminal:
		choice := &steps.RunChoiceError{Region: e.cloud.Region(), Runs: runs}
		return withFix(&exitError{code: 2, msg: choice.Error(), cause: choice}, runList(runs, time.Now()))
	}
	fmt.Fprintf(out, "There is no state file here, and %d runs of the lab were found by their tags:\n", len(runs))
	for i, r := range runs {
		fmt.Fprintf(out, "  %d) %s\n", i+1, r.Describe(time.Now()))
	}
	fmt.Fprintf(out, "Which one? [1-%d, or Enter for none] ", len(runs))
	in, done := interruptibleInput(ctx, in)
	line, _ := bufio.NewReader(in).ReadString('\n')
	done()
	if ctx.Err() != nil {
		fmt.Fprintln(out)
		return exitCode(130, "stopped at the question: no run chosen, nothing changed")
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return exitCode(1, "no run chosen: pass --run ID to choose one ('%s' removes them all)", f.next("down --all"))
	}
	for i, r := range runs {
		if line == fmt.Sprint(i+1) || line == r.RunID {
			return e.adopt(ctx, r, mode)
		}
	}
	return exitCode(2, "%q is none of them: pass --run ID", line)
}

// adopt makes run the lab's run.
func (e *labEnv) adopt(ctx context.Context, r steps.RunSummary, mode recoverMode) error {
	if err := e.lab.Recover(ctx, r, mode != recoverList); err != nil {
		return withFix(exitCode(1, "rebuilding run %s from its resources: %v", r.RunID, err), problem.FixOf(err))
	}
	e.recovered = true
	return nil
}

// workspaceVPC is the VPC of the workspace as far as it is known without
// running discovery's steps: CloudShell's interface, or the metadata
// service.
func (e *labEnv) workspaceVPC(ctx context.Context) string {
	if w := e.place.Workspace; w != nil {
		return w.VpcID
	}
	if e.place.IMDS.Readable() {
		if ws, err := e.cloud.DiscoverIMDS(ctx); err == nil {
			return ws.VpcID
		}
	}
	return ""
}

func runList(runs []steps.RunSummary, now time.Time) string {
	var b strings.Builder
	b.WriteString("runs found by their tags:")
	for _, r := range runs {
		b.WriteString("\n  " + r.Describe(now))
	}
	return b.String()
}

// prepareHost resolves this machine's credentials now when getting them may
// ask the person something (an MFA code, a credential_process that
// prompts, an SSO sign-in), before a full-screen program owns the
// terminal; without a terminal it refuses with the command to run first.
// Credentials that ask nothing are left to detection. [research L.2]
func prepareHost(ctx context.Context, f *labFlags, in io.Reader, out io.Writer) error {
	if f.sandbox || f.pre != nil {
		return nil
	}
	prompt, err := awsops.ProfilePrompt(ctx, f.profile)
	if err != nil {
		return withFix(exitCode(1, "%v", err), problem.FixOf(err))
	}
	if prompt == nil {
		return nil
	}
	terminal := isTerminal(in)
	m := awsops.NewMetadata(awsops.MetadataOptions{})
	lo := awsops.LoadOptions{Profile: f.profile, Region: f.region, Metadata: m, AllowNoRegion: true, Log: f.messages(), ProcessStdio: f.msgs.processStdio}
	var armed atomic.Bool
	armed.Store(true)
	// The MFA code and the SSO question are read so that Ctrl-C ends them.
	stdin, done := interruptibleInput(ctx, in)
	defer done()
	rd := bufio.NewReader(stdin)
	switch prompt.Kind {
	case "mfa":
		if !terminal {
			return withFix(exitCode(2, "the profile %s assumes a role with MFA (%s), and there is no terminal to ask for the code", prompt.Profile, prompt.Detail),
				awsops.MFAFix(prompt.Profile))
		}
		lo.MFA = func(serial string) (string, error) {
			if !armed.Load() {
				return "", fmt.Errorf("the role's session ended and needs a new MFA code: quit, and run ecr-vpce-lab again")
			}
			fmt.Fprintf(out, "MFA code for %s (profile %s): ", serial, prompt.Profile)
			line, err := rd.ReadString('\n')
			return strings.TrimSpace(line), err
		}
	case "process":
		if terminal {
			fmt.Fprintf(out, "Getting credentials from the credential_process of profile %s (%s); it may ask you something.\n", prompt.Profile, prompt.Detail)
		}
	}
	l, err := awsops.LoadConfigWith(ctx, lo)
	if err == nil && l.Config.Credentials != nil {
		_, rerr := l.Config.Credentials.Retrieve(ctx)
		if rerr != nil && prompt.Kind == "sso" {
			if ok := ssoLogin(ctx, prompt.Profile, terminal, rd, out); ok {
				l, err = awsops.LoadConfigWith(ctx, lo)
				if err == nil {
					_, rerr = l.Config.Credentials.Retrieve(ctx)
				}
			}
		}
		if err == nil && rerr != nil {
			cerr := awsops.CredentialsError(rerr)
			fix := problem.FixOf(cerr)
			if prompt.Kind == "sso" {
				fix = awsops.SSOFix(prompt.Profile)
			}
			return withFix(exitCode(1, "%v", cerr), fix)
		}
	}
	armed.Store(false)
	f.pre = &place{signals: awsops.HostSignals(), meta: m, loaded: l, loadErr: err}
	return nil
}

// ssoLogin offers to run 'aws sso login' (the device flow, in the
// terminal) when the SSO session has expired; it reports whether it ran
// and succeeded.
func ssoLogin(ctx context.Context, profile string, terminal bool, in *bufio.Reader, out io.Writer) bool {
	awsCLI, err := exec.LookPath("aws")
	if !terminal || err != nil {
		return false
	}
	fmt.Fprintf(out, "The SSO session of profile %s has expired. Run 'aws sso login --profile %s' now? [Y/n] ", profile, profile)
	line, _ := in.ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "" && a != "y" && a != "yes" {
		return false
	}
	cmd := exec.CommandContext(ctx, awsCLI, "sso", "login", "--profile", profile)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, out, out
	return cmd.Run() == nil
}
