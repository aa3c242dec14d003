package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Dialects of the migrations: the directory names inside a set's FS.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	SQLite   = "sqlite"
)

// ErrConfig reports an unknown dialect, an invalid set name or a set whose
// FS has no migrations for the dialect.
var ErrConfig = errors.New("migrate: invalid configuration")

// Set is the migrations of one package's tables.
type Set struct {
	// Name names the set: lower-case letters, digits and underscores,
	// starting with a letter, at most 40 bytes. Its versions are kept in
	// the table VersionTable(Name).
	Name string
	// FS holds a directory per dialect (postgres, mysql, sqlite) of goose
	// SQL files, such as sqlaccounts.Migrations().
	FS fs.FS
}

// VersionTable is the table in which the set named name records its
// applied versions: apicrud_<name>_version.
func VersionTable(name string) string { return "apicrud_" + name + "_version" }

// Up applies every pending migration of each set, in order, and stops at
// the first error, which names the set.
func Up(ctx context.Context, db *sql.DB, dialect string, sets ...Set) error {
	for _, s := range sets {
		p, err := NewProvider(db, dialect, s)
		if err != nil {
			return err
		}
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("migrate: set %q: %w", s.Name, err)
		}
	}
	return nil
}

// Version returns the highest applied version of the set (0 when none is).
func Version(ctx context.Context, db *sql.DB, dialect string, s Set) (int64, error) {
	p, err := NewProvider(db, dialect, s)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: set %q: %w", s.Name, err)
	}
	return v, nil
}

// NewProvider returns the goose Provider of the set on db: its files for
// dialect, its version table, and on PostgreSQL an advisory lock per set;
// it logs nothing unless opts ask for it (goose.WithVerbose with
// goose.WithSlog). opts are added to these.
func NewProvider(db *sql.DB, dialect string, s Set, opts ...goose.ProviderOption) (*goose.Provider, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil database", ErrConfig)
	}
	if !validName(s.Name) {
		return nil, fmt.Errorf("%w: set name %q (want [a-z][a-z0-9_]*, at most 40 bytes)", ErrConfig, s.Name)
	}
	var gd goose.Dialect
	switch dialect {
	case Postgres:
		gd = goose.DialectPostgres
	case MySQL:
		gd = goose.DialectMySQL
	case SQLite:
		gd = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("%w: dialect %q (want %s, %s or %s)", ErrConfig, dialect, Postgres, MySQL, SQLite)
	}
	if s.FS == nil {
		return nil, fmt.Errorf("%w: set %q has no FS", ErrConfig, s.Name)
	}
	files, err := fs.Sub(s.FS, dialect)
	if err == nil {
		_, err = fs.Stat(files, ".")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: set %q has no %s migrations: %v", ErrConfig, s.Name, dialect, err)
	}
	base := []goose.ProviderOption{
		goose.WithTableName(VersionTable(s.Name)),
		goose.WithDisableGlobalRegistry(true),
	}
	if dialect == Postgres {
		h := fnv.New64a()
		_, _ = h.Write([]byte("apicrud migrate " + s.Name))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
		if err != nil {
			return nil, err
		}
		base = append(base, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db, files, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("migrate: set %q: %w", s.Name, err)
	}
	return p, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
