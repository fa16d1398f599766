package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"ecr-vpce-lab/internal/atomicfile"
	"ecr-vpce-lab/internal/boundedread"
)

// The lab's own shell instructions keep their IDs in ~/.ecr_security as
// `export NAME=value` lines. The lab writes the same lines, marked with a
// trailing comment so it only ever rewrites or removes its own. Everything
// else in the file is the user's and is kept byte for byte: the lab's lines
// go after it, a missing final newline stays missing, a symbolic link (a
// dotfiles manager's) stays a link and its target is written instead.

// Lab variable names, as the workshop's instructions spell them.
const (
	VarSecurityGroup = "VPCE_SG_ID"
	VarRule          = "SG_RULE_ID"
	VarDKR           = "DKR_VPCE_ID"
	VarAPI           = "API_VPCE_ID"
	VarS3            = "S3_VPCE_ID"
)

const envMarker = "# ecr-vpce-lab run="

// envLimit bounds ~/.ecr_security: a handful of export lines in practice.
const envLimit = 1 << 20

// DefaultEnvFile is ~/.ecr_security.
func DefaultEnvFile() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".ecr_security"), nil
}

// EnvFile is the workshop's ~/.ecr_security.
type EnvFile struct {
	Path string
	// CreatedByLab says the file did not exist before the lab wrote to it:
	// removing the lab's lines then removes the file, when nothing else was
	// added to it, so the lab leaves behind no file that was not there.
	CreatedByLab bool
	// Home is the user's home directory ($HOME when empty): a link leading
	// out of it is followed, and the caller is told (EnvTarget.Outside).
	Home string
}

// EnvTarget is where the file's bytes live.
type EnvTarget struct {
	// Path is the file written: Path itself, or the end of its links.
	Path string `json:"path"`
	// Link says the file is a symbolic link (to Path).
	Link bool `json:"link,omitempty"`
	// Outside says the link leads out of the user's home directory.
	Outside bool `json:"outside,omitempty"`
	// Exists is false when the lab would create the file.
	Exists bool `json:"exists"`
	mode   os.FileMode
}

// EnvWrite says what a Set did.
type EnvWrite struct {
	Target EnvTarget
	// Created says the file did not exist before.
	Created bool
}

// EnvFileError is a ~/.ecr_security the lab cannot use.
type EnvFileError struct {
	Path string
	Err  error
}

func (e *EnvFileError) Error() string { return e.Err.Error() }
func (e *EnvFileError) Unwrap() error { return e.Err }

// Fix says what to do about it.
func (e *EnvFileError) Fix() string {
	var nr *boundedread.NotRegularError
	var tl *boundedread.TooLargeError
	switch {
	case errors.As(e.Err, &nr):
		return "the lab keeps its IDs in " + e.Path + " as export lines: move that away (or make it a regular file, or a link to one) and run again"
	case errors.As(e.Err, &tl):
		return "the lab's file holds only a few export lines: check what " + e.Path + " is, and move it away"
	}
	return "check that " + e.Path + " and its directory are writable"
}

// Check says whether the lab can keep its lines in the file: nil when it is
// a regular file (or a link to one, or missing) of a sane size. Commands
// that will write it call this before they create anything.
func (f EnvFile) Check() error {
	if f.Path == "" {
		return nil
	}
	t, _, err := f.load()
	if err != nil {
		return err
	}
	// A save writes a new file beside the target and renames it over: a
	// directory that takes no new file (a read-only home) would fail it
	// after the first resource is made.
	dir := filepath.Dir(t.Path)
	if err := atomicfile.CanCreate(dir, filepath.Base(t.Path)); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &EnvFileError{Path: f.Path, Err: fmt.Errorf("cannot write %s: nothing can be created in %s (%w)", t.Path, dir, err)}
	}
	return nil
}

