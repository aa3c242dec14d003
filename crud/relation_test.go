package crud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/crud/openapi"
	"github.com/apicrud-go/apicrud/internal/oascheck"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

// group is the target of the relation and expansion tests.
type group struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Name     string     `db:"name" json:"name" crud:"writable,required"`
	Privacy  string     `db:"privacy" json:"privacy" crud:"writable"`
	Status   string     `db:"status" json:"status"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified,omitempty"`
	Version  int64      `db:"version" json:"version"`
}

// person is the target of the owner expansion: its id is an account's uid.
type person struct {
	ID      string `db:"id" json:"id"`
	UID     string `db:"uid" json:"uid"`
	Name    string `db:"name" json:"name" crud:"writable"`
	Privacy string `db:"privacy" json:"privacy" crud:"writable"`
}

// linked is a contact in groups.
type linked struct {
	contact
	Groups []string `json:"groups"`
}

// bag has neither version nor modified column: only the row lock of a
// relation write keeps concurrent adds under the cap.
type bag struct {
	ID      string   `db:"id" json:"id"`
	UID     string   `db:"uid" json:"uid"`
	Name    string   `db:"name" json:"name" crud:"writable"`
	Privacy string   `db:"privacy" json:"privacy" crud:"writable"`
	Groups  []string `json:"groups"`
}

