package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A state file written by a newer release is refused by every command with
// the same sentence, and nothing deletes it: it may describe resources this
// release cannot read.
func TestNewerStateFileIsRefusedAndKept(t *testing.T) {
	_, state := labHome(t)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(state, "lab-sandbox.json")
	newer := []byte(`{"version": 7, "runId": "feedfacecafe", "mode": "sandbox", "resources": {"future": "shape"}}` + "\n")
	if err := os.WriteFile(path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	want := "the state file " + path + " was written by a newer ecr-vpce-lab (format 7); upgrade, or use --state-dir elsewhere"
	fast := []string{"--sandbox", "--sandbox-timing", "instant"}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"up", "--yes"}},
		{"", []string{"test"}},
		{"", []string{"status"}},
		{"", []string{"status", "-o", "json"}},
		{"", []string{"down", "--yes"}},
		{"", []string{"down", "--yes", "--all"}},
		{"\n\n\n\n", []string{"--accessible"}},
	} {
		code, out, errs := runCLI(t, c.stdin, append(c.args, fast...)...)
		if code == 0 || !strings.Contains(out+errs, want) {
			t.Errorf("%v: exit %d, want non-zero and %q:\n%s%s", c.args, code, want, out, errs)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, newer) {
			t.Fatalf("%v: the newer state file was changed or removed: %q %v", c.args, b, err)
		}
	}
}
