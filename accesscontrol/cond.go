package accesscontrol

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The condition language of a rule's when: a small, typed expression over
// the record's declared fields, the principal and the request time. It is
// parsed and type-checked at load into one tree that both the single
// decision (eval) and the list filter (condSQL) walk, so what a condition
// means in memory and in SQL cannot drift apart: every construct the
// parser accepts has a SQL form, and nothing is ever dropped.

// Limits of a condition.
const (
	maxCondLen   = 4096
	maxCondDepth = 32
	maxCondList  = 256
)

// fieldType is the declared type of a record field.
type fieldType uint8

const (
	tNone fieldType = iota
	tString
	tInt
	tFloat
	tBool
	tTime
	tStringSet // @roles, @scopes
)

var fieldTypeNames = map[string]fieldType{"string": tString, "int": tInt, "float": tFloat, "bool": tBool, "time": tTime}

func (t fieldType) String() string {
	switch t {
	case tString:
		return "string"
	case tInt:
		return "int"
	case tFloat:
		return "float"
	case tBool:
		return "bool"
	case tTime:
		return "time"
	case tStringSet:
		return "set of strings"
	}
	return "null"
}

func (t fieldType) numeric() bool { return t == tInt || t == tFloat }

// tri is a three-valued truth: SQL's true, false and unknown (NULL).
type tri uint8

const (
	tFalse tri = iota
	tTrue
	tUnknown
)

func triOf(b bool) tri {
	if b {
		return tTrue
	}
	return tFalse
}

func (t tri) not() tri {
	switch t {
	case tTrue:
		return tFalse
	case tFalse:
		return tTrue
	}
	return tUnknown
}

// value is a typed scalar; t == tNone is null.
type value struct {
	t  fieldType
	s  string
	i  int64
	f  float64
	b  bool
	tm time.Time
}

// operand kinds.
type opndKind uint8

const (
	oLit opndKind = iota
	oField
	oUID
	oNow
	oRoles
	oScopes
)

type operand struct {
	kind  opndKind
	t     fieldType
	field string // oField
	lit   value  // oLit
}

// node kinds.
type nodeKind uint8

const (
	nAnd nodeKind = iota
	nOr
	nNot
	nCmp    // l op r
	nIn     // l in list (literals) or l in r (@roles, @scopes)
	nIsNull // l is null
	nTruth  // a bool field or literal on its own
)

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opSQL = [...]string{opEq: "=", opNe: "<>", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

type cnode struct {
	kind nodeKind
	op   cmpOp
	kids []*cnode // nAnd, nOr, nNot
	l, r operand
	list []value // nIn over literals (r.kind == oLit)
}

// condition is a compiled when: its text, its tree, and what it reads.
type condition struct {
	text   string
	root   *cnode
	fields []string // the record fields it reads, for lint and docs
	now    bool     // reads @now
}

// condError is a condition that does not parse or type-check; pos is a
// byte offset in the text.
type condError struct {
	pos int
	msg string
}

func (e *condError) Error() string { return fmt.Sprintf("when: column %d: %s", e.pos+1, e.msg) }

// parseCondition parses and type-checks text against the declared fields
// of a resource.
func parseCondition(text string, fields map[string]fieldType) (cond *condition, err error) {
	if len(text) > maxCondLen {
		return nil, &condError{0, fmt.Sprintf("longer than %d bytes", maxCondLen)}
	}
	toks, err := lexCond(text)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, fields: fields, cond: &condition{text: text}}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, &condError{t.pos, "unexpected " + t.describe()}
	}
	p.cond.root = root
	return p.cond, nil
}

// --- lexer ---

type tokKind uint8

const (
	tkEOF tokKind = iota
	tkIdent
	tkAt // @name
	tkString
	tkNumber
	tkOp // = == != <> < <= > >=
	tkLParen
	tkRParen
	tkLBrack
	tkRBrack
	tkComma
	tkAnd // and &&
	tkOr  // or ||
	tkNot // not !
)

type token struct {
	kind tokKind
	pos  int
	text string // identifier, @name, decoded string, number, operator
}

func (t token) describe() string {
	switch t.kind {
	case tkEOF:
		return "end of condition"
	case tkString:
		return "string " + quote(t.text)
	}
	return quote(t.text)
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }

