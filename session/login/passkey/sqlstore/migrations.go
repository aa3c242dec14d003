package sqlstore

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the versioned migrations of the table
// apicrud_passkeys (the default name; a Store under another name,
// WithTable, needs migrations of its own): a directory per dialect,
// postgres, mysql and sqlite, of pressly/goose SQL files numbered from
// 00001. Package migrate runs them (migrate.Set{Name: "passkeys", FS:
// Migrations()}).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil { // only for an invalid path, which "migrations" is not
		return migrations
	}
	return sub
}
