package crud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Status values of the status column.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// defaultPrivacyLevels are the privacy levels of the policy file, least
// restrictive first.
func defaultPrivacyLevels() []string {
	return []string{"public", "invitee", "member", "manager", "secret"}
}

// Resource is a REST resource over one SQL table whose rows are records of
// type T. It serves create, get, update, delete and list through its Go
// methods and through HTTP handlers (Routes), each guarded by the
// Authorizer. A Resource is immutable after NewResource (except that
// NewCached attaches caches to it, which its writes uncache) and safe for
// concurrent use; it must not be copied.
type Resource[T any] struct {
	tracer   trace.Tracer // nil without WithTracerProvider
	db       *sqlx.DB
	name     string
	table    string // quoted
	dialect  string
	auth     Authorizer
	ops      Op
	m        *model
	scopes   map[Op][]string
	idPrefix string

	limitName string
	limits    Limits
	category  func(ctx context.Context, uid string) (string, error)
	// defaultPrivacy supplies the privacy of a new record without one.
	defaultPrivacy func(ctx context.Context, uid string) (string, error)

	pageDefault, pageMax int
	maxBody              int64
	signer               cursorSigner
	privacy              []string
	hooks                Hooks[T]
	log                  *slog.Logger
	outage               *outage // logs database outages once, not per request

	writable    []*field
	defaultSort sortSpec
	memberAttr  string
	scope       ScopeResource // WithScopeResource
	authCols    map[string]string
	rauth       RecordAuthorizer  // auth, when it reads other fields
	byColumn    map[string]*field // the model's fields by column, when rauth is set

	// Prebuilt SQL.
	selectCols string // quoted table.column list
	insertSQL  string
	getSQL     string

	caches cacheLinks[T] // attached by NewCached

	tgt         *target               // r as others' relations and expansions see it
	rels        []*relation           // WithRelation, in declaration order
	expands     map[string]*expansion // WithExpansions, by name
	expandNames []string              // sorted
}

// NewResource describes the resource name served from db with records of
// type T. T is a struct whose exported fields with `db` tags are the
// columns; their `json` tags are the API names (a field tagged json:"-" is
// stored but never shown or accepted). The `crud` tag adds options,
// comma-separated:
//
//	writable            clients may set the field (create and update)
//	required            create needs a non-zero value
//	maxlen=N            at most N characters (strings)
//	enum=a|b|c          one of the listed values (strings)
//	default=V           value of a new record when the body has none (strings)
//	nofilter, nosort    exclude the field from list filters or sorting
//	id, owner, privacy, membership, status, created, modified, version,
//	category, title     the column plays this role (see Columns)
//
// Role columns are otherwise found by their names (id, uid, privacy,
// list_id, status, created, modified, version, category_id) or set with
// WithColumns. WithAuthorizer is required.
func NewResource[T any](db *sqlx.DB, name string, opts ...Option) (*Resource[T], error) {
	return NewResourceWithHooks(db, name, Hooks[T]{}, opts...)
}

