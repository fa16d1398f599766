package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/atomicfile"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/internal/sandboxlab"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
	"ecr-vpce-lab/steps"
)

// labEnv is the lab as a command works with it.
type labEnv struct {
	mode  string
	where string // what the lab runs against, in a sentence
	cloud *awsops.Cloud
	store *steps.Store
	lab   *steps.Lab
	stats *callStats
	// transcript records the AWS CLI equivalents when --transcript is set;
	// transcriptOut is the file they go to.
	transcript    *steps.Transcript
	transcriptOut *transcriptFile
	// out prints the headless commands' progress (nil in the wizard).
	out     *printer
	closers []func()
	// place is where the lab runs (detected, then located).
	place awsops.Environment
	// cliNote, on the sandbox, says what the aws commands the lab names
	// need to work (sandboxCLINote).
	cliNote string
	// recovered: the run was found by its tags; runs are the runs found
	// when there were several and none was chosen (status lists them).
	recovered bool
	runs      []steps.RunSummary
}

func (e *labEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// onDamagedState says what opening does with a state file that exists but
// cannot be read.
type onDamagedState int

const (
	// refuseDamaged stops with the way out: up and test would otherwise
	// start a second run beside the one the file described.
	refuseDamaged onDamagedState = iota
	// tagsIfDamaged starts without the file and says so: status, down and
	// the wizard find the lost run's resources by their tags (the wizard's
	// preflight then stops before creating anything beside them).
	tagsIfDamaged
)

// openOptions say what a command needs beyond its flags.
type openOptions struct {
	cfg steps.Config
	// sink receives the engine's events (the printer, or the wizard).
	sink func(steps.Event)
	// lock takes the state directory's lock (every command that changes
	// the lab).
	lock    bool
	damaged onDamagedState
	// writesEnv checks ~/.ecr_security before anything starts (commands
	// that create resources write their IDs there).
	writesEnv bool
	// transcript, when set, continues this transcript instead of starting
	// one (the wizard keeps one across reconnections).
	transcript *steps.Transcript
	// recover finds the run by its tags when the state file is gone, in
	// this mode; in and ask are where to ask which of several (nil: the
	// terminal is not ours to ask on).
	recover     bool
	recoverMode recoverMode
	in          io.Reader
	ask         io.Writer
	// onPlace hears where the lab runs, once known, and note what the lab
	// runs against (the headless commands print both).
	onPlace func(awsops.Environment)
	note    func(string)
	// cliNote hears, on the sandbox, what the aws commands the lab names
	// need (sandboxCLINote), before anything is printed that names one.
	cliNote func(string)
	// elsewhere gives the lab the sandbox's other vantage points (a
	// machine outside the VPC, another account's role) for the
	// challenges' live checks.
	elsewhere bool
}

// openLab builds the lab for every command, the wizard's included: the
// Cloud (AWS, a sandbox started here, or the one already serving the state
// directory), the event sink, the state store and its lock, and the Lab
// itself. close releases what it holds.
func openLab(ctx context.Context, f *labFlags, o openOptions) (*labEnv, error) {
	env := &labEnv{mode: "aws", stats: &callStats{}}
	if f.sandbox {
		env.mode = "sandbox"
	}
	stateDir, err := resolveStateDir(f.stateDir)
	if err != nil {
		return nil, err
	}
	var tr *steps.Transcript
	sink := o.sink
	em := steps.NewEmitter(func(e steps.Event) {
		if e.Kind == steps.EventCall && e.Call != nil {
			env.stats.add(*e.Call)
		}
		if tr != nil {
			tr.Observe(e)
		}
		if sink != nil {
			sink(e)
		}
	})
	// The lock and the state file's format come before the sandbox and
	// before any call to AWS: racing commands all get the lock's message,
	// and a newer release's state file is refused before anything starts.
	env.store = steps.NewStore(stateDir, env.mode)
	if o.lock {
		if err := env.store.Lock(); err != nil {
			return nil, exitCode(1, "%v", err)
		}
		env.closers = append(env.closers, env.store.Unlock)
	}
	saved, err := env.store.Load()
	if err != nil {
		var ne *steps.NewerStateError
		if errors.As(err, &ne) {
			env.close()
			return nil, exitCode(1, "%v", err)
		}
	}
	cfg := o.cfg
	if cfg.EnvFile == "" {
		if p, err := steps.DefaultEnvFile(); err == nil {
			cfg.EnvFile = p
		}
	}
	if o.writesEnv {
		// A pipe there would block the first save, after the security
		// group is created: refuse it before anything is.
		if err := (steps.EnvFile{Path: cfg.EnvFile}).Check(); err != nil {
			env.close()
			fix := ""
			var ee *steps.EnvFileError
			if errors.As(err, &ee) {
				fix = ee.Fix()
			}
			// A path refused before anything is sent: exit 2.
			return nil, withFix(exitCode(2, "%v", err), fix)
		}
	}
	opts, pl, where, closer, err := cloudOptions(ctx, f, stateDir)
	if closer != nil {
		env.closers = append(env.closers, closer)
	}
	if err != nil {
		env.close()
		return nil, err
	}
	env.where = where
	if f.sandbox && o.note != nil {
		o.note(where)
	}
	if f.sandbox {
		env.cliNote = sandboxCLINote(f, closer != nil)
		if o.cliNote != nil {
			o.cliNote(env.cliNote)
		}
	}
	if err := env.detect(ctx, pl, &opts); err != nil {
		env.close()
		return nil, err
	}
	if !f.sandbox {
		env.where = "AWS " + opts.Config.Region
	}
	opts.Observer = em.Call
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
		return nil, withFix(exitCode(1, "%s", err), problem.FixOf(err))
	}
	env.cloud = cloud
	if err := env.runIsHere(ctx, saved); err != nil {
		env.close()
		return nil, err
	}
	env.locate(ctx, pl)
	if o.onPlace != nil {
		o.onPlace(env.place)
	}
	if o.elsewhere && pl.exports != nil {
		if cfg.Elsewhere, err = elsewhereClouds(pl.exports); err != nil {
			env.close()
			return nil, exitCode(1, "%v", err)
		}
	}
	cfg.Mode = env.mode
	cfg.Repo = f.repo
	// The lab's fixes name its commands with the flags that chose it: on
	// the sandbox, a bare 'ecr-vpce-lab up' would open a lab on AWS.
	cfg.Again = f.again()
	if cfg.Account == "" {
		cfg.Account = os.Getenv("ACCOUNT_ID")
	}
	lab, err := steps.New(cfg, cloud, env.store, em)
	if err != nil {
		var se *steps.StateError
		var ne *steps.NewerStateError
		if !errors.As(err, &se) || errors.As(err, &ne) {
			env.close()
			return nil, exitCode(1, "%v", err)
		}
		if o.damaged == refuseDamaged {
			env.close()
			return nil, withFix(exitCode(1, "%v", err), "run '"+f.next("down")+"' (it finds the lab's resources by their tags), then 'up' again; or move the file away")
		}
		em.Emit(steps.Event{Kind: steps.EventDetail, Step: steps.StepPreflight,
			Message: fmt.Sprintf("%v: using the resources' %s tags instead", err, steps.TagKey)})
		lab = steps.NewFresh(cfg, cloud, env.store, em)
	}
	env.lab = lab
	lab.SetEnvironment(env.place)
	if o.recover {
		terminal := o.in != nil && isTerminal(o.in)
		if err := env.recoverRun(ctx, f, o.recoverMode, o.in, o.ask, terminal); err != nil {
			env.close()
			return nil, err
		}
	}
	if o.lock {
		// A new run that created nothing leaves no state file: one would
		// hide an earlier run's resources from 'down', which finds them
		// through ~/.ecr_security and their tags when there is no file.
		resumed := lab.Resumed() // a save makes it true
		env.closers = append(env.closers, func() {
			if !resumed && !lab.State().HasResources() {
				_ = env.store.Remove()
			}
		})
	}
	switch {
	case o.transcript != nil:
		tr = o.transcript
	case f.transcript != "":
		tr = steps.NewTranscript(lab.State().EnvVars)
	}
	env.transcript = tr
	return env, nil
}

