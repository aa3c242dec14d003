package crud

import (
	"maps"
	"slices"
	"strings"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

// specBuilder accumulates the OpenAPI document of an API.
type specBuilder struct {
	prefix  string
	doc     *openapi.Document
	schemes []string
	schemas []string // record schema names, for the trashcan's get
}

const problemJSON = "application/problem+json"

func newSpecBuilder(prefix string, schemes map[string]*openapi.SecurityScheme) *specBuilder {
	names := slices.Sorted(maps.Keys(schemes))
	doc := &openapi.Document{
		OpenAPI: openapi.Version,
		Paths:   map[string]*openapi.PathItem{},
		Components: &openapi.Components{
			Schemas:         map[string]*openapi.Schema{},
			Responses:       map[string]*openapi.Response{},
			Parameters:      map[string]*openapi.Parameter{},
			Headers:         map[string]*openapi.Header{},
			SecuritySchemes: schemes,
		},
	}
	s := &specBuilder{prefix: prefix, doc: doc, schemes: names}
	doc.Security = s.security(nil, false)
	s.shared()
	return s
}

func intp(n int) *int { return &n }

// security returns the requirement list: any scheme with scopes, plus the
// empty requirement when anonymous callers may succeed.
func (s *specBuilder) security(scopes []string, optional bool) []openapi.SecurityRequirement {
	var out []openapi.SecurityRequirement
	for _, n := range s.schemes {
		sc := scopes
		if sc == nil {
			sc = []string{}
		}
		out = append(out, openapi.SecurityRequirement{n: sc})
	}
	if optional {
		out = append(out, openapi.SecurityRequirement{})
	}
	return out
}

// shared adds the components every resource uses.
func (s *specBuilder) shared() {
	c := s.doc.Components
	c.Schemas["Problem"] = &openapi.Schema{
		Type:        "object",
		Description: "RFC 9457 problem details.",
		Properties: map[string]*openapi.Schema{
			"type":     {Type: "string"},
			"title":    {Type: "string"},
			"status":   {Type: "integer"},
			"detail":   {Type: "string"},
			"instance": {Type: "string"},
			"field":    {Type: "string", Description: "The request field at fault."},
			"code":     {Type: "string", Description: "A stable message id, e.g. crud.not_found."},
		},
		Required: []string{"title", "status"},
	}
	c.Schemas["Created"] = &openapi.Schema{
		Type:       "object",
		Properties: map[string]*openapi.Schema{"id": {Type: "string"}},
		Required:   []string{"id"},
	}
	for _, r := range []struct{ name, code, desc string }{
		{"BadRequest", "400", "Invalid input; field names the parameter or body field at fault."},
		{"Unauthorized", "401", "Authentication is required."},
		{"Forbidden", "403", "The caller may read the record but not perform the operation, lacks a scope, or reached a limit."},
		{"NotFound", "404", "The record does not exist or the caller may not read it."},
		{"Conflict", "409", "A unique or reference constraint was violated."},
		{"PreconditionFailed", "412", "If-Match does not match the record's current ETag."},
		{"ContentTooLarge", "413", "The request body is too large."},
		{"UnsupportedMediaType", "415", "The request body must be application/json."},
		{"TooManyRequests", "429", "Rate limited or throttled; Retry-After says when to try again."},
		{"InternalError", "500", "An internal error; details are logged, never returned."},
		{"Unavailable", "503", "A backend (the database, Redis) is unavailable; Retry-After says when to try again."},
	} {
		c.Responses[r.name] = &openapi.Response{
			Description: r.desc,
			Content:     map[string]openapi.MediaType{problemJSON: {Schema: openapi.Ref("Problem")}},
		}
	}
	c.Headers["ETag"] = &openapi.Header{Description: "The record's version.", Schema: &openapi.Schema{Type: "string"}}
	c.Headers["Content-Range"] = &openapi.Header{Description: "react-admin: <resource> <start>-<end>/<total>; the total is * when not counted.", Schema: &openapi.Schema{Type: "string"}}
	c.Headers["X-Total-Count"] = &openapi.Header{Description: "The number of matching records, when counted.", Schema: &openapi.Schema{Type: "integer"}}
	c.Headers["Preference-Applied"] = &openapi.Header{Description: "The count mode applied, when Prefer asked for one: count=exact or count=planned.", Schema: &openapi.Schema{Type: "string"}}
	c.Parameters["Prefer"] = &openapi.Parameter{Name: "Prefer", In: "header",
		Description: "count=exact, count=planned (the planner's estimate; exact on SQLite) or count=estimated (exact for small results). Without it, pages by range or offset are counted exactly and keyset pages not at all.",
		Schema:      &openapi.Schema{Type: "string"}}
	c.Parameters["filter"] = &openapi.Parameter{Name: "filter", In: "query", Description: "A JSON object, keys ANDed: field → value, list of values (IN), \"*\" (any), null, or operators {\"eq|ne|gt|gte|lt|lte|in|like|ilike|is\": value}; \"or\" → [objects]; \"q\" → text searched in every text field; react-admin's field_gte-style keys. A string with % is a LIKE pattern.",
		Schema: &openapi.Schema{Type: "string", MaxLength: intp(maxFilterLen)}}
	c.Parameters["sort"] = &openapi.Parameter{Name: "sort", In: "query", Description: `field, field:asc, field:desc, or ["field","ASC"].`,
		Schema: &openapi.Schema{Type: "string", MaxLength: intp(maxSortLen)}}
	c.Parameters["order"] = &openapi.Parameter{Name: "order", In: "query", Description: "The direction when sort names none.",
		Schema: &openapi.Schema{Type: "string", Enum: []any{"asc", "desc"}}}
	c.Parameters["offset"] = &openapi.Parameter{Name: "offset", In: "query", Description: "Rows to skip (legacy; prefer cursor_next).",
		Schema: &openapi.Schema{Type: "integer", Minimum: ptrFloat(0)}}
	c.Parameters["cursor_next"] = &openapi.Parameter{Name: "cursor_next", In: "query", Description: "The cursor_next of the previous page.",
		Schema: &openapi.Schema{Type: "string", MaxLength: intp(maxCursorLen)}}
	c.Parameters["actions"] = &openapi.Parameter{Name: "actions", In: "query",
		Description: `true: each record carries "rbac", the caller's actions on it ("dru").`,
		Schema:      &openapi.Schema{Type: "boolean"}}
	c.Parameters["range"] = &openapi.Parameter{Name: "range", In: "query", Description: "react-admin: [start,end]; the response is then a bare array.",
		Schema: &openapi.Schema{Type: "string"}}
	c.Parameters["If-Match"] = &openapi.Parameter{Name: "If-Match", In: "header", Description: "The ETag the change is based on.",
		Schema: &openapi.Schema{Type: "string"}}
	c.Parameters["force"] = &openapi.Parameter{Name: "force", In: "query", Description: "Purge instead of moving to the trashcan.",
		Schema: &openapi.Schema{Type: "boolean", Default: false}}
}

func ptrFloat(f float64) *float64 { return &f }

func ref(kind, name string) string { return "#/components/" + kind + "/" + name }

func paramRef(name string) *openapi.Parameter {
	return &openapi.Parameter{Ref: ref("parameters", name)}
}

func respRef(name string) *openapi.Response { return &openapi.Response{Ref: ref("responses", name)} }

func jsonContent(schema *openapi.Schema) map[string]openapi.MediaType {
	return map[string]openapi.MediaType{jsonContentType: {Schema: schema}}
}

// schemaName turns a resource name into a component name: list_member → ListMember.
func schemaName(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// fieldSchema is the JSON Schema of one field.
func (r *Resource[T]) fieldSchema(f *field) *openapi.Schema {
	s := &openapi.Schema{}
	var t string
	switch f.kind {
	case kindString:
		t = "string"
	case kindTime:
		t, s.Format = "string", "date-time"
	case kindBytes:
		t, s.ContentEncoding = "string", "base64"
	case kindInt:
		t = "integer"
		if f.base.Bits() == 64 || f.base.Bits() == 0 {
			s.Format = "int64"
		} else {
			s.Format = "int32"
		}
	case kindUint:
		t, s.Minimum = "integer", ptrFloat(0)
	case kindFloat:
		t = "number"
	case kindBool:
		t = "boolean"
	}
	if t != "" {
		if f.nullable {
			s.Type = []string{t, "null"}
		} else {
			s.Type = t
		}
	}
	enum := f.enum
	if f.role == rolePrivacy {
		enum = r.privacy
	}
	for _, e := range enum {
		s.Enum = append(s.Enum, e)
	}
	if len(s.Enum) > 0 && f.nullable {
		s.Enum = append(s.Enum, nil)
	}
	if f.maxLen > 0 {
		s.MaxLength = intp(f.maxLen)
	}
	if f.hasDef {
		s.Default = f.def
	}
	return s
}

// describe adds the resource's schemas and paths.
func (r *Resource[T]) describe(s *specBuilder) {
	c := s.doc.Components
	name := schemaName(r.name)
	s.schemas = append(s.schemas, name)

	rec := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{}}
	create := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{}, AdditionalProperties: false}
	update := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{}, AdditionalProperties: false,
		Description: "Fields to change. Read-only fields may be sent back with their current values; an echoed version acts as If-Match."}
	for _, f := range r.m.visible {
		fs := r.fieldSchema(f)
		full := *fs
		full.ReadOnly = !f.writable
		rec.Properties[f.json] = &full
		if !f.omitEmpty {
			rec.Required = append(rec.Required, f.json)
		}
		if f.writable {
			create.Properties[f.json] = fs
			update.Properties[f.json] = fs
			if f.required {
				create.Required = append(create.Required, f.json)
			}
		}
	}
	r.describeLinks(rec, create, update)
	if r.m.byJSON[actionsField] == nil {
		rec.Properties[actionsField] = &openapi.Schema{Type: "string", ReadOnly: true, Pattern: "^d?ru?$",
			Description: "With ?actions=true: the caller's actions on the record, d (delete), r (read), u (update)."}
	}
	c.Schemas[name] = rec
	c.Schemas[name+"Create"] = create
	c.Schemas[name+"Update"] = update
	c.Schemas[name+"List"] = &openapi.Schema{
		Type: "object",
		Properties: map[string]*openapi.Schema{
			"items":       {Type: "array", Items: openapi.Ref(name)},
			"count":       {Type: "integer", Description: "The number of matching records; present when counted (Prefer: count=exact|planned|estimated)."},
			"cursor_next": {Type: "string", Description: "Fetches the next page; absent on the last page."},
		},
		Required: []string{"items"},
	}

	tags := []string{r.name}
	base := s.prefix + "/" + r.name
	idParam := &openapi.Parameter{Name: "id", In: "path", Required: true, Schema: &openapi.Schema{Type: "string", MaxLength: intp(maxIDLen)}}
	etag := map[string]*openapi.Header{"ETag": {Ref: ref("headers", "ETag")}}
	sec := func(op Op, optional bool) []openapi.SecurityRequirement { return s.security(r.scopes[op], optional) }
	errs := func(codes ...string) map[string]*openapi.Response {
		names := map[string]string{"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
			"409": "Conflict", "412": "PreconditionFailed", "413": "ContentTooLarge", "415": "UnsupportedMediaType", "500": "InternalError"}
		m := map[string]*openapi.Response{}
		for _, code := range append(codes, "500") {
			m[code] = respRef(names[code])
		}
		return m
	}

	coll := &openapi.PathItem{}
	if r.ops&OpCreate != 0 {
		resps := errs("400", "401", "403", "409", "413", "415")
		resps["201"] = &openapi.Response{Description: "Created.", Content: jsonContent(openapi.Ref("Created")),
			Headers: map[string]*openapi.Header{"ETag": {Ref: ref("headers", "ETag")}, "Location": {Schema: &openapi.Schema{Type: "string"}}}}
		coll.Post = &openapi.Operation{
			OperationID: "create" + name, Summary: "Create a " + r.name, Tags: tags,
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonContent(openapi.Ref(name + "Create"))},
			Responses:   resps, Security: sec(OpCreate, false),
		}
	}
	if r.ops&OpList != 0 {
		resps := errs("400", "401", "403")
		resps["200"] = &openapi.Response{
			Description: "A page of the records the caller may read.",
			Content: jsonContent(&openapi.Schema{OneOf: []*openapi.Schema{
				openapi.Ref(name + "List"),
				{Type: "array", Items: openapi.Ref(name), Description: "With range (react-admin)."},
			}}),
			Headers: map[string]*openapi.Header{
				"Content-Range":      {Ref: ref("headers", "Content-Range")},
				"X-Total-Count":      {Ref: ref("headers", "X-Total-Count")},
				"Preference-Applied": {Ref: ref("headers", "Preference-Applied")},
			},
		}
		limit := &openapi.Parameter{Name: "limit", In: "query", Description: "The page size.",
			Schema: &openapi.Schema{Type: "integer", Minimum: ptrFloat(1), Maximum: ptrFloat(float64(r.pageMax)), Default: r.pageDefault}}
		coll.Get = &openapi.Operation{
			OperationID: "list" + name, Summary: "List " + r.name + " records", Tags: tags,
			Parameters: params(paramRef("filter"), paramRef("sort"), paramRef("order"), limit,
				paramRef("offset"), paramRef("cursor_next"), paramRef("range"), paramRef("Prefer"), paramRef("actions"), r.expandParam()),
			Responses: resps, Security: sec(OpList, true),
		}
	}
	if coll.Post != nil || coll.Get != nil {
		s.doc.Paths[base] = coll
	}

	item := &openapi.PathItem{Parameters: []*openapi.Parameter{idParam}}
	if r.ops&OpGet != 0 {
		resps := errs("401", "403", "404")
		resps["200"] = &openapi.Response{Description: "The record.", Content: jsonContent(openapi.Ref(name)), Headers: etag}
		item.Get = &openapi.Operation{OperationID: "get" + name, Summary: "Get a " + r.name, Tags: tags,
			Parameters: params(paramRef("actions"), r.expandParam()), Responses: resps, Security: sec(OpGet, true)}
	}
	if r.ops&OpUpdate != 0 {
		resps := errs("400", "401", "403", "404", "409", "412", "413", "415")
		resps["200"] = &openapi.Response{Description: "The updated record.", Content: jsonContent(openapi.Ref(name)), Headers: etag}
		item.Put = &openapi.Operation{OperationID: "update" + name, Summary: "Update a " + r.name, Tags: tags,
			Parameters:  []*openapi.Parameter{paramRef("If-Match")},
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonContent(openapi.Ref(name + "Update"))},
			Responses:   resps, Security: sec(OpUpdate, false)}
	}
	if r.ops&OpDelete != 0 {
		resps := errs("400", "401", "403", "404")
		resps["204"] = &openapi.Response{Description: "Deleted (moved to the trashcan unless force)."}
		resps["200"] = &openapi.Response{
			Description: "Deleted, for a client that asked for the records back (Prefer: return=representation, or application/json in Accept): the record as it was, or an array for several ids.",
			Content: jsonContent(&openapi.Schema{OneOf: []*openapi.Schema{
				openapi.Ref(name), {Type: "array", Items: openapi.Ref(name)},
			}}),
		}
		item.Delete = &openapi.Operation{OperationID: "delete" + name, Summary: "Delete " + r.name + " records",
			Description: "The id may list several ids separated by commas (at most 100); all or none are deleted.",
			Tags:        tags, Parameters: []*openapi.Parameter{paramRef("force")},
			Responses: resps, Security: sec(OpDelete, false)}
	}
	if item.Get != nil || item.Put != nil || item.Delete != nil {
		s.doc.Paths[base+"/{id}"] = item
	}
	s.doc.Tags = append(s.doc.Tags, openapi.Tag{Name: r.name, Description: "The " + r.name + " records: create, read, update, delete and list them."})
}

