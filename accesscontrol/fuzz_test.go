package accesscontrol_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

// hostilePolicies are policy files built to hurt a loader: alias and merge
// bombs, deep nesting, odd encodings and types. Each must give a
// *PolicyError (or load, where the file is in fact valid), quickly and
// without a panic.
var hostilePolicies = []struct {
	name string
	data string
	ok   bool
}{
	{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"policies: {person: *d}\n", false},
	{"alias bomb in scope roles", "x-r: &r [a, b, c]\nx-s: &s [*r, *r, *r]\npolicies: {person: []}\nscopes: [{name: s, roles: *s}]\n", false},
	{"merge bomb", mergeBomb(), false},
	{"self merge", "x: &x {<<: *x, principal: admin}\npolicies: {person: [*x]}\n", false},
	{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), false},
	{"deep mappings", strings.Repeat("a: {", 5000) + strings.Repeat("}", 5000), false},
	{"long line", "policies: {person: [{principal: \"" + strings.Repeat("a", 1<<20) + "\", resource: \"{resource}:*\", actions: r}]}", false},
	{"NUL bytes", "policies:\x00 {person: []}", false},
	{"invalid UTF-8", "policies: {person: [{principal: \"\xff\xfe\", resource: \"{resource}:*\", actions: r}]}", false},
	{"BOM", "\ufeffpolicies: {person: []}", true},
	{"tabs", "policies:\n\tperson: []\n", false},
	{"JSON", `{"policies": {"person": [{"principal": "admin", "resource": "{resource}:*", "actions": "r"}]}}`, true},
	{"two documents", "policies: {a: []}\n---\npolicies: {b: []}\n", false},
	{"document end only", "---\n...\n", false},
	{"scalar document", "just a string", false},
	{"null policies", "policies:\n", false},
	{"null rule list", "policies: {person: ~}", true},
	{"rule as list", "policies: {person: [[admin, '{resource}:*', r]]}", false},
	{"actions as list", "policies: {person: [{principal: admin, resource: '{resource}:*', actions: [c, r]}]}", false},
	{"principal as mapping", "policies: {person: [{principal: {a: b}, resource: '{resource}:*', actions: r}]}", false},
	{"principal null", "policies: {person: [{principal: null, resource: '{resource}:*', actions: r}]}", false},
	{"numeric key", "policies: {123: []}", false},
	{"complex key", "policies: {? [a, b] : []}", false},
	{"unknown anchor", "policies: {person: *nope}", false},
	{"tag abuse", "policies: !!binary aGVsbG8=", false},
	{"binary scalar", "policies: {person: [{principal: !!binary YWRtaW4=, resource: '{resource}:*', actions: r}]}", true},
	{"huge actions", "policies: {person: [{principal: admin, resource: '{resource}:*', actions: " + strings.Repeat("c", 100000) + "}]}", true},
	{"injection in resource name", "policies: {\"person; DROP TABLE x\": []}", false},
	{"template injection", "policies: {person: [{principal: \"{{uid}}{{uid}}\", resource: '{resource}:*', actions: r}]}", false},
	{"nested braces", "policies: {person: [{principal: \"user/{{{uid}}}\", resource: '{resource}:*', actions: r}]}", false},
	{"too many levels", "privacy_levels: [public" + strings.Repeat(", l", 20) + "]\npolicies: {p: []}", false},
	{"level with dash", "privacy_levels: [public, co-member]\npolicies: {p: []}", false},
}

func mergeBomb() string {
	var b strings.Builder
	b.WriteString("x-0: &m0 {principal: admin}\n")
	for i := 1; i <= 8; i++ {
		b.WriteString("x-" + string(rune('0'+i)) + ": &m" + string(rune('0'+i)) + " {<<: [")
		for j := range 12 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*m" + string(rune('0'+i-1)))
		}
		b.WriteString("]}\n")
	}
	b.WriteString("policies: {person: [{<<: *m8, resource: '{resource}:*', actions: r}]}\n")
	return b.String()
}

func TestHostilePolicies(t *testing.T) {
	for _, c := range hostilePolicies {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			p, err := ac.LoadBytes([]byte(c.data), "hostile.yaml")
			if c.ok {
				require.NoError(t, err)
				require.NotNil(t, p)
			} else {
				var pe *ac.PolicyError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, "hostile.yaml", pe.File)
				require.Less(t, len(err.Error()), 600, "error messages stay short: %s", err)
			}
			require.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

// FuzzLoad feeds arbitrary files to the policy loader: no panic, every
// error a *PolicyError, and a policy that loads decides without panicking,
// with Explain agreeing with Actions.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/rbac.yaml", "testdata/conditions.yaml", "testdata/bad_action.yaml", "testdata/bad_syntax.yaml", "testdata/bad_unknown_field.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(twoLists))
	for _, c := range hostilePolicies {
		if len(c.data) < 4096 {
			f.Add([]byte(c.data))
		}
	}
	who := []ac.Principal{
		ac.Anonymous(),
		principal("u-1", "admin", "user", "list-L-member", "event-L-owner", "x-ops"),
		ac.NewPrincipal(ac.Identity{UID: "u-2", Roles: []string{"auditor", "list-L-secret"}, Scopes: []string{"full", "audit.read"}}),
	}
	rec := ac.Record{ID: "L", Owner: "u-1", Privacy: "member", Parent: "L"}
	f.Fuzz(func(t *testing.T, data []byte) {
		t0 := time.Now()
		defer func() {
			if d := time.Since(t0); d > time.Second {
				t.Fatalf("slow input: %v", d)
			}
		}()
		p, err := ac.LoadBytes(data, "fuzz.yaml", ac.WithMaxSize(1<<20))
		if err != nil {
			var pe *ac.PolicyError
			if !errors.As(err, &pe) || pe.File != "fuzz.yaml" {
				t.Fatalf("not a *PolicyError: %v", err)
			}
			return
		}
		for _, res := range p.Resources() {
			for _, w := range who {
				acts := p.Actions(w, res, rec)
				d := p.Explain(w, 'r', res, rec)
				if d.Actions != acts || d.Allowed != acts.Has('r') {
					t.Fatalf("%s: Explain %v vs Actions %v", res, d, acts)
				}
				if _, _, err := p.FilterFor(w, 'r', res, map[string]string{"id": "id", "uid": "uid", "privacy": "privacy", "list_id": "list_id"}); err != nil {
					t.Fatal(err)
				}
				p.MayPerform(w, 'u', res)
			}
		}
		for _, w := range who {
			p.HasScopesFor(w, p.Scopes()...)
			for _, s := range p.Services() {
				p.ServiceAllowed(w, s)
			}
		}
	})
}
