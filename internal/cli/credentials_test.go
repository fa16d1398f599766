package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/ptytest"
	"ecr-vpce-lab/internal/testtool"
	"ecr-vpce-lab/sandbox"
)

// awsModeOn points the lab's real-AWS mode at sb (AWS_ENDPOINT_URL), with a
// shared config file of its own and nothing else of this machine's: no
// keys, no profile, no metadata service. It returns the environment for a
// child process too.
func awsModeOn(t *testing.T, sb *sandbox.Sandbox, config string) []string {
	t.Helper()
	home, _ := labHome(t)
	vars, env := awsMode(t, sb, config, home)
	for k, v := range vars {
		t.Setenv(k, v)
	}
	return env
}

// awsModeChild is awsModeOn's environment for a program in a child process
// only: this process's stays as it is, so the test may run in parallel.
func awsModeChild(t *testing.T, sb *sandbox.Sandbox, config string) []string {
	t.Helper()
	_, env := awsMode(t, sb, config, t.TempDir())
	return env
}

// awsMode is the lab in AWS mode against sb, with config as the AWS config
// file in home: the AWS variables to set (empty: unset), and a child
// process's whole environment.
func awsMode(t *testing.T, sb *sandbox.Sandbox, config, home string) (map[string]string, []string) {
	t.Helper()
	cfg := filepath.Join(home, "aws-config")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"AWS_ENDPOINT_URL": sb.Endpoint(), "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": ""}
	env := procEnv(home, "TERM=xterm-256color")
	for k, v := range vars {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return vars, env
}

func startWorld(t *testing.T, o sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

func keysProfile(sb *sandbox.Sandbox) string {
	c := sb.Credentials()
	return "[profile base]\naws_access_key_id = " + c.AccessKeyID + "\naws_secret_access_key = " + c.SecretAccessKey + "\nregion = " + sb.Region() + "\n"
}

func mfaProfile(sb *sandbox.Sandbox) string {
	return keysProfile(sb) + "[profile mfa]\nrole_arn = arn:aws:iam::" + sb.Account() + ":role/Admin\nsource_profile = base\nmfa_serial = arn:aws:iam::" +
		sb.Account() + ":mfa/learner\nregion = " + sb.Region() + "\n"
}

// TestMFAProfileWithoutATerminal: nothing can ask for the code; the lab
// says what to run first instead of failing somewhere later.
func TestMFAProfileWithoutATerminal(t *testing.T) {
	sb := startWorld(t, sandbox.Options{})
	awsModeOn(t, sb, mfaProfile(sb))
	code, out, errs := lab(t, "status", "--profile", "mfa")
	if code != 2 || !strings.Contains(errs, "the profile mfa assumes a role with MFA (arn:aws:iam::"+sb.Account()+":mfa/learner), and there is no terminal to ask for the code") ||
		!strings.Contains(errs, `eval "$(aws configure export-credentials --profile mfa --format env)"`) {
		t.Fatalf("status with an MFA profile and no terminal: exit %d\n%s%s", code, out, errs)
	}
}

// TestMFAPromptBeforeTheWizard: the code is asked for on the terminal
// before the wizard takes it over, and the wizard then runs as the role.
func TestMFAPromptBeforeTheWizard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel() // the program in a pty, with an environment of its own
	sb := startWorld(t, sandbox.Options{})
	asksBeforeTheWizard(t, sb, mfaProfile(sb), "mfa",
		[]string{"MFA code for arn:aws:iam::" + sb.Account() + ":mfa/learner (profile mfa):"}, "123456",
		[]string{"1 · Preflight", "Credentials", "an assumed role (the profile's role_arn)"})
}

// TestCredentialProcessAsksBeforeTheWizard: a credential_process that
// prompts gets the terminal before the wizard does (inside it, the
// wizard's keyboard would be the process's stdin).
func TestCredentialProcessAsksBeforeTheWizard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	t.Parallel() // the program in a pty, with an environment of its own
	sb := startWorld(t, sandbox.Options{})
	c := sb.Credentials()
	script := filepath.Join(t.TempDir(), "creds.sh")
	body := "#!/bin/sh\nprintf 'Passphrase for the workshop keys: ' >&2\nread p\n[ \"$p\" = open ] || exit 3\n" +
		"printf '{\"Version\":1,\"AccessKeyId\":\"" + c.AccessKeyID + "\",\"SecretAccessKey\":\"" + c.SecretAccessKey + "\"}'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	asksBeforeTheWizard(t, sb, "[profile proc]\ncredential_process = "+script+"\nregion = "+sb.Region()+"\n", "proc",
		[]string{"credential_process of profile proc", "Passphrase for the workshop keys:"}, "open",
		[]string{"1 · Preflight", "the profile's credential_process"})
}

