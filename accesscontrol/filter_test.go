package accesscontrol_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

var messageCols = map[string]string{"id": "id", "uid": "uid", "privacy": "privacy", "list_id": "list_id"}

func TestFilterClauses(t *testing.T) {
	p := exampleService(t)
	cases := []struct {
		name     string
		who      ac.Principal
		action   byte
		resource string
		cols     map[string]string
		clause   string
		args     []any
	}{
		{"admin sees all", principal("u-a", "admin"), 'r', "message", messageCols, "1=1", nil},
		{"anyone reads people", ac.Anonymous(), 'r', "person", messageCols, "1=1", nil},
		{"anonymous reads public", ac.Anonymous(), 'r', "message", messageCols, "privacy = ?", []any{"public"}},
		{"anonymous may not update", ac.Anonymous(), 'u', "message", messageCols, "1=0", nil},
		{"owner updates own", principal("u-1", "user"), 'u', "message", messageCols, "uid = ?", []any{"u-1"}},
		{"owner reads own and public", principal("u-1", "user"), 'r', "message", messageCols,
			"(uid = ? OR privacy = ?)", []any{"u-1", "public"}},
		{"members by level", principal("u-1", "user", "list-B-manager", "list-A-invitee"), 'd', "message", messageCols,
			"(uid = ? OR list_id = ?)", []any{"u-1", "B"}},
		{"invitee rule reads whole lists", principal("u-1", "list-B-manager", "list-A-invitee"), 'r', "message", messageCols,
			"(list_id IN (?, ?) OR privacy = ?)", []any{"A", "B", "public"}},
		{"privacy by level (contacts)", principal("u-1", "list-B-manager", "list-A-invitee", "list-C-member"), 'r', "contact", messageCols,
			"(uid = ? OR list_id IN (?, ?) OR (list_id = ? AND privacy = ?) OR privacy = ?)", []any{"u-1", "B", "C", "A", "invitee", "public"}},
		{"list itself by id", principal("u-1", "user", "list-L-member"), 'g', "list", messageCols,
			"(uid = ? OR id = ?)", []any{"u-1", "L"}},
		{"no uid column", principal("u-1", "user"), 'u', "message", map[string]string{"id": "id"}, "1=0", nil},
		{"quoted columns", principal("u-1", "user"), 'u', "message", map[string]string{"uid": `"m"."uid"`}, `"m"."uid" = ?`, []any{"u-1"}},
		{"scope grants all", ac.NewPrincipal(ac.Identity{UID: "u", Roles: []string{"auditor"}, Scopes: []string{"audit.read"}}), 'r', "metric", messageCols, "1=1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clause, args, err := p.FilterFor(c.who, c.action, c.resource, c.cols)
			require.NoError(t, err)
			require.Equal(t, c.clause, clause)
			require.Equal(t, c.args, args)
		})
	}
}

func TestFilterOptions(t *testing.T) {
	p := exampleService(t)
	who := principal("u-1", "user", "list-B-manager", "list-A-invitee", "list-C-member")
	clause, args, err := p.FilterFor(who, 'r', "contact", messageCols, ac.WithBindType(ac.BindDollar), ac.WithArgOffset(2))
	require.NoError(t, err)
	require.Equal(t, "(uid = $3 OR list_id IN ($4, $5) OR (list_id = $6 AND privacy = $7) OR privacy = $8)", clause)
	require.Len(t, args, 6)
	clause, _, err = p.FilterFor(who, 'u', "contact", messageCols, ac.WithBindType(ac.BindAt))
	require.NoError(t, err)
	require.Equal(t, "uid = @p1", clause)
	require.Equal(t, sqlx.QUESTION, ac.BindQuestion)
	require.Equal(t, sqlx.DOLLAR, ac.BindDollar)
	require.Equal(t, sqlx.AT, ac.BindAt)

	_, _, err = p.FilterFor(who, 'r', "contact", messageCols, ac.WithBindType(sqlx.NAMED))
	require.ErrorIs(t, err, ac.ErrOption)
	_, _, err = p.FilterFor(who, 'x', "contact", messageCols)
	require.ErrorIs(t, err, ac.ErrInvalidAction)
	_, _, err = p.FilterFor(who, 'r', "nothing", messageCols)
	require.ErrorIs(t, err, ac.ErrUnknownResource)
	for _, bad := range []string{"", "uid; DROP TABLE x", "uid--", "uid/*", "(uid)", "uid OR 1=1", "u'id", "uid\x00", "ü"} {
		_, _, err = p.FilterFor(who, 'r', "contact", map[string]string{"uid": bad})
		require.ErrorIs(t, err, ac.ErrInvalidColumn, "%q", bad)
	}
}

