package arrows

import (
	"bufio"
	"fmt"
	"go/build"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// pkg is one package of the module with what its files import.
type pkg struct {
	path string // import path
	// imports maps an import path to the first file that imports it, for
	// the package's own files and for its tests (both kinds of _test.go).
	imports, testImports map[string]string
}

// load reads every package of the module under root, honouring build
// constraints as the go command does.
func load(t *testing.T) (module string, pkgs map[string]*pkg) {
	t.Helper()
	root, module := moduleRoot(t)
	pkgs = map[string]*pkg{}
	err := filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); dir != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			return filepath.SkipDir
		}
		bp, err := build.Default.ImportDir(dir, 0)
		if err != nil {
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			return fmt.Errorf("%s: %w", dir, err)
		}
		rel, _ := filepath.Rel(root, dir)
		path := module
		if rel != "." {
			path += "/" + filepath.ToSlash(rel)
		}
		p := &pkg{path: path, imports: map[string]string{}, testImports: map[string]string{}}
		where := func(m map[string]string, positions map[string][]token.Position) {
			for imp, pos := range positions {
				if len(pos) > 0 {
					f, _ := filepath.Rel(root, pos[0].Filename)
					m[imp] = f
				}
			}
		}
		where(p.imports, bp.ImportPos)
		where(p.testImports, bp.TestImportPos)
		where(p.testImports, bp.XTestImportPos)
		pkgs[path] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 5 {
		t.Fatalf("found only %d packages under %s", len(pkgs), root)
	}
	return module, pkgs
}

