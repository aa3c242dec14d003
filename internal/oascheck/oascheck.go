package oascheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("oascheck: invalid document")

var (
	versionRE  = regexp.MustCompile(`^3\.1\.\d+$`)
	templateRE = regexp.MustCompile(`\{([^{}/]+)\}`)
	statusRE   = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
)

func methods() []string {
	return []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
}

func locations() []string { return []string{"query", "header", "path", "cookie"} }

func jsonTypes() []string {
	return []string{"null", "boolean", "object", "array", "number", "string", "integer"}
}

// Validate checks a serialized OpenAPI 3.1 document and returns every
// problem found, joined, each wrapping ErrInvalid.
func Validate(doc []byte) error {
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		return fmt.Errorf("%w: not a JSON object: %v", ErrInvalid, err)
	}
	v := &validator{root: root}
	v.run()
	return errors.Join(v.errs...)
}

type validator struct {
	root    map[string]any
	errs    []error
	opIDs   map[string]string
	schemes map[string]any
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%w: %s: %s", ErrInvalid, path, fmt.Sprintf(format, args...)))
}

func obj(x any) (map[string]any, bool) { m, ok := x.(map[string]any); return m, ok }

func (v *validator) str(m map[string]any, key, path string, required bool) string {
	x, ok := m[key]
	if !ok {
		if required {
			v.fail(path, "%q is required", key)
		}
		return ""
	}
	s, ok := x.(string)
	if !ok {
		v.fail(path+"/"+key, "must be a string")
	}
	return s
}

