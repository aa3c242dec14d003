package crud

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestConcurrentWriters checks that concurrent writers never lose an
// update and that the owner limit holds under concurrent creates.
func TestConcurrentWriters(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		const writers = 6

		t.Run("If-Match: one of several writers wins", func(t *testing.T) {
			res := newContacts(t, db)
			s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
			actx := as(t.Context(), alice)
			c, err := res.Create(actx, &contact{Name: "race"})
			require.NoError(t, err)
			etag := res.ETag(c)
			var ok, stale atomic.Int32
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					r := s.do("PUT", "/contact/"+c.ID, "alice", map[string]any{"info": fmt.Sprint(i)}, "If-Match", etag)
					switch r.status {
					case http.StatusOK:
						ok.Add(1)
					case http.StatusPreconditionFailed:
						stale.Add(1)
					default:
						t.Errorf("status %d: %s", r.status, r.body)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(1), ok.Load())
			require.Equal(t, int32(writers-1), stale.Load())
			got, err := res.Get(actx, c.ID)
			require.NoError(t, err)
			require.Equal(t, int64(2), got.Version)
		})

		t.Run("no lost update without If-Match", func(t *testing.T) {
			db2 := db
			createContactTable(t, db2, "contact2")
			res, err := NewResource[contact](db2, "contact", WithTable("contact2"), WithAuthorizer(testAuth{}))
			require.NoError(t, err)
			actx := as(t.Context(), alice)
			c, err := res.Create(actx, &contact{Name: "merge"})
			require.NoError(t, err)
			changes := []struct {
				field string
				rec   contact
			}{
				{"info", contact{Info: "i"}}, {"rank", contact{Rank: 9}}, {"muted", contact{Muted: true}},
				{"label", contact{Label: ptr("work")}}, {"privacy", contact{Privacy: "public"}}, {"name", contact{Name: "merged"}},
			}
			var wg sync.WaitGroup
			for _, ch := range changes {
				wg.Go(func() {
					if _, err := res.Update(actx, c.ID, &ch.rec, ch.field); err != nil {
						t.Errorf("%s: %v", ch.field, err)
					}
				})
			}
			wg.Wait()
			got, err := res.Get(actx, c.ID)
			require.NoError(t, err)
			require.Equal(t, "i", got.Info)
			require.Equal(t, 9, got.Rank)
			require.True(t, got.Muted)
			require.Equal(t, "work", *got.Label)
			require.Equal(t, "public", got.Privacy)
			require.Equal(t, "merged", got.Name)
			require.Equal(t, int64(1+len(changes)), got.Version)
		})

		t.Run("owner limit holds under concurrent creates", func(t *testing.T) {
			createContactTable(t, db, "contact3")
			const limit = 3
			res, err := NewResource[contact](db, "contact", WithTable("contact3"), WithAuthorizer(testAuth{}),
				WithOwnerLimit("contacts", fixedLimits(limit)))
			require.NoError(t, err)
			actx := as(t.Context(), alice)
			var ok, over atomic.Int32
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					_, err := res.Create(actx, &contact{Name: fmt.Sprint("c", i)})
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, ErrLimitExceeded):
						over.Add(1)
					default:
						t.Errorf("create: %v", err)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(limit), ok.Load())
			require.Equal(t, int32(writers-limit), over.Load())
			var n int
			require.NoError(t, db.Get(&n, "SELECT COUNT(*) FROM contact3"))
			require.Equal(t, limit, n)

			// Soft-deleted records do not count.
			page, err := res.Find(actx, Query{})
			require.NoError(t, err)
			require.NoError(t, res.Delete(actx, false, page.Items[0].ID))
			_, err = res.Create(actx, &contact{Name: "after delete"})
			require.NoError(t, err)
			_, err = res.Create(actx, &contact{Name: "over"})
			require.ErrorIs(t, err, ErrLimitExceeded)
			// Another owner has a budget of their own.
			_, err = res.Create(as(t.Context(), bob), &contact{Name: "bob's"})
			require.NoError(t, err)
		})

		t.Run("limit lookup failure fails closed", func(t *testing.T) {
			createContactTable(t, db, "contact4")
			res, err := NewResource[contact](db, "contact", WithTable("contact4"), WithAuthorizer(testAuth{}),
				WithOwnerLimit("contacts", fixedLimits(-1)))
			require.NoError(t, err)
			_, err = res.Create(as(t.Context(), alice), &contact{Name: "x"})
			require.Error(t, err)
			var n int
			require.NoError(t, db.Get(&n, "SELECT COUNT(*) FROM contact4"))
			require.Zero(t, n)
		})
	})
}