func moduleRoot(t *testing.T) (string, string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			t.Fatalf("%s/go.mod names no module", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

func isSDK(imp string) bool {
	return strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(imp, "github.com/aws/smithy-go")
}

// TestArrows checks the rules of DESIGN.md's package map. Each failure says
// which file breaks which rule and where the thing it wanted lives.
func TestArrows(t *testing.T) {
	module, pkgs := load(t)
	name := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }
	var paths []string
	for p := range pkgs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	awsops, steps, ui, sandbox, policy := module+"/awsops", module+"/steps", module+"/ui", module+"/sandbox", module+"/policy"
	cli := module + "/internal/cli"
	for _, want := range []string{awsops, steps, ui, sandbox, policy, cli} {
		if pkgs[want] == nil {
			t.Fatalf("package %s is missing: update this test with DESIGN.md", name(want))
		}
	}

	// internal/ec2query is awsops' EC2 client (the SDK's service/ec2 is too
	// big to compile for the calls the lab makes): it stands behind awsops
	// as the SDK does, and is built on the SDK alone.
	ec2query := module + "/internal/ec2query"
	for _, want := range []string{ec2query, ec2query + "/types"} {
		if pkgs[want] == nil {
			t.Fatalf("package %s is missing: update this test with DESIGN.md", name(want))
		}
	}
	for _, p := range paths {
		pk := pkgs[p]
		// Only awsops talks to AWS: the SDK and smithy stay behind it. Tests
		// may use the SDK as an independent client (the sandbox's
		// conformance tests do), and so may they use internal/ec2query.
		if p != awsops && !strings.HasPrefix(p, ec2query) {
			for imp, file := range pk.imports {
				if isSDK(imp) {
					t.Errorf("%s imports %s: only awsops may use the AWS SDK; add what you need to awsops and call it through steps", file, imp)
				}
				if strings.HasPrefix(imp, ec2query) {
					t.Errorf("%s imports %s: only awsops calls EC2; add what you need to awsops and call it through steps", file, name(imp))
				}
			}
		}
		if strings.HasPrefix(p, ec2query) {
			for imp, file := range pk.imports {
				if strings.HasPrefix(imp, module+"/") && imp != ec2query+"/types" {
					t.Errorf("%s imports %s: internal/ec2query is built on the SDK alone", file, name(imp))
				}
			}
		}
		// Nothing imports the ui but the command package.
		if p != cli && p != ui {
			for _, m := range []map[string]string{pk.imports, pk.testImports} {
				if file, ok := m[ui]; ok {
					t.Errorf("%s imports ui: only internal/cli starts the wizard", file)
				}
			}
		}
	}

	// The ui gets what it shows from steps (its domain types included, see
	// steps/domain.go) and policy; it never reaches AWS. Its tests build
	// labs through internal/labfixture.
	allowedUI := []string{steps, policy, module + "/internal/problem"}
	for imp, file := range pkgs[ui].imports {
		if strings.HasPrefix(imp, module+"/") && !slices.Contains(allowedUI, imp) {
			t.Errorf("%s imports %s: the ui imports only steps, policy and internal/problem (DESIGN.md: ui → steps, ui → policy)", file, name(imp))
		}
	}
	if file, ok := pkgs[ui].testImports[awsops]; ok {
		t.Errorf("%s imports awsops: build the lab with internal/labfixture", file)
	}

	// The sandbox shares no code with the lab's client side, tests included,
	// not even through a helper: a server that shares code with its client
	// cannot catch the client's mistakes.
	for _, m := range []map[string]string{pkgs[sandbox].imports, pkgs[sandbox].testImports} {
		for imp, file := range m {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if bad := reaches(pkgs, imp, awsops, steps); bad != "" {
				via := ""
				if bad != imp {
					via = " (through " + name(imp) + ")"
				}
				t.Errorf("%s reaches %s%s: the sandbox must not share code with the lab's client side", file, name(bad), via)
			}
		}
	}

	// awsops has tests inside the package: a package its tests import that
	// imports awsops in turn is compiled a second time for awsops.test,
	// and steps is the biggest (2 CPU-s from an empty build cache). Its
	// tests reach the sandbox through internal/sandboxlab, which stops at
	// awsops.
	for imp, file := range pkgs[awsops].testImports {
		if imp == awsops || !strings.HasPrefix(imp, module+"/") {
			continue
		}
		if bad := reaches(pkgs, imp, steps); bad != "" {
			t.Errorf("%s reaches steps (through %s): awsops.test would compile steps again", file, name(imp))
		}
	}

	// The facilitator's view: the fleet reads many accounts through awsops
	// and knows the lab's tags from steps; its full-screen view stands
	// beside the wizard (nothing but the command package imports either).
	fleet, fleetui := module+"/fleet", module+"/fleetui"
	for _, want := range []string{fleet, fleetui} {
		if pkgs[want] == nil {
			t.Fatalf("package %s is missing: update this test with DESIGN.md", name(want))
		}
	}
	for _, p := range paths {
		if p == cli || p == fleetui {
			continue
		}
		for _, m := range []map[string]string{pkgs[p].imports, pkgs[p].testImports} {
			if file, ok := m[fleetui]; ok {
				t.Errorf("%s imports fleetui: only internal/cli starts the fleet view", file)
			}
		}
	}
	for imp, file := range pkgs[fleetui].imports {
		if strings.HasPrefix(imp, module+"/") && !slices.Contains([]string{fleet, steps, module + "/internal/problem"}, imp) {
			t.Errorf("%s imports %s: the fleet view imports only fleet and steps (DESIGN.md: fleetui → fleet)", file, name(imp))
		}
	}

	// The rest of DESIGN.md's arrows between the top-level packages.
	top := map[string][]string{
		awsops:  {},
		policy:  {},
		steps:   {awsops, policy},
		ui:      {steps, policy},
		sandbox: {policy},
		fleet:   {awsops, steps},
	}
	for from, allowed := range top {
		if from == ui {
			continue // checked above, with the ui's own message
		}
		for imp, file := range pkgs[from].imports {
			if _, isTop := top[imp]; isTop && imp != from && !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s: DESIGN.md has no arrow %s → %s", file, name(imp), name(from), name(imp))
			}
			if imp == cli {
				t.Errorf("%s imports internal/cli: only main does", file)
			}
		}
	}
}

// reaches returns the first of targets that from is or imports, directly or
// through other packages of the module (their own files, not their tests).
func reaches(pkgs map[string]*pkg, from string, targets ...string) string {
	seen := map[string]bool{}
	var walk func(string) string
	walk = func(p string) string {
		if slices.Contains(targets, p) {
			return p
		}
		if seen[p] || pkgs[p] == nil {
			return ""
		}
		seen[p] = true
		var next []string
		for imp := range pkgs[p].imports {
			next = append(next, imp)
		}
		sort.Strings(next)
		for _, imp := range next {
			if hit := walk(imp); hit != "" {
				return hit
			}
		}
		return ""
	}
	return walk(from)
}
