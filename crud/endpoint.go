package crud

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

// Endpoint describes one of the host's own operations (a login, a health
// check, anything that is not a crud resource), so that it joins the
// API's OpenAPI document, and, given to API.Handle, its routes.
//
// Request and Response are values of the JSON body types (a zero value or
// a nil pointer of the type is enough): their schemas are made from the
// types as encoding/json sees them. A struct field is required unless its
// json tag says omitempty or omitzero; a `doc:"..."` tag is its
// description; request objects refuse unknown fields.
type Endpoint struct {
	// Method is GET, POST, PUT, PATCH or DELETE.
	Method string
	// Path is under the API's prefix ("/auth/totp"), with ServeMux
	// wildcards for path parameters ("/list/{id}/member/{uid}").
	Path string
	// ID is the operationId, unique in the API.
	ID string
	// Summary is a one-line description; Description may say more.
	Summary, Description string
	// Tag groups the operation in the document: required, and described
	// with WithTag.
	Tag string
	// Request is a value of the JSON request body's type; nil: no body.
	Request any
	// RequestType is the media type of the request body: application/json
	// (the default; 400 and 415 join Errors) or
	// application/x-www-form-urlencoded, whose fields are Request's, named
	// as in JSON (400 joins Errors).
	RequestType string
	// Response is a value of the success response body's type; nil: no
	// body. A string is a text/plain body unless ContentType says
	// otherwise.
	Response any
	// ContentType of the success response (default application/json, or
	// text/plain for a string Response).
	ContentType string
	// Status is the success status (default 200): a 2xx code, or a
	// redirect (301, 302, 303, 307, 308), documented with its Location
	// header.
	Status int
	// Anonymous: callers without credentials may succeed too.
	Anonymous bool
	// Schemes are the security schemes accepted (default: every scheme of
	// the API; ignored when Anonymous alone would do).
	Schemes []string
	// Scopes are required of the caller's credentials.
	Scopes []string
	// Errors are the error statuses the operation answers, besides 500
	// (and 401 when it needs credentials, added by default).
	Errors []int
	// ErrorBodies gives the JSON body type of error statuses whose answer
	// is not a problem (application/problem+json), by status: the OAuth2
	// token endpoint's 400 {error, error_description}, for example.
	ErrorBodies map[int]any
}

// formContentType is the media type of a form request body.
const formContentType = "application/x-www-form-urlencoded"

// redirect reports whether status is a redirect an Endpoint may answer.
func redirect(status int) bool {
	return slices.Contains([]int{301, 302, 303, 307, 308}, status)
}

var endpointMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// endpoint is a described Endpoint and the handler serving it, if any.
type endpoint struct {
	Endpoint
	h http.Handler
}

// WithTag describes a tag of the document: a resource's name (default
// description: one naming the resource), "trashcan", or an Endpoint's Tag.
func WithTag(name, description string) APIOption {
	return func(a *API) error {
		if name == "" || description == "" {
			return fmt.Errorf("%w: WithTag needs a name and a description", ErrConfig)
		}
		if a.tags == nil {
			a.tags = map[string]string{}
		}
		a.tags[name] = description
		return nil
	}
}

// Handle adds an operation the host serves with h: Routes and Handler
// serve it under the API's prefix, and Spec documents it. A bad or
// duplicate endpoint is ErrConfig.
func (a *API) Handle(ep Endpoint, h http.Handler) error {
	if h == nil {
		return fmt.Errorf("%w: endpoint %s %s: nil handler", ErrConfig, ep.Method, ep.Path)
	}
	return a.add(endpoint{ep, h})
}

// Describe adds operations the host serves elsewhere (another mux, another
// server) to the document only. A bad or duplicate endpoint is ErrConfig.
func (a *API) Describe(eps ...Endpoint) error {
	for _, ep := range eps {
		if err := a.add(endpoint{Endpoint: ep}); err != nil {
			return err
		}
	}
	return nil
}

