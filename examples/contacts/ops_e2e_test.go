package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// operationScenarios: rate limits, metrics, configuration, OpenAPI, errors
// and their localization, caching, health.
func operationScenarios() []scenario {
	return []scenario{
		{"defect 20.14: requests over a user's rate limit get 429 with RateLimit headers", testRateLimit},
		{"defect 20.14: a client address guessing credentials or asking for mail is throttled", testStrictBudget},
		{"defect 20.15: metrics are for admins and scrapers only, pass promtool and hold no per-user data", testMetrics},
		{"defect 20.15: the configuration is for admins only and masks every secret", testConfig},
		{"metric values by name and label (GET metric) are for admins only", testMetricValues},
		{"the OpenAPI document is valid according to a real validator", testOpenAPI},
		{"defect 20.15: every error is problem+json, and missing credentials are a 401", testErrors},
		{"errors are in German for Accept-Language de or a German account", testGerman},
		{"defect 20.17: answers to authenticated requests are never cacheable", testNoStore},
		{"health reports the database and the backend", testHealth},
		{"request headers are capped at maxHeaderBytes", testHeaderCap},
	}
}

var rateLimitRE = regexp.MustCompile(`^"default";r=(\d+);t=(\d+)$`)

func testRateLimit(t *testing.T, in *instance) {
	u := in.newUser(t, "rita")
	const limit = 5
	in.setGrant(t, u.uid, "ratelimit", limit) // before the user's first authenticated request
	for i := range limit {
		res := u.get(t, "/contact").want(t, http.StatusOK)
		if got, want := res.header.Get("RateLimit-Policy"), `"default";q=5;w=300`; got != want {
			t.Errorf("request %d: RateLimit-Policy = %q, want %q", i+1, got, want)
		}
		m := rateLimitRE.FindStringSubmatch(res.header.Get("RateLimit"))
		if m == nil || m[1] != strconv.Itoa(limit-1-i) {
			t.Errorf("request %d: RateLimit = %q, want r=%d", i+1, res.header.Get("RateLimit"), limit-1-i)
		}
	}
	res := u.get(t, "/contact")
	p := res.wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
	if p.Type != "https://iana.org/assignments/http-problem-types#quota-exceeded" {
		t.Errorf("429 problem type = %q", p.Type)
	}
	retry, err := strconv.Atoi(res.header.Get("Retry-After"))
	m := rateLimitRE.FindStringSubmatch(res.header.Get("RateLimit"))
	if err != nil || retry < 1 || retry > 300 || m == nil || m[1] != "0" {
		t.Fatalf("429 headers: Retry-After %q, RateLimit %q; want 1..300 s and r=0", res.header.Get("Retry-After"), res.header.Get("RateLimit"))
	}
	if tt, _ := strconv.Atoi(m[2]); retry < tt {
		t.Errorf("Retry-After %d is earlier than t=%d", retry, tt)
	}
	if res.header.Get("RateLimit-Policy") != `"default";q=5;w=300` {
		t.Errorf("429: RateLimit-Policy = %q", res.header.Get("RateLimit-Policy"))
	}
	u.post(t, "/contact", map[string]any{"info": "x@example.com"}).wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
	// The limit is the principal's, not the address's: another user on the
	// same address, and the same user's anonymous requests, pass.
	other := in.newUser(t, "ron")
	other.ip = u.ip
	other.get(t, "/contact").want(t, http.StatusOK)
	u.fromIP(u.ip).get(t, "/health").want(t, http.StatusOK)
}

// promtool returns the path of promtool, or skips the test (fails it under
// CI=true) when it is not installed; scripts/promtool.sh installs it.
func promtool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/promtool"); err == nil {
		return "/usr/bin/promtool"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool is required under CI=true: run scripts/promtool.sh (Debian package prometheus)")
	}
	t.Skip("skipping: promtool not found on PATH or at /usr/bin/promtool; scripts/promtool.sh installs it")
	return ""
}

