package accesscontrol

import (
	"fmt"
	"strings"
	"time"
)

const readBit = ActionSet(1 << 7) // 'r'

// Record is what a decision needs to know about one record.
type Record struct {
	// ID is the record's id. For a private (membership-defining) resource,
	// such as a list, it is also the membership id its members' roles name.
	ID string
	// Owner is the uid of the record's owner ("" when it has none).
	Owner string
	// Privacy is the record's privacy level ("" when it has none). An
	// unknown level is treated as unreadable through privacy.
	Privacy string
	// Parent is the id of the membership record this record is attached
	// to: the value of its membership attribute (e.g. list_id).
	Parent string
	// ParentResource names the private resource Parent refers to ("list");
	// "" means the first private resource of the policy.
	ParentResource string
	// Fields are the record's other fields, by name, for the rules with a
	// condition (when:): strings, booleans, integers, floats and
	// time.Time, or pointers to them, or driver.Valuer values such as
	// sql.NullString. A field that is absent, nil or of another type than
	// the fields section declares is null to a condition. Decisions on
	// resources without conditional rules never read it.
	Fields map[string]any
	// Now is the request time conditions see as @now; the zero value means
	// time.Now() (read only when a condition uses @now).
	Now time.Time
}

// view is a Record with its parent resolved to a private resource index.
type view struct {
	id, owner, privacy, parent string
	pi                         int // private resource of parent; -1 none
	fields                     map[string]any
	fieldFn                    func(string) (any, bool)
	now                        time.Time
}

// field returns a field of the record for a condition.
func (v *view) field(name string) (any, bool) {
	if v.fieldFn != nil {
		return v.fieldFn(name)
	}
	x, ok := v.fields[name]
	return x, ok
}

func (c *compiled) view(rec *Record) view {
	v := view{id: rec.ID, owner: rec.Owner, privacy: rec.Privacy, parent: rec.Parent, pi: -1, fields: rec.Fields, now: rec.Now}
	if rec.Parent != "" {
		v.pi = c.privateOf(rec.ParentResource)
	}
	return v
}

// viewOf builds a view from crud's attribute map: "id", "uid", "privacy"
// and the attribute of the first private resource present among the keys.
func (c *compiled) viewOf(attrs map[string]string) view {
	v := view{id: attrs["id"], owner: attrs["uid"], privacy: attrs["privacy"], pi: -1}
	for i := range c.private {
		if p, ok := attrs[c.private[i].attr]; ok {
			v.parent, v.pi = p, i
			break
		}
	}
	return v
}

// membership returns the private resource and membership id a record
// belongs to: its own id for a private resource, else its parent.
func (r *compiledRes) membership(v *view) (int, string) {
	if r.self >= 0 {
		return r.self, v.id
	}
	return v.pi, v.parent
}

// actions is the decision: no parsing, no regular expression, no
// allocation.
func (c *compiled) actions(b *binding, ri int32, v *view) ActionSet {
	r := &c.res[ri]
	acts := r.anyAll
	own := b.pr.uid != "" && v.owner == b.pr.uid
	rp := b.grant(ri)
	acts |= rp.all
	if own {
		acts |= rp.own
	}
	if own {
		acts |= r.anyOwn
	}
	if v.privacy == "public" {
		acts |= readBit
	}
	if b.members != nil {
		if pi, id := r.membership(v); pi >= 0 {
			if l := b.level(pi, id); l > 0 {
				if r.mem != nil && r.mem[pi] != nil {
					m := &r.mem[pi][l]
					acts |= m.all
					if own {
						acts |= m.own
					}
				}
				if v.privacy != "" {
					if pl, ok := c.levelOf(v.privacy); ok && pl <= l {
						acts |= readBit
					}
				}
			}
		}
	}
	if r.conds != nil {
		acts = c.condActions(b, r, v, acts)
	}
	return acts
}

// condActions adds what the conditional rules give on the record: those
// that apply to the principal (as the tables would decide) and whose
// condition is true. A rule whose actions are all granted already is not
// evaluated.
func (c *compiled) condActions(b *binding, r *compiledRes, v *view, acts ActionSet) ActionSet {
	env := condEnv{c: c, b: b, v: v, now: v.now}
	for i := range r.conds {
		cr := &r.conds[i]
		if cr.actions&^acts == 0 || !c.condApplies(b, r, v, cr) {
			continue
		}
		if env.eval(cr.cond.root) == tTrue {
			acts |= cr.actions
		}
	}
	return acts
}

// condApplies reports whether the principal part of a conditional rule
// holds: the role, the membership level, the ownership.
func (c *compiled) condApplies(b *binding, r *compiledRes, v *view, cr *condRule) bool {
	if cr.own && (b.pr.uid == "" || v.owner != b.pr.uid) {
		return false
	}
	switch cr.kind {
	case pRole, pRoleOwner, pGlob:
		return b.holds(cr.role)
	case pMember:
		pi, id := r.membership(v)
		return pi == cr.priv && b.level(pi, id) >= cr.level
	}
	return true // pAnyone
}

