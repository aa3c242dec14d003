package crud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestReactAdminSimpleRest sends the requests of react-admin's
// ra-data-simple-rest data provider, as it builds them (JSON-encoded sort,
// range and filter; Accept: application/json on every call; DELETE with
// Content-Type text/plain), and checks the answers it reads.
func TestReactAdminSimpleRest(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
		ra := func(method, path string, body any) response {
			t.Helper()
			hdr := []string{"Accept", "application/json"}
			if method == "DELETE" {
				hdr = append(hdr, "Content-Type", "text/plain")
			}
			return s.do(method, path, "alice", body, hdr...)
		}
		list := func(params map[string]any) string {
			v := url.Values{}
			for k, x := range params {
				b, _ := json.Marshal(x)
				v.Set(k, string(b))
			}
			return "/contact?" + v.Encode()
		}
		var ids []string
		for i, label := range []any{"home", nil, "work", nil, "home"} {
			r := ra("POST", "/contact", map[string]any{"name": fmt.Sprintf("ra %d", i), "info": fmt.Sprint("info ", i), "label": label, "list_id": nil})
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			ids = append(ids, r.json(t)["id"].(string))
		}

		t.Run("getList with sort, range, filter and q", func(t *testing.T) {
			r := ra("GET", list(map[string]any{"sort": []string{"name", "DESC"}, "range": []int{0, 1}, "filter": map[string]any{"q": "RA "}}), nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var arr []map[string]any
			require.NoError(t, json.Unmarshal(r.body, &arr))
			require.Len(t, arr, 2)
			require.Equal(t, "ra 4", arr[0]["name"])
			require.Equal(t, "contact 0-1/5", r.header.Get("Content-Range"))
		})
		t.Run("getList sorted by a nullable column", func(t *testing.T) {
			for _, dir := range []string{"ASC", "DESC"} {
				r := ra("GET", list(map[string]any{"sort": []string{"label", dir}, "range": []int{0, 9}, "filter": map[string]any{}}), nil)
				require.Equal(t, http.StatusOK, r.status, string(r.body))
				var arr []map[string]any
				require.NoError(t, json.Unmarshal(r.body, &arr))
				require.Len(t, arr, 5)
				nullsAt := map[string]int{"ASC": 3, "DESC": 0}[dir]
				require.Nil(t, arr[nullsAt]["label"], "%s: NULLs last ascending, first descending", dir)
			}
		})
		t.Run("getOne", func(t *testing.T) {
			r := ra("GET", "/contact/"+ids[0], nil)
			require.Equal(t, http.StatusOK, r.status)
			require.Equal(t, ids[0], r.json(t)["id"])
		})
		t.Run("getMany answers an array", func(t *testing.T) {
			r := ra("GET", list(map[string]any{"filter": map[string]any{"id": ids[:2]}}), nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var arr []map[string]any
			require.NoError(t, json.Unmarshal(r.body, &arr), string(r.body))
			require.Len(t, arr, 2)
			// A keyset client asking for a page keeps its object.
			r = ra("GET", list(map[string]any{"filter": map[string]any{"id": ids[:2]}, "limit": 10}), nil)
			require.Contains(t, r.json(t), "items")
		})
		t.Run("getManyReference", func(t *testing.T) {
			r := ra("GET", list(map[string]any{"sort": []string{"id", "ASC"}, "range": []int{0, 24}, "filter": map[string]any{"label": "home"}}), nil)
			require.Equal(t, http.StatusOK, r.status)
			var arr []map[string]any
			require.NoError(t, json.Unmarshal(r.body, &arr))
			require.Len(t, arr, 2)
			require.Equal(t, "contact 0-1/2", r.header.Get("Content-Range"))
		})
		t.Run("update and updateMany", func(t *testing.T) {
			for _, id := range ids[:2] {
				r := ra("PUT", "/contact/"+id, map[string]any{"info": "changed"})
				require.Equal(t, http.StatusOK, r.status, string(r.body))
				require.Equal(t, id, r.json(t)["id"])
			}
		})
		t.Run("delete and deleteMany answer the record", func(t *testing.T) {
			for _, id := range ids[3:] {
				r := ra("DELETE", "/contact/"+id, nil)
				require.Equal(t, http.StatusOK, r.status, string(r.body))
				m := r.json(t)
				require.Equal(t, id, m["id"])
				require.Equal(t, StatusDisabled, m["status"])
			}
			// Other clients still get 204.
			r := s.do("DELETE", "/contact/"+ids[2], "alice", nil)
			require.Equal(t, http.StatusNoContent, r.status)
			require.Empty(t, r.body)
			r = s.do("DELETE", "/contact/"+ids[1]+"?force=true", "alice", nil, "Prefer", "return=representation")
			require.Equal(t, http.StatusOK, r.status)
			require.Equal(t, ids[1], r.json(t)["id"])
		})
	})
}
