package sqlstore_test

import (
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/migrate"
	"github.com/apicrud-go/apicrud/session/login/passkey"
	"github.com/apicrud-go/apicrud/session/login/passkey/sqlstore"
	"github.com/apicrud-go/apicrud/session/login/passkey/storetest"
)

func newStore(t *testing.T, db *sqlx.DB) *sqlstore.Store {
	t.Helper()
	if testenv.Dialect(db) == testenv.MySQL {
		// A server's default collation (case-insensitive, trailing spaces
		// ignored) is what the schema must withstand.
		_, err := db.ExecContext(t.Context(), "ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
		require.NoError(t, err)
	}
	s, err := sqlstore.New(db, sqlstore.WithTable("pk_"+testenv.RandomID(4)))
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(t.Context()))
	require.NoError(t, s.CreateTable(t.Context()), "CreateTable is idempotent")
	return s
}

func TestConformance(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		storetest.Run(t, func(t *testing.T) passkey.Store { return newStore(t, db) })
	})
}

// The migrations create the default table, and the Store works on it.
func TestMigrations(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		set := migrate.Set{Name: "passkeys", FS: sqlstore.Migrations()}
		require.NoError(t, migrate.Up(t.Context(), db.DB, testenv.Dialect(db), set))
		v, err := migrate.Version(t.Context(), db.DB, testenv.Dialect(db), set)
		require.NoError(t, err)
		require.Equal(t, int64(1), v)
		s, err := sqlstore.New(db)
		require.NoError(t, err)
		require.NoError(t, s.CreateTable(t.Context()), "CreateTable adopts the migrated table")
		require.NoError(t, s.Add(t.Context(), passkey.Credential{ID: []byte("id"), UID: "u-1", Name: "n", PublicKey: []byte("k")}))
		got, err := s.Get(t.Context(), "u-1", []byte("id"))
		require.NoError(t, err)
		require.Equal(t, []byte("k"), got.PublicKey)
	})
}

func TestOptions(t *testing.T) {
	_, err := sqlstore.New(nil)
	require.ErrorIs(t, err, passkey.ErrOption)
	_, err = sqlstore.New(testenv.SQLiteDB(t), sqlstore.WithTable("bad name; DROP"))
	require.ErrorIs(t, err, passkey.ErrOption)
}

// A corrupt row is an error, never a passkey or "not found".
func TestCorruptRow(t *testing.T) {
	db := testenv.SQLiteDB(t)
	s, err := sqlstore.New(db)
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(t.Context()))
	_, err = db.Exec(`INSERT INTO apicrud_passkeys VALUES ('aWQ', 'u-1', 'n', '!!', 0, '{}', 1, 0)`)
	require.NoError(t, err)
	_, err = s.Get(t.Context(), "u-1", []byte("id"))
	require.Error(t, err)
	require.NotErrorIs(t, err, passkey.ErrNotFound)
	_, err = s.List(t.Context(), "u-1")
	require.Error(t, err)
}
