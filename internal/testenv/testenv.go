// Package testenv hands tests the real servers they need (Redis,
// PostgreSQL, MariaDB/MySQL) and an in-process SQLite, each isolated per test
// and cleaned up with t.Cleanup.
//
// Server addresses come from APICRUD_TEST_REDIS (default 127.0.0.1:6379),
// APICRUD_TEST_REDIS_CLUSTER (a go-redis cluster URL, default the 3-master
// cluster scripts/services.sh starts on ports 7000-7002),
// APICRUD_TEST_REDIS_SENTINEL (a go-redis failover URL, default the Sentinel
// on port 7020 watching the primary "apicrud"),
// APICRUD_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and
// APICRUD_TEST_MYSQL (default root@tcp(127.0.0.1:3306)/test). When a server
// does not answer, the test is skipped with a message naming it, except under
// CI=true, where it fails: a CI run must never pass by skipping.
//
// Isolation: a Redis test gets a unique key prefix and only the keys under it
// are deleted afterwards (FLUSHDB is never used); a SQL test gets a fresh
// PostgreSQL schema or MySQL database that is dropped afterwards, or a SQLite
// file in t.TempDir().
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Default server addresses, used when the environment variables are unset.
const (
	DefaultRedis    = "127.0.0.1:6379"
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultMySQL    = "root@tcp(127.0.0.1:3306)/test"
)

// Dialect names as used by EachDB subtests.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unavailable skips the test, or fails it under CI=true.
func unavailable(t testing.TB, what, addr string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s at %s is required under CI=true: %v", what, addr, err)
	}
	t.Skipf("skipping: %s at %s: %v", what, addr, err)
}

// RandomID returns n random bytes in hex, for unique names.
func RandomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// RedisAddr returns the Redis address tests use.
func RedisAddr() string { return env("APICRUD_TEST_REDIS", DefaultRedis) }

// Redis returns a client for the test Redis, closed when the test ends, or
// skips the test (fails it under CI=true) when Redis does not answer. Use
// Prefix for the keys the test writes.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	addr := RedisAddr()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		unavailable(t, "Redis", addr, err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Default Redis Cluster and Sentinel URLs (go-redis ParseClusterURL and
// ParseFailoverURL forms), used when the environment variables are unset.
const (
	DefaultRedisCluster  = "redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002"
	DefaultRedisSentinel = "redis://127.0.0.1:7020?master_name=apicrud"
)

// Redis topology names, as used by EachRedis subtests.
const (
	RedisSingleNode = "single"
	RedisClustered  = "cluster"
	RedisFailover   = "sentinel"
)

// RedisClusterURL returns the Redis Cluster URL tests use.
func RedisClusterURL() string { return env("APICRUD_TEST_REDIS_CLUSTER", DefaultRedisCluster) }

// RedisSentinelURL returns the Redis Sentinel URL tests use.
func RedisSentinelURL() string { return env("APICRUD_TEST_REDIS_SENTINEL", DefaultRedisSentinel) }

// RedisCluster returns a client for the test Redis Cluster, closed when the
// test ends, or skips the test (fails it under CI=true) when a master does not
// answer or the cluster is not healthy.
func RedisCluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	u := RedisClusterURL()
	opt, err := redis.ParseClusterURL(u)
	if err != nil {
		t.Fatalf("testenv: APICRUD_TEST_REDIS_CLUSTER: %v", err)
	}
	rdb := redis.NewClusterClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = rdb.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
	if err == nil {
		var info string
		if info, err = rdb.ClusterInfo(ctx).Result(); err == nil && !strings.Contains(info, "cluster_state:ok") {
			err = errors.New("cluster_state is not ok")
		}
	}
	if err != nil {
		_ = rdb.Close()
		unavailable(t, "Redis Cluster", redactURL(u), err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// RedisSentinel returns a failover client (through Redis Sentinel) for the
// test Sentinel group, closed when the test ends, or skips the test (fails it
// under CI=true) when the primary cannot be reached.
func RedisSentinel(t testing.TB) *redis.Client {
	t.Helper()
	return RedisSentinelURLClient(t, RedisSentinelURL())
}

// RedisSentinelURLClient is RedisSentinel for the failover URL u.
func RedisSentinelURLClient(t testing.TB, u string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseFailoverURL(u)
	if err != nil {
		t.Fatalf("testenv: Sentinel URL: %v", err)
	}
	rdb := redis.NewFailoverClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		unavailable(t, "Redis Sentinel", redactURL(u), err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// RedisTopology is one way of running Redis: a name (RedisSingleNode,
// RedisClustered, RedisFailover) and a function returning a new client for
// it, closed when the test ends.
type RedisTopology struct {
	Name    string
	Connect func(t testing.TB) redis.UniversalClient
}

// RedisTopologies returns the single node, the cluster and the Sentinel
// failover client, in that order.
func RedisTopologies() []RedisTopology {
	return []RedisTopology{
		{RedisSingleNode, func(t testing.TB) redis.UniversalClient { t.Helper(); return Redis(t) }},
		{RedisClustered, func(t testing.TB) redis.UniversalClient { t.Helper(); return RedisCluster(t) }},
		{RedisFailover, func(t testing.TB) redis.UniversalClient { t.Helper(); return RedisSentinel(t) }},
	}
}

// EachRedis runs fn as a subtest named after each Redis topology (single,
// cluster, sentinel). connect returns a new client on that topology each time
// it is called, so a test can stand for two instances of a service; each
// skips (fails under CI=true) when its servers do not answer.
func EachRedis(t *testing.T, fn func(t *testing.T, connect func(testing.TB) redis.UniversalClient)) {
	t.Helper()
	for _, top := range RedisTopologies() {
		t.Run(top.Name, func(t *testing.T) { fn(t, top.Connect) })
	}
}

// Prefix returns a key prefix unique to this test ("apicrud:test:<id>:") and
// registers a cleanup that deletes every key under it, and only those.
func Prefix(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	prefix := "apicrud:test:" + RandomID(6) + ":"
	t.Cleanup(func() {
		// The test's context is already cancelled here; use a fresh one.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := DeleteKeys(ctx, rdb, prefix); err != nil {
			t.Errorf("testenv: deleting keys under %q: %v", prefix, err)
		}
	})
	return prefix
}

// DeleteKeys deletes every key that starts with prefix, using SCAN on every
// master (one UNLINK per key, since a cluster refuses multi-key commands
// across slots).
func DeleteKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	return ForEachMaster(ctx, rdb, func(ctx context.Context, c *redis.Client) error {
		keys, err := scanKeys(ctx, c, prefix)
		if err != nil || len(keys) == 0 {
			return err
		}
		_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Unlink(ctx, k)
			}
			return nil
		})
		return err
	})
}

