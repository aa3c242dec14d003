package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/apikey/sqlstore"
	"github.com/apicrud-go/apicrud/apikey/storetest"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func newStore(t *testing.T, db *sqlx.DB) *sqlstore.Store {
	t.Helper()
	if testenv.Dialect(db) == testenv.MySQL {
		// testenv creates MySQL databases with a binary collation; a
		// server's default (utf8mb4_general_ci: case-insensitive, trailing
		// spaces ignored) is what CreateTable must withstand.
		_, err := db.ExecContext(t.Context(), "ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
		require.NoError(t, err)
	}
	s, err := sqlstore.New(db, sqlstore.WithTable("keys_"+testenv.RandomID(4)))
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(t.Context()))
	return s
}

func TestConformance(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		storetest.Run(t, func(t *testing.T) apikey.Store { return newStore(t, db) })
	})
}

// TestVerify runs the whole API-key life cycle on each database.
func TestVerify(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		keys, err := apikey.New(apikey.WithStore(newStore(t, db)))
		require.NoError(t, err)
		t.Cleanup(func() { _ = keys.Close(context.Background()) })
		k, rec, err := keys.Create(ctx, "u-1", "ci", []string{"readonly"}, time.Now().Add(time.Hour))
		require.NoError(t, err)
		c, err := keys.Verify(ctx, k.Reveal())
		require.NoError(t, err)
		require.Equal(t, "u-1", c.UID)
		require.Equal(t, rec.Prefix, c.KeyID)
		got, err := keys.Get(ctx, rec.Prefix)
		require.NoError(t, err)
		require.False(t, got.LastUsed.IsZero(), "first use recorded")
		require.ErrorIs(t, keys.Revoke(ctx, rec.Prefix), nil)
		_, err = keys.Verify(ctx, k.Reveal())
		require.ErrorIs(t, err, apikey.ErrRevoked)
	})
}

func TestOptions(t *testing.T) {
	_, err := sqlstore.New(nil)
	require.ErrorIs(t, err, apikey.ErrOption)
	_, err = sqlstore.New(testenv.SQLiteDB(t), sqlstore.WithTable("bad name; DROP"))
	require.ErrorIs(t, err, apikey.ErrOption)
}

func TestCorruptHash(t *testing.T) {
	db := testenv.SQLiteDB(t)
	s, err := sqlstore.New(db)
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(t.Context()))
	_, err = db.Exec(`INSERT INTO apicrud_apikeys VALUES ('corrupt00001', 'zz', 'u', 'n', '', 'active', 1, 0, 0)`)
	require.NoError(t, err)
	_, err = s.Get(t.Context(), "corrupt00001")
	require.Error(t, err)
	require.NotErrorIs(t, err, apikey.ErrNotFound)
}
