package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/grants"
)

// Run checks a grants.Store. newStore must return an empty store, isolated
// from the stores of other calls.
func Run(t *testing.T, newStore func(t *testing.T) grants.Store) {
	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		got, err := s.Overrides(t.Context(), "u-nobody")
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("PutReplaceDelete", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "lists", Value: "20"}))
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "ratelimit", Value: "0x1F"}))
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-2", Name: "lists", Value: "3"}))
		require.Equal(t, map[string]string{"lists": "20", "ratelimit": "0x1F"}, values(t, s, "u-1"))
		require.Equal(t, map[string]string{"lists": "3"}, values(t, s, "u-2"))

		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "lists", Value: "a@b.c"}))
		require.Equal(t, map[string]string{"lists": "a@b.c", "ratelimit": "0x1F"}, values(t, s, "u-1"))

		require.NoError(t, s.Delete(ctx, "u-1", "lists"))
		require.Equal(t, map[string]string{"ratelimit": "0x1F"}, values(t, s, "u-1"))
		require.NoError(t, s.Delete(ctx, "u-1", "lists"), "deleting an absent override")
		require.NoError(t, s.Delete(ctx, "u-9", "lists"), "deleting for an unknown account")
		require.Equal(t, map[string]string{"lists": "3"}, values(t, s, "u-2"))
	})
	t.Run("Expiry", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		later := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "past", Value: "1", Expires: time.Now().Add(-time.Hour)}))
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "future", Value: "2", Expires: later}))
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "never", Value: "3"}))
		got, err := s.Overrides(ctx, "u-1")
		require.NoError(t, err)
		byName := map[string]grants.Override{}
		for _, o := range got {
			require.Equal(t, "u-1", o.UID)
			byName[o.Name] = o
		}
		require.Len(t, byName, 2, "the expired override is not returned")
		require.True(t, later.Equal(byName["future"].Expires), "expires round trip: want %v, got %v", later, byName["future"].Expires)
		require.True(t, byName["never"].Expires.IsZero())

		// Replacing an override replaces its expiry too.
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "past", Value: "4"}))
		require.Equal(t, map[string]string{"past": "4", "future": "2", "never": "3"}, values(t, s, "u-1"))

		// An override stops applying when it expires.
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "soon", Value: "5", Expires: time.Now().Add(1500 * time.Millisecond)}))
		require.Contains(t, values(t, s, "u-1"), "soon")
		require.Eventually(t, func() bool {
			_, ok := values(t, s, "u-1")["soon"]
			return !ok
		}, 5*time.Second, 50*time.Millisecond)
	})
	t.Run("Concurrent", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		const workers, each = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					name := fmt.Sprintf("g%d_%d", w, i)
					if err := s.Put(ctx, grants.Override{UID: "u-c", Name: name, Value: name}); err != nil {
						errs <- err
					}
					if _, err := s.Overrides(ctx, "u-c"); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got := values(t, s, "u-c")
		require.Len(t, got, workers*each)
		for name, v := range got {
			require.Equal(t, name, v)
		}
	})
}

func values(t *testing.T, s grants.Store, uid string) map[string]string {
	t.Helper()
	list, err := s.Overrides(t.Context(), uid)
	require.NoError(t, err)
	m := map[string]string{}
	for _, o := range list {
		m[o.Name] = o.Value
	}
	return m
}

