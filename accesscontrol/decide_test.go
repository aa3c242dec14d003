package accesscontrol_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

const twoLists = `
privacy_levels: [public, guest, member, owner, secret]
private_resources:
  - {resource: list, attr: list_id}
  - {resource: event, attr: event_id}
policies:
  list:
    - {principal: "list-{{eid}}-owner", resource: "{resource}:*", actions: cdru}
  event:
    - {principal: "event-{{event_id}}-guest", resource: "{resource}:{{event_id}}", actions: rj}
  photo:
    - {principal: "*", resource: "{resource}:{{uid}}", actions: cdru}
    - {principal: "event-{{event_id}}-member", resource: "{resource}:{{event_id}}", actions: r}
    - {principal: "list-{{list_id}}-*", resource: "{resource}:*", actions: l}
    - {principal: "event-{{eid}}-owner", resource: "{resource}:{{uid}}", actions: h}
  ops:
    - {principal: "*-ops", resource: "{resource}:*", actions: r}
    - {principal: "admin*", resource: "{resource}:*", actions: u}
    - {principal: "team-*-lead", resource: "{resource}:*", actions: d}
`

func TestGlobPrincipals(t *testing.T) {
	p := load(t, twoLists)
	cases := []struct {
		roles []string
		want  string
	}{
		{[]string{"db-ops"}, "r"},
		{[]string{"ops"}, ""},
		{[]string{"admin"}, "u"},
		{[]string{"administrator", "net-ops"}, "ru"},
		{[]string{"team-a-lead"}, "d"},
		{[]string{"team--lead"}, "d"},
		{[]string{"team-lead"}, ""},
		{[]string{"xadmin"}, ""},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.roles, ","), func(t *testing.T) {
			require.Equal(t, c.want, p.Actions(principal("u", c.roles...), "ops", ac.Record{ID: "o"}).String())
		})
	}
}

func TestMembership(t *testing.T) {
	p := load(t, twoLists)
	photo := func(owner, privacy, parentRes, parent string) ac.Record {
		return ac.Record{ID: "ph", Owner: owner, Privacy: privacy, Parent: parent, ParentResource: parentRes}
	}
	cases := []struct {
		name  string
		roles []string
		rec   ac.Record
		res   string
		want  string
	}{
		{"levels are cumulative", []string{"event-E-owner"}, photo("u-x", "", "event", "E"), "photo", "r"},
		{"exact level", []string{"event-E-member"}, photo("u-x", "", "event", "E"), "photo", "r"},
		{"lower level", []string{"event-E-guest"}, photo("u-x", "", "event", "E"), "photo", ""},
		{"other event", []string{"event-F-owner"}, photo("u-x", "", "event", "E"), "photo", ""},
		{"owner rule needs ownership", []string{"event-E-owner"}, photo("u", "", "event", "E"), "photo", "cdhru"},
		{"ids with dashes", []string{"event-x-1-2-member"}, photo("u-x", "", "event", "x-1-2"), "photo", "r"},
		{"parent of another private resource", []string{"event-E-owner"}, photo("u-x", "", "list", "E"), "photo", ""},
		{"first private resource by default", []string{"list-E-guest"}, photo("u-x", "", "", "E"), "photo", "l"},
		{"{{list_id}}-* wants any level", []string{"list-E-secret"}, photo("u-x", "", "list", "E"), "photo", "l"},
		{"public level is no membership", []string{"list-E-public"}, photo("u-x", "", "list", "E"), "photo", ""},
		{"privacy by the record's own list", []string{"list-E-member"}, photo("u-x", "member", "list", "E"), "photo", "lr"},
		{"privacy above the caller's level", []string{"list-E-member"}, photo("u-x", "owner", "list", "E"), "photo", "l"},
		{"unknown privacy level", []string{"list-E-secret"}, photo("u-x", "bogus", "list", "E"), "photo", "l"},
		{"privacy without a parent", []string{"list-E-secret"}, photo("u-x", "member", "", ""), "photo", ""},
		{"private resource uses its own id", []string{"event-E-guest"}, ac.Record{ID: "E"}, "event", "jr"},
		{"private resource ignores Parent", []string{"event-E-guest"}, ac.Record{ID: "F", Parent: "E", ParentResource: "event"}, "event", ""},
		{"{{eid}} on a private resource", []string{"list-L-owner"}, ac.Record{ID: "L"}, "list", "cdru"},
		{"private resource, privacy", []string{"list-L-guest"}, ac.Record{ID: "L", Privacy: "guest"}, "list", "r"},
		{"empty membership id", []string{"list--member"}, ac.Record{ID: ""}, "list", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := principal("u", c.roles...)
			require.Equal(t, c.want, p.Actions(pr, c.res, c.rec).String())
			require.Equal(t, c.want, p.Explain(pr, 'r', c.res, c.rec).Actions.String())
		})
	}
}

