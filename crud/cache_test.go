package crud_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/crud/internal/querycount"
	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// Settings is an account settings record (apicrud's AccountSettings): one
// field of every kind the cache encodes, and a hidden one.
type Settings struct {
	ID             string     `db:"id" json:"id"`
	UID            string     `db:"uid" json:"uid"`
	Name           string     `db:"name" json:"name" crud:"writable,maxlen=64"`
	Locale         string     `db:"locale" json:"locale" crud:"writable,maxlen=16,default=en"`
	Timezone       string     `db:"timezone" json:"timezone" crud:"writable,maxlen=64,default=UTC"`
	DefaultPrivacy string     `db:"default_privacy" json:"default_privacy" crud:"writable,enum=public|member|secret,default=member"`
	DefaultCat     *string    `db:"default_cat_id" json:"default_cat_id,omitempty" crud:"writable"`
	NotifyEmail    bool       `db:"notify_email" json:"notify_email" crud:"writable"`
	PageSize       int64      `db:"page_size" json:"page_size" crud:"writable"`
	Score          float64    `db:"score" json:"score" crud:"writable"`
	Avatar         []byte     `db:"avatar" json:"avatar,omitempty"`
	SMTPPassword   string     `db:"smtp_password" json:"-"`
	Privacy        string     `db:"privacy" json:"privacy" crud:"writable,default=secret"`
	Status         string     `db:"status" json:"status"`
	Created        time.Time  `db:"created" json:"created"`
	Modified       *time.Time `db:"modified" json:"modified,omitempty"`
	Version        int64      `db:"version" json:"version"`
}

func settingsDDL(dialect string) string {
	switch dialect {
	case testenv.Postgres:
		return `CREATE TABLE settings (id TEXT PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
			locale TEXT NOT NULL, timezone TEXT NOT NULL, default_privacy TEXT NOT NULL, default_cat_id TEXT,
			notify_email BOOLEAN NOT NULL DEFAULT FALSE, page_size BIGINT NOT NULL DEFAULT 0,
			score DOUBLE PRECISION NOT NULL DEFAULT 0, avatar BYTEA, smtp_password TEXT NOT NULL DEFAULT '',
			privacy TEXT NOT NULL, status TEXT NOT NULL, created TIMESTAMPTZ NOT NULL, modified TIMESTAMPTZ,
			version BIGINT NOT NULL)`
	case testenv.MySQL:
		return "CREATE TABLE settings (id VARCHAR(128) PRIMARY KEY, uid VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL DEFAULT '', " +
			"locale VARCHAR(16) NOT NULL, timezone VARCHAR(64) NOT NULL, default_privacy VARCHAR(16) NOT NULL, default_cat_id VARCHAR(128), " +
			"notify_email BOOLEAN NOT NULL DEFAULT FALSE, page_size BIGINT NOT NULL DEFAULT 0, score DOUBLE NOT NULL DEFAULT 0, " +
			"avatar BLOB, smtp_password VARCHAR(255) NOT NULL DEFAULT '', privacy VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL, " +
			"created DATETIME(6) NOT NULL, modified DATETIME(6), version BIGINT NOT NULL) ENGINE=InnoDB"
	default:
		return `CREATE TABLE settings (id TEXT PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
			locale TEXT NOT NULL, timezone TEXT NOT NULL, default_privacy TEXT NOT NULL, default_cat_id TEXT,
			notify_email BOOLEAN NOT NULL DEFAULT 0, page_size INTEGER NOT NULL DEFAULT 0, score REAL NOT NULL DEFAULT 0,
			avatar BLOB, smtp_password TEXT NOT NULL DEFAULT '', privacy TEXT NOT NULL, status TEXT NOT NULL,
			created DATETIME NOT NULL, modified DATETIME, version INTEGER NOT NULL)`
	}
}

// accounts is the Authorizer of these tests: callers may do anything with
// their own records; the uid "admin" with any record.
type accounts struct{}

type uidCtxKey struct{}

func asUser(ctx context.Context, uid string) context.Context {
	return context.WithValue(ctx, uidCtxKey{}, uid)
}

