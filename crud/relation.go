package crud

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// maxRelated bounds the ids one write may give a relation field.
const maxRelated = 1000

// Target is a resource that a Relation or an Expansion points at: any
// *Resource[T]. Its Authorizer decides which of its records a caller may
// see through the pointing resource, as it does for the target's own reads.
type Target interface {
	// Name returns the resource name.
	Name() string

	target() *target
}

// target is what relations and expansions need of another resource.
type target struct {
	name   string
	auth   Authorizer
	ops    Op
	scopes []string          // of OpGet
	table  string            // quoted
	id     string            // quoted id column
	cols   map[string]string // authorization attribute → quoted column, unqualified
	status string            // quoted status column, "" without
	text   map[string]string // JSON name → quoted column, string fields
	title  string            // JSON name of the title field, "" without
	schema string            // OpenAPI schema name
}

func (r *Resource[T]) target() *target { return r.tgt }

// buildTarget describes r for the relations and expansions of others.
func (r *Resource[T]) buildTarget() *target {
	t := &target{name: r.name, auth: r.auth, ops: r.ops, scopes: r.scopes[OpGet], table: r.table,
		id: r.m.role(roleID).qcol, cols: make(map[string]string, len(r.authCols)), text: map[string]string{},
		schema: schemaName(r.name)}
	for a, c := range r.authCols {
		t.cols[a] = strings.TrimPrefix(c, r.table+".")
	}
	if f := r.m.role(roleStatus); f != nil {
		t.status = f.qcol
	}
	for _, f := range r.m.visible {
		if f.kind == kindString {
			t.text[f.json] = f.qcol
		}
	}
	if f := r.m.role(roleTitle); f != nil && f.json != "" {
		t.title = f.json
	}
	return t
}

// readable returns the SQL condition selecting, under alias, the active
// records of t that the caller in ctx may read ("1=0" when t serves no
// get or the caller lacks its scopes). Status arguments come first.
func (t *target) readable(ctx context.Context, alias string) (string, []any, error) {
	if t.ops&OpGet == 0 || len(t.scopes) > 0 && !t.auth.HasScopes(ctx, t.scopes...) {
		return "1=0", nil, nil
	}
	cols := make(map[string]string, len(t.cols))
	for a, c := range t.cols {
		cols[a] = alias + "." + c
	}
	clause, args, err := t.auth.Filter(ctx, ActionRead, t.name, cols)
	if err != nil {
		return "", nil, fmt.Errorf("crud: authorizer filter of %q: %w", t.name, err)
	}
	if strings.TrimSpace(clause) == "" {
		return "1=0", nil, nil // fail closed
	}
	if t.status == "" {
		return "(" + clause + ")", args, nil
	}
	col := alias + "." + t.status
	return "(" + col + " IS NULL OR " + col + " <> ?) AND (" + clause + ")", append([]any{StatusDisabled}, args...), nil
}

// Relation declares a many-to-many field: the ids of the records of
// Target that a record is linked to, through a join table of two columns
// (Local, this resource's id; Foreign, the target's id). The field is an
// exported []string field of the record type without a db tag, whose json
// name is Field:
//
//	type Contact struct {
//		...
//		Lists []string `json:"lists"`
//	}
//	crud.WithRelation(crud.Relation{Field: "lists", Table: "contact_list",
//		Local: "contact_id", Foreign: "list_id", Target: lists})
//
// Reads (Get, Find, the written record of Create and Update) fill it with
// the ids of the linked records that are active and that the caller may
// read on Target, in id order, with one query per relation (a list page
// costs one query per relation, not one per record). Writes (Create, and
// Update naming the field) set it: the listed ids must be active records
// the caller may read, else the write is a 400 for the field; an update
// replaces the links the caller can see and keeps those it cannot. The
// links are written in the record's transaction, after a lock on the
// record's row. A purge deletes the record's links; a soft delete keeps
// them. Other columns of the join table need defaults. Cached reads
// (NewCached) do not carry relation fields.
type Relation struct {
	// Field is the JSON name of the record type's []string field.
	Field string
	// Table is the join table (may be schema-qualified).
	Table string
	// Local is the join table's column holding this resource's record id.
	Local string
	// Foreign is the join table's column holding the target's record id.
	Foreign string
	// Target is the resource of the linked records. It must be built
	// before the resource that points at it.
	Target Target
	// Limit, when set, returns how many records a record of owner (its
	// owner column's value, "" without one) may be linked to, negative for
	// no cap: apicrud's limit_related, which a host backs with a grant.
	// A write that would link more fails with ErrLimitExceeded (403
	// crud.limit_exceeded). The count and the write happen under the
	// lock on the record's row, so concurrent writes cannot exceed the
	// cap; removing links is always allowed. Links written to the same
	// join table by another relation (the target's side) do not take this
	// lock: cap only a side that every write goes through.
	Limit func(ctx context.Context, owner string) (int64, error)
}

