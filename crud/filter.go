package crud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Limits of the filter grammar.
const (
	maxFilterConds = 32 // conditions in one filter, OR groups included
	maxFilterDepth = 3  // nesting of "or" groups
)

// Filter operators: the keys of an operator object ({"rank": {"gte": 2}})
// and the suffixes of react-admin's keys (rank_gte).
const (
	opEq    = "eq"
	opNe    = "ne"
	opGt    = "gt"
	opGte   = "gte"
	opLt    = "lt"
	opLte   = "lte"
	opIn    = "in"
	opLike  = "like"
	opILike = "ilike"
	opIs    = "is"
)

// sqlOps maps the comparison operators to SQL.
var sqlOps = map[string]string{opEq: " = ?", opNe: " <> ?", opGt: " > ?", opGte: " >= ?", opLt: " < ?", opLte: " <= ?"}

// raSuffixes are the key suffixes react-admin's data providers send
// (field_gte), with the operator each stands for.
var raSuffixes = []struct{ suffix, op string }{
	{"_gte", opGte}, {"_lte", opLte}, {"_gt", opGt}, {"_lt", opLt}, {"_neq", opNe}, {"_ne", opNe},
	{"_eq", opEq}, {"_in", opIn}, {"_ilike", opILike}, {"_like", opLike},
}

// filterKeyQ is the key of the full-text filter: {"q": "ann"} matches the
// records with "ann" in any filterable text field, case-insensitively.
const filterKeyQ = "q"

// filterKeyOr is the key of an OR group: {"or": [{...}, {...}]} matches
// the records that match any of the objects.
const filterKeyOr = "or"

// compiledFilter is a filter turned into SQL.
type compiledFilter struct {
	conds  []string
	args   []any
	digest string
}

// compileFilter validates filter against the filterable fields and builds
// its SQL conditions, which the caller ANDs with its own (the Authorizer's
// filter among them): an OR group is one parenthesized condition, so it
// never widens what the other conditions select. Every value is a bound
// argument; column names come from the whitelist only.
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
	fc := filterCompiler{fields: r.m, privacy: r.privacy}
	if cf.conds, err = fc.object(raw, 0); err != nil {
		return cf, err
	}
	cf.args = fc.args
	return cf, nil
}

// filterCompiler turns one filter into conditions, collecting arguments in
// the order of their placeholders.
type filterCompiler struct {
	fields  *model
	privacy []string
	args    []any
	n       int // conditions so far
}

// count accounts for one more condition.
func (c *filterCompiler) count() error {
	c.n++
	if c.n > maxFilterConds {
		return fieldErr("filter", CodeBadFilter, fmt.Sprintf("more than %d conditions", maxFilterConds))
	}
	return nil
}

// object compiles the keys of a filter object, to be ANDed.
func (c *filterCompiler) object(raw map[string]json.RawMessage, depth int) ([]string, error) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var conds []string
	for _, k := range keys {
		v := bytes.TrimSpace(raw[k])
		var cs []string
		var err error
		switch f, op := c.resolve(k); {
		case f != nil:
			cs, err = c.field("filter."+k, f, op, v)
		case k == filterKeyOr:
			cs, err = c.or(v, depth)
		case k == filterKeyQ:
			cs, err = c.search(v)
		default:
			err = fieldErr("filter."+k, CodeBadFilter, "unknown or unfilterable field")
		}
		if err != nil {
			return nil, err
		}
		conds = append(conds, cs...)
	}
	return conds, nil
}

// resolve finds the filterable field a key names, directly or with a
// react-admin operator suffix ("" op: by the value's form).
func (c *filterCompiler) resolve(key string) (*field, string) {
	if f := c.fields.byJSON[key]; f != nil && f.filter {
		return f, ""
	}
	for _, s := range raSuffixes {
		if name, ok := strings.CutSuffix(key, s.suffix); ok {
			if f := c.fields.byJSON[name]; f != nil && f.filter {
				return f, s.op
			}
		}
	}
	return nil, ""
}

// or compiles an OR group: a list of filter objects.
func (c *filterCompiler) or(v json.RawMessage, depth int) ([]string, error) {
	name := "filter." + filterKeyOr
	if depth >= maxFilterDepth {
		return nil, fieldErr(name, CodeBadFilter, fmt.Sprintf("nested deeper than %d", maxFilterDepth))
	}
	var alts []map[string]json.RawMessage
	if err := json.Unmarshal(v, &alts); err != nil || len(alts) == 0 {
		return nil, fieldErr(name, CodeBadFilter, "must be a non-empty list of filter objects")
	}
	parts := make([]string, 0, len(alts))
	for _, alt := range alts {
		if len(alt) == 0 {
			return nil, fieldErr(name, CodeBadFilter, "must be a non-empty list of filter objects")
		}
		cs, err := c.object(alt, depth+1)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			cs = []string{"1=1"} // {"name": "*"}: no condition
		}
		parts = append(parts, "("+strings.Join(cs, " AND ")+")")
	}
	return []string{"(" + strings.Join(parts, " OR ") + ")"}, nil
}

