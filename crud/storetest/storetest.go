package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud"
)

// Run checks a crud.CacheStore. newStore must return an empty store,
// isolated from the stores of other calls.
func Run(t *testing.T, newStore func(t *testing.T) crud.CacheStore) {
	record := []byte("\x01record\x00with NUL, \xff invalid UTF-8 and \r\n")
	t.Run("MissSetHit", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		_, gen, ok, err := s.Get(ctx, "settings:x-1")
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, s.Set(ctx, "settings:x-1", gen, record, time.Minute))
		got, gen2, ok, err := s.Get(ctx, "settings:x-1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, record, got, "bytes round trip exactly")
		require.Equal(t, gen, gen2, "Set does not change the generation")

		_, _, ok, err = s.Get(ctx, "settings:x-2")
		require.NoError(t, err)
		require.False(t, ok, "entries are per key")
		_, _, ok, err = s.Get(ctx, "other:x-1")
		require.NoError(t, err)
		require.False(t, ok, "entries are per key")
	})
	t.Run("OddKeys", func(t *testing.T) {
		// Any bytes are a key, those that make a broken Redis Cluster hash
		// tag ("", "}...") included.
		ctx := t.Context()
		s := newStore(t)
		keys := []string{"", "}", "}x-1", "x}1", "{x-1}"}
		for _, k := range keys {
			_, gen, _, err := s.Get(ctx, k)
			require.NoError(t, err, "key %q", k)
			require.NoError(t, s.Set(ctx, k, gen, []byte(k+"v"), time.Minute), "key %q", k)
		}
		for _, k := range keys {
			got, _, ok, err := s.Get(ctx, k)
			require.NoError(t, err, "key %q", k)
			require.True(t, ok, "key %q", k)
			require.Equal(t, []byte(k+"v"), got, "key %q", k)
			require.NoError(t, s.Delete(ctx, k), "key %q", k)
			_, _, ok, err = s.Get(ctx, k)
			require.NoError(t, err, "key %q", k)
			require.False(t, ok, "key %q", k)
		}
	})
	t.Run("SetCopiesData", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		_, gen, _, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		buf := bytes.Clone(record)
		require.NoError(t, s.Set(ctx, "k:1", gen, buf, time.Minute))
		buf[0] = 'X' // the caller reuses its buffer
		got, _, ok, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, record, got)
	})
	t.Run("EmptyAndLarge", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		large := bytes.Repeat([]byte{0, 1, 2, 0xfe}, 64<<10)
		for key, data := range map[string][]byte{"k:empty": {}, "k:large": large} {
			_, gen, _, err := s.Get(ctx, key)
			require.NoError(t, err)
			require.NoError(t, s.Set(ctx, key, gen, data, time.Minute))
			got, _, ok, err := s.Get(ctx, key)
			require.NoError(t, err)
			require.True(t, ok, "%s: an empty value is a hit", key)
			require.Equal(t, len(data), len(got), key)
			require.True(t, bytes.Equal(data, got), key)
		}
	})
	t.Run("NonPositiveTTLStoresNothing", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		_, gen, _, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.NoError(t, s.Set(ctx, "k:1", gen, record, 0))
		require.NoError(t, s.Set(ctx, "k:1", gen, record, -time.Second))
		_, _, ok, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.False(t, ok)
	})
	t.Run("DeleteInvalidatesLoadsInFlight", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		_, gen, _, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.NoError(t, s.Set(ctx, "k:1", gen, record, time.Minute))
		require.NoError(t, s.Delete(ctx, "k:1"))
		_, gen2, ok, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.False(t, ok, "Delete drops the entry")
		require.NotEqual(t, gen, gen2, "Delete changes the generation")

		// A load that began before the Delete must not cache its result.
		require.NoError(t, s.Set(ctx, "k:1", gen, []byte("stale"), time.Minute))
		_, _, ok, err = s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.False(t, ok, "Set with a stale generation is ignored")

		require.NoError(t, s.Set(ctx, "k:1", gen2, []byte("fresh"), time.Minute))
		got, gen3, ok, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, []byte("fresh"), got)
		require.Equal(t, gen2, gen3)

		require.NoError(t, s.Delete(ctx, "k:never-cached"), "deleting an absent entry")
		_, g1, _, err := s.Get(ctx, "k:never-cached")
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, "k:never-cached"))
		_, g2, _, err := s.Get(ctx, "k:never-cached")
		require.NoError(t, err)
		require.NotEqual(t, g1, g2, "deleting an absent entry moves its generation too")
	})
	t.Run("TTL", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		_, gen, _, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.NoError(t, s.Set(ctx, "k:1", gen, record, 300*time.Millisecond))
		_, _, ok, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Eventually(t, func() bool {
			_, _, ok, err := s.Get(ctx, "k:1")
			return err == nil && !ok
		}, 5*time.Second, 20*time.Millisecond)
	})
	t.Run("GenerationOutlivesEntry", func(t *testing.T) {
		// After an uncached key's new entry expires, a load that began
		// before the Delete still cannot fill the cache.
		ctx := t.Context()
		s := newStore(t)
		_, old, _, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, "k:1"))
		_, gen, _, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.NoError(t, s.Set(ctx, "k:1", gen, record, 200*time.Millisecond))
		require.Eventually(t, func() bool {
			_, _, ok, err := s.Get(ctx, "k:1")
			return err == nil && !ok
		}, 5*time.Second, 20*time.Millisecond)
		require.NoError(t, s.Set(ctx, "k:1", old, []byte("stale"), time.Minute))
		_, _, ok, err := s.Get(ctx, "k:1")
		require.NoError(t, err)
		require.False(t, ok, "the generation is remembered after the entry expired")
	})
	t.Run("Concurrent", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 8 {
			wg.Go(func() {
				key := fmt.Sprintf("k:%d", w%2)
				for i := range 25 {
					data, gen, ok, err := s.Get(ctx, key)
					if err == nil && ok && !bytes.HasPrefix(data, []byte("w")) {
						err = fmt.Errorf("torn or foreign value %q", data)
					}
					if err == nil && !ok {
						err = s.Set(ctx, key, gen, fmt.Appendf(nil, "w%d-%d", w, i), time.Minute)
					}
					if err == nil && w%4 == 0 {
						err = s.Delete(ctx, key)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		// After a final Delete, no earlier generation can fill the cache.
		_, old, _, err := s.Get(ctx, "k:0")
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, "k:0"))
		require.NoError(t, s.Set(ctx, "k:0", old, record, time.Minute))
		_, _, ok, err := s.Get(ctx, "k:0")
		require.NoError(t, err)
		require.False(t, ok)
	})
}
