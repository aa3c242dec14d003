package crud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/problem"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// requireProblem checks a problem+json response.
func requireProblem(t *testing.T, r response, status int, code, field string) {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	require.Equal(t, problem.ContentType, r.header.Get("Content-Type"))
	require.Equal(t, "no-store", r.header.Get("Cache-Control"))
	p := r.json(t)
	require.Equal(t, code, p["code"], string(r.body))
	if field != "" {
		require.Equal(t, field, p["field"], string(r.body))
	}
}

// TestHTTP runs the operations through httptest on every database.
func TestHTTP(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db, WithMaxBody(4096))
		s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "/api/v1") })

		var id, etag string
		t.Run("create", func(t *testing.T) {
			r := s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": "Ann", "rank": 3, "privacy": "public", "label": "home"})
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			id = r.json(t)["id"].(string)
			require.Equal(t, "/api/v1/contact/"+id, r.header.Get("Location"))
			require.Equal(t, `"1"`, r.header.Get("ETag"))
			require.Equal(t, "no-store", r.header.Get("Cache-Control"))
			require.Equal(t, "application/json", r.header.Get("Content-Type"))
		})

		t.Run("create errors", func(t *testing.T) {
			cases := []struct {
				name, user, ctype string
				body              any
				status            int
				code, field       string
			}{
				{"unknown field", "alice", "", `{"name":"x","nickname":"y"}`, 400, CodeUnknownField, "nickname"},
				{"hidden field", "alice", "", `{"name":"x","secret":"y"}`, 400, CodeUnknownField, "secret"},
				{"uid", "alice", "", `{"name":"x","uid":"u-bob"}`, 400, CodeReadOnly, "uid"},
				{"is_admin", "alice", "", `{"name":"x","is_admin":true}`, 400, CodeReadOnly, "is_admin"},
				{"status", "alice", "", `{"name":"x","status":"active"}`, 400, CodeReadOnly, "status"},
				{"created", "alice", "", `{"name":"x","created":"2020-01-01T00:00:00Z"}`, 400, CodeReadOnly, "created"},
				{"id", "alice", "", `{"name":"x","id":"x-chosen"}`, 400, CodeReadOnly, "id"},
				{"wrong type", "alice", "", `{"name":"x","rank":"three"}`, 400, CodeInvalidValue, "rank"},
				{"null for non-null", "alice", "", `{"name":"x","rank":null}`, 400, CodeInvalidValue, "rank"},
				{"missing required", "alice", "", `{"info":"x"}`, 400, CodeRequired, "name"},
				{"empty required", "alice", "", `{"name":""}`, 400, CodeRequired, "name"},
				{"enum", "alice", "", `{"name":"x","label":"boat"}`, 400, CodeInvalidValue, "label"},
				{"privacy level", "alice", "", `{"name":"x","privacy":"everyone"}`, 400, CodeInvalidValue, "privacy"},
				{"not an object", "alice", "", `["name"]`, 400, CodeInvalidJSON, "body"},
				{"trailing data", "alice", "", `{"name":"x"} {}`, 400, CodeInvalidJSON, "body"},
				{"bad json", "alice", "", `{"name":`, 400, CodeInvalidJSON, "body"},
				{"too large", "alice", "", `{"name":"` + strings.Repeat("a", 5000) + `"}`, 413, CodeTooLarge, ""},
				{"wrong content type", "alice", "text/plain", `{"name":"x"}`, 415, CodeUnsupportedMedia, ""},
				{"no content type", "alice", "-", `{"name":"x"}`, 415, CodeUnsupportedMedia, ""},
				{"anonymous", "", "", `{"name":"x"}`, 401, CodeUnauthenticated, ""},
				{"duplicate", "alice", "", `{"name":"Ann"}`, 409, CodeConflict, ""},
				{"list not a member", "alice", "", `{"name":"y","list_id":"l-1"}`, 403, CodeForbidden, ""},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					var hdr []string
					switch c.ctype {
					case "":
					case "-":
						hdr = []string{"Content-Type", ""}
					default:
						hdr = []string{"Content-Type", c.ctype}
					}
					r := s.do("POST", "/api/v1/contact", c.user, c.body, hdr...)
					requireProblem(t, r, c.status, c.code, c.field)
					if c.status == 401 {
						require.NotEmpty(t, r.header.Get("WWW-Authenticate"))
					}
				})
			}
		})

		t.Run("get", func(t *testing.T) {
			r := s.do("GET", "/api/v1/contact/"+id, "bob", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			etag = r.header.Get("ETag")
			require.Equal(t, `"1"`, etag)
			require.Equal(t, "no-store", r.header.Get("Cache-Control"))
			m := r.json(t)
			require.Equal(t, "Ann", m["name"])
			require.NotContains(t, m, "secret")

			priv := s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": "Hidden", "privacy": "secret"})
			require.Equal(t, http.StatusCreated, priv.status)
			pid := priv.json(t)["id"].(string)
			requireProblem(t, s.do("GET", "/api/v1/contact/"+pid, "bob", nil), 404, CodeNotFound, "")
			requireProblem(t, s.do("GET", "/api/v1/contact/x-nothere", "bob", nil), 404, CodeNotFound, "")
			requireProblem(t, s.do("GET", "/api/v1/contact/"+pid, "", nil), 404, CodeNotFound, "")
		})

		t.Run("update", func(t *testing.T) {
			r := s.do("PUT", "/api/v1/contact/"+id, "alice", map[string]any{"info": "i1"}, "If-Match", etag)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.Equal(t, `"2"`, r.header.Get("ETag"))
			require.Equal(t, "i1", r.json(t)["info"])
			require.Equal(t, "Ann", r.json(t)["name"])

			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", map[string]any{"info": "i2"}, "If-Match", etag), 412, CodePrecondition, "")
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", map[string]any{"info": "i2"}, "If-Match", `W/"2"`), 412, CodePrecondition, "")
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "bob", map[string]any{"info": "bob"}), 403, CodeForbidden, "")
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "", map[string]any{"info": "anon"}), 401, CodeUnauthenticated, "")
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", map[string]any{"is_admin": true}), 400, CodeReadOnly, "is_admin")
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", map[string]any{"uid": "u-bob"}), 400, CodeReadOnly, "uid")
			requireProblem(t, s.do("PUT", "/api/v1/contact/x-nothere", "alice", map[string]any{"info": "x"}), 404, CodeNotFound, "")

			// react-admin sends back the record it read: read-only fields with
			// their stored values are accepted, the version acts as If-Match.
			got := s.do("GET", "/api/v1/contact/"+id, "alice", nil).json(t)
			got["info"] = "echo"
			r = s.do("PUT", "/api/v1/contact/"+id, "alice", got)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.Equal(t, "echo", r.json(t)["info"])
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", got), 412, CodePrecondition, "")
			got = r.json(t)
			got["is_admin"] = true
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", got), 400, CodeReadOnly, "is_admin")
			got["is_admin"] = false
			got["uid"] = "u-bob"
			requireProblem(t, s.do("PUT", "/api/v1/contact/"+id, "alice", got), 400, CodeReadOnly, "uid")

			var admin bool
			var uid string
			require.NoError(t, db.QueryRow(db.Rebind("SELECT is_admin, uid FROM contact WHERE id = ?"), id).Scan(&admin, &uid))
			require.False(t, admin)
			require.Equal(t, "u-alice", uid)
		})

		t.Run("delete", func(t *testing.T) {
			var ids []string
			for i := range 3 {
				r := s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": fmt.Sprintf("del%d", i), "privacy": "public"})
				require.Equal(t, http.StatusCreated, r.status)
				ids = append(ids, r.json(t)["id"].(string))
			}
			requireProblem(t, s.do("DELETE", "/api/v1/contact/"+ids[0], "bob", nil), 403, CodeForbidden, "")
			requireProblem(t, s.do("DELETE", "/api/v1/contact/"+ids[0]+",x-none", "alice", nil), 404, CodeNotFound, "")
			requireProblem(t, s.do("DELETE", "/api/v1/contact/"+ids[0]+"?force=maybe", "alice", nil), 400, CodeInvalidValue, "force")
			r := s.do("DELETE", "/api/v1/contact/"+ids[0]+","+ids[1], "alice", nil)
			require.Equal(t, http.StatusNoContent, r.status, string(r.body))
			requireProblem(t, s.do("GET", "/api/v1/contact/"+ids[0], "alice", nil), 404, CodeNotFound, "")
			r = s.do("DELETE", "/api/v1/contact/"+ids[2]+"?force=true", "alice", nil)
			require.Equal(t, http.StatusNoContent, r.status)
			many := strings.TrimSuffix(strings.Repeat("x-a,", 101), ",")
			requireProblem(t, s.do("DELETE", "/api/v1/contact/"+many, "alice", nil), 400, CodeBadID, "id")
		})

		t.Run("list", func(t *testing.T) {
			for i := range 5 {
				r := s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": fmt.Sprintf("list%d", i), "rank": i})
				require.Equal(t, http.StatusCreated, r.status)
			}
			// A keyset page counts nothing unless asked to.
			r := s.do("GET", "/api/v1/contact?sort=name:desc&limit=2", "alice", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.NotContains(t, r.json(t), "count")
			require.Equal(t, "contact 0-1/*", r.header.Get("Content-Range"))
			require.Empty(t, r.header.Get("X-Total-Count"))
			require.Empty(t, r.header.Get("Preference-Applied"))

			r = s.do("GET", "/api/v1/contact?sort=name:desc&limit=2", "alice", nil, "Prefer", "count=exact")
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.Equal(t, "count=exact", r.header.Get("Preference-Applied"))
			m := r.json(t)
			items := m["items"].([]any)
			require.Len(t, items, 2)
			total := int(m["count"].(float64))
			require.Equal(t, strconv.Itoa(total), r.header.Get("X-Total-Count"))
			require.Equal(t, fmt.Sprintf("contact 0-1/%d", total), r.header.Get("Content-Range"))
			require.Contains(t, r.header.Get("Access-Control-Expose-Headers"), "Content-Range")
			require.Contains(t, r.header.Get("Access-Control-Expose-Headers"), "X-Total-Count")
			require.Equal(t, "no-store", r.header.Get("Cache-Control"))
			next := m["cursor_next"].(string)
			require.NotEmpty(t, next)

			r = s.do("GET", "/api/v1/contact?sort=name:desc&limit=2&cursor_next="+next, "alice", nil, "Prefer", "return=minimal, count=exact")
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			require.Equal(t, fmt.Sprintf("contact 2-%d/%d", 1+len(r.json(t)["items"].([]any)), total), r.header.Get("Content-Range"))

			// react-admin's simple REST provider: range and a JSON sort give a bare array.
			r = s.do("GET", `/api/v1/contact?range=[0,0]&sort=["name","ASC"]&filter={}`, "alice", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var arr []map[string]any
			require.NoError(t, json.Unmarshal(r.body, &arr))
			require.Len(t, arr, 1)
			require.Equal(t, fmt.Sprintf("contact 0-0/%d", total), r.header.Get("Content-Range"))

			// Empty result.
			r = s.do("GET", `/api/v1/contact?filter={"name":"nobody"}`, "alice", nil, "Prefer", "count=exact")
			require.Equal(t, http.StatusOK, r.status)
			require.Equal(t, "contact */0", r.header.Get("Content-Range"))
			require.Equal(t, "0", r.header.Get("X-Total-Count"))
			require.JSONEq(t, `{"items":[],"count":0}`, string(r.body))

			// The planner's estimate where the database has one, for a
			// caller who may read every row; SQLite counts. An estimated
			// count is exact for small results.
			r = s.do("GET", `/api/v1/contact?limit=1`, "admin", nil, "Prefer", "count=planned")
			require.Equal(t, http.StatusOK, r.status)
			applied := map[string]string{testenv.SQLite: "count=exact"}[testenv.Dialect(db)]
			if applied == "" {
				applied = "count=planned"
			}
			require.Equal(t, applied, r.header.Get("Preference-Applied"))
			require.IsType(t, float64(0), r.json(t)["count"])
			r = s.do("GET", `/api/v1/contact?limit=1`, "alice", nil, "Prefer", "count=estimated")
			require.Equal(t, "count=exact", r.header.Get("Preference-Applied"))
			require.Equal(t, float64(total), r.json(t)["count"])
			// A caller who may not read every row gets an exact count: the
			// planner's estimate covers rows they cannot see.
			for _, mode := range []string{"count=planned", "count=estimated"} {
				r = s.do("GET", `/api/v1/contact?limit=1&filter={"name":"nobody"}`, "alice", nil, "Prefer", mode)
				require.Equal(t, "count=exact", r.header.Get("Preference-Applied"), mode)
				require.Equal(t, float64(0), r.json(t)["count"], mode)
			}
			r = s.do("GET", `/api/v1/contact?limit=1`, "alice", nil, "Prefer", "count=bogus")
			require.Empty(t, r.header.Get("Preference-Applied"), "an unknown preference is ignored")

			// Anonymous callers see public records only.
			r = s.do("GET", "/api/v1/contact", "", nil)
			require.Equal(t, http.StatusOK, r.status)
			for _, it := range r.json(t)["items"].([]any) {
				require.Equal(t, "public", it.(map[string]any)["privacy"])
			}

			for _, c := range []struct{ q, code, field string }{
				{"sort=secret", CodeBadSort, "sort"},
				{"sort=name:sideways", CodeBadSort, "sort"},
				{"sort=nosuch", CodeBadSort, "sort"},
				{"order=up", CodeBadSort, "sort"},
				{"limit=0", CodeBadLimit, "limit"},
				{"limit=1001", CodeBadLimit, "limit"},
				{"limit=x", CodeBadLimit, "limit"},
				{"offset=-1", CodeBadOffset, "offset"},
				{"cursor_next=abc", CodeBadCursor, "cursor_next"},
				{"cursor_next=" + next + "&offset=2", CodeBadOffset, "offset"},
				{"sort=name:asc&cursor_next=" + next, CodeBadCursor, "cursor_next"}, // sort differs from the cursor's
				{"sort=name:desc&cursor_next=" + next + `&filter={"rank":3}`, CodeBadCursor, "cursor_next"},
				{`filter={"secret":"x"}`, CodeBadFilter, "filter.secret"},
				{`filter={"nope":1}`, CodeBadFilter, "filter.nope"},
				{`filter={"rank":"three"}`, CodeInvalidValue, "filter.rank"},
				{`filter={"rank":{"$gt":1}}`, CodeBadFilter, "filter.rank"},
				{`filter=[1]`, CodeBadFilter, "filter"},
				{`filter={"name":"a"}x`, CodeBadFilter, "filter"},
				{`range=[3,1]`, CodeBadOffset, "range"},
			} {
				requireProblem(t, s.do("GET", "/api/v1/contact?"+c.q, "alice", nil), 400, c.code, c.field)
			}
		})
	})
}
