package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/apicrud-go/apicrud/grants"
	grantssql "github.com/apicrud-go/apicrud/grants/sqlstore"
)

// Overrides in a SQLite table (the sqlx driver name "sqlite3" makes sqlx
// bind '?').
func Example() {
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		panic(err)
	}
	db := sqlx.NewDb(raw, "sqlite3")
	db.SetMaxOpenConns(1) // one in-memory database
	defer db.Close()

	store, err := grantssql.New(db)
	if err != nil {
		panic(err)
	}
	if err := store.CreateTable(ctx); err != nil {
		panic(err)
	}
	defaults, _ := grants.ParseDefaults([]byte("lists: 12\n"))
	g, _ := grants.New(defaults, grants.WithStore(store))
	defer g.Close(ctx)

	_ = g.Set(ctx, "u-1", "lists", "0x20", time.Time{})
	n, _ := g.Limit(ctx, "lists", "u-1")
	fmt.Println(n)
	// Output: 32
}