func testMetrics(t *testing.T, in *instance) {
	u := in.newUser(t, "prometheus")
	u.create(t, "contact", map[string]any{"info": "p@example.com", "privacy": "secret"})
	in.anonymous().post(t, "/auth", map[string]string{"username": u.username, "password": "Wrong-Password-77"}).want(t, http.StatusUnauthorized)

	in.anonymous().get(t, "/metrics").want(t, http.StatusUnauthorized)
	u.get(t, "/metrics").wantProblem(t, http.StatusForbidden, "")
	ro := decode[apiKeyBody](t, u.post(t, "/apikey", map[string]any{"name": "m", "scopes": []string{"readonly"}}).want(t, http.StatusCreated))
	u.withAPIKey(ro.APIKey).get(t, "/metrics").want(t, http.StatusForbidden)
	in.anonymous().get(t, "/metrics", "X-Scrape-Key", scrapeKey+"x").want(t, http.StatusUnauthorized)
	in.anonymous().get(t, "/metrics", "Authorization", "Bearer "+scrapeKey).want(t, http.StatusUnauthorized)

	scraped := in.anonymous().get(t, "/metrics", "X-Scrape-Key", scrapeKey).want(t, http.StatusOK)
	res := in.admin(t).get(t, "/metrics").want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("GET /metrics: Content-Type %q", ct)
	}
	tool := promtool(t)
	for name, body := range map[string][]byte{"admin": res.body, "scraper": scraped.body} {
		cmd := exec.Command(tool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics (%s's scrape): %v\n%s", name, err, out)
		}
	}
	text := string(res.body)
	for _, want := range []string{
		`contacts_logins_total{outcome="success"}`,
		`contacts_logins_total{outcome="failure"}`,
		`api_calls_total{code="201",method="POST",resource="contact"}`,
		`api_calls_total{code="200",method="GET",resource="health"}`,
		`api_calls_total{code="401",method="POST",resource="auth"}`,
		"# TYPE message_daily_total",
		"process_cpu_seconds_total",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the exposition lacks %s", want)
		}
	}
	// §20.15: no per-user data.
	for _, secret := range []string{u.uid, u.username, u.identity, in.admin(t).uid} {
		if strings.Contains(text, secret) {
			t.Errorf("the exposition names a user: %q", secret)
		}
	}
}

func testConfig(t *testing.T, in *instance) {
	u := in.newUser(t, "conf")
	in.anonymous().get(t, "/config").want(t, http.StatusUnauthorized)
	u.get(t, "/config").wantProblem(t, http.StatusForbidden, "")
	res := in.admin(t).get(t, "/config").want(t, http.StatusOK)
	cfg := decode[map[string]any](t, res)
	for _, k := range []string{"jwt_key", "encryption_passphrase", "admin_password", "metrics_scrape_key"} {
		if cfg[k] != "[REDACTED]" {
			t.Errorf("config %s = %v, want [REDACTED]", k, cfg[k])
		}
	}
	if cfg["login_attempts_max"] != 5.0 || cfg["outbox_dir"] != in.d.outbox {
		t.Errorf("config login_attempts_max %v outbox_dir %v: want the deployment's", cfg["login_attempts_max"], cfg["outbox_dir"])
	}
	secrets := []string{adminPassword, scrapeKey, in.d.env["APICRUD_JWT_KEY"], in.d.env["APICRUD_ENCRYPTION_PASSPHRASE"]}
	if data, err := os.ReadFile(filepath.Join(in.d.dir, "contacts.keys")); err == nil { // the generated development keys
		var k devKeys
		if err := json.Unmarshal(data, &k); err != nil {
			t.Fatalf("contacts.keys: %v", err)
		}
		secrets = append(secrets, k.JWTKey, k.EncryptionPassphrase)
	} else if in.d.dialect == dialectSQLite {
		t.Errorf("no development keys beside the SQLite database: %v", err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(res.body), s) {
			t.Errorf("GET /config shows a secret")
		}
	}
}

// validatorScript is scripts/openapi-validator.sh, from this package's
// directory.
const validatorScript = "../../scripts/openapi-validator.sh"

// installValidator installs the validator once, so that parallel tests do
// not run npm install into one directory at the same time.
var installValidator = sync.OnceValues(func() ([]byte, error) {
	return exec.Command("bash", validatorScript, "--install").CombinedOutput()
})

