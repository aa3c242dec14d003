package crud

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// plan is a parsed list request turned into SQL: the conditions that
// select the rows (ANDed: status, the Authorizer's filter, the client's
// filter), the keyset position the page starts after, the order and the
// page size. Find and the trashcan each build one; writing it as SQL,
// scanning the rows and counting them is shared.
type plan struct {
	conds []string
	args  []any
	// after is the keyset condition of a cursor; counts leave it out.
	after     string
	afterArgs []any
	sort      sortSpec
	limit     int       // page size
	offset    int       // rows skipped (legacy paging)
	start     int64     // position of the page's first row among all matches
	window    bool      // count every match in the page query (COUNT(*) OVER ())
	count     CountMode // how to count the matches
	digest    string
	// restricted is true when the caller may not read every row: the
	// planner's estimate, made from statistics over all rows, would then
	// tell about rows the caller cannot see.
	restricted bool
	// The expansions of the page query: their select list, LEFT JOINs
	// (whose arguments precede args), and the texts fetch scanned.
	expand   []*expansion
	expCols  string
	joins    string
	joinArgs []any
	expanded []Expanded
}

// and adds a condition (already parenthesized if it holds OR).
func (p *plan) and(cond string, args ...any) {
	p.conds = append(p.conds, cond)
	p.args = append(p.args, args...)
}

// where returns the conditions without the keyset position.
func (p *plan) where() string {
	if len(p.conds) == 0 {
		return "1=1"
	}
	return strings.Join(p.conds, " AND ")
}

// pageSize checks a requested page size against def and max (0: def).
func pageSize(limit, def, max int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 0 || limit > max:
		return 0, fieldErr("limit", CodeBadLimit, fmt.Sprintf("must be between 1 and %d", max))
	}
	return limit, nil
}

// selectSQL writes the page query of p: one row more than the page, to
// tell whether another page follows.
func (r *Resource[T]) selectSQL(p *plan) (string, []any) {
	where := p.where()
	var sq strings.Builder
	sq.Grow(len(r.selectCols) + len(where) + len(p.after) + 128)
	sq.WriteString("SELECT ")
	sq.WriteString(r.selectCols)
	sq.WriteString(p.expCols)
	if p.window {
		sq.WriteString(", COUNT(*) OVER ()")
	}
	sq.WriteString(" FROM ")
	sq.WriteString(r.table)
	sq.WriteString(p.joins)
	sq.WriteString(" WHERE ")
	sq.WriteString(where)
	args := make([]any, 0, len(p.joinArgs)+len(p.args)+len(p.afterArgs)+2)
	args = append(args, p.joinArgs...)
	args = append(args, p.args...)
	if p.after != "" {
		sq.WriteString(" AND ")
		sq.WriteString(p.after)
		args = append(args, p.afterArgs...)
	}
	dir := " ASC"
	if p.sort.desc {
		dir = " DESC"
	}
	idf := r.m.role(roleID)
	sq.WriteString(" ORDER BY ")
	if p.sort.f.nullable {
		// NULLs last ascending, first descending, on every database: the
		// exact reverse, as keyset paging needs.
		sq.WriteString("(" + p.sort.f.tcol + " IS NULL)" + dir + ", ")
	}
	if p.sort.f != idf {
		sq.WriteString(p.sort.f.tcol + dir + ", ")
	}
	sq.WriteString(idf.tcol + dir + " LIMIT ?")
	args = append(args, p.limit+1)
	if p.offset > 0 {
		sq.WriteString(" OFFSET ?")
		args = append(args, p.offset)
	}
	return r.db.Rebind(sq.String()), args
}

// fetch runs the page query of p, appending the rows to items. total is
// the window count (0 unless p.window and a row came back).
func (r *Resource[T]) fetch(ctx context.Context, op string, p *plan, items []T) ([]T, int64, error) {
	q, args := r.selectSQL(p)
	rows, err := r.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, r.dbError(ctx, op, err)
	}
	defer rows.Close()
	dest := make([]any, 0, len(r.m.fields)+len(p.expand)+1)
	vals := make([]sql.NullString, len(p.expand))
	var total int64
	for rows.Next() {
		items = append(items, *new(T))
		dest = r.scanDest(&items[len(items)-1], dest)
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if p.window {
			dest = append(dest, &total)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, r.dbError(ctx, op, err)
		}
		if len(p.expand) > 0 {
			p.expanded = append(p.expanded, expandedOf(p.expand, vals))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, r.dbError(ctx, op, err)
	}
	return items, total, rows.Close()
}

