package accesscontrol_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

func TestMembershipRoles(t *testing.T) {
	levels := []string{"public", "invitee", "member", "manager"}
	require.Equal(t, []string{"list-a-invitee", "list-a-member", "list-a-manager"}, ac.MembershipRoles("list", "a", "manager", levels))
	require.Equal(t, []string{"list-a-invitee"}, ac.MembershipRoles("list", "a", "invitee", levels))
	require.Equal(t, []string{"list-x-1-2-invitee", "list-x-1-2-member"}, ac.MembershipRoles("list", "x-1-2", "member", levels), "ids with dashes")
	require.Nil(t, ac.MembershipRoles("list", "a", "public", levels), "public is no membership")
	require.Nil(t, ac.MembershipRoles("list", "a", "owner", levels), "unknown level")
	require.Nil(t, ac.MembershipRoles("list", "", "member", levels), "no id")
	require.Nil(t, ac.MembershipRoles("", "a", "member", levels), "no resource")
	require.Nil(t, ac.MembershipRoles("list", "a", "member", nil), "no levels")
	require.Nil(t, ac.MembershipRoles("list", "a", "public", []string{"public"}))
}

// TestMembershipRolesRoundTrip: the roles MembershipRoles writes are read
// back by decisions as the level they were built for, in the record's own
// membership only, whatever the id looks like (dashes, level names).
func TestMembershipRolesRoundTrip(t *testing.T) {
	p := load(t, `
privacy_levels: [public, invitee, member, manager, secret]
private_resources:
  - {resource: list, attr: list_id}
policies:
  list: []
  note:
    - {principal: "list-{{list_id}}-manager", resource: "{resource}:{{list_id}}", actions: u}
`)
	levels := p.Levels()
	for _, id := range []string{"x-1", "x-manager", "a-member-b", "secret", "-"} {
		for hi, held := range levels[1:] {
			hi++
			roles := ac.MembershipRoles("list", id, held, levels)
			require.Len(t, roles, hi)
			all, top := principal("u", roles...), principal("u", roles[len(roles)-1])
			for pi, priv := range levels {
				rec := ac.Record{ID: "n-1", Owner: "u-other", Privacy: priv, Parent: id}
				want := ""
				if slices.Index(levels, "manager") <= hi {
					want = "u"
				}
				if pi <= hi {
					want = "r" + want
				}
				require.Equal(t, want, p.Actions(all, "note", rec).String(), "id %q held %s privacy %s", id, held, priv)
				require.Equal(t, want, p.Actions(top, "note", rec).String(), "the highest role alone, id %q held %s", id, held)
				other := rec
				other.Parent = id + "-2"
				wantOther := ""
				if pi == 0 {
					wantOther = "r"
				}
				require.Equal(t, wantOther, p.Actions(all, "note", other).String(), "another list, id %q held %s privacy %s", id, held, priv)
			}
		}
	}
}
