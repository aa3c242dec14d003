package sqlaccounts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/session/login"
)

// DefaultTable is the table name unless WithTable changes it.
const DefaultTable = "apicrud_accounts"

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is the sqlx login.AccountStore. Use New.
type Store struct {
	db    *sqlx.DB
	table string
	q     queries
}

var _ login.AccountStore = (*Store)(nil)

type queries struct {
	byUsername, byIdentity, byUID, insert, update, del, exists, conflict string
}

// Option configures New.
type Option func(*Store) error

// WithTable sets the table name (default DefaultTable): lower-case
// letters, digits and underscores, starting with a letter or underscore.
func WithTable(name string) Option {
	return func(s *Store) error {
		if !tableName.MatchString(name) {
			return fmt.Errorf("sqlaccounts: invalid table name %q", name)
		}
		s.table = name
		return nil
	}
}

// New returns a Store on db. It does not create the table (CreateTable).
// The Store never closes db.
func New(db *sqlx.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlaccounts: nil db")
	}
	s := &Store{db: db, table: DefaultTable}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	const cols = "uid, username, identity, name, password_hash, status, is_admin, totp_secret, backup_codes, version, created_at, updated_at," +
		" mfa_required, password_must_change"
	sel := "SELECT " + cols + " FROM " + s.table + " WHERE "
	s.q = queries{
		byUsername: db.Rebind(sel + "username = ?"),
		byIdentity: db.Rebind(sel + "identity = ?"),
		byUID:      db.Rebind(sel + "uid = ?"),
		insert:     db.Rebind("INSERT INTO " + s.table + " (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		update: db.Rebind("UPDATE " + s.table + " SET username = ?, identity = ?, name = ?, password_hash = ?, status = ?, is_admin = ?," +
			" totp_secret = ?, backup_codes = ?, mfa_required = ?, password_must_change = ?, version = version + 1, updated_at = ?" +
			" WHERE uid = ? AND version = ?"),
		del:      db.Rebind("DELETE FROM " + s.table + " WHERE uid = ?"),
		exists:   db.Rebind("SELECT COUNT(*) FROM " + s.table + " WHERE uid = ? OR username = ? OR identity = ?"),
		conflict: db.Rebind("SELECT COUNT(*) FROM " + s.table + " WHERE uid <> ? AND (username = ? OR identity = ?)"),
	}
	return s, nil
}

// Schema returns the CREATE TABLE statement of the Store's table as the
// first release made it; CreateTable adds the later columns.
func (s *Store) Schema() string {
	return "CREATE TABLE IF NOT EXISTS " + s.table + ` (
    uid           VARCHAR(128) NOT NULL PRIMARY KEY,
    username      VARCHAR(64)  NOT NULL UNIQUE,
    identity      VARCHAR(254) UNIQUE,
    name          VARCHAR(128) NOT NULL DEFAULT '',
    password_hash VARCHAR(255) NOT NULL DEFAULT '',
    status        VARCHAR(16)  NOT NULL,
    is_admin      BOOLEAN      NOT NULL DEFAULT FALSE,
    totp_secret   TEXT,
    backup_codes  TEXT,
    version       BIGINT       NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
)`
}

// laterColumns are the columns added after the first release, in the
// order of Migrations (00002: the account requirements).
var laterColumns = []struct{ name, def string }{
	{"mfa_required", "BOOLEAN NOT NULL DEFAULT FALSE"},
	{"password_must_change", "BOOLEAN NOT NULL DEFAULT FALSE"},
}

// CreateTable creates the table if it does not exist, with the first
// release's schema (Schema), then adds each later column it lacks: the
// table it leaves has the current columns. It suits tests and tables
// under another name (WithTable). A service's table under the default
// name is better made and kept by Migrations (package migrate), which
// record their version: a table CreateTable made with the first
// release is adopted by them, but one it made since has the later
// columns already, and their migrations would fail to add them again.
func (s *Store) CreateTable(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.Schema()); err != nil {
		return fmt.Errorf("sqlaccounts: creating table %s: %w", s.table, err)
	}
	for _, c := range laterColumns {
		// A query naming the column fails when it is missing: portable
		// across the three dialects, unlike information_schema.
		if _, err := s.db.ExecContext(ctx, "SELECT "+c.name+" FROM "+s.table+" WHERE 1 = 0"); err == nil {
			continue
		}
		if _, err := s.db.ExecContext(ctx, "ALTER TABLE "+s.table+" ADD COLUMN "+c.name+" "+c.def); err != nil {
			return fmt.Errorf("sqlaccounts: adding column %s to %s: %w", c.name, s.table, err)
		}
	}
	return nil
}