// TestOwnership: an anonymous caller never "owns" a record without owner.
func TestOwnership(t *testing.T) {
	p := load(t, twoLists)
	require.Equal(t, "", p.Actions(ac.Anonymous(), "photo", ac.Record{ID: "x"}).String())
	require.Equal(t, "", p.Actions(principal("", "user"), "photo", ac.Record{ID: "x"}).String())
	require.Equal(t, "cdru", p.Actions(principal("u", "user"), "photo", ac.Record{ID: "x", Owner: "u"}).String())
	require.Equal(t, "", p.Actions(principal("u", "user"), "photo", ac.Record{ID: "x", Owner: "U"}).String(), "case matters")
}

func TestAuthorizer(t *testing.T) {
	p := exampleService(t)
	ctx := context.Background()
	uid, ok := p.UID(ctx)
	require.False(t, ok)
	require.Empty(t, uid)

	me := ac.NewPrincipal(ac.Identity{UID: "u-me", Roles: []string{"user", "list-x-L1-member"}, Scopes: []string{"full", "undeclared"}})
	ctx = ac.WithPrincipal(ctx, me)
	uid, ok = p.UID(ctx)
	require.True(t, ok)
	require.Equal(t, "u-me", uid)
	got, ok := ac.PrincipalFrom(ctx)
	require.True(t, ok)
	require.Equal(t, "u-me", got.UID())

	require.True(t, p.Allowed(ctx, 'u', "contact", map[string]string{"id": "c", "uid": "u-me", "privacy": "member"}))
	require.False(t, p.Allowed(ctx, 'u', "contact", map[string]string{"id": "c", "uid": "u-x", "privacy": "member"}))
	require.True(t, p.Allowed(ctx, 'r', "message", map[string]string{"id": "m", "uid": "u-x", "privacy": "member", "list_id": "x-L1"}))
	require.False(t, p.Allowed(ctx, 'r', "message", map[string]string{"id": "m", "uid": "u-x", "privacy": "member", "list_id": "x-L2"}))
	require.True(t, p.Allowed(ctx, 'g', "list", map[string]string{"id": "x-L1", "uid": "u-x", "privacy": "secret"}))
	require.False(t, p.Allowed(ctx, 'r', "nothing", nil))
	require.False(t, p.Allowed(ctx, '?', "list", nil))
	require.True(t, p.Allowed(context.Background(), 'r', "person", nil), "anonymous")

	require.True(t, p.HasScopes(ctx))
	require.True(t, p.HasScopes(ctx, "full"))
	require.True(t, p.HasScopes(ctx, "full", "undeclared"), "an undeclared scope is held as given")
	require.False(t, p.HasScopes(ctx, "full", "readonly"), "not in the credential")
	require.False(t, p.HasScopes(ctx, "audit.read"))
	require.False(t, p.HasScopes(context.Background(), "full"))

	clause, args, err := p.Filter(ctx, 'r', "contact", map[string]string{"uid": "uid", "privacy": "privacy"})
	require.NoError(t, err)
	require.Equal(t, "(uid = ? OR privacy = ?)", clause)
	require.Equal(t, []any{"u-me", "public"}, args)
}