func lexCond(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c) || c == '@':
			tk, err := lexWord(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, tk)
			i += len(tk.text)
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := lexNumber(s, i)
			out = append(out, token{tkNumber, i, s[i:j]})
			i = j
		case c == '\'' || c == '"':
			str, n, err := lexString(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tkString, i, str})
			i += n
		default:
			tk, n := lexPunct(s, i)
			if n == 0 {
				return nil, &condError{i, "unexpected character " + strconv.QuoteRune(rune(c))}
			}
			out = append(out, token{tk, i, s[i : i+n]})
			i += n
		}
		if len(out) > maxCondLen/2 {
			return nil, &condError{i, "too many tokens"}
		}
	}
	return append(out, token{tkEOF, len(s), ""}), nil
}

// lexWord reads an identifier, a keyword or an @name at s[i].
func lexWord(s string, i int) (token, error) {
	j := i + 1
	for j < len(s) && isIdentChar(s[j]) {
		j++
	}
	w := s[i:j]
	if s[i] == '@' && j == i+1 {
		return token{}, &condError{i, "'@' must name @uid, @roles, @scopes or @now"}
	}
	kind := tkIdent
	switch {
	case s[i] == '@':
		kind = tkAt
	case strings.EqualFold(w, "and"):
		kind = tkAnd
	case strings.EqualFold(w, "or"):
		kind = tkOr
	case strings.EqualFold(w, "not"):
		kind = tkNot
	}
	return token{kind, i, w}, nil
}

// lexNumber returns the end of the number at s[i] (digits, '.', an
// exponent); strconv validates it.
func lexNumber(s string, i int) int {
	j := i + 1
	for j < len(s) {
		c := s[j]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' ||
			(c == '-' || c == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
			break
		}
		j++
	}
	return j
}

// lexString decodes a quoted string starting at s[i]: the quote doubled
// or escaped with a backslash, and \\ for a backslash.
func lexString(s string, i int) (string, int, error) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\\' && j+1 < len(s) && (s[j+1] == q || s[j+1] == '\\'):
			b.WriteByte(s[j+1])
			j++
		case c == '\\':
			return "", 0, &condError{j, "unknown escape (only \\\\ and the quote)"}
		case c == q && j+1 < len(s) && s[j+1] == q:
			b.WriteByte(q)
			j++
		case c == q:
			return b.String(), j + 1 - i, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, &condError{i, "unterminated string"}
}

func lexPunct(s string, i int) (tokKind, int) {
	two := ""
	if i+1 < len(s) {
		two = s[i : i+2]
	}
	switch two {
	case "==", "!=", "<>", "<=", ">=":
		return tkOp, 2
	case "&&":
		return tkAnd, 2
	case "||":
		return tkOr, 2
	}
	switch s[i] {
	case '=', '<', '>':
		return tkOp, 1
	case '!':
		return tkNot, 1
	case '(':
		return tkLParen, 1
	case ')':
		return tkRParen, 1
	case '[':
		return tkLBrack, 1
	case ']':
		return tkRBrack, 1
	case ',':
		return tkComma, 1
	}
	return 0, 0
}

// --- parser ---

type condParser struct {
	toks   []token
	i      int
	fields map[string]fieldType
	cond   *condition
}

func (p *condParser) peek() token { return p.toks[p.i] }
func (p *condParser) next() token {
	t := p.toks[p.i]
	if t.kind != tkEOF {
		p.i++
	}
	return t
}

func (p *condParser) depth(d int) error {
	if d > maxCondDepth {
		return &condError{p.peek().pos, fmt.Sprintf("nested deeper than %d", maxCondDepth)}
	}
	return nil
}

// or := and ("or" and)*
func (p *condParser) or(d int) (*cnode, error) {
	return p.chain(d, tkOr, nOr, p.and)
}

// and := unary ("and" unary)*
func (p *condParser) and(d int) (*cnode, error) {
	return p.chain(d, tkAnd, nAnd, p.unary)
}

func (p *condParser) chain(d int, tk tokKind, kind nodeKind, sub func(int) (*cnode, error)) (*cnode, error) {
	if err := p.depth(d); err != nil {
		return nil, err
	}
	first, err := sub(d + 1)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tk {
		return first, nil
	}
	n := &cnode{kind: kind, kids: []*cnode{first}}
	for p.peek().kind == tk {
		p.next()
		k, err := sub(d + 1)
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k)
	}
	return n, nil
}

