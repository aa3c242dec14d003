package ratelimit

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// countStore is a Store other than a MemoryStore (so that WithReservation
// applies), backed by one: it records what each Allow asked for.
type countStore struct {
	Store
	mu      sync.Mutex
	asks    []int        // n of every Allow, in order
	allowed atomic.Int64 // events the store allowed
}

func (s *countStore) Allow(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	res, err := s.Store.Allow(ctx, key, limit, n)
	s.mu.Lock()
	s.asks = append(s.asks, n)
	s.mu.Unlock()
	s.allowed.Add(int64(res.Allowed))
	return res, err
}

func (s *countStore) calls() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asks)
}

// newCountStore returns a countStore on a MemoryStore closed at the end of
// the test (inside a synctest bubble, before it ends).
func newCountStore(t *testing.T) *countStore {
	m := NewMemoryStore()
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return &countStore{Store: m}
}

func newReserving(t *testing.T, s Store, lim Limit, batch int, hold time.Duration) *Limiter {
	l, err := New(WithStore(s), WithDefaultLimit(lim), WithReservation(batch, hold))
	require.NoError(t, err)
	require.NotNil(t, l.res)
	return l
}

// TestReservationSizes: a key's first check is exact; each reservation
// spent within hold doubles the next (up to batch and burst); one that
// ran out of time sizes the next to what was spent; after a quiet hold
// checks are exact again.
func TestReservationSizes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		const hold = 100 * time.Millisecond
		l := newReserving(t, s, Limit{Rate: 1000, Period: time.Second, Burst: 1000}, 8, hold)
		ctx := t.Context()
		key := Key{Service: DefaultService, UID: "u-1"}
		check := func(n int) Result {
			t.Helper()
			res, err := l.Allow(ctx, key, n)
			require.NoError(t, err)
			require.Equal(t, n, res.Allowed)
			require.Zero(t, res.RetryAfter)
			return res
		}
		for range 31 {
			check(1)
		}
		require.Equal(t, []int{1, 2, 4, 8, 8, 8}, s.calls(), "1+2+4+8+8+8 = 31 reserved for 31 checks")
		res := check(1) // the sixth reservation of 8 holds 7
		require.Equal(t, []int{1, 2, 4, 8, 8, 8, 8}, s.calls())
		require.Equal(t, 1000-32, res.Remaining, "the store's remaining plus what is held")
		check(1) // local, 6 held
		require.Len(t, s.calls(), 7)

		time.Sleep(hold) // the 6 held run out of time, never given back
		check(1)
		require.Equal(t, 2, s.calls()[7], "sized to what was spent from the expired one")
		check(1)
		require.Len(t, s.calls(), 8, "served from the reservation")
		require.Equal(t, int64(31+8+2), s.allowed.Load(), "35 checks, 6 events stranded")

		time.Sleep(2 * hold) // quiet: exact again
		check(3)
		require.Equal(t, 3, s.calls()[len(s.calls())-1])
		check(2) // live and spent: twice the last reservation
		require.Equal(t, 6, s.calls()[len(s.calls())-1])
		require.NoError(t, l.Close(ctx))
	})
}

// TestReservationNearTheLimit: a denied batch is followed by an exact
// request, and never more than the burst passes at once.
func TestReservationNearTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		l := newReserving(t, s, PerHour(10), 8, time.Second)
		key := Key{UID: "u-1"}
		allowed := 0
		for range 30 {
			res, err := l.Allow(t.Context(), key, 1)
			require.NoError(t, err)
			allowed += res.Allowed
			if res.Allowed == 0 {
				require.Positive(t, res.RetryAfter)
			}
		}
		require.Equal(t, 10, allowed)
		require.Equal(t, int64(10), s.allowed.Load(), "nothing stranded: every reserved event was spent")
		calls := s.calls()
		require.Equal(t, []int{1, 2, 4}, calls[:3])
		require.Equal(t, []int{8, 1}, calls[3:5], "8 denied (3 left), then exactly 1")
	})
}

// TestReservationOvershoot: the worst case made concrete. Events held
// from a reservation are spent just before they run out, when the store's
// bucket is full again: more than the burst passes at one instant (the
// exact limiter never allows that), and at most hold/Interval more.
func TestReservationOvershoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		lim := Limit{Rate: 100, Period: time.Second, Burst: 20} // one event per 10 ms
		const hold = 500 * time.Millisecond
		l := newReserving(t, s, lim, 64, hold)
		key := Key{UID: "u-1"}
		for range 8 { // reservations of 1, 2, 4, 8: 15 taken, 8 spent, 7 held
			res, err := l.Allow(t.Context(), key, 1)
			require.NoError(t, err)
			require.Equal(t, 1, res.Allowed)
		}
		time.Sleep(hold - 5*time.Millisecond) // the bucket is full again
		burst := 0
		for {
			res, err := l.Allow(t.Context(), key, 1)
			require.NoError(t, err)
			if res.Allowed == 0 {
				break
			}
			burst++
		}
		require.Greater(t, burst, lim.MaxBurst(), "approximate: more than the burst at one instant")
		require.LessOrEqual(t, burst, lim.MaxBurst()+int(hold/lim.Interval()), "bounded by hold × rate")
		require.Equal(t, 27, burst, "7 held + 20 in the bucket")
	})
}

