package crud

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Op is a set of operations a Resource serves (the seed's CREATE, RETRIEVE,
// UPDATE, DESTROY and LIST flags).
type Op uint8

// Operations, and the presets ReadOnly and ReadWrite.
const (
	OpCreate Op = 1 << iota
	OpGet
	OpUpdate
	OpDelete
	OpList

	// ReadOnly serves get and list.
	ReadOnly = OpGet | OpList
	// ReadWrite serves every operation (the default).
	ReadWrite = OpCreate | OpGet | OpUpdate | OpDelete | OpList
)

type opName struct {
	op   Op
	name string
}

func opNames() []opName {
	return []opName{{OpCreate, "create"}, {OpGet, "get"}, {OpUpdate, "update"}, {OpDelete, "delete"}, {OpList, "list"}}
}

// String returns the operations as "create|get|...".
func (o Op) String() string {
	var parts []string
	for _, n := range opNames() {
		if o&n.op != 0 {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Columns names the columns that play a role in a resource, overriding what
// NewResource discovers from `db` and `crud` tags. Empty strings keep the
// discovered column; "-" says the resource has no such column.
type Columns struct {
	// ID is the primary key column (default "id"; string values only).
	ID string
	// Owner holds the owning account's uid (default "uid"); the
	// Authorizer sees it as attribute "uid".
	Owner string
	// Privacy holds the record's privacy level (default "privacy").
	Privacy string
	// Membership is the attribute linking a record to the membership
	// resource of the policy (default "list_id"); the Authorizer sees it
	// under its column name.
	Membership string
	// Status holds "active"/"disabled" (soft delete); default "status".
	Status string
	// Created and Modified are timestamps set by the server (defaults
	// "created" and "modified").
	Created  string
	Modified string
	// Version is an integer row version, incremented on every write and
	// exposed as the ETag (default "version").
	Version string
	// Category is the category reference filled by WithDefaultCategory
	// (default "category_id").
	Category string
	// Title is the column the trashcan shows as the item's name (default:
	// the first of name, info, item, subject).
	Title string
}

// Option configures a Resource.
type Option func(*config) error

type config struct {
	auth           Authorizer
	ops            Op
	table          string
	columns        Columns
	writable       []string
	writableSet    bool
	filterable     []string
	filterableSet  bool
	sortable       []string
	sortableSet    bool
	defaultSort    string
	scopes         map[Op][]string
	idPrefix       string
	limitName      string
	limits         Limits
	category       func(ctx context.Context, uid string) (string, error)
	defaultPrivacy func(ctx context.Context, uid string) (string, error)
	pageDefault    int
	pageMax        int
	maxBody        int64
	cursorKey      []byte
	privacy        []string
	scope          ScopeResource
	logger         *slog.Logger
	dialect        string
	tp             trace.TracerProvider
	relations      []Relation
	expansions     []Expansion
}

// WithAuthorizer sets the authorizer that guards every operation. It is
// required: a resource without one is refused by NewResource.
func WithAuthorizer(a Authorizer) Option {
	return func(c *config) error {
		if a == nil {
			return fmt.Errorf("%w: nil Authorizer", ErrConfig)
		}
		c.auth = a
		return nil
	}
}

// WithOps sets the operations served (default ReadWrite). Routes registers
// only these, and the Go API refuses the others with ErrForbidden.
func WithOps(ops Op) Option {
	return func(c *config) error {
		if ops == 0 || ops&^ReadWrite != 0 {
			return fmt.Errorf("%w: operations %d", ErrConfig, ops)
		}
		c.ops = ops
		return nil
	}
}

// WithTable sets the table name (default: the resource name). It may be
// schema-qualified ("main.messages"); it is validated as an identifier.
func WithTable(table string) Option {
	return func(c *config) error { c.table = table; return nil }
}

// WithColumns overrides the role columns discovered from tags.
func WithColumns(cols Columns) Option {
	return func(c *config) error { c.columns = cols; return nil }
}

// WithWritable sets the fields (by JSON name) that clients may write,
// replacing the fields tagged `crud:"writable"`. Server-controlled fields
// (id, owner, status, created, modified, version, and fields hidden with
// `json:"-"`) can never be writable: naming one is a configuration error.
func WithWritable(fields ...string) Option {
	return func(c *config) error {
		c.writable = append([]string(nil), fields...)
		c.writableSet = true
		return nil
	}
}

// WithFilterable sets the fields (by JSON name) that the list filter may
// name. The default is every visible scalar field.
func WithFilterable(fields ...string) Option {
	return func(c *config) error {
		c.filterable = append([]string(nil), fields...)
		c.filterableSet = true
		return nil
	}
}

// WithSortable sets the fields (by JSON name) that lists may sort on. The
// default is every visible, non-nullable scalar field.
func WithSortable(fields ...string) Option {
	return func(c *config) error {
		c.sortable = append([]string(nil), fields...)
		c.sortableSet = true
		return nil
	}
}

// WithDefaultSort sets the sort of lists without a sort parameter, as
// "field[:asc|desc]" (default "name" when the resource has a sortable name
// field, else "id").
func WithDefaultSort(sort string) Option {
	return func(c *config) error { c.defaultSort = sort; return nil }
}

// WithScopes requires the caller to hold every one of scopes (checked with
// Authorizer.HasScopes) for the operations in ops, in addition to the
// record-level checks.
func WithScopes(ops Op, scopes ...string) Option {
	return func(c *config) error {
		if ops == 0 || ops&^ReadWrite != 0 || len(scopes) == 0 {
			return fmt.Errorf("%w: WithScopes needs operations and scopes", ErrConfig)
		}
		if c.scopes == nil {
			c.scopes = make(map[Op][]string)
		}
		for _, n := range opNames() {
			if ops&n.op != 0 {
				c.scopes[n.op] = append(c.scopes[n.op], scopes...)
			}
		}
		return nil
	}
}

// WithIDPrefix sets the prefix of generated ids (default "x-"); at most 16
// URL-safe characters. The rest of an id is 96 random bits from crypto/rand
// in unpadded URL-safe base64.
func WithIDPrefix(prefix string) Option {
	return func(c *config) error {
		if len(prefix) > 16 || !validID(prefix+"a") {
			return fmt.Errorf("%w: id prefix %q", ErrConfig, prefix)
		}
		c.idPrefix = prefix
		return nil
	}
}

// WithOwnerLimit caps the number of active records an owner may have at
// the value of grant name (for example "contacts") as returned by limits.
// The count and the insert happen in one transaction, serialized per owner,
// so concurrent creates cannot exceed the limit. The resource must have an
// owner column.
func WithOwnerLimit(name string, limits Limits) Option {
	return func(c *config) error {
		if name == "" || limits == nil {
			return fmt.Errorf("%w: WithOwnerLimit needs a grant name and Limits", ErrConfig)
		}
		c.limitName, c.limits = name, limits
		return nil
	}
}

// WithDefaultCategory sets the function that supplies the category of a
// new record that names none (apicrud's per-account "default" category).
// It is called only when the resource has a category column.
func WithDefaultCategory(fn func(ctx context.Context, uid string) (string, error)) Option {
	return func(c *config) error { c.category = fn; return nil }
}

// WithDefaultPrivacy sets the function that supplies the privacy level of
// a new record whose client sent none, typically the owner's account
// setting. It is called only when the resource has a privacy column; an
// empty result (or no function) gives the most restrictive level, and a
// level that is not among the privacy levels fails the create. Default:
// the most restrictive level.
func WithDefaultPrivacy(fn func(ctx context.Context, uid string) (string, error)) Option {
	return func(c *config) error { c.defaultPrivacy = fn; return nil }
}

// WithPageSize sets the default and the maximum list limit (defaults 100
// and 1000).
func WithPageSize(def, max int) Option {
	return func(c *config) error {
		if def < 1 || max < def {
			return fmt.Errorf("%w: page size %d, max %d", ErrConfig, def, max)
		}
		c.pageDefault, c.pageMax = def, max
		return nil
	}
}

// WithMaxBody sets the largest request body accepted, in bytes (default 1
// MiB); larger bodies are answered 413.
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: max body %d", ErrConfig, n)
		}
		c.maxBody = n
		return nil
	}
}

// WithCursorKey sets the HMAC-SHA-256 key (at least 32 bytes) that signs
// list cursors. Without it each Resource draws a random key, so cursors do
// not survive a restart and are not valid on other instances: set the same
// key on every instance of a service.
func WithCursorKey(key []byte) Option {
	return func(c *config) error {
		if len(key) < 32 {
			return fmt.Errorf("%w: cursor key shorter than 32 bytes", ErrConfig)
		}
		c.cursorKey = append([]byte(nil), key...)
		return nil
	}
}

// WithPrivacyLevels sets the accepted values of the privacy column, least
// restrictive first (default public, invitee, member, manager, secret, as
// in the policy file). A new record without a privacy value gets its
// `crud:"default=..."` tag value, else the most restrictive level.
func WithPrivacyLevels(levels ...string) Option {
	return func(c *config) error {
		if len(levels) == 0 {
			return fmt.Errorf("%w: no privacy levels", ErrConfig)
		}
		c.privacy = append([]string(nil), levels...)
		return nil
	}
}

// WithLogger sets the logger for internal errors (which clients see only
// as a generic 500). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithDialect names the SQL dialect ("postgres", "mysql" or "sqlite") for a
// driver name that NewResource does not recognise.
func WithDialect(name string) Option {
	return func(c *config) error {
		switch name {
		case dialectPostgres, dialectMySQL, dialectSQLite:
			c.dialect = name
			return nil
		}
		return fmt.Errorf("%w: dialect %q", ErrConfig, name)
	}
}
