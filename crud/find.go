package crud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Limits of the list parameters.
const (
	maxFilterLen    = 2048 // bytes of the filter parameter
	maxFilterKeys   = 32
	maxFilterValues = 100 // elements of one list value
	maxSortLen      = 128
)

// Query selects a page of a list. The zero Query is the first page in the
// default order with the default limit.
type Query struct {
	// Filter maps field names (JSON names from the resource's filterable
	// set) to a value (equality; a string with '%' is a LIKE pattern in
	// which only '%' is a wildcard), a list of values (IN), "*" (no
	// condition) or nil (IS NULL).
	Filter map[string]any
	// Sort is "field", "field:asc" or "field:desc" (or react-admin's
	// ["field","ASC"]); "" is the resource's default sort. The id breaks
	// ties.
	Sort string
	// Limit is the page size; 0 means the default.
	Limit int
	// Offset skips rows (legacy paging; prefer Cursor). It cannot be
	// combined with Cursor.
	Offset int
	// Cursor is the CursorNext of the previous page.
	Cursor string
}

// Page is one page of a list.
type Page[T any] struct {
	// Items are the records of the page.
	Items []T `json:"items"`
	// Count is the number of records matching the query (all pages).
	Count int64 `json:"count"`
	// CursorNext fetches the next page; empty on the last page.
	CursorNext string `json:"cursor_next,omitempty"`
	// Start is the position of the first item among all matching records.
	Start int64 `json:"-"`
}

// sortSpec is a parsed sort parameter.
type sortSpec struct {
	f    *field
	desc bool
}

func (s sortSpec) String() string {
	if s.desc {
		return s.f.json + ":desc"
	}
	return s.f.json + ":asc"
}

// parseSort parses "field[:asc|desc]" or ["field","ASC"]; order ("asc" or
// "desc") applies when sort names no direction.
func (r *Resource[T]) parseSort(sort, order string) (sortSpec, error) {
	bad := func(field, why string) (sortSpec, error) {
		return sortSpec{}, fieldErr(field, CodeBadSort, why)
	}
	if len(sort) > maxSortLen {
		return bad("sort", "too long")
	}
	sort = strings.TrimSpace(sort)
	var name, dir string
	if strings.HasPrefix(sort, "[") {
		var pair []string
		if err := json.Unmarshal([]byte(sort), &pair); err != nil || len(pair) == 0 || len(pair) > 2 {
			return bad("sort", `expected "field:asc|desc" or ["field","ASC|DESC"]`)
		}
		name = pair[0]
		if len(pair) == 2 {
			dir = pair[1]
		}
	} else {
		name, dir, _ = strings.Cut(sort, ":")
	}
	if sort == "" {
		if order == "" {
			return r.defaultSort, nil
		}
		name = r.defaultSort.f.json
	}
	f := r.m.byJSON[name]
	if f == nil || !f.sort {
		return bad("sort", "unknown or unsortable field")
	}
	if dir == "" {
		dir = order
	}
	s := sortSpec{f: f}
	switch strings.ToLower(dir) {
	case "", "asc":
	case "desc":
		s.desc = true
	default:
		return bad("sort", "direction must be asc or desc")
	}
	return s, nil
}

// compiledFilter is a filter turned into SQL.
type compiledFilter struct {
	conds  []string
	args   []any
	digest string
}

// parseFilterParam parses the filter query parameter (a JSON object).
func parseFilterParam(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > maxFilterLen {
		return nil, fieldErr("filter", CodeBadFilter, fmt.Sprintf("longer than %d bytes", maxFilterLen))
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fieldErr("filter", CodeBadFilter, "not a JSON object")
	}
	if dec.More() {
		return nil, fieldErr("filter", CodeBadFilter, "not a JSON object")
	}
	if _, err := dec.Token(); err == nil {
		return nil, fieldErr("filter", CodeBadFilter, "not a JSON object")
	}
	return m, nil
}