func (accounts) UID(ctx context.Context) (string, bool) {
	uid, ok := ctx.Value(uidCtxKey{}).(string)
	return uid, ok && uid != ""
}

func (a accounts) Allowed(ctx context.Context, _ byte, _ string, attrs map[string]string) bool {
	uid, ok := a.UID(ctx)
	return ok && (uid == "admin" || attrs["uid"] == uid)
}

func (a accounts) Filter(ctx context.Context, _ byte, _ string, cols map[string]string) (string, []any, error) {
	uid, _ := a.UID(ctx)
	if uid == "admin" {
		return "1=1", nil, nil
	}
	return cols["uid"] + " = ?", []any{uid}, nil
}

func (accounts) HasScopes(context.Context, ...string) bool { return true }

// instance is one service instance: a Resource on its own connection pool
// with a cache attached, and its HTTP routes.
type instance struct {
	res     *crud.Resource[Settings]
	cache   *crud.Cached[Settings]
	trash   *crud.Trashcan
	mux     *http.ServeMux
	queries *querycount.Counter
}

func newInstance(t testing.TB, db *sqlx.DB, store crud.CacheStore, opts ...crud.CacheOption) *instance {
	t.Helper()
	pool, n := querycount.Open(t, db)
	res, err := crud.NewResourceWithHooks(pool, "settings", crud.Hooks[Settings]{BeforeCreate: func(_ context.Context, rec *Settings) error {
		rec.SMTPPassword = "hunter2" // server-set hidden and binary columns
		rec.Avatar = []byte{0, 1, 2, 0xff}
		return nil
	}}, crud.WithAuthorizer(accounts{}))
	require.NoError(t, err)
	if store != nil {
		opts = append([]crud.CacheOption{crud.WithCacheStore(store)}, opts...)
	}
	cache, err := crud.NewCached(res, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, cache.Close(context.Background())) })
	tc, err := crud.NewTrashcan()
	require.NoError(t, err)
	require.NoError(t, tc.Register(res))
	mux := http.NewServeMux()
	res.Routes(mux, "/api")
	tc.Routes(mux, "/api")
	return &instance{res: res, cache: cache, trash: tc, mux: mux, queries: n}
}

// serve sends a request as uid and returns the status.
func (in *instance) serve(t testing.TB, method, path, uid, body string) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body)).WithContext(asUser(t.Context(), uid))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	in.mux.ServeHTTP(rec, req)
	return rec.Code
}

// get reads id through the cache and returns the record and the number of
// SQL statements the read cost.
func (in *instance) get(t testing.TB, id string) (*Settings, int64, error) {
	t.Helper()
	before := in.queries.Count()
	rec, err := in.cache.Get(t.Context(), id)
	return rec, in.queries.Count() - before, err
}

func createSettingsTable(t testing.TB, db *sqlx.DB) {
	t.Helper()
	_, err := db.Exec(settingsDDL(testenv.Dialect(db)))
	require.NoError(t, err)
}

// normalized returns rec with times in UTC (databases return them in
// various locations).
func normalized(rec *Settings) Settings {
	out := *rec
	out.Created = out.Created.UTC()
	if out.Modified != nil {
		m := out.Modified.UTC()
		out.Modified = &m
	}
	return out
}

func TestCachedReadCostsNoQuery(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		createSettingsTable(t, db)
		in := newInstance(t, db, nil)
		ctx := asUser(t.Context(), "u-ann")
		s, err := in.res.Create(ctx, &Settings{Name: "ann", DefaultCat: new("c-1"), PageSize: 50, Score: 0.25, NotifyEmail: true})
		require.NoError(t, err)

		miss, n, err := in.get(t, s.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "a miss costs one SELECT")
		for i := range 3 {
			hit, n, err := in.get(t, s.ID)
			require.NoError(t, err)
			require.Equal(t, int64(0), n, "hit %d costs no query", i)
			require.Equal(t, normalized(miss), normalized(hit))
		}
		fromDB, err := in.res.Get(ctx, s.ID)
		require.NoError(t, err)
		require.Equal(t, normalized(fromDB), normalized(miss))
		require.Equal(t, "hunter2", miss.SMTPPassword, "hidden columns are cached too")
		require.Equal(t, []byte{0, 1, 2, 0xff}, miss.Avatar)
		require.Equal(t, "c-1", *miss.DefaultCat)
		require.Nil(t, miss.Modified)

		// A hit is the caller's own copy.
		hit, _, err := in.get(t, s.ID)
		require.NoError(t, err)
		hit.Name, *hit.DefaultCat, hit.Avatar[0] = "changed", "c-changed", 9
		again, n, err := in.get(t, s.ID)
		require.NoError(t, err)
		require.Equal(t, int64(0), n)
		require.Equal(t, normalized(miss), normalized(again))
	})
}

