package crud_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/crud"
	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// BenchmarkCachedGet answers "what does the cache save on a read of one
// settings record": Resource.Get (one SELECT by primary key and the
// authorization) on each database, against a Cached hit on the memory store
// (no I/O: a shard lock and the decode) and on the Redis store (one MGET
// round trip and the decode), serially and in parallel.
func BenchmarkCachedGet(b *testing.B) {
	setup := func(b *testing.B, db *sqlx.DB, opts ...crud.CacheOption) (*crud.Resource[Settings], *crud.Cached[Settings], string, context.Context) {
		b.Helper()
		createSettingsTable(b, db)
		res, err := crud.NewResource[Settings](db, "settings", crud.WithAuthorizer(accounts{}))
		if err != nil {
			b.Fatal(err)
		}
		cache, err := crud.NewCached(res, opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cache.Close(context.Background()) })
		ctx := asUser(b.Context(), "u-ann")
		s, err := res.Create(ctx, &Settings{Name: "ann", DefaultCat: new("c-1"), PageSize: 50})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cache.Get(ctx, s.ID); err != nil { // warm
			b.Fatal(err)
		}
		return res, cache, s.ID, ctx
	}
	serial := func(b *testing.B, get func(ctx context.Context, id string) (*Settings, error), ctx context.Context, id string) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := get(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	}
	parallel := func(b *testing.B, get func(ctx context.Context, id string) (*Settings, error), ctx context.Context, id string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := get(ctx, id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqlx.DB
	}{{testenv.SQLite, testenv.SQLiteDB}, {testenv.Postgres, testenv.PostgresDB}, {testenv.MySQL, testenv.MySQLDB}} {
		b.Run("uncached/"+d.name, func(b *testing.B) {
			res, _, id, ctx := setup(b, d.open(b))
			serial(b, res.Get, ctx, id)
		})
	}
	b.Run("memory", func(b *testing.B) {
		_, cache, id, ctx := setup(b, testenv.SQLiteDB(b))
		serial(b, cache.Get, ctx, id)
	})
	b.Run("memory-authorized", func(b *testing.B) {
		_, cache, id, ctx := setup(b, testenv.SQLiteDB(b))
		serial(b, cache.GetAuthorized, ctx, id)
	})
	b.Run("memory-parallel", func(b *testing.B) {
		_, cache, id, ctx := setup(b, testenv.SQLiteDB(b))
		parallel(b, cache.Get, ctx, id)
	})
	b.Run("redis", func(b *testing.B) {
		rdb := testenv.Redis(b)
		_, cache, id, ctx := setup(b, testenv.SQLiteDB(b), crud.WithCacheStore(testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(testenv.Prefix(b, rdb))))))
		serial(b, cache.Get, ctx, id)
	})
	b.Run("redis-parallel", func(b *testing.B) {
		rdb := testenv.Redis(b)
		_, cache, id, ctx := setup(b, testenv.SQLiteDB(b), crud.WithCacheStore(testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(testenv.Prefix(b, rdb))))))
		parallel(b, cache.Get, ctx, id)
	})
}
