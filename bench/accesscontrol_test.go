package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"

	"github.com/apicrud-go/apicrud/accesscontrol"
)

// The access-control comparison: the same decisions through apicrud's
// accesscontrol (Policy.AllowedFor) and through casbin/v2 (Enforcer.Enforce)
// with an equivalent RBAC model, on one policy of 1,000 rules and one
// principal holding 50 roles (the figures of issue 3). The ratio of interest
// is casbin ns/op ÷ apicrud ns/op per case (target >= 20).
//
// Both policies are rendered from one rule list (acRules), the one
// accesscontrol's own BenchmarkDecide uses: 100 resources of 10 rules each,
// in rotation
//
//	role<n>         -> {resource}:*        : r     a role, every record
//	user/{{uid}}    -> {resource}:{{uid}}  : cdru  the owner (role "user")
//	list-{{list_id}}-member
//	                -> {resource}:{{list_id}} : gr members of the record's list
//	role<n+7>       -> {resource}:{{uid}}  : u     a role, records it owns
//	team<r>-*       -> {resource}:*        : l     a role pattern (every other resource)
//	*               -> {resource}:*        : c     anyone (the other resources)
//
// and the principal has the roles user, team3-dev, eight role<n> and 40
// list memberships "list-x-<id>-<level>" (invitee, member or manager).
// Records also carry a privacy level: public records are readable by
// anyone, and a member reads the records of its list whose privacy is at
// most its level.
//
// The casbin model expresses the same semantics as closely as casbin can:
//
//   - A rule becomes one policy line per action letter (casbin's idiom:
//     one (sub, obj, act) per line, compared with ==): 1,800 lines.
//     p = sub, res, sel, act where sel is "*" (every record), "own" (records
//     whose owner is the caller) or "list" (records of a list where the
//     caller holds the level sub).
//   - Roles are g links from the user (g, u-1, role0); the pattern
//     principal team3-* is matched by casbin's role-pattern mechanism
//     (AddNamedMatchingFunc on g with util.GlobMatch), and "*" is
//     compared literally in the matcher.
//   - Memberships are domain roles in g2 (g2, u-1, member, x-0001), written
//     cumulatively as apicrud's get_roles writes them (a manager also holds
//     member and invitee), so that g2(r.sub, "member", r.list) means "level
//     member or above in the record's list".
//   - Privacy is a clause of the matcher: r.privacy == "public", or
//     g2(r.sub, r.privacy, r.list) for a read.
//
// TestAccessEquivalence checks that the two give the same answer on
// thousands of random requests before the figures mean anything.
//
// Cases (BenchmarkAccess/<case>/<library>):
//
//   - owner: update of the caller's own record (a rule on owned records).
//   - role: read granted by a plain role on every record.
//   - member: "g" granted by a membership rule in the record's list.
//   - privacy: read of a manager-privacy record in a list the caller manages.
//   - denied: delete that no rule grants (every rule is looked at).
//   - request: apicrud builds a new Principal (indexing its 50 roles
//     against the policy) and decides once, which is what a server pays
//     when a request makes a single decision; casbin keeps the user's
//     roles in the enforcer, so its figure is the member decision again.
//
// casbin's Enforcer memoizes g() results between calls, so repeating one
// request favours it; CachedEnforcer and SyncedCachedEnforcer (the same
// model and lines) answer a repeated request from their cache, keyed by
// the request's values, which is what a casbin user runs. apicrud's
// figure involves no cache of answers. Each case runs the four in
// alternating rounds (compare).
func BenchmarkAccess(b *testing.B) {
	rules := acRules()
	pol, who := acPolicy(b, rules)
	enf := acCasbin(b, rules)
	newModel := func() model.Model {
		m, err := model.NewModelFromString(acModel)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	cached, err := casbin.NewCachedEnforcer(newModel())
	if err != nil {
		b.Fatal(err)
	}
	synced, err := casbin.NewSyncedCachedEnforcer(newModel())
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []*casbin.Enforcer{cached.Enforcer, synced.SyncedEnforcer.Enforcer} {
		acCasbinSetup(b, e, rules)
	}
	type req struct {
		resource string
		action   byte
		rec      accesscontrol.Record
		want     bool
	}
	cases := []struct {
		name string
		req
	}{
		{"owner", req{"res42", 'u', accesscontrol.Record{ID: "r", Owner: "u-1", Privacy: "secret"}, true}},
		{"role", req{"res5", 'r', accesscontrol.Record{ID: "r", Owner: "u-2"}, true}},
		{"member", req{"res42", 'g', accesscontrol.Record{ID: "r", Owner: "u-2", Parent: "x-0001", Privacy: "member"}, true}},
		{"privacy", req{"res42", 'r', accesscontrol.Record{ID: "r", Owner: "u-2", Parent: "x-0005", Privacy: "manager"}, true}},
		{"denied", req{"res42", 'd', accesscontrol.Record{ID: "r", Owner: "u-2", Parent: "x-0002", Privacy: "secret"}, false}},
	}
	casbinSide := func(name string, e casbin.IEnforcer, c req) side {
		act := string(rune(c.action))
		return serialSide(name, func() error {
			_, err := e.Enforce("u-1", c.resource, c.rec.Owner, c.rec.Parent, c.rec.Privacy, act)
			return err
		})
	}
	casbinSides := func(c req) []side {
		return []side{casbinSide("casbin", enf, c), casbinSide("casbin-CachedEnforcer", cached, c), casbinSide("casbin-SyncedCachedEnforcer", synced, c)}
	}
	for _, c := range cases {
		if got := pol.AllowedFor(who, c.action, c.resource, c.rec); got != c.want {
			b.Fatalf("%s: apicrud says %v", c.name, got)
		}
		for _, e := range []casbin.IEnforcer{enf, cached, synced} {
			if got := acEnforce(b, e, who.UID(), c.action, c.resource, c.rec); got != c.want {
				b.Fatalf("%s: casbin says %v", c.name, got)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			apicrud := serialSide("apicrud", func() error {
				pol.AllowedFor(who, c.action, c.resource, c.rec)
				return nil
			})
			compare(b, 1, append([]side{apicrud}, casbinSides(c.req)...)...)
		})
	}
	member := cases[2]
	roles := acPrincipalRoles()
	b.Run("request", func(b *testing.B) {
		apicrud := serialSide("apicrud", func() error {
			p := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-1", Roles: roles})
			pol.AllowedFor(p, member.action, member.resource, member.rec)
			return nil
		})
		compare(b, 1, append([]side{apicrud}, casbinSides(member.req)...)...)
	})
}

// TestAccessEquivalence: the casbin model of BenchmarkAccess decides like
// the accesscontrol policy, over random resources, actions and records, for
// the 50-role principal, a principal holding only "user", and one without
// roles.
func TestAccessEquivalence(t *testing.T) {
	rules := acRules()
	pol, big := acPolicy(t, rules)
	enf := acCasbin(t, rules)
	small := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-2", Roles: []string{"user"}})
	none := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-3"})
	rng := rand.New(rand.NewPCG(3, 7))
	levels := []string{"", "public", "invitee", "member", "manager", "secret"}
	owners := []string{"", "u-1", "u-2", "u-3", "u-9"}
	allowed := 0
	const n = 3000
	for i := range n {
		who := []accesscontrol.Principal{big, big, small, none}[rng.IntN(4)]
		resource := fmt.Sprintf("res%d", rng.IntN(100))
		action := accesscontrol.Letters[rng.IntN(len(accesscontrol.Letters))]
		rec := accesscontrol.Record{ID: "r", Owner: owners[rng.IntN(len(owners))], Privacy: levels[rng.IntN(len(levels))]}
		if rng.IntN(4) > 0 {
			rec.Parent = fmt.Sprintf("x-%04d", rng.IntN(45))
		}
		want := pol.AllowedFor(who, action, resource, rec)
		if got := acEnforce(t, enf, who.UID(), action, resource, rec); got != want {
			t.Fatalf("request %d: %s %c %s %+v: casbin %v, apicrud %v (%s)", i, who.UID(), action, resource, rec, got, want,
				pol.Explain(who, action, resource, rec))
		}
		if want {
			allowed++
		}
	}
	if allowed < n/10 || allowed > n*9/10 {
		t.Fatalf("%d of %d requests allowed: the sample does not exercise both outcomes", allowed, n)
	}
	t.Logf("%d requests, %d allowed, same answers", n, allowed)
}

// acRule is one rule of the shared policy.
type acRule struct {
	res       string
	principal string // accesscontrol's principal template
	role      string // casbin: role, "*", or the membership level
	sel       string // "*", "own" or "list"
	actions   string
}

// acRules returns the 1,000 rules of accesscontrol's BenchmarkDecide
// (bigPolicy(100, 10) in accesscontrol/gen_test.go).
func acRules() []acRule {
	const resources, perRes = 100, 10
	var rules []acRule
	n := 0
	for r := range resources {
		res := fmt.Sprintf("res%d", r)
		for i := range perRes {
			var rule acRule
			switch i % 5 {
			case 0:
				role := fmt.Sprintf("role%d", n%(2*resources))
				rule = acRule{res, role, role, "*", "r"}
			case 1:
				rule = acRule{res, "user/{{uid}}", "user", "own", "cdru"}
			case 2:
				rule = acRule{res, "list-{{list_id}}-member", "member", "list", "gr"}
			case 3:
				role := fmt.Sprintf("role%d", (n+7)%(2*resources))
				rule = acRule{res, role, role, "own", "u"}
			case 4:
				if i%10 == 4 {
					pattern := fmt.Sprintf("team%d-*", r%10)
					rule = acRule{res, pattern, pattern, "*", "l"}
				} else {
					rule = acRule{res, "*", "*", "*", "c"}
				}
			}
			rules = append(rules, rule)
			n++
		}
	}
	return rules
}

// acPrincipalRoles returns the principal's 50 roles.
func acPrincipalRoles() []string {
	roles := []string{"user", "team3-dev"}
	for i := range 8 {
		roles = append(roles, fmt.Sprintf("role%d", i*25))
	}
	for i := range 40 {
		roles = append(roles, fmt.Sprintf("list-x-%04d-%s", i, acLevels[1+i%3]))
	}
	return roles
}

// acLevels are the privacy levels, least restrictive first.
var acLevels = []string{"public", "invitee", "member", "manager", "secret"}

// acPolicy loads the rules into accesscontrol and returns the policy and
// the 50-role principal "u-1", indexed.
func acPolicy(tb testing.TB, rules []acRule) (*accesscontrol.Policy, accesscontrol.Principal) {
	tb.Helper()
	var y strings.Builder
	y.WriteString("privacy_levels: [" + strings.Join(acLevels, ", ") + "]\n")
	y.WriteString("private_resources:\n  - {resource: list, attr: list_id}\npolicies:\n  list: []\n")
	last := ""
	for _, r := range rules {
		if r.res != last {
			fmt.Fprintf(&y, "  %s:\n", r.res)
			last = r.res
		}
		resource := `"{resource}:*"`
		switch r.sel {
		case "own":
			resource = `"{resource}:{{uid}}"`
		case "list":
			resource = `"{resource}:{{list_id}}"`
		}
		fmt.Fprintf(&y, "    - {principal: %q, resource: %s, actions: %s}\n", r.principal, resource, r.actions)
	}
	pol, err := accesscontrol.LoadBytes([]byte(y.String()), "bench.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	if pol.Rules() != 1000 {
		tb.Fatalf("%d rules, want 1000", pol.Rules())
	}
	who := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-1", Roles: acPrincipalRoles()})
	if len(who.Roles()) != 50 {
		tb.Fatalf("%d roles, want 50", len(who.Roles()))
	}
	pol.AllowedFor(who, 'r', "res0", accesscontrol.Record{}) // index the principal
	return pol, who
}

// acModel is the casbin model equivalent to accesscontrol's semantics
// (see BenchmarkAccess). The privacy clause does not depend on p, so casbin
// needs at least one policy line to apply it (there are 1,800).
const acModel = `
[request_definition]
r = sub, res, owner, list, privacy, act

[policy_definition]
p = sub, res, sel, act

[role_definition]
g = _, _
g2 = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (r.res == p.res && r.act == p.act && \
      ((p.sel == "*" && (p.sub == "*" || g(r.sub, p.sub))) || \
       (p.sel == "own" && r.sub != "" && r.owner == r.sub && g(r.sub, p.sub)) || \
       (p.sel == "list" && r.list != "" && g2(r.sub, p.sub, r.list)))) || \
    (r.act == "r" && (r.privacy == "public" || \
       (r.list != "" && r.privacy != "" && g2(r.sub, r.privacy, r.list))))
`

// acCasbin builds the casbin enforcer: the policy lines of rules, the
// roles of "u-1" (the 50-role principal) and "u-2" (user).
func acCasbin(tb testing.TB, rules []acRule) *casbin.Enforcer {
	tb.Helper()
	m, err := model.NewModelFromString(acModel)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		tb.Fatal(err)
	}
	acCasbinSetup(tb, e, rules)
	return e
}