// relationDDL creates grp, person, bag and the join tables contact_grp
// and bag_grp (next to the contact table).
func relationDDL(t testing.TB, db *sqlx.DB) {
	t.Helper()
	createContactTable(t, db, "contact")
	text, ts, engine := "TEXT", "TIMESTAMPTZ", ""
	switch testenv.Dialect(db) {
	case testenv.MySQL:
		text, ts, engine = "VARCHAR(64)", "DATETIME(6)", " ENGINE=InnoDB"
	case testenv.SQLite:
		ts = "DATETIME"
	}
	for _, s := range []string{
		`CREATE TABLE grp (id ` + text + ` PRIMARY KEY, uid ` + text + ` NOT NULL, name ` + text + ` NOT NULL, privacy ` + text + ` NOT NULL,
			status ` + text + ` NOT NULL, created ` + ts + ` NOT NULL, modified ` + ts + `, version BIGINT NOT NULL)` + engine,
		`CREATE TABLE person (id ` + text + ` PRIMARY KEY, uid ` + text + ` NOT NULL, name ` + text + ` NOT NULL, privacy ` + text + ` NOT NULL)` + engine,
		`CREATE TABLE bag (id ` + text + ` PRIMARY KEY, uid ` + text + ` NOT NULL, name ` + text + ` NOT NULL, privacy ` + text + ` NOT NULL)` + engine,
		`CREATE TABLE contact_grp (contact_id ` + text + ` NOT NULL REFERENCES contact(id), grp_id ` + text + ` NOT NULL REFERENCES grp(id),
			PRIMARY KEY (contact_id, grp_id))` + engine,
		`CREATE TABLE bag_grp (bag_id ` + text + ` NOT NULL REFERENCES bag(id), grp_id ` + text + ` NOT NULL REFERENCES grp(id),
			PRIMARY KEY (bag_id, grp_id))` + engine,
	} {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
}

type relationFixture struct {
	db       *sqlx.DB
	groups   *Resource[group]
	people   *Resource[person]
	contacts *Resource[linked]
	limit    atomic.Int64
}

func newRelationFixture(t testing.TB, db *sqlx.DB, opts ...Option) *relationFixture {
	t.Helper()
	relationDDL(t, db)
	fx := &relationFixture{db: db}
	fx.limit.Store(-1)
	var err error
	fx.groups, err = NewResource[group](db, "grp", WithAuthorizer(testAuth{}))
	require.NoError(t, err)
	fx.people, err = NewResource[person](db, "person", WithAuthorizer(testAuth{}), WithWritable("name", "privacy"))
	require.NoError(t, err)
	fx.contacts, err = NewResource[linked](db, "contact", append([]Option{WithAuthorizer(testAuth{}),
		WithRelation(Relation{Field: "groups", Table: "contact_grp", Local: "contact_id", Foreign: "grp_id", Target: fx.groups,
			Limit: func(ctx context.Context, owner string) (int64, error) { return fx.limit.Load(), nil }}),
		WithExpansions(Expansion{Name: "owner", Field: "uid", Target: fx.people},
			Expansion{Name: "grp", Field: "list_id", Target: fx.groups})}, opts...)...)
	require.NoError(t, err)
	return fx
}

func (fx *relationFixture) group(t testing.TB, p *testPrincipal, name, privacy string) string {
	t.Helper()
	g, err := fx.groups.Create(as(t.Context(), p), &group{Name: name, Privacy: privacy})
	require.NoError(t, err)
	return g.ID
}

// linkRows counts the join rows of contact id.
func linkRows(t testing.TB, db *sqlx.DB, table, col, id string) int {
	t.Helper()
	var n int
	require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM "+table+" WHERE "+col+" = ?"), id))
	return n
}

func TestRelationReadWrite(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newRelationFixture(t, db)
		ctx := t.Context()
		ca, cb, cd := as(ctx, alice), as(ctx, bob), as(ctx, admin)
		g1 := fx.group(t, alice, "g1", "secret")
		gb := fx.group(t, bob, "gb", "secret")
		gp := fx.group(t, bob, "gp", "public")

		// Create links readable targets; the answer carries them sorted.
		c, err := fx.contacts.Create(ca, &linked{contact: contact{Name: "ann", Privacy: "public"}, Groups: []string{gp, g1, gp}})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{g1, gp}, c.Groups)
		got, err := fx.contacts.Get(ca, c.ID)
		require.NoError(t, err)
		require.Equal(t, sorted(g1, gp), got.Groups)

		// A group the caller cannot read, or that does not exist, is a 400 for the field.
		for _, bad := range []string{gb, "x-nope", "bad id"} {
			_, err = fx.contacts.Create(ca, &linked{contact: contact{Name: "bad " + bad}, Groups: []string{bad}})
			var fe *FieldError
			require.ErrorAs(t, err, &fe, bad)
			require.Equal(t, "groups", fe.Field)
		}

		// Reads show only the groups the caller may read.
		got, err = fx.contacts.Get(cb, c.ID)
		require.NoError(t, err)
		require.Equal(t, []string{gp}, got.Groups, "bob cannot read alice's secret group")

		// The admin links bob's secret group; alice's update keeps it
		// (she cannot see it) and replaces the rest.
		_, err = fx.contacts.SetRelated(cd, c.ID, "groups", g1, gb)
		require.NoError(t, err)
		out, err := fx.contacts.SetRelated(ca, c.ID, "groups", gp)
		require.NoError(t, err)
		require.Equal(t, []string{gp}, out)
		got, err = fx.contacts.Get(cd, c.ID)
		require.NoError(t, err)
		require.Equal(t, sorted(gb, gp), got.Groups)

		// Add and remove.
		out, err = fx.contacts.AddRelated(ca, c.ID, "groups", g1)
		require.NoError(t, err)
		require.Equal(t, sorted(g1, gp), out)
		out, err = fx.contacts.RemoveRelated(ca, c.ID, "groups", gp, gb) // gb: not hers to see, left alone
		require.NoError(t, err)
		require.Equal(t, []string{g1}, out)
		require.Equal(t, 2, linkRows(t, db, "contact_grp", "contact_id", c.ID))

		// Bob may read the contact but not update it, so not link it.
		_, err = fx.contacts.AddRelated(cb, c.ID, "groups", gp)
		require.ErrorIs(t, err, ErrForbidden)

		// A soft-deleted group disappears from the field.
		require.NoError(t, fx.groups.Delete(ca, false, g1))
		got, err = fx.contacts.Get(ca, c.ID)
		require.NoError(t, err)
		require.Empty(t, got.Groups)
		require.NotNil(t, got.Groups, "an empty relation is [], not null")

		// Lists carry the field.
		c2, err := fx.contacts.Create(ca, &linked{contact: contact{Name: "bo", Privacy: "public"}, Groups: []string{gp}})
		require.NoError(t, err)
		page, err := fx.contacts.Find(cd, Query{Sort: "name"})
		require.NoError(t, err)
		require.Len(t, page.Items, 2)
		require.Equal(t, []string{gb}, page.Items[0].Groups, "g1 is deleted")
		require.Equal(t, []string{gp}, page.Items[1].Groups)

		// Unknown field and read-only misuse.
		_, err = fx.contacts.AddRelated(ca, c.ID, "name", gp)
		require.ErrorIs(t, err, ErrInvalid)

		// A purge deletes the links, a soft delete keeps them.
		require.NoError(t, fx.contacts.Delete(ca, false, c2.ID))
		require.Equal(t, 1, linkRows(t, db, "contact_grp", "contact_id", c2.ID))
		require.NoError(t, fx.contacts.Delete(ca, true, c.ID, c2.ID))
		require.Equal(t, 0, linkRows(t, db, "contact_grp", "contact_id", c.ID))
		require.Equal(t, 0, linkRows(t, db, "contact_grp", "contact_id", c2.ID))
	})
}

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestRelationHTTP(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newRelationFixture(t, db)
		g1 := fx.group(t, alice, "g1", "secret")
		g2 := fx.group(t, alice, "g2", "secret")
		gb := fx.group(t, bob, "gb", "secret")
		s := newServer(t, func(mux *http.ServeMux) { fx.contacts.Routes(mux, "") })

		res := s.do("POST", "/contact", "alice", map[string]any{"name": "ann", "groups": []string{g1}})
		require.Equal(t, http.StatusCreated, res.status, string(res.body))
		id := res.json(t)["id"].(string)
		res = s.do("GET", "/contact/"+id, "alice", nil)
		require.Equal(t, http.StatusOK, res.status)
		require.Equal(t, []any{g1}, res.json(t)["groups"])

		// PUT replaces the set; react-admin's echo of the whole record works.
		rec := res.json(t)
		rec["groups"] = []string{g2}
		res = s.do("PUT", "/contact/"+id, "alice", rec)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		require.Equal(t, []any{g2}, res.json(t)["groups"])

		for _, body := range []any{
			map[string]any{"groups": []string{gb}},
			map[string]any{"groups": "x-1"},
			map[string]any{"groups": []any{1}},
			map[string]any{"groups": []string{"a b"}},
			map[string]any{"groups": make([]string, maxRelated+1)},
		} {
			res = s.do("PUT", "/contact/"+id, "alice", body)
			require.Equal(t, http.StatusBadRequest, res.status, string(res.body))
			require.Equal(t, "groups", res.json(t)["field"])
		}

		// The cap: 403 crud.limit_exceeded, naming the links.
		fx.limit.Store(1)
		res = s.do("PUT", "/contact/"+id, "alice", map[string]any{"groups": []string{g1, g2}})
		require.Equal(t, http.StatusForbidden, res.status, string(res.body))
		require.Equal(t, CodeLimitExceeded, res.json(t)["code"])
		require.Contains(t, res.json(t)["detail"], "linked")
		res = s.do("PUT", "/contact/"+id, "alice", map[string]any{"groups": []string{g1}})
		require.Equal(t, http.StatusOK, res.status, "a swap stays within the cap")
	})
}

