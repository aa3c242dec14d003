package migrate_test

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	apikeysql "github.com/apicrud-go/apicrud/apikey/sqlstore"
	grantsql "github.com/apicrud-go/apicrud/grants/sqlstore"
	"github.com/apicrud-go/apicrud/migrate"
	"github.com/apicrud-go/apicrud/session/login/sqlaccounts"
)

// The library's tables, migrated with one call at start-up.
func ExampleUp() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:migrate-example?mode=memory&cache=shared")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	sets := []migrate.Set{
		{Name: "accounts", FS: sqlaccounts.Migrations()},
		{Name: "apikeys", FS: apikeysql.Migrations()},
		{Name: "grants", FS: grantsql.Migrations()},
	}
	if err := migrate.Up(ctx, db, migrate.SQLite, sets...); err != nil {
		panic(err)
	}
	for _, s := range sets {
		v, _ := migrate.Version(ctx, db, migrate.SQLite, s)
		fmt.Println(s.Name, v, migrate.VersionTable(s.Name))
	}
	accounts, _ := sqlaccounts.New(sqlx.NewDb(db, "sqlite"))
	_, found, err := accounts.Lookup(ctx, "admin")
	fmt.Println(found, err)
	// Output:
	// accounts 2 apicrud_accounts_version
	// apikeys 1 apicrud_apikeys_version
	// grants 1 apicrud_grants_version
	// false <nil>
}
