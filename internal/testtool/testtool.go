// Package testtool lets tests depend on external tools (the AWS CLI, Python
// botocore, moto_server, skopeo, dig) without making a developer install them:
// a missing tool skips the test with a clear message, except under CI=true,
// where it fails it, so CI cannot silently test less.
package testtool

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
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

// AWSCLI returns the AWS CLI on PATH, or skips/fails. When that is a pyenv
// shim (a bash script that runs `pyenv exec aws`: two more bash processes
// at every call, about 0.04 CPU-s each time), it returns the executable the
// shim runs, asked of pyenv once; the same CLI, started directly.
func AWSCLI(t testing.TB, hint string) string {
	t.Helper()
	p := Require(t, "aws", hint)
	if real := unshim(p); real != "" {
		return real
	}
	return p
}

// pyenvShim matches the line of a pyenv shim that runs the program.
var pyenvShim = regexp.MustCompile(`(?m)^export PYENV_ROOT="([^"]+)"$[\s\S]*^exec "([^"]+/libexec/pyenv)" exec "\$program"`)

// unshim returns the executable the pyenv shim at p runs, or "" when p is
// not a pyenv shim or pyenv cannot say.
func unshim(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	f.Close()
	m := pyenvShim.FindSubmatch(head[:n])
	if m == nil {
		return ""
	}
	cmd := exec.Command(string(m[2]), "which", filepath.Base(p))
	cmd.Env = append(os.Environ(), "PYENV_ROOT="+string(m[1]))
	out, err := cmd.Output()
	real := strings.TrimSpace(string(out))
	if err != nil || !filepath.IsAbs(real) {
		return ""
	}
	return real
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

// startEnv is the environment before any test changed it.
var startEnv = os.Environ()

var (
	// programs holds one build a program package, shared by the test
	// process's tests.
	programs sync.Map // package path -> *program
	// binDir holds the programs built for this test process; Main creates
	// it and removes it when the tests are done.
	binDir string
)

type program struct {
	once sync.Once
	path string
	err  error
}

// Main runs a package's tests for packages whose tests call Program, and
// removes the programs built for them afterwards. It also lets the
// programs the tests start end without the race detector's exit sleep
// (ProgramGORACE), collects garbage less often (FewerCollections), and
// lets more parallel tests wait at once (MoreParallelTests). Use it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testtool.Main(m)) }
func Main(m *testing.M) int {
	TempInMemory()
	dir, err := os.MkdirTemp("", "ecr-vpce-lab-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testtool:", err)
		return 1
	}
	binDir = dir
	defer os.RemoveAll(dir)
	if raceBuild && os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", noExitSleep+" log_path="+filepath.Join(dir, raceLog))
	}
	FewerCollections()
	MoreParallelTests()
	code := m.Run()
	if reports := programRaces(dir); reports != "" {
		fmt.Fprintf(os.Stderr, "testtool: a program these tests started found a data race:\n%s", reports)
		code = max(code, 1)
	}
	return code
}

// raceLog names the files (raceLog.PID, in Main's directory) where the
// programs the tests start write their race reports: a report then reads
// whole whatever the test does with the program's output (a terminal
// emulator's screen keeps only what fits, a test that stops its program
// may not read it at all), and Main fails the package on it even when no
// test looked at the program's exit status.
const raceLog = "race"

// programRaces is the race reports the programs left in dir, "" for none.
func programRaces(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, raceLog+".*"))
	var b strings.Builder
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil && len(data) > 0 {
			fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), data)
		}
	}
	return b.String()
}

// fewerCollections is GOGC for test processes and the programs they
// start. Under -race the tests allocate much and live briefly: collecting
// a quarter as often saved about 5 % of the suite's CPU (162 → 155 CPU-s,
// go test -race ./... warm, 2 cores), for memory the tests have to spare.
// The collector still runs, so nothing it would catch goes unseen.
const fewerCollections = "400"

// FewerCollections sets GOGC for this test process and, through the
// environment, the programs it starts; a GOGC already set wins. Call it
// from TestMain (Main does).
func FewerCollections() {
	if os.Getenv("GOGC") != "" {
		return
	}
	os.Setenv("GOGC", fewerCollections)
	n, _ := strconv.Atoi(fewerCollections)
	debug.SetGCPercent(n)
}

// noExitSleep is GORACE for the programs a -race test starts: a -race
// program sleeps a second on its way out by default (so its goroutines can
// report), and every lab command a test runs would pay it. Races found are
// still reported (Main adds where) and still fail the program.
const noExitSleep = "atexit_sleep_ms=0"

