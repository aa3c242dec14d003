package accesscontrol

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"
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
	// grants are what roles (and role patterns) give here, by role id
	// ascending; scopeGrants what declared scopes give, by scope id.
	grants      []resGrant
	scopeGrants []resScopeGrant
	// conds are the rules with a when:, decided per record after the
	// tables (nil for most resources: their decisions never look).
	conds  []condRule
	fields map[string]fieldType
}

// condRule is a rule with a condition: who it applies to (as the tables
// would), what it gives, and its condition.
type condRule struct {
	rule    *ruleSrc
	kind    principalKind
	role    int32 // pRole, pRoleOwner, pGlob: the role id
	priv    int   // pMember
	level   uint8 // pMember
	own     bool  // only on records the caller owns
	actions ActionSet
	cond    *condition
}

// resGrant is what one role id gives on one resource.
type resGrant struct {
	role int32
	actPair
}

// resScopeGrant is what one declared scope gives on one resource.
type resScopeGrant struct {
	scope   int32
	actions ActionSet
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

// globGroup holds the role patterns whose literal prefix has n bytes, by
// that prefix.
type globGroup struct {
	n     int
	byPre map[string][]int
}

// compiled is an immutable, ready-to-decide policy. A Policy points to one
// at a time and swaps it atomically on reload.
type compiled struct {
	file     string
	version  uint64
	levels   []string
	levelSuf []string // "-" + level
	private  []privRes
	privPre  []string // name + "-"
	res      []compiledRes
	resIdx   map[string]int32
	roleIdx  map[string]int32 // literal role names
	globs    []string         // role patterns; their ids follow the literal roles
	// globPre groups the patterns by the length of their literal part
	// before the first '*': the candidates for a role are found with one
	// map lookup per length.
	globPre   []globGroup
	grants    [][]roleGrant // per role id
	scopes    []compiledScope
	scopeIdx  map[string]int32
	services  map[string][]int32 // service name -> scopes listing it
	scopeRole map[string][]int32 // role name -> scopes granting it
	rules     int
	// indexes is the index cache: the indexes of the role sets principals
	// were last bound with, in pairs of slots (see cachedIndex).
	indexes [indexSlots]atomic.Pointer[roleIndex]
	seed    maphash.Seed
	noRoles roleIndex // the index of no roles and no scopes
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
		c.res[i] = compiledRes{name: name, self: -1, rules: src.rules[i], fields: src.fields[i]}
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
	globOf := func(pattern string) int {
		gi, ok := globIdx[pattern]
		if !ok {
			gi = len(c.globs)
			globIdx[pattern] = gi
			c.globs = append(c.globs, pattern)
			globGrants = append(globGrants, nil)
		}
		return gi
	}
	var condGlobs [][2]int // resource, conds index
	for ri := range c.res {
		r := &c.res[ri]
		for i := range r.rules {
			rule := r.rules[i]
			c.rules++
			if rule.cond != nil {
				cr := condRule{rule: &r.rules[i], kind: rule.principal.kind, priv: rule.principal.priv,
					level: rule.principal.level, actions: rule.actions, cond: rule.cond,
					own: rule.resource.kind == rOwner || rule.principal.kind == pRoleOwner}
				switch rule.principal.kind {
				case pRole, pRoleOwner:
					cr.role = roleID(rule.principal.role)
				case pGlob:
					// The pattern's index for now; its role id once the
					// literal roles are all known.
					cr.role = int32(globOf(rule.principal.role))
					condGlobs = append(condGlobs, [2]int{ri, len(r.conds)})
				}
				r.conds = append(r.conds, cr)
				continue
			}
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
				gi := globOf(rule.principal.role)
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
	for _, g := range condGlobs {
		cr := &c.res[g[0]].conds[g[1]]
		cr.role = c.globID(int(cr.role))
	}
	for gi, g := range c.globs {
		pre, _, _ := strings.Cut(g, "*")
		k := slices.IndexFunc(c.globPre, func(gg globGroup) bool { return gg.n == len(pre) })
		if k < 0 {
			k = len(c.globPre)
			c.globPre = append(c.globPre, globGroup{n: len(pre), byPre: map[string][]int{}})
		}
		c.globPre[k].byPre[pre] = append(c.globPre[k].byPre[pre], gi)
	}
	// Per resource, the grants of every role, by role id.
	for id, list := range c.grants {
		for _, g := range list {
			r := &c.res[g.res]
			r.grants = append(r.grants, resGrant{int32(id), g.actPair})
		}
	}
	c.compileScopes(src)
	c.seed = maphash.MakeSeed()
	return c
}

// compileScopes indexes the declared scopes: by role, by resource and by
// service.
func (c *compiled) compileScopes(src *source) {
	for i, s := range src.scopes {
		cs := compiledScope{scopeSrc: s, roleSet: make(map[string]bool, len(s.roles))}
		for _, role := range s.roles {
			cs.roleSet[role] = true
			if !slices.Contains(c.scopeRole[role], int32(i)) {
				c.scopeRole[role] = append(c.scopeRole[role], int32(i))
			}
		}
		c.scopeIdx[s.name] = int32(i)
		for _, g := range s.resources {
			r := &c.res[g.res]
			r.scopeGrants = append(r.scopeGrants, resScopeGrant{int32(i), g.actions})
		}
		for _, svc := range s.services {
			if !slices.Contains(c.services[svc], int32(i)) {
				c.services[svc] = append(c.services[svc], int32(i))
			}
		}
		c.scopes = append(c.scopes, cs)
	}
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

// binding is a principal indexed against one compiled policy, for the
// decisions of one call: the principal, its uid, and the index of its
// roles and scopes (shared by the principals that hold the same ones). A
// decision on a resource intersects the resource's grants with the index.
type binding struct {
	c  *compiled
	pr principal // the zero principal for the anonymous caller
	*roleIndex
}

// roleIndex is a set of roles and scopes indexed against one compiled
// policy: the role ids its roles and role patterns have, its membership
// levels, and the declared scopes it holds; all of it proportional to the
// roles and scopes, not to the policy. It is immutable once built but for
// its cache of grants, and shared through the policy's index cache by
// every principal that holds the same roles (in the same order) and
// scopes.
type roleIndex struct {
	// roleKey, nroles and scopeKey are the key: the principal's roles as
	// given (principal.roleKey and nroles) and its scopes sorted (a private
	// copy, never modified).
	roleKey  string
	nroles   int
	scopeKey []string
	hash     uint64
	// ids are the role ids held, sorted; idSet is the same set as an
	// open-addressing table (power-of-two size, -1 empty) for O(1) tests.
	ids    []int32
	idSet  []int32
	idsBuf [4]int32 // ids of a principal with few roles, without allocation
	// members[private index][membership id] = highest level held.
	members []map[string]uint8
	// scopes are the declared scopes held, sorted.
	scopes []int32
	// cache holds the last grants computed, direct-mapped by resource
	// index: (index + 1) << 32 | all << 16 | own; 0 empty.
	cache [8]atomic.Uint64
}

// Limits of the index cache of a compiled policy: how many role sets it
// keeps (1,024 pairs of slots, chosen by the set's hash: a new set takes
// the first slot of its pair and moves the set there to the second, which
// forgets the set that was in the second), and the
// largest set it keeps, so that its memory stays bounded (a principal with
// more roles is indexed for itself alone).
const (
	indexSlots    = 2048
	indexMaxRoles = 64
	indexMaxBytes = 4096
)

// indexable reports whether the index cache may keep pr's role set: it is
// within the cache's limits.
func indexable(pr *principal) bool {
	sc := pr.scopes()
	if pr.nroles+len(sc) > indexMaxRoles {
		return false
	}
	n := len(pr.roleKey)
	for _, s := range sc {
		n += len(s)
	}
	return n <= indexMaxBytes
}

// indexOf returns the index of pr's roles and scopes under c: the index
// pr found for c before, or the one in c's index cache, or a new one (put
// in the cache when pr's set is indexable).
func (c *compiled) indexOf(pr *principal) *roleIndex {
	x := pr.x
	if pr.nroles == 0 && (x == nil || len(x.scopes) == 0) {
		return &c.noRoles
	}
	if x == nil {
		return c.cachedIndex(pr)
	}
	if bi := x.bound.Load(); bi != nil && bi.c == c {
		return bi.ix
	}
	var ix *roleIndex
	if x.own {
		ix = c.index(pr, 0)
	} else {
		ix = c.cachedIndex(pr)
	}
	var bi *boundIndex
	if x.claimed.CompareAndSwap(false, true) {
		bi = &x.first
		bi.c, bi.ix = c, ix
	} else {
		bi = &boundIndex{c: c, ix: ix}
	}
	x.bound.Store(bi)
	return ix
}

// cachedIndex returns the index of pr's role set from c's index cache,
// building it and putting it there when it is missing.
func (c *compiled) cachedIndex(pr *principal) *roleIndex {
	h := c.indexHash(pr)
	i := h & (indexSlots - 1) &^ 1
	first, second := &c.indexes[i], &c.indexes[i+1]
	if ix := first.Load(); ix.matches(pr, h) {
		return ix
	}
	if ix := second.Load(); ix.matches(pr, h) {
		return ix
	}
	ix := c.index(pr, h)
	if old := first.Load(); old != nil {
		second.Store(old)
	}
	first.Store(ix)
	return ix
}

// matches reports whether ix (nil: an empty slot) is the index of pr's
// role set, whose hash is h.
func (ix *roleIndex) matches(pr *principal, h uint64) bool {
	return ix != nil && ix.hash == h && ix.nroles == pr.nroles && ix.roleKey == pr.roleKey &&
		slices.Equal(ix.scopeKey, pr.scopes())
}

// indexHash returns the hash of pr's roles and scopes under c's seed.
func (c *compiled) indexHash(pr *principal) uint64 {
	h := maphash.String(c.seed, pr.roleKey)
	for _, s := range pr.scopes() {
		h = (h ^ maphash.String(c.seed, s)) * 0x9e3779b97f4a7c15
	}
	return h
}

// index builds the index of pr's roles and scopes under c; hash is its
// hash in the index cache.
func (c *compiled) index(pr *principal, hash uint64) *roleIndex {
	b := &roleIndex{roleKey: pr.roleKey, nroles: pr.nroles, scopeKey: pr.scopes(), hash: hash}
	b.ids = b.idsBuf[:0]
	if len(c.private) > 0 {
		// Size the membership maps up front: a principal may hold
		// dozens of membership roles.
		var n [maxPrivate]int
		for role := range pr.eachRole {
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
	for role := range pr.eachRole {
		if id, ok := c.roleIdx[role]; ok {
			b.ids = append(b.ids, id)
		}
		for _, gg := range c.globPre {
			if gg.n > len(role) {
				continue
			}
			for _, gi := range gg.byPre[role[:gg.n]] {
				if globMatch(c.globs[gi], role) {
					b.ids = append(b.ids, c.globID(gi))
				}
			}
		}
		if b.members != nil {
			for pi := range c.private {
				if id, l := c.memberRole(role, pi); l > 0 && l > b.members[pi][id] {
					b.members[pi][id] = l
				}
			}
		}
	}
	if len(b.ids) > 1 {
		slices.Sort(b.ids)
		b.ids = slices.Compact(b.ids)
	}
	if len(b.ids) > 4 {
		size := 8
		for size < 2*len(b.ids) {
			size *= 2
		}
		b.idSet = make([]int32, size)
		for i := range b.idSet {
			b.idSet[i] = -1
		}
		for _, id := range b.ids {
			i := idSlot(id, size)
			for b.idSet[i] != -1 {
				i = (i + 1) & (size - 1)
			}
			b.idSet[i] = id
		}
	}
	for _, name := range pr.scopes() {
		si, ok := c.scopeIdx[name]
		if !ok || !pr.holdsAny(c.scopes[si].roleSet) {
			continue
		}
		b.scopes = append(b.scopes, si)
	}
	slices.Sort(b.scopes)
	return b
}

func (b *roleIndex) holdsScope(si int32) bool {
	_, ok := slices.BinarySearch(b.scopes, si)
	return ok
}

// grant returns what the principal's roles and scopes give on resource
// ri: the resource's grants whose role the principal holds, found by
// walking the shorter of the two lists and searching the other.
func (b *binding) grant(ri int32) actPair {
	slot := &b.cache[ri&7]
	if e := slot.Load(); e>>32 == uint64(ri)+1 {
		return actPair{all: ActionSet(e >> 16), own: ActionSet(e)}
	}
	p := b.compute(ri)
	slot.Store((uint64(ri)+1)<<32 | uint64(p.all)<<16 | uint64(p.own))
	return p
}

// compute is grant without the cache.
func (b *binding) compute(ri int32) actPair {
	var p actPair
	r := &b.c.res[ri]
	if len(b.ids) > 0 && len(r.grants) > 0 {
		if len(r.grants) <= 4*len(b.ids) {
			for i := range r.grants {
				if b.holds(r.grants[i].role) {
					p.all |= r.grants[i].all
					p.own |= r.grants[i].own
				}
			}
		} else {
			gs := r.grants
			for _, id := range b.ids {
				j, ok := slices.BinarySearchFunc(gs, id, func(g resGrant, id int32) int { return int(g.role - id) })
				if ok {
					p.all |= gs[j].all
					p.own |= gs[j].own
				}
				gs = gs[j:]
			}
		}
	}
	if len(b.scopes) > 0 {
		for _, g := range r.scopeGrants {
			if b.holdsScope(g.scope) {
				p.all |= g.actions
			}
		}
	}
	return p
}

// idSlot is where id's probe starts in an idSet of size slots.
func idSlot(id int32, size int) int { return int(uint32(id)*0x9e3779b1>>16) & (size - 1) }

// holds reports whether the principal holds role id.
func (b *roleIndex) holds(id int32) bool {
	if b.idSet == nil {
		for _, x := range b.ids {
			if x == id {
				return true
			}
		}
		return false
	}
	size := len(b.idSet)
	for i := idSlot(id, size); ; i = (i + 1) & (size - 1) {
		switch b.idSet[i] {
		case id:
			return true
		case -1:
			return false
		}
	}
}

// level returns the principal's level in membership id of private
// resource pi (0: none).
func (b *roleIndex) level(pi int, id string) uint8 {
	if b.members == nil || id == "" {
		return 0
	}
	if m := b.members[pi]; m != nil {
		return m[id]
	}
	return 0
}
