package accesscontrol_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

// indexPolicy grants by plain role, role pattern, membership and scope, so
// that a principal whose decision used another role set's index would
// decide differently.
const indexPolicy = `
privacy_levels: [public, member, manager, secret]
private_resources:
  - {resource: list, attr: list_id}
policies:
  list: []
  doc:
    - {principal: a, resource: "{resource}:*", actions: r}
    - {principal: bc, resource: "{resource}:*", actions: u}
    - {principal: ab, resource: "{resource}:*", actions: d}
    - {principal: c, resource: "{resource}:*", actions: c}
    - {principal: "team-*", resource: "{resource}:*", actions: l}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: g}
    - {principal: "list-{{list_id}}-manager", resource: "{resource}:{{list_id}}", actions: h}
  metric:
    - {principal: "list-{{list_id}}-member", resource: "{resource}:{{list_id}}", actions: r}
scopes:
  - {name: audit, roles: [a, c], resources: {metric: i}}
`

// TestIndexCache checks that principals decide by their own roles, scopes
// and uid whatever role sets the policy's index cache holds: role sets
// that pack alike ("ab","c" and "a","bc"), the same roles in another
// order, more sets than the cache has slots (so that they evict each
// other), sets too large for the cache, long roles, and, under -race,
// principals built and used concurrently. Explain, which reads the rules
// one by one without the index, is the reference.
func TestIndexCache(t *testing.T) {
	p := load(t, indexPolicy)
	long := "team-" + strings.Repeat("x", 300) // a uvarint length of 2 bytes
	pool := []string{"a", "ab", "bc", "c", "b", "", "team-1", long, "list-L1-member", "list-L1-manager",
		"list-L2-member", "list-L2-secret", "list-L1", "user"}
	rng := rand.New(rand.NewPCG(5, 8))
	var whos []ac.Identity
	for i := range 3000 {
		var roles []string
		for range rng.IntN(6) {
			roles = append(roles, pool[rng.IntN(len(pool))])
		}
		roles = append(roles, fmt.Sprintf("r%d", i)) // 3,000 distinct sets
		if i%100 == 0 {                              // too many roles for the cache
			for k := range 70 {
				roles = append(roles, fmt.Sprintf("x%d", k))
			}
		}
		rng.Shuffle(len(roles), func(i, j int) { roles[i], roles[j] = roles[j], roles[i] })
		whos = append(whos, ac.Identity{UID: []string{"", "u-1", "u-2"}[rng.IntN(3)], Roles: roles,
			Scopes: []string{"audit", "other"}[:rng.IntN(3)]})
	}
	whos = append(whos,
		ac.Identity{UID: "u-1", Roles: []string{"ab", "c"}},
		ac.Identity{UID: "u-1", Roles: []string{"a", "bc"}},
		ac.Identity{UID: "u-1", Roles: []string{"abc"}},
		ac.Identity{UID: "u-1", Roles: []string{"c", "ab"}},
		ac.Identity{UID: "u-2", Roles: []string{"ab", "c"}, Scopes: []string{"audit"}},
		ac.Identity{UID: "u-2", Roles: []string{long}},
		ac.Identity{UID: "u-2", Roles: []string{long[:len(long)-1], "x"}},
	)
	recs := []struct {
		res string
		rec ac.Record
	}{
		{"doc", ac.Record{ID: "d", Owner: "u-1", Parent: "L1", Privacy: "member"}},
		{"doc", ac.Record{ID: "d", Owner: "u-2", Parent: "L2", Privacy: "secret"}},
		{"metric", ac.Record{ID: "m", Owner: "u-1", Parent: "L1"}},
		{"metric", ac.Record{ID: "m", Owner: "u-3", Parent: "L2", Privacy: "public"}},
		{"list", ac.Record{ID: "L1", Owner: "u-2", Privacy: "manager"}},
	}
	check := func(id ac.Identity) error {
		pr := ac.NewPrincipal(id)
		for _, r := range recs {
			want := p.Explain(pr, 'r', r.res, r.rec).Actions
			if got := p.Actions(pr, r.res, r.rec); got != want {
				return fmt.Errorf("%+v on %s %+v: %s, Explain says %s", id, r.res, r.rec, got, want)
			}
		}
		if got := pr.Identity().Roles; !slices.Equal(got, id.Roles) {
			return fmt.Errorf("roles %q, want %q", got, id.Roles)
		}
		return nil
	}
	for pass := range 2 { // the second pass finds other sets in the slots
		if pass == 1 {
			rng.Shuffle(len(whos), func(i, j int) { whos[i], whos[j] = whos[j], whos[i] })
		}
		for _, id := range whos {
			require.NoError(t, check(id))
		}
	}
	// The sets that pack alike decide apart.
	ab := p.Actions(ac.NewPrincipal(ac.Identity{UID: "u-9", Roles: []string{"ab", "c"}}), "doc", recs[0].rec)
	abc := p.Actions(ac.NewPrincipal(ac.Identity{UID: "u-9", Roles: []string{"a", "bc"}}), "doc", recs[0].rec)
	require.Equal(t, "cd", ab.String())
	require.Equal(t, "ru", abc.String())

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				id := whos[(i*7+g*613)%len(whos)]
				if err := check(id); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
