package steps

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSaveProgressOver: a save writes only the records the learner
// changed over the file, whose other records stay; a damaged file is set
// aside (never over one set aside before) and a newer release's file is
// left alone.
func TestSaveProgressOver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := ProgressPath(dir)
	disk := &ChallengeProgress{Challenges: map[int]*ChallengeRecord{3: {Passed: true, Attempts: 1}, 1: {Hints: 1}}}
	if err := SaveProgress(dir, disk); err != nil {
		t.Fatal(err)
	}
	// The wizard read it before challenge 3 passed, and changed 1.
	mine := &ChallengeProgress{Challenges: map[int]*ChallengeRecord{1: {Hints: 2, Draft: "d"}, 3: {}}}
	if kept, err := SaveProgressOver(dir, mine, map[int]bool{1: true}, time.Now()); err != nil || kept != "" {
		t.Fatal(kept, err)
	}
	got, err := LoadProgress(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Record(1); r.Hints != 2 || r.Draft != "d" {
		t.Errorf("the learner's record: %+v", r)
	}
	if r := got.Record(3); !r.Passed {
		t.Errorf("the other process's record was lost: %+v", r)
	}

	// Damaged, twice in the same second: two files kept, neither lost.
	now := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)
	for i, junk := range []string{"{", "[["} {
		if err := os.WriteFile(path, []byte(junk), 0o600); err != nil {
			t.Fatal(err)
		}
		kept, err := SaveProgressOver(dir, mine, map[int]bool{1: true}, now)
		if err != nil || kept == "" {
			t.Fatalf("damaged file %d: %q %v", i, kept, err)
		}
		if b, _ := os.ReadFile(kept); string(b) != junk {
			t.Errorf("kept as %s: %q", kept, b)
		}
	}
	if kept, _ := filepath.Glob(path + ".unreadable-*"); len(kept) != 2 {
		t.Errorf("kept: %v", kept)
	}
	if got, err := LoadProgress(dir); err != nil || got.Record(1).Hints != 2 {
		t.Errorf("after the damaged file: %v %+v", err, got)
	}

	// A newer release's: neither read, nor moved, nor written over.
	newer := []byte(`{"version":2,"challenges":{}}`)
	if err := os.WriteFile(path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadProgress(dir); !errors.Is(err, ErrProgressNewer) {
		t.Errorf("a newer file reads as %v", err)
	}
	if _, err := SaveProgressOver(dir, mine, map[int]bool{1: true}, now); !errors.Is(err, ErrProgressNewer) {
		t.Errorf("saving over a newer file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(newer) {
		t.Errorf("the newer file was written over: %s", b)
	}
}

// TestProgressWritersConcurrent: the wizard (SaveProgressOver) and
// 'challenge check' in another terminal (UpdateProgress) save at once,
// round after round, each a record of its own: every record survives.
func TestProgressWritersConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const rounds = 30
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	wg.Add(2)
	go func() { // the wizard: its own copy, saved over the file
		defer wg.Done()
		mine := &ChallengeProgress{Challenges: map[int]*ChallengeRecord{}}
		for i := range rounds {
			mine.Record(1000 + i).Hints = 1
			if _, err := SaveProgressOver(dir, mine, map[int]bool{1000 + i: true}, time.Now()); err != nil {
				errs <- err
			}
		}
	}()
	go func() { // the command: one check a run
		defer wg.Done()
		for i := range rounds {
			if _, err := UpdateProgress(dir, func(p *ChallengeProgress) { p.Checked(2000+i, true, false, "d", time.Now()) }); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := LoadProgress(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lost []int
	for i := range rounds {
		if got.Challenges[1000+i] == nil {
			lost = append(lost, 1000+i)
		}
		if got.Challenges[2000+i] == nil {
			lost = append(lost, 2000+i)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d records lost: %v", len(lost), 2*rounds, lost)
	}
}