// acCasbinSetup gives e the pattern matcher, the policy lines and the
// grouping lines of acCasbin.
func acCasbinSetup(tb testing.TB, e *casbin.Enforcer, rules []acRule) {
	tb.Helper()
	e.EnableLog(false)
	e.AddNamedMatchingFunc("g", "globMatch", func(role, pattern string) bool {
		ok, err := util.GlobMatch(role, pattern)
		return ok && err == nil
	})
	var lines [][]string
	for _, r := range rules {
		for _, a := range r.actions {
			lines = append(lines, []string{r.role, r.res, r.sel, string(a)})
		}
	}
	if ok, err := e.AddPolicies(lines); err != nil || !ok {
		tb.Fatalf("AddPolicies: %v %v", ok, err)
	}
	var g, g2 [][]string
	for _, role := range acPrincipalRoles() {
		if !strings.HasPrefix(role, "list-") {
			g = append(g, []string{"u-1", role})
			continue
		}
		// list-x-0001-member -> domain x-0001, levels invitee..member.
		rest := strings.TrimPrefix(role, "list-")
		cut := strings.LastIndexByte(rest, '-')
		id, level := rest[:cut], rest[cut+1:]
		for _, l := range acLevels[1:] {
			g2 = append(g2, []string{"u-1", l, id})
			if l == level {
				break
			}
		}
	}
	g = append(g, []string{"u-2", "user"})
	if ok, err := e.AddNamedGroupingPolicies("g", g); err != nil || !ok {
		tb.Fatalf("AddNamedGroupingPolicies g: %v %v", ok, err)
	}
	if ok, err := e.AddNamedGroupingPolicies("g2", g2); err != nil || !ok {
		tb.Fatalf("AddNamedGroupingPolicies g2: %v %v", ok, err)
	}
}

// acEnforce asks casbin the question AllowedFor answers.
func acEnforce(tb testing.TB, e casbin.IEnforcer, uid string, action byte, resource string, rec accesscontrol.Record) bool {
	tb.Helper()
	ok, err := e.Enforce(uid, resource, rec.Owner, rec.Parent, rec.Privacy, string(rune(action)))
	if err != nil {
		tb.Fatal(err)
	}
	return ok
}
