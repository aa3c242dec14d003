package accesscontrol

import (
	"fmt"
	"slices"
)

// RuleInfo describes one rule of the policy in force, for tools (policy
// tests, lint, coverage).
type RuleInfo struct {
	// Entry names the rule: "policies.person[2]".
	Entry string
	// Line is its line in the policy file.
	Line int
	// Resource is the resource it belongs to.
	Resource string
	// Principal and Target are its templates as written.
	Principal, Target string
	// Actions are what it gives.
	Actions ActionSet
	// When is its condition ("" for none).
	When string
}

// RuleInfos returns the rules in force, resource by resource in file
// order.
func (p *Policy) RuleInfos() []RuleInfo {
	c := p.cur.Load()
	var out []RuleInfo
	for ri := range c.res {
		for _, r := range c.res[ri].rules {
			info := RuleInfo{Entry: r.entry, Line: r.line, Resource: c.res[ri].name,
				Principal: r.principal.text, Target: r.resource.text, Actions: r.actions}
			if r.cond != nil {
				info.When = r.cond.text
			}
			out = append(out, info)
		}
	}
	return out
}

// Fields returns the fields a resource's conditions may read, with their
// declared types ("string", "int", "float", "bool" or "time"); nil for an
// undeclared resource or one without fields.
func (p *Policy) Fields(resource string) map[string]string {
	c := p.cur.Load()
	ri, ok := c.resIdx[resource]
	if !ok || c.res[ri].fields == nil {
		return nil
	}
	out := make(map[string]string, len(c.res[ri].fields))
	for name, t := range c.res[ri].fields {
		out[name] = t.String()
	}
	return out
}

// PrivateResource is a membership-defining resource and the attribute
// that attaches other records to one of its records.
type PrivateResource struct {
	Resource string // "list"
	Attr     string // "list_id"
}

// PrivateResources returns the private resources, in file order.
func (p *Policy) PrivateResources() []PrivateResource {
	c := p.cur.Load()
	out := make([]PrivateResource, len(c.private))
	for i, pr := range c.private {
		out[i] = PrivateResource{pr.name, pr.attr}
	}
	return out
}

// Finding is something Lint reports: a rule that can never add anything,
// or a declaration nothing uses.
type Finding struct {
	// Line is where the finding is in the policy file (0 when unknown).
	Line int
	// Entry names what it is about ("policies.person[2]", "fields.message.status").
	Entry string
	// Kind is "shadowed" or "unused".
	Kind string
	// Message says why.
	Message string
}

// String returns "line: entry: kind: message".
func (f Finding) String() string {
	return fmt.Sprintf("%d: %s: %s: %s", f.Line, f.Entry, f.Kind, f.Message)
}

// Lint reports rules shadowed by others (a rule without condition that
// gives at least the same actions to at least the same principals on at
// least the same records, so removing the shadowed rule changes no
// decision) and fields no condition reads. The check is conservative: a
// rule it does not report may still be redundant.
func (p *Policy) Lint() []Finding {
	c := p.cur.Load()
	var out []Finding
	for ri := range c.res {
		r := &c.res[ri]
		for i := range r.rules {
			for j := range r.rules {
				if i == j {
					continue
				}
				a, b := &r.rules[j], &r.rules[i]
				// An identical pair: only the later one is reported.
				if covers(a, b) && !(covers(b, a) && j > i) {
					out = append(out, Finding{Line: b.line, Entry: b.entry, Kind: "shadowed",
						Message: fmt.Sprintf("%s (line %d) already gives %s to these principals on these records", a.entry, a.line, b.actions)})
					break
				}
			}
		}
		var read []string
		for _, rule := range r.rules {
			if rule.cond != nil {
				read = append(read, rule.cond.fields...)
			}
		}
		var names []string
		for name := range r.fields {
			if !slices.Contains(read, name) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			out = append(out, Finding{Entry: "fields." + r.name + "." + name, Kind: "unused",
				Message: "no condition of " + r.name + " reads it"})
		}
	}
	return out
}

// covers reports whether rule a, which has no condition, gives at least
// b's actions to every principal and record b applies to.
func covers(a, b *ruleSrc) bool {
	if a.cond != nil || b.actions&^a.actions != 0 {
		return false
	}
	aOwn := a.resource.kind == rOwner || a.principal.kind == pRoleOwner
	bOwn := b.resource.kind == rOwner || b.principal.kind == pRoleOwner
	if aOwn && !bOwn {
		return false
	}
	pa, pb := a.principal, b.principal
	switch pa.kind {
	case pAnyone:
		return true
	case pRole, pRoleOwner:
		return (pb.kind == pRole || pb.kind == pRoleOwner) && pa.role == pb.role
	case pGlob:
		return (pb.kind == pRole || pb.kind == pRoleOwner) && globMatch(pa.role, pb.role) ||
			pb.kind == pGlob && pa.role == pb.role
	case pMember:
		return pb.kind == pMember && pa.priv == pb.priv && pa.level <= pb.level
	}
	return false
}
