package crud

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

// maxExpandLen bounds the expand parameter.
const maxExpandLen = 256

// Expansion lets a read carry, next to a reference field, a text field of
// the record it points at: the name of a record's owner or of its
// category, as apicrud's get did. A client asks with ?expand=owner,category
// (Query.Expand, GetExpanded); each record then has a member per name,
// the text or null. The text comes from the same query as the record (a
// LEFT JOIN per expansion, no query per record), and only from an active
// target record the caller may read on Target (its Authorizer's filter is
// part of the join condition): otherwise the member is null.
type Expansion struct {
	// Name is the expand value and the JSON member of the result
	// ([a-z][a-z0-9_]*; not a field of the record, nor "rbac").
	Name string
	// Field is the JSON name of the record's string field that holds the
	// target's id (such as "uid" or "category_id").
	Field string
	// Target is the resource pointed at. It must be built before the
	// resource that points at it.
	Target Target
	// Show is the JSON name of the target's string field shown (default:
	// its title field, such as "name").
	Show string
}

// expansion is an Expansion resolved against both record types.
type expansion struct {
	name  string
	local *field
	t     *target
	show  string // quoted column of the target
	alias string // quoted
}

// Expanded holds, by expansion name, the texts a record's references point
// at: nil for a reference that is unset, whose record is gone, or that
// the caller may not read.
type Expanded map[string]*string

// WithExpansions declares the expansions clients may ask for (see
// Expansion); any other expand value is a 400 that lists these.
func WithExpansions(exps ...Expansion) Option {
	return func(c *config) error {
		for _, e := range exps {
			if e.Target == nil || e.Target.target() == nil || !validResourceName(e.Name) {
				return fmt.Errorf("%w: expansion %q needs a name ([a-z][a-z0-9_]*) and a Target", ErrConfig, e.Name)
			}
		}
		c.expansions = append(c.expansions, exps...)
		return nil
	}
}

// addExpansions resolves the Expansion options.
func (r *Resource[T]) addExpansions(exps []Expansion) error {
	for _, e := range exps {
		if r.m.byJSON[e.Name] != nil || e.Name == actionsField || r.expands[e.Name] != nil {
			return fmt.Errorf("%w: expansion %q: the name is taken", ErrConfig, e.Name)
		}
		f := r.m.byJSON[e.Field]
		if f == nil || f.rel != nil || f.kind != kindString {
			return fmt.Errorf("%w: expansion %q: %q is not a string field", ErrConfig, e.Name, e.Field)
		}
		t := e.Target.target()
		show := e.Show
		if show == "" {
			show = t.title
		}
		col, ok := t.text[show]
		if !ok {
			return fmt.Errorf("%w: expansion %q: resource %q has no string field %q", ErrConfig, e.Name, t.name, show)
		}
		if r.expands == nil {
			r.expands = map[string]*expansion{}
		}
		r.expands[e.Name] = &expansion{name: e.Name, local: f, t: t, show: col, alias: quote(r.dialect, "crud_x_"+e.Name)}
		r.expandNames = append(r.expandNames, e.Name)
	}
	slices.Sort(r.expandNames)
	return nil
}