// invalid says what is wrong with ep on its own, or "".
func (ep *Endpoint) invalid() string {
	switch {
	case !slices.Contains(endpointMethods, ep.Method):
		return "method must be one of " + strings.Join(endpointMethods, ", ")
	case !strings.HasPrefix(ep.Path, "/") || strings.ContainsAny(ep.Path, " \t?#"):
		return "path must start with / and hold no spaces, query or fragment"
	case ep.ID == "" || ep.Summary == "" || ep.Tag == "":
		return "ID, Summary and Tag are required"
	case ep.Status != 0 && (ep.Status < 200 || ep.Status > 299) && !redirect(ep.Status):
		return "Status must be a 2xx code or a redirect"
	case redirect(ep.Status) && ep.Response != nil:
		return "a redirect has no Response"
	case ep.RequestType != "" && ep.RequestType != jsonContentType && ep.RequestType != formContentType:
		return "RequestType must be " + jsonContentType + " or " + formContentType
	case ep.RequestType == formContentType && (ep.Request == nil || reflect.TypeOf(ep.Request).Kind() != reflect.Struct):
		return "a form body needs a struct Request"
	}
	for code := range ep.ErrorBodies {
		if !slices.Contains(ep.Errors, code) && (code != http.StatusBadRequest || ep.Request == nil) {
			return "ErrorBodies for status " + strconv.Itoa(code) + ", which Errors does not list"
		}
	}
	for _, e := range ep.Errors {
		if e < 400 || e > 599 {
			return "Errors must be 4xx or 5xx codes, got " + strconv.Itoa(e)
		}
	}
	return ""
}

func (a *API) add(ep endpoint) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: endpoint %s %s: %s", ErrConfig, ep.Method, ep.Path, why)
	}
	if why := ep.invalid(); why != "" {
		return bad(why)
	}
	for _, s := range ep.Schemes {
		if _, ok := a.schemes[s]; !ok {
			return bad("unknown security scheme " + strconv.Quote(s))
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, have := range a.endpoints {
		if have.ID == ep.ID {
			return bad("operationId " + strconv.Quote(ep.ID) + " used twice")
		}
		if have.Method == ep.Method && have.Path == ep.Path {
			return bad("described twice")
		}
	}
	a.endpoints = append(a.endpoints, ep)
	a.spec = nil
	return nil
}

func (a *API) described() []endpoint {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.endpoints
}

// errorResponses names the shared problem responses by status.
var errorResponses = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
	412: "PreconditionFailed", 413: "ContentTooLarge", 415: "UnsupportedMediaType", 429: "TooManyRequests",
	500: "InternalError", 503: "Unavailable",
}

