package migrate_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
	apikeysql "github.com/apicrud-go/apicrud/apikey/sqlstore"
	"github.com/apicrud-go/apicrud/grants"
	grantsql "github.com/apicrud-go/apicrud/grants/sqlstore"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/migrate"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/sqlaccounts"
)

// sets are the library's migration sets.
func sets() []migrate.Set {
	return []migrate.Set{
		{Name: "accounts", FS: sqlaccounts.Migrations()},
		{Name: "apikeys", FS: apikeysql.Migrations()},
		{Name: "grants", FS: grantsql.Migrations()},
	}
}

// stores are the library's SQL stores on one database.
type stores struct {
	accounts *sqlaccounts.Store
	keys     *apikeysql.Store
	grants   *grantsql.Store
}

func newStores(t *testing.T, db *sqlx.DB) stores {
	t.Helper()
	return stores{testenv.Must(sqlaccounts.New(db)), testenv.Must(apikeysql.New(db)), testenv.Must(grantsql.New(db))}
}

// write stores one row in each table.
func (s stores) write(t *testing.T, ctx context.Context, uid string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	require.NoError(t, s.accounts.Create(ctx, login.Account{UID: uid, Username: uid, Identity: uid + "@example.com",
		Name: "Ann", PasswordHash: "$argon2id$x", Status: login.StatusActive, Version: 1, Created: now, Updated: now}))
	require.NoError(t, s.keys.Create(ctx, apikey.Record{Prefix: "p" + uid, UID: uid, Name: "ci", Scopes: []string{"read"},
		Status: apikey.StatusActive, Created: now}))
	require.NoError(t, s.grants.Put(ctx, grants.Override{UID: uid, Name: "contacts", Value: "7"}))
}

// read checks the row write stored in each table.
func (s stores) read(t *testing.T, ctx context.Context, uid string) {
	t.Helper()
	a, ok, err := s.accounts.Get(ctx, uid)
	require.NoError(t, err)
	require.True(t, ok, "account %s lost", uid)
	require.Equal(t, uid+"@example.com", a.Identity)
	k, err := s.keys.Get(ctx, "p"+uid)
	require.NoError(t, err)
	require.Equal(t, []string{"read"}, k.Scopes)
	o, err := s.grants.Overrides(ctx, uid)
	require.NoError(t, err)
	require.Len(t, o, 1)
	require.Equal(t, "7", o[0].Value)
}

// latest are the versions of the sets once migrated.
var latest = map[string]int64{"accounts": 2, "apikeys": 1, "grants": 1}

// requireVersions checks that every set is at version 0 (none applied) or,
// with migrated, at its latest version.
func requireVersions(t *testing.T, ctx context.Context, db *sqlx.DB, migrated bool) {
	t.Helper()
	for _, s := range sets() {
		v, err := migrate.Version(ctx, db.DB, testenv.Dialect(db), s)
		require.NoError(t, err)
		want := int64(0)
		if migrated {
			want = latest[s.Name]
		}
		require.Equal(t, want, v, "set %s", s.Name)
	}
}

// TestUpFromEmpty migrates an empty database on every dialect; the stores
// then work, and a second Up changes nothing.
func TestUpFromEmpty(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		requireVersions(t, ctx, db, false)
		require.NoError(t, migrate.Up(ctx, db.DB, testenv.Dialect(db), sets()...))
		requireVersions(t, ctx, db, true)
		s := newStores(t, db)
		s.write(t, ctx, "u-1")
		require.NoError(t, migrate.Up(ctx, db.DB, testenv.Dialect(db), sets()...))
		s.read(t, ctx, "u-1")
		requireVersions(t, ctx, db, true)
	})
}