// compileFilter validates filter against the filterable fields and builds
// its SQL conditions.
func (r *Resource[T]) compileFilter(filter map[string]any) (compiledFilter, error) {
	var cf compiledFilter
	if len(filter) == 0 {
		return cf, nil
	}
	if len(filter) > maxFilterKeys {
		return cf, fieldErr("filter", CodeBadFilter, fmt.Sprintf("more than %d fields", maxFilterKeys))
	}
	canon, err := json.Marshal(filter) // map keys come out sorted
	if err != nil {
		return cf, fieldErr("filter", CodeBadFilter, "values must be JSON values")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(canon, &raw); err != nil {
		return cf, fieldErr("filter", CodeBadFilter, "not a JSON object")
	}
	cf.digest = digest(string(canon))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := "filter." + k
		f := r.m.byJSON[k]
		if f == nil || !f.filter {
			return cf, fieldErr(name, CodeBadFilter, "unknown or unfilterable field")
		}
		v := bytes.TrimSpace(raw[k])
		switch {
		case string(v) == `"*"`:
			continue
		case string(v) == "null":
			cf.conds = append(cf.conds, f.tcol+" IS NULL")
		case len(v) > 0 && v[0] == '{':
			return cf, fieldErr(name, CodeBadFilter, "objects are not allowed")
		case len(v) > 0 && v[0] == '[':
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				return cf, fieldErr(name, CodeBadFilter, "not a list")
			}
			if len(list) > maxFilterValues {
				return cf, fieldErr(name, CodeBadFilter, fmt.Sprintf("more than %d values", maxFilterValues))
			}
			if len(list) == 0 {
				cf.conds = append(cf.conds, "1=0")
				continue
			}
			var b strings.Builder
			b.WriteString(f.tcol + " IN (")
			for i, e := range list {
				e = bytes.TrimSpace(e)
				if len(e) == 0 || e[0] == '[' || e[0] == '{' || string(e) == "null" {
					return cf, fieldErr(name, CodeBadFilter, "list values must be scalars")
				}
				x, err := f.decodeValue(name, e, r.privacy)
				if err != nil {
					return cf, err
				}
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteByte('?')
				cf.args = append(cf.args, bindValue(x))
			}
			b.WriteByte(')')
			cf.conds = append(cf.conds, b.String())
		default:
			x, err := f.decodeValue(name, v, r.privacy)
			if err != nil {
				return cf, err
			}
			val := bindValue(x)
			if s, ok := val.(string); ok && f.kind == kindString && strings.Contains(s, "%") {
				cf.conds = append(cf.conds, f.tcol+" LIKE ? ESCAPE '!'")
				cf.args = append(cf.args, likeEscape(s))
				continue
			}
			cf.conds = append(cf.conds, f.tcol+" = ?")
			cf.args = append(cf.args, val)
		}
	}
	return cf, nil
}