// Actions returns every action p may perform on rec, a record of
// resource; the empty set for an undeclared resource.
func (p *Policy) Actions(pr Principal, resource string, rec Record) ActionSet {
	c := p.cur.Load()
	ri, ok := c.resIdx[resource]
	if !ok {
		return 0
	}
	v := c.view(&rec)
	b := c.bind(pr.p)
	return c.actions(&b, ri, &v)
}

// AllowedFor reports whether p may perform action (a letter of Letters) on
// rec, a record of resource. It is false for an undeclared resource or an
// unknown action. It does not allocate (after the principal's first
// decision under the policy version).
func (p *Policy) AllowedFor(pr Principal, action byte, resource string, rec Record) bool {
	bit := actionBit[action]
	if bit == 0 {
		return false
	}
	c := p.cur.Load()
	ri, ok := c.resIdx[resource]
	if !ok {
		return false
	}
	v := c.view(&rec)
	b := c.bind(pr.p)
	return c.actions(&b, ri, &v)&bit != 0
}

// Check is one rule (or privacy default, or scope) Explain considered.
type Check struct {
	// Entry names the source: "policies.person[2]", "scopes[0]", or
	// "privacy" for the privacy defaults.
	Entry string
	// Line is the rule's line in the policy file (0 for privacy).
	Line int
	// Rule describes it: "admin -> {resource}:* : cdru".
	Rule string
	// Actions are what it gives when it applies.
	Actions ActionSet
	// Applies tells whether it applies to this principal and record.
	Applies bool
	// Reason says why it applies or not.
	Reason string
}

// Decision is Explain's answer: the outcome, the rule that granted it,
// and every check made, for logs and policy tests.
type Decision struct {
	Allowed  bool
	Action   byte
	Resource string
	// Actions is everything the principal may do on the record; it always
	// equals Policy.Actions for the same arguments.
	Actions ActionSet
	// By is the first check that applies and grants Action; nil when
	// denied.
	By *Check
	// Checks are all the checks, rules first (in file order), then
	// scopes, then privacy.
	Checks []Check
	// Reason is a one-line summary.
	Reason string
}

// String returns the summary.
func (d Decision) String() string { return d.Reason }

// Explain makes the same decision as AllowedFor and says why: which rule
// granted the action, or why none did. It is the slow path (it allocates);
// use it for logs, audits and policy tests.
func (p *Policy) Explain(pr Principal, action byte, resource string, rec Record) Decision {
	c := p.cur.Load()
	v := c.view(&rec)
	return c.explain(pr, action, resource, &v)
}

// explain is Explain on a view (which crud's attribute maps also give).
func (c *compiled) explain(pr Principal, action byte, resource string, v *view) Decision {
	d := Decision{Action: action, Resource: resource}
	ri, ok := c.resIdx[resource]
	if !ok {
		d.Reason = fmt.Sprintf("denied: resource %q is not declared in %s", resource, c.file)
		return d
	}
	bit := actionBit[action]
	r := &c.res[ri]
	ex := explainer{c: c, pr: pr, r: r, v: v}
	for i := range r.rules {
		d.Checks = append(d.Checks, ex.rule(&r.rules[i]))
	}
	for si := range c.scopes {
		s := &c.scopes[si]
		for _, g := range s.resources {
			if int32(g.res) == ri {
				d.Checks = append(d.Checks, ex.scope(s, g.actions))
			}
		}
	}
	d.Checks = append(d.Checks, ex.privacy()...)
	for i := range d.Checks {
		if d.Checks[i].Applies {
			d.Actions |= d.Checks[i].Actions
			if d.By == nil && bit != 0 && d.Checks[i].Actions&bit != 0 {
				d.By = &d.Checks[i]
			}
		}
	}
	who := pr.String()
	switch {
	case bit == 0:
		d.Reason = fmt.Sprintf("denied: %q is not an action letter (%s)", string(rune(action)), Letters)
	case d.By != nil:
		d.Allowed = true
		d.Reason = fmt.Sprintf("allowed: %s may %c %s %q: %s (%s)", who, action, resource, v.id, d.By.Entry, d.By.Reason)
	default:
		var why []string
		for _, ch := range d.Checks {
			if ch.Actions&bit != 0 {
				why = append(why, ch.Entry+": "+ch.Reason)
			}
		}
		if len(why) == 0 {
			d.Reason = fmt.Sprintf("denied: no rule of %s gives %q on %s", c.file, string(rune(action)), resource)
		} else {
			d.Reason = fmt.Sprintf("denied: %s may not %c %s %q: %s", who, action, resource, v.id, strings.Join(why, "; "))
		}
	}
	return d
}

// explainer evaluates rules one by one from the principal's identity,
// independently of the compiled index (tests check both agree).
type explainer struct {
	c      *compiled
	pr     Principal
	r      *compiledRes
	v      *view
	sorted []string // the caller's roles, sorted (roles)
}

