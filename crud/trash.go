package crud

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// TrashItem is a soft-deleted record as the trashcan lists it.
type TrashItem struct {
	// ID is "<resource>-<record id>", the id of the trashcan routes.
	ID       string     `json:"id"`
	Resource string     `json:"resource"`
	RecordID string     `json:"record_id"`
	Name     string     `json:"name,omitempty"`
	UID      string     `json:"uid,omitempty"`
	Status   string     `json:"status"`
	Created  *time.Time `json:"created,omitempty"`
	Modified *time.Time `json:"modified,omitempty"`
}

// Trashable is a resource the Trashcan can manage: a *Resource[T] whose
// record type has a status column.
type Trashable interface {
	// Name returns the resource name.
	Name() string

	trashList(ctx context.Context, filter map[string]any, after string, limit int) ([]TrashItem, int64, error)
	trashGet(ctx context.Context, id string) (any, error)
	trashRestore(ctx context.Context, id string) (any, error)
	trashPurge(ctx context.Context, ids []string, check bool) error
	trashable() error
	hasField(name string) bool
}

// trashResourceKey is the property naming the resource of a record the
// trashcan shows (the discriminator of its schema).
const trashResourceKey = "resource"

// trashRecord is a record as the trashcan's routes show it: its fields and
// "resource".
type trashRecord struct {
	resource string
	rec      any
}

