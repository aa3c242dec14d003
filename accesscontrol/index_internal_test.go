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
	bind := func(id Identity) *binding { return NewPrincipal(id).binding(c) }

	a1 := bind(Identity{UID: "u-1", Roles: []string{"a", "b"}})
	a2 := bind(Identity{UID: "u-2", Roles: []string{"a", "b"}})
	require.Same(t, a1.roleIndex, a2.roleIndex)
	require.Equal(t, "u-2", a2.uid)
	require.NotSame(t, a1.roleIndex, bind(Identity{UID: "u-1", Roles: []string{"b", "a"}}).roleIndex)
	require.NotSame(t, a1.roleIndex, bind(Identity{UID: "u-1", Roles: []string{"a", "b"}, Scopes: []string{"s"}}).roleIndex)
	require.Same(t, &c.noRoles, bind(Identity{UID: "u-1"}).roleIndex)

	var many []string
	for i := range indexMaxRoles + 1 {
		many = append(many, fmt.Sprintf("r%d", i))
	}
	huge := []string{strings.Repeat("a", indexMaxBytes+1)}
	for _, roles := range [][]string{many, huge} {
		b1, b2 := bind(Identity{Roles: roles}), bind(Identity{Roles: roles})
		require.NotSame(t, b1.roleIndex, b2.roleIndex)
		_, ok := c.indexHash(NewPrincipal(Identity{Roles: roles}).p)
		require.False(t, ok)
	}
}
