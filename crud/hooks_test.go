package crud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

type categorized struct {
	ID       string    `db:"id" json:"id"`
	UID      string    `db:"uid" json:"uid"`
	Name     string    `db:"name" json:"name" crud:"writable"`
	Category *string   `db:"category_id" json:"category_id" crud:"writable"`
	Status   string    `db:"status" json:"status"`
	Created  time.Time `db:"created" json:"created"`
}

func TestHooksAndOptions(t *testing.T) {
	db := testenv.SQLiteDB(t)

	t.Run("hooks", func(t *testing.T) {
		var listed int
		res := newContactsWithHooks(t, db, Hooks[contact]{
			BeforeCreate: func(ctx context.Context, rec *contact) error {
				if rec.Info == "reject" {
					return &FieldError{Field: "info", Code: "contact.bad_info", Reason: "not acceptable"}
				}
				rec.Secret = "set by the server"
				rec.Status = "unconfirmed" // hooks may set server-controlled fields
				return nil
			},
			AfterGet: func(ctx context.Context, rec *contact) error {
				rec.Info = "redacted"
				return nil
			},
			BeforeUpdate: func(ctx context.Context, old, rec *contact) error {
				rec.ID = "x-hijacked" // ignored: the id never changes
				if rec.Rank > 100 {
					return ErrForbidden
				}
				return nil
			},
			BeforeDelete: func(ctx context.Context, rec *contact, force bool) error {
				if rec.Name == "keep" {
					return errors.New("internal reason")
				}
				return nil
			},
			BeforeList: func(ctx context.Context, q *Query) error {
				q.Filter = map[string]any{"status": "unconfirmed"}
				return nil
			},
			AfterList: func(ctx context.Context, page *Page[contact]) error {
				listed += len(page.Items)
				return nil
			},
		})
		ctx := as(t.Context(), alice)
		c, err := res.Create(ctx, &contact{Name: "hooked"})
		require.NoError(t, err)
		require.Equal(t, "unconfirmed", c.Status)
		var secret string
		require.NoError(t, db.Get(&secret, "SELECT secret FROM contact WHERE id = ?", c.ID))
		require.Equal(t, "set by the server", secret)

		_, err = res.Create(ctx, &contact{Name: "r", Info: "reject"})
		var fe *FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, "contact.bad_info", fe.Code)

		got, err := res.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "redacted", got.Info)

		up, err := res.Update(ctx, c.ID, &contact{Rank: 5}, "rank")
		require.NoError(t, err)
		require.Equal(t, c.ID, up.ID)
		_, err = res.Update(ctx, c.ID, &contact{Rank: 500}, "rank")
		require.ErrorIs(t, err, ErrForbidden)

		keep, err := res.Create(ctx, &contact{Name: "keep"})
		require.NoError(t, err)
		err = res.Delete(ctx, false, c.ID, keep.ID)
		var ie *internalError
		require.ErrorAs(t, err, &ie)
		_, err = res.Get(ctx, c.ID)
		require.NoError(t, err, "nothing deleted")

		page, err := res.Find(ctx, Query{})
		require.NoError(t, err)
		require.Len(t, page.Items, 2)
		require.Equal(t, 2, listed)
	})

	t.Run("ops and scopes", func(t *testing.T) {
		createContactTable(t, db, "ro")
		ro, err := NewResource[contact](db, "ro", WithAuthorizer(testAuth{}), WithOps(ReadOnly))
		require.NoError(t, err)
		_, err = ro.Create(as(t.Context(), alice), &contact{Name: "x"})
		require.ErrorIs(t, err, ErrForbidden)
		require.ErrorIs(t, ro.Delete(as(t.Context(), alice), false, "x-1"), ErrForbidden)

		createContactTable(t, db, "scoped")
		scoped, err := NewResource[contact](db, "scoped", WithAuthorizer(testAuth{}),
			WithScopes(OpCreate|OpUpdate, "contacts.write"), WithScopes(OpList, "contacts.read"))
		require.NoError(t, err)
		s := newServer(t, func(mux *http.ServeMux) { ro.Routes(mux, "/v1"); scoped.Routes(mux, "/v1") })
		require.Equal(t, http.StatusMethodNotAllowed, s.do("POST", "/v1/ro", "alice", `{"name":"x"}`).status)
		require.Equal(t, http.StatusOK, s.do("GET", "/v1/ro", "alice", nil).status)

		r := s.do("POST", "/v1/scoped", "alice", `{"name":"x","privacy":"public"}`)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		denied := s.do("POST", "/v1/scoped", "bob", `{"name":"y"}`)
		requireProblem(t, denied, 403, CodeForbidden, "")
		require.Equal(t, `Bearer error="insufficient_scope", scope="contacts.write"`, denied.header.Get("WWW-Authenticate"))
		requireProblem(t, s.do("POST", "/v1/scoped", "", `{"name":"y"}`), 401, CodeUnauthenticated, "")
		denied = s.do("GET", "/v1/scoped", "bob", nil)
		requireProblem(t, denied, 403, CodeForbidden, "")
		require.Equal(t, `Bearer error="insufficient_scope", scope="contacts.read"`, denied.header.Get("WWW-Authenticate"))
		_, err = scoped.Create(as(t.Context(), bob), &contact{Name: "z"})
		var se *ScopeError
		require.ErrorAs(t, err, &se)
		require.Equal(t, []string{"contacts.write"}, se.Scopes)
		require.ErrorIs(t, err, ErrForbidden)
		require.Equal(t, http.StatusOK, s.do("GET", "/v1/scoped", "alice", nil).status)
		require.Equal(t, http.StatusOK, s.do("GET", "/v1/scoped/"+r.json(t)["id"].(string), "bob", nil).status, "get needs no scope")
	})
}

