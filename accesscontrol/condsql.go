package accesscontrol

import (
	"strings"
	"time"
)

// sqlCond is a condition translated for one principal: a constant (when
// it reads no column the caller supplies) or SQL text whose values are
// bound arguments.
type sqlCond struct {
	konst tri
	sql   string // "" when konst holds
}

func constCond(t tri) sqlCond { return sqlCond{konst: t} }

// condSQL translates a condition for the principal of q. Fields without a
// column are null, as a decision treats a field the record does not give;
// the principal's values and @now are bound arguments; parts that do not
// depend on the row are folded with SQL's three-valued logic, and an
// unknown part inside SQL text is written NULL.
func (s *sqlBuilder) condSQL(n *cnode, q *filterQuery, columns map[string]string) sqlCond {
	switch n.kind {
	case nAnd, nOr:
		return s.junction(n, q, columns)
	case nNot:
		k := s.condSQL(n.kids[0], q, columns)
		if k.sql == "" {
			return constCond(k.konst.not())
		}
		if strings.HasPrefix(k.sql, "(") && strings.HasSuffix(k.sql, ")") && !strings.Contains(k.sql, " IN (") {
			return sqlCond{sql: "NOT " + k.sql}
		}
		return sqlCond{sql: "NOT (" + k.sql + ")"}
	case nIsNull:
		col, v, isCol := s.column(&n.l, q, columns)
		if !isCol {
			return constCond(triOf(v.t == tNone))
		}
		return sqlCond{sql: col + " IS NULL"}
	case nTruth:
		col, v, isCol := s.column(&n.l, q, columns)
		if !isCol {
			if v.t == tNone {
				return constCond(tUnknown)
			}
			return constCond(triOf(v.b))
		}
		return sqlCond{sql: col + " = " + s.value(value{t: tBool, b: true})}
	case nCmp:
		return s.compare(n, q, columns)
	case nIn:
		return s.inList(n, q, columns)
	}
	return constCond(tUnknown)
}

func (s *sqlBuilder) junction(n *cnode, q *filterQuery, columns map[string]string) sqlCond {
	// absorbing is the value that decides the junction (false for and,
	// true for or); neutral is the one that drops out.
	absorbing, neutral, sep := tFalse, tTrue, " AND "
	if n.kind == nOr {
		absorbing, neutral, sep = tTrue, tFalse, " OR "
	}
	var parts []string
	unknown := false
	mark := len(s.args)
	for _, k := range n.kids {
		c := s.condSQL(k, q, columns)
		switch {
		case c.sql != "":
			parts = append(parts, c.sql)
		case c.konst == absorbing:
			s.args = s.args[:mark] // the other parts are moot
			return constCond(absorbing)
		case c.konst == tUnknown:
			unknown = true
		case c.konst == neutral:
		}
	}
	if len(parts) == 0 {
		if unknown {
			return constCond(tUnknown)
		}
		return constCond(neutral)
	}
	if unknown {
		parts = append(parts, "NULL")
	}
	if len(parts) == 1 {
		return sqlCond{sql: parts[0]}
	}
	return sqlCond{sql: "(" + strings.Join(parts, sep) + ")"}
}

// column returns the SQL column of a field operand (isCol), or the value
// of any other operand (null for a field without a column).
func (s *sqlBuilder) column(o *operand, q *filterQuery, columns map[string]string) (string, value, bool) {
	switch o.kind {
	case oField:
		if col, ok := columns[o.field]; ok {
			return col, value{}, true
		}
		return "", value{}, false
	case oLit:
		return "", o.lit, false
	case oUID:
		if q.b.pr.uid == "" {
			return "", value{}, false
		}
		return "", value{t: tString, s: q.b.pr.uid}, false
	case oNow:
		return "", value{t: tTime, tm: q.now}, false
	}
	return "", value{}, false
}

// value binds v and returns its placeholder.
func (s *sqlBuilder) value(v value) string {
	switch v.t {
	case tString:
		return s.param(v.s)
	case tInt:
		return s.paramAny(v.i)
	case tFloat:
		return s.paramAny(v.f)
	case tBool:
		return s.paramAny(v.b)
	case tTime:
		return s.paramAny(v.tm.UTC())
	}
	return "NULL"
}

func (s *sqlBuilder) compare(n *cnode, q *filterQuery, columns map[string]string) sqlCond {
	lc, lv, lcol := s.column(&n.l, q, columns)
	rc, rv, rcol := s.column(&n.r, q, columns)
	switch {
	case !lcol && !rcol:
		return constCond(compareValues(lv, n.op, rv))
	case !lcol && lv.t == tNone, !rcol && rv.t == tNone:
		return constCond(tUnknown)
	}
	// Compare numbers of mixed types as floats, as eval does.
	if !lcol {
		lc = s.value(numericAs(lv, n.r.t))
	}
	if !rcol {
		rc = s.value(numericAs(rv, n.l.t))
	}
	return sqlCond{sql: lc + " " + opSQL[n.op] + " " + rc}
}

// numericAs returns an int value as a float when the other side is a
// float.
func numericAs(v value, other fieldType) value {
	if v.t == tInt && other == tFloat {
		return value{t: tFloat, f: float64(v.i)}
	}
	return v
}

func (s *sqlBuilder) inList(n *cnode, q *filterQuery, columns map[string]string) sqlCond {
	var list []value
	if n.r.kind == oRoles || n.r.kind == oScopes {
		var set []string
		if n.r.kind == oRoles {
			set = q.b.pr.roles()
		} else {
			set = heldScopes(q.c, q.b)
		}
		if len(set) == 0 {
			return constCond(tFalse)
		}
		for _, r := range set {
			list = append(list, value{t: tString, s: r})
		}
	} else {
		list = n.list
	}
	col, v, isCol := s.column(&n.l, q, columns)
	if !isCol {
		if v.t == tNone {
			return constCond(tUnknown)
		}
		for _, x := range list {
			if compareValues(v, opEq, x) == tTrue {
				return constCond(tTrue)
			}
		}
		return constCond(tFalse)
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i, x := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.value(numericAs(x, n.l.t)))
	}
	b.WriteByte(')')
	return sqlCond{sql: b.String()}
}

// filterNow returns the time @now is in a filter.
func filterNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
