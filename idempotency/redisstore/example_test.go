package redisstore_test

import (
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/idempotency"
	idempotencyredis "github.com/apicrud-go/apicrud/idempotency/redisstore"
)

// Answers shared by every instance of a service (compile-only: it needs a
// Redis server).
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	store, err := idempotencyredis.New(rdb)
	if err != nil {
		panic(err)
	}
	keeper, err := idempotency.New(idempotency.WithStore(store))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	_ = http.ListenAndServe(":8080", keeper.Handler(mux))
}
