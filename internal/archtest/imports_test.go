package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/apicrud-go/apicrud"

func TestNoSiblingImports(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch top(rel) {
			case "examples", "bench", ".git", "testdata", "scripts":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		from := top(filepath.ToSlash(rel))
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if !strings.HasPrefix(p, module+"/") {
				continue
			}
			to := top(strings.TrimPrefix(p, module+"/"))
			checked++
			// Tests may use a sibling (to prove an implementation satisfies
			// a consumer's interface); library code may not.
			if to != from && to != "internal" && !strings.HasSuffix(path, "_test.go") {
				t.Errorf("%s imports %s: package %s must not import sibling %s; declare an interface instead", rel, p, from, to)
			}
			if from == "internal" && to != "internal" {
				t.Errorf("%s imports %s: internal/ must not depend on public packages", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s", root)
	}
	t.Logf("checked %d module-internal imports", checked)
}

func top(rel string) string {
	rel = filepath.ToSlash(rel)
	if i := strings.IndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return rel
}
