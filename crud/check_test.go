package crud

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestCheckNamesMissingTable: a resource over a table (or a column) that
// does not exist fails its Check with ErrSchema naming the table, and an
// operation that meets it wraps ErrSchema too, on every database.
func TestCheckNamesMissingTable(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := as(t.Context(), alice)
		missing, err := NewResource[contact](db, "ghost", WithAuthorizer(testAuth{}))
		require.NoError(t, err)
		err = missing.Check(t.Context())
		require.ErrorIs(t, err, ErrSchema)
		require.Contains(t, err.Error(), "ghost")

		_, err = missing.Find(ctx, Query{})
		require.ErrorIs(t, err, ErrSchema)
		require.Contains(t, err.Error(), "ghost")
		require.Equal(t, http.StatusInternalServerError, problemFor(httptest.NewRecorder(), err).Status)

		// A table that lacks a column of the record type.
		_, err = db.Exec(`CREATE TABLE half (id VARCHAR(64) PRIMARY KEY, name VARCHAR(64))`)
		require.NoError(t, err)
		half, err := NewResource[contact](db, "half", WithAuthorizer(testAuth{}))
		require.NoError(t, err)
		err = half.Check(t.Context())
		require.ErrorIs(t, err, ErrSchema)
		require.Contains(t, err.Error(), "half")

		good := newContacts(t, db)
		require.NoError(t, good.Check(t.Context()))

		api, err := NewAPI("/api")
		require.NoError(t, err)
		tc, err := NewTrashcan()
		require.NoError(t, err)
		require.NoError(t, api.Register(good, tc))
		require.NoError(t, api.Check(t.Context()))
		require.NoError(t, api.Register(missing, half))
		err = api.Check(t.Context())
		require.ErrorIs(t, err, ErrSchema)
		require.True(t, strings.Contains(err.Error(), "ghost") && strings.Contains(err.Error(), "half"), err.Error())
	})
}

// TestStatusFilter: a filter on a known status that matches nothing is an
// empty page; an unknown status is a 400 listing the allowed ones.
func TestStatusFilter(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		ctx := as(t.Context(), alice)
		_, err := res.Create(ctx, &contact{Name: "Ann"})
		require.NoError(t, err)

		page, err := res.Find(ctx, Query{Filter: map[string]any{"status": "disabled"}})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		page, err = res.Find(ctx, Query{Filter: map[string]any{"status": "unconfirmed"}})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		page, err = res.Find(ctx, Query{Filter: map[string]any{"status": "active"}})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)

		for _, f := range []map[string]any{
			{"status": "bogus"}, {"status": []any{"active", "bogus"}}, {"status": map[string]any{"ne": "bogus"}},
			{"status_neq": "bogus"}, {"or": []any{map[string]any{"status": "bogus"}}},
		} {
			_, err = res.Find(ctx, Query{Filter: f})
			var fe *FieldError
			require.ErrorAs(t, err, &fe, "%v", f)
			require.Equal(t, CodeInvalidValue, fe.Code)
			require.Contains(t, fe.Reason, "active, disabled, unconfirmed")
		}

		s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "/api/v1") })
		requireProblem(t, s.do("GET", `/api/v1/contact?filter={"status":"suspended"}`, "alice", nil), 400, CodeInvalidValue, "filter.status")
		r := s.do("GET", `/api/v1/contact?filter={"status":"disabled"}`, "alice", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
	})
}

// TestStatusEnumMustKeepCrudStatuses: a status enum without "active" or
// "disabled" is refused, since crud writes both.
func TestStatusEnumMustKeepCrudStatuses(t *testing.T) {
	type rec struct {
		ID     string `db:"id" json:"id"`
		Status string `db:"status" json:"status" crud:"enum=active|pending"`
	}
	_, err := NewResource[rec](testenv.SQLiteDB(t), "rec", WithAuthorizer(testAuth{}))
	require.ErrorIs(t, err, ErrConfig)
	require.Contains(t, err.Error(), `"disabled"`)
}
