package accesscontrol

import "context"

// The methods below make *Policy a crud.Authorizer. They read the caller
// from the context (WithPrincipal); a context without one is the anonymous
// caller.

func principalOf(ctx context.Context) Principal {
	p, _ := PrincipalFrom(ctx)
	return p
}

// UID returns the uid of the caller in ctx; ok is false for an anonymous
// request.
func (p *Policy) UID(ctx context.Context) (uid string, ok bool) {
	pr := principalOf(ctx)
	return pr.UID(), pr.Authenticated()
}

// Allowed reports whether the caller in ctx may perform action on a record
// of resource described by attrs: "id", "uid" (owner), "privacy" and the
// membership attribute (e.g. "list_id") of the first private resource
// present among the keys. It does not allocate.
func (p *Policy) Allowed(ctx context.Context, action byte, resource string, attrs map[string]string) bool {
	return p.AllowedRecord(ctx, action, resource, attrs, nil)
}

// AllowedRecord is Allowed for a record whose other fields the rules with a
// condition (when:) may read: field returns a field's value by its name
// (see Record.Fields for the types), and ok=false when the record has no
// such field. crud calls it when its Authorizer has it; a decision on a
// resource without conditional rules never calls field.
func (p *Policy) AllowedRecord(ctx context.Context, action byte, resource string, attrs map[string]string, field func(name string) (any, bool)) bool {
	if p.tracer != nil {
		return p.traceAllowed(ctx, action, resource, attrs, field)
	}
	return p.cur.Load().allowed(ctx, action, resource, attrs, field)
}

// allowed is AllowedRecord against the compiled policy c.
func (c *compiled) allowed(ctx context.Context, action byte, resource string, attrs map[string]string, field func(name string) (any, bool)) bool {
	bit := actionBit[action]
	if bit == 0 {
		return false
	}
	ri, ok := c.resIdx[resource]
	if !ok {
		return false
	}
	v := c.viewOf(attrs)
	v.fieldFn = field
	b := c.bind(principalOf(ctx).p)
	return c.actions(&b, ri, &v)&bit != 0
}

// Filter returns a SQL condition with '?' placeholders, and its
// arguments, selecting exactly the rows of resource on which the caller in
// ctx may perform action (see FilterFor). columns maps "id", "uid",
// "privacy" and membership attributes to column expressions chosen by the
// caller.
func (p *Policy) Filter(ctx context.Context, action byte, resource string, columns map[string]string) (clause string, args []any, err error) {
	if p.tracer != nil {
		return p.traceFilter(ctx, action, resource, columns)
	}
	return p.FilterFor(principalOf(ctx), action, resource, columns)
}

// HasScopes reports whether the caller in ctx holds every one of scopes
// (see HasScopesFor).
func (p *Policy) HasScopes(ctx context.Context, scopes ...string) bool {
	return p.HasScopesFor(principalOf(ctx), scopes...)
}