// runIsHere refuses a saved run that is not where the credentials (or the
// sandbox's world) are: another account's, or on the sandbox another
// region's. Opened there, every resource of it looks gone: status says so,
// and down says nothing is left and deletes the state file, while the run
// bills on in its own account.
func (e *labEnv) runIsHere(ctx context.Context, saved steps.State) error {
	if !saved.HasResources() {
		return nil
	}
	path := e.store.Path()
	const otherWorld = "its resources are not in this world: pass the --state-dir of the world it ran in, or move the state file away"
	if e.mode == "sandbox" && saved.Region != "" && saved.Region != e.cloud.Region() {
		return withFix(exitCode(1, "the state file %s is of run %s in %s, but the sandbox's world here is in %s", path, saved.RunID, saved.Region, e.cloud.Region()), otherWorld)
	}
	if saved.Account == "" {
		return nil
	}
	account, err := e.cloud.Account(ctx)
	if err != nil {
		return withFix(exitCode(1, "%v", err), problem.FixOf(err))
	}
	if account == saved.Account {
		return nil
	}
	msg := fmt.Sprintf("the state file %s is of run %s in account %s, but these credentials are of account %s", path, saved.RunID, saved.Account, account)
	if e.mode == "sandbox" {
		return withFix(exitCode(1, "%s", msg+" (the sandbox's world here)"), otherWorld)
	}
	return withFix(exitCode(1, "%s", msg), fmt.Sprintf("use credentials of account %s (--profile, AWS_PROFILE) to carry on with that run or remove it; for a run in account %s, pass another --state-dir", saved.Account, account))
}

