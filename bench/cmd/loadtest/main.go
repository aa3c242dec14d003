// Command loadtest measures the example service (examples/contacts on
// PostgreSQL and Redis: authentication, access control, rate limiting,
// metrics, localization) against a bare net/http + sqlx handler serving the
// same queries (bench/cmd/bare), with wrk, and prints a markdown section
// with both figures and their ratio.
//
//	go run ./cmd/loadtest -contacts /tmp/contacts -bare /tmp/bare > load.md
//
// It creates a PostgreSQL schema (APICRUD_TEST_POSTGRES) and a Redis key
// prefix (APICRUD_TEST_REDIS) of its own and removes both afterwards.
package main

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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	contactsBin := flag.String("contacts", "", "the built examples/contacts binary")
	bareBin := flag.String("bare", "", "the built bench/cmd/bare binary")
	duration := flag.Duration("duration", 10*time.Second, "duration of each wrk run")
	conns := flag.Int("connections", 32, "wrk connections")
	threads := flag.Int("threads", 2, "wrk threads")
	records := flag.Int("records", 1000, "contacts to seed")
	rounds := flag.Int("rounds", 5, "alternating rounds per endpoint, sharing -duration")
	batch := flag.Int("ratelimit-batch", 64, "the example's ratelimit_batch: 0 checks every request's rate limit exactly (one Redis round trip)")
	flag.Parse()
	if err := run(*contactsBin, *bareBin, *duration, *conns, *threads, *records, max(*rounds, 1), *batch); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type target struct {
	name, url string
	headers   []string
}

type measure struct {
	rps      float64
	requests int64
	latency  string
	non2xx   string
}