func TestRelationLimit(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newRelationFixture(t, db)
		ca, cd := as(t.Context(), alice), as(t.Context(), admin)
		var gs []string
		for i := range 4 {
			gs = append(gs, fx.group(t, alice, fmt.Sprint("g", i), "secret"))
		}
		fx.limit.Store(2)
		_, err := fx.contacts.Create(ca, &linked{contact: contact{Name: "ann"}, Groups: gs[:3]})
		require.ErrorIs(t, err, ErrLimitExceeded)
		var n int
		require.NoError(t, db.Get(&n, "SELECT COUNT(*) FROM contact"))
		require.Zero(t, n, "the failed create left no record")
		c, err := fx.contacts.Create(ca, &linked{contact: contact{Name: "ann"}, Groups: gs[:2]})
		require.NoError(t, err)
		_, err = fx.contacts.AddRelated(ca, c.ID, "groups", gs[2])
		require.ErrorIs(t, err, ErrLimitExceeded)
		_, err = fx.contacts.AddRelated(ca, c.ID, "groups", gs[0]) // already linked: adds nothing
		require.NoError(t, err)

		// Over the cap (it was lowered): removing is allowed, adding is not.
		fx.limit.Store(-1)
		_, err = fx.contacts.SetRelated(cd, c.ID, "groups", gs...)
		require.NoError(t, err)
		fx.limit.Store(1)
		out, err := fx.contacts.RemoveRelated(ca, c.ID, "groups", gs[3])
		require.NoError(t, err)
		require.Len(t, out, 3)
		_, err = fx.contacts.SetRelated(ca, c.ID, "groups", gs[0], gs[1], gs[3])
		require.ErrorIs(t, err, ErrLimitExceeded)

		// A failing Limit is an internal error, not a silent pass.
		fx2, err := NewResource[linked](db, "contact", WithAuthorizer(testAuth{}),
			WithRelation(Relation{Field: "groups", Table: "contact_grp", Local: "contact_id", Foreign: "grp_id", Target: fx.groups,
				Limit: func(context.Context, string) (int64, error) { return 0, errors.New("grants down") }}))
		require.NoError(t, err)
		_, err = fx2.AddRelated(ca, c.ID, "groups", gs[3])
		var ie *internalError
		require.ErrorAs(t, err, &ie)
	})
}

