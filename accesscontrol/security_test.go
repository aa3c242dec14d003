package accesscontrol_test

// Regression tests for the defects of the Python original (behaviour
// §20) and the quirks of §21 that touch access control and API keys. Each
// attacks the way the defect was exploited and passes because the attack
// fails.

import (
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

// §20.13: membership policies were dead code (a list manager could not
// manage the list) ...
func TestDefect13_MembershipPoliciesDead(t *testing.T) {
	p := exampleService(t)
	mgr := principal("u-mgr", "user", "list-x-L1-invitee", "list-x-L1-member", "list-x-L1-manager")
	list := ac.Record{ID: "x-L1", Owner: "u-owner", Privacy: "secret"}
	require.Equal(t, "cdghijru", p.Actions(mgr, "list", list).String())
	msg := ac.Record{ID: "x-M1", Owner: "u-other", Privacy: "secret", Parent: "x-L1"}
	require.True(t, p.AllowedFor(mgr, 'd', "message", msg))
	// ... and they must apply to the record's own list only.
	require.False(t, p.AllowedFor(mgr, 'd', "message", ac.Record{ID: "x-M2", Owner: "u-other", Parent: "x-L2"}))
	require.False(t, p.AllowedFor(mgr, 'u', "list", ac.Record{ID: "x-L2", Owner: "u-owner"}))
}

// §20.13: privacy was checked against the caller's *first* list, so any
// member of any list could read every member-privacy contact of every user.
func TestDefect13_PrivacyUsesCallersFirstList(t *testing.T) {
	p := exampleService(t)
	attacker := principal("u-att", "user", "list-x-MINE-member") // member of a list of his own making
	victimContact := ac.Record{ID: "x-C1", Owner: "u-victim", Privacy: "member"}
	require.False(t, p.AllowedFor(attacker, 'r', "contact", victimContact))
	victimProfile := ac.Record{ID: "x-P1", Owner: "u-victim", Privacy: "member"}
	require.False(t, p.AllowedFor(attacker, 'r', "profile", victimProfile))
	// In a list the attacker does not belong to, neither.
	require.False(t, p.AllowedFor(attacker, 'r', "contact", ac.Record{ID: "x-C2", Owner: "u-victim", Privacy: "member", Parent: "x-VICTIMS"}))
	// The SQL filter agrees: no member-privacy row of the victim's list.
	clause, args, err := p.FilterFor(attacker, 'r', "contact", messageCols)
	require.NoError(t, err)
	require.NotContains(t, args, "x-VICTIMS")
	require.Contains(t, clause, "uid = ?")
}

// §20.13: find ignored membership privacy (members could not list
// member-privacy records of their lists, while GET allowed them). The
// filter selects exactly the readable rows.
func TestDefect13_FindIgnoresMembershipPrivacy(t *testing.T) {
	p := exampleService(t)
	member := principal("u-m", "user", "list-x-L1-member")
	clause, args, err := p.FilterFor(member, 'r', "contact", messageCols)
	require.NoError(t, err)
	require.Equal(t, "(uid = ? OR list_id = ? OR privacy = ?)", clause)
	require.Equal(t, []any{"u-m", "x-L1", "public"}, args)
	// TestFilterProperty proves the general case on real databases.
}

// §21 and §18.1: connexion never enforced API-key scopes. RequireScopes
// does, all of them, and a declared scope needs a role that grants it.
func TestQuirk_ScopesEnforced(t *testing.T) {
	p := exampleService(t)
	readonly := ac.NewPrincipal(ac.Identity{UID: "u", Roles: []string{"user"}, Scopes: []string{"readonly"}})
	require.False(t, p.HasScopesFor(readonly, "full"))
	require.False(t, p.HasScopesFor(readonly, "readonly", "full"))
	require.True(t, p.HasScopesFor(readonly, "readonly"))
	// A scope in the credential that no role of the owner grants.
	forged := ac.NewPrincipal(ac.Identity{UID: "u", Roles: []string{"user"}, Scopes: []string{"payments.approve"}})
	require.False(t, p.HasScopesFor(forged, "payments.approve"))
	require.False(t, p.ServiceAllowed(forged, "approve_payment"))
}
