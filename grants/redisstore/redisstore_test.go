package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/grants"
	grantsredis "github.com/apicrud-go/apicrud/grants/redisstore"
	"github.com/apicrud-go/apicrud/grants/storetest"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestCache(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.RunCache(t, func(t *testing.T) grants.Cache {
			return testenv.Must(grantsredis.New(rdb, grantsredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// Two instances (two clients, one prefix) share the cache: an Uncache on one
// is seen by the other at once.
func TestTwoInstancesShareState(t *testing.T) {
	testenv.EachRedis(t, testTwoInstancesShareState)
}

func testTwoInstancesShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1 := connect(t)
	rdb2 := connect(t)
	prefix := testenv.Prefix(t, rdb1)
	ctx := t.Context()

	defaults, err := grants.NewDefaults(map[string]string{"lists": "10"})
	require.NoError(t, err)
	store := grants.NewMemoryStore() // stands for the shared SQL table
	t.Cleanup(func() { _ = store.Close(ctx) })
	g1, err := grants.New(defaults, grants.WithStore(store), grants.WithCache(testenv.Must(grantsredis.New(rdb1, grantsredis.WithPrefix(prefix)))))
	require.NoError(t, err)
	g2, err := grants.New(defaults, grants.WithStore(store), grants.WithCache(testenv.Must(grantsredis.New(rdb2, grantsredis.WithPrefix(prefix)))), grants.WithCacheTTL(time.Hour))
	require.NoError(t, err)

	n, err := g2.Limit(ctx, "lists", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(10), n) // now cached for an hour
	require.NoError(t, g1.Set(ctx, "u-1", "lists", "25", time.Time{}))
	n, err = g2.Limit(ctx, "lists", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(25), n, "instance 2 sees instance 1's change at once")
}

func TestCorruptEntryIsAMiss(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	c := testenv.Must(grantsredis.New(rdb, grantsredis.WithPrefix(prefix)))
	require.NoError(t, rdb.Set(ctx, prefix+"{u-1}:v", "{not json", time.Minute).Err())
	_, _, ok, err := c.Get(ctx, "u-1")
	require.NoError(t, err)
	require.False(t, ok)
}

func BenchmarkCacheGet(b *testing.B) {
	// Measures a cache hit: one MGET round trip and the JSON decode.
	rdb := testenv.Redis(b)
	c := testenv.Must(grantsredis.New(rdb, grantsredis.WithPrefix(testenv.Prefix(b, rdb))))
	ctx := b.Context()
	require.NoError(b, c.Set(ctx, "u-1", 0, []grants.Override{{UID: "u-1", Name: "lists", Value: "20"}}, time.Hour))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, ok, err := c.Get(ctx, "u-1"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}
