package crud_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/crud"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Note is the record type of the examples.
type Note struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	Title   string    `db:"title" json:"title" crud:"writable,required,maxlen=100"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable,default=secret"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
	Version int64     `db:"version" json:"version"`
}

// owners is a tiny Authorizer: callers may do anything with their own
// records and read public ones. Real services use accesscontrol.
type owners struct{}

type uidKey struct{}

func (owners) UID(ctx context.Context) (string, bool) {
	uid, ok := ctx.Value(uidKey{}).(string)
	return uid, ok
}

func (o owners) Allowed(ctx context.Context, action byte, _ string, attrs map[string]string) bool {
	uid, ok := o.UID(ctx)
	return ok && attrs["uid"] == uid || action == 'r' && attrs["privacy"] == "public"
}

func (o owners) Filter(ctx context.Context, _ byte, _ string, cols map[string]string) (string, []any, error) {
	uid, _ := o.UID(ctx)
	return cols["uid"] + " = ? OR " + cols["privacy"] + " = 'public'", []any{uid}, nil
}

func (owners) HasScopes(context.Context, ...string) bool { return true }

func openNotes() *sqlx.DB {
	raw, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		panic(err)
	}
	raw.SetMaxOpenConns(1) // one in-memory database
	db := sqlx.NewDb(raw, "sqlite3")
	db.MustExec(`CREATE TABLE note (id TEXT PRIMARY KEY, uid TEXT NOT NULL, title TEXT NOT NULL,
		privacy TEXT NOT NULL, status TEXT NOT NULL, created DATETIME NOT NULL, version INTEGER NOT NULL)`)
	return db
}

// authenticate stands in for session middleware: it trusts X-User.
func authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-User"); u != "" {
			r = r.WithContext(context.WithValue(r.Context(), uidKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

func Example() {
	db := openNotes()
	defer db.Close()
	notes, err := crud.NewResource[Note](db, "note", crud.WithAuthorizer(owners{}))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	notes.Routes(mux, "/api/v1")
	h := authenticate(mux)

	send := func(method, path, user, body string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", user)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := send("POST", "/api/v1/note", "u-ann", `{"title":"groceries"}`)
	fmt.Println(rec.Code, rec.Header().Get("ETag"))
	path := rec.Header().Get("Location")

	rec = send("POST", "/api/v1/note", "u-ann", `{"title":"x","uid":"u-bob"}`)
	fmt.Println(rec.Code, rec.Body.String())

	rec = send("GET", path, "u-bob", "")
	fmt.Println(rec.Code) // a secret note of someone else: not found

	rec = send("PUT", path, "u-ann", `{"title":"groceries and milk"}`, "If-Match", `"1"`)
	fmt.Println(rec.Code, rec.Header().Get("ETag"))
	rec = send("PUT", path, "u-ann", `{"title":"stale"}`, "If-Match", `"1"`)
	fmt.Println(rec.Code)

	rec = send("GET", "/api/v1/note?sort=title:desc&limit=10", "u-ann", "", "Prefer", "count=exact")
	fmt.Println(rec.Code, rec.Header().Get("Content-Range"), rec.Header().Get("X-Total-Count"))
	// Output:
	// 201 "1"
	// 400 {"title":"Bad Request","status":400,"detail":"is read-only","field":"uid","code":"crud.read_only"}
	// 404
	// 200 "2"
	// 412
	// 200 note 0-0/1 1
}

func ExampleResource_Find() {
	db := openNotes()
	defer db.Close()
	notes, err := crud.NewResource[Note](db, "note", crud.WithAuthorizer(owners{}))
	if err != nil {
		panic(err)
	}
	ann := context.WithValue(context.Background(), uidKey{}, "u-ann")
	for _, title := range []string{"apples", "bread", "cheese", "dates", "eggs"} {
		if _, err := notes.Create(ann, &Note{Title: title}); err != nil {
			panic(err)
		}
	}
	q := crud.Query{Sort: "title:desc", Limit: 2, Filter: map[string]any{"title": []any{"apples", "cheese", "dates", "eggs"}},
		Count: crud.CountExact}
	for {
		page, err := notes.Find(ann, q)
		if err != nil {
			panic(err)
		}
		for _, n := range page.Items {
			fmt.Print(n.Title, " ")
		}
		fmt.Println("of", page.Count)
		if page.CursorNext == "" {
			break
		}
		q.Cursor = page.CursorNext
	}
	// Output:
	// eggs dates of 4
	// cheese apples of 4
}

// Hooks for a resource's special cases: T is inferred from the hooks, so
// hooks for another record type would not compile.
func ExampleNewResourceWithHooks() {
	db := openNotes()
	defer db.Close()
	notes, err := crud.NewResourceWithHooks(db, "note", crud.Hooks[Note]{
		BeforeCreate: func(_ context.Context, n *Note) error {
			n.Title = strings.TrimSpace(n.Title)
			if strings.EqualFold(n.Title, "spam") {
				return &crud.FieldError{Field: "title", Code: "note.spam", Reason: "no spam"}
			}
			return nil
		},
	}, crud.WithAuthorizer(owners{}))
	if err != nil {
		panic(err)
	}
	ann := context.WithValue(context.Background(), uidKey{}, "u-ann")
	created, err := notes.Create(ann, &Note{Title: "  buy milk "})
	if err != nil {
		panic(err)
	}
	n, err := notes.Get(ann, created.ID)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", n.Title)
	_, err = notes.Create(ann, &Note{Title: "SPAM"})
	fmt.Println(err)
	// Output:
	// "buy milk"
	// crud: title: no spam
}

func ExampleAPI_Spec() {
	db := openNotes()
	defer db.Close()
	notes, err := crud.NewResource[Note](db, "note", crud.WithAuthorizer(owners{}), crud.WithOps(crud.ReadOnly))
	if err != nil {
		panic(err)
	}
	api, err := crud.NewAPI("/api/v1", crud.WithInfo("notes", "1.0.0", ""))
	if err != nil {
		panic(err)
	}
	if err := api.Register(notes); err != nil {
		panic(err)
	}
	doc := api.Spec()
	fmt.Println(doc.OpenAPI, doc.Paths["/api/v1/note"].Get.OperationID, doc.Paths["/api/v1/note/{id}"].Get.OperationID)
	fmt.Println(doc.Components.Schemas["Note"].Properties["title"].Type, doc.Components.Schemas["Note"].Properties["uid"].ReadOnly)
	// Output:
	// 3.1.0 listNote getNote
	// string true
}

// ExampleAPI_Handler mounts a whole API as one http.Handler, here under a
// ServeMux at its prefix; chi's Mount, echo's and gin's Any mount it the
// same way. Paths it does not serve answer problem+json.
func ExampleAPI_Handler() {
	db := openNotes()
	defer db.Close()
	notes, err := crud.NewResource[Note](db, "note", crud.WithAuthorizer(owners{}))
	if err != nil {
		panic(err)
	}
	api, err := crud.NewAPI("/api/v1")
	if err != nil {
		panic(err)
	}
	if err := api.Register(notes); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", authenticate(api.Handler()))

	for _, r := range []struct{ method, path string }{
		{"POST", "/api/v1/note"}, {"GET", "/api/v1/note"}, {"PATCH", "/api/v1/note"}, {"GET", "/api/v1/nothing"},
	} {
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(`{"title":"groceries"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", "u-ann")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprintln(r.method, r.path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Allow"))))
	}
	// Output:
	// POST /api/v1/note 201 application/json
	// GET /api/v1/note 200 application/json
	// PATCH /api/v1/note 405 application/problem+json GET, HEAD, POST
	// GET /api/v1/nothing 404 application/problem+json
}