// unary := "not" unary | primary
func (p *condParser) unary(d int) (*cnode, error) {
	if err := p.depth(d); err != nil {
		return nil, err
	}
	if p.peek().kind == tkNot {
		p.next()
		k, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		return &cnode{kind: nNot, kids: []*cnode{k}}, nil
	}
	return p.primary(d + 1)
}

// primary := "(" or ")" | operand [op operand | ["not"] "in" list | "is" ["not"] "null"]
func (p *condParser) primary(d int) (*cnode, error) {
	if p.peek().kind == tkLParen {
		p.next()
		n, err := p.or(d + 1)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tkRParen {
			return nil, &condError{t.pos, "expected ')', got " + t.describe()}
		}
		return n, nil
	}
	start := p.peek().pos
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tkOp:
		p.next()
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return p.compare(t, l, r)
	case t.kind == tkIdent && strings.EqualFold(t.text, "in"):
		p.next()
		return p.in(t.pos, l)
	case t.kind == tkNot && p.toks[p.i+1].kind == tkIdent && strings.EqualFold(p.toks[p.i+1].text, "in"):
		p.next()
		p.next()
		n, err := p.in(t.pos, l)
		if err != nil {
			return nil, err
		}
		return &cnode{kind: nNot, kids: []*cnode{n}}, nil
	case t.kind == tkIdent && strings.EqualFold(t.text, "is"):
		p.next()
		return p.isNull(t.pos, l)
	}
	if l.t != tBool {
		return nil, &condError{start, "a " + l.t.String() + " is not a condition (compare it)"}
	}
	return &cnode{kind: nTruth, l: l}, nil
}

func (p *condParser) operand() (operand, error) {
	t := p.next()
	switch t.kind {
	case tkIdent:
		switch strings.ToLower(t.text) {
		case "true", "false":
			return operand{kind: oLit, t: tBool, lit: value{t: tBool, b: strings.EqualFold(t.text, "true")}}, nil
		case "null":
			return operand{}, &condError{t.pos, "null is compared with 'is null' or 'is not null'"}
		}
		ft, ok := p.fields[t.text]
		if !ok {
			return operand{}, &condError{t.pos, "unknown field " + quote(t.text) + " (declare it under fields)"}
		}
		p.addField(t.text)
		return operand{kind: oField, t: ft, field: t.text}, nil
	case tkAt:
		switch t.text {
		case "@uid":
			return operand{kind: oUID, t: tString}, nil
		case "@now":
			p.cond.now = true
			return operand{kind: oNow, t: tTime}, nil
		case "@roles":
			return operand{kind: oRoles, t: tStringSet}, nil
		case "@scopes":
			return operand{kind: oScopes, t: tStringSet}, nil
		}
		return operand{}, &condError{t.pos, "unknown " + quote(t.text) + " (want @uid, @roles, @scopes or @now)"}
	case tkString:
		return operand{kind: oLit, t: tString, lit: value{t: tString, s: t.text}}, nil
	case tkNumber:
		return numberOperand(t)
	}
	return operand{}, &condError{t.pos, "expected a field, a value or @uid/@roles/@scopes/@now, got " + t.describe()}
}

func numberOperand(t token) (operand, error) {
	if i, err := strconv.ParseInt(t.text, 10, 64); err == nil {
		return operand{kind: oLit, t: tInt, lit: value{t: tInt, i: i}}, nil
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return operand{}, &condError{t.pos, "invalid number " + quote(t.text)}
	}
	return operand{kind: oLit, t: tFloat, lit: value{t: tFloat, f: f}}, nil
}

func (p *condParser) addField(name string) {
	for _, f := range p.cond.fields {
		if f == name {
			return
		}
	}
	p.cond.fields = append(p.cond.fields, name)
}

// coerce makes a string literal a time when the other side is a time
// (RFC 3339), and reports whether l and r may be compared.
func coerce(l, r *operand) bool {
	for _, pair := range [2][2]*operand{{l, r}, {r, l}} {
		a, b := pair[0], pair[1]
		if a.kind == oLit && a.t == tString && b.t == tTime {
			tm, err := time.Parse(time.RFC3339Nano, a.lit.s)
			if err != nil {
				return false
			}
			a.t, a.lit = tTime, value{t: tTime, tm: tm.UTC()}
		}
	}
	return l.t == r.t || l.t.numeric() && r.t.numeric()
}

