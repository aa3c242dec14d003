package main

// The end-to-end harness: it builds the contacts binary once, starts real
// instances of it on free ports against SQLite or PostgreSQL, in-memory or
// Redis backends, and drives them over HTTP as a client would.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

// e2eDir holds the binary built for the end-to-end tests; TestMain removes
// it afterwards.
var e2eDir string

// buildBinary builds the contacts binary once, the first time a test needs
// it (with -race when the tests run with -race, unless APICRUD_E2E_RACE=0).
var buildBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(e2eDir, "contacts")
	args := []string{"build", "-o", bin}
	if serverRace() {
		args = append(args, "-race")
	}
	out, err := exec.Command(goTool(), append(args, ".")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "contacts-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "contacts e2e:", err)
		os.Exit(1)
	}
	e2eDir = dir
	if !testing.Short() && serverRace() && flag.Lookup("test.run").Value.String() == "" {
		// The whole package runs: build the binary without the race
		// detector (for the memory tests) while the other tests run,
		// not when the memory tests start.
		go func() {
			_, _ = buildBinary()
			_, _ = buildPlainBinary()
		}()
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// serverRace reports whether the service binary is built with the race
// detector: as the tests are, unless APICRUD_E2E_RACE says otherwise.
func serverRace() bool {
	if v, err := strconv.ParseBool(os.Getenv("APICRUD_E2E_RACE")); err == nil {
		return v && raceEnabled
	}
	return raceEnabled
}

// goTool is the go command: $GOROOT/bin/go when go test set GOROOT,
// else the one on PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// binary returns the path of the built service, building it first; it
// skips in -short mode.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the end-to-end tests in -short mode")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatalf("building the contacts binary: %v", err)
	}
	return bin
}

// randomText returns n lower-case random letters and digits.
func randomText(n int) string { return strings.ToLower(rand.Text()[:n]) }

// --- deployments ---------------------------------------------------------

// adminPassword is the APICRUD_ADMIN_PASSWORD of every deployment.
const adminPassword = "Quartz-Lantern-Meadow-42"

// scrapeKey is the APICRUD_METRICS_SCRAPE_KEY of every deployment.
const scrapeKey = "scrape-key-9f2c1d7e4b6a8350"

// deployment is the shared state of one or more instances: a database, the
// backends (memory or one Redis prefix), the outbox directory and the
// environment they all run with.
type deployment struct {
	name    string // "SQLite with in-memory backends", …
	dir     string
	outbox  string
	env     map[string]string
	rdb     redis.UniversalClient // nil for the in-memory backends
	prefix  string                // APICRUD_REDIS_PREFIX
	dialect string
	// degraded: a backend is taken down on purpose, so warnings and errors
	// in the log are expected (the test counts them itself).
	degraded bool
	bin      string   // the service binary; empty: binary(t)
	args     []string // flags every instance starts with, besides -addr

	mu       sync.Mutex      // guards consumed
	consumed map[string]bool // outbox files already read
	ipSeq    atomic.Uint32   // the last client address handed out
}

// newDeployment returns the environment every deployment shares, in a
// fresh directory.
func newDeployment(t *testing.T, name string) *deployment {
	dir := t.TempDir()
	d := &deployment{
		name: name, dir: dir, outbox: filepath.Join(dir, "outbox"), consumed: map[string]bool{},
		// The limits the scenarios count on are spelled out, not inherited.
		env: map[string]string{
			"APICRUD_ADMIN_PASSWORD":        adminPassword,
			"APICRUD_OUTBOX_DIR":            filepath.Join(dir, "outbox"),
			"APICRUD_TRUSTED_PROXIES":       "127.0.0.1/32",
			"APICRUD_TRUSTED_ORIGINS":       "https://app.example",
			"APICRUD_METRICS_SCRAPE_KEY":    scrapeKey,
			"APICRUD_LOG_LEVEL":             "info",
			"APICRUD_LOGIN_ATTEMPTS_MAX":    "5",
			"APICRUD_RATELIMIT_REQUESTS":    "500",
			"APICRUD_RATELIMIT_INTERVAL":    "5m",
			"APICRUD_REGISTRY_INTERVAL":     "30s",
			"APICRUD_REGISTRY_TTL":          "60s",
			"APICRUD_LOGIN_IP_ATTEMPTS_MAX": "50",
			// The scenarios run in parallel on a shared, loaded machine: a
			// password check waits for a hashing slot rather than answer 503
			// session.busy (the bound itself is tested with its own settings).
			"APICRUD_PASSWORD_HASH_WAIT": "60s",
		},
	}
	return d
}

