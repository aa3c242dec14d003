package accesscontrol_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apicrud-go/apicrud/accesscontrol"
)

// designPolicy is the policy file of DESIGN.md, with the list and
// catalogue resources declared: every resource a rule, a scope or
// private_resources names needs an entry under policies (an empty one
// will do).
const designPolicy = `
privacy_levels: [public, invitee, member, manager, secret]   # first must be public
private_resources:                                            # membership-defining resources
  - {resource: list, attr: list_id}
policies:
  person:
    - {principal: "*",            resource: "{resource}:*",         actions: cr}
    - {principal: admin,          resource: "{resource}:*",         actions: cdru}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}",   actions: cdru}
    - {principal: "list-*",       resource: "{resource}:{{uid}}",   actions: ru}
  message:
    - {principal: "list-{{list_id}}-manager", resource: "{resource}:{{list_id}}", actions: cdhr}
  list: []
  catalogue: []
scopes:                                   # optional: OAuth2-style scopes granted to roles
  - {name: catalogue.read, roles: [auditor, admin], resources: {catalogue: lr}}
  - {name: payments.approve, roles: [admin], services: [approve_payment]}
`

func ExampleLoad() {
	p, err := accesscontrol.Load(strings.NewReader(designPolicy), "rbac.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resources:", p.Resources())
	fmt.Println("levels:", p.Levels())
	fmt.Println("rules:", p.Rules(), "scopes:", p.Scopes(), "services:", p.Services())

	// Loading is validation: every error names the file, line and entry.
	_, err = accesscontrol.Load(strings.NewReader(`
policies:
  person:
    - {principal: admin, resource: "{resource}:*", actions: cdrx}
`), "bad.yaml")
	fmt.Println(err)
	fmt.Println(errors.Is(err, accesscontrol.ErrUnknownAction))
	// Output:
	// resources: [person message list catalogue]
	// levels: [public invitee member manager secret]
	// rules: 5 scopes: [catalogue.read payments.approve] services: [approve_payment]
	// bad.yaml:4: policies.person[0]: unknown action "x"
	// true
}

func ExamplePolicy_AllowedFor() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	// Build one Principal per request from what authentication found.
	alice := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-alice", Roles: []string{"user"}})
	bob := accesscontrol.NewPrincipal(accesscontrol.Identity{
		UID:   "u-bob",
		Roles: []string{"user", "list-x-12345678-manager"}, // manager of list x-12345678
	})
	anon := accesscontrol.Anonymous()

	alicesProfile := accesscontrol.Record{ID: "u-alice", Owner: "u-alice"}
	fmt.Println("alice updates her person:", p.AllowedFor(alice, 'u', "person", alicesProfile))
	fmt.Println("bob updates alice's person:", p.AllowedFor(bob, 'u', "person", alicesProfile))
	fmt.Println("anonymous reads a person:", p.AllowedFor(anon, 'r', "person", alicesProfile))

	// A message attached to bob's list (its list_id is the Parent).
	msg := accesscontrol.Record{ID: "x-m1", Owner: "u-carol", Privacy: "secret", Parent: "x-12345678"}
	fmt.Println("bob (manager) hosts the message:", p.AllowedFor(bob, 'h', "message", msg))
	fmt.Println("alice deletes the message:", p.AllowedFor(alice, 'd', "message", msg))

	// The whole set, apicrud's per-record rbac string.
	fmt.Println("bob on the message:", p.Actions(bob, "message", msg))
	fmt.Println("anonymous on a person:", p.Actions(anon, "person", alicesProfile))
	// Output:
	// alice updates her person: true
	// bob updates alice's person: false
	// anonymous reads a person: true
	// bob (manager) hosts the message: true
	// alice deletes the message: false
	// bob on the message: cdhr
	// anonymous on a person: cr
}