// relation is a Relation resolved against the record type.
type relation struct {
	f                     *field
	table, local, foreign string // quoted
	t                     *target
	limit                 func(ctx context.Context, owner string) (int64, error)
}

// WithRelation adds a many-to-many field (see Relation). The field is
// writable unless WithWritable is given without naming it; it cannot be
// filtered or sorted on.
func WithRelation(rel Relation) Option {
	return func(c *config) error {
		if rel.Target == nil || rel.Target.target() == nil {
			return fmt.Errorf("%w: relation %q has no Target", ErrConfig, rel.Field)
		}
		if !validIdent(rel.Table, true) || !validIdent(rel.Local, false) || !validIdent(rel.Foreign, false) || rel.Local == rel.Foreign {
			return fmt.Errorf("%w: relation %q: bad join table or columns", ErrConfig, rel.Field)
		}
		c.relations = append(c.relations, rel)
		return nil
	}
}

// addRelations resolves the Relation options against the record type.
func (r *Resource[T]) addRelations(rels []Relation) error {
	m := r.m
	for _, rel := range rels {
		sf, ok := relationField(m.typ, rel.Field)
		if !ok {
			return fmt.Errorf("%w: relation %q: %s has no []string field with json name %q and no db tag", ErrConfig, rel.Field, m.typ, rel.Field)
		}
		if m.byJSON[rel.Field] != nil || rel.Field == actionsField || r.expands[rel.Field] != nil {
			return fmt.Errorf("%w: relation %q: the name is taken", ErrConfig, rel.Field)
		}
		f := &field{index: sf.Index, typ: sf.Type, base: sf.Type, goName: sf.Name, json: rel.Field, column: rel.Field,
			kind: kindOther, nullable: true, tagWritable: true}
		f.rel = &relation{f: f, table: quote(r.dialect, rel.Table), local: quote(r.dialect, rel.Local),
			foreign: quote(r.dialect, rel.Foreign), t: rel.Target.target(), limit: rel.Limit}
		m.byJSON[rel.Field] = f
		r.rels = append(r.rels, f.rel)
	}
	return nil
}