// TestZeroAllocs: a decision allocates nothing once the principal is
// indexed.
func TestZeroAllocs(t *testing.T) {
	p := exampleService(t)
	me := principal("u-me", "user", "list-x-L1-invitee", "list-x-L1-member")
	rec := ac.Record{ID: "m", Owner: "u-other", Privacy: "member", Parent: "x-L1"}
	require.True(t, p.AllowedFor(me, 'r', "message", rec))
	require.Zero(t, testing.AllocsPerRun(100, func() { p.AllowedFor(me, 'r', "message", rec) }))
	require.Zero(t, testing.AllocsPerRun(100, func() { p.Actions(me, "list", rec) }))
	ctx := ac.WithPrincipal(context.Background(), me)
	attrs := map[string]string{"id": "m", "uid": "u-other", "privacy": "member", "list_id": "x-L1"}
	require.Zero(t, testing.AllocsPerRun(100, func() { p.Allowed(ctx, 'r', "message", attrs) }))
	require.Zero(t, testing.AllocsPerRun(100, func() { p.AllowedFor(ac.Anonymous(), 'r', "person", rec) }))
}

func TestExplain(t *testing.T) {
	p := exampleService(t)
	me := principal("u-me", "user", "list-x-L1-member")
	d := p.Explain(me, 'u', "person", ac.Record{ID: "u-other", Owner: "u-other"})
	require.False(t, d.Allowed)
	require.Nil(t, d.By)
	require.Equal(t, `denied: u-me may not u person "u-other": policies.person[1]: lacks role "admin"; `+
		`policies.person[2]: holds role "user", the record's owner "u-other" is not the caller "u-me"; `+
		`policies.person[3]: holds role "list-x-L1-member" matching "list-*", the record's owner "u-other" is not the caller "u-me"`, d.String())
	require.Len(t, d.Checks, 4)

	d = p.Explain(me, 'r', "person", ac.Record{ID: "u-other", Owner: "u-other"})
	require.True(t, d.Allowed)
	require.Equal(t, "policies.person[0]", d.By.Entry)
	require.Equal(t, 62, d.By.Line)
	require.Equal(t, `* -> {resource}:* : cr`, d.By.Rule)
	require.Equal(t, `allowed: u-me may r person "u-other": policies.person[0] (anyone)`, d.String())

	d = p.Explain(me, 'r', "contact", ac.Record{ID: "c", Owner: "u-x", Privacy: "public"})
	require.True(t, d.Allowed)
	require.Equal(t, "privacy", d.By.Entry)

	d = p.Explain(me, 'r', "nothing", ac.Record{})
	require.Equal(t, `denied: resource "nothing" is not declared in rbac.yaml`, d.Reason)
	d = p.Explain(me, 'z', "person", ac.Record{})
	require.False(t, d.Allowed)
	require.Contains(t, d.Reason, `"z" is not an action letter`)
	d = p.Explain(me, 'd', "settings", ac.Record{ID: "s"})
	require.Equal(t, `denied: u-me may not d settings "s": policies.settings[0]: lacks role "admin"`, d.Reason)
	d = p.Explain(me, 'l', "settings", ac.Record{ID: "s"})
	require.Equal(t, `denied: no rule of rbac.yaml gives "l" on settings`, d.Reason)
}

// TestExplainAgrees checks, over random principals and records, that
// Explain (which evaluates the rules one by one from the source) and the
// compiled decision agree.
func TestExplainAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []*ac.Policy{exampleService(t), load(t, twoLists)} {
		res := p.Resources()
		levels := append(p.Levels(), "", "bogus")
		roles := []string{"admin", "user", "pending", "person", "mfarequired", "auditor", "db-ops", "admin2", "team-x-lead"}
		for range 3000 {
			var rs []string
			for range rng.IntN(5) {
				switch rng.IntN(3) {
				case 0:
					rs = append(rs, roles[rng.IntN(len(roles))])
				default:
					rs = append(rs, fmt.Sprintf("%s-L%d-%s", []string{"list", "event"}[rng.IntN(2)], rng.IntN(3), levels[1+rng.IntN(len(levels)-3)]))
				}
			}
			uids := []string{"", "u-0", "u-1"}
			pr := ac.NewPrincipal(ac.Identity{UID: uids[rng.IntN(3)], Roles: rs,
				Scopes: []string{"audit.read", "full", "metric"}[:rng.IntN(4)]})
			rec := ac.Record{ID: fmt.Sprintf("L%d", rng.IntN(3)), Owner: uids[rng.IntN(3)], Privacy: levels[rng.IntN(len(levels))],
				Parent: []string{"", "L0", "L1", "L2"}[rng.IntN(4)], ParentResource: []string{"", "list", "event"}[rng.IntN(3)]}
			r := res[rng.IntN(len(res))]
			want := p.Actions(pr, r, rec)
			d := p.Explain(pr, 'r', r, rec)
			require.Equal(t, want, d.Actions, "%s %+v %s", r, rec, d)
			require.Equal(t, want.Has('r'), d.Allowed)
			require.Equal(t, want.Has('r'), p.AllowedFor(pr, 'r', r, rec))
		}
	}
}