// TestRelationLimitConcurrent adds distinct groups to one record from many
// goroutines at once: exactly the cap succeeds, on every database. The
// record has no version column, so only the row lock serializes them.
func TestRelationLimitConcurrent(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		fx := newRelationFixture(t, db)
		const limit, workers = 5, 16
		bags, err := NewResource[bag](db, "bag", WithAuthorizer(testAuth{}),
			WithRelation(Relation{Field: "groups", Table: "bag_grp", Local: "bag_id", Foreign: "grp_id", Target: fx.groups,
				Limit: func(context.Context, string) (int64, error) { return limit, nil }}))
		require.NoError(t, err)
		ca := as(t.Context(), alice)
		b, err := bags.Create(ca, &bag{Name: "b", Privacy: "secret"})
		require.NoError(t, err)
		gs := make([]string, workers)
		for i := range gs {
			gs[i] = fx.group(t, alice, fmt.Sprint("g", i), "secret")
		}
		var ok, capped atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, g := range gs {
			wg.Go(func() {
				<-start
				_, err := bags.AddRelated(ca, b.ID, "groups", g)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrLimitExceeded):
					capped.Add(1)
				default:
					t.Errorf("add %s: %v", g, err)
				}
			})
		}
		close(start)
		wg.Wait()
		require.EqualValues(t, limit, ok.Load())
		require.EqualValues(t, workers-limit, capped.Load())
		require.Equal(t, limit, linkRows(t, db, "bag_grp", "bag_id", b.ID))
	})
}

