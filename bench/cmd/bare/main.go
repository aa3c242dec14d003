// Command bare is the baseline of the load test: a bare net/http + sqlx
// handler serving the same contact list and get queries as the example
// service, without authentication, access control, rate limiting, metrics
// or localization. It reads DATABASE_URL (postgres://…) and serves
// GET /api/v1/contact?limit=N and GET /api/v1/contact/{id} for the owner
// uid given by -uid. Like the example, it counts a list's matches exactly
// (the load test asks the example for count=exact) and gives each contact
// the lists it is in that the caller may read (one more query, through
// contact_in_list).
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
	Lists    []string   `db:"-" json:"lists,omitempty"`
}

// lists is the query of the lists the contacts $1 are in that the caller
// $2 may read (its own, and public ones; not disabled), as the example's
// relation reads them.
const lists = `SELECT j.contact_id, j.list_id FROM contact_in_list j JOIN list l ON l.id = j.list_id
	AND (l.status IS NULL OR l.status <> 'disabled') AND (l.uid = $2 OR l.privacy = 'public')
	WHERE j.contact_id = ANY($1) ORDER BY j.contact_id, j.list_id`

// withLists fills the Lists of cs.
func withLists(r *http.Request, db *sqlx.DB, uid string, cs []contact) error {
	ids := make([]string, len(cs))
	at := make(map[string]int, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
		at[cs[i].ID] = i
	}
	rows, err := db.QueryContext(r.Context(), lists, ids, uid)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c, l string
		if err := rows.Scan(&c, &l); err != nil {
			return err
		}
		cs[at[c]].Lists = append(cs[at[c]].Lists, l)
	}
	return rows.Err()
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
	// The example's pool (db_max_conns, 32): as many connections kept
	// idle as may be open, so that a burst does not open new ones.
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
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
		if err := db.SelectContext(r.Context(), &items, list, *uid, limit); err != nil || withLists(r, db, *uid, items) != nil {
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
		c := make([]contact, 1)
		if err := db.GetContext(r.Context(), &c[0], get, r.PathValue("id"), *uid); err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if err := withLists(r, db, *uid, c); err != nil {
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c[0])
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}