// backends returns, per store backend, a function giving the stores of two
// instances that share one cache: one MemoryCacheStore for both (two
// Resource values in one process), or two Redis stores on two clients with
// one prefix (two processes).
func backends() map[string]func(t *testing.T) (crud.CacheStore, crud.CacheStore) {
	return map[string]func(t *testing.T) (crud.CacheStore, crud.CacheStore){
		"memory": func(t *testing.T) (crud.CacheStore, crud.CacheStore) {
			s := crud.NewMemoryCacheStore()
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s, s
		},
		"redis": func(t *testing.T) (crud.CacheStore, crud.CacheStore) {
			rdb1, rdb2 := testenv.Redis(t), testenv.Redis(t)
			prefix := testenv.Prefix(t, rdb1)
			return testenv.Must(crudredis.New(rdb1, crudredis.WithPrefix(prefix))), testenv.Must(crudredis.New(rdb2, crudredis.WithPrefix(prefix)))
		},
		"redis-cluster": func(t *testing.T) (crud.CacheStore, crud.CacheStore) {
			rdb1, rdb2 := testenv.RedisCluster(t), testenv.RedisCluster(t)
			prefix := testenv.Prefix(t, rdb1)
			return testenv.Must(crudredis.New(rdb1, crudredis.WithPrefix(prefix))), testenv.Must(crudredis.New(rdb2, crudredis.WithPrefix(prefix)))
		},
	}
}

// TestCachedWritesOnOtherInstance: every kind of write through one
// instance (Go API, HTTP handlers, trashcan) is seen by the other
// instance's cache on its next read.
func TestCachedWritesOnOtherInstance(t *testing.T) {
	for name, stores := range backends() {
		t.Run(name, func(t *testing.T) {
			testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
				createSettingsTable(t, db)
				sa, sb := stores(t)
				a := newInstance(t, db, sa, crud.WithCacheTTL(time.Hour))
				b := newInstance(t, db, sb, crud.WithCacheTTL(time.Hour))
				ctx := asUser(t.Context(), "u-ann")
				s, err := b.res.Create(ctx, &Settings{Name: "ann"})
				require.NoError(t, err)

				// seen reads id twice on a: the first read must be a miss
				// (the write uncached it) that returns the new state, the
				// second a hit.
				seen := func(t *testing.T, id string, check func(*Settings, error)) {
					t.Helper()
					rec, n, err := a.get(t, id)
					require.Equal(t, int64(1), n, "the write uncached the record on the other instance")
					check(rec, err)
					rec, n, err = a.get(t, id)
					if err == nil {
						require.Equal(t, int64(0), n, "cached again")
					}
					check(rec, err)
				}
				found := func(locale string) func(*Settings, error) {
					return func(rec *Settings, err error) {
						t.Helper()
						require.NoError(t, err)
						require.Equal(t, locale, rec.Locale)
					}
				}
				gone := func(rec *Settings, err error) {
					t.Helper()
					require.ErrorIs(t, err, crud.ErrNotFound)
					require.Nil(t, rec)
				}

				seen(t, s.ID, found("en"))
				_, err = b.res.Update(ctx, s.ID, &Settings{Locale: "fr"}, "locale")
				require.NoError(t, err)
				seen(t, s.ID, found("fr"))

				require.Equal(t, http.StatusOK, b.serve(t, "PUT", "/api/settings/"+s.ID, "u-ann", `{"locale":"de"}`))
				seen(t, s.ID, found("de"))

				require.Equal(t, http.StatusNoContent, b.serve(t, "DELETE", "/api/settings/"+s.ID, "u-ann", ""))
				rec, _, err := a.get(t, s.ID)
				gone(rec, err) // soft-deleted: not served, and not cached
				rec, n, err := a.get(t, s.ID)
				gone(rec, err)
				require.Equal(t, int64(1), n, "absent records are not cached")

				require.Equal(t, http.StatusOK, b.serve(t, "PUT", "/api/trashcan/settings-"+s.ID, "u-ann", ""))
				seen(t, s.ID, found("de"))

				require.NoError(t, b.res.Delete(ctx, false, s.ID)) // soft, Go API
				seen(t, s.ID, gone)
				require.NoError(t, b.trash.Purge(ctx, "settings-"+s.ID))
				seen(t, s.ID, gone)

				s2, err := b.res.Create(ctx, &Settings{Name: "ann2"})
				require.NoError(t, err)
				seen(t, s2.ID, found("en"))
				require.Equal(t, http.StatusNoContent, b.serve(t, "DELETE", "/api/settings/"+s2.ID+"?force=true", "u-ann", ""))
				seen(t, s2.ID, gone)

				s3, err := b.res.Create(ctx, &Settings{Name: "ann3"})
				require.NoError(t, err)
				seen(t, s3.ID, found("en"))
				require.NoError(t, b.res.Delete(ctx, true, s3.ID)) // hard, Go API
				seen(t, s3.ID, gone)
			})
		})
	}
}

