package crud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
)

// benchDBs runs fn per database: SQLite always, PostgreSQL and MariaDB when
// they answer.
func benchDBs(b *testing.B, fn func(b *testing.B, db *sqlx.DB)) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqlx.DB
	}{{testenv.SQLite, testenv.SQLiteDB}, {testenv.Postgres, testenv.PostgresDB}, {testenv.MySQL, testenv.MySQLDB}} {
		b.Run(d.name, func(b *testing.B) { fn(b, d.open(b)) })
	}
}

// seed creates n records: half alice's, half bob's, a third of them public.
func seed(b *testing.B, res *Resource[contact], n int) {
	b.Helper()
	for i := range n {
		p := alice
		if i%2 == 1 {
			p = bob
		}
		priv := []string{"public", "member", "secret"}[i%3]
		if _, err := res.Create(as(b.Context(), p), &contact{Name: fmt.Sprintf("name %04d", i), Info: "someone@example.com",
			Rank: i, Privacy: priv}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList measures a page of 100 rows that bob may read (his own and
// the public ones, selected by the Authorizer's SQL filter) encoded as JSON:
// crud's Find against the same query written by hand with sqlx. The
// "-http" variants measure the whole handler, query parsing and response
// writing included.
func BenchmarkList(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlx.DB) {
		res := newContacts(b, db)
		seed(b, res, 400)
		ctx := as(b.Context(), bob)
		auth := testAuth{}
		handQuery := func() (string, []any) {
			perm, pargs, _ := auth.Filter(ctx, 'r', "contact", res.authCols)
			q := "SELECT " + res.selectCols + ", COUNT(*) OVER () AS total FROM " + res.table +
				" WHERE (status IS NULL OR status <> ?) AND (" + perm + ") ORDER BY " + res.m.byJSON["name"].tcol + " ASC, " +
				res.m.role(roleID).tcol + " ASC LIMIT ?"
			return db.Rebind(q), append(append([]any{StatusDisabled}, pargs...), 101)
		}
		type row struct {
			contact
			Total int64 `db:"total"`
		}
		hand := func() ([]byte, error) {
			q, args := handQuery()
			var rows []row
			if err := db.SelectContext(ctx, &rows, q, args...); err != nil {
				return nil, err
			}
			page := Page[contact]{Items: make([]contact, 0, len(rows))}
			for i := range rows {
				page.Items = append(page.Items, rows[i].contact)
				page.Count = rows[i].Total
			}
			if len(page.Items) > 100 {
				page.Items = page.Items[:100]
				page.CursorNext = "next"
			}
			return json.Marshal(page)
		}
		b.Run("crud", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := res.Find(ctx, Query{Limit: 100, Count: CountExact}) // as the hand-written query
				if err != nil || len(page.Items) != 100 {
					b.Fatal(err, len(page.Items))
				}
				if _, err := json.Marshal(page); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := hand(); err != nil {
					b.Fatal(err)
				}
			}
		})
		mux := http.NewServeMux()
		res.Routes(mux, "")
		mux.HandleFunc("GET /hand", func(w http.ResponseWriter, r *http.Request) {
			limit := 100
			if v := r.URL.Query().Get("limit"); v != "" {
				limit, _ = strconv.Atoi(v)
			}
			_ = limit
			b, err := hand()
			if err != nil {
				http.Error(w, "error", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(b)
		})
		serve := func(b *testing.B, target string) {
			b.ReportAllocs()
			req := httptest.NewRequest("GET", target, nil).WithContext(ctx)
			req.Header.Set("Prefer", "count=exact")
			for b.Loop() {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		}
		b.Run("crud-http", func(b *testing.B) { serve(b, "/contact?limit=100") })
		b.Run("sqlx-http", func(b *testing.B) { serve(b, "/hand?limit=100") })
	})
}

// BenchmarkCreate measures Create (authorization, one INSERT in a
// transaction) against the same INSERT written by hand with sqlx.
func BenchmarkCreate(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlx.DB) {
		res := newContacts(b, db)
		ctx := as(b.Context(), alice)
		i := 0
		b.Run("crud", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				i++
				if _, err := res.Create(ctx, &contact{Name: "n" + strconv.Itoa(i), Info: "x@example.com", Privacy: "public"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				i++
				c := &contact{ID: newID("x-"), UID: alice.uid, Name: "n" + strconv.Itoa(i), Info: "x@example.com",
					Privacy: "public", Status: StatusActive, Created: now(), Version: 1}
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, res.insertSQL, res.values(c)...); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkGet measures Get (one SELECT by primary key and authorization)
// against sqlx's Get of the same row.
func BenchmarkGet(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlx.DB) {
		res := newContacts(b, db)
		c, err := res.Create(as(b.Context(), alice), &contact{Name: "n", Privacy: "public"})
		if err != nil {
			b.Fatal(err)
		}
		ctx := as(b.Context(), bob)
		b.Run("crud", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := res.Get(ctx, c.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		q := db.Rebind("SELECT * FROM contact WHERE id = ?")
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got contact
				if err := db.GetContext(ctx, &got, q, c.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkCountModes measures a keyset page of 100 rows (by id) on
// PostgreSQL at 100k and 1M rows, in each count mode: none (the page
// only), exact (COUNT(*) OVER () reads every match), planned (one EXPLAIN)
// and estimated (planned here, the estimate being far above the page
// maximum), for an admin, who may read every row (a caller whose read
// permission is restricted gets exact counts in every mode). Seeding takes
// a few seconds, so it is skipped in -short.
func BenchmarkCountModes(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million rows")
	}
	db := testenv.PostgresDB(b)
	res := newContacts(b, db)
	ctx := as(b.Context(), admin)
	seeded := 0
	for _, n := range []int{100_000, 1_000_000} {
		_, err := db.ExecContext(b.Context(), `INSERT INTO contact (id, uid, name, privacy, status, created, version)
			SELECT 'x-' || lpad(i::text, 12, '0'), CASE WHEN i % 2 = 0 THEN 'u-alice' ELSE 'u-bob' END, 'name ' || i,
				(ARRAY['public', 'member', 'secret'])[i % 3 + 1], 'active', now(), 1
			FROM generate_series($1::int, $2::int) AS i`, seeded+1, n)
		if err != nil {
			b.Fatal(err)
		}
		seeded = n
		if _, err := db.ExecContext(b.Context(), "ANALYZE contact"); err != nil {
			b.Fatal(err)
		}
		for _, mode := range []CountMode{CountNone, CountExact, CountPlanned, CountEstimated} {
			b.Run(fmt.Sprintf("rows=%d/%s", n, mode), func(b *testing.B) {
				b.ReportAllocs()
				var count int64
				for b.Loop() {
					page, err := res.Find(ctx, Query{Sort: "id", Limit: 100, Count: mode})
					if err != nil || len(page.Items) != 100 {
						b.Fatal(err, len(page.Items))
					}
					count = page.Count
				}
				b.ReportMetric(float64(count), "count")
			})
		}
	}
}

// BenchmarkListExpand measures a page of 100 contacts, each linked to a
// group, without and with ?expand=owner,grp (two LEFT JOINs whose
// conditions carry the targets' read filters), and, for comparison, the
// list with its relation field alone and without relations.
func BenchmarkListExpand(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlx.DB) {
		fx := newRelationFixture(b, db)
		ctx := as(b.Context(), alice)
		if _, err := db.Exec(db.Rebind("INSERT INTO person (id, uid, name, privacy) VALUES (?, ?, ?, ?)"), alice.uid, alice.uid, "Alice", "public"); err != nil {
			b.Fatal(err)
		}
		g := fx.group(b, alice, "G", "secret")
		for i := range 100 {
			c, err := fx.contacts.Create(ctx, &linked{contact: contact{Name: fmt.Sprintf("n%03d", i)}, Groups: []string{g}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(db.Rebind("UPDATE contact SET list_id = ? WHERE id = ?"), g, c.ID); err != nil {
				b.Fatal(err)
			}
		}
		plain := newContactsResource(b, db)
		for _, v := range []struct {
			name string
			find func() (int, error)
		}{
			{"no-relations", func() (int, error) { p, err := plain.Find(ctx, Query{}); return len(p.Items), err }},
			{"relation", func() (int, error) { p, err := fx.contacts.Find(ctx, Query{}); return len(p.Items), err }},
			{"relation+expand", func() (int, error) {
				p, err := fx.contacts.Find(ctx, Query{Expand: []string{"owner", "grp"}})
				if err == nil && *p.Expanded[0]["grp"] != "G" {
					return 0, fmt.Errorf("expanded %v", p.Expanded[0])
				}
				return len(p.Items), err
			}},
		} {
			b.Run(v.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if n, err := v.find(); err != nil || n != 100 {
						b.Fatal(n, err)
					}
				}
			})
		}
	})
}

// newContactsResource is a contact resource over an existing table.
func newContactsResource(b *testing.B, db *sqlx.DB) *Resource[contact] {
	res, err := NewResource[contact](db, "contact", WithAuthorizer(testAuth{}))
	if err != nil {
		b.Fatal(err)
	}
	return res
}