// asksBeforeTheWizard starts the built wizard with --profile profile, in
// AWS mode against sb with config as the AWS config file, in a
// pseudo-terminal: the terminal must show ask before the wizard; answer is
// typed, with Enter; then the wizard must show wizard, and q ends it.
func asksBeforeTheWizard(t *testing.T, sb *sandbox.Sandbox, config, profile string, ask []string, answer string, wizard []string) {
	t.Helper()
	term, err := ptytest.Start(100, 30, awsModeChild(t, sb, config), testtool.LabBinary(t), "--profile", profile)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	if screen, err := term.WaitForText(10*time.Second, ask...); err != nil {
		t.Fatalf("nothing asked before the wizard: %v\n%s", err, screen)
	}
	if err := term.Send(answer, ptytest.Enter); err != nil {
		t.Fatal(err)
	}
	if screen, err := term.WaitForText(15*time.Second, wizard...); err != nil {
		t.Fatalf("the wizard after the answer: %v\n%s", err, screen)
	}
	_ = term.Send("q")
	if err := term.Wait(10 * time.Second); err != nil {
		t.Fatalf("the wizard did not exit: %v\n%s", err, term.Screen())
	}
}

// TestExpiredSSOSaysToSignIn: an SSO profile without a live session, and
// no terminal to run the sign-in on: the command to run.
func TestExpiredSSOSaysToSignIn(t *testing.T) {
	sb := startWorld(t, sandbox.Options{})
	awsModeOn(t, sb, "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = "+sb.Account()+
		"\nsso_role_name = Admin\nregion = "+sb.Region()+"\n")
	code, out, errs := lab(t, "status", "--profile", "sso")
	if code != 1 || !strings.Contains(errs, "the SSO session has expired (or was never started)") || !strings.Contains(errs, "aws sso login --profile sso") {
		t.Fatalf("status with an expired SSO profile: exit %d\n%s%s", code, out, errs)
	}
}

// TestRefusedAssumeRoleSaysSo: a role the source credentials may not
// assume is reported as that, not as a missing sts:GetCallerIdentity.
func TestRefusedAssumeRoleSaysSo(t *testing.T) {
	sb := startWorld(t, sandbox.Options{Faults: sandbox.Faults{DenyActions: []string{"sts:AssumeRole"}}})
	awsModeOn(t, sb, keysProfile(sb)+"[profile admin]\nrole_arn = arn:aws:iam::"+sb.Account()+":role/Admin\nsource_profile = base\nregion = "+sb.Region()+"\n")
	code, out, errs := lab(t, "status", "--profile", "admin")
	all := out + errs
	if code != 1 || !strings.Contains(all, "assume the profile's role (sts:AssumeRole): AccessDenied: User: ") ||
		!strings.Contains(all, "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+sb.Account()+":role/Admin") ||
		!strings.Contains(all, "trust policy") || strings.Contains(all, "GetCallerIdentity") {
		t.Fatalf("status with a role it may not assume: exit %d\n%s", code, all)
	}
}

// TestDisabledRegionSaysToEnableIt: AWS answers a region the account has
// not enabled as if the keys were bad; the lab says to enable the region.
func TestDisabledRegionSaysToEnableIt(t *testing.T) {
	sb := startWorld(t, sandbox.Options{Region: "ap-east-1", Faults: sandbox.Faults{RegionDisabled: true}})
	awsModeOn(t, sb, keysProfile(sb))
	code, out, errs := lab(t, "up", "--yes", "--profile", "base")
	all := out + errs
	if code != 1 || !strings.Contains(all, "ap-east-1 is an opt-in region this account has not enabled") ||
		!strings.Contains(all, "aws account enable-region --region-name ap-east-1") || strings.Contains(all, "AWS does not accept these credentials") {
		t.Fatalf("up in a disabled region: exit %d\n%s", code, all)
	}
}
