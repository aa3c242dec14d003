package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/apikey"
)

// DefaultTable is the table name unless WithTable changes it.
const DefaultTable = "apicrud_apikeys"

// Schema is the CREATE TABLE statement for DefaultTable on PostgreSQL and
// SQLite, whose text comparisons are byte for byte.
const Schema = `CREATE TABLE IF NOT EXISTS apicrud_apikeys (
    prefix     VARCHAR(32)  NOT NULL PRIMARY KEY,
    hash       CHAR(64)     NOT NULL,
    uid        VARCHAR(128) NOT NULL,
    name       VARCHAR(64)  NOT NULL,
    scopes     TEXT         NOT NULL,
    status     VARCHAR(16)  NOT NULL,
    created_at BIGINT       NOT NULL,
    expires_at BIGINT       NOT NULL,
    last_used  BIGINT       NOT NULL,
    UNIQUE (uid, name)
)`

// SchemaMySQL is the CREATE TABLE statement for DefaultTable on MySQL and
// MariaDB. The compared columns are binary strings (lengths in bytes: 128
// and 64 characters of UTF-8), because the servers' text collations ignore
// case (the default ones) or trailing spaces (every PAD SPACE collation,
// utf8mb4_bin included): with them, "CI" and "ci " would be taken for the
// name "ci".
const SchemaMySQL = `CREATE TABLE IF NOT EXISTS apicrud_apikeys (
    prefix     VARBINARY(32)  NOT NULL PRIMARY KEY,
    hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    uid        VARBINARY(512) NOT NULL,
    name       VARBINARY(256) NOT NULL,
    scopes     BLOB           NOT NULL,
    status     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at BIGINT         NOT NULL,
    expires_at BIGINT         NOT NULL,
    last_used  BIGINT         NOT NULL,
    UNIQUE (uid, name)
)`

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is the sqlx apikey.Store. It is safe for concurrent use. Use New:
// the zero value is not usable.
type Store struct {
	db    *sqlx.DB
	table string
	q     queries
}

var _ apikey.Store = (*Store)(nil)

type queries struct {
	insert, get, list, touch, status, del, exists, conflict string
}

// Option configures New.
type Option func(*Store) error

// WithTable sets the table name (default DefaultTable): lower-case
// letters, digits and underscores, starting with a letter or underscore.
func WithTable(name string) Option {
	return func(s *Store) error {
		if !tableName.MatchString(name) {
			return fmt.Errorf("%w: WithTable: invalid table name %q", apikey.ErrOption, name)
		}
		s.table = name
		return nil
	}
}

// New returns a Store on db. It does not create the table (CreateTable)
// and never closes db.
func New(db *sqlx.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: New: nil db", apikey.ErrOption)
	}
	s := &Store{db: db, table: DefaultTable}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	const cols = "prefix, hash, uid, name, scopes, status, created_at, expires_at, last_used"
	t := s.table
	s.q = queries{
		insert:   db.Rebind("INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		get:      db.Rebind("SELECT " + cols + " FROM " + t + " WHERE prefix = ?"),
		list:     db.Rebind("SELECT " + cols + " FROM " + t + " WHERE uid = ? ORDER BY created_at, prefix"),
		touch:    db.Rebind("UPDATE " + t + " SET last_used = ? WHERE prefix = ? AND last_used < ?"),
		status:   db.Rebind("UPDATE " + t + " SET status = ? WHERE prefix = ?"),
		del:      db.Rebind("DELETE FROM " + t + " WHERE prefix = ?"),
		exists:   db.Rebind("SELECT COUNT(*) FROM " + t + " WHERE prefix = ?"),
		conflict: db.Rebind("SELECT COUNT(*) FROM " + t + " WHERE prefix = ? OR (uid = ? AND name = ?)"),
	}
	return s, nil
}

// CreateStatement returns the CREATE TABLE statement CreateTable runs:
// SchemaMySQL for the sqlx driver name "mysql", Schema otherwise, with the
// table name of WithTable. Use it in migrations.
func (s *Store) CreateStatement() string {
	schema := Schema
	if s.db.DriverName() == "mysql" {
		schema = SchemaMySQL
	}
	return strings.Replace(schema, DefaultTable, s.table, 1)
}

