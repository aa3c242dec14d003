package crud

import (
	"context"
	"errors"
	"fmt"
)

// ScopeResource is a resource whose records scope the records of others:
// a list scopes the messages posted to it. *Resource[T] implements it; pass
// one to WithScopeResource.
type ScopeResource interface {
	// Name returns the resource name.
	Name() string

	mayWriteWithin(ctx context.Context, id string) (bool, error)
}

// WithScopeResource names the resource whose records the membership column
// refers to (the list of a message). Besides the roles the Authorizer
// grants within a scope, whoever may update ('u') the active scope record
// itself (its owner, its managers) may then write the records in it; see
// Resource for the rule. Default: none, only roles within the scope count.
func WithScopeResource(s ScopeResource) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil scope resource", ErrConfig)
		}
		c.scope = s
		return nil
	}
}

// mayWriteWithin reports whether the caller may update the active record id
// of this resource, for the records it scopes.
func (r *Resource[T]) mayWriteWithin(ctx context.Context, id string) (bool, error) {
	rec, err := r.loadOne(ctx, r.db, id, true)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return r.allowed(ctx, ActionUpdate, rec, r.attrs(rec)), nil
}

// checkScope enforces the scope rule for a write (action 'c', 'u' or 'd') to
// a record with attributes a: when the record's membership column names a
// scope, owning the record is not enough; the caller must, at the time of
// the write, hold a role within the scope that allows action or 'c' on a
// record of this resource there (Allowed with the membership attribute
// alone, no owner), or be allowed to update the scope record itself
// (WithScopeResource). A record outside any scope passes. It returns
// ErrForbidden (ErrUnauthenticated for anonymous callers) when refused.
func (r *Resource[T]) checkScope(ctx context.Context, action byte, a map[string]string) error {
	if r.memberAttr == "" {
		return nil
	}
	s := a[r.memberAttr]
	if s == "" {
		return nil
	}
	within := map[string]string{r.memberAttr: s}
	if r.auth.Allowed(ctx, action, r.name, within) ||
		action != ActionCreate && r.auth.Allowed(ctx, ActionCreate, r.name, within) {
		return nil
	}
	if r.scope != nil {
		ok, err := r.scope.mayWriteWithin(ctx, s)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return r.denied(ctx)
}
