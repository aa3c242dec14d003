package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPasskeyInBrowser runs the passkey ceremonies in Debian's headless
// Chromium (scripts/chromium.sh) with a virtual authenticator, driven by
// playwright-core (examples/admin/e2e/passkey.test.mjs, installed by
// scripts/admin-build.sh): enrolment, a passwordless login, a replay of
// its assertion (refused), and the passkey as second factor of a password
// login. The page is served on http://localhost:<port>, the relying
// party's origin (public_url; WebAuthn refuses IP addresses), and calls
// the service on another origin, allowed by cors_origins. Without node,
// playwright-core or Chromium it skips; under CI=true it fails.
func TestPasskeyInBrowser(t *testing.T) {
	need := func(what string, ok bool) {
		if ok {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("the passkey browser test needs %s under CI=true (scripts/admin-build.sh, scripts/chromium.sh)", what)
		}
		t.Skipf("skipping: no %s (scripts/admin-build.sh, scripts/chromium.sh)", what)
	}
	node, err := exec.LookPath("node")
	need("node", err == nil)
	need("playwright-core (scripts/admin-build.sh)", fileExists(filepath.Join(adminDir, "node_modules", "playwright-core", "package.json")))
	need("/usr/bin/chromium (scripts/chromium.sh)", fileExists("/usr/bin/chromium"))

	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>passkeys</title><p>passkey test page</p>"))
	}))
	defer page.Close()
	origin := strings.Replace(page.URL, "127.0.0.1", "localhost", 1)
	in := sqliteDeployment(t).start(t, "passkey", "APICRUD_PUBLIC_URL="+origin, "APICRUD_CORS_ORIGINS="+origin,
		"APICRUD_RATELIMIT_REQUESTS=100000")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e/passkey.test.mjs")
	cmd.Dir = adminDir
	cmd.Env = append(os.Environ(), "PAGE_URL="+origin+"/", "API_URL="+in.base, "USERNAME=admin", "PASSWORD="+adminPassword)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("examples/admin/e2e/passkey.test.mjs: %v", err)
	}
}
