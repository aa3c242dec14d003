package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageLayout: every public package of the library (not internal/,
// examples/ or bench/) has a doc.go holding its package comment and at
// least one Example function in its tests.
func TestPackageLayout(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == ".":
			// Commands (cmd/) document themselves in main.go ("Command
			// apicrud …") and are tested through their run function.
			case slices.Contains([]string{"examples", "bench", "internal", "scripts", "testdata", "cmd"}, d.Name()),
				strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && filepath.Dir(rel) != "." {
			pkgs[filepath.Dir(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !pkgs["apikey"] || !pkgs["accesscontrol"] {
		t.Fatalf("package walk found %d packages, not the library's", len(pkgs))
	}
	for pkg := range pkgs {
		dir := filepath.Join(root, pkg)
		var problems []string
		if !hasPackageDoc(t, filepath.Join(dir, "doc.go")) {
			problems = append(problems, "no doc.go with the package comment")
		}
		if !hasExample(t, dir) {
			problems = append(problems, "no Example function")
		}
		if len(problems) > 0 {
			t.Errorf("%s: %s", pkg, strings.Join(problems, ", "))
		}
	}
}

func hasPackageDoc(t *testing.T, path string) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+f.Name.Name+" ")
}

func hasExample(t *testing.T, dir string) bool {
	t.Helper()
	tests, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range tests {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Example") {
				return true
			}
		}
	}
	return false
}
