// Package migrate runs the versioned schema migrations of the library's
// SQL tables (accounts, API keys, grants) with pressly/goose, so that a
// later release can change a table that an earlier one created.
//
// # Usage
//
// Each package that owns a table ships its migrations as an embedded
// fs.FS (sqlaccounts.Migrations, apikey/sqlstore.Migrations,
// grants/sqlstore.Migrations): one directory per dialect (postgres, mysql,
// sqlite) of goose SQL files. The host applies the sets it uses with one
// call at start-up:
//
//	err := migrate.Up(ctx, db.DB, migrate.Postgres,
//		migrate.Set{Name: "accounts", FS: sqlaccounts.Migrations()},
//		migrate.Set{Name: "apikeys", FS: apikeysql.Migrations()},
//		migrate.Set{Name: "grants", FS: grantsql.Migrations()})
//
// Each set records its applied versions in a table of its own,
// apicrud_<name>_version ([VersionTable]), so sets are independent of each
// other and of the host's own migrations, and a host that uses only one
// package runs only that package's set.
//
// # A database from before migrations
//
// The first migration of each set creates its table with IF NOT EXISTS:
// on a database whose tables CreateTable made, it keeps the table and its
// rows and records version 1, and later migrations apply from there.
//
// # The host's own migration tool
//
// The files are plain goose SQL files. [NewProvider] returns the goose
// Provider of a set (for Down, Status, UpTo); the goose command runs them
// from a copy of the directory (goose -table apicrud_accounts_version -dir
// …); and fs.Sub(set.FS, dialect) gives the files of one dialect to any
// tool that reads an fs.FS.
//
// # Concurrency
//
// On PostgreSQL, Up holds a session advisory lock while it migrates, so
// instances starting together apply each migration once. On MySQL and
// SQLite the host serializes start-ups itself (examples/contacts takes a
// lock of package mutex around its bootstrap).
package migrate
