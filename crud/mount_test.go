package crud

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/route"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// routerKey stands for a router's own context value.
type routerKey struct{}

// TestHandlerRecordsRoute: each route records its own pattern (with the
// prefix it was mounted at) for the metrics middleware, through any number
// of request copies, and the mounted handler answers what it does not
// serve as problem+json.
func TestHandlerRecordsRoute(t *testing.T) {
	db := testenv.SQLiteDB(t)
	contacts := newContacts(t, db)
	tc, err := NewTrashcan()
	require.NoError(t, err)
	require.NoError(t, tc.Register(contacts))
	api, err := NewAPI("/deep/er/prefix")
	require.NoError(t, err)
	require.NoError(t, api.Register(contacts, tc))
	for _, c := range []struct {
		h                     http.Handler
		method, path, pattern string
		code                  int
	}{
		{api.Handler(), "GET", "/deep/er/prefix/contact", "/deep/er/prefix/contact", 200},
		{api.Handler(), "GET", "/deep/er/prefix/contact/c-1", "/deep/er/prefix/contact/{id}", 404},
		{api.Handler(), "GET", "/deep/er/prefix/trashcan/x", "/deep/er/prefix/trashcan/{id}", 404},
		{api.Handler(), "GET", "/deep/er/prefix/openapi.json", "/deep/er/prefix/openapi.json", 200},
		{api.Handler(), "PATCH", "/deep/er/prefix/contact/c-1", "", 405},
		{api.Handler(), "GET", "/deep/er/prefix/contact/c-1/x", "", 404},
		{api.Handler(), "GET", "/api/v1/contact", "", 404},
		{contacts.Handler(""), "GET", "/contact/c-1", "/contact/{id}", 404},
		{tc.Handler("/t"), "GET", "/t/trashcan", "/t/trashcan", 200},
	} {
		ctx, label := route.With(as(context.Background(), admin))
		req := httptest.NewRequestWithContext(ctx, c.method, c.path, nil)
		req = req.WithContext(context.WithValue(req.Context(), routerKey{}, 1)) // a router's copy
		w := httptest.NewRecorder()
		c.h.ServeHTTP(w, req)
		require.Equal(t, c.code, w.Code, "%s %s: %s", c.method, c.path, w.Body)
		require.Equal(t, c.pattern, label.Pattern(), "%s %s", c.method, c.path)
		if c.code >= 400 {
			require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), "%s %s", c.method, c.path)
		}
		if c.code == 405 {
			require.NotEmpty(t, w.Header().Get("Allow"))
		}
	}
}

// TestTrashcanRange: react-admin's list of the trashcan (ra-data-simple-rest
// sends range and sort=["id","ASC"]) answers an array and Content-Range.
func TestTrashcanRange(t *testing.T) {
	db := testenv.SQLiteDB(t)
	contacts := newContacts(t, db)
	tc, err := NewTrashcan()
	require.NoError(t, err)
	require.NoError(t, tc.Register(contacts))
	s := newServer(t, func(mux *http.ServeMux) { contacts.Routes(mux, ""); tc.Routes(mux, "") })
	for i := range 5 {
		id := s.do("POST", "/contact", "admin", map[string]any{"name": "n" + string(rune('a'+i))}).json(t)["id"].(string)
		require.Equal(t, http.StatusNoContent, s.do("DELETE", "/contact/"+id, "admin", nil).status)
	}
	r := s.do("GET", `/trashcan?sort=["id","ASC"]&range=[0,2]&filter={}`, "admin", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Equal(t, "trashcan 0-2/5", r.header.Get("Content-Range"))
	var first []map[string]any
	require.NoError(t, json.Unmarshal(r.body, &first))
	require.Len(t, first, 3)
	r = s.do("GET", `/trashcan?sort=["id","ASC"]&range=[3,5]`, "admin", nil)
	require.Equal(t, "trashcan 3-4/5", r.header.Get("Content-Range"))
	var rest []map[string]any
	require.NoError(t, json.Unmarshal(r.body, &rest))
	require.Len(t, rest, 2)
	require.NotEqual(t, first[0]["id"], rest[0]["id"])
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/trashcan?sort=["name","DESC"]&range=[0,2]`, "admin", nil).status)
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/trashcan?range=[2,1]`, "admin", nil).status)
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/trashcan?range=[0,100000]`, "admin", nil).status)
}
