package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ecr-vpce-lab/sandbox"
)

// newSandboxCmd serves the offline replica of the lab's AWS account in the
// foreground and prints the environment that points the AWS CLI at it.
func newSandboxCmd() *cobra.Command {
	var (
		stateDir, timing, account, region string
		reset, imdsv2                     bool
		available, deleting, eniRelease   time.Duration
		dnsSwitch                         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve an offline replica of the lab's AWS account on 127.0.0.1",
		Long: "sandbox serves EC2, ECR, STS and the instance metadata service of a practice\n" +
			"account on 127.0.0.1, with AWS's own wire protocols, so the AWS CLI and SDKs work\n" +
			"against it unchanged. It prints `export` lines first (redirect them to a file and\n" +
			"source it, or copy them), then serves in the foreground until interrupted; lines\n" +
			"starting with # are comments. The world is saved in the state directory\n" +
			"after every change and is there again on the next start; --reset starts afresh.\n\n" +
			"The lab's curl commands address the metadata service as http://169.254.169.254;\n" +
			"against the sandbox use $AWS_EC2_METADATA_SERVICE_ENDPOINT in its place.",
		Example: "  ecr-vpce-lab sandbox --timing instant > sandbox.env &\n" +
			"  sleep 1; . ./sandbox.env\n" +
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
			if flags.Changed("endpoint-available-after") {
				t.EndpointAvailable = available
			}
			if flags.Changed("endpoint-delete-after") {
				t.EndpointDelete = deleting
			}
			if flags.Changed("eni-release-after") {
				t.ENIRelease = eniRelease
			}
			if flags.Changed("dns-switch-after") {
				t.DNSSwitch = dnsSwitch
			}
			if stateDir == "" {
				if stateDir, err = sandbox.DefaultStateDir(); err != nil {
					return exitCode(1, "%v", err)
				}
			}
			sb, err := sandbox.Start(cmd.Context(), sandbox.Options{
				Account: account, Region: region, StateDir: stateDir, Reset: reset,
				Timing: t, IMDSv2Required: imdsv2,
			})
			if err != nil {
				return exitCode(1, "%v", err)
			}
			defer sb.Close()
			out := cmd.OutOrStdout()
			for _, e := range sb.Env() {
				fmt.Fprintf(out, "export %s=%s\n", e.Name, shellQuote(e.Value))
			}
			fmt.Fprintf(out, "# ecr-vpce-lab sandbox: serving account %s in %s from %s (EC2, ECR, STS at %s; IMDS at %s) until interrupted\n",
				sb.Account(), sb.Region(), sb.StateDir(), sb.Endpoint(), sb.IMDSEndpoint())
			<-cmd.Context().Done()
			if err := sb.Close(); err != nil {
				return exitCode(1, "stopping the sandbox: %v", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&stateDir, "state-dir", "", "directory of the saved world (default $XDG_STATE_HOME/ecr-vpce-lab/sandbox)")
	f.BoolVar(&reset, "reset", false, "discard the saved world and start a fresh one")
	f.StringVar(&timing, "timing", "realistic", "endpoint life-cycle timing: "+strings.Join(sandbox.TimingNames(), " or "))
	f.StringVar(&account, "account", sandbox.DefaultAccount, "account id of the world")
	f.StringVar(&region, "region", sandbox.DefaultRegion, "region of the world")
	f.BoolVar(&imdsv2, "imdsv2-required", false, "answer 401 to metadata requests without an IMDSv2 token")
	f.DurationVar(&available, "endpoint-available-after", 0, "override: time an interface endpoint stays pending")
	f.DurationVar(&deleting, "endpoint-delete-after", 0, "override: time an endpoint stays deleting")
	f.DurationVar(&eniRelease, "eni-release-after", 0, "override: time a deleted endpoint's network interfaces linger")
	f.DurationVar(&dnsSwitch, "dns-switch-after", 0, "override: time from available until private DNS answers")
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