func run(contactsBin, bareBin string, d time.Duration, conns, threads, records, rounds, batch int) (err error) {
	ctx := context.Background()
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found (Debian package wrk)")
	}
	pgURL := env("APICRUD_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := sqlx.Open("pgx", pgURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	schema := "bench_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dbURL := u.String()

	rdb := redis.NewClient(&redis.Options{Addr: env("APICRUD_TEST_REDIS", "127.0.0.1:6379")})
	defer rdb.Close()
	prefix := "apicrud-bench-" + strings.ToLower(rand.Text()[:8]) + ":"
	defer deleteKeys(rdb, prefix)

	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	const pw = "Load-test secret 2941"
	srv := exec.Command(contactsBin, "-addr", "127.0.0.1:18081")
	srv.Env = append(os.Environ(),
		"DATABASE_URL="+dbURL, "REDIS_URL=redis://"+env("APICRUD_TEST_REDIS", "127.0.0.1:6379")+"/0",
		"APICRUD_REDIS_PREFIX="+prefix, "APICRUD_JWT_KEY="+rand.Text()+rand.Text(),
		"APICRUD_ENCRYPTION_PASSPHRASE="+rand.Text(), "APICRUD_ADMIN_PASSWORD="+pw,
		"APICRUD_RATELIMIT_REQUESTS=100000000", "APICRUD_RATELIMIT_BATCH="+strconv.Itoa(batch),
		"APICRUD_RATELIMIT_BATCH_HOLD="+batchHold.String(), "APICRUD_LOG_LEVEL=error",
		"APICRUD_OUTBOX_DIR="+filepath.Join(dir, "outbox"), "APICRUD_PUBLIC_URL=http://127.0.0.1:18081")
	var logs bytes.Buffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		<-exited
		if err != nil {
			fmt.Fprintln(os.Stderr, logs.String())
		}
	}()
	base := "http://127.0.0.1:18081/api/v1"
	if err := waitHealthy(base+"/health", exited); err != nil {
		return err
	}
	adminTok, _, err := login(base, "admin", pw)
	if err != nil {
		return err
	}
	// A regular user, through registration and its confirmation link.
	const userPW = "Another load-test secret 7730"
	if _, err := call("POST", base+"/account", "", map[string]string{"username": "bench", "name": "Bench", "identity": "bench@example.com", "password": userPW}, nil); err != nil {
		return err
	}
	var token string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// The confirmation is delivered by the service's notify queue, after the answer.
		if token, err = outboxToken(filepath.Join(dir, "outbox")); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return err
	}
	if _, err := call("POST", base+"/account/confirm", "", map[string]string{"token": token, "password": userPW}, nil); err != nil {
		return err
	}
	tok, uid, err := login(base, "bench", userPW)
	if err != nil {
		return err
	}
	// Room for the seeded records, and a rate limit the load cannot reach
	// (the limiter still runs its check on every request).
	for name, value := range map[string]string{"contacts": strconv.Itoa(records + 10), "ratelimit": "100000000"} {
		if _, err := call("PUT", base+"/grant/"+uid+":"+name, adminTok, map[string]string{"value": value}, nil); err != nil {
			return err
		}
	}
	var first string
	for i := range records {
		var created struct{ ID string }
		privacy := "secret"
		if i%10 == 0 {
			privacy = "public"
		}
		if _, err := call("POST", base+"/contact", tok, map[string]any{"info": fmt.Sprintf("c%04d@example.com", i), "privacy": privacy}, &created); err != nil {
			return err
		}
		if first == "" {
			first = created.ID
		}
	}

	bare := exec.Command(bareBin, "-addr", "127.0.0.1:18091", "-uid", uid)
	bare.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	bare.Stderr = &logs
	if err := bare.Start(); err != nil {
		return err
	}
	defer func() { _ = bare.Process.Kill(); _ = bare.Wait() }()
	bareBase := "http://127.0.0.1:18091/api/v1"
	if err := waitHealthy(bareBase+"/contact?limit=1", nil); err != nil {
		return err
	}
	auth := []string{"-H", "Authorization: Bearer " + tok}
	cases := []struct {
		name        string
		svc, baseln target
	}{
		{"list 100 contacts", target{"contacts", base + "/contact?limit=100", append([]string{"-H", "Prefer: count=exact"}, auth...)}, target{"bare", bareBase + "/contact?limit=100", nil}},
		{"get one contact", target{"contacts", base + "/contact/" + first, auth}, target{"bare", bareBase + "/contact/" + first, nil}},
	}
	var out strings.Builder
	rt := max(d/time.Duration(rounds), time.Second)
	fmt.Fprintf(&out, "## Load test: the example service against a bare handler\n\n")
	fmt.Fprintf(&out, "`wrk -t%d -c%d` on loopback, PostgreSQL and Redis on the same machine, the two servers in %d alternating "+
		"rounds of %s each (the one that starts alternates); the ratio is the median of the per-round ratios example req/s ÷ bare req/s, "+
		"with their range. The example service "+
		"authenticates a Bearer session (no Redis round trip while its session cache answers, 1 otherwise), rate-limits the caller (%s), applies the access-control "+
		"filter in SQL and serves localized problem+json errors and metrics; the bare handler (bench/cmd/bare) runs the same "+
		"queries with net/http + sqlx + encoding/json and nothing else. Both do the same work in SQL: the page or the contact, "+
		"an exact count of a list's matches (the example asked with `Prefer: count=exact`), and the lists each contact is in that the caller "+
		"may read (one more query, through contact_in_list). %d contacts, of which the caller owns all; 100 per page.\n\n",
		threads, conns, rounds, rt, rateLimitCost(batch), records)
	fmt.Fprintf(&out, "Redis scripts per request: the EVAL and EVALSHA calls Redis counted (`INFO commandstats`) during the example's runs, "+
		"divided by its requests (every Redis round trip of these requests is one script; other clients of the same Redis count too).\n\n")
	fmt.Fprintf(&out, "| endpoint | example req/s (median) | bare req/s (median) | ratio | range | example latency avg | bare latency avg | Redis scripts per request |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range cases {
		// Warm both (connection pools, caches), then measure.
		for _, t := range []target{c.svc, c.baseln} {
			if _, err := wrk(t, 2*time.Second, conns, threads); err != nil {
				return err
			}
		}
		var svc, bare, ratios []float64
		var s, b measure
		var scripts, requests int64 // Redis scripts run during the example's runs, and its requests
		for r := range rounds {
			order := []*measure{&s, &b}
			targets := []target{c.svc, c.baseln}
			if r%2 == 1 {
				order[0], order[1] = order[1], order[0]
				targets[0], targets[1] = targets[1], targets[0]
			}
			for i, t := range targets {
				before := scriptCalls(rdb)
				m, err := wrk(t, rt, conns, threads)
				if err != nil {
					return err
				}
				if t.name == "contacts" {
					scripts, requests = scripts+scriptCalls(rdb)-before, requests+m.requests
				}
				if m.non2xx != "" {
					return fmt.Errorf("%s: non-2xx responses from %s: %q", c.name, t.name, m.non2xx)
				}
				*order[i] = m
			}
			svc, bare = append(svc, s.rps), append(bare, b.rps)
			ratios = append(ratios, s.rps/b.rps)
		}
		fmt.Fprintf(&out, "| %s | %.0f | %.0f | **%.2f** | %.2f–%.2f | %s | %s | %.2f |\n", c.name, median(svc), median(bare),
			median(ratios), slices.Min(ratios), slices.Max(ratios), s.latency, b.latency, float64(scripts)/float64(max(requests, 1)))
	}
	fmt.Print(out.String())
	return nil
}

