package redisstore_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
	"github.com/apicrud-go/apicrud/ratelimit/storetest"
)

func TestRedisStore(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) ratelimit.Store {
			return testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// TestTwoInstancesShareState: two stores on two clients with one prefix
// (two service instances) see one bucket.
func TestTwoInstancesShareState(t *testing.T) {
	testenv.EachRedis(t, testTwoInstancesShareState)
}

func testTwoInstancesShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1, rdb2 := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb1)
	a := testenv.Must(ratelimitredis.New(rdb1, ratelimitredis.WithPrefix(prefix)))
	b := testenv.Must(ratelimitredis.New(rdb2, ratelimitredis.WithPrefix(prefix)))
	other := testenv.Must(ratelimitredis.New(rdb2, ratelimitredis.WithPrefix(prefix+"other:")))
	ctx := t.Context()
	l := ratelimit.PerHour(4)
	for i, s := range []ratelimit.Store{a, b, a, b} {
		res, err := s.Allow(ctx, "k", l, 1)
		require.NoError(t, err)
		require.Equal(t, 1, res.Allowed, "request %d", i)
		require.Equal(t, 3-i, res.Remaining, "request %d", i)
	}
	res, err := b.Allow(ctx, "k", l, 1)
	require.NoError(t, err)
	require.Equal(t, 0, res.Allowed)
	res, err = other.Allow(ctx, "k", l, 1)
	require.NoError(t, err)
	require.Equal(t, 1, res.Allowed, "another prefix is another limiter")
	require.NoError(t, a.Reset(ctx, "k"))
	res, err = b.Allow(ctx, "k", l, 0)
	require.NoError(t, err)
	require.Equal(t, 4, res.Remaining, "Reset on one instance is seen by the other")
}

// TestKeySchema: one key per bucket, prefix + "{" + key + "}", holding the
// TAT in Unix microseconds of the server clock, expiring when the bucket is
// full again.
func TestKeySchema(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix)))
	ctx := t.Context()
	l := ratelimit.PerMinute(60)
	_, err := s.Allow(ctx, "login:u:alice", l, 3)
	require.NoError(t, err)
	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	require.Equal(t, []string{prefix + "{login:u:alice}"}, keys)
	tat, err := rdb.Get(ctx, keys[0]).Int64()
	require.NoError(t, err)
	now, err := rdb.Time(ctx).Result()
	require.NoError(t, err)
	require.InDelta(t, now.Add(3*time.Second).UnixMicro(), tat, float64(time.Second/time.Microsecond))
	ttl, err := rdb.PTTL(ctx, keys[0]).Result()
	require.NoError(t, err)
	require.InDelta(t, float64(3*time.Second), float64(ttl), float64(time.Second))

	d := testenv.Must(ratelimitredis.New(rdb))
	_, err = d.Allow(ctx, "schema-test-"+testenv.RandomID(4), l, 0)
	require.NoError(t, err, "default prefix works (a peek writes nothing)")
}

// TestOneRoundTripPerCheck counts the commands the client sends.
func TestOneRoundTripPerCheck(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	var cmds atomic.Int64
	rdb.AddHook(counter{&cmds})
	s := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix), ratelimitredis.WithLocalDenials(false)))
	ctx := t.Context()
	_, err := s.Allow(ctx, "warm", ratelimit.PerHour(10), 1) // may EVAL once after NOSCRIPT
	require.NoError(t, err)
	cmds.Store(0)
	for range 50 {
		_, err := s.Allow(ctx, "k", ratelimit.PerHour(10), 1)
		require.NoError(t, err)
	}
	require.Equal(t, int64(50), cmds.Load(), "one EVALSHA per Allow")
	cmds.Store(0)
	require.NoError(t, s.Reset(ctx, "k"))
	require.LessOrEqual(t, cmds.Load(), int64(2), "Reset: EVALSHA (EVAL on first use)")

	// By default, the denials after the first are answered locally.
	local := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"local:")))
	cmds.Store(0)
	for range 50 {
		_, err := local.Allow(ctx, "k", ratelimit.PerHour(10), 1)
		require.NoError(t, err)
	}
	require.Equal(t, int64(11), cmds.Load(), "10 allowed and 1 denied in Redis, 39 denied locally")
}

