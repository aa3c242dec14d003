package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

// outageLength is how long each backend stays down (APICRUD_OUTAGE_SECONDS,
// default 6).
func outageLength() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("APICRUD_OUTAGE_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 6 * time.Second
}

// TestOutages runs the real binary under load (writers creating contacts,
// a prober on /health) and takes a backend away for outageLength: a
// private redis-server killed with SIGKILL and restarted empty on its port,
// a private 3-master Redis Cluster with one master killed and restarted,
// and PostgreSQL behind a TCP proxy that is cut. It logs the status codes
// answered during and after the outage and the recovery time, and checks
// that the service answers 503 (never 500) while the backend is down,
// that /health names the backend that is down, that it recovers without a
// restart, that no acknowledged write is lost, that the outage is not
// logged once per request and, with the database down, that an API key
// gets 503 with Retry-After, not 401 or 429.
func TestOutages(t *testing.T) {
	binary(t)
	if testing.Short() {
		t.Skip("takes a backend down for 6 s per scenario")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("skipping: no redis-server to run a private Redis")
	}
	// The three scenarios have nothing in common (own instance, own
	// backend) and mostly wait: they run at once.
	t.Run("redis single node", func(t *testing.T) {
		t.Parallel()
		srv := startRedis(t, freePort(t), nil)
		runOutage(t, "redis://"+srv.addr, "backend", true, srv.kill, func() { srv.restart(t) }, nil)
	})
	t.Run("redis cluster", func(t *testing.T) {
		t.Parallel()
		c := startCluster(t)
		victim := c[1]
		runOutage(t, "redis://"+c[0].addr+"?addr="+c[1].addr+"&addr="+c[2].addr, "backend", true, victim.kill, func() { victim.restart(t) }, nil)
	})
	t.Run("postgresql", func(t *testing.T) {
		t.Parallel()
		_, proxy, dbURL := testenv.PostgresViaProxy(t)
		rdb := testenv.Redis(t)
		prefix := testenv.Prefix(t, rdb)
		// Sessions (in Redis) authenticate the load: API keys live in the
		// database, and runOutage checks them apart.
		runOutage(t, "redis://"+testenv.RedisAddr()+"/0", "database", false, proxy.Cut, func() { proxy.Restore(t) },
			map[string]string{"DATABASE_URL": dbURL, "APICRUD_REDIS_PREFIX": prefix})
	})
}

// sample is one request of the load.
type sample struct {
	at     time.Time
	status int // 0: transport error
	id     string
	code   string
}

