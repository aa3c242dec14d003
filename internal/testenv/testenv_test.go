package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestRedisPrefixIsolatedAndCleaned(t *testing.T) {
	EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		// Enough keys that, on a cluster, every master holds some.
		var names []string
		for i := range 30 {
			names = append(names, fmt.Sprintf("k%d", i))
		}
		names = append(names, "{tag}c")
		var prefix string
		t.Run("writes", func(t *testing.T) {
			prefix = Prefix(t, rdb)
			for _, k := range names {
				require.NoError(t, rdb.Set(t.Context(), prefix+k, 1, 0).Err())
			}
			keys, err := Keys(t.Context(), rdb, prefix)
			require.NoError(t, err)
			require.Len(t, keys, len(names), "Keys sees the keys of every master")
		})
		for _, k := range names {
			n, err := rdb.Exists(t.Context(), prefix+k).Result()
			require.NoError(t, err)
			require.Equal(t, int64(0), n, "cleanup deleted %s", k)
		}
	})
}

func TestClusterSpreadsKeys(t *testing.T) {
	rdb := RedisCluster(t)
	var masters atomic.Int32
	require.NoError(t, rdb.ForEachMaster(t.Context(), func(context.Context, *redis.Client) error {
		masters.Add(1)
		return nil
	}))
	require.GreaterOrEqual(t, int(masters.Load()), 3, "the test cluster has three masters")
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
