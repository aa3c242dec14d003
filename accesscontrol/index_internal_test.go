package accesscontrol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIndexShared checks that principals holding the same roles and scopes
// share one index (the cache is used), that other sets get their own, and
// that a set over the cache's limits is indexed for its principal alone.
func TestIndexShared(t *testing.T) {
	p, err := LoadBytes([]byte("policies:\n  doc:\n    - {principal: a, resource: \"{resource}:*\", actions: r}\n"), "t.yaml")
	require.NoError(t, err)
	c := p.cur.Load()
	bind := func(id Identity) binding { pr := NewPrincipal(id); return c.bind(pr.p) }

	a1 := bind(Identity{UID: "u-1", Roles: []string{"a", "b"}})
	a2 := bind(Identity{UID: "u-2", Roles: []string{"a", "b"}})
	require.Same(t, a1.roleIndex, a2.roleIndex)
	require.Equal(t, "u-2", a2.pr.uid)
	require.NotSame(t, a1.roleIndex, bind(Identity{UID: "u-1", Roles: []string{"b", "a"}}).roleIndex)
	require.NotSame(t, a1.roleIndex, bind(Identity{UID: "u-1", Roles: []string{"a", "b"}, Scopes: []string{"s"}}).roleIndex)
	require.Same(t, &c.noRoles, bind(Identity{UID: "u-1"}).roleIndex)
	require.Same(t, &c.noRoles, c.bind(principal{}).roleIndex)
	// One role is kept as given, several are packed with their lengths:
	// a single role spelling two packed ones is another set.
	require.NotSame(t, a1.roleIndex, bind(Identity{UID: "u-1", Roles: []string{"\x01a\x01b"}}).roleIndex)
	one := bind(Identity{UID: "u-1", Roles: []string{"a"}})
	require.Same(t, one.roleIndex, bind(Identity{UID: "u-3", Roles: []string{"a"}, AuthMethod: "password"}).roleIndex)
	require.Equal(t, 1, one.nroles)

	var many []string
	for i := range indexMaxRoles + 1 {
		many = append(many, fmt.Sprintf("r%d", i))
	}
	huge := []string{strings.Repeat("a", indexMaxBytes+1)}
	for _, roles := range [][]string{many, huge} {
		b1, b2 := bind(Identity{Roles: roles}), bind(Identity{Roles: roles})
		require.NotSame(t, b1.roleIndex, b2.roleIndex)
		pr := NewPrincipal(Identity{Roles: roles})
		require.False(t, indexable(&pr.p))
		require.True(t, pr.p.x.own)
		// Its own index is kept for its later decisions.
		require.Same(t, c.bind(pr.p).roleIndex, c.bind(pr.p).roleIndex)
	}
}

// TestIndexCacheTwoWays checks that two role sets whose hashes share a
// pair of slots both stay in the index cache, and that a third evicts the
// older one.
func TestIndexCacheTwoWays(t *testing.T) {
	p, err := LoadBytes([]byte("policies:\n  doc:\n    - {principal: a, resource: \"{resource}:*\", actions: r}\n"), "t.yaml")
	require.NoError(t, err)
	c := p.cur.Load()
	// Find three single roles whose hashes fall in one pair of slots.
	var same []Principal
	var pair uint64
	for i := 0; len(same) < 3; i++ {
		pr := NewPrincipal(Identity{UID: "u", Roles: []string{fmt.Sprintf("r%d", i)}})
		h := c.indexHash(&pr.p) & (indexSlots - 1) &^ 1
		if len(same) == 0 {
			pair = h
		}
		if h == pair {
			same = append(same, pr)
		}
	}
	a, b, x := same[0], same[1], same[2]
	ia, ib := c.bind(a.p).roleIndex, c.bind(b.p).roleIndex
	require.Same(t, ia, c.bind(a.p).roleIndex)
	require.Same(t, ib, c.bind(b.p).roleIndex)
	_ = c.bind(x.p) // evicts a, the older
	require.Same(t, ib, c.bind(b.p).roleIndex)
	require.NotSame(t, ia, c.bind(a.p).roleIndex)
}
