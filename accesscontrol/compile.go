package accesscontrol

import (
	"slices"
	"strings"
)

// actPair is what a grant gives on every record (all) and on the records
// the caller owns (own).
type actPair struct{ all, own ActionSet }

// levelActs holds, per privacy level held, the actions membership rules
// give (cumulative: the entry for level L includes every rule asking for L
// or less).
type levelActs [maxLevels]actPair

// compiledRes is one resource of a compiled policy.
type compiledRes struct {
	name   string
	anyAll ActionSet // "*" rules on every record
	anyOwn ActionSet // "*" rules on owned records (authenticated owners)
	self   int       // index of the private resource this resource is, or -1
	// mem[private index] are the membership rules; nil when none.
	mem   []*levelActs
	rules []ruleSrc
}

// compiledScope is a declared scope.
type compiledScope struct {
	scopeSrc
	roleSet map[string]bool
}

// roleGrant is what one role (or role pattern) gives on one resource.
type roleGrant struct {
	res int32
	actPair
}

// compiled is an immutable, ready-to-decide policy. A Policy points to one
// at a time and swaps it atomically on reload.
type compiled struct {
	file      string
	version   uint64
	levels    []string
	levelSuf  []string // "-" + level
	private   []privRes
	privPre   []string // name + "-"
	res       []compiledRes
	resIdx    map[string]int32
	roleIdx   map[string]int32 // literal role names
	globs     []string         // role patterns; their ids follow the literal roles
	grants    [][]roleGrant    // per role id
	scopes    []compiledScope
	scopeIdx  map[string]int32
	services  map[string][]int32 // service name -> scopes listing it
	scopeRole map[string][]int32 // role name -> scopes granting it
	anon      *binding
	rules     int
}

func compile(src *source, version uint64) *compiled {
	c := &compiled{
		file:      src.file,
		version:   version,
		levels:    src.levels,
		private:   src.private,
		resIdx:    make(map[string]int32, len(src.resources)),
		roleIdx:   map[string]int32{},
		scopeIdx:  map[string]int32{},
		services:  map[string][]int32{},
		scopeRole: map[string][]int32{},
	}
	for _, l := range c.levels {
		c.levelSuf = append(c.levelSuf, "-"+l)
	}
	for _, p := range c.private {
		c.privPre = append(c.privPre, p.name+"-")
	}
	c.res = make([]compiledRes, len(src.resources))
	for i, name := range src.resources {
		c.resIdx[name] = int32(i)
		c.res[i] = compiledRes{name: name, self: -1, rules: src.rules[i]}
	}
	for i, p := range c.private {
		c.res[p.res].self = i
	}
	var globGrants [][]roleGrant
	globIdx := map[string]int{}
	add := func(list []roleGrant, ri int32, pair actPair) []roleGrant {
		for j := range list {
			if list[j].res == ri {
				list[j].all |= pair.all
				list[j].own |= pair.own
				return list
			}
		}
		return append(list, roleGrant{ri, pair})
	}
	roleID := func(name string) int32 {
		id, ok := c.roleIdx[name]
		if !ok {
			id = int32(len(c.grants))
			c.roleIdx[name] = id
			c.grants = append(c.grants, nil)
		}
		return id
	}
	for ri := range c.res {
		r := &c.res[ri]
		for _, rule := range r.rules {
			c.rules++
			var pair actPair
			if rule.resource.kind == rOwner || rule.principal.kind == pRoleOwner {
				pair.own = rule.actions
			} else {
				pair.all = rule.actions
			}
			switch rule.principal.kind {
			case pAnyone:
				r.anyAll |= pair.all
				r.anyOwn |= pair.own
			case pRole, pRoleOwner:
				id := roleID(rule.principal.role)
				c.grants[id] = add(c.grants[id], int32(ri), pair)
			case pGlob:
				gi, ok := globIdx[rule.principal.role]
				if !ok {
					gi = len(c.globs)
					globIdx[rule.principal.role] = gi
					c.globs = append(c.globs, rule.principal.role)
					globGrants = append(globGrants, nil)
				}
				globGrants[gi] = add(globGrants[gi], int32(ri), pair)
			case pMember:
				if r.mem == nil {
					r.mem = make([]*levelActs, len(c.private))
				}
				pi := rule.principal.priv
				if r.mem[pi] == nil {
					r.mem[pi] = new(levelActs)
				}
				for l := int(rule.principal.level); l < len(c.levels); l++ {
					r.mem[pi][l].all |= pair.all
					r.mem[pi][l].own |= pair.own
				}
			}
		}
	}
	// Glob patterns get the ids after the literal roles.
	c.grants = append(c.grants, globGrants...)
	for i, s := range src.scopes {
		cs := compiledScope{scopeSrc: s, roleSet: make(map[string]bool, len(s.roles))}
		for _, role := range s.roles {
			cs.roleSet[role] = true
			if !slices.Contains(c.scopeRole[role], int32(i)) {
				c.scopeRole[role] = append(c.scopeRole[role], int32(i))
			}
		}
		c.scopeIdx[s.name] = int32(i)
		for _, svc := range s.services {
			if !slices.Contains(c.services[svc], int32(i)) {
				c.services[svc] = append(c.services[svc], int32(i))
			}
		}
		c.scopes = append(c.scopes, cs)
	}
	c.anon = &binding{c: c}
	return c
}

