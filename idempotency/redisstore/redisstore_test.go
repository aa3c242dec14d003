package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/idempotency"
	idempotencyredis "github.com/apicrud-go/apicrud/idempotency/redisstore"
	"github.com/apicrud-go/apicrud/idempotency/storetest"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestRedisStore(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) idempotency.Store {
			s, err := idempotencyredis.New(rdb, idempotencyredis.WithPrefix(testenv.Prefix(t, rdb)))
			require.NoError(t, err)
			return s
		})
	})
}

func TestOptions(t *testing.T) {
	_, err := idempotencyredis.New(nil)
	require.ErrorIs(t, err, idempotencyredis.ErrOption)
	_, err = idempotencyredis.New(testenv.Redis(t), idempotencyredis.WithPrefix("a{b"))
	require.ErrorIs(t, err, idempotencyredis.ErrOption)
}
