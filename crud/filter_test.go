package crud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestFilterGrammar runs every operator, OR groups, react-admin keys and
// the full-text filter on every database.
func TestFilterGrammar(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		actx, bctx := as(t.Context(), alice), as(t.Context(), bob)
		labels := []*string{nil, ptr("home"), ptr("work")}
		for i := range 20 {
			_, err := res.Create(actx, &contact{Name: fmt.Sprintf("n_%02d", i), Info: []string{"Ann Smith", "bob", "100%_sure"}[i%3],
				Rank: i % 4, Muted: i%3 == 0, Label: labels[i%3], Privacy: []string{"public", "member", "secret"}[i%3]})
			require.NoError(t, err)
		}
		_, err := res.Create(bctx, &contact{Name: "bob1", Rank: 9})
		require.NoError(t, err)

		for _, c := range []struct {
			name   string
			filter string
			want   int
		}{
			{"eq", `{"rank":{"eq":1}}`, 5},
			{"ne", `{"rank":{"ne":1}}`, 15},
			{"gt", `{"rank":{"gt":1}}`, 10},
			{"gte", `{"rank":{"gte":1}}`, 15},
			{"lt", `{"rank":{"lt":1}}`, 5},
			{"lte", `{"rank":{"lte":1}}`, 10},
			{"range", `{"rank":{"gte":1,"lt":3}}`, 10},
			{"in", `{"rank":{"in":[0,3]}}`, 10},
			{"in empty", `{"rank":{"in":[]}}`, 0},
			{"like", `{"name":{"like":"n_1%"}}`, 10},
			{"ilike", `{"info":{"ilike":"ann%"}}`, 7},
			{"like escapes _", `{"info":{"like":"100%!_%"}}`, 0},
			{"is null", `{"label":{"is":null}}`, 7},
			{"eq null", `{"label":{"eq":null}}`, 7},
			{"ne null", `{"label":{"ne":null}}`, 13},
			{"string gt", `{"name":{"gt":"n_17"}}`, 2},
			{"time lt", `{"created":{"lt":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}}`, 20},
			{"bool ne", `{"muted":{"ne":true}}`, 13},
			{"or", `{"or":[{"rank":0},{"label":"work"}]}`, 5 + 6 - 1},
			{"or with and inside", `{"or":[{"rank":0,"muted":true},{"rank":{"gt":2}}]}`, 2 + 5},
			{"or and another key", `{"or":[{"rank":0},{"rank":1}],"label":null}`, 3},
			{"nested or", `{"or":[{"or":[{"rank":0},{"rank":1}]},{"rank":3}]}`, 15},
			{"or with a wildcard", `{"or":[{"rank":"*"},{"rank":1}]}`, 20},
			{"react-admin gte", `{"rank_gte":2}`, 10},
			{"react-admin lte and gt", `{"rank_lte":2,"rank_gt":0}`, 10},
			{"react-admin neq", `{"rank_neq":0}`, 15},
			{"react-admin in", `{"rank_in":[1]}`, 5},
			{"react-admin ilike", `{"info_ilike":"%SMITH"}`, 7},
			{"q", `{"q":"smith"}`, 7},
			{"q is literal", `{"q":"0%_s"}`, 6},
			{"q and a field", `{"q":"n_1","rank":1}`, 2},
			{"q empty", `{"q":""}`, 20},
		} {
			t.Run(c.name, func(t *testing.T) {
				m, err := parseFilterParam(c.filter)
				require.NoError(t, err)
				page, err := res.Find(actx, Query{Filter: m, Limit: 100, Count: CountExact})
				require.NoError(t, err)
				require.Len(t, page.Items, c.want)
				require.Equal(t, int64(c.want), page.Count)
			})
		}

		t.Run("an OR never widens the access filter", func(t *testing.T) {
			for _, f := range []string{
				`{"or":[{"uid":"u-alice"},{"privacy":"secret"}]}`,
				`{"or":[{"privacy":{"ne":"public"}},{"rank":{"gte":0}}]}`,
				`{"or":[{"id":{"ne":""}},{"id":{"is":null}}]}`,
				`{"q":"%"}`,
			} {
				m, err := parseFilterParam(f)
				require.NoError(t, err)
				page, err := res.Find(bctx, Query{Filter: m, Limit: 100})
				require.NoError(t, err, f)
				for _, it := range page.Items {
					require.True(t, it.UID == bob.uid || it.Privacy == "public", "%s: bob reads %s (%s, %s)", f, it.Name, it.UID, it.Privacy)
				}
			}
		})

		t.Run("cursors follow the filter", func(t *testing.T) {
			m, _ := parseFilterParam(`{"or":[{"rank":0},{"rank":{"gte":3}}]}`)
			var got int
			q := Query{Filter: m, Limit: 3}
			for range 10 {
				page, err := res.Find(actx, q)
				require.NoError(t, err)
				got += len(page.Items)
				if page.CursorNext == "" {
					break
				}
				q.Cursor = page.CursorNext
			}
			require.Equal(t, 10, got)
			other, _ := parseFilterParam(`{"or":[{"rank":0},{"rank":{"gte":2}}]}`)
			first, err := res.Find(actx, Query{Filter: m, Limit: 3})
			require.NoError(t, err)
			_, err = res.Find(actx, Query{Filter: other, Limit: 3, Cursor: first.CursorNext})
			require.ErrorIs(t, err, ErrInvalid)
		})
	})
}