// RunCache checks a grants.Cache. newCache must return an empty cache,
// isolated from the caches of other calls.
func RunCache(t *testing.T, newCache func(t *testing.T) grants.Cache) {
	entry := []grants.Override{
		{UID: "u-1", Name: "lists", Value: "20"},
		{UID: "u-1", Name: "ratelimit", Value: "0x10", Expires: time.Date(2100, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	t.Run("MissSetHit", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		_, gen, ok, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, c.Set(ctx, "u-1", gen, entry, time.Minute))
		got, _, ok, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.True(t, ok)
		requireSame(t, entry, got)

		_, _, ok, err = c.Get(ctx, "u-2")
		require.NoError(t, err)
		require.False(t, ok, "entries are per account")
	})
	t.Run("OddUserIDs", func(t *testing.T) {
		// Any bytes are a user ID, those that make a broken Redis Cluster
		// hash tag ("", "}...") included.
		ctx := t.Context()
		c := newCache(t)
		uids := []string{"", "}", "}u-1", "u}1", "{u-1}"}
		for _, uid := range uids {
			_, gen, ok, err := c.Get(ctx, uid)
			require.NoError(t, err, "uid %q", uid)
			require.False(t, ok, "uid %q", uid)
			require.NoError(t, c.Set(ctx, uid, gen, []grants.Override{{UID: uid, Name: "lists", Value: uid + "x"}}, time.Minute), "uid %q", uid)
		}
		for _, uid := range uids {
			got, _, ok, err := c.Get(ctx, uid)
			require.NoError(t, err, "uid %q", uid)
			require.True(t, ok, "uid %q", uid)
			require.Len(t, got, 1)
			require.Equal(t, uid+"x", got[0].Value, "uid %q", uid)
			require.NoError(t, c.Delete(ctx, uid), "uid %q", uid)
			_, _, ok, err = c.Get(ctx, uid)
			require.NoError(t, err, "uid %q", uid)
			require.False(t, ok, "uid %q", uid)
		}
	})
	t.Run("EmptyIsAHit", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		_, gen, _, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.NoError(t, c.Set(ctx, "u-1", gen, nil, time.Minute))
		got, _, ok, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Empty(t, got)
	})
	t.Run("DeleteInvalidatesLoadsInFlight", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		_, gen, _, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.NoError(t, c.Set(ctx, "u-1", gen, entry, time.Minute))
		require.NoError(t, c.Delete(ctx, "u-1"))
		_, gen2, ok, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.False(t, ok, "Delete drops the entry")
		require.NotEqual(t, gen, gen2, "Delete changes the generation")

		// A load that began before the Delete must not cache its result.
		require.NoError(t, c.Set(ctx, "u-1", gen, entry, time.Minute))
		_, _, ok, err = c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.False(t, ok, "Set with a stale generation is ignored")

		require.NoError(t, c.Set(ctx, "u-1", gen2, entry[:1], time.Minute))
		got, _, ok, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.True(t, ok)
		requireSame(t, entry[:1], got)
		require.NoError(t, c.Delete(ctx, "u-never-cached"), "deleting an absent entry")
	})
	t.Run("TTL", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		_, gen, _, err := c.Get(ctx, "u-1")
		require.NoError(t, err)
		require.NoError(t, c.Set(ctx, "u-1", gen, entry, 300*time.Millisecond))
		require.Eventually(t, func() bool {
			_, _, ok, err := c.Get(ctx, "u-1")
			return err == nil && !ok
		}, 5*time.Second, 20*time.Millisecond)
	})
	t.Run("Concurrent", func(t *testing.T) {
		ctx := t.Context()
		c := newCache(t)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 8 {
			wg.Go(func() {
				uid := fmt.Sprintf("u-%d", w%2)
				for range 20 {
					_, gen, ok, err := c.Get(ctx, uid)
					if err == nil && !ok {
						err = c.Set(ctx, uid, gen, entry, time.Minute)
					}
					if err == nil && w%4 == 0 {
						err = c.Delete(ctx, uid)
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
		_, old, _, err := c.Get(ctx, "u-0")
		require.NoError(t, err)
		require.NoError(t, c.Delete(ctx, "u-0"))
		require.NoError(t, c.Set(ctx, "u-0", old, entry, time.Minute))
		_, _, ok, err := c.Get(ctx, "u-0")
		require.NoError(t, err)
		require.False(t, ok)
	})
}

func requireSame(t *testing.T, want, got []grants.Override) {
	t.Helper()
	key := func(o grants.Override) string {
		return strings.Join([]string{o.UID, o.Name, o.Value, o.Expires.UTC().Format(time.RFC3339Nano)}, "|")
	}
	w, g := make([]string, 0, len(want)), make([]string, 0, len(got))
	for _, o := range want {
		w = append(w, key(o))
	}
	for _, o := range got {
		g = append(g, key(o))
	}
	slices.Sort(w)
	slices.Sort(g)
	require.Equal(t, w, g)
}