// NewResourceWithHooks is NewResource for a resource whose operations run
// hooks (see Hooks). T is the record type of hooks, so the compiler
// checks that the hooks are for the resource's records:
//
//	lists, err := crud.NewResourceWithHooks(db, "list", crud.Hooks[List]{
//		BeforeCreate: func(ctx context.Context, l *List) error { return checkCategory(ctx, l) },
//	}, crud.WithAuthorizer(policy))
//
// Hooks are not an Option: an Option serves every record type, so hooks
// given as one could only be checked against T when the program runs.
func NewResourceWithHooks[T any](db *sqlx.DB, name string, hooks Hooks[T], opts ...Option) (*Resource[T], error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil database", ErrConfig)
	}
	if !validResourceName(name) {
		return nil, fmt.Errorf("%w: resource name %q (want [a-z][a-z0-9_]*)", ErrConfig, name)
	}
	c := &config{
		ops:         ReadWrite,
		idPrefix:    "x-",
		pageDefault: 100,
		pageMax:     1000,
		maxBody:     1 << 20,
		privacy:     defaultPrivacyLevels(),
		logger:      slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.auth == nil {
		return nil, fmt.Errorf("%w: resource %q has no Authorizer (WithAuthorizer is required)", ErrConfig, name)
	}
	dialect := c.dialect
	if dialect == "" {
		dialect = dialectOf(db.DriverName())
		if dialect == "" {
			return nil, fmt.Errorf("%w: unknown driver %q (use WithDialect)", ErrConfig, db.DriverName())
		}
	}
	table := c.table
	if table == "" {
		table = name
	}
	if !validIdent(table, true) {
		return nil, fmt.Errorf("%w: table name %q", ErrConfig, table)
	}
	m, err := parseModel(reflect.TypeFor[T](), dialect, table)
	if err != nil {
		return nil, err
	}
	if err := m.assignRoles(c.columns); err != nil {
		return nil, err
	}
	r := &Resource[T]{
		db: db, name: name, table: quote(dialect, table), dialect: dialect, auth: c.auth, ops: c.ops, m: m,
		scopes: c.scopes, idPrefix: c.idPrefix, limitName: c.limitName, limits: c.limits, category: c.category, defaultPrivacy: c.defaultPrivacy,
		pageDefault: c.pageDefault, pageMax: c.pageMax, maxBody: c.maxBody, signer: newCursorSigner(c.cursorKey),
		privacy: c.privacy, log: c.logger, scope: c.scope, outage: &outage{log: c.logger},
		tracer: tracing.New(c.tp, "github.com/apicrud-go/apicrud/crud"), hooks: hooks,
	}
	if r.limits != nil && m.role(roleOwner) == nil {
		return nil, fmt.Errorf("%w: WithOwnerLimit on resource %q without an owner column", ErrConfig, name)
	}
	if err := r.addExpansions(c.expansions); err != nil {
		return nil, err
	}
	if err := r.addRelations(c.relations); err != nil {
		return nil, err
	}
	if err := r.setFieldSets(c); err != nil {
		return nil, err
	}
	if err := r.checkDefaults(); err != nil {
		return nil, err
	}
	def := c.defaultSort
	if def == "" {
		def = m.role(roleID).json
		if f := m.byJSON["name"]; f != nil && f.sort {
			def = "name"
		}
	}
	if r.defaultSort, err = r.parseSort(def, ""); err != nil {
		return nil, fmt.Errorf("%w: default sort %q: %v", ErrConfig, def, err)
	}
	r.authCols = map[string]string{AttrID: m.role(roleID).tcol}
	if f := m.role(roleOwner); f != nil {
		r.authCols[AttrOwner] = f.tcol
	}
	if f := m.role(rolePrivacy); f != nil {
		r.authCols[AttrPrivacy] = f.tcol
	}
	if f := m.role(roleMember); f != nil {
		r.memberAttr = f.column
		r.authCols[f.column] = f.tcol
	}
	if ra, ok := r.auth.(RecordAuthorizer); ok {
		r.rauth = ra
		r.byColumn = make(map[string]*field, len(m.fields))
		for _, f := range m.fields {
			r.byColumn[f.column] = f
			if _, taken := r.authCols[f.column]; !taken {
				r.authCols[f.column] = f.tcol
			}
		}
	}
	r.buildSQL()
	r.tgt = r.buildTarget()
	return r, nil
}

