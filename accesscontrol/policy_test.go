package accesscontrol_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

// TestLoadErrors loads each testdata/bad_*.yaml: every load error names
// the file, the line and the entry.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		file  string
		line  int
		entry string
		kind  error
		msg   string
	}{
		{"bad_action.yaml", 8, "policies.person[2]", ac.ErrUnknownAction,
			`bad_action.yaml:8: policies.person[2]: unknown action "x"`},
		{"bad_duplicate_key.yaml", 4, "policies", ac.ErrSchema,
			`bad_duplicate_key.yaml:4: policies: duplicate key "person"`},
		{"bad_empty.yaml", 0, "", ac.ErrSchema,
			`bad_empty.yaml: empty policy file`},
		{"bad_empty_actions.yaml", 3, "policies.person[0]", ac.ErrSchema,
			`bad_empty_actions.yaml:3: policies.person[0]: empty actions`},
		{"bad_missing_field.yaml", 3, "policies.person[0]", ac.ErrSchema,
			`bad_missing_field.yaml:3: policies.person[0]: a rule needs principal, resource and actions`},
		{"bad_principal.yaml", 3, "policies.person[0]", ac.ErrTemplate,
			`bad_principal.yaml:3: policies.person[0]: principal "user/{{id}}": unknown placeholder (want <role>/{{uid}} or <private resource>-{{<attr>}}-<level>)`},
		{"bad_privacy_first.yaml", 1, "privacy_levels", ac.ErrUnknownPrivacy,
			`bad_privacy_first.yaml:1: privacy_levels: the first privacy level must be "public"`},
		{"bad_privacy_level.yaml", 5, "policies.list[0]", ac.ErrUnknownPrivacy,
			`bad_privacy_level.yaml:5: policies.list[0]: principal "list-{{list_id}}-managr": unknown privacy level "managr"`},
		{"bad_private_resource.yaml", 2, "private_resources[0]", ac.ErrUndeclaredResource,
			`bad_private_resource.yaml:2: private_resources[0]: private resource "group" has no entry under policies`},
		{"bad_resource_template.yaml", 3, "policies.person[0]", ac.ErrTemplate,
			`bad_resource_template.yaml:3: policies.person[0]: resource "{resource}:.*": want {resource}:*, {resource}:{{uid}}, {resource}:{{eid}} or {resource}:{{<private resource attr>}}`},
		{"bad_scope.yaml", 5, "scopes[1]", ac.ErrSchema,
			`bad_scope.yaml:5: scopes[1]: duplicate scope "full"`},
		{"bad_shape.yaml", 2, "policies", ac.ErrSchema,
			`bad_shape.yaml:2: policies: expected a mapping, got a sequence`},
		{"bad_syntax.yaml", 3, "", ac.ErrSyntax,
			`bad_syntax.yaml:3: invalid YAML: did not find expected ',' or '}'`},
		{"bad_template_pair.yaml", 6, "policies.message[0]", ac.ErrTemplate,
			`bad_template_pair.yaml:6: policies.message[0]: resource "{resource}:{{list_id}}": a membership selector needs a membership principal such as "list-{{list_id}}-member"`},
		{"bad_top_level_key.yaml", 3, "polices", ac.ErrSchema,
			`bad_top_level_key.yaml:3: polices: unknown top-level key "polices" (want privacy_levels, private_resources, policies, fields, scopes, definition or x-*)`},
		{"bad_undeclared_resource.yaml", 4, "policies.person[1]", ac.ErrUndeclaredResource,
			`bad_undeclared_resource.yaml:4: policies.person[1]: resource "contact:*": "contact" has no entry under policies`},
		{"bad_undeclared_scope_resource.yaml", 4, "scopes[0].resources", ac.ErrUndeclaredResource,
			`bad_undeclared_scope_resource.yaml:4: scopes[0].resources: resource "catalogue" has no entry under policies`},
		{"bad_unknown_field.yaml", 5, "policies.person[0]", ac.ErrSchema,
			`bad_unknown_field.yaml:5: policies.person[0]: unknown field "actons" (want principal, resource, actions, when)`},
	}
	files, err := filepath.Glob("testdata/bad_*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(cases), "one case per testdata/bad_*.yaml")
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			_, err := ac.LoadFile(filepath.Join("testdata", c.file))
			var pe *ac.PolicyError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, c.file, pe.File)
			require.Equal(t, c.line, pe.Line)
			require.Equal(t, c.entry, pe.Entry)
			require.ErrorIs(t, err, c.kind)
			require.Equal(t, c.msg, err.Error())

			// The same through Load and LoadBytes.
			data, rerr := os.ReadFile(filepath.Join("testdata", c.file))
			require.NoError(t, rerr)
			_, err2 := ac.Load(bytes.NewReader(data), c.file)
			require.Equal(t, c.msg, err2.Error())
			_, err3 := ac.LoadBytes(data, c.file)
			require.Equal(t, c.msg, err3.Error())
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := ac.LoadFile("testdata/no_such_file.yaml")
	var pe *ac.PolicyError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, "no_such_file.yaml", pe.File)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadReaderError(t *testing.T) {
	_, err := ac.Load(failingReader{}, "r.yaml")
	require.EqualError(t, err, "r.yaml: disk on fire")
}