// search compiles the full-text filter: the text in any filterable string
// field, case-insensitively (% and _ in the text are literal).
func (c *filterCompiler) search(v json.RawMessage) ([]string, error) {
	name := "filter." + filterKeyQ
	var text string
	if err := json.Unmarshal(v, &text); err != nil || strings.IndexByte(text, 0) >= 0 || len(text) > 256 {
		return nil, fieldErr(name, CodeBadFilter, "must be a text of at most 256 characters")
	}
	if text == "" {
		return nil, nil
	}
	if err := c.count(); err != nil {
		return nil, err
	}
	pattern := "%" + likeEscapeAll(strings.ToLower(text)) + "%"
	var parts []string
	for _, f := range c.fields.visible {
		if f.filter && f.kind == kindString {
			parts = append(parts, "LOWER("+f.tcol+") LIKE ? ESCAPE '!'")
			c.args = append(c.args, pattern)
		}
	}
	if len(parts) == 0 {
		return []string{"1=0"}, nil
	}
	return []string{"(" + strings.Join(parts, " OR ") + ")"}, nil
}

// field compiles the value of a field key. With op "" the value's form
// decides: "*" (no condition), null (IS NULL), a list (IN), an operator
// object, or a value (equality; a string with % is a LIKE pattern).
func (c *filterCompiler) field(name string, f *field, op string, v json.RawMessage) ([]string, error) {
	if op != "" {
		cond, err := c.op(name, f, op, v)
		return []string{cond}, err
	}
	switch {
	case string(v) == `"*"`:
		return nil, nil
	case len(v) > 0 && v[0] == '{':
		return c.ops(name, f, v)
	case len(v) > 0 && v[0] == '[':
		cond, err := c.op(name, f, opIn, v)
		return []string{cond}, err
	}
	cond, err := c.op(name, f, opEq, v)
	if err == nil && string(v) != "null" && f.kind == kindString && strings.HasSuffix(cond, " = ?") {
		if s, ok := c.args[len(c.args)-1].(string); ok && strings.Contains(s, "%") {
			c.args[len(c.args)-1] = likeEscape(s)
			cond = f.tcol + " LIKE ? ESCAPE '!'"
		}
	}
	return []string{cond}, err
}

// ops compiles an operator object: {"gte": 1, "lt": 5}, ANDed.
func (c *filterCompiler) ops(name string, f *field, v json.RawMessage) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || len(m) == 0 {
		return nil, fieldErr(name, CodeBadFilter, "an operator object must not be empty")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	conds := make([]string, 0, len(keys))
	for _, k := range keys {
		cond, err := c.op(name, f, k, bytes.TrimSpace(m[k]))
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond)
	}
	return conds, nil
}

// op compiles one operator on field f.
func (c *filterCompiler) op(name string, f *field, op string, v json.RawMessage) (string, error) {
	if err := c.count(); err != nil {
		return "", err
	}
	isNull := string(v) == "null"
	switch {
	case op == opIs || (op == opEq && isNull):
		if !isNull {
			return "", fieldErr(name, CodeBadFilter, `"is" takes null only`)
		}
		return f.tcol + " IS NULL", nil
	case op == opNe && isNull:
		return f.tcol + " IS NOT NULL", nil
	case op == opIn:
		return c.in(name, f, v)
	case op == opLike || op == opILike:
		return c.like(name, f, op, v)
	}
	sqlOp, ok := sqlOps[op]
	if !ok {
		return "", fieldErr(name, CodeBadFilter, "unknown operator")
	}
	if len(v) > 0 && (v[0] == '[' || v[0] == '{') || isNull {
		return "", fieldErr(name, CodeBadFilter, "the operator takes one value")
	}
	if f.kind == kindBool && op != opEq && op != opNe {
		return "", fieldErr(name, CodeBadFilter, "booleans compare with eq and ne only")
	}
	x, err := f.decodeValue(name, v, c.privacy)
	if err != nil {
		return "", err
	}
	c.args = append(c.args, bindValue(x))
	return f.tcol + sqlOp, nil
}

// in compiles a list of values.
func (c *filterCompiler) in(name string, f *field, v json.RawMessage) (string, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		return "", fieldErr(name, CodeBadFilter, "not a list")
	}
	if len(list) > maxFilterValues {
		return "", fieldErr(name, CodeBadFilter, fmt.Sprintf("more than %d values", maxFilterValues))
	}
	if len(list) == 0 {
		return "1=0", nil
	}
	var b strings.Builder
	b.WriteString(f.tcol + " IN (")
	for i, e := range list {
		e = bytes.TrimSpace(e)
		if len(e) == 0 || e[0] == '[' || e[0] == '{' || string(e) == "null" {
			return "", fieldErr(name, CodeBadFilter, "list values must be scalars")
		}
		x, err := f.decodeValue(name, e, c.privacy)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		c.args = append(c.args, bindValue(x))
	}
	b.WriteByte(')')
	return b.String(), nil
}

// like compiles like (% the only wildcard) and ilike (the same, ignoring
// case) on a text field.
func (c *filterCompiler) like(name string, f *field, op string, v json.RawMessage) (string, error) {
	if f.kind != kindString {
		return "", fieldErr(name, CodeBadFilter, "like and ilike apply to text fields")
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil || strings.IndexByte(s, 0) >= 0 {
		return "", fieldErr(name, CodeBadFilter, "the pattern must be a text")
	}
	if op == opILike {
		c.args = append(c.args, likeEscape(strings.ToLower(s)))
		return "LOWER(" + f.tcol + ") LIKE ? ESCAPE '!'", nil
	}
	c.args = append(c.args, likeEscape(s))
	return f.tcol + " LIKE ? ESCAPE '!'", nil
}

// likeEscapeAll escapes every LIKE wildcard and the escape character.
func likeEscapeAll(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
