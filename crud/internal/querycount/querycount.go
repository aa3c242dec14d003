// Package querycount lets crud's tests count the SQL statements a code path
// sends to a real database. Open returns a second connection pool on the
// same database as a pool from internal/testenv, whose connections wrap the
// real driver's: every statement executed (Query or Exec, on a connection
// or a prepared statement, inside a transaction or not) is counted. BEGIN,
// COMMIT, ROLLBACK, PREPARE and pings are not statements here.
//
// It is a test helper: it calls t.Fatal and registers t.Cleanup.
package querycount

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

// Counter counts the statements of the pool Open returned. It is safe for
// concurrent use.
type Counter struct {
	n atomic.Int64

	mu      sync.Mutex // guards onClose
	onClose func(query string)
}

// Count returns the number of statements executed so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// OnRowsClose sets fn to run when the rows of a query are closed, after
// they were read and before the driver releases them (nil: none). A test
// uses it to hold a reader between reading a row and using it.
func (c *Counter) OnRowsClose(fn func(query string)) {
	c.mu.Lock()
	c.onClose = fn
	c.mu.Unlock()
}

func (c *Counter) rowsClosed(query string) {
	c.mu.Lock()
	fn := c.onClose
	c.mu.Unlock()
	if fn != nil {
		fn(query)
	}
}

// Open returns a new pool on the database of db (a pool opened by
// internal/testenv), counting its statements. The pool is closed when the
// test ends.
func Open(t testing.TB, db *sqlx.DB) (*sqlx.DB, *Counter) {
	t.Helper()
	var dsn string
	switch testenv.Dialect(db) {
	case testenv.SQLite:
		var file string
		if err := db.Get(&file, "SELECT file FROM pragma_database_list WHERE name = 'main'"); err != nil {
			t.Fatalf("querycount: SQLite file: %v", err)
		}
		dsn = "file:" + file + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	case testenv.Postgres:
		var schema string
		if err := db.Get(&schema, "SELECT current_schema()"); err != nil {
			t.Fatalf("querycount: PostgreSQL schema: %v", err)
		}
		u, err := url.Parse(testenv.PostgresURL())
		if err != nil {
			t.Fatalf("querycount: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	case testenv.MySQL:
		var name string
		if err := db.Get(&name, "SELECT DATABASE()"); err != nil {
			t.Fatalf("querycount: MySQL database: %v", err)
		}
		cfg, err := mysql.ParseDSN(testenv.MySQLDSN())
		if err != nil {
			t.Fatalf("querycount: %v", err)
		}
		cfg.DBName, cfg.ParseTime, cfg.MultiStatements = name, true, false
		dsn = cfg.FormatDSN()
	}
	out, c, err := OpenDSN(db.Driver(), dsn, db.DriverName())
	if err != nil {
		t.Fatalf("querycount: %v", err)
	}
	t.Cleanup(func() { _ = out.Close() })
	return out, c
}

// OpenDSN opens a counting pool on dsn with drv (a registered driver, such
// as the one db.Driver() returns); sqlxName is the sqlx driver name that
// selects the placeholder style. The caller closes the pool.
func OpenDSN(drv driver.Driver, dsn, sqlxName string) (*sqlx.DB, *Counter, error) {
	var inner driver.Connector
	if dc, ok := drv.(driver.DriverContext); ok {
		var err error
		if inner, err = dc.OpenConnector(dsn); err != nil {
			return nil, nil, err
		}
	} else {
		inner = dsnConnector{drv: drv, dsn: dsn}
	}
	c := &Counter{}
	return sqlx.NewDb(sql.OpenDB(&connector{inner: inner, drv: drv, c: c}), sqlxName), c, nil
}

// errNoContext reports a driver without the context-aware interfaces
// (every driver crud supports has them).
var errNoContext = errors.New("querycount: driver lacks context-aware statements or transactions")

type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (d dsnConnector) Connect(context.Context) (driver.Conn, error) { return d.drv.Open(d.dsn) }
func (d dsnConnector) Driver() driver.Driver                        { return d.drv }

type connector struct {
	inner driver.Connector
	drv   driver.Driver
	c     *Counter
}

func (k *connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := k.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: cn, c: k.c}, nil
}

func (k *connector) Driver() driver.Driver { return k.drv }

// conn forwards to the real connection, counting statements. Optional
// interfaces the real connection lacks are answered with driver.ErrSkip or
// a neutral value, so database/sql falls back as it would without the
// wrapper.
type conn struct {
	driver.Conn
	c *Counter
}

var (
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

func (cn *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := cn.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = cn.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: st, c: cn.c, query: query}, nil
}

func (cn *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := cn.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errNoContext
	}
	return b.BeginTx(ctx, opts)
}

func (cn *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := cn.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err == driver.ErrSkip {
		return nil, err
	}
	cn.c.n.Add(1)
	if err != nil {
		return nil, err
	}
	return &countedRows{Rows: rows, c: cn.c, query: query}, nil
}

func (cn *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := cn.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	if err == driver.ErrSkip {
		return nil, err
	}
	cn.c.n.Add(1)
	return res, err
}

func (cn *conn) Ping(ctx context.Context) error {
	if p, ok := cn.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (cn *conn) ResetSession(ctx context.Context) error {
	if r, ok := cn.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (cn *conn) IsValid() bool {
	if v, ok := cn.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (cn *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := cn.Conn.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type stmt struct {
	driver.Stmt
	c     *Counter
	query string
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.n.Add(1)
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errNoContext
	}
	rows, err := q.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	return &countedRows{Rows: rows, c: s.c, query: s.query}, nil
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.n.Add(1)
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errNoContext
	}
	return e.ExecContext(ctx, args)
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countedRows struct {
	driver.Rows
	c      *Counter
	query  string
	closed bool
}

func (r *countedRows) Close() error {
	if !r.closed {
		r.closed = true
		r.c.rowsClosed(r.query)
	}
	return r.Rows.Close()
}