// MarshalJSON writes the record's JSON object with "resource" first.
func (t trashRecord) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(t.rec)
	if err != nil || len(b) < 2 || b[0] != '{' {
		return b, err
	}
	name, _ := json.Marshal(t.resource)
	out := make([]byte, 0, len(b)+len(name)+16)
	out = append(out, `{"`+trashResourceKey+`":`...)
	out = append(out, name...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// resourceOf is the resource name of a trashcan id ("<resource>-<id>").
func resourceOf(id string) string {
	name, _, _ := strings.Cut(id, "-")
	return name
}

// TrashOption configures a Trashcan.
type TrashOption func(*Trashcan) error

// WithTrashPageSize sets the default and maximum page size of the
// trashcan list (defaults 100 and 1000).
func WithTrashPageSize(def, max int) TrashOption {
	return func(tc *Trashcan) error {
		if def < 1 || max < def {
			return fmt.Errorf("%w: page size %d, max %d", ErrConfig, def, max)
		}
		tc.pageDefault, tc.pageMax = def, max
		return nil
	}
}

// WithTrashCursorKey sets the HMAC key of trashcan cursors (see
// WithCursorKey).
func WithTrashCursorKey(key []byte) TrashOption {
	return func(tc *Trashcan) error {
		if len(key) < 32 {
			return fmt.Errorf("%w: cursor key shorter than 32 bytes", ErrConfig)
		}
		tc.signer = cursorSigner{key: append([]byte(nil), key...)}
		return nil
	}
}

// WithTrashLogger sets the logger (default: discard).
func WithTrashLogger(l *slog.Logger) TrashOption {
	return func(tc *Trashcan) error {
		if l != nil {
			tc.log = l
		}
		return nil
	}
}

// Trashcan lists, shows, restores and purges soft-deleted records of the
// resources registered with it (apicrud's Trashcan). Permissions are the
// resources' own: a deleted record is visible in the trashcan to callers
// who may both read ('r') and delete ('d') it; restore and purge need the
// same. Register resources before serving; a Trashcan is safe for
// concurrent use.
type Trashcan struct {
	mu                   sync.RWMutex
	res                  []Trashable
	byName               map[string]Trashable
	signer               cursorSigner
	pageDefault, pageMax int
	log                  *slog.Logger
}

// NewTrashcan returns an empty trashcan.
func NewTrashcan(opts ...TrashOption) (*Trashcan, error) {
	tc := &Trashcan{byName: map[string]Trashable{}, pageDefault: 100, pageMax: 1000, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(tc); err != nil {
			return nil, err
		}
	}
	if tc.signer.key == nil {
		tc.signer = newCursorSigner(nil)
	}
	return tc, nil
}

// Register adds resources, listed in registration order. A resource
// without a status column, or a name registered twice, is ErrConfig.
func (tc *Trashcan) Register(res ...Trashable) error {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for _, r := range res {
		if r == nil {
			return fmt.Errorf("%w: nil resource", ErrConfig)
		}
		if err := r.trashable(); err != nil {
			return err
		}
		if r.hasField(trashResourceKey) {
			return fmt.Errorf("%w: resource %q has a field %q, which the trashcan adds to tell resources apart", ErrConfig, r.Name(), trashResourceKey)
		}
		if _, dup := tc.byName[r.Name()]; dup {
			return fmt.Errorf("%w: resource %q registered twice", ErrConfig, r.Name())
		}
		tc.byName[r.Name()] = r
		tc.res = append(tc.res, r)
	}
	return nil
}

func (tc *Trashcan) resources() []Trashable {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	return tc.res
}

func (tc *Trashcan) lookup(id string) (Trashable, string, error) {
	name, rid, ok := strings.Cut(id, "-")
	if !ok || !validID(rid) {
		return nil, "", ErrNotFound
	}
	tc.mu.RLock()
	r := tc.byName[name]
	tc.mu.RUnlock()
	if r == nil {
		return nil, "", ErrNotFound
	}
	return r, rid, nil
}

// List returns a page of the deleted records the caller may read and
// delete, resource by resource in registration order, each ordered by id.
// Filter may name "resource" (a name or a list of names) and fields of
// the resources (every listed resource must have them). Sort and Offset
// are not supported; page with Cursor.
func (tc *Trashcan) List(ctx context.Context, q Query) (*Page[TrashItem], error) {
	if q.Offset != 0 {
		return nil, fieldErr("offset", CodeBadOffset, "use cursor_next to page through the trashcan")
	}
	if q.Sort != "" {
		return nil, fieldErr("sort", CodeBadSort, "the trashcan is ordered by resource and id")
	}
	limit, err := pageSize(q.Limit, tc.pageDefault, tc.pageMax)
	if err != nil {
		return nil, err
	}
	all := tc.resources()
	selected := all
	filter := make(map[string]any, len(q.Filter))
	for k, v := range q.Filter {
		filter[k] = v
	}
	canon, err := json.Marshal(filter)
	if err != nil {
		return nil, fieldErr("filter", CodeBadFilter, "values must be JSON values")
	}
	if v, ok := filter["resource"]; ok {
		delete(filter, "resource")
		names, ok := stringList(v)
		if !ok {
			return nil, fieldErr("filter.resource", CodeBadFilter, "must be a resource name or a list of names")
		}
		selected = nil
		for _, r := range all {
			for _, n := range names {
				if r.Name() == n {
					selected = append(selected, r)
				}
			}
		}
	}
	fdigest := digest(string(canon))
	startIdx, after, pos := 0, "", int64(0)
	if q.Cursor != "" {
		c, err := tc.signer.decode(q.Cursor)
		if err != nil {
			return nil, err
		}
		startIdx = -1
		for i, r := range selected {
			if r.Name() == c.Res {
				startIdx = i
			}
		}
		if c.Kind != "t" || c.Filter != fdigest || startIdx < 0 {
			return nil, fieldErr("cursor_next", CodeBadCursor, "cursor does not match the filter")
		}
		after, pos = c.ID, c.Pos
	}
	page := &Page[TrashItem]{Items: []TrashItem{}, Start: pos, Counted: CountExact}
	var total int64
	for i, r := range selected {
		want := 0
		if i >= startIdx && len(page.Items) <= limit {
			want = limit + 1 - len(page.Items)
		}
		a := ""
		if i == startIdx {
			a = after
		}
		items, n, err := r.trashList(ctx, filter, a, want)
		if err != nil {
			return nil, err
		}
		total += n
		page.Items = append(page.Items, items...)
	}
	page.Count = total
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.CursorNext = tc.signer.encode(&cursor{Kind: "t", Res: last.Resource, ID: last.RecordID,
			Pos: pos + int64(limit), Filter: fdigest})
	}
	return page, nil
}

func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []string:
		return x, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// Get returns the deleted record id ("<resource>-<record id>"), as its
// resource's record type. ErrNotFound unless it is deleted and the caller
// may read and delete it.
func (tc *Trashcan) Get(ctx context.Context, id string) (any, error) {
	r, rid, err := tc.lookup(id)
	if err != nil {
		return nil, err
	}
	return r.trashGet(ctx, rid)
}

// Restore sets the status of the deleted record id back to "active" and
// returns it.
func (tc *Trashcan) Restore(ctx context.Context, id string) (any, error) {
	r, rid, err := tc.lookup(id)
	if err != nil {
		return nil, err
	}
	return r.trashRestore(ctx, rid)
}

