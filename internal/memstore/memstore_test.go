package memstore

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func newStore[V any](t *testing.T, sweep time.Duration) *Store[V] {
	t.Helper()
	s := New[V](sweep)
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	return s
}

func TestGetSetDelete(t *testing.T) {
	s := newStore[int](t, 0)
	_, ok := s.Get("a")
	require.False(t, ok)
	s.Set("a", 1, 0)
	v, ok := s.Get("a")
	require.True(t, ok)
	require.Equal(t, 1, v)
	require.True(t, s.Delete("a"))
	require.False(t, s.Delete("a"))
	_, ok = s.Get("a")
	require.False(t, ok)
}

func TestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New[string](time.Hour)
		defer s.Close(context.Background())
		s.Set("k", "v", 10*time.Second)
		_, ttl, ok := s.GetWithTTL("k")
		require.True(t, ok)
		require.Equal(t, 10*time.Second, ttl)
		time.Sleep(9 * time.Second)
		_, ok = s.Get("k")
		require.True(t, ok, "still live before its deadline")
		time.Sleep(time.Second)
		_, ok = s.Get("k")
		require.False(t, ok, "expired at its deadline")
		require.False(t, s.Delete("k"), "deleting an expired key reports no live entry")
	})
}

func TestSweeperReclaims(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New[int](time.Minute)
		for i := range 1000 {
			s.Set(strconv.Itoa(i), i, time.Second)
		}
		s.Set("forever", 1, 0)
		require.Equal(t, 1001, s.Len())
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		require.Equal(t, 1, s.Len(), "the sweeper removed the expired keys")
		require.NoError(t, s.Close(context.Background()))
		require.NoError(t, s.Close(context.Background()), "Close is idempotent")
	})
}

func TestSetNX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New[int](0)
		defer s.Close(context.Background())
		require.True(t, s.SetNX("k", 1, time.Second))
		require.False(t, s.SetNX("k", 2, time.Second))
		v, _ := s.Get("k")
		require.Equal(t, 1, v)
		time.Sleep(time.Second)
		require.True(t, s.SetNX("k", 3, 0), "an expired key counts as absent")
	})
}

func TestUpdateActions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New[int](0)
		defer s.Close(context.Background())
		inc := func(v int, _ time.Duration, _ bool) (int, time.Duration, Action) { return v + 1, 0, PutKeepTTL }
		s.Set("n", 1, 10*time.Second)
		s.Update("n", inc)
		v, ttl, ok := s.GetWithTTL("n")
		require.True(t, ok)
		require.Equal(t, 2, v)
		require.Equal(t, 10*time.Second, ttl, "PutKeepTTL keeps the deadline")

		s.Update("n", func(int, time.Duration, bool) (int, time.Duration, Action) { return 0, 0, Remove })
		_, ok = s.Get("n")
		require.False(t, ok)

		s.Update("n", func(v int, _ time.Duration, exists bool) (int, time.Duration, Action) {
			require.False(t, exists)
			return 7, 0, Keep
		})
		_, ok = s.Get("n")
		require.False(t, ok, "Keep on an absent key stores nothing")
	})
}

func TestRange(t *testing.T) {
	s := newStore[int](t, 0)
	for i := range 100 {
		s.Set(strconv.Itoa(i), i, 0)
	}
	sum, n := 0, 0
	s.Range(func(_ string, v int) bool { sum += v; n++; return true })
	require.Equal(t, 100, n)
	require.Equal(t, 4950, sum)
	n = 0
	s.Range(func(string, int) bool { n++; return n < 10 })
	require.Equal(t, 10, n, "Range stops when fn returns false")
}

func TestConcurrentUpdate(t *testing.T) {
	s := newStore[int](t, time.Millisecond)
	const goroutines, perG = 16, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				s.Update("counter", func(v int, _ time.Duration, _ bool) (int, time.Duration, Action) { return v + 1, 0, Put })
				k := strconv.Itoa(g*perG + i)
				s.Set(k, i, time.Millisecond)
				s.Get(k)
			}
		})
	}
	wg.Wait()
	v, _ := s.Get("counter")
	require.Equal(t, goroutines*perG, v, "no lost updates")
}

func TestCloseHonoursContext(t *testing.T) {
	s := New[int](0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The sweeper may or may not have stopped before the check; either
	// outcome is allowed, but Close must return.
	_ = s.Close(ctx)
	require.NoError(t, s.Close(context.Background()))
}

// BenchmarkStore measures a Get and an Update on random keys, with all
// goroutines sharing one store.
func BenchmarkStore(b *testing.B) {
	s := New[int](0)
	defer s.Close(context.Background())
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
		s.Set(keys[i], i, time.Hour)
	}
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				s.Get(keys[i%len(keys)])
				i++
			}
		})
	})
	b.Run("Update", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				s.Update(keys[i%len(keys)], func(v int, _ time.Duration, _ bool) (int, time.Duration, Action) { return v + 1, 0, PutKeepTTL })
				i++
			}
		})
	})
}