// describe adds the endpoint's operation to the document.
func (ep *Endpoint) describe(s *specBuilder) {
	op := &openapi.Operation{OperationID: ep.ID, Summary: ep.Summary, Description: ep.Description,
		Tags: []string{ep.Tag}, Responses: map[string]*openapi.Response{}}
	errs := slices.Clone(ep.Errors)
	switch {
	case ep.Anonymous:
		op.Security = append([]openapi.SecurityRequirement{{}}, s.securityFor(ep.Schemes, ep.Scopes)...)
	default:
		op.Security = s.securityFor(ep.Schemes, ep.Scopes)
		errs = append(errs, http.StatusUnauthorized)
	}
	for _, seg := range strings.Split(ep.Path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
			op.Parameters = append(op.Parameters, &openapi.Parameter{Name: name, In: "path", Required: true, Schema: &openapi.Schema{Type: "string"}})
		}
	}
	if ep.Request != nil {
		body := schemaFor(reflect.TypeOf(ep.Request), true)
		op.RequestBody = &openapi.RequestBody{Required: true, Content: jsonContent(body)}
		errs = append(errs, http.StatusBadRequest)
		if ep.RequestType == formContentType {
			op.RequestBody.Content = map[string]openapi.MediaType{formContentType: {Schema: body}}
		} else {
			errs = append(errs, http.StatusUnsupportedMediaType)
		}
	}
	status := ep.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := &openapi.Response{Description: ep.Summary}
	if redirect(status) {
		ok.Headers = map[string]*openapi.Header{"Location": {Description: "where to go next", Schema: &openapi.Schema{Type: "string", Format: "uri"}}}
	}
	if ep.Response != nil {
		t := reflect.TypeOf(ep.Response)
		ct := ep.ContentType
		if ct == "" {
			ct = jsonContentType
			if t.Kind() == reflect.String {
				ct = "text/plain"
			}
		}
		ok.Content = map[string]openapi.MediaType{ct: {Schema: schemaFor(t, false)}}
	}
	op.Responses[strconv.Itoa(status)] = ok
	for _, code := range append(errs, http.StatusInternalServerError) {
		if body, found := ep.ErrorBodies[code]; found {
			op.Responses[strconv.Itoa(code)] = &openapi.Response{Description: http.StatusText(code),
				Content: map[string]openapi.MediaType{jsonContentType: {Schema: schemaFor(reflect.TypeOf(body), false)}}}
			continue
		}
		if name, found := errorResponses[code]; found {
			op.Responses[strconv.Itoa(code)] = respRef(name)
			continue
		}
		op.Responses[strconv.Itoa(code)] = &openapi.Response{Description: http.StatusText(code),
			Content: map[string]openapi.MediaType{problemJSON: {Schema: openapi.Ref("Problem")}}}
	}
	path := s.prefix + ep.Path
	p := s.doc.Paths[path]
	if p == nil {
		p = &openapi.PathItem{}
		s.doc.Paths[path] = p
	}
	switch ep.Method {
	case http.MethodGet:
		p.Get = op
	case http.MethodPost:
		p.Post = op
	case http.MethodPut:
		p.Put = op
	case http.MethodPatch:
		p.Patch = op
	case http.MethodDelete:
		p.Delete = op
	}
	s.tag(ep.Tag)
}

// securityFor returns one requirement per scheme (all of the API's when
// schemes is empty), each with scopes.
func (s *specBuilder) securityFor(schemes, scopes []string) []openapi.SecurityRequirement {
	if len(schemes) == 0 {
		return s.security(scopes, false)
	}
	if scopes == nil {
		scopes = []string{}
	}
	out := make([]openapi.SecurityRequirement, 0, len(schemes))
	for _, n := range schemes {
		out = append(out, openapi.SecurityRequirement{n: scopes})
	}
	return out
}

// tag adds name to the document's tags once.
func (s *specBuilder) tag(name string) {
	for _, t := range s.doc.Tags {
		if t.Name == name {
			return
		}
	}
	s.doc.Tags = append(s.doc.Tags, openapi.Tag{Name: name})
}

// schemaFor returns the JSON schema of values of t as encoding/json
// encodes them. strict objects (request bodies) refuse unknown fields.
func schemaFor(t reflect.Type, strict bool) *openapi.Schema {
	return schemaOf(t, strict, map[reflect.Type]bool{})
}

func schemaOf(t reflect.Type, strict bool, seen map[reflect.Type]bool) *openapi.Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return &openapi.Schema{Type: "string", Format: "date-time"}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return &openapi.Schema{Type: "string", ContentEncoding: "base64"}
	}
	switch t.Kind() {
	case reflect.String:
		return &openapi.Schema{Type: "string"}
	case reflect.Bool:
		return &openapi.Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &openapi.Schema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &openapi.Schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		return &openapi.Schema{Type: "array", Items: schemaOf(t.Elem(), strict, seen)}
	case reflect.Map:
		return &openapi.Schema{Type: "object", AdditionalProperties: schemaOf(t.Elem(), strict, seen)}
	case reflect.Struct:
		if seen[t] { // a recursive type: any object below the first level
			return &openapi.Schema{Type: "object"}
		}
		seen[t] = true
		defer delete(seen, t)
		s := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{}}
		if strict {
			s.AdditionalProperties = false
		}
		for f := range t.Fields() {
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fs := schemaOf(f.Type, strict, seen)
			if d := f.Tag.Get("doc"); d != "" {
				fs.Description = d
			}
			s.Properties[name] = fs
			if !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
				s.Required = append(s.Required, name)
			}
		}
		return s
	}
	return &openapi.Schema{} // an interface: any value
}