func testOpenAPI(t *testing.T, in *instance) {
	res := in.anonymous().get(t, "/openapi.json").want(t, http.StatusOK)
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	for _, p := range []string{"/person", "/person/{id}", "/contact", "/contact/{id}", "/list", "/message/{id}", "/category", "/settings/{id}",
		"/trashcan", "/trashcan/{id}", "/auth", "/auth/otp", "/auth/totp", "/account", "/account/confirm", "/account/password_reset",
		"/account/password", "/apikey", "/apikey/{id}", "/grant", "/grant/{id}", "/list/{id}/member", "/list/{id}/member/{uid}",
		"/metrics", "/config", "/registry", "/health", "/openapi.json", "/auth/token", "/auth/oidc/{provider}", "/auth/oidc/{provider}/callback"} {
		if _, ok := doc.Paths["/api/v1"+p]; !ok {
			t.Errorf("the document has no path /api/v1%s", p)
		}
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, res.body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := installValidator()
	if err == nil {
		out, err = exec.Command("bash", validatorScript, file).CombinedOutput()
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 3: // the validator cannot be installed or run
		if os.Getenv("CI") == "true" {
			t.Fatalf("the OpenAPI validator is required under CI=true (scripts/openapi-validator.sh --install):\n%s", out)
		}
		t.Skipf("skipping: the OpenAPI validator is unavailable:\n%s", out)
	default:
		t.Fatalf("scripts/openapi-validator.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), ": valid") {
		t.Errorf("validator output: %s", out)
	}
}

func testErrors(t *testing.T, in *instance) {
	anon := in.anonymous()
	u := in.newUser(t, "errol")
	for _, path := range []string{"/apikey", "/grant", "/grant/" + u.uid + ":contacts", "/list/x-1/member", "/config", "/registry", "/metrics", "/settings/" + u.uid} {
		res := anon.get(t, path)
		res.want(t, http.StatusUnauthorized, http.StatusNotFound)
		if res.status == http.StatusUnauthorized && !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("GET %s: 401 without WWW-Authenticate: Bearer", path)
		}
	}
	anon.post(t, "/contact", map[string]any{"info": "x"}).want(t, http.StatusUnauthorized)
	anon.post(t, "/apikey", map[string]any{"name": "x"}).want(t, http.StatusUnauthorized)
	anon.post(t, "/auth/totp", nil).want(t, http.StatusUnauthorized)
	anon.post(t, "/auth/otp", map[string]string{"otp": "123456"}).want(t, http.StatusUnauthorized)
	anon.put(t, "/list/x-1/member/"+u.uid, map[string]string{"level": "member"}).want(t, http.StatusUnauthorized)

	bad := u.withToken(u.token[:len(u.token)-3] + "abc")
	bad.get(t, "/contact").wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
	anon.get(t, "/contact", "Authorization", "Basic "+u.username+":"+u.password).wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
	anon.get(t, "/contact", "Authorization", "Bearer").want(t, http.StatusUnauthorized)

	u.get(t, "/nothing-here").wantProblem(t, http.StatusNotFound, "")
	// ServeMux redirects an unclean path to its clean form: the redirect
	// must say where to.
	for path, clean := range map[string]string{"//contact": "/api/v1/contact", "/../../etc/passwd": "/etc/passwd"} {
		res := u.get(t, path).want(t, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect)
		if loc := res.header.Get("Location"); loc != clean {
			t.Errorf("GET /api/v1%s: redirect to %q, want %s", path, loc, clean)
		}
	}
	res := u.do(t, http.MethodPatch, "/contact", map[string]any{})
	res.wantProblem(t, http.StatusMethodNotAllowed, "")
	if res.header.Get("Allow") == "" {
		t.Errorf("405 without Allow")
	}
	u.post(t, "/contact", []byte(`info=x`), "Content-Type", "text/plain").wantProblem(t, http.StatusUnsupportedMediaType, "")
	u.post(t, "/contact", []byte(`{"info":`)).wantProblem(t, http.StatusBadRequest, "")
	u.post(t, "/contact", []byte(`[1,2]`)).wantProblem(t, http.StatusBadRequest, "")
	u.post(t, "/contact", []byte(`{"info":"a"} {"info":"b"}`)).wantProblem(t, http.StatusBadRequest, "")
	u.post(t, "/contact", map[string]any{"info": "x", "rank": "high"}).wantProblem(t, http.StatusBadRequest, "")
	u.post(t, "/contact", map[string]any{"info": "x", "type": "pigeon"}).wantProblem(t, http.StatusBadRequest, "")
	u.post(t, "/contact", map[string]any{"info": strings.Repeat("x", 300)}).wantProblem(t, http.StatusBadRequest, "")
	u.post(t, "/contact", map[string]any{"info": "a\x00b"}).wantProblem(t, http.StatusBadRequest, "")
	big := map[string]any{"content": strings.Repeat("x", 2<<20)}
	u.post(t, "/message", big).wantProblem(t, http.StatusRequestEntityTooLarge, "")
	u.post(t, "/auth/totp", []byte(strings.Repeat(" ", 100<<10))).want(t, http.StatusCreated, http.StatusRequestEntityTooLarge, http.StatusBadRequest)
	anon.post(t, "/auth", []byte(`{"username":"`+strings.Repeat("a", 100<<10)+`"}`)).wantProblem(t, http.StatusRequestEntityTooLarge, "")
	u.get(t, "/contact"+filterQuery(nil, "filter", "{not json")).wantProblem(t, http.StatusBadRequest, "")
	u.get(t, "/contact/"+strings.Repeat("x", 300)).wantProblem(t, http.StatusNotFound, "")
	// A database error text never reaches the client.
	res = u.get(t, "/contact"+filterQuery(map[string]any{"info": "%' OR 1=1 --"}))
	if res.status == http.StatusOK {
		if l := decode[list[record]](t, res); l.Count != 0 {
			t.Errorf("an injected filter matched %d records", l.Count)
		}
	}
	for _, c := range []*client{u, anon} {
		for _, s := range []string{"SQL", "sqlite", "pq:", "syntax", "pgx", "constraint", "goroutine", ".go:"} {
			if strings.Contains(c.problemsSeen(), s) {
				t.Errorf("an error mentions %q:\n%s", s, c.problemsSeen())
			}
		}
	}
}

func testGerman(t *testing.T, in *instance) {
	u := in.newUser(t, "dieter")
	de := u.on(in)
	de.lang = "de-CH, de;q=0.9, en;q=0.5"
	res := de.get(t, "/contact/x-"+randomText(16))
	if p := res.wantProblem(t, http.StatusNotFound, "crud.not_found"); p.Title != "Nicht gefunden" {
		t.Errorf("404 title in German = %q, want Nicht gefunden", p.Title)
	}
	if cl := res.header.Get("Content-Language"); cl != "de" {
		t.Errorf("Content-Language = %q, want de", cl)
	}
	anon := in.anonymous()
	anon.lang = "de"
	p := anon.post(t, "/auth", map[string]string{"username": u.username, "password": "Falsches-Passwort-1"}).
		wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	if p.Title != "Nicht angemeldet" || p.Detail != "Benutzername oder Passwort ist falsch." {
		t.Errorf("401 in German = %q / %q", p.Title, p.Detail)
	}
	if p := u.get(t, "/contact/x-"+randomText(16)).wantProblem(t, http.StatusNotFound, ""); p.Title != "Not Found" {
		t.Errorf("404 title without Accept-Language = %q, want English", p.Title)
	}
	// The account's own locale wins over the header.
	u.put(t, "/settings/"+u.uid, map[string]any{"locale": "de"}).want(t, http.StatusOK)
	en := u.on(in)
	en.lang = "en"
	if p := en.get(t, "/contact/x-"+randomText(16)).wantProblem(t, http.StatusNotFound, ""); p.Title != "Nicht gefunden" {
		t.Errorf("404 title for an account with locale de = %q, want Nicht gefunden", p.Title)
	}
}

func testNoStore(t *testing.T, in *instance) {
	u := in.newUser(t, "cache")
	id := u.create(t, "contact", map[string]any{"info": "c@example.com", "privacy": "secret"})
	key := decode[apiKeyBody](t, u.post(t, "/apikey", map[string]any{"name": "k", "scopes": []string{"full"}}).want(t, http.StatusCreated)).APIKey
	// The client checks Cache-Control on every authenticated answer; these
	// are the ones holding tokens, keys and records.
	anon := in.anonymous()
	login := anon.post(t, "/auth", map[string]string{"username": u.username, "password": u.password}).want(t, http.StatusCreated)
	for _, res := range []*response{
		login,
		u.get(t, "/contact/"+id).want(t, http.StatusOK),
		u.get(t, "/contact").want(t, http.StatusOK),
		u.withAPIKey(key).get(t, "/person/"+u.uid).want(t, http.StatusOK),
		u.get(t, "/apikey").want(t, http.StatusOK),
		u.get(t, "/contact/x-nothing").want(t, http.StatusNotFound),
	} {
		if cc := res.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s %s: Cache-Control %q, want no-store", res.method, res.path, cc)
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no X-Content-Type-Options: nosniff", res.method, res.path)
		}
	}
}

