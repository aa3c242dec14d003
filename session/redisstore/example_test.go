package redisstore_test

import (
	"context"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/session"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// Sessions shared by all instances of a service. (Compile-only: it needs a
// Redis server.)
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	var cipher session.Sealer // an apicrud crypto *Cipher shared by every instance
	var secret []byte         // 32+ random bytes shared by every instance
	store, err := sessionredis.New(rdb, sessionredis.WithPrefix("myapp:session:"))
	if err != nil {
		panic(err)
	}
	m, err := session.New(cipher, secret, session.WithStore(store))
	if err != nil {
		panic(err)
	}
	defer m.Close(context.Background())
	http.Handle("/api/", m.Authenticate(http.NotFoundHandler()))
}

// Sessions validated without a round trip once an instance has seen them;
// a logout on any instance reaches all of them within 100 ms.
// (Compile-only: it needs a Redis server.)
func ExampleWithCache() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	var cipher session.Sealer // an apicrud crypto *Cipher shared by every instance
	var secret []byte         // 32+ random bytes shared by every instance
	store, err := sessionredis.New(rdb, sessionredis.WithCache(rdb, 100*time.Millisecond, 100_000))
	if err != nil {
		panic(err)
	}
	defer store.Close(context.Background()) // stops the cache's subscription
	m, err := session.New(cipher, secret, session.WithStore(store))
	if err != nil {
		panic(err)
	}
	http.Handle("/api/", m.Authenticate(http.NotFoundHandler()))
}
