package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// DefaultTable is the table name unless WithTable changes it.
const DefaultTable = "apicrud_passkeys"

// Schema is the CREATE statements for DefaultTable on PostgreSQL and
// SQLite, whose text comparisons are byte for byte. Ids and public keys
// are stored in base64url.
const Schema = `CREATE TABLE IF NOT EXISTS apicrud_passkeys (
    cred_id    VARCHAR(1366) NOT NULL PRIMARY KEY,
    uid        VARCHAR(128)  NOT NULL,
    name       VARCHAR(64)   NOT NULL,
    public_key TEXT          NOT NULL,
    sign_count BIGINT        NOT NULL,
    data       TEXT          NOT NULL,
    created_at BIGINT        NOT NULL,
    last_used  BIGINT        NOT NULL
);
CREATE INDEX IF NOT EXISTS apicrud_passkeys_uid ON apicrud_passkeys (uid)`

// SchemaMySQL is the CREATE TABLE statement for DefaultTable on MySQL and
// MariaDB: the compared columns are binary strings, since the servers'
// text collations ignore case or trailing spaces.
const SchemaMySQL = `CREATE TABLE IF NOT EXISTS apicrud_passkeys (
    cred_id    VARBINARY(1366) NOT NULL PRIMARY KEY,
    uid        VARBINARY(512)  NOT NULL,
    name       VARBINARY(256)  NOT NULL,
    public_key BLOB            NOT NULL,
    sign_count BIGINT          NOT NULL,
    data       BLOB            NOT NULL,
    created_at BIGINT          NOT NULL,
    last_used  BIGINT          NOT NULL,
    INDEX apicrud_passkeys_uid (uid)
)`

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,50}$`)

// Store is the sqlx passkey.Store. It is safe for concurrent use. Use
// New: the zero value is not usable. Every method is one statement but
// Add (an INSERT, and on failure a SELECT that tells a taken id from an
// error), Remove and Rename (a SELECT when MySQL reports no changed row).
type Store struct {
	db    *sqlx.DB
	table string
	q     queries
}

var _ passkey.Store = (*Store)(nil)

type queries struct {
	insert, get, list, rename, del, delAll, use, useZero, exists string
}

// Option configures New.
type Option func(*Store) error

// WithTable sets the table name (default DefaultTable): lower-case
// letters, digits and underscores, starting with a letter or underscore,
// at most 51 bytes.
func WithTable(name string) Option {
	return func(s *Store) error {
		if !tableName.MatchString(name) {
			return fmt.Errorf("%w: WithTable: invalid table name %q", passkey.ErrOption, name)
		}
		s.table = name
		return nil
	}
}

// New returns a Store on db. It does not create the table (CreateTable,
// or Migrations) and never closes db.
func New(db *sqlx.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: New: nil db", passkey.ErrOption)
	}
	s := &Store{db: db, table: DefaultTable}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	const cols = "cred_id, uid, name, public_key, sign_count, data, created_at, last_used"
	t := s.table
	s.q = queries{
		insert:  db.Rebind("INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
		get:     db.Rebind("SELECT " + cols + " FROM " + t + " WHERE cred_id = ? AND uid = ?"),
		list:    db.Rebind("SELECT " + cols + " FROM " + t + " WHERE uid = ? ORDER BY created_at, cred_id"),
		rename:  db.Rebind("UPDATE " + t + " SET name = ? WHERE cred_id = ? AND uid = ?"),
		del:     db.Rebind("DELETE FROM " + t + " WHERE cred_id = ? AND uid = ?"),
		delAll:  db.Rebind("DELETE FROM " + t + " WHERE uid = ?"),
		use:     db.Rebind("UPDATE " + t + " SET sign_count = ?, last_used = ? WHERE cred_id = ? AND uid = ? AND sign_count < ?"),
		useZero: db.Rebind("UPDATE " + t + " SET last_used = ? WHERE cred_id = ? AND uid = ? AND sign_count = 0"),
		exists:  db.Rebind("SELECT sign_count FROM " + t + " WHERE cred_id = ? AND uid = ?"),
	}
	return s, nil
}

// CreateStatement returns the statements CreateTable runs: SchemaMySQL
// for the sqlx driver name "mysql", Schema otherwise, with the table
// name of WithTable.
func (s *Store) CreateStatement() string {
	schema := Schema
	if s.db.DriverName() == "mysql" {
		schema = SchemaMySQL
	}
	return strings.ReplaceAll(schema, DefaultTable, s.table)
}

// CreateTable creates the table and its index if they do not exist.
func (s *Store) CreateTable(ctx context.Context) error {
	for stmt := range strings.SplitSeq(s.CreateStatement(), ";\n") {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("passkey/sqlstore: create table: %w", err)
		}
	}
	return nil
}

// details are the columns kept as JSON in data.
type details struct {
	AAGUID     []byte   `json:"a,omitempty"`
	Transports []string `json:"t,omitempty"`
	BE         bool     `json:"be,omitempty"`
	BS         bool     `json:"bs,omitempty"`
	UV         bool     `json:"uv,omitempty"`
	Format     string   `json:"f,omitempty"`
}

type row struct {
	ID        string `db:"cred_id"`
	UID       string `db:"uid"`
	Name      string `db:"name"`
	PublicKey string `db:"public_key"`
	SignCount int64  `db:"sign_count"`
	Data      string `db:"data"`
	Created   int64  `db:"created_at"`
	LastUsed  int64  `db:"last_used"`
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

var b64 = base64.RawURLEncoding

func (r *row) credential() (passkey.Credential, error) {
	id, err1 := b64.DecodeString(r.ID)
	pk, err2 := b64.DecodeString(r.PublicKey)
	var d details
	err3 := json.Unmarshal([]byte(r.Data), &d)
	if err := errors.Join(err1, err2, err3); err != nil || r.SignCount < 0 || r.SignCount > 1<<32-1 {
		return passkey.Credential{}, fmt.Errorf("passkey/sqlstore: passkey %s: corrupt row", r.ID)
	}
	return passkey.Credential{
		ID: id, UID: r.UID, Name: r.Name, PublicKey: pk, SignCount: uint32(r.SignCount), AAGUID: d.AAGUID,
		Transports: d.Transports, BackupEligible: d.BE, BackupState: d.BS, UserVerified: d.UV, AttestationFormat: d.Format,
		Created: fromMillis(r.Created), LastUsed: fromMillis(r.LastUsed),
	}, nil
}

// Add implements passkey.Store.
func (s *Store) Add(ctx context.Context, c passkey.Credential) error {
	d, err := json.Marshal(details{AAGUID: c.AAGUID, Transports: c.Transports, BE: c.BackupEligible, BS: c.BackupState,
		UV: c.UserVerified, Format: c.AttestationFormat})
	if err != nil {
		return fmt.Errorf("passkey/sqlstore: add: %w", err)
	}
	id := passkey.EncodeID(c.ID)
	_, err = s.db.ExecContext(ctx, s.q.insert, id, c.UID, c.Name, b64.EncodeToString(c.PublicKey), int64(c.SignCount),
		string(d), millis(c.Created), millis(c.LastUsed))
	if err == nil {
		return nil
	}
	var n int
	if cerr := s.db.QueryRowxContext(ctx, s.db.Rebind("SELECT COUNT(*) FROM "+s.table+" WHERE cred_id = ?"), id).Scan(&n); cerr == nil && n > 0 {
		return passkey.ErrExists
	}
	return fmt.Errorf("passkey/sqlstore: add: %w", err)
}

// Get implements passkey.Store.
func (s *Store) Get(ctx context.Context, uid string, id []byte) (passkey.Credential, error) {
	var r row
	if err := s.db.QueryRowxContext(ctx, s.q.get, passkey.EncodeID(id), uid).StructScan(&r); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return passkey.Credential{}, passkey.ErrNotFound
		}
		return passkey.Credential{}, fmt.Errorf("passkey/sqlstore: get: %w", err)
	}
	return r.credential()
}

// List implements passkey.Store.
func (s *Store) List(ctx context.Context, uid string) ([]passkey.Credential, error) {
	var rows []row
	if err := s.db.SelectContext(ctx, &rows, s.q.list, uid); err != nil {
		return nil, fmt.Errorf("passkey/sqlstore: list: %w", err)
	}
	out := make([]passkey.Credential, 0, len(rows))
	for i := range rows {
		c, err := rows[i].credential()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	passkey.SortCredentials(out) // byte order of ids, whatever the collation
	return out, nil
}

// changed runs an UPDATE or DELETE of passkey id of uid and reports
// whether the passkey exists (MySQL counts changed rows only, so an
// unchanged row is looked up).
func (s *Store) changed(ctx context.Context, what, uid, id, q string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("passkey/sqlstore: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return true, nil
	}
	var count int64
	err = s.db.QueryRowxContext(ctx, s.q.exists, id, uid).Scan(&count)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, passkey.ErrNotFound
	case err != nil:
		return false, fmt.Errorf("passkey/sqlstore: %s: %w", what, err)
	}
	return false, nil
}

// Rename implements passkey.Store.
func (s *Store) Rename(ctx context.Context, uid string, raw []byte, name string) error {
	id := passkey.EncodeID(raw)
	_, err := s.changed(ctx, "rename", uid, id, s.q.rename, name, id, uid)
	return err
}

// Remove implements passkey.Store.
func (s *Store) Remove(ctx context.Context, uid string, raw []byte) error {
	id := passkey.EncodeID(raw)
	_, err := s.changed(ctx, "remove", uid, id, s.q.del, id, uid)
	return err
}

// RemoveAll implements passkey.Store.
func (s *Store) RemoveAll(ctx context.Context, uid string) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q.delAll, uid)
	if err != nil {
		return 0, fmt.Errorf("passkey/sqlstore: remove all: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("passkey/sqlstore: remove all: %w", err)
	}
	return int(n), nil
}

// Use implements passkey.Store: one conditional UPDATE, so that of
// concurrent logins with one counter value one wins.
func (s *Store) Use(ctx context.Context, uid string, raw []byte, count uint32, at time.Time) (bool, error) {
	id := passkey.EncodeID(raw)
	var (
		ok  bool
		err error
	)
	if count == 0 {
		ok, err = s.changed(ctx, "use", uid, id, s.q.useZero, at.UnixMilli(), id, uid)
	} else {
		ok, err = s.changed(ctx, "use", uid, id, s.q.use, int64(count), at.UnixMilli(), id, uid, int64(count))
	}
	if err != nil || ok || count != 0 {
		return ok, err
	}
	// MySQL reports no changed row when a counterless login stores the
	// same values again: the row matched if its counter is 0 too.
	var stored int64
	if err := s.db.QueryRowxContext(ctx, s.q.exists, id, uid).Scan(&stored); err != nil {
		return false, fmt.Errorf("passkey/sqlstore: use: %w", err)
	}
	return stored == 0, nil
}
