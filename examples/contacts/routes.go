package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/metrics"
	"github.com/apicrud-go/apicrud/problem"
	"github.com/apicrud-go/apicrud/session/login"
)

// maxBody bounds the JSON bodies of the non-crud endpoints.
const maxBody = 64 << 10

// handler returns the service's HTTP handler: every route under the base
// URL, behind metrics, localization, authentication and rate limiting.
func (a *app) handler() http.Handler {
	p := a.cfg.BaseURL()
	api := http.NewServeMux()
	// The resources, the trashcan, the service's own operations
	// (operations) and the OpenAPI document: one definition serves and
	// documents each.
	a.res.api.Routes(api)
	api.Handle("GET "+p+"/docs/", docsAssets(p)) // the docs page's scripts and styles
	// Go's profiles, for debugging: not part of the documented API.
	if a.cfg.PProf {
		api.Handle("GET "+p+"/debug/pprof/", a.pprofHandler())
	}

	var h http.Handler = a.nameSpan(problemMux(api))
	h = a.idempotent(p, h)
	h = a.sleepAfterCommit(h)
	if a.cfg.RateLimitEnabled() {
		// ratelimit_enabled: false turns off the per-principal limit; the
		// strict per-address budget of costly anonymous requests and the
		// login throttle are security checks and stay.
		h = a.limiter.Handler(h)
	}
	// A session that owes TOTP enrolment or a password change may only
	// do that (and log out).
	h = a.logins.Restrict(login.Restrictions{
		MFAEnrolment:   []string{"POST " + p + "/auth/totp", "PUT " + p + "/auth/totp"},
		PasswordChange: []string{"PUT " + p + "/account/password"},
		Always:         []string{"DELETE " + p + "/auth"},
	})(h)
	h = a.sessions.Authenticate(h)
	h = a.logins.Clients(h) // the client address and remember-device cookie of login throttling
	h = publicClient(p+"/auth/token", h)
	h = a.catalog.Middleware(a.accountLocale)(h)
	h = bypass(p+"/health", problemMux(api), h)
	h = withCallerBox(h)
	h = a.metrics.Middleware(h)
	if a.cors != nil {
		// Preflights are answered here, before authentication and rate
		// limits; every other answer, errors included, carries the CORS
		// headers its origin may have.
		h = a.cors(h)
	}
	return a.traceRequests(secureHeaders(h))
}

// publicClient drops the HTTP Basic client credentials that OAuth2 clients
// send to the token endpoint at path: its clients are public, and the
// authentication middleware would refuse an Authorization header that is
// not a bearer token.
func publicClient(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Basic") {
				r = r.Clone(r.Context())
				r.Header.Del("Authorization")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// idempotent applies Idempotency-Key to every POST and PATCH except those
// whose answer holds a secret (a session token, an API key, a TOTP secret),
// which must not be stored in Redis: /auth, /account and /apikey.
func (a *app) idempotent(base string, next http.Handler) http.Handler {
	kept := a.idem.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, secret := range []string{"/auth", "/account", "/apikey"} {
			if rest, ok := strings.CutPrefix(r.URL.Path, base+secret); ok && (rest == "" || rest[0] == '/') {
				next.ServeHTTP(w, r)
				return
			}
		}
		kept.ServeHTTP(w, r)
	})
}

// sleepAfterCommit (test_sleep_after_commit, testing only) holds the
// answer of each POST and PATCH before it is sent: after the handler's
// commit and after the Idempotency-Key record, so that a test can kill the
// process while the client still waits.
func (a *app) sleepAfterCommit(next http.Handler) http.Handler {
	d := a.cfg.TestSleepAfterCommit
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPatch {
			w = &sleepyWriter{ResponseWriter: w, d: d}
		}
		next.ServeHTTP(w, r)
	})
}

// sleepyWriter waits d before the status line goes out.
type sleepyWriter struct {
	http.ResponseWriter
	d     time.Duration
	slept bool
}