// relationField finds the exported []string field of t named name in JSON
// and without a column.
func relationField(t reflect.Type, name string) (reflect.StructField, bool) {
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Type != reflect.TypeFor[[]string]() {
			continue
		}
		if col, _, _ := strings.Cut(sf.Tag.Get("db"), ","); col != "" && col != "-" {
			continue
		}
		if j, _, _ := strings.Cut(sf.Tag.Get("json"), ","); j == name {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// validateIDs checks the ids given to a relation field.
func (rel *relation) validateIDs(name string, v reflect.Value) error {
	ids, _ := v.Interface().([]string)
	if len(ids) > maxRelated {
		return fieldErr(name, CodeInvalidValue, fmt.Sprintf("at most %d ids", maxRelated))
	}
	for _, id := range ids {
		if !validID(id) {
			return fieldErr(name, CodeInvalidValue, "not a record id")
		}
	}
	return nil
}

// alias is the table alias of the relation's target in its queries.
func (r *Resource[T]) alias(name string) string { return quote(r.dialect, "crud_"+name) }

// loadRelated fills the relation fields of recs with the ids of the linked
// records the caller may read: one query per relation.
func (r *Resource[T]) loadRelated(ctx context.Context, q sqlx.QueryerContext, recs ...*T) error {
	if len(r.rels) == 0 || len(recs) == 0 {
		return nil
	}
	ids := make([]any, 0, len(recs))
	byID := make(map[string][]int, len(recs))
	for i, rec := range recs {
		id := r.ID(rec)
		if _, seen := byID[id]; !seen {
			ids = append(ids, id)
		}
		byID[id] = append(byID[id], i)
	}
	for _, rel := range r.rels {
		for _, rec := range recs {
			fieldOf(rec, rel.f).Set(reflect.ValueOf([]string{}))
		}
		alias := r.alias(rel.f.json)
		cond, args, err := rel.t.readable(ctx, alias)
		if err != nil {
			return r.hookError(ctx, "relation", err)
		}
		qs := "SELECT j." + rel.local + ", j." + rel.foreign + " FROM " + rel.table + " j JOIN " + rel.t.table + " " + alias +
			" ON " + alias + "." + rel.t.id + " = j." + rel.foreign + " AND " + cond +
			" WHERE j." + rel.local + " IN (" + placeholders(len(ids)) + ") ORDER BY j." + rel.local + ", j." + rel.foreign
		rows, err := q.QueryContext(ctx, r.db.Rebind(qs), append(args, ids...)...)
		if err != nil {
			return r.dbError(ctx, "relation", err)
		}
		err = scanLinks(rows, func(local, foreign string) {
			for _, i := range byID[local] {
				v := fieldOf(recs[i], rel.f)
				v.Set(reflect.Append(v, reflect.ValueOf(foreign)))
			}
		})
		if err != nil {
			return r.dbError(ctx, "relation", err)
		}
	}
	return nil
}

// scanLinks calls fn for each (local, foreign) row and closes rows.
func scanLinks(rows *sql.Rows, fn func(local, foreign string)) error {
	defer rows.Close()
	var local, foreign string
	for rows.Next() {
		if err := rows.Scan(&local, &foreign); err != nil {
			return err
		}
		fn(local, foreign)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// Ways a write changes a relation's links.
const (
	linkSet    byte = iota // the links the caller can see become the ids
	linkAdd                // the ids are linked too
	linkRemove             // the ids are unlinked
)

// linkOp is a write's change to one relation.
type linkOp struct {
	mode byte
	ids  []string
}

// relationLimits looks up, before a write's transaction, the cap of every
// relation the write may add links to (-1: none).
func (r *Resource[T]) relationLimits(ctx context.Context, rec *T, ops map[*relation]linkOp) (map[*relation]int64, error) {
	var out map[*relation]int64
	for rel, op := range ops {
		if rel.limit == nil || len(op.ids) == 0 || op.mode == linkRemove {
			continue
		}
		owner := ""
		if f := r.m.role(roleOwner); f != nil {
			owner = attrString(fieldOf(rec, f))
		}
		n, err := rel.limit(ctx, owner)
		if err != nil {
			return nil, r.hookError(ctx, "relation limit", err)
		}
		if out == nil {
			out = make(map[*relation]int64)
		}
		out[rel] = n
	}
	return out, nil
}

// errRelatedLimit is a relation write past its cap.
var errRelatedLimit = fmt.Errorf("%w: the record is linked to as many records as allowed", ErrLimitExceeded)

// lockRow locks the row of record id until tx ends: the writes of links
// to one record take turns.
func (r *Resource[T]) lockRow(ctx context.Context, tx *sqlx.Tx, id string) error {
	idc := r.m.role(roleID).tcol
	q := "SELECT " + idc + " FROM " + r.table + " WHERE " + idc + " = ? FOR UPDATE"
	if r.dialect == dialectSQLite {
		// SQLite has no row locks; a write takes the database's write lock.
		q = "UPDATE " + r.table + " SET " + r.m.role(roleID).qcol + " = " + r.m.role(roleID).qcol + " WHERE " + idc + " = ?"
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
		return r.dbError(ctx, "relation", err)
	}
	return nil
}

// setLinks changes the links of record id as op says, in tx: it never
// touches the links to records the caller cannot read, and every id it
// links must be an active record the caller may read. limit is the cap
// (-1: none), checked when links are added.
func (r *Resource[T]) setLinks(ctx context.Context, tx *sqlx.Tx, rel *relation, id string, op linkOp, limit int64) error {
	want := slices.Clone(op.ids)
	slices.Sort(want)
	want = slices.Compact(want)
	if err := r.lockRow(ctx, tx, id); err != nil {
		return err
	}
	// Every link of the record, read after the lock: on MySQL a locking
	// read, which sees the latest committed rows, not the snapshot.
	qs := "SELECT j." + rel.foreign + " FROM " + rel.table + " j WHERE j." + rel.local + " = ?"
	if r.dialect == dialectMySQL {
		qs += " FOR UPDATE"
	}
	var have []string
	if err := tx.SelectContext(ctx, &have, tx.Rebind(qs), id); err != nil {
		return r.dbError(ctx, "relation", err)
	}
	readable, err := r.readableIDs(ctx, tx, rel, append(slices.Clone(have), want...))
	if err != nil {
		return err
	}
	var remove, add []any
	for _, h := range have {
		if readable[h] && (op.mode == linkSet && !slices.Contains(want, h) || op.mode == linkRemove && slices.Contains(want, h)) {
			remove = append(remove, h)
		}
	}
	for _, w := range want {
		if op.mode == linkRemove {
			break
		}
		if !readable[w] {
			return fieldErr(rel.f.json, CodeInvalidValue, "not a record id the caller may read")
		}
		if !slices.Contains(have, w) {
			add = append(add, w)
		}
	}
	if len(add) > 0 && limit >= 0 && int64(len(have)-len(remove)+len(add)) > limit {
		return errRelatedLimit
	}
	if len(remove) > 0 {
		q := "DELETE FROM " + rel.table + " WHERE " + rel.local + " = ? AND " + rel.foreign + " IN (" + placeholders(len(remove)) + ")"
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), append([]any{id}, remove...)...); err != nil {
			return r.dbError(ctx, "relation", err)
		}
	}
	if len(add) > 0 {
		q := "INSERT INTO " + rel.table + " (" + rel.local + ", " + rel.foreign + ") VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?), ", len(add)), ", ")
		args := make([]any, 0, 2*len(add))
		for _, a := range add {
			args = append(args, id, a)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return r.dbError(ctx, "relation", err)
		}
	}
	return nil
}