// roles returns the caller's roles sorted, so that Explain names the same
// role whatever order the session gave them in.
func (e *explainer) roles() []string {
	if e.pr.p.nroles == 0 {
		return nil
	}
	if e.sorted == nil {
		e.sorted = sortedUnique(e.pr.p.roles())
	}
	return e.sorted
}

func (e *explainer) owns() (bool, string) {
	uid := e.pr.UID()
	switch {
	case uid == "":
		return false, "the caller is anonymous"
	case e.v.owner == uid:
		return true, "the caller owns the record"
	case e.v.owner == "":
		return false, "the record has no owner"
	}
	return false, fmt.Sprintf("the record's owner %q is not the caller %q", e.v.owner, uid)
}

// level returns the caller's level in the record's membership.
func (e *explainer) level() (pi int, id string, level uint8) {
	pi, id = e.r.membership(e.v)
	if pi < 0 || id == "" {
		return pi, id, 0
	}
	for _, role := range e.roles() {
		if rid, l := e.c.memberRole(role, pi); l > level && rid == id {
			level = l
		}
	}
	return pi, id, level
}

func (e *explainer) rule(rule *ruleSrc) Check {
	ch := Check{Entry: rule.entry, Line: rule.line, Actions: rule.actions,
		Rule: rule.principal.text + " -> " + rule.resource.text + " : " + rule.actions.String()}
	if rule.cond != nil {
		ch.Rule += " when " + rule.cond.text
	}
	pt := rule.principal
	var ok bool
	var why string
	switch pt.kind {
	case pAnyone:
		ok, why = true, "anyone"
	case pRole, pRoleOwner:
		if ok = e.pr.HasRole(pt.role); ok {
			why = "holds role " + quote(pt.role)
		} else {
			why = "lacks role " + quote(pt.role)
		}
	case pGlob:
		why = "holds no role matching " + quote(pt.role)
		for _, role := range e.roles() {
			if globMatch(pt.role, role) {
				ok, why = true, "holds role "+quote(role)+" matching "+quote(pt.role)
				break
			}
		}
	case pMember:
		pi, id, l := e.level()
		name := e.c.private[pt.priv].name
		switch {
		case pi != pt.priv || id == "":
			why = "the record is not attached to a " + name
		case l == 0:
			why = fmt.Sprintf("not a member of %s %q", name, id)
		case l < pt.level:
			why = fmt.Sprintf("level %s in %s %q is below %s", e.c.levels[l], name, id, e.c.levels[pt.level])
		default:
			ok, why = true, fmt.Sprintf("level %s in %s %q", e.c.levels[l], name, id)
		}
	}
	if ok && (rule.resource.kind == rOwner || pt.kind == pRoleOwner) {
		var owhy string
		ok, owhy = e.owns()
		why += ", " + owhy
	}
	if ok && rule.cond != nil {
		b := e.c.bind(e.pr.p)
		env := condEnv{c: e.c, b: &b, v: e.v, now: e.v.now}
		switch env.eval(rule.cond.root) {
		case tTrue:
			why += ", when " + rule.cond.text + " is true"
		case tFalse:
			ok, why = false, why+", when "+rule.cond.text+" is false"
		default:
			ok, why = false, why+", when "+rule.cond.text+" is null (a field it compares is null or absent)"
		}
	}
	ch.Applies, ch.Reason = ok, why
	return ch
}

func (e *explainer) scope(s *compiledScope, acts ActionSet) Check {
	ch := Check{Entry: s.entry, Line: s.line, Actions: acts, Rule: "scope " + s.name + " : " + acts.String()}
	held := containsSorted(e.pr.p.scopes(), s.name)
	switch {
	case !held:
		ch.Reason = "the credential lacks scope " + quote(s.name)
	case !e.pr.p.holdsAny(s.roleSet):
		ch.Reason = "scope " + quote(s.name) + " held but no role of the caller is granted it"
	default:
		ch.Applies, ch.Reason = true, "holds scope "+quote(s.name)
	}
	return ch
}

func (e *explainer) privacy() []Check {
	v := e.v
	if v.privacy == "" {
		return nil
	}
	ch := Check{Entry: "privacy", Rule: "privacy " + quote(v.privacy) + " : r", Actions: readBit}
	if v.privacy == "public" {
		ch.Applies, ch.Reason = true, "public records are readable by anyone"
		return []Check{ch}
	}
	pl, known := e.c.levelOf(v.privacy)
	pi, id, l := e.level()
	switch {
	case !known:
		ch.Reason = "unknown privacy level"
	case pi < 0 || id == "":
		ch.Reason = "the record is not attached to a membership"
	case l == 0:
		ch.Reason = fmt.Sprintf("not a member of %s %q", e.c.private[pi].name, id)
	case l < pl:
		ch.Reason = fmt.Sprintf("level %s in %s %q is below %s", e.c.levels[l], e.c.private[pi].name, id, v.privacy)
	default:
		ch.Applies, ch.Reason = true, fmt.Sprintf("level %s in %s %q", e.c.levels[l], e.c.private[pi].name, id)
	}
	return []Check{ch}
}

func containsSorted(s []string, x string) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(s) && s[lo] == x
}
