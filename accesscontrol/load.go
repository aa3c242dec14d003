package accesscontrol

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

// DefaultMaxSize is the largest policy file Load accepts unless
// WithMaxSize says otherwise.
const DefaultMaxSize = 16 << 20

// Limits of the policy file format.
const (
	maxLevels  = 16
	maxPrivate = 16
	// maxVisits bounds the nodes visited while expanding aliases and merge
	// keys, so that an "alias bomb" is refused instead of expanded.
	maxVisits  = 4 << 20
	maxMerge   = 8
	definition = "definition"
)

// DefaultLevels are the privacy levels when the file has no
// privacy_levels (apicrud's).
var defaultLevels = []string{"public", "invitee", "member", "manager", "secret"}

// ruleSrc is one entry of policies.<resource>.
type ruleSrc struct {
	entry     string // "policies.person[2]"
	line      int
	res       int
	principal principalTmpl
	resource  resourceTmpl
	actions   ActionSet
	cond      *condition // when:, nil when the rule has none
}

// scopeSrc is one entry of scopes.
type scopeSrc struct {
	entry     string
	line      int
	name      string
	desc      string
	roles     []string
	resources []scopeGrant
	services  []string
}

type scopeGrant struct {
	res     int
	actions ActionSet
}

// source is a validated policy file.
type source struct {
	file      string
	levels    []string
	private   []privRes
	resources []string
	resIdx    map[string]int
	rules     [][]ruleSrc // per resource, in file order
	scopes    []scopeSrc
	// fields are the declared record fields, per resource index (nil:
	// none), that conditions may read.
	fields []map[string]fieldType
}

// parser walks the YAML node tree, resolving aliases and merge keys, and
// turns every problem into a *PolicyError with file, line and entry.
type parser struct {
	file   string
	visits int
	src    *source // set once the resources are declared
}

func (p *parser) fail(n *yaml.Node, entry string, err error) *PolicyError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &PolicyError{File: p.file, Line: line, Entry: entry, Err: err}
}

// resolve follows an alias and counts the visit against the budget.
func (p *parser) resolve(n *yaml.Node, entry string) (*yaml.Node, error) {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > maxMerge {
			return nil, p.fail(n, entry, detail(ErrTooLarge, "alias chain too long"))
		}
		n = n.Alias
	}
	p.visits++
	if p.visits > maxVisits {
		return nil, p.fail(n, entry, detail(ErrTooLarge, "too many nodes after alias expansion"))
	}
	if n == nil {
		return nil, p.fail(nil, entry, detail(ErrSchema, "dangling alias"))
	}
	return n, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.DocumentNode:
		return "a document"
	}
	return "nothing"
}

type field struct {
	key, val *yaml.Node
}

// mapping returns the fields of a mapping node, with merge keys ("<<")
// expanded: explicit keys win over merged ones, earlier merges over later
// ones. Duplicate explicit keys and non-string keys are errors.
func (p *parser) mapping(n *yaml.Node, entry string) ([]field, error) {
	return p.mappingDepth(n, entry, 0)
}

