package redisstore_test

import (
	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/session/login/passkey/redisstore"
)

// Compile-only: it needs a Redis server.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	store, err := redisstore.New(rdb, redisstore.WithPrefix("myapp:passkey:"))
	if err != nil {
		panic(err)
	}
	_ = store // passkey.New(logins, store, rp)
}
