package ratelimit

import (
	"context"
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
		require.Equal(t, 2, s.tats.Len(), "a peek stores nothing")
		time.Sleep(2 * time.Minute) // past both reset times and a sweep
		synctest.Wait()
		require.Equal(t, 0, s.tats.Len())
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
			got, newTAT, write := gcra(s.tat, s.now, l, s.n)
			require.Equal(t, s.want, got)
			require.Equal(t, s.newTAT, newTAT)
			require.Equal(t, s.write, write)
		})
	}
}