func TestPrincipal(t *testing.T) {
	roles := []string{"user", "admin", "user"}
	scopes := []string{"b", "a"}
	p := ac.NewPrincipal(ac.Identity{UID: "u-1", Roles: roles, Scopes: scopes, AccountID: "x-acc", AuthMethod: "apikey", APIKeyID: "abcdefgh"})
	roles[0], scopes[0] = "admin2", "z"
	require.Equal(t, []string{"admin", "user"}, p.Roles())
	require.Equal(t, []string{"a", "b"}, p.Scopes())
	require.True(t, p.HasRole("user"))
	require.False(t, p.HasRole("admin2"))
	require.Equal(t, "x-acc", p.AccountID())
	require.Equal(t, "apikey", p.AuthMethod())
	require.Equal(t, "abcdefgh", p.APIKeyID())
	require.Equal(t, "u-1", p.String())
	id := p.Identity()
	id.Roles[0] = "changed"
	require.Equal(t, []string{"admin", "user"}, p.Roles())

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "who", p, "anon", ac.Anonymous())
	require.Contains(t, buf.String(), "who.uid=u-1")
	require.Contains(t, buf.String(), "who.apikey=abcdefgh")
	require.Contains(t, buf.String(), "anon=anonymous")

	a := ac.Anonymous()
	require.False(t, a.Authenticated())
	require.Empty(t, a.UID())
	require.Nil(t, a.Roles())
	require.Nil(t, a.Scopes())
	require.False(t, a.HasRole("user"))
	require.Equal(t, ac.Identity{}, a.Identity())
	require.Equal(t, "anonymous", a.String())
	_, ok := ac.PrincipalFrom(context.Background())
	require.False(t, ok)
}

func TestActionSet(t *testing.T) {
	s, err := ac.ParseActions("urdcc")
	require.NoError(t, err)
	require.Equal(t, "cdru", s.String())
	require.True(t, s.Has('r'))
	require.False(t, s.Has('g'))
	require.False(t, s.Has('x'))
	all, err := ac.ParseActions(ac.Letters)
	require.NoError(t, err)
	require.Equal(t, ac.Letters, all.String())
	require.True(t, all.Contains(s))
	require.False(t, s.Contains(all))
	_, err = ac.ParseActions("cdé")
	require.ErrorIs(t, err, ac.ErrUnknownAction)
	require.EqualError(t, err, `unknown action "é"`)
	b, ok := ac.ActionOf('d')
	require.True(t, ok)
	require.Equal(t, "d", b.String())
	_, ok = ac.ActionOf('D')
	require.False(t, ok)
}

func TestMayPerform(t *testing.T) {
	p := exampleService(t)
	cases := []struct {
		who      ac.Principal
		action   byte
		resource string
		want     bool
	}{
		{principal("u", "admin"), 'u', "settings", true},
		{principal("u", "user"), 'u', "settings", false},
		{principal("u", "user"), 'd', "contact", true}, // own contacts
		{principal("u", "user", "list-L-manager"), 'h', "message", true},
		{principal("u", "user", "list-L-member"), 'h', "message", false},
		{principal("u", "user", "list-L-invitee"), 'c', "message", true},
		{ac.Anonymous(), 'c', "account", true},
		{ac.Anonymous(), 'u', "account", false},
		{principal("u", "user"), 'x', "account", false},
		{principal("u", "user"), 'r', "nothing", false},
	}
	for i, c := range cases {
		require.Equal(t, c.want, p.MayPerform(c.who, c.action, c.resource), "case %d", i)
	}
}
