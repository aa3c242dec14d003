package sqlaccounts_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/sqlaccounts"
)

func Example() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	accounts, err := sqlaccounts.New(sqlx.NewDb(db, "sqlite3"))
	if err != nil {
		panic(err)
	}
	if err := accounts.CreateTable(ctx); err != nil {
		panic(err)
	}
	err = accounts.Create(ctx, login.Account{UID: "u-1", Username: "alice", Identity: "alice@example.com", Status: login.StatusActive})
	fmt.Println(err)
	a, found, err := accounts.Lookup(ctx, "alice@example.com")
	fmt.Println(a.UID, a.Version, found, err)
	err = accounts.Create(ctx, login.Account{UID: "u-2", Username: "alice"})
	fmt.Println(errors.Is(err, login.ErrAccountExists))
	// Output:
	// <nil>
	// u-1 1 true <nil>
	// true
}
