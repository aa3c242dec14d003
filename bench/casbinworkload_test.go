package bench

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/apicrud-go/apicrud/accesscontrol"
)

// casbinRBACModel is casbin's examples/rbac_model.conf, the model of its
// published RBAC benchmarks (model_b_test.go).
const casbinRBACModel = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`

// casbinWorkload builds casbin's BenchmarkRBACModelSmall workload: 100
// roles group<i> reading data<i/10> (100 policy lines) and 1,000 users
// user<i> in group<i/10> (1,000 grouping lines), into e.
func casbinWorkload(tb testing.TB, e casbin.IEnforcer) {
	tb.Helper()
	var p, g [][]string
	for i := range 100 {
		p = append(p, []string{fmt.Sprintf("group%d", i), fmt.Sprintf("data%d", i/10), "read"})
	}
	for i := range 1000 {
		g = append(g, []string{fmt.Sprintf("user%d", i), fmt.Sprintf("group%d", i/10)})
	}
	if _, err := e.AddPolicies(p); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.AddGroupingPolicies(g); err != nil {
		tb.Fatal(err)
	}
}

// casbinWorkloadPolicy is the same workload as an accesscontrol policy:
// resource data<j> has the rules "group<i> reads every record" for its ten
// groups. Users' groups are their roles, which a request's principal
// carries (from the session), as apicrud's model has it.
func casbinWorkloadPolicy(tb testing.TB) *accesscontrol.Policy {
	tb.Helper()
	var y strings.Builder
	y.WriteString("policies:\n")
	for j := range 10 {
		fmt.Fprintf(&y, "  data%d:\n", j)
		for i := j * 10; i < j*10+10; i++ {
			fmt.Fprintf(&y, "    - {principal: group%d, resource: \"{resource}:*\", actions: r}\n", i)
		}
	}
	pol, err := accesscontrol.LoadBytes([]byte(y.String()), "casbin-rbac-small.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return pol
}

// BenchmarkCasbinWorkload runs casbin's own RBAC benchmark workload
// (BenchmarkRBACModelSmall: 1,100 rules, 1,000 users) through apicrud and
// through casbin's Enforcer, CachedEnforcer and SyncedCachedEnforcer. Each
// request is one user's question about one resource; the users rotate over
// all 1,000 and the resources over all ten, so that about one request in
// ten is allowed (casbin's own benchmark repeats one denied request).
//
//   - request: apicrud builds the user's Principal from its identity (uid
//     and role, as a session gives them) and decides, as a server does per
//     request; casbin looks the user's roles up in its enforcer (the
//     cached enforcers answer from their cache after the first round).
//   - decision: apicrud decides for a principal built beforehand (one per
//     user).
func BenchmarkCasbinWorkload(b *testing.B) {
	pol := casbinWorkloadPolicy(b)
	m, err := model.NewModelFromString(casbinRBACModel)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := casbin.NewEnforcer(m)
	if err != nil {
		b.Fatal(err)
	}
	cached, err := casbin.NewCachedEnforcer(m)
	if err != nil {
		b.Fatal(err)
	}
	synced, err := casbin.NewSyncedCachedEnforcer(m)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []casbin.IEnforcer{plain, cached, synced} {
		casbinWorkload(b, e)
	}
	const users = 1000
	uids, roles, principals := make([]string, users), make([][]string, users), make([]accesscontrol.Principal, users)
	for i := range users {
		uids[i] = fmt.Sprintf("user%d", i)
		roles[i] = []string{fmt.Sprintf("group%d", i/10)}
		principals[i] = accesscontrol.NewPrincipal(accesscontrol.Identity{UID: uids[i], Roles: roles[i]})
	}
	resources := make([]string, 10)
	for j := range resources {
		resources[j] = fmt.Sprintf("data%d", j)
	}
	// Both give the same answers.
	allowed := 0
	for i := range users {
		for j, res := range resources {
			want := i/100 == j
			for _, e := range []casbin.IEnforcer{cached, synced} { // and fill their caches
				got, err := e.Enforce(uids[i], res, "read")
				if err != nil || got != want {
					b.Fatalf("casbin: %s %s: %v %v", uids[i], res, got, err)
				}
			}
			if pol.AllowedFor(principals[i], 'r', res, accesscontrol.Record{ID: "r"}) != want {
				b.Fatalf("apicrud: %s %s: %v", uids[i], res, !want)
			}
			if want {
				allowed++
			}
		}
	}
	if allowed != users {
		b.Fatalf("%d allowed", allowed)
	}
	// next returns a request counter for one goroutine: user i%1000 asks
	// about data (i/1000)%10... so that users and resources both rotate.
	var seq atomic.Int64
	next := func() (int, int) {
		n := int(seq.Add(7919)) // a prime stride over 10,000 pairs
		n %= users * 10
		return n % users, n / users
	}
	rec := accesscontrol.Record{ID: "r"}
	casbinSide := func(name string, e casbin.IEnforcer) side {
		return serialSide(name, func() error {
			u, r := next()
			_, err := e.Enforce(uids[u], resources[r], "read")
			return err
		})
	}
	peers := []side{casbinSide("casbin", plain), casbinSide("casbin-CachedEnforcer", cached), casbinSide("casbin-SyncedCachedEnforcer", synced)}
	b.Run("request", func(b *testing.B) {
		apicrud := serialSide("apicrud", func() error {
			u, r := next()
			p := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: uids[u], Roles: roles[u]})
			pol.AllowedFor(p, 'r', resources[r], rec)
			return nil
		})
		compare(b, 1, append([]side{apicrud}, peers...)...)
	})
	b.Run("decision", func(b *testing.B) {
		apicrud := serialSide("apicrud", func() error {
			u, r := next()
			pol.AllowedFor(principals[u], 'r', resources[r], rec)
			return nil
		})
		compare(b, 1, append([]side{apicrud}, peers...)...)
	})
	b.Run("request/parallel", func(b *testing.B) {
		apicrud := serialSide("apicrud", func() error {
			u, r := next()
			p := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: uids[u], Roles: roles[u]})
			pol.AllowedFor(p, 'r', resources[r], rec)
			return nil
		})
		compare(b, runtime.GOMAXPROCS(0), apicrud, peers[1], peers[2])
	})
}