// globID returns the role id of glob pattern i.
func (c *compiled) globID(i int) int32 { return int32(len(c.grants) - len(c.globs) + i) }

// levelOf returns the index of privacy level name, and false when the
// name is not a level.
func (c *compiled) levelOf(name string) (uint8, bool) {
	for i, l := range c.levels {
		if l == name {
			return uint8(i), true
		}
	}
	return 0, false
}

// privateOf returns the index of the private resource named name ("" is
// the first), or -1.
func (c *compiled) privateOf(name string) int {
	if name == "" {
		if len(c.private) > 0 {
			return 0
		}
		return -1
	}
	for i := range c.private {
		if c.private[i].name == name {
			return i
		}
	}
	return -1
}

// memberRole parses role as a membership role "<name>-<id>-<level>" of
// private resource pi and returns the id and level (0 when it is not one).
func (c *compiled) memberRole(role string, pi int) (string, uint8) {
	rest, ok := strings.CutPrefix(role, c.privPre[pi])
	if !ok {
		return "", 0
	}
	for l := len(c.levelSuf) - 1; l >= 1; l-- {
		if id, ok := strings.CutSuffix(rest, c.levelSuf[l]); ok && id != "" {
			return id, uint8(l)
		}
	}
	return "", 0
}

// binding is a principal indexed against one compiled policy: the actions
// its roles and scopes give per resource, its membership levels, and the
// declared scopes it holds. It is built on the principal's first decision
// under a policy version and cached in the principal.
type binding struct {
	c   *compiled
	uid string
	// res[resource index]; nil when no role or scope of the principal
	// has a grant.
	res []actPair
	// members[private index][membership id] = highest level held.
	members []map[string]uint8
	// scopes is the set of declared scopes held (bit i = c.scopes[i]).
	scopes []uint64
}

func (c *compiled) bind(pr *principal) *binding {
	b := &binding{c: c, uid: pr.id.UID}
	var ids []int32
	if len(c.private) > 0 {
		// Size the membership maps up front: a principal may hold
		// dozens of membership roles.
		var n [maxPrivate]int
		for _, role := range pr.roles {
			for pi := range c.private {
				if strings.HasPrefix(role, c.privPre[pi]) {
					n[pi]++
				}
			}
		}
		for pi := range c.private {
			if n[pi] > 0 {
				if b.members == nil {
					b.members = make([]map[string]uint8, len(c.private))
				}
				b.members[pi] = make(map[string]uint8, n[pi])
			}
		}
	}
	for _, role := range pr.roles {
		if id, ok := c.roleIdx[role]; ok {
			ids = append(ids, id)
		}
		for gi, g := range c.globs {
			if globMatch(g, role) {
				ids = append(ids, c.globID(gi))
			}
		}
		for pi := range c.private {
			if id, l := c.memberRole(role, pi); l > 0 {
				if l > b.members[pi][id] {
					b.members[pi][id] = l
				}
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		for _, g := range c.grants[id] {
			if b.res == nil {
				b.res = make([]actPair, len(c.res))
			}
			b.res[g.res].all |= g.all
			b.res[g.res].own |= g.own
		}
	}
	for _, name := range pr.scopes {
		si, ok := c.scopeIdx[name]
		if !ok || !pr.holdsAny(c.scopes[si].roleSet) {
			continue
		}
		if b.scopes == nil {
			b.scopes = make([]uint64, (len(c.scopes)+63)/64)
		}
		b.scopes[si/64] |= 1 << (si % 64)
		for _, g := range c.scopes[si].resources {
			if b.res == nil {
				b.res = make([]actPair, len(c.res))
			}
			b.res[g.res].all |= g.actions
		}
	}
	return b
}

func (b *binding) holdsScope(si int32) bool {
	return b.scopes != nil && b.scopes[si/64]&(1<<(si%64)) != 0
}

// level returns the principal's level in membership id of private
// resource pi (0: none).
func (b *binding) level(pi int, id string) uint8 {
	if b.members == nil || id == "" {
		return 0
	}
	if m := b.members[pi]; m != nil {
		return m[id]
	}
	return 0
}
