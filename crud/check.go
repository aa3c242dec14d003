package crud

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Check verifies that the resource's table and every column of its record
// type exist, with one query that reads no row. A host calls it (or
// [API.Check]) at start-up, so a missing table or column stops the service
// with an error that names them instead of failing its first request.
// The error wraps ErrSchema when the table or a column is missing, and
// ErrUnavailable when the database cannot be reached.
func (r *Resource[T]) Check(ctx context.Context) error {
	q := "SELECT " + r.selectCols + " FROM " + r.table + " WHERE 1=0"
	rows, err := r.db.QueryContext(ctx, q)
	if err == nil {
		err = rows.Close()
	}
	if err == nil {
		return nil
	}
	if unreachable(err) {
		return fmt.Errorf("%w: resource %q: %v", ErrUnavailable, r.name, err)
	}
	if classify(err) == dbSchema {
		return r.schemaError(err)
	}
	return fmt.Errorf("crud: resource %q: checking table %s: %w", r.name, r.table, err)
}

// schemaError names the table (and the columns it should have) of a
// resource whose query found the table or a column missing.
func (r *Resource[T]) schemaError(err error) error {
	cols := make([]string, len(r.m.fields))
	for i, f := range r.m.fields {
		cols[i] = f.column
	}
	return fmt.Errorf("%w: resource %q: table %s or one of its columns (%s) does not exist: %v",
		ErrSchema, r.name, r.table, strings.Join(cols, ", "), err)
}

// Check runs the Check of every registered resource and returns their
// errors joined (nil when every table and column exists).
func (a *API) Check(ctx context.Context) error {
	var errs []error
	for _, it := range a.registered() {
		if err := it.check(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Resource[T]) check(ctx context.Context) error { return r.Check(ctx) }

// check has nothing to verify: the trashcan owns no table (its resources
// are checked as resources).
func (t *Trashcan) check(context.Context) error { return nil }
