package steps

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
)

func TestEnvFileKeepsOtherLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".ecr_security")
	start := "# notes\nexport VPCE_SG_ID=sg-mine\nexport DKR_VPCE_ID=vpce-old # ecr-vpce-lab run=oldrun\n\nalias k=kubectl\n"
	if err := os.WriteFile(p, []byte(start), 0o640); err != nil {
		t.Fatal(err)
	}
	f := EnvFile{Path: p}
	if _, err := f.Set("r1", map[string]string{VarS3: "vpce-s3", VarSecurityGroup: "sg-new"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Set("r1", map[string]string{VarDKR: "vpce-dkr"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	want := "# notes\nexport VPCE_SG_ID=sg-mine\n\nalias k=kubectl\n" +
		"export VPCE_SG_ID=sg-new # ecr-vpce-lab run=r1\n" +
		"export DKR_VPCE_ID=vpce-dkr # ecr-vpce-lab run=r1\n" +
		"export S3_VPCE_ID=vpce-s3 # ecr-vpce-lab run=r1\n"
	if string(b) != want {
		t.Fatalf("after Set:\n%s\nwant:\n%s", b, want)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode changed to %v", fi.Mode().Perm())
	}
	ours, _ := f.Ours("r1")
	if len(ours) != 3 || ours[VarDKR] != "vpce-dkr" {
		t.Fatalf("Ours = %v", ours)
	}
	if n, err := f.RemoveVars("r1", VarS3); err != nil || n != 1 {
		t.Fatalf("RemoveVars: %d %v", n, err)
	}
	if n, err := f.Remove("r1"); err != nil || n != 2 {
		t.Fatalf("Remove: %d %v", n, err)
	}
	b, _ = os.ReadFile(p)
	if string(b) != "# notes\nexport VPCE_SG_ID=sg-mine\n\nalias k=kubectl\n" {
		t.Fatalf("after Remove:\n%q", b)
	}
	// A missing file is created 0600 and removing from nothing is fine.
	q := filepath.Join(t.TempDir(), "new")
	if n, err := (EnvFile{Path: q}).Remove("r1"); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if _, err := (EnvFile{Path: q}).Set("r1", map[string]string{VarRule: "sgr-1"}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(q); fi.Mode().Perm() != 0o600 {
		t.Fatalf("new file mode %v", fi.Mode().Perm())
	}
}

func FuzzEnvFile(f *testing.F) {
	f.Add("export A=1\n# c\nexport VPCE_SG_ID=x # ecr-vpce-lab run=r0\n", "sg-1")
	f.Add("", "x")
	f.Add("export # ecr-vpce-lab run=\nexport=\n\n\n", "v")
	f.Fuzz(func(t *testing.T, content, value string) {
		p := filepath.Join(t.TempDir(), "env")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		ef := EnvFile{Path: p}
		if value == "" || strings.Trim(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/") != "" {
			// Unsafe values are refused and the file is left alone.
			if _, err := ef.Set("fz", map[string]string{VarRule: value}); err == nil && value != "" {
				t.Fatalf("Set accepted %q", value)
			}
			if b, _ := os.ReadFile(p); string(b) != content {
				t.Fatalf("file changed by a refused Set")
			}
			return
		}
		var others []string
		for _, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
			if _, ours, _ := envLine(l); !ours && content != "" {
				others = append(others, l)
			}
		}
		if _, err := ef.Set("fz", map[string]string{VarRule: value}); err != nil {
			t.Fatal(err)
		}
		if got, _ := ef.Ours("fz"); got[VarRule] != value {
			t.Fatalf("Ours after Set = %v", got)
		}
		if _, err := ef.Remove(""); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		var after []string
		if len(b) > 0 {
			after = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		}
		if strings.Join(after, "\n") != strings.Join(others, "\n") {
			t.Fatalf("other lines changed:\n%q\n%q", others, after)
		}
	})
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, "aws")
	if _, err := s.Load(); err != ErrNoState {
		t.Fatalf("Load of nothing: %v", err)
	}
	st := newState("aws", time.Now())
	st.Endpoints = map[string]*Record{EndpointDKR: {ID: "vpce-1", Type: awsops.Interface, Created: true}}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(s.Path())
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	got, err := s.Load()
	if err != nil || got.RunID != st.RunID || got.Endpoints[EndpointDKR].ID != "vpce-1" {
		t.Fatalf("Load = %+v %v", got, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	for _, bad := range []string{"{", `{"version":0,"runId":"x"}`, `{"version":1}`, ""} {
		if err := os.WriteFile(s.Path(), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		var se *StateError
		if _, err := s.Load(); err == nil || !asStateError(err, &se) {
			t.Fatalf("Load(%q) = %v", bad, err)
		}
	}
	// A newer release's file is not damaged: it is refused, as it is.
	if err := os.WriteFile(s.Path(), []byte(`{"version":99,"runId":"x","shape":"new"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var ne *NewerStateError
	if _, err := s.Load(); !errors.As(err, &ne) || ne.Version != 99 {
		t.Fatalf("Load of a newer file: %v", err)
	}
	// The lock keeps a second holder out.
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	s2 := NewStore(dir, "aws")
	err = s2.Lock()
	if le, ok := err.(*LockedError); !ok || le.PID != os.Getpid() || !strings.Contains(err.Error(), "wait for it") {
		t.Fatalf("second Lock: %v", err)
	}
	s.Unlock()
	if err := s2.Lock(); err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	s2.Unlock()
}

func asStateError(err error, target **StateError) bool {
	se, ok := err.(*StateError)
	if ok {
		*target = se
	}
	return ok
}

func TestCost(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	st := State{Region: "us-west-2", Endpoints: map[string]*Record{
		EndpointDKR: {Type: awsops.Interface, Created: true, AZs: 1, CreatedAt: now.Add(-2 * time.Hour)},
		EndpointAPI: {Type: awsops.Interface, Created: true, AZs: 2, CreatedAt: now.Add(-1 * time.Hour)},
		EndpointS3:  {Type: awsops.Gateway, Created: true, CreatedAt: now.Add(-2 * time.Hour)},
	}}
	// AWS bills each started hour in full: the dkr endpoint has started
	// its third hour, the api one its second, in two zones.
	c := CostOf(st, now.Add(time.Minute))
	if c.InterfaceEndpoints != 2 || c.AZs != 3 || math.Abs(c.PerHour-0.03) > 1e-9 || math.Abs(c.SoFar-0.07) > 1e-9 || !c.Since.Equal(now.Add(-2*time.Hour)) ||
		!c.NextHour.Equal(now.Add(time.Hour)) {
		t.Fatalf("cost %+v", c)
	}
	// Torn down ten minutes after it was made, an endpoint has cost an hour.
	young := State{Region: "us-west-2", Endpoints: map[string]*Record{EndpointDKR: {Type: awsops.Interface, Created: true, AZs: 1, CreatedAt: now}}}
	if c := CostOf(young, now.Add(10*time.Minute)); math.Abs(c.SoFar-0.01) > 1e-9 {
		t.Fatalf("ten minutes: %+v", c)
	}
	// One AWS is deleting costs nothing more by the hour; the hours begun
	// stay billed.
	st.Endpoints[EndpointAPI].State = ResDeleting
	if c := CostOf(st, now.Add(time.Minute)); c.Deleting != 1 || c.InterfaceEndpoints != 2 || math.Abs(c.PerHour-0.01) > 1e-9 || math.Abs(c.SoFar-0.07) > 1e-9 {
		t.Fatalf("one deleting: %+v", c)
	}
	st.Endpoints[EndpointAPI].State = ResAvailable
	// Adopted endpoints are someone else's bill.
	st.Endpoints[EndpointAPI].Created = false
	if c := CostOf(st, now); c.InterfaceEndpoints != 1 {
		t.Fatalf("adopted counted: %+v", c)
	}
	// A region without a price in the table says so instead of guessing.
	if r, ok := HourlyRate("cn-north-1"); ok || r != 0 {
		t.Fatalf("cn-north-1 priced at %v", r)
	}
	st.Region = "us-gov-west-1"
	if c := CostOf(st, now); !c.Unpriced || c.PerHour != 0 || !strings.Contains(c.NoPrice(), "no price for us-gov-west-1") {
		t.Fatalf("unpriced region: %+v %q", c, c.NoPrice())
	}
}

func TestTranscriptScript(t *testing.T) {
	tr := NewTranscript(map[string]string{VarSecurityGroup: "sg-old"})
	emit := func(c awsops.Command) { tr.Observe(Event{Kind: EventCommand, Command: &c}) }
	emit(awsops.Command{Args: []string{"aws", "ec2", "create-vpc-endpoint", "--security-group-ids", "sg-old", "--policy-document", `{"a":"it's"}`},
		Capture: VarDKR, Query: "VpcEndpoint.VpcEndpointId", Result: "vpce-new"})
	emit(awsops.Command{Shell: `until [ "$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids "vpce-new")" = 0 ]; do sleep 5; done`, Comment: "wait"})
	emit(awsops.Command{Shell: "host x", Check: true})
	emit(awsops.Command{Shell: "aws ecr get-login-password \\\n  | docker login", Check: true})
	tr.Observe(Event{Kind: EventDetail, Message: "not a command"})
	s := tr.Script("t", time.Unix(0, 0))
	for _, want := range []string{
		"set -euo pipefail\n",
		`DKR_VPCE_ID=$(aws ec2 create-vpc-endpoint --security-group-ids "${VPCE_SG_ID:-sg-old}" --policy-document '{"a":"it'\''s"}' --query VpcEndpoint.VpcEndpointId --output text)`,
		`echo "export DKR_VPCE_ID=$DKR_VPCE_ID" >> ~/.ecr_security`,
		"# wait\n" + `until [ "$(aws ec2 describe-vpc-endpoints --vpc-endpoint-ids "$DKR_VPCE_ID")" = 0 ]; do sleep 5; done`,
		"\n# host x\n",
		"\n# aws ecr get-login-password \\\n#   | docker login\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if tr.Len() != 4 {
		t.Fatalf("Len %d", tr.Len())
	}
}

func TestSamePolicyAndTargets(t *testing.T) {
	a := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	b := "{\n  \"Statement\": {\"Resource\": \"*\", \"Action\": [\"*\"], \"Principal\": \"*\", \"Effect\": \"Allow\"}\n}"
	if !samePolicy(a, b) || !samePolicy("", a) || samePolicy(a, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`) {
		t.Fatal("samePolicy")
	}
	if endpointPolicy(EndpointAPI, "P", TargetDKR) != "" || endpointPolicy(EndpointAPI, "P", TargetBoth) != "P" || endpointPolicy(EndpointS3, "P", TargetBoth) != "" {
		t.Fatal("endpointPolicy")
	}
	for in, want := range map[string]Target{"": TargetBoth, "both": TargetBoth, "DKR": TargetDKR, "ecr.dkr": TargetDKR} {
		if got, err := ParseTarget(in); err != nil || got != want {
			t.Fatalf("ParseTarget(%q) = %v %v", in, got, err)
		}
	}
	if _, err := ParseTarget("s3"); err == nil {
		t.Fatal("ParseTarget(s3)")
	}
}

// FuzzStateLoad: whatever the state file holds, Load returns a state or a
// *StateError, never a panic, and what it returns saves and loads back.
func FuzzStateLoad(f *testing.F) {
	st := newState("aws", time.Unix(0, 0).UTC())
	st.Endpoints = map[string]*Record{EndpointDKR: {ID: "vpce-1"}}
	b, _ := json.Marshal(st)
	f.Add(b)
	f.Add([]byte(`{"version":1,"runId":"x","endpoints":{"s3":null}}`))
	f.Add([]byte(`{"version":1,"runId":"x","policy":"not json"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		s := NewStore(dir, "aws")
		if err := os.WriteFile(s.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load()
		if err != nil {
			var se *StateError
			if !asStateError(err, &se) {
				t.Fatalf("Load error %T: %v", err, err)
			}
			return
		}
		for k, r := range got.Endpoints {
			if r == nil || r.ID == "" {
				t.Fatalf("Load kept an empty endpoint record %q", k)
			}
		}
		_ = got.HasResources()
		_ = CostOf(got, time.Now())
		if err := s.Save(got); err != nil {
			t.Fatalf("Save of a loaded state: %v", err)
		}
		if _, err := s.Load(); err != nil {
			t.Fatalf("reload: %v", err)
		}
	})
}
