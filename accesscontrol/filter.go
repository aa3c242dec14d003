package accesscontrol

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Placeholder styles for FilterFor, numerically equal to sqlx's bind types
// so that WithBindType(sqlx.BindType(db.DriverName())) works.
const (
	BindQuestion = 1 // ?            (sqlx.QUESTION: MySQL, SQLite)
	BindDollar   = 2 // $1, $2, …    (sqlx.DOLLAR: PostgreSQL)
	BindAt       = 4 // @p1, @p2, …  (sqlx.AT: SQL Server)
)

// FilterOption configures FilterFor.
type FilterOption func(*filterOpts)

type filterOpts struct {
	bind   int
	offset int
	now    time.Time
}

// WithNow sets the time conditions see as @now (default: time.Now() when
// the filter is built).
func WithNow(t time.Time) FilterOption {
	return func(o *filterOpts) { o.now = t }
}

// WithBindType sets the placeholder style (BindQuestion, BindDollar or
// BindAt; default BindQuestion). An unsupported style (sqlx.NAMED, or
// unknown) makes FilterFor fail with ErrOption.
func WithBindType(bindType int) FilterOption {
	return func(o *filterOpts) { o.bind = bindType }
}

// WithArgOffset numbers BindDollar and BindAt placeholders from n+1, for a
// condition placed after n other arguments.
func WithArgOffset(n int) FilterOption {
	return func(o *filterOpts) { o.offset = n }
}

// validColumn accepts a plain SQL identifier, optionally qualified
// (table.column) and quoted with "", “ or [].
func validColumn(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '.', c == '"', c == '`', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

type sqlBuilder struct {
	opts filterOpts
	args []any
}

func (s *sqlBuilder) param(v string) string { return s.paramAny(v) }

func (s *sqlBuilder) paramAny(v any) string {
	s.args = append(s.args, v)
	switch s.opts.bind {
	case BindDollar:
		return "$" + strconv.Itoa(s.opts.offset+len(s.args))
	case BindAt:
		return "@p" + strconv.Itoa(s.opts.offset+len(s.args))
	}
	return "?"
}

func (s *sqlBuilder) in(col string, vals []string) string {
	if len(vals) == 1 {
		return col + " = " + s.param(vals[0])
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.param(v))
	}
	b.WriteByte(')')
	return b.String()
}

// FilterFor returns a SQL boolean condition, and its arguments, selecting
// exactly the rows of resource on which p may perform action: the rows
// for which AllowedFor would be true given the same attributes. It is
// apicrud's with_filter, completed with membership rules and privacy:
//
//   - "1=1" when a rule, scope or wildcard gives the action on every record;
//   - otherwise an OR of: owned rows (uid = caller), rows of the caller's
//     memberships at a sufficient level (membership attribute IN (…)), and
//     for reads, public rows and member rows by privacy level;
//   - "1=0" when nothing applies.
//
// columns maps the attribute names "id", "uid", "privacy" and the
// membership attributes (e.g. "list_id") to column expressions; it must
// come from the program, never from a request, and each expression must be
// a plain, optionally qualified or quoted, identifier (ErrInvalidColumn).
// Attributes without a column are treated as absent, as Allowed treats a
// missing attribute. Values are always arguments, never inlined.
// Placeholders are '?' unless WithBindType says otherwise.
//
// Compare ids and privacy with a case-sensitive collation (MySQL's
// default collations are case-insensitive and ignore trailing spaces): the
// decisions compare bytes.
func (p *Policy) FilterFor(pr Principal, action byte, resource string, columns map[string]string, opts ...FilterOption) (string, []any, error) {
	s := sqlBuilder{opts: filterOpts{bind: BindQuestion}}
	for _, o := range opts {
		o(&s.opts)
	}
	if s.opts.bind != BindQuestion && s.opts.bind != BindDollar && s.opts.bind != BindAt {
		return "", nil, fmt.Errorf("%w: bind type %d", ErrOption, s.opts.bind)
	}
	bit := actionBit[action]
	if bit == 0 {
		return "", nil, fmt.Errorf("%w %q", ErrInvalidAction, string(rune(action)))
	}
	c := p.cur.Load()
	ri, ok := c.resIdx[resource]
	if !ok {
		return "", nil, fmt.Errorf("%w %q", ErrUnknownResource, resource)
	}
	for k, col := range columns {
		if !validColumn(col) {
			return "", nil, fmt.Errorf("%w: %q for %q", ErrInvalidColumn, col, k)
		}
	}
	b := c.bind(pr.p)
	r := &c.res[ri]
	rp := b.grant(ri)
	if (r.anyAll|rp.all)&bit != 0 {
		return "1=1", nil, nil
	}
	q := filterQuery{c: c, b: &b, r: r, bit: bit}
	q.uidCol, q.ownOK = columns["uid"]
	q.ownOK = q.ownOK && b.pr.uid != ""
	q.privCol, q.hasPriv = columns["privacy"]
	var conds []string
	if q.ownOK && (r.anyOwn|rp.own)&bit != 0 {
		conds = append(conds, q.uidCol+" = "+s.param(b.pr.uid))
	}
	conds = append(conds, s.memberConds(&q, columns)...)
	if bit == readBit && q.hasPriv {
		conds = append(conds, q.privCol+" = "+s.param(c.levels[0]))
	}
	if r.conds != nil {
		q.now = filterNow(s.opts.now)
		var all bool
		if conds, all = s.condFilters(&q, columns, conds); all {
			return "1=1", nil, nil
		}
	}
	switch len(conds) {
	case 0:
		return "1=0", nil, nil
	case 1:
		return conds[0], s.args, nil
	}
	return "(" + strings.Join(conds, " OR ") + ")", s.args, nil
}