// TestReservationWindowBound: several Limiters (instances) share one
// store and check one key at random moments; over every span w, the events
// allowed are at most what the exact limiter allows over w + hold.
func TestReservationWindowBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		lim := Limit{Rate: 200, Period: time.Second, Burst: 30} // 5 ms
		const hold = 50 * time.Millisecond
		var (
			mu    sync.Mutex
			times []time.Duration
		)
		start := time.Now()
		var wg sync.WaitGroup
		for inst := range 3 {
			l := newReserving(t, s, lim, 16, hold)
			for g := range 4 {
				wg.Go(func() {
					rnd := rand.New(rand.NewPCG(uint64(inst), uint64(g)))
					for time.Since(start) < 3*time.Second {
						// Bursts and pauses: some reservations run out of time.
						if rnd.IntN(10) == 0 {
							time.Sleep(time.Duration(rnd.IntN(80)) * time.Millisecond)
						} else {
							time.Sleep(time.Duration(rnd.IntN(1500)) * time.Microsecond)
						}
						c := time.Since(start)
						res, err := l.Allow(context.Background(), Key{UID: "u-1"}, 1)
						if err != nil {
							t.Error(err)
							return
						}
						if res.Allowed > 0 {
							mu.Lock()
							times = append(times, c)
							mu.Unlock()
						}
					}
				})
			}
		}
		wg.Wait()
		slices.Sort(times)
		require.LessOrEqual(t, int64(len(times)), s.allowed.Load())
		for _, w := range []time.Duration{0, 5 * time.Millisecond, 50 * time.Millisecond, 500 * time.Millisecond, 3 * time.Second} {
			most := maxInWindow(times, w)
			bound := lim.MaxBurst() + int((w+hold)/lim.Interval()) + 1
			exact := lim.MaxBurst() + int(w/lim.Interval()) + 1
			t.Logf("w=%v: at most %d events (exact limiter: %d, bound %d)", w, most, exact, bound)
			require.LessOrEqual(t, most, bound, "w=%v", w)
		}
	})
}

// maxInWindow returns the most events of sorted times within a closed
// span of length w.
func maxInWindow(times []time.Duration, w time.Duration) int {
	most, j := 0, 0
	for i := range times {
		for times[i]-times[j] > w {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// TestReservationResetAndLimitChange: Reset drops the reservation, and a
// reservation made under one limit is not spent under another.
func TestReservationResetAndLimitChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		l := newReserving(t, s, PerHour(100), 8, time.Second)
		key := Key{UID: "u-1"}
		for range 4 { // reservations 1, 2 (1 held then spent), 4 (3 held)
			_, err := l.Allow(t.Context(), key, 1)
			require.NoError(t, err)
		}
		require.Len(t, s.calls(), 3)
		require.NoError(t, l.Reset(t.Context(), key))
		require.Zero(t, l.res.len())
		res, err := l.Allow(t.Context(), key, 1)
		require.NoError(t, err)
		require.Equal(t, 99, res.Remaining, "a full bucket again, checked exactly")
		require.Equal(t, 1, s.calls()[3])

		_, err = l.Allow(t.Context(), key, 1) // 2 reserved, 1 held
		require.NoError(t, err)
		require.Equal(t, 2, s.calls()[4])
		l.cfg.def = PerHour(50) // as a LimitSource's change would
		_, err = l.Allow(t.Context(), key, 1)
		require.NoError(t, err)
		require.Equal(t, []int{1, 2, 4, 1, 2, 1}, s.calls(), "not spent under another limit")
	})
}

