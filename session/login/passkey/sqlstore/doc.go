// Package sqlstore is the SQL passkey.Store on sqlx: PostgreSQL,
// MySQL/MariaDB and SQLite. Import it as passkeysql:
//
//	import passkeysql "github.com/apicrud-go/apicrud/session/login/passkey/sqlstore"
//
//	err := migrate.Up(ctx, db.DB, migrate.Postgres,
//		migrate.Set{Name: "passkeys", FS: passkeysql.Migrations()})
//	store, err := passkeysql.New(db)
//	passkeys, err := passkey.New(logins, store, rp)
//
// # Schema
//
// One table, apicrud_passkeys (WithTable), a row per passkey: the
// credential id (base64url, the primary key, so ids are unique across
// accounts), the account uid (indexed), the name, the COSE public key
// (base64url), the signature counter, the enrolment details as JSON, and
// the creation and last-use times in unix milliseconds. On MySQL and
// MariaDB the compared columns are binary strings. Migrations are
// versioned (package migrate, set name "passkeys"); a later release adds
// migrations and never edits one.
//
// # Statements
//
// Get, List, RemoveAll and Use are one statement each; Use is one
// conditional UPDATE, so that of concurrent logins presenting one
// counter value exactly one wins. A passkey login costs one SELECT and
// one UPDATE.
package sqlstore
