package accesscontrol_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

// TestExampleService checks decisions of apicrud's example service policy
// (testdata/rbac.yaml; behaviour §7.2 and §7.6). Where apicrud's code gave
// another answer, the comment says so: those are the holes §7.6 and §20.13
// describe (dead membership policies, privacy read against the caller's
// first list), and this library implements the documented intent.
func TestExampleService(t *testing.T) {
	p := exampleService(t)
	var (
		anon  = ac.Anonymous()
		me    = principal("u-me", "user", "list-x-L1-invitee", "list-x-L1-member")
		inv   = principal("u-inv", "user", "list-x-L1-invitee")
		mgr   = principal("u-mgr", "user", "list-x-L1-manager") // cumulative: manager implies member and invitee
		admin = principal("u-admin", "admin", "user")
		other = principal("u-other", "user")
		pend  = principal("u-pend", "pending")
		pers  = principal("u-pers", "person")
		mfa   = principal("u-mfa", "mfarequired")
		totp  = principal("u-totp", "pendingtotp")
		aud   = ac.NewPrincipal(ac.Identity{UID: "u-aud", Roles: []string{"auditor"}, Scopes: []string{"audit.read"}})
		audNo = principal("u-aud", "auditor")                                                                      // the role, not the scope
		usrSc = ac.NewPrincipal(ac.Identity{UID: "u-me", Roles: []string{"user"}, Scopes: []string{"audit.read"}}) // the scope, not the role
	)
	list := func(owner, privacy string) ac.Record { return ac.Record{ID: "x-L1", Owner: owner, Privacy: privacy} }
	msg := func(listID, privacy string) ac.Record {
		return ac.Record{ID: "x-M1", Owner: "u-other", Privacy: privacy, Parent: listID}
	}
	own := func(uid string) ac.Record { return ac.Record{ID: "x-R1", Owner: uid} }

	cases := []struct {
		name     string
		who      ac.Principal
		action   byte
		resource string
		rec      ac.Record
		want     bool
	}{
		// Lists: membership policies are alive (apicrud: dead, §7.6).
		{"member reads list (privacy member)", me, 'r', "list", list("u-other", "member"), true},
		{"member joins list (apicrud: denied, dead rule)", me, 'j', "list", list("u-other", "member"), true},
		{"member gets g on list", me, 'g', "list", list("u-other", "member"), true},
		{"member may not update list", me, 'u', "list", list("u-other", "member"), false},
		{"member may not delete list", me, 'd', "list", list("u-other", "member"), false},
		{"member may not host list", me, 'h', "list", list("u-other", "member"), false},
		{"manager hosts list (apicrud: denied, dead rule)", mgr, 'h', "list", list("u-other", "secret"), true},
		{"manager updates list", mgr, 'u', "list", list("u-other", "secret"), true},
		{"manager deletes list", mgr, 'd', "list", list("u-other", "secret"), true},
		{"invitee reads list", inv, 'r', "list", list("u-other", "secret"), true},
		{"invitee may not join list", inv, 'j', "list", list("u-other", "member"), false},
		{"stranger may not read member list", other, 'r', "list", list("u-me", "member"), false},
		{"stranger reads public list", other, 'r', "list", ac.Record{ID: "x-L9", Owner: "u-me", Privacy: "public"}, true},
		{"owner has every list action", me, 'h', "list", ac.Record{ID: "x-L9", Owner: "u-me", Privacy: "secret"}, true},
		{"admin invites to any list", admin, 'i', "list", list("u-other", "secret"), true},
		{"admin has no g on others' lists", admin, 'g', "list", list("u-other", "secret"), false},
		{"member of L1 is nobody in L2", me, 'r', "list", ac.Record{ID: "x-L2", Owner: "u-other", Privacy: "member"}, false},

		// Messages attached to a list.
		{"invitee rule lets member read message", me, 'r', "message", msg("x-L1", "secret"), true},
		{"invitee rule lets member post message", me, 'c', "message", msg("x-L1", "member"), true},
		{"member may not delete others' message", me, 'd', "message", msg("x-L1", "member"), false},
		{"manager deletes message in his list", mgr, 'd', "message", msg("x-L1", "member"), true},
		{"manager may not update others' message", mgr, 'u', "message", msg("x-L1", "member"), false},
		{"manager is nobody in another list", mgr, 'd', "message", msg("x-L2", "member"), false},
		{"public message in foreign list is readable", me, 'r', "message", msg("x-L2", "public"), true},
		{"public message is not writable", me, 'c', "message", msg("x-L2", "public"), false},
		{"member privacy in foreign list is not readable", me, 'r', "message", msg("x-L2", "member"), false},
		{"anonymous reads public message", anon, 'r', "message", msg("x-L2", "public"), true},
		{"anonymous may not read member message", anon, 'r', "message", msg("x-L1", "member"), false},

		// Contacts: privacy is checked against the record's own list
		// (apicrud: against the caller's first list, §20.13).
		{"member-privacy contact without list is private (apicrud: readable)", me, 'r', "contact", ac.Record{ID: "x-C1", Owner: "u-other", Privacy: "member"}, false},
		{"member-privacy contact of the caller's list is readable", me, 'r', "contact", ac.Record{ID: "x-C1", Owner: "u-other", Privacy: "member", Parent: "x-L1"}, true},
		{"public contact is readable", other, 'r', "contact", ac.Record{ID: "x-C1", Owner: "u-me", Privacy: "public"}, true},
		{"own contact can be deleted", me, 'd', "contact", own("u-me"), true},
		{"list-* gives no update on others' contacts", me, 'u', "contact", ac.Record{ID: "x-C1", Owner: "u-other", Privacy: "public"}, false},
		{"pending reads own contact", pend, 'r', "contact", own("u-pend"), true},
		{"pending updates own contact", pend, 'u', "contact", own("u-pend"), true},
		{"pending may not delete own contact", pend, 'd', "contact", own("u-pend"), false},
		{"pending may not read others' contact", pend, 'r', "contact", own("u-other"), false},
		{"person role updates own contact", pers, 'u', "contact", own("u-pers"), true},
		{"person role may not create contact", pers, 'c', "contact", own("u-pers"), false},

		// People: "*" gives cr to everyone (apicrud's policy, §20.13).
		{"anyone reads a person", other, 'r', "person", own("u-me"), true},
		{"anonymous reads a person", anon, 'r', "person", own("u-me"), true},
		{"anonymous creates a person", anon, 'c', "person", ac.Record{}, true},
		{"anonymous may not update a person", anon, 'u', "person", own("u-me"), false},
		{"user updates own person", me, 'u', "person", own("u-me"), true},
		{"user may not delete others' person", me, 'd', "person", own("u-other"), false},

		// Accounts.
		{"anonymous registers", anon, 'c', "account", ac.Record{}, true},
		{"anonymous may not read accounts", anon, 'r', "account", own("u-me"), false},
		{"mfarequired reads own account (apicrud: denied)", mfa, 'r', "account", own("u-mfa"), true},
		{"mfarequired updates own account", mfa, 'u', "account", own("u-mfa"), true},
		{"mfarequired may not delete own account", mfa, 'd', "account", own("u-mfa"), false},
		{"mfarequired may not read others' account", mfa, 'r', "account", own("u-other"), false},

		// The rest.
		{"settings: public settings readable by users", me, 'r', "settings", ac.Record{ID: "x-S1", Privacy: "public"}, true},
		{"settings: not writable by users", me, 'u', "settings", ac.Record{ID: "x-S1", Privacy: "public"}, false},
		{"settings: admin writes", admin, 'u', "settings", ac.Record{ID: "x-S1", Privacy: "public"}, true},
		{"grant: own grant readable", me, 'r', "grant", own("u-me"), true},
		{"grant: own grant not writable", me, 'u', "grant", own("u-me"), false},
		{"grant: admin updates others' grant", admin, 'u', "grant", own("u-other"), true},
		{"credential: pendingtotp gets nothing", totp, 'r', "credential", own("u-totp"), false},
		{"apikey: own key deletable", me, 'd', "apikey", own("u-me"), true},
		{"apikey: others' key not readable", me, 'r', "apikey", own("u-other"), false},
		{"scope: anyone reads", anon, 'r', "scope", ac.Record{ID: "x-full"}, true},
		{"scope: users may not create", me, 'c', "scope", ac.Record{}, false},
		{"metric: own readable", me, 'r', "metric", own("u-me"), true},
		{"metric: others' not readable", me, 'r', "metric", own("u-other"), false},
		{"metric: auditor with scope reads any", aud, 'r', "metric", own("u-other"), true},
		{"metric: auditor without the scope", audNo, 'r', "metric", own("u-other"), false},
		{"metric: scope without the role", usrSc, 'r', "metric", own("u-other"), false},
		{"grant: auditor scope reads grants", aud, 'r', "grant", own("u-other"), true},
		{"grant: auditor scope gives no update", aud, 'u', "grant", own("u-other"), false},

		// Outside the policy.
		{"undeclared resource", admin, 'r', "nothing", own("u-admin"), false},
		{"unknown action", admin, 'x', "person", own("u-admin"), false},
	}
	require.GreaterOrEqual(t, len(cases), 40)
	denials := 0
	for _, c := range cases {
		if !c.want {
			denials++
		}
		t.Run(c.name, func(t *testing.T) {
			got := p.AllowedFor(c.who, c.action, c.resource, c.rec)
			d := p.Explain(c.who, c.action, c.resource, c.rec)
			require.Equal(t, c.want, got, "AllowedFor: %s", d)
			require.Equal(t, got, d.Allowed, "Explain disagrees: %s", d)
			require.Equal(t, p.Actions(c.who, c.resource, c.rec), d.Actions, "Explain's action set")
			if got {
				require.NotNil(t, d.By)
			}
		})
	}
	require.GreaterOrEqual(t, denials, 15)
}