// Purge deletes the deleted records ids for good. Every id is checked
// before anything is deleted; the records of each resource are then
// purged in one transaction.
func (tc *Trashcan) Purge(ctx context.Context, ids ...string) error {
	if len(ids) > maxIDsPerRequest {
		return fieldErr("id", CodeBadID, fmt.Sprintf("at most %d ids at once", maxIDsPerRequest))
	}
	if len(ids) == 0 {
		return ErrNotFound
	}
	groups := map[Trashable][]string{}
	var order []Trashable
	for _, id := range ids {
		r, rid, err := tc.lookup(id)
		if err != nil {
			return err
		}
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], rid)
	}
	for _, r := range order {
		if err := r.trashPurge(ctx, groups[r], true); err != nil {
			return err
		}
	}
	for _, r := range order {
		if err := r.trashPurge(ctx, groups[r], false); err != nil {
			return err
		}
	}
	return nil
}

// Routes registers the trashcan under prefix:
//
//	GET    {prefix}/trashcan        list (filter, limit, cursor_next; react-admin range)
//	GET    {prefix}/trashcan/{id}   a deleted record
//	PUT    {prefix}/trashcan/{id}   restore (body optional: {"status": "active"})
//	DELETE {prefix}/trashcan/{id}   purge (id may list ids: a,b,c)
func (tc *Trashcan) Routes(mux *http.ServeMux, prefix string) {
	base := strings.TrimSuffix(prefix, "/") + "/trashcan"
	handle(mux, "GET "+base, tc.serveList)
	handle(mux, "GET "+base+"/{id}", func(w http.ResponseWriter, req *http.Request) {
		rec, err := tc.Get(req.Context(), req.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, trashRecord{resourceOf(req.PathValue("id")), rec})
	})
	handle(mux, "PUT "+base+"/{id}", func(w http.ResponseWriter, req *http.Request) {
		if req.ContentLength != 0 {
			body, err := readBody(w, req, 4096)
			if err != nil {
				writeError(w, err)
				return
			}
			for k, v := range body {
				if k != "status" {
					writeError(w, fieldErr(k, CodeUnknownField, "unknown field"))
					return
				}
				if string(v) != `"`+StatusActive+`"` {
					writeError(w, fieldErr("status", CodeInvalidValue, `must be "active"`))
					return
				}
			}
		}
		rec, err := tc.Restore(req.Context(), req.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, trashRecord{resourceOf(req.PathValue("id")), rec})
	})
	handle(mux, "DELETE "+base+"/{id}", func(w http.ResponseWriter, req *http.Request) {
		if err := tc.Purge(req.Context(), strings.Split(req.PathValue("id"), ",")...); err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	})
}

func (tc *Trashcan) serveList(w http.ResponseWriter, req *http.Request) {
	vals := req.URL.Query()
	var q Query
	var err error
	if q.Filter, err = parseFilterParam(vals.Get("filter")); err != nil {
		writeError(w, err)
		return
	}
	q.Sort = trashSort(vals.Get("sort"))
	q.Cursor = vals.Get("cursor_next")
	if v := vals.Get("limit"); v != "" {
		if q.Limit, err = parseLimit(v, tc.pageMax); err != nil {
			writeError(w, err)
			return
		}
	}
	if vals.Get("offset") != "" {
		writeError(w, fieldErr("offset", CodeBadOffset, "use cursor_next to page through the trashcan"))
		return
	}
	start, ranged, err := tc.parseRange(vals.Get("range"), &q)
	if err != nil {
		writeError(w, err)
		return
	}
	page, err := tc.List(req.Context(), q)
	if err != nil {
		writeError(w, err)
		return
	}
	if !ranged {
		setListHeaders(w, "trashcan", page.Start, len(page.Items), page.Count, true)
		writeJSON(w, http.StatusOK, page)
		return
	}
	// react-admin's range [start,end]: the first end+1 records, from start.
	items := page.Items[min(start, len(page.Items)):]
	setListHeaders(w, "trashcan", int64(start), len(items), page.Count, true)
	writeJSON(w, http.StatusOK, items)
}

// trashSort accepts the sorts react-admin sends by default (["id","ASC"],
// ["resource","ASC"]), which the trashcan's own order satisfies, as none.
func trashSort(v string) string {
	switch strings.ReplaceAll(v, " ", "") {
	case `["id","ASC"]`, `["resource","ASC"]`, "id", "id:asc":
		return ""
	}
	return v
}

