package crud

import (
	"context"
	"encoding/json"
	"fmt"
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
	// condition), nil (IS NULL) or an object of operators ({"gte": 1});
	// "or" to a list of such maps; "q" to a text searched in every
	// filterable text field. The package documentation lists the grammar.
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
	// Count says whether and how to count the matching rows; the zero
	// value counts nothing.
	Count CountMode
	// Actions asks for the caller's actions on each item (Page.Actions);
	// over HTTP, ?actions=true adds them to each item as "rbac".
	Actions bool
	// Expand names expansions of the resource (see Expansion) whose texts
	// each item carries (Page.Expanded); over HTTP, ?expand=owner,category
	// adds them to each item as members of those names.
	Expand []string
}

// Page is one page of a list. Its JSON form is {"items", "count",
// "cursor_next"}, without "count" when the query counted nothing.
type Page[T any] struct {
	// Items are the records of the page.
	Items []T `json:"items"`
	// Count is the number of records matching the query (all pages), as
	// Counted says; 0 when nothing was counted.
	Count int64 `json:"count"`
	// CursorNext fetches the next page; empty on the last page.
	CursorNext string `json:"cursor_next,omitempty"`
	// Start is the position of the first item among all matching records.
	Start int64 `json:"-"`
	// Counted is how Count was obtained: CountNone (not counted),
	// CountExact, or CountPlanned (an estimate).
	Counted CountMode `json:"-"`
	// Actions holds, when the query asked for them, the caller's actions
	// on each item, Actions[i] those on Items[i] (see Resource.Actions).
	Actions []string `json:"-"`
	// Expanded holds, when the query asked for expansions, the texts
	// Items[i]'s references point at in Expanded[i].
	Expanded []Expanded `json:"-"`
}

// MarshalJSON writes the page, leaving out "count" when nothing was
// counted.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	type wire struct {
		Items      []T    `json:"items"`
		Count      *int64 `json:"count,omitempty"`
		CursorNext string `json:"cursor_next,omitempty"`
	}
	if p.Actions != nil || p.Expanded != nil {
		items, err := actionsItems(&p)
		if err != nil {
			return nil, err
		}
		type wireActions struct {
			Items      []json.RawMessage `json:"items"`
			Count      *int64            `json:"count,omitempty"`
			CursorNext string            `json:"cursor_next,omitempty"`
		}
		w := wireActions{Items: items, CursorNext: p.CursorNext}
		if p.Counted != CountNone {
			w.Count = &p.Count
		}
		return json.Marshal(w)
	}
	w := wire{Items: p.Items, CursorNext: p.CursorNext}
	if p.Counted != CountNone {
		w.Count = &p.Count
	}
	return json.Marshal(w)
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
	if q.Expand, err = parseExpandParam(get("expand")); err != nil {
		return q, false, err
	}
	switch v := get("actions"); v {
	case "", "false", "0":
	case "true", "1":
		if r.m.byJSON[actionsField] != nil {
			return q, false, fieldErr("actions", CodeBadFilter, "the records have a field named "+actionsField)
		}
		q.Actions = true
	default:
		return q, false, fieldErr("actions", CodeBadFilter, "must be true or false")
	}
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
