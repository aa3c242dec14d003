package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// browserTools returns the path of node after checking what a browser
// test needs: node, playwright-core in examples/admin, Chromium, and
// what (present: ok). Without one it skips; under CI=true it fails.
func browserTools(t *testing.T, what string, ok bool) string {
	t.Helper()
	need := func(what string, ok bool) {
		t.Helper()
		if ok {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser test needs %s under CI=true (scripts/admin-build.sh, scripts/chromium.sh, scripts/docs-assets.sh)", what)
		}
		t.Skipf("skipping: no %s (scripts/admin-build.sh, scripts/chromium.sh, scripts/docs-assets.sh)", what)
	}
	node, err := exec.LookPath("node")
	need("node", err == nil)
	need("playwright-core (scripts/admin-build.sh)", fileExists(filepath.Join(adminDir, "node_modules", "playwright-core", "package.json")))
	need("/usr/bin/chromium (scripts/chromium.sh)", fileExists("/usr/bin/chromium"))
	need(what, ok)
	return node
}

// adminDir is the react-admin app (examples/admin); its screenshots go to
// adminDir/screenshots.
const adminDir = "../admin"

// TestAdminInBrowser runs the react-admin app (examples/admin, built by
// scripts/admin-build.sh) in Debian's headless Chromium (scripts/chromium.sh)
// against the real service: the app is served from an origin of its own,
// so every call is a CORS request allowed by cors_origins. The browser
// side is examples/admin/e2e/admin.test.mjs (playwright-core): it logs in
// through POST /auth, lists, pages, sorts, filters, opens and edits
// records (a stale copy is refused with 412, shown as a notification),
// deletes them, restores one from the trashcan, uses all nine methods of
// ra-data-simple-rest, checks that the docs page renders every tag, and
// writes a screenshot of each page to examples/admin/screenshots.
// Without node, the built app or Chromium it skips; under CI=true it fails.
func TestAdminInBrowser(t *testing.T) {
	node := browserTools(t, "examples/admin/dist (scripts/admin-build.sh)", fileExists(filepath.Join(adminDir, "dist", "index.html")))

	// The app's own origin, serving dist and config.json naming the API.
	var apiBase atomic.Value // string, set once the instance runs
	apiBase.Store("")
	files := http.FileServer(http.Dir(filepath.Join(adminDir, "dist")))
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/config.json" {
			_ = json.NewEncoder(w).Encode(map[string]string{"api": apiBase.Load().(string)})
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer app.Close()
	in := sqliteDeployment(t).start(t, "admin", "APICRUD_CORS_ORIGINS="+app.URL, "APICRUD_RATELIMIT_REQUESTS=100000")
	apiBase.Store(in.base)

	shots, err := filepath.Abs(filepath.Join(adminDir, "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e/admin.test.mjs")
	cmd.Dir = adminDir
	cmd.Env = append(os.Environ(), "ADMIN_URL="+app.URL+"/", "API_URL="+in.base, "ADMIN_USERNAME=admin",
		"ADMIN_PASSWORD="+adminPassword, "SCREENSHOTS="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("examples/admin/e2e/admin.test.mjs: %v", err)
	}
}

// TestDocsInBrowser opens the API docs page (/api/v1/docs, Swagger UI) in
// headless Chromium: examples/admin/e2e/docs.test.mjs logs in through the
// Authorize dialog's OAuth2 password flow with a username, a password and
// the scope "readonly" (a form POST to the token endpoint), then runs "Try
// it out" on GET /contact, which must answer 200 to the bearer token the
// dialog obtained. It needs Swagger UI built in (scripts/docs-assets.sh).
func TestDocsInBrowser(t *testing.T) {
	node := browserTools(t, "Swagger UI (scripts/docs-assets.sh)", fileExists("docs/swagger-ui/swagger-ui-bundle.js"))
	in := sqliteDeployment(t).start(t, "docs")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e/docs.test.mjs")
	cmd.Dir = adminDir
	cmd.Env = append(os.Environ(), "API_URL="+in.base, "API_USERNAME=admin", "API_PASSWORD="+adminPassword, "API_SCOPE=readonly")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("examples/admin/e2e/docs.test.mjs: %v", err)
	}
}
