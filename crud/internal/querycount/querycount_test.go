package querycount_test

import (
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud/internal/querycount"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestCounts(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, base *sqlx.DB) {
		db, c := querycount.Open(t, base)
		ctx := t.Context()
		step := func(want int64, what string, fn func() error) {
			t.Helper()
			before := c.Count()
			require.NoError(t, fn(), what)
			require.Equal(t, want, c.Count()-before, what)
		}
		step(1, "DDL", func() error {
			_, err := db.ExecContext(ctx, "CREATE TABLE qc (id INTEGER PRIMARY KEY, v VARCHAR(8))")
			return err
		})
		step(1, "insert with arguments", func() error {
			_, err := db.ExecContext(ctx, db.Rebind("INSERT INTO qc (id, v) VALUES (?, ?)"), 1, "a")
			return err
		})
		var closed atomic.Int32
		c.OnRowsClose(func(string) { closed.Add(1) })
		step(1, "select with arguments", func() error {
			var v string
			return db.GetContext(ctx, &v, db.Rebind("SELECT v FROM qc WHERE id = ?"), 1)
		})
		require.Equal(t, int32(1), closed.Load(), "the rows-close hook ran")
		c.OnRowsClose(nil)
		step(2, "two statements in a transaction", func() error {
			tx, err := db.BeginTxx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, tx.Rebind("UPDATE qc SET v = ? WHERE id = ?"), "b", 1); err != nil {
				return err
			}
			var n int
			if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM qc"); err != nil {
				return err
			}
			return tx.Commit()
		})
		step(0, "a ping", func() error { return db.PingContext(ctx) })
		var v string
		require.NoError(t, base.Get(&v, "SELECT v FROM qc"))
		require.Equal(t, "b", v, "the counting pool writes the same database")
	})
}
