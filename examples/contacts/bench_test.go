package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/config"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// benchApp builds the service in process on a fresh PostgreSQL schema and
// a Redis prefix of its own (the load test's configuration), with a user
// owning n contacts. It returns the handler, the user's token and a
// contact id.
func benchApp(b *testing.B, n int) (*app, http.Handler, string, string) {
	b.Helper()
	rdb := testenv.Redis(b)
	prefix := testenv.Prefix(b, rdb)
	admin, err := sqlx.Open("pgx", testenv.PostgresURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = admin.Close() })
	if err := admin.Ping(); err != nil {
		b.Skipf("skipping: PostgreSQL: %v", err)
	}
	schema := "bench_" + testenv.RandomID(6)
	admin.MustExec("CREATE SCHEMA " + schema)
	b.Cleanup(func() { admin.MustExec("DROP SCHEMA " + schema + " CASCADE") })
	u, _ := url.Parse(testenv.PostgresURL())
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	const pw = "Quiet-meadow 8812"
	cfg, err := loadConfig("", nil,
		config.Set("database_url", u.String()), config.Set("redis_url", "redis://"+testenv.RedisAddr()),
		config.Set("redis_prefix", prefix), config.Set("jwt_key", testenv.RandomID(24)),
		config.Set("encryption_passphrase", testenv.RandomID(12)), config.Set("admin_password", pw),
		config.Set("ratelimit_requests", 100000000), config.Set("ratelimit_batch", 64))
	if err != nil {
		b.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.close(context.Background()) })
	h := a.handler()
	call := func(method, path, tok string, body any) []byte {
		data, _ := json.Marshal(body)
		r := httptest.NewRequest(method, "/api/v1"+path, bytes.NewReader(data))
		r.Header.Set("Content-Type", "application/json")
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
	var tb tokenBody
	_ = json.Unmarshal(call("POST", "/auth", "", map[string]string{"username": "admin", "password": pw}), &tb)
	for _, g := range []string{"contacts", "ratelimit"} {
		call("PUT", "/grant/"+tb.UID+":"+g, tb.Token, map[string]string{"value": "100000000"})
	}
	time.Sleep(cfg.LimitCacheTTL + 100*time.Millisecond) // the new rate limit is read again
	var first string
	for i := range n {
		var c struct{ ID string }
		_ = json.Unmarshal(call("POST", "/contact", tb.Token, map[string]string{"info": fmt.Sprintf("c%04d@example.com", i)}), &c)
		if first == "" {
			first = c.ID
		}
	}
	return a, h, tb.Token, first
}

// BenchmarkEndpoint measures the example's list and get endpoints in
// process (PostgreSQL + Redis, the whole middleware chain): what the wrk
// load test of bench/ measures over the network.
func BenchmarkEndpoint(b *testing.B) {
	a, h, tok, id := benchApp(b, 1000)
	var uid string
	if err := a.db.Get(&uid, a.db.Rebind("SELECT uid FROM contact WHERE id = ?"), id); err != nil {
		b.Fatal(err)
	}
	bare := bareHandler(a.db.DB, uid)
	for _, c := range []struct{ name, path string }{
		{"list100", "/api/v1/contact?limit=100"},
		{"get", "/api/v1/contact/" + id},
	} {
		b.Run(c.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := &discardWriter{h: http.Header{}}
					bare.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
					if w.code != http.StatusOK {
						b.Errorf("%s: %d", c.path, w.code)
						return
					}
				}
			})
		})
		b.Run(c.name+"/apicrud", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", c.path, nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					r.Header.Set("Prefer", "count=exact") // as the bare handler counts
					w := &discardWriter{h: http.Header{}}
					h.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Errorf("%s: %d", c.path, w.code)
						return
					}
				}
			})
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return io.Discard.Write(p)
}
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// bareHandler serves the same queries as bench/cmd/bare: net/http, sqlx
// and encoding/json, nothing else; like the example, it counts a list
// exactly and gives each contact the lists it is in that the caller may
// read.
func bareHandler(raw *sql.DB, uid string) http.Handler {
	db := sqlx.NewDb(raw, "pgx")
	withLists := func(r *http.Request, cs []*Contact) error {
		ids := make([]string, len(cs))
		at := make(map[string]*Contact, len(cs))
		for i, c := range cs {
			ids[i], at[c.ID] = c.ID, c
		}
		rows, err := db.QueryContext(r.Context(), `SELECT j.contact_id, j.list_id FROM contact_in_list j JOIN list l ON l.id = j.list_id
			AND (l.status IS NULL OR l.status <> 'disabled') AND (l.uid = $2 OR l.privacy = 'public')
			WHERE j.contact_id = ANY($1) ORDER BY j.contact_id, j.list_id`, ids, uid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c, l string
			if err := rows.Scan(&c, &l); err != nil {
				return err
			}
			at[c].Lists = append(at[c].Lists, l)
		}
		return rows.Err()
	}
	const cols = `id, uid, label, type, info, muted, "rank", privacy, list_id, status, created, modified, version`
	type row struct {
		Contact
		Total int64 `db:"total" json:"-"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/contact", func(w http.ResponseWriter, r *http.Request) {
		var items []row
		if err := db.SelectContext(r.Context(), &items, `SELECT `+cols+`, COUNT(*) OVER () AS total FROM contact
			WHERE status = 'active' AND (uid = $1 OR privacy = 'public') ORDER BY id LIMIT 100`, uid); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := make([]Contact, len(items))
		ptrs := make([]*Contact, len(items))
		for i := range items {
			out[i] = items[i].Contact
			ptrs[i] = &out[i]
		}
		if err := withLists(r, ptrs); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"items": out, "count": len(items)})
	})
	mux.HandleFunc("GET /api/v1/contact/{id}", func(w http.ResponseWriter, r *http.Request) {
		var c Contact
		if err := db.GetContext(r.Context(), &c, `SELECT `+cols+` FROM contact WHERE id = $1 AND status = 'active' AND (uid = $2 OR privacy = 'public')`,
			r.PathValue("id"), uid); err != nil {
			http.Error(w, "not found", 404)
			return
		}
		if err := withLists(r, []*Contact{&c}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c)
	})
	return mux
}