// TestReservationMemoryBound: reservations are kept for at most
// MaxReservedKeys keys; a key that finds no room is checked exactly, and
// old entries are swept as new keys arrive.
func TestReservationMemoryBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		const hold = 100 * time.Millisecond
		l := newReserving(t, s, PerHour(100), 8, hold)
		ctx := t.Context()
		n := MaxReservedKeys + MaxReservedKeys/4
		for i := range n {
			_, err := l.Allow(ctx, Key{UID: "u-" + strconv.Itoa(i)}, 1)
			require.NoError(t, err)
		}
		require.LessOrEqual(t, l.res.len(), MaxReservedKeys)
		require.Greater(t, l.res.len(), MaxReservedKeys*3/4)
		for i := range n { // keys without room are still limited, exactly
			res, err := l.Allow(ctx, Key{UID: "u-" + strconv.Itoa(i)}, 1)
			require.NoError(t, err)
			require.Equal(t, 98, res.Remaining)
		}
		time.Sleep(2 * hold)
		for i := range 2 * resShards * 32 {
			_, err := l.Allow(ctx, Key{UID: "new-" + strconv.Itoa(i)}, 1)
			require.NoError(t, err)
		}
		require.Less(t, l.res.len(), MaxReservedKeys/4, "expired entries swept")
	})
}

// TestReservationConcurrent: under -race, concurrent checks on a few keys
// from several goroutines never spend more than the store allowed, and
// strand at most batch-1 events per key.
func TestReservationConcurrent(t *testing.T) {
	s := newCountStore(t)
	const batch = 16
	l := newReserving(t, s, Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000}, batch, time.Minute)
	var spent atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				res, err := l.Allow(t.Context(), Key{UID: "u-" + strconv.Itoa((g+i)%3)}, 1+i%2)
				if err != nil {
					t.Error(err)
					return
				}
				spent.Add(int64(res.Allowed))
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(8*3000), spent.Load())
	held := 0
	for i := range 3 {
		k := limiterKey(&Key{UID: "u-" + strconv.Itoa(i)})
		sh := l.res.shard(&k)
		sh.mu.Lock()
		held += sh.m[k].tokens
		sh.mu.Unlock()
	}
	require.Equal(t, s.allowed.Load(), spent.Load()+int64(held), "every event the store allowed is spent or held")
	require.Less(t, len(s.calls()), 8*2000/4, "most checks served locally")
}

// TestReservationNoAlloc: a check served from the reservation allocates
// nothing.
func TestReservationNoAlloc(t *testing.T) {
	s := newCountStore(t)
	l := newReserving(t, s, Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000}, 10_000, time.Minute)
	ctx := context.Background()
	key := Key{Service: DefaultService, UID: "u-1"}
	for range 3000 { // grow the reservation: 1, 2, 4, ... 2048 (1095 held)
		_, err := l.Allow(ctx, key, 1)
		require.NoError(t, err)
	}
	calls := len(s.calls())
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := l.Allow(ctx, key, 1); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.Len(t, s.calls(), calls, "served locally")
}

func TestReservationOptions(t *testing.T) {
	for _, c := range []struct {
		batch int
		hold  time.Duration
	}{{1, time.Second}, {0, time.Second}, {-1, time.Second}, {MaxReservationBatch + 1, time.Second},
		{64, 0}, {64, -time.Millisecond}, {64, MaxReservationHold + 1}} {
		_, err := New(WithReservation(c.batch, c.hold))
		require.ErrorIs(t, err, ErrOption, "batch %d hold %v", c.batch, c.hold)
	}
	l, err := New(WithReservation(2, MaxReservationHold))
	require.NoError(t, err)
	require.Nil(t, l.res, "a MemoryStore is exact without a round trip: nothing to reserve")
	require.NoError(t, l.Close(context.Background()))
}

// slowStore is a countStore whose Allow takes a millisecond (a round
// trip).
type slowStore struct{ *countStore }

func (s slowStore) Allow(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	time.Sleep(time.Millisecond)
	return s.countStore.Allow(ctx, key, limit, n)
}

// TestReservationOneFetchAtATime: checks that find the reservation spent
// while a batch is on its way wait for it instead of each asking the
// store, so a key costs one round trip per batch even under concurrency,
// and an instance never holds more than batch - 1 events of a key.
func TestReservationOneFetchAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCountStore(t)
		const batch = 16
		l := newReserving(t, slowStore{s}, Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000}, batch, time.Minute)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 200 {
					res, err := l.Allow(context.Background(), Key{UID: "u-1"}, 1)
					if err != nil {
						t.Error(err)
						return
					}
					if res.Allowed != 1 {
						t.Error("denied")
						return
					}
					time.Sleep(100 * time.Microsecond)
				}
			})
		}
		wg.Wait()
		held := s.allowed.Load() - 16*200
		require.GreaterOrEqual(t, held, int64(0))
		require.Less(t, held, int64(batch), "at most batch - 1 held")
		// 200 batches, plus the first checks of the 16 goroutines (exact:
		// the key is new) and the slow start.
		require.LessOrEqual(t, len(s.calls()), 16*200/batch+2*16, "one round trip per batch: %v", s.calls())
	})
}