func testHealth(t *testing.T, in *instance) {
	res := in.anonymous().get(t, "/health").want(t, http.StatusOK)
	h := decode[map[string]string](t, res)
	// States only: the dialect and backend kind are for admins (/config).
	if want := map[string]string{"status": "ok", "database": "ok", "backend": "ok"}; !maps.Equal(h, want) {
		t.Errorf("health = %v, want %v", h, want)
	}
}

// testStrictBudget: bad credentials and the anonymous endpoints that send
// mail cost a client address its small strict budget (strict_requests,
// 30 per interval by default), so that key guessing and mail flooding
// stop at 429 while other addresses go on.
func testStrictBudget(t *testing.T, in *instance) {
	const budget = 30
	guesser := in.anonymous().withAPIKey("prefix123456." + strings.Repeat("A", 43))
	for i := range budget {
		if res := guesser.get(t, "/contact"); res.status != http.StatusUnauthorized {
			t.Fatalf("bad key %d: status %d, want 401", i+1, res.status)
		}
	}
	res := guesser.get(t, "/contact")
	res.wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
	if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", res.header.Get("Retry-After"))
	}
	in.anonymous().withAPIKey("prefix123456."+strings.Repeat("A", 43)).get(t, "/contact").want(t, http.StatusUnauthorized)

	mailer := in.anonymous()
	for i := range budget {
		if res := mailer.post(t, "/account/password_reset", map[string]string{"login": "nobody-" + randomText(8)}); res.status != http.StatusAccepted {
			t.Fatalf("reset request %d: status %d, want 202", i+1, res.status)
		}
	}
	mailer.post(t, "/account/password_reset", map[string]string{"login": "nobody"}).wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
	mailer.post(t, "/account", map[string]string{"username": "late-" + randomText(6), "identity": "late@example.com", "password": "Late-Password-99"}).
		wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
}

