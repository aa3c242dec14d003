package main

import (
	"crypto/sha1" //nolint:gosec // the range API's hash
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/config"
)

// breachedPassword passes the local checks and is in rangeAPI's corpus.
const breachedPassword = "Quintessential-Marmalade-Voyage-77"

// rangeAPI stands in for the Pwned Passwords range API (the tests never
// call the internet): breachedPassword is in its corpus, with padding
// entries as the real API sends; with failing set it answers 503. It
// records the paths asked for.
type rangeAPI struct {
	mu      sync.Mutex
	paths   []string
	failing bool
}

func (f *rangeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.RequestURI)
	failing := f.failing
	f.mu.Unlock()
	if failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	sum := sha1.Sum([]byte(breachedPassword)) //nolint:gosec // the range API's hash
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	if r.URL.Path == "/range/"+hash[:5] {
		fmt.Fprintf(w, "%s:23\r\n", hash[5:])
	}
	for i := range 800 {
		fmt.Fprintf(w, "%035X:0\r\n", i+1)
	}
}

var rangePath = regexp.MustCompile(`^/range/[0-9A-F]{5}$`)

// TestBreachedPasswords: with password_breach_check on, a registration or
// a password change with a password of the corpus answers 400
// session.password_breached (in the client's language), other passwords
// pass, and the corpus is asked for nothing but five-digit prefixes; when
// the corpus fails, the check fails open.
func TestBreachedPasswords(t *testing.T) {
	t.Parallel()
	api := &rangeAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	d := sqliteDeployment(t)
	d.degraded = true // the failing corpus's warning is expected: counted below
	in := d.start(t, "breach check",
		"APICRUD_PASSWORD_BREACH_CHECK=true", "APICRUD_PASSWORD_BREACH_URL="+srv.URL+"/range/")

	register := func(c *client, password string, hdr ...string) *response {
		name := "breach-" + randomText(8)
		return c.post(t, "/account", map[string]string{"username": name, "identity": name + "@example.com", "password": password}, hdr...)
	}
	anon := in.anonymous()
	p := register(anon, breachedPassword).wantProblem(t, http.StatusBadRequest, "session.password_breached")
	if p.Field != "password" || !strings.Contains(p.Detail, "breach") {
		t.Errorf("problem = %+v, want field password and a detail in English", p)
	}
	p = register(anon, breachedPassword, "Accept-Language", "de").wantProblem(t, http.StatusBadRequest, "session.password_breached")
	if !strings.Contains(p.Detail, "Datenleck") {
		t.Errorf("German detail = %q", p.Detail)
	}

	u := in.newUser(t, "ortelius") // its own password went through the check
	u.put(t, "/account/password", map[string]string{"old_password": u.password, "password": breachedPassword}).
		wantProblem(t, http.StatusBadRequest, "session.password_breached")
	u.get(t, "/person/"+u.uid).want(t, http.StatusOK) // the refused change ended no session
	fresh := "Unbreached-Lighthouse-Cobalt-" + randomText(4)
	u.put(t, "/account/password", map[string]string{"old_password": u.password, "password": fresh}).want(t, http.StatusNoContent)

	api.mu.Lock()
	api.failing = true
	api.mu.Unlock()
	register(in.anonymous(), breachedPassword).want(t, http.StatusAccepted) // fail open, the default
	// One warning says so, without the password; nothing else is logged
	// above INFO.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(in.stderr.String(), "fail open") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var warnings []string
	for _, line := range strings.Split(in.stderr.String(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `"level":"WARN"`) || !strings.Contains(warnings[0], "fail open") ||
		!strings.Contains(warnings[0], "status 503") || strings.Contains(warnings[0], breachedPassword) {
		t.Errorf("warnings and errors logged: %q, want the one of the failed check", warnings)
	}

	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.paths) < 6 {
		t.Errorf("the corpus was asked %d times: %q", len(api.paths), api.paths)
	}
	for _, path := range api.paths {
		if !rangePath.MatchString(path) {
			t.Errorf("the corpus was asked %q: more than a five-digit prefix", path)
		}
	}
}

// TestBreachCheckOffByDefault: without password_breach_check the service
// builds no checker, so that it never calls the internet unless told to;
// a bad password_breach_url stops the start, naming the key.
func TestBreachCheckOffByDefault(t *testing.T) {
	cfg, err := loadConfig("", nil, config.Set("development", true))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PasswordBreachCheck || cfg.PasswordBreachFailClosed {
		t.Fatalf("password_breach_check %v, password_breach_fail_closed %v by default", cfg.PasswordBreachCheck, cfg.PasswordBreachFailClosed)
	}
	if opt, err := breachCheck(cfg); opt != nil || err != nil {
		t.Fatalf("breachCheck by default = %v, %v; want none", opt, err)
	}
	cfg, err = loadConfig("", nil, config.Set("development", true), config.Set("password_breach_check", true),
		config.Set("password_breach_url", "ftp://mirror.example/range/"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := breachCheck(cfg); err == nil || !strings.Contains(err.Error(), "password_breach_url") {
		t.Fatalf("bad URL: %v", err)
	}
}