func validResourceName(s string) bool {
	if s == "" || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (r *Resource[T]) setFieldSets(c *config) error {
	m := r.m
	// Writable.
	if c.writableSet {
		for _, n := range c.writable {
			f := m.byJSON[n]
			if f == nil {
				return fmt.Errorf("%w: writable field %q not found", ErrConfig, n)
			}
			f.writable = true
		}
	} else {
		for _, f := range m.fields {
			f.writable = f.tagWritable
		}
		for _, rel := range r.rels {
			rel.f.writable = true
		}
	}
	for _, rel := range r.rels {
		if rel.f.writable {
			r.writable = append(r.writable, rel.f)
		}
	}
	for _, f := range m.fields {
		if f.writable && f.serverControlled() {
			return fmt.Errorf("%w: field %q is server-controlled and cannot be writable", ErrConfig, f.name())
		}
		if f.writable {
			r.writable = append(r.writable, f)
		}
		if f.required && !f.writable {
			return fmt.Errorf("%w: field %q is required but not writable", ErrConfig, f.name())
		}
		if f.writable && f.kind == kindOther {
			// Any JSON-decodable type is accepted for writes.
			continue
		}
	}
	// Filterable and sortable.
	if c.filterableSet {
		for _, n := range c.filterable {
			f := m.byJSON[n]
			if f == nil || !f.scalar() {
				return fmt.Errorf("%w: filterable field %q not found or not scalar", ErrConfig, n)
			}
			f.filter = true
		}
	} else {
		for _, f := range m.visible {
			f.filter = f.scalar() && !f.tagNoFilter
		}
	}
	if c.sortableSet {
		for _, n := range c.sortable {
			f := m.byJSON[n]
			if f == nil || !f.scalar() {
				return fmt.Errorf("%w: sortable field %q not found or not scalar", ErrConfig, n)
			}
			f.sort = true
		}
	} else {
		for _, f := range m.visible {
			f.sort = f.scalar() && !f.tagNoSort
		}
	}
	if id := m.role(roleID); id.json == "" {
		return fmt.Errorf("%w: the id field must have a JSON name", ErrConfig)
	}
	m.role(roleID).filter = true
	m.role(roleID).sort = true
	return nil
}

func (r *Resource[T]) checkDefaults() error {
	for _, f := range r.m.fields {
		if !f.hasDef {
			continue
		}
		if f.kind != kindString {
			return fmt.Errorf("%w: default on non-string field %q", ErrConfig, f.name())
		}
		if err := f.validate(f.name(), reflect.ValueOf(f.def), r.privacy); err != nil {
			return fmt.Errorf("%w: default of %q: %v", ErrConfig, f.name(), err)
		}
	}
	return nil
}

func (r *Resource[T]) buildSQL() {
	m := r.m
	cols := make([]string, len(m.fields))
	qcols := make([]string, len(m.fields))
	for i, f := range m.fields {
		cols[i] = f.tcol
		qcols[i] = f.qcol
	}
	r.selectCols = strings.Join(cols, ", ")
	r.insertSQL = r.db.Rebind("INSERT INTO " + r.table + " (" + strings.Join(qcols, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(qcols)), ", ") + ")")
	r.getSQL = r.db.Rebind("SELECT " + r.selectCols + " FROM " + r.table + " WHERE " + m.role(roleID).tcol + " = ?")
}

// Name returns the resource name.
func (r *Resource[T]) Name() string { return r.name }

// Ops returns the operations the resource serves.
func (r *Resource[T]) Ops() Op { return r.ops }

// ETag returns the entity tag of rec, derived from its version column ("" when
// the resource has none).
func (r *Resource[T]) ETag(rec *T) string {
	f := r.m.role(roleVersion)
	if f == nil || rec == nil {
		return ""
	}
	return formatETag(versionOf(reflect.ValueOf(rec).Elem().FieldByIndex(f.index)))
}

// ID returns the id of rec ("" for nil).
func (r *Resource[T]) ID(rec *T) string {
	if rec == nil {
		return ""
	}
	return reflect.ValueOf(rec).Elem().FieldByIndex(r.m.role(roleID).index).String()
}

// --- helpers shared by the operations ---

// fieldOf returns the addressable field f of rec.
func fieldOf[T any](rec *T, f *field) reflect.Value {
	return reflect.ValueOf(rec).Elem().FieldByIndex(f.index)
}

// allowed asks the Authorizer whether the caller may perform action on
// rec (whose attributes are attrs), through AllowedRecord when it has it.
func (r *Resource[T]) allowed(ctx context.Context, action byte, rec *T, attrs map[string]string) bool {
	if r.rauth == nil || rec == nil {
		return r.auth.Allowed(ctx, action, r.name, attrs)
	}
	v := reflect.ValueOf(rec).Elem()
	return r.rauth.AllowedRecord(ctx, action, r.name, attrs, func(name string) (any, bool) {
		f := r.byColumn[name]
		if f == nil {
			return nil, false
		}
		return v.FieldByIndex(f.index).Interface(), true
	})
}

