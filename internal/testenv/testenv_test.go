package testenv

import (
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

func TestRedisPrefixIsolatedAndCleaned(t *testing.T) {
	rdb := Redis(t)
	var prefix string
	t.Run("writes", func(t *testing.T) {
		prefix = Prefix(t, rdb)
		for _, k := range []string{"a", "b", "{tag}c"} {
			require.NoError(t, rdb.Set(t.Context(), prefix+k, 1, 0).Err())
		}
	})
	n, err := rdb.Exists(t.Context(), prefix+"a", prefix+"b", prefix+"{tag}c").Result()
	require.NoError(t, err)
	require.Equal(t, int64(0), n, "cleanup deleted the subtest's keys")
}

func TestEachDB(t *testing.T) {
	EachDB(t, func(t *testing.T, db *sqlx.DB) {
		_, err := db.ExecContext(t.Context(), "CREATE TABLE item (id VARCHAR(20) PRIMARY KEY, n INTEGER)")
		require.NoError(t, err)
		_, err = db.ExecContext(t.Context(), db.Rebind("INSERT INTO item (id, n) VALUES (?, ?)"), "x", 1)
		require.NoError(t, err)
		var n int
		require.NoError(t, db.GetContext(t.Context(), &n, db.Rebind("SELECT n FROM item WHERE id = ?"), "x"))
		require.Equal(t, 1, n)
		require.Contains(t, []string{SQLite, Postgres, MySQL}, Dialect(db))
	})
}

func TestEscapeGlob(t *testing.T) {
	require.Equal(t, `a\*b\?\[c\]\\`, escapeGlob(`a*b?[c]\`))
}
