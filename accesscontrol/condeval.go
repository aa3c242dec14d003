package accesscontrol

import (
	"database/sql/driver"
	"math"
	"reflect"
	"slices"
	"time"
)

// condEnv is what a condition reads in a single decision.
type condEnv struct {
	c   *compiled
	b   *binding // b.pr is the principal (zero: anonymous)
	v   *view
	now time.Time
}

func (e *condEnv) nowTime() time.Time {
	if e.now.IsZero() {
		e.now = time.Now()
	}
	return e.now
}

// eval evaluates n with SQL's three-valued logic: a comparison with null
// is unknown, not true and not false, exactly as the database's WHERE
// treats it, and a rule applies only when its condition is true.
func (e *condEnv) eval(n *cnode) tri {
	switch n.kind {
	case nAnd:
		out := tTrue
		for _, k := range n.kids {
			switch e.eval(k) {
			case tFalse:
				return tFalse
			case tUnknown:
				out = tUnknown
			}
		}
		return out
	case nOr:
		out := tFalse
		for _, k := range n.kids {
			switch e.eval(k) {
			case tTrue:
				return tTrue
			case tUnknown:
				out = tUnknown
			}
		}
		return out
	case nNot:
		return e.eval(n.kids[0]).not()
	case nIsNull:
		return triOf(e.operand(&n.l).t == tNone)
	case nTruth:
		v := e.operand(&n.l)
		if v.t == tNone {
			return tUnknown
		}
		return triOf(v.b)
	case nCmp:
		return compareValues(e.operand(&n.l), n.op, e.operand(&n.r))
	case nIn:
		return e.in(n)
	}
	return tUnknown
}

func (e *condEnv) in(n *cnode) tri {
	if n.r.kind == oRoles {
		// Without allocating: the roles are read in place. False when
		// the principal has none, as below.
		if e.b.pr.nroles == 0 {
			return tFalse
		}
		l := e.operand(&n.l)
		if l.t == tNone {
			return tUnknown
		}
		return triOf(e.b.pr.hasRole(l.s))
	}
	if n.r.kind == oScopes {
		// Membership in the scopes the principal holds: false when it
		// has none, whatever the value (SQL cannot say "IN ()").
		set := e.scopes()
		if len(set) == 0 {
			return tFalse
		}
		l := e.operand(&n.l)
		if l.t == tNone {
			return tUnknown
		}
		return triOf(slices.Contains(set, l.s))
	}
	l := e.operand(&n.l)
	if l.t == tNone {
		return tUnknown
	}
	for _, v := range n.list {
		if compareValues(l, opEq, v) == tTrue {
			return tTrue
		}
	}
	return tFalse
}

// scopes returns the scopes the principal holds.
func (e *condEnv) scopes() []string { return heldScopes(e.c, e.b) }

// heldScopes returns the scopes b's principal holds under c: the declared
// scopes one of its roles is granted, and the undeclared ones its
// credential carries.
func heldScopes(c *compiled, b *binding) []string {
	var out []string
	for _, si := range b.scopes {
		out = append(out, c.scopes[si].name)
	}
	for _, s := range b.pr.scopes() {
		if _, ok := c.scopeIdx[s]; !ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func (e *condEnv) operand(o *operand) value {
	switch o.kind {
	case oLit:
		return o.lit
	case oUID:
		if e.b.pr.uid == "" {
			return value{}
		}
		return value{t: tString, s: e.b.pr.uid}
	case oNow:
		return value{t: tTime, tm: e.nowTime()}
	case oField:
		raw, ok := e.v.field(o.field)
		if !ok {
			return value{}
		}
		return normalize(raw, o.t)
	}
	return value{}
}

// compareValues compares two values of compatible types; null on either
// side is unknown.
func compareValues(a value, op cmpOp, b value) tri {
	if a.t == tNone || b.t == tNone {
		return tUnknown
	}
	var c int
	switch {
	case a.t == tInt && b.t == tInt:
		c = cmp3(a.i < b.i, a.i > b.i)
	case a.t.numeric() && b.t.numeric():
		x, y := a.float(), b.float()
		if math.IsNaN(x) || math.IsNaN(y) {
			return tUnknown
		}
		c = cmp3(x < y, x > y)
	case a.t == tString && b.t == tString:
		c = cmp3(a.s < b.s, a.s > b.s)
	case a.t == tBool && b.t == tBool:
		c = cmp3(!a.b && b.b, a.b && !b.b)
	case a.t == tTime && b.t == tTime:
		c = a.tm.Compare(b.tm)
	default:
		return tUnknown
	}
	switch op {
	case opEq:
		return triOf(c == 0)
	case opNe:
		return triOf(c != 0)
	case opLt:
		return triOf(c < 0)
	case opLe:
		return triOf(c <= 0)
	case opGt:
		return triOf(c > 0)
	}
	return triOf(c >= 0)
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}

func (v value) float() float64 {
	if v.t == tInt {
		return float64(v.i)
	}
	return v.f
}

// normalize turns a record's Go value into a value of the declared type:
// strings, booleans, integers, floats and time.Time, through pointers and
// driver.Valuer (sql.NullString and friends; null when not Valid). A value
// of another type is null to the condition, so a condition never applies
// on a value it cannot read (fail closed).
func normalize(raw any, t fieldType) value {
	switch x := raw.(type) {
	case nil:
		return value{}
	case string:
		if t == tString {
			return value{t: tString, s: x}
		}
	case bool:
		if t == tBool {
			return value{t: tBool, b: x}
		}
	case int:
		return intValue(int64(x), t)
	case int64:
		return intValue(x, t)
	case int32:
		return intValue(int64(x), t)
	case float64:
		return floatValue(x, t)
	case float32:
		return floatValue(float64(x), t)
	case time.Time:
		if t == tTime {
			return value{t: tTime, tm: x}
		}
	case driver.Valuer:
		rv := reflect.ValueOf(raw)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return value{}
		}
		v, err := x.Value()
		if err != nil {
			return value{}
		}
		if _, again := v.(driver.Valuer); again {
			return value{}
		}
		return normalize(v, t)
	default:
		return normalizeReflect(raw, t)
	}
	return value{}
}

// normalizeReflect handles pointers and the other integer kinds.
func normalizeReflect(raw any, t fieldType) value {
	rv := reflect.ValueOf(raw)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return value{}
		}
		return normalize(rv.Elem().Interface(), t)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return intValue(rv.Int(), t)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return intValue(int64(u), t)
		}
	case reflect.String:
		if t == tString {
			return value{t: tString, s: rv.String()}
		}
	case reflect.Bool:
		if t == tBool {
			return value{t: tBool, b: rv.Bool()}
		}
	}
	return value{}
}

func intValue(i int64, t fieldType) value {
	switch t {
	case tInt:
		return value{t: tInt, i: i}
	case tFloat:
		return value{t: tFloat, f: float64(i)}
	}
	return value{}
}

func floatValue(f float64, t fieldType) value {
	if t == tFloat && !math.IsNaN(f) {
		return value{t: tFloat, f: f}
	}
	if t == tInt && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return value{t: tInt, i: int64(f)}
	}
	return value{}
}
