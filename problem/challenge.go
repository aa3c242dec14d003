package problem

import "strings"

// InsufficientScope returns the WWW-Authenticate challenge of a bearer
// token that lacks scopes: Bearer error="insufficient_scope", scope="…".
// An RFC 6750 resource server sets it on its 403 answer to a token that
// lacks a scope the request needs. Scope names that cannot appear in a
// quoted string are left out.
func InsufficientScope(scopes []string) string {
	ok := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r >= 0x7f }) {
			ok = append(ok, s)
		}
	}
	return `Bearer error="insufficient_scope", scope="` + strings.Join(ok, " ") + `"`
}
