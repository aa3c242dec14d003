package crud_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/crud"
)

// AccountSettings is the record type of the cache example.
type AccountSettings struct {
	ID             string `db:"id" json:"id"`
	UID            string `db:"uid" json:"uid"`
	Locale         string `db:"locale" json:"locale" crud:"writable,default=en"`
	DefaultPrivacy string `db:"default_privacy" json:"default_privacy" crud:"writable,enum=public|member|secret,default=member"`
	Status         string `db:"status" json:"status"`
	Version        int64  `db:"version" json:"version"`
}

// Handlers read the caller's settings on every request through a Cached:
// one SELECT on the first read, none afterwards, and every write through
// the Resource uncaches the record.
func ExampleCached() {
	raw, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		panic(err)
	}
	raw.SetMaxOpenConns(1) // one in-memory database
	db := sqlx.NewDb(raw, "sqlite3")
	defer db.Close()
	db.MustExec(`CREATE TABLE settings (id TEXT PRIMARY KEY, uid TEXT NOT NULL, locale TEXT NOT NULL,
		default_privacy TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL)`)

	settings, err := crud.NewResource[AccountSettings](db, "settings", crud.WithAuthorizer(owners{}))
	if err != nil {
		panic(err)
	}
	cache, err := crud.NewCached(settings, crud.WithCacheTTL(20*time.Minute)) // in-memory store
	if err != nil {
		panic(err)
	}
	defer cache.Close(context.Background())

	ann := context.WithValue(context.Background(), uidKey{}, "u-ann")
	s, err := settings.Create(ann, &AccountSettings{Locale: "fr"})
	if err != nil {
		panic(err)
	}

	got, _ := cache.Get(ann, s.ID) // loads and caches
	fmt.Println(got.Locale, got.DefaultPrivacy)
	got, _ = cache.Get(ann, s.ID) // served from the cache
	fmt.Println(got.Locale, got.Version)

	if _, err := settings.Update(ann, s.ID, &AccountSettings{Locale: "de"}, "locale"); err != nil {
		panic(err)
	}
	got, _ = cache.Get(ann, s.ID) // the update uncached it
	fmt.Println(got.Locale, got.Version)

	if err := settings.Delete(ann, false, s.ID); err != nil {
		panic(err)
	}
	_, err = cache.Get(ann, s.ID)
	fmt.Println(errors.Is(err, crud.ErrNotFound))
	// Output:
	// fr member
	// fr 1
	// de 2
	// true
}