// TestLocalDenialsNeverDenyWhatRedisAllows: on a key whose events come
// back every 100 ms, every local denial's RetryAfter is within what Redis
// itself reports right after (through a Store without local denials on
// the same keys), and requests are allowed again as soon as Redis would
// allow them.
func TestLocalDenialsNeverDenyWhatRedisAllows(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	var cmds atomic.Int64
	rdb.AddHook(counter{&cmds})
	local := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix)))
	ref := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix), ratelimitredis.WithLocalDenials(false)))
	ctx := t.Context()
	lim := ratelimit.Limit{Rate: 2, Period: 200 * time.Millisecond} // one event per 100 ms, burst 2
	var allowed, deniedLocally int
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		before, t0 := cmds.Load(), time.Now()
		res, err := local.Allow(ctx, "k", lim, 1)
		require.NoError(t, err)
		if res.Allowed == 1 {
			allowed++
			continue
		}
		require.Positive(t, res.RetryAfter)
		if cmds.Load() == before { // answered without Redis
			deniedLocally++
			peek, err := ref.Allow(ctx, "k", lim, 0)
			require.NoError(t, err)
			// Redis's own wait at t0 is at most its wait now plus the time
			// since t0; a local denial must not outlast it.
			wait := time.Duration(0)
			if peek.Remaining == 0 {
				wait = peek.RefillAfter()
			}
			require.LessOrEqual(t, res.RetryAfter, wait+time.Since(t0), "denied locally longer than Redis would")
		}
		time.Sleep(time.Millisecond)
	}
	require.Positive(t, deniedLocally)
	// 2 at once, then one per 100 ms over one second: 11 or 12 (a late
	// allowance lost to scheduling), never more.
	require.LessOrEqual(t, allowed, 12)
	require.GreaterOrEqual(t, allowed, 9, "local denials held requests back after Redis allowed them")
}

// TestLocalDenialsScope: a remembered denial answers only the same key,
// the same limit and a request at least as large; Reset through the Store
// forgets it at once.
func TestLocalDenialsScope(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	var cmds atomic.Int64
	rdb.AddHook(counter{&cmds})
	s := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix)))
	ctx := t.Context()
	lim := ratelimit.PerHour(3)
	res, err := s.Allow(ctx, "k", lim, 3)
	require.NoError(t, err)
	require.Equal(t, 3, res.Allowed)
	res, err = s.Allow(ctx, "k", lim, 2) // denied by Redis, remembered
	require.NoError(t, err)
	require.Zero(t, res.Allowed)
	roundTrips := func(f func()) int64 {
		before := cmds.Load()
		f()
		return cmds.Load() - before
	}
	require.Zero(t, roundTrips(func() {
		res, err = s.Allow(ctx, "k", lim, 3)
		require.NoError(t, err)
		require.Zero(t, res.Allowed)
		require.Greater(t, res.RetryAfter, 59*time.Minute, "three events: a whole hour")
	}), "a larger request: local")
	require.Equal(t, int64(1), roundTrips(func() {
		_, err = s.Allow(ctx, "k", lim, 1)
		require.NoError(t, err)
	}), "a smaller request: Redis")
	require.Equal(t, int64(1), roundTrips(func() {
		_, err = s.Allow(ctx, "k", ratelimit.PerHour(4), 2)
		require.NoError(t, err)
	}), "another limit: Redis")
	require.Equal(t, int64(1), roundTrips(func() {
		_, err = s.Allow(ctx, "other", lim, 2)
		require.NoError(t, err)
	}), "another key: Redis")
	require.NoError(t, s.Reset(ctx, "k"))
	res, err = s.Allow(ctx, "k", lim, 2)
	require.NoError(t, err)
	require.Equal(t, 2, res.Allowed, "after Reset")
}

type counter struct{ n *atomic.Int64 }