// TestCachedDeletedNotServed: a record deleted behind crud's back is served
// until Uncache, never after; a disabled record is never cached.
func TestCachedDeletedNotServed(t *testing.T) {
	db := testenv.SQLiteDB(t)
	createSettingsTable(t, db)
	in := newInstance(t, db, nil)
	ctx := asUser(t.Context(), "u-ann")
	s, err := in.res.Create(ctx, &Settings{Name: "ann"})
	require.NoError(t, err)
	_, _, err = in.get(t, s.ID)
	require.NoError(t, err)

	_, err = db.Exec("UPDATE settings SET status = 'disabled' WHERE id = ?", s.ID)
	require.NoError(t, err)
	rec, n, err := in.get(t, s.ID)
	require.NoError(t, err, "a write that bypasses crud is not seen before Uncache (or the TTL)")
	require.Equal(t, int64(0), n)
	require.Equal(t, crud.StatusActive, rec.Status)

	require.NoError(t, in.cache.Uncache(ctx, s.ID))
	for range 2 {
		_, n, err = in.get(t, s.ID)
		require.ErrorIs(t, err, crud.ErrNotFound)
		require.Equal(t, int64(1), n, "a disabled record is read, refused and not cached")
	}
	for _, bad := range []string{"", "a b", "x/../y", strings.Repeat("x", 129), "{tag}"} {
		_, n, err = in.get(t, bad)
		require.ErrorIs(t, err, crud.ErrNotFound, "%q", bad)
		require.Equal(t, int64(0), n, "an invalid id costs nothing")
		require.NoError(t, in.cache.Uncache(ctx, bad))
	}
}

