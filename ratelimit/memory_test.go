package ratelimit

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// The conformance suite runs in package storetest's own test against
// MemoryStore (memory_storetest_test.go); these tests need the fake clock
// or the store's internals.

// TestMemoryWindowsRoll: 200 concurrent clients hammer one key across
// several windows of a fake clock; exactly the limit passes in each.
func TestMemoryWindowsRoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewMemoryStore()
		defer func() { require.NoError(t, s.Close(context.Background())) }()
		const clients = 200
		l := Per(50, time.Second) // one event per 20 ms, burst 50

		round := func(tries int) int64 {
			var ok atomic.Int64
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for range tries {
						res, err := s.Allow(context.Background(), "k", l, 1)
						if err != nil {
							t.Error(err)
							return
						}
						ok.Add(int64(res.Allowed))
					}
				})
			}
			wg.Wait()
			return ok.Load()
		}

		require.Equal(t, int64(50), round(3), "first window: the full burst")
		for w := range 3 {
			time.Sleep(time.Second) // a whole period: the burst is back
			require.Equal(t, int64(50), round(3), "window %d", w+2)
		}
		time.Sleep(20*time.Millisecond - time.Nanosecond)
		require.Equal(t, int64(0), round(1), "1 ns before the next event's share comes back")
		time.Sleep(time.Nanosecond)
		require.Equal(t, int64(1), round(1), "exactly at the edge, one event")
		time.Sleep(200 * time.Millisecond)
		require.Equal(t, int64(10), round(1), "200 ms later, 10 events")
		time.Sleep(10 * time.Second)
		require.Equal(t, int64(50), round(1), "after a long idle time, one burst, not more")
	})
}

// TestMemoryNoEdgeBurst: apicrud's even/odd windows let 2× the limit pass
// around a window edge; GCRA lets at most burst + elapsed/interval pass in
// any span.
func TestMemoryNoEdgeBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewMemoryStore()
		defer func() { require.NoError(t, s.Close(context.Background())) }()
		l := PerMinute(60)
		time.Sleep(59 * time.Second) // where a fixed window would end
		var n int
		for range 200 {
			res, err := s.Allow(context.Background(), "k", l, 1)
			require.NoError(t, err)
			n += res.Allowed
		}
		time.Sleep(2 * time.Second) // across the "edge"
		for range 200 {
			res, err := s.Allow(context.Background(), "k", l, 1)
			require.NoError(t, err)
			n += res.Allowed
		}
		require.Equal(t, 62, n, "60 at once plus 2 refilled in 2 s")
	})
}

// TestMemoryIdleKeysExpire: a key's entry lives until its bucket is full
// again, then the sweeper reclaims it.
func TestMemoryIdleKeysExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewMemoryStore()
		defer func() { require.NoError(t, s.Close(context.Background())) }()
		ctx := context.Background()
		_, err := s.Allow(ctx, "a", PerSecond(10), 3)
		require.NoError(t, err)
		_, err = s.Allow(ctx, "b", PerMinute(1), 1)
		require.NoError(t, err)
		_, err = s.Allow(ctx, "peek", PerMinute(1), 0)
		require.NoError(t, err)
		require.Equal(t, 2, s.len(), "a peek stores nothing")
		time.Sleep(2 * time.Minute) // past both reset times and a sweep
		synctest.Wait()
		require.Equal(t, 0, s.len())
	})
}

func TestGCRA(t *testing.T) {
	l := Limit{Rate: 2, Period: 2 * time.Second, Burst: 3} // 1 s per event, burst 3
	sec := int64(time.Second)
	type step struct {
		tat, now int64
		n        int
		want     Result
		newTAT   int64
		write    bool
	}
	steps := map[string]step{
		"empty":            {0, 10 * sec, 1, Result{Limit: l, Allowed: 1, Remaining: 2, ResetAfter: time.Second}, 11 * sec, true},
		"empty, peek":      {0, 10 * sec, 0, Result{Limit: l, Remaining: 3}, 10 * sec, false},
		"full burst":       {0, 10 * sec, 3, Result{Limit: l, Allowed: 3, ResetAfter: 3 * time.Second}, 13 * sec, true},
		"spent":            {13 * sec, 10 * sec, 1, Result{Limit: l, RetryAfter: time.Second, ResetAfter: 3 * time.Second}, 13 * sec, false},
		"edge, 1ns early":  {13 * sec, 11*sec - 1, 1, Result{Limit: l, RetryAfter: 1, ResetAfter: 2*time.Second + 1}, 13 * sec, false},
		"edge":             {13 * sec, 11 * sec, 1, Result{Limit: l, Allowed: 1, ResetAfter: 3 * time.Second}, 14 * sec, true},
		"partial denial":   {12 * sec, 10 * sec, 2, Result{Limit: l, Remaining: 1, RetryAfter: time.Second, ResetAfter: 2 * time.Second}, 12 * sec, false},
		"old tat":          {5 * sec, 10 * sec, 1, Result{Limit: l, Allowed: 1, Remaining: 2, ResetAfter: time.Second}, 11 * sec, true},
		"half refilled":    {12*sec + sec/2, 10 * sec, 0, Result{Limit: l, Remaining: 0, ResetAfter: 2500 * time.Millisecond}, 12*sec + sec/2, false},
		"peek when spent":  {13 * sec, 10 * sec, 0, Result{Limit: l, ResetAfter: 3 * time.Second}, 13 * sec, false},
		"n = burst, spent": {11 * sec, 10 * sec, 3, Result{Limit: l, Remaining: 2, RetryAfter: time.Second, ResetAfter: time.Second}, 11 * sec, false},
	}
	for name, s := range steps {
		t.Run(name, func(t *testing.T) {
			got, newTAT, write := gcra(s.tat, s.now, l, int64(l.Interval()), s.n)
			require.Equal(t, s.want, got)
			require.Equal(t, s.newTAT, newTAT)
			require.Equal(t, s.write, write)
		})
	}
}

