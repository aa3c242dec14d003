package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/metrics"
	"github.com/apicrud-go/apicrud/ratelimit"
)

// failoverGroup is the Sentinel group scripts/services.sh keeps for this
// test alone (primary and replica on 7012 and 7013), so that killing its
// primary disturbs no other test.
const (
	failoverGroup    = "apicrud-failover"
	failoverSentinel = "127.0.0.1:7020"
)

// TestSentinelFailover kills (SIGKILL) the primary of the project's own
// Sentinel group under the example's Redis backends, built from a Sentinel
// REDIS_URL, and shows that every store keeps working once Sentinel has
// promoted the replica, with the state written before the kill (and
// replicated) still there. The killed server is then restarted as a replica
// of the new primary, so the group is whole again for the next run.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a Redis server and waits for Sentinel (about 10 s)")
	}
	if os.Getenv("APICRUD_TEST_REDIS_SENTINEL") != "" {
		t.Skip("skipping: APICRUD_TEST_REDIS_SENTINEL points at servers this test must not kill")
	}
	url := "redis://" + failoverSentinel + "?master_name=" + failoverGroup
	admin := testenv.RedisSentinelURLClient(t, url)
	ctx := t.Context()
	prefix := testenv.Prefix(t, admin)
	b, err := newBackends(ctx, url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.close(context.Background()) })

	limit := ratelimit.PerHour(10)
	mustNoError(t, b.sessions.Create(ctx, "u-1", "s-1", []byte("before"), time.Hour, time.Hour))
	if _, err := b.limits.Allow(ctx, "k", limit, 3); err != nil {
		t.Fatal(err)
	}
	credit := metrics.ConsumeRequest{Metric: "sms_daily_total", UID: "u-1", Limit: 5, N: 2, Period: time.Hour}
	if ok, _, err := b.metrics.Consume(ctx, credit); err != nil || !ok {
		t.Fatalf("Consume: %v %v", ok, err)
	}
	// Asynchronous replication: make sure the replica has it all.
	if n, err := admin.Do(ctx, "WAIT", 1, 5000).Int64(); err != nil || n < 1 {
		t.Fatalf("WAIT 1: %d replicas (%v)", n, err)
	}

	old := killPrimary(t, admin)
	t.Cleanup(func() { restartAsReplica(t, admin, old) })

	// Every store answers again once Sentinel has promoted the replica.
	start := time.Now()
	var last error
	for time.Since(start) < 30*time.Second {
		if last = useEveryStore(ctx, b, limit); last == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("the stores still fail %v after the kill: %v", time.Since(start), last)
	}
	t.Logf("stores answering again %v after the primary was killed", time.Since(start).Round(10*time.Millisecond))
	if now := primaryAddr(t, admin); now == old {
		t.Fatalf("the primary is still %s", now)
	}

	e, ok, err := b.sessions.Get(ctx, "u-1", "s-1", time.Hour, time.Hour, nil)
	if err != nil || !ok || string(e.Data) != "before" {
		t.Errorf("session written before the failover: %q %v %v", e.Data, ok, err)
	}
	res, err := b.limits.Allow(ctx, "k", limit, 0)
	if err != nil || res.Remaining > 6 {
		t.Errorf("rate-limit bucket after the failover: %+v %v, want the 3 (and more) used before it", res, err)
	}
	cs, _, err := b.metrics.Usage(ctx, "u-1", []string{"sms_daily_total"}, nil)
	if err != nil || len(cs) != 1 || cs[0].Left > 2 {
		t.Errorf("credit after the failover: %+v %v, want the 2 used before it and 1 after kept (at most 2 left)", cs, err)
	}
}

// useEveryStore makes one call on each store: a session, a rate-limit
// check, a lock taken and released, a usage credit, a registry entry and a
// cache entry.
func useEveryStore(ctx context.Context, b *backends, limit ratelimit.Limit) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var errs []error
	errs = append(errs, b.sessions.Create(ctx, "u-2", "s-after", []byte("after"), time.Hour, time.Hour))
	_, err := b.limits.Allow(ctx, "k", limit, 1)
	errs = append(errs, err)
	_, ok, err := b.locks.Obtain(ctx, "job", "token-"+strconv.FormatInt(time.Now().UnixNano(), 36), time.Second)
	if err == nil && !ok {
		err = errors.New("lock not obtained")
	}
	errs = append(errs, err)
	_, _, err = b.metrics.Consume(ctx, metrics.ConsumeRequest{Metric: "sms_daily_total", UID: "u-1", Limit: 5, N: 1, Period: time.Hour})
	errs = append(errs, err)
	errs = append(errs, b.registry.Put(ctx, "main:x", []byte("x"), time.Minute))
	_, gen, _, err := b.records.Get(ctx, "settings:x")
	if err == nil {
		err = b.records.Set(ctx, "settings:x", gen, []byte("x"), time.Minute)
	}
	errs = append(errs, err)
	return errors.Join(errs...)
}

func mustNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// primaryAddr asks Sentinel for the group's primary.
func primaryAddr(t *testing.T, admin redis.UniversalClient) string {
	t.Helper()
	s := redis.NewSentinelClient(&redis.Options{Addr: failoverSentinel})
	defer s.Close()
	hp, err := s.GetMasterAddrByName(context.Background(), failoverGroup).Result()
	if err != nil || len(hp) != 2 {
		t.Fatalf("SENTINEL get-master-addr-by-name %s: %v %v", failoverGroup, hp, err)
	}
	return hp[0] + ":" + hp[1]
}

// killPrimary sends SIGKILL to the group's primary, after checking that it
// is one of the group's own servers (127.0.0.1:7012 or 7013), and returns
// its address.
func killPrimary(t *testing.T, admin redis.UniversalClient) string {
	t.Helper()
	addr := primaryAddr(t, admin)
	if addr != "127.0.0.1:7012" && addr != "127.0.0.1:7013" {
		t.Skipf("skipping: the %s primary is %s, not one of this project's failover servers", failoverGroup, addr)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	info, err := c.InfoMap(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(info["Server"]["process_id"])
	if err != nil || pid <= 1 {
		t.Fatalf("process_id of %s: %q", addr, info["Server"]["process_id"])
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Skipf("skipping: cannot kill the Redis primary (pid %d): %v", pid, err)
	}
	t.Logf("killed the primary %s (pid %d)", addr, pid)
	return addr
}

// restartAsReplica starts redis-server again on addr's port, as
// scripts/services.sh does, replicating the group's new primary.
func restartAsReplica(t *testing.T, admin redis.UniversalClient, addr string) {
	dir := os.Getenv("APICRUD_REDIS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "apicrud-redis")
	}
	port := addr[len("127.0.0.1:"):]
	primary := primaryAddr(t, admin)
	pdir := filepath.Join(dir, port)
	_ = os.MkdirAll(pdir, 0o755)
	cmd := exec.Command("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", "--dir", pdir, "--logfile", filepath.Join(pdir, "redis.log"),
		"--protected-mode", "no", "--replicaof", "127.0.0.1", primary[len("127.0.0.1:"):])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("restarting redis-server on %s: %v %s", addr, err, out)
		return
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return
		}
		if err == nil && strings.Contains(info, "role:master") {
			// Sentinel may not have reconfigured it yet: say it ourselves.
			_ = c.Do(ctx, "REPLICAOF", "127.0.0.1", primary[len("127.0.0.1:"):]).Err()
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Not a failure of what this test proves; scripts/services.sh rebuilds
	// a group whose primary has no replica on the next run.
	t.Logf("%s restarted but is not replicating %s yet: %s", addr, primary, c.Info(ctx, "replication").Val())
}
