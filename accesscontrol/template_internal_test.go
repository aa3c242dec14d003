package accesscontrol

import (
	"strings"
	"testing"
)

func testEnv() *templateEnv {
	return &templateEnv{
		levels:   []string{"public", "invitee", "member", "manager", "secret"},
		private:  []privRes{{name: "list", attr: "list_id"}, {name: "event", attr: "event_id", res: 1}},
		declared: func(name string) bool { return name == "person" || name == "list" || name == "event" },
	}
}

func TestParsePrincipal(t *testing.T) {
	env := testEnv()
	cases := []struct {
		in    string
		kind  principalKind
		role  string
		level uint8
		err   string
	}{
		{"*", pAnyone, "", 0, ""},
		{"admin", pRole, "admin", 0, ""},
		{"list-x-1-member", pRole, "list-x-1-member", 0, ""},
		{"list-*", pGlob, "list-*", 0, ""},
		{"*-ops", pGlob, "*-ops", 0, ""},
		{"user/{{uid}}", pRoleOwner, "user", 0, ""},
		{"mfarequired:{{uid}}", pRoleOwner, "mfarequired", 0, ""},
		{"list-{{list_id}}-member", pMember, "", 2, ""},
		{"list-{{eid}}-manager", pMember, "", 3, ""},
		{"event-{{event_id}}-*", pMember, "", 1, ""},
		{"", 0, "", 0, "empty principal"},
		{"{{uid}}", 0, "", 0, "want <role>/{{uid}}"},
		{"/{{uid}}", 0, "", 0, "want <role>/{{uid}}"},
		{"us*r/{{uid}}", 0, "", 0, "want <role>/{{uid}}"},
		{"user/{{uid}}x", 0, "", 0, "unknown placeholder"},
		{"list-{{event_id}}-member", 0, "", 0, "want list-{{list_id}}-<level>"},
		{"list-{{list_id}}-public", 0, "", 0, "needs no membership"},
		{"list-{{list_id}}-boss", 0, "", 0, "unknown privacy level"},
		{"group-{{group_id}}-member", 0, "", 0, "unknown placeholder"},
		{"ad min", 0, "", 0, "printable ASCII"},
		{"admin{x}", 0, "", 0, "unknown placeholder"},
		{"é", 0, "", 0, "printable ASCII"},
		{strings.Repeat("a", 300), 0, "", 0, "too long"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, err := parsePrincipal(c.in, env)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.kind != c.kind || p.role != c.role || p.level != c.level {
				t.Fatalf("got %+v", p)
			}
		})
	}
}

func TestParseResource(t *testing.T) {
	env := testEnv()
	cases := []struct {
		in   string
		kind resourceKind
		priv int
		err  string
	}{
		{"{resource}:*", rAll, -1, ""},
		{"person:*", rAll, -1, ""},
		{"{resource}:{{uid}}", rOwner, -1, ""},
		{"{resource}:{{eid}}", rMember, -1, ""},
		{"{resource}:{{event_id}}", rMember, 1, ""},
		{"list:*", 0, 0, "must name {resource} or person"},
		{"contact:*", 0, 0, "has no entry under policies"},
		{"{resource}", 0, 0, "want {resource}:<selector>"},
		{"{resource}:.*", 0, 0, "want {resource}:*"},
		{"{resource}:{{id}}", 0, 0, "want {resource}:*"},
		{"{resource}:{{uid}", 0, 0, "want {resource}:*"},
		{"{Resource}:*", 0, 0, "must name"},
		{"{resource}:x-123", 0, 0, "want {resource}:*"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			r, err := parseResource(c.in, "person", env)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.kind != c.kind || r.priv != c.priv {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "a", true}, {"a*", "ab", true}, {"a*", "ba", false},
		{"*a", "ba", true}, {"*a", "ab", false}, {"a*b*c", "abc", true}, {"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false}, {"list-*-member", "list-x-1-member", true}, {"list-*-member", "list-member", false},
		{"**", "x", true}, {"a**b", "ab", true}, {"abc", "abc", true}, {"abc", "abd", false},
		{"*x*x*x*x*x*y", strings.Repeat("x", 200), false},
	}
	for _, c := range cases {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// FuzzTemplate feeds arbitrary strings to the principal and resource
// template parsers and to the pattern matcher: no panic, and a template
// that parses can be paired or refused cleanly.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"*", "admin", "list-*", "user/{{uid}}", "mfarequired:{{uid}}", "list-{{list_id}}-member",
		"list-{{eid}}-*", "{resource}:*", "{resource}:{{uid}}", "{resource}:{{list_id}}", "person:{{eid}}",
		"{{", "}}", "{{uid}", "list-{{", "list-{{list_id}}-", "a*b*c"} {
		f.Add(s, "list-x-1-member")
	}
	env := testEnv()
	f.Fuzz(func(t *testing.T, tmpl, role string) {
		p, perr := parsePrincipal(tmpl, env)
		r, rerr := parseResource(tmpl, "person", env)
		if perr == nil && rerr == nil {
			_ = checkPair(p, r, env)
		}
		if perr == nil {
			if p.kind == pGlob && !strings.Contains(p.role, "*") {
				t.Fatalf("glob without '*': %q", tmpl)
			}
			if p.kind == pMember && (p.level == 0 || int(p.level) >= len(env.levels)) {
				t.Fatalf("bad level %d for %q", p.level, tmpl)
			}
		}
		if len(tmpl) < 64 && len(role) < 256 {
			got := globMatch(tmpl, role)
			if !strings.Contains(tmpl, "*") && got != (tmpl == role) {
				t.Fatalf("globMatch(%q, %q) = %v", tmpl, role, got)
			}
		}
	})
}