// TempInMemory points the process's temporary files (t.TempDir, and those
// of the programs its tests start, which inherit TMPDIR) at /dev/shm, a
// memory file system, where there is one with room and TMPDIR does not
// already say where they go. The tests save state files as the lab does,
// each with two fsyncs, a create and a rename: on a disk's journal that
// was 2-3 CPU-s of kernel time in each of the biggest packages, and
// nothing a test checks. Call it from TestMain before anything makes a
// temporary file (Main does).
func TempInMemory() {
	if os.Getenv("TMPDIR") != "" {
		return
	}
	if dir := memoryTemp(); dir != "" {
		_ = os.Setenv("TMPDIR", dir)
	}
}

// ProgramGORACE is the GORACE setting, as an environment entry, for a
// program a test starts with an environment of its own: this process's
// GORACE when one is set, else, under -race, no exit sleep; nothing for a
// build without the race detector.
func ProgramGORACE() []string {
	if g, ok := os.LookupEnv("GORACE"); ok {
		return []string{"GORACE=" + g}
	}
	if raceBuild {
		return []string{"GORACE=" + noExitSleep}
	}
	return nil
}

// MoreParallelTests lets twice as many parallel tests run at once as there
// are cores (at least 4), for a package whose tests mostly wait (on
// programs, sandboxes, a program's quiet moments) rather than compute;
// -test.parallel, when given, wins. Call it from TestMain before m.Run.
func MoreParallelTests() {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if p := flag.Lookup("test.parallel"); p != nil && !given {
		_ = p.Value.Set(strconv.Itoa(max(4, 2*runtime.GOMAXPROCS(0))))
	}
}

// LabBinary returns the ecr-vpce-lab program for tests that run it as a
// process: the one named by ECR_VPCE_LAB_BIN (a CI that has built it
// already), or the one Program builds.
func LabBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ECR_VPCE_LAB_BIN"); p != "" {
		return RequirePath(t, p, "ECR_VPCE_LAB_BIN names a binary that is not there")
	}
	return Program(t, "ecr-vpce-lab")
}

// Program returns the path of a program the tests run as a process: this
// module's (ecr-vpce-lab) or a tool go.mod lists, named by its package
// path. It is built with the same build flags as the tests themselves,
// and linked once for all test processes (see buildRace). Under -race that
// is a -race build: every
// package of the standard library and of the module it shares with the
// tests was compiled for the test binaries already, so only its own
// packages and the link are new work, where a program built with the
// defaults would compile all of them a second time (ec2-metadata-mock
// alone: 31 CPU-s from an empty build cache, against about 6). Without
// -race it is the build `go tool -n` names, which the go command keeps in
// its cache for the next package and the next run.
func Program(t testing.TB, pkg string) string {
	t.Helper()
	if raceBuild && binDir == "" {
		t.Fatal("testtool.Program needs the package's TestMain to call testtool.Main, which removes the programs it builds")
	}
	v, _ := programs.LoadOrStore(pkg, new(program))
	p := v.(*program)
	p.once.Do(func() {
		if raceBuild {
			p.path, p.err = buildRace(binDir, pkg)
			return
		}
		p.path, p.err = goTool(pkg)
	})
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p.path
}

// buildRace builds the program pkg with -race into dir. `go run` keeps
// the program it links in the build cache, where `go build -o` links it
// again for every test process that asks (1.4 CPU-s each): so the program
// is linked by `go run`, which hands it to cp to put in dir, and the next
// test process (this package's or another's, now or in the next run)
// copies it from the cache for 0.25 CPU-s. Test processes of one module
// take turns (lockBuilds), so that two that start together do not both
// link it.
func buildRace(dir, pkg string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s needs the go command on PATH: %v", pkg, err)
	}
	cp, err := exec.LookPath("cp")
	if err != nil {
		return "", fmt.Errorf("building %s needs cp on PATH: %v", pkg, err)
	}
	out := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command(goBin, "run", "-race", "-exec", cp, pkg, out)
	// The environment the test process started with: a test that has
	// already pointed HOME at a temp dir (t.Setenv) would otherwise send
	// the go command to an empty build cache and module cache under it,
	// and the build would take minutes and download modules.
	cmd.Env = startEnv
	unlock := lockBuilds()
	msg, err := cmd.CombinedOutput()
	unlock()
	if err != nil {
		return "", fmt.Errorf("building %s with -race: %v\n%s", pkg, err, msg)
	}
	return out, nil
}

// goTool builds (or finds in the go command's cache) a program that go.mod
// lists as a tool and returns its path. With an empty module cache the go
// command first reports its downloads on standard error; the path is the
// last line of standard output.
func goTool(pkg string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s needs the go command on PATH: %v", pkg, err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(goBin, "tool", "-n", pkg)
	cmd.Env = startEnv // see buildRace
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n %s: %v\n%s%s", pkg, err, out, stderr.Bytes())
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return "", fmt.Errorf("go tool -n %s printed no path:\n%s", pkg, stderr.Bytes())
	}
	return lines[len(lines)-1], nil
}