// Privacy: a public record is readable by anyone; a record with a
// membership privacy level by the members of its list at that level or
// above (levels are cumulative).
func ExamplePolicy_AllowedFor_privacy() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	member := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-1", Roles: []string{"list-x-L1-member"}})
	for _, rec := range []accesscontrol.Record{
		{ID: "m1", Privacy: "public", Parent: "x-L2"},
		{ID: "m2", Privacy: "invitee", Parent: "x-L1"},
		{ID: "m3", Privacy: "member", Parent: "x-L1"},
		{ID: "m4", Privacy: "manager", Parent: "x-L1"},
		{ID: "m5", Privacy: "member", Parent: "x-L2"},
	} {
		fmt.Printf("%s (%s in %s): %v\n", rec.ID, rec.Privacy, rec.Parent, p.AllowedFor(member, 'r', "message", rec))
	}
	// Output:
	// m1 (public in x-L2): true
	// m2 (invitee in x-L1): true
	// m3 (member in x-L1): true
	// m4 (manager in x-L1): false
	// m5 (member in x-L2): false
}

func ExamplePolicy_Explain() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	alice := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-alice", Roles: []string{"user"}})
	theirs := accesscontrol.Record{ID: "u-bob", Owner: "u-bob"}

	d := p.Explain(alice, 'r', "person", theirs)
	fmt.Println(d.Allowed, d.By.Entry, "line", d.By.Line)
	fmt.Println(d)

	d = p.Explain(alice, 'd', "person", theirs)
	fmt.Println(d.Allowed)
	fmt.Println(d)
	// Output:
	// true policies.person[0] line 7
	// allowed: u-alice may r person "u-bob": policies.person[0] (anyone)
	// false
	// denied: u-alice may not d person "u-bob": policies.person[1]: lacks role "admin"; policies.person[2]: holds role "user", the record's owner "u-bob" is not the caller "u-alice"
}

// FilterFor turns the same rules into a SQL condition for list queries:
// the rows it selects are exactly those AllowedFor accepts. Column names
// come from the program, values are always arguments.
func ExamplePolicy_FilterFor() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	columns := map[string]string{"id": "m.id", "uid": "m.uid", "privacy": "m.privacy", "list_id": "m.list_id"}
	who := accesscontrol.NewPrincipal(accesscontrol.Identity{
		UID:   "u-1",
		Roles: []string{"user", "list-x-L1-manager", "list-x-L2-invitee"},
	})

	clause, args, err := p.FilterFor(who, 'r', "message", columns)
	if err != nil {
		panic(err)
	}
	fmt.Println("SELECT * FROM message m WHERE " + clause)
	fmt.Println(args)

	// PostgreSQL placeholders, after one argument of the caller's own.
	clause, args, _ = p.FilterFor(who, 'd', "message", columns,
		accesscontrol.WithBindType(accesscontrol.BindDollar), accesscontrol.WithArgOffset(1))
	fmt.Println("DELETE FROM message m WHERE m.id = $1 AND " + clause)
	fmt.Println(args)

	admin := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-a", Roles: []string{"admin"}})
	clause, _, _ = p.FilterFor(admin, 'u', "person", columns)
	fmt.Println("admin:", clause)
	clause, _, _ = p.FilterFor(accesscontrol.Anonymous(), 'u', "person", columns)
	fmt.Println("anonymous:", clause)
	// Output:
	// SELECT * FROM message m WHERE (m.list_id = ? OR (m.list_id = ? AND m.privacy = ?) OR m.privacy = ?)
	// [x-L1 x-L2 invitee public]
	// DELETE FROM message m WHERE m.id = $1 AND m.list_id = $2
	// [x-L1]
	// admin: 1=1
	// anonymous: 1=0
}

func ExamplePolicy_ServiceAllowed() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	// A scope is held when the credential carries it and one of the
	// caller's roles is among the scope's roles.
	admin := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-a", Roles: []string{"admin"}, Scopes: []string{"payments.approve"}})
	demoted := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-b", Roles: []string{"user"}, Scopes: []string{"payments.approve"}})
	fmt.Println(p.ServiceAllowed(admin, "approve_payment"), p.ServiceAllowed(demoted, "approve_payment"))

	// What an interactive login of an admin may put in Identity.Scopes.
	fmt.Println(p.ScopesFor([]string{"admin"}))
	// Output:
	// true false
	// [catalogue.read payments.approve]
}

