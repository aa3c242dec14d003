package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/registry"
	registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
	"github.com/apicrud-go/apicrud/registry/storetest"
)

func TestRedisStore(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) registry.Store {
			return testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// TestTwoStoresShareState: two Store values on two clients with one
// prefix (two service instances) see one registry; another prefix is
// another registry.
func TestTwoStoresShareState(t *testing.T) {
	testenv.EachRedis(t, testTwoStoresShareState)
}

func testTwoStoresShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb, other := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb)

	a := testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(prefix)))
	b := testenv.Must(registryredis.New(other, registryredis.WithPrefix(prefix)))
	isolated := testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(testenv.Prefix(t, rdb))))
	ctx := t.Context()

	require.NoError(t, a.Put(ctx, "main:a", []byte("from a"), time.Minute))
	require.NoError(t, b.Put(ctx, "main:b", []byte("from b"), time.Minute))
	for _, s := range []registry.Store{a, b} {
		recs, err := s.List(ctx, "main:")
		require.NoError(t, err)
		require.Len(t, recs, 2)
	}
	ok, err := b.Delete(ctx, "main:a", []byte("from a"))
	require.NoError(t, err)
	require.True(t, ok, "b deletes what a wrote")
	recs, err := a.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []registry.Record{{Key: "main:b", Value: []byte("from b")}}, recs)

	recs, err = isolated.List(ctx, "")
	require.NoError(t, err)
	require.Empty(t, recs)
}

// TestKeysExpire: the hash and the sorted set expire with their last
// entry, so an abandoned registry leaves nothing in Redis.
func TestKeysExpire(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	s := testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(prefix)))
	require.NoError(t, s.Put(t.Context(), "main:a", []byte("x"), 200*time.Millisecond))
	keys, err := testenv.Keys(t.Context(), rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{prefix + "{registry}:entries", prefix + "{registry}:deadlines"}, keys)
	require.Eventually(t, func() bool {
		n, err := rdb.Exists(context.Background(), keys...).Result()
		return err == nil && n == 0
	}, 5*time.Second, 20*time.Millisecond)
}
