// Package testtool lets tests depend on external tools (the AWS CLI, Python
// botocore, moto_server, skopeo, dig) without making a developer install them:
// a missing tool skips the test with a clear message, except under CI=true,
// where it fails it, so CI cannot silently test less.
package testtool

import (
	"os"
	"os/exec"
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
