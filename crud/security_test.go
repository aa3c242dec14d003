package crud

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// Regression tests for the defects of the Python apicrud listed in
// apicrud-behaviour.md §20 that concern crud. Each attacks the way the
// defect was exploited and passes because the attack fails.

// §20.4: BasicCRUD.update mass-assigned any column, so a user could PUT
// {"is_admin": true} on their own account; create accepted any column too.
func TestDefect04MassAssignment(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
		own, err := res.Create(as(t.Context(), alice), &contact{Name: "mine"})
		require.NoError(t, err)

		for _, body := range []string{
			`{"is_admin":true}`, `{"uid":"u-bob"}`, `{"status":"suspended"}`, `{"created":"2001-01-01T00:00:00Z"}`,
			`{"version":1000}`, `{"id":"x-other"}`, `{"secret":"planted"}`, `{"info":"ok","is_admin":true}`,
			`{"Is_Admin":true}`, `{"IsAdmin":true}`, `{"is_admin ":true}`,
		} {
			// Read-only fields are accepted only with their stored values (as
			// clients echo a record back); an echoed version is a precondition.
			r := s.do("PUT", "/contact/"+own.ID, "alice", body)
			require.Contains(t, []int{http.StatusBadRequest, http.StatusPreconditionFailed}, r.status, "PUT %s: %s", body, r.body)
			r = s.do("POST", "/contact", "alice", strings.Replace(body, "{", `{"name":"new",`, 1))
			require.Equal(t, http.StatusBadRequest, r.status, "POST %s: %s", body, r.body)
		}
		got, err := res.Get(as(t.Context(), alice), own.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), got.Version, "no attempt wrote anything")
		require.Equal(t, StatusActive, got.Status)
		// Through the Go API, non-writable fields of the record are ignored on
		// create and refused by name on update.
		c, err := res.Create(as(t.Context(), alice), &contact{Name: "go", IsAdmin: true, UID: "u-bob", Secret: "planted", Status: "x"})
		require.NoError(t, err)
		for _, f := range []string{"is_admin", "uid", "status", "created", "version", "id", "secret"} {
			_, err := res.Update(as(t.Context(), alice), c.ID, &contact{IsAdmin: true, UID: "u-bob"}, f)
			require.ErrorIs(t, err, ErrInvalid, f)
		}

		var n int
		require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM contact WHERE is_admin = ? OR secret <> ? OR uid <> ?"), true, "", alice.uid))
		require.Zero(t, n, "no server-controlled column was written")
		// A server-controlled field can never be configured writable.
		_, err = NewResource[contact](db, "contact", WithAuthorizer(testAuth{}), WithWritable("name", "uid"))
		require.ErrorIs(t, err, ErrConfig)
	})
}

// §20.5: relationship changes were applied (and committed) before the
// permission check, so anyone could change another user's list members.
func TestDefect05RelatedRowsBeforeAuthorization(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		failTag := "fail"
		hooks := Hooks[contact]{
			AfterCreate: func(ctx context.Context, tx *sqlx.Tx, rec *contact) error {
				_, err := tx.ExecContext(ctx, tx.Rebind("INSERT INTO contact_tag (contact_id, tag) VALUES (?, ?)"), rec.ID, "created:"+rec.Info)
				if err == nil && rec.Info == failTag {
					err = errors.New("related write failed")
				}
				return err
			},
			AfterUpdate: func(ctx context.Context, tx *sqlx.Tx, old, rec *contact) error {
				if _, err := tx.ExecContext(ctx, tx.Rebind("INSERT INTO contact_tag (contact_id, tag) VALUES (?, ?)"), rec.ID, "updated:"+rec.Info); err != nil {
					return err
				}
				if rec.Info == failTag {
					return &StatusError{Status: http.StatusUnprocessableEntity, Code: "contact.rejected", Detail: "rejected by hook"}
				}
				return nil
			},
		}
		res := newContactsWithHooks(t, db, hooks)
		s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
		tags := func(id string) []string {
			var out []string
			require.NoError(t, db.Select(&out, db.Rebind("SELECT tag FROM contact_tag WHERE contact_id = ? ORDER BY tag"), id))
			return out
		}

		r := s.do("POST", "/contact", "alice", `{"name":"public","privacy":"public","info":"a"}`)
		require.Equal(t, http.StatusCreated, r.status)
		id := r.json(t)["id"].(string)
		require.Equal(t, []string{"created:a"}, tags(id))

		// Bob can read the record but not write it: nothing related is written.
		r = s.do("PUT", "/contact/"+id, "bob", `{"info":"bob"}`)
		require.Equal(t, http.StatusForbidden, r.status)
		r = s.do("PUT", "/contact/"+id, "", `{"info":"anon"}`)
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.Equal(t, []string{"created:a"}, tags(id))

		// A failing related write rolls back the record's own change.
		r = s.do("PUT", "/contact/"+id, "alice", `{"info":"fail","rank":5}`)
		requireProblem(t, r, http.StatusUnprocessableEntity, "contact.rejected", "")
		got, err := res.Get(as(t.Context(), alice), id)
		require.NoError(t, err)
		require.Equal(t, "a", got.Info)
		require.Zero(t, got.Rank)
		require.Equal(t, []string{"created:a"}, tags(id))

		// And a failing related write on create leaves no record.
		r = s.do("POST", "/contact", "alice", `{"name":"doomed","info":"fail"}`)
		requireProblem(t, r, http.StatusInternalServerError, CodeInternal, "")
		require.NotContains(t, string(r.body), "related write failed", "hook error text is not shown")
		var n int
		require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM contact WHERE name = ?"), "doomed"))
		require.Zero(t, n)
	})
}

