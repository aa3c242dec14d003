package redisstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
)

// Example shares one limit per caller between every instance of a
// service. It needs a Redis server, so it is compiled but not run.
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // or redis.NewUniversalClient
	defer rdb.Close()

	store, err := ratelimitredis.New(rdb)
	if err != nil {
		log.Fatal(err)
	}
	lim, err := ratelimit.New(
		ratelimit.WithStore(store),
		ratelimit.WithDefaultLimit(ratelimit.PerMinute(100)),
	)
	if err != nil {
		log.Fatal(err)
	}
	res, err := lim.Allow(context.Background(), ratelimit.Key{Service: "send_sms", UID: "u-1234abcd"}, 1)
	if err != nil {
		log.Fatal(err) // Redis unreachable: decide whether to fail open or closed
	}
	if res.Allowed == 0 {
		log.Printf("retry in %v", res.RetryAfter)
	}

	mux := http.NewServeMux()
	log.Fatal(http.ListenAndServe(":8080", lim.Handler(mux)))
}
