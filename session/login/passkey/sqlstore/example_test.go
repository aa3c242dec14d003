package sqlstore_test

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/apicrud-go/apicrud/migrate"
	"github.com/apicrud-go/apicrud/session/login/passkey"
	"github.com/apicrud-go/apicrud/session/login/passkey/sqlstore"
)

// The migrations create the table; the Store keeps passkeys in it.
func ExampleNew() {
	ctx := context.Background()
	db, err := sqlx.Open("sqlite", "file::memory:?cache=shared")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db = sqlx.NewDb(db.DB, "sqlite3") // sqlx binds '?' for this driver name
	if err := migrate.Up(ctx, db.DB, migrate.SQLite, migrate.Set{Name: "passkeys", FS: sqlstore.Migrations()}); err != nil {
		panic(err)
	}
	store, err := sqlstore.New(db)
	if err != nil {
		panic(err)
	}
	err = store.Add(ctx, passkey.Credential{ID: []byte{1, 2, 3}, UID: "u-1", Name: "laptop", PublicKey: []byte("cose")})
	fmt.Println(err)
	list, _ := store.List(ctx, "u-1")
	fmt.Println(len(list), list[0].Name, passkey.EncodeID(list[0].ID))
	// Output:
	// <nil>
	// 1 laptop AQID
}