// TestCachedUncacheRacingLoad: a load that read the row before an update
// cannot cache it after the update's Uncache; the next read is fresh.
func TestCachedUncacheRacingLoad(t *testing.T) {
	for name, stores := range backends() {
		t.Run(name, func(t *testing.T) {
			testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
				createSettingsTable(t, db)
				sa, sb := stores(t)
				reader := newInstance(t, db, sa)
				writer := newInstance(t, db, sb)
				ctx := asUser(t.Context(), "u-ann")
				s, err := writer.res.Create(ctx, &Settings{Name: "ann"})
				require.NoError(t, err)

				loaded, release := make(chan struct{}), make(chan struct{})
				var once sync.Once
				reader.queries.OnRowsClose(func(string) {
					once.Do(func() {
						close(loaded) // the row is read...
						<-release     // ...and the loader waits before caching it
					})
				})
				type result struct {
					rec *Settings
					err error
				}
				done := make(chan result, 1)
				go func() {
					rec, err := reader.cache.Get(ctx, s.ID)
					done <- result{rec, err}
				}()
				<-loaded
				_, err = writer.res.Update(ctx, s.ID, &Settings{Locale: "fr"}, "locale")
				require.NoError(t, err)
				close(release)
				r := <-done
				require.NoError(t, r.err)
				require.Equal(t, "en", r.rec.Locale, "the racing read began before the update")

				rec, n, err := reader.get(t, s.ID)
				require.NoError(t, err)
				require.Equal(t, "fr", rec.Locale, "the stale load was not cached")
				require.Equal(t, int64(1), n)
				rec, n, err = reader.get(t, s.ID)
				require.NoError(t, err)
				require.Equal(t, "fr", rec.Locale)
				require.Equal(t, int64(0), n)
			})
		})
	}
}