// openHeadless opens the lab for a headless command, its progress printed
// as lines: on standard output, or standard error when the output is JSON.
func openHeadless(cmd *cobra.Command, f *labFlags, o openOptions) (*labEnv, error) {
	if err := checkLabFlags(f); err != nil {
		return nil, err
	}
	tf, err := openTranscript(f.transcript)
	if err != nil {
		return nil, err
	}
	progress := cmd.OutOrStdout()
	if f.output == "json" {
		progress = cmd.ErrOrStderr()
	}
	if err := prepareHost(cmd.Context(), f, cmd.InOrStdin(), cmd.ErrOrStderr()); err != nil {
		return nil, err
	}
	out := newPrinter(progress, f.verbose)
	o.sink = out.event
	o.onPlace = func(e awsops.Environment) { out.printPlace(e, f.sandbox) }
	o.note = func(s string) { out.note("%s", s) }
	o.cliNote = out.setCLINote
	if o.recover {
		o.in, o.ask = cmd.InOrStdin(), cmd.ErrOrStderr()
	}
	env, err := openLab(cmd.Context(), f, o)
	if err != nil {
		tf.close()
		// A fix the error handler prints (the hop limit's, say) may name
		// an aws command too.
		var ee *exitError
		if errors.As(err, &ee) {
			out.noteCLIIn(ee.fix)
		}
		return nil, err
	}
	env.out = out
	env.transcriptOut = tf
	env.closers = append(env.closers, tf.close)
	return env, nil
}

// writeTranscript writes the transcript, if one was asked for.
func (e *labEnv) writeTranscript(title string) error {
	note, err := e.transcriptOut.write(e.transcript, title)
	if note != "" && e.out != nil {
		e.out.note("%s", note)
	}
	return err
}

// checkLabFlags checks the flags every lab command shares, before anything
// starts: a repository name ECR would refuse, a region that is not one, an
// unknown timing, world or output format, the sandbox's flags without
// --sandbox stop the command with exit 2.
func checkLabFlags(f *labFlags) error {
	if err := policy.ValidateRepository(f.repo); err != nil {
		return exitCode(2, "--repo: %v", err)
	}
	if f.region != "" {
		if err := policy.ValidateRegion(f.region); err != nil {
			return exitCode(2, "--region: %v", err)
		}
	}
	if _, err := sandbox.TimingByName(f.sandboxTiming); err != nil {
		return exitCode(2, "--sandbox-timing: %v", err)
	}
	if f.wf.world != "" {
		if _, err := sandbox.WorldByName(f.wf.world); err != nil {
			return exitCode(2, "--world: %v", err)
		}
	}
	if !f.sandbox && f.wf != (worldFlags{}) {
		return errSandboxOnly()
	}
	return nil
}

// errSandboxOnly refuses the sandbox's flags on a command run against AWS.
func errSandboxOnly() error {
	return exitCode(2, "--world and the --fault-* flags shape the sandbox: add --sandbox")
}

// resolveStateDir is --state-dir, or the default under $XDG_STATE_HOME,
// made if missing. A path that is a file, or a directory this user cannot
// write to, is refused here with exit 2: later, it would fail as a bare
// mkdir or open error, after the sandbox or AWS had been reached.
func resolveStateDir(flag string) (string, error) {
	d := flag
	if d == "" {
		var err error
		if d, err = steps.DefaultStateDir(); err != nil {
			return "", exitCode(2, "%v", err)
		}
	}
	if err := writableDir(d); err != nil {
		name := "--state-dir " + d
		if flag == "" {
			name = "the state directory " + d + " (the default)"
		}
		return "", withFix(exitCode(2, "%s: %v", name, err), "give --state-dir a directory you can write to (it is made if missing)")
	}
	return d, nil
}