// countAll counts every row p selects, keyset position aside.
func (r *Resource[T]) countAll(ctx context.Context, op string, p *plan) (int64, error) {
	var n int64
	err := r.db.QueryRowxContext(ctx, r.db.Rebind("SELECT COUNT(*) FROM "+r.table+" WHERE "+p.where()), p.args...).Scan(&n)
	if err != nil {
		return 0, r.dbError(ctx, op, err)
	}
	return n, nil
}

// listPlan parses q (limit, offset, cursor, sort, filter) and adds the
// conditions of the caller's permission to read.
func (r *Resource[T]) listPlan(ctx context.Context, q Query) (*plan, *cursor, error) {
	limit, err := pageSize(q.Limit, r.pageDefault, r.pageMax)
	if err != nil {
		return nil, nil, err
	}
	if q.Offset < 0 {
		return nil, nil, fieldErr("offset", CodeBadOffset, "must not be negative")
	}
	cur, err := r.listCursor(&q)
	if err != nil {
		return nil, nil, err
	}
	sort, err := r.parseSort(q.Sort, "")
	if err != nil {
		return nil, nil, err
	}
	cf, err := r.compileFilter(q.Filter)
	if err != nil {
		return nil, nil, err
	}
	perm, permArgs, err := r.permission(ctx, ActionRead)
	if err != nil {
		return nil, nil, err
	}
	exps, err := r.parseExpand(q.Expand)
	if err != nil {
		return nil, nil, err
	}
	p := &plan{sort: sort, limit: limit, offset: q.Offset, start: int64(q.Offset), count: q.Count,
		window: q.Count == CountExact, digest: cf.digest, restricted: strings.TrimSpace(perm) != "1=1", expand: exps}
	if p.expCols, p.joins, p.joinArgs, err = r.expandSQL(ctx, exps); err != nil {
		return nil, nil, err
	}
	if c, a := r.activeCond(); c != "" {
		p.and(c, a...)
	}
	p.and("("+perm+")", permArgs...)
	p.conds = append(p.conds, cf.conds...)
	p.args = append(p.args, cf.args...)
	if cur != nil {
		if err := r.keyset(p, cur); err != nil {
			return nil, nil, err
		}
	}
	return p, cur, nil
}

// listCursor decodes q's cursor, which then supplies the sort q names none.
func (r *Resource[T]) listCursor(q *Query) (*cursor, error) {
	if q.Cursor == "" {
		return nil, nil
	}
	if q.Offset != 0 {
		return nil, fieldErr("offset", CodeBadOffset, "cannot be combined with cursor_next")
	}
	c, err := r.signer.decode(q.Cursor)
	if err != nil {
		return nil, err
	}
	if c.Kind != "l" || c.Res != r.name {
		return nil, fieldErr("cursor_next", CodeBadCursor, "invalid or tampered cursor")
	}
	if q.Sort == "" {
		q.Sort = c.Sort
		if c.Desc {
			q.Sort += ":desc"
		}
	}
	return c, nil
}

// keyset sets p to start after the row cur points at.
func (r *Resource[T]) keyset(p *plan, cur *cursor) error {
	sort := p.sort
	if cur.Sort != sort.f.json || cur.Desc != sort.desc || cur.Filter != p.digest {
		return fieldErr("cursor_next", CodeBadCursor, "cursor does not match the sort or filter")
	}
	op := " > "
	if sort.desc {
		op = " < "
	}
	idf := r.m.role(roleID)
	p.start = cur.Pos
	if sort.f == idf {
		p.after, p.afterArgs = idf.tcol+op+"?", []any{cur.ID}
		return nil
	}
	kv := reflect.New(sort.f.typ)
	if len(cur.Key) == 0 || json.Unmarshal(cur.Key, kv.Interface()) != nil {
		return fieldErr("cursor_next", CodeBadCursor, "invalid or tampered cursor")
	}
	key := bindValue(kv.Elem())
	if sort.f.nullable {
		p.after, p.afterArgs = nullableKeyset(sort, idf, op, key, cur.ID)
		return nil
	}
	p.after = "(" + sort.f.tcol + op + "? OR (" + sort.f.tcol + " = ? AND " + idf.tcol + op + "?))"
	p.afterArgs = []any{key, key, cur.ID}
	return nil
}