// parseRange reads react-admin's range [start,end] into q (the first end+1
// records, of which the page shows those from start: the trashcan pages
// by cursor, not offset) and returns start.
func (tc *Trashcan) parseRange(v string, q *Query) (int, bool, error) {
	if v == "" {
		return 0, false, nil
	}
	var rg []int
	if err := json.Unmarshal([]byte(v), &rg); err != nil || len(rg) != 2 || rg[0] < 0 || rg[1] < rg[0] {
		return 0, false, fieldErr("range", CodeBadOffset, "expected [start,end]")
	}
	if rg[1] >= tc.pageMax {
		return 0, false, fieldErr("range", CodeBadLimit, fmt.Sprintf("the trashcan shows its first %d records by range; page with cursor_next", tc.pageMax))
	}
	q.Limit = rg[1] + 1
	return rg[0], true, nil
}

// --- the Resource side ---

func (r *Resource[T]) hasField(name string) bool { return r.m.byJSON[name] != nil }

func (r *Resource[T]) trashable() error {
	if r.m.role(roleStatus) == nil {
		return fmt.Errorf("%w: resource %q has no status column and cannot use the trashcan", ErrConfig, r.name)
	}
	return nil
}

// trashScope checks the scopes the resource requires for op (the ops
// flags do not apply: the trashcan is its own endpoint).
func (r *Resource[T]) trashScope(ctx context.Context, op Op) error {
	if s := r.scopes[op]; len(s) > 0 && !r.auth.HasScopes(ctx, s...) {
		return r.scopeDenied(ctx, s)
	}
	return nil
}

// trashPlan selects the deleted records the caller may read and delete,
// by id, after the record id after.
func (r *Resource[T]) trashPlan(ctx context.Context, filter map[string]any, after string, limit int) (*plan, error) {
	cf, err := r.compileFilter(filter)
	if err != nil {
		return nil, err
	}
	rc, ra, err := r.permission(ctx, ActionRead)
	if err != nil {
		return nil, err
	}
	dc, da, err := r.permission(ctx, ActionDelete)
	if err != nil {
		return nil, err
	}
	idf := r.m.role(roleID)
	// The page query fetches limit+1 rows; the trashcan asks for exactly
	// the rows it still needs.
	p := &plan{sort: sortSpec{f: idf}, limit: limit - 1}
	p.and(r.m.role(roleStatus).tcol+" = ?", StatusDisabled)
	p.and("("+rc+")", ra...)
	p.and("("+dc+")", da...)
	p.conds = append(p.conds, cf.conds...)
	p.args = append(p.args, cf.args...)
	if after != "" {
		p.after, p.afterArgs = idf.tcol+" > ?", []any{after}
	}
	return p, nil
}

func (r *Resource[T]) trashList(ctx context.Context, filter map[string]any, after string, limit int) ([]TrashItem, int64, error) {
	if err := r.trashScope(ctx, OpList); err != nil {
		return nil, 0, nil // resources the caller may not list are skipped
	}
	p, err := r.trashPlan(ctx, filter, after, limit)
	if err != nil {
		return nil, 0, err
	}
	n, err := r.countAll(ctx, "trashcan", p)
	if err != nil || limit == 0 {
		return nil, n, err
	}
	recs, _, err := r.fetch(ctx, "trashcan", p, nil)
	if err != nil {
		return nil, 0, err
	}
	items := make([]TrashItem, 0, len(recs))
	for i := range recs {
		items = append(items, r.trashItem(&recs[i]))
	}
	return items, n, nil
}

func (r *Resource[T]) trashItem(rec *T) TrashItem {
	m := r.m
	id := r.ID(rec)
	it := TrashItem{ID: r.name + "-" + id, Resource: r.name, RecordID: id, Status: attrString(fieldOf(rec, m.role(roleStatus)))}
	if f := m.role(roleTitle); f != nil {
		it.Name = attrString(fieldOf(rec, f))
	}
	if f := m.role(roleOwner); f != nil {
		it.UID = attrString(fieldOf(rec, f))
	}
	timeOf := func(f *field) *time.Time {
		if f == nil {
			return nil
		}
		v := fieldOf(rec, f)
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil
			}
			v = v.Elem()
		}
		t := v.Interface().(time.Time)
		return &t
	}
	it.Created = timeOf(m.role(roleCreated))
	it.Modified = timeOf(m.role(roleModified))
	return it
}