func (v *validator) run() {
	if s := v.str(v.root, "openapi", "#", true); s != "" && !versionRE.MatchString(s) {
		v.fail("#/openapi", "%q is not an OpenAPI 3.1 version", s)
	}
	info, ok := obj(v.root["info"])
	if !ok {
		v.fail("#", `"info" must be an object`)
	} else {
		v.str(info, "title", "#/info", true)
		v.str(info, "version", "#/info", true)
	}
	_, hasPaths := v.root["paths"]
	_, hasComp := v.root["components"]
	_, hasHooks := v.root["webhooks"]
	if !hasPaths && !hasComp && !hasHooks {
		v.fail("#", "one of paths, components or webhooks is required")
	}
	v.opIDs = map[string]string{}
	if comp, ok := obj(v.root["components"]); ok {
		v.schemes, _ = obj(comp["securitySchemes"])
		for name, s := range v.schemes {
			v.securityScheme(s, "#/components/securitySchemes/"+name)
		}
		if schemas, ok := obj(comp["schemas"]); ok {
			for name, s := range schemas {
				v.schema(s, "#/components/schemas/"+name)
			}
		}
		if resps, ok := obj(comp["responses"]); ok {
			for name, r := range resps {
				v.response(r, "#/components/responses/"+name)
			}
		}
		if params, ok := obj(comp["parameters"]); ok {
			for name, p := range params {
				v.parameter(p, "#/components/parameters/"+name)
			}
		}
	}
	v.security(v.root["security"], "#/security")
	if hasPaths {
		paths, ok := obj(v.root["paths"])
		if !ok {
			v.fail("#/paths", "must be an object")
		}
		keys := sortedKeys(paths)
		for _, p := range keys {
			v.pathItem(p, paths[p])
		}
	}
	v.refs(v.root, "#")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func escape(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

func (v *validator) pathItem(p string, x any) {
	path := "#/paths/" + escape(p)
	if !strings.HasPrefix(p, "/") {
		v.fail(path, "path must begin with /")
	}
	item, ok := obj(x)
	if !ok {
		v.fail(path, "must be an object")
		return
	}
	var templated []string
	for _, m := range templateRE.FindAllStringSubmatch(p, -1) {
		templated = append(templated, m[1])
	}
	common := v.params(item["parameters"], path+"/parameters")
	for _, method := range methods() {
		opx, ok := item[method]
		if !ok {
			continue
		}
		opPath := path + "/" + method
		op, ok := obj(opx)
		if !ok {
			v.fail(opPath, "must be an object")
			continue
		}
		if id, ok := op["operationId"].(string); ok {
			if prev, dup := v.opIDs[id]; dup {
				v.fail(opPath, "operationId %q already used at %s", id, prev)
			}
			v.opIDs[id] = opPath
		}
		own := v.params(op["parameters"], opPath+"/parameters")
		inPath := map[string]bool{}
		for k, pm := range common {
			if k[0] == "path" {
				inPath[k[1]] = pm
			}
		}
		for k, pm := range own {
			if k[0] == "path" {
				inPath[k[1]] = pm
			}
		}
		for _, t := range templated {
			if _, ok := inPath[t]; !ok {
				v.fail(opPath, "path parameter {%s} is not declared", t)
			}
		}
		for name := range inPath {
			if !slices.Contains(templated, name) {
				v.fail(opPath, "path parameter %q is not in the path", name)
			}
		}
		if rb, ok := op["requestBody"]; ok {
			v.requestBody(rb, opPath+"/requestBody")
		}
		resps, ok := obj(op["responses"])
		if !ok || len(resps) == 0 {
			v.fail(opPath, "responses must be a non-empty object")
		}
		for code, r := range resps {
			if !statusRE.MatchString(code) {
				v.fail(opPath+"/responses", "bad status %q", code)
			}
			v.response(r, opPath+"/responses/"+code)
		}
		if s, ok := op["security"]; ok {
			v.security(s, opPath+"/security")
		}
	}
}

// params checks a parameter list and returns the (in, name) pairs it
// declares (resolving $refs), with whether each is required.
func (v *validator) params(x any, path string) map[[2]string]bool {
	out := map[[2]string]bool{}
	if x == nil {
		return out
	}
	list, ok := x.([]any)
	if !ok {
		v.fail(path, "must be a list")
		return out
	}
	for i, px := range list {
		pp := path + "/" + strconv.Itoa(i)
		p, ok := obj(px)
		if !ok {
			v.fail(pp, "must be an object")
			continue
		}
		if ref, ok := p["$ref"].(string); ok {
			rp, ok := obj(v.resolve(ref))
			if !ok {
				continue // reported by refs
			}
			p = rp
		} else {
			v.parameter(p, pp)
		}
		in, _ := p["in"].(string)
		name, _ := p["name"].(string)
		key := [2]string{in, name}
		if _, dup := out[key]; dup {
			v.fail(pp, "parameter %s %q declared twice", in, name)
		}
		req, _ := p["required"].(bool)
		out[key] = req
	}
	return out
}

func (v *validator) parameter(x any, path string) {
	p, ok := obj(x)
	if !ok {
		v.fail(path, "must be an object")
		return
	}
	if _, ok := p["$ref"]; ok {
		return
	}
	v.str(p, "name", path, true)
	in := v.str(p, "in", path, true)
	if in != "" && !slices.Contains(locations(), in) {
		v.fail(path+"/in", "bad location %q", in)
	}
	if in == "path" {
		if req, _ := p["required"].(bool); !req {
			v.fail(path, "path parameters must be required")
		}
	}
	_, hasSchema := p["schema"]
	_, hasContent := p["content"]
	if hasSchema == hasContent {
		v.fail(path, "exactly one of schema and content is required")
	}
	if hasSchema {
		v.schema(p["schema"], path+"/schema")
	}
}

func (v *validator) requestBody(x any, path string) {
	rb, ok := obj(x)
	if !ok {
		v.fail(path, "must be an object")
		return
	}
	if _, ok := rb["$ref"]; ok {
		return
	}
	content, ok := obj(rb["content"])
	if !ok || len(content) == 0 {
		v.fail(path, "content is required")
	}
	v.content(content, path+"/content")
}

func (v *validator) content(content map[string]any, path string) {
	for mt, m := range content {
		mo, ok := obj(m)
		if !ok {
			v.fail(path+"/"+escape(mt), "must be an object")
			continue
		}
		if s, ok := mo["schema"]; ok {
			v.schema(s, path+"/"+escape(mt)+"/schema")
		}
	}
}

func (v *validator) response(x any, path string) {
	r, ok := obj(x)
	if !ok {
		v.fail(path, "must be an object")
		return
	}
	if _, ok := r["$ref"]; ok {
		return
	}
	v.str(r, "description", path, true)
	if c, ok := r["content"]; ok {
		content, ok := obj(c)
		if !ok {
			v.fail(path+"/content", "must be an object")
		}
		v.content(content, path+"/content")
	}
	if h, ok := r["headers"]; ok {
		hs, ok := obj(h)
		if !ok {
			v.fail(path+"/headers", "must be an object")
		}
		for name, hx := range hs {
			ho, ok := obj(hx)
			if !ok {
				v.fail(path+"/headers/"+name, "must be an object")
				continue
			}
			if _, ok := ho["$ref"]; !ok {
				if _, ok := ho["schema"]; !ok {
					if _, ok := ho["content"]; !ok {
						v.fail(path+"/headers/"+name, "schema or content is required")
					}
				}
			}
		}
	}
}

func (v *validator) schema(x any, path string) {
	switch s := x.(type) {
	case bool:
		return
	case map[string]any:
		if t, ok := s["type"]; ok {
			var types []any
			switch tt := t.(type) {
			case string:
				types = []any{tt}
			case []any:
				types = tt
			default:
				v.fail(path+"/type", "must be a string or a list")
			}
			for _, e := range types {
				if es, ok := e.(string); !ok || !slices.Contains(jsonTypes(), es) {
					v.fail(path+"/type", "bad type %v", e)
				}
			}
		}
		if props, ok := s["properties"]; ok {
			pm, ok := obj(props)
			if !ok {
				v.fail(path+"/properties", "must be an object")
			}
			for name, p := range pm {
				v.schema(p, path+"/properties/"+escape(name))
			}
			if req, ok := s["required"].([]any); ok {
				for _, r := range req {
					if name, ok := r.(string); !ok || pm[name] == nil {
						v.fail(path+"/required", "%v is not a property", r)
					}
				}
			}
		}
		for _, k := range []string{"items", "additionalProperties", "not"} {
			if sub, ok := s[k]; ok {
				v.schema(sub, path+"/"+k)
			}
		}
		for _, k := range []string{"oneOf", "anyOf", "allOf", "prefixItems"} {
			if list, ok := s[k]; ok {
				l, ok := list.([]any)
				if !ok || len(l) == 0 {
					v.fail(path+"/"+k, "must be a non-empty list")
				}
				for i, sub := range l {
					v.schema(sub, path+"/"+k+"/"+strconv.Itoa(i))
				}
			}
		}
	default:
		v.fail(path, "a schema must be an object or a boolean")
	}
}

func (v *validator) securityScheme(x any, path string) {
	s, ok := obj(x)
	if !ok {
		v.fail(path, "must be an object")
		return
	}
	switch t := v.str(s, "type", path, true); t {
	case "apiKey":
		v.str(s, "name", path, true)
		if in := v.str(s, "in", path, true); in != "" && in != "query" && in != "header" && in != "cookie" {
			v.fail(path+"/in", "bad location %q", in)
		}
	case "http":
		v.str(s, "scheme", path, true)
	case "oauth2":
		if _, ok := obj(s["flows"]); !ok {
			v.fail(path, "flows is required")
		}
	case "openIdConnect":
		v.str(s, "openIdConnectUrl", path, true)
	case "mutualTLS", "":
	default:
		v.fail(path+"/type", "bad type %q", t)
	}
}

func (v *validator) security(x any, path string) {
	if x == nil {
		return
	}
	list, ok := x.([]any)
	if !ok {
		v.fail(path, "must be a list")
		return
	}
	for i, rx := range list {
		r, ok := obj(rx)
		if !ok {
			v.fail(path+"/"+strconv.Itoa(i), "must be an object")
			continue
		}
		for name, scopes := range r {
			if _, ok := v.schemes[name]; !ok {
				v.fail(path+"/"+strconv.Itoa(i), "security scheme %q is not declared", name)
			}
			if _, ok := scopes.([]any); !ok {
				v.fail(path+"/"+strconv.Itoa(i)+"/"+name, "must be a list")
			}
		}
	}
}

// refs checks that every $ref in the document resolves.
func (v *validator) refs(x any, path string) {
	switch n := x.(type) {
	case map[string]any:
		for k, c := range n {
			if k == "$ref" {
				ref, ok := c.(string)
				if !ok {
					v.fail(path, "$ref must be a string")
					continue
				}
				if !strings.HasPrefix(ref, "#") {
					v.fail(path, "external $ref %q is not checked", ref)
					continue
				}
				if v.resolve(ref) == nil {
					v.fail(path, "$ref %q does not resolve", ref)
				}
				continue
			}
			v.refs(c, path+"/"+escape(k))
		}
	case []any:
		for i, c := range n {
			v.refs(c, path+"/"+strconv.Itoa(i))
		}
	}
}

// resolve follows a local JSON pointer; nil when it does not resolve.
func (v *validator) resolve(ref string) any {
	if ref == "#" {
		return v.root
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = v.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch n := cur.(type) {
		case map[string]any:
			next, ok := n[tok]
			if !ok {
				return nil
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			cur = n[i]
		default:
			return nil
		}
	}
	return cur
}
