// Package layering holds the test that enforces the import rules of
// docs/ARCHITECTURE.md: each package may import only the packages its layer
// allows, so nothing imports upward.
package layering

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/strata-db/strata"

// allowed maps a package (relative to the module) to the module packages it
// may import directly. A package missing here may import nothing from the
// module, except the packages under internal/ marked shared below.
var allowed = map[string][]string{
	"cmd/strata-server":    {"server", "lsm", "jemallocprof"},
	"cmd/strata-crashtest": {"internal/crashtest"},
	"server":               {"server/resp", "codec", "lsm", "jemallocprof", "internal/*"},
	"server/resp":          {},
	"codec":                {"internal/base"},
	"lsm":                  {"memtable", "wal", "sstable", "internal/*", "jemallocprof"},
	"memtable":             {"internal/base", "jemallocprof", "internal/benchcpu"},
	"wal":                  {"internal/base", "internal/vfs", "jemallocprof"},
	"sstable":              {"internal/base", "internal/vfs", "jemallocprof"},
	"jemallocprof":         {},
	"internal/base":        {},
	"internal/vfs":         {},
	"internal/vfs/errorfs": {"internal/vfs"},
	"internal/iterator":    {"internal/base"},
	"internal/itertest":    {"internal/base"},
	"internal/layering":    {},
	"internal/crashtest":   {"server/resp"},
	"internal/invariants":  {},
	"internal/benchcpu":    {},
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if isFuzz(strings.TrimPrefix(imp, module+"/")) {
				t.Errorf("%s imports %s: fuzz is a test-only leaf that nothing imports", rel, imp)
			}
		}
		if isFuzz(rel) {
			// Its tests may import anything; its package code, nothing of
			// the module (it is documentation only).
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, module+"/") {
					t.Errorf("%s imports %s outside its tests", rel, imp)
				}
			}
			continue
		}
		rules, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s has no layering rule: add it to allowed (and to docs/ARCHITECTURE.md)", rel)
			continue
		}
		seen++
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if !permitted(rules, dep) {
				t.Errorf("%s imports %s: not allowed by the layering rules", rel, dep)
			}
		}
	}
	if seen < 5 {
		t.Fatalf("only %d packages checked: go list output looks wrong", seen)
	}
}

// isFuzz reports whether rel (relative to the module) is the fuzz tree.
func isFuzz(rel string) bool { return rel == "fuzz" || strings.HasPrefix(rel, "fuzz/") }

func permitted(rules []string, dep string) bool {
	for _, r := range rules {
		if r == dep {
			return true
		}
		if prefix, ok := strings.CutSuffix(r, "/*"); ok && strings.HasPrefix(dep, prefix+"/") {
			return true
		}
	}
	return false
}
