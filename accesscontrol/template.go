package accesscontrol

import (
	"strings"
)

// Templates are parsed once, at load. A decision only compares ids,
// strings and bit sets.

type principalKind uint8

const (
	pAnyone    principalKind = iota // "*": anyone, anonymous callers included
	pRole                           // "admin": holds the role
	pGlob                           // "list-*": holds a role matching the pattern
	pRoleOwner                      // "user/{{uid}}": holds the role and owns the record
	pMember                         // "list-{{list_id}}-member": level in the record's list
)

// principalTmpl is a parsed principal template.
type principalTmpl struct {
	kind  principalKind
	role  string // pRole, pGlob (the pattern), pRoleOwner
	priv  int    // pMember: index of the private resource
	level uint8  // pMember: least level required (1 for "*")
	text  string // as written
}

type resourceKind uint8

const (
	rAll    resourceKind = iota // "{resource}:*"
	rOwner                      // "{resource}:{{uid}}"
	rMember                     // "{resource}:{{list_id}}" or "{resource}:{{eid}}"
)

// resourceTmpl is a parsed resource template.
type resourceTmpl struct {
	kind resourceKind
	priv int // rMember: private resource named by the attribute; -1 for {{eid}}
	text string
}

// privRes is a membership-defining resource (private_resources entry).
type privRes struct {
	name string // resource name, e.g. "list"; roles are "<name>-<id>-<level>"
	attr string // attribute of other records pointing at it, e.g. "list_id"
	res  int    // index of the resource
}

// templateEnv is what template parsing needs to know about the policy.
type templateEnv struct {
	levels   []string // privacy levels; [0] is "public"
	private  []privRes
	declared func(name string) bool
}

func (e *templateEnv) levelIndex(name string) (uint8, bool) {
	for i, l := range e.levels {
		if l == name {
			return uint8(i), true
		}
	}
	return 0, false
}

// maxName bounds role, resource, scope and attribute names.
const maxName = 128

// validRole reports whether s can be a literal role name: 1 to maxName
// printable ASCII bytes other than space, braces and '*'.
func validRole(s string) bool {
	if s == "" || len(s) > maxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '{' || c == '}' || c == '*' {
			return false
		}
	}
	return true
}

// validIdent reports whether s is a lower-case identifier: a letter, then
// letters, digits, '_' or '-' (resource names) — or, with noDash, only
// letters, digits and '_' (attribute and level names).
func validIdent(s string, noDash bool) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c == '-' && !noDash:
		default:
			return false
		}
	}
	return true
}

// validToken reports whether s is a scope or service name: 1 to maxName
// bytes among letters, digits and "._:-/" (an OAuth scope-token subset).
func validToken(s string) bool {
	if s == "" || len(s) > maxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-', c == '/':
		default:
			return false
		}
	}
	return true
}

func templateErr(format string, text string) error {
	return detail(ErrTemplate, "principal "+quote(text)+": "+format)
}

// parsePrincipal parses a principal template:
//
//   - anyone (anonymous callers included)
//     admin                      a caller holding the role
//     list-*   admin*   *-ops    a caller holding a role that matches ('*' = any run of bytes)
//     user/{{uid}}  user:{{uid}} a caller holding the role who owns the record
//     list-{{list_id}}-member    a caller whose level in the record's list is member or above
//     list-{{eid}}-manager       the same ({{eid}} is the record's membership id)
//     list-{{list_id}}-*         any level in the record's list
func parsePrincipal(s string, env *templateEnv) (principalTmpl, error) {
	t := principalTmpl{text: s, priv: -1}
	switch {
	case s == "":
		return t, detail(ErrTemplate, "empty principal")
	case len(s) > 2*maxName:
		return t, templateErr("too long", s)
	case s == "*":
		t.kind = pAnyone
		return t, nil
	case strings.Contains(s, "{{"):
		if role, ok := strings.CutSuffix(s, "{{uid}}"); ok {
			if n := len(role); n > 1 && (role[n-1] == '/' || role[n-1] == ':') {
				if role = role[:n-1]; validRole(role) {
					t.kind, t.role = pRoleOwner, role
					return t, nil
				}
			}
			return t, templateErr("want <role>/{{uid}} with a literal role name", s)
		}
		for i, pr := range env.private {
			rest, ok := strings.CutPrefix(s, pr.name+"-{{")
			if !ok {
				continue
			}
			attr, level, ok := strings.Cut(rest, "}}-")
			if !ok || (attr != "eid" && attr != pr.attr) {
				return t, templateErr("want "+pr.name+"-{{"+pr.attr+"}}-<level> or "+pr.name+"-{{eid}}-<level>", s)
			}
			t.kind, t.priv = pMember, i
			if level == "*" {
				t.level = 1
				return t, nil
			}
			l, ok := env.levelIndex(level)
			if !ok {
				return t, detail(ErrUnknownPrivacy, "principal "+quote(s)+": unknown privacy level "+quote(level))
			}
			if l == 0 {
				return t, templateErr("the public level needs no membership; use \"*\"", s)
			}
			t.level = l
			return t, nil
		}
		return t, templateErr("unknown placeholder (want <role>/{{uid}} or <private resource>-{{<attr>}}-<level>)", s)
	case strings.ContainsAny(s, "{}"):
		return t, templateErr("unknown placeholder", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return t, templateErr("role names are printable ASCII without spaces", s)
		}
	}
	if strings.Contains(s, "*") {
		t.kind, t.role = pGlob, s
		return t, nil
	}
	t.kind, t.role = pRole, s
	return t, nil
}