// sqliteDeployment is SQLite with the in-memory backends; the secrets are
// the development keys the service generates beside the database.
func sqliteDeployment(t *testing.T) *deployment {
	t.Helper()
	d := newDeployment(t, "SQLite with in-memory backends")
	d.dialect = dialectSQLite
	d.env["DATABASE_URL"] = "sqlite://" + filepath.Join(d.dir, "contacts.db")
	return d
}

// postgresRedisDeployment is a fresh PostgreSQL schema and a fresh Redis
// prefix, both removed when t ends; it skips (fails under CI=true) when
// either server does not answer.
func postgresRedisDeployment(t *testing.T) *deployment {
	t.Helper()
	return postgresRedisDeploymentOn(t, testenv.RedisSingleNode)
}

// postgresRedisDeploymentOn is postgresRedisDeployment on the test Redis of
// the given topology (testenv.RedisSingleNode, RedisClustered or
// RedisFailover), which the service reaches through the REDIS_URL form of
// that topology.
func postgresRedisDeploymentOn(t *testing.T, topology string) *deployment {
	t.Helper()
	var (
		rdb      redis.UniversalClient
		redisURL string
	)
	switch topology {
	case testenv.RedisClustered:
		rdb, redisURL = testenv.RedisCluster(t), testenv.RedisClusterURL()
	case testenv.RedisFailover:
		rdb, redisURL = testenv.RedisSentinel(t), testenv.RedisSentinelURL()
	default:
		rdb, redisURL = testenv.Redis(t), "redis://"+testenv.RedisAddr()+"/0"
	}
	prefix := testenv.Prefix(t, rdb) // keys deleted with testenv.DeleteKeys at cleanup
	db := testenv.PostgresDB(t)      // a fresh schema, dropped at cleanup
	var schema string
	if err := db.GetContext(t.Context(), &schema, "SELECT current_schema()"); err != nil {
		t.Fatalf("reading the test schema: %v", err)
	}
	u, err := url.Parse(testenv.PostgresURL())
	if err != nil {
		t.Fatalf("APICRUD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	d := newDeployment(t, "PostgreSQL with Redis backends ("+topology+")")
	d.dialect = dialectPostgres
	d.rdb, d.prefix = rdb, prefix
	d.env["DATABASE_URL"] = u.String()
	d.env["REDIS_URL"] = redisURL
	d.env["APICRUD_REDIS_PREFIX"] = prefix
	d.env["APICRUD_JWT_KEY"] = rand.Text() + rand.Text()
	d.env["APICRUD_ENCRYPTION_PASSPHRASE"] = rand.Text()
	return d
}

// environ is the process environment of an instance: the test's own
// without any APICRUD_*, DATABASE_URL or REDIS_URL, then the deployment's,
// then extra ("KEY=value").
func (d *deployment) environ(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "APICRUD_") || k == "DATABASE_URL" || k == "REDIS_URL" {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(d.env))
	for k := range d.env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+d.env[k])
	}
	if serverRace() {
		env = append(env, "GORACE=halt_on_error=0 exitcode=66")
	}
	return append(env, extra...)
}

// nextIP returns a client address no other client of the deployment uses,
// sent as X-Forwarded-For (the instances trust 127.0.0.1 as a proxy), so
// that anonymous rate limits and login throttling are per test.
func (d *deployment) nextIP() string {
	n := d.ipSeq.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", 1+n>>16&0xff, n>>8&0xff, n&0xff)
}