type row struct {
	UID          string         `db:"uid"`
	Username     string         `db:"username"`
	Identity     sql.NullString `db:"identity"`
	Name         string         `db:"name"`
	PasswordHash string         `db:"password_hash"`
	Status       string         `db:"status"`
	Admin        bool           `db:"is_admin"`
	TOTPSecret   sql.NullString `db:"totp_secret"`
	BackupCodes  sql.NullString `db:"backup_codes"`
	Version      int64          `db:"version"`
	Created      int64          `db:"created_at"`
	Updated      int64          `db:"updated_at"`
	MFARequired  bool           `db:"mfa_required"`
	MustChange   bool           `db:"password_must_change"`
}

func (r *row) account() (login.Account, error) {
	a := login.Account{
		UID: r.UID, Username: r.Username, Identity: r.Identity.String, Name: r.Name,
		PasswordHash: r.PasswordHash, Status: login.Status(r.Status), Admin: r.Admin,
		TOTPSecret: r.TOTPSecret.String, Version: r.Version, MFARequired: r.MFARequired, PasswordMustChange: r.MustChange,
		Created: time.UnixMilli(r.Created).UTC(), Updated: time.UnixMilli(r.Updated).UTC(),
	}
	if r.BackupCodes.Valid && r.BackupCodes.String != "" {
		if err := json.Unmarshal([]byte(r.BackupCodes.String), &a.BackupCodes); err != nil {
			return login.Account{}, fmt.Errorf("sqlaccounts: backup codes of %s: %w", r.UID, err)
		}
	}
	return a, nil
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func codes(a login.Account) (sql.NullString, error) {
	if len(a.BackupCodes) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(a.BackupCodes)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func (s *Store) one(ctx context.Context, query, arg string) (login.Account, bool, error) {
	var r row
	err := s.db.GetContext(ctx, &r, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return login.Account{}, false, nil
	}
	if err != nil {
		return login.Account{}, false, fmt.Errorf("sqlaccounts: %w", err)
	}
	a, err := r.account()
	return a, err == nil, err
}

// Lookup implements login.AccountStore.
func (s *Store) Lookup(ctx context.Context, login string) (login.Account, bool, error) {
	if strings.Contains(login, "@") {
		return s.one(ctx, s.q.byIdentity, login)
	}
	return s.one(ctx, s.q.byUsername, login)
}

// Get implements login.AccountStore.
func (s *Store) Get(ctx context.Context, uid string) (login.Account, bool, error) {
	return s.one(ctx, s.q.byUID, uid)
}

// taken reports whether the uid, username or identity of a is in use, to
// tell a uniqueness violation from another error without parsing driver
// errors.
func (s *Store) taken(ctx context.Context, query string, a login.Account, cause error) error {
	var n int
	if err := s.db.GetContext(ctx, &n, query, a.UID, a.Username, nullable(a.Identity)); err == nil && n > 0 {
		return fmt.Errorf("%w: %w", login.ErrAccountExists, cause)
	}
	return fmt.Errorf("sqlaccounts: %w", cause)
}

// Create implements login.AccountStore.
func (s *Store) Create(ctx context.Context, a login.Account) error {
	bc, err := codes(a)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.q.insert, a.UID, a.Username, nullable(a.Identity), a.Name, a.PasswordHash,
		string(a.Status), a.Admin, nullable(a.TOTPSecret), bc, 1, a.Created.UnixMilli(), a.Updated.UnixMilli(),
		a.MFARequired, a.PasswordMustChange)
	if err != nil {
		return s.taken(ctx, s.q.exists, a, err)
	}
	return nil
}

// Update implements login.AccountStore.
func (s *Store) Update(ctx context.Context, a login.Account) (bool, error) {
	bc, err := codes(a)
	if err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, s.q.update, a.Username, nullable(a.Identity), a.Name, a.PasswordHash,
		string(a.Status), a.Admin, nullable(a.TOTPSecret), bc, a.MFARequired, a.PasswordMustChange, a.Updated.UnixMilli(), a.UID, a.Version)
	if err != nil {
		// Another account may hold the new username or identity.
		return false, s.taken(ctx, s.q.conflict, a, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlaccounts: %w", err)
	}
	return n == 1, nil
}

// Delete implements login.AccountStore.
func (s *Store) Delete(ctx context.Context, uid string) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q.del, uid)
	if err != nil {
		return false, fmt.Errorf("sqlaccounts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlaccounts: %w", err)
	}
	return n == 1, nil
}