func testHeaderCap(t *testing.T, in *instance) {
	get := func(size int) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, in.base+"/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Padding", strings.Repeat("a", size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET with a %d-byte header: %v", size, err)
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	if got := get(maxHeaderBytes / 2); got == http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte header: status %d, want it served", maxHeaderBytes/2, got)
	}
	if got := get(4 * maxHeaderBytes); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte header: status %d, want 431", 4*maxHeaderBytes, got)
	}
}

func testMetricValues(t *testing.T, in *instance) {
	u := in.newUser(t, "meter")
	in.anonymous().post(t, "/auth", map[string]string{"username": u.username, "password": "Wrong-Password-78"}).want(t, http.StatusUnauthorized)
	u.get(t, "/metric").wantProblem(t, http.StatusForbidden, "")
	in.anonymous().get(t, "/metric").want(t, http.StatusUnauthorized)

	admin := in.admin(t)
	type value struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
		Value  float64           `json:"value"`
	}
	var page struct{ Items []value }
	if err := json.Unmarshal(admin.get(t, "/metric?name=contacts_logins_total&label=outcome=failure").want(t, http.StatusOK).body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Labels["outcome"] != "failure" || page.Items[0].Value < 1 {
		t.Errorf("failed logins: %+v, want one series of at least 1", page.Items)
	}
	if err := json.Unmarshal(admin.get(t, "/metric").want(t, http.StatusOK).body, &page); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, v := range page.Items {
		names[v.Name] = true
	}
	if !names["contacts_logins_total"] || !names["message_daily_total"] {
		t.Errorf("every metric: got %v", names)
	}
	admin.get(t, "/metric?name=no_such_metric").wantProblem(t, http.StatusNotFound, "")
	admin.get(t, "/metric?label=outcome").wantProblem(t, http.StatusBadRequest, "")
}