// Keys returns every key that starts with prefix, sorted, using SCAN on every
// master: KEYS on a cluster client sees one node only.
func Keys(ctx context.Context, rdb redis.UniversalClient, prefix string) ([]string, error) {
	var (
		mu  sync.Mutex
		all []string
	)
	err := ForEachMaster(ctx, rdb, func(ctx context.Context, c *redis.Client) error {
		keys, err := scanKeys(ctx, c, prefix)
		mu.Lock()
		all = append(all, keys...)
		mu.Unlock()
		return err
	})
	slices.Sort(all)
	return all, err
}

// ForEachMaster calls fn with a client for every master of a cluster, or
// with rdb itself when it is a single node or a failover client.
func ForEachMaster(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	default:
		return fmt.Errorf("testenv: unsupported Redis client %T", rdb)
	}
}

func scanKeys(ctx context.Context, c *redis.Client, prefix string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, escapeGlob(prefix)+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// SQLiteDB returns a SQLite database in a file under t.TempDir(), with
// foreign keys on and a busy timeout, closed when the test ends. Its sqlx
// driver name is "sqlite3" so that sqlx binds '?' placeholders.
func SQLiteDB(t testing.TB) *sqlx.DB {
	t.Helper()
	path := t.TempDir() + "/test.db"
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("testenv: opening SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return sqlx.NewDb(db, "sqlite3")
}

// PostgresURL returns the PostgreSQL URL tests use.
func PostgresURL() string { return env("APICRUD_TEST_POSTGRES", DefaultPostgres) }

// PostgresDB returns a connection pool whose search_path is a fresh schema,
// dropped with everything in it when the test ends. It skips the test (fails
// it under CI=true) when PostgreSQL does not answer.
func PostgresDB(t testing.TB) *sqlx.DB {
	t.Helper()
	base := PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin, err := sqlx.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			_ = admin.Close()
		}
		unavailable(t, "PostgreSQL", redactURL(base), err)
	}
	schema := "t_" + RandomID(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("testenv: creating schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("testenv: dropping schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: APICRUD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx passes unknown parameters as run-time parameters
	u.RawQuery = q.Encode()
	db, err := sqlx.Open("pgx", u.String())
	if err != nil {
		t.Fatalf("testenv: opening PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() }) // runs before the schema is dropped (LIFO)
	return db
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// MySQLDSN returns the MySQL/MariaDB DSN tests use.
func MySQLDSN() string { return env("APICRUD_TEST_MYSQL", DefaultMySQL) }

// MySQLDB returns a connection pool on a fresh database, dropped when the
// test ends. It skips the test (fails it under CI=true) when the server does
// not answer.
func MySQLDB(t testing.TB) *sqlx.DB {
	t.Helper()
	dsn := MySQLDSN()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("testenv: APICRUD_TEST_MYSQL: %v", err)
	}
	cfg.ParseTime = true
	cfg.MultiStatements = false
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			_ = admin.Close()
		}
		unavailable(t, "MySQL/MariaDB", cfg.Addr, err)
	}
	name := "t_" + RandomID(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		_ = admin.Close()
		t.Fatalf("testenv: creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
			t.Errorf("testenv: dropping database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	cfg.DBName = name
	db, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("testenv: opening MySQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// EachDB runs fn as a subtest named after each dialect (sqlite, postgres,
// mysql), each with its own fresh database.
func EachDB(t *testing.T, fn func(t *testing.T, db *sqlx.DB)) {
	t.Helper()
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqlx.DB
	}{{SQLite, SQLiteDB}, {Postgres, PostgresDB}, {MySQL, MySQLDB}} {
		t.Run(d.name, func(t *testing.T) { fn(t, d.open(t)) })
	}
}

// Dialect returns the dialect name (sqlite, postgres or mysql) of a database
// opened by this package, from its sqlx driver name.
func Dialect(db *sqlx.DB) string {
	switch db.DriverName() {
	case "pgx", "postgres":
		return Postgres
	case "mysql":
		return MySQL
	case "sqlite3", "sqlite":
		return SQLite
	}
	panic(fmt.Sprintf("testenv: unknown driver %q", db.DriverName()))
}

// Must returns v, or panics with err: for constructors called in tests
// with fixed, valid arguments (testenv.Must(sessionredis.New(rdb))), whose
// error would be a mistake in the test itself.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
