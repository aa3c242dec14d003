// Package sqlstore is an [apikey.Store] over sqlx, for PostgreSQL
// (pgx stdlib), MySQL/MariaDB (go-sql-driver/mysql) and SQLite
// (modernc.org/sqlite, opened with the sqlx driver name "sqlite3" so that
// sqlx binds '?' placeholders). It passes apikey/storetest on the three
// databases. Import it as apikeysql where another sqlstore is in scope.
//
//	store, err := sqlstore.New(db) // db *sqlx.DB; never closed by the store
//	if err != nil { … }
//	if err := store.CreateTable(ctx); err != nil { … } // or run CreateStatement in a migration
//	keys, err := apikey.New(apikey.WithStore(store))
//
// # Schema
//
// One table, named "apicrud_apikeys" unless [WithTable] says otherwise.
// [Store.CreateTable] creates it if it does not exist; [Store.CreateStatement]
// returns the statement for your migrations. It holds no secret: the
// secret of a key is never stored, only its SHA-256 (or, with
// apikey.WithPepper, HMAC-SHA-256) in hex.
//
//	column      meaning
//	prefix      the key's public id (primary key); 8 to 32 of [A-Za-z0-9_-]
//	hash        hex SHA-256 or HMAC-SHA-256 of the secret (64 characters)
//	uid         the owner
//	name        unique per owner (UNIQUE (uid, name))
//	scopes      the key's scopes, separated by spaces ("" for none)
//	status      "active" or "revoked"
//	created_at  Unix milliseconds, UTC
//	expires_at  Unix milliseconds, UTC; 0 for never
//	last_used   Unix milliseconds, UTC; 0 for never
//
// Timestamps are integers so that no driver's time-zone handling is
// involved. Prefix, owner and name must compare byte for byte, as the
// in-memory store compares them; the statement therefore depends on the
// dialect.
//
// PostgreSQL and SQLite ([Schema]), whose equality on text is byte for byte
// (PostgreSQL with any deterministic collation; SQLite's BINARY):
//
//	CREATE TABLE IF NOT EXISTS apicrud_apikeys (
//	    prefix     VARCHAR(32)  NOT NULL PRIMARY KEY,
//	    hash       CHAR(64)     NOT NULL,
//	    uid        VARCHAR(128) NOT NULL,
//	    name       VARCHAR(64)  NOT NULL,
//	    scopes     TEXT         NOT NULL,
//	    status     VARCHAR(16)  NOT NULL,
//	    created_at BIGINT       NOT NULL,
//	    expires_at BIGINT       NOT NULL,
//	    last_used  BIGINT       NOT NULL,
//	    UNIQUE (uid, name)
//	)
//
// SQLite stores the VARCHAR columns as TEXT (length not enforced) and
// BIGINT as INTEGER; PostgreSQL enforces the lengths in characters.
//
// MySQL and MariaDB ([SchemaMySQL], chosen for the sqlx driver name
// "mysql"): their text collations ignore case (the servers' defaults, such
// as utf8mb4_general_ci) or trailing spaces (every PAD SPACE collation,
// utf8mb4_bin included), so the compared columns are binary strings, with
// lengths in bytes (128 and 64 characters of UTF-8 take up to 512 and 256
// bytes):
//
//	CREATE TABLE IF NOT EXISTS apicrud_apikeys (
//	    prefix     VARBINARY(32)  NOT NULL PRIMARY KEY,
//	    hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
//	    uid        VARBINARY(512) NOT NULL,
//	    name       VARBINARY(256) NOT NULL,
//	    scopes     BLOB           NOT NULL,
//	    status     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
//	    created_at BIGINT         NOT NULL,
//	    expires_at BIGINT         NOT NULL,
//	    last_used  BIGINT         NOT NULL,
//	    UNIQUE (uid, name)
//	)
//
// The unique index on (uid, name) takes at most 768 bytes, within InnoDB's
// limit. Keys are listed oldest first, ties in the database's order of the
// prefix column (byte order on SQLite and MySQL; the column's collation on
// PostgreSQL).
//
// # Round trips
//
// Get, List and Create are one statement each (Create adds one SELECT
// when the INSERT fails, to tell a taken prefix or name from a database
// error); Touch, SetStatus and Delete are one UPDATE or DELETE, plus one
// SELECT when no row changed. A verification reads one row by primary key
// (none while apikey.WithCache holds it) and writes last_used at most once
// per apikey.WithTouchInterval.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every method is one statement, plus
// one existence check when an UPDATE or DELETE changes no row or an INSERT
// fails; uniqueness of prefixes and of (uid, name) is enforced by the
// database, so two instances creating the same name at once get one key and
// one [apikey.ErrExists]. Touch only moves last_used forward
// (UPDATE … WHERE last_used < ?), so racing verifications never move it
// back.
//
// # Failures
//
// Database errors are returned wrapped ("apikey/sqlstore: get: …"), never
// mapped to apikey.ErrNotFound, so that apikey.Manager.Verify fails closed
// (an error, not an unknown key) while the database is down. A row whose
// hash column is not 64 hex digits is reported as corrupt.
//
// # Security
//
// The table name comes from WithTable (checked against
// ^[a-z_][a-z0-9_]{0,62}$), never from input; every value is a bound
// parameter. The table holds no secret: a stolen copy gives hashes of
// 256-bit random secrets, and with apikey.WithPepper not even a way to
// test a guess.
package sqlstore
