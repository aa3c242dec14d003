package main

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDocs: the OpenAPI document tags every operation with a described
// tag, and the docs page and its assets are served from the binary.
func TestDocs(t *testing.T) {
	_, h := inProcess(t)
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	w := get("/api/v1/openapi.json")
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	var doc struct {
		Tags  []struct{ Name, Description string }
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	described := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %s has no description", tag.Name)
		}
		described[tag.Name] = true
	}
	ops := 0
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			ops++
			var op struct{ Tags []string }
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			if len(op.Tags) == 0 || !described[op.Tags[0]] {
				t.Errorf("%s %s: tags %q, none described", method, path, op.Tags)
			}
		}
	}
	for _, p := range []string{"/api/v1/auth", "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/contact/{id}", "/api/v1/list/{id}/member/{uid}",
		"/api/v1/auth/passkey", "/api/v1/auth/passkey/login", "/api/v1/auth/passkey/factor/challenge"} {
		if doc.Paths[p] == nil {
			t.Errorf("%s is not documented", p)
		}
	}
	if ops < 50 {
		t.Errorf("%d operations documented", ops)
	}

	w = get("/api/v1/docs")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || w.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("docs: %d %v", w.Code, w.Header())
	}
	if _, err := fs.Stat(docsFiles, "docs/swagger-ui/swagger-ui-bundle.js"); err != nil {
		if !strings.Contains(w.Body.String(), "docs-assets.sh") {
			t.Fatalf("docs without Swagger UI: %s", w.Body)
		}
		t.Skip("skipping the assets: Swagger UI is not built in (scripts/docs-assets.sh)")
	}
	if !strings.Contains(w.Body.String(), "swagger-ui-bundle.js") {
		t.Fatalf("docs page: %s", w.Body)
	}
	for _, p := range []string{"/api/v1/docs/swagger-ui/swagger-ui-bundle.js", "/api/v1/docs/swagger-ui/swagger-ui.css", "/api/v1/docs/docs.js"} {
		if w := get(p); w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	if w := get("/api/v1/docs/../app.go"); w.Code == http.StatusOK {
		t.Errorf("a path out of docs answered 200")
	}
}