// takeMail returns the oldest unread notice of purpose to the address to,
// waiting up to 5 s for it, and marks it read.
func (d *deployment) takeMail(t testing.TB, to, purpose string) mail {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if m, ok := d.findMail(t, to, purpose); ok {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q notice to %s in the outbox within 5s", purpose, to)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mails returns every notice to the address to, read or not.
func (d *deployment) mails(t testing.TB, to string) []mail {
	t.Helper()
	var out []mail
	d.scanMail(t, func(_ string, m mail) bool {
		if m.To == to {
			out = append(out, m)
		}
		return false
	})
	return out
}

func (d *deployment) findMail(t testing.TB, to, purpose string) (mail, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var found mail
	var ok bool
	d.scanMail(t, func(name string, m mail) bool {
		if d.consumed[name] || m.To != to || m.Purpose != purpose {
			return false
		}
		d.consumed[name] = true
		found, ok = m, true
		return true
	})
	return found, ok
}

// scanMail calls fn for each notice, oldest first, until it returns true.
func (d *deployment) scanMail(t testing.TB, fn func(name string, m mail) bool) {
	t.Helper()
	entries, err := os.ReadDir(d.outbox)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatalf("reading the outbox: %v", err)
	}
	for _, e := range entries { // ReadDir sorts by name: by time written
		if strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.outbox, e.Name()))
		if err != nil {
			t.Fatalf("reading %s: %v", e.Name(), err)
		}
		var m mail
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("outbox file %s: %v", e.Name(), err)
		}
		if fn(e.Name(), m) {
			return
		}
	}
}

// --- instances -----------------------------------------------------------

// instance is one running contacts process.
type instance struct {
	d    *deployment
	name string
	id   string // registry id
	base string // http://127.0.0.1:port/api/v1
	port int

	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	waitErr        error

	stopOnce sync.Once
	adminMu  sync.Mutex
	adminC   *client
}

// syncBuffer is a bytes.Buffer safe for the process's writers and the
// test's readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs an instance of the deployment on a free port with the extra
// environment ("KEY=value"), waits until /health answers, and stops it
// when t ends (SIGTERM, then checks of a clean shutdown). On failure the
// instance's output goes into the test log.
func (d *deployment) start(t *testing.T, name string, extra ...string) *instance {
	t.Helper()
	in := d.launch(t, name, extra...)
	in.ready(t)
	return in
}

// launch starts the process of an instance without waiting for it; ready
// waits. Several instances launched together start concurrently.
func (d *deployment) launch(t *testing.T, name string, extra ...string) *instance {
	t.Helper()
	bin := d.bin
	if bin == "" {
		bin = binary(t)
	}
	in := &instance{d: d, name: name, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	in.cmd = exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, d.args...)...)
	in.cmd.Dir = d.dir
	in.cmd.Env = d.environ(extra)
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		in.waitErr = in.cmd.Wait()
		close(in.done)
	}()
	t.Cleanup(func() {
		in.stop(t)
		if t.Failed() {
			t.Logf("instance %s (%s) stdout:\n%s\nstderr:\n%s", in.name, d.name, in.stdout, in.stderr)
		}
	})
	return in
}