// loadDeleted reads a deleted record the caller may read and delete.
func (r *Resource[T]) loadDeleted(ctx context.Context, q sqlx.QueryerContext, id string) (*T, error) {
	rec, err := r.loadOne(ctx, q, id, false)
	if err != nil {
		return nil, err
	}
	a := r.attrs(rec)
	if !r.isDisabled(rec) || !r.allowed(ctx, ActionRead, rec, a) || !r.allowed(ctx, ActionDelete, rec, a) {
		return nil, ErrNotFound
	}
	return rec, nil
}

func (r *Resource[T]) trashGet(ctx context.Context, id string) (any, error) {
	if err := r.trashScope(ctx, OpGet); err != nil {
		return nil, err
	}
	rec, err := r.loadDeleted(ctx, r.db, id)
	if err != nil {
		return nil, err
	}
	if h := r.hooks.AfterGet; h != nil {
		if err := r.hookError(ctx, "AfterGet", h(ctx, rec)); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (r *Resource[T]) trashRestore(ctx context.Context, id string) (any, error) {
	if err := r.trashScope(ctx, OpDelete); err != nil {
		return nil, err
	}
	var out *T
	err := r.retry(ctx, func() error {
		old, err := r.loadDeleted(ctx, r.db, id)
		if err != nil {
			return err
		}
		// Restoring is a write: the caller must still be allowed to
		// write within the record's scope.
		if err := r.checkScope(ctx, ActionDelete, r.attrs(old)); err != nil {
			return err
		}
		owner, limit, err := r.ownerLimit(ctx, old)
		if err != nil {
			return err
		}
		return r.tryTx(ctx, "restore", func(tx *sqlx.Tx) error {
			if err := r.lockOwner(ctx, tx, "restore", owner, limit); err != nil {
				return err
			}
			if err := r.setStatus(ctx, tx, old, true, StatusActive); err != nil {
				return err
			}
			if err := r.checkOwned(ctx, tx, owner, limit); err != nil {
				return err
			}
			rec, err := r.loadOne(ctx, tx, id, true)
			if err != nil {
				return err
			}
			if err := r.uncache(ctx, id); err != nil {
				return err
			}
			out = rec
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	r.committed(ctx, ChangeRestored, id)
	return out, nil
}

// trashPurge checks (check=true) or purges the deleted records ids.
func (r *Resource[T]) trashPurge(ctx context.Context, ids []string, check bool) error {
	if err := r.trashScope(ctx, OpDelete); err != nil {
		return err
	}
	ids, err := cleanIDs(ids)
	if err != nil {
		return err
	}
	err = r.retry(ctx, func() error {
		recs := make([]*T, len(ids))
		for i, id := range ids {
			rec, err := r.loadDeleted(ctx, r.db, id)
			if err != nil {
				return err
			}
			if err := r.checkScope(ctx, ActionDelete, r.attrs(rec)); err != nil {
				return err
			}
			recs[i] = rec
		}
		if check {
			return nil
		}
		if h := r.hooks.BeforeDelete; h != nil {
			for _, rec := range recs {
				if err := r.hookError(ctx, "BeforeDelete", h(ctx, rec, true)); err != nil {
					return err
				}
			}
		}
		return r.tryTx(ctx, "purge", func(tx *sqlx.Tx) error {
			for _, rec := range recs {
				if err := r.setStatus(ctx, tx, rec, false, ""); err != nil {
					return err
				}
				if h := r.hooks.AfterDelete; h != nil {
					if err := r.hookError(ctx, "AfterDelete", h(ctx, tx, rec, true)); err != nil {
						return err
					}
				}
			}
			return r.uncache(ctx, ids...)
		})
	})
	if err != nil || check {
		return err
	}
	r.committed(ctx, ChangePurged, ids...)
	return nil
}

// parseLimit parses a limit parameter.
func parseLimit(v string, max int) (int, error) {
	n := 0
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' || n > max {
			return 0, fieldErr("limit", CodeBadLimit, fmt.Sprintf("must be between 1 and %d", max))
		}
		n = n*10 + int(v[i]-'0')
	}
	if n < 1 || n > max {
		return 0, fieldErr("limit", CodeBadLimit, fmt.Sprintf("must be between 1 and %d", max))
	}
	return n, nil
}