func (p *condParser) compare(t token, l, r operand) (*cnode, error) {
	if l.t == tStringSet || r.t == tStringSet {
		return nil, &condError{t.pos, "@roles and @scopes are tested with 'in'"}
	}
	var op cmpOp
	switch t.text {
	case "=", "==":
		op = opEq
	case "!=", "<>":
		op = opNe
	case "<":
		op = opLt
	case "<=":
		op = opLe
	case ">":
		op = opGt
	case ">=":
		op = opGe
	}
	if !coerce(&l, &r) {
		return nil, &condError{t.pos, "cannot compare a " + l.t.String() + " with a " + r.t.String() +
			" (times are RFC 3339 strings such as '2026-01-02T15:04:05Z')"}
	}
	if op >= opLt && !l.t.numeric() && l.t != tTime {
		return nil, &condError{t.pos, "'" + t.text + "' orders numbers and times only (" + l.t.String() +
			"s compare in the database's collation, which differs from byte order)"}
	}
	if l.kind != oField && r.kind != oField && l.kind == oLit && r.kind == oLit {
		return nil, &condError{t.pos, "a comparison of two constants"}
	}
	return &cnode{kind: nCmp, op: op, l: l, r: r}, nil
}

// in := "@roles" | "@scopes" | ("("|"[") value ("," value)* (")"|"]")
func (p *condParser) in(pos int, l operand) (*cnode, error) {
	if l.t == tStringSet {
		return nil, &condError{pos, "@roles and @scopes go on the right of 'in'"}
	}
	t := p.next()
	if t.kind == tkAt && (t.text == "@roles" || t.text == "@scopes") {
		if l.t != tString {
			return nil, &condError{t.pos, "a " + l.t.String() + " is never in " + t.text}
		}
		kind := oRoles
		if t.text == "@scopes" {
			kind = oScopes
		}
		return &cnode{kind: nIn, l: l, r: operand{kind: kind, t: tStringSet}}, nil
	}
	if t.kind != tkLParen && t.kind != tkLBrack {
		return nil, &condError{t.pos, "expected a list ('[' or '(') or @roles/@scopes after 'in', got " + t.describe()}
	}
	closer := tkRParen
	if t.kind == tkLBrack {
		closer = tkRBrack
	}
	n := &cnode{kind: nIn, l: l}
	for {
		vt := p.peek()
		v, err := p.operand()
		if err != nil {
			return nil, err
		}
		if v.kind != oLit {
			return nil, &condError{vt.pos, "a list holds constants only"}
		}
		if !coerce(&l, &v) || l.t == tBool {
			return nil, &condError{vt.pos, "a " + v.t.String() + " in a list compared with a " + l.t.String()}
		}
		n.list = append(n.list, v.lit)
		if len(n.list) > maxCondList {
			return nil, &condError{vt.pos, fmt.Sprintf("a list of more than %d values", maxCondList)}
		}
		sep := p.next()
		if sep.kind == closer {
			break
		}
		if sep.kind != tkComma {
			return nil, &condError{sep.pos, "expected ',' or the end of the list, got " + sep.describe()}
		}
	}
	if l.kind == oLit {
		return nil, &condError{pos, "a constant tested against a list of constants"}
	}
	n.l = l
	return n, nil
}

func (p *condParser) isNull(pos int, l operand) (*cnode, error) {
	neg := false
	if p.peek().kind == tkNot {
		p.next()
		neg = true
	}
	t := p.next()
	if t.kind != tkIdent || !strings.EqualFold(t.text, "null") {
		return nil, &condError{t.pos, "expected 'null' after 'is', got " + t.describe()}
	}
	if l.kind != oField && l.kind != oUID {
		return nil, &condError{pos, "only a field or @uid may be null"}
	}
	n := &cnode{kind: nIsNull, l: l}
	if neg {
		return &cnode{kind: nNot, kids: []*cnode{n}}, nil
	}
	return n, nil
}

// String returns the condition as written.
func (c *condition) String() string { return c.text }
