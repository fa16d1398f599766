package awsops_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
	"ecr-vpce-lab/sandbox"
)

// profileFiles writes a shared config file (and an empty credentials
// file) into a fresh HOME, points the SDK at them and at sb, and keeps
// the real environment's credentials out.
func profileFiles(t *testing.T, sb *sandbox.Sandbox, cfg string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	p := filepath.Join(home, "config")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", p)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if sb != nil {
		t.Setenv("AWS_ENDPOINT_URL", sb.Endpoint())
	}
}

func baseProfile(sb *sandbox.Sandbox) string {
	c := sb.Credentials()
	return "[profile base]\naws_access_key_id = " + c.AccessKeyID + "\naws_secret_access_key = " + c.SecretAccessKey + "\nregion = " + sb.Region() + "\n"
}

// TestProfilePromptsAreFoundAhead: an MFA role, a credential_process and
// SSO are recognised from the profile before anything runs.
func TestProfilePromptsAreFoundAhead(t *testing.T) {
	profileFiles(t, nil, "[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = keys\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n"+
		"[profile keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"+
		"[profile proc]\ncredential_process = /usr/local/bin/get-creds --ask\n"+
		"[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Admin\n"+
		"[profile plain]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
	ctx := context.Background()
	for name, want := range map[string]string{"mfa": "mfa", "proc": "process", "sso": "sso", "plain": ""} {
		p, err := awsops.ProfilePrompt(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := ""
		if p != nil {
			got = p.Kind
		}
		if got != want {
			t.Errorf("profile %s: prompt %q, want %q (%+v)", name, got, want, p)
		}
	}
	if _, err := awsops.ProfilePrompt(ctx, "nope"); problem.KindOf(err) != problem.NoCredentials {
		t.Errorf("a profile that does not exist: %v", err)
	}
}

// TestMFAProfile: without a way to ask, loading says what to run instead;
// with one, the code is asked for once and the role is assumed.
func TestMFAProfile(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	profileFiles(t, sb, baseProfile(sb)+"[profile mfa]\nrole_arn = arn:aws:iam::"+sb.Account()+":role/Admin\nsource_profile = base\nmfa_serial = arn:aws:iam::"+sb.Account()+":mfa/me\nregion = "+sb.Region()+"\n")
	ctx := context.Background()
	_, err := awsops.LoadConfigWith(ctx, awsops.LoadOptions{Profile: "mfa"})
	if problem.KindOf(err) != problem.NoCredentials || !strings.Contains(problem.FixOf(err), "aws configure export-credentials --profile mfa") {
		t.Fatalf("MFA without a prompt: %v (fix %q)", err, problem.FixOf(err))
	}
	asked := 0
	l, err := awsops.LoadConfigWith(ctx, awsops.LoadOptions{Profile: "mfa", MFA: func(serial string) (string, error) {
		asked++
		if !strings.HasSuffix(serial, ":mfa/me") {
			t.Errorf("asked for %q", serial)
		}
		return "123456", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = l.Config })
	id, err := cloud.WhoAmI(ctx)
	if err != nil || !strings.HasSuffix(id.ARN, ":assumed-role/Admin/"+id.ARN[strings.LastIndex(id.ARN, "/")+1:]) || !strings.Contains(id.ARN, "assumed-role/Admin/") {
		t.Fatalf("WhoAmI as the role: %+v %v", id, err)
	}
	if _, err := cloud.WhoAmI(ctx); err != nil || asked != 1 {
		t.Fatalf("asked %d times, %v", asked, err)
	}
}

// TestFailedAssumeRoleIsReportedAsSuch: a role the credentials may not
// assume is not "lacks sts:GetCallerIdentity".
func TestFailedAssumeRoleIsReportedAsSuch(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{DenyActions: []string{"sts:AssumeRole"}}})
	profileFiles(t, sb, baseProfile(sb)+"[profile admin]\nrole_arn = arn:aws:iam::"+sb.Account()+":role/Admin\nsource_profile = base\nregion = "+sb.Region()+"\n")
	ctx := context.Background()
	l, err := awsops.LoadConfigWith(ctx, awsops.LoadOptions{Profile: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = l.Config })
	_, err = cloud.WhoAmI(ctx)
	e, ok := problem.As(err)
	if !ok || e.Operation != "AssumeRole" || e.Code != "AccessDenied" || !strings.Contains(err.Error(), "sts:AssumeRole") ||
		strings.Contains(e.Fix, "GetCallerIdentity") || !strings.Contains(e.Fix, "trust policy") {
		t.Fatalf("a refused AssumeRole: %v (op %q, code %q, fix %q)", err, e.Operation, e.Code, e.Fix)
	}
}

// TestDisabledRegionSaysToEnableIt: AWS answers a region the account has
// not enabled as if the keys were bad; the lab tells the two apart.
func TestDisabledRegionSaysToEnableIt(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Region: "ap-east-1", Faults: sandbox.Faults{RegionDisabled: true}})
	cloud, _ := cloudFor(t, sb, nil)
	_, err := cloud.WhoAmI(context.Background())
	if problem.KindOf(err) != problem.RegionDisabled || !strings.Contains(problem.FixOf(err), cloud.CLI()+" account enable-region --region-name ap-east-1") {
		t.Fatalf("a disabled region: kind %s: %v (fix %q)", problem.KindOf(err), err, problem.FixOf(err))
	}
	// Keys that are bad everywhere stay bad keys.
	bad, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = awsops.StaticConfig("ap-east-1", "AKIAWRONGWRONGWRONG0", "x") })
	if _, err := bad.WhoAmI(context.Background()); problem.KindOf(err) != problem.InvalidCredentials {
		t.Fatalf("bad keys: kind %s: %v", problem.KindOf(err), err)
	}
}

// TestExpiredSSOSaysToSignIn: an SSO profile without a live session.
func TestExpiredSSOSaysToSignIn(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	profileFiles(t, sb, "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = "+sb.Account()+"\nsso_role_name = Admin\nregion = "+sb.Region()+"\n")
	t.Setenv("AWS_PROFILE", "sso")
	l, err := awsops.LoadConfigWith(context.Background(), awsops.LoadOptions{Profile: "sso"})
	if err != nil {
		t.Fatal(err)
	}
	cloud, _ := cloudFor(t, sb, func(o *awsops.Options) { o.Config = l.Config })
	_, err = cloud.WhoAmI(context.Background())
	if problem.KindOf(err) != problem.ExpiredCredentials || !strings.Contains(problem.FixOf(err), "aws sso login --profile sso") {
		t.Fatalf("expired SSO: kind %s: %v (fix %q)", problem.KindOf(err), err, problem.FixOf(err))
	}
}
