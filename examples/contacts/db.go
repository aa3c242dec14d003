package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Dialects the service runs on.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
	dialectMySQL    = "mysql"
)

// privateFiles creates the SQLite database file at path readable by its
// owner only (0600), or narrows an existing one and its -wal and -shm
// files to that mode: they hold password hashes and sealed secrets.
// SQLite gives the -wal and -shm files it creates later the mode of the
// database file.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// openDB opens the database named by a URL: "" or sqlite://<path> for SQLite
// (default ./contacts.db), postgres://… (pgx), or mysql://user:pass@host:port/db
// (go-sql-driver), with a pool of up to maxConns connections. It returns
// the pool and the dialect.
func openDB(ctx context.Context, rawURL string, maxConns int) (*sqlx.DB, string, error) {
	var (
		db      *sqlx.DB
		dialect string
		err     error
	)
	switch {
	case rawURL == "" || strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
		if path == "" {
			path = "contacts.db"
		}
		if err := privateFiles(path); err != nil {
			return nil, "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
		var raw *sql.DB
		raw, err = sql.Open("sqlite", dsn)
		if err == nil {
			db, dialect = sqlx.NewDb(raw, "sqlite3"), dialectSQLite
		}
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err = sqlx.Open("pgx", rawURL)
		dialect = dialectPostgres
	case strings.HasPrefix(rawURL, "mysql://"):
		var dsn string
		if dsn, err = mysqlDSN(rawURL); err == nil {
			db, err = sqlx.Open("mysql", dsn)
		}
		dialect = dialectMySQL
	default:
		return nil, "", errors.New("DATABASE_URL: want sqlite://path, postgres://… or mysql://…")
	}
	if err != nil {
		return nil, "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	// database/sql keeps 2 idle connections by default: under concurrent
	// load every other request would open a new one.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, "", fmt.Errorf("database: %w", err)
	}
	return db, dialect, nil
}

// mysqlDSN turns mysql://user:pass@host:port/db?params into a
// go-sql-driver DSN with parseTime on.
func mysqlDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	params := map[string]string{}
	for k, v := range u.Query() {
		params[k] = v[0]
	}
	if len(params) > 0 {
		cfg.Params = params
	}
	return cfg.FormatDSN(), nil
}