// TestExampleServiceActions checks whole action sets, the per-record rbac
// string apicrud's UI shows (compare §7.6).
func TestExampleServiceActions(t *testing.T) {
	p := exampleService(t)
	me := principal("u-me", "user", "list-x-L1-invitee", "list-x-L1-member")
	cases := []struct {
		who      ac.Principal
		resource string
		rec      ac.Record
		want     string
	}{
		{me, "list", ac.Record{ID: "x-L1", Owner: "u-other", Privacy: "member"}, "gijr"},
		{me, "list", ac.Record{ID: "x-L1", Owner: "u-me", Privacy: "member"}, "cdghijru"},
		{principal("u-a", "admin"), "list", ac.Record{ID: "x-L1", Owner: "u-other"}, "cdiru"},
		{principal("u-m", "user", "list-x-L1-manager"), "list", ac.Record{ID: "x-L1", Owner: "u-other", Privacy: "secret"}, "cdghijru"},
		{me, "message", ac.Record{ID: "m", Owner: "u-other", Privacy: "member", Parent: "x-L1"}, "cr"},
		{me, "person", ac.Record{ID: "u-other", Owner: "u-other"}, "cr"},
		{me, "person", ac.Record{ID: "u-me", Owner: "u-me"}, "cdru"},
		{ac.Anonymous(), "person", ac.Record{ID: "u-x", Owner: "u-x"}, "cr"},
		{principal("u-pend", "pending"), "contact", ac.Record{ID: "c", Owner: "u-pend"}, "ru"},
		{me, "settings", ac.Record{ID: "s", Privacy: "public"}, "r"},
		{principal("u-t", "pendingtotp"), "credential", ac.Record{ID: "c", Owner: "u-t"}, ""},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d-%s", i, c.resource), func(t *testing.T) {
			require.Equal(t, c.want, p.Actions(c.who, c.resource, c.rec).String())
		})
	}
}