// TestCachedConcurrent: readers, writers and explicit Uncaches race on a
// few records of two instances; once they stop, both caches serve exactly
// what the database holds.
func TestCachedConcurrent(t *testing.T) {
	for name, stores := range backends() {
		t.Run(name, func(t *testing.T) {
			testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
				createSettingsTable(t, db)
				sa, sb := stores(t)
				ins := []*instance{newInstance(t, db, sa), newInstance(t, db, sb)}
				ctx := asUser(t.Context(), "u-ann")
				var ids []string
				for i := range 3 {
					s, err := ins[0].res.Create(ctx, &Settings{Name: fmt.Sprint("n", i)})
					require.NoError(t, err)
					ids = append(ids, s.ID)
				}
				var wg sync.WaitGroup
				errs := make(chan error, 100)
				var writes atomic.Int64
				for w := range 6 {
					wg.Go(func() {
						in := ins[w%2]
						for i := range 15 {
							id := ids[(w+i)%len(ids)]
							var err error
							switch {
							case w < 2:
								_, err = in.res.Update(ctx, id, &Settings{Name: fmt.Sprintf("w%d-%d", w, i)}, "name")
								if errors.Is(err, crud.ErrConflict) {
									err = nil // kept changing: a legitimate outcome under contention
								} else if err == nil {
									writes.Add(1)
								}
							case w == 2 && i%5 == 0:
								err = in.cache.Uncache(ctx, id)
							default:
								var rec *Settings
								rec, err = in.cache.Get(ctx, id)
								if err == nil && !strings.HasPrefix(rec.Name, "n") && !strings.HasPrefix(rec.Name, "w") {
									err = fmt.Errorf("read a name never written: %q", rec.Name)
								}
							}
							if err != nil {
								errs <- err
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
				require.Positive(t, writes.Load())
				for _, id := range ids {
					var want string
					require.NoError(t, db.Get(&want, db.Rebind("SELECT name FROM settings WHERE id = ?"), id))
					for i, in := range ins {
						rec, err := in.cache.Get(ctx, id)
						require.NoError(t, err)
						require.Equal(t, want, rec.Name, "instance %d, record %s", i, id)
					}
				}
			})
		})
	}
}

// faultyStore wraps a CacheStore and fails the operations it is told to
// (fault injection, as redislock's flakyScripter).
type faultyStore struct {
	crud.CacheStore
	failGet     atomic.Bool
	failDeletes atomic.Int64 // fail the next n Deletes
	failAfter   atomic.Int64 // then: succeed this many Deletes before failing (with failDeletes)
}

var errInjected = errors.New("injected store failure")

func (f *faultyStore) Get(ctx context.Context, key string) ([]byte, uint64, bool, error) {
	if f.failGet.Load() {
		return nil, 0, false, errInjected
	}
	return f.CacheStore.Get(ctx, key)
}

func (f *faultyStore) Delete(ctx context.Context, key string) error {
	if f.failAfter.Add(-1) >= 0 {
		return f.CacheStore.Delete(ctx, key)
	}
	if f.failDeletes.Add(-1) >= 0 {
		return errInjected
	}
	return f.CacheStore.Delete(ctx, key)
}

// TestCachedFailurePolicy: a read fails when the store does; a write whose
// invalidation fails before the commit is rolled back; a failure after the
// commit is logged and the write stands.
func TestCachedFailurePolicy(t *testing.T) {
	db := testenv.SQLiteDB(t)
	createSettingsTable(t, db)
	mem := crud.NewMemoryCacheStore()
	t.Cleanup(func() { _ = mem.Close(context.Background()) })
	fs := &faultyStore{CacheStore: mem}
	var logs bytes.Buffer
	var logMu sync.Mutex
	pool, _ := querycount.Open(t, db)
	res, err := crud.NewResource[Settings](pool, "settings", crud.WithAuthorizer(accounts{}),
		crud.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))))
	require.NoError(t, err)
	cache, err := crud.NewCached(res, crud.WithCacheStore(fs))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close(context.Background()) })
	ctx := asUser(t.Context(), "u-ann")
	s, err := res.Create(ctx, &Settings{Name: "ann"})
	require.NoError(t, err)
	_, err = cache.Get(ctx, s.ID)
	require.NoError(t, err)

	fs.failGet.Store(true)
	_, err = cache.Get(ctx, s.ID)
	require.ErrorIs(t, err, errInjected, "no silent fallback to the database")
	fs.failGet.Store(false)

	fs.failDeletes.Store(1)
	_, err = res.Update(ctx, s.ID, &Settings{Locale: "fr"}, "locale")
	require.Error(t, err)
	require.NotErrorIs(t, err, crud.ErrNotFound)
	var locale string
	require.NoError(t, db.Get(&locale, "SELECT locale FROM settings WHERE id = ?", s.ID))
	require.Equal(t, "en", locale, "the write was rolled back")
	fs.failDeletes.Store(1)
	require.Error(t, res.Delete(ctx, false, s.ID))
	rec, err := cache.Get(ctx, s.ID)
	require.NoError(t, err, "the delete was rolled back")
	require.Equal(t, "en", rec.Locale)

	fs.failAfter.Store(1) // the uncache inside the transaction succeeds...
	fs.failDeletes.Store(1)
	_, err = res.Update(ctx, s.ID, &Settings{Locale: "de"}, "locale") // ...the one after the commit fails
	require.NoError(t, err)
	rec, err = cache.Get(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, "de", rec.Locale)
	logMu.Lock()
	require.Contains(t, logs.String(), "cache invalidation after commit failed")
	require.Contains(t, logs.String(), "write rolled back")
	logMu.Unlock()
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCachedGetAuthorized(t *testing.T) {
	db := testenv.SQLiteDB(t)
	createSettingsTable(t, db)
	pool, n := querycount.Open(t, db)
	res, err := crud.NewResourceWithHooks(pool, "settings", crud.Hooks[Settings]{AfterGet: func(ctx context.Context, rec *Settings) error {
		if uid, _ := (accounts{}).UID(ctx); uid != "admin" {
			rec.Timezone = "redacted"
		}
		return nil
	}}, crud.WithAuthorizer(accounts{}))
	require.NoError(t, err)
	cache, err := crud.NewCached(res)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close(context.Background()) })
	ann := asUser(t.Context(), "u-ann")
	s, err := res.Create(ann, &Settings{Name: "ann"})
	require.NoError(t, err)

	rec, err := cache.GetAuthorized(ann, s.ID)
	require.NoError(t, err)
	require.Equal(t, "redacted", rec.Timezone, "AfterGet runs")
	before := n.Count()
	rec, err = cache.GetAuthorized(asUser(t.Context(), "admin"), s.ID)
	require.NoError(t, err)
	require.Equal(t, "UTC", rec.Timezone, "the hook changed a copy, not the cache")
	_, err = cache.GetAuthorized(asUser(t.Context(), "u-bob"), s.ID)
	require.ErrorIs(t, err, crud.ErrNotFound, "unreadable records are not found")
	_, err = cache.GetAuthorized(t.Context(), s.ID)
	require.ErrorIs(t, err, crud.ErrNotFound, "anonymous")
	require.Equal(t, before, n.Count(), "served from the cache")

	rec, err = cache.Get(asUser(t.Context(), "u-bob"), s.ID)
	require.NoError(t, err, "Get does not authorize")
	require.Equal(t, "UTC", rec.Timezone)

	ro, err := crud.NewResource[Settings](pool, "settings", crud.WithAuthorizer(accounts{}), crud.WithOps(crud.OpList))
	require.NoError(t, err)
	roCache, err := crud.NewCached(ro)
	require.NoError(t, err)
	t.Cleanup(func() { _ = roCache.Close(context.Background()) })
	_, err = roCache.GetAuthorized(ann, s.ID)
	require.ErrorIs(t, err, crud.ErrForbidden, "a resource without OpGet")
}