// ready waits until the instance serves and /health answers 200.
func (in *instance) ready(t *testing.T) {
	t.Helper()
	// The start-up line names the address: "contacts: serving http://127.0.0.1:NNNN/api/v1 (…, instance ID)".
	deadline := time.Now().Add(60 * time.Second)
	for in.base == "" {
		for _, line := range strings.Split(in.stdout.String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "contacts: serving "); ok {
				u, _, _ := strings.Cut(rest, " ")
				in.base = u
				if i := strings.LastIndex(line, "instance "); i >= 0 {
					in.id = strings.TrimSuffix(line[i+len("instance "):], ")")
				}
			}
		}
		if in.base != "" {
			break
		}
		select {
		case <-in.done:
			t.Fatalf("%s exited before serving: %v\nstderr:\n%s", in.name, in.waitErr, in.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start within 60s", in.name)
		}
	}
	pu, err := url.Parse(in.base)
	if err != nil {
		t.Fatalf("start-up line: %v", err)
	}
	in.port, _ = strconv.Atoi(pu.Port())

	anon := in.anonymous()
	for {
		res, err := anon.try(t, http.MethodGet, "/health", nil)
		if err == nil && res.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /health did not answer 200 within 60s: %v %v", in.name, res, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks a graceful shutdown: exit status 0 within
// 30 s, the shutdown logged, no race report, no error or warning logged
// (a failed deregistration is one), and on Redis the registry entry gone.
// Only the first call acts.
// kill ends the process with SIGKILL, as a crash would; the checks of a
// clean shutdown are skipped.
func (in *instance) kill() {
	in.stopOnce.Do(func() {
		_ = in.cmd.Process.Kill()
		<-in.done
	})
}

func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.stopOnce.Do(func() {
		if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("%s: SIGTERM: %v", in.name, err)
		}
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.done
			t.Errorf("%s did not stop within 30s of SIGTERM", in.name)
		}
		if in.waitErr != nil {
			t.Errorf("%s exited with %v, want status 0 after SIGTERM", in.name, in.waitErr)
		}
		logs := in.stderr.String()
		if !strings.Contains(logs, `"msg":"shutting down"`) {
			t.Errorf("%s: the log does not show a graceful shutdown", in.name)
		}
		if strings.Contains(logs, "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector reported a data race (see its stderr)", in.name)
		}
		// A warning means something degraded (a failed deregistration, a
		// heartbeat, a metrics write); an error, a 500.
		for _, line := range strings.Split(logs, "\n") {
			if in.d.degraded || strings.Contains(line, `"msg":"redis: no persistence`) {
				continue // expected: an outage test; test servers keep nothing on disk
			}
			if strings.Contains(line, `"msg":"session: rotated refresh token reused; session revoked"`) {
				continue // expected: the refresh-reuse scenario reports a theft
			}
			if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) {
				t.Errorf("%s logged: %s", in.name, line)
			}
		}
		if in.d.rdb != nil && in.id != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			entries, err := in.d.rdb.HKeys(ctx, in.d.prefix+"registry:{registry}:entries").Result()
			if err != nil {
				t.Errorf("reading the registry: %v", err)
			}
			if slices.Contains(entries, "main:"+in.id) {
				t.Errorf("%s stopped but its registry entry main:%s is still in Redis", in.name, in.id)
			}
		}
	})
}

// admin returns a client logged in as the seeded admin (one per instance).
func (in *instance) admin(t *testing.T) *client {
	t.Helper()
	in.adminMu.Lock()
	defer in.adminMu.Unlock()
	if in.adminC == nil {
		c := in.anonymous()
		c.username, c.password = "admin", adminPassword
		c.login(t)
		in.adminC = c
	}
	return in.adminC
}

// setGrant sets account uid's grant name to value, as the admin.
func (in *instance) setGrant(t *testing.T, uid, name string, value int) {
	t.Helper()
	in.admin(t).put(t, "/grant/"+uid+":"+name, map[string]string{"value": strconv.Itoa(value)}).want(t, http.StatusNoContent)
}

// --- clients -------------------------------------------------------------

// httpClient never follows redirects: an API client sees them.
var httpClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second,
	},
}

// client is one user of the service: its own client address, and a login
// token or an API key once it has one. A client is safe for concurrent use
// once set up; its methods take the calling test's t.
type client struct {
	in       *instance
	ip       string
	lang     string // Accept-Language
	token    string
	apiKey   string
	uid      string
	username string
	password string
	identity string
	roles    []string

	mu         sync.Mutex
	transcript bytes.Buffer // every response, for leak checks
	problems   bytes.Buffer // the bodies of the error responses
}

