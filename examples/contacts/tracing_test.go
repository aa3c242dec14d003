package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/config"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// tracedService is the example in-process with every span recorded.
type tracedService struct {
	t       *testing.T
	rec     *tracetest.SpanRecorder
	outbox  string
	app     *app
	h       http.Handler
	secrets []string // what no attribute may contain
}

func newTracedService(t *testing.T, set ...config.Option) *tracedService {
	t.Helper()
	s := &tracedService{t: t, rec: tracetest.NewSpanRecorder(), outbox: t.TempDir()}
	jwtKey, pass, scrape := testenv.RandomID(24), testenv.RandomID(12), testenv.RandomID(20)
	s.secrets = []string{adminPasswordTrace, jwtKey, pass, scrape}
	cfg, err := loadConfig("", nil, append([]config.Option{
		config.Set("database_url", "sqlite://"+filepath.Join(t.TempDir(), "c.db")),
		config.Set("jwt_key", jwtKey), config.Set("encryption_passphrase", pass),
		config.Set("admin_password", adminPasswordTrace), config.Set("outbox_dir", s.outbox),
		config.Set("metrics_scrape_key", scrape), config.Set("password_min_score", 0),
	}, set...)...)
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.rec))
	s.app, err = newTracedApp(t.Context(), cfg, slog.New(slog.DiscardHandler), io.Discard, tp)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.app.close(context.Background()) })
	s.h = s.app.handler()
	return s
}

const adminPasswordTrace = "Quiet-meadow 8812"

