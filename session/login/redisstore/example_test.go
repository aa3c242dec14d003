package redisstore_test

import (
	"context"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// Sessions and login state shared by all instances of a service, on one
// Redis client. (Compile-only: it needs a Redis server.)
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	var cipher session.Sealer       // an apicrud crypto *Cipher shared by every instance
	var secret []byte               // 32+ random bytes shared by every instance
	var accounts login.AccountStore // sqlaccounts on the shared database
	sessions, err := session.New(cipher, secret, session.WithStore(must(sessionredis.New(rdb))))
	if err != nil {
		panic(err)
	}
	defer sessions.Close(context.Background())
	logins, err := login.New(sessions, accounts, login.WithStore(must(loginredis.New(rdb))))
	if err != nil {
		panic(err)
	}
	defer logins.Close(context.Background())
	http.Handle("/api/", logins.Clients(sessions.Authenticate(http.NotFoundHandler())))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
