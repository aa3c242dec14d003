package crud

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

// expandFixture: alice's contact in her secret group g1, and bob's public
// contact in his secret group gb; alice's person record is public, bob's
// secret.
type expandFixture struct {
	*relationFixture
	g1, gb, ca, cb string
}

func newExpandFixture(t testing.TB, db *sqlx.DB) *expandFixture {
	t.Helper()
	fx := &expandFixture{relationFixture: newRelationFixture(t, db)}
	for _, p := range [][]string{{"u-alice", "Alice", "public"}, {"u-bob", "Bob", "secret"}} {
		_, err := db.Exec(db.Rebind("INSERT INTO person (id, uid, name, privacy) VALUES (?, ?, ?, ?)"), p[0], p[0], p[1], p[2])
		require.NoError(t, err)
	}
	fx.g1 = fx.group(t, alice, "G1", "secret")
	fx.gb = fx.group(t, bob, "GB", "secret")
	c, err := fx.contacts.Create(as(t.Context(), alice), &linked{contact: contact{Name: "ann"}})
	require.NoError(t, err)
	fx.ca = c.ID
	c, err = fx.contacts.Create(as(t.Context(), bob), &linked{contact: contact{Name: "bo", Privacy: "public"}})
	require.NoError(t, err)
	fx.cb = c.ID
	for id, list := range map[string]string{fx.ca: fx.g1, fx.cb: fx.gb} { // members only may post to a list
		_, err = db.Exec(db.Rebind("UPDATE contact SET list_id = ? WHERE id = ?"), list, id)
		require.NoError(t, err)
	}
	return fx
}

func str(v *string) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestExpand(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newExpandFixture(t, db)
		ctx := t.Context()

		// Alice reads her contact's owner and group, but not bob's
		// secret person record nor his secret group.
		page, err := fx.contacts.Find(as(ctx, alice), Query{Expand: []string{"owner", "grp"}, Sort: "name"})
		require.NoError(t, err)
		require.Len(t, page.Items, 2)
		require.Len(t, page.Expanded, 2)
		require.Equal(t, "Alice", str(page.Expanded[0]["owner"]))
		require.Equal(t, "G1", str(page.Expanded[0]["grp"]))
		require.Contains(t, page.Expanded[1], "owner")
		require.Nil(t, page.Expanded[1]["owner"], "bob's person record is secret")
		require.Nil(t, page.Expanded[1]["grp"], "bob's group is secret")

		// The admin reads every name.
		page, err = fx.contacts.Find(as(ctx, admin), Query{Expand: []string{"grp", "owner", "grp"}, Sort: "name"})
		require.NoError(t, err)
		require.Equal(t, "Bob", str(page.Expanded[1]["owner"]))
		require.Equal(t, "GB", str(page.Expanded[1]["grp"]))

		// Get, and a soft-deleted target.
		rec, ex, err := fx.contacts.GetExpanded(as(ctx, alice), fx.ca, "grp")
		require.NoError(t, err)
		require.Equal(t, "ann", rec.Name)
		require.Equal(t, Expanded{"grp": ptr("G1")}, ex)
		require.NoError(t, fx.groups.Delete(as(ctx, alice), false, fx.g1))
		_, ex, err = fx.contacts.GetExpanded(as(ctx, alice), fx.ca, "grp", "owner")
		require.NoError(t, err)
		require.Equal(t, Expanded{"grp": nil, "owner": ptr("Alice")}, ex)

		// The expansion filter does not widen what the caller reads.
		_, _, err = fx.contacts.GetExpanded(as(ctx, bob), fx.ca, "owner")
		require.ErrorIs(t, err, ErrNotFound)
		page, err = fx.contacts.Find(as(ctx, bob), Query{Expand: []string{"owner"}, Count: CountExact})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		require.EqualValues(t, 1, page.Count)
		require.Equal(t, "Bob", str(page.Expanded[0]["owner"]))

		// Unknown names list the known ones.
		_, err = fx.contacts.Find(as(ctx, alice), Query{Expand: []string{"owner", "secret"}})
		var fe *FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, "expand", fe.Field)
		require.Contains(t, fe.Reason, "allowed: grp, owner")
		_, _, err = fx.contacts.GetExpanded(as(ctx, alice), fx.ca, "")
		require.ErrorAs(t, err, &fe)
		_, _, err = fx.groups.GetExpanded(as(ctx, alice), fx.gb, "owner")
		require.ErrorAs(t, err, &fe)
		require.Contains(t, fe.Reason, "no expansions")
	})
}