// readableIDs returns which of ids are active records of rel's target that
// the caller may read.
func (r *Resource[T]) readableIDs(ctx context.Context, tx *sqlx.Tx, rel *relation, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	alias := r.alias(rel.f.json)
	cond, args, err := rel.t.readable(ctx, alias)
	if err != nil {
		return nil, r.hookError(ctx, "relation", err)
	}
	for _, id := range ids {
		args = append(args, id)
	}
	q := "SELECT " + alias + "." + rel.t.id + " FROM " + rel.t.table + " " + alias + " WHERE " + cond +
		" AND " + alias + "." + rel.t.id + " IN (" + placeholders(len(ids)) + ")"
	var found []string
	if err := tx.SelectContext(ctx, &found, tx.Rebind(q), args...); err != nil {
		return nil, r.dbError(ctx, "relation", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// unlinkAll deletes every link of record id (before a purge).
func (r *Resource[T]) unlinkAll(ctx context.Context, tx *sqlx.Tx, id string) error {
	for _, rel := range r.rels {
		q := "DELETE FROM " + rel.table + " WHERE " + rel.local + " = ?"
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
			return r.dbError(ctx, "delete", err)
		}
	}
	return nil
}

// relationsIn returns the relation fields present in a write, each to be
// set to its ids.
func relationsIn[T any](rec *T, present map[*field]bool) map[*relation]linkOp {
	var out map[*relation]linkOp
	for f, ok := range present {
		if !ok || f.rel == nil {
			continue
		}
		if out == nil {
			out = make(map[*relation]linkOp)
		}
		ids, _ := fieldOf(rec, f).Interface().([]string)
		out[f.rel] = linkOp{mode: linkSet, ids: ids}
	}
	return out
}

// writeLinks runs setLinks for every relation a write changes, in tx.
func (r *Resource[T]) writeLinks(ctx context.Context, tx *sqlx.Tx, rec *T, ops map[*relation]linkOp, limits map[*relation]int64) error {
	id := r.ID(rec)
	for _, rel := range r.rels { // in declaration order, so locks are taken alike
		op, ok := ops[rel]
		if !ok {
			continue
		}
		limit, capped := limits[rel]
		if !capped {
			limit = -1
		}
		if err := r.setLinks(ctx, tx, rel, id, op, limit); err != nil {
			return err
		}
		if op.mode == linkSet {
			// The links the caller can see are now the ids given.
			ids := slices.Clone(op.ids)
			slices.Sort(ids)
			fieldOf(rec, rel.f).Set(reflect.ValueOf(slices.Compact(ids)))
		}
	}
	return nil
}

// SetRelated makes the links of the relation field (its JSON name) of
// record id that the caller can see exactly ids, as an Update naming only
// that field does, and returns the linked ids the caller can see. The
// caller must be allowed to update the record.
func (r *Resource[T]) SetRelated(ctx context.Context, id, field string, ids ...string) ([]string, error) {
	return r.changeLinks(ctx, id, field, linkSet, ids)
}

// AddRelated links record id to ids through the relation field (its JSON
// name), keeping its other links, and returns the linked ids the caller
// can see. The caller must be allowed to update the record and to read
// every one of ids; the relation's Limit is checked under the record's
// lock, so concurrent adds cannot exceed it.
func (r *Resource[T]) AddRelated(ctx context.Context, id, field string, ids ...string) ([]string, error) {
	return r.changeLinks(ctx, id, field, linkAdd, ids)
}

// RemoveRelated unlinks record id from ids through the relation field (its
// JSON name); ids that are not linked, or that the caller cannot read, are
// left alone. It returns the linked ids the caller can see.
func (r *Resource[T]) RemoveRelated(ctx context.Context, id, field string, ids ...string) ([]string, error) {
	return r.changeLinks(ctx, id, field, linkRemove, ids)
}

func (r *Resource[T]) changeLinks(ctx context.Context, id, field string, mode byte, ids []string) ([]string, error) {
	f := r.m.byJSON[field]
	switch {
	case f == nil || f.rel == nil:
		return nil, fieldErr(field, CodeUnknownField, "not a relation")
	case !f.writable:
		return nil, fieldErr(field, CodeReadOnly, "is read-only")
	}
	if err := f.rel.validateIDs(field, reflect.ValueOf(ids)); err != nil {
		return nil, err
	}
	rec, err := r.updateLinks(ctx, id, precondition{}, nil, map[*relation]linkOp{f.rel: {mode: mode, ids: ids}})
	if err != nil {
		return nil, err
	}
	out, _ := fieldOf(rec, f).Interface().([]string)
	return out, nil
}

// patchFields returns the fields of an update's patch as a presence set.
func patchFields(patch map[*field]reflect.Value) map[*field]bool {
	out := make(map[*field]bool, len(patch))
	for f := range patch {
		out[f] = true
	}
	return out
}