// describe adds the trashcan's schemas and paths.
func (tc *Trashcan) describe(s *specBuilder) {
	c := s.doc.Components
	c.Schemas["TrashItem"] = &openapi.Schema{
		Type: "object",
		Properties: map[string]*openapi.Schema{
			"id":        {Type: "string", Description: "<resource>-<record id>"},
			"resource":  {Type: "string"},
			"record_id": {Type: "string"},
			"name":      {Type: "string"},
			"uid":       {Type: "string"},
			"status":    {Type: "string"},
			"created":   {Type: "string", Format: "date-time"},
			"modified":  {Type: "string", Format: "date-time"},
		},
		Required: []string{"id", "resource", "record_id", "status"},
	}
	c.Schemas["TrashList"] = &openapi.Schema{
		Type: "object",
		Properties: map[string]*openapi.Schema{
			"items":       {Type: "array", Items: openapi.Ref("TrashItem")},
			"count":       {Type: "integer"},
			"cursor_next": {Type: "string"},
		},
		Required: []string{"items", "count"},
	}
	// A deleted record is shown as its resource shows it, plus "resource"
	// (the resource name), which tells the schemas apart: each record
	// matches exactly one.
	var records []*openapi.Schema
	mapping := map[string]string{}
	for _, r := range tc.resources() {
		n := schemaName(r.Name())
		if c.Schemas[n] == nil {
			continue
		}
		c.Schemas["Trashed"+n] = &openapi.Schema{
			Type:       "object",
			Properties: map[string]*openapi.Schema{trashResourceKey: {Type: "string", Const: r.Name()}},
			Required:   []string{trashResourceKey},
			AllOf:      []*openapi.Schema{openapi.Ref(n)},
		}
		records = append(records, openapi.Ref("Trashed"+n))
		mapping[r.Name()] = "#/components/schemas/Trashed" + n
	}
	record := &openapi.Schema{Type: "object", Description: "The record, as its resource shows it, and its resource name.",
		Properties: map[string]*openapi.Schema{trashResourceKey: {Type: "string"}}, Required: []string{trashResourceKey}}
	if len(records) > 0 {
		record = &openapi.Schema{Type: "object", OneOf: records, Discriminator: &openapi.Discriminator{PropertyName: trashResourceKey, Mapping: mapping}}
	}
	errs := func(codes ...string) map[string]*openapi.Response {
		names := map[string]string{"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "409": "Conflict", "415": "UnsupportedMediaType"}
		m := map[string]*openapi.Response{"500": respRef("InternalError")}
		for _, code := range codes {
			m[code] = respRef(names[code])
		}
		return m
	}
	tags := []string{"trashcan"}
	base := s.prefix + "/trashcan"
	list := errs("400", "401")
	list["200"] = &openapi.Response{Description: "Deleted records the caller may read and delete.",
		Content: jsonContent(openapi.Ref("TrashList")),
		Headers: map[string]*openapi.Header{"Content-Range": {Ref: ref("headers", "Content-Range")}, "X-Total-Count": {Ref: ref("headers", "X-Total-Count")}}}
	s.doc.Paths[base] = &openapi.PathItem{Get: &openapi.Operation{
		OperationID: "listTrashcan", Summary: "List deleted records", Tags: tags,
		Parameters: []*openapi.Parameter{paramRef("filter"), {Name: "limit", In: "query", Schema: &openapi.Schema{Type: "integer", Minimum: ptrFloat(1), Maximum: ptrFloat(float64(tc.pageMax))}},
			paramRef("cursor_next")},
		Responses: list, Security: s.security(nil, false),
	}}
	get := errs("401", "403", "404")
	get["200"] = &openapi.Response{Description: "The deleted record.", Content: jsonContent(record)}
	restore := errs("400", "401", "403", "404", "409", "415")
	restore["200"] = &openapi.Response{Description: "The restored record.", Content: jsonContent(record)}
	purge := errs("400", "401", "403", "404")
	purge["204"] = &openapi.Response{Description: "Purged."}
	s.doc.Paths[base+"/{id}"] = &openapi.PathItem{
		Parameters: []*openapi.Parameter{{Name: "id", In: "path", Required: true, Description: "<resource>-<record id> (purge: comma-separated list)",
			Schema: &openapi.Schema{Type: "string"}}},
		Get: &openapi.Operation{OperationID: "getTrashcan", Summary: "Get a deleted record", Tags: tags, Responses: get, Security: s.security(nil, false)},
		Put: &openapi.Operation{OperationID: "restoreTrashcan", Summary: "Restore a deleted record", Tags: tags,
			RequestBody: &openapi.RequestBody{Content: jsonContent(&openapi.Schema{Type: "object", AdditionalProperties: false,
				Properties: map[string]*openapi.Schema{"status": {Type: "string", Enum: []any{StatusActive}}}})},
			Responses: restore, Security: s.security(nil, false)},
		Delete: &openapi.Operation{OperationID: "purgeTrashcan", Summary: "Purge deleted records", Tags: tags, Responses: purge, Security: s.security(nil, false)},
	}
	s.doc.Tags = append(s.doc.Tags, openapi.Tag{Name: "trashcan", Description: "Deleted records of every resource: list, show, restore and purge them."})
}

// Name returns "trashcan".
func (tc *Trashcan) Name() string { return "trashcan" }