// parseResource parses a resource template of the policy for resource key:
//
//	{resource}:*          every record
//	{resource}:{{uid}}    records the caller owns
//	{resource}:{{list_id}} / {resource}:{{eid}}
//	                      records of the membership the principal template names
//
// "{resource}" may be written as the resource's own name.
func parseResource(s, key string, env *templateEnv) (resourceTmpl, error) {
	t := resourceTmpl{text: s, priv: -1}
	if len(s) > 2*maxName {
		return t, detail(ErrTemplate, "resource "+quote(s)+": too long")
	}
	name, sel, ok := strings.Cut(s, ":")
	if !ok {
		return t, detail(ErrTemplate, "resource "+quote(s)+": want {resource}:<selector>")
	}
	if name != "{resource}" && name != key {
		if validIdent(name, false) && (env.declared == nil || !env.declared(name)) {
			return t, detail(ErrUndeclaredResource, "resource "+quote(s)+": "+quote(name)+" has no entry under policies")
		}
		return t, detail(ErrTemplate, "resource "+quote(s)+": a rule under policies."+key+" must name {resource} or "+key)
	}
	switch sel {
	case "*":
		t.kind = rAll
		return t, nil
	case "{{uid}}":
		t.kind = rOwner
		return t, nil
	case "{{eid}}":
		t.kind = rMember
		return t, nil
	}
	if attr, ok := strings.CutPrefix(sel, "{{"); ok {
		if attr, ok = strings.CutSuffix(attr, "}}"); ok {
			for i, pr := range env.private {
				if pr.attr == attr {
					t.kind, t.priv = rMember, i
					return t, nil
				}
			}
		}
	}
	return t, detail(ErrTemplate, "resource "+quote(s)+": want {resource}:*, {resource}:{{uid}}, {resource}:{{eid}} or {resource}:{{<private resource attr>}}")
}

// checkPair rejects a principal and resource template that cannot match
// together.
func checkPair(p principalTmpl, r resourceTmpl, env *templateEnv) error {
	if r.kind != rMember {
		return nil
	}
	if p.kind != pMember {
		return detail(ErrTemplate, "resource "+quote(r.text)+": a membership selector needs a membership principal such as "+
			quote(memberExample(env)))
	}
	if r.priv >= 0 && r.priv != p.priv {
		return detail(ErrTemplate, "resource "+quote(r.text)+" and principal "+quote(p.text)+" name different private resources")
	}
	return nil
}

func memberExample(env *templateEnv) string {
	if len(env.private) == 0 {
		return "list-{{list_id}}-member"
	}
	return env.private[0].name + "-{{" + env.private[0].attr + "}}-" + env.levels[len(env.levels)/2]
}

// globMatch reports whether s matches pattern, in which '*' matches any
// run of bytes and every other byte itself. Linear in len(s)*stars; used
// when a principal is indexed, never in a decision.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case starP >= 0:
			starS++
			px, sx = starP+1, starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
