package redisstore_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/grants"
	grantsredis "github.com/apicrud-go/apicrud/grants/redisstore"
)

// Several instances share one cache, so Uncache (and Set) on one instance is
// seen by all. Compile-only: it needs a Redis server.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()

	defaults, _ := grants.ParseDefaults([]byte("lists: 12\nratelimit: 500\n"))
	store, err := grantsredis.New(rdb)
	if err != nil {
		panic(err)
	}
	g, err := grants.New(defaults, grants.WithCache(store))
	if err != nil {
		panic(err)
	}
	defer g.Close(ctx)
	n, err := g.Limit(ctx, "lists", "u-B0miQweE")
	fmt.Println(n, err)
}