func TestNoVersionColumn(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		txt := "TEXT"
		if testenv.Dialect(db) == testenv.MySQL {
			txt = "VARCHAR(64)"
		}
		ts := map[string]string{testenv.Postgres: "TIMESTAMPTZ", testenv.MySQL: "DATETIME(6)", testenv.SQLite: "DATETIME"}[testenv.Dialect(db)]
		_, err := db.Exec(`CREATE TABLE categorized (id ` + txt + ` PRIMARY KEY, uid ` + txt + ` NOT NULL, name ` + txt + ` NOT NULL,
			category_id ` + txt + `, status ` + txt + ` NOT NULL, created ` + ts + ` NOT NULL)`)
		require.NoError(t, err)
		res, err := NewResource[categorized](db, "categorized", WithAuthorizer(testAuth{}),
			WithDefaultCategory(func(ctx context.Context, uid string) (string, error) { return "cat-" + uid, nil }))
		require.NoError(t, err)
		ctx := as(t.Context(), alice)
		c, err := res.Create(ctx, &categorized{Name: "a"})
		require.NoError(t, err)
		require.Equal(t, "cat-u-alice", *c.Category)
		c, err = res.Create(ctx, &categorized{Name: "b", Category: ptr("mine")})
		require.NoError(t, err)
		require.Equal(t, "mine", *c.Category)
		// No version column: no ETag, and If-Match can only be "*".
		require.Empty(t, res.ETag(c))
		_, err = res.UpdateIfMatch(ctx, c.ID, `"1"`, &categorized{Name: "x"}, "name")
		require.ErrorIs(t, err, ErrPreconditionFailed)
		up, err := res.UpdateIfMatch(ctx, c.ID, `*`, &categorized{Name: "x"}, "name")
		require.NoError(t, err)
		require.Equal(t, "x", up.Name)
		// Writing the same value again (MySQL reports 0 changed rows) succeeds.
		_, err = res.Update(ctx, c.ID, &categorized{Name: "x"}, "name")
		require.NoError(t, err)
	})
}

