package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/apicrud-go/apicrud"

// leaf is the one public package every package may import: the problem+json
// error format that library middlewares and hosts share. It imports nothing
// of the module, so it adds no edge between siblings.
const leaf = "problem"

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
			// Commands (cmd/) compose packages as examples do: they are
			// programs, not library code.
			case "examples", "bench", ".git", "testdata", "scripts", "cmd":
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
			if to != from && to != "internal" && to != leaf && !strings.HasSuffix(path, "_test.go") {
				t.Errorf("%s imports %s: package %s must not import sibling %s; declare an interface instead", rel, p, from, to)
			}
			if from == leaf && to != leaf {
				t.Errorf("%s imports %s: package %s is the shared error format and imports nothing of the module", rel, p, leaf)
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

// TestExamplesUseThePublicAPI: the examples show what an outside host can
// write, so they import no internal/ package (Go would refuse it outside
// this module); their tests may use internal/testenv and its packages for
// real servers (a real OpenID provider: internal/testenv/oidcop).
func TestExamplesUseThePublicAPI(t *testing.T) {
	root, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if !strings.HasPrefix(p, module+"/internal/") {
				continue
			}
			checked++
			if (p == module+"/internal/testenv" || strings.HasPrefix(p, module+"/internal/testenv/")) && strings.HasSuffix(path, "_test.go") {
				continue
			}
			rel, _ := filepath.Rel(root, path)
			t.Errorf("examples/%s imports %s: an outside host cannot import internal/ packages", rel, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked %d internal imports of the examples", checked)
}

// otelAPI lists the OpenTelemetry packages that library code may import:
// the tracing API only. The SDK and the exporters are the host's choice
// (the examples wire them), so that a library user never links them
// through apicrud.
var otelAPI = []string{
	"go.opentelemetry.io/otel/attribute",
	"go.opentelemetry.io/otel/codes",
	"go.opentelemetry.io/otel/trace",
}

// TestOpenTelemetryAPIOnly: library code (not tests, examples or bench)
// imports the OpenTelemetry API, never its SDK or an exporter.
func TestOpenTelemetryAPIOnly(t *testing.T) {
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
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if !strings.HasPrefix(p, "go.opentelemetry.io/") {
				continue
			}
			checked++
			if !slices.Contains(otelAPI, p) {
				t.Errorf("%s imports %s: library code may import only the OpenTelemetry API (%s); the SDK and exporters are the host's", rel, p, strings.Join(otelAPI, ", "))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no OpenTelemetry import found: the walk is broken")
	}
	t.Logf("checked %d OpenTelemetry imports", checked)
}