// filterQuery is what one FilterFor call filters on.
type filterQuery struct {
	c       *compiled
	b       *binding // b.pr is the principal (zero: anonymous)
	now     time.Time
	r       *compiledRes
	bit     ActionSet
	uidCol  string // the owner column, when ownOK
	ownOK   bool   // the caller is an account and rows have an owner column
	privCol string // the privacy column, when hasPriv
	hasPriv bool
}

// membership returns the private resource whose memberships decide the
// record (its own index for a private resource, else the first private
// resource whose attribute has a column) and the column holding the
// membership id; -1 when none.
func (q *filterQuery) membership(columns map[string]string) (int, string) {
	if q.r.self >= 0 {
		return q.r.self, columns["id"]
	}
	for i := range q.c.private {
		if col, ok := columns[q.c.private[i].attr]; ok {
			return i, col
		}
	}
	return -1, ""
}

// memberConds returns the conditions the caller's memberships give:
// whole memberships where its level allows the action on every row, owned
// rows where it allows the action on owned rows, and (for reads) rows
// whose privacy its level may see.
func (s *sqlBuilder) memberConds(q *filterQuery, columns map[string]string) []string {
	pi, memCol := q.membership(columns)
	if pi < 0 || memCol == "" || q.b.members == nil || len(q.b.members[pi]) == 0 {
		return nil
	}
	nl := len(q.c.levels)
	// byLevel[l] are the membership ids where the caller's level is l.
	byLevel := make([][]string, nl)
	for id, l := range q.b.members[pi] {
		byLevel[l] = append(byLevel[l], id)
	}
	for _, ids := range byLevel {
		slices.Sort(ids)
	}
	minAll, minOwn := q.minLevels(pi)
	var conds []string
	if ids := idsFrom(byLevel, minAll, nl); len(ids) > 0 {
		conds = append(conds, s.in(memCol, ids))
	}
	if minOwn < minAll {
		// Owned rows at levels minOwn..minAll-1 (from minAll up, rows
		// are already selected whole).
		below := idsFrom(byLevel, minOwn, minAll)
		if len(below) > 0 {
			conds = append(conds, "("+s.in(memCol, below)+" AND "+q.uidCol+" = "+s.param(q.b.pr.uid)+")")
		}
	}
	if q.bit == readBit && q.hasPriv {
		for l := 1; l < minAll; l++ {
			if len(byLevel[l]) == 0 {
				continue
			}
			conds = append(conds, "("+s.in(memCol, byLevel[l])+" AND "+s.in(q.privCol, q.c.levels[1:l+1])+")")
		}
	}
	return conds
}

// minLevels returns the lowest membership levels of private resource pi
// that allow the action on every row and on owned rows (len(levels): none).
func (q *filterQuery) minLevels(pi int) (minAll, minOwn int) {
	nl := len(q.c.levels)
	minAll, minOwn = nl, nl
	if q.r.mem == nil || q.r.mem[pi] == nil {
		return minAll, minOwn
	}
	m := q.r.mem[pi]
	for l := nl - 1; l >= 1; l-- {
		if m[l].all&q.bit != 0 {
			minAll = l
		}
		if q.ownOK && (m[l].all|m[l].own)&q.bit != 0 {
			minOwn = l
		}
	}
	return minAll, minOwn
}

// idsFrom returns the ids at levels from..to-1, sorted.
func idsFrom(byLevel [][]string, from, to int) []string {
	var out []string
	for l := from; l < to; l++ {
		out = append(out, byLevel[l]...)
	}
	slices.Sort(out)
	return out
}

// condFilters appends a disjunct per conditional rule giving the action
// that applies to the principal: its ownership and membership as SQL, ANDed
// with its condition. It reports true when one is true on every row.
func (s *sqlBuilder) condFilters(q *filterQuery, columns map[string]string, conds []string) ([]string, bool) {
	for i := range q.r.conds {
		cr := &q.r.conds[i]
		if cr.actions&q.bit == 0 {
			continue
		}
		if cr.own && !q.ownOK {
			continue
		}
		var memCol string
		var ids []string
		switch cr.kind {
		case pRole, pRoleOwner, pGlob:
			if !q.b.holds(cr.role) {
				continue
			}
		case pMember:
			var pi int
			pi, memCol = q.membership(columns)
			if pi != cr.priv || memCol == "" || q.b.members == nil {
				continue
			}
			for id, l := range q.b.members[pi] {
				if l >= cr.level {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				continue
			}
			slices.Sort(ids)
		}
		mark := len(s.args)
		var parts []string
		if cr.own {
			parts = append(parts, q.uidCol+" = "+s.param(q.b.pr.uid))
		}
		if ids != nil {
			parts = append(parts, s.in(memCol, ids))
		}
		c := s.condSQL(cr.cond.root, q, columns)
		switch {
		case c.sql != "":
			parts = append(parts, c.sql)
		case c.konst != tTrue:
			s.args = s.args[:mark]
			continue
		}
		switch len(parts) {
		case 0:
			return nil, true
		case 1:
			conds = append(conds, parts[0])
		default:
			conds = append(conds, "("+strings.Join(parts, " AND ")+")")
		}
	}
	return conds, false
}