// TestLimiterMemoryNoAllocation: a check through the Limiter on its memory
// store builds no key string and allocates nothing, for a UID, an IPv4 and
// an IPv6 caller.
func TestLimiterMemoryNoAllocation(t *testing.T) {
	l, err := New(WithDefaultLimit(PerSecond(1000)), WithAnonymousLimit(PerSecond(1000)))
	require.NoError(t, err)
	defer func() { require.NoError(t, l.Close(context.Background())) }()
	ctx := context.Background()
	for _, key := range []Key{
		{Service: "*", UID: "u-1"},
		{Service: "login", IP: netip.MustParseAddr("192.0.2.7")},
		{Service: "*", IP: netip.MustParseAddr("2001:db8::1")},
	} {
		_, err := l.Allow(ctx, key, 0)
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := l.Allow(ctx, key, 0); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "%+v", key)
	}
}

// TestMemoryKeyIdentity: the Limiter's keys and the string keys of
// Store.Allow are apart; an IPv6 /64 is one bucket, IPv4-mapped IPv6 is the
// IPv4 address, services are apart; Reset through the Limiter forgets the
// bucket.
func TestMemoryKeyIdentity(t *testing.T) {
	s := NewMemoryStore()
	defer func() { require.NoError(t, s.Close(context.Background())) }()
	l, err := New(WithStore(s), WithDefaultLimit(PerHour(1)), WithAnonymousLimit(PerHour(1)))
	require.NoError(t, err)
	ctx := context.Background()
	take := func(k Key) int {
		res, err := l.Allow(ctx, k, 1)
		require.NoError(t, err)
		return res.Allowed
	}
	u := Key{Service: "*", UID: "x"}
	require.Equal(t, 1, take(u))
	require.Equal(t, 0, take(u))
	res, err := s.Allow(ctx, "*:u:x", PerHour(1), 1)
	require.NoError(t, err)
	require.Equal(t, 1, res.Allowed, "a string key is not the Limiter's key")
	require.Equal(t, 1, take(Key{Service: "login", UID: "x"}), "another service")
	require.Equal(t, 1, take(Key{Service: "*", IP: netip.MustParseAddr("2001:db8:0:1::1")}))
	require.Equal(t, 0, take(Key{Service: "*", IP: netip.MustParseAddr("2001:db8:0:1:ffff::2")}), "same /64")
	require.Equal(t, 1, take(Key{Service: "*", IP: netip.MustParseAddr("2001:db8:0:2::1")}), "another /64")
	require.Equal(t, 1, take(Key{Service: "*", IP: netip.MustParseAddr("198.51.100.1")}))
	require.Equal(t, 0, take(Key{Service: "*", IP: netip.MustParseAddr("::ffff:198.51.100.1")}), "IPv4-mapped is IPv4")
	require.NoError(t, l.Reset(ctx, u))
	require.Equal(t, 1, take(u), "after Reset")
	require.Equal(t, 6, s.len())
}

// TestMemoryManyKeys: 5,000 keys through growth of the tables, resets
// of every other key (tombstones), and a sweep: every key keeps its own
// state throughout.
func TestMemoryManyKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewMemoryStore()
		defer func() { require.NoError(t, s.Close(context.Background())) }()
		ctx := context.Background()
		const n = 5_000
		key := func(i int) string { return "k" + strconv.Itoa(i) }
		allowed := func(i int) int {
			res, err := s.Allow(ctx, key(i), PerHour(1), 1)
			require.NoError(t, err)
			return res.Allowed
		}
		for i := range n {
			require.Equal(t, 1, allowed(i), "key %d", i)
		}
		require.Equal(t, n, s.len())
		for i := range n {
			require.Equal(t, 0, allowed(i), "key %d, spent", i)
		}
		for i := 0; i < n; i += 2 {
			require.NoError(t, s.Reset(ctx, key(i)))
		}
		require.Equal(t, n/2, s.len())
		for i := range n {
			require.Equal(t, 1-i%2, allowed(i), "key %d after resets", i)
		}
		require.Equal(t, n, s.len())
		time.Sleep(time.Hour + memSweepInterval) // every bucket full again, swept
		synctest.Wait()
		require.Equal(t, 0, s.len())
		for i := range n {
			require.Equal(t, 1, allowed(i), "key %d after the sweep", i)
		}
	})
}
