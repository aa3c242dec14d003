package ratelimit_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
)

// tripStore counts the round trips of a Store and records what each asked.
type tripStore struct {
	ratelimit.Store
	trips   atomic.Int64
	allowed atomic.Int64
	mu      sync.Mutex
	asks    []int
}

func (s *tripStore) Allow(ctx context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	s.trips.Add(1)
	res, err := s.Store.Allow(ctx, key, limit, n)
	s.allowed.Add(int64(res.Allowed))
	s.mu.Lock()
	s.asks = append(s.asks, n)
	s.mu.Unlock()
	return res, err
}

// lastAsk returns the n of the latest Allow, or 0.
func (s *tripStore) lastAsk() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.asks) == 0 {
		return 0
	}
	return s.asks[len(s.asks)-1]
}

// redisStore returns a Redis store under prefix, counting its calls (a
// call is a round trip unless the store's local denials answer it).
func redisStore(t *testing.T, rdb redis.UniversalClient, prefix string) *tripStore {
	return &tripStore{Store: testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix)))}
}

// TestReservationBoundRedis: four Limiters (four instances) with their
// own Redis clients share one bucket under concurrent load; over every
// span w, the events they allowed together are at most what the exact
// limiter allows over w + hold (plus, for the check that made a
// reservation, its own round trip: the store decides after the check
// began).
func TestReservationBoundRedis(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	lim := ratelimit.Limit{Rate: 2000, Period: time.Second, Burst: 50} // 500 µs
	const hold = 50 * time.Millisecond
	key := ratelimit.Key{UID: "u-1"}
	var (
		mu      sync.Mutex
		times   []time.Duration
		longest time.Duration
		checks  atomic.Int64
		stores  []*tripStore
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range 4 {
		s := redisStore(t, testenv.Redis(t), prefix)
		stores = append(stores, s)
		l := testenv.Must(ratelimit.New(ratelimit.WithStore(s), ratelimit.WithDefaultLimit(lim), ratelimit.WithReservation(32, hold)))
		for range 4 {
			wg.Go(func() {
				var mine []time.Duration
				var slow time.Duration
				for i := 0; time.Since(start) < time.Second; i++ {
					// About 2,400 checks a second in all, a little over the
					// limit, with pauses in which reservations run out of time.
					time.Sleep(time.Duration(i%13) * time.Millisecond)
					if i%50 == 49 {
						time.Sleep(hold)
					}
					c := time.Since(start)
					res, err := l.Allow(context.Background(), key, 1)
					if err != nil {
						t.Error(err)
						return
					}
					slow = max(slow, time.Since(start)-c)
					checks.Add(1)
					if res.Allowed > 0 {
						mine = append(mine, c)
					}
				}
				mu.Lock()
				times, longest = append(times, mine...), max(longest, slow)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	slices.Sort(times)
	var trips, reserved int64
	for _, s := range stores {
		trips, reserved = trips+s.trips.Load(), reserved+s.allowed.Load()
	}
	t.Logf("%d checks, %d allowed, %d store calls, %d events reserved; slowest check %v",
		checks.Load(), len(times), trips, reserved, longest)
	require.LessOrEqual(t, int64(len(times)), reserved)
	for _, w := range []time.Duration{0, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, time.Second} {
		most := ratelimit.MaxInWindow(times, w)
		exact := lim.MaxBurst() + int(w/lim.Interval()) + 1
		bound := lim.MaxBurst() + int((w+hold+longest)/lim.Interval()) + 1
		t.Logf("w=%v: at most %d allowed (exact limiter: %d, bound: %d)", w, most, exact, bound)
		require.LessOrEqual(t, most, bound, "w=%v", w)
	}
}

// TestReservationExpiresRedis: events held are not spent once hold has
// passed since their reservation; the next check goes to Redis.
func TestReservationExpiresRedis(t *testing.T) {
	rdb := testenv.Redis(t)
	s := redisStore(t, rdb, testenv.Prefix(t, rdb))
	const hold = 40 * time.Millisecond
	l := testenv.Must(ratelimit.New(ratelimit.WithStore(s), ratelimit.WithDefaultLimit(ratelimit.PerSecond(100_000)), ratelimit.WithReservation(64, hold)))
	ctx := t.Context()
	key := ratelimit.Key{UID: "u-1"}
	for s.lastAsk() != 64 { // reservations of 1, 2, 4, ... 64
		_, err := l.Allow(ctx, key, 1)
		require.NoError(t, err)
	}
	reserved := time.Now() // after the store answered the reservation of 64
	trips := s.trips.Load()
	local := 0
	for {
		time.Sleep(2 * time.Millisecond) // 63 held: they would last 126 ms
		c := time.Now()
		res, err := l.Allow(ctx, key, 1)
		require.NoError(t, err)
		require.Equal(t, 1, res.Allowed)
		if s.trips.Load() != trips {
			break
		}
		require.Less(t, c.Sub(reserved), hold, "served locally after hold")
		local++
	}
	require.Less(t, local, 63, "the held events ran out of time, not out of number")
	require.Less(t, s.lastAsk(), 64, "sized to what was spent, not doubled")
}

// TestReservationResetRedis: Reset drops the Limiter's reservation and
// the bucket; another instance keeps spending its own.
func TestReservationResetRedis(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	a, b := redisStore(t, rdb, prefix), redisStore(t, rdb, prefix)
	lim := ratelimit.PerHour(100)
	la := testenv.Must(ratelimit.New(ratelimit.WithStore(a), ratelimit.WithDefaultLimit(lim), ratelimit.WithReservation(8, time.Minute)))
	lb := testenv.Must(ratelimit.New(ratelimit.WithStore(b), ratelimit.WithDefaultLimit(lim), ratelimit.WithReservation(8, time.Minute)))
	ctx := t.Context()
	key := ratelimit.Key{UID: "u-1"}
	for range 4 { // reservations of 1, 2, 4 on each: 3 held by each
		for _, l := range []*ratelimit.Limiter{la, lb} {
			_, err := l.Allow(ctx, key, 1)
			require.NoError(t, err)
		}
	}
	require.Equal(t, int64(3), a.trips.Load())
	require.NoError(t, la.Reset(ctx, key))
	res, err := la.Allow(ctx, key, 1)
	require.NoError(t, err)
	require.Equal(t, int64(4), a.trips.Load(), "not from a dropped reservation")
	require.Equal(t, 1, a.lastAsk(), "exactly: a new start")
	require.Equal(t, 99, res.Remaining, "the bucket was reset")
	_, err = lb.Allow(ctx, key, 1)
	require.NoError(t, err)
	require.Equal(t, int64(3), b.trips.Load(), "the other instance spends its own")
}

// TestReservationTracing: the span says whether the check was served
// from the reservation.
func TestReservationTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	mem := ratelimit.NewMemoryStore()
	t.Cleanup(func() { _ = mem.Close(context.Background()) })
	s := &tripStore{Store: mem}
	l := testenv.Must(ratelimit.New(ratelimit.WithStore(s), ratelimit.WithReservation(8, time.Minute), ratelimit.WithTracerProvider(tp)))
	for range 3 { // exact, reserves 2, served locally
		_, err := l.Allow(t.Context(), ratelimit.Key{UID: "u-1"}, 1)
		require.NoError(t, err)
	}
	spans := rec.Ended()
	require.Len(t, spans, 3)
	for i, want := range []bool{false, false, true} {
		v, ok := attrs(spans[i])["apicrud.ratelimit.local"]
		require.True(t, ok)
		require.Equal(t, want, v.AsBool(), "check %d", i)
	}
}
