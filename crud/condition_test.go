package crud

import (
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// condDoc is a record whose readers and writers depend on its fields.
type condDoc struct {
	ID     string  `db:"id" json:"id"`
	UID    string  `db:"uid" json:"uid"`
	Title  string  `db:"title" json:"title" crud:"writable,required"`
	State  string  `db:"state" json:"state" crud:"writable"`
	Locked bool    `db:"locked" json:"locked" crud:"writable"`
	Amount float64 `db:"amount" json:"amount" crud:"writable"`
}

const condDocPolicy = `
fields:
  doc: {state: string, locked: bool, amount: float}
policies:
  doc:
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: cr}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: ud, when: "not locked"}
    - {principal: "*", resource: "{resource}:*", actions: r, when: "state = 'published'"}
    - {principal: auditor, resource: "{resource}:*", actions: r, when: "amount < 10000"}
`

// TestConditionalPolicy runs a policy with when: conditions through crud
// on each database: the single operations decide on the stored record's
// fields, and lists select the same records in SQL.
func TestConditionalPolicy(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		txt := map[string]string{testenv.MySQL: "VARCHAR(64)"}[testenv.Dialect(db)]
		if txt == "" {
			txt = "TEXT"
		}
		_, err := db.Exec(`CREATE TABLE doc (id ` + txt + ` PRIMARY KEY, uid ` + txt + ` NOT NULL, title ` + txt + ` NOT NULL,
			state ` + txt + ` NOT NULL, locked BOOLEAN NOT NULL, amount DOUBLE PRECISION NOT NULL)`)
		require.NoError(t, err)
		pol, err := ac.LoadBytes([]byte(condDocPolicy), "doc.yaml")
		require.NoError(t, err)
		docs, err := NewResource[condDoc](db, "doc", WithAuthorizer(pol))
		require.NoError(t, err)
		ctx := t.Context()
		alice := caller(ctx, "u-alice")
		pub, err := docs.Create(alice, &condDoc{Title: "pub", State: "published", Amount: 20000})
		require.NoError(t, err)
		draft, err := docs.Create(alice, &condDoc{Title: "draft", State: "draft", Amount: 5})
		require.NoError(t, err)
		locked, err := docs.Create(alice, &condDoc{Title: "locked", State: "draft", Locked: true, Amount: 9999.5})
		require.NoError(t, err)

		list := func(who string, roles ...string) []string {
			page, err := docs.Find(caller(ctx, who, roles...), Query{Sort: "title"})
			require.NoError(t, err)
			var out []string
			for _, d := range page.Items {
				out = append(out, d.Title)
			}
			return out
		}
		require.Equal(t, []string{"draft", "locked", "pub"}, list("u-alice"))
		require.Equal(t, []string{"pub"}, list("u-bob"))
		require.Equal(t, []string{"draft", "locked", "pub"}, list("u-carol", "auditor"))

		bob := caller(ctx, "u-bob")
		_, err = docs.Get(bob, draft.ID)
		require.ErrorIs(t, err, ErrNotFound)
		got, err := docs.Get(bob, pub.ID)
		require.NoError(t, err)
		require.Equal(t, "pub", got.Title)

		_, err = docs.Update(alice, draft.ID, &condDoc{Title: "draft 2"}, "title")
		require.NoError(t, err)
		_, err = docs.Update(alice, locked.ID, &condDoc{Title: "locked 2"}, "title")
		require.ErrorIs(t, err, ErrForbidden)
		require.ErrorIs(t, docs.Delete(alice, true, locked.ID), ErrForbidden)
	})
}