// SettingsLite is another version of the record type over the same table
// (an instance running older code during a rolling deploy).
type SettingsLite struct {
	ID     string `db:"id" json:"id"`
	UID    string `db:"uid" json:"uid"`
	Locale string `db:"locale" json:"locale" crud:"writable"`
	Status string `db:"status" json:"status"`
}

// TestCachedForeignEntries: an entry written by another record type, or a
// corrupt one, is a miss, never a misread.
func TestCachedForeignEntries(t *testing.T) {
	for name, stores := range backends() {
		t.Run(name, func(t *testing.T) {
			db := testenv.SQLiteDB(t)
			createSettingsTable(t, db)
			sa, sb := stores(t)
			full := newInstance(t, db, sa)
			pool, n := querycount.Open(t, db)
			lite, err := crud.NewResource[SettingsLite](pool, "settings", crud.WithAuthorizer(accounts{}))
			require.NoError(t, err)
			liteCache, err := crud.NewCached(lite, crud.WithCacheStore(sb))
			require.NoError(t, err)
			t.Cleanup(func() { _ = liteCache.Close(context.Background()) })
			ctx := asUser(t.Context(), "u-ann")
			s, err := full.res.Create(ctx, &Settings{Name: "ann", Locale: "fr"})
			require.NoError(t, err)
			_, _, err = full.get(t, s.ID)
			require.NoError(t, err)

			before := n.Count()
			got, err := liteCache.Get(ctx, s.ID)
			require.NoError(t, err)
			require.Equal(t, "fr", got.Locale)
			require.Equal(t, before+1, n.Count(), "the other type's entry is a miss")
			got, err = liteCache.Get(ctx, s.ID)
			require.NoError(t, err)
			require.Equal(t, "fr", got.Locale)
			require.Equal(t, before+1, n.Count(), "and was overwritten by this type's")

			// Corrupt entries: each is a miss, never an error or a wrong value.
			require.NoError(t, sa.Delete(ctx, "settings:"+s.ID))
			rec, _, err := full.get(t, s.ID) // a fresh entry of the full type
			require.NoError(t, err)
			valid, _, ok, err := sa.Get(ctx, "settings:"+s.ID)
			require.NoError(t, err)
			require.True(t, ok)
			valid = bytes.Clone(valid)
			for _, mutate := range []func([]byte) []byte{
				func(b []byte) []byte { return b[:len(b)/2] },
				func(b []byte) []byte { return append(b, 0) },
				func(b []byte) []byte { b[0] ^= 0xff; return b },
				func(b []byte) []byte { b[3] ^= 0x01; return b },
				func([]byte) []byte { return []byte("{not a record") },
			} {
				require.NoError(t, sa.Delete(ctx, "settings:"+s.ID))
				_, gen, _, err := sa.Get(ctx, "settings:"+s.ID)
				require.NoError(t, err)
				require.NoError(t, sa.Set(ctx, "settings:"+s.ID, gen, mutate(bytes.Clone(valid)), time.Minute))
				got, n, err := full.get(t, s.ID)
				require.NoError(t, err)
				require.Equal(t, int64(1), n, "a corrupt entry is a miss")
				require.Equal(t, normalized(rec), normalized(got))
			}
		})
	}
}