// batchHold is the example's ratelimit_batch_hold in the load test (its
// default).
const batchHold = 100 * time.Millisecond

// rateLimitCost says what the example's rate limit costs per request.
func rateLimitCost(batch int) string {
	if batch == 0 {
		return "exact: 1 Redis round trip per request"
	}
	return fmt.Sprintf("approximate mode, ratelimit_batch=%d: after the first few requests, 1 Redis round trip per %d requests of a caller "+
		"(the check is in memory otherwise); at most %v × the caller's rate more requests over any span, across all instances",
		batch, batch, batchHold)
}

// median returns the median of v.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// scriptCalls returns the EVAL, EVALSHA (and _RO) calls Redis has
// counted since its start, or 0 when it cannot tell.
func scriptCalls(rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return 0
	}
	var n int64
	for _, m := range scriptStatRe.FindAllStringSubmatch(info, -1) {
		c, _ := strconv.ParseInt(m[1], 10, 64)
		n += c
	}
	return n
}

var (
	scriptStatRe = regexp.MustCompile(`(?m)^cmdstat_(?:eval|evalsha|eval_ro|evalsha_ro):calls=(\d+)`)
	requestsRe   = regexp.MustCompile(`(\d+) requests in`)
	rpsRe        = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	latencyRe    = regexp.MustCompile(`Latency\s+(\S+)`)
	non2xxRe     = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func wrk(t target, d time.Duration, conns, threads int) (measure, error) {
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", d.String()}
	args = append(args, t.headers...)
	args = append(args, t.url)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return measure{}, fmt.Errorf("wrk %s: %v: %s", t.name, err, out)
	}
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return measure{}, fmt.Errorf("wrk %s: no Requests/sec in %s", t.name, out)
	}
	var res measure
	res.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	if r := requestsRe.FindSubmatch(out); r != nil {
		res.requests, _ = strconv.ParseInt(string(r[1]), 10, 64)
	}
	if l := latencyRe.FindSubmatch(out); l != nil {
		res.latency = string(l[1])
	}
	if n := non2xxRe.FindSubmatch(out); n != nil {
		res.non2xx = string(n[1])
	}
	return res, nil
}

// waitHealthy waits until u answers 200, or exited is closed.
func waitHealthy(u string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("the service exited before %s answered", u)
		default:
		}
		if resp, err := http.Get(u); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", u)
}

func call(method, u, token string, body, out any) (int, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

func login(base, user, pw string) (token, uid string, err error) {
	var r struct{ Token, UID string }
	_, err = call("POST", base+"/auth", "", map[string]string{"username": user, "password": pw}, &r)
	return r.Token, r.UID, err
}

func outboxToken(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*-confirm-*.json"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("no confirmation in %s", dir)
	}
	data, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		return "", err
	}
	var m struct{ Token string }
	return m.Token, json.Unmarshal(data, &m)
}

func deleteKeys(rdb *redis.Client, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