// schema returns the CREATE statements of the service's own tables in
// dialect. The library's tables (accounts, API keys, grants) come from
// their versioned migrations (package migrate).
func schema(dialect string) []string {
	ts, text, engine := "DATETIME", "TEXT", ""
	switch dialect {
	case dialectPostgres:
		ts = "TIMESTAMPTZ"
	case dialectMySQL:
		// MEDIUMTEXT: a message's 65,536 characters take up to 256 KiB in
		// utf8mb4, more than TEXT holds.
		ts, text, engine = "DATETIME(6)", "MEDIUMTEXT", " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
	}
	id := "VARCHAR(64)"
	common := "status VARCHAR(16) NOT NULL, created " + ts + " NOT NULL, modified " + ts + ", version BIGINT NOT NULL"
	rank := `"rank"`
	if dialect == dialectMySQL {
		rank = "`rank`"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS person (id ` + id + ` PRIMARY KEY, uid ` + id + ` NOT NULL, name VARCHAR(128) NOT NULL,
			identity VARCHAR(254), privacy VARCHAR(16) NOT NULL, ` + common + `)` + engine,
		`CREATE TABLE IF NOT EXISTS category (id ` + id + ` PRIMARY KEY, uid ` + id + ` NOT NULL, name VARCHAR(64) NOT NULL, ` + common + `,
			UNIQUE (uid, name))` + engine,
		`CREATE TABLE IF NOT EXISTS list (id ` + id + ` PRIMARY KEY, uid ` + id + ` NOT NULL, name VARCHAR(64) NOT NULL,
			description VARCHAR(255) NOT NULL DEFAULT '', privacy VARCHAR(16) NOT NULL, category_id ` + id + `, ` + common + `,
			UNIQUE (uid, name))` + engine,
		`CREATE TABLE IF NOT EXISTS listmember (list_id ` + id + ` NOT NULL, uid ` + id + ` NOT NULL, level VARCHAR(16) NOT NULL,
			created ` + ts + ` NOT NULL, PRIMARY KEY (list_id, uid))` + engine,
		`CREATE TABLE IF NOT EXISTS contact (id ` + id + ` PRIMARY KEY, uid ` + id + ` NOT NULL, label VARCHAR(16) NOT NULL,
			type VARCHAR(16) NOT NULL, info VARCHAR(255) NOT NULL, muted BOOLEAN NOT NULL, ` + rank + ` BIGINT NOT NULL,
			privacy VARCHAR(16) NOT NULL, list_id ` + id + `, ` + common + `)` + engine,
		`CREATE TABLE IF NOT EXISTS message (id ` + id + ` PRIMARY KEY, uid ` + id + ` NOT NULL, subject VARCHAR(128) NOT NULL,
			content ` + text + ` NOT NULL, list_id ` + id + `, privacy VARCHAR(16) NOT NULL, ` + common + `)` + engine,
		// A contact in several lists, a message to several lists (crud
		// relations: the contact's and the message's "lists").
		`CREATE TABLE IF NOT EXISTS contact_in_list (contact_id ` + id + ` NOT NULL, list_id ` + id + ` NOT NULL,
			PRIMARY KEY (contact_id, list_id))` + engine,
		`CREATE TABLE IF NOT EXISTS message_to_list (message_id ` + id + ` NOT NULL, list_id ` + id + ` NOT NULL,
			PRIMARY KEY (message_id, list_id))` + engine,
		`CREATE TABLE IF NOT EXISTS settings (id ` + id + ` PRIMARY KEY, uid ` + id + ` NOT NULL, locale VARCHAR(16) NOT NULL,
			timezone VARCHAR(64) NOT NULL, default_privacy VARCHAR(16) NOT NULL, default_category_id ` + id + `,
			notify_email BOOLEAN NOT NULL, ` + common + `)` + engine,
	}
	idx := []string{
		"CREATE INDEX person_uid ON person (uid)",
		"CREATE INDEX contact_uid ON contact (uid)",
		"CREATE INDEX message_list ON message (list_id)",
		"CREATE INDEX message_uid ON message (uid)",
		"CREATE INDEX listmember_uid ON listmember (uid)",
		// A caller who is not an admin reads its own rows, its lists'
		// rows and the public ones (privacy = 'public'): without an index
		// on privacy that branch reads the whole table.
		"CREATE INDEX person_privacy ON person (privacy)",
		"CREATE INDEX list_privacy ON list (privacy)",
		"CREATE INDEX contact_privacy ON contact (privacy)",
		"CREATE INDEX message_privacy ON message (privacy)",
		"CREATE INDEX contact_in_list_list ON contact_in_list (list_id)",
		"CREATE INDEX message_to_list_list ON message_to_list (list_id)",
	}
	if dialect != dialectMySQL { // MySQL has no CREATE INDEX IF NOT EXISTS
		for i, s := range idx {
			idx[i] = strings.Replace(s, "CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
		}
	}
	return append(stmts, idx...)
}

// createTables creates the service's tables when they are missing.
func createTables(ctx context.Context, db *sqlx.DB, dialect string) error {
	for _, s := range schema(dialect) {
		if _, err := db.ExecContext(ctx, s); err != nil {
			if dialect == dialectMySQL && isDuplicateIndex(err) {
				continue
			}
			return fmt.Errorf("schema: %w", err)
		}
	}
	return nil
}

func isDuplicateIndex(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1061 // ER_DUP_KEYNAME
}

// isDuplicate reports whether err is a unique-key violation.
func (a *app) isDuplicate(err error) bool {
	var pe *pgconn.PgError
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &pe):
		return pe.Code == "23505"
	case errors.As(err, &me):
		return me.Number == 1062
	default:
		return strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "constraint failed: UNIQUE")
	}
}