func TestLoadMaxSize(t *testing.T) {
	data := []byte("policies:\n  person: []\n" + strings.Repeat("# padding\n", 100))
	_, err := ac.LoadBytes(data, "big.yaml", ac.WithMaxSize(64))
	require.ErrorIs(t, err, ac.ErrTooLarge)
	_, err = ac.Load(bytes.NewReader(data), "big.yaml", ac.WithMaxSize(64))
	require.ErrorIs(t, err, ac.ErrTooLarge)
	_, err = ac.LoadBytes(data, "big.yaml", ac.WithMaxSize(0))
	require.ErrorIs(t, err, ac.ErrOption)
}

func TestLoadOptions(t *testing.T) {
	_, err := ac.LoadBytes([]byte("policies: {}"), "x", ac.WithLogger(nil))
	require.ErrorIs(t, err, ac.ErrOption)
	_, err = ac.LoadBytes([]byte("policies: {}"), "x", ac.WithAudit(nil))
	require.ErrorIs(t, err, ac.ErrOption)
}

// TestAnchors: YAML anchors, aliases and merge keys work, as in apicrud's
// example (definition: base_policy: &base_policy).
func TestAnchors(t *testing.T) {
	p := exampleService(t)
	admin := principal("u-a", "admin")
	for _, res := range []string{"apikey", "category", "credential", "location", "profile", "trashcan", "tz"} {
		require.Equal(t, "cdru", p.Actions(admin, res, ac.Record{ID: "x", Owner: "u-b"}).String(), res)
		require.Equal(t, "cdru", p.Actions(principal("u-b", "user"), res, ac.Record{ID: "x", Owner: "u-b"}).String(), res)
	}
	// {<<: *admin, actions: cdiru} overrides the merged actions.
	require.Equal(t, "cdiru", p.Actions(admin, "list", ac.Record{ID: "x", Owner: "u-b"}).String())

	p = load(t, `
x-rules:
  owner: &owner {principal: "user/{{uid}}", resource: "{resource}:{{uid}}"}
  base: &base {principal: admin, resource: "{resource}:*", actions: r}
policies:
  a:
    - {<<: *owner, actions: ru}
    - {<<: [*base, *owner], actions: d}   # earlier merges win: admin
  b: &same
    - *base
  c: *same
`)
	require.Equal(t, "ru", p.Actions(principal("u-1", "user"), "a", ac.Record{Owner: "u-1"}).String())
	require.Equal(t, "d", p.Actions(principal("u-2", "admin"), "a", ac.Record{Owner: "u-1"}).String())
	require.Equal(t, "r", p.Actions(principal("u-2", "admin"), "c", ac.Record{}).String())
	require.Equal(t, []string{"a", "b", "c"}, p.Resources())
}