// TestHostileFilters: every malformed or hostile filter answers 400 with
// crud.bad_filter (or crud.invalid_value for a value of the wrong type)
// and a field that names the key at fault.
func TestHostileFilters(t *testing.T) {
	db := testenv.SQLiteDB(t)
	res := newContacts(t, db)
	s := newServer(t, func(mux *http.ServeMux) { res.Routes(mux, "") })
	deep := `{"rank":1}`
	for range 4 {
		deep = `{"or":[` + deep + `]}`
	}
	many := make([]string, 33)
	for i := range many {
		many[i] = fmt.Sprintf(`{"rank":%d}`, i)
	}
	for _, c := range []struct{ filter, field, code string }{
		{`{"secret":{"eq":"x"}}`, "filter.secret", CodeBadFilter},
		{`{"secret_gte":"x"}`, "filter.secret_gte", CodeBadFilter},
		{`{"nosuch_lt":1}`, "filter.nosuch_lt", CodeBadFilter},
		{`{"rank":{"between":[1,2]}}`, "filter.rank", CodeBadFilter},
		{`{"rank":{"$gt":1}}`, "filter.rank", CodeBadFilter},
		{`{"rank":{"gt":"1; DROP TABLE contact"}}`, "filter.rank", CodeInvalidValue},
		{`{"rank":{"gt":[1]}}`, "filter.rank", CodeBadFilter},
		{`{"rank":{"gt":{"lt":1}}}`, "filter.rank", CodeBadFilter},
		{`{"rank":{"gt":null}}`, "filter.rank", CodeBadFilter},
		{`{"rank":{}}`, "filter.rank", CodeBadFilter},
		{`{"rank":{"like":"1%"}}`, "filter.rank", CodeBadFilter},
		{`{"name":{"like":5}}`, "filter.name", CodeBadFilter},
		{`{"name":{"ilike":"\u0000"}}`, "filter.name", CodeBadFilter},
		{`{"name":{"is":"null"}}`, "filter.name", CodeBadFilter},
		{`{"name":{"in":"x"}}`, "filter.name", CodeBadFilter},
		{`{"name":{"in":[["x"]]}}`, "filter.name", CodeBadFilter},
		{`{"name":{"in":[null]}}`, "filter.name", CodeBadFilter},
		{`{"muted":{"gt":false}}`, "filter.muted", CodeBadFilter},
		{`{"label":{"eq":"bogus"}}`, "filter.label", CodeInvalidValue},
		{`{"or":{}}`, "filter.or", CodeBadFilter},
		{`{"or":[]}`, "filter.or", CodeBadFilter},
		{`{"or":[{}]}`, "filter.or", CodeBadFilter},
		{`{"or":["name"]}`, "filter.or", CodeBadFilter},
		{`{"or":[{"secret":"x"}]}`, "filter.secret", CodeBadFilter},
		{`{"or":[{"name":"x"},{"' OR 1=1--":1}]}`, "filter.' OR 1=1--", CodeBadFilter},
		{deep, "filter.or", CodeBadFilter},
		{`{"or":[` + strings.Join(many, ",") + `]}`, "filter", CodeBadFilter},
		{`{"q":5}`, "filter.q", CodeBadFilter},
		{`{"q":["a"]}`, "filter.q", CodeBadFilter},
		{`{"q":"` + strings.Repeat("a", 300) + `"}`, "filter.q", CodeBadFilter},
		{`{"_gte":1}`, "filter._gte", CodeBadFilter},
		{`{"rank_gte ":1}`, "filter.rank_gte ", CodeBadFilter},
	} {
		r := s.do("GET", "/contact?filter="+url.QueryEscape(c.filter), "alice", nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", c.filter, r.body)
		var p struct{ Field, Code, Detail string }
		require.NoError(t, json.Unmarshal(r.body, &p))
		require.Equal(t, c.field, p.Field, c.filter)
		require.Equal(t, c.code, p.Code, c.filter)
		require.NotEmpty(t, p.Detail, c.filter)
	}
}