func (s *sleepyWriter) WriteHeader(code int) {
	if !s.slept {
		s.slept = true
		time.Sleep(s.d)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *sleepyWriter) Write(p []byte) (int, error) {
	if !s.slept {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(p)
}

// bypass sends GET and HEAD requests for path straight to direct, past the
// rate limiter and authentication: /health is never rate-limited nor failed
// by a session backend that is down, and reports itself which backend is.
func bypass(path string, direct, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			direct.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// problemMux answers the requests mux has no route for (404, or 405 with
// Allow) as problem+json, like every other error.
func problemMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		c := &statusCapture{header: http.Header{}}
		mux.ServeHTTP(c, r) // only the mux's own error handler runs
		// Allow of a 405; Location of the redirect from an unclean path.
		for _, h := range []string{"Allow", "Location"} {
			if v := c.header.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		if c.code == 0 || c.code == http.StatusOK {
			c.code = http.StatusNotFound
		}
		writeProblem(w, c.code, "http."+strconv.Itoa(c.code), "")
	})
}

// statusCapture records what the mux's error handler writes.
type statusCapture struct {
	header http.Header
	code   int
}

func (c *statusCapture) Header() http.Header         { return c.header }
func (c *statusCapture) Write(b []byte) (int, error) { return len(b), nil }
func (c *statusCapture) WriteHeader(code int)        { c.code = code }

// secureHeaders sets the headers every API response carries: nothing is
// cached (authenticated JSON must never be) and content
// types are not sniffed.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// callerBox carries the authenticated uid of a request out to the
// middleware that wraps authentication (the message catalog localizes
// errors on the way out, with the request it was given), and the request's
// Accept-Language in to the notices it sends.
type callerBox struct{ uid, acceptLanguage string }

type callerBoxKey struct{}

// withCallerBox gives each request an empty callerBox.
func withCallerBox(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		box := &callerBox{acceptLanguage: r.Header.Get("Accept-Language")}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerBoxKey{}, box)))
	})
}

// accountLocale is the locale of the caller's settings, for the message
// catalog; "" for an anonymous caller.
func (a *app) accountLocale(r *http.Request) string {
	box, _ := r.Context().Value(callerBoxKey{}).(*callerBox)
	if box == nil || box.uid == "" {
		return ""
	}
	s, err := a.settingsFor(r.Context(), box.uid)
	if err != nil || s == nil {
		return ""
	}
	return s.Locale
}

// noticeSubject is the subject of a notice of purpose in the language of
// the request that caused it, chosen as for its error messages: the
// caller's own setting, else Accept-Language, else English. The account
// the notice goes to plays no part, so sending it costs the same whether
// that account exists or not.
func (a *app) noticeSubject(ctx context.Context, purpose string) (text, lang string) {
	var account, accept string
	if box, _ := ctx.Value(callerBoxKey{}).(*callerBox); box != nil {
		accept = box.acceptLanguage
		if box.uid != "" {
			if s, err := a.settingsFor(ctx, box.uid); err == nil && s != nil {
				account = s.Locale
			}
		}
	}
	lang = a.catalog.Match(account, accept)
	text, ok := a.catalog.Message(lang, "contacts.notice_"+purpose, nil)
	if !ok {
		return purpose, "en"
	}
	return text, lang
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeProblem writes a problem+json error with a stable code.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	problem.Write(w, problem.Problem{Status: status, Code: code, Detail: detail})
}

// writeProblemField writes a problem naming the request field at fault.
func writeProblemField(w http.ResponseWriter, status int, code, field, detail string) {
	problem.Write(w, problem.Problem{Status: status, Code: code, Field: field, Detail: detail})
}

// readJSON decodes a JSON object body into v strictly: JSON content type,
// bounded size, an object (not null, an array or a scalar, which would
// leave v at its zero value or fail without naming a field), no unknown
// fields, nothing after the object.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeProblem(w, http.StatusUnsupportedMediaType, "contacts.content_type", "the body must be application/json")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, http.StatusRequestEntityTooLarge, "contacts.too_large", "the body is too large")
		} else {
			writeProblem(w, http.StatusBadRequest, "contacts.bad_json", "the body is not a valid JSON object")
		}
		return false
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		writeProblem(w, http.StatusBadRequest, "contacts.bad_json", "the body is not a valid JSON object")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field != "":
			writeProblemField(w, http.StatusBadRequest, "crud.invalid_value", ute.Field, "wrong type")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			writeProblemField(w, http.StatusBadRequest, "crud.unknown_field", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		default:
			writeProblem(w, http.StatusBadRequest, "contacts.bad_json", "the body is not a valid JSON object")
		}
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeProblem(w, http.StatusBadRequest, "contacts.bad_json", "the body is not a valid JSON object")
		return false
	}
	return true
}

