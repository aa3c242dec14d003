package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/apikey/sqlstore"
)

// The store on an in-memory SQLite database (in-process, so the example
// runs); PostgreSQL and MySQL work the same with their drivers.
func Example() {
	ctx := context.Background()
	raw, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		panic(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)           // one connection: each one would have its own :memory: database
	db := sqlx.NewDb(raw, "sqlite3") // sqlx binds '?' for "sqlite3"

	store, err := sqlstore.New(db)
	if err != nil {
		panic(err)
	}
	if err := store.CreateTable(ctx); err != nil {
		panic(err)
	}
	keys, err := apikey.New(apikey.WithStore(store))
	if err != nil {
		panic(err)
	}
	defer keys.Close(ctx) // does not close the store or db

	key, _, err := keys.Create(ctx, "u-1", "ci", []string{"full"}, time.Time{})
	if err != nil {
		panic(err)
	}
	c, err := keys.Verify(ctx, key.Reveal())
	if err != nil {
		panic(err)
	}
	fmt.Println(c.UID, c.Scopes, c.KeyID == key.Prefix())

	// Only the hash of the secret is in the table.
	var hash string
	if err := db.GetContext(ctx, &hash, "SELECT hash FROM apicrud_apikeys WHERE prefix = ?", key.Prefix()); err != nil {
		panic(err)
	}
	fmt.Println(len(hash))

	list, _ := keys.List(ctx, "u-1")
	fmt.Println(len(list), list[0].Name, list[0].Status, !list[0].LastUsed.IsZero())

	_, _, err = keys.Create(ctx, "u-1", "ci", nil, time.Time{})
	fmt.Println(err)
	// Output:
	// u-1 [full] true
	// 64
	// 1 ci active true
	// apikey: API key exists
}

// CreateStatement gives the CREATE TABLE statement for migrations, for the
// database's dialect and the table name of WithTable.
func ExampleStore_CreateStatement() {
	db, err := sqlx.Open("mysql", "app@tcp(db.internal:3306)/app") // Open does not connect
	if err != nil {
		panic(err)
	}
	defer db.Close()
	store, err := sqlstore.New(db, sqlstore.WithTable("api_keys"))
	if err != nil {
		panic(err)
	}
	fmt.Println(store.CreateStatement())
	// Output:
	// CREATE TABLE IF NOT EXISTS api_keys (
	//     prefix     VARBINARY(32)  NOT NULL PRIMARY KEY,
	//     hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	//     uid        VARBINARY(512) NOT NULL,
	//     name       VARBINARY(256) NOT NULL,
	//     scopes     BLOB           NOT NULL,
	//     status     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	//     created_at BIGINT         NOT NULL,
	//     expires_at BIGINT         NOT NULL,
	//     last_used  BIGINT         NOT NULL,
	//     UNIQUE (uid, name)
	// )
}
