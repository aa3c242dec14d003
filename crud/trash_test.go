package crud

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// note is a second record type: no version and no modified column.
type note struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	Subject string    `db:"subject" json:"subject" crud:"writable,required"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable,default=public"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
}

func newNotes(t testing.TB, db *sqlx.DB) *Resource[note] {
	t.Helper()
	ts := map[string]string{testenv.Postgres: "TIMESTAMPTZ", testenv.MySQL: "DATETIME(6)", testenv.SQLite: "DATETIME"}[testenv.Dialect(db)]
	txt := "TEXT"
	if testenv.Dialect(db) == testenv.MySQL {
		txt = "VARCHAR(64)"
	}
	_, err := db.Exec(`CREATE TABLE note (id ` + txt + ` PRIMARY KEY, uid ` + txt + ` NOT NULL, subject ` + txt + ` NOT NULL,
		privacy ` + txt + ` NOT NULL, status ` + txt + ` NOT NULL, created ` + ts + ` NOT NULL)`)
	require.NoError(t, err)
	res, err := NewResource[note](db, "note", WithAuthorizer(testAuth{}), WithIDPrefix("n-"))
	require.NoError(t, err)
	return res
}

func TestTrashcan(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		contacts := newContacts(t, db)
		notes := newNotes(t, db)
		tc, err := NewTrashcan()
		require.NoError(t, err)
		require.NoError(t, tc.Register(contacts, notes))
		require.ErrorIs(t, tc.Register(notes), ErrConfig)

		actx, bctx, adm := as(t.Context(), alice), as(t.Context(), bob), as(t.Context(), admin)
		var cids, nids []string
		for i := range 5 {
			c, err := contacts.Create(actx, &contact{Name: fmt.Sprint("c", i), Privacy: "public"})
			require.NoError(t, err)
			cids = append(cids, c.ID)
			n, err := notes.Create(actx, &note{Subject: fmt.Sprint("n", i)})
			require.NoError(t, err)
			nids = append(nids, n.ID)
		}
		bobNote, err := notes.Create(bctx, &note{Subject: "bob's"})
		require.NoError(t, err)
		require.NoError(t, contacts.Delete(actx, false, cids[:4]...))
		require.NoError(t, notes.Delete(actx, false, nids[:3]...))
		require.NoError(t, notes.Delete(bctx, false, bobNote.ID))

		t.Run("list pages across resources", func(t *testing.T) {
			var got []TrashItem
			q := Query{Limit: 3}
			for pages := 0; ; pages++ {
				require.Less(t, pages, 5)
				page, err := tc.List(actx, q)
				require.NoError(t, err)
				require.Equal(t, int64(7), page.Count)
				got = append(got, page.Items...)
				if page.CursorNext == "" {
					break
				}
				q.Cursor = page.CursorNext
			}
			require.Len(t, got, 7)
			require.Equal(t, "contact", got[0].Resource)
			require.Equal(t, "note", got[6].Resource)
			for _, it := range got {
				require.Equal(t, it.Resource+"-"+it.RecordID, it.ID)
				require.Equal(t, "u-alice", it.UID)
				require.Equal(t, StatusDisabled, it.Status)
				require.NotEmpty(t, it.Name)
				require.NotNil(t, it.Created)
			}
		})

		t.Run("permissions", func(t *testing.T) {
			page, err := tc.List(bctx, Query{})
			require.NoError(t, err)
			require.Len(t, page.Items, 1, "bob sees only his own deleted note")
			require.Equal(t, "note-"+bobNote.ID, page.Items[0].ID)

			page, err = tc.List(adm, Query{})
			require.NoError(t, err)
			require.Len(t, page.Items, 8)

			// Public records alice deleted are readable by bob, but not deletable: hidden.
			_, err = tc.Get(bctx, "contact-"+cids[0])
			require.ErrorIs(t, err, ErrNotFound)
			_, err = tc.Restore(bctx, "contact-"+cids[0])
			require.ErrorIs(t, err, ErrNotFound)
			require.ErrorIs(t, tc.Purge(bctx, "contact-"+cids[0]), ErrNotFound)
			// Not deleted: not in the trashcan.
			_, err = tc.Get(actx, "contact-"+cids[4])
			require.ErrorIs(t, err, ErrNotFound)
			for _, id := range []string{"", "contact", "nosuch-x-1", "contact-", "contact-bad id"} {
				_, err = tc.Get(actx, id)
				require.ErrorIs(t, err, ErrNotFound, id)
			}
		})

		t.Run("filter", func(t *testing.T) {
			page, err := tc.List(actx, Query{Filter: map[string]any{"resource": "note"}})
			require.NoError(t, err)
			require.Len(t, page.Items, 3)
			page, err = tc.List(actx, Query{Filter: map[string]any{"resource": []any{"note"}, "subject": "n1"}})
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			_, err = tc.List(actx, Query{Filter: map[string]any{"subject": "n1"}})
			require.ErrorIs(t, err, ErrInvalid, "contact has no subject")
			_, err = tc.List(actx, Query{Offset: 1})
			require.ErrorIs(t, err, ErrInvalid)
			page, err = tc.List(actx, Query{Limit: 1})
			require.NoError(t, err)
			_, err = tc.List(actx, Query{Limit: 1, Cursor: page.CursorNext, Filter: map[string]any{"resource": "contact"}})
			require.ErrorIs(t, err, ErrInvalid, "cursor for another filter")
		})

		t.Run("get restore purge", func(t *testing.T) {
			rec, err := tc.Get(actx, "contact-"+cids[0])
			require.NoError(t, err)
			require.Equal(t, cids[0], rec.(*contact).ID)

			rec, err = tc.Restore(actx, "contact-"+cids[0])
			require.NoError(t, err)
			require.Equal(t, StatusActive, rec.(*contact).Status)
			got, err := contacts.Get(actx, cids[0])
			require.NoError(t, err)
			require.Equal(t, StatusActive, got.Status)

			rec, err = tc.Restore(actx, "note-"+nids[0])
			require.NoError(t, err)
			require.Equal(t, StatusActive, rec.(*note).Status)

			require.ErrorIs(t, tc.Purge(actx, "contact-"+cids[1], "contact-"+cids[4]), ErrNotFound, "cids[4] is not deleted")
			_, err = tc.Get(actx, "contact-"+cids[1])
			require.NoError(t, err, "nothing purged when one id fails")
			require.NoError(t, tc.Purge(actx, "contact-"+cids[1], "note-"+nids[1]))
			_, err = tc.Get(actx, "contact-"+cids[1])
			require.ErrorIs(t, err, ErrNotFound)
			var n int
			require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM note WHERE id = ?"), nids[1]))
			require.Zero(t, n)
		})

		t.Run("http", func(t *testing.T) {
			s := newServer(t, func(mux *http.ServeMux) { tc.Routes(mux, "/api/v1") })
			r := s.do("GET", "/api/v1/trashcan?limit=1", "alice", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.Equal(t, "trashcan 0-0/3", r.header.Get("Content-Range"))
			require.Equal(t, "3", r.header.Get("X-Total-Count"))
			item := r.json(t)["items"].([]any)[0].(map[string]any)
			id := item["id"].(string)

			r = s.do("GET", "/api/v1/trashcan/"+id, "alice", nil)
			require.Equal(t, http.StatusOK, r.status)
			requireProblem(t, s.do("GET", "/api/v1/trashcan/"+id, "bob", nil), 404, CodeNotFound, "")
			requireProblem(t, s.do("PUT", "/api/v1/trashcan/"+id, "alice", `{"status":"suspended"}`), 400, CodeInvalidValue, "status")
			requireProblem(t, s.do("PUT", "/api/v1/trashcan/"+id, "alice", `{"uid":"u-bob"}`), 400, CodeUnknownField, "uid")
			r = s.do("PUT", "/api/v1/trashcan/"+id, "alice", `{"status":"active"}`)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.Equal(t, "active", r.json(t)["status"])

			r = s.do("GET", "/api/v1/trashcan", "alice", nil)
			items := r.json(t)["items"].([]any)
			require.Len(t, items, 2)
			ids := items[0].(map[string]any)["id"].(string) + "," + items[1].(map[string]any)["id"].(string)
			requireProblem(t, s.do("DELETE", "/api/v1/trashcan/"+ids, "bob", nil), 404, CodeNotFound, "")
			r = s.do("DELETE", "/api/v1/trashcan/"+ids, "alice", nil)
			require.Equal(t, http.StatusNoContent, r.status, string(r.body))
			r = s.do("GET", "/api/v1/trashcan", "alice", nil)
			require.JSONEq(t, `{"items":[],"count":0}`, string(r.body))
			requireProblem(t, s.do("GET", "/api/v1/trashcan?offset=1", "alice", nil), 400, CodeBadOffset, "offset")
		})
	})
}
