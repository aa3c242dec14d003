package redisstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/apicrud-go/apicrud/crud"
	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
)

// Settings is an account settings record.
type Settings struct {
	ID     string `db:"id" json:"id"`
	UID    string `db:"uid" json:"uid"`
	Locale string `db:"locale" json:"locale" crud:"writable,default=en"`
	Status string `db:"status" json:"status"`
}

// allowAll is a placeholder Authorizer; services use accesscontrol.
type allowAll struct{}

func (allowAll) UID(context.Context) (string, bool)                            { return "u-1", true }
func (allowAll) Allowed(context.Context, byte, string, map[string]string) bool { return true }
func (allowAll) Filter(context.Context, byte, string, map[string]string) (string, []any, error) {
	return "1=1", nil, nil
}
func (allowAll) HasScopes(context.Context, ...string) bool { return true }

// Every instance of a service attaches a cache on the same Redis prefix, so
// a write on one instance uncaches the record on all of them.
// Compile-only: it needs a Redis server.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	raw, err := sql.Open("sqlite", "file:settings.db")
	if err != nil {
		panic(err)
	}
	db := sqlx.NewDb(raw, "sqlite3")
	defer db.Close()

	settings, err := crud.NewResource[Settings](db, "settings", crud.WithAuthorizer(allowAll{}))
	if err != nil {
		panic(err)
	}
	store, err := crudredis.New(rdb)
	if err != nil {
		panic(err)
	}
	cache, err := crud.NewCached(settings,
		crud.WithCacheStore(store), crud.WithCacheTTL(20*time.Minute))
	if err != nil {
		panic(err)
	}
	defer cache.Close(ctx)

	s, err := cache.Get(ctx, "x-settings1") // 1 Redis round trip on a hit
	fmt.Println(s, err)
}
