package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/policy"
	"ecr-vpce-lab/sandbox"
)

// newSandboxCmd serves the offline replica of the lab's AWS account in the
// foreground and prints the environment that points the AWS CLI at it.
func newSandboxCmd() *cobra.Command {
	var (
		stateDir, timing, account, region string
		reset, imdsv2                     bool
		timingSeed                        uint64
		available, deleting, eniRelease   time.Duration
		dnsSwitch                         time.Duration
		faults                            sandbox.Faults
		wf                                worldFlags
		accounts                          int
		regions                           []string
		fleetDemo                         bool
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve an offline replica of the lab's AWS account on 127.0.0.1",
		Long: "sandbox serves EC2, ECR, STS, the instance metadata service, the ECR Docker\n" +
			"registry and the VPC's DNS of a practice account on 127.0.0.1, with AWS's own wire\n" +
			"protocols, so the AWS CLI, SDKs, skopeo and dig work against it unchanged (an AWS CLI\n" +
			"older than v1.29 or v2.13 ignores AWS_ENDPOINT_URL: give it --endpoint-url \"$AWS_ENDPOINT_URL\").\n" +
			"It prints `export` lines first (redirect them to a file and\n" +
			"source it, or copy them), then serves in the foreground until interrupted; lines\n" +
			"starting with # are comments. The world is saved in the state directory (the\n" +
			"one the lab's commands use, in its sandbox folder) after every change and is\n" +
			"there again on the next start, so 'up --sandbox' and this command share it;\n" +
			"--reset starts afresh.\n\n" +
			"The lab's curl commands address the metadata service as http://169.254.169.254;\n" +
			"against the sandbox use $AWS_EC2_METADATA_SERVICE_ENDPOINT in its place.\n\n" +
			"The registry is $ECR_REGISTRY (plain HTTP: skopeo needs --dest-tls-verify=false,\n" +
			"docker an insecure-registries entry); log in as AWS with 'aws ecr get-login-password'.\n" +
			"DNS is $LAB_DNS_SERVER: dig @127.0.0.1 -p PORT ACCOUNT.dkr.ecr.REGION.amazonaws.com.\n\n" +
			"The --fault-* flags make it misbehave as AWS can; world faults (--fault-vpc-dns-off,\n" +
			"--fault-existing-dkr-endpoint, --fault-no-repository) shape a new world only, so\n" +
			"add --reset to apply them to a saved one.\n\n" +
			"--world plays one of the places a workshop runs in: it shapes a new world (the\n" +
			"network, the workspace, the metadata service) and what the exports give a shell\n" +
			"(container credentials and AWS_EXECUTION_ENV in CloudShell, a profile on a laptop):\n" + worldsHelp(),
		Example: "  ecr-vpce-lab sandbox --timing instant > sandbox.env &\n" +
			"  sleep 1; . ./sandbox.env\n" +
			"  dig +short @127.0.0.1 -p ${LAB_DNS_SERVER##*:} $ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com\n" +
			"  aws ecr get-login-password | skopeo login --tls-verify=false -u AWS --password-stdin $ECR_REGISTRY\n" +
			"  aws ec2 describe-route-tables\n" +
			"  curl -s \"$AWS_EC2_METADATA_SERVICE_ENDPOINT/latest/meta-data/mac\"",
		GroupID: groupTools,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := sandbox.TimingByName(timing)
			if err != nil {
				return exitCode(2, "%v", err)
			}
			flags := cmd.Flags()
			for _, d := range []struct {
				flag string
				v    time.Duration
			}{{"endpoint-available-after", available}, {"endpoint-delete-after", deleting}, {"eni-release-after", eniRelease},
				{"dns-switch-after", dnsSwitch}, {"fault-latency", faults.Latency}, {"fault-role-propagation", faults.RolePropagation}} {
				if d.v < 0 {
					return exitCode(2, "--%s must not be negative", d.flag)
				}
			}
			if err := faults.CheckRates(sandbox.RateNames{Throttle: "--fault-throttle-rate", Server: "--fault-5xx-rate",
				SchedulerThrottle: "--fault-scheduler-throttle-rate"}); err != nil {
				return exitCode(2, "%v", err)
			}
			if err := policy.ValidateAccount(account); account != "" && err != nil {
				return exitCode(2, "--account: %v", err)
			}
			if err := policy.ValidateRegion(region); region != "" && err != nil {
				return exitCode(2, "--region: %v", err)
			}
			t.Seed = timingSeed
			// An override fixes that duration, drawn or not.
			if flags.Changed("endpoint-available-after") {
				t.EndpointAvailable, t.EndpointAvailableMax = available, 0
			}
			if flags.Changed("endpoint-delete-after") {
				t.EndpointDelete, t.EndpointDeleteMax = deleting, 0
			}
			if flags.Changed("eni-release-after") {
				t.ENIRelease, t.ENIReleaseMax = eniRelease, 0
			}
			if flags.Changed("dns-switch-after") {
				t.DNSSwitch, t.DNSSwitchMax = dnsSwitch, 0
			}
			stateArg := stateDir // as given, for the commands it names
			if stateDir, err = resolveStateDir(stateDir); err != nil {
				return err
			}
			if accounts < 1 || accounts > sandbox.MaxAccounts {
				return exitCode(2, "--accounts %d: give 1 to %d", accounts, sandbox.MaxAccounts)
			}
			for _, r := range regions {
				if err := policy.ValidateRegion(r); err != nil {
					return exitCode(2, "--regions: %v", err)
				}
			}
			so := sandbox.Options{
				Account: account, Region: region, StateDir: worldDir(stateDir), Reset: reset,
				Timing: t, IMDSv2Required: imdsv2, Faults: faults,
				Accounts: accounts, Regions: regions, FleetDemo: fleetDemo,
				Logger: sandboxLogger(cmd.ErrOrStderr()),
			}
			if err := wf.apply(&so); err != nil {
				return err
			}
			sb, err := sandbox.Start(cmd.Context(), so)
			var le *sandbox.LockedError
			if errors.As(err, &le) {
				// Served already: its exports are what this shell needs.
				return withFix(exitCode(1, "%v", err), `to reach it from this shell: eval "$(ecr-vpce-lab sandbox env`+stateDirFlag(stateArg)+`)"`)
			}
			if err != nil {
				return exitCode(1, "%v", err)
			}
			defer sb.Close()
			out := cmd.OutOrStdout()
			for _, e := range sb.Env() {
				fmt.Fprintf(out, "export %s=%s\n", e.Name, awsops.ShellQuote(e.Value))
			}
			if !sb.Fresh() && faults.ShapesWorld() {
				fmt.Fprintln(cmd.ErrOrStderr(), "ecr-vpce-lab sandbox: the world faults apply to a new world only; this one was loaded from "+sb.StateDir()+" (add --reset)")
			}
			fmt.Fprintf(out, "# ecr-vpce-lab sandbox: serving account %s in %s from %s (EC2, ECR, STS at %s; IMDS at %s; registry at %s; DNS at %s) until interrupted; the world is %s (%s): the lab %s\n",
				sb.Account(), sb.Region(), sb.StateDir(), sb.Endpoint(), sb.IMDSEndpoint(), sb.RegistryAddr(), sb.DNSAddr(), sb.World().Name, sb.World().Title, sb.World().Outcome)
			if n := len(sb.Accounts()); n > 1 || len(sb.Regions()) > 1 {
				fmt.Fprintf(out, "# an organization of %d account(s) (%s the management account; the others have %s) in %s: ecr-vpce-lab fleet status --org\n",
					n, sb.Account(), sandbox.OrgAccessRole, strings.Join(sb.Regions(), ", "))
			}
			<-cmd.Context().Done()
			if err := sb.Close(); err != nil {
				return exitCode(1, "stopping the sandbox: %v", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	addStateDirFlag(cmd, &stateDir)
	f.BoolVar(&reset, "reset", false, "discard the saved world and start a fresh one")
	f.StringVar(&timing, "timing", "realistic", "endpoint life-cycle timing: "+timingHelp)
	f.Uint64Var(&timingSeed, "timing-seed", 0, "seed of the durations --timing aws draws, to replay a rehearsal")
	f.StringVar(&account, "account", "", "account id of the world (default "+sandbox.DefaultAccount+", or a saved world's)")
	f.StringVar(&region, "region", "", "region of the world (default "+sandbox.DefaultRegion+", the world's own for aws-us-gov and aws-cn, or a saved world's)")
	f.BoolVar(&imdsv2, "imdsv2-required", false, "answer 401 to metadata requests without an IMDSv2 token")
	f.DurationVar(&available, "endpoint-available-after", 0, "override: time an interface endpoint stays pending")
	f.DurationVar(&deleting, "endpoint-delete-after", 0, "override: time an endpoint stays deleting")
	f.DurationVar(&eniRelease, "eni-release-after", 0, "override: time a deleted endpoint's network interfaces linger")
	f.DurationVar(&dnsSwitch, "dns-switch-after", 0, "override: time from available until private DNS answers")
	f.Uint64Var(&faults.Seed, "fault-seed", 0, "seed of the random faults, to replay the same run (0: random)")
	f.Float64Var(&faults.ThrottleRate, "fault-throttle-rate", 0, "fraction of API calls refused as throttled (RequestLimitExceeded, ThrottlingException, Throttling)")
	f.Float64Var(&faults.ServerErrorRate, "fault-5xx-rate", 0, "fraction of API calls answered with a 5xx error")
	f.DurationVar(&faults.Latency, "fault-latency", 0, "latency added to every API call")
	f.BoolVar(&faults.Registry, "fault-registry", false, "apply the throttling, 5xx and latency faults to the registry as well")
	f.StringVar(&faults.FailEndpoints, "fault-endpoint-failure", "", "new interface endpoints end 'failed' with this reason")
	f.StringSliceVar(&faults.FailEndpointServices, "fault-endpoint-failure-service", nil, "limit --fault-endpoint-failure to these services (ecr.dkr, ecr.api, ...)")
	f.BoolVar(&faults.DNSNeverSwitches, "fault-dns-never-switches", false, "the ECR host names keep resolving to public addresses (and requests bypass the endpoints)")
	f.BoolVar(&faults.VPCDNSOff, "fault-vpc-dns-off", false, "a new world's VPC has enableDnsSupport and enableDnsHostnames off")
	f.BoolVar(&faults.ExistingDKREndpoint, "fault-existing-dkr-endpoint", false, "a new world already has an ecr.dkr endpoint with private DNS in the VPC")
	f.BoolVar(&faults.NoRepository, "fault-no-repository", false, "a new world has no team-a/alpine repository")
	addWorldFlags(f, &wf)
	f.IntVar(&accounts, "accounts", 1, "serve an organization of this many accounts: this world's is the management account, the others members with OrganizationAccountAccessRole")
	f.StringSliceVar(&regions, "regions", nil, "more regions every account has a world in (DescribeRegions lists them as enabled)")
	f.BoolVar(&fleetDemo, "fleet-demo", false, "seed learners' runs at every stage across the member accounts (and a second region), some expired, one failed")
	cmd.AddCommand(newSandboxClockCmd(), newSandboxEnvCmd())
	f.StringSliceVar(&faults.DenyActions, "fault-deny-action", nil, "IAM actions the caller's role lacks (ec2:CreateVpcEndpoint, ecr:ListImages, iam:CreateRole, iam:PassRole, scheduler:CreateSchedule, ...): refused as AWS refuses them")
	f.Float64Var(&faults.SchedulerThrottleRate, "fault-scheduler-throttle-rate", 0, "fraction of EventBridge Scheduler calls refused with ThrottlingException")
	f.DurationVar(&faults.RolePropagation, "fault-role-propagation", 0, "how long a new IAM role stays unknown to EventBridge Scheduler (CreateSchedule answers that it cannot assume the role meanwhile)")
	f.BoolVar(&faults.FireOnTest, "fault-fire-during-test", false, "the auto-teardown's schedule fires as soon as the lab's tests start, deleting the endpoints under them")
	return cmd
}

// newSandboxClockCmd moves a running sandbox's clock forward, so hours of
// a workshop (the auto-teardown's expiry) pass in a moment.
func newSandboxClockCmd() *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "clock +DURATION",
		Short: "Move the running sandbox's clock forward (the lab's expiry comes in a moment)",
		Long: "clock moves the clock of the sandbox serving the state directory forward by DURATION\n" +
			"(Go's form: 90s, 15m, 4h5m), saves it with the world, and fires what came due: the\n" +
			"auto-teardown's schedules run as they would have at that time. The sandbox answers\n" +
			"with its time, and the lab's commands and the AWS SDKs follow it; the clock never\n" +
			"goes back.",
		Example: "  ecr-vpce-lab sandbox clock +4h1m",
		Args:    oneArg("how far to move the clock, such as +4h1m"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := time.ParseDuration(strings.TrimPrefix(args[0], "+"))
			if err != nil || d <= 0 {
				return exitCode(2, "clock %s: want a positive duration such as +4h or +90s", args[0])
			}
			dir, err := resolveStateDir(stateDir)
			if err != nil {
				return err
			}
			now, err := sandbox.AdvanceRunningClock(cmd.Context(), worldDir(dir), d)
			if errors.Is(err, fs.ErrNotExist) {
				return withFix(exitCode(1, "no sandbox is serving %s", worldDir(dir)), "start one with 'ecr-vpce-lab sandbox --state-dir "+dir+"', or pass the --state-dir it uses")
			}
			if err != nil {
				return exitCode(1, "moving the sandbox's clock: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "the sandbox's clock now reads %s (moved %s ahead)\n", now.UTC().Format(time.RFC3339), d)
			return nil
		},
	}
	addStateDirFlag(cmd, &stateDir)
	return cmd
}

// newSandboxEnvCmd prints the exports of the sandbox serving a state
// directory, so that another shell (the one a facilitator rehearses in)
// reaches it with the AWS CLI: the sandbox prints them once, when it
// starts, on its own standard output.
func newSandboxEnvCmd() *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the export lines of the running sandbox, for eval in a shell",
		Long: "env prints the `export` lines of the sandbox serving the state directory (its\n" +
			"endpoint, keys, region, registry and DNS), as the sandbox printed them when it\n" +
			"started. Evaluated in a shell, they let the AWS CLI, skopeo and dig reach it, and the\n" +
			"aws commands the lab's fixes name on the sandbox (aws --endpoint-url ...) work.",
		Example: "  ecr-vpce-lab sandbox --state-dir lab >/dev/null 2>&1 &\n" +
			"  eval \"$(ecr-vpce-lab sandbox env --state-dir lab)\"\n" +
			"  aws ec2 describe-vpc-endpoints",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := resolveStateDir(stateDir)
			if err != nil {
				return err
			}
			env, _, err := sandbox.Running(worldDir(dir))
			if errors.Is(err, fs.ErrNotExist) {
				return withFix(exitCode(1, "no sandbox is serving %s", worldDir(dir)),
					"start one with 'ecr-vpce-lab sandbox"+stateDirFlag(stateDir)+" >/dev/null 2>&1 &', or pass the --state-dir it uses")
			}
			if err != nil {
				return exitCode(1, "reading the running sandbox's exports: %v", err)
			}
			out := cmd.OutOrStdout()
			for _, e := range env {
				fmt.Fprintf(out, "export %s=%s\n", e.Name, awsops.ShellQuote(e.Value))
			}
			return nil
		},
	}
	addStateDirFlag(cmd, &stateDir)
	return cmd
}

// stateDirFlag is " --state-dir DIR" when dir was given, "" otherwise.
func stateDirFlag(dir string) string {
	if dir == "" {
		return ""
	}
	return " --state-dir " + awsops.ShellQuote(dir)
}