// attrs returns the Authorizer attributes of rec.
func (r *Resource[T]) attrs(rec *T) map[string]string {
	v := reflect.ValueOf(rec).Elem()
	a := make(map[string]string, 4)
	a[AttrID] = v.FieldByIndex(r.m.role(roleID).index).String()
	if f := r.m.role(roleOwner); f != nil {
		a[AttrOwner] = attrString(v.FieldByIndex(f.index))
	}
	if f := r.m.role(rolePrivacy); f != nil {
		a[AttrPrivacy] = attrString(v.FieldByIndex(f.index))
	}
	if f := r.m.role(roleMember); f != nil {
		a[f.column] = attrString(v.FieldByIndex(f.index))
	}
	return a
}

// scanDest returns pointers to every column field of rec, in m.fields order.
func (r *Resource[T]) scanDest(rec *T, dest []any) []any {
	v := reflect.ValueOf(rec).Elem()
	dest = dest[:0]
	for _, f := range r.m.fields {
		dest = append(dest, v.FieldByIndex(f.index).Addr().Interface())
	}
	return dest
}

// values returns the column values of rec, in m.fields order.
func (r *Resource[T]) values(rec *T) []any {
	v := reflect.ValueOf(rec).Elem()
	out := make([]any, len(r.m.fields))
	for i, f := range r.m.fields {
		out[i] = bindValue(v.FieldByIndex(f.index))
	}
	return out
}

// bindValue converts a field value to a database/sql argument.
func bindValue(v reflect.Value) any {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time).UTC()
	}
	return v.Interface()
}

func versionOf(v reflect.Value) int64 {
	if v.CanInt() {
		return v.Int()
	}
	return int64(v.Uint())
}

func setVersion(v reflect.Value, n int64) {
	if v.CanInt() {
		v.SetInt(n)
	} else {
		v.SetUint(uint64(n))
	}
}

// now is the timestamp stored in created and modified: UTC, microseconds
// (the precision PostgreSQL and MySQL DATETIME(6) keep).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func setTime(v reflect.Value, t time.Time) {
	if v.Kind() == reflect.Pointer {
		v.Set(reflect.ValueOf(&t))
		return
	}
	v.Set(reflect.ValueOf(t))
}

func setString(v reflect.Value, s string) {
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		p.Elem().SetString(s)
		v.Set(p)
		return
	}
	v.SetString(s)
}

// authorize checks the operation's scopes; anonymous callers get
// ErrUnauthenticated instead of ErrForbidden.
func (r *Resource[T]) checkOp(ctx context.Context, op Op) error {
	if r.ops&op == 0 {
		return ErrForbidden
	}
	if s := r.scopes[op]; len(s) > 0 && !r.auth.HasScopes(ctx, s...) {
		return r.scopeDenied(ctx, s)
	}
	return nil
}

// scopeDenied is a *ScopeError for authenticated callers,
// ErrUnauthenticated otherwise.
func (r *Resource[T]) scopeDenied(ctx context.Context, scopes []string) error {
	if _, ok := r.auth.UID(ctx); !ok {
		return ErrUnauthenticated
	}
	return &ScopeError{Scopes: slices.Clone(scopes)}
}

// denied is ErrForbidden for authenticated callers, ErrUnauthenticated otherwise.
func (r *Resource[T]) denied(ctx context.Context) error {
	if _, ok := r.auth.UID(ctx); !ok {
		return ErrUnauthenticated
	}
	return ErrForbidden
}

// loadOne reads a record by id; ErrNotFound when absent. With active, a
// soft-deleted record counts as absent.
func (r *Resource[T]) loadOne(ctx context.Context, q sqlx.QueryerContext, id string, active bool) (*T, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	rows, err := q.QueryContext(ctx, r.getSQL, id)
	if err != nil {
		return nil, r.dbError(ctx, "get", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, r.dbError(ctx, "get", err)
		}
		return nil, ErrNotFound
	}
	rec := new(T)
	if err := rows.Scan(r.scanDest(rec, make([]any, 0, len(r.m.fields)))...); err != nil {
		return nil, r.dbError(ctx, "get", err)
	}
	if err := rows.Close(); err != nil {
		return nil, r.dbError(ctx, "get", err)
	}
	if active && r.isDisabled(rec) {
		return nil, ErrNotFound
	}
	return rec, nil
}

func (r *Resource[T]) isDisabled(rec *T) bool {
	f := r.m.role(roleStatus)
	return f != nil && attrString(fieldOf(rec, f)) == StatusDisabled
}

