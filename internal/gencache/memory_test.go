package gencache_test

import (
	"context"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/gencache"
	"github.com/apicrud-go/apicrud/internal/gencache/gencachetest"
)

func newMemory[E any](t *testing.T, genTTL time.Duration) *gencache.Memory[E] {
	t.Helper()
	c := gencache.NewMemory[E](genTTL)
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
	return c
}

func TestMemory(t *testing.T) {
	gencachetest.Run(t, func(t *testing.T) gencachetest.Cache { return newMemory[byte](t, time.Minute) })
}

// TestMemoryGeneric: values of any element type are cached as slices, and
// a hit returns the stored slice itself (no copy).
func TestMemoryGeneric(t *testing.T) {
	type override struct{ Name, Value string }
	ctx := t.Context()
	c := newMemory[override](t, time.Minute)
	in := []override{{"lists", "10"}, {"theme", "dark"}}
	require.NoError(t, c.Set(ctx, "u-1", 0, in, time.Minute))
	in[0].Value = "changed" // Set copied the slice
	got, gen, ok, err := c.Get(ctx, "u-1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, uint64(0), gen)
	require.Equal(t, []override{{"lists", "10"}, {"theme", "dark"}}, got)
	again, _, _, err := c.Get(ctx, "u-1")
	require.NoError(t, err)
	require.Same(t, &got[0], &again[0], "a hit does not copy")

	require.NoError(t, c.Set(ctx, "u-2", 0, nil, time.Minute))
	got, _, ok, err = c.Get(ctx, "u-2")
	require.NoError(t, err)
	require.True(t, ok, "nil is cached as an empty hit")
	require.NotNil(t, got)
	require.Empty(t, got)
}

// TestMemoryClock checks the TTLs on a fake clock: an entry lives exactly
// its TTL, a Delete is remembered exactly the generation TTL, and an entry
// stored after a Delete keeps the generation alive past its own TTL.
func TestMemoryClock(t *testing.T) {
	const genTTL = 10 * time.Minute
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c := gencache.NewMemory[byte](genTTL)
		defer func() { require.NoError(t, c.Close(ctx)) }()
		get := func() (uint64, bool) {
			t.Helper()
			_, gen, ok, err := c.Get(ctx, "k")
			require.NoError(t, err)
			return gen, ok
		}

		require.NoError(t, c.Set(ctx, "k", 0, []byte("v"), time.Minute))
		time.Sleep(time.Minute - time.Nanosecond)
		_, ok := get()
		require.True(t, ok, "1 ns before the TTL")
		time.Sleep(time.Nanosecond)
		_, ok = get()
		require.False(t, ok, "at the TTL")

		require.NoError(t, c.Delete(ctx, "k")) // generation 1 until genTTL
		require.NoError(t, c.Set(ctx, "k", 1, []byte("v"), time.Minute))
		time.Sleep(time.Minute)
		gen, ok := get()
		require.False(t, ok, "the entry's TTL has passed")
		require.Equal(t, uint64(1), gen, "but the generation is still remembered")
		require.NoError(t, c.Set(ctx, "k", 0, []byte("stale"), time.Minute))
		_, ok = get()
		require.False(t, ok, "a load that began before the Delete is still refused")

		time.Sleep(genTTL - time.Minute - time.Nanosecond)
		gen, _ = get()
		require.Equal(t, uint64(1), gen, "1 ns before the generation TTL")
		time.Sleep(time.Nanosecond)
		gen, _ = get()
		require.Equal(t, uint64(0), gen, "forgotten at the generation TTL")

		require.NoError(t, c.Delete(ctx, "k"))
		require.NoError(t, c.Set(ctx, "k", 1, []byte("v"), 2*genTTL))
		time.Sleep(2*genTTL - time.Nanosecond)
		gen, ok = get()
		require.True(t, ok, "an entry longer than the generation TTL lives its own TTL")
		require.Equal(t, uint64(1), gen, "and keeps its generation")
	})
}

// TestMemoryCancelledContext: a cancelled Delete does not move
// the generation.
func TestMemoryCancelledContext(t *testing.T) {
	c := newMemory[byte](t, time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, c.Delete(ctx, "k"), context.Canceled)
	_, gen, _, err := c.Get(t.Context(), "k")
	require.NoError(t, err)
	require.Equal(t, uint64(0), gen)
}

// BenchmarkMemory measures the three operations on a warm cache: a hit
// (one shard lock, no copy), a Set of 200 bytes (one copy) and a Delete.
func BenchmarkMemory(b *testing.B) {
	ctx := b.Context()
	data := make([]byte, 200)
	b.Run("Get", func(b *testing.B) {
		c := gencache.NewMemory[byte](time.Minute)
		b.Cleanup(func() { _ = c.Close(context.Background()) })
		require.NoError(b, c.Set(ctx, "k", 0, data, time.Hour))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, ok, err := c.Get(ctx, "k"); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	})
	b.Run("Set", func(b *testing.B) {
		c := gencache.NewMemory[byte](time.Minute)
		b.Cleanup(func() { _ = c.Close(context.Background()) })
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Set(ctx, "k", 0, data, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Delete", func(b *testing.B) {
		c := gencache.NewMemory[byte](time.Minute)
		b.Cleanup(func() { _ = c.Close(context.Background()) })
		keys := make([]string, 1024)
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(i)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := c.Delete(ctx, keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