// runOutage starts an instance on redisURL (and the extra environment),
// runs the load, calls down, waits outageLength, calls up, and reports.
func runOutage(t *testing.T, redisURL, backend string, apiKey bool, down, up func(), extra map[string]string) {
	d := postgresRedisDeployment(t)
	d.degraded = true
	d.env["REDIS_URL"] = redisURL
	d.env["APICRUD_RATELIMIT_REQUESTS"] = "1000000"
	for k, v := range extra {
		d.env[k] = v
	}
	in := d.start(t, "outage")
	u := in.newUser(t, "load")
	in.setGrant(t, u.uid, "contacts", 100000000)
	in.setGrant(t, u.uid, "ratelimit", 100000000)
	var key struct {
		APIKey string `json:"apikey"`
	}
	if err := json.Unmarshal(u.post(t, "/apikey", map[string]any{"name": "load", "scopes": []string{"full"}}).want(t, http.StatusCreated).body, &key); err != nil || key.APIKey == "" {
		t.Fatalf("API key: %v", err)
	}
	loader := u
	if apiKey {
		loader = u.withAPIKey(key.APIKey)
	}

	var (
		mu      sync.Mutex
		writes  []sample
		healths []sample
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := sample{at: time.Now()}
				res, err := loader.try(t, http.MethodPost, "/contact", map[string]any{"info": fmt.Sprintf("w%d-%d@example.com", w, i), "privacy": "secret"})
				if err == nil {
					s.status = res.status
					var b struct{ ID, Code string }
					_ = json.Unmarshal(res.body, &b)
					s.id, s.code = b.ID, b.Code
				}
				mu.Lock()
				writes = append(writes, s)
				mu.Unlock()
				if err != nil || res.status >= 500 {
					time.Sleep(20 * time.Millisecond) // a client backing off a little
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		anon := in.anonymous()
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			s := sample{at: time.Now()}
			if res, err := anon.try(t, http.MethodGet, "/health", nil); err == nil {
				var h map[string]string
				_ = json.Unmarshal(res.body, &h)
				s.status, s.code = res.status, h[backend]
			}
			mu.Lock()
			healths = append(healths, s)
			mu.Unlock()
		}
	}()

	time.Sleep(2 * time.Second)
	logs := func(level string) int { return strings.Count(in.stderr.String(), `"level":"`+level+`"`) }
	errorsBefore, warningsBefore := logs("ERROR"), logs("WARN")
	downAt := time.Now()
	down()
	if backend == "database" {
		// API keys live in the database: while it is down a key cannot be
		// checked, which is 503 with Retry-After, not 401 (nor, once the
		// per-address budget of bad credentials is spent, 429).
		time.Sleep(time.Second)
		keyed := u.withAPIKey(key.APIKey)
		for i := range 12 {
			res, err := keyed.try(t, http.MethodGet, "/contact", nil)
			if err != nil {
				t.Errorf("API key request %d during the outage: %v", i, err)
				continue
			}
			if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
				t.Errorf("API key request %d during the outage: %d, Retry-After %q, %s; want 503 with Retry-After",
					i, res.status, res.header.Get("Retry-After"), res.body)
			}
		}
		time.Sleep(outageLength() - time.Second)
	} else {
		time.Sleep(outageLength())
	}
	upAt := time.Now()
	up()
	time.Sleep(8 * time.Second)
	close(stop)
	wg.Wait()
	errorLines, warnLines := logs("ERROR")-errorsBefore, logs("WARN")-warningsBefore

	during, after := map[int]int{}, map[int]int{}
	var firstOK, lastBad time.Time
	var acked []string
	for _, s := range writes {
		switch {
		case s.at.Before(downAt):
		case s.at.Before(upAt):
			during[s.status]++
		default:
			after[s.status]++
			if s.status == http.StatusCreated && firstOK.IsZero() {
				firstOK = s.at
			}
			if s.status != http.StatusCreated {
				lastBad = s.at
			}
		}
		if s.status == http.StatusCreated {
			acked = append(acked, s.id)
		}
		if s.status == http.StatusInternalServerError {
			t.Errorf("a write answered 500 (%s) at %v into the outage", s.code, s.at.Sub(downAt))
		}
	}
	var healthDown, healthNamed int
	for _, s := range healths {
		if s.at.After(downAt.Add(2*time.Second)) && s.at.Before(upAt) {
			healthDown++
			if s.status == http.StatusServiceUnavailable && s.code == "unavailable" {
				healthNamed++
			}
		}
	}
	lost := 0
	for _, id := range acked {
		if res, err := loader.try(t, http.MethodGet, "/contact/"+id, nil); err != nil || res.status != http.StatusOK {
			lost++
		}
	}
	codes := map[string]int{}
	for _, s := range writes {
		if s.at.After(downAt) && s.at.Before(upAt) {
			codes[s.code]++
		}
	}
	recovery := "never"
	if !firstOK.IsZero() {
		recovery = firstOK.Sub(upAt).Round(time.Millisecond).String()
	}
	steady := "at once"
	if !lastBad.IsZero() {
		steady = lastBad.Sub(upAt).Round(time.Millisecond).String()
	}
	t.Logf("%s down %v under 4 writers: during %s (problem codes %v); after %s; first 201 %s after restore, last failure %s after; "+
		"acknowledged writes %d, lost %d; /health named the %s down in %d of %d probes; log lines during the run: %d ERROR, %d WARN",
		backend, outageLength(), statuses(during), codes, statuses(after), recovery, steady, len(acked), lost, backend, healthNamed, healthDown, errorLines, warnLines)
	if lost != 0 {
		t.Errorf("%d acknowledged writes lost", lost)
	}
	if firstOK.IsZero() {
		t.Errorf("no write succeeded after the backend came back")
	}
	if healthNamed != healthDown {
		t.Errorf("/health named the %s down in %d of %d probes during the outage", backend, healthNamed, healthDown)
	}
	if n := during[http.StatusServiceUnavailable]; n == 0 {
		t.Errorf("no 503 during the outage: %v", during)
	}
	if errorLines > 20 {
		t.Errorf("%d ERROR lines: the outage is logged per request", errorLines)
	}
}

// statuses prints a status histogram in order.
func statuses(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%d×%d ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

// freePort returns a free TCP port whose cluster bus port (port+10000) is
// free too.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if p+10000 > 65535 {
			continue
		}
		if bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000)); err == nil {
			_ = bus.Close()
			return p
		}
	}
	t.Fatal("no free port pair")
	return 0
}

// privateRedis is a redis-server child process of the test.
type privateRedis struct {
	addr string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// startRedis runs redis-server on port with no persistence (and the extra
// arguments), stopped when the test ends.
func startRedis(t *testing.T, port int, extra []string) *privateRedis {
	t.Helper()
	dir := t.TempDir()
	p := &privateRedis{
		addr: "127.0.0.1:" + strconv.Itoa(port),
		args: append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
			"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"), "--protected-mode", "no"}, extra...),
	}
	p.restart(t)
	t.Cleanup(p.kill)
	return p
}

func (p *privateRedis) restart(t *testing.T) {
	t.Helper()
	cmd := exec.Command("redis-server", p.args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	go func() { _ = cmd.Wait() }()
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: p.addr})
	defer c.Close()
	for range 100 {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server on %s does not answer", p.addr)
}

// kill sends SIGKILL, as a crash would.
func (p *privateRedis) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		p.cmd = nil
	}
}

// startCluster runs a private 3-master Redis Cluster (no replicas).
func startCluster(t *testing.T) []*privateRedis {
	t.Helper()
	var nodes []*privateRedis
	var addrs []string
	for range 3 {
		n := startRedis(t, freePort(t), []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"})
		nodes = append(nodes, n)
		addrs = append(addrs, n.addr)
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c := redis.NewClient(&redis.Options{Addr: addrs[0]})
	defer c.Close()
	for range 100 {
		if info, err := c.ClusterInfo(context.Background()).Result(); err == nil && strings.Contains(info, "cluster_state:ok") {
			return nodes
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the private cluster does not reach cluster_state:ok")
	return nil
}