// anonymous returns a client without credentials, with a fresh address.
func (in *instance) anonymous() *client { return &client{in: in, ip: in.d.nextIP()} }

// on returns a copy of c (same account and credentials, same address) that
// talks to another instance.
func (c *client) on(in *instance) *client {
	return &client{in: in, ip: c.ip, lang: c.lang, token: c.token, apiKey: c.apiKey, uid: c.uid,
		username: c.username, password: c.password, identity: c.identity, roles: c.roles}
}

// fromIP returns a copy of c, without credentials, with another address.
func (c *client) fromIP(ip string) *client {
	n := c.on(c.in)
	n.ip, n.token, n.apiKey = ip, "", ""
	return n
}

// withToken returns a copy of c authenticated by tok.
func (c *client) withToken(tok string) *client {
	n := c.on(c.in)
	n.token, n.apiKey = tok, ""
	return n
}

// withAPIKey returns a copy of c authenticated by the API key.
func (c *client) withAPIKey(key string) *client {
	n := c.on(c.in)
	n.token, n.apiKey = "", key
	return n
}

// response is one answer of the service.
type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r *response) String() string {
	if r == nil {
		return "<no response>"
	}
	body := string(r.body)
	if len(body) > 2000 {
		body = body[:2000] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, body)
}

// want fails the test unless the status is one of the wanted ones.
func (r *response) want(t testing.TB, status ...int) *response {
	t.Helper()
	if !slices.Contains(status, r.status) {
		t.Fatalf("%s %s: status = %d, want %v; body: %s", r.method, r.path, r.status, status, r.body)
	}
	return r
}

// wantProblem checks an error response: its status and its problem code.
func (r *response) wantProblem(t testing.TB, status int, code string) problemBody {
	t.Helper()
	r.want(t, status)
	p := decode[problemBody](t, r)
	if code != "" && p.Code != code {
		t.Fatalf("%s %s: problem code = %q, want %q; body: %s", r.method, r.path, p.Code, code, r.body)
	}
	return p
}

// problemBody is an RFC 9457 problem.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
	Code   string `json:"code"`
}

// decode parses the JSON body of r into a T.
func decode[T any](t testing.TB, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%s %s: decoding the body: %v; body: %s", r.method, r.path, err, r.body)
	}
	return v
}

func (c *client) get(t testing.TB, path string, hdr ...string) *response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, hdr...)
}

func (c *client) post(t testing.TB, path string, body any, hdr ...string) *response {
	t.Helper()
	return c.do(t, http.MethodPost, path, body, hdr...)
}

func (c *client) put(t testing.TB, path string, body any, hdr ...string) *response {
	t.Helper()
	return c.do(t, http.MethodPut, path, body, hdr...)
}

func (c *client) delete(t testing.TB, path string, hdr ...string) *response {
	t.Helper()
	return c.do(t, http.MethodDelete, path, nil, hdr...)
}

// do sends a request (body: nil, a []byte sent as it is, or a value sent
// as JSON; hdr: header name and value pairs) and checks what every answer
// must satisfy: errors are problem+json whose status matches, and answers
// to authenticated requests are not cacheable.
func (c *client) do(t testing.TB, method, path string, body any, hdr ...string) *response {
	t.Helper()
	res, err := c.try(t, method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if res.status >= 400 {
		ct := res.header.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s %s → %d: Content-Type = %q, want application/problem+json; body: %s", method, path, res.status, ct, res.body)
		} else {
			var p problemBody
			if err := json.Unmarshal(res.body, &p); err != nil || p.Status != res.status || p.Title == "" {
				t.Errorf("%s %s → %d: not a problem with this status and a title: %s", method, path, res.status, res.body)
			}
		}
	}
	if (c.token != "" || c.apiKey != "") && !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
		t.Errorf("%s %s → %d (authenticated): Cache-Control = %q, want no-store", method, path, res.status, res.header.Get("Cache-Control"))
	}
	return res
}