func TestExpandHTTP(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newExpandFixture(t, db)
		s := newServer(t, func(mux *http.ServeMux) { fx.contacts.Routes(mux, "") })

		res := s.do("GET", "/contact/"+fx.ca+"?expand=owner,grp", "alice", nil)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		m := res.json(t)
		require.Equal(t, "Alice", m["owner"])
		require.Equal(t, "G1", m["grp"])
		require.Equal(t, "ann", m["name"])
		require.Equal(t, []any{}, m["groups"])

		res = s.do("GET", "/contact?expand=owner&actions=true&sort=name", "alice", nil)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		items := res.json(t)["items"].([]any)
		require.Len(t, items, 2)
		require.Equal(t, "Alice", items[0].(map[string]any)["owner"])
		require.Contains(t, items[0].(map[string]any), "rbac")
		require.Contains(t, items[1].(map[string]any), "owner")
		require.Nil(t, items[1].(map[string]any)["owner"])
		require.Equal(t, "r", items[1].(map[string]any)["rbac"])

		res = s.do("GET", "/contact?expand=grp&range="+url.QueryEscape("[0,9]"), "admin", nil)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		require.Contains(t, string(res.body), `"grp":"GB"`)

		for _, q := range []string{"expand=nope", "expand=owner,", "expand=owner%00", "expand=" + url.QueryEscape("owner) OR 1=1 --")} {
			for _, path := range []string{"/contact?" + q, "/contact/" + fx.ca + "?" + q} {
				res = s.do("GET", path, "alice", nil)
				require.Equal(t, http.StatusBadRequest, res.status, path)
				require.Equal(t, "expand", res.json(t)["field"])
				require.Contains(t, res.json(t)["detail"], "grp, owner")
			}
		}
	})
}

// TestExpandQueryCount counts the statements a list and a get send: the
// same for 2 records as for 40, with or without expansions (no query per
// record).
func TestExpandQueryCount(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		var n atomic.Int64
		cdb := countingDB(t, db, &n)
		fx := newExpandFixture(t, db)
		contacts, err := NewResource[linked](cdb, "contact", WithAuthorizer(testAuth{}),
			WithRelation(Relation{Field: "groups", Table: "contact_grp", Local: "contact_id", Foreign: "grp_id", Target: fx.groups}),
			WithExpansions(Expansion{Name: "owner", Field: "uid", Target: fx.people}, Expansion{Name: "grp", Field: "list_id", Target: fx.groups}))
		require.NoError(t, err)
		ctx := as(t.Context(), alice)
		count := func(fn func()) int64 {
			n.Store(0)
			fn()
			return n.Load()
		}
		list := func(expand ...string) int64 {
			return count(func() {
				_, err := contacts.Find(ctx, Query{Expand: expand})
				require.NoError(t, err)
			})
		}
		few, fewExp := list(), list("owner", "grp")
		for i := range 38 {
			_, err := fx.contacts.Create(ctx, &linked{contact: contact{Name: fmt.Sprint("c", i)}, Groups: []string{fx.g1}})
			require.NoError(t, err)
		}
		require.Equal(t, int64(2), few, "a page and its relation")
		require.Equal(t, few, fewExp, "expansions join in the page query")
		require.Equal(t, few, list(), "40 records cost what 2 did")
		require.Equal(t, few, list("owner", "grp"))
		require.Equal(t, int64(2), count(func() {
			_, ex, err := contacts.GetExpanded(ctx, fx.ca, "owner", "grp")
			require.NoError(t, err)
			require.Equal(t, "Alice", str(ex["owner"]))
		}), "a get: the record with its expansions, and its relation")
	})
}

// countingDB opens a second pool on the database of db whose connections
// count the queries they run in n.
func countingDB(t testing.TB, db *sqlx.DB, n *atomic.Int64) *sqlx.DB {
	t.Helper()
	var dsn string
	switch testenv.Dialect(db) {
	case testenv.SQLite:
		var file string
		require.NoError(t, db.Get(&file, "SELECT file FROM pragma_database_list WHERE name = 'main'"))
		dsn = "file:" + file + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
	case testenv.Postgres:
		var schema string
		require.NoError(t, db.Get(&schema, "SELECT current_schema()"))
		u, err := url.Parse(testenv.PostgresURL())
		require.NoError(t, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	case testenv.MySQL:
		var name string
		require.NoError(t, db.Get(&name, "SELECT DATABASE()"))
		cfg, err := mysql.ParseDSN(testenv.MySQLDSN())
		require.NoError(t, err)
		cfg.DBName, cfg.ParseTime, cfg.InterpolateParams = name, true, true
		dsn = cfg.FormatDSN()
	}
	c := sql.OpenDB(&countingConnector{d: db.Driver(), dsn: dsn, n: n})
	t.Cleanup(func() { _ = c.Close() })
	return sqlx.NewDb(c, db.DriverName())
}

type countingConnector struct {
	d   driver.Driver
	dsn string
	n   *atomic.Int64
}

func (c *countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: c.n}, nil
}

func (c *countingConnector) Driver() driver.Driver { return c.d }

// countingConn counts QueryContext calls; a driver that answers ErrSkip
// (a query it cannot run without preparing) is a test setup error.
type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
	if err == driver.ErrSkip {
		return nil, fmt.Errorf("countingConn: the driver would prepare %q", q)
	}
	return rows, err
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) CheckNamedValue(v *driver.NamedValue) error {
	if nc, ok := c.Conn.(driver.NamedValueChecker); ok {
		return nc.CheckNamedValue(v)
	}
	return driver.ErrSkip
}