// TestUpFromCreateTable migrates a database whose tables the stores'
// CreateTable made in the release before migrations (the accounts table
// as its Schema, the first release's, with a row written then), with rows
// in them: every row is kept and the later migrations apply.
func TestUpFromCreateTable(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		s := newStores(t, db)
		_, err := db.ExecContext(ctx, s.accounts.Schema())
		require.NoError(t, err)
		require.NoError(t, s.keys.CreateTable(ctx))
		require.NoError(t, s.grants.CreateTable(ctx))
		_, err = db.ExecContext(ctx, db.Rebind(`INSERT INTO apicrud_accounts (uid, username, identity, name, password_hash, status,
			is_admin, version, created_at, updated_at) VALUES (?, ?, ?, 'Ann', '$argon2id$x', 'active', FALSE, 1, 0, 0)`), "u-old", "u-old", "u-old@example.com")
		require.NoError(t, err)
		require.NoError(t, s.keys.Create(ctx, apikey.Record{Prefix: "pu-old", UID: "u-old", Name: "ci", Scopes: []string{"read"},
			Status: apikey.StatusActive, Created: time.Now().UTC().Truncate(time.Millisecond)}))
		require.NoError(t, s.grants.Put(ctx, grants.Override{UID: "u-old", Name: "contacts", Value: "7"}))
		require.NoError(t, migrate.Up(ctx, db.DB, testenv.Dialect(db), sets()...))
		requireVersions(t, ctx, db, true)
		s.read(t, ctx, "u-old")
		s.write(t, ctx, "u-new")
		s.read(t, ctx, "u-new")
	})
}

// TestLaterMigration adds a migration to a set that is already applied:
// Up applies only the new one, on rows already there.
func TestLaterMigration(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		d := testenv.Dialect(db)
		v1 := fstest.MapFS{d + "/00001_t.sql": {Data: []byte("-- +goose Up\nCREATE TABLE mig_t (id VARCHAR(16) PRIMARY KEY);\n-- +goose Down\nDROP TABLE mig_t;\n")}}
		set := migrate.Set{Name: "t", FS: v1}
		require.NoError(t, migrate.Up(ctx, db.DB, d, set))
		_, err := db.ExecContext(ctx, "INSERT INTO mig_t (id) VALUES ('a')")
		require.NoError(t, err)
		v2 := fstest.MapFS{d + "/00001_t.sql": v1[d+"/00001_t.sql"],
			d + "/00002_t.sql": {Data: []byte("-- +goose Up\nALTER TABLE mig_t ADD COLUMN note VARCHAR(16) NOT NULL DEFAULT 'kept';\n-- +goose Down\nSELECT 1;\n")}}
		set.FS = v2
		require.NoError(t, migrate.Up(ctx, db.DB, d, set))
		var note string
		require.NoError(t, db.GetContext(ctx, &note, "SELECT note FROM mig_t WHERE id = 'a'"))
		require.Equal(t, "kept", note)
		v, err := migrate.Version(ctx, db.DB, d, set)
		require.NoError(t, err)
		require.Equal(t, int64(2), v)

		p, err := migrate.NewProvider(db.DB, d, set)
		require.NoError(t, err)
		_, err = p.DownTo(ctx, 0)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, "SELECT 1 FROM mig_t")
		require.Error(t, err, "Down left the table")
	})
}

func TestConfigErrors(t *testing.T) {
	db := testenv.SQLiteDB(t)
	ok := migrate.Set{Name: "accounts", FS: sqlaccounts.Migrations()}
	for _, tc := range []struct {
		name    string
		dialect string
		set     migrate.Set
	}{
		{"unknown dialect", "oracle", ok},
		{"empty name", migrate.SQLite, migrate.Set{FS: ok.FS}},
		{"upper-case name", migrate.SQLite, migrate.Set{Name: "Accounts", FS: ok.FS}},
		{"name with a quote", migrate.SQLite, migrate.Set{Name: "a'; DROP TABLE x; --", FS: ok.FS}},
		{"nil FS", migrate.SQLite, migrate.Set{Name: "x"}},
		{"no files for the dialect", migrate.SQLite, migrate.Set{Name: "x", FS: fstest.MapFS{"postgres/00001_x.sql": {}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, migrate.Up(t.Context(), db.DB, tc.dialect, tc.set), migrate.ErrConfig)
		})
	}
	_, err := migrate.NewProvider(nil, migrate.SQLite, ok)
	require.ErrorIs(t, err, migrate.ErrConfig)
}
