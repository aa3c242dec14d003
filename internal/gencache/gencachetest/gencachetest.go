package gencachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Cache is the generation cache of []byte values under test.
type Cache interface {
	Get(ctx context.Context, key string) (data []byte, gen uint64, ok bool, err error)
	Set(ctx context.Context, key string, gen uint64, data []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
}

// Run checks a Cache. newCache must return an empty cache, isolated from
// the caches of other calls, whose generation TTL is at least a minute.
func Run(t *testing.T, newCache func(t *testing.T) Cache) {
	value := []byte("\x00value\xff with NUL and invalid UTF-8\r\n")
	t.Run("MissSetHit", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		data, gen, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.False(t, ok)
		require.Nil(t, data)
		require.Equal(t, uint64(0), gen, "a new key is generation 0")
		require.NoError(t, c.Set(ctx, "k", gen, value, time.Minute))
		data, gen2, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, value, data)
		require.Equal(t, gen, gen2, "Set does not move the generation")
		for _, other := range []string{"k2", "K", "", "k:v", "{k}"} {
			_, _, ok, err := c.Get(ctx, other)
			require.NoError(t, err)
			require.False(t, ok, "key %q is another entry", other)
		}
	})
	t.Run("SetReplaces", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		require.NoError(t, c.Set(ctx, "k", 0, []byte("one"), time.Minute))
		require.NoError(t, c.Set(ctx, "k", 0, []byte("two"), time.Minute))
		data, _, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, []byte("two"), data)
	})
	t.Run("SetCopies", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		buf := bytes.Clone(value)
		require.NoError(t, c.Set(ctx, "k", 0, buf, time.Minute))
		buf[0] = 'X' // the caller reuses its buffer
		data, _, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, value, data)
	})
	t.Run("EmptyIsAHit", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		for key, data := range map[string][]byte{"nil": nil, "empty": {}} {
			require.NoError(t, c.Set(ctx, key, 0, data, time.Minute))
			got, _, ok, err := c.Get(ctx, key)
			require.NoError(t, err)
			require.True(t, ok, "%s: an empty value is a hit", key)
			require.Empty(t, got, key)
		}
	})
	t.Run("NonPositiveTTLStoresNothing", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		for _, ttl := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
			require.NoError(t, c.Set(ctx, "k", 0, value, ttl))
			_, gen, ok, err := c.Get(ctx, "k")
			require.NoError(t, err)
			require.False(t, ok, "ttl %v", ttl)
			require.Equal(t, uint64(0), gen, "ttl %v", ttl)
		}
	})
	t.Run("DeleteMovesTheGeneration", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		require.NoError(t, c.Delete(ctx, "k"), "deleting an absent key is not an error")
		_, gen, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, uint64(1), gen)
		require.NoError(t, c.Set(ctx, "k", gen, value, time.Minute))
		_, gen, ok, err = c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok, "a Set with the current generation stores")
		require.Equal(t, uint64(1), gen)
		require.NoError(t, c.Delete(ctx, "k"))
		data, gen, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.False(t, ok, "Delete drops the entry")
		require.Nil(t, data)
		require.Equal(t, uint64(2), gen)
		_, gen, _, err = c.Get(ctx, "other")
		require.NoError(t, err)
		require.Equal(t, uint64(0), gen, "generations are per key")
	})
	t.Run("StaleSetIsIgnored", func(t *testing.T) {
		// Step tables: the generations Set is called with after one Delete
		// (the key is at generation 1) and whether the value is stored.
		for _, tc := range []struct {
			name   string
			gen    uint64
			stored bool
		}{
			{"load began before the Delete", 0, false},
			{"load began after the Delete", 1, true},
			{"generation not reached yet", 2, false},
			{"far future generation", 1 << 63, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				c := newCache(t)
				require.NoError(t, c.Delete(ctx, "k"))
				require.NoError(t, c.Set(ctx, "k", tc.gen, value, time.Minute), "a refused Set is not an error")
				_, gen, ok, err := c.Get(ctx, "k")
				require.NoError(t, err)
				require.Equal(t, tc.stored, ok, "Set(gen=%d) at generation 1", tc.gen)
				require.Equal(t, uint64(1), gen, "Set never moves the generation")
			})
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		c := newCache(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, _, err := c.Get(ctx, "k")
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, c.Set(ctx, "k", 0, value, time.Minute), context.Canceled)
		require.ErrorIs(t, c.Delete(ctx, "k"), context.Canceled)
		_, _, ok, err := c.Get(t.Context(), "k")
		require.NoError(t, err)
		require.False(t, ok, "a failed Set stored nothing")
	})
	t.Run("ConcurrentLoadsNeverCacheStaleData", func(t *testing.T) {
		// A writer bumps the source's version and then uncaches, as a
		// Resource does; readers load through the cache. Whatever the
		// interleaving, once the writer is done a hit must show the last
		// version: a load that read an older version began before the
		// Delete that followed it, so its Set must be refused.
		ctx := t.Context()
		c := newCache(t)
		var source atomic.Uint64
		const readers, loads, writes = 4, 100, 50
		errs := make([]error, readers+1) // one slot per goroutine
		var wg sync.WaitGroup
		wg.Go(func() {
			for range writes {
				source.Add(1)
				if errs[0] = c.Delete(ctx, "k"); errs[0] != nil {
					return
				}
			}
		})
		for i := range readers {
			wg.Go(func() {
				for range loads {
					if errs[i+1] = load(ctx, c, "k", &source); errs[i+1] != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		data, _, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		if ok {
			require.Equal(t, strconv.FormatUint(source.Load(), 10), string(data), "a stale load was cached")
		}
		require.NoError(t, load(ctx, c, "k", &source))
		data, _, ok, err = c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, strconv.FormatUint(writes, 10), string(data))
	})
}

// load is one read-through: a miss reads source and caches what it read
// with the generation the load began with.
func load(ctx context.Context, c Cache, key string, source *atomic.Uint64) error {
	_, gen, ok, err := c.Get(ctx, key)
	if err != nil || ok {
		return err
	}
	v := source.Load()
	if err := c.Set(ctx, key, gen, []byte(strconv.FormatUint(v, 10)), time.Minute); err != nil {
		return fmt.Errorf("set: %w", err)
	}
	return nil
}