// §20.15: create errors echoed str(body), secrets included, in a "data" field.
func TestDefect15ErrorsDoNotEchoBodies(t *testing.T) {
	db := testenv.SQLiteDB(t)
	res := newContacts(t, db)
	s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
	require.Equal(t, http.StatusCreated, s.do("POST", "/contact", "alice", `{"name":"dup","info":"hunter2-secret"}`).status)
	for _, r := range []response{
		s.do("POST", "/contact", "alice", `{"name":"dup","info":"hunter2-secret"}`),
		s.do("POST", "/contact", "alice", `{"name":"x","rank":"hunter2-secret"}`),
		s.do("POST", "/contact", "alice", `{"name":"x","label":"hunter2-secret"}`),
	} {
		require.GreaterOrEqual(t, r.status, 400)
		require.NotContains(t, string(r.body), "hunter2", string(r.body))
		require.NotContains(t, r.json(t), "data")
	}
}

// §20.17: authenticated JSON carried Cache-Control: max-age=30.
func TestDefect17NoStoreOnAuthenticatedJSON(t *testing.T) {
	db := testenv.SQLiteDB(t)
	res := newContacts(t, db)
	tc, err := NewTrashcan()
	require.NoError(t, err)
	require.NoError(t, tc.Register(res))
	s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, ""); tc.Routes(mux, "") })
	r := s.do("POST", "/contact", "alice", `{"name":"c"}`)
	id := r.json(t)["id"].(string)
	for _, r := range []response{
		r,
		s.do("GET", "/contact/"+id, "alice", nil),
		s.do("GET", "/contact", "alice", nil),
		s.do("PUT", "/contact/"+id, "alice", `{"info":"i"}`),
		s.do("GET", "/contact/x-missing", "alice", nil),
		s.do("DELETE", "/contact/"+id, "alice", nil),
		s.do("GET", "/trashcan", "alice", nil),
		s.do("GET", "/trashcan/contact-"+id, "alice", nil),
	} {
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
	}
}

// §20.7: ids came from a non-cryptographic generator with about 30 random bits.
func TestDefect07IDsAreUnguessable(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := newID("x-")
		require.Len(t, id, 2+16)
		require.True(t, validID(id))
		require.False(t, seen[id])
		seen[id] = true
	}
}

// §20.13: privacy was checked against the caller's first membership id
// rather than the record's own list, so a member of any list could read
// every member-privacy record. crud passes the record's own membership
// attribute to the Authorizer, in get and in the list filter alike.
func TestDefect13MembershipFromTheRecord(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		owner := &testPrincipal{uid: "u-owner", lists: []string{"l-1", "l-2"}}
		ctx := as(t.Context(), owner)
		in1, err := res.Create(ctx, &contact{Name: "in l-1", ListID: ptr("l-1"), Privacy: "member"})
		require.NoError(t, err)
		in2, err := res.Create(ctx, &contact{Name: "in l-2", ListID: ptr("l-2"), Privacy: "member"})
		require.NoError(t, err)
		noList, err := res.Create(ctx, &contact{Name: "no list", Privacy: "member"})
		require.NoError(t, err)

		// Bob is a member of l-1 only (his first and only membership).
		_, err = res.Get(as(t.Context(), bob), in1.ID)
		require.NoError(t, err)
		for _, id := range []string{in2.ID, noList.ID} {
			_, err = res.Get(as(t.Context(), bob), id)
			require.ErrorIs(t, err, ErrNotFound)
		}
		page, err := res.Find(as(t.Context(), bob), Query{})
		require.NoError(t, err)
		require.Equal(t, []string{in1.ID}, ids(page.Items))
	})
}
