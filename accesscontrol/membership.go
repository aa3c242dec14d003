package accesscontrol

import "slices"

// MembershipRoles returns the membership roles of a caller who holds
// level in the record id of the private resource resource (a list, an
// event…): "<resource>-<id>-<level>" for every level from the first after
// public up to level, in the order of levels, the policy's privacy levels
// (Policy.Levels). They are the roles a decision reads back (see Roles and
// memberships in the package documentation); ids may contain '-'. Since
// levels are cumulative in decisions, the last role alone would do; the
// lower ones are for hosts and policies that test them by name, as
// apicrud's did.
//
// With levels [public invitee member manager], MembershipRoles("list",
// "x-1", "member", levels) is [list-x-1-invitee list-x-1-member]. It
// returns nil for public (no membership), for a level that levels does
// not list, and for an empty resource or id.
func MembershipRoles(resource, id, level string, levels []string) []string {
	i := slices.Index(levels, level)
	if i < 1 || resource == "" || id == "" {
		return nil
	}
	out := make([]string, 0, i)
	for _, l := range levels[1 : i+1] {
		out = append(out, resource+"-"+id+"-"+l)
	}
	return out
}
