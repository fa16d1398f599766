package screens

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"ecr-vpce-lab/internal/screentext"
	"ecr-vpce-lab/internal/testtool"
)

// TestCommittedScreensMatch fails when the wizard no longer draws what the
// README's screenshots show. Refresh them with `go run ./tools/screenshots`
// and commit docs/screens.
func TestCommittedScreensMatch(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	shots, err := Capture(context.Background(), testtool.LabBinary(t), scratch)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"policy-editor", "endpoints-pending", "dns-public", "push-denied"}
	if len(shots) != len(want) {
		t.Fatalf("captured %d screens, want %d", len(shots), len(want))
	}
	for i, s := range shots {
		if s.Name != want[i] {
			t.Fatalf("screen %d is %s, want %s", i, s.Name, want[i])
		}
		committed, err := os.ReadFile(filepath.Join(root, "docs", "screens", s.Name+".txt"))
		if err != nil {
			t.Fatalf("%v: run `go run ./tools/screenshots` and commit docs/screens", err)
		}
		if _, err := os.Stat(filepath.Join(root, "docs", "screens", s.Name+".png")); err != nil {
			t.Errorf("%s.png is missing: run `go run ./tools/screenshots`", s.Name)
		}
		got := screentext.Normalise(s.Text) + "\n"
		if got != string(committed) {
			t.Errorf("%s changed: the README's screenshot no longer shows what the wizard draws; run `go run ./tools/screenshots` and commit docs/screens.\n--- committed\n%s\n--- now\n%s", s.Name, committed, got)
		}
	}
}