// likeEscape escapes LIKE's '_' and the escape character '!', leaving '%'
// as the only wildcard.
func likeEscape(s string) string {
	if !strings.ContainsAny(s, "_!") {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c == '_' || c == '!' {
			b.WriteByte('!')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Find returns a page of the records the caller may read ('r'), selected in
// SQL by the Authorizer's filter, the query's filter and its keyset cursor.
func (r *Resource[T]) Find(ctx context.Context, q Query) (*Page[T], error) {
	if err := r.checkOp(ctx, OpList); err != nil {
		return nil, err
	}
	if h := r.hooks.BeforeList; h != nil {
		if err := r.hookError(ctx, "BeforeList", h(ctx, &q)); err != nil {
			return nil, err
		}
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = r.pageDefault
	case limit < 0 || limit > r.pageMax:
		return nil, fieldErr("limit", CodeBadLimit, fmt.Sprintf("must be between 1 and %d", r.pageMax))
	}
	if q.Offset < 0 {
		return nil, fieldErr("offset", CodeBadOffset, "must not be negative")
	}
	var cur *cursor
	if q.Cursor != "" {
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
		cur = c
		if q.Sort == "" {
			q.Sort = c.Sort
			if c.Desc {
				q.Sort += ":desc"
			}
		}
	}
	sort, err := r.parseSort(q.Sort, "")
	if err != nil {
		return nil, err
	}
	cf, err := r.compileFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	perm, permArgs, err := r.permission(ctx, ActionRead)
	if err != nil {
		return nil, err
	}

	var where strings.Builder
	var args []any
	if c, a := r.activeCond(); c != "" {
		where.WriteString(c)
		args = append(args, a...)
	} else {
		where.WriteString("1=1")
	}
	where.WriteString(" AND (" + perm + ")")
	args = append(args, permArgs...)
	for _, c := range cf.conds {
		where.WriteString(" AND " + c)
	}
	args = append(args, cf.args...)
	baseWhere, baseArgs := where.String(), slices.Clip(args)

	var start int64 = int64(q.Offset)
	idf := r.m.role(roleID)
	if cur != nil {
		if cur.Sort != sort.f.json || cur.Desc != sort.desc || cur.Filter != cf.digest {
			return nil, fieldErr("cursor_next", CodeBadCursor, "cursor does not match the sort or filter")
		}
		op := " > "
		if sort.desc {
			op = " < "
		}
		if sort.f == idf {
			where.WriteString(" AND " + idf.tcol + op + "?")
			args = append(args, cur.ID)
		} else {
			kv := reflect.New(sort.f.typ)
			if len(cur.Key) == 0 || json.Unmarshal(cur.Key, kv.Interface()) != nil {
				return nil, fieldErr("cursor_next", CodeBadCursor, "invalid or tampered cursor")
			}
			key := bindValue(kv.Elem())
			where.WriteString(" AND (" + sort.f.tcol + op + "? OR (" + sort.f.tcol + " = ? AND " + idf.tcol + op + "?))")
			args = append(args, key, key, cur.ID)
		}
		start = cur.Pos
	}

	dir := " ASC"
	if sort.desc {
		dir = " DESC"
	}
	var sq strings.Builder
	sq.Grow(len(r.selectCols) + where.Len() + 128)
	sq.WriteString("SELECT ")
	sq.WriteString(r.selectCols)
	sq.WriteString(", COUNT(*) OVER () FROM ")
	sq.WriteString(r.table)
	sq.WriteString(" WHERE ")
	sq.WriteString(where.String())
	sq.WriteString(" ORDER BY ")
	if sort.f != idf {
		sq.WriteString(sort.f.tcol + dir + ", ")
	}
	sq.WriteString(idf.tcol + dir + " LIMIT ?")
	args = append(args, limit+1)
	if q.Offset > 0 {
		sq.WriteString(" OFFSET ?")
		args = append(args, q.Offset)
	}

	rows, err := r.db.QueryContext(ctx, r.db.Rebind(sq.String()), args...)
	if err != nil {
		return nil, r.dbError(ctx, "list", err)
	}
	defer rows.Close()
	page := &Page[T]{Items: make([]T, 0, min(limit+1, 128)), Start: start}
	dest := make([]any, 0, len(r.m.fields)+1)
	var total int64
	for rows.Next() {
		page.Items = append(page.Items, *new(T))
		rec := &page.Items[len(page.Items)-1]
		if err := rows.Scan(append(r.scanDest(rec, dest), &total)...); err != nil {
			return nil, r.dbError(ctx, "list", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, r.dbError(ctx, "list", err)
	}
	_ = rows.Close()

	switch {
	case len(page.Items) > 0:
		page.Count = start + total // the window counted the rows from the page on
		if q.Offset > 0 {
			page.Count = total // OFFSET does not reduce the window
		}
	case cur != nil:
		page.Count = start
	case q.Offset > 0:
		n, err := r.count(ctx, baseWhere, baseArgs)
		if err != nil {
			return nil, err
		}
		page.Count = n
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := &page.Items[limit-1]
		next := &cursor{Kind: "l", Res: r.name, Sort: sort.f.json, Desc: sort.desc, ID: r.ID(last),
			Pos: start + int64(limit), Filter: cf.digest}
		if sort.f != idf {
			next.Key, _ = json.Marshal(fieldOf(last, sort.f).Interface())
		}
		page.CursorNext = r.signer.encode(next)
	}
	if h := r.hooks.AfterList; h != nil {
		if err := r.hookError(ctx, "AfterList", h(ctx, page)); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// permission asks the Authorizer for the SQL condition of action.
func (r *Resource[T]) permission(ctx context.Context, action byte) (string, []any, error) {
	clause, args, err := r.auth.Filter(ctx, action, r.name, r.authCols)
	if err != nil {
		r.log.ErrorContext(ctx, "crud: authorizer filter failed", "resource", r.name, "err", err)
		return "", nil, &internalError{err}
	}
	if strings.TrimSpace(clause) == "" {
		return "1=0", nil, nil // fail closed
	}
	return clause, args, nil
}

// count counts the rows matching where.
func (r *Resource[T]) count(ctx context.Context, where string, args []any) (int64, error) {
	var n int64
	err := r.db.QueryRowxContext(ctx, r.db.Rebind("SELECT COUNT(*) FROM "+r.table+" WHERE "+where), args...).Scan(&n)
	if err != nil {
		return 0, r.dbError(ctx, "list", err)
	}
	return n, nil
}

// queryFromValues builds a Query from list parameters: filter, sort,
// order, limit, offset, cursor_next, and react-admin's range ([start,end]).
// It reports whether range was used.
func (r *Resource[T]) queryFromValues(get func(string) string) (Query, bool, error) {
	var q Query
	var err error
	if q.Filter, err = parseFilterParam(get("filter")); err != nil {
		return q, false, err
	}
	q.Sort = get("sort")
	if o := get("order"); o != "" {
		s, err := r.parseSort(q.Sort, o)
		if err != nil {
			return q, false, err
		}
		q.Sort = s.String()
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > r.pageMax {
			return q, false, fieldErr("limit", CodeBadLimit, fmt.Sprintf("must be between 1 and %d", r.pageMax))
		}
		q.Limit = n
	}
	if v := get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return q, false, fieldErr("offset", CodeBadOffset, "must be a non-negative integer")
		}
		q.Offset = n
	}
	q.Cursor = get("cursor_next")
	ranged := false
	if v := get("range"); v != "" {
		var rg []int
		if err := json.Unmarshal([]byte(v), &rg); err != nil || len(rg) != 2 || rg[0] < 0 || rg[1] < rg[0] {
			return q, false, fieldErr("range", CodeBadOffset, "expected [start,end]")
		}
		n := rg[1] - rg[0] + 1
		if n > r.pageMax {
			return q, false, fieldErr("range", CodeBadLimit, fmt.Sprintf("at most %d rows", r.pageMax))
		}
		q.Offset, q.Limit, ranged = rg[0], n, true
	}
	return q, ranged, nil
}
