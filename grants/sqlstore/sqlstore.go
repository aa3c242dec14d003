package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/grants"
)

// DefaultTable is the table name used when WithTable is not given.
const DefaultTable = "grants"

// Dialects.
const (
	dialectPostgres = "postgres"
	dialectMySQL    = "mysql"
	dialectSQLite   = "sqlite"
)

// Store is a grants.Store on a SQL table (see the package doc for the
// schema). Use New; a Store is safe for concurrent use and never closes the
// database it was given.
type Store struct {
	db      *sqlx.DB
	table   string
	dialect string

	selectSQL, upsertSQL, deleteSQL string
}

var _ grants.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithTable sets the table name (default DefaultTable): 1 to 63 characters
// of [a-z0-9_] starting with a letter or '_'.
func WithTable(name string) Option {
	return func(s *Store) error {
		if !validIdent(name) {
			return fmt.Errorf("%w: table name %q", grants.ErrConfig, name)
		}
		s.table = name
		return nil
	}
}

func validIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// New returns a Store on db. The dialect follows db's sqlx driver name:
// "pgx" or "postgres" (PostgreSQL), "mysql" (MySQL/MariaDB), "sqlite3" or
// "sqlite" (SQLite). The table is not created: call CreateTable, or create
// it with your migrations from the schema in the package doc.
func New(db *sqlx.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil database", grants.ErrConfig)
	}
	s := &Store{db: db, table: DefaultTable}
	switch db.DriverName() {
	case "pgx", "postgres":
		s.dialect = dialectPostgres
	case "mysql":
		s.dialect = dialectMySQL
	case "sqlite3", "sqlite":
		s.dialect = dialectSQLite
	default:
		return nil, fmt.Errorf("%w: unsupported sqlx driver %q", grants.ErrConfig, db.DriverName())
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	t := s.table
	s.selectSQL = db.Rebind("SELECT name, value, expires FROM " + t + " WHERE uid = ? AND status = 'active'")
	s.deleteSQL = db.Rebind("DELETE FROM " + t + " WHERE uid = ? AND name = ?")
	insert := "INSERT INTO " + t + " (id, name, value, uid, expires, status, created, modified) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)"
	switch s.dialect {
	case dialectMySQL:
		s.upsertSQL = insert + " ON DUPLICATE KEY UPDATE value = VALUES(value), expires = VALUES(expires), status = 'active', modified = VALUES(modified)"
	default:
		s.upsertSQL = insert + " ON CONFLICT (uid, name) DO UPDATE SET value = excluded.value, expires = excluded.expires, status = 'active', modified = excluded.modified"
	}
	s.upsertSQL = db.Rebind(s.upsertSQL)
	return s, nil
}

// Schema returns the CREATE TABLE statement of the Store's table in its
// dialect (the package doc shows all three).
func (s *Store) Schema() string {
	ts, now := "TIMESTAMP WITH TIME ZONE", "CURRENT_TIMESTAMP"
	switch s.dialect {
	case dialectMySQL:
		ts, now = "DATETIME(6)", "CURRENT_TIMESTAMP(6)"
	case dialectSQLite:
		ts = "DATETIME"
	}
	return strings.Join([]string{
		"CREATE TABLE IF NOT EXISTS " + s.table + " (",
		"  id       VARCHAR(64)  NOT NULL PRIMARY KEY,",
		"  name     VARCHAR(64)  NOT NULL,",
		"  value    VARCHAR(64)  NOT NULL,",
		"  uid      VARCHAR(128) NOT NULL,",
		"  expires  " + ts + " NULL,",
		"  status   VARCHAR(16)  NOT NULL DEFAULT 'active',",
		"  created  " + ts + " NOT NULL DEFAULT " + now + ",",
		"  modified " + ts + " NULL,",
		"  CONSTRAINT " + s.table + "_uid_name UNIQUE (uid, name)",
		")",
	}, "\n")
}

// CreateTable creates the table if it does not exist.
// It creates the first release's schema and no later one: a service
// that must follow schema changes applies Migrations (package migrate).
func (s *Store) CreateTable(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.Schema()); err != nil {
		return fmt.Errorf("grants/sqlstore: creating table %s: %w", s.table, err)
	}
	return nil
}

// Overrides implements grants.Store with one query. Rows whose status is
// not 'active' or whose expires is past are left out.
func (s *Store) Overrides(ctx context.Context, uid string) ([]grants.Override, error) {
	rows, err := s.db.QueryContext(ctx, s.selectSQL, uid)
	if err != nil {
		return nil, fmt.Errorf("grants/sqlstore: %w", err)
	}
	defer rows.Close()
	now := time.Now()
	out := []grants.Override{}
	for rows.Next() {
		var (
			o   = grants.Override{UID: uid}
			exp anyTime
		)
		if err := rows.Scan(&o.Name, &o.Value, &exp); err != nil {
			return nil, fmt.Errorf("grants/sqlstore: %w", err)
		}
		o.Expires = exp.t
		if o.Expires.IsZero() || now.Before(o.Expires) {
			out = append(out, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grants/sqlstore: %w", err)
	}
	return out, nil
}

// Put implements grants.Store with one upsert on the unique (uid, name).
func (s *Store) Put(ctx context.Context, o grants.Override) error {
	now := time.Now().UTC()
	var exp any
	if !o.Expires.IsZero() {
		exp = o.Expires.UTC()
	}
	if _, err := s.db.ExecContext(ctx, s.upsertSQL, newID(), o.Name, o.Value, o.UID, exp, now, now); err != nil {
		return fmt.Errorf("grants/sqlstore: %w", err)
	}
	return nil
}

// Delete implements grants.Store with one DELETE.
func (s *Store) Delete(ctx context.Context, uid, name string) error {
	if _, err := s.db.ExecContext(ctx, s.deleteSQL, uid, name); err != nil {
		return fmt.Errorf("grants/sqlstore: %w", err)
	}
	return nil
}

// newID returns "x-" and 96 random bits in URL-safe base64, like the ids of
// crud.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "x-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// anyTime scans a nullable timestamp whatever form the driver returns it in:
// time.Time (pgx, MySQL with parseTime=true, SQLite DATETIME columns) or
// text (MySQL without parseTime, SQLite values written by other programs).
type anyTime struct{ t time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// Scan implements sql.Scanner.
func (a *anyTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		a.t = time.Time{}
		return nil
	case time.Time:
		a.t = x
		return nil
	case []byte:
		return a.parse(string(x))
	case string:
		return a.parse(x)
	}
	return fmt.Errorf("grants/sqlstore: cannot read %T as a time", v)
}

func (a *anyTime) parse(s string) error {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			a.t = t
			return nil
		}
	}
	return fmt.Errorf("grants/sqlstore: cannot read %q as a time", s)
}

var _ sql.Scanner = (*anyTime)(nil)