// activeCond is the SQL condition selecting records that are not soft-deleted.
func (r *Resource[T]) activeCond() (string, []any) {
	f := r.m.role(roleStatus)
	if f == nil {
		return "", nil
	}
	return "(" + f.tcol + " IS NULL OR " + f.tcol + " <> ?)", []any{StatusDisabled}
}

// dbError turns a database error into what callers see: constraint
// violations become ErrConflict or a *FieldError, everything else is
// logged and returned as an opaque internal error.
func (r *Resource[T]) dbError(ctx context.Context, op string, err error) error {
	if unreachable(err) {
		r.outage.fail(ctx, r.name, op, err)
		return &unavailableError{err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch classify(err) {
	case dbUnique:
		return fmt.Errorf("%w: a record with these values exists", ErrConflict)
	case dbForeignKey:
		return fmt.Errorf("%w: a referenced record does not exist or is still referenced", ErrConflict)
	case dbData:
		return &FieldError{Field: "body", Code: CodeInvalidValue, Reason: "a value is not acceptable to the database"}
	case dbRetry:
		return &retryError{err}
	case dbSchema:
		err = r.schemaError(err)
		r.log.ErrorContext(ctx, "crud: table or column missing", "resource", r.name, "table", r.table, "op", op, "err", err)
		return &internalError{err}
	}
	r.log.ErrorContext(ctx, "crud: database error", "resource", r.name, "op", op, "err", err)
	return &internalError{err}
}

// internalError hides a database or hook error from clients.
type internalError struct{ err error }

func (e *internalError) Error() string { return "crud: internal error: " + e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// retryError marks a transaction that may succeed when run again.
type retryError struct{ err error }

func (e *retryError) Error() string { return "crud: transaction conflict: " + e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// errStale is returned inside a transaction when a guarded write found the
// row changed since it was read.
var errStale = errors.New("crud: record changed")

// maxAttempts bounds how often a write is tried. A guarded write fails
// only when another writer's commit landed between its read and its write,
// so a write racing k others succeeds within k+1 attempts; ten attempts
// cover nine concurrent writers to one record and cost at most about a
// second of backoff.
const maxAttempts = 10

// retry runs fn until it succeeds, fails for good, or has been tried
// maxAttempts times. fn is run again (after a short randomized backoff) when
// it fails with a deadlock, serialization failure or busy database, or with
// errStale (a guarded write found the row changed since fn read it: fn then
// reads and authorizes again).
func (r *Resource[T]) retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			if werr := backoff(ctx, attempt); werr != nil {
				return werr
			}
		}
		err = fn()
		var re *retryError
		if err == nil || !(errors.As(err, &re) || errors.Is(err, errStale)) {
			return err
		}
	}
	return fmt.Errorf("%w: the record kept changing, try again", ErrConflict)
}

// inTx runs fn in one transaction, retried as retry does.
func (r *Resource[T]) inTx(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) error {
	return r.retry(ctx, func() error { return r.tryTx(ctx, op, fn) })
}

func (r *Resource[T]) tryTx(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return r.dbError(ctx, op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return r.dbError(ctx, op, err)
	}
	return nil
}

// hookError passes recognised hook errors through and hides the others.
func (r *Resource[T]) hookError(ctx context.Context, hook string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	var se *StatusError
	var re *retryError
	var ie *internalError
	switch {
	case errors.As(err, &fe), errors.As(err, &se), errors.As(err, &re), errors.As(err, &ie),
		errors.Is(err, errStale), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	for _, s := range []error{ErrInvalid, ErrUnauthenticated, ErrForbidden, ErrNotFound, ErrConflict, ErrPreconditionFailed, ErrLimitExceeded, ErrUnavailable} {
		if errors.Is(err, s) {
			return err
		}
	}
	if c := classify(err); c != dbOther || unreachable(err) {
		return r.dbError(ctx, hook, err)
	}
	r.log.ErrorContext(ctx, "crud: hook failed", "resource", r.name, "hook", hook, "err", err)
	return &internalError{err}
}

func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(attempt*attempt) * 2 * time.Millisecond
	t := time.NewTimer(d + time.Duration(rand.Int64N(int64(d)+1)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
