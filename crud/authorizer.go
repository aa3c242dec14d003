package crud

import "context"

// Authorizer decides what the caller in a context may do. crud declares it
// so that it never imports a policy engine; accesscontrol's *Policy
// implements it. Implementations must be safe for concurrent use.
type Authorizer interface {
	// UID returns the authenticated caller's uid from ctx; ok=false for an anonymous request.
	UID(ctx context.Context) (uid string, ok bool)
	// Allowed reports whether the caller in ctx may perform action (an action letter:
	// 'c','r','u','d','l',...) on a record of resource. attrs holds the record's attributes by
	// their policy names: "id" (record id), "uid" (owner), "privacy", and the membership attribute
	// of the resource (e.g. "list_id"), when the resource has them. For writes within a scope,
	// crud also asks with the membership attribute alone (no owner, id or privacy): whether a
	// role the caller holds within that scope allows action there.
	Allowed(ctx context.Context, action byte, resource string, attrs map[string]string) bool
	// Filter returns a SQL boolean condition and its arguments selecting exactly the rows of
	// resource on which the caller in ctx may perform action. columns maps the same attribute
	// names ("id", "uid", "privacy", membership attr) to SQL column expressions chosen by the
	// caller (never from input). Placeholders are '?'; the caller rebinds the whole statement
	// (sqlx.Rebind). "1=1" selects all rows, "1=0" none.
	Filter(ctx context.Context, action byte, resource string, columns map[string]string) (clause string, args []any, err error)
	// HasScopes reports whether the caller in ctx holds every one of scopes.
	HasScopes(ctx context.Context, scopes ...string) bool
}

// RecordAuthorizer is an Authorizer whose rules may read other fields of
// the record than its id, owner, privacy and membership (conditions such
// as "status = 'published'"). When the Authorizer given to WithAuthorizer
// has this method too, crud calls it instead of Allowed wherever it holds
// the record, and Filter's columns map every other column of the model by
// its column name, so that the same conditions run in SQL for lists.
// accesscontrol's *Policy implements it.
type RecordAuthorizer interface {
	// AllowedRecord is Allowed with field, which returns the record's value
	// of the column name (string, bool, integers, floats, time.Time,
	// pointers to them or sql.Null* values) and ok=false for a column the
	// model does not have.
	AllowedRecord(ctx context.Context, action byte, resource string, attrs map[string]string, field func(name string) (any, bool)) bool
}

// Limits looks up usage limits; grants implements it.
type Limits interface {
	// Limit returns the integer value of grant name for account uid.
	Limit(ctx context.Context, name, uid string) (int64, error)
}

// Action letters passed to the Authorizer.
const (
	ActionCreate byte = 'c'
	ActionRead   byte = 'r'
	ActionUpdate byte = 'u'
	ActionDelete byte = 'd'
)

// Attribute names passed to the Authorizer (besides the membership attribute,
// which is named after its column, e.g. "list_id").
const (
	AttrID      = "id"
	AttrOwner   = "uid"
	AttrPrivacy = "privacy"
)
