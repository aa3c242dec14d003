package crud

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud/internal/querycount"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// TestActions: on request, each record of a get or a list carries the
// caller's actions on it, from the Authorizer's decisions, with no query
// more than the list itself; on every database.
func TestActions(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		createContactTable(t, db, "contact")
		pool, queries := querycount.Open(t, db)
		res, err := NewResource[contact](pool, "contact", WithAuthorizer(testAuth{}))
		require.NoError(t, err)
		ctx := t.Context()
		mine, err := res.Create(as(ctx, alice), &contact{Name: "Ann", Privacy: "public"})
		require.NoError(t, err)
		_, err = res.Create(as(ctx, alice), &contact{Name: "Bea", Privacy: "public"})
		require.NoError(t, err)

		for _, tc := range []struct {
			who  *testPrincipal
			want string
		}{{alice, "dru"}, {bob, "r"}, {admin, "dru"}, {nil, "r"}} {
			c := ctx
			if tc.who != nil {
				c = as(ctx, tc.who)
			}
			before := queries.Count()
			page, err := res.Find(c, Query{Actions: true})
			require.NoError(t, err)
			require.Equal(t, int64(1), queries.Count()-before, "the actions cost no query")
			require.Len(t, page.Items, 2)
			require.Equal(t, []string{tc.want, tc.want}, page.Actions)
			got, err := res.Actions(c, &page.Items[0])
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		}
		page, err := res.Find(as(ctx, alice), Query{})
		require.NoError(t, err)
		require.Nil(t, page.Actions, "not asked for")

		ro, err := NewResource[contact](pool, "contact", WithAuthorizer(testAuth{}), WithOps(ReadOnly))
		require.NoError(t, err)
		got, err := ro.Actions(as(ctx, alice), mine)
		require.NoError(t, err)
		require.Equal(t, "r", got, "a read-only resource offers no writes")

		s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "/api/v1") })
		r := s.do("GET", "/api/v1/contact?actions=true", "alice", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var body struct {
			Items []map[string]any `json:"items"`
		}
		require.NoError(t, json.Unmarshal(r.body, &body))
		require.Len(t, body.Items, 2)
		for _, it := range body.Items {
			require.Equal(t, "dru", it["rbac"])
			require.NotEmpty(t, it["name"])
		}
		r = s.do("GET", "/api/v1/contact/"+mine.ID+"?actions=1", "bob", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, "r", r.json(t)["rbac"])
		require.Equal(t, "Ann", r.json(t)["name"])
		require.NotEmpty(t, r.header.Get("ETag"))
		r = s.do("GET", "/api/v1/contact/"+mine.ID, "bob", nil)
		require.NotContains(t, r.json(t), "rbac")
		r = s.do("GET", "/api/v1/contact?actions=true&range=[0,9]", "admin", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var arr []map[string]any
		require.NoError(t, json.Unmarshal(r.body, &arr))
		require.Len(t, arr, 2)
		require.Equal(t, "dru", arr[0]["rbac"])
		requireProblem(t, s.do("GET", "/api/v1/contact?actions=maybe", "alice", nil), 400, CodeBadFilter, "actions")
		requireProblem(t, s.do("GET", "/api/v1/contact/"+mine.ID+"?actions=yes", "alice", nil), 400, CodeBadFilter, "actions")
	})
}

func TestWithActionsJSON(t *testing.T) {
	b, err := withActions(struct{}{}, "r")
	require.NoError(t, err)
	require.JSONEq(t, `{"rbac":"r"}`, string(b))
	b, err = withActions(map[string]int{"a": 1}, "dru")
	require.NoError(t, err)
	require.JSONEq(t, `{"rbac":"dru","a":1}`, string(b))
	_, err = withActions([]int{1}, "r")
	require.Error(t, err)
}
