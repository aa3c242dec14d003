package accesscontrol

import "slices"

// HasScopesFor reports whether p holds every one of scopes (true for
// none). A scope the policy declares is held when the credential carries it
// and one of p's roles is among the scope's roles; an undeclared scope is
// held when the credential carries it.
func (p *Policy) HasScopesFor(pr Principal, scopes ...string) bool {
	if len(scopes) == 0 {
		return true
	}
	if pr.p.x == nil { // no scopes
		return false
	}
	c := p.cur.Load()
	b := c.bind(pr.p)
	for _, s := range scopes {
		if si, ok := c.scopeIdx[s]; ok {
			if !b.holdsScope(si) {
				return false
			}
		} else if !containsSorted(pr.p.scopes(), s) {
			return false
		}
	}
	return true
}

// ServiceAllowed reports whether p may call the named service (a
// FastAPI-style named endpoint such as "approve_payment"): it holds a
// declared scope that lists the service.
func (p *Policy) ServiceAllowed(pr Principal, service string) bool {
	if pr.p.x == nil { // no scopes
		return false
	}
	c := p.cur.Load()
	scopes, ok := c.services[service]
	if !ok {
		return false
	}
	b := c.bind(pr.p)
	for _, si := range scopes {
		if b.holdsScope(si) {
			return true
		}
	}
	return false
}

// ScopesFor returns, sorted, the declared scopes that roles are entitled
// to: what an interactive login may put in Identity.Scopes, and the upper
// bound for the scopes of an API key its owner creates.
func (p *Policy) ScopesFor(roles []string) []string {
	c := p.cur.Load()
	var out []string
	for _, r := range roles {
		for _, si := range c.scopeRole[r] {
			out = append(out, c.scopes[si].name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Scopes returns the names of the declared scopes, in file order.
func (p *Policy) Scopes() []string {
	c := p.cur.Load()
	out := make([]string, len(c.scopes))
	for i := range c.scopes {
		out[i] = c.scopes[i].name
	}
	return out
}

// Services returns the names of the services the declared scopes list,
// sorted.
func (p *Policy) Services() []string {
	c := p.cur.Load()
	out := make([]string, 0, len(c.services))
	for s := range c.services {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// ScopeDescriptions returns the description of every declared scope, by
// name ("" for a scope declared without one): what an OAuth2 client shows
// when it offers scopes to pick.
func (p *Policy) ScopeDescriptions() map[string]string {
	c := p.cur.Load()
	out := make(map[string]string, len(c.scopes))
	for i := range c.scopes {
		out[c.scopes[i].name] = c.scopes[i].desc
	}
	return out
}
