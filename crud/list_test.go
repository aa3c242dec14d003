package crud

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

func TestFind(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		actx, bctx := as(t.Context(), alice), as(t.Context(), bob)
		labels := []*string{nil, ptr("home"), ptr("work")}
		var all []string
		for i := range 20 {
			c, err := res.Create(actx, &contact{Name: fmt.Sprintf("n_%02d", i), Rank: i % 4, Muted: i%3 == 0,
				Label: labels[i%3], Privacy: []string{"public", "member", "secret"}[i%3]})
			require.NoError(t, err)
			all = append(all, c.ID)
		}
		// Bob's records and one in his list.
		_, err := res.Create(bctx, &contact{Name: "bob1"})
		require.NoError(t, err)
		_, err = res.Create(bctx, &contact{Name: "bob2", ListID: ptr("l-1"), Privacy: "member"})
		require.NoError(t, err)

		t.Run("filters", func(t *testing.T) {
			cases := []struct {
				name   string
				filter map[string]any
				want   int
			}{
				{"equality", map[string]any{"rank": 1}, 5},
				{"list", map[string]any{"rank": []any{1, 2}}, 10},
				{"empty list", map[string]any{"rank": []any{}}, 0},
				{"wildcard", map[string]any{"rank": "*"}, 20},
				{"null", map[string]any{"label": nil}, 7},
				{"bool", map[string]any{"muted": true}, 7},
				{"like", map[string]any{"name": "n!_1%"}, 0},
				{"like prefix", map[string]any{"name": "n_1%"}, 10},
				{"underscore is literal", map[string]any{"name": "nx1%"}, 0},
				{"two fields", map[string]any{"rank": 0, "muted": true}, 2},
				{"id list", map[string]any{"id": []any{all[0], all[1], "x-none"}}, 2},
				{"empty filter means all", map[string]any{}, 20},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					page, err := res.Find(actx, Query{Filter: c.filter, Limit: 100, Count: CountExact})
					require.NoError(t, err)
					require.Len(t, page.Items, c.want)
					require.Equal(t, int64(c.want), page.Count)
				})
			}
		})

		t.Run("permission filter", func(t *testing.T) {
			page, err := res.Find(bctx, Query{Limit: 100})
			require.NoError(t, err)
			var names []string
			for _, it := range page.Items {
				names = append(names, it.Name)
				ok := it.UID == bob.uid || it.Privacy == "public" || (it.ListID != nil && *it.ListID == "l-1")
				require.True(t, ok, "bob must not see %s (%s)", it.Name, it.Privacy)
			}
			require.Contains(t, names, "bob1")
			require.Len(t, page.Items, 2+7)
		})

		t.Run("sorts", func(t *testing.T) {
			for _, sort := range []string{"name", "name:desc", "rank", "rank:desc", "muted:desc", "created", "id:desc", "privacy",
				"label", "label:desc", "modified:desc"} {
				t.Run(sort, func(t *testing.T) {
					var got []contact
					q := Query{Sort: sort, Limit: 3, Count: CountExact}
					for pages := 0; ; pages++ {
						require.Less(t, pages, 10)
						page, err := res.Find(actx, q)
						require.NoError(t, err)
						require.Equal(t, int64(20), page.Count)
						require.Equal(t, int64(len(got)), page.Start)
						got = append(got, page.Items...)
						if page.CursorNext == "" {
							break
						}
						q.Cursor = page.CursorNext
					}
					require.Len(t, got, 20)
					seen := map[string]bool{}
					for _, c := range got {
						require.False(t, seen[c.ID], "duplicate %s", c.ID)
						seen[c.ID] = true
					}
					// The order is the one the database gives for the whole list.
					whole, err := res.Find(actx, Query{Sort: sort, Limit: 100})
					require.NoError(t, err)
					require.Equal(t, ids(whole.Items), ids(got))
				})
			}
		})

		t.Run("keyset is stable under inserts", func(t *testing.T) {
			ctx := as(t.Context(), &testPrincipal{uid: "u-pager"})
			var orig []string
			for i := range 12 {
				c, err := res.Create(ctx, &contact{Name: fmt.Sprintf("p%02d", i*2), Rank: i})
				require.NoError(t, err)
				orig = append(orig, c.ID)
			}
			var got []string
			q := Query{Sort: "name", Limit: 4}
			for pages := 0; ; pages++ {
				require.Less(t, pages, 10)
				page, err := res.Find(ctx, q)
				require.NoError(t, err)
				got = append(got, ids(page.Items)...)
				// Insert rows before and after the current position.
				for _, n := range []string{fmt.Sprintf("a%d", pages), fmt.Sprintf("p%02d", pages*8+1)} {
					_, err := res.Create(ctx, &contact{Name: n})
					require.NoError(t, err)
				}
				if page.CursorNext == "" {
					break
				}
				q.Cursor = page.CursorNext
			}
			for _, id := range orig {
				require.Equal(t, 1, count(got, id), "original row %s seen once", id)
			}
		})

		t.Run("offset", func(t *testing.T) {
			whole, err := res.Find(actx, Query{Sort: "name", Limit: 100, Filter: map[string]any{"name": "n%"}})
			require.NoError(t, err)
			page, err := res.Find(actx, Query{Sort: "name", Limit: 5, Offset: 5, Filter: map[string]any{"name": "n%"}, Count: CountExact})
			require.NoError(t, err)
			require.Equal(t, ids(whole.Items[5:10]), ids(page.Items))
			require.Equal(t, int64(20), page.Count)
			require.Equal(t, int64(5), page.Start)
			page, err = res.Find(actx, Query{Sort: "name", Limit: 5, Offset: 50, Filter: map[string]any{"name": "n%"}, Count: CountExact})
			require.NoError(t, err)
			require.Empty(t, page.Items)
			require.Equal(t, int64(20), page.Count)
		})

		t.Run("concurrent lists", func(t *testing.T) {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					page, err := res.Find(bctx, Query{Limit: 5})
					if err == nil && len(page.Items) != 5 {
						err = fmt.Errorf("got %d items", len(page.Items))
					}
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		})
	})
}

func ids(cs []contact) []string {
	out := make([]string, len(cs))
	for i := range cs {
		out[i] = cs[i].ID
	}
	return out
}

func count(s []string, v string) int {
	n := 0
	for i := range s {
		if s[i] == v {
			n++
		}
	}
	return n
}

// TestCountPreference: hostile and odd Prefer headers; unknown values are
// ignored (RFC 7240), never an error.
func TestCountPreference(t *testing.T) {
	for _, c := range []struct {
		hdr  []string
		want CountMode
		ok   bool
	}{
		{nil, CountNone, false},
		{[]string{"count=exact"}, CountExact, true},
		{[]string{"return=representation", "Count=Planned"}, CountPlanned, true},
		{[]string{`count="estimated"`}, CountEstimated, true},
		{[]string{"count=none"}, CountNone, false},
		{[]string{"count=exact'; DROP TABLE contact; --"}, CountNone, false},
		{[]string{"count=" + strings.Repeat("x", 10000)}, CountNone, false},
		{[]string{"handling=strict, count=bogus, count=exact"}, CountExact, true},
	} {
		got, ok := parseCountPreference(c.hdr)
		require.Equal(t, c.want, got, "%q", c.hdr)
		require.Equal(t, c.ok, ok, "%q", c.hdr)
	}
}