// nullableKeyset is the keyset condition on a nullable sort column, whose
// NULLs come last ascending and first descending.
func nullableKeyset(sort sortSpec, idf *field, op string, key any, id string) (string, []any) {
	col := sort.f.tcol
	switch {
	case key == nil && !sort.desc: // among the trailing NULLs
		return "(" + col + " IS NULL AND " + idf.tcol + op + "?)", []any{id}
	case key == nil: // among the leading NULLs, then every value
		return "((" + col + " IS NULL AND " + idf.tcol + op + "?) OR " + col + " IS NOT NULL)", []any{id}
	case !sort.desc: // values after key, then the NULLs
		return "(" + col + op + "? OR (" + col + " = ? AND " + idf.tcol + op + "?) OR " + col + " IS NULL)", []any{key, key, id}
	}
	return "(" + col + op + "? OR (" + col + " = ? AND " + idf.tcol + op + "?))", []any{key, key, id}
}

// Find returns a page of the records the caller may read ('r'), selected in
// SQL by the Authorizer's filter, the query's filter and its keyset cursor.
func (r *Resource[T]) Find(ctx context.Context, q Query) (*Page[T], error) {
	if r.tracer != nil {
		return r.traceFind(ctx, q)
	}
	return r.find(ctx, q)
}

func (r *Resource[T]) find(ctx context.Context, q Query) (*Page[T], error) {
	if err := r.checkOp(ctx, OpList); err != nil {
		return nil, err
	}
	if h := r.hooks.BeforeList; h != nil {
		if err := r.hookError(ctx, "BeforeList", h(ctx, &q)); err != nil {
			return nil, err
		}
	}
	p, cur, err := r.listPlan(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &Page[T]{Items: make([]T, 0, min(p.limit+1, 128)), Start: p.start}
	items, total, err := r.fetch(ctx, "list", p, page.Items)
	if err != nil {
		return nil, err
	}
	page.Items = items
	if err := r.countPage(ctx, page, p, cur != nil, total); err != nil {
		return nil, err
	}
	r.cutPage(page, p)
	if len(p.expand) > 0 {
		page.Expanded = p.expanded[:len(page.Items)]
	}
	if len(r.rels) > 0 {
		recs := make([]*T, len(page.Items))
		for i := range page.Items {
			recs[i] = &page.Items[i]
		}
		if err := r.loadRelated(ctx, r.db, recs...); err != nil {
			return nil, err
		}
	}
	if h := r.hooks.AfterList; h != nil {
		if err := r.hookError(ctx, "AfterList", h(ctx, page)); err != nil {
			return nil, err
		}
	}
	if q.Actions {
		if err := r.pageActions(ctx, page); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// countPage sets the page's count as p.count asks: exact from the window
// count of the page query, else from the planner.
func (r *Resource[T]) countPage(ctx context.Context, page *Page[T], p *plan, cursored bool, total int64) error {
	var err error
	switch p.count {
	case CountNone:
		return nil
	case CountExact:
		page.Count, err = r.pageCount(ctx, p, cursored, len(page.Items), total)
		page.Counted = CountExact
		return err
	}
	if p.restricted {
		// Statistics cover every row: an estimate under a permission
		// filter would leak how many rows the caller cannot read match.
		page.Count, err = r.countAll(ctx, "list", p)
		page.Counted = CountExact
		return err
	}
	page.Count, page.Counted, err = r.countPlanned(ctx, p)
	if err == nil && p.count == CountEstimated && page.Counted == CountPlanned && page.Count <= int64(r.pageMax) {
		page.Count, err = r.countAll(ctx, "list", p)
		page.Counted = CountExact
	}
	return err
}

// pageCount is the number of rows matching p, from the window count of a
// page of n rows (which counts from the page's first row on) or, for an
// empty page past the end, from a COUNT.
func (r *Resource[T]) pageCount(ctx context.Context, p *plan, cursored bool, n int, total int64) (int64, error) {
	switch {
	case n > 0 && p.offset > 0:
		return total, nil // OFFSET does not reduce the window
	case n > 0:
		return p.start + total, nil
	case cursored:
		return p.start, nil
	case p.offset > 0:
		return r.countAll(ctx, "list", p)
	}
	return 0, nil
}

// cutPage drops the extra row of a full page and sets the cursor of the
// next page.
func (r *Resource[T]) cutPage(page *Page[T], p *plan) {
	if len(page.Items) <= p.limit {
		return
	}
	page.Items = page.Items[:p.limit]
	last := &page.Items[p.limit-1]
	next := &cursor{Kind: "l", Res: r.name, Sort: p.sort.f.json, Desc: p.sort.desc, ID: r.ID(last),
		Pos: p.start + int64(p.limit), Filter: p.digest}
	if p.sort.f != r.m.role(roleID) {
		next.Key, _ = json.Marshal(fieldOf(last, p.sort.f).Interface())
	}
	page.CursorNext = r.signer.encode(next)
}