func TestDefaults(t *testing.T) {
	p := load(t, `
policies:
  list:
    - {principal: "list-{{list_id}}-member", resource: "{resource}:{{list_id}}", actions: r}
  message: []
`)
	require.Equal(t, []string{"public", "invitee", "member", "manager", "secret"}, p.Levels())
	// private_resources defaults to list/list_id when "list" is declared.
	require.True(t, p.AllowedFor(principal("u", "list-L-member"), 'r', "list", ac.Record{ID: "L"}))
	require.True(t, p.AllowedFor(principal("u", "list-L-member"), 'r', "message", ac.Record{ID: "m", Parent: "L", Privacy: "member"}))
	require.Equal(t, 1, p.Rules())
	require.Equal(t, uint64(1), p.Version())
	require.Equal(t, "test.yaml", p.File())

	// Without a "list" resource there is no membership.
	p = load(t, "policies: {message: []}")
	require.False(t, p.AllowedFor(principal("u", "list-L-member"), 'r', "message", ac.Record{ID: "m", Parent: "L", Privacy: "member"}))
}

// TestDesignExample loads the policy file of DESIGN.md §"The policy file"
// (with catalogue declared, since a scope may only name declared
// resources).
func TestDesignExample(t *testing.T) {
	p := load(t, `
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
`)
	mgr := principal("u-m", "list-x-12345678-manager")
	require.Equal(t, "cdhr", p.Actions(mgr, "message", ac.Record{ID: "m", Parent: "x-12345678"}).String())
	aud := ac.NewPrincipal(ac.Identity{UID: "u-a", Roles: []string{"auditor"}, Scopes: []string{"catalogue.read"}})
	require.Equal(t, "lr", p.Actions(aud, "catalogue", ac.Record{ID: "c"}).String())
	adm := ac.NewPrincipal(ac.Identity{UID: "u-b", Roles: []string{"admin"}, Scopes: []string{"payments.approve"}})
	require.True(t, p.ServiceAllowed(adm, "approve_payment"))
	require.False(t, p.ServiceAllowed(aud, "approve_payment"))
	require.False(t, p.ServiceAllowed(adm, "unknown_service"))
	require.Equal(t, []string{"catalogue.read", "payments.approve"}, p.ScopesFor([]string{"admin", "user"}))
	require.Equal(t, []string{"catalogue.read", "payments.approve"}, p.Scopes())
	require.Equal(t, []string{"approve_payment"}, p.Services())
}

// TestReload: a bad reload keeps the policy in force; a good one swaps it.
func TestReload(t *testing.T) {
	p := load(t, "policies: {person: [{principal: admin, resource: '{resource}:*', actions: r}]}")
	admin := principal("u", "admin")
	require.True(t, p.AllowedFor(admin, 'r', "person", ac.Record{}))

	err := p.ReloadBytes([]byte("policies: {person: [{principal: admin, resource: '{resource}:*', actions: rz}]}"), "v2.yaml")
	require.ErrorIs(t, err, ac.ErrUnknownAction)
	require.Equal(t, uint64(1), p.Version())
	require.True(t, p.AllowedFor(admin, 'r', "person", ac.Record{}), "the old policy stays")

	require.NoError(t, p.ReloadBytes([]byte("policies: {person: [{principal: admin, resource: '{resource}:*', actions: u}]}"), "v3.yaml"))
	require.Equal(t, uint64(2), p.Version())
	require.Equal(t, "v3.yaml", p.File())
	require.False(t, p.AllowedFor(admin, 'r', "person", ac.Record{}), "the principal is re-indexed against the new version")
	require.True(t, p.AllowedFor(admin, 'u', "person", ac.Record{}))

	require.NoError(t, p.ReloadFile("testdata/rbac.yaml"))
	require.Equal(t, "rbac.yaml", p.File())
	require.Error(t, p.ReloadFile("testdata/bad_action.yaml"))
	require.Equal(t, "rbac.yaml", p.File())
}

func TestScopeDescriptions(t *testing.T) {
	p, err := ac.LoadFile("testdata/rbac.yaml")
	require.NoError(t, err)
	d := p.ScopeDescriptions()
	require.Equal(t, "auditors read every metric and grant", d["audit.read"])
	require.Contains(t, d, "readonly")
	require.Empty(t, d["readonly"], "a scope without a description")
	require.Len(t, d, len(p.Scopes()))
}