// Board pins one note and links several.
type Board struct {
	ID      string   `db:"id" json:"id"`
	UID     string   `db:"uid" json:"uid"`
	Name    string   `db:"name" json:"name" crud:"writable,required"`
	Privacy string   `db:"privacy" json:"privacy" crud:"writable,default=secret"`
	Pinned  *string  `db:"pinned" json:"pinned" crud:"writable"`
	Notes   []string `json:"notes"` // a relation: no db tag
}

// A board links notes through the join table board_note, at most two per
// board, and shows the title of its pinned note with expand.
func ExampleWithRelation() {
	db := openNotes()
	db.MustExec(`CREATE TABLE board (id TEXT PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL, privacy TEXT NOT NULL, pinned TEXT)`)
	db.MustExec(`CREATE TABLE board_note (board_id TEXT NOT NULL, note_id TEXT NOT NULL, PRIMARY KEY (board_id, note_id))`)
	notes, err := crud.NewResource[Note](db, "note", crud.WithAuthorizer(owners{}))
	if err != nil {
		panic(err)
	}
	boards, err := crud.NewResource[Board](db, "board", crud.WithAuthorizer(owners{}),
		crud.WithRelation(crud.Relation{Field: "notes", Table: "board_note", Local: "board_id", Foreign: "note_id", Target: notes,
			Limit: func(ctx context.Context, owner string) (int64, error) { return 2, nil }}), // a grant, in a real service
		crud.WithExpansions(crud.Expansion{Name: "pinned_title", Field: "pinned", Target: notes, Show: "title"}))
	if err != nil {
		panic(err)
	}
	ctx := context.WithValue(context.Background(), uidKey{}, "u-ann")
	milk, _ := notes.Create(ctx, &Note{Title: "milk"})
	eggs, _ := notes.Create(ctx, &Note{Title: "eggs"})
	flour, _ := notes.Create(ctx, &Note{Title: "flour"})
	board, err := boards.Create(ctx, &Board{Name: "shopping", Pinned: &milk.ID, Notes: []string{milk.ID, eggs.ID}})
	if err != nil {
		panic(err)
	}
	_, err = boards.AddRelated(ctx, board.ID, "notes", flour.ID)
	fmt.Println(errors.Is(err, crud.ErrLimitExceeded))
	got, ex, err := boards.GetExpanded(ctx, board.ID, "pinned_title")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(got.Notes), *ex["pinned_title"])
	// Output:
	// true
	// 2 milk
}