// writableDir makes dir if missing and checks that a file can be created
// in it.
func writableDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("it is a file, not a directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("it cannot be made: %w", errors.Unwrap(err))
	}
	if err := atomicfile.CanCreate(dir, "write-check"); err != nil {
		return fmt.Errorf("nothing can be written in it: %w", errors.Unwrap(err))
	}
	return nil
}

// worldDir is where the sandbox of the state directory keeps its world:
// its sandbox folder, or the directory itself when it holds a world, as
// 'ecr-vpce-lab sandbox --state-dir DIR' left it before --state-dir meant
// one directory for every command. The lab's commands and the sandbox
// command both go through here, so they always meet in the same world.
func worldDir(stateDir string) string {
	if sandbox.HoldsWorld(stateDir) {
		return stateDir
	}
	return filepath.Join(stateDir, "sandbox")
}

// cloudOptions returns the Cloud's settings for the sandbox or for AWS, a
// note saying where the lab runs, and what to release afterwards. The
// headless commands and the wizard both build their Cloud from it.
func cloudOptions(ctx context.Context, f *labFlags, stateDir string) (awsops.Options, place, string, func(), error) {
	if f.sandbox {
		return sandboxOptions(ctx, stateDir, f)
	}
	if f.wf != (worldFlags{}) {
		return awsops.Options{}, place{}, "", nil, errSandboxOnly()
	}
	return awsops.Options{}, hostPlace(ctx, f), "AWS", nil, nil
}

// fastPoll is the cadence of waits on a sandbox started in this process
// with the instant timing.
const fastPoll = 5 * time.Millisecond

// sandboxOptions returns the Cloud overrides for the sandbox of stateDir:
// a running `ecr-vpce-lab sandbox` when one serves that world (its exports
// in the environment say where), else one started in this process.
func sandboxOptions(ctx context.Context, stateDir string, f *labFlags) (awsops.Options, place, string, func(), error) {
	timing, err := sandbox.TimingByName(f.sandboxTiming)
	if err != nil {
		return awsops.Options{}, place{}, "", nil, exitCode(2, "--sandbox-timing: %v", err)
	}
	dir := worldDir(stateDir)
	region := f.region
	so := inProcessSandbox(f, dir, timing)
	if err := f.wf.apply(&so); err != nil {
		return awsops.Options{}, place{}, "", nil, err
	}
	sb, err := sandbox.Start(ctx, so)
	if err != nil {
		var le *sandbox.LockedError
		if errors.As(err, &le) {
			// The sandbox serving this world announces itself in it.
			if env, pid, rerr := sandbox.Running(dir); rerr == nil {
				opts := sandboxlab.FromExports(env)
				v, verr := sandbox.RunningView(dir)
				if verr != nil {
					return awsops.Options{}, place{}, "", nil, exitCode(1, "reading the running sandbox's world: %v", verr)
				}
				if f.wf.world != "" && f.wf.world != v.World {
					return awsops.Options{}, place{}, "", nil, exitCode(2, "--world %s: the running sandbox (process %d) plays %s; stop it to play another world", f.wf.world, pid, v.World)
				}
				if region != "" && region != opts.Config.Region {
					return awsops.Options{}, place{}, "", nil, withFix(exitCode(2, "--region %s: the running sandbox (process %d) serves the world in %s, in %s", region, pid, dir, opts.Config.Region),
						fmt.Sprintf("leave --region out to use it, or pass another --state-dir for a world in %s", region))
				}
				pl, perr := viewPlace(ctx, v, opts.Config.Region, f.messages())
				if perr != nil {
					return awsops.Options{}, place{}, "", nil, exitCode(1, "%v", perr)
				}
				pl.exports = sandboxlab.Lookup(env)
				return opts, pl, fmt.Sprintf("sandbox: using the running sandbox (process %d) at %s (world %s)", pid, opts.BaseEndpoint, v.World), nil, nil
			}
			opts, ok := runningSandbox()
			if !ok {
				return awsops.Options{}, place{}, "", nil, withFix(exitCode(1, "%v", err), "in this shell, export the lines that 'ecr-vpce-lab sandbox' printed "+
					"(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), or stop it, or pass another --state-dir")
			}
			pl := keysPlace(opts, os.Getenv)
			pl.exports = os.Getenv
			return opts, pl, fmt.Sprintf("sandbox: using the running sandbox (process %d) at %s", le.PID, opts.BaseEndpoint), nil, nil
		}
		var wm *sandbox.WorldMismatchError
		if errors.As(err, &wm) {
			return awsops.Options{}, place{}, "", nil, worldMismatch(wm)
		}
		var uw *sandbox.UnreadableWorldError
		if errors.As(err, &uw) {
			return awsops.Options{}, place{}, "", nil, withFix(exitCode(1, "%s", uw.Problem),
				fmt.Sprintf("'ecr-vpce-lab sandbox --reset --state-dir %s' starts a fresh world in its place (Ctrl-C once it serves), or pass another --state-dir",
					awsops.ShellQuote(stateDir)))
		}
		return awsops.Options{}, place{}, "", nil, exitCode(1, "starting the sandbox: %v", err)
	}
	closer := func() { _ = sb.Close() }
	opts := sandboxlab.FromExports(sb.Env())
	if so.Timing == sandbox.Instant {
		// Nothing in this world takes time: no wait needs AWS's cadence.
		// A world the flags gave a lag or a propagation delay (instant
		// otherwise) is waited on at AWS's cadence like any other: at
		// 5 ms, every second of its lag was 200 rounds of calls.
		opts.Poll = fastPoll
	}
	pl, err := viewPlace(ctx, sb.View(), sb.Region(), f.messages())
	if err != nil {
		return awsops.Options{}, place{}, "", closer, exitCode(1, "%v", err)
	}
	pl.exports = sandboxlab.Lookup(sb.Env())
	return opts, pl, "sandbox: serving the world in " + dir + " in this process (world " + sb.World().Name + ")", closer, nil
}

