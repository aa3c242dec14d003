// Command bare is the baseline of the load test: a bare net/http + sqlx
// handler serving the same contact list and get queries as the example
// service, without authentication, access control, rate limiting, metrics
// or localization. It reads DATABASE_URL (postgres://…) and serves
// GET /api/v1/contact?limit=N and GET /api/v1/contact/{id} for the owner
// uid given by -uid.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

type contact struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Label    string     `db:"label" json:"label"`
	Type     string     `db:"type" json:"type"`
	Info     string     `db:"info" json:"info"`
	Muted    bool       `db:"muted" json:"muted"`
	Rank     int64      `db:"rank" json:"rank"`
	Privacy  string     `db:"privacy" json:"privacy"`
	ListID   *string    `db:"list_id" json:"list_id"`
	Status   string     `db:"status" json:"status"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified"`
	Version  int64      `db:"version" json:"version"`
	Count    int64      `db:"total" json:"-"`
}

const cols = `id, uid, label, type, info, muted, "rank", privacy, list_id, status, created, modified, version`

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	uid := flag.String("uid", "", "the caller's uid")
	flag.Parse()
	db, err := sqlx.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxIdleConns(16)
	list := `SELECT ` + cols + `, COUNT(*) OVER () AS total FROM contact
		WHERE status = 'active' AND (uid = $1 OR privacy = 'public') ORDER BY id LIMIT $2`
	get := `SELECT ` + cols + ` FROM contact WHERE id = $1 AND status = 'active' AND (uid = $2 OR privacy = 'public')`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/contact", func(w http.ResponseWriter, r *http.Request) {
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit < 1 || limit > 1000 {
			limit = 100
		}
		var items []contact
		if err := db.SelectContext(r.Context(), &items, list, *uid, limit); err != nil {
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		var count int64
		if len(items) > 0 {
			count = items[0].Count
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items, "count": count})
	})
	mux.HandleFunc("GET /api/v1/contact/{id}", func(w http.ResponseWriter, r *http.Request) {
		var c contact
		if err := db.GetContext(r.Context(), &c, get, r.PathValue("id"), *uid); err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c)
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}
