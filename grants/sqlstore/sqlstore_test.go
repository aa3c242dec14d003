package sqlstore_test

import (
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/grants"
	grantssql "github.com/apicrud-go/apicrud/grants/sqlstore"
	"github.com/apicrud-go/apicrud/grants/storetest"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestStore(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		n := 0
		storetest.Run(t, func(t *testing.T) grants.Store {
			n++ // one table per case, in the test's fresh database
			s, err := grantssql.New(db, grantssql.WithTable("grants_"+string(rune('a'+n))))
			require.NoError(t, err)
			require.NoError(t, s.CreateTable(t.Context()))
			return s
		})
	})
}

// Rows that are disabled, or written by another program with text
// timestamps, are read as the schema says.
func TestRowsWrittenElsewhere(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		s, err := grantssql.New(db)
		require.NoError(t, err)
		require.NoError(t, s.CreateTable(ctx))
		require.NoError(t, s.CreateTable(ctx), "CreateTable is idempotent")
		ins := db.Rebind("INSERT INTO grants (id, name, value, uid, expires, status) VALUES (?, ?, ?, ?, ?, ?)")
		future := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		_, err = db.ExecContext(ctx, ins, "x-1", "lists", "20", "u-1", nil, "active")
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, ins, "x-2", "albums", "5", "u-1", nil, "disabled")
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, ins, "x-3", "ratelimit", "0x20", "u-1", future, "active")
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, ins, "x-4", "apikeys", "9", "u-1", time.Now().Add(-time.Hour).UTC(), "active")
		require.NoError(t, err)

		got, err := s.Overrides(ctx, "u-1")
		require.NoError(t, err)
		byName := map[string]grants.Override{}
		for _, o := range got {
			byName[o.Name] = o
		}
		require.Len(t, byName, 2)
		require.Equal(t, "20", byName["lists"].Value)
		require.True(t, future.Equal(byName["ratelimit"].Expires), "want %v, got %v", future, byName["ratelimit"].Expires)

		// Put re-activates a disabled row.
		require.NoError(t, s.Put(ctx, grants.Override{UID: "u-1", Name: "albums", Value: "7"}))
		got, err = s.Overrides(ctx, "u-1")
		require.NoError(t, err)
		require.Len(t, got, 3)
	})
}

func TestNewRejects(t *testing.T) {
	db := testenv.SQLiteDB(t)
	for _, name := range []string{"", "Grants", "1grants", "grants;drop", "g-x", "a b"} {
		t.Run(name, func(t *testing.T) {
			_, err := grantssql.New(db, grantssql.WithTable(name))
			require.ErrorIs(t, err, grants.ErrConfig)
		})
	}
	_, err := grantssql.New(nil)
	require.ErrorIs(t, err, grants.ErrConfig)
	_, err = grantssql.New(sqlx.NewDb(db.DB, "oracle"))
	require.ErrorIs(t, err, grants.ErrConfig)
}

// Grants on SQL with the memory cache: the full read-through path.
func TestGrantsOnSQL(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		s, err := grantssql.New(db)
		require.NoError(t, err)
		require.NoError(t, s.CreateTable(ctx))
		d, err := grants.ParseDefaults([]byte("lists: 12\nratelimit: 500\n"))
		require.NoError(t, err)
		g, err := grants.New(d, grants.WithStore(s))
		require.NoError(t, err)
		t.Cleanup(func() { _ = g.Close(ctx) })
		require.NoError(t, g.Set(ctx, "u-1", "lists", "0o20", time.Time{}))
		n, err := g.Limit(ctx, "lists", "u-1")
		require.NoError(t, err)
		require.Equal(t, int64(16), n)
		list, err := g.List(ctx, "u-1")
		require.NoError(t, err)
		require.Equal(t, []string{"0o20", "500"}, []string{list[0].Value.String(), list[1].Value.String()})
	})
}
