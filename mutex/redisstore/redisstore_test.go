package redisstore_test

import (
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
	"github.com/apicrud-go/apicrud/mutex/storetest"
)

func TestRedisStore(t *testing.T) {
	rdb := testenv.Redis(t)
	storetest.Run(t, func(t *testing.T) mutex.Store {
		return mutexredis.New(rdb, mutexredis.WithPrefix(testenv.Prefix(t, rdb)))
	})
}