// Resolve follows the file's symbolic links to the file that holds its
// bytes. A pipe, device, socket or directory there is refused.
func (f EnvFile) Resolve() (EnvTarget, error) {
	t := EnvTarget{Path: f.Path}
	p := f.Path
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			// Missing, or a link to a file not made yet: written there.
			t.Path = p
			t.Outside = t.Link && f.outside(p)
			return t, nil
		}
		if err != nil {
			return t, &EnvFileError{Path: f.Path, Err: err}
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			dest, err := os.Readlink(p)
			if err != nil {
				return t, &EnvFileError{Path: f.Path, Err: err}
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(p), dest)
			}
			t.Link, p = true, dest
			continue
		}
		if !fi.Mode().IsRegular() {
			name := f.Path
			if p != f.Path {
				name = f.Path + " (a link to " + p + ")"
			}
			return t, &EnvFileError{Path: f.Path, Err: &boundedread.NotRegularError{Name: name, Mode: fi.Mode()}}
		}
		t.Path, t.Exists, t.mode = p, true, fi.Mode().Perm()
		t.Outside = t.Link && f.outside(p)
		return t, nil
	}
	return t, &EnvFileError{Path: f.Path, Err: fmt.Errorf("%s: too many levels of symbolic links", f.Path)}
}

// outside reports whether p is out of the user's home directory, both
// compared with their links resolved (the home itself may be a link).
func (f EnvFile) outside(p string) bool {
	home := f.Home
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return true
		}
		home = h
	}
	if h, err := filepath.EvalSymlinks(home); err == nil {
		home = h
	}
	dir := filepath.Dir(p)
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	rel, err := filepath.Rel(home, filepath.Join(dir, filepath.Base(p)))
	return err != nil || rel == ".." || strings.HasPrefix(rel, "../")
}

// envText is one line of the file: its bytes, and whether a newline ended it.
type envText struct {
	text string
	nl   bool
}

// ourLine is one of the lab's export lines.
type ourLine struct{ name, value, run string }

func (o ourLine) String() string { return "export " + o.name + "=" + o.value + " " + envMarker + o.run }

// envDoc is the file split into the user's lines, kept as they are, and
// the lab's.
type envDoc struct {
	user []envText
	ours []ourLine
}

// parseEnv splits the file's bytes. When the lab's lines close a file that
// does not end in a newline, the newline before them is the lab's (see
// render), and the user's last line gets its missing newline back.
func parseEnv(b []byte) envDoc {
	var d envDoc
	s := string(b)
	lastOurs := false
	for s != "" {
		l := envText{text: s}
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			l = envText{text: s[:i], nl: true}
			s = s[i+1:]
		} else {
			s = ""
		}
		if name, ours, run := envLine(l.text); ours {
			d.ours = append(d.ours, ourLine{name: name, value: ourValue(l.text), run: run})
			lastOurs = !l.nl
			continue
		}
		d.user = append(d.user, l)
		lastOurs = false
	}
	if lastOurs && len(d.user) > 0 {
		d.user[len(d.user)-1].nl = false
	}
	return d
}

