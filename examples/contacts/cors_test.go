package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/config"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// corsCall sends a request with origin through h: a preflight for method
// (with requested headers) when preflight is set.
func corsCall(h http.Handler, origin, method string, preflight bool, reqHeaders string) *httptest.ResponseRecorder {
	var r *http.Request
	if preflight {
		r = httptest.NewRequest(http.MethodOptions, "/api/v1/contact", nil)
		r.Header.Set("Access-Control-Request-Method", method)
		if reqHeaders != "" {
			r.Header.Set("Access-Control-Request-Headers", reqHeaders)
		}
	} else {
		r = httptest.NewRequest(method, "/api/v1/contact", nil)
	}
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// headerList splits a comma-separated header into its canonical names.
func headerList(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, http.CanonicalHeaderKey(p))
			}
		}
	}
	return out
}

// TestCORSHostileOrigins: only the configured origins, compared exactly,
// are ever named in Access-Control-Allow-Origin; no origin is reflected.
func TestCORSHostileOrigins(t *testing.T) {
	mw, err := newCORS([]string{"https://good.example", "HTTPS://Admin.Example:443/", "http://localhost:5173"},
		[]string{"http://localhost:8080", "https://admin.example"})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	hostile := []string{
		"https://evil.example",
		"null",
		"https://good.example.evil.example", // suffix trick
		"https://evilgood.example",          // prefix trick
		"https://good.example.",             // trailing dot
		"http://good.example",               // other scheme
		"https://good.example:8443",         // other port
		"https://good.example/",             // not a serialised origin
		"https://good.example@evil.example", // userinfo trick
		"https://GOOD.example",              // browsers lower-case hosts
		"https://good.example, https://evil.example",
		"https://good.example\x00.evil.example",
		"*",
		"http://localhost:8080", // trusted for the cookie, but not a CORS origin
		"file://",
	}
	for _, o := range hostile {
		for _, pre := range []bool{false, true} {
			w := corsCall(h, o, http.MethodPut, pre, "authorization")
			for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
				"Access-Control-Allow-Headers", "Access-Control-Expose-Headers"} {
				if v := w.Header().Get(k); v != "" {
					t.Errorf("origin %q (preflight %v): %s: %q, want none", o, pre, k, v)
				}
			}
			if !pre && w.Code != http.StatusTeapot {
				t.Errorf("origin %q: the request was not passed on (%d)", o, w.Code)
			}
			if !slices.Contains(headerList(w.Header(), "Vary"), "Origin") {
				t.Errorf("origin %q: Vary %q lacks Origin (a shared cache would mix answers)", o, w.Header().Values("Vary"))
			}
		}
	}
	// Without an Origin the answer names none.
	if v := corsCall(h, "", http.MethodGet, false, "").Header().Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("no Origin: Access-Control-Allow-Origin %q", v)
	}
}

// TestCORSAllowedOrigins: a configured origin gets its own origin back,
// the API's methods and headers on a preflight (204) and the headers it
// may read on an answer; credentials only for an origin trusted with the
// session cookie too.
func TestCORSAllowedOrigins(t *testing.T) {
	mw, err := newCORS([]string{"https://good.example", "https://admin.example/"},
		[]string{"http://localhost:8080", "https://admin.example"})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, tc := range []struct {
		origin string
		creds  bool
	}{{"https://good.example", false}, {"https://admin.example", true}} {
		for _, m := range corsMethods {
			w := corsCall(h, tc.origin, m, true, "authorization,content-type,idempotency-key,if-match,prefer")
			if w.Code != http.StatusNoContent {
				t.Errorf("%s preflight %s: status %d, want 204", tc.origin, m, w.Code)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tc.origin {
				t.Errorf("%s preflight %s: Access-Control-Allow-Origin %q", tc.origin, m, got)
			}
			if got := w.Header().Get("Access-Control-Allow-Methods"); got != m {
				t.Errorf("%s preflight %s: Access-Control-Allow-Methods %q", tc.origin, m, got)
			}
			got := headerList(w.Header(), "Access-Control-Allow-Headers")
			for _, want := range []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match", "Prefer"} {
				if !slices.Contains(got, want) {
					t.Errorf("%s preflight %s: Access-Control-Allow-Headers %q lacks %s", tc.origin, m, got, want)
				}
			}
			if got := w.Header().Get("Access-Control-Allow-Credentials") == "true"; got != tc.creds {
				t.Errorf("%s preflight: credentials %v, want %v", tc.origin, got, tc.creds)
			}
			if w.Header().Get("Access-Control-Max-Age") == "" {
				t.Errorf("%s preflight: no Access-Control-Max-Age", tc.origin)
			}
		}
		// A header the API does not read is not allowed.
		if w := corsCall(h, tc.origin, http.MethodGet, true, "x-debug"); w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: a preflight for X-Debug was allowed", tc.origin)
		}
		w := corsCall(h, tc.origin, http.MethodGet, false, "")
		if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != tc.origin {
			t.Errorf("%s GET: %d, Access-Control-Allow-Origin %q", tc.origin, w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
		exposed := headerList(w.Header(), "Access-Control-Expose-Headers")
		for _, want := range []string{"Content-Range", "Etag", "Location", "Ratelimit", "Ratelimit-Policy", "Retry-After"} {
			if !slices.Contains(exposed, want) {
				t.Errorf("%s GET: Access-Control-Expose-Headers %q lacks %s", tc.origin, exposed, want)
			}
		}
		if got := w.Header().Get("Access-Control-Allow-Credentials") == "true"; got != tc.creds {
			t.Errorf("%s GET: credentials %v, want %v", tc.origin, got, tc.creds)
		}
	}
}

// TestCORSAnyOrigin: "*" answers "*" (never the request's origin) and
// never with credentials; an origin trusted with the cookie still gets
// its own, credentialed answer.
func TestCORSAnyOrigin(t *testing.T) {
	mw, err := newCORS([]string{"*"}, []string{"https://admin.example"})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, o := range []string{"https://evil.example", "null"} {
		for _, pre := range []bool{false, true} {
			w := corsCall(h, o, http.MethodDelete, pre, "authorization")
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("%q: Access-Control-Allow-Origin %q, want *", o, got)
			}
			if got := w.Header().Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("%q: Access-Control-Allow-Credentials %q with *", o, got)
			}
		}
	}
	w := corsCall(h, "https://admin.example", http.MethodGet, false, "")
	if w.Header().Get("Access-Control-Allow-Origin") != "https://admin.example" || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("trusted origin under *: %v", w.Header())
	}
}