// Hot reload: a new file replaces the policy atomically, decisions never
// wait for it, and a file that does not load leaves the policy in force.
func ExamplePolicy_Reload() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	auditor := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-1", Roles: []string{"auditor"}})
	fmt.Println(p.Version(), p.AllowedFor(auditor, 'r', "person", accesscontrol.Record{}))

	err = p.Reload(strings.NewReader(`
policies:
  person:
    - {principal: auditor, resource: "{resource}:*", actions: r}
`), "rbac-v2.yaml")
	fmt.Println(err, p.Version(), p.AllowedFor(auditor, 'r', "person", accesscontrol.Record{}), p.AllowedFor(auditor, 'c', "person", accesscontrol.Record{}))

	err = p.Reload(strings.NewReader("policies: {person: [{principal: auditor}]}"), "broken.yaml")
	fmt.Println(err)
	fmt.Println(p.Version(), p.File())
	// Output:
	// 1 true
	// <nil> 2 true false
	// broken.yaml:1: policies.person[0]: a rule needs principal, resource and actions
	// 2 rbac-v2.yaml
}

// The middleware reads the principal that authentication put in the
// request context, answers 401 or 403 as problem+json, and reports each
// refusal to the audit hook.
func ExamplePolicy_RequireScopes() {
	p, err := accesscontrol.LoadBytes([]byte(designPolicy), "rbac.yaml",
		accesscontrol.WithAudit(func(_ context.Context, e accesscontrol.AuditEvent) {
			fmt.Println("audit:", e.Status, e.Method, e.Path, e.UID, e.Reason)
		}))
	if err != nil {
		panic(err)
	}
	approve := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "approved") })
	mux := http.NewServeMux()
	mux.Handle("POST /payments/{id}/approve", p.RequireScopes("payments.approve")(approve))
	mux.Handle("PUT /catalogue/{id}", p.RequireAction("catalogue", 'u')(approve))

	// authenticate stands for the session or API-key middleware.
	authenticate := func(who *accesscontrol.Principal, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if who != nil {
				r = r.WithContext(accesscontrol.WithPrincipal(r.Context(), *who))
			}
			next.ServeHTTP(w, r)
		})
	}
	admin := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-a", Roles: []string{"admin"}, Scopes: []string{"payments.approve"}})
	user := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-u", Roles: []string{"user"}})
	for _, c := range []struct {
		who          *accesscontrol.Principal
		method, path string
	}{
		{nil, http.MethodPost, "/payments/7/approve"},
		{&user, http.MethodPost, "/payments/7/approve"},
		{&admin, http.MethodPost, "/payments/7/approve"},
		{&admin, http.MethodPut, "/catalogue/3"},
	} {
		w := httptest.NewRecorder()
		authenticate(c.who, mux).ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		fmt.Println(w.Code, w.Header().Get("Content-Type"), strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// audit: 401 POST /payments/7/approve  no authenticated principal
	// 401 application/problem+json {"title":"Unauthorized","status":401,"detail":"authentication required","code":"accesscontrol.unauthenticated"}
	// audit: 403 POST /payments/7/approve u-u missing scope among payments.approve
	// 403 application/problem+json {"title":"Forbidden","status":403,"detail":"not allowed","code":"accesscontrol.forbidden"}
	// 200 text/plain; charset=utf-8 approved
	// audit: 403 PUT /catalogue/3 u-a no rule gives "u" on "catalogue"
	// 403 application/problem+json {"title":"Forbidden","status":403,"detail":"not allowed","code":"accesscontrol.forbidden"}
}

// The host writes a caller's membership roles with MembershipRoles (for a
// session, for an API key's owner), from its own membership table and the
// policy's privacy levels; decisions read them back.
func ExampleMembershipRoles() {
	p, err := accesscontrol.LoadBytes([]byte(`
privacy_levels: [public, invitee, member, manager, secret]
private_resources:
  - {resource: list, attr: list_id}
policies:
  list: []
  message:
    - {principal: "list-{{list_id}}-manager", resource: "{resource}:{{list_id}}", actions: cdhr}
`), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	roles := accesscontrol.MembershipRoles("list", "x-1234", "member", p.Levels())
	fmt.Println(roles)

	who := accesscontrol.NewPrincipal(accesscontrol.Identity{UID: "u-1", Roles: append([]string{"user"}, roles...)})
	msg := accesscontrol.Record{ID: "m-1", Owner: "u-2", Privacy: "member", Parent: "x-1234"}
	fmt.Printf("%q\n", p.Actions(who, "message", msg))
	msg.Privacy = "manager"
	fmt.Printf("%q\n", p.Actions(who, "message", msg))
	// Output:
	// [list-x-1234-invitee list-x-1234-member]
	// "r"
	// ""
}