func (p *parser) mappingDepth(n *yaml.Node, entry string, depth int) ([]field, error) {
	n, err := p.resolve(n, entry)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, entry, detail(ErrSchema, "expected a mapping, got "+kindName(n)))
	}
	if depth > maxMerge {
		return nil, p.fail(n, entry, detail(ErrTooLarge, "merge keys nested too deep"))
	}
	var out, merged []field
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			var sources []*yaml.Node
			mv, err := p.resolve(v, entry)
			if err != nil {
				return nil, err
			}
			if mv.Kind == yaml.SequenceNode {
				sources = mv.Content
			} else {
				sources = []*yaml.Node{v}
			}
			for _, s := range sources {
				fs, err := p.mappingDepth(s, entry, depth+1)
				if err != nil {
					return nil, err
				}
				merged = append(merged, fs...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			return nil, p.fail(k, entry, detail(ErrSchema, "keys must be strings"))
		}
		if seen[k.Value] {
			return nil, p.fail(k, entry, detail(ErrSchema, "duplicate key "+quote(k.Value)))
		}
		seen[k.Value] = true
		out = append(out, field{k, v})
	}
	for _, f := range merged {
		if !seen[f.key.Value] {
			seen[f.key.Value] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// sequence returns the items of a sequence node; null gives none.
func (p *parser) sequence(n *yaml.Node, entry string) ([]*yaml.Node, error) {
	n, err := p.resolve(n, entry)
	if err != nil {
		return nil, err
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.fail(n, entry, detail(ErrSchema, "expected a sequence, got "+kindName(n)))
	}
	return n.Content, nil
}

// scalar returns the text of a non-null scalar node.
func (p *parser) scalar(n *yaml.Node, entry string) (string, *yaml.Node, error) {
	n, err := p.resolve(n, entry)
	if err != nil {
		return "", nil, err
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", n, p.fail(n, entry, detail(ErrSchema, "expected a string, got "+kindName(n)))
	}
	return n.Value, n, nil
}

// strings returns a sequence of scalars.
func (p *parser) strings(n *yaml.Node, entry string) ([]string, []*yaml.Node, error) {
	items, err := p.sequence(n, entry)
	if err != nil {
		return nil, nil, err
	}
	out := make([]string, 0, len(items))
	nodes := make([]*yaml.Node, 0, len(items))
	for i, it := range items {
		s, sn, err := p.scalar(it, entry+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		nodes = append(nodes, sn)
	}
	return out, nodes, nil
}

// topLevel holds the top-level sections of a policy file (nil when absent).
type topLevel struct {
	levels, private, policies, scopes, fields *yaml.Node
}

// parseSource reads and validates a policy file.
func parseSource(data []byte, file string) (src *source, err error) {
	p := &parser{file: file}
	defer func() {
		// The YAML library is not known to panic on any input any more,
		// but a policy file may come from outside: never let it crash the
		// host.
		if r := recover(); r != nil {
			src, err = nil, p.fail(nil, "", detail(ErrSyntax, fmt.Sprintf("invalid YAML: %v", r)))
		}
	}()
	root, err := p.document(data)
	if err != nil {
		return nil, err
	}
	top, err := p.topLevel(root)
	if err != nil {
		return nil, err
	}
	src = &source{file: file, resIdx: map[string]int{}}
	if src.levels, err = p.levels(top.levels); err != nil {
		return nil, err
	}
	if top.policies == nil {
		return nil, p.fail(root, "policies", detail(ErrSchema, "missing policies"))
	}
	pol, err := p.declare(top.policies, src)
	if err != nil {
		return nil, err
	}
	if src.private, err = p.privateResources(top.private, src); err != nil {
		return nil, err
	}
	if err := p.fields(top.fields, src); err != nil {
		return nil, err
	}
	if err := p.policies(pol, src); err != nil {
		return nil, err
	}
	if src.scopes, err = p.scopes(top.scopes, src); err != nil {
		return nil, err
	}
	return src, nil
}

// document parses data as one YAML document with the module's strict
// decoder and returns its root node.
func (p *parser) document(data []byte) (*yaml.Node, error) {
	root, err := strictyaml.Parse(p.file, data)
	if err != nil {
		var se *strictyaml.Error
		if !errors.As(err, &se) {
			return nil, p.fail(nil, "", detail(ErrSyntax, err.Error()))
		}
		return nil, &PolicyError{File: p.file, Line: se.Line, Err: detail(ErrSyntax, se.Msg)}
	}
	if root == nil {
		return nil, p.fail(nil, "", detail(ErrSchema, "empty policy file"))
	}
	return root, nil
}

// topLevel sorts the top-level keys into their sections; definition and
// x-* keys hold anchors only.
func (p *parser) topLevel(root *yaml.Node) (topLevel, error) {
	var t topLevel
	fields, err := p.mapping(root, "(top level)")
	if err != nil {
		return t, err
	}
	for _, f := range fields {
		switch k := f.key.Value; {
		case k == "privacy_levels":
			t.levels = f.val
		case k == "private_resources":
			t.private = f.val
		case k == "policies":
			t.policies = f.val
		case k == "scopes":
			t.scopes = f.val
		case k == "fields":
			t.fields = f.val
		case k == definition || strings.HasPrefix(k, "x-"):
			// anchors only
		default:
			return t, p.fail(f.key, k, detail(ErrSchema, "unknown top-level key "+quote(k)+
				" (want privacy_levels, private_resources, policies, fields, scopes, definition or x-*)"))
		}
	}
	return t, nil
}

// levels reads privacy_levels (nil: the default levels).
func (p *parser) levels(n *yaml.Node) ([]string, error) {
	if n == nil {
		return defaultLevels, nil
	}
	levels, nodes, err := p.strings(n, "privacy_levels")
	if err != nil {
		return nil, err
	}
	if len(levels) == 0 || levels[0] != "public" {
		at := n
		if len(nodes) > 0 {
			at = nodes[0]
		}
		return nil, p.fail(at, "privacy_levels", detail(ErrUnknownPrivacy, "the first privacy level must be \"public\""))
	}
	if len(levels) > maxLevels {
		return nil, p.fail(n, "privacy_levels", detail(ErrTooLarge, fmt.Sprintf("at most %d privacy levels", maxLevels)))
	}
	for i, l := range levels {
		entry := "privacy_levels[" + strconv.Itoa(i) + "]"
		if !validIdent(l, true) {
			return nil, p.fail(nodes[i], entry, detail(ErrSchema, "invalid privacy level name "+quote(l)+" (want a-z, 0-9, _)"))
		}
		if slices.Contains(levels[:i], l) {
			return nil, p.fail(nodes[i], entry, detail(ErrSchema, "duplicate privacy level "+quote(l)))
		}
	}
	return levels, nil
}

// declare reads the resource names under policies, in file order, into
// src, and returns the policies' fields.
func (p *parser) declare(n *yaml.Node, src *source) ([]field, error) {
	pol, err := p.mapping(n, "policies")
	if err != nil {
		return nil, err
	}
	for _, f := range pol {
		name := f.key.Value
		if !validIdent(name, false) {
			return nil, p.fail(f.key, "policies", detail(ErrSchema, "invalid resource name "+quote(name)+" (want a-z, 0-9, _ and -, starting with a letter)"))
		}
		src.resIdx[name] = len(src.resources)
		src.resources = append(src.resources, name)
	}
	src.rules = make([][]ruleSrc, len(src.resources))
	return pol, nil
}

// privateResources reads private_resources (nil: "list" with attr
// "list_id" when the policies declare a list resource).
func (p *parser) privateResources(n *yaml.Node, src *source) ([]privRes, error) {
	if n == nil {
		if i, ok := src.resIdx["list"]; ok {
			return []privRes{{name: "list", attr: "list_id", res: i}}, nil
		}
		return nil, nil
	}
	items, err := p.sequence(n, "private_resources")
	if err != nil {
		return nil, err
	}
	if len(items) > maxPrivate {
		return nil, p.fail(n, "private_resources", detail(ErrTooLarge, fmt.Sprintf("at most %d private resources", maxPrivate)))
	}
	var out []privRes
	for i, it := range items {
		entry := "private_resources[" + strconv.Itoa(i) + "]"
		pr, resN, err := p.privateResource(it, entry)
		if err != nil {
			return nil, err
		}
		ri, ok := src.resIdx[pr.name]
		if !ok {
			return nil, p.fail(resN, entry, detail(ErrUndeclaredResource, "private resource "+quote(pr.name)+" has no entry under policies"))
		}
		for _, prev := range out {
			if prev.name == pr.name || prev.attr == pr.attr {
				return nil, p.fail(resN, entry, detail(ErrSchema, "duplicate private resource "+quote(pr.name)+" or attr "+quote(pr.attr)))
			}
		}
		pr.res = ri
		out = append(out, pr)
	}
	return out, nil
}

// privateResource reads one entry of private_resources and returns it
// with the node of its resource name.
func (p *parser) privateResource(n *yaml.Node, entry string) (privRes, *yaml.Node, error) {
	var pr privRes
	var resN *yaml.Node
	fs, err := p.mapping(n, entry)
	if err != nil {
		return pr, nil, err
	}
	for _, f := range fs {
		switch f.key.Value {
		case "resource", "attr":
		default:
			return pr, nil, p.fail(f.key, entry, detail(ErrSchema, "unknown field "+quote(f.key.Value)+" (want resource, attr)"))
		}
		v, vn, err := p.scalar(f.val, entry+"."+f.key.Value)
		if err != nil {
			return pr, nil, err
		}
		if f.key.Value == "resource" {
			pr.name, resN = v, vn
			continue
		}
		if !validIdent(v, true) || v == "uid" || v == "id" || v == "eid" || v == "privacy" {
			return pr, nil, p.fail(vn, entry, detail(ErrSchema, "invalid attr "+quote(v)+" (a-z, 0-9, _; not uid, id, eid or privacy)"))
		}
		pr.attr = v
	}
	if pr.name == "" || pr.attr == "" {
		return pr, nil, p.fail(n, entry, detail(ErrSchema, "private resource needs resource and attr"))
	}
	return pr, resN, nil
}

// policies reads the rules of every resource into src.rules.
func (p *parser) policies(pol []field, src *source) error {
	env := &templateEnv{levels: src.levels, private: src.private, declared: func(name string) bool {
		_, ok := src.resIdx[name]
		return ok
	}}
	p.src = src
	for ri, f := range pol {
		key := f.key.Value
		items, err := p.sequence(f.val, "policies."+key)
		if err != nil {
			return err
		}
		for i, it := range items {
			entry := "policies." + key + "[" + strconv.Itoa(i) + "]"
			r, err := p.rule(it, entry, key, ri, env)
			if err != nil {
				return err
			}
			src.rules[ri] = append(src.rules[ri], r)
		}
	}
	return nil
}

// scopes reads the scopes section (nil: no scopes).
func (p *parser) scopes(n *yaml.Node, src *source) ([]scopeSrc, error) {
	if n == nil {
		return nil, nil
	}
	items, err := p.sequence(n, "scopes")
	if err != nil {
		return nil, err
	}
	var out []scopeSrc
	names := map[string]bool{}
	for i, it := range items {
		entry := "scopes[" + strconv.Itoa(i) + "]"
		s, err := p.scope(it, entry, src)
		if err != nil {
			return nil, err
		}
		if names[s.name] {
			return nil, p.fail(it, entry, detail(ErrSchema, "duplicate scope "+quote(s.name)))
		}
		names[s.name] = true
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) rule(n *yaml.Node, entry, key string, ri int, env *templateEnv) (ruleSrc, error) {
	r := ruleSrc{entry: entry, res: ri}
	fs, err := p.mapping(n, entry)
	if err != nil {
		return r, err
	}
	if rn, _ := p.resolve(n, entry); rn != nil {
		r.line = rn.Line
	}
	var principal, resource, actions, when string
	var pN, rN, aN, wN *yaml.Node
	for _, f := range fs {
		switch f.key.Value {
		case "principal":
			principal, pN, err = p.scalar(f.val, entry)
		case "resource":
			resource, rN, err = p.scalar(f.val, entry)
		case "actions":
			actions, aN, err = p.scalar(f.val, entry)
		case "when":
			when, wN, err = p.scalar(f.val, entry)
		case "description":
			_, _, err = p.scalar(f.val, entry)
		default:
			return r, p.fail(f.key, entry, detail(ErrSchema, "unknown field "+quote(f.key.Value)+" (want principal, resource, actions, when)"))
		}
		if err != nil {
			return r, err
		}
	}
	if pN == nil || rN == nil || aN == nil {
		return r, p.fail(n, entry, detail(ErrSchema, "a rule needs principal, resource and actions"))
	}
	if r.principal, err = parsePrincipal(principal, env); err != nil {
		return r, p.fail(pN, entry, err)
	}
	if r.resource, err = parseResource(resource, key, env); err != nil {
		return r, p.fail(rN, entry, err)
	}
	if err = checkPair(r.principal, r.resource, env); err != nil {
		return r, p.fail(rN, entry, err)
	}
	if r.actions, err = ParseActions(actions); err != nil {
		return r, p.fail(aN, entry, err)
	}
	if r.actions == 0 {
		return r, p.fail(aN, entry, detail(ErrSchema, "empty actions"))
	}
	if wN != nil {
		if r.cond, err = parseCondition(when, p.src.fields[ri]); err != nil {
			return r, p.fail(wN, entry, detail(ErrCondition, err.Error()))
		}
	}
	return r, nil
}

// fields reads the fields section: per resource, the record fields
// conditions may read and their types.
func (p *parser) fields(n *yaml.Node, src *source) error {
	src.fields = make([]map[string]fieldType, len(src.resources))
	if n == nil {
		return nil
	}
	res, err := p.mapping(n, "fields")
	if err != nil {
		return err
	}
	reserved := map[string]bool{"id": true, "uid": true, "privacy": true, "eid": true}
	for _, pr := range src.private {
		reserved[pr.attr] = true
	}
	for _, rf := range res {
		entry := "fields." + rf.key.Value
		ri, ok := src.resIdx[rf.key.Value]
		if !ok {
			return p.fail(rf.key, "fields", detail(ErrUndeclaredResource, "resource "+quote(rf.key.Value)+" has no entry under policies"))
		}
		fs, err := p.mapping(rf.val, entry)
		if err != nil {
			return err
		}
		m := make(map[string]fieldType, len(fs))
		for _, f := range fs {
			name := f.key.Value
			if !validIdent(name, true) || reserved[name] {
				return p.fail(f.key, entry, detail(ErrSchema, "invalid field name "+quote(name)+
					" (a-z, 0-9, _; not id, uid, privacy, eid or a membership attribute: rules decide those)"))
			}
			tn, tN, err := p.scalar(f.val, entry+"."+name)
			if err != nil {
				return err
			}
			t, ok := fieldTypeNames[tn]
			if !ok {
				return p.fail(tN, entry+"."+name, detail(ErrSchema, "unknown type "+quote(tn)+" (want string, int, float, bool or time)"))
			}
			m[name] = t
		}
		src.fields[ri] = m
	}
	return nil
}

func (p *parser) scope(n *yaml.Node, entry string, src *source) (scopeSrc, error) {
	s := scopeSrc{entry: entry}
	fs, err := p.mapping(n, entry)
	if err != nil {
		return s, err
	}
	if rn, _ := p.resolve(n, entry); rn != nil {
		s.line = rn.Line
	}
	for _, f := range fs {
		fe := entry + "." + f.key.Value
		switch f.key.Value {
		case "name":
			v, vn, err := p.scalar(f.val, fe)
			if err != nil {
				return s, err
			}
			if !validToken(v) {
				return s, p.fail(vn, entry, detail(ErrSchema, "invalid scope name "+quote(v)+" (letters, digits and ._:-/)"))
			}
			s.name = v
		case "description":
			if s.desc, _, err = p.scalar(f.val, fe); err != nil {
				return s, err
			}
		case "roles":
			roles, nodes, err := p.strings(f.val, fe)
			if err != nil {
				return s, err
			}
			for i, r := range roles {
				if !validRole(r) {
					return s, p.fail(nodes[i], fe, detail(ErrSchema, "invalid role name "+quote(r)))
				}
			}
			s.roles = roles
		case "services":
			svcs, nodes, err := p.strings(f.val, fe)
			if err != nil {
				return s, err
			}
			for i, v := range svcs {
				if !validToken(v) {
					return s, p.fail(nodes[i], fe, detail(ErrSchema, "invalid service name "+quote(v)))
				}
			}
			s.services = svcs
		case "resources":
			if s.resources, err = p.scopeResources(f.val, fe, src); err != nil {
				return s, err
			}
		default:
			return s, p.fail(f.key, entry, detail(ErrSchema, "unknown field "+quote(f.key.Value)+" (want name, roles, resources, services, description)"))
		}
	}
	if s.name == "" {
		return s, p.fail(n, entry, detail(ErrSchema, "a scope needs a name"))
	}
	if len(s.roles) == 0 {
		return s, p.fail(n, entry, detail(ErrSchema, "scope "+quote(s.name)+" grants no role"))
	}
	return s, nil
}

// scopeResources reads the resources of a scope: resource names mapped to
// the actions the scope allows on them.
func (p *parser) scopeResources(n *yaml.Node, entry string, src *source) ([]scopeGrant, error) {
	rs, err := p.mapping(n, entry)
	if err != nil {
		return nil, err
	}
	var out []scopeGrant
	for _, rf := range rs {
		name := rf.key.Value
		ri, ok := src.resIdx[name]
		if !ok {
			return nil, p.fail(rf.key, entry, detail(ErrUndeclaredResource, "resource "+quote(name)+" has no entry under policies"))
		}
		v, vn, err := p.scalar(rf.val, entry+"."+name)
		if err != nil {
			return nil, err
		}
		acts, err := ParseActions(v)
		if err != nil {
			return nil, p.fail(vn, entry+"."+name, err)
		}
		if acts == 0 {
			return nil, p.fail(vn, entry+"."+name, detail(ErrSchema, "empty actions"))
		}
		out = append(out, scopeGrant{ri, acts})
	}
	return out, nil
}