// TestCORSConfigRefused: a list that is not exact origins is refused.
func TestCORSConfigRefused(t *testing.T) {
	for _, o := range []string{"https://*.example.com", "good.example", "https://good.example/app", "ftp://good.example",
		"https://user@good.example", "https://good.example?x=1", "null", "", "https://"} {
		if _, err := newCORS([]string{o}, nil); err == nil {
			t.Errorf("cors_origins %q accepted", o)
		}
	}
	if mw, err := newCORS(nil, []string{"https://admin.example"}); err != nil || mw != nil {
		t.Errorf("no cors_origins: %v, %v; want no middleware", mw != nil, err)
	}
}

// TestCORSService runs the service in process with cors_origins set: a
// preflight is answered 204 before authentication, an error answer (401)
// carries the CORS headers so that the page can read it, a Bearer request
// from the allowed origin works, and the session cookie is accepted on a
// cross-origin write only from an origin trusted for it.
func TestCORSService(t *testing.T) {
	a, h := inProcess(t, config.Set("cors_origins", []string{"https://app.example", "https://reader.example"}),
		config.Set("trusted_origins", []string{"https://app.example"}))

	w := corsCall(h, "https://reader.example", http.MethodPut, true, "authorization,content-type,if-match")
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://reader.example" {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	r := httptest.NewRequest(http.MethodGet, "/api/v1/config", nil)
	r.Header.Set("Origin", "https://reader.example")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || w.Header().Get("Access-Control-Allow-Origin") != "https://reader.example" {
		t.Fatalf("anonymous GET /config: %d %v", w.Code, w.Header())
	}
	w = corsCall(h, "https://evil.example", http.MethodGet, false, "")
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("evil GET: %v", w.Header())
	}

	_, tok, err := a.logins.Login(t.Context(), "admin", inProcessPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, origin string, cookie bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/api/v1/contact", strings.NewReader(`{"info":"x@example.com"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Origin", origin)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		if cookie {
			r.AddCookie(&http.Cookie{Name: "apicrud_session", Value: string(tok)})
		} else {
			r.Header.Set("Authorization", "Bearer "+string(tok))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := send(http.MethodPost, "https://reader.example", false); w.Code != http.StatusCreated ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://reader.example" || w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("Bearer POST from a CORS origin: %d %v", w.Code, w.Header())
	}
	// The cookie: refused from an origin that may only read (403, which
	// it may read), accepted from the one trusted for it.
	if w := send(http.MethodPost, "https://reader.example", true); w.Code != http.StatusForbidden {
		t.Errorf("cookie POST from a CORS-only origin: %d, want 403", w.Code)
	}
	if w := send(http.MethodPost, "https://app.example", true); w.Code != http.StatusCreated ||
		w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("cookie POST from the trusted origin: %d %v", w.Code, w.Header())
	}
}

// inProcessPassword is the admin password of inProcess.
const inProcessPassword = "Quiet-meadow 8812"

// inProcess builds the service in process on a fresh SQLite file with
// in-memory backends, configured by opts too, and returns it with its
// handler.
func inProcess(t *testing.T, opts ...config.Option) (*app, http.Handler) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := loadConfig("", nil, append([]config.Option{
		config.Set("database_url", "sqlite://"+filepath.Join(dir, "c.db")), config.Set("outbox_dir", filepath.Join(dir, "outbox")),
		config.Set("jwt_key", testenv.RandomID(24)), config.Set("encryption_passphrase", testenv.RandomID(12)),
		config.Set("encryption_salt", testenv.RandomID(12)), config.Set("admin_password", inProcessPassword)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.close(context.Background()) })
	return a, a.handler()
}

// FuzzNormalizeOrigin: an accepted origin is an http(s) origin without
// path, user info or wildcard, and normalizing it again changes nothing.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"https://good.example", "HTTPS://Good.Example:443/", "http://[::1]:8080", "https://*.example",
		"null", "https://a@b", "https://a/b", "javascript:alert(1)", "https://good.example.evil.example", "http://x:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		n, err := normalizeOrigin(o)
		if err != nil {
			return
		}
		if !strings.HasPrefix(n, "http://") && !strings.HasPrefix(n, "https://") || strings.ContainsAny(n, "*@?#") ||
			strings.Count(n, "/") != 2 {
			t.Fatalf("%q normalized to %q", o, n)
		}
		if again, err := normalizeOrigin(n); err != nil || again != n {
			t.Fatalf("%q → %q → %q, %v", o, n, again, err)
		}
	})
}
