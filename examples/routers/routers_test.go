package routers_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	_ "modernc.org/sqlite"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/metrics"
)

// Note is the record type served.
type Note struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	Title   string    `db:"title" json:"title" crud:"writable,required,maxlen=100"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable,default=public"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
	Version int64     `db:"version" json:"version"`
}

// anyone lets every caller do everything (authorization is not what these
// tests are about).
type anyone struct{}

func (anyone) UID(context.Context) (string, bool)                            { return "u-1", true }
func (anyone) Allowed(context.Context, byte, string, map[string]string) bool { return true }
func (anyone) Filter(context.Context, byte, string, map[string]string) (string, []any, error) {
	return "1 = 1", nil, nil
}
func (anyone) HasScopes(context.Context, ...string) bool { return true }

// newAPI returns a crud API over a fresh in-memory SQLite database, its
// routes under prefix.
func newAPI(t *testing.T, prefix string) *crud.API {
	t.Helper()
	raw, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	db := sqlx.NewDb(raw, "sqlite3")
	t.Cleanup(func() { _ = db.Close() })
	db.MustExec(`CREATE TABLE note (id TEXT PRIMARY KEY, uid TEXT NOT NULL, title TEXT NOT NULL,
		privacy TEXT NOT NULL, status TEXT NOT NULL, created DATETIME NOT NULL, version INTEGER NOT NULL)`)
	notes, err := crud.NewResource[Note](db, "note", crud.WithAuthorizer(anyone{}))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := crud.NewTrashcan()
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.Register(notes); err != nil {
		t.Fatal(err)
	}
	api, err := crud.NewAPI(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Register(notes, tc); err != nil {
		t.Fatal(err)
	}
	return api
}

// exercise sends the requests of a react-admin session to the API under
// prefix through h, and a request to the host's own route.
func exercise(t *testing.T, h http.Handler, prefix, hostRoute string) {
	t.Helper()
	send := func(method, path, body string, want int) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, w.Code, want, w.Body)
		}
		return w
	}
	loc := send("POST", prefix+"/note", `{"title":"groceries"}`, http.StatusCreated).Header().Get("Location")
	if !strings.HasPrefix(loc, prefix+"/note/") {
		t.Fatalf("Location %q is not under %s", loc, prefix)
	}
	send("GET", prefix+"/note?sort=title:desc&range=[0,9]", "", http.StatusOK)
	send("GET", loc, "", http.StatusOK)
	send("PUT", loc, `{"title":"groceries and milk"}`, http.StatusOK)
	send("GET", prefix+"/note/n-missing", "", http.StatusNotFound)
	send("DELETE", loc, "", http.StatusNoContent)
	send("GET", prefix+"/trashcan", "", http.StatusOK)
	send("GET", prefix+"/openapi.json", "", http.StatusOK)
	w := send("PATCH", prefix+"/note", "", http.StatusMethodNotAllowed)
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("405 as %q", ct)
	}
	send("GET", hostRoute, "", http.StatusOK)
}

// calls returns the api_calls_total series as "method resource code" → count.
func calls(t *testing.T, rec *metrics.Recorder) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(rec.InstanceCollector()); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != metrics.APICallsName {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			out[l["method"]+" "+l["resource"]+" "+l["code"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

// wantLabels checks the series of exercise: every request labelled by the
// pattern of the route that served it, the prefix included.
func wantLabels(t *testing.T, rec *metrics.Recorder, prefix, hostPattern string) {
	t.Helper()
	want := map[string]float64{
		"POST " + prefix + "/note 201":        1,
		"GET " + prefix + "/note 200":         1,
		"GET " + prefix + "/note/{id} 200":    1,
		"PUT " + prefix + "/note/{id} 200":    1,
		"GET " + prefix + "/note/{id} 404":    1,
		"DELETE " + prefix + "/note/{id} 204": 1,
		"GET " + prefix + "/trashcan 200":     1,
		"GET " + prefix + "/openapi.json 200": 1,
		"GET " + hostPattern + " 200":         1,
	}
	got := calls(t, rec)
	// The 405 matched no route of the API: the router's own pattern (its
	// mount point) or "unmatched", never the raw path.
	for k, v := range got {
		if strings.HasPrefix(k, "PATCH ") {
			if strings.Contains(k, "/note ") {
				t.Errorf("405 labelled by the raw path: %s", k)
			}
			delete(got, k)
			_ = v
		}
	}
	keys := func(m map[string]float64) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if !slices.Equal(keys(got), keys(want)) {
		t.Fatalf("series:\n got %q\nwant %q", keys(got), keys(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v, want %v", k, got[k], v)
		}
	}
}

// TestChi mounts the API under chi at two prefixes (chi's Mount does not
// strip the prefix), with the metrics middleware around the router and a
// host route labelled by chi's pattern.
func TestChi(t *testing.T) {
	for _, prefix := range []string{"/api/v1", "/deep/er/prefix"} {
		t.Run(prefix, func(t *testing.T) {
			rec, err := metrics.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close(context.Background())
			r := chi.NewRouter()
			// The host's routes record chi's pattern once chi has matched.
			r.Use(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					next.ServeHTTP(w, req)
					metrics.SetRoute(req, chi.RouteContext(req.Context()).RoutePattern())
				})
			})
			r.Mount(prefix, newAPI(t, prefix).Handler())
			r.Get("/status/{part}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			exercise(t, rec.Middleware(r), prefix, "/status/db")
			wantLabels(t, rec, prefix, "/status/{part}")
		})
	}
}

// TestEcho mounts the API under echo with a wildcard route, the metrics
// middleware around echo, and a host route labelled by echo's path.
func TestEcho(t *testing.T) {
	for _, prefix := range []string{"/api/v1", "/deep/er/prefix"} {
		t.Run(prefix, func(t *testing.T) {
			rec, err := metrics.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close(context.Background())
			e := echo.New()
			e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					err := next(c)
					metrics.SetRoute(c.Request(), c.Path())
					return err
				}
			})
			e.Any(prefix+"/*", echo.WrapHandler(newAPI(t, prefix).Handler()))
			e.GET("/status/:part", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
			exercise(t, rec.Middleware(e), prefix, "/status/db")
			wantLabels(t, rec, prefix, "/status/:part")
		})
	}
}

// TestServeMux mounts the API under a ServeMux at its prefix, the metrics
// middleware around the mux: the API's own patterns, not the mount's.
func TestServeMux(t *testing.T) {
	rec, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/svc/", newAPI(t, "/svc").Handler())
	mux.HandleFunc("GET /status/{part}", func(w http.ResponseWriter, _ *http.Request) {})
	exercise(t, rec.Middleware(mux), "/svc", "/status/db")
	wantLabels(t, rec, "/svc", "/status/{part}")
}