// TestFilterProperty proves on real databases that the filter selects
// exactly the rows Allowed accepts: over random records and principals,
// for several resources and actions, SELECT ... WHERE <Filter> returns the
// same ids as keeping the rows for which Allowed is true.
func TestFilterProperty(t *testing.T) {
	policies := map[string]*ac.Policy{"example": exampleService(t), "two": load(t, twoLists)}
	type check struct {
		policy, resource, table string
		cols                    map[string]string
	}
	checks := []check{
		{"example", "message", "recs", messageCols},
		{"example", "contact", "recs", messageCols},
		{"example", "list", "recs", map[string]string{"id": "id", "uid": "uid", "privacy": "privacy"}},
		{"example", "person", "recs", messageCols},
		{"example", "settings", "recs", map[string]string{"id": "id", "privacy": "privacy"}},
		{"example", "metric", "recs", map[string]string{"id": "id", "uid": "uid"}},
		{"two", "photo", "recs", map[string]string{"id": "id", "uid": "uid", "privacy": "privacy", "event_id": "list_id"}},
		{"two", "photo", "recs", map[string]string{"id": "id", "uid": "uid", "privacy": "privacy", "list_id": "list_id"}},
		{"two", "event", "recs", map[string]string{"id": "id", "uid": "uid", "privacy": "privacy"}},
	}
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		ctx := t.Context()
		_, err := db.ExecContext(ctx, `CREATE TABLE recs (id VARCHAR(32) NOT NULL PRIMARY KEY,
			uid VARCHAR(32), privacy VARCHAR(16), list_id VARCHAR(32))`)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(7, uint64(len(db.DriverName()))))
		pick := func(vals ...string) sql.NullString {
			v := vals[rng.IntN(len(vals))]
			return sql.NullString{String: v, Valid: v != "NULL"}
		}
		type rec struct {
			ID      string         `db:"id"`
			UID     sql.NullString `db:"uid"`
			Privacy sql.NullString `db:"privacy"`
			ListID  sql.NullString `db:"list_id"`
		}
		var recs []rec
		for i := range 300 {
			r := rec{ID: fmt.Sprintf("L%d", i%7), UID: pick("NULL", "", "u-0", "u-1", "u-2", "u-3"),
				Privacy: pick("NULL", "", "public", "invitee", "member", "manager", "secret", "guest", "owner", "bogus"),
				ListID:  pick("NULL", "", "L0", "L1", "L2", "L3", "L4")}
			if i >= 7 {
				r.ID = fmt.Sprintf("r-%03d", i)
			}
			recs = append(recs, r)
			_, err := db.NamedExecContext(ctx, `INSERT INTO recs (id, uid, privacy, list_id) VALUES (:id, :uid, :privacy, :list_id)`, r)
			require.NoError(t, err)
		}
		roles := []string{"admin", "user", "pending", "person", "auditor", "mfarequired"}
		levels := []string{"invitee", "member", "manager", "secret", "guest", "owner", "public"}
		queries := 0
		for i := range 60 {
			var rs []string
			for range rng.IntN(6) {
				if rng.IntN(3) == 0 {
					rs = append(rs, roles[rng.IntN(len(roles))])
				} else {
					rs = append(rs, fmt.Sprintf("%s-L%d-%s", []string{"list", "event"}[rng.IntN(2)], rng.IntN(6), levels[rng.IntN(len(levels))]))
				}
			}
			id := ac.Identity{UID: []string{"", "u-0", "u-1", "u-2"}[rng.IntN(4)], Roles: rs}
			if rng.IntN(4) == 0 {
				id.Scopes = []string{"audit.read"}
			}
			who := ac.NewPrincipal(id)
			pctx := ac.WithPrincipal(ctx, who)
			for _, c := range checks {
				p := policies[c.policy]
				for _, action := range []byte{'r', 'u', 'd', 'g', 'h', 'l'} {
					clause, args, err := p.Filter(pctx, action, c.resource, c.cols)
					require.NoError(t, err)
					var got []string
					q := db.Rebind("SELECT id FROM " + c.table + " WHERE " + clause + " ORDER BY id")
					require.NoError(t, db.SelectContext(ctx, &got, q, args...), q)
					queries++
					var want []string
					for _, r := range recs {
						attrs := map[string]string{}
						for attr, col := range c.cols {
							switch col {
							case "id":
								attrs[attr] = r.ID
							case "uid":
								attrs[attr] = r.UID.String
							case "privacy":
								attrs[attr] = r.Privacy.String
							case "list_id":
								attrs[attr] = r.ListID.String
							}
						}
						if p.Allowed(pctx, action, c.resource, attrs) {
							want = append(want, r.ID)
						}
					}
					slices.Sort(want)
					slices.Sort(got) // collations differ between databases
					require.Equal(t, want, got, "principal %d %+v, %s %s %c: %s %v", i, id, c.policy, c.resource, action, clause, args)
				}
			}
		}
		// The native form with the database's own placeholders.
		who := principal("u-1", "user", "list-L1-member", "list-L2-invitee")
		clause, args, err := policies["example"].FilterFor(who, 'r', "contact", messageCols,
			ac.WithBindType(sqlx.BindType(db.DriverName())), ac.WithArgOffset(1))
		require.NoError(t, err)
		first := "?"
		if sqlx.BindType(db.DriverName()) == sqlx.DOLLAR {
			first = "$1"
		}
		var n int
		require.NoError(t, db.GetContext(ctx, &n, "SELECT COUNT(*) FROM recs WHERE id <> "+first+" AND "+clause,
			append([]any{"none"}, args...)...))
		require.Positive(t, n)
		t.Logf("%d filtered queries compared", queries)
	})
}

func BenchmarkFilter(b *testing.B) {
	p := exampleService(b)
	ctx := context.Background()
	// FilterFor for a member of 20 lists at mixed levels reading contacts.
	var roles []string
	for i := range 20 {
		roles = append(roles, fmt.Sprintf("list-x-%d-%s", i, []string{"invitee", "member", "manager"}[i%3]))
	}
	who := principal("u-1", append(roles, "user")...)
	p.AllowedFor(who, 'r', "contact", ac.Record{})
	b.Run("member-of-20", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, _ = p.FilterFor(who, 'r', "contact", messageCols)
		}
	})
	// The common case: an owner reading a table with public rows.
	owner := principal("u-1", "user")
	ctx = ac.WithPrincipal(ctx, owner)
	b.Run("owner", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, _ = p.Filter(ctx, 'r', "contact", messageCols)
		}
	})
}
