package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
	"github.com/apicrud-go/apicrud/mutex/storetest"
)

func TestRedisStore(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		storetest.Run(t, func(t *testing.T) mutex.Store {
			return testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}
