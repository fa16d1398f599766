package steps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"ecr-vpce-lab/internal/boundedread"
)

// A learner's progress through the challenges is kept beside the lab's
// state, in challenges.json: it outlives a teardown (the lab's own state
// goes with it) and is the same on AWS and on the sandbox.

// ChallengeRecord is where a learner stands on one challenge.
type ChallengeRecord struct {
	// Passed: a check passed by simulation; Live: and for real too.
	Passed   bool      `json:"passed,omitempty"`
	Live     bool      `json:"live,omitempty"`
	PassedAt time.Time `json:"passedAt,omitzero"`
	Attempts int       `json:"attempts,omitempty"`
	// Failed is set by a failed check: the model answer may then be shown.
	Failed bool `json:"failed,omitempty"`
	// Hints is how many hints were shown, one at a time.
	Hints int `json:"hints,omitempty"`
	// Draft is the learner's last policy.
	Draft string `json:"draft,omitempty"`
}

// Status is the record in a word: passed, passed live, tried, draft
// saved (written, not checked yet: not new to the learner), or new.
func (r ChallengeRecord) Status() string {
	switch {
	case r.Live:
		return "passed, live too"
	case r.Passed:
		return "passed"
	case r.Attempts > 0:
		return "tried"
	case r.Draft != "":
		return "draft saved"
	}
	return "new"
}

// ChallengeProgress is every record, by challenge.
type ChallengeProgress struct {
	Version    int                      `json:"version"`
	Challenges map[int]*ChallengeRecord `json:"challenges"`
}

// Record returns the record of a challenge (an empty one when none).
func (p *ChallengeProgress) Record(id int) *ChallengeRecord {
	if p.Challenges == nil {
		p.Challenges = map[int]*ChallengeRecord{}
	}
	r, ok := p.Challenges[id]
	if !ok {
		r = &ChallengeRecord{}
		p.Challenges[id] = r
	}
	return r
}

// NextHint reveals the next hint of a challenge and returns the hints
// shown so far (all of them once every one is out).
func (p *ChallengeProgress) NextHint(ch Challenge) []string {
	r := p.Record(ch.ID)
	if r.Hints < len(ch.Hints) {
		r.Hints++
	}
	return ch.Hints[:r.Hints]
}

// Hints are the hints shown so far.
func (p *ChallengeProgress) Hints(ch Challenge) []string {
	n := min(p.Record(ch.ID).Hints, len(ch.Hints))
	return ch.Hints[:n]
}

// Checked records a check's outcome.
func (p *ChallengeProgress) Checked(id int, passed, live bool, draft string, now time.Time) {
	r := p.Record(id)
	r.Attempts++
	r.Draft = draft
	if passed {
		if !r.Passed || (live && !r.Live) {
			r.PassedAt = now
		}
		r.Passed = true
		r.Live = r.Live || live
		return
	}
	r.Failed = true
}

// Clone is a copy that shares nothing with p: what a save writes while
// the learner goes on.
func (p *ChallengeProgress) Clone() *ChallengeProgress {
	out := &ChallengeProgress{Version: p.Version, Challenges: make(map[int]*ChallengeRecord, len(p.Challenges))}
	for id, r := range p.Challenges {
		if r != nil {
			c := *r
			out.Challenges[id] = &c
		}
	}
	return out
}

// SetDraft keeps the learner's draft of a challenge that was not checked
// (the editor closed, the challenge left), and reports whether it changed.
func (p *ChallengeProgress) SetDraft(id int, draft string) bool {
	r := p.Record(id)
	if r.Draft == draft {
		return false
	}
	r.Draft = draft
	return true
}

// ModelUnlocked reports whether the model answer may be shown: after a
// failed check, or once passed.
func (p *ChallengeProgress) ModelUnlocked(id int) bool {
	r := p.Record(id)
	return r.Failed || r.Passed
}

const progressVersion = 1

// progressLimit bounds challenges.json: eight drafts of at most 20 KiB.
const progressLimit = 1 << 20

// ProgressPath is where the progress of the state directory dir is kept.
func ProgressPath(dir string) string { return filepath.Join(dir, "challenges.json") }

// LoadProgress reads the progress (none yet is an empty one). A damaged
// file is an error that says how to start afresh.
func LoadProgress(dir string) (*ChallengeProgress, error) {
	p := &ChallengeProgress{Version: progressVersion, Challenges: map[int]*ChallengeRecord{}}
	b, err := boundedread.File(ProgressPath(dir), progressLimit)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p, nil
	case err != nil:
		return nil, &ProgressError{Path: ProgressPath(dir), Err: err, unread: true}
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, &ProgressError{Path: ProgressPath(dir), Err: err}
	}
	if p.Version > progressVersion {
		return nil, &ProgressError{Path: ProgressPath(dir), Err: fmt.Errorf("%w (version %d)", ErrProgressNewer, p.Version)}
	}
	if p.Challenges == nil {
		p.Challenges = map[int]*ChallengeRecord{}
	}
	return p, nil
}

// ErrProgressNewer is a progress file written by a newer release: this
// one must neither read nor overwrite it.
var ErrProgressNewer = errors.New("written by a newer ecr-vpce-lab")

// ProgressError is a progress file that cannot be read: Err says why
// (the wizard says it in its own words, with what it did about it).
type ProgressError struct {
	Path string
	Err  error
	// unread: the file could not be read at all (not its content).
	unread bool
}

func (e *ProgressError) Error() string {
	switch {
	case e.unread:
		return "the challenges' progress: " + e.Err.Error()
	case errors.Is(e.Err, ErrProgressNewer):
		return fmt.Sprintf("%s: %v: use that release, or move it away to start the challenges afresh", e.Path, e.Err)
	}
	return fmt.Sprintf("%s cannot be read (%v): move it away to start the challenges afresh", e.Path, e.Err)
}