// caller returns the authenticated principal, or answers 401.
func caller(w http.ResponseWriter, r *http.Request) (ac.Principal, bool) {
	p, ok := ac.PrincipalFrom(r.Context())
	if !ok || !p.Authenticated() {
		w.Header().Set("WWW-Authenticate", `Bearer realm="contacts"`)
		writeProblem(w, http.StatusUnauthorized, ac.CodeUnauthenticated, "")
		return ac.Principal{}, false
	}
	return p, true
}

// admin returns the principal if it is an admin; others get 401 or 403.
func admin(w http.ResponseWriter, r *http.Request) bool {
	p, ok := caller(w, r)
	if !ok {
		return false
	}
	if !p.HasRole(login.RoleAdmin) {
		writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "")
		return false
	}
	return true
}

// writer returns the principal of a request that changes something
// outside the crud resources: like crud's writes, it needs the "full"
// scope, so that a "readonly" API key only reads.
func (a *app) writer(w http.ResponseWriter, r *http.Request) (ac.Principal, bool) {
	p, ok := caller(w, r)
	if ok && !a.policy.HasScopesFor(p, "full") {
		writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "this needs the scope full")
		return ac.Principal{}, false
	}
	return p, ok
}

// internalError logs err and answers a bare 500.
func (a *app) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.ErrorContext(r.Context(), what, "err", err)
	writeProblem(w, http.StatusInternalServerError, "http.500", "")
}

// health reports the state of each backend: 200 when all answer, 503
// otherwise.
func (a *app) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	state := func(err error) string {
		if err != nil {
			return "unavailable"
		}
		return "ok"
	}
	dbErr := a.db.PingContext(ctx)
	beErr := a.be.ping(ctx)
	status := http.StatusOK
	if dbErr != nil || beErr != nil {
		status = http.StatusServiceUnavailable
	}
	// States only: which database and backend run is for /config.
	writeJSON(w, status, map[string]any{
		"status":   state(errors.Join(dbErr, beErr)),
		"database": state(dbErr),
		"backend":  state(beErr),
	})
}

// config shows the configuration with every secret masked (admins only).
func (a *app) config(w http.ResponseWriter, r *http.Request) {
	if admin(w, r) {
		writeJSON(w, http.StatusOK, a.cfg.Redacted())
	}
}

// services lists the live instances of this service (admins only).
func (a *app) services(w http.ResponseWriter, r *http.Request) {
	if !admin(w, r) {
		return
	}
	res, err := a.registry.Find(r.Context(), a.cfg.ServiceName())
	if err != nil {
		a.log.ErrorContext(r.Context(), "registry", "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "http.503", "")
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// metricsHandler serves the Prometheus exposition to admins and to
// scrapers that send the scrape key in X-Scrape-Key. The process and Go
// runtime collectors and this instance's own series are always exposed;
// the shared series (read from the store) only where metrics_shared is on,
// so that several instances on one Redis do not expose them N times.
func (a *app) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector(), a.metrics.InstanceCollector())
	if a.cfg.MetricsShared {
		reg.MustRegister(a.metrics.SharedCollector())
	}
	prom := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.scrapeAllowed(r) {
			p, ok := caller(w, r)
			if !ok {
				return
			}
			if !a.policy.AllowedFor(p, 'r', "metric", ac.Record{}) {
				writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "")
				return
			}
		}
		prom.ServeHTTP(w, r)
	})
}

// scrapeAllowed reports whether r carries the configured scrape key.
func (a *app) scrapeAllowed(r *http.Request) bool {
	key := a.cfg.MetricsScrapeKey()
	if !key.IsSet() {
		return false
	}
	got := r.Header.Get("X-Scrape-Key")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(key.Reveal())) == 1
}

// metricValues answers the current values of the metrics (admins only),
// selected by ?name= and any number of ?label=name=value, read from the
// shared store (memory or Redis) and from this instance.
func (a *app) metricValues(w http.ResponseWriter, r *http.Request) {
	if !admin(w, r) {
		return
	}
	q := r.URL.Query()
	labels, err := metrics.ParseLabels(q["label"])
	if err != nil || len(q["name"]) > 1 {
		writeProblem(w, http.StatusBadRequest, "http.400", "label takes name=value, each name once; name at most once")
		return
	}
	vals, err := a.metrics.Values(r.Context(), metrics.ValueQuery{Name: q.Get("name"), Labels: labels})
	switch {
	case errors.Is(err, metrics.ErrUnknownMetric):
		writeProblem(w, http.StatusNotFound, "http.404", "")
	case err != nil:
		a.log.ErrorContext(r.Context(), "metric values", "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "http.503", "")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"items": vals})
	}
}
