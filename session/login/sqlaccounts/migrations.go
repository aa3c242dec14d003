package sqlaccounts

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the versioned migrations of the table apicrud_accounts (the
// default name; a Store under another name, WithTable, needs migrations of
// its own): a directory per dialect, postgres, mysql and sqlite, of
// pressly/goose SQL files numbered from 00001. Package migrate runs them
// (migrate.Up); they also work with the goose command or library
// (fs.Sub(Migrations(), "postgres")). The first migration creates the
// table with IF NOT EXISTS, so a database whose table CreateTable made
// before adopts it with its rows.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil { // only for an invalid path, which "migrations" is not
		return migrations
	}
	return sub
}