// sandboxCLINote says, once, what the aws commands a fix names on the
// sandbox (aws --endpoint-url http://127.0.0.1:PORT ...) need: that
// sandbox serving, and its keys in the shell. A sandbox this command
// started stops with it, so its address is good only until then.
func sandboxCLINote(f *labFlags, inProcess bool) string {
	sd := stateDirFlag(f.stateDir)
	keys := `eval "$(ecr-vpce-lab sandbox env` + sd + `)"`
	if inProcess {
		return "these AWS CLI commands reach the sandbox only while it serves, with its keys in your shell, and the one this command started ends with it: " +
			"serve the world with 'ecr-vpce-lab sandbox" + sd + " >/dev/null 2>&1 &', run this command again for that sandbox's address, then " + keys
	}
	return "these AWS CLI commands reach the running sandbox while it serves, with its keys in your shell: " + keys
}

// inProcessSandbox is the sandbox a lab command serves in its own process:
// its servers' errors go where the SDK's warnings go, never over the
// wizard's screen.
func inProcessSandbox(f *labFlags, dir string, timing sandbox.Timing) sandbox.Options {
	return sandbox.Options{StateDir: dir, Region: f.region, Timing: timing, Logger: sandboxLogger(f.messages())}
}

// worldMismatch says why the sandbox's saved world does not open as a lab
// command asked, and what to do: the sandbox's own message names --reset,
// which only 'ecr-vpce-lab sandbox' has.
func worldMismatch(wm *sandbox.WorldMismatchError) error {
	switch {
	case wm.AskedWorld != "":
		return withFix(exitCode(2, "--world %s: the sandbox's world in %s is %s", wm.AskedWorld, wm.Dir, wm.World),
			fmt.Sprintf("leave --world out to carry on in it, or pass another --state-dir to play %s", wm.AskedWorld))
	case wm.AskedRegion != wm.Region:
		return withFix(exitCode(2, "--region %s: the sandbox's world in %s is in %s", wm.AskedRegion, wm.Dir, wm.Region),
			fmt.Sprintf("leave --region out to use it, or pass another --state-dir for a world in %s", wm.AskedRegion))
	}
	return exitCode(1, "starting the sandbox: %v", wm)
}

// elsewhereClouds builds the Clouds of the sandbox's other vantage points
// from the exports that point at it (the lab's Cloud came from them too).
func elsewhereClouds(exports func(string) string) (steps.Elsewhere, error) {
	var el steps.Elsewhere
	public, other, ok := sandboxlab.Elsewhere(exports)
	if !ok {
		return el, nil
	}
	var err error
	if el.Outside, err = awsops.New(public); err != nil {
		return el, err
	}
	el.Partner, err = awsops.New(other)
	return el, err
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
	return sandboxlab.FromEnv(os.Getenv), true
}

func lookDocker() (string, error) {
	p, err := exec.LookPath("docker")
	if err != nil {
		return "", fmt.Errorf("--docker needs the docker CLI on PATH; leave --docker out to push and pull in-process")
	}
	return p, nil
}