// parseExpand turns expansion names into expansions, in the order given,
// without duplicates. An unknown name is a *FieldError that lists the
// known ones.
func (r *Resource[T]) parseExpand(names []string) ([]*expansion, error) {
	var out []*expansion
	for _, n := range names {
		e := r.expands[strings.TrimSpace(n)]
		if e == nil {
			if len(r.expandNames) == 0 {
				return nil, fieldErr("expand", CodeBadFilter, "this resource has no expansions")
			}
			return nil, fieldErr("expand", CodeBadFilter, "unknown expansion; allowed: "+strings.Join(r.expandNames, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// parseExpandParam splits the expand query parameter ("owner,category").
func parseExpandParam(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > maxExpandLen {
		return nil, fieldErr("expand", CodeBadFilter, fmt.Sprintf("longer than %d bytes", maxExpandLen))
	}
	return strings.Split(s, ","), nil
}

// expandSQL returns the select list (", a.col, ...") and the LEFT JOINs of
// exps, with the joins' arguments, for a query whose placeholders of the
// joins come before those of its WHERE.
func (r *Resource[T]) expandSQL(ctx context.Context, exps []*expansion) (string, string, []any, error) {
	if len(exps) == 0 {
		return "", "", nil, nil
	}
	var cols, joins strings.Builder
	var args []any
	for _, e := range exps {
		cond, a, err := e.t.readable(ctx, e.alias)
		if err != nil {
			return "", "", nil, r.hookError(ctx, "expand", err)
		}
		cols.WriteString(", " + e.alias + "." + e.show)
		joins.WriteString(" LEFT JOIN " + e.t.table + " " + e.alias + " ON " + e.alias + "." + e.t.id + " = " + e.local.tcol + " AND " + cond)
		args = append(args, a...)
	}
	return cols.String(), joins.String(), args, nil
}

// expandedOf turns the scanned texts of exps into an Expanded.
func expandedOf(exps []*expansion, vals []sql.NullString) Expanded {
	out := make(Expanded, len(exps))
	for i, e := range exps {
		if vals[i].Valid {
			s := vals[i].String
			out[e.name] = &s
		} else {
			out[e.name] = nil
		}
	}
	return out
}

// GetExpanded is Get with the expansions names (see Expansion): it returns
// the record and the texts its references point at, read in the same
// query. An unknown name is a *FieldError.
func (r *Resource[T]) GetExpanded(ctx context.Context, id string, names ...string) (*T, Expanded, error) {
	exps, err := r.parseExpand(names)
	if err != nil {
		return nil, nil, err
	}
	if r.tracer != nil {
		return r.traceGet(ctx, id, exps)
	}
	return r.get(ctx, id, exps)
}

// loadExpanded is loadOne (active records) with the texts of exps.
func (r *Resource[T]) loadExpanded(ctx context.Context, id string, exps []*expansion) (*T, Expanded, error) {
	if !validID(id) {
		return nil, nil, ErrNotFound
	}
	cols, joins, args, err := r.expandSQL(ctx, exps)
	if err != nil {
		return nil, nil, err
	}
	q := "SELECT " + r.selectCols + cols + " FROM " + r.table + joins + " WHERE " + r.m.role(roleID).tcol + " = ?"
	rows, err := r.db.QueryContext(ctx, r.db.Rebind(q), append(args, id)...)
	if err != nil {
		return nil, nil, r.dbError(ctx, "get", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, nil, r.dbError(ctx, "get", err)
		}
		return nil, nil, ErrNotFound
	}
	rec := new(T)
	vals := make([]sql.NullString, len(exps))
	dest := r.scanDest(rec, make([]any, 0, len(r.m.fields)+len(exps)))
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, nil, r.dbError(ctx, "get", err)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, r.dbError(ctx, "get", err)
	}
	if r.isDisabled(rec) {
		return nil, nil, ErrNotFound
	}
	return rec, expandedOf(exps, vals), nil
}

// describeLinks adds the relation fields and the expansion members to the
// record schemas of the OpenAPI document.
func (r *Resource[T]) describeLinks(rec, create, update *openapi.Schema) {
	for _, rel := range r.rels {
		s := &openapi.Schema{Type: "array", Items: &openapi.Schema{Type: "string", MaxLength: intp(maxIDLen)}, MaxItems: intp(maxRelated),
			Description: "The ids of the linked " + rel.t.name + " records the caller may read."}
		full := *s
		full.ReadOnly = !rel.f.writable
		rec.Properties[rel.f.json] = &full
		if rel.f.writable {
			w := *s
			w.Description = "The ids of the " + rel.t.name + " records to link (replacing the links the caller can see)."
			create.Properties[rel.f.json] = &w
			update.Properties[rel.f.json] = &w
		}
	}
	for _, n := range r.expandNames {
		e := r.expands[n]
		rec.Properties[n] = &openapi.Schema{Type: []string{"string", "null"}, ReadOnly: true,
			Description: "With ?expand=" + n + ": the text of the " + e.t.name + " record that " + e.local.json + " points at; null when unset or not readable."}
	}
}

// expandParam is the expand query parameter of the resource's get and
// list, or nil without expansions.
func (r *Resource[T]) expandParam() *openapi.Parameter {
	if len(r.expandNames) == 0 {
		return nil
	}
	return &openapi.Parameter{Name: "expand", In: "query",
		Description: "Expansions, comma-separated, among: " + strings.Join(r.expandNames, ", ") + ". Each record then carries a member per name; another name is a 400.",
		Schema:      &openapi.Schema{Type: "string", MaxLength: intp(maxExpandLen)}}
}

// params drops the nil parameters.
func params(ps ...*openapi.Parameter) []*openapi.Parameter {
	out := ps[:0]
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}