// do sends one request; auth is a bearer token, "key:<api key>" or "".
func (s *tracedService) do(method, path, auth string, body any, header ...string) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.t, err)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, "/api/v1"+path, rd)
	r.RemoteAddr = "192.0.2.10:4000"
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if k, ok := strings.CutPrefix(auth, "key:"); ok {
		r.Header.Set("X-Api-Key", k)
	} else if auth != "" {
		r.Header.Set("Authorization", "Bearer "+auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

// newUser registers an account, confirms it from the outbox and logs it
// in; it returns its token. The confirmation token and the password join
// the secrets.
func (s *tracedService) newUser(name string) string {
	s.t.Helper()
	identity, password := name+"@example.com", "Slow-river 4471 basalt"
	code, body := s.do(http.MethodPost, "/account", "", map[string]any{"username": name, "name": "User " + name,
		"identity": identity, "password": password})
	require.Equal(s.t, http.StatusAccepted, code, body)
	var confirm string
	require.Eventually(s.t, func() bool {
		entries, _ := os.ReadDir(s.outbox)
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(s.outbox, e.Name()))
			var n struct{ To, Purpose, Token string }
			if err == nil && json.Unmarshal(data, &n) == nil && n.To == identity && n.Purpose == "confirm" {
				confirm = n.Token
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	s.secrets = append(s.secrets, password, confirm)
	code, body = s.do(http.MethodPost, "/account/confirm", "", map[string]any{"token": confirm, "password": password})
	require.Equal(s.t, http.StatusNoContent, code, body)
	code, body = s.do(http.MethodPost, "/auth", "", map[string]any{"username": name, "password": password})
	require.Equal(s.t, http.StatusCreated, code, body)
	token, _ := body["token"].(string)
	s.secrets = append(s.secrets, token)
	return token
}

// node is one recorded span with its children, in start order.
type node struct {
	span     sdktrace.ReadOnlySpan
	children []*node
}

// trees returns the recorded spans as trees, roots in start order.
func trees(spans []sdktrace.ReadOnlySpan) []*node {
	byID := map[trace.SpanID]*node{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = &node{span: s}
	}
	var roots []*node
	for _, s := range spans {
		n := byID[s.SpanContext().SpanID()]
		if p, ok := byID[s.Parent().SpanID()]; ok && s.Parent().IsValid() {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var sortNodes func([]*node)
	sortNodes = func(ns []*node) {
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].span.StartTime().Before(ns[j].span.StartTime()) })
		for _, n := range ns {
			sortNodes(n.children)
		}
	}
	sortNodes(roots)
	return roots
}

// outline writes a tree as indented span names.
func outline(n *node) string {
	var b strings.Builder
	var walk func(*node, int)
	walk = func(n *node, depth int) {
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), n.span.Name())
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// find returns the first span named name in the tree of n (n included).
func (n *node) find(name string) *node {
	if n.span.Name() == name {
		return n
	}
	for _, c := range n.children {
		if f := c.find(name); f != nil {
			return f
		}
	}
	return nil
}

func (n *node) attr(k string) attribute.Value {
	for _, kv := range n.span.Attributes() {
		if string(kv.Key) == k {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// request returns the tree of the server span named name (the n-th one).
func (s *tracedService) request(name string, nth int) *node {
	s.t.Helper()
	for _, r := range trees(s.rec.Ended()) {
		if r.span.Name() == name && r.span.SpanKind() == trace.SpanKindServer {
			if nth == 0 {
				return r
			}
			nth--
		}
	}
	s.t.Fatalf("no server span %q; recorded:\n%s", name, s.dump())
	return nil
}

func (s *tracedService) dump() string {
	var b strings.Builder
	for _, r := range trees(s.rec.Ended()) {
		b.WriteString(outline(r))
	}
	return b.String()
}

// scanSecrets fails the test when an attribute or an event attribute of
// any recorded span, or a span name, contains one of the secrets.
func (s *tracedService) scanSecrets(secrets ...string) int {
	s.t.Helper()
	secrets = slices.DeleteFunc(append(slices.Clone(s.secrets), secrets...), func(x string) bool { return len(x) < 6 })
	checked := 0
	check := func(where string, kv attribute.KeyValue) {
		checked++
		v := kv.Value.String()
		for _, sec := range secrets {
			if strings.Contains(v, sec) {
				s.t.Errorf("%s: attribute %s holds a secret (%.6s...)", where, kv.Key, sec)
			}
		}
	}
	for _, sp := range s.rec.Ended() {
		for _, sec := range secrets {
			if strings.Contains(sp.Name(), sec) {
				s.t.Errorf("span name %q holds a secret", sp.Name())
			}
		}
		for _, kv := range sp.Attributes() {
			check(sp.Name(), kv)
		}
		for _, e := range sp.Events() {
			for _, kv := range e.Attributes {
				check(sp.Name()+" event "+e.Name, kv)
			}
		}
		for _, kv := range sp.Resource().Attributes() {
			check(sp.Name()+" resource", kv)
		}
	}
	return checked
}

// TestTraceTree drives one request of each kind through the service and
// checks the span tree each one leaves: the server span named by its
// route, and below it the library's spans with their key attributes.
func TestTraceTree(t *testing.T) {
	s := newTracedService(t)
	ctx := t.Context()
	require.NoError(t, s.app.registerInstance(ctx, "trace-1", 8080))

	// Login.
	code, body := s.do(http.MethodPost, "/auth", "", map[string]any{"username": "admin", "password": adminPasswordTrace})
	require.Equal(t, http.StatusCreated, code, body)
	token, _ := body["token"].(string)
	require.NotEmpty(t, token)
	s.secrets = append(s.secrets, token)
	code, _ = s.do(http.MethodPost, "/auth", "", map[string]any{"username": "admin", "password": "wrong-password-1"})
	require.Equal(t, http.StatusUnauthorized, code)

	// CRUD with an Idempotency-Key.
	code, body = s.do(http.MethodPost, "/person", token, map[string]any{"name": "Ada Lovelace", "privacy": "public"},
		"Idempotency-Key", `"idem-secret-key-1"`)
	require.Equal(t, http.StatusCreated, code, body)
	pid, _ := body["id"].(string)
	code, _ = s.do(http.MethodGet, "/person/"+pid, token, nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = s.do(http.MethodGet, "/person", token, nil)
	require.Equal(t, http.StatusOK, code)
	code, body = s.do(http.MethodPost, "/list", token, map[string]any{"name": "friends", "privacy": "member"})
	require.Equal(t, http.StatusCreated, code, body)
	lid, _ := body["id"].(string)
	code, body = s.do(http.MethodPost, "/message", token, map[string]any{"content": "hello", "list_id": lid})
	require.Equal(t, http.StatusCreated, code, body)
	code, _ = s.do(http.MethodGet, "/person/"+testenv.RandomID(8), token, nil)
	require.Equal(t, http.StatusNotFound, code)

	// An API key, then a request with it.
	code, body = s.do(http.MethodPost, "/apikey", token, map[string]any{"name": "ci", "scopes": []string{"full"}})
	require.Equal(t, http.StatusCreated, code, body)
	key, _ := body["key"].(string)
	if key == "" {
		key, _ = body["apikey"].(string)
	}
	require.NotEmpty(t, key, body)
	s.secrets = append(s.secrets, key)
	if _, secret, ok := strings.Cut(key, "."); ok {
		s.secrets = append(s.secrets, secret)
	}
	code, _ = s.do(http.MethodGet, "/grant", "key:"+key, nil)
	require.Equal(t, http.StatusOK, code)

	// TOTP enrolment: its secret is shown once, never traced.
	code, body = s.do(http.MethodPost, "/auth/totp", token, nil)
	require.Equal(t, http.StatusCreated, code, body)
	if uri, _ := body["uri"].(string); uri != "" {
		if _, q, ok := strings.Cut(uri, "secret="); ok {
			sec, _, _ := strings.Cut(q, "&")
			s.secrets = append(s.secrets, sec)
		}
	}
	for k, v := range body {
		if str, ok := v.(string); ok && strings.Contains(k, "secret") {
			s.secrets = append(s.secrets, str)
		}
	}

	// A second account: registration, confirmation, and a denied request.
	user := s.newUser("tracer")
	code, _ = s.do(http.MethodGet, "/config", user, nil)
	require.Equal(t, http.StatusForbidden, code)
	code, _ = s.do(http.MethodPut, "/person/"+pid, user, map[string]any{"name": "Mallory"})
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, code)

	code, _ = s.do(http.MethodDelete, "/auth", token, nil)
	require.Equal(t, http.StatusNoContent, code)
	code, _ = s.do(http.MethodGet, "/person", token, nil) // logged out
	require.Equal(t, http.StatusUnauthorized, code)
	require.NoError(t, s.app.registration.Close(ctx))
	s.app.registration = nil

	t.Log("\n" + s.dump())

	// The server span is named by the route, with the HTTP attributes.
	login := s.request("POST /api/v1/auth", 0)
	require.Equal(t, int64(201), login.attr("http.response.status_code").AsInt64())
	require.Equal(t, "/api/v1/auth", login.attr("http.route").AsString())
	require.NotNil(t, login.find("apicrud.ratelimit.Allow"), outline(login))
	loginSpan := login.find("apicrud.login.Login")
	require.NotNil(t, loginSpan, outline(login))
	require.Equal(t, "success", loginSpan.attr("apicrud.outcome").AsString())
	require.Equal(t, "password", loginSpan.attr("apicrud.login.method").AsString())
	created := loginSpan.find("apicrud.session.Create")
	require.NotNil(t, created, outline(login))
	require.Len(t, created.attr("session.id").AsString(), 16)
	failed := s.request("POST /api/v1/auth", 1).find("apicrud.login.Login")
	require.Equal(t, "failure", failed.attr("apicrud.outcome").AsString())
	require.Equal(t, "session.invalid_credentials", failed.attr("apicrud.login.reason").AsString())

	create := s.request("POST /api/v1/person", 0)
	validate := create.find("apicrud.session.Validate")
	require.NotNil(t, validate, outline(create))
	require.Equal(t, "valid", validate.attr("apicrud.outcome").AsString())
	require.Equal(t, created.attr("session.id").AsString(), validate.attr("session.id").AsString())
	for _, name := range []string{"apicrud.ratelimit.Allow", "apicrud.grants.Get", "apicrud.idempotency.Begin", "apicrud.idempotency.Complete"} {
		require.NotNil(t, create.find(name), "%s below POST /person:\n%s", name, outline(create))
	}
	require.Equal(t, "started", create.find("apicrud.idempotency.Begin").attr("apicrud.outcome").AsString())
	allow := create.find("apicrud.ratelimit.Allow")
	require.Equal(t, "allowed", allow.attr("apicrud.outcome").AsString())
	require.Equal(t, "uid", allow.attr("apicrud.ratelimit.key").AsString())
	require.Equal(t, create.span.SpanContext().SpanID(), allow.span.Parent().SpanID(), "the rate-limit check is a child of the request")

	msg := s.request("POST /api/v1/message", 0)
	use := msg.find("apicrud.metrics.Use")
	require.NotNil(t, use, outline(msg))
	require.Equal(t, "message_daily_total", use.attr("apicrud.metrics.name").AsString())

	// crud asks accesscontrol: a decision names the rule that allowed it.
	crudCreate := create.find("apicrud.crud.Create")
	require.NotNil(t, crudCreate, outline(create))
	require.Equal(t, "person", crudCreate.attr("apicrud.resource").AsString())
	require.Equal(t, pid, crudCreate.attr("apicrud.crud.id").AsString())
	decide := crudCreate.find("apicrud.accesscontrol.Decide")
	require.NotNil(t, decide, outline(create))
	require.Equal(t, "allowed", decide.attr("apicrud.outcome").AsString())
	require.Equal(t, "person", decide.attr("apicrud.resource").AsString())
	require.NotEmpty(t, decide.attr("apicrud.accesscontrol.rule").AsString())
	list := s.request("GET /api/v1/person", 0)
	require.NotNil(t, list.find("apicrud.crud.Find").find("apicrud.accesscontrol.Filter"), outline(list))
	require.GreaterOrEqual(t, list.find("apicrud.crud.Find").attr("db.response.returned_rows").AsInt64(), int64(1))
	withKey := s.request("GET /api/v1/grant", 0)
	verify := withKey.find("apicrud.apikey.Verify")
	require.NotNil(t, verify, outline(withKey))
	require.Equal(t, "valid", verify.attr("apicrud.outcome").AsString())

	logout := s.request("DELETE /api/v1/auth", 0)
	require.NotNil(t, logout.find("apicrud.session.Revoke"), outline(logout))
	var afterLogout *node
	for _, r := range trees(s.rec.Ended()) {
		if r.span.SpanKind() == trace.SpanKindServer && r.attr("http.response.status_code").AsInt64() == 401 { // the last: after logout
			afterLogout = r
		}
	}
	require.NotNil(t, afterLogout)
	require.Equal(t, "no_session", afterLogout.find("apicrud.session.Validate").attr("apicrud.outcome").AsString(), outline(afterLogout))

	notFound := s.request("GET /api/v1/person/{id}", 1)
	require.Equal(t, int64(404), notFound.attr("http.response.status_code").AsInt64())
	require.Equal(t, "crud.not_found", notFound.find("apicrud.crud.Get").attr("error.type").AsString())

	// Start-up and background work: the bootstrap lock, the heartbeats.
	var lock, beat, dereg *node
	for _, r := range trees(s.rec.Ended()) {
		switch r.span.Name() {
		case "apicrud.mutex.Acquire":
			lock = r
		case "apicrud.registry.Heartbeat":
			beat = r
		case "apicrud.registry.Deregister":
			dereg = r
		}
	}
	require.NotNil(t, lock)
	require.Equal(t, "obtained", lock.attr("apicrud.outcome").AsString())
	require.NotContains(t, lock.attr("apicrud.name").AsString(), "bootstrap")
	require.NotNil(t, beat)
	require.Equal(t, "trace-1", beat.attr("service.instance.id").AsString())
	require.NotNil(t, dereg)

	require.Greater(t, s.scanSecrets(), 100)

	// The waterfall picture of the message's trace (README's Tracing
	// section shows it; APICRUD_TRACE_SVG=path writes it there).
	var svg bytes.Buffer
	require.NoError(t, writeWaterfall(&svg, "POST /api/v1/message", msg))
	require.Equal(t, countSpans(msg), strings.Count(svg.String(), `rx="3"`))
	if out := os.Getenv("APICRUD_TRACE_SVG"); out != "" {
		require.NoError(t, os.WriteFile(out, svg.Bytes(), 0o644))
	}
}

func countSpans(n *node) int {
	c := 1
	for _, k := range n.children {
		c += countSpans(k)
	}
	return c
}

// TestPProf: pprof: true serves the profiles to admins and to the scrape
// key only; without it there is no such route.
func TestPProf(t *testing.T) {
	s := newTracedService(t, config.Set("pprof", true))
	code, body := s.do(http.MethodPost, "/auth", "", map[string]any{"username": "admin", "password": adminPasswordTrace})
	require.Equal(t, http.StatusCreated, code, body)
	admin, _ := body["token"].(string)
	user := s.newUser("plainuser")
	scrape := s.app.cfg.MetricsScrapeKey().Reveal()

	code, _ = s.do(http.MethodGet, "/debug/pprof/", "", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = s.do(http.MethodGet, "/debug/pprof/cmdline", "", nil, "X-Scrape-Key", "wrong-key-000000000")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = s.do(http.MethodGet, "/debug/pprof/cmdline", user, nil)
	require.Equal(t, http.StatusForbidden, code)
	code, _ = s.do(http.MethodGet, "/debug/pprof/cmdline", admin, nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = s.do(http.MethodGet, "/debug/pprof/cmdline", "", nil, "X-Scrape-Key", scrape)
	require.Equal(t, http.StatusOK, code)
	r := httptest.NewRequest(http.MethodGet, "/api/v1/debug/pprof/goroutine?debug=1", nil)
	r.Header.Set("Authorization", "Bearer "+admin)
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), "goroutine profile")

	off := newTracedService(t)
	code, _ = off.do(http.MethodGet, "/debug/pprof/cmdline", "", nil, "X-Scrape-Key", off.app.cfg.MetricsScrapeKey().Reveal())
	require.Equal(t, http.StatusNotFound, code)
}

// TestTraceLogHandler: a record logged with a context that holds a span
// carries its trace_id and span_id; one without a span carries neither.
func TestTraceLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(traceLogHandler{slog.NewJSONHandler(&buf, nil)}).With("svc", "contacts")
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(t.Context(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(t.Context(), "outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	var in, out map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &in))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &out))
	require.Equal(t, span.SpanContext().TraceID().String(), in["trace_id"])
	require.Equal(t, span.SpanContext().SpanID().String(), in["span_id"])
	require.Equal(t, "contacts", in["svc"])
	require.NotContains(t, out, "trace_id")
}

// TestTracerProvider: the tracing key picks the exporter; auto follows
// OTEL_EXPORTER_OTLP_ENDPOINT; stdout writes the spans as JSON.
func TestTracerProvider(t *testing.T) {
	load := func(mode string) *serviceConfig {
		cfg, err := loadConfig("", nil, config.Set("database_url", "sqlite://"+filepath.Join(t.TempDir(), "c.db")),
			config.Set("jwt_key", testenv.RandomID(24)), config.Set("encryption_passphrase", testenv.RandomID(12)),
			config.Set("tracing", mode))
		require.NoError(t, err)
		return cfg
	}
	noEnv := func(string) string { return "" }
	tp, err := newTracerProvider(t.Context(), load("auto"), noEnv, io.Discard)
	require.NoError(t, err)
	require.Nil(t, tp)
	tp, err = newTracerProvider(t.Context(), load("off"), func(string) string { return "http://127.0.0.1:4318" }, io.Discard)
	require.NoError(t, err)
	require.Nil(t, tp)

	tp, err = newTracerProvider(t.Context(), load("auto"), func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return "http://127.0.0.1:1" // nothing listens: export fails, construction does not
		}
		return ""
	}, io.Discard)
	require.NoError(t, err)
	require.NotNil(t, tp)
	sctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_ = tp.Shutdown(sctx)

	var buf bytes.Buffer
	tp, err = newTracerProvider(t.Context(), load("stdout"), noEnv, &buf)
	require.NoError(t, err)
	_, span := tp.Tracer("test").Start(t.Context(), "dev-span")
	span.End()
	require.NoError(t, tp.Shutdown(t.Context()))
	require.Contains(t, buf.String(), `"Name":"dev-span"`)
	require.Contains(t, buf.String(), `"service.name"`)
}