type privateNote struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	Name    string    `db:"name" json:"name" crud:"writable,required"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
}

// TestDefaultPrivacy: a new record without privacy takes the owner's
// default from WithDefaultPrivacy, else the most restrictive level; a
// level the client sends wins; an unknown level or an error fails.
func TestDefaultPrivacy(t *testing.T) {
	db := testenv.SQLiteDB(t)
	_, err := db.Exec(`CREATE TABLE privatenote (id TEXT PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL,
		privacy TEXT NOT NULL, status TEXT NOT NULL, created DATETIME NOT NULL)`)
	require.NoError(t, err)
	defaults := map[string]string{"u-alice": "public", "u-bob": ""}
	res, err := NewResource[privateNote](db, "privatenote", WithAuthorizer(testAuth{}), WithTable("privatenote"),
		WithDefaultPrivacy(func(ctx context.Context, uid string) (string, error) {
			if uid == "u-carol" {
				return "", errors.New("settings store down")
			}
			if uid == "u-dave" {
				return "bogus", nil
			}
			return defaults[uid], nil
		}))
	require.NoError(t, err)
	for _, c := range []struct {
		who     *testPrincipal
		sent    string
		want    string
		wantErr bool
	}{
		{who: alice, want: "public"},
		{who: alice, sent: "member", want: "member"},
		{who: bob, want: "secret"},
		{who: &testPrincipal{uid: "u-carol"}, wantErr: true},
		{who: &testPrincipal{uid: "u-dave"}, wantErr: true},
	} {
		got, err := res.Create(as(t.Context(), c.who), &privateNote{Name: "n", Privacy: c.sent})
		if c.wantErr {
			require.Error(t, err, "%s", c.who.uid)
			continue
		}
		require.NoError(t, err, "%s", c.who.uid)
		require.Equal(t, c.want, got.Privacy, "%s sent %q", c.who.uid, c.sent)
	}
}

// TestCommittedHook: Committed sees every write after its commit, with
// its operation and ids, and no write that failed.
func TestCommittedHook(t *testing.T) {
	db := testenv.SQLiteDB(t)
	type event struct {
		change Change
		ids    string
	}
	var mu sync.Mutex
	var got []event
	contacts := newContactsWithHooks(t, db, Hooks[contact]{
		Committed: func(ctx context.Context, c Change, ids ...string) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, event{c, strings.Join(ids, ",")})
		},
	})
	tc, err := NewTrashcan()
	require.NoError(t, err)
	require.NoError(t, tc.Register(contacts))
	ctx, cancel := context.WithCancel(as(t.Context(), alice))
	a, err := contacts.Create(ctx, &contact{Name: "a", Privacy: "public"})
	require.NoError(t, err)
	b, err := contacts.Create(ctx, &contact{Name: "b", Privacy: "public"})
	require.NoError(t, err)
	_, err = contacts.Update(ctx, a.ID, &contact{Name: "a2"}, "name")
	require.NoError(t, err)
	_, err = contacts.Update(as(t.Context(), bob), a.ID, &contact{Name: "x"}, "name")
	require.ErrorIs(t, err, ErrForbidden, "a refused write commits nothing")
	_, err = contacts.Create(ctx, &contact{Name: "b", Privacy: "public"})
	require.ErrorIs(t, err, ErrConflict, "a failed insert commits nothing")
	require.NoError(t, contacts.Delete(ctx, false, a.ID, b.ID))
	_, err = tc.Restore(ctx, "contact-"+a.ID)
	require.NoError(t, err)
	require.NoError(t, tc.Purge(ctx, "contact-"+b.ID))
	require.NoError(t, contacts.Delete(ctx, true, a.ID))
	cancel()
	want := []event{
		{ChangeCreated, a.ID}, {ChangeCreated, b.ID}, {ChangeUpdated, a.ID},
		{ChangeDeleted, a.ID + "," + b.ID}, {ChangeRestored, a.ID}, {ChangePurged, b.ID}, {ChangePurged, a.ID},
	}
	require.Equal(t, want, got)
	require.Equal(t, "restored", ChangeRestored.String())
}

// TestWriteAnswersAreRedacted: a record in the answer of a PUT or of a
// DELETE that asks for it back goes through AfterGet, as a GET's does, so
// a write never shows what a read redacts; when AfterGet fails after the
// write committed, the answer is 204 without the record.
func TestWriteAnswersAreRedacted(t *testing.T) {
	db := testenv.SQLiteDB(t)
	var fail atomic.Bool
	res := newContactsWithHooks(t, db, Hooks[contact]{
		AfterGet: func(ctx context.Context, rec *contact) error {
			if fail.Load() {
				return errors.New("redaction failed")
			}
			rec.Info = "redacted"
			return nil
		},
	})
	s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
	ctx := as(t.Context(), alice)
	for _, tc := range []struct {
		name, method string
		body         any
		headers      []string
	}{
		{"PUT", "PUT", map[string]any{"info": "s3cr3t"}, nil},
		{"DELETE with Accept: application/json", "DELETE", nil, []string{"Accept", "application/json"}},
		{"DELETE with Prefer: return=representation", "DELETE", nil, []string{"Prefer", "return=representation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, failing := range []bool{false, true} {
				fail.Store(failing)
				c, err := res.Create(ctx, &contact{Name: fmt.Sprint(tc.name, failing), Info: "s3cr3t"})
				require.NoError(t, err)
				r := s.do(tc.method, "/contact/"+c.ID, "alice", tc.body, tc.headers...)
				require.NotContains(t, string(r.body), "s3cr3t")
				if failing {
					require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
					continue
				}
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				require.Contains(t, string(r.body), `"info":"redacted"`)
			}
		})
	}
}

// TestHooksOfAnotherTypeDoNotCompile: hooks for another record type than
// the resource's are a compile error, not a run-time one. The program in
// testdata/hookmismatch gives a resource of notes the hooks of another
// type; building it must fail at that line.
func TestHooksOfAnotherTypeDoNotCompile(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipping: no go command: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), gobin, "build", "-o", os.DevNull, "./testdata/hookmismatch")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the mismatched hooks compiled:\n%s", out)
	require.Contains(t, string(out), "main.go:18", "the error is the hooks argument")
	require.Contains(t, string(out), "crud.Hooks[other]", string(out))
}
