package crud

import (
	"context"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxIDsPerRequest bounds the ids of one delete or purge.
const maxIDsPerRequest = 100

// Create stores a new record built from the writable fields of rec (every
// other field of rec is ignored) and returns it as stored. The server sets
// the id (the resource's prefix and 96 random bits), the owner (the
// caller's uid), created, status ("active"), version (1), defaults and the
// default category; then the BeforeCreate hook runs, the caller must be
// allowed 'c' on the result, the owner limit is checked, and the INSERT and
// the AfterCreate hook run in one transaction.
func (r *Resource[T]) Create(ctx context.Context, rec *T) (*T, error) {
	if rec == nil {
		return nil, fieldErr("body", CodeInvalidJSON, "no record given")
	}
	in := new(T)
	present := make(map[*field]bool, len(r.writable))
	for _, f := range r.writable {
		v := fieldOf(rec, f)
		unset := f.kind == kindString && (f.hasDef || f.role == rolePrivacy) && attrString(v) == ""
		if !unset {
			if err := f.validate(f.name(), v, r.privacy); err != nil {
				return nil, err
			}
		}
		fieldOf(in, f).Set(v)
		present[f] = true
	}
	return r.create(ctx, in, present)
}

func (r *Resource[T]) create(ctx context.Context, rec *T, present map[*field]bool) (*T, error) {
	if r.tracer != nil {
		return r.traceCreate(ctx, rec, present)
	}
	return r.createRecord(ctx, rec, present)
}

func (r *Resource[T]) createRecord(ctx context.Context, rec *T, present map[*field]bool) (*T, error) {
	if err := r.checkOp(ctx, OpCreate); err != nil {
		return nil, err
	}
	for _, f := range r.writable {
		if f.required && (!present[f] || fieldOf(rec, f).IsZero()) {
			return nil, fieldErr(f.name(), CodeRequired, "is required")
		}
	}
	uid, authenticated := r.auth.UID(ctx)
	if r.m.role(roleOwner) != nil && (!authenticated || uid == "") {
		return nil, ErrUnauthenticated
	}
	r.setServerFields(rec, uid)
	if err := r.setDefaults(ctx, rec, uid); err != nil {
		return nil, err
	}
	if h := r.hooks.BeforeCreate; h != nil {
		if err := r.hookError(ctx, "BeforeCreate", h(ctx, rec)); err != nil {
			return nil, err
		}
		if !validID(r.ID(rec)) {
			return nil, r.hookError(ctx, "BeforeCreate", fmt.Errorf("hook set an invalid id"))
		}
	}
	if a := r.attrs(rec); !r.allowed(ctx, ActionCreate, rec, a) {
		return nil, r.denied(ctx)
	} else if err := r.checkScope(ctx, ActionCreate, a); err != nil {
		return nil, err
	}
	owner, limit, err := r.ownerLimit(ctx, rec)
	if err != nil {
		return nil, err
	}
	links := relationsIn(rec, present)
	for rel, op := range links {
		if len(op.ids) == 0 {
			delete(links, rel) // a new record has no links to replace
		}
	}
	linkLimits, err := r.relationLimits(ctx, rec, links)
	if err != nil {
		return nil, err
	}
	args := r.values(rec)
	err = r.inTx(ctx, "create", func(tx *sqlx.Tx) error {
		if err := r.lockOwner(ctx, tx, "create", owner, limit); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.insertSQL, args...); err != nil {
			return r.dbError(ctx, "create", err)
		}
		if err := r.checkOwned(ctx, tx, owner, limit); err != nil {
			return err
		}
		if err := r.writeLinks(ctx, tx, rec, links, linkLimits); err != nil {
			return err
		}
		if h := r.hooks.AfterCreate; h != nil {
			return r.hookError(ctx, "AfterCreate", h(ctx, tx, rec))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if h := r.hooks.Committed; h != nil {
		h(context.WithoutCancel(ctx), ChangeCreated, r.ID(rec))
	}
	for _, rel := range r.rels {
		if _, set := links[rel]; !set {
			fieldOf(rec, rel.f).Set(reflect.ValueOf([]string{}))
		}
	}
	return rec, nil
}

// setServerFields sets what the server controls in a new record: id,
// owner, timestamps, status, version and the `default=` values.
func (r *Resource[T]) setServerFields(rec *T, uid string) {
	m := r.m
	ts := now()
	fieldOf(rec, m.role(roleID)).SetString(newID(r.idPrefix))
	if f := m.role(roleOwner); f != nil {
		setString(fieldOf(rec, f), uid)
	}
	if f := m.role(roleCreated); f != nil {
		setTime(fieldOf(rec, f), ts)
	}
	if f := m.role(roleModified); f != nil && !f.nullable {
		setTime(fieldOf(rec, f), ts)
	}
	if f := m.role(roleStatus); f != nil {
		setString(fieldOf(rec, f), StatusActive)
	}
	if f := m.role(roleVersion); f != nil {
		setVersion(fieldOf(rec, f), 1)
	}
	for _, f := range m.fields {
		if f.hasDef && attrString(fieldOf(rec, f)) == "" {
			setString(fieldOf(rec, f), f.def)
		}
	}
}

// setDefaults fills the privacy and category of a new record that has
// none, from WithDefaultPrivacy (else the most restrictive level) and
// WithDefaultCategory.
func (r *Resource[T]) setDefaults(ctx context.Context, rec *T, uid string) error {
	m := r.m
	if f := m.role(rolePrivacy); f != nil && !f.hasDef && attrString(fieldOf(rec, f)) == "" {
		level, err := r.privacyFor(ctx, uid)
		if err != nil {
			return err
		}
		setString(fieldOf(rec, f), level)
	}
	if f := m.role(roleCategory); f != nil && r.category != nil && attrString(fieldOf(rec, f)) == "" {
		cat, err := r.category(ctx, uid)
		if err != nil {
			return r.hookError(ctx, "default category", err)
		}
		if cat != "" {
			setString(fieldOf(rec, f), cat)
		}
	}
	return nil
}

// privacyFor is the privacy of a new record of uid that names none.
func (r *Resource[T]) privacyFor(ctx context.Context, uid string) (string, error) {
	level := ""
	if r.defaultPrivacy != nil {
		var err error
		if level, err = r.defaultPrivacy(ctx, uid); err != nil {
			return "", r.hookError(ctx, "default privacy", err)
		}
		if level != "" && !slices.Contains(r.privacy, level) {
			return "", r.hookError(ctx, "default privacy", fmt.Errorf("unknown privacy level %q", level))
		}
	}
	if level == "" {
		level = r.privacy[len(r.privacy)-1]
	}
	return level, nil
}

// ownerLimit returns the owner of rec and their record limit (WithOwnerLimit);
// limit is -1 when none applies.
func (r *Resource[T]) ownerLimit(ctx context.Context, rec *T) (string, int64, error) {
	if r.limits == nil {
		return "", -1, nil
	}
	owner := attrString(fieldOf(rec, r.m.role(roleOwner)))
	n, err := r.limits.Limit(ctx, r.limitName, owner)
	if err != nil {
		return "", -1, r.hookError(ctx, "Limits", err)
	}
	return owner, n, nil
}

// lockOwner serializes, on PostgreSQL, the writers that add records of the
// same limited owner, until tx ends.
func (r *Resource[T]) lockOwner(ctx context.Context, tx *sqlx.Tx, op, owner string, limit int64) error {
	if limit < 0 || r.dialect != dialectPostgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", r.lockKey(owner)); err != nil {
		return r.dbError(ctx, op, err)
	}
	return nil
}

// checkOwned fails with ErrLimitExceeded when owner, after the write in tx,
// holds more active records than limit (-1: no limit).
func (r *Resource[T]) checkOwned(ctx context.Context, tx *sqlx.Tx, owner string, limit int64) error {
	if limit < 0 {
		return nil
	}
	n, err := r.countOwned(ctx, tx, owner)
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("%w: at most %d records allowed", ErrLimitExceeded, limit)
	}
	return nil
}

// lockKey maps (table, owner) to a PostgreSQL advisory lock key.
func (r *Resource[T]) lockKey(owner string) int64 {
	h := fnv.New64a()
	h.Write([]byte(r.table))
	h.Write([]byte{0})
	h.Write([]byte(owner))
	return int64(h.Sum64())
}

// countOwned counts the owner's active records inside tx, after the
// insert. On MySQL the read locks the owner's index range, so a concurrent
// creator deadlocks and retries instead of overshooting.
func (r *Resource[T]) countOwned(ctx context.Context, tx *sqlx.Tx, owner string) (int64, error) {
	q := "SELECT COUNT(*) FROM " + r.table + " WHERE " + r.m.role(roleOwner).tcol + " = ?"
	args := []any{owner}
	if c, a := r.activeCond(); c != "" {
		q += " AND " + c
		args = append(args, a...)
	}
	if r.dialect == dialectMySQL {
		q += " FOR UPDATE"
	}
	var n int64
	if err := tx.QueryRowxContext(ctx, tx.Rebind(q), args...).Scan(&n); err != nil {
		return 0, r.dbError(ctx, "create", err)
	}
	return n, nil
}

// Get returns the record id. A record that does not exist, is soft-deleted
// or that the caller may not read ('r') is ErrNotFound alike.
func (r *Resource[T]) Get(ctx context.Context, id string) (*T, error) {
	var rec *T
	var err error
	if r.tracer != nil {
		rec, _, err = r.traceGet(ctx, id, nil)
	} else {
		rec, _, err = r.get(ctx, id, nil)
	}
	return rec, err
}

// get reads record id with the texts of exps (nil Expanded without).
func (r *Resource[T]) get(ctx context.Context, id string, exps []*expansion) (*T, Expanded, error) {
	if err := r.checkOp(ctx, OpGet); err != nil {
		return nil, nil, err
	}
	var rec *T
	var ex Expanded
	var err error
	if len(exps) > 0 {
		rec, ex, err = r.loadExpanded(ctx, id, exps)
	} else {
		rec, err = r.loadOne(ctx, r.db, id, true)
	}
	if err != nil {
		return nil, nil, err
	}
	if !r.allowed(ctx, ActionRead, rec, r.attrs(rec)) {
		return nil, nil, ErrNotFound
	}
	if err := r.loadRelated(ctx, r.db, rec); err != nil {
		return nil, nil, err
	}
	if h := r.hooks.AfterGet; h != nil {
		if err := r.hookError(ctx, "AfterGet", h(ctx, rec)); err != nil {
			return nil, nil, err
		}
	}
	return rec, ex, nil
}

// Update changes the named fields (JSON names) of record id to their values
// in changes. Only writable fields may be named (others are a *FieldError).
// The caller must be allowed 'r' (else ErrNotFound) and 'u' (else
// ErrForbidden) on the stored record, and 'u' on the result when its owner,
// privacy or membership changes. It returns the updated record.
func (r *Resource[T]) Update(ctx context.Context, id string, changes *T, fields ...string) (*T, error) {
	return r.UpdateIfMatch(ctx, id, "", changes, fields...)
}

// UpdateIfMatch is Update with a precondition: ifMatch is the value of an
// HTTP If-Match header (ETags or "*"; "" for none). When the stored
// version matches none of its ETags the result is ErrPreconditionFailed;
// the check is part of the UPDATE statement, so of two concurrent writers
// holding the same ETag exactly one succeeds.
func (r *Resource[T]) UpdateIfMatch(ctx context.Context, id, ifMatch string, changes *T, fields ...string) (*T, error) {
	patch := make(map[*field]reflect.Value, len(fields))
	for _, n := range fields {
		f := r.m.byJSON[n]
		switch {
		case f == nil:
			return nil, fieldErr(n, CodeUnknownField, "unknown field")
		case !f.writable:
			return nil, fieldErr(n, CodeReadOnly, "is read-only")
		}
		if changes == nil {
			return nil, fieldErr(n, CodeInvalidValue, "no values given")
		}
		v := fieldOf(changes, f)
		if err := f.validate(n, v, r.privacy); err != nil {
			return nil, err
		}
		patch[f] = v
	}
	return r.update(ctx, id, parseIfMatch(ifMatch), patch)
}

func (r *Resource[T]) update(ctx context.Context, id string, cond precondition, patch map[*field]reflect.Value) (*T, error) {
	if r.tracer != nil {
		return r.traceUpdate(ctx, id, cond, patch)
	}
	return r.updateRecord(ctx, id, cond, patch)
}

func (r *Resource[T]) updateRecord(ctx context.Context, id string, cond precondition, patch map[*field]reflect.Value) (*T, error) {
	return r.updateLinks(ctx, id, cond, patch, nil)
}

// updateLinks is updateRecord, which also changes the links ops names
// (nil: the relation fields of patch are set).
func (r *Resource[T]) updateLinks(ctx context.Context, id string, cond precondition, patch map[*field]reflect.Value, ops map[*relation]linkOp) (*T, error) {
	if err := r.checkOp(ctx, OpUpdate); err != nil {
		return nil, err
	}
	m := r.m
	verField := m.role(roleVersion)
	var result *T
	err := r.retry(ctx, func() error {
		old, err := r.loadOne(ctx, r.db, id, true)
		if err != nil {
			return err
		}
		oldAttrs := r.attrs(old)
		if !r.allowed(ctx, ActionRead, old, oldAttrs) {
			return ErrNotFound
		}
		if !r.allowed(ctx, ActionUpdate, old, oldAttrs) {
			return r.denied(ctx)
		}
		if err := r.checkScope(ctx, ActionUpdate, oldAttrs); err != nil {
			return err
		}
		var oldVersion int64
		if verField != nil {
			oldVersion = versionOf(fieldOf(old, verField))
		}
		if !cond.matches(verField != nil, oldVersion) {
			return ErrPreconditionFailed
		}
		rec := new(T)
		*rec = *old
		for f, v := range patch {
			fieldOf(rec, f).Set(v)
		}
		links := ops
		if links == nil {
			links = relationsIn(rec, patchFields(patch))
		}
		linkLimits, err := r.relationLimits(ctx, rec, links)
		if err != nil {
			return err
		}
		if h := r.hooks.BeforeUpdate; h != nil {
			if err := r.hookError(ctx, "BeforeUpdate", h(ctx, old, rec)); err != nil {
				return err
			}
			fieldOf(rec, m.role(roleID)).SetString(id) // the id never changes
		}
		if newAttrs := r.attrs(rec); !maps2Equal(oldAttrs, newAttrs) {
			if !r.allowed(ctx, ActionUpdate, rec, newAttrs) {
				return r.denied(ctx)
			}
			if err := r.checkScope(ctx, ActionUpdate, newAttrs); err != nil {
				return err
			}
		}
		ts := now()
		if f := m.role(roleModified); f != nil {
			setTime(fieldOf(rec, f), ts)
		}
		if verField != nil {
			setVersion(fieldOf(rec, verField), oldVersion+1)
		}
		sets, args := r.changedColumns(old, rec)
		return r.tryTx(ctx, "update", func(tx *sqlx.Tx) error {
			if len(sets) > 0 {
				g, gargs := r.guard(old)
				q := tx.Rebind("UPDATE " + r.table + " SET " + strings.Join(sets, ", ") + " WHERE " + g)
				if err := r.execGuarded(ctx, tx, "update", q, append(args, gargs...), old); err != nil {
					return err
				}
			}
			if err := r.writeLinks(ctx, tx, rec, links, linkLimits); err != nil {
				return err
			}
			if err := r.loadRelated(ctx, tx, rec); err != nil {
				return err
			}
			if h := r.hooks.AfterUpdate; h != nil {
				if err := r.hookError(ctx, "AfterUpdate", h(ctx, tx, old, rec)); err != nil {
					return err
				}
			}
			if err := r.uncache(ctx, id); err != nil {
				return err
			}
			result = rec
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	r.committed(ctx, ChangeUpdated, id)
	return result, nil
}

// changedColumns returns the SET clauses and arguments that write rec over
// old: the changed columns, and modified and version always.
func (r *Resource[T]) changedColumns(old, rec *T) ([]string, []any) {
	var sets []string
	var args []any
	for _, f := range r.m.fields {
		if f.role == roleID {
			continue
		}
		nv := fieldOf(rec, f)
		if f.role == roleModified || f.role == roleVersion || !equalValue(fieldOf(old, f), nv) {
			sets = append(sets, f.qcol+" = ?")
			args = append(args, bindValue(nv))
		}
	}
	return sets, args
}

// guard returns the WHERE condition that matches old only if it has not
// changed since it was read: the version when the resource has one, else
// the authorization attributes and the status.
func (r *Resource[T]) guard(old *T) (string, []any) {
	m := r.m
	conds := []string{m.role(roleID).tcol + " = ?"}
	args := []any{r.ID(old)}
	if f := m.role(roleVersion); f != nil {
		conds = append(conds, f.tcol+" = ?")
		args = append(args, bindValue(fieldOf(old, f)))
		return strings.Join(conds, " AND "), args
	}
	for _, rl := range []role{roleOwner, rolePrivacy, roleMember, roleStatus} {
		f := m.role(rl)
		if f == nil {
			continue
		}
		v := bindValue(fieldOf(old, f))
		if v == nil {
			conds = append(conds, f.tcol+" IS NULL")
			continue
		}
		conds = append(conds, f.tcol+" = ?")
		args = append(args, v)
	}
	return strings.Join(conds, " AND "), args
}

// execGuarded runs a guarded UPDATE or DELETE and reports errStale when it
// matched no row.
func (r *Resource[T]) execGuarded(ctx context.Context, tx *sqlx.Tx, op, q string, args []any, old *T) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return r.dbError(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return r.dbError(ctx, op, err)
	}
	if n > 0 {
		return nil
	}
	if r.m.role(roleVersion) == nil && r.m.role(roleModified) == nil {
		// MySQL reports changed rather than matched rows: an UPDATE that
		// wrote identical values affects 0 rows. Check that the row is
		// still the one we read.
		g, gargs := r.guard(old)
		var one int
		err := tx.QueryRowxContext(ctx, tx.Rebind("SELECT 1 FROM "+r.table+" WHERE "+g), gargs...).Scan(&one)
		if err == nil {
			return nil
		}
	}
	return errStale
}

// Delete deletes the records ids, all or none, in one transaction. By
// default a delete is soft: status becomes "disabled" and the record moves
// to the trashcan (resources without a status column always purge). With
// force the rows are purged, including soft-deleted ones. Every id must
// exist and be readable by the caller (else ErrNotFound) and deletable
// ('d', else ErrForbidden); all checks happen before any write.
func (r *Resource[T]) Delete(ctx context.Context, force bool, ids ...string) error {
	_, err := r.deleteRecords(ctx, force, ids)
	return err
}

// deleteRecords is Delete; it returns the records as they were before the
// delete (status disabled for a soft delete), in the order of ids.
func (r *Resource[T]) deleteRecords(ctx context.Context, force bool, ids []string) ([]*T, error) {
	if r.tracer != nil {
		return r.traceDelete(ctx, force, ids)
	}
	return r.removeRecords(ctx, force, ids)
}

func (r *Resource[T]) removeRecords(ctx context.Context, force bool, ids []string) ([]*T, error) {
	if err := r.checkOp(ctx, OpDelete); err != nil {
		return nil, err
	}
	ids, err := cleanIDs(ids)
	if err != nil {
		return nil, err
	}
	var deleted map[string]*T
	err = r.retry(ctx, func() error {
		recs, err := r.loadMany(ctx, ids)
		if err != nil {
			return err
		}
		deleted = recs
		soft := !force && r.m.role(roleStatus) != nil
		for _, id := range ids {
			rec := recs[id]
			if rec == nil || (soft && r.isDisabled(rec)) {
				return ErrNotFound
			}
			a := r.attrs(rec)
			if !r.allowed(ctx, ActionRead, rec, a) {
				return ErrNotFound
			}
			if !r.allowed(ctx, ActionDelete, rec, a) {
				return r.denied(ctx)
			}
			if err := r.checkScope(ctx, ActionDelete, a); err != nil {
				return err
			}
		}
		if h := r.hooks.BeforeDelete; h != nil {
			for _, id := range ids {
				if err := r.hookError(ctx, "BeforeDelete", h(ctx, recs[id], force)); err != nil {
					return err
				}
			}
		}
		return r.tryTx(ctx, "delete", func(tx *sqlx.Tx) error {
			for _, id := range ids {
				if err := r.deleteOne(ctx, tx, recs[id], soft); err != nil {
					return err
				}
				if h := r.hooks.AfterDelete; h != nil {
					if err := r.hookError(ctx, "AfterDelete", h(ctx, tx, recs[id], force)); err != nil {
						return err
					}
				}
			}
			return r.uncache(ctx, ids...)
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(ids))
	for i, id := range ids {
		out[i] = deleted[id]
	}
	if sf := r.m.role(roleStatus); !force && sf != nil {
		for _, rec := range out {
			setString(fieldOf(rec, sf), StatusDisabled)
		}
		r.committed(ctx, ChangeDeleted, ids...)
	} else {
		r.committed(ctx, ChangePurged, ids...)
	}
	return out, nil
}

// deleteOne soft-deletes (status disabled) or purges one record read
// earlier, guarded against concurrent changes.
func (r *Resource[T]) deleteOne(ctx context.Context, tx *sqlx.Tx, old *T, soft bool) error {
	return r.setStatus(ctx, tx, old, soft, StatusDisabled)
}

// setStatus writes status (soft) or deletes the row (!soft).
func (r *Resource[T]) setStatus(ctx context.Context, tx *sqlx.Tx, old *T, soft bool, status string) error {
	g, gargs := r.guard(old)
	if !soft {
		if err := r.unlinkAll(ctx, tx, r.ID(old)); err != nil {
			return err
		}
		return r.execGuarded(ctx, tx, "delete", tx.Rebind("DELETE FROM "+r.table+" WHERE "+g), gargs, old)
	}
	m := r.m
	sets := []string{m.role(roleStatus).qcol + " = ?"}
	args := []any{status}
	if f := m.role(roleModified); f != nil {
		sets = append(sets, f.qcol+" = ?")
		args = append(args, now())
	}
	if f := m.role(roleVersion); f != nil {
		sets = append(sets, f.qcol+" = ?")
		args = append(args, versionOf(fieldOf(old, f))+1)
	}
	q := tx.Rebind("UPDATE " + r.table + " SET " + strings.Join(sets, ", ") + " WHERE " + g)
	return r.execGuarded(ctx, tx, "delete", q, append(args, gargs...), old)
}

// loadMany reads the records ids (any status) keyed by id.
func (r *Resource[T]) loadMany(ctx context.Context, ids []string) (map[string]*T, error) {
	q, args, err := sqlx.In("SELECT "+r.selectCols+" FROM "+r.table+" WHERE "+r.m.role(roleID).tcol+" IN (?)", ids)
	if err != nil {
		return nil, r.dbError(ctx, "delete", err)
	}
	rows, err := r.db.QueryContext(ctx, r.db.Rebind(q), args...)
	if err != nil {
		return nil, r.dbError(ctx, "delete", err)
	}
	defer rows.Close()
	out := make(map[string]*T, len(ids))
	dest := make([]any, 0, len(r.m.fields))
	for rows.Next() {
		rec := new(T)
		if err := rows.Scan(r.scanDest(rec, dest)...); err != nil {
			return nil, r.dbError(ctx, "delete", err)
		}
		out[r.ID(rec)] = rec
	}
	if err := rows.Err(); err != nil {
		return nil, r.dbError(ctx, "delete", err)
	}
	return out, nil
}

// cleanIDs validates and de-duplicates ids (keeping their order).
func cleanIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, ErrNotFound
	}
	if len(ids) > maxIDsPerRequest {
		return nil, fieldErr("id", CodeBadID, fmt.Sprintf("at most %d ids at once", maxIDsPerRequest))
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !validID(id) {
			return nil, ErrNotFound
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// equalValue compares two field values (times by instant).
func equalValue(a, b reflect.Value) bool {
	if a.Kind() == reflect.Pointer {
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		a, b = a.Elem(), b.Elem()
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	if a.Comparable() {
		return a.Equal(b)
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