func (e *ProgressError) Unwrap() error { return e.Err }

// SetAsideProgress keeps a progress file that cannot be read under a name
// of its own beside it (challenges.json.unreadable-20261130-164501), so
// that a fresh one can be saved without overwriting it, and returns that
// name.
func SetAsideProgress(dir string, now time.Time) (string, error) {
	from := ProgressPath(dir)
	base := from + ".unreadable-" + now.UTC().Format("20060102-150405")
	to := base
	// Never over one set aside before (any error but "exists" is the
	// rename's to say).
	for i := 2; ; i++ {
		if _, err := os.Lstat(to); err != nil {
			break
		}
		to = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(from, to); err != nil {
		return "", err
	}
	return to, nil
}

// Every change to challenges.json is a read-modify-write: the wizard and
// 'ecr-vpce-lab challenge' in another terminal may save at once, so each
// holds the progress lock (an flock on challenges.json.lock) from its read
// to its rename, and neither loses the other's record.

// progressLockWait bounds the wait for another process's save, which
// holds the lock for one small read and write.
const progressLockWait = 10 * time.Second

// ProgressLockedError: another process held the progress lock for longer
// than any save takes.
type ProgressLockedError struct{ Path string }

func (e *ProgressLockedError) Error() string {
	return "another ecr-vpce-lab process is saving the challenges' progress and has not finished (" + e.Path + "): try again once it has, or stop it"
}

// lockProgress takes the progress lock of dir, waiting for another
// process's save to finish. The returned function releases it.
func lockProgress(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := ProgressPath(dir) + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(progressLockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, err
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			return nil, &ProgressLockedError{Path: path}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// SaveProgress writes the progress atomically, mode 0600, under the
// progress lock.
func SaveProgress(dir string, p *ChallengeProgress) error {
	unlock, err := lockProgress(dir)
	if err != nil {
		return err
	}
	defer unlock()
	return saveProgress(dir, p)
}

// saveProgress writes the progress; the caller holds the lock.
func saveProgress(dir string, p *ChallengeProgress) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// Only the challenges the learner touched: Record makes empty ones.
	out := ChallengeProgress{Version: progressVersion, Challenges: map[int]*ChallengeRecord{}}
	for id, r := range p.Challenges {
		if r != nil && *r != (ChallengeRecord{}) {
			out.Challenges[id] = r
		}
	}
	p.Version = progressVersion
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(ProgressPath(dir), append(b, '\n'), 0o600)
}

// UpdateProgress applies change to the progress on disk and saves it,
// under the progress lock, and returns what it saved: what a command
// that changes one record uses, so a record saved since it first read
// the file is kept. A file that cannot be read is an error (LoadProgress's,
// which says how to start afresh); nothing is written then.
func UpdateProgress(dir string, change func(*ChallengeProgress)) (*ChallengeProgress, error) {
	unlock, err := lockProgress(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := LoadProgress(dir)
	if err != nil {
		return nil, err
	}
	change(p)
	return p, saveProgress(dir, p)
}

// SaveProgressOver saves the records of the challenges in mine, from p,
// over the progress on disk, which keeps every other record: a check
// made meanwhile by another process (ecr-vpce-lab challenge check) is not
// lost to a wizard that read the file earlier. A file written by a newer
// release is left alone (ErrProgressNewer); one that cannot be read is
// set aside first, and keptAs names it.
func SaveProgressOver(dir string, p *ChallengeProgress, mine map[int]bool, now time.Time) (keptAs string, err error) {
	unlock, err := lockProgress(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	out, err := LoadProgress(dir)
	switch {
	case errors.Is(err, ErrProgressNewer):
		return "", err
	case err != nil:
		// A file that is there but cannot be read is kept; a path that
		// cannot be reached at all is for the save to report.
		if _, serr := os.Lstat(ProgressPath(dir)); serr == nil {
			if keptAs, err = SetAsideProgress(dir, now); err != nil {
				return "", err
			}
		}
		out = &ChallengeProgress{Challenges: map[int]*ChallengeRecord{}}
	}
	for id := range mine {
		if r := p.Challenges[id]; r != nil {
			c := *r
			out.Challenges[id] = &c
		}
	}
	return keptAs, saveProgress(dir, out)
}

// Progress reads the learner's progress kept beside the lab's state.
func (l *Lab) Progress() (*ChallengeProgress, error) { return LoadProgress(l.store.Dir) }

// SetAsideProgress keeps an unreadable progress file beside the lab's
// state under a name of its own (SetAsideProgress).
func (l *Lab) SetAsideProgress(now time.Time) (string, error) {
	return SetAsideProgress(l.store.Dir, now)
}

// SaveProgressOver saves what the learner changed over the progress kept
// beside the lab's state (SaveProgressOver).
func (l *Lab) SaveProgressOver(p *ChallengeProgress, mine map[int]bool, now time.Time) (string, error) {
	return SaveProgressOver(l.store.Dir, p, mine, now)
}

// SaveProgress keeps the learner's progress beside the lab's state.
func (l *Lab) SaveProgress(p *ChallengeProgress) error { return SaveProgress(l.store.Dir, p) }

// ChallengeContext is what the challenges' policies refer to in this lab.
func (l *Lab) ChallengeContext() ChallengeContext { return NewChallengeContext(l.State()) }

// LabUp reports whether both ECR endpoints exist, so a check can go for
// real.
func (st State) LabUp() bool {
	return st.Endpoints[EndpointDKR] != nil && st.Endpoints[EndpointAPI] != nil
}
