package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The lab's own shell instructions keep their IDs in ~/.ecr_security as
// `export NAME=value` lines. The lab writes the same lines, marked with a
// trailing comment so it only ever rewrites or removes its own.

// Lab variable names, as the workshop's instructions spell them.
const (
	VarSecurityGroup = "VPCE_SG_ID"
	VarRule          = "SG_RULE_ID"
	VarDKR           = "DKR_VPCE_ID"
	VarAPI           = "API_VPCE_ID"
	VarS3            = "S3_VPCE_ID"
)

const envMarker = "# ecr-vpce-lab run="

// DefaultEnvFile is ~/.ecr_security.
func DefaultEnvFile() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".ecr_security"), nil
}

// EnvFile is the workshop's ~/.ecr_security.
type EnvFile struct{ Path string }

// envName returns the variable an export line sets, and whether the line
// is one of ours.
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

func (f EnvFile) read() ([]string, os.FileMode, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0o600, nil
	}
	if err != nil {
		return nil, 0, err
	}
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(f.Path); err == nil {
		mode = fi.Mode().Perm()
	}
	s := string(b)
	if s == "" {
		return nil, mode, nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n"), mode, nil
}

func (f EnvFile) write(lines []string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return err
	}
	data := ""
	if len(lines) > 0 {
		data = strings.Join(lines, "\n") + "\n"
	}
	return writeFileAtomic(f.Path, []byte(data), mode)
}

// Set writes our lines for vars: our earlier lines for the same names (of
// any run) are replaced; every other line is kept as it was.
func (f EnvFile) Set(runID string, vars map[string]string) error {
	set := map[string]string{}
	for n, v := range vars {
		if v != "" {
			set[n] = v
		}
	}
	vars = set
	if f.Path == "" || len(vars) == 0 {
		return nil
	}
	for n, v := range vars {
		if !safeValue(v) || !safeValue(n) {
			return fmt.Errorf("refusing to write %s=%q to %s: only letters, digits and -_.:/ are safe in a shell file", n, v, f.Path)
		}
	}
	lines, mode, err := f.read()
	if err != nil {
		return err
	}
	// Our lines stay together at the end, in the lab's order.
	var kept []string
	ourVals := map[string]string{}
	ourRun := map[string]string{}
	for _, l := range lines {
		name, ours, run := envLine(l)
		if !ours {
			kept = append(kept, l)
			continue
		}
		if _, dup := vars[name]; dup {
			continue
		}
		t := strings.TrimSpace(l)
		t = strings.TrimSpace(t[:strings.Index(t, envMarker)])
		_, v, _ := strings.Cut(strings.TrimPrefix(t, "export "), "=")
		ourVals[name], ourRun[name] = v, run
	}
	for n, v := range vars {
		if v != "" {
			ourVals[n], ourRun[n] = v, runID
		}
	}
	names := make([]string, 0, len(ourVals))
	for n := range ourVals {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if varOrder(names[i]) != varOrder(names[j]) {
			return varOrder(names[i]) < varOrder(names[j])
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		kept = append(kept, "export "+n+"="+ourVals[n]+" "+envMarker+ourRun[n])
	}
	return f.write(kept, mode)
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

// Remove deletes our lines of run runID (every run's when runID is empty),
// keeping every other line. A missing file is fine.
func (f EnvFile) Remove(runID string) (removed int, err error) {
	if f.Path == "" {
		return 0, nil
	}
	lines, mode, err := f.read()
	if err != nil || lines == nil {
		return 0, err
	}
	var kept []string
	for _, l := range lines {
		if _, ours, run := envLine(l); ours && (runID == "" || run == runID) {
			removed++
			continue
		}
		kept = append(kept, l)
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, f.write(kept, mode)
}

// RemoveVars deletes our lines of run runID that set one of names.
func (f EnvFile) RemoveVars(runID string, names ...string) (removed int, err error) {
	if f.Path == "" || len(names) == 0 {
		return 0, nil
	}
	lines, mode, err := f.read()
	if err != nil || lines == nil {
		return 0, err
	}
	var kept []string
	for _, l := range lines {
		if name, ours, run := envLine(l); ours && run == runID && containsStr(names, name) {
			removed++
			continue
		}
		kept = append(kept, l)
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, f.write(kept, mode)
}

// Runs lists the run ids our lines belong to.
func (f EnvFile) Runs() ([]string, error) {
	lines, _, err := f.read()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		if _, ours, run := envLine(l); ours && run != "" && !seen[run] {
			seen[run] = true
			out = append(out, run)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Ours returns our variables of run runID currently in the file.
func (f EnvFile) Ours(runID string) (map[string]string, error) {
	lines, _, err := f.read()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range lines {
		if name, ours, run := envLine(l); ours && (runID == "" || run == runID) {
			t := strings.TrimSpace(l)
			if i := strings.Index(t, envMarker); i >= 0 {
				t = strings.TrimSpace(t[:i])
			}
			_, v, _ := strings.Cut(strings.TrimPrefix(t, "export "), "=")
			out[name] = v
		}
	}
	return out, nil
}
