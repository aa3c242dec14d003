package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/apicrud-go/apicrud/accesscontrol"
)

// condPolicy gives list members the published messages of their lists
// (a condition on two fields), besides owners and privacy.
const condPolicy = `
private_resources: [{resource: list, attr: list_id}]
fields:
  message: {status: string, published_at: time}
policies:
  list: []
  message:
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: cdru}
    - {principal: "list-{{list_id}}-member", resource: "{resource}:{{list_id}}", actions: r,
       when: "status = 'published' and published_at <= @now"}
`

// BenchmarkConditionList compares a list query whose WHERE is the policy's
// filter with a condition (built by FilterFor for each query, as crud does
// per request) with the same query written by hand, on PostgreSQL over
// 100,000 messages in 200 lists: one page of 50 rows a member of 3 lists
// may read, by id.
func BenchmarkConditionList(b *testing.B) {
	url := os.Getenv("APICRUD_TEST_POSTGRES")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if m := os.Getenv("BENCH_PLAN_CACHE_MODE"); m != "" {
		url += "&plan_cache_mode=" + m
	}
	db, err := sqlx.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		b.Skipf("skipping: PostgreSQL at %s: %v", url, err)
	}
	schema := fmt.Sprintf("bench_cond_%d", rand.Uint32())
	for _, q := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".message (id TEXT PRIMARY KEY, uid TEXT NOT NULL, privacy TEXT NOT NULL, list_id TEXT, status TEXT NOT NULL, published_at TIMESTAMPTZ)",
		"INSERT INTO " + schema + ".message SELECT 'm-' || lpad(i::text, 6, '0'), 'u-' || (i % 1000), (ARRAY['public','invitee','member','manager','secret'])[1 + i % 5], " +
			"'L' || (i % 200), (ARRAY['draft','published','published'])[1 + i % 3], timestamptz '2026-01-01' + (i % 365) * interval '1 day' FROM generate_series(1, 100000) i",
		"CREATE INDEX ON " + schema + ".message (list_id)",
		"CREATE INDEX ON " + schema + ".message (uid)",
		"ANALYZE " + schema + ".message",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	defer db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck // cleanup
	pol, err := accesscontrol.LoadBytes([]byte(condPolicy), "rbac.yaml")
	if err != nil {
		b.Fatal(err)
	}
	who := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-7", Roles: []string{"user", "list-L3-member", "list-L17-member", "list-L99-invitee"}})
	cols := map[string]string{"id": "id", "uid": "uid", "privacy": "privacy", "list_id": "list_id", "status": "status", "published_at": "published_at"}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	base := "SELECT id FROM " + schema + ".message WHERE "
	apicrud := func() ([]string, error) {
		clause, args, err := pol.FilterFor(who, 'r', "message", cols, accesscontrol.WithBindType(accesscontrol.BindDollar), accesscontrol.WithNow(now))
		if err != nil {
			return nil, err
		}
		var ids []string
		err = db.SelectContext(ctx, &ids, base+clause+" ORDER BY id LIMIT 50", args...)
		return ids, err
	}
	// The same rows, as one would write them: owned, public, or in the
	// caller's lists at a privacy its level sees or published; the
	// caller's uid and lists are bound (they come from its session), the
	// policy's constants written in.
	handQuery := base + `(uid = $1 OR privacy = 'public'
		OR (list_id = ANY($2) AND privacy IN ('invitee', 'member'))
		OR (list_id = ANY($3) AND privacy = 'invitee')
		OR (list_id = ANY($2) AND status = 'published' AND published_at <= $4)) ORDER BY id LIMIT 50`
	hand := func() ([]string, error) {
		var ids []string
		err := db.SelectContext(ctx, &ids, handQuery, "u-7", []string{"L17", "L3"}, []string{"L99"}, now)
		return ids, err
	}
	a, err := apicrud()
	if err != nil {
		b.Fatal(err)
	}
	h, err := hand()
	if err != nil {
		b.Fatal(err)
	}
	if fmt.Sprint(a) != fmt.Sprint(h) || len(a) != 50 {
		b.Fatalf("the two queries differ: %v vs %v", a, h)
	}
	compare(b, 1,
		serialSide("apicrud", func() error { _, err := apicrud(); return err }),
		serialSide("hand-written-SQL", func() error { _, err := hand(); return err }))
}