// CreateTable creates the table if it does not exist (CreateStatement).
// It creates the first release's schema and no later one: a service
// that must follow schema changes applies Migrations (package migrate).
func (s *Store) CreateTable(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.CreateStatement()); err != nil {
		return fmt.Errorf("apikey/sqlstore: create table: %w", err)
	}
	return nil
}

type row struct {
	Prefix   string `db:"prefix"`
	Hash     string `db:"hash"`
	UID      string `db:"uid"`
	Name     string `db:"name"`
	Scopes   string `db:"scopes"`
	Status   string `db:"status"`
	Created  int64  `db:"created_at"`
	Expires  int64  `db:"expires_at"`
	LastUsed int64  `db:"last_used"`
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (r *row) key() (apikey.Record, error) {
	k := apikey.Record{Prefix: r.Prefix, UID: r.UID, Name: r.Name, Status: r.Status,
		Created: fromMillis(r.Created), Expires: fromMillis(r.Expires), LastUsed: fromMillis(r.LastUsed),
		Scopes: strings.Fields(r.Scopes)}
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	h, err := hex.DecodeString(strings.TrimSpace(r.Hash))
	if err != nil || len(h) != len(k.Hash) {
		return apikey.Record{}, fmt.Errorf("apikey/sqlstore: key %s: corrupt hash column", r.Prefix)
	}
	copy(k.Hash[:], h)
	return k, nil
}

// Create implements apikey.Store.
func (s *Store) Create(ctx context.Context, k apikey.Record) error {
	for _, sc := range k.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
			return fmt.Errorf("%w: scope %q", apikey.ErrInvalidData, sc)
		}
	}
	_, err := s.db.ExecContext(ctx, s.q.insert, k.Prefix, hex.EncodeToString(k.Hash[:]), k.UID, k.Name,
		strings.Join(k.Scopes, " "), k.Status, millis(k.Created), millis(k.Expires), millis(k.LastUsed))
	if err == nil {
		return nil
	}
	var n int
	if cerr := s.db.QueryRowxContext(ctx, s.q.conflict, k.Prefix, k.UID, k.Name).Scan(&n); cerr == nil && n > 0 {
		return apikey.ErrExists
	}
	return fmt.Errorf("apikey/sqlstore: create: %w", err)
}

// Get implements apikey.Store.
func (s *Store) Get(ctx context.Context, prefix string) (apikey.Record, error) {
	var r row
	if err := s.db.QueryRowxContext(ctx, s.q.get, prefix).StructScan(&r); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return apikey.Record{}, apikey.ErrNotFound
		}
		return apikey.Record{}, fmt.Errorf("apikey/sqlstore: get: %w", err)
	}
	return r.key()
}

// List implements apikey.Store.
func (s *Store) List(ctx context.Context, uid string) ([]apikey.Record, error) {
	var rows []row
	if err := s.db.SelectContext(ctx, &rows, s.q.list, uid); err != nil {
		return nil, fmt.Errorf("apikey/sqlstore: list: %w", err)
	}
	out := make([]apikey.Record, 0, len(rows))
	for i := range rows {
		k, err := rows[i].key()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// exec runs an UPDATE or DELETE and maps "no row changed" to
// apikey.ErrNotFound when the key is absent.
func (s *Store) exec(ctx context.Context, what, prefix, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("apikey/sqlstore: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	var n int
	if err := s.db.QueryRowxContext(ctx, s.q.exists, prefix).Scan(&n); err != nil {
		return fmt.Errorf("apikey/sqlstore: %s: %w", what, err)
	}
	if n == 0 {
		return apikey.ErrNotFound
	}
	return nil // present, nothing to change (MySQL counts changed rows only)
}

// Touch implements apikey.Store.
func (s *Store) Touch(ctx context.Context, prefix string, at time.Time) error {
	ms := millis(at)
	return s.exec(ctx, "touch", prefix, s.q.touch, ms, prefix, ms)
}

// SetStatus implements apikey.Store.
func (s *Store) SetStatus(ctx context.Context, prefix, status string) error {
	return s.exec(ctx, "set status", prefix, s.q.status, status, prefix)
}

// Delete implements apikey.Store.
func (s *Store) Delete(ctx context.Context, prefix string) error {
	return s.exec(ctx, "delete", prefix, s.q.del, prefix)
}