// try sends a request and returns the answer or the transport error.
func (c *client) try(t testing.TB, method, path string, body any, hdr ...string) (*response, error) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding the body of %s %s: %v", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = c.in.base + path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", c.ip)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.apiKey != "" {
		req.Header.Set("X-Api-Key", c.apiKey)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	if method == http.MethodGet {
		// The scenarios check the totals of lists, which keyset pages
		// report only when asked (testPagination checks the default).
		req.Header.Set("Prefer", "count=exact")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	res := &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: data}
	c.mu.Lock()
	for k, vs := range resp.Header {
		fmt.Fprintf(&c.transcript, "%s: %s\n", k, strings.Join(vs, ", "))
	}
	c.transcript.Write(data)
	c.transcript.WriteByte('\n')
	if res.status >= 400 {
		c.problems.Write(data)
		c.problems.WriteByte('\n')
	}
	c.mu.Unlock()
	return res, nil
}

// problemsSeen returns the bodies of every error response c has received.
func (c *client) problemsSeen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.problems.String()
}

// seen returns every response header and body c has received.
func (c *client) seen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transcript.String()
}

// --- accounts ------------------------------------------------------------

// login logs c in with its username and password and keeps the token.
func (c *client) login(t testing.TB) tokenBody {
	t.Helper()
	anon := c.fromIP(c.ip)
	tb := decode[tokenBody](t, anon.post(t, "/auth", map[string]string{"username": c.username, "password": c.password}).want(t, http.StatusCreated))
	if tb.Token == "" || tb.UID == "" {
		t.Fatalf("login of %s: empty token or uid: %+v", c.username, tb)
	}
	c.token, c.uid, c.roles = tb.Token, tb.UID, tb.Roles
	return tb
}

// newAccount registers an account (name is a lower-case stem of its
// username) and confirms it through the link in the outbox; the client is
// not logged in.
func (in *instance) newAccount(t testing.TB, name string) *client {
	t.Helper()
	c := in.anonymous()
	c.username = name + "-" + randomText(8)
	c.identity = c.username + "@example.com"
	c.password = "Maple-" + rand.Text()[:14]
	c.post(t, "/account", map[string]string{"username": c.username, "name": strings.ToUpper(name[:1]) + name[1:],
		"identity": c.identity, "password": c.password}).want(t, http.StatusAccepted)
	m := in.d.takeMail(t, c.identity, "confirm")
	c.post(t, "/account/confirm", map[string]string{"token": m.Token, "password": c.password}).want(t, http.StatusNoContent)
	c.uid = m.UID
	return c
}

// newUser is newAccount and a login.
func (in *instance) newUser(t testing.TB, name string) *client {
	t.Helper()
	c := in.newAccount(t, name)
	c.login(t)
	return c
}

// totpCode returns the TOTP code of secret at the time at.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("TOTP code: %v", err)
	}
	return code
}

// list is a page of records as crud lists them.
type list[T any] struct {
	Items      []T    `json:"items"`
	Count      int    `json:"count"`
	CursorNext string `json:"cursor_next"`
}

// idOf is the answer to a create.
type idOf struct {
	ID string `json:"id"`
}

// create POSTs a record of resource and returns its id.
func (c *client) create(t testing.TB, resource string, rec any) string {
	t.Helper()
	res := c.post(t, "/"+resource, rec).want(t, http.StatusCreated)
	id := decode[idOf](t, res).ID
	if id == "" {
		t.Fatalf("POST /%s: empty id: %s", resource, res.body)
	}
	if loc := res.header.Get("Location"); !strings.HasSuffix(loc, "/"+resource+"/"+id) {
		t.Errorf("POST /%s: Location = %q, want …/%s/%s", resource, loc, resource, id)
	}
	return id
}

// filterQuery returns "?filter=<json>" plus extra parameters.
func filterQuery(filter map[string]any, extra ...string) string {
	v := url.Values{}
	if filter != nil {
		data, _ := json.Marshal(filter)
		v.Set("filter", string(data))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "?" + v.Encode()
}