func (c counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestConcurrentClients: 200 concurrent clients (goroutines, split over
// two service instances: two Limiters on two Redis clients sharing one
// prefix) hammer one key: exactly the burst passes; once one interval has
// passed, exactly one more passes; once another has passed, exactly one
// more again.
func TestConcurrentClients(t *testing.T) {
	rdb1, rdb2 := testenv.Redis(t), testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb1)
	// 100 per 100 s: the burst is 100 and one more comes back every second.
	lim := ratelimit.Per(100, 100*time.Second)
	var instances []*ratelimit.Limiter
	for _, rdb := range []*redis.Client{rdb1, rdb2} {
		l, err := ratelimit.New(ratelimit.WithStore(testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix)))), ratelimit.WithDefaultLimit(lim))
		require.NoError(t, err)
		instances = append(instances, l)
	}
	l := instances[0]
	key := ratelimit.Key{Service: "*", UID: "u1"}

	round := func(tries int) (allowed int64, first ratelimit.Result, took time.Duration) {
		const clients = 200
		var ok atomic.Int64
		var wg sync.WaitGroup
		var once sync.Once
		start := time.Now()
		for i := range clients {
			l := instances[i%len(instances)]
			wg.Go(func() {
				for range tries {
					res, err := l.Allow(context.Background(), key, 1)
					if err != nil {
						t.Error(err)
						return
					}
					if res.Allowed == 0 {
						once.Do(func() { first = res })
					}
					ok.Add(int64(res.Allowed))
				}
			})
		}
		wg.Wait()
		return ok.Load(), first, time.Since(start)
	}

	n, denied, took := round(3)
	require.Less(t, took, lim.Interval(), "the round must be shorter than an interval to count exactly")
	require.Equal(t, int64(100), n, "first window")
	require.Positive(t, denied.RetryAfter)

	for w := 2; w <= 3; w++ {
		// Wait until one event's share is back (never sleeping blindly).
		require.Eventually(t, func() bool {
			res, err := l.Allow(context.Background(), key, 0)
			return err == nil && res.Remaining >= 1
		}, 5*time.Second, 5*time.Millisecond)
		n, _, took = round(2)
		require.Less(t, took, lim.Interval())
		require.Equal(t, int64(1), n, "window %d: exactly one more", w)
	}
}

// TestRedisUnreachable: a dead Redis gives errors, never panics, and the
// middleware fails closed (503) by default or open when asked to.
func TestRedisUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	s := testenv.Must(ratelimitredis.New(rdb))

	_, err = s.Allow(t.Context(), "k", ratelimit.PerHour(1), 1)
	require.Error(t, err)
	require.Error(t, s.Reset(t.Context(), "k"))

	for _, open := range []bool{false, true} {
		var reported atomic.Int64
		l, err := ratelimit.New(ratelimit.WithStore(s), ratelimit.WithFailOpen(open),
			ratelimit.WithErrorFunc(func(*http.Request, error) { reported.Add(1) }))
		require.NoError(t, err)
		h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if open {
			require.Equal(t, 204, w.Code)
		} else {
			require.Equal(t, 503, w.Code)
			require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
		}
		require.Equal(t, int64(1), reported.Load())
	}
}

// TestLimiterOnRedis: the middleware on the Redis store, two "instances"
// (Limiters on two clients) sharing one anonymous limit per IP.
func TestLimiterOnRedis(t *testing.T) {
	testenv.EachRedis(t, testLimiterOnRedis)
}

func testLimiterOnRedis(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1, rdb2 := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb1)
	mk := func(rdb redis.UniversalClient) http.Handler {
		l, err := ratelimit.New(ratelimit.WithStore(testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix)))),
			ratelimit.WithAnonymousLimit(ratelimit.PerHour(3)))
		require.NoError(t, err)
		return l.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	}
	hs := []http.Handler{mk(rdb1), mk(rdb2)}
	codes := []int{}
	for i := range 5 {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(1000+i)).String()
		w := httptest.NewRecorder()
		hs[i%2].ServeHTTP(w, r)
		codes = append(codes, w.Code)
		if w.Code == 429 {
			require.Equal(t, "1200", w.Header().Get("Retry-After"))
			require.Equal(t, `"default";r=0;t=1200`, w.Header().Get("RateLimit"))
		}
	}
	require.Equal(t, []int{204, 204, 204, 429, 429}, codes)
}