// render writes the user's lines as they were, then the lab's. After a
// last line with no newline, the lab's lines start with one and the file
// still ends without one, so parseEnv can give the user's bytes back.
func (d envDoc) render() []byte {
	var b strings.Builder
	for _, l := range d.user {
		b.WriteString(l.text)
		if l.nl {
			b.WriteByte('\n')
		}
	}
	open := len(d.user) > 0 && !d.user[len(d.user)-1].nl
	for i, o := range d.ours {
		if open && i == 0 {
			b.WriteByte('\n')
		}
		b.WriteString(o.String())
		if !open || i < len(d.ours)-1 {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// envLine returns the variable an export line sets, whether the line is
// one of ours, and the run it belongs to.
func envLine(line string) (name string, ours bool, run string) {
	t := strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(t, "export ")
	if !ok {
		return "", false, ""
	}
	name, _, _ = strings.Cut(rest, "=")
	if i := strings.Index(t, envMarker); i >= 0 {
		return strings.TrimSpace(name), true, strings.TrimSpace(t[i+len(envMarker):])
	}
	return strings.TrimSpace(name), false, ""
}

// ourValue is the value one of our lines sets.
func ourValue(line string) string {
	t := strings.TrimSpace(line)
	if i := strings.Index(t, envMarker); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	_, v, _ := strings.Cut(strings.TrimPrefix(t, "export "), "=")
	return v
}

// load resolves the file and reads it, bounded.
func (f EnvFile) load() (EnvTarget, envDoc, error) {
	t, err := f.Resolve()
	if err != nil || !t.Exists {
		return t, envDoc{}, err
	}
	b, err := boundedread.File(t.Path, envLimit)
	if err != nil {
		return t, envDoc{}, &EnvFileError{Path: f.Path, Err: err}
	}
	return t, parseEnv(b), nil
}

// save writes d to the file's target, atomically in the target's own
// directory, keeping its mode (0600 for a new file). A file the lab
// created that holds nothing but the lab's lines is removed once they are.
func (f EnvFile) save(t EnvTarget, d envDoc) error {
	data := d.render()
	if len(data) == 0 && f.CreatedByLab && t.Exists {
		if err := os.Remove(t.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &EnvFileError{Path: f.Path, Err: err}
		}
		return nil
	}
	mode := t.mode
	if !t.Exists {
		mode = 0o600
		if !t.Link {
			if err := os.MkdirAll(filepath.Dir(t.Path), 0o700); err != nil {
				return &EnvFileError{Path: f.Path, Err: err}
			}
		}
	}
	if err := atomicfile.Write(t.Path, data, mode); err != nil {
		return &EnvFileError{Path: f.Path, Err: err}
	}
	return nil
}

// Set writes our lines for vars: our earlier lines for the same names (of
// any run) are replaced; every other line is kept as it was.
func (f EnvFile) Set(runID string, vars map[string]string) (EnvWrite, error) {
	set := map[string]string{}
	for n, v := range vars {
		if v != "" {
			set[n] = v
		}
	}
	if f.Path == "" || len(set) == 0 {
		return EnvWrite{}, nil
	}
	for n, v := range set {
		if !safeValue(v) || !safeValue(n) {
			return EnvWrite{}, fmt.Errorf("refusing to write %s=%q to %s: only letters, digits and -_.:/ are safe in a shell file", n, v, f.Path)
		}
	}
	t, d, err := f.load()
	if err != nil {
		return EnvWrite{}, err
	}
	kept := d.ours[:0:0]
	for _, o := range d.ours {
		if _, dup := set[o.name]; !dup {
			kept = append(kept, o)
		}
	}
	for n, v := range set {
		kept = append(kept, ourLine{name: n, value: v, run: runID})
	}
	// Our lines stay together at the end, in the lab's order.
	sort.SliceStable(kept, func(i, j int) bool {
		if varOrder(kept[i].name) != varOrder(kept[j].name) {
			return varOrder(kept[i].name) < varOrder(kept[j].name)
		}
		return kept[i].name < kept[j].name
	})
	d.ours = kept
	if err := f.save(t, d); err != nil {
		return EnvWrite{}, err
	}
	return EnvWrite{Target: t, Created: !t.Exists}, nil
}

// safeValue reports whether v can sit unquoted in a shell export line
// (AWS IDs always can); "" means "leave out".
func safeValue(v string) bool {
	return strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/") == ""
}

func varOrder(n string) int {
	for i, v := range []string{VarSecurityGroup, VarRule, VarDKR, VarAPI, VarS3} {
		if v == n {
			return i
		}
	}
	return 99
}

// remove deletes our lines for which drop is true.
func (f EnvFile) remove(drop func(ourLine) bool) (removed int, err error) {
	if f.Path == "" {
		return 0, nil
	}
	t, d, err := f.load()
	if err != nil || !t.Exists {
		return 0, err
	}
	kept := d.ours[:0:0]
	for _, o := range d.ours {
		if drop(o) {
			removed++
			continue
		}
		kept = append(kept, o)
	}
	if removed == 0 {
		return 0, nil
	}
	d.ours = kept
	return removed, f.save(t, d)
}

// Remove deletes our lines of run runID (every run's when runID is empty),
// keeping every other line. A missing file is fine.
func (f EnvFile) Remove(runID string) (removed int, err error) {
	return f.remove(func(o ourLine) bool { return runID == "" || o.run == runID })
}

// RemoveVars deletes our lines of run runID that set one of names.
func (f EnvFile) RemoveVars(runID string, names ...string) (removed int, err error) {
	if len(names) == 0 {
		return 0, nil
	}
	return f.remove(func(o ourLine) bool { return o.run == runID && slices.Contains(names, o.name) })
}

// Runs lists the run ids our lines belong to.
func (f EnvFile) Runs() ([]string, error) {
	_, d, err := f.load()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, o := range d.ours {
		if o.run != "" && !seen[o.run] {
			seen[o.run] = true
			out = append(out, o.run)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Ours returns our variables of run runID currently in the file.
func (f EnvFile) Ours(runID string) (map[string]string, error) {
	_, d, err := f.load()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, o := range d.ours {
		if runID == "" || o.run == runID {
			out[o.name] = o.value
		}
	}
	return out, nil
}
