// Package testtool lets tests depend on external tools (the AWS CLI, Python
// botocore, moto_server, skopeo, dig) without making a developer install them:
// a missing tool skips the test with a clear message, except under CI=true,
// where it fails it, so CI cannot silently test less.
package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// InCI reports whether CI=true is set.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test (or fails it under CI=true) because what is absent.
func Missing(t testing.TB, what, hint string) {
	t.Helper()
	msg := what + " is not available"
	if hint != "" {
		msg += " (" + hint + ")"
	}
	if InCI() {
		t.Fatalf("%s; CI=true requires it", msg)
	}
	t.Skipf("skipping: %s; set CI=true to make this a failure", msg)
}

// Require returns the path of an executable on PATH, or skips/fails.
func Require(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, hint)
	}
	return p
}

// RequirePath returns path when it is an executable file, or skips/fails.
func RequirePath(t testing.TB, path, hint string) string {
	t.Helper()
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		Missing(t, path, hint)
	}
	return path
}

// RequirePython returns a python3 that can import every module, or
// skips/fails.
func RequirePython(t testing.TB, hint string, modules ...string) string {
	t.Helper()
	py := Require(t, "python3", hint)
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			Missing(t, "python module "+m, hint)
		}
	}
	return py
}

var (
	labOnce sync.Once
	labPath string
	labErr  error
)

// LabBinary returns the ecr-vpce-lab program for tests that run it as a
// process: the one named by ECR_VPCE_LAB_BIN (a CI that has built it
// already), or one built once per test process, whichever test asks first.
// It is built with the go command's defaults, so it reuses what `go vet` and
// the other builds have compiled: no environment of its own, which would
// make the go command compile every dependency again.
func LabBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ECR_VPCE_LAB_BIN"); p != "" {
		return RequirePath(t, p, "ECR_VPCE_LAB_BIN names a binary that is not there")
	}
	labOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			labErr = fmt.Errorf("building ecr-vpce-lab needs the go command on PATH: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "ecr-vpce-lab-test-")
		if err != nil {
			labErr = err
			return
		}
		labDir = dir
		labPath = filepath.Join(dir, "ecr-vpce-lab")
		if out, err := exec.Command(goBin, "build", "-o", labPath, "ecr-vpce-lab").CombinedOutput(); err != nil {
			labErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if labErr != nil {
		t.Fatal(labErr)
	}
	return labPath
}

var labDir string

// Main runs a package's tests and then removes what LabBinary built: the
// TestMain of a package whose tests use LabBinary.
func Main(m *testing.M) {
	code := m.Run()
	if labDir != "" {
		_ = os.RemoveAll(labDir)
	}
	os.Exit(code)
}