func TestCachedClose(t *testing.T) {
	db := testenv.SQLiteDB(t)
	createSettingsTable(t, db)
	in := newInstance(t, db, nil)
	ctx := asUser(t.Context(), "u-ann")
	s, err := in.res.Create(ctx, &Settings{Name: "ann"})
	require.NoError(t, err)
	_, _, err = in.get(t, s.ID)
	require.NoError(t, err)
	require.NoError(t, in.cache.Close(ctx))
	require.NoError(t, in.cache.Close(ctx), "idempotent")
	for range 2 {
		rec, n, err := in.get(t, s.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "a closed cache reads the database")
		require.Equal(t, "ann", rec.Name)
	}
	// Writes no longer reach the closed cache; a second cache still works.
	c2, err := crud.NewCached(in.res)
	require.NoError(t, err)
	defer func() { require.NoError(t, c2.Close(ctx)) }()
	_, err = c2.Get(ctx, s.ID)
	require.NoError(t, err)
	_, err = in.res.Update(ctx, s.ID, &Settings{Name: "ann2"}, "name")
	require.NoError(t, err)
	rec, err := c2.Get(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, "ann2", rec.Name)
}

func TestNewCachedConfig(t *testing.T) {
	db := testenv.SQLiteDB(t)
	res, err := crud.NewResource[Settings](db, "settings", crud.WithAuthorizer(accounts{}))
	require.NoError(t, err)
	for name, opts := range map[string][]crud.CacheOption{
		"zero TTL":     {crud.WithCacheTTL(0)},
		"negative TTL": {crud.WithCacheTTL(-time.Second)},
		"nil store":    {crud.WithCacheStore(nil)},
		"nil logger":   {crud.WithCacheLogger(nil)},
	} {
		_, err := crud.NewCached(res, opts...)
		require.ErrorIs(t, err, crud.ErrConfig, name)
	}
	_, err = crud.NewCached[Settings](nil)
	require.ErrorIs(t, err, crud.ErrConfig)
	c, err := crud.NewCached(res, nil, crud.WithCacheLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err, "nil options are skipped")
	require.NoError(t, c.Close(t.Context()))
}

// hookStore wraps a CacheStore and runs afterDelete after each Delete.
type hookStore struct {
	crud.CacheStore
	afterDelete func()
}

func (h *hookStore) Delete(ctx context.Context, key string) error {
	err := h.CacheStore.Delete(ctx, key)
	if h.afterDelete != nil {
		h.afterDelete()
	}
	return err
}

// TestCachedLoadDuringCommit: a load that runs after a write's first
// uncache but before its commit reads (and caches) the old row; the second
// uncache, after the commit, drops it.
func TestCachedLoadDuringCommit(t *testing.T) {
	for name, stores := range backends() {
		t.Run(name, func(t *testing.T) {
			testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
				createSettingsTable(t, db)
				sa, sb := stores(t)
				reader := newInstance(t, db, sa)
				hs := &hookStore{CacheStore: sb}
				writer := newInstance(t, db, hs)
				ctx := asUser(t.Context(), "u-ann")
				s, err := writer.res.Create(ctx, &Settings{Name: "ann"})
				require.NoError(t, err)
				_, _, err = reader.get(t, s.ID)
				require.NoError(t, err)

				var once sync.Once
				hs.afterDelete = func() {
					once.Do(func() { // inside the write's transaction, before COMMIT
						rec, n, err := reader.get(t, s.ID)
						require.NoError(t, err)
						require.Equal(t, int64(1), n)
						require.Equal(t, "en", rec.Locale, "the update is not committed yet")
					})
				}
				_, err = writer.res.Update(ctx, s.ID, &Settings{Locale: "fr"}, "locale")
				require.NoError(t, err)
				rec, n, err := reader.get(t, s.ID)
				require.NoError(t, err)
				require.Equal(t, "fr", rec.Locale, "the entry cached during the commit was dropped")
				require.Equal(t, int64(1), n)
			})
		})
	}
}
