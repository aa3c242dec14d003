package crud_test

import (
	"context"
	"database/sql"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/crud/storetest"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestMemoryCacheStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crud.CacheStore {
		s := crud.NewMemoryCacheStore()
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		return s
	})
}

// TestMemoryCacheStoreClock checks the memory store's expiry on a fake
// clock: an entry lives exactly its TTL, and an uncached key's generation
// is remembered for DefaultGenerationTTL.
func TestMemoryCacheStoreClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := crud.NewMemoryCacheStore()
		defer func() { require.NoError(t, s.Close(ctx)) }()
		hit := func() bool {
			_, _, ok, err := s.Get(ctx, "k")
			require.NoError(t, err)
			return ok
		}
		_, gen, _, err := s.Get(ctx, "k")
		require.NoError(t, err)
		require.NoError(t, s.Set(ctx, "k", gen, []byte("v"), time.Minute))
		time.Sleep(time.Minute - time.Nanosecond)
		require.True(t, hit(), "1 ns before the TTL")
		time.Sleep(time.Nanosecond)
		require.False(t, hit(), "at the TTL")

		_, old, _, err := s.Get(ctx, "k")
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, "k"))
		time.Sleep(crud.DefaultGenerationTTL - time.Second)
		require.NoError(t, s.Set(ctx, "k", old, []byte("stale"), time.Minute))
		require.False(t, hit(), "the uncache is still remembered")
		time.Sleep(2 * time.Second)
		_, g, _, err := s.Get(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, uint64(0), g, "and forgotten after DefaultGenerationTTL")
	})
}

// TestCachedTTL: a record cached for a TTL is served from the cache (a
// write behind crud's back is not seen) until the TTL ends, then reloaded.
func TestCachedTTL(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		raw, err := sql.Open("sqlite", "file:"+dir+"/ttl.db?_pragma=busy_timeout(5000)")
		require.NoError(t, err)
		defer raw.Close()
		db := sqlx.NewDb(raw, "sqlite3")
		_, err = db.Exec(settingsDDL(testenv.SQLite))
		require.NoError(t, err)
		res, err := crud.NewResource[Settings](db, "settings", crud.WithAuthorizer(accounts{}))
		require.NoError(t, err)
		cache, err := crud.NewCached(res, crud.WithCacheTTL(time.Minute))
		require.NoError(t, err)
		defer func() { require.NoError(t, cache.Close(context.Background())) }()
		ctx := asUser(context.Background(), "u-ann")
		s, err := res.Create(ctx, &Settings{Name: "ann"})
		require.NoError(t, err)
		locale := func() string {
			rec, err := cache.Get(ctx, s.ID)
			require.NoError(t, err)
			return rec.Locale
		}
		require.Equal(t, "en", locale())
		_, err = db.Exec("UPDATE settings SET locale = 'fr' WHERE id = ?", s.ID)
		require.NoError(t, err)
		require.Equal(t, "en", locale(), "served from the cache")
		time.Sleep(time.Minute - time.Millisecond)
		require.Equal(t, "en", locale(), "1 ms before the TTL")
		time.Sleep(time.Millisecond)
		require.Equal(t, "fr", locale(), "reloaded at the TTL")
	})
}
