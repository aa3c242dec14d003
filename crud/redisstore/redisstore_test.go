package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud"
	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
	"github.com/apicrud-go/apicrud/crud/storetest"
	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestStore(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) crud.CacheStore {
			return testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// Two instances (two clients, one prefix) share the cache: what one caches
// the other reads, and an Uncache on one is seen by the other at once.
func TestTwoInstancesShareState(t *testing.T) {
	testenv.EachRedis(t, testTwoInstancesShareState)
}

func testTwoInstancesShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1, rdb2 := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb1)
	ctx := t.Context()
	s1 := testenv.Must(crudredis.New(rdb1, crudredis.WithPrefix(prefix)))
	s2 := testenv.Must(crudredis.New(rdb2, crudredis.WithPrefix(prefix)))

	_, gen, _, err := s1.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.NoError(t, s1.Set(ctx, "settings:x-1", gen, []byte("rec"), time.Hour))
	got, _, ok, err := s2.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("rec"), got)

	_, gen2, _, err := s2.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.NoError(t, s1.Delete(ctx, "settings:x-1"))
	_, _, ok, err = s2.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.False(t, ok, "instance 2 sees instance 1's uncache at once")
	require.NoError(t, s2.Set(ctx, "settings:x-1", gen2, []byte("stale"), time.Hour))
	_, _, ok, err = s1.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.False(t, ok, "a load on instance 2 that began before the uncache on instance 1 is not cached")

	other := testenv.Must(crudredis.New(rdb2, crudredis.WithPrefix(testenv.Prefix(t, rdb2))))
	_, _, ok, err = other.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.False(t, ok, "another prefix is another cache")
}

func TestKeySchema(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	s := testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(prefix), crudredis.WithGenerationTTL(time.Minute)))
	require.NoError(t, s.Delete(ctx, "settings:x-1"))
	_, gen, _, err := s.Get(ctx, "settings:x-1")
	require.NoError(t, err)
	require.Equal(t, uint64(1), gen)
	require.NoError(t, s.Set(ctx, "settings:x-1", gen, []byte("rec"), 30*time.Second))

	v, g := prefix+"{settings:x-1}:v", prefix+"{settings:x-1}:g"
	val, err := rdb.Get(ctx, v).Result()
	require.NoError(t, err)
	require.Equal(t, "rec", val)
	ttl, err := rdb.PTTL(ctx, v).Result()
	require.NoError(t, err)
	require.True(t, ttl > 25*time.Second && ttl <= 30*time.Second, "entry TTL %v", ttl)
	n, err := rdb.Get(ctx, g).Int64()
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	ttl, err = rdb.PTTL(ctx, g).Result()
	require.NoError(t, err)
	require.True(t, ttl > 55*time.Second && ttl <= time.Minute, "generation TTL %v", ttl)
	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{v, g}, keys)
	require.Equal(t, "apicrud:crud:", crudredis.DefaultPrefix)
}

func TestBadGenerationIsAnError(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	s := testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(prefix)))
	require.NoError(t, rdb.Set(ctx, prefix+"{settings:x-1}:g", "not a number", time.Minute).Err())
	_, _, _, err := s.Get(ctx, "settings:x-1")
	require.ErrorIs(t, err, rediskey.ErrReply)
}

func TestServerDown(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(prefix)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, _, err := s.Get(ctx, "k")
	require.Error(t, err)
	require.Error(t, s.Delete(ctx, "k"))
	require.Error(t, s.Set(ctx, "k", 0, []byte("x"), time.Minute))
}

func BenchmarkStoreGet(b *testing.B) {
	// Measures a cache hit at the store level: one MGET round trip.
	rdb := testenv.Redis(b)
	s := testenv.Must(crudredis.New(rdb, crudredis.WithPrefix(testenv.Prefix(b, rdb))))
	ctx := b.Context()
	require.NoError(b, s.Set(ctx, "settings:x-1", 0, make([]byte, 200), time.Hour))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, ok, err := s.Get(ctx, "settings:x-1"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}