func TestRelationConfig(t *testing.T) {
	db := testenv.SQLiteDB(t)
	fx := newRelationFixture(t, db)
	base := Relation{Field: "groups", Table: "contact_grp", Local: "contact_id", Foreign: "grp_id", Target: fx.groups}
	for name, rel := range map[string]func(Relation) Relation{
		"no target":     func(r Relation) Relation { r.Target = nil; return r },
		"bad table":     func(r Relation) Relation { r.Table = "x; DROP TABLE contact"; return r },
		"bad column":    func(r Relation) Relation { r.Local = "a b"; return r },
		"same columns":  func(r Relation) Relation { r.Foreign = r.Local; return r },
		"no such field": func(r Relation) Relation { r.Field = "lists"; return r },
		"a column":      func(r Relation) Relation { r.Field = "name"; return r },
	} {
		_, err := NewResource[linked](db, "contact", WithAuthorizer(testAuth{}), WithRelation(rel(base)))
		require.ErrorIs(t, err, ErrConfig, name)
	}
	for name, e := range map[string]Expansion{
		"no target":     {Name: "owner", Field: "uid"},
		"bad name":      {Name: "Owner", Field: "uid", Target: fx.people},
		"field name":    {Name: "name", Field: "uid", Target: fx.people},
		"rbac":          {Name: "rbac", Field: "uid", Target: fx.people},
		"no field":      {Name: "owner", Field: "nope", Target: fx.people},
		"not a string":  {Name: "owner", Field: "rank", Target: fx.people},
		"no show field": {Name: "owner", Field: "uid", Target: fx.people, Show: "nope"},
		"relation name": {Name: "groups", Field: "uid", Target: fx.people},
	} {
		_, err := NewResource[linked](db, "contact", WithAuthorizer(testAuth{}), WithRelation(base), WithExpansions(e))
		require.ErrorIs(t, err, ErrConfig, name)
	}
	_, err := NewResource[linked](db, "contact", WithAuthorizer(testAuth{}), WithFilterable("groups"), WithRelation(base))
	require.ErrorIs(t, err, ErrConfig, "a relation cannot be filtered on")
	ro, err := NewResource[linked](db, "contact", WithAuthorizer(testAuth{}), WithWritable("name"), WithRelation(base))
	require.NoError(t, err)
	_, err = ro.AddRelated(as(t.Context(), alice), "x-1", "groups", "x-2")
	require.ErrorIs(t, err, ErrInvalid, "not named by WithWritable: read-only")
	require.True(t, strings.Contains(err.Error(), "read-only"))
}

func TestRelationSpec(t *testing.T) {
	fx := newRelationFixture(t, testenv.SQLiteDB(t))
	api, err := NewAPI("/api/v1")
	require.NoError(t, err)
	require.NoError(t, api.Register(fx.groups, fx.people, fx.contacts))
	b, err := json.Marshal(api.Spec())
	require.NoError(t, err)
	require.NoError(t, oascheck.Validate(b))
	require.NoError(t, testenv.ValidateOpenAPI(t, b), "the official OpenAPI 3.1 schema")
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct{ Schemas map[string]*openapi.Schema }
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	s := doc.Components.Schemas
	require.Equal(t, "array", s["Contact"].Properties["groups"].Type)
	require.False(t, s["Contact"].Properties["groups"].ReadOnly)
	require.NotNil(t, s["ContactCreate"].Properties["groups"])
	require.NotNil(t, s["ContactUpdate"].Properties["groups"])
	for _, n := range []string{"owner", "grp"} {
		require.True(t, s["Contact"].Properties[n].ReadOnly, n)
		require.NotContains(t, s["ContactCreate"].Properties, n)
	}
	for _, p := range []string{"/api/v1/contact", "/api/v1/contact/{id}"} {
		require.Contains(t, string(doc.Paths[p]["get"]), `"name":"expand"`, p)
		require.Contains(t, string(doc.Paths[p]["get"]), "grp, owner", p)
	}
	require.NotContains(t, string(doc.Paths["/api/v1/grp"]["get"]), `"expand"`, "no expansions, no parameter")
}
